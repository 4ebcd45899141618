/*
 * authrequired: an spp [rcpt] plugin that asks clients to authenticate before they relay.
 *
 * Mail for our own domains (SMTPRCPTHOSTSOK=1) and mail from clients allowed to relay
 * (RELAYCLIENT set) or authenticated (SMTPAUTHUSER set) goes on; anything else is refused
 * with 530, so the client knows to try AUTH.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int set(const char *name)
{
    const char *value = getenv(name);
    return value != NULL && *value != '\0';
}

int main(void)
{
    const char *hostsok = getenv("SMTPRCPTHOSTSOK");
    const char *rcpt = getenv("SMTPRCPTTO");

    if ((hostsok != NULL && strcmp(hostsok, "1") == 0) || set("SMTPAUTHUSER") || getenv("RELAYCLIENT") != NULL)
        return 0;
    fprintf(stderr, "authrequired: relay to <%s> refused without AUTH\n", rcpt ? rcpt : "");
    printf("E530 5.7.0 Authentication required to send to <%s>\n", rcpt ? rcpt : "");
    return 0;
}
