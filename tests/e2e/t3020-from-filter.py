#!/usr/bin/python3
"""t3020-from-filter.py -- SPEC §3 `--from D`: it filters two listings after
the rules ran over everything up to A; it never changes which closeout was
accepted, and unclosed calls are always all open calls as of A.

The fixture night reported as of 2026-03-12 with and without
--from 2026-03-07: non-compensable rows keep submitted_at >= D, registration
exceptions keep dispatches dated >= D, the unclosed calls and the rejected
rows do not change, and the Summary sheets show the --from date.
Last line: "N passed, N failed".
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xlsx_helpers import (build_night, db_counts, eq, listing,  # noqa: E402
                          load, main, report, test, workbook_paths)

FROM = "2026-03-07"
FROM_DT = datetime.datetime(2026, 3, 7)


def setup(tmp):
    db = build_night(tmp)
    ctx = {"db": db}
    for key, extra in (("all", ()), ("from", ("--from", FROM))):
        out = os.path.join(tmp, key)
        report(db, out, *extra)
        ctx[key] = {k: load(v) for k, v in workbook_paths(out).items()}
    ctx["counts_all"] = db_counts(db)
    ctx["counts_from"] = db_counts(db, from_=FROM)
    return ctx


@test
def test_noncompensable_filtered_by_submitted(c):
    rows = listing(c["from"]["non_compensable"]["Non-compensable"])
    eq(len(rows), c["counts_from"]["noncomp"], "rows with --from")
    eq(len(rows), 2, "fixture: two closeouts submitted on or after D")
    for r in rows:
        if r[4] < FROM_DT:
            raise AssertionError("submitted before --from: %r" % r)
    eq(len(listing(c["all"]["non_compensable"]["Non-compensable"])), 4,
       "rows without --from")


@test
def test_accepted_closeout_not_changed_by_from(c):
    # X3's accepted closeout (2025-11-02) is before D: its duplicate is
    # still a DUPLICATE_CLOSEOUT (not listed with --from, as it is before D
    # too) and X3 is still not an unclosed call.
    ids = [r[0] for r in listing(c["from"]["unclosed_calls"]
                                 ["Unclosed calls"])]
    if "X3" in ids:
        raise AssertionError("--from changed the accepted closeout")


@test
def test_registration_exceptions_filtered_by_dispatch_date(c):
    rows = listing(c["from"]["audit"]["Registration exceptions"])
    eq([(r[0], r[5]) for r in rows], [("X4", "NO_REGISTRATION")],
       "exceptions with --from")
    eq(len(rows), c["counts_from"]["regexc"], "count with --from")
    eq(len(listing(c["all"]["audit"]["Registration exceptions"])),
       c["counts_all"]["regexc"], "count without --from")


@test
def test_unclosed_and_rejected_not_filtered(c):
    for book, sheet in (("unclosed_calls", "Unclosed calls"),
                        ("audit", "Rejected rows")):
        eq(listing(c["from"][book][sheet]), listing(c["all"][book][sheet]),
           sheet + " with and without --from")


@test
def test_summaries_show_from_and_filtered_totals(c):
    for book in ("unclosed_calls", "non_compensable"):
        ws = c["from"][book]["Summary"]
        eq((ws["A3"].value, ws["B3"].value), ("From", FROM_DT),
           book + " From line")
        if ws["A3"].value == c["all"][book]["Summary"]["A3"].value:
            raise AssertionError("From line shown without --from")
    ws = c["from"]["non_compensable"]["Summary"]
    total = [r for r in ws.iter_rows(values_only=True) if r[0] == "Total"]
    eq(total[0][1], 2, "non-compensable total with --from")
    run = {r[0]: r[1] for r in c["from"]["audit"]["Run"].iter_rows(
        values_only=True) if r[0]}
    eq(run["From"], FROM_DT, "Run sheet From")


if __name__ == "__main__":
    main(setup)
