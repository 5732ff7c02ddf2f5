/* summary_path.c -- what --summary FILE must not name (summary_path.h).
 * Two files are the same when both exist and have the same device and
 * inode (any path, symbolic or hard link), or, for a file not written yet,
 * when their normalized paths are equal (normalized()). */
#include "app/summary_path.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/diag.h"
#include "reports/report.h"
#include "reports/statements.h"

/* real (a resolved folder) followed by rest, a path not resolved because
 * it does not exist: "." and empty parts dropped, ".." one folder up. */
static char *append_cleaned(char *real, const char *rest)
{
    size_t n = strlen(real), cap = n + strlen(rest) + 2;
    char *out = realloc(real, cap);
    if (!out) {
        free(real);
        return NULL;
    }
    while (*rest) {
        size_t len = strcspn(rest, "/");
        if (len == 2 && rest[0] == '.' && rest[1] == '.') {
            while (n > 1 && out[n - 1] != '/')
                n--;
            n = n > 1 ? n - 1 : 1;          /* "/a/b" -> "/a", "/a" -> "/" */
        } else if (len && !(len == 1 && rest[0] == '.')) {
            if (out[n - 1] != '/')
                out[n++] = '/';
            memcpy(out + n, rest, len);
            n += len;
        }
        out[n] = '\0';
        rest += len + (rest[len] == '/');
    }
    out[n] = '\0';
    return out;
}

/* path made absolute, its longest leading part that exists resolved by
 * realpath() (symbolic links, "..") and the rest cleaned by
 * append_cleaned(). NULL: out of memory or too long. */
static char *normalized(const char *path)
{
    char buf[2 * PATH_MAX], cwd[PATH_MAX];
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd))
        return NULL;
    int len = snprintf(buf, sizeof buf, "%s%s%s", path[0] == '/' ? "" : cwd,
                       path[0] == '/' ? "" : "/", path);
    if (len < 0 || (size_t)len >= sizeof buf)
        return NULL;
    for (size_t cut = (size_t)len;;) {
        char keep = buf[cut];
        buf[cut] = '\0';
        char *real = realpath(cut ? buf : "/", NULL);
        buf[cut] = keep;
        if (real)
            return append_cleaned(real, buf + cut);
        if (cut == 0)
            return NULL;
        do
            cut--;
        while (cut > 0 && buf[cut] != '/');
    }
}

/* path with its folder normalized and its last part as given (a symbolic
 * link there is not followed). NULL: out of memory. */
static char *resolved(const char *path)
{
    char folder[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (diag_folder_of(path, folder, sizeof folder) != 0)
        return strdup(path);
    char *real = normalized(folder);
    return real ? append_cleaned(real, slash ? slash + 1 : path) : NULL;
}

/* (summary_path.h) realpath() for a link whose file exists; for a
 * dangling one, its links followed one by one (at most 40, as the kernel
 * does): realpath() fails there. */
char *summary_path_link_target(const char *path)
{
    struct stat ls;
    if (lstat(path, &ls) != 0 || !S_ISLNK(ls.st_mode))
        return NULL;
    char *target = realpath(path, NULL);
    if (target || errno != ENOENT)
        return target;
    char cur[4096], next[4096], link[4096];
    snprintf(cur, sizeof cur, "%s", path);
    for (int hop = 0; hop < 40; hop++) {
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0 || (size_t)n >= sizeof link - 1)
            return NULL;
        link[n] = '\0';
        const char *slash = strrchr(cur, '/');
        int dir = link[0] == '/' || !slash ? 0 : (int)(slash - cur + 1);
        if ((size_t)snprintf(next, sizeof next, "%.*s%s", dir, cur, link) >=
            sizeof next)
            return NULL;
        snprintf(cur, sizeof cur, "%s", next);
        if (lstat(cur, &ls) != 0)
            return errno == ENOENT ? strdup(cur) : NULL;
        if (!S_ISLNK(ls.st_mode))
            return NULL;            /* exists after all: realpath's case */
    }
    return NULL;
}

static bool same_file(const char *a, const char *b)
{
    struct stat x, y;
    if (stat(a, &x) == 0 && stat(b, &y) == 0)
        return x.st_dev == y.st_dev && x.st_ino == y.st_ino;
    char *p = normalized(a), *q = normalized(b);
    bool same = p && q && strcmp(p, q) == 0;
    free(p);
    free(q);
    return same;
}

/* path is a file directly in folder (which need not exist yet). */
static bool in_folder(const char *path, const char *folder)
{
    char *p = resolved(path), *f = normalized(folder);
    bool in = false;
    if (p && f) {
        size_t n = strcmp(f, "/") == 0 ? 0 : strlen(f);
        in = strncmp(p, f, n) == 0 && p[n] == '/' && !strchr(p + n + 1, '/');
    }
    free(p);
    free(f);
    return in;
}

/* (summary_path.h) path is folder or lies under it, at any depth. */
bool summary_path_within(const char *path, const char *folder)
{
    char *p = normalized(path), *f = normalized(folder);
    bool in = false;
    if (p && f) {
        size_t n = strcmp(f, "/") == 0 ? 0 : strlen(f);
        in = strncmp(p, f, n) == 0 && (p[n] == '\0' || p[n] == '/');
    }
    free(p);
    free(f);
    return in || same_file(path, folder);
}

/* (summary_path.h) the database's file or its link (a dangling one too:
 * the database is created where it points). */
bool summary_path_db_within(const char *db, const char *folder)
{
    if (!db || db_is_server(db))
        return false;
    char *link = resolved(db), *target = summary_path_link_target(db);
    bool in = summary_path_within(db, folder) ||
              (link && summary_path_within(link, folder)) ||
              (target && summary_path_within(target, folder));
    free(link);
    free(target);
    return in;
}

/* path made absolute and cleaned as text: no link followed. */
static char *lexical(const char *path)
{
    char cwd[PATH_MAX];
    char *base = strdup(path[0] == '/' ? "/" : getcwd(cwd, sizeof cwd) ?
                        cwd : "");
    return base && *base ? append_cleaned(base, path) : (free(base), NULL);
}

bool summary_path_in_statements(const char *path, const char *folder,
                                bool db)
{
    struct stat ls;
    if (!path || (db && db_is_server(path)))
        return false;
    if (lstat(folder, &ls) != 0 || !S_ISLNK(ls.st_mode))
        return db ? summary_path_db_within(path, folder)
                  : summary_path_within(path, folder);
    char *p = lexical(path), *f = lexical(folder);
    size_t n = f ? strlen(f) : 0;
    bool in = p && f && strncmp(p, f, n) == 0 &&
              (p[n] == '\0' || p[n] == '/');
    free(p);
    free(f);
    return in;
}

static bool is_database(const char *summary, const char *db);

bool summary_path_is_database(const char *summary, const char *db)
{
    if (!db || db_is_server(db))
        return false;
    char *target = summary_path_link_target(summary);
    bool same = is_database(target ? target : summary, db);
    free(target);
    return same;
}

bool summary_path_is_db_companion(const char *path, const char *db)
{
    if (!path || !db || db_is_server(path) || db_is_server(db))
        return false;
    char *target = summary_path_link_target(path);
    const char *p = target ? target : path;
    bool companion = is_database(p, db) && !same_file(p, db);
    free(target);
    return companion;
}

static bool is_database(const char *summary, const char *db)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal",
                                         ".lock"};
    if (same_file(summary, db))
        return true;
    char *s = resolved(summary);
    char *names[2] = {resolved(db), realpath(db, NULL)};
    bool same = false;
    for (int i = 0; i < 2 && s; i++) {
        size_t n = names[i] ? strlen(names[i]) : 0;
        if (!names[i] || strncmp(s, names[i], n) != 0)
            continue;
        for (size_t k = 0; k < sizeof suffix / sizeof suffix[0]; k++)
            same = same || strcmp(s + n, suffix[k]) == 0;
    }
    free(s);
    free(names[0]);
    free(names[1]);
    return same;
}

static void join(char *out, size_t size, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    snprintf(out, size, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/",
             name);
}

/* Any path to a file of the inbox, a hard link too: its entries one by
 * one (only when summary exists: a new file is no entry). */
static bool names_an_inbox_file(const char *summary, const char *inbox,
                                char *what, size_t size)
{
    struct stat st;
    DIR *dp = stat(summary, &st) == 0 ? opendir(inbox) : NULL;
    struct dirent *e;
    bool found = false;
    while (dp && !found && (e = readdir(dp)) != NULL) {
        char path[PATH_MAX + 256];
        join(path, sizeof path, inbox, e->d_name);
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            same_file(summary, path)) {
            snprintf(what, size, "the input feed '%s'", path);
            found = true;
        }
    }
    if (dp)
        closedir(dp);
    return found;
}

/* A workbook of the report, or a file in the statements folder (which the
 * report replaces whole: a file there is lost). */
static bool names_an_output(const char *summary, const struct report_opts *r,
                            char *what, size_t size)
{
    char path[PATH_MAX + 256], name[128];
    for (int k = 0; k < REPORT_N; k++) {
        report_book_name(k, r->as_of, name, sizeof name);
        join(path, sizeof path, r->out_dir, name);
        if (same_file(summary, path)) {
            snprintf(what, size, "the workbook '%s' this run writes", path);
            return true;
        }
    }
    /* The folder's own name too: the summary written there at the start
     * was replaced by the statements folder (yesterday's summary lost),
     * and the night, done, ended 73 on "Is a directory" (qa87). */
    if (r->statements && statements_folder(r, path, sizeof path) == 0 &&
        same_file(summary, path)) {
        snprintf(what, size, "the statements folder '%s' this run writes",
                 path);
        return true;
    }
    /* Without --statements too: a stale folder is removed whole, the
     * summary written there at the start with it, and the finished night
     * ended 73, "cannot create summary" (qa87). */
    if (statements_folder(r, path, sizeof path) == 0 &&
        in_folder(summary, path) &&
        summary_path_in_statements(summary, path, false)) {
        snprintf(what, size, "a file of the statements folder '%s', which "
                 "this run replaces whole (or removes, without "
                 "--statements)", path);
        return true;
    }
    return false;
}

static bool overwrites(const char *summary, const struct batch_opts *o,
                       char *what, size_t size);

/* The name given and, for a symbolic link, the file it names (which the
 * summary replaces, or creates: run_summary.c). */
bool summary_path_overwrites(const char *summary, const struct batch_opts *o,
                             char *what, size_t size)
{
    char *target = summary_path_link_target(summary);
    bool over = overwrites(summary, o, what, size) ||
                (target && overwrites(target, o, what, size));
    free(target);
    return over;
}

static bool overwrites(const char *summary, const struct batch_opts *o,
                       char *what, size_t size)
{
    for (int i = 0; i < o->n_files; i++)
        if (same_file(summary, o->files[i])) {
            snprintf(what, size, "the input feed '%s'", o->files[i]);
            return true;
        }
    /* Any file there, even a new name: the next run would find it in the
     * inbox, as a stray file (a warning every night) or as a feed. */
    if (o->inbox && in_folder(summary, o->inbox)) {
        snprintf(what, size, "a file of the inbox '%s' (the next run would "
                 "read it as a delivery)", o->inbox);
        return true;
    }
    if (o->inbox && names_an_inbox_file(summary, o->inbox, what, size))
        return true;
    return o->report.out_dir && names_an_output(summary, &o->report, what,
                                                size);
}
