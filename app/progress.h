/* progress.h -- the progress bar of an import on stderr (only when stderr
 * is a terminal): "file n of N", the file's name, percent, rows, speed. It
 * is cleared before any message (progress_clear), ends at 100 %, and is
 * never cut mid-word: what does not fit the terminal's width is left out
 * whole (the name first, then the speed). */
#ifndef SVC_PROGRESS_H
#define SVC_PROGRESS_H

#include <time.h>

#include "etl/load.h"

struct progress {
    const char        *path;
    int                nth, of;      /* file nth of `of` */
    unsigned long long total;        /* the file's size in bytes */
    struct timespec    t0;
};

void progress_start(struct progress *p, const char *path, int nth, int of);
/* A load_progress_fn: ctx is a struct progress. */
void progress_file(void *ctx, const struct load_result *r,
                   unsigned long long bytes_done);
/* The bar at 100 % once the file is done (whatever became of it). */
void progress_done(struct progress *p, const struct load_result *r);
/* Erases the bar, when one is shown; a no-op otherwise. */
void progress_clear(void);

/* The bar's text for a terminal `width` columns wide (for the tests):
 * never longer than width - 1, never a field cut; empty (no bar drawn)
 * when "file n of N", percent and rows alone do not fit. */
void progress_format(char *out, size_t size, int width, const char *name,
                     int nth, int of, double pct, unsigned long rows,
                     double mb_per_s);

#endif
