/* statements.c -- dealer statements (SPEC §4 "Dealer statements").
 *
 * One pass: the dealers (q_statement_dealers.sql) and the three listings
 * (q_statement_unclosed/_noncomp/_exceptions.sql: the main listings' rows
 * and columns, ordered by dealer first) are four cursors walked side by
 * side in dealer_id order, as a merge: each statement takes the rows of
 * its dealer from each cursor, and an exception of a dealer that gets no
 * statement is stepped over. No query per dealer, nothing held in memory
 * but the current row; each workbook is constant_memory, written through
 * the shared sheet writer, with fixed properties (byte-identical for the
 * same database and as-of date).
 *
 * The statements go into a temporary folder "statements.tmp" in the run's
 * own temporary folder (".svcrecon-tmp-PID", locked while the run lives:
 * see work_path()), which replaces OUT/statements_A only when every statement
 * is complete: the old folder is renamed aside (by report.c, just before
 * the first workbook goes into place: statements_set_aside()), the new one
 * into place, the old one removed. A reader never sees a half-written statement, and
 * a folder of an earlier run holding a dealer that has nothing left is
 * gone with it. Folders left by a killed run go with its temporary
 * folder, removed by the next run once nobody holds its lock.
 *
 * File names (SPEC §4): the dealer id with every byte outside A-Z a-z 0-9
 * - _ as %HH, so "../x" is "%2E%2E%2Fx.xlsx" and "A/B C" "A%2FB%20C.xlsx":
 * never a path, never hidden. Decisions where the SPEC is silent:
 *   - a name over 95 bytes (a 300-byte id escapes to up to 900) is cut
 *     at a whole %HH and ends "~" + 16 hex digits of the id's SHA-256:
 *     with ".xlsx" at most 100 characters, under Excel's 218 for a whole
 *     path ('~' never appears in an escaped id, so a cut name cannot
 *     equal another dealer's plain one);
 *   - names are unique ignoring case: of ids that differ only in case
 *     ("AB", "ab") the first in BINARY order keeps its plain name, each
 *     later one gets the same "~" + hash ending ("ab~HASH.xlsx"), so that
 *     no statement overwrites another on a Windows share or a Mac;
 *   - an id that is a device name Windows reserves (CON, nul, COM1, LPT9:
 *     windows_reserved()) gets the same ending: "CON~<hash>.xlsx", a name
 *     Windows can open (tests/e2e/t8700).
 */
#include "reports/statements.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/sha256.h"
#include "lib/testhook.h"
#include "lib/utf8.h"
#include "schemas/sql.h"
#include "reports/about.h"
#include "reports/sheet.h"

/* A name's bytes before ".xlsx": the whole name is at most 100
 * characters. Excel opens no file whose path passes 218 characters, and
 * the statements are kept on Windows shares: 100 leaves 118 for the
 * share's folder and "statements_A\" (a 245-character name could not be
 * opened from any folder, tests/e2e/t9980). */
#define NAME_ROOM 95

/* ---- file names ---------------------------------------------------------- */

static int plain_byte(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* A device name Windows reserves in every folder, with any extension
 * and in any case: CON, PRN, AUX, NUL, COM0-9, LPT0-9 (an escaped id
 * holds only A-Z a-z 0-9 - _ %, so the superscript-digit forms and
 * trailing dots or blanks cannot occur). "CON.xlsx" cannot be opened,
 * copied or attached on Windows, where the statements are forwarded. */
static int windows_reserved(const char *name, size_t n)
{
    static const char *const dev[] = {"CON", "PRN", "AUX", "NUL"};
    char up[5];
    if (n < 3 || n > 4)
        return 0;
    for (size_t i = 0; i < n; i++)
        up[i] = (name[i] >= 'a' && name[i] <= 'z') ? (char)(name[i] - 32)
                                                   : name[i];
    up[n] = '\0';
    if (n == 3) {
        for (size_t k = 0; k < sizeof dev / sizeof dev[0]; k++)
            if (strcmp(up, dev[k]) == 0)
                return 1;
        return 0;
    }
    return (memcmp(up, "COM", 3) == 0 || memcmp(up, "LPT", 3) == 0) &&
           up[3] >= '0' && up[3] <= '9';
}

void statements_file_name(const char *id, size_t len, int taken,
                          char out[256])
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0, i;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        if (o + (plain_byte(c) ? 1 : 3) > NAME_ROOM)
            break;                        /* cut below */
        if (plain_byte(c)) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    if (i < len || taken || len == 0 || windows_reserved(out, o)) {
        char digest[SHA256_HEX_SIZE];
        sha256_bytes(id, len, digest);
        if (o > NAME_ROOM - 17)
            o = NAME_ROOM - 17;
        while (o > 0 && (out[o - 1] == '%' ||
                                   (o >= 2 && out[o - 2] == '%')))
            o--;                          /* never half a %HH */
        out[o++] = '~';
        memcpy(out + o, digest, 16);
        o += 16;
    }
    memcpy(out + o, ".xlsx", 6);
}

/* ---- folders ------------------------------------------------------------- */

int statements_folder(const struct report_opts *o, char *folder,
                      size_t size)
{
    size_t n = strlen(o->out_dir);
    int len = snprintf(folder, size, "%s%sstatements_%s", o->out_dir,
                       n && o->out_dir[n - 1] == '/' ? "" : "/", o->as_of);
    return len >= 0 && (size_t)len < size ? 0 : -1;
}

/* Where the earlier statements wait while this run replaces them, and
 * where the new ones are written: in the run's own temporary folder
 * (report_write_all(): ".svcrecon-tmp-PID", on the output folder's file
 * system, so both renames stay atomic), whose owner lock tells every
 * other run that they are a live run's. They were OUT/.statements_A.old-PID
 * and .tmp-PID, judged by their PID alone: a run on the host removed the
 * folders of a live run in a container sharing --out whose PID was free
 * on the host, and that run failed or lost the statements it was to put
 * back (fix81, tests/e2e/t9986). Without a temporary folder (never, from
 * report_write_all()), the old names. */
static void work_path(const struct report_opts *o, const char *what,
                      char *path, size_t size)
{
    if (o->tmp_dir)
        snprintf(path, size, "%s/statements.%s", o->tmp_dir, what);
    else
        snprintf(path, size, "%s/.statements_%s.%s-%ld", o->out_dir,
                 o->as_of, what, (long)getpid());
}

static void aside_path(const struct report_opts *o, char *path, size_t size)
{
    work_path(o, "old", path, size);
}

void statements_aside_rescue(const struct report_opts *o, char *aside,
                             size_t size)
{
    char out[4400];
    snprintf(out, sizeof out, "%s/.statements_%s.old-%ld", o->out_dir,
             o->as_of, (long)getpid());
    if (strcmp(out, aside) != 0 && rename(aside, out) == 0)
        snprintf(aside, size, "%s", out);
}

int statements_set_aside(const struct report_opts *o, char *aside,
                         size_t size)
{
    char folder[4096];
    struct stat st;
    aside_path(o, aside, size);
    if (statements_folder(o, folder, sizeof folder) != 0 ||
        lstat(folder, &st) != 0)
        return 0;
    report_remove_folder(aside);          /* ours, from an earlier call */
    return rename(folder, aside) == 0;
}

/* ".statements_*.tmp-PID" and ".old-PID" folders of runs that are gone
 * (versions before fix81; statements_aside_rescue()'s): by their PID. */
void statements_remove_stale(const char *out_dir)
{
    DIR *dp = opendir(out_dir);
    struct dirent *e;
    if (!dp)
        return;
    while ((e = readdir(dp)) != NULL) {
        const char *mark = strstr(e->d_name, ".tmp-");
        if (!mark)
            mark = strstr(e->d_name, ".old-");
        if (strncmp(e->d_name, ".statements_", 12) != 0 || !mark)
            continue;
        char path[4400];
        if (snprintf(path, sizeof path, "%s/%s", out_dir, e->d_name) <
                (int)sizeof path &&
            report_orphan_pid(mark + 5, path))
            report_remove_folder(path);
    }
    closedir(dp);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int statements_digest(const char *folder, char hex[65], unsigned long *n)
{
    DIR *dp = opendir(folder);
    struct dirent *e;
    char **names = NULL;
    size_t n_names = 0, cap = 0;
    int rc = 0, err = 0;
    *n = 0;
    if (!dp)
        return -1;
    /* Out of memory is said as ENOMEM whatever the allocator left in
     * errno (C does not say malloc sets it; OpenSSL's context does not
     * say why it failed), and errno is kept past the clean-up: the caller
     * tells "out of memory" (70) from a folder it cannot read (73) by it
     * alone. A stale errno made it 73, "No such file or directory; give
     * --out a folder ..." (fix70). */
    while ((e = readdir(dp)) != NULL && rc == 0) {
        if (e->d_name[0] == '.')
            continue;
        if (n_names == cap) {
            cap = cap ? 2 * cap : 256;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) {
                rc = -1;
                err = ENOMEM;
                break;
            }
            names = grown;
        }
        if (!(names[n_names] = strdup(e->d_name))) {
            rc = -1;
            err = ENOMEM;
        } else {
            n_names++;
        }
    }
    closedir(dp);
    /* A folder with no statement leaves names NULL, and qsort() must not
     * be given a null array even for no element (C11 7.1.4, 7.22.5). */
    if (n_names > 1)
        qsort(names, n_names, sizeof *names, by_name);
    struct evp_md_ctx_st *md = rc == 0 ? sha256_begin() : NULL;
    if (rc == 0 && !md) {
        rc = -1;
        err = ENOMEM;
    }
    for (size_t k = 0; k < n_names && rc == 0; k++) {
        char path[4400], file_hex[SHA256_HEX_SIZE];
        unsigned long long bytes;
        snprintf(path, sizeof path, "%s/%s", folder, names[k]);
        if (sha256_file(path, false, file_hex, &bytes) != 0) {
            rc = -1;
            err = errno;
            break;
        }
        sha256_add(md, names[k], strlen(names[k]) + 1);
        sha256_add(md, file_hex, 64);
    }
    if (rc == 0)
        sha256_end(md, hex);
    sha256_free(md);
    for (size_t k = 0; k < n_names; k++)
        free(names[k]);
    free(names);
    *n = (unsigned long)n_names;
    if (rc != 0)
        errno = err;
    return rc;
}

/* ---- cursors ------------------------------------------------------------- */

/* A listing walked in dealer order; its dealer key is its last column. */
struct cursor {
    struct db_stmt *q;
    int           rc;          /* DB_ROW while on a row */
    int           key_col;
};

static int cursor_open(struct db *db, struct cursor *c, const char *sql,
                       struct diag *d, const char *what)
{
    if (db_prepare(db, sql, &c->q, d, what) != 0)
        return -1;
    c->key_col = db_column_count(c->q) - 1;
    c->rc = db_step(c->q, d, what);
    /* A failed first step is the failure (d says it): taken for "no
     * row", the statements went on, and SQLite, out of memory there,
     * had rolled the report's transaction back: the next query said "no
     * such table: unclosed_listing" (fix70). */
    return c->rc < 0 ? -1 : 0;
}

/* <0, 0, >0 as the cursor's dealer sorts before, equal to, after the
 * dealer (SQLite's BINARY collation: bytes, then length); 1 at the end. */
static int cursor_cmp(struct cursor *c, const void *id, size_t len)
{
    if (c->rc != DB_ROW)
        return 1;
    const void *k = db_column_blob(c->q, c->key_col);
    size_t n = db_column_bytes(c->q, c->key_col);
    int cmp = memcmp(k ? k : "", id, n < len ? n : len);
    return cmp ? cmp : (n > len) - (n < len);
}

/* ---- one statement ------------------------------------------------------- */

struct part {
    const char             *sheet;
    const struct sheet_col *cols;
    int                     n_cols;
    int                     id_col, file_col, line_col;   /* for the example */
};

static const struct sheet_col unclosed_cols[] = {
    {"Dispatch ID", SHEET_TEXT, 18},      {"Dispatched", SHEET_DATETIME, 0},
    {"Days open", SHEET_INT, 8},          {"Aging bucket", SHEET_TEXT, 10},
    {"Provider", SHEET_TEXT, 14},         {"Provider name", SHEET_TEXT, 30},
    {"Model", SHEET_TEXT, 16},            {"Serial number", SHEET_TEXT, 18},
    {"Customer", SHEET_TEXT, 40},         {"Closeout attempts", SHEET_INT, 8},
    {"Source file", SHEET_TEXT, 40},      {"Source line", SHEET_LINE, 10},
    {"Source SHA-256", SHEET_TEXT, 14},
};
static const struct sheet_col noncomp_cols[] = {
    {"Dealer", SHEET_TEXT, 12},           {"Dealer name", SHEET_TEXT, 30},
    {"Dispatch ID", SHEET_TEXT, 18},      {"Serial number", SHEET_TEXT, 18},
    {"Submitted", SHEET_DATETIME, 0},     {"Completed", SHEET_DATE, 0},
    {"Labor hours", SHEET_DECIMAL, 8},    {"Reason", SHEET_TEXT, 26},
    {"All reasons", SHEET_TEXT, 64},      {"Detail", SHEET_TEXT, 60},
    {"Source file", SHEET_TEXT, 40},      {"Source line", SHEET_LINE, 10},
    {"New", SHEET_TEXT, 6},               {"Source SHA-256", SHEET_TEXT, 14},
    {"To be paid", SHEET_TEXT, 70},
};
static const struct sheet_col exception_cols[] = {
    {"Dispatch ID", SHEET_TEXT, 18},      {"Dispatched", SHEET_DATETIME, 0},
    {"Serial number", SHEET_TEXT, 18},    {"Provider", SHEET_TEXT, 14},
    {"Provider name", SHEET_TEXT, 30},    {"Exception", SHEET_TEXT, 26},
    {"Detail", SHEET_TEXT, 70},           {"Source file", SHEET_TEXT, 40},
    {"Source line", SHEET_LINE, 10},      {"Source SHA-256", SHEET_TEXT, 14},
};
#define N_OF(a) (int)(sizeof a / sizeof a[0])
#define TO_BE_PAID 14                     /* noncomp_cols' last column */

static const struct part parts[3] = {
    {"Unclosed calls", unclosed_cols, N_OF(unclosed_cols), 0, 10, 11},
    {"Non-compensable", noncomp_cols, N_OF(noncomp_cols), 2, 10, 11},
    {"Registration exceptions", exception_cols, N_OF(exception_cols), 0, 7,
     8},
};

/* The closeout reasons' remedies (code_meaning), read once. */
#define MAX_REMEDIES 16
struct remedies {
    int  n;
    char code[MAX_REMEDIES][40];
    char text[MAX_REMEDIES][256];
};

/* The names written in this run, in lower case: a name is unique only if
 * it is unique ignoring case (Windows shares and macOS volumes ignore
 * it). Open addressing; grown at half full. */
struct names {
    char  **slot;
    size_t  cap, n;
};

static size_t name_hash(const char *s)
{
    size_t h = 1469598103934665603u & (size_t)-1;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static void lower_ascii(const char *s, char *out)
{
    for (; *s; s++)
        *out++ = (*s >= 'A' && *s <= 'Z') ? (char)(*s + 32) : *s;
    *out = '\0';
}

/* 1 if name (lower case) is in the set. */
static int names_has(const struct names *t, const char *name)
{
    if (!t->cap)
        return 0;
    for (size_t i = name_hash(name) & (t->cap - 1); t->slot[i];
         i = (i + 1) & (t->cap - 1))
        if (strcmp(t->slot[i], name) == 0)
            return 1;
    return 0;
}

static int names_add(struct names *t, const char *name)
{
    if (2 * (t->n + 1) > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        char **slot = calloc(cap, sizeof *slot);
        if (!slot)
            return -1;
        for (size_t k = 0; k < t->cap; k++)
            if (t->slot[k]) {
                size_t i = name_hash(t->slot[k]) & (cap - 1);
                while (slot[i])
                    i = (i + 1) & (cap - 1);
                slot[i] = t->slot[k];
            }
        free(t->slot);
        t->slot = slot;
        t->cap = cap;
    }
    size_t i = name_hash(name) & (t->cap - 1);
    while (t->slot[i])
        i = (i + 1) & (t->cap - 1);
    if (!(t->slot[i] = strdup(name)))
        return -1;
    t->n++;
    return 0;
}

static void names_free(struct names *t)
{
    for (size_t k = 0; k < t->cap; k++)
        free(t->slot[k]);
    free(t->slot);
}

struct writer {
    struct names              names;      /* written so far, lower case */
    struct db                *db;
    const struct report_opts *o;
    const char               *dir;        /* the temporary folder */
    struct cursor             dealers, list[3];
    struct remedies           rem;
    char                     *buf;        /* "To be paid" text */
    size_t                    buf_size;
    struct about_example      ex;
    struct report_result     *res;        /* its dealers list */
    unsigned long             rows[3];    /* the statement's, per sheet */
};

/* "CODE: remedy" for each of the closeout's reasons (All reasons, ';'
 * separated), one per line, into w->buf. */
static const char *to_be_paid(struct writer *w, const char *all)
{
    size_t o = 0;
    w->buf[0] = '\0';
    while (*all) {
        size_t n = strcspn(all, ";");
        for (int k = 0; k < w->rem.n; k++)
            if (strlen(w->rem.code[k]) == n &&
                memcmp(w->rem.code[k], all, n) == 0 && o < w->buf_size)
                o += (size_t)snprintf(w->buf + o, w->buf_size - o,
                                      "%s%s: %s", o ? "\n" : "",
                                      w->rem.code[k], w->rem.text[k]);
        all += n + (all[n] == ';');
    }
    return w->buf;
}

static void remember_example(struct writer *w, const struct part *p,
                             struct db_stmt *q)
{
    if (w->ex.dispatch_id || *db_column_text(q, p->id_col) == '\0')
        return;
    about_example_set(&w->ex, db_column_text(q, p->id_col),
                      db_column_text(q, p->file_col),
                      db_column_int64(q, p->line_col));
}

/* The rows of one listing that belong to the dealer (id, len). */
static int write_part(struct writer *w, struct sheet_book *b, int k,
                      const void *id, size_t len, struct diag *d)
{
    const struct part *p = &parts[k];
    struct cursor *c = &w->list[k];
    struct sheet sh;
    if (sheet_open(&sh, b, p->sheet, p->cols, p->n_cols) != 0)
        return -1;
    while (cursor_cmp(c, id, len) < 0)    /* a dealer with no statement */
        c->rc = db_step(c->q, d, p->sheet);
    while (cursor_cmp(c, id, len) == 0) {
        if (sheet_next_row(&sh) != 0)
            return -1;
        unsigned lines = sheet_put_row(&sh, c->q);
        if (k == 1) {
            const char *text = to_be_paid(w, db_column_text(c->q, 8));
            unsigned n = sheet_put_text(&sh, TO_BE_PAID, text, strlen(text));
            if (n > lines)
                sheet_fit_row(b, sh.ws, sh.row, n);
        }
        remember_example(w, p, c->q);
        w->rows[k]++;
        c->rc = db_step(c->q, d, p->sheet);
    }
    if (c->rc < 0)
        return -1;
    return sheet_close(&sh);
}

/* The width of the Summary's column B (the values). */
#define SUMMARY_B 22

/* The Summary, in the dealer's words, from its q_statement_dealers row. */
static void write_summary(struct writer *w, struct sheet_book *b,
                          struct db_stmt *q)
{
    const struct report_opts *o = w->o;
    lxw_worksheet *ws = sheet_add(b, "Summary");
    if (!ws)
        return;
    worksheet_set_column(ws, 0, 0, 62, NULL);
    worksheet_set_column(ws, 1, 1, SUMMARY_B, NULL);
    worksheet_set_column(ws, 2, 3, 20, NULL);
    lxw_row_t row = 0;
    sheet_write_cstr(b, ws, row++, 0, "Dealer statement", b->title);
    sheet_write_cstr(b, ws, row, 0, "Dealer", b->label);
    /* The id and the name wrap in column B, whole: run on over the empty
     * cells beside them, a long name widened the printed page, which
     * fitting it to the paper then shrank unreadably (tests/e2e/t7800). */
    sheet_fit_row(b, ws, row, sheet_write_text_whole(b, ws, row, 1,
                                                     db_column_text(q, 0),
                                                     db_column_bytes(q, 0),
                                                     SUMMARY_B));
    row++;
    sheet_write_cstr(b, ws, row, 0, "Name", b->label);
    const char *name = db_column_text(q, 1);
    sheet_fit_row(b, ws, row, sheet_write_text_whole(b, ws, row, 1, name,
                                                     db_column_bytes(q, 1),
                                                     SUMMARY_B));
    row++;
    sheet_write_cstr(b, ws, row, 0, "As of", b->label);
    sheet_write_date(b, ws, row++, 1, o->as_of_day);
    if (o->has_from) {
        sheet_write_cstr(b, ws, row, 0, "Closeouts and exceptions from",
                         b->label);
        sheet_write_date(b, ws, row++, 1, o->from_day);
    }
    row++;
    sheet_write_cstr(b, ws, row, 0, "Calls dispatched to you that are not "
                     "closed out", b->label);
    sheet_write_number(b, ws, row++, 1, db_column_double(q, 2), NULL);
    if (db_column_type(q, 3) != DB_NULL) {
        char days[96], n_days[48];
        snprintf(days, sizeof days, "dispatched %.10s, open %s",
                 db_column_text(q, 4),
                 sheet_days_text(db_column_int64(q, 5), n_days,
                                 sizeof n_days));
        sheet_write_cstr(b, ws, row, 0, "Your oldest open call", b->label);
        sheet_fit_row(b, ws, row,
                      sheet_write_text_fit(b, ws, row, 1, db_column_text(q, 3),
                                           db_column_bytes(q, 3), SUMMARY_B));
        sheet_write_cstr(b, ws, row++, 2, days, NULL);
    }
    sheet_write_cstr(b, ws, row, 0, "Closeouts that do not qualify for "
                     "labor compensation", b->label);
    sheet_write_number(b, ws, row++, 1, db_column_double(q, 6), NULL);
    sheet_write_cstr(b, ws, row, 0, "Labor hours at stake", b->label);
    sheet_write_number(b, ws, row++, 1, sheet_hours(db_column_double(q, 7)),
                       b->decimal);
    sheet_write_cstr(b, ws, row, 0, "Registration exceptions on calls "
                     "dispatched to you", b->label);
    sheet_write_number(b, ws, row++, 1, db_column_double(q, 8), NULL);
    row++;
    sheet_write_cstr(b, ws, row++, 0, "To be paid: close out every call "
                     "listed on the sheet 'Unclosed calls' with CITS "
                     "(Section 2 of the Service Dispatch Form).", NULL);
    sheet_write_cstr(b, ws, row++, 0, "The sheet 'Non-compensable' lists "
                     "the closeouts that do not qualify, and why, with what "
                     "would make each compensable ('To be paid').", NULL);
    sheet_write_cstr(b, ws, row, 0, "The sheet 'Registration exceptions' "
                     "lists the calls whose registration needs your "
                     "attention in ASCR.", NULL);
}

/* ---- the list of statements (report_result.dealers) ---------------------- */

/* Appends "U N E FILE LEN ID\n" (ID: LEN bytes as stored, which may hold
 * blanks and line breaks but no NUL): the small record the summary lists
 * (README "Dealer statements"), not the dealer's data; bounded by the
 * number of dealers, never by their rows. */
static int list_add(struct report_result *r, const unsigned long rows[3],
                    const char *name, const char *id, size_t len)
{
    size_t need = 4 * 24 + strlen(name) + len + 8;
    if (r->dealers_len + need > r->dealers_cap) {
        size_t cap = r->dealers_cap ? 2 * r->dealers_cap : 4096;
        while (cap < r->dealers_len + need)
            cap *= 2;
        char *grown = realloc(r->dealers, cap);
        if (!grown)
            return -1;
        r->dealers = grown;
        r->dealers_cap = cap;
    }
    char *o = r->dealers + r->dealers_len;
    o += sprintf(o, "%lu %lu %lu %s %zu ", rows[0], rows[1], rows[2], name,
                 len);
    memcpy(o, id, len);
    o += len;
    *o++ = '\n';
    *o = '\0';
    r->dealers_len = (size_t)(o - r->dealers);
    return 0;
}

/* A number and the blank after it at *at; 0, or -1. Not sscanf():
 * glibc's measures the whole string at each call, which made a list of
 * 50,000 dealers quadratic. */
static int list_number(const char **at, unsigned long *v)
{
    char *stop;
    if (**at < '0' || **at > '9')
        return -1;
    *v = strtoul(*at, &stop, 10);
    if (*stop != ' ')
        return -1;
    *at = stop + 1;
    return 0;
}

int statements_each(const char *list,
                    int (*fn)(void *arg, const struct statement_entry *e),
                    void *arg)
{
    int rc = 0;
    while (list && *list && rc == 0) {
        const char *at = list, *sp;
        struct statement_entry e;
        unsigned long len;
        if (list_number(&at, &e.rows[0]) != 0 ||
            list_number(&at, &e.rows[1]) != 0 ||
            list_number(&at, &e.rows[2]) != 0 ||
            !(sp = strchr(at, ' ')) || sp == at ||
            (size_t)(sp - at) >= sizeof e.file)
            return -1;
        memcpy(e.file, at, (size_t)(sp - at));
        e.file[sp - at] = '\0';
        at = sp + 1;
        if (list_number(&at, &len) != 0 || strnlen(at, len) != len ||
            at[len] != '\n')
            return -1;
        e.id = at;
        e.id_len = len;
        rc = fn(arg, &e);
        list = at + len + 1;
    }
    return rc;
}

static int count_one(void *arg, const struct statement_entry *e)
{
    (void)e;
    ++*(unsigned long *)arg;
    return 0;
}

long statements_count(const char *list)
{
    unsigned long n = 0;
    if (statements_each(list, count_one, &n) != 0)
        return -1;
    return (long)n;
}

/* Opens DEALER.xlsx (its name free in the folder) and fills it. */
static int write_statement(struct writer *w, struct diag *d)
{
    struct db_stmt *q = w->dealers.q;
    const char *id = (const char *)db_column_blob(q, 0);
    size_t len = db_column_bytes(q, 0);
    char name[256], lower[256], path[4400], title[200];
    id = id ? id : "";
    statements_file_name(id, len, 0, name);
    lower_ascii(name, lower);
    /* "ab" after "AB" (BINARY order: upper case first): "ab~HASH.xlsx",
     * not a second "ab.xlsx" that a Windows share or a Mac would write
     * over "AB.xlsx" (tests/e2e/t9980). */
    if (names_has(&w->names, lower)) {
        statements_file_name(id, len, 1, name);
        lower_ascii(name, lower);
    }
    if (names_add(&w->names, lower) != 0)
        return diag_set(d, EX_SOFTWARE, NULL, 0, "out of memory");
    snprintf(path, sizeof path, "%s/%s", w->dir, name);
    struct sheet_book b;
    int rc = sheet_book_open(&b, path, w->o->tmp_dir ? w->o->tmp_dir
                                                     : w->o->out_dir,
                             "Dealer statement",
                             w->o->as_of, w->o->as_of_day, w->o->version);
    if (rc != 0 && !b.wb)
        return diag_set(d, EX_SOFTWARE, path, 0, "cannot create: out of "
                        "memory");
    /* The page header names the dealer (cut, '&' doubled); the document
     * properties do not (feed text has no place there). */
    snprintf(title, sizeof title, "Statement for %s", db_column_text(q, 0));
    sheet_book_set_title(&b, title, w->o->as_of);
    about_example_release(&w->ex);
    memset(w->rows, 0, sizeof w->rows);
    write_summary(w, &b, q);
    for (int k = 0; k < 3 && rc == 0; k++)
        rc = write_part(w, &b, k, id, len, d);
    if (rc == 0)
        rc = about_write(w->db, &b, w->o, ABOUT_STATEMENT, name,
                         db_column_text(q, 0), &w->ex, d);
    /* Closed and read back like every workbook (sheet_book_close). */
    char bad[300] = "";
    int closed = sheet_book_close(&b, path, bad, sizeof bad);
    if (rc != 0 && d->exit_code != 0)
        return -1;                        /* the database's trouble */
    if (rc != 0 || closed != 0) {
        unlink(path);
        lxw_error err = b.err != LXW_NO_ERROR ? b.err
                        : bad[0] ? LXW_NO_ERROR : LXW_ERROR_CREATING_XLSX_FILE;
        int e = b.err_errno;
        bool oom = e == ENOMEM || err == LXW_ERROR_MEMORY_MALLOC_FAILED;
        /* libxlsxwriter's words without their full stop, the system's
         * reason when known, and what to do (as reports/report.c's
         * book_close(): a full disk is the usual cause). */
        if (oom)
            return diag_set(d, EX_SOFTWARE, NULL, 0, "out of memory writing "
                            "%s; %s", path, SHEET_OOM_TO_DO);
        char why[sizeof bad + 64];
        if (err)
            sheet_lxw_reason(err, e, why, sizeof why);
        else
            snprintf(why, sizeof why, "%s", bad);
        return diag_set(d, oom ? EX_SOFTWARE : EX_CANTCREAT, path, 0,
                        "cannot create: %s%s%s%s", why, e ? ": " : "",
                        e ? strerror(e) : "", oom ? "" :
                        e == EIO || (!e && b.io_errno == EIO) ?
                        "; " SHEET_EIO_TO_DO :
                        e && e != ENOSPC && e != EDQUOT ?
                        "; give --out a folder this user can create and "
                        "write in, then run again (the files already "
                        "imported are kept)" :
                        e ? "; free space on the output folder's disk, then "
                        "run again (the files already imported are kept)" :
                        "; the file was removed: is the disk full? free "
                        "space on the output folder's disk, then run again "
                        "(the files already imported are kept)");
    }
    if (list_add(w->res, w->rows, name, id, len) != 0)
        return diag_set(d, EX_SOFTWARE, NULL, 0, "out of memory");
    return 0;
}

static int read_remedies(struct db *db, struct remedies *r, struct diag *d)
{
    struct db_stmt *q;
    int rc;
    r->n = 0;
    if (db_prepare(db, sql_q_about_codes, &q, d, "remedies") != 0)
        return -1;
    db_set_text(q, ":family", "reason", 6);
    while ((rc = db_step(q, d, "remedies")) == DB_ROW &&
           r->n < MAX_REMEDIES) {
        snprintf(r->code[r->n], sizeof r->code[0], "%s", db_column_text(q, 0));
        snprintf(r->text[r->n], sizeof r->text[0], "%s", db_column_text(q, 2));
        r->n++;
    }
    db_finalize(q);
    if (rc < 0)
        return -1;
    return 0;
}

/* Writes every statement into w->dir. */
static int write_all(struct writer *w, unsigned long *n, struct diag *d)
{
    const char *const sql[3] = {sql_q_statement_unclosed,
                                sql_q_statement_noncomp,
                                sql_q_statement_exceptions};
    if (read_remedies(w->db, &w->rem, d) != 0 ||
        cursor_open(w->db, &w->dealers, sql_q_statement_dealers, d,
                    "statement dealers") != 0)
        return -1;
    for (int k = 0; k < 3; k++)
        if (cursor_open(w->db, &w->list[k], sql[k], d, parts[k].sheet) != 0)
            return -1;
    while (w->dealers.rc == DB_ROW) {
        if (write_statement(w, d) != 0)
            return -1;
        ++*n;
        w->dealers.rc = db_step(w->dealers.q, d, "statement dealers");
    }
    if (w->dealers.rc != DB_DONE)
        return -1;
    return 0;
}

/* Puts the finished folder tmp in place of folder. The earlier
 * statements were set aside, as a rule, before the first workbook was
 * renamed into place (statements_set_aside()); if not, they are now. They
 * are removed either way, never put back: they are of other data than
 * the workbooks now in place (tests/e2e/t8700). */
static int replace_folder(const char *tmp, const char *folder,
                          const struct report_opts *o, struct diag *d)
{
    char old[4400];
    aside_path(o, old, sizeof old);
    if (rename(folder, old) != 0 && errno != ENOENT)
        return diag_set(d, EX_CANTCREAT, folder, 0, "cannot move the "
                        "earlier statements aside: %s", strerror(errno));
    report_remove_folder(old);
    report_sync_folder(tmp);          /* its files' names, then its own */
    if (rename(tmp, folder) != 0)
        return diag_set(d, EX_CANTCREAT, folder, 0, "cannot rename '%s' "
                        "into place: %s", tmp, strerror(errno));
    report_sync_folder(o->out_dir);
    return 0;
}

int statements_write(struct db *db, const struct report_opts *o,
                     struct report_result *res, struct diag *d)
{
    char tmp[4400], *folder = res->statements_dir;
    unsigned long *n = &res->n_statements;
    *n = 0;
    res->dealers_len = 0;
    if (res->dealers)
        res->dealers[0] = '\0';
    if (statements_folder(o, folder, 4096) != 0)
        return diag_set(d, EX_CANTCREAT, o->out_dir, 0, "output path too "
                        "long");
    work_path(o, "tmp", tmp, sizeof tmp);
    statements_remove_stale(o->out_dir);
    report_remove_folder(tmp);                   /* ours, from an earlier call */
    if (mkdir(tmp, 0777) != 0)
        return diag_set(d, EX_CANTCREAT, tmp, 0, "cannot create folder: %s",
                        strerror(errno));
    test_pause("statements", 10);       /* tests/e2e/t9986: a run elsewhere */
    struct writer w = {.db = db, .o = o, .dir = tmp, .buf_size = 4096,
                       .res = res};
    w.buf = malloc(w.buf_size);
    int rc = w.buf ? write_all(&w, n, d)
                   : diag_set(d, EX_SOFTWARE, NULL, 0, "out of memory");
    db_finalize(w.dealers.q);
    for (int k = 0; k < 3; k++)
        db_finalize(w.list[k].q);
    about_example_release(&w.ex);
    names_free(&w.names);
    free(w.buf);
    if (rc == 0)
        rc = replace_folder(tmp, folder, o, d);
    if (rc != 0) {
        report_remove_folder(tmp);
        res->dealers_len = 0;             /* none of them is in place */
        if (res->dealers)
            res->dealers[0] = '\0';
    } else if (!o->quiet) {
        char shown[UTF8_PATH_SHOWN];
        fprintf(stderr, "svcrecon: wrote %lu dealer statement%s in %s\n", *n,
                *n == 1 ? "" : "s",
                utf8_show_path(folder, shown, sizeof shown));
    }
    return rc;
}
