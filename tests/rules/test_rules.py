#!/usr/bin/python3
"""test_rules.py -- SPEC §3 reconciliation rules (schemas/r*.sql) on hand-written rows.

Every case runs twice (issue 15): on the rule state kept in the database
(schemas/tables/004_rule_state.sql, brought up to date file by file by
schemas/upkeep/ as etl/load.c does, read by schemas/rules/), and on the
full recomputation kept as the reference (schemas/reference/ORDER). Both
must give the rows the case expects. And every case runs on both back ends
(issue 17): on SQLite (Python's sqlite3, in memory) and, as "NAME
[postgresql]", on the PostgreSQL cluster of the run (SVCRECON_PG_DIR, see
tests/pgcluster.py) through pg_adapter.py, with the same SQL files and the
same expected rows. Without a cluster the PostgreSQL half says SKIP, case by
case (counted as skipped, never as passed).

Each case builds a new database from schemas/tables/ (on PostgreSQL with
schemas/tables/pg/ around them, as lib/db.c migrates), inserts
rows straight into imported_file / registration / dispatch / closeout (the
helpers fill the *_norm and *_day columns as the loader does), runs
r010_context.sql, fills run_ctx and aging_bucket, runs the other r*.sql files
in name order, then compares the *full* set of rows of each named view with
rows written by hand from the SPEC: a missing or an extra row fails the case.

Run with Debian's interpreter (stdlib, and python3-psycopg2 for PostgreSQL):
    /usr/bin/python3 tests/rules/test_rules.py [-v] [CASE-NAME-SUBSTRING...]
The last line printed is "N passed, N failed, N skipped"; the exit status is
1 on any failure.

Conventions of the cases below: the as-of date is A = 2026-03-12 unless a
case says otherwise; a file's rows get physical lines 2, 3, ... in order (the
header is line 1); files are imported in the order listed (file_id 1, 2, ...).
"""

import datetime
import glob
import hashlib
import os
import re
import sqlite3
import sys
import traceback
from collections import Counter

import pg_adapter  # noqa: E402  (tests/rules/pg_adapter.py)

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.normpath(os.path.join(HERE, "..", "..", "schemas"))
EPOCH = datetime.date(1970, 1, 1)
A = "2026-03-12"

DEFAULT_BUCKETS = [
    (1, 0, 7, "0-7"), (2, 8, 14, "8-14"), (3, 15, 30, "15-30"),
    (4, 31, 60, "31-60"), (5, 61, 90, "61-90"), (6, 91, None, "91+"),
]


# --- the loader's conventions (001_tables.sql header) ----------------------

def day(iso):
    """Day number (days since 1970-01-01) of 'YYYY-MM-DD[ HH:MM[:SS]]'."""
    return (datetime.date.fromisoformat(iso[:10]) - EPOCH).days


def norm(text):
    """SPEC §2: upper case, ASCII spaces and hyphens removed."""
    return text.upper().replace(" ", "").replace("-", "")


def stamp(text):
    """A date-time as stored: 'YYYY-MM-DD HH:MM:SS'."""
    if len(text) == 10:
        return text + " 00:00:00"
    if len(text) == 16:
        return text + ":00"
    return text


def ago(n, time="08:00"):
    """The date-time n days before A."""
    d = datetime.date.fromisoformat(A) - datetime.timedelta(days=n)
    return d.isoformat() + " " + time


# --- rows, as a case writes them ---------------------------------------------

def D(dispatch_id, at="2026-03-05 10:00", serial="SN-1", provider="D1",
      model="iPF8400S", status="OPEN", customer="Acme Print"):
    """A dispatch row (SPEC §2 dispatches)."""
    return ("dispatch", dict(dispatch_id=dispatch_id, at=at, serial=serial,
                             provider=provider, model=model, status=status,
                             customer=customer))


def C(dealer="D1", at="2026-03-06 09:00", dispatch_id="X1", serial="SN-1",
      completed="2026-03-05", tech="Pat", hours=1.5, res="R01",
      model="iPF8400S"):
    """A closeout row; the defaults make a complete Section 2 for X1."""
    return ("closeout", dict(dealer=dealer, at=at, dispatch_id=dispatch_id,
                             serial=serial, completed=completed, tech=tech,
                             hours=hours, res=res, model=model))


def R(dealer, serial="SN-1", registered="2026-01-10", model="iPF8400S",
      wmp=0, removed=None):
    """A registration row."""
    return ("registration", dict(dealer=dealer, serial=serial,
                                 registered=registered, model=model, wmp=wmp,
                                 removed=removed))


def sha_of(name):
    """The SHA-256 a case's file gets (of its name: unique per file, and
    hex, as a loaded file's)."""
    return hashlib.sha256(name.encode()).hexdigest()


def at_file(name, line):
    """FILE:LINE and the SHA-256 prefix, as the details that point at
    another row name it (README "Which file a row comes from")."""
    return "%s:%d, SHA-256 %s" % (name, line, sha_of(name)[:12])


def accepted(name, line):
    """DUPLICATE_CLOSEOUT's detail: the accepted closeout at name:line."""
    return "accepted closeout: %s:%d (SHA-256 %s)" % (name, line,
                                                      sha_of(name)[:12])


def F(name, *rows):
    """One imported file; its kind comes from the name prefix."""
    return (name, rows)


KINDS = {"dispatches": "dispatch", "closeouts": "closeout",
         "registrations": "registration"}


def load(db, files, upkeep=False):
    for name, rows in files:
        kind = next(k for k in KINDS if name.startswith(k))
        fid = db.execute(
            "INSERT INTO imported_file (name, path, kind, sha256, status,"
            " rows_read, rows_loaded, imported_at)"
            " VALUES (?, ?, ?, ?, 'loaded', ?, ?, '2026-03-12 02:00:00')"
            " RETURNING file_id",
            (name, "inbox/" + name, kind, sha_of(name), len(rows),
             len(rows))).fetchone()[0]
        for i, (rkind, r) in enumerate(rows):
            line = i + 2
            if rkind != KINDS[kind]:
                raise ValueError("%s row in %s" % (rkind, name))
            if rkind == "dispatch":
                db.execute(
                    "INSERT INTO dispatch (file_id, line, dispatch_id,"
                    " dispatched_at, dispatched_day, model, model_norm,"
                    " serial_number, serial_norm, provider_id, customer_name,"
                    " customer_postal_code, problem_code, status)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,'10001','E01',?)",
                    (fid, line, r["dispatch_id"], stamp(r["at"]), day(r["at"]),
                     r["model"], norm(r["model"]), r["serial"],
                     norm(r["serial"]), r["provider"], r["customer"],
                     r["status"]))
            elif rkind == "closeout":
                comp = r["completed"]
                db.execute(
                    "INSERT INTO closeout (file_id, line, dealer_id,"
                    " submitted_at, submitted_day, dispatch_id, serial_number,"
                    " serial_norm, model, model_norm, completed_on,"
                    " completed_day, technician, labor_hours, resolution_code,"
                    " parts) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'')",
                    (fid, line, r["dealer"], stamp(r["at"]), day(r["at"]),
                     r["dispatch_id"], r["serial"], norm(r["serial"]),
                     r["model"], norm(r["model"]), comp,
                     day(comp) if comp else None, r["tech"], r["hours"],
                     r["res"]))
            else:
                rem = r["removed"]
                db.execute(
                    "INSERT INTO registration (file_id, line, dealer_id,"
                    " dealer_name, model, model_norm, serial_number,"
                    " serial_norm, registered_on, registered_day,"
                    " wmp_selected, removed_on, removed_day)"
                    " VALUES (?,?,?,'',?,?,?,?,?,?,?,?,?)",
                    (fid, line, r["dealer"], r["model"], norm(r["model"]),
                     r["serial"], norm(r["serial"]), r["registered"],
                     day(r["registered"]), r["wmp"], rem,
                     day(rem) if rem else None))
        if upkeep:
            keep_rules(db, kind, fid)


def keep_rules(db, kind, file_id):
    """etl/load.c's upkeep after a file: the touched keys, then upkeep.sql.
    The one parameter, :file_id, is an integer from this script."""
    up = os.path.join(SCHEMAS, "upkeep")
    db.executescript(read(os.path.join(up, "u000_touched.sql")))
    touch = read(os.path.join(up, "touch_%s.sql" % kind))
    db.executescript(touch.replace(":file_id", str(int(file_id))))
    db.executescript(read(os.path.join(up, "upkeep.sql")))


def table_files():
    """Every schema version's file, in order (lib/db.c's migrations)."""
    return sorted(glob.glob(os.path.join(SCHEMAS, "tables", "[0-9]*.sql")))


def upkeep_files():
    return sorted(glob.glob(os.path.join(SCHEMAS, "upkeep", "*.sql")))


def rule_files(folder="rules"):
    """The rule files as the program runs them: schemas/rules/ORDER; with
    folder="reference", the full recomputation (schemas/reference/ORDER)."""
    with open(os.path.join(SCHEMAS, folder, "ORDER")) as f:
        names = [l.split("#", 1)[0].strip() for l in f]
    return [os.path.join(SCHEMAS, folder, n) for n in names if n]


ENGINES = ("state", "reference")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def connect(backend, fresh=False):
    """A new, empty database of the back end with every schema version's
    tables: "sqlite" in memory, "postgresql" an emptied schema on the test
    cluster (pg_adapter.py; fresh: a new one, for a case that changes the
    schema); the caller closes it."""
    if backend == "postgresql":
        return pg_adapter.PgDatabase(fresh)
    db = sqlite3.connect(":memory:", isolation_level=None)
    for path in table_files():
        db.executescript(read(path))
    return db


def build(files, as_of=A, buckets=None, from_day=None, before=None,
          engine="state", backend="sqlite"):
    """A database after the rules ran, as the report connection sees it:
    engine "state" keeps the rule state at each file, as a load does, and
    reads it through schemas/rules/; "reference" recomputes everything."""
    db = connect(backend, fresh=before is not None)
    if before:
        db.executescript(before)
    load(db, files, upkeep=engine == "state")
    db.executescript(read(os.path.join(SCHEMAS, "rules", "r010_context.sql")))
    db.execute("INSERT INTO run_ctx (as_of, as_of_day, from_day)"
               " VALUES (?, ?, ?)", (as_of, day(as_of), from_day))
    db.executemany("INSERT INTO aging_bucket (seq, lo_days, hi_days, label)"
                   " VALUES (?, ?, ?, ?)",
                   DEFAULT_BUCKETS if buckets is None else buckets)
    for path in rule_files("rules" if engine == "state" else "reference"):
        db.executescript(read(path))
    return db


# What each expectation compares: the view's rows, projected on the columns
# a person can write by hand (file name and line instead of row ids).
PROJECTIONS = {
    "dispatch_current":
        "SELECT dispatch_id, file_name, line, status, provider_id"
        "  FROM dispatch_current",
    "closeout_current":
        "SELECT file_name, line FROM closeout_current",
    "closeout_reason":
        "SELECT f.name, c.line, r.rank, r.code, r.detail"
        "  FROM closeout_reason AS r"
        "  JOIN closeout AS c ON c.closeout_id = r.closeout_id"
        "  JOIN imported_file AS f ON f.file_id = c.file_id",
    "closeout_eval":
        "SELECT file_name, line, reason, all_reasons, detail, is_valid,"
        "       is_accepted FROM closeout_eval",
    "noncompensable":
        "SELECT file_name, line, reason FROM noncompensable",
    "unclosed_call":
        "SELECT dispatch_id, days_open, bucket_seq, bucket_label, attempts,"
        "       file_name, line FROM unclosed_call",
    "registration_exception":
        "SELECT dispatch_id, rank, code, detail FROM registration_exception",
}


class Case:
    def __init__(self, name, files, expect, as_of=A, buckets=None,
                 before=None, from_on=None):
        self.name, self.files, self.expect = name, files, expect
        self.as_of, self.buckets, self.before = as_of, buckets, before
        self.from_day = day(from_on) if from_on else None

    def run(self, backend="sqlite"):
        problems = []
        for engine in ENGINES:
            db = build(self.files, self.as_of, self.buckets, self.from_day,
                       self.before, engine, backend)
            try:
                problems += ["%s: %s" % (engine, p) for p in invariants(db)]
                problems += ["%s: %s" % (engine, p)
                             for p in self.compare(db)]
            finally:
                db.close()
        return problems

    def compare(self, db):
        """Each expected view's rows as a multiset: a missing or an extra
        row is a problem; row order is not compared (the listings' ORDER
        BY is the report queries' business, not the rules')."""
        problems = []
        for view, want in self.expect.items():
            got = [tuple(r) for r in db.execute(PROJECTIONS[view])]
            missing = Counter(map(tuple, want)) - Counter(got)
            extra = Counter(got) - Counter(map(tuple, want))
            if missing or extra:
                problems.append("%s: missing %s; extra %s" % (
                    view, sorted(missing.elements(), key=repr),
                    sorted(extra.elements(), key=repr)))
        return problems


# Facts that hold in every case, checked after each one (SPEC §3): the
# views agree with each other whatever the data.
INVARIANTS = [
    ("closeout_eval has one row per current closeout",
     "SELECT closeout_id FROM closeout_current",
     "SELECT closeout_id FROM closeout_eval"),
    ("noncompensable = closeout_eval rows with a reason",
     "SELECT * FROM closeout_eval WHERE reason IS NOT NULL",
     "SELECT * FROM noncompensable"),
    ("reason = the code of the lowest rank",
     "SELECT r.closeout_id, r.code FROM closeout_reason AS r"
     " WHERE r.rank = (SELECT MIN(q.rank) FROM closeout_reason AS q"
     "                  WHERE q.closeout_id = r.closeout_id)",
     "SELECT closeout_id, reason FROM closeout_eval WHERE reason IS NOT NULL"),
    ("is_valid = no reason of rank 1-6",
     "SELECT closeout_id, CASE WHEN EXISTS (SELECT 1 FROM closeout_reason r"
     " WHERE r.closeout_id = e.closeout_id AND r.rank <= 6) THEN 0 ELSE 1 END"
     " FROM closeout_eval AS e",
     "SELECT closeout_id, is_valid FROM closeout_eval"),
    ("accepted = valid without DUPLICATE_CLOSEOUT",
     "SELECT closeout_id FROM closeout_eval WHERE is_valid = 1"
     " AND reason IS NULL",
     "SELECT closeout_id FROM closeout_eval WHERE is_accepted = 1"),
    ("at most one accepted closeout per dispatch",
     "SELECT DISTINCT dispatch_id FROM closeout_eval WHERE is_accepted = 1",
     "SELECT dispatch_id FROM closeout_eval WHERE is_accepted = 1"),
]


def invariants(db):
    problems = []
    for name, want_sql, got_sql in INVARIANTS:
        want = Counter(tuple(r) for r in db.execute(want_sql))
        got = Counter(tuple(r) for r in db.execute(got_sql))
        if want != got:
            problems.append("invariant '%s': expected %s, got %s" % (
                name, sorted(want.elements(), key=repr),
                sorted(got.elements(), key=repr)))
    return problems


CASES = []


def case(name, files, as_of=A, buckets=None, before=None, from_on=None,
         **expect):
    CASES.append(Case(name, files, expect, as_of, buckets, before, from_on))


DISP = F("dispatches_1.csv", D("X1"))  # X1: 2026-03-05 10:00, SN-1, D1
OK = ("closeouts_1.csv", 2, None, "", "", 1, 1)  # eval row of a valid C()

# --- current versions (SPEC §2 keys) --------------------------------------

case("current: latest import of a dispatch wins; no as-of filter",
     [F("dispatches_1.csv", D("X1"), D("X2", at="2026-03-20 08:00")),
      F("dispatches_2.csv", D("X1", status="CANCELLED"))],
     dispatch_current=[("X1", "dispatches_2.csv", 2, "CANCELLED", "D1"),
                       ("X2", "dispatches_1.csv", 3, "OPEN", "D1")])

case("superseded closeout: only the current version counts (fixed later)",
     [DISP, F("closeouts_1.csv", C(tech="")),
      F("closeouts_2.csv", C())],
     closeout_current=[("closeouts_2.csv", 2)],
     closeout_reason=[],
     closeout_eval=[("closeouts_2.csv", 2, None, "", "", 1, 1)],
     unclosed_call=[])

case("superseded closeout: only the current version counts (broken later)",
     [DISP, F("closeouts_1.csv", C()),
      F("closeouts_2.csv", C(tech=""))],
     closeout_current=[("closeouts_2.csv", 2)],
     closeout_eval=[("closeouts_2.csv", 2, "INCOMPLETE_SECTION2",
                     "INCOMPLETE_SECTION2", "blank: technician", 0, 0)],
     unclosed_call=[("X1", 7, 1, "0-7", 1, "dispatches_1.csv", 2)])

case("same closeout key in two imports is one closeout, not a duplicate",
     [DISP, F("closeouts_1.csv", C()), F("closeouts_2.csv", C())],
     closeout_reason=[],
     closeout_eval=[("closeouts_2.csv", 2, None, "", "", 1, 1)])

case("closeout after A is ignored; on A at 23:59:59 counts",
     [DISP, F("closeouts_1.csv", C(at="2026-03-13 00:00"),
               C(dealer="D2", at="2026-03-12 23:59:59"))],
     closeout_current=[("closeouts_1.csv", 3)],
     closeout_reason=[("closeouts_1.csv", 3, 3, "PROVIDER_MISMATCH",
                       "dealer 'D2' is not the provider 'D1'")],
     unclosed_call=[("X1", 7, 1, "0-7", 1, "dispatches_1.csv", 2)])

# --- closeout checks, one per reason (SPEC §3) -------------------------------

case("valid closeout is accepted and closes the call",
     [DISP, F("closeouts_1.csv", C())],
     closeout_reason=[], closeout_eval=[OK], noncompensable=[],
     unclosed_call=[])

case("NO_DISPATCH: dispatch id blank",
     [DISP, F("closeouts_1.csv", C(dispatch_id=""))],
     closeout_reason=[("closeouts_1.csv", 2, 1, "NO_DISPATCH",
                       "no dispatch id given")],
     closeout_eval=[("closeouts_1.csv", 2, "NO_DISPATCH", "NO_DISPATCH",
                     "no dispatch id given", 0, 0)],
     noncompensable=[("closeouts_1.csv", 2, "NO_DISPATCH")],
     unclosed_call=[("X1", 7, 1, "0-7", 0, "dispatches_1.csv", 2)])

case("NO_DISPATCH: dispatch id unknown",
     [DISP, F("closeouts_1.csv", C(dispatch_id="X9"))],
     closeout_reason=[("closeouts_1.csv", 2, 1, "NO_DISPATCH",
                       "dispatch 'X9' not found")],
     unclosed_call=[("X1", 7, 1, "0-7", 0, "dispatches_1.csv", 2)])

case("NO_DISPATCH: dispatch after A, which is neither unclosed nor checked",
     [F("dispatches_1.csv", D("X1", at="2026-03-14 08:00")),
      F("closeouts_1.csv", C(at="2026-03-11 09:00", completed="2026-03-10"))],
     closeout_reason=[("closeouts_1.csv", 2, 1, "NO_DISPATCH",
                       "dispatch 'X1' dated 2026-03-14, after as-of "
                       "2026-03-12")],
     unclosed_call=[], registration_exception=[])

case("NO_DISPATCH: a dispatch after A turns checks 2-5 off",
     [F("dispatches_1.csv", D("X1", at="2026-03-14 08:00", status="CANCELLED",
                              provider="D2", serial="SN-9")),
      F("closeouts_1.csv", C(at="2026-03-11 09:00", completed="2026-03-10"))],
     closeout_reason=[("closeouts_1.csv", 2, 1, "NO_DISPATCH",
                       "dispatch 'X1' dated 2026-03-14, after as-of "
                       "2026-03-12")])

case("NO_DISPATCH: an earlier version dated before A does not count",
     [F("dispatches_1.csv", D("X1", at="2026-03-10 08:00")),
      F("dispatches_2.csv", D("X1", at="2026-03-14 08:00")),
      F("closeouts_1.csv", C(at="2026-03-11 09:00", completed="2026-03-14"))],
     closeout_reason=[("closeouts_1.csv", 2, 1, "NO_DISPATCH",
                       "dispatch 'X1' dated 2026-03-14, after as-of "
                       "2026-03-12")],
     unclosed_call=[])

case("DISPATCH_CANCELLED",
     [F("dispatches_1.csv", D("X1", status="CANCELLED")),
      F("closeouts_1.csv", C())],
     closeout_reason=[("closeouts_1.csv", 2, 2, "DISPATCH_CANCELLED",
                       "dispatch 'X1' is cancelled (%s)"
                       % at_file("dispatches_1.csv", 2))],
     unclosed_call=[])

case("PROVIDER_MISMATCH",
     [DISP, F("closeouts_1.csv", C(dealer="D2"))],
     closeout_reason=[("closeouts_1.csv", 2, 3, "PROVIDER_MISMATCH",
                       "dealer 'D2' is not the provider 'D1'")],
     unclosed_call=[("X1", 7, 1, "0-7", 1, "dispatches_1.csv", 2)])

case("PROVIDER_MISMATCH: dispatch with blank provider matches no dealer",
     [F("dispatches_1.csv", D("X1", provider="")),
      F("closeouts_1.csv", C())],
     closeout_reason=[("closeouts_1.csv", 2, 3, "PROVIDER_MISMATCH",
                       "dealer 'D1' is not the provider (dispatch has none)")],
     unclosed_call=[("X1", 7, 1, "0-7", 1, "dispatches_1.csv", 2)])

case("SERIAL_MISMATCH",
     [DISP, F("closeouts_1.csv", C(serial="SN-2"))],
     closeout_reason=[("closeouts_1.csv", 2, 4, "SERIAL_MISMATCH",
                       "serial 'SN-2' differs from dispatch serial 'SN-1'")],
     closeout_eval=[("closeouts_1.csv", 2, "SERIAL_MISMATCH",
                     "SERIAL_MISMATCH",
                     "serial 'SN-2' differs from dispatch serial 'SN-1'",
                     0, 0)])

case("serial normalization: 'ipf-8400s' == 'IPF8400S', 'sn 1' == 'SN-1'",
     [F("dispatches_1.csv", D("X1", serial="IPF8400S"), D("X2")),
      F("closeouts_1.csv", C(serial="ipf-8400s"),
        C(dispatch_id="X2", serial="sn 1"))],
     closeout_reason=[],
     closeout_eval=[("closeouts_1.csv", 2, None, "", "", 1, 1),
                    ("closeouts_1.csv", 3, None, "", "", 1, 1)],
     unclosed_call=[])

# README "Rules": a serial or model that normalizes to '' compares as ''
# (SPEC §2 literally): against a real serial it mismatches, against
# another placeholder it is equal.
case("a closeout serial that normalizes to '' mismatches a real one",
     [DISP, F("closeouts_1.csv", C(serial="-"))],
     closeout_reason=[("closeouts_1.csv", 2, 4, "SERIAL_MISMATCH",
                       "serial '-' differs from dispatch serial 'SN-1'")],
     unclosed_call=[("X1", 7, 1, "0-7", 1, "dispatches_1.csv", 2)])

case("a closeout serial '- -' equals a dispatch's '-' (both normalize to '')",
     [F("dispatches_1.csv", D("X1", serial="-")),
      F("closeouts_1.csv", C(serial="- -"))],
     closeout_reason=[], unclosed_call=[])

case("blank closeout serial: INCOMPLETE_SECTION2, not SERIAL_MISMATCH",
     [DISP, F("closeouts_1.csv", C(serial=""))],
     closeout_reason=[("closeouts_1.csv", 2, 6, "INCOMPLETE_SECTION2",
                       "blank: serial_number")])

case("SERVICE_BEFORE_DISPATCH",
     [DISP, F("closeouts_1.csv", C(completed="2026-03-04"))],
     closeout_reason=[("closeouts_1.csv", 2, 5, "SERVICE_BEFORE_DISPATCH",
                       "completed 2026-03-04 before dispatch 2026-03-05")])

case("SERVICE_BEFORE_DISPATCH: same day (dispatched 10:00) is fine",
     [DISP, F("closeouts_1.csv", C(completed="2026-03-05"))],
     closeout_reason=[], closeout_eval=[OK])

case("INCOMPLETE_SECTION2: technician and labor_hours blank",
     [DISP, F("closeouts_1.csv", C(tech="", hours=None))],
     closeout_reason=[("closeouts_1.csv", 2, 6, "INCOMPLETE_SECTION2",
                       "blank: technician, labor_hours")])

case("INCOMPLETE_SECTION2: labor_hours 0 counts as blank",
     [DISP, F("closeouts_1.csv", C(hours=0))],
     closeout_reason=[("closeouts_1.csv", 2, 6, "INCOMPLETE_SECTION2",
                       "blank: labor_hours")],
     unclosed_call=[("X1", 7, 1, "0-7", 1, "dispatches_1.csv", 2)])

case("INCOMPLETE_SECTION2: every field blank, named in column order",
     [DISP, F("closeouts_1.csv", C(serial="", completed=None, tech="",
                                   hours=None, res=""))],
     closeout_reason=[("closeouts_1.csv", 2, 6, "INCOMPLETE_SECTION2",
                       "blank: serial_number, completed_on, technician, "
                       "labor_hours, resolution_code")])

case("INCOMPLETE_SECTION2: completed_on and resolution_code blank",
     [DISP, F("closeouts_1.csv", C(completed=None, res=""))],
     closeout_reason=[("closeouts_1.csv", 2, 6, "INCOMPLETE_SECTION2",
                       "blank: completed_on, resolution_code")])

case("DUPLICATE_CLOSEOUT: the first submitted wins, not the first line",
     [DISP, F("closeouts_1.csv", C(at="2026-03-07 09:00"),
               C(at="2026-03-06 17:00"))],
     closeout_reason=[("closeouts_1.csv", 2, 7, "DUPLICATE_CLOSEOUT",
                       accepted("closeouts_1.csv", 3))],
     closeout_eval=[("closeouts_1.csv", 2, "DUPLICATE_CLOSEOUT",
                     "DUPLICATE_CLOSEOUT",
                     accepted("closeouts_1.csv", 3), 1, 0),
                    ("closeouts_1.csv", 3, None, "", "", 1, 1)],
     noncompensable=[("closeouts_1.csv", 2, "DUPLICATE_CLOSEOUT")],
     unclosed_call=[])

case("DUPLICATE_CLOSEOUT: across imports, the first submitted wins",
     [DISP, F("closeouts_1.csv", C(at="2026-03-07 09:00")),
      F("closeouts_2.csv", C(at="2026-03-06 09:00"))],
     closeout_eval=[("closeouts_1.csv", 2, "DUPLICATE_CLOSEOUT",
                     "DUPLICATE_CLOSEOUT",
                     accepted("closeouts_2.csv", 2), 1, 0),
                    ("closeouts_2.csv", 2, None, "", "", 1, 1)])

case("--from never changes which closeout was accepted",
     [DISP, F("closeouts_1.csv", C(at="2026-03-06 09:00"),
               C(at="2026-03-11 09:00"))],
     from_on="2026-03-10",
     closeout_eval=[("closeouts_1.csv", 2, None, "", "", 1, 1),
                    ("closeouts_1.csv", 3, "DUPLICATE_CLOSEOUT",
                     "DUPLICATE_CLOSEOUT",
                     accepted("closeouts_1.csv", 2), 1, 0)],
     noncompensable=[("closeouts_1.csv", 3, "DUPLICATE_CLOSEOUT")],
     unclosed_call=[])

# Two valid closeouts of one dispatch share dealer (= provider) and dispatch,
# so equal submitted_at means equal keys, which the loader's unique index
# forbids in one file (and a later file supersedes). The tie-break is pinned
# anyway, with that index dropped, so the order stays total.
case("DUPLICATE_CLOSEOUT: equal submitted_at in one file, earlier line wins",
     [DISP, F("closeouts_1.csv", C(tech="Ann"), C(tech="Bob"))],
     before="DROP INDEX closeout_key;",
     closeout_eval=[("closeouts_1.csv", 2, None, "", "", 1, 1),
                    ("closeouts_1.csv", 3, "DUPLICATE_CLOSEOUT",
                     "DUPLICATE_CLOSEOUT",
                     accepted("closeouts_1.csv", 2), 1, 0)])

case("DUPLICATE_CLOSEOUT: only valid ones compete; invalid earlier is not it",
     [DISP, F("closeouts_1.csv", C(at="2026-03-06 08:00", hours=0),
               C(at="2026-03-06 09:00"), C(at="2026-03-06 10:00"))],
     closeout_reason=[("closeouts_1.csv", 2, 6, "INCOMPLETE_SECTION2",
                       "blank: labor_hours"),
                      ("closeouts_1.csv", 4, 7, "DUPLICATE_CLOSEOUT",
                       accepted("closeouts_1.csv", 3))],
     unclosed_call=[])

case("several reasons: primary is the first by precedence, all in order",
     [F("dispatches_1.csv", D("X1", status="CANCELLED")),
      F("closeouts_1.csv", C(dealer="D2", serial="SN-9",
                             completed="2026-03-01", tech=""))],
     closeout_reason=[
         ("closeouts_1.csv", 2, 2, "DISPATCH_CANCELLED",
          "dispatch 'X1' is cancelled (%s)"
          % at_file("dispatches_1.csv", 2)),
         ("closeouts_1.csv", 2, 3, "PROVIDER_MISMATCH",
          "dealer 'D2' is not the provider 'D1'"),
         ("closeouts_1.csv", 2, 4, "SERIAL_MISMATCH",
          "serial 'SN-9' differs from dispatch serial 'SN-1'"),
         ("closeouts_1.csv", 2, 5, "SERVICE_BEFORE_DISPATCH",
          "completed 2026-03-01 before dispatch 2026-03-05"),
         ("closeouts_1.csv", 2, 6, "INCOMPLETE_SECTION2",
          "blank: technician")],
     closeout_eval=[(
         "closeouts_1.csv", 2, "DISPATCH_CANCELLED",
         "DISPATCH_CANCELLED;PROVIDER_MISMATCH;SERIAL_MISMATCH;"
         "SERVICE_BEFORE_DISPATCH;INCOMPLETE_SECTION2",
         "dispatch 'X1' is cancelled (%s); " % at_file("dispatches_1.csv", 2)
         + "dealer 'D2' is not the provider 'D1'; "
         "serial 'SN-9' differs from dispatch serial 'SN-1'; "
         "completed 2026-03-01 before dispatch 2026-03-05; "
         "blank: technician", 0, 0)],
     noncompensable=[("closeouts_1.csv", 2, "DISPATCH_CANCELLED")])

case("several reasons: NO_DISPATCH with INCOMPLETE_SECTION2, checks 2-5 off",
     [DISP, F("closeouts_1.csv", C(dealer="D2", dispatch_id="X9",
                                   serial="SN-9", res=""))],
     closeout_eval=[("closeouts_1.csv", 2, "NO_DISPATCH",
                     "NO_DISPATCH;INCOMPLETE_SECTION2",
                     "dispatch 'X9' not found; blank: resolution_code",
                     0, 0)])

case("reassigned dispatch: the earlier closeout gets PROVIDER_MISMATCH",
     [DISP, F("closeouts_1.csv", C()),
      F("dispatches_2.csv", D("X1", provider="D2"))],
     closeout_reason=[("closeouts_1.csv", 2, 3, "PROVIDER_MISMATCH",
                       "dealer 'D1' is not the provider 'D2'")],
     unclosed_call=[("X1", 7, 1, "0-7", 1, "dispatches_2.csv", 2)])

case("reassigned dispatch: the new provider's closeout is accepted",
     [DISP, F("closeouts_1.csv", C()),
      F("dispatches_2.csv", D("X1", provider="D2")),
      F("closeouts_2.csv", C(dealer="D2", at="2026-03-09 09:00"))],
     closeout_eval=[("closeouts_1.csv", 2, "PROVIDER_MISMATCH",
                     "PROVIDER_MISMATCH",
                     "dealer 'D1' is not the provider 'D2'", 0, 0),
                    ("closeouts_2.csv", 2, None, "", "", 1, 1)],
     unclosed_call=[])

case("cancelled then reopened: OPEN again, closeout accepted",
     [DISP, F("dispatches_2.csv", D("X1", status="CANCELLED")),
      F("dispatches_3.csv", D("X1")), F("closeouts_1.csv", C())],
     closeout_reason=[], closeout_eval=[OK], unclosed_call=[])

case("cancelled then reopened: without a closeout it is unclosed again",
     [DISP, F("dispatches_2.csv", D("X1", status="CANCELLED")),
      F("dispatches_3.csv", D("X1"))],
     unclosed_call=[("X1", 7, 1, "0-7", 0, "dispatches_3.csv", 2)])

case("cancelled (latest import): closeout refused, call not unclosed",
     [DISP, F("closeouts_1.csv", C()),
      F("dispatches_2.csv", D("X1", status="CANCELLED"))],
     closeout_eval=[("closeouts_1.csv", 2, "DISPATCH_CANCELLED",
                     "DISPATCH_CANCELLED",
                     "dispatch 'X1' is cancelled (%s)"
                     % at_file("dispatches_2.csv", 2), 0, 0)],
     unclosed_call=[])

# --- as of: the same data seen on different days -----------------------------

AS_OF_DATA = [F("dispatches_1.csv", D("X1", at="2026-03-14 08:00")),
              F("closeouts_1.csv", C(at="2026-03-16 09:00",
                                     completed="2026-03-15"))]
case("as of before the dispatch: nothing takes part",
     AS_OF_DATA, as_of="2026-03-13",
     closeout_current=[], closeout_eval=[], unclosed_call=[],
     registration_exception=[])
case("as of the dispatch day: unclosed, 0 days open, closeout not yet",
     AS_OF_DATA, as_of="2026-03-14",
     closeout_current=[],
     unclosed_call=[("X1", 0, 1, "0-7", 0, "dispatches_1.csv", 2)],
     registration_exception=[
         ("X1", 1, "NO_REGISTRATION",
          "no registration of serial 'SN-1' active on 2026-03-14")])
case("as of the day before the closeout: still unclosed",
     AS_OF_DATA, as_of="2026-03-15",
     unclosed_call=[("X1", 1, 1, "0-7", 0, "dispatches_1.csv", 2)])
case("as of the closeout day: accepted, closed",
     AS_OF_DATA, as_of="2026-03-16",
     closeout_eval=[OK], unclosed_call=[])

# --- unclosed calls and aging (SPEC §3) ----------------------------------------

AGES = [0, 7, 8, 14, 15, 30, 31, 60, 61, 90, 91, 400]
AGING = [F("dispatches_1.csv", *[D("A%03d" % n, at=ago(n)) for n in AGES])]


def aged(rows):
    return [("A%03d" % n, n, seq, label, 0, "dispatches_1.csv", i + 2)
            for i, (n, seq, label) in enumerate(rows)]


case("aging: default bucket boundaries 7/8 14/15 30/31 60/61 90/91",
     AGING, unclosed_call=aged([
         (0, 1, "0-7"), (7, 1, "0-7"), (8, 2, "8-14"), (14, 2, "8-14"),
         (15, 3, "15-30"), (30, 3, "15-30"), (31, 4, "31-60"),
         (60, 4, "31-60"), (61, 5, "61-90"), (90, 5, "61-90"),
         (91, 6, "91+"), (400, 6, "91+")]))

case("aging: custom buckets are read from aging_bucket",
     AGING, buckets=[(1, 0, 14, "two weeks"), (2, 15, 60, "two months"),
                     (3, 61, None, "older")],
     unclosed_call=aged([
         (0, 1, "two weeks"), (7, 1, "two weeks"), (8, 1, "two weeks"),
         (14, 1, "two weeks"), (15, 2, "two months"), (30, 2, "two months"),
         (31, 2, "two months"), (60, 2, "two months"), (61, 3, "older"),
         (90, 3, "older"), (91, 3, "older"), (400, 3, "older")]))

case("aging: a gap lists the call without bucket; overlap takes lowest seq",
     [F("dispatches_1.csv", D("G1", at=ago(9)), D("G2", at=ago(3)))],
     buckets=[(1, 0, 5, "early"), (2, 3, 7, "mid"), (3, 10, None, "late")],
     unclosed_call=[("G1", 9, None, None, 0, "dispatches_1.csv", 2),
                    ("G2", 3, 1, "early", 0, "dispatches_1.csv", 3)])

case("unclosed: attempts = current closeouts naming it, as of A",
     [F("dispatches_1.csv", D("X1"), D("X2"), D("X3", status="CANCELLED")),
      F("closeouts_1.csv",
        C(dealer="D2"),                                  # mismatch: counts
        C(at="2026-03-07 09:00", tech=""),               # incomplete: counts
        C(at="2026-03-13 09:00"),                        # after A: not
        C(dispatch_id="X3")),                            # cancelled call
      F("closeouts_2.csv", C(at="2026-03-07 09:00", tech=""))],  # same key
     unclosed_call=[("X1", 7, 1, "0-7", 2, "dispatches_1.csv", 2),
                    ("X2", 7, 1, "0-7", 0, "dispatches_1.csv", 3)])

# --- registration exceptions (SPEC §3) -------------------------------------------

def regs(*rows):
    return [DISP, F("registrations_1.csv", *rows)]


def exc(rank, code, detail, dispatch_id="X1"):
    return (dispatch_id, rank, code, detail)


NO_REG = exc(1, "NO_REGISTRATION",
             "no registration of serial 'SN-1' active on 2026-03-05")

case("registered to the provider, WMP off, same model: no exception",
     regs(R("D1")), registration_exception=[])

case("NO_REGISTRATION: serial never registered",
     regs(R("D1", serial="SN-2")), registration_exception=[NO_REG])

case("NO_REGISTRATION excludes the other four (blank provider, no regs)",
     [F("dispatches_1.csv", D("X1", provider="", model="iPF9400"))],
     registration_exception=[NO_REG])

case("a dispatch serial '-' matches registrations of '--' and '- -'",
     [F("dispatches_1.csv", D("X1", serial="-")),
      F("registrations_1.csv", R("D2", serial="--"), R("D1", serial="- -"))],
     registration_exception=[exc(5, "OVERLAPPING_REGISTRATION",
                                 "dealers 'D1', 'D2' all registered on 2026-03-05")])

case("a dispatch serial '-' matches no registration of a real serial",
     [F("dispatches_1.csv", D("X1", serial="-")),
      F("registrations_1.csv", R("D1"))],
     registration_exception=[exc(1, "NO_REGISTRATION",
                                 "no registration of serial '-' active on 2026-03-05")])

case("a dispatch model '-' equals a registered model '- -'",
     [F("dispatches_1.csv", D("X1", model="-")),
      F("registrations_1.csv", R("D1", model="- -"))],
     registration_exception=[])

case("registration active from registered_on: the day itself counts",
     regs(R("D1", registered="2026-03-05")), registration_exception=[])

case("registration from the day after the dispatch: NO_REGISTRATION",
     regs(R("D1", registered="2026-03-06")), registration_exception=[NO_REG])

case("registration active on removed_on - 1",
     regs(R("D1", removed="2026-03-06")), registration_exception=[])

case("registration not active on removed_on",
     regs(R("D1", removed="2026-03-05")), registration_exception=[NO_REG])

case("registration removed after A is active on the dispatch day",
     regs(R("D1", removed="2026-04-30")), registration_exception=[])

case("NOT_PROVIDER_OF_RECORD",
     regs(R("D9")),
     registration_exception=[
         exc(2, "NOT_PROVIDER_OF_RECORD",
             "provider 'D1' not among registered dealers 'D9'")])

case("NOT_PROVIDER_OF_RECORD: blank provider, with OVERLAPPING",
     [F("dispatches_1.csv", D("X1", provider="")),
      F("registrations_1.csv", R("D2"), R("D1"))],
     registration_exception=[
         exc(2, "NOT_PROVIDER_OF_RECORD",
             "provider blank; registered dealers 'D1', 'D2'"),
         exc(5, "OVERLAPPING_REGISTRATION",
             "dealers 'D1', 'D2' all registered on 2026-03-05")])

case("WMP_SELECTED",
     regs(R("D1", wmp=1)),
     registration_exception=[
         exc(3, "WMP_SELECTED", "WMP selected by registered dealers 'D1'")])

case("WMP_SELECTED: registration superseded with WMP off",
     regs(R("D1", wmp=1)) + [F("registrations_2.csv", R("D1", wmp=0))],
     registration_exception=[])

case("WMP_SELECTED: registration superseded with WMP on",
     regs(R("D1", wmp=0)) + [F("registrations_2.csv", R("D1", wmp=1))],
     registration_exception=[
         exc(3, "WMP_SELECTED", "WMP selected by registered dealers 'D1'")])

case("registration superseded with a removal ends it",
     regs(R("D1")) + [F("registrations_2.csv", R("D1", removed="2026-03-01"))],
     registration_exception=[NO_REG])

case("MODEL_MISMATCH",
     regs(R("D1", model="iPF9400")),
     registration_exception=[
         exc(4, "MODEL_MISMATCH",
             "model 'iPF8400S' not among registered models 'iPF9400'")])

case("model and serial normalization: 'ipf 8400-s' and 'sn 1' match",
     regs(R("D1", model="ipf 8400-s", serial="sn 1")),
     registration_exception=[])

case("OVERLAPPING_REGISTRATION: two dealers registered that day",
     regs(R("D1"), R("D2", registered="2026-02-01")),
     registration_exception=[
         exc(5, "OVERLAPPING_REGISTRATION",
             "dealers 'D1', 'D2' all registered on 2026-03-05")])

case("no overlap once the other dealer's registration ended",
     regs(R("D1"), R("D2", registered="2025-01-01", removed="2026-01-10")),
     registration_exception=[])

case("no overlap: one dealer registered the serial twice",
     regs(R("D1"), R("D1", registered="2026-02-01")),
     registration_exception=[])

case("all four exceptions at once, lists deduplicated and sorted",
     regs(R("D3", model="iPF9400", wmp=1), R("D2", model="iPF 9400"),
          R("D2", model="iPF6400", registered="2026-02-01", wmp=1)),
     registration_exception=[
         exc(2, "NOT_PROVIDER_OF_RECORD",
             "provider 'D1' not among registered dealers 'D2', 'D3'"),
         exc(3, "WMP_SELECTED",
             "WMP selected by registered dealers 'D2', 'D3'"),
         exc(4, "MODEL_MISMATCH",
             "model 'iPF8400S' not among registered models 'iPF6400', "
             "'iPF 9400'"),
         exc(5, "OVERLAPPING_REGISTRATION",
             "dealers 'D2', 'D3' all registered on 2026-03-05")])

case("registration checks: cancelled included, after A excluded, current "
     "version and its day",
     [F("dispatches_1.csv", D("X1", status="CANCELLED", provider="D9"),
        D("X2", serial="SN-2", at="2026-03-01 08:00"),
        D("X3", at="2026-03-13 08:00", provider="D9"),
        D("X4", serial="SN-7", status="CANCELLED")),
      F("dispatches_2.csv", D("X2", at="2026-03-04 08:00")),
      F("registrations_1.csv", R("D1", registered="2026-03-03"))],
     registration_exception=[
         exc(2, "NOT_PROVIDER_OF_RECORD",
             "provider 'D9' not among registered dealers 'D1'"),
         exc(1, "NO_REGISTRATION",
             "no registration of serial 'SN-7' active on 2026-03-05", "X4")])

# --- the contract with the C code and the workbooks ---------------------------

REQUIRED = {
    "dispatch_current": ["file_name"],   # plus every dispatch column
    "closeout_current": ["file_name", "closeout_id", "submitted_day"],
    "closeout_reason": ["closeout_id", "rank", "code", "detail"],
    "closeout_eval": [
        "closeout_id", "file_id", "file_name", "line", "dealer_id",
        "dispatch_id", "serial_number", "submitted_at", "submitted_day",
        "completed_on", "completed_day", "labor_hours", "reason",
        "all_reasons", "detail", "is_valid", "is_accepted"],
    "noncompensable": ["reason", "submitted_day", "file_name", "line"],
    "unclosed_call": [
        "dispatch_id", "dispatched_at", "dispatched_day", "days_open",
        "bucket_seq", "bucket_label", "provider_id", "model",
        "serial_number", "customer_name", "attempts", "file_name", "line"],
    "registration_exception": [
        "dispatch_id", "dispatched_at", "dispatched_day", "serial_number",
        "provider_id", "rank", "code", "detail", "file_name", "line"],
}


def columns(db, name):
    return [d[0] for d in db.execute("SELECT * FROM %s LIMIT 0" % name)
            .description]


def check_columns(backend="sqlite"):
    problems = []
    for engine in ENGINES:
        db = build([DISP], engine=engine, backend=backend)
        try:
            problems += ["%s: %s" % (engine, p) for p in check_columns_of(db)]
        finally:
            db.close()
    return problems


def check_columns_of(db):
    problems = []
    for name, want in REQUIRED.items():
        got = columns(db, name)
        if name == "dispatch_current":
            want = want + columns(db, "dispatch")
        lacking = [c for c in want if c not in got]
        if lacking:
            problems.append("%s lacks %s" % (name, ", ".join(lacking)))
    return problems


SQLITE_ONLY = re.compile(
    r"\b(julianday|strftime|datetime|date|group_concat|ifnull|iif)\s*\(|"
    r"\bIS\s+NOT\s+(?!NULL\b)|\bglob\b|\binstr\s*\(", re.I)


def check_portable():
    """STYLE §5 / brief: no SQLite-only date or aggregate functions."""
    problems = []
    for path in ([os.path.join(SCHEMAS, "rules", "r010_context.sql")] +
                 rule_files() + rule_files("reference") + upkeep_files() +
                 table_files()):
        for n, text in enumerate(read(path).splitlines(), 1):
            code = re.sub(r"'(?:[^']|'')*'", "''", text).split("--", 1)[0]
            if SQLITE_ONLY.search(code):
                problems.append("%s:%d: %s" % (os.path.basename(path), n,
                                               text.strip()))
    return problems


def check_header_cites_spec():
    """STYLE §5: a rule file opens with the SPEC text it implements."""
    problems = []
    for path in ([os.path.join(SCHEMAS, "rules", "r010_context.sql")] +
                 rule_files() + rule_files("reference")):
        head = read(path).split("\n", 1)[0]
        if not head.startswith("-- " + os.path.basename(path)) or \
                "SPEC" not in head:
            problems.append("%s: first line %r" % (os.path.basename(path),
                                                   head))
    return problems


CHECKS = [
    ("contract: objects have the columns the workbooks rely on",
     check_columns),
    ("contract: rule SQL stays in the SQLite/PostgreSQL common ground",
     check_portable),
    ("contract: each rule file opens by citing the SPEC",
     check_header_cites_spec),
]


def all_tests():
    """(name, function) of every test: each case and the columns contract
    on SQLite, then again on PostgreSQL as "NAME [postgresql]" (the same
    SQL files and expected rows); the static checks run once."""
    on_pg = [(c.name, lambda c=c: c.run("postgresql")) for c in CASES]
    on_pg.append((CHECKS[0][0], lambda: check_columns("postgresql")))
    return [(c.name, c.run) for c in CASES] + CHECKS + [
        (name + " [postgresql]", fn) for name, fn in on_pg]


def main(argv):
    verbose = "-v" in argv
    wanted = [a for a in argv if a != "-v"]
    tests = all_tests()
    names = [t[0] for t in tests]
    dup = [n for n, k in Counter(names).items() if k > 1]
    if dup:
        print("duplicate case names: %s" % dup)
        return 1
    no_pg = pg_adapter.unavailable()
    passed = failed = skipped = 0
    for name, fn in tests:
        if wanted and not any(w in name for w in wanted):
            continue
        if no_pg and name.endswith(" [postgresql]"):
            skipped += 1
            print("SKIP %s: %s" % (name, no_pg))
            continue
        try:
            problems = fn()
        except Exception:
            problems = [traceback.format_exc(limit=2).rstrip()]
        if problems:
            failed += 1
            print("FAIL %s" % name)
            for p in problems:
                print("    " + p)
        else:
            passed += 1
            if verbose:
                print("ok   %s" % name)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed or not (passed or skipped) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
