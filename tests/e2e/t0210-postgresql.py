#!/usr/bin/python3
"""t0210 -- PostgreSQL as the database (SPEC §5, issue 17).

Runs against the throw-away cluster tests/run-all starts ($SVCRECON_PG_DIR,
tests/pgcluster.py); each test works in schemas of its own, dropped first.
Without a cluster every test says SKIP (counted apart, never passed).

- the sample nights give the same workbooks cell for cell on SQLite and on
  PostgreSQL (every sheet of every workbook, dealer statements too; only
  the database's name differs), and explain tells the same story;
- the run lock: a second start gets 75 and is told the holder;
- a wrong password is 66 with libpq's reason and the password nowhere;
  PGPASSWORD, a password file and sslmode work as libpq defines them;
- a login without the privileges: 73 when writing, 66 when reading, one
  line naming the role, the object and the GRANT or ALTER ... OWNER to
  run (tables a superuser made: run as it, or give them to the role).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pgcluster  # noqa: E402
from svctest import pg_cluster, reached, ROOT, SVCRECON, Tmp, check, eq, svc, validate_summary  # noqa: E402
from xlsx_helpers import IMPORTED, cells, same_cells, shell_quote, workbooks  # noqa: E402

SAMPLE = os.path.join(ROOT, "sample-data", "inbox")
SUFFIX = "asan" if "asan" in os.environ.get("SVCRECON_BUILD", "") else "plain"


def cluster():
    return pg_cluster()


def fresh_schema(c, name):
    """A schema name of this test and build, dropped if a run left it."""
    schema = "t0210_%s_%s" % (name, SUFFIX)
    c.psql(pgcluster.DATABASE, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)
    return schema


def stage_night(t, inbox, date):
    os.makedirs(t.p(inbox), exist_ok=True)
    for n in sorted(os.listdir(SAMPLE)):
        if n.endswith("_%s.csv" % date):
            shutil.copy(os.path.join(SAMPLE, n), t.p(inbox, n))


def two_nights(t, runs):
    """The demo's two nights (README "The two commands"), each run of runs
    (db, extra options, out folder) in turn on the same inbox."""
    for date in ("2026-03-11", "2026-03-12"):
        stage_night(t, "inbox", date)
        for db, extra, out in runs:
            r = svc("run", "--db", db, *extra, "--inbox", t.p("inbox"),
                    "--out", t.p(out), "--as-of", date, "--statements",
                    "--quiet", "--summary", t.p(out + ".json"))
            eq(r.code, 0, r)


def test_sample_nights_give_the_same_cells_on_both():
    c = cluster()
    schema = fresh_schema(c, "nights")
    uri = c.uri()
    with Tmp() as t:
        lite = t.p("svc.db")
        two_nights(t, [(lite, [], "lite"), (uri, ["--schema", schema], "pg")])
        check(len(workbooks(t.p("lite"))) > 6, "three a night + statements")
        n_cells = same_cells(t.p("lite"), [shell_quote(lite), lite], t.p("pg"),
                             ["%s --schema %s" % (shell_quote(uri), schema), uri])
        check(n_cells > 1000, n_cells)
        # the summaries agree but for the database (and its schema) and
        # the clock
        sl, sp = (validate_summary(t.p(n + ".json")) for n in ("lite", "pg"))
        eq(sp["database"], reached(uri))
        eq((sp["schema"], sl["schema"]), (schema, None), "schema")
        eq(strip_summary(sp), strip_summary(sl), "summary")
        # explain tells the same story (each fact's import time aside)
        for args in (["D2603013"], ["--source", "dispatches_2026-03-12.csv:17"],
                     ["--source", "closeouts_2026-03-11.csv:0"], ["--json", "D2511031"]):
            rl = svc("explain", "--db", lite, "--as-of", "2026-03-12", *args)
            rp = svc("explain", "--db", uri, "--schema", schema, "--as-of",
                     "2026-03-12", *args)
            eq((rp.code, rp.err), (rl.code, rl.err.replace(lite, uri)), args)
            check(len(rl.out) > 200, rl.out)
            # the JSON names the schema (SQLite's: null), as the summary
            if "--json" in args:
                eq((json.loads(rp.out)["schema"], json.loads(rl.out)["schema"]),
                   (schema, None), args)
            eq(unstamp(rp.out, uri).replace('"schema": "%s"' % schema, '"schema": null'),
               unstamp(rl.out, lite), args)


def strip_summary(doc):
    doc = json.loads(IMPORTED.sub("imported T", json.dumps(doc)))
    for k in ("database", "schema", "started_at", "finished_at",
              "elapsed_seconds", "host"):
        doc.pop(k, None)
    for f in doc.get("files", []):
        f.pop("seconds", None)
        f.pop("rules_seconds", None)
        f["path"] = os.path.basename(f["path"])
    for r in (doc.get("reports") or {}).values():
        if isinstance(r, dict):
            for k in list(r):
                if k in ("path", "folder", "seconds"):
                    r[k] = os.path.basename(str(r[k]))
    return doc


def unstamp(text, db):
    text = text.replace(db, "DB")
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "T", text)


# A condition of interrupted_night: n files are committed (query_to_xml:
# the table does not exist before the first migration, and a plain subquery
# on it would not even parse).
FILES_IN = ("CASE WHEN to_regclass('{{schema}}.imported_file') IS NULL THEN "
            "false ELSE query_to_xml('SELECT 1 FROM {{schema}}.imported_file "
            "HAVING count(*) = {n}', false, true, '')::text <> '' END")


def masked(uri):
    """The URI as svcrecon shows it: without the password (SPEC §5)."""
    return uri.replace(":" + pgcluster.PASSWORD + "@", "@")


def check_lost_message(err, want):
    """err holds want, then the back end's words (libpq's), and never the
    password (SPEC §5)."""
    check(want in err, "want %r in: %s" % (want, err))
    check("lost the connection to the server: " in
          err[err.index(want) + len(want):], err)
    check(pgcluster.PASSWORD not in err, err)


def interrupted_night(name, when, how, extra=(), env=None, password=None):
    """Runs a generated night on PostgreSQL and interrupts it the first time
    svcrecon's session is seen while `when` (an SQL condition on
    pg_stat_activity; {schema} is the test's schema) holds: how =
    "terminate" ends the session from the server (as a restart does),
    "kill" sends the program SIGKILL; with password, as the role that logs
    in with it. Returns (cluster, schema, uri, tmp, run args, the
    interrupted run's exit code and stderr)."""
    c = cluster()
    schema = fresh_schema(c, name)
    uri = c.uri(pgcluster.PASSWORD_ROLE, password) if password else c.uri()
    t = Tmp()
    gen = subprocess.run([os.path.join(ROOT, "sample-data", "generate"),
                          "--dispatches", "4000", "--days", "60",
                          "--out", t.p("inbox")], capture_output=True)
    eq(gen.returncode, 0, gen.stderr)
    args = ["--inbox", t.p("inbox"), "--as-of", "2025-03-01", "--quiet"]
    args += list(extra)
    p = subprocess.Popen([SVCRECON, "run", "--db", uri, "--schema", schema,
                          "--out", t.p("pg")] + args, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         env=dict(os.environ, **(env or {})))
    caught = ""
    for _ in range(3000):
        caught = c.psql(pgcluster.DATABASE, """
            SELECT %s FROM pg_stat_activity
             WHERE application_name = 'svcrecon on %s pid %d'
               AND %s""" % (
            "pg_terminate_backend(pid)" if how == "terminate" else "'t'",
            os.uname().nodename[:39], p.pid,
            when.format(schema=schema))).strip()
        if caught or p.poll() is not None:
            break
    if caught and how == "kill":
        p.kill()
    out, err = p.communicate(timeout=300)
    eq(caught, "t", "not caught while %r: %s" % (when, err))
    return c, schema, uri, t, args, p.returncode, err


def rerun_equals_clean_sqlite(uri, schema, t, args):
    r = svc("run", "--db", uri, "--schema", schema, "--out", t.p("pg"), *args)
    eq(r.code, 0, r)
    r = svc("run", "--db", t.p("svc.db"), "--out", t.p("lite"), *args)
    eq(r.code, 0, r)
    shown = masked(uri)
    n = same_cells(t.p("lite"), [shell_quote(t.p("svc.db")), t.p("svc.db")],
                   t.p("pg"), ["%s --schema %s" % (shell_quote(shown), schema),
                               shown])
    check(n > 10000, n)


def test_connection_lost_mid_load_is_75_and_the_rerun_completes():
    # SPEC §6 on a server: the server ends svcrecon's session while a file
    # loads (as a restart does); the file in flight is rolled back, the run
    # ends 75 (try later: README "PostgreSQL"; it was 70), and running again gives what an uninterrupted run gives.
    # The dispatches file loads by COPY (issue-17c), a moment too short to
    # catch by polling: the test hook holds it once its records are staged
    # on the server, before they reach their tables.
    c, schema, uri, t, args, code, err = interrupted_night(
        "lost", "state = 'idle in transaction' AND query LIKE "
        "'COPY load_stage %%dispatched_at%%'", "terminate",
        env={"SVCRECON_TEST_PAUSE": "staged dispatches"},
        password=pgcluster.PASSWORD)
    with t:
        eq(code, 75, err)
        # the message names the file in flight, what became of it and what
        # to do, then the back end's words with the database's name
        check_lost_message(err, t.p("inbox", "dispatches.csv") + ": lost the "
                           "connection to the database server while loading "
                           "this file: the server rolled the file back, "
                           "nothing of it is kept; it loads again on the "
                           "next run (" + masked(uri) + ": ")
        loaded = c.psql(pgcluster.DATABASE, "SELECT string_agg(name, ' ' "
                        "ORDER BY file_id) FROM %s.imported_file" % schema)
        eq(loaded.strip(), "registrations.csv", "the file in flight stayed")
        rerun_equals_clean_sqlite(uri, schema, t, args)


def test_connection_lost_during_the_report_says_it_is_the_report():
    # The server ends the session once the three files are in, while the
    # report writes: the message says it is the report (no file), that it
    # is not recorded, and that the rerun writes it; the rerun does.
    # The report waits 10 s inside its transaction (test hook "report",
    # lib/testhook.h): however fast the machine, the session is seen there.
    c, schema, uri, t, args, code, err = interrupted_night(
        "lostreport", FILES_IN.format(n=3), "terminate", ["--statements"],
        env={"SVCRECON_TEST_PAUSE": "report"})
    with t:
        eq(code, 75, err)
        check_lost_message(err, "svcrecon: lost the connection to the "
                           "database server while writing the report as of "
                           "2025-03-01: the report is not recorded and its "
                           "workbooks may be missing or older; the next run "
                           "writes it (the imported files are kept) ("
                           + masked(uri) + ": ")
        eq(c.psql(pgcluster.DATABASE, "SELECT count(*) FROM %s.imported_file"
                  % schema).strip(), "3", "not cut in the report")
        eq(c.psql(pgcluster.DATABASE, "SELECT count(*) FROM %s.report_run"
                  % schema).strip(), "0", "a cut report was recorded")
        rerun_equals_clean_sqlite(uri, schema, t, args)


def test_kill_9_during_the_report_then_rerun_is_a_clean_run():
    # kill -9 once the three files are in, while the report writes (with
    # the dealer statements, the longest part): the server rolls the
    # report's transaction back when the socket closes; nothing of the
    # report is recorded, and the rerun writes what an uninterrupted run
    # writes.
    # (The report waits 10 s inside its transaction: test hook "report".)
    c, schema, uri, t, args, code, err = interrupted_night(
        "kill9",
        FILES_IN.format(n=3), "kill", ["--statements"],
        env={"SVCRECON_TEST_PAUSE": "report"})
    with t:
        eq(code, -9, err)
        eq(c.psql(pgcluster.DATABASE, "SELECT count(*) FROM %s.imported_file"
                  % schema).strip(), "3", "not killed in the report")
        eq(c.psql(pgcluster.DATABASE, "SELECT count(*) FROM %s.report_run"
                  % schema).strip(), "0", "a killed report was recorded")
        rerun_equals_clean_sqlite(uri, schema, t, args)


def test_second_start_gets_75_naming_the_holder():
    c = cluster()
    schema = fresh_schema(c, "lock")
    uri = c.uri()
    with Tmp() as t:
        stage_night(t, "inbox", "2026-03-11")
        r = svc("import", "--db", uri, "--schema", schema, "--kind",
                "registrations", t.p("inbox", "registrations_2026-03-11.csv"))
        eq(r.code, 0, r)
        # a session that holds the run lock of this database and schema
        with pgcluster.lock_holder(c, schema) as pid:
            for args in (["run", "--inbox", t.p("inbox"), "--out", t.p("out")],
                         ["report", "--out", t.p("out")],
                         ["import", "--kind", "dispatches",
                          t.p("inbox", "dispatches_2026-03-11.csv")]):
                r = svc(args[0], "--db", uri, "--schema", schema, *args[1:])
                eq(r.code, 75, r)
                check("schema '%s' held by pid %s on the local socket "
                      "(application 'the-night-holder') since " % (schema, pid)
                      in r.err and "try later" in r.err, r.err)
            check(not os.path.exists(t.p("out")), "a held run wrote workbooks")
            # explain reads without the lock
            r = svc("explain", "--db", uri, "--schema", schema, "X1")
            eq(r.code, 65, r)
        # the holder gone, the run goes ahead (its server process lets the
        # lock go a moment after psql exits)
        for _ in range(50):
            r = svc("run", "--db", uri, "--schema", schema, "--inbox",
                    t.p("inbox"), "--out", t.p("out"), "--as-of", "2026-03-11",
                    "--quiet")
            if r.code != 75:
                break
            time.sleep(0.1)
        eq(r.code, 0, r)


def test_the_lock_goes_back_before_the_session_ends():
    # A report started right after an import must not find the schema
    # held: the import gives the run lock back before it ends its session
    # (a leaving backend drops its TEMP tables before the server releases
    # its advisory locks; at 1M rows that took long enough for a report
    # started 0.1 s later to get 75). The import's session is held open
    # 5 s after its unlock (the test hook "closing" of lib/db_pg.c); a
    # report started then must run.
    c = cluster()
    schema = fresh_schema(c, "unlock")
    uri = c.uri()
    with Tmp() as t:
        stage_night(t, "inbox", "2026-03-11")
        p = subprocess.Popen(
            [SVCRECON, "import", "--db", uri, "--schema", schema, "--kind",
             "registrations", "--quiet",
             t.p("inbox", "registrations_2026-03-11.csv")],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, SVCRECON_TEST_PAUSE="closing"))
        loaded = ""
        while p.poll() is None and loaded != "1":   # the file is in
            loaded = c.psql(pgcluster.DATABASE, """
                SELECT CASE WHEN to_regclass('%s.imported_file') IS NULL
                            THEN 0 ELSE (query_to_xml('SELECT 1 FROM
                                 %s.imported_file HAVING count(*) = 1',
                                 false, true, '')::text <> '')::int END
                """ % (schema, schema)).strip()
            time.sleep(0.05)
        eq(loaded, "1", "the import's session was not seen closing")
        r = svc("report", "--db", uri, "--schema", schema, "--out",
                t.p("out"), "--as-of", "2026-03-11", "--quiet")
        still_open = p.poll() is None
        out, err = p.communicate(timeout=60)
        eq(p.returncode, 0, err)
        check(still_open, "the import ended before the report: the test "
              "proved nothing")
        eq(r.code, 0, r)


def test_wrong_password_is_66_and_never_shown():
    c = cluster()
    schema = fresh_schema(c, "pw")
    with Tmp() as t:
        stage_night(t, "inbox", "2026-03-11")
        bad = c.uri(pgcluster.PASSWORD_ROLE, "Wr0ng-pw-xyz")
        r = svc("run", "--db", bad, "--schema", schema, "--inbox", t.p("inbox"),
                "--out", t.p("out"), "--summary", t.p("s.json"))
        eq(r.code, 66, r)
        check("password authentication failed for user \"svc_pw\"" in r.err, r.err)
        check("Wr0ng-pw-xyz" not in r.err + r.out, r.err)
        check("Wr0ng-pw-xyz" not in open(t.p("s.json")).read(), "summary")
        # the right one in the URI: the workbooks never hold it
        good = c.uri(pgcluster.PASSWORD_ROLE, pgcluster.PASSWORD)
        r = svc("run", "--db", good, "--schema", schema, "--inbox", t.p("inbox"),
                "--out", t.p("out"), "--as-of", "2026-03-11", "--quiet",
                "--summary", t.p("s.json"))
        eq(r.code, 0, r)
        for b in workbooks(t.p("out")):
            _, cs = cells(t.p("out", b), [])
            check(pgcluster.PASSWORD not in json.dumps(cs, default=str), b)
        check(pgcluster.PASSWORD not in open(t.p("s.json")).read(), "summary")
        # PGPASSWORD, as libpq reads it
        r = svc("report", "--db", c.uri(pgcluster.PASSWORD_ROLE), "--schema",
                schema, "--out", t.p("out2"), "--as-of", "2026-03-11", "--quiet",
                env={"PGPASSWORD": pgcluster.PASSWORD})
        eq(r.code, 0, r)
        # a password file (~/.pgpass, here through PGPASSFILE), and sslmode
        # in the URI, as libpq reads them (a Unix socket uses no SSL, so
        # "prefer" connects; "require" is libpq's to refuse or allow)
        passfile = t.p("pgpass")
        with open(passfile, "w") as f:
            f.write("*:*:*:%s:%s\n" % (pgcluster.PASSWORD_ROLE, pgcluster.PASSWORD))
        os.chmod(passfile, 0o600)
        uri = c.uri(pgcluster.PASSWORD_ROLE)
        uri += ("&" if "?" in uri else "?") + "sslmode=prefer"
        r = svc("report", "--db", uri, "--schema", schema, "--out", t.p("out3"),
                "--as-of", "2026-03-11", "--quiet", env={"PGPASSFILE": passfile})
        eq(r.code, 0, r)
        # ... and without either, libpq's own refusal, 66
        r = svc("report", "--db", c.uri(pgcluster.PASSWORD_ROLE), "--schema",
                schema, "--out", t.p("out4"), "--as-of", "2026-03-11", "--quiet",
                env={"PGPASSFILE": t.p("no-such-file")})
        eq(r.code, 66, r)


def test_missing_privileges_are_73_writing_and_66_reading():
    """Each denial keeps PostgreSQL's words (an auditor may need them) and
    says which role lacks what, and the statement that gives it."""
    c = cluster()
    schema = fresh_schema(c, "priv")
    role = pgcluster.NOPRIV_ROLE
    with Tmp() as t:
        stage_night(t, "inbox", "2026-03-11")
        nopriv = c.uri(role)
        # no CREATE on the database: the schema cannot be made
        r = svc("run", "--db", nopriv, "--schema", schema, "--inbox", t.p("inbox"),
                "--out", t.p("out"))
        eq(r.code, 73, r)
        check("permission denied for database %s; role %s may not create "
              "schema %s: as the database's owner or a superuser, GRANT CREATE "
              "ON DATABASE %s TO %s, or CREATE SCHEMA %s AUTHORIZATION %s"
              % (pgcluster.DATABASE, role, schema, pgcluster.DATABASE, role,
                 schema, role) in r.err.splitlines()[0], r.err)   # one line
        # the schema made by its owner; no privilege on it for the login
        r = svc("run", "--db", c.uri(), "--schema", schema, "--inbox",
                t.p("inbox"), "--out", t.p("out"), "--as-of", "2026-03-11",
                "--quiet")
        eq(r.code, 0, r)
        # what cannot be read is 66 (report first checks that the schema
        # holds svcrecon's tables, as it checks that a file exists)
        for args in (["report", "--out", t.p("o2")], ["explain", "D2603013"]):
            r = svc(args[0], "--db", nopriv, "--schema", schema, *args[1:])
            eq(r.code, 66, r)
            check("permission denied for schema '%s': the role needs USAGE on "
                  "it; role %s may not read schema %s: as postgres or a "
                  "superuser, GRANT USAGE ON SCHEMA %s TO %s; GRANT SELECT ON "
                  "ALL TABLES IN SCHEMA %s TO %s" % (schema, role, schema,
                                                     schema, role, schema, role)
                  in r.err, r.err)
        # USAGE without SELECT: explain is 66, told the GRANT it lacks
        c.psql(pgcluster.DATABASE, "GRANT USAGE ON SCHEMA %s TO %s"
               % (schema, role))
        r = svc("explain", "--db", nopriv, "--schema", schema, "--as-of",
                "2026-03-11", "D2603013")
        eq(r.code, 66, r)
        check("permission denied for table schema_version; role %s may not "
              "read schema %s: as postgres or a superuser" % (role, schema)
              in r.err, r.err)
        check("GRANT SELECT ON ALL TABLES IN SCHEMA %s TO %s (enough for "
              "explain; import, report and run write: run them as postgres)"
              % (schema, role) in r.err, r.err)
        # a reader (USAGE, SELECT): explain works, report cannot write
        c.psql(pgcluster.DATABASE, "GRANT SELECT ON ALL TABLES IN SCHEMA %s TO %s"
               % (schema, role))
        r = svc("explain", "--db", nopriv, "--schema", schema, "--as-of",
                "2026-03-11", "D2603013")
        eq(r.code, 0, r)
        r = svc("report", "--db", nopriv, "--schema", schema, "--out", t.p("o2"),
                "--as-of", "2026-03-11")
        eq(r.code, 73, r)
        check("needs USAGE and CREATE on it; as postgres or a superuser, GRANT "
              "USAGE, CREATE ON SCHEMA %s TO %s" % (schema, role) in r.err, r.err)
        # CREATE on the schema, but no INSERT on its tables (postgres's)
        c.psql(pgcluster.DATABASE, "GRANT CREATE ON SCHEMA %s TO %s"
               % (schema, role))
        r = svc("report", "--db", nopriv, "--schema", schema, "--out", t.p("o2"),
                "--as-of", "2026-03-11")
        eq(r.code, 73, r)
        check("permission denied for table report_" in r.err, r.err)
        check("; the tables of schema %s are owned by postgres, not %s: run "
              "svcrecon as postgres, or have it or a superuser run: ALTER "
              "SCHEMA %s OWNER TO %s;" % (schema, role, schema, role) in r.err,
              r.err)


def ensure_role(c, role):
    """A login role of the shared cluster, made once (no privilege)."""
    c.psql(pgcluster.DATABASE, "DO $$BEGIN IF NOT EXISTS (SELECT FROM "
           "pg_roles WHERE rolname = '%s') THEN CREATE ROLE %s LOGIN; END IF; "
           "END$$" % (role, role))


def test_no_connect_privilege_says_the_grant():
    """A role without CONNECT on the database (the README's setting up
    revokes it from PUBLIC): 66 at the connection, nothing done, told the
    GRANT beside PostgreSQL's words."""
    c = cluster()
    role = "t0210_noconn_" + SUFFIX
    ensure_role(c, role)
    with Tmp() as t:
        stage_night(t, "inbox", "2026-03-11")
        for args in (["run", "--inbox", t.p("inbox"), "--out", t.p("out")],
                     ["explain", "D2603013"]):
            r = svc(args[0], "--db", c.uri(role), *args[1:])
            eq(r.code, 66, r)
            line = r.err.splitlines()[0]
            check('permission denied for database "%s"' % pgcluster.DATABASE
                  in line, r.err)
            check(line.endswith("; as the database's owner or a superuser, "
                                "GRANT CONNECT, TEMPORARY ON DATABASE %s TO "
                                "%s, then run again (nothing was done)"
                                % (pgcluster.DATABASE, role)), r.err)
        check(not os.path.exists(t.p("out")), "an output folder was made")


def test_tables_of_another_role_say_how_to_give_them():
    """A superuser ran the first run; the nightly role (CREATE on the
    database, nothing on the schema's tables) is told, every command, that
    the tables are postgres's and how to give them to it -- and the
    statement it is told, run by the owner, makes its next run work."""
    c = cluster()
    schema = fresh_schema(c, "owned")
    role = pgcluster.PASSWORD_ROLE
    night = c.uri(role, pgcluster.PASSWORD)
    with Tmp() as t:
        stage_night(t, "inbox", "2026-03-11")
        r = svc("run", "--db", c.uri(), "--schema", schema, "--inbox",
                t.p("inbox"), "--out", t.p("out0"), "--as-of", "2026-03-11",
                "--quiet")
        eq(r.code, 0, r)
        c.psql(pgcluster.DATABASE, "GRANT USAGE, CREATE ON SCHEMA %s TO %s"
               % (schema, role))
        told = "; the tables of schema %s are owned by postgres, not %s: run " \
               "svcrecon as postgres, or have it or a superuser run: " \
               % (schema, role)
        for args in (["import", "--kind", "dispatches",
                      t.p("inbox", "dispatches_2026-03-11.csv")],
                     ["run", "--inbox", t.p("inbox"), "--out", t.p("out1"),
                      "--as-of", "2026-03-11"]):
            r = svc(args[0], "--db", night, "--schema", schema, *args[1:])
            eq(r.code, 73, r)
            check("reading schema version: permission denied for table "
                  "schema_version" + told in r.err.splitlines()[0], r.err)
            check(pgcluster.PASSWORD not in r.err, r.err)
        # report reads first: 66, told the same owner
        r = svc("report", "--db", night, "--schema", schema, "--out",
                t.p("out1"), "--as-of", "2026-03-11")
        eq(r.code, 66, r)
        check("permission denied for table schema_version; role %s may not "
              "read schema %s" % (role, schema) in r.err, r.err)
        check("run them as postgres)" in r.err, r.err)
        # a role whose name leaves no room for the statement is told it
        # in words, not a statement cut short at the line's end
        long_role = "t0210_night_role_with_a_long_name_for_the_batch_" + SUFFIX
        ensure_role(c, long_role)
        c.psql(pgcluster.DATABASE, "GRANT CONNECT, CREATE, TEMPORARY ON "
               "DATABASE %s TO %s; GRANT USAGE, CREATE ON SCHEMA %s TO %s"
               % (pgcluster.DATABASE, long_role, schema, long_role))
        r = svc("import", "--db", c.uri(long_role), "--schema", schema,
                "--kind", "dispatches", t.p("inbox", "dispatches_2026-03-11.csv"))
        eq(r.code, 73, r)
        check(r.err.splitlines()[0].endswith(
            "not %s: run svcrecon as postgres, or have it or a superuser give "
            "the schema and each of its tables to this role (ALTER SCHEMA ... "
            "OWNER TO, ALTER TABLE ... OWNER TO)" % long_role), r.err)
        c.psql(pgcluster.DATABASE, "REVOKE ALL ON SCHEMA %s FROM %s"
               % (schema, long_role))
        # the statement given, run by the owner, is the cure
        r = svc("run", "--db", night, "--schema", schema, "--inbox",
                t.p("inbox"), "--out", t.p("out1"), "--as-of", "2026-03-11")
        statement = r.err.splitlines()[0].split(told, 1)[1]
        c.psql(pgcluster.DATABASE, statement)
        stage_night(t, "inbox", "2026-03-12")
        for date in ("2026-03-11", "2026-03-12"):
            r = svc("run", "--db", night, "--schema", schema, "--inbox",
                    t.p("inbox"), "--out", t.p("out1"), "--as-of", date,
                    "--quiet")
            eq(r.code, 0, r)


if __name__ == "__main__":
    import svctest
    svctest.main(globals())
