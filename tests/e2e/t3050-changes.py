#!/usr/bin/python3
"""t3050 -- changes since the previous report (README "Changes since the
previous report", issue 8): three hand-written nights, imported with
`svcrecon import` and reported as of each night, worked out by hand below.

Night 1 (as of 2026-03-10) opens seven calls; night 2 (2026-03-11) closes
A2 by a closeout, cancels A3, re-dates A6 past the as-of date, brings two
new calls (A7, A8), moves A1 and A4 to the next aging bucket, and re-sends
night 1's closeout of Z1 (same key: not new); night 3 (2026-03-12) closes
A5, opens A9 and moves A10. Checked: the Changes sheet line by line (which
calls are newly unclosed, which closed, why and by which row (Closed by:
"closeout accepted (FILE line N)", "dispatch cancelled (...)", ...),
which moved bucket from -> to), the New column per row, the Summary's
"compared with" line and counts, the first report saying there is nothing
to compare with, the --summary JSON counts, re-running night 2 after night
3 (compares with night 1 and gives the same bytes), the record of each
report in the database (replaced by a re-run, absent when the workbooks
could not be written), --from, and the upgrade of a version-1 database.
Last line: "N passed, N failed".
"""
import atexit
import datetime
import json
import os
import re
import shutil
import sqlite3
import sys
import zipfile
import warnings

import openpyxl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, ON_PG, ROOT, SCHEMA_VERSION, Tmp, check, cmd,  # noqa: E402
                     copy_db, eq, kill_on, main, query, schema_version, sha256, snapshot,
                     sqlite_only, svc, writing_a_workbook)

N1, N2, N3 = "2026-03-10", "2026-03-11", "2026-03-12"
BOOKS = ("unclosed_calls", "non_compensable", "audit")
CHANGE_HDR = ["Change", "Dispatch ID", "Dispatched", "Provider",
              "Provider name", "Previous bucket", "Bucket", "Days open", "Closed by",
              "Source file", "Source line", "Source SHA-256"]
NONE_LINE = "No earlier report in this database: nothing to compare with"


def dt(s):
    return datetime.datetime.fromisoformat(s)


# ---- the three nights -------------------------------------------------------

def d(dispatch_id, at, provider, status="OPEN", serial=None):
    return "%s,%s,iPF8400S,%s,%s,Customer %s,10001,P1,%s" % (
        dispatch_id, at, serial or "SN-" + dispatch_id, provider,
        dispatch_id, status)


def c(dealer, at, dispatch_id, completed, serial=None):
    return "%s,%s,%s,%s,iPF8400S,%s,Pat,1.5,R1," % (
        dealer, at, dispatch_id, serial or "SN-" + dispatch_id, completed)


def write_nights(t):
    """The feeds of the three nights under t/feeds; returns {night: [(kind,
    path)]} in import order."""
    f = {}
    f[1] = [("dispatches", t.csv("feeds/dispatches_n1.csv", DSP_HDR, [
        d("A1", "2026-03-03 09:00", "P1"),     # 2: 7 days, 0-7
        d("A2", "2026-03-09 10:00", "P1"),     # 3: closed on night 2
        d("A3", "2026-03-08 11:00", "P2"),     # 4: cancelled on night 2
        d("A4", "2026-02-24 12:00", "P2"),     # 5: 14 days, 8-14
        d("A5", "2026-03-05 13:00", "P1"),     # 6: closed on night 3
        d("A6", "2026-03-09 14:00", "P3"),     # 7: re-dated on night 2
        d("A10", "2026-02-09 08:00", "P3"),    # 8: 29 days, 15-30
    ])), ("closeouts", t.csv("feeds/closeouts_n1.csv", CLO_HDR, [
        c("P1", "2026-03-09 12:00", "Z1", "2026-03-09"),  # 2: NO_DISPATCH
        c("P9", "2026-03-10 08:00", "A1", "2026-03-10"),  # 3: PROVIDER_MISMATCH
    ]))]
    f[2] = [("dispatches", t.csv("feeds/dispatches_n2.csv", DSP_HDR, [
        d("A3", "2026-03-08 11:00", "P2", "CANCELLED"),   # 2
        d("A6", "2026-03-20 14:00", "P3"),                # 3: after the as-of
        d("A7", "2026-03-11 08:00", "P1"),                # 4: new
        d("A8", "2026-03-10 15:00", "P2"),                # 5: new, dated night 1
    ])), ("closeouts", t.csv("feeds/closeouts_n2.csv", CLO_HDR, [
        c("P1", "2026-03-11 09:00", "A2", "2026-03-10"),  # 2: accepted: closes A2
        c("P2", "2026-03-11 10:00", "A4", "2026-03-11", serial="SN-X"),  # 3
        c("P1", "2026-03-09 12:00", "Z1", "2026-03-09"),  # 4: night 1's key again
    ]))]
    f[3] = [("dispatches", t.csv("feeds/dispatches_n3.csv", DSP_HDR, [
        d("A9", "2026-03-12 07:00", "P1"),                # 2: new
    ])), ("closeouts", t.csv("feeds/closeouts_n3.csv", CLO_HDR, [
        c("P1", "2026-03-12 09:00", "A5", "2026-03-12"),  # 2: accepted: closes A5
        c("P1", "2026-03-12 10:00", "A5", "2026-03-12"),  # 3: DUPLICATE_CLOSEOUT
    ]))]
    return f


def import_night(db, files):
    for kind, path in files:
        r = svc("import", "--db", db, "--kind", kind, "--quiet", path)
        eq(r.code, 0, r)


def report(db, as_of, out, *extra, code=0):
    r = svc("report", "--db", db, "--out", out, "--as-of", as_of, "--quiet",
            "--summary", out + ".json", *extra)
    eq(r.code, code, r)
    return r


def paths(out, as_of):
    return {k: os.path.join(out, "%s_%s.xlsx" % (k, as_of)) for k in BOOKS}


def digests(out, as_of):
    return {k: sha256(p) for k, p in paths(out, as_of).items()}


def load(path):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        wb = openpyxl.load_workbook(path)
    check(not w, "%s: openpyxl warned: %s" % (path, [str(x.message) for x in w]))
    return wb


def rows(ws):
    return [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]


def changes(out, as_of):
    wb = load(paths(out, as_of)["unclosed_calls"])
    return wb, wb["Changes"]


def summary_json(out):
    with open(out + ".json") as f:
        return json.load(f)["reports"]["changes"]


# The three nights, imported and reported once for all the tests below
# (nights() runs on first use): out1, out2, out3 are each night's report;
# out3-early is night 3 reported before its feeds arrived, out2-again night
# 2 re-run after that, out2-after3 night 2 re-run after night 3 was
# imported and reported.
STATE = {}


def nights():
    if STATE:
        return STATE
    t = Tmp()
    atexit.register(t.__exit__, None, None, None)
    db = t.p("svc.db")
    feeds = write_nights(t)
    for n, as_of in ((1, N1), (2, N2)):
        import_night(db, feeds[n])
        report(db, as_of, t.p("out%d" % n))
    # Night 3 reported before its feeds arrive, then night 2 again: nothing
    # was imported in between, so night 2 gives the same bytes.
    report(db, N3, t.p("out3-early"))
    report(db, N2, t.p("out2-again"))
    import_night(db, feeds[3])
    report(db, N3, t.p("out3"))
    # Night 2 once more, after night 3 was imported and reported.
    report(db, N2, t.p("out2-after3"))
    STATE.update(t=t, db=db, feeds=feeds)
    return STATE


# ---- the first report: nothing to compare with ------------------------------

def test_first_report_has_nothing_to_compare_with():
    s = nights()
    out = s["t"].p("out1")
    wb, ws = changes(out, N1)
    eq(wb.sheetnames, ["Summary", "Unclosed calls", "Changes", "About"],
       "sheets")
    eq([c.value for c in ws[1]], CHANGE_HDR, "Changes header")
    eq(rows(ws), [], "Changes rows")
    eq(wb["Summary"]["A3"].value, NONE_LINE, "Summary line")
    col_a = [r[0] for r in wb["Summary"].iter_rows(values_only=True)]
    check("Change" not in col_a, "no change counts without a previous report")
    nc = load(paths(out, N1)["non_compensable"])
    eq(nc["Summary"]["A3"].value, NONE_LINE, "non-compensable Summary line")
    lst = nc["Non-compensable"]
    eq([c.value for c in lst[1]][12], "New", "New column after the SPEC's")
    eq([(r[2], r[12]) for r in rows(lst)], [("Z1", None), ("A1", None)],
       "New is blank with nothing to compare with")
    eq(summary_json(out), {"previous_as_of": None, "newly_unclosed": 0,
                           "closed": 0, "closed_by_closeout": 0,
                           "cancelled": 0, "closed_otherwise": 0,
                           "bucket_moved": 0, "new_noncompensable": 0},
       "JSON changes")


# ---- night 2 ----------------------------------------------------------------

NIGHT2_CHANGES = [
    ["Newly unclosed", "A8", dt("2026-03-10 15:00"), "P2", None, None, "0-7", 1,
     None, "dispatches_n2.csv", 5],
    ["Newly unclosed", "A7", dt("2026-03-11 08:00"), "P1", None, None, "0-7", 0,
     None, "dispatches_n2.csv", 4],
    ["Closed", "A3", dt("2026-03-08 11:00"), "P2", None, "0-7", None, None,
     "dispatch cancelled (dispatches_n2.csv line 2)", "dispatches_n2.csv", 2],
    ["Closed", "A2", dt("2026-03-09 10:00"), "P1", None, "0-7", None, None,
     "closeout accepted (closeouts_n2.csv line 2)", "closeouts_n2.csv", 2],
    ["Closed", "A6", dt("2026-03-20 14:00"), "P3", None, "0-7", None, None,
     "dispatched after the as-of date (dispatches_n2.csv line 3)",
     "dispatches_n2.csv", 3],
    ["Bucket moved", "A4", dt("2026-02-24 12:00"), "P2", None, "8-14", "15-30", 15,
     None, "dispatches_n1.csv", 5],
    ["Bucket moved", "A1", dt("2026-03-03 09:00"), "P1", None, "0-7", "8-14", 8,
     None, "dispatches_n1.csv", 2],
]


def test_night2_changes_line_by_line():
    s = nights()
    wb, ws = changes(s["t"].p("out2"), N2)
    eq(wb.sheetnames, ["Summary", "Unclosed calls", "Changes", "About"],
       "sheets")
    eq([c.value for c in ws[1]], CHANGE_HDR, "header")
    got = rows(ws)
    for i, (g, w) in enumerate(zip(got, NIGHT2_CHANGES)):
        eq(g[:11], w, "Changes row %d" % (i + 2))   # Source SHA-256: t7950
    eq(len(got), len(NIGHT2_CHANGES), "Changes rows")


def test_closed_by_says_why_and_which_row():
    """Closed by tells an analyst why the call left the list, in words,
    and the row that says so: a bare 'closeouts_n2.csv:2' did not say that
    a closeout closed the call, nor 'cancelled' which version of the
    dispatch cancelled it. The Source file and Source line columns name
    the same row (auditors filter on them), and About lists each form."""
    s = nights()
    wb, ws = changes(s["t"].p("out2"), N2)
    why = {}
    for r in rows(ws):
        if r[0] != "Closed":
            continue
        m = re.match(r"(.+) \((.+) line (\d+)\)$", r[8] or "")
        check(m is not None, "%s: Closed by %r" % (r[1], r[8]))
        eq((m.group(2), int(m.group(3))), (r[9], r[10]),
           "%s: Closed by names the source row" % r[1])
        why[r[1]] = m.group(1)
    eq(why, {"A2": "closeout accepted", "A3": "dispatch cancelled",
             "A6": "dispatched after the as-of date"}, "why, in words")
    codes = [r[0] for r in wb["About"].iter_rows(values_only=True)]
    for form in ("closeout accepted (FILE line N)",
                 "dispatch cancelled (FILE line N)",
                 "dispatched after the as-of date (FILE line N)",
                 "no longer listed (FILE line N)"):
        check(form in codes, "About lists %r" % form)


def test_changes_sheet_is_a_listing():
    s = nights()
    _, ws = changes(s["t"].p("out2"), N2)
    eq(ws.freeze_panes, "A2", "frozen header")
    eq(ws.auto_filter.ref, "A1:L%d" % (len(NIGHT2_CHANGES) + 1), "autofilter")
    check(ws["C2"].is_date, "Dispatched is a date")
    eq((ws["H2"].data_type, ws["K2"].data_type), ("n", "n"),
       "Days open and Source line are numbers")
    eq(ws["I5"].data_type, "s", "Closed by is text")


def test_night2_summary_names_night1_and_counts():
    s = nights()
    out = s["t"].p("out2")
    ws = load(paths(out, N2)["unclosed_calls"])["Summary"]
    eq(ws["A3"].value, "Compared with the report as of 2026-03-10",
       "compared-with line")
    table = list(ws.iter_rows(values_only=True))
    at = [i for i, r in enumerate(table) if r[0] == "Change"]
    eq(len(at), 1, "one change table")
    got = [tuple(r[:2]) for r in table[at[0] + 1:at[0] + 7]]
    eq(got, [("Newly unclosed", 2), ("Closed", 3), ("by a closeout", 1),
             ("cancelled", 1), ("no longer listed otherwise", 1),
             ("Bucket moved", 2)], "change counts")
    ws = load(paths(out, N2)["non_compensable"])["Summary"]
    eq(ws["A3"].value, "Compared with the report as of 2026-03-10",
       "non-compensable compared-with line")
    kv = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
    eq(kv["New since the previous report"], 1, "new non-compensable")
    eq(summary_json(out), {"previous_as_of": N1, "newly_unclosed": 2,
                           "closed": 3, "closed_by_closeout": 1,
                           "cancelled": 1, "closed_otherwise": 1,
                           "bucket_moved": 2, "new_noncompensable": 1},
       "JSON changes")


def test_night2_new_column():
    s = nights()
    lst = load(paths(s["t"].p("out2"), N2)["non_compensable"])["Non-compensable"]
    # Z1's key came again in closeouts_n2.csv: the same closeout, not new.
    eq([(r[0], r[2], r[7], r[10], r[11], r[12]) for r in rows(lst)], [
        ("P1", "Z1", "NO_DISPATCH", "closeouts_n2.csv", 4, "no"),
        ("P9", "A1", "PROVIDER_MISMATCH", "closeouts_n1.csv", 3, "no"),
        ("P2", "A4", "SERIAL_MISMATCH", "closeouts_n2.csv", 3, "yes"),
    ], "New per row")
    eq(lst.auto_filter.ref, "A1:N4", "autofilter covers New and Source SHA-256")


# ---- night 3 ----------------------------------------------------------------

def test_night3_changes_line_by_line():
    s = nights()
    out = s["t"].p("out3")
    wb, ws = changes(out, N3)
    eq([r[:11] for r in rows(ws)], [
        ["Newly unclosed", "A9", dt("2026-03-12 07:00"), "P1", None, None, "0-7", 0,
         None, "dispatches_n3.csv", 2],
        ["Closed", "A5", dt("2026-03-05 13:00"), "P1", None, "0-7", None, None,
         "closeout accepted (closeouts_n3.csv line 2)", "closeouts_n3.csv", 2],
        ["Bucket moved", "A10", dt("2026-02-09 08:00"), "P3", None, "15-30",
         "31-60", 31, None, "dispatches_n1.csv", 8],
    ], "night 3 Changes")
    eq(wb["Summary"]["A3"].value, "Compared with the report as of 2026-03-11",
       "night 3 compares with night 2")
    lst = load(paths(out, N3)["non_compensable"])["Non-compensable"]
    eq([(r[2], r[7], r[12]) for r in rows(lst)], [
        ("Z1", "NO_DISPATCH", "no"), ("A1", "PROVIDER_MISMATCH", "no"),
        ("A4", "SERIAL_MISMATCH", "no"), ("A5", "DUPLICATE_CLOSEOUT", "yes"),
    ], "night 3 New")
    eq(summary_json(out), {"previous_as_of": N2, "newly_unclosed": 1,
                           "closed": 1, "closed_by_closeout": 1,
                           "cancelled": 0, "closed_otherwise": 0,
                           "bucket_moved": 1, "new_noncompensable": 1},
       "night 3 JSON")


def test_night3_reported_before_its_feeds():
    s = nights()
    out = s["t"].p("out3-early")
    _, ws = changes(out, N3)
    eq([r[:2] for r in rows(ws)], [["Bucket moved", "A10"]],
       "only A10 moved; nothing new arrived")


# ---- re-running a night -----------------------------------------------------

def test_rerun_night2_with_nothing_imported_gives_same_bytes():
    s = nights()
    eq(digests(s["t"].p("out2-again"), N2), digests(s["t"].p("out2"), N2),
       "night 2 again, after night 3 was reported")


def test_rerun_night2_after_night3_compares_with_night1():
    s = nights()
    out = s["t"].p("out2-after3")
    wb = load(paths(out, N2)["unclosed_calls"])
    eq(wb["Summary"]["A3"].value, "Compared with the report as of 2026-03-10",
       "the latest report before night 2, not night 3")
    # Night 3's feeds change nothing as of night 2 (all dated after it):
    # the same bytes, but for the audit workbook, which lists every file.
    want, got = digests(s["t"].p("out2"), N2), digests(out, N2)
    for k in ("unclosed_calls", "non_compensable"):
        eq(got[k], want[k], k + " after night 3")
    check(got["audit"] != want["audit"], "the audit lists night 3's files")
    eq(summary_json(out)["previous_as_of"], N1, "JSON previous")


def day(iso):
    return (datetime.date.fromisoformat(iso) - datetime.date(1970, 1, 1)).days


def test_report_records_in_the_database():
    s = nights()
    db = s["db"]
    eq(schema_version(db), SCHEMA_VERSION, "schema version")
    # in the order recorded (SQLite's rowid), which is key order; PostgreSQL
    # keeps no insertion order to ask for
    by = lambda key: key if ON_PG else "rowid"
    eq(query(db, "SELECT as_of_day, as_of, from_day, previous_as_of_day, "
                 "n_unclosed, n_noncompensable FROM report_run "
                 "ORDER BY as_of_day"),
       [(day(N1), N1, None, None, 7, 2), (day(N2), N2, None, day(N1), 6, 3),
        (day(N3), N3, None, day(N2), 6, 4)],
       "one record per as-of, the re-runs replacing theirs")
    eq(query(db, "SELECT dispatch_id, bucket_label, days_open FROM "
                 "report_unclosed WHERE as_of_day = ? ORDER BY " + by("dispatch_id"),
             (day(N2),)),
       [("A1", "8-14", 8), ("A10", "15-30", 30), ("A4", "15-30", 15),
        ("A5", "0-7", 6), ("A7", "0-7", 0), ("A8", "0-7", 1)],
       "night 2's calls, in key order")
    # schema version 9: the listing of a recorded day is the spans that
    # cover it (schemas/tables/009_report_noncompensable_span.sql)
    eq(query(db, "SELECT dealer_id, dispatch_id, submitted_at, reason FROM "
                 "report_noncompensable_span WHERE first_day <= ? AND "
                 "(last_day IS NULL OR last_day >= ?) ORDER BY "
                 "dealer_id, dispatch_id, submitted_at", (day(N2), day(N2))),
       [("P1", "Z1", "2026-03-09 12:00:00", "NO_DISPATCH"),
        ("P2", "A4", "2026-03-11 10:00:00", "SERIAL_MISMATCH"),
        ("P9", "A1", "2026-03-10 08:00:00", "PROVIDER_MISMATCH")],
       "night 2's closeouts by key")
    stamps = query(db, "SELECT recorded_at FROM report_run")
    check(all(len(x) == 20 and x.endswith("Z") for (x,) in stamps), stamps)


def test_no_record_when_the_workbooks_cannot_be_written():
    """A report is recorded only when its three workbooks are in place: a
    folder in the way of the last one fails the run (73) after the other
    two were renamed, and the history stays as it was."""
    s = nights()
    with Tmp() as t:
        db = t.p("svc.db")
        copy_db(s["db"], db)
        snap = lambda: [snapshot(db)[n] for n in ("report_run", "report_unclosed",
                                                  "report_noncompensable_span")]
        before = snap()
        blocked = paths(t.p("out"), "2026-03-13")
        os.makedirs(blocked["audit"])
        r = svc("report", "--db", db, "--out", t.p("out"), "--as-of",
                "2026-03-13", "--quiet")
        eq(r.code, 73, r)
        check(os.path.isfile(blocked["unclosed_calls"]), "renamed first")
        eq(snap(), before, "nothing recorded for a report not in place")
        # A later report still compares with the last complete one.
        r = svc("report", "--db", db, "--out", t.p("out"), "--as-of",
                "2026-03-14", "--quiet")
        eq(r.code, 0, r)
        wb = load(paths(t.p("out"), "2026-03-14")["unclosed_calls"])
        eq(wb["Summary"]["A3"].value,
           "Compared with the report as of 2026-03-12", "previous")


def test_from_records_only_the_listed_rows():
    """With --from, the record keeps the rows the listing showed; the next
    report marks the others New (they were not listed)."""
    with Tmp() as t:
        db = t.p("svc.db")
        feeds = write_nights(t)
        import_night(db, feeds[1])
        import_night(db, feeds[2])
        report(db, N2, t.p("a"), "--from", N2)
        eq(query(db, "SELECT dispatch_id FROM report_noncompensable_span "
                     "WHERE first_day <= ? AND (last_day IS NULL OR last_day >= ?)",
                 (day(N2), day(N2))),
           [("A4",)], "only the listed row")
        report(db, N3, t.p("b"))
        lst = load(paths(t.p("b"), N3)["non_compensable"])["Non-compensable"]
        eq([(r[2], r[12]) for r in rows(lst)],
           [("Z1", "yes"), ("A1", "yes"), ("A4", "no")], "New after --from")
        ws = load(paths(t.p("a"), N2)["unclosed_calls"])["Summary"]
        eq((ws["A3"].value, ws["A4"].value),
           ("From", NONE_LINE), "the line comes after From")


@sqlite_only("version-1 databases exist only as SQLite files: PostgreSQL "
             "came with schema version 5")
def test_version1_database_upgrades_in_place():
    s = nights()
    with Tmp() as t:
        # A database as the version-1 svcrecon left it: night 1 imported.
        db = t.p("v1.db")
        con = sqlite3.connect(db)
        with open(os.path.join(ROOT, "schemas", "tables", "001_tables.sql")) as f:
            con.executescript(f.read())
        con.execute("PRAGMA user_version = 1")
        con.commit()
        con.close()
        import_night(db, s["feeds"][1])
        eq(query(db, "PRAGMA user_version"), [(SCHEMA_VERSION,)], "upgraded by import")
        eq(query(db, "SELECT COUNT(*) FROM dispatch"), [(7,)], "data loaded")
        # One with data, then downgraded to version 1 (the tables of
        # versions 2, 3 and 5 dropped, and version 6's column and indexes):
        # the report upgrades it, keeping the data.
        db2 = t.p("old.db")
        shutil.copy(db, db2)
        con = sqlite3.connect(db2)
        con.executescript("DROP INDEX rejected_row_dispatch; "
                          "DROP INDEX imported_file_name; "
                          "ALTER TABLE rejected_row DROP COLUMN dispatch_id; "
                          "DROP TABLE delivery; DROP TABLE inbox_note; "
                          "DROP TABLE report_output; DROP TABLE report_unclosed; "
                          "DROP TABLE report_noncompensable_span; "
                          "DROP TABLE report_run; PRAGMA user_version = 1;")
        con.close()
        before = query(db2, "SELECT * FROM dispatch ORDER BY rowid")
        report(db2, N1, t.p("out"))
        eq(query(db2, "PRAGMA user_version"), [(SCHEMA_VERSION,)], "upgraded by report")
        eq(query(db2, "SELECT * FROM dispatch ORDER BY rowid"), before,
           "data kept")
        eq(query(db2, "SELECT as_of, n_unclosed FROM report_run"),
           [(N1, 7)], "recorded")
        # The About sheet (the last, sheet4) names the database (SPEC §4):
        # every other part is the same bytes.
        def parts(out):
            with zipfile.ZipFile(paths(out, N1)["unclosed_calls"]) as z:
                return {n: z.read(n) for n in z.namelist()
                        if n != "xl/worksheets/sheet4.xml"}
        eq(parts(t.p("out")), parts(s["t"].p("out1")),
           "same workbook as from a new database, but for About")


@sqlite_only("version-1 databases exist only as SQLite files: PostgreSQL "
             "came with schema version 5")
def test_explain_still_reads_a_version1_database():
    with Tmp() as t:
        db = t.p("v1.db")
        con = sqlite3.connect(db)
        with open(os.path.join(ROOT, "schemas", "tables", "001_tables.sql")) as f:
            con.executescript(f.read())
        con.execute("PRAGMA user_version = 1")
        con.commit()
        con.close()
        r = svc("explain", "--db", db, "--as-of", N1, "A1")
        eq(r.code, 65, r)      # not found, but the database was read
        check("not found" in r.err, r.err)
        eq(query(db, "PRAGMA user_version"), [(1,)], "explain only reads")


# ---- a report killed at any point ------------------------------------------

CLOCK = ("imported_at", "recorded_at")    # the wall-clock columns (as t4000)


def said(pattern):
    return lambda text, pid: re.search(pattern, text) is not None


def test_kill_during_night2_report_then_rerun_equals_clean_run():
    """SIGKILL at points of a night-2 report (the comparison, the
    workbooks, the record): whenever night 2 is recorded its three
    workbooks are in place and complete; a workbook in place is complete;
    and the rerun ends with the database and bytes of a clean run."""
    n = 6000 if "asan" in os.environ.get("SVCRECON_BUILD", "") else 20000
    with Tmp() as t:
        t.csv("d1.csv", DSP_HDR, [d("C%06d" % i, "2026-02-%02d 09:00" % (
            1 + i % 28), "P%d" % (i % 7)) for i in range(n)])
        t.csv("c2.csv", CLO_HDR, [c("P%d" % (i % 7), "2026-03-11 09:00",
                                    "C%06d" % i, "2026-03-10")
                                  for i in range(0, n, 3)])
        base = t.p("base.db")
        import_night(base, [("dispatches", t.p("d1.csv"))])
        report(base, N1, t.p("out1"))
        import_night(base, [("closeouts", t.p("c2.csv"))])
        # The clean run, under the name the killed runs use (the Run sheet
        # names the database).
        db, out = t.p("svc.db"), t.p("out")

        def restore():                 # the database before the report
            copy_db(base, db)
        restore()
        report(db, N2, t.p("clean"))
        want_db, want = snapshot(db, CLOCK), digests(t.p("clean"), N2)
        eq(summary_json(t.p("clean"))["closed"], len(range(0, n, 3)),
           "closed calls")
        restore()
        # Killed on what the report says on its terminal or puts in its
        # temporary folder, not at a time. must: so much is left to do
        # after the event that the kill lands even on a busy machine.
        kills = [("the rules and the comparison", True, said("reconciling as of")),
                 ("mid-workbook", True,
                  lambda text, pid: writing_a_workbook(out, pid)),
                 ("between workbooks", True, said("wrote \\S+/unclosed_calls_")),
                 ("the last workbook", False, said("wrote \\S+/non_compensable_")),
                 ("between the renames and the record", False,
                  said("wrote \\S+/audit_")),
                 ("after the record", False, said("recorded the report"))]
        landed = []
        for where, must, ready in kills:
            hit, text = kill_on(cmd("report", "--db", db, "--out", out,
                                    "--as-of", N2), ready)
            check(hit or not must, "the kill (%s) landed: %s" % (where, text))
            if hit:
                landed.append(where)
            recorded = query(db, "SELECT COUNT(*) FROM report_run WHERE "
                                 "as_of = ?", (N2,))[0][0]
            present = {k: sha256(v) for k, v in paths(out, N2).items()
                       if os.path.exists(v)}
            for k, h in present.items():
                eq(h, want[k], "%s in place after a kill (%s)" % (k, where))
            if recorded:
                eq(sorted(present), sorted(BOOKS),
                   "recorded, so all workbooks are in place (kill: %s)"
                   % where)
            # Start again from before the report, as a new night would.
            for k in list(present):
                os.remove(paths(out, N2)[k])
            if recorded:
                restore()
        check(len(landed) >= 4, "the kills landed during the report (%s)" % landed)
        report(db, N2, out)
        eq(snapshot(db, CLOCK) == want_db, True, "database after kills")
        eq(digests(out, N2), want, "workbooks after kills")


main(globals())
