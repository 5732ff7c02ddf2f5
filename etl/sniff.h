/* sniff.h -- SPEC §6: a file that is not a comma-separated UTF-8 CSV is
 * named as such, with what to do. Four looks: at the first bytes (an
 * Excel workbook, zip, OLE2 (.xls), gzip, bzip2, xz, zstd, 7-Zip, a
 * PDF, an HTML page or XML, UTF-16/32, NUL bytes, binary data), at a
 * header that lacks required columns (semicolon- or tab-separated), at
 * the lines below it (a title above the header), and at the rows
 * rejected as invalid UTF-8 (a legacy 8-bit encoding such as
 * Windows-1252). */
#ifndef SVC_SNIFF_H
#define SVC_SNIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "etl/feed.h"

#define SNIFF_HEAD 2048           /* bytes sniff_head wants to see */
#define SNIFF_TITLE_LINES 6       /* the lines sniff_title looks at */
#define SNIFF_TODO "re-export as CSV UTF-8, comma-separated"

/* The file's first n bytes: true, with the sentence in why, when they are
 * a zip (an .xlsx renamed .csv), an OLE2 compound file (an .xls, or a
 * password-protected workbook), gzip, bzip2, xz, zstd, 7-Zip, a PDF, an
 * HTML page or an XML document (by its first tag), UTF-16/UTF-32 (by BOM
 * or by the NUL bytes between ASCII characters), NUL bytes from the start
 * (a copy cut short), or binary data (control bytes, the first line not
 * text). */
bool sniff_head(const unsigned char *head, size_t n, char *why,
                size_t size);

/* The file's first n bytes, whose first line is not the kind's header:
 * true, with the sentence in why, when one of lines 2 to
 * SNIFF_TITLE_LINES (whole in the n bytes, or the file's last line when
 * n < SNIFF_HEAD) maps as the kind's header,
 * every required column there (a title line, a report name or a date
 * above the header, as some exports add). The file is refused all the
 * same: a loader that guessed which line is the header could load the
 * wrong one (README "Decisions"). */
bool sniff_title(enum feed_kind kind, const unsigned char *head, size_t n,
                 char *why, size_t size);

/* A header record (raw bytes) that lacks required columns, or that libcsv
 * could not read (its first line): true, with the sentence in why, when it
 * is Excel's separator line "sep=X", or splits on ';' or TAB into the
 * kind's required column names (quoted or not), or into two of its column
 * names or more (the sentence then names the required ones it lacks too),
 * and into more of them than on commas (a comma inside a name). */
bool sniff_separator(enum feed_kind kind, const char *raw, size_t len,
                     char *why, size_t size);

/* The legacy 8-bit code page a record reads as (sniff_8bit). */
enum sniff_cp {
    SNIFF_CP_NONE,          /* valid UTF-8, or not 8-bit text */
    SNIFF_CP_1252,          /* Windows-1252 (or Latin-1) */
    SNIFF_CP_MAC_ROMAN
};

/* A record that is not valid UTF-8, read as a legacy 8-bit code page:
 * SNIFF_CP_NONE when a byte that breaks UTF-8 is ASCII (not 8-bit text),
 * else the code page it reads as (see sniff.c). */
enum sniff_cp sniff_8bit(const char *raw, size_t len);

/* The code page's name for a message ("Windows-1252", "Mac Roman"); NULL
 * for SNIFF_CP_NONE. */
const char *sniff_cp_name(enum sniff_cp cp);

/* The file-level sentence when most rejected rows read as a legacy 8-bit
 * code page: true when n_cp1252 + n_mac > rejected / 2 (and > 0); the
 * sentence names the code page more of them read as, and ends with what
 * the operator of the command does once it is re-exported: by_inbox
 * (`run`) "deliver it to the inbox again: it loads on the next run", else
 * (`import`) "import it again". */
bool sniff_legacy(unsigned long n_cp1252, unsigned long n_mac,
                  unsigned long rejected, bool by_inbox, char *why,
                  size_t size);

#endif
