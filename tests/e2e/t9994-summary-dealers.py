#!/usr/bin/python3
"""t9994 -- the run summary lists the dealer statements (README "Dealer
statements", docs/summary.schema.json): reports.statements.dealers, one
object per file written, in the order written (byte order of dealer id),
with the file's name in the folder and the rows of each of its three
sheets; the same list on an untouched re-run (its workbooks and
statements left as they are), on a re-run whose record predates the list
(written again), and for hostile ids (escaped, cut, case-clashing
names)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from xlsx_helpers import (AS_OF, DIS_HDR, build_night, eq, listing, load,  # noqa
                          main, report, run, test, write_csv)

SHEETS = {"unclosed_calls": "Unclosed calls",
          "noncompensable": "Non-compensable",
          "registration_exceptions": "Registration exceptions"}


def folder(out):
    return os.path.join(out, "statements_" + AS_OF)


def summary_of(db, out, path, *extra):
    p = run("report", "--db", db, "--out", out, "--as-of", AS_OF,
            "--statements", "--summary", path, *extra, check=0)
    return p, svctest.validate_summary(path)["reports"]["statements"]


def read_back(out, dealers):
    """What each listed file holds: its Summary's dealer id and the rows of
    its three sheets, as the summary should say."""
    got = []
    for d in dealers:
        wb = load(os.path.join(folder(out), d["file"]))
        row = {"dealer_id": wb["Summary"]["B2"].value, "file": d["file"]}
        for key, sheet in SHEETS.items():
            row[key] = len(listing(wb[sheet]))
        got.append(row)
    return got


def check_list(st, out, n):
    if "dealers" not in st:
        raise AssertionError("no dealers list in %r" % st)
    dealers = st["dealers"]
    eq(st["count"], n, "count")
    eq(len(dealers), n, "one entry per statement")
    eq(sorted(d["file"] for d in dealers), sorted(os.listdir(folder(out))),
       "the files in the folder")
    ids = [d["dealer_id"].encode() for d in dealers]
    eq(ids, sorted(ids), "byte order of dealer id")
    eq(dealers, read_back(out, dealers), "each entry as its workbook")
    return dealers


def setup(tmp):
    db = build_night(tmp)
    return {"tmp": tmp, "db": db}


@test
def test_list_matches_the_statements(c):
    out = os.path.join(c["tmp"], "out1")
    _, st = summary_of(c["db"], out, os.path.join(c["tmp"], "s1.json"))
    dealers = check_list(st, out, 3)
    eq([d["dealer_id"] for d in dealers], ["D1", "D2", "D9"], "fixture")
    if not any(d["unclosed_calls"] and d["noncompensable"] for d in dealers):
        raise AssertionError("fixture has no dealer with both: %r" % dealers)


@test
def test_same_list_on_an_untouched_rerun(c):
    out = os.path.join(c["tmp"], "out2")
    _, first = summary_of(c["db"], out, os.path.join(c["tmp"], "s2a.json"))
    p, again = summary_of(c["db"], out, os.path.join(c["tmp"], "s2b.json"))
    if b"up to date" not in p.stderr:
        raise AssertionError("re-run not untouched: %r" % p.stderr)
    eq(again, first, "statements in the summary of the re-run")
    check_list(again, out, 3)


@test
@svctest.sqlite_only("edits the SQLite record directly")
def test_record_without_the_list_is_written_again(c):
    """A report recorded before the list existed (result: the counts and
    the digest only) cannot give it: the statements are written again."""
    import sqlite3
    out = os.path.join(c["tmp"], "out3")
    _, first = summary_of(c["db"], out, os.path.join(c["tmp"], "s3a.json"))
    con = sqlite3.connect(c["db"])
    with con:
        con.execute("UPDATE report_output SET result = substr(result, 1, "
                    "instr(result, char(10)) - 1) WHERE instr(result, "
                    "char(10)) > 0")
    con.close()
    p, again = summary_of(c["db"], out, os.path.join(c["tmp"], "s3b.json"))
    if b"up to date" in p.stderr:
        raise AssertionError("a record without the list counted as up to "
                             "date: %r" % p.stderr)
    eq(again, first, "the list after writing again")
    check_list(again, out, 3)


HOSTILE = ["../x", "A/B C", "x" * 300, "ab", "AB", ".", "-", "é/~", "CON",
           "L1\nL2 x", "5 7"]   # the list keeps ids with blanks, line breaks


@test
def test_hostile_ids(c):
    tmp = os.path.join(c["tmp"], "hostile")
    os.makedirs(tmp)
    f = lambda n: os.path.join(tmp, n)
    write_csv(f("dispatches_h.csv"), DIS_HDR, [
        ["H%d" % i, "2026-03-01 10:00", "M", "S%d" % i, d, "", "", "", ""]
        for i, d in enumerate(HOSTILE)])
    db = f("h.db")
    run("import", "--db", db, "--kind", "dispatches", "--quiet",
        f("dispatches_h.csv"), check=0)
    out = f("out")
    _, st = summary_of(db, out, f("s.json"))
    dealers = check_list(st, out, len(HOSTILE))
    eq(sorted(d["dealer_id"] for d in dealers), sorted(HOSTILE), "ids")
    by_id = {d["dealer_id"]: d for d in dealers}
    eq(by_id["../x"]["file"], "%2E%2E%2Fx.xlsx", "../x")
    if not by_id["ab"]["file"].startswith("ab~"):
        raise AssertionError("ab after AB: %r" % by_id["ab"])
    for d in dealers:
        eq((d["unclosed_calls"], d["noncompensable"]), (1, 0), d["file"])
    p, again = summary_of(db, out, f("s2.json"))
    if b"up to date" not in p.stderr:
        raise AssertionError("re-run not untouched: %r" % p.stderr)
    eq(again, st, "hostile list on the re-run")


SHIM = svctest.FAULTSHIM


@test
@svctest.sqlite_only("the fault shim's count of calls is of a SQLite run")
def test_failed_statements_list_no_dealer(c):
    """Guard (README "Dealer statements", decision): a statement that
    cannot be written fails the report (73); no statement of the run is in
    place, and the summary lists none: `reports.statements` is null (the
    three workbooks, in place, are named, "recorded": false; fix61)."""
    svctest.need_fault_shim()
    log = os.path.join(c["tmp"], "faults.log")
    hit = None
    for at in range(1, 40):
        out = os.path.join(c["tmp"], "f%d" % at)
        path = os.path.join(c["tmp"], "f%d.json" % at)
        if os.path.exists(log):
            os.unlink(log)
        env = dict(svctest.preloaded(SHIM), FAULT_CALLS="rename", FAULT_AT=str(at),
                   FAULT_LOG=log)
        p = run("report", "--db", c["db"], "--out", out, "--as-of", AS_OF,
                "--statements", "--quiet", "--summary", path, env=env)
        with open(log) as f:
            faults = [ln for ln in f if ln.startswith("fault ")]
        if not faults:
            break                          # past the run's last rename
        if faults[0].rstrip().endswith("/statements_" + AS_OF):
            hit = (p, path, out)
            break
    if not hit:
        raise AssertionError("no rename of the statements folder found")
    p, path, out = hit
    eq(p.returncode, 73, "exit: %r" % p.stderr)
    doc = svctest.validate_summary(path)
    eq(doc["status"], "cannot_create", "summary")
    eq(doc["reports"]["statements"], None, "statements")
    eq(doc["reports"]["recorded"], False, "recorded")
    for k in ("unclosed_calls", "non_compensable", "audit"):
        eq(doc["reports"][k]["in_place"], True, k)
    eq(os.path.exists(folder(out)), False, "no statements in place")


@test
def test_no_statements_no_list(c):
    out = os.path.join(c["tmp"], "out4")
    path = os.path.join(c["tmp"], "s4.json")
    report(c["db"], out, "--summary", path)
    eq(svctest.validate_summary(path)["reports"]["statements"], None, "null")


if __name__ == "__main__":
    main(setup)
