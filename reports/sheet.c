/* sheet.c -- the shared sheet writer: formats, listings, typed cells, and
 * the sanitizer every text cell passes through (SPEC §4, STYLE §10).
 *
 * Knows nothing of the reports: a listing is a list of columns and a
 * stepped SQLite statement whose columns come in the same order. The
 * workbook's lifecycle (temporary name, properties, close, rename) is
 * report.c's.
 *
 * Decisions about text, checked against the libxlsxwriter 1.1.4 source
 * (Debian's) and against openpyxl 3.0.9 and LibreOffice 7.4 on files it
 * wrote:
 *
 * - In constant_memory mode worksheet_write_string() writes an inline
 *   string (<is><t>..</t></is>). Before that it passes the text through
 *   lxw_escape_control_characters(), which turns U+0001..U+0008, U+000B,
 *   U+000C and U+000E..U+001F into the OOXML escape _xHHHH_ (the only way
 *   XML 1.0 can carry them; TAB and LF pass as they are). We leave those
 *   control characters to it: Excel and LibreOffice decode the escape and
 *   read the original character back; openpyxl 3.0.9 does not decode
 *   escapes and reads the 7-character escape, which is as close as any
 *   XML reader without decoding can get. CR is not left to it: SPEC §4
 *   writes line breaks as LF, so CR LF and a lone CR become LF here.
 *
 * - libxlsxwriter does not escape an underscore, so feed text that merely
 *   looks like an escape ("_x0041_") would reach Excel as "A". Escaping
 *   the underscore as _x005F_ fixes Excel and LibreOffice (LibreOffice
 *   decodes _x005F_ and control-character escapes, not _x0041_) but
 *   openpyxl then reads "_x005F_x0041_". Instead such a value is written
 *   as a rich string (worksheet_write_rich_string(), also an inline string
 *   that can never be a formula) cut into runs right after each
 *   underscore that starts an escape-like sequence: a reader decodes
 *   escapes within one run's <t>, no run holds a whole "_xHHHH_", and
 *   the runs concatenate back to the value. openpyxl, LibreOffice and
 *   Excel all read it back verbatim (verified for the first two).
 *
 * - libxlsxwriter checks no UTF-8 and copies bytes as they are; a bad
 *   byte, a NUL (it would end the C string) and U+FFFE/U+FFFF (valid
 *   UTF-8, but not XML characters: openpyxl refuses the whole sheet) are
 *   written visibly as \xNN per byte. Raw records of rejected rows are the
 *   usual source; loaded values are valid UTF-8 already.
 *
 * - A value longer than 32,767 characters (Excel's cell limit, counted in
 *   UTF-16 code units; libxlsxwriter refuses the cell otherwise) is cut
 *   with a visible marker naming its full size; the cut is counted and
 *   the database keeps the value whole. For a rich string libxlsxwriter
 *   counts the run markup too, so the budget is smaller there.
 *
 * - Text cells carry the text number format "@", so that a user editing
 *   one in Excel or LibreOffice keeps text (typing "=1+1" there stays
 *   text); libxlsxwriter 1.1.6 and later also get the quote prefix, which
 *   1.1.4 cannot write. */
#include "reports/sheet.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/db.h"
#include "lib/parse.h"
#include "lib/utf8.h"
#include "reports/lxw_mute.h"
#include "reports/lxw_tmp.h"

/* Markup libxlsxwriter adds per rich-string run (<r>, the default <rPr>,
 * <t xml:space="preserve">), counted against its 32,767 limit; generous. */
#define RUN_COST   160
#define MAX_RUNS   (SHEET_MAX_CHARS / RUN_COST + 2)
/* Room kept for the cut marker, in characters. */
#define MARK_ROOM  128
/* Output bytes: at most 3 bytes per counted unit, plus one piece and the
 * marker. */
#define TEXT_BYTES (3 * SHEET_MAX_CHARS + 512)
#define PROGRESS_EVERY 8192

void sheet_check(struct sheet_book *b, lxw_error err, const char *what)
{
    if (err != LXW_NO_ERROR && b->err == LXW_NO_ERROR) {
        b->err = err;
        b->err_what = what;
        b->err_errno = err == LXW_ERROR_CREATING_TMPFILE ? errno : 0;
    }
}

lxw_format *sheet_new_format(struct sheet_book *b)
{
    lxw_format *f = workbook_add_format(b->wb);
    if (!f)
        sheet_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED, "adding formats");
    return f;
}

int sheet_book_init(struct sheet_book *b)
{
    b->io_failures = lxw_tmp_failures(NULL);
    b->txt.buf = malloc(TEXT_BYTES);
    b->txt.runs = malloc(TEXT_BYTES + MAX_RUNS);
    b->txt.split = malloc(MAX_RUNS * sizeof *b->txt.split);
    b->txt.tuple = malloc((MAX_RUNS + 1) * sizeof *b->txt.tuple);
    b->txt.tuple_ptr = malloc((MAX_RUNS + 2) * sizeof *b->txt.tuple_ptr);
    if (!b->txt.buf || !b->txt.runs || !b->txt.split || !b->txt.tuple ||
        !b->txt.tuple_ptr) {
        sheet_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED, "allocating");
        return -1;
    }
    lxw_format **all[] = {&b->title, &b->label, &b->header, &b->text,
                          &b->text_wrap, &b->date, &b->datetime, &b->count,
                          &b->decimal, &b->total, &b->total_decimal,
                          &b->wrap, &b->header_num, &b->plain, &b->line};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!(*all[i] = sheet_new_format(b)))
            return -1;
    format_set_bold(b->title);
    format_set_font_size(b->title, 14);
    format_set_bold(b->label);
    format_set_align(b->label, LXW_ALIGN_VERTICAL_TOP);
    format_set_bold(b->header);
    format_set_bottom(b->header, LXW_BORDER_THIN);
    format_set_bg_color(b->header, 0xDDEBF7);
    format_set_indent(b->header, 1);   /* apart from a number header */
    format_set_bold(b->header_num);
    format_set_bottom(b->header_num, LXW_BORDER_THIN);
    format_set_bg_color(b->header_num, 0xDDEBF7);
    format_set_align(b->header_num, LXW_ALIGN_RIGHT);
    /* Reading aids (SPEC §4): text and dates sit one indent from the left
     * border, so that a right-aligned number before them never reads as
     * one value with them ("108" + "91+"); numbers keep the right border.
     * Every cell hangs from the top of a row made tall by a wrapped one. */
    lxw_format *const indented[] = {b->text, b->text_wrap, b->date,
                                    b->datetime, b->plain, b->wrap};
    for (size_t k = 0; k < sizeof indented / sizeof indented[0]; k++) {
        format_set_align(indented[k], LXW_ALIGN_LEFT);
        format_set_indent(indented[k], 1);
        format_set_align(indented[k], LXW_ALIGN_VERTICAL_TOP);
    }
    format_set_num_format(b->text, "@");
    format_set_num_format(b->text_wrap, "@");
    format_set_text_wrap(b->text_wrap);
#if LXW_VERSION_ID >= 116
    format_set_quote_prefix(b->text);
    format_set_quote_prefix(b->text_wrap);
#endif
    format_set_num_format(b->date, "yyyy-mm-dd");
    format_set_num_format(b->datetime, "yyyy-mm-dd hh:mm:ss");
    format_set_num_format(b->count, "#,##0");
    format_set_align(b->count, LXW_ALIGN_VERTICAL_TOP);
    format_set_num_format(b->line, "0");
    format_set_align(b->line, LXW_ALIGN_VERTICAL_TOP);
    format_set_num_format(b->decimal, "#,##0.00");
    format_set_align(b->decimal, LXW_ALIGN_VERTICAL_TOP);
    format_set_bold(b->total);
    format_set_top(b->total, LXW_BORDER_THIN);
    format_set_num_format(b->total, "#,##0");
    format_set_bold(b->total_decimal);
    format_set_top(b->total_decimal, LXW_BORDER_THIN);
    format_set_num_format(b->total_decimal, "#,##0.00");
    format_set_text_wrap(b->wrap);
    format_set_align(b->wrap, LXW_ALIGN_VERTICAL_TOP);
    return 0;
}

int sheet_book_open(struct sheet_book *b, const char *path,
                    const char *tmpdir, const char *title, const char *as_of,
                    int32_t as_of_day, const char *version)
{
    char doc_title[160], comments[128];
    lxw_workbook_options wo = {.constant_memory = LXW_TRUE,
                               .tmpdir = (char *)tmpdir};
    memset(b, 0, sizeof *b);
    b->wb = workbook_new_opt(path, &wo);
    if (!b->wb)
        return -1;
    /* created: the as-of date at 00:00 UTC, from the day number alone
     * (libxlsxwriter formats it with gmtime); never the clock. */
    snprintf(doc_title, sizeof doc_title, "%s as of %s", title, as_of);
    snprintf(comments, sizeof comments, "svcrecon %s", version ? version
                                                               : "");
    lxw_doc_properties props = {
        .title = doc_title,
        .subject = "Canon imagePROGRAF dealer service reconciliation",
        .author = "svcrecon",
        .comments = comments,
        .created = (time_t)as_of_day * 86400,
    };
    sheet_check(b, workbook_set_properties(b->wb, &props),
                "setting properties");
    sheet_book_init(b);
    sheet_book_set_title(b, title, as_of);
    return b->err == LXW_NO_ERROR ? 0 : -1;
}

void sheet_book_release(struct sheet_book *b)
{
    free(b->expect);
    b->expect = NULL;
    b->n_expect = 0;
    free(b->txt.buf);
    free(b->txt.runs);
    free(b->txt.split);
    free(b->txt.tuple);
    free(b->txt.tuple_ptr);
    memset(&b->txt, 0, sizeof b->txt);
}

/* The columns of the character at s (defined with the cell widths). */
static unsigned char_cells(const char *s, size_t avail);

/* Copies s into out (room for size bytes) with every '&' doubled, control
 * bytes, bad UTF-8 and U+FFFE/U+FFFF (valid UTF-8 but not XML characters:
 * a dealer id holding one made the statement's every sheet unreadable,
 * tests/e2e/t9950) as '?', cut at a character boundary when it does not
 * fit in size bytes or in cells columns (char_cells: a wide character
 * counts 2; *cut then says so). Returns the bytes written. */
static size_t put_header_text(char *out, size_t size, unsigned cells,
                              const char *s, bool *cut)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, left = strlen(s);
    unsigned used = 0;
    *cut = false;
    while (left > 0) {
        size_t n = utf8_seq_len(p, left);
        int bad = n == 0 || *p < 0x20 ||
                  (n == 3 && p[0] == 0xEF && p[1] == 0xBF && p[2] >= 0xBE);
        if (n == 0)
            n = 1;
        size_t need = bad ? 1 : *p == '&' ? 2 : n;
        unsigned w = bad ? 1 : char_cells((const char *)p, n);
        if (o + need + 1 > size || used + w > cells) {
            *cut = true;
            break;
        }
        used += w;
        if (bad)
            out[o++] = '?';
        else if (*p == '&')
            out[o++] = '&', out[o++] = '&';
        else
            memcpy(out + o, p, n), o += n;
        p += n;
        left -= n;
    }
    out[o] = '\0';
    return o;
}

void sheet_book_set_title(struct sheet_book *b, const char *title,
                          const char *as_of)
{
    /* Excel allows 255 characters per header; the codes take ~25. */
    char *h = b->print_header;
    size_t o = (size_t)snprintf(h, sizeof b->print_header, "&L");
    /* A title that does not fit is cut with a visible "…" (an analyst
     * must not take a cut dealer id for the whole one): cut again 3 bytes
     * and a column shorter, so the mark fits in the same room. The room
     * is 160 bytes and 60 columns (a wide character counts 2): longer,
     * the left section ran into the centre's "As of" on the printed page
     * (seen in LibreOffice with a 60-character CJK dealer id). */
    bool cut;
    size_t n = put_header_text(h + o, 160, 60, title, &cut);
    if (cut) {
        n = put_header_text(h + o, 160 - 3, 60 - 1, title, &cut);
        memcpy(h + o + n, "\xE2\x80\xA6", 4);   /* U+2026 and its NUL */
        n += 3;
    }
    o += n;
    snprintf(h + o, sizeof b->print_header - o, "&CAs of %.10s&R&A",
             as_of);
}

void sheet_print_setup(struct sheet_book *b, lxw_worksheet *ws)
{
    /* US Letter, set (README "Page breaks"; a decision: the workbooks are
     * for Canon USA's service organisation). Without a paper the printer's
     * default printed them, Letter or A4, and the Summaries' page breaks
     * (summary_page_points()) had to hold on both. */
    worksheet_set_paper(ws, 1);
    worksheet_set_landscape(ws);
    worksheet_fit_to_pages(ws, 1, 0);
    if (b->print_header[0])
        sheet_check(b, worksheet_set_header(ws, b->print_header),
                    "setting the page header");
    sheet_check(b, worksheet_set_footer(ws, "&CPage &P of &N"),
                "setting the page footer");
}

lxw_worksheet *sheet_add(struct sheet_book *b, const char *name)
{
    if (b->err != LXW_NO_ERROR)
        return NULL;
    lxw_mute_begin();          /* its "[ERROR]" line on a full disk */
    lxw_worksheet *ws = workbook_add_worksheet(b->wb, name);
    lxw_mute_end();
    if (!ws) {
        /* In constant_memory mode a new sheet opens a temporary file.
         * libxlsxwriter 1.1.4 keeps the half-made sheet in the workbook,
         * and workbook_close() then crashes on it (found by the
         * allocation sweep): such a book is never closed, see
         * sheet_book_close(). */
        sheet_check(b, LXW_ERROR_CREATING_TMPFILE, "adding a sheet");
        b->unclosable = 1;
        return NULL;
    }
    sheet_print_setup(b, ws);
    return ws;
}

void sheet_fit_row(struct sheet_book *b, lxw_worksheet *ws, lxw_row_t row,
                   unsigned lines)
{
    /* 15 points a line (the default row); Excel's limit is 409. */
    if (lines > 1)
        sheet_check(b, worksheet_set_row(ws, row, lines > 27 ? 409.0
                                         : 15.0 * lines, NULL),
                    "setting a row height");
}

void sheet_repeat_header(struct sheet_book *b, lxw_worksheet *ws,
                         lxw_row_t row)
{
    sheet_check(b, worksheet_repeat_rows(ws, row, row), "setting titles");
}

/* The expectations of worksheet ws, grown on first use. NULL (and the
 * book failed) when out of memory. */
static struct verify_sheet *expect_of(struct sheet_book *b, lxw_worksheet *ws)
{
    size_t k = ws->index;
    if (k >= b->n_expect) {
        struct verify_sheet *e = realloc(b->expect, (k + 1) * sizeof *e);
        if (!e) {
            sheet_check(b, LXW_ERROR_MEMORY_MALLOC_FAILED, "counting cells");
            return NULL;
        }
        memset(e + b->n_expect, 0, (k + 1 - b->n_expect) * sizeof *e);
        b->expect = e;
        b->n_expect = k + 1;
    }
    return &b->expect[k];
}

/* Counts a cell that libxlsxwriter accepted. */
static void cell_written(struct sheet_book *b, lxw_worksheet *ws,
                         lxw_error err, const char *what)
{
    struct verify_sheet *e;
    sheet_check(b, err, what);
    if (err == LXW_NO_ERROR && (e = expect_of(b, ws)) != NULL)
        e->n_cells++;
}

/* Books left unclosed (see below), kept reachable: left, not lost. */
static lxw_workbook *abandoned[8];
static int n_abandoned;

const char *sheet_lxw_reason(lxw_error err, int e, char *buf, size_t size)
{
    bool zip = err >= LXW_ERROR_ZIP_FILE_OPERATION &&
               err <= LXW_ERROR_ZIP_CLOSE;
    snprintf(buf, size, "%s", e && zip ? "the workbook's zip archive could "
             "not be written" : lxw_strerror(err));
    size_t n = strlen(buf);
    while (n > 0 && (buf[n - 1] == '.' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return buf;
}

/* file's bytes on the disk before it is renamed into place: a power
 * loss after the rename must not leave an empty or partial workbook
 * under its final name (SPEC §6; the rename alone orders nothing on
 * ext4's delayed allocation, qa82). 0, or -1 with errno (a full disk or
 * a disk error found only now: a network share, a quota). A file system
 * that cannot sync (EINVAL) has nothing more to do. */
static int sync_file(const char *file)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    int rc = fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int sheet_book_close(struct sheet_book *b, const char *file, char *why,
                     size_t why_size)
{
    size_t n = 0;
    lxw_worksheet *ws;
    /* Parts are numbered in the order the sheets were added; the
     * worksheets are gone once the workbook is closed. */
    LXW_FOREACH_WORKSHEET(ws, b->wb) {
        struct verify_sheet *e = expect_of(b, ws);
        if (e)
            e->part = (unsigned)++n;
    }
    /* A book without a sheet (its writer failed first) would get one
     * from workbook_close(), whose temporary file may fail too: with a
     * half-made sheet in it (see sheet_add) libxlsxwriter 1.1.4 crashes.
     * Such a book is left as it is (its memory and files go with the
     * process, which is about to fail). */
    if (b->unclosable || n == 0) {
        if (n_abandoned < 8)
            abandoned[n_abandoned++] = b->wb;
        sheet_check(b, LXW_ERROR_CREATING_TMPFILE, "adding a sheet");
        b->wb = NULL;
        sheet_book_release(b);
        return -1;
    }
    errno = 0;
    lxw_mute_begin();          /* its "[ERROR]" lines: we say it once */
    lxw_error err = workbook_close(b->wb);
    int e = errno;
    lxw_mute_end();
    b->wb = NULL;
    if (err != LXW_NO_ERROR && b->err == LXW_NO_ERROR) {
        b->err = err;
        b->err_what = NULL;
        b->err_errno = e;
    }
    int rc = -1, io_errno;
    char bad[200];
    if (b->err != LXW_NO_ERROR)
        ;
    else if (lxw_tmp_failures(&io_errno) != b->io_failures) {
        b->io_errno = io_errno;
        snprintf(why, why_size, "a write into libxlsxwriter's temporary "
                 "files failed: %s", strerror(io_errno));
    }
    else if ((rc = verify_workbook(file, b->expect, b->n_expect, bad,
                                   sizeof bad)) == -2) {
        /* No memory to check it: a memory failure of the book (70 in
         * the callers), never "the disk is full" (73). */
        b->err = LXW_ERROR_MEMORY_MALLOC_FAILED;
        b->err_what = "reading it back";
        b->err_errno = ENOMEM;
        rc = -1;
    } else if (rc != 0)
        snprintf(why, why_size, "the file written does not read back "
                 "whole: %s", bad);
    else if (sync_file(file) != 0) {
        rc = -1;
        if (errno == ENOMEM) {          /* as the read-back's: 70 */
            b->err = LXW_ERROR_MEMORY_MALLOC_FAILED;
            b->err_what = "syncing it to the disk";
            b->err_errno = ENOMEM;
        } else {
            b->io_errno = errno;
            snprintf(why, why_size, "writing it to the disk (fsync) failed: "
                     "%s", strerror(b->io_errno));
        }
    }
    sheet_book_release(b);
    return rc;
}

double sheet_hours(double sum)
{
    /* To the nano-hour first: a sum of decimals of up to 9 places is then
     * its decimal sum exactly, whatever the order its rows were added in
     * (the error of a floating-point sum is far below 10^-9 h), and only
     * then to the micro-hour. Rounded once, a decimal sum on a half
     * micro-hour (five closeouts of 10, 10, 10, 10 and 40 minutes written
     * to 7 places: 1.3333335 h) went up or down with the order of the
     * rows: 1.333334 or 1.333333, the Summary's dealer total unlike its
     * statement's, SQLite's unlike PostgreSQL's (qa86, tests/e2e/t7400). */
    return round(round(sum * 1e9) / 1e3) / 1e6;
}

const char *sheet_count_text(long long n, char *out, size_t size)
{
    char digits[32], grouped[48];
    int len = snprintf(digits, sizeof digits, "%llu",
                       n < 0 ? 0ULL - (unsigned long long)n
                             : (unsigned long long)n);
    size_t o = 0;
    if (n < 0)
        grouped[o++] = '-';
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            grouped[o++] = ',';
        grouped[o++] = digits[i];
    }
    grouped[o] = '\0';
    snprintf(out, size, "%s", grouped);
    return out;
}

const char *sheet_days_text(long long n, char *out, size_t size)
{
    char count[48];
    snprintf(out, size, "%s %s", sheet_count_text(n, count, sizeof count),
             n == 1 ? "day" : "days");
    return out;
}

double sheet_serial(int32_t day, int seconds)
{
    double serial = (double)day + 25569.0;
    /* Excel's 1900 system counts a 1900-02-29 that never was: serials
     * before 1900-03-01 (61) are one lower than the arithmetic gives. */
    if (serial < 61.0)
        serial -= 1.0;
    return serial + (double)seconds / 86400.0;
}

/* ---- text ---------------------------------------------------------------- */

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* "_xHHHH_" at p: what Excel decodes as an escaped character. The capital
 * X is not an escape for LibreOffice or openpyxl; it is split too, which
 * costs nothing if Excel agrees. */
static int looks_like_escape(const unsigned char *p, size_t avail)
{
    return avail >= 7 && p[0] == '_' && (p[1] == 'x' || p[1] == 'X') &&
           is_hex(p[2]) && is_hex(p[3]) && is_hex(p[4]) && is_hex(p[5]) &&
           p[6] == '_';
}

static size_t put_hex_bytes(char *out, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789ABCDEF";
    for (size_t k = 0; k < n; k++) {
        out[4 * k] = '\\';
        out[4 * k + 1] = 'x';
        out[4 * k + 2] = digits[p[k] >> 4];
        out[4 * k + 3] = digits[p[k] & 15];
    }
    return 4 * n;
}

/* One character of the input as written to the cell. */
struct piece {
    char   bytes[16];
    size_t len;       /* bytes written */
    size_t units;     /* UTF-16 code units (Excel's count) */
    size_t xml;       /* its cost in the XML (&amp; is 5) */
    size_t adv;       /* input bytes used */
    int    split;     /* a "_xHHHH_"-like text starts: end a run after it */
};

/* The character at in[0] (len bytes left): CR and CRLF become LF, NUL,
 * bad UTF-8 and U+FFFE/U+FFFF become \xNN escapes. */
static void read_piece(const unsigned char *in, size_t len, struct piece *p)
{
    unsigned char c = in[0];
    p->xml = p->adv = 1;
    p->split = 0;
    if (c == '\r') {
        p->bytes[0] = '\n';
        p->len = p->units = 1;
        if (len > 1 && in[1] == '\n')
            p->adv = 2;
    } else if (c == 0) {
        p->len = p->units = put_hex_bytes(p->bytes, in, 1);
    } else if (c < 0x80) {
        p->bytes[0] = (char)c;
        p->len = p->units = 1;
        if (c == '&')
            p->xml = 5;                    /* &amp; */
        else if (c == '<' || c == '>')
            p->xml = 4;
        else if (c == '_' && looks_like_escape(in, len))
            p->split = 1;
    } else {
        size_t n = utf8_seq_len(in, len);
        if (n == 3 && c == 0xEF && in[1] == 0xBF &&
            (in[2] == 0xBE || in[2] == 0xBF)) {
            p->len = p->units = put_hex_bytes(p->bytes, in, 3); /* U+FFFE/F */
            p->adv = 3;
        } else if (n == 0) {
            p->len = p->units = put_hex_bytes(p->bytes, in, 1);
        } else {
            memcpy(p->bytes, in, n);
            p->len = p->adv = n;
            p->units = n == 4 ? 2 : 1;     /* UTF-16 code units */
        }
    }
    if (p->len > 1 && p->xml == 1)
        p->xml = p->units;                 /* escapes: one per character */
}

size_t sheet_clean_text(struct sheet_text *t, const char *s, size_t len,
                        int *cut)
{
    const unsigned char *in = (const unsigned char *)s;
    char *out = t->buf;
    size_t o = 0, units = 0, xml = RUN_COST, i = 0;
    size_t safe_o = 0, safe_split = 0;     /* last state with marker room */
    size_t safe_units = 0;
    int by_runs = 0;                       /* cut by the runs' markup */

    t->n_split = 0;
    *cut = 0;
    while (i < len) {
        struct piece p;
        read_piece(in + i, len - i, &p);
        size_t n_split = t->n_split + (size_t)p.split;
        size_t new_units = units + p.units;
        size_t new_xml = xml + p.xml + (p.split ? RUN_COST : 0);
        if (new_units > SHEET_MAX_CHARS ||
            (n_split > 0 && new_xml > SHEET_MAX_CHARS) ||
            n_split >= MAX_RUNS - 1) {
            *cut = 1;
            by_runs = new_units <= SHEET_MAX_CHARS;
            break;
        }
        memcpy(out + o, p.bytes, p.len);
        o += p.len;
        units = new_units;
        xml = new_xml;
        if (p.split)
            t->split[t->n_split++] = o;    /* a run ends after the '_' */
        i += p.adv;
        if (units + MARK_ROOM <= SHEET_MAX_CHARS &&
            (t->n_split == 0 || xml + MARK_ROOM <= SHEET_MAX_CHARS)) {
            safe_o = o;
            safe_split = t->n_split;
            safe_units = units;
        }
    }
    if (*cut) {
        o = safe_o;
        t->n_split = safe_split;
        /* A run boundary at the very end would leave an empty run. */
        while (t->n_split > 0 && t->split[t->n_split - 1] >= o)
            t->n_split--;
        /* A text of "_xHHHH_"-like sequences is cut much earlier: each
         * run's markup counts against Excel's 32,767 (tests/e2e/t9980;
         * it said "cut at 32,767 characters" after 1,400). */
        char kept[32];
        if (by_runs)
            o += (size_t)snprintf(out + o, MARK_ROOM,
                                  " \xE2\x80\xA6[cut at %s characters, "
                                  "Excel's limit in %zu pieces; "
                                  "the full value of %zu bytes is in the "
                                  "database]",
                                  sheet_count_text((long long)safe_units,
                                                   kept, sizeof kept),
                                  t->n_split + 1, len);
        else
            o += (size_t)snprintf(out + o, MARK_ROOM,
                                  " \xE2\x80\xA6[cut at 32,767 characters; "
                                  "the full value of %zu bytes is in the "
                                  "database]", len);
    }
    out[o] = '\0';
    return t->n_split ? t->n_split + 1 : 0;
}

static unsigned count_lines(const char *s)
{
    unsigned n = 1;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

unsigned sheet_write_text(struct sheet_book *b, lxw_worksheet *ws,
                          lxw_row_t row, lxw_col_t col, const char *s,
                          size_t len, lxw_format *f)
{
    struct sheet_text *t = &b->txt;
    int cut;
    if (b->err != LXW_NO_ERROR || len == 0)
        return 0;                          /* '' is a blank cell */
    size_t n_runs = sheet_clean_text(t, s, len, &cut);
    if (cut)
        b->n_cut++;
    unsigned lines = count_lines(t->buf);
    if (lines > 1 && f == b->text)
        f = b->text_wrap;                  /* SPEC §4: a line break wraps */
    if (!f)
        f = b->plain;                      /* never run into a number */
    if (n_runs == 0) {
        cell_written(b, ws, worksheet_write_string(ws, row, col, t->buf, f),
                     "writing text");
        return lines;
    }
    /* Copy each run NUL-terminated; runs without a format get the default
     * font, the same look as the plain cells. */
    char *p = t->runs;
    size_t start = 0;
    for (size_t k = 0; k < n_runs; k++) {
        size_t end = k + 1 < n_runs ? t->split[k] : strlen(t->buf);
        memcpy(p, t->buf + start, end - start);
        p[end - start] = '\0';
        t->tuple[k].format = NULL;
        t->tuple[k].string = p;
        t->tuple_ptr[k] = &t->tuple[k];
        p += end - start + 1;
        start = end;
    }
    t->tuple_ptr[n_runs] = NULL;
    cell_written(b, ws, worksheet_write_rich_string(ws, row, col,
                                                    t->tuple_ptr, f),
                 "writing text");
    return lines;
}

unsigned sheet_write_cstr(struct sheet_book *b, lxw_worksheet *ws,
                          lxw_row_t row, lxw_col_t col, const char *s,
                          lxw_format *f)
{
    return sheet_write_text(b, ws, row, col, s, strlen(s), f);
}

void sheet_write_number(struct sheet_book *b, lxw_worksheet *ws,
                        lxw_row_t row, lxw_col_t col, double v,
                        lxw_format *f)
{
    if (b->err != LXW_NO_ERROR)
        return;
    if (!f)
        f = b->count;                      /* SPEC §4: 13,230 */
    if (!isfinite(v)) {                    /* NaN/Inf make an invalid file */
        sheet_write_cstr(b, ws, row, col, isnan(v) ? "NaN" : "Inf", f);
        return;
    }
    cell_written(b, ws, worksheet_write_number(ws, row, col, v, f),
                 "writing a number");
}

void sheet_write_blank(struct sheet_book *b, lxw_worksheet *ws, lxw_row_t row,
                       lxw_col_t col, lxw_format *f)
{
    /* Without a format libxlsxwriter writes no cell at all. */
    if (b->err != LXW_NO_ERROR || !f)
        return;
    cell_written(b, ws, worksheet_write_blank(ws, row, col, f),
                 "writing a blank");
}

void sheet_write_date(struct sheet_book *b, lxw_worksheet *ws, lxw_row_t row,
                      lxw_col_t col, int32_t day)
{
    sheet_write_number(b, ws, row, col, sheet_serial(day, 0), b->date);
}

/* ---- listings ------------------------------------------------------------ */

/* The rest of Unicode 14's East Asian wide characters (EastAsianWidth.txt,
 * W), by block where a block is mostly wide (a narrow neighbour counted
 * two gives a blank line at worst, never a cut one): the emoji of the
 * transport and map symbols (a van, U+1F690), of the symbols and
 * pictographs extended-A (a screwdriver, U+1FA9B), and of the BMP (a
 * check mark, U+2705; a star, U+2B50), Hangul Jamo extended-A, the
 * small and vertical forms, Tangut, Nushu and the kana supplements. They
 * counted one, and a name of twenty vans was taken to fit a line of 28
 * (qa85). */
static bool more_wide(uint32_t cp)
{
    static const uint32_t wide[][2] = {
        {0x231A, 0x231B}, {0x2329, 0x232A}, {0x23E9, 0x23F3},
        {0x25FD, 0x25FE}, {0x2614, 0x2615}, {0x2648, 0x2653},
        {0x267F, 0x26FD}, {0x2705, 0x2757}, {0x2795, 0x27BF},
        {0x2B1B, 0x2B55}, {0xA960, 0xA97F}, {0xFE10, 0xFE19},
        {0xFE50, 0xFE6F}, {0x16FE0, 0x1B2FF}, {0x1F004, 0x1F004},
        {0x1F0CF, 0x1F0CF}, {0x1F18E, 0x1F19A}, {0x1F200, 0x1F2FF},
        {0x1F680, 0x1F6FF}, {0x1F7E0, 0x1F7FF}, {0x1FA70, 0x1FAFF}};
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (cp >= wide[i][0] && cp <= wide[i][1])
            return true;
    return false;
}

/* The columns the character starting at s (a lead byte of UTF-8, at most
 * avail bytes) takes: 2 for the East Asian wide and fullwidth characters
 * (Hangul, CJK, kana, fullwidth forms) and the emoji, which Excel and
 * LibreOffice draw about two digits wide, else 1. Counted as one, a
 * Japanese dealer name was given half the width it needs: cut by its
 * neighbour, or wrapped by the reader in a one-line row and printed over
 * the next one (tests/e2e/t7800). */
static unsigned char_cells(const char *s, size_t avail)
{
    const unsigned char *u = (const unsigned char *)s;
    uint32_t cp;
    if (u[0] < 0xE1 || avail < 3)
        return 1;                       /* nothing wide below U+1100 */
    if (u[0] < 0xF0)
        cp = (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6
             | (u[2] & 0x3F);
    else if (avail >= 4)
        cp = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12
             | (uint32_t)(u[2] & 0x3F) << 6 | (u[3] & 0x3F);
    else
        return 1;
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E)
        || (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF)
        || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF)
        || (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF)
        || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60)
        || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F)
        || (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD)
        || more_wide(cp) ? 2 : 1;
}

/* Calibri's advance widths (libxlsxwriter's default font, 11 pt), of ' '
 * to '~', in 1/2048 em, as read from the hmtx table of Carlito-Regular.ttf
 * (Debian's fonts-crosextra-carlito: metric-compatible with Calibri, and
 * what LibreOffice draws it with). The digits are 1038: a column's width
 * counts widths of '0'. Counted as one character each, a name in
 * capitals ("WESTERN WASHINGTON MEDIA WORKS": 30 characters, 32.4 zeros
 * wide) was cut by its neighbour, and a mixed-case one that fits its
 * column got a second, empty line (QA pass 41). */
static const unsigned short calibri[95] = {
    463, 667, 821, 1020, 1038, 1464, 1397, 452, 621, 621, 1020, 1020, 511,
    627, 517, 791,                                      /*  !"#$%&'()*+,-./ */
    1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038, 1038,  /* 0-9 */
    548, 548, 1020, 1020, 1020, 949, 1831,              /* :;<=>?@ */
    1185, 1114, 1092, 1260, 1000, 941, 1292, 1276, 516, 653, 1064, 861,
    1751, 1322, 1356, 1058, 1378, 1112, 941, 998, 1314, 1162, 1822, 1063,
    998, 959,                                           /* A-Z */
    628, 791, 628, 1020, 1020, 596,                     /* [\]^_` */
    981, 1076, 866, 1076, 1019, 625, 964, 1076, 470, 490, 931, 470, 1636,
    1076, 1080, 1076, 1076, 714, 801, 686, 1076, 925, 1464, 887, 927, 809,
                                                        /* a-z */
    644, 943, 644, 1020};                               /* {|}~ */

/* Calibri's advance widths of U+00A0 to U+04FF (Latin-1, Latin
 * Extended-A and -B, IPA, Greek, Cyrillic), one character each: ']' + the
 * width in sixteenths of a '0', rounded up (at most '~', 33/16: only U+01C4
 * and U+01F1 are wider, 2.14), read from the hmtx table of
 * Carlito-Regular.ttf as the ASCII ones; a character the font lacks is
 * one '0' ('m'). Counted as one '0' each, a name in Cyrillic or accented
 * capitals ("ЖЩШМЮ": 1.58 to 1.76 each) was taken to fit a line it
 * wraps out of in the reader, and its second line printed over the next
 * row (qa85). */
static const char latin_greek_cyrillic[0x500 - 0xA0 + 1] =
    "mhmmmmmmjxjnmmmjhmhhgopegeknrsslppppppvnmmmmeeeeqrrrrrrmrrrrrmnn"
    "mmmmmmvkmmmmeeeennnnnnnmnnnnnlnlpmpmpmnknknknkqoqommmmmmmmmmqlql"
    "qlqlqnrneeeeeeeeeeplhenllkekekfoikernrnrnpqnrnrnrnyxoioioiljljlj"
    "ljmhmhmhrnrnrnrnrnrnztmlmljljljeoqnnnnoplqsnnnmrllmqovgfnlflyrnr"
    "tpvrqnoljlkinhmtqrrnmljlllkmmkjnejph~}{url|yvpmeernrnrnrnrnrnmpm"
    "pmvvqnqlnlrnrnlle~}{qlzqrnpmvvrnpmpmmmmmeeeernrnoioirnrnljmhllqn"
    "rpmmmkpmmmrnrnrnrnmlhqhewwpnkkmjjllorpmmhfqnoipmmnnnklnnmmrkknnf"
    "nnolmnnnffeiieowwwnnontsriiiiihhlljefehhhpooltlkjmlllllkqmnonhlj"
    "nllwxzqlsupommnniiceeehmgdmeeeeehhmmnnjjgmmggjggffeehhhhjehgllhh"
    "gcfghjjjjjhhjpkhhhhhmlmlfhhhhnnimmmmm]mmmmmmm]]]]]m]]emm]]]h]]]]"
    "]]]mm]mmm]]]mmm]mm]]mm]mm]]]]]]]mmm]mm]]]]]]]]]]]]]]]]]]m]]]]]]]"
    "]]]]]]]]]]]]]]]]mmmmeemmmmfkkkfmmmmmhmpemqemrmmrfpokomlqrenpxrmr"
    "qnmlmmunuremolnfoonlnlhnnfllolinonjnjorktsfonosmnomomrwqrnnjlkol"
    "ppywononnkpmsnljqnkerkknontpnnnnmmqkoleehyyqornqpnokrmwlrroqxqrq"
    "nnmntnroyzqvnoyomnmhomskoolnsnnnnkjlqkoltunslktlmmohljeeeuvnloln"
    "{sqnvrqnxttozulkutrnpmmm~zrp{v{snkq]]]]m}{ronmnnkikinlxtlkpmolom"
    "qnrotqzuronkmjmlmloltppmololupupewsomqnqnqoolytepmpmvvmmrmrmwslk"
    "llrorornrnrnoknlnlnlolkhvskiolnk";

/* The width of the character at s (a lead byte of UTF-8, at most avail
 * bytes), in widths of '0': Calibri's for ASCII and for U+00A0 to U+04FF,
 * char_cells() beyond. */
static double char_zeros(const char *s, size_t avail)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] >= 0x20 && u[0] < 0x7F)
        return calibri[u[0] - 0x20] / 1038.0;
    if (u[0] >= 0xC2 && u[0] <= 0xD3 && avail >= 2 && (u[1] & 0xC0) == 0x80) {
        unsigned cp = (unsigned)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
        if (cp >= 0xA0)
            return (latin_greek_cyrillic[cp - 0xA0] - ']') / 16.0;
    }
    return u[0] < 0x80 ? 1.0 : (double)char_cells(s, avail);
}

/* The widest line of n bytes of sanitized text: the return is its
 * display width in widths of '0' rounded up, and never less than its
 * characters (a column sized by characters alone stays as wide as it
 * was, one of wide letters grows), counted until it reaches cap; *zeros
 * (when not NULL) is the widest line in widths of '0', not rounded. */
static unsigned widest_line(const char *p, size_t n, unsigned cap,
                            double *zeros)
{
    unsigned w = 0, widest = 0;
    double z = 0, zmax = 0;
    for (size_t i = 0; i < n && widest < cap; i++) {
        if (p[i] == '\n') {
            w = 0;
            z = 0;
        } else if (((unsigned char)p[i] & 0xC0) != 0x80) {
            size_t avail = n - i < 4 ? n - i : 4;
            w += char_cells(p + i, avail);
            z += char_zeros(p + i, avail);
        }
        if (z > zmax)
            zmax = z;
        unsigned zw = (unsigned)ceil(z - 1e-9);
        if ((w > zw ? w : zw) > widest)
            widest = w > zw ? w : zw;
    }
    if (zeros)
        *zeros = zmax;
    return widest;
}

static unsigned text_width(const char *s, unsigned cap)
{
    return widest_line(s, strlen(s), cap, NULL);
}

/* Lines of a sanitized text wrapped as a reader does, at spaces, in a
 * column room zeros wide (a word wider than a line breaks where it
 * must). */
static unsigned wrapped_lines(const char *s, double room)
{
    unsigned lines = 1;
    double line = 0;
    while (*s) {
        if (*s == '\n') {
            lines++;
            line = 0;
            s++;
            continue;
        }
        double word = 0, space = 0;
        for (; *s == ' '; s++)
            space += char_zeros(s, 1);
        const char *w = s;
        for (; *w && *w != ' ' && *w != '\n'; w++) {
            if (((unsigned char)*w & 0xC0) != 0x80)
                word += char_zeros(w, strnlen(w, 4));
            /* A line may also end after a slash or a hyphen not before a
             * digit, as LibreOffice breaks a path ("inbox/" and the file
             * name under it: three printed lines in a row of two). */
            if ((*w == '/' || *w == '-') && w[1] && w[1] != ' ' &&
                w[1] != '\n' && (w[1] < '0' || w[1] > '9')) {
                w++;
                break;
            }
        }
        if (line > 0 && line + space + word > room) {
            lines++;                      /* the word starts a line */
            line = 0;
        } else {
            line += space;
        }
        for (; s < w; s++) {              /* a word wider than a line */
            if (((unsigned char)*s & 0xC0) == 0x80)
                continue;
            double cw = char_zeros(s, strnlen(s, 4));
            if (line > 0 && line + cw > room) {
                lines++;
                line = 0;
            }
            line += cw;
        }
    }
    return lines;
}

static unsigned header_width(const struct sheet_col *c)
{
    /* Bold text and the filter button need a few more characters. */
    return text_width(c->header, 255) + 4;
}

static int open_part(struct sheet *sh)
{
    struct sheet_book *b = sh->book;
    char name[64];
    if (sh->part == 1)
        snprintf(name, sizeof name, "%s", sh->name);
    else
        snprintf(name, sizeof name, "%s (%d)", sh->name, sh->part);
    /* Printed: across, one page wide, the header row on every page
     * (finish_part), title, as-of and page number (sheet_add). */
    sh->ws = sheet_add(b, name);
    if (!sh->ws)
        return -1;
    for (int c = 0; c < sh->n_cols; c++) {
        enum sheet_type t = sh->cols[c].type;
        sheet_write_cstr(b, sh->ws, 0, (lxw_col_t)c, sh->cols[c].header,
                         t == SHEET_INT || t == SHEET_LINE ||
                         t == SHEET_DECIMAL ? b->header_num
                                                              : b->header);
    }
    sh->row = 0;
    return b->err == LXW_NO_ERROR ? 0 : -1;
}

/* Widths, frozen header, autofilter and print titles of the current part,
 * which libxlsxwriter writes when the workbook closes. */
static void finish_part(struct sheet *sh)
{
    struct sheet_book *b = sh->book;
    for (int c = 0; c < sh->n_cols; c++) {
        const struct sheet_col *col = &sh->cols[c];
        unsigned w = sh->width[c] + 2;
        if (col->max_width && w > col->max_width)
            w = col->max_width;
        if (w < header_width(col))
            w = header_width(col);
        sheet_check(b, worksheet_set_column(sh->ws, (lxw_col_t)c,
                                            (lxw_col_t)c, (double)w, NULL),
                    "setting widths");
    }
    sheet_check(b, worksheet_autofilter(sh->ws, 0, 0, sh->row,
                                        (lxw_col_t)(sh->n_cols - 1)),
                "setting the autofilter");
    worksheet_freeze_panes(sh->ws, 1, 0);
    sheet_check(b, worksheet_repeat_rows(sh->ws, 0, 0), "setting titles");
    struct verify_sheet *e = expect_of(b, sh->ws);
    if (e)
        e->n_rows = (unsigned long)sh->row + 1;   /* header and data */
}

int sheet_open(struct sheet *sh, struct sheet_book *b, const char *name,
               const struct sheet_col *cols, int n_cols)
{
    memset(sh, 0, sizeof *sh);
    sh->book = b;
    sh->name = name;
    sh->cols = cols;
    sh->n_cols = n_cols < SHEET_MAX_COLS ? n_cols : SHEET_MAX_COLS;
    sh->part = 1;
    for (int c = 0; c < sh->n_cols; c++) {
        unsigned fixed = cols[c].type == SHEET_DATE ? 10
                       : cols[c].type == SHEET_DATETIME ? 19 : 0;
        sh->width[c] = fixed;
    }
    return open_part(sh);
}

int sheet_next_row(struct sheet *sh)
{
    struct sheet_book *b = sh->book;
    if (b->err != LXW_NO_ERROR)
        return -1;
    if (sh->row == SHEET_MAX_ROWS) {
        finish_part(sh);
        sh->part++;
        if (open_part(sh) != 0)
            return -1;
    }
    sh->row++;
    sh->n_rows++;
    b->n_rows++;
    if (b->progress && b->n_rows % PROGRESS_EVERY == 0)
        b->progress(b->progress_ctx, b->n_rows);
    return 0;
}

static void measure(struct sheet *sh, int c, unsigned w)
{
    if (w > sh->width[c])
        sh->width[c] = w;
}

unsigned sheet_prose_lines(const char *s, unsigned width)
{
    /* The indent takes about a character, the cell's edge another (as in
     * write_fit()). */
    return wrapped_lines(s, width > 4 ? width - 2 : 2);
}

/* A text longer than its column may grow (max_width) wraps, in a row of at
 * most LONG_LINES lines: printed, a long value (a raw record of 32,767
 * characters) would otherwise run on over the empty cells to its right,
 * page after page. The cell keeps the whole value. */
#define LONG_LINES 6

/* The widest line of the n bytes at p, in widths of '0' (char_zeros). */
static double zeros_of(const char *p, size_t n)
{
    double z;
    widest_line(p, n, UINT_MAX, &z);
    return z;
}

double sheet_text_zeros(const char *s)
{
    return zeros_of(s, strlen(s));
}

unsigned sheet_put_text(struct sheet *sh, int c, const void *p, size_t n)
{
    struct sheet_book *b = sh->book;
    unsigned max = sh->cols[c].max_width;
    /* Wider than its column may grow: wrapped. More bytes than max, as
     * before, or fewer that are wider than max zeros less the cell's
     * margins (capitals; QA pass 41). */
    bool wrap = max && p && (n > max || zeros_of(p, n) + 1 > max);
    unsigned lines = sheet_write_text(b, sh->ws, sh->row, (lxw_col_t)c,
                                      p ? p : "", n, wrap ? b->text_wrap
                                                          : b->text);
    if (b->err != LXW_NO_ERROR || n == 0)
        return lines;
    unsigned w = text_width(b->txt.buf, max ? max + 1 : 255);
    measure(sh, c, w > max && max ? max : w);
    if (wrap) {
        /* The column is max wide; the cell's margins take about a
         * character. As many lines as a reader wraps it into (at
         * spaces), not one per max characters: a mixed-case name of 32
         * characters fits 30 zeros on one line (QA pass 41). */
        unsigned k = wrapped_lines(b->txt.buf, max > 3 ? max - 1 : max);
        /* A value holding a line break gets every line it prints (SPEC
         * §4: "its row is tall enough to show it"; sheet_fit_row() stops
         * at Excel's 409 points): held to LONG_LINES, an eight-line
         * customer or a statement's 'To be paid' of five reasons lost
         * its last lines. Only a long text of one line is cut there. */
        lines = lines > 1 || k <= LONG_LINES ? k : LONG_LINES;
    }
    return lines;
}

/* May v, written as a count ("%.0f") or with two decimals, both with
 * thousands separators, be wider than width characters? An upper bound of
 * its width from its digits (one more for a carry of the rounding), so that false
 * only when it is not. */
static bool number_may_widen(unsigned width, double v, bool decimal)
{
    double a = fabs(v);
    unsigned digits = 1;
    while (a >= 10.0 && digits < 400) {
        a /= 10.0;
        digits++;
    }
    digits++;                                   /* a carry: 9.999 -> 10.00 */
    unsigned bound = (v < 0) + digits + (digits - 1) / 3 + (decimal ? 3 : 0);
    return bound > width;
}

/* Does a line of s (n bytes) run wider than `room` widths of the digit 0
 * of the default font (the unit of a column's width), each character as
 * wide as Calibri draws it (char_zeros)? Then the cell wraps: a
 * proportional name that fits is not wrapped for its character count
 * alone, and one in capitals is not taken to fit (QA pass 41: lower case
 * counted 0.85, capitals 1, and "Metro Document Technologies, LLC" lost
 * its last letter to the count beside it). *breaks: its lines as its line
 * breaks (CR LF and a lone CR count as LF) make them. */
static bool runs_wider(const char *s, size_t n, double room,
                       unsigned *breaks)
{
    bool wider = false;
    double w = 0;
    *breaks = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n' || ch == '\r') {
            if (ch == '\r' && i + 1 < n && s[i + 1] == '\n')
                i++;
            (*breaks)++;
            w = 0;
            continue;
        }
        if ((ch & 0xC0) == 0x80)
            continue;                       /* inside a UTF-8 character */
        w += char_zeros(s + i, n - i < 4 ? n - i : 4);
        if (w > room)
            wider = true;
    }
    return wider;
}

/* sheet_write_text_fit() and sheet_write_text_whole(): a wrapped text's
 * lines, at most max (0: no limit but the row's). The lines are counted
 * as a reader wraps them, at spaces (a word wider than a line where it
 * must), as the About sheet's prose (sheet_prose_lines, wrapped_lines):
 * counted a character at a time, a name whose words do not fill their
 * lines (the Summary's providers and dealers) got a row a line shorter
 * than it prints, its last line cut (fix69, tests/e2e/t3070). */
static unsigned write_fit(struct sheet_book *b, lxw_worksheet *ws,
                          lxw_row_t row, lxw_col_t col, const char *s,
                          size_t len, unsigned width, unsigned max)
{
    /* The indent takes about a character, the cell's edge another. */
    double room = width > 4 ? width - 2 : 2;
    unsigned breaks = 0;
    bool wide = len && runs_wider(s, len, room, &breaks);
    unsigned lines = sheet_write_text(b, ws, row, col, s, len,
                                      wide ? b->text_wrap : b->text);
    if (b->err != LXW_NO_ERROR || !wide)
        return lines;
    unsigned k = wrapped_lines(b->txt.buf, room);
    /* held to max only when it holds no line break (SPEC §4, as in
     * sheet_put_text()) */
    return max && k > max && breaks <= 1 ? max : k;
}

unsigned sheet_write_text_fit(struct sheet_book *b, lxw_worksheet *ws,
                              lxw_row_t row, lxw_col_t col, const char *s,
                              size_t len, unsigned width)
{
    return write_fit(b, ws, row, col, s, len, width, LONG_LINES);
}

unsigned sheet_write_text_whole(struct sheet_book *b, lxw_worksheet *ws,
                                lxw_row_t row, lxw_col_t col, const char *s,
                                size_t len, unsigned width)
{
    return write_fit(b, ws, row, col, s, len, width, 0);
}

unsigned sheet_put_row(struct sheet *sh, struct db_stmt *q)
{
    struct sheet_book *b = sh->book;
    lxw_row_t r = sh->row;
    unsigned lines = 1;
    for (int c = 0; c < sh->n_cols && b->err == LXW_NO_ERROR; c++) {
        const struct sheet_col *col = &sh->cols[c];
        lxw_col_t x = (lxw_col_t)c;
        int type = db_column_type(q, c);
        if (type == DB_NULL)
            continue;                      /* SQL NULL: a blank cell */
        if (col->type == SHEET_INT || col->type == SHEET_LINE ||
            col->type == SHEET_DECIMAL) {
            if (type == DB_INTEGER || type == DB_FLOAT) {
                double v = db_column_double(q, c);
                        sheet_write_number(b, sh->ws, r, x, v,
                                   col->type == SHEET_DECIMAL ? b->decimal
                                   : col->type == SHEET_LINE  ? b->line
                                                              : b->count);
                /* Every row is measured (a wider value after the first
                 * rows would be cut); formatted only when it may be
                 * wider than the column so far. */
                if (number_may_widen(sh->width[c], v,
                                     col->type == SHEET_DECIMAL)) {
                    char num[32];
                    int n = snprintf(num, sizeof num, col->type ==
                                     SHEET_DECIMAL ? "%.2f" : "%.0f", v);
                    int whole = col->type == SHEET_INT ? n : n - 3;
                    if (whole > 3 && col->type != SHEET_LINE)
                        /* thousands separators */
                        n += (whole - (v < 0) - 1) / 3;
                    measure(sh, c, (unsigned)n);
                }
                continue;
            }
        } else if (col->type == SHEET_DATE || col->type == SHEET_DATETIME) {
            const char *s = db_column_text(q, c);
            size_t n = db_column_bytes(q, c);
            struct parse_when w;
            int ok = !s ? 0 : col->type == SHEET_DATE ? parse_date(s, n, &w)
                                             : parse_datetime(s, n, &w);
            double serial = ok ? sheet_serial(w.day_number, w.hour * 3600 +
                                              w.minute * 60 + w.second)
                               : 0.0;
            if (ok && serial >= 1.0) {
                sheet_write_number(b, sh->ws, r, x, serial,
                                   col->type == SHEET_DATE ? b->date
                                                           : b->datetime);
                continue;
            }
            /* Not a date Excel can show: keep the text, never lose it. */
        }
        const void *p = db_column_blob(q, c);
        unsigned k = sheet_put_text(sh, c, p,
                                    db_column_bytes(q, c));
        if (k > lines)
            lines = k;
    }
    sheet_fit_row(b, sh->ws, r, lines);
    return lines;
}

int sheet_close(struct sheet *sh)
{
    if (sh->book->err != LXW_NO_ERROR || !sh->ws)
        return -1;
    finish_part(sh);
    return sh->book->err == LXW_NO_ERROR ? 0 : -1;
}

/* A whole listing: one sheet (and its continuations) filled row by row
 * straight from the cursor of sql. */
int sheet_write_listing(struct db *db, struct sheet_book *b, const char *name,
                        const struct sheet_col *cols, int n_cols,
                        const char *sql, unsigned long *n, struct diag *d)
{
    struct sheet sh;
    struct db_stmt *q;
    int rc;
    *n = 0;
    if (sheet_open(&sh, b, name, cols, n_cols) != 0)
        return -1;
    if (db_prepare(db, sql, &q, d, name) != 0)
        return -1;
    while ((rc = db_step(q, d, name)) == DB_ROW) {
        if (sheet_next_row(&sh) != 0)
            break;
        sheet_put_row(&sh, q);
    }
    db_finalize(q);
    if (rc < 0)
        return -1;
    *n = sh.n_rows;
    return sheet_close(&sh);
}
