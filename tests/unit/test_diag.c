/* test_diag.c -- lib/diag.c: a diag owns its text; one severity order,
 * and every place that writes the order out agrees with diag_worse()
 * (issue 11, bug 8: diag.h, batch.c and diag.c's rank() disagreed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/diag.h"

/* The order as diag.h states it, most severe first. */
static const int order[] = {70, 64, 75, 73, 66, 65, 0};
#define N_ORDER (sizeof order / sizeof order[0])

static void test_worse_follows_the_order(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ORDER; i++)
        for (size_t k = 0; k < N_ORDER; k++) {
            int want = order[i < k ? i : k];
            if (diag_worse(order[i], order[k]) != want)
                fail_msg("diag_worse(%d, %d) = %d, want %d", order[i],
                         order[k], diag_worse(order[i], order[k]), want);
        }
    assert_int_equal(diag_worse(0, 1), 1);      /* unknown: as bad as 70 */
    assert_int_equal(diag_worse(70, 1), 70);
}

/* Every "70 > ..." chain in a file (the README, the man page, headers and
 * comments) must be the order above, or a tail of it with the same
 * relative order. */
static void check_chains(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s: cannot open (run from the source tree)", path);
    char line[512];
    int n_chains = 0;
    while (fgets(line, sizeof line, f)) {
        char *p = strstr(line, "70 > ");
        if (!p)
            continue;
        int got[16], n = 0;
        while (n < 16) {
            char *end;
            long v = strtol(p, &end, 10);
            if (end == p)
                break;
            got[n++] = (int)v;
            p = end;
            if (strncmp(p, " > ", 3) != 0)
                break;
            p += 3;
        }
        n_chains++;
        for (int i = 1; i < n; i++)
            if (diag_worse(got[i - 1], got[i]) != got[i - 1] ||
                got[i - 1] == got[i])
                fail_msg("%s: '%.*s': %d is not more severe than %d by "
                         "diag_worse()", path, (int)strcspn(line, "\n"),
                         line, got[i - 1], got[i]);
        if (n != (int)N_ORDER)
            fail_msg("%s: '%.*s' leaves codes out (diag.h: 70 > 64 > 75 > "
                     "73 > 66 > 65 > 0)", path, (int)strcspn(line, "\n"),
                     line);
    }
    fclose(f);
    if (n_chains == 0)
        fail_msg("%s: states no severity order", path);
}

static void test_every_written_order_agrees(void **state)
{
    (void)state;
    check_chains("lib/diag.h");
    check_chains("README.md");
    check_chains("docs/svcrecon.1");
}

static void test_diag_owns_its_file(void **state)
{
    (void)state;
    struct diag d = {0};
    char path[32] = "feeds/x.csv";
    assert_int_equal(diag_set(&d, EX_DATAERR, path, 7, "bad %s", "row"), -1);
    strcpy(path, "overwritten");
    assert_string_equal(d.file, "feeds/x.csv");
    assert_int_equal((int)d.line, 7);
    assert_string_equal(d.reason, "bad row");
    char buf[64];
    diag_format(&d, buf, sizeof buf);
    assert_string_equal(buf, "feeds/x.csv: bad row");
    diag_set(&d, EX_SOFTWARE, NULL, 0, "out of memory");
    assert_string_equal(d.file, "");
    diag_format(&d, buf, sizeof buf);
    assert_string_equal(buf, "out of memory");
}

static void test_folder_of_a_path(void **state)
{
    (void)state;
    static const struct { const char *path, *folder; } cases[] = {
        {"svc.db", "."},          {"state/svc.db", "state"},
        {"/svc.db", "/"},         {"/var/lib/s/svc.db", "/var/lib/s"},
        {"./svc.db", "."},        {"a//svc.db", "a/"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(diag_folder_of(cases[i].path, out, sizeof out), 0);
        assert_string_equal(out, cases[i].folder);
    }
    assert_int_equal(diag_folder_of("abcdef/x", out, 6), -1);   /* cut */
    assert_int_equal(diag_folder_of("abcde/x", out, 6), 0);
    assert_string_equal(out, "abcde");
}

static void test_thousands(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(diag_thousands(0, b, sizeof b), "0");
    assert_string_equal(diag_thousands(999, b, sizeof b), "999");
    assert_string_equal(diag_thousands(1000, b, sizeof b), "1,000");
    assert_string_equal(diag_thousands(32767, b, sizeof b), "32,767");
    assert_string_equal(diag_thousands(1234567, b, sizeof b), "1,234,567");
    assert_string_equal(diag_thousands(18446744073709551615ULL, b, sizeof b),
                        "18,446,744,073,709,551,615");
    char small[4];
    assert_string_equal(diag_thousands(123456, small, sizeof small), "12");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worse_follows_the_order),
        cmocka_unit_test(test_every_written_order_agrees),
        cmocka_unit_test(test_diag_owns_its_file),
        cmocka_unit_test(test_folder_of_a_path),
        cmocka_unit_test(test_thousands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
