/* explain_source.c -- `svcrecon explain --source FILE:LINE`: the story of
 * one row of a feed (a dispatch version, a closeout, a registration, a
 * rejected row), or of the file itself for line 0, with the row marked in
 * the story of its dispatch (explain.c tells that). 65 with the reason
 * when nothing starts at FILE:LINE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "lib/db.h"
#include "lib/diag.h"
#include "lib/json.h"
#include "lib/utf8.h"
#include "reports/explain_int.h"
#include "schemas/sql.h"

/* ---- --source ----------------------------------------------------------- */

/* JSON "closeout": one closeout by id, with its reasons. */
static int put_closeout_object(struct ex *x, int64_t id)
{
    struct db_stmt *st = ex_use(x, Q_CLOSEOUTS);
    db_set_int64(st, ":closeout_id", id);
    if (ex_step_one(x, Q_CLOSEOUTS, "closeout row") != 0)
        return -1;
    if (ex_put_closeout(x, "closeout", id) != 0)
        return -1;
    db_reset(st);
    return 0;
}

/* "version 2 of 3, current" for a dispatch row; into buf. */
static int version_of(struct ex *x, const char *dispatch_id,
                      int64_t row_id, char *buf, size_t size)
{
    struct db_stmt *st = ex_use(x, Q_VERSIONS);
    db_set_text(st, ":dispatch_id", dispatch_id, strlen(dispatch_id));
    int rc, n = 0, at = 0;
    bool current = false;
    while ((rc = ex_step(x, Q_VERSIONS)) == DB_ROW) {
        n++;
        if (db_column_int64(st, V_ROW_ID) == row_id) {
            at = n;
            current = (int)db_column_int64(st, V_CURRENT) != 0;
        }
    }
    snprintf(buf, size, "version %d of %d, %s", at, n,
             current ? "current" : "superseded");
    return rc == DB_DONE ? 0 : -1;
}

/* The file a --source row was read from (Q_SOURCE): JSON members of
 * "source"; text, the line under a result's heading. */
static const struct fact source_file_facts[] = {
    {"path",        F_PATH,        FACT_NAME,   "   file ", NULL},
    {"kind",        F_KIND,        FACT_VALUE,  " (", NULL},
    {"file_status", F_STATUS,      FACT_VALUE,  ", ", NULL},
    {"imported_at", F_IMPORTED_AT, FACT_VALUE,  "), imported ", NULL},
};

/* The first twelve digits of the file's SHA-256 when another imported
 * file has its base name (an inbox's dispatches.csv every night, at one
 * path): each result then says which file its row is, as the stories'
 * locations and the workbooks' SHA-256 columns do (qa81); NULL otherwise,
 * however FILE was given. */
static const char *source_sha_tag(struct ex *x)
{
    struct db_stmt *s = x->q[Q_SOURCE];
    if (db_column_int64(s, F_NAME_FILES) < 2 || ex_is_null(s, F_SHA) ||
        db_column_bytes(s, F_SHA) < 12)
        return NULL;
    return db_column_text(s, F_SHA);
}

/* The "what" and "source" members / the heading "source FILE:LINE: ". */
static void put_source_head(struct ex *x, const char *what)
{
    struct db_stmt *s = x->q[Q_SOURCE];
    if (x->json) {
        json_str(&x->j, "what", what);
        json_open(&x->j, "source", '{');
        ex_j_col(x, "file", s, F_NAME);
        json_int(&x->j, "line", x->o->source_line);
        const char *tag = source_sha_tag(x);
        if (tag)
            json_strn(&x->j, "sha256_12", tag, 12);
        ex_put_facts(x, s, source_file_facts, EX_N_FACTS(source_file_facts));
        json_close(&x->j, '}');
        return;
    }
    fputs("source ", x->f);
    ex_t_name(x->f, db_column_text(s, F_NAME) ? db_column_text(s, F_NAME) : "",
              (size_t)db_column_bytes(s, F_NAME));
    fprintf(x->f, ":%ld: ", x->o->source_line);
}

/* Text: the heading's second half, then the file's line. */
static void say_source(struct ex *x, const char *what)
{
    fputs(what, x->f);
    ex_put_facts(x, x->q[Q_SOURCE], source_file_facts,
              EX_N_FACTS(source_file_facts));
    const char *tag = source_sha_tag(x);
    if (tag)
        fprintf(x->f, ", SHA-256 %.12s", tag);
    fputs("\n\n", x->f);
}

static int source_dispatch(struct ex *x)
{
    struct db_stmt *s = x->q[Q_SOURCE];
    const char *id = db_column_text(s, F_DISPATCH_ID);
    int64_t row = db_column_int64(s, F_ROW_ID);
    put_source_head(x, "dispatch");
    if (!x->json) {
        char v[96];
        if (version_of(x, id, row, v, sizeof v) != 0)
            return -1;
        fputs("dispatch ", x->f);
        ex_t_q(x, s, F_DISPATCH_ID);
        fprintf(x->f, ", %s\n", v);
        say_source(x, "");
    }
    return ex_put_dispatch(x, id, row, 0);
}

static int source_closeout(struct ex *x)
{
    struct db_stmt *s = x->q[Q_SOURCE];
    const char *id = db_column_text(s, F_DISPATCH_ID);
    int64_t row = db_column_int64(s, F_ROW_ID);
    bool known = false;
    if (id[0] && ex_dispatch_known(x, id, &known) != 0)
        return -1;
    put_source_head(x, "closeout");
    if (x->json) {
        /* The closeout alone, then its dispatch's story (null when the
         * dispatch id is blank or was never imported). */
        if (put_closeout_object(x, row) != 0)
            return -1;
        if (!known) {
            json_null(&x->j, "dispatch");
            return 0;
        }
        return ex_put_dispatch(x, id, 0, row);
    }
    fputs("closeout ", x->f);
    if (!id[0]) {
        fputs("with a blank dispatch id\n", x->f);
    } else {
        fputs("of dispatch ", x->f);
        ex_t_q(x, s, F_DISPATCH_ID);
        fputs(known ? "\n" : ", which was never imported\n", x->f);
    }
    say_source(x, "");
    if (known)
        return ex_put_dispatch(x, id, 0, row);
    fputs("closeout:\n", x->f);
    return ex_put_closeouts(x, NULL, row, row);
}

static const struct fact serial_dispatch_head[] = {
    {"dispatch_id", SD_ID,   FACT_QUOTED,    "   ", NULL},
    {"file",        SD_FILE, FACT_FILE_LINE, " at ", NULL},
};
static const struct fact serial_dispatch_facts[] = {
    {"dispatched_at", SD_DISPATCHED_AT, FACT_VALUE,  "\n      dispatched ",
                                                     NULL},
    {"status",        SD_STATUS,        FACT_VALUE,  ", ", NULL},
    {"provider_id",   SD_PROVIDER,      FACT_QUOTED, ", provider ", NULL},
    {"model",         SD_MODEL,         FACT_QUOTED, ", model ", NULL},
    {"serial_number", SD_SERIAL,        FACT_QUOTED, ", serial ", NULL},
    {"checked",       SD_CHECKED,       FACT_YES_NO, NULL, NULL},
    {"registration_active", SD_ACTIVE,  FACT_YES_NO, NULL, NULL},
};

/* One row of Q_SERIAL: a dispatch of the registration's serial and the
 * exceptions it was given. */
static int put_serial_dispatch(struct ex *x)
{
    struct db_stmt *st = x->q[Q_SERIAL];
    bool checked = (int)db_column_int64(st, SD_CHECKED) != 0;
    if (x->json)
        json_open(&x->j, NULL, '{');
    ex_put_facts(x, st, serial_dispatch_head, EX_N_FACTS(serial_dispatch_head));
    if (!x->json && !checked) {
        fputs("  dispatched after the as-of date, not checked", x->f);
    } else if (!x->json) {
        fprintf(x->f, "  registration %s on ",
                (int)db_column_int64(st, SD_ACTIVE) ? "active" : "not active");
        ex_t_v(x, st, SD_DISPATCHED_ON);
    }
    ex_put_facts(x, st, serial_dispatch_facts,
                 EX_N_FACTS(serial_dispatch_facts));
    if (!x->json)
        fputc('\n', x->f);
    if (checked) {
        if (ex_put_reg_exceptions(x, db_column_text(st, SD_ID), "      ") != 0)
            return -1;
    } else if (x->json) {
        json_open(&x->j, "registration_exceptions", '[');
        json_close(&x->j, ']');
    }
    if (x->json)
        json_close(&x->j, '}');
    return 0;
}

static int source_registration(struct ex *x)
{
    int64_t row = db_column_int64(x->q[Q_SOURCE], F_ROW_ID);
    put_source_head(x, "registration");
    if (!x->json) {
        say_source(x, "registration\n");
        fputs("registration:\n", x->f);
    }
    struct db_stmt *r = ex_use(x, Q_REGS);
    db_set_int64(r, ":registration_id", row);
    if (ex_put_registrations(x, NULL, row, "registration") != 0)
        return -1;

    struct db_stmt *st = ex_use(x, Q_SERIAL);
    db_set_int64(st, ":registration_id", row);
    if (x->json)
        json_open(&x->j, "dispatches", '[');
    else
        fputs("\ndispatches of this serial (current versions, in order "
              "dispatched):\n", x->f);
    int rc, n = 0;
    while ((rc = ex_step(x, Q_SERIAL)) == DB_ROW) {
        n++;
        if (put_serial_dispatch(x) != 0)
            return -1;
    }
    if (rc != DB_DONE)
        return -1;
    if (x->json)
        json_close(&x->j, ']');
    else if (n == 0)
        fputs("   none\n", x->f);
    return 0;
}

static const struct fact rejected_facts[] = {
    {"reason", J_REASON, FACT_VALUE, "reason: ", NULL},
};

/* The audit workbook that lists the rejected row, said as the story of a
 * dispatch says it of the rejected rows naming it (explain.c,
 * ex_put_rejected_audit). Nothing on a database older than schema 5,
 * which keeps no delivery. */
static int put_rejected_audit(struct ex *x)
{
    if (!x->audit_known)
        return 0;
    if (!x->json)
        fputc('\n', x->f);
    return ex_put_rejected_audit(x, x->json ? NULL : x->f,
                                 db_column_int64(x->q[Q_SOURCE], F_ID));
}

static int source_rejected(struct ex *x)
{
    struct db_stmt *s = x->q[Q_SOURCE];
    struct db_stmt *st = ex_use(x, Q_REJECTED);
    db_set_int64(st, ":rejected_id", db_column_int64(s, F_ROW_ID));
    if (ex_step_one(x, Q_REJECTED, "rejected row") != 0)
        return -1;
    const char *raw = db_column_blob(st, J_RAW);
    size_t len = db_column_bytes(st, J_RAW);
    if (!raw)
        raw = "";
    put_source_head(x, "rejected_row");
    if (x->json) {
        json_open(&x->j, "rejected_row", '{');
        ex_j_col(x, "file", s, F_NAME);
        json_int(&x->j, "line", x->o->source_line);
        ex_put_facts(x, st, rejected_facts, EX_N_FACTS(rejected_facts));
        if (put_rejected_audit(x) != 0)
            return -1;
        json_strn(&x->j, "raw", raw, len);
        json_bool(&x->j, "raw_utf8", utf8_valid(raw, len, NULL));
        if (ex_j_base64(x, "raw_base64", (const unsigned char *)raw, len) != 0)
            return -1;
        json_close(&x->j, '}');
    } else {
        say_source(x, "rejected row\n");
        ex_put_facts(x, st, rejected_facts, EX_N_FACTS(rejected_facts));
        if (put_rejected_audit(x) != 0)
            return -1;
        fputs("\nraw record: ", x->f);
        ex_t_text(x->f, raw, len);
        fputc('\n', x->f);
    }
    db_reset(st);
    return 0;
}

/* The whole file (line 0): JSON members of "file", in this order. */
static const struct fact file_meta_facts[] = {
    {"file",   F_NAME,   FACT_VALUE, NULL, NULL},
    {"path",   F_PATH,   FACT_VALUE, NULL, NULL},
    {"kind",   F_KIND,   FACT_VALUE, NULL, NULL},
    {"status", F_STATUS, FACT_VALUE, NULL, NULL},
};
static const struct fact file_refusal_facts[] = {
    {"reason", F_REASON, FACT_VALUE, "refused: ", NULL},
};
static const struct fact file_count_facts[] = {
    {"rows_read",     F_READ,     FACT_VALUE, "rows read ", NULL},
    {"rows_loaded",   F_LOADED,   FACT_VALUE, " = loaded ", NULL},
    {"rows_rejected", F_REJECTED, FACT_VALUE, " + rejected ", NULL},
};
static const struct fact file_bytes_facts[] = {
    {"sha256",      F_SHA,         FACT_VALUE, "\nsha256 ", NULL},
    {"size_bytes",  F_SIZE,        FACT_VALUE, ", ", NULL},
    {"imported_at", F_IMPORTED_AT, FACT_VALUE, NULL, NULL},
};

/* Line 0: the whole file, loaded or refused. */
static int source_file(struct ex *x)
{
    struct db_stmt *s = x->q[Q_SOURCE];
    bool refused = strcmp(db_column_text(s, F_STATUS), "refused") == 0;
    put_source_head(x, "file");
    if (x->json) {
        json_open(&x->j, "file", '{');
        ex_put_facts(x, s, file_meta_facts, EX_N_FACTS(file_meta_facts));
        ex_put_facts(x, s, file_refusal_facts, EX_N_FACTS(file_refusal_facts));
        ex_put_facts(x, s, file_count_facts, EX_N_FACTS(file_count_facts));
        ex_put_facts(x, s, file_bytes_facts, EX_N_FACTS(file_bytes_facts));
        json_close(&x->j, '}');
        return 0;
    }
    say_source(x, refused ? "whole file, refused\n" : "whole file, loaded\n");
    if (refused) {
        ex_put_facts(x, s, file_refusal_facts, EX_N_FACTS(file_refusal_facts));
        fputs("\nnothing of it was loaded", x->f);
    } else {
        ex_put_facts(x, s, file_count_facts, EX_N_FACTS(file_count_facts));
    }
    ex_put_facts(x, s, file_bytes_facts, EX_N_FACTS(file_bytes_facts));
    fputs(" bytes\n", x->f);
    return 0;
}

/* No imported file has FILE's name or path, but a delivery had it (the
 * audit workbook lists it): what became of it, into d (65). 1 when told,
 * 0 when no delivery had the name (or the database predates deliveries). */
static int delivery_told(struct ex *x, const char *file, const char *qfile,
                         const char *db)
{
    const struct explain_opts *o = x->o;
    struct db_stmt *q;
    struct diag none = {0};          /* no delivery table: nothing to tell */
    if (db_prepare(x->db, sql_q_explain_delivery, &q, &none, "") != 0)
        return 0;
    db_set_text(q, ":file", o->source_file, o->source_file_len);
    int told = 0;
    if (db_step(q, NULL, NULL) == DB_ROW) {
        char why[512], when[64], same[256], qsame[256], at[64];
        const char *status = db_column_text(q, 0);
        /* The reason whole (svcrecon's own words, with what to do since
         * fix77), not cut at 60 characters as a feed's value is shown:
         * "cannot open: not a regular file; deliver it as a readable, r..." */
        utf8_show(db_column_text(q, 1), (size_t)db_column_bytes(q, 1), 200,
                  why, sizeof why);
        ex_show(db_column_text(q, 2), db_column_bytes(q, 2), when,
                sizeof when);
        if (strcmp(status, "unreadable") == 0) {
            diag_set(x->d, EX_DATAERR, NULL, 0, "--source %s:%ld: '%s' was "
                     "delivered %s but could not be read (%s): nothing of it "
                     "is in %s", file, o->source_line, qfile, when, why, db);
            told = 1;
        } else if (!ex_is_null(q, 3)) {
            ex_name_show(db_column_text(q, 3), db_column_bytes(q, 3), false,
                         same, sizeof same);
            ex_name_show(db_column_text(q, 3), db_column_bytes(q, 3), true,
                         qsame, sizeof qsame);
            ex_show(db_column_text(q, 4), db_column_bytes(q, 4), at,
                    sizeof at);
            diag_set(x->d, EX_DATAERR, NULL, 0, "--source %s:%ld: '%s' was "
                     "delivered %s and %s: the same bytes as '%s', imported "
                     "%s, so its rows are that file's; explain --source "
                     "%s:%ld tells them", file, o->source_line, qfile, when,
                     status, qsame, at, same, o->source_line);
            told = 1;
        }
    }
    db_finalize(q);
    return told;
}

/* The line where the record holding --source's LINE starts, when LINE is
 * a continuation line of a loaded row's record (a quoted field with line
 * breaks): the nearest row before LINE, if LINE is within the line breaks
 * of its stored fields. 0 when not, or on any database trouble: the
 * message then goes without it (a hint; the answer, "no row starts
 * there", stands). Never a guess: the breaks counted are ones the record
 * had (q_explain_source_before.sql). */
static long row_around(struct ex *x)
{
    struct db_stmt *q;
    struct diag none = {0};
    if (db_prepare(x->db, sql_q_explain_source_before, &q, &none, "") != 0)
        return 0;
    db_set_text(q, ":file", x->o->source_file, x->o->source_file_len);
    db_set_int64(q, ":line", x->o->source_line);
    long found = 0;
    while (!found && db_step(q, NULL, NULL) == DB_ROW) {
        long start = (long)db_column_int64(q, 0);
        const char *txt = db_column_text(q, 1);
        int len = db_column_bytes(q, 1);
        long breaks = 0;
        for (int k = 0; txt && k < len; k++)   /* LF, CR LF, a CR alone */
            breaks += txt[k] == '\n' ||
                      (txt[k] == '\r' && (k + 1 == len || txt[k + 1] != '\n'));
        if (start < x->o->source_line && x->o->source_line <= start + breaks)
            found = start;
    }
    db_finalize(q);
    return found;
}

static int source_not_found(struct ex *x, int files, const char *refused)
{
    const struct explain_opts *o = x->o;
    char file[256], qfile[256];
    const char *db = x->db_named;     /* shown safely (explain_run) */
    /* FILE as explain prints a name, so that the FILE:LINE said below is
     * taken back as printed (fix63). */
    ex_name_show(o->source_file, o->source_file_len, false, file,
                 sizeof file);
    ex_name_show(o->source_file, o->source_file_len, true, qfile,
                 sizeof qfile);
    if (files == 0 && delivery_told(x, file, qfile, db))
        return -1;
    /* Say how FILE is written, whatever was given: a name in another
     * letter case or a path written another way is the usual slip. */
    if (files == 0)
        return diag_set(x->d, EX_DATAERR, NULL, 0, "--source %s:%ld: no "
                        "imported file named '%s' in %s (give FILE as the "
                        "workbooks' Source file or File column shows it, "
                        "the base name, letter case included, or as the "
                        "path exactly as given to import or run)", file,
                        o->source_line, qfile, db);
    if (refused) {
        char why[256];
        ex_show(refused, strlen(refused), why, sizeof why);
        return diag_set(x->d, EX_DATAERR, NULL, 0, "%s:%ld: no row: the "
                        "file was refused whole, nothing of it was loaded "
                        "(%s); --source %s:0 shows the refusal", file,
                        o->source_line, why, file);
    }
    long start = o->source_line > 1 ? row_around(x) : 0;
    if (start > 0)
        return diag_set(x->d, EX_DATAERR, NULL, 0, "%s:%ld: no row starts "
                        "at line %ld: it is inside the record that starts at "
                        "line %ld (a quoted field of it runs over several "
                        "lines; a row is named by the physical line where "
                        "its record starts): explain --source %s:%ld tells "
                        "it", file, o->source_line, o->source_line, start,
                        file, start);
    return diag_set(x->d, EX_DATAERR, NULL, 0, "%s:%ld: no row starts at "
                    "line %ld%s", file, o->source_line, o->source_line,
                    o->source_line == 1 ? " (line 1 is the header)" :
                    " (a row is named by the physical line where its "
                    "record starts; blank lines and the header start "
                    "none)");
}

/* Binds Q_SOURCE to FILE:LINE. */
static struct db_stmt *use_source(struct ex *x)
{
    struct db_stmt *s = ex_use(x, Q_SOURCE);
    db_set_text(s, ":file", x->o->source_file, x->o->source_file_len);
    db_set_int64(s, ":line", x->o->source_line);
    return s;
}

/* A first pass over FILE:LINE's rows: is there anything to tell? 65 with
 * the reason when not. */
static int source_found(struct ex *x)
{
    const struct explain_opts *o = x->o;
    struct db_stmt *s = use_source(x);
    int rc, files = 0, hits = 0, loaded = 0;
    char *refused = NULL;
    /* No file named FILE, but FILE is how explain prints another name (a
     * newline in it as \x0A): that name, so the FILE:LINE explain printed
     * can be given back (qa59). The name as given is tried first: of two
     * names printed alike, it is the one printed as is. */
    if (o->source_unnamed) {
        const char *given = o->source_file;
        size_t given_len = o->source_file_len;
        rc = ex_step(x, Q_SOURCE);
        if (rc < 0)
            return -1;
        if (rc == DB_DONE) {
            x->rw->source_file = o->source_unnamed;
            x->rw->source_file_len = o->source_unnamed_len;
            use_source(x);
            if ((rc = ex_step(x, Q_SOURCE)) < 0)
                return -1;
            if (rc == DB_DONE) {            /* neither: said as given */
                x->rw->source_file = given;
                x->rw->source_file_len = given_len;
            }
        }
        s = use_source(x);
    }
    while ((rc = ex_step(x, Q_SOURCE)) == DB_ROW) {
        files++;
        if (!ex_is_null(s, F_WHAT) || o->source_line == 0)
            hits++;
        if (strcmp(db_column_text(s, F_STATUS), "refused") != 0)
            loaded++;
        else if (!refused && !(refused = strdup(db_column_text(s, F_REASON))))
            rc = diag_set(x->d, EX_SOFTWARE, NULL, 0, "out of memory");
    }
    if (rc == DB_DONE && hits == 0)
        rc = source_not_found(x, files, loaded ? NULL :
                              refused ? refused : "");
    free(refused);
    return rc == DB_DONE ? 0 : -1;
}

/* One result of --source: what the row at FILE:LINE is. */
static int source_result(struct ex *x, const char *what)
{
    if (!what)
        return source_file(x);
    if (strcmp(what, "dispatch") == 0)
        return source_dispatch(x);
    if (strcmp(what, "closeout") == 0)
        return source_closeout(x);
    if (strcmp(what, "registration") == 0)
        return source_registration(x);
    return source_rejected(x);
}

int ex_explain_source(struct ex *x)
{
    if (source_found(x) != 0)
        return -1;
    ex_begin_document(x);
    struct db_stmt *s = use_source(x);
    int rc, n = 0;
    while ((rc = ex_step(x, Q_SOURCE)) == DB_ROW) {
        const char *what = ex_is_null(s, F_WHAT) ? NULL
                                                 : db_column_text(s, F_WHAT);
        if (!what && x->o->source_line != 0)
            continue;
        if (x->json)
            json_open(&x->j, NULL, '{');
        else if (n > 0)
            fputc('\n', x->f);
        n++;
        if (source_result(x, what) != 0)
            return -1;
        if (x->json)
            json_close(&x->j, '}');
    }
    if (rc != DB_DONE)
        return -1;
    ex_end_document(x);
    return 0;
}

