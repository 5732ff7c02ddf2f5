#!/usr/bin/python3
"""overflow.py -- slow check (not in the normal suite): a listing longer
than Excel's 1,048,576 rows continues on "NAME (2)" (SPEC §4), and memory
stays flat (constant_memory).

Writes a dispatches feed of N = 1,100,000 open calls (default; argument 1
overrides) with no registrations and no closeouts, so that both the
unclosed calls and the registration exceptions (NO_REGISTRATION for every
dispatch) overflow; imports it, reports it, and checks from the sheet XML
(streamed: openpyxl would take minutes): sheet names and order, 1,048,575
data rows on the first part and the rest on the second, a header, frozen
pane and autofilter on each part, the order continuing across parts, and
the Summary total. Prints the import and report times and the report's
peak RSS (the issue's limit: 64 MB).
Usage: SVCRECON=./svcrecon /usr/bin/python3 tests/slow/overflow.py [N]
Last line: "N passed, N failed".
"""
import datetime
import os
import re
import resource
import subprocess
import sys
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from xlsx_helpers import (DIS_HDR, SVCRECON, UNCLOSED_HEADERS,  # noqa: E402
                          eq, main, test, workbook_paths)

N = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else \
    1100000
if len(sys.argv) > 1 and sys.argv[1].isdigit():
    del sys.argv[1]
AS_OF = "2026-03-12"
PART = 1048575
MAX_RSS_MB = 64


def timed(cmd):
    """Runs cmd; returns (seconds, peak RSS of the child in MB)."""
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.execv(cmd[0], cmd)
    _, status, ru = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise AssertionError("%s exited %d" % (
            " ".join(cmd), os.waitstatus_to_exitcode(status)))
    return time.monotonic() - t0, ru.ru_maxrss / 1024.0


def setup(tmp):
    feed = os.path.join(tmp, "dispatches.csv")
    start = datetime.datetime(2025, 1, 1)
    span = 400 * 86400
    with open(feed, "w") as f:
        f.write(",".join(DIS_HDR) + "\n")
        for i in range(N):
            t = start + datetime.timedelta(seconds=i * span // N)
            f.write("Q%07d,%s,iPF8400S,SN%07d,D%03d,Customer %d,10001,P1,"
                    "OPEN\n" % (i, t.strftime("%Y-%m-%d %H:%M:%S"), i,
                                i % 500, i % 997))
    db = os.path.join(tmp, "big.db")
    out = os.path.join(tmp, "out")
    t_import, rss_import = timed([SVCRECON, "import", "--db", db, "--kind",
                                  "dispatches", "--quiet", feed])
    t_report, rss_report = timed([SVCRECON, "report", "--db", db, "--out",
                                  out, "--as-of", AS_OF, "--quiet"])
    print("N=%d: import %.1f s (%.1f MB), report %.1f s (peak RSS %.1f MB)"
          % (N, t_import, rss_import, t_report, rss_report))
    sizes = {k: os.path.getsize(p) for k, p in workbook_paths(out).items()}
    print("workbook sizes: %s" % sizes)
    return {"paths": workbook_paths(out), "rss": rss_report}


def sheets(path):
    """[(sheet name, part name)] in workbook order."""
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    target = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"', rels))
    target.update({i: t for t, i in re.findall(
        r'Target="([^"]+)"[^>]*Id="(rId\d+)"', rels)})
    return [(name, "xl/" + target[rid]) for name, rid in re.findall(
        r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"', wb)]


def scan(path, part):
    """Streams a worksheet part: row count, first and last rows' first cell
    text, the pane's top-left cell, the autofilter ref, the header cells."""
    info = {"rows": 0, "pane": None, "filter": None}
    first_cells = []
    tail = b""
    with zipfile.ZipFile(path) as z, z.open(part) as f:
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            buf = tail + chunk
            info["rows"] += buf.count(b"<row ") - tail.count(b"<row ")
            if len(first_cells) < 3:
                first_cells = re.findall(rb'<row r="(\d+)"[^>]*>.*?<t>([^<]*)'
                                         rb"</t>", buf[:200000])[:3]
                if "header" not in info:
                    m = re.search(rb'<row r="1"[^>]*>(.*?)</row>', buf)
                    if m:
                        info["header"] = [x.decode() for x in re.findall(
                            rb"<t>([^<]*)</t>", m.group(1))]
            tail = buf[-300000:]
        m = re.search(rb'<pane [^>]*topLeftCell="([A-Z]+\d+)"', tail)
        info["pane"] = m and m.group(1).decode()
        m = re.search(rb'<autoFilter ref="([^"]+)"', tail)
        info["filter"] = m and m.group(1).decode()
        rows = re.findall(rb'<row r="(\d+)"[^>]*><c r="A\d+"[^>]*'
                          rb't="inlineStr"><is><t>([^<]*)</t>', tail)
        info["last_id"] = rows[-1][1].decode() if rows else None
    info["first_id"] = first_cells[1][1].decode() if len(first_cells) > 1 \
        else None
    with zipfile.ZipFile(path) as z, z.open(part) as f:
        head = f.read(4000)
        m = re.search(rb'<pane [^>]*topLeftCell="([A-Z]+\d+)"', head)
        info["pane"] = info["pane"] or (m and m.group(1).decode())
    return info


def check_parts(path, name, want_header):
    names = sheets(path)
    parts = [p for n, p in names if n == name or n.startswith(name + " (")]
    eq([n for n, _ in names if n == name or n.startswith(name + " (")],
       [name, name + " (2)"], "parts of " + name)
    a, b = scan(path, parts[0]), scan(path, parts[1])
    eq(a["rows"] - 1, PART, name + " data rows on part 1")
    eq(b["rows"] - 1, N - PART, name + " data rows on part 2")
    for i, x in enumerate((a, b), 1):
        eq(x["header"][:len(want_header)], want_header,
           "%s part %d header" % (name, i))
        eq(x["pane"], "A2", "%s part %d frozen" % (name, i))
    # The autofilter spans the whole header (more columns may follow the
    # required ones: Provider name, Source SHA-256).
    last = chr(ord("A") + len(a["header"]) - 1)
    eq(b["header"], a["header"], name + " part 2 header whole")
    eq(a["filter"], "A1:%s%d" % (last, PART + 1), name + " filter 1")
    eq(b["filter"], "A1:%s%d" % (last, N - PART + 1), name + " filter 2")
    if not a["last_id"] < b["first_id"]:
        raise AssertionError("order does not continue: %r then %r" % (
            a["last_id"], b["first_id"]))
    return names


@test
def test_unclosed_overflows_to_part_2(c):
    names = check_parts(c["paths"]["unclosed_calls"], "Unclosed calls",
                        UNCLOSED_HEADERS)
    eq([n for n, _ in names], ["Summary", "Unclosed calls",
                               "Unclosed calls (2)", "Changes", "About"],
       "sheet order")


@test
def test_registration_exceptions_overflow_in_order(c):
    names = check_parts(c["paths"]["audit"], "Registration exceptions",
                        ["Dispatch ID", "Dispatched"])
    eq([n for n, _ in names], ["Run", "Rejected rows",
                               "Registration exceptions",
                               "Registration exceptions (2)", "About"],
       "sheet order")


@test
def test_summary_total(c):
    with zipfile.ZipFile(c["paths"]["unclosed_calls"]) as z:
        xml = z.read(sheets(c["paths"]["unclosed_calls"])[0][1]).decode()
    # row 3 names the previous report (none here), row 4 the total
    m = re.search(r"<c r=\"B4\"[^>]*><v>(\d+)</v>", xml)
    eq(m and int(m.group(1)), N, "Summary: unclosed calls")


@test
def test_peak_rss_flat(c):
    if c["rss"] > MAX_RSS_MB:
        raise AssertionError("peak RSS %.1f MB > %d MB" % (c["rss"],
                                                           MAX_RSS_MB))


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main(setup)
