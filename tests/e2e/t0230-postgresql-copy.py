#!/usr/bin/python3
"""t0230 -- loading on PostgreSQL by COPY (issue 17, SPEC §2 and §6).

On PostgreSQL a file's records are COPied into a staging table and made
into rows and rejected rows by set-based SQL (etl/load.c,
schemas/queries/load/pg/); on SQLite they are inserted one by one. The two
must store the same:

- a generated night with keys repeated inside a file in all three feeds
  (exact repeats, a key repeated three times, keys equal only after
  normalization: serial case and hyphens, the other date form), a repeat
  of a rejected row (the later valid line loads), a repeat that fails a
  check (rejected for the check), and Windows-1252 bytes (enough in one
  file for the legacy-export diagnosis) gives the same rejected_row rows
  (file, line, reason, raw bytes), the same rows loaded (file, line), the
  same control totals, summary and workbook cells as SQLite;
- kill -9 while the COPY of a file is open on the server, and again after
  its COPY ended but before its rows reached their tables: nothing of the
  file stays, and the rerun gives what an uninterrupted SQLite run gives.

Runs against the throw-away cluster tests/run-all starts; SKIP without.
"""
import csv
import importlib.util
import io
import os
import sqlite3
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import pgcluster  # noqa: E402
from svctest import ROOT, SVCRECON, Tmp, check, eq, svc, validate_summary  # noqa: E402

# t0210's helpers (cluster, schemas, cell-for-cell comparison), not its tests
_spec = importlib.util.spec_from_file_location(
    "t0210", os.path.join(HERE, "t0210-postgresql.py"))
t0210 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(t0210)

AS_OF = "2025-03-01"


def rows_of(path):
    """The header and the records of a generated feed (no BOM)."""
    with open(path, encoding="utf-8-sig", errors="surrogateescape",
              newline="") as f:
        got = list(csv.reader(f))
    return got[0], got[1:]


def line_of(fields):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)
    return out.getvalue().encode("utf-8", "surrogateescape")


def append(path, lines):
    with open(path, "ab") as f:
        for line in lines:
            f.write(line)


def with_values(header, row, **values):
    row = list(row)
    for name, value in values.items():
        row[header.index(name)] = value
    return row


def cp1252(header, row, column, **values):
    """The row with a Windows-1252 byte (e-acute) after column's value: not
    UTF-8, so rejected."""
    values[column] = (row[header.index(column)] or "x") + "\u2603"
    return line_of(with_values(header, row, **values)).replace(
        "\u2603".encode("utf-8"), b"\xe9")


def other_form(iso):
    """'2025-01-02' -> '01/02/2025' (SPEC §2: both forms are one date)."""
    return "%s/%s/%s" % (iso[5:7], iso[8:10], iso[:4])


def add_repeats(inbox):
    """Keys repeated inside each file, rejected rows, Windows-1252 bytes."""
    p = os.path.join(inbox, "registrations.csv")
    h, rows = rows_of(p)
    r = [x for x in rows if len(x) == len(h) and x[h.index("dealer_name")]
         and x[h.index("registered_on")][4:5] == "-"]
    extra = [line_of(r[10]), line_of(r[11]), line_of(r[11]),
                      # the same key once normalized: serial case and a hyphen, the
             # other date form
             line_of(with_values(h, r[12], serial_number=(
                 r[12][h.index("serial_number")][:3].lower() + "-" +
                 r[12][h.index("serial_number")][3:]),
                 registered_on=other_form(r[12][h.index("registered_on")])))]
    # enough Windows-1252 rows for the legacy-export diagnosis
    extra += [cp1252(h, x, "dealer_name", dealer_id="CP%04d" % i)
              for i, x in enumerate(r[20:60])]
    append(p, extra)

    p = os.path.join(inbox, "dispatches.csv")
    h, rows = rows_of(p)
    d = [x for x in rows if len(x) == len(h) and x[h.index("customer_name")]]
    append(p, [
        line_of(d[5]),                                      # exact repeat
        line_of(with_values(h, d[6], status="CANCELLED")),  # other values
        line_of(with_values(h, d[6], provider_id="ZZ0001")),
        # a rejected row first, then its key valid: the valid line loads
        cp1252(h, d[7], "customer_name", dispatch_id="DX0000001"),
        line_of(with_values(h, d[7], dispatch_id="DX0000001")),
        line_of(with_values(h, d[7], dispatch_id="DX0000001")),
        # a repeat that also fails a check is rejected for the check
        line_of(with_values(h, d[8], dispatched_at="2025-02-30 10:00")),
    ])

    p = os.path.join(inbox, "closeouts.csv")
    h, rows = rows_of(p)
    c = [x for x in rows if len(x) == len(h) and x[h.index("dispatch_id")]
         and len(x[h.index("submitted_at")]) == 19
         and x[h.index("submitted_at")][4] == "-"]
    at = c[3][h.index("submitted_at")]
    append(p, [
        line_of(c[2]),
        # the same submitted_at in the other form
        line_of(with_values(h, c[3], submitted_at="%sT%s" % (
            other_form(at), at[11:]), technician="Someone Else")),
        cp1252(h, c[4], "technician"),
        line_of(c[4]),
    ])


def night(t, dispatches):
    gen = subprocess.run([os.path.join(ROOT, "sample-data", "generate"),
                          "--dispatches", str(dispatches), "--days", "60",
                          "--out", t.p("inbox")], capture_output=True)
    eq(gen.returncode, 0, gen.stderr)
    add_repeats(t.p("inbox"))


def run(t, db, out, extra=()):
    return svc("run", "--db", db, *extra, "--inbox", t.p("inbox"), "--out",
               t.p(out), "--as-of", AS_OF, "--quiet", "--summary",
               t.p(out + ".json"))


STORED = {
    "rejected": "SELECT f.name, r.line, r.reason, {hex} FROM rejected_row AS r "
                "JOIN imported_file AS f USING (file_id) "
                "ORDER BY f.name, r.line",
    "totals": "SELECT name, kind, status, rows_read, rows_loaded, "
              "rows_rejected, reason FROM imported_file ORDER BY name",
    "registration": "SELECT f.name, x.line, x.dealer_id, x.serial_norm, "
                    "x.registered_day FROM registration AS x JOIN "
                    "imported_file AS f USING (file_id) ORDER BY f.name, x.line",
    "dispatch": "SELECT f.name, x.line, x.dispatch_id, x.status, "
                "x.provider_id FROM dispatch AS x JOIN imported_file AS f "
                "USING (file_id) ORDER BY f.name, x.line",
    "closeout": "SELECT f.name, x.line, x.dealer_id, x.submitted_at, "
                "x.technician FROM closeout AS x JOIN imported_file AS f "
                "USING (file_id) ORDER BY f.name, x.line",
}


def stored_lite(db):
    con = sqlite3.connect(db)
    out = {}
    for name, sql in STORED.items():
        out[name] = [tuple("" if v is None else str(v) for v in row)
                     for row in con.execute(sql.format(hex="hex(r.raw)"))]
        if name == "rejected":
            out[name] = [r[:3] + (r[3].lower(),) for r in out[name]]
    con.close()
    return out


def stored_pg(c, schema):
    out = {}
    for name, sql in STORED.items():
        text = c.psql(pgcluster.DATABASE, "SET search_path = %s;\n"
                      "COPY (%s) TO STDOUT WITH (FORMAT csv)" % (
                          schema, sql.format(hex="encode(r.raw, 'hex')")))
        out[name] = [tuple(r) for r in csv.reader(io.StringIO(text))]
    return out


def test_repeated_keys_and_rejections_are_stored_as_on_sqlite():
    c = t0210.cluster()
    schema = t0210.fresh_schema(c, "copy")
    uri = c.uri()
    with Tmp() as t:
        night(t, 3000)
        eq(run(t, t.p("svc.db"), "lite").code, 0)
        eq(run(t, uri, "pg", ["--schema", schema]).code, 0)
        lite, pg = stored_lite(t.p("svc.db")), stored_pg(c, schema)
        for name in STORED:
            eq(len(pg[name]), len(lite[name]), name)
            for a, b in zip(lite[name], pg[name]):
                eq(b, a, name)
        # the night holds what it should: repeats of every kind's key, a
        # Windows-1252 diagnosis, rows of every file
        reasons = " | ".join(r[2] for r in lite["rejected"])
        for words in ("registration key (dealer_id, serial_number, "
                      "registered_on)", "dispatch_id", "closeout key "
                      "(dealer_id, dispatch_id, submitted_at)"):
            check(reasons.count(words + " repeats line") >= 2, words)
        check("line" in reasons and "UTF-8" in reasons, reasons[:400])
        check(len(lite["rejected"]) > 50, len(lite["rejected"]))
        sl, sp = (validate_summary(t.p(n + ".json")) for n in ("lite", "pg"))
        warned = [w["message"] for w in sl["warnings"]]
        check(any("Windows-1252" in w for w in warned), warned)
        eq(t0210.strip_summary(sp), t0210.strip_summary(sl), "summary")
        n = t0210.same_cells(
            t.p("lite"), [t0210.shell_quote(t.p("svc.db")), t.p("svc.db")],
            t.p("pg"), ["%s --schema %s" % (t0210.shell_quote(uri), schema),
                        uri])
        check(n > 5000, n)


def session_gone(c, pid):
    """Waits until the killed program's session has left the server (it
    holds the run lock until then)."""
    for _ in range(500):
        if not c.psql(pgcluster.DATABASE, "SELECT 1 FROM pg_stat_activity "
                      "WHERE application_name = 'svcrecon on %s pid %d'" % (
                          os.uname().nodename[:39], pid)).strip():
            return
        time.sleep(0.01)
    raise AssertionError("the killed session stayed")


def killed_at(c, t, uri, schema, point, when):
    """Runs the night on PostgreSQL with the test hook pausing the load at
    point, kills it -9 once the server shows its session in the COPY of the
    dispatches as `when` says, and checks that nothing of that file
    stayed."""
    env = dict(os.environ, SVCRECON_TEST_PAUSE=point)
    p = subprocess.Popen([SVCRECON, "run", "--db", uri, "--schema", schema,
                          "--inbox", t.p("inbox"), "--out", t.p("pg"),
                          "--as-of", AS_OF, "--quiet"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    caught = ""
    for _ in range(6000):
        caught = c.psql(pgcluster.DATABASE, """
            SELECT 't' FROM pg_stat_activity AS a
              LEFT JOIN pg_stat_progress_copy AS y USING (pid)
             WHERE a.application_name = 'svcrecon on %s pid %d'
               AND a.query LIKE 'COPY load_stage %%dispatched_at%%'
               AND %s""" % (os.uname().nodename[:39], p.pid, when)).strip()
        if caught or p.poll() is not None:
            break
        time.sleep(0.01)
    p.kill()
    out, err = p.communicate(timeout=60)
    eq(caught, "t", "not caught at %s: %s" % (point, err))
    eq(p.returncode, -9, err)
    session_gone(c, p.pid)
    files = c.psql(pgcluster.DATABASE, "SELECT string_agg(name, ' ' ORDER "
                   "BY file_id) FROM %s.imported_file" % schema).strip()
    eq(files, "registrations.csv", "the file in flight stayed (%s)" % point)


def test_kill_9_during_the_copy_then_rerun_is_a_clean_run():
    # SPEC §6: one transaction per file; the server rolls back the file in
    # flight when the killed program's socket closes, whether its COPY was
    # still open or its rows were staged and not yet in their tables.
    c = t0210.cluster()
    uri = c.uri()
    with Tmp() as t:
        night(t, 17000)     # the dispatches pass 16,384 rows: the hook
        eq(run(t, t.p("svc.db"), "lite").code, 0)
        for point, when in (
                ("copy", "y.command = 'COPY FROM' AND y.tuples_processed "
                         "> 0"),
                ("staged dispatches", "a.state = 'idle in transaction'")):
            schema = t0210.fresh_schema(c, "kill_" + point.split()[0])
            killed_at(c, t, uri, schema, point, when)
            eq(run(t, uri, "pg", ["--schema", schema]).code, 0)
            eq(stored_pg(c, schema), stored_lite(t.p("svc.db")), point)
            n = t0210.same_cells(
                t.p("lite"), [t0210.shell_quote(t.p("svc.db")),
                              t.p("svc.db")],
                t.p("pg"), ["%s --schema %s" % (t0210.shell_quote(uri),
                                                schema), uri])
            check(n > 10000, n)


if __name__ == "__main__":
    import svctest
    svctest.main(globals())
