/* lock.c -- the run lock: fcntl(F_SETLK) on DB.lock, holder named inside. */
#include "app/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int lock_acquire(struct lock *l, const char *db_path, struct diag *d)
{
    char path[4200];
    l->fd = -1;
    if ((size_t)snprintf(path, sizeof path, "%s.lock", db_path) >=
        sizeof path)
        return diag_set(d, EX_USAGE, db_path, 0, "database path too long");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return diag_set(d, EX_CANTCREAT, path, 0, "cannot create lock "
                        "file: %s", strerror(errno));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        int err = errno;
        char who[256] = "";
        ssize_t n = pread(fd, who, sizeof who - 1, 0);
        close(fd);
        if (err != EAGAIN && err != EACCES)
            return diag_set(d, EX_CANTCREAT, path, 0, "cannot lock: %s",
                            strerror(err));
        who[n > 0 ? n : 0] = '\0';
        who[strcspn(who, "\n")] = '\0';
        return diag_set(d, EX_TEMPFAIL, db_path, 0,
                        "held by %s; try later",
                        who[0] ? who : "another run");
    }
    char host[256] = "?", when[32], who[400];
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    int n = snprintf(who, sizeof who, "pid %ld on %s since %s\n",
                     (long)getpid(), host, when);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, who, (size_t)n, 0) != n) {
        /* The lock holds all the same; only the holder's name is lost. */
    }
    l->fd = fd;
    return 0;
}

void lock_release(struct lock *l)
{
    if (l->fd >= 0) {
        if (ftruncate(l->fd, 0) != 0) {
            /* harmless: the next holder overwrites it */
        }
        close(l->fd);
    }
    l->fd = -1;
}
