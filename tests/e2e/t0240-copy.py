#!/usr/bin/python3
"""t0240 -- svcrecon copy --from DB --to DB (issue 17; README "Moving a
SQLite database to PostgreSQL").

- SQLite -> PostgreSQL of the two sample nights: `report` on both gives the
  same cells in every sheet of every workbook (dealer statements too), and
  `explain` the same text; rejected rows' raw bytes are equal; copied back
  to SQLite (directly, and by way of a second PostgreSQL schema), every
  table holds what the original holds;
- the next night imported into the PostgreSQL copy gives what importing it
  into the SQLite original gives (ids go on after the copied ones), and a
  reported night run again on the copy writes workbooks naming the copy;
- SQLite -> SQLite: the copy's workbooks are byte-identical;
- a file's warnings keep their order;
- a target holding data is refused (73) and left unchanged, another
  program's file 65 and byte for byte unchanged; a missing
  source is 66 (nothing created), an old or foreign one 65;
- a wrong password on the target is 66, and no password is ever shown;
- a generated night copied into PostgreSQL (by COPY, each value in its
  column's type) holds every table's rows as the original, gives the same
  cells and the same explain;
- the server ends the copy's session mid-copy (in the COPY of dispatch):
  70, the target holds no row, and the rerun completes the copy;
- the target's run lock held: 75 naming the holder;
- a copy interrupted as it made its SQLite target (the unlink of the
  target's -journal failed) left a hot journal beside an empty file: the
  same copy run again rolls it back and completes; a target holding data
  with a hot journal is still refused (73), its committed rows unchanged.

The PostgreSQL tests run against the throw-away cluster tests/run-all
starts ($SVCRECON_PG_DIR); without one they say SKIP.
"""
import fcntl
import importlib
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pgcluster  # noqa: E402
from svctest import (DSP_HDR, ROOT, SCHEMA_VERSION, SVCRECON, Tmp,  # noqa: E402
                     FAULTSHIM, check, downgrade_to_version_3, eq, leave_hot_journal,
                     need_fault_shim, preloaded, sha256, shim_calls, sqlite_only,
                     svc)

# The workbook comparison and the sample nights of t0210 (PostgreSQL).
pg = importlib.import_module("t0210-postgresql")

SUFFIX = pg.SUFFIX
# The tables a copy copies, in its order (app/copy.c).
TABLES = ["imported_file", "file_warning", "registration", "dispatch",
          "closeout", "rejected_row", "delivery", "inbox_note", "report_run",
          "report_unclosed", "report_noncompensable_span",
          "cur_registration", "cur_dispatch", "cur_closeout",
          "cur_closeout_reason", "cur_registration_exception"]
# Not copied: the re-run stamps of the workbooks written from the source.
STAMPS = "report_output"
DATES = ("2026-03-11", "2026-03-12")


def fresh_schema(c, name):
    schema = "t0240_%s_%s" % (name, SUFFIX)
    c.psql(pgcluster.DATABASE, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)
    return schema


def on_pg(name):
    """The cluster, a fresh schema of this test, and the URI."""
    c = pg.cluster()
    return c, fresh_schema(c, name), c.uri()


def same_cells(lite_out, lite, pg_out, uri, schema):
    """pg.same_cells of SQLite's workbooks and PostgreSQL's, each naming
    its own database."""
    return pg.same_cells(lite_out, [pg.shell_quote(lite), lite], pg_out,
                         ["%s --schema %s" % (pg.shell_quote(uri), schema),
                          uri])


def night(t, db, date, out, extra=(), cwd=None):
    """Stages the sample night of `date` in t's inbox and runs it on db."""
    pg.stage_night(t, "inbox", date)
    r = svc("run", "--db", db, *extra, "--inbox", t.p("inbox"), "--out", out,
            "--as-of", date, "--statements", "--quiet", cwd=cwd)
    eq(r.code, 0, r)


def copy(src, dst, *extra, code=0):
    r = svc("copy", "--from", src, "--to", dst, *extra)
    eq(r.code, code, r)
    return r


def lite_tables(db):
    """Every table of a SQLite database but the re-run stamps, every row (in
    key order; and file_warning in its rowid order, which the audit lists
    it in)."""
    con = sqlite3.connect(db)
    try:
        names = [n for (n,) in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> ? "
            "ORDER BY name", (STAMPS,))]
        out = {n: con.execute("SELECT * FROM %s ORDER BY %s" % (
            n, "rowid" if n == "file_warning" else "1, 2, 3"))
            .fetchall() for n in names}
        out["user_version"] = con.execute("PRAGMA user_version").fetchall()
        return out
    finally:
        con.close()


def pg_counts(c, schema):
    return {t: int(c.psql(pgcluster.DATABASE, "SELECT count(*) FROM %s.%s"
                          % (schema, t))) for t in TABLES + [STAMPS]}


def same_explain(lite, uri, schema, as_of, cases):
    """explain of each case (its arguments) on the SQLite database and on
    the copy: the same exit code, stderr and text, but the database's
    name (and in JSON its schema, SQLite's null)."""
    for args in cases:
        rl = svc("explain", "--db", lite, "--as-of", as_of, *args)
        rp = svc("explain", "--db", uri, "--schema", schema, "--as-of", as_of,
                 *args)
        eq(rl.code, 0, rl)
        if "--json" in args:
            eq((json.loads(rp.out)["schema"], json.loads(rl.out)["schema"]),
               (schema, None), args)
        eq((rp.code, rp.err, rp.out.replace(uri, "DB").replace(
            '"schema": "%s"' % schema, '"schema": null')),
           (rl.code, rl.err.replace(lite, uri), rl.out.replace(lite, "DB")),
           args)


def generated_night(t):
    """A generated night of ~4,000 dispatches in t's inbox, run into the
    SQLite database t/svc.db (workbooks in t/lite) as of 2025-03-01."""
    gen = subprocess.run([os.path.join(ROOT, "sample-data", "generate"),
                          "--dispatches", "4000", "--days", "60",
                          "--out", t.p("inbox")], capture_output=True)
    eq(gen.returncode, 0, gen.stderr)
    r = svc("run", "--db", t.p("svc.db"), "--out", t.p("lite"), "--inbox",
            t.p("inbox"), "--as-of", "2025-03-01", "--quiet")
    eq(r.code, 0, r)


def same_reports(t, lite, pg_args, as_of, tag):
    """report as of as_of on the SQLite database and on the copy: the same
    cells; the number of cells compared."""
    uri, schema = pg_args
    for db, extra, out in ((lite, [], "r_lite_" + tag),
                           (uri, ["--schema", schema], "r_pg_" + tag)):
        r = svc("report", "--db", db, *extra, "--out", t.p(out), "--as-of",
                as_of, "--statements", "--quiet")
        eq(r.code, 0, r)
    return same_cells(t.p("r_lite_" + tag), lite, t.p("r_pg_" + tag), uri,
                      schema)


def test_sqlite_to_postgresql_gives_the_same_reports_and_explain():
    c, schema, uri = on_pg("same")
    with Tmp() as t:
        lite = t.p("svc.db")
        for date in DATES:
            night(t, lite, date, t.p("out"))
        r = copy(lite, uri, "--to-schema", schema, "--summary", t.p("s.json"))
        check("svcrecon: copy: imported_file: 6 rows (" in r.err and
              "svcrecon: copy: file_warning: 1 row (" in r.err and
              # 16 since schema version 8's inbox_note (15 before)
              "svcrecon: copy: exit 0; 16 tables, " in r.err and
              " rows from %s to %s (schema %s); " % (lite, uri, schema)
              in r.err, r.err)
        s = json.load(open(t.p("s.json")))
        eq((s["command"], s["status"], s["database"], s["copy"]["from"],
            s["copy"]["to_schema"], s["copy"]["committed"]),
           ("copy", "ok", uri, lite, schema, True), s)
        # every table of the schema was copied, each with all its rows
        before = lite_tables(lite)
        eq(sorted(x["table"] for x in s["copy"]["tables"]),
           sorted(n for n in before if n != "user_version"), "tables copied")
        eq([x["table"] for x in s["copy"]["tables"]], TABLES, "copy order")
        eq({x["table"]: x["rows"] for x in s["copy"]["tables"]},
           {n: len(before[n]) for n in TABLES}, "rows per table")
        want = {n: len(before[n]) for n in TABLES}
        want[STAMPS] = 0
        eq(pg_counts(c, schema), want)
        # the rejected rows' bytes as read (a Latin-1 byte among them)
        raw = c.psql(pgcluster.DATABASE, "SELECT string_agg(encode(raw, "
                     "'hex'), ',' ORDER BY rejected_id) FROM %s.rejected_row"
                     % schema).strip()
        con = sqlite3.connect(lite)
        want = ",".join(bytes(r).hex() for (r,) in con.execute(
            "SELECT raw FROM rejected_row ORDER BY rejected_id"))
        con.close()
        eq(raw, want, "rejected_row.raw")
        check("e9" in raw and raw.count(",") >= 16, raw)
        # and back to SQLite: every table as the original holds it
        back = t.p("back.db")
        copy(uri, back, "--from-schema", schema, "--quiet")
        # and by way of a second schema too (PostgreSQL -> PostgreSQL)
        second = fresh_schema(c, "same2")
        copy(uri, uri, "--from-schema", schema, "--to-schema", second,
             "--quiet")
        back2 = t.p("back2.db")
        copy(uri, back2, "--from-schema", second, "--quiet")
        for db in (back, back2):
            got = lite_tables(db)
            for name in before:
                eq(got[name], before[name], "%s: %s" % (db, name))
            eq(sorted(got), sorted(before))
        # the same workbooks, the latest night and the one before
        n = same_reports(t, lite, (uri, schema), "2026-03-12", "2")
        n += same_reports(t, lite, (uri, schema), "2026-03-11", "1")
        check(n > 2000, n)
        # explain tells the same story, import times included (copied)
        same_explain(lite, uri, schema, "2026-03-12",
                     (["D2603013"], ["--json", "D2511031"],
                      ["--source", "dispatches_2026-03-12.csv:17"],
                      ["--source", "closeouts_2026-03-11.csv:0"]))


def test_a_generated_night_copied_by_copy_gives_the_same_cells_and_explain():
    # Into PostgreSQL the rows go by COPY in binary form, each value in its
    # column's exact type (integer, bigint, double, text, bytea): a
    # generated night holds them all (hours with fractions, NULLs, the raw
    # bytes of rejected rows, ~4,000 dispatches); every table, every cell
    # and explain's text (of a dispatch, and of the last registration,
    # closeout and rejected row) must come out as the original's.
    c, schema, uri = on_pg("gen")
    with Tmp() as t:
        generated_night(t)
        lite = t.p("svc.db")
        copy(lite, uri, "--to-schema", schema, "--quiet")
        back = t.p("back.db")
        copy(uri, back, "--from-schema", schema, "--quiet")
        before, got = lite_tables(lite), lite_tables(back)
        eq(sorted(got), sorted(before))
        for name in before:
            eq(got[name], before[name], name)
        check(len(before["dispatch"]) > 3900 and
              len(before["rejected_row"]) >= 5, before["rejected_row"][:3])
        n = same_reports(t, lite, (uri, schema), "2025-03-01", "g")
        check(n > 10000, n)
        con = sqlite3.connect(lite)
        (did,), = con.execute(
            "SELECT dispatch_id FROM cur_closeout WHERE dispatch_id <> '' "
            "GROUP BY dispatch_id ORDER BY COUNT(*) DESC, dispatch_id LIMIT 1")
        sources = ["%s:%d" % row for row in con.execute(
            "SELECT f.name, MAX(x.line) FROM imported_file AS f JOIN ("
            " SELECT file_id, line FROM registration UNION ALL"
            " SELECT file_id, line FROM closeout UNION ALL"
            " SELECT file_id, line FROM rejected_row) AS x"
            " ON x.file_id = f.file_id GROUP BY f.file_id ORDER BY f.name")]
        con.close()
        eq(len(sources), 3, sources)
        same_explain(lite, uri, schema, "2025-03-01",
                     [[did], ["--json", did]] + [["--source", s]
                                                 for s in sources])


def test_the_next_night_on_the_copy_equals_the_original():
    c, schema, uri = on_pg("next")
    with Tmp() as t:
        lite = t.p("svc.db")
        night(t, lite, DATES[0], t.p("night1"))
        copy(lite, uri, "--to-schema", schema, "--quiet")
        # night 1 again on the copy, into the same folder: its workbooks
        # name the SQLite file, so they are written anew, not "up to date"
        r = svc("run", "--db", uri, "--schema", schema, "--inbox",
                t.p("inbox"), "--out", t.p("night1"), "--as-of", DATES[0],
                "--statements")
        eq(r.code, 0, r)
        check("up to date" not in r.err and "svcrecon: wrote %s" % t.p(
            "night1", "audit_%s.xlsx" % DATES[0]) in r.err, r.err)
        _, audit = pg.cells(t.p("night1", "audit_%s.xlsx" % DATES[0]), [uri])
        check("DB (schema %s)" % schema in [v for row in audit["Run"]
                                            for v in row], "Run sheet")
        pg.stage_night(t, "inbox", DATES[1])
        for db, extra, out in ((lite, [], "lite"),
                               (uri, ["--schema", schema], "pg")):
            r = svc("run", "--db", db, *extra, "--inbox", t.p("inbox"),
                    "--out", t.p(out), "--as-of", DATES[1], "--statements",
                    "--quiet", "--summary", t.p(out + ".json"))
            eq(r.code, 0, r)
        n = same_cells(t.p("lite"), lite, t.p("pg"), uri, schema)
        check(n > 1000, n)
        sl, sp = (json.load(open(t.p(x + ".json"))) for x in ("lite", "pg"))
        eq(pg.strip_summary(sp), pg.strip_summary(sl), "summary")
        eq(sp["reports"]["changes"]["previous_as_of"], DATES[0])
        # the new files' ids follow the copied ones, as on SQLite
        ids = c.psql(pgcluster.DATABASE, "SELECT string_agg(file_id::text, "
                     "',' ORDER BY file_id) FROM %s.imported_file" % schema)
        eq(ids.strip(), "1,2,3,4,5,6")


def test_sqlite_to_sqlite_gives_byte_identical_workbooks():
    with Tmp() as t:
        os.makedirs(t.p("a"))
        os.makedirs(t.p("b"))
        # the same relative --db in both folders: the Run and About sheets
        # then name the database alike, and whole files can be compared
        for date in DATES:
            night(t, "svc.db", date, "out", cwd=t.p("a"))
        copy(t.p("a", "svc.db"), t.p("b", "svc.db"), "--quiet")
        eq(lite_tables(t.p("b", "svc.db")), lite_tables(t.p("a", "svc.db")))
        files = {}
        for side in ("a", "b"):
            r = svc("report", "--db", "svc.db", "--out", "again", "--as-of",
                    DATES[1], "--statements", "--quiet", cwd=t.p(side))
            eq(r.code, 0, r)
            root = t.p(side, "again")
            files[side] = {os.path.relpath(os.path.join(d, f), root):
                           sha256(os.path.join(d, f))
                           for d, _, fs in os.walk(root) for f in fs}
        check(len(files["a"]) > 6, files["a"])
        eq(files["b"], files["a"], "workbooks of the copy")
        for args in (["D2603013"], ["--json", "--source",
                                    "registrations_2026-03-12.csv:3"]):
            ra, rb = (svc("explain", "--db", "svc.db", "--as-of", DATES[1],
                          *args, cwd=t.p(side)) for side in ("a", "b"))
            eq((rb.code, rb.out, rb.err), (ra.code, ra.out, ra.err), args)


def test_a_files_warnings_keep_their_order():
    # a file with an unknown column whose rows are mostly Windows-1252: two
    # warnings, which the audit lists in the order recorded (file_warning's
    # rowid, which the copy does not copy but keeps in order)
    c, schema, uri = on_pg("warn")
    with Tmp() as t:
        rows = ["D1,2026-03-10 09:00,iPF770,S1,WA0377,Caf\xe9 One,98101,X,OPEN,a",
                "D2,2026-03-10 10:00,iPF770,S2,WA0377,Caf\xe9 Two,98101,X,OPEN,b",
                "D3,2026-03-10 11:00,iPF770,S3,WA0377,Plain,98101,X,OPEN,c"]
        t.write("d.csv", ("%s,agent\n" % DSP_HDR + "\n".join(rows)
                          + "\n").encode("latin-1"))
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches",
                t.p("d.csv"), "--quiet")
        eq(r.code, 0, r)
        con = sqlite3.connect(t.p("svc.db"))
        want = [m for (m,) in con.execute(
            "SELECT message FROM file_warning ORDER BY rowid")]
        con.close()
        eq(len(want), 2, want)
        check(want[0].startswith("unknown columns"), want)
        copy(t.p("svc.db"), uri, "--to-schema", schema, "--quiet")
        got = c.psql(pgcluster.DATABASE, "SELECT string_agg(message, '|' "
                     "ORDER BY rowid) FROM %s.file_warning" % schema)
        eq(got.strip(), "|".join(want))
        copy(uri, t.p("back.db"), "--from-schema", schema, "--quiet")
        eq(lite_tables(t.p("back.db")), lite_tables(t.p("svc.db")))


def test_a_target_with_data_is_refused_and_left_unchanged():
    with Tmp() as t:
        night(t, t.p("a.db"), DATES[0], t.p("out"))
        night(t, t.p("b.db"), DATES[1], t.p("out"))
        before = sha256(t.p("b.db"))
        r = copy(t.p("a.db"), t.p("b.db"), code=73)
        check("svcrecon: %s: holds svcrecon data already (table "
              "'imported_file' has rows); copy writes only into a new or "
              "empty database and never merges" % t.p("b.db") in r.err, r.err)
        check("nothing copied" in r.err, r.err)
        eq(sha256(t.p("b.db")), before, "the target changed")
        # an older svcrecon database: refused as it is, not upgraded
        downgrade_to_version_3(t.p("b.db"))
        before = sha256(t.p("b.db"))
        r = copy(t.p("a.db"), t.p("b.db"), code=73)
        check("holds an svcrecon database already (schema version 3)"
              in r.err, r.err)
        eq(sha256(t.p("b.db")), before, "the old target changed")
        # a PostgreSQL schema holding data
        c, schema, uri = on_pg("full")
        copy(t.p("a.db"), uri, "--to-schema", schema, "--quiet")
        counts = pg_counts(c, schema)
        r = copy(t.p("a.db"), uri, "--to-schema", schema, code=73)
        check("holds svcrecon data already (table 'imported_file' has rows)"
              in r.err, r.err)
        eq(pg_counts(c, schema), counts, "the PostgreSQL target changed")


def test_a_target_file_without_tables_is_new_and_one_of_another_program_is_65():
    """A defect seen red before its fix (lead, 2026-12-06), and a guard.
    Defect: `copy --to` (as `import` and `run --db`) another program's
    SQLite file said 65 "not an svcrecon database" but had first opened it
    for writing, which switched it to WAL mode (its header bytes changed:
    seen, the SHA-256 differed); now refused before that open
    (lib/db_switch.c refuse_foreign_file). Guard: copy looks at an existing
    target read-only first (app/copy.c probe_sqlite_target, DB_READ_ANY),
    and a file SQLite made without a table (`PRAGMA journal_mode=WAL` on a
    new name writes its first page) is a new database: it takes the copy,
    where a reader's open (DB_READ_ONLY) would refuse it."""
    with Tmp() as t:
        night(t, t.p("a.db"), DATES[0], t.p("out"))
        con = sqlite3.connect(t.p("page.db"))
        con.execute("PRAGMA journal_mode=WAL")
        con.close()
        check(os.path.getsize(t.p("page.db")) > 0, "sqlite3 wrote no page")
        copy(t.p("a.db"), t.p("page.db"), "--quiet")
        eq(lite_tables(t.p("page.db")), lite_tables(t.p("a.db")),
           "the copy in a file without tables")
        con = sqlite3.connect(t.p("other.db"))
        con.execute("CREATE TABLE dispatch (id int)")
        con.commit()
        con.close()
        before = sha256(t.p("other.db"))
        r = copy(t.p("a.db"), t.p("other.db"), code=65)
        check("not an svcrecon database: it holds another program's tables "
              "(e.g. 'dispatch')" in r.err, r.err)
        eq(sha256(t.p("other.db")), before, "another program's file changed")


def test_a_missing_or_unfit_source_is_66_or_65_and_nothing_is_created():
    with Tmp() as t:
        r = copy(t.p("missing.db"), t.p("new.db"), "--summary", t.p("s.json"),
                 code=66)
        check("svcrecon: %s: cannot open database: No such file or directory"
              % t.p("missing.db") in r.err, r.err)
        check(not os.path.exists(t.p("new.db")), "target created")
        check(not os.path.exists(t.p("new.db.lock")), "lock file created")
        s = json.load(open(t.p("s.json")))
        eq((s["status"], s["copy"]["committed"], s["copy"]["tables"]),
           ("unreadable", False, []))
        # a feed file named as the source: not a database
        t.csv("feed.csv", "a,b", ["1,2"])
        r = copy(t.p("feed.csv"), t.p("new.db"), code=65)
        check(not os.path.exists(t.p("new.db")), "target created")
        # an older schema: upgraded by import, as the message says
        night(t, t.p("old.db"), DATES[0], t.p("out"))
        downgrade_to_version_3(t.p("old.db"))
        r = copy(t.p("old.db"), t.p("new.db"), code=65)
        # (the version this svcrecon brings a database to: 6 since qa19)
        check("svcrecon: %s: database schema version 3; copy needs version %d: "
              "upgrade it first with this svcrecon's import"
              % (t.p("old.db"), SCHEMA_VERSION) in r.err, r.err)
        check(not os.path.exists(t.p("new.db")), "target created")
        r = svc("import", "--db", t.p("old.db"), "--kind", "registrations",
                t.p("inbox", "registrations_2026-03-11.csv"), "--quiet")
        eq(r.code, 0, r)
        copy(t.p("old.db"), t.p("new.db"), "--quiet")
        # a PostgreSQL schema that holds no svcrecon tables
        c, schema, _ = on_pg("none")
        r = copy(c.uri(), t.p("new2.db"), "--from-schema", schema, code=66)
        check("cannot open database: no schema '%s'" % schema in r.err, r.err)
        check(not os.path.exists(t.p("new2.db")), "target created")


def _random_id(n, seed):
    """n random letters and digits (PostgreSQL cannot compress them into
    an index entry; a run of one letter it could)."""
    import random
    import string
    r = random.Random(seed)
    return "".join(r.choice(string.ascii_letters + string.digits)
                   for _ in range(n))


def test_a_key_field_postgresql_cannot_index_refuses_the_copy_before_writing():
    """qa65 (red before: 70 "index row size ... exceeds btree version 4
    maximum 2704" from inside the copy, its schema made). SQLite loads a
    3,000-byte dispatch_id (SPEC §2); PostgreSQL's indexes cannot hold it
    (README "PostgreSQL"): copy to PostgreSQL is 65, naming the table, the
    column, the length, file and line, before the target is opened (no
    schema made); to SQLite it copies; 800 bytes copies to PostgreSQL."""
    c, schema, uri = on_pg("longkey")
    ok_schema = fresh_schema(c, "longkey800")
    with Tmp() as t:
        rows = ["Q%d,2026-03-01 09:00,M,S,CA1042,C,02108,P,OPEN" % i for i in (1, 2)]
        t.csv("in/dispatches_1.csv", DSP_HDR, rows + [
            "%s,2026-03-01 09:00,M,S,CA1042,C,02108,P,OPEN" % _random_id(3000, 1)])
        t.csv("in/dispatches_2.csv", DSP_HDR, [
            "%s,2026-03-01 09:00,M,S,CA1042,C,02108,P,OPEN" % _random_id(800, 2)])
        for n, db in (("dispatches_1.csv", "long.db"), ("dispatches_2.csv", "ok.db")):
            r = svc("import", "--db", t.p(db), "--kind", "dispatches",
                    t.p("in", n), "--quiet")
            eq(r.code, 0, r)
        r = copy(t.p("long.db"), uri, "--to-schema", schema, code=65)
        check("svcrecon: %s: table 'dispatch' column dispatch_id holds a value "
              "of 3,000 bytes (dispatches_1.csv, line 4; 1 row over), longer "
              "than PostgreSQL's indexes hold (800 bytes a key field); nothing "
              "copied: keep this database on SQLite" % t.p("long.db") in r.err,
              r.err)
        check("nothing copied to" in r.err, r.err)
        eq(c.psql(pgcluster.DATABASE, "SELECT count(*) FROM pg_namespace "
                  "WHERE nspname = '%s'" % schema).strip(), "0", "schema made")
        copy(t.p("long.db"), t.p("copy.db"), "--quiet")
        eq(lite_tables(t.p("copy.db")), lite_tables(t.p("long.db")))
        copy(t.p("ok.db"), uri, "--to-schema", ok_schema, "--quiet")
        eq(c.psql(pgcluster.DATABASE, "SELECT length(dispatch_id) FROM "
                  "%s.dispatch" % ok_schema).strip(), "800")

def test_a_wrong_password_on_the_target_is_66_and_never_shown():
    c, schema, _ = on_pg("pw")
    with Tmp() as t:
        night(t, t.p("svc.db"), DATES[0], t.p("out"))
        bad = c.uri(pgcluster.PASSWORD_ROLE, "Wr0ng-pw-xyz")
        r = copy(t.p("svc.db"), bad, "--to-schema", schema, "--summary",
                 t.p("s.json"), code=66)
        check("password authentication failed for user \"svc_pw\"" in r.err,
              r.err)
        check("Wr0ng-pw-xyz" not in r.err + r.out, r.err)
        check("Wr0ng-pw-xyz" not in open(t.p("s.json")).read(), "summary")
        # the right one: said nowhere either, in the URI or as --from
        good = c.uri(pgcluster.PASSWORD_ROLE, pgcluster.PASSWORD)
        r = copy(t.p("svc.db"), good, "--to-schema", schema, "--summary",
                 t.p("s.json"))
        r2 = copy(good, t.p("back.db"), "--from-schema", schema, "--summary",
                  t.p("s2.json"))
        for text in (r.err, r.out, r2.err, r2.out, open(t.p("s.json")).read(),
                     open(t.p("s2.json")).read()):
            check(pgcluster.PASSWORD not in text, text)
        check("svc_pw@" in r.err and "svc_pw@" in r2.err, r.err + r2.err)


def test_a_connection_ended_mid_copy_leaves_the_target_empty():
    c, schema, uri = on_pg("lost")
    with Tmp() as t:
        generated_night(t)
        # the rows go by COPY, a moment too short to catch by polling: the
        # test hook holds the COPY of dispatch open after its first row
        p = subprocess.Popen([SVCRECON, "copy", "--from", t.p("svc.db"),
                              "--to", uri, "--to-schema", schema],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=dict(os.environ,
                                                 SVCRECON_TEST_PAUSE="copy "
                                                 "dispatch"))
        caught = ""
        for _ in range(3000):       # the server ends it, as a restart does
            caught = c.psql(pgcluster.DATABASE, """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE application_name = 'svcrecon on %s pid %d'
                   AND query LIKE 'COPY dispatch (%%'""" % (
                os.uname().nodename[:39], p.pid)).strip()
            if caught or p.poll() is not None:
                break
        out, err = p.communicate(timeout=300)
        eq(caught, "t", "not caught while copying dispatches: %s" % err)
        eq(p.returncode, 75, err)
        check("copying table 'dispatch': sending rows to the server: lost "
              "the connection to the server" in err, err)
        check("svcrecon: copy: registration: " in err and
              "svcrecon: copy: dispatch:" not in err and
              "nothing copied to" in err, err)
        eq(set(pg_counts(c, schema).values()), {0}, "rows stayed")
        # the rerun copies it all; its workbooks are the original's
        r = copy(t.p("svc.db"), uri, "--to-schema", schema, "--quiet")
        r = svc("report", "--db", uri, "--schema", schema, "--out", t.p("pg"),
                "--as-of", "2025-03-01", "--quiet")
        eq(r.code, 0, r)
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("lite2"),
                "--as-of", "2025-03-01", "--quiet")
        eq(r.code, 0, r)
        n = same_cells(t.p("lite2"), t.p("svc.db"), t.p("pg"), uri, schema)
        check(n > 10000, n)


def test_the_target_held_by_a_run_is_75():
    with Tmp() as t:
        night(t, t.p("a.db"), DATES[0], t.p("out"))
        # a run holds b.db's lock (app/lock.c: the file says who)
        with open(t.p("b.db.lock"), "w") as f:
            fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            f.write("pid %d on night-host since 2026-03-12 02:00:13\n"
                    % os.getpid())
            f.flush()
            r = copy(t.p("a.db"), t.p("b.db"), code=75)
            check("svcrecon: %s: held by pid %d on night-host since "
                  "2026-03-12 02:00:13; try later" % (t.p("b.db"), os.getpid())
                  in r.err, r.err)
            check(not os.path.exists(t.p("b.db")), "target created")
        copy(t.p("a.db"), t.p("b.db"), "--quiet")
        # PostgreSQL: a session holds the schema's advisory lock
        c, schema, uri = on_pg("lock")
        with pgcluster.lock_holder(c, schema) as pid:
            r = copy(t.p("a.db"), uri, "--to-schema", schema, code=75)
            check("schema '%s' held by pid %s on the local socket "
                  "(application 'the-night-holder') since " % (schema, pid)
                  in r.err and "try later" in r.err, r.err)
            eq(set(pg_counts(c, schema).values()), {0}, "copied while held")
        for _ in range(50):          # the holder's lock goes a moment later
            r = svc("copy", "--from", t.p("a.db"), "--to", uri, "--to-schema",
                    schema, "--quiet")
            if r.code != 75:
                break
            time.sleep(0.1)
        eq(r.code, 0, r)


@sqlite_only("SQLite's hot journal")
def test_a_copy_interrupted_with_a_hot_journal_completes_when_run_again():
    """Red before (fix57): the unlink of the new target's -journal failed
    (fault shim; kill -9 there leaves the same), 73, and the target was
    left empty with a hot journal beside it. The same copy run again
    said 66 "a hot journal ... run svcrecon import, report or run once";
    doing so gave the target a schema, and the copy was then refused, 73
    "holds svcrecon data already": a dead end. Now the rerun rolls the
    journal back (the target is as committed: empty) and completes.
    Guard: a target holding data with a hot journal is still refused (73),
    its committed rows unchanged."""
    need_fault_shim()
    with Tmp() as t:
        night(t, t.p("a.db"), DATES[0], t.p("out"))
        target = t.p("t.db")
        base = dict(os.environ, **preloaded(FAULTSHIM), FAULT_CALLS="unlink")
        args = [SVCRECON, "copy", "--from", t.p("a.db"), "--to", target,
                "--quiet"]
        unlinks = [n for n, _, path in shim_calls(args, base, t.p("log"))
                   if path == target + "-journal"]
        check(unlinks, "no unlink of the target's journal")
        for n in ("t.db", "t.db-wal", "t.db-shm", "t.db.lock"):
            if os.path.exists(t.p(n)):
                os.unlink(t.p(n))
        p = subprocess.run(args, env=dict(base, FAULT_AT=str(unlinks[0])),
                           capture_output=True, text=True)
        eq(p.returncode, 73, p)
        check(os.path.getsize(target + "-journal") > 0, "no hot journal left")
        r = copy(t.p("a.db"), target, "--quiet")
        check(not os.path.exists(target + "-journal"), "the journal is left")
        eq(lite_tables(target), lite_tables(t.p("a.db")), "the rerun's copy")
        # guard: a target holding data, a hot journal beside it
        night(t, t.p("b.db"), DATES[1], t.p("out"))
        before = lite_tables(t.p("b.db"))
        leave_hot_journal(t.p("b.db"))
        r = copy(t.p("a.db"), t.p("b.db"), code=73)
        check("holds svcrecon data already (table 'imported_file' has rows)"
              in r.err, r.err)
        check(not os.path.exists(t.p("b.db-journal")), "the journal is left")
        eq(lite_tables(t.p("b.db")), before, "the target's committed rows")


@sqlite_only("SQLite's hot journal")
def test_a_refused_target_whose_journal_was_rolled_back_is_not_said_untouched():
    """Red before (fix61): a target holding data with a hot journal beside
    it is refused (73) after the copy rolled the journal back (fix57),
    which wrote the journal's pages back into the file; the message still
    said "left untouched". Now it says the interrupted transaction was
    rolled back, otherwise left untouched. Guard: a target refused with no
    journal is said "left untouched", its bytes unchanged."""
    with Tmp() as t:
        night(t, t.p("a.db"), DATES[0], t.p("out"))
        night(t, t.p("b.db"), DATES[1], t.p("out"))
        raw = open(t.p("b.db"), "rb").read()
        r = copy(t.p("a.db"), t.p("b.db"), code=73)
        check("--to-schema; left untouched\n" in r.err, r.err)
        check("rolled back" not in r.err, r.err)
        check(open(t.p("b.db"), "rb").read() == raw, "the target's bytes")
        leave_hot_journal(t.p("b.db"))
        r = copy(t.p("a.db"), t.p("b.db"), code=73)
        check("holds svcrecon data already" in r.err, r.err)
        check("its interrupted transaction (a hot journal) was rolled back, "
              "otherwise left untouched" in r.err, r.err)
        check(not os.path.exists(t.p("b.db-journal")), "the journal is left")


def test_usage_errors_are_64():
    with Tmp() as t:
        cases = [
            (["--from", "a.db"], "copy needs --from DB and --to DB"),
            (["--from", "a.db", "--to", "b.db", "--schema", "x"],
             "copy takes --from-schema and --to-schema, not --schema"),
            (["--from", "a.db", "--to", "b.db", "--from-schema", "x"],
             "--from-schema names a PostgreSQL schema; --from is a SQLite "
             "file"),
            (["--from", "a.db", "--to", "b.db", "--to-schema", "x"],
             "--to-schema names a PostgreSQL schema; --to is a SQLite file"),
            (["--from", "a.db", "--to", "a.db"],
             "--from and --to name the same database"),
            (["--from", "a.db", "--to", "b.db", "extra"],
             "unexpected argument 'extra'"),
            (["--from", "a.db", "--to", "b.db", "--as-of", "2026-03-12"],
             "copy takes no --as-of (an option of report, run and explain)"),
        ]
        for args, msg in cases:
            r = svc("copy", *args, "--summary", "s.json", cwd=t.path)
            eq(r.code, 64, r)
            check("svcrecon: %s" % msg in r.err and "usage:" in r.err, r.err)
            s = json.load(open(t.p("s.json")))
            eq((s["command"], s["status"]), ("copy", "usage"), args)
            check(not os.path.exists(t.p("b.db")), args)
        # one SQLite file by two names (qa83: ./a.db was taken for a
        # target holding data, 73), also through a link; the file untouched
        night(t, t.p("a.db"), DATES[0], t.p("out"))
        os.symlink("a.db", t.p("l.db"))
        raw = open(t.p("a.db"), "rb").read()
        for a, b in (("a.db", "./a.db"), ("l.db", "a.db"), ("a.db", t.p("a.db"))):
            r = svc("copy", "--from", a, "--to", b, cwd=t.path)
            eq(r.code, 64, r)
            check("svcrecon: --from and --to name the same database" in r.err,
                  r.err)
        check(open(t.p("a.db"), "rb").read() == raw, "a.db's bytes")
        r = svc("copy", "--help")
        eq(r.code, 0, r)
        check("svcrecon copy --from DB --to DB" in r.out, r.out)


if __name__ == "__main__":
    import svctest
    svctest.main(globals())
