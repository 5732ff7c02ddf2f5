/* feed.c -- SPEC §2 "Input feeds" and "Rejected rows": column tables of the
 * three feeds, header mapping, and the per-row checks. The order of checks
 * on a row is: field count, then per column in table order: UTF-8, NUL,
 * length, blank, format, range; the first failure is the reason. The key
 * repeat check needs the database and lives in load.c. */
#include "etl/feed.h"

#include <stdio.h>
#include <string.h>

#include "etl/sniff.h"
#include "lib/utf8.h"

static const struct feed_column registration_columns[REG_N] = {
    [REG_DEALER_ID]     = {"dealer_id", FT_ID, FN_REQUIRED, NULL},
    [REG_DEALER_NAME]   = {"dealer_name", FT_TEXT, FN_OPTIONAL, NULL},
    [REG_MODEL]         = {"model", FT_CODE, FN_REQUIRED, ":model_norm"},
    [REG_SERIAL]        = {"serial_number", FT_CODE, FN_REQUIRED, ":serial_norm"},
    [REG_REGISTERED_ON] = {"registered_on", FT_DATE, FN_REQUIRED, ":registered_day"},
    [REG_WMP]           = {"wmp_selected", FT_FLAG, FN_OPTIONAL, NULL},
    [REG_REMOVED_ON]    = {"removed_on", FT_DATE, FN_OPTIONAL, ":removed_day"},
};

static const struct feed_column dispatch_columns[DSP_N] = {
    [DSP_ID]       = {"dispatch_id", FT_ID, FN_REQUIRED, NULL},
    [DSP_AT]       = {"dispatched_at", FT_DATETIME, FN_REQUIRED, ":dispatched_day"},
    [DSP_MODEL]    = {"model", FT_CODE, FN_REQUIRED, ":model_norm"},
    [DSP_SERIAL]   = {"serial_number", FT_CODE, FN_REQUIRED, ":serial_norm"},
    [DSP_PROVIDER] = {"provider_id", FT_ID, FN_OPTIONAL, NULL},
    [DSP_CUSTOMER] = {"customer_name", FT_TEXT, FN_OPTIONAL, NULL},
    [DSP_POSTAL]   = {"customer_postal_code", FT_ID, FN_OPTIONAL, NULL},
    [DSP_PROBLEM]  = {"problem_code", FT_ID, FN_OPTIONAL, NULL},
    [DSP_STATUS]   = {"status", FT_STATUS, FN_OPTIONAL, NULL},
};

static const struct feed_column closeout_columns[CLO_N] = {
    [CLO_DEALER]     = {"dealer_id", FT_ID, FN_REQUIRED, NULL},
    [CLO_SUBMITTED]  = {"submitted_at", FT_DATETIME, FN_REQUIRED, ":submitted_day"},
    [CLO_DISPATCH]   = {"dispatch_id", FT_ID, FN_SECTION2, NULL},
    [CLO_SERIAL]     = {"serial_number", FT_CODE, FN_SECTION2, ":serial_norm"},
    [CLO_MODEL]      = {"model", FT_CODE, FN_OPTIONAL, ":model_norm"},
    [CLO_COMPLETED]  = {"completed_on", FT_DATE, FN_SECTION2, ":completed_day"},
    [CLO_TECH]       = {"technician", FT_ID, FN_SECTION2, NULL},
    [CLO_HOURS]      = {"labor_hours", FT_HOURS, FN_SECTION2, NULL},
    [CLO_RESOLUTION] = {"resolution_code", FT_ID, FN_SECTION2, NULL},
    [CLO_PARTS]      = {"parts", FT_TEXT, FN_OPTIONAL, NULL},
};

const char *feed_kind_name(enum feed_kind kind)
{
    switch (kind) {
    case FEED_REGISTRATIONS: return "registrations";
    case FEED_DISPATCHES:    return "dispatches";
    case FEED_CLOSEOUTS:     return "closeouts";
    }
    return "?";
}

bool feed_kind_parse(const char *s, enum feed_kind *kind)
{
    static const enum feed_kind all[] = {FEED_REGISTRATIONS, FEED_DISPATCHES,
                                         FEED_CLOSEOUTS};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(s, feed_kind_name(all[i])) == 0) {
            *kind = all[i];
            return true;
        }
    }
    return false;
}

const struct feed_column *feed_columns(enum feed_kind kind, size_t *n)
{
    switch (kind) {
    case FEED_REGISTRATIONS: *n = REG_N; return registration_columns;
    case FEED_DISPATCHES:    *n = DSP_N; return dispatch_columns;
    case FEED_CLOSEOUTS:     *n = CLO_N; return closeout_columns;
    }
    *n = 0;
    return NULL;
}

/* Appends text to a comma-separated list in buf, in quotes unless
 * 'described' (a blank column said in words), cutting with "..." when
 * full. */
static void list_add_as(char *buf, size_t size, const char *text,
                        bool described)
{
    size_t used = strlen(buf);
    if (used >= size - 1 || (used > 3 && strcmp(buf + used - 3, "...") == 0))
        return;
    const char *q = described ? "" : "'";
    int n = snprintf(buf + used, size - used, "%s%s%s%s", used ? ", " : "",
                     q, text, q);
    if (n < 0 || (size_t)n >= size - used) {
        if (size >= 4)
            memcpy(buf + size - 4, "...", 4);
    }
}

static void list_add(char *buf, size_t size, const char *text)
{
    list_add_as(buf, size, text, false);
}

/* The invisible characters a value copied from a spreadsheet, a web page
 * or a word processor carries at its ends, beyond spaces and tabs, in
 * UTF-8: the no-break space (U+00A0), the zero-width space, non-joiner
 * and joiner (U+200B-U+200D), the figure and narrow no-break spaces
 * (U+2007, U+202F) and the word joiner (U+2060). Not U+FEFF: a
 * byte-order mark that starts a value rejects the row (below). A dealer
 * id ending in
 * U+200B matched no registration and was shown as the same id in every
 * workbook: "dealer 'CA1042' is not the provider 'CA1042'", and two
 * statements both headed "Dealer CA1042" (QA pass 41). */
static const char *const invisible[] = {
    "\xC2\xA0", "\xE2\x80\x8B", "\xE2\x80\x8C", "\xE2\x80\x8D",
    "\xE2\x80\x87", "\xE2\x80\xAF", "\xE2\x81\xA0",
    /* The other spaces of Unicode's White_Space: the ideographic space
     * (U+3000, a Japanese keyboard's space), en, em, thin, hair ...
     * spaces (U+2000-U+200A), U+205F, U+1680. A technician of one
     * ideographic space made a closeout valid (QA pass 60, t9997). */
    "\xE3\x80\x80", "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82",
    "\xE2\x80\x83", "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86",
    "\xE2\x80\x88", "\xE2\x80\x89", "\xE2\x80\x8A", "\xE2\x81\x9F",
    "\xE1\x9A\x80",
    /* The soft hyphen (U+00AD), invisible but at a line break: "status"
     * + U+00AD named no column, ignored with a warning that showed
     * 'status', where its Windows-1252 byte AD refuses the file
     * (legacy_names_column; qa79). */
    "\xC2\xAD"};

/* Their names, in the same order, with an article: a header name of
 * nothing else is said in words (blank_column below). */
static const char *const invisible_name[] = {
    "a no-break space", "a zero-width space", "a zero-width non-joiner",
    "a zero-width joiner", "a figure space", "a narrow no-break space",
    "a word joiner",
    "an ideographic space", "an en quad", "an em quad", "an en space",
    "an em space", "a three-per-em space", "a four-per-em space",
    "a six-per-em space", "a punctuation space", "a thin space",
    "a hair space", "a medium mathematical space", "an Ogham space mark",
    "a soft hyphen"};
_Static_assert(sizeof invisible_name / sizeof *invisible_name ==
               sizeof invisible / sizeof *invisible,
               "a name for every invisible character");

/* The length of the invisible character at s (at most len bytes), or 0;
 * at_end: the one that ends s instead. */
static size_t invisible_at(const char *s, size_t len, bool at_end)
{
    /* Each starts with a lead byte and ends with a continuation byte: an
     * ASCII byte there (nearly every value) is none of them. */
    if (len == 0 || (unsigned char)(at_end ? s[len - 1] : s[0]) < 0x80)
        return 0;
    for (size_t k = 0; k < sizeof invisible / sizeof invisible[0]; k++) {
        size_t n = strlen(invisible[k]);
        if (len >= n && memcmp(at_end ? s + len - n : s, invisible[k], n) == 0)
            return n;
    }
    return 0;
}

/* SPEC §2: a header name's surrounding blanks are ignored, and
 * identifiers (and codes, dates, numbers, flags) are trimmed: spaces,
 * tabs, line breaks and the invisible characters above. A quoted field
 * of a lone line break (Enter pressed in a form's cell) was not blank: a
 * technician "\n" made a closeout valid, a status "\n" rejected its
 * dispatch (QA pass 60, tests/e2e/t9997). */
static void trim_blanks(const char **s, size_t *len)
{
    for (;;) {
        parse_trim(s, len);
        size_t n;
        if (*len > 0 && (**s == '\n' || **s == '\r')) {
            ++*s;
            --*len;
        } else if (*len > 0 && ((*s)[*len - 1] == '\n' ||
                                (*s)[*len - 1] == '\r')) {
            --*len;
        } else if ((n = invisible_at(*s, *len, false)) != 0) {
            *s += n;
            *len -= n;
        } else if ((n = invisible_at(*s, *len, true)) != 0) {
            *len -= n;
        } else {
            return;
        }
    }
}

/* A header name that is not UTF-8 and, its Windows-1252 no-break spaces
 * and soft hyphens (bytes A0, AD, which an 8-bit spreadsheet puts around
 * a name as a UTF-8 one puts U+00A0) trimmed, names one of the feed's
 * columns: the file is in a legacy 8-bit encoding, and the column would be
 * ignored as unknown -- a status column lost lists a cancelled call as
 * open, a removed_on column keeps registrations active for ever, with a
 * warning only (qa75). Refused instead, the encoding named (SPEC §6):
 * true, with the reason in why. i: the header column (0-based). */
static bool legacy_names_column(const char *name, size_t len, size_t i,
                                const struct feed_column *cols,
                                size_t n_cols, char *why, size_t why_size)
{
    size_t bad;
    if (utf8_valid(name, len, &bad))
        return false;
    const char *s = name;
    size_t n = len;
    for (;;) {
        unsigned char a = n ? (unsigned char)s[0] : 0;
        unsigned char z = n ? (unsigned char)s[n - 1] : 0;
        if (a == 0xA0 || a == 0xAD || a == ' ' || a == '\t') {
            s++;
            n--;
        } else if (z == 0xA0 || z == 0xAD || z == ' ' || z == '\t') {
            n--;
        } else {
            break;
        }
    }
    for (size_t c = 0; c < n_cols; c++) {
        if (!parse_equal_ci(s, n, cols[c].name))
            continue;
        char shown[200];
        utf8_qshow(name, len, 40, shown, sizeof shown);
        snprintf(why, why_size, "header column %zu '%s' is '%s' with bytes "
                 "that are not UTF-8 (a Windows-1252 no-break space, byte "
                 "A0?): the file is in a legacy 8-bit encoding, and its %s "
                 "column would be ignored; file refused: " SNIFF_TODO
                 ", then deliver the file again", i + 1, shown,
                 cols[c].name, cols[c].name);
        return true;
    }
    return false;
}

/* A header name that trims to nothing, said in words with its column
 * number: "column 10 (blank name)", "column 11 (a no-break space)",
 * "column 12 (2 spaces)", "column 13 (a no-break space, a thin space)".
 * Shown quoted, as the other names are, each was '' -- "unknown columns
 * ignored: '', ''" told no one which columns (qa71). raw, len: the name
 * as read, of blanks only (trim_blanks' characters). */
static void blank_column(const char *raw, size_t len, size_t col, char *out,
                         size_t size)
{
    enum { N_INV = sizeof invisible / sizeof *invisible };
    const char *kind[N_INV + 3];          /* first seen first, with counts */
    unsigned count[N_INV + 3];
    size_t n_kinds = 0;
    size_t used = (size_t)snprintf(out, size, "column %zu (", col);
    while (len > 0) {
        const char *k = NULL;
        size_t step = 1, n;
        if (*raw == ' ')
            k = "a space";
        else if (*raw == '\t')
            k = "a tab";
        else if (*raw == '\r' || *raw == '\n') {
            k = "a line break";
            step = len > 1 && raw[0] == '\r' && raw[1] == '\n' ? 2 : 1;
        } else if ((n = invisible_at(raw, len, false)) != 0) {
            for (size_t i = 0; i < N_INV; i++)
                if (strlen(invisible[i]) == n &&
                    memcmp(raw, invisible[i], n) == 0)
                    k = invisible_name[i];
            step = n;
        }
        if (!k)                                  /* not blank: not called */
            break;
        size_t i = 0;
        while (i < n_kinds && kind[i] != k)
            i++;
        if (i == n_kinds && n_kinds < sizeof kind / sizeof *kind) {
            kind[n_kinds] = k;
            count[n_kinds++] = 0;
        }
        if (i < n_kinds)
            count[i]++;
        raw += step;
        len -= step;
    }
    if (n_kinds == 0 && used < size)
        used += (size_t)snprintf(out + used, size - used, "blank name");
    for (size_t i = 0; i < n_kinds && used < size; i++) {
        const char *sep = i ? ", " : "";
        if (count[i] == 1)
            used += (size_t)snprintf(out + used, size - used, "%s%s", sep,
                                     kind[i]);
        else                        /* "2 spaces": the name without "a(n) " */
            used += (size_t)snprintf(out + used, size - used, "%s%u %ss",
                                     sep, count[i],
                                     strchr(kind[i], ' ') + 1);
    }
    if (used < size)
        snprintf(out + used, size - used, ")");
}

void feed_trim(const char **s, size_t *len)
{
    trim_blanks(s, len);
}

int feed_map_header(enum feed_kind kind, const struct csvin_record *hdr,
                    struct feed_header *h, char *why, size_t why_size,
                    char *unknown, size_t unknown_size)
{
    size_t n_cols;
    const struct feed_column *cols = feed_columns(kind, &n_cols);
    char shown[128], unrecognized[160] = "", bom_name[128] = "";
    int bom_col = -1;

    h->kind = kind;
    h->n_fields = hdr->n_fields;
    for (size_t c = 0; c < FEED_MAX_COLS; c++)
        h->col[c] = -1;
    if (unknown_size)
        unknown[0] = '\0';
    if (hdr->n_fields > CSVIN_MAX_FIELDS) {
        snprintf(why, why_size,
                 "header has %zu columns, more than the %d supported; "
                 "file refused: re-export the feed with its own columns "
                 "only, then deliver it again", hdr->n_fields,
                 CSVIN_MAX_FIELDS);
        return -1;
    }
    for (size_t i = 0; i < hdr->n_kept; i++) {
        const char *name = hdr->fields[i].ptr;
        size_t len = hdr->fields[i].len;
        trim_blanks(&name, &len);
        size_t c = 0;
        while (c < n_cols && !parse_equal_ci(name, len, cols[c].name))
            c++;
        if (c == n_cols &&
            legacy_names_column(name, len, i, cols, n_cols, why, why_size))
            return -1;
        if (c == n_cols && len == 0) {
            blank_column(hdr->fields[i].ptr, hdr->fields[i].len, i + 1,
                         shown, sizeof shown);
            list_add_as(unknown, unknown_size, shown, true);
            list_add_as(unrecognized, sizeof unrecognized, shown, true);
            continue;
        }
        if (c == n_cols) {
            /* A byte-order mark that starts a name (a file that starts
             * with two: one written onto text that had one) is invisible:
             * "lacks 'dispatch_id' (not recognized: 'dispatch_id')" read
             * as nonsense (qa53). Shown as <U+FEFF>. */
            bool bom = len >= 3 && memcmp(name, "\xEF\xBB\xBF", 3) == 0;
            snprintf(shown, sizeof shown, "%s", bom ? "<U+FEFF>" : "");
            size_t at = strlen(shown);
            utf8_qshow(name + (bom ? 3 : 0), len - (bom ? 3 : 0), 40,
                       shown + at, sizeof shown - at);
            list_add(unknown, unknown_size, shown);
            list_add(unrecognized, sizeof unrecognized, shown);
            if (bom && bom_col < 0) {
                bom_col = (int)i;
                snprintf(bom_name, sizeof bom_name, "%s", shown);
            }
            continue;
        }
        if (h->col[c] >= 0) {
            snprintf(why, why_size,
                     "header names column '%s' twice (columns %d and %zu); "
                     "file refused: keep one of the two (delete or rename "
                     "the other), then deliver the file again",
                     cols[c].name, h->col[c] + 1, i + 1);
            return -1;
        }
        h->col[c] = (int)i;
    }
    char missing[256] = "";
    for (size_t c = 0; c < n_cols; c++)
        if (cols[c].need != FN_OPTIONAL && h->col[c] < 0)
            list_add(missing, sizeof missing, cols[c].name);
    if (missing[0] && bom_col >= 0) {
        snprintf(why, why_size,
                 "header column %d '%s' starts with a byte-order mark "
                 "(U+FEFF, invisible; a file that starts with two?), so "
                 "it names no column: required "
                 "column%s %s not found; file refused: remove the mark, or "
                 SNIFF_TODO ", then deliver the file again", bom_col + 1,
                 bom_name, strchr(missing, ',') ? "s" : "", missing);
        return -1;
    }
    if (missing[0]) {
        /* The columns it did not recognize: 'dispatch id' is in sight. */
        bool many = strchr(missing, ',') != NULL;
        snprintf(why, why_size,
                 "header lacks required column%s %s%s%s%s; file refused: "
                 "%s, then deliver the file again",
                 many ? "s" : "", missing,
                 unrecognized[0] ? " (columns not recognized: " : "",
                 unrecognized, unrecognized[0] ? ")" : "",
                 unrecognized[0] ? "name the header's columns as the feed "
                 "requires (any case, any order; rename a column not "
                 "recognized that holds one)" : many ? "add the missing "
                 "columns to the header (any case, any order)" : "add the "
                 "missing column to the header (any case, any order)");
        return -1;
    }
    return 0;
}

static int reject(char *why, size_t why_size, const char *fmt,
                  const char *column, const char *s, size_t len)
{
    /* a ' inside the quotes as \x27, as explain quotes values (fix67:
     * "submitted_at 'O'Brien'" read as a value that ends after the O) */
    char shown[4 * 40 + 4];
    utf8_qshow(s, len, 40, shown, sizeof shown);
    snprintf(why, why_size, fmt, column, shown);
    return -1;
}

/* What any value must be, whatever its column's type: a bounded size,
 * valid UTF-8, no NUL, no byte-order mark. Trims the value (s, len) unless
 * its column is free text. -1 (why set) when it is not. */
/* SPEC §6: a row rejected for bytes that read as a legacy 8-bit code
 * page (etl/sniff.c sniff_8bit: Windows-1252 or Mac Roman) says so, with
 * what to do, whatever share of the file's rows it is (the file's warning,
 * sniff_legacy, needs more than half; QA pass 41: a Windows export with one
 * "Pe\xF1a" said only "not valid UTF-8"). "" when it does not. */
static const char *legacy_row(const char *raw, size_t len, char *buf,
                              size_t size)
{
    const char *cp = sniff_cp_name(sniff_8bit(raw, len));
    if (!cp)
        return "";
    snprintf(buf, size, "; it reads as %s (a legacy 8-bit export?): %s", cp,
             SNIFF_TODO);
    return buf;
}

static int check_bytes(const struct feed_column *col, const char **s,
                       size_t *len, bool utf8_ok, char *why, size_t why_size)
{
    size_t bad_at;
    if (*len > FEED_MAX_FIELD_BYTES) {
        snprintf(why, why_size, "%s is %zu bytes, over the limit of %d",
                 col->name, *len, FEED_MAX_FIELD_BYTES);
        return -1;
    }
    if (!utf8_ok && !utf8_valid(*s, *len, &bad_at)) {
        char legacy[128];
        snprintf(why, why_size, "%s is not valid UTF-8 (bad byte 0x%02X at "
                 "byte %zu)%s", col->name, (unsigned char)(*s)[bad_at],
                 bad_at + 1, legacy_row(*s, *len, legacy, sizeof legacy));
        return -1;
    }
    if (memchr(*s, '\0', *len)) {
        snprintf(why, why_size, "%s contains a NUL byte", col->name);
        return -1;
    }
    if (col->type != FT_TEXT)
        trim_blanks(s, len);
    /* A byte-order mark belongs only at the very start of a file (csvin
     * removes that one). Anywhere else at the start of a value it is
     * invisible in every viewer yet makes the value differ (an id that
     * never matches): most likely a file pasted onto another. Stripping it
     * would load a value that is not what the feed says, so the row is
     * rejected and the reason says what to remove. */
    if (*len >= 3 && memcmp(*s, "\xEF\xBB\xBF", 3) == 0) {
        snprintf(why, why_size, "%s starts with a byte-order mark (U+FEFF), "
                 "which may only begin a file (a file pasted into another?); "
                 "remove it", col->name);
        return -1;
    }
    return 0;
}

/* Excel's dates start at 1900-01-01 (serial 1): an earlier feed date could
 * only be written as text (SPEC §4: "never dates as text"), and nothing of
 * this program predates it, so such a row is rejected, saying why. */
#define BEFORE_EXCEL "%s '%s' is before 1900-01-01, the first date Excel " \
                     "can show; correct the date"

/* 0 unless (s, len) is a plain decimal, [+-]?(D+(.D*)?|.D+); then 2 when
 * it has more than 18 digits before the point after its leading zeros
 * (larger than any hours), else 1. parse_decimal() reads at most 32
 * bytes and 18 such digits. */
static int decimal_shape(const char *s, size_t len)
{
    size_t i = len > 0 && (s[0] == '+' || s[0] == '-') ? 1 : 0;
    size_t int_digits = 0, frac_digits = 0;
    bool lead = true;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (lead && s[i] == '0')
            continue;
        lead = false;
        int_digits++;
    }
    bool any = int_digits > 0 || (i > 0 && s[i - 1] == '0');
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            frac_digits++;
    if (i != len || (!any && frac_digits == 0))
        return 0;
    return int_digits > 18 ? 2 : 1;
}

/* A non-blank value read as its column's type into v. */
static int parse_typed(const struct feed_column *col, const char *s,
                       size_t len, struct feed_value *v, char *norm_buf,
                       char *why, size_t why_size)
{
    switch (col->type) {
    case FT_ID:
    case FT_TEXT:
        break;
    case FT_CODE:
        v->norm_len = parse_normalize(s, len, norm_buf);
        v->norm = norm_buf;
        break;
    case FT_DATE:
        if (!parse_date_any_year(s, len, &v->when))
            return reject(why, why_size, "%s '%s' is not a valid date "
                          "(YYYY-MM-DD or MM/DD/YYYY)", col->name, s, len);
        if (v->when.year < PARSE_FIRST_EXCEL_YEAR)
            return reject(why, why_size, BEFORE_EXCEL, col->name, s, len);
        parse_format_date(&v->when, v->iso);
        break;
    case FT_DATETIME:
        if (!parse_datetime_any_year(s, len, &v->when))
            return reject(why, why_size, "%s '%s' is not a valid date-time "
                          "(a date, then T or a space and HH:MM[:SS])",
                          col->name, s, len);
        if (v->when.year < PARSE_FIRST_EXCEL_YEAR)
            return reject(why, why_size, BEFORE_EXCEL, col->name, s, len);
        parse_format_datetime(&v->when, v->iso);
        break;
    case FT_FLAG:
        if (!parse_flag(s, len, &v->flag))
            return reject(why, why_size, "%s '%s' is not a flag (Y/N, "
                          "yes/no, true/false, 1/0)", col->name, s, len);
        break;
    case FT_STATUS:
        if (parse_equal_ci(s, len, "OPEN"))
            v->flag = false;
        else if (parse_equal_ci(s, len, "CANCELLED"))
            v->flag = true;
        else
            return reject(why, why_size, "%s '%s' is not OPEN or CANCELLED",
                          col->name, s, len);
        break;
    case FT_HOURS:
        if (!parse_decimal(s, len, &v->number)) {
            /* A plain decimal parse_decimal does not read (over 32
             * bytes, or over 18 digits before the point) is one all
             * the same: say what is wrong with it (qa29). */
            int shape = decimal_shape(s, len);
            if (shape && parse_decimal_cmp(s, len, 0) < 0)
                return reject(why, why_size, "%s '%s' is negative",
                              col->name, s, len);
            if (shape && parse_decimal_cmp(s, len, 24) > 0)
                return reject(why, why_size, "%s '%s' is above 24",
                              col->name, s, len);
            if (shape)
                return reject(why, why_size, "%s '%s' has more than 32 "
                              "characters; round it to a few decimal "
                              "places", col->name, s, len);
            return reject(why, why_size, "%s '%s' is not a decimal number",
                          col->name, s, len);
        }
        /* Decided on the digits, not the double (parse_decimal_cmp). */
        if (parse_decimal_cmp(s, len, 0) < 0)
            return reject(why, why_size, "%s '%s' is negative", col->name, s,
                          len);
        if (parse_decimal_cmp(s, len, 24) > 0)
            return reject(why, why_size, "%s '%s' is above 24", col->name, s,
                          len);
        break;
    }
    return 0;
}

static int check_value(const struct feed_column *col, const char *s,
                       size_t len, bool utf8_ok, struct feed_value *v,
                       char *norm_buf, char *why, size_t why_size)
{
    if (check_bytes(col, &s, &len, utf8_ok, why, why_size) != 0)
        return -1;
    v->text = s;
    v->len = len;
    v->blank = len == 0;
    if (v->blank) {
        if (col->need == FN_REQUIRED) {
            snprintf(why, why_size, "required %s is blank", col->name);
            return -1;
        }
        v->norm = "";
        v->norm_len = 0;
        v->flag = false;
        v->iso[0] = '\0';
        return 0;
    }
    return parse_typed(col, s, len, v, norm_buf, why, why_size);
}

/* A record over csvin's caps (rec->over: a field over 1 MiB, a record over
 * 4 MiB) was read to its end but not kept, so it cannot be checked as
 * others are: it is rejected for its largest field, named as the length
 * check above names it (SPEC §2: a field over 32,767 bytes rejects its
 * row), or else for its field count, or else for its size. */
static int reject_over(const struct feed_header *h,
                       const struct csvin_record *rec, char *why,
                       size_t why_size)
{
    size_t n_cols;
    const struct feed_column *cols = feed_columns(h->kind, &n_cols);
    const char *name = NULL;
    for (size_t c = 0; c < n_cols; c++)
        if (h->col[c] >= 0 && (size_t)h->col[c] == rec->over_field)
            name = cols[c].name;
    if (rec->over_len > FEED_MAX_FIELD_BYTES && name)
        snprintf(why, why_size, "%s is %llu bytes, over the limit of %d",
                 name, rec->over_len, FEED_MAX_FIELD_BYTES);
    else if (rec->over_len > FEED_MAX_FIELD_BYTES)
        snprintf(why, why_size, "field %zu%s is %llu bytes, over the limit "
                 "of %d", rec->over_field + 1,
                 rec->over_field < h->n_fields ? " (a column not used)" : "",
                 rec->over_len, FEED_MAX_FIELD_BYTES);
    else if (rec->n_fields != h->n_fields)
        snprintf(why, why_size, "has %zu field%s, the header has %zu",
                 rec->n_fields, rec->n_fields == 1 ? "" : "s", h->n_fields);
    else
        snprintf(why, why_size, "record is %llu bytes, over the limit of %d",
                 rec->over_bytes, CSVIN_MAX_RECORD_BYTES);
    return -1;
}

/* SPEC §6: a row with too few fields whose bytes split on ';' or TAB
 * (outside quotes) into the header's count -- rows of a semicolon- or
 * tab-separated export under a comma-separated header -- is named as such
 * (qa75: it was "has 1 field, the header has 9" alone). NULL when not. */
static const char *row_separator(const struct feed_header *h,
                                 const struct csvin_record *rec)
{
    static const struct { char sep; const char *name; } seps[] = {
        {';', "semicolon-separated"}, {'\t', "tab-separated"},
    };
    if (rec->n_fields >= h->n_fields || h->n_fields < 2)
        return NULL;
    for (size_t k = 0; k < sizeof seps / sizeof seps[0]; k++) {
        size_t fields = 1;
        bool quoted = false;
        for (size_t i = 0; i < rec->raw_len; i++) {
            if (rec->raw[i] == '"')
                quoted = !quoted;
            else if (!quoted && rec->raw[i] == seps[k].sep)
                fields++;
        }
        if (fields == h->n_fields)
            return seps[k].name;
    }
    return NULL;
}

int feed_check(const struct feed_header *h, const struct csvin_record *rec,
               struct feed_row *row, char *why, size_t why_size)
{
    size_t n_cols, n_norm = 0;
    const struct feed_column *cols = feed_columns(h->kind, &n_cols);

    if (rec->over)
        return reject_over(h, rec, why, why_size);

    if (rec->n_fields != h->n_fields) {
        int n = snprintf(why, why_size, "has %zu field%s, the header has %zu",
                         rec->n_fields, rec->n_fields == 1 ? "" : "s",
                         h->n_fields);
        const char *sep = row_separator(h, rec);
        if (sep && n > 0 && (size_t)n < why_size)
            snprintf(why + n, why_size - (size_t)n, ": the row is %s, not "
                     "comma-separated as its header is; " SNIFF_TODO, sep);
        return -1;
    }
    /* The record's bytes checked once, first (issue 15): a field is the
     * record's bytes less ASCII ones (separators, quotes), cut at ASCII
     * bytes, so each field of a valid record is valid too and needs no
     * check of its own. A record that is not valid UTF-8 has its fields
     * checked one by one, as before, so that the reason still names the
     * first column at fault (and a column checked before it still rejects
     * the row for its own reason first). */
    size_t bad_at;
    bool raw_ok = utf8_valid(rec->raw, rec->raw_len, &bad_at);
    for (size_t c = 0; c < n_cols; c++) {
        struct feed_value *v = &row->v[c];
        char *norm_buf = NULL;
        if (cols[c].type == FT_CODE)
            norm_buf = row->norm_buf[n_norm++];
        if (h->col[c] < 0) {          /* optional column absent */
            memset(v, 0, sizeof *v);
            v->text = v->norm = "";
            v->blank = true;
            continue;
        }
        const struct csvin_field *f = &rec->fields[h->col[c]];
        if (check_value(&cols[c], f->ptr, f->len, raw_ok, v, norm_buf, why,
                        why_size) != 0)
            return -1;
    }
    /* SPEC §2: a field over 32,767 bytes rejects the row, in a column we
     * ignore too (the columns we keep were checked above). */
    for (size_t i = 0; i < rec->n_kept; i++) {
        if (rec->fields[i].len > FEED_MAX_FIELD_BYTES) {
            snprintf(why, why_size, "field %zu (a column not used) is %zu "
                     "bytes, over the limit of %d", i + 1,
                     rec->fields[i].len, FEED_MAX_FIELD_BYTES);
            return -1;
        }
    }
    /* SPEC §2: a row that is not valid UTF-8 is rejected, even when the bad
     * bytes sit in a column we ignore (the columns we keep were checked
     * above, with a message naming them). */
    if (!raw_ok) {
        char legacy[128];
        snprintf(why, why_size, "record is not valid UTF-8 (bad byte 0x%02X "
                 "at byte %zu of the record)%s",
                 (unsigned char)rec->raw[bad_at], bad_at + 1,
                 legacy_row(rec->raw, rec->raw_len, legacy, sizeof legacy));
        return -1;
    }
    if (h->kind == FEED_REGISTRATIONS && !row->v[REG_REMOVED_ON].blank &&
        row->v[REG_REMOVED_ON].when.day_number <
            row->v[REG_REGISTERED_ON].when.day_number) {
        snprintf(why, why_size, "removed_on %s precedes registered_on %s",
                 row->v[REG_REMOVED_ON].iso, row->v[REG_REGISTERED_ON].iso);
        return -1;
    }
    return 0;
}

void feed_dispatch_id_of(const struct feed_header *h,
                         const struct csvin_record *rec, const char **s,
                         size_t *len)
{
    int at = h->kind == FEED_DISPATCHES   ? h->col[DSP_ID]
             : h->kind == FEED_CLOSEOUTS ? h->col[CLO_DISPATCH]
                                         : -1;
    *s = "";
    *len = 0;
    if (at < 0 || (size_t)at >= rec->n_kept)
        return;
    const char *p = rec->fields[at].ptr;
    size_t n = rec->fields[at].len;
    trim_blanks(&p, &n);
    if (n == 0 || n > FEED_MAX_KEPT_ID || !utf8_valid(p, n, NULL) ||
        memchr(p, '\0', n))
        return;
    *s = p;
    *len = n;
}
