/* lock.c -- the run lock: fcntl(F_SETLK) on DB.lock, holder named inside;
 * a loser names the holder in every case (see read_holder). */
#include "app/lock.h"

#include "lib/clock.h"
#include "lib/db.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* The holder line "pid P on HOST since WHEN" names the holder only when P
 * is the process the kernel says holds the lock (F_GETLK): a winner writes
 * its line just after it took the lock, and a holder that is leaving
 * empties it, so a loser can read an empty or an earlier holder's line.
 * 1: who filled; 0: the lock is free now (try again); -1: held by
 * *pid, whose line is not there (yet). */
static int read_holder(int fd, char *who, size_t size, long *pid)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_GETLK, &fl) != 0)
        return -1;
    if (fl.l_type == F_UNLCK)
        return 0;
    *pid = (long)fl.l_pid;         /* 0: a process our namespace cannot see */
    ssize_t n = pread(fd, who, size - 1, 0);
    who[n > 0 ? n : 0] = '\0';
    who[strcspn(who, "\n")] = '\0';
    char *end;
    long named = strncmp(who, "pid ", 4) == 0 ? strtol(who + 4, &end, 10)
                                              : 0;
    return named > 0 && named == *pid && *end == ' ' ? 1 : -1;
}

/* The holder line names the process the kernel gives as pid (seen from
 * another PID namespace), unless it was written before that process
 * started: a killed holder's line, the new holder not having written its
 * own (yet). Its "since" is in UTC; unreadable: taken as the holder's. */
static bool line_is_holders(const char *who, long pid)
{
    const char *since = strstr(who, " since ");
    struct tm tm = {0};
    double started;
    if (pid <= 0 || !since || !clock_process_started(pid, &started) ||
        sscanf(since, " since %d-%d-%d %d:%d:%d", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return true;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + 2.0 >= started;
}

/* How long a loser rereads the lock file for the holder's line, in
 * seconds of the monotonic clock. A holder writes its line just after it
 * took the lock, but a machine under load can leave it unscheduled for
 * more than a second in between: the budget was 200 tries of 5 ms (about
 * a second, counted in tries), and 1 of 30 losers then said "held by pid
 * P (it has not said where and since when)" (t4100, flaky at load 3.6).
 * Only a loser whose holder has not written its line waits this long (a
 * stalled holder, or one in another PID namespace). */
#define HOLDER_WAIT_S 5.0

/* Takes the lock, or says who holds it: when the holder's line is not
 * there yet (or the holder is leaving), the read is retried for up to
 * HOLDER_WAIT_S, and a lock freed meanwhile is taken. */
static int take(int fd, const char *db_path, const char *path,
                struct diag *d)
{
    char who[256] = "";
    long pid = 0;
    bool held = false;      /* the last look found it held, pid unnamed */
    struct timespec t0;
    clock_start(&t0);
    for (int attempt = 0; attempt < 2 ||
         clock_seconds_since(&t0) < HOLDER_WAIT_S; attempt++) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        if (fcntl(fd, F_SETLK, &fl) == 0)
            return 0;
        /* ENOLCK: a network file system with no lock service, or the
         * system's lock table full. Said with what to do (QA pass 39). */
        if (errno != EAGAIN && errno != EACCES)
            return diag_set(d, EX_CANTCREAT, path, 0, "cannot lock: %s; "
                            "svcrecon takes its run lock on this file "
                            "beside the database (fcntl): keep the database "
                            "on a local disk whose file system supports "
                            "locks, then run again (nothing was done)",
                            strerror(errno));
        int named = read_holder(fd, who, sizeof who, &pid);
        held = named == -1;
        if (named == 1)
            return diag_set(d, EX_TEMPFAIL, db_path, 0,
                            "held by %s; try later", who);
        if (named == -1) {
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    /* Still held, and the line never named the kernel's pid: a holder in
     * another PID namespace (a container sharing the database's volume,
     * or the host seen from one) wrote its pid as its namespace gives it,
     * and the kernel gives us another (0 when we cannot see it at all).
     * Its line still says who: quoted as written (qa72). */
    bool lined = held && strncmp(who, "pid ", 4) == 0 &&
                 strstr(who, " on ") && strstr(who, " since ") &&
                 line_is_holders(who, pid);
    if (lined && pid > 0)
        return diag_set(d, EX_TEMPFAIL, db_path, 0, "held by %s, its lock "
                        "file says (pid %ld to this system: a run in another "
                        "PID namespace, such as a container); try later",
                        who, pid);
    if (lined)
        return diag_set(d, EX_TEMPFAIL, db_path, 0, "held by %s, its lock "
                        "file says (a process this system cannot see: a run "
                        "in another PID namespace, such as a container); try "
                        "later", who);
    if (pid > 0)
        return diag_set(d, EX_TEMPFAIL, db_path, 0, "held by pid %ld (it "
                        "has not said where and since when); try later",
                        pid);
    return diag_set(d, EX_TEMPFAIL, db_path, 0, "held by other runs, one "
                    "after the other; try later");
}

/* "DB.lock" beside the database file itself: a database reached through
 * a symbolic link (to it or to a folder above it) takes the same lock as
 * through its real path -- else two runs wrote it at once and one failed
 * with 70. A database not created yet: the path as given. (A hard link
 * is another name of the file that no path can tell: not covered.) */
static int lock_path(const char *db_path, char *out, size_t size)
{
    char *real = realpath(db_path, NULL);
    int n = snprintf(out, size, "%s.lock", real ? real : db_path);
    free(real);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* s quoted for a POSIX shell ('it'\''s'), so that the command a message
 * gives can be pasted whatever the name; "" when it does not fit. */
static const char *shell_quoted(const char *s, char *out, size_t size)
{
    size_t n = 0;
    if (size < 3)
        return "";
    out[n++] = '\'';
    for (; *s; s++) {
        const char *piece = *s == '\'' ? "'\\''" : NULL;
        size_t len = piece ? 4 : 1;
        if (n + len + 2 > size)
            return "";
        if (piece)
            memcpy(out + n, piece, len);
        else
            out[n] = *s;
        n += len;
    }
    out[n++] = '\'';
    out[n] = '\0';
    return out;
}

/* The folder the database is to be created in: a symbolic link not
 * pointing at a file yet (a database on a disk not mounted) names the
 * folder of its target. 0, or -1 when it cannot tell. */
static int db_folder(const char *db_path, char *out, size_t size)
{
    char target[4096];
    struct stat st;
    ssize_t n = -1;
    if (lstat(db_path, &st) == 0 && S_ISLNK(st.st_mode))
        n = readlink(db_path, target, sizeof target - 1);
    if (n <= 0)
        return diag_folder_of(db_path, out, size);
    target[n] = '\0';
    if (target[0] == '/' || !strchr(db_path, '/'))
        return diag_folder_of(target, out, size);
    char link_folder[4096], joined[8200];
    if (diag_folder_of(db_path, link_folder, sizeof link_folder) != 0)
        return -1;
    snprintf(joined, sizeof joined, "%s/%s", link_folder, target);
    return diag_folder_of(joined, out, size);
}

/* The lock file's place holds something that is not a regular file. */
static int not_a_file(const char *path, mode_t mode, struct diag *d)
{
    return diag_set(d, EX_CANTCREAT, path, 0, "the lock file is not a "
                    "regular file (%s); svcrecon keeps its lock in a regular "
                    "file beside the database, and nothing was done: remove "
                    "it (no svcrecon run holds a lock on one), then run "
                    "again", S_ISFIFO(mode) ? "a FIFO" :
                    S_ISDIR(mode) ? "a folder" :
                    S_ISSOCK(mode) ? "a socket" :
                    S_ISCHR(mode) || S_ISBLK(mode) ? "a device" :
                    "a special file");
}

int lock_acquire(struct lock *l, const char *db_path, struct diag *d)
{
    char path[4200];
    l->fd = -1;
    /* A path SQLite will not open is refused before DB.lock is made:
     * import and run left a stray lock file beside it (QA pass 39). */
    if (db_path_too_long(db_path, EX_CANTCREAT, d) != 0)
        return -1;
    /* SQLite opens a database path of at most 504 bytes (db_sqlite.c),
     * which refuses the longer ones it is given with what to do; a path
     * too long for the lock file's name is refused here the same way:
     * it said "database path too long" (64) and nothing of what to do
     * (QA pass 39). */
    if (lock_path(db_path, path, sizeof path) != 0)
        return diag_set(d, EX_CANTCREAT, db_path, 0, "database path too "
                        "long: %zu bytes, and SQLite opens a database of at "
                        "most 504; give --db a shorter path (nothing was "
                        "done)", strlen(db_path));
    char folder[1024], quoted[1100];
    struct stat st;
    /* The database is created on first use, its folder is not (a typo in
     * the folder must not start an empty history elsewhere): say so,
     * before the lock file is made. A link to a database in a folder that
     * is not there (a disk not mounted) names that folder: SQLite said
     * "unable to open database file" (tests/e2e/t8500). */
    if (db_folder(db_path, folder, sizeof folder) == 0 &&
        stat(folder, &st) != 0 && errno == ENOENT)
        return diag_set(d, EX_CANTCREAT, db_path, 0, "the database's folder "
                        "'%s' does not exist; create it (mkdir -p %s), or "
                        "correct --db", folder,
                        shell_quoted(folder, quoted, sizeof quoted));
    /* Whether this run makes it, for lock_discard: by lstat, not a
     * second open (one open, as before: tests/e2e/t9985 counts a run's
     * opens to inject a fault at one). A file made by another process in
     * between is taken for ours only where lock_discard's reasoning holds
     * for it too. */
    struct stat lst;
    int lgot = lstat(path, &lst);
    l->created = lgot != 0 && errno == ENOENT;
    /* DB.lock replaced by a FIFO, a folder or a device: a FIFO still
     * took the lock, but its holder line could not be written, and a
     * second run named a pid alone (qa72); a device would be opened for
     * writing. Refused, as --db naming something that is not a file is
     * (batch_check_db_file), with what to do; before it is opened, and
     * again after (made in between). No svcrecon holds a lock on one. */
    if (lgot == 0 && !S_ISREG(lst.st_mode) && !S_ISLNK(lst.st_mode))
        return not_a_file(path, lst.st_mode, d);
    /* Never through a symbolic link: the holder's line was written over
     * the file a link there names, and that file cut to its length
     * (tests/e2e/t8500). */
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    int err = errno;
    if (fd < 0 && err == ELOOP)
        return diag_set(d, EX_CANTCREAT, path, 0, "the lock file is a "
                        "symbolic link; svcrecon writes its lock there and "
                        "never through a link: remove it (no run holds a "
                        "link), then run again");
    /* DB.lock is 5 bytes longer than the database's name: a name near
     * the file system's limit (255 bytes) fits, its lock's does not. The
     * advice below (a folder to write in) was no cure (QA pass 39). */
    if (fd < 0 && err == ENAMETOOLONG)
        return diag_set(d, EX_CANTCREAT, path, 0, "cannot create lock "
                        "file: %s; svcrecon keeps it beside the database, "
                        "named as it is with \".lock\" added, and the file "
                        "system takes no name that long (255 bytes, most "
                        "often): give --db a shorter file name (nothing was "
                        "done)", strerror(err));
    /* A lock file there that this user may not write: left by a run as
     * another user (root's first try, a shared folder with umask 077).
     * The folder was fine; the advice to pick another one was no cure
     * (QA pass 41). */
    if (fd < 0 && (err == EACCES || err == EPERM) && lgot == 0 &&
        S_ISREG(lst.st_mode))
        return diag_set(d, EX_CANTCREAT, path, 0, "cannot open the lock "
                        "file: %s; it was made by another user (uid %ld, "
                        "mode %04o): give it to the user that runs svcrecon "
                        "(chown), or remove it when no svcrecon runs on this "
                        "database, then run again", strerror(err),
                        (long)lst.st_uid, (unsigned)(lst.st_mode & 07777));
    /* Out of memory is no fault of the folder: internal, 70 (fix61; it
     * was 73 with "give --db a path in a folder ..."). */
    if (fd < 0 && err == ENOMEM)
        return diag_set(d, EX_SOFTWARE, path, 0, "out of memory opening the "
                        "lock file (nothing was done): %s", DIAG_OOM_TO_DO);
    if (fd < 0)
        return diag_set(d, EX_CANTCREAT, path, 0, "cannot create lock "
                        "file: %s; svcrecon keeps it beside the database: "
                        "give --db a path in a folder this user can create "
                        "files in", strerror(err));
    struct stat fst;
    if (fstat(fd, &fst) == 0 && !S_ISREG(fst.st_mode)) {
        close(fd);
        return not_a_file(path, fst.st_mode, d);
    }
    if (take(fd, db_path, path, d) != 0) {
        close(fd);
        return -1;
    }
    char host[256] = "?", when[32], who[400];
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    /* In UTC, said so, as PostgreSQL's holder line and every time svcrecon
     * records: a local time without its zone, written by a run in one TZ
     * (a unit in the system's zone, a container in UTC) and read by one in
     * another (an analyst's terminal), told a start hours off
     * (tests/e2e/t8800). */
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    int n = snprintf(who, sizeof who, "pid %ld on %s since %s\n",
                     (long)getpid(), host, when);
    /* Written over the old line, then cut to length: the file is never
     * empty while we hold it (a loser retries until the line names us). */
    if (pwrite(fd, who, (size_t)n, 0) != n || ftruncate(fd, n) != 0) {
        /* The lock holds all the same; losers name us by pid. */
    }
    l->fd = fd;
    snprintf(l->path, sizeof l->path, "%s", path);
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

void lock_discard(struct lock *l)
{
    if (l->fd >= 0 && l->created && unlink(l->path) != 0) {
        /* left as before this fix: a stray lock file, nothing worse */
    }
    lock_release(l);
}
