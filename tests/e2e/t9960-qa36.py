#!/usr/bin/python3
"""t9960 -- today's README, read as a new user reads it, against the
program (QA pass 36).

Each concrete claim of the newest README parts (Summary JSON, the audit's
night and its inbox notes, closed stdout, `copy`'s lines, usage errors)
was run in a scratch folder; those that held are kept here as guards
(passed before any change), the one that did not as a defect.

Defect, red before its fix:

- README "Summary JSON": "A `--summary` that names the SQLite database
  itself, through any path, or its `-wal`, `-shm`, `-journal` or `.lock`
  file, is a usage error (64) and no summary is written: renamed into
  place, it would replace the database and its whole history. The same
  holds for ... a `FILE` given to `import`, any file in `run`'s inbox ...,
  a workbook the command writes in `--out`". That held only when the
  command line was otherwise right: those checks run once it is whole,
  but a usage error found while parsing (a bad `--as-of`, an unknown
  option, an unknown `--kind`) writes its usage summary at once, to the
  `--summary` read so far, unchecked. Seen: `run --db svc.db --inbox in
  --out out --summary svc.db --as-of 2026-13-01` exited 64 and svc.db
  was the usage summary's JSON (the whole history gone); `import
  --summary in/dispatches_1.csv --kind nope in/dispatches_1.csv` replaced
  the feed; `... --summary out/audit_2026-03-12.xlsx --bogus` the
  workbook; `copy --from svc.db --summary svc.db --bogus --to x.db` the
  source. The same for a usage error found once the options were read
  but before the summary's name was checked: `run --db svc.db --inbox in
  --summary in/dispatches_1.csv` ("run needs --out DIR") replaced the
  feed, `report ... --from 2026-03-13 --summary out/audit_A.xlsx`
  (--from later than --as-of) the workbook; `TZ=Foo/Bar svcrecon run --db svc.db ... --summary svc.db`
  (TZ naming no zone, no --as-of) the database too, and so did `copy
  --from svc.db --to svc.db --summary svc.db` ("--from and --to name the
  same database", checked before the summary's name). Now the usage summary is not written when it names the
  database, a feed, an inbox file or a workbook given anywhere on the
  command line (app/cli.c usage_summary_unsafe), and is written as before
  otherwise.

Guards (each passed before any change):
- a usage summary to a harmless name is still written (status usage);
- the inbox notes on the audit's Run sheet, in README's words (a stray
  file "left alone"; an empty inbox "a run of this night found no feed
  file in this inbox"), once per night: a night run again is up to date,
  same bytes;
- `--summary /dev/fd/1` with stdout closed: 73, the night kept;
- `copy` of the sample nights (README: "16 tables, 316 rows from svc.db
  to ...").
"""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from svctest import (Tmp, check, eq, good_night, sha256,  # noqa: E402
                     sqlite_only, svc)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
AS_OF = "2026-03-12"


def _night(t):
    good_night(t)
    r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
            "--as-of", AS_OF, "--quiet", cwd=t.path)
    eq(r.code, 0, "the night: %r" % r)


def _raw(args, cwd, tz="UTC"):
    """svcrecon without svc()'s check of the summary: here --summary names
    a file that must stay what it is (a database, a feed, a workbook)."""
    p = subprocess.run(svctest.cmd(*args, cwd=cwd), cwd=cwd,
                       env=dict(os.environ, TZ=tz), capture_output=True,
                       text=True, errors="replace", timeout=120)
    return svctest.Run(p)


def _digests(t):
    """Every regular file of the folder (the database included), by
    SHA-256: what a refused usage summary must leave as it was."""
    got = {}
    for d, _, names in os.walk(t.path):
        for n in names:
            p = os.path.join(d, n)
            if not n.endswith(".lock"):
                got[os.path.relpath(p, t.path)] = sha256(p)
    return got


@sqlite_only("the database named as --summary is a SQLite file")
def test_usage_error_never_writes_the_summary_over_the_database():
    """Defect (red before the fix: svc.db became the usage summary's JSON,
    exit 64): a usage error found while parsing, after --summary named the
    database (or its -wal), before or after --db."""
    for args in (
            ["run", "--db", "svc.db", "--inbox", "in", "--out", "out",
             "--summary", "svc.db", "--as-of", "2026-13-01"],
            ["run", "--summary", "./svc.db", "--as-of", "2026-13-01",
             "--db=svc.db", "--inbox", "in", "--out", "out"],
            ["report", "--summary", "svc.db-wal", "--bogus", "--db",
             "svc.db", "--out", "out"],
            ["copy", "--from", "svc.db", "--summary", "svc.db", "--bogus",
             "--to", "x.db"],
            ["copy", "--summary", "svc.db", "--to", "x.db", "--from",
             "svc.db", "--buckets", "x"],
            ["copy", "--from", "svc.db", "--to", "svc.db", "--summary",
             "svc.db"]):
        with Tmp() as t:
            _night(t)
            before = _digests(t)
            r = _raw(args, t.path)
            eq(r.code, 64, "%s: %r" % (args, r))
            eq(_digests(t), before, "%s: every file as it was" % args)
            if args[0] == "run" and "--db=svc.db" not in args:
                # TZ naming no zone, no --as-of: the same usage summary
                r = _raw(["run", "--db", "svc.db", "--inbox", "in", "--out",
                          "out", "--summary", "svc.db"], t.path,
                         tz="Foo/Bar")
                eq(r.code, 64, "TZ: %r" % r)
                check("names no time zone" in r.err, r.err)
                eq(_digests(t), before, "TZ: every file as it was")
            r = svc("explain", "--db", "svc.db", "Q2", cwd=t.path)
            eq(r.code, 0, "%s: the database still reads: %r" % (args, r))


def test_usage_error_never_writes_the_summary_over_a_feed_or_workbook():
    """Defect (red before the fix: the feed, the workbook became JSON):
    the usage summary named a FILE of import, a file of run's inbox or a
    workbook of --out, given before the usage error."""
    for args in (
            ["import", "--summary", "in/dispatches_1.csv", "--kind", "nope",
             "in/dispatches_1.csv"],
            ["import", "--summary", "in/dispatches_1.csv", "--kind",
             "dispatches", "--bogus", "--", "in/dispatches_1.csv"],
            ["run", "--summary", "in/new.json", "--bogus", "--inbox", "in",
             "--out", "out"],
            ["run", "--db", "svc.db", "--inbox", "in", "--out", "out",
             "--summary", "out/audit_%s.xlsx" % AS_OF, "--bogus",
             "--as-of", AS_OF],
            # usage errors found once the options were read, before the
            # summary's name was checked against the command's files
            ["run", "--db", "svc.db", "--inbox", "in", "--summary",
             "in/dispatches_1.csv"],
            ["report", "--db", "svc.db", "--out", "out", "--as-of", AS_OF,
             "--from", "2026-03-13", "--summary",
             "out/audit_%s.xlsx" % AS_OF]):
        with Tmp() as t:
            _night(t)
            before = _digests(t)
            r = _raw(args, t.path)
            eq(r.code, 64, "%s: %r" % (args, r))
            eq(_digests(t), before, "%s: every file as it was" % args)


def test_usage_summary_to_its_own_name_still_written():
    """Guard (passed before): README "also for a usage error (64) once
    --summary FILE itself was parsed": to a name that is none of the
    command's files, the usage summary is written, status usage, also in
    the output folder."""
    for summary, args in (
            ("s.json", ["run", "--db", "svc.db", "--inbox", "in", "--out",
                        "out", "--summary", "s.json", "--as-of",
                        "2026-13-01"]),
            ("out/s.json", ["run", "--db", "svc.db", "--inbox", "in",
                            "--out", "out", "--summary", "out/s.json",
                            "--bogus"]),
            ("s.json", ["copy", "--from", "svc.db", "--to", "x.db",
                        "--summary", "s.json", "--bogus"])):
        with Tmp() as t:
            _night(t)
            r = svc(*args, cwd=t.path)
            eq(r.code, 64, "%s: %r" % (args, r))
            doc = svctest.validate_summary(t.p(summary))
            eq((doc["status"], doc["exit_code"]), ("usage", 64), str(args))
            check("--bogus" in doc["error"] or "2026-13-01" in doc["error"],
                  doc["error"])
    with Tmp() as t:      # `-` is stdout (README), checked the same way
        _night(t)
        r = svc("run", "--summary", "-", "--bogus", "--db", "svc.db",
                "--inbox", "in", "--out", "out", cwd=t.path)
        eq(r.code, 64, repr(r))
        import json
        eq(json.loads(r.out)["status"], "usage", r.out)


def _run_sheet_warnings(path):
    import openpyxl
    ws = openpyxl.load_workbook(path)["Run"]
    rows = [r for r in ws.iter_rows(values_only=True)]
    start = [i for i, r in enumerate(rows) if r[0] == "Warnings"]
    check(start, "a Warnings part on the Run sheet")
    out = []
    for r in rows[start[0] + 2:]:
        if r[0] is None or r[0].startswith("Database totals"):
            break
        out.append((r[0], r[1]))
    return out


def test_inbox_notes_on_the_audit_as_readme_says():
    """Guard (passed before): README "The audit's night": a stray is
    listed under Warnings on the Run sheet (File its name, Warning where it
    was found and that it was left alone); a night run again adds nothing
    and is up to date (same bytes); an empty inbox says "a run of this
    night found no feed file in this inbox"."""
    with Tmp() as t:
        good_night(t)
        t.write("in/notes.txt", "hello\n")
        base = ["run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF]
        r = svc(*base, cwd=t.path)
        eq(r.code, 0, repr(r))
        book = t.p("out", "audit_%s.xlsx" % AS_OF)
        w = _run_sheet_warnings(book)
        eq(len(w), 1, repr(w))
        eq(w[0][0], "notes.txt")
        check("in/notes.txt" in w[0][1] and "left alone" in w[0][1], w[0][1])
        digest = sha256(book)
        r = svc(*base, cwd=t.path)
        eq(r.code, 0, repr(r))
        check("up to date" in r.err, r.err)
        eq(sha256(book), digest, "the night run again: same bytes")
        os.makedirs(t.p("empty"))
        r = svc("run", "--db", "svc.db", "--inbox", "empty", "--out", "o2",
                "--as-of", "2026-03-13", cwd=t.path)
        eq(r.code, 0, repr(r))
        w = _run_sheet_warnings(t.p("o2", "audit_2026-03-13.xlsx"))
        eq([f for f, _ in w], ["empty"])
        check(w[0][1].startswith("a run of this night found no feed file "
                                 "in this inbox"), w[0][1])


def test_summary_to_closed_stdout_is_73_night_kept():
    """Guard (passed before): README "closed stdout": `--summary
    /dev/stdout` (and /dev/fd/1, `-`) with stdout closed ends 73 at the
    end of the night, which is done and kept."""
    for name in ("/dev/fd/1", "-"):
        with Tmp() as t:
            good_night(t)
            argv = svctest.cmd("run", "--db", "svc.db", "--inbox", "in",
                               "--out", "out", "--as-of", AS_OF, "--quiet",
                               "--summary", name, cwd=t.path)
            env = dict(os.environ, TZ="UTC")
            p = subprocess.run(argv, cwd=t.path, env=env, stdout=None,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: os.close(1))
            eq(p.returncode, 73, p.stderr)
            check("standard output was closed" in p.stderr, p.stderr)
            check(os.path.exists(t.p("out", "audit_%s.xlsx" % AS_OF)),
                  "the night's workbooks kept")


@sqlite_only("README's example line names svc.db, a SQLite file")
def test_copy_of_the_sample_nights_as_readme_shows():
    """Guard (passed before): README "Moving a SQLite database":
    `svcrecon: copy: exit 0; 16 tables, 316 rows from svc.db to ...` for
    the sample nights (make demo's two runs); --quiet says nothing."""
    with Tmp() as t:
        os.makedirs(t.p("inbox"))
        src = os.path.join(ROOT, "sample-data", "inbox")
        for night in ("2026-03-11", "2026-03-12"):
            for n in sorted(os.listdir(src)):
                if night in n:
                    shutil.copy(os.path.join(src, n), t.p("inbox", n))
            r = svc("run", "--db", "svc.db", "--inbox", "inbox", "--out",
                    "out", "--as-of", night, "--quiet", cwd=t.path)
            check(r.code in (0,), repr(r))
        r = svc("copy", "--from", "svc.db", "--to", "c.db", cwd=t.path)
        eq(r.code, 0, repr(r))
        last = r.err.strip().splitlines()[-1]
        check(last.startswith("svcrecon: copy: exit 0; 16 tables, 316 rows "
                              "from svc.db to c.db; "), last)
        r = svc("copy", "--from", "svc.db", "--to", "d.db", "--quiet",
                cwd=t.path)
        eq((r.code, r.err), (0, ""))


if __name__ == "__main__":
    svctest.main(globals())
