#!/usr/bin/python3
"""t7100 -- what a new user breaking svcrecon found (QA pass 6), each case
a defect seen red before its fix:

- a workbook that fails on a full disk gives its temporary files back
  before the run ends, so the --summary written to the same disk
  afterwards still tells monitoring what happened (SPEC §5, README
  "Summary JSON": written also when the run fails);
- the same bytes delivered under a second name in one night are listed
  on the audit's Run sheet (and in the summary's night) as skipped, so an
  auditor looking for that file finds what became of it (SPEC §4 "each
  file that an import or run was given or found in that time, once");
- an option given an empty value (`--db "$DB"` with DB unset, in a cron
  line) is a usage error (64) before anything is done: `--db ''` made
  SQLite open a throw-away database, deleted when the run ended, so the
  night imported, reported and exited 0 while keeping nothing;
- `--db :memory:` or `--db 'file:x.db?mode=memory'` is a path like any
  other (SPEC §5: "DB is a path to a SQLite database file"): SQLite read
  them as its in-memory database and as a URI, so the night was lost with
  exit 0;
- `--inbox in/` (a trailing slash, as shell completion writes it) names
  its files `in/dispatches_a.csv`, not `in//dispatches_a.csv`, in
  messages, the summary and the audit's Path column;
- a database whose folder cannot be written (SQLite keeps DB-wal and
  DB-shm beside the file) says so and what to do (explain reads it when
  no DB-wal is beside it: QA pass 42; also for a user who cannot write
  the file either: qa58), instead of SQLite's
  "unable to open database file: No such file or directory" about a file
  that is there; a database folder that does not exist (the database is
  created on first use, its folder is not) says to create it;
- `--summary` naming the database itself (or its lock file) is a usage
  error: the summary, written to FILE.tmp and renamed, replaced the
  database with JSON and the whole history was gone;
- a header name with a non-breaking space around it (as spreadsheets
  export) matches its column (SPEC §2: surrounding blanks ignored), and a
  file refused for a missing column names the header's columns it did not
  recognize ('dispatch id' for dispatch_id), so that the fix is in sight;
- "wrote 1 dealer statements" reads "wrote 1 dealer statement"."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (DSP_HDR, SVCRECON, Tmp, as_user, check, cmd, eq, main,  # noqa: E402
                     query, skip, small_disk, sqlite_only, svc)
import openpyxl  # noqa: E402

VALGRIND = "valgrind" in SVCRECON or bool(os.environ.get("VALGRIND"))


def dispatch_rows(n):
    return ["Q%d,2026-03-08 09:30,iPF8400S,S%d,D%d,customer %d %s,02108,P,OPEN"
            % (i, i, i % 40, i, "c" * 60) for i in range(n)]


def test_a_workbook_failed_on_a_full_disk_frees_its_space_for_the_summary():
    """Before the fix, libxlsxwriter's temporary files of the failed
    workbook (unlinked, but still open) kept the disk full until the
    process ended: the summary could not be written ("cannot write
    summary: No space left on device") and monitoring saw yesterday's."""
    with Tmp() as t:
        f = t.csv("dispatches_a.csv", DSP_HDR, dispatch_rows(20000))
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f)
        eq(r.code, 0, r)
        with small_disk(t.p("mnt"), "1m") as mnt:
            summary = os.path.join(mnt, "summary.json")
            r = svc("report", "--db", t.p("svc.db"), "--out", os.path.join(mnt, "out"),
                    "--as-of", "2026-03-12", "--summary", summary)
            eq(r.code, 73, r)
            check("No space left on device" in r.err, r.err)
            check("cannot write summary" not in r.err, r.err)
            with open(summary) as fh:
                s = json.load(fh)
            eq((s["status"], s["exit_code"]), ("cannot_create", 73))
            check("No space left on device" in s["error"], s["error"])
            eq(sorted(os.listdir(os.path.join(mnt, "out"))), [], "nothing left behind")

def test_the_same_bytes_under_a_second_name_are_listed_in_the_night():
    with Tmp() as t:
        body = DSP_HDR + "\n" + "\n".join(dispatch_rows(3)) + "\n"
        t.write("in/dispatches_a.csv", body)
        t.write("in/dispatches_b_copy.csv", body)
        out = t.p("out")
        summary = t.p("s.json")
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", out,
                "--as-of", "2026-03-12", "--summary", summary)
        eq(r.code, 0, r)
        wb = openpyxl.load_workbook(os.path.join(out, "audit_2026-03-12.xlsx"))
        run = [[c.value for c in row] for row in wb["Run"].iter_rows()]
        hdr = next(i for i, row in enumerate(run) if row and row[0] == "File")
        listed = [(row[0], row[6], row[7]) for row in run[hdr + 1:]
                  if row and row[0] and row[0].startswith("dispatches_")]
        eq(len(listed), 2, "both names are listed: %r" % listed)
        eq(listed[0][:2], ("dispatches_a.csv", "loaded"))
        eq(listed[1][:2], ("dispatches_b_copy.csv", "skipped"))
        check(listed[1][2].startswith("same bytes as dispatches_a.csv"), listed[1])
        with open(summary) as fh:
            night = json.load(fh)["reports"]["audit"]["files"]
        eq([(f["name"], f["status"]) for f in night],
           [("dispatches_a.csv", "loaded"), ("dispatches_b_copy.csv", "skipped")])
        # A retry of the same night adds no row (each file once): same bytes.
        before = open(os.path.join(out, "audit_2026-03-12.xlsx"), "rb").read()
        os.remove(os.path.join(out, "audit_2026-03-12.xlsx"))
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", out,
                "--as-of", "2026-03-12")
        eq(r.code, 0, r)
        eq(open(os.path.join(out, "audit_2026-03-12.xlsx"), "rb").read() == before, True,
           "the retried night writes the same audit bytes")


def test_an_empty_option_value_is_a_usage_error_before_anything_is_done():
    with Tmp() as t:
        t.write("in/dispatches_a.csv", DSP_HDR + "\n" + "\n".join(dispatch_rows(2)) + "\n")
        db, inbox, out = t.p("svc.db"), t.p("in"), t.p("out")
        cases = [
            ("db", ["run", "--db=", "--inbox", inbox, "--out", out]),
            ("inbox", ["run", "--db", db, "--inbox", "", "--out", out]),
            ("out", ["run", "--db", db, "--inbox", inbox, "--out", ""]),
            ("summary", ["run", "--db", db, "--inbox", inbox, "--out", out, "--summary="]),
            ("db", ["import", "--db=", "--kind", "dispatches",
                    os.path.join(inbox, "dispatches_a.csv")]),
            ("kind", ["import", "--db", db, "--kind", "", os.path.join(inbox, "dispatches_a.csv")]),
            ("db", ["report", "--db=", "--out", out]),
            ("as-of", ["report", "--db", db, "--out", out, "--as-of", ""]),
            ("db", ["explain", "--db=", "X1"]),
            ("source", ["explain", "--db", db, "--source", ""]),
            ("to", ["copy", "--from", db, "--to", ""]),
        ]
        # "--db=": the PostgreSQL pass (svctest.cmd) leaves it as it is.
        for opt, args in cases:
            r = svc(*args, cwd=t.path)
            eq(r.code, 64, (args, r))
            check("svcrecon: option '--%s' needs a value, not an empty string" % opt
                  in r.err, (args, r.err))
            eq(sorted(os.listdir(t.path)), ["in"], "nothing was created by %r" % args)


@sqlite_only("SQLite's special file names (':memory:', 'file:' URIs)")
def test_a_db_path_that_sqlite_would_read_as_special_is_a_file():
    with Tmp() as t:
        t.write("in/dispatches_a.csv", DSP_HDR + "\n" + "\n".join(dispatch_rows(2)) + "\n")
        for name in (":memory:", "file:x.db?mode=memory", "file:y.db"):
            args = ["run", "--db", name, "--inbox", "in", "--out", "out",
                    "--as-of", "2026-03-12", "--quiet"]
            r = svc(*args, cwd=t.path)
            eq(r.code, 0, (name, r))
            check(os.path.isfile(t.p(name)), "the database is the file %r: %r"
                  % (name, sorted(os.listdir(t.path))))
            eq(query(t.p(name), "SELECT count(*) FROM dispatch"), [(2,)], name)
            r = svc("run", "--db", name, "--inbox", "in", "--out", "out2",
                    "--as-of", "2026-03-12", cwd=t.path)
            eq(r.code, 0, (name, r))
            check("1 file skipped" in r.err, "the night was kept: %r" % r.err)


def test_an_inbox_with_a_trailing_slash_names_its_files_without_a_double_slash():
    with Tmp() as t:
        t.write("in/dispatches_a.csv", DSP_HDR + "\n" + "\n".join(dispatch_rows(2)) + "\n")
        t.write("in/notes.txt", "not a feed\n")
        r = svc("run", "--db", "svc.db", "--inbox", "in/", "--out", "out",
                "--as-of", "2026-03-12", "--summary", "s.json", cwd=t.path)
        eq(r.code, 0, r)
        check("//" not in r.err, r.err)
        check("in/dispatches_a.csv: dispatches: 2 read" in r.err, r.err)
        check("in/notes.txt: inbox file matches no kind" in r.err, r.err)
        with open(t.p("s.json")) as fh:
            s = json.load(fh)
        eq([f["path"] for f in s["files"]], ["in/dispatches_a.csv"])
        eq([f["path"] for f in s["reports"]["audit"]["files"]], ["in/dispatches_a.csv"])
        eq([w["file"] for w in s["warnings"]], ["in/notes.txt"])


@sqlite_only("SQLite's -wal and -shm files beside the database")
def test_a_database_folder_that_cannot_be_written_is_named_with_what_to_do():
    if os.geteuid() != 0:
        skip("chattr +i needs root (root ignores file modes)")
    with Tmp() as t:
        f = t.csv("dispatches_a.csv", DSP_HDR, dispatch_rows(2))
        db = t.p("d", "svc.db")
        os.makedirs(t.p("d"))
        eq(svc("import", "--db", db, "--kind", "dispatches", f).code, 0)
        c = subprocess.run(["chattr", "+i", t.p("d")], capture_output=True, text=True)
        if c.returncode != 0:
            skip("chattr +i does not work here: %s" % c.stderr.strip())
        try:
            for args, code in [(["report", "--db", db, "--out", t.p("out")], 73),
                               (["import", "--db", db, "--kind", "dispatches", f], 73)]:
                r = svc(*args)
                eq(r.code, code, (args, r))
                check("%s: cannot open database: its folder '%s' cannot be written"
                      % (db, t.p("d")) in r.err, (args, r.err))
                check("make the folder writable" in r.err, r.err)
                check("No such file or directory" not in r.err, r.err)
            # explain reads it as immutable: no DB-wal, so every committed
            # page is in the file and no writer can begin (QA pass 42: an
            # auditor's copy on a read-only share; red before: 66)
            r = svc("explain", "--db", db, "Q1")
            eq(r.code, 0, r)
            check("dispatch 'Q1'" in r.out, r.out)
            eq(sorted(os.listdir(t.p("d"))), ["svc.db", "svc.db.lock"],
               "nothing made beside it")
        finally:
            subprocess.run(["chattr", "-i", t.p("d")], capture_output=True)
        # with a DB-wal beside it (committed rows may be in it) the folder
        # must still be writable: 66, as before
        with open(db + "-wal", "wb"):
            pass
        subprocess.run(["chattr", "+i", t.p("d")], capture_output=True)
        try:
            r = svc("explain", "--db", db, "Q1")
            eq(r.code, 66, r)
            check("%s: cannot open database: its folder '%s' cannot be written"
                  % (db, t.p("d")) in r.err, r.err)
        finally:
            subprocess.run(["chattr", "-i", t.p("d")], capture_output=True)


@sqlite_only("SQLite's -wal and -shm files beside the database")
def test_a_reader_who_can_write_neither_the_database_nor_its_folder_reads_it():
    """qa58: the immutable read above, for a user who cannot write the
    file either (an analyst in the database's group: the unit's
    UMask=0027 makes the folder 0750 and the file 0640; a copy on a
    read-only share). SQLite then says SQLITE_READONLY_DIRECTORY, not
    SQLITE_CANTOPEN, and explain ended 66 "reading schema version: attempt
    to write a readonly database" (copy --from too)."""
    if os.geteuid() != 0:
        skip("a second user needs root (setuid)")
    nobody = 65534
    with Tmp() as t:
        f = t.csv("dispatches_a.csv", DSP_HDR, dispatch_rows(2))
        db = t.p("d", "svc.db")
        os.makedirs(t.p("d"))
        os.makedirs(t.p("c"))
        eq(svc("import", "--db", db, "--kind", "dispatches", f).code, 0)
        eq(sorted(os.listdir(t.p("d"))), ["svc.db", "svc.db.lock"])
        os.chmod(t.path, 0o755)
        os.chmod(t.p("d"), 0o755)
        os.chmod(db, 0o644)
        os.chown(t.p("c"), nobody, nobody)
        parent = t.path
        while parent != "/":                 # the user reaches the folder
            parent = os.path.dirname(parent)
            if os.stat(parent).st_mode & 0o001 == 0:
                skip("%s cannot be crossed by another user" % parent)

        def as_nobody(*args):
            return subprocess.run(cmd(*args, user=nobody), capture_output=True, text=True,
                                  preexec_fn=as_user(nobody), timeout=300,
                                  env=dict(os.environ, TZ="UTC"))
        p = as_nobody("explain", "--db", db, "--as-of", "2026-03-12", "Q1")
        eq(p.returncode, 0, p.stderr)
        check("dispatch 'Q1' as of 2026-03-12" in p.stdout, p.stdout)
        p = as_nobody("copy", "--from", db, "--to", t.p("c", "copy.db"), "--quiet")
        eq(p.returncode, 0, p.stderr)
        eq(query(t.p("c", "copy.db"), "SELECT count(*) FROM dispatch"), [(2,)])
        eq(sorted(os.listdir(t.p("d"))), ["svc.db", "svc.db.lock"],
           "nothing made beside it")


@sqlite_only("the lock file beside a SQLite database")
def test_a_database_folder_that_does_not_exist_says_to_create_it():
    with Tmp() as t:
        t.write("in/dispatches_a.csv", DSP_HDR + "\n" + "\n".join(dispatch_rows(2)) + "\n")
        r = svc("run", "--db", "state/svc.db", "--inbox", "in", "--out", "out",
                "--as-of", "2026-03-12", cwd=t.path)
        eq(r.code, 73, r)
        check("svcrecon: state/svc.db: the database's folder 'state' does not exist; "
              "create it (mkdir -p 'state')" in r.err, r.err)
        check(not os.path.exists(t.p("out")), "nothing was done")


@sqlite_only("the database as a file that a summary could replace")
def test_a_summary_naming_the_database_is_refused_and_the_database_kept():
    with Tmp() as t:
        t.write("in/dispatches_a.csv", DSP_HDR + "\n" + "\n".join(dispatch_rows(2)) + "\n")
        os.makedirs(t.p("db"))
        os.symlink("db", t.p("link"))
        base = ["run", "--db", "db/svc.db", "--inbox", "in", "--out", "out",
                "--as-of", "2026-03-12"]
        for summary in ["db/svc.db", "./db/../db/svc.db", "link/svc.db", "db/svc.db.lock"]:
            first = not os.path.exists(t.p("db", "svc.db"))
            r = svc(*(base + ["--summary=" + summary]), cwd=t.path)
            eq(r.code, 64, (summary, r))
            check("svcrecon: --summary '%s' names the database" % summary in r.err,
                  (summary, r.err))
            eq(os.path.exists(t.p("db", "svc.db")), not first, "nothing was done")
            if first:       # the first case refused before the database existed
                eq(svc(*base, cwd=t.path).code, 0)
        eq(query(t.p("db", "svc.db"), "SELECT count(*) FROM dispatch"), [(2,)])


def test_header_blanks_include_a_no_break_space_and_a_missing_column_shows_the_unrecognized():
    with Tmp() as t:
        nbsp = "\u00a0"
        ok = t.write("dispatches_nbsp.csv", "%sdispatch_id%s,dispatched_at,model,serial_number\n"
                     "N1,2026-03-01,m,s\n" % (nbsp, nbsp + " "))
        bad = t.write("dispatches_bad.csv", "dispatch id,dispatched_at,Model,serial number\n"
                      "N2,2026-03-01,m,s\n")
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", ok, bad)
        eq(r.code, 65, r)
        check("dispatches_nbsp.csv: dispatches: 1 read, 1 loaded, 0 rejected" in r.err, r.err)
        check("dispatches_bad.csv: header lacks required columns 'dispatch_id', "
              "'serial_number' (columns not recognized: 'dispatch id', 'serial number'); "
              "file refused" in r.err, r.err)
        eq(query(t.p("svc.db"), "SELECT dispatch_id FROM dispatch"), [("N1",)])


def test_one_dealer_statement_is_one_statement():
    with Tmp() as t:
        t.write("in/dispatches_a.csv", DSP_HDR + "\n" + "\n".join(dispatch_rows(1)) + "\n")
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", "2026-03-12", "--statements", cwd=t.path)
        eq(r.code, 0, r)
        check("svcrecon: wrote 1 dealer statement in out/statements_2026-03-12\n" in r.err,
              r.err)


if VALGRIND:
    # 20,000 rows under valgrind take minutes; t5100 covers the full disk.
    del test_a_workbook_failed_on_a_full_disk_frees_its_space_for_the_summary

main(globals())
