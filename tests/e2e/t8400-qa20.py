#!/usr/bin/python3
"""t8400 -- PostgreSQL as a scheduler meets it: transient failures (QA pass 20).

A throw-away cluster of its own (tests/pgcluster.py), as t8100 has: these
tests stop the server while a session holds it, restart it with
max_connections=3, turn it into a standby and set a role's
idle_in_transaction_session_timeout, which the shared cluster of the
PostgreSQL pass must not see. So the suite is not in PG_SUITES; it runs in
every build's pass (as t8100 does) and says SKIP without PostgreSQL.

What a scheduler needs from the exit code (README "PostgreSQL", Failures):
75 "try later" when the server will take the run by itself later, 66 when
a person must correct something. Checked for import, run, report, explain
and copy:
- a server shutting down (pg_ctl stop -m smart while a session holds it:
  "the database system is shutting down", 57P03): 75, one line saying to
  try later, nothing made (no output folder, no schema); once the server
  is back the night runs (0);
- no free connection slot (max_connections=3, superuser_reserved_
  connections=1): two sessions held, a login without superuser gets
  "remaining connection slots are reserved ..." (53300), three held,
  the superuser "sorry, too many clients already" (53300): 75 each;
- a standby with hot_standby off ("the database system is not accepting
  connections", 57P03): 75, and the line says to name the primary;
- what stays 66 (a person must act): the server not running, a wrong
  password, a database the server does not have (its hint kept) -- these
  were 66 before and are kept (guards for the new connection loop);
- a host that accepts the TCP connection and never answers: 66 after
  connect_timeout, "timeout expired" (libpq's own wait is not exported,
  svcrecon now runs the loop itself; a guard);
- the server ending the session for idle_in_transaction_session_timeout
  while the report works (test hook "report"): 75, saying which setting
  and what to do; the summary says 75; run again, the night's workbooks
  equal a clean run's byte for byte.
No message shows what libpq's VERBOSE error verbosity adds (the SQLSTATE
after "FATAL:", a "LOCATION:" line).

And what the workbooks name (README "PostgreSQL", decision): every Run
and About sheet and the summary name what the connection reached --
postgresql://USER@/DB?host=SOCKETDIR&port=5432, then the typed URI's other
parameters -- whether the URI was typed whole, was "postgresql://" with
PG* variables, "postgresql://?service=night" with a service file, or held
a password (never shown); the About sheet's explain command, run, connects.

Defects found, each seen red before its fix (exit 66, or 70 for the
timeout, before):
- 57P03 (shutting down, standby) and 53300 (both variants) were 66, "an
  input cannot be opened", so the systemd unit (which retries 75) gave up
  on a night that a server restart or a busy moment had delayed;
- a session ended by idle_in_transaction_session_timeout was 70,
  "internal error", with libpq's words cut mid-sentence;
- with PG* variables or a service file the workbooks and the summary
  named the database "postgresql://" or "postgresql://?service=night"."""
import atexit
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pgcluster  # noqa: E402
from svctest import ROOT, SVCRECON, Tmp, check, eq, main, skip, svc  # noqa: E402

INBOX = os.path.join(ROOT, "sample-data", "inbox")
AS_OF = "2026-03-12"

_cluster = None


def cluster():
    """This suite's own cluster, started on first use."""
    global _cluster
    why = pgcluster.unavailable()
    if why:
        skip(why)
    if _cluster is None:
        _cluster = pgcluster.Cluster().start()
        atexit.register(_cluster.stop)
    return _cluster


def data(c):
    return os.path.join(c.dir, "data")


def pg_ctl(c, *args, wait=True):
    argv = [os.path.join(pgcluster.bindir(), "pg_ctl"), "-D", data(c),
            "-w" if wait else "-W", "-t", "60",
            "-l", os.path.join(c.dir, "server.log")] + list(args)
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "nobody", "--"] + argv
    return subprocess.run(argv, capture_output=True, text=True)


def server_start(c, extra="", wait=True):
    r = pg_ctl(c, "-o", "-k %s -c listen_addresses='' -c fsync=off "
               "-c full_page_writes=off -c synchronous_commit=off %s"
               % (c.dir, extra), "start", wait=wait)
    check(r.returncode == 0, "pg_ctl start: %s" % r.stderr)


def server_stop(c, mode="fast"):
    if os.path.exists(os.path.join(data(c), "postmaster.pid")):
        pg_ctl(c, "-m", mode, "stop")


def hold(c, seconds=60, user="postgres"):
    """A psql session holding a connection slot for seconds."""
    p = subprocess.Popen(
        [os.path.join(pgcluster.bindir(), "psql"), "-X", "-h", c.dir, "-U",
         user, "-d", pgcluster.DATABASE, "-c", "SELECT pg_sleep(%d)" % seconds],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p


def until_server_says(c, words, timeout=30):
    """Waits until a connection attempt is refused with words."""
    end = time.time() + timeout
    while time.time() < end:
        p = subprocess.run([os.path.join(pgcluster.bindir(), "psql"), "-X",
                            "-h", c.dir, "-U", "postgres", "-d",
                            pgcluster.DATABASE, "-c", "SELECT 1"],
                           capture_output=True, text=True)
        if words in p.stderr:
            return
        time.sleep(0.2)
    raise AssertionError("the server never said %r (%r)" % (words, p.stderr))


def until_sessions(c, n, timeout=30):
    """Waits until n client sessions are connected (pg_stat_activity)."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            got = int(c.psql(pgcluster.DATABASE, "SELECT count(*) FROM "
                             "pg_stat_activity WHERE backend_type = 'client "
                             "backend' AND pid <> pg_backend_pid()").strip())
        except RuntimeError:
            got = -1
        if got == n:
            return
        time.sleep(0.2)
    raise AssertionError("%d sessions never connected" % n)


def no_schema(c, schema):
    return c.psql(pgcluster.DATABASE, "SELECT count(*) FROM pg_namespace "
                  "WHERE nspname = '%s'" % schema).strip() == "0"


def lines_of(err):
    """The stderr lines that are not the final status line."""
    return [l for l in err.splitlines() if l and " exit " not in l]


def every_command(uri, schema, t, tag, env=None):
    """import, run, report, explain, copy from and copy to on uri; a list of
    (what, Run, paths that must not exist afterwards)."""
    d = ["--db", uri, "--schema", schema]
    out = t.p("out_" + tag)
    seed = t.p("seed_%s.db" % tag)
    if not os.path.exists(seed):
        eq(svc("import", "--db", seed, "--kind", "registrations",
               os.path.join(INBOX, "registrations_2026-03-11.csv"),
               "--quiet").code, 0)
    return [
        ("import", svc("import", *d, "--kind", "registrations",
                       os.path.join(INBOX, "registrations_2026-03-11.csv"),
                       env=env), []),
        ("run", svc("run", *d, "--inbox", INBOX, "--out", out, "--as-of", AS_OF,
                    "--summary", t.p("s_run_%s.json" % tag), env=env), [out]),
        ("report", svc("report", *d, "--out", out, "--as-of", AS_OF, env=env),
         [out]),
        ("explain", svc("explain", *d, "--as-of", AS_OF, "D2601006", env=env),
         []),
        ("copy from", svc("copy", "--from", uri, "--from-schema", schema,
                          "--to", t.p("copy_%s.db" % tag), env=env),
         [t.p("copy_%s.db" % tag)]),
        ("copy to", svc("copy", "--from", seed, "--to", uri, "--to-schema",
                        schema, env=env), []),
    ]


def check_try_later(runs, says, t, tag):
    for what, r, absent in runs:
        eq(r.code, 75, "%s: %r" % (what, r))
        lines = lines_of(r.err)
        eq(len(lines), 1, "%s: one line: %r" % (what, r))
        check(says in lines[0] and "try later" in lines[0],
              "%s: %r" % (what, lines[0]))
        check("LOCATION" not in lines[0] and "FATAL:  5" not in lines[0],
              "%s: VERBOSE's additions shown: %r" % (what, lines[0]))
        for p in absent:
            check(not os.path.exists(p), "%s made %s" % (what, p))
    with open(t.p("s_run_%s.json" % tag)) as f:
        doc = json.load(f)
    eq(doc["exit_code"], 75)
    check(says in doc["error"], doc["error"])


def night(c, schema, out, env=None, summary=None, uri=None):
    args = ["run", "--db", uri or c.uri(), "--schema", schema, "--inbox", INBOX,
            "--out", out, "--as-of", AS_OF, "--statements", "--quiet"]
    if summary:
        args += ["--summary", summary]
    return svc(*args, env=env)


def test_a_server_shutting_down_is_75_try_later_and_nothing_is_made():
    c = cluster()
    with Tmp() as t:
        holder = hold(c)
        until_sessions(c, 1)
        stopping = subprocess.Popen(
            (["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []) +
            [os.path.join(pgcluster.bindir(), "pg_ctl"), "-D", data(c), "-m",
             "smart", "-W", "stop"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            stopping.wait(timeout=30)
            until_server_says(c, "shutting down")
            runs = every_command(c.uri(), "shutdown", t, "down")
        finally:
            holder.kill()
            holder.wait()
            server_stop(c)          # waits for the smart stop to end
            server_start(c)
        check_try_later(runs, "shutting down", t, "down")
        check(no_schema(c, "shutdown"), "schema made")
        # the server back, the same night runs
        r = night(c, "shutdown", t.p("after"))
        eq(r.code, 0, r)


def test_no_free_connection_slot_is_75_in_both_of_the_servers_words():
    c = cluster()
    with Tmp() as t:
        server_stop(c)
        server_start(c, "-c max_connections=3 -c superuser_reserved_connections=1")
        holders = []
        try:
            holders = [hold(c), hold(c)]
            until_sessions(c, 2)
            env = {"PGPASSWORD": pgcluster.PASSWORD}
            runs = every_command(c.uri(user=pgcluster.PASSWORD_ROLE), "full",
                                 t, "reserved", env=env)
            check_try_later(runs, "no free connection slot", t, "reserved")
            check(all("remaining connection slots are reserved" in r.err
                      for _, r, _ in runs), runs[0][1])
            until_sessions(c, 2)    # svcrecon's last sessions have ended
            holders.append(hold(c))
            time.sleep(2)           # connected before anything else tries
            check(holders[-1].poll() is None, "the third session ended")
            until_server_says(c, "too many clients")
            runs = every_command(c.uri(), "full", t, "toomany")
            check_try_later(runs, "no free connection slot", t, "toomany")
            check(all("too many clients" in r.err for _, r, _ in runs),
                  runs[0][1])
        finally:
            for h in holders:
                h.kill()
                h.wait()
            server_stop(c)
            server_start(c)
        check(no_schema(c, "full"), "schema made")
        eq(night(c, "full", t.p("after")).code, 0)


def test_a_standby_that_takes_no_connections_is_75_and_says_name_the_primary():
    c = cluster()
    signal = os.path.join(data(c), "standby.signal")
    with Tmp() as t:
        server_stop(c)
        open(signal, "w").close()
        if os.geteuid() == 0:
            shutil.chown(signal, "nobody", "nogroup")
        try:
            server_start(c, "-c hot_standby=off", wait=False)
            until_server_says(c, "not accepting connections")
            runs = every_command(c.uri(), "standby", t, "standby")
        finally:
            server_stop(c)
            os.remove(signal)
            server_start(c)
        check_try_later(runs, "in recovery", t, "standby")
        check(all("name the primary" in r.err for _, r, _ in runs), runs[0][1])
        check(no_schema(c, "standby"), "schema made")


def test_what_a_person_must_correct_stays_66():
    c = cluster()
    with Tmp() as t:
        for tag, uri, env, says in (
                ("pw", c.uri(user=pgcluster.PASSWORD_ROLE), {"PGPASSWORD": "nope"},
                 "password authentication failed"),
                ("nodb", c.uri(db="nightdb"), None,
                 "CREATE DATABASE nightdb OWNER postgres TEMPLATE template0")):
            for what, r, absent in every_command(uri, "svcrecon", t, tag, env=env):
                eq(r.code, 66, "%s %s: %r" % (tag, what, r))
                check(says in r.err, "%s %s: %r" % (tag, what, r))
                check("LOCATION" not in r.err and "28P01" not in r.err and
                      "3D000" not in r.err, r.err)
                for p in absent:
                    check(not os.path.exists(p), "%s made %s" % (what, p))
        server_stop(c)
        try:
            runs = every_command(c.uri(), "svcrecon", t, "stopped")
        finally:
            server_start(c)
        for what, r, _ in runs:
            eq(r.code, 66, "%s: %r" % (what, r))
            check("Is the server running" in r.err, r.err)


def test_a_host_that_never_answers_is_66_after_connect_timeout():
    cluster()
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)                 # the kernel completes the handshake; no reply
    try:
        port = s.getsockname()[1]
        with Tmp() as t:
            start = time.time()
            r = svc("report", "--db", "postgresql://postgres@127.0.0.1:%d/svc"
                    "?connect_timeout=2" % port, "--out", t.p("o"))
            took = time.time() - start
            eq(r.code, 66, r)
            check("timeout expired" in r.err, r.err)
            check(1.5 < took < 15, "took %.1f s" % took)
            check(not os.path.exists(t.p("o")))
    finally:
        s.close()


def books(out):
    return sorted(os.path.relpath(p, out) for p in
                  glob.glob(os.path.join(out, "**", "*.xlsx"), recursive=True))


def test_idle_in_transaction_timeout_is_75_and_the_rerun_equals_a_clean_run():
    c = cluster()
    with Tmp() as t:
        schema = "idle_cut"
        eq(night(c, schema, t.p("clean")).code, 0)
        c.psql(pgcluster.DATABASE, "DROP SCHEMA %s CASCADE" % schema)
        c.psql(pgcluster.DATABASE, "ALTER ROLE postgres IN DATABASE svc SET "
               "idle_in_transaction_session_timeout = 1000")
        try:
            r = night(c, schema, t.p("cut"), summary=t.p("s.json"),
                      env={"SVCRECON_TEST_PAUSE": "report"})
        finally:
            c.psql(pgcluster.DATABASE, "ALTER ROLE postgres IN DATABASE svc "
                   "RESET idle_in_transaction_session_timeout")
        eq(r.code, 75, r)
        lines = lines_of(r.err)
        eq(len(lines), 1, r)
        check("idle_in_transaction_session_timeout" in lines[0] and
              "run again later" in lines[0] and
              "ALTER ROLE ... SET idle_in_transaction_session_timeout = 0"
              in lines[0] and lines[0].endswith(")"),
              "says which setting and what to do, whole: %r" % lines[0])
        with open(t.p("s.json")) as f:
            eq(json.load(f)["exit_code"], 75)
        eq(night(c, schema, t.p("cut")).code, 0)
        eq(books(t.p("cut")), books(t.p("clean")))
        check(len(books(t.p("clean"))) >= 3)
        for name in books(t.p("clean")):
            with open(os.path.join(t.p("clean"), name), "rb") as a, \
                    open(os.path.join(t.p("cut"), name), "rb") as b:
                check(a.read() == b.read(), "%s differs from a clean run's" % name)


def database_cells(out):
    """{workbook/sheet: the value beside 'Database'} of every Run and About
    sheet below out, and the About sheets' explain commands."""
    import openpyxl
    found, commands = {}, []
    for name in books(out):
        wb = openpyxl.load_workbook(os.path.join(out, name), read_only=True)
        try:
            for ws in wb.worksheets:
                if ws.title not in ("Run", "About"):
                    continue
                for row in ws.iter_rows(values_only=True):
                    if row and row[0] == "Database":
                        found["%s/%s" % (name, ws.title)] = row[1]
                    commands += [v for v in row if isinstance(v, str) and
                                 v.startswith("svcrecon explain --db")]
        finally:
            wb.close()
    return found, commands


def test_the_workbooks_and_summary_name_what_the_connection_reached():
    c = cluster()
    with Tmp() as t:
        want = "postgresql://postgres@/svc?host=%s&port=5432" % c.dir
        service = t.write("pg_service.conf", "[night]\nhost=%s\ndbname=svc\n"
                          "user=postgres\n" % c.dir)
        base = {"PGHOST": "", "PGDATABASE": "", "PGUSER": "", "PGPORT": "",
                "PGSERVICE": "", "PGSERVICEFILE": ""}
        ways = (
            ("typed", c.uri(), {}, want),
            ("pgvars", "postgresql://", {"PGHOST": c.dir, "PGDATABASE": "svc",
                                         "PGUSER": "postgres"}, want),
            ("service", "postgresql://?service=night",
             {"PGSERVICEFILE": service}, want + "&service=night"),
            ("password", "postgresql://svc_pw:%s@/svc?host=%s&sslmode=disable"
             % (pgcluster.PASSWORD, c.dir), {},
             "postgresql://svc_pw@/svc?host=%s&port=5432&sslmode=disable" % c.dir),
        )
        for tag, uri, env, name in ways:
            e = dict(base, **env)
            for k in [k for k, v in e.items() if v == ""]:
                e.pop(k)
            environ = {k: v for k, v in os.environ.items()
                       if not k.startswith("PG")}
            environ.update(e)
            out, summary = t.p("out_" + tag), t.p("s_%s.json" % tag)
            p = subprocess.run(
                [SVCRECON,
                 "run", "--db", uri, "--schema", "named_" + tag, "--inbox",
                 INBOX, "--out", out, "--as-of", AS_OF, "--quiet",
                 "--summary", summary],
                env=dict(environ, TZ="UTC"), capture_output=True, text=True)
            eq(p.returncode, 0, "%s: %s" % (tag, p.stderr))
            cells_, commands = database_cells(out)
            eq(len(cells_), 4, cells_)       # audit's Run, three About
            for where, v in cells_.items():      # and the schema (t9999)
                eq(v, "%s (schema named_%s)" % (name, tag),
                   "%s: %s" % (tag, where))
                check(pgcluster.PASSWORD not in v, v)
            with open(summary) as f:
                doc = json.load(f)
            eq((doc["database"], doc["schema"]), (name, "named_" + tag), tag)
            # the About sheet's explain command connects to the same place
            check(commands, "no explain command on About")
            import shlex
            argv = [a if a != "DISPATCH_ID" else "D2601006"
                    for a in shlex.split(commands[0])]
            check("'%s'" % name in commands[0], commands[0])
            r = subprocess.run(
                [SVCRECON]
                + argv[1:], env=dict(environ, TZ="UTC",
                                     PGPASSWORD=pgcluster.PASSWORD),
                capture_output=True, text=True)
            eq(r.returncode, 0, "%s: %s: %s" % (tag, commands[0], r.stderr))


main(globals())
