"""xlsx_helpers.py -- shared by the workbook tests tests/e2e/t3*.py (SPEC §4).

Not a test itself (tests/run-all runs tests/e2e/t*.py only). Gives:
  * SVCRECON: the binary under test (env SVCRECON, default ./svcrecon;
    tests/run-all points it at a valgrind wrapper under VALGRIND=1);
  * build_night(): a tiny hand-made night of feeds, with the awkward values
    the workbooks must carry (formula-like text, _x0041_, a control
    character, CR LF in a quoted field, a 40,000-byte field, bad UTF-8, a
    refused file, an unknown column), imported into a fresh database;
  * db_counts(): the rows each listing must have, computed by running the
    rule SQL (schemas/r*.sql) on a separate connection;
  * same_cells(): two output folders hold the same workbooks cell for cell
    (but for the database's name), read streaming: the PostgreSQL tests
    t0210, t0220 compare SQLite's workbooks with PostgreSQL's;
  * a tiny runner: @test functions, then the line "N passed, N failed" and
    exit status 1 on any failure.
Run with Debian's interpreter: /usr/bin/python3 (python3-openpyxl 3.0.9).
"""
import datetime
import glob
import hashlib
import itertools
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import traceback
import warnings
import zipfile

import openpyxl

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SCHEMAS = os.path.join(ROOT, "schemas")
sys.path.insert(0, HERE)
import svctest  # noqa: E402
from svctest import rule_files_in_order  # noqa: E402
AS_OF = "2026-03-12"
EPOCH = datetime.date(1970, 1, 1)


def _binary():
    path = os.environ.get("SVCRECON", "./svcrecon")
    if not os.path.exists(path) and not os.path.isabs(path):
        path = os.path.join(ROOT, path)
    return os.path.abspath(path)


SVCRECON = _binary()

UNCLOSED_HEADERS = ["Dispatch ID", "Dispatched", "Days open", "Aging bucket",
                    "Provider", "Provider name", "Model", "Serial number",
                    "Customer",
                    "Closeout attempts", "Source file", "Source line"]
NONCOMP_HEADERS = ["Dealer", "Dealer name", "Dispatch ID", "Serial number", "Submitted",
                   "Completed", "Labor hours", "Reason", "All reasons",
                   "Detail", "Source file", "Source line"]
REJECTED_HEADERS = ["File", "Line", "Reason", "Raw record"]
REGEXC_HEADERS = ["Dispatch ID", "Dispatched", "Serial number", "Provider",
                  "Provider name", "Exception", "Detail"]
RUN_FILE_HEADERS = ["File", "Kind", "SHA-256", "Rows read", "Loaded",
                    "Rejected", "Status"]
REASONS = ["NO_DISPATCH", "DISPATCH_CANCELLED", "PROVIDER_MISMATCH",
           "SERIAL_MISMATCH", "SERVICE_BEFORE_DISPATCH",
           "INCOMPLETE_SECTION2", "DUPLICATE_CLOSEOUT"]
BUCKETS = [(1, 0, 7, "0-7"), (2, 8, 14, "8-14"), (3, 15, 30, "15-30"),
           (4, 31, 60, "31-60"), (5, 61, 90, "61-90"), (6, 91, None, "91+")]

# Values that must come back verbatim, as text (SPEC §4).
FORMULA_LIKE = ['=HYPERLINK("http://x")', "+1-800", "-2+3", "@SUM(A1)"]
ESCAPE_LIKE = "_x0041_ and _x005F_x0042_"
BIG_FIELD_BYTES = 40000


# ---- running svcrecon -------------------------------------------------------

def run(*args, env=None, check=None):
    """Runs svcrecon with args; returns CompletedProcess (bytes output).
    check: the expected exit status (assertion with stderr on mismatch)."""
    cmd = [SVCRECON] + svctest.cmd(*args)[1:]   # --db: a schema on PostgreSQL
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=full_env)
    if check is not None and p.returncode != check:
        raise AssertionError("%s exited %d, expected %d\nstderr:\n%s" % (
            " ".join(cmd), p.returncode, check,
            p.stderr.decode("utf-8", "replace")[-3000:]))
    return p


def report(db, out, *extra, check=0, env=None):
    return run("report", "--db", db, "--out", out, "--as-of", AS_OF,
               "--quiet", *extra, check=check, env=env)


# ---- the fixture night ------------------------------------------------------

def _csv_field(v):
    if isinstance(v, str):
        v = v.encode("utf-8")
    if any(ch in v for ch in (b",", b'"', b"\n", b"\r")):
        return b'"' + v.replace(b'"', b'""') + b'"'
    return v


def write_csv(path, header, rows, eol=b"\n"):
    """header: list of names; rows: lists of str/bytes, or a bytes line
    written as it is (for malformed records)."""
    with open(path, "wb") as f:
        f.write(b",".join(_csv_field(h) for h in header) + eol)
        for r in rows:
            if isinstance(r, bytes):
                f.write(r + eol)
            else:
                f.write(b",".join(_csv_field(v) for v in r) + eol)


REG_HDR = ["dealer_id", "dealer_name", "model", "serial_number",
           "registered_on", "wmp_selected", "removed_on"]
DIS_HDR = ["dispatch_id", "dispatched_at", "model", "serial_number",
           "provider_id", "customer_name", "customer_postal_code",
           "problem_code", "status"]
CLO_HDR = ["dealer_id", "submitted_at", "dispatch_id", "serial_number",
           "model", "completed_on", "technician", "labor_hours",
           "resolution_code", "parts"]


def build_night(tmp):
    """Writes the fixture feeds into tmp/feeds and imports them into
    tmp/night.db; returns the database path. As of AS_OF (2026-03-12)."""
    feeds = os.path.join(tmp, "feeds")
    os.makedirs(feeds, exist_ok=True)
    db = os.path.join(tmp, "night.db")

    write_csv(os.path.join(feeds, "registrations_1.csv"), REG_HDR, [
        ["D1", "Dealer One", "iPF8400S", "SN-1", "2025-01-01", "N", ""],
        ["D1", "Dealer One", "iPF8400S", "SN-2", "2025-01-01", "Y", ""],
        ["D2", "Dealer Two", "TM-300", "SN-3", "2025-01-01", "N", ""],
        # rejected: removed_on precedes registered_on (line 5)
        ["D2", "Dealer Two", "TM-300", "SN-4", "2025-02-01", "N",
         "2025-01-01"],
    ])
    big = "B" * BIG_FIELD_BYTES
    write_csv(os.path.join(feeds, "dispatches_1.csv"), DIS_HDR + ["agent"], [
        # line 2..: formula-like customers; X4 has no provider
        ["X1", "2026-03-05 10:00", "iPF8400S", "SN-1", "D1", FORMULA_LIKE[0],
         "10001", "P1", "OPEN", "a"],
        ["X2", "2026-02-01 09:30:15", "iPF8400S", "SN-2", "D1",
         FORMULA_LIKE[1], "10001", "P1", "OPEN", "a"],
        ["X3", "2025-11-01 08:00", "TM-300", "SN-3", "D2", "Closed Co",
         "10002", "P2", "OPEN", "a"],
        ["X4", "2026-03-10 12:00", "TM-300", "SN-9", "", FORMULA_LIKE[3],
         "10003", "P3", "OPEN", "a"],
        ["X5", "2026-03-11 13:00", "iPF8400S", "SN-1", "D1", ESCAPE_LIKE,
         "10004", "P4", "OPEN", "a"],
        ["X6", "2026-03-11 14:00", "iPF8400S", "SN-1", "D1",
         "ctrl\x01char\ttab", "10005", "P5", "OPEN", "a"],
        # line 8: CR LF inside a quoted field (the record spans lines 8-9)
        ["X7", "2026-03-12 08:00", "iPF8400S", "SN-1", "D1",
         "line one\r\nline two", "10006", "P6", "OPEN", "a"],
        ["X8", "2026-03-09 08:00", "iPF8400S", "SN-1", "D1", "Cancelled Co",
         "10007", "P7", "CANCELLED", "a"],
        ["X9", "2026-03-13 08:00", "iPF8400S", "SN-1", "D1", "Future Co",
         "10008", "P8", "OPEN", "a"],
        ["X10", "2026-01-02 08:00", "iPF8400S", "SN-1", "D1",
         "noncharacter \uFFFE here", "10009", "P9", "OPEN", "a"],
        # line 13: rejected, a 40,000-byte field (over 32,767)
        ["X11", "2026-03-01 08:00", "iPF8400S", "SN-1", "D1", big, "1",
         "P", "OPEN", "a"],
        # line 14: rejected, bad UTF-8 (Latin-1 e-acute)
        b"X12,2026-03-01 08:00,iPF8400S,SN-1,D1,Caf\xe9 Tacuba,1,P,OPEN,a",
    ])
    write_csv(os.path.join(feeds, "closeouts_1.csv"), CLO_HDR, [
        # line 2: valid, accepted for X3
        ["D2", "2025-11-02 10:00", "X3", "SN-3", "TM-300", "2025-11-02",
         "Pat", "1.5", "R1", ""],
        # line 3: valid too: DUPLICATE_CLOSEOUT
        ["D2", "2025-11-03 10:00", "X3", "SN-3", "TM-300", "2025-11-03",
         "Pat", "1.0", "R1", ""],
        # line 4: PROVIDER_MISMATCH, an attempt on X1
        ["D9", "2026-03-06 10:00", "X1", "SN-1", "iPF8400S", "2026-03-06",
         "Lee", "2", "R2", ""],
        # line 5: NO_DISPATCH; a formula-like serial
        ["D1", "2026-03-07 10:00", "", FORMULA_LIKE[2], "", "2026-03-07",
         "Pat", "1.25", "R3", ""],
        # line 6: INCOMPLETE_SECTION2 on X2, labor hours blank
        ["D1", "2026-03-08 10:00", "X2", "SN-2", "", "", "Pat", "", "R1",
         ""],
        # line 7: after the as-of date: takes no part
        ["D9", "2026-03-13 10:00", "X1", "SN-1", "", "2026-03-13", "Lee",
         "1", "R1", ""],
    ])
    # refused whole: no dealer_id column
    write_csv(os.path.join(feeds, "closeouts_2.csv"),
              [h for h in CLO_HDR if h != "dealer_id"],
              [["2026-03-08 10:00", "X2", "SN-2", "", "2026-03-08", "Pat",
                "1", "R1", ""]])

    run("import", "--db", db, "--kind", "registrations", "--quiet",
        os.path.join(feeds, "registrations_1.csv"), check=0)
    run("import", "--db", db, "--kind", "dispatches", "--quiet",
        os.path.join(feeds, "dispatches_1.csv"), check=0)
    run("import", "--db", db, "--kind", "closeouts", "--quiet",
        os.path.join(feeds, "closeouts_1.csv"),
        os.path.join(feeds, "closeouts_2.csv"), check=65)
    return db



# ---- what the database says -------------------------------------------------

def day(iso):
    return (datetime.date.fromisoformat(iso[:10]) - EPOCH).days


def rules_connection(db, as_of=AS_OF, from_=None):
    """A connection with the rule context and rules of schemas/, as the
    reports see them (TEMP tables only; the database is not changed)."""
    con = (svctest.connect(db) if svctest.ON_PG
           else sqlite3.connect("file:%s?mode=ro" % db, uri=True))
    with open(os.path.join(SCHEMAS, "rules", "r010_context.sql")) as f:
        con.executescript(f.read())
    con.execute("INSERT INTO run_ctx VALUES (?, ?, ?)",
                (as_of, day(as_of), day(from_) if from_ else None))
    con.executemany("INSERT INTO aging_bucket VALUES (?, ?, ?, ?)", BUCKETS)
    for path in rule_files_in_order(SCHEMAS):
        with open(path) as f:
            con.executescript(f.read())
    return con


def db_counts(db, as_of=AS_OF, from_=None):
    con = rules_connection(db, as_of, from_)
    f = day(from_) if from_ else -10**9
    one = lambda sql, *a: con.execute(sql, a).fetchone()[0]
    counts = {
        "unclosed": one("SELECT COUNT(*) FROM unclosed_call"),
        "noncomp": one("SELECT COUNT(*) FROM noncompensable "
                       "WHERE submitted_day >= ?", f),
        "rejected": one("SELECT COUNT(*) FROM rejected_row") +
                    one("SELECT COUNT(*) FROM imported_file "
                        "WHERE status = 'refused'"),
        "regexc": one("SELECT COUNT(*) FROM registration_exception "
                      "WHERE dispatched_day >= ?", f),
    }
    con.close()
    return counts


# ---- reading workbooks ------------------------------------------------------

def load(path):
    """openpyxl workbook; any warning openpyxl raises while reading fails."""
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        wb = openpyxl.load_workbook(path)
    if w:
        raise AssertionError("%s: openpyxl warned: %s" % (
            path, "; ".join(str(x.message) for x in w)))
    return wb


def listing(ws):
    """Data rows of a listing sheet (header excluded), as value lists."""
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]


def header(ws):
    return [c.value for c in ws[1]]


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def workbook_paths(out, as_of=AS_OF):
    return {k: os.path.join(out, "%s_%s.xlsx" % (k, as_of))
            for k in ("unclosed_calls", "non_compensable", "audit")}


def sheet_xml(path):
    """{part name: bytes} of every worksheet part of the file."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()
                if n.startswith("xl/worksheets/sheet")}


def col_letter(n):
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


# ---- the same cells on both back ends (issue 17) ---------------------------

# A skipped file's reason names the wall-clock time of the earlier import.
IMPORTED = re.compile(r"imported \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


def workbooks(folder):
    """Every .xlsx below folder (dealer statements too), relative, sorted."""
    found = []
    for dirpath, _, files in os.walk(folder):
        for f in files:
            if f.endswith(".xlsx"):
                found.append(os.path.relpath(os.path.join(dirpath, f), folder))
    return sorted(found)


def shell_quote(s):
    """As reports/about.c quotes --db for a shell: bare when safe."""
    if re.fullmatch(r"[A-Za-z0-9_./:@%+=,-]+", s):
        return s
    return "'" + s.replace("'", "'\\''") + "'"


def with_reached(names):
    """names, each holding a test cluster's URI also as the workbooks name
    what it reached (svctest.reached), that form first (it is longer).
    A name that carries --schema S (the explain commands' form) also
    stands for the Run and About cells of that schema, "URI (schema S)",
    put first."""
    from svctest import reached
    out = []
    for n in names:
        m = re.search(r"postgres(?:ql)?://[^' ]*", n)
        s = re.search(r" --schema (\w+)", n)
        if m and s and s.group(1) != "svcrecon":
            for uri in {reached(m.group(0)), m.group(0)}:
                out.insert(0, "%s (schema %s)" % (uri, s.group(1)))
        if m and reached(m.group(0)) != m.group(0):
            out.append(n.replace(m.group(0), reached(m.group(0))))
        out.append(n)
    return out


def _scrub(row, names):
    """A row's values with the database's names replaced by 'DB' (each of
    names in turn, the longer forms first) and an import's wall-clock time
    by 'T': all that may differ between two databases of the same data."""
    vals = []
    for v in row:
        if isinstance(v, str):
            for n in names:
                v = v.replace(n, "DB")
            v = IMPORTED.sub("imported T", v)
        vals.append(v)
    return vals


def _rows(ws, names):
    names = with_reached(names)
    for row in ws.iter_rows(values_only=True):
        yield _scrub(row, names)


def cells(path, names):
    """(sheet names, {sheet: [row values]}) of a workbook, scrubbed as
    same_cells compares them."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return wb.sheetnames, {ws.title: list(_rows(ws, names))
                               for ws in wb.worksheets}
    finally:
        wb.close()


def same_cells(folder_a, names_a, folder_b, names_b):
    """Every workbook of folder_a has the same cells in folder_b (same
    workbooks, sheets, rows and values; names_a / names_b: how each names
    its database); returns the number of cells compared. Streams both
    (openpyxl read-only), so a 200k night's workbooks are compared row by
    row without holding them."""
    books = workbooks(folder_a)
    eq(workbooks(folder_b), books, "the same workbooks")
    n = 0
    for b in books:
        wa = openpyxl.load_workbook(os.path.join(folder_a, b), read_only=True)
        wb = openpyxl.load_workbook(os.path.join(folder_b, b), read_only=True)
        try:
            eq(wb.sheetnames, wa.sheetnames, b)
            for sheet in wa.sheetnames:
                pairs = itertools.zip_longest(_rows(wa[sheet], names_a),
                                              _rows(wb[sheet], names_b))
                for i, (ra, rb) in enumerate(pairs, 1):
                    eq(rb, ra, "%s %s row %d" % (b, sheet, i))
                    n += len(ra)
        finally:
            wa.close()
            wb.close()
    return n


# ---- the runner -------------------------------------------------------------

_TESTS = []


def test(fn):
    _TESTS.append(fn)
    return fn


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (what, got, want))


def main(setup=None):
    """Runs setup() (its result is passed to each test taking an argument),
    then every @test; prints "N passed, N failed"."""
    only = sys.argv[1:]
    passed = failed = skipped = 0
    if svctest.ON_PG:   # svctest.sqlite_only marks; see svctest.main
        print("back end: PostgreSQL (%s)" % svctest.pg_uri())
        for fn in _TESTS:
            if getattr(fn, "sqlite_only", None):
                print("not on PostgreSQL: %s: %s" % (fn.__name__, fn.sqlite_only))
        _TESTS[:] = [fn for fn in _TESTS if not getattr(fn, "sqlite_only", None)]
    ctx = None
    tmp = tempfile.TemporaryDirectory(prefix="svcrecon-t3-")
    try:
        if setup:
            ctx = setup(tmp.name)
    except Exception:
        traceback.print_exc()
        print("setup failed")
        print("0 passed, %d failed" % len(_TESTS))
        sys.exit(1)
    for fn in _TESTS:
        if only and not any(o in fn.__name__ for o in only):
            continue
        try:
            if fn.__code__.co_argcount:
                fn(ctx)
            else:
                fn()
            passed += 1
            print("ok     %s" % fn.__name__)
        except svctest.Skipped as why:     # counted apart, never passed
            skipped += 1
            print("SKIP %s: %s" % (fn.__name__, why))
        except Exception:
            failed += 1
            print("FAILED %s" % fn.__name__)
            traceback.print_exc(limit=3)
    if svctest.ON_PG:
        svctest.drop_schemas(tmp.name)
    tmp.cleanup()
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    sys.exit(1 if failed else 0)
