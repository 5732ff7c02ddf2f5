/* test_json.c -- lib/json.c, the one JSON writer: escaping, nesting and
 * layout, numbers, and a document nested too deep (an error that writes
 * nothing more, never a document that looks whole). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/json.h"

/* A writer into memory; take() closes it and returns the text. */
struct mem {
    char  *buf;
    size_t len;
    FILE  *f;
};

static void mem_open(struct mem *m, struct json *j)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    assert_non_null(m->f);
    json_init(j, m->f);
}

static char *take(struct mem *m)
{
    assert_int_equal(fclose(m->f), 0);
    return m->buf;
}

static const struct { const char *in; size_t len; const char *out; }
escapes[] = {
    {"plain", 5, "\"plain\""},
    {"a\"b\\c", 5, "\"a\\\"b\\\\c\""},
    {"tab\tnl\ncr\r", 10, "\"tab\\tnl\\ncr\\r\""},
    {"\x01\x1f", 2, "\"\\u0001\\u001f\""},
    {"caf\xC3\xA9", 5, "\"caf\xC3\xA9\""},          /* UTF-8 kept */
    {"bad\xFFok", 6, "\"bad\\ufffdok\""},            /* bad byte: U+FFFD */
    {"nul\0in", 6, "\"nul\\u0000in\""},             /* length, not NUL */
    {"", 0, "\"\""},
};

static void test_escapes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
        struct mem m;
        struct json j;
        mem_open(&m, &j);
        json_strn(&j, NULL, escapes[i].in, escapes[i].len);
        bool failed = json_failed(&j);
        char *got = take(&m);
        if (failed || strcmp(got, escapes[i].out) != 0)
            fail_msg("case %zu: got [%s], want [%s]", i, got,
                     escapes[i].out);
        free(got);
    }
}

/* `shown` (the run summary): a string that is not UTF-8 is written as
 * utf8_show renders it, as the database keeps a file's name: \xNN, a
 * backslash doubled, a control byte \xNN too; valid UTF-8 is unchanged. */
static void test_shown(void **state)
{
    (void)state;
    static const struct { const char *in; const char *out; } cases[] = {
        {"bad\xFFok", "\"bad\\\\xFFok\""},
        {"a\\b\xFF\n", "\"a\\\\\\\\b\\\\xFF\\\\x0A\""},
        {"caf\xC3\xA9 a\\b\n", "\"caf\xC3\xA9 a\\\\b\\n\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mem m;
        struct json j;
        mem_open(&m, &j);
        j.shown = true;
        json_str(&j, NULL, cases[i].in);
        char *got = take(&m);
        if (strcmp(got, cases[i].out) != 0)
            fail_msg("case %zu: got [%s], want [%s]", i, got, cases[i].out);
        free(got);
    }
}

static void test_nesting_and_layout(void **state)
{
    (void)state;
    struct mem m;
    struct json j;
    mem_open(&m, &j);
    json_open(&j, NULL, '{');
    json_str(&j, "name", "x\"y");
    json_int(&j, "n", -3);
    json_uint(&j, "u", 18446744073709551615ULL);
    json_open(&j, "list", '[');
    json_bool(&j, NULL, true);
    json_null(&j, NULL);
    json_num(&j, NULL, 1.5, 15);
    json_fixed(&j, NULL, 2.0, 3);
    json_open(&j, NULL, '{');
    json_close(&j, '}');
    json_open(&j, NULL, '[');
    json_close(&j, ']');
    json_close(&j, ']');
    json_str(&j, "none", NULL);
    json_num(&j, "nan", NAN, 15);
    json_close(&j, '}');
    assert_false(json_failed(&j));
    char *got = take(&m);
    assert_string_equal(got,
        "{\n"
        "  \"name\": \"x\\\"y\",\n"
        "  \"n\": -3,\n"
        "  \"u\": 18446744073709551615,\n"
        "  \"list\": [\n"
        "    true,\n"
        "    null,\n"
        "    1.5,\n"
        "    2.000,\n"
        "    {},\n"
        "    []\n"
        "  ],\n"
        "  \"none\": null,\n"
        "  \"nan\": null\n"
        "}\n");
    free(got);
}

/* levels nested arrays around the string "x", closed as many times;
 * the text written, and *failed from json_failed(). */
static char *nest(int levels, bool *failed)
{
    struct mem m;
    struct json j;
    mem_open(&m, &j);
    for (int i = 0; i < levels; i++)
        json_open(&j, NULL, '[');
    json_str(&j, NULL, "x");
    for (int i = 0; i < levels; i++)
        json_close(&j, ']');
    *failed = json_failed(&j);
    return take(&m);
}

static int count(const char *s, char c)
{
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

/* JSON_MAX_DEPTH levels are fine; one more is an error and nothing more
 * is written -- not even the closers, so no reader takes it for whole
 * (issue 11, bug 6: explain's own writer clamped the depth and wrote a
 * malformed document). */
static void test_depth_limit(void **state)
{
    (void)state;
    bool failed;
    char *got = nest(JSON_MAX_DEPTH, &failed);
    assert_false(failed);
    assert_int_equal(count(got, '['), JSON_MAX_DEPTH);
    assert_int_equal(count(got, ']'), JSON_MAX_DEPTH);
    assert_non_null(strstr(got, "\"x\""));
    free(got);

    got = nest(JSON_MAX_DEPTH + 1, &failed);
    assert_true(failed);
    assert_int_equal(count(got, '['), JSON_MAX_DEPTH);
    assert_int_equal(count(got, ']'), 0);
    assert_null(strstr(got, "\"x\""));
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_shown),
        cmocka_unit_test(test_nesting_and_layout),
        cmocka_unit_test(test_depth_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
