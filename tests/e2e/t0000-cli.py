#!/usr/bin/python3
"""t0000 -- the command line (SPEC §5): usage errors are 64 with a reason
and the usage on stderr, --help on stdout, --version, the run lock (75,
naming the holder; a stale lock file does not block), the JSON summary."""
import fcntl
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (DSP_HDR, ON_PG, Tmp, check, db_exists, eq, main, query, schema_of,  # noqa: E402
                     sqlite_only, svc)

USAGE_CASES = [
    ([], "no command given"),
    (["frobnicate"], "unknown command 'frobnicate'"),
    (["import", "--db", "x.db", "--kind", "orders", "f.csv"], "unknown --kind 'orders'"),
    (["import", "--db", "x.db", "f.csv"], "import needs --kind KIND"),
    (["import", "--kind", "dispatches", "f.csv"], "import needs --db DB"),
    (["import", "--db", "x.db", "--kind", "dispatches"], "import needs at least one FILE"),
    (["report", "--db", "x.db"], "report needs --out DIR"),
    (["report", "--db", "x.db", "--out", "o", "--as-of", "2026-02-30"],
     "invalid --as-of date '2026-02-30'"),
    (["report", "--db", "x.db", "--out", "o", "--from", "tomorrow"], "invalid --from date 'tomorrow'"),
    # Excel's dates start at 1900-01-01: an as-of before it would read 1900-01-00.
    (["report", "--db", "x.db", "--out", "o", "--as-of", "1899-12-31"],
     "invalid --as-of date '1899-12-31' (YYYY-MM-DD or MM/DD/YYYY, from 1900-01-01)"),
    (["report", "--db", "x.db", "--out", "o", "--from", "12/31/1899"],
     "invalid --from date '12/31/1899' (YYYY-MM-DD or MM/DD/YYYY, from 1900-01-01)"),
    (["report", "--db", "x.db", "--out", "o", "--bogus"], "unknown option '--bogus'"),
    (["report", "--db", "x.db", "--out"], "option '--out' needs an argument"),
    (["report", "--db", "x.db", "--out", "o", "--buckets", "7,5"], "invalid --buckets '7,5'"),
    # Increasing, but past the limits: the message says which limit.
    (["report", "--db", "x.db", "--out", "o", "--buckets", ",".join(map(str, range(1, 13)))],
     "invalid --buckets '1,2,3,4,5,6,7,8,9,10,11,12' (at most 11 bounds)"),
    (["report", "--db", "x.db", "--out", "o", "--buckets", "7,100001"],
     "invalid --buckets '7,100001' (at most 100000 days)"),
    (["report", "--db", "x.db", "--out", "o", "extra"], "unexpected argument 'extra'"),
    (["run", "--db", "x.db", "--out", "o"], "run needs --inbox DIR"),
]


def test_usage_errors_exit_64_and_name_the_problem():
    with Tmp() as t:
        for args, msg in USAGE_CASES:
            r = svc(*args, cwd=t.path)
            eq(r.code, 64, "%s: %r" % (args, r))
            check(("svcrecon: " + msg) in r.err, "%s: %r" % (args, r.err))
            check("usage: svcrecon import" in r.err, args)
            eq(r.out, "", args)
            check(not db_exists(t.p("x.db")), "usage error touched the db: %s" % args)


def test_help_and_version():
    r = svc("--help")
    eq(r.code, 0)
    check(r.out.startswith("usage: svcrecon import"), r.out)
    check("--as-of DATE" in r.out and "75 the database is held" in r.out, r.out)
    eq(r.err, "")
    r = svc("--version")
    eq(r.code, 0)
    check(r.out.startswith("svcrecon 1.0.0 (sqlite 3."), r.out)
    check("libxlsxwriter" in r.out and "libcsv" in r.out, r.out)


def hold_lock(path):
    """A child process that holds DB.lock as svcrecon would."""
    code = ("import fcntl,os,sys,time\n"
            "fd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT)\n"
            "fcntl.lockf(fd,fcntl.LOCK_EX|fcntl.LOCK_NB)\n"
            "os.ftruncate(fd,0); os.write(fd,b'pid %d on testhost since 02:00:13\\n' % os.getpid())\n"
            "print('held',flush=True); time.sleep(60)\n")
    p = subprocess.Popen(["/usr/bin/python3", "-c", code, path], stdout=subprocess.PIPE,
                         text=True)
    eq(p.stdout.readline().strip(), "held")
    return p


@sqlite_only("the lock file beside the database (PostgreSQL's advisory lock: t0210)")
def test_lock_held_exits_75_naming_the_holder():
    with Tmp() as t:
        f = t.csv("d.csv", DSP_HDR, ["C1,2026-03-01,m,s,,,,,"])
        holder = hold_lock(t.p("svc.db.lock"))
        try:
            start = time.time()
            r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f,
                    "--summary", t.p("s.json"))
            eq(r.code, 75, r)
            check(time.time() - start < 5, "must exit at once")
            check("held by pid %d on testhost since 02:00:13; try later" % holder.pid in r.err,
                  r.err)
            check(not os.path.exists(t.p("svc.db")), "database touched while held")
            s = json.load(open(t.p("s.json")))
            eq(s["exit_code"], 75)
            check("held by pid" in s["error"], s)
        finally:
            holder.kill()
            holder.wait()
        # The holder died: its lock went with it; the stale file does not block.
        check(os.path.exists(t.p("svc.db.lock")))
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f)
        eq(r.code, 0, r)


@sqlite_only("a symbolic link to the database file and its lock file")
def test_lock_is_taken_through_a_symbolic_link_too():
    """The same database reached through a symbolic link (to the file or to
    its folder) takes the same lock: before, link.db.lock was another lock,
    a second run wrote the database at once and the first failed with 70
    ("UNIQUE constraint failed")."""
    with Tmp() as t:
        f = t.csv("d.csv", DSP_HDR, ["C1,2026-03-01,m,s,,,,,"])
        os.makedirs(t.p("real"))
        r = svc("import", "--db", t.p("real", "svc.db"), "--kind", "dispatches", f)
        eq(r.code, 0, r)
        os.symlink(t.p("real", "svc.db"), t.p("link.db"))
        os.symlink(t.p("real"), t.p("folder"))
        holder = hold_lock(t.p("real", "svc.db.lock"))
        try:
            for db in (t.p("link.db"), t.p("folder", "svc.db")):
                r = svc("import", "--db", db, "--kind", "dispatches", f)
                eq(r.code, 75, "%s: %r" % (db, r))
                check("held by pid %d" % holder.pid in r.err, r.err)
        finally:
            holder.kill()
            holder.wait()
        check(not os.path.exists(t.p("link.db.lock")), "a lock beside the link")


def test_summary_json_of_an_import():
    with Tmp() as t:
        good = t.csv("good.csv", DSP_HDR, ["C1,2026-03-01,m,s,,,,,", "C2,bad,m,s,,,,,"])
        bad = t.csv("bad.csv", "dispatch_id", ["C9"])
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", good, bad,
                t.p("nope.csv"), "--summary", t.p("s.json"))
        eq(r.code, 66, r)
        s = json.load(open(t.p("s.json")))
        eq(s["command"], "import")
        eq(s["exit_code"], 66)
        eq([(f["path"].split("/")[-1], f["status"], f["rows_read"], f["rows_loaded"],
             f["rows_rejected"]) for f in s["files"]],
           [("good.csv", "loaded", 2, 1, 1), ("bad.csv", "refused", 0, 0, 0),
            ("nope.csv", "unreadable", 0, 0, 0)])
        eq(len(s["files"][0]["sha256"]), 64)
        eq(s["control_totals"]["rows_read"], 2)
        eq(s["control_totals"]["refused"], 1)
        check(s["elapsed_seconds"] >= 0)
        check(not os.path.exists(t.p("s.json.tmp")))


def test_unknown_columns_are_named_once_in_the_summary_warnings():
    with Tmp() as t:
        f = t.csv("d.csv", DSP_HDR + ",Notes,Agent", ["C1,2026-03-01,m,s,,,,,,x,y"])
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f,
                "--summary", t.p("s.json"))
        eq(r.code, 0, r)
        eq(r.err.count("unknown columns ignored: 'Notes', 'Agent'"), 1, r.err)
        s = json.load(open(t.p("s.json")))
        eq(s["warnings"], [{"code": "unknown_columns", "file": f, "line": 1,
                            "message": "unknown columns ignored: 'Notes', 'Agent'"}])


@sqlite_only("a file that is not a SQLite database")
def test_not_a_database_is_refused_untouched():
    with Tmp() as t:
        db = t.write("svc.db", b"this is not a database at all, just text\n" * 100)
        before = open(db, "rb").read()
        f = t.csv("d.csv", DSP_HDR, ["C1,2026-03-01,m,s,,,,,"])
        r = svc("import", "--db", db, "--kind", "dispatches", f)
        eq(r.code, 65, r)
        check("file is not a database" in r.err, r.err)
        eq(open(db, "rb").read(), before)


def test_newer_schema_is_refused():
    with Tmp() as t:
        if ON_PG:   # lib/db_pg.c keeps the version in a one-row table
            query(t.p("svc.db"), "CREATE SCHEMA %s; CREATE TABLE %s.schema_version "
                  "(version INTEGER NOT NULL); INSERT INTO %s.schema_version VALUES (999)"
                  % ((schema_of(t.p("svc.db")),) * 3))
        else:
            query(t.p("svc.db"), "PRAGMA user_version = 999")
        f = t.csv("d.csv", DSP_HDR, ["C1,2026-03-01,m,s,,,,,"])
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f)
        eq(r.code, 65, r)
        check("schema version 999 is newer than this svcrecon" in r.err, r.err)


main(globals())
