#!/usr/bin/python3
"""t3110 -- what `run` found in its inbox besides the feed files is on the
audit of its night (lead, 2026-12-06; schema version 8,
schemas/tables/008_inbox_note.sql; README "The audit's night").

SPEC §4 has the audit as of A list "each file that an import or run was
given or found" in its night; SPEC §5 has `run` name, in a warning, a file
whose name matches no kind ("left alone") and an inbox with no feed file.
Until version 8 those warnings went to stderr and the --summary only: the
night's audit, which an auditor opens, did not show that a file was
delivered under a name svcrecon does not take, or that the night found
nothing. Seen red with the binary of 5d75bba (the last of version 7): the
first three tests failed on their first audit check (the Warnings block
said "(none)", or the re-run left the audit as it was); the other three
on the missing inbox_note table.

Now `run` records them (once per night, what and path) before its report,
and the Run sheet's Warnings block lists them after the file warnings; a
re-run that finds a new one writes the audit again, a re-run that finds
nothing new leaves it as it is; a failure to record them stops the run
before its report (no workbook claims a night it did not describe)."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (ON_PG, SCHEMA_VERSION, UNDO_VERSION_9, Tmp, check, eq,  # noqa: E402
                     good_night, main, query, schema_version, sha256, sqlite_only,
                     svc, write_sql)

import openpyxl  # noqa: E402

N1, N2, N3 = "2026-03-11", "2026-03-12", "2026-03-13"
STRAY = "found in the inbox as %s: its name matches no kind"
EMPTY = "a run of this night found no feed file in this inbox"


def run(t, inbox, as_of, out="out", code=0, summary=None):
    args = ["run", "--db", t.p("svc.db"), "--inbox", inbox, "--out", out,
            "--as-of", as_of]
    if summary:
        args += ["--summary", summary]
    r = svc(*args, cwd=t.path)
    eq(r.code, code, r)
    return r


def audit(t, as_of, out="out"):
    return t.p(out, "audit_%s.xlsx" % as_of)


def warnings(path):
    """The rows of the Run sheet's Warnings block: [(File, Warning)], []
    when it says (none)."""
    ws = openpyxl.load_workbook(path)["Run"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    i = [k for k, r in enumerate(rows) if r[0] == "Warnings"]
    eq(len(i), 1, "one Warnings block in %s" % path)
    i = i[0] + 1
    eq(tuple(rows[i][:2]), ("File", "Warning"), "the Warnings header")
    out = []
    for r in rows[i + 1:]:
        if r[0] in (None, "(none)"):
            break
        out.append((r[0], r[1]))
    return out


def test_a_stray_file_is_listed_on_its_nights_audit_and_only_there():
    with Tmp() as t:
        good_night(t)
        t.write("in/Dispatches 2026-03-11.txt", "dispatch_id\nX1\n")
        r = run(t, "in", N1, summary="s.json")
        # stderr and the summary say it as before
        line = [l for l in r.err.splitlines() if "Dispatches 2026-03-11.txt" in l]
        eq(len(line), 1, r.err)
        with open(t.p("s.json")) as f:
            codes = [w["code"] for w in json.load(f)["warnings"]]
        check("stray_file" in codes, codes)
        w = warnings(audit(t, N1))
        eq(len(w), 1, w)
        eq(w[0][0], "Dispatches 2026-03-11.txt", "File names the stray")
        check(w[0][1].startswith(STRAY % "in/Dispatches 2026-03-11.txt"), w[0][1])
        check("left alone, not imported" in w[0][1], w[0][1])
        # the stray taken away, the night run again: it was found, it stays
        # listed, and nothing new means the same workbook left as it is
        before = sha256(audit(t, N1))
        os.remove(t.p("in", "Dispatches 2026-03-11.txt"))
        r = run(t, "in", N1)
        check("up to date" in r.err, r.err)
        eq(sha256(audit(t, N1)), before, "the re-run leaves the audit as it is")
        # the next night found no stray: its audit lists none
        run(t, "in", N2)
        eq(warnings(audit(t, N2)), [], "night 2 found no stray")
        eq(query(t.p("svc.db"), "SELECT COUNT(*) FROM inbox_note"), [(1,)],
           "one note, recorded once")


def test_a_stray_found_by_a_rerun_writes_the_audit_again():
    with Tmp() as t:
        good_night(t)
        run(t, "in", N1)
        eq(warnings(audit(t, N1)), [], "no stray yet")
        before = sha256(audit(t, N1))
        t.write("in/notes.xlsx", "not a feed")
        t.write("in/closeouts_1.csv.bak", "not a feed either")
        r = run(t, "in", N1)
        check("up to date" not in r.err, r.err)
        w = warnings(audit(t, N1))
        # in the order found: the inbox's strays by name
        eq([x[0] for x in w], ["closeouts_1.csv.bak", "notes.xlsx"], w)
        check(sha256(audit(t, N1)) != before, "the audit was written again")
        # a third run finds the same strays: nothing new, same bytes
        after = sha256(audit(t, N1))
        r = run(t, "in", N1)
        check("up to date" in r.err, r.err)
        eq(sha256(audit(t, N1)), after, "the same strays again: left as it is")
        eq(query(t.p("svc.db"), "SELECT COUNT(*) FROM inbox_note"), [(2,)])


def test_the_same_inbox_given_by_another_path_makes_no_second_note():
    """Defect (qa37's note; red before the fix with 2a12048's binary): a
    night run again with the same inbox given as an absolute path
    (`--inbox in`, then `--inbox /tmp/.../in`, as a scheduler's unit and an
    operator's terminal would) noted its stray twice and wrote the audit
    again with two warnings for one file; an empty inbox the same. Now one
    note per stray name and one empty inbox a night: the re-run is up to
    date and leaves the audit as it is."""
    with Tmp() as t:
        good_night(t)
        t.write("in/notes.xlsx", "not a feed")
        run(t, "in", N1)
        before = sha256(audit(t, N1))
        r = run(t, t.p("in"), N1)
        check("up to date" in r.err, r.err)
        eq(sha256(audit(t, N1)), before, "the audit left as it is")
        eq([x[0] for x in warnings(audit(t, N1))], ["notes.xlsx"])
        os.makedirs(t.p("empty"))
        run(t, "empty", N2)
        before = sha256(audit(t, N2))
        r = run(t, t.p("empty"), N2)
        check("up to date" in r.err, r.err)
        eq(sha256(audit(t, N2)), before, "the empty night's audit as it is")
        eq(len(warnings(audit(t, N2))), 1, "one empty-inbox note")
        eq(query(t.p("svc.db"), "SELECT what, path FROM inbox_note "
                 "ORDER BY note_id"),
           [("stray_file", "in/notes.xlsx"), ("empty_inbox", "empty")],
           "the first notes, as found")


def test_an_empty_inbox_is_on_the_audit_of_its_night():
    with Tmp() as t:
        good_night(t)
        run(t, "in", N1)
        os.makedirs(t.p("empty"))
        r = run(t, "empty", N2, summary="s.json")
        check("inbox holds no feed file" in r.err, r.err)
        w = warnings(audit(t, N2))
        eq(w, [("empty", EMPTY + " (registrations*.csv, dispatches*.csv, "
                "closeouts*.csv); nothing was imported from it")], w)
        eq(warnings(audit(t, N1)), [], "night 1 had files")
        # `report` of each night lists that night's notes, from the database
        svc("report", "--db", t.p("svc.db"), "--out", "again", "--as-of", N1,
            cwd=t.path)
        r = svc("report", "--db", t.p("svc.db"), "--out", "again", "--as-of",
                N2, cwd=t.path)
        eq(r.code, 0, r)
        eq(warnings(audit(t, N1, "again")), [], "report of night 1")
        eq(warnings(audit(t, N2, "again")), w, "report of night 2")


def test_a_failure_to_record_the_notes_stops_the_run_before_its_report():
    with Tmp() as t:
        good_night(t)
        run(t, "in", N1)                  # the database exists, version 8
        db = t.p("svc.db")
        if ON_PG:
            write_sql(db, "ALTER TABLE inbox_note ADD CONSTRAINT refuse_all "
                          "CHECK (night_as_of_day < 0)")
        else:
            write_sql(db, "CREATE TRIGGER refuse_all BEFORE INSERT ON inbox_note "
                          "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
        t.write("in/stray.txt", "x")
        r = run(t, "in", N2, code=70)
        check("recording what the inbox held besides the feed files" in r.err, r.err)
        check(not os.path.exists(audit(t, N2)), "no audit for the night")
        check(not os.path.exists(t.p("out", "unclosed_calls_%s.xlsx" % N2)),
              "no workbook for the night")
        eq(query(db, "SELECT COUNT(*) FROM report_run WHERE as_of = ?", (N2,)),
           [(0,)], "the report is not recorded")
        # the cause removed, the night run again completes and lists it
        write_sql(db, "ALTER TABLE inbox_note DROP CONSTRAINT refuse_all" if ON_PG
                  else "DROP TRIGGER refuse_all")
        run(t, "in", N2)
        eq([x[0] for x in warnings(audit(t, N2))], ["stray.txt"])


def test_a_version_7_database_upgrades_and_lists_the_notes():
    with Tmp() as t:
        good_night(t)
        run(t, "in", N1)
        db = t.p("svc.db")
        # what a version-7 database holds: no inbox_note
        write_sql(db, "DROP TABLE inbox_note")
        for sql in UNDO_VERSION_9:                            # version 9
            write_sql(db, sql)
        write_sql(db, "UPDATE schema_version SET version = 7" if ON_PG
                  else "PRAGMA user_version = 7")
        eq(schema_version(db), 7)
        t.write("in/stray.txt", "x")
        run(t, "in", N2)
        eq(schema_version(db), SCHEMA_VERSION, "upgraded")
        eq([x[0] for x in warnings(audit(t, N2))], ["stray.txt"])
        eq(warnings(audit(t, N1)), [], "night 1's audit as it was")


@sqlite_only("copy between back ends is t0230's: it compares every table, "
             "inbox_note among them")
def test_the_notes_are_copied_with_the_database():
    """`copy` carries the notes: a report from the copy lists them."""
    with Tmp() as t:
        good_night(t)
        t.write("in/stray.txt", "x")
        run(t, "in", N1)
        r = svc("copy", "--from", t.p("svc.db"), "--to", t.p("copy.db"))
        eq(r.code, 0, r)
        cols = "SELECT night_as_of_day, what, name, path FROM inbox_note"
        eq(query(t.p("copy.db"), cols), query(t.p("svc.db"), cols), "copied")
        r = svc("report", "--db", t.p("copy.db"), "--out", "fromcopy", "--as-of",
                N1, cwd=t.path)
        eq(r.code, 0, r)
        eq(warnings(audit(t, N1, "fromcopy")), warnings(audit(t, N1)))


if __name__ == "__main__":
    main(globals())
