/* explain_int.h -- what the files of `svcrecon explain` share (private:
 * included by reports/explain*.c only; explain.h is the interface).
 *
 *   explain.c         the command, the read-only connection, the rules and
 *                     the statements; the story of a dispatch
 *   explain_source.c  the story of one row of a feed (--source FILE:LINE)
 *   explain_render.c  how a fact is said: text or JSON (through lib/json)
 *
 * Names shared between these files start with ex_ (curl's Curl_ for
 * cross-file internals); the column enums name the SELECT columns of
 * schemas/queries/explain/, in their order. */
#ifndef SVC_EXPLAIN_INT_H
#define SVC_EXPLAIN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lib/db.h"

#include "lib/diag.h"
#include "lib/json.h"
#include "reports/explain.h"

/* ---- the statements, and the columns of each (in their SELECT order) --- */

enum { Q_SOURCE, Q_VERSIONS, Q_STANDING, Q_REGS, Q_REGEXC, Q_CLOSEOUTS,
       Q_REASONS, Q_SERIAL, Q_REJECTED, Q_REJ_NAMING, Q_REJ_UNREAD,
       Q_REJ_AUDIT, Q_N };
/* Q_REJ_NAMING and Q_REJ_UNREAD read schema version 6's column: prepared
 * only on such a database (ex.rejected_kept); Q_REJ_AUDIT reads version
 * 5's deliveries: prepared only from then on (ex.audit_known). */

enum { F_ID, F_NAME, F_PATH, F_KIND, F_STATUS, F_REASON, F_SHA, F_SIZE,
       F_READ, F_LOADED, F_REJECTED, F_IMPORTED_AT, F_WHAT, F_ROW_ID,
       F_DISPATCH_ID, F_NAME_FILES };
enum { V_ROW_ID, V_FILE, V_LINE, V_IMPORTED_AT, V_DISPATCHED_AT, V_STATUS,
       V_PROVIDER, V_MODEL, V_SERIAL, V_CUSTOMER, V_POSTAL, V_PROBLEM,
       V_CURRENT, V_FILE_TAG };
enum { S_ID, S_SERIAL, S_DISPATCHED_AT, S_DISPATCHED_ON, S_STATUS, S_STATE,
       S_DAYS_OPEN, S_BUCKET, S_ACC_ID, S_ACC_FILE, S_ACC_LINE,
       S_ACC_SUBMITTED, S_ATTEMPTS, S_NONCOMP, S_FILE, S_LINE, S_ACC_TAG,
       S_FILE_TAG };
enum { R_ID, R_FILE, R_LINE, R_IMPORTED_AT, R_DEALER, R_DEALER_NAME,
       R_MODEL, R_SERIAL, R_REGISTERED_ON, R_REMOVED_ON, R_WMP, R_CURRENT,
       R_SUP_FILE, R_SUP_LINE, R_ACTIVE, R_FILE_TAG, R_SUP_TAG };
enum { X_RANK, X_CODE, X_DETAIL };      /* both kinds of reason lists */
enum { C_ID, C_FILE, C_LINE, C_IMPORTED_AT, C_DEALER, C_DISPATCH,
       C_SUBMITTED, C_COMPLETED, C_SERIAL, C_MODEL, C_TECH, C_HOURS,
       C_RESOLUTION, C_PARTS, C_STATE, C_REASON, C_SUP_FILE, C_SUP_LINE,
       C_FILE_TAG, C_SUP_TAG, C_AFTER_AS_OF };
enum { SD_ID, SD_FILE, SD_LINE, SD_DISPATCHED_AT, SD_DISPATCHED_ON,
       SD_STATUS, SD_PROVIDER, SD_MODEL, SD_SERIAL, SD_CHECKED, SD_ACTIVE,
       SD_FILE_TAG };
/* The *_TAG columns: the file's SHA-256 (12 digits) when another imported
 * file has its base name, else NULL; ex_t_loc shows it after FILE:LINE. */
enum { J_REASON, J_RAW };
enum { RN_FILE, RN_LINE, RN_PATH, RN_KIND, RN_SHA, RN_IMPORTED_AT,
       RN_REASON, RN_FILE_ID, RN_RAW };

/* Everything one explain needs, released by finish(). */
struct ex {
    const struct explain_opts *o;
    struct explain_opts *rw;            /* the same, for the default as-of */
    struct db    *db;
    struct db_stmt *q[Q_N];
    FILE         *f;                    /* stdout */
    bool          json;
    struct json   j;                    /* the JSON document, when json */
    struct diag  *d;
    const char   *db_named;             /* the database as messages name
                                         * it, shown safely (ex_show):
                                         * with its schema, as the
                                         * workbooks' Database cell
                                         * (db_named_with_schema) */
    bool          earlier_dated;        /* a superseded version dated on or
                                         * before the as-of (put_versions) */
    bool          rejected_kept;        /* schema 6: rejected rows keep the
                                         * dispatch id they name */
    bool          history_kept;         /* schema 2: report_unclosed */
    bool          audit_known;          /* schema 5: deliveries, the
                                         * night of a file (Q_REJ_AUDIT) */
};

/* ---- facts: stated once, rendered as text or JSON ---------------------- */

enum fact_form {
    FACT_VALUE,      /* text: as is, "(blank)" for NULL; JSON: own type */
    FACT_QUOTED,     /* text: 'quoted' feed text; JSON: own type */
    FACT_NAME,       /* text: a file's 'quoted' name or path as stored
                      * (ex_t_name); JSON: own type */
    FACT_YES_NO,     /* a 0/1 column: text yes/no; JSON true/false/null */
    FACT_FILE_LINE,  /* columns col, col + 1: text FILE:LINE; JSON the two
                      * members "file" and "line" */
    FACT_LOC,        /* the same as one JSON member {file, line} (null when
                      * the file is NULL) */
};

struct fact {
    const char    *key;       /* JSON member; NULL: text only */
    int            col;       /* the column (a location: its file) */
    enum fact_form form;
    const char    *text;      /* text: the words before the value; NULL:
                               * JSON only (the text's sentence says it) */
    const char    *if_null;   /* text instead of words + value when the
                               * column is NULL; NULL: "(blank)" */
};

#define EX_N_FACTS(t) (sizeof (t) / sizeof (t)[0])

/* ---- explain.c: reading ------------------------------------------------- */

/* Resets statement q and clears its bindings; returns it to bind. */
struct db_stmt *ex_use(struct ex *x, int q);
/* Steps statement q: DB_ROW, DB_DONE, or -1 with x->d filled. */
int ex_step(struct ex *x, int q);
/* Steps q for a row that must be there: 0, or -1 with x->d filled (a
 * missing row: EX_SOFTWARE, "WHAT vanished"). */
int ex_step_one(struct ex *x, int q, const char *what);

/* ---- explain.c: the story of a dispatch, and the document --------------- */

int ex_dispatch_known(struct ex *x, const char *dispatch_id, bool *known);
/* The whole story of dispatch_id; the row row_id of its versions, or the
 * closeout mark, is the one --source named (0: none). */
int ex_put_dispatch(struct ex *x, const char *dispatch_id,
                    int64_t row_id, int64_t mark);
/* The current row of Q_CLOSEOUTS with its reasons; JSON: member key. */
int ex_put_closeout(struct ex *x, const char *key, int64_t mark);
/* Closeouts naming dispatch_id (or, with dispatch_id NULL, closeout_id
 * alone), in the order SPEC §3 accepts them. */
int ex_put_closeouts(struct ex *x, const char *dispatch_id,
                     int64_t closeout_id, int64_t mark);
/* Registrations (Q_REGS rows, bound). JSON: each an object named key (an
 * element when NULL). */
int ex_put_registrations(struct ex *x, const char *active_on,
                         int64_t mark, const char *key);
/* The registration exceptions of one dispatch; indent for text. */
int ex_put_reg_exceptions(struct ex *x, const char *dispatch_id,
                          const char *indent);
void ex_begin_document(struct ex *x);
void ex_end_document(struct ex *x);
/* The audit workbook that lists the rejected rows of file_id (Q_REJ_AUDIT,
 * schema 5 on): the sentence on f, or with f NULL the JSON member
 * "audit_as_of". */
int ex_put_rejected_audit(struct ex *x, FILE *f, int64_t file_id);

/* ---- explain_source.c ---------------------------------------------------- */

/* The story of --source FILE:LINE: every row that starts there, or the
 * file itself for line 0; 65 (d) when there is none. */
int ex_explain_source(struct ex *x);

/* ---- explain_render.c ---------------------------------------------------- */

bool ex_is_null(struct db_stmt *st, int col);
/* Text: (s, len) escaped for a terminal; a feed value 'quoted'; a value as
 * is ("(blank)" for NULL); FILE:LINE from two columns. */
void ex_t_text(FILE *f, const char *s, size_t len);
/* ex_t_text for text between '...': a ' in it as \x27. */
void ex_t_qtext(FILE *f, const char *s, size_t len);
void ex_t_name(FILE *f, const char *s, size_t len);
/* ex_t_name for a name between '...': a ' in it as \x27. */
void ex_t_qname(FILE *f, const char *s, size_t len);
/* The name ex_t_name printed as s, malloc'd; NULL when s is no such
 * escaped form (explain_render.c). */
char *ex_t_unname(const char *s, size_t len, size_t *out_len);
void ex_t_q(struct ex *x, struct db_stmt *st, int col);
void ex_t_v(struct ex *x, struct db_stmt *st, int col);
void ex_t_loc(struct ex *x, struct db_stmt *st, int file_col, int line_col);
/* "listed under Rejected rows in audit_A.xlsx" (A: column col of st), or
 * in the next report's when col is NULL: the one sentence both stories
 * say of a rejected row (explain.c, ex_put_rejected_audit). */
void ex_t_rejected_audit(FILE *f, struct db_stmt *st, int col);
/* JSON: a column as its own type; bytes as a base64 string (-1, d set, on
 * out of memory). */
void ex_j_col(struct ex *x, const char *key, struct db_stmt *st, int col);
int ex_j_base64(struct ex *x, const char *key, const unsigned char *p,
                size_t len);
/* The facts of table t from st's current row, in the document's form. */
void ex_put_facts(struct ex *x, struct db_stmt *st, const struct fact *t,
                  size_t n);
/* A row's opening (mark and FILE:LINE / an object with file and line)
 * and its end. */
void ex_open_row(struct ex *x, struct db_stmt *st, int file_col,
                 const char *key, bool marked);
void ex_close_row(struct ex *x, bool marked);
/* Messages on stderr: untrusted text shown safely; append to msg. */
void ex_show(const char *s, size_t len, char *out, size_t size);
/* ex_show for text a message quotes '...': a ' in it as \x27. */
void ex_qshow(const char *s, size_t len, char *out, size_t size);
/* A dispatch id a message names, quotes included: 'ID' up to 60
 * characters; a longer one as 'FIRST...LAST' (N bytes), its first 40 and
 * last 16 characters, so that two long ids that differ only at the end
 * are told apart. out: EX_ID_SHOWN bytes. */
#define EX_ID_SHOWN (4 * 60 + 48)
void ex_qshow_id(const char *s, size_t len, char *out, size_t size);
/* Rejected rows keep the dispatch id they name up to this many bytes
 * (etl/feed.h FEED_MAX_KEPT_ID; '' beyond it). */
#define EX_MAX_KEPT_ID 200
/* A file name for a message, as ex_t_name (quoted: ex_t_qname) prints it,
 * so that --source takes the FILE:LINE back; cut only when out is full. */
void ex_name_show(const char *s, size_t len, bool quoted, char *out,
                  size_t size);
void ex_add(char *msg, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
