/* test_csvin.c -- etl/csvin.c: records, physical line numbers, raw bytes,
 * BOM, line ends, blank lines and refusals. Every input is fed in every
 * chunk size from 1 byte up (libcsv's own trick: it finds a BOM or a CRLF
 * split across reads). Expected records are written as text:
 * "LINE:field|field|...;LINE:..." (fields here hold no '|' or ';'). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "etl/csvin.h"

static const struct {
    const char *name;
    const char *in;
    size_t in_len;          /* 0: strlen(in) */
    const char *want;       /* records, or NULL when refused */
    unsigned long err_line; /* refused: line in the diagnostic */
} cases[] = {
    {"plain", "a,b\n1,2\n", 0, "1:a|b;2:1|2", 0},
    {"no final newline", "a,b\n1,2", 0, "1:a|b;2:1|2", 0},
    {"crlf", "a,b\r\n1,2\r\n3,4\r\n", 0, "1:a|b;2:1|2;3:3|4", 0},
    {"cr only", "a,b\r1,2\r3,4", 0, "1:a|b;2:1|2;3:3|4", 0},
    {"bom", "\xEF\xBB\xBF" "a,b\n1,2\n", 0, "1:a|b;2:1|2", 0},
    {"bom only in first field", "\xEF\xBB\xBF\"a\",b\n", 0, "1:a|b", 0},
    {"not a bom", "\xEF\xBB" "a,b\n", 0, "1:\xEF\xBB" "a|b", 0},
    {"blank lines", "a,b\n\n1,2\n\r\n  \t\n3,4\n\n", 0,
     "1:a|b;3:1|2;6:3|4", 0},
    {"quoted comma and quote", "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", 0,
     "1:a|b;2:x,y|say \"hi\"", 0},
    {"line break in quotes", "a,b\n\"one\ntwo\",2\n3,4\n", 0,
     "1:a|b;2:one\ntwo|2;4:3|4", 0},
    {"crlf in quotes", "a,b\r\n\"one\r\ntwo\r\n\",2\r\n3,4\r\n", 0,
     "1:a|b;2:one\r\ntwo\r\n|2;5:3|4", 0},
    {"empty fields", "a,b,c\n,,\n", 0, "1:a|b|c;2:||", 0},
    {"spaces trimmed unquoted", "a,b\n  x  , \" y \" \n", 0,
     "1:a|b;2:x| y ", 0},
    {"nul byte kept", "a,b\nx\0y,2\n", 10, "1:a|b;2:x\0y|2", 0},
    {"unterminated quote", "a,b\n1,\"open\n2,3\n", 0, NULL, 2},
    {"stray quote", "a,b\nab\"c,2\n", 0, NULL, 2},
    {"text after quote", "a,b\n1,2\n\"x\"y,2\n", 0, NULL, 3},
    {"empty input", "", 0, "", 0},
    {"only blank lines", "\n\n\r\n", 0, "", 0},
};

/* Builds "LINE:f|f;..." from what the reader returns. */
static int read_all(const char *in, size_t len, size_t chunk, char *out,
                    size_t out_size, struct diag *d)
{
    FILE *fp = fmemopen((void *)in, len ? len : 1, "rb");
    if (len == 0) {           /* fmemopen refuses size 0: read nothing */
        fclose(fp);
        fp = fopen("/dev/null", "rb");
    }
    struct csvin *r = csvin_new(fp, "t.csv", chunk, NULL, NULL);
    const struct csvin_record *rec;
    size_t o = 0;
    int rc;
    out[0] = '\0';
    while ((rc = csvin_next(r, &rec, d)) == 1) {
        o += (size_t)snprintf(out + o, out_size - o, "%s%lu:",
                              o ? ";" : "", rec->line);
        for (size_t i = 0; i < rec->n_kept; i++) {
            if (i)
                out[o++] = '|';
            memcpy(out + o, rec->fields[i].ptr, rec->fields[i].len);
            o += rec->fields[i].len;
        }
        out[o] = '\0';
    }
    csvin_free(r);
    fclose(fp);
    return rc;
}

static void test_records_every_chunk_size(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].in_len ? cases[i].in_len : strlen(cases[i].in);
        size_t want_len = 0;
        if (cases[i].want) {
            /* the expected text may hold a NUL: measure through the last ';'
             * pieces by comparing with memcmp over the produced length */
            want_len = strlen(cases[i].want);
            if (cases[i].in_len)
                want_len = strlen(cases[i].want) +
                           strlen(cases[i].want + want_len + 1) + 1;
        }
        for (size_t chunk = 1; chunk <= len + 1; chunk++) {
            char out[1024];
            struct diag d = {0};
            int rc = read_all(cases[i].in, len, chunk, out, sizeof out, &d);
            if (!cases[i].want) {
                if (rc != -1 || d.exit_code != EX_DATAERR ||
                    d.line != cases[i].err_line)
                    fail_msg("%s (chunk %zu): want refusal at line %lu, got "
                             "rc=%d line=%lu '%s'", cases[i].name, chunk,
                             cases[i].err_line, rc, d.line, d.reason);
                continue;
            }
            if (rc != 0 || memcmp(out, cases[i].want, want_len + 1) != 0)
                fail_msg("%s (chunk %zu): rc=%d got '%s' want '%s' (%s)",
                         cases[i].name, chunk, rc, out, cases[i].want,
                         d.reason);
        }
    }
}

static void test_raw_record_and_end_line(void **state)
{
    (void)state;
    const char *in = "a,b\r\n\"x\r\ny\",2\r\n\r\n  3 , 4\r\n";
    FILE *fp = fmemopen((void *)in, strlen(in), "rb");
    struct csvin *r = csvin_new(fp, "t.csv", 3, NULL, NULL);
    const struct csvin_record *rec;
    struct diag d = {0};
    assert_int_equal(csvin_next(r, &rec, &d), 1);
    assert_int_equal(rec->raw_len, 3);
    assert_memory_equal(rec->raw, "a,b", 3);
    assert_int_equal(csvin_next(r, &rec, &d), 1);
    assert_int_equal(rec->line, 2);
    assert_int_equal(rec->end_line, 3);
    assert_int_equal(rec->raw_len, strlen("\"x\r\ny\",2"));
    assert_memory_equal(rec->raw, "\"x\r\ny\",2", rec->raw_len);
    assert_int_equal(csvin_next(r, &rec, &d), 1);
    assert_int_equal(rec->line, 5);
    assert_memory_equal(rec->raw, "  3 , 4", 7);
    assert_int_equal(csvin_next(r, &rec, &d), 0);
    assert_int_equal(csvin_bytes(r), strlen(in));
    csvin_free(r);
    fclose(fp);
}

static void test_field_count_beyond_kept(void **state)
{
    (void)state;
    /* A header of 5,000 columns: counted, CSVIN_MAX_FIELDS kept. */
    size_t n = 5000, len = n * 2;
    char *in = malloc(len + 1);
    for (size_t i = 0; i < n; i++) {
        in[2 * i] = 'x';
        in[2 * i + 1] = i + 1 < n ? ',' : '\n';
    }
    FILE *fp = fmemopen(in, len, "rb");
    struct csvin *r = csvin_new(fp, "t.csv", 0, NULL, NULL);
    const struct csvin_record *rec;
    struct diag d = {0};
    assert_int_equal(csvin_next(r, &rec, &d), 1);
    assert_int_equal(rec->n_fields, n);
    assert_int_equal(rec->n_kept, CSVIN_MAX_FIELDS);
    csvin_free(r);
    fclose(fp);
    free(in);
}

/* A field over the cap (SPEC §2: its row is rejected, not the file) is
 * read to its end without being kept, at every read size: a doubled quote
 * where the cap is met, line breaks (LF, CR LF, CR) inside; the record is
 * flagged over with its field's length, the next record keeps its line.
 * The same quote never closed refuses the file as unterminated. */
static void test_field_over_cap_flagged(void **state)
{
    (void)state;
    size_t cap = CSVIN_MAX_FIELD_BYTES + 64;   /* libcsv's buffer then */
    size_t len = cap + 4096;
    char *in = malloc(len + 64);
    size_t n = 0;
    memcpy(in, "a,b\n\"", 5);
    n = 5;
    size_t field = 0;                      /* its bytes once read */
    while (field < len) {
        if (field == cap - 1 || field == 1000) {
            memcpy(in + n, "\"\"", 2);     /* "" across the cap */
            n += 2;
        } else if (field == 10) {
            memcpy(in + n, "\r\n", 2);
            n += 2;
            field++;
        } else {
            in[n++] = field == 20 ? '\r' : field == 30 ? '\n' : 'x';
        }
        field++;
    }
    size_t body = n;
    memcpy(in + n, "\"  ,y\r\n\nz,w", 12);
    n += 12;
    static const size_t chunks[] = {1, 2, 3, 7, 64, 4096, 0};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        FILE *fp = fmemopen(in, n, "rb");
        struct csvin *r = csvin_new(fp, "t.csv", chunks[c], NULL, NULL);
        const struct csvin_record *rec;
        struct diag d = {0};
        assert_int_equal(csvin_next(r, &rec, &d), 1);
        assert_false(rec->over);
        assert_int_equal(csvin_next(r, &rec, &d), 1);
        assert_true(rec->over);
        assert_int_equal(rec->line, 2);
        assert_int_equal(rec->end_line, 5);
        assert_int_equal(rec->n_fields, 2);
        assert_int_equal(rec->n_kept, 0);
        assert_int_equal(rec->over_field, 0);
        assert_int_equal(rec->over_len, len);
        assert_int_equal(rec->over_bytes, body + 5 - 4);
        assert_int_equal(rec->raw_len, CSVIN_RAW_PREFIX);
        assert_memory_equal(rec->raw, in + 4, CSVIN_RAW_PREFIX);
        assert_int_equal(csvin_next(r, &rec, &d), 1);
        assert_false(rec->over);
        assert_int_equal(rec->line, 7);
        assert_int_equal(rec->n_kept, 2);
        assert_memory_equal(rec->fields[0].ptr, "z", 1);
        assert_int_equal(csvin_next(r, &rec, &d), 0);
        csvin_free(r);
        fclose(fp);

        fp = fmemopen(in, body, "rb");     /* the quote never closed */
        r = csvin_new(fp, "t.csv", chunks[c], NULL, NULL);
        assert_int_equal(csvin_next(r, &rec, &d), 1);
        assert_int_equal(csvin_next(r, &rec, &d), -1);
        assert_int_equal(d.exit_code, EX_DATAERR);
        assert_int_equal(d.line, 2);
        assert_non_null(strstr(d.reason, "unterminated quoted field"));
        csvin_free(r);
        fclose(fp);
    }
    free(in);
}

static void count_bytes(void *ctx, const void *bytes, size_t n)
{
    (void)bytes;
    *(size_t *)ctx += n;
}

static void test_hook_sees_every_byte(void **state)
{
    (void)state;
    const char *in = "\xEF\xBB\xBF" "a,b\n1,2\n";
    for (size_t chunk = 1; chunk < 12; chunk++) {
        size_t seen = 0;
        FILE *fp = fmemopen((void *)in, strlen(in), "rb");
        struct csvin *r = csvin_new(fp, "t.csv", chunk, count_bytes, &seen);
        const struct csvin_record *rec;
        struct diag d = {0};
        while (csvin_next(r, &rec, &d) == 1)
            ;
        assert_int_equal(seen, strlen(in));
        csvin_free(r);
        fclose(fp);
    }
}

/* csvin_end: the bytes past `end` (the loader's DOS end-of-file mark) are
 * hashed and counted, never parsed, whatever the read size; BOM included
 * in the count. */
static void test_end_leaves_the_tail_unparsed(void **state)
{
    (void)state;
    const char *in = "\xEF\xBB\xBF" "a,b\r\n1,2\x1A";
    size_t len = strlen(in);
    for (size_t chunk = 1; chunk < 16; chunk++) {
        size_t seen = 0;
        FILE *fp = fmemopen((void *)in, len, "rb");
        struct csvin *r = csvin_new(fp, "t.csv", chunk, count_bytes, &seen);
        const struct csvin_record *rec;
        struct diag d = {0};
        csvin_end(r, len - 1);
        assert_int_equal(csvin_next(r, &rec, &d), 1);
        assert_int_equal(csvin_next(r, &rec, &d), 1);
        assert_int_equal(rec->line, 2);
        assert_int_equal(rec->n_fields, 2);
        assert_int_equal(rec->fields[1].len, 1);
        assert_memory_equal(rec->raw, "1,2", 3);
        assert_int_equal(rec->raw_len, 3);
        assert_int_equal(csvin_next(r, &rec, &d), 0);
        assert_int_equal(seen, len);
        assert_int_equal(csvin_bytes(r), len);
        csvin_free(r);
        fclose(fp);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_every_chunk_size),
        cmocka_unit_test(test_raw_record_and_end_line),
        cmocka_unit_test(test_field_count_beyond_kept),
        cmocka_unit_test(test_field_over_cap_flagged),
        cmocka_unit_test(test_hook_sees_every_byte),
        cmocka_unit_test(test_end_leaves_the_tail_unparsed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
