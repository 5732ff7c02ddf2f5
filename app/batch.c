/* batch.c -- import, report and run (SPEC §5, §6): the run lock, the inbox
 * scan, the order of imports, progress on stderr, the JSON summary, and the
 * exit code (the most severe outcome, by diag_worse()). */
#include "app/batch.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/cli.h"
#include "lib/db.h"
#include "etl/load.h"
#include "app/lock.h"
#include "lib/utf8.h"

#define MAX_MESSAGES_PER_FILE 5

/* What a command did, for the summary and the exit code. */
struct batch_state {
    const char          *command;
    struct batch_opts   *o;
    struct load_result  *files;      /* one per file attempted */
    int                  n_files, cap_files;
    char               **warnings;
    int                  n_warnings;
    struct report_result report;
    bool                 reported;
    int                  exit_code;
    char                 fatal[1600];/* the error that stopped the run */
    bool                 has_fatal;
    bool                 own_paths;  /* run: file paths were malloc'd */
    struct timespec      t0;
};

static void note_fatal(struct batch_state *s, const struct diag *d)
{
    diag_print(d);
    s->exit_code = diag_worse(s->exit_code, d->exit_code);
    if (!s->has_fatal) {
        diag_format(d, s->fatal, sizeof s->fatal);
        s->has_fatal = true;
    }
}

/* Keeps a warning for the summary JSON; say it prints it on stderr too. */
static void keep_warning(struct batch_state *s, const char *buf, bool say)
{
    if (say)
        fprintf(stderr, "svcrecon: %s\n", buf);
    char **w = realloc(s->warnings, (size_t)(s->n_warnings + 1) * sizeof *w);
    if (!w)
        return;
    s->warnings = w;
    s->warnings[s->n_warnings] = strdup(buf);
    if (s->warnings[s->n_warnings])
        s->n_warnings++;
}

static void add_warning(struct batch_state *s, const char *fmt,
                        const char *arg)
{
    char buf[1024];
    snprintf(buf, sizeof buf, fmt, arg);
    keep_warning(s, buf, true);
}

static struct load_result *new_file(struct batch_state *s)
{
    if (s->n_files == s->cap_files) {
        int cap = s->cap_files ? 2 * s->cap_files : 16;
        struct load_result *f = realloc(s->files, (size_t)cap * sizeof *f);
        if (!f)
            return NULL;
        s->files = f;
        s->cap_files = cap;
    }
    return &s->files[s->n_files++];
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- progress on stderr ------------------------------------------------ */

struct progress {
    bool               bar;
    unsigned long long total;
    struct timespec    t0;
};

static void progress_bar(void *ctx, const struct load_result *r,
                         unsigned long long done)
{
    struct progress *p = ctx;
    double secs = seconds_since(&p->t0);
    double pct = p->total ? 100.0 * (double)done / (double)p->total : 100.0;
    fprintf(stderr, "\r  %-32.32s %5.1f%% %10lu rows %7.1f MB/s", r->path,
            pct, r->rows_read, secs > 0 ? (double)done / 1e6 / secs : 0.0);
    fflush(stderr);
}

static void log_file(const struct batch_state *s, const struct load_result *r)
{
    if (s->o->report.progress_bar)
        fputs("\r\033[K", stderr);
    if (s->o->report.quiet)
        return;
    switch (r->status) {
    case LOAD_LOADED:
        fprintf(stderr, "svcrecon: %s: %s: %lu read, %lu loaded, %lu "
                "rejected (%.2f s)\n", r->path, feed_kind_name(r->kind),
                r->rows_read, r->rows_loaded, r->rows_rejected, r->seconds);
        break;
    case LOAD_SKIPPED:
        fprintf(stderr, "svcrecon: %s: skipped, the same bytes were "
                "imported before (sha256 %.12s...)\n", r->path, r->sha256);
        break;
    default:
        break;    /* refusals and errors were said when they happened */
    }
}

/* ---- JSON summary ------------------------------------------------------ */

/* A JSON string, or null for NULL. */
static void json_string(FILE *f, const char *s)
{
    if (s)
        utf8_put_json(f, s, strlen(s));
    else
        fputs("null", f);
}

static int write_summary(struct batch_state *s)
{
    const char *path = s->o->summary_path;
    char tmp[4200];
    if (!path)
        return 0;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "svcrecon: %s: cannot create summary: %s\n", tmp,
                strerror(errno));
        return EX_CANTCREAT;
    }
    const struct report_opts *r = &s->o->report;
    unsigned long read = 0, loaded = 0, rejected = 0;
    int n_status[5] = {0};
    for (int i = 0; i < s->n_files; i++) {
        read += s->files[i].rows_read;
        loaded += s->files[i].rows_loaded;
        rejected += s->files[i].rows_rejected;
        n_status[s->files[i].status]++;
    }
    fprintf(f, "{\n  \"version\": ");
    json_string(f, SVCRECON_VERSION);
    fprintf(f, ",\n  \"command\": ");
    json_string(f, s->command);
    fprintf(f, ",\n  \"database\": ");
    json_string(f, s->o->db_path);
    fprintf(f, ",\n  \"as_of\": ");
    json_string(f, strcmp(s->command, "import") ? r->as_of : NULL);
    fprintf(f, ",\n  \"from\": ");
    json_string(f, r->has_from ? r->from : NULL);
    fprintf(f, ",\n  \"files\": [");
    for (int i = 0; i < s->n_files; i++) {
        const struct load_result *x = &s->files[i];
        fprintf(f, "%s\n    {\"path\": ", i ? "," : "");
        json_string(f, x->path);
        fprintf(f, ", \"kind\": ");
        json_string(f, feed_kind_name(x->kind));
        fprintf(f, ", \"sha256\": ");
        json_string(f, x->sha256[0] ? x->sha256 : NULL);
        fprintf(f, ", \"status\": ");
        json_string(f, load_status_name(x->status));
        fprintf(f, ", \"bytes\": %llu, \"rows_read\": %lu, \"rows_loaded\": "
                "%lu, \"rows_rejected\": %lu, \"reason\": ", x->bytes,
                x->rows_read, x->rows_loaded, x->rows_rejected);
        json_string(f, x->reason[0] ? x->reason : NULL);
        fprintf(f, ", \"seconds\": %.3f}", x->seconds);
    }
    fprintf(f, "%s],\n", s->n_files ? "\n  " : "");
    fprintf(f, "  \"control_totals\": {\"files\": %d, \"loaded\": %d, "
            "\"skipped\": %d, \"refused\": %d, \"unreadable\": %d, "
            "\"failed\": %d, \"rows_read\": %lu, \"rows_loaded\": %lu, "
            "\"rows_rejected\": %lu},\n", s->n_files,
            n_status[LOAD_LOADED], n_status[LOAD_SKIPPED],
            n_status[LOAD_REFUSED], n_status[LOAD_UNREADABLE],
            n_status[LOAD_FAILED], read, loaded, rejected);
    fprintf(f, "  \"reports\": ");
    if (s->reported) {
        const struct report_result *x = &s->report;
        fprintf(f, "{\n    \"unclosed_calls\": {\"path\": ");
        json_string(f, x->path[REPORT_UNCLOSED]);
        fprintf(f, ", \"rows\": %lu},\n    \"non_compensable\": {\"path\": ",
                x->n_unclosed);
        json_string(f, x->path[REPORT_NONCOMP]);
        fprintf(f, ", \"rows\": %lu},\n    \"audit\": {\"path\": ",
                x->n_noncomp);
        json_string(f, x->path[REPORT_AUDIT]);
        fprintf(f, ", \"rejected_rows\": %lu, \"registration_exceptions\": "
                "%lu},\n    \"cut_cells\": %lu,\n", x->n_rejected,
                x->n_reg_exceptions, x->n_cut_cells);
        /* README "Changes since the previous report": counts are 0 when
         * previous_as_of is null (nothing was compared). */
        const struct report_changes *ch = &x->changes;
        fprintf(f, "    \"changes\": {\"previous_as_of\": ");
        json_string(f, ch->has_previous ? ch->previous_as_of : NULL);
        fprintf(f, ", \"newly_unclosed\": %lu, \"closed\": %lu, "
                "\"closed_by_closeout\": %lu, \"cancelled\": %lu, "
                "\"closed_otherwise\": %lu, \"bucket_moved\": %lu, "
                "\"new_noncompensable\": %lu},\n",
                ch->n_newly_unclosed, ch->n_closed, ch->n_closed_by_closeout,
                ch->n_cancelled, ch->n_closed_other, ch->n_bucket_moved,
                ch->n_new_noncomp);
        /* SPEC §4 "Dealer statements": null without --statements. */
        fprintf(f, "    \"statements\": ");
        if (r->statements) {
            fprintf(f, "{\"folder\": ");
            json_string(f, x->statements_dir);
            fprintf(f, ", \"count\": %lu}\n  },\n", x->n_statements);
        } else {
            fprintf(f, "null\n  },\n");
        }
    } else {
        fprintf(f, "null,\n");
    }
    fprintf(f, "  \"warnings\": [");
    for (int i = 0; i < s->n_warnings; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_string(f, s->warnings[i]);
    }
    fprintf(f, "],\n  \"error\": ");
    if (s->has_fatal)
        json_string(f, s->fatal);
    else
        fputs("null", f);
    fprintf(f, ",\n  \"exit_code\": %d,\n  \"elapsed_seconds\": %.3f\n}\n",
            s->exit_code, seconds_since(&s->t0));
    bool bad = ferror(f) != 0;
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        fprintf(stderr, "svcrecon: %s: cannot write summary: %s\n", path,
                strerror(errno));
        unlink(tmp);
        return EX_CANTCREAT;
    }
    return 0;
}

/* ---- the commands ------------------------------------------------------ */

static int import_one(struct batch_state *s, sqlite3 *db, const char *path,
                      enum feed_kind kind)
{
    struct load_result *r = new_file(s);
    struct diag d = {0};
    if (!r) {
        diag_set(&d, EX_SOFTWARE, NULL, 0, "out of memory");
        note_fatal(s, &d);
        return -1;
    }
    struct progress p = {.bar = s->o->report.progress_bar};
    struct load_opts lo = {.max_messages = MAX_MESSAGES_PER_FILE};
    if (p.bar) {
        struct stat sb;
        p.total = stat(path, &sb) == 0 ? (unsigned long long)sb.st_size : 0;
        clock_gettime(CLOCK_MONOTONIC, &p.t0);
        lo.progress = progress_bar;
        lo.progress_ctx = &p;
    }
    int rc = load_file(db, path, kind, &lo, r, &d);
    log_file(s, r);
    if (r->status == LOAD_LOADED && r->warning[0]) {
        /* SPEC §2: unknown columns are named once in the run's warnings
         * (load_file said it on stderr already). */
        char buf[1200];
        snprintf(buf, sizeof buf, "%s: %s", path, r->warning);
        keep_warning(s, buf, false);
    }
    if (rc == 0) {
        if (r->status == LOAD_REFUSED)
            s->exit_code = diag_worse(s->exit_code, EX_DATAERR);
        else if (r->status == LOAD_UNREADABLE)
            s->exit_code = diag_worse(s->exit_code, EX_NOINPUT);
        return 0;
    }
    note_fatal(s, &d);
    return -1;                 /* database trouble: stop the run */
}

/* Lock, then open. Both failures are fatal for the command. */
static sqlite3 *begin(struct batch_state *s, struct lock *l)
{
    struct diag d = {0};
    sqlite3 *db = NULL;
    clock_gettime(CLOCK_MONOTONIC, &s->t0);
    if (lock_acquire(l, s->o->db_path, &d) != 0 ||
        db_open(s->o->db_path, &db, &d) != 0) {
        note_fatal(s, &d);
        return NULL;
    }
    return db;
}

static int end(struct batch_state *s, sqlite3 *db, struct lock *l)
{
    db_close(db);
    lock_release(l);
    int rc = write_summary(s);
    s->exit_code = diag_worse(s->exit_code, rc);
    for (int i = 0; s->own_paths && i < s->n_files; i++)
        free((char *)s->files[i].path);
    for (int i = 0; i < s->n_warnings; i++)
        free(s->warnings[i]);
    free(s->warnings);
    free(s->files);
    return s->exit_code;
}

static void report(struct batch_state *s, sqlite3 *db)
{
    struct diag d = {0};
    if (report_write_all(db, &s->o->report, &s->report, &d) != 0) {
        note_fatal(s, &d);
        return;
    }
    s->reported = true;
}

int batch_import(struct batch_opts *o)
{
    struct batch_state s = {.command = "import", .o = o};
    struct lock l = {-1};
    sqlite3 *db = begin(&s, &l);
    for (int i = 0; db && i < o->n_files; i++)
        if (import_one(&s, db, o->files[i], o->kind) != 0)
            break;
    return end(&s, db, &l);
}

int batch_report(struct batch_opts *o)
{
    struct batch_state s = {.command = "report", .o = o};
    struct lock l = {-1};
    sqlite3 *db = begin(&s, &l);
    if (db)
        report(&s, db);
    return end(&s, db, &l);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The inbox's files of one kind ("dispatches" -> dispatches*.csv), in byte
 * order of name. Returns the count, -1 when the inbox cannot be read. */
static int scan_kind(const char *inbox, enum feed_kind kind, char ***out)
{
    const char *prefix = feed_kind_name(kind);
    size_t plen = strlen(prefix);
    DIR *dir = opendir(inbox);
    if (!dir)
        return -1;
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < plen + 4 || strncmp(e->d_name, prefix, plen) != 0 ||
            strcmp(e->d_name + len - 4, ".csv") != 0)
            continue;
        char **grown = realloc(names, (size_t)(n + 1) * sizeof *names);
        if (!grown)
            break;
        names = grown;
        if (!(names[n] = strdup(e->d_name)))
            break;
        n++;
    }
    closedir(dir);
    if (n > 0)
        qsort(names, (size_t)n, sizeof *names, by_name);
    *out = names;
    return n;
}

static bool has_kind(const char *name)
{
    static const enum feed_kind kinds[] = {FEED_REGISTRATIONS,
                                           FEED_DISPATCHES, FEED_CLOSEOUTS};
    size_t len = strlen(name);
    for (int k = 0; k < 3; k++) {
        const char *prefix = feed_kind_name(kinds[k]);
        size_t plen = strlen(prefix);
        if (len >= plen + 4 && strncmp(name, prefix, plen) == 0 &&
            strcmp(name + len - 4, ".csv") == 0)
            return true;
    }
    return false;
}

/* Names every inbox entry that matches no kind, once, and leaves it. */
static void warn_strays(struct batch_state *s, const char *inbox)
{
    DIR *dir = opendir(inbox);
    if (!dir)
        return;
    char **names = NULL;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            has_kind(e->d_name))
            continue;
        char **grown = realloc(names, (size_t)(n + 1) * sizeof *names);
        if (!grown || !(grown[n] = strdup(e->d_name))) {
            names = grown ? grown : names;
            break;
        }
        names = grown;
        n++;
    }
    closedir(dir);
    if (n > 0)
        qsort(names, (size_t)n, sizeof *names, by_name);
    for (int i = 0; i < n; i++) {
        add_warning(s, "inbox file '%s' matches no kind (registrations*.csv, "
                    "dispatches*.csv, closeouts*.csv); left alone", names[i]);
        free(names[i]);
    }
    free(names);
}

int batch_run(struct batch_opts *o)
{
    struct batch_state s = {.command = "run", .o = o, .own_paths = true};
    struct lock l = {-1};
    struct diag d = {0};
    static const enum feed_kind order[] = {FEED_REGISTRATIONS,
                                           FEED_DISPATCHES, FEED_CLOSEOUTS};
    struct stat sb;

    clock_gettime(CLOCK_MONOTONIC, &s.t0);
    if (stat(o->inbox, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        diag_set(&d, EX_NOINPUT, o->inbox, 0, "cannot open inbox: %s",
                 errno && stat(o->inbox, &sb) != 0 ? strerror(errno)
                                                   : "Not a directory");
        note_fatal(&s, &d);
        return end(&s, NULL, &l);
    }
    sqlite3 *db = begin(&s, &l);
    if (!db)
        return end(&s, NULL, &l);
    warn_strays(&s, o->inbox);
    bool stop = false;
    for (int k = 0; k < 3 && !stop; k++) {
        char **names;
        int n = scan_kind(o->inbox, order[k], &names);
        if (n < 0) {
            diag_set(&d, EX_NOINPUT, o->inbox, 0, "cannot read inbox: %s",
                     strerror(errno));
            note_fatal(&s, &d);
            stop = true;
            break;
        }
        for (int i = 0; i < n; i++) {
            if (!stop) {
                size_t len = strlen(o->inbox) + strlen(names[i]) + 2;
                char *path = malloc(len);
                if (path) {
                    snprintf(path, len, "%s/%s", o->inbox, names[i]);
                    /* load_result keeps the path; end() frees it */
                    stop = import_one(&s, db, path, order[k]) != 0;
                }
            }
            free(names[i]);
        }
        free(names);
    }
    if (!stop)
        report(&s, db);
    return end(&s, db, &l);
}
