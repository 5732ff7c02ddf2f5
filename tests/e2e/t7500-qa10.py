#!/usr/bin/python3
"""t7500 -- a scheduler running `svcrecon run` every night from cron or
systemd, and the operator paged for it (QA pass 10), each case a defect
seen red before its fix:

- `run --out DIR` with DIR the inbox itself (the same path, "./in/", a
  symbolic link to it) or a folder in it, or `--db` a file in the inbox:
  every night warned about svcrecon's own workbooks, statements folder,
  database and lock file as inbox files that "match no kind", so a good
  night was never silent. Now a usage error (64) before anything is
  opened, saying which option and what to do (README "An output folder
  or the database in the inbox");
- the audit's Run sheet wrote a file's size in a column 13 wide: a file
  of 1 GB (1,073,741,824 bytes) showed ####, and so would the rows of a
  big file and the database's totals in theirs. Now each column holding
  counts is as wide as its widest count needs. On PostgreSQL a night
  with a file of 2 GiB or more failed its report (70, "integer out of
  range"): the night's file table held the size in a 32-bit INTEGER;
- a run stopped by a signal (SIGTERM from `systemctl stop` or a timeout,
  SIGINT, SIGKILL) left the --summary FILE of the night before: monitoring
  read yesterday's success (exit_code 0) for a night that never finished.
  Now the summary says "running" (exit_code null) from the start of the
  run until the run replaces it with its outcome; the next run completes
  the work with no duplicate;
- started with stderr (or stdin, stdout) closed -- `2>&-` in a crontab, a
  daemonizing wrapper --, on PostgreSQL the server's socket took fd 2 and
  the first message went into the protocol stream: "invalid frontend
  message type 115", the connection dropped, exit 70 every night. Now the
  closed ones are opened on /dev/null first;
- a feed exported on Windows as "Dispatches_2026-03-12.CSV" was a stray
  file, warned about and left alone: the night ended 0 without its
  dispatches. The kind prefix and ".csv" now match in any letter case."""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, ON_PG, REG_HDR, Tmp, check, cmd, db_exists, eq,  # noqa: E402
                     main, query, settle, small_disk, sqlite_only, svc,
                     validate_summary)

AS_OF = "2026-03-12"


def night(t, inbox="in"):
    """A small good night in t/inbox: every kind, nothing rejected."""
    t.csv(inbox + "/registrations_1.csv", REG_HDR,
          ["CA1042,Dealer One,iPF8400S,AFK03126,2026-01-01,N,"])
    t.csv(inbox + "/dispatches_1.csv", DSP_HDR,
          ["Q1,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN",
           "Q2,2026-03-02 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN"])
    t.csv(inbox + "/closeouts_1.csv", CLO_HDR,
          ["CA1042,2026-03-02 10:00,Q1,AFK03126,iPF8400S,2026-03-02,T,1.5,R,"])


def listing(folder):
    return sorted(os.listdir(folder))


def write_sql(db, sql, params=()):
    """Runs a write statement on database db (committed)."""
    if ON_PG:
        query(db, sql, params)
        return
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute(sql, params)
    finally:
        con.close()


# ---- 1. the output folder or the database in the inbox -------------------

def test_out_in_the_inbox_is_a_usage_error_whatever_path_names_it():
    with Tmp() as t:
        night(t)
        os.symlink("in", t.p("link"))
        before = listing(t.p("in"))
        cases = [("in", "in"), ("./in/", "in"), ("in", "link"), ("link/", "./in"),
                 ("in", "in/reports"), ("in", "link/reports/daily"), ("in", "in/../in/")]
        for inbox, out in cases:
            r = svc("run", "--db", "svc.db", "--inbox", inbox, "--out", out,
                    "--as-of", AS_OF, "--quiet", "--summary", "s.json", cwd=t.path)
            eq(r.code, 64, "--inbox %s --out %s: %r" % (inbox, out, r))
            first = r.err.splitlines()[0]
            check("--out '%s'" % out in first and "inbox '%s'" % inbox in first and
                  "give --out a folder outside the inbox" in first, first)
            eq(listing(t.p("in")), before, "--out %s: the inbox untouched" % out)
            check(not db_exists(t.p("svc.db")), "--out %s: no database created" % out)
            with open(t.p("s.json")) as f:
                s = json.load(f)
            eq((s["exit_code"], s["status"]), (64, "usage"), s)
        # beside the inbox: a good night, silent, and again
        for _ in range(2):
            r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                    "--as-of", AS_OF, "--quiet", "--statements", cwd=t.path)
            eq((r.code, r.err), (0, ""), r)


@sqlite_only("the database file in the inbox: a PostgreSQL --db has no file")
def test_the_database_in_the_inbox_is_a_usage_error():
    with Tmp() as t:
        night(t)
        os.symlink("in", t.p("link"))
        os.symlink("in/svc.db", t.p("dangling.db"))
        before = listing(t.p("in"))
        for db in ["in/svc.db", "link/svc.db", "./in/sub/svc.db", "dangling.db"]:
            r = svc("run", "--db", db, "--inbox", "in", "--out", "out",
                    "--as-of", AS_OF, "--quiet", cwd=t.path)
            eq(r.code, 64, "--db %s: %r" % (db, r))
            first = r.err.splitlines()[0]
            check("--db '%s' is in the inbox 'in'" % db in first and
                  "keep the database outside the inbox" in first, first)
            eq(listing(t.p("in")), before, "--db %s: the inbox untouched" % db)
            check(not os.path.exists(t.p("out")), "--db %s: no report" % db)



@sqlite_only("a database file's path")
def test_the_database_or_inbox_in_the_statements_folder_is_a_usage_error():
    """--db (or run's --inbox) inside OUT/statements_A: the report replaced
    that folder whole (--statements) or removed it as stale (without), and
    the database and its history went with it, exit 0; the next night made
    a new, empty one (qa87)."""
    with Tmp() as t:
        night(t)
        folder = "out/statements_%s" % AS_OF
        os.makedirs(t.p(folder))
        os.symlink(folder, t.p("link"))
        for db, extra in [(folder + "/svc.db", ["--statements"]), (folder + "/svc.db", []),
                          ("link/svc.db", []), ("./out//statements_%s/x/../svc.db" % AS_OF, [])]:
            r = svc("run", "--db", db, "--inbox", "in", "--out", "out", "--as-of", AS_OF,
                    "--quiet", *extra, cwd=t.path)
            eq(r.code, 64, "--db %s: %r" % (db, r))
            first = r.err.splitlines()[0]
            check("--db '%s' is in the statements folder '%s'" % (db, folder) in first
                  and "keep the database outside it" in first, first)
            eq(os.listdir(t.p(folder)), [], "--db %s: nothing made" % db)
        r = svc("report", "--db", folder + "/svc.db", "--out", "out", "--as-of", AS_OF,
                "--quiet", cwd=t.path)
        eq(r.code, 64, r)
        os.makedirs(t.p(folder, "in"))
        r = svc("run", "--db", "svc.db", "--inbox", folder + "/in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq(r.code, 64, r)
        check("--inbox '%s/in' is in the statements folder" % folder in r.err, r.err)
        # another date's statements folder is no clash
        r = svc("run", "--db", "out/statements_2026-03-11/svc.db", "--inbox", "in", "--out",
                "out", "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq(r.code, 73, r)   # its folder does not exist (it is not made for a database)
        os.makedirs(t.p("out", "statements_2026-03-11"))
        r = svc("run", "--db", "out/statements_2026-03-11/svc.db", "--inbox", "in", "--out",
                "out", "--as-of", AS_OF, "--quiet", "--statements", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        check(os.path.exists(t.p("out", "statements_2026-03-11", "svc.db")), "the database stays")


@sqlite_only("a database file's path")
def test_a_statements_folder_that_is_a_link_to_a_share_holding_the_database():
    """OUT/statements_A a symbolic link to a share (README: such a link is
    replaced or removed itself, never entered): the database, the inbox and
    the summary on that share were a usage error, "the database would go
    with it", exit 64 every night, where the night keeps all three (qa88).
    Named through the link's own name they still are."""
    with Tmp() as t:
        night(t, "share/in")
        os.makedirs(t.p("out"))
        link = t.p("out", "statements_%s" % AS_OF)
        for extra in [[], ["--statements"]]:
            if not os.path.islink(link):
                os.symlink("../share", link)
            r = svc("run", "--db", "share/svc.db", "--inbox", "share/in", "--out", "out",
                    "--as-of", AS_OF, "--quiet", "--summary", "share/s.json", *extra,
                    cwd=t.path)
            eq((r.code, r.err), (0, ""), "%s: %r" % (extra, r))
            check(os.path.exists(t.p("share", "svc.db")), "the database stays")
            eq(validate_summary(t.p("share", "s.json"))["exit_code"], 0)
            eq(os.path.isdir(link) and not os.path.islink(link), bool(extra), extra)
        shutil.rmtree(link)             # the statements written in place of the link
        os.symlink("../share", link)
        for args in [["--db", "out/statements_%s/svc.db" % AS_OF, "--inbox", "share/in"],
                     ["--db", "share/svc.db", "--inbox", "./out//statements_%s/in" % AS_OF],
                     ["--db", "share/svc.db", "--inbox", "share/in", "--summary",
                      "out/statements_%s/s.json" % AS_OF]]:
            r = svc("run", *args, "--out", "out", "--as-of", AS_OF, "--quiet", cwd=t.path)
            eq(r.code, 64, "%s: %r" % (args, r))


@sqlite_only("a database file's path")
def test_the_database_named_as_a_workbook_of_the_report_is_a_usage_error():
    """--db OUT/audit_A.xlsx: the audit workbook, renamed into place,
    replaced the database and its history, exit 0; the next night ended
    65, "file is not a database" (qa87)."""
    with Tmp() as t:
        night(t)
        os.makedirs(t.p("out"))
        for db in ["out/audit_%s.xlsx" % AS_OF, "./out//unclosed_calls_%s.xlsx" % AS_OF,
                   "out/x/../non_compensable_%s.xlsx" % AS_OF]:
            r = svc("run", "--db", db, "--inbox", "in", "--out", "out", "--as-of", AS_OF,
                    "--quiet", cwd=t.path)
            eq(r.code, 64, "--db %s: %r" % (db, r))
            first = r.err.splitlines()[0]
            check("--db '%s' is the workbook 'out/" % db in first and
                  "give the database another name" in first, first)
            eq(os.listdir(t.p("out")), [], "--db %s: nothing made" % db)
        # another date's name is no clash
        r = svc("run", "--db", "out/audit_2026-03-11.xlsx", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)

# ---- 2. the Run sheet's counts fit their columns --------------------------

def formatted(v):
    return format(int(v), ",")


def test_run_sheet_counts_fit_their_columns_a_file_of_1_gb_and_more():
    import openpyxl
    from openpyxl.utils import get_column_letter
    with Tmp() as t:
        night(t)
        args = ("--db", t.p("svc.db"), "--out", t.p("out"), "--as-of", AS_OF, "--quiet")
        r = svc("run", "--inbox", t.p("in"), *args)
        eq((r.code, r.err), (0, ""), r)
        # A real night of big files, faked in the database (a 1 GB file takes
        # a minute to hash and read): 1 GB, and 1 TB with a billion rows.
        write_sql(t.p("svc.db"), "UPDATE delivery SET size_bytes = 1073741824 "
                  "WHERE name = 'registrations_1.csv'")
        write_sql(t.p("svc.db"), "UPDATE delivery SET size_bytes = 1099511627776 "
                  "WHERE name = 'dispatches_1.csv'")
        write_sql(t.p("svc.db"), "UPDATE imported_file SET rows_read = 1234567890, "
                  "rows_loaded = 1234567000, rows_rejected = 890 "
                  "WHERE name = 'dispatches_1.csv'")
        # into another folder: the workbooks in out are up to date (report.c)
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("out2"), "--as-of", AS_OF,
                "--quiet")
        eq((r.code, r.err), (0, ""), r)
        ws = openpyxl.load_workbook(t.p("out2", "audit_%s.xlsx" % AS_OF))["Run"]
        seen = set()
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, (int, float)) and not isinstance(c.value, bool) \
                        and c.number_format == "#,##0":
                    text = formatted(c.value)
                    width = ws.column_dimensions[get_column_letter(c.column)].width
                    # as the listings measure a count: its characters and
                    # two for the cell's margins (reports/sheet.c)
                    check(width >= len(text) + 2, "Run %s: %s in a column %.1f wide "
                          "shows ####" % (c.coordinate, text, width))
                    seen.add(c.value)
        for v in (1073741824, 1099511627776, 1234567890, 1234567000):
            check(v in seen, "%s not on the Run sheet: %s" % (v, sorted(seen)))


# ---- 3. a run stopped by a signal: the summary is not yesterday's ---------

def default_signals():
    """In the child before exec: SIGINT and SIGTERM back to their default
    action (see below)."""
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_DFL)


def first_night_with_summary(t):
    """night(t)'s files run as of 2026-03-11 in t (cwd), with s.json:
    exit 0 and a valid summary saying so."""
    night(t)
    r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
            "2026-03-11", "--quiet", "--summary", "s.json", cwd=t.path)
    eq((r.code, validate_summary(t.p("s.json"))["exit_code"]), (0, 0), r)


def paused_run(t, point):
    """A run as of AS_OF in t (cwd) with s.json, held 10 s at the test
    pause point (lib/testhook.h); the Popen, stderr piped. The signal's
    default action in the child, whatever this test inherited: a shell
    without job control starts a background job (CI's, a nohup) with
    SIGINT ignored, and an ignored signal stays ignored across fork and
    exec -- svcrecon would then finish its night and exit 0."""
    env = dict(os.environ, TZ="UTC", SVCRECON_TEST_PAUSE=point)
    return subprocess.Popen(cmd("run", "--db", "svc.db", "--inbox", "in", "--out",
                                "out", "--as-of", AS_OF, "--quiet", "--summary",
                                "s.json", cwd=t.path), cwd=t.path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            preexec_fn=default_signals)


def test_a_run_stopped_by_a_signal_leaves_no_summary_of_success():
    with Tmp() as t:
        first_night_with_summary(t)
        t.csv("in/dispatches_2.csv", DSP_HDR,
              ["Q3,2026-03-12 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN"])
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGKILL):
            # held 10 s before the workbooks (reports/report.c test_pause)
            p = paused_run(t, "report")
            end = time.time() + 60
            while query(t.p("svc.db"), "SELECT count(*) FROM delivery WHERE "
                        "name = 'dispatches_2.csv'") == [(0,)] and p.poll() is None:
                check(time.time() < end, "the night never started")
                time.sleep(0.05)
            time.sleep(0.3)
            p.send_signal(sig)
            p.communicate(timeout=60)
            eq(p.returncode, -sig, "%s ended the run" % sig.name)
            settle()
            s = validate_summary(t.p("s.json"))
            eq((s["status"], s["exit_code"], s["as_of"]), ("running", None, AS_OF),
               "%s: the summary of a run that never finished" % sig.name)
            check("run it again" in s["error"], s["error"])
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--quiet", "--summary", "s.json", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        s = validate_summary(t.p("s.json"))
        eq((s["status"], s["exit_code"]), ("ok", 0), s)
        eq(query(t.p("svc.db"), "SELECT count(*) FROM imported_file WHERE "
                 "name = 'dispatches_2.csv'"), [(1,)])
        eq(query(t.p("svc.db"), "SELECT count(*) FROM dispatch WHERE dispatch_id = 'Q3'"),
           [(1,)])
        # the night the killed runs loaded, each file once (the others,
        # found again in the inbox, skipped)
        eq(sorted((f["name"], f["status"]) for f in s["reports"]["audit"]["files"]),
           [("closeouts_1.csv", "skipped"), ("dispatches_1.csv", "skipped"),
            ("dispatches_2.csv", "loaded"), ("registrations_1.csv", "skipped")],
           s["reports"]["audit"]["files"])
        check(not [n for n in os.listdir(t.p("out")) if n.startswith(".")],
              os.listdir(t.p("out")))


def test_a_run_stopped_before_its_running_summary_is_in_place_leaves_no_success():
    """A run stopped while its "running" summary was still its temporary
    file (SIGTERM during that file's fsync, on a busy disk) left the night
    before's success in place: monitoring read exit_code 0 for a night
    that never ran. Now the earlier summary is removed first (qa87)."""
    with Tmp() as t:
        first_night_with_summary(t)
        p = paused_run(t, "summary running")
        end = time.time() + 60
        while not os.path.exists(t.p("s.json.tmp")) and p.poll() is None:
            check(time.time() < end, "the run never began its summary")
            time.sleep(0.05)
        time.sleep(0.3)
        p.send_signal(signal.SIGTERM)
        p.communicate(timeout=60)
        eq(p.returncode, -signal.SIGTERM, "SIGTERM ended the run")
        check(not os.path.exists(t.p("s.json")),
              "the night before's summary stayed for a run stopped at its start: %s"
              % (open(t.p("s.json")).read()[:200] if os.path.exists(t.p("s.json")) else ""))
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--quiet", "--summary", "s.json", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        eq(validate_summary(t.p("s.json"))["status"], "ok")
        check(not os.path.exists(t.p("s.json.tmp")), os.listdir(t.path))


# ---- 4. what the operator is told on the nights that fail -----------------

def one_line(err, what):
    """The problem's line: one, naming what, and saying what to do."""
    lines = [l for l in err.splitlines() if what in l]
    eq(len(lines), 1, err)
    return lines[0]


def test_an_output_folder_that_cannot_be_made_says_what_to_do_and_the_rerun_completes():
    with Tmp() as t:
        night(t)
        t.write("out", "a file where the output folder should be\n")
        for out in ("out", "out/daily"):
            r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", out, "--as-of",
                    AS_OF, "--quiet", "--summary", "s.json", cwd=t.path)
            eq(r.code, 73, r)
            line = one_line(r.err, "svcrecon: %s: cannot create output folder" % out)
            check("give --out a folder" in line and "run again" in line, line)
            s = validate_summary(t.p("s.json"))
            eq((s["exit_code"], s["status"]), (73, "cannot_create"), s)
        os.unlink(t.p("out"))
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--quiet", "--summary", "s.json", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        s = validate_summary(t.p("s.json"))
        eq(sorted((f["path"], f["status"]) for f in s["files"]),
           [("in/closeouts_1.csv", "skipped"), ("in/dispatches_1.csv", "skipped"),
            ("in/registrations_1.csv", "skipped")], s["files"])
        eq(sorted(os.listdir(t.p("out"))), ["audit_%s.xlsx" % AS_OF,
                                            "non_compensable_%s.xlsx" % AS_OF,
                                            "unclosed_calls_%s.xlsx" % AS_OF])
        # the night the failed runs loaded, each file once
        eq(sorted((f["name"], f["status"]) for f in s["reports"]["audit"]["files"]),
           [("closeouts_1.csv", "loaded"), ("dispatches_1.csv", "loaded"),
            ("registrations_1.csv", "loaded")], s["reports"]["audit"]["files"])


def full_then_freed(t, run, disk):
    """The night and 6,000 dispatches more (about 1 MB) in the inbox, run
    by run() with the small disk `disk` to fill: 73 and its line naming
    the full disk, returned with the run once the disk has grown to 64 MB
    (for the rerun)."""
    rows = ["D%05d,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,%s,02108,P,OPEN"
            % (i, "customer %d " % i * 8) for i in range(6000)]
    night(t)
    t.csv("in/dispatches_2.csv", DSP_HDR, rows)
    r = run()
    eq(r.code, 73, r)
    line = one_line(r.err, "database or disk is full")
    subprocess.run(["mount", "-o", "remount,size=64m", disk], check=True)
    return r, line


@sqlite_only("the database's own disk: a PostgreSQL server's is not ours to fill")
def test_a_full_disk_under_the_database_says_what_to_do_and_the_rerun_completes():
    with Tmp() as t, small_disk(t.p("mnt"), "1m") as mnt:
        db = os.path.join(mnt, "svc.db")

        def run():
            return svc("run", "--db", db, "--inbox", "in", "--out", "out",
                       "--as-of", AS_OF, "--quiet", "--summary", "s.json",
                       cwd=t.path)
        r, line = full_then_freed(t, run, mnt)
        check("free space" in line and "run again" in line, line)
        # the file it was loading is named first, the database after it:
        # the line named the database alone ("svc.db: committing the file:
        # ..."), and under --quiet nothing said which file (qa72)
        check(re.match(r"svcrecon: in/\w+\.csv: loading it into %s: "
                       % re.escape(db), line), line)
        s = validate_summary(t.p("s.json"))
        eq((s["exit_code"], s["status"]), (73, "cannot_create"), s)
        r = run()
        eq((r.code, r.err), (0, ""), r)
        eq(query(db, "SELECT count(*), count(DISTINCT dispatch_id) FROM dispatch"),
           [(6002, 6002)])
        eq(query(db, "SELECT name, count(*) FROM imported_file GROUP BY name "
                 "ORDER BY name"),
           [("closeouts_1.csv", 1), ("dispatches_1.csv", 1), ("dispatches_2.csv", 1),
            ("registrations_1.csv", 1)])



@sqlite_only("SQLite's temporary folder; a PostgreSQL server keeps its own")
def test_a_full_temporary_folder_is_named_not_only_the_database_disk():
    # SQLite keeps the run's temporary tables (past their page cache),
    # sorts and statement journals in its temporary folder (SQLITE_TMPDIR,
    # else TMPDIR, else /var/tmp or /tmp), often another file system than
    # the database's: a small /tmp tmpfs filled, and the line said "free
    # space on the database's disk", a disk with room (qa72). It names the
    # temporary folder too; freed, the rerun completes the night.
    with Tmp() as t, small_disk(t.p("tmp"), "64k") as tmp:
        env = {"SQLITE_TMPDIR": tmp, "TMPDIR": tmp}

        def run():
            return svc("run", "--db", "svc.db", "--inbox", "in", "--out",
                       "out", "--as-of", AS_OF, "--quiet", cwd=t.path, env=env)
        r, line = full_then_freed(t, run, tmp)
        check("temporary folder " + tmp in line and "run again" in line, line)
        r = run()
        eq((r.code, r.err), (0, ""), r)
        eq(query(t.p("svc.db"), "SELECT count(*) FROM dispatch"), [(6002,)])


def test_a_file_still_being_written_is_refused_saying_what_to_do_and_loads_next_run():
    import threading
    with Tmp() as t:
        night(t)
        row = "G%05d,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN"
        path = t.csv("in/dispatches_2.csv", DSP_HDR, [row % i for i in range(2000)])
        done = threading.Event()

        def writer():
            """A slow upload: a line every few milliseconds, as long as the
            run lasts (under valgrind too)."""
            with open(path, "a") as f:
                for i in range(2000, 100000):
                    if done.is_set():
                        break
                    f.write(row % i + "\n")
                    f.flush()
                    time.sleep(0.003)
        w = threading.Thread(target=writer)
        w.start()
        try:
            r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                    AS_OF, "--quiet", "--summary", "s.json", cwd=t.path)
        finally:
            done.set()
            w.join()
        eq(r.code, 65, r)
        line = one_line(r.err, "in/dispatches_2.csv: file changed while being read")
        check("rename" in line and "next run" in line, line)
        s = validate_summary(t.p("s.json"))
        eq((s["exit_code"], s["status"]), (65, "refused"), s)
        with open(path) as f:              # the upload has ended
            n = len(f.read().splitlines()) - 1
        check(n > 2000, "the file did not grow: %d rows" % n)
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        eq(query(t.p("svc.db"), "SELECT count(*), count(DISTINCT dispatch_id) FROM "
                 "dispatch WHERE dispatch_id LIKE 'G%'"), [(n, n)])


# ---- 5. started with stdin, stdout or stderr closed ------------------------

def test_a_run_started_with_its_standard_streams_closed_completes():
    import zipfile
    with Tmp() as t:
        night(t)
        t.write("in/notes.txt", "a stray file: a warning on stderr\n")
        for closed in ("2>&-", "<&- >&- 2>&-"):
            out = "out" + str(len(closed))
            # not --quiet: a line per file and per workbook on stderr
            line = " ".join("'%s'" % a for a in cmd(
                "run", "--db", "svc%d.db" % len(closed), "--inbox", "in", "--out", out,
                "--as-of", AS_OF, "--statements", "--summary", "s.json", cwd=t.path))
            p = subprocess.run(["sh", "-c", "exec %s %s" % (line, closed)], cwd=t.path,
                               env=dict(os.environ, TZ="UTC"), timeout=300)
            s = validate_summary(t.p("s.json"))
            eq((p.returncode, s["exit_code"], s["error"]), (0, 0, None), closed)
            books = [os.path.join(t.p(out), n) for n in os.listdir(t.p(out))
                     if n.endswith(".xlsx")]
            eq(len(books), 3, os.listdir(t.p(out)))
            for b in books:
                with zipfile.ZipFile(b) as z:
                    eq(z.testzip(), None, b)
                    check(not any(b"svcrecon:" in z.read(n) for n in z.namelist()),
                          "%s: a message inside the workbook" % b)


# ---- 6. a feed named in capitals ----------------------------------------

def test_a_feed_named_in_capitals_is_imported_not_left_as_a_stray():
    with Tmp() as t:
        night(t)
        t.csv("in/Dispatches_2.CSV", DSP_HDR,
              ["Q7,2026-03-10 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN"])
        t.csv("in/CLOSEOUTS_2.Csv", CLO_HDR,
              ["CA1042,2026-03-11 10:00,Q7,AFK03126,iPF8400S,2026-03-11,T,1.0,R,"])
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--quiet", "--summary", "s.json", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        s = validate_summary(t.p("s.json"))
        eq([(f["path"], f["kind"], f["status"]) for f in s["files"]],
           [("in/registrations_1.csv", "registrations", "loaded"),
            ("in/Dispatches_2.CSV", "dispatches", "loaded"),
            ("in/dispatches_1.csv", "dispatches", "loaded"),
            ("in/CLOSEOUTS_2.Csv", "closeouts", "loaded"),
            ("in/closeouts_1.csv", "closeouts", "loaded")], s["files"])
        eq(s["warnings"], [])
        eq(query(t.p("svc.db"), "SELECT count(*) FROM closeout WHERE dispatch_id = 'Q7'"),
           [(1,)])


main(globals())
