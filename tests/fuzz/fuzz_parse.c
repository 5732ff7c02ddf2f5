/* fuzz_parse.c -- libFuzzer target for etl/parse.c and etl/utf8.c.
 *
 * The input is offered whole to every parser (parse_date, parse_datetime,
 * parse_decimal, parse_flag, parse_trim, parse_normalize, utf8_valid,
 * utf8_show), each from a heap copy of exactly its length so that ASan sees
 * any read past the end. Each answer is checked against an oracle written
 * here independently of the code under test:
 *   - dates: the pattern, the year range, and validity by the calendar
 *     round trip civil -> days -> civil (not by a month-length table); a
 *     parsed date formats back to text that re-parses to the same day;
 *   - the calendar: civil_from_days(days_from_civil(x)) == x and the day
 *     after day z is z + 1, for day numbers from the input;
 *   - decimals: the grammar [+-]?(D+(.D*)?|.D+), at most 32 bytes, at most
 *     18 significant integer digits; the value equals strtod's when it has
 *     at most 15 significant digits, and is within 1e-15 of it otherwise;
 *   - flags: the eight words in any case; normalization: idempotent, no
 *     space, hyphen or lower-case letter left, other bytes kept in order;
 *   - UTF-8: a decoder written from RFC 3629 (same verdict, same first bad
 *     byte); utf8_show's output is NUL-terminated within its buffer, is
 *     valid UTF-8, and holds no C0 or C1 control character. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/parse.h"
#include "lib/utf8.h"

static void fail(const char *what, const char *s, size_t len)
{
    fprintf(stderr, "fuzz_parse: invariant broken: %s (input %zu bytes: ",
            what, len);
    for (size_t i = 0; i < len && i < 64; i++)
        fprintf(stderr, "%02x", (unsigned char)s[i]);
    fprintf(stderr, ")\n");
    abort();
}

static bool dig(char c) { return c >= '0' && c <= '9'; }

static bool num(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!dig(s[i]))
            return false;
        v = v * 10 + s[i] - '0';
    }
    *out = v;
    return true;
}

/* Independent date oracle: y, m, d from either form, valid by round trip. */
static bool oracle_date(const char *s, size_t len, int *y, int *m, int *d)
{
    if (len != 10)
        return false;
    bool iso = s[4] == '-' && s[7] == '-' && num(s, 4, y) &&
               num(s + 5, 2, m) && num(s + 8, 2, d);
    bool us = !iso && s[2] == '/' && s[5] == '/' && num(s, 2, m) &&
              num(s + 3, 2, d) && num(s + 6, 4, y);
    if (!iso && !us)
        return false;
    if (*y < 1000 || *m < 1 || *m > 12 || *d < 1 || *d > 31)
        return false;
    int yy, mm, dd;
    parse_civil_from_days(parse_days_from_civil(*y, *m, *d), &yy, &mm, &dd);
    return yy == *y && mm == *m && dd == *d;
}

static void check_dates(const char *s, size_t len)
{
    struct parse_when w, w2;
    char iso[11], dt[20];
    int y, m, d;
    bool ok = parse_date(s, len, &w);
    if (ok != oracle_date(s, len, &y, &m, &d))
        fail("parse_date disagrees with the calendar oracle", s, len);
    if (ok) {
        if (w.year != y || w.month != m || w.day != d || w.hour || w.minute ||
            w.second || w.day_number != parse_days_from_civil(y, m, d))
            fail("parse_date fields", s, len);
        parse_format_date(&w, iso);
        if (strlen(iso) != 10 || !parse_date(iso, 10, &w2) ||
            w2.day_number != w.day_number)
            fail("formatted date does not re-parse to the same day", s, len);
        if (s[4] == '-' && memcmp(iso, s, 10) != 0)
            fail("ISO date does not format back to itself", s, len);
        if (!parse_datetime(s, len, &w2) || w2.day_number != w.day_number ||
            w2.hour || w2.minute || w2.second)
            fail("a bare date is not the date-time 00:00:00", s, len);
    }

    ok = parse_datetime(s, len, &w);
    bool want = false;
    int h = 0, mi = 0, se = 0;
    if (len == 10) {
        want = oracle_date(s, len, &y, &m, &d);
    } else if ((len == 16 || len == 19) && (s[10] == 'T' || s[10] == ' ') &&
               oracle_date(s, 10, &y, &m, &d) && num(s + 11, 2, &h) &&
               s[13] == ':' && num(s + 14, 2, &mi) &&
               (len == 16 || (s[16] == ':' && num(s + 17, 2, &se)))) {
        want = h <= 23 && mi <= 59 && se <= 59;
    }
    if (ok != want)
        fail("parse_datetime disagrees with the oracle", s, len);
    if (ok) {
        if (w.year != y || w.month != m || w.day != d || w.hour != h ||
            w.minute != mi || w.second != se)
            fail("parse_datetime fields", s, len);
        parse_format_datetime(&w, dt);
        if (strlen(dt) != 19 || !parse_datetime(dt, 19, &w2) ||
            memcmp(&w, &w2, sizeof w) != 0)
            fail("formatted date-time does not re-parse the same", s, len);
    }
}

static void check_calendar(const uint8_t *p, size_t len)
{
    if (len < 4)
        return;
    /* Day numbers of years 1000..9999 and a margin either side. */
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                 (uint32_t)p[3] << 24;
    const int32_t lo = parse_days_from_civil(900, 1, 1);
    const int32_t hi = parse_days_from_civil(10100, 12, 31);
    int32_t z = lo + (int32_t)(u % (uint32_t)(hi - lo));
    int y, m, d, y2, m2, d2;
    parse_civil_from_days(z, &y, &m, &d);
    if (m < 1 || m > 12 || d < 1 || d > 31 ||
        parse_days_from_civil(y, m, d) != z)
        fail("civil_from_days / days_from_civil round trip", (const char *)p,
             4);
    parse_civil_from_days(z + 1, &y2, &m2, &d2);
    bool next = (y2 == y && m2 == m && d2 == d + 1) ||
                (y2 == y && m2 == m + 1 && d2 == 1) ||
                (y2 == y + 1 && m == 12 && m2 == 1 && d2 == 1);
    if (!next)
        fail("the day after z is not z + 1", (const char *)p, 4);
}

static void check_decimal(const char *s, size_t len)
{
    double v;
    bool ok = parse_decimal(s, len, &v);
    /* Grammar, by hand. */
    size_t i = 0, int_digits = 0, sig_int = 0, frac_digits = 0, sig = 0;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    bool lead = true;
    for (; i < len && dig(s[i]); i++) {
        int_digits++;
        if (s[i] != '0')
            lead = false;
        if (!lead)
            sig_int++;
    }
    if (i < len && s[i] == '.')
        for (i++; i < len && dig(s[i]); i++) {
            frac_digits++;
            if (s[i] != '0')
                lead = false;
            if (!lead)
                sig++;
        }
    sig += sig_int;
    bool grammar = i == len && int_digits + frac_digits > 0;
    bool want = grammar && len <= 32 && sig_int <= 18;
    if (ok != want)
        fail("parse_decimal disagrees with the grammar", s, len);
    if (!ok)
        return;
    if (!isfinite(v) || signbit(v) != (v < 0))
        fail("parse_decimal value not finite, or -0", s, len);
    char buf[40];
    memcpy(buf, s, len);
    buf[len] = '\0';
    double ref = strtod(buf, NULL);     /* C locale: never set otherwise */
    if (ref == 0)
        ref = 0;                        /* -0 compares as 0 */
    if (sig <= 15 && frac_digits <= 18 ? v != ref
                                       : fabs(v - ref) > 1e-15 * fabs(ref)
                                         + 1e-18)
        fail("parse_decimal differs from strtod", s, len);
}

static void check_flag(const char *s, size_t len)
{
    static const char *const words[] = {"y", "yes", "true", "1",
                                        "n", "no", "false", "0"};
    bool v = false, want = false, want_v = false;
    for (int k = 0; k < 8; k++) {
        size_t n = strlen(words[k]);
        bool eq = n == len;
        for (size_t i = 0; eq && i < n; i++) {
            char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
            eq = c == words[k][i];
        }
        if (eq) {
            want = true;
            want_v = k < 4;
        }
    }
    bool ok = parse_flag(s, len, &v);
    if (ok != want || (ok && v != want_v))
        fail("parse_flag", s, len);
}

static void check_trim_normalize(const char *s, size_t len)
{
    const char *t = s;
    size_t n = len;
    parse_trim(&t, &n);
    if (t < s || t + n > s + len ||
        (n && (t[0] == ' ' || t[0] == '\t' || t[n - 1] == ' ' ||
               t[n - 1] == '\t')))
        fail("parse_trim", s, len);
    for (const char *p = s; p < t; p++)
        if (*p != ' ' && *p != '\t')
            fail("parse_trim cut a non-blank", s, len);

    char *out = malloc(len ? len : 1), *again = malloc(len ? len : 1);
    if (!out || !again)
        abort();
    size_t k = parse_normalize(s, len, out);
    size_t j = 0;
    if (k > len)
        fail("parse_normalize longer than its input", s, len);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == ' ' || s[i] == '-')
            continue;
        char up = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) : s[i];
        if (j >= k || out[j++] != up)
            fail("parse_normalize lost or changed a byte", s, len);
    }
    if (j != k)
        fail("parse_normalize added bytes", s, len);
    if (parse_normalize(out, k, again) != k || (k && memcmp(out, again, k)))
        fail("parse_normalize is not idempotent", s, len);
    free(out);
    free(again);
}

/* RFC 3629, decoding code points: the first bad byte, or len. */
static size_t oracle_utf8(const unsigned char *p, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned c = p[i];
        size_t n;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return i;
        }
        if (i + n > len)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return i;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n;
    }
    return len;
}

static void check_utf8(const char *s, size_t len, const uint8_t *raw,
                       size_t raw_len)
{
    size_t bad = (size_t)-1;
    bool ok = utf8_valid(s, len, &bad);
    size_t want = oracle_utf8((const unsigned char *)s, len);
    if (ok != (want == len) || (!ok && bad != want))
        fail("utf8_valid disagrees with the RFC 3629 decoder", s, len);

    /* utf8_show into a buffer of exactly out_size bytes. */
    size_t max_chars = raw_len > 0 ? raw[0] % 64 : 40;
    size_t out_size = raw_len > 1 ? raw[1] : 128;
    char *out = malloc(out_size ? out_size : 1);
    if (!out)
        abort();
    memset(out, 'Z', out_size ? out_size : 1);
    utf8_show(s, len, max_chars, out, out_size);
    if (out_size == 0) {
        free(out);
        return;
    }
    size_t n = strnlen(out, out_size);
    if (n == out_size)
        fail("utf8_show output not NUL-terminated in its buffer", s, len);
    if (!utf8_valid(out, n, NULL))
        fail("utf8_show output is not valid UTF-8", s, len);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c < 0x20 || c == 0x7F ||
            (c == 0xC2 && i + 1 < n && (unsigned char)out[i + 1] < 0xA0))
            fail("utf8_show let a control character through", s, len);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size heap copy: any read past len is an ASan report. */
    char *s = malloc(size ? size : 1);
    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    check_dates(s, size);
    check_calendar(data, size);
    check_decimal(s, size);
    check_flag(s, size);
    check_trim_normalize(s, size);
    check_utf8(s, size, data, size);
    /* The same parsers on the input as a trimmed field, as feed.c calls
     * them. */
    const char *t = s;
    size_t n = size;
    parse_trim(&t, &n);
    check_dates(t, n);
    check_decimal(t, n);
    free(s);
    return 0;
}
