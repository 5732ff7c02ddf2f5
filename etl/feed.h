/* feed.h -- the three feeds of SPEC §2: their columns, the header mapping,
 * and the checks that turn a CSV record into a typed row or a rejection.
 * Pure: no database, no I/O. The loader (load.c) binds what this returns. */
#ifndef SVC_FEED_H
#define SVC_FEED_H

#include <stdbool.h>
#include <stddef.h>

#include "etl/csvin.h"
#include "lib/parse.h"

enum feed_kind { FEED_REGISTRATIONS, FEED_DISPATCHES, FEED_CLOSEOUTS };

#ifndef FEED_MAX_FIELD_BYTES          /* lowered by tests/fuzz/run only */
#define FEED_MAX_FIELD_BYTES 32767   /* SPEC §2: longer fields are rejected */
#endif
#define FEED_MAX_COLS 10             /* columns of the widest feed */

/* Column indexes, in the order of each feed's column table. */
enum { REG_DEALER_ID, REG_DEALER_NAME, REG_MODEL, REG_SERIAL,
       REG_REGISTERED_ON, REG_WMP, REG_REMOVED_ON, REG_N };
enum { DSP_ID, DSP_AT, DSP_MODEL, DSP_SERIAL, DSP_PROVIDER, DSP_CUSTOMER,
       DSP_POSTAL, DSP_PROBLEM, DSP_STATUS, DSP_N };
enum { CLO_DEALER, CLO_SUBMITTED, CLO_DISPATCH, CLO_SERIAL, CLO_MODEL,
       CLO_COMPLETED, CLO_TECH, CLO_HOURS, CLO_RESOLUTION, CLO_PARTS, CLO_N };

enum feed_type {
    FT_ID,        /* identifier: trimmed */
    FT_CODE,      /* serial or model: trimmed, and normalized */
    FT_TEXT,      /* free text: kept as libcsv gives it */
    FT_DATE, FT_DATETIME, FT_FLAG, FT_STATUS, FT_HOURS
};
enum feed_need {
    FN_OPTIONAL,  /* column may be absent, value may be blank */
    FN_REQUIRED,  /* column must exist, value must not be blank */
    FN_SECTION2   /* column must exist, a blank value loads */
};

struct feed_column {
    const char     *name;          /* header name and SQL parameter :name */
    enum feed_type  type;
    enum feed_need  need;
    const char     *aux;           /* second SQL parameter: the normalized
                                      code or the day number; NULL if none */
};

/* A checked value. Text points into the record (valid as long as it). */
struct feed_value {
    const char       *text;        /* trimmed for FT_ID/FT_CODE */
    size_t            len;
    bool              blank;
    const char       *norm;        /* FT_CODE: normalized text */
    size_t            norm_len;
    struct parse_when when;        /* FT_DATE, FT_DATETIME */
    char              iso[20];     /* canonical date or date-time text */
    double            number;      /* FT_HOURS */
    bool              flag;        /* FT_FLAG; FT_STATUS: is cancelled */
};

struct feed_row {
    struct feed_value v[FEED_MAX_COLS];
    char              norm_buf[2][FEED_MAX_FIELD_BYTES];
};

/* Where each column of the feed sits in the file (-1: absent). */
struct feed_header {
    enum feed_kind kind;
    int            col[FEED_MAX_COLS];
    size_t         n_fields;       /* fields in the header record */
};

const char *feed_kind_name(enum feed_kind kind);
/* "registrations", "dispatches", "closeouts"; false for anything else. */
bool feed_kind_parse(const char *s, enum feed_kind *kind);
/* The feed's columns and their count. */
const struct feed_column *feed_columns(enum feed_kind kind, size_t *n);

/* Maps the header record. Returns -1 with why filled when the file must be
 * refused (a required column missing, a column named twice, too many
 * columns). Names of unknown columns are written to unknown (comma
 * separated, shown safely, cut to its size; "" when none). */
int feed_map_header(enum feed_kind kind, const struct csvin_record *hdr,
                    struct feed_header *h, char *why, size_t why_size,
                    char *unknown, size_t unknown_size);

/* Checks one record. 0: row filled. -1: rejected, why says why in words a
 * person understands (the column is named, the value shown safely). */
int feed_check(const struct feed_header *h, const struct csvin_record *rec,
               struct feed_row *row, char *why, size_t why_size);

/* Trims s (len bytes) as identifiers are on import: spaces, tabs, line
 * breaks and the invisible characters a copy from a spreadsheet or a web
 * page carries at its ends (README "Trimming"). */
void feed_trim(const char **s, size_t *len);

#define FEED_MAX_KEPT_ID 200         /* longer ids of rejected rows: '' */
/* The dispatch id a record names, as written and trimmed as identifiers
 * are, read by the header's column position whatever else is wrong with
 * the record (kept with a rejected row so that `explain` finds it; schema
 * version 6). Empty (*len 0) for a registrations file, a record too short
 * to hold the field, a blank value, bytes that are not UTF-8, or one
 * longer than FEED_MAX_KEPT_ID. *s points into the record. */
void feed_dispatch_id_of(const struct feed_header *h,
                         const struct csvin_record *rec, const char **s,
                         size_t *len);

#endif
