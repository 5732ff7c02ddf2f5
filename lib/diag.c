/* diag.c -- problem records and the messages on stderr. */
#include "lib/diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/utf8.h"

/* A path longer than the record holds is cut in its middle, at character
 * boundaries, and marked with an ellipsis: cut at its end it named a
 * folder that is not there (tests/e2e/t8500). */
void diag_set_file(struct diag *d, const char *file)
{
    static const char mark[] = "\xE2\x80\xA6";        /* U+2026 */
    size_t n = file ? strlen(file) : 0;
    if (n < sizeof d->file) {
        snprintf(d->file, sizeof d->file, "%s", file ? file : "");
        return;
    }
    size_t keep = (sizeof d->file - sizeof mark) / 2;
    size_t head = keep, tail = n - keep;
    while (head > 0 && ((unsigned char)file[head] & 0xC0) == 0x80)
        head--;
    while (tail < n && ((unsigned char)file[tail] & 0xC0) == 0x80)
        tail++;
    memcpy(d->file, file, head);
    memcpy(d->file + head, mark, sizeof mark - 1);
    memcpy(d->file + head + sizeof mark - 1, file + tail, n - tail);
    d->file[head + sizeof mark - 1 + n - tail] = '\0';
}

int diag_set(struct diag *d, int exit_code, const char *file,
             unsigned long line, const char *fmt, ...)
{
    va_list ap;
    diag_set_file(d, file);
    d->line = line;
    d->exit_code = exit_code;
    va_start(ap, fmt);
    vsnprintf(d->reason, sizeof d->reason, fmt, ap);
    va_end(ap);
    return -1;
}

void diag_print(const struct diag *d)
{
    char buf[4 * sizeof d->file], rbuf[4 * sizeof d->reason];
    const char *file = utf8_show_path(d->file, buf, sizeof buf);
    /* A reason may quote a path as given (--out, --summary): a newline or
     * an escape in it broke the problem's line in two (tests/e2e/t9900). */
    const char *reason = utf8_show_path(d->reason, rbuf, sizeof rbuf);
    if (d->file[0] && d->line)
        fprintf(stderr, "svcrecon: %s:%lu: %s\n", file, d->line, reason);
    else if (d->file[0])
        fprintf(stderr, "svcrecon: %s: %s\n", file, reason);
    else
        fprintf(stderr, "svcrecon: %s\n", reason);
}

void diag_format(const struct diag *d, char *buf, unsigned long size)
{
    if (d->file[0])
        snprintf(buf, size, "%s: %s", d->file, d->reason);
    else
        snprintf(buf, size, "%s", d->reason);
}

/* Least severe first; the only place the order is written (diag.h and the
 * README quote it). A usage error (64) stops a command before it does
 * anything, so it only meets 70 (a failure while reporting it). */
static const int by_severity[] = {
    0, EX_DATAERR, EX_NOINPUT, EX_CANTCREAT, EX_TEMPFAIL, EX_USAGE,
    EX_SOFTWARE,
};

static int rank(int code)
{
    int n = (int)(sizeof by_severity / sizeof by_severity[0]);
    for (int i = 0; i < n; i++)
        if (by_severity[i] == code)
            return i;
    return n - 1;                 /* unexpected: as bad as 70 */
}

int diag_worse(int a, int b)
{
    return rank(b) > rank(a) ? b : a;
}

int diag_folder_of(const char *path, char *out, unsigned long size)
{
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) + (slash == path) : 0;
    const char *from = n ? path : ".";
    if (!n)
        n = 1;
    if (n >= size)
        return -1;
    memcpy(out, from, n);
    out[n] = '\0';
    return 0;
}

const char *diag_thousands(unsigned long long n, char *buf,
                           unsigned long size)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%llu", n);
    size_t o = 0;
    if (size == 0)
        return buf;
    for (int i = 0; i < len && o + 2 < size; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}
