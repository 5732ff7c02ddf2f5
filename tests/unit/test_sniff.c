/* test_sniff.c -- etl/sniff.c: which legacy 8-bit code page a record that
 * is not valid UTF-8 reads as (sniff_8bit), and the file's sentence
 * (sniff_legacy). README "more than half of the rejected rows invalid
 * UTF-8 ..." has the decision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "etl/sniff.h"

static const struct {
    const char *in;
    const char *want;                 /* NULL: no code page named */
} cases[] = {
    {"Caf\xE9", "Windows-1252"},                  /* é at a word's end */
    {"Pe\xF1" "a", "Windows-1252"},               /* ñ inside a word */
    {"\x93Pe\xF1" "a\x94", "Windows-1252"},       /* smart quotes, ñ */
    {"10 \x96 12", "Windows-1252"},               /* an en dash alone */
    {"\x80 5", "Windows-1252"},                   /* a euro sign */
    {"\xFF", "Windows-1252"},                     /* ÿ, nothing beside */
    {"Fran\x8Dois", "Mac Roman"},                 /* ç: undefined in 1252 */
    {"Cr\x8Fme", "Mac Roman"},                    /* è: undefined in 1252 */
    {"Caf\x8E", "Mac Roman"},                     /* é at a word's end */
    {"Pe\x96" "a", "Mac Roman"},                  /* ñ inside a word */
    {"M\x9Fller Ren\x8E" "e", "Mac Roman"},       /* ü, é */
    {"\x84uez", "Windows-1252"},                  /* „ at an edge: quote */
    {"\x84u\x96" "ez", "Mac Roman"},              /* Ñuñez */
    {"\xF4\x90\x80\x80", NULL},                   /* broken UTF-8, 0x90 */
    {"a\x81", "Mac Roman"},                       /* Å beside a letter */
    {" \x81 ", NULL},                             /* 0x81 alone: neither */
    {"plain", NULL},                              /* valid UTF-8 */
    {"caf\xC3\xA9", NULL},                        /* valid UTF-8 */
    {"ab\xC3(", "Windows-1252"},                  /* a lead byte alone: Ã */
    {"a\x01\x80", "Windows-1252"},               /* ASCII bytes are no
                                                     break of UTF-8 */
};

static void test_code_page(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got =
            sniff_cp_name(sniff_8bit(cases[i].in, strlen(cases[i].in)));
        bool same = got == cases[i].want ||
                    (got && cases[i].want && strcmp(got, cases[i].want) == 0);
        if (!same)
            fail_msg("case %zu (%s): got %s, want %s", i, cases[i].in,
                     got ? got : "NULL",
                     cases[i].want ? cases[i].want : "NULL");
    }
}

static void test_file_sentence(void **state)
{
    (void)state;
    char why[512];
    assert_false(sniff_legacy(0, 0, 3, false, why, sizeof why));
    assert_false(sniff_legacy(1, 1, 4, false, why, sizeof why));   /* half: no */
    assert_true(sniff_legacy(2, 1, 4, false, why, sizeof why));
    assert_non_null(strstr(why, "3 of the 4 rejected rows"));
    assert_non_null(strstr(why, ", comma-separated and import it again"));
    assert_non_null(strstr(why, "legacy 8-bit export (Windows-1252 or "
                                "Latin-1)"));
    assert_true(sniff_legacy(1, 2, 4, true, why, sizeof why));
    assert_non_null(strstr(why, "read as Mac Roman"));
    assert_non_null(strstr(why, "legacy 8-bit export (Mac Roman)"));
    assert_non_null(strstr(why, "re-export as CSV UTF-8, comma-separated"));
    assert_non_null(strstr(why, "deliver it to the inbox again: it loads "
                                "on the next run"));
    assert_null(strstr(why, "import it again"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_page),
        cmocka_unit_test(test_file_sentence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
