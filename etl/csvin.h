/* csvin.h -- read one CSV feed as records with physical line numbers.
 *
 * Wraps libcsv in strict mode and adds what it lacks: BOM removal, the
 * physical line where each record starts, the record's raw bytes for the
 * audit trail, a hook that sees every byte read (for SHA-256), and hard caps
 * on field and record size so memory stays bounded whatever the input (a
 * record over them is read to its end without being kept, and flagged).
 * Knows nothing of feed kinds; that is feed.c. */
#ifndef SVC_CSVIN_H
#define SVC_CSVIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lib/diag.h"

/* The caps can be lowered at build time (-DCSVIN_MAX_FIELDS=64 ...) so that
 * the fuzz targets of tests/fuzz/ reach them with small inputs. */
#ifndef CSVIN_MAX_FIELDS
#define CSVIN_MAX_FIELDS       4096            /* fields kept per record */
#endif
#ifndef CSVIN_MAX_FIELD_BYTES
#define CSVIN_MAX_FIELD_BYTES  (1024 * 1024)   /* larger: record flagged over */
#endif
#ifndef CSVIN_MAX_RECORD_BYTES
#define CSVIN_MAX_RECORD_BYTES (4 * 1024 * 1024) /* raw; larger: flagged over */
#endif
/* The raw bytes kept of a record flagged over a cap: its first ones. Never
 * more than the field cap, so that every such record has that many. */
#ifndef CSVIN_RAW_PREFIX
#define CSVIN_RAW_PREFIX       (CSVIN_MAX_FIELD_BYTES / 16)  /* 64 KiB */
#endif
#define CSVIN_CHUNK            (64 * 1024)

struct csvin_field {
    const char *ptr;            /* not NUL-terminated; may hold NUL bytes */
    size_t      len;
};

struct csvin_record {
    unsigned long      line;      /* physical line where the record starts */
    unsigned long      end_line;  /* physical line where it ends */
    size_t             n_fields;  /* fields read; may exceed n_kept */
    size_t             n_kept;    /* fields in `fields` (<= CSVIN_MAX_FIELDS) */
    struct csvin_field *fields;
    const char        *raw;       /* the record's bytes, line end excluded */
    size_t             raw_len;
    /* A record over a cap (a field over CSVIN_MAX_FIELD_BYTES, or its raw
     * bytes over CSVIN_MAX_RECORD_BYTES) is read to its end without keeping
     * it: then over is set, n_fields counts all its fields, n_kept only
     * those before the field that passed the cap, raw is its first
     * CSVIN_RAW_PREFIX bytes (line breaks inside quotes included, so
     * end_line - line is not the line breaks in raw), and over_field is
     * its largest field (0-based, the first if several), over_len that
     * field's length, over_bytes the record's (line end excluded). */
    bool               over;
    size_t             over_field;
    unsigned long long over_len, over_bytes;
};

/* Called with every chunk of bytes read from the file, in order. */
typedef void csvin_hook(void *ctx, const void *bytes, size_t n);

struct csvin;

/* Reads from fp, which the caller keeps owning. name is used in messages
 * and must outlive the reader. chunk is the read size (0: CSVIN_CHUNK); tests
 * use every size from 1 up. */
struct csvin *csvin_new(FILE *fp, const char *name, size_t chunk,
                        csvin_hook *hook, void *hook_ctx);
void csvin_free(struct csvin *in);  /* NULL is a no-op */

/* Next record: 1 and *rec set, 0 at the end of the input, -1 when the file
 * must be refused (malformed quoting, unterminated quote, a read error); a
 * record over a cap is returned flagged (rec->over, above), not refused:
 * d says why, with EX_DATAERR. The record is owned by the reader and valid
 * until the next csvin_next() or csvin_free(); copy what you keep. Blank
 * lines (nothing but spaces and tabs) are skipped. */
int csvin_next(struct csvin *in, const struct csvin_record **rec,
               struct diag *d);

/* Parse the first `end` bytes of the file only (BOM included): the bytes
 * past them are read, hashed and counted, never parsed. Before the first
 * csvin_next(). The loader drops a DOS end-of-file mark with it. */
void csvin_end(struct csvin *in, unsigned long long end);

/* Bytes read so far (BOM included). */
unsigned long long csvin_bytes(const struct csvin *in);

#endif
