#!/usr/bin/python3
"""office.py -- slow check (not in the normal suite): LibreOffice reads the
workbooks (issue 4, "Verification with real readers").

The fixture night of tests/e2e/xlsx_helpers.py is reported as of 2026-03-12;
then LibreOffice headless (Debian's libreoffice-calc-nogui):
  * converts each workbook to PDF: it must open (no repair, a PDF with
    pages), and the Summary charts must be drawn with values LibreOffice
    computed from the cells (constant_memory charts carry no cached
    values): chart title, category labels and bar labels in the PDF text;
    every page of each PDF is rendered to PNG (pdftoppm) for a person to
    look at, in the folder printed at the end (or $OFFICE_OUT), and so is a
    dealer statement (--statements);
  * reads the PDF text (pdftotext -layout) for the reading aids of SPEC §4
    (issue 14): the cell holding a line break prints whole, each line on
    a line of its own (its row is tall enough: nothing overprinted), the
    page header and footer (title, as-of date, page N of M), the Run
    sheet's file table whole on pages one wide, thousands separators;
  * converts every sheet to CSV (UTF-8): feed text comes back verbatim as
    LibreOffice reads it -- formula-like values, _x0041_-like text, the
    control character U+0001 (decoded from libxlsxwriter's _x0001_), CR LF
    as LF -- and dates as dates.
Usage: SVCRECON=./svcrecon /usr/bin/python3 tests/slow/office.py
Last line: "N passed, N failed".
"""
import csv
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from xlsx_helpers import (AS_OF, DIS_HDR, ESCAPE_LIKE,  # noqa: E402
                          FORMULA_LIKE, build_night, eq, main, report, run,
                          test, workbook_paths, write_csv)

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def convert(src, fmt, outdir, profile):
    """LibreOffice headless conversion with a private profile; returns the
    CompletedProcess."""
    return subprocess.run(
        [SOFFICE, "-env:UserInstallation=file://" + profile, "--headless",
         "--convert-to", fmt, "--outdir", outdir, src],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)


def setup(tmp):
    if not SOFFICE:
        raise RuntimeError("libreoffice not installed (libreoffice-calc-"
                           "nogui)")
    db = build_night(tmp)
    # A call listed right after X7 (the fixture's newest), so that a row
    # too short for X7's two lines would print them over this one; its
    # customer is the two-line name of issue 14.
    extra = os.path.join(tmp, "feeds", "dispatches_2.csv")
    write_csv(extra, DIS_HDR, [["X0", "2026-03-12 09:00", "iPF8400S", "SN-1",
                                "D1", "Northwestern Medicine\nFacilities "
                                "Planning", "60611", "P", "OPEN"]])
    run("import", "--db", db, "--kind", "dispatches", "--quiet", extra,
        check=0)
    out = os.path.join(tmp, "out")
    report(db, out, "--from", "2026-03-01", "--statements")
    keep = os.environ.get("OFFICE_OUT") or tempfile.mkdtemp(
        prefix="svcrecon-office-")
    profile = os.path.join(tmp, "lo-profile")
    ctx = {"paths": workbook_paths(out), "pdf": {}, "text": {}, "csv": {},
           "png": {}, "keep": keep, "stderr": {}, "db": db}
    books = dict(ctx["paths"])
    books["statement"] = os.path.join(out, "statements_" + AS_OF, "D1.xlsx")
    for key, path in books.items():
        p = convert(path, "pdf", keep, profile)
        ctx["stderr"][key] = p.stderr.decode("utf-8", "replace")
        pdf = os.path.join(keep, os.path.basename(path)[:-5] + ".pdf")
        ctx["pdf"][key] = pdf
        if os.path.exists(pdf):
            ctx["text"][key] = subprocess.run(
                ["pdftotext", "-layout", pdf, "-"], stdout=subprocess.PIPE
            ).stdout.decode("utf-8", "replace")
            png = pdf[:-4]
            subprocess.run(["pdftoppm", "-r", "60", "-png", pdf, png],
                           check=False)
            ctx["png"][key] = sorted(glob.glob(png + "*.png"))
        csvdir = os.path.join(tmp, "csv-" + key)
        os.makedirs(csvdir)
        # 76 = UTF-8; the last token -1 exports every sheet (LibreOffice 7.2+)
        convert(path, "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,"
                "true,false,false,false,-1", csvdir, profile)
        for f in glob.glob(os.path.join(csvdir, "*.csv")):
            sheet = os.path.basename(f)[len(os.path.basename(path)) - 4:-4]
            with open(f, newline="", encoding="utf-8") as fh:
                ctx["csv"][(key, sheet)] = list(csv.reader(fh))
    return ctx


@test
def test_every_workbook_opens_as_pdf(c):
    for key, pdf in c["pdf"].items():
        if not os.path.exists(pdf) or os.path.getsize(pdf) < 1000:
            raise AssertionError("%s: no PDF (%s)" % (key, c["stderr"][key]))
        if "rror" in c["stderr"][key]:
            raise AssertionError("%s: %s" % (key, c["stderr"][key]))


@test
def test_unclosed_chart_drawn_from_cells(c):
    t = c["text"]["unclosed_calls"]
    for s in ("Unclosed calls by aging bucket", "Days open"):
        if s not in t:
            raise AssertionError("%r not in the PDF" % s)
    if not re.search(r"0-7\s+8-14\s+15-30\s+31-60\s+61-90\s+91\+", t):
        raise AssertionError("bucket labels not on the chart axis")
    # bar labels: values LibreOffice computed (6 calls in 0-7)
    start = t.index("Unclosed calls by aging bucket")
    chart = t[start:t.index("Days open", start)]
    if not re.search(r"\b6\b", chart):
        raise AssertionError("no bar label 6 in the chart: %r" % chart)


@test
def test_trend_chart_labelled_with_the_reports_dates(c):
    """The trend chart (SPEC §4 "Trend") of reports as of 2025-12-31 and
    2026-01-18: LibreOffice labels its bars with those dates (fix79). On
    the real dates of column A, libxlsxwriter's auto category axis was a
    date axis of LibreOffice's own scale: "2025-01-01", "2026-01-01"."""
    tmp = tempfile.mkdtemp(prefix="svcrecon-office-trend-")
    feeds = os.path.join(tmp, "dispatches.csv")
    write_csv(feeds, DIS_HDR, [["T1", "2025-11-20 10:00", "iPF8400S", "S1",
                                "P1", "c", "1", "P", "OPEN"]])
    db = os.path.join(tmp, "trend.db")
    run("import", "--db", db, "--kind", "dispatches", "--quiet", feeds,
        check=0)
    out = os.path.join(tmp, "out")
    for day in ("2025-12-31", "2026-01-18"):
        run("report", "--db", db, "--out", out, "--as-of", day, "--quiet",
            check=0)
    book = os.path.join(out, "unclosed_calls_2026-01-18.xlsx")
    convert(book, "pdf", c["keep"], os.path.join(tmp, "lo-profile"))
    pdf = os.path.join(c["keep"], "unclosed_calls_2026-01-18.pdf")
    t = subprocess.run(["pdftotext", "-layout", pdf, "-"],
                       stdout=subprocess.PIPE).stdout.decode("utf-8")
    title = "Unclosed calls by aging bucket, report by report"
    if title not in t:
        raise AssertionError("no trend chart in the PDF")
    chart = t[t.index(title):]
    chart = chart[:chart.index("As of")]        # the axis' title
    if not re.search(r"2025-12-31\s+2026-01-18", chart):
        raise AssertionError("trend chart's labels: %r" % chart)
    shutil.rmtree(tmp, ignore_errors=True)


@test
def test_noncomp_chart_drawn_from_cells(c):
    t = c["text"]["non_compensable"]
    title = "Non-compensable closeouts by primary reason"
    if title not in t:
        raise AssertionError("chart title not in the PDF")
    chart = t[t.index(title):]
    for code in ("NO_DISPATCH", "PROVIDER_MISMATCH", "INCOMPLETE_SECTION2"):
        if code not in chart:
            raise AssertionError("%s not on the chart" % code)


@test
def test_sheets_exported(c):
    eq(sorted(s for k, s in c["csv"] if k == "audit"),
       ["About", "Registration exceptions", "Rejected rows", "Run"],
       "audit sheets")
    eq(sorted(s for k, s in c["csv"] if k == "statement"),
       ["About", "Non-compensable", "Registration exceptions", "Summary",
        "Unclosed calls"], "statement sheets")


@test
def test_text_verbatim_in_libreoffice(c):
    rows = c["csv"][("unclosed_calls", "Unclosed calls")]
    cust = {r[0]: r[8] for r in rows[1:]}
    eq(cust["X1"], FORMULA_LIKE[0], "X1")
    eq(cust["X2"], FORMULA_LIKE[1], "X2")
    eq(cust["X4"], FORMULA_LIKE[3], "X4")
    eq(cust["X5"], ESCAPE_LIKE, "X5 escape-like text")
    eq(cust["X6"], "ctrl\x01char\ttab", "X6 control character")
    eq(cust["X7"], "line one\nline two", "X7 line break")
    eq(rows[1][1][:10], "2026-01-02", "a date shown as a date")
    nc = c["csv"][("non_compensable", "Non-compensable")]
    serials = [r[3] for r in nc[1:]]
    if FORMULA_LIKE[2] not in serials:
        raise AssertionError("%r not among %r" % (FORMULA_LIKE[2], serials))


@test
def test_big_raw_record_cut_in_libreoffice(c):
    rows = c["csv"][("audit", "Rejected rows")]
    raw = [r[3] for r in rows[1:] if r[1] == "13"][0]
    if not (len(raw) <= 32767 and raw.endswith("is in the database]")):
        raise AssertionError("raw record: %d chars, ends %r" % (len(raw),
                                                                raw[-60:]))


@test
def test_wrapped_cell_prints_whole_line_by_line(c):
    # X7's customer is "line one" LF "line two": wrapped, in a row two
    # lines tall. Printed, each line stands on a line of its own, whole,
    # the first on its row's line (with X7), and the next row (X0) below
    # both: nothing of a neighbouring row runs into it.
    lines = c["text"]["unclosed_calls"].splitlines()
    one = [i for i, t in enumerate(lines) if "line one" in t]
    if len(one) != 1:
        raise AssertionError("'line one' printed %d times" % len(one))
    i = one[0]
    if "line two" in lines[i]:
        raise AssertionError("both lines on one: %r" % lines[i])
    near = [t for t in lines[i + 1:i + 3] if "line two" in t]
    if not near:
        raise AssertionError("'line two' not below 'line one': %r" %
                             lines[i - 1:i + 3])
    if not re.search(r"\bX7\b", lines[i]):
        raise AssertionError("'line one' not on X7's line: %r" % lines[i])
    j = lines.index(near[0], i)
    if any(re.search(r"\bX0\b", t) for t in lines[i:j + 1]):
        raise AssertionError("the next row prints over X7's lines: %r" %
                             lines[i:j + 1])
    if not any(re.search(r"\bX0\b", t) for t in lines[j + 1:j + 3]):
        raise AssertionError("X0 not right below X7: %r" % lines[i:j + 3])
    nw = [k for k, t in enumerate(lines) if "Northwestern Medicine" in t]
    if len(nw) != 1 or "Facilities Planning" not in lines[nw[0] + 1] or \
            "Facilities" in lines[nw[0]]:
        raise AssertionError("issue 14's customer: %r" % (
            lines[nw[0]:nw[0] + 2] if nw else None))
    col = lines[i].index("line one")
    if near[0].find("line two") != col:
        raise AssertionError("the two lines do not align: %r / %r" % (
            lines[i], near[0]))
    if re.search(r"\S(line one|line two)|(line one|line two)\S",
                 lines[i] + "\n" + near[0]):
        raise AssertionError("a neighbour runs into the cell: %r / %r" % (
            lines[i], near[0]))


@test
def test_page_header_and_footer_printed(c):
    for key in ("unclosed_calls", "non_compensable", "audit", "statement"):
        t = c["text"][key]
        n_pages = t.count("\f") + (0 if t.endswith("\f") else 1)
        for s in ("As of %s" % AS_OF, "Page 1 of "):
            if s not in t:
                raise AssertionError("%s: %r not printed" % (key, s))
        if key != "statement" and "Page %d of %d" % (n_pages, n_pages) \
                not in t:
            raise AssertionError("%s: last page not numbered %d of %d" % (
                key, n_pages, n_pages))
    if "Statement for D1" not in c["text"]["statement"]:
        raise AssertionError("statement header does not name the dealer")


@test
def test_run_sheet_whole_and_one_page_wide(c):
    import sqlite3
    t = c["text"]["audit"]
    con = sqlite3.connect(c["db"])
    for name, sha in con.execute("SELECT name, sha256 FROM imported_file"):
        if sha not in t.replace(" ", ""):
            raise AssertionError("SHA-256 of %s not printed whole" % name)
    con.close()
    # The Run sheet is the first of the PDF: every one of its pages is one
    # page wide, so its columns never continue on a later page: the
    # header row of the file table is printed whole on one line.
    first = t.split("\f")[0]
    if not re.search(r"File\s+Kind\s+SHA-256\s+Rows read\s+Loaded\s+"
                     r"Rejected\s+Status\s+Reason", first):
        raise AssertionError("Run file table header not on one line")


@test
def test_about_printed(c):
    for key in ("unclosed_calls", "non_compensable", "audit", "statement"):
        t = c["text"][key]
        if "About this workbook" not in t or "svcrecon explain" not in t:
            raise AssertionError("%s: About sheet not printed" % key)


def report_pngs(ctx):
    print("PNG renderings (every page of each PDF) in %s:" % ctx["keep"])
    for key, pngs in sorted(ctx["png"].items()):
        for p in pngs:
            print("  " + p)


if __name__ == "__main__":
    _main = main

    def setup_and_say(tmp):
        ctx = setup(tmp)
        report_pngs(ctx)
        return ctx
    _main(setup_and_say)
