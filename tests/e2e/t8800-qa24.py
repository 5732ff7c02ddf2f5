#!/usr/bin/python3
"""t8800 -- "the same bytes from the same data", against the environment
(QA pass 24): an auditor must get the same workbooks from the same data,
and a scheduler's environment is never the developer's.

Defects, each seen red before its fix:
- a report run with `--buckets 30,60` listed a call 108 days open under
  "61+", and the About sheet's explain commands, "run on the same
  database and as-of date", told "aging bucket 91+": they left out the
  report's --buckets, so explain took the default ones. Now the commands
  carry `--buckets LIST` when the report's are not the default (its
  workbooks, and each dealer statement's About);
- the run lock's holder line on SQLite said when the holder started in
  its own local time without the zone ("held by pid 4242 on host since
  2026-12-06 08:00:00", from a unit in Kiritimati, read by an analyst in
  Pago Pago as 08:00 of their day); PostgreSQL's already said UTC. Now
  "since 2026-12-05 18:00:00 UTC" on both;
- `svcrecon --help` / `--version` (and `COMMAND --help`) written to a
  stdout that cannot take it (`svcrecon --version > version.txt` on a full
  disk; here /dev/full) ended 0, silently, over an empty file; explain's
  output already said "standard output: write error" and ended 73. Now
  --help and --version do the same.

Guards (these held before this pass; they pin the decisions README
"Decisions", Batch, records, so that a change is seen):
- one database and one as-of date give byte-identical workbooks and
  statements, the same summary (minus times and paths) and the same
  messages whatever TZ (UTC, +14, -11, a POSIX rule string, a name that
  is no zone), LC_ALL/LANG (C, C.UTF-8, de_DE with its decimal comma,
  tr_TR with its dotless i, POSIX), HOME unset, stdin or stdout closed;
- `report` without --as-of takes the local date of TZ: Kiritimati (+14)
  and Pago Pago (-11) are on two different dates at every moment;
- the files svcrecon makes follow the umask: workbooks, statements and
  the summary 0666 & ~umask, folders 0777 & ~umask, a SQLite database and
  its lock 0644 & ~umask;
- the inbox: the same files created in another order with other mtimes,
  `import` + `report` instead of `run`, and the night split over two
  nights give the same listings (the audit and the Changes differ by
  design; Non-compensable's `New` column too);
- these values (Excel's 1900 leap-year bug, 9999-12-31, 23:59:59, sums
  of 0.1 + 0.2 h, 2.675 h) give the same cells on SQLite and PostgreSQL,
  and after `copy` either way.
"""
import datetime
import json
import locale
import os
import re
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, ON_PG, REG_HDR, SVCRECON, Tmp, book_db,  # noqa: E402
                     check, cmd, eq, explain_db, main, pg_uri, postgresql_only,
                     schema_of, sha256, skip, sqlite_only, svc)
from xlsx_helpers import cells, same_cells  # noqa: E402

AS_OF = "2026-03-12"


def inbox(t):
    """A night whose values round, straddle DST and sit on Excel's edges:
    labor hours 0.125, 2.675, 0.1 + 0.2, 0.005, 1.005; dispatches at
    01:30 on the US DST day and 23:59:59; dates 1900-02-28, 1900-03-01
    and 9999-12-31; dealer names with a dotless i and a dotted capital I."""
    t.write("in/registrations_1.csv", REG_HDR + "\n"
            "DI1,Dotless Iı İstanbul,iPF1,SI1,1900-02-28,N,\n"
            "DI2,istanbul ımaging,iPF2,SI2,1900-03-01,N,9999-12-31\n")
    t.write("in/dispatches_1.csv", DSP_HDR + "\n"
            "X1,2026-03-08 01:30,iPF1,SI1,DI1,c,1,p,open\n"
            "X2,2026-03-07 23:59:59,iPF2,SI2,DI2,c,1,p,OPEN\n"
            "X3,1900-02-28 23:59:59,iPF1,SI1,DI1,c,1,p,OPEN\n"
            "X4,1900-03-01 00:00,iPF1,si1,DI1,c,1,p,Open\n"
            "X5,2026-03-12 23:59:59,iPF1,SI1,DI2,c,1,p,OPEN\n")
    t.write("in/closeouts_1.csv", CLO_HDR + "\n"
            "DI1,2026-03-09 10:00,X1,SI1,iPF1,2026-03-09,t,0.125,r,\n"
            "DI1,2026-03-09 11:00,X1,SI1,iPF1,2026-03-09,t,2.675,r,\n"
            "DI1,2026-03-09 12:00,X1,SI1,iPF1,2026-03-09,t,1e-7,r,\n"
            "DI2,2026-03-09 14:00,X1,SI1,iPF1,2026-03-09,t,0.1,r,\n"
            "DI2,2026-03-09 15:00,X1,SI1,iPF1,2026-03-09,t,0.2,r,\n"
            "DI2,2026-03-12 23:59:59,NOPE,SI1,iPF1,1900-02-28,t,2.675,r,\n"
            "DI2,2026-03-10 09:00,Z,SI1,iPF1,9999-12-31,t,0.005,r,\n"
            "DI2,2026-03-10 09:00,Z2,SI1,iPF1,1900-03-01,t,1.005,r,\n")


def outputs(folder):
    """Every file under folder (workbooks, statements, summary) by its path
    relative to it: the bytes, the summary without its times."""
    got = {}
    for root, _, files in os.walk(folder):
        for f in files:
            p = os.path.join(root, f)
            rel = os.path.relpath(p, folder)
            if f.endswith(".json"):
                with open(p) as fh:
                    doc = json.load(fh)
                got[rel] = json.dumps(untimed(doc, folder), sort_keys=True)
            else:
                got[rel] = sha256(p)
    return got


def untimed(doc, folder):
    if isinstance(doc, dict):
        return {k: untimed(v, folder) for k, v in doc.items()
                if not k.endswith("seconds") and not k.endswith("_at")}
    if isinstance(doc, list):
        return [untimed(v, folder) for v in doc]
    if isinstance(doc, str):
        return doc.replace(folder, "OUT")
    return doc


def said(err, folder):
    return re.sub(r"\d+\.\d+ s\b", "N s", err.replace(folder, "OUT"))


def locale_installed(name):
    try:
        locale.setlocale(locale.LC_ALL, name)
        return True
    except locale.Error:
        return False
    finally:
        locale.setlocale(locale.LC_ALL, "C")


def test_the_about_sheets_explain_commands_tell_the_workbooks_aging_bucket():
    import shlex
    with Tmp() as t:
        inbox(t)
        t.write("in/dispatches_2.csv", DSP_HDR + "\n"
                "OLD,2025-11-24 10:05,iPF1,SI1,DI1,c,1,p,OPEN\n")
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", AS_OF, "--buckets", "30,60", "--statements", "--quiet")
        eq(r.code, 0, r)
        _, sheets = cells(t.p("out", "unclosed_calls_%s.xlsx" % AS_OF), [])
        listed = {row[0]: row for row in sheets["Unclosed calls"][1:]}
        eq(list(listed["OLD"][2:4]), [108, "61+"], "OLD in the workbook")
        books = ["unclosed_calls_%s.xlsx" % AS_OF, "non_compensable_%s.xlsx" % AS_OF,
                 "audit_%s.xlsx" % AS_OF, "statements_%s/DI1.xlsx" % AS_OF]
        for book in books:
            _, sheets = cells(t.p("out", book), [])
            commands = [row[1] for row in sheets["About"]
                        if isinstance(row[1], str) and row[1].startswith("svcrecon explain")]
            check(len(commands) >= 2, "%s: %s" % (book, commands))
            for c in commands:
                check(" --buckets 30,60 " in c, "%s: %s" % (book, c))
            # The page's command, as an analyst pastes it, for the old call.
            words = shlex.split(commands[0].replace("DISPATCH_ID", "OLD"))
            p = subprocess.run([SVCRECON] + words[1:], capture_output=True, text=True,
                               timeout=120)
            eq(p.returncode, 0, "%s: %s" % (book, p.stderr))
            check("unclosed, 108 days open, aging bucket 61+" in p.stdout,
                  "%s: %s" % (book, p.stdout[-400:]))
        # The default buckets: the commands as before, without --buckets.
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("plain"), "--as-of", AS_OF,
                "--quiet")
        eq(r.code, 0, r)
        _, sheets = cells(t.p("plain", "unclosed_calls_%s.xlsx" % AS_OF), [])
        commands = [row[1] for row in sheets["About"]
                    if isinstance(row[1], str) and row[1].startswith("svcrecon explain")]
        check(commands and not any("--buckets" in c for c in commands), commands)


@sqlite_only("the lock file's line; PostgreSQL's holder line, from the "
             "server, already says UTC (tests/e2e/t4100)")
def test_the_lock_holder_start_is_in_utc_whatever_either_tz():
    import time
    with Tmp() as t:
        inbox(t)
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", AS_OF, "--quiet")
        eq(r.code, 0, r)
        # The holder, in +14, pauses 10 s inside its report (test hook).
        holder = subprocess.Popen(
            [SVCRECON, "report", "--db", t.p("svc.db"), "--out", t.p("o2"), "--as-of",
             AS_OF, "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=dict(os.environ, TZ="Pacific/Kiritimati", SVCRECON_TEST_PAUSE="report"))
        try:
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    with open(t.p("svc.db.lock")) as f:
                        if ("pid %d " % holder.pid) in f.read():
                            break
                except FileNotFoundError:
                    pass
                time.sleep(0.05)
            r = svc("report", "--db", t.p("svc.db"), "--out", t.p("o3"), "--as-of", AS_OF,
                    env={"TZ": "Pacific/Pago_Pago"})
            now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        finally:
            holder.kill()
            holder.wait()
        eq(r.code, 75, r)
        m = re.search(r"held by pid %d on \S+ since (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"
                      r"( UTC)?; try later" % holder.pid, r.err)
        check(m, r.err)
        eq(m.group(2), " UTC", "the zone named: %s" % r.err)
        started = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")
        check(abs((now - started).total_seconds()) < 120,
              "started %s, now %s UTC: %s" % (started, now, r.err))


def test_help_and_version_to_a_full_stdout_are_73_never_0():
    for args in (["--help"], ["--version"], ["import", "--help"],
                 ["run", "--version"], ["explain", "--help"], ["copy", "--help"]):
        with open("/dev/full", "w") as full:
            p = subprocess.run([SVCRECON] + args, stdout=full,
                               stderr=subprocess.PIPE, text=True)
        eq(p.returncode, 73, "%s > /dev/full: %s" % (args, p.stderr))
        check("standard output: write error: No space left on device" in p.stderr,
              "%s: %s" % (args, p.stderr))
        eq(len(p.stderr.splitlines()), 1, p.stderr)
    # Written whole, it is still 0 and says nothing.
    p = subprocess.run([SVCRECON, "--version"], capture_output=True, text=True)
    eq((p.returncode, p.stderr), (0, ""), p)
    check(p.stdout.startswith("svcrecon "), p.stdout)


def test_one_database_gives_the_same_bytes_whatever_the_environment():
    if not locale_installed("tr_TR.UTF-8") or not locale_installed("de_DE.UTF-8"):
        skip("tr_TR.UTF-8 or de_DE.UTF-8 not generated (make test-deps: "
             "tests/ensure-locale)")
    with Tmp() as t:
        inbox(t)
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out",
                t.p("first"), "--as-of", AS_OF, "--quiet")
        eq(r.code, 0, r)
        base_env = {"TZ": "UTC", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        variants = [
            ("TZ=UTC", {}, ""),
            ("TZ=America/New_York", {"TZ": "America/New_York"}, ""),
            ("TZ=Pacific/Kiritimati", {"TZ": "Pacific/Kiritimati"}, ""),
            ("TZ=Pacific/Pago_Pago", {"TZ": "Pacific/Pago_Pago"}, ""),
            ("TZ=EST5EDT,M3.2.0,M11.1.0", {"TZ": "EST5EDT,M3.2.0,M11.1.0"}, ""),
            ("TZ=Asia/Tokio (no zone)", {"TZ": "Asia/Tokio"}, ""),
            ("LC_ALL=C", {"LC_ALL": "C", "LANG": "C"}, ""),
            ("LC_ALL=POSIX", {"LC_ALL": "POSIX", "LANG": "POSIX"}, ""),
            ("LC_ALL=de_DE.UTF-8", {"LC_ALL": "de_DE.UTF-8", "LANG": "de_DE.UTF-8"}, ""),
            ("LC_ALL=tr_TR.UTF-8", {"LC_ALL": "tr_TR.UTF-8", "LANG": "tr_TR.UTF-8"}, ""),
            ("LC_NUMERIC=de_DE.UTF-8", {"LC_ALL": None, "LC_NUMERIC": "de_DE.UTF-8"}, ""),
            ("HOME unset", {"HOME": None}, ""),
            ("stdin closed", {}, "<&-"),
            ("stdout closed", {}, ">&-"),
        ]
        seen = {}
        for i, (name, env, redirect) in enumerate(variants):
            out = t.p("out%d" % i)
            e = dict(os.environ)
            e.update(base_env)
            for k, v in env.items():
                if v is None:
                    e.pop(k, None)
                else:
                    e[k] = v
            argv = cmd("report", "--db", t.p("svc.db"), "--out", out, "--as-of",
                       AS_OF, "--statements", "--summary", os.path.join(out, "s.json"))
            line = " ".join("'%s'" % a.replace("'", "'\\''") for a in argv)
            p = subprocess.run(["/bin/sh", "-c", "exec %s %s" % (line, redirect)],
                               env=e, capture_output=True, text=True, timeout=300)
            eq(p.returncode, 0, "%s: %s" % (name, p.stderr))
            got = outputs(out)
            got["stderr"] = said(p.stderr, out)
            check(len([k for k in got if k.endswith(".xlsx")]) >= 5,
                  "%s: %s" % (name, sorted(got)))
            if not seen:
                seen = got
                first = name
                continue
            differ = sorted(k for k in set(seen) | set(got) if seen.get(k) != got.get(k))
            eq(differ, [], "%s against %s: differ" % (name, first))


def local_date(tz):
    return datetime.datetime.now(datetime.timezone.utc).astimezone(
        __import__("zoneinfo").ZoneInfo(tz)).date().isoformat()


def test_report_without_as_of_takes_the_local_date_of_tz():
    """+14 and -11: at every moment two different dates (README: today is
    the local date of TZ, taken once when the command starts)."""
    with Tmp() as t:
        inbox(t)
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches",
                t.p("in", "dispatches_1.csv"), "--quiet")
        eq(r.code, 0, r)
        dates = {}
        for tz in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
            for _ in range(2):      # a midnight passing meanwhile: try again
                before = local_date(tz)
                r = svc("report", "--db", t.p("svc.db"), "--out", t.p(tz), "--quiet",
                        "--summary", t.p(tz + ".json"), env={"TZ": tz})
                after = local_date(tz)
                if before == after:
                    break
            eq(r.code, 0, r)
            with open(t.p(tz + ".json")) as f:
                dates[tz] = json.load(f)["as_of"]
            eq(dates[tz], before, tz)
            check(os.path.exists(t.p(tz, "unclosed_calls_%s.xlsx" % before)), tz)
        check(dates["Pacific/Kiritimati"] != dates["Pacific/Pago_Pago"], dates)


def test_files_made_follow_the_umask():
    for mask in (0o077, 0o027, 0o000):
        with Tmp() as t:
            inbox(t)
            os.makedirs(t.p("db"))
            old = os.umask(mask)
            try:
                r = svc("run", "--db", t.p("db", "svc.db"), "--inbox", t.p("in"),
                        "--out", t.p("o", "p"), "--as-of", AS_OF, "--statements",
                        "--quiet", "--summary", t.p("s.json"))
            finally:
                os.umask(old)
            eq(r.code, 0, r)

            def mode(*p):
                return stat.S_IMODE(os.stat(t.p(*p)).st_mode)
            want_file, want_dir = 0o666 & ~mask, 0o777 & ~mask
            books = ["unclosed_calls_%s.xlsx" % AS_OF, "non_compensable_%s.xlsx" % AS_OF,
                     "audit_%s.xlsx" % AS_OF]
            for b in books:
                eq(oct(mode("o", "p", b)), oct(want_file), "%s, umask %o" % (b, mask))
            st = "statements_%s" % AS_OF
            eq(oct(mode("o", "p", st)), oct(want_dir), "statements folder, umask %o" % mask)
            for f in os.listdir(t.p("o", "p", st)):
                eq(oct(mode("o", "p", st, f)), oct(want_file), "%s, umask %o" % (f, mask))
            eq(oct(mode("o")), oct(want_dir), "--out's parent, umask %o" % mask)
            eq(oct(mode("o", "p")), oct(want_dir), "--out, umask %o" % mask)
            eq(oct(mode("s.json")), oct(want_file), "summary, umask %o" % mask)
            if not ON_PG:
                eq(oct(mode("db", "svc.db")), oct(0o644 & ~mask), "database, umask %o" % mask)
                eq(oct(mode("db", "svc.db.lock")), oct(0o644 & ~mask), "lock, umask %o" % mask)


NAMES = lambda db: [explain_db(db), book_db(db)]   # noqa: E731


def listings(folder):
    """The listing sheets a night's data decides, whatever came before:
    Unclosed calls, Non-compensable without its New column (a comparison
    with the previous report), Registration exceptions."""
    got = {}
    for book, sheet in (("unclosed_calls", "Unclosed calls"),
                        ("non_compensable", "Non-compensable"),
                        ("audit", "Registration exceptions")):
        _, sheets = cells(os.path.join(folder, "%s_%s.xlsx" % (book, AS_OF)), [])
        rows = sheets[sheet]
        if "New" in rows[0]:
            k = rows[0].index("New")
            rows = [r[:k] + r[k + 1:] for r in rows]
        got[sheet] = rows
    return got


def test_the_same_files_give_the_same_listings_however_delivered():
    with Tmp() as t:
        inbox(t)
        t.write("in/dispatches_2.csv", DSP_HDR + "\n"
                "X2,2026-03-11 08:00,iPF2,SI2,DI1,c2,1,p,OPEN\n"
                "X6,2026-03-11 09:00,iPF9,SI9,DI1,c,1,p,OPEN\n")
        names = sorted(os.listdir(t.p("in")))
        r = svc("run", "--db", t.p("a.db"), "--inbox", t.p("in"), "--out", t.p("a"),
                "--as-of", AS_OF, "--quiet")
        eq(r.code, 0, r)
        want = listings(t.p("a"))
        check(len(want["Unclosed calls"]) > 4 and len(want["Non-compensable"]) > 4, want)
        # Created in reverse order, the newest mtime on the first name.
        for i, n in enumerate(reversed(names)):
            with open(t.p("in", n), "rb") as f:
                t.write("rev/" + n, f.read())
            os.utime(t.p("rev", n), (1_000_000 + i, 1_000_000 + i))
        r = svc("run", "--db", t.p("b.db"), "--inbox", t.p("rev"), "--out", t.p("b"),
                "--as-of", AS_OF, "--quiet")
        eq(r.code, 0, r)
        eq(listings(t.p("b")), want, "created in reverse order, other mtimes")
        # import (each kind, its files in byte order) then report.
        for kind in ("registrations", "dispatches", "closeouts"):
            r = svc("import", "--db", t.p("c.db"), "--kind", kind, "--quiet",
                    *[t.p("in", n) for n in names if n.startswith(kind)])
            eq(r.code, 0, r)
        r = svc("report", "--db", t.p("c.db"), "--out", t.p("c"), "--as-of", AS_OF, "--quiet")
        eq(r.code, 0, r)
        eq(listings(t.p("c")), want, "import + report")
        # Two nights: the _1 files as of the day before, then all.
        for n in names:
            if n.endswith("_1.csv"):
                with open(t.p("in", n), "rb") as f:
                    t.write("two/" + n, f.read())
        r = svc("run", "--db", t.p("d.db"), "--inbox", t.p("two"), "--out", t.p("d1"),
                "--as-of", "2026-03-11", "--quiet")
        eq(r.code, 0, r)
        with open(t.p("in", "dispatches_2.csv"), "rb") as f:
            t.write("two/dispatches_2.csv", f.read())
        r = svc("run", "--db", t.p("d.db"), "--inbox", t.p("two"), "--out", t.p("d"),
                "--as-of", AS_OF, "--quiet")
        eq(r.code, 0, r)
        eq(listings(t.p("d")), want, "over two nights")


@postgresql_only("compares a SQLite database with a PostgreSQL one; the "
                 "PostgreSQL pass has the cluster")
def test_values_on_excels_edges_give_the_same_cells_on_both_back_ends():
    with Tmp() as t:
        inbox(t)
        lite = t.p("lite.db")

        def lite_run(*args):
            return subprocess.run([SVCRECON] + list(args), capture_output=True,
                                  text=True, env=dict(os.environ, TZ="UTC"), timeout=300)
        p = lite_run("run", "--db", lite, "--inbox", t.p("in"), "--out", t.p("lite"),
                     "--as-of", AS_OF, "--statements", "--quiet")
        eq(p.returncode, 0, p.stderr)
        r = svc("run", "--db", t.p("pg.db"), "--inbox", t.p("in"), "--out", t.p("pg"),
                "--as-of", AS_OF, "--statements", "--quiet")
        eq(r.code, 0, r)
        lite_names = ["--db %s" % lite, lite]
        check(same_cells(t.p("lite"), lite_names, t.p("pg"), NAMES(t.p("pg.db"))) > 500,
              "cells compared")
        # The sums: 0.1 + 0.2 h is 0.3 on each, 2.675 stays 2.675.
        _, sheets = cells(t.p("pg", "non_compensable_%s.xlsx" % AS_OF), [])
        by_dealer = {r[0]: r for r in sheets["Summary"] if r and r[0] in ("DI1", "DI2")}
        eq(by_dealer["DI2"][3], 3.985, "DI2: 0.1 + 0.2 + 2.675 + 0.005 + 1.005 h")
        eq(by_dealer["DI1"][3], 2.675, "DI1: the duplicate's 2.675 h")
        # copy both ways, then the next day's report on each: the same cells.
        p = lite_run("copy", "--from", lite, "--to", pg_uri(), "--to-schema",
                     schema_of(t.p("copied.db")))
        eq(p.returncode, 0, p.stderr)
        back = t.p("back.db")
        p = lite_run("copy", "--from", pg_uri(), "--from-schema", schema_of(t.p("pg.db")),
                     "--to", back)
        eq(p.returncode, 0, p.stderr)
        p = lite_run("report", "--db", lite, "--out", t.p("lite2"), "--as-of",
                     "2026-03-13", "--statements", "--quiet")
        eq(p.returncode, 0, p.stderr)
        for db, out in ((t.p("copied.db"), "copied"), (t.p("pg.db"), "pg2")):
            r = svc("report", "--db", db, "--out", t.p(out), "--as-of", "2026-03-13",
                    "--statements", "--quiet")
            eq(r.code, 0, r)
            same_cells(t.p("lite2"), lite_names, t.p(out), NAMES(db))
        p = lite_run("report", "--db", back, "--out", t.p("back"), "--as-of",
                     "2026-03-13", "--statements", "--quiet")
        eq(p.returncode, 0, p.stderr)
        same_cells(t.p("lite2"), lite_names, t.p("back"), ["--db %s" % back, back])


main(globals())
