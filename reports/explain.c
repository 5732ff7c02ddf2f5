/* explain.c -- `svcrecon explain`: why a call is on a list, told fact by
 * fact with source files and lines (issue 8, first half).
 *
 * One connection, opened read-only (no run lock: a nightly run may hold it;
 * WAL lets readers read). The rules of SPEC §3 run on it exactly as for a
 * report (reports/rules.c), and every fact printed is read from their TEMP
 * tables and views by a statement of schemas/queries/explain/.
 *
 * Each fact is stated once, in a table of `struct fact` (the column, its
 * JSON member, the words that introduce it in text); put_facts() renders a
 * table as text or as JSON (through lib/json, the one JSON writer). What is
 * left in C is how a story is told: the order of sections, the sentence
 * that sums up a row's state, the marks on the row --source named. Feed
 * text is untrusted: in text it is quoted with control bytes and bad UTF-8
 * escaped (\xNN), in JSON it is escaped to valid UTF-8 (a bad byte becomes
 * U+FFFD; a rejected row's exact bytes are also given in base64). */
#include "reports/explain.h"
#include "reports/rules.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "lib/db.h"
#include "lib/diag.h"
#include "lib/json.h"
#include "schemas/sql.h"
#include "lib/utf8.h"

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
    struct json   j;                    /* the JSON document, when json */
    struct diag  *d;
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
    return db_fail(x->db, x->d, what);
}

static bool is_null(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL;
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

/* ---- JSON --------------------------------------------------------------- */

/* A column as its own JSON type: NULL, integer, number or string. */
static void j_col(struct ex *x, const char *key, sqlite3_stmt *st, int col)
{
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        json_null(&x->j, key);
        break;
    case SQLITE_INTEGER:
        json_int(&x->j, key, (long long)sqlite3_column_int64(st, col));
        break;
    case SQLITE_FLOAT:
        /* Feed numbers are short decimals; 15 digits give them back as
         * written (1.5, not 1.50000000000000000). */
        json_num(&x->j, key, sqlite3_column_double(st, col), 15);
        break;
    default: {
        const char *s = (const char *)sqlite3_column_text(st, col);
        json_strn(&x->j, key, s ? s : "",
                  (size_t)sqlite3_column_bytes(st, col));
    }
    }
}

/* {"file": …, "line": …}, or null when the file column is NULL. */
static void j_loc(struct ex *x, const char *key, sqlite3_stmt *st,
                  int file_col)
{
    if (is_null(st, file_col)) {
        json_null(&x->j, key);
        return;
    }
    json_open(&x->j, key, '{');
    j_col(x, "file", st, file_col);
    j_col(x, "line", st, file_col + 1);
    json_close(&x->j, '}');
}

/* The bytes of (p, len) in base64, as a JSON string member. */
static int j_base64(struct ex *x, const char *key, const unsigned char *p,
                    size_t len)
{
    static const char a[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc(len / 3 * 4 + 5), *o = out;
    if (!out)
        return diag_set(x->d, EX_SOFTWARE, NULL, 0, "out of memory");
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        *o++ = a[(v >> 18) & 63];
        *o++ = a[(v >> 12) & 63];
        *o++ = i + 1 < len ? a[(v >> 6) & 63] : '=';
        *o++ = i + 2 < len ? a[v & 63] : '=';
    }
    json_strn(&x->j, key, out, (size_t)(o - out));
    free(out);
    return 0;
}

/* ---- facts: stated once, rendered as text or JSON ---------------------- */

enum fact_form {
    FACT_VALUE,      /* text: as is, "(blank)" for NULL; JSON: own type */
    FACT_QUOTED,     /* text: 'quoted' feed text; JSON: own type */
    FACT_YES_NO,     /* a 0/1 column: text yes/no; JSON true/false/null */
    FACT_FILE_LINE,  /* columns col, col + 1: text FILE:LINE; JSON the two
                      * members "file" and "line" */
    FACT_LOC,        /* the same as one JSON member {file, line} (null when
                      * the file is NULL) */
};

struct fact {
    const char    *key;       /* JSON member; NULL: text only */
    int            col;       /* the column (a location: its file) */
    enum fact_form form;
    const char    *text;      /* text: the words before the value; NULL:
                               * JSON only (the text's sentence says it) */
    const char    *if_null;   /* text instead of words + value when the
                               * column is NULL; NULL: "(blank)" */
};

#define N_FACTS(t) (sizeof (t) / sizeof (t)[0])

static void json_fact(struct ex *x, sqlite3_stmt *st, const struct fact *f)
{
    switch (f->form) {
    case FACT_VALUE:
    case FACT_QUOTED:
        j_col(x, f->key, st, f->col);
        break;
    case FACT_YES_NO:
        if (is_null(st, f->col))
            json_null(&x->j, f->key);
        else
            json_bool(&x->j, f->key, sqlite3_column_int(st, f->col) != 0);
        break;
    case FACT_FILE_LINE:
        j_col(x, "file", st, f->col);
        j_col(x, "line", st, f->col + 1);
        break;
    case FACT_LOC:
        j_loc(x, f->key, st, f->col);
        break;
    }
}

static void text_fact(struct ex *x, sqlite3_stmt *st, const struct fact *f)
{
    if (f->if_null && is_null(st, f->col)) {
        fputs(f->if_null, x->f);
        return;
    }
    fputs(f->text, x->f);
    switch (f->form) {
    case FACT_VALUE:
        t_v(x, st, f->col);
        break;
    case FACT_QUOTED:
        t_q(x, st, f->col);
        break;
    case FACT_YES_NO:
        fputs(sqlite3_column_int(st, f->col) ? "yes" : "no", x->f);
        break;
    case FACT_FILE_LINE:
    case FACT_LOC:
        t_loc(x, st, f->col, f->col + 1);
        break;
    }
}

/* The facts of table t read from st's current row, in the document's
 * form; a fact without words (or without a key) belongs to one form only. */
static void put_facts(struct ex *x, sqlite3_stmt *st, const struct fact *t,
                      size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (x->json && t[i].key)
            json_fact(x, st, &t[i]);
        else if (!x->json && t[i].text)
            text_fact(x, st, &t[i]);
    }
}

/* A row's opening: its mark and FILE:LINE in text; in JSON an object
 * (named key, or an element when key is NULL) starting with "file" and
 * "line". file_col: the row's file column, its line next to it. */
static void open_row(struct ex *x, sqlite3_stmt *st, int file_col,
                     const char *key, bool marked)
{
    const struct fact where = {"file", file_col, FACT_FILE_LINE, "", NULL};
    if (x->json)
        json_open(&x->j, key, '{');
    else
        t_item(x, marked);
    put_facts(x, st, &where, 1);
}

/* A row's end: "source" (the row --source named) in JSON, a line end in
 * text. */
static void close_row(struct ex *x, bool marked)
{
    if (x->json) {
        json_bool(&x->j, "source", marked);
        json_close(&x->j, '}');
    } else {
        fputc('\n', x->f);
    }
}

/* ---- opening ------------------------------------------------------------ */

/* SPEC §3 exactly as the reports run it (reports/rules.c). */
static int setup_rules(struct ex *x)
{
    int version;   /* older than the kept rule state: recompute (rules.h) */
    if (db_schema_version(x->db, &version, x->d) != 0)
        return -1;
    struct rules_asof a = {.recompute = version < DB_RULE_STATE_VERSION,
                           .as_of_day = x->o->as_of_day,
                           .n_buckets = x->o->n_buckets};
    memcpy(a.as_of, x->o->as_of, sizeof a.as_of);
    memcpy(a.bucket_hi, x->o->bucket_hi, sizeof a.bucket_hi);
    return rules_setup(x->db, &a, x->d);
}

/* Read-only, never created: a missing database is 66, a file that is not
 * an svcrecon database (or of a newer schema) is 65. */
static int open_db(struct ex *x)
{
    const char *path = x->o->db_path;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return diag_set(x->d, EX_NOINPUT, path, 0,
                        "cannot open database: %s", strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return diag_set(x->d, EX_NOINPUT, path, 0,
                        "cannot open database: Is a directory");
    int rc = sqlite3_open_v2(path, &x->db,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK)
        return diag_set(x->d, EX_NOINPUT, path, 0,
                        "cannot open database: %s",
                        x->db ? sqlite3_errmsg(x->db) : sqlite3_errstr(rc));
    sqlite3_extended_result_codes(x->db, 1);
    sqlite3_busy_timeout(x->db, 2000);
    int version;
    if (db_schema_version(x->db, &version, x->d) != 0) {
        diag_set_file(x->d, path);
        if (x->d->exit_code == EX_CANTCREAT)   /* cannot open: an input */
            x->d->exit_code = EX_NOINPUT;
        return -1;
    }
    if (version == 0)
        return diag_set(x->d, EX_DATAERR, path, 0,
                        "not an svcrecon database (schema version 0); "
                        "nothing was imported into it");
    if (db_refuse_newer(path, version, x->d) != 0)
        return -1;
    return 0;
}

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

/* The rules and the statements, in one read transaction: an import
 * committing meanwhile must not show its rows to the queries of the base
 * tables when the rule tables were built without them. */
static int prepare_all(struct ex *x)
{
    if (db_exec(x->db, "PRAGMA cache_size = -16384", x->d,
                "setting pragmas") != 0 ||
        db_exec(x->db, "BEGIN", x->d, "starting to read") != 0)
        return -1;
    if (x->rw)
        x->rw->as_of_basis = x->rw->as_of_default ? default_as_of(x, x->rw)
                                                  : "option";
    if (setup_rules(x) != 0)
        return -1;
    for (int q = 0; q < Q_N; q++) {
        char what[96];
        snprintf(what, sizeof what, "preparing %s", queries[q].name);
        if (db_prepare(x->db, queries[q].sql, &x->q[q], x->d, what) != 0)
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

static const struct fact reason_facts[] = {
    {"rank",   X_RANK,   FACT_VALUE, "",   NULL},
    {"code",   X_CODE,   FACT_VALUE, " ",  NULL},
    {"detail", X_DETAIL, FACT_VALUE, ": ", NULL},
};

/* A list of reasons or exceptions (statement q, bound): a JSON array key,
 * or one line each after indent ("none" when empty and say_none). */
static int put_reason_list(struct ex *x, int q, const char *key,
                           const char *indent, bool say_none)
{
    sqlite3_stmt *st = x->q[q];
    int rc, n = 0;
    if (x->json)
        json_open(&x->j, key, '[');
    while ((rc = step(x, q)) == SQLITE_ROW) {
        n++;
        if (x->json)
            json_open(&x->j, NULL, '{');
        else
            fputs(indent, x->f);
        put_facts(x, st, reason_facts, N_FACTS(reason_facts));
        if (x->json)
            json_close(&x->j, '}');
        else
            fputc('\n', x->f);
    }
    if (x->json)
        json_close(&x->j, ']');
    else if (rc == SQLITE_DONE && n == 0 && say_none)
        fprintf(x->f, "%snone\n", indent);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The registration exceptions of one dispatch; indent for text. */
static int put_reg_exceptions(struct ex *x, const char *dispatch_id,
                              const char *indent)
{
    sqlite3_stmt *st = use(x, Q_REGEXC);
    db_bind_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    return put_reason_list(x, Q_REGEXC, "registration_exceptions", indent,
                           true);
}

static const struct fact closeout_facts[] = {
    {"imported_at",     C_IMPORTED_AT, FACT_VALUE,  ", imported ", NULL},
    {"dealer_id",       C_DEALER,      FACT_QUOTED, "\n      dealer ", NULL},
    {"dispatch_id",     C_DISPATCH,    FACT_QUOTED, ", dispatch ", NULL},
    {"submitted_at",    C_SUBMITTED,   FACT_VALUE,  ", submitted ", NULL},
    {"completed_on",    C_COMPLETED,   FACT_VALUE,  ", completed ", NULL},
    {"serial_number",   C_SERIAL,      FACT_QUOTED, "\n      serial ", NULL},
    {"model",           C_MODEL,       FACT_QUOTED, ", model ", NULL},
    {"technician",      C_TECH,        FACT_QUOTED, ", technician ", NULL},
    {"labor_hours",     C_HOURS,       FACT_VALUE,  ", labor hours ", NULL},
    {"resolution_code", C_RESOLUTION,  FACT_QUOTED, ", resolution ", NULL},
    {"parts",           C_PARTS,       FACT_QUOTED, ", parts ", NULL},
    {"reason",          C_REASON,      FACT_VALUE,  NULL, NULL},
    {"superseded_by",   C_SUP_FILE,    FACT_LOC,    NULL, NULL},
};

/* Text: what became of a closeout, after its FILE:LINE. */
static void say_closeout_state(struct ex *x, sqlite3_stmt *st,
                               const char *state)
{
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
}

/* One closeout row of Q_CLOSEOUTS, its reasons included; JSON: an object
 * named key (an element when NULL). */
static int put_closeout(struct ex *x, const char *key, sqlite3_int64 mark)
{
    sqlite3_stmt *st = x->q[Q_CLOSEOUTS];
    sqlite3_int64 id = sqlite3_column_int64(st, C_ID);
    const char *state = (const char *)sqlite3_column_text(st, C_STATE);
    if (!state)
        state = "";
    open_row(x, st, C_FILE, key, id == mark);
    if (!x->json)
        say_closeout_state(x, st, state);
    put_facts(x, st, closeout_facts, N_FACTS(closeout_facts));
    if (x->json) {
        json_str(&x->j, "state", state);
        json_bool(&x->j, "source", id == mark);
    } else {
        fputc('\n', x->f);
    }
    sqlite3_stmt *r = use(x, Q_REASONS);
    db_bind_int(r, ":closeout_id", id);
    if (put_reason_list(x, Q_REASONS, "reasons", "      ", false) != 0)
        return -1;
    if (x->json)
        json_close(&x->j, '}');
    return 0;
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
        if (put_closeout(x, NULL, mark) != 0)
            return -1;
        n++;
    }
    if (rc != SQLITE_DONE)
        return -1;
    if (!x->json && n == 0)
        fputs("   none\n", x->f);
    return 0;
}

static const struct fact registration_facts[] = {
    {"imported_at",   R_IMPORTED_AT,   FACT_VALUE,  ", imported ", NULL},
    {"dealer_id",     R_DEALER,        FACT_QUOTED, "\n      dealer ", NULL},
    {"dealer_name",   R_DEALER_NAME,   FACT_QUOTED, " (", NULL},
    {"model",         R_MODEL,         FACT_QUOTED, "), model ", NULL},
    {"serial_number", R_SERIAL,        FACT_QUOTED, ", serial ", NULL},
    {"wmp_selected",  R_WMP,           FACT_YES_NO, ", WMP ", NULL},
    {"registered_on", R_REGISTERED_ON, FACT_VALUE,  ", registered ", NULL},
    {"removed_on",    R_REMOVED_ON,    FACT_VALUE,  ", removed ",
                                                    ", not removed"},
    {"superseded_by", R_SUP_FILE,      FACT_LOC,    NULL, NULL},
    {"active",        R_ACTIVE,        FACT_YES_NO, NULL, NULL},
};

/* Text: where a registration stands, after its FILE:LINE; active_on names
 * the dispatch day, NULL when no dispatch is asked about. */
static void say_registration_state(struct ex *x, sqlite3_stmt *st,
                                   bool current, const char *active_on)
{
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
}

/* Registrations (Q_REGS rows, bound). JSON: each an object named key (an
 * element when NULL). */
static int put_registrations(struct ex *x, const char *active_on,
                             sqlite3_int64 mark, const char *key)
{
    sqlite3_stmt *st = x->q[Q_REGS];
    int rc, n = 0;
    while ((rc = step(x, Q_REGS)) == SQLITE_ROW) {
        bool marked = sqlite3_column_int64(st, R_ID) == mark;
        bool current = sqlite3_column_int(st, R_CURRENT) != 0;
        n++;
        open_row(x, st, R_FILE, key, marked);
        if (!x->json)
            say_registration_state(x, st, current, active_on);
        put_facts(x, st, registration_facts, N_FACTS(registration_facts));
        if (x->json)
            json_bool(&x->j, "current", current);
        close_row(x, marked);
    }
    if (rc != SQLITE_DONE)
        return -1;
    if (!x->json && n == 0)
        fputs("   none\n", x->f);
    return 0;
}

static const struct fact version_facts[] = {
    {"imported_at",   V_IMPORTED_AT,   FACT_VALUE,  ", imported ", NULL},
    {"dispatched_at", V_DISPATCHED_AT, FACT_VALUE,  "\n      dispatched ",
                                                    NULL},
    {"status",        V_STATUS,        FACT_VALUE,  ", ", NULL},
    {"provider_id",   V_PROVIDER,      FACT_QUOTED, ", provider ", NULL},
    {"model",         V_MODEL,         FACT_QUOTED, ", model ", NULL},
    {"serial_number", V_SERIAL,        FACT_QUOTED, ", serial ", NULL},
    {"customer_name", V_CUSTOMER,      FACT_QUOTED, "\n      customer ",
                                                    NULL},
    {"customer_postal_code", V_POSTAL, FACT_QUOTED, ", postal code ", NULL},
    {"problem_code",  V_PROBLEM,       FACT_QUOTED, ", problem ", NULL},
};

static int put_versions(struct ex *x, const char *dispatch_id,
                        sqlite3_int64 mark)
{
    sqlite3_stmt *st = use(x, Q_VERSIONS);
    db_bind_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    if (x->json)
        json_open(&x->j, "versions", '[');
    else
        fputs("\nversions, in import order:\n", x->f);
    int rc;
    while ((rc = step(x, Q_VERSIONS)) == SQLITE_ROW) {
        bool marked = sqlite3_column_int64(st, V_ROW_ID) == mark;
        bool current = sqlite3_column_int(st, V_CURRENT) != 0;
        open_row(x, st, V_FILE, NULL, marked);
        if (!x->json)
            fprintf(x->f, "  %s", current ? "current" : "superseded");
        put_facts(x, st, version_facts, N_FACTS(version_facts));
        if (x->json)
            json_bool(&x->j, "current", current);
        close_row(x, marked);
    }
    if (x->json)
        json_close(&x->j, ']');
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Text: "; only non-compensable attempts (N)". */
static void say_only_noncomp(struct ex *x, long long n)
{
    fprintf(x->f, "; only non-compensable attempts (%lld)", n);
}

/* The accepted closeout: JSON members of "accepted_closeout"; text after
 * "closed by closeout at ". */
static const struct fact accepted_facts[] = {
    {"file",         S_ACC_FILE,      FACT_FILE_LINE, "", NULL},
    {"submitted_at", S_ACC_SUBMITTED, FACT_VALUE,     ", submitted ", NULL},
};

static const struct fact standing_facts[] = {
    {"days_open", S_DAYS_OPEN, FACT_VALUE, NULL, NULL},
    {"bucket",    S_BUCKET,    FACT_VALUE, NULL, NULL},
};

static void json_standing(struct ex *x, const char *state)
{
    sqlite3_stmt *st = x->q[Q_STANDING];
    json_open(&x->j, "standing", '{');
    json_str(&x->j, "state", state);
    put_facts(x, st, standing_facts, N_FACTS(standing_facts));
    if (is_null(st, S_ACC_FILE)) {
        json_null(&x->j, "accepted_closeout");
    } else {
        json_open(&x->j, "accepted_closeout", '{');
        put_facts(x, st, accepted_facts, N_FACTS(accepted_facts));
        json_close(&x->j, '}');
    }
    json_int(&x->j, "attempts", sqlite3_column_int64(st, S_ATTEMPTS));
    json_int(&x->j, "noncompensable", sqlite3_column_int64(st, S_NONCOMP));
    json_close(&x->j, '}');
}

/* The last word of a story: Q_STANDING's row, read as it stands. */
static void put_standing(struct ex *x, const char *state)
{
    sqlite3_stmt *st = x->q[Q_STANDING];
    long long attempts = sqlite3_column_int64(st, S_ATTEMPTS);
    long long noncomp = sqlite3_column_int64(st, S_NONCOMP);
    if (x->json) {
        json_standing(x, state);
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
            say_only_noncomp(x, attempts);
    } else if (strcmp(state, "closed") == 0) {
        fputs("closed by closeout at ", x->f);
        put_facts(x, st, accepted_facts, N_FACTS(accepted_facts));
        if (noncomp > 0)
            fprintf(x->f, "; also non-compensable closeouts (%lld)", noncomp);
    } else if (strcmp(state, "cancelled") == 0) {
        fputs("cancelled", x->f);
        if (attempts > 0)
            say_only_noncomp(x, attempts);
    } else {
        fputs("dispatched after the as-of date (", x->f);
        t_v(x, st, S_DISPATCHED_AT);
        fputs("), takes no part", x->f);
    }
    fputc('\n', x->f);
}

static const struct fact dispatch_facts[] = {
    {"dispatch_id",     S_ID,            FACT_QUOTED, "dispatch ", NULL},
    {"dispatched_at",   S_DISPATCHED_AT, FACT_VALUE,  NULL, NULL},
    {"serial_number",   S_SERIAL,        FACT_VALUE,  NULL, NULL},
    {"status",          S_STATUS,        FACT_VALUE,  NULL, NULL},
    {"current_version", S_FILE,          FACT_LOC,    NULL, NULL},
};

/* Q_STANDING's row for dispatch_id, and its state (copied to state). */
static int read_standing(struct ex *x, const char *dispatch_id,
                         char *state, size_t size)
{
    sqlite3_stmt *st = use(x, Q_STANDING);
    db_bind_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    int rc = step(x, Q_STANDING);
    if (rc != SQLITE_ROW)
        return rc < 0 ? -1 : diag_set(x->d, EX_SOFTWARE, NULL, 0,
                                      "dispatch has versions but no current "
                                      "version (rule tables disagree)");
    const char *s = (const char *)sqlite3_column_text(st, S_STATE);
    if (!s)
        return diag_set(x->d, EX_SOFTWARE, NULL, 0, "dispatch is open on "
                        "or before the as-of date but neither unclosed nor "
                        "closed (rule tables disagree)");
    snprintf(state, size, "%s", s);
    return 0;
}

/* Registrations of the dispatch's serial, as checked on its day. */
static int put_dispatch_registrations(struct ex *x, const char *dispatch_id,
                                      bool checked)
{
    sqlite3_stmt *st = x->q[Q_STANDING];
    char day[16];
    snprintf(day, sizeof day, "%s", db_text(st, S_DISPATCHED_ON));
    sqlite3_stmt *r = use(x, Q_REGS);
    db_bind_text(r, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    if (x->json) {
        json_open(&x->j, "registrations", '[');
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
        json_close(&x->j, ']');
    else
        fputs("\nregistration exceptions:\n", x->f);
    return put_reg_exceptions(x, dispatch_id, "   ");
}

/* The whole story of one dispatch: versions, registrations, registration
 * exceptions, closeouts, standing. mark_version / mark_closeout: the row
 * --source named (0: none). */
static int put_dispatch(struct ex *x, const char *dispatch_id,
                        sqlite3_int64 mark_version,
                        sqlite3_int64 mark_closeout)
{
    char state[32];
    if (read_standing(x, dispatch_id, state, sizeof state) != 0)
        return -1;
    /* Q_STANDING is not used again until this story ends: its row stays
     * valid while the sections below step their own statements. */
    sqlite3_stmt *st = x->q[Q_STANDING];
    bool checked = strcmp(state, "dispatched_after_as_of") != 0;
    if (x->json)
        json_open(&x->j, "dispatch", '{');
    put_facts(x, st, dispatch_facts, N_FACTS(dispatch_facts));
    if (x->json)
        json_bool(&x->j, "checked", checked);
    else
        fprintf(x->f, " as of %s\n", x->o->as_of);
    if (put_versions(x, dispatch_id, mark_version) != 0 ||
        put_dispatch_registrations(x, dispatch_id, checked) != 0)
        return -1;
    if (x->json) {
        json_open(&x->j, "closeouts", '[');
    } else {
        fputs("\ncloseouts naming ", x->f);
        t_q(x, st, S_ID);
        fputs(", in order submitted:\n", x->f);
    }
    if (put_closeouts(x, dispatch_id, 0, mark_closeout) != 0)
        return -1;
    if (x->json)
        json_close(&x->j, ']');
    put_standing(x, state);
    if (x->json)
        json_close(&x->j, '}');
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
        return rc < 0 ? -1 : diag_set(x->d, EX_SOFTWARE, NULL, 0,
                                      "closeout row vanished");
    if (put_closeout(x, "closeout", id) != 0)
        return -1;
    sqlite3_reset(st);
    return 0;
}

/* Sets *known when any version of dispatch_id was imported. */
static int dispatch_known(struct ex *x, const char *dispatch_id, bool *known)
{
    sqlite3_stmt *st = use(x, Q_VERSIONS);
    db_bind_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    int rc = step(x, Q_VERSIONS);
    sqlite3_reset(st);
    *known = rc == SQLITE_ROW;
    return rc < 0 ? -1 : 0;
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

/* The file a --source row was read from (Q_SOURCE): JSON members of
 * "source"; text, the line under a result's heading. */
static const struct fact source_file_facts[] = {
    {"path",        F_PATH,        FACT_QUOTED, "   file ", NULL},
    {"kind",        F_KIND,        FACT_VALUE,  " (", NULL},
    {"file_status", F_STATUS,      FACT_VALUE,  ", ", NULL},
    {"imported_at", F_IMPORTED_AT, FACT_VALUE,  "), imported ", NULL},
};

/* The "what" and "source" members / the heading "source FILE:LINE: ". */
static void put_source_head(struct ex *x, const char *what)
{
    sqlite3_stmt *s = x->q[Q_SOURCE];
    if (x->json) {
        json_str(&x->j, "what", what);
        json_open(&x->j, "source", '{');
        j_col(x, "file", s, F_NAME);
        json_int(&x->j, "line", x->o->source_line);
        put_facts(x, s, source_file_facts, N_FACTS(source_file_facts));
        json_close(&x->j, '}');
        return;
    }
    fputs("source ", x->f);
    t_v(x, s, F_NAME);
    fprintf(x->f, ":%ld: ", x->o->source_line);
}

/* Text: the heading's second half, then the file's line. */
static void say_source(struct ex *x, const char *what)
{
    fputs(what, x->f);
    put_facts(x, x->q[Q_SOURCE], source_file_facts,
              N_FACTS(source_file_facts));
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
        say_source(x, "");
    }
    return put_dispatch(x, id, row, 0);
}

static int source_closeout(struct ex *x)
{
    sqlite3_stmt *s = x->q[Q_SOURCE];
    const char *id = db_text(s, F_DISPATCH_ID);
    sqlite3_int64 row = sqlite3_column_int64(s, F_ROW_ID);
    bool known = false;
    if (id[0] && dispatch_known(x, id, &known) != 0)
        return -1;
    put_source_head(x, "closeout");
    if (x->json) {
        /* The closeout alone, then its dispatch's story (null when the
         * dispatch id is blank or was never imported). */
        if (put_closeout_object(x, row) != 0)
            return -1;
        if (!known) {
            json_null(&x->j, "dispatch");
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
    say_source(x, "");
    if (known)
        return put_dispatch(x, id, 0, row);
    fputs("closeout:\n", x->f);
    return put_closeouts(x, NULL, row, row);
}

static const struct fact serial_dispatch_head[] = {
    {"dispatch_id", SD_ID,   FACT_QUOTED,    "   ", NULL},
    {"file",        SD_FILE, FACT_FILE_LINE, " at ", NULL},
};
static const struct fact serial_dispatch_facts[] = {
    {"dispatched_at", SD_DISPATCHED_AT, FACT_VALUE,  "\n      dispatched ",
                                                     NULL},
    {"status",        SD_STATUS,        FACT_VALUE,  ", ", NULL},
    {"provider_id",   SD_PROVIDER,      FACT_QUOTED, ", provider ", NULL},
    {"model",         SD_MODEL,         FACT_QUOTED, ", model ", NULL},
    {"serial_number", SD_SERIAL,        FACT_QUOTED, ", serial ", NULL},
    {"checked",       SD_CHECKED,       FACT_YES_NO, NULL, NULL},
    {"registration_active", SD_ACTIVE,  FACT_YES_NO, NULL, NULL},
};

/* One row of Q_SERIAL: a dispatch of the registration's serial and the
 * exceptions it was given. */
static int put_serial_dispatch(struct ex *x)
{
    sqlite3_stmt *st = x->q[Q_SERIAL];
    bool checked = sqlite3_column_int(st, SD_CHECKED) != 0;
    if (x->json)
        json_open(&x->j, NULL, '{');
    put_facts(x, st, serial_dispatch_head, N_FACTS(serial_dispatch_head));
    if (!x->json && !checked) {
        fputs("  dispatched after the as-of date, not checked", x->f);
    } else if (!x->json) {
        fprintf(x->f, "  registration %s on ",
                sqlite3_column_int(st, SD_ACTIVE) ? "active" : "not active");
        t_v(x, st, SD_DISPATCHED_ON);
    }
    put_facts(x, st, serial_dispatch_facts, N_FACTS(serial_dispatch_facts));
    if (!x->json)
        fputc('\n', x->f);
    if (checked) {
        if (put_reg_exceptions(x, db_text(st, SD_ID), "      ") != 0)
            return -1;
    } else if (x->json) {
        json_open(&x->j, "registration_exceptions", '[');
        json_close(&x->j, ']');
    }
    if (x->json)
        json_close(&x->j, '}');
    return 0;
}

static int source_registration(struct ex *x)
{
    sqlite3_int64 row = sqlite3_column_int64(x->q[Q_SOURCE], F_ROW_ID);
    put_source_head(x, "registration");
    if (!x->json) {
        say_source(x, "registration\n");
        fputs("registration:\n", x->f);
    }
    sqlite3_stmt *r = use(x, Q_REGS);
    db_bind_int(r, ":registration_id", row);
    if (put_registrations(x, NULL, row, "registration") != 0)
        return -1;

    sqlite3_stmt *st = use(x, Q_SERIAL);
    db_bind_int(st, ":registration_id", row);
    if (x->json)
        json_open(&x->j, "dispatches", '[');
    else
        fputs("\ndispatches of this serial (current versions, in order "
              "dispatched):\n", x->f);
    int rc, n = 0;
    while ((rc = step(x, Q_SERIAL)) == SQLITE_ROW) {
        n++;
        if (put_serial_dispatch(x) != 0)
            return -1;
    }
    if (rc != SQLITE_DONE)
        return -1;
    if (x->json)
        json_close(&x->j, ']');
    else if (n == 0)
        fputs("   none\n", x->f);
    return 0;
}

static const struct fact rejected_facts[] = {
    {"reason", J_REASON, FACT_VALUE, "reason: ", NULL},
};

static int source_rejected(struct ex *x)
{
    sqlite3_stmt *s = x->q[Q_SOURCE];
    sqlite3_stmt *st = use(x, Q_REJECTED);
    db_bind_int(st, ":rejected_id", sqlite3_column_int64(s, F_ROW_ID));
    int rc = step(x, Q_REJECTED);
    if (rc != SQLITE_ROW)
        return rc < 0 ? -1 : diag_set(x->d, EX_SOFTWARE, NULL, 0,
                                      "rejected row vanished");
    const char *raw = sqlite3_column_blob(st, J_RAW);
    size_t len = (size_t)sqlite3_column_bytes(st, J_RAW);
    if (!raw)
        raw = "";
    put_source_head(x, "rejected_row");
    if (x->json) {
        json_open(&x->j, "rejected_row", '{');
        j_col(x, "file", s, F_NAME);
        json_int(&x->j, "line", x->o->source_line);
        put_facts(x, st, rejected_facts, N_FACTS(rejected_facts));
        json_strn(&x->j, "raw", raw, len);
        json_bool(&x->j, "raw_utf8", utf8_valid(raw, len, NULL));
        if (j_base64(x, "raw_base64", (const unsigned char *)raw, len) != 0)
            return -1;
        json_close(&x->j, '}');
    } else {
        say_source(x, "rejected row\n");
        put_facts(x, st, rejected_facts, N_FACTS(rejected_facts));
        fputs("\nraw record: ", x->f);
        t_text(x->f, raw, len);
        fputc('\n', x->f);
    }
    sqlite3_reset(st);
    return 0;
}

/* The whole file (line 0): JSON members of "file", in this order. */
static const struct fact file_meta_facts[] = {
    {"file",   F_NAME,   FACT_VALUE, NULL, NULL},
    {"path",   F_PATH,   FACT_VALUE, NULL, NULL},
    {"kind",   F_KIND,   FACT_VALUE, NULL, NULL},
    {"status", F_STATUS, FACT_VALUE, NULL, NULL},
};
static const struct fact file_refusal_facts[] = {
    {"reason", F_REASON, FACT_VALUE, "refused: ", NULL},
};
static const struct fact file_count_facts[] = {
    {"rows_read",     F_READ,     FACT_VALUE, "rows read ", NULL},
    {"rows_loaded",   F_LOADED,   FACT_VALUE, " = loaded ", NULL},
    {"rows_rejected", F_REJECTED, FACT_VALUE, " + rejected ", NULL},
};
static const struct fact file_bytes_facts[] = {
    {"sha256",      F_SHA,         FACT_VALUE, "\nsha256 ", NULL},
    {"size_bytes",  F_SIZE,        FACT_VALUE, ", ", NULL},
    {"imported_at", F_IMPORTED_AT, FACT_VALUE, NULL, NULL},
};

/* Line 0: the whole file, loaded or refused. */
static int source_file(struct ex *x)
{
    sqlite3_stmt *s = x->q[Q_SOURCE];
    bool refused = strcmp(db_text(s, F_STATUS), "refused") == 0;
    put_source_head(x, "file");
    if (x->json) {
        json_open(&x->j, "file", '{');
        put_facts(x, s, file_meta_facts, N_FACTS(file_meta_facts));
        put_facts(x, s, file_refusal_facts, N_FACTS(file_refusal_facts));
        put_facts(x, s, file_count_facts, N_FACTS(file_count_facts));
        put_facts(x, s, file_bytes_facts, N_FACTS(file_bytes_facts));
        json_close(&x->j, '}');
        return 0;
    }
    say_source(x, refused ? "whole file, refused\n" : "whole file, loaded\n");
    if (refused) {
        put_facts(x, s, file_refusal_facts, N_FACTS(file_refusal_facts));
        fputs("\nnothing of it was loaded", x->f);
    } else {
        put_facts(x, s, file_count_facts, N_FACTS(file_count_facts));
    }
    put_facts(x, s, file_bytes_facts, N_FACTS(file_bytes_facts));
    fputs(" bytes\n", x->f);
    return 0;
}

/* ---- the document ------------------------------------------------------- */

static void begin_document(struct ex *x)
{
    const struct explain_opts *o = x->o;
    if (!x->json)
        return;
    json_open(&x->j, NULL, '{');
    json_int(&x->j, "explain", 1);         /* version of this format */
    json_str(&x->j, "svcrecon", o->version);
    json_str(&x->j, "database", o->db_path);
    json_str(&x->j, "as_of", o->as_of);
    json_str(&x->j, "as_of_basis", o->as_of_basis);  /* option,
                                                        latest_report,
                                                        today */
    json_open(&x->j, "query", '{');
    json_str(&x->j, "dispatch_id", o->dispatch_id);
    if (o->source) {
        json_open(&x->j, "source", '{');
        json_strn(&x->j, "file", o->source_file, o->source_file_len);
        json_int(&x->j, "line", o->source_line);
        json_close(&x->j, '}');
    } else {
        json_null(&x->j, "source");
    }
    json_close(&x->j, '}');
    json_open(&x->j, "results", '[');
}

static void end_document(struct ex *x)
{
    if (!x->json)
        return;
    json_close(&x->j, ']');
    json_close(&x->j, '}');
}

/* Untrusted text for a message on stderr. */
static void show(const char *s, size_t len, char *out, size_t size)
{
    utf8_show(s, len, 60, out, size);
}

/* Appends to msg (of size) what fmt says; cut at the end of msg. */
static void add(char *msg, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add(char *msg, size_t size, const char *fmt, ...)
{
    size_t used = strlen(msg);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + used, size - used, fmt, ap);
    va_end(ap);
}

/* DISPATCH_ID was never imported: say so (65), and name the closeouts
 * that name it, if any (a mistyped id on a form is a common story). */
static int dispatch_not_found(struct ex *x)
{
    const struct explain_opts *o = x->o;
    char id[256], db[256], msg[sizeof x->d->reason] = "";
    show(o->dispatch_id, strlen(o->dispatch_id), id, sizeof id);
    show(o->db_path, strlen(o->db_path), db, sizeof db);
    add(msg, sizeof msg, "dispatch '%s' not found in %s (no version of it "
        "was imported)", id, db);
    sqlite3_stmt *st = use(x, Q_CLOSEOUTS);
    db_bind_text(st, ":dispatch_id", o->dispatch_id, strlen(o->dispatch_id));
    int rc, n = 0;
    while ((rc = step(x, Q_CLOSEOUTS)) == SQLITE_ROW) {
        if (n < MAX_HINTS) {
            char file[256];
            show(db_text(st, C_FILE), strlen(db_text(st, C_FILE)), file,
                 sizeof file);
            add(msg, sizeof msg, "%s%s:%lld", n ? ", " :
                "; closeouts naming it: ", file,
                (long long)sqlite3_column_int64(st, C_LINE));
        }
        n++;
    }
    if (rc != SQLITE_DONE)
        return -1;
    if (n > MAX_HINTS)
        add(msg, sizeof msg, " and %d more", n - MAX_HINTS);
    if (n > 0)
        add(msg, sizeof msg, " (explain --source FILE:LINE tells their "
            "story)");
    return diag_set(x->d, EX_DATAERR, NULL, 0, "%s", msg);
}

/* Nothing at FILE:LINE: say why (65). files = imported files named FILE;
 * refused = the reason of the first of them, when all were refused. */
static int source_not_found(struct ex *x, int files, const char *refused)
{
    const struct explain_opts *o = x->o;
    char file[256], db[256];
    show(o->source_file, o->source_file_len, file, sizeof file);
    show(o->db_path, strlen(o->db_path), db, sizeof db);
    if (files == 0)
        return diag_set(x->d, EX_DATAERR, NULL, 0, "--source %s:%ld: no "
                        "imported file named '%s' in %s%s", file,
                        o->source_line, file, db,
                        memchr(o->source_file, '/', o->source_file_len) ?
                        " (give the base name as stored, or the path "
                        "exactly as it was imported)" : "");
    if (refused) {
        char why[256];
        show(refused, strlen(refused), why, sizeof why);
        return diag_set(x->d, EX_DATAERR, NULL, 0, "%s:%ld: no row: the "
                        "file was refused whole, nothing of it was loaded "
                        "(%s); --source %s:0 shows the refusal", file,
                        o->source_line, why, file);
    }
    return diag_set(x->d, EX_DATAERR, NULL, 0, "%s:%ld: no row starts at "
                    "line %ld%s", file, o->source_line, o->source_line,
                    o->source_line == 1 ? " (line 1 is the header)" :
                    " (a row is named by the physical line where its "
                    "record starts; blank lines and the header start "
                    "none)");
}

/* Binds Q_SOURCE to FILE:LINE. */
static sqlite3_stmt *use_source(struct ex *x)
{
    sqlite3_stmt *s = use(x, Q_SOURCE);
    db_bind_text(s, ":file", x->o->source_file, x->o->source_file_len);
    db_bind_int(s, ":line", x->o->source_line);
    return s;
}

/* A first pass over FILE:LINE's rows: is there anything to tell? 65 with
 * the reason when not. */
static int source_found(struct ex *x)
{
    const struct explain_opts *o = x->o;
    sqlite3_stmt *s = use_source(x);
    int rc, files = 0, hits = 0, loaded = 0;
    char *refused = NULL;
    while ((rc = step(x, Q_SOURCE)) == SQLITE_ROW) {
        files++;
        if (!is_null(s, F_WHAT) || o->source_line == 0)
            hits++;
        if (strcmp(db_text(s, F_STATUS), "refused") != 0)
            loaded++;
        else if (!refused && !(refused = strdup(db_text(s, F_REASON))))
            rc = diag_set(x->d, EX_SOFTWARE, NULL, 0, "out of memory");
    }
    if (rc == SQLITE_DONE && hits == 0)
        rc = source_not_found(x, files, loaded ? NULL :
                              refused ? refused : "");
    free(refused);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* One result of --source: what the row at FILE:LINE is. */
static int source_result(struct ex *x, const char *what)
{
    if (!what)
        return source_file(x);
    if (strcmp(what, "dispatch") == 0)
        return source_dispatch(x);
    if (strcmp(what, "closeout") == 0)
        return source_closeout(x);
    if (strcmp(what, "registration") == 0)
        return source_registration(x);
    return source_rejected(x);
}

static int explain_source(struct ex *x)
{
    if (source_found(x) != 0)
        return -1;
    begin_document(x);
    sqlite3_stmt *s = use_source(x);
    int rc, n = 0;
    while ((rc = step(x, Q_SOURCE)) == SQLITE_ROW) {
        const char *what = is_null(s, F_WHAT) ? NULL : db_text(s, F_WHAT);
        if (!what && x->o->source_line != 0)
            continue;
        if (x->json)
            json_open(&x->j, NULL, '{');
        else if (n > 0)
            fputc('\n', x->f);
        n++;
        if (source_result(x, what) != 0)
            return -1;
        if (x->json)
            json_close(&x->j, '}');
    }
    if (rc != SQLITE_DONE)
        return -1;
    end_document(x);
    return 0;
}

static int explain_dispatch(struct ex *x)
{
    bool known;
    if (dispatch_known(x, x->o->dispatch_id, &known) != 0)
        return -1;
    if (!known)
        return dispatch_not_found(x);
    begin_document(x);
    if (x->json) {
        json_open(&x->j, NULL, '{');
        json_str(&x->j, "what", "dispatch");
        json_null(&x->j, "source");
    }
    if (put_dispatch(x, x->o->dispatch_id, 0, 0) != 0)
        return -1;
    if (x->json)
        json_close(&x->j, '}');
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

int explain_run(const struct explain_opts *given, struct diag *d)
{
    struct explain_opts opts = *given, *o = &opts;
    struct ex x = {.o = o, .rw = o, .f = stdout, .json = o->json, .d = d};
    json_init(&x.j, stdout);
    int rc = open_db(&x);
    if (rc == 0)
        rc = prepare_all(&x);
    if (rc == 0)
        rc = o->dispatch_id ? explain_dispatch(&x) : explain_source(&x);
    finish(&x);
    /* Never a document that looks whole but is not: one nested past
     * JSON_MAX_DEPTH stops where it went too deep, and that is an error. */
    if (rc == 0 && x.json && x.j.too_deep)
        rc = diag_set(d, EX_SOFTWARE, NULL, 0, "explain: the JSON document "
                      "nests deeper than %d levels; it is cut short",
                      JSON_MAX_DEPTH);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        if (rc == 0 || diag_worse(d->exit_code, EX_CANTCREAT) != d->exit_code)
            rc = diag_set(d, EX_CANTCREAT, NULL, 0, "standard output: write "
                          "error: %s", strerror(e));
    }
    return rc;
}
