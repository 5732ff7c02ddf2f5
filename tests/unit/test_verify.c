/* test_verify.c -- reports/verify.c: a workbook read back before its
 * rename. A real workbook written through sheet.c verifies; the same file
 * cut at every length, or with a byte changed anywhere, does not; wrong
 * expectations fail with a reason naming the part; and hand-made zips
 * (stored entries, built here) exercise the XML scanner case by case:
 * each names what it must say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "reports/sheet.h"
#include "reports/lxw_tmp.h"
#include "reports/verify.h"

static char dir[] = "/tmp/test_verify.XXXXXX";
static char book_path[256];
static struct verify_sheet want[8];
static size_t n_want;

static void put16(FILE *f, unsigned v)
{
    fputc((int)(v & 255), f);
    fputc((int)(v >> 8 & 255), f);
}

static void put32(FILE *f, uint32_t v)
{
    put16(f, v & 0xFFFF);
    put16(f, v >> 16);
}

/* A zip of stored entries: names[k] holds texts[k]. */
static void write_zip(const char *path, const char *const *names,
                      const char *const *texts, int n)
{
    FILE *f = fopen(path, "wb");
    uint32_t off[16];
    assert_non_null(f);
    for (int k = 0; k < n; k++) {
        uint32_t len = (uint32_t)strlen(texts[k]);
        uint32_t crc = (uint32_t)crc32(0, (const Bytef *)texts[k], len);
        off[k] = (uint32_t)ftell(f);
        put32(f, 0x04034b50); put16(f, 20); put16(f, 0); put16(f, 0);
        put32(f, 0); put32(f, crc); put32(f, len); put32(f, len);
        put16(f, (unsigned)strlen(names[k])); put16(f, 0);
        fputs(names[k], f);
        fputs(texts[k], f);
    }
    uint32_t cd = (uint32_t)ftell(f);
    for (int k = 0; k < n; k++) {
        uint32_t len = (uint32_t)strlen(texts[k]);
        put32(f, 0x02014b50); put16(f, 20); put16(f, 20); put16(f, 0);
        put16(f, 0); put32(f, 0);
        put32(f, (uint32_t)crc32(0, (const Bytef *)texts[k], len));
        put32(f, len); put32(f, len); put16(f, (unsigned)strlen(names[k]));
        put16(f, 0); put16(f, 0); put16(f, 0); put16(f, 0); put32(f, 0);
        put32(f, off[k]);
        fputs(names[k], f);
    }
    uint32_t end = (uint32_t)ftell(f);
    put32(f, 0x06054b50); put16(f, 0); put16(f, 0); put16(f, (unsigned)n);
    put16(f, (unsigned)n); put32(f, end - cd); put32(f, cd); put16(f, 0);
    assert_int_equal(fclose(f), 0);
}

#define ROOT "<?xml version=\"1.0\"?>\n"
#define SHEET(rows) ROOT "<worksheet><sheetData>" rows "</sheetData></worksheet>"
#define ROW1 "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a&lt;b</t></is></c></row>"
#define ROW2 "<row r=\"2\" spans=\"1:2\"><c r=\"A2\"><v>1</v></c><c r=\"B2\" s=\"1\"/></row>"

static const struct {
    const char *sheet;          /* xl/worksheets/sheet1.xml */
    unsigned long cells, rows;  /* what was "written" */
    const char *why;            /* NULL: verifies; else part of the reason */
} xml_cases[] = {
    {SHEET(ROW1 ROW2), 3, 2, NULL},
    {SHEET(ROW1 ROW2) "\n  ", 3, 2, NULL},
    {SHEET(ROW1 ROW2), 3, 0, NULL},
    {SHEET(ROW1 ROW2), 4, 2, "holds 3 cells, 4 were written"},
    {SHEET(ROW1 ROW2), 3, 3, "lacks listing rows (2 rows, 3 were written)"},
    {SHEET(ROW2 ROW1), 3, 2, "lacks listing rows"},
    {ROOT "<worksheet><sheetData>" ROW1, 1, 1,
     "cut short, element never closed <sheetData>"},
    {ROOT "<worksheet><sheetData>" ROW1 "</sheetData></works", 1, 1,
     "ends inside a tag"},
    {ROOT "<worksheet><sheetData><row r=\"1\"><c r=\"A1\"></row></sheetData>"
     "</worksheet>", 1, 1, "end tag does not close the open element <row>"},
    {SHEET(ROW1) "<x/>", 1, 1, "element after the root element <x>"},
    {SHEET(ROW1) "junk", 1, 1, "text outside the root element"},
    {ROOT "<worksheet a=\"<\"/>", 0, 0, "'<' inside an attribute value"},
    {ROOT "<worksheet><>", 0, 0, "'<' not starting a tag"},
    {ROOT "<worksheet/ >", 0, 0, "'/' not ending a tag"},
    {"", 0, 0, "cut short"},
};

static void test_xml_cases(void **state)
{
    (void)state;
    char path[300], why[256];
    snprintf(path, sizeof path, "%s/case.xlsx", dir);
    for (size_t i = 0; i < sizeof xml_cases / sizeof xml_cases[0]; i++) {
        const char *names[] = {"[Content_Types].xml", "xl/workbook.xml",
                               "xl/worksheets/sheet1.xml"};
        const char *texts[] = {ROOT "<Types/>", ROOT "<workbook/>",
                               xml_cases[i].sheet};
        struct verify_sheet s = {1, xml_cases[i].cells, xml_cases[i].rows};
        write_zip(path, names, texts, 3);
        why[0] = '\0';
        int rc = verify_workbook(path, &s, 1, why, sizeof why);
        if (!xml_cases[i].why && rc != 0)
            fail_msg("case %zu: refused: %s", i, why);
        if (xml_cases[i].why && (rc == 0 || !strstr(why, xml_cases[i].why)))
            fail_msg("case %zu: want '%s', got rc=%d '%s'", i,
                     xml_cases[i].why, rc, why);
    }
}

static void test_missing_parts(void **state)
{
    (void)state;
    char path[300], why[256];
    const char *names[] = {"[Content_Types].xml", "xl/workbook.xml"};
    const char *texts[] = {ROOT "<Types/>", ROOT "<workbook/>"};
    struct verify_sheet s = {1, 0, 0};
    snprintf(path, sizeof path, "%s/parts.xlsx", dir);
    write_zip(path, names, texts, 2);
    assert_int_equal(verify_workbook(path, &s, 1, why, sizeof why), -1);
    assert_non_null(strstr(why, "1 worksheets were written, 0 are in"));
    write_zip(path, names, texts, 1);
    assert_int_equal(verify_workbook(path, NULL, 0, why, sizeof why), -1);
    assert_non_null(strstr(why, "part xl/workbook.xml is missing"));
    snprintf(path, sizeof path, "%s/none.xlsx", dir);
    assert_int_equal(verify_workbook(path, NULL, 0, why, sizeof why), -1);
    assert_non_null(strstr(why, "cannot read it back: No such file"));
}

static const struct sheet_col cols[] = {
    {"Name", SHEET_TEXT, 40}, {"Count", SHEET_INT, 10}};

/* A real workbook through sheet.c: a listing of 300 rows and a free-form
 * sheet; sheet_book_close() verifies it and keeps the expectations. */
static int write_book(void **state)
{
    (void)state;
    struct sheet_book b;
    struct sheet sh;
    char why[256] = "";
    lxw_workbook_options wo = {.constant_memory = LXW_TRUE, .tmpdir = dir};
    assert_non_null(mkdtemp(dir));
    snprintf(book_path, sizeof book_path, "%s/book.xlsx", dir);
    memset(&b, 0, sizeof b);
    b.wb = workbook_new_opt(book_path, &wo);
    assert_int_equal(sheet_book_init(&b), 0);
    lxw_worksheet *ws = workbook_add_worksheet(b.wb, "Summary");
    sheet_write_cstr(&b, ws, 0, 0, "Title & more", b.title);
    sheet_write_number(&b, ws, 1, 0, 42, NULL);
    sheet_write_blank(&b, ws, 1, 1, b.total);
    assert_int_equal(sheet_open(&sh, &b, "Listing", cols, 2), 0);
    for (int r = 0; r < 300; r++) {
        char text[64];
        assert_int_equal(sheet_next_row(&sh), 0);
        snprintf(text, sizeof text, "row <%d> _x0041_ caf\xC3\xA9", r);
        sheet_write_cstr(&b, sh.ws, sh.row, 0, text, b.text);
        sheet_write_number(&b, sh.ws, sh.row, 1, r, NULL);
    }
    assert_int_equal(sheet_close(&sh), 0);
    /* keep the expectations sheet_book_close() frees */
    n_want = b.n_expect;
    memcpy(want, b.expect, n_want * sizeof *want);
    for (size_t k = 0; k < n_want; k++)
        want[k].part = (unsigned)k + 1;   /* as sheet_book_close() sets */
    unsigned long made = lxw_tmp_files();
    int rc = sheet_book_close(&b, book_path, why, sizeof why);
    if (rc != 0)
        fail_msg("the workbook does not verify: %s (%d)", why, b.err);
    assert_int_equal(n_want, 2);
    /* libxlsxwriter took its temporary files from lxw_tmp.c (PLT) */
    assert_true(made >= 2);
    assert_int_equal(want[0].n_cells, 3);
    assert_int_equal(want[1].n_cells, 2 + 600);
    assert_int_equal(want[1].n_rows, 301);
    return 0;
}

static int remove_book(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static unsigned char *slurp(const char *path, long *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = ftell(f);
    rewind(f);
    unsigned char *p = malloc((size_t)*n);
    assert_int_equal(fread(p, 1, (size_t)*n, f), (size_t)*n);
    fclose(f);
    return p;
}

static void spill(const char *path, const unsigned char *p, long n)
{
    FILE *f = fopen(path, "wb");
    assert_int_equal(fwrite(p, 1, (size_t)n, f), (size_t)n);
    assert_int_equal(fclose(f), 0);
}

/* Every cut (at every length) and every changed byte fails. A changed
 * byte in a zip's directory can be harmless (a file comment length, the
 * "version made by"): those are counted and must stay few. */
static void test_damage(void **state)
{
    (void)state;
    char why[256], path[300];
    long n;
    unsigned char *orig = slurp(book_path, &n);
    unsigned long harmless = 0;
    assert_int_equal(verify_workbook(book_path, want, n_want, why,
                                     sizeof why), 0);
    snprintf(path, sizeof path, "%s/damaged.xlsx", dir);
    for (long cut = 0; cut < n; cut++) {
        spill(path, orig, cut);
        if (verify_workbook(path, want, n_want, why, sizeof why) == 0)
            fail_msg("cut at %ld of %ld bytes verifies", cut, n);
    }
    unsigned char *p = malloc((size_t)n);
    for (long k = 0; k < n; k++) {
        memcpy(p, orig, (size_t)n);
        p[k] ^= 0x5A;
        spill(path, p, n);
        if (verify_workbook(path, want, n_want, why, sizeof why) == 0)
            harmless++;
    }
    /* Only header fields nobody reads may change unnoticed: versions,
     * flags, times, attributes (27 bytes per part) and the end record's
     * disk numbers and comment length (8). */
    unsigned long parts = 0;
    for (long k = 0; k + 4 <= n; k++)
        parts += memcmp(orig + k, "PK\x01\x02", 4) == 0;
    if (harmless > 27 * parts + 8)
        fail_msg("%lu of %ld changed bytes go unnoticed (%lu parts)",
                 harmless, n, parts);
    free(p);
    free(orig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xml_cases),
        cmocka_unit_test(test_missing_parts),
        cmocka_unit_test(test_damage),
    };
    return cmocka_run_group_tests(tests, write_book, remove_book);
}
