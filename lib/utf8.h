/* utf8.h -- UTF-8 validation and safe display of untrusted bytes. */
#ifndef SVC_UTF8_H
#define SVC_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* True when (s, len) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). On failure *bad_at is the offset of
 * the first bad byte. */
bool utf8_valid(const char *s, size_t len, size_t *bad_at);

/* Length of the valid UTF-8 sequence starting at s (1..4), or 0 when the
 * bytes there are not one. */
size_t utf8_seq_len(const unsigned char *s, size_t avail);

/* Writes a printable, quoted-safe rendering of (s, len) into out (size
 * out_size, always NUL-terminated): control bytes and bad UTF-8 become \xNN,
 * and the text is cut after max_chars characters with "...". For messages
 * on a terminal: feed text is untrusted. */
void utf8_show(const char *s, size_t len, size_t max_chars, char *out,
               size_t out_size);

/* utf8_show for a value a message puts between '...': a ' in it is also
 * written \x27, so that 'O\x27Brien' reads as one value (to an auditor
 * and to a script splitting on quotes; 'O'Brien' ends after the O). The
 * rendering of explain's stories (fix63) and of import's rejection
 * reasons (fix67). A ' counts as one character of max_chars. */
void utf8_qshow(const char *s, size_t len, size_t max_chars, char *out,
                size_t out_size);

/* True when the character at p (n bytes, utf8_seq_len's) is a
 * bidirectional control (U+061C, U+200E-U+200F, U+202A-U+202E,
 * U+2066-U+2069): shown as \xNN bytes, as control bytes are. */
bool utf8_bidi_control(const unsigned char *p, size_t n);

/* True when (s, len) is valid UTF-8 holding no control byte (C0, DEL,
 * C1) nor bidi control: text a terminal may be given as it is. */
bool utf8_plain(const char *s, size_t len);

/* The path to name in a message on stderr: path itself when it holds no
 * control byte (C0, DEL, C1) and is valid UTF-8 -- the usual case -- else
 * its utf8_show() rendering in buf (size bytes). A file in an inbox is
 * named by whoever delivers it: a newline in its name must not forge a
 * line of the run's messages, nor an escape sequence reach the terminal. */
const char *utf8_show_path(const char *path, char *buf, size_t size);
#define UTF8_PATH_SHOWN (4 * 4096 + 1) /* buf for any path: 4 bytes a byte */

/* Writes (s, len) to f as a JSON string (quotes included): valid UTF-8 is
 * copied, a byte that is not becomes U+FFFD, control characters are
 * escaped. The JSON of `explain --json` and of `--summary`. */
void utf8_put_json(FILE *f, const char *s, size_t len);

#endif
