#!/usr/bin/python3
"""t7800 -- an analyst opens the workbooks (SPEC §4) on data nobody had
seen (QA pass 13). A seeded generator here makes odd but valid feeds:
dealer names with accents, CJK, emoji, quotes and 350 characters; a
leading '=', '+', '-' or '@' in every text field; a provider and a
closing dealer with no registration (no name known); dealer ids that
differ only in letter case; a dealer with 3,000 calls; dispatch days on
leap days and at month and year ends; nights reported one, two and four
times (the trend); --from. Every workbook, statements included, is
opened with openpyxl.

Defects, each seen red before its fix:

- a dealer statement's Summary wrote the dealer's name (and id) in one
  line of its column B: a 350-character name ran on over the empty
  cells to its right, the page (fitted to the page width) was scaled to
  a tenth and LibreOffice printed every figure of it unreadably small.
  Now the id and the name wrap in their column, in a row tall enough for
  all of it (up to Excel's 409 points), and the oldest call's dispatch
  id wraps rather than being cut by the date beside it;
- a character Excel draws two columns wide (CJK, kana, Hangul,
  fullwidth forms, emoji) was counted as one: a Japanese dealer's name
  got a column half the width it needs, written wrapped (its bytes
  exceeded the column) in a one-line row, so LibreOffice printed its
  second line over the next call. Now such a character counts two in
  every width and line count (listings, Summary tables, statements,
  About);
- the Summary charts' count axes were left to the reader's scale: on
  an empty night LibreOffice drew 0, 0.1, 0.2 ... 0.9 "Unclosed calls",
  on a small night steps of 0.5, and on a big one 3500 without the
  separator the cells have. The value axis is now written #,##0, in
  steps of one call when the largest value is under ten (0 to 1 on an
  empty night);
- About wrote the database's path and the `svcrecon explain` commands
  naming it in one line: a long path ran on past the page's columns and
  the page was shrunk to fit it, and a command longer than 511 bytes (a
  path of 460) was cut, the dispatch or FILE:LINE it ends with lost. Now
  a value wider than the About's two text columns wraps in the first, in
  a row tall enough, and the commands are built whole;
- totals of labor hours were written `0.00`: a dealer's 3,499.00 hours
  stood as 3499.00 beside counts written 1,001. Hours are now written
  `#,##0.00` (thousands separator, two decimals), in the listings, the
  Summary tables and the statements.

The rest is what the analyst checked and found right, kept as a guard:
real dates and numbers, frozen headers, autofilters over exactly the
data, no formula anywhere, widths within Excel's limits, names beside
codes, every code explained in About, the trend table and chart ranges,
empty listings still readable."""
import datetime
import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, REG_HDR, Tmp, check, eq, main,  # noqa: E402
                     sqlite_only, svc)

SEED = 1313
FORMULA_LEADS = "=+-@"
LONG_NAME = ("Société Générale d'Imagerie et de Reprographie "
             + "du Grand Nord-Est très étendu " * 10).strip()
NAMES = {
    "ca1": "Café Über Çédille ÆØÅ",
    "CA1": "東京画像サービス株式会社",
    "=D1": '=HYPERLINK("http://x","click")',
    "+D2": "\U0001F600 Emoji Prints \U0001F5A8",
    "-D3": 'He said "quoted" name',
    "@D4": LONG_NAME,
    "BIG": "+1-800-BIG-DEALER",
}
# dispatch days: a leap day, month and year ends
DAYS = ["2024-02-29 23:59:59", "12/31/2025 00:00", "2026-01-31T08:00",
        "2025-12-31 23:59", "2026-02-28 10:00", "02/29/2024 07:30"]


def q(v):
    return '"' + v.replace('"', '""') + '"'


def feeds(t, inbox="in"):
    """The night's three feeds (a seeded generator); returns what the
    test needs to know of them."""
    rnd = random.Random(SEED)
    regs, dsp, clo = [], [], []
    for i, (dealer, name) in enumerate(NAMES.items()):
        regs.append(",".join(q(v) for v in (dealer, name, "iPF8400S",
                                            "S%03d" % i, "2024-02-29", "N", "")))
    for i, dealer in enumerate(NAMES):
        lead = FORMULA_LEADS[i % 4]
        did = "%sQ%d" % (lead, i)
        dsp.append(",".join(q(v) for v in (
            did, DAYS[i % len(DAYS)], lead + "MODEL", "S%03d" % i, dealer,
            lead + "cmd|' /C calc'!A0", lead + "0210", lead + "P", "OPEN")))
        clo.append(",".join(q(v) for v in (
            dealer, "2026-01-31 12:00", did, "S%03d" % i, "iPF8400S",
            "2026-01-30", lead + "tech", "", lead + "RES", lead + "1+1")))
    # a provider no registration names, and a closing dealer likewise
    dsp.append('NOREG1,2026-02-28 10:00,iPF8400S,ZZZ,GHOST,"Line one\nLine two",'
               '02108,P,OPEN')
    clo.append("GHOST2,2026-02-28 11:00,NOREG1,ZZZ,iPF8400S,2026-02-28,T,1.25,R,")
    # one dealer with thousands of rows, a third of them closed out badly
    for k in range(3000):
        dsp.append("B%05d,2025-%02d-%02d 08:00,iPF8400S,S006,BIG,Customer %d,10001,P,OPEN"
                   % (k, k % 12 + 1, k % 28 + 1, k))
        if k % 3 == 0:
            clo.append("BIG,2026-01-%02d 09:00,B%05d,WRONG,iPF8400S,2026-01-01,T,%s,R,"
                       % (k % 28 + 1, k, rnd.choice(["0.5", "1.25", "7", "23.75"])))
    t.csv(inbox + "/registrations_1.csv", REG_HDR, regs)
    t.csv(inbox + "/dispatches_1.csv", DSP_HDR, dsp)
    t.csv(inbox + "/closeouts_1.csv", CLO_HDR, clo)


def night(t, as_of="2026-02-28", *extra):
    feeds(t)
    r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
            "--as-of", as_of, "--quiet", "--statements", *extra)
    eq((r.code, r.err), (0, ""), r)
    return t.p("out")


def book(out, name, as_of="2026-02-28"):
    import openpyxl
    return openpyxl.load_workbook(os.path.join(out, "%s_%s.xlsx" % (name, as_of)))


def statement(out, file, as_of="2026-02-28"):
    import openpyxl
    return openpyxl.load_workbook(os.path.join(out, "statements_" + as_of, file))


def summary_row(ws, label):
    for row in ws.iter_rows():
        if row[0].value == label:
            return row
    raise AssertionError("no row %r on %s" % (label, ws.title))


def test_a_long_dealer_name_wraps_on_its_statement_summary():
    with Tmp() as t:
        out = night(t)
        ws = statement(out, "%40D4.xlsx")["Summary"]
        row = summary_row(ws, "Name")
        cell = row[1]
        eq(cell.value, LONG_NAME, "the name, whole, in the cell")
        check(cell.alignment.wrap_text, "a name wider than its column wraps")
        width = ws.column_dimensions[cell.column_letter].width
        height = ws.row_dimensions[cell.row].height or 15
        # every character at least 0.85 of a digit's width (lower case)
        need = -(-int(len(LONG_NAME) * 0.85) // int(width - 2))
        check(height >= 15 * min(need, 27),
              "row of %s points for a name of %d lines" % (height, need))
        # nothing beside it that the name would run into, and nothing past
        # the statement's columns that would shrink the printed page
        eq([c.value for c in row[2:]], [None] * len(row[2:]), "the name's row")
        # the oldest call's dispatch id sits beside its date: it wraps too
        # when it is wider than its column
        oldest = summary_row(ws, "Your oldest open call")
        eq(oldest[1].value, "+Q5", "the oldest call of @D4")


def test_a_long_dealer_id_wraps_on_its_statement_summary():
    long_id = "DLR-" + "x" * 120
    with Tmp() as t:
        t.csv("in/registrations_1.csv", REG_HDR,
              ["%s,Short name,iPF8400S,S1,2026-01-01,N," % long_id])
        t.csv("in/dispatches_1.csv", DSP_HDR,
              ["%s,2026-02-01 09:00,iPF8400S,S1,%s,c,1,P,OPEN" % ("D" * 60, long_id)])
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", "2026-02-28", "--quiet", "--statements")
        eq((r.code, r.err), (0, ""), r)
        folder = t.p("out", "statements_2026-02-28")
        files = os.listdir(folder)
        eq(len(files), 1, files)
        ws = statement(t.p("out"), files[0])["Summary"]
        for label, value in (("Dealer", long_id), ("Your oldest open call", "D" * 60)):
            cell = summary_row(ws, label)[1]
            eq(cell.value, value, label)
            check(cell.alignment.wrap_text, "%s: a value wider than its column wraps" % label)
            check((ws.row_dimensions[cell.row].height or 15) >= 30,
                  "%s: its row is taller than one line" % label)


def cells_of(text):
    """Columns a text takes as Excel draws it: two for an East Asian wide
    character or an emoji, one for another."""
    import unicodedata
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" or ord(ch) >= 0x1F300
               else 1 for ch in text)


def test_wide_characters_are_given_their_width():
    jp_name = "東京画像サービス株式会社大阪支店営業部"      # 19 characters, 38 columns
    jp_customer = "株式会社東京画像サービス大阪支店"          # 16, 32 columns
    with Tmp() as t:
        t.csv("in/registrations_1.csv", REG_HDR,
              ["JP1,%s,iPF8400S,S1,2026-01-01,N," % jp_name])
        t.csv("in/dispatches_1.csv", DSP_HDR,
              ["A1,2026-02-01 09:00,iPF8400S,S1,JP1,%s,100,P,OPEN" % jp_customer,
               "A2,2026-02-02 09:00,iPF8400S,S1,JP1,ok,100,P,OPEN"])
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", "2026-02-28", "--quiet")
        eq((r.code, r.err), (0, ""), r)
        ws = book(t.p("out"), "unclosed_calls")["Unclosed calls"]
        head = [c.value for c in ws[1]]
        for col, text in (("Provider name", jp_name), ("Customer", jp_customer)):
            cell = ws.cell(2, head.index(col) + 1)
            eq(cell.value, text, col)
            width = ws.column_dimensions[cell.column_letter].width
            room = width - 2                    # the indent and the cell's edge
            need = cells_of(text)
            if room >= need:
                continue                        # one line, whole
            # wrapped: in as many lines as it takes, and the row that tall
            # (a one-line row under a wrapped text prints it over the next)
            check(cell.alignment.wrap_text, "%s wider than its column wraps" % col)
            lines = -(-need // int(room))
            height = ws.row_dimensions[2].height or 15
            check(height >= 15 * lines, "%s: %d lines of %s in a row of %s points"
                  % (col, lines, text, height))
        # the Summary by provider: the name wraps in a row tall enough
        ws = book(t.p("out"), "unclosed_calls")["Summary"]
        cell = summary_row(ws, "JP1")[1]
        width = ws.column_dimensions[cell.column_letter].width
        need = cells_of(jp_name)
        if width - 2 < need:
            check(cell.alignment.wrap_text, "the provider's name wraps on the Summary")
            check((ws.row_dimensions[cell.row].height or 15)
                  >= 15 * -(-need // int(width - 2)), "its row is tall enough")


def open_call_per_name(t, names):
    """names ({dealer: name}) registered, one open call dispatched to each
    (A0, A1, ... on S0, S1, ...), run as of 2026-02-28 into t's out/."""
    t.csv("in/registrations_1.csv", REG_HDR,
          ["%s,%s,iPF8400S,S%d,2026-01-01,N," % (d, n, i)
           for i, (d, n) in enumerate(names.items())])
    t.csv("in/dispatches_1.csv", DSP_HDR,
          ["A%d,2026-02-01 09:00,iPF8400S,S%d,%s,ok,100,P,OPEN" % (i, i, d)
           for i, d in enumerate(names)])
    r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
            "--as-of", "2026-02-28", "--quiet")
    eq((r.code, r.err), (0, ""), r)


def test_cyrillic_greek_and_accented_capitals_are_given_their_width():
    """qa85: a character between U+00A0 and U+04FF was counted one '0'
    wide, but Calibri (and Carlito, which LibreOffice draws it with) draws
    Cyrillic, Greek and accented Latin capitals 1.3 to 1.8 zeros wide: a
    name of 25 of them was taken to fit the name column on one line, set
    to wrap (more bytes than the column), and its second line printed over
    the next call's row. Every letter below is at least 1.3 zeros wide."""
    names = {"RU1": "ЖЩШМЮ" * 5, "FR1": "ŒÆÖÜÄÅØ" * 3 + "ŒÆÖÜ",
             "GR1": "ΩΨΦΣΠΔΓ" * 3 + "ΩΨΦΣ"}
    with Tmp() as t:
        open_call_per_name(t, names)
        ws = book(t.p("out"), "unclosed_calls")["Unclosed calls"]
        head = [c.value for c in ws[1]]
        col = head.index("Provider name") + 1
        for row in range(2, 2 + len(names)):
            cell = ws.cell(row, col)
            room = ws.column_dimensions[cell.column_letter].width - 2
            lines = -(-int(1.3 * len(cell.value)) // int(room))
            if lines < 2:
                continue                        # the column was made wide enough
            check(cell.alignment.wrap_text, "%s wider than its column wraps" % cell.value)
            height = ws.row_dimensions[row].height or 15
            check(height >= 15 * lines, "%s: at least %d lines in a row of %s points"
                  % (cell.value, lines, height))
        # the Summary by provider: its name column is fixed, the name wraps
        ws = book(t.p("out"), "unclosed_calls")["Summary"]
        for dealer, name in names.items():
            cell = summary_row(ws, dealer)[1]
            room = ws.column_dimensions[cell.column_letter].width - 2
            lines = -(-int(1.3 * len(name)) // int(room))
            if lines < 2:
                continue
            check(cell.alignment.wrap_text, "%s wraps on the Summary" % name)
            check((ws.row_dimensions[cell.row].height or 15) >= 15 * lines,
                  "%s: its Summary row is tall enough" % name)


def test_a_long_name_is_whole_on_the_summaries():
    """qa85: the Summary tables by provider and by dealer held a name to
    six lines, as a listing holds a long text of one line: a dealer name of
    200 characters lost its end. README: a name wider than its column
    wraps, in a row tall enough for it. Each word below (about 17 zeros)
    takes a line of the name column (28 wide): 20 lines."""
    name = " ".join(["MWMWMWMWMW"] * 20)
    with Tmp() as t:
        t.csv("in/registrations_1.csv", REG_HDR, ["LONG1,%s,iPF8400S,S1,2026-01-01,N," % name])
        t.csv("in/dispatches_1.csv", DSP_HDR,
              ["A1,2026-02-01 09:00,iPF8400S,S1,LONG1,ok,100,P,OPEN"])
        t.csv("in/closeouts_1.csv", CLO_HDR,
              ["LONG1,2026-02-02 09:00,A1,S1,iPF8400S,2026-02-01,T,,R,"])
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", "2026-02-28", "--quiet")
        eq((r.code, r.err), (0, ""), r)
        for wb in ("unclosed_calls", "non_compensable"):
            ws = book(t.p("out"), wb)["Summary"]
            cell = summary_row(ws, "LONG1")[1]
            eq(cell.value, name, wb)
            room = ws.column_dimensions[cell.column_letter].width - 2
            check(17.3 < room < 34.9, "%s: one word a line in a name column of %s"
                  % (wb, room))
            check(cell.alignment.wrap_text, "%s: the name wraps" % wb)
            height = ws.row_dimensions[cell.row].height or 15
            check(height >= 15 * 20, "%s: 20 lines of the name in a row of %s points"
                  % (wb, height))


def test_emoji_of_every_wide_block_are_given_their_width():
    """qa85: the emoji of the transport and map symbols (a van), of the
    symbols and pictographs extended-A (a screwdriver) and of the BMP (a
    check mark), East Asian wide as the faces already counted two, counted
    one: a name of twenty of them (forty columns) was taken to fit the
    name column, set to wrap for its bytes, and printed its second line
    over the next call."""
    names = {"V1": "\U0001F690" * 20, "S1": "\U0001FA9B" * 20, "C1": "\u2705" * 20}
    with Tmp() as t:
        open_call_per_name(t, names)
        ws = book(t.p("out"), "unclosed_calls")["Unclosed calls"]
        col = [c.value for c in ws[1]].index("Provider name") + 1
        for row in range(2, 2 + len(names)):
            cell = ws.cell(row, col)
            eq(cells_of(cell.value), 40, "a wide character counts two")
            room = ws.column_dimensions[cell.column_letter].width - 2
            if room >= 40:
                continue
            lines = -(-40 // int(room))
            check(cell.alignment.wrap_text, "%r wider than its column wraps" % cell.value)
            check((ws.row_dimensions[row].height or 15) >= 15 * lines,
                  "%r: %d lines in a row of %s points"
                  % (cell.value, lines, ws.row_dimensions[row].height))


def value_axes(path):
    """(formatCode, majorUnit, max) of the value axis of each chart of the
    workbook at path, read from its XML."""
    import re
    import zipfile
    out = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(n for n in z.namelist() if n.startswith("xl/charts/chart")):
            xml = z.read(name).decode()
            ax = re.search(r"<c:valAx>(.*?)</c:valAx>", xml, re.S).group(1)
            fmt = re.search(r'<c:numFmt formatCode="([^"]*)"', ax)
            unit = re.search(r'<c:majorUnit val="([^"]*)"', ax)
            top = re.search(r'<c:max val="([^"]*)"', ax)
            out.append((fmt and fmt.group(1), unit and float(unit.group(1)),
                        top and float(top.group(1))))
    return out


def test_a_count_axis_counts_whole_calls():
    with Tmp() as t:
        t.csv("in/registrations_1.csv", REG_HDR, ["A,Alpha,iPF8400S,S1,2026-01-01,N,"])
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", "2026-02-27", "--quiet")
        eq((r.code, r.err), (0, ""), r)
        # an empty night: 0 to 1, not 0.1, 0.2 ... 0.9 calls
        for name in ("unclosed_calls", "non_compensable"):
            path = t.p("out", "%s_2026-02-27.xlsx" % name)
            eq(value_axes(path), [("#,##0", 1.0, 1.0)], name + ", an empty night")
        t.csv("in/dispatches_1.csv", DSP_HDR,
              ["Q1,2026-02-01 09:00,iPF8400S,S1,A,c,1,P,OPEN",
               "Q2,2026-02-02 09:00,iPF8400S,S1,A,c,1,P,OPEN"])
        t.csv("in/closeouts_1.csv", CLO_HDR,
              ["B,2026-02-03 09:00,Q1,S1,iPF8400S,2026-02-03,T,1,R,"])
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", "2026-02-28", "--quiet")
        eq((r.code, r.err), (0, ""), r)
        # two calls, one closeout: whole steps (the trend's chart too)
        eq(value_axes(t.p("out", "unclosed_calls_2026-02-28.xlsx")),
           [("#,##0", 1.0, None)] * 2, "a small night's bucket and trend charts")
        eq(value_axes(t.p("out", "non_compensable_2026-02-28.xlsx")),
           [("#,##0", 1.0, None)], "a small night's reasons chart")
    with Tmp() as t:
        out = night(t)
        # a big night: the reader's own steps, with a thousands separator
        eq(value_axes(os.path.join(out, "unclosed_calls_2026-02-28.xlsx")),
           [("#,##0", None, None)], "3,008 calls")


@sqlite_only("the database is named by a path of the test's choosing; on "
             "PostgreSQL it is the test cluster's URI")
def test_about_shows_a_long_database_path_and_commands_whole():
    with Tmp() as t:
        deep = t.p(*["database_folder_of_the_north_east_region_%d" % k for k in range(10)])
        os.makedirs(deep)
        db = os.path.join(deep, "svc.db")
        check(460 < len(db) < 512, len(db))   # SQLite opens up to 512
        t.csv("in/registrations_1.csv", REG_HDR, ["A,Alpha,iPF8400S,S1,2026-01-01,N,"])
        t.csv("in/dispatches_1.csv", DSP_HDR, ["Q1,2026-02-01 09:00,iPF8400S,S1,A,c,1,P,OPEN"])
        r = svc("run", "--db", db, "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", "2026-02-28", "--quiet")
        eq((r.code, r.err), (0, ""), r)
        for name in ("unclosed_calls", "non_compensable", "audit"):
            ws = book(t.p("out"), name)["About"]
            rows = list(ws.iter_rows())
            label = {r[0].value: r for r in rows if r[0].value}
            eq(label["Database"][1].value, db, name + ": the database, whole")
            commands = [r[1] for r in rows if isinstance(r[1].value, str)
                        and r[1].value.startswith("svcrecon explain")]
            check(len(commands) >= 2, "%s: %d commands" % (name, len(commands)))
            eq(commands[0].value, "svcrecon explain --db %s --as-of 2026-02-28 DISPATCH_ID"
               % db, name + ": the command by dispatch, whole")
            eq(commands[1].value, "svcrecon explain --db %s --as-of 2026-02-28 --source "
               "FILE:LINE" % db, name + ": the command by source row, whole")
            room = ws.column_dimensions["B"].width - 2
            for cell in [label["Database"][1]] + commands:
                # past B and C (the page's width) it would shrink the page:
                # it wraps in B, in a row tall enough for it
                check(cell.alignment.wrap_text, "%s %s: %r wraps" % (name, cell.coordinate,
                                                                   cell.value[:40]))
                lines = -(-len(cell.value) // int(room))
                check((ws.row_dimensions[cell.row].height or 15) >= 15 * min(lines, 27),
                      "%s %s: %d lines" % (name, cell.coordinate, lines))


def test_labor_hours_have_a_thousands_separator():
    with Tmp() as t:
        out = night(t)
        nc = book(out, "non_compensable")
        ws = nc["Summary"]
        hours = [c for row in ws.iter_rows() for c in row
                 if isinstance(c.value, float) or (isinstance(c.value, (int, float))
                                                   and c.number_format.endswith("0.00"))]
        check(hours, "the Summary holds labor hours")
        big = [c for c in hours if c.value >= 1000]
        check(big, "a total of 1,000 hours or more (dealer BIG)")
        eq({c.number_format for c in hours}, {"#,##0.00"}, "hours on the Summary")
        lst = nc["Non-compensable"]
        col = [c.value for c in lst[1]].index("Labor hours") + 1
        eq({lst.cell(r, col).number_format for r in range(2, lst.max_row + 1)
            if lst.cell(r, col).value is not None}, {"#,##0.00"}, "listed hours")
        st = statement(out, "BIG.xlsx")["Summary"]
        cell = summary_row(st, "Labor hours at stake")[1]
        check(cell.value >= 1000, cell.value)
        eq(cell.number_format, "#,##0.00", "a statement's hours at stake")


# ---- what was right, kept as a guard ----

LISTINGS = {  # sheet: (date columns, number columns, code column -> name column)
    "Unclosed calls": ({"Dispatched"}, {"Days open", "Closeout attempts", "Source line"},
                       {"Provider": "Provider name"}),
    "Non-compensable": ({"Submitted", "Completed"}, {"Labor hours", "Source line"},
                        {"Dealer": "Dealer name"}),
    "Registration exceptions": ({"Dispatched"}, {"Source line"},
                                {"Provider": "Provider name"}),
    "Rejected rows": (set(), {"Line"}, {}),
    "Changes": ({"Dispatched"}, {"Days open", "Source line"},
                {"Provider": "Provider name"}),
}


def check_listing(path, ws, names):
    from openpyxl.utils import get_column_letter
    dates, numbers, named = LISTINGS[ws.title]
    head = [c.value for c in ws[1]]
    last = get_column_letter(len(head))
    where = "%s / %s" % (os.path.basename(path), ws.title)
    eq(ws.freeze_panes, "A2", where + ": frozen header")
    eq(ws.auto_filter.ref, "A1:%s%d" % (last, max(ws.max_row, 1)), where + ": autofilter")
    eq(ws.print_title_rows, "$1:$1", where + ": header on every page")
    for c in range(1, len(head) + 1):
        w = ws.column_dimensions[get_column_letter(c)].width
        check(w is None or 1 <= w <= 255, "%s: column %s width %s" % (where, head[c - 1], w))
    for code, name in named.items():
        eq(head.index(name), head.index(code) + 1, where + ": the name beside " + code)
    for row in ws.iter_rows(min_row=2):
        for c, h in zip(row, head):
            check(c.data_type != "f", "%s: %s is a formula: %r" % (where, c.coordinate, c.value))
            if c.value is None:
                continue
            if h in dates:
                check(isinstance(c.value, datetime.datetime),
                      "%s: %s %r is not a date" % (where, c.coordinate, c.value))
            elif h in numbers:
                check(isinstance(c.value, (int, float)),
                      "%s: %s %r is not a number" % (where, c.coordinate, c.value))
            else:
                check(isinstance(c.value, str), "%s: %s %r" % (where, c.coordinate, c.value))
        for code, name in named.items():
            dealer = row[head.index(code)].value
            eq(row[head.index(name)].value, NAMES.get(dealer), where + ": name of %r" % dealer)


def test_every_listing_reads_right():
    with Tmp() as t:
        out = night(t)
        books = [os.path.join(out, f) for f in sorted(os.listdir(out)) if f.endswith(".xlsx")]
        folder = os.path.join(out, "statements_2026-02-28")
        statements = sorted(os.listdir(folder))
        # ids differing only in case are two statements, "ca1" after "CA1"
        # ending ~ + hash (names unique ignoring case, t9980); dealers with
        # no registration get theirs too
        ca1 = "ca1~" + hashlib.sha256(b"ca1").hexdigest()[:16] + ".xlsx"
        for f in (ca1, "CA1.xlsx", "GHOST.xlsx", "GHOST2.xlsx", "%3DD1.xlsx",
                  "%2BD2.xlsx", "-D3.xlsx", "%40D4.xlsx", "BIG.xlsx"):
            check(f in statements, "statement %s in %s" % (f, statements))
        import openpyxl
        seen = set()
        for path in books + [os.path.join(folder, f) for f in statements]:
            wb = openpyxl.load_workbook(path)
            eq(wb.sheetnames[-1], "About", path)
            for ws in wb.worksheets:
                if ws.title in LISTINGS:
                    check_listing(path, ws, NAMES)
                    seen.add(ws.title)
                for row in ws.iter_rows():
                    for c in row:
                        check(c.data_type != "f", "%s %s: formula" % (ws.title, c.coordinate))
        eq(seen, set(LISTINGS), "every kind of listing was looked at")
        # every text field of the feeds verbatim, leading = + - @ included
        ws = book(out, "unclosed_calls")["Unclosed calls"]
        head = [c.value for c in ws[1]]
        rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
        r = rows["=Q0"]
        eq((r[head.index("Model")], r[head.index("Customer")]),
           ("=MODEL", "=cmd|' /C calc'!A0"), "feed text as text")
        eq(rows["NOREG1"][head.index("Customer")], "Line one\nLine two", "a line break kept")
        eq(rows["NOREG1"][head.index("Provider name")], None, "no name known")
        # oldest first: the leap day's calls lead, then by dispatch id
        eq(list(rows)[:3], ["+Q5", "-Q6", "=Q0"], "oldest first, then by id (bytes)")
        eq(rows["+Q5"][head.index("Days open")], 730, "2024-02-29 to 2026-02-28")
        eq(len(rows), 3008, "every open call")


def test_about_explains_every_code():
    codes = {
        "non_compensable": ["NO_DISPATCH", "DISPATCH_CANCELLED", "PROVIDER_MISMATCH",
                            "SERIAL_MISMATCH", "SERVICE_BEFORE_DISPATCH",
                            "INCOMPLETE_SECTION2", "DUPLICATE_CLOSEOUT"],
        "audit": ["NO_REGISTRATION", "NOT_PROVIDER_OF_RECORD", "WMP_SELECTED",
                  "MODEL_MISMATCH", "OVERLAPPING_REGISTRATION", "loaded", "refused",
                  "unreadable", "skipped"],
        "unclosed_calls": ["0-7", "8-14", "15-30", "31-60", "61-90", "91+"],
    }
    with Tmp() as t:
        out = night(t)
        for name, want in codes.items():
            about = book(out, name)["About"]
            rows = list(about.iter_rows(values_only=True))
            first = [r[0] for r in rows]
            for code in want:
                check(code in first, "%s About: code %s" % (name, code))
                meaning = rows[first.index(code)][1]
                check(isinstance(meaning, str) and meaning, "%s: meaning of %s" % (name, code))
            text = "\n".join(str(v) for r in rows for v in r if v is not None)
            for what in ("2026-02-28", "svcrecon explain", "--source FILE:LINE",
                         "Database", "svcrecon version"):
                check(what in text, "%s About: %s" % (name, what))
        # codes used in the listings are among those explained
        nc = book(out, "non_compensable")
        used = {r[7] for r in nc["Non-compensable"].iter_rows(min_row=2, values_only=True)}
        check(used <= set(codes["non_compensable"]), used)


def test_trend_with_one_two_and_four_reports_and_from():
    with Tmp() as t:
        out = night(t, "2025-12-31")
        db = t.p("svc.db")
        for as_of in ("2026-01-31", "2026-02-28", "2024-02-29"):
            r = svc("report", "--db", db, "--out", out, "--as-of", as_of, "--quiet",
                    "--from", "2024-02-29" if as_of == "2024-02-29" else "2026-01-15")
            eq((r.code, r.err), (0, ""), r)

        def trend(as_of):
            ws = book(out, "unclosed_calls", as_of)["Summary"]
            rows = list(ws.iter_rows())
            top = [i for i, r in enumerate(rows) if r[0].value == "As of"
                   and r[1].value == "Unclosed calls"]
            eq(len(top), 1, "one trend table")
            i = top[0] + 1
            body = []
            while i < len(rows) and isinstance(rows[i][0].value, datetime.datetime):
                body.append(rows[i])
                i += 1
            for r in body:
                eq(r[1].value, sum(c.value for c in r[2:8]), "total = buckets")
            return ws, top[0] + 1, body

        ws, head, body = trend("2025-12-31")
        eq([r[0].value.date().isoformat() for r in body], ["2025-12-31"], "one point")
        ws, head, body = trend("2026-01-31")
        eq([r[0].value.date().isoformat() for r in body], ["2025-12-31", "2026-01-31"],
           "two points")
        # the trend chart covers the table's rows exactly
        charts = [c for c in ws._charts if len(c.series) > 1]
        eq(len(charts), 1, "one stacked trend chart")
        first, last = head + 1, head + len(body)
        for s in charts[0].series:
            ref = s.val.numRef.f
            check(ref.endswith("$%d:$%s$%d" % (first, ref.split("$")[-2], last)),
                  "trend series %s covers rows %d-%d" % (ref, first, last))
        ws, head, body = trend("2026-02-28")
        eq(len(body), 3, "three points up to 2026-02-28")
        # the earlier as-of reported last starts its own trend
        ws, head, body = trend("2024-02-29")
        eq([r[0].value.date().isoformat() for r in body], ["2024-02-29"], "first point")
        # --from: the non-compensable listing keeps submitted on or after D,
        # the unclosed listing keeps every open call
        nc = book(out, "non_compensable", "2026-02-28")["Non-compensable"]
        head_nc = [c.value for c in nc[1]]
        sub = [r[head_nc.index("Submitted")] for r in nc.iter_rows(min_row=2, values_only=True)]
        check(sub and min(sub) >= datetime.datetime(2026, 1, 15), "--from 2026-01-15")
        eq(nc.auto_filter.ref, "A1:%s%d" % (nc.cell(1, len(head_nc)).column_letter,
                                            nc.max_row), "autofilter after --from")
        # an empty night: listings of a header alone, still filtered and frozen
        empty = book(out, "non_compensable", "2024-02-29")
        ws = empty["Non-compensable"]
        eq(ws.max_row, 1, "no closeout submitted by 2024-02-29")
        eq((ws.freeze_panes, ws.auto_filter.ref[:3]), ("A2", "A1:"), "empty listing")
        check(all(c.value for c in ws[1]), "its header is whole")


main(globals())
