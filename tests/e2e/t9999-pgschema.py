#!/usr/bin/python3
"""t9999 -- the PostgreSQL schema is named where the database is (QA).

`--schema NAME` keeps several svcrecon databases in one PostgreSQL
database. The summary and the workbooks' Run (audit) and About sheets
named the database only, so the outputs of two schemas of one database
could not be told apart (SPEC §5: only the database named on Run and
About differs). Each test was red before the fix:

- the Database cell of Run and About names a --schema other than the
  default: "postgresql://u@/svc?host=… (schema nightly)", the masked URI
  (never a password);
- the summary has "schema": the PostgreSQL schema ("svcrecon" without
  --schema; a copy's --to-schema), null for a SQLite file and for a name
  refused as a usage error;
- without --schema (or with the default's name) the cells are as before:
  the database alone (README "PostgreSQL", decision);
- `explain` names the schema where it names the database: its messages
  say "URI (schema NAME)" as the Database cell does, and its JSON has
  "schema" beside "database", as the summary does (null for SQLite,
  "svcrecon" without --schema).

The suite uses the cluster tests/run-all started ($SVCRECON_PG_DIR), or
starts one of its own; it is skipped only when PostgreSQL is not
installed. It runs once, in the SQLite pass (it names its schemas).
"""
import atexit
import contextlib
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pgcluster  # noqa: E402
from svctest import (ROOT, Tmp, check, eq, main, reached, skip,  # noqa: E402
                     sqlite_only, svc, validate_summary)
from xlsx_helpers import same_cells, shell_quote, workbooks  # noqa: E402

SAMPLE = os.path.join(ROOT, "sample-data", "inbox")
SUFFIX = "asan" if "asan" in os.environ.get("SVCRECON_BUILD", "") else "plain"
ONCE = "names its own schemas on a cluster; runs in the SQLite pass"
AS_OF = "2026-03-11"

_own = []


def cluster():
    """tests/run-all's cluster, else one of this suite's own (stopped at
    exit); skipped only when PostgreSQL cannot run here."""
    c = pgcluster.from_env()
    if c:
        return c
    if not _own:
        why = pgcluster.unavailable()
        if why:
            skip(why)
        _own.append(pgcluster.Cluster().start())
        atexit.register(_own[0].stop)
    return _own[0]


def fresh_schema(c, name, db=pgcluster.DATABASE):
    schema = "t9999_%s_%s" % (name, SUFFIX)
    c.psql(db, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)
    return schema


@contextlib.contextmanager
def own_database(c, name):
    """A database of its own on the cluster (its default schema holds
    nothing else), dropped after: the URI."""
    db = "t9999_%s_%s" % (name, SUFFIX)
    c.psql(pgcluster.DATABASE, "DROP DATABASE IF EXISTS %s" % db)
    c.psql(pgcluster.DATABASE, "CREATE DATABASE %s TEMPLATE template0 "
           "ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" % db)
    try:
        yield c.uri(db=db)
    finally:
        c.psql(pgcluster.DATABASE, "DROP DATABASE IF EXISTS %s" % db)


def stage_night(t, inbox="inbox"):
    os.makedirs(t.p(inbox), exist_ok=True)
    for n in sorted(os.listdir(SAMPLE)):
        if n.endswith("_%s.csv" % AS_OF):
            shutil.copy(os.path.join(SAMPLE, n), t.p(inbox, n))


def night(t, db, extra, out, summary=None):
    args = ["run", "--db", db, *extra, "--inbox", t.p("inbox"), "--out",
            t.p(out), "--as-of", AS_OF, "--statements", "--quiet"]
    if summary:
        args += ["--summary", t.p(summary)]
    r = svc(*args)
    eq(r.code, 0, r)
    return validate_summary(t.p(summary)) if summary else None


def database_cells(out):
    """{workbook/sheet: the value beside 'Database'} of every Run and About
    sheet below out."""
    import openpyxl
    found = {}
    for name in workbooks(out):
        wb = openpyxl.load_workbook(os.path.join(out, name), read_only=True)
        try:
            for ws in wb.worksheets:
                if ws.title not in ("Run", "About"):
                    continue
                for row in ws.iter_rows(values_only=True):
                    if row and row[0] == "Database":
                        found["%s/%s" % (name, ws.title)] = row[1]
        finally:
            wb.close()
    return found


def all_text(out):
    """Every string cell of every workbook below out."""
    import openpyxl
    texts = []
    for name in workbooks(out):
        wb = openpyxl.load_workbook(os.path.join(out, name), read_only=True)
        try:
            for ws in wb.worksheets:
                for row in ws.iter_rows(values_only=True):
                    texts += [v for v in row if isinstance(v, str)]
        finally:
            wb.close()
    return texts


def check_cells(out, want):
    cells = database_cells(out)
    check(any(k.endswith("/Run") for k in cells), cells)
    check(len([k for k in cells if k.endswith("/About")]) >= 3, cells)
    for where, v in sorted(cells.items()):
        eq(v, want, where)


@sqlite_only(ONCE)
def test_run_and_about_name_the_schema_never_the_password():
    c = cluster()
    schema = fresh_schema(c, "nightly")
    uri = c.uri(user=pgcluster.PASSWORD_ROLE, password=pgcluster.PASSWORD)
    check(pgcluster.PASSWORD in uri, uri)
    with Tmp() as t:
        stage_night(t)
        s = night(t, uri, ["--schema", schema], "out", "s.json")
        shown = reached(uri)
        check(pgcluster.PASSWORD not in shown, shown)
        check_cells(t.p("out"), "%s (schema %s)" % (shown, schema))
        for v in all_text(t.p("out")):
            check(pgcluster.PASSWORD not in v, v)
        with open(t.p("s.json")) as f:
            check(pgcluster.PASSWORD not in f.read(), "password in summary")
        eq((s["database"], s["schema"]), (shown, schema), "summary")


@sqlite_only(ONCE)
def test_two_schemas_of_one_database_are_told_apart():
    c = cluster()
    a, b = fresh_schema(c, "one"), fresh_schema(c, "two")
    uri = c.uri()
    with Tmp() as t:
        stage_night(t)
        sa = night(t, uri, ["--schema", a], "a", "a.json")
        sb = night(t, uri, ["--schema", b], "b", "b.json")
        ca, cb = database_cells(t.p("a")), database_cells(t.p("b"))
        eq(sorted(ca), sorted(cb), "the same sheets")
        for k in ca:
            check(ca[k] != cb[k], "%s: both say %r" % (k, ca[k]))
            eq(ca[k], "%s (schema %s)" % (reached(uri), a), k)
        eq(sa["database"], sb["database"], "one database")
        eq((sa["schema"], sb["schema"]), (a, b), "two schemas")
        # all the rest is the same, cell for cell (the explain commands
        # name each one's --schema, the Database cell its schema)
        n = same_cells(t.p("a"), ["%s --schema %s" % (shell_quote(uri), a), uri],
                       t.p("b"), ["%s --schema %s" % (shell_quote(uri), b), uri])
        check(n > 1000, n)


@sqlite_only(ONCE)
def test_the_default_schema_adds_nothing_to_the_cells_and_is_named_in_the_summary():
    with own_database(cluster(), "default") as uri, Tmp() as t:
        stage_night(t)
        s = night(t, uri, [], "out", "s.json")
        check_cells(t.p("out"), reached(uri))
        eq(s["schema"], "svcrecon", "the default schema, named")
        # --schema with the default's name: the same cells
        r = svc("report", "--db", uri, "--schema", "svcrecon", "--out",
                t.p("again"), "--as-of", AS_OF, "--statements", "--quiet",
                "--summary", t.p("again.json"))
        eq(r.code, 0, r)
        check_cells(t.p("again"), reached(uri))
        eq(validate_summary(t.p("again.json"))["schema"], "svcrecon")


@sqlite_only(ONCE)
def test_sqlite_copy_and_usage_summaries_name_the_schema_or_null():
    c = cluster()
    schema = fresh_schema(c, "copied")
    uri = c.uri()
    with Tmp() as t:
        stage_night(t)
        lite = t.p("svc.db")
        s = night(t, lite, [], "lite", "lite.json")
        check("schema" in s and s["schema"] is None, "SQLite: schema null")
        r = svc("copy", "--from", lite, "--to", uri, "--to-schema", schema,
                "--summary", t.p("copy.json"))
        eq(r.code, 0, r)
        cp = validate_summary(t.p("copy.json"))
        eq((cp["schema"], cp["copy"]["to_schema"]), (schema, schema), "copy")
        # the copied schema's workbooks name it too
        r = svc("report", "--db", uri, "--schema", schema, "--out",
                t.p("copied"), "--as-of", AS_OF, "--quiet")
        eq(r.code, 0, r)
        check_cells(t.p("copied"), "%s (schema %s)" % (reached(uri), schema))
        # a name refused as a usage error is not the summary's schema
        r = svc("run", "--db", uri, "--schema", "pg_catalog", "--inbox",
                t.p("inbox"), "--out", t.p("x"), "--summary", t.p("u.json"))
        eq(r.code, 64, r)
        u = validate_summary(t.p("u.json"))
        check("schema" in u and u["schema"] is None, u)
        eq(u["status"], "usage")


def explain(db, *args):
    return svc("explain", "--db", db, *args)


def a_dispatch():
    """The first dispatch id of the staged night's dispatches file."""
    with open(os.path.join(SAMPLE, "dispatches_%s.csv" % AS_OF)) as f:
        f.readline()
        return f.readline().split(",")[0]


def cut(name):
    """A name as explain's messages show it: cut after 60 characters
    (utf8_show), the schema after it whole."""
    return name if len(name) <= 60 else name[:60] + "..."


def explain_names(db, extra, named, schema):
    """explain on db (with extra, e.g. --schema S) names the database as
    named in its messages, and has database and schema in its JSON."""
    r = explain(db, *extra, "--as-of", AS_OF, "NOPE-1")
    eq(r.code, 65, r)
    check("dispatch 'NOPE-1' not found in %s (no version of it was imported)"
          % named in r.err, r.err)
    r = explain(db, *extra, "--source", "nothing_here.csv:2")
    eq(r.code, 65, r)
    check("no imported file named 'nothing_here.csv' in %s (give FILE" % named
          in r.err, r.err)
    r = explain(db, *extra, "--as-of", AS_OF, "--json", a_dispatch())
    eq(r.code, 0, r)
    j = json.loads(r.out)
    check("schema" in j, sorted(j))
    eq((j["database"], j["schema"]), (db, schema), "explain's JSON")
    eq(j["results"][0]["dispatch"]["dispatch_id"], a_dispatch())


@sqlite_only(ONCE)
def test_explain_names_the_schema_with_the_database():
    c = cluster()
    schema = fresh_schema(c, "explained")
    # longer than a message shows whole: the schema is named after the cut
    uri = c.uri() + "&connect_timeout=10"
    check(len(uri) > 60, uri)
    with Tmp() as t:
        stage_night(t)
        night(t, uri, ["--schema", schema], "out")
        explain_names(uri, ["--schema", schema],
                      "%s (schema %s)" % (cut(uri), schema), schema)


@sqlite_only(ONCE)
def test_explain_adds_nothing_for_the_default_schema_or_sqlite():
    with own_database(cluster(), "explain") as uri, Tmp() as t:
        stage_night(t)
        night(t, uri, [], "out")
        explain_names(uri, [], cut(uri), "svcrecon")
        explain_names(uri, ["--schema", "svcrecon"], cut(uri), "svcrecon")
        lite = t.p("svc.db")
        night(t, lite, [], "lite")
        explain_names(lite, [], cut(lite), None)


if __name__ == "__main__":
    main(globals())
