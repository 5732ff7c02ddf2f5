#!/usr/bin/python3
"""t9996 -- an auditor traces a rejected row to the workbook that lists it.

`explain DISPATCH_ID` already says, of each rejected row naming the
dispatch, "listed under Rejected rows in audit_A.xlsx". `explain --source
FILE:LINE` on the rejected row itself said only its reason and its bytes:
the auditor holding a file and a line (from a dealer's complaint, a diff of
the feed) could not tell which night's audit workbook lists the row. Red
before: no "listed under" line, no "audit_as_of" in the JSON.

The audit workbook of a row is its file's night: the first recorded
report whose night took in the file (`run --as-of A` loads into A's
night); a file imported after the last report is listed by the next
report's audit.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, REG_HDR, Tmp, eq, main,  # noqa: E402
                     svc)

A1, A2 = "2026-03-10", "2026-03-12"


def explain(t, *args, json_out=False):
    r = svc("explain", "--db", "svc.db", "--as-of", A2,
            *(["--json"] if json_out else []), *args, cwd=t.path)
    eq(r.code, 0, r)
    return json.loads(r.out) if json_out else r.out.splitlines()


def nights(t):
    """Two nights by `run`, each file with a rejected row at line 3, then a
    third file by `import` after the last report."""
    t.csv("in1/registrations_1.csv", REG_HDR,
          ["CA1042,Dealer One,iPF8400S,AFK03126,2026-01-01,N,",
           "CA1042,Dealer One,iPF8400S,AFK03127,2026-13-01,N,"])
    t.csv("in1/dispatches_1.csv", DSP_HDR,
          ["Q1,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN",
           "Q2,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,MAYBE"])
    r = svc("run", "--db", "svc.db", "--inbox", "in1",
            "--out", "out1", "--as-of", A1, "--quiet", cwd=t.path)
    eq(r.code, 0, r)
    t.csv("in2/closeouts_2.csv", CLO_HDR,
          ["CA1042,2026-03-02 10:00,Q1,AFK03126,iPF8400S,2026-03-02,T,1.5,R,",
           "CA1042,2026-03-02 11:00,Q1,AFK03126,iPF8400S,2026-03-02,T,25,R,"])
    r = svc("run", "--db", "svc.db", "--inbox", "in2",
            "--out", "out2", "--as-of", A2, "--quiet", cwd=t.path)
    eq(r.code, 0, r)
    t.csv("late/closeouts_3.csv", CLO_HDR,
          ["CA1042,2026-03-03 10:00,Q1,AFK03126,iPF8400S,2026-03-02,T,1,R,",
           "CA1042,2026-03-03 11:00,Q1,AFK03126,iPF8400S,2026-03-02,T,-1,R,"])
    r = svc("import", "--db", "svc.db", "--kind", "closeouts",
            "late/closeouts_3.csv", cwd=t.path)
    eq(r.code, 0, r)


def test_source_of_a_rejected_row_names_the_audit_workbook_that_lists_it():
    with Tmp() as t:
        nights(t)
        for src, book in (("registrations_1.csv:3", "audit_%s.xlsx" % A1),
                          ("dispatches_1.csv:3", "audit_%s.xlsx" % A1),
                          ("closeouts_2.csv:3", "audit_%s.xlsx" % A2)):
            out = explain(t, "--source", src)
            eq(out[0], "source %s: rejected row" % src)
            eq([x for x in out if x.startswith("listed under")],
               ["listed under Rejected rows in " + book], src)
            # the workbook named is there and lists the row
            folder = "out1" if A1 in book else "out2"
            eq(os.path.exists(t.p(folder, book)), True, book)
        out = explain(t, "--source", "closeouts_3.csv:3")
        eq([x for x in out if x.startswith("listed under")],
           ["listed under Rejected rows in the next report's audit workbook "
            "(no report recorded since its file was delivered)"])


def test_source_of_a_rejected_row_in_json_has_its_audit_as_of():
    with Tmp() as t:
        nights(t)
        for src, want in (("dispatches_1.csv:3", A1),
                          ("closeouts_2.csv:3", A2),
                          ("closeouts_3.csv:3", None)):
            doc = explain(t, "--source", src, json_out=True)
            rr = doc["results"][0]["rejected_row"]
            eq(rr["audit_as_of"], want, src)


def test_the_workbook_named_really_lists_the_row():
    """The audit workbook named by explain holds the row under Rejected
    rows (file and line), and the other night's does not."""
    import zipfile
    with Tmp() as t:
        nights(t)

        def rejected_sheet_text(path):
            with zipfile.ZipFile(path) as z:
                names = [n for n in z.namelist()
                         if n.startswith("xl/worksheets/sheet")]
                shared = z.read("xl/sharedStrings.xml").decode() \
                    if "xl/sharedStrings.xml" in z.namelist() else ""
                return shared + "".join(z.read(n).decode() for n in names)
        one = rejected_sheet_text(t.p("out1", "audit_%s.xlsx" % A1))
        two = rejected_sheet_text(t.p("out2", "audit_%s.xlsx" % A2))
        eq("closeouts_2.csv" in two, True, "night 2's audit lists its file")
        eq("closeouts_2.csv" in one, False, "night 1's does not")
        eq("dispatches_1.csv" in one, True, "night 1's audit lists its file")


if __name__ == "__main__":
    main(globals())
