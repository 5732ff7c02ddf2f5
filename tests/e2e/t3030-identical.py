#!/usr/bin/python3
"""t3030-identical.py -- SPEC §4: "The same database and the same as-of date
produce byte-identical workbooks."

The fixture night is reported three times: twice into the same folder (the
second run replaces the files) and once into another folder with another
time zone and locale in the environment; every workbook must have the same
SHA-256 each time. A different as-of date must give different bytes (the
check can fail). Last line: "N passed, N failed".
"""
import locale
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xlsx_helpers import (build_night, eq, main, report, run,  # noqa: E402
                          sha256, test, workbook_paths)


def digests(out, as_of="2026-03-12"):
    return {k: sha256(p) for k, p in workbook_paths(out, as_of).items()}


def setup(tmp):
    db = build_night(tmp)
    a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
    report(db, a)
    first = digests(a)
    report(db, a)
    second = digests(a)
    report(db, b, env={"TZ": "Pacific/Kiritimati", "LC_ALL": "de_DE.UTF-8",
                       "LANG": "de_DE.UTF-8"})
    other = digests(b)
    c = os.path.join(tmp, "c")
    run("report", "--db", db, "--out", c, "--as-of", "2026-03-13",
        "--quiet", check=0)
    return {"first": first, "second": second, "other": other,
            "next_day": digests(c, "2026-03-13"), "a": a}


@test
def test_rerun_gives_identical_bytes(c):
    eq(c["second"], c["first"], "SHA-256 of a second run")


@test
def test_german_locale_is_installed():
    """Without de_DE.UTF-8 on the machine LC_ALL falls back to C and the
    test below proves nothing (`make test-deps` generates it)."""
    try:
        locale.setlocale(locale.LC_ALL, "de_DE.UTF-8")
        eq(locale.localeconv()["decimal_point"], ",", "de_DE decimal point")
    finally:
        locale.setlocale(locale.LC_ALL, "C")


@test
def test_other_folder_time_zone_and_locale_identical(c):
    eq(c["other"], c["first"], "SHA-256 in another folder, TZ and locale")


@test
def test_nothing_but_the_workbooks_left(c):
    eq(sorted(os.listdir(c["a"])),
       sorted(os.path.basename(p) for p in workbook_paths(c["a"]).values()),
       "files in the output folder")


@test
def test_another_as_of_differs(c):
    for k in c["first"]:
        if c["next_day"][k] == c["first"][k]:
            raise AssertionError("%s: same bytes for another as-of" % k)


if __name__ == "__main__":
    main(setup)
