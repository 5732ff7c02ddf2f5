/* rules.c -- see rules.h. SPEC §3: as-of, --from and the aging buckets as
 * TEMP tables (schemas/rules/r010_context.sql), then the rules. Every value
 * is a bound parameter. */
#include "reports/rules.h"

#include <stdio.h>
#include <string.h>

#include "lib/db.h"
#include "schemas/sql.h"

void rules_bucket_label(const int *bucket_hi, int n_buckets, int k,
                        char *out, size_t size)
{
    int lo = k == 0 ? 0 : bucket_hi[k - 1] + 1;
    if (k + 1 == n_buckets)
        snprintf(out, size, "%d+", lo);
    else
        snprintf(out, size, "%d-%d", lo, bucket_hi[k]);
}

static int set_as_of(struct db *db, const struct rules_asof *a, struct diag *d)
{
    struct db_stmt *q;
    if (db_prepare(db, sql_q_report_context, &q, d, "setting the as-of "
                   "date") != 0)
        return -1;
    db_set_text(q, ":as_of", a->as_of, strlen(a->as_of));
    db_set_int64(q, ":as_of_day", a->as_of_day);
    if (a->has_from)
        db_set_int64(q, ":from_day", a->from_day);
    int rc = db_step(q, d, "setting the as-of date");
    db_finalize(q);
    return rc == DB_DONE ? 0 : -1;
}

static int set_buckets(struct db *db, const struct rules_asof *a,
                       struct diag *d)
{
    struct db_stmt *q;
    if (db_prepare(db, sql_q_report_bucket, &q, d, "setting the aging "
                   "buckets") != 0)
        return -1;
    for (int k = 0; k < a->n_buckets; k++) {
        char label[32];
        int last = k + 1 == a->n_buckets;
        rules_bucket_label(a->bucket_hi, a->n_buckets, k, label,
                           sizeof label);
        db_set_int64(q, ":seq", k + 1);
        db_set_int64(q, ":lo_days", k == 0 ? 0 : a->bucket_hi[k - 1] + 1);
        if (last)
            db_set_null(q, ":hi_days");
        else
            db_set_int64(q, ":hi_days", a->bucket_hi[k]);
        db_set_text(q, ":label", label, strlen(label));
        int rc = db_step(q, d, "setting the aging buckets");
        db_reset(q);
        if (rc != DB_DONE) {
            db_finalize(q);
            return -1;
        }
    }
    db_finalize(q);
    return 0;
}

int rules_setup(struct db *db, const struct rules_asof *a, struct diag *d)
{
    if (db_exec(db, sql_r010_context, d, "creating the rule context") != 0 ||
        set_as_of(db, a, d) != 0 || set_buckets(db, a, d) != 0)
        return -1;
    return db_exec(db, a->recompute ? sql_reference : sql_rules, d,
                   "running the reconciliation rules");
}
