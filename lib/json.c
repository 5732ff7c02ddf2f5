/* json.c -- see json.h. */
#include "lib/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"

void json_init(struct json *j, FILE *f)
{
    memset(j, 0, sizeof *j);
    j->f = f;
}

static void newline(struct json *j)
{
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->f);
}

/* Starts a member (key != NULL) or an element: comma, line break, key.
 * False when nothing may be written (the document is already too deep). */
static bool item(struct json *j, const char *key)
{
    if (j->too_deep)
        return false;
    if (j->comma[j->depth])
        fputc(',', j->f);
    j->comma[j->depth] = true;
    if (j->depth > 0)
        newline(j);
    if (key) {
        utf8_put_json(j->f, key, strlen(key));
        fputs(": ", j->f);
    }
    return true;
}

void json_open(struct json *j, const char *key, char brace)
{
    if (j->depth >= JSON_MAX_DEPTH) {
        j->too_deep = true;
        return;
    }
    if (!item(j, key))
        return;
    fputc(brace, j->f);
    j->depth++;
    j->comma[j->depth] = false;
}

void json_close(struct json *j, char brace)
{
    if (j->too_deep || j->depth == 0)
        return;
    bool any = j->comma[j->depth];
    j->depth--;
    if (any)
        newline(j);
    fputc(brace, j->f);
    if (j->depth == 0)
        fputc('\n', j->f);
}

void json_strn(struct json *j, const char *key, const char *s, size_t len)
{
    if (!item(j, key))
        return;
    char *shown = NULL;
    if (s && j->shown && !utf8_valid(s, len, NULL) &&
        (shown = malloc(4 * len + 1)) != NULL) {
        utf8_show(s, len, len, shown, 4 * len + 1);
        s = shown;
        len = strlen(shown);
    }
    if (s)
        utf8_put_json(j->f, s, len);
    else
        fputs("null", j->f);
    free(shown);
}

void json_str(struct json *j, const char *key, const char *s)
{
    json_strn(j, key, s, s ? strlen(s) : 0);
}

void json_int(struct json *j, const char *key, long long v)
{
    if (item(j, key))
        fprintf(j->f, "%lld", v);
}

void json_uint(struct json *j, const char *key, unsigned long long v)
{
    if (item(j, key))
        fprintf(j->f, "%llu", v);
}

void json_num(struct json *j, const char *key, double v, int digits)
{
    if (!isfinite(v))
        json_null(j, key);
    else if (item(j, key))
        fprintf(j->f, "%.*g", digits, v);
}

void json_fixed(struct json *j, const char *key, double v, int decimals)
{
    if (!isfinite(v))
        json_null(j, key);
    else if (item(j, key))
        fprintf(j->f, "%.*f", decimals, v);
}

void json_bool(struct json *j, const char *key, bool v)
{
    if (item(j, key))
        fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
    if (item(j, key))
        fputs("null", j->f);
}

bool json_failed(const struct json *j)
{
    return j->too_deep || ferror(j->f) != 0;
}
