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
  the paths of the "wrote", "up to date" and summary lines. The same fix
  covers the lock holder's line, read from DB.lock (a file anyone who can
  write the database's folder can write): "held by pid P on ho<ESC>[2J..."
  reached the terminal raw;
- `explain --db FEED.csv` and `copy --from FEED.csv` (a feed named where
  the database goes) said SQLite's "file is not a database" with "the
  database file is damaged: restore it from a backup", advice for
  another problem; import, report, run and copy --to said "file is not a
  database (no SQLite header; is --db naming a feed file?)". Now all do;
- `copy` whose stderr reader is gone (`copy ... 2>&1 | tee log`, tee
  gone) was killed by SIGPIPE at its first table line: exit 141, the
  copy rolled back, its summary "running". Now it ignores SIGPIPE as
  import, report and run do (t7900) and completes;
- `--summary -` wrote a file named "-" in the working folder (cron's
  $HOME) and left stdout empty, exit 0. Now "-" is stdout, as
  /dev/stdout is;
- `explain --db` / `copy --from` a path that does not exist said "cannot
  open database: No such file or directory" and no more; report's line
  says what to do. Now theirs does too ("import or run creates it:
  correct the path");
- a usage error quoted its argument raw ("invalid --as-of date '2026"
  NEWLINE "<ESC>[2J-03-12'", "unknown command", "unknown option",
  "invalid --source", a TZ naming no zone): one problem on two lines,
  the escape to the terminal. Now shown escaped, as a path is;
- the late-file warning (said with --quiet too) quoted the earlier
  file's name, read back from the database, raw: "its name sorts before
  'dispatches_b<ESC>[2J" NEWLINE "x.csv', imported earlier ...". A
  warning's text is now shown escaped (the summary keeps it as it is);
- copy's status line printed --from and --to raw ("... from n<ESC>[2J"
  NEWLINE "l.db to ..."). Now escaped.

The inventory (message-printing helpers: diag_print -- every diag_set
of lib/ etl/ app/ reports/ ends there --, fprintf(stderr) in load.c,
batch.c, cli.c, copy.c, run_summary.c, explain.c, report.c,
statements.c, lxw_mute_say; diag_warn is defined but has no caller;
progress.c's bar only on a terminal, t8500), each with the test that
triggers it (here or in an earlier suite) or why not:
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
  late file; batch.c): here the stray and unknown-column ones escaped,
  the empty inbox; legacy encoding t0200, late file t1100;
- the lines of a good night without --quiet (per file, skipped files
  folded, "wrote", "recorded the report", "up to date", statements
  written/removed, the final status line; copy's per-table lines): here
  with odd paths, t3060/t3080/t7900 their wording; "rows naming it were
  rejected at import" (explain): t8300;
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
            option = args[1]    # the option that named it (qa83: copy
            # --from was asked "is --db naming a feed file?")
            eq(r.code, 65, (args, r))
            check("no SQLite header" in r.err and "damaged" not in r.err,
                  (args, r.err))
            lines = r.err.splitlines()
            eq(len([l for l in lines if "SQLite header" in l]), 1, r.err)
            eq(lines[0], "svcrecon: %s: file is not a database (no SQLite header; "
               "is %s naming a feed file?); left untouched" % (feed, option),
               r.err)
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



# ---- guards ----------------------------------------------------------------

def test_guard_a_good_night_prints_nothing_even_with_stdin_and_stdout_closed():
    with Tmp() as t:
        good_night(t)
        p = run_raw(["run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out",
                     t.p("out"), "--as-of", AS_OF, "--quiet", "--summary",
                     t.p("s.json")], t.path, stdin=None, stdout=None,
                    preexec_fn=closing(0, 1))
        eq((p.returncode, p.stderr), (0, b""), p)
        books_whole(t.p("out"))
        for args in (["import", "--db", t.p("svc2.db"), "--kind", "dispatches",
                      t.p("in", "dispatches_1.csv")],
                     ["report", "--db", t.p("svc.db"), "--out", t.p("out2"),
                      "--as-of", AS_OF]):
            p = run_raw(args + ["--quiet"], t.path)
            eq((p.returncode, p.stdout, p.stderr), (0, b"", b""), (args, p))
        books_whole(t.p("out2"))


def test_guard_stdout_output_into_a_gone_reader_or_a_full_device_is_never_0():
    with Tmp() as t:
        reported(t)
        db = cmd("--db", t.p("svc.db"), cwd=t.path)[1:]
        for args in (["explain"] + db + ["Q2"], ["explain"] + db + ["--json", "Q2"],
                     ["explain"] + db + ["--source", "dispatches_1.csv:2"],
                     ["--help"], ["--version"], ["report", "--help"]):
            wr = gone_reader()
            p = run_raw(args, t.path, stdout=wr)
            os.close(wr)
            check(p.returncode in (73, -signal.SIGPIPE), (args, p))
            if p.returncode == 73:
                one_problem_line(p.stderr.decode().split("\n", 1)[-1]
                                 if p.stderr.startswith(b"svcrecon: explain as of")
                                 else p.stderr.decode(), "Broken pipe")
            with open("/dev/full", "w") as full:
                p = run_raw(args, t.path, stdout=full)
            eq(p.returncode, 73, (args, p))
            check(b"standard output: write error: No space left on device" in p.stderr,
                  (args, p.stderr))


def test_guard_the_night_completes_whatever_its_stdout():
    # run, import, report write nothing on stdout: closed, full or a gone
    # reader changes nothing; stderr full or gone loses the lines only.
    with Tmp() as t:
        good_night(t)
        for i, how in enumerate(("closed", "full", "gone", "stderr full", "stderr gone")):
            kw = {}
            if how == "closed":
                kw = dict(stdout=None, preexec_fn=closing(1))
            elif how == "full":
                kw = dict(stdout=open("/dev/full", "w"))
            elif how == "gone":
                kw = dict(stdout=gone_reader())
            elif how == "stderr full":
                kw = dict(stderr=open("/dev/full", "w"))
            else:
                kw = dict(stderr=gone_reader())
            db = t.p("svc%d.db" % i)
            for args in (["import", "--db", db, "--kind", "registrations",
                          t.p("in", "registrations_1.csv")],
                         ["run", "--db", db, "--inbox", t.p("in"), "--out",
                          t.p("out%d" % i), "--as-of", AS_OF, "--statements"],
                         ["report", "--db", db, "--out", t.p("rep%d" % i), "--as-of",
                          AS_OF]):
                p = run_raw(args + ["--summary", t.p("s%d.json" % i)], t.path, **kw)
                eq(p.returncode, 0, (how, args, p))
                with open(t.p("s%d.json" % i)) as f:
                    eq(json.load(f)["status"], "ok", (how, args))
            for v in kw.values():
                if isinstance(v, int):
                    os.close(v)
                elif hasattr(v, "close"):
                    v.close()
            books_whole(t.p("out%d" % i))
            books_whole(t.p("rep%d" % i))
            eq(query(db, "SELECT count(*) FROM dispatch"), [(2,)], how)


def test_guard_a_summary_that_cannot_be_written_is_73_and_the_night_is_kept():
    with Tmp() as t:
        good_night(t)
        for i, (summary, must) in enumerate((
                (t.p("nodir", "s.json"), "No such file or directory"),
                ("/dev/full", "No space left on device"),
                ("/dev/stdout", "Broken pipe"))):
            wr = gone_reader()
            out = t.p("out%d" % i)
            p = run_raw(["run", "--db", t.p("svc%d.db" % i), "--inbox", t.p("in"),
                         "--out", out, "--as-of", AS_OF, "--quiet", "--summary",
                         summary], t.path, stdout=wr)
            os.close(wr)
            eq(p.returncode, 73, (summary, p))
            one_problem_line(p.stderr.decode(), "summary", must, "then run again",
                             "what the run did is kept")
            books_whole(out)
            eq(query(t.p("svc%d.db" % i), "SELECT count(*) FROM imported_file"), [(3,)])


@sqlite_only("file and database paths on SQLite; PostgreSQL's own lines in t7700")
def test_guard_each_problem_is_one_line_naming_the_file_the_reason_and_what_to_do():
    with Tmp() as t:
        good_night(t)
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", AS_OF, "--quiet")
        eq(r.code, 0, r)
        t.write("f/missingcol.csv", "dispatch_id,model\nQ1,x\n")
        t.write("f/empty.csv", "")
        t.write("f/utf16.csv", b"\xff\xfed\x00i\x00\n\x00")
        t.write("f/book.csv", b"PK\x03\x04xxxxxxxx")
        t.write("f/semi.csv", "dispatch_id;dispatched_at;model;serial_number\nQ;a;b;c\n")
        t.write("f/unterm.csv", 'dispatch_id,dispatched_at,model,serial_number\n"Q1,2026\n')
        t.write("notdb.db", "dispatch_id\nQ1\n")
        t.write("afile", "x")
        os.mkdir(t.p("adir"))
        os.mkdir(t.p("emptyin"))
        imp = ["import", "--db", t.p("new.db"), "--kind", "dispatches"]
        cases = [
            (imp + [t.p("f", "nothere.csv")], 66, "nothere.csv", "check the path"),
            (imp + [t.p("adir")], 66, "adir", "deliver it"),
            (imp + [t.p("f", "missingcol.csv")], 65, "missingcol.csv", "add the missing"),
            (imp + [t.p("f", "empty.csv")], 65, "empty.csv", "deliver the feed again"),
            (imp + [t.p("f", "utf16.csv")], 65, "utf16.csv", "re-export as CSV UTF-8"),
            (imp + [t.p("f", "book.csv")], 65, "book.csv", "re-export as CSV UTF-8"),
            (imp + [t.p("f", "semi.csv")], 65, "semi.csv", "re-export as CSV UTF-8"),
            (imp + [t.p("f", "unterm.csv")], 65, "unterm.csv", "close the quote"),
            (["run", "--db", t.p("new.db"), "--inbox", t.p("nothere"), "--out",
              t.p("o")], 66, "nothere", "--inbox names a readable folder"),
            (["run", "--db", t.p("new.db"), "--inbox", t.p("afile"), "--out",
              t.p("o")], 66, "afile", "--inbox names a readable folder"),
            (["run", "--db", t.p("new.db"), "--inbox", t.p("emptyin"), "--out",
              t.p("o"), "--as-of", AS_OF], 0, "emptyin", "nothing imported"),
            (["report", "--db", t.p("nothere.db"), "--out", t.p("o")], 66, "nothere.db",
             "import or run creates it"),
            (["report", "--db", t.p("notdb.db"), "--out", t.p("o")], 65, "notdb.db",
             "is --db naming a feed file?"),
            (["report", "--db", t.p("svc.db"), "--out", t.p("afile", "x"), "--as-of",
              AS_OF], 73, "afile/x", "give --out a folder"),
            (["copy", "--from", t.p("svc.db"), "--to", t.p("new.db")], 73, "new.db",
             "name a new file"),
        ]
        for args, code, name, to_do in cases:
            quiet = [] if args[0] == "copy" else ["--quiet"]
            r = svc(*args, *quiet)
            eq(r.code, code, (args, r))
            err = r.err
            if args[0] == "copy":        # its status line follows the problem
                eq(err.splitlines()[1:], ["svcrecon: copy: exit %d; nothing copied to "
                                          "%s; " % (code, t.p("new.db"))
                                          + err.splitlines()[1].rsplit("; ", 1)[1]], err)
                err = err.splitlines()[0] + "\n"
            one_problem_line(err, name, to_do)
        check(not os.path.exists(t.p("nothere.db")), "report created no database")
        eq(open(t.p("notdb.db")).read(), "dispatch_id\nQ1\n")
        # explain: not found is 65, one line after the as-of line
        for args, want in ((["Q77"], "dispatch 'Q77' not found"),
                           (["--source", "dispatches_1.csv:99"], "no row starts at line 99"),
                           (["--source", "x.csv:2"], "no imported file named 'x.csv'")):
            r = svc("explain", "--db", t.p("svc.db"), *args)
            eq((r.code, r.out), (65, ""), r)
            ls = r.err.splitlines()
            eq(len(ls), 2, r.err)
            check(ls[0].startswith("svcrecon: explain as of %s" % AS_OF), r.err)
            check(want in ls[1], r.err)
        # a usage error: the reason on one line, then the usage, 64
        for args, want in ((["report", "--db", t.p("svc.db"), "--out", t.p("o"),
                             "--as-of", "2026-02-30"], "invalid --as-of date '2026-02-30'"),
                           (["import", "--db", t.p("svc.db"), "--kind", "bogus", "x"],
                            "unknown --kind 'bogus'"),
                           (["frobnicate"], "unknown command 'frobnicate'")):
            r = svc(*args)
            eq(r.code, 64, r)
            ls = r.err.splitlines()
            eq(ls[0], "svcrecon: " + ls[0][10:], r.err)
            check(want in ls[0], r.err)
            check(ls[1].startswith("usage: svcrecon import"), r.err)
            eq(len([l for l in ls if l.startswith("svcrecon: ")]), 1, r.err)


def test_guard_feed_text_in_messages_is_escaped():
    with Tmp() as t:
        good_night(t)
        t.write("in/dispatches_2.csv", DSP_HDR.encode() + b",x\x1b[2Jy,\"a\nb\"\n"
                b"Q5\x1b[31m,2026-13-01 09:00\x1b]0;x\x07,iPF8400S,AFK03126,CA1042,C,1,P,OPEN,,\n"
                b"Q6,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,C,1,P,\"OP\r\nEN\",,\n"
                b"Q7,2026-03-01 09:00,iPF8400S,AFK\xff03126,CA1042,C,1,P,OPEN,,\n")
        t.write("in/dispatches_\x1b[2J\r\nx.csv", "dispatch_id\nQ9\n")
        t.write("in/stray\x1b[31m\x9b.txt", "x")
        for args in (["import", "--db", t.p("i.db"), "--kind", "dispatches",
                      t.p("in", "dispatches_2.csv"), t.p("in", "dispatches_\x1b[2J\r\nx.csv")],
                     ["run", "--db", t.p("r.db"), "--inbox", t.p("in"), "--out",
                      t.p("out"), "--as-of", AS_OF]):
            p = run_raw(args, t.path)
            eq(p.returncode, 65, (args, p))
            err = p.stderr.decode("utf-8", "replace")
            for line in err.split("\n")[:-1]:
                check(line.startswith("svcrecon: "), (args, err))
                check(not re.search("[\x00-\x1f\x7f\x80-\x9f]", line), (args, line))
            check("dispatches_\\x1B[2J\\x0D\\x0Ax.csv" in err, err)
            check("'x\\x1B[2Jy', 'a\\x0Ab'" in err, err)
            if args[0] == "import":
                check("2026-13-01 09:00\\x1B]0;x\\x07" in err, err)
                check("'OP\\x0D\\x0AEN'" in err, err)
                check("bad byte 0xFF" in err, err)
            else:
                check("stray\\x1B[31m\\xC2\\x9B.txt" in err, err)


def test_a_bidi_override_in_feed_text_or_a_name_is_shown_escaped():
    """QA pass 60, red before: U+202E (right-to-left override) and the
    other bidi controls reached the terminal raw, in the run's messages
    and in explain: a terminal or log viewer that applies bidi then shows
    the rest of the line backwards ("dispatches_<U+202E>vsc.txt" reads
    "dispatches_txt.csv"). Shown as their bytes, \\xE2\\x80\\xAE, as
    control bytes are; the workbooks keep the value as received."""
    rlo, lri = "\u202e", "\u2066"
    with Tmp() as t:
        good_night(t)
        t.write("in/dispatches_2.csv", (DSP_HDR + ",x%sy\n" % rlo +
                "Q%s9,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,C%sD,1,P,"
                "OPEN,\n" % (rlo, lri)).encode())
        t.write("in/dispatches_%svsc.txt" % rlo, "x")
        p = run_raw(["run", "--db", t.p("r.db"), "--inbox", t.p("in"),
                     "--out", t.p("out"), "--as-of", AS_OF], t.path)
        eq(p.returncode, 0, p)
        err = p.stderr.decode("utf-8")
        check(rlo not in err and lri not in err, err)
        check("dispatches_\\xE2\\x80\\xAEvsc.txt" in err, err)
        check("'x\\xE2\\x80\\xAEy'" in err, err)
        p = run_raw(["explain", "--db", t.p("r.db"), "Q%s9" % rlo], t.path)
        eq(p.returncode, 0, p)
        out = p.stdout.decode("utf-8")
        check(rlo not in out and lri not in out, out)
        check("dispatch 'Q\\xE2\\x80\\xAE9'" in out, out)
        check("customer 'C\\xE2\\x81\\xA6D'" in out, out)
        import openpyxl
        wb = openpyxl.load_workbook(t.p("out", "unclosed_calls_%s.xlsx" % AS_OF))
        ids = [r[0] for r in wb["Unclosed calls"].iter_rows(min_row=2,
                                                            values_only=True)]
        check("Q%s9" % rlo in ids, ids)


def test_guard_no_message_holds_a_password():
    with Tmp() as t:
        for args, code in (
                (["report", "--db", "postgresql://u:s3cret@127.0.0.1:1/db", "--out",
                  t.p("o"), "--as-of", AS_OF, "--quiet"], 66),
                (["run", "--db", "postgresql://u:s3cret@h/db", "--db",
                  "postgresql://u:0ther@h/db", "--inbox", "i", "--out", "o"], 64),
                (["explain", "--db", "postgres://u:s3cret@127.0.0.1:1/db", "--as-of",
                  AS_OF, "Q1"], 66),
                (["copy", "--from", "postgresql://127.0.0.1:1/db?password=s3cret&user=u",
                  "--to", t.p("c.db")], 66)):
            p = subprocess.run([SVCRECON] + args, cwd=t.path, env=env(),
                               capture_output=True, text=True, timeout=60)
            eq(p.returncode, code, (args, p))
            check("s3cret" not in p.stderr and "0ther" not in p.stderr, p.stderr)
            check(p.stderr.startswith("svcrecon: "), p.stderr)



@sqlite_only("the SQLite run lock's file")
def test_a_lock_holder_line_with_control_bytes_is_shown_escaped():
    # Red before the fix (diag_print showed the reason raw): the holder's
    # line comes from DB.lock, a file anyone who can write the database's
    # folder can write, and the host name in it from the holder's
    # machine; "pid P on ho<ESC>[2Jst<CR>x since ..." reached the terminal.
    import fcntl
    with Tmp() as t:
        reported(t)
        fd = os.open(t.p("svc.db.lock"), os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            line = "pid %d on ho\x1b[2Jst\rx since 2026-12-06 01:00:00 UTC" % os.getpid()
            os.ftruncate(fd, 0)
            os.pwrite(fd, line.encode(), 0)
            r = svc("report", "--db", t.p("svc.db"), "--out", t.p("o"), "--as-of",
                    AS_OF, "--quiet")
        finally:
            os.close(fd)
        eq(r.code, 75, r)
        one_problem_line(r.err, "held by pid %d on ho\\x1B[2Jst\\x0Dx since" % os.getpid(),
                         "try later")



def test_a_summary_named_dash_goes_to_stdout():
    # Red before the fix: `--summary -` wrote a file named "-" in the
    # working folder (cron's: $HOME), stdout stayed empty, exit 0: where
    # every other tool takes "-" for stdout, the summary a scheduler's
    # wrapper waited for on stdout was not there. Now "-" is stdout, as
    # /dev/stdout is (README "Summary JSON"); and so subject to the same
    # rules: a reader gone is 73 (guard above), stdout closed is 73.
    with Tmp() as t:
        good_night(t)
        for command in (["run", "--inbox", t.p("in"), "--out", t.p("out"), "--as-of",
                         AS_OF],
                        ["report", "--out", t.p("out2"), "--as-of", AS_OF]):
            p = run_raw([command[0], "--db", t.p("svc.db")] + command[1:] +
                        ["--quiet", "--summary", "-"], t.path)
            eq((p.returncode, p.stderr), (0, b""), p)
            s = json.loads(p.stdout.decode())
            eq((s["command"], s["status"], s["exit_code"]), (command[0], "ok", 0), s)
            eq(os.path.exists(t.p("-")), False, "a file named '-'")
        p = run_raw(["report", "--db", t.p("svc.db"), "--out", t.p("out3"), "--as-of",
                     AS_OF, "--quiet", "--summary", "-"], t.path, stdout=None,
                    preexec_fn=closing(1))
        eq(p.returncode, 73, p)
        one_problem_line(p.stderr.decode(), "/dev/stdout: cannot write summary", "closed")
        eq(os.path.exists(t.p("-")), False, "a file named '-'")



@sqlite_only("a SQLite path that does not exist")
def test_explain_or_copy_of_a_missing_database_says_what_to_do():
    # Red before the fix: "svcrecon: none.db: cannot open database: No such
    # file or directory" and nothing more, where report says "(report
    # needs an existing database; import or run creates it)".
    with Tmp() as t:
        for args in (["explain", "--db", t.p("none.db"), "--as-of", AS_OF, "Q1"],
                     ["copy", "--from", t.p("none.db"), "--to", t.p("c.db")]):
            r = svc(*args)
            eq(r.code, 66, (args, r))
            line = r.err.splitlines()[0]
            one_problem_line(line + "\n", t.p("none.db") + ": cannot open database: "
                             "No such file or directory", "import or run creates it")
            eq(sorted(os.listdir(t.path)), [], "nothing created")



@sqlite_only("a copy between two SQLite files")
def test_guard_a_copy_completes_whatever_its_stdout_and_a_full_stderr():
    with Tmp() as t:
        reported(t)
        for i, how in enumerate(("closed", "full", "gone", "stderr full")):
            kw = {"closed": lambda: dict(stdout=None, preexec_fn=closing(1)),
                  "full": lambda: dict(stdout=open("/dev/full", "w")),
                  "gone": lambda: dict(stdout=gone_reader()),
                  "stderr full": lambda: dict(stderr=open("/dev/full", "w"))}[how]()
            p = run_raw(["copy", "--from", t.p("svc.db"), "--to", t.p("c%d.db" % i)],
                        t.path, **kw)
            for v in kw.values():
                if isinstance(v, int):
                    os.close(v)
                elif hasattr(v, "close"):
                    v.close()
            eq(p.returncode, 0, (how, p))
            eq(query(t.p("c%d.db" % i), "SELECT count(*) FROM dispatch"), [(2,)], how)



def test_a_usage_error_quoting_a_newline_or_escape_stays_on_one_line():
    # Red before the fix: usage errors quote the argument raw: "invalid
    # --as-of date '2026" NEWLINE "<ESC>[2J-03-12' (...)", "unknown command
    # 'bo" NEWLINE "gus<ESC>[31m'", "unknown option '--bogus<ESC>[2J'", and a
    # TZ naming no zone the same. The reason line is now shown escaped (the
    # summary's "error" keeps the text, JSON-escaped).
    with Tmp() as t:
        good_night(t)
        for args, want in (
                (["report", "--db", t.p("svc.db"), "--out", t.p("o"), "--summary",
                  t.p("s.json"), "--as-of", "2026\n\x1b[2J-03-12"],
                 "invalid --as-of date '2026\\x0A\\x1B[2J-03-12'"),
                (["bo\ngus\x1b[31m"], "unknown command 'bo\\x0Agus\\x1B[31m'"),
                (["report", "--db", t.p("svc.db"), "--out", t.p("o"), "--bog\x1b[2J"],
                 "unknown option '--bog\\x1B[2J'"),
                (["explain", "--db", t.p("svc.db"), "--source", "a\r\nb:x"],
                 "invalid --source 'a\\x0D\\x0Ab:x'")):
            p = run_raw(args, t.path)
            eq(p.returncode, 64, (args, p))
            err = p.stderr.decode()
            first, usage = err.split("\n", 1)
            one_problem_line(first + "\n", want)
            check(usage.startswith("usage: svcrecon import"), err)
        with open(t.p("s.json")) as f:
            eq(json.load(f)["error"].split(" (")[0],
               "invalid --as-of date '2026\n\x1b[2J-03-12'")
        env_tz = dict(env(), TZ="Nowhere/\x1b[2J\nX")
        p = subprocess.run(cmd("report", "--db", t.p("svc.db"), "--out", t.p("o"),
                               cwd=t.path), cwd=t.path, env=env_tz, capture_output=True,
                           timeout=60)
        eq(p.returncode, 64, p)
        one_problem_line(p.stderr.decode(), "\\x1B[2J\\x0AX")



def test_a_late_file_warning_naming_an_odd_file_stays_on_one_line():
    # Red before the fix: the late-file warning quotes the earlier-imported
    # file's name, read back from the database, raw: "late file: its name
    # sorts before 'dispatches_b<ESC>[2J" NEWLINE "x.csv', imported
    # earlier; ..." (with --quiet too: it is said always). Now the lines
    # of a warning are shown escaped (batch.c warn, load.c say).
    with Tmp() as t:
        row = "Q1,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,C,1,P,%s"
        t.csv("in/dispatches_b\x1b[2J\nx.csv", DSP_HDR, [row % "OPEN"])
        night = ["run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out",
                 t.p("out"), "--as-of", AS_OF, "--quiet"]
        p = run_raw(night, t.path)
        eq((p.returncode, p.stderr), (0, b""), p)
        t.csv("in/dispatches_a.csv", DSP_HDR, [row % "CANCELLED"])
        p = run_raw(night + ["--summary", t.p("s.json")], t.path)
        eq(p.returncode, 0, p)
        one_problem_line(p.stderr.decode(), "dispatches_a.csv: late file",
                         "'dispatches_b\\x1B[2J\\x0Ax.csv'", "import files in name order")
        with open(t.p("s.json")) as f:
            w = [w for w in json.load(f)["warnings"] if w["code"] == "late_file"]
        eq(len(w), 1, w)
        check("'dispatches_b\x1b[2J\nx.csv'" in w[0]["message"], w)
        p = run_raw(["import", "--db", t.p("svc2.db"), "--kind", "dispatches",
                     t.p("in", "dispatches_b\x1b[2J\nx.csv")], t.path)
        p = run_raw(["import", "--db", t.p("svc2.db"), "--kind", "dispatches", "--quiet",
                     t.p("in", "dispatches_a.csv")], t.path)
        eq(p.returncode, 0, p)
        one_problem_line(p.stderr.decode(), "dispatches_a.csv: late file",
                         "'dispatches_b\\x1B[2J\\x0Ax.csv'")



@sqlite_only("copy between SQLite files named with odd bytes")
def test_copy_status_line_naming_odd_paths_stays_on_one_line():
    # Red before the fix: "svcrecon: copy: exit 0; 15 tables, 16 rows from
    # n<ESC>[2J" NEWLINE "l.db to t<ESC>[2J" NEWLINE "t.db; 0.1 s".
    with Tmp() as t:
        reported(t)
        odd_from, odd_to = t.p("n\x1b[2J\nl.db"), t.p("t\x1b[2J\nt.db")
        os.rename(t.p("svc.db"), odd_from)
        for code in (0, 73):       # then: the target holds data already
            p = run_raw(["copy", "--from", odd_from, "--to", odd_to], t.path)
            eq(p.returncode, code, p)
            for line in p.stderr.decode().split("\n")[:-1]:
                check(line.startswith("svcrecon: ") and
                      not re.search("[\x00-\x1f\x7f]", line), p.stderr)
            check("t\\x1B[2J\\x0At.db" in p.stderr.decode().splitlines()[-1], p.stderr)


def test_a_summary_that_cannot_be_created_is_named_itself():
    """The line about a --summary whose folder is missing names the summary
    the operator gave (and, in parentheses, its temporary file), not only
    "s.json.tmp", a name the operator never gave (QA pass 34's note; seen
    red before the lead's fix, 2026-12-06). Through a symbolic link it
    also names the link."""
    with Tmp() as t:
        good_night(t)
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out",
                t.p("out"), "--as-of", AS_OF, "--quiet", "--summary",
                t.p("nope", "s.json"))
        eq(r.code, 73, r)
        line = one_problem_line(r.err, "cannot create summary",
                                "No such file or directory")
        check(line.startswith("svcrecon: %s: cannot create summary (its temporary "
                              "file s.json.tmp): " % t.p("nope", "s.json")), line)
        os.symlink(t.p("gone", "x.json"), t.p("link.json"))
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("out"), "--as-of",
                AS_OF, "--quiet", "--summary", t.p("link.json"))
        eq(r.code, 73, r)
        line = one_problem_line(r.err, "cannot create summary")
        check(line.startswith("svcrecon: %s (the file the link '%s' names): cannot "
                              "create summary (its temporary file x.json.tmp): "
                              % (t.p("gone", "x.json"), t.p("link.json"))), line)


if __name__ == "__main__":
    main(globals())
