#!/usr/bin/python3
"""t8200 -- data shaped unlike the sample (QA pass 18): pathological shapes
and scale, each case a defect seen red before its fix:

- a serial registered by thousands of dealers: every registration
  exception of each of its dispatches (NOT_PROVIDER_OF_RECORD,
  OVERLAPPING_REGISTRATION, WMP_SELECTED, MODEL_MISMATCH) listed every
  dealer or model in its Detail, built by a recursive CTE that copies the
  text so far at each step: O(k^2) bytes per dispatch for k dealers, so a
  serial with 1,000 registrations and 1,000 dispatches took 53 s to load
  the dispatches and 5,000 of each did not finish in 10 minutes, for a
  Detail a cell (32,767 characters) could not hold anyway. Now a list
  names its first 50 items (sorted) and then "and N more (T in all)"
  (schemas/upkeep/upkeep.sql and the reference x060 alike)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import DSP_HDR, REG_HDR, Tmp, check, eq, main, svc  # noqa: E402

AS_OF = "2026-03-12"


def sheet_rows(path, name):
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in wb[name].iter_rows(values_only=True)]
    wb.close()
    return rows


def test_a_serial_registered_by_many_dealers_names_fifty_and_counts_the_rest():
    n = 60
    with Tmp() as t:
        regs = t.csv("registrations_1.csv", REG_HDR,
                     ["R%03d,Name %d,iPF8400,SER-1,2020-01-%02d,%s,"
                      % (i, i, 1 + i % 28, "Y" if i < 55 else "N") for i in range(n)])
        dsps = t.csv("dispatches_1.csv", DSP_HDR,
                     ["Q1,2026-03-01 09:00,iPF9999,SER1,NOBODY,c,1,P,OPEN",
                      "Q2,2026-03-01 09:00,iPF8400,SER1,R007,c,1,P,OPEN"])
        for kind, f in (("registrations", regs), ("dispatches", dsps)):
            r = svc("import", "--db", t.p("svc.db"), "--kind", kind, f, "--quiet")
            eq(r.code, 0, r)
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("out"), "--as-of", AS_OF,
                "--quiet")
        eq(r.code, 0, r)
        rows = sheet_rows(t.p("out", "audit_%s.xlsx" % AS_OF), "Registration exceptions")
        head = rows[0]
        details = {(row[head.index("Dispatch ID")], row[head.index("Exception")]):
                   row[head.index("Detail")] for row in rows[1:]}
        eq(sorted(details), [("Q1", "MODEL_MISMATCH"), ("Q1", "NOT_PROVIDER_OF_RECORD"),
                             ("Q1", "OVERLAPPING_REGISTRATION"), ("Q1", "WMP_SELECTED"),
                             ("Q2", "OVERLAPPING_REGISTRATION"), ("Q2", "WMP_SELECTED")])
        first50 = ", ".join("'R%03d'" % i for i in range(50))
        eq(details[("Q1", "NOT_PROVIDER_OF_RECORD")],
           "provider 'NOBODY' not among registered dealers %s and 10 more (60 in all)"
           % first50)
        eq(details[("Q2", "OVERLAPPING_REGISTRATION")],
           "dealers %s and 10 more (60 in all) all registered on 2026-03-01" % first50)
        eq(details[("Q2", "WMP_SELECTED")],
           "WMP selected by registered dealers %s and 5 more (55 in all)" % first50)
        # A short list is still named in full, with no count.
        eq(details[("Q1", "MODEL_MISMATCH")],
           "model 'iPF9999' not among registered models 'iPF8400'")


main(globals())
