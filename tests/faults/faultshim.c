/* faultshim.c -- an LD_PRELOAD shim that fails the Nth call of chosen
 * system and stdio calls, for the fault sweeps (tests/faults/README.md).
 *
 * Environment (all optional; without FAULT_AT the shim only counts):
 *   FAULT_CALLS  comma list of the calls that count, from: write pwrite
 *                fsync fdatasync rename openat unlink fwrite fputs fputc
 *                fflush fclose fprintf fopen fread; "all" (default) is
 *                every one but fopen and fread (the sweeps fail outputs;
 *                these read the feeds, named only by tests that want a
 *                feed's open or read to fail: fread's error is the
 *                stream's, as a disk's read error would set it).
 *                openat covers open/open64/openat/openat64; pwrite also
 *                pwrite64; unlink also unlinkat; fprintf the printf family
 *                libxlsxwriter uses (fprintf, vfprintf, __fprintf_chk,
 *                __vfprintf_chk); fopen also fopen64.
 *   FAULT_AT     the 1-based index, among counted calls, of the first
 *                call that fails (0 or unset: none fails).
 *   FAULT_MODE   once (default): that call only; sticky: it and every
 *                counted call after it (a disk that stays full).
 *   FAULT_ERRNO  ENOSPC (default), EIO or ENOMEM (an open or a write the
 *                system cannot find memory for).
 *   FAULT_DELAY_MS  instead of failing call FAULT_AT, sleep this long
 *                before doing it (to widen a race window).
 *   FAULT_LOG    a file the shim appends to: "fault N FN [PATH]" when it
 *                fails a call ("delay N FN [PATH]" when it delays one),
 *                and "calls N" at exit (the count of counted calls, to
 *                know how many points a sweep has). PATH: the path the
 *                call names, or for write, pwrite, fsync and fdatasync
 *                the file their descriptor has open (/proc/self/fd), so
 *                that a test can fail the write of one file (fix57: the
 *                database's -wal at a report's COMMIT).
 * Calls on file descriptors 0-2 (and stdin/stdout/stderr streams) never
 * count: a full disk does not stop messages reaching a terminal or a pipe.
 * A failed call does nothing and returns the call's error value with
 * errno set; a stream gets its error flag set, as a real failed write
 * would; fclose still closes (and frees) the stream, then fails. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { C_WRITE, C_PWRITE, C_FSYNC, C_FDATASYNC, C_RENAME, C_OPENAT,
       C_UNLINK, C_FWRITE, C_FPUTS, C_FPUTC, C_FFLUSH, C_FCLOSE, C_FPRINTF,
       C_FOPEN, C_FREAD, C_N };
static const char *const names[C_N] = {
    "write", "pwrite", "fsync", "fdatasync", "rename", "openat", "unlink",
    "fwrite", "fputs", "fputc", "fflush", "fclose", "fprintf", "fopen",
    "fread"};

static int enabled[C_N];
static long fault_at, delay_ms;
static int sticky, fault_errno = ENOSPC, ready;
static long n_calls;
static char log_path[1024];

/* The real functions, found once (dlsym(RTLD_NEXT) does not allocate
 * for these). */
#define REAL(ret, name, ...) \
    static ret (*real_##name)(__VA_ARGS__); \
    if (!real_##name) \
        real_##name = (ret (*)(__VA_ARGS__))dlsym(RTLD_NEXT, #name)

static void log_line(const char *fmt, ...)
{
    static int (*ropen)(const char *, int, ...);
    static ssize_t (*rwrite)(int, const void *, size_t);
    char line[1200];
    va_list ap;
    if (!log_path[0])
        return;
    if (!ropen) {
        ropen = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
        rwrite = (ssize_t (*)(int, const void *, size_t))
                     dlsym(RTLD_NEXT, "write");
    }
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    int fd = ropen(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (rwrite(fd, line, (size_t)n) != n) {
            /* nothing to do: the sweep then sees no fault line */
        }
        close(fd);
    }
}

__attribute__((constructor)) static void shim_init(void)
{
    const char *calls = getenv("FAULT_CALLS");
    const char *v;
    if (!calls || !*calls || strcmp(calls, "all") == 0)
        calls = "write,pwrite,fsync,fdatasync,rename,openat,unlink,fwrite,"
                "fputs,fputc,fflush,fclose,fprintf";
    for (int k = 0; k < C_N; k++) {
        size_t n = strlen(names[k]);
        for (const char *p = calls; (p = strstr(p, names[k])) != NULL;
             p += n)
            if ((p == calls || p[-1] == ',') && (p[n] == ',' || !p[n]))
                enabled[k] = 1;
    }
    fault_at = (v = getenv("FAULT_AT")) ? atol(v) : 0;
    delay_ms = (v = getenv("FAULT_DELAY_MS")) ? atol(v) : 0;
    sticky = (v = getenv("FAULT_MODE")) && strcmp(v, "sticky") == 0;
    v = getenv("FAULT_ERRNO");
    fault_errno = v && strcmp(v, "EIO") == 0      ? EIO
                  : v && strcmp(v, "ENOMEM") == 0 ? ENOMEM
                                                  : ENOSPC;
    if ((v = getenv("FAULT_LOG")) != NULL)
        snprintf(log_path, sizeof log_path, "%s", v);
    ready = 1;
}

__attribute__((destructor)) static void shim_fini(void)
{
    log_line("calls %ld\n", __atomic_load_n(&n_calls, __ATOMIC_SEQ_CST));
}

/* The path a call names, or the file its descriptor fd has open ("" when
 * unknown). */
static const char *shown_path(int fd, const char *path, char *buf,
                              size_t size)
{
    char link[40];
    if (path)
        return path;
    if (fd < 0)
        return "";
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, size - 1);
    if (n <= 0)
        return "";
    buf[n] = '\0';
    return buf;
}

/* Counts a call of kind k (on fd, -1 when none) and says whether it
 * fails; errno is set when it does. */
static int fails(int k, int fd, const char *path)
{
    char buf[1024];
    if (!ready || !enabled[k] || (fd >= 0 && fd <= 2))
        return 0;
    long n = __atomic_add_fetch(&n_calls, 1, __ATOMIC_SEQ_CST);
    if (fault_at <= 0 || n < fault_at || (n > fault_at && !sticky))
        return 0;
    if (delay_ms > 0) {
        struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
        log_line("delay %ld %s %s\n", n, names[k],
                 shown_path(fd, path, buf, sizeof buf));
        nanosleep(&ts, NULL);
        return 0;
    }
    log_line("fault %ld %s %s\n", n, names[k],
             shown_path(fd, path, buf, sizeof buf));
    errno = fault_errno;
    return 1;
}

static int stream_fd(FILE *f)
{
    return f == stdout || f == stderr || f == stdin ? 0 : -1;
}

static void set_error(FILE *f)
{
    f->_flags |= 0x0020;        /* glibc's _IO_ERR_SEEN: ferror() is true */
}

/* ---- system calls ---------------------------------------------------- */

ssize_t write(int fd, const void *buf, size_t n)
{
    REAL(ssize_t, write, int, const void *, size_t);
    return fails(C_WRITE, fd, NULL) ? -1 : real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    REAL(ssize_t, pwrite, int, const void *, size_t, off_t);
    return fails(C_PWRITE, fd, NULL) ? -1 : real_pwrite(fd, buf, n, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    REAL(ssize_t, pwrite64, int, const void *, size_t, off_t);
    return fails(C_PWRITE, fd, NULL) ? -1 : real_pwrite64(fd, buf, n, off);
}

int fsync(int fd)
{
    REAL(int, fsync, int);
    return fails(C_FSYNC, fd, NULL) ? -1 : real_fsync(fd);
}

int fdatasync(int fd)
{
    REAL(int, fdatasync, int);
    return fails(C_FDATASYNC, fd, NULL) ? -1 : real_fdatasync(fd);
}

int rename(const char *from, const char *to)
{
    REAL(int, rename, const char *, const char *);
    return fails(C_RENAME, -1, to) ? -1 : real_rename(from, to);
}

int unlink(const char *path)
{
    REAL(int, unlink, const char *);
    return fails(C_UNLINK, -1, path) ? -1 : real_unlink(path);
}

int unlinkat(int dirfd, const char *path, int flags)
{
    REAL(int, unlinkat, int, const char *, int);
    return fails(C_UNLINK, -1, path) ? -1 : real_unlinkat(dirfd, path, flags);
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE
               ? (mode_t)va_arg(ap, int) : 0;
}

#define OPEN_SHIM(name, ...)                                               \
    int name(__VA_ARGS__, int flags, ...)                                  \
    {                                                                      \
        va_list ap;                                                        \
        va_start(ap, flags);                                               \
        mode_t mode = mode_arg(flags, ap);                                 \
        va_end(ap);

OPEN_SHIM(open, const char *path)
    REAL(int, open, const char *, int, ...);
    return fails(C_OPENAT, -1, path) ? -1 : real_open(path, flags, mode);
}

OPEN_SHIM(open64, const char *path)
    REAL(int, open64, const char *, int, ...);
    return fails(C_OPENAT, -1, path) ? -1 : real_open64(path, flags, mode);
}

OPEN_SHIM(openat, int dirfd, const char *path)
    REAL(int, openat, int, const char *, int, ...);
    return fails(C_OPENAT, -1, path) ? -1
                                     : real_openat(dirfd, path, flags, mode);
}

OPEN_SHIM(openat64, int dirfd, const char *path)
    REAL(int, openat64, int, const char *, int, ...);
    return fails(C_OPENAT, -1, path) ? -1
                                     : real_openat64(dirfd, path, flags, mode);
}

/* ---- stdio ------------------------------------------------------------- */

/* glibc's fopen opens without going through open(): counted apart. */
FILE *fopen(const char *path, const char *mode)
{
    REAL(FILE *, fopen, const char *, const char *);
    return fails(C_FOPEN, -1, path) ? NULL : real_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
    REAL(FILE *, fopen64, const char *, const char *);
    return fails(C_FOPEN, -1, path) ? NULL : real_fopen64(path, mode);
}

size_t fread(void *p, size_t size, size_t n, FILE *f)
{
    REAL(size_t, fread, void *, size_t, size_t, FILE *);
    if (fails(C_FREAD, f == stdin ? 0 : fileno(f), NULL)) {
        set_error(f);
        return 0;
    }
    return real_fread(p, size, n, f);
}

size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    REAL(size_t, fwrite, const void *, size_t, size_t, FILE *);
    if (fails(C_FWRITE, stream_fd(f), NULL)) {
        set_error(f);
        return 0;
    }
    return real_fwrite(p, size, n, f);
}

int fputs(const char *s, FILE *f)
{
    REAL(int, fputs, const char *, FILE *);
    if (fails(C_FPUTS, stream_fd(f), NULL)) {
        set_error(f);
        return EOF;
    }
    return real_fputs(s, f);
}

int fputc(int c, FILE *f)
{
    REAL(int, fputc, int, FILE *);
    if (fails(C_FPUTC, stream_fd(f), NULL)) {
        set_error(f);
        return EOF;
    }
    return real_fputc(c, f);
}

int fflush(FILE *f)
{
    REAL(int, fflush, FILE *);
    if (f && fails(C_FFLUSH, stream_fd(f), NULL)) {
        set_error(f);
        return EOF;
    }
    return real_fflush(f);
}

int fclose(FILE *f)
{
    REAL(int, fclose, FILE *);
    int failed = fails(C_FCLOSE, stream_fd(f), NULL);
    int rc = real_fclose(f);
    if (failed) {
        errno = fault_errno;
        return EOF;
    }
    return rc;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    REAL(int, vfprintf, FILE *, const char *, va_list);
    if (fails(C_FPRINTF, stream_fd(f), NULL)) {
        set_error(f);
        return -1;
    }
    return real_vfprintf(f, fmt, ap);
}

int fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfprintf(f, fmt, ap);
    va_end(ap);
    return rc;
}

int __vfprintf_chk(FILE *f, int flag, const char *fmt, va_list ap)
{
    REAL(int, __vfprintf_chk, FILE *, int, const char *, va_list);
    if (fails(C_FPRINTF, stream_fd(f), NULL)) {
        set_error(f);
        return -1;
    }
    return real___vfprintf_chk(f, flag, fmt, ap);
}

int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = __vfprintf_chk(f, flag, fmt, ap);
    va_end(ap);
    return rc;
}
