#!/usr/bin/python3
"""office.py -- slow check (not in the normal suite): LibreOffice reads the
workbooks (issue 4, "Verification with real readers").

The fixture night of tests/e2e/xlsx_helpers.py is reported as of 2026-03-12;
then LibreOffice headless (Debian's libreoffice-calc-nogui):
  * converts each workbook to PDF: it must open (no repair, a PDF with
    pages), and the Summary charts must be drawn with values LibreOffice
    computed from the cells (constant_memory charts carry no cached
    values): chart title, category labels and bar labels in the PDF text;
    page 1 of each PDF is rendered to PNG (pdftoppm) for a person to look
    at, in the folder printed at the end (or $OFFICE_OUT);
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
from xlsx_helpers import (AS_OF, ESCAPE_LIKE, FORMULA_LIKE,  # noqa: E402
                          build_night, eq, main, report, test,
                          workbook_paths)

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
    out = os.path.join(tmp, "out")
    report(db, out, "--from", "2026-03-01")
    keep = os.environ.get("OFFICE_OUT") or tempfile.mkdtemp(
        prefix="svcrecon-office-")
    profile = os.path.join(tmp, "lo-profile")
    ctx = {"paths": workbook_paths(out), "pdf": {}, "text": {}, "csv": {},
           "png": {}, "keep": keep, "stderr": {}}
    for key, path in ctx["paths"].items():
        p = convert(path, "pdf", keep, profile)
        ctx["stderr"][key] = p.stderr.decode("utf-8", "replace")
        pdf = os.path.join(keep, os.path.basename(path)[:-5] + ".pdf")
        ctx["pdf"][key] = pdf
        if os.path.exists(pdf):
            ctx["text"][key] = subprocess.run(
                ["pdftotext", "-layout", pdf, "-"], stdout=subprocess.PIPE
            ).stdout.decode("utf-8", "replace")
            png = pdf[:-4]
            subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l",
                            "1", pdf, png], check=False)
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
    # bar labels: values LibreOffice computed (5 calls in 0-7)
    start = t.index("Unclosed calls by aging bucket")
    chart = t[start:t.index("Days open", start)]
    if not re.search(r"\b5\b", chart):
        raise AssertionError("no bar label 5 in the chart: %r" % chart)


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
       ["Registration exceptions", "Rejected rows", "Run"], "audit sheets")


@test
def test_text_verbatim_in_libreoffice(c):
    rows = c["csv"][("unclosed_calls", "Unclosed calls")]
    cust = {r[0]: r[7] for r in rows[1:]}
    eq(cust["X1"], FORMULA_LIKE[0], "X1")
    eq(cust["X2"], FORMULA_LIKE[1], "X2")
    eq(cust["X4"], FORMULA_LIKE[3], "X4")
    eq(cust["X5"], ESCAPE_LIKE, "X5 escape-like text")
    eq(cust["X6"], "ctrl\x01char\ttab", "X6 control character")
    eq(cust["X7"], "line one\nline two", "X7 line break")
    eq(rows[1][1][:10], "2026-01-02", "a date shown as a date")
    nc = c["csv"][("non_compensable", "Non-compensable")]
    serials = [r[2] for r in nc[1:]]
    if FORMULA_LIKE[2] not in serials:
        raise AssertionError("%r not among %r" % (FORMULA_LIKE[2], serials))


@test
def test_big_raw_record_cut_in_libreoffice(c):
    rows = c["csv"][("audit", "Rejected rows")]
    raw = [r[3] for r in rows[1:] if r[1] == "13"][0]
    if not (len(raw) <= 32767 and raw.endswith("is in the database]")):
        raise AssertionError("raw record: %d chars, ends %r" % (len(raw),
                                                                raw[-60:]))


def report_pngs(ctx):
    print("PNG renderings (page 1 of each PDF) in %s:" % ctx["keep"])
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
