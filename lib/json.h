/* json.h -- the one JSON writer of svcrecon: the run summary (--summary)
 * and `explain --json` both write through it, so escaping, nesting and
 * layout are decided once. It writes to a FILE as it goes (nothing is
 * built in memory); the caller checks json_failed() (or ferror) before it
 * trusts the file.
 *
 * Layout: two spaces of indent a level, one member or element a line.
 * Strings are escaped by utf8_put_json(): valid UTF-8 of any content in,
 * valid JSON out (bad bytes become U+FFFD, or with `shown` the whole string
 * is written as utf8_show renders it). */
#ifndef SVC_JSON_H
#define SVC_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16          /* nesting deeper than this is an error */

struct json {
    FILE *f;                       /* borrowed; written as we go */
    int   depth;                   /* open objects and arrays */
    bool  comma[JSON_MAX_DEPTH + 1];/* a member was written at that depth */
    bool  too_deep;                /* json_open past JSON_MAX_DEPTH: the
                                    * document is unusable */
    bool  shown;                   /* a string that is not UTF-8 is written
                                    * as shown (utf8_show: \xNN, a backslash
                                    * doubled), the form the database keeps
                                    * a file's name in (etl/load.c
                                    * set_stored_text); false (json_init):
                                    * its bad bytes become U+FFFD */
};

void json_init(struct json *j, FILE *f);

/* In an object, key names the member; in an array (or at the top) key is
 * NULL. json_open's brace is '{' or '['; json_close takes the matching
 * closer. Opening past JSON_MAX_DEPTH writes nothing more and sets
 * too_deep (never a malformed document that looks whole). */
void json_open(struct json *j, const char *key, char brace);
void json_close(struct json *j, char brace);
void json_str(struct json *j, const char *key, const char *s); /* NULL: null */
void json_strn(struct json *j, const char *key, const char *s, size_t len);
void json_int(struct json *j, const char *key, long long v);
void json_uint(struct json *j, const char *key, unsigned long long v);
/* A finite number as %.*g with the given digits (NaN/Inf become null). */
void json_num(struct json *j, const char *key, double v, int digits);
/* A number with exactly `decimals` digits after the point ("1.250"). */
void json_fixed(struct json *j, const char *key, double v, int decimals);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);

/* True when the document cannot be trusted: too deep, or a write failed. */
bool json_failed(const struct json *j);

#endif
