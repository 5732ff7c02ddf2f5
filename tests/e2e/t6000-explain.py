#!/usr/bin/python3
"""t6000 -- `svcrecon explain` (issue 8): the story of one call, or of the
row at FILE:LINE, as text (asserted line by line) and as JSON (field by
field), on a hand-written three-night case; not-found, usage and
missing-database exit codes; read-only behaviour (no lock, no write, works
while a run holds the lock or a write transaction is open); and agreement
with the rule views and the workbooks for every dispatch and closeout of
sample-data/inbox.

The three nights (as of A = 2026-03-12 unless a case says otherwise):
  night 1  registrations_n1  D1 registers SN-100; D2 SN-200; D3 (WMP) and
                             D1 both register SN-300 (overlap)
           dispatches_n1     X1 to D1; X2; X3 (30 days old); X4 to D1 for
                             sn-300 as model iPF8400; X5 for SN-999 (never
                             registered by its day), customer on two lines
           closeouts_n1      D1 closes X1 (valid that night); D2 X3 with
                             labor_hours 0
  night 2  registrations_n2  SN-999 registered on 2026-03-10, after X5's day
           dispatches_n2     X1 reassigned to D9; X2 cancelled; X6 dated
                             2026-03-15, after A
           closeouts_n2      D9 closes X1 (accepted; D1's now
                             PROVIDER_MISMATCH); D2 on cancelled X2; D2's X3
                             form again, same key (supersedes night 1's)
  night 3  closeouts_n3      X3 closed on 2026-03-20 (after A); blank
                             dispatch id; unknown X404; two rejected rows
           closeouts_bad     header lacks columns: refused whole
"""
import base64
import datetime
import glob
import json
import os
import shlex
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from svctest import (CLO_HDR, DSP_HDR, ON_PG, REG_HDR, ROOT, Tmp, check, cmd,  # noqa: E402
                     connect, db_exists, eq, main, query, rule_files_in_order, sha256,
                     explain_named_db, schema_of, shown_db, snapshot, sqlite_only,
                     svc)

A = "2026-03-12"


def build(t):
    """Imports the three nights into t/svc.db; returns the db path."""
    db = t.p("svc.db")
    nights = [
        [("registrations", "registrations_n1.csv", REG_HDR, [
            'D1,"Dealer One, Inc.",iPF8400S,SN-100,2025-01-01,N,',       # 2
            "D2,Dealer Two,iPF6400,SN-200,2025-02-01,N,",                # 3
            "D3,Dealer Three,iPF6400,SN-300,2025-03-01,Y,",              # 4
            'D1,"Dealer One, Inc.",iPF6400,SN 300,2025-06-01,no,']),     # 5
         ("dispatches", "dispatches_n1.csv", DSP_HDR, [
             "X1,2026-03-02 09:00,iPF8400S,SN-100,D1,Acme,10001,P1,OPEN",   # 2
             "X2,2026-03-03 10:00,iPF6400,SN-200,D2,Beta,10002,P2,OPEN",    # 3
             "X3,2026-02-10 08:00,iPF6400,SN-200,D2,Gamma,10003,P3,OPEN",   # 4
             "X4,2026-03-04 11:00,iPF8400,sn-300,D1,Del\u009bta,10004,P4,",  # 5
             'X5,2026-03-05 12:00,iPF9999,SN-999,D2,"Eps\nLine",10005,P\\5,OPEN']),  # 6-7
         ("closeouts", "closeouts_n1.csv", CLO_HDR, [
             "D1,2026-03-03 16:00,X1,SN-100,iPF8400S,2026-03-03,Pat,1.5,R1,Belt",  # 2
             "D2,2026-03-04 09:00,X3,SN-200,iPF6400,2026-03-03,Lee,0,R2,"])],      # 3
        [("registrations", "registrations_n2.csv", REG_HDR, [
            "D2,Dealer Two,iPF9999,SN-999,2026-03-10,N,"]),              # 2
         ("dispatches", "dispatches_n2.csv", DSP_HDR, [
             "X1,2026-03-02 09:00,iPF8400S,SN-100,D9,Acme,10001,P1,OPEN",       # 2
             "X2,2026-03-03 10:00,iPF6400,SN-200,D2,Beta,10002,P2,CANCELLED",   # 3
             "X6,2026-03-15 08:00,iPF8400S,SN-100,D1,Zeta,10006,P6,OPEN"]),     # 4
         ("closeouts", "closeouts_n2.csv", CLO_HDR, [
             "D9,2026-03-06 10:00,X1,SN-100,iPF8400S,2026-03-06,Sam,2,R1,",     # 2
             "D2,2026-03-05 10:00,X2,SN-200,iPF6400,2026-03-04,Lee,1,R2,",      # 3
             "D2,03/04/2026 09:00,X3,SN-200,iPF6400,2026-03-03,Lee Q,0,R2,"])], # 4
    ]
    for night in nights:
        for kind, name, hdr, rows in night:
            r = svc("import", "--db", db, "--kind", kind, t.csv(name, hdr, rows))
            eq(r.code, 0, r)
    n3 = (CLO_HDR + "\n"
          "D2,2026-03-20 09:00,X3,SN-200,iPF6400,2026-03-19,Lee,1,R2,\n"       # 2
          "D1,2026-03-07 09:00,,SN-100,iPF8400S,2026-03-07,Pat,1,R1,\n"        # 3
          "D1,2026-03-07 10:00,X404,SN-100,iPF8400S,2026-03-07,Pat,1,R1,\n"    # 4
          "D1,2026-03-08 09:00,X1,SN-100,iPF8400S,2026-03-08,Pat,25,R1,\n"     # 5
          ).encode() + \
        b"D1,2026-03-08 11:00,X1,SN-100,iPF8400S,2026-03-08,Caf\xe9\x01,1,R1,\n"  # 6
    r = svc("import", "--db", db, "--kind", "closeouts", t.write("closeouts_n3.csv", n3))
    eq(r.code, 0, r)
    bad = t.csv("closeouts_bad.csv", "dealer_id,dispatch_id,serial_number", ["D1,X1,SN-100"])
    r = svc("import", "--db", db, "--kind", "closeouts", bad)
    eq(r.code, 65, r)
    return db


def imported(db):
    """{file name: imported_at} -- the one fact that depends on the clock."""
    return dict(query(db, "SELECT name, imported_at FROM imported_file"))


def explain(db, *args):
    return svc("explain", "--db", db, "--as-of", A, *args)


def explain_json(db, *args):
    r = explain(db, "--json", *args)
    eq(r.code, 0, r)
    eq(r.err, "")
    return json.loads(r.out)


def lines(r):
    eq(r.code, 0, r)
    eq(r.err, "")
    check(r.out.endswith("\n"), repr(r.out[-40:]))
    return r.out.split("\n")[:-1]


def eq_lines(got, want):
    for i, (g, w) in enumerate(zip(got, want)):
        eq(g, w, "line %d" % (i + 1))
    eq(len(got), len(want), "number of lines:\n" + "\n".join(got))


# ---- the reassigned dispatch: text, line by line ---------------------------

def test_reassigned_dispatch_text():
    with Tmp() as t:
        db = build(t)
        ts = imported(db)
        eq_lines(lines(explain(db, "X1")), [
            "dispatch 'X1' as of 2026-03-12",
            "",
            "versions, in import order:",
            "   dispatches_n1.csv:2  superseded, imported " + ts["dispatches_n1.csv"],
            "      dispatched 2026-03-02 09:00:00, OPEN, provider 'D1', model 'iPF8400S', "
            "serial 'SN-100'",
            "      customer 'Acme', postal code '10001', problem 'P1'",
            "   dispatches_n2.csv:2  current, imported " + ts["dispatches_n2.csv"],
            "      dispatched 2026-03-02 09:00:00, OPEN, provider 'D9', model 'iPF8400S', "
            "serial 'SN-100'",
            "      customer 'Acme', postal code '10001', problem 'P1'",
            "",
            "registrations of serial 'SN-100', as checked on the dispatch day 2026-03-02:",
            "   registrations_n1.csv:2  active on 2026-03-02, imported "
            + ts["registrations_n1.csv"],
            "      dealer 'D1' ('Dealer One, Inc.'), model 'iPF8400S', serial 'SN-100', WMP no, "
            "registered 2025-01-01, not removed",
            "",
            "registration exceptions:",
            "   2 NOT_PROVIDER_OF_RECORD: provider 'D9' not among registered dealers 'D1'",
            "",
            "closeouts naming 'X1', in order submitted:",
            "   closeouts_n1.csv:2  non-compensable: PROVIDER_MISMATCH, imported "
            + ts["closeouts_n1.csv"],
            "      dealer 'D1', dispatch 'X1', submitted 2026-03-03 16:00:00, completed 2026-03-03",
            "      serial 'SN-100', model 'iPF8400S', technician 'Pat', labor hours 1.5, "
            "resolution 'R1', parts 'Belt'",
            "      3 PROVIDER_MISMATCH: dealer 'D1' is not the provider 'D9'",
            "   closeouts_n2.csv:2  accepted, imported " + ts["closeouts_n2.csv"],
            "      dealer 'D9', dispatch 'X1', submitted 2026-03-06 10:00:00, completed 2026-03-06",
            "      serial 'SN-100', model 'iPF8400S', technician 'Sam', labor hours 2, "
            "resolution 'R1', parts ''",
            # qa19 (tests/e2e/t8300): the rows naming X1 that were rejected
            # at import, added before the standing; the lines above and
            # below are as they were.
            "",
            "rejected rows naming 'X1' (refused at import: no part of the story above; "
            "a corrected row counts once delivered again):",
        ] + [line for n, why in ((5, "labor_hours '25' is above 24"),
                                 (6, "technician is not valid UTF-8 (bad byte 0xE9 at byte 4)"
                                     + svctest.LEGACY_ROW))
             for line in (
            "   closeouts_n3.csv:%d  rejected, imported %s" % (n, ts["closeouts_n3.csv"]),
            "      file '%s' (closeouts), SHA-256 %s"
            % (t.p("closeouts_n3.csv"), sha256(t.p("closeouts_n3.csv"))[:12]),
            "      reason: " + why,
            "      listed under Rejected rows in the next report's audit workbook (no report "
            "recorded since its file was delivered); raw record: explain --source '%s:%d'"
            % (t.p("closeouts_n3.csv"), n))] + [
            "",
            "standing as of 2026-03-12: closed by closeout at closeouts_n2.csv:2, submitted "
            "2026-03-06 10:00:00; also non-compensable closeouts (1)",
        ])


def test_reassigned_dispatch_json():
    with Tmp() as t:
        db = build(t)
        ts = imported(db)
        doc = explain_json(db, "X1")
        eq(doc["explain"], 1)
        eq(doc["as_of"], A)
        eq(doc["database"], shown_db(db))
        eq(doc["schema"], schema_of(db) if ON_PG else None)
        eq(doc["query"], {"dispatch_id": "X1", "source": None})
        eq(len(doc["results"]), 1)
        res = doc["results"][0]
        eq(res["what"], "dispatch")
        eq(res["source"], None)
        d = res["dispatch"]
        eq(d["dispatch_id"], "X1")
        eq(d["dispatched_at"], "2026-03-02 09:00:00")
        eq(d["status"], "OPEN")
        eq(d["checked"], True)
        eq(d["current_version"], {"file": "dispatches_n2.csv", "line": 2})
        eq([(v["file"], v["line"], v["provider_id"], v["status"], v["current"],
             v["imported_at"], v["source"]) for v in d["versions"]],
           [("dispatches_n1.csv", 2, "D1", "OPEN", False, ts["dispatches_n1.csv"], False),
            ("dispatches_n2.csv", 2, "D9", "OPEN", True, ts["dispatches_n2.csv"], False)])
        eq(d["versions"][1]["customer_name"], "Acme")
        eq(d["versions"][1]["customer_postal_code"], "10001")
        eq(d["versions"][1]["problem_code"], "P1")
        eq(d["registrations"], [{
            "file": "registrations_n1.csv", "line": 2,
            "imported_at": ts["registrations_n1.csv"], "dealer_id": "D1",
            "dealer_name": "Dealer One, Inc.", "model": "iPF8400S",
            "serial_number": "SN-100", "registered_on": "2025-01-01", "removed_on": None,
            "wmp_selected": False, "current": True, "superseded_by": None, "active": True,
            "source": False}])
        eq(d["registration_exceptions"], [
            {"rank": 2, "code": "NOT_PROVIDER_OF_RECORD",
             "detail": "provider 'D9' not among registered dealers 'D1'"}])
        c0, c1 = d["closeouts"]
        eq((c0["file"], c0["line"], c0["state"], c0["reason"], c0["superseded_by"]),
           ("closeouts_n1.csv", 2, "non_compensable", "PROVIDER_MISMATCH", None))
        eq(c0["reasons"], [{"rank": 3, "code": "PROVIDER_MISMATCH",
                            "detail": "dealer 'D1' is not the provider 'D9'"}])
        eq((c0["dealer_id"], c0["dispatch_id"], c0["submitted_at"], c0["completed_on"],
            c0["serial_number"], c0["model"], c0["technician"], c0["labor_hours"],
            c0["resolution_code"], c0["parts"], c0["imported_at"]),
           ("D1", "X1", "2026-03-03 16:00:00", "2026-03-03", "SN-100", "iPF8400S", "Pat",
            1.5, "R1", "Belt", ts["closeouts_n1.csv"]))
        eq((c1["file"], c1["line"], c1["state"], c1["reason"], c1["reasons"]),
           ("closeouts_n2.csv", 2, "accepted", None, []))
        eq(d["standing"], {
            "state": "closed", "days_open": None, "bucket": None,
            "accepted_closeout": {"file": "closeouts_n2.csv", "line": 2,
                                  "submitted_at": "2026-03-06 10:00:00"},
            "attempts": 2, "noncompensable": 1})


def test_as_of_before_the_later_closeout():
    """As of 03-05 the valid closeout of 03-06 takes no part: X1 is unclosed
    (the current version is still the reassigned one: SPEC §3)."""
    with Tmp() as t:
        db = build(t)
        r = svc("explain", "--db", db, "--as-of", "03/05/2026", "X1")
        out = lines(r)
        eq(out[0], "dispatch 'X1' as of 2026-03-05")
        check("   closeouts_n2.csv:2  submitted after as-of 2026-03-05, takes no part, "
              "imported " + imported(db)["closeouts_n2.csv"] in out, r.out)
        eq(out[-1], "standing as of 2026-03-05: unclosed, 3 days open, aging bucket 0-7; "
                    "only non-compensable attempts (1)")
        d = json.loads(svc("explain", "--db", db, "--as-of", "2026-03-05", "--json",
                           "X1").out)["results"][0]["dispatch"]
        eq([(c["line"], c["state"]) for c in d["closeouts"]],
           [(2, "non_compensable"), (2, "after_as_of")])
        eq(d["standing"]["state"], "unclosed")
        eq((d["standing"]["days_open"], d["standing"]["bucket"], d["standing"]["attempts"]),
           (3, "0-7", 1))


def test_one_day_open_is_singular():
    """The standing line of a call open one day says "1 day open" (it said
    "1 days open"); 0 and 2 or more keep "days"."""
    with Tmp() as t:
        db = build(t)
        for as_of, words in (("2026-03-03", "1 day open"),
                             ("2026-03-04", "2 days open"),
                             ("2026-03-02", "0 days open")):
            r = svc("explain", "--db", db, "--as-of", as_of, "X1")
            eq(r.code, 0, r)
            check(lines(r)[-1].startswith("standing as of %s: unclosed, %s, aging "
                                          "bucket 0-7" % (as_of, words)), r.out)


def test_days_open_has_a_thousands_separator():
    """The standing line writes days open as the workbooks' count cells and
    sentences do: "1,166 days open" (it wrote "1166"; at 9999-12-31
    "2958463", qa29's note); the JSON keeps the number. Seen red before
    the fix (lead, 2026-12-06)."""
    with Tmp() as t:
        db = t.p("svc.db")
        r = svc("import", "--db", db, "--kind", "dispatches", t.csv(
            "d.csv", DSP_HDR, ["Z1,2023-01-01 09:00,iPF8400S,SN-1,D1,Acme,10001,P1,OPEN"]))
        eq(r.code, 0, r)
        days = (datetime.date(2026, 3, 12) - datetime.date(2023, 1, 1)).days
        eq(days, 1166)
        r = svc("explain", "--db", db, "--as-of", "2026-03-12", "Z1")
        eq(r.code, 0, r)
        check(lines(r)[-1].startswith("standing as of 2026-03-12: unclosed, "
                                      "1,166 days open, aging bucket 91+"), r.out)
        r = svc("explain", "--db", db, "--as-of", "2026-03-12", "--json", "Z1")
        eq(r.code, 0, r)
        eq(json.loads(r.out)["results"][0]["dispatch"]["standing"]["days_open"], days)


# ---- cancelled, unclosed, registration exceptions, after A --------------------

def test_cancelled_dispatch():
    with Tmp() as t:
        db = build(t)
        ts = imported(db)
        out = lines(explain(db, "X2"))
        i = out.index("closeouts naming 'X2', in order submitted:")
        eq_lines(out[i:], [
            "closeouts naming 'X2', in order submitted:",
            "   closeouts_n2.csv:3  non-compensable: DISPATCH_CANCELLED, imported "
            + ts["closeouts_n2.csv"],
            "      dealer 'D2', dispatch 'X2', submitted 2026-03-05 10:00:00, completed 2026-03-04",
            "      serial 'SN-200', model 'iPF6400', technician 'Lee', labor hours 1, "
            "resolution 'R2', parts ''",
            "      2 DISPATCH_CANCELLED: dispatch 'X2' is cancelled (dispatches_n2.csv:3, "
            "SHA-256 %s)" % sha256(t.p("dispatches_n2.csv"))[:12],
            "",
            "standing as of 2026-03-12: cancelled; only non-compensable attempts (1)",
        ])
        check("   dispatches_n2.csv:3  current, imported " + ts["dispatches_n2.csv"] in out, out)
        check("      dispatched 2026-03-03 10:00:00, CANCELLED, provider 'D2', model 'iPF6400', "
              "serial 'SN-200'" in out, out)
        d = explain_json(db, "X2")["results"][0]["dispatch"]
        eq(d["status"], "CANCELLED")
        eq(d["registration_exceptions"], [])
        eq(d["standing"], {"state": "cancelled", "days_open": None, "bucket": None,
                           "accepted_closeout": None, "attempts": 1, "noncompensable": 1})


def test_unclosed_with_days_open_bucket_and_closeout_history():
    with Tmp() as t:
        db = build(t)
        ts = imported(db)
        out = lines(explain(db, "X3"))
        i = out.index("closeouts naming 'X3', in order submitted:")
        eq_lines(out[i:], [
            "closeouts naming 'X3', in order submitted:",
            "   closeouts_n1.csv:3  superseded by closeouts_n2.csv:4, imported "
            + ts["closeouts_n1.csv"],
            "      dealer 'D2', dispatch 'X3', submitted 2026-03-04 09:00:00, completed 2026-03-03",
            "      serial 'SN-200', model 'iPF6400', technician 'Lee', labor hours 0, "
            "resolution 'R2', parts ''",
            "   closeouts_n2.csv:4  non-compensable: INCOMPLETE_SECTION2, imported "
            + ts["closeouts_n2.csv"],
            "      dealer 'D2', dispatch 'X3', submitted 2026-03-04 09:00:00, completed 2026-03-03",
            "      serial 'SN-200', model 'iPF6400', technician 'Lee Q', labor hours 0, "
            "resolution 'R2', parts ''",
            "      6 INCOMPLETE_SECTION2: blank: labor_hours",
            "   closeouts_n3.csv:2  submitted after as-of 2026-03-12, takes no part, imported "
            + ts["closeouts_n3.csv"],
            "      dealer 'D2', dispatch 'X3', submitted 2026-03-20 09:00:00, completed 2026-03-19",
            "      serial 'SN-200', model 'iPF6400', technician 'Lee', labor hours 1, "
            "resolution 'R2', parts ''",
            "",
            "standing as of 2026-03-12: unclosed, 30 days open, aging bucket 15-30; "
            "only non-compensable attempts (1)",
        ])
        d = explain_json(db, "X3")["results"][0]["dispatch"]
        eq([(c["file"], c["line"], c["state"], c["superseded_by"]) for c in d["closeouts"]],
           [("closeouts_n1.csv", 3, "superseded", {"file": "closeouts_n2.csv", "line": 4}),
            ("closeouts_n2.csv", 4, "non_compensable", None),
            ("closeouts_n3.csv", 2, "after_as_of", None)])
        eq(d["standing"], {"state": "unclosed", "days_open": 30, "bucket": "15-30",
                           "accepted_closeout": None, "attempts": 1, "noncompensable": 1})
        # Configured buckets, and a later as-of that lets night 3's form close it.
        out = lines(explain(db, "--buckets", "10,20,40", "X3"))
        eq(out[-1], "standing as of 2026-03-12: unclosed, 30 days open, aging bucket 21-40; "
                    "only non-compensable attempts (1)")
        out = lines(svc("explain", "--db", db, "--as-of", "2026-03-21", "X3"))
        eq(out[-1], "standing as of 2026-03-21: closed by closeout at closeouts_n3.csv:2, "
                    "submitted 2026-03-20 09:00:00; also non-compensable closeouts (1)")


def test_a_version_submitted_after_as_of_names_its_superseding_version():
    """A closeout submitted after A and imported again (same key) is
    superseded all the same: explain names the later version and says the
    key was submitted after the as-of date (it said "takes no part" with
    superseded_by null: the superseding version was looked up only among
    the closeouts taking part as of A; fix67)."""
    with Tmp() as t:
        db = build(t)
        r = svc("import", "--db", db, "--kind", "closeouts", t.csv(
            "closeouts_n4.csv", CLO_HDR,
            ["D2,2026-03-20 09:00,X3,SN-200,iPF6400,2026-03-19,Lee R,1,R2,"]))  # 2
        eq(r.code, 0, r)
        ts = imported(db)
        r = explain(db, "X3")
        out = lines(r)
        check("   closeouts_n3.csv:2  superseded by closeouts_n4.csv:2, submitted after "
              "as-of 2026-03-12, imported " + ts["closeouts_n3.csv"] in out, r.out)
        check("   closeouts_n4.csv:2  submitted after as-of 2026-03-12, takes no part, "
              "imported " + ts["closeouts_n4.csv"] in out, r.out)
        d = explain_json(db, "X3")["results"][0]["dispatch"]
        eq([(c["file"], c["line"], c["state"], c["superseded_by"]) for c in d["closeouts"]],
           [("closeouts_n1.csv", 3, "superseded", {"file": "closeouts_n2.csv", "line": 4}),
            ("closeouts_n2.csv", 4, "non_compensable", None),
            ("closeouts_n3.csv", 2, "superseded", {"file": "closeouts_n4.csv", "line": 2}),
            ("closeouts_n4.csv", 2, "after_as_of", None)])
        # the standing is unchanged: neither version takes part as of A
        eq(d["standing"]["state"], "unclosed")
        eq(d["standing"]["attempts"], 1)
        # --source of the superseded row says the same
        out = lines(explain(db, "--source", "closeouts_n3.csv:2"))
        check("=> closeouts_n3.csv:2  superseded by closeouts_n4.csv:2, submitted after "
              "as-of 2026-03-12, imported " + ts["closeouts_n3.csv"] in out, out)
        # as of a date after the key's submission, the words are the usual ones
        r = svc("explain", "--db", db, "--as-of", "2026-03-21", "X3")
        out = lines(r)
        check("   closeouts_n3.csv:2  superseded by closeouts_n4.csv:2, imported "
              + ts["closeouts_n3.csv"] in out, r.out)
        eq(out[-1], "standing as of 2026-03-21: closed by closeout at closeouts_n4.csv:2, "
                    "submitted 2026-03-20 09:00:00; also non-compensable closeouts (1)")


def test_a_report_made_with_other_buckets_is_named_beside_explains_own():
    """Lead, stop 30 (stop 28's note "a bare explain uses the default
    buckets"; red before the change: the line said 15-30 and nothing
    else): the report recorded as of A with --buckets 10,20,40 listed X3
    in bucket 21-40, while `explain` without --buckets (the default ones)
    said 15-30 and nothing of the workbook's. It now names the recorded
    bucket beside its own, and says nothing when the two agree or when no
    report as of A listed the call."""
    with Tmp() as t:
        db = build(t)
        r = svc("report", "--db", db, "--out", t.p("out"), "--as-of", A,
                "--buckets", "10,20,40", "--quiet")
        eq(r.code, 0, r)
        note = (" (the report recorded as of 2026-03-12 listed it in bucket "
                "21-40: it was made with other --buckets; give explain the "
                "same --buckets, as its About sheet's explain commands do)")
        out = lines(explain(db, "X3"))
        eq(out[-1], "standing as of 2026-03-12: unclosed, 30 days open, aging "
                    "bucket 15-30" + note + "; only non-compensable attempts (1)")
        out = lines(explain(db, "--buckets", "10,20,40", "X3"))
        eq(out[-1], "standing as of 2026-03-12: unclosed, 30 days open, aging "
                    "bucket 21-40; only non-compensable attempts (1)")
        r = svc("explain", "--db", db, "X3")       # as of the latest report
        eq(r.code, 0, r)
        check(r.out.rstrip("\n").split("\n")[-1].endswith(
            note + "; only non-compensable attempts (1)"), r.out)
        out = lines(svc("explain", "--db", db, "--as-of", "2026-03-13", "X3"))
        check(out[-1].startswith("standing as of 2026-03-13: unclosed, 31 "
                                 "days open, aging bucket 31-60;"), out[-1])
        # X3 re-dated by a version imported after the report: the recorded
        # bucket differs for another cause, and the line says which
        r = svc("import", "--db", db, "--kind", "dispatches", t.csv(
            "dispatches_n4.csv", DSP_HDR,
            ["X3,2026-01-01 08:00,iPF6400,SN-200,D2,Gamma,10003,P3,OPEN"]))
        eq(r.code, 0, r)
        out = lines(explain(db, "--buckets", "10,20,40", "X3"))
        eq(out[-1], "standing as of 2026-03-12: unclosed, 70 days open, aging "
                    "bucket 41+ (the report recorded as of 2026-03-12 listed "
                    "it in bucket 21-40, 30 days open: a version imported "
                    "since changed the call's dispatch date); only "
                    "non-compensable attempts (1)")


def test_registration_exceptions():
    with Tmp() as t:
        db = build(t)
        ts = imported(db)
        out = lines(explain(db, "X4"))
        i = out.index("registrations of serial 'sn-300', as checked on the dispatch day "
                      "2026-03-04:")
        eq_lines(out[i:], [
            "registrations of serial 'sn-300', as checked on the dispatch day 2026-03-04:",
            "   registrations_n1.csv:4  active on 2026-03-04, imported "
            + ts["registrations_n1.csv"],
            "      dealer 'D3' ('Dealer Three'), model 'iPF6400', serial 'SN-300', WMP yes, "
            "registered 2025-03-01, not removed",
            "   registrations_n1.csv:5  active on 2026-03-04, imported "
            + ts["registrations_n1.csv"],
            "      dealer 'D1' ('Dealer One, Inc.'), model 'iPF6400', serial 'SN 300', WMP no, "
            "registered 2025-06-01, not removed",
            "",
            "registration exceptions:",
            "   3 WMP_SELECTED: WMP selected by registered dealers 'D3'",
            "   4 MODEL_MISMATCH: model 'iPF8400' not among registered models 'iPF6400'",
            "   5 OVERLAPPING_REGISTRATION: dealers 'D1', 'D3' all registered on 2026-03-04",
            "",
            "closeouts naming 'X4', in order submitted:",
            "   none",
            "",
            "standing as of 2026-03-12: unclosed, 8 days open, aging bucket 8-14; "
            "no closeout attempt",
        ])
        # U+009B (CSI, a C1 control some terminals obey) is escaped in text.
        check("      customer 'Del\\xC2\\x9Bta', postal code '10004', problem 'P4'" in out,
              out)
        d = explain_json(db, "X4")["results"][0]["dispatch"]
        eq(d["versions"][0]["customer_name"], "Del\u009bta")
        eq([(e["rank"], e["code"]) for e in d["registration_exceptions"]],
           [(3, "WMP_SELECTED"), (4, "MODEL_MISMATCH"), (5, "OVERLAPPING_REGISTRATION")])
        eq([(g["line"], g["dealer_id"], g["wmp_selected"], g["active"])
            for g in d["registrations"]], [(4, "D3", True, True), (5, "D1", False, True)])


def test_no_registration_and_escaped_text():
    """X5: the only registration of its serial came after its day; its
    customer name holds a line break, shown escaped (\\x0A), its problem
    code a backslash, shown doubled."""
    with Tmp() as t:
        db = build(t)
        ts = imported(db)
        out = lines(explain(db, "X5"))
        check("      customer 'Eps\\x0ALine', postal code '10005', problem 'P\\\\5'" in out,
              out)
        i = out.index("registrations of serial 'SN-999', as checked on the dispatch day "
                      "2026-03-05:")
        eq_lines(out[i:i + 7], [
            "registrations of serial 'SN-999', as checked on the dispatch day 2026-03-05:",
            "   registrations_n2.csv:2  not active on 2026-03-05, imported "
            + ts["registrations_n2.csv"],
            "      dealer 'D2' ('Dealer Two'), model 'iPF9999', serial 'SN-999', WMP no, "
            "registered 2026-03-10, not removed",
            "",
            "registration exceptions:",
            "   1 NO_REGISTRATION: no registration of serial 'SN-999' active on 2026-03-05",
            "",
        ])
        d = explain_json(db, "X5")["results"][0]["dispatch"]
        eq(d["versions"][0]["customer_name"], "Eps\nLine")
        eq(d["versions"][0]["problem_code"], "P\\5")
        eq(d["registrations"][0]["active"], False)


def test_a_quote_inside_a_quoted_value_is_escaped():
    """fix63: values are quoted '...', and a ' inside one was printed raw:
    technician 'O'Brien' reads as a value that ends after the O. A ' is
    \\x27, as explain escapes other bytes (a backslash still doubled, so
    a value holding the four characters \\x27 stays told apart); the
    messages quoting a dispatch id do the same. JSON keeps the value."""
    with Tmp() as t:
        db = t.p("svc.db")
        d = t.csv("dispatches.csv", DSP_HDR,
                  ["Q1,2026-03-02 09:00,iPF,SN1,D1,Bob's Print,1,P\\x27,OPEN"])
        c = t.csv("closeouts.csv", CLO_HDR,
                  ["D1,2026-03-03 10:00,Q1,SN1,iPF,2026-03-03,O'Brien,1,R,",
                   "D1,2026-03-04 10:00,Q'9,SN1,iPF,2026-03-04,Pat,1,R,"])
        eq(svc("import", "--db", db, "--kind", "dispatches", d).code, 0)
        eq(svc("import", "--db", db, "--kind", "closeouts", c).code, 0)
        out = lines(explain(db, "Q1"))
        check("      customer 'Bob\\x27s Print', postal code '1', problem 'P\\\\x27'"
              in out, out)
        check(any("technician 'O\\x27Brien'," in x for x in out), out)
        check(not any("'O'Brien'" in x or "Bob's" in x for x in out), out)
        eq(explain_json(db, "Q1")["results"][0]["dispatch"]["closeouts"][0]["technician"],
           "O'Brien")
        r = explain(db, "Q'9")
        eq(r.code, 65, r)
        check(r.err.startswith("svcrecon: dispatch 'Q\\x279' not found in "), r.err)
        out = lines(explain(db, "--source", "closeouts.csv:3"))
        eq(out[0], "source closeouts.csv:3: closeout of dispatch 'Q\\x279', which was "
           "never imported", out)


def test_dispatched_after_as_of():
    with Tmp() as t:
        db = build(t)
        out = lines(explain(db, "X6"))
        check("registrations of serial 'SN-100', not checked (dispatched after the as-of date):"
              in out, out)
        check(any(x.startswith("   registrations_n1.csv:2  not checked, imported ")
                  for x in out), out)
        eq(out[-1], "standing as of 2026-03-12: dispatched after the as-of date "
                    "(2026-03-15 08:00:00), takes no part")
        d = explain_json(db, "X6")["results"][0]["dispatch"]
        eq(d["checked"], False)
        eq(d["registrations"][0]["active"], None)
        eq(d["standing"]["state"], "dispatched_after_as_of")


# ---- --source ------------------------------------------------------------------

def test_source_closeout_marks_it_in_its_dispatch_story():
    with Tmp() as t:
        db = build(t)
        ts = imported(db)
        out = lines(explain(db, "--source", "closeouts_n1.csv:2"))
        eq_lines(out[:4], [
            "source closeouts_n1.csv:2: closeout of dispatch 'X1'",
            "   file '%s' (closeouts, loaded), imported %s"
            % (t.p("closeouts_n1.csv"), ts["closeouts_n1.csv"]),
            "",
            "dispatch 'X1' as of 2026-03-12",
        ])
        check("=> closeouts_n1.csv:2  non-compensable: PROVIDER_MISMATCH, imported "
              + ts["closeouts_n1.csv"] in out, out)
        check("   closeouts_n2.csv:2  accepted, imported " + ts["closeouts_n2.csv"] in out, out)
        eq(sum(x.startswith("=> ") for x in out), 1, out)
        doc = explain_json(db, "--source", "closeouts_n1.csv:2")
        eq(doc["query"], {"dispatch_id": None,
                          "source": {"file": "closeouts_n1.csv", "line": 2}})
        res = doc["results"][0]
        eq(res["what"], "closeout")
        eq(res["source"], {"file": "closeouts_n1.csv", "line": 2,
                           "path": t.p("closeouts_n1.csv"), "kind": "closeouts",
                           "file_status": "loaded", "imported_at": ts["closeouts_n1.csv"]})
        eq((res["closeout"]["state"], [x["code"] for x in res["closeout"]["reasons"]],
            res["closeout"]["source"]), ("non_compensable", ["PROVIDER_MISMATCH"], True))
        eq([(c["line"], c["source"]) for c in res["dispatch"]["closeouts"]],
           [(2, True), (2, False)])
        eq(res["dispatch"]["standing"]["state"], "closed")


def test_source_dispatch_version_by_name_and_by_path():
    with Tmp() as t:
        db = build(t)
        out = lines(explain(db, "--source", "dispatches_n1.csv:2"))
        eq(out[0], "source dispatches_n1.csv:2: dispatch 'X1', version 1 of 2, superseded")
        check(any(x.startswith("=> dispatches_n1.csv:2  superseded, imported ") for x in out),
              out)
        out = lines(explain(db, "--source", t.p("dispatches_n2.csv") + ":2"))
        eq(out[0], "source dispatches_n2.csv:2: dispatch 'X1', version 2 of 2, current")
        check(any(x.startswith("=> dispatches_n2.csv:2  current, imported ") for x in out), out)
        res = explain_json(db, "--source", "dispatches_n1.csv:2")["results"][0]
        eq(res["what"], "dispatch")
        eq([(v["line"], v["current"], v["source"]) for v in res["dispatch"]["versions"]],
           [(2, False, True), (2, True, False)])
        # A multi-line record is named by its first line (6), not its second.
        eq(lines(explain(db, "--source", "dispatches_n1.csv:6"))[0],
           "source dispatches_n1.csv:6: dispatch 'X5', version 1 of 1, current")
        r = explain(db, "--source", "dispatches_n1.csv:7")
        eq(r.code, 65, r)
        # ... and its second line is named as inside it (QA pass 42), in
        # the text and the JSON form alike; past the file's last record
        # (line 8) no record is named.
        msg = ("svcrecon: dispatches_n1.csv:7: no row starts at line 7: it is inside the "
               "record that starts at line 6 (a quoted field of it runs over several lines; "
               "a row is named by the physical line where its record starts): explain "
               "--source dispatches_n1.csv:6 tells it")
        check(msg in r.err, r.err)
        r = explain(db, "--json", "--source", "dispatches_n1.csv:7")
        eq(r.code, 65, r)
        check(msg in r.err, r.err)
        r = explain(db, "--source", "dispatches_n1.csv:8")
        eq(r.code, 65, r)
        check("svcrecon: dispatches_n1.csv:8: no row starts at line 8 (a row is named by "
              "the physical line where its record starts; blank lines and the header start "
              "none)" in r.err, r.err)


def test_source_registration_lists_the_dispatches_of_its_serial():
    with Tmp() as t:
        db = build(t)
        ts = imported(db)
        eq_lines(lines(explain(db, "--source", "registrations_n1.csv:5")), [
            "source registrations_n1.csv:5: registration",
            "   file '%s' (registrations, loaded), imported %s"
            % (t.p("registrations_n1.csv"), ts["registrations_n1.csv"]),
            "",
            "registration:",
            "=> registrations_n1.csv:5  current, imported " + ts["registrations_n1.csv"],
            "      dealer 'D1' ('Dealer One, Inc.'), model 'iPF6400', serial 'SN 300', WMP no, "
            "registered 2025-06-01, not removed",
            "",
            "dispatches of this serial (current versions, in order dispatched):",
            "   'X4' at dispatches_n1.csv:5  registration active on 2026-03-04",
            "      dispatched 2026-03-04 11:00:00, OPEN, provider 'D1', model 'iPF8400', "
            "serial 'sn-300'",
            "      3 WMP_SELECTED: WMP selected by registered dealers 'D3'",
            "      4 MODEL_MISMATCH: model 'iPF8400' not among registered models 'iPF6400'",
            "      5 OVERLAPPING_REGISTRATION: dealers 'D1', 'D3' all registered on 2026-03-04",
        ])
        out = lines(explain(db, "--source", "registrations_n1.csv:2"))
        i = out.index("dispatches of this serial (current versions, in order dispatched):")
        eq_lines(out[i + 1:], [
            "   'X1' at dispatches_n2.csv:2  registration active on 2026-03-02",
            "      dispatched 2026-03-02 09:00:00, OPEN, provider 'D9', model 'iPF8400S', "
            "serial 'SN-100'",
            "      2 NOT_PROVIDER_OF_RECORD: provider 'D9' not among registered dealers 'D1'",
            "   'X6' at dispatches_n2.csv:4  dispatched after the as-of date, not checked",
            "      dispatched 2026-03-15 08:00:00, OPEN, provider 'D1', model 'iPF8400S', "
            "serial 'SN-100'",
        ])
        res = explain_json(db, "--source", "registrations_n2.csv:2")["results"][0]
        eq(res["what"], "registration")
        eq((res["registration"]["dealer_id"], res["registration"]["source"],
            res["registration"]["active"]), ("D2", True, None))
        eq([(x["dispatch_id"], x["checked"], x["registration_active"],
             [e["code"] for e in x["registration_exceptions"]]) for x in res["dispatches"]],
           [("X5", True, False, ["NO_REGISTRATION"])])


def test_source_closeouts_without_a_known_dispatch():
    with Tmp() as t:
        db = build(t)
        ts = imported(db)
        eq_lines(lines(explain(db, "--source", "closeouts_n3.csv:3")), [
            "source closeouts_n3.csv:3: closeout with a blank dispatch id",
            "   file '%s' (closeouts, loaded), imported %s"
            % (t.p("closeouts_n3.csv"), ts["closeouts_n3.csv"]),
            "",
            "closeout:",
            "=> closeouts_n3.csv:3  non-compensable: NO_DISPATCH, imported "
            + ts["closeouts_n3.csv"],
            "      dealer 'D1', dispatch '', submitted 2026-03-07 09:00:00, completed 2026-03-07",
            "      serial 'SN-100', model 'iPF8400S', technician 'Pat', labor hours 1, "
            "resolution 'R1', parts ''",
            "      1 NO_DISPATCH: no dispatch id given",
        ])
        out = lines(explain(db, "--source", "closeouts_n3.csv:4"))
        eq(out[0], "source closeouts_n3.csv:4: closeout of dispatch 'X404', which was never "
                   "imported")
        eq(out[-1], "      1 NO_DISPATCH: dispatch 'X404' not found")
        res = explain_json(db, "--source", "closeouts_n3.csv:4")["results"][0]
        eq(res["dispatch"], None)
        eq([(x["rank"], x["code"]) for x in res["closeout"]["reasons"]], [(1, "NO_DISPATCH")])
        # Naming X404 itself: not found, but the closeout naming it is pointed at.
        r = explain(db, "X404")
        eq(r.code, 65, r)
        eq(r.out, "")
        check("svcrecon: dispatch 'X404' not found in %s" % explain_named_db(db)
              in r.err, r.err)
        check("closeouts naming it: closeouts_n3.csv:4" in r.err, r.err)


def test_source_rejected_rows_show_raw_safely():
    with Tmp() as t:
        db = build(t)
        ts = imported(db)
        eq_lines(lines(explain(db, "--source", "closeouts_n3.csv:5")), [
            "source closeouts_n3.csv:5: rejected row",
            "   file '%s' (closeouts, loaded), imported %s"
            % (t.p("closeouts_n3.csv"), ts["closeouts_n3.csv"]),
            "",
            "reason: labor_hours '25' is above 24",
            "listed under Rejected rows in the next report's audit workbook "
            "(no report recorded since its file was delivered)",
            "raw record: D1,2026-03-08 09:00,X1,SN-100,iPF8400S,2026-03-08,Pat,25,R1,",
        ])
        (why,), = query(db, "SELECT reason FROM rejected_row WHERE line = 6")
        out = lines(explain(db, "--source", "closeouts_n3.csv:6"))
        eq(out[3:], ["reason: " + why,
                     "listed under Rejected rows in the next report's audit "
                     "workbook (no report recorded since its file was delivered)",
                     "raw record: D1,2026-03-08 11:00,X1,SN-100,iPF8400S,2026-03-08,"
                     "Caf\\xE9\\x01,1,R1,"])
        # JSON: valid UTF-8 on the wire, the exact bytes in base64.
        e = dict(os.environ, TZ="UTC")
        p = subprocess.run(cmd("explain", "--db", db, "--as-of", A, "--json",
                               "--source", "closeouts_n3.csv:6"), capture_output=True, env=e)
        eq(p.returncode, 0, p)
        doc = json.loads(p.stdout.decode("utf-8", errors="strict"))
        rr = doc["results"][0]["rejected_row"]
        eq(doc["results"][0]["what"], "rejected_row")
        eq((rr["file"], rr["line"], rr["reason"], rr["raw_utf8"], rr["audit_as_of"]),
           ("closeouts_n3.csv", 6, why, False, None))
        eq(rr["raw"], "D1,2026-03-08 11:00,X1,SN-100,iPF8400S,2026-03-08,Caf\ufffd\x01,1,R1,")
        eq(base64.b64decode(rr["raw_base64"]),
           b"D1,2026-03-08 11:00,X1,SN-100,iPF8400S,2026-03-08,Caf\xe9\x01,1,R1,")


def test_source_refused_file_and_whole_files():
    with Tmp() as t:
        db = build(t)
        ts = imported(db)
        (why, sha, size), = query(db, "SELECT reason, sha256, size_bytes FROM imported_file "
                                      "WHERE name = 'closeouts_bad.csv'")
        check("submitted_at" in why, why)
        eq_lines(lines(explain(db, "--source", "closeouts_bad.csv:0")), [
            "source closeouts_bad.csv:0: whole file, refused",
            "   file '%s' (closeouts, refused), imported %s"
            % (t.p("closeouts_bad.csv"), ts["closeouts_bad.csv"]),
            "",
            "refused: " + why,
            "nothing of it was loaded",
            "sha256 %s, %d bytes" % (sha, size),
        ])
        res = explain_json(db, "--source", "closeouts_bad.csv:0")["results"][0]
        eq(res["what"], "file")
        eq((res["file"]["status"], res["file"]["reason"], res["file"]["rows_loaded"]),
           ("refused", why, 0))
        r = explain(db, "--source", "closeouts_bad.csv:2")
        eq(r.code, 65, r)
        eq(r.out, "")
        check("svcrecon: closeouts_bad.csv:2: no row: the file was refused whole, nothing of "
              "it was loaded (" in r.err, r.err)
        out = lines(explain(db, "--source", "closeouts_n3.csv:0"))
        eq(out[0], "source closeouts_n3.csv:0: whole file, loaded")
        eq(out[3], "rows read 5 = loaded 3 + rejected 2")


def test_one_name_imported_twice_tells_both():
    with Tmp() as t:
        db = t.p("svc.db")
        a = t.csv("a/dispatches.csv", DSP_HDR, ["Y1,2026-03-01 08:00,m,s1,D1,,,,"])
        b = t.csv("b/dispatches.csv", DSP_HDR, ["Y2,2026-03-02 08:00,m,s2,D1,,,,"])
        eq(svc("import", "--db", db, "--kind", "dispatches", a, b).code, 0)
        out = lines(explain(db, "--source", "dispatches.csv:2"))
        heads = [x for x in out if x.startswith("source ")]
        eq(heads, ["source dispatches.csv:2: dispatch 'Y1', version 1 of 1, current",
                   "source dispatches.csv:2: dispatch 'Y2', version 1 of 1, current"])
        doc = explain_json(db, "--source", "dispatches.csv:2")
        eq([(x["source"]["path"], x["dispatch"]["dispatch_id"]) for x in doc["results"]],
           [(a, "Y1"), (b, "Y2")])
        doc = explain_json(db, "--source", b + ":2")
        eq([x["dispatch"]["dispatch_id"] for x in doc["results"]], ["Y2"])



def test_source_takes_back_the_file_line_explain_printed():
    """QA pass 59: a name with a newline is printed as \\x0A (a backslash
    in it doubled); --source took only the raw name, so the FILE:LINE an
    auditor copied from explain's text said "no imported file". Each name
    is explained, its printed FILE:LINE given back, and the row found. A
    name holding a literal \\x0A is printed as is, and given back as is."""
    names = [("nl", "n\nl.csv", "n\\x0Al.csv"),
             ("bs", "b\\\nb.csv", "b\\\\\\x0Ab.csv"),
             ("lit", "n\\x0Al.csv", "n\\x0Al.csv")]
    for tag, name, printed in names:
        with Tmp() as t:
            db = t.p("svc.db")
            f = t.csv(name, DSP_HDR, ["Z1,2026-03-01 08:00,m,s1,D1,,,,"])
            eq(svc("import", "--db", db, "--kind", "dispatches", f).code, 0, tag)
            out = lines(explain(db, "Z1"))
            at = [x.split()[0] for x in out if x.startswith("   ") and ".csv:2" in x]
            eq(at, [printed + ":2"], tag)
            out = lines(explain(db, "--source", at[0]))
            eq(out[0], "source %s: dispatch 'Z1', version 1 of 1, current" % at[0], tag)
            eq(lines(explain(db, "--source", name + ":2"))[0], out[0], tag)
            # Only the exact printed form: \x0a is no name explain prints.
            r = explain(db, "--source", at[0].replace("x0A", "x0a"))
            eq(r.code, 65, (tag, r))


def test_source_takes_back_the_file_line_a_message_printed():
    """fix63: the FILE:LINE of explain's messages was utf8_show's, the
    backslash of a printable name doubled ("closeouts naming it:
    c\\\\o.csv:2"), and --source did not find that name; the hint is now
    the name as explain prints it on stdout, and the doubled form is taken
    back too. A path with a ' in the story's quoted hint (explain --source
    'PATH:LINE') is written \\x27 there, which the shell passes on and
    --source takes back, also when the path holds a backslash, kept as
    it is in a printable name (only \\x27 is decoded then)."""
    with Tmp() as t:
        db = t.p("svc.db")
        c = t.csv("c\\o.csv", CLO_HDR, ["D1,2026-03-03 10:00,W1,SN1,iPF,2026-03-03,Pat,1,R,"])
        eq(svc("import", "--db", db, "--kind", "closeouts", c).code, 0)
        r = explain(db, "W1")
        eq(r.code, 65, r)
        check("; closeouts naming it: c\\o.csv:2 (explain --source FILE:LINE" in r.err, r.err)
        head = "source c\\o.csv:2: closeout of dispatch 'W1', which was never imported"
        eq(lines(explain(db, "--source", "c\\o.csv:2"))[0], head)
        eq(lines(explain(db, "--source", "c\\\\o.csv:2"))[0], head)
        r = explain(db, "--source", "c\\o.csv:9")
        eq(r.code, 65, r)
        check(r.err.startswith("svcrecon: c\\o.csv:9: no row starts at line 9"), r.err)
        r = explain(db, "--source", "n'o\\pe.csv:2")
        eq(r.code, 65, r)
        check(r.err.startswith("svcrecon: --source n'o\\pe.csv:2: no imported file named "
                               "'n\\x27o\\pe.csv' in "), r.err)

        d = t.csv("o'd\\b/dispatches.csv", DSP_HDR, ["W2,2026-03-02 09:00,iPF,SN1,D1,,,,",
                                                  "W2,2026-03-99 09:00,iPF,SN1,D1,,,,"])
        eq(svc("import", "--db", db, "--kind", "dispatches", d).code, 0)
        out = lines(explain(db, "W2"))
        quoted = d.replace("'", "\\x27")
        check("      file '%s' (dispatches), SHA-256 %s" % (quoted, sha256(d)[:12]) in out, out)
        hint = [x.split("; raw record: explain --source ")[1] for x in out
                if "; raw record: explain --source " in x]
        eq(hint, ["'%s:3'" % quoted])
        arg, = shlex.split(hint[0])
        eq(lines(explain(db, "--source", arg))[0], "source dispatches.csv:3: rejected row")


# ---- not found, usage, database ---------------------------------------------------

def test_not_found_is_65_with_a_message():
    with Tmp() as t:
        db = build(t)
        (why, at), = query(db, "SELECT reason, imported_at FROM imported_file "
                               "WHERE name = 'closeouts_bad.csv'")
        for args, msg in [
                (["X999"], "svcrecon: dispatch 'X999': 1 dispatches or closeouts file was "
                           "refused whole at import; its rows are not stored, so a call "
                           "delivered only in it is not in this database (the audit "
                           "workbooks list refused files under Rejected rows, line 0):\n"
                           "svcrecon:   closeouts_bad.csv, imported %s, refused: %s "
                           "(explain --source closeouts_bad.csv:0)\n"
                           "svcrecon: dispatch 'X999' not found in %s (no version of it was "
                           "imported); 1 file was refused whole at import (above): a call "
                           "delivered only in it is not in the database\n"
                           % (at, why, explain_named_db(db))),
                (["--source", "nope.csv:2"],
                 "svcrecon: --source nope.csv:2: no imported file named 'nope.csv' in %s "
                 "(give FILE as the workbooks' Source file or File column shows it, the "
                 "base name, letter case included, or as the path exactly as given to "
                 "import or run)\n" % explain_named_db(db)),
                (["--source", "closeouts_n1.csv:99"],
                 "svcrecon: closeouts_n1.csv:99: no row starts at line 99 (a row is named by "
                 "the physical line where its record starts; blank lines and the header start "
                 "none)\n"),
                (["--source", "closeouts_n1.csv:1"],
                 "svcrecon: closeouts_n1.csv:1: no row starts at line 1 (line 1 is the "
                 "header)\n")]:
            for fmt in ([], ["--json"]):
                r = explain(db, *(fmt + args))
                eq(r.code, 65, (args, r))
                eq(r.out, "", args)
                eq(r.err, msg, args)


def test_not_found_names_the_refused_files():
    """SPEC §2 "Rejected rows and files": a file refused whole keeps none of
    its rows, so a call delivered only in one is not in the database.
    `explain ID` of an id not found names the refused dispatches and
    closeouts files (their count; the latest three, newest first, with
    when imported, the reason and the --source that tells them) and says
    that such a call is not in the database, in text and --json alike
    (stdout stays empty, 65): it said "not found" alone, and an auditor
    could conclude the call never arrived."""
    with Tmp() as t:
        db = t.p("svc.db")
        r = svc("import", "--db", db, "--kind", "dispatches", t.csv(
            "dispatches_ok.csv", DSP_HDR,
            ["X1,2026-03-02 09:00,iPF8400S,SN-100,D1,Acme,10001,P1,OPEN"]))
        eq(r.code, 0, r)
        r = explain(db, "X12")
        eq((r.code, r.out), (65, ""), r)
        eq(r.err, "svcrecon: dispatch 'X12' not found in %s (no version of it was "
           "imported)\n" % explain_named_db(db), "no refused file: nothing more")
        # an unterminated quote; then four files lacking serial_number
        r = svc("import", "--db", db, "--kind", "dispatches", t.write(
            "dispatches_q.csv", (DSP_HDR + "\nX12,2026-03-02 09:00,iPF8400S,\"SN-1,D1,"
                                 "Acme,10001,P1,OPEN\n").encode()))
        eq(r.code, 65, r)
        r = svc("import", "--db", db, "--kind", "registrations", t.csv(
            "registrations_bad.csv", "dealer_id,model", ["D1,iPF8400S"]))
        eq(r.code, 65, r)
        for k in range(4):
            r = svc("import", "--db", db, "--kind", "closeouts" if k == 3 else "dispatches",
                    t.csv("bad_%d.csv" % k, "dispatch_id,model", ["X%d,iPF8400S" % k]))
            eq(r.code, 65, r)
        at = dict(query(db, "SELECT name, imported_at FROM imported_file"))
        for fmt in ([], ["--json"]):
            r = explain(db, *(fmt + ["X12"]))
            eq((r.code, r.out), (65, ""), (fmt, r))
            got = r.err.split("\n")
            eq(got[0], "svcrecon: dispatch 'X12': 5 dispatches or closeouts files were "
               "refused whole at import; their rows are not stored, so a call delivered "
               "only in one of them is not in this database (the audit workbooks list "
               "refused files under Rejected rows, line 0); the latest:", fmt)
            for i, name in enumerate(["bad_3.csv", "bad_2.csv", "bad_1.csv"]):
                check(got[1 + i].startswith("svcrecon:   %s, imported %s, refused: header "
                                            "lacks required column" % (name, at[name])),
                      got[1 + i])
                check(got[1 + i].endswith("(explain --source %s:0)" % name), got[1 + i])
            eq(got[4], "svcrecon:   and 2 more", fmt)
            eq(got[5], "svcrecon: dispatch 'X12' not found in %s (no version of it was "
               "imported); 5 files were refused whole at import (above): a call delivered "
               "only in one of them is not in the database" % explain_named_db(db), fmt)
            eq(got[6:], [""], fmt)


def test_an_id_over_200_bytes_is_shown_by_its_ends_and_its_rejected_rows_found():
    """An id of more than 60 characters is named in a message by its first
    40 and last 16 characters and its length (it was cut to its first 60:
    two ids that differ only at the end read the same); and a rejected row
    naming an id of more than 200 bytes -- which keeps '' as the id it
    names (README "Rejected rows naming a call") -- is found by its raw
    record, on stderr when no version was loaded and in the story's
    section when one was (it was never found: "not found" alone; fix67)."""
    with Tmp() as t:
        db = t.p("svc.db")
        long7 = "D" + "0" * 240 + "TAIL7"            # 246 bytes, rejected
        long8 = "D" + "0" * 240 + "TAIL8"            # never delivered
        long9 = "E" + "0" * 240 + "TAIL9"            # loaded
        r = svc("import", "--db", db, "--kind", "dispatches", t.csv("d.csv", DSP_HDR, [
            long7 + ",2026-02-30 08:00,iPF6400,SN-200,D2,Gamma,10003,P3,OPEN",   # 2
            long9 + ",2026-03-02 08:00,iPF6400,SN-200,D2,Gamma,10003,P3,OPEN"]))  # 3
        eq(r.code, 0, r)
        r = svc("import", "--db", db, "--kind", "closeouts", t.csv("c.csv", CLO_HDR, [
            "D2,2026-03-03 16:00,%s,SN-200,iPF6400,2026-03-03,Pat,x,R1," % long9]))  # 2
        eq(r.code, 0, r)
        shown7 = "'D" + "0" * 39 + "..." + "0" * 11 + "TAIL7' (246 bytes)"
        r = explain(db, long7)
        eq((r.code, r.out), (65, ""), r)
        check(("svcrecon: dispatch %s: rows naming it were delivered but rejected at "
               "import" % shown7) in r.err, r.err)
        check("svcrecon:   d.csv:2  rejected" in r.err, r.err)
        check(r.err.endswith("svcrecon: dispatch %s not found in %s (no version of it was "
                             "imported); 1 rejected row names it (above): correct it at "
                             "the source and deliver again\n"
                             % (shown7, explain_named_db(db))), r.err)
        r = explain(db, long8)
        eq((r.code, r.out), (65, ""), r)
        eq(r.err, "svcrecon: dispatch %s not found in %s (no version of it was imported)\n"
           % (shown7.replace("TAIL7", "TAIL8"), explain_named_db(db)))
        # a loaded long id: the story names the rejected closeout naming it
        out = lines(explain(db, long9))
        i = out.index("rejected rows naming '%s' (refused at import: no part of the story "
                      "above; a corrected row counts once delivered again; a rejected row "
                      "keeps the dispatch id it names only up to 200 bytes: these are the "
                      "rejected rows whose raw record holds it):" % long9)
        check(out[i + 1].startswith("   c.csv:2  rejected"), out[i + 1])
        d = explain_json(db, long9)["results"][0]["dispatch"]
        eq([(j["file"], j["line"]) for j in d["rejected_rows"]], [("c.csv", 2)])


@sqlite_only("a missing file, a file that is not a database, another program's "
             "SQLite file, a folder (a missing schema: t0200)")
def test_missing_or_foreign_database():
    with Tmp() as t:
        r = svc("explain", "--db", t.p("none.db"), "X1")
        eq(r.code, 66, r)
        check("svcrecon: %s: cannot open database: No such file or directory" % t.p("none.db")
              in r.err, r.err)
        check(not os.path.exists(t.p("none.db")), "explain created the database")
        t.write("junk.db", b"this is not a database, just text\n" * 100)
        r = svc("explain", "--db", t.p("junk.db"), "X1")
        eq(r.code, 65, r)
        check("not a database" in r.err, r.err)
        sqlite3.connect(t.p("empty.db")).execute("CREATE TABLE x (y)").connection.close()
        r = svc("explain", "--db", t.p("empty.db"), "X1")
        eq(r.code, 65, r)
        check("not an svcrecon database" in r.err, r.err)
        eq(svc("explain", "--db", t.path, "X1").code, 66)


USAGE = [
    (["explain", "--db", "x.db"], "explain needs a DISPATCH_ID or --source FILE:LINE"),
    (["explain", "X1"], "explain needs --db DB"),
    (["explain", "--db", "x.db", "X1", "--source", "a.csv:2"],
     "explain takes a DISPATCH_ID or --source FILE:LINE, not both (unexpected 'X1')"),
    (["explain", "--db", "x.db", "--source", "a.csv"], "invalid --source 'a.csv'"),
    (["explain", "--db", "x.db", "--source", "a.csv:two"], "invalid --source 'a.csv:two'"),
    (["explain", "--db", "x.db", "--source", ":2"], "invalid --source ':2'"),
    (["explain", "--db", "x.db", "--out", "o", "X1"],
     "explain takes no --out (an option of report and run)"),
    (["explain", "--db", "x.db", "X1", "X2"], "unexpected argument 'X2'"),
    (["explain", "--db", "x.db", "  "], "explain needs a DISPATCH_ID, not a blank one"),
    (["explain", "--db", "x.db", "--as-of", "2026-02-30", "X1"],
     "invalid --as-of date '2026-02-30'"),
    (["explain", "--db", "x.db", "--buckets", "9,3", "X1"], "invalid --buckets '9,3'"),
    (["explain", "--db", "x.db", "--source"], "option '--source' needs an argument"),
    # The other commands do not take explain's options (named as theirs).
    (["import", "--db", "x.db", "--kind", "dispatches", "--json", "f.csv"],
     "import takes no --json (an option of explain)"),
    (["report", "--db", "x.db", "--out", "o", "--source", "f.csv:2"],
     "report takes no --source (an option of explain)"),
]


def test_usage_errors_are_64():
    with Tmp() as t:
        for args, msg in USAGE:
            r = svc(*args, cwd=t.path)
            eq(r.code, 64, (args, r))
            check(("svcrecon: " + msg) in r.err, (args, r.err))
            check("       svcrecon explain --db DB" in r.err, r.err)
            eq(r.out, "", args)
            check(not db_exists(t.p("x.db")), args)
        r = svc("--help")
        check("svcrecon explain --db DB [--schema NAME] [--as-of DATE]" in r.out, r.out)
        check("--source FILE:LINE" in r.out and "--json" in r.out, r.out)


def hold_lock(path):
    code = ("import fcntl,os,sys,time\n"
            "fd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT)\n"
            "fcntl.lockf(fd,fcntl.LOCK_EX|fcntl.LOCK_NB)\n"
            "print('held',flush=True); time.sleep(60)\n")
    p = subprocess.Popen(["/usr/bin/python3", "-c", code, path], stdout=subprocess.PIPE,
                         text=True)
    eq(p.stdout.readline().strip(), "held")
    return p


def test_reads_only_takes_no_lock_and_reads_beside_a_writer():
    with Tmp() as t:
        db = build(t)
        want = lines(explain(db, "X1"))
        # the file's bytes; on PostgreSQL every table's rows
        state = (lambda: snapshot(db)) if ON_PG else (lambda: sha256(db))
        before = state()
        if not ON_PG:   # the lock file (PostgreSQL's advisory lock: t0210)
            os.unlink(db + ".lock")
            eq(lines(explain(db, "X1")), want)
            eq(state(), before, "explain changed the database")
            check(not os.path.exists(db + ".lock"), "explain took the run lock")
            # A run holds the lock: explain does not wait for it.
            holder = hold_lock(db + ".lock")
            try:
                eq(lines(explain(db, "X1")), want)
            finally:
                holder.kill()
                holder.wait()
        # A writer is inside a transaction: explain reads the last commit.
        if ON_PG:
            con = connect(db)
            con.execute("BEGIN")
        else:
            con = sqlite3.connect(db, isolation_level=None)
            con.execute("BEGIN IMMEDIATE")
        try:
            con.execute("UPDATE dispatch SET provider_id = 'ZZ'")
            eq(lines(explain(db, "X1")), want)
        finally:
            con.execute("ROLLBACK")
            con.close()
        eq(state(), before, "explain changed the database")


# ---- agreement with the rule views and the workbooks: sample-data ------------------

SAMPLE = os.path.join(ROOT, "sample-data", "inbox")
SCHEMAS = os.path.join(ROOT, "schemas")


def import_sample(t):
    db = t.p("svc.db")
    for kind in ("registrations", "dispatches", "closeouts"):
        files = sorted(glob.glob(os.path.join(SAMPLE, kind + "*.csv")))
        r = svc("import", "--db", db, "--kind", kind, *files)
        eq(r.code, 0, r)
    return db


def rule_views(db):
    """A read-only connection with the rules of schemas/ run on it, as the
    reports run them (default buckets, as of A)."""
    con = connect(db) if ON_PG else sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    con.executescript(open(os.path.join(SCHEMAS, "rules", "r010_context.sql")).read())
    day = (datetime.date.fromisoformat(A) - datetime.date(1970, 1, 1)).days
    con.execute("INSERT INTO run_ctx (as_of, as_of_day, from_day) VALUES "
                "(?, ?, NULL)", (A, day))
    lo = 0
    for seq, hi in enumerate([7, 14, 30, 60, 90, None], 1):
        con.execute("INSERT INTO aging_bucket VALUES (?, ?, ?, ?)",
                    (seq, lo, hi, "%d-%d" % (lo, hi) if hi else "%d+" % lo))
        lo = (hi or 0) + 1
    for f in rule_files_in_order(SCHEMAS):
        con.executescript(open(f).read())
    return con


def explain_all(db, ids):
    out = {}
    for i in ids:
        doc = explain_json(db, i)
        eq(len(doc["results"]), 1, i)
        out[i] = doc["results"][0]["dispatch"]
    return out


def test_sample_data_agrees_with_the_rule_views():
    with Tmp() as t:
        db = import_sample(t)
        con = rule_views(db)
        ids = [r[0] for r in con.execute("SELECT dispatch_id FROM dispatch_current "
                                         "ORDER BY dispatch_id")]
        check(len(ids) >= 30, ids)
        got = explain_all(db, ids)
        unclosed = {r[0]: r[1:] for r in con.execute(
            "SELECT dispatch_id, days_open, bucket_label, attempts FROM unclosed_call")}
        accepted = {r[0]: r[1:] for r in con.execute(
            "SELECT a.dispatch_id, c.file_name, c.line FROM closeout_accepted AS a "
            "JOIN closeout_current AS c ON c.closeout_id = a.closeout_id")}
        states = set()
        for i in ids:
            s = got[i]["standing"]
            states.add(s["state"])
            if i in unclosed:
                eq((s["state"], s["days_open"], s["bucket"], s["attempts"]),
                   ("unclosed",) + unclosed[i], i)
            else:
                check(s["state"] != "unclosed", i)
            if i in accepted:
                eq((s["state"], s["accepted_closeout"]["file"], s["accepted_closeout"]["line"]),
                   ("closed",) + accepted[i], i)
            else:
                eq(s["accepted_closeout"], None, i)
            want = [(r[0], r[1], r[2]) for r in con.execute(
                "SELECT rank, code, detail FROM registration_exception WHERE dispatch_id = ? "
                "ORDER BY rank", (i,))]
            eq([(e["rank"], e["code"], e["detail"]) for e in got[i]["registration_exceptions"]],
               want, i)
            # Every current closeout naming it, with all its reasons in order.
            want = {}
            for cid, f, line, acc in con.execute(
                    "SELECT closeout_id, file_name, line, is_accepted FROM closeout_eval "
                    "WHERE dispatch_id = ?", (i,)):
                reasons = [(r[0], r[1], r[2]) for r in con.execute(
                    "SELECT rank, code, detail FROM closeout_reason WHERE closeout_id = ? "
                    "ORDER BY rank", (cid,))]
                want[(f, line)] = ("accepted" if acc else "non_compensable", reasons)
            have = {(c["file"], c["line"]): (c["state"], [(x["rank"], x["code"], x["detail"])
                                                          for x in c["reasons"]])
                    for c in got[i]["closeouts"]
                    if c["state"] in ("accepted", "non_compensable")}
            eq(have, want, i)
        eq(states, {"unclosed", "closed", "cancelled", "dispatched_after_as_of"})
        con.close()


def test_sample_data_agrees_with_the_workbooks():
    import openpyxl
    with Tmp() as t:
        db = import_sample(t)
        r = svc("report", "--db", db, "--out", t.p("out"), "--as-of", A)
        eq(r.code, 0, r)
        ids = [x[0] for x in query(db, "SELECT DISTINCT dispatch_id FROM dispatch")]
        got = explain_all(db, ids)

        def sheet(book, name):
            ws = openpyxl.load_workbook(t.p("out", "%s_%s.xlsx" % (book, A)),
                                        read_only=True)[name]
            rows = list(ws.iter_rows(values_only=True))
            return [dict(zip(rows[0], row)) for row in rows[1:]]

        listed = {x["Dispatch ID"]: (x["Days open"], x["Aging bucket"],
                                     x["Closeout attempts"], x["Source file"],
                                     x["Source line"])
                  for x in sheet("unclosed_calls", "Unclosed calls")}
        told = {i: (d["standing"]["days_open"], d["standing"]["bucket"],
                    d["standing"]["attempts"], d["current_version"]["file"],
                    d["current_version"]["line"])
                for i, d in got.items() if d["standing"]["state"] == "unclosed"}
        eq(told, listed, "unclosed calls")

        # Every non-compensable row: explain of its dispatch, or of its
        # source line when its dispatch is blank or unknown, says the same.
        n = 0
        for x in sheet("non_compensable", "Non-compensable"):
            key = (x["Source file"], x["Source line"])
            if x["Dispatch ID"] in got:
                cs = [c for c in got[x["Dispatch ID"]]["closeouts"]
                      if (c["file"], c["line"]) == key]
            else:
                res = explain_json(db, "--source", "%s:%d" % key)["results"]
                cs = [r["closeout"] for r in res]
            eq(len(cs), 1, key)
            eq((cs[0]["state"], cs[0]["reason"], ";".join(c["code"] for c in cs[0]["reasons"])),
               ("non_compensable", x["Reason"], x["All reasons"]), key)
            n += 1
        eq(n, sum(c["state"] == "non_compensable" for d in got.values()
                  for c in d["closeouts"])
           + sum(1 for x in sheet("non_compensable", "Non-compensable")
                 if x["Dispatch ID"] not in got), "non-compensable rows")

        exc = sorted((x["Dispatch ID"], x["Exception"], x["Detail"])
                     for x in sheet("audit", "Registration exceptions"))
        eq(sorted((i, e["code"], e["detail"]) for i, d in got.items()
                  for e in d["registration_exceptions"]), exc, "registration exceptions")


def test_an_id_pasted_with_a_no_break_space_is_found():
    """Red before (qa79): README "A DISPATCH_ID is trimmed of blanks, as
    identifiers are on import", but explain trimmed spaces and tabs only:
    an id copied from a workbook or a web page with a no-break space (or
    a zero-width space) at its end was "not found", the message showing
    it as 'D1 '. Now trimmed by import's own function."""
    with Tmp() as t:
        db = t.p("svc.db")
        r = svc("import", "--db", db, "--kind", "dispatches", t.csv("d.csv", DSP_HDR, [
            "D1,2026-03-02 08:00,iPF6400,SN-200,D2,Gamma,10003,P3,OPEN"]))
        eq(r.code, 0, r)
        for pasted in ("D1\u00a0", "\u200bD1", " D1\u00a0\t"):
            r = explain(db, pasted)
            eq(r.code, 0, (pasted, r))
            check("D1" in r.out, r.out)


main(globals())
