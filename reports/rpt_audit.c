/* rpt_audit.c -- audit_A.xlsx (SPEC §2 "Rejected rows and files", §3
 * "Registration exceptions", §4 `Run` and "The night of an audit
 * workbook").
 *
 * The Run sheet and Rejected rows describe the night: the files delivered
 * since the previous report (night_file, schemas/queries/history/
 * q_night_files.sql), each once with its status, and only their rejected
 * rows and refused files; the database's totals since its first import
 * stand apart below. The night is a function of the database (every
 * delivery is recorded with the file's load, or on its own for a skip), so
 * a re-run, and a night killed and run again, give the same bytes. The
 * wall clock appears once: when a skipped file's bytes were imported, a
 * fact recorded at that import.
 *
 * Sheet order is Run, Rejected rows (and its continuations), Registration
 * exceptions; the listings are written first and the Run sheet last, when
 * every count, including the text cells cut in all three workbooks, is
 * known. */
#include "reports/rpt_audit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/db.h"
#include "schemas/sql.h"

static const struct sheet_col rejected_cols[] = {
    {"File",       SHEET_TEXT, 40},
    {"Line",       SHEET_LINE, 10},
    {"Reason",     SHEET_TEXT, 60},
    {"Raw record", SHEET_TEXT, 80},
    {"File SHA-256", SHEET_TEXT, 14},    /* which file of that name */
};

static const struct sheet_col exception_cols[] = {
    {"Dispatch ID",   SHEET_TEXT,     18},
    {"Dispatched",    SHEET_DATETIME,  0},
    {"Serial number", SHEET_TEXT,     18},
    {"Provider",      SHEET_TEXT,     14},
    {"Provider name", SHEET_TEXT,     30},
    {"Exception",     SHEET_TEXT,     26},
    {"Detail",        SHEET_TEXT,     70},
    {"Source file",   SHEET_TEXT,     40},
    {"Source line",   SHEET_LINE,     10},
    {"Source SHA-256", SHEET_TEXT,    14},
};

#define N_COLS(a) (int)(sizeof a / sizeof a[0])

/* ---- the Run sheet ------------------------------------------------------- */

struct file_totals {
    unsigned long n_files, n_status[4];  /* night: loaded, refused, ... */
    double rows_read, rows_loaded, rows_rejected;
    unsigned long n_cut;                  /* cells the tables below will cut */
};

/* Night statuses, in the order of file_totals.n_status. */
static const char *const night_status[4] = {
    "loaded", "refused", "unreadable", "skipped"};

static void count_file(struct file_totals *t, struct db_stmt *q)
{
    t->n_files++;
    for (int k = 0; k < 4; k++)
        if (strcmp(db_column_text(q, 6), night_status[k]) == 0)
            t->n_status[k]++;
    t->rows_read += db_column_double(q, 3);
    t->rows_loaded += db_column_double(q, 4);
    t->rows_rejected += db_column_double(q, 5);
}

/* A first pass over the night's file and warning tables: control totals
 * for the lines above them, and the cells they will cut, so that the count
 * of cut cells written above them is exact. The tables are small (one row
 * per file of the night). */
static int prescan(struct db *db, struct sheet_book *b, struct file_totals *t,
                   struct diag *d)
{
    static const char *const what[2] = {"the night's files",
                                        "file warnings"};
    const char *const sql[2] = {sql_q_audit_files, sql_q_audit_warnings};
    memset(t, 0, sizeof *t);
    for (int k = 0; k < 2; k++) {
        struct db_stmt *q;
        int rc;
        if (db_prepare(db, sql[k], &q, d, what[k]) != 0)
            return -1;
        while ((rc = db_step(q, d, what[k])) == DB_ROW) {
            int n_cols = db_column_count(q);
            for (int c = 0; c < n_cols; c++) {
                int type = db_column_type(q, c);
                if (type != DB_TEXT && type != DB_BLOB)
                    continue;
                const void *p = db_column_blob(q, c);
                int cut;
                sheet_clean_text(&b->txt, p ? p : "",
                                 db_column_bytes(q, c), &cut);
                t->n_cut += (unsigned long)cut;
            }
            if (k == 0)
                count_file(t, q);
        }
        db_finalize(q);
        if (rc != DB_DONE)
            return -1;
    }
    return 0;
}

static void key_text(struct sheet_book *b, lxw_worksheet *ws, lxw_row_t row,
                     const char *key, const char *value)
{
    sheet_write_cstr(b, ws, row, 0, key, b->label);
    sheet_write_cstr(b, ws, row, 1, value, b->text);
}

/* Widths of the Run sheet's columns: at least run_width's, and each
 * column holding a count as wide as its widest count needs (a file of
 * 1 GB, 1,073,741,824 bytes, was #### in a column 13 wide:
 * tests/e2e/t7500). */
struct run_widths {
    double w[10];
};

/* A count (#,##0, b->count) in column c: its characters, and two more for
 * the cell's margins, as the listings measure (sheet.c). */
static void fit_count(struct run_widths *rw, int c, double v)
{
    char num[400];
    int n = snprintf(num, sizeof num, "%.0f", fabs(v));
    if (n < 1 || (size_t)n >= sizeof num || c < 0 || c >= 10)
        return;
    double need = (double)(n + (n - 1) / 3 + (v < 0) + 2);
    if (need > rw->w[c])
        rw->w[c] = need;
}

static void key_number(struct sheet_book *b, lxw_worksheet *ws,
                       struct run_widths *rw, lxw_row_t row, const char *key,
                       double value, const char *note)
{
    sheet_write_cstr(b, ws, row, 0, key, b->label);
    sheet_write_number(b, ws, row, 1, value, NULL);
    fit_count(rw, 1, value);
    if (note)
        sheet_write_cstr(b, ws, row, 2, note, NULL);
}

/* "0-7, 8-14, 15-30, 31-60, 61-90, 91+", from the options. */
static void bucket_text(const struct report_opts *o, char *out, size_t size)
{
    size_t n = 0;
    int lo = 0;
    out[0] = '\0';
    for (int k = 0; k < o->n_buckets && n < size; k++) {
        const char *sep = k ? ", " : "";
        if (k + 1 < o->n_buckets) {
            n += (size_t)snprintf(out + n, size - n, "%s%d-%d", sep, lo,
                                  o->bucket_hi[k]);
            lo = o->bucket_hi[k] + 1;
        } else {
            n += (size_t)snprintf(out + n, size - n, "%s%d+", sep, lo);
        }
    }
}

/* A table of the Run sheet, for its print titles: the row of its header
 * and how many rows it has below it. */
struct run_table {
    lxw_row_t header;
    lxw_row_t n_rows;
};

/* Text wider than its column, wrap[c] (wrap: NULL or 0 for none), wraps
 * in it, the row made tall enough (at most 6 lines). *table: its
 * header row and rows. */
static int write_table(struct db *db, struct sheet_book *b, lxw_worksheet *ws,
                       lxw_row_t *row, const char *sql, const char *what,
                       const char *const *hdr, const enum sheet_type *types,
                       const unsigned *wrap, int n_cols,
                       struct run_widths *rw, struct run_table *table,
                       struct diag *d)
{
    struct db_stmt *q;
    int rc;
    table->header = *row;
    table->n_rows = 0;
    for (int c = 0; c < n_cols; c++)
        sheet_write_cstr(b, ws, *row, (lxw_col_t)c, hdr[c],
                         types[c] == SHEET_INT ? b->header_num : b->header);
    if (db_prepare(db, sql, &q, d, what) != 0)
        return -1;
    unsigned long n = 0;
    while ((rc = db_step(q, d, what)) == DB_ROW) {
        unsigned lines = 1;
        ++*row;
        n++;
        for (int c = 0; c < n_cols; c++) {
            int type = db_column_type(q, c);
            if (type == DB_NULL)
                continue;
            if (types[c] == SHEET_INT && type == DB_INTEGER) {
                sheet_write_number(b, ws, *row, (lxw_col_t)c,
                                   db_column_double(q, c), NULL);
                fit_count(rw, c, db_column_double(q, c));
            } else {
                const void *p = db_column_blob(q, c);
                size_t len = db_column_bytes(q, c);
                unsigned w = wrap ? wrap[c] : 0, k;
                /* Wrapped when it is wider than its column, in the
                 * characters' widths (a UTF-8 name counted in bytes, 40
                 * accented letters as 80, wrapped in a column it fits,
                 * and one of capitals under the column's bytes ran
                 * into its neighbour), in the lines it prints, wrapped
                 * at spaces by each character's width as About's
                 * paragraphs and the Summary's names (sheet.c,
                 * wrapped_lines; fix69). */
                if (w)
                    k = sheet_write_text_fit(b, ws, *row, (lxw_col_t)c,
                                             p ? p : "", len, w);
                else
                    k = sheet_write_text(b, ws, *row, (lxw_col_t)c,
                                         p ? p : "", len, b->text);
                if (k > lines)
                    lines = k > 6 ? 6 : k;
            }
        }
        sheet_fit_row(b, ws, *row, lines);
    }
    db_finalize(q);
    if (rc != DB_DONE)
        return -1;
    table->n_rows = (lxw_row_t)n;
    if (n == 0)
        sheet_write_cstr(b, ws, ++*row, 0, "(none)", NULL);
    *row += 2;
    return 0;
}

/* Widths of the Run sheet's columns (the file table's). */
static const double run_width[10] = {36, 14, 66, 11, 11, 11, 9, 40, 13, 40};

/* The report: as-of, --from, version, database, buckets, and the previous
 * report it follows (night_ctx). */
static int write_head(struct db *db, const struct report_opts *o,
                      struct sheet_book *b, lxw_worksheet *ws,
                      lxw_row_t *row, struct diag *d)
{
    char text[512];
    snprintf(text, sizeof text, "svcrecon run as of %s", o->as_of);
    sheet_write_cstr(b, ws, (*row)++, 0, text, b->title);
    sheet_write_cstr(b, ws, *row, 0, "As of", b->label);
    sheet_write_date(b, ws, (*row)++, 1, o->as_of_day);
    sheet_write_cstr(b, ws, *row, 0, "From", b->label);
    if (o->has_from) {
        sheet_write_date(b, ws, *row, 1, o->from_day);
        sheet_write_cstr(b, ws, (*row)++, 2, "non-compensable closeouts "
                         "submitted and registration exceptions of "
                         "dispatches dated on or after this date", NULL);
    } else {
        sheet_write_cstr(b, ws, (*row)++, 1, "(not given: everything up to "
                         "the as-of date)", NULL);
    }
    key_text(b, ws, (*row)++, "svcrecon version",
             o->version ? o->version : "");
    key_text(b, ws, (*row)++, "Database", o->db_named ? o->db_named :
             o->db_path ? o->db_path : "");
    bucket_text(o, text, sizeof text);
    key_text(b, ws, (*row)++, "Aging buckets (days open)", text);

    struct db_stmt *q;
    if (db_prepare(db, "SELECT previous_as_of_day FROM night_ctx", &q, d,
                   "reading the previous report") != 0)
        return -1;
    int rc = db_step(q, d, "reading the previous report");
    sheet_write_cstr(b, ws, *row, 0, "Follows the report as of", b->label);
    if (rc == DB_ROW && db_column_type(q, 0) != DB_NULL) {
        sheet_write_date(b, ws, *row, 1, (int32_t)(int)db_column_int64(q, 0));
        sheet_write_cstr(b, ws, (*row)++, 2, "the files below were "
                         "delivered since that report", NULL);
    } else {
        sheet_write_cstr(b, ws, (*row)++, 1, "(none: the files below are "
                         "every file delivered so far)", NULL);
    }
    db_finalize(q);
    if (rc != DB_ROW)
        return -1;
    (*row)++;
    return 0;
}

/* Apart, below the night: the database's totals since its first import. */
static int write_totals(struct db *db, struct sheet_book *b, lxw_worksheet *ws,
                        lxw_row_t *row, struct run_widths *rw,
                        struct diag *d)
{
    struct db_stmt *q;
    char text[128];
    if (db_prepare(db, sql_q_audit_totals, &q, d, "database totals") != 0)
        return -1;
    int rc = db_step(q, d, "database totals");
    if (rc == DB_ROW) {
        sheet_write_cstr(b, ws, (*row)++, 0, "Database totals since its "
                         "first import", b->label);
        char n1[48], n2[48];     /* counts as the cells show them */
        snprintf(text, sizeof text, "%s loaded, %s refused",
                 sheet_count_text(db_column_int64(q, 1), n1, sizeof n1),
                 sheet_count_text(db_column_int64(q, 2), n2, sizeof n2));
        key_number(b, ws, rw, (*row)++, "Files imported",
                   db_column_double(q, 0), text);
        key_number(b, ws, rw, (*row)++, "Rows read", db_column_double(q, 3),
                   NULL);
        key_number(b, ws, rw, (*row)++, "Rows loaded",
                   db_column_double(q, 4), NULL);
        key_number(b, ws, rw, (*row)++, "Rows rejected",
                   db_column_double(q, 5), NULL);
    }
    db_finalize(q);
    if (rc != DB_ROW)
        return -1;
    return 0;
}

/* The night's files and their warnings, as tables. */
static int write_night(struct db *db, struct sheet_book *b, lxw_worksheet *ws,
                       lxw_row_t *row, struct run_widths *rw, struct diag *d)
{
    static const char *const file_hdr[] = {
        "File", "Kind", "SHA-256", "Rows read", "Loaded", "Rejected",
        "Status", "Reason", "Size (bytes)", "Path"};
    static const enum sheet_type file_types[] = {
        SHEET_TEXT, SHEET_TEXT, SHEET_TEXT, SHEET_INT, SHEET_INT, SHEET_INT,
        SHEET_TEXT, SHEET_TEXT, SHEET_INT, SHEET_TEXT};
    sheet_write_cstr(b, ws, (*row)++, 0, "Files of the night", b->label);
    /* File, Reason and Path wrap in their columns: one page wide (SPEC
     * §4), the Run sheet prints whole, and a long file name is not cut by
     * the Kind beside it. */
    static const unsigned file_wrap[] = {36, 0, 0, 0, 0, 0, 0, 40, 0, 40};
    struct run_table files, warnings;
    if (write_table(db, b, ws, row, sql_q_audit_files, "the night's files",
                    file_hdr, file_types, file_wrap, 10, rw, &files,
                    d) != 0)
        return -1;
    static const char *const warn_hdr[] = {"File", "Warning"};
    static const enum sheet_type warn_types[] = {SHEET_TEXT, SHEET_TEXT};
    static const unsigned warn_wrap[] = {36, 0};
    sheet_write_cstr(b, ws, (*row)++, 0, "Warnings", b->label);
    if (write_table(db, b, ws, row, sql_q_audit_warnings, "file warnings",
                    warn_hdr, warn_types, warn_wrap, 2, rw, &warnings,
                    d) != 0)
        return -1;
    /* A night of many files runs over printed pages; one range of rows
     * repeats on a sheet, atop every page after it: the header of the
     * longer table, in practice the files' (README "The workbooks, page
     * by page"; the first on a tie, the same every night). Below the
     * files, the warnings and the totals (four rows) are short and print
     * on the page the files end on, unless that page is full. */
    sheet_repeat_header(b, ws, warnings.n_rows > files.n_rows
                                   ? warnings.header : files.header);
    return 0;
}

static int write_run(struct db *db, const struct report_opts *o,
                     struct sheet_book *b, lxw_worksheet *ws,
                     const struct rpt_audit_others *x,
                     unsigned long n_rejected, unsigned long n_exceptions,
                     unsigned long n_files[2], struct diag *d)
{
    struct file_totals t;
    char text[512];
    lxw_row_t row = 0;

    if (prescan(db, b, &t, d) != 0)
        return -1;
    n_files[0] = t.n_status[1];             /* refused */
    n_files[1] = t.n_status[2];             /* unreadable */
    struct run_widths widths, *rw = &widths;
    for (int c = 0; c < 10; c++)
        widths.w[c] = run_width[c];
    if (write_head(db, o, b, ws, &row, d) != 0)
        return -1;

    char n[4][48];              /* counts as the cells show them: 1,000 */
    for (int k = 0; k < 4; k++)
        sheet_count_text((long long)t.n_status[k], n[k], sizeof n[k]);
    snprintf(text, sizeof text, "%s loaded, %s refused, %s unreadable, "
             "%s skipped", n[0], n[1], n[2], n[3]);
    key_number(b, ws, rw, row++, "Files of the night", (double)t.n_files, text);
    key_number(b, ws, rw, row++, "Rows read", t.rows_read, NULL);
    key_number(b, ws, rw, row++, "Rows loaded", t.rows_loaded, NULL);
    key_number(b, ws, rw, row++, "Rows rejected", t.rows_rejected, NULL);
    row++;

    snprintf(text, sizeof text, "unclosed_calls_%s.xlsx", o->as_of);
    key_number(b, ws, rw, row++, "Unclosed calls", (double)x->n_unclosed, text);
    snprintf(text, sizeof text, "non_compensable_%s.xlsx", o->as_of);
    key_number(b, ws, rw, row++, "Non-compensable closeouts",
               (double)x->n_noncomp, text);
    key_number(b, ws, rw, row++, "Rejected rows and refused files",
               (double)n_rejected, "sheet Rejected rows");
    key_number(b, ws, rw, row++, "Registration exceptions",
               (double)n_exceptions, "sheet Registration exceptions");
    /* Every cut this workbook will have made once the tables below are
     * written: the listings' (already counted) and the tables'. */
    unsigned long cut_audit = b->n_cut + t.n_cut;
    char c1[48], c2[48], c3[48];
    snprintf(text, sizeof text, "unclosed calls %s, non-compensable %s, "
             "audit %s; each cut value ends with a marker, and the "
             "database keeps it whole",
             sheet_count_text((long long)x->n_cut_unclosed, c1, sizeof c1),
             sheet_count_text((long long)x->n_cut_noncomp, c2, sizeof c2),
             sheet_count_text((long long)cut_audit, c3, sizeof c3));
    key_number(b, ws, rw, row++, "Text cells cut at 32,767 characters",
               (double)(x->n_cut_unclosed + x->n_cut_noncomp + cut_audit),
               text);
    row++;

    if (write_night(db, b, ws, &row, rw, d) != 0 ||
        write_totals(db, b, ws, &row, rw, d) != 0)
        return -1;
    /* Set once every count is written (libxlsxwriter writes the widths
     * when the workbook closes). */
    for (int c = 0; c < 10; c++)
        sheet_check(b, worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c,
                                            widths.w[c], NULL),
                    "setting widths");
    return b->err == LXW_NO_ERROR ? 0 : -1;
}

int rpt_audit_write(struct db *db, const struct report_opts *o,
                    struct sheet_book *b,
                    int (*others)(void *ctx, struct rpt_audit_others *out),
                    void *others_ctx, unsigned long *n_rejected,
                    unsigned long *n_reg_exceptions,
                    unsigned long n_files[2], struct diag *d)
{
    struct rpt_audit_others x;
    *n_rejected = *n_reg_exceptions = n_files[0] = n_files[1] = 0;
    /* One page wide, like every sheet (sheet_add). */
    lxw_worksheet *run = sheet_add(b, "Run");
    if (!run)
        return -1;
    if (sheet_write_listing(db, b, "Rejected rows", rejected_cols,
                      N_COLS(rejected_cols), sql_q_audit_rejected,
                      n_rejected, d) != 0 ||
        sheet_write_listing(db, b, "Registration exceptions", exception_cols,
                      N_COLS(exception_cols), sql_q_audit_reg_exceptions,
                      n_reg_exceptions, d) != 0)
        return -1;
    memset(&x, 0, sizeof x);
    if (others && others(others_ctx, &x) != 0)
        return -1;
    return write_run(db, o, b, run, &x, *n_rejected, *n_reg_exceptions,
                     n_files, d);
}
