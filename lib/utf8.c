/* utf8.c -- UTF-8 checks for feed text (SPEC §2: a row that is not valid
 * UTF-8 is rejected) and escaping of untrusted text for messages. */
#include "lib/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;  /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;              /* no overlongs */
        else if (c == 0xED)
            hi = 0x9F;              /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;              /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

bool utf8_valid(const char *s, size_t len, size_t *bad_at)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        /* Feed text is nearly all ASCII: eight bytes at a time while no
         * byte has its high bit set (issue 15: each loaded record and its
         * fields are checked). */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, sizeof w);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i == len)
            break;
        if (p[i] < 0x80) {          /* fast path for ASCII */
            i++;
            continue;
        }
        size_t n = utf8_seq_len(p + i, len - i);
        if (n == 0) {
            if (bad_at)
                *bad_at = i;
            return false;
        }
        i += n;
    }
    return true;
}

/* A bidirectional control at p (n bytes, a whole character): U+061C,
 * U+200E-U+200F, U+202A-U+202E, U+2066-U+2069. Printed raw, U+202E
 * (right-to-left override) made the rest of a message line read
 * backwards in a terminal or log viewer that applies bidi: a file
 * "dispatches_<U+202E>vsc.txt" showed as "dispatches_txt.csv" (QA pass
 * 60, tests/e2e/t9900). Shown as \xNN bytes, as control bytes are. */
bool utf8_bidi_control(const unsigned char *p, size_t n)
{
    return (n == 2 && p[0] == 0xD8 && p[1] == 0x9C) ||
           (n == 3 && p[0] == 0xE2 &&
            ((p[1] == 0x80 && (p[2] == 0x8E || p[2] == 0x8F ||
                               (p[2] >= 0xAA && p[2] <= 0xAE))) ||
             (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)));
}

/* utf8_show, and utf8_qshow when quoted: a ' as \x27. */
static void show(const char *s, size_t len, size_t max_chars, char *out,
                 size_t out_size, bool quoted)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0, chars = 0, i = 0;
    if (out_size == 0)
        return;
    while (i < len) {
        char esc[8];
        size_t n = utf8_seq_len(p + i, len - i);
        const char *piece;
        size_t piece_len;
        if (chars == max_chars) {
            piece = "...";
            piece_len = 3;
            n = len - i;            /* stop after the marker */
        } else if (n == 0 || p[i] < 0x20 || p[i] == 0x7F || p[i] == '\\' ||
                   (quoted && p[i] == '\'') ||
                   (p[i] == 0xC2 && p[i + 1] < 0xA0) ||
                   utf8_bidi_control(p + i, n)) {
            /* C1 controls (U+0080..U+009F, C2 80..C2 9F) too: U+009B is a
             * terminal's CSI. Each of the two bytes becomes \xNN. */
            if (p[i] == '\\') {
                piece = "\\\\";
                piece_len = 2;
            } else {
                snprintf(esc, sizeof esc, "\\x%02X", p[i]);
                piece = esc;
                piece_len = 4;
            }
            n = 1;
        } else {
            piece = s + i;
            piece_len = n;
        }
        if (o + piece_len + 1 > out_size)
            break;
        for (size_t k = 0; k < piece_len; k++)
            out[o++] = piece[k];
        i += n;
        chars++;
    }
    out[o] = '\0';
}

void utf8_show(const char *s, size_t len, size_t max_chars, char *out,
               size_t out_size)
{
    show(s, len, max_chars, out, out_size, false);
}

void utf8_qshow(const char *s, size_t len, size_t max_chars, char *out,
                size_t out_size)
{
    show(s, len, max_chars, out, out_size, true);
}

bool utf8_plain(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_seq_len(p + i, len - i);
        if (n == 0 || p[i] < 0x20 || p[i] == 0x7F ||
            (p[i] == 0xC2 && p[i + 1] < 0xA0) || utf8_bidi_control(p + i, n))
            return false;
        i += n;
    }
    return true;
}

const char *utf8_show_path(const char *path, char *buf, size_t size)
{
    size_t len = strlen(path);
    if (utf8_plain(path, len))
        return path;
    utf8_show(path, len, len, buf, size);
    return buf;
}

void utf8_put_json(FILE *f, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    fputc('"', f);
    while (i < len) {
        unsigned c = p[i];
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc((int)c, f);
            i++;
        } else if (c == '\n') {
            fputs("\\n", f);
            i++;
        } else if (c == '\r') {
            fputs("\\r", f);
            i++;
        } else if (c == '\t') {
            fputs("\\t", f);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            fprintf(f, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            fputc((int)c, f);
            i++;
        } else {
            size_t n = utf8_seq_len(p + i, len - i);
            if (n == 0) {
                fputs("\\ufffd", f);
                i++;
            } else {
                fwrite(p + i, 1, n, f);
                i += n;
            }
        }
    }
    fputc('"', f);
}
