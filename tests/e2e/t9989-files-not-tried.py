#!/usr/bin/python3
"""t9989 -- a file that fails on database trouble stops the command; the
files after it are accounted for (QA pass 42; README "Output for cron").

Red before: the database's disk filled during the second of three files:
exit 73, but the final line read "files: 0 loaded, 0 skipped, 0 refused,
0 unreadable" for an import of one file that failed, and the third file
appeared nowhere (not on stderr, not in the summary, whose
control_totals.files counted 2 of the 3 files given). Now each file not
tried is in the summary's files with status `not_tried` and a reason that
names the file the command stopped at, control_totals counts `not_tried`,
and the final line adds "N failed, M not tried" (only when there are
some: a good night's line is unchanged). The rerun, with space, loads the
files that were not tried.

SQLite only: the database's disk is a small tmpfs (root is needed; the
tests say SKIP without it)."""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from svctest import (Tmp, check, eq, good_night, main, raw, small_disk,  # noqa: E402
                     sqlite_only, svc)

AS_OF = "2026-03-12"


def big_dispatches(t, name, n):
    """n dispatches: megabytes of rows and indexes, more than the disk."""
    return t.csv(name, svctest.DSP_HDR,
                 ["B%06d,2026-03-01 09:00,iPF8400S,AFK%06d,CA1042,"
                  "Customer number %d of a file too big for its disk,"
                  "02108,P,OPEN" % (i, i, i) for i in range(n)])


def seed(t):
    """A database holding one small import; returns the size of a disk
    that holds it with ~1 MB free."""
    f = t.csv("seed.csv", svctest.REG_HDR,
              ["CA2000,Dealer Two,iPF8400S,AFK99999,2026-01-01,N,"])
    r = svc("import", "--db", "seed.db", "--kind", "registrations", f,
            "--quiet", cwd=t.path)
    eq(r.code, 0, r)
    return "%dk" % (os.path.getsize(t.p("seed.db")) // 1024 + 1024)


def on_disk(t, mnt):
    db = os.path.join(mnt, "svc.db")
    shutil.copy(t.p("seed.db"), db)
    return db


def summary(path):
    doc = svctest.validate_summary(path)
    return doc, [(os.path.basename(f["path"]), f["status"])
                 for f in doc["files"]]


@sqlite_only("the database's disk is a tmpfs")
def test_import_lists_the_files_after_a_failed_one():
    with Tmp() as t:
        small = t.csv("small.csv", svctest.DSP_HDR,
                      ["A1,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,C,"
                       "02108,P,OPEN"])
        big = big_dispatches(t, "big.csv", 30000)
        last = t.csv("last.csv", svctest.DSP_HDR,
                     ["A2,2026-03-02 09:00,iPF8400S,AFK03126,CA1042,C,"
                      "02108,P,OPEN"])
        with small_disk(t.p("mnt"), seed(t)) as mnt:
            db = on_disk(t, mnt)
            r = raw(["import", "--db", db, "--kind", "dispatches", small, big,
                     last, "--summary", t.p("s.json")], t.path)
            eq(r.code, 73, r)
            check("database or disk is full" in r.err, r.err)
            check("files: 1 loaded, 0 skipped, 0 refused, 0 unreadable, "
                  "1 failed, 1 not tried;" in r.err, r.err)
            doc, files = summary(t.p("s.json"))
            eq(files, [("small.csv", "loaded"), ("big.csv", "failed"),
                       ("last.csv", "not_tried")], "files")
            tot = doc["control_totals"]
            eq((tot["files"], tot["loaded"], tot["failed"], tot["not_tried"]),
               (3, 1, 1, 1), tot)
            check(doc["files"][2]["reason"].startswith(
                "not tried: the command stopped at %s (database trouble)"
                % big), doc["files"][2]["reason"])
            eq((doc["files"][2]["sha256"], doc["files"][2]["rows_read"]),
               (None, 0), doc["files"][2])
            shutil.copy(db, t.p("moved.db"))
        # with space, the rerun loads what was not loaded
        r = svc("import", "--db", "moved.db", "--kind", "dispatches", small,
                big, last, "--summary", "s2.json", cwd=t.path)
        eq(r.code, 0, r)
        doc, files = summary(t.p("s2.json"))
        eq(files, [("small.csv", "skipped"), ("big.csv", "loaded"),
                   ("last.csv", "loaded")], "rerun")
        eq(doc["control_totals"]["not_tried"], 0, doc["control_totals"])


@sqlite_only("the database's disk is a tmpfs")
def test_run_lists_the_inbox_files_after_a_failed_one():
    with Tmp() as t:
        good_night(t)
        os.unlink(t.p("in", "dispatches_1.csv"))
        big_dispatches(t, "in/dispatches_1.csv", 30000)
        with small_disk(t.p("mnt"), seed(t)) as mnt:
            db = on_disk(t, mnt)
            r = raw(["run", "--db", db, "--inbox", "in", "--out", "out",
                     "--as-of", AS_OF, "--summary", "s.json"], t.path)
            eq(r.code, 73, r)
            check(", 1 failed, 1 not tried;" in r.err, r.err)
            doc, files = summary(t.p("s.json"))
            eq(files, [("registrations_1.csv", "loaded"),
                       ("dispatches_1.csv", "failed"),
                       ("closeouts_1.csv", "not_tried")], "files")
            eq(doc["control_totals"]["files"], 3, doc["control_totals"])
            check("stopped at in/dispatches_1.csv" in doc["files"][2]["reason"],
                  doc["files"][2]["reason"])
            check(not os.path.exists(t.p("out")), "no report written")


@sqlite_only("the database's disk is a tmpfs")
def test_files_are_listed_not_tried_when_the_schema_cannot_be_made():
    # a first run into a nearly full --db disk failed while making the
    # schema, before its first file: exit 73, and the summary's files was
    # [] with control_totals.files 0 for an inbox of three feeds (qa72).
    # Every file found (or given to import) is now listed not_tried.
    with Tmp() as t:
        good_night(t)
        with small_disk(t.p("mnt"), "300k") as mnt:
            db = os.path.join(mnt, "svc.db")
            r = raw(["run", "--db", db, "--inbox", "in", "--out", "out",
                     "--as-of", AS_OF, "--summary", "s.json"], t.path)
            eq(r.code, 73, r)
            check("files: 0 loaded, 0 skipped, 0 refused, 0 unreadable, "
                  "0 failed, 3 not tried;" in r.err, r.err)
            doc, files = summary(t.p("s.json"))
            eq(files, [("registrations_1.csv", "not_tried"),
                       ("dispatches_1.csv", "not_tried"),
                       ("closeouts_1.csv", "not_tried")], "files")
            tot = doc["control_totals"]
            eq((tot["files"], tot["not_tried"]), (3, 3), tot)
            check(doc["files"][0]["reason"].startswith(
                "not tried: the command stopped before its first file"),
                doc["files"][0]["reason"])
            r = raw(["import", "--db", db, "--kind", "dispatches",
                     "in/dispatches_1.csv", "--summary", "i.json"], t.path)
            eq(r.code, 73, r)
            doc, files = summary(t.p("i.json"))
            eq(files, [("dispatches_1.csv", "not_tried")], "import files")
            eq(doc["control_totals"]["files"], 1, doc["control_totals"])
        # with space, the rerun loads the night
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--summary", "s.json", cwd=t.path)
        eq(r.code, 0, r)


def test_a_good_night_line_is_unchanged_and_counts_no_file_not_tried():
    with Tmp() as t:
        good_night(t)
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--summary", "s.json", cwd=t.path)
        eq(r.code, 0, r)
        check("files: 3 loaded, 0 skipped, 0 refused, 0 unreadable; rows:"
              in r.err, r.err)
        with open(t.p("s.json")) as f:
            eq(json.load(f)["control_totals"]["not_tried"], 0, "not_tried")


if __name__ == "__main__":
    main(globals())
