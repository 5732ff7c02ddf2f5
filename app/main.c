/* main.c -- svcrecon: nightly reconciliation of CITS dispatches, dealer
 * closeouts and ASCR registrations (see README.md and svcrecon(1)). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sysexits.h>
#include <unistd.h>

#include "app/cli.h"

/* A scheduler may start svcrecon with stdin, stdout or stderr closed
 * (`2>&-` in a crontab, a wrapper that daemonizes). The next file opened
 * would then take that number: on PostgreSQL the server's socket took fd
 * 2, and the first message on stderr went into the protocol stream
 * ("invalid frontend message type 115"), the connection was dropped and
 * every night ended 70; a workbook's temporary file could take it too.
 * Each closed one is opened on /dev/null first (tests/e2e/t7500), and
 * remembered in cli_std_closed: output written to a closed stdout would
 * be lost with exit 0 (tests/e2e/t9900). */
static int std_fds_open(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
            continue;
        cli_std_closed |= 1 << fd;
        int n = open("/dev/null", O_RDWR);
        if (n < 0)
            return -1;
        if (n != fd) {             /* cannot happen: the lowest is free */
            int ok = dup2(n, fd) == fd;
            close(n);
            if (!ok)
                return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (std_fds_open() != 0)
        return EX_SOFTWARE;        /* nowhere to say it */
    exit(cli_main(argc, argv));
}
