/* run_summary.c -- see run_summary.h. The layout of the document is
 * docs/summary.schema.json; tests/e2e/t0200-summary.py validates every
 * summary the suite writes against it. */
#include "app/run_summary.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/summary_path.h"
#include "lib/clock.h"
#include "lib/db.h"
#include "lib/json.h"
#include "lib/testhook.h"
#include "lib/utf8.h"
#include "reports/rules.h"
#include "reports/statements.h"

void *run_grow(void *items, int n, int *cap, size_t size)
{
    if (n < *cap)
        return items;
    int more = *cap ? 2 * *cap : 16;
    void *grown = realloc(items, (size_t)more * size);
    if (grown)
        *cap = more;
    return grown;
}

void run_record_start(struct run_record *s, const char *command,
                      const struct batch_opts *o)
{
    memset(s, 0, sizeof *s);
    s->command = command;
    s->o = o;
    clock_gettime(CLOCK_MONOTONIC, &s->t0);
    s->started_at = time(NULL);
}

bool run_record_warn(struct run_record *s, const char *code,
                     const char *file, unsigned long line,
                     const char *message)
{
    struct run_warning *grown = run_grow(s->warnings, s->n_warnings,
                                         &s->cap_warnings, sizeof *grown);
    if (!grown)
        return false;
    s->warnings = grown;
    struct run_warning *w = &s->warnings[s->n_warnings];
    w->code = code;
    w->line = line;
    w->file = file ? strdup(file) : NULL;
    w->message = strdup(message);
    if (!w->message || (file && !w->file)) {
        free(w->file);
        free(w->message);
        return false;
    }
    s->n_warnings++;
    return true;
}

double run_record_seconds(const struct run_record *s)
{
    return clock_seconds_since(&s->t0);
}

void run_record_free(struct run_record *s)
{
    for (int i = 0; s->own_paths && i < s->n_files; i++)
        free((char *)s->files[i].path);
    for (int i = 0; i < s->n_warnings; i++) {
        free(s->warnings[i].file);
        free(s->warnings[i].message);
    }
    free(s->warnings);
    free(s->files);
    report_result_free(&s->report);
    s->warnings = NULL;
    s->files = NULL;
    s->n_files = s->n_warnings = 0;
}

const char *run_status_word(const struct run_record *s)
{
    switch (s->exit_code) {
    case 0:           break;
    case EX_USAGE:    return "usage";
    case EX_DATAERR:  return "refused";
    case EX_NOINPUT:  return "unreadable";
    case EX_CANTCREAT:return "cannot_create";
    case EX_TEMPFAIL: return "busy";
    default:          return "failed";
    }
    for (int i = 0; i < s->n_files; i++)
        if (s->files[i].rows_rejected > 0)
            return "rejected_rows";
    /* qa32: the night the audit describes, when this run did not load its
     * files itself (a night killed after its imports and run again, a
     * retry found up to date, `report` after `import`): its rejected rows
     * are in the workbook all the same, and `ok` said "nothing rejected". */
    for (size_t i = 0; s->reported && i < s->report.n_night; i++)
        if (s->report.night[i].rows_rejected > 0)
            return "rejected_rows";
    return "ok";
}

static void utc_iso(char out[32], time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void put_file(struct json *j, const struct load_result *x)
{
    json_open(j, NULL, '{');
    json_str(j, "path", x->path);
    json_str(j, "kind", feed_kind_name(x->kind));
    json_str(j, "sha256", x->sha256[0] ? x->sha256 : NULL);
    json_str(j, "status", load_status_name(x->status));
    json_uint(j, "bytes", x->bytes);
    json_uint(j, "rows_read", x->rows_read);
    json_uint(j, "rows_loaded", x->rows_loaded);
    json_uint(j, "rows_rejected", x->rows_rejected);
    json_str(j, "reason", x->reason[0] ? x->reason : NULL);
    json_fixed(j, "seconds", x->seconds, 3);
    json_fixed(j, "rules_seconds", x->rules_seconds, 3);
    json_close(j, '}');
}

static void put_totals(struct json *j, const struct run_record *s)
{
    unsigned long read = 0, loaded = 0, rejected = 0;
    int n_status[LOAD_STATUS_COUNT] = {0};
    for (int i = 0; i < s->n_files; i++) {
        read += s->files[i].rows_read;
        loaded += s->files[i].rows_loaded;
        rejected += s->files[i].rows_rejected;
        n_status[s->files[i].status]++;
    }
    json_open(j, "control_totals", '{');
    json_int(j, "files", s->n_files);
    for (int k = 0; k < LOAD_STATUS_COUNT; k++)
        json_int(j, load_status_name((enum load_status)k), n_status[k]);
    json_uint(j, "rows_read", read);
    json_uint(j, "rows_loaded", loaded);
    json_uint(j, "rows_rejected", rejected);
    json_close(j, '}');
}

/* README "Changes since the previous report": counts are 0 when
 * previous_as_of is null (nothing was compared). */
static void put_changes(struct json *j, const struct report_changes *ch)
{
    json_open(j, "changes", '{');
    json_str(j, "previous_as_of", ch->has_previous ? ch->previous_as_of
                                                   : NULL);
    json_uint(j, "newly_unclosed", ch->n_newly_unclosed);
    json_uint(j, "closed", ch->n_closed);
    json_uint(j, "closed_by_closeout", ch->n_closed_by_closeout);
    json_uint(j, "cancelled", ch->n_cancelled);
    json_uint(j, "closed_otherwise", ch->n_closed_other);
    json_uint(j, "bucket_moved", ch->n_bucket_moved);
    json_uint(j, "new_noncompensable", ch->n_new_noncomp);
    json_close(j, '}');
}

/* SPEC §4 "The night of an audit workbook": the files the audit lists, as
 * it lists them (the run's own files are "files" above). */
static void put_night(struct json *j, const struct report_result *x)
{
    json_open(j, "files", '[');
    for (size_t i = 0; i < x->n_night; i++) {
        const struct report_file *n = &x->night[i];
        json_open(j, NULL, '{');
        json_str(j, "name", n->name);
        json_str(j, "path", n->path);
        json_str(j, "kind", n->kind);
        json_str(j, "sha256", n->sha256);
        json_str(j, "status", n->status);
        json_int(j, "bytes", n->bytes);
        json_int(j, "rows_read", n->rows_read);
        json_int(j, "rows_loaded", n->rows_loaded);
        json_int(j, "rows_rejected", n->rows_rejected);
        json_str(j, "reason", n->reason && n->reason[0] ? n->reason : NULL);
        json_close(j, '}');
    }
    json_close(j, ']');
}

/* One dealer statement (README "Dealer statements"): the list the
 * statements code kept, one small record per file, never their rows. */
static int put_statement(void *arg, const struct statement_entry *e)
{
    struct json *j = arg;
    json_open(j, NULL, '{');
    json_strn(j, "dealer_id", e->id, e->id_len);
    json_str(j, "file", e->file);
    json_uint(j, "unclosed_calls", e->rows[0]);
    json_uint(j, "noncompensable", e->rows[1]);
    json_uint(j, "registration_exceptions", e->rows[2]);
    json_close(j, '}');
    return 0;
}

/* A workbook's count, null when the workbook is not in place (fix61). */
static void put_count(struct json *j, const char *key, bool known,
                      unsigned long v)
{
    if (known)
        json_uint(j, key, v);
    else
        json_null(j, key);
}

/* The unclosed calls per aging bucket, every bucket listed; null when not
 * counted (the unclosed workbook not in place, or the count of up-to-date
 * workbooks failed), as its rows: [] said "no call in any bucket" of a
 * workbook in place listing calls (fix70). */
static void put_buckets(struct json *j, const struct report_result *x,
                        const struct report_opts *r)
{
    if (!x->has_buckets) {
        json_null(j, "by_bucket");
        return;
    }
    json_open(j, "by_bucket", '[');
    for (int k = 0; k < r->n_buckets; k++) {
        char label[32];
        rules_bucket_label(r->bucket_hi, r->n_buckets, k, label,
                           sizeof label);
        json_open(j, NULL, '{');
        json_str(j, "bucket", label);
        json_uint(j, "calls", x->by_bucket[k]);
        json_close(j, '}');
    }
    json_close(j, ']');
}

static void put_reports(struct json *j, const struct run_record *s)
{
    if (!s->reported) {
        json_null(j, "reports");
        return;
    }
    const struct report_result *x = &s->report;
    const struct report_opts *r = &s->o->report;
    json_open(j, "reports", '{');
    /* false: the workbooks (and statements) below are in place, complete,
     * but the report's record failed (see status and error): the next
     * run of this as-of date records it (fix57) */
    json_bool(j, "recorded", s->recorded);
    /* Each workbook's in_place: false when the report failed before it
     * went into place though another did (fix61); its counts are then
     * null (the file at its path, if any, is not tonight's). All three are
     * in place when the report is recorded or only its record failed. */
    bool all = s->recorded || x->in_place, in[REPORT_N];
    for (int k = 0; k < REPORT_N; k++)
        in[k] = all || x->book_in_place[k];
    json_open(j, "unclosed_calls", '{');
    json_str(j, "path", x->path[REPORT_UNCLOSED]);
    json_bool(j, "in_place", in[REPORT_UNCLOSED]);
    put_count(j, "rows", in[REPORT_UNCLOSED], x->n_unclosed);
    put_buckets(j, x, r);
    json_close(j, '}');
    json_open(j, "non_compensable", '{');
    json_str(j, "path", x->path[REPORT_NONCOMP]);
    json_bool(j, "in_place", in[REPORT_NONCOMP]);
    put_count(j, "rows", in[REPORT_NONCOMP], x->n_noncomp);
    json_close(j, '}');
    json_open(j, "audit", '{');
    json_str(j, "path", x->path[REPORT_AUDIT]);
    json_bool(j, "in_place", in[REPORT_AUDIT]);
    put_count(j, "rejected_rows", in[REPORT_AUDIT], x->n_rejected);
    put_count(j, "registration_exceptions", in[REPORT_AUDIT],
              x->n_reg_exceptions);
    if (in[REPORT_AUDIT]) {
        put_night(j, x);
    } else {
        json_open(j, "files", '[');
        json_close(j, ']');
    }
    json_close(j, '}');
    json_uint(j, "cut_cells", x->n_cut_cells);
    put_changes(j, &x->changes);
    /* SPEC §4 "Dealer statements": null without --statements, and when
     * the report failed before writing them (not all workbooks in place). */
    if (r->statements && all) {
        json_open(j, "statements", '{');
        json_str(j, "folder", x->statements_dir);
        json_uint(j, "count", x->n_statements);
        json_open(j, "dealers", '[');
        statements_each(x->dealers, put_statement, j);
        json_close(j, ']');
        json_close(j, '}');
    } else {
        json_null(j, "statements");
    }
    json_close(j, '}');
}

/* copy (README "Moving a SQLite database to PostgreSQL"): both databases
 * as shown (no password) with their schemas (null for SQLite), whether the
 * copy was committed, and the rows of each table copied. */
static void put_copy(struct json *j, const struct copy_result *c)
{
    const struct copy_opts *o = c->o;
    json_open(j, "copy", '{');
    json_str(j, "from", o->from_shown);
    json_str(j, "from_schema", copy_schema(o->from_target, o->from_schema));
    json_str(j, "to", o->to_shown);
    json_str(j, "to_schema", copy_schema(o->to_target, o->to_schema));
    json_bool(j, "committed", c->committed);
    json_uint(j, "rows", c->rows);
    json_open(j, "tables", '[');
    for (int i = 0; i < c->n_tables; i++) {
        json_open(j, NULL, '{');
        json_str(j, "table", c->tables[i].table);
        json_uint(j, "rows", c->tables[i].rows);
        json_close(j, '}');
    }
    json_close(j, ']');
    json_close(j, '}');
}

static void put_warnings(struct json *j, const struct run_record *s)
{
    json_open(j, "warnings", '[');
    for (int i = 0; i < s->n_warnings; i++) {
        const struct run_warning *w = &s->warnings[i];
        json_open(j, NULL, '{');
        json_str(j, "code", w->code);
        json_str(j, "file", w->file);
        if (w->line)
            json_uint(j, "line", w->line);
        else
            json_null(j, "line");
        json_str(j, "message", w->message);
        json_close(j, '}');
    }
    json_close(j, ']');
}

static const char NOT_FINISHED[] =
    "the run has not finished: while it runs, its summary says so; if no "
    "svcrecon run is going on, it was stopped (a signal, a crash, a power "
    "loss) before it could write its outcome; run it again to complete the "
    "work";

static void put_document(FILE *f, const struct run_record *s, bool running)
{
    const struct report_opts *r = &s->o->report;
    char started[32], finished[32], host[256] = "";
    struct json j;
    utc_iso(started, s->started_at);
    utc_iso(finished, time(NULL));
    if (gethostname(host, sizeof host - 1) != 0)
        host[0] = '\0';
    json_init(&j, f);
    /* A path or name that is not UTF-8 as the audit workbook shows it
     * (\xFF), not as U+FFFD: the summary named the delivered file
     * dispatches_\ufffd.csv and the same file's stored name
     * dispatches_\\xFF.csv in one document (qa37). */
    j.shown = true;
    json_open(&j, NULL, '{');
    json_str(&j, "version", SVCRECON_VERSION);
    json_str(&j, "command", s->command);
    json_str(&j, "status", running ? "running" : run_status_word(s));
    if (running)
        json_str(&j, "exit_code", NULL);
    else
        json_int(&j, "exit_code", s->exit_code);
    json_str(&j, "started_at", started);
    json_str(&j, "finished_at", running ? NULL : finished);
    json_str(&j, "host", host);
    json_str(&j, "database", s->o->db_path);
    /* Its PostgreSQL schema (null for a SQLite file): two schemas of one
     * database are two databases (README "PostgreSQL"). */
    json_str(&j, "schema", db_schema_named(s->o->db_target, s->o->schema));
    bool dated = s->command && strcmp(s->command, "import") != 0 &&
                 r->as_of[0];
    json_str(&j, "as_of", dated ? r->as_of : NULL);
    json_str(&j, "from", r->has_from ? r->from : NULL);
    json_open(&j, "files", '[');
    for (int i = 0; i < s->n_files; i++)
        put_file(&j, &s->files[i]);
    json_close(&j, ']');
    put_totals(&j, s);
    put_reports(&j, s);
    put_warnings(&j, s);
    if (s->copy)
        put_copy(&j, s->copy);
    json_str(&j, "error", running ? NOT_FINISHED
                                  : s->has_fatal ? s->fatal : NULL);
    json_fixed(&j, "elapsed_seconds", run_record_seconds(s), 3);
    json_close(&j, '}');
}

/* The document into f, then f synced to the disk (the caller renames it
 * into place: a power loss must not leave an empty summary under the
 * final name, which monitoring would read; a file system that cannot
 * sync, EINVAL, has nothing more to do) and closed: 0, or -1 when a
 * write, the sync or the close failed (errno says why). */
static int put_and_close(FILE *f, const struct run_record *s, bool running)
{
    put_document(f, s, running);
    bool bad = ferror(f) != 0 || fflush(f) != 0 ||
               (fsync(fileno(f)) != 0 && errno != EINVAL);
    int e = errno;
    if (fclose(f) != 0 || bad) {
        if (bad)
            errno = e;
        return -1;
    }
    return 0;
}

/* What to do when the summary cannot be written (README "Summary JSON"):
 * a scheduler's one line names the file, why, and what to do. "Free
 * space on its disk" is advice for a file on a full disk only: a device
 * or a pipe that takes no more (/dev/full, stdout redirected there) has
 * no disk to free (QA pass 39). "Run again" is no advice after a copy
 * that committed: its target now holds the data and a second copy is
 * refused (73); after one that did not, the target is as it was. */
static const char *summary_to_do(const struct run_record *s, int e,
                                 bool regular)
{
    bool copy = s->copy != NULL;
    bool copied = copy && s->copy->committed;
    if (!regular)
        return copy ? (copied
            ? "; it is a device or a pipe, not a file: give --summary a "
              "regular file next time (the copy is committed: do not run "
              "it again, its target holds the data now)"
            : "; it is a device or a pipe, not a file: give --summary a "
              "regular file (nothing was copied, the target is as it was; "
              "the copy's own line says why)")
            : "; it is a device or a pipe, not a file: give --summary a "
              "regular file, then run again (what the run did is kept)";
    if (copy)
        return copied
            ? (e == ENOSPC || e == EDQUOT
               ? "; free space on its disk (the copy is committed: do not "
                 "run it again, its target holds the data now; the summary "
                 "file does not hold its outcome)"
               : "; give --summary a file this user can create and write "
                 "in next time (the copy is committed: do not run it again, "
                 "its target holds the data now)")
            : (e == ENOSPC || e == EDQUOT
               ? "; free space on its disk, then run copy again (nothing was "
                 "copied; the target is as it was)"
               : "; give --summary a file this user can create and write "
                 "in, then run copy again (nothing was copied; the target "
                 "is as it was)");
    if (e == EIO)               /* its disk failed, not its rights (qa84) */
        return "; check its disk (an input/output error: a failing disk or "
               "a lost network share), then run again (what the run did is "
               "kept; the summary file does not hold this run's outcome)";
    return e == ENOSPC || e == EDQUOT
        ? "; free space on its disk, then run again (what the run did is "
          "kept; the summary file does not hold this run's outcome)"
        : "; give --summary a file this user can create and write in, then "
          "run again (what the run did is kept)";
}

/* The summary where it cannot be replaced: "--summary /dev/stdout" (a
 * scheduler's log), /dev/stderr, a pipe, a FIFO, a terminal. Renamed into
 * place, it replaced the /dev/stdout link itself with a regular file (as
 * root: every later program's stdout in a file; seen by the lead). So a
 * name of the process's own stdout or stderr writes to that descriptor,
 * and an existing file that is not a regular file (or a folder) is
 * opened and written as it is, without a temporary. Returns 1 when
 * written so (*rc its exit code), 0 when path is a file to replace. */
/* 1 or 2 when path names the process's own stdout or stderr, else 0. */
static int own_stream(const char *path)
{
    static const char *const own[][2] = {
        {"/dev/stdout", "/dev/fd/1"}, {"/dev/stderr", "/dev/fd/2"}};
    for (int i = 0; i < 2; i++)
        if (strcmp(path, own[i][0]) == 0 || strcmp(path, own[i][1]) == 0 ||
            (strncmp(path, "/proc/self/fd/", 14) == 0 &&
             strcmp(path + 14, i ? "2" : "1") == 0))
            return i + 1;
    return 0;
}

static int write_in_place(const char *path, const struct run_record *s,
                          int *rc)
{
    struct stat st;
    char shown[UTF8_PATH_SHOWN];
    int own = own_stream(path);
    if (own && (cli_std_closed & 1 << own)) {
        /* closed by the caller: /dev/null here (main.c), the summary lost
         * with exit 0 (tests/e2e/t9900) */
        fprintf(stderr, "svcrecon: %s: cannot write summary: standard %s was "
                "closed when svcrecon started; give --summary a file, or run "
                "with it open (what the run did is kept)\n",
                utf8_show_path(path, shown, sizeof shown),
                own == 1 ? "output" : "error");
        *rc = EX_CANTCREAT;
        return 1;
    }
    int fd = own ? fcntl(own, F_DUPFD_CLOEXEC, 3) : -1;
    if (fd < 0) {
        if (stat(path, &st) != 0 || S_ISREG(st.st_mode) ||
            S_ISDIR(st.st_mode))
            return 0;
        fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    }
    /* stdout may be a regular file (`> log`): then its disk is full */
    bool regular = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (!f) {
        int e = errno;
        fprintf(stderr, "svcrecon: %s: cannot write summary: %s%s\n",
                utf8_show_path(path, shown, sizeof shown), strerror(e),
                summary_to_do(s, e, regular));
        if (fd >= 0)
            close(fd);
        *rc = EX_CANTCREAT;
        return 1;
    }
    *rc = 0;
    if (put_and_close(f, s, false) != 0) {
        int e = errno;
        fprintf(stderr, "svcrecon: %s: cannot write summary: %s%s\n",
                utf8_show_path(path, shown, sizeof shown), strerror(e),
                summary_to_do(s, e, regular));
        *rc = EX_CANTCREAT;
    }
    return 1;
}

/* The summary's temporary file FILE.tmp, made afresh and never through a
 * symbolic link: a link left under that name had the summary written
 * over the file it names (tests/e2e/t8500). The name is the summary's
 * own: whatever is there is removed first. */
static FILE *open_tmp(const char *tmp)
{
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                  0666);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

/* Two commands given the same --summary FILE (the cron job started twice,
 * a run and an operator's import) share FILE.tmp: one's unlink and open
 * came between the other's open and rename, which then renamed the
 * other's half-written file into place, or failed ("cannot write
 * summary: No such file or directory"), and a run's start then removed
 * the summary (tests/e2e/t9200). The writers of summaries in one folder
 * take turns: an exclusive flock(2) on the folder, held from the unlink
 * to the rename (a few kilobytes), dropped by the kernel if the holder
 * dies. A folder that cannot be opened or locked (no read permission, a
 * file system without flock) is written as before. Returns the fd to
 * give to folder_unlock, or -1. */
static int folder_lock(const char *dest)
{
    char dir[4200];
    const char *slash = strrchr(dest, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dest)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - dest) < sizeof dir)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - dest), dest);
    else
        return -1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

static void folder_unlock(int fd)
{
    if (fd >= 0)
        close(fd);       /* drops the flock */
}

int run_summary_write(const struct run_record *s)
{
    const char *path = s->o->summary_path;
    char tmp[4200];
    int rc;
    if (!path)
        return 0;
    if (write_in_place(path, s, &rc))
        return rc;
    /* A symbolic link to a file: the file it names is replaced (or, the
     * first time, created), the link kept (renamed over the link, the
     * summary replaced the link and left its target, which monitoring
     * reads, yesterday's). */
    char *target = summary_path_link_target(path);
    const char *dest = target ? target : path;
    /* Paths as given may hold a newline or an escape: shown escaped, one
     * line per problem (tests/e2e/t9900). */
    char shown[UTF8_PATH_SHOWN], shown_tmp[UTF8_PATH_SHOWN];
    const char *path_shown = utf8_show_path(path, shown, sizeof shown);
    rc = EX_CANTCREAT;
    FILE *f = NULL;
    int turn = folder_lock(dest);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", dest) >= sizeof tmp)
        fprintf(stderr, "svcrecon: %s: cannot create summary: name too "
                "long (%zu bytes, at most %zu: FILE.tmp is written first): give "
                "--summary a shorter path%s\n", path_shown, strlen(dest),
                sizeof tmp - sizeof ".tmp", !s->copy ? ", then run again (what the run did "
                "is kept)" : s->copy->committed ? " next time (the copy is "
                "committed: do not run it again, its target holds the data "
                "now)" : " (nothing was copied, the target is as it was; the "
                "copy's own line says why)");
    else if (!(f = open_tmp(tmp))) {
        int e = errno;
        /* The summary named, not only its temporary file: "s.json.tmp:
         * cannot create summary" named a file the operator never gave
         * (QA pass 34's note). */
        char shown_dest[UTF8_PATH_SHOWN];
        const char *slash = strrchr(tmp, '/');
        fprintf(stderr, "svcrecon: %s%s%s%s: cannot create summary (its "
                "temporary file %s): %s%s\n",
                utf8_show_path(dest, shown_dest, sizeof shown_dest),
                target ? " (the file the link '" : "",
                target ? path_shown : "", target ? "' names)" : "",
                utf8_show_path(slash ? slash + 1 : tmp, shown_tmp,
                               sizeof shown_tmp),
                strerror(e), summary_to_do(s, e, true));
    }
    if (f) {
        if (put_and_close(f, s, false) != 0 || rename(tmp, dest) != 0) {
            int e = errno;
            fprintf(stderr, "svcrecon: %s: cannot write summary: %s%s\n",
                    path_shown, strerror(e), summary_to_do(s, e, true));
            unlink(tmp);
        } else {
            rc = 0;
        }
    }
    folder_unlock(turn);
    free(target);
    return rc;
}

void run_summary_running(const struct run_record *s)
{
    const char *path = s->o->summary_path;
    struct stat st;
    char tmp[4200];
    if (!path || own_stream(path) ||
        (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
        return;
    char *target = summary_path_link_target(path);
    const char *dest = target ? target : path;
    FILE *f = NULL;
    int turn = folder_lock(dest);
    /* The summary there is an earlier run's, perhaps a success, which
     * monitoring would read as tonight's until "running" is renamed over
     * it: removed first, so that a run stopped meanwhile (SIGTERM during
     * the temporary file's fsync, on a busy disk) or one that cannot
     * write it (a full disk, most often) leaves no summary, which says
     * "look", as the end's message does if it cannot write either
     * (removing a file takes no space; qa87). */
    unlink(dest);
    bool ok = (size_t)snprintf(tmp, sizeof tmp, "%s.tmp", dest) < sizeof tmp
              && (f = open_tmp(tmp)) != NULL;
    if (ok && put_and_close(f, s, true) != 0)
        ok = false;
    test_pause("summary running", 10);
    if (ok && rename(tmp, dest) != 0)
        ok = false;
    if (!ok)
        unlink(tmp);
    folder_unlock(turn);
    free(target);
}

int run_summary_usage(const struct batch_opts *o, const char *command,
                      const char *message)
{
    struct run_record s;
    run_record_start(&s, command, o);
    s.exit_code = EX_USAGE;
    snprintf(s.fatal, sizeof s.fatal, "%s", message);
    s.has_fatal = true;
    int rc = run_summary_write(&s);
    run_record_free(&s);
    return rc;
}
