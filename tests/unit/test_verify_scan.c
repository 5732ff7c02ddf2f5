/* test_verify_scan.c -- reports/verify.c's XML scanner: xml_bytes (runs of
 * bytes, skipping with memchr what xml_byte would pass over) must reach
 * the verdict and the counts of xml_byte fed one byte at a time. A sheet
 * like the ones sheet.c writes (declaration, attributes in both quotes,
 * inline strings with entities, self-closing cells, a <row> with spans)
 * is damaged at random (bytes replaced by the characters the scanner
 * acts on, cuts, runs of name characters) and fed to both, xml_bytes in
 * runs cut at random; every field of the two scans must agree. verify.c
 * is included (its scanner is static) under another name for its one
 * public function, so as not to clash with the copy every test links. */
#define verify_workbook verify_workbook_scan_copy
#include "reports/verify.c"
#undef verify_workbook

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static unsigned long seed = 20261207;

static unsigned long rnd(unsigned long n)
{
    seed = seed * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned long)(seed >> 33) % n;
}

/* A sheet of `rows` rows; returns its length. */
static size_t make_sheet(char *buf, size_t size, int rows)
{
    size_t n = (size_t)snprintf(buf, size,
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone='yes'?>\n"
        "<worksheet xmlns=\"http://schemas.example/main\"><dimension "
        "ref=\"A1:C%d\"/><sheetData>", rows);
    for (int r = 1; r <= rows && n < size; r++)
        n += (size_t)snprintf(buf + n, size - n,
            "<row r=\"%d\"%s><c r=\"A%d\" s=\"6\" t=\"inlineStr\"><is><t>"
            "call &lt;%d&gt; 'x' \"y\"</t></is></c><c r='B%d'><v>%d.5</v>"
            "</c><c r=\"C%d\" s=\"1\"/></row>", r,
            r % 3 ? "" : " spans=\"1:3\" ht='15'", r, r, r, r, r);
    n += (size_t)snprintf(buf + n, size - n, "</sheetData></worksheet>\n");
    assert_true(n < size);
    return n;
}

static void scan_bytewise(struct xml_scan *x, const unsigned char *p,
                          size_t n)
{
    for (size_t k = 0; k < n && !x->bad; k++)
        xml_byte(x, p[k]);
}

static void scan_runs(struct xml_scan *x, const unsigned char *p, size_t n)
{
    size_t at = 0;
    while (at < n) {
        size_t run = 1 + rnd(rnd(4) ? 64 : 4096);
        if (run > n - at)
            run = n - at;
        xml_bytes(x, p + at, run);
        at += run;
    }
}

static void same_scan(const struct xml_scan *a, const struct xml_scan *b,
                      int round)
{
    if (a->bad != b->bad || (a->bad && strcmp(a->bad_name, b->bad_name)))
        fail_msg("round %d: verdicts differ: '%s' <%s> vs '%s' <%s>", round,
                 a->bad ? a->bad : "(none)", a->bad_name,
                 b->bad ? b->bad : "(none)", b->bad_name);
    if (a->state != b->state || a->depth != b->depth ||
        a->root_done != b->root_done || a->n_cells != b->n_cells ||
        a->n_rows != b->n_rows || a->rows_out_of_order != b->rows_out_of_order
        || a->is_row != b->is_row || a->closing != b->closing ||
        a->name_len != b->name_len)
        fail_msg("round %d: counts differ: state %d/%d depth %d/%d cells "
                 "%lu/%lu rows %lu/%lu order %d/%d", round, (int)a->state,
                 (int)b->state, a->depth, b->depth, a->n_cells, b->n_cells,
                 a->n_rows, b->n_rows, a->rows_out_of_order,
                 b->rows_out_of_order);
    for (int k = 0; k < a->depth; k++)
        if (strcmp(a->stack[k], b->stack[k]) != 0)
            fail_msg("round %d: open element %d differs", round, k);
}

static void test_runs_scan_as_bytes(void **state)
{
    (void)state;
    static const char acts[] = "<>/\"'= \t\nc?!x";
    enum { SIZE = 1 << 20 };
    char *orig = malloc(SIZE), *buf = malloc(SIZE);
    struct xml_scan *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    assert_non_null(orig);
    assert_non_null(buf);
    assert_non_null(a);
    assert_non_null(b);
    size_t n0 = make_sheet(orig, SIZE, 40);
    unsigned long clean = 0, damaged = 0;
    for (int round = 0; round < 3000; round++) {
        size_t n = n0;
        memcpy(buf, orig, n);
        int edits = round == 0 ? 0 : 1 + (int)rnd(3);
        for (int e = 0; e < edits; e++) {
            size_t at = rnd(n);
            switch (rnd(4)) {
            case 0:                         /* cut short */
                n = at;
                break;
            case 1:                         /* a long name */
                for (size_t k = at; k < n && k < at + 80; k++)
                    buf[k] = 'q';
                break;
            default:                        /* a byte the scanner acts on */
                buf[at] = acts[rnd(sizeof acts - 1)];
            }
        }
        memset(a, 0, sizeof *a);
        memset(b, 0, sizeof *b);
        a->want_rows = b->want_rows = rnd(2) ? 40 : rnd(50);
        scan_bytewise(a, (const unsigned char *)buf, n);
        scan_runs(b, (const unsigned char *)buf, n);
        same_scan(a, b, round);
        if (a->bad)
            damaged++;
        else
            clean++;
        if (round == 0 && (a->bad || a->n_cells != 120 || a->n_rows != 40 ||
                           !a->root_done))
            fail_msg("the undamaged sheet scans as %s, %lu cells, %lu rows",
                     a->bad ? a->bad : "whole", a->n_cells, a->n_rows);
    }
    /* both kinds of verdict were compared, many times */
    if (damaged < 1000 || clean < 20)
        fail_msg("only %lu damaged and %lu whole scans", damaged, clean);
    free(orig);
    free(buf);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_scan_as_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
