/* sniff.c -- see sniff.h. Every sentence names what the file is and ends
 * with what to do (SNIFF_TODO). */
#include "etl/sniff.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "etl/csvin.h"
#include "etl/feed.h"
#include "lib/utf8.h"

/* NULs at one byte position of every 2 (UTF-16) or 4 (UTF-32): ASCII text
 * in a wide encoding. Needs a few characters to be sure. */
static const char *wide_by_nuls(const unsigned char *h, size_t n)
{
    size_t nul[4] = {0}, total = 0;
    if (n < 8)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (h[i] == 0) {
            nul[i % 4]++;
            total++;
        }
    if (total == 0)
        return NULL;
    size_t quarter = n / 4;
    int full = 0;
    for (int k = 0; k < 4; k++)
        full += nul[k] * 10 >= quarter * 9;
    if (full == 3)
        return "UTF-32";
    if (full == 2 && ((nul[0] * 10 >= quarter * 9 && nul[2] * 10 >=
                       quarter * 9) || (nul[1] * 10 >= quarter * 9 &&
                                        nul[3] * 10 >= quarter * 9)))
        return "UTF-16";
    return NULL;
}

/* The other compressed formats an export may come in, by magic number:
 * what the file is, and in *todo the tool that decompresses it. */
static const char *compressed(const unsigned char *h, size_t n,
                              const char **todo)
{
    static const struct {
        const char *magic;
        size_t len;
        const char *what, *todo;
    } forms[] = {
        {"BZh", 3, "bzip2-compressed, not a CSV text file",
         "decompress it (bunzip2) first, or " SNIFF_TODO},
        {"\xFD" "7zXZ\0", 6, "xz-compressed, not a CSV text file",
         "decompress it (unxz) first, or " SNIFF_TODO},
        {"\x28\xB5\x2F\xFD", 4, "zstd-compressed, not a CSV text file",
         "decompress it (unzstd) first, or " SNIFF_TODO},
        {"7z\xBC\xAF\x27\x1C", 6, "a 7-Zip archive, not a CSV text file",
         "extract it (7z x) first, or " SNIFF_TODO},
    };
    for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++) {
        if (n < forms[k].len || memcmp(h, forms[k].magic, forms[k].len) != 0)
            continue;
        /* "BZh" then the block size '1'-'9', then a block or the end. */
        if (k == 0 && (n < 4 || h[3] < '1' || h[3] > '9'))
            continue;
        *todo = forms[k].todo;
        return forms[k].what;
    }
    return NULL;
}

/* A web page or an XML document: after a UTF-8 BOM and blanks, one of
 * these tags (any case), then a blank, '>' or '/' (or the end of the
 * head). No CSV header starts with '<': nothing loadable is refused. */
static const char *markup(const unsigned char *h, size_t n)
{
    static const char *const tags[] = {
        "<!doctype html", "<html", "<head", "<body", "<table", "<meta",
        "<title", "<style", "<script", "<div", "<!--"};
    size_t i = 0;
    if (n >= 3 && memcmp(h, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && strchr(" \t\r\n", h[i]) && h[i])
        i++;
    if (n - i >= 5 && strncasecmp((const char *)h + i, "<?xml", 5) == 0)
        return "an XML document (an Excel XML Spreadsheet 2003, or a "
               "report saved as XML?), not a CSV text file";
    for (size_t k = 0; k < sizeof tags / sizeof tags[0]; k++) {
        size_t len = strlen(tags[k]);
        if (n - i < len || strncasecmp((const char *)h + i, tags[k], len) != 0)
            continue;
        unsigned char next = i + len < n ? h[i + len] : ' ';
        if (k == sizeof tags / sizeof tags[0] - 1 ||
            strchr(" \t\r\n>/", next))
            return "an HTML page (a report saved as a web page, or "
                   "\"Export to Excel\" from a web application?), not a CSV "
                   "text file";
    }
    return NULL;
}

/* A byte no text file holds: C0 controls but TAB, LF, FF and CR, and
 * DEL (the NUL byte among them). */
static bool binary_byte(unsigned char c)
{
    return (c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r') ||
           c == 0x7F;
}

/* NUL bytes from the start (a copy the system cut short in a crash, or a
 * file whose blocks were allocated but never written): at least 9 in 10
 * of the head's bytes, the first among them. Else binary data: at least 1
 * in 10 of the head's bytes binary_byte()s, and the first line not text
 * (it holds one, or is not UTF-8). A text file with a NUL in a row, or
 * text then a run of NULs, is read as today (its rows are rejected, or a
 * field too long refuses it). */
static const char *not_text(const unsigned char *h, size_t n, char *buf,
                            size_t size)
{
    size_t nul = 0, bin = 0, first = 0;
    if (n == 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        nul += h[i] == 0;
        bin += binary_byte(h[i]);
    }
    if (h[0] == 0 && nul * 10 >= n * 9) {
        snprintf(buf, size, "filled with NUL bytes (%zu of its first %zu "
                 "bytes are 0x00), not text: a copy cut short (a crash or a "
                 "full disk while it was written?)", nul, n);
        return buf;
    }
    if (bin * 10 < n)
        return NULL;
    while (first < n && h[first] != '\n' && h[first] != '\r')
        first++;
    bool text = true;
    size_t bad_at;
    for (size_t i = 0; i < first && text; i++)
        text = !binary_byte(h[i]);
    /* A first line cut by the head's end may end in part of a character. */
    if (text && !utf8_valid((const char *)h, first, &bad_at) &&
        (first < n || first - bad_at > 3))
        text = false;
    if (text)
        return NULL;
    snprintf(buf, size, "binary data, not text (%zu of its first %zu bytes "
             "are control characters or NUL bytes): not an export of the "
             "feed, or a copy damaged on the way", bin, n);
    return buf;
}

bool sniff_head(const unsigned char *h, size_t n, char *why, size_t size)
{
    char what_buf[200];
    const char *what = NULL, *todo = SNIFF_TODO;
    if (n >= 4 && memcmp(h, "PK\x03\x04", 4) == 0)
        what = "an Excel workbook or other zip archive (renamed .csv?), not "
               "a CSV text file";
    else if (n >= 8 && memcmp(h, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0)
        /* OLE2 compound file: .xls, and an .xlsx saved with a password. */
        what = "an Excel 97-2003 workbook (.xls) or a password-protected "
               "workbook (renamed .csv?), not a CSV text file";
    else if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b) {
        what = "gzip-compressed, not a CSV text file";
        todo = "decompress it (gunzip) first, or " SNIFF_TODO;
    }
    else if ((what = compressed(h, n, &todo)) != NULL)
        ;
    else if (n >= 5 && memcmp(h, "%PDF-", 5) == 0)
        what = "a PDF document (a report printed or saved as PDF?), not a "
               "CSV text file";
    else if ((what = markup(h, n)) != NULL)
        ;
    else if (n >= 4 && (memcmp(h, "\xFF\xFE\0\0", 4) == 0 ||
                        memcmp(h, "\0\0\xFE\xFF", 4) == 0))
        what = "UTF-32 text (it starts with a UTF-32 byte-order mark), not "
               "UTF-8";
    else if (n >= 2 && (memcmp(h, "\xFF\xFE", 2) == 0 ||
                        memcmp(h, "\xFE\xFF", 2) == 0))
        what = "UTF-16 text (it starts with a UTF-16 byte-order mark), not "
               "UTF-8";
    else {
        const char *wide = wide_by_nuls(h, n);
        if (wide) {
            snprintf(why, size, "file is %s text (NUL bytes between the "
                     "characters), not UTF-8; %s; file refused", wide,
                     SNIFF_TODO);
            return true;
        }
        what = not_text(h, n, what_buf, sizeof what_buf);
        todo = "deliver the file again (copy it anew from the export; if "
               "it is the export, " SNIFF_TODO ")";
    }
    if (!what)
        return false;
    snprintf(why, size, "file is %s; %s; file refused", what, todo);
    return true;
}

/* Does the field list raw (split on sep) hold the column name `name`
 * (blanks, quotes and a BOM around it ignored, any case)? */
static bool holds_name(const char *raw, size_t len, char sep,
                       const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < len; ) {
        size_t j = i;
        while (j < len && raw[j] != sep)
            j++;
        size_t a = i, b = j;            /* trim blanks, quotes, a BOM */
        if (b - a >= 3 && memcmp(raw + a, "\xEF\xBB\xBF", 3) == 0)
            a += 3;
        while (a < b && strchr(" \t\"\r\n", raw[a]) && raw[a] != sep)
            a++;
        while (b > a && strchr(" \t\"\r\n", raw[b - 1]) && raw[b - 1] != sep)
            b--;
        if (b - a == nl && strncasecmp(raw + a, name, nl) == 0)
            return true;
        i = j + 1;
    }
    return false;
}

/* The kind's column names the field list (split on sep) holds, and in
 * missing (room for size bytes) the required ones it lacks, quoted and
 * comma-separated ("" when none). */
static size_t names_known(enum feed_kind kind, const char *raw, size_t len,
                          char sep, char *missing, size_t size)
{
    size_t n, known = 0, used = 0;
    const struct feed_column *cols = feed_columns(kind, &n);
    missing[0] = '\0';
    for (size_t c = 0; c < n; c++) {
        if (holds_name(raw, len, sep, cols[c].name))
            known++;
        else if (cols[c].need != FN_OPTIONAL && used < size)
            used += (size_t)snprintf(missing + used, size - used, "%s'%s'",
                                     used ? ", " : "", cols[c].name);
    }
    return known;
}

bool sniff_separator(enum feed_kind kind, const char *raw, size_t len,
                     char *why, size_t size)
{
    static const struct { char sep; const char *name; } seps[] = {
        {';', "semicolon-separated (as Excel saves CSV where the decimal "
              "separator is a comma)"},
        {'\t', "tab-separated"},
    };
    /* Excel's separator hint, a first line "sep=;" (its CSV for a locale
     * whose decimal separator is a comma): the line names the format
     * (QA pass 41: "header lacks ... (columns not recognized: 'sep=;')"). */
    if (len >= 5 && len <= 6 && strncasecmp(raw, "sep=", 4) == 0 &&
        (len == 5 || raw[5] == '\r')) {
        char c = raw[4];
        if (c == ';' || c == '\t')
            snprintf(why, size, "file is %s, not comma-separated: it begins "
                     "with Excel's separator line 'sep=%s'; %s; file "
                     "refused", seps[c == ';' ? 0 : 1].name,
                     c == ';' ? ";" : "\\t", SNIFF_TODO);
        else
            snprintf(why, size, "file begins with Excel's separator line "
                     "'sep=%c', not with the header; remove that first "
                     "line, or %s; file refused", c >= 0x20 && c < 0x7F ?
                     c : '?', SNIFF_TODO);
        return true;
    }
    /* A comma in the header was taken for a comma-separated one; but a
     * semicolon header may hold a comma inside a name ("notes, internal",
     * quoted or not): it was "malformed quoting" or "lacks 'dispatch_id'"
     * (fix78). The format is named when ';' or TAB splits it into more
     * of the kind's names than the comma does. */
    char comma_missing[300];
    size_t comma_known = memchr(raw, ',', len) ?
        names_known(kind, raw, len, ',', comma_missing,
                    sizeof comma_missing) : 0;
    if (comma_known && !comma_missing[0])
        return false;
    for (size_t k = 0; k < sizeof seps / sizeof seps[0]; k++) {
        char missing[300];
        if (!memchr(raw, seps[k].sep, len))
            continue;
        size_t known = names_known(kind, raw, len, seps[k].sep, missing,
                                   sizeof missing);
        if (known <= comma_known)
            continue;
        const char *sep = seps[k].sep == '\t' ? "TAB" : "';'";
        if (!missing[0])
            snprintf(why, size, "file is %s, not comma-separated: its "
                     "header holds the required columns between %s "
                     "characters; %s; file refused", seps[k].name, sep,
                     SNIFF_TODO);
        /* Two names or more between the separators, but not all: both
         * facts (QA pass 41: it said only "lacks 'dispatch_id', ...",
         * every column, three of them there). */
        else if (known >= 2)
            snprintf(why, size, "file is %s, not comma-separated (its "
                     "header holds column names between %s characters), and "
                     "its header lacks required column%s %s; %s with every "
                     "required column; file refused", seps[k].name, sep,
                     strchr(missing, ',') ? "s" : "", missing, SNIFF_TODO);
        else
            continue;
        return true;
    }
    return false;
}

/* Which 8-bit code page a record's bytes read as (SPEC §6: "a legacy
 * 8-bit encoding such as Windows-1252 ... is named as such"). Every byte
 * 0x80-0xFF is a character of Mac Roman; Windows-1252 leaves 0x81, 0x8D,
 * 0x8F, 0x90 and 0x9D undefined, and those are Mac Roman's Å ç è ê ù, so a
 * record holding one beside a letter is Mac Roman, and one holding one
 * elsewhere is not Windows-1252. Otherwise the letters tell. Mac Roman
 * puts its accented letters at 0x80-0x9F, where Windows-1252 has mostly
 * punctuation (quotes, dashes, the euro sign); Windows-1252 and Latin-1
 * put theirs at 0xC0-0xFF. A byte beside an ASCII letter is taken for a
 * letter: at 0xC0-0xFF a Windows-1252 one; at 0x80-0x9F a Mac Roman one
 * when it is inside a word ("Pe\x96a", "M\x9Fller") or, at a word's
 * edge, when Windows-1252 reads it as no punctuation ("Caf\x8E"; but
 * "\x93Pe\xF1a\x94" stays Windows-1252: its quotes sit at the word's
 * edges). More Mac Roman letters than Windows-1252 ones: Mac Roman; else
 * Windows-1252, the usual one. The bytes looked at are those that break
 * UTF-8; an ASCII one among them means not 8-bit text at all (NULL). */
static bool ascii_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool cp1252_punctuation(unsigned char c)
{
    static const unsigned char p[] = {0x80, 0x82, 0x84, 0x85, 0x86, 0x87,
        0x89, 0x8B, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
        0x9B};
    return memchr(p, c, sizeof p) != NULL;
}

enum sniff_cp sniff_8bit(const char *raw, size_t len)
{
    size_t bad_at, off = 0;
    unsigned long mac = 0, win = 0;
    bool any = false, undefined = false;
    bool mac_only = false;      /* Å ç è ê ù beside a letter: Mac Roman */
    while (off < len && !utf8_valid(raw + off, len - off, &bad_at)) {
        size_t at = off + bad_at;
        unsigned char c = (unsigned char)raw[at];
        if (c < 0x80)
            return SNIFF_CP_NONE;
        any = true;
        bool before = at > 0 && ascii_letter((unsigned char)raw[at - 1]);
        bool after = at + 1 < len && ascii_letter((unsigned char)raw[at + 1]);
        bool cp_undefined = c == 0x81 || c == 0x8D || c == 0x8F ||
                            c == 0x90 || c == 0x9D;
        undefined = undefined || cp_undefined;
        if (c >= 0xC0 && (before || after))
            win++;
        else if (c < 0xA0 && ((before && after) ||
                              ((before || after) && !cp1252_punctuation(c)))) {
            mac++;
            mac_only = mac_only || cp_undefined;
        }
        off = at + 1;
    }
    if (!any)
        return SNIFF_CP_NONE;
    if (mac_only || mac > win)
        return SNIFF_CP_MAC_ROMAN;
    /* A byte Windows-1252 leaves undefined, and no word of Mac Roman
     * letters: not text of either (e.g. a broken UTF-8 sequence). */
    return undefined ? SNIFF_CP_NONE : SNIFF_CP_1252;
}

const char *sniff_cp_name(enum sniff_cp cp)
{
    switch (cp) {
    case SNIFF_CP_1252:
        return "Windows-1252";
    case SNIFF_CP_MAC_ROMAN:
        return "Mac Roman";
    case SNIFF_CP_NONE:
        break;
    }
    return NULL;
}

bool sniff_legacy(unsigned long n_cp1252, unsigned long n_mac,
                  unsigned long rejected, bool by_inbox, char *why,
                  size_t size)
{
    unsigned long n = n_cp1252 + n_mac;
    if (n == 0 || n * 2 <= rejected)
        return false;
    snprintf(why, size, "%lu of the %lu rejected rows are not valid UTF-8 "
             "but read as %s: the file looks like a legacy 8-bit export (%s), "
             "not CSV UTF-8; %s and %s", n, rejected,
             n_mac > n_cp1252 ? "Mac Roman" : "Windows-1252",
             n_mac > n_cp1252 ? "Mac Roman" : "Windows-1252 or Latin-1",
             SNIFF_TODO, by_inbox ? "deliver it to the inbox again: it "
             "loads on the next run" : "import it again");
    return true;
}

/* One physical line (line[0..len)) read as a CSV record: does it map as
 * the kind's header, every required column there? */
static bool is_header(enum feed_kind kind, const unsigned char *line,
                      size_t len)
{
    FILE *fp = fmemopen((void *)line, len, "r");
    if (!fp)
        return false;
    struct csvin *in = csvin_new(fp, "", 0, NULL, NULL);
    const struct csvin_record *rec;
    struct diag d = {0};
    struct feed_header h;
    char why[512], unknown[64];
    bool found = in && csvin_next(in, &rec, &d) == 1 &&
                 feed_map_header(kind, rec, &h, why, sizeof why, unknown,
                                 sizeof unknown) == 0;
    csvin_free(in);
    fclose(fp);
    return found;
}

bool sniff_title(enum feed_kind kind, const unsigned char *h, size_t n,
                 char *why, size_t size)
{
    unsigned long line = 1;
    size_t i = 0;
    if (n >= 3 && memcmp(h, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    for (;;) {                          /* past line `line` */
        while (i < n && h[i] != '\n' && h[i] != '\r')
            i++;
        if (i == n)
            return false;               /* the head ends in the line */
        i += h[i] == '\r' && i + 1 < n && h[i + 1] == '\n' ? 2 : 1;
        if (++line > SNIFF_TITLE_LINES)
            return false;
        size_t start = i;
        while (i < n && h[i] != '\n' && h[i] != '\r')
            i++;
        if (i == n && n >= SNIFF_HEAD)
            return false;               /* a line the head cuts: unknown */
        if (i > start && is_header(kind, h + start, i - start))
            break;
        i = start;
    }
    char above[40];
    if (line == 2)
        snprintf(above, sizeof above, "line 1");
    else
        snprintf(above, sizeof above, "lines 1-%lu", line - 1);
    snprintf(why, size, "header found on line %lu, not on line 1: the line%s "
             "above it (a title, a report name or a date, as some exports "
             "add) %s not part of a CSV feed; file refused: delete %s so "
             "that the header is the first line (or export again without "
             "the title), then deliver the file again", line,
             line == 2 ? "" : "s", line == 2 ? "is" : "are", above);
    return true;
}
