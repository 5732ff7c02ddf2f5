#!/usr/bin/python3
"""t7400 -- what a new user of the PostgreSQL back end hit (QA pass 9),
each case a defect seen red before its fix:

- a password with '?' or '#' in the URI (`postgresql://u:pa?ss#1@/svc`,
  which libpq reads as the password "pa?ss#1" and connects with) was
  shown whole on the workbooks' `Run` and `About` sheets, in the summary
  and in messages: the masking took '?' and '#' for the query's start.
  An `sslpassword=` parameter (a client key's passphrase) was shown too;
- a database whose collation comes from ICU (LOCALE_PROVIDER icu, or a
  cluster made with `initdb --locale-provider=icu`, whose template0 the
  README's CREATE DATABASE copies) says datcollate 'C' and was accepted,
  but sorts 'a' before 'B': the listings came in another order than on
  SQLite. Now refused (66, nothing created), saying LOCALE_PROVIDER libc."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pgcluster  # noqa: E402
from svctest import DSP_HDR, REG_HDR, Tmp, check, eq, main, skip, sqlite_only, svc  # noqa: E402
from xlsx_helpers import cells, workbooks  # noqa: E402

AS_OF = "2026-03-12"
SUFFIX = "asan" if "asan" in os.environ.get("SVCRECON_BUILD", "") else "plain"
ONCE = "compares the back ends itself on the cluster; runs in the SQLite pass"


def cluster():
    c = pgcluster.from_env()
    if not c:
        skip("no PostgreSQL cluster ($SVCRECON_PG_DIR unset: tests/run-all "
             "starts one; %s)" % (pgcluster.unavailable() or "not started"))
    return c


def fresh_schema(c, name, db=pgcluster.DATABASE):
    schema = "t7400_%s_%s" % (name, SUFFIX)
    c.psql(db, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)
    return schema


def small_night(t):
    t.csv("in/registrations_1.csv", REG_HDR,
          ["a1,Alpha,iPF8400S,S1,2026-01-01,N,", "B1,Beta,iPF8400S,S2,2026-01-01,N,"])
    t.csv("in/dispatches_1.csv", DSP_HDR,
          ["d1,2026-03-08 09:30,iPF8400S,S1,a1,x,02108,P,OPEN",
           "D2,2026-03-08 09:30,iPF8400S,S2,B1,y,02108,P,OPEN"])


@sqlite_only(ONCE)
def test_a_password_libpq_reads_is_never_shown():
    c = cluster()
    role = "t7400_pw_%s" % SUFFIX
    password = "pa?ss#w0rd"
    c.psql(pgcluster.DATABASE, "DROP ROLE IF EXISTS %s; CREATE ROLE %s LOGIN "
           "PASSWORD '%s'; GRANT CONNECT, CREATE, TEMPORARY ON DATABASE %s TO %s"
           % (role, role, password, pgcluster.DATABASE, role))
    schema = fresh_schema(c, "pw")
    try:
        with Tmp() as t:
            small_night(t)
            uri = "postgresql://%s:%s@/%s?host=%s&sslpassword=key-secret" % (
                role, password, pgcluster.DATABASE, c.dir)
            r = svc("run", "--db", uri, "--schema", schema, "--inbox", t.p("in"),
                    "--out", t.p("out"), "--as-of", AS_OF, "--statements",
                    "--summary", t.p("s.json"))
            eq(r.code, 0, r)
            shown = "postgresql://%s@/%s?host=%s" % (role, pgcluster.DATABASE, c.dir)
            texts = {"stderr": r.err + r.out, "summary": open(t.p("s.json")).read()}
            books = [os.path.join("out", b) for b in workbooks(t.p("out"))]
            books += [os.path.join("out", "statements_" + AS_OF, b)
                      for b in workbooks(t.p("out", "statements_" + AS_OF))]
            for b in books:
                _, cs = cells(t.p(b), [])
                texts[b] = repr(cs)
            check(any(shown in v for v in texts.values()), texts["summary"])
            for what, text in texts.items():
                for secret in ("pa?ss", "ss#w0rd", "key-secret"):
                    check(secret not in text, "%s shows '%s'" % (what, secret))
            # A message that names the database (the schema held by no run
            # of svcrecon's: report of a schema never made).
            r = svc("report", "--db", uri, "--schema", "t7400_none_" + SUFFIX,
                    "--out", t.p("o2"))
            eq(r.code, 66, r)
            check(shown in r.err and "ss#w0rd" not in r.err, r.err)
    finally:
        c.psql(pgcluster.DATABASE, "DROP SCHEMA IF EXISTS %s CASCADE; "
               "DROP OWNED BY %s; DROP ROLE %s" % (schema, role, role))


@sqlite_only(ONCE)
def test_a_database_collated_by_icu_is_refused():
    c = cluster()
    db = "t7400_icu_%s" % SUFFIX
    c.psql(pgcluster.DATABASE, "DROP DATABASE IF EXISTS %s" % db)
    try:
        c.psql(pgcluster.DATABASE, "CREATE DATABASE %s TEMPLATE template0 "
               "ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' LOCALE_PROVIDER "
               "icu ICU_LOCALE 'en-US'" % db)
    except RuntimeError as e:
        skip("this server cannot make an ICU database: %s" % e)
    try:
        # The reason it matters: the server sorts 'a' before 'B'.
        eq(c.psql(db, "SELECT 'a' < 'B'").strip(), "t")
        with Tmp() as t:
            small_night(t)
            uri = "postgresql://postgres@/%s?host=%s" % (db, c.dir)
            for args in (["run", "--inbox", t.p("in"), "--out", t.p("out")],
                         ["import", "--kind", "dispatches", t.p("in", "dispatches_1.csv")],
                         ["report", "--out", t.p("out")]):
                r = svc(args[0], "--db", uri, *args[1:])
                eq(r.code, 66, r)
                check("database collation is ICU's 'en-US'" in r.err, r.err)
                check("LOCALE_PROVIDER libc" in r.err, r.err)
            check(not os.path.exists(t.p("out")), "no workbook")
            eq(c.psql(db, "SELECT count(*) FROM pg_namespace WHERE nspname = "
                      "'svcrecon'").strip(), "0", "nothing created")
    finally:
        c.psql(pgcluster.DATABASE, "DROP DATABASE IF EXISTS %s" % db)


main(globals())
