/* db_pg.c -- lib/db.h on PostgreSQL, over libpq (issue 17, SPEC §5).
 *
 * The same SQL texts as on SQLite (schemas/), with three things done here
 * so that callers never know which back end they talk to:
 * - ":name" parameters become "$n" (db_pg_rewrite); the server infers each
 *   parameter's type from where it stands, and every value is sent as text
 *   (a blob in binary), so a bound integer meets an INTEGER column as on
 *   SQLite;
 * - a statement that returns rows (SELECT, WITH, VALUES) is read through a
 *   server-side cursor, FETCH_ROWS rows at a time: memory stays flat however
 *   long the listing, and, unlike libpq's single-row mode, several cursors
 *   may be open at once on one connection, as callers walk several
 *   statements side by side (SQLite allows that too);
 * - a one-row INSERT ... VALUES gets ON CONFLICT DO NOTHING, and "no row
 *   inserted" is DB_UNIQUE: on PostgreSQL an error ends the transaction,
 *   while the loader meets a repeated key inside its file's transaction and
 *   goes on (SQLite's UNIQUE error leaves the transaction open).
 * Errors are classified by SQLSTATE (fail()); a password is never printed:
 * the display name leaves it out and every libpq message is masked. */
#include "lib/db_pg.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/testhook.h"

#define FETCH_ROWS 256           /* rows a cursor fetches at a time */
#define DEFAULT_SCHEMA DB_DEFAULT_SCHEMA

struct db_pg {
    PGconn      *conn;
    enum db_mode mode;
    char        *display;        /* the URI without its password */
    char        *reached;        /* what it connected to (reached_name) */
    char        *password;       /* masked out of messages; NULL = none */
    char        *schema;         /* as given (a checked identifier) */
    int64_t      lock_key;       /* the run lock's advisory key */
    bool         locked;         /* this session holds the run lock */
    unsigned     next_name;      /* statement and cursor names */
    unsigned     tx_gen;         /* +1 at every transaction start and end */
};

struct db_pg_stmt {
    struct db_pg *db;
    char        *sql;            /* with $n */
    char       **names;          /* ":name" of $1, $2, ... */
    int          n_params;
    char       **values;         /* text (or blob bytes); NULL = SQL NULL */
    int         *lengths;
    int         *formats;        /* 0 text, 1 binary (blobs) */
    char         name[24];       /* server-side statement; "" = not yet */
    char         cursor[24];
    bool         returns_rows;   /* read through a cursor */
    bool         unique_by_count;/* ON CONFLICT DO NOTHING appended */
    bool         cursor_open;
    bool         cursor_hold;    /* WITH HOLD: survives the transaction */
    unsigned     cursor_gen;     /* db->tx_gen when declared */
    bool         exhausted;      /* the last fetch was short: no more */
    bool         done;           /* stepped to DB_DONE, until reset */
    PGresult    *res;            /* current batch (or the result) */
    PGresult    *desc;           /* its columns before a step; NULL = not
                                  * asked yet */
    int          row;            /* current row in res, -1 = before */
    int64_t      changes;
    unsigned char **blobs;       /* decoded bytea of the current row */
    size_t       *blob_lens;
    int          n_blobs;
};

/* ---- names and messages -------------------------------------------------- */

bool db_pg_is_uri(const char *target)
{
    return target && (strncmp(target, "postgresql://", 13) == 0 ||
                      strncmp(target, "postgres://", 11) == 0);
}

/* A URI query parameter's key (up to '=') is key (lower case) once
 * percent-decoded, as libpq decodes it, in any letter case: libpq reads
 * no "PASSWORD=" (it refuses the URI), but what follows it is a user's
 * secret all the same, and was shown (QA pass 41). */
static bool param_is(const char *p, size_t n, const char *key)
{
    size_t k = 0;
    for (size_t i = 0; i < n && p[i] != '='; i++, k++) {
        int c = (unsigned char)p[i];
        if (c == '%' && i + 2 < n && isxdigit((unsigned char)p[i + 1]) &&
            isxdigit((unsigned char)p[i + 2])) {
            char hex[3] = {p[i + 1], p[i + 2], '\0'};
            c = (int)strtol(hex, NULL, 16);
            i += 2;
        }
        if (key[k] == '\0' || key[k] != tolower(c))
            return false;
    }
    return key[k] == '\0';
}

/* The last '@' from at (one) up to the query's '?'. */
static const char *last_at(const char *at)
{
    const char *end = at + 1 + strcspn(at + 1, "?");
    for (const char *p = at + 1; p < end; p++)
        if (*p == '@')
            at = p;
    return at;
}

/* The password of target's user part, as the user wrote it: *colon and
 * *at bound it (both NULL when there is none). */
static void user_password(const char *target, const char **colon,
                          const char **at_out)
{
    const char *auth = strstr(target, "://") + 3;
    size_t n_user = strcspn(auth, "@/");
    const char *at = auth[n_user] == '@' ? auth + n_user : NULL;
    while (at) {                     /* a host name holds no '@' */
        size_t h = strcspn(at + 1, "@/?");
        if (at[1 + h] != '@')
            break;
        at += 1 + h;
    }
    if (at && memchr(auth, ':', (size_t)(at - auth)))
        /* "u:p@ss/word@/db": an '@' then a '/' in the password. libpq
         * sends "p", takes "ss" for the host and "word@/db" for the
         * database, and "ss/word" was shown in messages and the summary
         * (qa74). The last '@' before the query ends the user part, as
         * in the case below; a database name holding an '@' is then read
         * as a password's tail (the safe side: "%40" names it). */
        at = last_at(at);
    if (!at && auth[n_user] == '/' && memchr(auth, ':', n_user)) {
        /* "u:pa/ss@h/db": a '/' in the password (base64 has them) ends
         * libpq's look for the '@'; it reads "u:pa" as host and port and
         * fails ("invalid integer value "pa" for ... port"). The last '@'
         * after the '/' and before the query ends the user part:
         * "u:Ab3/x@ySECRET@/db" kept "ySECRET" out of the password (QA
         * pass 41), "u:a/b@c/SECRET@/db" "c/SECRET" (qa74), and so in
         * messages and the summary. */
        const char *path = auth + n_user;
        at = memchr(path, '@', strcspn(path, "?"));
        if (at)
            at = last_at(at);
    }
    *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    *at_out = *colon ? at : NULL;
}

/* Mirrors libpq's reading of a URI (conninfo_uri_parse_options), which
 * a password the user did not percent-encode reaches too: the user part
 * ends at an '@' that comes before the first '/' ('?' and '#' are
 * password characters to libpq, not the query's start: "u:pa?ss@h/db"
 * connects with the password "pa?ss"); an '@' in the host part that
 * follows moves the end on ("u:p@ss@h/db": libpq takes "p" and fails on
 * the host "ss@h", and "ss" is the password's too), and one after a '/'
 * when a ':' comes before it ("u:pa/ss@h/db", user_password). The query's
 * parameters are split at '&' alone (libpq has no #fragment), and a
 * password= or sslpassword= one is left out, its key percent-decoded as
 * libpq decodes it. */
/* Whether URI query parameter p (n bytes) after a password= parameter
 * is the password's own tail: an '&' in the password not percent-encoded
 * ("password=Secret&Tail99"), which libpq then refuses as a parameter,
 * quoting it ('missing key/value separator "=" in URI query parameter:
 * "Tail99"'). One without '=' can be nothing else; one with '='
 * ("&nosuch=1") is taken for the parameter it reads as, shown and named
 * in libpq's refusal (qa9's decision, tests/e2e/t7400): a password must
 * have its '&' encoded (%26), README "PostgreSQL". */
static bool is_password_tail(const char *p, size_t n)
{
    return !memchr(p, '=', n);
}

/* Whether uri has a password= or sslpassword= parameter followed by a
 * tail of it (is_password_tail). */
static bool has_password_tail(const char *uri)
{
    bool after = false;
    for (const char *p = strchr(uri, '?'); p && *p; ) {
        p++;
        size_t n = strcspn(p, "&");
        if (param_is(p, n, "password") || param_is(p, n, "sslpassword"))
            after = true;
        else if (after && is_password_tail(p, n))
            return true;
        else
            after = false;
        p += n;
    }
    return false;
}

char *db_pg_mask_uri(const char *target)
{
    size_t len = strlen(target);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    const char *colon, *at;
    user_password(target, &colon, &at);
    size_t o = 0;
    const char *p = target;
    if (colon) {                             /* user:password@ -> user@ */
        memcpy(out, target, (size_t)(colon - target));
        o = (size_t)(colon - target);
        p = at;
    }
    /* up to the query, then each parameter but the passwords */
    size_t head = strcspn(p, "?");
    memcpy(out + o, p, head);
    o += head;
    p += head;
    char sep = '?';
    bool in_password = false;
    while (*p == '?' || *p == '&') {
        p++;
        size_t n = strcspn(p, "&");
        if (param_is(p, n, "password") || param_is(p, n, "sslpassword"))
            in_password = true;
        else if (!in_password || !is_password_tail(p, n)) {
            in_password = false;
            out[o++] = sep;
            memcpy(out + o, p, n);
            o += n;
            sep = '&';
        }
        p += n;
    }
    out[o] = '\0';
    return out;
}

/* svcrecon's sessions run with libpq's error verbosity VERBOSE (see
 * connect_verbose): its messages then carry the SQLSTATE after the
 * severity ("FATAL:  57P03: the database system is starting up") and a
 * "LOCATION:" line naming the server's source. The code is the only
 * reliable word on a failed connection or a session the server ended --
 * libpq keeps no result with fields for either, and the text is in the
 * server's language. The length of the code at p (5 + ": "), or 0. */
static size_t sqlstate_at(const char *p, const char *start)
{
    if (p - start < 3 || strncmp(p - 3, ":  ", 3) != 0)
        return 0;
    for (int i = 0; i < 5; i++)
        if (!(isdigit((unsigned char)p[i]) || isupper((unsigned char)p[i])))
            return 0;
    return strncmp(p + 5, ": ", 2) == 0 ? 7 : 0;
}

/* Whether libpq's message msg holds SQLSTATE state (see sqlstate_at). */
static bool says_state(const char *msg, const char *state)
{
    for (const char *p = msg ? strstr(msg, state) : NULL; p;
         p = strstr(p + 1, state))
        if (sqlstate_at(p, msg))
            return true;
    return false;
}

/* Whether msg holds a SQLSTATE other than those of the list ("" ends it). */
static bool says_other_state(const char *msg, const char *const *states)
{
    for (const char *p = msg ? msg : ""; *p; p++) {
        if (!sqlstate_at(p, msg))
            continue;
        bool listed = false;
        for (int i = 0; states[i][0]; i++)
            listed = listed || strncmp(p, states[i], 5) == 0;
        if (!listed)
            return true;
    }
    return false;
}

/* A byte of a word: a letter, a digit, '_', or a byte of a multi-byte
 * UTF-8 character. */
static bool word_byte(unsigned char c)
{
    return isalnum(c) || c == '_' || c >= 0x80;
}

/* Whether the password pw (pwlen bytes) stands at p in msg (from start):
 * anywhere, when it has 4 bytes or more; a shorter one only as a whole
 * token -- not glued to a word byte on a side where its own edge is one
 * -- so that a password "s" masks "s" in 'password=s' or 'user "s"',
 * never the s of every word ("connection to ***erver on ***ocket ...
 * doe*** not exi***t", which also hid the words' hint; fix78). A short
 * password inside a longer word is not that password written. */
static bool password_at(const char *start, const char *p, const char *pw,
                        size_t pwlen)
{
    if (strncmp(p, pw, pwlen) != 0)
        return false;
    if (pwlen >= 4)
        return true;
    bool glued_before = p > start && word_byte((unsigned char)p[-1]) &&
                        word_byte((unsigned char)pw[0]);
    bool glued_after = word_byte((unsigned char)p[pwlen]) &&
                       word_byte((unsigned char)pw[pwlen - 1]);
    return !glued_before && !glued_after;
}

/* libpq's words, on one line, with the password (if any) masked, and
 * without what the VERBOSE error verbosity adds (the SQLSTATE and the
 * LOCATION line): the words read as libpq's default ones. */
static void pg_words(const struct db_pg *db, const char *msg, char *out,
                     size_t size)
{
    size_t o = 0;
    const char *pw = db ? db->password : NULL;
    size_t pwlen = pw ? strlen(pw) : 0;
    const char *start = msg ? msg : "";
    for (const char *p = start; *p && o + 4 < size;) {
        size_t code = sqlstate_at(p, start);
        if (code) {
            p += code;
            continue;
        }
        if (pwlen && password_at(start, p, pw, pwlen)) {
            o += (size_t)snprintf(out + o, size - o, "***");
            p += pwlen;
            continue;
        }
        if (*p == '\n') {
            /* libpq indents its continuation lines ("\n\tIs the server
             * running ..."): one "; " for the break and the indent. */
            p++;
            while (*p == '\t' || *p == ' ')
                p++;
            while (strncmp(p, "LOCATION:  ", 11) == 0) {
                p += strcspn(p, "\n");
                while (*p == '\n' || *p == '\t' || *p == ' ')
                    p++;
            }
            if (*p)
                out[o++] = ';', out[o++] = ' ';
            continue;
        }
        out[o++] = *p == '\t' ? ' ' : *p;
        p++;
    }
    out[o < size ? o : size - 1] = '\0';
    while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == ';'))
        out[--o] = '\0';
}

static int query_value(struct db_pg *db, const char *sql, const char *param,
                       char *out, size_t size, struct diag *d,
                       const char *what);

/* After a lock timeout (55P03): the other sessions that hold a lock on a
 * table of svcrecon's schema, in words ("" when none is seen). The failed
 * statement's transaction is rolled back first -- it is aborted anyway
 * and no query runs in it; the caller's rollback then finds none. Only
 * locks stronger than a plain read's (ACCESS SHARE blocks none of
 * svcrecon's statements but a schema upgrade): LOCK TABLE, an UPDATE or
 * DELETE, SELECT ... FOR UPDATE left open by an analyst's psql, say;
 * the plain readers only when no such lock is held (they then hold up
 * the upgrade's ALTER TABLE).
 * Another login's session hides its state and times (no
 * pg_read_all_stats): its pid, user and application are still named. */
static void lock_conflicts(struct db_pg *db, char *who, size_t size)
{
    who[0] = '\0';
    if (PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
        db->tx_gen++;
        PQclear(PQexec(db->conn, "ROLLBACK"));
    }
    if (query_value(db,
            "WITH held AS ("
            " SELECT l.pid, l.mode, c.relname"
            "  FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation"
            "  JOIN pg_namespace AS n ON n.oid = c.relnamespace"
            " WHERE n.nspname = $1 AND l.granted AND c.relkind IN ('r', 'p')"
            "   AND l.pid <> pg_backend_pid()),"
            " strong AS (SELECT * FROM held"
            "             WHERE mode <> 'AccessShareLock'),"
            " named AS (SELECT * FROM strong UNION ALL"
            "            SELECT * FROM held"
            "             WHERE NOT EXISTS (SELECT 1 FROM strong))"
            "SELECT string_agg(w, '; ' ORDER BY w) FROM ("
            " SELECT format('pid %s of user ''%s''%s%s, holding %s',"
            "  a.pid, a.usename,"
            "  CASE WHEN a.application_name = '' THEN '' ELSE"
            "   format(' (application ''%s'')', a.application_name) END,"
            "  CASE WHEN a.xact_start IS NULL THEN '' ELSE"
            "   format(', %s since %s', a.state, to_char(a.xact_start AT "
            "          TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC')"
            "  END,"
            "  string_agg(DISTINCT l.mode || ' on ' || l.relname, ', ')) AS w"
            "  FROM named AS l JOIN pg_stat_activity AS a ON a.pid = l.pid"
            " GROUP BY a.pid, a.usename, a.application_name, a.state,"
            "          a.xact_start) AS s", db->schema, who, size, NULL,
            NULL) != 0)
        who[0] = '\0';
}

/* After permission denied (42501): what to do, in words, after "; " (""
 * when even the names cannot be read). PostgreSQL names the object it
 * refused ("permission denied for database svc", "... for schema s",
 * "... for table schema_version", "must be owner of table dispatch",
 * "permission denied to create temporary tables in database svc"); its
 * words are kept, an auditor may need them, and this says which role
 * lacks what and the statement that gives it, to be run by the object's
 * owner or a superuser. The usual case: a superuser ran the first import
 * or a copy, the tables are its, and the nightly role may not write them
 * -- then the remedy is to run as the owner or to give the tables to the
 * nightly role (GRANTs on each table would leave a schema upgrade, which
 * must own what it alters, to fail next release). The failed
 * statement's transaction is rolled back first, as lock_conflicts does.
 * The server's words are English unless lc_messages says otherwise: the
 * object is then not told apart and the advice is the tables'. room: the
 * bytes the reason has left for it. */
static void privilege_advice(struct db_pg *db, const char *msg, char *out,
                             size_t size, size_t room)
{
    char v[600];
    out[0] = '\0';
    if (!db->conn || PQstatus(db->conn) != CONNECTION_OK)
        return;
    if (PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
        db->tx_gen++;
        PQclear(PQexec(db->conn, "ROLLBACK"));
    }
    /* The role, the database, the schema's owner and its tables' owner
     * (schema_version's; "" when none), quoted as SQL wants them
     * (quote_ident), joined by a byte no role name holds in practice. The
     * catalogs are readable without any privilege on the schema. */
    if (query_value(db, "SELECT concat_ws(chr(31), quote_ident(current_user),"
                    " quote_ident(current_database()), coalesce((SELECT "
                    "quote_ident(pg_get_userbyid(nspowner)) FROM pg_namespace "
                    "WHERE nspname = $1), ''), coalesce((SELECT quote_ident("
                    "pg_get_userbyid(c.relowner)) FROM pg_class AS c JOIN "
                    "pg_namespace AS n ON n.oid = c.relnamespace WHERE "
                    "n.nspname = $1 AND c.relname = 'schema_version'), ''))",
                    db->schema, v, sizeof v, NULL, NULL) != 0)
        return;
    char *f[4] = {v, NULL, NULL, NULL};
    for (int i = 1; i < 4; i++) {
        f[i] = strchr(f[i - 1], 31);
        if (!f[i])
            return;
        *f[i]++ = '\0';
    }
    const char *role = f[0], *dbname = f[1], *s = db->schema;
    const char *s_owner = f[2][0] ? f[2] : "the schema's owner";
    const char *owner = f[3][0] ? f[3] : s_owner;
    bool write = db->mode == DB_WRITE;
    bool others = strcmp(owner, role) != 0;
    /* Names cut to 130 bytes (a quoted identifier of 63 fits), so the
     * whole fits in out; the reason's line is cut at its end. */
    int n;
    if (strstr(msg, "temporary tables"))
        n = snprintf(out, size, "; role %.130s may not make TEMP tables "
                     "(svcrecon's rules are TEMP views): as the database's "
                     "owner or a superuser, GRANT TEMPORARY ON DATABASE "
                     "%.130s TO %.130s", role, dbname, role);
    else if (strstr(msg, "for database"))
        n = snprintf(out, size, "; role %.130s may not create schema %.63s: "
                     "as the database's owner or a superuser, GRANT CREATE "
                     "ON DATABASE %.130s TO %.130s, or CREATE SCHEMA %.63s "
                     "AUTHORIZATION %.130s", role, s, dbname, role, s, role);
    else if (strstr(msg, "for schema") && write)
        n = snprintf(out, size, "; as %.130s or a superuser, GRANT USAGE, "
                     "CREATE ON SCHEMA %.63s TO %.130s", s_owner, s, role);
    else if (!write)
        /* explain reads; report reads first (66), then writes: a reader
         * is told the GRANTs that make explain work, and who may write. */
        n = snprintf(out, size, "; role %.130s may not read schema %.63s: "
                     "as %.130s or a superuser, GRANT USAGE ON SCHEMA %.63s "
                     "TO %.130s; GRANT SELECT ON ALL TABLES IN SCHEMA %.63s "
                     "TO %.130s (enough for explain; import, report and run "
                     "write: run them as %.130s)", role, s, owner, s, role,
                     s, role, owner);
    else if (others)
        n = snprintf(out, size, "; the tables of schema %.63s are owned by "
                     "%.130s, not %.130s: run svcrecon as %.130s, or have it "
                     "or a superuser run: ALTER SCHEMA %.63s OWNER TO %.130s; "
                     "DO $$DECLARE t text; BEGIN FOR t IN SELECT tablename "
                     "FROM pg_tables WHERE schemaname='%.63s' LOOP EXECUTE "
                     "format('ALTER TABLE %.63s.%%I OWNER TO %.130s',t); END "
                     "LOOP; END$$", s, owner, role, owner, s, role, s, s,
                     role);
    else
        n = snprintf(out, size, "; as a superuser, GRANT ALL ON ALL TABLES "
                     "IN SCHEMA %.63s TO %.130s", s, role);
    if (others && write && (size_t)n >= room)
        /* Long names: a statement cut at the reason's end (512 bytes)
         * would not run; said in words instead, the role named once. */
        n = snprintf(out, size, "; the tables of schema %.63s are owned by "
                     "%.130s, not %.130s: run svcrecon as %.130s, or have it "
                     "or a superuser give the schema and each of its tables "
                     "to this role (ALTER SCHEMA ... OWNER TO, ALTER TABLE "
                     "... OWNER TO)", s, owner, role, owner);
    (void)n;
}

/* Fills d from a failed result (res may be NULL: the connection's error);
 * returns -1. The exit code follows the SQLSTATE (README "PostgreSQL"):
 * a lost connection or server shutdown 70 (the transaction in flight is
 * rolled back by the server; the rerun completes the night), permission
 * denied 73 when writing and 66 when reading, and so a server that takes
 * no writes (25006: a hot standby, default_transaction_read_only; as a
 * read-only SQLite file; explain cannot make its TEMP views there), a
 * lock or serialization conflict 75, a statement the server cancelled
 * (statement_timeout) 75, a connection lost mid-run 75, a full disk 73,
 * anything else 70. */
static int fail(struct db_pg *db, const PGresult *res, struct diag *d,
                const char *what)
{
    if (!d)
        return -1;
    if (!what)
        what = "database";
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
                            : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                          : NULL;
    char words[400];
    int code = EX_SOFTWARE;
    bool lost = db_pg_connection_lost(db);
    bool read_only = state && strcmp(state, "25006") == 0;
    /* 57014: the server cancelled the statement -- its statement_timeout
     * (which counts a wait for another client's lock too), or a cancel
     * request (pg_cancel_backend). Neither is svcrecon's fault, and the
     * server rolled back the transaction in flight: 75, try later, as a
     * lock timeout (55P03), not 70 "internal error" (README "PostgreSQL"). */
    bool canceled = state && strcmp(state, "57014") == 0;
    if (!msg)
        msg = db->conn ? PQerrorMessage(db->conn) : "no connection";
    /* 25P03 / 57P05: the server ended the session because it sat idle in
     * a transaction (idle_in_transaction_session_timeout) or idle between
     * two (idle_session_timeout) -- svcrecon works between statements
     * (writing workbooks between two fetches of a listing). A setting of
     * the server, as statement_timeout is, and the server rolled back the
     * transaction in flight: 75, try later, not 70 "internal error"
     * (README "PostgreSQL"). libpq keeps the code only in its words. */
    const char *said = db->conn ? PQerrorMessage(db->conn) : NULL;
    bool idle_ended = lost && ((state && (strcmp(state, "25P03") == 0 ||
                                          strcmp(state, "57P05") == 0)) ||
                               says_state(said, "25P03") ||
                               says_state(said, "57P05"));
    pg_words(db, msg, words, sizeof words);
    if (idle_ended)
        code = EX_TEMPFAIL;
    else if (lost)
        /* A server restarted, failed over or cut off mid-run: the server
         * rolled the transaction in flight back and what was committed is
         * kept, so running again later completes the night -- 75, try
         * later, which the systemd unit retries, as statement_timeout's
         * and the idle timeouts' are; it was 70 "internal error", which
         * the unit does not retry, and a night a server restart had cut
         * waited for a person (README "PostgreSQL"). */
        code = EX_TEMPFAIL;
    else if (read_only || (state && strcmp(state, "42501") == 0))
        code = db->mode == DB_WRITE ? EX_CANTCREAT : EX_NOINPUT;
    else if (state && (strcmp(state, "55P03") == 0 ||
                       strcmp(state, "40001") == 0 ||
                       strcmp(state, "40P01") == 0 || canceled))
        code = EX_TEMPFAIL;
    else if (state && strncmp(state, "53", 2) == 0)
        code = EX_CANTCREAT;
    /* A full disk (53100) says what to do, as lib/db_sqlite.c's does: each
     * file loads in one transaction, so the files committed stay and the
     * next run loads the rest. */
    const char *to_do = read_only ? " (the server takes no writes: a "
        "standby, or default_transaction_read_only; svcrecon writes, its "
        "TEMP tables too, and needs the primary)"
        : !lost && state && strcmp(state, "53100") == 0 ?
        "; free space on the database server's disk, then run again (what "
        "was committed is kept; the run completes the rest)"
        : !lost && canceled ?
        " (statement_timeout, or an administrator's cancel); the server "
        "rolled back the transaction in flight, what was committed is kept: "
        "run again later; if it recurs, raise statement_timeout for "
        "svcrecon's role (ALTER ROLE ... SET statement_timeout = 0)"
 : "";
    /* 55P03: another session's lock outlasted lock_timeout (2 s, set by
     * use_schema as SQLite's busy timeout; it waited for ever, and the
     * nightly run with it, while an analyst's psql held LOCK TABLE or a
     * row lock in an open transaction: README "PostgreSQL"). Named, with
     * what to do, as the run lock's holder is. */
    if (!lost && state && strcmp(state, "55P03") == 0) {
        char who[400], who_words[400];
        lock_conflicts(db, who, sizeof who);
        if (who[0]) {
            pg_words(db, who, who_words, sizeof who_words);
            return diag_set(d, code, db->display, 0, "%s: %s (waited 2 s): "
                            "another session holds a lock on schema "
                            "'%s': %s; the transaction in flight was "
                            "rolled back, what was committed is kept: end "
                            "that session's transaction (COMMIT or "
                            "ROLLBACK), then run again",
                            what, words, db->schema, who_words);
        }
        return diag_set(d, code, db->display, 0, "%s: %s (waited 2 s); "
                        "the transaction in flight was rolled back, what "
                        "was committed is kept: run again later", what,
                        words);
    }
    if (!lost && state && strcmp(state, "42501") == 0) {
        char advice[2048];
        privilege_advice(db, msg, advice, sizeof advice,
                         sizeof d->reason - strlen(what) - strlen(words) - 3);
        return diag_set(d, code, db->display, 0, "%s: %s%s", what, words,
                        advice);
    }
    /* Said in few words: app/batch.c's say_lost() wraps them in what was
     * cut short, and libpq's words ("server closed the connection
     * unexpectedly ...") would push what to do past the line's end. */
    if (idle_ended) {
        bool idle = (state && strcmp(state, "57P05") == 0) ||
                    says_state(said, "57P05");
        const char *setting = idle ? "idle_session_timeout"
                                   : "idle_in_transaction_session_timeout";
        return diag_set(d, code, db->display, 0, "%s: the server ended the "
                        "session (%s, its %s): run again later; if it "
                        "recurs, ALTER ROLE ... SET %s = 0 for svcrecon's "
                        "role", what, idle ? "57P05" : "25P03", setting,
                        setting);
    }
    return diag_set(d, code, db->display, 0, "%s: %s%s%s", what,
                    lost ? "lost the connection to the server: " : "",
                    words, to_do);
}

/* Out of memory (70), d may be NULL (db_step's callers that only count). */
static int out_of_memory(const struct db_pg *db, struct diag *d,
                         const char *what)
{
    if (!d)
        return -1;
    return diag_set(d, EX_SOFTWARE, db->display, 0, "%s: out of memory",
                    what ? what : "database");
}

/* ---- the SQL text --------------------------------------------------------- */

/* The end of the literal, quoted identifier, comment or dollar-quoted
 * text starting at p, or p itself when none starts there. */
static const char *skip_quoted(const char *p)
{
    if (*p == '\'' || *p == '"') {
        char q = *p++;
        for (; *p; p++)
            if (*p == q && *++p != q)
                return p;
        return p;
    }
    if (p[0] == '-' && p[1] == '-')
        return p + strcspn(p, "\n");
    if (p[0] == '/' && p[1] == '*') {
        const char *e = strstr(p + 2, "*/");
        return e ? e + 2 : p + strlen(p);
    }
    if (p[0] == '$' && !isdigit((unsigned char)p[1])) {
        size_t n = 1;
        while (isalnum((unsigned char)p[n]) || p[n] == '_')
            n++;
        if (p[n] != '$')
            return p;
        char tag[64];
        if (n + 1 >= sizeof tag)
            return p;
        memcpy(tag, p, n + 1);
        tag[n + 1] = '\0';
        const char *e = strstr(p + n + 1, tag);
        return e ? e + n + 1 : p + strlen(p);
    }
    return p;
}

static bool is_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static int name_index(char **names, int n, const char *name, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return i;
    return -1;
}

char *db_pg_rewrite(const char *sql, char ***names_out, int *n_out)
{
    size_t cap = strlen(sql) * 2 + 16, o = 0;
    char *out = malloc(cap);
    char **names = NULL;
    int n = 0;
    if (!out)
        return NULL;
    for (const char *p = sql; *p;) {
        const char *e = skip_quoted(p);
        if (e != p) {
            memcpy(out + o, p, (size_t)(e - p));
            o += (size_t)(e - p);
            p = e;
            continue;
        }
        if (p[0] == ':' && p[1] == ':') {        /* a PostgreSQL cast */
            out[o++] = *p++;
            out[o++] = *p++;
            continue;
        }
        if (p[0] != ':' || !(isalpha((unsigned char)p[1]) || p[1] == '_')) {
            out[o++] = *p++;
            continue;
        }
        size_t len = 1;
        while (is_name_char(p[len]))
            len++;
        int i = name_index(names, n, p, len);
        if (i < 0) {
            char **more = realloc(names, sizeof *names * (size_t)(n + 1));
            char *copy = more ? strndup(p, len) : NULL;
            if (!copy) {
                names = more ? more : names;
                goto oom;
            }
            names = more;
            names[i = n++] = copy;
        }
        o += (size_t)sprintf(out + o, "$%d", i + 1);   /* <= len + 1 */
        p += len;
    }
    out[o] = '\0';
    *names_out = names;
    *n_out = n;
    return out;
oom:
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(out);
    return NULL;
}

/* The first word of sql (after blanks, comments and parentheses), upper
 * case, into w. */
static void first_word(const char *sql, char *w, size_t size)
{
    const char *p = sql;
    for (;;) {
        while (isspace((unsigned char)*p) || *p == '(')
            p++;
        const char *e = skip_quoted(p);
        if (e == p || (*p != '-' && *p != '/'))
            break;
        p = e;
    }
    size_t n = 0;
    while (isalpha((unsigned char)p[n]) && n + 1 < size) {
        w[n] = (char)toupper((unsigned char)p[n]);
        n++;
    }
    w[n] = '\0';
}

/* Whether word occurs in sql outside literals and comments. */
static bool has_word(const char *sql, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = sql; *p;) {
        const char *e = skip_quoted(p);
        if (e != p) {
            p = e;
            continue;
        }
        if ((p == sql || !is_name_char(p[-1])) &&
            strncasecmp(p, word, len) == 0 && !is_name_char(p[len]))
            return true;
        p++;
    }
    return false;
}

/* The text without its trailing blanks, comments and semicolons (so that
 * a clause can be appended). */
static void trim_tail(char *sql)
{
    char *end = sql;
    for (char *p = sql; *p;) {
        const char *e = skip_quoted(p);
        if (e != p && (*p == '-' || *p == '/')) {
            p = (char *)e;
            continue;
        }
        if (e != p) {
            p = (char *)e;
            end = p;
            continue;
        }
        if (!isspace((unsigned char)*p) && *p != ';')
            end = p + 1;
        p++;
    }
    *end = '\0';
}

/* ---- statements ------------------------------------------------------------ */

int db_pg_prepare(struct db_pg *db, const char *sql, struct db_pg_stmt **out,
                  struct diag *d, const char *what)
{
    struct db_pg_stmt *st = calloc(1, sizeof *st);
    *out = NULL;
    if (!st)
        return out_of_memory(db, d, what);
    st->db = db;
    st->row = -1;
    char *text = db_pg_rewrite(sql, &st->names, &st->n_params);
    /* room for " ON CONFLICT DO NOTHING" */
    st->sql = text ? realloc(text, strlen(text) + 32) : NULL;
    if (!st->sql)
        free(text);
    int n = st->n_params > 0 ? st->n_params : 1;
    st->values = calloc((size_t)n, sizeof *st->values);
    st->lengths = calloc((size_t)n, sizeof *st->lengths);
    st->formats = calloc((size_t)n, sizeof *st->formats);
    if (!st->sql || !st->values || !st->lengths || !st->formats) {
        db_pg_finalize(st);
        return out_of_memory(db, d, what);
    }
    trim_tail(st->sql);
    char w[16];
    first_word(st->sql, w, sizeof w);
    st->returns_rows = strcmp(w, "SELECT") == 0 || strcmp(w, "VALUES") == 0 ||
                       (strcmp(w, "WITH") == 0 &&
                        !has_word(st->sql, "INSERT") &&
                        !has_word(st->sql, "UPDATE") &&
                        !has_word(st->sql, "DELETE"));
    if (strcmp(w, "INSERT") == 0 && has_word(st->sql, "VALUES") &&
        !has_word(st->sql, "SELECT") && !has_word(st->sql, "CONFLICT") &&
        !has_word(st->sql, "RETURNING")) {
        strcat(st->sql, " ON CONFLICT DO NOTHING");
        st->unique_by_count = true;
    }
    *out = st;
    return 0;
}

static void clear_row(struct db_pg_stmt *st)
{
    for (int i = 0; i < st->n_blobs; i++) {
        PQfreemem(st->blobs[i]);
        st->blobs[i] = NULL;
    }
}

static void close_cursor(struct db_pg_stmt *st)
{
    struct db_pg *db = st->db;
    /* A cursor of an ended transaction is gone; one of a failed
     * transaction cannot be closed (the rollback does it). */
    if (st->cursor_open && db->conn &&
        (st->cursor_hold || st->cursor_gen == db->tx_gen) &&
        PQtransactionStatus(db->conn) != PQTRANS_INERROR) {
        char sql[48];
        snprintf(sql, sizeof sql, "CLOSE %s", st->cursor);
        PQclear(PQexec(db->conn, sql));
    }
    st->cursor_open = false;
}

void db_pg_reset(struct db_pg_stmt *st)
{
    if (!st)
        return;
    close_cursor(st);
    clear_row(st);
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
    st->exhausted = st->done = false;
}

void db_pg_finalize(struct db_pg_stmt *st)
{
    if (!st)
        return;
    db_pg_reset(st);
    if (st->name[0] && st->db->conn &&
        PQtransactionStatus(st->db->conn) != PQTRANS_INERROR) {
        char sql[48];
        snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
        PQclear(PQexec(st->db->conn, sql));
    }
    /* values is NULL when its allocation failed in db_pg_prepare() (the
     * names were made): it crashed there, out of memory (fix70). */
    for (int i = 0; i < st->n_params; i++) {
        free(st->names[i]);
        if (st->values)
            free(st->values[i]);
    }
    free(st->names);
    free(st->values);
    free(st->lengths);
    free(st->formats);
    free(st->blobs);
    free(st->blob_lens);
    PQclear(st->desc);
    free(st->sql);
    free(st);
}

int db_pg_param(struct db_pg_stmt *st, const char *name)
{
    int i = name_index(st->names, st->n_params, name, strlen(name));
    return i + 1;
}

/* -1 when out of memory: the parameter is then NULL, and db_step() fails
 * "out of memory" (lib/db_switch.c). It was sent as NULL: a NOT NULL
 * column said "violates not-null constraint", a nullable one stored NULL
 * (fix70). */
static int set_value(struct db_pg_stmt *st, int idx, const void *p,
                     size_t len, int format)
{
    if (idx < 1 || idx > st->n_params)
        return 0;
    char *v = NULL;
    if (p) {
        v = malloc(len + 1);
        if (v) {
            memcpy(v, p, len);
            v[len] = '\0';
        }
    }
    free(st->values[idx - 1]);
    st->values[idx - 1] = v;
    st->lengths[idx - 1] = (int)len;
    st->formats[idx - 1] = format;
    return p && !v ? -1 : 0;
}

int db_pg_bind_null(struct db_pg_stmt *st, int idx)
{
    return set_value(st, idx, NULL, 0, 0);
}

int db_pg_bind_int64(struct db_pg_stmt *st, int idx, int64_t v)
{
    char s[24];
    int n = snprintf(s, sizeof s, "%" PRId64, v);
    return set_value(st, idx, s, (size_t)n, 0);
}

int db_pg_bind_double(struct db_pg_stmt *st, int idx, double v)
{
    char s[40];
    int n = snprintf(s, sizeof s, "%.17g", v);   /* round-trips exactly */
    return set_value(st, idx, s, (size_t)n, 0);
}

int db_pg_bind_text(struct db_pg_stmt *st, int idx, const char *s,
                    ptrdiff_t len)
{
    return set_value(st, idx, s, len < 0 ? strlen(s) : (size_t)len, 0);
}

int db_pg_bind_blob(struct db_pg_stmt *st, int idx, const void *p,
                    size_t len)
{
    return set_value(st, idx, p ? p : "", len, 1);
}

void db_pg_clear_bindings(struct db_pg_stmt *st)
{
    for (int i = 1; i <= st->n_params; i++)
        db_pg_bind_null(st, i);
}

/* PGRES_COMMAND_OK / TUPLES_OK, or the failure with DB_UNIQUE for a
 * repeated key. */
static int result_status(struct db_pg_stmt *st, PGresult *res,
                         struct diag *d, const char *what)
{
    ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
        return 0;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE)
                            : NULL;
    fail(st->db, res, d, what);
    return state && strcmp(state, "23505") == 0 ? DB_UNIQUE : DB_ERROR;
}

/* Declares the statement's cursor (WITH HOLD outside a transaction, where
 * the server keeps the rows until CLOSE). */
static int open_cursor(struct db_pg_stmt *st, struct diag *d,
                       const char *what)
{
    struct db_pg *db = st->db;
    bool in_tx = db_pg_in_transaction(db);
    snprintf(st->cursor, sizeof st->cursor, "svc_c%u", ++db->next_name);
    size_t size = strlen(st->sql) + 80;
    char *sql = malloc(size);
    if (!sql)
        return out_of_memory(db, d, what);
    snprintf(sql, size, "DECLARE %s NO SCROLL CURSOR%s FOR %s", st->cursor,
             in_tx ? "" : " WITH HOLD", st->sql);
    PGresult *res = PQexecParams(db->conn, sql, st->n_params, NULL,
                                 (const char *const *)st->values, st->lengths,
                                 st->formats, 0);
    free(sql);
    int rc = result_status(st, res, d, what);
    PQclear(res);
    if (rc != 0)
        return rc;
    st->cursor_open = true;
    st->cursor_hold = !in_tx;
    st->cursor_gen = db->tx_gen;
    return 0;
}

static int fetch(struct db_pg_stmt *st, struct diag *d, const char *what)
{
    char sql[64];
    snprintf(sql, sizeof sql, "FETCH %d FROM %s", FETCH_ROWS, st->cursor);
    PQclear(st->res);
    st->res = PQexec(st->db->conn, sql);
    st->row = -1;
    int rc = result_status(st, st->res, d, what);
    if (rc != 0)
        return rc;
    if (PQntuples(st->res) < FETCH_ROWS) {
        st->exhausted = true;
        close_cursor(st);
    }
    return 0;
}

/* Prepares the statement on the server, once. */
static int server_prepare(struct db_pg_stmt *st, struct diag *d,
                          const char *what)
{
    struct db_pg *db = st->db;
    if (st->name[0])
        return 0;
    char name[24];
    snprintf(name, sizeof name, "svc_s%u", ++db->next_name);
    PGresult *res = PQprepare(db->conn, name, st->sql, st->n_params, NULL);
    int rc = result_status(st, res, d, what);
    PQclear(res);
    if (rc != 0)
        return rc;
    memcpy(st->name, name, sizeof name);
    return 0;
}

/* Runs a statement that returns no rows through once (or a few, as
 * INSERT ... RETURNING): prepared on the server at its first run. */
static int run_once(struct db_pg_stmt *st, struct diag *d, const char *what)
{
    struct db_pg *db = st->db;
    int rc = server_prepare(st, d, what);
    if (rc != 0)
        return rc;
    PQclear(st->res);
    st->res = PQexecPrepared(db->conn, st->name, st->n_params,
                             (const char *const *)st->values, st->lengths,
                             st->formats, 0);
    st->row = -1;
    st->exhausted = true;
    rc = result_status(st, st->res, d, what);
    if (rc != 0)
        return rc;
    const char *n = PQcmdTuples(st->res);
    st->changes = *n ? strtoll(n, NULL, 10) : 0;
    if (st->unique_by_count && st->changes == 0) {
        if (d)
            diag_set(d, EX_SOFTWARE, db->display, 0, "%s: duplicate key "
                     "value violates a unique constraint",
                     what ? what : "database");
        return DB_UNIQUE;
    }
    return 0;
}

int db_pg_step(struct db_pg_stmt *st, struct diag *d, const char *what)
{
    if (st->done)
        return DB_DONE;
    clear_row(st);
    if (!st->res && !st->exhausted) {
        int rc = st->returns_rows ? open_cursor(st, d, what)
                                  : run_once(st, d, what);
        if (rc == 0 && st->returns_rows)
            rc = fetch(st, d, what);
        if (rc != 0)
            return rc;
    }
    if (st->res && st->row + 1 < PQntuples(st->res)) {
        st->row++;
        return DB_ROW;
    }
    if (!st->exhausted) {
        int rc = fetch(st, d, what);
        if (rc != 0)
            return rc;
        if (st->row + 1 < PQntuples(st->res)) {
            st->row++;
            return DB_ROW;
        }
    }
    st->done = true;
    return DB_DONE;
}

int64_t db_pg_changes(struct db_pg_stmt *st)
{
    return st->changes;
}

/* ---- the current row ------------------------------------------------------- */

enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21,
       OID_INT4 = 23, OID_OID = 26, OID_FLOAT4 = 700, OID_FLOAT8 = 701,
       OID_NUMERIC = 1700 };

static bool has_cell(struct db_pg_stmt *st, int col)
{
    return st->res && st->row >= 0 && st->row < PQntuples(st->res) &&
           col >= 0 && col < PQnfields(st->res);
}

/* The columns: of the current result, or, before the first step (SQLite
 * knows them once prepared, and callers ask), of the statement as the
 * server describes it. NULL when it cannot be described. */
static const PGresult *columns(struct db_pg_stmt *st)
{
    if (st->res)
        return st->res;
    if (!st->desc && server_prepare(st, NULL, "") == 0)
        st->desc = PQdescribePrepared(st->db->conn, st->name);
    return st->desc && PQresultStatus(st->desc) == PGRES_COMMAND_OK
               ? st->desc : NULL;
}

int db_pg_column_count(struct db_pg_stmt *st)
{
    const PGresult *r = columns(st);
    return r ? PQnfields(r) : 0;
}

const char *db_pg_column_name(struct db_pg_stmt *st, int col)
{
    const PGresult *r = columns(st);
    return r && col >= 0 && col < PQnfields(r) ? PQfname(r, col) : "";
}

enum db_type db_pg_column_type(struct db_pg_stmt *st, int col)
{
    if (!has_cell(st, col) || PQgetisnull(st->res, st->row, col))
        return DB_NULL;
    switch (PQftype(st->res, col)) {
    case OID_BOOL: case OID_INT2: case OID_INT4: case OID_INT8: case OID_OID:
        return DB_INTEGER;
    case OID_FLOAT4: case OID_FLOAT8: case OID_NUMERIC:
        return DB_FLOAT;
    case OID_BYTEA:
        return DB_BLOB;
    default:
        return DB_TEXT;
    }
}

/* The cell's text; a boolean reads "1"/"0", as SQLite's comparisons give. */
const char *db_pg_column_text(struct db_pg_stmt *st, int col)
{
    if (!has_cell(st, col) || PQgetisnull(st->res, st->row, col))
        return "";
    const char *v = PQgetvalue(st->res, st->row, col);
    if (PQftype(st->res, col) == OID_BOOL)
        return *v == 't' ? "1" : "0";
    return v;
}

int64_t db_pg_column_int64(struct db_pg_stmt *st, int col)
{
    const char *v = db_pg_column_text(st, col);
    if (PQftype(st->res, col) == OID_FLOAT8 ||
        PQftype(st->res, col) == OID_FLOAT4 ||
        PQftype(st->res, col) == OID_NUMERIC)
        return (int64_t)strtod(v, NULL);
    return strtoll(v, NULL, 10);
}

double db_pg_column_double(struct db_pg_stmt *st, int col)
{
    return strtod(db_pg_column_text(st, col), NULL);
}

const void *db_pg_column_blob(struct db_pg_stmt *st, int col)
{
    if (!has_cell(st, col) || PQgetisnull(st->res, st->row, col))
        return NULL;
    if (PQftype(st->res, col) != OID_BYTEA)
        return PQgetvalue(st->res, st->row, col);
    int n = PQnfields(st->res);
    if (st->n_blobs < n) {
        unsigned char **b = realloc(st->blobs, sizeof *b * (size_t)n);
        if (b)
            st->blobs = b;
        size_t *l = b ? realloc(st->blob_lens, sizeof *l * (size_t)n) : NULL;
        if (!l)
            return NULL;
        st->blob_lens = l;
        for (int i = st->n_blobs; i < n; i++)
            st->blobs[i] = NULL;
        st->n_blobs = n;
    }
    if (!st->blobs[col])
        st->blobs[col] = PQunescapeBytea(
            (const unsigned char *)PQgetvalue(st->res, st->row, col),
            &st->blob_lens[col]);
    return st->blobs[col];
}

size_t db_pg_column_bytes(struct db_pg_stmt *st, int col)
{
    if (!has_cell(st, col) || PQgetisnull(st->res, st->row, col))
        return 0;
    if (PQftype(st->res, col) == OID_BYTEA)
        return db_pg_column_blob(st, col) ? st->blob_lens[col] : 0;
    if (PQftype(st->res, col) == OID_BOOL)
        return 1;
    return (size_t)PQgetlength(st->res, st->row, col);
}

/* ---- scripts and transactions ---------------------------------------------- */

int db_pg_exec(struct db_pg *db, const char *sql, struct diag *d,
               const char *what)
{
    PGresult *res = PQexec(db->conn, sql);
    ExecStatusType s = PQresultStatus(res);
    int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ||
             s == PGRES_EMPTY_QUERY ? 0 : fail(db, res, d, what);
    PQclear(res);
    return rc;
}

/* The end of the statement starting at p: its ';' or the text's end. */
static const char *statement_end(const char *p)
{
    while (*p && *p != ';') {
        const char *e = skip_quoted(p);
        p = e != p ? e : p + 1;
    }
    return p;
}

int db_pg_exec_each(struct db_pg *db, const char *sql, const char *name,
                    int64_t value, const char *text, struct diag *d,
                    const char *what)
{
    char number[24];
    snprintf(number, sizeof number, "%" PRId64, value);
    for (const char *p = sql; p && *p;) {
        const char *e = statement_end(p);
        char *one = strndup(p, (size_t)(e - p));
        p = *e ? e + 1 : e;
        struct db_pg_stmt *st = NULL;
        if (!one)
            return out_of_memory(db, d, what);
        char w[16];
        first_word(one, w, sizeof w);
        int rc = 0;
        if (w[0] && db_pg_prepare(db, one, &st, d, what) == 0) {
            int i = db_pg_param(st, name);
            int bound = text ? db_pg_bind_text(st, i, text, -1)
                             : db_pg_bind_int64(st, i, value);
            /* through once: rows (a SELECT of a script) are not wanted */
            st->returns_rows = false;
            if (bound != 0)           /* not sent as NULL (fix70) */
                rc = out_of_memory(db, d, what);
            else
                rc = run_once(st, d, what) == 0 ? 0 : -1;
        } else if (w[0]) {
            rc = -1;
        }
        db_pg_finalize(st);
        free(one);
        if (rc != 0)
            return -1;
    }
    return 0;
}

bool db_pg_in_transaction(const struct db_pg *db)
{
    PGTransactionStatusType t = PQtransactionStatus(db->conn);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

bool db_pg_connection_lost(const struct db_pg *db)
{
    return !db->conn || PQstatus(db->conn) == CONNECTION_BAD;
}

int db_pg_begin(struct db_pg *db, bool write, struct diag *d,
                const char *what)
{
    char sql[256];
    db->tx_gen++;
    if (!write)
        return db_pg_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ", d,
                          what);
    /* SQLite's BEGIN IMMEDIATE: one writer at a time, 75 after 2 s.
     * READ COMMITTED whatever the database's default_transaction_isolation:
     * under REPEATABLE READ or SERIALIZABLE the snapshot was taken by the
     * lock's SELECT, before it waited, so a start that waited for another
     * to make a new schema did not see it made and made it again: "type
     * blob already exists", 70 (QA pass 41). Each statement after the lock
     * must see what the writer before committed. */
    snprintf(sql, sizeof sql, "BEGIN ISOLATION LEVEL READ COMMITTED; "
             "SET LOCAL lock_timeout = '2s'; "
             "SELECT pg_advisory_xact_lock(%" PRId64 "); "
             "SET LOCAL lock_timeout = '2s'", db->lock_key ^ 1);
    if (db_pg_exec(db, sql, d, what) != 0) {
        db_pg_rollback(db);
        return -1;
    }
    return 0;
}

int db_pg_commit(struct db_pg *db, struct diag *d, const char *what)
{
    /* COMMIT of a failed transaction "succeeds" as a ROLLBACK: say so. */
    if (PQtransactionStatus(db->conn) == PQTRANS_INERROR) {
        db_pg_rollback(db);
        return diag_set(d, EX_SOFTWARE, db->display, 0,
                        "%s: the transaction failed earlier", what);
    }
    db->tx_gen++;
    return db_pg_exec(db, "COMMIT", d, what);
}

void db_pg_rollback(struct db_pg *db)
{
    if (db && db->conn && db_pg_in_transaction(db)) {
        db->tx_gen++;
        PQclear(PQexec(db->conn, "ROLLBACK"));
    }
}

/* ---- bulk load: COPY ... FROM STDIN ------------------------------------------ */

/* COPY's binary format (PostgreSQL manual, COPY, "Binary Format"): a
 * signature, flags and a header extension length, then per row a 16-bit
 * field count and each field as a 32-bit length (-1 = NULL) and its bytes,
 * all big-endian; a count of -1 ends the data. Binary rather than text: the
 * feeds' text needs no escaping of tabs, line breaks and backslashes, raw
 * bytes go as they are and doubles exactly. */
#define BULK_SEND (256 * 1024)   /* bytes buffered before they are sent */

struct db_pg_bulk {
    struct db_pg  *db;
    unsigned char *buf;
    size_t         len, cap;
    size_t         row_at;       /* where the open row's field count is */
    unsigned       n_fields;     /* of the open row; 0 = no row open */
    bool           broken;       /* out of memory: said at the row's end */
};

static void put_bytes(struct db_pg_bulk *b, const void *p, size_t n)
{
    if (b->broken)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap * 2;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *grown = realloc(b->buf, cap);
        if (!grown) {
            b->broken = true;
            return;
        }
        b->buf = grown;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, p, n);
    b->len += n;
}

static void put_be(struct db_pg_bulk *b, uint64_t v, size_t n)
{
    unsigned char be[8];
    for (size_t i = 0; i < n; i++)
        be[i] = (unsigned char)(v >> (8 * (n - 1 - i)));
    put_bytes(b, be, n);
}

/* A field's length (-1 = NULL); the first field opens the row. */
static void field(struct db_pg_bulk *b, int64_t len)
{
    if (b->n_fields == 0) {
        b->row_at = b->len;
        put_be(b, 0, 2);                 /* the count, set at the row's end */
    }
    b->n_fields++;
    put_be(b, (uint64_t)(uint32_t)(int32_t)len, 4);
}

/* Ends a COPY that will not complete: the server discards what it got and
 * the transaction is in error (the caller rolls it back). */
static void copy_give_up(struct db_pg *db, const char *why)
{
    PGresult *res;
    PQputCopyEnd(db->conn, why);
    while ((res = PQgetResult(db->conn)) != NULL)
        PQclear(res);
}

int db_pg_bulk_begin(struct db_pg *db, const char *table,
                     const char *columns, struct db_pg_bulk **out,
                     struct diag *d)
{
    const char *what = "starting a bulk load";
    *out = NULL;
    size_t size = strlen(table) + strlen(columns) + 48;
    char *sql = malloc(size);
    if (!sql)
        return out_of_memory(db, d, what);
    snprintf(sql, size, "COPY %s (%s) FROM STDIN (FORMAT binary)", table,
             columns);
    PGresult *res = PQexec(db->conn, sql);
    free(sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        fail(db, res, d, what);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    struct db_pg_bulk *b = calloc(1, sizeof *b);
    if (!b || !(b->buf = malloc(BULK_SEND))) {
        free(b);
        copy_give_up(db, "svcrecon: out of memory");
        return out_of_memory(db, d, what);
    }
    b->db = db;
    b->cap = BULK_SEND;
    put_bytes(b, "PGCOPY\n\377\r\n", 11);    /* with its final NUL */
    put_be(b, 0, 4);                         /* flags: no OIDs */
    put_be(b, 0, 4);                         /* no header extension */
    *out = b;
    return 0;
}

void db_pg_bulk_null(struct db_pg_bulk *b)
{
    field(b, -1);
}

void db_pg_bulk_int32(struct db_pg_bulk *b, int32_t v)
{
    field(b, 4);
    put_be(b, (uint32_t)v, 4);
}

void db_pg_bulk_int64(struct db_pg_bulk *b, int64_t v)
{
    field(b, 8);
    put_be(b, (uint64_t)v, 8);
}

void db_pg_bulk_double(struct db_pg_bulk *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);          /* IEEE 754, as float8send */
    field(b, 8);
    put_be(b, bits, 8);
}

void db_pg_bulk_bytes(struct db_pg_bulk *b, const void *p, size_t len)
{
    field(b, (int64_t)len);
    put_bytes(b, p, len);
}

/* Sends what is buffered. */
static int bulk_send(struct db_pg_bulk *b, struct diag *d)
{
    if (b->broken)
        return out_of_memory(b->db, d, "bulk load");
    if (b->len > 0 &&
        PQputCopyData(b->db->conn, (const char *)b->buf, (int)b->len) != 1)
        return fail(b->db, NULL, d, "sending rows to the server");
    b->len = 0;
    return 0;
}

int db_pg_bulk_row(struct db_pg_bulk *b, struct diag *d)
{
    if (!b->broken && b->n_fields > 0) {
        b->buf[b->row_at] = (unsigned char)(b->n_fields >> 8);
        b->buf[b->row_at + 1] = (unsigned char)b->n_fields;
    }
    b->n_fields = 0;
    return b->len >= BULK_SEND || b->broken ? bulk_send(b, d) : 0;
}

static void bulk_free(struct db_pg_bulk *b)
{
    free(b->buf);
    free(b);
}

int db_pg_bulk_end(struct db_pg_bulk *b, struct diag *d)
{
    const char *what = "loading the rows";
    struct db_pg *db = b->db;
    put_be(b, 0xFFFF, 2);                    /* the end of the data */
    int rc = bulk_send(b, d);
    bulk_free(b);
    if (rc != 0) {
        copy_give_up(db, "svcrecon: the rows could not be sent");
        return -1;
    }
    if (PQputCopyEnd(db->conn, NULL) != 1) {
        fail(db, NULL, d, what);
        copy_give_up(db, NULL);
        return -1;
    }
    /* The server's verdict on the whole COPY, then the end of results. */
    PGresult *res = PQgetResult(db->conn);
    rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0
                                                 : fail(db, res, d, what);
    do
        PQclear(res);
    while ((res = PQgetResult(db->conn)) != NULL);
    return rc;
}

void db_pg_bulk_abandon(struct db_pg_bulk *b)
{
    if (!b)
        return;
    copy_give_up(b->db, "svcrecon: the load was abandoned");
    bulk_free(b);
}

/* ---- schema version and lock ------------------------------------------------ */

/* One text value of a query with up to one text parameter, into out. */
static int query_value(struct db_pg *db, const char *sql, const char *param,
                       char *out, size_t size, struct diag *d,
                       const char *what)
{
    PGresult *res = PQexecParams(db->conn, sql, param ? 1 : 0, NULL,
                                 &param, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fail(db, res, d, what);
        PQclear(res);
        return -1;
    }
    const char *v = PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)
                        ? PQgetvalue(res, 0, 0) : "";
    snprintf(out, size, "%s", v);
    PQclear(res);
    return 0;
}

int db_pg_schema_version(struct db_pg *db, int *version, struct diag *d)
{
    char v[32];
    *version = 0;
    /* The table is made by the first migration's transaction. It is
     * looked for in pg_class by a query, with the statement's snapshot,
     * not by name (to_regclass): a name looked up while another session
     * commits the table can stay cached as missing for the rest of this
     * session, and a start that then waited for that session's schema
     * transaction (db_migrate) read version 0 under the lock and made the
     * schema again -- 'type "blob" already exists', exit 70, 3 times in
     * 12 rounds of t4100's thirty starts. Once the query has seen the
     * table, the name's first lookup (below) finds it. */
    if (query_value(db, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
                    "JOIN pg_catalog.pg_namespace n ON n.oid = "
                    "c.relnamespace WHERE n.nspname = current_schema() AND "
                    "c.relname = 'schema_version')",
                    NULL, v, sizeof v, d, "reading schema version") != 0)
        return -1;
    if (strcmp(v, "t") != 0)
        return 0;
    if (query_value(db, "SELECT version FROM schema_version", NULL, v,
                    sizeof v, d, "reading schema version") != 0)
        return -1;
    *version = atoi(v);
    return 0;
}

int db_pg_set_schema_version(struct db_pg *db, int version, struct diag *d)
{
    char sql[200];
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS schema_version "
             "(version INTEGER NOT NULL); DELETE FROM schema_version; "
             "INSERT INTO schema_version (version) VALUES (%d)", version);
    return db_pg_exec(db, sql, d, "recording schema version");
}

/* FNV-1a, 64 bits: the advisory key of a database and schema. */
static int64_t lock_key(const char *database, const char *schema)
{
    uint64_t h = 0xcbf29ce484222325u;
    const char *parts[] = {"svcrecon", database, schema};
    for (size_t i = 0; i < 3; i++)
        for (const char *p = parts[i];; p++) {
            h = (h ^ (unsigned char)*p) * 0x100000001b3u;
            if (!*p)
                break;
        }
    return (int64_t)(h & 0x7ffffffffffffffeu);  /* key ^ 1: write lock */
}

/* The connection lost as the database was opened or its run lock taken
 * (a server stopped or restarted just then): fail() gave the step and
 * libpq's words only,
 * where a loss while loading or reporting says what was cut short and
 * what to do (app/batch.c say_lost()). Nothing of the command was done
 * yet (a schema just made stays, empty, and is accepted): say so, and to
 * run again (qa86). */
void db_pg_lost_early(struct db_pg *db, struct diag *d, const char *when)
{
    if (!db_pg_connection_lost(db) || d->exit_code != EX_TEMPFAIL)
        return;
    char was[sizeof d->reason];
    const char *lost = "lost the connection to the server: ";
    char *at = strstr(d->reason, lost);
    if (at)
        memmove(at, at + strlen(lost), strlen(at + strlen(lost)) + 1);
    char file[sizeof d->file];
    snprintf(was, sizeof was, "%s", d->reason);
    snprintf(file, sizeof file, "%s", d->file);
    diag_set(d, EX_TEMPFAIL, file[0] ? file : NULL, 0,
             "lost the connection to the database server while %s, before "
             "anything was done: run the command again once the server is "
             "back (%s)", when, was);
}

/* The session holding advisory key `key`, in words; "" when none does. */
static int lock_holder(struct db_pg *db, const char *key, char *who,
                       size_t size, struct diag *d)
{
    /* A bigint key shows in pg_locks as classid (high 32 bits), objid (low
     * 32 bits) and objsubid 1. Another user's session shows its pid, user
     * and application, but its address and start time only to a login
     * with pg_read_all_stats (NULL otherwise): then "the local socket"
     * would be a guess and "since" blank, so the user is named instead. */
    return query_value(db,
            "SELECT CASE WHEN a.backend_start IS NULL THEN"
            "  format('pid %s of user ''%s'' (application ''%s''; where "
            "from and since when are hidden from this login)',"
            "         a.pid, a.usename, a.application_name)"
            " ELSE format('pid %s on %s (application ''%s'') since %s',"
            "       a.pid, COALESCE(a.client_hostname,"
            "                       host(a.client_addr), 'the local socket'),"
            "       a.application_name,"
            "       to_char(a.backend_start AT TIME ZONE 'UTC',"
            "               'YYYY-MM-DD HH24:MI:SS') || ' UTC') END"
            "  FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid"
            " WHERE l.locktype = 'advisory' AND l.granted"
            "   AND l.database = (SELECT oid FROM pg_database"
            "                      WHERE datname = current_database())"
            "   AND l.classid::bigint = ($1::bigint >> 32)"
            "   AND l.objid::bigint = ($1::bigint & 4294967295)"
            "   AND l.objsubid = 1", key, who, size, d,
            "naming the run lock's holder");
}

/* Takes the run lock, or says who holds it. The lock is tried again for
 * about two seconds (as SQLite's busy timeout waits, lib/db_sqlite.c): a
 * holder that is leaving -- its client gone, its backend still ending
 * the session (an older svcrecon, or one killed, leaves the lock to the
 * session's end) -- lets go within that; a run that holds it still holds
 * it after, and is named. */
int db_pg_try_lock(struct db_pg *db, struct diag *d)
{
    char key[24], got[8], who[400] = "", seen[400];
    snprintf(key, sizeof key, "%" PRId64, db->lock_key);
    test_pause("locking", 5);     /* t8100: the session ended here */
    for (int attempt = 0; attempt < 100; attempt++) {
        if (query_value(db, "SELECT pg_try_advisory_lock($1::bigint)", key,
                        got, sizeof got, d, "taking the run lock") != 0 ||
            (strcmp(got, "t") != 0 &&
             lock_holder(db, key, seen, sizeof seen, d) != 0)) {
            db_pg_lost_early(db, d, "taking the run lock");
            return -1;
        }
        if (strcmp(got, "t") == 0) {
            db->locked = true;
            return 0;
        }
        if (seen[0])
            snprintf(who, sizeof who, "%s", seen);
        nanosleep(&(struct timespec){.tv_nsec = 20000000}, NULL);
    }
    char words[400];
    pg_words(db, who[0] ? who : "a run that has just ended", words,
             sizeof words);
    return diag_set(d, EX_TEMPFAIL, db->display, 0,
                    "schema '%s' held by %s; try later", db->schema, words);
}

/* ---- the connection ------------------------------------------------------- */

const char *db_pg_display_name(const struct db_pg *db)
{
    return db->display;
}

const char *db_pg_reached_name(const struct db_pg *db)
{
    return db->reached ? db->reached : db->display;
}

/* Appends s to out (at *o, size bytes), percent-encoding every byte but
 * letters, digits, "-._~" and those of keep. */
static void put_encoded(char *out, size_t size, size_t *o, const char *s,
                        const char *keep)
{
    for (; s && *s && *o + 4 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || strchr("-._~", c) || (keep && strchr(keep, c)))
            out[(*o)++] = (char)c;
        else
            *o += (size_t)snprintf(out + *o, size - *o, "%%%02X", c);
    }
    out[*o] = '\0';
}

/* The URI of what libpq connected to (db_reached_name): user, host or
 * socket folder, port and database as libpq reports them (PQuser, PQhost,
 * PQport, PQdb: the URI's, PG* variables', a service file's or libpq's
 * defaults), written as libpq reads them back, so that the About sheet's
 * explain commands connect to the same place:
 *   postgresql://svc@db01.example:5432/svc?sslmode=require
 *   postgresql://svc@/svc?host=/var/run/postgresql&port=5432
 * then the parameters of the URI as given (its password already out of
 * display) but those it replaces (host, hostaddr, port, dbname, user). A
 * host's address (PQhostaddr) is left out: a name that resolves to
 * another address tomorrow is still the same database. NULL when out of
 * memory (the display name is used then). */
static char *reached_name(const struct db_pg *db)
{
    const char *host = PQhost(db->conn), *port = PQport(db->conn);
    const char *user = PQuser(db->conn), *name = PQdb(db->conn);
    size_t size = strlen(db->display) + 3 * (strlen(host ? host : "") +
                  strlen(user ? user : "") + strlen(name ? name : "")) + 80;
    char *out = malloc(size);
    if (!out)
        return NULL;
    size_t o = (size_t)snprintf(out, size, "postgresql://");
    put_encoded(out, size, &o, user, NULL);
    out[o++] = '@';
    bool socket = !host || !host[0] || host[0] == '/' || host[0] == '@';
    char sep = '?';
    if (socket) {
        out[o++] = '/';
        put_encoded(out, size, &o, name, NULL);
        o += (size_t)snprintf(out + o, size - o, "?host=");
        put_encoded(out, size, &o, host, "/@");
        if (port && port[0])
            o += (size_t)snprintf(out + o, size - o, "&port=%s", port);
        sep = '&';
    } else {
        bool v6 = strchr(host, ':') != NULL;
        if (v6)
            out[o++] = '[';
        put_encoded(out, size, &o, host, v6 ? ":" : NULL);
        if (v6)
            out[o++] = ']';
        if (port && port[0])
            o += (size_t)snprintf(out + o, size - o, ":%s", port);
        out[o++] = '/';
        put_encoded(out, size, &o, name, NULL);
    }
    static const char *const replaced[] = {"host", "hostaddr", "port",
                                           "dbname", "user", NULL};
    const char *q = strchr(strstr(db->display, "://") + 3, '?');
    while (q && (*q == '?' || *q == '&')) {
        q++;
        size_t n = strcspn(q, "&");
        bool skip = n == 0;
        for (int i = 0; replaced[i]; i++)
            skip = skip || param_is(q, n, replaced[i]);
        if (!skip && o + n + 2 < size) {
            out[o++] = sep;
            memcpy(out + o, q, n);
            o += n;
            sep = '&';
        }
        q += n;
    }
    out[o] = '\0';
    return out;
}

const char *db_pg_library_version(void)
{
    static char text[32];
    int v = PQlibVersion();
    if (!text[0])
        snprintf(text, sizeof text, "libpq %d.%d", v / 10000, v % 10000);
    return text;
}

void db_pg_close(struct db_pg *db)
{
    if (!db)
        return;
    /* The run lock goes back before the session ends, not with it: a
     * backend leaving drops the session's TEMP tables (the load's staging
     * and upkeep tables) before it releases its advisory locks, and a
     * `report` started 0.1 s after an `import` of 1M closeouts found the
     * schema still held (exit 75; make bench, 2026-12-04). Only outside a
     * transaction (a failed one keeps the lock until its session ends, as
     * it must). The result is not needed: if the unlock fails, the server
     * still releases the lock when the session ends. */
    if (db->locked && PQstatus(db->conn) == CONNECTION_OK &&
        PQtransactionStatus(db->conn) == PQTRANS_IDLE)
        PQclear(PQexec(db->conn, "SELECT pg_advisory_unlock_all()"));
    /* Test hook (tests/e2e/t0210): the session stays a while after the
     * unlock, for a test to start the next run while it is still open. */
    test_pause("closing", 5);
    PQfinish(db->conn);       /* the server ends the session's locks */
    free(db->display);
    free(db->reached);
    if (db->password)
        memset(db->password, 0, strlen(db->password));
    free(db->password);
    free(db->schema);
    free(db);
}

/* A schema name: lower-case letter or '_' first, then letters, digits,
 * '_', at most 63 bytes (PostgreSQL's limit). Anything else is a usage
 * error, not something to quote; the name is still written quoted in SQL
 * ("user", "order": reserved words pass this check). */
static bool schema_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || !(islower((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
              s[i] == '_'))
            return false;
    return true;
}

/* PostgreSQL's own schemas: pg_catalog, pg_temp, pg_toast and every pg_*
 * name are refused by CREATE SCHEMA or not svcrecon's to write, and
 * information_schema is the SQL standard's catalogue (svcrecon's tables
 * were made in it). */
static bool schema_is_servers(const char *s)
{
    return strncmp(s, "pg_", 3) == 0 || strcmp(s, "information_schema") == 0;
}

const char *db_pg_schema_named(const char *schema)
{
    if (!schema)
        return DEFAULT_SCHEMA;
    return schema_name_ok(schema) && !schema_is_servers(schema) ? schema
                                                                : NULL;
}

/* Whether libpq reads the password of the URI's user part as the user
 * wrote it (percent-decoded): an unencoded '/' or '@' in it makes libpq
 * take a part of it for the host, port or database ("u:p@ss@h/db" sends
 * "p"; "u:pa/ss@h/db" fails on the port "pa", and libpq's message would
 * show "pa"). */
static bool password_reads_as_written(const char *uri, const char *libpq_pw)
{
    const char *colon, *at;
    user_password(uri, &colon, &at);
    if (!colon)
        return true;
    /* A password= parameter is the one libpq uses (it is read after the
     * user part's): the user part's is not read at all, so it cannot be
     * misread (QA pass 65: "postgresql://u:Plain42@/db?password=Plain43"
     * was refused, "must be percent-encoded", of passwords holding no
     * such character). */
    for (const char *p = strchr(uri, '?'); p && *p; ) {
        p++;
        size_t n = strcspn(p, "&");
        if (memchr(p, '=', n) && param_is(p, n, "password"))
            return true;
        p += n;
    }
    size_t k = 0, n = libpq_pw ? strlen(libpq_pw) : 0;
    for (const char *p = colon + 1; p < at; p++, k++) {
        int c = (unsigned char)*p;
        if (c == '%' && p + 2 < at && isxdigit((unsigned char)p[1]) &&
            isxdigit((unsigned char)p[2])) {
            char hex[3] = {p[1], p[2], '\0'};
            c = (int)strtol(hex, NULL, 16);
            p += 2;
        }
        if (k >= n || (unsigned char)libpq_pw[k] != c)
            return false;
    }
    return k == n || colon + 1 == at;
}

/* Whether words hold any part of the password pw (n bytes) of 4 bytes or
 * more, or the whole of a shorter one. libpq's refusal quotes the token it
 * could not read, which may be the password's tail only ('invalid
 * percent-encoded token: "x@y:SECRET%TAIL@/svc"' of the password
 * "Ab3/x@y:SECRET%TAIL"): a search for the whole password let it through
 * (QA pass 41). Words sharing 4 bytes with a password by chance are left
 * out too: the safe side. */
static bool shares_password(const char *words, const char *pw, size_t n)
{
    size_t run = n < 4 ? n : 4, len = strlen(words);
    for (size_t i = 0; run && i + run <= n; i++)
        for (size_t w = 0; w + run <= len; w++)
            if (memcmp(words + w, pw + i, run) == 0)
                return true;
    return false;
}

/* Whether words quote a password of uri as written, or part of it: the
 * user part's, or a password= / sslpassword= parameter's value. */
static bool quotes_a_password(const char *uri, const char *words)
{
    const char *colon, *at;
    user_password(uri, &colon, &at);
    if (colon && at > colon + 1 &&
        shares_password(words, colon + 1, (size_t)(at - colon - 1)))
        return true;
    for (const char *p = strchr(uri, '?'); p && *p; ) {
        p++;
        size_t n = strcspn(p, "&");
        const char *eq = memchr(p, '=', n);
        if (eq && (param_is(p, n, "password") ||
                   param_is(p, n, "sslpassword"))) {
            size_t v = n - (size_t)(eq + 1 - p);
            if (shares_password(words, eq + 1, v))
                return true;
        }
        p += n;
    }
    return false;
}

/* The password given in the URI (or by keyword), for masking: *pw, NULL
 * when none. -1 with d filled when libpq cannot read the URI -- its words
 * quote the offending token ('invalid percent-encoded token: "pa%zz"'),
 * shown only when that is no password -- and when libpq reads the user
 * part's password otherwise than written. */
static int uri_password(const char *uri, const char *display, char **pw,
                        struct diag *d)
{
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(uri, &err);
    *pw = NULL;
    if (!opts) {
        char words[400];
        pg_words(NULL, err ? err : "out of memory", words, sizeof words);
        PQfreemem(err);
        /* libpq's words may quote a password= value's tail after an
         * unencoded '&' (is_password_tail): left out too. */
        if (!quotes_a_password(uri, words) && !has_password_tail(uri))
            return diag_set(d, EX_NOINPUT, display, 0, "cannot connect: %s",
                            words);
        return diag_set(d, EX_NOINPUT, display, 0, "cannot connect: libpq "
                        "cannot read the URI (its words are left out: they "
                        "may quote the password); a '/', '@', ':' or '%%' "
                        "in a password must be percent-encoded (%%2F, %%40, "
                        "%%3A, %%25), and an '&' in a password= parameter "
                        "(%%26)");
    }
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val && o->val[0]) {
            free(*pw);
            *pw = strdup(o->val);
        }
    PQconninfoFree(opts);
    if (!password_reads_as_written(uri, *pw))
        return diag_set(d, EX_NOINPUT, display, 0, "cannot connect: libpq "
                        "does not read the password in the URI as it is "
                        "written: a '/', '@', ':' or '%%' in it must be "
                        "percent-encoded (%%2F, %%40, %%3A, %%25), or give "
                        "it through PGPASSWORD or ~/.pgpass; with a "
                        "password in the URI, an '@' in the database name "
                        "is written %%40 too");
    return 0;
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* name as an SQL identifier: as is when lower-case letters, digits and
 * '_', else in double quotes (out: at least 3 bytes; cut to fit). */
static void quote_name(const char *name, char *out, size_t size)
{
    bool plain = !isdigit((unsigned char)name[0]);
    for (const char *p = name; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) ||
              *p == '_'))
            plain = false;
    if (plain) {
        snprintf(out, size, "%s", name);
        return;
    }
    size_t o = 0;
    out[o++] = '"';
    for (const char *p = name; *p && o + 3 < size; p++) {
        if (*p == '"')
            out[o++] = '"';
        out[o++] = *p;
    }
    out[o++] = '"';
    out[o] = '\0';
}

/* A database the server does not have (SQLSTATE 3D000; libpq gives no
 * SQLSTATE for a failed connection, so its words are read, English as the
 * server sends them by default): svcrecon makes its schema and tables on
 * first use (SPEC §5), never the database -- a typo in the URI must not
 * start a history elsewhere, as a missing SQLite folder is not made
 * (README "Decisions") -- so the line says how to create one it accepts.
 * how is "" when words say something else. */
static void missing_database_hint(PGconn *conn, const char *words, char *how,
                                  size_t size)
{
    const char *name = PQdb(conn);
    char quoted[130], want[200];
    how[0] = '\0';
    if (!name || !name[0] || strlen(name) > 63)
        return;
    snprintf(want, sizeof want, "database \"%s\" does not exist", name);
    if (!says_state(PQerrorMessage(conn), "3D000") && !strstr(words, want))
        return;
    /* OWNER the role that connected: made without it, the database
     * gives the role no CREATE, and the next run is refused again. */
    const char *user = PQuser(conn);
    char role[130];
    quote_name(name, quoted, sizeof quoted);
    quote_name(user && user[0] && strlen(user) <= 63 ? user : "ROLE", role,
               sizeof role);
    snprintf(how, size, "; svcrecon creates its schema, not the database: "
             "correct the URI, or have a superuser create it (CREATE "
             "DATABASE %s OWNER %s TEMPLATE template0 ENCODING 'UTF8' "
             "LC_COLLATE 'C' LC_CTYPE 'C'; README \"PostgreSQL\", Setting "
             "up)", quoted, role);
}

/* A login the server refused (SQLSTATE 28000 or 28P01, or libpq's own
 * "no password supplied"): a person must act, and the words said whom
 * and not what to do (QA pass 39). how is "" when words say something
 * else. The role is never quoted from the URI here: the server's words
 * name it already. */
static void login_hint(PGconn *conn, const char *words, char *how,
                       size_t size)
{
    const char *said = PQerrorMessage(conn);
    how[0] = '\0';
    if (strstr(words, "role \"") && strstr(words, "\" does not exist"))
        snprintf(how, size, "; the server has no such role: correct the "
                 "user in the URI, or have a superuser create it (CREATE "
                 "ROLE ... LOGIN PASSWORD '...'; README \"PostgreSQL\", "
                 "Setting up), then run again (nothing was done)");
    else if (says_state(said, "28P01") ||
             strstr(words, "password authentication failed"))
        snprintf(how, size, "; correct the password (PGPASSWORD, or "
                 "~/.pgpass of the user the job runs as, or the URI), then "
                 "run again (nothing was done)");
    else if (strstr(words, "no password supplied"))
        snprintf(how, size, "; the server asks this role for a password "
                 "and none was given: put it in ~/.pgpass of the user the "
                 "job runs as (or PGPASSWORD), then run again (nothing was "
                 "done)");
    else if (says_state(said, "42501") ||
             strstr(words, "User does not have CONNECT privilege")) {
        /* No CONNECT on the database (REVOKE ... FROM PUBLIC, as the
         * README's setting up does): say the GRANT, as for the other
         * privileges (fail's privilege_advice). */
        char role[130], dbname[130];
        const char *user = PQuser(conn), *name = PQdb(conn);
        quote_name(user ? user : "", role, sizeof role);
        quote_name(name ? name : "", dbname, sizeof dbname);
        snprintf(how, size, "; as the database's owner or a superuser, "
                 "GRANT CONNECT, TEMPORARY ON DATABASE %s TO %s, then run "
                 "again (nothing was done)", dbname, role);
    } else if (strstr(words, "does not support SSL")) {
        /* sslmode=require (or verify-*) against a server with ssl = off:
         * libpq's words said what failed, not what to do (qa86). */
        snprintf(how, size, "; the URI asks for SSL and this server does "
                 "not offer it: have its administrator enable SSL on the "
                 "server (ssl = on, with a certificate), or, if the network "
                 "is trusted, use sslmode=prefer or sslmode=disable in the "
                 "URI, then run again (nothing was done)");
    } else if (strstr(words, "no pg_hba.conf entry"))
        snprintf(how, size, "; the server's pg_hba.conf lets no such "
                 "connection in: have its administrator add a line for "
                 "this host, role and database (and reload it), then run "
                 "again (nothing was done)");
}

/* Seconds libpq would give each host to answer (connect_timeout, at least
 * 2 as libpq makes it; 0 = no limit). */
static int connect_timeout(PGconn *conn)
{
    int seconds = 0;
    PQconninfoOption *opts = PQconninfo(conn);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (strcmp(o->keyword, "connect_timeout") == 0 && o->val)
            seconds = atoi(o->val);
    PQconninfoFree(opts);
    return seconds <= 0 ? 0 : seconds < 2 ? 2 : seconds;
}

/* PQconnectdbParams, with the error verbosity VERBOSE from the first byte:
 * the server's refusal then carries its SQLSTATE in libpq's words (libpq
 * keeps no result with fields for a failed connection, and reads its
 * text in the server's language). That is what tells a server starting
 * up, shutting down or in recovery (57P03) or out of connection slots
 * (53300) -- try later -- from a wrong password or database (a person
 * must act). libpq's own wait (connectDBComplete) is not exported, so
 * this is its loop: PQconnectPoll, each host given connect_timeout
 * seconds, restarted when libpq moves to the next host. Unlike libpq, a
 * host that does not answer in time ends the attempt rather than
 * passing to the next host of a multi-host URI (*timed_out set). */
static PGconn *connect_verbose(const char *const *keys,
                               const char *const *vals, bool *timed_out)
{
    *timed_out = false;
    PGconn *conn = PQconnectStartParams(keys, vals, 1);
    if (!conn || PQstatus(conn) == CONNECTION_BAD)
        return conn;
    PQsetErrorVerbosity(conn, PQERRORS_VERBOSE);
    /* The server's NOTICEs ("... already exists, skipping") are not
     * svcrecon's to print (--quiet keeps stderr for problems). Set from
     * the first byte: libpq's default processor printed a WARNING the
     * server sends at login (a role setting it finds invalid), and a
     * FATAL read in one packet with the login's ReadyForQuery (the server
     * stopped as svcrecon connects), raw on stderr, SQLSTATE and LOCATION
     * line included, --quiet or not (qa86). A FATAL still ends the
     * session: the next statement says the connection was lost. */
    PQsetNoticeProcessor(conn, ignore_notice, NULL);
    int timeout = connect_timeout(conn);
    const char *host = NULL;
    struct timespec deadline = {0, 0};
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (PQhost(conn) != host) {
            host = PQhost(conn);
            deadline = now;
            deadline.tv_sec += timeout;
        }
        int fd = PQsocket(conn), ms = -1;
        if (timeout > 0) {
            long long left = (deadline.tv_sec - now.tv_sec) * 1000LL +
                             (deadline.tv_nsec - now.tv_nsec) / 1000000;
            ms = left < 0 ? 0 : (int)left;
        }
        if (fd >= 0) {
            struct pollfd p = {.fd = fd, .events =
                st == PGRES_POLLING_READING ? POLLIN : POLLOUT};
            int r = poll(&p, 1, ms);
            if (r < 0 && errno == EINTR)
                continue;
            if (r == 0) {
                *timed_out = true;
                break;
            }
        }
        st = PQconnectPoll(conn);
    }
    return conn;
}

static int connect_db(struct db_pg *db, const char *uri, struct diag *d)
{
    char app[96], host[40] = "";  /* the server keeps 63 bytes */
    gethostname(host, sizeof host - 1);
    snprintf(app, sizeof app, "svcrecon on %s pid %ld", host, (long)getpid());
    /* In order: defaults the URI may override, the URI, then what
     * svcrecon needs whatever the URI says. */
    const char *keys[] = {"connect_timeout", "dbname",
                          "fallback_application_name", "client_encoding",
                          NULL};
    const char *vals[] = {"10", uri, app, "UTF8", NULL};
    bool timed_out;
    db->conn = connect_verbose(keys, vals, &timed_out);
    if (!db->conn)
        return diag_set(d, EX_SOFTWARE, db->display, 0,
                        "cannot connect: out of memory");
    if (timed_out)
        return diag_set(d, EX_NOINPUT, db->display, 0, "cannot connect: "
                        "connection to server %s%s%s failed: timeout expired "
                        "(connect_timeout)", PQhost(db->conn),
                        PQport(db->conn)[0] ? " port " : "",
                        PQport(db->conn));
    if (PQstatus(db->conn) != CONNECTION_OK) {
        char words[400], how[512] = "";
        const char *said = PQerrorMessage(db->conn);
        pg_words(db, said, words, sizeof words);
        missing_database_hint(db->conn, words, how, sizeof how);
        if (!how[0])
            login_hint(db->conn, words, how, sizeof how);
        /* A server starting up, shutting down or a standby taking no
         * connections (57P03), or one without a free connection slot
         * (53300: max_connections, the slots reserved for superusers, a
         * role's or database's CONNECTION LIMIT): nothing for a person
         * to correct, the server will take the run later -- 75, as a
         * held lock, which the systemd unit and a cron wrapper retry.
         * Only when every server that answered said so: a wrong
         * password (28P01), a missing database (3D000), a server not
         * listening (no code at all) stay 66 (README "PostgreSQL"). */
        static const char *const transient[] = {"57P03", "53300", ""};
        bool starting = says_state(said, "57P03");
        bool full = says_state(said, "53300");
        if ((starting || full) && !says_other_state(said, transient))
            return diag_set(d, EX_TEMPFAIL, db->display, 0, "cannot "
                            "connect: %s; %s: nothing was done, try later%s",
                            words, starting && full ? "the server is "
                            "starting up or shutting down, or has no free "
                            "connection slot" : starting ? "the server is "
                            "starting up, shutting down or in recovery and "
                            "takes no connection now" : "the server has no "
                            "free connection slot (max_connections, the "
                            "slots reserved for superusers, or a CONNECTION "
                            "LIMIT of the role or database)", starting ?
                            " (a standby with hot_standby off never takes "
                            "one: name the primary in the URI)" :
                            "; if it recurs, close idle sessions or raise "
                            "the limit");
        return diag_set(d, EX_NOINPUT, db->display, 0, "cannot connect: %s%s",
                        words, how);
    }
    /* The session keeps VERBOSE: a session the server ends (25P03, see
     * fail()) leaves its code only in libpq's words; pg_words drops the
     * code and the LOCATION line wherever libpq's words are shown. */
    return 0;
}

/* Text sorts as on SQLite (bytes) only under collation C: ORDER BY of a
 * listing would differ otherwise, and with it the workbooks. From
 * PostgreSQL 15 a database's collation may come from ICU (LOCALE_PROVIDER
 * icu, or a cluster made with initdb --locale-provider=icu, whose
 * template0 passes it on): datcollate then still says 'C' but is not the
 * collation used, so the provider is read too (to_jsonb: the column is
 * missing before 15; its 'b', PostgreSQL 17's builtin provider, sorts by
 * code point, which is byte order in UTF-8). */
static int check_database(struct db_pg *db, struct diag *d)
{
    char v[160];
    if (query_value(db, "SELECT COALESCE(to_jsonb(d)->>'datlocprovider', "
                    "'c') || ' ' || datcollate || ' ' || "
                    "pg_encoding_to_char(encoding) || ' ' || "
                    "COALESCE(to_jsonb(d)->>'daticulocale', "
                    "to_jsonb(d)->>'datlocale', '') FROM pg_database AS d "
                    "WHERE datname = current_database()", NULL, v, sizeof v,
                    d, "reading the database's collation") != 0)
        return -1;
    char provider = v[0];
    const char *collate = v[0] ? v + 2 : "";
    size_t n_collate = strcspn(collate, " ");
    const char *encoding = collate + n_collate + (collate[n_collate] == ' ');
    size_t n_encoding = strcspn(encoding, " ");
    const char *locale = encoding + n_encoding +
                         (encoding[n_encoding] == ' ');
    bool utf8 = n_encoding == 4 && strncmp(encoding, "UTF8", 4) == 0;
    bool c = (n_collate == 1 && strncmp(collate, "C", 1) == 0) ||
             (n_collate == 5 && strncmp(collate, "POSIX", 5) == 0);
    if (utf8 && ((provider == 'c' && c) || provider == 'b'))
        return 0;
    const char *how = "create the database with ENCODING 'UTF8' LC_COLLATE "
                      "'C' LC_CTYPE 'C' TEMPLATE template0";
    if (provider == 'i')
        return diag_set(d, EX_NOINPUT, db->display, 0,
                        "database collation is ICU's '%s' (locale provider "
                        "icu), not 'C': text would sort unlike SQLite and "
                        "the workbooks would differ; %s LOCALE_PROVIDER "
                        "libc", locale, how);
    return diag_set(d, EX_NOINPUT, db->display, 0,
                    "database collation and encoding are '%.*s %.*s', not "
                    "'C UTF8': text would sort unlike SQLite and the "
                    "workbooks would differ; %s", (int)n_collate, collate,
                    (int)n_encoding, encoding, how);
}

/* search_path = the schema (created first for a write). */
static int use_schema(struct db_pg *db, struct diag *d)
{
    char v[8], sql[200];
    if (query_value(db, "SELECT count(*) FROM pg_namespace WHERE "
                    "nspname = $1", db->schema, v, sizeof v, d,
                    "looking for the schema") != 0)
        return -1;
    if (strcmp(v, "0") == 0) {
        if (db->mode != DB_WRITE)
            return diag_set(d, EX_NOINPUT, db->display, 0,
                            "cannot open database: no schema '%s' (nothing "
                            "was imported into it); import or run makes it: "
                            "correct --db or --schema, or import first",
                            db->schema);
        /* Starts that race to make it take turns: CREATE SCHEMA IF NOT
         * EXISTS beside another session's uncommitted one fails on
         * pg_namespace's unique index instead of waiting (seen in t4100's
         * thirty first starts). The key is the run lock's ^ 2 (^ 1 is
         * the writers' transaction lock, db_pg_begin), held a moment. */
        snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%"
                 PRId64 "); CREATE SCHEMA IF NOT EXISTS \"%s\"; COMMIT",
                 db->lock_key ^ 2, db->schema);
        if (db_pg_exec(db, sql, d, "creating the schema") != 0)
            return -1;
    }
    /* Without USAGE the tables are invisible, not refused: say so, rather
     * than "no svcrecon tables" or a new schema's worth of errors. */
    bool write = db->mode == DB_WRITE;
    if (query_value(db, write ? "SELECT has_schema_privilege($1, 'USAGE') "
                                "AND has_schema_privilege($1, 'CREATE')"
                              : "SELECT has_schema_privilege($1, 'USAGE')",
                    db->schema, v, sizeof v, d,
                    "checking the schema's privileges") != 0)
        return -1;
    if (strcmp(v, "t") != 0) {
        char advice[2048];
        privilege_advice(db, "permission denied for schema", advice,
                         sizeof advice, sizeof d->reason);
        return diag_set(d, write ? EX_CANTCREAT : EX_NOINPUT, db->display, 0,
                        "permission denied for schema '%s': the role needs "
                        "%s on it%s", db->schema,
                        write ? "USAGE and CREATE" : "USAGE", advice);
    }
    /* jit off: the TEMP tables of a report have no statistics, so the
     * planner guesses ~1,000 rows each, and a tiny night's cost estimates
     * passed the JIT threshold -- compiling took 1.2 s of a 0.01 s query
     * (q_changes_counts.sql, seen with auto_explain). svcrecon's queries
     * are short and many: JIT never pays. extra_float_digits 3: a double
     * comes back as text exact (the shortest exact form from PostgreSQL
     * 12), whatever the server, database or role set -- 0 (PostgreSQL
     * 11's default, kept in old configurations) sent 15 digits, and a
     * labor hours cell differed from SQLite's. */
    snprintf(sql, sizeof sql, "SET search_path = \"%s\"; SET jit = off; "
             "SET extra_float_digits = 3; SET lock_timeout = '2s'",
             db->schema);
    return db_pg_exec(db, sql, d, "setting the schema");
}

int db_pg_open(const char *uri, const char *schema, enum db_mode mode,
               struct db_pg **out, struct diag *d)
{
    struct db_pg *db = calloc(1, sizeof *db);
    *out = NULL;
    if (!schema)
        schema = DEFAULT_SCHEMA;
    if (db) {
        db->mode = mode;
        db->display = db_pg_mask_uri(uri);
        db->schema = strdup(schema);
    }
    if (!db || !db->display || !db->schema) {
        db_pg_close(db);
        return diag_set(d, EX_SOFTWARE, NULL, 0, "cannot open the database: "
                        "out of memory");
    }
    if (!schema_name_ok(schema)) {
        /* A longer name is shown cut, and said to be: cut silently it
         * looked like a name of 63, next to "(at most 63)" (QA pass 41). */
        size_t n = strlen(schema);
        char has[40] = "";
        if (n > 63)
            snprintf(has, sizeof has, "; this one has %zu", n);
        diag_set(d, EX_USAGE, NULL, 0, "--schema '%.63s%s': a schema name is "
                 "lower-case letters, digits and '_' (at most 63%s), "
                 "starting with a letter or '_'", schema, n > 63 ? "…" : "",
                 has);
        db_pg_close(db);
        return -1;
    }
    if (schema_is_servers(schema)) {
        diag_set(d, EX_USAGE, NULL, 0, "--schema '%s' is PostgreSQL's own "
                 "schema (pg_* and information_schema are the server's): "
                 "name another, e.g. the default svcrecon", schema);
        db_pg_close(db);
        return -1;
    }
    if (uri_password(uri, db->display, &db->password, d) != 0) {
        db_pg_close(db);
        return -1;
    }
    char dbname[80];
    if (connect_db(db, uri, d) != 0) {
        db_pg_close(db);
        return -1;
    }
    test_pause("connected", 5);   /* t8100: the session ended here */
    if (check_database(db, d) != 0 ||
        query_value(db, "SELECT current_database()", NULL, dbname,
                    sizeof dbname, d, "naming the database") != 0 ||
        (db->lock_key = lock_key(dbname, schema), use_schema(db, d)) != 0) {
        db_pg_lost_early(db, d, "opening it");
        db_pg_close(db);
        return -1;
    }
    db->reached = reached_name(db);
    *out = db;
    return 0;
}
