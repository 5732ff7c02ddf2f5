#!/usr/bin/python3
"""t3070 -- SPEC §4 "Reading aids", "Dealer names", "Trend", read from the
workbooks' XML and with openpyxl: number formats per column (#,##0 counts,
#,##0.00 hours, dates), indented text, a wrapped cell with a row tall enough
(customHeight: LibreOffice does not grow rows), page setup (landscape, fit
to width, header/footer with title, as-of and page N of M, the header row
repeated: definedName _xlnm.Print_Titles), the About sheet last with every
code its workbook uses and a real dispatch to trace, dealer names after
each code, and the trend of recorded reports on the unclosed Summary."""
import os
import re
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from xlsx_helpers import (AS_OF, REASONS, CLO_HDR, DIS_HDR, REG_HDR,  # noqa
                          build_night, eq, listing, load, main, report, run,
                          test, workbook_paths, write_csv)

EXCEPTIONS = ["NO_REGISTRATION", "NOT_PROVIDER_OF_RECORD", "WMP_SELECTED",
              "MODEL_MISMATCH", "OVERLAPPING_REGISTRATION"]
STATUSES = ["loaded", "refused", "unreadable", "skipped"]


def setup(tmp):
    db = build_night(tmp)
    out = os.path.join(tmp, "out")
    report(db, out)
    paths = workbook_paths(out)
    return {"tmp": tmp, "db": db, "out": out, "paths": paths,
            "wb": {k: load(v) for k, v in paths.items()}}


def zread(path, name):
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode("utf-8")


def sheet_files(path):
    """{sheet name: its xl/worksheets/sheetN.xml text}, via workbook.xml
    and its relationships."""
    wb = zread(path, "xl/workbook.xml")
    rels = zread(path, "xl/_rels/workbook.xml.rels")
    target = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', rels))
    target.update({a: b for b, a in
                   re.findall(r'Target="([^"]+)"[^>]*Id="(rId\d+)"', rels)})
    out = {}
    for name, rid in re.findall(r'<sheet name="([^"]+)" sheetId="\d+" '
                                r'r:id="(rId\d+)"', wb):
        out[name.replace("&amp;", "&")] = zread(path, "xl/" + target[rid])
    return out


def col_of(ws, name):
    return [c.value for c in ws[1]].index(name)


@test
def test_number_formats_per_column(c):
    styles = zread(c["paths"]["unclosed_calls"], "xl/styles.xml")
    if 'formatCode="#,##0"' not in styles:
        raise AssertionError("no #,##0 number format in styles.xml")
    ws = c["wb"]["unclosed_calls"]["Unclosed calls"]
    for name, fmt in [("Days open", "#,##0"), ("Closeout attempts", "#,##0"),
                      ("Source line", "0"),   # an address, not a count (QA 50)
                      ("Dispatched", "yyyy-mm-dd hh:mm:ss")]:
        cell = ws.cell(row=2, column=col_of(ws, name) + 1)
        eq(cell.number_format, fmt, "Unclosed calls %s format" % name)
    ws = c["wb"]["non_compensable"]["Non-compensable"]
    rows = list(ws.iter_rows(min_row=2))
    hours = [r[col_of(ws, "Labor hours")] for r in rows
             if r[col_of(ws, "Labor hours")].value is not None]
    eq({h.number_format for h in hours}, {"#,##0.00"}, "labor hours #,##0.00 (t7800)")
    eq(rows[0][col_of(ws, "Completed")].number_format, "yyyy-mm-dd",
       "completed is a date")
    # Summary totals carry #,##0 too (13,230, not 13230).
    ws = c["wb"]["unclosed_calls"]["Summary"]
    totals = [r for r in ws.iter_rows(min_row=1) if r[0].value == "Total"]
    eq(totals[0][3].number_format, "#,##0", "Summary total format")
    ws = c["wb"]["audit"]["Run"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=1) if r[0].value}
    eq(rows["Rows read"][1].number_format, "#,##0", "Run counts")


@test
def test_text_indented_numbers_right(c):
    ws = c["wb"]["unclosed_calls"]["Unclosed calls"]
    for name in ("Dispatch ID", "Aging bucket", "Customer", "Source file",
                 "Dispatched"):
        cell = ws.cell(row=2, column=col_of(ws, name) + 1)
        eq((cell.alignment.horizontal, cell.alignment.indent),
           ("left", 1), "%s indented from the left border" % name)
    cell = ws.cell(row=2, column=col_of(ws, "Days open") + 1)
    eq(cell.alignment.indent, 0, "numbers keep the right border")


@test
def test_line_break_wraps_and_row_is_tall(c):
    ws = c["wb"]["unclosed_calls"]["Unclosed calls"]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    cell = rows["X7"][col_of(ws, "Customer")]
    eq(cell.value, "line one\nline two", "X7 customer with its LF")
    eq(cell.alignment.wrap_text, True, "a cell with a line break wraps")
    xml = sheet_files(c["paths"]["unclosed_calls"])["Unclosed calls"]
    m = re.search(r'<row r="%d"[^>]*>' % cell.row, xml)
    if not m or 'customHeight="1"' not in m.group(0) or \
            'ht="30"' not in m.group(0):
        raise AssertionError("row of X7: %r" % (m and m.group(0)))
    other = re.search(r'<row r="2"[^>]*>', xml).group(0)
    if cell.row != 2 and "customHeight" in other:
        raise AssertionError("a one-line row got a height: %r" % other)
    styles = zread(c["paths"]["unclosed_calls"], "xl/styles.xml")
    if 'wrapText="1"' not in styles:
        raise AssertionError("no wrapText in styles.xml")


@test
def test_page_setup_every_sheet(c):
    for key, path in c["paths"].items():
        for name, xml in sheet_files(path).items():
            what = "%s!%s" % (key, name)
            ps = re.search(r"<pageSetup[^>]*/>", xml)
            if not ps or 'orientation="landscape"' not in ps.group(0):
                raise AssertionError("%s: not landscape: %r" % (
                    what, ps and ps.group(0)))
            if 'fitToHeight="0"' not in ps.group(0) or \
                    '<pageSetUpPr fitToPage="1"/>' not in xml:
                raise AssertionError("%s: not fitted to the page width" %
                                     what)
            hf = re.search(r"<headerFooter>(.*?)</headerFooter>", xml)
            if not hf:
                raise AssertionError("%s: no header or footer" % what)
            text = hf.group(1).replace("&amp;", "&")
            for part in ("As of %s" % AS_OF, "&A", "Page &P of &N"):
                if part not in text:
                    raise AssertionError("%s: header/footer lacks %r: %r" % (
                        what, part, text))


@test
def test_print_titles_on_every_listing(c):
    want = {"unclosed_calls": ["Unclosed calls", "Changes"],
            "non_compensable": ["Non-compensable"],
            "audit": ["Rejected rows", "Registration exceptions"]}
    for key, sheets in want.items():
        xml = zread(c["paths"][key], "xl/workbook.xml")
        got = re.findall(r'<definedName name="_xlnm.Print_Titles" '
                         r'localSheetId="\d+">([^<]*)</definedName>', xml)
        for s in sheets:
            if "'%s'!$1:$1" % s not in got and "%s!$1:$1" % s not in got:
                raise AssertionError("%s: no print titles for %s: %r" % (
                    key, s, got))


@test
def test_run_sheet_one_page_wide(c):
    ws = c["wb"]["audit"]["Run"]
    eq(ws.sheet_properties.pageSetUpPr.fitToPage, True, "fit to page")
    eq((ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight), (1, 0),
       "Run one page wide")


def about_text(wb):
    eq(wb.sheetnames[-1], "About", "About is the last sheet")
    return [[v for v in r if v is not None]
            for r in wb["About"].iter_rows(values_only=True)]


@test
def test_about_codes(c):
    want = {"unclosed_calls": ["0-7", "8-14", "15-30", "31-60", "61-90",
                               "91+", "Newly unclosed", "Closed",
                               "Bucket moved",
                               "dispatch cancelled (FILE line N)"],
            "non_compensable": REASONS + ["yes", "no"],
            "audit": EXCEPTIONS + STATUSES + ["registrations",
                                              "dispatches", "closeouts"]}
    for key, codes in want.items():
        rows = about_text(c["wb"][key])
        firsts = [r[0] for r in rows if r]
        for code in codes:
            if code not in firsts:
                raise AssertionError("%s About lacks code %r" % (key, code))
        flat = [str(v) for r in rows for v in r]
        for must in (svctest.book_db(c["db"]), "1.0.0", "svcrecon explain --db"):
            if not any(must in v for v in flat):
                raise AssertionError("%s About lacks %r" % (key, must))
        row = [r for r in rows if r and r[0] == "As of"][0]
        eq(row[1].date().isoformat(), AS_OF, key + " About as-of")


def codes_shown(wb):
    """Every code a workbook shows: the values of its code columns
    (listings and Summary tables, with a header row of the column's name),
    All reasons split at ';', and the aging buckets the audit's Run lists
    in one cell. (The Reason of a rejected row or refused file is prose;
    the Summary's Change table counts Closed by kind under row labels.)"""
    codes = {"Aging bucket", "Status", "Kind", "Exception", "Reason",
             "All reasons", "Change", "New", "Primary reason",
             "Previous bucket", "Bucket"}
    shown = set()
    for ws in wb.worksheets[:-1]:
        cols = codes - ({"Reason"} if ws.title in ("Run", "Rejected rows")
                        else {"Change"} if ws.title == "Summary" else set())
        names = {}
        for row in ws.iter_rows(values_only=True):
            if row and row[0] == "Aging buckets (days open)":
                shown.update(row[1].split(", "))
                continue
            if any(v in cols for v in row):
                names = {i: v for i, v in enumerate(row) if v in cols}
                continue
            for i, name in names.items():
                v = row[i] if i < len(row) else None
                if isinstance(v, str) and v and v != "Total":
                    shown.update(v.split(";") if name == "All reasons"
                                 else [v])
            if not any(v is not None for v in row):
                names = {}
    return shown


@test
def test_about_explains_every_code_shown(c):
    """SPEC §4 Reading aids: About gives the meaning of every code its
    workbook uses -- the audit's Run lists the aging buckets, so its About
    explains them too (qa71), as do the statements'. After an earlier
    report, so that Changes and New (yes/no) show codes as well: a
    statement's Non-compensable has New, and its About did not say it."""
    db = build_night(os.path.join(c["tmp"], "codes"))
    run("report", "--db", db, "--out", os.path.join(c["tmp"], "out-prev"),
        "--as-of", "2026-03-06", "--quiet", check=0)
    out = os.path.join(c["tmp"], "out-codes")
    report(db, out, "--statements")
    paths = dict(workbook_paths(out))
    sdir = os.path.join(out, "statements_" + AS_OF)
    for name in sorted(os.listdir(sdir)):
        paths["statement " + name] = os.path.join(sdir, name)
    for key, path in paths.items():
        wb = load(path)
        shown = codes_shown(wb)
        if not shown:
            raise AssertionError("%s shows no code: the test reads nothing"
                                 % key)
        firsts = {r[0] for r in about_text(wb) if r}
        missing = sorted(shown - firsts)
        if missing:
            raise AssertionError("%s About lacks %r" % (key, missing))
    eq("0-7" in codes_shown(load(paths["audit"])), True,
       "the audit's Run shows the buckets")
    eq({"yes", "no"} <= set().union(*[codes_shown(load(v)) for k, v in
                                      paths.items() if k.startswith("st")]),
       True, "the statements show New")


@test
def test_about_example_is_a_real_row(c):
    for key, sheet, id_col in [("unclosed_calls", "Unclosed calls", 0),
                               ("non_compensable", "Non-compensable", 2),
                               ("audit", "Registration exceptions", 0)]:
        first = [r for r in listing(c["wb"][key][sheet]) if r[id_col]][0]
        rows = about_text(c["wb"][key])
        cmds = [v for r in rows for v in r if isinstance(v, str) and
                v.startswith("svcrecon explain") and "DISPATCH_ID" not in v
                and "FILE:LINE" not in v]
        want = "svcrecon explain %s --as-of %s %s" % (svctest.explain_db(c["db"]),
                                                      AS_OF, first[id_col])
        if want not in cmds:
            raise AssertionError("%s: %r not in %r" % (key, want, cmds))
        # and the example works
        p = run("explain", "--db", c["db"], "--as-of", AS_OF, first[id_col],
                check=0)
        if first[id_col].encode() not in p.stdout:
            raise AssertionError("explain of %s: %r" % (first[id_col],
                                                        p.stdout[:200]))


@test
def test_about_without_rows_says_so(c):
    db = os.path.join(c["tmp"], "empty.db")
    feeds = os.path.join(c["tmp"], "empty")
    os.makedirs(feeds)
    write_csv(os.path.join(feeds, "registrations_e.csv"), REG_HDR, [])
    run("import", "--db", db, "--kind", "registrations", "--quiet",
        os.path.join(feeds, "registrations_e.csv"), check=0)
    out = os.path.join(c["tmp"], "out-empty")
    report(db, out)
    rows = about_text(load(workbook_paths(out)["unclosed_calls"]))
    if ["Example", "This workbook lists no dispatch to trace."] not in rows:
        raise AssertionError("no-example line: %r" % rows[-3:])


@test
def test_about_example_of_an_id_starting_with_a_dash(c):
    """A dispatch id may start with '-' (feed text is verbatim): the About
    sheet's example must still run as written, with '--' before the id
    (without it getopt read '-D1' as options: "unknown option '-D'")."""
    import shlex
    feeds = os.path.join(c["tmp"], "dash")
    os.makedirs(feeds)
    write_csv(os.path.join(feeds, "dispatches_d.csv"), DIS_HDR, [
        ["-D1", "2026-03-01 10:00", "iPF8400S", "SN-1", "P1", "C", "1", "P",
         "OPEN"]])
    db = os.path.join(c["tmp"], "dash.db")
    run("import", "--db", db, "--kind", "dispatches", "--quiet",
        os.path.join(feeds, "dispatches_d.csv"), check=0)
    out = os.path.join(c["tmp"], "out-dash")
    report(db, out)
    rows = about_text(load(workbook_paths(out)["unclosed_calls"]))
    cmds = [v for r in rows for v in r if isinstance(v, str) and
            v.startswith("svcrecon explain --db") and "DISPATCH_ID" not in v
            and "FILE:LINE" not in v]
    want = "svcrecon explain %s --as-of %s -- -D1" % (svctest.explain_db(db), AS_OF)
    if want not in cmds:
        raise AssertionError("%r not in %r" % (want, cmds))
    for cmd in cmds:                    # both examples run as written
        p = run(*shlex.split(cmd)[1:], check=0)
        if b"dispatch '-D1'" not in p.stdout:
            raise AssertionError("%s: %r" % (cmd, p.stdout[:200]))


@test
def test_rows_tall_enough_for_every_line_of_a_value(c):
    """SPEC §4: "a cell holding a line break wraps and its row is tall
    enough to show it". An eight-line customer (short lines, more bytes
    than the column may grow) and a statement's 'To be paid' of five
    reasons, each line wider than its column, got six lines (90 points):
    the last remedies (INCOMPLETE_SECTION2's, the one a dealer can fix)
    were cut off on screen and in print; so was a dealer name of eight
    lines, one of them wider than its column, in the Summary's table by
    provider (QA pass 52)."""
    import openpyxl
    from openpyxl.utils import get_column_letter
    feeds = os.path.join(c["tmp"], "tall")
    os.makedirs(feeds)
    customer = "\n".join("line %d" % i for i in range(1, 9))
    name = "\n".join("name line %d" % i + " long words" * 8 * (i == 3)
                     for i in range(1, 9))
    write_csv(os.path.join(feeds, "registrations_t.csv"), REG_HDR, [
        ["H1", name, "iPF8400S", "Q1", "2026-01-01", "N", ""],
        ["H2", "Two", "iPF8400S", "Q2", "2026-01-01", "N", ""]])
    write_csv(os.path.join(feeds, "dispatches_t.csv"), DIS_HDR, [
        ["T1", "2026-03-01 10:00", "iPF8400S", "Q1", "H1", customer, "1",
         "P", "OPEN"],
        ["T2", "2026-03-02 10:00", "iPF8400S", "Q1", "H1", "c", "1", "P",
         "CANCELLED"]])
    write_csv(os.path.join(feeds, "closeouts_t.csv"), CLO_HDR, [
        ["H2", "2026-03-03 10:00", "T2", "Q2", "", "2026-03-01", "", "1",
         "R", ""]])
    db = os.path.join(c["tmp"], "tall.db")
    for kind in ("registrations", "dispatches", "closeouts"):
        run("import", "--db", db, "--kind", kind, "--quiet",
            os.path.join(feeds, "%s_t.csv" % kind), check=0)
    out = os.path.join(c["tmp"], "out-tall")
    run("report", "--db", db, "--out", out, "--as-of", AS_OF, "--quiet",
        "--statements", check=0)
    book = load(workbook_paths(out)["unclosed_calls"])
    ws = book["Summary"]
    cell = [c for r in ws.iter_rows() for c in r if c.value == name][0]
    height = ws.row_dimensions[cell.row].height or 15
    if height < 15 * 9:          # eight lines, the long one wraps
        raise AssertionError("8-line name in a Summary row of %s points"
                             % height)
    ws = book["Unclosed calls"]
    row = [r for r in ws.iter_rows(min_row=2) if r[0].value == "T1"][0]
    eq(row[col_of(ws, "Customer")].value, customer, "T1's customer")
    height = ws.row_dimensions[row[0].row].height or 15
    if height < 15 * 8:
        raise AssertionError("8-line customer in a row of %s points"
                             % height)
    ws = openpyxl.load_workbook(os.path.join(
        out, "statements_%s" % AS_OF, "H2.xlsx"))["Non-compensable"]
    col = col_of(ws, "To be paid")
    text = ws.cell(row=2, column=col + 1).value
    lines = text.split("\n")
    eq(len(lines), 5, "a remedy for each of the five reasons: %r" % text)
    width = ws.column_dimensions[get_column_letter(col + 1)].width
    # at least its lines, and one more for each wider than the column
    need = len(lines) + sum(1 for ln in lines if len(ln) > width)
    height = ws.row_dimensions[2].height or 15
    if height < 15 * need:
        raise AssertionError("'To be paid' of %d lines or more in a row of "
                             "%s points" % (need, height))


@test
def test_about_rows_as_tall_as_their_lines(c):
    """About's paragraphs wrap in a row as tall as the lines they print,
    not one more: counted in characters (68 to a line of column B, where
    prose prints about 80), a 72-character sentence that prints on one
    line got a row of two, and the "Source" paragraph of five printed
    lines (LibreOffice, PDF) a row of six: a blank line under it."""
    for key in ("unclosed_calls", "non_compensable", "audit"):
        ws = c["wb"][key]["About"]
        rows = {r[0].value: r[0].row for r in ws.iter_rows()
                if r[0].value is not None}
        row = rows["NAME (2), (3) ..."]
        eq(len(ws.cell(row=row, column=2).value), 72, "%s: the sentence"
           % key)
        eq(ws.row_dimensions[row].height, None, "%s: one line, no height"
           % key)
        eq(ws.row_dimensions[rows["Source"]].height, 75.0,
           "%s: Source in five lines" % key)



@test
def test_wrapped_rows_as_tall_as_the_lines_they_print(c):
    """A text wrapped whole (a statement's dealer name wider than its
    column) and the Run sheet's wrapped Reason get a row of the lines they
    print (LibreOffice, PDF), wrapped at spaces by each character's width
    as About's prose: counted a character at a time, the name of four
    printed lines got a row of six (one line more, and one in four), and a
    refusal reason of five lines a row of six."""
    import openpyxl
    feeds = os.path.join(c["tmp"], "wrapped")
    os.makedirs(feeds)
    name = ("Northern Metropolitan Document and Imaging Technologies of "
            "Greater Springfield LLC")
    write_csv(os.path.join(feeds, "registrations_w.csv"), REG_HDR, [
        ["LN1", name, "iPF8400S", "LNS1", "2026-01-01", "N", ""]])
    write_csv(os.path.join(feeds, "dispatches_w.csv"), DIS_HDR, [
        ["LND1", "2026-03-01 10:00", "iPF8400S", "LNS1", "LN1", "c", "1",
         "P", "OPEN"]])
    refused = os.path.join(feeds, "closeouts_w.csv")
    with open(refused, "w") as f:
        f.write("dealer_id,submitted_at,serial_number\nLN1,2026-03-02,LNS1\n")
    db = os.path.join(c["tmp"], "wrapped.db")
    for kind in ("registrations", "dispatches", "closeouts"):
        run("import", "--db", db, "--kind", kind, "--quiet",
            os.path.join(feeds, "%s_w.csv" % kind),
            check=65 if kind == "closeouts" else 0)
    out = os.path.join(c["tmp"], "out-wrapped")
    run("report", "--db", db, "--out", out, "--as-of", AS_OF, "--quiet",
        "--statements", check=0)
    ws = openpyxl.load_workbook(os.path.join(
        out, "statements_%s" % AS_OF, "LN1.xlsx"))["Summary"]
    row = [r[1].row for r in ws.iter_rows() if r[1].value == name][0]
    eq(ws.row_dimensions[row].height, 60.0, "the name in four lines")
    ws = load(workbook_paths(out)["audit"])["Run"]
    row = [r for r in ws.iter_rows() if r[0].value == "closeouts_w.csv"][0]
    hdr = [r for r in ws.iter_rows(values_only=True)
           if r[0] == "File" and r[1] == "Kind"][0]
    reason = row[hdr.index("Reason")].value
    eq(reason.startswith("header lacks required columns 'dispatch_id'"),
       True, "the refusal's reason: %r" % reason)
    eq(ws.row_dimensions[row[0].row].height, 75.0,
       "the reason in five lines")

@test
def test_summary_names_wrap_at_spaces_and_run_sheet_by_width(c):
    """The Summary's provider and dealer names wider than their column wrap
    at spaces (LibreOffice's PDF), and their row is as tall as those lines:
    counted a character at a time, this name of four printed lines (its
    words do not fill their lines) got a row of three, its last word cut
    (fix69). The Run sheet wraps a file name wider than its column in the
    characters' widths, not its bytes: one of capitals under the column's
    36 bytes ran into Kind (cut), one of 19 accented letters (55 bytes)
    that fits was set to wrap."""
    import openpyxl
    feeds = os.path.join(c["tmp"], "wrapnames")
    os.makedirs(feeds)
    name = ("Imaging Office Machines Metropolitan International "
            "Consolidated Metropolitan Document")
    write_csv(os.path.join(feeds, "registrations_n.csv"), REG_HDR, [
        ["WN1", name, "iPF8400S", "WNS1", "2026-01-01", "N", ""],
        ["WN2", "Short Name", "iPF8400S", "WNS2", "2026-01-01", "N", ""]])
    dis = [["WND%d" % i, "2026-03-01 10:00", "iPF8400S", "WNS%d" % i,
            "WN%d" % i, "c", "1", "P", "OPEN"] for i in (1, 2)]
    caps = os.path.join(feeds, "dispatches_" + "W" * 19 + ".csv")
    accented = os.path.join(feeds, "dispatches_" + "\u00e9" * 19 + ".csv")
    write_csv(caps, DIS_HDR, dis[:1])
    write_csv(accented, DIS_HDR, dis[1:])
    write_csv(os.path.join(feeds, "closeouts_n.csv"), CLO_HDR, [
        ["WN%d" % i, "2026-03-02 10:00", "NONE%d" % i, "WNS%d" % i,
         "iPF8400S", "2026-03-02", "T", "1", "R", ""] for i in (1, 2)])
    db = os.path.join(c["tmp"], "wrapnames.db")
    run("import", "--db", db, "--kind", "registrations", "--quiet",
        os.path.join(feeds, "registrations_n.csv"), check=0)
    run("import", "--db", db, "--kind", "dispatches", "--quiet", caps,
        accented, check=0)
    run("import", "--db", db, "--kind", "closeouts", "--quiet",
        os.path.join(feeds, "closeouts_n.csv"), check=0)
    out = os.path.join(c["tmp"], "out-wrapnames")
    report(db, out)
    paths = workbook_paths(out)
    for kind, code in (("unclosed_calls", "WN1"), ("non_compensable", "WN1")):
        ws = load(paths[kind])["Summary"]
        row = [r for r in ws.iter_rows() if r[0].value == code][0]
        eq(row[1].value, name, kind)
        eq(row[1].alignment.wrap_text, True, kind + ": the name wraps")
        eq(ws.row_dimensions[row[0].row].height, 60.0,
           kind + ": the name in four lines")
        row = [r for r in ws.iter_rows() if r[0].value == "WN2"][0]
        eq(ws.row_dimensions[row[0].row].height, None,
           kind + ": a short name, one line")
    ws = openpyxl.load_workbook(paths["audit"])["Run"]
    got = {r[0].value: r[0] for r in ws.iter_rows()
           if isinstance(r[0].value, str) and
           r[0].value.startswith("dispatches_")}
    eq(bool(got[os.path.basename(caps)].alignment.wrap_text), True,
       "capitals wider than the column wrap")
    eq(bool(got[os.path.basename(accented)].alignment.wrap_text), False,
       "19 accented letters fit their column: no wrap")


def names_fixture(tmp):
    """D5 named in three files: 'Old Name' (SN-A), then 'New Name' (SN-B)
    with a blank-named line after it, then SN-B again with a blank name,
    which supersedes 'New Name': the name is the last non-blank one among
    current registrations, 'Old Name'. D6 is named 'Six' then '  '; D8
    'Early' then 'Late' (two machines, both current)."""
    feeds = os.path.join(tmp, "names")
    os.makedirs(feeds)
    f = lambda n: os.path.join(feeds, n)
    write_csv(f("registrations_1.csv"), REG_HDR, [
        ["D5", "Old Name", "iPF8400S", "SN-A", "2025-01-01", "N", ""],
        ["D6", "Six", "iPF8400S", "SN-D", "2025-01-01", "N", ""],
        ["D8", "Early", "iPF8400S", "SN-F", "2025-01-01", "N", ""]])
    write_csv(f("registrations_2.csv"), REG_HDR, [
        ["D5", "New Name", "iPF8400S", "SN-B", "2025-01-01", "N", ""],
        ["D5", "", "iPF8400S", "SN-C", "2025-01-01", "N", ""],
        ["D6", "  ", "iPF8400S", "SN-E", "2025-01-01", "N", ""],
        ["D8", "Late", "iPF8400S", "SN-G", "2025-01-01", "N", ""]])
    write_csv(f("registrations_3.csv"), REG_HDR, [
        ["D5", "", "iPF8400S", "SN-B", "2025-01-01", "N", ""]])
    write_csv(f("dispatches_1.csv"), DIS_HDR, [
        ["N1", "2026-03-01 10:00", "iPF8400S", "SN-A", "D5", "C", "1", "P",
         "OPEN"],
        ["N2", "2026-03-02 10:00", "iPF8400S", "SN-D", "D6", "C", "1", "P",
         "OPEN"],
        ["N3", "2026-03-03 10:00", "iPF8400S", "SN-Z", "D7", "C", "1", "P",
         "OPEN"],
        ["N4", "2026-03-04 10:00", "iPF8400S", "SN-F", "D8", "C", "1", "P",
         "OPEN"]])
    db = os.path.join(tmp, "names.db")
    for kind, files in [("registrations", ["registrations_1.csv",
                                           "registrations_2.csv",
                                           "registrations_3.csv"]),
                        ("dispatches", ["dispatches_1.csv"])]:
        for name in files:
            run("import", "--db", db, "--kind", kind, "--quiet", f(name),
                check=0)
    return db


@test
def test_dealer_names_after_each_code(c):
    db = names_fixture(c["tmp"])
    out = os.path.join(c["tmp"], "out-names")
    report(db, out)
    paths = workbook_paths(out)
    wb = load(paths["unclosed_calls"])
    ws = wb["Unclosed calls"]
    eq([c_.value for c_ in ws[1]][4:6], ["Provider", "Provider name"],
       "name right after the code")
    got = {r[0]: r[5] for r in listing(ws)}
    eq(got, {"N1": "Old Name", "N2": "Six", "N3": None, "N4": "Late"},
       "current registration imported last with a non-blank name")
    prov = [r for r in wb["Summary"].iter_rows(values_only=True)
            if r[0] in ("D5", "D6", "D7")]
    eq(sorted((r[0], r[1]) for r in prov),
       [("D5", "Old Name"), ("D6", "Six"), ("D7", None)],
       "Summary by provider names them too")
    ws = load(paths["audit"])["Registration exceptions"]
    eq([c_.value for c_ in ws[1]][3:5], ["Provider", "Provider name"],
       "exceptions: name after the provider")
    eq({r[4] for r in listing(ws) if r[3] == "D7"}, {None},
       "no registration: blank name")


@test
def test_trend_one_report_then_two(c):
    # One report recorded: a one-row table and a sentence, no trend chart.
    ws = c["wb"]["unclosed_calls"]["Summary"]
    rows = list(ws.iter_rows(values_only=True))
    at = [i for i, r in enumerate(rows) if r[0] == "As of" and
          r[1] == "Unclosed calls"]
    eq(len(at), 1, "one trend table")
    body = rows[at[0] + 1]
    eq(body[0].date().isoformat(), AS_OF, "the trend's one row is A")
    counts = {r[0]: r[3] for r in rows if r[0] in ("0-7", "8-14", "15-30",
                                                   "31-60", "61-90", "91+")}
    eq(list(body[2:8]), [counts[k] for k in ("0-7", "8-14", "15-30",
                                             "31-60", "61-90", "91+")],
       "trend row = the bucket totals")
    eq(body[1], sum(body[2:8]), "trend total")
    if rows[at[0] + 2][0] is not None or not any(
            isinstance(r[0], str) and r[0].startswith("This is the first "
                                                      "report") for r in rows):
        raise AssertionError("no sentence for a one-report trend")
    with zipfile.ZipFile(c["paths"]["unclosed_calls"]) as z:
        eq(len([n for n in z.namelist() if n.startswith("xl/charts/")]), 1,
           "one chart only (buckets)")
    # A later report: two rows, and the trend chart.
    out = os.path.join(c["tmp"], "out-trend")
    run("report", "--db", c["db"], "--out", out, "--as-of", "2026-03-20",
        "--quiet", check=0)
    path = os.path.join(out, "unclosed_calls_2026-03-20.xlsx")
    wb = load(path)
    rows = list(wb["Summary"].iter_rows(values_only=True))
    at = [i for i, r in enumerate(rows) if r[0] == "As of" and
          r[1] == "Unclosed calls"][0]
    eq([r[0].date().isoformat() for r in rows[at + 1:at + 3]],
       [AS_OF, "2026-03-20"], "two reports in the trend, oldest first")
    eq(rows[at + 3][0], None, "nothing more")
    eq(rows[at + 1][1], len(listing(c["wb"]["unclosed_calls"]
                                    ["Unclosed calls"])),
       "A's row from its record")
    eq(rows[at + 2][1], len(listing(wb["Unclosed calls"])),
       "2026-03-20's row from its listing")
    with zipfile.ZipFile(path) as z:
        charts = sorted(n for n in z.namelist()
                        if n.startswith("xl/charts/chart"))
        eq(len(charts), 2, "bucket chart and trend chart")
        xml = z.read(charts[1]).decode()
        if "<c:grouping val=\"stacked\"/>" not in xml or \
                "Summary!$C$" not in xml:
            raise AssertionError("trend chart: %r" % xml[:300])
    check_trend_labels(path, [AS_OF, "2026-03-20"])


def check_trend_labels(path, days):
    """The trend chart's categories (fix79): the as-of dates as ISO text,
    in a hidden column of the Summary, read as text (<c:strRef>) and
    plotted though hidden. On the real dates of column A, libxlsxwriter's
    category axis (<c:auto val="1"/>) became a date axis of the reader's
    own scale: LibreOffice labelled reports as of 2025-12-31 and
    2026-01-18 "2025-01-01" and "2026-01-01"."""
    with zipfile.ZipFile(path) as z:
        name = sorted(n for n in z.namelist()
                      if re.match(r"xl/charts/chart\d+\.xml$", n))[-1]
        xml = z.read(name).decode()
    cats = re.findall(r"<c:cat>(.*?)</c:cat>", xml)
    if not cats or any(not c_.startswith("<c:strRef>") for c_ in cats):
        raise AssertionError("trend categories are not text refs: %r"
                             % cats[:1])
    eq(len(set(cats)), 1, "every series on the same categories")
    if 'formatCode="yyyy-mm-dd"' in xml or \
            '<c:plotVisOnly val="1"/>' in xml:
        raise AssertionError("trend chart: a date format on its axis or "
                             "hidden cells left out")
    refs = re.findall(r"\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", cats[0])
    ws = load(path)["Summary"]
    col = refs[0][0]
    eq(ws.column_dimensions[col].hidden, True, "the labels' column hidden")
    got = []
    for c1, r1, c2, r2 in refs:
        for r in range(int(r1), int(r2) + 1):
            got.append((ws["%s%d" % (col, r)].value, ws["A%d" % r].value))
    eq([t for t, _ in got], days, "the labels: ISO text")
    eq([d.date().isoformat() for _, d in got], days,
       "column A keeps the real dates, row for row")


def long_summaries(tmp, name, n_providers, n_reports):
    """n_providers dealers with an open call each and a non-compensable
    closeout each (no such dispatch), reported on n_reports nights from
    2026-02-01: the unclosed Summary's trend and providers, the
    non-compensable Summary's dealers, as long as wanted. Returns the
    folder of the last night's workbooks."""
    import datetime
    feeds = os.path.join(tmp, name)
    os.makedirs(feeds)
    f = lambda n: os.path.join(feeds, n)
    write_csv(f("registrations_1.csv"), REG_HDR, [
        ["P%03d" % i, "Provider %d" % i, "iPF8400S", "S%d" % i,
         "2025-01-01", "N", ""] for i in range(n_providers)])
    write_csv(f("dispatches_1.csv"), DIS_HDR, [
        ["D%03d" % i, "2026-01-%02d 10:00" % (1 + i % 28), "iPF8400S",
         "S%d" % i, "P%03d" % i, "c", "1", "P", "OPEN"]
        for i in range(n_providers)])
    write_csv(f("closeouts_1.csv"), CLO_HDR, [
        ["P%03d" % i, "2026-01-05 10:00", "Z%03d" % i, "S%d" % i,
         "iPF8400S", "2026-01-04", "T", "1", "R", ""]
        for i in range(n_providers)])
    db = os.path.join(tmp, name + ".db")
    for kind in ("registrations", "dispatches", "closeouts"):
        run("import", "--db", db, "--kind", kind, "--quiet",
            f("%s_1.csv" % kind), check=0)
    out = os.path.join(tmp, "out-" + name)
    for k in range(n_reports):
        day = datetime.date(2026, 2, 1) + datetime.timedelta(days=k)
        run("report", "--db", db, "--out", out, "--as-of", day.isoformat(),
            "--quiet", check=0)
    return out, day.isoformat()


def header_row(ws, first, second):
    return [r[0].row for r in ws.iter_rows()
            if r[0].value == first and r[1].value == second][0]


@test
def test_print_titles_on_long_summary_tables(c):
    """SPEC §4: tables print with their header row on every page. The
    Summary's table by provider or by dealer runs over printed pages from
    row 30 or so. A sheet repeats one range of rows, atop every page after
    it (LibreOffice's PDF), so the header repeated is that of the last
    table, the providers' or the dealers' (README "The workbooks, page by
    page"): with 90 providers, and with 3 providers under a trend of 45
    reports -- its header repeated printed above the providers' page."""
    out, day = long_summaries(c["tmp"], "providers", 90, 3)
    wb = load(os.path.join(out, "unclosed_calls_%s.xlsx" % day))
    ws = wb["Summary"]
    row = header_row(ws, "Provider", "Provider name")
    eq(ws.print_title_rows, "$%d:$%d" % (row, row),
       "90 providers: their header on every page")
    eq(wb["Unclosed calls"].print_title_rows, "$1:$1", "listing still")
    wb = load(os.path.join(out, "non_compensable_%s.xlsx" % day))
    ws = wb["Summary"]
    row = header_row(ws, "Dealer", "Dealer name")
    eq(ws.print_title_rows, "$%d:$%d" % (row, row),
       "90 dealers: their header on every page")
    xml = zread(os.path.join(out, "non_compensable_%s.xlsx" % day),
                "xl/workbook.xml")
    if "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"0\">" \
            "Summary!$%d:$%d</definedName>" % (row, row) not in xml:
        raise AssertionError("no Summary print titles: %r" % xml)
    out, day = long_summaries(c["tmp"], "trend", 3, 45)
    path = os.path.join(out, "unclosed_calls_%s.xlsx" % day)
    ws = load(path)["Summary"]
    row = header_row(ws, "As of", "Unclosed calls")
    prov = header_row(ws, "Provider", "Provider name")
    eq(ws.print_title_rows, "$%d:$%d" % (prov, prov),
       "a trend of 45 reports over 3 providers: the providers' header")
    # The trend's own header: more than a page's rows (about 35) continued
    # on the next page without it. After 30 rows, a page break and the
    # header again; the chart's ranges leave that row out.
    heads = [r[0].row for r in ws.iter_rows()
             if r[0].value == "As of" and r[1].value == "Unclosed calls"]
    eq(heads, [row, row + 31], "the trend's header, again after 30 rows")
    eq(ws.cell(row=row + 30, column=1).value.date().isoformat(),
       "2026-03-02", "30 reports on the trend's first page")
    eq(ws.cell(row=row + 46, column=1).value.date().isoformat(), day,
       "45 reports in the trend")
    breaks = [b.id for b in ws.row_breaks.brk]
    if row + 30 not in breaks:         # brk id: the last row of a page
        raise AssertionError("no page break above the repeated header: %r"
                             % breaks)
    refs = re.findall(r"<c:f>([^<]*)</c:f>", "".join(
        zread(path, n) for n in zipfile.ZipFile(path).namelist()
        if re.match(r"xl/charts/chart\d+\.xml$", n)))
    want = "(Summary!$J$%d:$J$%d,Summary!$J$%d:$J$%d)" % (
        row + 1, row + 30, row + 32, row + 46)   # the labels (fix79)
    if want not in refs:
        raise AssertionError("trend chart categories %s not in %r"
                             % (want, refs))
    import datetime
    check_trend_labels(path, [(datetime.date(2026, 2, 1) +
                               datetime.timedelta(days=k)).isoformat()
                              for k in range(45)])



# ---- charts and printed pages ----------------------------------------------
# Every sheet prints on US Letter (README "Page breaks"), landscape, with
# libxlsxwriter's default margins: 9.6 by 7 inches of paper, 921.6 pixels
# by 504 points at 100%. Fitted to the page width, a sheet shrinks to its
# columns' width (Excel: the cells written) and never grows. The checks
# below compute a Summary's pages from the workbook alone: the row breaks,
# the rows' heights as written (15 points, the 14-point title 18.75) and
# the columns' widths in pixels, and say where each chart ends.

LETTER_PX, LETTER_PT, CHART_PT = (11 - 2 * 0.7) * 96, (8.5 - 2 * 0.75) * 72, 216


def page_points(ws):
    """The height of one printed page of ws, in points of the sheet."""
    widths = {}
    for d in ws.column_dimensions.values():
        if d.width:
            for k in range(d.min, d.max + 1):
                widths[k] = 0 if d.hidden else d.width   # not printed
    px = sum(round(widths.get(k, 8.43) * 7)
             for k in range(1, ws.max_column + 1))
    return LETTER_PT / min(1, LETTER_PX / px)


def row_points(ws, r0):
    """The height of 0-based row r0."""
    h = ws.row_dimensions[r0 + 1].height
    if h:
        return h
    return 18.75 if r0 == 0 else 15


def straddling_charts(ws):
    """[(chart's row, page's first row, points used, page)] for each chart
    of ws that does not end on the printed page it starts on."""
    starts = sorted({0} | {b.id for b in ws.row_breaks.brk})
    room = page_points(ws)
    bad = []
    for ch in ws._charts:
        r = ch.anchor._from.row                     # 0-based
        top = max(s for s in starts if s <= r)
        used = sum(row_points(ws, k) for k in range(top, r)) + CHART_PT
        if used > room:
            bad.append((r, top, round(used, 2), round(room, 2)))
    return bad


def check_pages(path, what, n_charts=None):
    """Every sheet of the workbook at path on Letter; no chart of its
    Summary across a page break. Returns the Summary."""
    wb = load(path)
    for ws in wb.worksheets:
        eq(ws.page_setup.paperSize, 1, "%s!%s: paper" % (what, ws.title))
    ws = wb["Summary"]
    if n_charts is not None:
        eq(len(ws._charts), n_charts, "%s: charts on the Summary" % what)
    eq(straddling_charts(ws), [], "%s: a chart across a page break "
       "(chart's row, page's first row, points, page)" % what)
    return ws


@test
def test_every_sheet_on_letter_and_no_chart_across_a_page(c):
    """README "Page breaks" (fix73): every sheet of every workbook sets
    US Letter, and no chart of a Summary straddles a printed page. The
    sample's night 2 (a previous report: the Change table) put the aging
    chart's foot, "Days open", on page 2 (seen on A4 in LibreOffice; on
    Letter, Excel's page holds about 537 points and the chart ended at
    550). The bucket table and its chart now start page 2 together."""
    import shutil
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    db = os.path.join(c["tmp"], "pages-sample.db")
    for night in ("2026-03-11", "2026-03-12"):
        inbox = os.path.join(c["tmp"], "pages-inbox-" + night)
        os.makedirs(inbox)
        for kind in ("registrations", "dispatches", "closeouts"):
            shutil.copy(os.path.join(root, "sample-data", "inbox",
                                     "%s_%s.csv" % (kind, night)), inbox)
        out = os.path.join(c["tmp"], "pages-out-" + night)
        run("run", "--db", db, "--inbox", inbox, "--out", out, "--as-of",
            night, "--statements", "--quiet", check=0)
        ws = check_pages(os.path.join(out, "unclosed_calls_%s.xlsx" % night),
                         "unclosed " + night,
                         1 if night == "2026-03-11" else 2)  # trend of 1
        head = header_row(ws, "Aging bucket", "Days open from")
        breaks = [b.id for b in ws.row_breaks.brk]  # a page's last row
        eq(head - 1 in breaks, night == "2026-03-12",
           "%s: the bucket table and its chart start page 2: %r"
           % (night, breaks))
        check_pages(os.path.join(out, "non_compensable_%s.xlsx" % night),
                    "non-compensable " + night, 1)
        folder = os.path.join(out, "statements_" + night)
        names = sorted(os.listdir(folder))
        if len(names) < 5:
            raise AssertionError("statements: %r" % names)
        for name in names:
            check_pages(os.path.join(folder, name), name)
    # Custom buckets (12 columns: the page shrinks) and --from (a row
    # more above the chart), on a night with a previous report.
    for buckets in ("7", "1,2,3,4,5,6,7,8,9,10,11"):
        out = os.path.join(c["tmp"], "pages-buckets-" + buckets[-1])
        run("report", "--db", db, "--out", out, "--as-of", "2026-03-13",
            "--from", "2026-03-01", "--buckets", buckets, "--quiet",
            check=0)
        check_pages(os.path.join(out, "unclosed_calls_2026-03-13.xlsx"),
                    "unclosed, buckets " + buckets, 2)
        check_pages(os.path.join(out, "non_compensable_2026-03-13.xlsx"),
                    "non-compensable, buckets " + buckets, 1)


@test
def test_trend_chart_under_its_table_when_the_page_holds_it(c):
    """README "Trend": the trend's chart starts a page only when it does
    not fit under the table. The page is US Letter landscape (set on every
    sheet, fix73), default margins, fitted to the width of the providers'
    table (983 pixels with the default buckets: 94%, 537 points); the
    chart is 216 points (288 pixels). Title, header, 18 reports and a
    blank row (315 points) and the chart fit; 19 do not (on the page
    after 30 reports, without the title: 49 fit, 50 do not). Counted as a
    page of 32 rows and a chart of 16, 13 reports already put the chart
    on a page of its own under a third of a page (fix69); with no paper
    set, the smaller page, A4's, moved it from 16 reports. Whatever the
    length (1, 15, 16, 18, 19, 31, 49, 50 reports), no chart of the
    Summary straddles a printed page (check_pages())."""
    for n, own_page in ((1, None), (15, False), (16, False), (18, False),
                        (19, True), (31, False), (49, False), (50, True)):
        out, day = long_summaries(c["tmp"], "trend%d" % n, 3, n)
        path = os.path.join(out, "unclosed_calls_%s.xlsx" % day)
        ws = check_pages(path, "a trend of %d" % n, 1 if n == 1 else 2)
        head = header_row(ws, "As of", "Unclosed calls")
        breaks = [b.id for b in ws.row_breaks.brk]  # a page's last row
        eq(head - 2 in breaks, True, "the trend starts a page: %r" % breaks)
        if own_page is None:
            continue
        last = head + n + (1 if n > 30 else 0)   # the header again
        eq(ws.cell(row=last, column=1).value.date().isoformat(), day,
           "%d reports, the last" % n)
        eq(last + 1 in breaks, own_page,
           "%d reports: the chart on a page of its own: %r" % (n, breaks))


def about_pages(ws):
    """The printed pages of an About sheet as Excel makes them: a page of
    page_points(ws) (Letter, fitted to the columns written), a new page
    after each manual break or when the next row does not fit. Returns
    ({0-based row: page}, the page room, the automatic breaks' rows)."""
    room = page_points(ws)
    manual = {b.id for b in ws.row_breaks.brk}     # a page's last row
    page, used, auto, at = 0, 0.0, [], {}
    for r in range(ws.max_row):
        h = row_points(ws, r)
        if ws.cell(row=r + 1, column=1).font.sz == 14 and \
                not ws.row_dimensions[r + 1].height:
            h = 18.75
        if r in manual:                             # after row r (1-based)
            page, used = page + 1, 0.0
        elif used and used + h > room:
            page, used = page + 1, 0.0
            auto.append(r + 1)
        at[r] = page
        used += h
    return at, room, auto


def about_blocks(ws):
    """[(title, first row, last row)], 0-based: each table of codes (its
    title, the Code header under it, its rows up to a blank row) and the
    "Tracing a row" section (to the sheet's end)."""
    vals = [ws.cell(row=r + 1, column=1).value for r in range(ws.max_row)]
    blocks = []
    for r, v in enumerate(vals):
        if r + 1 < len(vals) and vals[r + 1] == "Code" and v:
            end = r + 2
            while end + 1 < len(vals) and any(
                    ws.cell(row=end + 2, column=k).value is not None
                    for k in (1, 2, 3)):
                end += 1
            blocks.append((v, r, end))
        if v == "Tracing a row":
            blocks.append((v, r, len(vals) - 1))
    return blocks


@test
def test_about_tables_never_split_across_pages(c):
    """fix79: an About sheet's table of codes (title, header, rows) and
    its "Tracing a row" section print on one page: a manual page break
    goes before one that does not fit on the rest of the page. Every
    page break is manual, none left to the reader (each page holds at
    most what the smallest reader's page holds: Excel's, fitted to the
    columns written). Seen in LibreOffice before: the audit's
    "Registration exceptions (Exception)" title and header at the foot of
    page 4, its rows on page 5 without them; the unclosed workbook's
    "Tracing a row" alone at a page's foot. The fixture night, with
    --from (column C written: a smaller print) and --statements."""
    out = os.path.join(c["tmp"], "out-about-pages")
    report(c["db"], out, "--from", "2026-03-01", "--statements")
    books = [(k, v) for k, v in c["paths"].items()] + \
        [(k + " --from", v) for k, v in workbook_paths(out).items()]
    folder = os.path.join(out, "statements_" + AS_OF)
    books += [(n, os.path.join(folder, n)) for n in sorted(os.listdir(folder))]
    for what, path in books:
        ws = load(path)["About"]
        at, room, auto = about_pages(ws)
        blocks = about_blocks(ws)
        if len(blocks) < 3:
            raise AssertionError("%s: About's tables not found: %r"
                                 % (what, blocks))
        eq(auto, [], "%s: About's page breaks left to the reader (rows)"
           % what)
        for title, first, last in blocks:
            tall = sum(row_points(ws, r) for r in range(first, last + 1))
            if tall <= room and at[first] != at[last]:
                raise AssertionError(
                    "%s: About's %r (rows %d-%d, %.0f points) split over "
                    "pages %d and %d (breaks %r)" % (
                        what, title, first + 1, last + 1, tall, at[first],
                        at[last], [b.id for b in ws.row_breaks.brk]))


@test
def test_print_titles_on_a_long_run_sheet(c):
    """The audit's Run sheet lists the night's files, then warnings: a
    night of 60 files runs over printed pages, and the files' header
    repeats on each (one range of rows a sheet, as on the Summary)."""
    feeds = os.path.join(c["tmp"], "many-files")
    os.makedirs(feeds)
    db = os.path.join(c["tmp"], "many-files.db")
    paths = []
    for i in range(60):
        path = os.path.join(feeds, "dispatches_%02d.csv" % i)
        write_csv(path, DIS_HDR, [
            ["M%02d" % i, "2026-03-01 10:00", "iPF8400S", "S%d" % i, "P1",
             "c", "1", "P", "OPEN"]])
        paths.append(path)
    run("import", "--db", db, "--kind", "dispatches", "--quiet", *paths,
        check=0)
    out = os.path.join(c["tmp"], "out-many-files")
    report(db, out)
    path = workbook_paths(out)["audit"]
    ws = load(path)["Run"]
    row = header_row(ws, "File", "Kind")
    eq(len([r for r in ws.iter_rows(min_row=row + 1, values_only=True)
            if isinstance(r[0], str) and r[0].startswith("dispatches_")]),
       60, "60 files listed")
    eq(ws.print_title_rows, "$%d:$%d" % (row, row),
       "the files' header on every page")


@test
def test_change_counts_hang_from_the_top(c):
    """SPEC §4 reading aids, nothing out of line: every cell hangs from the
    top of its row (reports/sheet.c). The Summary's Change table wrote its
    "Closed" parts ("by a closeout", "cancelled", "no longer listed
    otherwise") in a format of their own, indented but at the foot of the
    row, lower than their counts (seen in LibreOffice's PDF)."""
    out, day = long_summaries(c["tmp"], "changes", 2, 2)
    ws = load(os.path.join(out, "unclosed_calls_%s.xlsx" % day))["Summary"]
    top = header_row(ws, "Change", "Calls")
    labels = ["Newly unclosed", "Closed", "by a closeout", "cancelled",
              "no longer listed otherwise", "Bucket moved"]
    eq([ws.cell(row=top + 1 + k, column=1).value for k in range(6)], labels,
       "the Change table")
    for k, label in enumerate(labels):
        for col in (1, 2):
            cell = ws.cell(row=top + 1 + k, column=col)
            eq(cell.alignment.vertical, "top", "%s, column %d" % (label, col))
        if label in labels[2:5]:
            eq(ws.cell(row=top + 1 + k, column=1).alignment.indent, 1,
               label + " indented under Closed")


if __name__ == "__main__":
    main(setup)
