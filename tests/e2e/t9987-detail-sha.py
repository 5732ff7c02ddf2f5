#!/usr/bin/python3
"""t9987 -- a detail that points at another row names its file's SHA-256
(QA pass 50).

Two Detail texts of the Non-compensable listing point at another row:
DUPLICATE_CLOSEOUT ("accepted closeout: closeouts.csv:2") and
DISPATCH_CANCELLED ("dispatch 'K2' is cancelled (dispatches.csv:3)"). A
feed that arrives under the same name every night makes FILE:LINE alone
ambiguous (README "Which file a row comes from"): in the two nights below
night 1's closeouts.csv:2 is another closeout, and night 1's
dispatches.csv:3 is the OPEN version of K2. Both details now always carry
the referenced file's SHA-256 prefix (12 hex, as the listing's Source
SHA-256 column), red before the fix.

A database written before (schema version 9, details in the old form) is
upgraded in place by the first command that writes (schema version 10:
the rule state computed anew); `explain`, which only reads, reads such a
database's kept state as it is (at once; the old form) until then.
"""
import importlib
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from svctest import (CLO_HDR, DSP_HDR, REG_HDR, ON_PG, Tmp, check,  # noqa: E402
                     connect, eq, main, query, schema_version, sha256, svc)

# Night 1: K1 and K2 open; two closeouts of an unknown K9.
N1_DSP = ["K1,2026-03-01 08:00,M1,S1,D1,Cust,1,P,",
          "K2,2026-03-01 09:00,M1,S1,D1,Cust,1,P,"]
N1_CLO = ["D1,2026-03-01 10:00,K9,S1,M1,2026-03-01,T,1,R,",
          "D1,2026-03-01 11:00,K9,S1,M1,2026-03-01,T,1,R,"]
# Night 2, the same file names: K2 cancelled at line 3; two closeouts of K1
# (the second a duplicate of closeouts.csv:2) and one of K2.
N2_DSP = ["K3,2026-03-02 08:00,M1,S1,D1,Cust,1,P,",
          "K2,2026-03-01 09:00,M1,S1,D1,Cust,1,P,CANCELLED"]
N2_CLO = ["D1,2026-03-02 10:00,K1,S1,M1,2026-03-01,T,1,R,",
          "D1,2026-03-02 11:00,K1,S1,M1,2026-03-01,T,1,R,",
          "D1,2026-03-02 12:00,K2,S1,M1,2026-03-01,T,1,R,"]


def old_version_9(*args, cwd):
    """Main's svcrecon of schema version 9, built from git as t9000 builds
    its old releases (one cache under build/old-COMMIT)."""
    return svctest.Run(importlib.import_module("t9000-qa25").old(9, *args, cwd=cwd))


def run(t, as_of, old=False):
    args = ("run", "--db", t.p("s.db"), "--inbox", t.p("inbox"), "--out",
            t.p("o"), "--as-of", as_of, "--quiet")
    r = old_version_9(*args, cwd=t.path) if old else svc(*args, cwd=t.path)
    eq(r.code, 0, r)


def two_nights(t, old=False):
    """The two nights; returns the SHA-256 of night 1's and night 2's
    dispatches.csv and closeouts.csv (the same names, other bytes)."""
    t.csv("inbox/registrations.csv", REG_HDR, ["D1,Dealer One,M1,S1,2025-01-01,N,"])
    t.csv("inbox/dispatches.csv", DSP_HDR, N1_DSP)
    t.csv("inbox/closeouts.csv", CLO_HDR, N1_CLO)
    first = (sha256(t.p("inbox/dispatches.csv")), sha256(t.p("inbox/closeouts.csv")))
    run(t, "2026-03-01", old)
    t.csv("inbox/dispatches.csv", DSP_HDR, N2_DSP)
    t.csv("inbox/closeouts.csv", CLO_HDR, N2_CLO)
    second = (sha256(t.p("inbox/dispatches.csv")), sha256(t.p("inbox/closeouts.csv")))
    check(first[0][:12] != second[0][:12] and first[1][:12] != second[1][:12],
          (first, second))
    run(t, "2026-03-02", old)
    return first, second


def details(book):
    """{(dispatch id, source line): (reason, detail, source SHA-256)} of the
    Non-compensable sheet of workbook book."""
    import openpyxl
    ws = openpyxl.load_workbook(book, read_only=True)["Non-compensable"]
    rows = list(ws.iter_rows(values_only=True))
    h = rows[0]
    col = {n: h.index(n) for n in ("Dispatch ID", "Source line", "Reason",
                                   "Detail", "Source SHA-256")}
    return {(r[col["Dispatch ID"]], r[col["Source line"]]):
            (r[col["Reason"]], r[col["Detail"]], r[col["Source SHA-256"]])
            for r in rows[1:] if r[0] is not None}


def check_details(book, second):
    dsp, clo = second
    got = details(book)
    # K1's second closeout (closeouts.csv:3) is the duplicate of line 2 of
    # night 2's closeouts.csv, not of night 1's.
    eq(got[("K1", 3)], ("DUPLICATE_CLOSEOUT",
                        "accepted closeout: closeouts.csv:2 (SHA-256 %s)"
                        % clo[:12], clo[:12]), "the duplicate's detail")
    # K2 is cancelled at line 3 of night 2's dispatches.csv (night 1's line
    # 3 is its OPEN version).
    eq(got[("K2", 4)], ("DISPATCH_CANCELLED",
                        "dispatch 'K2' is cancelled (dispatches.csv:3, "
                        "SHA-256 %s)" % dsp[:12], clo[:12]),
       "the cancelled dispatch's detail")


def test_details_name_the_referenced_file_sha():
    with Tmp() as t:
        first, second = two_nights(t)
        check_details(t.p("o", "non_compensable_2026-03-02.xlsx"), second)
        # explain shows the same details (read from the kept state).
        r = svc("explain", "--db", t.p("s.db"), "--as-of", "2026-03-02", "K2",
                cwd=t.path)
        eq(r.code, 0, r)
        check("2 DISPATCH_CANCELLED: dispatch 'K2' is cancelled "
              "(dispatches.csv:3, SHA-256 %s)" % second[0][:12] in r.out, r)
        r = svc("explain", "--db", t.p("s.db"), "--as-of", "2026-03-02", "K1",
                cwd=t.path)
        eq(r.code, 0, r)
        check("7 DUPLICATE_CLOSEOUT: accepted closeout: closeouts.csv:2 "
              "(SHA-256 %s)" % second[1][:12] in r.out, r)


# The stored details of a version-9 database turned back to the old form
# (what svcrecon before schema version 10 kept).
OLD_FORM = [(re.compile(r" \(SHA-256 [0-9a-f]{12}\)"), ""),
            (re.compile(r", SHA-256 [0-9a-f]{12}\)"), ")")]


def old_form(s):
    for rx, to in OLD_FORM:
        s = rx.sub(to, s)
    return s


def back_to_version_9(db):
    con = connect(db)
    try:
        for table, key in (("cur_closeout_reason", "closeout_id, rank"),
                           ("cur_closeout", "closeout_id")):
            where = " AND ".join("%s = ?" % k for k in key.split(", "))
            for row in con.execute("SELECT %s, detail FROM %s"
                                   % (key, table)).fetchall():
                con.execute("UPDATE %s SET detail = ? WHERE %s" % (table, where),
                            (old_form(row[-1]),) + tuple(row[:-1]))
        if ON_PG:   # autocommit
            con.execute("UPDATE schema_version SET version = 9")
        else:
            con.execute("PRAGMA user_version = 9")
            con.commit()
    finally:
        con.close()


def stored_details(db):
    return sorted(d for (d,) in query(db, "SELECT detail FROM cur_closeout_reason "
                                          "WHERE rank IN (2, 7)"))


def upgraded(t, second):
    """The database at version 9 with old details: explain reads them as
    kept (no recomputation, no upgrade); a report upgrades it in place, the
    details in the new form, which explain then shows."""
    db = t.p("s.db")
    eq(schema_version(db), 9)
    old = stored_details(db)
    eq(old, ["accepted closeout: closeouts.csv:2",
             "dispatch 'K2' is cancelled (dispatches.csv:3)"])
    r = svc("explain", "--db", db, "--as-of", "2026-03-02", "K2", cwd=t.path)
    eq(r.code, 0, r)
    check("is cancelled (dispatches.csv:3)" in r.out, r)
    eq(schema_version(db), 9, "explain only reads")
    shutil.rmtree(t.p("o"))
    r = svc("report", "--db", db, "--out", t.p("o"), "--as-of", "2026-03-02",
            "--quiet", cwd=t.path)
    eq(r.code, 0, r)
    eq(schema_version(db), svctest.SCHEMA_VERSION)
    eq(stored_details(db),
       ["accepted closeout: closeouts.csv:2 (SHA-256 %s)" % second[1][:12],
        "dispatch 'K2' is cancelled (dispatches.csv:3, SHA-256 %s)"
        % second[0][:12]])
    check_details(t.p("o", "non_compensable_2026-03-02.xlsx"), second)
    # The joined details too (cur_closeout.detail).
    joined = query(db, "SELECT detail FROM cur_closeout WHERE detail LIKE ? "
                       "OR detail LIKE ? ORDER BY closeout_id",
                   ("accepted closeout: %", "%is cancelled (%"))
    eq(len(joined), 2, joined)
    for (d,) in joined:
        check("SHA-256 " in d, d)
    r = svc("explain", "--db", db, "--as-of", "2026-03-02", "K2", cwd=t.path)
    eq(r.code, 0, r)
    check("(dispatches.csv:3, SHA-256 %s)" % second[0][:12] in r.out, r)


def test_a_version_9_database_is_upgraded_in_place():
    with Tmp() as t:
        _, second = two_nights(t)
        back_to_version_9(t.p("s.db"))
        upgraded(t, second)


def test_a_database_of_main_version_9_is_upgraded_in_place():
    with Tmp() as t:
        _, second = two_nights(t, old=True)
        upgraded(t, second)


main(globals())
