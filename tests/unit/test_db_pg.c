/* test_db_pg.c -- lib/db_pg.c: the PostgreSQL back end of lib/db.h.
 *
 * The SQL rewriting (":name" -> "$n") and the password masking need no
 * server. The rest runs against the throw-away cluster that tests/run-all
 * starts (tests/pgcluster.py; its folder in $SVCRECON_PG_DIR): without one
 * those tests are SKIPPED (counted apart), never passed. Each test works in
 * a schema of its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/db_pg.h"

static const struct {
    const char *in, *out;
    int n_names;
    const char *first;
} rewrite_cases[] = {
    {"SELECT :a, :b, :a", "SELECT $1, $2, $1", 2, ":a"},
    {"SELECT ':a', \":b\", :c", "SELECT ':a', \":b\", $1", 1, ":c"},
    {"SELECT 'it''s :x' || :y", "SELECT 'it''s :x' || $1", 1, ":y"},
    {"SELECT 1 -- :x\n, :y", "SELECT 1 -- :x\n, $1", 1, ":y"},
    {"SELECT /* :x */ :y_2", "SELECT /* :x */ $1", 1, ":y_2"},
    {"SELECT x::int, :z", "SELECT x::int, $1", 1, ":z"},
    {"DO $$ BEGIN :x; END $$; SELECT :w", "DO $$ BEGIN :x; END $$; SELECT $1",
     1, ":w"},
    {"SELECT 1", "SELECT 1", 0, NULL},
    {"SELECT :1", "SELECT :1", 0, NULL},
};

static void test_rewrite_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rewrite_cases / sizeof *rewrite_cases; i++) {
        char **names = NULL;
        int n = -1;
        char *got = db_pg_rewrite(rewrite_cases[i].in, &names, &n);
        assert_non_null(got);
        if (strcmp(got, rewrite_cases[i].out) != 0 ||
            n != rewrite_cases[i].n_names ||
            (n > 0 && strcmp(names[0], rewrite_cases[i].first) != 0))
            fail_msg("case %zu '%s': got '%s' with %d names", i,
                     rewrite_cases[i].in, got, n);
        for (int k = 0; k < n; k++)
            free(names[k]);
        free(names);
        free(got);
    }
}

static const struct {
    const char *in, *out;
} mask_cases[] = {
    {"postgresql://u:secret@h/db", "postgresql://u@h/db"},
    {"postgres://u:s%40x@h:5433/db?sslmode=require",
     "postgres://u@h:5433/db?sslmode=require"},
    {"postgresql://u@/db?host=/tmp/x&password=secret",
     "postgresql://u@/db?host=/tmp/x"},
    {"postgresql://h/db?password=secret&sslmode=disable",
     "postgresql://h/db?sslmode=disable"},
    {"postgresql://u@h/db", "postgresql://u@h/db"},
    {"postgresql://", "postgresql://"},
    /* libpq reads '?' and '#' before the '@' as the password's (qa9) */
    {"postgresql://u:pa?ss#1@/db?host=/tmp/x", "postgresql://u@/db?host=/tmp/x"},
    {"postgresql://u:pa#ss@h", "postgresql://u@h"},
    {"postgresql://u:p@ss@h/db", "postgresql://u@h/db"},
    {"postgresql://u:pw@h/db?application_name=a@b&host=/x",
     "postgresql://u@h/db?application_name=a@b&host=/x"},
    {"postgresql://h/db?password=pa#ss&sslmode=disable",
     "postgresql://h/db?sslmode=disable"},
    {"postgresql://h/db?sslpassword=key-pw&sslmode=require",
     "postgresql://h/db?sslmode=require"},
    {"postgresql://h/db?pass%77ord=secret", "postgresql://h/db"},
    {"postgresql://h/db#x?y", "postgresql://h/db#x?y"},
    {"postgresql://u:pa/ss+x=@h:5432/db?sslmode=require",
     "postgresql://u@h:5432/db?sslmode=require"},
    {"postgresql://h:5432/db?application_name=a@b",
     "postgresql://h:5432/db?application_name=a@b"},
    /* an '&' not encoded in a password= value: its tail (parameters
     * without '=') is left out (qa17, tests/e2e/t8100) */
    {"postgresql://h/db?password=Secret&Tail99", "postgresql://h/db"},
    {"postgresql://h/db?user=u&password=Se&cr&et&sslmode=disable",
     "postgresql://h/db?user=u&sslmode=disable"},
    {"postgresql://h/db?sslpassword=a&b&port=5433&c",
     "postgresql://h/db?port=5433&c"},
    {"postgresql://h/db?password=x&nosuch=1", "postgresql://h/db?nosuch=1"},
};

static void test_mask_uri_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof mask_cases / sizeof *mask_cases; i++) {
        char *got = db_pg_mask_uri(mask_cases[i].in);
        if (!got || strcmp(got, mask_cases[i].out) != 0)
            fail_msg("case %zu '%s': got '%s'", i, mask_cases[i].in,
                     got ? got : "(null)");
        free(got);
    }
}

/* ---- against the cluster -------------------------------------------------- */

static char uri_buf[512];

static const char *cluster_uri(const char *user, const char *password)
{
    const char *dir = getenv("SVCRECON_PG_DIR");
    if (!dir || !*dir)
        return NULL;
    snprintf(uri_buf, sizeof uri_buf, "postgresql://%s%s%s@/svc?host=%s",
             user, password ? ":" : "", password ? password : "", dir);
    return uri_buf;
}

#define NEED_CLUSTER(uri)                                                     \
    do {                                                                      \
        if (!(uri)) {                                                         \
            print_message("SKIP: no cluster ($SVCRECON_PG_DIR unset)\n");     \
            skip();                                                           \
        }                                                                     \
    } while (0)

static struct db_pg *open_fresh(const char *schema)
{
    const char *uri = cluster_uri("postgres", NULL);
    struct db_pg *db = NULL;
    struct diag d = {0};
    if (db_pg_open(uri, schema, DB_WRITE, &db, &d) != 0)
        fail_msg("open: %s", d.reason);
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE; CREATE SCHEMA %s; "
             "SET search_path = %s", schema, schema, schema);
    if (db_pg_exec(db, sql, &d, "fresh schema") != 0)
        fail_msg("fresh schema: %s", d.reason);
    return db;
}

static void must_exec(struct db_pg *db, const char *sql)
{
    struct diag d = {0};
    if (db_pg_exec(db, sql, &d, "exec") != 0)
        fail_msg("%s: %s", sql, d.reason);
}

static struct db_pg_stmt *must_prepare(struct db_pg *db, const char *sql)
{
    struct db_pg_stmt *st = NULL;
    struct diag d = {0};
    if (db_pg_prepare(db, sql, &st, &d, "prepare") != 0)
        fail_msg("%s: %s", sql, d.reason);
    return st;
}

/* Values go in typed and come back with the DB_* types SQLite gives. */
static void test_types_round_trip(void **state)
{
    (void)state;
    NEED_CLUSTER(cluster_uri("postgres", NULL));
    struct db_pg *db = open_fresh("t_types");
    must_exec(db, "CREATE DOMAIN blob AS bytea; CREATE TABLE t (i INTEGER, "
              "r DOUBLE PRECISION, s TEXT, b BLOB, n INTEGER)");
    struct db_pg_stmt *ins = must_prepare(db,
        "INSERT INTO t (i, r, s, b, n) VALUES (:i, :r, :s, :b, :n)");
    static const unsigned char raw[] = {0, 0xE9, '\\', 'x', 0xFF};
    db_pg_bind_int64(ins, db_pg_param(ins, ":i"), 4000000000LL / 2);
    db_pg_bind_double(ins, db_pg_param(ins, ":r"), 0.1);
    db_pg_bind_text(ins, db_pg_param(ins, ":s"), "caf\xC3\xA9 'x'", -1);
    db_pg_bind_blob(ins, db_pg_param(ins, ":b"), raw, sizeof raw);
    db_pg_bind_null(ins, db_pg_param(ins, ":n"));
    struct diag d = {0};
    assert_int_equal(db_pg_step(ins, &d, "insert"), DB_DONE);
    assert_int_equal(db_pg_changes(ins), 1);
    struct db_pg_stmt *q = must_prepare(db,
        "SELECT i, r, s, b, n, i > 5 AS big FROM t");
    /* the columns are known before the first step, as on SQLite */
    assert_int_equal(db_pg_column_count(q), 6);
    assert_string_equal(db_pg_column_name(q, 2), "s");
    assert_int_equal(db_pg_step(q, &d, "select"), DB_ROW);
    assert_int_equal(db_pg_column_type(q, 0), DB_INTEGER);
    assert_int_equal(db_pg_column_int64(q, 0), 2000000000LL);
    assert_int_equal(db_pg_column_type(q, 1), DB_FLOAT);
    assert_true(db_pg_column_double(q, 1) == 0.1);
    assert_int_equal(db_pg_column_type(q, 2), DB_TEXT);
    assert_string_equal(db_pg_column_text(q, 2), "caf\xC3\xA9 'x'");
    assert_int_equal(db_pg_column_type(q, 3), DB_BLOB);
    assert_int_equal(db_pg_column_bytes(q, 3), sizeof raw);
    assert_memory_equal(db_pg_column_blob(q, 3), raw, sizeof raw);
    assert_int_equal(db_pg_column_type(q, 4), DB_NULL);
    assert_string_equal(db_pg_column_text(q, 4), "");
    assert_int_equal(db_pg_column_int64(q, 5), 1);      /* true -> 1 */
    assert_string_equal(db_pg_column_name(q, 5), "big");
    assert_int_equal(db_pg_step(q, &d, "select"), DB_DONE);
    db_pg_finalize(q);
    db_pg_finalize(ins);
    db_pg_close(db);
}

/* A repeated key in a transaction is DB_UNIQUE and the transaction goes
 * on (the loader rejects the row and continues). */
static void test_unique_keeps_the_transaction(void **state)
{
    (void)state;
    NEED_CLUSTER(cluster_uri("postgres", NULL));
    struct db_pg *db = open_fresh("t_unique");
    must_exec(db, "CREATE TABLE k (id INTEGER GENERATED BY DEFAULT AS "
              "IDENTITY PRIMARY KEY, key TEXT NOT NULL, line INTEGER)");
    must_exec(db, "CREATE UNIQUE INDEX k_key ON k (key)");
    struct diag d = {0};
    assert_int_equal(db_pg_begin(db, true, &d, "begin"), 0);
    struct db_pg_stmt *ins = must_prepare(db,
        "INSERT INTO k (key, line) VALUES (:key, :line);");
    const char *keys[] = {"a", "b", "a", "c"};
    int results[4];
    for (int i = 0; i < 4; i++) {
        db_pg_bind_text(ins, db_pg_param(ins, ":key"), keys[i], -1);
        db_pg_bind_int64(ins, db_pg_param(ins, ":line"), i + 2);
        results[i] = db_pg_step(ins, &d, "insert");
        db_pg_reset(ins);
    }
    assert_int_equal(results[0], DB_DONE);
    assert_int_equal(results[1], DB_DONE);
    assert_int_equal(results[2], DB_UNIQUE);
    assert_int_equal(results[3], DB_DONE);
    assert_int_equal(db_pg_commit(db, &d, "commit"), 0);
    struct db_pg_stmt *q = must_prepare(db,
        "SELECT string_agg(key, ',' ORDER BY line) FROM k");
    assert_int_equal(db_pg_step(q, &d, "count"), DB_ROW);
    assert_string_equal(db_pg_column_text(q, 0), "a,b,c");
    db_pg_finalize(q);
    db_pg_finalize(ins);
    db_pg_close(db);
}

/* Two cursors walked side by side while rows are inserted, each longer
 * than one FETCH: what SQLite allows, and statements.c does. */
static void test_cursors_interleave(void **state)
{
    (void)state;
    NEED_CLUSTER(cluster_uri("postgres", NULL));
    struct db_pg *db = open_fresh("t_cursor");
    must_exec(db, "CREATE TABLE n (v INTEGER); INSERT INTO n "
              "SELECT generate_series(1, 1000); CREATE TABLE out (v INTEGER)");
    struct diag d = {0};
    for (int in_tx = 0; in_tx < 2; in_tx++) {
        if (in_tx)
            assert_int_equal(db_pg_begin(db, false, &d, "read"), 0);
        struct db_pg_stmt *up = must_prepare(db,
            "SELECT v FROM n WHERE v >= :lo ORDER BY v");
        struct db_pg_stmt *down = must_prepare(db,
            "SELECT v FROM n ORDER BY v DESC");
        struct db_pg_stmt *ins = must_prepare(db,
            "INSERT INTO out (v) VALUES (:v)");
        db_pg_bind_int64(up, db_pg_param(up, ":lo"), 1);
        int rows = 0;
        while (db_pg_step(up, &d, "up") == DB_ROW) {
            assert_int_equal(db_pg_step(down, &d, "down"), DB_ROW);
            int64_t a = db_pg_column_int64(up, 0);
            assert_int_equal(a + db_pg_column_int64(down, 0), 1001);
            db_pg_bind_int64(ins, db_pg_param(ins, ":v"), a);
            assert_int_equal(db_pg_step(ins, &d, "ins"), DB_DONE);
            db_pg_reset(ins);
            rows++;
        }
        assert_int_equal(rows, 1000);
        assert_int_equal(db_pg_step(down, &d, "down"), DB_DONE);
        /* reset and step again: the same rows from the start */
        db_pg_reset(up);
        assert_int_equal(db_pg_step(up, &d, "up again"), DB_ROW);
        assert_int_equal(db_pg_column_int64(up, 0), 1);
        db_pg_finalize(up);
        db_pg_finalize(down);
        db_pg_finalize(ins);
        if (in_tx)
            assert_int_equal(db_pg_commit(db, &d, "commit"), 0);
    }
    struct db_pg_stmt *q = must_prepare(db, "SELECT count(*), sum(v) FROM out");
    assert_int_equal(db_pg_step(q, &d, "count"), DB_ROW);
    assert_int_equal(db_pg_column_int64(q, 0), 2000);
    assert_int_equal(db_pg_column_int64(q, 1), 2 * 500500);
    db_pg_finalize(q);
    /* no cursor is left open on the session but this query's own */
    q = must_prepare(db, "SELECT count(*), string_agg(name, ' ') "
                     "FROM pg_cursors WHERE name <> ''");
    assert_int_equal(db_pg_step(q, &d, "cursors"), DB_ROW);
    if (db_pg_column_int64(q, 0) != 1)
        fail_msg("cursors left open: %s (%s)", db_pg_column_text(q, 1),
                 db_pg_column_text(q, 0));
    db_pg_finalize(q);
    db_pg_close(db);
}

/* A script with a parameter in some statements (db_exec_bound). */
static void test_exec_each(void **state)
{
    (void)state;
    NEED_CLUSTER(cluster_uri("postgres", NULL));
    struct db_pg *db = open_fresh("t_each");
    struct diag d = {0};
    assert_int_equal(db_pg_exec_each(db,
        "CREATE TABLE e (v INTEGER, s TEXT);\n"
        "-- a comment; with a semicolon\n"
        "INSERT INTO e VALUES (:id, 'a;b');\n"
        "INSERT INTO e VALUES (:id + 1, ':id');\n", ":id", 41, NULL, &d,
        "script"), 0);
    struct db_pg_stmt *q = must_prepare(db,
        "SELECT string_agg(v || '=' || s, ' ' ORDER BY v) FROM e");
    assert_int_equal(db_pg_step(q, &d, "read"), DB_ROW);
    assert_string_equal(db_pg_column_text(q, 0), "41=a;b 42=:id");
    db_pg_finalize(q);
    db_pg_close(db);
}

/* The run lock: a second connection gets 75 and the holder named. */
static void test_lock_names_the_holder(void **state)
{
    (void)state;
    const char *uri = cluster_uri("postgres", NULL);
    NEED_CLUSTER(uri);
    struct db_pg *a = NULL, *b = NULL;
    struct diag d = {0};
    assert_int_equal(db_pg_open(uri, "t_lock", DB_WRITE, &a, &d), 0);
    assert_int_equal(db_pg_open(uri, "t_lock", DB_WRITE, &b, &d), 0);
    assert_int_equal(db_pg_try_lock(a, &d), 0);
    assert_int_equal(db_pg_try_lock(b, &d), -1);
    assert_int_equal(d.exit_code, EX_TEMPFAIL);
    char pid[32];
    snprintf(pid, sizeof pid, "pid %ld", (long)getpid());
    if (!strstr(d.reason, "schema 't_lock' held by pid ") ||
        !strstr(d.reason, pid) || !strstr(d.reason, " since ") ||
        !strstr(d.reason, "try later"))
        fail_msg("holder not named: %s", d.reason);
    /* another schema of the same database is another lock */
    struct db_pg *c = NULL;
    assert_int_equal(db_pg_open(uri, "t_lock2", DB_WRITE, &c, &d), 0);
    assert_int_equal(db_pg_try_lock(c, &d), 0);
    db_pg_close(a);                       /* the holder leaves */
    /* its server process lets the lock go a moment after the socket
     * closes: try for up to 5 s */
    int rc = -1;
    for (int i = 0; i < 250 && rc != 0; i++) {
        rc = db_pg_try_lock(b, &d);
        if (rc != 0)
            usleep(20000);
    }
    assert_int_equal(rc, 0);
    db_pg_close(b);
    db_pg_close(c);
}

/* Connection failures: 66 with libpq's reason, the password never shown. */
static void test_connection_failures(void **state)
{
    (void)state;
    NEED_CLUSTER(cluster_uri("postgres", NULL));
    struct db_pg *db = NULL;
    struct diag d = {0};
    const char *bad = cluster_uri("svc_pw", "wrong-pw-77");
    assert_int_equal(db_pg_open(bad, NULL, DB_WRITE, &db, &d), -1);
    assert_int_equal(d.exit_code, EX_NOINPUT);
    assert_non_null(strstr(d.reason, "password authentication failed"));
    assert_null(strstr(d.reason, "wrong-pw-77"));
    assert_null(strstr(d.file, "wrong-pw-77"));
    const char *good = cluster_uri("svc_pw", "svc-secret-pw");
    assert_int_equal(db_pg_open(good, "t_pw", DB_WRITE, &db, &d), 0);
    assert_null(strstr(db_pg_display_name(db), "svc-secret-pw"));
    db_pg_close(db);
    /* no server on that socket folder */
    assert_int_equal(db_pg_open("postgresql://postgres@/svc?host=/nonexistent",
                                NULL, DB_WRITE, &db, &d), -1);
    assert_int_equal(d.exit_code, EX_NOINPUT);
    assert_non_null(strstr(d.reason, "cannot connect: "));
    /* a schema that is not there, read only: 66, nothing created */
    assert_int_equal(db_pg_open(cluster_uri("postgres", NULL), "t_absent",
                                DB_READ_ONLY, &db, &d), -1);
    assert_int_equal(d.exit_code, EX_NOINPUT);
    assert_non_null(strstr(d.reason, "no schema 't_absent'"));
    /* a schema name that is no plain identifier: usage */
    assert_int_equal(db_pg_open(cluster_uri("postgres", NULL), "a; DROP",
                                DB_WRITE, &db, &d), -1);
    assert_int_equal(d.exit_code, EX_USAGE);
    /* a login without CREATE on the database cannot make the schema: 73 */
    assert_int_equal(db_pg_open(cluster_uri("svc_nopriv", NULL), "t_nopriv",
                                DB_WRITE, &db, &d), -1);
    assert_int_equal(d.exit_code, EX_CANTCREAT);
    assert_non_null(strstr(d.reason, "permission denied"));
}

/* The schema version lives in a one-row table of the schema. */
static void test_schema_version(void **state)
{
    (void)state;
    NEED_CLUSTER(cluster_uri("postgres", NULL));
    struct db_pg *db = open_fresh("t_version");
    struct diag d = {0};
    int v = -1;
    assert_int_equal(db_pg_schema_version(db, &v, &d), 0);
    assert_int_equal(v, 0);
    assert_int_equal(db_pg_set_schema_version(db, 3, &d), 0);
    assert_int_equal(db_pg_set_schema_version(db, 5, &d), 0);
    assert_int_equal(db_pg_schema_version(db, &v, &d), 0);
    assert_int_equal(v, 5);
    db_pg_close(db);
}

/* The bulk seam (COPY ... FROM STDIN, binary): every type round trips
 * exactly, more rows than one send buffer arrive in order, a value the
 * server refuses fails at the end (nothing stored), and an abandoned COPY
 * leaves the connection usable. */
static void test_bulk_load(void **state)
{
    (void)state;
    NEED_CLUSTER(cluster_uri("postgres", NULL));
    struct db_pg *db = open_fresh("t_bulk");
    must_exec(db, "CREATE TABLE b (n bigint, f double precision, t text, "
              "x bytea)");
    struct diag d = {0};
    struct db_pg_bulk *b = NULL;
    const unsigned char blob[] = {'a', 0, 0xE9, 0xFF};
    char text[120];
    memset(text, 'w', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    assert_int_equal(db_pg_begin(db, true, &d, "begin"), 0);
    assert_int_equal(db_pg_bulk_begin(db, "b", "n, f, t, x", &b, &d), 0);
    db_pg_bulk_int64(b, -5000000000LL);
    db_pg_bulk_double(b, 0.1);
    db_pg_bulk_bytes(b, "caf\xc3\xa9\t\"x\"\n\\", 11);
    db_pg_bulk_bytes(b, blob, sizeof blob);
    assert_int_equal(db_pg_bulk_row(b, &d), 0);
    for (int i = 0; i < 3000; i++) {       /* > one 256 KiB send */
        db_pg_bulk_int64(b, i);
        db_pg_bulk_null(b);
        db_pg_bulk_bytes(b, text, strlen(text));
        db_pg_bulk_null(b);
        assert_int_equal(db_pg_bulk_row(b, &d), 0);
    }
    assert_int_equal(db_pg_bulk_end(b, &d), 0);
    assert_int_equal(db_pg_commit(db, &d, "commit"), 0);
    struct db_pg_stmt *q = must_prepare(db,
        "SELECT count(*), sum(n) FILTER (WHERE n >= 0), "
        "min(n) = -5000000000 AND bool_or(f = 0.1::float8), "
        "(SELECT t || '|' || encode(x, 'hex') FROM b WHERE x IS NOT NULL), "
        "count(*) FILTER (WHERE f IS NULL AND x IS NULL "
        "AND length(t) = 119) FROM b");
    assert_int_equal(db_pg_step(q, &d, "read back"), DB_ROW);
    assert_int_equal(db_pg_column_int64(q, 0), 3001);
    assert_int_equal(db_pg_column_int64(q, 1), 2999 * 3000 / 2);
    assert_int_equal(db_pg_column_int64(q, 2), 1);
    assert_string_equal(db_pg_column_text(q, 3),
                        "caf\xc3\xa9\t\"x\"\n\\|6100e9ff");
    assert_int_equal(db_pg_column_int64(q, 4), 3000);
    db_pg_finalize(q);

    /* text that is not UTF-8: refused by the server, at the end */
    assert_int_equal(db_pg_begin(db, true, &d, "begin"), 0);
    assert_int_equal(db_pg_bulk_begin(db, "b", "t", &b, &d), 0);
    db_pg_bulk_bytes(b, "caf\xe9", 4);
    assert_int_equal(db_pg_bulk_row(b, &d), 0);
    assert_int_equal(db_pg_bulk_end(b, &d), -1);
    assert_non_null(strstr(d.reason, "loading the rows: "));
    db_pg_rollback(db);

    /* abandoned: the COPY ends, the transaction rolls back, the
     * connection goes on */
    assert_int_equal(db_pg_begin(db, true, &d, "begin"), 0);
    assert_int_equal(db_pg_bulk_begin(db, "b", "n", &b, &d), 0);
    db_pg_bulk_int64(b, 7);
    assert_int_equal(db_pg_bulk_row(b, &d), 0);
    db_pg_bulk_abandon(b);
    db_pg_rollback(db);
    q = must_prepare(db, "SELECT count(*) FROM b");
    assert_int_equal(db_pg_step(q, &d, "count"), DB_ROW);
    assert_int_equal(db_pg_column_int64(q, 0), 3001);
    db_pg_finalize(q);
    db_pg_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rewrite_table),
        cmocka_unit_test(test_mask_uri_table),
        cmocka_unit_test(test_types_round_trip),
        cmocka_unit_test(test_unique_keeps_the_transaction),
        cmocka_unit_test(test_cursors_interleave),
        cmocka_unit_test(test_exec_each),
        cmocka_unit_test(test_lock_names_the_holder),
        cmocka_unit_test(test_connection_failures),
        cmocka_unit_test(test_schema_version),
        cmocka_unit_test(test_bulk_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
