#!/usr/bin/python3
"""t7200 -- what a new user or a scheduler running svcrecon from cron hit
(QA pass 7), each case a defect seen red before its fix:

- `--summary` naming one of the run's input feeds (a file given to
  `import`, a file of `run`'s inbox) or one of the workbooks the run
  writes replaced it with the JSON (written to FILE.tmp and renamed over
  it): the delivered feed, or the workbook the analysts open, was gone.
  Now a usage error (64), nothing written, through any path to the file
  (a symbolic link, `..`, a hard link) and for a file not written yet;
- an option given twice with two values (`--as-of A --as-of B`, a typo in
  a crontab) silently took the last one, so the wrong night ran with exit
  0. Now a usage error (64) naming the option and both values; the same
  value twice is accepted, and flags (`--quiet`) may repeat;
- libxlsxwriter's own "[ERROR]..." lines on stderr when a workbook cannot
  be written (a full disk), also with --quiet, beside svcrecon's one line
  for the problem (SPEC §5: one line per problem);
- `--summary /dev/stdout` (a scheduler sending the JSON to its log) was
  written to /dev/stdout.tmp and renamed over the /dev/stdout link: as
  root, the machine's /dev/stdout became a regular file. Now the process's
  own stdout or stderr, and any existing file that is not a regular file
  (a FIFO, a terminal), is written in place (app/run_summary.c)."""
import json
import os
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (DSP_HDR, SVCRECON, Tmp, check, cmd, eq, main, small_disk,  # noqa: E402
                     svc, validate_summary)

VALGRIND = "valgrind" in SVCRECON or bool(os.environ.get("VALGRIND"))
AS_OF = "2026-03-12"


def dispatch_rows(n, width=60):
    return ["Q%d,2026-03-08 09:30,iPF8400S,S%d,D%d,customer %d %s,02108,P,OPEN"
            % (i, i, i % 40, i, "c" * width) for i in range(n)]


def feed_body(n=2):
    return DSP_HDR + "\n" + "\n".join(dispatch_rows(n)) + "\n"


def refused_summary(r, summary, what):
    """r is the usage error for --summary naming `what`; nothing written."""
    eq(r.code, 64, r)
    check("svcrecon: --summary '%s' names %s" % (summary, what) in r.err, r.err)
    check("give the summary another name" in r.err, r.err)
    check(not os.path.exists(summary + ".tmp"), "no FILE.tmp left")


def test_a_summary_naming_an_imported_file_is_refused_and_the_file_kept():
    with Tmp() as t:
        body = feed_body()
        f = t.write("feeds/dispatches_a.csv", body)
        os.symlink("feeds", t.p("link"))
        os.link(f, t.p("hard.csv"))
        for summary in (f, t.p("feeds", "..", "feeds", "dispatches_a.csv"),
                        t.p("link", "dispatches_a.csv"), t.p("hard.csv")):
            r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches",
                    "--summary=" + summary, f)
            refused_summary(r, summary, "the input feed '%s'" % f)
            eq(open(f).read(), body, "the feed is untouched")
        eq(sorted(os.listdir(t.path)), ["feeds", "hard.csv", "link"], "no database made")
        # Relative names: the same file through "./".
        r = svc("import", "--db", "svc.db", "--kind", "dispatches",
                "--summary=./feeds/dispatches_a.csv", "feeds//dispatches_a.csv", cwd=t.path)
        refused_summary(r, "./feeds/dispatches_a.csv",
                        "the input feed 'feeds//dispatches_a.csv'")
        # Another name beside it is fine.
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches",
                "--summary", t.p("feeds", "s.json"), f)
        eq(r.code, 0, r)
        eq(open(f).read(), body)
        with open(t.p("feeds", "s.json")) as fh:
            eq(json.load(fh)["status"], "ok")


def test_a_summary_in_the_inbox_is_refused():
    with Tmp() as t:
        body = feed_body()
        t.write("in/dispatches_a.csv", body)
        os.makedirs(t.p("elsewhere"))
        os.link(t.p("in", "dispatches_a.csv"), t.p("elsewhere", "x.json"))
        cases = [(t.p("in", "dispatches_a.csv"),
                  "a file of the inbox '%s'" % t.p("in")),
                 (t.p("in", "summary.json"), "a file of the inbox '%s'" % t.p("in")),
                 (t.p("elsewhere", "..", "in", "new.json"),
                  "a file of the inbox '%s'" % t.p("in")),
                 (t.p("elsewhere", "x.json"),
                  "the input feed '%s'" % t.p("in", "dispatches_a.csv"))]
        for summary, what in cases:
            r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out",
                    t.p("out"), "--as-of", AS_OF, "--summary=" + summary)
            refused_summary(r, summary, what)
            check("the next run would read it as a delivery" in r.err
                  or "input feed" in what, r.err)
            eq(open(t.p("in", "dispatches_a.csv")).read(), body)
            eq(sorted(os.listdir(t.p("in"))), ["dispatches_a.csv"])
            check(not os.path.exists(t.p("out")), "nothing was written")


def test_a_summary_naming_a_workbook_of_the_run_is_refused():
    with Tmp() as t:
        t.write("in/dispatches_a.csv", feed_body())
        base = ["run", "--db", "svc.db", "--inbox", "in", "--as-of", AS_OF]
        # Not written yet (no out folder), then written once and in place.
        for summary in ("out/audit_%s.xlsx" % AS_OF, "./out//unclosed_calls_%s.xlsx" % AS_OF,
                        "x/../out/non_compensable_%s.xlsx" % AS_OF):
            r = svc(*base, "--out", "out", "--summary=" + summary, cwd=t.path)
            eq(r.code, 64, r)
            check("svcrecon: --summary '%s' names the workbook 'out/" % summary in r.err, r.err)
            check(not os.path.exists(t.p("out")), "nothing was written")
        r = svc(*base, "--out", "out", "--statements", cwd=t.path)
        eq(r.code, 0, r)
        wb = t.p("out", "audit_%s.xlsx" % AS_OF)
        before = open(wb, "rb").read()
        os.symlink("out", t.p("o2"))
        for summary in ("o2/audit_%s.xlsx" % AS_OF, "out/statements_%s/D1.xlsx" % AS_OF):
            r = svc(*base, "--out", "out", "--statements", "--summary=" + summary,
                    cwd=t.path)
            eq(r.code, 64, r)
            check("svcrecon: --summary '%s' names " % summary in r.err, r.err)
            check("give the summary another name" in r.err, r.err)
        eq(open(wb, "rb").read(), before, "the workbook is untouched")
        # report too; another date's workbook name is no clash.
        r = svc("report", "--db", "svc.db", "--out", "out", "--as-of", AS_OF,
                "--summary=out/audit_%s.xlsx" % AS_OF, cwd=t.path)
        eq(r.code, 64, r)
        r = svc("report", "--db", "svc.db", "--out", "out", "--as-of", AS_OF,
                "--summary", "out/audit_2026-03-11.xlsx", cwd=t.path)
        eq(r.code, 0, r)


def test_a_summary_naming_the_statements_folder_of_the_run_is_refused():
    """--summary OUT/statements_A with --statements: the summary written
    at the start was replaced by the statements folder (the night
    before's lost), and the night, done, ended 73 on "Is a directory"
    with no summary at all; without --statements, a summary inside that
    folder went with the stale folder, and the night ended 73. Now usage
    errors, as a workbook's name is (qa87)."""
    with Tmp() as t:
        t.write("in/dispatches_a.csv", feed_body())
        base = ["run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--statements"]
        for summary in ("out/statements_%s" % AS_OF, "./out//statements_%s/" % AS_OF):
            r = svc(*base, "--summary=" + summary, cwd=t.path)
            eq(r.code, 64, r)
            check("svcrecon: --summary '%s' names the statements folder 'out/statements_%s'"
                  % (summary, AS_OF) in r.err, r.err)
            check(not os.path.exists(t.p("out")), "nothing was written")
        r = svc(*base, "--summary", "out/s.json", cwd=t.path)
        eq(r.code, 0, r)
        r = svc(*base, "--summary=out/statements_%s" % AS_OF, cwd=t.path)
        eq(r.code, 64, r)
        check(os.path.isdir(t.p("out", "statements_%s" % AS_OF)), "the folder stays")
        # Without --statements, a file in that folder: the folder, stale once
        # a new file came, was removed with the summary written there at the
        # start, and the night, done, ended 73 ("cannot create summary").
        t.write("in/dispatches_b.csv", feed_body().replace("D1", "D2"))
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of", AS_OF,
                "--summary=out/statements_%s/s.json" % AS_OF, cwd=t.path)
        eq(r.code, 64, r)
        check("names a file of the statements folder 'out/statements_%s'" % AS_OF in r.err,
              r.err)
        check(os.path.isdir(t.p("out", "statements_%s" % AS_OF)), "the folder stays")

def test_an_option_given_twice_with_two_values_is_a_usage_error():
    with Tmp() as t:
        t.write("in/dispatches_a.csv", feed_body())
        f = t.p("in", "dispatches_a.csv")
        run = ["run", "--db", "svc.db", "--inbox", "in", "--out", "out"]
        cases = [
            ("as-of", "2026-03-12", "2026-03-13", run + ["--as-of", "2026-03-12",
                                                         "--as-of=2026-03-13"]),
            ("out", "out", "out2", run + ["--out", "out2"]),
            ("inbox", "in", "in2", run + ["--inbox", "in2"]),
            ("buckets", "7,14", "7,30", run + ["--buckets", "7,14", "--buckets", "7,30"]),
            ("from", "2026-03-01", "2026-03-02", run + ["--from", "2026-03-01",
                                                        "--from", "2026-03-02"]),
            ("summary", "a.json", "b.json", run + ["--summary", "a.json", "--summary",
                                                   "b.json"]),
            ("db", "a.db", "b.db", ["run", "--db=a.db", "--db=b.db", "--inbox", "in",
                                    "--out", "out"]),
            ("kind", "dispatches", "closeouts", ["import", "--db", "svc.db", "--kind",
                                                 "dispatches", "--kind", "closeouts", f]),
            ("as-of", "2026-03-12", "03/13/2026", ["explain", "--db", "svc.db", "--as-of",
                                                   "2026-03-12", "--as-of", "03/13/2026",
                                                   "Q1"]),
            ("to", "a.db", "b.db", ["copy", "--from", "svc.db", "--to", "a.db", "--to",
                                    "b.db"]),
        ]
        for opt, a, b, args in cases:
            r = svc(*args, cwd=t.path)
            eq(r.code, 64, (args, r))
            check("svcrecon: option '--%s' given twice ('%s' and '%s'); give it once"
                  % (opt, a, b) in r.err, (args, r.err))
            made = sorted(os.listdir(t.path))
            if opt == "summary":
                # A usage error once --summary FILE was parsed writes the
                # summary (README): to the first FILE, the one parsed.
                eq(made, ["a.json", "in"], args)
                with open(t.p("a.json")) as fh:
                    eq(json.load(fh)["status"], "usage")
                os.remove(t.p("a.json"))
                made.remove("a.json")
            eq(made, ["in"], "nothing was created by %r" % args)
        # The same value twice, and a flag twice, are fine.
        r = svc(*run, "--as-of", AS_OF, "--as-of", AS_OF, "--quiet", "--quiet",
                "--summary", "s.json", cwd=t.path)
        eq(r.code, 0, r)
        eq(r.err, "")
        with open(t.p("s.json")) as fh:
            eq(json.load(fh)["as_of"], AS_OF)


def test_a_password_in_a_repeated_db_uri_is_not_shown():
    with Tmp() as t:
        r = svc("report", "--summary", "s.json", "--db=postgresql://u:secret@h1/d",
                "--db=postgresql://u:secret@h2/d", "--out", "out", cwd=t.path)
        eq(r.code, 64, r)
        check("option '--db' given twice" in r.err, r.err)
        check("secret" not in r.err, r.err)
        with open(t.p("s.json")) as fh:
            s = fh.read()
        check("secret" not in s, s)


def summary_text_is_valid(text):
    """text is a summary document that matches the schema; returns it."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        f.write(text)
        f.flush()
        return validate_summary(f.name)


def put_back_dev_stdout(before):
    """If a run replaced the /dev/stdout link, put it back (the machine's
    other programs need it) and say so."""
    if os.path.islink("/dev/stdout"):
        return
    os.unlink("/dev/stdout")
    os.symlink(before, "/dev/stdout")
    raise AssertionError("the run replaced the /dev/stdout link with a "
                         "regular file (put back)")


def test_a_summary_to_dev_stdout_or_stderr_goes_there_and_the_link_stays():
    before = os.readlink("/dev/stdout")
    with Tmp() as t:
        f = t.write("d.csv", feed_body())
        for name, stream in (("/dev/stdout", "out"), ("/dev/stderr", "err"),
                             ("/dev/fd/1", "out")):
            try:
                p = subprocess.run(
                    cmd("import", "--db", t.p("svc.db"), "--kind",
                        "dispatches", "--quiet", "--summary", name, f),
                    capture_output=True, text=True, timeout=300,
                    env=dict(os.environ, TZ="UTC"))
            finally:
                put_back_dev_stdout(before)
            eq(p.returncode, 0, p.stderr)
            doc = summary_text_is_valid(p.stdout if stream == "out"
                                        else p.stderr)
            eq(doc["command"], "import", name)
            eq(doc["exit_code"], 0, name)
            check(not os.path.exists(name + ".tmp"), name + ".tmp left")
        eq(os.readlink("/dev/stdout"), before, "the /dev/stdout link")


def test_a_summary_into_a_fifo_is_written_through_it_and_the_fifo_stays():
    with Tmp() as t:
        f = t.write("d.csv", feed_body())
        fifo = t.p("summary.fifo")
        os.mkfifo(fifo)
        got = []
        reader = threading.Thread(
            target=lambda: got.append(open(fifo).read()), daemon=True)
        reader.start()
        p = subprocess.run(cmd("import", "--db", t.p("svc.db"), "--kind",
                               "dispatches", "--quiet", "--summary", fifo, f),
                           capture_output=True, text=True, timeout=300,
                           env=dict(os.environ, TZ="UTC"))
        reader.join(60)
        eq(p.returncode, 0, p.stderr)
        eq(len(got), 1, "the reader read the FIFO")
        eq(summary_text_is_valid(got[0])["exit_code"], 0, "summary")
        check(os.path.exists(fifo) and not os.path.isfile(fifo),
              "the FIFO was replaced by a file")


def test_a_summary_through_a_symbolic_link_replaces_the_file_it_names():
    # Monitoring reads reports/latest.json; the job writes through a link
    # to it. Renamed over the link, the summary replaced the link and left
    # the file monitoring reads with yesterday's status.
    with Tmp() as t:
        f = t.write("d.csv", feed_body())
        os.makedirs(t.p("reports"))
        t.write("reports/latest.json", '{"status": "yesterday"}\n')
        os.symlink(os.path.join("reports", "latest.json"), t.p("link.json"))
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches",
                "--quiet", "--summary", t.p("link.json"), f)
        eq(r.code, 0, r)
        check(os.path.islink(t.p("link.json")), "the link was replaced")
        eq(os.readlink(t.p("link.json")), os.path.join("reports",
                                                       "latest.json"))
        doc = validate_summary(t.p("reports", "latest.json"))
        eq((doc["command"], doc["exit_code"]), ("import", 0), "the summary")
        eq(sorted(os.listdir(t.p("reports"))), ["latest.json"], "no .tmp")


def test_a_summary_through_a_dangling_link_creates_the_file_it_names():
    # The first night: monitoring's link is set up before the file it
    # names exists. realpath() fails on such a link, and the summary was
    # renamed over the link: from then on the job wrote a file of its own
    # and the name monitoring reads was never written. Here a chain of two
    # links, the first in a folder of its own with a relative target.
    with Tmp() as t:
        f = t.write("d.csv", feed_body())
        os.makedirs(t.p("reports"))
        os.makedirs(t.p("mon"))
        os.symlink(os.path.join("..", "reports", "latest.json"),
                   t.p("mon", "hop.json"))
        os.symlink(os.path.join("mon", "hop.json"), t.p("link.json"))
        for night in (1, 2):
            r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches",
                    "--quiet", "--summary", t.p("link.json"), f)
            eq(r.code, 0, r)
            check(os.path.islink(t.p("link.json")) and
                  os.path.islink(t.p("mon", "hop.json")),
                  "night %d: a link was replaced" % night)
            doc = validate_summary(t.p("reports", "latest.json"))
            eq(doc["command"], "import", "night %d" % night)
            eq(sorted(os.listdir(t.p("reports"))), ["latest.json"], "no .tmp")
            eq(sorted(os.listdir(t.p("mon"))), ["hop.json"], "no .tmp")
        # A link into a folder that does not exist: said, 73, link kept.
        os.symlink(os.path.join("nowhere", "x.json"), t.p("bad.json"))
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches",
                "--quiet", "--summary", t.p("bad.json"), f)
        eq(r.code, 73, r)
        check("nowhere" in r.err and "summary" in r.err, r.err)
        check(os.path.islink(t.p("bad.json")), "the dangling link replaced")
        # A dangling link to a workbook the report is about to write names
        # that workbook: refused as the workbook itself is (64).
        os.symlink(os.path.join("out", "unclosed_calls_%s.xlsx" % AS_OF),
                   t.p("wb.json"))
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("out"),
                "--as-of", AS_OF, "--quiet", "--summary", t.p("wb.json"))
        eq(r.code, 64, r)
        check("workbook" in r.err, r.err)


def test_a_full_disk_prints_svcrecons_lines_only_even_with_quiet():
    """Before the fix, libxlsxwriter printed its own "[ERROR][file:line]: ..."
    lines for the failed workbook on stderr, also with --quiet."""
    with Tmp() as t:
        f = t.csv("dispatches_a.csv", DSP_HDR, dispatch_rows(20000))
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f)
        eq(r.code, 0, r)
        with small_disk(t.p("mnt"), "1m") as mnt:
            for quiet in (["--quiet"], []):
                r = svc("report", "--db", t.p("svc.db"), "--out", os.path.join(mnt, "out"),
                        "--as-of", AS_OF, *quiet)
                eq(r.code, 73, r)
                lines = r.err.splitlines()
                check("[ERROR]" not in r.err and "[WARNING]" not in r.err, r.err)
                check(all(x.startswith("svcrecon: ") or x.startswith("usage:")
                          for x in lines), r.err)
                check(any("No space left on device" in x for x in lines), r.err)
                if quiet:
                    eq(len(lines), 1, r.err)
            # Off the full disk the same report is a good, silent night.
            r = svc("report", "--db", t.p("svc.db"), "--out", t.p("out"), "--as-of", AS_OF,
                    "--quiet")
            eq((r.code, r.err), (0, ""))


if VALGRIND:
    # 20,000 rows under valgrind take minutes; t5100 covers the full disk.
    del test_a_full_disk_prints_svcrecons_lines_only_even_with_quiet

main(globals())
