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
 * The raw bytes of the record are the pieces from its first to its last.
 *
 * A field that outgrows CSVIN_MAX_FIELD_BYTES (libcsv's CSV_ENOMEM, from
 * capped_realloc) or a record whose raw bytes outgrow
 * CSVIN_MAX_RECORD_BYTES does not refuse the file (SPEC §2: a field over
 * 32,767 bytes rejects its row): scan_over() reads the rest of that record
 * itself, RFC 4180 from the state libcsv was in, keeping none of its bytes
 * (its first CSVIN_RAW_PREFIX raw bytes excepted) and counting lines as
 * above; the record is returned flagged over, and libcsv starts afresh on
 * the next one. */
#include "etl/csvin.h"

#include <csv.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What to do, after each refusal's reason (the brief: name the file, the
 * line, the reason and what to do). */
#define CSVIN_UNTERMINATED "unterminated quoted field; file refused: " \
    "close the quote that opens in this record (a quoted field runs on to " \
    "the next quote, over line ends), then deliver the file again"
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
    bool               oom;          /* on_field's buffer could not grow */
    bool               blanks_over;  /* blanks before a record passed it */
    unsigned long long blank_run;    /* their bytes, when they did */
    size_t             n_stored;     /* fields of the record in data */
    size_t             max_field;    /* the record's largest field so far */
    unsigned long long max_len;

    /* scan_over(): the rest of a record over a cap, read not kept */
    bool               over;
    int                sc_state;     /* enum scan_state */
    unsigned long long sc_len;       /* its bytes so far */
    unsigned long long sc_spaces;    /* blanks that end it so far */
    unsigned long long sc_bytes;     /* the record's raw bytes so far */

    struct csvin_field *fields;
    struct csvin_record rec;
    size_t             header_fields; /* the first record's, 0 before it */
};

/* libcsv grows its field buffer through this; refusing past the cap turns a
 * runaway field (a 1 GB line, a quote never closed) into CSV_ENOMEM instead
 * of an unbounded allocation. libcsv offers no context pointer here, hence
 * a fixed limit rather than a per-reader one. */
/* A NULL under the cap is memory run out, not a field over it: libcsv
 * says CSV_ENOMEM either way, so the failure is noted here (per thread:
 * the import is one thread, but nothing here needs to know it) and
 * csv_failed() reads it. Taken for a field over the cap, it refused the
 * file (65, "header is 112 bytes ... a quote that is not closed") or
 * rejected the row, where the night's memory had run out (fix70). */
static _Thread_local bool realloc_failed;

static void *capped_realloc(void *p, size_t size)
{
    if (size > CSVIN_MAX_FIELD_BYTES + 64)
        return NULL;
    void *q = realloc(p, size);
    if (!q)
        realloc_failed = true;
    return q;
}

static void on_field(void *s, size_t len, void *ctx)
{
    struct csvin *in = ctx;
    size_t i = in->n_fields++;
    if (len > in->max_len) {
        in->max_len = len;
        in->max_field = i;
    }
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
            in->oom = true;            /* said by csv_failed(), 70 */
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
    in->n_stored = i + 1;
}

static void on_row_end(int c, void *ctx)
{
    (void)c;
    struct csvin *in = ctx;
    in->record_ready = true;
    in->in_record = false;
}

static int parser_init(struct csvin *in)
{
    realloc_failed = false;
    if (csv_init(&in->parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
        return -1;
    in->parser_ok = true;
    csv_set_realloc_func(&in->parser, capped_realloc);
    csv_set_blk_size(&in->parser, 4096);
    return 0;
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
        parser_init(in) != 0) {
        csvin_free(in);
        return NULL;
    }
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
    /* A record of CSVIN_MAX_RECORD_BYTES then its line end is kept; the
     * callers flag a longer one (go_over) before it gets here. */
    if (in->raw_len + n > CSVIN_MAX_RECORD_BYTES + 1)
        return diag_set(d, EX_SOFTWARE, in->name, in->rec.line,
                        "record longer than %d bytes kept",
                        CSVIN_MAX_RECORD_BYTES);
    if (in->raw_len + n > in->raw_cap) {
        size_t cap = in->raw_cap ? in->raw_cap : 4096;
        while (cap < in->raw_len + n)
            cap *= 2;
        char *p = realloc(in->raw, cap);
        if (!p)
            return diag_set(d, EX_SOFTWARE, in->name, in->rec.line,
                            "out of memory reading the file: %s",
                            DIAG_OOM_TO_DO);
        in->raw = p;
        in->raw_cap = cap;
    }
    memcpy(in->raw + in->raw_len, s, n);
    in->raw_len += n;
    return 0;
}

/* Memory ran out inside libcsv or on_field (internal: 70, with what to
 * do; never a file refused or a row rejected for it). -1 with d set. */
static int csv_failed(struct csvin *in, struct diag *d)
{
    if (!realloc_failed && !in->oom)
        return 0;
    realloc_failed = false;
    return diag_set(d, EX_SOFTWARE, in->name, in->line, "out of memory "
                    "reading the file: %s", DIAG_OOM_TO_DO);
}

static bool parse_over(struct csvin *in)
{
    int err = csv_error(&in->parser);
    return err == CSV_ENOMEM || err == CSV_ETOOBIG;
}

#define SEP_OPEN ((size_t)-1)

/* The fields of s[0..n) read as CSV separated by sep (RFC 4180: a quote
 * opens a field, "" inside it is a quote, the closing one is followed by
 * sep or the line end); 0 when it does not read so, SEP_OPEN when a quote
 * is left open (the record goes on past s[0..n)). */
static size_t sep_fields(const char *s, size_t n, char sep)
{
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    size_t fields = 1, i = 0;
    while (i <= n) {
        if (i < n && s[i] == '"') {             /* a quoted field */
            for (i++;; i++) {
                if (i >= n)
                    return SEP_OPEN;            /* left open */
                if (s[i] == '"' && i + 1 < n && s[i + 1] == '"')
                    i++;
                else if (s[i] == '"')
                    break;
            }
            i++;
            if (i < n && s[i] != sep)
                return 0;                       /* text after the quote */
        } else {
            while (i < n && s[i] != sep)
                if (s[i++] == '"')
                    return 0;                   /* inside an unquoted one */
        }
        if (i >= n)
            return fields;
        fields++;
        i++;
    }
    return fields;
}

/* SPEC §6: a record refused for its quoting that reads whole as a
 * semicolon- or tab-separated row of the header's field count -- a row
 * of such an export, with a quoted field ("a;b";c;d), under a comma
 * header -- is named as such (fix78: it was "malformed quoting ... quote
 * the whole field" alone; qa75 named the unquoted ones, etl/feed.c). */
static const char *record_separator(const struct csvin *in)
{
    static const struct { char sep; const char *name; } seps[] = {
        {';', "semicolon-separated"}, {'\t', "tab-separated"},
    };
    if (in->header_fields < 2 || in->over)
        return NULL;
    for (size_t k = 0; k < sizeof seps / sizeof seps[0]; k++)
        if (sep_fields(in->raw, in->raw_len, seps[k].sep) ==
            in->header_fields)
            return seps[k].name;
    return NULL;
}

/* libcsv fails a semicolon- or tab-separated row at its first quote
 * (inside a comma-separated field), before a quoted line break of the
 * row: raw then holds the row only up to that line's end, a quote left
 * open, and record_separator() could not name it ("malformed quoting";
 * fix81). The rest of the record as that separator reads it is taken
 * into raw, whole lines from the input, up to the record cap: the file is
 * refused either way, so nothing after it is parsed. The line counts stay
 * (a reason that names no format names the line libcsv failed on). */
static int read_open_record(struct csvin *in, struct diag *d)
{
    static const char seps[] = {';', '\t'};
    /* A line without a quote leaves a quote open as it was: raw is read
     * again only after a line holding one. Read again after every line,
     * a 2.5 MB file whose ';' row left a quote open took 24 s to refuse,
     * not 0.03 (qa88, tests/e2e/t9998). */
    for (bool quoted = true;;) {
        bool open = !quoted;
        for (size_t k = 0; k < sizeof seps && !open; k++)
            open = sep_fields(in->raw, in->raw_len, seps[k]) == SEP_OPEN;
        if (!open || in->over)
            return 0;
        quoted = false;
        if (in->buf_pos == in->buf_len) {
            if (in->eof)
                return 0;
            if (refill(in, d) != 0)          /* a read error: said so */
                return -1;
            continue;
        }
        const char *s = in->buf + in->buf_pos;
        size_t avail = in->buf_len - in->buf_pos;
        const char *lf = memchr(s, '\n', avail);
        size_t n = lf ? (size_t)(lf - s) + 1 : avail;
        if (in->raw_len + n > CSVIN_MAX_RECORD_BYTES + 1)
            return 0;
        if (raw_append(in, s, n, d) != 0)     /* out of memory: 70 */
            return -1;
        in->buf_pos += n;
        quoted = memchr(s, '"', n) != NULL;
    }
}

static int parse_error(struct csvin *in, struct diag *d)
{
    const char *sep = record_separator(in);
    if (sep)
        return diag_set(d, EX_DATAERR, in->name, in->rec.line, "the row "
                        "is %s, not comma-separated as its header is (its "
                        "quotes do not read as comma-separated CSV); file "
                        "refused: re-export as CSV UTF-8, comma-separated; "
                        "then deliver the file again", sep);
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
    size_t kept = in->n_stored;
    for (size_t i = 0; i < kept; i++) {
        /* data is NULL until a field holds a byte: NULL + 0 is UB. */
        in->fields[i].ptr = in->data ? in->data + in->offs[i] : "";
        in->fields[i].len = in->lens[i];
    }
    /* A prefix (over) ends where it is cut, never at the line end. */
    while (!in->over && in->raw_len > 0 &&
           (in->raw[in->raw_len - 1] == '\n' ||
            in->raw[in->raw_len - 1] == '\r'))
        in->raw_len--;
    in->rec.over = in->over;
    in->rec.over_field = in->max_field;
    in->rec.over_len = in->max_len;
    in->rec.over_bytes = in->over ? in->sc_bytes : 0;
    in->over = false;
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

static int go_over(struct csvin *in, const char *s, size_t n, size_t k,
                   unsigned long long before, struct diag *d);

/* Outside a record, the piece s[0..n) of a line starts one, or is part
 * of a blank line (not a record). */
static int start_piece(struct csvin *in, const char *s, size_t n,
                       bool ends_line, struct diag *d)
{
    if (!blank_piece(s, n)) {
        in->in_record = true;
        in->rec.line = in->line;
        in->data_len = in->n_fields = in->n_stored = 0;
        in->max_field = 0;
        in->max_len = 0;
        in->too_big = false;
        if (in->blanks_over) {         /* as if read in one piece */
            in->blanks_over = false;
            return go_over(in, s, n, 0, in->blank_run, d);
        }
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

/* libcsv's states (libcsv.c; struct csv_parser's pstate, csv.h) */
#define LIBCSV_FIELD_BEGUN            2
#define LIBCSV_FIELD_MIGHT_HAVE_ENDED 3

/* scan_over()'s states: before a field (or between two), in an unquoted
 * field, in a quoted one, right after a quote in a quoted field (a closing
 * quote, or the first of a doubled one), after a closing quote and blanks. */
enum scan_state { SC_START, SC_UNQUOTED, SC_QUOTED, SC_QUOTE, SC_CLOSED };

/* Raw keeps its first CSVIN_RAW_PREFIX bytes, from the piece s[0..n) when
 * it holds fewer (the piece is not in raw then). */
static int raw_prefix(struct csvin *in, const char *s, size_t n,
                      struct diag *d)
{
    if (in->raw_len < CSVIN_RAW_PREFIX) {
        size_t add = CSVIN_RAW_PREFIX - in->raw_len;
        if (raw_append(in, s, add < n ? add : n, d) != 0)
            return -1;
    }
    if (in->raw_len > CSVIN_RAW_PREFIX)
        in->raw_len = CSVIN_RAW_PREFIX;
    return 0;
}

/* The record passes a cap after libcsv took the first k bytes of the piece
 * s[0..n): its first CSVIN_RAW_PREFIX raw bytes are kept (before: the raw
 * bytes of the record before this piece; raw holds the piece already when
 * it holds CSVIN_RAW_PREFIX bytes or more), the rest is read by
 * scan_over() from the state libcsv is in. */
static int go_over(struct csvin *in, const char *s, size_t n, size_t k,
                   unsigned long long before, struct diag *d)
{
    const struct csv_parser *p = &in->parser;
    if (raw_prefix(in, s, n, d) != 0)
        return -1;
    in->over = true;
    in->sc_bytes = (unsigned long long)before + k;
    in->sc_len = in->sc_spaces = 0;
    in->sc_state = SC_START;
    if (p->pstate == LIBCSV_FIELD_BEGUN) {
        in->sc_state = p->quoted ? SC_QUOTED : SC_UNQUOTED;
        in->sc_len = p->entry_pos;
        in->sc_spaces = p->quoted ? 0 : p->spaces;
    } else if (p->pstate == LIBCSV_FIELD_MIGHT_HAVE_ENDED) {
        /* libcsv holds the quote and the blanks after it */
        in->sc_state = p->spaces ? SC_CLOSED : SC_QUOTE;
        in->sc_len = p->entry_pos - p->spaces - 1;
    }
    in->buf_pos += k;
    if (k)
        in->prev_cr = false;       /* s[0..k) holds no CR or LF */
    return 0;
}

/* A field of the record over a cap ends, less its trailing blanks. */
static void over_field_end(struct csvin *in, unsigned long long trim)
{
    unsigned long long len = in->sc_len - trim;
    if (len > in->max_len) {
        in->max_len = len;
        in->max_field = in->n_fields;
    }
    in->n_fields++;
    in->sc_len = in->sc_spaces = 0;
    in->sc_state = SC_START;
}

/* The record over a cap has ended: libcsv starts afresh on the next. */
static int over_record_end(struct csvin *in, struct diag *d)
{
    over_field_end(in, in->sc_state == SC_UNQUOTED ? in->sc_spaces : 0);
    in->rec.end_line = in->line;
    in->record_ready = true;
    in->in_record = false;
    csv_free(&in->parser);
    in->parser_ok = false;
    if (parser_init(in) != 0)
        return diag_set(d, EX_SOFTWARE, in->name, in->line, "out of memory "
                        "reading the file: %s", DIAG_OOM_TO_DO);
    return 0;
}

/* Reads the rest of a record over a cap from the buffer, as libcsv would
 * (RFC 4180, strict), keeping none of it: 1 at its end (the line end
 * taken), 0 when the buffer is used up first, -1 on malformed quoting. */
static int scan_over(struct csvin *in, struct diag *d)
{
    const unsigned char *b = (const unsigned char *)in->buf;
    while (in->buf_pos < in->buf_len) {
        unsigned char c = b[in->buf_pos];
        bool brk = c == '\r' || c == '\n';
        bool blank = c == ' ' || c == '\t';
        bool ends = false;
        if (in->sc_state == SC_QUOTE && c != '"')
            in->sc_state = SC_CLOSED;  /* the quote closed the field */
        switch (in->sc_state) {
        case SC_QUOTED:
            if (c == '"')
                in->sc_state = SC_QUOTE;
            else
                in->sc_len++;     /* a CR or LF in quotes is data */
            break;
        case SC_QUOTE:            /* doubled: one quote of data */
            in->sc_len++;
            in->sc_state = SC_QUOTED;
            break;
        case SC_CLOSED:
            if (blank)
                in->sc_state = SC_CLOSED;
            else if (c == ',')
                over_field_end(in, 0);
            else if (brk)
                ends = true;
            else
                return parse_error(in, d);
            break;
        case SC_START:
            if (c == ',') {
                over_field_end(in, 0);
            } else if (brk) {
                ends = true;
            } else if (c == '"') {
                in->sc_state = SC_QUOTED;
            } else if (!blank) {
                in->sc_state = SC_UNQUOTED;
                in->sc_len = 1;
            }
            break;
        default:                  /* SC_UNQUOTED */
            if (c == '"')
                return parse_error(in, d);
            if (c == ',') {
                over_field_end(in, in->sc_spaces);
            } else if (brk) {
                ends = true;
            } else {
                in->sc_len++;
                in->sc_spaces = blank ? in->sc_spaces + 1 : 0;
            }
            break;
        }
        in->buf_pos++;
        if (ends && over_record_end(in, d) != 0)
            return -1;
        if (!ends)
            in->sc_bytes++;
        /* Lines as count_line() counts them: LF, CR, CR LF once. */
        if (c == '\r')
            in->line++;
        else if (c == '\n' && !in->prev_cr)
            in->line++;
        in->prev_cr = c == '\r';
        if (ends)
            return 1;
    }
    return 0;
}

int csvin_next(struct csvin *in, const struct csvin_record **rec,
               struct diag *d)
{
    in->raw_len = 0;                   /* the last record is released */
    for (;;) {
        if (in->record_ready) {
            if (in->too_big && !in->over) {  /* not in reach: data <= raw */
                while (in->raw_len > 0 &&
                       (in->raw[in->raw_len - 1] == '\n' ||
                        in->raw[in->raw_len - 1] == '\r'))
                    in->raw_len--;
                in->over = true;
                in->sc_bytes = in->raw_len;
                if (in->raw_len > CSVIN_RAW_PREFIX)
                    in->raw_len = CSVIN_RAW_PREFIX;
            }
            finish_record(in);
            if (!in->header_fields)
                in->header_fields = in->rec.n_fields;
            *rec = &in->rec;
            return 1;
        }
        if (in->buf_pos == in->buf_len) {
            if (in->eof && in->over) {
                if (in->sc_state == SC_QUOTED)
                    return diag_set(d, EX_DATAERR, in->name, in->rec.line,
                                    CSVIN_UNTERMINATED);
                if (over_record_end(in, d) != 0)
                    return -1;
                continue;
            }
            if (in->eof) {
                int fini = csv_fini(&in->parser, on_field, on_row_end, in);
                if (csv_failed(in, d) != 0)
                    return -1;
                if (fini != 0)
                    return diag_set(d, EX_DATAERR, in->name, in->rec.line,
                                    CSVIN_UNTERMINATED);
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
        if (in->over) {
            if (scan_over(in, d) < 0)
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
        if (in->over)                  /* start_piece: blanks over a cap */
            continue;
        /* Blanks before a record, cut from it by a read boundary, are kept
         * so that the raw record starts where its line does. A blank line
         * longer than the record cap is still a blank line (skipped): past
         * the cap its blanks are only counted (raw keeps their first
         * bytes), and the record that may follow them on the line is one
         * over the cap (start_piece). */
        if (!in->in_record && !ends_line &&
            (in->blanks_over || in->raw_len + n > CSVIN_MAX_RECORD_BYTES)) {
            /* Raw keeps the first bytes of these blanks, as it would of a
             * record read in one piece with them. */
            if (!in->blanks_over) {
                in->blank_run = in->raw_len;
                if (raw_prefix(in, s, n, d) != 0)
                    return -1;
            }
            in->blanks_over = true;
            in->blank_run += n;
        } else if (in->in_record &&
                   in->raw_len + n - ends_line > CSVIN_MAX_RECORD_BYTES) {
            /* The record passes its cap inside this piece (its line end
             * not counted). Parse up to the byte that passes it, so that a
             * field cap met before that byte is met at the same byte
             * whatever the read size: the record does not depend on where
             * reads happen to end. That byte is never the line end. */
            size_t m = CSVIN_MAX_RECORD_BYTES - in->raw_len + 1;
            size_t k = csv_parse(&in->parser, s, m, on_field, on_row_end, in);
            if (csv_failed(in, d) != 0)
                return -1;
            if (k != m && !parse_over(in))
                return parse_error(in, d);
            if (go_over(in, s, n, k, in->raw_len, d) != 0)
                return -1;
            continue;
        } else if ((in->in_record || !ends_line) &&
                   raw_append(in, s, n, d) != 0) {
            return -1;
        }
        size_t k = csv_parse(&in->parser, s, n, on_field, on_row_end, in);
        if (csv_failed(in, d) != 0)
            return -1;
        if (k != n && !parse_over(in)) {
            in->buf_pos += n;          /* the piece is in raw */
            if (read_open_record(in, d) != 0)
                return -1;
            return parse_error(in, d);
        }
        if (k != n) {                  /* a field over its cap */
            /* raw holds the piece: in a record, or blanks before one */
            if (go_over(in, s, n, k, in->raw_len - n, d) != 0)
                return -1;
            continue;
        }
        in->buf_pos += n;
        if (in->record_ready)
            in->rec.end_line = in->line;
        count_line(in, s, n, ends_line);
    }
}
