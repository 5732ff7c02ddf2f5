/* lxw_mute.c -- libxlsxwriter's own lines on stderr, kept off it (see
 * lxw_mute.h). When the memory file or the copy of fd 2 cannot be made,
 * nothing is muted: libxlsxwriter's lines then show, as before. */
#include "reports/lxw_mute.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* A sanitizer's report (ASan, UBSan: tests, fuzzing) made while muted
 * goes to the real stderr, not into the memory file, which a crash would
 * take with it; at the end they go to fd 2 again (a log_path given in
 * ASAN_OPTIONS would then be left: none of our tests gives one). The
 * sanitizer runtime's function, weak: absent (NULL) in a build without
 * one. */
extern void __sanitizer_set_report_fd(void *fd) __attribute__((weak));

static void sanitizer_report_fd(int fd)
{
    if (__sanitizer_set_report_fd)
        __sanitizer_set_report_fd((void *)(intptr_t)fd);
}

static pthread_mutex_t mute_mu = PTHREAD_MUTEX_INITIALIZER;
static int mute_depth;           /* begins not yet ended */
static int saved_fd = -1;        /* the real fd 2 while muted, else -1 */
static int memory_fd = -1;       /* what fd 2 points at while muted */

void lxw_mute_begin(void)
{
    pthread_mutex_lock(&mute_mu);
    if (mute_depth++ == 0) {
        fflush(stderr);
        /* memfd_create(2) by number: its glibc wrapper needs _GNU_SOURCE.
         * A memory file: a full disk cannot stop it, and it never blocks
         * as a full pipe would. 1 is MFD_CLOEXEC. */
        memory_fd = (int)syscall(SYS_memfd_create, "svcrecon-lxw", 1U);
        saved_fd = memory_fd < 0 ? -1 : fcntl(2, F_DUPFD_CLOEXEC, 3);
        if (saved_fd < 0 || dup2(memory_fd, 2) < 0) {
            if (saved_fd >= 0)
                close(saved_fd);
            if (memory_fd >= 0)
                close(memory_fd);
            saved_fd = memory_fd = -1;
        } else {
            sanitizer_report_fd(saved_fd);
        }
    }
    pthread_mutex_unlock(&mute_mu);
}

/* libxlsxwriter's lines: LXW_ERROR, LXW_WARN and workbook_close()'s own. */
static int from_libxlsxwriter(const char *line)
{
    return strncmp(line, "[ERROR]", 7) == 0 ||
           strncmp(line, "[WARNING]", 9) == 0;
}

/* The memory file's lines to stderr, but libxlsxwriter's; closes fd. */
static void pass_on(int fd)
{
    FILE *f = lseek(fd, 0, SEEK_SET) == 0 ? fdopen(fd, "r") : NULL;
    char *line = NULL;
    size_t size = 0;
    if (!f) {
        close(fd);
        return;
    }
    while (getline(&line, &size, f) != -1)
        if (!from_libxlsxwriter(line))
            fputs(line, stderr);
    free(line);
    fclose(f);
}

void lxw_mute_end(void)
{
    pthread_mutex_lock(&mute_mu);
    if (--mute_depth == 0 && saved_fd >= 0) {
        fflush(stderr);
        sanitizer_report_fd(2);
        dup2(saved_fd, 2);
        close(saved_fd);
        saved_fd = -1;
        pass_on(memory_fd);
        memory_fd = -1;
    }
    pthread_mutex_unlock(&mute_mu);
}

void lxw_mute_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&mute_mu);
    if (saved_fd >= 0)
        vdprintf(saved_fd, fmt, ap);
    else
        vfprintf(stderr, fmt, ap);
    pthread_mutex_unlock(&mute_mu);
    va_end(ap);
}

/* The width of the terminal on fd; 80 when it does not say. */
static size_t term_cols(int fd)
{
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

void lxw_mute_status(const char *line, const char *shorter)
{
    pthread_mutex_lock(&mute_mu);
    int fd = saved_fd >= 0 ? saved_fd : 2;
    size_t room = term_cols(fd) - 1;
    const char *fit = strlen(line) <= room ? line
                      : shorter && strlen(shorter) <= room ? shorter : "";
    if (saved_fd < 0)
        fflush(stderr);
    dprintf(fd, "\r\033[K%s", fit);
    pthread_mutex_unlock(&mute_mu);
}
