/* verify.c -- read a finished workbook back: zip structure, every part
 * inflated and CRC-checked, XML tags balanced, cells and listing rows
 * counted (see verify.h for why).
 *
 * A small zip reader of its own, on zlib's raw inflate, rather than
 * minizip's unzip half: Debian's libminizip1 ships without headers (no
 * libminizip-dev in the build dependencies), and what a workbook needs is
 * little: the end record, the central directory, and "stored" or
 * "deflated" entries without ZIP64 (libxlsxwriter writes no ZIP64 unless
 * asked, and a file over 4 GiB could not be written without it).
 *
 * The XML check is a tag scanner, not a parser: libxlsxwriter writes no
 * comments, CDATA or DOCTYPE, and the question is only whether the bytes
 * that reached the file are whole. It follows element nesting with a
 * stack of names, so a part cut short (the usual full-disk result) or
 * missing a tag in the middle fails; a lost whole element (one fprintf
 * that failed) keeps the nesting, which is what counting the cells
 * catches. */
#include "reports/verify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define CHUNK      65536
#define MAX_DEPTH  32          /* libxlsxwriter nests about 10 deep */
#define MAX_NAME   64          /* element names, prefix included */
#define MAX_CD     (16u << 20) /* central directory bytes we accept */
#define MAX_EOCD   (22 + 65535)

struct xml_scan {
    enum { X_TEXT, X_LT, X_NAME, X_ATTR, X_QUOTE, X_SELF, X_SKIP } state;
    int           closing;                /* </name> */
    char          quote;
    char          name[MAX_NAME];
    size_t        name_len;
    char          stack[MAX_DEPTH][MAX_NAME];
    size_t        stack_len[MAX_DEPTH];
    int           depth;
    int           root_done;
    int           is_row;                 /* capturing a <row>'s r="" */
    char          attr[128];
    size_t        attr_len;
    unsigned long n_cells, n_rows;
    unsigned long want_rows;              /* rows 1..want_rows in order */
    int           rows_out_of_order;
    const char   *bad;                    /* first problem, static text */
    char          bad_name[MAX_NAME];
};

static void xml_fail(struct xml_scan *x, const char *what, const char *name)
{
    if (x->bad)
        return;
    x->bad = what;
    snprintf(x->bad_name, sizeof x->bad_name, "%s", name ? name : "");
}

static int name_char(unsigned char c)
{
    return c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '>' &&
           c != '/' && c != '<' && c != '"' && c != '\'' && c != '=';
}

/* The r="N" of a <row ...>: listing rows must be 1, 2, ... in order. */
static void row_seen(struct xml_scan *x)
{
    x->attr[x->attr_len] = '\0';
    const char *p = strstr(x->attr, " r=\"");
    unsigned long r = p ? strtoul(p + 4, NULL, 10) : 0;
    x->n_rows++;
    if (x->n_rows <= x->want_rows && r != x->n_rows)
        x->rows_out_of_order = 1;
}

static void tag_end(struct xml_scan *x, int self_closing)
{
    x->name[x->name_len] = '\0';
    if (x->closing) {
        if (x->depth == 0 || x->stack_len[x->depth - 1] != x->name_len ||
            memcmp(x->stack[x->depth - 1], x->name, x->name_len) != 0)
            return xml_fail(x, "end tag does not close the open element",
                            x->name);
        if (--x->depth == 0)
            x->root_done = 1;
        return;
    }
    if (x->root_done)
        return xml_fail(x, "element after the root element", x->name);
    if (x->name_len == 1 && x->name[0] == 'c')
        x->n_cells++;
    else if (x->is_row)
        row_seen(x);
    if (self_closing) {
        if (x->depth == 0)
            x->root_done = 1;
        return;
    }
    if (x->depth == MAX_DEPTH)
        return xml_fail(x, "elements nested too deep", x->name);
    x->stack_len[x->depth] = x->name_len;
    memcpy(x->stack[x->depth++], x->name, x->name_len + 1);
}

static void name_done(struct xml_scan *x)
{
    x->name[x->name_len] = '\0';
    x->is_row = !x->closing && x->name_len == 3 &&
                memcmp(x->name, "row", 3) == 0;
    x->attr_len = 0;
}

static void xml_byte(struct xml_scan *x, unsigned char c)
{
    switch (x->state) {
    case X_TEXT:
        if (c == '<')
            x->state = X_LT;
        else if (x->depth == 0 && c != ' ' && c != '\t' && c != '\r' &&
                 c != '\n')
            xml_fail(x, "text outside the root element", NULL);
        break;
    case X_LT:
        x->closing = c == '/';
        x->name_len = 0;
        if (c == '?' || c == '!')
            x->state = X_SKIP;             /* declaration: up to '>' */
        else if (c == '/' || name_char(c)) {
            x->state = X_NAME;
            if (c != '/')
                x->name[x->name_len++] = (char)c;
        } else
            xml_fail(x, "'<' not starting a tag", NULL);
        break;
    case X_NAME:
        if (name_char(c)) {
            if (x->name_len + 1 >= MAX_NAME)
                return xml_fail(x, "element name too long", NULL);
            x->name[x->name_len++] = (char)c;
            break;
        }
        if (x->name_len == 0)
            return xml_fail(x, "tag without a name", NULL);
        name_done(x);
        x->state = X_ATTR;
        xml_byte(x, c);                    /* '>', '/' or a blank */
        break;
    case X_ATTR:
        if (x->is_row && x->attr_len + 1 < sizeof x->attr)
            x->attr[x->attr_len++] = (char)(c == '\t' || c == '\n' ? ' ' : c);
        if (c == '"' || c == '\'') {
            x->quote = (char)c;
            x->state = X_QUOTE;
        } else if (c == '>') {
            tag_end(x, 0);
            x->state = X_TEXT;
        } else if (c == '/' && !x->closing)
            x->state = X_SELF;
        else if (c == '<')
            xml_fail(x, "'<' inside a tag", x->name);
        break;
    case X_QUOTE:
        if (x->is_row && x->attr_len + 1 < sizeof x->attr)
            x->attr[x->attr_len++] = (char)c;
        if (c == (unsigned char)x->quote)
            x->state = X_ATTR;
        else if (c == '<')
            xml_fail(x, "'<' inside an attribute value", x->name);
        break;
    case X_SELF:
        if (c != '>')
            return xml_fail(x, "'/' not ending a tag", x->name);
        tag_end(x, 1);
        x->state = X_TEXT;
        break;
    case X_SKIP:
        if (c == '>')
            x->state = X_TEXT;
        break;
    }
}

/* A run of bytes, as xml_byte would take them one by one, but the bytes
 * xml_byte would pass over without a change skipped with memchr: text
 * inside the root element up to its next '<', a declaration up to its
 * '>', the blanks and attribute names of a tag up to a quote, '/', '>' or
 * '<', and an attribute value up to its quote or a '<' (not in a <row>,
 * whose r="" is captured); an element name is copied in one loop. Most
 * of a sheet is cell text and attribute values, so this is what keeps the
 * read-back a small part of a report (bench "workbook read-back");
 * tests/unit/test_verify_scan.c checks, on damaged sheets cut into random
 * runs, that the verdict and every count are those of xml_byte alone. */
static void xml_bytes(struct xml_scan *x, const unsigned char *p, size_t n)
{
    const unsigned char *end = p + n;
    while (p < end && !x->bad) {
        if (x->state == X_TEXT && x->depth > 0) {
            const unsigned char *lt = memchr(p, '<', (size_t)(end - p));
            if (!lt)
                return;
            p = lt;
        } else if (x->state == X_SKIP) {
            const unsigned char *gt = memchr(p, '>', (size_t)(end - p));
            if (!gt)
                return;
            p = gt;
        } else if (x->state == X_NAME) {
            while (p < end && name_char(*p) && x->name_len + 1 < MAX_NAME)
                x->name[x->name_len++] = (char)*p++;
            if (p == end)
                return;
        } else if (x->state == X_ATTR && !x->is_row) {
            while (p < end && *p != '"' && *p != '\'' && *p != '>' &&
                   *p != '/' && *p != '<')
                p++;
            if (p == end)
                return;
        } else if (x->state == X_QUOTE && !x->is_row) {
            while (p < end && *p != (unsigned char)x->quote && *p != '<')
                p++;
            if (p == end)
                return;
        }
        xml_byte(x, *p++);
    }
}

/* ---- the zip ------------------------------------------------------------- */

struct zip {
    FILE         *f;
    const char   *path;
    char         *why;
    size_t        why_size;
    int           no_memory;    /* the check itself ran out of memory */
    unsigned char in[CHUNK], out[CHUNK];
};

static int zfail(struct zip *z, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int zfail(struct zip *z, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(z->why, z->why_size, fmt, ap);
    va_end(ap);
    return -1;
}

/* The check cannot go on for lack of memory: no verdict on the file. */
static int zfail_memory(struct zip *z, const char *what)
{
    z->no_memory = 1;
    return zfail(z, "cannot check it: out of memory (%s)", what);
}

static uint32_t le16(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
    return le16(p) | le16(p + 2) << 16;
}

static int read_at(struct zip *z, long off, void *buf, size_t n)
{
    if (fseek(z->f, off, SEEK_SET) != 0 || fread(buf, 1, n, z->f) != n)
        return zfail(z, "cannot read back at byte %ld: %s", off,
                     ferror(z->f) ? strerror(errno) : "file too short");
    return 0;
}

/* One central directory entry, as far as we use it. */
struct zentry {
    unsigned method;
    uint32_t crc, csize, usize, local;
    char     name[256];
};

static int is_xml(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && strcmp(name + n - 4, ".xml") == 0) ||
           (n > 5 && strcmp(name + n - 5, ".rels") == 0);
}

/* Inflates entry e (its data starts at byte `data`, ends before `limit`),
 * checks size and CRC, and scans it when it is XML (x may be NULL). */
static int inflate_entry(struct zip *z, const struct zentry *e, long data,
                         long limit, struct xml_scan *x)
{
    z_stream s;
    uint32_t crc = (uint32_t)crc32(0L, Z_NULL, 0), left = e->csize;
    unsigned long total = 0;
    int rc = Z_OK;

    if (e->method != 0 && e->method != 8)
        return zfail(z, "part %s: compression method %u", e->name,
                     e->method);
    if (data + (long)e->csize > limit)
        return zfail(z, "part %s runs past the directory", e->name);
    memset(&s, 0, sizeof s);
    if (e->method == 8 && (rc = inflateInit2(&s, -MAX_WBITS)) != Z_OK)
        return rc == Z_MEM_ERROR ? zfail_memory(z, "inflating")
               : zfail(z, "part %s: cannot start inflating", e->name);
    if (fseek(z->f, data, SEEK_SET) != 0)
        rc = Z_ERRNO;
    while (rc == Z_OK && (left > 0 || (e->method == 8 && s.avail_in > 0))) {
        if (s.avail_in == 0) {
            size_t want = left < CHUNK ? left : CHUNK;
            if (fread(z->in, 1, want, z->f) != want) {
                rc = Z_ERRNO;
                break;
            }
            left -= (uint32_t)want;
            s.next_in = z->in;
            s.avail_in = (uInt)want;
        }
        size_t got;
        if (e->method == 0) {
            memcpy(z->out, s.next_in, s.avail_in);
            got = s.avail_in;
            s.avail_in = 0;
        } else {
            s.next_out = z->out;
            s.avail_out = CHUNK;
            rc = inflate(&s, Z_NO_FLUSH);
            if (rc == Z_BUF_ERROR && s.avail_in == 0 && left > 0)
                rc = Z_OK;                 /* wants more input */
            got = CHUNK - s.avail_out;
        }
        crc = (uint32_t)crc32(crc, z->out, (uInt)got);
        total += got;
        if (x)
            xml_bytes(x, z->out, got);
        if (rc == Z_STREAM_END)
            break;
    }
    if (e->method == 8)
        inflateEnd(&s);
    if (rc == Z_MEM_ERROR)
        return zfail_memory(z, "inflating");
    if (rc == Z_ERRNO)
        return zfail(z, "part %s: cannot read back: %s", e->name,
                     strerror(errno));
    if (e->method == 8 && (rc != Z_STREAM_END || left > 0 || s.avail_in))
        return zfail(z, "part %s does not inflate (%s)", e->name,
                     rc == Z_STREAM_END ? "data after its end" :
                     s.msg ? s.msg : "cut short");
    if (total != e->usize || crc != e->crc)
        return zfail(z, "part %s inflates to %lu bytes with CRC %08x, the "
                     "directory says %lu bytes with CRC %08x", e->name,
                     total, (unsigned)crc, (unsigned long)e->usize,
                     (unsigned)e->crc);
    return 0;
}

/* The end record: where the central directory is, and its entry count. */
static int find_directory(struct zip *z, long *cd_off, uint32_t *cd_size,
                          unsigned *n_entries)
{
    unsigned char *tail;
    long size, from;
    if (fseek(z->f, 0, SEEK_END) != 0 || (size = ftell(z->f)) < 22)
        return zfail(z, "not a zip file (%s)", "too short");
    from = size > MAX_EOCD ? size - MAX_EOCD : 0;
    if (!(tail = malloc((size_t)(size - from))))
        return zfail_memory(z, "the end record");
    if (read_at(z, from, tail, (size_t)(size - from)) != 0) {
        free(tail);
        return -1;
    }
    long k = size - from - 22;
    while (k >= 0 && le32(tail + k) != 0x06054b50)
        k--;
    if (k >= 0) {
        *n_entries = le16(tail + k + 10);
        *cd_size = le32(tail + k + 12);
        *cd_off = (long)le32(tail + k + 16);
        if (*cd_off + (long)*cd_size > from + k || *cd_size > MAX_CD)
            k = -1;
    }
    free(tail);
    if (k < 0)
        return zfail(z, "not a whole zip file (no valid end record)");
    return 0;
}

static int parse_entry(struct zip *z, const unsigned char *p, size_t avail,
                       struct zentry *e, size_t *used)
{
    if (avail < 46 || le32(p) != 0x02014b50)
        return zfail(z, "damaged zip directory");
    size_t n = le16(p + 28), extra = le16(p + 30), comment = le16(p + 32);
    if (46 + n + extra + comment > avail || n >= sizeof e->name)
        return zfail(z, "damaged zip directory");
    e->method = le16(p + 10);
    e->crc = le32(p + 16);
    e->csize = le32(p + 20);
    e->usize = le32(p + 24);
    e->local = le32(p + 42);
    memcpy(e->name, p + 46, n);
    e->name[n] = '\0';
    *used = 46 + n + extra + comment;
    if (e->csize == 0xFFFFFFFFu || e->usize == 0xFFFFFFFFu ||
        e->local == 0xFFFFFFFFu)
        return zfail(z, "part %s: ZIP64 sizes, not written here", e->name);
    return 0;
}

static const struct verify_sheet *sheet_of(const char *name,
                                           const struct verify_sheet *s,
                                           size_t n)
{
    unsigned part;
    char tail;
    if (sscanf(name, "xl/worksheets/sheet%u.xm%c", &part, &tail) != 2 ||
        tail != 'l')
        return NULL;
    for (size_t k = 0; k < n; k++)
        if (s[k].part == part)
            return &s[k];
    return NULL;
}

/* Checks one part: inflate, then the XML verdict and the counts. */
static int check_part(struct zip *z, const struct zentry *e, long limit,
                      const struct verify_sheet *want, struct xml_scan *x)
{
    unsigned char lh[30 + sizeof e->name];
    size_t n = strlen(e->name);
    if (read_at(z, (long)e->local, lh, 30 + n) != 0)
        return -1;
    /* The local header repeats the directory's facts (its sizes and CRC
     * may be zero when a data descriptor follows, flag bit 3). */
    int described = le16(lh + 6) & 8;
    if (le32(lh) != 0x04034b50 || le16(lh + 8) != e->method ||
        le16(lh + 26) != n || memcmp(lh + 30, e->name, n) != 0 ||
        (!described && (le32(lh + 14) != e->crc ||
                        le32(lh + 18) != e->csize ||
                        le32(lh + 22) != e->usize)))
        return zfail(z, "part %s: local header differs from the directory",
                     e->name);
    long data = (long)e->local + 30 + (long)n + (long)le16(lh + 28);
    memset(x, 0, sizeof *x);
    x->want_rows = want ? want->n_rows : 0;
    if (inflate_entry(z, e, data, limit, is_xml(e->name) ? x : NULL) != 0)
        return -1;
    if (!is_xml(e->name))
        return 0;
    if (!x->bad && x->state != X_TEXT)
        xml_fail(x, "ends inside a tag", NULL);
    if (!x->bad && !x->root_done)
        xml_fail(x, "cut short, element never closed",
                 x->depth ? x->stack[x->depth - 1] : "");
    if (x->bad)
        return zfail(z, "part %s is not whole XML: %s%s%s%s", e->name,
                     x->bad, x->bad_name[0] ? " <" : "", x->bad_name,
                     x->bad_name[0] ? ">" : "");
    if (want && x->n_cells != want->n_cells)
        return zfail(z, "part %s holds %lu cells, %lu were written",
                     e->name, x->n_cells, want->n_cells);
    if (want && (x->n_rows < want->n_rows || x->rows_out_of_order))
        return zfail(z, "part %s lacks listing rows (%lu rows, %lu were "
                     "written)", e->name, x->n_rows, want->n_rows);
    return 0;
}

static int check_zip(struct zip *z, const struct verify_sheet *sheets,
                     size_t n_sheets, struct xml_scan *x)
{
    long cd_off = 0;
    uint32_t cd_size = 0;
    unsigned n_entries = 0, n_found = 0;
    int has_types = 0, has_book = 0, rc = 0;
    if (find_directory(z, &cd_off, &cd_size, &n_entries) != 0)
        return -1;
    unsigned char *cd = malloc(cd_size ? cd_size : 1);
    if (!cd)
        return zfail_memory(z, "the directory");
    if (read_at(z, cd_off, cd, cd_size) != 0) {
        free(cd);
        return -1;
    }
    size_t pos = 0;
    for (unsigned k = 0; k < n_entries && rc == 0; k++) {
        struct zentry e;
        size_t used = 0;
        if ((rc = parse_entry(z, cd + pos, cd_size - pos, &e, &used)) != 0)
            break;
        pos += used;
        const struct verify_sheet *want = sheet_of(e.name, sheets, n_sheets);
        n_found += want != NULL;
        has_types |= strcmp(e.name, "[Content_Types].xml") == 0;
        has_book |= strcmp(e.name, "xl/workbook.xml") == 0;
        rc = check_part(z, &e, cd_off, want, x);
    }
    free(cd);
    if (rc == 0 && pos != cd_size)
        rc = zfail(z, "damaged zip directory (%u entries, %zu of %lu bytes)",
                   n_entries, pos, (unsigned long)cd_size);
    if (rc == 0 && (!has_types || !has_book))
        rc = zfail(z, "part %s is missing", has_types ? "xl/workbook.xml"
                   : "[Content_Types].xml");
    if (rc == 0 && n_found != n_sheets)
        rc = zfail(z, "%zu worksheets were written, %u are in the file",
                   n_sheets, n_found);
    return rc;
}

int verify_workbook(const char *path, const struct verify_sheet *sheets,
                    size_t n_sheets, char *why, size_t why_size)
{
    struct zip *z = malloc(sizeof *z);
    struct xml_scan *x = malloc(sizeof *x);
    int rc = -1;
    if (!z || !x) {
        snprintf(why, why_size, "cannot check it: out of memory");
        rc = -2;
    } else if (!(z->f = fopen(path, "rb"))) {
        /* no memory to open it: the book's memory failure (70), never
         * "is the disk full?" (73; QA pass 59) */
        rc = errno == ENOMEM ? -2 : -1;
        snprintf(why, why_size, "cannot read it back: %s", strerror(errno));
    } else {
        z->path = path;
        z->why = why;
        z->why_size = why_size;
        z->no_memory = 0;
        rc = check_zip(z, sheets, n_sheets, x);
        if (rc != 0 && z->no_memory)
            rc = -2;
        fclose(z->f);
    }
    free(z);
    free(x);
    return rc;
}
