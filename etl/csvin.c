/* csvin.c -- read one CSV feed as records with physical line numbers.
 *
 * libcsv does the CSV (RFC 4180) work; this file feeds it the input one
 * physical-line piece at a time, that is up to and including each CR or LF.
 * A record can only end at a CR or LF, so each piece ends at most one record,
 * and we always know which physical line we are on:
 *   - a line break is LF, CR, or CR LF (counted once), inside quotes too;
 *   - a record starts at the first piece after the previous record that
 *     holds anything but blanks and line ends (libcsv skips blank lines and
 *     leading blanks in the same way), so its line is that piece's line.
 * The raw bytes of the record are the pieces from its first to its last. */
#include "etl/csvin.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What to do, after each refusal's reason (the brief: name the file, the
 * line, the reason and what to do). */
#define CSVIN_TOO_LONG "; file refused: look for a quote that is not " \
    "closed (the rest of the file then reads as one field), or shorten " \
    "the value; then deliver the file again"
#define CSVIN_QUOTING "; file refused: quote the whole field and double " \
    "each quote inside it (\"12\"\" roll\"), or re-export as CSV UTF-8, " \
    "comma-separated; then deliver the file again"

struct csvin {
    FILE              *fp;
    const char        *name;
    csvin_hook        *hook;
    void              *hook_ctx;
    struct csv_parser  parser;
    bool               parser_ok;

    char              *buf;          /* read buffer */
    size_t             chunk, buf_len, buf_pos;
    bool               eof, at_start;
    unsigned long long bytes;
    unsigned long long end;          /* bytes parsed at most (csvin_end) */

    unsigned long      line;         /* physical line of the next byte */
    bool               prev_cr;      /* last byte handled was CR */
    bool               in_record, record_ready;

    char              *data;         /* field bytes of the current record */
    size_t             data_len, data_cap;
    size_t            *offs, *lens;  /* per kept field */
    size_t             n_fields;
    char              *raw;
    size_t             raw_len, raw_cap;
    bool               too_big;      /* data would exceed the record cap */
    bool               blanks_over;  /* blanks before a record passed it */

    struct csvin_field *fields;
    struct csvin_record rec;
};

/* libcsv grows its field buffer through this; refusing past the cap turns a
 * runaway field (a 1 GB line, a quote never closed) into CSV_ENOMEM instead
 * of an unbounded allocation. libcsv offers no context pointer here, hence
 * a fixed limit rather than a per-reader one. */
static void *capped_realloc(void *p, size_t size)
{
    if (size > CSVIN_MAX_FIELD_BYTES + 64)
        return NULL;
    return realloc(p, size);
}

static void on_field(void *s, size_t len, void *ctx)
{
    struct csvin *in = ctx;
    size_t i = in->n_fields++;
    if (i >= CSVIN_MAX_FIELDS || in->too_big)
        return;                        /* counted, not kept */
    if (in->data_len + len > CSVIN_MAX_RECORD_BYTES) {
        in->too_big = true;
        return;
    }
    if (in->data_len + len > in->data_cap) {
        size_t cap = in->data_cap ? in->data_cap : 4096;
        while (cap < in->data_len + len)
            cap *= 2;
        char *p = realloc(in->data, cap);
        if (!p) {
            in->too_big = true;
            return;
        }
        in->data = p;
        in->data_cap = cap;
    }
    if (len)
        memcpy(in->data + in->data_len, s, len);
    in->offs[i] = in->data_len;
    in->lens[i] = len;
    in->data_len += len;
}

static void on_row_end(int c, void *ctx)
{
    (void)c;
    struct csvin *in = ctx;
    in->record_ready = true;
    in->in_record = false;
}

struct csvin *csvin_new(FILE *fp, const char *name, size_t chunk,
                        csvin_hook *hook, void *hook_ctx)
{
    struct csvin *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->fp = fp;
    in->name = name;
    in->hook = hook;
    in->hook_ctx = hook_ctx;
    in->chunk = chunk ? chunk : CSVIN_CHUNK;
    in->buf = malloc(in->chunk < 4 ? 4 : in->chunk);
    in->offs = malloc(CSVIN_MAX_FIELDS * sizeof *in->offs);
    in->lens = malloc(CSVIN_MAX_FIELDS * sizeof *in->lens);
    in->fields = malloc(CSVIN_MAX_FIELDS * sizeof *in->fields);
    in->at_start = true;
    in->end = (unsigned long long)-1;
    in->line = 1;
    if (!in->buf || !in->offs || !in->lens || !in->fields ||
        csv_init(&in->parser, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        csvin_free(in);
        return NULL;
    }
    in->parser_ok = true;
    csv_set_realloc_func(&in->parser, capped_realloc);
    csv_set_blk_size(&in->parser, 4096);
    return in;
}

void csvin_free(struct csvin *in)
{
    if (!in)
        return;
    if (in->parser_ok)
        csv_free(&in->parser);
    free(in->buf);
    free(in->data);
    free(in->offs);
    free(in->lens);
    free(in->fields);
    free(in->raw);
    free(in);
}

void csvin_end(struct csvin *in, unsigned long long end)
{
    in->end = end;
}

unsigned long long csvin_bytes(const struct csvin *in)
{
    return in->bytes;
}

/* Refills the buffer; at the start, reads until 3 bytes are there (or EOF)
 * so that a BOM split across reads is still seen whole. */
static int refill(struct csvin *in, struct diag *d)
{
    size_t want = in->at_start ? 3 : 1;
    in->buf_len = in->buf_pos = 0;
    while (in->buf_len < want && !in->eof) {
        size_t room = (in->chunk < 4 ? 4 : in->chunk) - in->buf_len;
        size_t n = fread(in->buf + in->buf_len, 1,
                         room < in->chunk ? room : in->chunk, in->fp);
        if (n == 0) {
            if (ferror(in->fp))
                return diag_set(d, EX_DATAERR, in->name, 0,
                                "read error: %s; file refused: check the file "
                                "and its disk, then run again",
                                strerror(errno));
            in->eof = true;
            break;
        }
        if (in->hook)
            in->hook(in->hook_ctx, in->buf + in->buf_len, n);
        unsigned long long past = in->bytes + n > in->end
                                      ? in->bytes + n - in->end : 0;
        if (past > n)
            past = n;
        in->bytes += n;
        in->buf_len += n - (size_t)past;  /* hashed, counted, not parsed */
    }
    if (in->at_start) {
        in->at_start = false;
        if (in->buf_len >= 3 && memcmp(in->buf, "\xEF\xBB\xBF", 3) == 0)
            in->buf_pos = 3;
    }
    return 0;
}

static int raw_append(struct csvin *in, const char *s, size_t n,
                      struct diag *d)
{
    if (in->raw_len + n > CSVIN_MAX_RECORD_BYTES)
        return diag_set(d, EX_DATAERR, in->name, in->rec.line,
                        "record longer than %d bytes" CSVIN_TOO_LONG,
                        CSVIN_MAX_RECORD_BYTES);
    if (in->raw_len + n > in->raw_cap) {
        size_t cap = in->raw_cap ? in->raw_cap : 4096;
        while (cap < in->raw_len + n)
            cap *= 2;
        char *p = realloc(in->raw, cap);
        if (!p)
            return diag_set(d, EX_SOFTWARE, in->name, in->rec.line,
                            "out of memory");
        in->raw = p;
        in->raw_cap = cap;
    }
    memcpy(in->raw + in->raw_len, s, n);
    in->raw_len += n;
    return 0;
}

static int parse_error(struct csvin *in, struct diag *d)
{
    int err = csv_error(&in->parser);
    if (err == CSV_ENOMEM || err == CSV_ETOOBIG)
        return diag_set(d, EX_DATAERR, in->name, in->rec.line,
                        "field longer than %d bytes" CSVIN_TOO_LONG,
                        CSVIN_MAX_FIELD_BYTES);
    if (in->line != in->rec.line)
        return diag_set(d, EX_DATAERR, in->name, in->line,
                        "malformed quoting in the record from line %lu"
                        CSVIN_QUOTING, in->rec.line);
    return diag_set(d, EX_DATAERR, in->name, in->line,
                    "malformed quoting (a quote inside an unquoted field, "
                    "or text after a closing quote)" CSVIN_QUOTING);
}

static void finish_record(struct csvin *in)
{
    size_t kept = in->n_fields < CSVIN_MAX_FIELDS ? in->n_fields
                                                  : CSVIN_MAX_FIELDS;
    for (size_t i = 0; i < kept; i++) {
        /* data is NULL until a field holds a byte: NULL + 0 is UB. */
        in->fields[i].ptr = in->data ? in->data + in->offs[i] : "";
        in->fields[i].len = in->lens[i];
    }
    while (in->raw_len > 0 && (in->raw[in->raw_len - 1] == '\n' ||
                               in->raw[in->raw_len - 1] == '\r'))
        in->raw_len--;
    in->rec.n_fields = in->n_fields;
    in->rec.n_kept = kept;
    in->rec.fields = in->fields;
    in->rec.raw = in->raw ? in->raw : "";
    in->rec.raw_len = in->raw_len;
    in->record_ready = false;
}

static bool blank_piece(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return false;
    return true;
}

/* Outside a record, the piece s[0..n) of a line starts one, or is part
 * of a blank line (not a record). */
static int start_piece(struct csvin *in, const char *s, size_t n,
                       bool ends_line, struct diag *d)
{
    if (!blank_piece(s, n)) {
        in->in_record = true;
        in->rec.line = in->line;
        in->data_len = in->n_fields = 0;
        in->too_big = false;
        if (in->blanks_over)           /* as if read in one piece */
            return diag_set(d, EX_DATAERR, in->name, in->rec.line,
                            "record longer than %d bytes" CSVIN_TOO_LONG,
                            CSVIN_MAX_RECORD_BYTES);
    } else if (ends_line) {
        in->raw_len = 0;               /* a blank line: not a record */
        in->blanks_over = false;
    }
    return 0;
}

/* Physical lines: a piece that ends a line counts one, but the LF of a
 * CRLF split from its CR by a read boundary does not count again. */
static void count_line(struct csvin *in, const char *s, size_t n,
                       bool ends_line)
{
    if (ends_line) {
        char last = s[n - 1];
        if (last == '\r' || !(in->prev_cr && n == 1))
            in->line++;
        in->prev_cr = last == '\r';
    } else {
        in->prev_cr = false;
    }
}

int csvin_next(struct csvin *in, const struct csvin_record **rec,
               struct diag *d)
{
    in->raw_len = 0;                   /* the last record is released */
    for (;;) {
        if (in->record_ready) {
            if (in->too_big)
                return diag_set(d, EX_DATAERR, in->name, in->rec.line,
                                "record longer than %d bytes" CSVIN_TOO_LONG,
                                CSVIN_MAX_RECORD_BYTES);
            finish_record(in);
            *rec = &in->rec;
            return 1;
        }
        if (in->buf_pos == in->buf_len) {
            if (in->eof) {
                if (csv_fini(&in->parser, on_field, on_row_end, in) != 0)
                    return diag_set(d, EX_DATAERR, in->name, in->rec.line,
                                    "unterminated quoted field; file refused: close "
                                    "the quote that opens in this record (a "
                                    "quoted field runs on to the next quote, "
                                    "over line ends), then deliver the file "
                                    "again");
                if (in->record_ready) {
                    in->rec.end_line = in->line;
                    continue;
                }
                return 0;
            }
            if (refill(in, d) != 0)
                return -1;
            continue;
        }
        const char *s = in->buf + in->buf_pos;
        size_t avail = in->buf_len - in->buf_pos;
        /* The first CR or LF: memchr's word-wide scan for the LF, then
         * for a CR before it (issue 15: a byte loop here was an eighth of
         * the loader's own CPU). */
        const char *lf = memchr(s, '\n', avail);
        size_t n = lf ? (size_t)(lf - s) : avail;
        const char *cr = memchr(s, '\r', n);
        if (cr)
            n = (size_t)(cr - s);
        bool ends_line = n < avail;
        if (ends_line)
            n++;
        if (!in->in_record && start_piece(in, s, n, ends_line, d) != 0)
            return -1;
        /* Blanks before a record, cut from it by a read boundary, are kept
         * so that the raw record starts where its line does. A blank line
         * longer than the record cap is still a blank line (skipped): past
         * the cap its blanks are only remembered, and refuse the record
         * that may follow them on the line. */
        if (!in->in_record && !ends_line &&
            (in->blanks_over || in->raw_len + n > CSVIN_MAX_RECORD_BYTES)) {
            in->blanks_over = true;
            in->raw_len = 0;
        } else if (in->in_record &&
                   in->raw_len + n > CSVIN_MAX_RECORD_BYTES) {
            /* The record passes its cap inside this piece. Parse up to the
             * byte that passes it, so that a field cap met before that byte
             * wins whatever the read size: the reason does not depend on
             * where reads happen to end. */
            size_t m = CSVIN_MAX_RECORD_BYTES - in->raw_len + 1;
            if (csv_parse(&in->parser, s, m, on_field, on_row_end, in) != m)
                return parse_error(in, d);
            return raw_append(in, s, n, d);
        } else if ((in->in_record || !ends_line) &&
                   raw_append(in, s, n, d) != 0) {
            return -1;
        }
        if (csv_parse(&in->parser, s, n, on_field, on_row_end, in) != n)
            return parse_error(in, d);
        in->buf_pos += n;
        if (in->record_ready)
            in->rec.end_line = in->line;
        count_line(in, s, n, ends_line);
    }
}
