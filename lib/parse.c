/* parse.c -- dates, date-times, decimals, flags and identifiers of the feeds.
 * SPEC §2 "Accepted dates". Locale-free on purpose: no strtod, no tolower,
 * no mktime (TZ must never change a business date). */
#include "lib/parse.h"

#include <string.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian
 * calendar, no library, no time zone. */
int32_t parse_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = y - era * 400;
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void parse_civil_from_days(int32_t z, int *year, int *month, int *day)
{
    z += 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const int doe = z - era * 146097;
    const int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int mp = (5 * doy + 2) / 153;
    const int d = doy - (153 * mp + 2) / 5 + 1;
    const int m = mp < 10 ? mp + 3 : mp - 9;
    *year = yoe + era * 400 + (m <= 2);
    *month = m;
    *day = d;
}

/* Exactly 10 bytes of date at s, its year at least min_year. */
static bool date10(const char *s, struct parse_when *out, int min_year)
{
    int y, m, d;
    if (s[4] == '-' && s[7] == '-') {
        if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
            return false;
    } else if (s[2] == '/' && s[5] == '/') {
        if (!digits(s, 2, &m) || !digits(s + 3, 2, &d) || !digits(s + 6, 4, &y))
            return false;
    } else {
        return false;
    }
    if (y < min_year || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return false;
    out->year = y;
    out->month = m;
    out->day = d;
    out->hour = out->minute = out->second = 0;
    out->day_number = parse_days_from_civil(y, m, d);
    return true;
}

bool parse_date(const char *s, size_t len, struct parse_when *out)
{
    return len == 10 && date10(s, out, 1000);
}

static bool datetime_from(const char *s, size_t len, struct parse_when *out,
                          int min_year)
{
    if (len == 10)
        return date10(s, out, min_year);
    if ((len != 16 && len != 19) || (s[10] != 'T' && s[10] != ' '))
        return false;
    struct parse_when w;
    int h, mi, se = 0;
    if (!date10(s, &w, min_year) || !digits(s + 11, 2, &h) || s[13] != ':' ||
        !digits(s + 14, 2, &mi))
        return false;
    if (len == 19 && (s[16] != ':' || !digits(s + 17, 2, &se)))
        return false;
    if (h > 23 || mi > 59 || se > 59)
        return false;
    w.hour = h;
    w.minute = mi;
    w.second = se;
    *out = w;
    return true;
}

bool parse_datetime(const char *s, size_t len, struct parse_when *out)
{
    return datetime_from(s, len, out, 1000);
}

bool parse_date_any_year(const char *s, size_t len, struct parse_when *out)
{
    return len == 10 && date10(s, out, 0);
}

bool parse_datetime_any_year(const char *s, size_t len,
                             struct parse_when *out)
{
    return datetime_from(s, len, out, 0);
}

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

void parse_format_date(const struct parse_when *w, char out[11])
{
    put2(out, w->year / 100);
    put2(out + 2, w->year % 100);
    out[4] = '-';
    put2(out + 5, w->month);
    out[7] = '-';
    put2(out + 8, w->day);
    out[10] = '\0';
}

void parse_format_datetime(const struct parse_when *w, char out[20])
{
    parse_format_date(w, out);
    out[10] = ' ';
    put2(out + 11, w->hour);
    out[13] = ':';
    put2(out + 14, w->minute);
    out[16] = ':';
    put2(out + 17, w->second);
    out[19] = '\0';
}

static char ascii_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

bool parse_equal_ci(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (n != len)
        return false;
    for (size_t i = 0; i < n; i++)
        if (ascii_upper(s[i]) != ascii_upper(word[i]))
            return false;
    return true;
}

bool parse_flag(const char *s, size_t len, bool *out)
{
    static const char *const yes[] = {"y", "yes", "true", "1"};
    static const char *const no[] = {"n", "no", "false", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (parse_equal_ci(s, len, yes[i])) {
            *out = true;
            return true;
        }
        if (parse_equal_ci(s, len, no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

bool parse_decimal(const char *s, size_t len, double *out)
{
    /* Integer mantissa over a power of ten: one rounding, so "1.1" gives
     * the same double as every other reader of the file. The fraction's
     * leading zeros scale but take no digit, so "0.0000000000000000001"
     * is 1e-19, not 0 (which counts as blank): the 19th zero used to be
     * dropped with the digits beyond a double's precision. Powers of ten
     * up to 1e22 are exact doubles: one rounding up to 22 places. */
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6,
                                   1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13,
                                   1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
                                   1e20, 1e21, 1e22};
    size_t i = 0;
    bool neg = false;
    uint64_t mant = 0;
    int n_digits = 0, n_frac = 0, n_zeros = 0;
    if (len == 0 || len > 32)
        return false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i++;
    }
    for (; i < len && is_digit(s[i]); i++) {
        if (mant == 0 && s[i] == '0')
            continue;               /* leading zeros carry no digits */
        if (++n_digits > 18)
            return false;
        mant = mant * 10 + (uint64_t)(s[i] - '0');
    }
    bool any = i > (size_t)(s[0] == '+' || s[0] == '-');
    if (i < len && s[i] == '.') {
        for (i++; i < len && is_digit(s[i]); i++) {
            any = true;
            if (mant == 0 && s[i] == '0') {
                n_zeros++;          /* 0.000…: scale, no digit */
                continue;
            }
            if (n_digits == 18)
                continue;           /* beyond double precision anyway */
            mant = mant * 10 + (uint64_t)(s[i] - '0');
            n_frac++;
            n_digits++;
        }
    }
    if (!any || i != len)
        return false;
    double v;
    if (mant == 0)
        v = 0;
    else if (n_zeros + n_frac <= 22)
        v = (double)mant / pow10[n_zeros + n_frac];
    else                            /* at most 31 places (32 bytes) */
        v = (double)mant / pow10[22] / pow10[n_zeros + n_frac - 22];
    *out = neg && mant != 0 ? -v : v;   /* "-0" is 0, not -0.0 */
    return true;
}

int parse_decimal_cmp(const char *s, size_t len, unsigned whole)
{
    /* On the digits as written, not the double: "24.000000000000001"
     * is above 24 though its nearest double is 24. */
    size_t i = 0;
    bool neg = false, frac = false;
    uint64_t ip = 0;
    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i++;
    }
    for (; i < len && is_digit(s[i]); i++)
        if (ip <= UINT32_MAX)       /* beyond it, larger than any whole */
            ip = ip * 10 + (uint64_t)(s[i] - '0');
    if (i < len && s[i] == '.')
        for (i++; i < len && is_digit(s[i]); i++)
            if (s[i] != '0')
                frac = true;
    if (ip == 0 && !frac)           /* zero, "-0" too */
        return whole == 0 ? 0 : -1;
    if (neg || ip < whole)
        return -1;
    return ip > whole || frac ? 1 : 0;
}

void parse_trim(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
    while (n > 0 && (p[0] == ' ' || p[0] == '\t')) {
        p++;
        n--;
    }
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    *s = p;
    *len = n;
}

size_t parse_normalize(const char *s, size_t len, char *out)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '-')
            out[n++] = ascii_upper(s[i]);
    return n;
}
