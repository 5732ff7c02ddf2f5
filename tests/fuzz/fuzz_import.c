/* fuzz_import.c -- libFuzzer target for a whole-file import (etl/load.c
 * with csvin, feed, parse, utf8 and the real schema of db.c).
 *
 * Input: the first byte picks the kind (byte % 3: registrations,
 * dispatches, closeouts) and the read size (byte / 3 % 8 indexes a small
 * table); the rest is the file. It is written to a temporary file and
 * imported by load_file() into a database file beside it, in a private
 * folder (/dev/shm when it can be written, else /tmp) removed at exit
 * (emptied after each input), then imported a second time. Not
 * db_open(":memory:"): svcrecon opens that name as the file "./:memory:"
 * (SPEC §5, tests/e2e/t7100), so the target left ":memory:", "-wal" and
 * "-shm" in the folder it ran from, the repository (tests/fuzz/run now
 * fails a target that leaves a file there). Checked (SPEC §2):
 *   - the file is loaded or refused; never a database failure;
 *   - rows read = rows loaded + rows rejected, and the same totals are in
 *     its imported_file row;
 *   - the feed table holds exactly rows_loaded rows and rejected_row exactly
 *     rows_rejected, all of this file; a refused file leaves no row at all
 *     but its one imported_file row, with the reason;
 *   - every record read has its own physical line (>= 2), loaded or
 *     rejected, and a key repeat names an earlier line of the file;
 *   - stored text is valid UTF-8 without NUL; identifiers are trimmed;
 *     normalized codes are the normalization of the stored value; dates
 *     and date-times are in canonical form and agree with their day number;
 *   - importing the same bytes again changes nothing (skipped when loaded;
 *     still one refused row when refused).
 * Messages on stderr are expected; tests/fuzz/run passes -close_fd_mask=2.
 * tests/fuzz/run builds this with small caps (see fuzz_csvin.c). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/db.h"
#include "etl/feed.h"
#include "etl/load.h"
#include "lib/parse.h"
#include "lib/utf8.h"

static char dir[64];        /* the private folder */
static char path[96];       /* the input, in dir */
static struct db *db;       /* one database in dir, emptied after each input */

/* At exit: the database closed, dir and its files (the database, its -wal
 * and -shm, the input) removed. */
static void remove_dir(void)
{
    db_close(db);
    db = NULL;
    DIR *dp = opendir(dir);
    struct dirent *e;
    while (dp && (e = readdir(dp)) != NULL) {
        char file[400];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
        unlink(file);
    }
    if (dp)
        closedir(dp);
    rmdir(dir);
}

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_import: invariant broken: %s%s%s\n", what,
            detail ? ": " : "", detail ? detail : "");
    abort();
}

static long long one(struct db *db, const char *sql)
{
    struct db_stmt *st;
    long long v = -1;
    struct diag d = {0};
    if (db_prepare(db, sql, &st, &d, "query") != 0)
        fail("query does not prepare", d.reason);
    if (db_step(st, NULL, NULL) == DB_ROW)
        v = db_column_int64(st, 0);
    db_finalize(st);
    return v;
}

static const char *table_of(enum feed_kind kind)
{
    switch (kind) {
    case FEED_REGISTRATIONS: return "registration";
    case FEED_DISPATCHES:    return "dispatch";
    case FEED_CLOSEOUTS:     return "closeout";
    }
    return "?";
}

static long long count(struct db *db, const char *table, const char *where)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s %s", table, where);
    return one(db, sql);
}

static bool trimmed(const unsigned char *s, int n)
{
    return n == 0 || (s[0] != ' ' && s[0] != '\t' && s[n - 1] != ' ' &&
                      s[n - 1] != '\t');
}

/* Every text column: valid UTF-8, no NUL; ids trimmed; codes normalized;
 * dates canonical. */
static void check_rows(struct db *db, enum feed_kind kind)
{
    size_t n_cols;
    const struct feed_column *cols = feed_columns(kind, &n_cols);
    for (size_t c = 0; c < n_cols; c++) {
        char sql[256];
        if (cols[c].aux)            /* ":serial_norm" -> serial_norm */
            snprintf(sql, sizeof sql, "SELECT %s, %s FROM %s", cols[c].name,
                     cols[c].aux + 1, table_of(kind));
        else
            snprintf(sql, sizeof sql, "SELECT %s, NULL FROM %s",
                     cols[c].name, table_of(kind));
        struct db_stmt *st;
        struct diag d = {0};
    if (db_prepare(db, sql, &st, &d, "query") != 0)
            fail("column query", d.reason);
        while (db_step(st, NULL, NULL) == DB_ROW) {
            int type = db_column_type(st, 0);
            if (type == DB_NULL) {
                if (cols[c].type != FT_DATE && cols[c].type != FT_DATETIME &&
                    cols[c].type != FT_HOURS)
                    fail("NULL in a text column", cols[c].name);
                if (cols[c].need == FN_REQUIRED)
                    fail("NULL in a required column", cols[c].name);
                continue;
            }
            if (cols[c].type == FT_HOURS) {
                double h = db_column_double(st, 0);
                if (!(h >= 0 && h <= 24))
                    fail("labor_hours out of range", NULL);
                continue;
            }
            if (cols[c].type == FT_FLAG) {
                int f = (int)db_column_int64(st, 0);
                if (f != 0 && f != 1)
                    fail("flag not 0/1", NULL);
                continue;
            }
            const unsigned char *t =
                (const unsigned char *)db_column_text(st, 0);
            int n = (int)db_column_bytes(st, 0);
            if (!utf8_valid((const char *)t, (size_t)n, NULL) ||
                memchr(t, '\0', (size_t)n))
                fail("stored text not UTF-8 or with NUL", cols[c].name);
            if (n > FEED_MAX_FIELD_BYTES)
                fail("stored text over the field limit", cols[c].name);
            if (cols[c].type != FT_TEXT && !trimmed(t, n))
                fail("identifier not trimmed", cols[c].name);
            if (cols[c].need == FN_REQUIRED && n == 0)
                fail("required value blank", cols[c].name);
            if (cols[c].type == FT_CODE) {
                char norm[FEED_MAX_FIELD_BYTES + 1];
                size_t k = parse_normalize((const char *)t, (size_t)n, norm);
                const char *a = db_column_text(st, 1);
                if (db_column_bytes(st, 1) != k ||
                    (k && memcmp(a, norm, k) != 0))
                    fail("normalized code differs", cols[c].name);
            }
            if (cols[c].type == FT_DATE || cols[c].type == FT_DATETIME) {
                struct parse_when w;
                char iso[20];
                bool ok = cols[c].type == FT_DATE
                              ? parse_date((const char *)t, (size_t)n, &w)
                              : parse_datetime((const char *)t, (size_t)n,
                                               &w);
                if (!ok)
                    fail("stored date does not parse", cols[c].name);
                if (cols[c].type == FT_DATE)
                    parse_format_date(&w, iso);
                else
                    parse_format_datetime(&w, iso);
                if (strcmp(iso, (const char *)t) != 0)
                    fail("stored date not canonical", cols[c].name);
                if ((int)db_column_int64(st, 1) != w.day_number)
                    fail("day number differs from the date", cols[c].name);
            }
            if (cols[c].type == FT_STATUS &&
                strcmp((const char *)t, "OPEN") != 0 &&
                strcmp((const char *)t, "CANCELLED") != 0)
                fail("status not OPEN or CANCELLED", NULL);
        }
        db_finalize(st);
    }
    if (kind == FEED_REGISTRATIONS &&
        count(db, "registration", "WHERE removed_day < registered_day") != 0)
        fail("removed_on before registered_on loaded", NULL);
}

/* "... repeats line N of this file": N is an earlier line of the file. */
static void check_repeats(struct db *db, enum feed_kind kind)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT r.line, CAST(substr(r.reason, instr(r.reason, "
             "'repeats line ') + 13) AS INTEGER) FROM rejected_row r "
             "WHERE r.reason LIKE '%% repeats line %% of this file'");
    struct db_stmt *st;
    struct diag d = {0};
    if (db_prepare(db, sql, &st, &d, "query") != 0)
        fail("repeat query", d.reason);
    while (db_step(st, NULL, NULL) == DB_ROW) {
        long long line = db_column_int64(st, 0);
        long long earlier = db_column_int64(st, 1);
        char where[64];
        snprintf(where, sizeof where, "WHERE line = %lld", earlier);
        if (earlier < 2 || earlier >= line ||
            count(db, table_of(kind), where) != 1)
            fail("a key repeat does not name an earlier loaded line", NULL);
    }
    db_finalize(st);
}

static void check_import(struct db *db, enum feed_kind kind,
                         const struct load_result *r, int rc)
{
    const char *table = table_of(kind);
    if (r->status == LOAD_FAILED || r->status == LOAD_UNREADABLE)
        fail("load failed", r->reason);
    if (r->rows_read != r->rows_loaded + r->rows_rejected)
        fail("rows read != loaded + rejected", NULL);
    if (r->status == LOAD_REFUSED) {
        if (rc != 0 || !r->reason[0])
            fail("refused without a reason, or as a failure", NULL);
        if (r->rows_read != 0 || count(db, table, "") != 0 ||
            count(db, "rejected_row", "") != 0 ||
            count(db, "file_warning", "") != 0)
            fail("a refused file left rows", NULL);
        if (count(db, "imported_file", "WHERE status = 'refused' AND "
                  "reason <> '' AND rows_read = 0") != 1 ||
            count(db, "imported_file", "") != 1)
            fail("a refused file is not recorded once", NULL);
        return;
    }
    if (r->status != LOAD_LOADED || rc != 0)
        fail("neither loaded nor refused", NULL);
    if (count(db, table, "") != (long long)r->rows_loaded ||
        count(db, "rejected_row", "") != (long long)r->rows_rejected)
        fail("table counts differ from the control totals", NULL);
    char where[160];
    snprintf(where, sizeof where, "WHERE status = 'loaded' AND rows_read = "
             "%lu AND rows_loaded = %lu AND rows_rejected = %lu",
             r->rows_read, r->rows_loaded, r->rows_rejected);
    if (count(db, "imported_file", where) != 1 ||
        count(db, "imported_file", "") != 1)
        fail("imported_file totals differ", NULL);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(DISTINCT line) FROM (SELECT "
             "line FROM %s UNION ALL SELECT line FROM rejected_row) "
             "WHERE line >= 2", table);
    if (one(db, sql) != (long long)r->rows_read)
        fail("records do not each have their own line >= 2", NULL);
    check_rows(db, kind);
    check_repeats(db, kind);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    char db_path[96];
    snprintf(dir, sizeof dir, "%s/fuzz_import.XXXXXX", base);
    if (!mkdtemp(dir))
        abort();
    atexit(remove_dir);
    snprintf(path, sizeof path, "%s/input", dir);
    snprintf(db_path, sizeof db_path, "%s/fuzz.db", dir);
    struct diag d = {0};
    if (db_open(db_path, NULL, DB_WRITE, &db, &d) != 0)
        fail("db_open", d.reason);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t chunks[8] = {0, 1, 2, 3, 7, 64, 4096, 0};
    if (size < 1)
        return 0;
    enum feed_kind kind = (enum feed_kind)(data[0] % 3);
    struct load_opts opts = {.chunk = chunks[data[0] / 3 % 8],
                             .max_messages = 0};
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(data + 1, 1, size - 1, fp) != size - 1 || fclose(fp))
        abort();

    struct diag d = {0};
    struct load_result r;
    int rc = load_file(db, path, kind, &opts, &r, &d);
    check_import(db, kind, &r, rc);

    struct load_result again;
    rc = load_file(db, path, kind, &opts, &again, &d);
    if (r.status == LOAD_LOADED &&
        (rc != 0 || again.status != LOAD_SKIPPED ||
         again.file_id != r.file_id))
        fail("a second import of the same bytes is not skipped", NULL);
    if (r.status == LOAD_REFUSED &&
        (rc != 0 || again.status != LOAD_REFUSED ||
         strcmp(again.reason, r.reason) != 0))
        fail("a second import of refused bytes differs", NULL);
    check_import(db, kind, &r, 0);
    /* Empty again (rowids restart at 1): the next input starts from a new
     * database, without paying for the schema each time. */
    if (db_exec(db, "DELETE FROM cur_closeout_reason; "
                "DELETE FROM cur_registration_exception; "
                "DELETE FROM cur_closeout; DELETE FROM cur_dispatch; "
                "DELETE FROM cur_registration; DELETE FROM delivery; "
                "DELETE FROM rejected_row; DELETE FROM file_warning;"
                " DELETE FROM registration; DELETE FROM dispatch; "
                "DELETE FROM closeout; DELETE FROM imported_file;",
                &d, "emptying the database") != 0)
        fail("emptying the database", d.reason);
    return 0;
}
