/* run_summary.h -- what one command did (files, warnings, report, exit
 * code) and the JSON summary written from it (--summary FILE; SPEC §5,
 * docs/summary.schema.json). batch.c fills a run_record as it goes; cli.c
 * fills one for a usage error, so that monitoring never reads yesterday's
 * summary after a run that did not start. */
#ifndef SVC_RUN_SUMMARY_H
#define SVC_RUN_SUMMARY_H

#include <stdbool.h>
#include <time.h>

#include "app/batch.h"
#include "app/copy.h"
#include "etl/load.h"
#include "reports/report.h"

/* One warning of the run: a stable code for monitoring, the file (or
 * NULL), the line (0 = the whole file or none) and the sentence printed. */
struct run_warning {
    const char   *code;            /* static: "unknown_columns", ... */
    char         *file;            /* owned; NULL when about no file */
    unsigned long line;
    char         *message;         /* owned */
};

struct run_record {
    const char          *command;  /* "import", "report", "run", "copy" */
    const struct batch_opts *o;
    struct load_result  *files;    /* one per file attempted */
    int                  n_files, cap_files;
    struct run_warning  *warnings;
    int                  n_warnings, cap_warnings;
    struct report_result report;
    bool                 reported;
    const struct copy_result *copy;/* copy: its tables; NULL otherwise */
    bool                 recorded;   /* reported, and its record
                                        committed (reports.recorded) */
    int                  exit_code;
    char                 fatal[1600];/* the error that stopped the run */
    bool                 has_fatal;
    bool                 own_paths;  /* run: file paths were malloc'd */
    struct timespec      t0;         /* CLOCK_MONOTONIC at the start */
    time_t               started_at; /* wall clock at the start */
};

/* Room for item n of an array of `size`-byte items with capacity *cap:
 * the array (reallocated, doubled, when full; *cap updated), or NULL when
 * memory runs out (the array is then untouched). */
void *run_grow(void *items, int n, int *cap, size_t size);

void run_record_start(struct run_record *s, const char *command,
                      const struct batch_opts *o);
/* Keeps a warning (copies file and message); false when out of memory. */
bool run_record_warn(struct run_record *s, const char *code,
                     const char *file, unsigned long line,
                     const char *message);
double run_record_seconds(const struct run_record *s);
/* Frees what the record owns (not the record). */
void run_record_free(struct run_record *s);

/* The status word of the summary and the final line: "ok",
 * "rejected_rows", "refused", "unreadable", "usage", "cannot_create",
 * "busy", "failed". */
const char *run_status_word(const struct run_record *s);

/* Writes s->o->summary_path (when set) through a temporary name. 0, or
 * EX_CANTCREAT after saying why on stderr. */
int run_summary_write(const struct run_record *s);

/* The summary of a run that has started and not finished: status
 * "running", exit_code and finished_at null, and an error saying to run
 * again if no run is going on. Written when import, report, run or copy
 * starts, replaced by run_summary_write() at its end: a run stopped by a
 * signal (SIGTERM from systemd or timeout, SIGINT, SIGKILL), a crash or a
 * power loss never leaves the summary of the night before, whose success
 * monitoring would read. Silent: a summary that cannot be written is said
 * once, by run_summary_write(). Not for a stream (/dev/stdout, a FIFO):
 * a reader there gets the outcome alone. */
void run_summary_running(const struct run_record *s);

/* A usage error (64) once --summary FILE was parsed: the summary says so
 * (status "usage", the message as the error). */
int run_summary_usage(const struct batch_opts *o, const char *command,
                      const char *message);

#endif
