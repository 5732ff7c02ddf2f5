#!/usr/bin/python3
"""t7400 -- what a new user of the PostgreSQL back end hit (QA pass 9),
each case a defect seen red before its fix:

- a password with '?' or '#' in the URI (`postgresql://u:pa?ss#1@/svc`,
  which libpq reads as the password "pa?ss#1" and connects with) was
  shown whole on the workbooks' `Run` and `About` sheets, in the summary
  and in messages: the masking took '?' and '#' for the query's start.
  An `sslpassword=` parameter (a client key's passphrase) was shown too.
  One with an unencoded '/' (base64) failed on libpq's "invalid integer
  value "Ab3" for ... port", the URI shown whole: now said, shown nowhere;
- a database whose collation comes from ICU (LOCALE_PROVIDER icu, or a
  cluster made with `initdb --locale-provider=icu`, whose template0 the
  README's CREATE DATABASE copies) says datcollate 'C' and was accepted,
  but sorts 'a' before 'B': the listings came in another order than on
  SQLite. Now refused (66, nothing created), saying LOCALE_PROVIDER libc;
- totals of labor hours were the database's floating-point sums, in the
  order it happened to add the rows: 0.1 h ten times gave 0.9999999999999999,
  a dealer's statement said 6.632999999999999 where the Summary said
  6.633, and PostgreSQL (another order) gave other cells than SQLite for
  the same data. Now each total is rounded to the micro-hour; and
  (qa86) first to the nano-hour: a decimal sum on a half micro-hour
  (minutes written as hours to 7 places, 4 x 0.1666667 + 0.6666667 =
  1.3333335) rounded up or down with the order the rows were added in,
  1.333333 on the Summary, 1.333334 on a statement or the other back end;
- a server that takes no writes (a hot standby, which a site points its
  readers at, or default_transaction_read_only) gave 70, "internal
  error", for every command: now 73 for a command that writes (as a
  read-only SQLite file) and 66 for explain (it cannot make its TEMP
  views there), saying why;
- `--db "host=db01 dbname=svc user=svc password=..."` (libpq's other
  form, which psql takes) or a miswritten prefix (`PostgreSQL://...`)
  was taken for a SQLite path: a file of that name was made, exit 0, and
  the password stood on every workbook; `PostgreSQL://u:pw@h/db` said
  "mkdir -p 'PostgreSQL://u:pw@h'". Now a usage error (64) saying what
  svcrecon takes, never quoting the string, and nothing made;
- a second start by another login than the holder's (the nightly job's
  role holds the lock, an analyst's runs `report`) was told "held by pid
  N on the local socket (application '...') since; try later": the server
  hides another user's address and start time, so "the local socket"
  was a guess and the time blank. Now it names the holder's user and
  says what this login cannot see;
- `--schema user` (or `order`, `select`: SQL's reserved words, which the
  usage check let through) failed at "syntax error at or near "user"",
  exit 70; `--schema information_schema` made svcrecon's tables in the
  server's own catalogue schema, exit 0, and `pg_temp`/`pg_catalog` gave
  70 and 73. Now the name is quoted in SQL, and PostgreSQL's own schemas
  (`pg_*`, `information_schema`) are a usage error (64), nothing made;
- a server, database or role set to extra_float_digits = 0 (PostgreSQL
  11's default, kept in old configurations; or `options=-c
  extra_float_digits=0` in the URI) sent labor hours with 15 digits:
  1.23456789012345678 h came back 1.23456789012346, another cell than
  SQLite's 1.234567890123457. svcrecon now sets 3 for its sessions
  (exact round trip);
- a schema holding another program's tables (`--schema public` where an
  application keeps a table `dispatch`), or a SQLite file of another
  program, failed on "relation "dispatch" already exists", exit 70
  ("internal error"): now 65, "not an svcrecon database", naming one of
  its tables, nothing made (README: exit 65); report and explain say
  the same (they said 66 "import first" on PostgreSQL: QA pass 43)."""
import decimal
import os
import random
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pgcluster  # noqa: E402
from svctest import pg_cluster, CLO_HDR, DSP_HDR, REG_HDR, Tmp, check, eq, main, query, sha256, skip, sqlite_only, svc  # noqa: E402
from xlsx_helpers import cells, same_cells, shell_quote, workbooks  # noqa: E402

AS_OF = "2026-03-12"
SUFFIX = "asan" if "asan" in os.environ.get("SVCRECON_BUILD", "") else "plain"
ONCE = "compares the back ends itself on the cluster; runs in the SQLite pass"


def cluster():
    return pg_cluster()


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
def test_a_short_password_is_masked_as_itself_not_in_every_word():
    # fix78: a password of 1 to 3 bytes was masked wherever its bytes
    # stood in libpq's words: the password "s" gave "connection to
    # ***erver on ***ocket ... role "x" doe*** not exi***t", and the hint
    # for a missing role ("the server has no such role") was lost with the
    # words. It is masked where it stands as a whole token (README
    # "PostgreSQL": a password is never written); a longer one wherever
    # it stands, as before.
    c = cluster()
    with Tmp() as t:
        for pw in ("s", "ab", "a1"):
            role = "t7400_nobody_%s" % SUFFIX
            uri = "postgresql://%s:%s@/%s?host=%s" % (role, pw,
                                                     pgcluster.DATABASE, c.dir)
            r = svc("report", "--db", uri, "--out", t.p("o"))
            eq(r.code, 66, r)
            check("connection to server on socket" in r.err and
                  'role "%s" does not exist' % role in r.err and
                  "no such role" in r.err, (pw, r.err))
            check(":%s@" % pw not in r.err, (pw, r.err))
        # as a whole token (here the role's name) it is masked
        uri = "postgresql://ab:ab@/%s?host=%s" % (pgcluster.DATABASE, c.dir)
        r = svc("report", "--db", uri, "--out", t.p("o"))
        eq(r.code, 66, r)
        check('role "***" does not exist' in r.err and '"ab"' not in r.err,
              r.err)
        # a longer one wherever its bytes stand, as before
        uri = "postgresql://t7400_nobody:obod@/%s?host=%s" % (
            pgcluster.DATABASE, c.dir)
        r = svc("report", "--db", uri, "--out", t.p("o"))
        check('role "t7400_n***y" does not exist' in r.err, r.err)


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
            # A '/' (base64 has them) or '@' left unencoded: libpq reads
            # another password, or the first part as a port ("invalid
            # integer value "Ab3" for ... port"); said, and shown nowhere.
            # QA pass 41: two '@' after the '/' (the user part ends at the
            # last), and libpq quoting the password's tail only. qa74: an
            # '@' then a '/' (libpq took "ss" for the host, "SECRETword@/svc"
            # for the database, and both were shown), and a '/', '@', '/'.
            for secret in ("Ab3/xY9+Qz==", "pX7@ss-W0rd", "Zq9%zzk",
                           "Ab3/x@ySECRETTAIL", "Ab3/x@y:SECRET%TAIL",
                           "pX7@ss/SECRETword", "Ab3/x@yQ/SECRETz"):
                bad = "postgresql://%s:%s@/%s?host=%s" % (
                    role, secret, pgcluster.DATABASE, c.dir)
                r = svc("run", "--db", bad, "--schema", schema, "--inbox",
                        t.p("in"), "--out", t.p("o3"), "--summary", t.p("s3.json"))
                eq(r.code, 66, r)
                check("must be percent-encoded" in r.err, r.err)
                check("Zq9%zzk" not in r.err, r.err)
                parts = secret.replace("@", "/").replace("%zz", "/").split("/")
                for part in [x for x in parts if len(x) >= 3]:
                    check(part not in r.err, "stderr shows '%s': %s" % (part, r.err))
                    check(part not in open(t.p("s3.json")).read(), "summary")
            # libpq's words on a URI it cannot read are kept when they
            # quote no password.
            r = svc("report", "--db", uri + "&nosuch=1", "--schema", schema,
                    "--out", t.p("o4"))
            eq(r.code, 66, r)
            check('invalid URI query parameter: "nosuch"' in r.err, r.err)
    finally:
        c.psql(pgcluster.DATABASE, "DROP SCHEMA IF EXISTS %s CASCADE; "
               "DROP OWNED BY %s; DROP ROLE %s" % (schema, role, role))


@sqlite_only(ONCE)
def test_new_schema_starts_at_once_take_turns_whatever_the_isolation_default():
    """Red before (QA pass 41): on a database whose default transaction
    isolation is REPEATABLE READ or SERIALIZABLE, starts that met a new
    schema at once ended 70, "creating the schema: type "blob" already
    exists": the writer's snapshot was taken before it waited for the
    lock, so it did not see the schema the first one made. The writers'
    transactions are READ COMMITTED whatever the default."""
    import subprocess
    from svctest import cmd
    c = cluster()
    db = "t7400_iso_%s" % SUFFIX
    c.psql(pgcluster.DATABASE, "DROP DATABASE IF EXISTS %s" % db)
    c.psql(pgcluster.DATABASE, "CREATE DATABASE %s TEMPLATE template0 "
           "ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" % db)
    try:
        for level in ("repeatable read", "serializable"):
            c.psql(pgcluster.DATABASE, "ALTER DATABASE %s SET "
                   "default_transaction_isolation = '%s'" % (db, level))
            schema = "iso_%s" % level.replace(" ", "_")
            with Tmp() as t:
                small_night(t)
                runs = [subprocess.Popen(
                    cmd("run", "--db", c.uri(db=db), "--schema", schema,
                        "--inbox", t.p("in"), "--out", t.p("o%d" % i),
                        "--as-of", AS_OF, "--quiet"),
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for i in range(3)]
                outs = [(p.communicate(timeout=300), p.returncode) for p in runs]
                for (out, err), code in outs:
                    check(code in (0, 75), "%s: exit %d: %s" % (level, code, err))
                    check("already exists" not in err, err)
                check(any(code == 0 for _, code in outs), outs)
    finally:
        c.psql(pgcluster.DATABASE, "DROP DATABASE IF EXISTS %s" % db)


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


def summary_rows(path):
    _, cs = cells(path, [])
    return cs["Summary"]


def check_hour_totals(hours, total, with_total_row=True):
    """Non-compensable closeouts (no dispatch: NO_DISPATCH) of the dealers
    of hours ({dealer: [hours as written]}), run with --statements: the
    Summary's labor hours (all, by reason, by dealer, and its Total row
    when with_total_row) and each statement's hours at stake are
    total(the hours)."""
    rows = []
    for dealer, hs in sorted(hours.items()):
        for i, h in enumerate(hs):
            rows.append("%s,2026-03-%02d 10:00,NOPE%d,S1,iPF8400S,2026-03-01,"
                        "tech,%s,RPL,parts" % (dealer, 1 + i, i, h))
    with Tmp() as t:
        t.csv("in/closeouts_1.csv", CLO_HDR, rows)
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out",
                t.p("out"), "--as-of", AS_OF, "--statements", "--quiet")
        eq(r.code, 0, r)
        summary = summary_rows(t.p("out", "non_compensable_%s.xlsx" % AS_OF))
        every = [h for hs in hours.values() for h in hs]
        by_first = {}
        for row in summary:
            by_first.setdefault(row[0], row)
        eq(by_first["Labor hours"][1], total(every), "Labor hours")
        eq(by_first["NO_DISPATCH"][2], total(every), "by reason")
        if with_total_row:
            eq(by_first["Total"][2], total(every), "Total")
        for dealer, hs in hours.items():
            eq(by_first[dealer][3], total(hs), "dealer %s" % dealer)
            st = summary_rows(t.p("out", "statements_" + AS_OF, dealer + ".xlsx"))
            at_stake = [row[1] for row in st if row[0] == "Labor hours at stake"]
            eq(at_stake, [total(hs)], "statement of %s" % dealer)


def test_labor_hour_totals_are_the_decimal_sums():
    # The hours' decimal sums are what an analyst adds up.
    hours = {"A1": ["0.1"] * 10,
             "B1": ["0.1", "0.2", "0.3", "1.7", "2.35", "0.05", "3.333"],
             "C1": ["0.7", "0.1", "0.2", "0.3", "1.1", "2.2", "0.6"]}
    check_hour_totals(hours, lambda hs: float(
        sum(decimal.Decimal(h) for h in hs)))


def test_labor_hour_totals_on_a_half_micro_hour_are_the_decimal_sums():
    # qa86: minutes written as hours to 7 places (10 min = 0.1666667 h).
    # A dealer's five closeouts sum to 1.3333335 h exactly, a half
    # micro-hour: added 40 min first, as a database may, the floating-point
    # sum is 1.3333334999999997 and rounded once it gave 1.333333, where
    # the decimal sum (and other orders) give 1.333334.
    hours = {"M1": ["0.6666667", "0.1666667", "0.1666667", "0.1666667",
                    "0.1666667"],
             "M2": ["0.1666667", "0.6666667", "0.1666667", "0.6666667",
                    "0.1666667"]}
    check_hour_totals(hours, lambda hs: float(
        sum(decimal.Decimal(h) for h in hs).quantize(
            decimal.Decimal("0.000001"), decimal.ROUND_HALF_UP)),
        with_total_row=False)

def first_night(c, schema, t):
    """small_night's files run into schema of cluster c (t's in/, out/)."""
    small_night(t)
    r = svc("run", "--db", c.uri(), "--schema", schema, "--inbox", t.p("in"),
            "--out", t.p("out"), "--as-of", AS_OF, "--quiet")
    eq(r.code, 0, r)


@sqlite_only(ONCE)
def test_a_server_that_takes_no_writes_is_73_writing_and_66_explaining():
    c = cluster()
    schema = fresh_schema(c, "ro")
    with Tmp() as t:
        first_night(c, schema, t)
        before = c.psql(pgcluster.DATABASE, "SELECT count(*) FROM %s.imported_file"
                        % schema)
        ro = c.uri() + "&options=-c%20default_transaction_read_only%3Don"
        t.csv("in2/closeouts_1.csv", CLO_HDR,
              ["a1,2026-03-09 10:00,d1,S1,iPF8400S,2026-03-09,tech,1.5,RPL,p"])
        for args, code in ((["run", "--inbox", t.p("in2"), "--out", t.p("o2")], 73),
                           (["import", "--kind", "closeouts",
                             t.p("in2", "closeouts_1.csv")], 73),
                           (["report", "--out", t.p("o2"), "--as-of", AS_OF], 73),
                           (["explain", "--as-of", AS_OF, "d1"], 66)):
            r = svc(args[0], "--db", ro, "--schema", schema, *args[1:])
            eq(r.code, code, r)
            check("the server takes no writes" in r.err, r.err)
        for args in (["run", "--inbox", t.p("in2"), "--out", t.p("o2")],):
            r = svc(args[0], "--db", ro, "--schema", schema + "_new", *args[1:])
            eq(r.code, 73, r)
        eq(c.psql(pgcluster.DATABASE, "SELECT count(*) FROM %s.imported_file"
                  % schema), before, "nothing recorded")
        check(not os.path.exists(t.p("o2")) or not workbooks(t.p("o2")), "no workbook")


@sqlite_only("the --db values themselves are the test; the PostgreSQL pass "
             "would turn each into a URI of the cluster")
def test_a_connection_string_that_is_not_a_uri_is_a_usage_error():
    with Tmp() as t:
        small_night(t)
        cases = [("dbname=svc user=svc password=s3cret-pw", "a libpq key=value"),
                 (" host = /run/postgresql port=5432", "a libpq key=value"),
                 ("PostgreSQL://svc:s3cret-pw@db01/svc", "not a PostgreSQL URI"),
                 ("postgresql:/svc", "not a PostgreSQL URI"),
                 ("Postgres://db01/svc", "not a PostgreSQL URI")]
        for db, why in cases:
            for args in (["run", "--db", db, "--inbox", t.p("in"), "--out", t.p("out"),
                          "--summary", t.p("s.json")],
                         ["import", "--db", db, "--kind", "dispatches",
                          t.p("in", "dispatches_1.csv")],
                         ["report", "--db", db, "--out", t.p("out")],
                         ["explain", "--db", db, "d1"],
                         ["copy", "--from", db, "--to", t.p("copy.db")],
                         ["copy", "--from", t.p("none.db"), "--to", db]):
                r = svc(*args, cwd=t.path)
                eq(r.code, 64, r)
                check(why in r.err, r.err)
                check("s3cret" not in r.err, r.err)
            check("s3cret" not in open(t.p("s.json")).read(), "summary")
            eq(sorted(os.listdir(t.path)), ["in", "s.json"], "nothing made")
            os.unlink(t.p("s.json"))
        # A path that merely holds '=' or starts "postgres" is a SQLite file.
        for db in ("mydb=1.db", "postgresql.db"):
            r = svc("run", "--db", db, "--inbox", "in", "--out", "out", "--as-of",
                    AS_OF, "--quiet", cwd=t.path)
            eq(r.code, 0, r)


@sqlite_only(ONCE)
def test_a_holder_of_another_login_is_named_without_guessing():
    c = cluster()
    schema = fresh_schema(c, "holder")
    with Tmp() as t:
        first_night(c, schema, t)
        c.psql(pgcluster.DATABASE, "GRANT USAGE, CREATE ON SCHEMA %s TO %s; GRANT "
               "ALL ON ALL TABLES IN SCHEMA %s TO %s"
               % (schema, pgcluster.PASSWORD_ROLE, schema, pgcluster.PASSWORD_ROLE))
        with pgcluster.lock_holder(c, schema) as pid:
            r = svc("report", "--db", c.uri(pgcluster.PASSWORD_ROLE), "--schema", schema,
                    "--out", t.p("o2"), "--as-of", AS_OF,
                    env={"PGPASSWORD": pgcluster.PASSWORD})
            eq(r.code, 75, r)
            check("held by pid %s of user 'postgres' (application "
                  "'the-night-holder'" % pid in r.err, r.err)
            check("since;" not in r.err and "on the local socket" not in r.err, r.err)
            check("hidden from this login" in r.err, r.err)
            # The holder's own login still sees where from and since when.
            r = svc("report", "--db", c.uri(), "--schema", schema, "--out", t.p("o2"),
                    "--as-of", AS_OF)
            eq(r.code, 75, r)
            check("held by pid %s on the local socket (application "
                  "'the-night-holder') since 20" % pid in r.err, r.err)
    c.psql(pgcluster.DATABASE, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)


@sqlite_only(ONCE)
def test_a_schema_named_by_a_reserved_word_works_and_the_servers_own_are_refused():
    c = cluster()
    with Tmp() as t:
        small_night(t)
        for schema in ("user", "order"):
            c.psql(pgcluster.DATABASE, 'DROP SCHEMA IF EXISTS "%s" CASCADE' % schema)
            try:
                r = svc("run", "--db", c.uri(), "--schema", schema, "--inbox",
                        t.p("in"), "--out", t.p("out_" + schema), "--as-of", AS_OF,
                        "--quiet")
                eq(r.code, 0, r)
                r = svc("explain", "--db", c.uri(), "--schema", schema, "--as-of",
                        AS_OF, "d1")
                eq(r.code, 0, r)
                check("d1" in r.out, r.out)
                r = svc("report", "--db", c.uri(), "--schema", schema, "--out",
                        t.p("o2_" + schema), "--as-of", AS_OF, "--quiet")
                eq(r.code, 0, r)
                eq(c.psql(pgcluster.DATABASE, 'SELECT count(*) FROM "%s".dispatch'
                          % schema).strip(), "2")
            finally:
                c.psql(pgcluster.DATABASE, 'DROP SCHEMA IF EXISTS "%s" CASCADE' % schema)
        for schema in ("information_schema", "pg_catalog", "pg_temp", "pg_toast",
                       "pg_mine"):
            r = svc("run", "--db", c.uri(), "--schema", schema, "--inbox", t.p("in"),
                    "--out", t.p("o3"), "--as-of", AS_OF)
            eq(r.code, 64, r)
            check("PostgreSQL's own" in r.err, r.err)
        eq(c.psql(pgcluster.DATABASE, "SELECT count(*) FROM pg_class AS k JOIN "
                  "pg_namespace AS n ON n.oid = k.relnamespace WHERE k.relname = "
                  "'imported_file' AND (n.nspname LIKE 'pg%' OR n.nspname = "
                  "'information_schema')").strip(), "0", "nothing made there")
        check(not os.path.exists(t.p("o3")), "no workbook")


@sqlite_only(ONCE)
def test_labor_hours_come_back_exact_whatever_extra_float_digits():
    c = cluster()
    schema = fresh_schema(c, "float")
    hours = ["1.23456789012345678", "0.30000000000000004", "2.5"]
    with Tmp() as t:
        t.csv("in/closeouts_1.csv", CLO_HDR,
              ["A1,2026-03-%02d 10:00,X%d,S1,M,2026-03-01,t,%s,r,p" % (1 + i, i, h)
               for i, h in enumerate(hours)])
        uri = c.uri() + "&options=-c%20extra_float_digits%3D0"
        for db, extra, out in ((t.p("svc.db"), [], "lite"),
                               (uri, ["--schema", schema], "pg")):
            r = svc("run", "--db", db, *extra, "--inbox", t.p("in"), "--out",
                    t.p(out), "--as-of", AS_OF, "--quiet")
            eq(r.code, 0, r)
        book = "non_compensable_%s.xlsx" % AS_OF
        got = {}
        for out in ("lite", "pg"):
            _, cs = cells(t.p(out, book), [])
            got[out] = [row[6] for row in cs["Non-compensable"][1:]]
            eq(len(got[out]), 3, out)
        eq(got["pg"], got["lite"], "labor hours")
        check(abs(got["pg"][0] - 1.2345678901234568) < 1e-15, got)
    c.psql(pgcluster.DATABASE, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)


@sqlite_only(ONCE)
def test_a_schema_or_file_of_another_program_is_65():
    c = cluster()
    schema = fresh_schema(c, "other")
    with Tmp() as t:
        small_night(t)
        c.psql(pgcluster.DATABASE, "CREATE SCHEMA %s; CREATE TABLE %s.dispatch (id int)"
               % (schema, schema))
        con = sqlite3.connect(t.p("other.db"))
        con.execute("CREATE TABLE dispatch (id int)")
        con.commit()
        con.close()
        before = sha256(t.p("other.db"))
        for db, extra in ((c.uri(), ["--schema", schema]), (t.p("other.db"), [])):
            # the readers too: on PostgreSQL report and explain said 66
            # "import first", and import then refused it (QA pass 43)
            for args in (["run", "--inbox", t.p("in"), "--out", t.p("out")],
                         ["import", "--kind", "dispatches", t.p("in", "dispatches_1.csv")],
                         ["report", "--out", t.p("out")],
                         ["explain", "Q1"]):
                r = svc(args[0], "--db", db, *extra, *args[1:])
                eq(r.code, 65, r)
                check("not an svcrecon database: it holds another program's tables "
                      "(e.g. 'dispatch')" in r.err, r.err)
        eq(c.psql(pgcluster.DATABASE, "SELECT count(*) FROM pg_tables WHERE schemaname "
                  "= '%s'" % schema).strip(), "1", "nothing made")
        eq(query(t.p("other.db"), "SELECT name FROM sqlite_master"), [("dispatch",)])
        # byte for byte: the write open had switched it to WAL mode (lead,
        # 2026-12-06, lib/db_switch.c refuse_foreign_file; tests/e2e/t0240)
        eq(sha256(t.p("other.db")), before, "another program's file changed")
        check(not os.path.exists(t.p("out")), "no workbook")
    c.psql(pgcluster.DATABASE, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)


def odd_night(folder, seed):
    """A generated night of odd text (formulas, quotes, line breaks,
    unicode, mixed case, rejected rows) and fractional labor hours."""
    rnd = random.Random(seed)
    odd = ['=HYPERLINK("http://x","y")', "+1-800", "-2", "@sum(1)", '"quoted"',
           "a,b", "line\nbreak", "cr\r\nlf", "tab\there", "emoji \U0001F600",
           "ünïcödé", "\u2028sep", "  spaced  ", "é", "E", "e", "Z", "_u", "~t",
           "it's", "<b>&amp;</b>", "0042", "1e5", "TRUE"]
    dealers = ["a1", "B1", "_d", "é1", "Z9", "b1", " x ", 'd"q', "=1+1"]
    ids = ["D", "d", "_", "é", "Z"]

    def q(v):
        return '"%s"' % v.replace('"', '""') if any(ch in v for ch in ',"\n\r') else v

    def write(name, header, records):
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, name), "w", newline="", encoding="utf-8") as f:
            f.write(header + "\n")
            for rec in records:
                f.write(",".join(q(v) for v in rec) + "\n")

    write("registrations_1.csv", REG_HDR, [
        [rnd.choice(dealers), rnd.choice(odd), rnd.choice(["iPF8400S", "ipf-8400s", "M2"]),
         "S%d%s" % (rnd.randint(0, 40), rnd.choice(["", "-x", " y"])),
         "2026-0%d-0%d" % (rnd.randint(1, 3), rnd.randint(1, 9)),
         rnd.choice(["Y", "n", "", "true", "0"]), rnd.choice(["", "", "2026-03-05"])]
        for _ in range(60)])
    write("dispatches_1.csv", DSP_HDR, [
        [rnd.choice(ids) + str(rnd.randint(0, 50)),
         "2026-03-0%d %02d:%02d" % (rnd.randint(1, 9), rnd.randint(0, 23), rnd.randint(0, 59)),
         rnd.choice(["iPF8400S", "ipf-8400s", "M2"]), "S%d" % rnd.randint(0, 40),
         rnd.choice(dealers + [""]), rnd.choice(odd), rnd.choice(odd), rnd.choice(odd),
         rnd.choice(["OPEN", "cancelled", "", "bad"])]
        for _ in range(80)])
    write("closeouts_1.csv", CLO_HDR, [
        [rnd.choice(dealers),
         "2026-03-%02d %02d:%02d" % (rnd.randint(1, 12), rnd.randint(0, 23), rnd.randint(0, 59)),
         rnd.choice(ids) + str(rnd.randint(0, 50)), "S%d" % rnd.randint(0, 40),
         rnd.choice(["iPF8400S", ""]), "2026-03-0%d" % rnd.randint(1, 9),
         rnd.choice(odd + [""]),
         rnd.choice(["0.1", "0.2", "0.3", "1.7", "2.35", "0.05", "3.333", "", "0", "25", "-1"]),
         rnd.choice(odd), rnd.choice(odd)]
        for _ in range(150)])


@sqlite_only(ONCE)
def test_odd_nights_give_the_same_cells_on_both():
    c = cluster()
    for seed in (1, 2, 3):
        schema = fresh_schema(c, "odd%d" % seed)
        with Tmp() as t:
            odd_night(t.p("in"), seed)
            uri = c.uri()
            for db, extra, out in ((t.p("svc.db"), [], "lite"),
                                   (uri, ["--schema", schema], "pg")):
                r = svc("run", "--db", db, *extra, "--inbox", t.p("in"), "--out",
                        t.p(out), "--as-of", AS_OF, "--statements", "--quiet")
                eq(r.code, 0, r)
            lite = [shell_quote(t.p("svc.db")), t.p("svc.db")]
            pg = ["%s --schema %s" % (shell_quote(uri), schema), uri]
            check(same_cells(t.p("lite"), lite, t.p("pg"), pg) > 1000, "cells")
            same_cells(t.p("lite", "statements_" + AS_OF), lite,
                       t.p("pg", "statements_" + AS_OF), pg)
        c.psql(pgcluster.DATABASE, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)


main(globals())
