#!/usr/bin/python3
"""t7300 -- what a new user running svcrecon on files of their own hit
(QA pass 8), each case a defect seen red before its fix:

- SPEC §6 names "an Excel workbook renamed .csv" and "a compressed file":
  an Excel 97-2003 workbook (.xls) or a password-protected .xlsx (both
  OLE2 compound files, not zip), and a file compressed with bzip2, xz,
  zstd or 7-Zip, were refused as "header lacks required columns" with
  the binary header quoted as its column names; now each is named, with
  what to do, like the zip and gzip files before them;
- a listing's column widths were measured on its first 2,000 rows only:
  a longer text further down (a customer name in row 2,052 of a big
  night) stood in a column sized for the first rows, neither wrapped nor
  free to run on (its neighbour holds a value), so the analyst saw it
  cut. Now every row is measured (numbers cheaply: only a value that may
  be wider than the column so far is formatted);
- the Summary tables by provider and by dealer wrote a dealer name (or
  code) longer than its column in one line, cut by the count beside it:
  "Metropolitan Imaging Solutions and Reprographics of Gre". Now a name
  or code wider than its column wraps, in a row tall enough for it;
- the audit's Run sheet wrote a long file name (an export named
  "dispatches_CITS_nightly_export_northeast_region_2026-03-12_final.csv")
  in one line of its File column, cut by the Kind beside it, and so did
  its Warnings table; now the name wraps in its column, as Reason and
  Path did;
- on a terminal too narrow for the progress bar's essentials ("file n of
  N", percent, rows; a 30-column tmux pane), the bar was drawn wider
  than the terminal: it wrapped, each redraw erased only its last row,
  and the terminal filled with stale copies of the bar. A terminal
  narrower than 21 columns was taken for 80. Now no bar is drawn where
  it does not fit; the messages are the same;
- `explain --source FILE:LINE` on a file the audit workbook lists but
  that was never imported under that name -- an unreadable file (its
  Rejected rows line 0), a copy skipped for the bytes of another file, a
  refused file delivered again under a new name -- said "no imported
  file named 'FILE'", as if the database had never seen it. Now it says
  what became of that delivery (the reason it could not be read, or the
  file whose bytes it repeats, with the --source that tells them); still
  exit 65: no row of it is in the database;
- a value with a no-break space (U+00A0) around it -- what a spreadsheet
  or a web page copied into one leaves -- was not trimmed as the header
  names are: a status 'OPEN\xa0' or a date was rejected with a reason
  showing a space that "should have been trimmed" ("status 'OPEN ' is
  not OPEN or CANCELLED"), and a serial or dealer id kept it, so the call
  got NO_REGISTRATION and its closeout PROVIDER_MISMATCH. Now
  identifiers, codes, dates, numbers and flags are trimmed of it too
  (free text is kept as given)."""
import bz2
import lzma
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, REG_HDR, SVCRECON, Tmp, check, eq, main,  # noqa: E402
                     svc)

VALGRIND = "valgrind" in SVCRECON or bool(os.environ.get("VALGRIND"))

AS_OF = "2026-03-12"
DSP_ROW = "Q1,2026-03-08 09:30,iPF8400S,S1,D1,customer,02108,P,OPEN"


def binary_feeds(t):
    """Files that are not CSV text, each with the words its reason must
    hold (what the file is)."""
    body = (DSP_HDR + "\n" + DSP_ROW + "\n").encode()
    # An OLE2 compound file (the .xls format, and an encrypted .xlsx):
    # its signature, then a header sector as Excel writes it.
    ole2 = (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16)
            + bytes.fromhex("3E000300FEFF0900") + bytes(480)
            + "Workbook".encode("utf-16-le") + bytes(200))
    t.write("xls.csv", ole2)
    t.write("bz2.csv", bz2.compress(body))
    t.write("xz.csv", lzma.compress(body))
    # zstd and 7-Zip frames: their magic numbers, then bytes.
    t.write("zst.csv", bytes.fromhex("28B52FFD") + bytes(range(1, 200)))
    t.write("7z.csv", bytes.fromhex("377ABCAF271C") + bytes(range(1, 200)))
    return {"xls.csv": "Excel 97-2003 workbook", "bz2.csv": "bzip2",
            "xz.csv": "xz", "zst.csv": "zstd", "7z.csv": "7-Zip"}


def test_an_old_excel_workbook_or_another_compressed_file_is_named():
    with Tmp() as t:
        for name, words in binary_feeds(t).items():
            r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", t.p(name))
            eq(r.code, 65, "%s: %r" % (name, r))
            check(words in r.err and "re-export as CSV UTF-8, comma-separated" in r.err
                  and "file refused" in r.err, "%s: %s" % (name, r.err))
            check("header lacks" not in r.err, r.err)
            eq(len(r.err.splitlines()), 2, r.err)       # the file's line, the status line
        # In an inbox: the audit workbook's Run sheet and the summary say the same.
        for name in binary_feeds(t):
            os.makedirs(t.p("in"), exist_ok=True)
            os.rename(t.p(name), t.p("in", "dispatches_" + name))
        r = svc("run", "--db", t.p("run.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", AS_OF, "--quiet", "--summary", t.p("s.json"))
        eq(r.code, 65, r)
        eq(len(r.err.splitlines()), 5, r.err)            # one line per refused file
        import json
        with open(t.p("s.json")) as f:
            files = json.load(f)["files"]
        eq(sorted(f["status"] for f in files), ["refused"] * 5)
        check(all("re-export as CSV UTF-8" in f["reason"] for f in files), files)


def test_a_long_text_after_the_first_two_thousand_rows_is_not_hidden():
    import openpyxl
    from openpyxl.utils import get_column_letter
    with Tmp() as t:
        long_name = "Northwestern Medicine Facilities"       # 32 characters
        rows = ["Q%04d,2026-03-01,iPF8400S,S%d,D1,%s,02108,P,OPEN"
                % (i, i, long_name if i == 2050 else "c") for i in range(2100)]
        f = t.csv("dispatches_w.csv", DSP_HDR, rows)
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f, "--quiet")
        eq(r.code, 0, r)
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("out"), "--as-of", AS_OF,
                "--quiet", "--statements")
        eq(r.code, 0, r)
        for book in (t.p("out", "unclosed_calls_%s.xlsx" % AS_OF),
                     t.p("out", "statements_%s" % AS_OF, "D1.xlsx")):
            ws = openpyxl.load_workbook(book)["Unclosed calls"]
            header = [c.value for c in ws[1]]
            col = header.index("Customer") + 1
            cells = [row[0] for row in ws.iter_rows(min_row=2, min_col=col, max_col=col)]
            hit = [c for c in cells if c.value == long_name]
            eq(len(hit), 1, book)
            cell = hit[0]
            check(cell.row > 2001, "the long name is past the first 2,000 rows")
            # the cell's right neighbour holds a value: the text cannot run on
            check(ws.cell(cell.row, col + 1).value is not None, "neighbour filled")
            width = ws.column_dimensions[get_column_letter(col)].width
            check(width >= len(long_name) or cell.alignment.wrap_text,
                  "%s: Customer is %.1f wide, %r cut" % (book, width, long_name))


LONG_NAME = "Metropolitan Imaging Solutions and Reprographics of Greater New York, Inc."
LONG_CODE = "DEALER-LONG-CODE-0001-NORTHEAST"


def test_a_long_dealer_name_or_code_in_a_summary_table_wraps():
    import openpyxl
    from openpyxl.utils import get_column_letter
    with Tmp() as t:
        t.write("in/registrations_1.csv", REG_HDR + '\n%s,"%s",iPF8400S,S1,2026-01-01,N,\n'
                % (LONG_CODE, LONG_NAME))
        t.write("in/dispatches_1.csv", DSP_HDR + "\nQ1,2026-03-01,iPF8400S,S1,%s,c,02108,P,OPEN\n"
                % LONG_CODE)
        t.write("in/closeouts_1.csv", CLO_HDR + "\n%s,2026-03-02,Q9,S1,iPF8400S,2026-03-01,T,1,R,\n"
                % LONG_CODE)
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", AS_OF, "--quiet")
        eq(r.code, 0, r)
        seen = 0
        for book in ("unclosed_calls", "non_compensable"):
            ws = openpyxl.load_workbook(t.p("out", "%s_%s.xlsx" % (book, AS_OF)))["Summary"]
            for row in ws.iter_rows():
                for c in row:
                    if c.value not in (LONG_NAME, LONG_CODE):
                        continue
                    seen += 1
                    check(ws.cell(c.row, c.column + 1).value is not None, "neighbour filled")
                    width = ws.column_dimensions[get_column_letter(c.column)].width
                    if width >= len(c.value):
                        continue
                    check(c.alignment.wrap_text, "%s %s: %r cut at width %.1f"
                          % (book, c.coordinate, c.value, width))
                    height = ws.row_dimensions[c.row].height
                    lines = -(-len(c.value) // int(width - 2))
                    check(height is not None and height >= 15 * lines,
                          "%s row %d: %s points for %d lines" % (book, c.row, height, lines))
        eq(seen, 4, "the code and the name in both Summary tables")


def test_a_long_file_name_on_the_run_sheet_wraps():
    import openpyxl
    from openpyxl.utils import get_column_letter
    with Tmp() as t:
        name = "dispatches_CITS_nightly_export_northeast_region_2026-03-12_final.csv"
        t.write("in/" + name, DSP_HDR + ",extra\nQ1,2026-03-01,iPF8400S,S1,D1,c,02108,P,OPEN,x\n")
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", AS_OF, "--quiet")
        eq(r.code, 0, r)
        ws = openpyxl.load_workbook(t.p("out", "audit_%s.xlsx" % AS_OF))["Run"]
        hits = [c for row in ws.iter_rows() for c in row if c.value == name]
        eq(len(hits), 2, "the file in the files table and in the warnings table")
        for c in hits:
            check(ws.cell(c.row, c.column + 1).value is not None, "neighbour filled")
            width = ws.column_dimensions[get_column_letter(c.column)].width
            check(width >= len(name) or c.alignment.wrap_text,
                  "Run %s: %r cut at width %.1f" % (c.coordinate, name, width))
            height = ws.row_dimensions[c.row].height
            check(width >= len(name) or (height is not None and height >= 30),
                  "Run row %d: %s points" % (c.row, height))


def test_the_progress_bar_never_runs_past_a_narrow_terminal():
    from svctest import cmd, on_a_terminal
    with Tmp() as t:
        f = t.csv("dispatches_p.csv", DSP_HDR,
                  ["Q%d,2026-03-08 09:30,iPF8400S,S%d,D1,c,02108,P,OPEN" % (i, i)
                   for i in range(30000)])
        for cols in (12, 30, 44, 200):
            code, text = on_a_terminal(
                cmd("import", "--db", t.p("svc%d.db" % cols), "--kind", "dispatches", f), cols)
            eq(code, 0, text)
            check("30000 read, 30000 loaded" in text, repr(text))
            # What the bar draws: the text after each "erase the line".
            for drawn in text.split("\r\x1b[K")[1:]:
                bar = drawn.split("\r\n")[0] if drawn.startswith("svcrecon: ") else drawn
                if bar.startswith("svcrecon: "):
                    continue                  # a message, after the bar was erased
                check(len(bar) < cols, "%d columns: bar %r" % (cols, bar))
            if cols == 200:
                check("file 1 of 1" in text and "100.0%" in text, repr(text))


def test_the_report_status_lines_never_run_past_a_narrow_terminal():
    """qa83: "reconciling as of DATE ..." (34 columns) and "workbook n of 3
    NAME  N rows" were written whatever the terminal's width: on a narrower
    one they wrapped, and the next erase took only their last row. Each is
    now drawn shorter (without the date or the name), or not at all."""
    from svctest import cmd, on_a_terminal
    with Tmp() as t:
        t.csv("in/dispatches_p.csv", DSP_HDR,
              ["Q%d,2026-03-08 09:30,iPF8400S,S%d,D1,c,02108,P,OPEN" % (i, i)
               for i in range(20000)])
        for cols in (12, 20, 30, 44, 200):
            code, text = on_a_terminal(
                cmd("run", "--db", t.p("svc%d.db" % cols), "--inbox", t.p("in"),
                    "--out", t.p("out%d" % cols), "--as-of", AS_OF), cols)
            eq(code, 0, text)
            for drawn in text.split("\r\x1b[K")[1:]:
                bar = drawn.split("\r\n")[0]
                if bar.startswith("svcrecon: "):
                    continue                  # a message, after the bar was erased
                check(len(bar) < cols, "%d columns: status %r" % (cols, bar))
            if cols == 200:
                check("reconciling as of %s ..." % AS_OF in text and
                      "workbook 1 of 3  unclosed_calls_%s.xlsx" % AS_OF in text,
                      repr(text))


def test_explain_source_tells_an_unreadable_or_skipped_delivery():
    with Tmp() as t:
        body = DSP_HDR + "\n" + DSP_ROW + "\n"
        t.write("in/dispatches_a.csv", body)
        t.write("in/dispatches_a_copy.csv", body)
        t.write("in/closeouts_b.csv", "x;y\n1;2\n")            # refused
        os.mkdir(t.p("in", "dispatches_dir.csv"))                # unreadable
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", AS_OF, "--quiet")
        eq(r.code, 66, r)
        # the refused bytes again, under another name, the next night
        os.rename(t.p("in", "closeouts_b.csv"), t.p("in", "closeouts_c.csv"))
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", "2026-03-13", "--quiet")
        eq(r.code, 66, r)
        import openpyxl
        wb = openpyxl.load_workbook(t.p("out", "audit_%s.xlsx" % AS_OF))
        listed = [row[:2] for row in wb["Rejected rows"].iter_rows(min_row=2, values_only=True)]
        check(("dispatches_dir.csv", 0) in listed, listed)
        for src, words in (("dispatches_dir.csv:0", ["could not be read", "Is a directory"]),
                           ("dispatches_a_copy.csv:2",
                            ["same bytes as 'dispatches_a.csv'",
                             "--source dispatches_a.csv:2"]),
                           ("closeouts_c.csv:0",
                            ["same bytes as 'closeouts_b.csv'",
                             "--source closeouts_b.csv:0"])):
            for extra in ([], ["--json"]):
                r = svc("explain", "--db", t.p("svc.db"), "--as-of", AS_OF, *extra,
                        "--source", src)
                eq((r.code, r.out), (65, ""), r)
                check(all(w in r.err for w in words) and "no imported file" not in r.err,
                      "%s: %s" % (src, r.err))
        # A name never delivered still says so.
        r = svc("explain", "--db", t.p("svc.db"), "--as-of", AS_OF, "--source", "nope.csv:1")
        eq(r.code, 65, r)
        check("no imported file named 'nope.csv'" in r.err, r.err)


def test_a_no_break_space_around_a_value_is_trimmed_like_a_blank():
    import openpyxl
    nb = "\u00a0"
    with Tmp() as t:
        t.write("in/registrations_1.csv", REG_HDR + "\n%sCA1042,Dealer,iPF8400S,AFK03126,"
                "2026-01-01%s,N%s,\n" % (nb, nb, nb))
        t.write("in/dispatches_1.csv", DSP_HDR + "\nQ1%s,%s2026-03-01 09:00,iPF8400S%s,"
                "AFK03126%s,CA1042%s,Customer%s,02108,P,OPEN%s\n" % ((nb,) * 7))
        t.write("in/closeouts_1.csv", CLO_HDR + "\nCA1042%s,2026-03-02 10:00%s,%sQ1,AFK03126,"
                "iPF8400S,2026-03-02,T,%s1.5,R,\n" % ((nb,) * 4))
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", AS_OF, "--quiet", "--summary", t.p("s.json"))
        eq((r.code, r.err), (0, ""), r)
        import json
        with open(t.p("s.json")) as f:
            s = json.load(f)
        eq(s["control_totals"]["rows_rejected"], 0, s["control_totals"])
        audit = openpyxl.load_workbook(t.p("out", "audit_%s.xlsx" % AS_OF))
        eq([r for r in audit["Registration exceptions"].iter_rows(min_row=2, values_only=True)],
           [], "no exception: the serial and the provider match")
        for book, sheet in (("unclosed_calls", "Unclosed calls"),
                            ("non_compensable", "Non-compensable")):
            ws = openpyxl.load_workbook(t.p("out", "%s_%s.xlsx" % (book, AS_OF)))[sheet]
            eq([r for r in ws.iter_rows(min_row=2, values_only=True)], [],
               "%s: the closeout closed the call" % sheet)
        # free text keeps its no-break space, as given
        r = svc("explain", "--db", t.p("svc.db"), "--as-of", AS_OF, "Q1")
        eq(r.code, 0, r)
        check("customer 'Customer\u00a0'" in r.out, r.out)


if VALGRIND:
    # 30,000 rows four times under valgrind take minutes; the bar's text is
    # tests/unit/test_progress.c's.
    del test_the_progress_bar_never_runs_past_a_narrow_terminal

main(globals())
