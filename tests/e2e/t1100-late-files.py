#!/usr/bin/python3
"""t1100 -- late files (issue 16; README "Late files"): an inbox file whose
name sorts before files of its kind imported earlier (dispatches_part1.csv,
unreadable on the first run, imported by the rerun after part2) is, as the
later import, current for its keys (SPEC §2 unchanged), and the run says
so: a warning naming the file and counting the keys whose current version
it replaced, on stderr, in the summary JSON's warnings, in the database's
file warnings and on the audit workbook's Run sheet. Files in name order
give no warning; BOM-prefixed ids are rejected rows (issue 16 too)."""
import json
import os
import sys

import openpyxl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import DSP_HDR, Tmp, check, eq, main, query, svc  # noqa: E402

AS_OF = "2026-03-12"
PART1 = ["C1,2026-03-01 09:00,m,S1,D1,,,,OPEN",
         "C2,2026-03-01 09:00,m,S2,D1,,,,OPEN",
         "C3,2026-03-01 09:00,m,S3,D1,,,,OPEN",
         "C4,2026-03-01 09:00,m,S4,D1,,,,OPEN"]
PART2 = ["C1,2026-03-01 09:00,m,S1,D1,,,,CANCELLED",
         "C2,2026-03-01 09:00,m,S2,D1,,,,CANCELLED",
         "C3,2026-03-01 09:00,m,S3,D1,,,,CANCELLED",
         "C9,2026-03-01 09:00,m,S9,D1,,,,OPEN"]
PART3 = ["C4,2026-03-01 09:00,m,S4,D1,,,,CANCELLED"]
WANT = ("late file: its name sorts before 'dispatches_part2.csv' and other "
        "files of its kind, imported earlier; as the later import it "
        "replaced the current version of 4 keys from them (SPEC §2: the "
        "later import wins; import files in name order)")


def night(t, inbox, summary):
    return svc("run", "--db", t.p("svc.db"), "--inbox", inbox, "--out",
               t.p("out"), "--as-of", AS_OF, "--summary", summary)


def run_sheet_texts(path):
    ws = openpyxl.load_workbook(path, read_only=True)["Run"]
    return [c for row in ws.iter_rows(values_only=True) for c in row
            if isinstance(c, str)]


def test_late_file_warned_everywhere():
    with Tmp() as t:
        t.csv("in/dispatches_part2.csv", DSP_HDR, PART2)
        t.csv("in/dispatches_part3.csv", DSP_HDR, PART3)
        r = night(t, t.p("in"), t.p("s1.json"))
        eq(r.code, 0, r)
        check("late file" not in r.err, r.err)
        t.csv("in/dispatches_part1.csv", DSP_HDR, PART1)
        r = night(t, t.p("in"), t.p("s2.json"))
        eq(r.code, 0, r)
        path = t.p("in", "dispatches_part1.csv")
        check("svcrecon: %s: %s\n" % (path, WANT) in r.err, r.err)
        with open(t.p("s2.json")) as f:
            eq([(w["code"], w["file"], w["message"])
                for w in json.load(f)["warnings"]],
               [("late_file", path, WANT)], "summary warnings")
        eq(query(t.p("svc.db"), "SELECT f.name, w.message FROM file_warning "
                 "AS w JOIN imported_file AS f USING (file_id)"),
           [("dispatches_part1.csv", WANT)])
        texts = run_sheet_texts(t.p("out", "audit_%s.xlsx" % AS_OF))
        check(any(WANT in s for s in texts), "not on the Run sheet: %r" % texts)
        # SPEC §2 stays the contract: part1's versions are current
        eq(query(t.p("svc.db"),
                 "SELECT d.dispatch_id, d.status FROM dispatch AS d WHERE "
                 "d.file_id = (SELECT max(file_id) FROM dispatch AS e WHERE "
                 "e.dispatch_id = d.dispatch_id) ORDER BY 1"),
           [("C1", "OPEN"), ("C2", "OPEN"), ("C3", "OPEN"), ("C4", "OPEN"),
            ("C9", "OPEN")])


def test_files_in_name_order_no_warning():
    with Tmp() as t:
        t.csv("in/dispatches_part1.csv", DSP_HDR, PART1)
        r = night(t, t.p("in"), t.p("s1.json"))
        eq(r.code, 0, r)
        t.csv("in/dispatches_part2.csv", DSP_HDR, PART2)
        t.csv("in/dispatches_part3.csv", DSP_HDR, PART3)
        r = night(t, t.p("in"), t.p("s2.json"))
        eq(r.code, 0, r)
        check("late file" not in r.err, r.err)
        eq(query(t.p("svc.db"), "SELECT count(*) FROM file_warning"), [(0,)])


def test_late_file_with_only_new_keys_counts_zero():
    with Tmp() as t:
        t.csv("in/dispatches_b.csv", DSP_HDR, PART2)
        eq(night(t, t.p("in"), t.p("s1.json")).code, 0)
        t.csv("in/dispatches_a.csv", DSP_HDR,
              ["C7,2026-03-01 09:00,m,S7,D1,,,,OPEN"])
        r = night(t, t.p("in"), t.p("s2.json"))
        eq(r.code, 0, r)
        check("its name sorts before 'dispatches_b.csv', imported earlier; "
              "as the later import it replaced the current version of 0 "
              "keys from it" in r.err, r.err)


def test_bom_inside_the_file_rejects_the_row():
    with Tmp() as t:
        f = t.write("d.csv", "\ufeff" + DSP_HDR + "\n" +
                    "C1,2026-03-01 09:00,m,S1,D1,,,,OPEN\n" +
                    "\ufeffC2,2026-03-01 09:00,m,S2,D1,,,,OPEN\n")
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f)
        eq(r.code, 0, r)
        eq(query(t.p("svc.db"), "SELECT line, reason FROM rejected_row"),
           [(3, "dispatch_id starts with a byte-order mark (U+FEFF), which "
                "may only begin a file (a file pasted into another?); "
                "remove it")])
        eq(query(t.p("svc.db"), "SELECT dispatch_id FROM dispatch"), [("C1",)])


if __name__ == "__main__":
    main(globals())
