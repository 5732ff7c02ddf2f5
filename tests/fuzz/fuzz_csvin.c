/* fuzz_csvin.c -- libFuzzer target for etl/csvin.c, the CSV reader.
 *
 * Input: the first byte picks the read size (0: the 64 KiB default, else
 * 1..255 bytes), the rest is the file. The file is read to the end through
 * fmemopen(3) and every record is checked against the reader's promises
 * (csvin.h): line numbers increase, a record ends on or after the line it
 * starts on, the line breaks inside its raw bytes are exactly the lines it
 * spans, n_kept <= n_fields, n_kept <= CSVIN_MAX_FIELDS, raw_len <=
 * CSVIN_MAX_RECORD_BYTES, and every field byte can be read (ASan checks the
 * bounds). Then the same file is read again at another read size, and again
 * with a byte-order mark in front: what the reader returns -- records,
 * fields, raw bytes, line numbers, the reason of a refusal -- must not
 * depend on either (the libcsv test trick of every chunk size).
 *
 * tests/fuzz/run builds this with small caps (-DCSVIN_MAX_FIELDS=64 ...)
 * so that the refusal paths are reached by small inputs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl/csvin.h"

/* Everything observable of one read, serialized for comparison. */
struct trace {
    unsigned char *buf;
    size_t         len, cap;
};

static void put(struct trace *t, const void *p, size_t n)
{
    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n)
            cap *= 2;
        t->buf = realloc(t->buf, cap);
        if (!t->buf)
            abort();
        t->cap = cap;
    }
    memcpy(t->buf + t->len, p, n);
    t->len += n;
}

static void put_num(struct trace *t, unsigned long long v)
{
    put(t, &v, sizeof v);
}

static void fail(const char *what)
{
    fprintf(stderr, "fuzz_csvin: invariant broken: %s\n", what);
    abort();
}

/* Line breaks in (s, n): LF, CR, CR LF counted once. */
static unsigned long count_breaks(const char *s, size_t n)
{
    unsigned long k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r')
            k++;
        else if (s[i] == '\n' && !(i > 0 && s[i - 1] == '\r'))
            k++;
    }
    return k;
}

static void read_all(const uint8_t *data, size_t size, size_t chunk,
                     struct trace *t)
{
    static const char nothing[1];
    FILE *fp = fmemopen(size ? (void *)data : (void *)nothing,
                        size ? size : 1, "rb");
    if (!fp)
        abort();
    if (!size)
        fgetc(fp);                      /* an empty file */
    struct csvin *in = csvin_new(fp, "fuzz.csv", chunk, NULL, NULL);
    if (!in)
        abort();
    const struct csvin_record *rec;
    struct diag d = {0};
    unsigned long prev_end = 0, n_records = 0;
    size_t lines_in_file = count_breaks((const char *)data, size) + 1;
    int got;
    while ((got = csvin_next(in, &rec, &d)) == 1) {
        if (++n_records > size + 1)
            fail("more records than bytes");
        if (rec->line < 1 || rec->line <= prev_end)
            fail("record line does not increase");
        if (rec->end_line < rec->line)
            fail("end_line before line");
        if (rec->end_line > lines_in_file)
            fail("end_line past the last line");
        if (rec->n_fields < 1 || rec->n_kept > rec->n_fields ||
            rec->n_kept > CSVIN_MAX_FIELDS ||
            (rec->n_fields <= CSVIN_MAX_FIELDS && !rec->over &&
             rec->n_kept != rec->n_fields))
            fail("n_kept and n_fields");
        /* A record over a cap: read to its end, raw only its prefix. */
        if (rec->over &&
            (rec->raw_len != CSVIN_RAW_PREFIX ||
             rec->over_field >= rec->n_fields ||
             rec->over_bytes <= CSVIN_RAW_PREFIX || rec->over_bytes > size ||
             count_breaks(rec->raw, rec->raw_len) > rec->end_line - rec->line))
            fail("a record over a cap");
        if (rec->raw_len > CSVIN_MAX_RECORD_BYTES || rec->raw_len > size)
            fail("raw_len too large");
        if (!rec->over && (rec->raw_len == 0 ||
                           rec->raw[rec->raw_len - 1] == '\n' ||
                           rec->raw[rec->raw_len - 1] == '\r'))
            fail("raw record empty or ending in a line break");
        if (!rec->over && count_breaks(rec->raw, rec->raw_len) !=
            rec->end_line - rec->line)
            fail("line breaks in the raw record != end_line - line");
        size_t total = 0;
        unsigned sum = 0;
        for (size_t i = 0; i < rec->n_kept; i++) {
            const struct csvin_field *f = &rec->fields[i];
            if (f->len && !f->ptr)
                fail("field without bytes");
            for (size_t k = 0; k < f->len; k++)
                sum += (unsigned char)f->ptr[k];   /* ASan: in bounds */
            total += f->len;
        }
        /* Every field byte comes from at least one raw byte. */
        if (total > (rec->over ? rec->over_bytes : rec->raw_len))
            fail("fields hold more bytes than the raw record");
        prev_end = rec->end_line;
        put_num(t, rec->line);
        put_num(t, rec->end_line);
        put_num(t, rec->n_fields);
        put_num(t, rec->n_kept);
        put_num(t, sum);
        for (size_t i = 0; i < rec->n_kept; i++) {
            put_num(t, rec->fields[i].len);
            put(t, rec->fields[i].ptr, rec->fields[i].len);
        }
        put_num(t, rec->raw_len);
        put(t, rec->raw, rec->raw_len);
        put_num(t, rec->over);
        put_num(t, rec->over_field);
        put_num(t, rec->over_len);
        put_num(t, rec->over_bytes);
    }
    put_num(t, (unsigned long long)(got + 1));
    if (got < 0) {
        if (d.exit_code != EX_DATAERR || !d.reason[0])
            fail("refusal without EX_DATAERR and a reason");
        put_num(t, d.line);
        put(t, d.reason, strlen(d.reason));
    } else if (csvin_next(in, &rec, &d) != 0) {
        fail("a record after the end");
    }
    if (csvin_bytes(in) != size)
        if (got == 0)
            fail("bytes read != file size at the end");
    csvin_free(in);
    fclose(fp);
}

static void same(const struct trace *a, const struct trace *b,
                 const char *what)
{
    if (a->len != b->len || memcmp(a->buf, b->buf, a->len) != 0)
        fail(what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t chunk = data[0];             /* 0: CSVIN_CHUNK */
    data++;
    size--;
    struct trace a = {0}, b = {0}, c = {0};
    read_all(data, size, chunk, &a);
    read_all(data, size, chunk ? 0 : 1, &b);
    same(&a, &b, "records depend on the read size");
    if (size < 3 || memcmp(data, "\xEF\xBB\xBF", 3) != 0) {
        uint8_t *bom = malloc(size + 3);
        if (!bom)
            abort();
        memcpy(bom, "\xEF\xBB\xBF", 3);
        if (size)
            memcpy(bom + 3, data, size);
        read_all(bom, size + 3, chunk, &c);
        free(bom);
        same(&a, &c, "a byte-order mark changes the records");
    }
    free(a.buf);
    free(b.buf);
    free(c.buf);
    return 0;
}
