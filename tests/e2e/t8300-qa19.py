#!/usr/bin/python3
"""t8300 -- an auditor asks `explain` about calls the program rejected or
saw twice (QA pass 19). Each case a defect seen red before its fix:

- `explain D8` where every row naming D8 (its dispatch row, its closeout)
  was rejected at import said only "not found (no version of it was
  imported)": an auditor concluded the call never arrived. Rejected rows
  now keep the dispatch id they name (schema version 6, indexed), and
  explain names them: file and path, line, SHA-256, reason, the audit
  workbook that lists them, and the --source that shows the raw record
  (still 65 with an empty stdout: nothing of it was loaded). The id is
  compared trimmed and exactly, as dispatch ids are (SPEC §2);
- a call with accepted rows and rejected ones told only the accepted;
  its story now ends with the rejected rows naming it (JSON:
  rejected_rows), checked against the audit workbook of the same as-of;
- a database of schema version 5 upgrades in place (the column and its
  index added), and explain says how many rejected rows from before the
  upgrade it cannot search, instead of implying there are none;
- the story named files by base name only ("closeouts.csv:2 superseded
  by closeouts.csv:2"): with the inbox's files named the same every
  night an auditor could not tell the deliveries apart. Where another
  imported file has the same name, FILE:LINE is followed by the first
  twelve digits of the file's SHA-256, as the workbooks' Source SHA-256;
- `explain d1` (or `D 1`) for an imported 'D1' said "not found" with no
  hint: ids compare exactly, and the message now names the ids that
  differ only in letter case or spaces (imported, or else named by
  rejected rows);
- a dispatch re-dated after the as-of date was said to be "dispatched
  after the as-of date" with no word that earlier versions were dated
  before it (workbooks of that date made before the re-dating listed it).
"""
import hashlib
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, ON_PG, REG_HDR, SCHEMA_VERSION, Tmp,  # noqa: E402
                     check, connect, eq, main, query, schema_version, svc,
                     undo_version_9)

A = "2026-03-10"


def sheet_rows(path, name):
    """The listing on sheet name as dicts by header."""
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
    wb.close()
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def sha12(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]


def build(t):
    """Night 1: D8's dispatch row and closeout both rejected; D1 loaded
    with one closeout loaded and one rejected; D8 with 'd8' in another
    rejected row (a different id: ids compare exactly). Reported as of A."""
    db = t.p("svc.db")
    files = [
        ("registrations", t.csv("n1/registrations.csv", REG_HDR,
                                ["CA01,Acme,iPF8400S,SN1,2025-01-01,N,"])),
        ("dispatches", t.csv("n1/dispatches.csv", DSP_HDR, [
            "D1,2026-03-01 09:00,iPF8400S,SN1,CA01,Cust1,10001,P1,OPEN",      # 2
            " D8 ,2026-03-09 25:00,iPF8400S,SN1,CA01,Cust8,10001,P1,OPEN",    # 3 rej
            "d8,2026-03-09 26:00,iPF8400S,SN1,CA01,Cust8,10001,P1,OPEN",      # 4 rej
        ])),
        ("closeouts", t.csv("n1/closeouts.csv", CLO_HDR, [
            "CA01,2026-03-09 08:00,D8,SN1,iPF8400S,2026-03-09,Tom,25,R1,",   # 2 rej
            "CA01,2026-03-02 08:00,D1,SN1,iPF8400S,2026-03-02,Tom,1,R1,",    # 3
            "CA01,2026-03-03 08:00,D1,SN1,iPF8400S,2026-03-03,Tom,-1,R1,",   # 4 rej
        ])),
    ]
    for kind, path in files:
        r = svc("import", "--db", db, "--kind", kind, path)
        eq(r.code, 0, r)
    r = svc("report", "--db", db, "--out", t.p("out"), "--as-of", A)
    eq(r.code, 0, r)
    return db


def audit_rejected(t, as_of=A):
    return sheet_rows(t.p("out", "audit_%s.xlsx" % as_of), "Rejected rows")


def test_a_call_whose_every_row_was_rejected_is_named_as_rejected():
    with Tmp() as t:
        db = build(t)
        audit = audit_rejected(t)
        for fmt in ([], ["--json"]):
            r = svc("explain", "--db", db, "--as-of", A, *(fmt + ["D8"]))
            eq((r.code, r.out), (65, ""), r)
            check("not found" in r.err, r.err)
            check("rejected at import" in r.err, r.err)
            # every rejected row naming D8 (as written: ' D8 ' trimmed),
            # and only those: 'd8' is another id
            for file, line in (("dispatches.csv", 3), ("closeouts.csv", 2)):
                row = [x for x in audit if (x["File"], x["Line"]) == (file, line)]
                eq(len(row), 1, (file, line))
                check("%s:%d  rejected" % (file, line) in r.err, r.err)
                check("reason: " + row[0]["Reason"] in r.err, (row[0], r.err))
                check("SHA-256 " + row[0]["File SHA-256"] in r.err, r.err)
                check("explain --source '%s:%d'" % (t.p("n1", file), line) in r.err, r.err)
            check("dispatches.csv:4" not in r.err, "'d8' is not 'D8': " + r.err)
            check("listed under Rejected rows in audit_%s.xlsx" % A in r.err, r.err)
            check("2 rejected rows name it" in r.err and "deliver again" in r.err, r.err)
        # the --source it gives shows the row
        r = svc("explain", "--db", db, "--as-of", A, "--source", t.p("n1/dispatches.csv:3"))
        eq(r.code, 0, r)
        check("rejected row" in r.out and "D8" in r.out, r.out)
        # the id typed with blanks, as on import
        r = svc("explain", "--db", db, "--as-of", A, "  D8 ")
        check("dispatches.csv:3  rejected" in r.err, r.err)


def test_rejected_rows_beside_accepted_ones_are_told_in_the_story():
    with Tmp() as t:
        db = build(t)
        audit = {(x["File"], x["Line"]): x for x in audit_rejected(t)}
        r = svc("explain", "--db", db, "--as-of", A, "D1")
        eq(r.code, 0, r)
        out = r.out.split("\n")
        i = out.index("rejected rows naming 'D1' (refused at import: no part of the story "
                      "above; a corrected row counts once delivered again):")
        eq(out[i + 1].split(", imported")[0], "   closeouts.csv:4  rejected")
        eq(out[i + 2], "      file '%s' (closeouts), SHA-256 %s"
           % (t.p("n1/closeouts.csv"), audit[("closeouts.csv", 4)]["File SHA-256"]))
        eq(out[i + 3], "      reason: " + audit[("closeouts.csv", 4)]["Reason"])
        eq(out[i + 4], "      listed under Rejected rows in audit_%s.xlsx; raw record: "
           "explain --source '%s:4'" % (A, t.p("n1/closeouts.csv")))
        check(out[-2].startswith("standing as of %s: closed by closeout at closeouts.csv:3" % A),
              out[-2])
        doc = json.loads(svc("explain", "--db", db, "--as-of", A, "--json", "D1").out)
        d = doc["results"][0]["dispatch"]
        eq([(x["file"], x["line"], x["reason"], x["audit_as_of"]) for x in d["rejected_rows"]],
           [("closeouts.csv", 4, audit[("closeouts.csv", 4)]["Reason"], A)])
        eq(d["rejected_rows_unread"], 0)


def test_not_yet_reported_rejections_point_to_the_next_audit():
    with Tmp() as t:
        db = t.p("svc.db")
        p = t.csv("closeouts.csv", CLO_HDR,
                  ["CA01,2026-03-09 08:00,Z1,SN1,iPF8400S,2026-03-09,Tom,x,R1,"])
        eq(svc("import", "--db", db, "--kind", "closeouts", p).code, 0)
        r = svc("explain", "--db", db, "--as-of", A, "Z1")
        eq(r.code, 65, r)
        check("closeouts.csv:2  rejected" in r.err, r.err)
        check("the next report's audit workbook" in r.err, r.err)


def downgrade_to_5(db):
    """Makes db what schema version 5 left: rejected_row without
    dispatch_id, and neither of version 6's indexes (nor version 7's
    delivery.night_as_of_day)."""
    con = connect(db)
    try:
        con.execute("ALTER TABLE delivery DROP COLUMN night_as_of_day")
        con.execute("DROP TABLE inbox_note")                 # version 8
        undo_version_9(con)                                  # version 9
        con.execute("DROP INDEX imported_file_name")
        if ON_PG:
            con.execute("ALTER TABLE rejected_row DROP COLUMN dispatch_id")
            con.execute("UPDATE schema_version SET version = 5")
        else:
            con.execute("DROP INDEX rejected_row_dispatch")
            con.execute("ALTER TABLE rejected_row DROP COLUMN dispatch_id")
            con.execute("PRAGMA user_version = 5")
            con.commit()
    finally:
        con.close()


def test_a_version_5_database_upgrades_and_says_what_it_cannot_search():
    with Tmp() as t:
        db = build(t)
        downgrade_to_5(db)
        eq(schema_version(db), 5)
        # explain only reads: no upgrade, and it says rejected rows were not searched
        r = svc("explain", "--db", db, "--as-of", A, "D8")
        eq(r.code, 65, r)
        check("rejected rows not searched: the database predates schema version 6" in r.err,
              r.err)
        eq(schema_version(db), 5, "explain only reads")
        r = svc("explain", "--db", db, "--as-of", A, "--json", "D1")
        eq(r.code, 0, r)
        d = json.loads(r.out)["results"][0]["dispatch"]
        eq((d["rejected_rows"], d["rejected_rows_unread"]), ([], None))
        # an import upgrades it in place: the old rows are marked unread
        p = t.csv("n2/closeouts.csv", CLO_HDR,
                  ["CA01,2026-03-09 09:00,D8,SN1,iPF8400S,2026-03-09,Tom,-2,R1,"])
        eq(svc("import", "--db", db, "--kind", "closeouts", p).code, 0)
        eq(schema_version(db), SCHEMA_VERSION)
        eq(query(db, "SELECT COUNT(*) FROM rejected_row WHERE dispatch_id IS NULL"), [(4,)])
        r = svc("explain", "--db", db, "--as-of", A, "D8")
        eq(r.code, 65, r)
        check("4 rejected rows stored before schema version 6 are not searched" in r.err, r.err)
        check("closeouts.csv:2  rejected" in r.err and "n2/closeouts.csv" in r.err, r.err)
        # the lookup is an index seek
        if ON_PG:
            eq(query(db, "SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() "
                         "AND indexname = 'rejected_row_dispatch'"), [(1,)])
        else:
            con = sqlite3.connect(db)
            plan = " ".join(str(x) for x in con.execute(
                "EXPLAIN QUERY PLAN SELECT line FROM rejected_row WHERE dispatch_id = ?",
                ("D8",)).fetchall())
            con.close()
            check("rejected_row_dispatch" in plan, plan)


def test_deliveries_of_one_name_are_told_apart():
    with Tmp() as t:
        db = t.p("svc.db")
        one = t.csv("n1/closeouts.csv", CLO_HDR,
                    ["CA01,2026-03-02 08:00,D1,SN1,iPF8400S,2026-03-02,Tom,,R1,"])
        two = t.csv("n2/closeouts.csv", CLO_HDR,
                    ["CA01,2026-03-02 08:00,D1,SN1,iPF8400S,2026-03-02,Tom,1,R1,"])
        dsp = t.csv("dispatches_1.csv", DSP_HDR,
                    ["D1,2026-03-01 09:00,iPF8400S,SN1,CA01,Cust1,10001,P1,OPEN"])
        eq(svc("import", "--db", db, "--kind", "dispatches", dsp).code, 0)
        eq(svc("import", "--db", db, "--kind", "closeouts", one, two).code, 0)
        r = svc("explain", "--db", db, "--as-of", A, "D1")
        eq(r.code, 0, r)
        a, b = sha12(one), sha12(two)
        check("   closeouts.csv:2 (SHA-256 %s)  superseded by closeouts.csv:2 (SHA-256 %s), "
              "imported" % (a, b) in r.out, r.out)
        check("   closeouts.csv:2 (SHA-256 %s)  accepted" % b in r.out, r.out)
        check(r.out.endswith("closed by closeout at closeouts.csv:2 (SHA-256 %s), submitted "
                             "2026-03-02 08:00:00\n" % b), r.out)
        # a name imported once keeps its plain FILE:LINE
        check("   dispatches_1.csv:2  current" in r.out, r.out)


def test_an_id_differing_in_case_or_spaces_is_named():
    with Tmp() as t:
        db = build(t)
        for typed in ("d1", "D 1", " d 1"):
            r = svc("explain", "--db", db, "--as-of", A, typed)
            eq((r.code, r.out), (65, ""), r)
            check("not found" in r.err and "differ from it only in letter case or spaces"
                  in r.err and "'D1'" in r.err, (typed, r.err))
        r = svc("explain", "--db", db, "--as-of", A, "NOPE")
        eq(r.code, 65, r)
        check("letter case" not in r.err, r.err)
        # an id only rejected rows name ('D8', and 'd8' itself): named too
        r = svc("explain", "--db", db, "--as-of", A, "d 8")
        eq((r.code, r.out), (65, ""), r)
        check("rejected rows name ids that differ from it only in letter case or spaces "
              "(explain one of them): 'D8', 'd8'" in r.err, r.err)


def test_a_call_re_dated_after_the_as_of_says_so():
    with Tmp() as t:
        db = build(t)
        p = t.csv("n2/dispatches.csv", DSP_HDR,
                  ["D1,2026-03-20 09:00,iPF8400S,SN1,CA01,Cust1,10001,P1,OPEN"])
        eq(svc("import", "--db", db, "--kind", "dispatches", p).code, 0)
        r = svc("explain", "--db", db, "--as-of", A, "D1")
        eq(r.code, 0, r)
        last = r.out.rstrip("\n").split("\n")[-1]
        check(last.startswith("standing as of %s: dispatched after the as-of date "
                              "(2026-03-20 09:00:00), takes no part; re-dated:" % A), last)
        # true to the workbook of the same as-of, made now: not listed
        eq(svc("report", "--db", db, "--out", t.p("out2"), "--as-of", A).code, 0)
        listed = [x["Dispatch ID"] for x in
                  sheet_rows(t.p("out2", "unclosed_calls_%s.xlsx" % A), "Unclosed calls")]
        check("D1" not in listed, listed)
        # before every version's date: after the as-of, but not re-dated
        r = svc("explain", "--db", db, "--as-of", "2026-02-01", "D1")
        eq(r.code, 0, r)
        check("takes no part\n" in r.out and "re-dated" not in r.out, r.out)
        r = svc("explain", "--db", db, "--as-of", "2026-03-01", "D1")
        check("re-dated" in r.out, r.out)


if __name__ == "__main__":
    main(globals())
