/* test_utf8.c -- etl/utf8.c: RFC 3629 validation and safe display. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/utf8.h"

static const struct {
    const char *in;
    bool ok;
    size_t bad_at;
} cases[] = {
    {"plain ascii", true, 0},
    {"caf\xC3\xA9", true, 0},
    {"\xE2\x82\xAC 10", true, 0},              /* euro sign */
    {"\xF0\x9F\x98\x80", true, 0},             /* U+1F600 */
    {"\xF4\x8F\xBF\xBF", true, 0},             /* U+10FFFF */
    {"ab\xC0\xAF", false, 2},                  /* overlong '/' */
    {"\xE0\x80\xAF", false, 0},                /* overlong, 3 bytes */
    {"\xED\xA0\x80", false, 0},                /* surrogate U+D800 */
    {"\xF4\x90\x80\x80", false, 0},            /* above U+10FFFF */
    {"x\xC3", false, 1},                       /* truncated */
    {"\xE2\x82", false, 0},                    /* truncated */
    {"\x80", false, 0},                        /* lone continuation */
    {"\xFF", false, 0},
    {"ok\xF5\x80\x80\x80", false, 2},
};

static void test_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t bad = 99;
        bool ok = utf8_valid(cases[i].in, strlen(cases[i].in), &bad);
        if (ok != cases[i].ok || (!ok && bad != cases[i].bad_at))
            fail_msg("case %zu: ok=%d bad_at=%zu", i, ok, bad);
    }
}

/* utf8_valid skips ASCII a word at a time (issue 15): each bad or
 * multi-byte sequence of the cases above, put at every offset 0..19 of a
 * run of ASCII and followed by more, still gives the verdict and the
 * offset of the first bad byte that the case gives alone. */
static void test_valid_offsets(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t at = 0; at < 20; at++) {
            char buf[64];
            size_t n = strlen(cases[i].in);
            memset(buf, 'a', at);
            memcpy(buf + at, cases[i].in, n);
            memset(buf + at + n, 'z', 11);
            size_t bad = 99;
            bool ok = utf8_valid(buf, at + n + 11, &bad);
            if (ok != cases[i].ok || (!ok && bad != at + cases[i].bad_at))
                fail_msg("case %zu at %zu: ok=%d bad_at=%zu", i, at, ok,
                         bad);
        }
    }
}

static void test_show(void **state)
{
    (void)state;
    char out[64];
    utf8_show("a\x01" "b\xFF" "c\\", 6, 40, out, sizeof out);
    assert_string_equal(out, "a\\x01b\\xFFc\\\\");
    utf8_show("caf\xC3\xA9 au lait", 15, 4, out, sizeof out);
    assert_string_equal(out, "caf\xC3\xA9...");
    utf8_show("abcdefghij", 10, 40, out, 5);     /* cut by the buffer */
    assert_string_equal(out, "abcd");
    size_t bad;
    assert_true(utf8_valid(out, strlen(out), &bad));
    /* utf8_qshow: a ' as \x27 too, counted as one character; utf8_show
     * keeps it */
    utf8_qshow("O'Brien\x01", 8, 40, out, sizeof out);
    assert_string_equal(out, "O\\x27Brien\\x01");
    utf8_qshow("a'bcd", 5, 3, out, sizeof out);
    assert_string_equal(out, "a\\x27b...");
    utf8_show("O'Brien", 7, 40, out, sizeof out);
    assert_string_equal(out, "O'Brien");
}

/* A path is shown as it is unless it holds a control byte or bad UTF-8:
 * then every such byte (and a backslash) is escaped, nothing is cut. */
static const struct { const char *in, *want; bool same; } path_cases[] = {
    { "inbox/dispatches_1.csv", "inbox/dispatches_1.csv", true },
    { "in\\box/caf\xC3\xA9 \xE2\x82\xAC.csv", "in\\box/caf\xC3\xA9 \xE2\x82\xAC.csv", true },
    { "a\nb.csv", "a\\x0Ab.csv", false },
    { "a\x1B[31m\\.csv", "a\\x1B[31m\\\\.csv", false },
    { "a\xC2\x9B" "1m", "a\\xC2\\x9B1m", false },          /* C1 CSI */
    { "bad\xFF\xFE", "bad\\xFF\\xFE", false },
    { "end\xC2", "end\\xC2", false },                    /* cut sequence */
    { "", "", true },
};

static void test_show_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof path_cases / sizeof path_cases[0]; i++) {
        char buf[UTF8_PATH_SHOWN];
        const char *got = utf8_show_path(path_cases[i].in, buf, sizeof buf);
        if (strcmp(got, path_cases[i].want) != 0 ||
            (got == path_cases[i].in) != path_cases[i].same)
            fail_msg("case %zu: got '%s', want '%s'", i, got,
                     path_cases[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_valid_offsets),
        cmocka_unit_test(test_show),
        cmocka_unit_test(test_show_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
