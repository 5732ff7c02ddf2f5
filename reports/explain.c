/* explain.c -- `svcrecon explain`: why a call is on a list, told fact by
 * fact with source files and lines (issue 8, first half).
 *
 * One connection, opened read-only (no run lock: a nightly run may hold it;
 * WAL lets readers read). The rules of SPEC §3 run on it exactly as for a
 * report (reports/rules.c), and every fact printed is read from their TEMP
 * tables and views by a statement of schemas/queries/explain/.
 *
 * This file gathers: the command, the connection, the statements, and the
 * story of a dispatch (its versions, registrations, closeouts, where it
 * stands). explain_source.c tells the story of one row of a feed
 * (--source); explain_render.c says each fact as text or JSON: a fact is
 * stated once, in a table of `struct fact` (the column, its JSON member,
 * the words that introduce it in text). What is left here is how a story
 * is told: the order of sections, the sentence that sums up a row's state,
 * the marks on the row --source named. */
#include "reports/explain.h"
#include "reports/explain_int.h"
#include "reports/rules.h"
#include "reports/sheet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


#include "lib/db.h"
#include "lib/diag.h"
#include "lib/json.h"
#include "lib/testhook.h"
#include "lib/utf8.h"
#include "schemas/sql.h"

#define MAX_HINTS      5          /* closeouts named when a dispatch is not */

/* The statements of schemas/queries/explain/, prepared once (prepare_all). */
static const struct { const char *sql; const char *name; } queries[Q_N] = {
    [Q_SOURCE]    = {sql_q_explain_source, "q_explain_source"},
    [Q_VERSIONS]  = {sql_q_explain_versions, "q_explain_versions"},
    [Q_STANDING]  = {sql_q_explain_standing, "q_explain_standing"},
    [Q_REGS]      = {sql_q_explain_registrations,
                     "q_explain_registrations"},
    [Q_REGEXC]    = {sql_q_explain_registration_exceptions,
                     "q_explain_registration_exceptions"},
    [Q_CLOSEOUTS] = {sql_q_explain_closeouts, "q_explain_closeouts"},
    [Q_REASONS]   = {sql_q_explain_closeout_reasons,
                     "q_explain_closeout_reasons"},
    [Q_SERIAL]    = {sql_q_explain_serial_dispatches,
                     "q_explain_serial_dispatches"},
    [Q_REJECTED]  = {sql_q_explain_rejected, "q_explain_rejected"},
    [Q_REJ_NAMING] = {sql_q_explain_rejected_naming,
                      "q_explain_rejected_naming"},
    [Q_REJ_UNREAD] = {sql_q_explain_rejected_unread,
                      "q_explain_rejected_unread"},
    [Q_REJ_AUDIT]  = {sql_q_explain_rejected_audit,
                      "q_explain_rejected_audit"},
};
#define REJ_KEPT_VERSION 6   /* rejected_row.dispatch_id (006_*.sql) */
#define HISTORY_VERSION 2    /* report_unclosed (002_report_history.sql) */
#define NIGHT_KEPT_VERSION 7 /* delivery.night_as_of_day (007_*.sql) */
#define DELIVERY_VERSION 5   /* delivery, report_run.delivered_upto (005) */

/* ---- statement helpers -------------------------------------------------- */

/* Resets st and binds what the caller passes next; unused names stay NULL. */
struct db_stmt *ex_use(struct ex *x, int q)
{
    db_reset(x->q[q]);
    db_clear_bindings(x->q[q]);
    return x->q[q];
}

/* DB_ROW, DB_DONE, or -1 with x->d filled. */
int ex_step(struct ex *x, int q)
{
    char what[96];
    snprintf(what, sizeof what, "reading %s", queries[q].name);
    int rc = db_step(x->q[q], x->d, what);
    return rc < 0 ? -1 : rc;
}

/* Steps q for the one row the caller knows is there: 0 on it; -1 with
 * x->d filled when reading fails, or (EX_SOFTWARE) when what vanished. */
int ex_step_one(struct ex *x, int q, const char *what)
{
    int rc = ex_step(x, q);
    if (rc == DB_ROW)
        return 0;
    return rc < 0 ? -1 : diag_set(x->d, EX_SOFTWARE, NULL, 0, "%s vanished",
                                  what);
}

/* ---- opening ------------------------------------------------------------ */

/* SPEC §3 exactly as the reports run it (reports/rules.c). */
static int setup_rules(struct ex *x)
{
    /* Older than the kept rule state (db.h): recompute (rules.h); explain
     * only reads, never upgrades. A database of version 4 to 9 is read as
     * kept, its two details that name another row in their old form
     * (without the SHA-256 prefix, DB_DETAIL_SHA_VERSION) until a command
     * that writes upgrades it: recomputing would cost an auditor the whole
     * history (27 s at 1.6M rows, issue 15) for the same verdicts. */
    int version;
    if (db_schema_version(x->db, &version, x->d) != 0)
        return -1;
    struct rules_asof a = {.recompute = version < DB_RULE_STATE_VERSION,
                           .as_of_day = x->o->as_of_day,
                           .n_buckets = x->o->n_buckets};
    memcpy(a.as_of, x->o->as_of, sizeof a.as_of);
    memcpy(a.bucket_hi, x->o->bucket_hi, sizeof a.bucket_hi);
    return rules_setup(x->db, &a, x->d);
}

/* Read-only, never created (db_open, DB_READ_ONLY): a missing database or
 * one that holds nothing yet is 66; another program's file, or one of a
 * newer schema, is 65 (db_check_readable). */
static int open_db(struct ex *x)
{
    return db_open(x->o->db_target, x->o->schema, DB_READ_ONLY, &x->db,
                   x->d);
}

/* SPEC §5: without --as-of, the as-of date of the latest recorded report
 * (today when there is none, or the database predates report history),
 * said on stderr for text and as "as_of_basis" in JSON. */
static const char *default_as_of(struct ex *x, struct explain_opts *o)
{
    struct db_stmt *q;
    const char *basis = "today";
    struct diag none = {0};          /* no report_run table: no report */
    if (db_prepare(x->db, sql_q_latest_report, &q, &none, "") != 0)
        return basis;
    if (db_step(q, NULL, NULL) == DB_ROW && db_column_bytes(q, 0) == 10) {
        memcpy(o->as_of, db_column_text(q, 0), 10);
        o->as_of[10] = '\0';
        o->as_of_day = (int32_t)(int)db_column_int64(q, 1);
        basis = "latest_report";
    }
    db_finalize(q);
    if (!o->json)
        fprintf(stderr, "svcrecon: explain as of %s, %s (--as-of DATE "
                "to choose another date)\n", o->as_of,
                strcmp(basis, "today") == 0
                    ? "today: no report is recorded in the database"
                    : "the as-of date of the latest recorded report");
    return basis;
}

/* The rules and the statements, in one read transaction: an import
 * committing meanwhile must not show its rows to the queries of the base
 * tables when the rule tables were built without them. */
static int prepare_all(struct ex *x)
{
    if (db_begin_read(x->db, x->d, "starting to read") != 0)
        return -1;
    if (x->rw)
        x->rw->as_of_basis = x->rw->as_of_default ? default_as_of(x, x->rw)
                                                  : "option";
    if (setup_rules(x) != 0)
        return -1;
    int version;
    if (db_schema_version(x->db, &version, x->d) != 0)
        return -1;
    x->rejected_kept = version >= REJ_KEPT_VERSION;
    x->history_kept = version >= HISTORY_VERSION;
    x->audit_known = version >= DELIVERY_VERSION;
    for (int q = 0; q < Q_N; q++) {
        if (!x->rejected_kept && (q == Q_REJ_NAMING || q == Q_REJ_UNREAD))
            continue;
        if (!x->audit_known && q == Q_REJ_AUDIT)
            continue;
        char what[96];
        snprintf(what, sizeof what, "preparing %s", queries[q].name);
        const char *sql = queries[q].sql;
        if (q == Q_REJ_AUDIT && version < NIGHT_KEPT_VERSION)
            sql = sql_q_explain_rejected_audit_v6;    /* read as it is */
        if (db_prepare(x->db, sql, &x->q[q], x->d, what) != 0)
            return -1;
    }
    return 0;
}

static void finish(struct ex *x)
{
    for (int q = 0; q < Q_N; q++)
        db_finalize(x->q[q]);
    db_close(x->db);   /* read-only: rolls back (only TEMP), no checkpoint */
}

/* ---- the sections of a story -------------------------------------------- */

static const struct fact reason_facts[] = {
    {"rank",   X_RANK,   FACT_VALUE, "",   NULL},
    {"code",   X_CODE,   FACT_VALUE, " ",  NULL},
    {"detail", X_DETAIL, FACT_VALUE, ": ", NULL},
};

/* A list of reasons or exceptions (statement q, bound): a JSON array key,
 * or one line each after indent ("none" when empty and say_none). */
static int put_reason_list(struct ex *x, int q, const char *key,
                           const char *indent, bool say_none)
{
    struct db_stmt *st = x->q[q];
    int rc, n = 0;
    if (x->json)
        json_open(&x->j, key, '[');
    while ((rc = ex_step(x, q)) == DB_ROW) {
        n++;
        if (x->json)
            json_open(&x->j, NULL, '{');
        else
            fputs(indent, x->f);
        ex_put_facts(x, st, reason_facts, EX_N_FACTS(reason_facts));
        if (x->json)
            json_close(&x->j, '}');
        else
            fputc('\n', x->f);
    }
    if (x->json)
        json_close(&x->j, ']');
    else if (rc == DB_DONE && n == 0 && say_none)
        fprintf(x->f, "%snone\n", indent);
    return rc == DB_DONE ? 0 : -1;
}

/* The registration exceptions of one dispatch; indent for text. */
int ex_put_reg_exceptions(struct ex *x, const char *dispatch_id,
                              const char *indent)
{
    struct db_stmt *st = ex_use(x, Q_REGEXC);
    db_set_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    return put_reason_list(x, Q_REGEXC, "registration_exceptions", indent,
                           true);
}

static const struct fact closeout_facts[] = {
    {"imported_at",     C_IMPORTED_AT, FACT_VALUE,  ", imported ", NULL},
    {"dealer_id",       C_DEALER,      FACT_QUOTED, "\n      dealer ", NULL},
    {"dispatch_id",     C_DISPATCH,    FACT_QUOTED, ", dispatch ", NULL},
    {"submitted_at",    C_SUBMITTED,   FACT_VALUE,  ", submitted ", NULL},
    {"completed_on",    C_COMPLETED,   FACT_VALUE,  ", completed ", NULL},
    {"serial_number",   C_SERIAL,      FACT_QUOTED, "\n      serial ", NULL},
    {"model",           C_MODEL,       FACT_QUOTED, ", model ", NULL},
    {"technician",      C_TECH,        FACT_QUOTED, ", technician ", NULL},
    {"labor_hours",     C_HOURS,       FACT_VALUE,  ", labor hours ", NULL},
    {"resolution_code", C_RESOLUTION,  FACT_QUOTED, ", resolution ", NULL},
    {"parts",           C_PARTS,       FACT_QUOTED, ", parts ", NULL},
    {"reason",          C_REASON,      FACT_VALUE,  NULL, NULL},
    {"superseded_by",   C_SUP_FILE,    FACT_LOC,    NULL, NULL},
};

/* Text: what became of a closeout, after its FILE:LINE. */
static void say_closeout_state(struct ex *x, struct db_stmt *st,
                               const char *state)
{
    fputs("  ", x->f);
    if (strcmp(state, "accepted") == 0) {
        fputs("accepted", x->f);
    } else if (strcmp(state, "non_compensable") == 0) {
        fputs("non-compensable: ", x->f);
        ex_t_v(x, st, C_REASON);
    } else if (strcmp(state, "superseded") == 0) {
        fputs("superseded by ", x->f);
        ex_t_loc(x, st, C_SUP_FILE, C_SUP_LINE);
        /* both versions of the key were submitted after A (fix67) */
        if (db_column_int64(st, C_AFTER_AS_OF) != 0)
            fprintf(x->f, ", submitted after as-of %s", x->o->as_of);
    } else {
        fprintf(x->f, "submitted after as-of %s, takes no part",
                x->o->as_of);
    }
}

/* One closeout row of Q_CLOSEOUTS, its reasons included; JSON: an object
 * named key (an element when NULL). */
int ex_put_closeout(struct ex *x, const char *key, int64_t mark)
{
    struct db_stmt *st = x->q[Q_CLOSEOUTS];
    int64_t id = db_column_int64(st, C_ID);
    const char *state = db_column_text(st, C_STATE);
    if (!state)
        state = "";
    ex_open_row(x, st, C_FILE, key, id == mark);
    if (!x->json)
        say_closeout_state(x, st, state);
    ex_put_facts(x, st, closeout_facts, EX_N_FACTS(closeout_facts));
    if (x->json) {
        json_str(&x->j, "state", state);
        json_bool(&x->j, "source", id == mark);
    } else {
        fputc('\n', x->f);
    }
    struct db_stmt *r = ex_use(x, Q_REASONS);
    db_set_int64(r, ":closeout_id", id);
    if (put_reason_list(x, Q_REASONS, "reasons", "      ", false) != 0)
        return -1;
    if (x->json)
        json_close(&x->j, '}');
    return 0;
}

/* Closeouts naming dispatch_id (or, with dispatch_id NULL, closeout_id
 * alone), in the order SPEC §3 accepts them. */
int ex_put_closeouts(struct ex *x, const char *dispatch_id,
                         int64_t closeout_id, int64_t mark)
{
    struct db_stmt *st = ex_use(x, Q_CLOSEOUTS);
    if (dispatch_id)
        db_set_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    else
        db_set_int64(st, ":closeout_id", closeout_id);
    int rc, n = 0;
    while ((rc = ex_step(x, Q_CLOSEOUTS)) == DB_ROW) {
        if (ex_put_closeout(x, NULL, mark) != 0)
            return -1;
        n++;
    }
    if (rc != DB_DONE)
        return -1;
    if (!x->json && n == 0)
        fputs("   none\n", x->f);
    return 0;
}

static const struct fact registration_facts[] = {
    {"imported_at",   R_IMPORTED_AT,   FACT_VALUE,  ", imported ", NULL},
    {"dealer_id",     R_DEALER,        FACT_QUOTED, "\n      dealer ", NULL},
    {"dealer_name",   R_DEALER_NAME,   FACT_QUOTED, " (", NULL},
    {"model",         R_MODEL,         FACT_QUOTED, "), model ", NULL},
    {"serial_number", R_SERIAL,        FACT_QUOTED, ", serial ", NULL},
    {"wmp_selected",  R_WMP,           FACT_YES_NO, ", WMP ", NULL},
    {"registered_on", R_REGISTERED_ON, FACT_VALUE,  ", registered ", NULL},
    {"removed_on",    R_REMOVED_ON,    FACT_VALUE,  ", removed ",
                                                    ", not removed"},
    {"superseded_by", R_SUP_FILE,      FACT_LOC,    NULL, NULL},
    {"active",        R_ACTIVE,        FACT_YES_NO, NULL, NULL},
};

/* Text: where a registration stands, after its FILE:LINE; active_on names
 * the dispatch day, NULL when no dispatch is asked about. */
static void say_registration_state(struct ex *x, struct db_stmt *st,
                                   bool current, const char *active_on)
{
    fputs("  ", x->f);
    if (!current) {
        fputs("superseded by ", x->f);
        ex_t_loc(x, st, R_SUP_FILE, R_SUP_LINE);
    } else if (!active_on) {
        fputs("current", x->f);
    } else if (ex_is_null(st, R_ACTIVE)) {
        fputs("not checked", x->f);
    } else {
        fprintf(x->f, "%s on %s", (int)db_column_int64(st, R_ACTIVE) ?
                "active" : "not active", active_on);
    }
}

/* Registrations (Q_REGS rows, bound). JSON: each an object named key (an
 * element when NULL). */
int ex_put_registrations(struct ex *x, const char *active_on,
                             int64_t mark, const char *key)
{
    struct db_stmt *st = x->q[Q_REGS];
    int rc, n = 0;
    while ((rc = ex_step(x, Q_REGS)) == DB_ROW) {
        bool marked = db_column_int64(st, R_ID) == mark;
        bool current = (int)db_column_int64(st, R_CURRENT) != 0;
        n++;
        ex_open_row(x, st, R_FILE, key, marked);
        if (!x->json)
            say_registration_state(x, st, current, active_on);
        ex_put_facts(x, st, registration_facts, EX_N_FACTS(registration_facts));
        if (x->json)
            json_bool(&x->j, "current", current);
        ex_close_row(x, marked);
    }
    if (rc != DB_DONE)
        return -1;
    if (!x->json && n == 0)
        fputs("   none\n", x->f);
    return 0;
}

static const struct fact version_facts[] = {
    {"imported_at",   V_IMPORTED_AT,   FACT_VALUE,  ", imported ", NULL},
    {"dispatched_at", V_DISPATCHED_AT, FACT_VALUE,  "\n      dispatched ",
                                                    NULL},
    {"status",        V_STATUS,        FACT_VALUE,  ", ", NULL},
    {"provider_id",   V_PROVIDER,      FACT_QUOTED, ", provider ", NULL},
    {"model",         V_MODEL,         FACT_QUOTED, ", model ", NULL},
    {"serial_number", V_SERIAL,        FACT_QUOTED, ", serial ", NULL},
    {"customer_name", V_CUSTOMER,      FACT_QUOTED, "\n      customer ",
                                                    NULL},
    {"customer_postal_code", V_POSTAL, FACT_QUOTED, ", postal code ", NULL},
    {"problem_code",  V_PROBLEM,       FACT_QUOTED, ", problem ", NULL},
};

static int put_versions(struct ex *x, const char *dispatch_id,
                        int64_t mark)
{
    struct db_stmt *st = ex_use(x, Q_VERSIONS);
    db_set_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    if (x->json)
        json_open(&x->j, "versions", '[');
    else
        fputs("\nversions, in import order:\n", x->f);
    int rc;
    x->earlier_dated = false;
    while ((rc = ex_step(x, Q_VERSIONS)) == DB_ROW) {
        bool marked = db_column_int64(st, V_ROW_ID) == mark;
        bool current = (int)db_column_int64(st, V_CURRENT) != 0;
        const char *at = db_column_text(st, V_DISPATCHED_AT);
        if (!current && at && strncmp(at, x->o->as_of, 10) <= 0)
            x->earlier_dated = true;
        ex_open_row(x, st, V_FILE, NULL, marked);
        if (!x->json)
            fprintf(x->f, "  %s", current ? "current" : "superseded");
        ex_put_facts(x, st, version_facts, EX_N_FACTS(version_facts));
        if (x->json)
            json_bool(&x->j, "current", current);
        ex_close_row(x, marked);
    }
    if (x->json)
        json_close(&x->j, ']');
    return rc == DB_DONE ? 0 : -1;
}

/* Text: "; only non-compensable attempts (N)". */
static void say_only_noncomp(struct ex *x, long long n)
{
    fprintf(x->f, "; only non-compensable attempts (%lld)", n);
}

/* The accepted closeout: JSON members of "accepted_closeout"; text after
 * "closed by closeout at ". */
static const struct fact accepted_facts[] = {
    {"file",         S_ACC_FILE,      FACT_FILE_LINE, "", NULL},
    {"submitted_at", S_ACC_SUBMITTED, FACT_VALUE,     ", submitted ", NULL},
};

static const struct fact standing_facts[] = {
    {"days_open", S_DAYS_OPEN, FACT_VALUE, NULL, NULL},
    {"bucket",    S_BUCKET,    FACT_VALUE, NULL, NULL},
};

static void json_standing(struct ex *x, const char *state)
{
    struct db_stmt *st = x->q[Q_STANDING];
    json_open(&x->j, "standing", '{');
    json_str(&x->j, "state", state);
    ex_put_facts(x, st, standing_facts, EX_N_FACTS(standing_facts));
    if (ex_is_null(st, S_ACC_FILE)) {
        json_null(&x->j, "accepted_closeout");
    } else {
        json_open(&x->j, "accepted_closeout", '{');
        ex_put_facts(x, st, accepted_facts, EX_N_FACTS(accepted_facts));
        json_close(&x->j, '}');
    }
    json_int(&x->j, "attempts", db_column_int64(st, S_ATTEMPTS));
    json_int(&x->j, "noncompensable", db_column_int64(st, S_NONCOMP));
    json_close(&x->j, '}');
}

/* An unclosed call's bucket as the report recorded as of A gave it, when
 * that report listed the call in another bucket than explain's: a report
 * made with other --buckets (a bare `explain` takes the default ones)
 * named another bucket in its workbooks, and the story said only its own.
 * When the recorded days open differ too, the cause is not the buckets but
 * the call's dispatch date, changed by a version imported after that
 * report, and the line says that instead. Text only; nothing when the
 * database keeps no report history, no report as of A listed the call, or
 * the two agree (lead, stop 30). */
static void say_recorded_bucket(struct ex *x, struct db_stmt *st)
{
    struct db_stmt *q;
    struct diag none = {0};
    if (!x->history_kept || ex_is_null(st, S_ID) ||
        db_prepare(x->db, sql_q_explain_recorded_bucket, &q, &none, "") != 0)
        return;
    db_set_int64(q, ":as_of_day", x->o->as_of_day);
    db_set_text(q, ":dispatch_id", db_column_text(st, S_ID),
                db_column_bytes(st, S_ID));
    if (db_step(q, NULL, NULL) == DB_ROW) {
        const char *mine = db_column_text(st, S_BUCKET);
        const char *its = db_column_text(q, 0);
        if ((mine == NULL) != (its == NULL) ||
            (mine && its && strcmp(mine, its) != 0)) {
            fprintf(x->f, " (the report recorded as of %s listed it in "
                    "bucket ", x->o->as_of);
            if (its)
                ex_t_text(x->f, its, (size_t)db_column_bytes(q, 0));
            else
                fputs("(none)", x->f);
            long long days = db_column_int64(q, 1);
            if (days != db_column_int64(st, S_DAYS_OPEN)) {
                char n[40];
                fprintf(x->f, ", %s open: a version imported since "
                        "changed the call's dispatch date)",
                        sheet_days_text(days, n, sizeof n));
            } else {
                fputs(": it was made with other --buckets; give explain "
                      "the same --buckets, as its About sheet's explain "
                      "commands do)", x->f);
            }
        }
    }
    db_finalize(q);
}

/* The last word of a story: Q_STANDING's row, read as it stands. */
static void put_standing(struct ex *x, const char *state)
{
    struct db_stmt *st = x->q[Q_STANDING];
    long long attempts = db_column_int64(st, S_ATTEMPTS);
    long long noncomp = db_column_int64(st, S_NONCOMP);
    if (x->json) {
        json_standing(x, state);
        return;
    }
    fprintf(x->f, "\nstanding as of %s: ", x->o->as_of);
    if (strcmp(state, "unclosed") == 0) {
        /* a count in a sentence as the workbooks write it: "2,958,463
         * days open" (sheet_days_text; "2958463" said nothing else) */
        char days[40];
        fprintf(x->f, "unclosed, %s open, aging bucket ",
                sheet_days_text(db_column_int64(st, S_DAYS_OPEN), days,
                                sizeof days));
        if (ex_is_null(st, S_BUCKET))
            fputs("(none: no configured bucket holds it)", x->f);
        else
            ex_t_v(x, st, S_BUCKET);
        say_recorded_bucket(x, st);
        if (attempts == 0)
            fputs("; no closeout attempt", x->f);
        else
            say_only_noncomp(x, attempts);
    } else if (strcmp(state, "closed") == 0) {
        fputs("closed by closeout at ", x->f);
        ex_put_facts(x, st, accepted_facts, EX_N_FACTS(accepted_facts));
        if (noncomp > 0)
            fprintf(x->f, "; also non-compensable closeouts (%lld)", noncomp);
    } else if (strcmp(state, "cancelled") == 0) {
        fputs("cancelled", x->f);
        if (attempts > 0)
            say_only_noncomp(x, attempts);
    } else {
        fputs("dispatched after the as-of date (", x->f);
        ex_t_v(x, st, S_DISPATCHED_AT);
        fputs("), takes no part", x->f);
        /* Re-dated (qa19): a workbook of this date made before the
         * current version was imported listed the call; today's does not. */
        if (x->earlier_dated)
            fputs("; re-dated: a superseded version was dated on or before "
                  "the as-of date, so workbooks of this date made before "
                  "the current version was imported list it, and those "
                  "made since do not", x->f);
    }
    fputc('\n', x->f);
}

static const struct fact dispatch_facts[] = {
    {"dispatch_id",     S_ID,            FACT_QUOTED, "dispatch ", NULL},
    {"dispatched_at",   S_DISPATCHED_AT, FACT_VALUE,  NULL, NULL},
    {"serial_number",   S_SERIAL,        FACT_VALUE,  NULL, NULL},
    {"status",          S_STATUS,        FACT_VALUE,  NULL, NULL},
    {"current_version", S_FILE,          FACT_LOC,    NULL, NULL},
};

/* Q_STANDING's row for dispatch_id, and its state (copied to state). */
static int read_standing(struct ex *x, const char *dispatch_id,
                         char *state, size_t size)
{
    struct db_stmt *st = ex_use(x, Q_STANDING);
    db_set_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    int rc = ex_step(x, Q_STANDING);
    if (rc != DB_ROW)
        return rc < 0 ? -1 : diag_set(x->d, EX_SOFTWARE, NULL, 0,
                                      "dispatch has versions but no current "
                                      "version (rule tables disagree)");
    const char *s = db_column_text(st, S_STATE);
    if (!s)
        return diag_set(x->d, EX_SOFTWARE, NULL, 0, "dispatch is open on "
                        "or before the as-of date but neither unclosed nor "
                        "closed (rule tables disagree)");
    snprintf(state, size, "%s", s);
    return 0;
}

/* Registrations of the dispatch's serial, as checked on its day. */
static int put_dispatch_registrations(struct ex *x, const char *dispatch_id,
                                      bool checked)
{
    struct db_stmt *st = x->q[Q_STANDING];
    char day[16];
    snprintf(day, sizeof day, "%s", db_column_text(st, S_DISPATCHED_ON));
    struct db_stmt *r = ex_use(x, Q_REGS);
    db_set_text(r, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    if (x->json) {
        json_open(&x->j, "registrations", '[');
    } else {
        fputs("\nregistrations of serial ", x->f);
        ex_t_q(x, st, S_SERIAL);
        if (checked)
            fprintf(x->f, ", as checked on the dispatch day %s:\n", day);
        else
            fprintf(x->f, ", not checked (dispatched after the as-of "
                    "date):\n");
    }
    if (ex_put_registrations(x, day, 0, NULL) != 0)
        return -1;
    if (x->json)
        json_close(&x->j, ']');
    else
        fputs("\nregistration exceptions:\n", x->f);
    return ex_put_reg_exceptions(x, dispatch_id, "   ");
}

/* ---- rejected rows naming a dispatch (qa19) ------------------------------ */

/* The audit workbook that lists the rejected rows of file_id under
 * Rejected rows (Q_REJ_AUDIT: one reckoning for the story of a dispatch
 * and for --source): the sentence on f (ex_t_rejected_audit), or with f
 * NULL the JSON member "audit_as_of". Asked only from schema version 5
 * (x->audit_known), which every caller has made sure of. */
int ex_put_rejected_audit(struct ex *x, FILE *f, int64_t file_id)
{
    struct db_stmt *a = ex_use(x, Q_REJ_AUDIT);
    db_set_int64(a, ":file_id", file_id);
    if (ex_step_one(x, Q_REJ_AUDIT, "rejected row's file") != 0)
        return -1;
    if (f)
        ex_t_rejected_audit(f, a, 0);
    else
        ex_j_col(x, "audit_as_of", a, 0);
    db_reset(a);
    return 0;
}

/* One rejected row of Q_REJ_NAMING, said on f (stdout in a story, stderr
 * in the not-found message, each line after lead). The SHA-256's first
 * twelve digits tell apart deliveries of one name (README "Source
 * SHA-256"); the audit workbook that lists it is named by its as-of. */
static int say_rejected_naming(struct ex *x, FILE *f, const char *lead)
{
    struct db_stmt *st = x->q[Q_REJ_NAMING];
    const char *name = db_column_text(st, RN_FILE);
    const char *path = db_column_text(st, RN_PATH);
    const char *reason = db_column_text(st, RN_REASON);
    fputs(lead, f);
    fputs("   ", f);
    ex_t_name(f, name, (size_t)db_column_bytes(st, RN_FILE));
    fprintf(f, ":%lld  rejected, imported %s\n%s      file '",
            (long long)db_column_int64(st, RN_LINE),
            db_column_text(st, RN_IMPORTED_AT), lead);
    ex_t_qname(f, path, (size_t)db_column_bytes(st, RN_PATH));
    fprintf(f, "' (%s), SHA-256 %s\n%s      reason: ",
            db_column_text(st, RN_KIND),
            ex_is_null(st, RN_SHA) ? "(none)" : db_column_text(st, RN_SHA),
            lead);
    ex_t_text(f, reason, (size_t)db_column_bytes(st, RN_REASON));
    fprintf(f, "\n%s      ", lead);
    if (ex_put_rejected_audit(x, f, db_column_int64(st, RN_FILE_ID)) != 0)
        return -1;
    fprintf(f, "; raw record: explain --source '");
    ex_t_qname(f, path, (size_t)db_column_bytes(st, RN_PATH));
    fprintf(f, ":%lld'\n", (long long)db_column_int64(st, RN_LINE));
    return 0;
}

static const struct fact rejected_naming_facts[] = {
    {"file",        RN_FILE,        FACT_FILE_LINE, NULL, NULL},
    {"path",        RN_PATH,        FACT_VALUE,     NULL, NULL},
    {"kind",        RN_KIND,        FACT_VALUE,     NULL, NULL},
    {"sha256_12",   RN_SHA,         FACT_VALUE,     NULL, NULL},
    {"imported_at", RN_IMPORTED_AT, FACT_VALUE,     NULL, NULL},
    {"reason",      RN_REASON,      FACT_VALUE,     NULL, NULL},
};   /* then "audit_as_of" (ex_put_rejected_audit) */

/* Rejected rows stored before schema 6 (their dispatch id not kept):
 * *n, 0 on a database older than that (nothing kept at all: *n -1). */
static int count_unread(struct ex *x, long long *n)
{
    *n = -1;
    if (!x->rejected_kept)
        return 0;
    struct db_stmt *st = ex_use(x, Q_REJ_UNREAD);
    int rc = ex_step(x, Q_REJ_UNREAD);
    if (rc == DB_ROW)
        *n = db_column_int64(st, 0);
    db_reset(st);
    return rc == DB_ROW ? 0 : -1;
}

/* Starts Q_REJ_NAMING for the rejected rows naming id. A rejected row
 * keeps the id it names only up to EX_MAX_KEPT_ID bytes ('' beyond): a
 * longer id is looked for in the raw records of the rows of dispatches
 * and closeouts files that kept none (fix67: they were never found). */
static void rej_naming_start(struct ex *x, const char *id)
{
    struct db_stmt *st = ex_use(x, Q_REJ_NAMING);
    size_t n = strlen(id);
    if (n > EX_MAX_KEPT_ID)
        db_set_text(st, ":dispatch_id", "", 0);
    else
        db_set_text(st, ":dispatch_id", id, (ptrdiff_t)n);
}

static bool holds(const char *hay, size_t len, const char *needle, size_t n)
{
    for (size_t i = 0; hay && n <= len && i <= len - n; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return true;
    return false;
}

/* ex_step of Q_REJ_NAMING, skipping what a long id's raw records do not
 * hold. */
static int rej_naming_step(struct ex *x, const char *id)
{
    struct db_stmt *st = x->q[Q_REJ_NAMING];
    size_t n = strlen(id);
    int rc;
    while ((rc = ex_step(x, Q_REJ_NAMING)) == DB_ROW && n > EX_MAX_KEPT_ID) {
        const char *kind = db_column_text(st, RN_KIND);
        if (kind && strcmp(kind, "registrations") != 0 &&
            holds(db_column_blob(st, RN_RAW), db_column_bytes(st, RN_RAW),
                  id, n))
            break;
    }
    return rc;
}

/* What a long id's rejected rows are, said after their heading. */
static const char *long_id_words(const char *id)
{
    return strlen(id) > EX_MAX_KEPT_ID
        ? "; a rejected row keeps the dispatch id it names only up to 200 "
          "bytes: these are the rejected rows whose raw record holds it"
        : "";
}

/* Why rejected rows might be missing from what follows: rows stored
 * before this svcrecon kept their dispatch id, or a database older still. */
static void say_unread(FILE *f, const char *lead, long long unread)
{
    if (unread == 0)
        return;
    if (unread < 0)
        fprintf(f, "%s   rejected rows not searched: the database predates "
                "schema version %d (an import or report upgrades it); the "
                "audit workbooks list them under Rejected rows\n", lead,
                REJ_KEPT_VERSION);
    else
        fprintf(f, "%s   %lld rejected rows stored before schema version %d "
                "are not searched (their dispatch id was not kept); the "
                "audit workbooks list them under Rejected rows\n", lead,
                unread, REJ_KEPT_VERSION);
}

/* The story's section "rejected rows naming ID": said only when there are
 * any (or rows that could not be searched); JSON: always, an array and a
 * count ("rejected_rows_unread", null when nothing could be searched). */
static int put_rejected_naming(struct ex *x, const char *dispatch_id)
{
    long long unread;
    if (count_unread(x, &unread) != 0)
        return -1;
    if (x->json) {
        json_open(&x->j, "rejected_rows", '[');
    }
    int rc = DB_DONE, n = 0;
    if (x->rejected_kept) {
        struct db_stmt *st = x->q[Q_REJ_NAMING];
        rej_naming_start(x, dispatch_id);
        while ((rc = rej_naming_step(x, dispatch_id)) == DB_ROW) {
            if (!x->json && n == 0) {
                fputs("\nrejected rows naming '", x->f);
                ex_t_qtext(x->f, dispatch_id, strlen(dispatch_id));
                fprintf(x->f, "' (refused at import: no part of the story "
                        "above; a corrected row counts once delivered "
                        "again%s):\n", long_id_words(dispatch_id));
            }
            n++;
            if (x->json) {
                json_open(&x->j, NULL, '{');
                ex_put_facts(x, st, rejected_naming_facts,
                             EX_N_FACTS(rejected_naming_facts));
                if (ex_put_rejected_audit(x, NULL,
                                          db_column_int64(st, RN_FILE_ID))
                    != 0)
                    return -1;
                json_close(&x->j, '}');
            } else if (say_rejected_naming(x, x->f, "") != 0) {
                return -1;
            }
        }
    }
    if (x->json) {
        json_close(&x->j, ']');
        if (unread < 0)
            json_null(&x->j, "rejected_rows_unread");
        else
            json_int(&x->j, "rejected_rows_unread", unread);
    } else if (unread != 0) {
        if (n == 0) {
            fputs("\nrejected rows naming '", x->f);
            ex_t_qtext(x->f, dispatch_id, strlen(dispatch_id));
            fputs("':\n", x->f);
        }
        say_unread(x->f, "", unread);
    }
    return rc == DB_DONE ? 0 : -1;
}

/* The whole story of one dispatch: versions, registrations, registration
 * exceptions, closeouts, standing. mark_version / mark_closeout: the row
 * --source named (0: none). */
int ex_put_dispatch(struct ex *x, const char *dispatch_id,
                        int64_t mark_version,
                        int64_t mark_closeout)
{
    char state[32];
    if (read_standing(x, dispatch_id, state, sizeof state) != 0)
        return -1;
    /* Q_STANDING is not used again until this story ends: its row stays
     * valid while the sections below step their own statements. */
    struct db_stmt *st = x->q[Q_STANDING];
    bool checked = strcmp(state, "dispatched_after_as_of") != 0;
    if (x->json)
        json_open(&x->j, "dispatch", '{');
    ex_put_facts(x, st, dispatch_facts, EX_N_FACTS(dispatch_facts));
    if (x->json)
        json_bool(&x->j, "checked", checked);
    else
        fprintf(x->f, " as of %s\n", x->o->as_of);
    if (put_versions(x, dispatch_id, mark_version) != 0 ||
        put_dispatch_registrations(x, dispatch_id, checked) != 0)
        return -1;
    test_pause("explain", 10);   /* the story half told (tests/e2e/t8100) */
    if (x->json) {
        json_open(&x->j, "closeouts", '[');
    } else {
        fputs("\ncloseouts naming ", x->f);
        ex_t_q(x, st, S_ID);
        fputs(", in order submitted:\n", x->f);
    }
    if (ex_put_closeouts(x, dispatch_id, 0, mark_closeout) != 0)
        return -1;
    if (x->json)
        json_close(&x->j, ']');
    if (put_rejected_naming(x, dispatch_id) != 0)
        return -1;
    put_standing(x, state);
    if (x->json)
        json_close(&x->j, '}');
    db_reset(st);
    return 0;
}

/* Sets *known when any version of dispatch_id was imported. */
int ex_dispatch_known(struct ex *x, const char *dispatch_id, bool *known)
{
    struct db_stmt *st = ex_use(x, Q_VERSIONS);
    db_set_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    int rc = ex_step(x, Q_VERSIONS);
    db_reset(st);
    *known = rc == DB_ROW;
    return rc < 0 ? -1 : 0;
}

/* ---- the document ------------------------------------------------------- */

void ex_begin_document(struct ex *x)
{
    const struct explain_opts *o = x->o;
    if (!x->json)
        return;
    json_open(&x->j, NULL, '{');
    json_int(&x->j, "explain", 1);         /* version of this format */
    json_str(&x->j, "svcrecon", o->version);
    json_str(&x->j, "database", o->db_path);
    /* its PostgreSQL schema (null for a SQLite file), as the summary has
     * it beside "database" (README "PostgreSQL") */
    json_str(&x->j, "schema", db_schema_named(o->db_target, o->schema));
    json_str(&x->j, "as_of", o->as_of);
    json_str(&x->j, "as_of_basis", o->as_of_basis);  /* option,
                                                        latest_report,
                                                        today */
    json_open(&x->j, "query", '{');
    json_str(&x->j, "dispatch_id", o->dispatch_id);
    if (o->source) {
        json_open(&x->j, "source", '{');
        json_strn(&x->j, "file", o->source_file, o->source_file_len);
        json_int(&x->j, "line", o->source_line);
        json_close(&x->j, '}');
    } else {
        json_null(&x->j, "source");
    }
    json_close(&x->j, '}');
    json_open(&x->j, "results", '[');
}

void ex_end_document(struct ex *x)
{
    if (!x->json)
        return;
    json_close(&x->j, ']');
    json_close(&x->j, '}');
}

/* Imported ids that differ from the one asked only in ASCII letter case
 * or spaces, appended to msg (qa19). */
static int similar_ids(struct ex *x, char *msg, size_t size)
{
    const char *id = x->o->dispatch_id;
    size_t n = strlen(id);
    if (n == 0 || n > EX_MAX_KEPT_ID)
        return 0;
    char v[5][208];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        v[0][i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
        v[1][i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        if (c != ' ') {
            v[2][k] = (char)c;
            v[3][k] = v[0][i];
            v[4][k] = v[1][i];
            k++;
        }
    }
    v[0][n] = v[1][n] = '\0';
    v[2][k] = v[3][k] = v[4][k] = '\0';
    static const struct {
        const char *sql, *name, *words;
    } lookups[] = {
        {sql_q_explain_similar_ids, "q_explain_similar_ids",
         "; imported ids that differ from it only in letter case or spaces "
         "(ids compare exactly, SPEC §2; explain one of them): "},
        {sql_q_explain_similar_rejected, "q_explain_similar_rejected",
         "; rejected rows name ids that differ from it only in letter case "
         "or spaces (explain one of them): "},
    };
    static const char *const names[] = {":v1", ":v2", ":v3", ":v4", ":v5"};
    int rc = DB_DONE, found = 0;
    for (int l = 0; l < 2 && rc == DB_DONE; l++) {
        /* rejected rows only when no imported id answers (and only with
         * schema 6's column) */
        if (l == 1 && (found > 0 || !x->rejected_kept))
            break;
        struct db_stmt *q;
        char what[80];
        snprintf(what, sizeof what, "preparing %s", lookups[l].name);
        if (db_prepare(x->db, lookups[l].sql, &q, x->d, what) != 0)
            return -1;
        db_set_text(q, ":id", id, (ptrdiff_t)n);
        for (int i = 0; i < 5; i++)
            db_set_text(q, names[i], v[i], -1);
        snprintf(what, sizeof what, "reading %s", lookups[l].name);
        while ((rc = db_step(q, x->d, what)) == DB_ROW) {
            char shown[EX_ID_SHOWN];
            const char *s = db_column_text(q, 0);
            ex_qshow_id(s, (size_t)db_column_bytes(q, 0), shown,
                        sizeof shown);
            ex_add(msg, size, "%s%s", found++ ? ", " : lookups[l].words,
                   shown);
        }
        db_finalize(q);
    }
    return rc == DB_DONE ? 0 : -1;
}

/* The dispatches and closeouts files refused whole at import: their bytes
 * are not stored, so a call delivered only in one of them is not in the
 * database, and "not found" alone would let an auditor conclude that it
 * never arrived. Names the latest MAX_REFUSED on stderr (the message then
 * counts them); *n: how many there are (0: nothing said). */
#define MAX_REFUSED 3
static int say_refused_files(struct ex *x, const char *id, long long *n)
{
    struct db_stmt *q;
    int rc, k = 0;
    *n = 0;
    if (db_prepare(x->db, sql_q_explain_refused_files, &q, x->d,
                   "preparing q_explain_refused_files") != 0)
        return -1;
    db_set_int64(q, ":n", MAX_REFUSED);
    while ((rc = db_step(q, x->d, "reading q_explain_refused_files"))
           == DB_ROW) {
        char file[256], why[4 * 600 + 4];
        if (k++ == 0) {
            *n = db_column_int64(q, 3);
            fprintf(stderr, "svcrecon: dispatch %s: %lld dispatches or "
                    "closeouts file%s refused whole at import; %s rows are "
                    "not stored, so a call delivered only in %s is not in "
                    "this database (the audit workbooks list refused files "
                    "under Rejected rows, line 0)%s:\n", id, *n,
                    *n == 1 ? " was" : "s were", *n == 1 ? "its" : "their",
                    *n == 1 ? "it" : "one of them",
                    *n > MAX_REFUSED ? "; the latest" : "");
        }
        ex_name_show(db_column_text(q, 0), (size_t)db_column_bytes(q, 0),
                     false, file, sizeof file);
        /* the whole reason (import's own words, what to do at its end),
         * not ex_show's 60 characters */
        utf8_show(db_column_text(q, 2), (size_t)db_column_bytes(q, 2), 600,
                  why, sizeof why);
        fprintf(stderr, "svcrecon:   %s, imported %s, refused: %s "
                "(explain --source %s:0)\n", file, db_column_text(q, 1),
                why, file);
    }
    db_finalize(q);
    if (rc != DB_DONE)
        return -1;
    if (*n > MAX_REFUSED)
        fprintf(stderr, "svcrecon:   and %lld more\n", *n - MAX_REFUSED);
    return 0;
}

static int dispatch_not_found(struct ex *x)
{
    const struct explain_opts *o = x->o;
    char id[EX_ID_SHOWN], msg[sizeof x->d->reason] = "";
    ex_qshow_id(o->dispatch_id, strlen(o->dispatch_id), id, sizeof id);
    ex_add(msg, sizeof msg, "dispatch %s not found in %s (no version of it "
        "was imported)", id, x->db_named);
    /* Rows naming it that were rejected at import (qa19): the call did
     * arrive, and an auditor must not conclude otherwise. Said on stderr
     * before the message (65 and an empty stdout stay: no version of it
     * is in the database to tell), and counted first in the message, so
     * that what to do is never cut off by the hints after it. */
    struct db_stmt *st;
    long long unread;
    int rc, rejected = 0;
    if (count_unread(x, &unread) != 0)
        return -1;
    if (x->rejected_kept) {
        rej_naming_start(x, o->dispatch_id);
        while ((rc = rej_naming_step(x, o->dispatch_id)) == DB_ROW) {
            if (rejected++ == 0)
                fprintf(stderr, "svcrecon: dispatch %s: rows naming it were "
                        "delivered but rejected at import, so no version of "
                        "it was loaded%s:\n", id,
                        long_id_words(o->dispatch_id));
            if (say_rejected_naming(x, stderr, "svcrecon:") != 0)
                return -1;
        }
        if (rc != DB_DONE)
            return -1;
    }
    if (unread != 0)
        say_unread(stderr, "svcrecon:", unread);
    if (rejected > 0)
        ex_add(msg, sizeof msg, "; %d rejected row%s name%s it (above): "
               "correct %s at the source and deliver again", rejected,
               rejected == 1 ? "" : "s", rejected == 1 ? "s" : "",
               rejected == 1 ? "it" : "them");
    long long refused;
    if (say_refused_files(x, id, &refused) != 0)
        return -1;
    if (refused > 0)
        ex_add(msg, sizeof msg, "; %lld file%s refused whole at import "
               "(above): a call delivered only in %s is not in the database",
               refused, refused == 1 ? " was" : "s were",
               refused == 1 ? "it" : "one of them");
    st = ex_use(x, Q_CLOSEOUTS);
    db_set_text(st, ":dispatch_id", o->dispatch_id, strlen(o->dispatch_id));
    int n = 0;
    while ((rc = ex_step(x, Q_CLOSEOUTS)) == DB_ROW) {
        if (n < MAX_HINTS) {
            char file[256];
            const char *name = db_column_text(st, C_FILE);
            ex_name_show(name, (size_t)db_column_bytes(st, C_FILE), false,
                         file, sizeof file);
            ex_add(msg, sizeof msg, "%s%s:%lld", n ? ", " :
                "; closeouts naming it: ", file,
                (long long)db_column_int64(st, C_LINE));
            if (!ex_is_null(st, C_FILE_TAG))
                ex_add(msg, sizeof msg, " (SHA-256 %s)",
                       db_column_text(st, C_FILE_TAG));
        }
        n++;
    }
    if (rc != DB_DONE)
        return -1;
    if (n > MAX_HINTS)
        ex_add(msg, sizeof msg, " and %d more", n - MAX_HINTS);
    if (n > 0)
        ex_add(msg, sizeof msg, " (explain --source FILE:LINE tells their "
            "story)");
    if (similar_ids(x, msg, sizeof msg) != 0)
        return -1;
    return diag_set(x->d, EX_DATAERR, NULL, 0, "%s", msg);
}

/* Nothing at FILE:LINE: say why (65). files = imported files named FILE;
 * refused = the reason of the first of them, when all were refused. */
static int explain_dispatch(struct ex *x)
{
    bool known;
    if (ex_dispatch_known(x, x->o->dispatch_id, &known) != 0)
        return -1;
    if (!known)
        return dispatch_not_found(x);
    ex_begin_document(x);
    if (x->json) {
        json_open(&x->j, NULL, '{');
        json_str(&x->j, "what", "dispatch");
        json_null(&x->j, "source");
    }
    if (ex_put_dispatch(x, x->o->dispatch_id, 0, 0) != 0)
        return -1;
    if (x->json)
        json_close(&x->j, '}');
    ex_end_document(x);
    return 0;
}

/* ---- the command -------------------------------------------------------- */

bool explain_parse_source(const char *arg, struct explain_opts *o)
{
    const char *colon = strrchr(arg, ':');
    long line = 0;
    int digits = 0;
    if (!colon || colon == arg || colon[1] == '\0')
        return false;
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9' || ++digits > 9)
            return false;
        line = line * 10 + (*p - '0');
    }
    o->source = arg;
    o->source_file = arg;
    o->source_file_len = (size_t)(colon - arg);
    o->source_line = line;
    return true;
}

int explain_run(const struct explain_opts *given, struct diag *d)
{
    struct explain_opts opts = *given, *o = &opts;
    struct ex x = {.o = o, .rw = o, .f = stdout, .json = o->json, .d = d};
    /* A FILE given with bytes that are not UTF-8 (a Latin-1 name pasted
     * raw) is looked up as the load keeps such a name: as shown, \xNN
     * (etl/load.c set_stored_text); typed as the workbooks show it, it is
     * UTF-8 already and looked up as it is. */
    char *shown = NULL;
    if (o->source_file &&
        !utf8_valid(o->source_file, o->source_file_len, NULL)) {
        size_t n = 4 * o->source_file_len + 1;
        if (!(shown = malloc(n)))
            return diag_set(d, EX_SOFTWARE, NULL, 0, "out of memory");
        utf8_show(o->source_file, o->source_file_len, o->source_file_len,
                  shown, n);
        o->source_file = shown;
        o->source_file_len = strlen(shown);
    }
    /* FILE as explain printed it, a newline as \x0A (ex_t_name): looked up
     * as that name when no file has FILE's own (ex_explain_source). */
    char *unnamed = NULL;
    if (o->source_file)
        unnamed = ex_t_unname(o->source_file, o->source_file_len,
                              &o->source_unnamed_len);
    o->source_unnamed = unnamed;
    /* Messages name the schema with the database, as the workbooks do;
     * each shown safely, the name cut as it was, never the schema. */
    char db[256], schema[256];
    ex_show(o->db_path, strlen(o->db_path), db, sizeof db);
    if (o->schema)
        ex_show(o->schema, strlen(o->schema), schema, sizeof schema);
    char *named = db_named_with_schema(db, o->schema ? schema : NULL);
    if (!named) {
        free(shown);
        free(unnamed);
        return diag_set(d, EX_SOFTWARE, NULL, 0, "out of memory");
    }
    x.db_named = named;
    /* The story is told into memory and printed only once complete: a
     * story cut short (the connection to the server lost mid-story, out
     * of memory) printed nothing but the line on stderr, where it left
     * half a story on stdout, and with --json a document that does not
     * parse (qa86). One call's story is small. */
    char *story = NULL;
    size_t story_len = 0;
    FILE *mem = open_memstream(&story, &story_len);
    if (!mem) {
        free(shown);
        free(unnamed);
        free(named);
        return diag_set(d, EX_SOFTWARE, NULL, 0, "out of memory");
    }
    x.f = mem;
    json_init(&x.j, mem);
    int rc = open_db(&x);
    if (rc == 0)
        rc = prepare_all(&x);
    if (rc == 0)
        rc = o->dispatch_id ? explain_dispatch(&x) : ex_explain_source(&x);
    /* Cut by a lost connection: nothing printed, and what to do (the
     * line said libpq's words only; a loss while opening says it already,
     * db_pg_lost_early()). */
    if (rc != 0 && d->exit_code == EX_TEMPFAIL && db_connection_lost(x.db) &&
        !strstr(d->reason, "once the server is back")) {
        char was[sizeof d->reason], file[sizeof d->file];
        const char *lost = "lost the connection to the server: ";
        char *at = strstr(d->reason, lost);
        if (at)
            memmove(at, at + strlen(lost), strlen(at + strlen(lost)) + 1);
        snprintf(was, sizeof was, "%s", d->reason);
        snprintf(file, sizeof file, "%s", d->file);
        diag_set(d, EX_TEMPFAIL, file[0] ? file : NULL, 0, "explain: lost "
                 "the connection to the database server mid-story, nothing "
                 "was printed: run it again once the server is back (%s)",
                 was);
    }
    finish(&x);
    /* Never a document that looks whole but is not: one nested past
     * JSON_MAX_DEPTH stops where it went too deep, and that is an error. */
    if (rc == 0 && x.json && x.j.too_deep)
        rc = diag_set(d, EX_SOFTWARE, NULL, 0, "explain: the JSON document "
                      "nests deeper than %d levels; it is cut short",
                      JSON_MAX_DEPTH);
    bool mem_failed = ferror(mem) != 0;
    if (fclose(mem) != 0)
        mem_failed = true;
    if (rc == 0 && mem_failed)
        rc = diag_set(d, EX_SOFTWARE, NULL, 0, "explain: out of memory "
                      "telling the story; nothing was printed");
    /* Only a whole story reaches stdout; its write is checked below (a
     * full disk: 73; a reader gone, `explain | head`: SIGPIPE's default,
     * README "Batch"). */
    if (rc == 0 && story_len > 0)
        fwrite(story, 1, story_len, stdout);
    free(story);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        if (rc == 0 || diag_worse(d->exit_code, EX_CANTCREAT) != d->exit_code)
            rc = diag_set(d, EX_CANTCREAT, NULL, 0, "standard output: write "
                          "error: %s", strerror(e));
    }
    free(shown);
    free(unnamed);
    free(named);
    return rc;
}
