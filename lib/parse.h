/* parse.h -- pure parsers for the values of the feeds (SPEC §2).
 * No I/O, no allocation: every function reads (ptr, len) and fills a result,
 * so each can be fuzzed and tested by table alone. */
#ifndef SVC_PARSE_H
#define SVC_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A calendar date or a date-time, as parsed. */
struct parse_when {
    int year, month, day;        /* proleptic Gregorian */
    int hour, minute, second;    /* 0 for a bare date */
    int32_t day_number;          /* days since 1970-01-01 */
};

/* Excel's first date is 1900-01-01 (serial 1): a feed date before it
 * rejects its row and --as-of/--from refuse it (README "Decisions"),
 * since a workbook could only show it as text. */
#define PARSE_FIRST_EXCEL_YEAR 1900

/* "YYYY-MM-DD" or "MM/DD/YYYY" (two-digit month and day); impossible
 * dates fail. Years 1000..9999. */
bool parse_date(const char *s, size_t len, struct parse_when *out);
/* A date (either form), then 'T' or ' ', then "HH:MM" or "HH:MM:SS"
 * (24-hour); a bare date is 00:00:00. */
bool parse_datetime(const char *s, size_t len, struct parse_when *out);
/* The same from year 0000: a feed's "0001-01-01" is a date, before
 * 1900-01-01, and its row is rejected saying so, not "not a valid date"
 * (README "Decisions"; its year has four digits as the feeds' dates). */
bool parse_date_any_year(const char *s, size_t len, struct parse_when *out);
bool parse_datetime_any_year(const char *s, size_t len,
                             struct parse_when *out);
/* Canonical text: "YYYY-MM-DD" (11 bytes with NUL) and
 * "YYYY-MM-DD HH:MM:SS" (20 bytes with NUL). */
void parse_format_date(const struct parse_when *w, char out[11]);
void parse_format_datetime(const struct parse_when *w, char out[20]);

/* Days since 1970-01-01 of a valid civil date, and back. */
int32_t parse_days_from_civil(int year, int month, int day);
void parse_civil_from_days(int32_t days, int *year, int *month, int *day);

/* Y/N, yes/no, true/false, 1/0 in any case; blank is not handled here. */
bool parse_flag(const char *s, size_t len, bool *out);

/* A plain decimal number: optional sign, digits, optional fraction
 * ("2", "1.5", ".5", "-0.25"); no exponent, no thousands separators, at most
 * 32 bytes. The value is finite. */
bool parse_decimal(const char *s, size_t len, double *out);

/* s (a number parse_decimal accepts) compared with the integer whole,
 * exactly, on its digits: -1, 0 or 1 as s is below, equal to or above it
 * ("24.000000000000001" is above 24, "-0.0" equals 0). */
int parse_decimal_cmp(const char *s, size_t len, unsigned whole);

/* Trim ASCII blanks (space, tab) from both ends: adjusts *s and *len. */
void parse_trim(const char **s, size_t *len);

/* SPEC §2 normalization of serials and models: upper case, ASCII spaces and
 * hyphens removed. Writes at most len bytes to out (no NUL) and returns the
 * count. */
size_t parse_normalize(const char *s, size_t len, char *out);

/* Case-insensitive ASCII equality of (s, len) with the NUL-terminated word. */
bool parse_equal_ci(const char *s, size_t len, const char *word);

#endif
