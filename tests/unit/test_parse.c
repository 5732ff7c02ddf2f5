/* test_parse.c -- etl/parse.c: dates, date-times, decimals, flags,
 * trimming and normalization (SPEC §2), table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <cmocka.h>

#include "lib/parse.h"

static const struct {
    const char *in;
    bool ok;
    const char *iso;
} date_cases[] = {
    {"2026-03-12", true, "2026-03-12"},
    {"03/12/2026", true, "2026-03-12"},
    {"2024-02-29", true, "2024-02-29"},     /* leap year */
    {"02/29/2024", true, "2024-02-29"},
    {"2000-02-29", true, "2000-02-29"},     /* 400-year leap */
    {"1900-02-29", false, NULL},            /* not a leap year */
    {"2026-02-29", false, NULL},
    {"2026-02-30", false, NULL},            /* SPEC's example */
    {"2026-04-31", false, NULL},
    {"2026-13-01", false, NULL},
    {"2026-00-10", false, NULL},
    {"2026-01-00", false, NULL},
    {"2026-1-05", false, NULL},             /* two-digit month and day */
    {"3/12/2026", false, NULL},
    {"03/12/26", false, NULL},
    {"12/31/2025", true, "2025-12-31"},
    {"2026/03/12", false, NULL},
    {"2026-03-12 ", false, NULL},           /* callers trim */
    {"", false, NULL},
    {"yesterday", false, NULL},
    {"2026-03-1x", false, NULL},
};

static void test_dates(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof date_cases / sizeof date_cases[0]; i++) {
        struct parse_when w;
        char iso[11] = "";
        bool ok = parse_date(date_cases[i].in, strlen(date_cases[i].in), &w);
        if (ok)
            parse_format_date(&w, iso);
        if (ok != date_cases[i].ok ||
            (ok && strcmp(iso, date_cases[i].iso) != 0))
            fail_msg("case %zu '%s': ok=%d iso=%s", i, date_cases[i].in, ok,
                     iso);
    }
}

static const struct {
    const char *in;
    bool ok;
    const char *iso;
} datetime_cases[] = {
    {"2026-03-08 09:30", true, "2026-03-08 09:30:00"},
    {"03/08/2026 09:30:00", true, "2026-03-08 09:30:00"},  /* same key */
    {"2026-03-08T09:30:15", true, "2026-03-08 09:30:15"},
    {"03/08/2026T23:59", true, "2026-03-08 23:59:00"},
    {"2026-03-08", true, "2026-03-08 00:00:00"},           /* bare date */
    {"03/08/2026", true, "2026-03-08 00:00:00"},
    {"2026-03-08 24:00", false, NULL},
    {"2026-03-08 23:60", false, NULL},
    {"2026-03-08 23:59:60", false, NULL},
    {"2026-03-08 9:30", false, NULL},
    {"2026-03-08  09:30", false, NULL},
    {"2026-03-08X09:30", false, NULL},
    {"2026-03-08 09:30:0", false, NULL},
    {"2026-02-30 10:00", false, NULL},
    {"2026-03-08 09:30 PM", false, NULL},
};

static void test_datetimes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof datetime_cases / sizeof datetime_cases[0];
         i++) {
        struct parse_when w;
        char iso[20] = "";
        bool ok = parse_datetime(datetime_cases[i].in,
                                 strlen(datetime_cases[i].in), &w);
        if (ok)
            parse_format_datetime(&w, iso);
        if (ok != datetime_cases[i].ok ||
            (ok && strcmp(iso, datetime_cases[i].iso) != 0))
            fail_msg("case %zu '%s': ok=%d iso=%s", i, datetime_cases[i].in,
                     ok, iso);
    }
}

static void test_day_numbers(void **state)
{
    (void)state;
    assert_int_equal(parse_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(parse_days_from_civil(2026, 3, 12), 20524);
    assert_int_equal(parse_days_from_civil(1899, 12, 30), -25569);
    /* Round trip over 400 years around today. */
    for (int32_t z = 10000; z < 10000 + 146097; z += 7) {
        int y, m, d;
        parse_civil_from_days(z, &y, &m, &d);
        if (parse_days_from_civil(y, m, d) != z)
            fail_msg("day %d -> %d-%d-%d does not round-trip", (int)z, y, m,
                     d);
    }
}

static const struct {
    const char *in;
    bool ok;
    double value;
} decimal_cases[] = {
    {"2", true, 2}, {"1.5", true, 1.5}, {".5", true, 0.5},
    {"0.25", true, 0.25}, {"24", true, 24}, {"24.0", true, 24},
    {"-1", true, -1}, {"+3", true, 3}, {"1.", true, 1}, {"0", true, 0},
    {"-0", true, 0}, {"007.50", true, 7.5}, {"1.1", true, 1.1},
    {"", false, 0}, {".", false, 0}, {"-", false, 0}, {"1e3", false, 0},
    {"1,5", false, 0}, {"1.2.3", false, 0}, {"abc", false, 0},
    {"NaN", false, 0}, {"inf", false, 0}, {" 1", false, 0},
    {"123456789012345678901234567890123", false, 0},   /* over 32 bytes */
    /* the fraction's leading zeros scale: not 0, which counts as blank */
    {"0.0000000000000000001", true, 1e-19}, {"0.05", true, 0.05},
    {"-0.00000000000000000000", true, 0},
};

static void test_decimals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof decimal_cases / sizeof decimal_cases[0];
         i++) {
        double v = -99;
        bool ok = parse_decimal(decimal_cases[i].in,
                                strlen(decimal_cases[i].in), &v);
        if (ok != decimal_cases[i].ok || (ok && v != decimal_cases[i].value))
            fail_msg("case %zu '%s': ok=%d value=%.17g", i,
                     decimal_cases[i].in, ok, v);
    }
    double v = 1;
    assert_true(parse_decimal("-0", 2, &v));
    assert_false(signbit(v) != 0);    /* "-0" is stored as 0, not -0.0 */
    assert_true(parse_decimal("0.00000000000000000000000000001", 31, &v));
    assert_true(v > 0);
}

static const struct {
    const char *in;
    unsigned whole;
    int cmp;
} decimal_cmp_cases[] = {
    /* on the digits, not the double (24.000000000000001 is 24.0) */
    {"24.000000000000001", 24, 1}, {"24", 24, 0}, {"24.000", 24, 0},
    {"23.99999999999999999999", 24, -1}, {"+25", 24, 1}, {"0024.0", 24, 0},
    {"-0.00000000000000000001", 0, -1}, {"-0", 0, 0}, {"-.0", 0, 0},
    {"0.0000000000000000001", 0, 1}, {".5", 0, 1}, {"99999999999", 24, 1},
    {"-3", 24, -1}, {"0", 24, -1}, {"1.", 1, 0},
};

static void test_decimal_cmp(void **state)
{
    (void)state;
    for (size_t i = 0;
         i < sizeof decimal_cmp_cases / sizeof decimal_cmp_cases[0]; i++) {
        const char *in = decimal_cmp_cases[i].in;
        double v;
        assert_true(parse_decimal(in, strlen(in), &v));
        int got = parse_decimal_cmp(in, strlen(in), decimal_cmp_cases[i].whole);
        if (got != decimal_cmp_cases[i].cmp)
            fail_msg("case %zu '%s' vs %u: %d", i, in,
                     decimal_cmp_cases[i].whole, got);
    }
}

static const struct {
    const char *in;
    bool ok, value;
} flag_cases[] = {
    {"Y", true, true}, {"y", true, true}, {"yes", true, true},
    {"YES", true, true}, {"True", true, true}, {"1", true, true},
    {"N", true, false}, {"no", true, false}, {"FALSE", true, false},
    {"0", true, false}, {"x", false, false}, {"yess", false, false},
    {"2", false, false}, {"t", false, false}, {"", false, false},
};

static void test_flags(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof flag_cases / sizeof flag_cases[0]; i++) {
        bool v = false;
        bool ok = parse_flag(flag_cases[i].in, strlen(flag_cases[i].in), &v);
        if (ok != flag_cases[i].ok || (ok && v != flag_cases[i].value))
            fail_msg("case %zu '%s': ok=%d value=%d", i, flag_cases[i].in,
                     ok, v);
    }
}

static void test_trim_and_normalize(void **state)
{
    (void)state;
    const char *s = " \t ab c \t";
    size_t len = strlen(s);
    parse_trim(&s, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(s, "ab c", 4);
    const char *blank = "   ";
    len = 3;
    parse_trim(&blank, &len);
    assert_int_equal(len, 0);

    static const struct { const char *in, *out; } norm[] = {
        {"ipf-8400s", "IPF8400S"}, {"IPF8400S", "IPF8400S"},
        {"iPF 8400 S", "IPF8400S"}, {"ab-12 3", "AB123"}, {"--", ""},
        {"é-x", "éX"},            /* only ASCII letters change case */
    };
    for (size_t i = 0; i < sizeof norm / sizeof norm[0]; i++) {
        char out[64];
        size_t n = parse_normalize(norm[i].in, strlen(norm[i].in), out);
        if (n != strlen(norm[i].out) || memcmp(out, norm[i].out, n) != 0)
            fail_msg("case %zu '%s' -> '%.*s'", i, norm[i].in, (int)n, out);
    }
    assert_true(parse_equal_ci("Open", 4, "OPEN"));
    assert_false(parse_equal_ci("Opened", 6, "OPEN"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_datetimes),
        cmocka_unit_test(test_day_numbers),
        cmocka_unit_test(test_decimals),
        cmocka_unit_test(test_decimal_cmp),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_trim_and_normalize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
