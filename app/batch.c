/* batch.c -- import, report and run (SPEC §5, §6): the run lock, the inbox
 * listing, the order of imports, what is said on stderr, and the exit code
 * (the most severe outcome, by diag_worse()). The record of the
 * run and its JSON summary are run_summary.c's; the progress bar is
 * progress.c's.
 *
 * What stderr says (README "Output for cron"): without --quiet, one line
 * per file that loaded or failed (rejected rows counted, not listed: they
 * are in the audit workbook), the skipped files folded into one line, a
 * line per workbook, and one final status line. With --quiet, nothing on a
 * good night and one line per problem otherwise: a refused or unreadable
 * file, a stray or empty inbox, an error that stopped the run. */
#include "app/batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/lock.h"
#include "app/progress.h"
#include "app/run_summary.h"
#include "etl/load.h"
#include "etl/sniff.h"
#include "lib/db.h"
#include "lib/utf8.h"
#include "schemas/sql.h"

static void note_fatal(struct run_record *s, const struct diag *d)
{
    progress_clear();
    diag_print(d);
    s->exit_code = diag_worse(s->exit_code, d->exit_code);
    if (!s->has_fatal) {
        diag_format(d, s->fatal, sizeof s->fatal);
        s->has_fatal = true;
    }
}

static void note_oom(struct run_record *s, const char *what)
{
    struct diag d = {0};
    diag_set(&d, EX_SOFTWARE, NULL, 0, "out of memory %s", what);
    note_fatal(s, &d);
}

/* A warning for the summary; say prints it on stderr too (even with
 * --quiet: a warning is a problem someone should look at). */
__attribute__((format(printf, 6, 7)))
static void warn(struct run_record *s, bool say, const char *code,
                 const char *file, unsigned long line, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (say) {
        /* msg may quote a file name read back from the database (a late
         * file's earlier one): shown escaped, one line (tests/e2e/t9900);
         * the summary and the audit keep it as it is. */
        char buf[UTF8_PATH_SHOWN], shown[4 * sizeof msg];
        const char *said = utf8_show_path(msg, shown, sizeof shown);
        progress_clear();
        if (file)
            fprintf(stderr, "svcrecon: %s: %s\n",
                    utf8_show_path(file, buf, sizeof buf), said);
        else
            fprintf(stderr, "svcrecon: %s\n", said);
    }
    if (!run_record_warn(s, code, file, line, msg))
        note_oom(s, "keeping a warning");
}

static struct load_result *new_file(struct run_record *s)
{
    struct load_result *f = run_grow(s->files, s->n_files, &s->cap_files,
                                     sizeof *f);
    if (!f)
        return NULL;
    s->files = f;
    return &s->files[s->n_files++];
}

static bool quiet(const struct run_record *s)
{
    return s->o->report.quiet;
}

/* The file's one line: what became of it. A refusal or an unreadable file
 * is a problem (said with --quiet too); a skipped file is counted for the
 * folded line at the end. */
static void tell_file(struct run_record *s, const struct load_result *r)
{
    char buf[UTF8_PATH_SHOWN];
    const char *path = utf8_show_path(r->path, buf, sizeof buf);
    progress_clear();
    switch (r->status) {
    case LOAD_LOADED:
        if (quiet(s))
            break;
        fprintf(stderr, "svcrecon: %s: %s: %lu read, %lu loaded, %lu "
                "rejected%s (%.2f s)\n", path, feed_kind_name(r->kind),
                r->rows_read, r->rows_loaded, r->rows_rejected,
                r->rows_rejected ? ", listed in the audit workbook" : "",
                r->seconds);
        break;
    case LOAD_REFUSED:       /* its reason says what to do (etl/sniff.c) */
        fprintf(stderr, "svcrecon: %s: %s\n", path, r->reason);
        break;
    case LOAD_UNREADABLE:    /* its reason says what to do (etl/load.c) */
        fprintf(stderr, "svcrecon: %s: %s\n", path, r->reason);
        break;
    default:
        break;           /* skipped: folded; failed: note_fatal says it */
    }
}

/* SPEC §2: unknown columns are named once in the run's warnings. */
static void file_warnings(struct run_record *s, const struct load_result *r)
{
    if (r->status == LOAD_LOADED && r->warning[0])
        warn(s, !quiet(s), "unknown_columns", r->path, 1, "%s", r->warning);
    /* README "Late files" (issue 16): said even with --quiet, a scheduler
     * must see that history changed. */
    if (r->status == LOAD_LOADED && r->late[0])
        warn(s, true, "late_file", r->path, 0, "%s", r->late);
    /* SPEC §6: most rows rejected as a legacy encoding is a problem to
     * fix at the source: said even with --quiet. */
    if (r->status == LOAD_LOADED && r->diagnosis[0])
        warn(s, true, "legacy_encoding", r->path, 0, "%s", r->diagnosis);
}

/* A lost connection to the database server (PostgreSQL: a restart, a
 * failover, a network cut) ends the command with 75, try later: the server
 * rolled back what was in flight, what was committed is kept, and the
 * rerun completes it (the systemd unit retries 75; it was 70, "internal
 * error", which it does not). The back end's words ("inserting a row: lost the connection ...") name
 * neither what was cut short nor what to do. Said here, in the one place
 * that knows both: the file in flight (file) or the report (file NULL),
 * what became of it (lost: the server rolled it back) and that the rerun
 * completes it; then the back end's words with the database's name, which
 * never holds the password (db_display_name). */
static void say_lost(struct db *db, const char *file, const char *lost,
                     struct diag *d)
{
    if (!db_connection_lost(db))
        return;
    char why[sizeof d->reason];
    snprintf(why, sizeof why, "%s", d->reason);
    diag_set(d, EX_TEMPFAIL, file, 0, "lost the connection to the database "
             "server %s (%s: %s)", lost, db_display_name(db), why);
}

/* Appends note to d's reason whole, cutting the reason's own words (at a
 * character, marked "...") when both do not fit: note says what a
 * scheduler must know, the words before it may end in a long path. */
static void append_whole(struct diag *d, const char *note)
{
    static const char cut[] = "...";
    size_t len = strlen(d->reason), n = strlen(note);
    if (n + sizeof cut > sizeof d->reason)
        n = 0;                                /* cannot happen: sized */
    if (len + n >= sizeof d->reason) {
        len = sizeof d->reason - n - sizeof cut;
        while (len > 0 && ((unsigned char)d->reason[len] & 0xC0) == 0x80)
            len--;                            /* not inside a character */
        memcpy(d->reason + len, cut, sizeof cut - 1);
        len += sizeof cut - 1;
    }
    memcpy(d->reason + len, note, n);
    d->reason[len + n] = '\0';
}

/* A file the command did not come to: an earlier file FAILED (database
 * trouble, which stops the command), or, stopped_at NULL, the command
 * stopped before its first file (the database could not be opened,
 * locked or given its schema: a full disk, a busy lock). It is listed, so
 * that the summary accounts for every file given or delivered
 * (control_totals.files) and the final line's counts add up; the rerun
 * loads it (README "Output for cron", decision). path: kept as the
 * command keeps its files' paths (run: malloc'd, freed by end(); import:
 * argv). -1 out of memory. */
static int not_tried(struct run_record *s, const char *path,
                     enum feed_kind kind, const char *stopped_at)
{
    struct load_result *r = new_file(s);
    if (!r)
        return -1;
    char buf[UTF8_PATH_SHOWN];
    *r = (struct load_result){.path = path, .kind = kind,
                              .status = LOAD_NOT_TRIED};
    if (!stopped_at) {
        /* Its bytes may have been imported on an earlier night (an
         * inbox keeps its files): not "it loads", which the next run would
         * not do (qa79). */
        snprintf(r->reason, sizeof r->reason, "not tried: the command "
                 "stopped before its first file, at the database (the "
                 "command's error says why and what to do); the command "
                 "run again takes it (loads it, or skips it if its bytes "
                 "were imported before)");
        return 0;
    }
    snprintf(r->reason, sizeof r->reason, "not tried: the command stopped "
             "at %s (database trouble); it loads when the command runs "
             "again", utf8_show_path(stopped_at, buf, sizeof buf));
    return 0;
}

static int import_one(struct run_record *s, struct db *db, const char *path,
                      enum feed_kind kind, int nth, int of)
{
    struct load_result *r = new_file(s);
    struct diag d = {0};
    if (!r) {
        note_oom(s, "recording a file");
        return -1;
    }
    /* import (a person at a terminal, fixing a feed) sees its first
     * rejected rows; run (the scheduled command) one line per file. */
    bool by_hand = strcmp(s->command, "import") == 0 && !quiet(s);
    struct load_opts lo = {.silent = true, .before_say = progress_clear,
                           .max_messages = by_hand ? 5 : 0};
    /* `run` knows the report its imports are for (q_delivery_put.sql). */
    lo.has_night = strcmp(s->command, "run") == 0;
    lo.no_link = lo.has_night;     /* the inbox: etl/load.c link_refused */
    lo.night_as_of_day = s->o->report.as_of_day;
    struct progress p;
    if (s->o->report.progress_bar) {
        progress_start(&p, path, nth, of);
        lo.progress = progress_file;
        lo.progress_ctx = &p;
    }
    int rc = load_file(db, path, kind, &lo, r, &d);
    if (s->o->report.progress_bar)
        progress_done(&p, r);
    tell_file(s, r);
    file_warnings(s, r);
    if (rc == 0) {
        if (r->status == LOAD_REFUSED)
            s->exit_code = diag_worse(s->exit_code, EX_DATAERR);
        else if (r->status == LOAD_UNREADABLE)
            s->exit_code = diag_worse(s->exit_code, EX_NOINPUT);
        return 0;
    }
    /* What to do names the command the operator runs: `run` takes the
     * file from its inbox again; a file given to `import` by hand is not
     * in any inbox, so "the next run" would not load it. */
    say_lost(db, path, strcmp(s->command, "import") == 0 ?
             "while loading this file: the server rolled the file back, "
             "nothing of it is kept; import it again" :
             "while loading this file: the server rolled the file back, "
             "nothing of it is kept; it loads again on the next run", &d);
    /* The database's own failure (a full disk, a lock timeout) named the
     * database alone, "svc.db: committing the file: ...": which file was
     * not said, and under --quiet nothing else says it (qa72). The feed
     * is named first, the database in the reason, when that fits whole
     * (what to do ends the reason and is never cut for it). */
    if (d.file[0] && strcmp(d.file, path) != 0) {
        char why[sizeof d.reason];
        int n = snprintf(why, sizeof why, "loading it into %s: %s", d.file,
                         d.reason);
        if (n > 0 && (size_t)n < sizeof why)
            diag_set(&d, d.exit_code, path, 0, "%s", why);
    }
    note_fatal(s, &d);
    return -1;                 /* database trouble: stop the run */
}

/* SPEC §5: a lock file is never created beside something that is not a
 * database we opened. An existing, non-empty file that does not start
 * with SQLite's magic is refused before the lock is taken, as db_open
 * would refuse it (EX_DATAERR, untouched). */
int batch_check_db_file(const char *path, const char *option,
                        struct diag *d)
{
    static const char magic[16] = "SQLite format 3";
    char head[16];
    struct stat sb;
    if (stat(path, &sb) != 0)
        return 0;                   /* missing: created on first use */
    if (!S_ISREG(sb.st_mode))
        return diag_set(d, EX_NOINPUT, path, 0, "cannot open database: not "
                        "a regular file; give --db the database's file (a "
                        "folder or a device is not one)");
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;                   /* db_open says why */
    size_t n = fread(head, 1, sizeof head, f);
    fclose(f);
    if (n == 0 || (n == sizeof head && memcmp(head, magic, 16) == 0))
        return 0;
    /* the option that named it: copy's --from or --to said "--db" (qa83) */
    return diag_set(d, EX_DATAERR, path, 0, "file is not a database (no "
                    "SQLite header; is %s naming a feed file?); left "
                    "untouched", option);
}

/* SPEC §5: report needs an existing database (66, nothing created): a
 * typo in a path must not become "0 unclosed calls". */
static int check_exists(const char *path, struct diag *d)
{
    struct stat sb;
    if (stat(path, &sb) == 0) {
        /* An empty file (a copy that failed, `> svc.db`) is no database
         * either: SQLite would make it a new one and the report would say
         * "0 unclosed calls", exit 0 (tests/e2e/t8500). Unless its -wal
         * holds a first transaction not yet written into it. */
        char wal[4200];
        struct stat ws;
        if (!S_ISREG(sb.st_mode) || sb.st_size > 0 ||
            ((size_t)snprintf(wal, sizeof wal, "%s-wal", path) < sizeof wal &&
             stat(wal, &ws) == 0 && ws.st_size > 0))
            return 0;
        return diag_set(d, EX_NOINPUT, path, 0, "cannot open database: the "
                        "file is empty (0 bytes), not a database (report "
                        "needs an existing database; import or run creates "
                        "it); restore it from a backup, or correct --db");
    }
    /* What to do, as explain's (lib/db_sqlite.c): a path that is not
     * there is corrected; another reason (Permission denied, a name too
     * long) is not cured by import or run (QA pass 39). */
    int e = errno;
    return diag_set(d, EX_NOINPUT, path, 0, "cannot open database: %s%s",
                    strerror(e), e == ENOENT || e == ENOTDIR ?
                    " (report needs an existing database; import or run "
                    "creates it: correct the path)" : "; give --db a "
                    "database file this user can reach and read");
}

/* A SQLite file report needs must hold tables: a blank database (made by
 * another tool, or a copy's target left empty) was taken as svcrecon's,
 * given the schema and reported as "0 unclosed calls", exit 0, where a
 * 0-byte file and an empty PostgreSQL schema are 66 (qa54). Looked at
 * read-only, under the run lock (a first run making it is 75, not this);
 * a file that cannot be looked at so (a hot journal) is left to the
 * write open, which rolls it back. */
static int check_file_has_tables(const char *path, struct diag *d)
{
    struct db *db = NULL;
    struct db_stmt *q = NULL;
    struct diag probe = {0};
    int version = -1, rc = 0;
    if (db_open(path, NULL, DB_READ_ANY, &db, &probe) == 0 &&
        db_schema_version(db, &version, &probe) == 0 && version == 0 &&
        db_prepare(db, "SELECT 1 FROM sqlite_master LIMIT 1", &q, &probe,
                   "looking for tables") == 0 &&
        db_step(q, &probe, "looking for tables") == DB_DONE)
        rc = diag_set(d, EX_NOINPUT, path, 0, "cannot open database: it "
                      "holds no svcrecon tables (nothing was imported into "
                      "it); report needs an existing database (import or "
                      "run makes it): correct --db, or import first");
    db_finalize(q);
    db_close(db);
    return rc;
}

/* A server database that report needs: it must hold svcrecon's tables
 * (66 otherwise, nothing created), as a file must exist. */
static int check_server_has_tables(const struct batch_opts *o,
                                   struct diag *d)
{
    struct db *db = NULL;
    int rc = db_open(o->db_target, o->schema, DB_READ_ONLY, &db, d);
    db_close(db);
    return rc;
}

/* Lock, then open (SQLite: the lock file beside the database, taken before
 * open so that a migration never races; PostgreSQL: the advisory lock of
 * the database and schema, taken on the connection). Both failures are
 * fatal for the command. */
static struct db *begin(struct run_record *s, struct lock *l, bool must_exist)
{
    struct diag d = {0};
    struct db *db = NULL;
    const char *target = s->o->db_target;
    bool server = db_is_server(target);
    /* A SQLite file is checked and locked by the path as given: db_path
     * is the name as shown, cut to 1,023 bytes, and a longer --db had
     * its checks and lock made on another file (a stray "svc.d.lock" in
     * a folder above; report's "No such file" for the cut name) while
     * SQLite opened the path given (tests/e2e/t9985). */
    const char *path = server ? s->o->db_path : target;
    bool blank = false;
    if ((must_exist && (server ? check_server_has_tables(s->o, &d)
                               : check_exists(path, &d)) != 0) ||
        (!server && (batch_check_db_file(path, "--db", &d) != 0 ||
                     lock_acquire(l, path, &d) != 0 ||
                     (must_exist && (blank = check_file_has_tables(
                                         path, &d) != 0)))) ||
        db_open(target, s->o->schema, DB_WRITE, &db, &d) != 0 ||
        db_try_lock(db, &d) != 0) {        /* a no-op on SQLite (db.h) */
        db_close(db);
        if (!server && (d.exit_code == EX_DATAERR || blank))
            lock_discard(l);    /* not our file: no DB.lock left beside it */
        note_fatal(s, &d);
        return NULL;
    }
    return db;
}

/* The one status line that ends a command's output (not with --quiet):
 * exit code and status word, file and row counts, listed rows, time. */
static void final_line(const struct run_record *s)
{
    int n[LOAD_STATUS_COUNT] = {0};
    unsigned long read = 0, rejected = 0;
    for (int i = 0; i < s->n_files; i++) {
        n[s->files[i].status]++;
        read += s->files[i].rows_read;
        rejected += s->files[i].rows_rejected;
    }
    if (quiet(s))
        return;
    bool import = strcmp(s->command, "import") == 0;
    char files[260] = "", listed[120] = "", stopped[60] = "";
    /* the files a database failure left: counted only when there are
     * some, so that a good night's line stays as the README shows it */
    if (n[LOAD_FAILED] || n[LOAD_NOT_TRIED])
        snprintf(stopped, sizeof stopped, ", %d failed, %d not tried",
                 n[LOAD_FAILED], n[LOAD_NOT_TRIED]);
    if (strcmp(s->command, "report") != 0)
        snprintf(files, sizeof files, "; files: %d loaded, %d skipped, %d "
                 "refused, %d unreadable%s; rows: %lu read, %lu rejected",
                 n[LOAD_LOADED], n[LOAD_SKIPPED], n[LOAD_REFUSED],
                 n[LOAD_UNREADABLE], stopped, read, rejected);
    /* the counts of all three workbooks: not when only some went into
     * place (fix61; the summary says which) */
    if (s->reported && (s->recorded || s->report.in_place))
        snprintf(listed, sizeof listed, "; listed: %lu unclosed, %lu "
                 "non-compensable", s->report.n_unclosed,
                 s->report.n_noncomp);
    fprintf(stderr, "svcrecon: %s%s%s: exit %d (%s)%s%s; %.1f s\n",
            s->command, import ? "" : " as of ",
            import ? "" : s->o->report.as_of, s->exit_code,
            run_status_word(s), files, listed, run_record_seconds(s));
}

/* The skipped files, folded into one line once the imports are done. */
static void tell_skipped(const struct run_record *s)
{
    int n = 0;
    for (int i = 0; i < s->n_files; i++)
        n += s->files[i].status == LOAD_SKIPPED && !s->files[i].given_again;
    if (n > 0 && !quiet(s))
        fprintf(stderr, "svcrecon: %d file%s skipped: the same bytes were "
                "imported before\n", n, n == 1 ? "" : "s");
}

static int end(struct run_record *s, struct db *db, struct lock *l)
{
    struct diag d = {0};
    if (db_finish(db, &d) != 0)   /* before the lock goes (fix81) */
        note_fatal(s, &d);
    db_close(db);
    lock_release(l);
    progress_clear();
    int rc = run_summary_write(s);
    s->exit_code = diag_worse(s->exit_code, rc);
    final_line(s);
    run_record_free(s);
    return s->exit_code;
}

static void report(struct run_record *s, struct db *db)
{
    struct diag d = {0};
    progress_clear();
    if (report_write_all(db, &s->o->report, &s->report, &d) != 0) {
        /* Which workbooks went into place when a later one failed (fix61):
         * "its workbooks may be missing or older" hid a complete one of
         * tonight's in --out, beside older ones of the same date. */
        char some[200] = "";
        bool any = false;
        int n_in = 0;
        for (int k = 0; k < REPORT_N && !s->report.in_place; k++) {
            if (!s->report.book_in_place[k])
                continue;
            const char *base = strrchr(s->report.path[k], '/');
            size_t len = strlen(some);
            snprintf(some + len, sizeof some - len, "%s%s", any ? ", " : "",
                     base ? base + 1 : s->report.path[k]);
            any = true;
            n_in++;
        }
        char books[320];
        if (s->report.in_place)
            snprintf(books, sizeof books, "are in place, complete");
        else if (n_in == REPORT_N)     /* the statements failed */
            snprintf(books, sizeof books, "are in place, complete, not the "
                     "dealer statements");
        else if (any)
            snprintf(books, sizeof books, "are not all in place: only %s "
                     "(complete, tonight's); the others may be missing or "
                     "older", some);
        else
            snprintf(books, sizeof books, "may be missing or older");
        char lost[640];
        snprintf(lost, sizeof lost, "while writing the report as of %s: the "
                 "report is not recorded and its workbooks %s; %s (the "
                 "imported files are kept)", s->o->report.as_of, books,
                 strcmp(s->command, "report") == 0 ?
                 "run the report again" : s->report.in_place ?
                 "the next run records it" : "the next run writes it");
        say_lost(db, NULL, lost, &d);
        /* Not a lost connection: the failure's own words, then what is in
         * --out of tonight's, whole: the words are cut to make room (a
         * long --out fills the reason with the paths it names, and the
         * note was cut off at its 512 bytes, fix70). */
        if (any && n_in < REPORT_N && !db_connection_lost(db)) {
            char note[sizeof some + 160];
            snprintf(note, sizeof note, "; the report is not recorded and "
                     "only %s of its workbooks %s in place (complete); %s",
                     some, n_in == 1 ? "is" : "are",
                     strcmp(s->command, "report") == 0 ?
                     "run the report again" : "the next run writes them all");
            append_whole(&d, note);
        }
        note_fatal(s, &d);
        /* The workbooks went into place and only their record failed (a
         * full disk at the report's COMMIT): they are real, and the
         * summary names them, "recorded": false, beside the failure's
         * status and exit code; it said "reports": null of workbooks a
         * scheduler found in --out (fix57). So does one workbook in place
         * when a later one failed: each workbook's "in_place" says which
         * (fix61). */
        s->reported = s->report.in_place || any;
        return;
    }
    s->reported = true;
    s->recorded = true;
    /* The workbooks were up to date: no report ran to count them. A
     * failure here is the database's (a step that failed after the
     * report's own statements worked) and fails the run as any other. */
    if (!s->report.has_buckets &&
        report_count_buckets(db, &s->o->report, &s->report, &d) != 0)
        note_fatal(s, &d);
}

/* The workbooks' Run and About and the summary name what a server
 * connection reached (db_reached_name: host or socket folder, port,
 * database, user), not the URI as typed, which says nothing with PG*
 * variables or a service file ("postgresql://", "postgresql://?service=
 * night"); messages keep the URI as typed, as the operator wrote it
 * (README "PostgreSQL", decision). A SQLite file is named as before. */
static void name_reached(struct batch_opts *o, struct db *db)
{
    static char name[4096];
    if (!db || !db_is_server(o->db_target))
        return;
    int n = snprintf(name, sizeof name, "%s", db_reached_name(db));
    if (n <= 0 || (size_t)n >= sizeof name)
        return;
    o->db_path = name;
    o->report.db_path = name;
}

/* import's FILE... naming one file twice -- the same text (`f.csv
 * f.csv`), or the same file by another path (`./f.csv`, a symbolic or
 * hard link): README "Decisions", import. The file is read once, under
 * its first name; each repeat is a "skipped" file of the summary whose
 * reason names the first, and one line without --quiet. It was read
 * again: "skipped: the same bytes were imported before" for a loaded
 * file, a refused or unreadable one said and recorded once per name
 * (QA pass 39, tests/e2e/t9985). Each path is stat'ed once. */
struct file_id {
    dev_t dev;
    ino_t ino;
    bool  known;
};

static int given_before(char **files, const struct file_id *ids, int i)
{
    for (int j = 0; j < i; j++)
        if (strcmp(files[i], files[j]) == 0 ||
            (ids && ids[i].known && ids[j].known &&
             ids[i].dev == ids[j].dev && ids[i].ino == ids[j].ino))
            return j;
    return -1;
}

static void given_again(struct run_record *s, const char *path,
                        const char *first)
{
    struct load_result *r = new_file(s), *was = NULL;
    if (!r) {
        note_oom(s, "recording a file");
        return;
    }
    for (int k = 0; k < s->n_files - 1; k++)
        if (s->files[k].path == first)
            was = &s->files[k];
    memset(r, 0, sizeof *r);
    r->path = path;
    r->kind = s->o->kind;
    r->status = LOAD_SKIPPED;
    r->given_again = true;
    if (was) {
        memcpy(r->sha256, was->sha256, sizeof r->sha256);
        r->bytes = was->bytes;
    }
    snprintf(r->reason, sizeof r->reason, "the same file as '%s', given "
             "earlier on this command line: read once", first);
    if (!quiet(s)) {
        char buf[UTF8_PATH_SHOWN], shown[4 * sizeof r->reason];
        progress_clear();
        fprintf(stderr, "svcrecon: %s: %s\n",
                utf8_show_path(path, buf, sizeof buf),
                utf8_show_path(r->reason, shown, sizeof shown));
    }
}

int batch_import(struct batch_opts *o)
{
    struct run_record s;
    struct lock l = {.fd = -1};
    run_record_start(&s, "import", o);
    run_summary_running(&s);
    struct db *db = begin(&s, &l, false);
    name_reached(o, db);
    /* NULL when out of memory: then the same text alone is told */
    struct file_id *ids = db ? calloc((size_t)o->n_files, sizeof *ids) : NULL;
    for (int i = 0; ids && i < o->n_files; i++) {
        struct stat st;
        if (stat(o->files[i], &st) == 0)
            ids[i] = (struct file_id){st.st_dev, st.st_ino, true};
    }
    for (int i = 0; db && i < o->n_files; i++) {
        int first = given_before(o->files, ids, i);
        if (first >= 0)
            given_again(&s, o->files[i], o->files[first]);
        else if (import_one(&s, db, o->files[i], o->kind, i + 1,
                            o->n_files) != 0) {
            for (int k = i + 1; k < o->n_files; k++)
                if (not_tried(&s, o->files[k], o->kind, o->files[i]) != 0) {
                    note_oom(&s, "recording a file not tried");
                    break;
                }
            break;
        }
    }
    /* stopped before the first file: every file given is accounted for */
    for (int i = 0; !db && i < o->n_files; i++)
        if (not_tried(&s, o->files[i], o->kind, NULL) != 0) {
            note_oom(&s, "recording a file not tried");
            break;
        }
    free(ids);
    tell_skipped(&s);
    return end(&s, db, &l);
}

int batch_report(struct batch_opts *o)
{
    struct run_record s;
    struct lock l = {.fd = -1};
    run_record_start(&s, "report", o);
    run_summary_running(&s);
    struct db *db = begin(&s, &l, true);
    name_reached(o, db);
    if (db)
        report(&s, db);
    return end(&s, db, &l);
}

/* ---- run: the inbox ------------------------------------------------------ */

/* One entry of the inbox, listed once. kind is -1 for a name that matches
 * no kind. */
struct inbox_entry {
    char *name;
    char *key;      /* its order: the name as the database keeps it */
    int   kind;
};

struct inbox {
    struct inbox_entry *e;
    int                 n, cap;
};

/* The kind whose name starts name, in any letter case ("Dispatches_…"),
 * with the prefix's length in *plen; -1 when none does. */
static int kind_prefix(const char *name, size_t *plen)
{
    static const enum feed_kind kinds[] = {FEED_REGISTRATIONS,
                                           FEED_DISPATCHES, FEED_CLOSEOUTS};
    for (int k = 0; k < 3; k++) {
        const char *prefix = feed_kind_name(kinds[k]);
        *plen = strlen(prefix);
        if (strncasecmp(name, prefix, *plen) == 0)
            return (int)kinds[k];
    }
    return -1;
}

/* registrations*.csv, dispatches*.csv, closeouts*.csv, in any letter
 * case ("Dispatches_2026-03-12.CSV", as a Windows export names it: left
 * alone as a stray, the night ended 0 without it; tests/e2e/t7500); -1
 * otherwise. */
static int kind_of(const char *name)
{
    size_t plen, len = strlen(name);
    int kind = kind_prefix(name, &plen);
    return kind >= 0 && len >= plen + 4 &&
           strcasecmp(name + len - 4, ".csv") == 0 ? kind : -1;
}

/* Import order (SPEC §5): registrations, dispatches, closeouts, each kind
 * in byte order of name; the strays last, by name, for their warnings. */
static int import_order(const void *a, const void *b)
{
    static const int rank[] = {[FEED_REGISTRATIONS] = 0,
                               [FEED_DISPATCHES] = 1, [FEED_CLOSEOUTS] = 2};
    const struct inbox_entry *x = a, *y = b;
    int rx = x->kind < 0 ? 3 : rank[x->kind];
    int ry = y->kind < 0 ? 3 : rank[y->kind];
    if (rx != ry)
        return rx < ry ? -1 : 1;
    return strcmp(x->key, y->key);
}

static void inbox_free(struct inbox *ib)
{
    for (int i = 0; i < ib->n; i++) {
        if (ib->e[i].key != ib->e[i].name)
            free(ib->e[i].key);
        free(ib->e[i].name);
    }
    free(ib->e);
}

static bool inbox_add(struct inbox *ib, const char *name)
{
    struct inbox_entry *e = run_grow(ib->e, ib->n, &ib->cap, sizeof *e);
    if (!e)
        return false;
    ib->e = e;
    char *copy = strdup(name);
    if (!copy)
        return false;
    /* Byte order of the name as the database keeps it (etl/load.c
     * set_stored_text: as shown, \xNN, when it is not UTF-8): the late
     * file check compares the kept names, and a Latin-1 name loaded in
     * the order of its raw bytes was warned about as a late file (QA pass
     * 35's case, dispatches_\xFF... after dispatches_\xEF\xBF\xBE...). */
    size_t len = strlen(name);
    char *key = copy;
    if (!utf8_valid(name, len, NULL)) {
        if (!(key = malloc(4 * len + 1))) {
            free(copy);
            return false;
        }
        utf8_show(name, len, len, key, 4 * len + 1);
    }
    ib->e[ib->n].name = copy;
    ib->e[ib->n].key = key;
    ib->e[ib->n].kind = kind_of(name);
    ib->n++;
    return true;
}

/* Lists the inbox once (issue 11: it was read four times, and a failed
 * allocation silently dropped the rest of the listing). 0, or -1 with d
 * filled: 66 when it cannot be read, 70 when memory runs out. */
static int inbox_list(const char *dir_path, struct inbox *ib, struct diag *d)
{
    DIR *dir = opendir(dir_path);
    if (!dir)
        return diag_set(d, EX_NOINPUT, dir_path, 0, "cannot open inbox: %s; "
                        "check that --inbox names a readable folder",
                        strerror(errno));
    /* Listed but not entered (r without x): each file said "cannot open:
     * Permission denied; deliver it as a readable, regular CSV file", the
     * files being fine. One line about the inbox (tests/e2e/t8500). */
    if (access(dir_path, X_OK) != 0) {
        int err = errno;
        closedir(dir);
        return diag_set(d, EX_NOINPUT, dir_path, 0, "cannot open inbox: %s "
                        "(its files can be listed, not opened: the folder "
                        "lacks execute permission for this user); make it "
                        "readable and searchable for this user (chmod, e.g. "
                        "a+rx), then run again", strerror(err));
    }
    struct dirent *e;
    errno = 0;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (!inbox_add(ib, e->d_name)) {
            closedir(dir);
            return diag_set(d, EX_SOFTWARE, dir_path, 0, "out of memory "
                            "while listing the inbox; nothing imported");
        }
        errno = 0;
    }
    int err = errno;
    closedir(dir);
    if (err)
        return diag_set(d, EX_NOINPUT, dir_path, 0, "cannot read inbox: "
                        "%s; check the inbox's disk or network share, then "
                        "run again (nothing was imported)", strerror(err));
    if (ib->n > 0)
        qsort(ib->e, (size_t)ib->n, sizeof *ib->e, import_order);
    return 0;
}

/* The separator between the inbox and a file name in it: none when the
 * inbox already ends with one (`--inbox in/`, as shell completion writes
 * it), so that a file is named "in/x.csv", not "in//x.csv". */
static const char *inbox_sep(const char *dir)
{
    size_t n = strlen(dir);
    return n && dir[n - 1] == '/' ? "" : "/";
}

/* An inbox file's path, malloc'd (NULL: out of memory): the inbox, its
 * separator and the name. A run's file record keeps it (end() frees it). */
static char *inbox_path(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *path = malloc(len);
    if (path)
        snprintf(path, len, "%s%s%s", dir, inbox_sep(dir), name);
    return path;
}

/* A stray named as a feed of some kind but not *.csv
 * ("dispatches_2026-03-11.csv.gz", "closeouts_2026-03-13.xlsx"): its kind
 * (-1 for another name), and in why, when its first bytes show a format
 * (etl/sniff.h: compressed, a workbook, UTF-16), what it is and what to
 * do. A regular file only, opened without following a link and without
 * waiting on a FIFO. SPEC §6: such a file is named as what it is; it was
 * "left alone: rename it if it is a feed", and renamed it was refused the
 * next night (QA pass 41). */
static int stray_format(const char *path, const char *name, char *why,
                        size_t size)
{
    size_t plen;
    int kind = kind_prefix(name, &plen);
    why[0] = '\0';
    if (kind < 0)
        return -1;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return kind;
    struct stat st;
    unsigned char head[SNIFF_HEAD];
    ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode)
                    ? read(fd, head, sizeof head) : -1;
    close(fd);
    if (n > 0 && sniff_head(head, (size_t)n, why, size)) {
        size_t len = strlen(why);          /* "; file refused": it is not */
        static const char tail[] = "; file refused";
        if (len >= sizeof tail - 1 &&
            strcmp(why + len - (sizeof tail - 1), tail) == 0)
            why[len - (sizeof tail - 1)] = '\0';
    } else {
        why[0] = '\0';
    }
    return kind;
}

/* Names the strays (left alone) and an inbox with no feed file (SPEC §5:
 * a warning, exit 0, an empty night). Returns the number of feed files. */
static int inbox_warnings(struct run_record *s, const struct inbox *ib)
{
    int n_feeds = 0;
    for (int i = 0; i < ib->n; i++) {
        if (ib->e[i].kind >= 0) {
            n_feeds++;
            continue;
        }
        char path[4200];
        snprintf(path, sizeof path, "%s%s%s", s->o->inbox,
                 inbox_sep(s->o->inbox), ib->e[i].name);
        /* A sub-folder is named as one, not as an "inbox file" whose
         * rename would make it a feed: svcrecon reads only the files
         * directly in --inbox. Still named every night, as every stray
         * is (SPEC §5; tests/e2e/t9970's guard, t9993). */
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            warn(s, true, "stray_file", path, 0, "inbox sub-folder is not "
                 "read (svcrecon reads only the files directly in "
                 "--inbox); left alone: move it out of the inbox, and its "
                 "files into the inbox if they are the night's feeds");
            continue;
        }
        char why[600];
        int kind = stray_format(path, ib->e[i].name, why, sizeof why);
        if (why[0])
            warn(s, true, "stray_file", path, 0, "inbox file matches no "
                 "kind (registrations*.csv, dispatches*.csv, "
                 "closeouts*.csv) and is named as a %s feed: the %s; then "
                 "deliver it as %s*.csv; left alone",
                 feed_kind_name((enum feed_kind)kind), why,
                 feed_kind_name((enum feed_kind)kind));
        else
            warn(s, true, "stray_file", path, 0, "inbox file matches no "
                 "kind (registrations*.csv, dispatches*.csv, "
                 "closeouts*.csv); left alone: rename it if it is a feed, "
                 "else move it out of the inbox");
    }
    if (n_feeds == 0)
        warn(s, true, "empty_inbox", s->o->inbox, 0, "inbox holds no feed "
             "file (registrations*.csv, dispatches*.csv, closeouts*.csv); "
             "nothing imported, the reports cover what was imported before: "
             "if the night's files were due, check their delivery and that "
             "--inbox names the folder they are delivered to, then run "
             "again");
    return n_feeds;
}

/* Keeps what inbox_warnings() named for the audit of the night
 * (schemas/tables/008_inbox_note.sql): SPEC §4 lists each file a run
 * found, and an auditor opening the night's audit sees the strays and an
 * empty inbox there, not only on stderr. Before the report, so that its
 * audit lists them. 0, or -1 (database trouble: fatal, no report). */
static int note_inbox(struct run_record *s, struct db *db,
                      const struct inbox *ib, int n_feeds)
{
    struct diag d = {0};
    const char *dir = s->o->inbox;
    int32_t night = s->o->report.as_of_day;
    for (int i = 0; i < ib->n; i++) {
        if (ib->e[i].kind >= 0)
            continue;
        char path[4200];
        snprintf(path, sizeof path, "%s%s%s", dir, inbox_sep(dir),
                 ib->e[i].name);
        if (load_note_inbox(db, night, "stray_file", ib->e[i].name, path,
                            &d) != 0)
            goto failed;
    }
    if (n_feeds == 0 &&
        load_note_inbox(db, night, "empty_inbox", dir, dir, &d) != 0)
        goto failed;
    return 0;
failed:
    say_lost(db, NULL, "while recording what the inbox held besides the "
             "feed files, before the report: no report was written (the "
             "imported files are kept); the next run writes it", &d);
    note_fatal(s, &d);
    return -1;
}

/* The inbox's feed files after entry `from`, when the file at `stopped`
 * failed (NULL: its record could not be kept; then it is not named), or
 * all of them (from 0, stopped NULL) when the command stopped before its
 * first file. */
static void not_tried_rest(struct run_record *s, const struct inbox *ib,
                           int from, const char *stopped)
{
    const char *dir = s->o->inbox;
    for (int i = from; i < ib->n && ib->e[i].kind >= 0; i++) {
        char *path = inbox_path(dir, ib->e[i].name);
        if (!path || not_tried(s, path, (enum feed_kind)ib->e[i].kind,
                               stopped) != 0) {
            free(path);
            note_oom(s, "recording a file not tried");
            return;
        }
    }
}

static int import_inbox(struct run_record *s, struct db *db,
                        const struct inbox *ib, int n_feeds)
{
    const char *dir = s->o->inbox;
    for (int i = 0, nth = 0; i < ib->n && ib->e[i].kind >= 0; i++) {
        char *path = inbox_path(dir, ib->e[i].name);
        if (!path) {
            note_oom(s, "naming an inbox file");
            return -1;
        }
        int rc = import_one(s, db, path, (enum feed_kind)ib->e[i].kind,
                            ++nth, n_feeds);
        /* the file's record keeps the path (end() frees it) */
        bool kept = s->n_files > 0 && s->files[s->n_files - 1].path == path;
        if (rc != 0) {
            not_tried_rest(s, ib, i + 1, kept ? path : "an earlier file");
            if (!kept)
                free(path);
            return -1;
        }
        if (!kept)
            free(path);
    }
    return 0;
}

int batch_run(struct batch_opts *o)
{
    struct run_record s;
    struct lock l = {.fd = -1};
    struct diag d = {0};
    struct inbox ib = {0};
    run_record_start(&s, "run", o);
    run_summary_running(&s);
    s.own_paths = true;
    if (inbox_list(o->inbox, &ib, &d) != 0) {
        note_fatal(&s, &d);
        inbox_free(&ib);
        return end(&s, NULL, &l);
    }
    struct db *db = begin(&s, &l, false);
    name_reached(o, db);
    if (db) {
        int n_feeds = inbox_warnings(&s, &ib);
        bool imported = import_inbox(&s, db, &ib, n_feeds) == 0;
        tell_skipped(&s);
        if (imported && !s.has_fatal && note_inbox(&s, db, &ib, n_feeds) == 0)
            report(&s, db);
    } else {
        not_tried_rest(&s, &ib, 0, NULL);    /* every feed file found */
    }
    inbox_free(&ib);
    return end(&s, db, &l);
}
