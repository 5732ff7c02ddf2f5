/* load.c -- one feed file, one transaction (SPEC §2, §6).
 *
 * Pass 1 hashes the file (SHA-256 through OpenSSL's libcrypto): bytes that
 * were loaded before are skipped without parsing. Pass 2 streams the file
 * through csvin and feed, inside BEGIN IMMEDIATE ... COMMIT: each record
 * becomes a row of its feed table or a rejected_row, and the file's own
 * imported_file row carries its control totals. The bytes are hashed again
 * on the way; if they differ from pass 1 the file changed under us and is
 * refused. A refusal rolls everything back and then records the refusal
 * alone, in a transaction of its own.
 *
 * On PostgreSQL the records are not inserted one by one (a round trip
 * each) but COPied into a staging table and stored set-based at the end
 * of pass 2, the same rows and rejected rows (prepare_stage, stage_done).
 *
 * Every file given is also a delivery (schemas/tables/005_delivery.sql,
 * the audit's night): a loaded file's is written in its load's
 * transaction, a refused file's with the refusal, a skip's or an
 * unreadable file's on its own; so a kill at any point loses none that
 * took effect. */
#include "etl/load.h"
#include "etl/sniff.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "etl/csvin.h"
#include "lib/clock.h"
#include "lib/db.h"
#include "lib/sha256.h"
#include "lib/testhook.h"
#include "schemas/sql.h"
#include "lib/utf8.h"

const char *load_status_name(enum load_status s)
{
    switch (s) {
    case LOAD_LOADED:     return "loaded";
    case LOAD_SKIPPED:    return "skipped";
    case LOAD_REFUSED:    return "refused";
    case LOAD_UNREADABLE: return "unreadable";
    case LOAD_FAILED:     return "failed";
    case LOAD_NOT_TRIED:  return "not_tried";
    case LOAD_STATUS_COUNT: break;
    }
    return "?";
}

static void hash_hook(void *ctx, const void *bytes, size_t n)
{
    sha256_add(ctx, bytes, n);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void utc_now(char out[21])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Binds text about a file -- its name, its path as given, a reason or a
 * warning quoting them -- as the database keeps it: as it is when it is
 * UTF-8 (the usual case), else as shown (utf8_show: each byte that is not
 * UTF-8 or is a control \xNN, a backslash doubled). A file named with
 * bytes that are not UTF-8 (a Latin-1 name from a share: "dispatches_\xFF
 * .csv") made every run of its inbox exit 70 on PostgreSQL, whose text
 * holds UTF-8 only (QA pass 35, tests/e2e/t9950); SQLite kept the bytes.
 * Kept the same way on both back ends, so that the workbooks, explain and
 * a copy read the same on either; the workbooks showed such a byte as
 * \xNN before, too, and `explain --source` finds the file by its name
 * given either way (reports/explain.c explain_run). Out of memory: bound
 * as it is (PostgreSQL then refuses it, a failure the caller reports). */
static void set_stored_text(struct db_stmt *st, const char *param,
                            const char *s)
{
    size_t len = strlen(s);
    char *shown = utf8_valid(s, len, NULL) ? NULL : malloc(4 * len + 1);
    if (shown)
        utf8_show(s, len, len, shown, 4 * len + 1);
    db_set_text(st, param, shown ? shown : s, -1);
    free(shown);
}

/* One delivery of the file (schemas/tables/005_delivery.sql), with what
 * became of it: r->status, r->file_id (loaded, refused: its row; skipped:
 * the earlier file's), r->reason. In the caller's transaction when there
 * is one; a statement of its own otherwise. */
static int record_delivery(struct db *db, const struct load_result *r,
                           const struct load_opts *opts, struct diag *d)
{
    struct db_stmt *st;
    char now[21];
    const char *status = load_status_name(r->status);
    utc_now(now);
    if (db_prepare(db, sql_q_delivery_put, &st, d, "recording the "
                   "delivery") != 0)
        return -1;
    if (r->file_id)
        db_set_int64(st, ":file_id", r->file_id);
    set_stored_text(st, ":name", base_name(r->path));
    set_stored_text(st, ":path", r->path);
    db_set_text(st, ":kind", feed_kind_name(r->kind),
                 strlen(feed_kind_name(r->kind)));
    if (r->sha256[0])
        db_set_text(st, ":sha", r->sha256, strlen(r->sha256));
    db_set_int64(st, ":size", (int64_t)r->bytes);
    db_set_text(st, ":status", status, strlen(status));
    set_stored_text(st, ":reason", r->reason);
    db_set_text(st, ":now", now, strlen(now));
    if (opts->has_night)
        db_set_int64(st, ":night_as_of_day", opts->night_as_of_day);
    int rc = db_step(st, d, "recording the delivery");
    db_finalize(st);
    return rc == DB_DONE ? 0 : -1;
}

/* Everything a load needs, released in one place. */
struct loader {
    struct db          *db;
    struct load_result *r;
    const struct load_opts *opts;
    struct db_stmt       *insert, *earlier, *reject;
    struct db_bulk       *bulk;     /* PostgreSQL: the file's COPY */
    size_t                n_staged; /* values of a staged row after raw */
    int                 p_file_id, p_line;
    int                 p_col[FEED_MAX_COLS], p_aux[FEED_MAX_COLS];
    int                 e_col[FEED_MAX_COLS], e_aux[FEED_MAX_COLS];
    int                 e_file_id;
    int                 r_file_id, r_line, r_reason, r_raw, r_dispatch;
    struct feed_row    *row;
    unsigned long       n_cp1252;   /* rejected rows that read as CP1252 */
    unsigned long       n_mac;      /* ... and as Mac Roman (sniff_8bit) */
    struct rebuilt {                /* indexes built after the rows */
        char name[64];
        char *sql;                  /* its CREATE INDEX, from the catalog */
    } rebuilt[4];
    int                 n_rebuilt;
};

/* A checked value as the database takes it: the column's own (aux false)
 * or its second value (aux true: the normalized code or the day number). */
struct cell {
    enum db_type type;          /* DB_NULL, DB_INTEGER, DB_FLOAT, DB_TEXT */
    const char  *text;          /* DB_TEXT: the row's buffer */
    ptrdiff_t    len;           /* -1: NUL-terminated */
    int64_t      integer;
    double       number;
};

static struct cell value_cell(const struct feed_column *col,
                              const struct feed_value *v, bool aux)
{
    struct cell c = {.type = DB_NULL, .len = -1};
    if (aux && col->type == FT_CODE)
        c = (struct cell){DB_TEXT, v->norm, (ptrdiff_t)v->norm_len, 0, 0};
    else if (aux && !v->blank)
        c = (struct cell){DB_INTEGER, NULL, 0, v->when.day_number, 0};
    else if (aux)
        return c;
    else if (col->type == FT_ID || col->type == FT_TEXT ||
             col->type == FT_CODE)
        c = (struct cell){DB_TEXT, v->text, (ptrdiff_t)v->len, 0, 0};
    else if ((col->type == FT_DATE || col->type == FT_DATETIME) && !v->blank)
        c = (struct cell){DB_TEXT, v->iso, -1, 0, 0};
    else if (col->type == FT_FLAG)
        c = (struct cell){DB_INTEGER, NULL, 0, v->flag, 0};
    else if (col->type == FT_STATUS)
        c = (struct cell){DB_TEXT, v->flag ? "CANCELLED" : "OPEN", -1, 0, 0};
    else if (col->type == FT_HOURS && !v->blank)
        c = (struct cell){DB_FLOAT, NULL, 0, 0, v->number};
    return c;
}

/* The loader's hot path: by index (looked up once per file), text static
 * (the row's buffers outlive the step). */
static void bind_cell(struct db_stmt *st, int idx, struct cell c)
{
    if (idx <= 0)
        return;
    if (c.type == DB_TEXT)
        db_bind_text_static(st, idx, c.text, c.len);
    else if (c.type == DB_INTEGER)
        db_bind_int64(st, idx, c.integer);
    else if (c.type == DB_FLOAT)
        db_bind_double(st, idx, c.number);
    else
        db_bind_null(st, idx);
}

static void bind_value(struct db_stmt *st, int idx, int aux,
                       const struct feed_column *col,
                       const struct feed_value *v)
{
    bind_cell(st, idx, value_cell(col, v, false));
    if (aux > 0)
        bind_cell(st, aux, value_cell(col, v, true));
}

/* The same values into the file's COPY (PostgreSQL). */
static void stage_cell(struct db_bulk *b, struct cell c)
{
    if (c.type == DB_TEXT)
        db_bulk_text(b, c.text, c.len < 0 ? strlen(c.text) : (size_t)c.len);
    else if (c.type == DB_INTEGER)
        db_bulk_int64(b, c.integer);
    else if (c.type == DB_FLOAT)
        db_bulk_double(b, c.number);
    else
        db_bulk_null(b);
}

/* Each kind's SQL: the SQLite path's insert and key lookup, and the
 * PostgreSQL path's statements from the staged rows. */
static const struct kind_sql {
    const char *insert, *earlier, *from_stage;
} kind_sql[] = {
    [FEED_REGISTRATIONS] = {sql_q_insert_registration,
                            sql_q_earlier_registration,
                            sql_pg_load_registrations},
    [FEED_DISPATCHES]    = {sql_q_insert_dispatch, sql_q_earlier_dispatch,
                            sql_pg_load_dispatches},
    [FEED_CLOSEOUTS]     = {sql_q_insert_closeout, sql_q_earlier_closeout,
                            sql_pg_load_closeouts},
};

/* PostgreSQL: rows are not inserted one by one (a round trip each) but
 * COPied, with every record's line and raw bytes, into a TEMP staging
 * table (schemas/queries/load/pg/pg_load_stage.sql); stage_done() then
 * makes of them, set-based, the rows and rejected rows the SQLite path
 * writes -- the first line of each key loaded, later ones rejected naming
 * it. The server does the grouping, so the client holds no set of keys:
 * memory stays flat. Opens the COPY: nothing else runs on the connection
 * until stage_done() or finalize(). */
static int prepare_stage(struct loader *L, enum feed_kind kind,
                         struct diag *d)
{
    size_t n;
    const struct feed_column *cols = feed_columns(kind, &n);
    char names[512] = "line, reason, raw";
    size_t used = strlen(names);
    L->n_staged = 0;
    for (size_t c = 0; c < n; c++) {
        used += (size_t)snprintf(names + used, sizeof names - used, ", %s",
                                 cols[c].name);
        L->n_staged++;
        if (cols[c].aux) {                        /* ":serial_norm" */
            used += (size_t)snprintf(names + used, sizeof names - used,
                                     ", %s", cols[c].aux + 1);
            L->n_staged++;
        }
    }
    if (db_exec(L->db, sql_pg_load_stage, d, "creating the staging table"))
        return -1;
    return db_bulk_begin(L->db, "load_stage", names, &L->bulk, d);
}

static int prepare(struct loader *L, enum feed_kind kind, struct diag *d)
{
    if (db_has_bulk(L->db))
        return prepare_stage(L, kind, d);
    if (db_prepare(L->db, kind_sql[kind].insert, &L->insert, d,
                   "preparing insert") ||
        db_prepare(L->db, kind_sql[kind].earlier, &L->earlier, d,
                   "preparing key lookup") ||
        db_prepare(L->db,
                   "INSERT INTO rejected_row (file_id, line, reason, raw, "
                   "dispatch_id) VALUES (:file_id, :line, :reason, :raw, "
                   ":dispatch_id)",
                   &L->reject, d, "preparing rejected-row insert"))
        return -1;
    size_t n;
    const struct feed_column *cols = feed_columns(kind, &n);
    L->p_file_id = db_param(L->insert, ":file_id");
    L->p_line = db_param(L->insert, ":line");
    L->e_file_id = db_param(L->earlier, ":file_id");
    L->r_file_id = db_param(L->reject, ":file_id");
    L->r_line = db_param(L->reject, ":line");
    L->r_reason = db_param(L->reject, ":reason");
    L->r_raw = db_param(L->reject, ":raw");
    L->r_dispatch = db_param(L->reject, ":dispatch_id");
    for (size_t c = 0; c < n; c++) {
        char name[64];
        snprintf(name, sizeof name, ":%s", cols[c].name);
        L->p_col[c] = db_param(L->insert, name);
        L->e_col[c] = db_param(L->earlier, name);
        L->p_aux[c] = cols[c].aux ? db_param(L->insert, cols[c].aux) : 0;
        L->e_aux[c] = cols[c].aux ? db_param(L->earlier, cols[c].aux) : 0;
    }
    return 0;
}

/* One record into the COPY: its line, why it was rejected (NULL: it
 * passed the checks), its raw bytes, then the row's values, or as many
 * NULLs for a rejected record. */
static int stage_record(struct loader *L, const struct feed_header *h,
                        const struct csvin_record *rec, const char *why,
                        struct diag *d)
{
    enum feed_kind kind = h->kind;
    struct db_bulk *b = L->bulk;
    db_bulk_int64(b, (int64_t)rec->line);
    if (why)
        db_bulk_text(b, why, strlen(why));
    else
        db_bulk_null(b);
    db_bulk_blob(b, rec->raw, rec->raw_len);
    size_t n;
    const struct feed_column *cols = feed_columns(kind, &n);
    /* A rejected record: only its dispatch id as written (the column
     * rejected_row.dispatch_id is made of, pg_load_rejected.sql). */
    const char *id;
    size_t id_len;
    if (why)
        feed_dispatch_id_of(h, rec, &id, &id_len);
    for (size_t c = 0; why && c < n; c++) {
        if (strcmp(cols[c].name, "dispatch_id") == 0 && id_len > 0)
            db_bulk_text(b, id, id_len);
        else
            db_bulk_null(b);
        if (cols[c].aux)
            db_bulk_null(b);
    }
    for (size_t c = 0; !why && c < n; c++) {
        stage_cell(b, value_cell(&cols[c], &L->row->v[c], false));
        if (cols[c].aux)
            stage_cell(b, value_cell(&cols[c], &L->row->v[c], true));
    }
    return db_bulk_row(b, d);
}

/* Ends the COPY and makes the staged rows the file's rows and rejected
 * rows (schemas/queries/load/pg/); the control totals are then what was
 * stored, as on SQLite. */
static int stage_done(struct loader *L, enum feed_kind kind, struct diag *d)
{
    struct db_stmt *st = NULL;
    struct db_bulk *b = L->bulk;
    const char *what = "loading the staged rows";
    int64_t id = L->r->file_id;
    L->bulk = NULL;
    if (db_bulk_end(b, d) != 0)
        return -1;
    char point[32];
    snprintf(point, sizeof point, "staged %s", feed_kind_name(kind));
    test_pause(point, 10);    /* t0230, t0210: the file half done */
    if (db_exec_bound(L->db, kind_sql[kind].from_stage, ":file_id", id, d,
                      what) != 0 ||
        db_exec_bound(L->db, sql_pg_load_rejected, ":file_id", id, d,
                      what) != 0 ||
        db_prepare(L->db, sql_pg_load_counts, &st, d, what) != 0)
        return -1;
    int rc = db_step(st, d, what);
    if (rc == DB_ROW) {
        L->r->rows_loaded = (unsigned long)db_column_int64(st, 0);
        L->r->rows_rejected = (unsigned long)db_column_int64(st, 1);
    }
    db_finalize(st);
    if (rc != DB_ROW)
        return -1;
    if (L->r->rows_loaded + L->r->rows_rejected != L->r->rows_read)
        return diag_set(d, EX_SOFTWARE, L->r->path, 0, "%lu rows read, but "
                        "%lu staged", L->r->rows_read,
                        L->r->rows_loaded + L->r->rows_rejected);
    return 0;
}

static void finalize(struct loader *L)
{
    db_finalize(L->insert);
    db_finalize(L->earlier);
    db_finalize(L->reject);
    db_bulk_abandon(L->bulk);           /* a COPY left open: given up */
    L->insert = L->earlier = L->reject = NULL;
    L->bulk = NULL;
}

/* "svcrecon: FILE: what" on stderr, unless the caller says it itself. */
static void say(const struct load_opts *o, const char *path, const char *what)
{
    if (o->silent)
        return;
    if (o->before_say)
        o->before_say();
    char buf[UTF8_PATH_SHOWN], shown[UTF8_PATH_SHOWN];
    /* what may quote a file name from the database (tests/e2e/t9900) */
    fprintf(stderr, "svcrecon: %s: %s\n",
            utf8_show_path(path, buf, sizeof buf),
            utf8_show_path(what, shown, sizeof shown));
}

static int store_rejection(struct loader *L, const struct feed_header *h,
                           const struct csvin_record *rec, const char *why,
                           struct diag *d)
{
    struct db_stmt *st = L->reject;
    const char *id;
    size_t id_len;
    feed_dispatch_id_of(h, rec, &id, &id_len);
    db_bind_text(st, L->r_dispatch, id, (ptrdiff_t)id_len);
    db_bind_int64(st, L->r_file_id, L->r->file_id);
    db_bind_int64(st, L->r_line, (int64_t)rec->line);
    db_bind_text_static(st, L->r_reason, why, -1);
    db_bind_blob(st, L->r_raw, rec->raw, rec->raw_len);
    int rc = db_step(st, d, "storing a rejected row");
    db_reset(st);
    return rc == DB_DONE ? 0 : -1;
}

/* A rejected record: stored now (SQLite), or staged with its reason
 * (PostgreSQL: stored by stage_done(), which counts again). */
static int reject_row(struct loader *L, const struct feed_header *h,
                      const struct csvin_record *rec, const char *why,
                      struct diag *d)
{
    if (L->bulk ? stage_record(L, h, rec, why, d) != 0
                : store_rejection(L, h, rec, why, d) != 0)
        return -1;
    L->r->rows_rejected++;
    switch (sniff_8bit(rec->raw, rec->raw_len)) {
    case SNIFF_CP_MAC_ROMAN:
        L->n_mac++;
        break;
    case SNIFF_CP_1252:
        L->n_cp1252++;
        break;
    case SNIFF_CP_NONE:
        break;
    }
    return 0;
}

/* The row's key is already in this file: find the earlier line. */
static int earlier_line(struct loader *L, enum feed_kind kind,
                        unsigned long at, long long *line, struct diag *d)
{
    size_t n;
    const struct feed_column *cols = feed_columns(kind, &n);
    struct db_stmt *st = L->earlier;
    db_bind_int64(st, L->e_file_id, L->r->file_id);
    for (size_t c = 0; c < n; c++)
        bind_value(st, L->e_col[c], L->e_aux[c], &cols[c], &L->row->v[c]);
    int rc = db_step(st, d, "looking up the earlier line of a key");
    *line = rc == DB_ROW ? db_column_int64(st, 0) : 0;
    db_reset(st);
    if (rc == DB_ROW)
        return 0;
    if (rc != DB_DONE)
        return -1;
    /* A unique key that conflicts, yet no earlier row of this file holds
     * it: an index the loader does not know of. Never "repeats line 0". */
    return diag_set(d, EX_SOFTWARE, L->r->path, at, "a unique key "
                    "conflicts, but no earlier line of this file has it");
}

static const char *key_words(enum feed_kind kind)
{
    switch (kind) {
    case FEED_REGISTRATIONS:
        return "registration key (dealer_id, serial_number, registered_on)";
    case FEED_DISPATCHES:
        return "dispatch_id";
    case FEED_CLOSEOUTS:
        return "closeout key (dealer_id, dispatch_id, submitted_at)";
    }
    return "key";
}

/* The feed fields that go into an index (lib/db.h DB_PG_MAX_KEY_BYTES
 * lists the indexes): the keys, the serial (serial_norm) and a
 * registration's model (model_norm, in cur_registration_serial). */
static const int key_cols_reg[] = {REG_DEALER_ID, REG_SERIAL, REG_MODEL};
static const int key_cols_dsp[] = {DSP_ID, DSP_SERIAL};
static const int key_cols_clo[] = {CLO_DEALER, CLO_DISPATCH};

/* A row that passed the checks of SPEC §2 but holds an indexed field
 * longer than the back end's indexes hold (PostgreSQL: lib/db.h): -1 with
 * why, and the row is rejected, the night going on (README "PostgreSQL":
 * a 3,000-byte dispatch_id made every night fail with 70 at the COPY's
 * insert, qa65). 0 on SQLite (no limit) or when every such field fits. */
static int check_key_bytes(const struct loader *L, enum feed_kind kind,
                           char *why, size_t why_size)
{
    size_t max = db_max_key_bytes(db_kind(L->db)), n_cols, n;
    if (max == 0)
        return 0;
    const struct feed_column *cols = feed_columns(kind, &n_cols);
    const int *keys = kind == FEED_REGISTRATIONS ? key_cols_reg
                      : kind == FEED_DISPATCHES  ? key_cols_dsp
                                                 : key_cols_clo;
    n = kind == FEED_REGISTRATIONS ? 3 : 2;
    for (size_t i = 0; i < n; i++) {
        const struct feed_value *v = &L->row->v[keys[i]];
        if (v->len <= max)
            continue;
        char len_s[32], max_s[32];
        snprintf(why, why_size, "%s is %s bytes, longer than PostgreSQL's "
                 "indexes hold (%s bytes a key field); correct the export "
                 "(a SQLite database loads it)", cols[keys[i]].name,
                 diag_thousands(v->len, len_s, sizeof len_s),
                 diag_thousands(max, max_s, sizeof max_s));
        return -1;
    }
    return 0;
}

static int load_record(struct loader *L, enum feed_kind kind,
                       const struct feed_header *h,
                       const struct csvin_record *rec, struct diag *d)
{
    char why[512];
    L->r->rows_read++;
    if (feed_check(h, rec, L->row, why, sizeof why) != 0 ||
        check_key_bytes(L, kind, why, sizeof why) != 0)
        return reject_row(L, h, rec, why, d);
    if (L->bulk)
        return stage_record(L, h, rec, NULL, d);

    size_t n;
    const struct feed_column *cols = feed_columns(kind, &n);
    struct db_stmt *st = L->insert;
    db_bind_int64(st, L->p_file_id, L->r->file_id);
    db_bind_int64(st, L->p_line, (int64_t)rec->line);
    for (size_t c = 0; c < n; c++)
        bind_value(st, L->p_col[c], L->p_aux[c], &cols[c], &L->row->v[c]);
    int rc = db_step(st, d, "inserting a row");
    db_reset(st);
    if (rc == DB_DONE) {
        L->r->rows_loaded++;
        return 0;
    }
    /* Only a UNIQUE index is a repeated key; any other constraint (a
     * CHECK, NOT NULL, a trigger) is database trouble, not a bad row. */
    if (rc != DB_UNIQUE)
        return -1;
    /* The key indexes end with file_id, so a conflict is a repeat of a key
     * inside this very file (SPEC §2: reason names the earlier line). */
    long long line;
    if (earlier_line(L, kind, rec->line, &line, d) != 0)
        return -1;
    snprintf(why, sizeof why, "%s repeats line %lld of this file",
             key_words(kind), line);
    return reject_row(L, h, rec, why, d);
}

/* The columns an imported_file row always has (:name, :path, :kind,
 * :size, :now). */
static void set_file_row(struct db_stmt *st, const struct load_result *r,
                         const char *now)
{
    set_stored_text(st, ":name", base_name(r->path));
    set_stored_text(st, ":path", r->path);
    db_set_text(st, ":kind", feed_kind_name(r->kind), -1);
    db_set_int64(st, ":size", (int64_t)r->bytes);
    db_set_text(st, ":now", now, -1);
}

/* Steps an INSERT ... RETURNING of one key into *id; finalizes st. */
static int step_returning(struct db_stmt *st, long long *id, struct diag *d,
                          const char *what)
{
    int rc = db_step(st, d, what);
    if (rc == DB_ROW) {
        *id = db_column_int64(st, 0);
        rc = db_step(st, d, what);
    }
    db_finalize(st);
    return rc == DB_DONE ? 0 : -1;
}

/* Records a refusal (nothing of the file is loaded): a row of its own,
 * once per (bytes, kind), and its delivery. */
static int record_refusal(struct db *db, struct load_result *r,
                          const struct load_opts *opts, struct diag *d)
{
    struct db_stmt *st = NULL;
    char now[21];
    utc_now(now);
    if (db_begin_write(db, d, "recording a refused file") != 0)
        return -1;
    if (db_prepare(db,
                   "SELECT file_id FROM imported_file WHERE status = "
                   "'refused' AND sha256 = :sha AND kind = :kind",
                   &st, d, "recording a refused file") != 0)
        goto fail;
    db_set_text(st, ":sha", r->sha256, -1);
    db_set_text(st, ":kind", feed_kind_name(r->kind), -1);
    if (db_step(st, NULL, NULL) == DB_ROW) {
        r->file_id = db_column_int64(st, 0);
        db_finalize(st);
        st = NULL;
        goto commit;
    }
    db_finalize(st);
    st = NULL;
    if (db_prepare(db,
                   "INSERT INTO imported_file (name, path, kind, sha256, "
                   "size_bytes, status, reason, imported_at) VALUES "
                   "(:name, :path, :kind, :sha, :size, 'refused', :reason, "
                   ":now) RETURNING file_id", &st, d,
                   "recording a refused file") != 0)
        goto fail;
    set_file_row(st, r, now);
    if (r->sha256[0])
        db_set_text(st, ":sha", r->sha256, -1);
    set_stored_text(st, ":reason", r->reason);
    /* step_returning() finalizes st: finalized again at fail, a failed
     * delivery record or COMMIT after it crashed (SIGSEGV; qa79) */
    int stepped = step_returning(st, &r->file_id, d,
                                 "recording a refused file");
    st = NULL;
    if (stepped != 0)
        goto fail;
commit:
    /* The night's record of it (a refusal already delivered in the open
     * night is not written twice), in the same transaction. */
    if (record_delivery(db, r, opts, d) != 0 ||
        db_commit(db, d, "recording a refused file") != 0)
        goto fail;
    return 0;
fail:
    db_finalize(st);
    db_rollback(db);
    return -1;
}

static int start_file(struct db *db, struct load_result *r, struct diag *d)
{
    struct db_stmt *st;
    char now[21];
    utc_now(now);
    if (db_prepare(db,
                   "INSERT INTO imported_file (name, path, kind, sha256, "
                   "size_bytes, status, imported_at) VALUES (:name, :path, "
                   ":kind, :sha, :size, 'loaded', :now) RETURNING file_id",
                   &st, d, "recording the file") != 0)
        return -1;
    set_file_row(st, r, now);
    db_set_text(st, ":sha", r->sha256, -1);
    return step_returning(st, &r->file_id, d, "recording the file");
}

/* A warning about the file, for the audit workbook; "" records nothing. */
static int record_warning(struct db *db, const struct load_result *r,
                          const char *warn, struct diag *d)
{
    struct db_stmt *st;
    if (!warn[0])
        return 0;
    if (db_prepare(db, "INSERT INTO file_warning (file_id, message) VALUES "
                   "(:id, :message)", &st, d, "recording a warning") != 0)
        return -1;
    db_set_int64(st, ":id", r->file_id);
    set_stored_text(st, ":message", warn);
    int rc = db_step(st, d, "recording a warning");
    db_finalize(st);
    return rc == DB_DONE ? 0 : -1;
}

/* A DOS end-of-file mark, one Ctrl-Z (0x1A) as the file's last byte (not
 * after another: a run of them is data), as old DOS and Windows tools
 * still write: the bytes before it, which are all that is parsed (README
 * "Decisions", Import: it is no row, and no byte of a field); else
 * (unsigned long long)-1. The hash covers it all the same. */
static unsigned long long before_dos_eof(FILE *fp)
{
    unsigned char tail[2];
    unsigned long long none = (unsigned long long)-1;
    if (fseeko(fp, 0, SEEK_END) != 0)
        return none;
    off_t size = ftello(fp);
    if (size < 1 || fseeko(fp, size >= 2 ? size - 2 : 0, SEEK_SET) != 0)
        return none;
    size_t got = fread(tail, 1, size >= 2 ? 2 : 1, fp);
    if (got == 0 || tail[got - 1] != 0x1A || (got == 2 && tail[0] == 0x1A))
        return none;
    return (unsigned long long)size - 1;
}

/* SPEC §6: a workbook, a compressed file, UTF-16/32 text, an HTML page,
 * NUL bytes or binary data is refused by name before any of it is parsed
 * as CSV (why filled, true). The file's first SNIFF_HEAD bytes are left in
 * head (*n of them, a DOS end-of-file mark left out): a header libcsv
 * cannot read, or a title line above the header, is sniffed from them
 * too. *end: the bytes to parse (before_dos_eof). The file is rewound. */
static bool sniff_file(FILE *fp, unsigned char *head, size_t *n,
                       unsigned long long *end, char *why, size_t size)
{
    *n = fread(head, 1, SNIFF_HEAD, fp);
    *end = before_dos_eof(fp);
    if (*end < *n)
        *n = (size_t)*end;
    bool found = sniff_head(head, *n, why, size);
    rewind(fp);
    return found;
}

static int finish_file(struct db *db, struct load_result *r, const char *warn,
                       struct diag *d)
{
    struct db_stmt *st;
    if (db_prepare(db,
                   "UPDATE imported_file SET rows_read = :read, rows_loaded "
                   "= :loaded, rows_rejected = :rejected WHERE file_id = :id",
                   &st, d, "recording control totals") != 0)
        return -1;
    db_set_int64(st, ":read", (int64_t)r->rows_read);
    db_set_int64(st, ":loaded", (int64_t)r->rows_loaded);
    db_set_int64(st, ":rejected", (int64_t)r->rows_rejected);
    db_set_int64(st, ":id", r->file_id);
    int rc = db_step(st, d, "recording control totals");
    db_finalize(st);
    if (rc != DB_DONE)
        return -1;
    if (record_warning(db, r, warn, d) != 0)
        return -1;
    return record_warning(db, r, r->diagnosis, d);  /* SPEC §6 */
}

/* Late files (README "Late files"): a file whose name sorts before files
 * of its kind loaded earlier -- say dispatches_part1.csv, unreadable on
 * the first run, imported on the rerun after part2..part4 -- is, as the
 * later import, the current version of its keys (SPEC §2), which may turn
 * back what the later-named files changed. That is kept (a correction
 * imported on purpose must win), but never silently: the warning names
 * the file and counts the keys whose current version it replaced; it goes
 * to stderr, the file's warnings (audit workbook, Run sheet) and the
 * summary JSON. Appends to warn (size bytes). */
static int late_file(struct loader *L, struct load_result *r, char *warn,
                     size_t size, struct diag *d)
{
    struct db *db = L->db;
    struct db_stmt *st;
    if (db_prepare(db, sql_q_late_file, &st, d, "checking for a late "
                   "file") != 0)
        return -1;
    db_set_int64(st, ":file_id", r->file_id);
    int rc = db_step(st, d, "checking for a late file");
    if (rc == DB_ROW && db_column_int64(st, 0) > 0) {
        long long n_files = db_column_int64(st, 0);
        long long n_keys = db_column_int64(st, 2);
        char *late = r->late;
        snprintf(late, sizeof r->late, "late file: its name sorts before "
                 "'%s'%s, imported earlier; as the later import it replaced "
                 "the current version of %lld key%s from %s (SPEC §2: the "
                 "later import wins; import files in name order)",
                 db_column_text(st, 1),
                 n_files > 1 ? " and other files of its kind" : "", n_keys, n_keys == 1 ? "" : "s",
                 n_files > 1 ? "them" : "it");
        say(L->opts, r->path, late);
        size_t used = strlen(warn);
        snprintf(warn + used, size - used, "%s%s", used ? "; " : "", late);
    }
    db_finalize(st);
    return rc == DB_ROW ? 0 : -1;
}

/* What the inbox held besides the feed files; its name and path are
 * stored as set_stored_text() keeps any text of a file's. */
int load_note_inbox(struct db *db, int32_t night_as_of_day, const char *what,
                    const char *name, const char *path, struct diag *d)
{
    struct db_stmt *st;
    char now[21];
    utc_now(now);
    if (db_prepare(db, sql_q_inbox_note_put, &st, d, "recording what the "
                   "inbox held besides the feed files") != 0)
        return -1;
    db_set_int64(st, ":night_as_of_day", night_as_of_day);
    db_set_text(st, ":what", what, -1);
    set_stored_text(st, ":name", name);
    set_stored_text(st, ":path", path);
    db_set_text(st, ":now", now, -1);
    int rc = db_step(st, d, "recording what the inbox held besides the "
                     "feed files");
    db_finalize(st);
    return rc == DB_DONE ? 0 : -1;
}

/* Already loaded: the same bytes, whatever the name. Sets *seen; and
 * *other_kind (why then says it all) when they were loaded as another
 * kind: a registrations export delivered as dispatches*.csv is not a
 * re-import of the night's dispatches, it is a file of the wrong kind,
 * refused (65) as the same bytes are on a database that never saw them
 * (QA pass 51: it was "skipped", exit 0, and the night's dispatches never
 * came). Refused here, unread: loading them as a second kind would break
 * the rule that the same bytes are loaded once (imported_file_sha). */
static int seen_before(struct db *db, struct load_result *r, bool *seen,
                       bool *other_kind, char *why, size_t why_size,
                       struct diag *d)
{
    struct db_stmt *st;
    *seen = false;
    *other_kind = false;
    if (db_prepare(db, "SELECT file_id, name, imported_at, kind "
                   "FROM imported_file "
                   "WHERE sha256 = :sha AND status = 'loaded'", &st, d,
                   "looking up the file's hash") != 0)
        return -1;
    db_set_text(st, ":sha", r->sha256, -1);
    int rc = db_step(st, d, "looking up the file's hash");
    if (rc == DB_ROW) {
        const char *kind = db_column_text(st, 3);
        *other_kind = !kind || strcmp(kind, feed_kind_name(r->kind)) != 0;
        if (!*other_kind)
            r->file_id = db_column_int64(st, 0);
        *seen = !*other_kind;
        /* qa32: a skip says which file had these bytes and when, in the
         * audit's words (q_night_files.sql): the summary's `files` said
         * null where reports.audit.files named it. */
        const char *name = db_column_text(st, 1);
        const char *at = db_column_text(st, 2);
        char when[40];
        snprintf(when, sizeof when, "%s", at ? at : "");
        for (char *c = when; *c; c++)
            if (*c == 'T')
                *c = ' ';
        size_t n = strlen(when);
        if (n && when[n - 1] == 'Z')
            snprintf(when + n - 1, sizeof when - (n - 1), " UTC");
        if (*other_kind)
            /* No clock time: the reason is kept and shown in the audit,
             * whose bytes depend on the data only. */
            snprintf(why, why_size, "same bytes as %s, loaded as a %s feed: "
                     "not a %s feed; file refused: deliver the %s export "
                     "under this name (the rows of this one are in, as %s)",
                     name ? name : "", kind ? kind : "",
                     feed_kind_name(r->kind), feed_kind_name(r->kind),
                     kind ? kind : "");
        else
            snprintf(why, why_size, "same bytes as %s, imported %s",
                     name ? name : "", when);
    }
    db_finalize(st);
    return rc < 0 ? -1 : 0;
}

/* Issue 15, a first night at scale: a file bigger than every file of its
 * kind loaded before drops the secondary indexes that take its rows in
 * random order (schemas/queries/load/q_rebuilt_indexes.sql names them and
 * reads their definitions back from the catalog); build_indexes() creates
 * them again before the upkeep. All of it in the file's transaction: a
 * kill or a refusal takes the DROP back with the rows. SQLite only: on
 * PostgreSQL a DROP INDEX holds the table's ACCESS EXCLUSIVE lock until
 * the commit, so every reader (a report, explain) would wait for the whole
 * file where it now reads the last committed night; and the server's
 * cache is not bound by our memory budget (bench/README.md). */
static int drop_indexes(struct loader *L, enum feed_kind kind,
                        struct diag *d)
{
    const char *what = "dropping the indexes built after the rows";
    struct db_stmt *st = NULL;
    int rc;
    L->n_rebuilt = 0;
    if (db_has_bulk(L->db))
        return 0;
    if (db_prepare(L->db, sql_q_rebuilt_indexes, &st, d, what) != 0)
        return -1;
    db_set_text(st, ":kind", feed_kind_name(kind), -1);
    db_set_int64(st, ":bytes", (int64_t)L->r->bytes);
    while ((rc = db_step(st, d, what)) == DB_ROW &&
           L->n_rebuilt < (int)(sizeof L->rebuilt / sizeof L->rebuilt[0])) {
        struct rebuilt *x = &L->rebuilt[L->n_rebuilt];
        const char *sql = db_column_text(st, 1);
        if (!sql)                       /* an automatic index: none named */
            continue;
        snprintf(x->name, sizeof x->name, "%s", db_column_text(st, 0));
        if (!(x->sql = strdup(sql))) {
            db_finalize(st);
            return diag_set(d, EX_SOFTWARE, L->r->path, 0, "out of memory");
        }
        L->n_rebuilt++;
    }
    db_finalize(st);
    if (rc < 0)
        return -1;
    for (int i = 0; i < L->n_rebuilt; i++) {
        char sql[96];
        snprintf(sql, sizeof sql, "DROP INDEX \"%s\"", L->rebuilt[i].name);
        if (db_exec(L->db, sql, d, what) != 0)
            return -1;
    }
    return 0;
}

/* The indexes drop_indexes() dropped, created again (a sort each), with
 * the small page cache of db_building_indexes (the sort's memory). */
static int build_indexes(struct loader *L, struct diag *d)
{
    if (L->n_rebuilt == 0)
        return 0;
    int rc = db_building_indexes(L->db, true, d);
    for (int i = 0; rc == 0 && i < L->n_rebuilt; i++)
        rc = db_exec(L->db, L->rebuilt[i].sql, d,
                     "building the indexes again after the rows");
    struct diag ignored = {0};          /* the first failure is the one said */
    if (db_building_indexes(L->db, false, rc ? &ignored : d) != 0)
        rc = -1;
    return rc;
}

static void forget_indexes(struct loader *L)
{
    for (int i = 0; i < L->n_rebuilt; i++)
        free(L->rebuilt[i].sql);
    L->n_rebuilt = 0;
}

/* Issue 15: the rule state (schemas/tables/004_rule_state.sql) brought up
 * to date for the keys this file touched, in the file's own transaction:
 * the file's rows become the current versions of their keys, then
 * schemas/upkeep/upkeep.sql computes SPEC §3 again for what they touch.
 * Set-based SQL; nothing of a rule is decided here. The indexes the file
 * dropped are built between the two: the upkeep probes them. */
static int keep_rules(struct loader *L, enum feed_kind kind, struct diag *d)
{
    struct db *db = L->db;
    const char *touch = kind == FEED_REGISTRATIONS ? sql_touch_registrations
                      : kind == FEED_DISPATCHES    ? sql_touch_dispatches
                                                   : sql_touch_closeouts;
    const char *what = "keeping the rule state";
    /* rules_seconds: the upkeep's own time, for schedulers and make bench
     * (issue 15: a night's upkeep against a full run's); the indexes'
     * build is the rows' cost, deferred, and is left out. */
    struct timespec t0, t1;
    clock_start(&t0);
    if (db_exec(db, sql_u000_touched, d, what) != 0 ||
        db_exec_bound(db, touch, ":file_id", L->r->file_id, d, what) != 0)
        return -1;
    double touching = clock_seconds_since(&t0);
    if (build_indexes(L, d) != 0)
        return -1;
    /* Test hook (tests/e2e/t2200): die by SIGKILL halfway through the
     * upkeep, the state half written, to show the file's transaction
     * takes it all back. */
    const char *kill_at = getenv("SVCRECON_TEST_KILL");
    if (kill_at && strcmp(kill_at, "upkeep") == 0)
        raise(SIGKILL);
    clock_start(&t1);
    int rc = db_exec(db, sql_upkeep, d, what);
    L->r->rules_seconds = touching + clock_seconds_since(&t1);
    return rc;
}

/* The file is refused (SPEC §2): why, for r->reason; *refused is set. */
static void refuse(struct load_result *r, bool *refused, const char *why,
                   unsigned long line)
{
    if (line)
        snprintf(r->reason, sizeof r->reason, "line %lu: %s", line, why);
    else
        snprintf(r->reason, sizeof r->reason, "%s", why);
    *refused = true;
}

/* Pass 2, inside the transaction, past the header: every record, then the
 * second hash. */
static int stream_records(struct loader *L, struct csvin *in,
                          struct evp_md_ctx_st *md, enum feed_kind kind,
                          const struct feed_header *h, bool *refused,
                          struct diag *d)
{
    struct load_result *r = L->r;
    const struct csvin_record *rec;
    struct diag cd = {0};
    int got;
    while ((got = csvin_next(in, &rec, &cd)) == 1) {
        if (load_record(L, kind, h, rec, d) != 0)
            return -1;
        if ((r->rows_read & 0x3fff) == 0 && L->opts->progress)
            L->opts->progress(L->opts->progress_ctx, r, csvin_bytes(in));
        if ((r->rows_read & 0x3fff) == 0 && L->bulk)
            test_pause("copy", 10);   /* t0230: inside the COPY */
    }
    if (got < 0 && cd.exit_code == EX_SOFTWARE) {
        *d = cd;        /* memory ran out: 70, never the file's fault */
        return -1;
    }
    if (got < 0) {
        refuse(r, refused, cd.reason, cd.line);
        return 0;
    }
    char again[65];
    sha256_end(md, again);
    if (strcmp(again, r->sha256) != 0)
        refuse(r, refused, "file changed while being read; file refused: "
               "is it still being written? deliver a file whole (write it "
               "under another name, then rename it into place); the next "
               "run reads it again", 0);
    return L->bulk && !*refused ? stage_done(L, kind, d) : 0;
}

/* Pass 2, inside the transaction. Sets *refused (r->reason says why) when
 * the file is refused; -1 on database trouble (d set). */
static int stream_file(struct loader *L, FILE *fp, enum feed_kind kind,
                       bool *refused, struct diag *d)
{
    struct load_result *r = L->r;
    struct diag cd = {0};
    struct evp_md_ctx_st *md = sha256_begin();
    struct csvin *in = NULL;
    const struct csvin_record *rec;
    struct feed_header h;
    char warn[1024] = "", unknown[900], why[512];
    int rc = -1, got;

    *refused = false;
    unsigned char head[SNIFF_HEAD];
    size_t n_head;
    unsigned long long end;
    if (sniff_file(fp, head, &n_head, &end, why, sizeof why)) {
        refuse(r, refused, why, 0);
        rc = 0;
        goto out;
    }
    if (!md ||
        !(in = csvin_new(fp, r->path, L->opts->chunk, hash_hook, md))) {
        diag_set(d, EX_SOFTWARE, r->path, 0, "out of memory reading the "
                 "file: %s", DIAG_OOM_TO_DO);
        goto out;
    }
    csvin_end(in, end);
    rc = 0;
    got = csvin_next(in, &rec, &cd);
    if (got < 0 && cd.exit_code == EX_SOFTWARE) {
        /* Memory ran out reading the header (csvin.c csv_failed): 70, the
         * file not refused for it (fix70 saw "refused: out of memory",
         * 65, and a header "over the cap" with no quote open). */
        *d = cd;
        rc = -1;
        goto out;
    }
    if (got < 0) {
        /* A header whose every name is quoted, between ';' or TABs
         * (LibreOffice's "Text CSV" with "quote all text cells", many ERP
         * exports) fails as malformed quoting before its names are read:
         * "quote the whole field" was the wrong advice, and SPEC §6 wants
         * the format named (QA pass 41). Its first line, as sniffed. */
        size_t n_line = 0;
        while (n_line < n_head && head[n_line] != '\n' &&
               head[n_line] != '\r')
            n_line++;
        char fmt[640];
        /* A title line with a quote in it ("Dispatches" report) above
         * the header: the header named (sniff_title). */
        if (sniff_separator(kind, (const char *)head, n_line, fmt,
                            sizeof fmt) ||
            sniff_title(kind, head, n_head, fmt, sizeof fmt))
            refuse(r, refused, fmt, 0);
        else    /* "line N: ...", as for any other record (qa75) */
            refuse(r, refused, cd.reason, cd.line);
        goto out;
    }
    if (got == 0) {
        refuse(r, refused, "file is empty: no header; file refused: deliver "
               "the feed again with its header line and rows (an export "
               "that failed, or is still being written, can be empty)", 0);
        goto out;
    }
    if (rec->over) {
        /* A header over csvin's caps names no column: most likely a quote
         * never closed on line 1. */
        snprintf(why, sizeof why, "header is %llu bytes, its longest "
                 "field %llu bytes, more than is read (%d bytes a field, %d "
                 "a record); file refused: look for a quote that is not "
                 "closed (the rest of the file then reads as one field), "
                 "then deliver the file again", rec->over_bytes,
                 rec->over_len, CSVIN_MAX_FIELD_BYTES, CSVIN_MAX_RECORD_BYTES);
        refuse(r, refused, why, rec->line);
        goto out;
    }
    if (feed_map_header(kind, rec, &h, why, sizeof why, unknown,
                        sizeof unknown) != 0) {
        /* SPEC §6: "header lacks 'dispatch_id'" is no help when the header
         * holds it between semicolons: name the format instead. */
        char fmt[640];
        bool named = sniff_separator(kind, rec->raw, rec->raw_len, fmt,
                                     sizeof fmt);
        /* A feed of another kind (a closeouts file given --kind
         * dispatches, or named dispatches*.csv in the inbox): "lacks
         * 'dispatched_at' (columns not recognized: 'dealer_id', …)" does
         * not say that, nor what to do. */
        for (int k = FEED_REGISTRATIONS; !named && k <= FEED_CLOSEOUTS;
             k++) {
            struct feed_header other;
            char ignored[512], none[8];
            if ((enum feed_kind)k == kind ||
                feed_map_header((enum feed_kind)k, rec, &other, ignored,
                                sizeof ignored, none, sizeof none) != 0)
                continue;
            const char *name = feed_kind_name((enum feed_kind)k);
            snprintf(fmt, sizeof fmt, "header is that of a %s feed, not "
                     "of %s; file refused: import it with --kind %s, or "
                     "deliver it to the inbox named %s*.csv",
                     name, feed_kind_name(kind), name, name);
            named = true;
        }
        /* A title, a report name or a date above the header, which is
         * whole on a later line: that said, not "lacks 'dispatch_id'". */
        if (!named)
            named = sniff_title(kind, head, n_head, fmt, sizeof fmt);
        refuse(r, refused, named ? fmt : why, 0);
        goto out;
    }
    if (unknown[0]) {
        snprintf(warn, sizeof warn, "unknown columns ignored: %s", unknown);
        say(L->opts, r->path, warn);
    }
    rc = stream_records(L, in, md, kind, &h, refused, d);
    snprintf(r->warning, sizeof r->warning, "%s", warn);
    if (rc == 0 && !*refused)
        rc = late_file(L, r, warn, sizeof warn, d);    /* warn: + late */
    if (rc == 0 && !*refused) {
        /* `run` takes its files from the inbox: the re-exported file is
         * delivered there again, not imported by hand (qa72) */
        sniff_legacy(L->n_cp1252, L->n_mac, r->rows_rejected,
                     L->opts->has_night, r->diagnosis, sizeof r->diagnosis);
        rc = finish_file(L->db, r, warn, d);
    }
out:
    csvin_free(in);
    sha256_free(md);
    return rc;
}

/* `run` does not follow a symbolic link in the inbox (each of its three
 * opens says O_NOFOLLOW, so a file swapped for a link between them is not
 * read through it either). The inbox is where others deliver: a link there
 * would make the night read, and show in the audit workbook's Rejected
 * rows and on stderr (a refused header's columns, a rejected row's raw
 * record), any file svcrecon's user may read -- /etc/shadow named
 * dispatches_x.csv -- which the sender could not. A file named on
 * `import`'s command line is the operator's choice and is followed.
 * README "Decisions", Import. */
static const char link_refused[] = "a symbolic link; `run` reads only "
    "files delivered into the inbox, never through a link (it could name a "
    "file the sender may not read): copy the file in (cp -L), or load it "
    "by name with `svcrecon import`, then run again";

static const char *link_why(const char *why)
{
    return strcmp(why, "a symbolic link") == 0 ? link_refused : why;
}

/* The file cannot be read (66 in the driver): said on stderr, and recorded
 * by load_file as an unreadable delivery; the run goes on. The reason
 * kept (the audit's Run and Rejected rows, the summary) says what to do,
 * as stderr does: an auditor and a scheduler read the same advice as
 * the operator (qa72). `import` of a path that does not exist was typed
 * by a person: check it; any other file (a folder, a FIFO, no permission,
 * an inbox file gone) is to be delivered again, readable. */
static void unreadable(const struct load_opts *o, struct load_result *r,
                       const char *what, const char *why)
{
    const char *advice = why == link_refused ? "" :    /* it says it */
        !o->has_night && strcmp(why, strerror(ENOENT)) == 0 ?
        "; check the path (a relative one is read from the current "
        "folder), then import it again" :
        /* the file's disk failed, not the sender (qa82: a read error was
         * told to deliver a readable file). Such a file is unreadable
         * (66) when its bytes could not be hashed, refused (65) when the
         * error came while it loaded (csvin's "read error"): README */
        strcmp(why, strerror(EIO)) == 0 ?
        "; check the disk the file is on (an input/output error: a "
        "failing disk or a lost network share), then run again" :
        "; deliver it as a readable, regular CSV file";
    snprintf(r->reason, sizeof r->reason, "%s: %s%s", what, why, advice);
    r->status = LOAD_UNREADABLE;
    say(o, r->path, r->reason);
}

/* Whether errno e is the process's or the system's open-file limit
 * (EMFILE, ENFILE): the run's condition, not the file's (qa87). */
static bool fd_limit_errno(int e)
{
    return e == EMFILE || e == ENFILE;
}

/* The open-file limit reached opening a feed: the file is not unreadable
 * (recorded so, the rerun after `ulimit -n` was raised still showed it
 * unreadable in the night's audit): it is not recorded at all, and the
 * command stops there as on database trouble (the files after it not
 * tried), 70 as out of memory is (a limit of the process: a person raises
 * it; README "Decisions", Batch). */
static void fd_limit(struct load_result *r, int e, struct diag *d)
{
    char limit[64] = "ulimit -n";
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        snprintf(limit, sizeof limit, "ulimit -n %llu",
                 (unsigned long long)rl.rlim_cur);
    if (e == ENFILE)
        diag_set(d, EX_SOFTWARE, r->path, 0, "too many open files on this "
                 "machine (the system's limit, fs.file-max): close what "
                 "holds them or raise it, then run again (the files already "
                 "imported are kept)");
    else
        diag_set(d, EX_SOFTWARE, r->path, 0, "too many open files (the "
                 "process's limit, %s): raise it, then run again (the files "
                 "already imported are kept)", limit);
    r->status = LOAD_FAILED;
    snprintf(r->reason, sizeof r->reason, "%s", d->reason);
}

/* Pass 1: a regular file that opens, and its SHA-256. False (r says why)
 * when it cannot be read; r->status LOAD_FAILED (d says why) when the
 * open-file limit was reached. */
static bool hash_file(const struct load_opts *o, struct load_result *r,
                      struct diag *d)
{
    struct stat sb;
    /* A FIFO or a device would block in fopen() or never end, and could
     * not be read twice (hash, then load): only regular files are feeds. */
    int got = o->no_link ? lstat(r->path, &sb) : stat(r->path, &sb);
    if (got == 0 && S_ISLNK(sb.st_mode)) {
        unreadable(o, r, "cannot open", link_refused);
        return false;
    }
    if (got == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
        unreadable(o, r, "cannot open", "not a regular file");
        return false;
    }
    const char *why;
    FILE *fp = sha256_open_regular(r->path, o->no_link, &why);
    if (!fp) {
        if (fd_limit_errno(errno))
            fd_limit(r, errno, d);
        else
            unreadable(o, r, "cannot open", link_why(why));
        return false;
    }
    fclose(fp);
    if (sha256_file(r->path, o->no_link, r->sha256, &r->bytes) != 0) {
        if (fd_limit_errno(errno)) {
            fd_limit(r, errno, d);
            return false;
        }
        unreadable(o, r, "cannot read", errno == EINVAL ?
                   "not a regular file" : o->no_link && errno == ELOOP ?
                   link_refused : strerror(errno));
        return false;
    }
    return true;
}

/* The first rejected rows of a loaded file, then how many more: read back
 * from rejected_row after the commit (issue 16), so that no message names
 * a row of a file refused later on (cut short, changed while read), which
 * is never stored; and the message is the row stored, line and reason. */
static void say_rejections(struct db *db, const struct load_result *r,
                           const struct load_opts *o)
{
    struct db_stmt *st = NULL;
    unsigned long shown = 0;
    char buf[UTF8_PATH_SHOWN];
    const char *path = utf8_show_path(r->path, buf, sizeof buf);
    if (o->max_messages <= 0 || r->rows_rejected == 0)
        return;
    if (o->before_say)
        o->before_say();
    struct diag ignored = {0};
    if (db_prepare(db, sql_q_file_rejections, &st, &ignored, "") == 0) {
        db_set_int64(st, ":file_id", r->file_id);
        db_set_int64(st, ":n", o->max_messages);
        while (db_step(st, NULL, NULL) == DB_ROW) {
            fprintf(stderr, "svcrecon: %s:%lld: %s\n", path,
                    (long long)db_column_int64(st, 0), db_column_text(st, 1));
            shown++;
        }
    }
    /* A failed read-back (the file is committed) only costs the lines:
     * the count below then covers every rejected row. */
    db_finalize(st);
    if (r->rows_rejected > shown)
        fprintf(stderr, "svcrecon: %s: %lu %srejected row%s; see the audit "
                "workbook\n", path, r->rows_rejected - shown,
                shown ? "more " : "", r->rows_rejected - shown == 1 ? "" : "s");
}

/* Rolled back: nothing of the file is in the database, and the control
 * totals (summary JSON) must not say otherwise. */
static void roll_back(struct db *db, struct load_result *r)
{
    db_rollback(db);
    r->rows_read = r->rows_loaded = r->rows_rejected = 0;
    r->rules_seconds = 0;               /* nothing of the upkeep stays */
}

/* Pass 2 around stream_file: the transaction, and what the file became. */
static int load_new(struct loader *L, FILE *fp, enum feed_kind kind,
                    struct diag *d)
{
    struct db *db = L->db;
    struct load_result *r = L->r;
    bool refused = false;
    /* Failing here (database held: 75) is a failed load, not a loaded
     * file with no rows: say so in the result. */
    if (db_begin_write(db, d, "starting the file's transaction") != 0)
        goto failed;
    if (drop_indexes(L, kind, d) != 0 || start_file(db, r, d) != 0 ||
        prepare(L, kind, d) != 0 || stream_file(L, fp, kind, &refused, d) != 0)
        goto failed;
    finalize(L);
    if (refused) {
        forget_indexes(L);
        roll_back(db, r);
        r->status = LOAD_REFUSED;
        say(L->opts, r->path, r->reason);
        return record_refusal(db, r, L->opts, d);
    }
    int kept = keep_rules(L, kind, d);
    forget_indexes(L);
    if (kept != 0)
        goto failed;
    /* Its delivery, in the file's own transaction (the audit's night). */
    r->status = LOAD_LOADED;
    if (record_delivery(db, r, L->opts, d) != 0 ||
        db_commit(db, d, "committing the file") != 0)
        goto failed;
    say_rejections(db, r, L->opts);
    return 0;
failed:
    finalize(L);
    forget_indexes(L);
    roll_back(db, r);
    r->file_id = 0;
    r->status = LOAD_FAILED;
    snprintf(r->reason, sizeof r->reason, "%s", d->reason);
    return -1;
}

int load_file(struct db *db, const char *path, enum feed_kind kind,
              const struct load_opts *opts, struct load_result *r,
              struct diag *d)
{
    struct timespec t0;
    clock_start(&t0);
    memset(r, 0, sizeof *r);
    r->path = path;
    r->kind = kind;

    bool seen = false;
    int rc = 0;
    FILE *fp = NULL;
    struct loader L = {.db = db, .r = r, .opts = opts};
    if (!hash_file(opts, r, d)) {
        if (r->status == LOAD_FAILED) {
            rc = -1;
            goto out;
        }
        goto record;
    }
    test_pause("hashed", 10);    /* tests/e2e/t8500: the file replaced */
    char earlier[sizeof r->reason] = "";
    bool other_kind = false;
    if (seen_before(db, r, &seen, &other_kind, earlier, sizeof earlier,
                    d) != 0) {
        r->status = LOAD_FAILED;
        snprintf(r->reason, sizeof r->reason, "%s", d->reason);
        rc = -1;
        goto out;
    }
    if (other_kind) {
        r->status = LOAD_REFUSED;
        snprintf(r->reason, sizeof r->reason, "%s", earlier);
        say(opts, r->path, r->reason);
        if ((rc = record_refusal(db, r, opts, d)) != 0) {
            r->status = LOAD_FAILED;
            snprintf(r->reason, sizeof r->reason, "%s", d->reason);
        }
        goto out;
    }
    if (seen) {
        r->status = LOAD_SKIPPED;
        goto record;
    }
    const char *why;
    if (!(fp = sha256_open_regular(path, opts->no_link, &why))) {
        if (fd_limit_errno(errno)) {
            fd_limit(r, errno, d);
            rc = -1;
            goto out;
        }
        unreadable(opts, r, "cannot open", link_why(why));
        goto record;
    }
    /* Out of memory is an internal error (70), not an unreadable file. */
    if (!(L.row = malloc(sizeof *L.row))) {
        r->status = LOAD_FAILED;
        rc = diag_set(d, EX_SOFTWARE, path, 0, "out of memory");
        snprintf(r->reason, sizeof r->reason, "%s", d->reason);
        goto out;
    }
    rc = load_new(&L, fp, kind, d);
    goto out;
record:
    /* A skip or an unreadable file: its delivery, on its own (a loaded or
     * refused file's is written with its load or its refusal). */
    if (r->status == LOAD_UNREADABLE)
        r->sha256[0] = '\0';            /* identified by its path */
    if (record_delivery(db, r, opts, d) != 0) {
        r->status = LOAD_FAILED;
        snprintf(r->reason, sizeof r->reason, "%s", d->reason);
        rc = -1;
    } else if (r->status == LOAD_SKIPPED) {
        /* After its delivery: the database keeps a skip's reason empty
         * (the audit words it from the earlier file's row). */
        snprintf(r->reason, sizeof r->reason, "%s", earlier);
    }
out:
    if (fp)
        fclose(fp);
    free(L.row);
    r->seconds = clock_seconds_since(&t0);
    return rc;
}
