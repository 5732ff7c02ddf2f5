/* db_sqlite.c -- the SQLite back end of the database seam (lib/db.h): each
 * db_lite_* function is lib/db.h's db_* of the same name for a SQLite
 * database (lib/db.c picks the back end; the schema migrations run there,
 * over lib/db.h, after db_lite_open). The only file that includes
 * <sqlite3.h> (tests/check-layers.py).
 *
 * Pragmas: WAL so that report readers never block on a writer, NORMAL
 * synchronous (a commit survives a crash of the process; WAL keeps the file
 * consistent on power loss), foreign keys on (off by default in SQLite),
 * 16 KiB pages for a new database and no allocation statistics (faster
 * loads).
 *
 * A struct db_lite_stmt is the sqlite3_stmt itself (a cast, no allocation and no
 * indirection on the loader's hot path); its connection is
 * sqlite3_db_handle(). */
#include "lib/db_lite.h"

#include "lib/db_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The writer's WAL checkpoints, run by a thread of their own on a second
 * connection (start_checkpointer): see there. */
struct checkpointer {
    sqlite3        *h;          /* the thread's own connection */
    pthread_t       thread;
    pthread_mutex_t mu;
    pthread_cond_t  cv;
    bool            pending;    /* a commit left >= CKPT_PAGES in the WAL */
    bool            stop;
    int             io_errno;   /* a checkpoint's I/O error (its sync):
                                   the system's errno, or -1 for none kept */
};

struct db_lite {
    sqlite3            *h;
    enum db_mode        mode;
    struct checkpointer *ck;    /* NULL: SQLite's own, in the COMMIT */
    bool                finished;   /* db_lite_finish() ran */
    int                 ck_errno;   /* the checkpointer's io_errno, kept */
};

static sqlite3_stmt *S(struct db_lite_stmt *st)
{
    return (sqlite3_stmt *)st;
}

/* The process that holds SQLite's write lock on database `path`, in
 * words ("pid 4242, sqlite3"); "" when none is seen. SQLite locks with
 * POSIX record locks, which F_GETLK shows with their owner's pid: in WAL
 * mode byte 120 of DB-shm is the writer's lock (sqlite3.c, UNIX_SHM_BASE,
 * WAL_WRITE_LOCK); in rollback-journal mode (another program may have set
 * journal_mode = DELETE) the PENDING, RESERVED and SHARED bytes of the
 * file itself from 0x40000000. Another host's process (a network file
 * system) is not named. Linux's /proc gives the program's name. */
static void lock_holder(const char *path, char *who, size_t size,
                        long *pid_out, bool *svcrecon)
{
    *pid_out = 0;
    *svcrecon = false;
    static const struct { const char *suffix; off_t start, len; } at[] = {
        {"-shm", 120, 1}, {"", 0x40000000, 2 + 510},
    };
    who[0] = '\0';
    for (size_t i = 0; path && i < sizeof at / sizeof at[0]; i++) {
        char name[4200];
        if ((size_t)snprintf(name, sizeof name, "%s%s", path, at[i].suffix)
            >= sizeof name)
            return;
        int fd = open(name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                           .l_start = at[i].start, .l_len = at[i].len};
        int rc = fcntl(fd, F_GETLK, &fl);
        close(fd);
        if (rc != 0 || fl.l_type == F_UNLCK || fl.l_pid <= 0)
            continue;
        char comm_path[64], comm[64] = "";
        snprintf(comm_path, sizeof comm_path, "/proc/%ld/comm",
                 (long)fl.l_pid);
        FILE *f = fopen(comm_path, "r");
        if (f) {
            if (!fgets(comm, sizeof comm, f))
                comm[0] = '\0';
            fclose(f);
        }
        comm[strcspn(comm, "\n")] = '\0';
        snprintf(who, size, comm[0] ? "pid %ld, %s" : "pid %ld",
                 (long)fl.l_pid, comm);
        *pid_out = (long)fl.l_pid;
        /* svcrecon by its name, or this very program under another name
         * (a build run from its folder, a copy a test or an operator
         * renamed): the same file as our own executable */
        char exe[64];
        struct stat mine, its;
        snprintf(exe, sizeof exe, "/proc/%ld/exe", (long)fl.l_pid);
        *svcrecon = strcmp(comm, "svcrecon") == 0 ||
                    (stat("/proc/self/exe", &mine) == 0 &&
                     stat(exe, &its) == 0 && mine.st_dev == its.st_dev &&
                     mine.st_ino == its.st_ino);
        return;
    }
}

/* The run lock's line ("pid P on HOST since WHEN") of database path's
 * DB.lock (app/lock.c) when it names pid and pid holds that lock: true
 * and line filled; else false. */
static bool holder_line(const char *path, long pid, char *line, size_t size)
{
    char name[4200];
    char *real = path && path[0] ? realpath(path, NULL) : NULL;
    bool fits = real && (size_t)snprintf(name, sizeof name, "%s.lock",
                                         real) < sizeof name;
    free(real);
    if (!fits)
        return false;
    int fd = open(name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    ssize_t n = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK &&
                (long)fl.l_pid == pid ? pread(fd, line, size - 1, 0) : -1;
    close(fd);
    line[n > 0 ? n : 0] = '\0';
    line[strcspn(line, "\n")] = '\0';
    char *end;
    return strncmp(line, "pid ", 4) == 0 &&
           strtol(line + 4, &end, 10) == pid && *end == ' ';
}

/* The last part of path ("" for NULL). */
static const char *base_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path ? path : "";
}

/* The folder SQLite's unix VFS puts its temporary files in (the TEMP
 * tables' pages past their cache, sorts, statement journals): the first
 * of SQLITE_TMPDIR, TMPDIR, /var/tmp, /usr/tmp, /tmp that is a folder this
 * user can write in (sqlite3.c unixTempFileDir, which svcrecon does not
 * change); NULL when none is. */
static const char *sqlite_temp_dir(void)
{
    const char *dirs[] = {getenv("SQLITE_TMPDIR"), getenv("TMPDIR"),
                          "/var/tmp", "/usr/tmp", "/tmp"};
    struct stat st;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (dirs[i] && *dirs[i] && stat(dirs[i], &st) == 0 &&
            S_ISDIR(st.st_mode) && access(dirs[i], W_OK | X_OK) == 0)
            return dirs[i];
    return NULL;
}

/* What to do when memory runs out, as every out-of-memory line says it
 * (README, exit code 70; qa83: "X: out of memory" alone said nothing). */
#define OOM_TO_DO "; " DIAG_OOM_TO_DO " (what was committed is kept)"

/* Fills d from the connection's last error, with what was being done;
 * returns -1. SQLITE_BUSY/LOCKED -> EX_TEMPFAIL, READONLY/CANTOPEN/FULL/
 * IOERR/PERM -> EX_CANTCREAT, NOTADB/CORRUPT -> EX_DATAERR, else
 * EX_SOFTWARE. d may be NULL (nothing filled). */
static int fail(sqlite3 *h, struct diag *d, const char *what)
{
    if (!d)
        return -1;
    int rc = h ? sqlite3_extended_errcode(h) & 0xff : SQLITE_ERROR;
    int code;
    switch (rc) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = EX_TEMPFAIL;
        break;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_PERM:
        code = EX_CANTCREAT;
        break;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        code = EX_DATAERR;
        break;
    default:
        code = EX_SOFTWARE;
    }
    /* "disk I/O error" alone does not say the disk is full or the file
     * too large: add the system's words when SQLite kept them. */
    int sys = h && code == EX_CANTCREAT ? sqlite3_system_errno(h) : 0;
    /* A full disk: what to do (each file loads in one transaction, so the
     * files committed stay and the next run loads the rest). */
    const char *to_do = rc == SQLITE_FULL || sys == ENOSPC ?
        "; free space on the database's disk, then run again (what was "
        "committed is kept; the run completes the rest)" :
        /* a truncated copy, a disk error: SQLite's words alone ("database
         * disk image is malformed") said nothing of what to do */
        code == EX_DATAERR ? "; the database file is damaged: restore it "
        "from a backup, then run again" :
        /* "out of memory" alone said nothing of what to do, where every
         * other out-of-memory line does (README, exit 70; qa83) */
        rc == SQLITE_NOMEM ? OOM_TO_DO :
        /* "disk I/O error" (a failing disk, a lost network share; the
         * system's words, when SQLite kept them, are added below) said
         * nothing of what to do (qa82) */
        rc == SQLITE_IOERR && (sys == EIO || sys == 0) ? "; check the database's disk (an input/"
        "output error: a failing disk or a lost network share), then run "
        "again (what was committed is kept)" : "";
    char busy[500] = "";
    /* The disk that filled may be the one of SQLite's temporary folder,
     * not the database's: a large night's TEMP tables spill there. "free
     * space on the database's disk" sent the operator to a disk with room
     * while /tmp (a small tmpfs) was full (qa72). When the two are other
     * file systems, both are named. */
    const char *db_file = h ? sqlite3_db_filename(h, "main") : NULL;
    const char *tmp_dir = rc == SQLITE_FULL || sys == ENOSPC ?
                          sqlite_temp_dir() : NULL;
    struct stat dbst, tmpst;
    if (tmp_dir && db_file && *db_file && stat(db_file, &dbst) == 0 &&
        stat(tmp_dir, &tmpst) == 0 && dbst.st_dev != tmpst.st_dev) {
        snprintf(busy, sizeof busy, "; free space on the database's disk, "
                 "or in SQLite's temporary folder %.200s (SQLITE_TMPDIR, "
                 "else TMPDIR, else /var/tmp: the run's temporary tables "
                 "are kept there), then run again (what was committed is "
                 "kept; the run completes the rest)", tmp_dir);
        to_do = busy;
    }
    /* A file with more than one name (hard links): a run through each name
     * keeps its own NAME-wal, and the run lock (DB.lock, by name) does not
     * keep them apart, so two nights at once through two names read each
     * other's pages as "malformed"; the file was then found whole, and
     * restoring a backup would have thrown away committed nights (QA pass
     * 41). Say so rather than "restore it". */
    struct stat st;
    const char *main_file = h ? sqlite3_db_filename(h, "main") : NULL;
    if (rc == SQLITE_CORRUPT && main_file && *main_file &&
        stat(main_file, &st) == 0 && st.st_nlink > 1) {
        snprintf(busy, sizeof busy, "; the database file has %ld names "
                 "(hard links), and a run through another name keeps its "
                 "own -wal file, which the run lock does not see: run "
                 "svcrecon through one name only; check the file (sqlite3 "
                 "DB 'PRAGMA integrity_check') and restore it from a backup "
                 "only if that finds damage", (long)st.st_nlink);
        to_do = busy;
    }
    /* A hot journal (DB-journal of a program that stopped mid-transaction,
     * the database left in rollback-journal mode): only a writer can roll
     * it back, and explain and copy --from open read-only. SQLite said
     * "attempt to write a readonly database" of a file that is writable
     * (QA pass 30). */
    if (h && sqlite3_extended_errcode(h) == SQLITE_READONLY_ROLLBACK) {
        snprintf(busy, sizeof busy, ": a program stopped in the middle of "
                 "a transaction and left %.150s-journal (a hot journal), "
                 "which only a writer can roll back: run svcrecon import, "
                 "report or run once (they roll it back; the database is "
                 "then as before that transaction), then run this again",
                 base_name(sqlite3_db_filename(h, "main")));
        to_do = busy;
    }
    /* Busy past the 2 s timeout: another program's transaction (an
     * auditor's sqlite3 shell or DB Browser left in BEGIN IMMEDIATE, or
     * with changes not written). SQLite says only "database is locked":
     * name the holder when the lock shows it, and what to do (QA pass 30). */
    if (code == EX_TEMPFAIL) {
        char who[100], line[200] = "";
        long pid;
        bool svcrecon;
        const char *file = h ? sqlite3_db_filename(h, "main") : NULL;
        lock_holder(file, who, sizeof who, &pid, &svcrecon);
        /* The holder is another svcrecon: nothing to COMMIT or ROLLBACK
         * by hand, it ends by itself (QA pass 39: it was told "end that
         * program's transaction ... DB Browser"). Named by DB.lock when
         * that is its run lock (a reader takes none); else it writes
         * without the run lock this run holds -- DB.lock removed while it
         * ran, or the database reached by another path (a hard link, a
         * bind mount; app/lock.c). */
        if (svcrecon && holder_line(file, pid, line, sizeof line))
            snprintf(busy, sizeof busy, ": another svcrecon run (%.150s, "
                     "as its lock file says) is writing the database; the "
                     "transaction in flight was rolled back, what was "
                     "committed is kept: try later", line);
        else if (svcrecon)
            snprintf(busy, sizeof busy, ": another svcrecon (pid %ld) "
                     "holds a write transaction on the database without "
                     "the run lock (DB.lock removed while it ran, or the "
                     "database reached by another path: a hard link, a "
                     "bind mount); the transaction in flight was rolled "
                     "back, what was committed is kept: wait for pid %ld "
                     "to end (it ends by itself), then run again, and "
                     "never remove DB.lock", pid, pid);
        else
            snprintf(busy, sizeof busy, ": another program%s%s%s holds a "
                     "write transaction on the database; the "
                     "transaction in flight was rolled back, what was "
                     "committed is kept: end that program's transaction "
                     "(COMMIT or ROLLBACK; DB Browser: Write or Revert "
                     "Changes), then run again", who[0] ? " (" : "", who,
                     who[0] ? ")" : "");
        to_do = busy;
    }
    return diag_set(d, code, h ? sqlite3_db_filename(h, "main") : NULL, 0,
                    "%s: %s%s%s%s", what,
                    h ? sqlite3_errmsg(h) : "no database",
                    sys ? ": " : "", sys ? strerror(sys) : "", to_do);
}

/* ---- statements --------------------------------------------------------- */

int db_lite_prepare(struct db_lite *db, const char *sql, struct db_lite_stmt **st,
               struct diag *d, const char *what)
{
    sqlite3_stmt *s = NULL;
    *st = NULL;
    if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &s,
                           NULL) != SQLITE_OK)
        return fail(db->h, d, what);
    *st = (struct db_lite_stmt *)s;
    return 0;
}

void db_lite_finalize(struct db_lite_stmt *st)
{
    sqlite3_finalize(S(st));
}

void db_lite_reset(struct db_lite_stmt *st)
{
    sqlite3_reset(S(st));
}

void db_lite_clear_bindings(struct db_lite_stmt *st)
{
    sqlite3_clear_bindings(S(st));
}

int db_lite_param(struct db_lite_stmt *st, const char *name)
{
    return sqlite3_bind_parameter_index(S(st), name);
}

/* -1 when SQLite could not copy the value (SQLITE_NOMEM): the parameter
 * is then NULL, and db_step() fails "out of memory" (fix70). */
static int bound(int rc)
{
    return rc == SQLITE_NOMEM ? -1 : 0;
}

int db_lite_bind_null(struct db_lite_stmt *st, int idx)
{
    return idx > 0 ? bound(sqlite3_bind_null(S(st), idx)) : 0;
}

int db_lite_bind_int64(struct db_lite_stmt *st, int idx, int64_t v)
{
    return idx > 0 ? bound(sqlite3_bind_int64(S(st), idx, v)) : 0;
}

int db_lite_bind_double(struct db_lite_stmt *st, int idx, double v)
{
    return idx > 0 ? bound(sqlite3_bind_double(S(st), idx, v)) : 0;
}

int db_lite_bind_text(struct db_lite_stmt *st, int idx, const char *s,
                      ptrdiff_t len)
{
    return idx > 0 ? bound(sqlite3_bind_text(S(st), idx, s, (int)len,
                                             SQLITE_TRANSIENT)) : 0;
}

int db_lite_bind_text_static(struct db_lite_stmt *st, int idx, const char *s,
                             ptrdiff_t len)
{
    return idx > 0 ? bound(sqlite3_bind_text(S(st), idx, s, (int)len,
                                             SQLITE_STATIC)) : 0;
}

int db_lite_bind_blob(struct db_lite_stmt *st, int idx, const void *p,
                      size_t len)
{
    return idx > 0 ? bound(sqlite3_bind_blob(S(st), idx, p, (int)len,
                                             SQLITE_TRANSIENT)) : 0;
}

int db_lite_step(struct db_lite_stmt *st, struct diag *d, const char *what)
{
    int rc = sqlite3_step(S(st));
    if (rc == SQLITE_ROW)
        return DB_ROW;
    if (rc == SQLITE_DONE)
        return DB_DONE;
    fail(sqlite3_db_handle(S(st)), d, what);
    return rc == SQLITE_CONSTRAINT_UNIQUE ||
           rc == SQLITE_CONSTRAINT_PRIMARYKEY ? DB_UNIQUE : DB_ERROR;
}

int64_t db_lite_changes(struct db_lite_stmt *st)
{
    return sqlite3_changes(sqlite3_db_handle(S(st)));
}

int db_lite_column_count(struct db_lite_stmt *st)
{
    return sqlite3_column_count(S(st));
}

const char *db_lite_column_name(struct db_lite_stmt *st, int col)
{
    return sqlite3_column_name(S(st), col);
}

enum db_type db_lite_column_type(struct db_lite_stmt *st, int col)
{
    switch (sqlite3_column_type(S(st), col)) {
    case SQLITE_INTEGER: return DB_INTEGER;
    case SQLITE_FLOAT:   return DB_FLOAT;
    case SQLITE_TEXT:    return DB_TEXT;
    case SQLITE_BLOB:    return DB_BLOB;
    default:             return DB_NULL;
    }
}

int64_t db_lite_column_int64(struct db_lite_stmt *st, int col)
{
    return sqlite3_column_int64(S(st), col);
}

double db_lite_column_double(struct db_lite_stmt *st, int col)
{
    return sqlite3_column_double(S(st), col);
}

const char *db_lite_column_text(struct db_lite_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(S(st), col);
    return t ? (const char *)t : "";
}

const void *db_lite_column_blob(struct db_lite_stmt *st, int col)
{
    return sqlite3_column_blob(S(st), col);
}

size_t db_lite_column_bytes(struct db_lite_stmt *st, int col)
{
    return (size_t)sqlite3_column_bytes(S(st), col);
}

/* ---- scripts and transactions ------------------------------------------- */

int db_lite_exec(struct db_lite *db, const char *sql, struct diag *d, const char *what)
{
    if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(db->h, d, what);
    return 0;
}

/* Each statement of sql in turn, with name bound (integer, or text when
 * text is not NULL) where a statement has it. */
static int exec_each(struct db_lite *db, const char *sql, const char *name,
                     int64_t value, const char *text, struct diag *d,
                     const char *what)
{
    while (sql && *sql) {
        sqlite3_stmt *st = NULL;
        const char *tail = NULL;
        if (sqlite3_prepare_v2(db->h, sql, -1, &st, &tail) != SQLITE_OK)
            return fail(db->h, d, what);
        sql = tail;
        if (!st)                      /* only blanks or comments were left */
            continue;
        int i = sqlite3_bind_parameter_index(st, name);
        int rc = SQLITE_OK;
        if (i > 0 && text)
            rc = sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
        else if (i > 0)
            rc = sqlite3_bind_int64(st, i, value);
        if (rc == SQLITE_NOMEM) {     /* not run with NULL there (fix70) */
            int failed = fail(db->h, d, what);
            sqlite3_finalize(st);
            return failed;
        }
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            return fail(db->h, d, what);
    }
    return 0;
}

int db_lite_exec_bound(struct db_lite *db, const char *sql, const char *name,
                  int64_t value, struct diag *d, const char *what)
{
    return exec_each(db, sql, name, value, NULL, d, what);
}

int db_lite_exec_bound_text(struct db_lite *db, const char *sql, const char *name,
                       const char *value, struct diag *d, const char *what)
{
    return exec_each(db, sql, name, 0, value ? value : "", d, what);
}

int db_lite_begin_write(struct db_lite *db, struct diag *d, const char *what)
{
    return db_lite_exec(db, "BEGIN IMMEDIATE", d, what);
}

int db_lite_begin_read(struct db_lite *db, struct diag *d, const char *what)
{
    return db_lite_exec(db, "BEGIN", d, what);
}

int db_lite_commit(struct db_lite *db, struct diag *d, const char *what)
{
    return db_lite_exec(db, "COMMIT", d, what);
}

void db_lite_rollback(struct db_lite *db)
{
    if (db && !sqlite3_get_autocommit(db->h))
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

bool db_lite_in_transaction(const struct db_lite *db)
{
    return db && !sqlite3_get_autocommit(db->h);
}

/* ---- the connection ----------------------------------------------------- */

/* SQLite's full path of the file (what the Run sheet and messages name). */
const char *db_lite_display_name(const struct db_lite *db)
{
    return sqlite3_db_filename(db->h, "main");
}

const char *db_lite_library_versions(void)
{
    static char text[48];
    if (!text[0])
        snprintf(text, sizeof text, "sqlite %s", sqlite3_libversion());
    return text;
}

/* The report's memory (issue 15: peak RSS flat over the database's size).
 * SQLite's sorter keeps its in-memory runs up to the larger of the main
 * page cache's size and SQLITE_CONFIG_PMASZ pages (db_lite_open sets 16
 * pages = 256 KiB instead of 250 = 4 MiB at 16 KiB pages), and the dealer
 * statements walk three sorted listings at once: with the loads' 8 MiB a
 * 1M-dispatch report peaked at 36.6 MB and its --statements at 47.6 MB
 * (200k: 27.6 / 30.1), with 2 MiB at 22.2 / 24.3 MB (200k: 19.6 / 23.8),
 * for the same CPU time (1M report 6.0 s either way; the runs spill to
 * temp files, which the kernel caches). The loads keep 8 MiB: their random
 * index inserts need it (2 MiB cost a 200k closeouts load ~30% more CPU). */
int db_lite_reading_memory(struct db_lite *db, struct diag *d)
{
    return db_lite_exec(db, "PRAGMA cache_size = -2048", d,
                        "setting pragmas");
}

/* A load's page cache (KiB): open_write's, given back after an index build. */
#define LOAD_CACHE_PRAGMA "PRAGMA cache_size = -8192"

/* A first night's file builds some indexes after its rows (etl/load.c):
 * CREATE INDEX sorts with in-memory runs up to the page cache's size, on
 * top of the cache. With the load's 8 MiB the 1M dispatches load peaked
 * at 36.4 MB (30.0 without the build): 2 MiB while building keeps the
 * peak where the loads' was (bench/README.md, "A first night's indexes
 * built after the rows"). The build reads its table in order: the smaller
 * cache costs it nothing measurable. */
int db_lite_building_indexes(struct db_lite *db, bool on, struct diag *d)
{
    return db_lite_exec(db, on ? "PRAGMA cache_size = -2048"
                               : LOAD_CACHE_PRAGMA, d, "setting pragmas");
}

int db_lite_schema_version(struct db_lite *db, int *version, struct diag *d)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) !=
        SQLITE_OK)
        return fail(db->h, d, "reading schema version");
    int rc = sqlite3_step(st);
    *version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return fail(db->h, d, "reading schema version");
    return 0;
}

int db_lite_set_schema_version(struct db_lite *db, int version, struct diag *d)
{
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version);
    return db_lite_exec(db, pragma, d, "recording schema version");
}

/* In WAL mode SQLite creates DB-wal and DB-shm beside the database, to
 * write and to read alike. When the folder cannot be written, SQLite's
 * words ("unable to open database file: No such file or directory", about
 * a file that is there) name neither: say which folder, and what to do. */
/* SQLite's words when it could not make DB-wal or DB-shm beside the
 * database: SQLITE_CANTOPEN, or, to a user who cannot write the file
 * either (an analyst in the database's group, a read-only share),
 * SQLITE_READONLY_DIRECTORY (qa58). */
static bool cannot_make_beside(sqlite3 *h)
{
    int ec = sqlite3_extended_errcode(h);
    return (ec & 0xff) == SQLITE_CANTOPEN || ec == SQLITE_READONLY_DIRECTORY;
}

static void folder_not_writable(struct db_lite *db, const char *path,
                                struct diag *d)
{
    if (!cannot_make_beside(db->h))
        return;
    char folder[1024];
    if (diag_folder_of(path, folder, sizeof folder) != 0 ||
        access(folder, W_OK | X_OK) == 0)
        return;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    diag_set(d, d->exit_code, path, 0, "cannot open database: its folder "
             "'%s' cannot be written (%s), and SQLite keeps %s-wal and "
             "%s-shm beside the database, to read it too; make the folder "
             "writable for this user", folder, strerror(errno), base, base);
}

/* The first statement reads the header: a file that is not a database
 * fails here, before anything is written to it; a newer schema is refused
 * untouched. */
static int check_version(struct db_lite *db, const char *path, struct diag *d)
{
    int version;
    if (db_lite_schema_version(db, &version, d) != 0) {
        diag_set_file(d, path);
        folder_not_writable(db, path, d);
        return -1;
    }
    return db_refuse_newer(path, version, d);
}

/* SQLite's unix VFS makes the database's full path (symbolic links
 * resolved) in a buffer of 512 bytes, and DB-journal must fit in it too:
 * a longer path failed with "unable to open database file", no reason. */
#define LONGEST_DB_PATH 504

/* The length of path as SQLite resolves it (0: unknown, SQLite decides). */
static size_t resolved_length(const char *path)
{
    char *real = realpath(path, NULL);
    if (real) {
        size_t n = strlen(real);
        free(real);
        return n;
    }
    char folder[4096];
    const char *slash = strrchr(path, '/');
    if (diag_folder_of(path, folder, sizeof folder) != 0 ||
        !(real = realpath(folder, NULL)))
        return 0;
    size_t n = strlen(real) + 1 + strlen(slash ? slash + 1 : path);
    free(real);
    return n;
}

int db_lite_path_too_long(const char *path, int code, struct diag *d)
{
    size_t n = resolved_length(path);
    if (n <= LONGEST_DB_PATH)
        return 0;
    return diag_set(d, code, path, 0, "cannot open database: its full path "
                    "is %zu bytes long (symbolic links resolved) and SQLite "
                    "opens a database of at most %d; give --db a shorter "
                    "path (a symbolic link does not help: SQLite follows it)",
                    n, LONGEST_DB_PATH);
}

/* SQLite's lock bytes on the database file (os_unix.c): a connection in
 * WAL mode holds a read lock on the SHARED range while it is open. */
#define SQLITE_SHARED_FIRST (0x40000000 + 2)
#define SQLITE_SHARED_SIZE  510

/* DB-wal and DB-shm that this user cannot write: an analyst's explain, run
 * as another user, leaves them (a read-only connection cannot remove
 * them), and SQLite then opened the -shm read-only: every write failed,
 * 73 "attempt to write a readonly database", night after night. When the
 * -wal is empty (nothing committed is in it) and no connection has the
 * database open, they are removed, under an exclusive lock on SQLite's
 * SHARED range so that no reader starts meanwhile (its open waits, as for
 * a writer). Otherwise say what to do. */
static int foreign_wal(const char *path, struct diag *d)
{
    size_t n = strlen(path) + 5;
    char *wal = malloc(n), *shm = malloc(n);
    int rc = 0;
    if (!wal || !shm) {
        free(wal);
        free(shm);
        return diag_set(d, EX_SOFTWARE, path, 0,
                        "cannot open database: out of memory" OOM_TO_DO);
    }
    snprintf(wal, n, "%s-wal", path);
    snprintf(shm, n, "%s-shm", path);
    struct stat ws, ss;
    bool has_wal = lstat(wal, &ws) == 0, has_shm = lstat(shm, &ss) == 0;
    if (!(has_wal && access(wal, W_OK) != 0) &&
        !(has_shm && access(shm, W_OK) != 0))
        goto done;
    const char *which = has_shm && access(shm, W_OK) != 0 ? shm : wal;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        goto done;                           /* SQLite says why */
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
                       .l_start = SQLITE_SHARED_FIRST,
                       .l_len = SQLITE_SHARED_SIZE};
    if (fcntl(fd, F_SETLK, &fl) != 0)
        rc = diag_set(d, EX_TEMPFAIL, path, 0, "cannot open database: "
                      "'%s' beside it cannot be written by this user "
                      "(another user's, made by its explain?) and a "
                      "connection has the database open; try later (once "
                      "it is closed, the run removes it)", which);
    else if (has_wal && ws.st_size > 0)
        rc = diag_set(d, EX_CANTCREAT, path, 0, "cannot open database: "
                      "'%s' beside it cannot be written by this user and "
                      "holds changes not yet in the database; run svcrecon "
                      "once as its owner (or root), which writes them in, "
                      "then run again", wal);
    else {
        if (has_wal)
            unlink(wal);            /* a failure: SQLite's open says why */
        if (has_shm)
            unlink(shm);
    }
    close(fd);                               /* releases the lock */
done:
    free(wal);
    free(shm);
    return rc;
}

/* SPEC §5: DB is a path to a file. SQLite would take ":memory:" for its
 * in-memory database and a name starting with "file:" for a URI (Debian's
 * SQLite enables URIs), and the night would be kept nowhere, exit 0: such
 * a name is opened as "./NAME", the same file (tests/e2e/t7100). Messages
 * keep the name as given. */
static int open_file(const char *path, sqlite3 **h, int flags)
{
    if (strcmp(path, ":memory:") != 0 && strncmp(path, "file:", 5) != 0)
        return sqlite3_open_v2(path, h, flags, NULL);
    size_t n = strlen(path) + 3;
    char *dotted = malloc(n);
    if (!dotted) {
        *h = NULL;
        return SQLITE_NOMEM;
    }
    snprintf(dotted, n, "./%s", path);
    int rc = sqlite3_open_v2(dotted, h, flags, NULL);
    free(dotted);
    return rc;
}

/* A database file this user cannot read (another user's, mode 0600) is an
 * input that cannot be opened (66): explain said only SQLite's "unable to
 * open database file", report and run "read-only: ... make the file
 * writable", which did not help (tests/e2e/t9993). */
static int cannot_read(const char *path, struct diag *d)
{
    return diag_set(d, EX_NOINPUT, path, 0, "cannot open database: this "
                    "user cannot read the file (%s); make it readable and "
                    "writable for the user that runs svcrecon (chmod, "
                    "chown), then run again; nothing was changed",
                    strerror(errno));
}

/* A database in a folder this user cannot write (an archived copy on a
 * read-only share, mount or snapshot): SQLite cannot create DB-wal and
 * DB-shm, through which WAL mode reads too, and the open failed (66, "its
 * folder cannot be written"). When there is no DB-wal, every committed
 * page is in the file, and no writer can begin (it would have to create
 * DB-wal in that folder): the file is then read as immutable (SQLite's
 * URI parameter: no locks, no -shm), its full path percent-encoded. With
 * a DB-wal (a copy taken mid-run, a folder made read-only under a run)
 * its pages may hold committed rows: folder_not_writable's words stand.
 * 0: db->h is the immutable connection; -1: not this case, or it failed
 * (db->h as it was). QA pass 42, tests/e2e/t7100. */
static int open_immutable(const char *path, struct db_lite *db)
{
    char folder[1024], *real = NULL, *uri = NULL, *wal = NULL;
    struct stat ws;
    sqlite3 *h = NULL;
    int rc = -1;
    if (!cannot_make_beside(db->h) ||
        diag_folder_of(path, folder, sizeof folder) != 0 ||
        access(folder, W_OK | X_OK) == 0 || !(real = realpath(path, NULL)))
        return -1;
    size_t n = strlen(real);
    if (!(wal = malloc(n + 5)) || !(uri = malloc(5 + 3 * n + 13)))
        goto done;
    snprintf(wal, n + 5, "%s-wal", real);
    if (lstat(wal, &ws) == 0 || errno != ENOENT)
        goto done;
    char *u = uri + sprintf(uri, "file:");
    for (const unsigned char *c = (const unsigned char *)real; *c; c++)
        u += isalnum(*c) || strchr("/._-~", *c) ? sprintf(u, "%c", *c)
                                                : sprintf(u, "%%%02X", *c);
    strcpy(u, "?immutable=1");
    if (sqlite3_open_v2(uri, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX |
                        SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
        sqlite3_close(h);
        goto done;
    }
    sqlite3_close(db->h);
    db->h = h;
    rc = 0;
done:
    free(real);
    free(wal);
    free(uri);
    return rc;
}

/* A hot journal beside path (DB-journal left by a program that stopped
 * mid-transaction): only a writer rolls it back, and a read-only open
 * fails on it (SQLITE_READONLY_ROLLBACK). Opened read-write, never
 * created, and read once: SQLite rolls the journal back, the file is then
 * as before that transaction (what was committed is kept, nothing else is
 * written). The caller holds the run lock. A journal that is not hot
 * (another program's transaction in flight) is left to it: busy, 75. */
int db_lite_roll_back_journal(const char *path, bool *rolled,
                              struct diag *d)
{
    size_t n = strlen(path) + 9;
    char *journal = malloc(n);
    struct stat sb, js;
    sqlite3 *h = NULL;
    int rc = 0;
    *rolled = false;
    if (!journal)
        return diag_set(d, EX_SOFTWARE, path, 0,
                        "cannot open database: out of memory" OOM_TO_DO);
    snprintf(journal, n, "%s-journal", path);
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) ||
        lstat(journal, &js) != 0 || !S_ISREG(js.st_mode) || js.st_size == 0)
        goto done;
    if (open_file(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX) !=
        SQLITE_OK) {
        rc = fail(h, d, "rolling back the hot journal beside it");
        goto done;
    }
    sqlite3_extended_result_codes(h, 1);
    sqlite3_busy_timeout(h, 2000);
    if (sqlite3_exec(h, "SELECT count(*) FROM sqlite_master", NULL, NULL,
                     NULL) != SQLITE_OK)
        rc = fail(h, d, "rolling back the hot journal beside it");
    /* Rolled back: the journal is gone (or emptied), or the file changed
     * (its pages written back). A journal that was not hot is left as it
     * was, the file unchanged. */
    struct stat after, jafter;
    if (rc == 0)
        *rolled = lstat(journal, &jafter) != 0 || jafter.st_size == 0 ||
                  stat(path, &after) != 0 || after.st_size != sb.st_size ||
                  after.st_mtim.tv_sec != sb.st_mtim.tv_sec ||
                  after.st_mtim.tv_nsec != sb.st_mtim.tv_nsec;
done:
    sqlite3_close(h);
    free(journal);
    return rc;
}

/* Read-only, never created: a missing database is 66 (explain). */
static int open_read_only(const char *path, struct db_lite *db, struct diag *d)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        int e = errno;
        /* what to do, as report says it (tests/e2e/t9900) */
        return diag_set(d, EX_NOINPUT, path, 0, "cannot open database: %s%s",
                        strerror(e), e == ENOENT || e == ENOTDIR ?
                        " (explain and copy read an existing database; "
                        "import or run creates it: correct the path)" : "");
    }
    /* A FIFO (or a device) is refused before SQLite opens it, as
     * import, report and run refuse it (app/batch.c): SQLite's open of a
     * FIFO with no writer blocked explain and copy for ever (QA pass 30). */
    if (S_ISDIR(sb.st_mode))
        return diag_set(d, EX_NOINPUT, path, 0,
                        "cannot open database: Is a directory");
    if (!S_ISREG(sb.st_mode))
        return diag_set(d, EX_NOINPUT, path, 0, "cannot open database: not "
                        "a regular file; give --db the database's file (a "
                        "folder or a device is not one)");
    if (access(path, R_OK) != 0)
        return cannot_read(path, d);
    if (db_lite_path_too_long(path, EX_NOINPUT, d) != 0)
        return -1;
    int rc = open_file(path, &db->h,
                       SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
    if (rc != SQLITE_OK)       /* out of memory: 70, as the write open */
        return diag_set(d, rc == SQLITE_NOMEM ? EX_SOFTWARE : EX_NOINPUT,
                        path, 0, "cannot open database: %s%s",
                        db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc),
                        rc == SQLITE_NOMEM ? OOM_TO_DO : "");
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, 2000);
    if (check_version(db, path, d) != 0) {
        struct diag again = {0};
        if (open_immutable(path, db) == 0) {
            sqlite3_extended_result_codes(db->h, 1);
            if (check_version(db, path, &again) == 0) {
                *d = again;
                return db_lite_exec(db, "PRAGMA cache_size = -16384", d,
                                    "setting pragmas");
            }
            *d = again;
        }
        if (d->exit_code == EX_CANTCREAT)   /* cannot open: an input */
            d->exit_code = EX_NOINPUT;
        return -1;
    }
    return db_lite_exec(db, "PRAGMA cache_size = -16384", d, "setting pragmas");
}

/* The TEMP database's page cache (KiB). It has its own, SQLite's default
 * 2 MB (every cache_size pragma here sets the main database only): a first
 * night's upkeep fills TEMP tables as big as the night (schemas/upkeep/
 * upkeep.sql: upkeep_closeout, upkeep_accepted, the touched lists): at
 * 200k `strace` counted 82,500 preads (1.33 GB copied) of the TEMP file
 * in a full run with 2 MB, 14,900 (0.23 GB) with 8 MiB; CPU -5.6% and
 * -9% in two interleaved series (bench/README.md, "The TEMP tables' page
 * cache"). Peak RSS +7 MB (200k: 25.0 -> 31.8 MB, 1M: 25.0 -> 31.2 MB),
 * bounded by the cache whatever the night's size. SQLite's sorter sizes
 * its runs from the main cache only, so no sort grows with it. */
#define TEMP_CACHE_PRAGMA "PRAGMA temp.cache_size = -8192"

static int open_write(const char *path, struct db_lite *db, struct diag *d)
{
    /* A file this user cannot write is refused before SQLite opens it:
     * SQLite said only "database is read-only", after making DB-shm with
     * the file's read-only mode, which then failed the next run too, the
     * file made writable (tests/e2e/t8500). */
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, R_OK) != 0)
        return cannot_read(path, d);
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, W_OK) != 0)
        return diag_set(d, EX_CANTCREAT, path, 0, "database is read-only: "
                        "this user cannot write the file (%s); make the "
                        "file writable for the user that runs svcrecon "
                        "(chmod, chown), then run again; nothing was "
                        "changed", strerror(errno));
    if (db_lite_path_too_long(path, EX_CANTCREAT, d) != 0 || foreign_wal(path, d) != 0)
        return -1;
    int rc = open_file(path, &db->h, SQLITE_OPEN_READWRITE |
                       SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    if (rc != SQLITE_OK)
        /* out of memory is internal (70), not the database file's fault */
        return diag_set(d, rc == SQLITE_NOMEM ? EX_SOFTWARE : EX_CANTCREAT,
                        path, 0, "cannot open database: %s%s",
                        db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc),
                        rc == SQLITE_NOMEM ? OOM_TO_DO : "");
    sqlite3_extended_result_codes(db->h, 1);
    /* A writer holding the database past this gets EX_TEMPFAIL (75). */
    sqlite3_busy_timeout(db->h, 2000);
    if (check_version(db, path, d) != 0)
        return -1;
    if (sqlite3_db_readonly(db->h, "main") == 1)
        return diag_set(d, EX_CANTCREAT, path, 0, "database is read-only");
    /* 16 KiB pages, for a new database only (SQLite ignores this once the
     * file has content, and WAL mode fixes it): a file's load then costs
     * ~14% less CPU than with 4 KiB pages (fewer b-tree pages to split and
     * WAL frames to write; bench/README.md). It must precede journal_mode,
     * which writes the first page. Memory is unchanged: cache_size below
     * counts KiB, not pages.
     * 8 MiB of page cache: SQLite's sorter also keeps in-memory runs of up
     * to cache_size, so the peak is about twice it; with 16 MiB a 1M-row
     * load or report peaked at 49-51 MB and grew with the database, with
     * 8 MiB at ~33 MB, for the same CPU time (issue 15; bench/README.md,
     * third pass). Since upkeep.sql sorts nothing (its TEMP tables get
     * their indexes before the fill) a load peaks at ~30 MB at 200k and
     * 1M alike; the report reads with 2 MiB (db_lite_reading_memory). */
    if (db_lite_exec(db, "PRAGMA page_size = 16384", d, "setting pragmas") ||
        db_lite_exec(db, "PRAGMA journal_mode = WAL", d, "setting WAL mode") ||
        db_lite_exec(db, "PRAGMA synchronous = NORMAL", d, "setting pragmas") ||
        db_lite_exec(db, "PRAGMA foreign_keys = ON", d, "setting pragmas") ||
        db_lite_exec(db, LOAD_CACHE_PRAGMA, d, "setting pragmas") ||
        db_lite_exec(db, "PRAGMA temp_store = FILE", d, "setting pragmas") ||
        db_lite_exec(db, TEMP_CACHE_PRAGMA, d, "setting pragmas")) {
        diag_set_file(d, path);
        return -1;
    }
    return 0;
}

/* ---- WAL checkpoints beside the load ------------------------------------
 * SQLite folds the WAL into the database file in the COMMIT that leaves
 * 1000 pages or more in it (wal_autocheckpoint): the writer copies every
 * page of the file's transaction a second time and syncs, and nothing else
 * runs meanwhile. A 200k first night spent ~1.05 s of its ~5 s there, in
 * the COMMITs of the dispatches and closeouts files (bench/README.md,
 * issue 15). Here a thread with its own connection runs the same PASSIVE
 * checkpoint after such a commit, while the writer goes on with the next
 * file or the report (both cores). What is written is unchanged: a PASSIVE
 * checkpoint copies only committed frames, never waits on the writer or a
 * reader, and a crash during it loses nothing (the WAL still holds every
 * frame; the next open recovers it). Differences: the WAL may hold two
 * files' transactions at once (the writer restarts it from its start only
 * when a checkpoint has copied all of it), so it can grow to about the
 * two largest files' pages before db_lite_close folds and truncates it;
 * the final TRUNCATE checkpoint there waits for the thread first. When the
 * thread or its connection cannot start (no memory), SQLite's own
 * checkpoint in the COMMIT stays, as before. */
#define CKPT_PAGES 1000     /* SQLite's default wal_autocheckpoint */

static void *checkpoint_loop(void *arg)
{
    struct checkpointer *ck = arg;
    pthread_mutex_lock(&ck->mu);
    for (;;) {
        while (!ck->pending && !ck->stop)
            pthread_cond_wait(&ck->cv, &ck->mu);
        if (ck->stop)           /* db_lite_close folds the WAL itself */
            break;
        ck->pending = false;
        pthread_mutex_unlock(&ck->mu);
        /* Errors lose nothing (the frames stay in the WAL for the next
         * checkpoint) and are not the load's: left to db_lite_close. */
        int rc = sqlite3_wal_checkpoint_v2(ck->h, "main",
                                           SQLITE_CHECKPOINT_PASSIVE, NULL,
                                           NULL);
        int sys = sqlite3_system_errno(ck->h);
        pthread_mutex_lock(&ck->mu);
        /* ... but a failed sync is told at the end (db_lite_finish): the
         * pages it could not write may be gone from the page cache. */
        if ((rc & 0xff) == SQLITE_IOERR && !ck->io_errno)
            ck->io_errno = sys ? sys : -1;
    }
    pthread_mutex_unlock(&ck->mu);
    return NULL;
}

/* sqlite3_wal_hook: after each commit of the writer, with the WAL's size
 * in pages. Setting it turns SQLite's own autocheckpoint off. */
static int checkpoint_hook(void *arg, sqlite3 *h, const char *name, int pages)
{
    (void)h;
    (void)name;
    struct checkpointer *ck = arg;
    if (pages >= CKPT_PAGES) {
        pthread_mutex_lock(&ck->mu);
        ck->pending = true;
        pthread_cond_signal(&ck->cv);
        pthread_mutex_unlock(&ck->mu);
    }
    return SQLITE_OK;
}

static void start_checkpointer(struct db_lite *db, const char *path)
{
    struct checkpointer *ck = calloc(1, sizeof *ck);
    if (!ck)
        return;
    /* A first read opens the connection's WAL: a checkpoint on one that
     * has read nothing is a no-op in SQLite 3.40 (Debian 12's). */
    if (open_file(path, &ck->h, SQLITE_OPEN_READWRITE |
                  SQLITE_OPEN_NOMUTEX) != SQLITE_OK ||
        sqlite3_exec(ck->h, "PRAGMA schema_version", NULL, NULL, NULL) !=
            SQLITE_OK)
        goto no;
    if (pthread_mutex_init(&ck->mu, NULL) != 0)
        goto no;
    if (pthread_cond_init(&ck->cv, NULL) != 0) {
        pthread_mutex_destroy(&ck->mu);
        goto no;
    }
    if (pthread_create(&ck->thread, NULL, checkpoint_loop, ck) != 0) {
        pthread_cond_destroy(&ck->cv);
        pthread_mutex_destroy(&ck->mu);
        goto no;
    }
    db->ck = ck;
    sqlite3_wal_hook(db->h, checkpoint_hook, ck);
    return;
no:
    sqlite3_close(ck->h);
    free(ck);
}

static void stop_checkpointer(struct db_lite *db)
{
    struct checkpointer *ck = db->ck;
    if (!ck)
        return;
    sqlite3_wal_hook(db->h, NULL, NULL);
    pthread_mutex_lock(&ck->mu);
    ck->stop = true;
    pthread_cond_signal(&ck->cv);
    pthread_mutex_unlock(&ck->mu);
    pthread_join(ck->thread, NULL);
    pthread_cond_destroy(&ck->cv);
    pthread_mutex_destroy(&ck->mu);
    sqlite3_close(ck->h);
    if (ck->io_errno && !db->ck_errno)
        db->ck_errno = ck->io_errno;
    free(ck);
    db->ck = NULL;
}

int db_lite_open(const char *target, const char *schema, enum db_mode mode,
            struct db_lite **out, struct diag *d)
{
    (void)schema;                     /* PostgreSQL only */
    *out = NULL;
    /* SQLite counts every allocation under a global mutex for
     * sqlite3_memory_used() and the heap limits, which svcrecon does not
     * use; without it a load costs ~7% less CPU (bench/README.md). It can
     * only be turned off before SQLite initializes, at the first open of
     * the process (later calls would just return SQLITE_MISUSE). */
    static bool configured;
    if (!configured) {
        configured = true;
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        /* The sorter's smallest in-memory run, in pages: 16 (256 KiB)
         * instead of 250 (4 MiB at 16 KiB pages), so that a smaller page
         * cache also bounds the sorts (db_lite_reading_memory). A larger
         * cache still sets the limit (the loads: 8 MiB). */
        sqlite3_config(SQLITE_CONFIG_PMASZ, 16u);
    }
    struct db_lite *db = calloc(1, sizeof *db);
    if (!db)
        return diag_set(d, EX_SOFTWARE, target, 0,
                        "cannot open database: out of memory" OOM_TO_DO);
    db->mode = mode;
    if ((mode != DB_WRITE ? open_read_only(target, db, d)
                          : open_write(target, db, d)) != 0) {
        sqlite3_close(db->h);
        free(db);
        return -1;
    }
    if (mode == DB_WRITE && strcmp(target, ":memory:") != 0)
        start_checkpointer(db, target);
    *out = db;
    return 0;
}

/* The end of a writer's work: the WAL folded into the database file and
 * both synced (wal_checkpoint(TRUNCATE)). With synchronous = NORMAL a
 * COMMIT syncs nothing: the night's pages reach the disk in a checkpoint
 * (the checkpointer's, or this one). A sync failing there (EIO: a failing
 * disk, a lost network share) was ignored, and the run ended 0 with its
 * data never known to be on the disk; after a failed fsync Linux may drop
 * the pages it could not write and report the next fsync as done, so
 * sqlite3_close's own checkpoint then "succeeded" and deleted the WAL
 * (fix81, tests/e2e/t5100). Now such a failure is the run's: 73 with
 * "check the database's disk" (README, exit codes: a database that
 * cannot be written), and the WAL is kept (no checkpoint at close), for
 * the next run to fold again once the disk is sound. A checkpoint that is
 * only busy (a reader, another program's write lock) loses nothing and
 * is not one. */
int db_lite_finish(struct db_lite *db, struct diag *d)
{
    if (!db || db->mode != DB_WRITE || db->finished)
        return 0;
    db->finished = true;
    stop_checkpointer(db);
    /* TRUNCATE waits for the write lock: while another program holds
     * it (the night that failed on it with 75, or one that took it
     * since) it waited out the whole busy timeout again for nothing,
     * and a night held by another writer ended 75 after ~4 s, not the
     * README's 2 (fix81). Then it does not wait: the frames it can
     * copy without the lock are copied (SQLite's PASSIVE), the rest
     * stays in the WAL for the next run. A reader only (explain, an
     * auditor's shell) is still waited for, up to the timeout. */
    char who[100];
    long pid;
    bool svcrecon;
    lock_holder(sqlite3_db_filename(db->h, "main"), who, sizeof who, &pid,
                &svcrecon);
    if (pid > 0)
        sqlite3_busy_timeout(db->h, 0);
    int rc = sqlite3_wal_checkpoint_v2(db->h, "main",
                                       SQLITE_CHECKPOINT_TRUNCATE, NULL,
                                       NULL);
    bool io = (rc & 0xff) == SQLITE_IOERR;
    if (!io && !db->ck_errno)
        return 0;
    int on = 1;
    sqlite3_db_config(db->h, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, on, NULL);
    const char *what = "writing the night's data to the disk at the end "
                       "(the WAL checkpoint; they stay in the -wal file)";
    if (io)
        return fail(db->h, d, what);
    int e = db->ck_errno > 0 ? db->ck_errno : EIO;
    return diag_set(d, EX_CANTCREAT,
                    sqlite3_db_filename(db->h, "main"), 0,
                    "%s: disk I/O error: %s; %s", what, strerror(e),
                    e == ENOSPC ? "free space on the database's disk, then "
                    "run again (what was committed is kept)" :
                    "check the database's disk (an input/output error: a "
                    "failing disk or a lost network share), then run again "
                    "(what was committed is kept)");
}

void db_lite_close(struct db_lite *db)
{
    if (!db)
        return;
    if (db->mode == DB_WRITE) {
        /* Fold the WAL back so the database is one self-contained file
         * between runs (auditors copy it). A failure here is told only
         * by db_lite_finish(), which the commands call first. */
        struct diag ignored = {0};
        (void)db_lite_finish(db, &ignored);
    } else
        db_lite_rollback(db);              /* explain's read: only TEMP tables */
    sqlite3_close_v2(db->h);
    free(db);
}
