#!/usr/bin/python3
"""t0220 -- PostgreSQL at scale, and a real server restart (issue 17).

- A generated 200k night, then its second night, give the same workbooks
  cell for cell on SQLite and on PostgreSQL (every sheet of every workbook;
  only the database's name differs). The data are make bench's
  (bench/bench.py's generate(): 200,000 dispatches, about as many
  closeouts, 40,000 registrations; night 2 adds about 12,000 dispatches).
  Each run's wall time is printed. It runs on the cluster tests/run-all
  starts ($SVCRECON_PG_DIR), in a schema of its own.
- A real server restart (pg_ctl restart -m fast) while svcrecon loads a
  large dispatches file: exit 70 saying the connection was lost, the file
  in flight rolled back (imported_file lacks it), and the rerun completes
  the night with the cells of an uninterrupted run. It restarts a cluster
  of its own (tests/pgcluster.py, its own folder), never the shared one.

Without PostgreSQL every test says SKIP (counted apart, never passed).
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import bench  # noqa: E402  (bench/bench.py: make bench's generator)
import pgcluster  # noqa: E402
from svctest import SANITIZED, SVCRECON, Tmp, check, eq, skip, svc  # noqa: E402
from xlsx_helpers import same_cells, shell_quote  # noqa: E402

SUFFIX = "asan" if SANITIZED else "plain"
NIGHT_DISPATCHES = 200000
RESTART_DISPATCHES = 50000     # dispatches file of about 5 MB


def shared_cluster():
    return pgcluster.from_env() or skip(
        "no PostgreSQL cluster ($SVCRECON_PG_DIR unset: tests/run-all starts "
        "one; %s)" % (pgcluster.unavailable() or "not started"))


def generate(t, n):
    """make bench's data set of n dispatches in t/gen/night1, night2; the
    generator's stamp (each night's as-of date)."""
    return bench.generate(n, t.p("gen"), bench.SEED, True)


def timed_run(db, extra, inbox, out, as_of):
    t0 = time.monotonic()
    r = svc("run", "--db", db, *extra, "--inbox", inbox, "--out", out,
            "--as-of", as_of, "--quiet")
    eq(r.code, 0, r)
    return time.monotonic() - t0


def test_a_200k_night_gives_the_same_cells_on_both():
    if SANITIZED:
        # Decision (issue 17 T1 note): a few minutes more on PostgreSQL
        # for a sanitizer pass over the same code paths that t0210 and the
        # restart test below already run under ASan.
        skip("the 200k night runs in the plain build only (minutes on "
             "PostgreSQL; the ASan build runs t0210 and the restart test)")
    c = shared_cluster()
    schema = "t0220_night_%s" % SUFFIX
    c.psql(pgcluster.DATABASE, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)
    uri = c.uri()
    with Tmp() as t:
        stamp = generate(t, NIGHT_DISPATCHES)
        lite = t.p("svc.db")
        lite_names = [shell_quote(lite), lite]
        pg_names = ["%s --schema %s" % (shell_quote(uri), schema), uri]
        nights = []
        for night in (1, 2):
            nights.append((night, t.p("gen", "night%d" % night)))
            bench.make_inbox(t.p("inbox"), nights)   # night 1 again: skipped
            as_of = stamp["night%d" % night]["as_of"]
            out = "night%d" % night
            s_lite = timed_run(lite, [], t.p("inbox"), t.p("lite", out), as_of)
            s_pg = timed_run(uri, ["--schema", schema], t.p("inbox"),
                             t.p("pg", out), as_of)
            t0 = time.monotonic()
            n = same_cells(t.p("lite", out), lite_names, t.p("pg", out),
                           pg_names)
            print("night %d (as of %s): run on SQLite %.1f s, on PostgreSQL "
                  "%.1f s; %d cells equal (compared in %.1f s)" % (
                      night, as_of, s_lite, s_pg, n, time.monotonic() - t0))
            check(n > 400000 if night == 1 else n > 100000, n)
        c.psql(pgcluster.DATABASE, "DROP SCHEMA %s CASCADE" % schema)


def in_flight(conn, pid, schema):
    """True once svcrecon (pid) loads the dispatches file on conn's server:
    registrations committed, and its session inside a transaction over the
    dispatch rows."""
    cur = conn.cursor()
    cur.execute("SELECT to_regclass(%s) IS NOT NULL",
                (schema + ".imported_file",))
    if not cur.fetchone()[0]:
        return False
    cur.execute("SELECT string_agg(name, ' ' ORDER BY file_id) FROM "
                "%s.imported_file" % schema)
    if cur.fetchone()[0] != "registrations_1.csv":
        return False
    cur.execute("SELECT count(*) FROM pg_stat_activity"
                " WHERE application_name = %s AND xact_start IS NOT NULL"
                "   AND (query LIKE '%%dispatch%%' OR query LIKE 'COPY%%')",
                ("svcrecon on %s pid %d" % (os.uname().nodename[:39], pid),))
    return cur.fetchone()[0] > 0


def test_a_server_restart_mid_import_is_70_and_the_rerun_completes():
    why = pgcluster.unavailable()
    if why:
        skip(why)
    try:
        import psycopg2   # python3-psycopg2 (make test-deps)
    except ImportError:
        skip("python3-psycopg2 is not installed (make test-deps)")
    schema = "t0220_restart"
    with pgcluster.Cluster() as c, Tmp() as t:
        stamp = generate(t, RESTART_DISPATCHES)
        bench.make_inbox(t.p("inbox"), [(1, t.p("gen", "night1"))])
        args = ["--inbox", t.p("inbox"), "--as-of", stamp["night1"]["as_of"],
                "--quiet"]
        uri = c.uri()
        # The load waits 10 s once the dispatches' COPY has ended, its rows
        # not yet in their tables (test hook "staged dispatches",
        # lib/testhook.h): the restart then always lands inside the file's
        # transaction, however fast the machine (polling alone could see
        # the file in flight too late, or not at all, and the file would
        # commit before the server went).
        p = subprocess.Popen([SVCRECON, "run", "--db", uri, "--schema",
                              schema, "--out", t.p("pg")] + args,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True,
                             env=dict(os.environ,
                                      SVCRECON_TEST_PAUSE="staged dispatches"))
        conn = psycopg2.connect(host=c.dir, user="postgres",
                                dbname=pgcluster.DATABASE)
        conn.autocommit = True
        caught = False
        try:
            while not caught and p.poll() is None:
                caught = in_flight(conn, p.pid, schema)
                time.sleep(0.01)
        finally:
            conn.close()
        if caught:
            c.restart()
        out, err = p.communicate(timeout=600)
        check(caught, "the dispatches file was never seen in flight: "
              "exit %s, %s" % (p.returncode, err))
        print("restarted while loading; svcrecon said: %s" % err.strip())
        eq(p.returncode, 75, err)
        # the file in flight is named, with what became of it and what to
        # do, then the back end's words (t0210 checks the same without a
        # password in the message)
        want = (t.p("inbox", "dispatches_1.csv") + ": lost the connection "
                "to the database server while loading this file: the server "
                "rolled the file back, nothing of it is kept; it loads again "
                "on the next run (" + uri + ": ")
        check(want in err, "want %r in: %s" % (want, err))
        check("lost the connection to the server" in err, err)
        # the file in flight rolled back; the one before it kept
        loaded = c.psql(pgcluster.DATABASE, "SELECT string_agg(name, ' ' "
                        "ORDER BY file_id) FROM %s.imported_file" % schema)
        eq(loaded.strip(), "registrations_1.csv", "imported files")
        eq(c.psql(pgcluster.DATABASE, "SELECT count(*) FROM %s.dispatch"
                  % schema).strip(), "0", "dispatch rows of the file")
        # the rerun completes the night: the cells of an uninterrupted run
        r = svc("run", "--db", uri, "--schema", schema, "--out", t.p("pg"),
                *args)
        eq(r.code, 0, r)
        r = svc("run", "--db", t.p("svc.db"), "--out", t.p("lite"), *args)
        eq(r.code, 0, r)
        n = same_cells(t.p("lite"), [shell_quote(t.p("svc.db")),
                                     t.p("svc.db")],
                       t.p("pg"), ["%s --schema %s" % (shell_quote(uri),
                                                       schema), uri])
        check(n > 100000, n)


if __name__ == "__main__":
    import svctest
    svctest.main(globals())
