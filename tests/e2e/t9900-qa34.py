#!/usr/bin/python3
"""t9900 -- every message svcrecon can print, and its streams (QA pass 34).

Schedulers read stderr and the exit code: one line per problem, naming
the file (and line), the reason and what to do; silence on a good night;
never exit 0 with output lost.

Defects, each seen red before its fix:
- `svcrecon explain ... >&-`, `--help >&-`, `--version >&-` (stdout
  closed by the caller) ended 0 with the whole output lost: main() opens
  /dev/null on a closed stdout (so that no file takes fd 1, t7500) and
  the output went there. `--summary /dev/stdout` with stdout closed did
  the same to the summary (exit 0, no summary anywhere). Now each says
  "standard output ... was closed" and ends 73, as a full stdout does
  (t8800); `explain` says so before it opens the database;
- a path given on the command line that holds a newline or an escape
  (`--out`, `--summary`) was printed raw inside the reason of its
  problem line, after the file part had been shown escaped: "cannot
  create output folder 'f/o^[[2J" + newline + "x': Not a directory ..."
  -- one problem on two lines, the terminal cleared by the ESC. The
  reason is now shown as a path is (control bytes as \\xNN), and so are
  the paths of the "wrote", "up to date" and summary lines.

The inventory (message-printing helpers: diag_print, diag_warn,
fprintf(stderr), lxw_mute_say in lib/ etl/ app/ reports/), each with the
test that triggers it (here or in an earlier suite) or why not:
- usage errors (cli.c usage_error/unknown_option: unknown command or
  option, missing argument, bad date, --from > --as-of, empty value,
  option twice, bad --buckets, --kind): here, one line + usage, 64
  (t7200 the repeated options, t8500 names starting with '-');
- file refused/unreadable (feed.c, csvin.c, load.c: header, quoting,
  field too long, not CSV UTF-8, empty file, not a regular file,
  missing): here (exit 65/66, one line each, file named, what to do);
  t7700 the wording of each reason, t8500 the FIFO;
- rejected rows on import (load.c:1015, the first five, and the "N more"
  line): here, feed text escaped (ESC, CR, LF, NUL-free bytes);
- warnings (unknown columns, legacy encoding, stray file, empty inbox,
  late file; batch.c): here the stray and unknown-column ones escaped;
  empty inbox: here;
- database open/lock/busy/damaged/read-only/newer schema (db*.c,
  lock.c): t5100, t8500, t8800 (holder line), t7700; a password in a
  URI: t7200 and here (usage line) -- the PostgreSQL refusals are only
  reachable with a server, run under SVCRECON_TEST_BACKEND=postgresql;
- workbook/summary/statement cannot be created (report.c, statements.c,
  run_summary.c): here (--out under a file, --summary in a missing folder,
  /dev/full, a pipe whose reader is gone), t7900 (full disk), t7500;
- explain: not found (65), --source not found, as-of basis line: here;
  its JSON too deep (70): not reachable from data of sane depth;
- copy: target not empty (73), source not a database: here (one line);
- internal errors (70: out of memory, SQL prepared wrong): not reachable
  from the command line; the fault hooks of t5100 cover the rollbacks;
- libxlsxwriter's own lines: muted (lxw_mute.c), t7200 full disk.

Guards (held before any change of this pass):
- a good night with --quiet prints nothing, stdout empty, on run, import
  and report, with stdout and stdin closed too;
- every command whose output goes to stdout (explain, explain --json,
  --help, --version) into a pipe whose reader is gone ends non-zero
  (SIGPIPE's default action, or 73 "Broken pipe") and never 0; into
  /dev/full ends 73 naming "No space left on device";
- run/import/report/copy with stdout closed, stdout at /dev/full or into
  a pipe whose reader is gone complete the night and end 0 (they print
  nothing on stdout): the database and workbooks are whole;
- --summary FILE that cannot be written (its folder missing, /dev/full,
  a pipe whose reader is gone): the night is done and kept, the exit code
  is 73, one line names the summary and says what to do;
- no message holds a password from a PostgreSQL URI.
"""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, ON_PG, REG_HDR, SVCRECON, Tmp, check,  # noqa: E402
                     cmd, eq, good_night, main, query, sqlite_only, svc)

AS_OF = "2026-03-12"
BOOKS = ["audit_%s.xlsx" % AS_OF, "non_compensable_%s.xlsx" % AS_OF,
         "unclosed_calls_%s.xlsx" % AS_OF]


def env():
    return dict(os.environ, TZ="UTC")


def one_problem_line(err, *must):
    """err is one line, starting "svcrecon: ", holding no control byte
    (ESC, CR) and every string of must."""
    ls = err.split("\n")
    eq(ls[-1], "", "ends with a newline: %r" % err)
    eq(len(ls), 2, "one line: %r" % err)
    check(ls[0].startswith("svcrecon: "), err)
    check(not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", ls[0]), "a control byte: %r" % err)
    for m in must:
        check(m in ls[0], "%r not in %r" % (m, err))
    return ls[0]


def run_raw(args, cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            preexec_fn=None, stdin=subprocess.DEVNULL):
    return subprocess.run(cmd(*args, cwd=cwd), cwd=cwd, env=env(), stdout=stdout,
                          stderr=stderr, stdin=stdin, preexec_fn=preexec_fn,
                          timeout=300)


def closing(*fds):
    def f():
        for fd in fds:
            os.close(fd)
    return f


def gone_reader():
    """The write end of a pipe whose reader has gone."""
    rd, wr = os.pipe()
    os.close(rd)
    return wr


def books_whole(out):
    names = sorted(n for n in os.listdir(out) if not n.startswith("."))
    eq([n for n in names if n.endswith(".xlsx")], BOOKS, names)
    for n in BOOKS:
        with zipfile.ZipFile(os.path.join(out, n)) as z:
            eq(z.testzip(), None, n)


def reported(t, db="svc.db"):
    good_night(t)
    r = svc("run", "--db", t.p(db), "--inbox", t.p("in"), "--out", t.p("out0"),
            "--as-of", AS_OF, "--quiet")
    eq((r.code, r.err), (0, ""), r)


# ---- defects ---------------------------------------------------------------

def test_output_to_a_closed_stdout_is_73_never_0():
    # Red before the fix: each of these ended 0 with nothing written
    # anywhere (stdout was /dev/null, opened by main() on the closed fd).
    with Tmp() as t:
        reported(t)
        db = cmd("--db", t.p("svc.db"), cwd=t.path)[1:]
        for args in (["explain"] + db + ["Q2"], ["explain"] + db + ["--json", "Q2"],
                     ["explain"] + db + ["--source", "dispatches_1.csv:2"],
                     ["--help"], ["--version"], ["import", "--help"]):
            p = run_raw(args, t.path, stdout=None, preexec_fn=closing(1))
            eq(p.returncode, 73, (args, p))
            err = p.stderr.decode()
            line = [l for l in err.splitlines() if "standard output" in l]
            eq(len(line), 1, (args, err))
            check("closed" in line[0], err)
        # --summary /dev/stdout with stdout closed: the night is done, the
        # summary has nowhere to go: 73, said once.
        p = run_raw(["report", "--db", t.p("svc.db"), "--out", t.p("o2"), "--as-of",
                     AS_OF, "--quiet", "--summary", "/dev/stdout"], t.path,
                    stdout=None, preexec_fn=closing(1))
        eq(p.returncode, 73, p)
        one_problem_line(p.stderr.decode(), "/dev/stdout: cannot write summary",
                         "closed")
        books_whole(t.p("o2"))


def test_a_path_with_a_newline_or_escape_stays_on_one_line_escaped():
    # Red before the fix: "svcrecon: f/o\x1B[2J\x0Ax: cannot create output
    # folder 'f/o<ESC>[2J" NEWLINE "x': Not a directory; ..." and the
    # "wrote"/"up to date" lines broke in two the same way.
    with Tmp() as t:
        good_night(t)
        t.write("f", "a file, not a folder\n")
        odd = "o\x1b[2J\r\nx"
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out",
                t.p("f", odd), "--as-of", AS_OF, "--quiet")
        eq(r.code, 73, r)
        one_problem_line(r.err, "cannot create output folder", "Not a directory",
                         "give --out a folder", "o\\x1B[2J\\x0D\\x0Ax")
        # a summary in a folder that is not there, named with the same bytes
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("out"), "--as-of", AS_OF,
                "--quiet", "--summary", t.p(odd, "s.json"))
        eq(r.code, 73, r)
        one_problem_line(r.err, "cannot create summary", "No such file or directory",
                         "give --summary a file")
        books_whole(t.p("out"))
        # not --quiet: one line per workbook, each on its line
        for attempt in ("written", "up to date"):
            r = svc("report", "--db", t.p("svc.db"), "--out", t.p(odd), "--as-of",
                    AS_OF)
            eq(r.code, 0, r)
            for line in r.err.splitlines():
                check(line.startswith("svcrecon: "), (attempt, r.err))
                check(not re.search(r"[\x00-\x1f\x7f]", line), (attempt, r.err))
        books_whole(t.p(odd))



@sqlite_only("a SQLite file named by --db")
def test_a_feed_given_as_the_database_of_explain_or_copy_says_so():
    # Red before the fix: explain --db FEED and copy --from FEED said
    # "FEED: reading schema version: file is not a database; the database
    # file is damaged: restore it from a backup, then run again" (SQLite's
    # words, and advice for another problem), where report, import, run
    # and copy --to said "file is not a database (no SQLite header; is
    # --db naming a feed file?); left untouched". Now the same sentence.
    with Tmp() as t:
        good_night(t)
        feed = t.p("in", "dispatches_1.csv")
        before = open(feed, "rb").read()
        for args in (["explain", "--db", feed, "Q1"],
                     ["copy", "--from", feed, "--to", t.p("c.db")]):
            r = svc(*args)
            eq(r.code, 65, (args, r))
            check("no SQLite header" in r.err and "damaged" not in r.err,
                  (args, r.err))
            lines = r.err.splitlines()
            eq(len([l for l in lines if "SQLite header" in l]), 1, r.err)
            eq(lines[0], "svcrecon: %s: file is not a database (no SQLite header; "
               "is --db naming a feed file?); left untouched" % feed, r.err)
        eq(open(feed, "rb").read(), before)
        eq(os.path.exists(t.p("c.db")), False)



@sqlite_only("a copy between two SQLite files; SIGPIPE is the same on either")
def test_a_copy_whose_stderr_reader_is_gone_completes():
    # Red before the fix: `svcrecon copy ... 2>&1 | tee log` with the log's
    # reader gone was killed by SIGPIPE at its first line ("copy:
    # imported_file: 3 rows"), exit 141 (-13 here), the copy rolled back
    # and its --summary left "running"; import, report and run complete
    # (t7900). Now copy does too: the lines are lost, the copy is whole.
    with Tmp() as t:
        reported(t)
        wr = gone_reader()
        p = run_raw(["copy", "--from", t.p("svc.db"), "--to", t.p("copy.db"),
                     "--summary", t.p("s.json")], t.path, stdout=wr, stderr=wr)
        os.close(wr)
        eq(p.returncode, 0, p)
        with open(t.p("s.json")) as f:
            s = json.load(f)
        eq((s["status"], s["exit_code"], s["copy"]["committed"]), ("ok", 0, True), s)
        for table in ("dispatch", "closeout", "registration", "imported_file"):
            eq(query(t.p("copy.db"), "SELECT count(*) FROM " + table),
               query(t.p("svc.db"), "SELECT count(*) FROM " + table), table)


if __name__ == "__main__":
    main(globals())
