#!/usr/bin/python3
"""t3010-text-safety.py -- SPEC §4: feed text reaches the workbooks as text,
verbatim as far as XML allows, and never breaks a file.

Checked with openpyxl 3.0.9 (which decodes no _xHHHH_ escape):
  * formula-like values come back verbatim as strings, in cells formatted
    as text ("@"), and no cell is a formula;
  * text that looks like an OOXML escape (_x0041_) comes back verbatim
    (written as rich-string runs split after the underscore);
  * a control character is carried as libxlsxwriter's _x0001_ escape (what
    Excel and LibreOffice decode; openpyxl shows the escape), TAB as is;
  * CR LF inside a quoted field becomes LF (the database keeps CR LF);
  * U+FFFE (valid UTF-8, not an XML character) and bad UTF-8 bytes in a raw
    record are shown as \\xNN instead of breaking the file;
  * a 40,000-byte field (in the raw record of a rejected row) is cut under
    32,767 characters with a visible marker, counted on the Run sheet and in
    the --summary JSON; the database keeps it whole.
Last line: "N passed, N failed".
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402  (svctest.connect: SQLite or PostgreSQL)
from xlsx_helpers import (AS_OF, BIG_FIELD_BYTES, ESCAPE_LIKE,  # noqa: E402
                          FORMULA_LIKE, build_night, eq, listing, load, main,
                          report, sheet_xml, test, workbook_paths)


def setup(tmp):
    db = build_night(tmp)
    out = os.path.join(tmp, "out")
    summary = os.path.join(tmp, "summary.json")
    report(db, out, "--summary", summary)
    paths = workbook_paths(out)
    wb = {k: load(v) for k, v in paths.items()}
    customers = {r[0]: r[8] for r in listing(wb["unclosed_calls"]
                                             ["Unclosed calls"])}
    cells = {r[0].value: r for r in wb["unclosed_calls"]["Unclosed calls"]
             .iter_rows(min_row=2)}
    with open(summary) as f:
        js = json.load(f)
    return {"db": db, "paths": paths, "wb": wb, "customers": customers,
            "cells": cells, "summary": js}


@test
def test_formula_like_values_verbatim(c):
    got = [c["customers"][k] for k in ("X1", "X2", "X4")]
    eq(got, [FORMULA_LIKE[0], FORMULA_LIKE[1], FORMULA_LIKE[3]],
       "customers X1 X2 X4")
    for k in ("X1", "X2", "X4"):
        cell = c["cells"][k][8]
        eq((cell.data_type, cell.number_format), ("s", "@"),
           "%s customer cell type and format" % k)


@test
def test_formula_like_serial_in_noncompensable(c):
    ws = c["wb"]["non_compensable"]["Non-compensable"]
    cells = [r for r in ws.iter_rows(min_row=2) if r[11].value == 5]
    eq(len(cells), 1, "closeout of line 5")
    cell = cells[0][3]
    eq((cell.value, cell.data_type, cell.number_format),
       (FORMULA_LIKE[2], "s", "@"), "serial number")


@test
def test_formula_like_values_are_inline_strings(c):
    xml = b"".join(sheet_xml(c["paths"]["unclosed_calls"]).values())
    for v in (FORMULA_LIKE[0], FORMULA_LIKE[1], FORMULA_LIKE[3]):
        esc = v.replace("&", "&amp;").replace("<", "&lt;").replace(
            ">", "&gt;").encode()
        if b't="inlineStr"><is><t>' + esc + b"</t></is>" not in xml:
            raise AssertionError("%r is not an inline string" % v)


@test
def test_escape_like_text_verbatim(c):
    eq(c["customers"]["X5"], ESCAPE_LIKE, "X5 customer")
    eq(c["cells"]["X5"][7].data_type, "s", "X5 cell type")


NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def excel_strings(path, sheet_part, col):
    """{row number: text} of the inline strings of a column, decoded the
    way Excel reads them: _xHHHH_ escapes are decoded within each <t>
    element (each rich-text run), and the runs are joined."""
    with __import__("zipfile").ZipFile(path) as z:
        root = ET.fromstring(z.read(sheet_part))
    out = {}
    for cell in root.iter(NS + "c"):
        m = re.fullmatch(r"([A-Z]+)(\d+)", cell.get("r"))
        if m.group(1) != col or cell.get("t") != "inlineStr":
            continue
        runs = [re.sub(r"_x([0-9A-Fa-f]{4})_",
                       lambda h: chr(int(h.group(1), 16)), t.text or "")
                for t in cell.iter(NS + "t")]
        out[int(m.group(2))] = "".join(runs)
    return out


@test
def test_excel_reading_gives_the_values_back(c):
    # sheet2.xml is the listing (Summary is sheet1); column I = Customer
    got = excel_strings(c["paths"]["unclosed_calls"],
                        "xl/worksheets/sheet2.xml", "I")
    rows = {r[0].value: r[0].row for r in c["wb"]["unclosed_calls"]
            ["Unclosed calls"].iter_rows(min_row=2)}
    eq(got[rows["X5"]], ESCAPE_LIKE, "X5 as Excel decodes it")
    eq(got[rows["X6"]], "ctrl\x01char\ttab", "X6 as Excel decodes it")
    eq(got[rows["X1"]], FORMULA_LIKE[0], "X1 as Excel decodes it")


@test
def test_control_character_and_tab(c):
    eq(c["customers"]["X6"], "ctrl_x0001_char\ttab", "X6 customer")


@test
def test_crlf_in_field_becomes_lf(c):
    eq(c["customers"]["X7"], "line one\nline two", "X7 customer")
    con = svctest.connect(c["db"])
    eq(con.execute("SELECT customer_name FROM dispatch WHERE dispatch_id = "
                   "'X7'").fetchone()[0], "line one\r\nline two",
       "database keeps CR LF")


@test
def test_noncharacter_shown_escaped(c):
    eq(c["customers"]["X10"], "noncharacter \\xEF\\xBF\\xBE here",
       "X10 customer")


@test
def test_bad_utf8_in_raw_record_shown_escaped(c):
    rows = {(r[0], r[1]): r for r in listing(c["wb"]["audit"]
                                             ["Rejected rows"])}
    raw = rows[("dispatches_1.csv", 14)][3]
    eq(raw, "X12,2026-03-01 08:00,iPF8400S,SN-1,D1,Caf\\xE9 Tacuba,1,P,"
       "OPEN,a", "raw record with a bad byte")


@test
def test_big_field_cut_with_marker(c):
    rows = {(r[0], r[1]): r for r in listing(c["wb"]["audit"]
                                             ["Rejected rows"])}
    r = rows[("dispatches_1.csv", 13)]
    if "40000 bytes" not in r[2]:
        raise AssertionError("reason: %r" % r[2])
    raw = r[3]
    if not 32000 <= len(raw) <= 32767:
        raise AssertionError("cut raw record has %d characters" % len(raw))
    con = svctest.connect(c["db"])
    full = con.execute("SELECT raw FROM rejected_row WHERE line = 13"
                       ).fetchone()[0]
    if isinstance(full, bytes):
        full = full.decode()
    marker = ("\u2026[cut at 32,767 characters; the full value of %d bytes "
              "is in the database]" % len(full))
    if not raw.endswith(marker):
        raise AssertionError("no marker at the end: %r" % raw[-120:])
    prefix = raw[:-len(marker) - 1]
    if not full.startswith(prefix):
        raise AssertionError("cut value is not a prefix of the record")
    if len(full) <= BIG_FIELD_BYTES:
        raise AssertionError("database does not keep the whole record")


@test
def test_cut_counted_on_run_sheet_and_summary(c):
    kv = {r[0]: r for r in c["wb"]["audit"]["Run"].iter_rows(
        values_only=True) if r[0]}
    row = kv["Text cells cut at 32,767 characters"]
    eq(row[1], 1, "cut cells on the Run sheet")
    if "audit 1" not in row[2]:
        raise AssertionError("per-workbook counts: %r" % row[2])
    eq(c["summary"]["reports"]["cut_cells"], 1, "cut_cells in the summary")


@test
def test_no_formula_and_all_text_cells_are_strings(c):
    for key, wb in c["wb"].items():
        for ws in wb:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        raise AssertionError("%s!%s formula" % (
                            ws.title, cell.coordinate))
                    if isinstance(cell.value, str) and \
                            cell.value.startswith(("=", "+", "@")) and \
                            cell.data_type != "s":
                        raise AssertionError("%s!%s not a string" % (
                            ws.title, cell.coordinate))


@test
def test_as_of_in_file_names():
    eq(sorted(os.path.basename(p) for p in workbook_paths("x").values()),
       sorted(["unclosed_calls_%s.xlsx" % AS_OF,
               "non_compensable_%s.xlsx" % AS_OF, "audit_%s.xlsx" % AS_OF]),
       "names")


if __name__ == "__main__":
    main(setup)
