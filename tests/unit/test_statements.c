/* test_statements.c -- reports/statements.c: dealer statement file names
 * (SPEC §4 "Dealer statements": every byte outside A-Z a-z 0-9 - _ as %HH;
 * README: names over 240 bytes and names already taken end "~" + 16 hex
 * digits of the id's SHA-256). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/sha256.h"
#include "reports/statements.h"

static const struct {
    const char *id;
    int taken;
    const char *name;
} cases[] = {
    {"CA1042", 0, "CA1042.xlsx"},
    {"ab-_Z9", 0, "ab-_Z9.xlsx"},
    {"../x", 0, "%2E%2E%2Fx.xlsx"},
    {"A/B C", 0, "A%2FB%20C.xlsx"},
    {".", 0, "%2E.xlsx"},
    {"..", 0, "%2E%2E.xlsx"},
    {"a%b", 0, "a%25b.xlsx"},
    {"~", 0, "%7E.xlsx"},
    {"caf\xC3\xA9", 0, "caf%C3%A9.xlsx"},
    {"line\nbreak", 0, "line%0Abreak.xlsx"},
};

static void test_names_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[256];
        statements_file_name(cases[i].id, strlen(cases[i].id),
                             cases[i].taken, out);
        if (strcmp(out, cases[i].name) != 0)
            fail_msg("case %zu '%s': got '%s', want '%s'", i, cases[i].id,
                     out, cases[i].name);
    }
}

/* A name that would pass 240 bytes: cut at a whole %HH, then ~ and the
 * first 16 hex digits of the id's SHA-256. */
static void test_long_ids(void **state)
{
    (void)state;
    char id[301], out[256], hex[SHA256_HEX_SIZE];
    for (int fill = 0; fill < 2; fill++) {
        memset(id, fill ? '/' : 'x', 300);
        id[300] = '\0';
        statements_file_name(id, 300, 0, out);
        sha256_bytes(id, 300, hex);
        size_t n = strlen(out);
        assert_true(n <= 240 + 5);
        assert_string_equal(out + n - 5, ".xlsx");
        assert_int_equal(out[n - 22], '~');
        assert_memory_equal(out + n - 21, hex, 16);
        /* never half an escape before the ~ */
        for (size_t k = 0; k + 22 < n; k++)
            if (out[k] == '%')
                assert_true(k + 3 <= n - 22);
        assert_null(strchr(out, '/'));
    }
}

/* At most 100 characters with ".xlsx" (Excel's 218-character path, a
 * folder included: tests/e2e/t9980): 95 plain bytes keep their name, 96
 * are cut to 78 and end "~" + hash; an escape is never cut in half. */
static void test_name_room(void **state)
{
    (void)state;
    char id[97], out[256], hex[SHA256_HEX_SIZE];
    memset(id, 'y', 96);
    id[96] = '\0';
    statements_file_name(id, 95, 0, out);
    assert_int_equal(strlen(out), 100);
    assert_string_equal(out + 95, ".xlsx");
    statements_file_name(id, 96, 0, out);
    sha256_bytes(id, 96, hex);
    assert_int_equal(strlen(out), 100);
    assert_int_equal(out[78], '~');
    assert_memory_equal(out + 79, hex, 16);
    memset(id, '/', 96);
    statements_file_name(id, 32, 0, out);      /* 96 escaped bytes */
    assert_true(strlen(out) <= 100);
    assert_int_equal(out[strlen(out) - 22], '~');
    assert_int_equal((strlen(out) - 22) % 3, 0);
}

/* Ids that differ only in case are two names; a name in use (a
 * case-insensitive volume) gets the hash ending, distinct again. */
static void test_case_and_taken(void **state)
{
    (void)state;
    char a[256], b[256], c[256];
    statements_file_name("ab", 2, 0, a);
    statements_file_name("AB", 2, 0, b);
    statements_file_name("AB", 2, 1, c);
    assert_string_equal(a, "ab.xlsx");
    assert_string_equal(b, "AB.xlsx");
    assert_int_equal(strncmp(c, "AB~", 3), 0);
    assert_int_equal(strlen(c), 2 + 1 + 16 + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_table),
        cmocka_unit_test(test_long_ids),
        cmocka_unit_test(test_case_and_taken),
        cmocka_unit_test(test_name_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
