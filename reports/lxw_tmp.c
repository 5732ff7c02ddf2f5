/* lxw_tmp.c -- libxlsxwriter's temporary files, with their writes checked
 * (see lxw_tmp.h for why this replaces the library's lxw_tmpfile()).
 *
 * A file is made with mkstemp() in the workbook's tmpdir (report.c points
 * that at the run's own temporary folder) and unlinked at once, as the
 * library's tmpfileplus() does; should the unlink fail, the folder's
 * removal at the end of the report takes the file with it. */
#define _GNU_SOURCE
#include "reports/lxw_tmp.h"

#include <errno.h>
#include <pthread.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tmp_cookie {
    int   fd;
    FILE *f;                  /* the stream, for its error flag */
    struct tmp_cookie *prev, *next;   /* the open ones, see below */
};

/* The open streams' cookies. libxlsxwriter leaves the temporary file of a
 * sheet that never got a row unclosed when its workbook fails; glibc keeps
 * such a stream on its list of open files, but the cookie, which only the
 * stream points to (behind glibc's pointer mangling), would look leaked to
 * LeakSanitizer. Kept here, it is what it is: an open file. */
static struct tmp_cookie *open_list;
static pthread_mutex_t open_mu = PTHREAD_MUTEX_INITIALIZER;

static unsigned long n_failures, n_files;
static int first_errno;

static void failed(int e)
{
    int zero = 0;
    __atomic_compare_exchange_n(&first_errno, &zero, e ? e : EIO, 0,
                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&n_failures, 1, __ATOMIC_SEQ_CST);
}

unsigned long lxw_tmp_failures(int *e)
{
    if (e)
        *e = __atomic_load_n(&first_errno, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&n_failures, __ATOMIC_SEQ_CST);
}

unsigned long lxw_tmp_files(void)
{
    return __atomic_load_n(&n_files, __ATOMIC_SEQ_CST);
}

/* A write the library made and did not check: a failed stdio call sets
 * the flag (glibc's callbacks run with the stream locked by this thread,
 * hence the unlocked read). */
static void check_flag(struct tmp_cookie *c)
{
    if (c->f && ferror_unlocked(c->f))
        failed(errno);
}

static ssize_t tmp_write(void *cookie, const char *buf, size_t size)
{
    struct tmp_cookie *c = cookie;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(c->fd, buf + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            failed(n < 0 ? errno : ENOSPC);
            return done ? (ssize_t)done : -1;
        }
        done += (size_t)n;
    }
    return (ssize_t)done;
}

static ssize_t tmp_read(void *cookie, char *buf, size_t size)
{
    struct tmp_cookie *c = cookie;
    ssize_t n;
    while ((n = read(c->fd, buf, size)) < 0 && errno == EINTR)
        ;
    return n;
}

static int tmp_seek(void *cookie, off64_t *pos, int whence)
{
    struct tmp_cookie *c = cookie;
    check_flag(c);                /* rewind() clears it once we return */
    off_t at = lseek(c->fd, (off_t)*pos, whence);
    if (at < 0)
        return -1;
    *pos = (off64_t)at;
    return 0;
}

static int tmp_close(void *cookie)
{
    struct tmp_cookie *c = cookie;
    check_flag(c);
    pthread_mutex_lock(&open_mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        open_list = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&open_mu);
    int rc = close(c->fd);
    free(c);
    return rc;
}

FILE *lxw_tmpfile(char *tmpdir)
{
    static const cookie_io_functions_t io = {tmp_read, tmp_write, tmp_seek,
                                             tmp_close};
    const char *dir = tmpdir ? tmpdir : getenv("TMPDIR");
    char path[4200];
    struct tmp_cookie *c = malloc(sizeof *c);
    if (!c) {
        errno = ENOMEM;
        return NULL;
    }
    if ((size_t)snprintf(path, sizeof path, "%s/tmp.XXXXXXXXXX",
                         dir && *dir ? dir : "/tmp") >= sizeof path ||
        (c->fd = mkstemp(path)) < 0) {
        free(c);
        return NULL;
    }
    unlink(path);
    c->f = NULL;
    FILE *f = fopencookie(c, "w+", io);
    if (!f) {
        close(c->fd);
        free(c);
        return NULL;
    }
    c->f = f;
    pthread_mutex_lock(&open_mu);
    c->prev = NULL;
    c->next = open_list;
    if (open_list)
        open_list->prev = c;
    open_list = c;
    pthread_mutex_unlock(&open_mu);
    __atomic_add_fetch(&n_files, 1, __ATOMIC_SEQ_CST);
    return f;
}

void lxw_tmp_close_orphans(void)
{
    for (;;) {
        pthread_mutex_lock(&open_mu);
        FILE *f = open_list ? open_list->f : NULL;
        pthread_mutex_unlock(&open_mu);
        if (!f)
            return;
        __fpurge(f);              /* its workbook is gone: write nothing */
        fclose(f);                /* tmp_close() takes it off the list */
    }
}
