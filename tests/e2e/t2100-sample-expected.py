#!/usr/bin/python3
"""t2100 -- the shipped sample night against sample-data/expected.md, which
was worked out by hand from the SPEC (not from the program's output): the
unclosed calls in order with days open, bucket, provider and attempts; every
non-compensable closeout with all its reasons in precedence order; every
registration exception; every rejected row. Read back from the workbooks
with openpyxl, so the rules, the listings and the writer are checked
together."""
import atexit
import os
import re
import sys

import openpyxl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import ROOT, Tmp, eq, main, svc  # noqa: E402

EXPECTED = os.path.join(ROOT, "sample-data", "expected.md")
SHORT = {"reg-11": "registrations_2026-03-11.csv", "reg-12": "registrations_2026-03-12.csv",
         "dsp-11": "dispatches_2026-03-11.csv", "dsp-12": "dispatches_2026-03-12.csv",
         "clo-11": "closeouts_2026-03-11.csv", "clo-12": "closeouts_2026-03-12.csv"}


def tables_after(heading):
    """Rows (lists of cells) of the first markdown table after heading."""
    lines = open(EXPECTED, encoding="utf-8").read().splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith(heading))
    rows = []
    for l in lines[start + 1:]:
        if l.startswith("|"):
            cells = [c.strip() for c in l.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                rows.append(cells)
        elif rows:
            break
    return rows[0], rows[1:]


def source(short):
    f, line = short.split(":")
    return SHORT[f], int(line)


def blank(v):
    return "" if v in ("(blank)",) else v


def listing(path, sheet):
    ws = openpyxl.load_workbook(path, read_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    return [dict(zip(header, r)) for r in rows[1:]]


def night():
    t = Tmp()
    atexit.register(t.__exit__, None, None, None)
    r = svc("run", "--db", t.p("svc.db"), "--inbox", os.path.join(ROOT, "sample-data", "inbox"),
            "--out", t.p("out"), "--as-of", "2026-03-12")
    eq(r.code, 0, r)
    return t


T = None


def out(name):
    global T
    if T is None:
        T = night()
    return T.p("out", name)


def test_unclosed_calls_as_worked_out_by_hand():
    hdr, rows = tables_after("### Unclosed calls sheet")
    want = []
    for cells in rows:
        c = dict(zip(hdr, cells))
        f, line = source(c["Source"])
        want.append((c["Dispatch ID"], int(c["Days open"]), c["Aging bucket"],
                     blank(c["Provider"]), int(c["Closeout attempts"]), f, line))
    got = [(r["Dispatch ID"], r["Days open"], r["Aging bucket"], r["Provider"] or "",
            r["Closeout attempts"], r["Source file"], r["Source line"])
           for r in listing(out("unclosed_calls_2026-03-12.xlsx"), "Unclosed calls")]
    eq(got, want, "unclosed calls, in order")


def test_non_compensable_reasons_as_worked_out_by_hand():
    hdr, rows = tables_after("## 4. Every closeout")
    want = {}
    for cells in rows:
        c = dict(zip(hdr, cells))
        if c["outcome"] == "accepted" or c["outcome"].startswith("takes no part"):
            continue
        codes = [x.strip() for x in c["outcome"].split(";")]
        want[source(c["closeout"])] = (c["dealer"], blank(c["dispatch"]), codes[0],
                                       ";".join(codes))
    got = {(r["Source file"], r["Source line"]): (r["Dealer"], r["Dispatch ID"] or "",
                                                  r["Reason"], r["All reasons"])
           for r in listing(out("non_compensable_2026-03-12.xlsx"), "Non-compensable")}
    eq(len(want), 17)
    eq(got, want, "non-compensable closeouts")


def test_registration_exceptions_as_worked_out_by_hand():
    hdr, rows = tables_after("## 5. Registration exceptions")
    want = sorted((c[0], c[4]) for c in rows)
    got = sorted((r["Dispatch ID"], r["Exception"])
                 for r in listing(out("audit_2026-03-12.xlsx"), "Registration exceptions"))
    eq(got, want, "registration exceptions")


def test_rejected_rows_as_worked_out_by_hand():
    hdr, rows = tables_after("## 2. Rejected rows")
    want = sorted((c[0], int(c[1])) for c in rows)
    got = sorted((r["File"], r["Line"])
                 for r in listing(out("audit_2026-03-12.xlsx"), "Rejected rows"))
    eq(got, want, "rejected rows")


main(globals())
