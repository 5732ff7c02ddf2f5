#!/usr/bin/python3
"""t3000-workbooks.py -- SPEC §4: the three workbooks as a reader sees them.

One tiny night (xlsx_helpers.build_night) is imported and reported as of
2026-03-12; the workbooks are read back with openpyxl and checked for
sheets and their order, exact headers, row counts equal to the database's
(the rule SQL run on a separate connection), frozen header, autofilter,
typed cells, no formula anywhere, source file and line on every row, the
Summary totals and charts, the Run sheet, and fixed document properties.
Last line: "N passed, N failed".
"""
import datetime
import os
import re
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402  (svctest.connect: SQLite or PostgreSQL)
from xlsx_helpers import (AS_OF, BUCKETS, DIS_HDR, NONCOMP_HEADERS,  # noqa
                          REASONS, REG_HDR, REGEXC_HEADERS, REJECTED_HEADERS, RUN_FILE_HEADERS,
                          UNCLOSED_HEADERS, build_night, col_letter,
                          db_counts, eq, header, listing, load, main, report,
                          rules_connection, run, sheet_xml, test,
                          workbook_paths, write_csv)

AS_OF_DT = datetime.datetime(2026, 3, 12)


def setup(tmp):
    db = build_night(tmp)
    out = os.path.join(tmp, "out")
    p = report(db, out)
    paths = workbook_paths(out)
    return {"tmp": tmp, "db": db, "out": out, "paths": paths,
            "stderr": p.stderr,
            "counts": db_counts(db),
            "wb": {k: load(v) for k, v in paths.items()}}


@test
def test_files_and_sheet_order(c):
    eq(sorted(f for f in os.listdir(c["out"])),
       sorted(os.path.basename(p) for p in c["paths"].values()),
       "files in the output folder (no temporary left)")
    eq(c["wb"]["unclosed_calls"].sheetnames,
       ["Summary", "Unclosed calls", "Changes", "About"], "unclosed sheets")
    eq(c["wb"]["non_compensable"].sheetnames,
       ["Summary", "Non-compensable", "About"], "non-compensable sheets")
    eq(c["wb"]["audit"].sheetnames,
       ["Run", "Rejected rows", "Registration exceptions", "About"],
       "audit sheets")


def listings(c):
    """(workbook key, sheet, required headers, count key)."""
    return [("unclosed_calls", "Unclosed calls", UNCLOSED_HEADERS,
             "unclosed"),
            ("non_compensable", "Non-compensable", NONCOMP_HEADERS,
             "noncomp"),
            ("audit", "Rejected rows", REJECTED_HEADERS, "rejected"),
            ("audit", "Registration exceptions", REGEXC_HEADERS, "regexc")]


@test
def test_headers_exact_and_in_order(c):
    for book, sheet, want, _ in listings(c):
        got = header(c["wb"][book][sheet])
        eq(got[:len(want)], want, sheet + " headers")


@test
def test_row_counts_match_database(c):
    want = {"unclosed": 7, "noncomp": 4, "rejected": 4, "regexc": 2}
    eq(c["counts"], want, "database counts of the fixture")
    for book, sheet, _, key in listings(c):
        ws = c["wb"][book][sheet]
        eq(ws.max_row - 1, c["counts"][key], sheet + " data rows")
        eq(len(listing(ws)), c["counts"][key], sheet + " listed rows")


@test
def test_frozen_header_and_autofilter(c):
    for book, sheet, _, key in listings(c):
        ws = c["wb"][book][sheet]
        eq(ws.freeze_panes, "A2", sheet + " frozen panes")
        last = col_letter(len(header(ws)))
        eq(ws.auto_filter.ref, "A1:%s%d" % (last, c["counts"][key] + 1),
           sheet + " autofilter")


@test
def test_column_widths_fit_headers(c):
    for book, sheet, _, _ in listings(c):
        ws = c["wb"][book][sheet]
        for i, name in enumerate(header(ws), 1):
            dim = ws.column_dimensions[col_letter(i)]
            if not dim.width or dim.width < len(name):
                raise AssertionError("%s column %r width %r" % (
                    sheet, name, dim.width))


@test
def test_no_formula_anywhere(c):
    for key, path in c["paths"].items():
        for name, xml in sheet_xml(path).items():
            if re.search(rb"<f[ >]", xml):
                raise AssertionError("%s %s holds a formula" % (key, name))
        for ws in c["wb"][key]:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        raise AssertionError("%s!%s is a formula" % (
                            ws.title, cell.coordinate))


def typed(ws, col, kind, allow_blank=False):
    for row in ws.iter_rows(min_row=2, min_col=col, max_col=col):
        cell = row[0]
        if cell.value is None and allow_blank:
            continue
        where = "%s!%s" % (ws.title, cell.coordinate)
        if kind == "date":
            if not (cell.is_date and isinstance(cell.value,
                                                datetime.datetime)):
                raise AssertionError("%s is not a date: %r" % (where,
                                                               cell.value))
        elif kind == "int":
            if type(cell.value) is not int:
                raise AssertionError("%s is not an int: %r" % (where,
                                                               cell.value))
        elif kind == "number":
            if type(cell.value) not in (int, float) or cell.is_date:
                raise AssertionError("%s is not a number: %r" % (where,
                                                                 cell.value))
        elif kind == "text":
            if cell.data_type != "s" or cell.number_format != "@":
                raise AssertionError("%s is not a text cell: %r %r %r" % (
                    where, cell.value, cell.data_type, cell.number_format))


@test
def test_cell_types(c):
    ws = c["wb"]["unclosed_calls"]["Unclosed calls"]
    typed(ws, 1, "text")
    typed(ws, 2, "date")
    typed(ws, 3, "int")
    typed(ws, 9, "text")
    typed(ws, 10, "int")
    typed(ws, 12, "int")
    ws = c["wb"]["non_compensable"]["Non-compensable"]
    typed(ws, 5, "date")
    typed(ws, 6, "date", allow_blank=True)
    typed(ws, 7, "number", allow_blank=True)
    typed(ws, 8, "text")
    typed(ws, 12, "int")
    ws = c["wb"]["audit"]["Rejected rows"]
    typed(ws, 2, "int")
    ws = c["wb"]["audit"]["Registration exceptions"]
    typed(ws, 2, "date")
    eq(ws["B2"].number_format, "yyyy-mm-dd hh:mm:ss", "date-time format")
    eq(c["wb"]["non_compensable"]["Non-compensable"]["F2"].number_format,
       "yyyy-mm-dd", "date format")


@test
def test_dates_and_blanks_exact(c):
    rows = {r[0]: r for r in listing(c["wb"]["unclosed_calls"]
                                     ["Unclosed calls"])}
    eq(rows["X2"][1], datetime.datetime(2026, 2, 1, 9, 30, 15),
       "X2 dispatched (seconds kept)")
    eq(rows["X2"][2], 39, "X2 days open")
    eq(rows["X2"][3], "31-60", "X2 bucket")
    eq(rows["X1"][9], 1, "X1 closeout attempts")
    eq(rows["X4"][4], None, "X4 blank provider is a blank cell")
    nc = {r[11]: r for r in listing(c["wb"]["non_compensable"]
                                    ["Non-compensable"])}
    eq(nc[6][6], None, "blank labor hours (SQL NULL) is a blank cell")
    eq(nc[6][5], None, "blank completed_on is a blank cell")
    eq(nc[5][6], 1.25, "labor hours as a number")


@test
def test_listing_order_matches_database(c):
    con = rules_connection(c["db"])
    want = [r[0] for r in con.execute(
        "SELECT dispatch_id FROM unclosed_call "
        "ORDER BY dispatched_at, dispatch_id")]
    got = [r[0] for r in listing(c["wb"]["unclosed_calls"]
                                 ["Unclosed calls"])]
    eq(got, want, "unclosed order (oldest first)")
    want = [(r[0], r[1]) for r in con.execute(
        "SELECT file_name, line FROM noncompensable "
        "ORDER BY submitted_at, dealer_id, dispatch_id, file_id, line")]
    got = [(r[10], r[11]) for r in listing(c["wb"]["non_compensable"]
                                          ["Non-compensable"])]
    eq(got, want, "non-compensable order")
    got = [(r[0], r[1]) for r in listing(c["wb"]["audit"]["Rejected rows"])]
    eq(got, [("registrations_1.csv", 5), ("dispatches_1.csv", 13),
             ("dispatches_1.csv", 14), ("closeouts_2.csv", 0)],
       "rejected rows: every file, by import order then line")
    got = [(r[0], r[5]) for r in listing(c["wb"]["audit"]
                                         ["Registration exceptions"])]
    eq(got, [("X2", "WMP_SELECTED"), ("X4", "NO_REGISTRATION")],
       "registration exceptions")


@test
def test_every_row_names_source_file_and_line(c):
    for book, sheet, hdr in [("unclosed_calls", "Unclosed calls", 12),
                             ("non_compensable", "Non-compensable", 12),
                             ("audit", "Registration exceptions", 9)]:
        ws = c["wb"][book][sheet]
        eq(header(ws)[hdr - 2:hdr], ["Source file", "Source line"],
           sheet + " source columns")
        for r in listing(ws):
            if not (isinstance(r[hdr - 2], str) and r[hdr - 2].endswith(
                    ".csv") and type(r[hdr - 1]) is int and r[hdr - 1] > 1):
                raise AssertionError("%s row without source: %r" % (sheet,
                                                                    r))


@test
def test_refused_file_is_line_zero_with_reason(c):
    r = listing(c["wb"]["audit"]["Rejected rows"])[-1]
    eq(r[:2], ["closeouts_2.csv", 0], "refused file row")
    if "dealer_id" not in r[2]:
        raise AssertionError("refusal reason missing: %r" % r[2])
    eq(r[3], None, "refused file has no raw record")


def rows_from(ws, first_cell):
    """Rows of a Summary table starting under the header whose first cell
    is first_cell, up to the first empty row (a row of the table by
    provider may have a blank column A: no provider on the dispatch)."""
    rows = list(ws.iter_rows(values_only=True))
    for i, r in enumerate(rows):
        if r[0] == first_cell:
            out = []
            for s in rows[i + 1:]:
                if all(v is None for v in s):
                    break
                out.append(s)
            return out
    raise AssertionError("%s: no table %r" % (ws.title, first_cell))


@test
def test_unclosed_summary(c):
    ws = c["wb"]["unclosed_calls"]["Summary"]
    eq(ws["A2"].value, "As of", "as-of label")
    eq(ws["B2"].value, AS_OF_DT, "as-of date")
    if not ws["B2"].is_date:
        raise AssertionError("as-of is not a date")
    rows = rows_from(ws, "Aging bucket")
    eq([r[0] for r in rows], [b[3] for b in BUCKETS] + ["Total"],
       "every bucket, then Total")
    con = rules_connection(c["db"])
    want = dict(con.execute("SELECT bucket_label, COUNT(*) FROM "
                            "unclosed_call GROUP BY bucket_label"))
    for r in rows[:-1]:
        eq(r[3], want.get(r[0], 0), "bucket %s total" % r[0])
    eq(rows[-1][3], c["counts"]["unclosed"], "total")
    prov = rows_from(ws, "Provider")
    eq(sorted((r[0] or "", r[1] or "", r[2]) for r in prov),
       sorted([("", "no provider on the dispatch", 1),
               ("D1", "Dealer One", 6)]),
       "by provider, with its name")
    eq(sum(r[2] for r in prov), c["counts"]["unclosed"], "provider sum")
    eq(ws.page_setup.orientation, "landscape", "landscape")
    # fit to one page wide (fitToWidth defaults to 1), any height
    eq(ws.sheet_properties.pageSetUpPr.fitToPage, True, "fit to page")
    eq((ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight), (1, 0),
       "one page wide")


@test
def test_blank_provider_is_no_dealer_code(c):
    """SPEC §4 "totals ... by provider" and "Dealer names": a dispatch with
    a blank provider_id is counted on a row whose Provider cell is blank,
    as the listing's is (its filter's "(Blanks)"), with "no provider on the
    dispatch" in the name column -- never a label such as "(none)", which a
    real dealer may use as its id (README "decisions")."""
    tmp = os.path.join(c["tmp"], "blank-provider")
    os.makedirs(tmp)
    f = lambda n: os.path.join(tmp, n)
    write_csv(f("reg.csv"), REG_HDR,
              [["(none)", "Real Dealer", "iPF8400S", "SN1", "2026-01-01",
                "", ""]])
    write_csv(f("dis.csv"), DIS_HDR, [
        ["K1", "2026-03-01 09:00", "iPF8400S", "SN1", "(none)", "", "", "",
         ""],
        ["K2", "2026-03-02 09:00", "iPF8400S", "SN2", "", "", "", "", ""],
        ["K3", "2026-03-03 09:00", "iPF8400S", "SN3", "", "", "", "", ""]])
    db = f("b.db")
    run("import", "--db", db, "--kind", "registrations", "--quiet",
        f("reg.csv"), check=0)
    run("import", "--db", db, "--kind", "dispatches", "--quiet",
        f("dis.csv"), check=0)
    report(db, f("out"))
    wb = load(workbook_paths(f("out"))["unclosed_calls"])
    prov = rows_from(wb["Summary"], "Provider")
    eq(sorted((r[0] or "", r[1], r[2]) for r in prov),
       [("", "no provider on the dispatch", 2), ("(none)", "Real Dealer", 1)],
       "by provider: the blank provider apart from dealer '(none)'")
    calls = listing(wb["Unclosed calls"])
    h = header(wb["Unclosed calls"])
    blank = [r for r in calls if r[h.index("Provider")] is None]
    eq(sorted(r[0] for r in blank), ["K2", "K3"],
       "the listing's blank Provider cells: the Summary row's calls")


@test
def test_noncomp_summary(c):
    ws = c["wb"]["non_compensable"]["Summary"]
    eq(ws["B2"].value, AS_OF_DT, "as-of date")
    rows = rows_from(ws, "Primary reason")
    eq([r[0] for r in rows], REASONS + ["Total"], "every reason code")
    by = {r[0]: r for r in rows}
    eq(by["PROVIDER_MISMATCH"][1], 1, "PROVIDER_MISMATCH count")
    eq(by["SERIAL_MISMATCH"][1], 0, "zero reason listed with 0")
    eq(by["Total"][1], c["counts"]["noncomp"], "total closeouts")
    lst = listing(c["wb"]["non_compensable"]["Non-compensable"])
    hours = sum(r[6] or 0 for r in lst)
    if abs(by["Total"][2] - hours) > 1e-9:
        raise AssertionError("labor hours total %r != listing %r" % (
            by["Total"][2], hours))
    dealers = rows_from(ws, "Dealer")
    eq(sorted((r[0], r[1] or "", r[2], r[3]) for r in dealers),
       sorted([("D1", "Dealer One", 2, 1.25), ("D2", "Dealer Two", 1, 1.0),
               ("D9", "", 1, 2.0)]),
       "by dealer, with its name and labor hours")


@test
def test_summary_charts_point_at_cells(c):
    for key, ref in [("unclosed_calls", "Summary!$D$"),
                     ("non_compensable", "Summary!$B$")]:
        with zipfile.ZipFile(c["paths"][key]) as z:
            charts = [n for n in z.namelist()
                      if n.startswith("xl/charts/chart")]
            eq(len(charts), 1, key + " charts")
            xml = z.read(charts[0]).decode()
        if "<c:f>%s" % ref not in xml:
            raise AssertionError("%s chart values do not point at %s: %s"
                                 % (key, ref, xml[:400]))


@test
def test_run_sheet(c):
    ws = c["wb"]["audit"]["Run"]
    kv = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
    eq(kv["As of"], AS_OF_DT, "as-of")
    if not kv.get("svcrecon version"):
        raise AssertionError("no version on the Run sheet")
    eq(kv["Database"], svctest.book_db(c["db"]), "database as given (PostgreSQL: what it reached)")
    eq(kv["Files imported"], 4, "files")
    eq(kv["Rows rejected"], 3, "rows rejected")
    eq(kv["Text cells cut at 32,767 characters"], 1, "cut cells")
    rows = list(ws.iter_rows(values_only=True))
    at = [i for i, r in enumerate(rows) if r[0] == "File" and r[1] == "Kind"]
    eq(len(at), 1, "one file table")
    eq(list(rows[at[0]][:7]), RUN_FILE_HEADERS, "file table headers")
    files = rows_from(ws, "File")
    con = svctest.connect(c["db"])
    want = [(n, k, s, rr, rl, rj, st) for n, k, s, rr, rl, rj, st in
            con.execute("SELECT name, kind, sha256, rows_read, rows_loaded,"
                        " rows_rejected, status FROM imported_file "
                        "ORDER BY file_id")]
    eq([tuple(r[:7]) for r in files], want, "every imported file")
    stamps = [r[0] for r in con.execute("SELECT imported_at FROM "
                                        "imported_file")]
    for row in ws.iter_rows(values_only=True):
        for v in row:
            if isinstance(v, str) and any(s in v for s in stamps):
                raise AssertionError("imported_at shown: %r" % v)
    at = [i for i, r in enumerate(rows) if r[:2] == ("File", "Warning")]
    eq(len(at), 1, "one warning table")
    eq(rows[at[0] + 1][:2], ("dispatches_1.csv",
                             "unknown columns ignored: 'agent'"), "warning")


@test
def test_document_properties_fixed(c):
    for key, wb in c["wb"].items():
        eq(wb.properties.created, AS_OF_DT, key + " created")
        eq(wb.properties.creator, "svcrecon", key + " author")


@test
def test_progress_lines(c):
    # --quiet: nothing on stderr
    eq(c["stderr"], b"", "stderr under --quiet")
    from xlsx_helpers import run
    out = os.path.join(os.path.dirname(c["out"]), "out-loud")
    p = run("report", "--db", c["db"], "--out", out, "--as-of", AS_OF,
            check=0)
    lines = p.stderr.decode().splitlines()
    last = lines[-1] if lines else ""
    # The night's audit lists rejected rows, so the word is rejected_rows
    # even for a report that loads nothing (qa32; it said "ok", which the
    # summary schema reads as "nothing rejected"; README "The audit's night").
    eq(bool(re.match(r"svcrecon: report as of %s: exit 0 \(rejected_rows\); listed: 7 "
                     r"unclosed, 4 non-compensable; [0-9.]+ s$" % AS_OF, last)),
       True, "one final status line (issue 13): %r" % last)
    lines = lines[:-1]
    eq(lines, ["svcrecon: wrote %s/unclosed_calls_%s.xlsx (7 rows)" % (
        out, AS_OF),
        "svcrecon: wrote %s/non_compensable_%s.xlsx (4 rows)" % (out, AS_OF),
        "svcrecon: wrote %s/audit_%s.xlsx (3 rejected rows, 1 file refused, "
        "2 registration exceptions)" % (out, AS_OF),
        "svcrecon: recorded the report as of %s; no earlier report to "
        "compare with" % AS_OF], "one line per workbook, then the record")


@test
def test_progress_on_a_terminal(c):
    # stderr a terminal: progress lines are rewritten in place (\r, erase
    # line), then one "wrote" line per workbook
    from xlsx_helpers import SVCRECON
    out = os.path.join(os.path.dirname(c["out"]), "out-tty")
    from svctest import on_a_terminal
    code, text = on_a_terminal([SVCRECON] + svctest.cmd(
        "report", "--db", c["db"], "--out", out, "--as-of", AS_OF)[1:])
    eq(code, 0, "exit status")
    if "\r\x1b[K" not in text:
        raise AssertionError("no in-place progress: %r" % text[:300])
    wrote = [l for l in text.replace("\r\x1b[K", "\n").splitlines()
             if l.startswith("svcrecon: wrote ")]
    eq(len(wrote), 3, "wrote lines on a terminal")


if __name__ == "__main__":
    main(setup)
