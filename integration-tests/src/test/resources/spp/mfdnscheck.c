/*
 * mfdnscheck: an spp [mail] plugin refusing senders whose domain does not resolve.
 *
 * The domain of SMTPMAILFROM must have an address (looked up with the system resolver);
 * a domain that does not exist is refused (553), a lookup that fails for now is deferred
 * (451). The null sender (bounces) is always accepted.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

int main(void)
{
    const char *from = getenv("SMTPMAILFROM");
    const char *at;
    struct addrinfo hints, *found;
    int error;

    if (from == NULL || *from == '\0')
        return 0;
    at = strrchr(from, '@');
    if (at == NULL || at[1] == '\0') {
        printf("E553 5.1.7 sender <%s> has no domain\n", from);
        return 0;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    error = getaddrinfo(at + 1, NULL, &hints, &found);
    if (error == 0) {
        freeaddrinfo(found);
        return 0;
    }
    fprintf(stderr, "mfdnscheck: %s: %s\n", at + 1, gai_strerror(error));
    if (error == EAI_AGAIN)
        printf("E451 4.1.8 cannot resolve %s now, try again later\n", at + 1);
    else
        printf("E553 5.1.8 sender domain %s does not exist\n", at + 1);
    return 0;
}
