/* explain.c -- `svcrecon explain`: why a call is on a list, told fact by
 * fact with source files and lines (issue 8, first half).
 *
 * One connection, opened read-only (no run lock: a nightly run may hold it;
 * WAL lets readers read). The rules of SPEC §3 run on it exactly as for a
 * report -- r010's TEMP run_ctx and aging_bucket filled with bound
 * parameters, then schemas/r020… -- and every fact printed is read from
 * their TEMP tables and views by a statement of schemas/q_explain_*.sql.
 * What this file decides is only how to say it: the order of sections, text
 * or JSON, the marks on the row --source named. Feed text is untrusted: in
 * text it is quoted with control bytes and bad UTF-8 escaped (\xNN), in JSON
 * it is escaped to valid UTF-8 (a bad byte becomes U+FFFD; a rejected row's
 * exact bytes are also given in base64). */
#include "reports/explain.h"
#include "reports/rules.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "lib/db.h"
#include "lib/diag.h"
#include "schemas/sql.h"
#include "lib/utf8.h"

#define JSON_MAX_DEPTH 16         /* the document nests 8 deep at most */
#define MAX_HINTS      5          /* closeouts named when a dispatch is not */

/* ---- the statements, and the columns of each (in their SELECT order) --- */

enum { Q_SOURCE, Q_VERSIONS, Q_STANDING, Q_REGS, Q_REGEXC, Q_CLOSEOUTS,
       Q_REASONS, Q_SERIAL, Q_REJECTED, Q_N };

static const struct { const char *sql; const char *name; } queries[Q_N] = {
    [Q_SOURCE]    = {sql_q_explain_source, "q_explain_source"},
    [Q_VERSIONS]  = {sql_q_explain_versions, "q_explain_versions"},
    [Q_STANDING]  = {sql_q_explain_standing, "q_explain_standing"},
    [Q_REGS]      = {sql_q_explain_registrations,
                     "q_explain_registrations"},
    [Q_REGEXC]    = {sql_q_explain_registration_exceptions,
                     "q_explain_registration_exceptions"},
    [Q_CLOSEOUTS] = {sql_q_explain_closeouts, "q_explain_closeouts"},
    [Q_REASONS]   = {sql_q_explain_closeout_reasons,
                     "q_explain_closeout_reasons"},
    [Q_SERIAL]    = {sql_q_explain_serial_dispatches,
                     "q_explain_serial_dispatches"},
    [Q_REJECTED]  = {sql_q_explain_rejected, "q_explain_rejected"},
};

enum { F_ID, F_NAME, F_PATH, F_KIND, F_STATUS, F_REASON, F_SHA, F_SIZE,
       F_READ, F_LOADED, F_REJECTED, F_IMPORTED_AT, F_WHAT, F_ROW_ID,
       F_DISPATCH_ID };
enum { V_ROW_ID, V_FILE, V_LINE, V_IMPORTED_AT, V_DISPATCHED_AT, V_STATUS,
       V_PROVIDER, V_MODEL, V_SERIAL, V_CUSTOMER, V_POSTAL, V_PROBLEM,
       V_CURRENT };
enum { S_ID, S_SERIAL, S_DISPATCHED_AT, S_DISPATCHED_ON, S_STATUS, S_STATE,
       S_DAYS_OPEN, S_BUCKET, S_ACC_ID, S_ACC_FILE, S_ACC_LINE,
       S_ACC_SUBMITTED, S_ATTEMPTS, S_NONCOMP, S_FILE, S_LINE };
enum { R_ID, R_FILE, R_LINE, R_IMPORTED_AT, R_DEALER, R_DEALER_NAME,
       R_MODEL, R_SERIAL, R_REGISTERED_ON, R_REMOVED_ON, R_WMP, R_CURRENT,
       R_SUP_FILE, R_SUP_LINE, R_ACTIVE };
enum { X_RANK, X_CODE, X_DETAIL };      /* both kinds of reason lists */
enum { C_ID, C_FILE, C_LINE, C_IMPORTED_AT, C_DEALER, C_DISPATCH,
       C_SUBMITTED, C_COMPLETED, C_SERIAL, C_MODEL, C_TECH, C_HOURS,
       C_RESOLUTION, C_PARTS, C_STATE, C_REASON, C_SUP_FILE, C_SUP_LINE };
enum { SD_ID, SD_FILE, SD_LINE, SD_DISPATCHED_AT, SD_DISPATCHED_ON,
       SD_STATUS, SD_PROVIDER, SD_MODEL, SD_SERIAL, SD_CHECKED, SD_ACTIVE };
enum { J_REASON, J_RAW };

/* Everything one explain needs, released by finish(). */
struct ex {
    const struct explain_opts *o;
    struct explain_opts *rw;            /* the same, for the default as-of */
    sqlite3      *db;
    sqlite3_stmt *q[Q_N];
    FILE         *f;                    /* stdout */
    bool          json;
    int           depth;                /* JSON nesting */
    bool          comma[JSON_MAX_DEPTH];/* a member was written at depth */
    struct diag   d;
};

/* ---- SQLite helpers ----------------------------------------------------- */

/* Resets st and binds what the caller passes next; unused names stay NULL. */
static sqlite3_stmt *use(struct ex *x, int q)
{
    sqlite3_reset(x->q[q]);
    sqlite3_clear_bindings(x->q[q]);
    return x->q[q];
}

/* SQLITE_ROW, SQLITE_DONE, or -1 with x->d filled. */
static int step(struct ex *x, int q)
{
    int rc = sqlite3_step(x->q[q]);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return rc;
    char what[96];
    snprintf(what, sizeof what, "reading %s", queries[q].name);
    return db_fail(x->db, &x->d, what);
}

static bool is_null(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL;
}

/* ---- JSON --------------------------------------------------------------- */

static void j_newline(struct ex *x)
{
    fputc('\n', x->f);
    for (int i = 0; i < x->depth; i++)
        fputs("  ", x->f);
}

/* Starts a member (key != NULL, in an object) or an element (in an
 * array): the comma, the line break and the key. */
static void j_item(struct ex *x, const char *key)
{
    if (x->comma[x->depth])
        fputc(',', x->f);
    x->comma[x->depth] = true;
    if (x->depth > 0)
        j_newline(x);
    if (key) {
        utf8_put_json(x->f, key, strlen(key));
        fputs(": ", x->f);
    }
}

static void j_open(struct ex *x, const char *key, char brace)
{
    j_item(x, key);
    fputc(brace, x->f);
    if (x->depth < JSON_MAX_DEPTH - 1)
        x->depth++;
    x->comma[x->depth] = false;
}

static void j_close(struct ex *x, char brace)
{
    bool any = x->comma[x->depth];
    if (x->depth > 0)
        x->depth--;
    if (any)
        j_newline(x);
    fputc(brace, x->f);
}

static void j_str(struct ex *x, const char *key, const char *s)
{
    j_item(x, key);
    if (s)
        utf8_put_json(x->f, s, strlen(s));
    else
        fputs("null", x->f);
}

static void j_int(struct ex *x, const char *key, long long v)
{
    j_item(x, key);
    fprintf(x->f, "%lld", v);
}

static void j_bool(struct ex *x, const char *key, bool v)
{
    j_item(x, key);
    fputs(v ? "true" : "false", x->f);
}

static void j_null(struct ex *x, const char *key)
{
    j_item(x, key);
    fputs("null", x->f);
}

/* A column as its own JSON type: NULL, integer, number or string. */
static void j_col(struct ex *x, const char *key, sqlite3_stmt *st, int col)
{
    j_item(x, key);
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        fputs("null", x->f);
        break;
    case SQLITE_INTEGER:
        fprintf(x->f, "%lld", (long long)sqlite3_column_int64(st, col));
        break;
    case SQLITE_FLOAT:
        /* Feed numbers are short decimals; %.15g gives them back as
         * written (1.5, not 1.50000000000000000). */
        fprintf(x->f, "%.15g", sqlite3_column_double(st, col));
        break;
    default: {
        const char *s = (const char *)sqlite3_column_text(st, col);
        utf8_put_json(x->f, s ? s : "", (size_t)sqlite3_column_bytes(st, col));
    }
    }
}

/* 0/1 as false/true, NULL as null. */
static void j_col_bool(struct ex *x, const char *key, sqlite3_stmt *st,
                       int col)
{
    if (is_null(st, col))
        j_null(x, key);
    else
        j_bool(x, key, sqlite3_column_int(st, col) != 0);
}

/* {"file": …, "line": …}, or null when the file column is NULL. */
static void j_loc(struct ex *x, const char *key, sqlite3_stmt *st,
                  int file_col, int line_col)
{
    if (is_null(st, file_col)) {
        j_null(x, key);
        return;
    }
    j_open(x, key, '{');
    j_col(x, "file", st, file_col);
    j_col(x, "line", st, line_col);
    j_close(x, '}');
}

static void base64(FILE *f, const unsigned char *p, size_t len)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    fputc('"', f);
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        fputc(a[(v >> 18) & 63], f);
        fputc(a[(v >> 12) & 63], f);
        fputc(i + 1 < len ? a[(v >> 6) & 63] : '=', f);
        fputc(i + 2 < len ? a[v & 63] : '=', f);
    }
    fputc('"', f);
}

/* ---- text --------------------------------------------------------------- */

/* (s, len) for a terminal: control bytes, DEL and bad UTF-8 as \xNN, a
 * backslash doubled (utf8_show's rendering, streamed and never cut); C1
 * controls (U+0080-U+009F, which some terminals obey) as their two bytes
 * \xC2\xNN. */
static void t_text(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_seq_len(p + i, len - i);
        if (p[i] == '\\') {
            fputs("\\\\", f);
            n = 1;
        } else if (n == 0 || p[i] < 0x20 || p[i] == 0x7F ||
                   (n == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0)) {
            fprintf(f, "\\x%02X", p[i]);
            n = 1;                  /* a C1's second byte: escaped next */
        } else {
            fwrite(p + i, 1, n, f);
        }
        i += n;
    }
}

/* A feed value in quotes: 'IL0733', '' when blank. */
static void t_q(struct ex *x, sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    fputc('\'', x->f);
    if (s)
        t_text(x->f, s, (size_t)sqlite3_column_bytes(st, col));
    fputc('\'', x->f);
}

/* A date or number as is; "(blank)" for NULL. */
static void t_v(struct ex *x, sqlite3_stmt *st, int col)
{
    if (is_null(st, col)) {
        fputs("(blank)", x->f);
        return;
    }
    if (sqlite3_column_type(st, col) == SQLITE_FLOAT) {
        fprintf(x->f, "%.15g", sqlite3_column_double(st, col));
        return;
    }
    const char *s = (const char *)sqlite3_column_text(st, col);
    t_text(x->f, s ? s : "", (size_t)sqlite3_column_bytes(st, col));
}

/* FILE:LINE */
static void t_loc(struct ex *x, sqlite3_stmt *st, int file_col, int line_col)
{
    t_v(x, st, file_col);
    fprintf(x->f, ":%lld", (long long)sqlite3_column_int64(st, line_col));
}

/* The first line of an item; the row --source named is marked "=>". */
static void t_item(struct ex *x, bool marked)
{
    fputs(marked ? "=> " : "   ", x->f);
}

/* ---- the rule context --------------------------------------------------- */

/* SPEC §3 exactly as the reports run it (reports/report.c). */
static int setup_rules(struct ex *x)
{
    struct rules_asof a = {.as_of_day = x->o->as_of_day,
                           .n_buckets = x->o->n_buckets};
    memcpy(a.as_of, x->o->as_of, sizeof a.as_of);
    memcpy(a.bucket_hi, x->o->bucket_hi, sizeof a.bucket_hi);
    return rules_setup(x->db, &a, &x->d);
}

/* ---- opening ------------------------------------------------------------ */

/* Read-only, never created: a missing database is 66, a file that is not
 * an svcrecon database (or of a newer schema) is 65. */
/* SPEC §5: without --as-of, the as-of date of the latest recorded report
 * (today when there is none, or the database predates report history),
 * said on stderr for text and as "as_of_basis" in JSON. */
static const char *default_as_of(struct ex *x, struct explain_opts *o)
{
    sqlite3_stmt *q;
    const char *basis = "today";
    if (sqlite3_prepare_v2(x->db, sql_q_latest_report, -1, &q, NULL) !=
        SQLITE_OK)
        return basis;                /* no report_run table: none */
    if (sqlite3_step(q) == SQLITE_ROW &&
        sqlite3_column_bytes(q, 0) == 10) {
        memcpy(o->as_of, sqlite3_column_text(q, 0), 10);
        o->as_of[10] = '\0';
        o->as_of_day = (int32_t)sqlite3_column_int(q, 1);
        basis = "latest_report";
    }
    sqlite3_finalize(q);
    if (!o->json)
        fprintf(stderr, "svcrecon: explain as of %s, %s (--as-of DATE "
                "to choose another date)\n", o->as_of,
                strcmp(basis, "today") == 0
                    ? "today: no report is recorded in the database"
                    : "the as-of date of the latest recorded report");
    return basis;
}

static int open_db(struct ex *x)
{
    const char *path = x->o->db_path;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return diag_set(&x->d, EX_NOINPUT, path, 0,
                        "cannot open database: %s", strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return diag_set(&x->d, EX_NOINPUT, path, 0,
                        "cannot open database: Is a directory");
    int rc = sqlite3_open_v2(path, &x->db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK)
        return diag_set(&x->d, EX_NOINPUT, path, 0,
                        "cannot open database: %s",
                        x->db ? sqlite3_errmsg(x->db) : sqlite3_errstr(rc));
    sqlite3_extended_result_codes(x->db, 1);
    sqlite3_busy_timeout(x->db, 2000);
    int version;
    if (db_schema_version(x->db, &version, &x->d) != 0) {
        diag_set_file(&x->d, path);
        if (x->d.exit_code == EX_CANTCREAT)   /* cannot open: an input */
            x->d.exit_code = EX_NOINPUT;
        return -1;
    }
    if (version == 0)
        return diag_set(&x->d, EX_DATAERR, path, 0,
                        "not an svcrecon database (schema version 0); "
                        "nothing was imported into it");
    if (db_refuse_newer(path, version, &x->d) != 0)
        return -1;
    if (db_exec(x->db, "PRAGMA cache_size = -16384", &x->d,
                "setting pragmas") != 0)
        return -1;
    /* One read transaction from the rules to the last query: an import
     * committing meanwhile must not show its rows to the queries of the
     * base tables when the rule tables were built without them. */
    if (db_exec(x->db, "BEGIN", &x->d, "starting to read") != 0)
        return -1;
    if (x->rw)
        x->rw->as_of_basis = x->rw->as_of_default ? default_as_of(x, x->rw)
                                                  : "option";
    if (setup_rules(x) != 0)
        return -1;
    for (int q = 0; q < Q_N; q++) {
        char what[96];
        snprintf(what, sizeof what, "preparing %s", queries[q].name);
        if (db_prepare(x->db, queries[q].sql, &x->q[q], &x->d, what) != 0)
            return -1;
    }
    return 0;
}

static void finish(struct ex *x)
{
    for (int q = 0; q < Q_N; q++)
        sqlite3_finalize(x->q[q]);
    if (x->db && !sqlite3_get_autocommit(x->db))
        sqlite3_exec(x->db, "ROLLBACK", NULL, NULL, NULL); /* only TEMP */
    sqlite3_close(x->db);     /* NULL is a no-op; no checkpoint: read-only */
}

/* ---- the sections of a story -------------------------------------------- */

/* Every reason of one closeout, in precedence order (JSON: "reasons"). */
static int put_reasons(struct ex *x, sqlite3_int64 closeout_id)
{
    sqlite3_stmt *st = use(x, Q_REASONS);
    db_bind_int(st, ":closeout_id", closeout_id);
    if (x->json)
        j_open(x, "reasons", '[');
    int rc;
    while ((rc = step(x, Q_REASONS)) == SQLITE_ROW) {
        if (x->json) {
            j_open(x, NULL, '{');
            j_col(x, "rank", st, X_RANK);
            j_col(x, "code", st, X_CODE);
            j_col(x, "detail", st, X_DETAIL);
            j_close(x, '}');
        } else {
            fputs("      ", x->f);
            t_v(x, st, X_RANK);
            fputc(' ', x->f);
            t_v(x, st, X_CODE);
            fputs(": ", x->f);
            t_v(x, st, X_DETAIL);
            fputc('\n', x->f);
        }
    }
    if (x->json)
        j_close(x, ']');
    return rc == SQLITE_DONE ? 0 : -1;
}

/* One closeout row of Q_CLOSEOUTS, its reasons included. */
static int put_closeout(struct ex *x, sqlite3_int64 mark)
{
    sqlite3_stmt *st = x->q[Q_CLOSEOUTS];
    sqlite3_int64 id = sqlite3_column_int64(st, C_ID);
    const char *state = (const char *)sqlite3_column_text(st, C_STATE);
    if (!state)
        state = "";
    if (x->json) {
        j_col(x, "file", st, C_FILE);
        j_col(x, "line", st, C_LINE);
        j_col(x, "imported_at", st, C_IMPORTED_AT);
        j_col(x, "dealer_id", st, C_DEALER);
        j_col(x, "dispatch_id", st, C_DISPATCH);
        j_col(x, "submitted_at", st, C_SUBMITTED);
        j_col(x, "completed_on", st, C_COMPLETED);
        j_col(x, "serial_number", st, C_SERIAL);
        j_col(x, "model", st, C_MODEL);
        j_col(x, "technician", st, C_TECH);
        j_col(x, "labor_hours", st, C_HOURS);
        j_col(x, "resolution_code", st, C_RESOLUTION);
        j_col(x, "parts", st, C_PARTS);
        j_str(x, "state", state);
        j_col(x, "reason", st, C_REASON);
        j_loc(x, "superseded_by", st, C_SUP_FILE, C_SUP_LINE);
        j_bool(x, "source", id == mark);
    } else {
        t_item(x, id == mark);
        t_loc(x, st, C_FILE, C_LINE);
        fputs("  ", x->f);
        if (strcmp(state, "accepted") == 0) {
            fputs("accepted", x->f);
        } else if (strcmp(state, "non_compensable") == 0) {
            fputs("non-compensable: ", x->f);
            t_v(x, st, C_REASON);
        } else if (strcmp(state, "superseded") == 0) {
            fputs("superseded by ", x->f);
            t_loc(x, st, C_SUP_FILE, C_SUP_LINE);
        } else {
            fprintf(x->f, "submitted after as-of %s, takes no part",
                    x->o->as_of);
        }
        fputs(", imported ", x->f);
        t_v(x, st, C_IMPORTED_AT);
        fputs("\n      dealer ", x->f);
        t_q(x, st, C_DEALER);
        fputs(", dispatch ", x->f);
        t_q(x, st, C_DISPATCH);
        fputs(", submitted ", x->f);
        t_v(x, st, C_SUBMITTED);
        fputs(", completed ", x->f);
        t_v(x, st, C_COMPLETED);
        fputs("\n      serial ", x->f);
        t_q(x, st, C_SERIAL);
        fputs(", model ", x->f);
        t_q(x, st, C_MODEL);
        fputs(", technician ", x->f);
        t_q(x, st, C_TECH);
        fputs(", labor hours ", x->f);
        t_v(x, st, C_HOURS);
        fputs(", resolution ", x->f);
        t_q(x, st, C_RESOLUTION);
        fputs(", parts ", x->f);
        t_q(x, st, C_PARTS);
        fputc('\n', x->f);
    }
    return put_reasons(x, id);
}

/* Closeouts naming dispatch_id (or, with dispatch_id NULL, closeout_id
 * alone), in the order SPEC §3 accepts them. */
static int put_closeouts(struct ex *x, const char *dispatch_id,
                         sqlite3_int64 closeout_id, sqlite3_int64 mark)
{
    sqlite3_stmt *st = use(x, Q_CLOSEOUTS);
    if (dispatch_id)
        db_bind_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    else
        db_bind_int(st, ":closeout_id", closeout_id);
    int rc, n = 0;
    while ((rc = step(x, Q_CLOSEOUTS)) == SQLITE_ROW) {
        if (x->json)
            j_open(x, NULL, '{');
        if (put_closeout(x, mark) != 0)
            return -1;
        if (x->json)
            j_close(x, '}');
        n++;
    }
    if (rc != SQLITE_DONE)
        return -1;
    if (!x->json && n == 0)
        fputs("   none\n", x->f);
    return 0;
}

/* Registrations (Q_REGS rows); active_on names the dispatch day, NULL when
 * no dispatch is asked about. JSON: each an object named key (NULL in an
 * array). */
static int put_registrations(struct ex *x, const char *active_on,
                             sqlite3_int64 mark, const char *key)
{
    sqlite3_stmt *st = x->q[Q_REGS];
    int rc, n = 0;
    while ((rc = step(x, Q_REGS)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(st, R_ID);
        bool current = sqlite3_column_int(st, R_CURRENT) != 0;
        n++;
        if (x->json) {
            j_open(x, key, '{');
            j_col(x, "file", st, R_FILE);
            j_col(x, "line", st, R_LINE);
            j_col(x, "imported_at", st, R_IMPORTED_AT);
            j_col(x, "dealer_id", st, R_DEALER);
            j_col(x, "dealer_name", st, R_DEALER_NAME);
            j_col(x, "model", st, R_MODEL);
            j_col(x, "serial_number", st, R_SERIAL);
            j_col(x, "registered_on", st, R_REGISTERED_ON);
            j_col(x, "removed_on", st, R_REMOVED_ON);
            j_col_bool(x, "wmp_selected", st, R_WMP);
            j_bool(x, "current", current);
            j_loc(x, "superseded_by", st, R_SUP_FILE, R_SUP_LINE);
            j_col_bool(x, "active", st, R_ACTIVE);
            j_bool(x, "source", id == mark);
            j_close(x, '}');
            continue;
        }
        t_item(x, id == mark);
        t_loc(x, st, R_FILE, R_LINE);
        fputs("  ", x->f);
        if (!current) {
            fputs("superseded by ", x->f);
            t_loc(x, st, R_SUP_FILE, R_SUP_LINE);
        } else if (!active_on) {
            fputs("current", x->f);
        } else if (is_null(st, R_ACTIVE)) {
            fputs("not checked", x->f);
        } else {
            fprintf(x->f, "%s on %s", sqlite3_column_int(st, R_ACTIVE) ?
                    "active" : "not active", active_on);
        }
        fputs(", imported ", x->f);
        t_v(x, st, R_IMPORTED_AT);
        fputs("\n      dealer ", x->f);
        t_q(x, st, R_DEALER);
        fputs(" (", x->f);
        t_q(x, st, R_DEALER_NAME);
        fputs("), model ", x->f);
        t_q(x, st, R_MODEL);
        fputs(", serial ", x->f);
        t_q(x, st, R_SERIAL);
        fprintf(x->f, ", WMP %s, registered ",
                sqlite3_column_int(st, R_WMP) ? "yes" : "no");
        t_v(x, st, R_REGISTERED_ON);
        if (is_null(st, R_REMOVED_ON)) {
            fputs(", not removed\n", x->f);
        } else {
            fputs(", removed ", x->f);
            t_v(x, st, R_REMOVED_ON);
            fputc('\n', x->f);
        }
    }
    if (rc != SQLITE_DONE)
        return -1;
    if (!x->json && n == 0)
        fputs("   none\n", x->f);
    return 0;
}

/* The registration exceptions of one dispatch; indent for text. */
static int put_reg_exceptions(struct ex *x, const char *dispatch_id,
                              const char *indent)
{
    sqlite3_stmt *st = use(x, Q_REGEXC);
    db_bind_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    if (x->json)
        j_open(x, "registration_exceptions", '[');
    int rc, n = 0;
    while ((rc = step(x, Q_REGEXC)) == SQLITE_ROW) {
        n++;
        if (x->json) {
            j_open(x, NULL, '{');
            j_col(x, "rank", st, X_RANK);
            j_col(x, "code", st, X_CODE);
            j_col(x, "detail", st, X_DETAIL);
            j_close(x, '}');
        } else {
            fputs(indent, x->f);
            t_v(x, st, X_RANK);
            fputc(' ', x->f);
            t_v(x, st, X_CODE);
            fputs(": ", x->f);
            t_v(x, st, X_DETAIL);
            fputc('\n', x->f);
        }
    }
    if (x->json)
        j_close(x, ']');
    else if (rc == SQLITE_DONE && n == 0)
        fprintf(x->f, "%snone\n", indent);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int put_versions(struct ex *x, const char *dispatch_id,
                        sqlite3_int64 mark)
{
    sqlite3_stmt *st = use(x, Q_VERSIONS);
    db_bind_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    if (x->json)
        j_open(x, "versions", '[');
    else
        fputs("\nversions, in import order:\n", x->f);
    int rc;
    while ((rc = step(x, Q_VERSIONS)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(st, V_ROW_ID);
        bool current = sqlite3_column_int(st, V_CURRENT) != 0;
        if (x->json) {
            j_open(x, NULL, '{');
            j_col(x, "file", st, V_FILE);
            j_col(x, "line", st, V_LINE);
            j_col(x, "imported_at", st, V_IMPORTED_AT);
            j_col(x, "dispatched_at", st, V_DISPATCHED_AT);
            j_col(x, "status", st, V_STATUS);
            j_col(x, "provider_id", st, V_PROVIDER);
            j_col(x, "model", st, V_MODEL);
            j_col(x, "serial_number", st, V_SERIAL);
            j_col(x, "customer_name", st, V_CUSTOMER);
            j_col(x, "customer_postal_code", st, V_POSTAL);
            j_col(x, "problem_code", st, V_PROBLEM);
            j_bool(x, "current", current);
            j_bool(x, "source", id == mark);
            j_close(x, '}');
            continue;
        }
        t_item(x, id == mark);
        t_loc(x, st, V_FILE, V_LINE);
        fprintf(x->f, "  %s, imported ", current ? "current" : "superseded");
        t_v(x, st, V_IMPORTED_AT);
        fputs("\n      dispatched ", x->f);
        t_v(x, st, V_DISPATCHED_AT);
        fputs(", ", x->f);
        t_v(x, st, V_STATUS);
        fputs(", provider ", x->f);
        t_q(x, st, V_PROVIDER);
        fputs(", model ", x->f);
        t_q(x, st, V_MODEL);
        fputs(", serial ", x->f);
        t_q(x, st, V_SERIAL);
        fputs("\n      customer ", x->f);
        t_q(x, st, V_CUSTOMER);
        fputs(", postal code ", x->f);
        t_q(x, st, V_POSTAL);
        fputs(", problem ", x->f);
        t_q(x, st, V_PROBLEM);
        fputc('\n', x->f);
    }
    if (x->json)
        j_close(x, ']');
    return rc == SQLITE_DONE ? 0 : -1;
}

/* A call with n closeout attempts, none of them accepted. */
static void put_only_noncomp(struct ex *x, long long n)
{
    fprintf(x->f, "; only non-compensable attempts (%lld)", n);
}

/* The last word of a story: Q_STANDING's row, read as it stands. */
static void put_standing(struct ex *x, const char *state)
{
    sqlite3_stmt *st = x->q[Q_STANDING];
    long long attempts = sqlite3_column_int64(st, S_ATTEMPTS);
    long long noncomp = sqlite3_column_int64(st, S_NONCOMP);
    if (x->json) {
        j_open(x, "standing", '{');
        j_str(x, "state", state);
        j_col(x, "days_open", st, S_DAYS_OPEN);
        j_col(x, "bucket", st, S_BUCKET);
        if (is_null(st, S_ACC_FILE)) {
            j_null(x, "accepted_closeout");
        } else {
            j_open(x, "accepted_closeout", '{');
            j_col(x, "file", st, S_ACC_FILE);
            j_col(x, "line", st, S_ACC_LINE);
            j_col(x, "submitted_at", st, S_ACC_SUBMITTED);
            j_close(x, '}');
        }
        j_int(x, "attempts", attempts);
        j_int(x, "noncompensable", noncomp);
        j_close(x, '}');
        return;
    }
    fprintf(x->f, "\nstanding as of %s: ", x->o->as_of);
    if (strcmp(state, "unclosed") == 0) {
        fputs("unclosed, ", x->f);
        t_v(x, st, S_DAYS_OPEN);
        fputs(" days open, aging bucket ", x->f);
        if (is_null(st, S_BUCKET))
            fputs("(none: no configured bucket holds it)", x->f);
        else
            t_v(x, st, S_BUCKET);
        if (attempts == 0)
            fputs("; no closeout attempt", x->f);
        else
            put_only_noncomp(x, attempts);
    } else if (strcmp(state, "closed") == 0) {
        fputs("closed by closeout at ", x->f);
        t_loc(x, st, S_ACC_FILE, S_ACC_LINE);
        fputs(", submitted ", x->f);
        t_v(x, st, S_ACC_SUBMITTED);
        if (noncomp > 0)
            fprintf(x->f, "; also non-compensable closeouts (%lld)", noncomp);
    } else if (strcmp(state, "cancelled") == 0) {
        fputs("cancelled", x->f);
        if (attempts > 0)
            put_only_noncomp(x, attempts);
    } else {
        fputs("dispatched after the as-of date (", x->f);
        t_v(x, st, S_DISPATCHED_AT);
        fputs("), takes no part", x->f);
    }
    fputc('\n', x->f);
}

/* The whole story of one dispatch: versions, registrations, registration
 * exceptions, closeouts, standing. mark_version / mark_closeout: the row
 * --source named (0: none). */
static int put_dispatch(struct ex *x, const char *dispatch_id,
                        sqlite3_int64 mark_version,
                        sqlite3_int64 mark_closeout)
{
    sqlite3_stmt *st = use(x, Q_STANDING);
    db_bind_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    int rc = step(x, Q_STANDING);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            diag_set(&x->d, EX_SOFTWARE, NULL, 0, "dispatch has versions "
                     "but no current version (rule tables disagree)");
        return -1;
    }
    /* Q_STANDING is not used again until this story ends: its row stays
     * valid while the sections below step their own statements. */
    const char *state = (const char *)sqlite3_column_text(st, S_STATE);
    if (!state)
        return diag_set(&x->d, EX_SOFTWARE, NULL, 0, "dispatch is open on "
                        "or before the as-of date but neither unclosed nor "
                        "closed (rule tables disagree)");
    char state_buf[32], day[16];
    snprintf(state_buf, sizeof state_buf, "%s", state);
    snprintf(day, sizeof day, "%s", db_text(st, S_DISPATCHED_ON));
    bool checked = strcmp(state_buf, "dispatched_after_as_of") != 0;

    if (x->json) {
        j_open(x, "dispatch", '{');
        j_col(x, "dispatch_id", st, S_ID);
        j_col(x, "dispatched_at", st, S_DISPATCHED_AT);
        j_col(x, "serial_number", st, S_SERIAL);
        j_col(x, "status", st, S_STATUS);
        j_loc(x, "current_version", st, S_FILE, S_LINE);
        j_bool(x, "checked", checked);
    } else {
        fputs("dispatch ", x->f);
        t_q(x, st, S_ID);
        fprintf(x->f, " as of %s\n", x->o->as_of);
    }
    if (put_versions(x, dispatch_id, mark_version) != 0)
        return -1;

    sqlite3_stmt *r = use(x, Q_REGS);
    db_bind_text(r, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    if (x->json) {
        j_open(x, "registrations", '[');
    } else {
        fputs("\nregistrations of serial ", x->f);
        t_q(x, st, S_SERIAL);
        if (checked)
            fprintf(x->f, ", as checked on the dispatch day %s:\n", day);
        else
            fprintf(x->f, ", not checked (dispatched after the as-of "
                    "date):\n");
    }
    if (put_registrations(x, day, 0, NULL) != 0)
        return -1;
    if (x->json)
        j_close(x, ']');
    else
        fputs("\nregistration exceptions:\n", x->f);
    if (put_reg_exceptions(x, dispatch_id, "   ") != 0)
        return -1;

    if (x->json) {
        j_open(x, "closeouts", '[');
    } else {
        fputs("\ncloseouts naming ", x->f);
        t_q(x, st, S_ID);
        fputs(", in order submitted:\n", x->f);
    }
    if (put_closeouts(x, dispatch_id, 0, mark_closeout) != 0)
        return -1;
    if (x->json)
        j_close(x, ']');
    put_standing(x, state_buf);
    if (x->json)
        j_close(x, '}');
    sqlite3_reset(st);
    return 0;
}

/* ---- --source ----------------------------------------------------------- */

/* JSON "closeout": one closeout by id, with its reasons. */
static int put_closeout_object(struct ex *x, sqlite3_int64 id)
{
    sqlite3_stmt *st = use(x, Q_CLOSEOUTS);
    db_bind_int(st, ":closeout_id", id);
    int rc = step(x, Q_CLOSEOUTS);
    if (rc != SQLITE_ROW)
        return rc < 0 ? -1 : diag_set(&x->d, EX_SOFTWARE, NULL, 0,
                                      "closeout row vanished");
    j_open(x, "closeout", '{');
    if (put_closeout(x, id) != 0)
        return -1;
    j_close(x, '}');
    sqlite3_reset(st);
    return 0;
}

/* Is there any version of dispatch_id? (Not found -> 65.) */
static int dispatch_known(struct ex *x, const char *dispatch_id)
{
    sqlite3_stmt *st = use(x, Q_VERSIONS);
    db_bind_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    int rc = step(x, Q_VERSIONS);
    sqlite3_reset(st);
    return rc < 0 ? -1 : rc == SQLITE_ROW;
}

/* "version 2 of 3, current" for a dispatch row; into buf. */
static int version_of(struct ex *x, const char *dispatch_id,
                      sqlite3_int64 row_id, char *buf, size_t size)
{
    sqlite3_stmt *st = use(x, Q_VERSIONS);
    db_bind_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    int rc, n = 0, at = 0;
    bool current = false;
    while ((rc = step(x, Q_VERSIONS)) == SQLITE_ROW) {
        n++;
        if (sqlite3_column_int64(st, V_ROW_ID) == row_id) {
            at = n;
            current = sqlite3_column_int(st, V_CURRENT) != 0;
        }
    }
    snprintf(buf, size, "version %d of %d, %s", at, n,
             current ? "current" : "superseded");
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The "source" member / the two header lines of one --source result. */
static void put_source_head(struct ex *x, const char *what)
{
    sqlite3_stmt *s = x->q[Q_SOURCE];
    if (x->json) {
        j_str(x, "what", what);
        j_open(x, "source", '{');
        j_col(x, "file", s, F_NAME);
        j_int(x, "line", x->o->source_line);
        j_col(x, "path", s, F_PATH);
        j_col(x, "kind", s, F_KIND);
        j_col(x, "file_status", s, F_STATUS);
        j_col(x, "imported_at", s, F_IMPORTED_AT);
        j_close(x, '}');
        return;
    }
    fputs("source ", x->f);
    t_v(x, s, F_NAME);
    fprintf(x->f, ":%ld: ", x->o->source_line);
}

static void put_source_file_line(struct ex *x)
{
    sqlite3_stmt *s = x->q[Q_SOURCE];
    fputs("   file ", x->f);
    t_q(x, s, F_PATH);
    fputs(" (", x->f);
    t_v(x, s, F_KIND);
    fputs(", ", x->f);
    t_v(x, s, F_STATUS);
    fputs("), imported ", x->f);
    t_v(x, s, F_IMPORTED_AT);
    fputs("\n\n", x->f);
}

static int source_dispatch(struct ex *x)
{
    sqlite3_stmt *s = x->q[Q_SOURCE];
    const char *id = db_text(s, F_DISPATCH_ID);
    sqlite3_int64 row = sqlite3_column_int64(s, F_ROW_ID);
    put_source_head(x, "dispatch");
    if (!x->json) {
        char v[96];
        if (version_of(x, id, row, v, sizeof v) != 0)
            return -1;
        fputs("dispatch ", x->f);
        t_q(x, s, F_DISPATCH_ID);
        fprintf(x->f, ", %s\n", v);
        put_source_file_line(x);
    }
    return put_dispatch(x, id, row, 0);
}

static int source_closeout(struct ex *x)
{
    sqlite3_stmt *s = x->q[Q_SOURCE];
    const char *id = db_text(s, F_DISPATCH_ID);
    sqlite3_int64 row = sqlite3_column_int64(s, F_ROW_ID);
    int known = id[0] ? dispatch_known(x, id) : 0;
    if (known < 0)
        return -1;
    put_source_head(x, "closeout");
    if (x->json) {
        /* The closeout alone, then its dispatch's story (null when the
         * dispatch id is blank or was never imported). */
        if (put_closeout_object(x, row) != 0)
            return -1;
        if (!known) {
            j_null(x, "dispatch");
            return 0;
        }
        return put_dispatch(x, id, 0, row);
    }
    fputs("closeout ", x->f);
    if (!id[0]) {
        fputs("with a blank dispatch id\n", x->f);
    } else {
        fputs("of dispatch ", x->f);
        t_q(x, s, F_DISPATCH_ID);
        fputs(known ? "\n" : ", which was never imported\n", x->f);
    }
    put_source_file_line(x);
    if (known)
        return put_dispatch(x, id, 0, row);
    fputs("closeout:\n", x->f);
    return put_closeouts(x, NULL, row, row);
}

static int source_registration(struct ex *x)
{
    sqlite3_stmt *s = x->q[Q_SOURCE];
    sqlite3_int64 row = sqlite3_column_int64(s, F_ROW_ID);
    put_source_head(x, "registration");
    if (!x->json) {
        fputs("registration\n", x->f);
        put_source_file_line(x);
        fputs("registration:\n", x->f);
    }
    sqlite3_stmt *r = use(x, Q_REGS);
    db_bind_int(r, ":registration_id", row);
    if (put_registrations(x, NULL, row, "registration") != 0)
        return -1;

    sqlite3_stmt *st = use(x, Q_SERIAL);
    db_bind_int(st, ":registration_id", row);
    if (x->json)
        j_open(x, "dispatches", '[');
    else
        fputs("\ndispatches of this serial (current versions, in order "
              "dispatched):\n", x->f);
    int rc, n = 0;
    while ((rc = step(x, Q_SERIAL)) == SQLITE_ROW) {
        const char *id = db_text(st, SD_ID);
        bool checked = sqlite3_column_int(st, SD_CHECKED) != 0;
        n++;
        if (x->json) {
            j_open(x, NULL, '{');
            j_col(x, "dispatch_id", st, SD_ID);
            j_col(x, "file", st, SD_FILE);
            j_col(x, "line", st, SD_LINE);
            j_col(x, "dispatched_at", st, SD_DISPATCHED_AT);
            j_col(x, "status", st, SD_STATUS);
            j_col(x, "provider_id", st, SD_PROVIDER);
            j_col(x, "model", st, SD_MODEL);
            j_col(x, "serial_number", st, SD_SERIAL);
            j_bool(x, "checked", checked);
            j_col_bool(x, "registration_active", st, SD_ACTIVE);
        } else {
            fputs("   ", x->f);
            t_q(x, st, SD_ID);
            fputs(" at ", x->f);
            t_loc(x, st, SD_FILE, SD_LINE);
            if (!checked) {
                fprintf(x->f, "  dispatched after the as-of date, not "
                        "checked");
            } else {
                fprintf(x->f, "  registration %s on ",
                        sqlite3_column_int(st, SD_ACTIVE) ? "active"
                                                          : "not active");
                t_v(x, st, SD_DISPATCHED_ON);
            }
            fputs("\n      dispatched ", x->f);
            t_v(x, st, SD_DISPATCHED_AT);
            fputs(", ", x->f);
            t_v(x, st, SD_STATUS);
            fputs(", provider ", x->f);
            t_q(x, st, SD_PROVIDER);
            fputs(", model ", x->f);
            t_q(x, st, SD_MODEL);
            fputs(", serial ", x->f);
            t_q(x, st, SD_SERIAL);
            fputc('\n', x->f);
        }
        if (checked) {
            if (put_reg_exceptions(x, id, "      ") != 0)
                return -1;
        } else if (x->json) {
            j_open(x, "registration_exceptions", '[');
            j_close(x, ']');
        }
        if (x->json)
            j_close(x, '}');
    }
    if (rc != SQLITE_DONE)
        return -1;
    if (x->json)
        j_close(x, ']');
    else if (n == 0)
        fputs("   none\n", x->f);
    return 0;
}

static int source_rejected(struct ex *x)
{
    sqlite3_stmt *s = x->q[Q_SOURCE];
    sqlite3_stmt *st = use(x, Q_REJECTED);
    db_bind_int(st, ":rejected_id", sqlite3_column_int64(s, F_ROW_ID));
    int rc = step(x, Q_REJECTED);
    if (rc != SQLITE_ROW)
        return rc < 0 ? -1 : diag_set(&x->d, EX_SOFTWARE, NULL, 0,
                                      "rejected row vanished");
    const char *raw = sqlite3_column_blob(st, J_RAW);
    size_t len = (size_t)sqlite3_column_bytes(st, J_RAW);
    if (!raw)
        raw = "";
    put_source_head(x, "rejected_row");
    if (x->json) {
        j_open(x, "rejected_row", '{');
        j_col(x, "file", s, F_NAME);
        j_int(x, "line", x->o->source_line);
        j_col(x, "reason", st, J_REASON);
        j_item(x, "raw");
        utf8_put_json(x->f, raw, len);
        j_bool(x, "raw_utf8", utf8_valid(raw, len, NULL));
        j_item(x, "raw_base64");
        base64(x->f, (const unsigned char *)raw, len);
        j_close(x, '}');
    } else {
        fputs("rejected row\n", x->f);
        put_source_file_line(x);
        fputs("reason: ", x->f);
        t_v(x, st, J_REASON);
        fputs("\nraw record: ", x->f);
        t_text(x->f, raw, len);
        fputc('\n', x->f);
    }
    sqlite3_reset(st);
    return 0;
}

/* Line 0: the whole file, loaded or refused. */
static int source_file(struct ex *x)
{
    sqlite3_stmt *s = x->q[Q_SOURCE];
    bool refused = strcmp(db_text(s, F_STATUS), "refused") == 0;
    put_source_head(x, "file");
    if (x->json) {
        j_open(x, "file", '{');
        j_col(x, "file", s, F_NAME);
        j_col(x, "path", s, F_PATH);
        j_col(x, "kind", s, F_KIND);
        j_col(x, "status", s, F_STATUS);
        j_col(x, "reason", s, F_REASON);
        j_col(x, "sha256", s, F_SHA);
        j_col(x, "size_bytes", s, F_SIZE);
        j_col(x, "rows_read", s, F_READ);
        j_col(x, "rows_loaded", s, F_LOADED);
        j_col(x, "rows_rejected", s, F_REJECTED);
        j_col(x, "imported_at", s, F_IMPORTED_AT);
        j_close(x, '}');
        return 0;
    }
    fprintf(x->f, "whole file, %s\n", refused ? "refused" : "loaded");
    put_source_file_line(x);
    if (refused) {
        fputs("refused: ", x->f);
        t_v(x, s, F_REASON);
        fputs("\nnothing of it was loaded", x->f);
    } else {
        fputs("rows read ", x->f);
        t_v(x, s, F_READ);
        fputs(" = loaded ", x->f);
        t_v(x, s, F_LOADED);
        fputs(" + rejected ", x->f);
        t_v(x, s, F_REJECTED);
    }
    fputs("\nsha256 ", x->f);
    t_v(x, s, F_SHA);
    fputs(", ", x->f);
    t_v(x, s, F_SIZE);
    fputs(" bytes\n", x->f);
    return 0;
}

/* ---- the document ------------------------------------------------------- */

static void begin_document(struct ex *x)
{
    const struct explain_opts *o = x->o;
    if (!x->json)
        return;
    j_open(x, NULL, '{');
    j_int(x, "explain", 1);                /* version of this format */
    j_str(x, "svcrecon", o->version);
    j_str(x, "database", o->db_path);
    j_str(x, "as_of", o->as_of);
    j_str(x, "as_of_basis", o->as_of_basis);   /* option, latest_report,
                                                  today */
    j_open(x, "query", '{');
    j_str(x, "dispatch_id", o->dispatch_id);
    if (o->source) {
        j_open(x, "source", '{');
        j_item(x, "file");
        utf8_put_json(x->f, o->source_file, o->source_file_len);
        j_int(x, "line", o->source_line);
        j_close(x, '}');
    } else {
        j_null(x, "source");
    }
    j_close(x, '}');
    j_open(x, "results", '[');
}

static void end_document(struct ex *x)
{
    if (!x->json)
        return;
    j_close(x, ']');
    j_close(x, '}');
    fputc('\n', x->f);
}

/* Untrusted text for a message on stderr. */
static void show(const char *s, size_t len, char *out, size_t size)
{
    utf8_show(s, len, 60, out, size);
}

/* DISPATCH_ID was never imported: say so, and name the closeouts that
 * name it, if any (a mistyped id on a form is a common story). */
static int dispatch_not_found(struct ex *x)
{
    const struct explain_opts *o = x->o;
    char id[256], db[256];
    show(o->dispatch_id, strlen(o->dispatch_id), id, sizeof id);
    show(o->db_path, strlen(o->db_path), db, sizeof db);
    fprintf(stderr, "svcrecon: dispatch '%s' not found in %s (no version of "
            "it was imported)", id, db);
    sqlite3_stmt *st = use(x, Q_CLOSEOUTS);
    db_bind_text(st, ":dispatch_id", o->dispatch_id, strlen(o->dispatch_id));
    int rc, n = 0;
    while ((rc = step(x, Q_CLOSEOUTS)) == SQLITE_ROW) {
        if (n < MAX_HINTS) {
            char file[256];
            show(db_text(st, C_FILE), strlen(db_text(st, C_FILE)), file,
                 sizeof file);
            fprintf(stderr, "%s%s:%lld", n ? ", " : "; closeouts naming it: ",
                    file, (long long)sqlite3_column_int64(st, C_LINE));
        }
        n++;
    }
    if (n > MAX_HINTS)
        fprintf(stderr, " and %d more", n - MAX_HINTS);
    if (n > 0)
        fputs(" (explain --source FILE:LINE tells their story)", stderr);
    fputc('\n', stderr);
    if (rc != SQLITE_DONE)
        return -1;
    return EX_DATAERR;
}

/* Nothing at FILE:LINE: say why. files = imported files named FILE;
 * refused = the reason of the first of them, when all were refused. */
static int source_not_found(struct ex *x, int files, const char *refused)
{
    const struct explain_opts *o = x->o;
    char file[256], db[256];
    show(o->source_file, o->source_file_len, file, sizeof file);
    show(o->db_path, strlen(o->db_path), db, sizeof db);
    if (files == 0) {
        fprintf(stderr, "svcrecon: --source %s:%ld: no imported file named "
                "'%s' in %s%s\n", file, o->source_line, file, db,
                memchr(o->source_file, '/', o->source_file_len) ?
                " (give the base name as stored, or the path exactly as it "
                "was imported)" : "");
    } else if (refused) {
        char why[256];
        show(refused, strlen(refused), why, sizeof why);
        fprintf(stderr, "svcrecon: %s:%ld: no row: the file was refused "
                "whole, nothing of it was loaded (%s); --source %s:0 shows "
                "the refusal\n", file, o->source_line, why, file);
    } else {
        fprintf(stderr, "svcrecon: %s:%ld: no row starts at line %ld%s\n",
                file, o->source_line, o->source_line,
                o->source_line == 1 ? " (line 1 is the header)" :
                " (a row is named by the physical line where its record "
                "starts; blank lines and the header start none)");
    }
    return EX_DATAERR;
}

static int explain_source(struct ex *x)
{
    const struct explain_opts *o = x->o;
    sqlite3_stmt *s = use(x, Q_SOURCE);
    db_bind_text(s, ":file", o->source_file, o->source_file_len);
    db_bind_int(s, ":line", o->source_line);
    int rc, files = 0, hits = 0, loaded = 0;
    char *refused = NULL;
    while ((rc = step(x, Q_SOURCE)) == SQLITE_ROW) {
        files++;
        if (!is_null(s, F_WHAT) || o->source_line == 0)
            hits++;
        if (strcmp(db_text(s, F_STATUS), "refused") != 0)
            loaded++;
        else if (!refused)
            refused = strdup(db_text(s, F_REASON));
    }
    if (rc != SQLITE_DONE) {
        free(refused);
        return -1;
    }
    if (hits == 0) {
        rc = source_not_found(x, files, loaded ? NULL :
                              refused ? refused : "");
        free(refused);
        return rc;
    }
    free(refused);

    begin_document(x);
    s = use(x, Q_SOURCE);
    db_bind_text(s, ":file", o->source_file, o->source_file_len);
    db_bind_int(s, ":line", o->source_line);
    int n = 0;
    while ((rc = step(x, Q_SOURCE)) == SQLITE_ROW) {
        const char *what = is_null(s, F_WHAT) ? NULL : db_text(s, F_WHAT);
        if (!what && o->source_line != 0)
            continue;
        if (x->json)
            j_open(x, NULL, '{');
        else if (n > 0)
            fputc('\n', x->f);
        n++;
        int r;
        if (!what)
            r = source_file(x);
        else if (strcmp(what, "dispatch") == 0)
            r = source_dispatch(x);
        else if (strcmp(what, "closeout") == 0)
            r = source_closeout(x);
        else if (strcmp(what, "registration") == 0)
            r = source_registration(x);
        else
            r = source_rejected(x);
        if (r != 0)
            return -1;
        if (x->json)
            j_close(x, '}');
    }
    if (rc != SQLITE_DONE)
        return -1;
    end_document(x);
    return 0;
}

static int explain_dispatch(struct ex *x)
{
    int known = dispatch_known(x, x->o->dispatch_id);
    if (known < 0)
        return -1;
    if (!known)
        return dispatch_not_found(x);
    begin_document(x);
    if (x->json) {
        j_open(x, NULL, '{');
        j_str(x, "what", "dispatch");
        j_null(x, "source");
    }
    if (put_dispatch(x, x->o->dispatch_id, 0, 0) != 0)
        return -1;
    if (x->json)
        j_close(x, '}');
    end_document(x);
    return 0;
}

/* ---- the command -------------------------------------------------------- */

bool explain_parse_source(const char *arg, struct explain_opts *o)
{
    const char *colon = strrchr(arg, ':');
    long line = 0;
    int digits = 0;
    if (!colon || colon == arg || colon[1] == '\0')
        return false;
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9' || ++digits > 9)
            return false;
        line = line * 10 + (*p - '0');
    }
    o->source = arg;
    o->source_file = arg;
    o->source_file_len = (size_t)(colon - arg);
    o->source_line = line;
    return true;
}

int explain_run(const struct explain_opts *given)
{
    struct explain_opts opts = *given, *o = &opts;
    struct ex x = {.o = o, .rw = o, .f = stdout, .json = o->json};
    int rc = open_db(&x);
    if (rc == 0)
        rc = o->dispatch_id ? explain_dispatch(&x) : explain_source(&x);
    if (rc < 0) {
        diag_print(&x.d);
        rc = x.d.exit_code ? x.d.exit_code : EX_SOFTWARE;
    }
    finish(&x);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "svcrecon: standard output: write error: %s\n",
                strerror(errno));
        rc = diag_worse(rc, EX_CANTCREAT);
    }
    return rc;
}
