/* diag.h -- one problem: where, why, and the exit code it leads to.
 * Functions that can fail return -1 and fill a struct diag (as git's
 * error() does); the driver alone turns the worst one into an exit code. */
#ifndef SVC_DIAG_H
#define SVC_DIAG_H

#include <sysexits.h>

struct diag {
    const char   *file;        /* borrowed; NULL when not about a file */
    unsigned long line;        /* physical line, 1-based; 0 = the whole file */
    int           exit_code;   /* EX_DATAERR, EX_NOINPUT, ... */
    char          reason[512];
};

/* Fills d and returns -1. */
int diag_set(struct diag *d, int exit_code, const char *file,
             unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* "svcrecon: FILE:LINE: reason" (FILE and LINE only when set) on stderr. */
void diag_print(const struct diag *d);
/* "svcrecon: " + message on stderr, like warnx(3). */
void diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Exit codes ranked by severity (SPEC §5: 70 > 73 > 66 > 65 > 0); returns
 * the more severe of the two. */
int diag_worse(int a, int b);

#endif
