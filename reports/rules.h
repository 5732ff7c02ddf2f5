/* rules.h -- runs SPEC §3 on a connection: the rule context of
 * schemas/rules/r010_context.sql filled with bound parameters (as-of date,
 * --from, aging buckets), then the rule files in the order of
 * schemas/rules/ORDER, all as TEMP objects. The workbooks (report.c) and
 * `explain` both call it, so both read the very same rules; no rule is
 * decided in C. */
#ifndef SVC_RULES_H
#define SVC_RULES_H

#include "lib/db.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/diag.h"

#define RULES_MAX_BUCKETS 12

/* What the rules are run as of (SPEC §3). */
struct rules_asof {
    char    as_of[11];               /* YYYY-MM-DD */
    int32_t as_of_day;               /* days since 1970-01-01 */
    bool    has_from;                /* --from given */
    int32_t from_day;
    int     n_buckets;               /* aging buckets, the open last too */
    int     bucket_hi[RULES_MAX_BUCKETS]; /* upper bounds in days of all
                                           * but the last, open one */
    bool    recompute;               /* read no kept state: recompute it
                                      * all (schemas/reference/) */
};

/* Creates the TEMP rule context and runs the rules: the as-of views of
 * the kept rule state (schemas/rules/), or with a->recompute the full
 * recomputation from the base tables (schemas/reference/: the same TEMP
 * objects; for a database older than the kept state, which `explain`
 * reads without upgrading it). 0, or -1 with d filled. */
int rules_setup(struct db *db, const struct rules_asof *a, struct diag *d);

/* The label of bucket k of n ("0-7", "91+"); out holds at least 32 bytes. */
void rules_bucket_label(const int *bucket_hi, int n_buckets, int k,
                        char *out, size_t size);

#endif
