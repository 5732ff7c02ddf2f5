#!/usr/bin/python3
"""t7950 -- an auditor traces rows and asks `explain` (QA pass 15).

One seeded history of four nights, written here (every CSV line known):

  night A (as of 2026-03-10), by `import`: n1/registrations.csv,
      n1/dispatches.csv (a customer on two physical lines, ids with a
      space and quotes, with a non-ASCII letter), n1/closeouts.csv; rows
      rejected for every reason of SPEC §2 (and the README's);
  night B (as of 2026-03-11), by `run` of inbox in2: a dispatches.csv and
      a closeouts.csv -- the same file NAMES as night A's, other content
      (a cancelled call, a re-dated one, a closeout superseding night A's,
      a duplicate across imports) --, registrations_b.csv (ends a
      registration), dispatches_rej.csv (more rejected rows), a refused
      closeouts_bad.csv;
  night C (as of 2026-03-12): the same inbox again, nothing new;
  night D (as of 2026-03-13): an inbox of refused files only;
  and a report as of 2026-03-09, before every recorded one.

Checked: every row of every listing traced to its file and line, the row
there being its key's current version (as of the night's imports); the
audit's files and rejected rows, night by night (a night with nothing
new, one of refused files only, a report as of a date before every
recorded one); `explain` (ids with a space, quotes, a non-ASCII letter;
--source by path, by bare name, a name imported twice, a superseded
version, a rejected row, a line inside a record, a refused file) against
the workbooks of the same date on the same data, and its default date;
the same bytes on a re-run, into another folder, after `copy` into a
database named the same way, and the same cells (never the same bytes:
Run and About name the database) on SQLite and PostgreSQL, imported there
or copied there.

Defects found, each seen red before its fix:
- a listed row named its file by base name only, so with two imported
  files of one name ("dispatches.csv" on two nights) an auditor could not
  tell which file a row came from, nor, in one audit workbook, which
  file a rejected row was of: the listings now end with Source SHA-256
  (Rejected rows with File SHA-256);
- `explain --source` with a FILE never imported said how FILE is written
  only when it held a slash ("nope.csv", "DISPATCHES.csv" got no hint)."""
import atexit
import csv
import datetime
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from svctest import (CLO_HDR, DSP_HDR, ON_PG, REG_HDR, SVCRECON, Run, Tmp,  # noqa: E402
                     check, eq, main, pg_cluster, pg_uri, schema_of, sha256, svc)

import openpyxl  # noqa: E402
from xlsx_helpers import _rows as xlsx_rows  # noqa: E402

NA, NB, NC, ND, PAST = "2026-03-10", "2026-03-11", "2026-03-12", "2026-03-13", "2026-03-09"
LONG = "L" * 32768

# (path relative to the test folder, header, records). A record is the
# text between line ends; a quoted field may hold a line break.
FILES_A = [
    ("n1/registrations.csv", REG_HDR, [
        "CA01,Alpha Imaging,iPF8400S,SN-1,2025-01-01,N,",           # 2
        "CA02,Beta Print,iPF8400S,SN2,2025-01-01,Y,",               # 3
        "CA03,Gamma,TM-300,SN3,2025-01-01,N,2026-03-01",            # 4
        "CA01,,iPF8400S,SN4,2025-01-01,N,",                         # 5
        "CA04,Delta,iPF8400S,SN4,2025-06-01,N,",                    # 6 overlap
        "CA09,X,iPF8400S,SN9,2026-03-05,N,2026-03-01",              # 7 rejected
        "CA09,X,iPF8400S,SN9,2026-02-30,N,",                        # 8 rejected
        "CA09,X,iPF8400S,SN9,2026-01-01,maybe,",                    # 9 rejected
        "CA09,X,iPF8400S,SN9,1899-12-31,N,",                        # 10 rejected
    ]),
    ("n1/dispatches.csv", DSP_HDR, [
        'D1,2026-03-08 09:00,iPF8400S,SN1,CA01,"Cust, one",10001,P1,OPEN',        # 2
        "D2,2026-03-08 10:00,iPF8400S,SN2,CA02,Cust2,10001,P1,OPEN",             # 3
        'D3,2026-03-09 10:00,TM-300,SN3,CA03,"two\nlines",10001,P1,OPEN',         # 4-5
        '"D 4 ""q""",2026-03-09 11:00,iPF8400S,SN4,CA01,Cust4,10001,P1,OPEN',      # 6
        "Dé5,03/09/2026 12:00,iPF8400S,SN1,CA01,Cust5,10001,P1,OPEN",            # 7
        "D6,2026-03-09 13:00,iPF8400S,SN1,,Cust6,10001,P1,OPEN",                 # 8
        "D7,2026-03-09 14:00,TM-300,SN1,CA01,Cust7,10001,P1,open",               # 9
        "D8,2026-03-09 25:00,iPF8400S,SN1,CA01,Cust8,10001,P1,OPEN",             # 10 rej
        "D9,2026-03-09 14:00,iPF8400S,SN1,CA01,Cust9,10001,P1,WAIT",             # 11 rej
        "D1,2026-03-08 09:00,iPF8400S,SN1,CA01,dup,10001,P1,OPEN",               # 12 rej
        "D10,2026-03-09 14:00,iPF8400S,SN1,CA01,Cust10",                         # 13 rej
        ",2026-03-09 14:00,iPF8400S,SN1,CA01,Cust11,10001,P1,OPEN",              # 14 rej
    ]),
    ("n1/closeouts.csv", CLO_HDR, [
        "CA01,2026-03-09 15:00,D1,SN1,iPF8400S,2026-03-09,Tom,1.5,R1,",          # 2
        "CA02,2026-03-09 15:00,D2,SN2,iPF8400S,2026-03-07,Ann,2,R1,",            # 3
        "CA01,2026-03-09 16:00,,SN1,iPF8400S,2026-03-09,Tom,1,R1,",              # 4
        "CA01,2026-03-09 17:00,D3,SN3,TM-300,2026-03-09,Tom,1,R1,",              # 5
        "CA01,2026-03-09 18:00,D7,SNX,TM-300,2026-03-09,Tom,1,R1,",              # 6
        "CA01,2026-03-09 19:00,D7,SN1,TM-300,2026-03-09,,1,R1,",                 # 7
        "CA01,2026-03-09 20:00,D1,SN1,iPF8400S,2026-03-09,Tom,-1,R1,",           # 8 rej
        "CA01,2026-03-09 21:00,D1,SN1,iPF8400S,2026-03-09,Tom,25,R1,",           # 9 rej
        "CA01,2026-03-09 22:00,D1,SN1,iPF8400S,2026-03-09,Tom,abc,R1,",          # 10 rej
        ",2026-03-09 22:00,D1,SN1,iPF8400S,2026-03-09,Tom,1,R1,",                # 11 rej
        "CA01,2026-03-10 08:00,NOPE1,SN1,iPF8400S,2026-03-09,Tom,1,R1,",         # 12
        "CA01,2026-03-10 09:00,D 4 x,SN4,iPF8400S,2026-03-09,Tom,1,R1,",         # 13
    ]),
]
FILES_B = [
    ("in2/registrations_b.csv", REG_HDR, [
        "CA01,Alpha Imaging Inc,iPF8400S,SN1,2025-01-01,N,2026-03-09",           # 2
    ]),
    ("in2/dispatches.csv", DSP_HDR, [
        "D3,2026-03-09 10:00,TM-300,SN3,CA03,Cust3,10001,P1,CANCELLED",          # 2
        "D6,2026-03-12 13:00,iPF8400S,SN1,CA01,Cust6,10001,P1,OPEN",             # 3
        "D11,2026-03-10 09:00,iPF8400S,SN1,CA01,Cust11,10001,P1,OPEN",           # 4
    ]),
    ("in2/dispatches_rej.csv", DSP_HDR, [
        b"D20,2026-03-10 09:00,iPF8400S,SN1,CA01,Caf\xe9,10001,P1,OPEN",        # 2 rej
        b"D21,2026-03-10 09:00,iPF8400S,SN1,CA01,a\x00b,10001,P1,OPEN",         # 3 rej
        "\ufeffD22,2026-03-10 09:00,iPF8400S,SN1,CA01,c,10001,P1,OPEN",           # 4 rej? (BOM)
        "D23,2026-03-10 09:00,iPF8400S,SN1,CA01,%s,10001,P1,OPEN" % LONG,       # 5 rej
        "D24,1899-12-31 09:00,iPF8400S,SN1,CA01,c,10001,P1,OPEN",                # 6 rej
        "D25,2026-03-10 09:00,iPF8400S,SN1,CA01,c,10001,P1,",                    # 7
    ]),
    ("in2/closeouts.csv", CLO_HDR, [
        "CA01,2026-03-09 15:00,D1,SN1,iPF8400S,2026-03-09,Tom,1.75,R1,",         # 2
        "CA01,2026-03-10 15:00,D1,SN1,iPF8400S,2026-03-10,Tom,1,R1,",            # 3
        "CA03,2026-03-10 15:00,D3,SN3,TM-300,2026-03-10,Tom,1,R1,",              # 4
        "CA01,2026-03-10 16:00,D6,SN1,iPF8400S,2026-03-10,Tom,1,R1,",            # 5
    ]),
]
BAD_B = ("in2/closeouts_bad.csv", b"dealer_id,x\nA,B\n")
FILES_D = [("in4/dispatches_x.csv", b"dispatch_id,nothing\nA,B\n"),
           ("in4/closeouts_q.csv", ("%s\nCA01,\"2026-03-10 15:00,D1\n" % CLO_HDR).encode())]


def content(header, records):
    out = header.encode() + b"\n"
    for r in records:
        out += (r if isinstance(r, bytes) else r.encode()) + b"\n"
    return out


def records_of(data):
    """{physical line where a record starts: raw record bytes} of a CSV,
    the header being line 1 (blank lines start none)."""
    out, line, i, n = {}, 1, 0, len(data)
    while i < n:
        start, start_line, quoted = i, line, False
        while i < n:
            c = data[i:i + 1]
            if c == b'"':
                quoted = not quoted
            elif c == b"\n":
                if not quoted:
                    break
                line += 1
            i += 1
        rec = data[start:i].rstrip(b"\r")
        if rec:
            out[start_line] = rec
        i += 1
        line += 1
    out.pop(1, None)
    return out


def fields(raw):
    return next(csv.reader(io.StringIO(raw.decode("utf-8"))))


def stamp(s):
    """A feed date-time as datetime (both forms of SPEC §2)."""
    s = s.strip()
    for f in ("%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(s, f)
        except ValueError:
            pass
    return None


class History:
    """The seeded history: the database t/svc.db, the workbooks of each
    night, and what the test wrote (path -> bytes, in import order)."""

    def __init__(self, db_args=None):
        """db_args: the options naming the database instead of `--db
        svc.db` as this pass names it (svc()): another back end."""
        self.t = Tmp()
        self.db_args = db_args
        t = self.t
        self.db = t.p("svc.db")
        self.imported = []      # (path as given, kind, bytes) of loaded files, in order
        self.nights = {}        # as-of -> [(path as given, bytes, status)]
        for path, hdr, recs in FILES_A:
            t.write(path, content(hdr, recs))
        for path, hdr, recs in FILES_B:
            t.write(path, content(hdr, recs))
        t.write(*BAD_B)
        for path, data in FILES_D:
            t.write(path, data)
        night = []
        for path, hdr, recs in FILES_A:
            kind = os.path.basename(path).split(".")[0]
            r = self.svc("import", "--db", "svc.db", "--kind", kind, path)
            eq(r.code, 0, r.err)
            data = content(hdr, recs)
            self.imported.append((path, kind, data))
            night.append((path, data, "loaded"))
        self.nights[NA] = night
        self.upto = {NA: len(self.imported)}    # files imported when each night reported
        eq(self.svc("report", "--db", "svc.db", "--out", "outA", "--as-of", NA).code, 0)
        # run: registrations, dispatches, closeouts, each in byte order
        order = ["in2/registrations_b.csv", "in2/dispatches.csv", "in2/dispatches_rej.csv",
                 "in2/closeouts.csv", "in2/closeouts_bad.csv"]
        r = self.svc("run", "--db", "svc.db", "--inbox", "in2", "--out", "outB", "--as-of", NB)
        eq(r.code, 65, r.err)
        night = []
        for path in order:
            with open(t.p(path), "rb") as f:
                data = f.read()
            kind = os.path.basename(path).split("_")[0].split(".")[0]
            if path == BAD_B[0]:
                night.append((path, data, "refused"))
                continue
            self.imported.append((path, kind, data))
            night.append((path, data, "loaded"))
        self.nights[NB] = night
        self.upto[NB] = self.upto[NC] = self.upto[ND] = len(self.imported)
        os.remove(t.p(BAD_B[0]))
        r = self.svc("run", "--db", "svc.db", "--inbox", "in2", "--out", "outC", "--as-of", NC)
        eq(r.code, 0, r.err)
        self.nights[NC] = [(p, d, "skipped") for p, d, s in self.nights[NB] if s == "loaded"]
        r = self.svc("run", "--db", "svc.db", "--inbox", "in4", "--out", "outD", "--as-of", ND)
        eq(r.code, 65, r.err)
        self.nights[ND] = [(p, d, "refused") for p, d in sorted(FILES_D)]
        r = self.svc("report", "--db", "svc.db", "--out", "outP", "--as-of", PAST)
        eq(r.code, 0, r.err)
        # every delivery so far: no report before PAST
        self.nights[PAST] = (self.nights[NA] + self.nights[NB] + self.nights[NC]
                             + self.nights[ND])

    def svc(self, *args):
        if self.db_args is None:
            return svc(*args, cwd=self.t.path)
        args = list(args)
        if "--db" in args:
            i = args.index("--db")
            args[i:i + 2] = self.db_args
        return Run(subprocess.run([SVCRECON] + args, cwd=self.t.path, capture_output=True,
                                  text=True, errors="replace", env=dict(os.environ, TZ="UTC")))

    def out(self, folder):
        return self.t.p(folder)

    def books(self, folder, as_of):
        return {k: self.t.p(folder, "%s_%s.xlsx" % (k, as_of))
                for k in ("unclosed_calls", "non_compensable", "audit")}

    def files_named(self, name):
        """The loaded files whose base name is name: (path, kind, bytes)."""
        return [f for f in self.imported if os.path.basename(f[0]) == name]

    def current(self, kind, upto=None):
        """key -> (path as given, line) of its current version (the
        latest imported), over the loaded rows of kind of the first upto
        files imported."""
        cur = {}
        for path, k, data in self.imported[:upto]:
            if k != kind:
                continue
            for line, raw in sorted(records_of(data).items()):
                key = row_key(kind, raw)
                if key is not None and (path, line) not in REJECTED:
                    cur[key] = (path, line)
        return cur


def row_key(kind, raw):
    try:
        f = fields(raw)
    except UnicodeDecodeError:
        return None
    if kind == "dispatches":
        return f[0].strip() if len(f) == 9 else None
    if kind == "closeouts":
        return (f[0].strip(), f[2].strip(), stamp(f[1])) if len(f) == 10 else None
    return None


# (path as given, line) -> words the Reason must hold: every rejected row
# this test wrote.
REJECTED = {
    ("n1/registrations.csv", 7): "removed_on 2026-03-01 precedes registered_on 2026-03-05",
    ("n1/registrations.csv", 8): "registered_on '2026-02-30' is not a valid date",
    ("n1/registrations.csv", 9): "wmp_selected 'maybe' is not a flag",
    ("n1/registrations.csv", 10): "before 1900-01-01",
    ("n1/dispatches.csv", 10): "dispatched_at '2026-03-09 25:00' is not a valid date-time",
    ("n1/dispatches.csv", 11): "status 'WAIT' is not OPEN or CANCELLED",
    ("n1/dispatches.csv", 12): "dispatch_id repeats line 2 of this file",
    ("n1/dispatches.csv", 13): "has 6 fields, the header has 9",
    ("n1/dispatches.csv", 14): "required dispatch_id is blank",
    ("n1/closeouts.csv", 8): "labor_hours '-1' is negative",
    ("n1/closeouts.csv", 9): "labor_hours '25' is above 24",
    ("n1/closeouts.csv", 10): "labor_hours 'abc' is not a decimal number",
    ("n1/closeouts.csv", 11): "required dealer_id is blank",
    ("in2/dispatches_rej.csv", 2): "not valid UTF-8",
    ("in2/dispatches_rej.csv", 3): "NUL",
    ("in2/dispatches_rej.csv", 4): "byte-order mark",
    ("in2/dispatches_rej.csv", 5): "over the limit of 32767",
    ("in2/dispatches_rej.csv", 6): "before 1900-01-01",
}

_H = []


def history():
    if not _H:
        _H.append(History())
        atexit.register(lambda: _H[0].t.__exit__(None, None, None))
    return _H[0]


def sheet_rows(path, title):
    """The rows of a listing (its overflow sheets too) as dicts by header."""
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        if ws.title == title or ws.title.startswith(title + " ("):
            rows = list(ws.iter_rows(values_only=True))
            hdr = rows[0]
            out += [dict(zip(hdr, r)) for r in rows[1:]]
    return out


def run_files(path):
    """The Run sheet's table of the night's files, as dicts."""
    rows = list(openpyxl.load_workbook(path)["Run"].iter_rows(values_only=True))
    start = [i for i, r in enumerate(rows) if r[0] == "File" and r[1] == "Kind"][0]
    out = []
    for r in rows[start + 1:]:
        if r[0] is None:
            break
        out.append(dict(zip(rows[start], r)))
    return out


def source_of(h, row):
    """The one loaded file a listed row names, as (path as given, kind,
    bytes): by its Source file, and its Source SHA-256 when the name was
    imported more than once."""
    cands = h.files_named(row["Source file"])
    check(cands, "no file named %r was imported: %r" % (row["Source file"], row))
    if len(cands) > 1:
        check("Source SHA-256" in row,
              "%r names one of %d files of that name (%s) and nothing tells which: %r"
              % (row["Source file"], len(cands), ", ".join(c[0] for c in cands), row))
    if "Source SHA-256" in row:
        cands = [c for c in cands if hashlib.sha256(c[2]).hexdigest()[:12] == row["Source SHA-256"]]
        eq(len(cands), 1, "the file of %r" % row)
    return cands[0]


LISTINGS = [("unclosed_calls", "Unclosed calls", "dispatches"),
            ("unclosed_calls", "Changes", None),
            ("non_compensable", "Non-compensable", "closeouts"),
            ("audit", "Registration exceptions", "dispatches")]


def trace_all(h, folder, as_of, upto=None):
    """Every row of every listing of that night, followed to its file and
    line: the record there is its key's current version, and says what
    the row says. Returns the number of rows traced."""
    books = h.books(folder, as_of)
    dcur, ccur = h.current("dispatches", upto), h.current("closeouts", upto)
    n = 0
    for book, title, kind in LISTINGS:
        for row in sheet_rows(books[book], title):
            path, fkind, data = source_of(h, row)
            raw = records_of(data).get(row["Source line"])
            check(raw is not None, "no record starts at %s:%s" % (path, row["Source line"]))
            f = fields(raw)
            if fkind == "dispatches":
                eq(f[0].strip(), row["Dispatch ID"], "%s:%s" % (path, row["Source line"]))
                eq(dcur.get(f[0].strip()), (path, row["Source line"]),
                   "%s row %r is not its dispatch's current version" % (title, row))
                if "Dispatched" in row and row["Dispatched"] is not None:
                    eq(stamp(f[1]), row["Dispatched"], "%s %r" % (title, row))
                if "Serial number" in row:
                    eq(f[3].strip(), row["Serial number"], "%s %r" % (title, row))
            else:
                key = (f[0].strip(), f[2].strip(), stamp(f[1]))
                eq(ccur.get(key), (path, row["Source line"]),
                   "%s row %r is not its closeout's current version" % (title, row))
                if title == "Non-compensable":
                    eq((row["Dealer"], row["Dispatch ID"] or "", row["Submitted"]), key, title)
                    eq(row["Serial number"] or "", f[3].strip(), title)
                    eq(float(row["Labor hours"]), float(f[7]), title)
            n += 1
    return n


NIGHTS = [("outA", NA), ("outB", NB), ("outC", NC), ("outD", ND), ("outP", PAST)]


def test_every_listed_row_traces_to_its_current_record():
    h = history()
    n, reasons, exceptions = 0, set(), set()
    for folder, as_of in NIGHTS:
        n += trace_all(h, folder, as_of, h.upto.get(as_of))
        books = h.books(folder, as_of)
        reasons |= {c for r in sheet_rows(books["non_compensable"], "Non-compensable")
                    for c in r["All reasons"].split(";")}
        exceptions |= {r["Exception"] for r in sheet_rows(books["audit"],
                                                           "Registration exceptions")}
    check(n > 40, "only %d rows traced" % n)
    # the data holds every kind of row (a trace of nothing proves nothing)
    eq(sorted(reasons), sorted(["NO_DISPATCH", "DISPATCH_CANCELLED", "PROVIDER_MISMATCH",
                                "SERIAL_MISMATCH", "SERVICE_BEFORE_DISPATCH",
                                "INCOMPLETE_SECTION2", "DUPLICATE_CLOSEOUT"]), "reasons seen")
    eq(sorted(exceptions), sorted(["NO_REGISTRATION", "NOT_PROVIDER_OF_RECORD", "WMP_SELECTED",
                                   "MODEL_MISMATCH", "OVERLAPPING_REGISTRATION"]),
       "exceptions seen")


def shown(raw):
    """A raw record as the audit writes it: bad UTF-8 and NUL as \\xNN."""
    out = ""
    for ch in raw.decode("utf-8", "surrogateescape"):
        o = ord(ch)
        out += "\\x%02X" % (o - 0xDC00) if 0xDC80 <= o <= 0xDCFF else (
            "\\x00" if o == 0 else ch)
    return out.replace("\r\n", "\n")


def test_audit_lists_exactly_the_nights_files_and_rejected_rows():
    h = history()
    for folder, as_of in NIGHTS:
        audit = h.books(folder, as_of)["audit"]
        want, seen = [], set()
        for path, data, status in h.nights[as_of]:
            key = (os.path.basename(path), hashlib.sha256(data).hexdigest())
            if key in seen:         # each file once (README "The audit's night")
                continue
            seen.add(key)
            want.append(key + (status,))
        got = [(f["File"], f["SHA-256"], f["Status"]) for f in run_files(audit)]
        eq(sorted(got), sorted(want), "files of the night of %s" % as_of)
        rej = sheet_rows(audit, "Rejected rows")
        want_rej = set()
        for path, data, status in h.nights[as_of]:
            if status == "refused":
                want_rej.add((os.path.basename(path), 0))
            elif status == "loaded":
                want_rej |= {(os.path.basename(p), line) for p, line in REJECTED if p == path}
        eq(sorted((r["File"], r["Line"]) for r in rej), sorted(want_rej),
           "rejected rows of the night of %s" % as_of)
        for r in rej:
            if r["Line"] == 0:
                check("file refused" in r["Reason"], r)
                continue
            cands = [(p, d) for p, d, s in h.nights[as_of]
                     if os.path.basename(p) == r["File"] and s == "loaded"
                     and hashlib.sha256(d).hexdigest()[:12] == r.get("File SHA-256")]
            eq(len(cands), 1, r["File"])
            path, data = cands[0]
            check(REJECTED[(path, r["Line"])] in r["Reason"], (path, r["Line"], r["Reason"]))
            raw = records_of(data)[r["Line"]]
            if len(raw) < 32767:
                eq(r["Raw record"], shown(raw), "%s:%s" % (path, r["Line"]))
            else:
                check(r["Raw record"].startswith(shown(raw)[:1000]), r["File"])


def explain(h, *args):
    r = h.svc("explain", "--db", "svc.db", "--json", *args)
    return r, (json.loads(r.out) if r.code == 0 else None)


def all_dispatch_ids():
    ids = set()
    for path, hdr, recs in FILES_A + FILES_B:
        if "dispatches" in path:
            for line, raw in records_of(content(hdr, recs)).items():
                k = row_key("dispatches", raw)
                if k and (path, line) not in REJECTED:
                    ids.add(k)
    return ids


def test_explain_agrees_with_the_workbooks_of_each_night():
    h = history()
    ids = all_dispatch_ids()
    for folder, as_of in NIGHTS:
        # the workbooks of that date on today's data (a later import may
        # change an earlier date: the night's own workbooks are older)
        eq(h.svc("report", "--db", "svc.db", "--out", "re" + folder, "--as-of", as_of).code, 0)
        books = h.books("re" + folder, as_of)
        trace_all(h, "re" + folder, as_of)
        unc = {r["Dispatch ID"]: r for r in sheet_rows(books["unclosed_calls"], "Unclosed calls")}
        nc = {(r["Dealer"], r["Dispatch ID"] or "", r["Submitted"]): r
              for r in sheet_rows(books["non_compensable"], "Non-compensable")}
        exc = {}
        for r in sheet_rows(books["audit"], "Registration exceptions"):
            exc.setdefault(r["Dispatch ID"], []).append(r["Exception"])
        told_nc = {}
        for d in sorted(ids | set(unc)):
            r, doc = explain(h, "--as-of", as_of, d)
            eq(r.code, 0, (d, r.err))
            eq(doc["as_of"], as_of, d)
            x = doc["results"][0]["dispatch"]
            st = x["standing"]
            eq(st["state"] == "unclosed", d in unc, "%s unclosed as of %s" % (d, as_of))
            if d in unc:
                eq((st["days_open"], st["bucket"], st["attempts"]),
                   (unc[d]["Days open"], unc[d]["Aging bucket"], unc[d]["Closeout attempts"]),
                   "%s as of %s" % (d, as_of))
                eq((x["current_version"]["file"], x["current_version"]["line"]),
                   (unc[d]["Source file"], unc[d]["Source line"]), d)
            eq([e["code"] for e in x["registration_exceptions"]], exc.get(d, []),
               "%s exceptions as of %s" % (d, as_of))
            for c in x["closeouts"]:
                if c["state"] == "non_compensable":
                    key = (c["dealer_id"], c["dispatch_id"],
                           datetime.datetime.strptime(c["submitted_at"], "%Y-%m-%d %H:%M:%S"))
                    told_nc[key] = c
        # closeouts of no known dispatch: by their source line
        for key, row in nc.items():
            if key not in told_nc:
                path = source_of(h, row)[0]
                r, doc = explain(h, "--as-of", as_of, "--source", "%s:%d" % (path, row["Source line"]))
                eq(r.code, 0, r.err)
                told_nc[key] = doc["results"][0]["closeout"]
        eq(sorted(k for k in told_nc if k in nc), sorted(nc), "non-compensable as of %s" % as_of)
        for key, row in nc.items():
            c = told_nc[key]
            eq((c["reason"], ";".join(x["code"] for x in c["reasons"]), c["file"], c["line"]),
               (row["Reason"], row["All reasons"], row["Source file"], row["Source line"]),
               "%r as of %s" % (key, as_of))


def test_explain_default_date_is_the_latest_reported_as_of():
    h = history()
    r, doc = explain(h, "D2")
    eq((r.code, doc["as_of"], doc["as_of_basis"]), (0, ND, "latest_report"), r.err)
    r = h.svc("explain", "--db", "svc.db", "D2")
    check("as of %s, the as-of date of the latest recorded report" % ND in r.err, r.err)


def test_explain_every_kind_of_source_row():
    h = history()
    # a rejected row, by path and by bare name: reason and raw as in the audit
    for src in ("n1/dispatches.csv:11", "dispatches_rej.csv:6"):
        r, doc = explain(h, "--as-of", NB, "--source", src)
        eq(r.code, 0, r.err)
        res = doc["results"]
        eq(len(res), 1, src)
        path, line = src.rsplit(":", 1)
        eq(res[0]["what"], "rejected_row", src)
        want = [v for (p, l), v in REJECTED.items() if l == int(line)
                and os.path.basename(p) == os.path.basename(path)][0]
        check(want in res[0]["rejected_row"]["reason"], res[0])
    # a superseded version: the dispatch's story, that line not current
    r, doc = explain(h, "--as-of", NB, "--source", "n1/dispatches.csv:4")
    eq(r.code, 0, r.err)
    x = doc["results"][0]["dispatch"]
    eq(x["dispatch_id"], "D3", "superseded version")
    eq([(v["line"], v["current"], v["source"]) for v in x["versions"]],
       [(4, False, True), (2, True, False)], "versions of D3")
    eq(x["standing"]["state"], "cancelled", "D3")
    # a name delivered on two nights: each file's row told, by its path
    r, doc = explain(h, "--as-of", NB, "--source", "dispatches.csv:2")
    eq(r.code, 0, r.err)
    eq([(y["source"]["path"], y["dispatch"]["dispatch_id"]) for y in doc["results"]],
       [("n1/dispatches.csv", "D1"), ("in2/dispatches.csv", "D3")], "two files named dispatches.csv")
    # a line inside a record (the customer's second line) starts no row
    r = h.svc("explain", "--db", "svc.db", "--source", "n1/dispatches.csv:5")
    eq((r.code, r.out), (65, ""), r.err)
    # the whole file, and a refused one
    r, doc = explain(h, "--source", "closeouts_bad.csv:0")
    eq((r.code, doc["results"][0]["file"]["status"]), (0, "refused"), r.err)
    # unknown ids, odd ids
    for d in ("NOPE", "D8", "'; DROP TABLE dispatch; --", "D\u00e9\u0000"):
        r = h.svc("explain", "--db", "svc.db", d.replace("\u0000", ""))
        eq((r.code, r.out), (65, ""), (d, r.err))
        check("not found" in r.err, r.err)
    r = h.svc("explain", "--db", "svc.db", "NOPE1")
    eq(r.code, 65, r.err)
    check("closeouts.csv:12" in r.err, r.err)       # closeouts naming it


def test_source_not_found_says_how_file_is_written():
    h = history()
    for src in ("nope.csv:2", "./n1/dispatches.csv:2", "DISPATCHES.csv:2"):
        r = h.svc("explain", "--db", "svc.db", "--source", src)
        eq((r.code, r.out), (65, ""), r.err)
        check("base name" in r.err and "path exactly as" in r.err,
              "%s: the message does not say how FILE is written: %s" % (src, r.err))


BOOKS = ("unclosed_calls", "non_compensable", "audit")


def digests(folder, as_of, books=BOOKS):
    return {b: sha256(os.path.join(folder, "%s_%s.xlsx" % (b, as_of))) for b in books}


def test_same_bytes_rerun_other_folder_and_copied_database():
    """SPEC §4: the same database and as-of give byte-identical workbooks:
    a run with nothing new leaves them untouched, a report into another
    folder writes the same bytes, and so does a copy of the database
    named the same way (the Run and About sheets name the database as
    given: `svc.db`)."""
    h = history()
    # (a report recorded since, as of an earlier date, changed the trend:
    # the first run writes again, the second has nothing new)
    r = h.svc("run", "--db", "svc.db", "--inbox", "in2", "--out", "outC", "--as-of", NC)
    eq(r.code, 0, r.err)
    before = digests(h.out("outC"), NC)
    mtimes = [os.stat(h.t.p("outC", "%s_%s.xlsx" % (b, NC))).st_mtime_ns for b in BOOKS]
    r = h.svc("run", "--db", "svc.db", "--inbox", "in2", "--out", "outC", "--as-of", NC)
    eq(r.code, 0, r.err)
    check("up to date" in r.err, r.err)
    eq(digests(h.out("outC"), NC), before, "rerun of night C")
    eq([os.stat(h.t.p("outC", "%s_%s.xlsx" % (b, NC))).st_mtime_ns for b in BOOKS], mtimes,
       "untouched")
    for a, b in (("x1", "x2"),):
        for folder in (a, b):
            eq(h.svc("report", "--db", "svc.db", "--out", folder, "--as-of", ND,
                     "--statements").code, 0)
        eq(digests(h.out(b), ND), digests(h.out(a), ND), "another folder")
        sa = sorted(os.listdir(h.t.p(a, "statements_" + ND)))
        check(sa, "no statement written")
        eq(sorted(os.listdir(h.t.p(b, "statements_" + ND))), sa, "statements")
        for n in sa:
            eq(sha256(h.t.p(b, "statements_" + ND, n)), sha256(h.t.p(a, "statements_" + ND, n)), n)
    # the night's own audit is what a report of ND writes today too (the
    # unclosed trend now counts the report as of PAST, recorded later)
    eq(digests(h.out("x1"), ND, ("non_compensable", "audit")),
       digests(h.out("outD"), ND, ("non_compensable", "audit")), "night D again")
    # `copy` into another database named svc.db (another folder)
    with Tmp() as t2:
        if ON_PG:
            r = svc("copy", "--from", pg_uri(), "--from-schema", schema_of(h.db),
                    "--to", pg_uri(), "--to-schema", schema_of(t2.p("svc.db")))
        else:
            r = svc("copy", "--from", h.db, "--to", t2.p("svc.db"))
        eq(r.code, 0, r.err)
        r = svc("report", "--db", "svc.db", "--out", "out", "--as-of", ND, cwd=t2.path)
        eq(r.code, 0, r.err)
        if not ON_PG:
            eq(digests(t2.p("out"), ND), digests(h.out("x1"), ND), "copied database")
        else:   # a schema of its own: the About sheet's --schema differs
            eq(cells(t2.p("out"), ND, [schema_of(t2.p("svc.db"))]),
               cells(h.out("x1"), ND, [schema_of(h.db)]), "copied database")


def cells(folder, as_of, names):
    """{book: {sheet: rows}}, each database name of names read as DB and an
    import's wall-clock time as T (all that differs between back ends);
    a PostgreSQL URI also as the workbooks name what it reached."""
    from xlsx_helpers import with_reached
    names = with_reached(names)
    out = {}
    for b in BOOKS:
        wb = openpyxl.load_workbook(os.path.join(folder, "%s_%s.xlsx" % (b, as_of)))
        out[b] = {ws.title: list(xlsx_rows(ws, names)) for ws in wb.worksheets}
    return out


def same(got, want, what):
    """eq over cells(), naming the first cell that differs."""
    eq(sorted(got), sorted(want), what)
    for b in want:
        eq(list(got[b]), list(want[b]), "%s: %s sheets" % (what, b))
        for sh in want[b]:
            for i, (g, w) in enumerate(zip(got[b][sh], want[b][sh]), 1):
                eq(g, w, "%s: %s %s row %d" % (what, b, sh, i))
            eq(len(got[b][sh]), len(want[b][sh]), "%s: %s %s rows" % (what, b, sh))


def test_sqlite_and_postgresql_give_the_same_cells():
    """SPEC §5: the same data gives the same workbooks on either back end,
    cell for cell; only the database named on Run and About differs (and
    the import times a skipped file's reason quotes), so no workbook is
    byte-identical across back ends. The same four nights on the other
    back end, and this pass's database copied to it with `copy`."""
    c = pg_cluster()
    h = History()       # a fresh one: the others' workbooks were written again
    uri = c.uri()
    schema = "t7950_other_%d" % os.getpid()
    c.psql("svc", "DROP SCHEMA IF EXISTS %s CASCADE" % schema)
    if ON_PG:
        other = History(["--db", "svc.db"])
        names_o, names_h = ["svc.db"], [pg_uri() + " --schema " + schema_of(h.db),
                                        "'" + pg_uri() + "' --schema " + schema_of(h.db),
                                        pg_uri()]
    else:
        other = History(["--db", uri, "--schema", schema])
        names_o, names_h = ["'%s' --schema %s" % (uri, schema), uri + " --schema " + schema,
                            uri], ["svc.db"]
    try:
        for folder, as_of in NIGHTS:
            same(cells(other.out(folder), as_of, names_o), cells(h.out(folder), as_of, names_h),
                 "night %s on both back ends" % as_of)
            check(digests(other.out(folder), as_of)["audit"] != digests(h.out(folder), as_of)["audit"],
                  "the Run sheet names another database")
        # copy this pass's database to the other back end, report there
        dst = ["--to", "svc2.db"] if ON_PG else ["--to", uri, "--to-schema", schema + "_c"]
        if not ON_PG:
            c.psql("svc", "DROP SCHEMA IF EXISTS %s_c CASCADE" % schema)
        src = ["--from", pg_uri(), "--from-schema", schema_of(h.db)] if ON_PG else [
            "--from", h.db]
        r = Run(subprocess.run([SVCRECON, "copy"] + src + dst, cwd=h.t.path,
                               capture_output=True, text=True))
        eq(r.code, 0, r.err)
        if ON_PG:
            args, names_c = ["--db", h.t.p("svc2.db")], [h.t.p("svc2.db")]
            r = Run(subprocess.run([SVCRECON, "report"] + args + ["--out", h.t.p("cp"),
                                   "--as-of", ND], capture_output=True, text=True))
        else:
            args = ["--db", uri, "--schema", schema + "_c"]
            names_c = ["'%s' --schema %s_c" % (uri, schema), uri]
            r = Run(subprocess.run([SVCRECON, "report"] + args + ["--out", h.t.p("cp"),
                                   "--as-of", ND], capture_output=True, text=True))
        eq(r.code, 0, r.err)
        eq(h.svc("report", "--db", "svc.db", "--out", "x1", "--as-of", ND).code, 0)
        same(cells(h.t.p("cp"), ND, names_c), cells(h.out("x1"), ND, names_h),
             "copied to the other back end")
    finally:
        other.t.__exit__(None, None, None)
        h.t.__exit__(None, None, None)
        c.psql("svc", "DROP SCHEMA IF EXISTS %s CASCADE; DROP SCHEMA IF EXISTS %s_c CASCADE"
               % (schema, schema))


main(globals())
