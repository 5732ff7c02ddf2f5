#!/usr/bin/python3
"""t7900 -- SPEC §5 and §6 as a scheduler lives them (QA pass 14), each
case a defect seen red before its fix:

- a --summary whose disk is full: the summary "running" could not be
  written at the start (silently) nor the outcome at the end, so the
  file left under the summary's name was the night before's, "status"
  "ok": monitoring read yesterday's success for a night that ended 73
  (README "Summary JSON": "monitoring never reads yesterday's success").
  Now a summary that cannot be written at the start removes the earlier
  one (a removal takes no space), and the end's line says what to do
  ("free space on its disk, then run again"), as the other failures do;
- a workbook on a full disk said "cannot create: Zip generic error
  ZIP_ERRNO while creating the xlsx file: No space left on device" and
  nothing of what to do; now it says to free space on the output
  folder's disk and run again (the files already imported are kept);
  a dealer statement's line (--statements) said only libxlsxwriter's
  words, without the system's reason: now both, and what to do;
- a TZ that names no time zone (a typo, "Asia/Tokio"; a zone whose
  tzdata is not installed) is taken by the C library for UTC, silently:
  a night run at 02:00 in Tokyo reported as of the day before, exit 0.
  Now report and run without --as-of refuse it (64, one line: correct
  TZ, unset it, or give --as-of); with --as-of TZ does not matter; so
  is a POSIX TZ string the C library reads only in part ("ABC+",
  "EST5EDT,M3": fix63), saying where it breaks off;
- PostgreSQL: a statement the server cancels (statement_timeout, which
  counts a wait for another client's lock too, or an administrator's
  pg_cancel_backend) was 70, "internal error", with the server's words
  alone; now 75 (try later, as a lock timeout), saying that the server
  rolled the transaction back and to raise statement_timeout if it
  recurs. The rerun completes the night;
- a run whose stderr is a pipe with no reader left (`2>&1 | head -1`,
  a log pipe whose reader died) was killed by SIGPIPE at its next
  message, between two files (exit 141, summary "running", no
  workbook); now import, report and run ignore SIGPIPE: the messages are
  lost, as with stderr closed, and the night completes."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, ON_PG, REG_HDR, Tmp, check, cmd, connect,  # noqa: E402
                     eq, main, postgresql_only, query, sha256, skip, small_disk, sqlite_only,
                     svc, validate_summary)

AS_OF = "2026-03-12"


def night(t, inbox="in", n=2):
    """A small good night in t/inbox: every kind, nothing rejected."""
    t.csv(inbox + "/registrations_1.csv", REG_HDR,
          ["CA1042,Dealer One,iPF8400S,AFK03126,2026-01-01,N,"])
    t.csv(inbox + "/dispatches_1.csv", DSP_HDR,
          ["Q%d,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN" % i
           for i in range(1, n + 1)])
    t.csv(inbox + "/closeouts_1.csv", CLO_HDR,
          ["CA1042,2026-03-02 10:00,Q1,AFK03126,iPF8400S,2026-03-02,T,1.5,R,"])


def lines(err):
    return [l for l in err.splitlines() if l.strip()]


def fill(folder):
    """Fills the file system of folder to its last byte."""
    path = os.path.join(folder, "fill")
    with open(path, "ab", buffering=0) as f:
        for size in (1 << 16, 512, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass
    return path


def books(folder, as_of=AS_OF):
    """{workbook name: SHA-256} of the folder's workbooks as of as_of."""
    return {n: sha256(os.path.join(folder, n)) for n in sorted(os.listdir(folder))
            if n.endswith("_%s.xlsx" % as_of)}


def test_a_summary_on_a_full_disk_never_leaves_the_night_befores_success():
    with Tmp() as t, small_disk(t.p("mnt"), "256k") as mnt:
        night(t)
        summary = os.path.join(mnt, "summary.json")
        r = svc("run", "--db", t.p("svc.db"), "--inbox", "in", "--out", "out",
                "--as-of", "2026-03-11", "--quiet", "--summary", summary, cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        eq(validate_summary(summary)["as_of"], "2026-03-11")
        junk = fill(mnt)
        t.csv("in/dispatches_2.csv", DSP_HDR,
              ["Q9,2026-03-12 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN"])
        r = svc("run", "--db", t.p("svc.db"), "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", "--summary", summary, cwd=t.path)
        eq(r.code, 73, r)
        got = lines(r.err)
        eq(len(got), 1, r.err)
        check(got[0].startswith("svcrecon: %s: cannot write summary: No space left on "
                                "device; free space on its disk, then run again" % summary),
              got[0])
        # what monitoring reads is not the night before's outcome
        if os.path.exists(summary):
            s = validate_summary(summary)
            check(s["exit_code"] != 0 and s["as_of"] == AS_OF, s)
        eq(sorted(os.listdir(mnt)), sorted(n for n in ["fill"] + (
            ["summary.json"] if os.path.exists(summary) else []) if n), "no temporary left")
        # the night itself was done: workbooks in place, the file loaded
        check(os.path.exists(t.p("out", "audit_%s.xlsx" % AS_OF)), os.listdir(t.p("out")))
        eq(query(t.p("svc.db"), "SELECT count(*) FROM dispatch WHERE dispatch_id = 'Q9'"),
           [(1,)])
        os.unlink(junk)
        r = svc("run", "--db", t.p("svc.db"), "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", "--summary", summary, cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        s = validate_summary(summary)
        eq((s["exit_code"], s["status"], s["as_of"]), (0, "ok", AS_OF), s)


def test_a_workbook_on_a_full_disk_says_to_free_space_and_the_rerun_writes_the_same():
    with Tmp() as t, small_disk(t.p("mnt"), "1m") as mnt:
        night(t, n=40)
        out = os.path.join(mnt, "out")
        os.mkdir(out)
        junk = fill(mnt)
        r = svc("run", "--db", t.p("svc.db"), "--inbox", "in", "--out", out,
                "--as-of", AS_OF, "--quiet", "--summary", "s.json", cwd=t.path)
        eq(r.code, 73, r)
        got = lines(r.err)
        eq(len(got), 1, r.err)
        check(got[0].startswith("svcrecon: %s/" % out) and ".xlsx: cannot create" in got[0]
              and "free space on the output folder's disk, then run again (the files "
              "already imported are kept)" in got[0], got[0])
        s = validate_summary(t.p("s.json"))
        eq((s["exit_code"], s["status"]), (73, "cannot_create"), s)
        eq([n for n in os.listdir(out) if n.endswith(".xlsx")], [],
           "no workbook under its final name")
        os.unlink(junk)
        r = svc("run", "--db", t.p("svc.db"), "--inbox", "in", "--out", out,
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        eq(sorted(os.listdir(out)), ["audit_%s.xlsx" % AS_OF,
                                     "non_compensable_%s.xlsx" % AS_OF,
                                     "unclosed_calls_%s.xlsx" % AS_OF])
        # the same bytes as a report of the same database and night
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("again"), "--as-of", AS_OF,
                "--quiet")
        eq((r.code, r.err), (0, ""), r)
        eq(books(out), books(t.p("again")))


def test_a_tz_naming_no_zone_is_refused_when_the_date_comes_from_the_clock():
    with Tmp() as t:
        night(t)
        for tz in ("Asia/Tokio", ":Asia/Tokio", "/nonexistent/zone"):
            for args in (["run", "--inbox", "in"], ["report"]):
                r = svc(args[0], "--db", t.p("svc.db"), *args[1:], "--out", "out",
                        "--quiet", "--summary", "s.json", cwd=t.path, env={"TZ": tz})
                eq(r.code, 64, (tz, r))
                eq(lines(r.err), ["svcrecon: TZ '%s' names no time zone (%s is not a zone "
                                  "file): today's date would be UTC's, which may be another "
                                  "day; correct TZ (or unset it for the system's zone), or "
                                  "give --as-of DATE"
                                  % (tz, tz if tz.startswith("/") else
                                     "/usr/share/zoneinfo/Asia/Tokio")], r.err)
                s = validate_summary(t.p("s.json"))
                eq((s["exit_code"], s["status"]), (64, "usage"), s)
                check("names no time zone" in s["error"], s)
                check(not os.path.exists(t.p("out")), "nothing done")
                if not ON_PG:
                    check(not os.path.exists(t.p("svc.db")), "no database made")
        # with --as-of the clock is not read: TZ does not matter
        r = svc("run", "--db", t.p("svc.db"), "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path, env={"TZ": "Asia/Tokio"})
        eq((r.code, r.err), (0, ""), r)
        # zones that exist, POSIX zones, an empty TZ (UTC), and TZ unset
        for i, tz in enumerate(("Asia/Tokyo", ":Asia/Tokyo", "UTC", "EST5EDT", "JST-9",
                                "<+09>-9", "", None)):
            env = {k: v for k, v in os.environ.items() if k != "TZ"}
            if tz is not None:
                env["TZ"] = tz
            # svc() would set TZ=UTC when it is unset: run the command itself
            p = subprocess.run(cmd("report", "--db", t.p("svc.db"), "--out",
                                   t.p("out%d" % i), "--quiet"),
                               env=env, capture_output=True, text=True)
            eq((p.returncode, p.stderr), (0, ""), (tz, p))
        # a system without tzdata (no zone files; $TZDIR stands for it):
        # UTC by any of its names is what the C library gives, and right;
        # a named zone is refused, saying which file is missing
        nodata = dict(os.environ, TZDIR=t.p("no-tzdata"))
        for i, tz in enumerate(("UTC", "GMT", "Etc/UTC", ":UTC", "Zulu", "UTC0")):
            p = subprocess.run(cmd("report", "--db", t.p("svc.db"), "--out",
                                   t.p("utc%d" % i), "--quiet"),
                               env=dict(nodata, TZ=tz), capture_output=True, text=True)
            eq((p.returncode, p.stderr), (0, ""), (tz, p))
        p = subprocess.run(cmd("report", "--db", t.p("svc.db"), "--out", t.p("tokyo"),
                               "--quiet"),
                           env=dict(nodata, TZ="Asia/Tokyo"), capture_output=True, text=True)
        eq(p.returncode, 64, p)
        check("(%s is not a zone file)" % t.p("no-tzdata", "Asia/Tokyo") in p.stderr, p.stderr)


def test_a_posix_tz_the_c_library_reads_only_in_part_is_refused():
    """fix63: a TZ begun as a POSIX string (an abbreviation and an
    offset) was taken whole: "ABC+" (no hours), "ABC5x", "EST5EDT,M3" (a
    rule cut short), "ABC+25" are read by the C library as far as they
    go and UTC (or a clamped offset, or no rule) for the rest, silently,
    and the night was that of UTC's date, exit 0. Now the whole string is
    read as POSIX writes it; where it breaks off, 64, one line saying
    what it wants there, nothing done. Whole strings, rules included,
    still run."""
    with Tmp() as t:
        night(t)
        for tz, want in [
                ("ABC+", "an offset from UTC (hours, 0 to 24) at its end"),
                ("ABC+25", "an offset from UTC (hours, 0 to 24) at '25'"),
                ("ABC5x", "a zone abbreviation of 3 or more letters at 'x'"),
                ("JST-9:75", "minutes (00 to 59) at '75'"),
                ("EST5EDT,M3", "'.' and a week (1 to 5) after the month at its end"),
                ("EST5EDT,M3.2.0", "',' and the rule ending summer time at its end"),
                ("EST5,M3.2.0,M11.1.0", "a summer time abbreviation before the rules "
                                        "at ',M3.2.0,M11.1.0'"),
                (":<+09>", "an offset from UTC (hours, 0 to 24) at its end")]:
            for args in (["run", "--inbox", "in"], ["report"]):
                r = svc(args[0], "--db", t.p("svc.db"), *args[1:], "--out", "out",
                        "--quiet", "--summary", "s.json", cwd=t.path, env={"TZ": tz})
                eq(r.code, 64, (tz, r))
                eq(lines(r.err), ["svcrecon: TZ '%s' names no time zone (no zone file "
                                  "/usr/share/zoneinfo/%s; read as a POSIX TZ string, e.g. "
                                  "JST-9 or EST5EDT,M3.2.0,M11.1.0, it wants %s): today's "
                                  "date would be UTC's, which may be another day; correct TZ "
                                  "(or unset it for the system's zone), or give --as-of DATE"
                                  % (tz, tz.lstrip(":"), want)], r.err)
                eq(validate_summary(t.p("s.json"))["exit_code"], 64)
                check(not os.path.exists(t.p("out")), "nothing done")
                if not ON_PG:
                    check(not os.path.exists(t.p("svc.db")), "no database made")
        # whole POSIX strings, with rules, times and minutes, run
        for i, tz in enumerate(("EST5EDT,M3.2.0,M11.1.0", "CET-1CEST,M3.5.0,M10.5.0/3",
                                "EST5EDT,J60,300", "IST-5:30", "<-03>3", "ABC+24")):
            r = svc("run", "--db", t.p("svc.db"), "--inbox", "in", "--out",
                    t.p("out%d" % i), "--quiet", cwd=t.path, env={"TZ": tz})
            eq((r.code, r.err), (0, ""), (tz, r))


def test_a_run_whose_stderr_reader_is_gone_completes_the_night():
    # `svcrecon run ... 2>&1 | head -1`, a log pipe whose reader died, an
    # ssh session dropped: the first message after the reader is gone
    # raised SIGPIPE, whose default action killed the run between two
    # files (exit 141, the summary "running", no workbook). Messages are
    # lost then, as with stderr closed (t7500); the night is done and
    # --summary says so.
    with Tmp() as t:
        night(t)
        for command in (["run", "--inbox", "in"], ["import", "--kind", "dispatches"]):
            rd, wr = os.pipe()
            os.close(rd)
            extra = ["in/dispatches_1.csv"] if command[0] == "import" else [
                "--out", "out", "--as-of", AS_OF]
            p = subprocess.run(cmd(command[0], "--db", t.p("svc%s.db" % command[0]),
                                   *command[1:], "--summary", "s.json", *extra,
                                   cwd=t.path),
                               cwd=t.path, stdin=subprocess.DEVNULL, stdout=wr, stderr=wr,
                               env=dict(os.environ, TZ="UTC"))
            os.close(wr)
            eq(p.returncode, 0, (command, p))
            s = validate_summary(t.p("s.json"))
            eq((s["exit_code"], s["status"]), (0, "ok"), s)
        eq(sorted(os.listdir(t.p("out"))), ["audit_%s.xlsx" % AS_OF,
                                            "non_compensable_%s.xlsx" % AS_OF,
                                            "unclosed_calls_%s.xlsx" % AS_OF])
        eq(query(t.p("svcrun.db"), "SELECT count(*) FROM dispatch"), [(2,)])
        eq(query(t.p("svcimport.db"), "SELECT count(*) FROM dispatch"), [(2,)])


def file_size_limit(limit):
    """In the child before exec: a file size limit (ulimit -f, a unit's
    LimitFSIZE=), SIGXFSZ at its default action."""
    def set_limit():
        import resource
        import signal
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return set_limit


def under_limit(t, limit, code, *args):
    """svcrecon args in t (cwd) with limit (a preexec_fn setting a
    resource limit): exit code and one line on stderr expected. Returns
    the completed process and that line (in a list)."""
    p = subprocess.run(cmd(*args, cwd=t.path), cwd=t.path, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True,
                       env=dict(os.environ, TZ="UTC"), preexec_fn=limit)
    eq(p.returncode, code, p)
    line = lines(p.stderr)
    eq(len(line), 1, p.stderr)
    return p, line


def test_a_file_size_limit_is_73_saying_so_not_a_silent_kill():
    # A night under a file size limit (`ulimit -f` in a cron wrapper, a
    # systemd unit's LimitFSIZE=) was killed by SIGXFSZ at its first write
    # past it: exit 153, not a word on stderr, the summary "running" and
    # every retry the same (qa87). Now 73, naming the file and the cause.
    with Tmp() as t:
        night(t, n=300)
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of", AS_OF,
                "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        p, line = under_limit(t, file_size_limit(6000), 73, "report", "--db", "svc.db",
                              "--out", "out2", "--as-of", AS_OF, "--quiet", "--summary",
                              "s.json")
        # SQLite: the database's -shm, past the limit at once; PostgreSQL:
        # the first workbook
        check("File too large" in line[0], line[0])
        s = validate_summary(t.p("s.json"))
        eq((s["status"], s["exit_code"]), ("cannot_create", 73), s)
        if os.path.isdir(t.p("out2")):
            eq([n for n in os.listdir(t.p("out2")) if n.startswith(".")], [],
               "no temporary left")
        r = svc("report", "--db", "svc.db", "--out", "out2", "--as-of", AS_OF, "--quiet",
                cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        eq(books(t.p("out2")), books(t.p("out")), "the rerun writes the same workbooks")


def test_a_statement_on_a_full_disk_says_to_free_space_and_the_rerun_writes_them():
    # The dealer statements are written after the three workbooks, into
    # OUT/.svcrecon-tmp-PID/statements.tmp/ (OUT/.statements_A.tmp-PID/
    # before fix81): the disk is filled as soon as that
    # folder appears. Their line said "cannot create: Zip generic error
    # ZIP_ERRNO while creating the xlsx file." and neither why nor what
    # to do.
    import threading
    with Tmp() as t, small_disk(t.p("mnt"), "4m") as mnt:
        rows = ["Q%d,2026-03-01 09:00,iPF8400S,AFK03126,CA%04d,Customer,02108,P,OPEN"
                % (i, i) for i in range(60)]
        night(t)
        t.csv("in/dispatches_1.csv", DSP_HDR, rows)
        out = os.path.join(mnt, "out")
        done, filled = threading.Event(), []

        def watch():
            while not done.is_set():
                if os.path.isdir(out) and any(
                        os.path.isdir(os.path.join(out, n, "statements.tmp"))
                        for n in os.listdir(out)
                        if n.startswith(".svcrecon-tmp-")):
                    filled.append(fill(mnt))
                    return
                done.wait(0.0005)
        w = threading.Thread(target=watch)
        w.start()
        try:
            r = svc("run", "--db", t.p("svc.db"), "--inbox", "in", "--out", out,
                    "--as-of", AS_OF, "--statements", "--quiet", "--summary", "s.json",
                    cwd=t.path)
        finally:
            done.set()
            w.join()
        if not filled or r.code == 0:
            skip("the statements were written before the disk was full (%r)" % r)
        eq(r.code, 73, r)
        got = lines(r.err)
        eq(len(got), 1, r.err)
        check(".xlsx: cannot create" in got[0] and "free space on the output folder's "
              "disk, then run again (the files already imported are kept)" in got[0], got[0])
        check("No space left on device" in got[0] or "is the disk full?" in got[0], got[0])
        eq(validate_summary(t.p("s.json"))["exit_code"], 73)
        eq([n for n in os.listdir(out) if n.startswith(("statements_", ".statements_"))],
           [], "no statements folder, nor a temporary one, left")
        os.unlink(filled[0])
        r = svc("run", "--db", t.p("svc.db"), "--inbox", "in", "--out", out,
                "--as-of", AS_OF, "--statements", "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        # the same statements, byte for byte, as a report of the same night
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("again"), "--as-of", AS_OF,
                "--statements", "--quiet")
        eq((r.code, r.err), (0, ""), r)
        got, want = (os.path.join(o, "statements_" + AS_OF) for o in (out, t.p("again")))
        eq(len(os.listdir(got)), 61, "the 60 providers and the closeout's dealer")
        eq({n: sha256(os.path.join(got, n)) for n in os.listdir(got)},
           {n: sha256(os.path.join(want, n)) for n in os.listdir(want)})


@postgresql_only("PostgreSQL's statement_timeout (SQLSTATE 57014)")
def test_a_statement_timeout_is_75_try_later_and_the_rerun_completes():
    with Tmp() as t:
        night(t)
        r = svc("run", "--db", t.p("svc.db"), "--inbox", "in", "--out", "out",
                "--as-of", "2026-03-11", "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        con = connect(t.p("svc.db"))
        try:
            # a statement slower than the session's statement_timeout:
            # an insert into dispatch waits 3 s (as one would on a busy
            # server, or behind another client's lock)
            con.execute("CREATE FUNCTION slow_insert() RETURNS trigger LANGUAGE plpgsql "
                        "AS $$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$")
            con.execute("CREATE TRIGGER slow_insert BEFORE INSERT ON dispatch "
                        "FOR EACH ROW EXECUTE FUNCTION slow_insert()")
        finally:
            con.close()
        t.csv("in/dispatches_2.csv", DSP_HDR,
              ["Q9,2026-03-12 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN"])
        r = svc("run", "--db", t.p("svc.db"), "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", "--summary", "s.json", cwd=t.path,
                env={"PGOPTIONS": "-c statement_timeout=1000"})
        eq(r.code, 75, r)
        got = lines(r.err)
        eq(len(got), 1, r.err)
        check("canceling statement due to statement timeout (statement_timeout, or an "
              "administrator's cancel); the server rolled back the transaction in flight, "
              "what was committed is kept: run again later; if it recurs, raise "
              "statement_timeout for svcrecon's role" in got[0], got[0])
        check("password" not in got[0], got[0])
        s = validate_summary(t.p("s.json"))
        eq((s["exit_code"], s["status"]), (75, "busy"), s)
        eq(query(t.p("svc.db"), "SELECT count(*) FROM dispatch WHERE dispatch_id = 'Q9'"),
           [(0,)], "the file was rolled back")
        con = connect(t.p("svc.db"))
        try:
            con.execute("DROP TRIGGER slow_insert ON dispatch")
        finally:
            con.close()
        r = svc("run", "--db", t.p("svc.db"), "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", "--summary", "s.json", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        eq(query(t.p("svc.db"), "SELECT count(*) FROM dispatch WHERE dispatch_id = 'Q9'"),
           [(1,)])
        eq(query(t.p("svc.db"), "SELECT count(*), count(DISTINCT sha256) FROM imported_file"),
           [(4, 4)])
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("again"), "--as-of", AS_OF,
                "--quiet")
        eq((r.code, r.err), (0, ""), r)
        eq(books(t.p("out")), books(t.p("again")))


def open_file_limit(limit):
    """In the child before exec: an open-file limit (ulimit -n, a unit's
    LimitNOFILE=)."""
    def set_limit():
        import resource
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
    return set_limit


@sqlite_only("the open-file count at which a feed's open fails is the "
             "SQLite run's (its database, journal and lock files)")
def test_a_low_open_file_limit_is_not_blamed_on_the_feeds():
    # `ulimit -n 10`: every feed was recorded as an unreadable delivery
    # ("cannot open: Too many open files; deliver it as a readable,
    # regular CSV file"), and the night's audit kept that false reason
    # after the rerun had loaded them (qa87). The limit is the run's, not
    # the file's: nothing recorded for the file, one line saying what to
    # do, 70 (as out of memory), and the rerun's audit lists them loaded.
    with Tmp() as t:
        night(t)
        p, line = under_limit(t, open_file_limit(10), 70, "run", "--db", "svc.db",
                              "--inbox", "in", "--out", "out", "--as-of", AS_OF,
                              "--quiet", "--summary", "s.json")
        check("too many open files (the process's limit, ulimit -n 10): raise it, "
              "then run again" in line[0] and "deliver it" not in line[0], line[0])
        s = validate_summary(t.p("s.json"))
        eq(s["exit_code"], 70, s)
        check(all(f["status"] != "unreadable" for f in s["files"]), s["files"])
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of", AS_OF,
                "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        eq(query(t.p("svc.db"), "SELECT status, count(*) FROM delivery GROUP BY status"),
           [("loaded", 3)])


main(globals())
