/* load.h -- import one feed file into the database: SPEC §2 and §6.
 * A file loads in one transaction with its imported_file row and control
 * totals (rows read = loaded + rejected), or not at all. */
#ifndef SVC_LOAD_H
#define SVC_LOAD_H

#include "lib/db.h"
#include <stdbool.h>

#include "lib/diag.h"
#include "etl/feed.h"

enum load_status {
    LOAD_LOADED,      /* loaded now (maybe with rejected rows) */
    LOAD_SKIPPED,     /* the same bytes were loaded before */
    LOAD_REFUSED,     /* refused whole (65), recorded in the database */
    LOAD_UNREADABLE,  /* could not be opened (66); not recorded */
    LOAD_FAILED,      /* database trouble; rolled back, run stops */
    LOAD_NOT_TRIED,   /* given or delivered after a file that FAILED: the
                         command stopped before it (app/batch.c); never
                         set by load_file */
    LOAD_STATUS_COUNT /* how many there are (arrays indexed by status) */
};

struct load_result {
    const char        *path;       /* borrowed, as given */
    enum feed_kind     kind;
    enum load_status   status;
    char               sha256[65]; /* "" when unreadable */
    unsigned long long bytes;
    long long          file_id;    /* 0 when not recorded */
    unsigned long      rows_read, rows_loaded, rows_rejected;
    char               reason[640];/* refused/unreadable: why */
    bool               given_again;/* import: the same file as an earlier
                                      FILE argument, not read again
                                      (app/batch.c); status SKIPPED */
    char               warning[1024];/* "unknown columns ignored: ..."; "" */
    char               late[512];  /* "late file: ..." (README "Late
                                      files"); "" */
    char               diagnosis[400];/* loaded, but most rejected rows read
                                       as Windows-1252: what the file is and
                                       what to do (etl/sniff.h); "" */
    double             seconds;
    double             rules_seconds;/* of seconds, in the rule upkeep:
                                       touch_*.sql and upkeep.sql (issue
                                       15; bench/README.md); 0 when not
                                       loaded */
};

/* Called now and then while a file loads (for a progress bar). */
typedef void load_progress_fn(void *ctx, const struct load_result *r,
                              unsigned long long bytes_done);

struct load_opts {
    size_t            chunk;          /* read size; 0 = default */
    int               max_messages;   /* rejections printed per file */
    bool              silent;         /* no refusal or warning line: the
                                         caller tells them from the result */
    void            (*before_say)(void);/* called before a line is printed
                                         (to clear a progress bar); NULL */
    load_progress_fn *progress;
    void             *progress_ctx;
    bool              has_night;      /* `run`: the imports belong to the */
    int32_t           night_as_of_day;/* report as of this day (a night run
                                         again adds no skip it recorded) */
    bool              no_link;        /* `run`: a file that is a symbolic
                                         link is not followed (unreadable,
                                         README "Decisions", Import) */
};

/* Imports path as a feed of kind; fills r in every case (r->status says
 * what became of the file: loaded, skipped, refused, unreadable -- the
 * driver turns those into exit codes). Returns 0 when the run may go on,
 * -1 with d filled (and r->status LOAD_FAILED, or LOAD_REFUSED when the
 * refusal could not be recorded) when database trouble or an internal
 * error must stop it. Messages go to stderr. */
int load_file(struct db *db, const char *path, enum feed_kind kind,
              const struct load_opts *opts, struct load_result *r,
              struct diag *d);

const char *load_status_name(enum load_status s);

/* What `run` found in its inbox besides the feed files, kept for the
 * audit of the night of night_as_of_day (schemas/tables/008_inbox_note.sql):
 * what is "stray_file" (name: the file's name) or "empty_inbox" (name: the
 * inbox as given); path as given. Once per night, what and path. A
 * statement of its own. 0, or -1 with d filled. */
int load_note_inbox(struct db *db, int32_t night_as_of_day, const char *what,
                    const char *name, const char *path, struct diag *d);

#endif
