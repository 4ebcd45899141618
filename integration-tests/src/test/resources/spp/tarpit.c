/*
 * tarpit: an spp [rcpt] plugin that slows down clients sending to many recipients.
 *
 * After TARPITCOUNT recipients (default 0) every further RCPT waits TARPITDELAY seconds
 * (default 5) before it is answered. Prints nothing on stdout: the RCPT goes on to the
 * remaining plugins and the server's own checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static long number(const char *name, long fallback)
{
    const char *value = getenv(name);
    char *end;
    long parsed;

    if (value == NULL || *value == '\0')
        return fallback;
    parsed = strtol(value, &end, 10);
    return *end == '\0' && parsed >= 0 ? parsed : fallback;
}

int main(void)
{
    long count = number("SMTPRCPTCOUNTALL", 0);
    long after = number("TARPITCOUNT", 0);
    long delay = number("TARPITDELAY", 5);
    const char *ip = getenv("TCPREMOTEIP");

    if (count > after) {
        fprintf(stderr, "tarpit: %s at recipient %ld, waiting %ld s\n", ip ? ip : "?", count, delay);
        sleep((unsigned int) delay);
    }
    return 0;
}
