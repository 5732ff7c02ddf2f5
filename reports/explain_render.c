/* explain_render.c -- how `svcrecon explain` says a fact: as text for a
 * terminal or as JSON (through lib/json, the one JSON writer). A story's
 * facts are stated once, as tables of struct fact (explain_int.h), and
 * ex_put_facts() renders a table in the document's form. Feed text is
 * untrusted: in text it is quoted with control bytes and bad UTF-8
 * escaped (\xNN), in JSON escaped to valid UTF-8 by lib/json. Knows no
 * statement and no story; explain.c and explain_source.c tell those. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "lib/diag.h"
#include "lib/json.h"
#include "lib/utf8.h"
#include "reports/explain_int.h"

bool ex_is_null(struct db_stmt *st, int col)
{
    return db_column_type(st, col) == DB_NULL;
}

/* ---- text --------------------------------------------------------------- */

/* (s, len) for a terminal: control bytes, DEL and bad UTF-8 as \xNN, a
 * backslash doubled (utf8_show's rendering, streamed and never cut); C1
 * controls (U+0080-U+009F, which some terminals obey) as their two bytes
 * \xC2\xNN, and bidi controls (U+202E...) as their bytes. quoted: the
 * text goes between '...', and a ' in it is \x27 (technician 'O\x27Brien',
 * not 'O'Brien', which reads as a value that ends after the O). */
static void t_text(FILE *f, const char *s, size_t len, bool quoted)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t n = utf8_seq_len(p + i, len - i);
        if (p[i] == '\\') {
            fputs("\\\\", f);
            n = 1;
        } else if (quoted && p[i] == '\'') {
            fputs("\\x27", f);
            n = 1;
        } else if (n == 0 || p[i] < 0x20 || p[i] == 0x7F ||
                   (n == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0) ||
                   utf8_bidi_control(p + i, n)) {
            fprintf(f, "\\x%02X", p[i]);
            n = 1;                  /* a C1's second byte: escaped next */
        } else {
            fwrite(p + i, 1, n, f);
        }
        i += n;
    }
}

void ex_t_text(FILE *f, const char *s, size_t len)
{
    t_text(f, s, len, false);
}

void ex_t_qtext(FILE *f, const char *s, size_t len)
{
    t_text(f, s, len, true);
}

/* A file's name or path as it was stored (etl/load.c set_stored_text: a
 * name that is not UTF-8 is kept as shown, `\xFF`): as is when it is UTF-8
 * without a control character -- so explain names a file as the run's
 * messages and the workbooks do, and its `explain --source 'NAME:LINE'`
 * hint can be pasted back -- else as ex_t_text renders it (a name with a
 * newline or an escape must not reach the terminal raw). Doubling the
 * backslash of a kept `\xFF` showed `\\xFF`, a name no other output used
 * (qa36). utf8_show_path's rule (utf8_plain), for a counted string. */
void ex_t_name(FILE *f, const char *s, size_t len)
{
    if (utf8_plain(s, len))
        fwrite(s, 1, len, f);
    else
        ex_t_text(f, s, len);
}

/* ex_t_name for a name between '...' (file '...', explain --source
 * '...'): a ' in it as \x27, as in a quoted value (fix63); the rest as
 * ex_t_name prints it. ex_t_unname takes either form back. */
void ex_t_qname(FILE *f, const char *s, size_t len)
{
    if (!utf8_plain(s, len)) {
        ex_t_qtext(f, s, len);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\'')
            fputs("\\x27", f);
        else
            fputc(s[i], f);
    }
}

/* How a name is printed: as ex_t_name (plain), ex_t_qname (quoted), or
 * always escaped (ex_t_text: utf8_show's rendering, which messages used
 * for names before fix63: `c\\o.csv` for c\o.csv). */
enum name_form { NAME_PLAIN, NAME_QUOTED, NAME_ESCAPED };

static void put_name(FILE *f, const char *s, size_t len, enum name_form form)
{
    if (form == NAME_PLAIN)
        ex_t_name(f, s, len);
    else if (form == NAME_QUOTED)
        ex_t_qname(f, s, len);
    else
        ex_t_text(f, s, len);
}

/* A name for a message on stderr, as explain prints it on stdout
 * (ex_t_name, or ex_t_qname when the message quotes it): `explain
 * --source` takes back the FILE:LINE a message names (fix63). utf8_show
 * doubled the backslash of a printable name, a name --source did not
 * find, and cut it at 60 characters. Cut here (with "...") only when it
 * does not fit in out. */
void ex_name_show(const char *s, size_t len, bool quoted, char *out,
                  size_t size)
{
    char *text = NULL;
    size_t text_len = 0;
    FILE *f = size ? open_memstream(&text, &text_len) : NULL;
    if (f) {
        put_name(f, s, len, quoted ? NAME_QUOTED : NAME_PLAIN);
        if (fclose(f) == 0 && text_len < size) {
            memcpy(out, text, text_len + 1);
            free(text);
            return;
        }
    }
    free(text);
    if (quoted)
        ex_qshow(s, len, out, size);
    else
        ex_show(s, len, out, size);
}

/* The name ex_t_name printed as (s, len), when that is a name other than
 * s itself: the printed form decoded (\\ a backslash, \xNN with upper-case
 * hex a byte, as ex_t_text writes them) and kept only when ex_t_name
 * prints it back as exactly s -- so `explain --source` takes back the
 * FILE:LINE explain printed for a name with a newline (qa59) -- or
 * ex_t_qname does (a name with a ' printed between quotes, `explain
 * --source 'a\x27b.csv:2'`), or ex_t_text (the backslash of a printable
 * name doubled, as messages printed names before fix63). A name
 * ex_t_name prints as is (a kept `\xFF`, a literal `\x0A`) is s itself:
 * NULL then, as for anything else (a lone backslash, \x0a, \x41, NUL).
 * Malloc'd, *out_len its length; NULL also when out of memory. */
/* (s, len) decoded into name (*n bytes): every \\ and \xNN (upper-case
 * hex, not 00) when all, else only \x27 (ex_t_qname of a printable name
 * keeps its other backslashes as they are). false when nothing was
 * decoded, or (all) when a backslash starts no escape. */
static bool unescape(const char *s, size_t len, bool all, char *name,
                     size_t *n)
{
    static const char hex[] = "0123456789ABCDEF";
    bool escaped = false;
    *n = 0;
    for (size_t i = 0; i < len; i++) {
        const char *hi, *lo;
        if (s[i] != '\\') {
            name[(*n)++] = s[i];
        } else if (!all) {
            if (i + 3 < len && memcmp(s + i, "\\x27", 4) == 0) {
                name[(*n)++] = '\'';
                i += 3;
                escaped = true;
            } else {
                name[(*n)++] = s[i];
            }
        } else if (i + 1 < len && s[i + 1] == '\\') {
            name[(*n)++] = '\\';
            i++;
            escaped = true;
        } else if (i + 3 < len && s[i + 1] == 'x' && s[i + 2] &&
                   s[i + 3] && (hi = strchr(hex, s[i + 2])) &&
                   (lo = strchr(hex, s[i + 3])) && (hi != hex || lo != hex)) {
            name[(*n)++] = (char)((hi - hex) * 16 + (lo - hex));
            i += 3;
            escaped = true;
        } else {
            return false;
        }
    }
    return escaped;
}

/* True when put_name prints (name, n) in form as exactly (s, len). */
static bool printed_as(const char *name, size_t n, enum name_form form,
                       const char *s, size_t len)
{
    char *back = NULL;
    size_t back_len = 0;
    FILE *f = open_memstream(&back, &back_len);
    if (!f)
        return false;
    put_name(f, name, n, form);
    bool same = fclose(f) == 0 && back_len == len &&
                memcmp(back, s, len) == 0;
    free(back);
    return same;
}

char *ex_t_unname(const char *s, size_t len, size_t *out_len)
{
    char *name = malloc(len + 1);
    size_t n;
    if (name &&
        ((unescape(s, len, true, name, &n) &&
          (printed_as(name, n, NAME_PLAIN, s, len) ||
           printed_as(name, n, NAME_QUOTED, s, len) ||
           printed_as(name, n, NAME_ESCAPED, s, len))) ||
         (unescape(s, len, false, name, &n) &&
          printed_as(name, n, NAME_QUOTED, s, len)))) {
        name[n] = '\0';
        *out_len = n;
        return name;
    }
    free(name);
    return NULL;
}

/* A feed value in quotes: 'IL0733', '' when blank. */
void ex_t_q(struct ex *x, struct db_stmt *st, int col)
{
    const char *s = db_column_text(st, col);
    fputc('\'', x->f);
    if (s)
        ex_t_qtext(x->f, s, db_column_bytes(st, col));
    fputc('\'', x->f);
}

/* A date or number as is; "(blank)" for NULL. */
void ex_t_v(struct ex *x, struct db_stmt *st, int col)
{
    if (ex_is_null(st, col)) {
        fputs("(blank)", x->f);
        return;
    }
    if (db_column_type(st, col) == DB_FLOAT) {
        /* As a plain decimal, the only form the feeds take (README
         * "Decisions": no exponent): %.15g wrote labor hours 0.0000001
         * as "1e-07" (qa29). Small values get the places their 15
         * significant digits need, trailing zeros dropped. */
        char num[64];
        double v = db_column_double(st, col);
        snprintf(num, sizeof num, "%.15g", v);
        if (strchr(num, 'e') && v != 0 && fabs(v) < 1) {
            int places = 14 - (int)floor(log10(fabs(v)));
            if (places > 45)
                places = 45;
            snprintf(num, sizeof num, "%.*f", places, v);
            size_t n = strlen(num);
            while (n > 0 && num[n - 1] == '0')
                num[--n] = '\0';
        }
        fputs(num, x->f);
        return;
    }
    const char *s = db_column_text(st, col);
    ex_t_text(x->f, s ? s : "", db_column_bytes(st, col));
}

/* Which column tells the delivery of a FILE:LINE (qa19): the statement
 * and its file column, and the *_TAG column beside them. */
static const struct { int q, file_col, tag_col; } loc_tags[] = {
    {Q_VERSIONS,  V_FILE,     V_FILE_TAG},
    {Q_STANDING,  S_ACC_FILE, S_ACC_TAG},
    {Q_STANDING,  S_FILE,     S_FILE_TAG},
    {Q_REGS,      R_FILE,     R_FILE_TAG},
    {Q_REGS,      R_SUP_FILE, R_SUP_TAG},
    {Q_CLOSEOUTS, C_FILE,     C_FILE_TAG},
    {Q_CLOSEOUTS, C_SUP_FILE, C_SUP_TAG},
    {Q_SERIAL,    SD_FILE,    SD_FILE_TAG},
};

/* The first twelve digits of the SHA-256 of the file of the location in
 * st's file_col when another imported file has the same base name, else
 * NULL: "closeouts.csv:2 superseded by closeouts.csv:2" told an auditor
 * nothing when the inbox's files are named the same every night; the
 * digits are those of the workbooks' Source SHA-256. */
static const char *loc_tag(struct ex *x, struct db_stmt *st, int file_col)
{
    for (size_t i = 0; i < sizeof loc_tags / sizeof loc_tags[0]; i++) {
        int tag = loc_tags[i].tag_col;
        if (x->q[loc_tags[i].q] != st || loc_tags[i].file_col != file_col)
            continue;
        if (!ex_is_null(st, file_col) && !ex_is_null(st, tag))
            return db_column_text(st, tag);
        break;
    }
    return NULL;
}

/* FILE:LINE, and " (SHA-256 0123456789ab)" when loc_tag has digits. */
void ex_t_loc(struct ex *x, struct db_stmt *st, int file_col, int line_col)
{
    const char *name = db_column_text(st, file_col);
    if (name)
        ex_t_name(x->f, name, (size_t)db_column_bytes(st, file_col));
    else
        fputs("(blank)", x->f);
    fprintf(x->f, ":%lld", (long long)db_column_int64(st, line_col));
    const char *tag = loc_tag(x, st, file_col);
    if (tag)
        fprintf(x->f, " (SHA-256 %s)", tag);
}

/* A rejected row is delivered with its file: when no report was recorded
 * since that delivery, the next report's audit lists it. */
void ex_t_rejected_audit(FILE *f, struct db_stmt *st, int col)
{
    fputs("listed under Rejected rows in ", f);
    if (ex_is_null(st, col))
        fputs("the next report's audit workbook (no report recorded since "
              "its file was delivered)", f);
    else
        fprintf(f, "audit_%s.xlsx", db_column_text(st, col));
}

/* JSON's "file" and "line", and "sha256_12" when the text would give the
 * digits (qa26: a story of two closeouts "closeouts.csv" line 2, one of
 * them accepted, said which only in text). */
static void j_file_line(struct ex *x, struct db_stmt *st, int file_col)
{
    ex_j_col(x, "file", st, file_col);
    ex_j_col(x, "line", st, file_col + 1);
    const char *tag = loc_tag(x, st, file_col);
    if (tag)
        json_str(&x->j, "sha256_12", tag);
}

/* The first line of an item; the row --source named is marked "=>". */
static void t_item(struct ex *x, bool marked)
{
    fputs(marked ? "=> " : "   ", x->f);
}

/* ---- JSON --------------------------------------------------------------- */

/* A column as its own JSON type: NULL, integer, number or string. */
void ex_j_col(struct ex *x, const char *key, struct db_stmt *st, int col)
{
    switch (db_column_type(st, col)) {
    case DB_NULL:
        json_null(&x->j, key);
        break;
    case DB_INTEGER:
        json_int(&x->j, key, (long long)db_column_int64(st, col));
        break;
    case DB_FLOAT:
        /* Feed numbers are short decimals; 15 digits give them back as
         * written (1.5, not 1.50000000000000000). */
        json_num(&x->j, key, db_column_double(st, col), 15);
        break;
    default: {
        const char *s = db_column_text(st, col);
        json_strn(&x->j, key, s ? s : "",
                  db_column_bytes(st, col));
    }
    }
}

/* {"file": …, "line": …}, or null when the file column is NULL. */
static void j_loc(struct ex *x, const char *key, struct db_stmt *st,
                  int file_col)
{
    if (ex_is_null(st, file_col)) {
        json_null(&x->j, key);
        return;
    }
    json_open(&x->j, key, '{');
    j_file_line(x, st, file_col);
    json_close(&x->j, '}');
}

/* The bytes of (p, len) in base64, as a JSON string member. */
int ex_j_base64(struct ex *x, const char *key, const unsigned char *p,
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

static void json_fact(struct ex *x, struct db_stmt *st, const struct fact *f)
{
    switch (f->form) {
    case FACT_VALUE:
    case FACT_QUOTED:
    case FACT_NAME:
        ex_j_col(x, f->key, st, f->col);
        break;
    case FACT_YES_NO:
        if (ex_is_null(st, f->col))
            json_null(&x->j, f->key);
        else
            json_bool(&x->j, f->key, (int)db_column_int64(st, f->col) != 0);
        break;
    case FACT_FILE_LINE:
        j_file_line(x, st, f->col);
        break;
    case FACT_LOC:
        j_loc(x, f->key, st, f->col);
        break;
    }
}

static void text_fact(struct ex *x, struct db_stmt *st, const struct fact *f)
{
    if (f->if_null && ex_is_null(st, f->col)) {
        fputs(f->if_null, x->f);
        return;
    }
    fputs(f->text, x->f);
    switch (f->form) {
    case FACT_VALUE:
        ex_t_v(x, st, f->col);
        break;
    case FACT_QUOTED:
        ex_t_q(x, st, f->col);
        break;
    case FACT_NAME:
        fputc('\'', x->f);
        ex_t_qname(x->f, db_column_text(st, f->col) ? db_column_text(st, f->col)
                   : "", (size_t)db_column_bytes(st, f->col));
        fputc('\'', x->f);
        break;
    case FACT_YES_NO:
        fputs((int)db_column_int64(st, f->col) ? "yes" : "no", x->f);
        break;
    case FACT_FILE_LINE:
    case FACT_LOC:
        ex_t_loc(x, st, f->col, f->col + 1);
        break;
    }
}

/* The facts of table t read from st's current row, in the document's
 * form; a fact without words (or without a key) belongs to one form only. */
void ex_put_facts(struct ex *x, struct db_stmt *st, const struct fact *t,
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
void ex_open_row(struct ex *x, struct db_stmt *st, int file_col,
                     const char *key, bool marked)
{
    const struct fact where = {"file", file_col, FACT_FILE_LINE, "", NULL};
    if (x->json)
        json_open(&x->j, key, '{');
    else
        t_item(x, marked);
    ex_put_facts(x, st, &where, 1);
}

/* A row's end: "source" (the row --source named) in JSON, a line end in
 * text. */
void ex_close_row(struct ex *x, bool marked)
{
    if (x->json) {
        json_bool(&x->j, "source", marked);
        json_close(&x->j, '}');
    } else {
        fputc('\n', x->f);
    }
}

/* Untrusted text for a message on stderr. */
void ex_show(const char *s, size_t len, char *out, size_t size)
{
    utf8_show(s, len, 60, out, size);
}

/* The same for a message's '...': a ' in it as \x27, as in the story
 * (utf8_qshow, as import's rejection reasons quote values). */
void ex_qshow(const char *s, size_t len, char *out, size_t size)
{
    utf8_qshow(s, len, 60, out, size);
}

void ex_qshow_id(const char *s, size_t len, char *out, size_t size)
{
    /* characters as utf8_show counts them: a bad byte is one */
    const unsigned char *p = (const unsigned char *)s;
    size_t chars = 0;
    for (size_t i = 0; i < len; chars++) {
        size_t n = utf8_seq_len(p + i, len - i);
        i += n ? n : 1;
    }
    if (chars <= 60) {
        char shown[4 * 60 + 4];
        utf8_qshow(s, len, 60, shown, sizeof shown);
        snprintf(out, size, "'%s'", shown);
        return;
    }
    size_t tail = 0;                    /* where the last 16 start */
    for (size_t i = 0, c = 0; i < len; c++) {
        if (c == chars - 16)
            tail = i;
        size_t n = utf8_seq_len(p + i, len - i);
        i += n ? n : 1;
    }
    char head[4 * 40 + 4], end[4 * 16 + 4];
    utf8_qshow(s, len, 40, head, sizeof head);  /* ends with "..." */
    utf8_qshow(s + tail, len - tail, 16, end, sizeof end);
    snprintf(out, size, "'%s%s' (%zu bytes)", head, end, len);
}

/* Appends to msg (of size) what fmt says; cut at the end of msg. */
void ex_add(char *msg, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ex_add(char *msg, size_t size, const char *fmt, ...)
{
    size_t used = strlen(msg);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + used, size - used, fmt, ap);
    va_end(ap);
}

/* DISPATCH_ID was never imported: say so (65), and name the closeouts
 * that name it, if any (a mistyped id on a form is a common story). */
