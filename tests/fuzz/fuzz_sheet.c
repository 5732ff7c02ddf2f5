/* fuzz_sheet.c -- libFuzzer target for the workbook text sanitizer,
 * sheet_clean_text() (reports/sheet.c), and for the cell it becomes.
 *
 * Byte 0 picks the mode, the rest is one value, offered from a heap copy
 * of exactly its length. Every input: the sanitized text is NUL-terminated
 * at its length (no NUL inside), valid UTF-8, holds no CR, no U+FFFE or
 * U+FFFF, fits Excel's cell limit of 32,767 characters (counted in UTF-16
 * units, as Excel does; libxlsxwriter counts code points, never more), its
 * rich-string runs are in order and no run holds a whole "_xHHHH_"; a value
 * that needed no change (valid UTF-8 without NUL, CR, U+FFFE/F, short
 * enough) comes out byte for byte. Odd byte 0: the value is also written
 * through sheet_write_text() into a real workbook, which must close and
 * verify (reports/verify.c), and whose sheet XML must hold the value as an
 * inline string cell, never a formula (<f>), reading back (XML entities
 * decoded) as the sanitized text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/utf8.h"
#include "reports/sheet.h"

static struct sheet_book scratch;     /* its txt buffers, for every input */
static char dir[64];

static void fail(const char *what, const uint8_t *s, size_t len)
{
    fprintf(stderr, "fuzz_sheet: invariant broken: %s (input %zu bytes: ",
            what, len);
    for (size_t i = 0; i < len && i < 64; i++)
        fprintf(stderr, "%02x", s[i]);
    fprintf(stderr, ")\n");
    abort();
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

static int escape_at(const char *p)
{
    return p[0] == '_' && (p[1] == 'x' || p[1] == 'X') && is_hex(p[2]) &&
           is_hex(p[3]) && is_hex(p[4]) && is_hex(p[5]) && p[6] == '_';
}

/* UTF-16 units of valid UTF-8. */
static size_t units(const char *s, size_t n)
{
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xC0) != 0x80)
            u += c >= 0xF0 ? 2 : 1;
    }
    return u;
}

/* Valid UTF-8 without NUL, CR, U+FFFE/F: written as it is unless cut. */
static int needs_no_change(const char *s, size_t n)
{
    size_t bad;
    if (!utf8_valid(s, n, &bad) || memchr(s, 0, n) || memchr(s, '\r', n))
        return 0;
    for (size_t i = 0; i + 2 < n; i++)
        if ((unsigned char)s[i] == 0xEF && (unsigned char)s[i + 1] == 0xBF &&
            (unsigned char)s[i + 2] >= 0xBE)
            return 0;
    return 1;
}

static void check_clean(const char *s, size_t n, const uint8_t *raw,
                        size_t raw_len)
{
    struct sheet_text *t = &scratch.txt;
    int cut;
    size_t runs = sheet_clean_text(t, s, n, &cut), bad;
    size_t o = strlen(t->buf);
    if (!utf8_valid(t->buf, o, &bad))
        fail("output is not valid UTF-8", raw, raw_len);
    if (units(t->buf, o) > SHEET_MAX_CHARS)
        fail("output over 32,767 characters", raw, raw_len);
    if (memchr(t->buf, '\r', o) || strstr(t->buf, "\xEF\xBF\xBE") ||
        strstr(t->buf, "\xEF\xBF\xBF"))
        fail("output holds CR or U+FFFE/U+FFFF", raw, raw_len);
    if (runs != (t->n_split ? t->n_split + 1 : 0))
        fail("run count", raw, raw_len);
    for (size_t k = 0; k < t->n_split; k++)
        if (t->split[k] == 0 || t->split[k] >= o ||
            (k && t->split[k] <= t->split[k - 1]))
            fail("run ends out of order or at an end", raw, raw_len);
    for (size_t p = 0; p + 7 <= o; p++) {
        if (!escape_at(t->buf + p))
            continue;
        size_t k = 0;
        while (k < t->n_split && t->split[k] != p + 1)
            k++;
        if (k == t->n_split && !cut)
            fail("a run holds a whole _xHHHH_", raw, raw_len);
    }
    int plain = needs_no_change(s, n);
    if (plain && !cut && (o != n || memcmp(t->buf, s, n)))
        fail("a value needing no change was changed", raw, raw_len);
    /* Cut only for its size: the rich-string markup of escape-like text
     * counts against the limit too, so only a plain one is sure. */
    if (plain && cut && units(s, n) <= SHEET_MAX_CHARS - 128 && runs == 0 &&
        !memchr(s, '_', n))
        fail("a short value was cut", raw, raw_len);
    if (!cut && units(s, n) > SHEET_MAX_CHARS)
        fail("a value over the limit was not cut", raw, raw_len);
}

/* The inflated xl/worksheets/sheet1.xml of the zip at path (malloc'd). */
static char *sheet1_xml(const char *path)
{
    FILE *f = fopen(path, "rb");
    static unsigned char zip[1 << 20];
    size_t n = f ? fread(zip, 1, sizeof zip, f) : 0;
    if (f)
        fclose(f);
    const char *name = "xl/worksheets/sheet1.xml";
    for (size_t i = 0; i + 30 < n; i++) {
        unsigned char *h = zip + i;
        if (memcmp(h, "PK\x03\x04", 4) != 0 || h[26] != strlen(name) ||
            memcmp(h + 30, name, strlen(name)) != 0)
            continue;
        size_t csize = h[18] | h[19] << 8 | (size_t)h[20] << 16;
        size_t usize = h[22] | h[23] << 8 | (size_t)h[24] << 16;
        char *out = malloc(usize + 1);
        z_stream zs = {0};
        inflateInit2(&zs, -MAX_WBITS);
        zs.next_in = h + 30 + strlen(name) + (h[28] | h[29] << 8);
        zs.avail_in = (uInt)csize;
        zs.next_out = (Bytef *)out;
        zs.avail_out = (uInt)usize;
        int rc = inflate(&zs, Z_FINISH);
        inflateEnd(&zs);
        if (rc != Z_STREAM_END) {
            free(out);
            return NULL;
        }
        out[usize] = '\0';
        return out;
    }
    return NULL;
}

/* The text of the <t> elements of xml, entities decoded. */
static size_t cell_text(const char *xml, char *out)
{
    size_t o = 0;
    const char *p = xml;
    while ((p = strstr(p, "<t")) != NULL) {
        p = strchr(p, '>') + 1;
        const char *end = strstr(p, "</t>");
        while (p < end) {
            static const char *const ent[][2] = {{"&amp;", "&"},
                {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}};
            size_t k = 0;
            while (k < 4 && strncmp(p, ent[k][0], strlen(ent[k][0])) != 0)
                k++;
            if (k < 4) {
                out[o++] = ent[k][1][0];
                p += strlen(ent[k][0]);
            } else
                out[o++] = *p++;
        }
    }
    out[o] = '\0';
    return o;
}

static void check_cell(const char *s, size_t n, const uint8_t *raw,
                       size_t raw_len)
{
    char path[128], why[256];
    struct sheet_book b;
    lxw_workbook_options wo = {.constant_memory = LXW_TRUE, .tmpdir = dir};
    memset(&b, 0, sizeof b);
    snprintf(path, sizeof path, "%s/cell.xlsx", dir);
    b.wb = workbook_new_opt(path, &wo);
    if (!b.wb || sheet_book_init(&b) != 0)
        fail("cannot start a workbook", raw, raw_len);
    lxw_worksheet *ws = workbook_add_worksheet(b.wb, "S");
    sheet_write_text(&b, ws, 0, 0, s, n, b.text);
    size_t o = n ? strlen(b.txt.buf) : 0;       /* '' writes no cell */
    char *want = malloc(o + 1);
    memcpy(want, n ? b.txt.buf : "", o + 1);
    if (sheet_book_close(&b, path, why, sizeof why) != 0) {
        fprintf(stderr, "%s (lxw %d)\n", why, (int)b.err);
        fail("the workbook does not close and verify", raw, raw_len);
    }
    char *xml = sheet1_xml(path), *got = malloc(8 * 32768 + 1);
    if (!xml)
        fail("no sheet1.xml", raw, raw_len);
    if (n > 0 && (!strstr(xml, "t=\"inlineStr\"") || strstr(xml, "<f>") ||
                  strstr(xml, "<f ")))
        fail("the cell is not an inline string, or is a formula", raw,
             raw_len);
    int controls = 0;
    for (size_t k = 0; k < o; k++)
        controls |= (unsigned char)want[k] < 0x20 && want[k] != '\t' &&
                    want[k] != '\n';
    if (!controls && (cell_text(xml, got) != o || memcmp(got, want, o)))
        fail("the cell does not read back as the sanitized text", raw,
             raw_len);
    unlink(path);
    free(want);
    free(xml);
    free(got);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char cmd[96];
    (void)argc;
    (void)argv;
    /* tmpfs when there is one: a workbook per input */
    snprintf(dir, sizeof dir, "%s/fuzz_sheet.%ld",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp",
             (long)getpid());
    snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
    /* The scratch book is never closed: only its text buffers are used
     * (a workbook writes nothing before it is closed). */
    scratch.wb = workbook_new("/dev/null");
    if (system(cmd) != 0 || !scratch.wb || sheet_book_init(&scratch) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t n = size - 1;
    char *s = malloc(n ? n : 1);
    memcpy(s, data + 1, n);
    check_clean(s, n, data, size);
    if (data[0] & 1)
        check_cell(s, n, data, size);
    free(s);
    return 0;
}
