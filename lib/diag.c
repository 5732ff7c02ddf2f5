/* diag.c -- problem records and the messages on stderr. */
#include "lib/diag.h"

#include <stdarg.h>
#include <stdio.h>

int diag_set(struct diag *d, int exit_code, const char *file,
             unsigned long line, const char *fmt, ...)
{
    va_list ap;
    d->file = file;
    d->line = line;
    d->exit_code = exit_code;
    va_start(ap, fmt);
    vsnprintf(d->reason, sizeof d->reason, fmt, ap);
    va_end(ap);
    return -1;
}

void diag_print(const struct diag *d)
{
    if (d->file && d->line)
        fprintf(stderr, "svcrecon: %s:%lu: %s\n", d->file, d->line, d->reason);
    else if (d->file)
        fprintf(stderr, "svcrecon: %s: %s\n", d->file, d->reason);
    else
        fprintf(stderr, "svcrecon: %s\n", d->reason);
}

void diag_warn(const char *fmt, ...)
{
    va_list ap;
    fputs("svcrecon: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int rank(int code)
{
    switch (code) {
    case 0:           return 0;
    case EX_DATAERR:  return 1;   /* 65: a file refused */
    case EX_NOINPUT:  return 2;   /* 66: an input cannot be opened */
    case EX_CANTCREAT: return 3;  /* 73: an output cannot be created */
    case EX_TEMPFAIL: return 4;   /* 75: database held by another run */
    case EX_USAGE:    return 5;
    default:          return 6;   /* 70 and anything unexpected */
    }
}

int diag_worse(int a, int b)
{
    return rank(b) > rank(a) ? b : a;
}
