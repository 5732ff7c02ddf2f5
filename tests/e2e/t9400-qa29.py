#!/usr/bin/python3
"""t9400 -- dates and numbers at their edges, all the way to the cell
(QA pass 29): Excel's first days (1900-01-01, the 1900-02-29 that never
was), 9999-12-31, leap days, the last second of a day, as-of dates before
1970 (day numbers below 0), the aging buckets exactly at their bounds,
labor hours that round, and the thousands separator on counts.

Defects, each seen red before its fix (tests run against the binary of
main at cb854a9):
- a report as of a date before 1970-01-01 lost the "Unclosed calls" total
  of its trend rows (the total was written only for a day number >= 0),
  and a report as of 1969-12-31 (day -1, the "no row yet" value of the
  loop) wrote its bucket counts over the trend's header row: exit 73,
  "the file written does not read back whole: part
  xl/worksheets/sheet1.xml holds 63 cells, 69 were written; the file was
  removed (is the disk full? ...)";
- counts inside a sentence went without the thousands separator the count
  cells have, and "1 days": a dealer statement said "Your oldest open
  call ... dispatched 2022-11-25, open 1203 days" (and "open 1 days"), and
  About's aging buckets "open 1000 days or more", "open 0 to 0 days" with
  `--buckets 0,999`, "open 1 days or more" with `--buckets 0`. Now "open
  1,203 days", "open 1 day", "open 1,000 days or more", "open 0 days",
  "open 1 day or more". Likewise the audit's Run sheet beside its counts
  "Files of the night 1,000 | 0 loaded, 1000 refused, 0 unreadable, 0
  skipped" and "Files imported 1,000 | 0 loaded, 1000 refused" (a
  database of a few years' nights passes 1,000 files); now "1,000
  refused" (and the cut-cells line alike).
- `explain` told labor hours 0.0000001 as "labor hours 1e-07" (and
  0.0000000000000000001 as "1e-19"): an exponent, a form the feeds may
  not use (README "Decisions": no exponent), for a value the auditor
  reads as 0.0000001 in the file. Now the plain decimal.
- a feed date with a year below 1000 (0001-01-01, 0999-12-31, 12/31/0999
  23:59) was rejected as "is not a valid date (YYYY-MM-DD or
  MM/DD/YYYY)" -- which it is -- while 1000-01-01 to 1899-12-31 said "is
  before 1900-01-01, the first date Excel can show; correct the date"
  (README "Decisions": a feed date before 1900-01-01 rejects its row so).
  Now every date before 1900 says so.
- labor hours that are plain decimals but longer than the 32 characters
  svcrecon reads (a tool's full expansion of a double,
  2.67499999999999982236431605997495353221893310546875) or with more
  than 18 digits before the point (1234567890123456789,
  -12345678901234567890) were rejected as "is not a decimal number".
  Now "has more than 32 characters; round it to a few decimal places",
  "is above 24", "is negative".

Guards (these held before this pass; each pins what SPEC §2/§4 or
README "Decisions" says):
- every date and date-time column of every listing holds a number (never
  text, never a shared string) with a date format, the serial Excel
  gives it: 1900-01-01 is 1, 1900-02-28 23:59:59 is 59.99998...,
  1900-03-01 is 61 (Excel's fictitious 1900-02-29 is 60), 2000-02-29 and
  2024-02-29 exist, 9999-12-31 is 2958465; days open count real days
  (1900-02-28 to 1900-03-01 is 1 day, not Excel's 2);
- 2100-02-29, 1900-02-29, 24:00:00, 23:59:60 are rejected rows;
  1899-12-31 says "before 1900-01-01";
- days open exactly at each bucket bound (0, 7, 8, 14, 15, 30, 31, 60,
  61, 90, 91) land in SPEC's default buckets, and in custom --buckets
  (0; one bound; 11 bounds; 100,000) in the workbook and in explain's
  text and JSON; --buckets past a limit (0,0; 7,7; 14,7; 12 bounds;
  100001; a huge number; non-numeric; a sign; blanks; a trailing comma)
  is a usage error (64) naming what is wrong, and nothing is written;
- `--as-of`/`--from` at 1900-01-01 and 9999-12-31 work; before 1900 and
  impossible dates are 64;
- labor hours: 0, -0 count as blank; 0.004, 0.005, 0.015, 2.675, +1, 24
  load as the decimal written; 1e2, 1,5, 1 000, NaN, inf, 1e308,
  -1, 24.01 are rejected with their reason; the Summary's totals are the
  decimal sums (micro-hour rounded), written #,##0.00;
- every number cell that is not a date is #,##0 (a count: Days open,
  Closeout attempts, the Summary's and Run's counts), or, for labor
  hours, #,##0.00, or, for a line number (Source line, Line: an address
  explain --source takes as shown, not a count; QA pass 50), 0: in the
  listings by their header, in the workbooks and a dealer statement.
"""
import datetime
import json
import os
import re
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, REG_HDR, Tmp, check, eq,  # noqa: E402
                     main, query, svc)
from xlsx_helpers import load  # noqa: E402

AS_OF = "2026-03-12"
EXCEL_1900 = datetime.date(1899, 12, 30)


def excel_serial(when):
    """Excel's 1900 date system, from its definition: serial 1 is
    1900-01-01, 60 the fictitious 1900-02-29, 61 1900-03-01."""
    if isinstance(when, datetime.datetime):
        d, frac = when.date(), (when - datetime.datetime.combine(
            when.date(), datetime.time())).total_seconds() / 86400
    else:
        d, frac = when, 0.0
    days = (d - EXCEL_1900).days
    if d < datetime.date(1900, 3, 1):
        days -= 1
    return days + frac


def raw_cells(path, sheet):
    """{ref: (t attribute or None, <v> text, style index)} of a sheet,
    read from its XML part."""
    wb = load(path)
    index = wb.sheetnames.index(sheet) + 1
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet%d.xml" % index).decode()
    got = {}
    for m in re.finditer(r'<c r="([A-Z]+[0-9]+)"([^>]*?)(/>|>(.*?)</c>)', xml):
        attrs, body = m.group(2), m.group(4) or ""
        t = re.search(r' t="([^"]+)"', attrs)
        v = re.search(r"<v>([^<]*)</v>", body)
        got[m.group(1)] = (t.group(1) if t else None, v.group(1) if v else None)
    return got


def col_of(ws, name):
    for c in ws[1]:
        if c.value == name:
            return c.column_letter
    raise AssertionError("no column %r in %s" % (name, ws.title))


def run_night(t, *extra, code=0):
    r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
            "--quiet", *extra)
    eq(r.code, code, r)
    return r


def report(t, as_of, *extra, out="out", code=0):
    r = svc("report", "--db", t.p("svc.db"), "--out", t.p(out), "--as-of", as_of,
            "--quiet", *extra)
    eq(r.code, code, r)
    return r


def trend_rows(path):
    """The trend table of the unclosed Summary: [(as-of, total, per bucket...)].
    The hidden column of the chart's labels (fix79: the as-of dates as
    text) is left out: it does not print."""
    ws = load(path)["Summary"]
    from openpyxl.utils import get_column_letter
    shown = [not ws.column_dimensions[get_column_letter(k + 1)].hidden
             for k in range(ws.max_column)]
    rows = [tuple(v for v, keep in zip(r, shown) if keep)
            for r in ws.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(rows)
                 if r[0] and str(r[0]).startswith("Trend:"))
    eq(rows[start + 1][:2], ("As of", "Unclosed calls"), "trend header")
    got = []
    for r in rows[start + 2:]:
        if not isinstance(r[0], datetime.datetime):
            break
        got.append(tuple(v for v in r if v is not None))
    return tuple(v for v in rows[start + 1] if v is not None), got


def test_the_trend_of_reports_before_1970_keeps_its_header_and_totals():
    """Defect (red before the fix): day numbers count from 1970-01-01 and
    the trend's loop took -1 for "no row yet" and wrote a total only for
    a day >= 0. As of 1969-12-31 (day -1) the counts went over the
    header: exit 73, "holds 63 cells, 69 were written ... is the disk
    full?"; as of 1900-03-01, 1960-06-30 and 1970-01-02 the rows of
    dates before 1970 had no total. README: dates run from 1900-01-01."""
    with Tmp() as t:
        t.csv("in/dispatches_1.csv", DSP_HDR, [
            "E1,1900-02-28 23:59:59,M,S1,A,c,1,p,OPEN",
            "E2,1900-03-01 00:00,M,S1,A,c,1,p,OPEN",
            "E3,1969-12-20 10:00,M,S1,A,c,1,p,OPEN"])
        run_night(t, "--as-of", "1900-03-01")
        for a in ("1969-12-31", "1970-01-02"):
            report(t, a)
        book = t.p("out", "unclosed_calls_1970-01-02.xlsx")
        hdr, rows = trend_rows(book)
        eq(hdr, ("As of", "Unclosed calls", "0-7", "8-14", "15-30", "31-60", "61-90", "91+"),
           "trend header")
        # as of 1900-03-01: E1 1 day open, E2 0 (real days: 1900 has no Feb 29)
        # as of 1969-12-31: E3 11 days, E1 and E2 25,507 and 25,506 days
        # as of 1970-01-02: two more days each
        eq(rows, [(datetime.datetime(1900, 3, 1), 2, 2, 0, 0, 0, 0, 0),
                  (datetime.datetime(1969, 12, 31), 3, 0, 1, 0, 0, 0, 2),
                  (datetime.datetime(1970, 1, 2), 3, 0, 1, 0, 0, 0, 2)],
           "trend rows: as-of, total, by bucket")
        hdr, rows = trend_rows(t.p("out", "unclosed_calls_1969-12-31.xlsx"))
        eq(hdr, ("As of", "Unclosed calls", "0-7", "8-14", "15-30", "31-60", "61-90", "91+"),
           "trend header as of 1969-12-31")
        eq([r[:2] for r in rows], [(datetime.datetime(1900, 3, 1), 2),
                                   (datetime.datetime(1969, 12, 31), 3)],
           "trend as of 1969-12-31")
        days = query(t.p("svc.db"), "SELECT as_of, COUNT(*) FROM report_unclosed "
                     "JOIN report_run USING (as_of_day) GROUP BY as_of ORDER BY as_of")
        eq([tuple(r) for r in days], [("1900-03-01", 2), ("1969-12-31", 3),
                                      ("1970-01-02", 3)], "recorded reports")
    with Tmp() as t:
        # The first report of a database as of 1969-12-31: its one trend
        # row is day -1 (it was taken for "no row yet").
        t.csv("in/dispatches_1.csv", DSP_HDR, ["E3,1969-12-20 10:00,M,S1,A,c,1,p,OPEN"])
        run_night(t, "--as-of", "1969-12-31")
        hdr, rows = trend_rows(t.p("out", "unclosed_calls_1969-12-31.xlsx"))
        eq((hdr, rows), (("As of", "Unclosed calls", "0-7", "8-14", "15-30", "31-60",
                          "61-90", "91+"),
                         [(datetime.datetime(1969, 12, 31), 1, 0, 1, 0, 0, 0, 0)]),
           "the first report, as of 1969-12-31")


BEFORE = " is before 1900-01-01, the first date Excel can show; correct the date"
NOT_DATE = " is not a valid date (YYYY-MM-DD or MM/DD/YYYY)"
NOT_DATETIME = " is not a valid date-time (a date, then T or a space and HH:MM[:SS])"


def test_every_date_before_1900_is_rejected_as_such_and_impossible_ones_as_invalid():
    """Defect (red before the fix) for the years below 1000: "0001-01-01 is
    not a valid date (YYYY-MM-DD or MM/DD/YYYY)". Guards for the rest:
    1899-12-31 23:59:59 is before 1900; 2100-02-29, 1900-02-29, 24:00:00,
    23:59:60 are invalid (SPEC §2: impossible dates, hours 00-23);
    1900-01-01, 2000-02-29, 2024-02-29 and 9999-12-31 23:59:59 load."""
    with Tmp() as t:
        t.csv("in/registrations_1.csv", REG_HDR, [
            "R,n,M,S0,0001-01-01,N,",                  # 2 before
            "R,n,M,S1,1900-01-01,N,0999-12-31",        # 3 before (removed_on)
            "R,n,M,S2,02/29/2000,N,9999-12-31",        # 4 loads
            "R,n,M,S3,2100-02-29,N,",                  # 5 invalid
            "R,n,M,S4,0000-02-29,N,"])                 # 6 before (year 0 is leap)
        t.csv("in/dispatches_1.csv", DSP_HDR, [
            "X1,0001-01-01 00:00,M,S1,R,c,1,p,OPEN",   # 2 before
            "X2,12/31/0999 23:59,M,S1,R,c,1,p,OPEN",   # 3 before
            "X3,1899-12-31 23:59:59,M,S1,R,c,1,p,OPEN",  # 4 before
            "X4,1900-02-29 10:00,M,S1,R,c,1,p,OPEN",   # 5 invalid
            "X5,2026-03-12 24:00:00,M,S1,R,c,1,p,OPEN",  # 6 invalid
            "X6,2026-03-12 23:59:60,M,S1,R,c,1,p,OPEN",  # 7 invalid
            "X7,2024-02-29 23:59:59,M,S1,R,c,1,p,OPEN",  # 8 loads
            "X8,1900-01-01 00:00:00,M,S1,R,c,1,p,OPEN",  # 9 loads
            "X9,9999-12-31 23:59:59,M,S1,R,c,1,p,OPEN"])  # 10 loads
        t.csv("in/closeouts_1.csv", CLO_HDR, [
            "R,0500-06-15T12:00,X8,S1,M,1900-01-01,t,1,r,",   # 2 before
            "R,1900-01-02,X8,S1,M,0001-01-01,t,1,r,",         # 3 before
            "R,1900-01-03,X8,S1,M,2100-02-29,t,1,r,"])        # 4 invalid
        run_night(t, "--as-of", AS_OF)
        got = query(t.p("svc.db"), "SELECT f.name, r.line, r.reason FROM rejected_row r "
                                   "JOIN imported_file f USING (file_id) "
                                   "ORDER BY f.file_id, r.line")
        eq([tuple(r) for r in got], [
            ("registrations_1.csv", 2, "registered_on '0001-01-01'" + BEFORE),
            ("registrations_1.csv", 3, "removed_on '0999-12-31'" + BEFORE),
            ("registrations_1.csv", 5, "registered_on '2100-02-29'" + NOT_DATE),
            ("registrations_1.csv", 6, "registered_on '0000-02-29'" + BEFORE),
            ("dispatches_1.csv", 2, "dispatched_at '0001-01-01 00:00'" + BEFORE),
            ("dispatches_1.csv", 3, "dispatched_at '12/31/0999 23:59'" + BEFORE),
            ("dispatches_1.csv", 4, "dispatched_at '1899-12-31 23:59:59'" + BEFORE),
            ("dispatches_1.csv", 5, "dispatched_at '1900-02-29 10:00'" + NOT_DATETIME),
            ("dispatches_1.csv", 6, "dispatched_at '2026-03-12 24:00:00'" + NOT_DATETIME),
            ("dispatches_1.csv", 7, "dispatched_at '2026-03-12 23:59:60'" + NOT_DATETIME),
            ("closeouts_1.csv", 2, "submitted_at '0500-06-15T12:00'" + BEFORE),
            ("closeouts_1.csv", 3, "completed_on '0001-01-01'" + BEFORE),
            ("closeouts_1.csv", 4, "completed_on '2100-02-29'" + NOT_DATE)],
           "rejected rows")
        eq([tuple(r) for r in query(t.p("svc.db"), "SELECT dispatch_id, dispatched_at "
                                    "FROM dispatch ORDER BY dispatch_id")],
           [("X7", "2024-02-29 23:59:59"), ("X8", "1900-01-01 00:00:00"),
            ("X9", "9999-12-31 23:59:59")], "the dispatches loaded, as stored")
        eq([tuple(r) for r in query(t.p("svc.db"), "SELECT serial_number, registered_on, "
                                    "removed_on FROM registration")],
           [("S2", "2000-02-29", "9999-12-31")], "the registration loaded")


D = datetime.datetime


def check_date_cells(path, sheet, column, want, fmt):
    """Column `column` of the listing `sheet`: each data row's cell is a
    number (no t= attribute: not a string, not a shared string) equal to
    Excel's serial of want[i], with a date format (fmt)."""
    wb = load(path)
    ws = wb[sheet]
    letter = col_of(ws, column)
    raw = raw_cells(path, sheet)
    got, serials = [], []
    for i in range(len(want)):
        ref = "%s%d" % (letter, i + 2)
        t, v = raw[ref]
        eq(t, None, "%s %s %s: a number, not text" % (sheet, column, ref))
        serials.append(float(v))
        got.append((ws[ref].value, ws[ref].number_format, ws[ref].is_date))
    for g, w, ref in zip(serials, want, range(2, 2 + len(want))):
        check(abs(g - excel_serial(w)) < 1e-9,
              "%s %s row %d: serial %r, Excel's for %s is %r"
              % (sheet, column, ref, g, w, excel_serial(w)))
    eq(got, [(w if isinstance(w, D) else D.combine(w, datetime.time()), fmt, True)
             for w in want], "%s %s: openpyxl's values" % (sheet, column))


def check_number_formats(paths):
    """Every number cell that is not a date: #,##0, or #,##0.00 for labor
    hours (a listing's "Labor hours" column; elsewhere either), or 0 for
    a listing's line numbers ("Source line", "Line")."""
    seen = set()
    for path in paths:
        for ws in load(path).worksheets:
            head = [c.value for c in ws[1]]
            listing = "Labor hours" in head or "Source line" in head or "Line" in head
            for row in ws.iter_rows(min_row=2):
                for c in row:
                    if c.data_type != "n" or c.value is None or c.is_date:
                        continue
                    if listing:
                        name = head[c.column - 1]
                        want = ({"#,##0.00"} if name == "Labor hours" else
                                {"0"} if name in ("Source line", "Line") else
                                {"#,##0"})
                    else:
                        want = {"#,##0", "#,##0.00"}
                    check(c.number_format in want, "%s %s %s: %r in %s" % (
                        os.path.basename(path), ws.title, c.coordinate, c.number_format, want))
                    seen.add((os.path.basename(path)[:8], ws.title, c.number_format))
    check(len(seen) >= 8, "number cells seen: %r" % sorted(seen))


def test_dates_at_excels_edges_are_numbers_with_a_date_format():
    """Guard (held before this pass): SPEC §4 "real Excel dates (never
    dates as text)". Excel's serial of each date, read from the sheet's
    XML: 1900-01-01 is 1, 1900-02-28 23:59:59 is 59 + 86399/86400,
    1900-03-01 is 61 (60 is the fictitious 1900-02-29), 9999-12-31 is
    2958465; Days open counts real days (1900-02-28 to 1900-03-01 is 1)."""
    with Tmp() as t:
        t.csv("in/registrations_1.csv", REG_HDR, [
            "R,Reg,M,SA,1900-01-01,N,",
            "R,Reg,M,SB,2000-02-29,N,9999-12-31"])
        t.csv("in/dispatches_1.csv", DSP_HDR, [
            "U1,1900-01-01 00:00:00,M,SA,R,c,1,p,OPEN",
            "U2,1900-02-28 23:59:59,M,SA,R,c,1,p,OPEN",
            "U3,03/01/1900 00:00,M,SA,R,c,1,p,OPEN",
            "U4,2000-02-29T12:00,M,SB,R,c,1,p,OPEN",
            "U5,2024-02-29 23:59:59,M,SB,R,c,1,p,OPEN",
            "U6,2026-03-12 23:59:59,M,SX,R,c,1,p,OPEN"])
        t.csv("in/closeouts_1.csv", CLO_HDR, [
            "R,1900-01-01 00:00:00,NONE,SA,M,9999-12-31,t,1,r,",
            "R,2026-03-12 23:59:59,NONE2,SA,M,1900-02-28,t,1,r,",
            "R,1900-03-01 00:00:01,NONE3,SA,M,2024-02-29,t,1,r,"])
        run_night(t, "--as-of", AS_OF, "--statements")
        out = t.p("out")
        books = [os.path.join(out, "%s_%s.xlsx" % (n, AS_OF))
                 for n in ("unclosed_calls", "non_compensable", "audit")]
        check_number_formats(books + [os.path.join(out, "statements_" + AS_OF, "R.xlsx")])
        dispatched = [D(1900, 1, 1), D(1900, 2, 28, 23, 59, 59), D(1900, 3, 1),
                      D(2000, 2, 29, 12), D(2024, 2, 29, 23, 59, 59),
                      D(2026, 3, 12, 23, 59, 59)]
        book = os.path.join(out, "unclosed_calls_%s.xlsx" % AS_OF)
        check_date_cells(book, "Unclosed calls", "Dispatched", dispatched,
                         "yyyy-mm-dd hh:mm:ss")
        ws = load(book)["Unclosed calls"]
        as_of = datetime.date(2026, 3, 12)
        eq([(r[0].value, r[2].value, r[2].number_format, r[3].value)
            for r in ws.iter_rows(min_row=2)],
           [(u, (as_of - d.date()).days, "#,##0", b) for u, d, b in
            zip(["U1", "U2", "U3", "U4", "U5", "U6"], dispatched,
                ["91+"] * 5 + ["0-7"])], "Days open and bucket")
        nc = os.path.join(out, "non_compensable_%s.xlsx" % AS_OF)
        check_date_cells(nc, "Non-compensable", "Submitted",
                         [D(1900, 1, 1), D(1900, 3, 1, 0, 0, 1), D(2026, 3, 12, 23, 59, 59)],
                         "yyyy-mm-dd hh:mm:ss")
        check_date_cells(nc, "Non-compensable", "Completed",
                         [datetime.date(9999, 12, 31), datetime.date(2024, 2, 29),
                          datetime.date(1900, 2, 28)], "yyyy-mm-dd")
        audit = os.path.join(out, "audit_%s.xlsx" % AS_OF)
        check_date_cells(audit, "Registration exceptions", "Dispatched",
                         [D(2026, 3, 12, 23, 59, 59)], "yyyy-mm-dd hh:mm:ss")
        # The as-of date on each Summary and About, at 9999-12-31 too;
        # there U1 is 2,958,463 days open (9999-12-31 - 1900-01-01).
        report(t, "9999-12-31", out="o9")
        for name in ("unclosed_calls", "non_compensable", "audit"):
            path = t.p("o9", "%s_9999-12-31.xlsx" % name)
            first = "Run" if name == "audit" else "Summary"
            ws = load(path)[first]
            row = next(r for r in ws.iter_rows(max_col=2) if r[0].value == "As of")
            raw = raw_cells(path, first)[row[1].coordinate]
            eq((raw, row[1].number_format), ((None, "2958465"), "yyyy-mm-dd"),
               "%s %s As of 9999-12-31" % (name, first))
        ws = load(t.p("o9", "unclosed_calls_9999-12-31.xlsx"))["Unclosed calls"]
        eq([r[2] for r in ws.iter_rows(min_row=2, max_row=4, values_only=True)],
           [2958463, 2958405, 2958404], "days open as of 9999-12-31")


def bucket_of(days, bounds):
    """README: --buckets 7,14,30,60,90 gives 0-7, 8-14, 15-30, 31-60,
    61-90, 91+ (each bound the last day of its bucket)."""
    lo = 0
    for hi in bounds:
        if days <= hi:
            return "%d-%d" % (lo, hi)
        lo = hi + 1
    return "%d+" % lo


def test_days_open_exactly_at_each_bucket_bound():
    """Guard (held before this pass): a call open exactly 0, 7, 8, 14, 15,
    30, 31, 60, 61, 90, 91 days (dispatched at 23:59:59 or 00:00: days
    count dates, not hours) lands in SPEC §3's bucket, with the default
    and with --buckets 0, 45, 100000 and eleven bounds, in the listing,
    the Summary's table and explain's text and JSON alike."""
    as_of = datetime.date(2026, 3, 12)
    ages = [0, 7, 8, 14, 15, 30, 31, 60, 61, 90, 91]
    with Tmp() as t:
        t.csv("in/dispatches_1.csv", DSP_HDR, [
            "B%03d,%s %s,M,S%d,R,c,1,p,OPEN"
            % (n, (as_of - datetime.timedelta(days=n)).isoformat(),
               "23:59:59" if n % 2 else "00:00", n) for n in ages])
        run_night(t, "--as-of", AS_OF)
        for k, bounds in enumerate([None, [0], [45], [100000], list(range(11))]):
            opt = [] if bounds is None else ["--buckets", ",".join(map(str, bounds))]
            bounds = bounds or [7, 14, 30, 60, 90]
            out = "b%d" % k
            report(t, AS_OF, *opt, out=out)
            want = [("B%03d" % n, n, bucket_of(n, bounds)) for n in sorted(ages, reverse=True)]
            wb = load(t.p(out, "unclosed_calls_%s.xlsx" % AS_OF))
            eq([(r[0], r[2], r[3]) for r in
                wb["Unclosed calls"].iter_rows(min_row=2, values_only=True)],
               want, "listing with %s" % opt)
            labels = [bucket_of(0, bounds)] + [bucket_of(b + 1, bounds) for b in bounds]
            table = {}
            for r in wb["Summary"].iter_rows(values_only=True):
                if r[0] in labels and isinstance(r[3], int):
                    table[r[0]] = r[3]
            eq(table, {lab: sum(1 for _, _, b in want if b == lab) for lab in labels},
               "Summary by bucket with %s" % opt)
            for d, n, b in want:
                r = svc("explain", "--db", t.p("svc.db"), "--as-of", AS_OF, *opt, d)
                eq(r.code, 0, r)
                line = [x for x in r.out.splitlines() if x.startswith("standing")]
                eq(line, ["standing as of %s: unclosed, %d %s open, aging bucket %s; "
                          "no closeout attempt" % (AS_OF, n, "day" if n == 1 else "days", b)],
                   "explain %s %s" % (d, opt))
                r = svc("explain", "--db", t.p("svc.db"), "--as-of", AS_OF, "--json", *opt, d)
                eq(r.code, 0, r)
                st = json.loads(r.out)["results"][0]["dispatch"]["standing"]
                eq((st["state"], st["days_open"], st["bucket"]), ("unclosed", n, b),
                   "explain --json %s %s" % (d, opt))


HOURS_LOADED = ["0", "-0", "0.004", "0.005", "0.015", "2.675", "+1", "1.", ".5", "24",
                "1.2345678901234567890123456789"]
HOURS_REJECTED = [("1e2", "is not a decimal number"), ("1,5", "is not a decimal number"),
                  ("1 000", "is not a decimal number"), ("NaN", "is not a decimal number"),
                  ("inf", "is not a decimal number"), ("1e308", "is not a decimal number"),
                  ("0x10", "is not a decimal number"), ("-1", "is negative"),
                  ("-0.001", "is negative"), ("24.01", "is above 24")]


def test_labor_hours_at_their_edges_from_the_feed_to_the_summary():
    """Guard (held before this pass): README "Decisions": numbers are plain
    decimals (a sign, '1.', '.5'; no exponent, no thousands separator),
    -0 is 0, 0 counts as blank (INCOMPLETE_SECTION2), negative and above
    24 reject; each loaded value reaches its cell as the decimal written
    (2.675 stays 2.675, not 2.67 or 2.68), #,##0.00; the Summary's totals
    are the decimal sum rounded to the micro-hour (SPEC §4: two
    decimals)."""
    from decimal import Decimal
    with Tmp() as t:
        rows = ["H,2026-03-%02d 10:00,NODISP%d,S,M,2026-03-01,t,\"%s\",r," % (i + 1, i, v)
                for i, v in enumerate(HOURS_LOADED + [v for v, _ in HOURS_REJECTED])]
        t.csv("in/closeouts_1.csv", CLO_HDR, rows)
        run_night(t, "--as-of", AS_OF)
        n = len(HOURS_LOADED)
        got = query(t.p("svc.db"), "SELECT r.line, r.reason FROM rejected_row r ORDER BY r.line")
        eq([tuple(r) for r in got],
           [(n + 2 + i, "labor_hours '%s' %s" % (v, why))
            for i, (v, why) in enumerate(HOURS_REJECTED)], "rejected hours")
        nc = t.p("out", "non_compensable_%s.xlsx" % AS_OF)
        ws = load(nc)["Non-compensable"]
        col = col_of(ws, "Labor hours")
        raw = raw_cells(nc, "Non-compensable")
        listed = {}
        for r in ws.iter_rows(min_row=2):
            by = {ws.cell(1, c.column).value: c for c in r}
            listed[by["Dispatch ID"].value] = (
                by["Labor hours"].number_format, raw["%s%d" % (col, r[0].row)],
                by["Reason"].value, by["Detail"].value)
        for i, v in enumerate(HOURS_LOADED):
            fmt, (t_attr, text), reason, detail = listed["NODISP%d" % i]
            eq((fmt, t_attr), ("#,##0.00", None), "hours %r: a number, two decimals" % v)
            check(abs(float(text) - float(Decimal(v))) <= 1e-15 * max(1, abs(float(Decimal(v)))),
                  "hours %r written %r" % (v, text))
            zero = Decimal(v) == 0
            eq((reason, zero and "blank: labor_hours" in detail),
               ("NO_DISPATCH", zero), "hours %r: reasons %r" % (v, detail))
        eq(listed["NODISP5"][1], (None, "2.675"), "2.675 as written")
        total = sum(Decimal(v) for v in HOURS_LOADED)
        want = float(total.quantize(Decimal("0.000001")))
        summary = load(nc)["Summary"]
        cells = {r[0].value: r for r in summary.iter_rows(max_col=3)}
        eq((cells["Labor hours"][1].value, cells["Labor hours"][1].number_format),
           (want, "#,##0.00"), "total labor hours (%s)" % total)
        eq((cells["NO_DISPATCH"][2].value, cells["NO_DISPATCH"][2].number_format),
           (want, "#,##0.00"), "NO_DISPATCH's hours")
        eq((cells["Closeouts listed"][1].value, cells["Closeouts listed"][1].number_format),
           (n, "#,##0"), "closeouts listed")


BAD_BUCKETS = [("0,0", "increasing whole days"), ("7,7", "increasing whole days"),
               ("14,7", "increasing whole days"), ("a", "increasing whole days"),
               ("7,", "increasing whole days"), (",7", "increasing whole days"),
               ("7,,14", "increasing whole days"), (" 7", "increasing whole days"),
               ("+7", "increasing whole days"), ("-1", "increasing whole days"),
               ("7.5", "increasing whole days"), ("1e2", "increasing whole days"),
               ("0,1,2,3,4,5,6,7,8,9,10,11", "at most 11 bounds"),
               ("100001", "at most 100000 days"),
               ("99999999999999999999999", "at most 100000 days")]
BAD_DATES = ["1899-12-31", "0001-01-01", "2100-02-29", "1900-02-29", "10000-01-01",
             "9999-12-32", "2026-03-12 00:00", "2026-3-12"]


def test_buckets_and_dates_past_their_limits_are_usage_errors():
    """Guard (held before this pass): README: --buckets are at most 11
    increasing whole days, each at most 100,000, and a list past a limit
    is a usage error naming it; --as-of/--from from 1900-01-01, impossible
    dates refused; --from later than --as-of is 64 (SPEC §5). Nothing is
    written, nothing recorded. 1900-01-01 and 9999-12-31 are accepted,
    and --buckets 0 (one bucket of day 0) and 100000."""
    with Tmp() as t:
        t.csv("in/dispatches_1.csv", DSP_HDR, ["X1,1900-01-01 00:00,M,S1,R,c,1,p,OPEN"])
        run_night(t, "--as-of", "1900-01-01")
        db = t.p("svc.db")
        for value, why in BAD_BUCKETS:
            for cmd in (["report", "--db", db, "--out", t.p("bad"), "--as-of", AS_OF],
                        ["run", "--db", db, "--inbox", t.p("in"), "--out", t.p("bad")],
                        ["explain", "--db", db, "--as-of", AS_OF, "X1"]):
                r = svc(*(cmd + ["--buckets", value]))
                eq(r.code, 64, "%s --buckets %r: %r" % (cmd[0], value, r))
                check("svcrecon: invalid --buckets '%s' (%s" % (value, why) in r.err,
                      "%s --buckets %r: %r" % (cmd[0], value, r.err))
                eq(r.out, "", "%s --buckets %r writes nothing on stdout" % (cmd[0], value))
        for value in BAD_DATES:
            for opt in ("--as-of", "--from"):
                r = svc("report", "--db", db, "--out", t.p("bad"), opt, value)
                eq(r.code, 64, "%s %r: %r" % (opt, value, r))
                check("svcrecon: invalid %s date '%s' (YYYY-MM-DD or MM/DD/YYYY, from "
                      "1900-01-01)" % (opt, value) in r.err, "%s %r: %r" % (opt, value, r.err))
        r = svc("report", "--db", db, "--out", t.p("bad"), "--as-of", "9999-12-30",
                "--from", "9999-12-31")
        eq(r.code, 64, r)
        check("--from 9999-12-31 is later than --as-of 9999-12-30" in r.err, r.err)
        eq(os.path.exists(t.p("bad")), False, "no output folder made by a usage error")
        eq([tuple(x) for x in query(db, "SELECT as_of FROM report_run")], [("1900-01-01",)],
           "no report recorded by a usage error")
        for a, f, b in (("1900-01-01", "1900-01-01", "0"), ("9999-12-31", "9999-12-31", "100000"),
                        ("9999-12-31", "1900-01-01", "0,1,2,3,4,5,6,7,8,9,10")):
            report(t, a, "--from", f, "--buckets", b, out="ok")
            ws = load(t.p("ok", "unclosed_calls_%s.xlsx" % a))["Unclosed calls"]
            days = (datetime.date.fromisoformat(a) - datetime.date(1900, 1, 1)).days
            eq([r[:4] for r in ws.iter_rows(min_row=2, values_only=True)],
               [("X1", D(1900, 1, 1), days, bucket_of(days, [int(x) for x in b.split(",")]))],
               "as of %s --from %s --buckets %s" % (a, f, b))


def test_the_run_sheets_file_counts_in_words_have_the_separator():
    """Defect (red before the fix): beside "Files of the night 1,000" the
    Run sheet said "0 loaded, 1000 refused, 0 unreadable, 0 skipped", and
    beside the database's "Files imported 1,000" "0 loaded, 1000
    refused". Refused files (a header without dispatched_at) are the
    cheapest way to 1,000 files; each is recorded (README: once per
    SHA-256 and kind)."""
    with Tmp() as t:
        paths = [t.write("in/dispatches_%04d.csv" % i, "dispatch_id,model\nX%d,M\n" % i)
                 for i in range(1000)]
        run_night(t, "--as-of", AS_OF, code=65)
        audit = t.p("out", "audit_%s.xlsx" % AS_OF)
        ws = load(audit)["Run"]
        said = {}
        for row in ws.iter_rows(max_col=3):
            if row[0].value in ("Files of the night", "Files imported") and \
                    isinstance(row[1].value, int):
                said[row[0].value] = (row[1].value, row[1].number_format, row[2].value)
        eq(said, {"Files of the night": (1000, "#,##0",
                                         "0 loaded, 1,000 refused, 0 unreadable, 0 skipped"),
                  "Files imported": (1000, "#,##0", "0 loaded, 1,000 refused")},
           "the Run sheet's file counts (%d files)" % len(paths))


def test_explain_tells_small_labor_hours_as_plain_decimals():
    """Defect (red before the fix): "labor hours 1e-07" for a closeout of
    0.0000001 h. Guards beside it: 2.675, 24 and +1 as written."""
    with Tmp() as t:
        t.csv("in/closeouts_1.csv", CLO_HDR, [
            "E,2026-03-01 10:00,Z,S,M,2026-03-01,t,0.0000001,r,",
            "E,2026-03-01 11:00,Z,S,M,2026-03-01,t,0.0000000000000000001,r,",
            "E,2026-03-01 12:00,Z,S,M,2026-03-01,t,2.675,r,",
            "E,2026-03-01 13:00,Z,S,M,2026-03-01,t,24,r,",
            "E,2026-03-01 14:00,Z,S,M,2026-03-01,t,+1,r,"])
        run_night(t, "--as-of", AS_OF)
        said = []
        for line in range(2, 7):
            r = svc("explain", "--db", t.p("svc.db"), "--as-of", AS_OF,
                    "--source", "closeouts_1.csv:%d" % line)
            eq(r.code, 0, r)
            said += re.findall(r"labor hours ([^,]*),", r.out)
        eq(said, ["0.0000001", "0.0000000000000000001", "2.675", "24", "1"],
           "explain's labor hours")


def test_long_labor_hours_say_what_is_wrong_with_them():
    """Defect (red before the fix): "labor_hours '2.674999...' is not a
    decimal number" for a plain decimal of 52 characters, and for a
    19-digit number that is above 24. Guards beside them: 32 characters
    still load (0.000000000000000000000000000001 is not 0), '.', '-' and
    '1.5.' are not decimal numbers."""
    full = "2.67499999999999982236431605997495353221893310546875"
    cases = [(full, "has more than 32 characters; round it to a few decimal places"),
             ("0" * 33 + "1", "has more than 32 characters; round it to a few decimal places"),
             ("1234567890123456789", "is above 24"),
             ("-12345678901234567890", "is negative"),
             ("-0.0000000000000000000000000000001", "is negative"),
             (".", "is not a decimal number"), ("-", "is not a decimal number"),
             ("1.5.", "is not a decimal number"),
             ("0.000000000000000000000000000001", None)]
    with Tmp() as t:
        t.csv("in/closeouts_1.csv", CLO_HDR, [
            "L,2026-03-01 %02d:00,Z,S,M,2026-03-01,t,%s,r," % (i, v)
            for i, (v, _) in enumerate(cases)])
        run_night(t, "--as-of", AS_OF)
        got = query(t.p("svc.db"), "SELECT line, reason FROM rejected_row ORDER BY line")
        eq([tuple(r) for r in got],
           [(i + 2, "labor_hours '%s' %s" % (v if len(v) <= 40 else v[:40] + "...", why))
            for i, (v, why) in enumerate(cases) if why], "rejected hours")
        eq([tuple(r) for r in query(t.p("svc.db"),
                                    "SELECT labor_hours > 0 FROM closeout")], [(1,)],
           "32 characters load, not as 0")


def about_buckets(path):
    """{label: meaning} of the aging buckets on a workbook's About sheet."""
    rows = list(load(path)["About"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] and str(r[0]).startswith("Aging buckets"))
    got = {}
    for r in rows[start + 2:]:
        if not r[0]:
            break
        got[r[0]] = r[1]
    return got


def test_counts_in_sentences_have_the_separator_and_one_day_is_a_day():
    """Defect (red before the fix): a statement's oldest call said "open
    1203 days" and "open 1 days"; About's buckets "open 1000 days or
    more", "open 0 to 0 days", "open 1 days or more". SPEC §4: counts
    are written with a thousands separator."""
    as_of = datetime.date(2026, 3, 12)
    old = as_of - datetime.timedelta(days=1203)
    with Tmp() as t:
        t.csv("in/dispatches_1.csv", DSP_HDR, [
            "Y1,%s 08:00,M,S1,DA,c,1,p,OPEN" % old.isoformat(),
            "Y2,2026-03-11 23:59:59,M,S2,DB,c,1,p,OPEN"])
        run_night(t, "--as-of", AS_OF, "--statements", "--buckets", "0,999")
        folder = t.p("out", "statements_" + AS_OF)
        said = {}
        for dealer in ("DA", "DB"):
            ws = load(os.path.join(folder, dealer + ".xlsx"))["Summary"]
            row = next(r for r in ws.iter_rows(values_only=True)
                       if r[0] == "Your oldest open call")
            said[dealer] = row[1:3]
        eq(said, {"DA": ("Y1", "dispatched %s, open 1,203 days" % old.isoformat()),
                  "DB": ("Y2", "dispatched 2026-03-11, open 1 day")},
           "the statements' oldest open call")
        want = {"0-0": "open 0 days", "1-999": "open 1 to 999 days",
                "1000+": "open 1,000 days or more"}
        eq(about_buckets(t.p("out", "unclosed_calls_%s.xlsx" % AS_OF)), want,
           "About's aging buckets, --buckets 0,999")
        eq(about_buckets(os.path.join(folder, "DA.xlsx")), want,
           "a statement's About, --buckets 0,999")
        report(t, AS_OF, "--buckets", "0", out="o2")
        eq(about_buckets(t.p("o2", "unclosed_calls_%s.xlsx" % AS_OF)),
           {"0-0": "open 0 days", "1+": "open 1 day or more"},
           "About's aging buckets, --buckets 0")
        report(t, AS_OF, out="o3")
        eq(about_buckets(t.p("o3", "unclosed_calls_%s.xlsx" % AS_OF)),
           {"0-7": "open 0 to 7 days", "8-14": "open 8 to 14 days",
            "15-30": "open 15 to 30 days", "31-60": "open 31 to 60 days",
            "61-90": "open 61 to 90 days", "91+": "open 91 days or more"},
           "About's default aging buckets (as they were)")


if __name__ == "__main__":
    main(globals())
