/* test_progress.c -- app/progress.c: the import progress bar's text says
 * "file n of N", fits the terminal, and leaves a field out whole rather
 * than cut it (issue 13: it cut paths mid-word and ran past the width). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "app/progress.h"

static const char *name = "/srv/cits/inbox/dispatches_2026-03-11_full_export.csv";

static void wide_terminal_shows_everything(void **state)
{
    (void)state;
    char line[512];
    progress_format(line, sizeof line, 200, name, 2, 5, 100.0, 12345, 31.1);
    assert_string_equal(line, "  file 2 of 5  dispatches_2026-03-11_full_export.csv"
                              "  100.0%  12345 rows  31.1 MB/s");
}

static void never_wider_than_the_terminal_and_no_field_cut(void **state)
{
    (void)state;
    char line[512];
    for (int width = 1; width <= 120; width++) {
        progress_format(line, sizeof line, width, name, 12, 40, 45.25, 987654,
                        123.4);
        assert_true(strlen(line) <= (size_t)width - 1);
        if (!line[0]) {
            /* the essentials alone are wider: no bar (never cut them) */
            assert_true(width - 1 < (int)strlen("  file 12 of 40   45.2%  987654 rows"));
            continue;
        }
        assert_non_null(strstr(line, "file 12 of 40"));
        assert_non_null(strstr(line, "987654 rows"));
        /* the name is there whole or not at all */
        const char *n = strstr(line, "dispatches");
        if (n)
            assert_non_null(strstr(line, "dispatches_2026-03-11_full_export.csv"));
        const char *mb = strstr(line, "MB/s");
        if (mb)
            assert_non_null(strstr(line, "123.4 MB/s"));
    }
}

static void name_goes_before_speed(void **state)
{
    (void)state;
    char line[512];
    progress_format(line, sizeof line, 60, name, 1, 1, 3.0, 10, 1.5);
    assert_null(strstr(line, "dispatches"));
    assert_non_null(strstr(line, "1.5 MB/s"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wide_terminal_shows_everything),
        cmocka_unit_test(never_wider_than_the_terminal_and_no_field_cut),
        cmocka_unit_test(name_goes_before_speed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
