/* about.c -- the About sheet, last in every workbook (SPEC §4 "Reading
 * aids").
 *
 * The words about each workbook and its sheets are here; the meanings of
 * the codes are TEMP code_meaning's (schemas/queries/report/
 * q_code_meanings.sql, stated once for the Summary sheets and every About
 * sheet), the aging buckets TEMP aging_bucket's (--buckets, as configured).
 * The worked example of `svcrecon explain` names a real dispatch of the
 * workbook: the first row of its main listing (q_about_example.sql) or, for
 * a dealer statement, the first row the statement lists.
 *
 * LibreOffice does not grow a row for wrapped text, so every paragraph's
 * row is given the height of the lines it wraps to at the column's width
 * (sheet_prose_lines: at spaces, by each character's width in the font).
 * Counted in characters, 68 to a line, a paragraph of prose (about 80 to
 * a printed line) got a line more than it prints whenever it ran a little
 * past a multiple of 68: "a listing longer than Excel's ... next sheet"
 * (72 characters, one line) in a row of two (tests/e2e/t3070). */
#include "reports/about.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/db.h"
#include "schemas/sql.h"
#include "reports/summary.h"

/* Column widths, in characters: labels, text, a second text column. */
#define COL_LABEL 26
#define COL_TEXT  70
#define COL_MORE  70

struct book_words {
    const char *title;
    const char *what;
    const char *const *sheets;   /* name, what it shows; NULL-terminated */
    const char *const *codes;    /* code families, NULL-terminated; "buckets"
                                    for the aging buckets */
    const char *example_sheet;   /* the listing the example comes from */
};

static const char *const unclosed_sheets[] = {
    "Summary", "unclosed calls by aging bucket, their trend over the "
    "recorded reports, by provider, and the changes since the previous "
    "report",
    "Unclosed calls", "every call CITS dispatched on or before the as-of "
    "date that is open and has no accepted closeout, oldest first",
    "Changes", "calls newly unclosed, closed, or moved to another aging "
    "bucket since the previous report",
    "About", "this sheet", NULL};
static const char *const noncomp_sheets[] = {
    "Summary", "closeouts and labor hours by primary reason and by dealer",
    "Non-compensable", "every closeout with at least one reason: its "
    "primary reason, all its reasons, the detail, and its source",
    "About", "this sheet", NULL};
static const char *const audit_sheets[] = {
    "Run", "as-of date, version, database, the night's files (kind, "
    "SHA-256, rows, status) and the database's totals",
    "Rejected rows", "the rows and files refused, with file, line, reason "
    "and the raw record (line 0 for a whole file)",
    "Registration exceptions", "dispatches checked against the "
    "registrations active on the dispatch day, one row per exception",
    "About", "this sheet", NULL};
static const char *const statement_sheets[] = {
    "Summary", "your counts: open calls, closeouts that are not paid, "
    "labor hours at stake, your oldest open call",
    "Unclosed calls", "calls dispatched to you that are not closed out, "
    "oldest first",
    "Non-compensable", "closeouts that do not qualify for labor "
    "compensation, and why, with what would make each compensable",
    "Registration exceptions", "your dispatches whose registration does "
    "not match the program's rules",
    "About", "this sheet", NULL};

static const char *const unclosed_codes[] = {"buckets", "change",
                                             "closed_by", NULL};
static const char *const noncomp_codes[] = {"reason", "new", NULL};
/* The audit's Run lists the aging buckets of the night (SPEC §4: About
 * explains every code its workbook uses; qa71). */
static const char *const audit_codes[] = {"buckets", "status", "kind",
                                          "exception", NULL};
/* A statement's Non-compensable has the New column too (qa71). */
static const char *const statement_codes[] = {"buckets", "reason", "new",
                                              "exception", NULL};

static const struct book_words words[] = {
    [ABOUT_UNCLOSED] = {"Unclosed calls",
        "Calls CITS dispatched that are not closed out as of the as-of "
        "date. Every dispatched call must be closed out with CITS (Section "
        "2 of the Service Dispatch Form) to qualify for labor compensation.",
        unclosed_sheets, unclosed_codes, "Unclosed calls"},
    [ABOUT_NONCOMP] = {"Non-compensable service",
        "Closeouts received by CITS that do not qualify for labor "
        "compensation, and why: service not dispatched by CITS, or a "
        "closeout that fails the program's rules.",
        noncomp_sheets, noncomp_codes, "Non-compensable"},
    [ABOUT_AUDIT] = {"Audit",
        "What the night's run did: the files delivered since the previous "
        "report and what became of them, the rows and files refused with "
        "their reasons, and the dispatches whose registrations do not "
        "match the program's rules.",
        audit_sheets, audit_codes, "Registration exceptions"},
    [ABOUT_STATEMENT] = {"Dealer statement",
        "Your statement from the imagePROGRAF dealer service program: the "
        "calls dispatched to you that are not closed out, your closeouts "
        "that do not qualify for labor compensation and why, and your "
        "dispatches with registration exceptions. Close out each open call "
        "with CITS to be paid for it.",
        statement_sheets, statement_codes, "Unclosed calls"},
};

static const struct {
    const char *family, *title;
} family_title[] = {
    {"buckets", "Aging buckets (days open, as configured)"},
    {"reason", "Closeout reasons (Reason, All reasons), in order of "
               "precedence"},
    {"exception", "Registration exceptions (Exception)"},
    {"status", "File statuses (Run: Status)"},
    {"kind", "File kinds (Run: Kind)"},
    {"change", "Changes (Changes: Change)"},
    {"closed_by", "How a call left the list (Changes: Closed by)"},
    {"new", "New (Non-compensable: New)"},
};

int about_example_set(struct about_example *ex, const char *dispatch_id,
                      const char *file_name, long long line)
{
    about_example_release(ex);
    ex->dispatch_id = strdup(dispatch_id);
    ex->file_name = strdup(file_name);
    ex->line = line;
    if (!ex->dispatch_id || !ex->file_name) {
        about_example_release(ex);
        return -1;
    }
    return 0;
}

void about_example_release(struct about_example *ex)
{
    free(ex->dispatch_id);
    free(ex->file_name);
    ex->dispatch_id = ex->file_name = NULL;
    ex->line = 0;
}

/* The printed pages of About (fix79). A table of codes (its title, its
 * header and its rows), the Sheets and the Tracing sections are blocks:
 * a block that does not fit on the rest of a page starts the next one
 * (a manual page break before it), unless it is longer than a page; a
 * title or a table's header was left at a page's foot, its rows on the
 * next page without their header (the audit's registration exceptions,
 * "Tracing a row" alone under the unclosed codes: seen in LibreOffice).
 * The page is the smallest a reader prints (summary_page_points() on the
 * columns written: A and B, and C when a row writes it), less a row for
 * the 14-point titles' rows, whose height the reader sets; every page
 * break is manual, so that no reader breaks where these did not count
 * (a reader that shrinks the sheet more, LibreOffice fitting column C
 * too, prints the same pages, a little less full). */
#define ABOUT_ROWS 512
#define ABOUT_BLOCKS 32

struct about_pages {
    double ht[ABOUT_ROWS];              /* points a row; 0: the default */
    lxw_row_t first[ABOUT_BLOCKS], last[ABOUT_BLOCKS];
    int n_blocks;
};

static void page_row(struct about_pages *pg, lxw_row_t row, double points)
{
    if (row < ABOUT_ROWS)
        pg->ht[row] = points;
}

/* The height sheet_fit_row() gives a row of `lines` lines. */
static void page_lines(struct about_pages *pg, lxw_row_t row, unsigned lines)
{
    if (lines > 1)
        page_row(pg, row, lines > 27 ? 409.0 : 15.0 * lines);
}

static void page_block(struct about_pages *pg, lxw_row_t first,
                       lxw_row_t last)
{
    if (pg->n_blocks < ABOUT_BLOCKS && last >= first) {
        pg->first[pg->n_blocks] = first;
        pg->last[pg->n_blocks++] = last;
    }
}

static double page_height(const struct about_pages *pg, lxw_row_t row)
{
    return row < ABOUT_ROWS && pg->ht[row] > 0 ? pg->ht[row] : 15.0;
}

/* The page breaks of rows 0..end-1 on pages of page_pt points. */
static void page_breaks(struct sheet_book *b, lxw_worksheet *ws,
                        const struct about_pages *pg, lxw_row_t end,
                        double page_pt)
{
    lxw_row_t breaks[ABOUT_ROWS + 1];
    int n = 0, k = 0;
    double used = 0;
    for (lxw_row_t r = 0; r < end && r < ABOUT_ROWS; r++) {
        while (k < pg->n_blocks && pg->first[k] < r)
            k++;
        if (k < pg->n_blocks && pg->first[k] == r && used > 0) {
            double whole = 0, head = 0;
            for (lxw_row_t q = r; q <= pg->last[k]; q++) {
                whole += page_height(pg, q);
                if (q < r + 3)          /* title, header, first row */
                    head += page_height(pg, q);
            }
            if (used + whole > page_pt &&
                (whole <= page_pt || used + head > page_pt)) {
                breaks[n++] = r;
                used = 0;
            }
        }
        double h = page_height(pg, r);
        if (used > 0 && used + h > page_pt) {
            breaks[n++] = r;
            used = 0;
        }
        used += h;
    }
    breaks[n] = 0;
    if (n)
        sheet_check(b, worksheet_set_h_pagebreaks(ws, breaks), "page breaks");
}

/* A label in A and a paragraph in B (and C), the row as tall as they. */
/* Lines of a cell: wrapped prose at the column's width, other text by its
 * line breaks (a command stays on one line, running on over the empty
 * column C) -- unless it is wider than B and C together: a long database
 * path and the commands naming it ran on past the page's columns, and the
 * page was shrunk to fit them; such a value wraps in its column, whole
 * (tests/e2e/t7800). */
static unsigned cell_lines(struct sheet_book *b, lxw_worksheet *ws,
                           lxw_row_t row, lxw_col_t col, const char *s,
                           unsigned width, lxw_format *f)
{
    if (f == b->text && col == 1 && strlen(s) > COL_TEXT + COL_MORE - 4)
        return sheet_write_text_whole(b, ws, row, col, s, strlen(s), width);
    unsigned lines = sheet_write_cstr(b, ws, row, col, s, f);
    return f == b->wrap ? sheet_prose_lines(s, width) : lines;
}

static void put_row(struct sheet_book *b, lxw_worksheet *ws,
                    struct about_pages *pg, lxw_row_t row,
                    const char *label, const char *text, const char *more,
                    lxw_format *f)
{
    unsigned lines = cell_lines(b, ws, row, 0, label, COL_LABEL, b->label);
    unsigned k;
    if (text && *text &&
        (k = cell_lines(b, ws, row, 1, text, COL_TEXT, f)) > lines)
        lines = k;
    if (more && *more &&
        (k = cell_lines(b, ws, row, 2, more, COL_MORE, f)) > lines)
        lines = k;
    sheet_fit_row(b, ws, row, lines);
    page_lines(pg, row, lines);
}

/* 'text' for a shell, quoted unless it is plain. malloc'd; NULL when out
 * of memory. */
static char *shell_word(const char *s)
{
    size_t n = strlen(s);
    if (n > 0 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                        "vwxyz0123456789-_./:=+,@%") == n)
        return strdup(s);
    char *out = malloc(4 * n + 3), *p = out;
    if (!out)
        return NULL;
    *p++ = '\'';
    for (; *s; s++) {
        if (*s == '\'') {
            memcpy(p, "'\\''", 4);
            p += 4;
        } else {
            *p++ = *s;
        }
    }
    *p++ = '\'';
    *p = '\0';
    return out;
}

static lxw_row_t write_buckets(struct db *db, struct sheet_book *b,
                               lxw_worksheet *ws, lxw_row_t row,
                               struct diag *d, int *failed)
{
    struct db_stmt *q;
    int rc;
    if (db_prepare(db, sql_q_about_buckets, &q, d, "aging buckets") !=
        0) {
        *failed = 1;
        return row;
    }
    while ((rc = db_step(q, d, "aging buckets")) == DB_ROW) {
        char text[128], lo[48], hi[48];
        long long lo_days = db_column_int64(q, 2);
        /* "open 91 days or more", "open 8 to 14 days"; a bucket of one
         * day count (--buckets 0 gives 0-0 and 1+) "open 0 days", "open
         * 1 day or more"; counts as the cells show them (100,001). */
        sheet_days_text(lo_days, lo, sizeof lo);
        if (db_column_type(q, 3) == DB_NULL)
            snprintf(text, sizeof text, "open %s or more", lo);
        else if (db_column_int64(q, 3) == lo_days)
            snprintf(text, sizeof text, "open %s", lo);
        else
            snprintf(text, sizeof text, "open %s to %s",
                     sheet_count_text(lo_days, lo, sizeof lo),
                     sheet_days_text(db_column_int64(q, 3), hi, sizeof hi));
        sheet_write_text(b, ws, row, 0, db_column_text(q, 1),
                         db_column_bytes(q, 1), b->text);
        sheet_write_cstr(b, ws, row++, 1, text, b->wrap);
    }
    db_finalize(q);
    if (rc != DB_DONE) {
        *failed = 1;
    }
    return row;
}

/* One family of codes under its title; statements show the remedy of each
 * closeout reason beside its meaning. */
static lxw_row_t write_family(struct db *db, struct sheet_book *b,
                              lxw_worksheet *ws, struct about_pages *pg,
                              lxw_row_t row,
                              const char *family, int with_remedy,
                              struct diag *d, int *failed)
{
    const char *title = family;
    for (size_t k = 0; k < sizeof family_title / sizeof family_title[0]; k++)
        if (strcmp(family_title[k].family, family) == 0)
            title = family_title[k].title;
    static const char *hdr[] = {"Code", "Meaning", "To be paid"};
    sheet_write_cstr(b, ws, row++, 0, title, b->label);
    for (int c = 0; c < (with_remedy ? 3 : 2); c++)
        sheet_write_cstr(b, ws, row, (lxw_col_t)c, hdr[c], b->header);
    row++;
    if (strcmp(family, "buckets") == 0)
        return write_buckets(db, b, ws, row, d, failed) + 1;
    struct db_stmt *q;
    int rc;
    if (db_prepare(db, sql_q_about_codes, &q, d, "code meanings") != 0) {
        *failed = 1;
        return row;
    }
    db_set_text(q, ":family", family, strlen(family));
    while ((rc = db_step(q, d, "code meanings")) == DB_ROW) {
        sheet_write_cstr(b, ws, row, 0, db_column_text(q, 0), b->text);
        const char *meaning = db_column_text(q, 1);
        const char *remedy = with_remedy ? db_column_text(q, 2) : "";
        unsigned lines = sheet_prose_lines(meaning, COL_TEXT), k;
        if ((k = sheet_prose_lines(remedy, COL_MORE)) > lines)
            lines = k;
        sheet_write_cstr(b, ws, row, 1, meaning, b->wrap);
        if (*remedy)
            sheet_write_cstr(b, ws, row, 2, remedy, b->wrap);
        page_lines(pg, row, lines);
        sheet_fit_row(b, ws, row++, lines);
    }
    db_finalize(q);
    if (rc != DB_DONE) {
        *failed = 1;
    }
    return row + 1;
}

/* The first row of the book's main listing, when ex is not given. */
static int read_example(struct db *db, enum about_book book,
                        struct about_example *ex, struct diag *d)
{
    struct db_stmt *q;
    if (db_prepare(db, sql_q_about_example, &q, d, "a row to trace") != 0)
        return -1;
    db_set_int64(q, ":book", (int)book);
    int rc = db_step(q, d, "a row to trace");
    if (rc == DB_ROW && about_example_set(ex, db_column_text(q, 0),
                                          db_column_text(q, 1),
                                          db_column_int64(q, 2)))
        rc = diag_set(d, EX_SOFTWARE, NULL, 0, "a row to trace: out of "
                      "memory");
    db_finalize(q);
    if (rc < 0)
        return -1;
    return 0;
}

/* " --buckets 30,60" when the report's aging buckets are not the default
 * ones, else "": explain takes the default, and without the report's own
 * list it would tell another bucket than the workbook shows ("91+" for a
 * call the workbook lists under "61+"; tests/e2e/t8800). */
static void bucket_words(const struct report_opts *o, char *out, size_t size)
{
    static const int def[] = REPORT_DEFAULT_BUCKET_HI;
    int n = o->n_buckets - 1;
    bool same = n == (int)(sizeof def / sizeof *def);
    for (int i = 0; same && i < n; i++)
        same = o->bucket_hi[i] == def[i];
    out[0] = '\0';
    if (same || n < 0)
        return;
    size_t len = (size_t)snprintf(out, size, " --buckets ");
    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(out + len, size - len, "%s%d", i ? "," : "",
                                o->bucket_hi[i]);
}

/* The --db of the commands on the page, quoted for a shell, with the
 * --schema of the run when one was given (PostgreSQL) and its --buckets
 * when they are not the default; NULL when out of memory. */
static char *db_words(const struct report_opts *o)
{
    char *db = shell_word(o->db_path ? o->db_path : "DB");
    char *schema = o->schema ? shell_word(o->schema) : NULL;
    char buckets[16 + 8 * REPORT_MAX_BUCKETS];
    bucket_words(o, buckets, sizeof buckets);
    if (!db || (o->schema && !schema)) {
        free(db);
        free(schema);
        return NULL;
    }
    size_t n = strlen(db) + (schema ? strlen(schema) : 0) + strlen(buckets) + 16;
    char *all = malloc(n);
    if (all)
        snprintf(all, n, "%s%s%s%s", db, schema ? " --schema " : "",
                 schema ? schema : "", buckets);
    free(db);
    free(schema);
    return all;
}

/* "How to trace a row", with the example's commands. */
static lxw_row_t write_trace(struct sheet_book *b, lxw_worksheet *ws,
                             struct about_pages *pg, lxw_row_t row,
                             const struct report_opts *o,
                             const struct book_words *w,
                             const struct about_example *ex)
{
    char *db = db_words(o);
    /* the commands whole, however long the database's name */
    size_t n_line = 100 + (db ? strlen(db) : 2);
    char *line = malloc(n_line);
    if (!line) {
        free(db);
        sheet_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED, "writing About");
        return row;
    }
    page_row(pg, row, SUMMARY_TITLE_POINTS);
    sheet_write_cstr(b, ws, row++, 0, "Tracing a row", b->title);
    put_row(b, ws, pg, row++, "Source", "Every listed row names its source "
            "file and line (Source file, Source line): the feed file and "
            "the physical line of the record, as an editor shows it. "
            "Source SHA-256 is the start (12 hex digits) of that file's "
            "SHA-256, which the audit's Run sheet lists whole: it tells "
            "apart two files of one name (a feed delivered as "
            "dispatches.csv every night), and sha256sum ties it to the file "
            "you hold.", NULL, b->wrap);
    put_row(b, ws, pg, row++, "svcrecon explain", "To see how svcrecon reached "
            "a row (the versions of the dispatch, the registrations checked "
            "on its day, each closeout with its reasons, and the standing), "
            "run on the same database and as-of date:", NULL, b->wrap);
    snprintf(line, n_line, "svcrecon explain --db %s --as-of %s "
             "DISPATCH_ID", db ? db : "DB", o->as_of);
    put_row(b, ws, pg, row++, "by dispatch", line, NULL, b->text);
    snprintf(line, n_line, "svcrecon explain --db %s --as-of %s "
             "--source FILE:LINE", db ? db : "DB", o->as_of);
    put_row(b, ws, pg, row++, "by source row", line, NULL, b->text);
    free(line);
    if (ex && ex->dispatch_id) {
        char *id = shell_word(ex->dispatch_id);
        size_t n = strlen(ex->file_name) + 32;
        char *src = malloc(n), *srcq = NULL;
        if (src) {
            snprintf(src, n, "%s:%lld", ex->file_name, ex->line);
            srcq = shell_word(src);
        }
        size_t size = 200 + (db ? strlen(db) : 2) +
                      (id ? strlen(id) : 0) + (srcq ? strlen(srcq) : 0);
        char *cmd = malloc(size);
        if (cmd && id && srcq) {
            snprintf(cmd, size, "The first row of '%s' in this workbook:",
                     w->example_sheet);
            put_row(b, ws, pg, row++, "Example", cmd, NULL, b->wrap);
            /* "--" ends the options: an id may start with '-'. */
            snprintf(cmd, size, "svcrecon explain --db %s --as-of %s %s%s",
                     db ? db : "DB", o->as_of,
                     ex->dispatch_id[0] == '-' ? "-- " : "", id);
            put_row(b, ws, pg, row++, "", cmd, NULL, b->text);
            snprintf(cmd, size, "svcrecon explain --db %s --as-of %s "
                     "--source %s", db ? db : "DB", o->as_of, srcq);
            put_row(b, ws, pg, row++, "", cmd, NULL, b->text);
        }
        free(cmd);
        free(src);
        free(srcq);
        free(id);
    } else {
        put_row(b, ws, pg, row++, "Example", "This workbook lists no dispatch "
                "to trace.", NULL, b->wrap);
    }
    free(db);
    return row;
}

int about_write(struct db *db, struct sheet_book *b,
                const struct report_opts *o, enum about_book book,
                const char *file_name, const char *dealer,
                const struct about_example *ex, struct diag *d)
{
    const struct book_words *w = &words[book];
    struct about_example own = {0};
    lxw_row_t row = 0, top;
    int failed = 0;
    char text[256];
    struct about_pages *pg = calloc(1, sizeof *pg);
    if (!pg) {
        sheet_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED, "writing About");
        return -1;
    }

    lxw_worksheet *ws = sheet_add(b, "About");
    if (!ws) {
        free(pg);
        return -1;
    }
    worksheet_set_column(ws, 0, 0, COL_LABEL, NULL);
    worksheet_set_column(ws, 1, 1, COL_TEXT, NULL);
    worksheet_set_column(ws, 2, 2, COL_MORE, NULL);
    snprintf(text, sizeof text, "About this workbook: %s", w->title);
    page_row(pg, row, SUMMARY_TITLE_POINTS);
    sheet_write_cstr(b, ws, row++, 0, text, b->title);
    put_row(b, ws, pg, row++, "Workbook", file_name, NULL, b->text);
    if (dealer)
        put_row(b, ws, pg, row++, "Dealer", dealer, NULL, b->text);
    put_row(b, ws, pg, row++, "What it is", w->what, NULL, b->wrap);
    sheet_write_cstr(b, ws, row, 0, "As of", b->label);
    sheet_write_date(b, ws, row++, 1, o->as_of_day);
    if (o->has_from) {
        put_row(b, ws, pg, row, "From", NULL, "non-compensable closeouts "
                "submitted and registration exceptions of dispatches dated "
                "on or after this date (unclosed calls: all)", b->wrap);
        sheet_write_date(b, ws, row++, 1, o->from_day);
    }
    put_row(b, ws, pg, row++, "Database", o->db_named ? o->db_named :
            o->db_path ? o->db_path : "", NULL, b->text);
    put_row(b, ws, pg, row++, "svcrecon version", o->version ? o->version : "",
            NULL, b->text);
    row++;

    top = row;
    page_row(pg, row, SUMMARY_TITLE_POINTS);
    sheet_write_cstr(b, ws, row++, 0, "Sheets", b->title);
    for (const char *const *s = w->sheets; *s; s += 2)
        put_row(b, ws, pg, row++, s[0], s[1], NULL, b->wrap);
    put_row(b, ws, pg, row++, "NAME (2), (3) ...", "a listing longer than "
            "Excel's 1,048,576 rows continues on the next sheet", NULL,
            b->wrap);
    page_block(pg, top, row - 1);
    row++;

    /* "Codes" goes with the first table; each table is a block. */
    top = row;
    page_row(pg, row, SUMMARY_TITLE_POINTS);
    sheet_write_cstr(b, ws, row++, 0, "Codes", b->title);
    for (const char *const *f = w->codes; *f && !failed; f++) {
        lxw_row_t next = write_family(db, b, ws, pg, row, *f,
                                      book == ABOUT_STATEMENT &&
                                      strcmp(*f, "reason") == 0, d,
                                      &failed);
        page_block(pg, f == w->codes ? top : row, next - 2);
        row = next;
    }
    if (failed || (!ex && read_example(db, book, &own, d) != 0)) {
        free(pg);
        return -1;
    }
    top = row;
    row = write_trace(b, ws, pg, row, o, w, ex ? ex : &own);
    page_block(pg, top, row - 1);
    about_example_release(&own);

    /* Column C is written by the From row and a statement's remedies. */
    double cols[3] = {COL_LABEL, COL_TEXT, COL_MORE};
    int n_cols = o->has_from || book == ABOUT_STATEMENT ? 3 : 2;
    page_breaks(b, ws, pg, row, summary_page_points(cols, n_cols) - 15);
    free(pg);
    return b->err == LXW_NO_ERROR ? 0 : -1;
}
