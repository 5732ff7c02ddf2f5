#!/usr/bin/python3
"""t9970 -- QA pass 37: the audit's night (schema version 8, table
inbox_note: what a `run` found in its inbox besides the feed files) under
kills, re-runs and strays of every sort.

One defect, red before its fix (two cases; their docstrings say what was seen):
an old night run again after a newer night had loaded its files listed
none of them, nor a file it refused (q_delivery_put.sql). Every other case
is a guard: it passed against main as it was when the pass began
(35a9f77), before any change. What was tried and held:
- SIGKILL at seeded random moments of a night whose inbox holds strays,
  and at fixed points (notes recorded, report under way; half the notes
  recorded), then the night run again: the workbooks are the bytes of a
  clean night's, the notes recorded once each (SPEC §4);
- strays added and removed between re-runs of one night, and of an older
  night after a newer one was reported (`run --as-of` an earlier date);
- strays that are directories, FIFOs, symbolic links (dangling too), names
  with a newline or bytes that are not UTF-8: listed, nothing followed or
  opened, nothing hangs; `--quiet` says one line per stray;
- an inbox empty one night and full the next (the defect), `import` +
  `report` mixed with `run`, `report --as-of A` against `run`'s audit
  (same bytes); --summary and --quiet against the audit;
- thousands of strays: one line each on stderr, the Run sheet still fit
  to one page wide, a retry up to date.
The seed of the random kills is printed on failure (SVCRECON_QA37_SEED=N
replays one)."""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (DSP_HDR, ON_PG, Tmp, book_digest, check, cmd, eq,  # noqa: E402
                     good_night, main, query, schema_of, settle, svc,
                     write_sql)

import openpyxl  # noqa: E402

N1, N2, N3 = "2026-03-11", "2026-03-12", "2026-03-13"
ENV = dict(os.environ, TZ="UTC")
BOOKS = ("unclosed_calls", "non_compensable", "audit")
STRAY = "found in the inbox as %s: its name matches no kind"
EMPTY = "a run of this night found no feed file in this inbox"


def run_args(t, as_of, inbox="in", out="out", *extra):
    return ["run", "--db", t.p("svc.db"), "--inbox", t.p(inbox), "--out", t.p(out),
            "--as-of", as_of, "--quiet"] + list(extra)


def run(t, as_of, inbox="in", out="out", code=0, *extra):
    r = svc(*run_args(t, as_of, inbox, out, *extra))
    eq(r.code, code, r)
    return r


def digests(t, as_of, out="out"):
    return {b: book_digest(t.p(out, "%s_%s.xlsx" % (b, as_of))) for b in BOOKS}


def warnings(path):
    """The Run sheet's Warnings block: [(File, Warning)]."""
    ws = openpyxl.load_workbook(path)["Run"]
    rows = list(ws.iter_rows(values_only=True))
    i = [k for k, r in enumerate(rows) if r[0] == "Warnings"]
    eq(len(i), 1, "one Warnings block")
    out = []
    for r in rows[i[0] + 2:]:
        if r[0] in (None, "(none)"):
            break
        out.append((r[0], r[1]))
    return out


def night_rows(path):
    """The Run sheet's files of the night and warnings (from the files'
    header to the database's totals)."""
    ws = openpyxl.load_workbook(path)["Run"]
    rows = list(ws.iter_rows(values_only=True))
    i = [k for k, r in enumerate(rows) if r[0] == "File"][0]
    j = [k for k, r in enumerate(rows) if r[0] == "Database totals since its first import"][0]
    check(i < j, "files before totals")
    return rows[i:j]


def audit(t, as_of, out="out"):
    return t.p(out, "audit_%s.xlsx" % as_of)


def notes(t):
    return query(t.p("svc.db"), "SELECT night_as_of_day, what, name, path FROM "
                 "inbox_note ORDER BY note_id")


def night_inbox(t, n_strays):
    """A good night with n_strays strays, some of them odd."""
    good_night(t)
    t.csv("in/dispatches_2.csv", DSP_HDR,
          ["R%d,2026-03-0%d 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN"
           % (i, 1 + i % 9) for i in range(200)] + ["bad,row"])
    for i in range(n_strays):
        t.write("in/Dispatches %04d.txt" % i, "dispatch_id\nX%d\n" % i)
    os.makedirs(t.p("in", "old"))
    os.symlink("/etc/hostname", t.p("in", "link.txt"))


def wipe(t):
    """The database and the output folder gone (the same database name, so
    that the workbooks, which name it, compare byte for byte)."""
    if ON_PG:
        settle()
        query(t.p("svc.db"), "DROP SCHEMA %s CASCADE" % schema_of(t.p("svc.db")))
    else:
        for name in os.listdir(t.path):
            if name.startswith("svc.db"):
                os.remove(t.p(name))
    shutil.rmtree(t.p("out"), ignore_errors=True)


def test_kill_9_at_random_moments_of_a_night_with_strays_then_rerun_is_a_clean_night():
    """Guard: SIGKILL at seeded random moments (before, during and after
    the notes, during the report), the night run again after each until
    it completes: its workbooks are the clean night's bytes and each note
    is recorded once."""
    seed = int(os.environ.get("SVCRECON_QA37_SEED") or random.randrange(1 << 30))
    rnd = random.Random(seed)
    with Tmp() as t:
        night_inbox(t, 300)
        start = time.time()
        run(t, N1)
        clean_time = time.time() - start
        want, want_notes = digests(t, N1), notes(t)
        eq(len(want_notes), 302, "300 strays, a folder, a link")
        landed = []
        for night in range(3):
            wipe(t)
            while True:
                p = subprocess.Popen(cmd(*run_args(t, N1)), env=ENV,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
                at = rnd.uniform(0.01, clean_time)
                # communicate, not wait-then-read: 300 strays' warnings
                # outgrow the pipe's 64 KiB, and a child blocked writing
                # them never ends by itself (each try was killed, forever)
                try:
                    _, err = p.communicate(timeout=at)
                except subprocess.TimeoutExpired:
                    p.send_signal(signal.SIGKILL)
                    _, err = p.communicate(timeout=600)
                rc = p.returncode
                if rc == -signal.SIGKILL:
                    landed.append(round(at, 2))
                    if ON_PG:
                        settle()
                    continue
                eq(rc, 0, "the run after kills at %s (seed %d): %s" % (landed, seed, err))
                break
            eq(digests(t, N1), want, "workbooks after kills at %s of a %.2f s night "
               "(seed %d)" % (landed, clean_time, seed))
            eq([n[1:] for n in notes(t)], [n[1:] for n in want_notes],
               "notes after kills (seed %d)" % seed)
        check(len(landed) >= 1, "no kill landed in three nights (seed %d)" % seed)
        print("     seed %d: kills landed at %s s of a %.2f s night"
              % (seed, landed, clean_time))


def test_kill_at_the_report_and_in_the_middle_of_the_notes_then_rerun():
    """Guard: two fixed points of the kill -- the notes recorded and the
    report under way (SVCRECON_TEST_PAUSE=report), and half of the notes
    recorded (the state a kill between two of their statements leaves,
    made by removing the last half) -- then run again: the clean bytes."""
    with Tmp() as t:
        night_inbox(t, 20)
        run(t, N1)
        want, want_notes = digests(t, N1), notes(t)
        wipe(t)
        p = subprocess.Popen(cmd(*run_args(t, N1)),
                             env=dict(ENV, SVCRECON_TEST_PAUSE="report"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while True:
            n = 0
            try:
                n = query(t.p("svc.db"), "SELECT COUNT(*) FROM inbox_note")[0][0]
            except Exception:
                pass
            if n == len(want_notes) or p.poll() is not None or time.time() > deadline:
                break
            time.sleep(0.05)
        time.sleep(0.3)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if ON_PG:
            settle()
        eq(len(notes(t)), len(want_notes), "the notes were recorded before the report")
        eq(query(t.p("svc.db"), "SELECT COUNT(*) FROM report_run"), [(0,)],
           "killed before the report was recorded")
        # half of the notes, as a kill between two of their statements
        write_sql(t.p("svc.db"), "DELETE FROM inbox_note WHERE note_id > "
                  "(SELECT MIN(note_id) + 10 FROM inbox_note)")
        eq(len(notes(t)), 11, "half of the notes left")
        run(t, N1)
        eq(digests(t, N1), want, "workbooks after the kill")
        eq([n[1:] for n in notes(t)], [n[1:] for n in want_notes], "notes")
        # and the retry is up to date
        r = svc(*run_args(t, N1)[:-1])
        check("up to date" in r.err, r.err)


def test_strays_between_reruns_of_a_night_and_of_an_older_night():
    """Guard: a stray added for a re-run of the night lists it (the audit
    written again), taken away it stays listed (same bytes); a stray found
    by a re-run of an older night after a newer one was reported is the
    older night's only; the same name in many nights, once a night."""
    with Tmp() as t:
        good_night(t)
        run(t, N1)
        run(t, N2)
        eq(warnings(audit(t, N1)), [], "no stray yet")
        t.write("in/notes.txt", "x")
        old2 = digests(t, N2)
        run(t, N1)
        eq([w[0] for w in warnings(audit(t, N1))], ["notes.txt"], "N1 re-run found it")
        check(warnings(audit(t, N1))[0][1].startswith(STRAY % t.p("in", "notes.txt")),
              warnings(audit(t, N1)))
        eq(digests(t, N2), old2, "N2's workbooks not touched by N1's re-run")
        run(t, N2)
        eq(warnings(audit(t, N2)), [("notes.txt", warnings(audit(t, N1))[0][1])],
           "N2 run again, the stray is still there: N2 found it too")
        run(t, N3)
        eq(len(warnings(audit(t, N3))), 1, "N3 found it")
        os.remove(t.p("in", "notes.txt"))
        before = digests(t, N1)
        r = svc(*run_args(t, N1)[:-1])
        eq(r.code, 0, r)
        eq(digests(t, N1), before, "taken away: N1 as it was")
        eq(len(warnings(audit(t, N1))), 1, "still listed")
        eq(query(t.p("svc.db"), "SELECT COUNT(*), COUNT(DISTINCT night_as_of_day) "
                 "FROM inbox_note"), [(3, 3)], "once a night")
        # report as of each night from the database: the run's bytes
        for n in (N1, N2, N3):
            r = svc("report", "--db", t.p("svc.db"), "--out", t.p("rep"), "--as-of", n)
            eq(r.code, 0, r)
            eq(book_digest(audit(t, n, "rep")), book_digest(audit(t, n)), "report %s" % n)


def test_an_empty_inbox_then_a_full_one_and_import_report_mixed_with_run():
    """Defect (red before the fix): night 1 an empty inbox (the note),
    night 2 the files and a stray; `import` + `report` for night 3 make no
    note; then night 1 run again with the full inbox. Seen: night 1's
    audit listed "Files of the night 0 ... (none)" -- the run was given
    the three files (skipped: night 2 had loaded them) and its Unclosed
    calls listed their call, but no skip was recorded: q_delivery_put.sql
    took every delivery after night 1's start, night 2's among them, for
    night 1's own. Now night 1 lists them, skipped, with its note (README:
    "run again after lists its files and that note, both true"); night
    2's audit, reported again, lists the files and warnings it did."""
    with Tmp() as t:
        os.makedirs(t.p("in"))
        r = run(t, N1)
        eq(len(r.err.strip().splitlines()), 1, "--quiet: one line, the empty inbox")
        check("no feed file" in r.err, r.err)
        eq([w[1].startswith(EMPTY) for w in warnings(audit(t, N1))], [True])
        good_night(t)
        t.write("in/readme.txt", "x")
        run(t, N2)
        eq([w[0] for w in warnings(audit(t, N2))], ["readme.txt"])
        t.csv("more/dispatches_9.csv", DSP_HDR,
              ["Z1,2026-03-12 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN"])
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", "--quiet",
                t.p("more", "dispatches_9.csv"))
        eq(r.code, 0, r)
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("out"), "--as-of", N3)
        eq(r.code, 0, r)
        eq(warnings(audit(t, N3)), [], "import and report make no note")
        eq(query(t.p("svc.db"), "SELECT COUNT(*) FROM inbox_note"), [(2,)])
        before2 = night_rows(audit(t, N2))
        run(t, N1)
        w = warnings(audit(t, N1))
        eq([x[0] for x in w], [t.p("in"), "readme.txt"], w)
        ws = openpyxl.load_workbook(audit(t, N1))["Run"]
        statuses = [r[6] for r in ws.iter_rows(values_only=True)
                    if r[0] and str(r[0]).endswith("_1.csv")]
        eq(statuses, ["skipped"] * 3, "night 1 lists the files as skipped")
        # a retry of night 1 adds nothing; night 2 reported again: same bytes
        n = query(t.p("svc.db"), "SELECT COUNT(*) FROM delivery")
        r = svc(*run_args(t, N1)[:-1])
        check("up to date" in r.err, r.err)
        eq(query(t.p("svc.db"), "SELECT COUNT(*) FROM delivery"), n, "no row added")
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("out"), "--as-of", N2)
        eq(r.code, 0, r)
        # (its counts and totals take in night 3's imported call, dated N2)
        eq(night_rows(audit(t, N2)), before2, "night 2's files and warnings as they were")


def test_odd_strays_directories_fifos_links_newlines_not_utf8():
    """Guard: a folder, a FIFO, a symbolic link, a dangling link, a name with
    a newline and one with a byte that is not UTF-8: each listed once,
    nothing opened (the FIFO does not block), exit 0, --quiet one line
    each; a re-run up to date; report from the database the same bytes."""
    with Tmp() as t:
        good_night(t)
        os.makedirs(t.p("in", "archive"))
        os.mkfifo(t.p("in", "pipe"))
        os.symlink("/etc/hostname", t.p("in", "link.txt"))
        os.symlink("nowhere", t.p("in", "dangling"))
        t.write("in/two\nlines.txt", "x")
        with open(os.path.join(t.p("in").encode(), b"caf\xe9.txt"), "w") as f:
            f.write("x")
        r = svc(*run_args(t, N1, "in", "out", "--summary", t.p("s.json")))
        eq(r.code, 0, r)
        eq(len(r.err.strip().splitlines()), 6, r.err)
        names = sorted(w[0] for w in warnings(audit(t, N1)))
        eq(names, sorted(["archive", "pipe", "link.txt", "dangling", "two\nlines.txt",
                          "caf\\xE9.txt"]), names)
        with open(t.p("s.json")) as f:
            s = json.load(f)
        eq(len([w for w in s["warnings"] if w["code"] == "stray_file"]), 6, s["warnings"])
        r = svc(*run_args(t, N1)[:-1])
        check("up to date" in r.err, r.err)
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("rep"), "--as-of", N1)
        eq(r.code, 0, r)
        eq(book_digest(audit(t, N1, "rep")), book_digest(audit(t, N1)), "report = run")


def test_thousands_of_strays():
    """Guard: 3,000 strays: one --quiet line each, the Run sheet lists them
    all and is still fit to one page wide, the retry is up to date."""
    with Tmp() as t:
        good_night(t)
        for i in range(3000):
            t.write("in/stray_%05d.txt" % i, "x")
        r = run(t, N1)
        eq(len(r.err.strip().splitlines()), 3000)
        w = warnings(audit(t, N1))
        eq(len(w), 3000)
        eq(w[0][0], "stray_00000.txt", "in the order found")
        ws = openpyxl.load_workbook(audit(t, N1))["Run"]
        check(ws.sheet_properties.pageSetUpPr.fitToPage, "fit to page")
        eq(ws.page_setup.fitToWidth in (None, 1), True, "one page wide")
        r = svc(*run_args(t, N1)[:-1])
        check("up to date" in r.err, r.err)


def test_an_old_night_run_again_lists_the_file_it_refused():
    """Defect (red before the fix), the same cause with a refusal: night 2
    refused dispatches_bad.csv; night 1 run again with the inbox as it is
    exits 65 and says the file was refused, yet its audit listed no file
    and no rejected row (no refusal was recorded for night 1: night 2's
    was taken for night 1's). Now night 1's audit lists the refusal and
    its rejected row; a retry adds no row."""
    with Tmp() as t:
        os.makedirs(t.p("in"))
        run(t, N1)
        t.write("in/dispatches_bad.csv", "x,y\n1,2\n")
        run(t, N2, code=65)
        r = run(t, N1, code=65)
        check("dispatches_bad.csv" in r.err and "file refused" in r.err, r.err)
        wb = openpyxl.load_workbook(audit(t, N1))
        files = [(r[0], r[6]) for r in wb["Run"].iter_rows(values_only=True)
                 if r[0] and str(r[0]).endswith(".csv")]
        eq(files, [("dispatches_bad.csv", "refused")], "night 1 lists the refusal")
        rej = [r for r in wb["Rejected rows"].iter_rows(values_only=True)
               if any(v is not None and "dispatches_bad.csv" in str(v) for v in r)]
        eq(len(rej), 1, "its rejected row (line 0: the file refused)")
        n = query(t.p("svc.db"), "SELECT COUNT(*) FROM delivery")
        run(t, N1, code=65)
        eq(query(t.p("svc.db"), "SELECT COUNT(*) FROM delivery"), n, "a retry adds no row")


def test_the_summary_says_what_the_audit_lists_and_quiet_says_it_each_run():
    """Guard: --summary's stray_file and empty_inbox warnings name the
    files and inbox the audit's notes name (paths as given), its status is
    `ok` (a stray is a warning, not a rejected row); with --quiet each run
    that finds them says one line each, the retry up to date included."""
    with Tmp() as t:
        good_night(t)
        t.write("in/b.txt", "x")
        t.write("in/a.txt", "x")
        r = run(t, N1, "in", "out", 0, "--summary", t.p("s.json"))
        eq(sorted(r.err.strip().splitlines()),
           sorted("svcrecon: %s: inbox file matches no kind (registrations*.csv, "
                  "dispatches*.csv, closeouts*.csv); left alone: rename it "
                  "if it is a feed, else move it out of the inbox"
                  % t.p("in", n)
                  for n in ("a.txt", "b.txt")), r.err)
        with open(t.p("s.json")) as f:
            s = json.load(f)
        eq((s["status"], s["exit_code"]), ("ok", 0), "the summary")
        files = [w["file"] for w in s["warnings"] if w["code"] == "stray_file"]
        eq(files, [t.p("in", "a.txt"), t.p("in", "b.txt")], s["warnings"])
        eq([w[1][len("found in the inbox as "):].split(": its name")[0]
            for w in warnings(audit(t, N1))], files, "the audit names the same")
        r = run(t, N1, "in", "out", 0, "--summary", t.p("s.json"))
        eq(len(r.err.strip().splitlines()), 2, "the retry says them again: %s" % r.err)
        os.makedirs(t.p("empty"))
        r = run(t, N2, "empty", "out", 0, "--summary", t.p("s.json"))
        with open(t.p("s.json")) as f:
            s = json.load(f)
        eq((s["status"], s["exit_code"]), ("ok", 0), "the summary of the empty night")
        eq(len(r.err.strip().splitlines()), 1, r.err)
        w = warnings(audit(t, N2))
        eq([x[0] for x in w], [t.p("empty")], "File is the inbox as given")
        check(w[0][1].startswith(EMPTY), w)


if __name__ == "__main__":
    main(globals())
