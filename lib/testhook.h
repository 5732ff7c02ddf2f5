/* testhook.h -- a pause at a named point of a run, for the tests that
 * interrupt svcrecon there (kill -9, a server ending the session, a second
 * run started meanwhile). Nothing happens unless $SVCRECON_TEST_PAUSE
 * names the point. The points: "copy", "staged KIND" (etl/load.c: a
 * file's COPY on PostgreSQL), "hashed" (etl/load.c: a file's SHA-256
 * taken, its load not begun), "copy TABLE" (app/copy.c), "report"
 * (reports/report.c: inside the report's transaction, before the rules),
 * "closing" (lib/db_pg.c: the session after it gave back the run lock),
 * "summary running" (app/run_summary.c: the "running" summary written
 * to its temporary file, not yet renamed into place), "connected" and
 * "locking" (lib/db_pg.c: the session just logged in, and about to take
 * the run lock), "statements" (reports/statements.c: the statements'
 * temporary folder made, nothing written in it yet), "explain"
 * (reports/explain.c: a dispatch's story told up to its closeouts). */
#ifndef SVC_TESTHOOK_H
#define SVC_TESTHOOK_H

/* Sleeps `seconds` when $SVCRECON_TEST_PAUSE is exactly `point`. */
void test_pause(const char *point, unsigned seconds);

#endif
