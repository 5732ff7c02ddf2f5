#!/usr/bin/python3
"""t3080 -- SPEC §4 "Dealer statements" (--statements): one workbook per
dealer with an unclosed call (as provider) or a non-compensable closeout,
holding the main listings' rows filtered to the dealer; file names with
%HH for every byte outside A-Z a-z 0-9 - _ (hostile ids stay inside the
folder); byte-identical; part of the untouched re-run and the summary
JSON."""
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from xlsx_helpers import (AS_OF, CLO_HDR, DIS_HDR, REG_HDR, build_night,  # noqa
                          eq, listing, load, main, report, run, sha256, test,
                          workbook_paths, write_csv)


def escaped(dealer):
    ok = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
             b"0123456789-_")
    return "".join(chr(b) if b in ok else "%%%02X" % b
                   for b in dealer.encode()) + ".xlsx"


def folder(out):
    return os.path.join(out, "statements_" + AS_OF)


def digests(d):
    return {n: sha256(os.path.join(d, n)) for n in sorted(os.listdir(d))}


def setup(tmp):
    db = build_night(tmp)
    out = os.path.join(tmp, "out")
    summary = os.path.join(tmp, "summary.json")
    report(db, out, "--statements", "--summary", summary)
    paths = workbook_paths(out)
    with open(summary) as f:
        js = json.load(f)
    return {"tmp": tmp, "db": db, "out": out, "paths": paths, "json": js,
            "wb": {k: load(v) for k, v in paths.items()}}


@test
def test_one_statement_per_dealer_with_a_listed_row(c):
    unclosed = listing(c["wb"]["unclosed_calls"]["Unclosed calls"])
    noncomp = listing(c["wb"]["non_compensable"]["Non-compensable"])
    dealers = {r[4] for r in unclosed if r[4]} | {r[0] for r in noncomp}
    eq(sorted(os.listdir(folder(c["out"]))),
       sorted(escaped(d) for d in dealers), "statement files")
    eq(sorted(dealers), ["D1", "D2", "D9"], "fixture dealers")
    st = c["json"]["reports"]["statements"]
    eq({k: st[k] for k in ("folder", "count")},
       {"folder": folder(c["out"]), "count": 3}, "summary JSON")
    # the list of statements (tests/e2e/t9994)
    eq([(d["dealer_id"], d["file"]) for d in st["dealers"]],
       [(d, escaped(d)) for d in ("D1", "D2", "D9")], "summary dealers")


@test
def test_rows_are_the_main_listings_filtered(c):
    main_rows = {
        "Unclosed calls": (listing(c["wb"]["unclosed_calls"]
                                   ["Unclosed calls"]), 4),
        "Non-compensable": (listing(c["wb"]["non_compensable"]
                                    ["Non-compensable"]), 0),
        "Registration exceptions": (listing(c["wb"]["audit"]
                                            ["Registration exceptions"]), 3),
    }
    n_rows = 0
    for dealer in ("D1", "D2", "D9"):
        wb = load(os.path.join(folder(c["out"]), escaped(dealer)))
        eq(wb.sheetnames, ["Summary", "Unclosed calls", "Non-compensable",
                           "Registration exceptions", "About"],
           dealer + " sheets")
        for sheet, (rows, key) in main_rows.items():
            want = [r for r in rows if r[key] == dealer]
            got = listing(wb[sheet])
            width = len(rows[0]) if rows else 0
            eq([r[:width] for r in got], want, "%s %s rows" % (dealer, sheet))
            n_rows += len(got)
        summ = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True)
                if r[0]}
        eq(summ["Dealer"], dealer, "Summary names the dealer")
        eq(summ["Calls dispatched to you that are not closed out"],
           len(listing(wb["Unclosed calls"])), dealer + " unclosed count")
        eq(summ["Closeouts that do not qualify for labor compensation"],
           len(listing(wb["Non-compensable"])), dealer + " noncomp count")
        hours = sum(r[6] or 0 for r in listing(wb["Non-compensable"]))
        eq(round(summ["Labor hours at stake"], 2), round(hours, 2),
           dealer + " hours")
    if n_rows == 0:
        raise AssertionError("statements hold no rows")


@test
def test_to_be_paid_names_every_reason(c):
    wb = load(os.path.join(folder(c["out"]), "D2.xlsx"))
    ws = wb["Non-compensable"]
    eq([x.value for x in ws[1]][-1], "To be paid", "last column")
    rows = listing(ws)
    eq([r[7] for r in rows], ["DUPLICATE_CLOSEOUT"], "D2's closeout")
    if not rows[0][-1].startswith("DUPLICATE_CLOSEOUT: "):
        raise AssertionError("to be paid: %r" % rows[0][-1])
    wb = load(os.path.join(folder(c["out"]), "D1.xlsx"))
    about = [[v for v in r if v is not None]
             for r in wb["About"].iter_rows(values_only=True)]
    flat = [str(v) for r in about for v in r]
    oldest = listing(wb["Unclosed calls"])[0][0]
    eq(oldest, "X10", "D1's oldest open call")
    if not any(v.endswith("--as-of %s %s" % (AS_OF, oldest)) for v in flat):
        raise AssertionError("D1's About example is not its oldest call")


@test
def test_byte_identical_and_untouched_rerun(c):
    out2 = os.path.join(c["tmp"], "out2")
    report(c["db"], out2, "--statements")
    eq(digests(folder(out2)), digests(folder(c["out"])),
       "same bytes in another folder")
    before = {n: os.stat(os.path.join(folder(c["out"]), n)).st_mtime_ns
              for n in os.listdir(folder(c["out"]))}
    p = run("report", "--db", c["db"], "--out", c["out"], "--as-of", AS_OF,
            "--statements", check=0)
    if b"up to date" not in p.stderr:
        raise AssertionError("re-run not untouched: %r" % p.stderr)
    after = {n: os.stat(os.path.join(folder(c["out"]), n)).st_mtime_ns
             for n in os.listdir(folder(c["out"]))}
    eq(after, before, "statements left as they are")
    # A stray file or a deleted statement: the folder is written again,
    # whole, the stray file gone.
    with open(os.path.join(folder(c["out"]), "ZZ.xlsx"), "w") as f:
        f.write("not ours")
    p = run("report", "--db", c["db"], "--out", c["out"], "--as-of", AS_OF,
            "--statements", check=0)
    if b"up to date" in p.stderr:
        raise AssertionError("a changed folder counted as up to date")
    eq(digests(folder(c["out"])), digests(folder(out2)),
       "rewritten whole")
    leftovers = [n for n in os.listdir(c["out"]) if n.startswith(".")]
    eq(leftovers, [], "no temporary folder or file left")


@test
def test_without_the_option_no_statements(c):
    out3 = os.path.join(c["tmp"], "out3")
    report(c["db"], out3, "--summary", os.path.join(c["tmp"], "s3.json"))
    eq(os.path.exists(folder(out3)), False, "no statements folder")
    with open(os.path.join(c["tmp"], "s3.json")) as f:
        eq(json.load(f)["reports"]["statements"], None, "JSON null")
    p = run("import", "--db", c["db"], "--kind", "dispatches",
            "--statements", "x.csv", check=64)
    if b"--statements" not in p.stderr:
        raise AssertionError("import --statements: %r" % p.stderr)


HOSTILE = ["../x", "A/B C", "x" * 300, "ab", "AB", ".", "..", "-", "é/~"]


@test
def test_hostile_dealer_ids_stay_inside(c):
    tmp = os.path.join(c["tmp"], "hostile")
    os.makedirs(tmp)
    f = lambda n: os.path.join(tmp, n)
    write_csv(f("dispatches_h.csv"), DIS_HDR, [
        ["H%d" % i, "2026-03-01 10:00", "M", "S%d" % i, d, "", "", "", ""]
        for i, d in enumerate(HOSTILE)] + [
        # a cancelled call: no statement for Q0, but a registration
        # exception its statement would have (stepped over in one pass)
        ["Q0", "2026-03-01 10:00", "M", "SQ", "Q0", "", "", "", "CANCELLED"]])
    db = f("h.db")
    run("import", "--db", db, "--kind", "dispatches", "--quiet",
        f("dispatches_h.csv"), check=0)
    out = f("out")
    report(db, out, "--statements")
    names = sorted(os.listdir(folder(out)))
    eq(sorted(os.listdir(out)), ["audit_%s.xlsx" % AS_OF,
                                 "non_compensable_%s.xlsx" % AS_OF,
                                 "statements_" + AS_OF,
                                 "unclosed_calls_%s.xlsx" % AS_OF],
       "nothing written beside the workbooks")
    beside = [] if svctest.ON_PG else ["h.db", "h.db.lock"]   # the SQLite files
    eq(sorted(os.listdir(tmp)), sorted(["dispatches_h.csv", "out"] + beside),
       "nothing written outside OUT")
    eq(len(names), len(HOSTILE), "one file per dealer")
    for n in names:
        if "/" in n or n.startswith(".") or len(n.encode()) > 255:
            raise AssertionError("bad file name %r" % n)
    for d in ("../x", "A/B C", "AB", ".", "..", "-", "é/~"):
        if escaped(d) not in names:
            raise AssertionError("%r not as %r in %r" % (d, escaped(d),
                                                         names))
    eq(escaped("../x"), "%2E%2E%2Fx.xlsx", "../x")
    eq(escaped("A/B C"), "A%2FB%20C.xlsx", "A/B C")
    # names unique ignoring case: "ab" after "AB" ends ~ + hash (t9980)
    ab = "ab~" + hashlib.sha256(b"ab").hexdigest()[:16] + ".xlsx"
    if ab not in names:
        raise AssertionError("ab as %r in %r" % (ab, names))
    # at most 100 characters, for Excel's 218-character path (t9980)
    long = [n for n in names if n.startswith("x" * 78)]
    eq(len(long), 1, "the 300-byte id")
    if "~" not in long[0] or len(long[0]) > 100:
        raise AssertionError("300-byte id's name: %r" % long[0])
    # each file holds its own dealer's call
    for i, d in enumerate(HOSTILE):
        n = escaped(d) if escaped(d) in names else ab if d == "ab" \
            else long[0]
        wb = load(os.path.join(folder(out), n))
        rows = listing(wb["Unclosed calls"])
        eq([(r[0], r[4]) for r in rows], [("H%d" % i, d)], "%r's rows" % d)
        rows = listing(wb["Registration exceptions"])
        eq([(r[0], r[3], r[5]) for r in rows],
           [("H%d" % i, d, "NO_REGISTRATION")], "%r's exceptions" % d)
    eq(escaped("Q0") in names, False, "no statement for Q0")


if __name__ == "__main__":
    main(setup)
