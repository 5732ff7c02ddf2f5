#!/usr/bin/python3
"""t8100 -- PostgreSQL as an operator meets it: the failure paths (QA pass 17).

A throw-away cluster of its own (tests/pgcluster.py), because these tests
stop and start the server, make databases of other encodings and change a
role's password: the shared cluster of the PostgreSQL pass must not see
that. So the suite is not in PG_SUITES; it runs in every build's pass (as
t0220 does) and says SKIP without PostgreSQL.

Checked, for import, run, report, explain and copy:
- the server not running: 66, one line of libpq's words (the reason and
  its hint, no doubled blank), nothing created (no output folder, no
  SQLite target of copy);
- the server stopped while a run loads (pg_ctl stop -m fast) and while
  it reports (-m immediate): 75 (try later; it was 70 before the lead
  made a lost connection 75), one line saying what was cut short and
  that the next run does it; restarted, the night run again gives the
  workbooks of a clean run byte for byte (same schema name, so same
  About sheet);
- a database that does not exist: 66 for every command, nothing created
  (svcrecon makes its schema, never the database: a typo in the URI must
  not start a history elsewhere, README "PostgreSQL"), and the line says
  how to create it;
- SQL_ASCII and LATIN1 databases: refused (66) before anything is made,
  saying how to create a UTF8/C one;
- a password with every odd character ('@', '/', ':', '%', '?', '#', '&',
  '=', a space), percent-encoded in the user part and as a password=
  parameter: never in stderr, stdout, a summary, any part of any workbook
  (statements included) or explain's output;
- a run holding the lock killed by -9: the next run goes (0); a second run
  and a report while one holds it: 75, naming the holder.
- the server stopped (-m immediate) during copy's COPY of dispatch: 75,
  the target's tables empty, the rerun copies every table.

Defects found, each seen red before its fix:
- a database missing from the server was libpq's words only ('database
  "nightdb" does not exist'): nothing said that svcrecon creates its
  schema but not the database, nor how to make one it accepts;
- libpq's multi-line messages were joined with a doubled blank ("failed:
  No such file or directory;  Is the server running ...").
- copy cut by a lost connection said only libpq's words ("copying table
  'dispatch': loading the rows: server closed the connection
  unexpectedly ..."), not that nothing was kept nor to run it again (as
  run's say_lost() does).
- `import FILE` cut by a lost connection said "it loads again on the next
  run" (a file given by hand is in no inbox: no run loads it), and
  `report` "the next run writes it": each now names its own command;
- a password= parameter with an '&' not percent-encoded
  ("password=Secret&Tail99") showed its tail in the database's name
  and in libpq's words ('... URI query parameter: "Tail99"'), on
  stderr and in the summary;
- a WARNING the server sends at login (a role setting it finds invalid)
  was printed raw by libpq's default notice processor, set aside only
  after the connection was made: two unprefixed lines on stderr with
  the SQLSTATE and a LOCATION line, --quiet or not (the same path
  printed a FATAL read with the login's ReadyForQuery, the server
  stopped as svcrecon connected; qa86);
- the connection lost as the database was opened (the server stopped
  just after the login) said the step and libpq's words only ("creating
  the schema: lost the connection to the server: ..."), not that nothing
  was done nor to run again, as a loss while loading or reporting says;
  so did one lost as the run lock was taken ("taking the run lock: lost
  the connection to the server: ..."; qa86; the test ends the session at
  the pause points "connected" and "locking")."""
import atexit
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import pgcluster  # noqa: E402
from svctest import ROOT, SVCRECON, Tmp, check, cmd, eq, main, skip, svc  # noqa: E402

INBOX = os.path.join(ROOT, "sample-data", "inbox")
AS_OF = "2026-03-12"
ODD_PW = "Zq9p@ss/w:rd%1?#&=x y"

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


def pg_ctl(c, *args):
    data = os.path.join(c.dir, "data")
    c._as_owner([os.path.join(pgcluster.bindir(), "pg_ctl"), "-D", data, "-w",
                 "-t", "60", "-l", os.path.join(c.dir, "server.log")]
                + list(args))


def server_stop(c, mode):
    pg_ctl(c, "-m", mode, "stop")


def server_start(c):
    pg_ctl(c, "-o", "-k %s -c listen_addresses='' -c fsync=off "
           "-c full_page_writes=off -c synchronous_commit=off" % c.dir, "start")


def no_schema(c, db, schema):
    return c.psql(db, "SELECT count(*) FROM pg_namespace WHERE nspname = '%s'"
                  % schema).strip() == "0"


def one_line(err):
    """The stderr lines that are not the final status line."""
    return [l for l in err.splitlines() if l and " exit " not in l]


def books(out):
    return sorted(os.path.relpath(p, out) for p in
                  glob.glob(os.path.join(out, "**", "*.xlsx"), recursive=True))


def same_bytes(a, b):
    ba, bb = books(a), books(b)
    eq(ba, bb, "workbooks")
    check(len(ba) >= 3, ba)
    for name in ba:
        with open(os.path.join(a, name), "rb") as fa, \
                open(os.path.join(b, name), "rb") as fb:
            check(fa.read() == fb.read(), "%s differs from a clean run's" % name)


def every_command(uri, schema, t, tag):
    """import, run, report, explain and copy (both ways) on uri; a list of
    (what, Run, paths that must not exist afterwards)."""
    d = ["--db", uri, "--schema", schema]
    out = t.p("out_" + tag)
    lite = t.p("copy_%s.db" % tag)
    return [
        ("import", svc("import", *d, "--kind", "registrations",
                       os.path.join(INBOX, "registrations_2026-03-11.csv"),
                       "--summary", t.p("s_import_%s.json" % tag)), []),
        ("run", svc("run", *d, "--inbox", INBOX, "--out", out, "--as-of", AS_OF,
                    "--summary", t.p("s_run_%s.json" % tag)), [out]),
        ("report", svc("report", *d, "--out", out, "--as-of", AS_OF), [out]),
        ("explain", svc("explain", *d, "--as-of", AS_OF, "D2601006"), []),
        ("copy from", svc("copy", "--from", uri, "--from-schema", schema,
                          "--to", lite), [lite]),
    ]


def test_a_server_that_is_not_running_is_66_on_one_line_nothing_made():
    c = cluster()
    with Tmp() as t:
        server_stop(c, "fast")
        try:
            runs = every_command(c.uri(), "down", t, "down")
            seed = t.p("seed.db")
            r = svc("import", "--db", seed, "--kind", "registrations",
                    os.path.join(INBOX, "registrations_2026-03-11.csv"), "--quiet")
            eq(r.code, 0, r)
            runs.append(("copy to", svc("copy", "--from", seed, "--to", c.uri(),
                                        "--to-schema", "down"), []))
        finally:
            server_start(c)
        for what, r, absent in runs:
            eq(r.code, 66, "%s: %r" % (what, r))
            lines = one_line(r.err)
            eq(len(lines), 1, "%s: one line: %r" % (what, r))
            check("cannot connect" in lines[0] and "Is the server running" in lines[0],
                  "%s: %r" % (what, r))
            check(";  " not in lines[0] and "\t" not in lines[0],
                  "%s: libpq's lines joined with one blank: %r" % (what, lines[0]))
            for p in absent:
                check(not os.path.exists(p), "%s made %s" % (what, p))
        with open(t.p("s_run_down.json")) as f:
            doc = json.load(f)
        eq(doc["exit_code"], 66)
        check("Is the server running" in doc["error"], doc["error"])
        check(no_schema(c, pgcluster.DATABASE, "down"), "schema made")


def test_a_missing_database_is_66_nothing_made_and_says_how_to_create_it():
    c = cluster()
    with Tmp() as t:
        uri = c.uri(db="nightdb")
        runs = every_command(uri, "svcrecon", t, "nodb")
        seed = t.p("seed.db")
        eq(svc("import", "--db", seed, "--kind", "registrations",
               os.path.join(INBOX, "registrations_2026-03-11.csv"), "--quiet").code, 0)
        runs.append(("copy to", svc("copy", "--from", seed, "--to", uri), []))
        for what, r, absent in runs:
            eq(r.code, 66, "%s: %r" % (what, r))
            lines = one_line(r.err)
            eq(len(lines), 1, "%s: one line: %r" % (what, r))
            check('database "nightdb" does not exist' in lines[0], lines[0])
            check("CREATE DATABASE nightdb OWNER postgres TEMPLATE template0 "
                  "ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'" in lines[0],
                  "%s: says how to create it: %r" % (what, lines[0]))
            for p in absent:
                check(not os.path.exists(p), "%s made %s" % (what, p))
        eq(c.psql("postgres", "SELECT count(*) FROM pg_database WHERE "
                  "datname = 'nightdb'").strip(), "0", "a database was created")
        # a role that is no superuser is named its owner (else, made as
        # said, the database would give it no CREATE: refused again), and
        # the statement given, run by a superuser, is all the run needs
        uri = c.uri(pgcluster.NOPRIV_ROLE, db="nightdb")
        stage = t.p("in2")
        os.makedirs(stage)
        shutil.copy(os.path.join(INBOX, "registrations_2026-03-11.csv"), stage)
        r = svc("run", "--db", uri, "--inbox", stage, "--out", t.p("o2"),
                "--as-of", "2026-03-11", "--quiet")
        eq(r.code, 66, r)
        line = one_line(r.err)[0]
        said = re.search(r"\((CREATE DATABASE nightdb OWNER %s [^;]*);"
                         % pgcluster.NOPRIV_ROLE, line)
        check(said, line)
        try:
            c.psql("postgres", said.group(1))
            r = svc("run", "--db", uri, "--inbox", stage, "--out", t.p("o2"),
                    "--as-of", "2026-03-11", "--quiet")
            eq(r.code, 0, r)
        finally:
            c.psql("postgres", "DROP DATABASE IF EXISTS nightdb")


def test_sql_ascii_and_latin1_databases_are_refused_before_anything_is_made():
    c = cluster()
    for db, enc in (("asc_db", "SQL_ASCII"), ("lat_db", "LATIN1")):
        c.psql("postgres", "DROP DATABASE IF EXISTS %s" % db)
        c.psql("postgres", "CREATE DATABASE %s TEMPLATE template0 ENCODING '%s' "
               "LC_COLLATE 'C' LC_CTYPE 'C'" % (db, enc))
        with Tmp() as t:
            out = t.p("out")
            for what, r, absent in every_command(c.uri(db=db), "svcrecon", t, db)[:3]:
                eq(r.code, 66, "%s on %s: %r" % (what, enc, r))
                check("'C %s', not 'C UTF8'" % enc in r.err and
                      "ENCODING 'UTF8'" in r.err, r)
                for p in absent:
                    check(not os.path.exists(p), "%s made %s" % (what, p))
            check(not os.path.exists(out))
            check(no_schema(c, db, "svcrecon"), "schema made in " + db)


def night(c, schema, out, env=None, summary=None):
    args = ["run", "--db", c.uri(), "--schema", schema, "--inbox", INBOX,
            "--out", out, "--as-of", AS_OF, "--statements"]
    if summary:
        args += ["--summary", summary]
    return svc(*args, env=env)


def stopped_at(c, t, schema, pause, mode, out):
    """A run paused at test hook `pause`, the server stopped (mode) under
    it, restarted; returns the run's outcome."""
    env = dict(os.environ, TZ="UTC", SVCRECON_TEST_PAUSE=pause)
    p = subprocess.Popen(
        [SVCRECON, "run", "--db", c.uri(), "--schema", schema, "--inbox", INBOX,
         "--out", out, "--as-of", AS_OF, "--statements",
         "--summary", t.p("s_cut.json")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(4)        # inside the pause (10 s)
    check(p.poll() is None, "the run ended before the pause")
    try:
        server_stop(c, mode)
    finally:
        server_start(c)
    out_, err = p.communicate(timeout=120)
    return p.returncode, err


def test_the_server_stopped_mid_run_is_75_and_the_rerun_equals_a_clean_run():
    c = cluster()
    with Tmp() as t:
        schema = "night_cut"
        eq(night(c, schema, t.p("clean")).code, 0)
        for pause, mode, says in (
                ("staged dispatches", "fast", "while loading this file"),
                ("report", "immediate", "while writing the report")):
            c.psql(pgcluster.DATABASE, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)
            out = t.p("cut_" + mode)
            code, err = stopped_at(c, t, schema, pause, mode, out)
            eq(code, 75, err)
            lines = [l for l in err.splitlines() if "lost the connection" in l]
            eq(len(lines), 1, err)
            check(says in lines[0] and "next run" in lines[0], lines[0])
            with open(t.p("s_cut.json")) as f:
                eq(json.load(f)["exit_code"], 75)
            r = night(c, schema, out)
            eq(r.code, 0, r)
            same_bytes(t.p("clean"), out)


def unzipped_texts(out):
    for p in glob.glob(os.path.join(out, "**", "*.xlsx"), recursive=True):
        with zipfile.ZipFile(p) as z:
            for n in z.namelist():
                yield "%s:%s" % (p, n), z.read(n)


def test_an_odd_password_is_shown_nowhere():
    c = cluster()
    c.psql(pgcluster.DATABASE, "ALTER ROLE %s PASSWORD '%s'" % (
        pgcluster.PASSWORD_ROLE, ODD_PW.replace("'", "''")))
    enc = urllib.parse.quote(ODD_PW, safe="")
    uris = [
        "postgresql://%s:%s@/%s?host=%s" % (pgcluster.PASSWORD_ROLE, enc,
                                           pgcluster.DATABASE, c.dir),
        "postgresql:///%s?host=%s&user=%s&password=%s" % (
            pgcluster.DATABASE, c.dir, pgcluster.PASSWORD_ROLE, enc),
    ]
    try:
        with Tmp() as t:
            seen = []
            for i, uri in enumerate(uris):
                s = "pw_%d" % i
                d = ["--db", uri, "--schema", s]
                rs = [svc("run", *d, "--inbox", INBOX, "--out", t.p("o%d" % i),
                          "--as-of", AS_OF, "--statements",
                          "--summary", t.p("s%d_run.json" % i)),
                      svc("report", *d, "--out", t.p("r%d" % i), "--as-of", AS_OF,
                          "--statements", "--summary", t.p("s%d_rep.json" % i)),
                      svc("explain", *d, "D2601006"),
                      svc("explain", *d, "--source", "dispatches_2026-03-11.csv:3"),
                      svc("copy", "--from", uri, "--from-schema", s,
                          "--to", t.p("c%d.db" % i),
                          "--summary", t.p("s%d_cf.json" % i)),
                      svc("copy", "--from", t.p("c%d.db" % i), "--to", uri,
                          "--to-schema", s + "_b", "--summary", t.p("s%d_ct.json" % i)),
                      # a wrong password next to the right one's words
                      svc("report", "--db", uri.replace("Zq9", "Zq8"), "--schema", s,
                          "--out", t.p("w%d" % i))]
                eq([r.code for r in rs], [0, 0, 0, 0, 0, 0, 66], rs)
                check("password authentication failed" in rs[-1].err, rs[-1])
                for r in rs:
                    seen += [("stdout", r.out.encode()), ("stderr", r.err.encode())]
                for p in glob.glob(t.p("s%d_*.json" % i)):
                    with open(p, "rb") as f:
                        seen.append((p, f.read()))
                for where in ("o%d" % i, "r%d" % i):
                    check(len(books(t.p(where))) >= 4, books(t.p(where)))
                    seen += list(unzipped_texts(t.p(where)))
            forms = {ODD_PW, enc, "Zq9", "Zq8", urllib.parse.quote(ODD_PW),
                     ODD_PW.replace("&", "&amp;")}
            for where, text in seen:
                for f in forms:
                    check(f.encode() not in text, "%r in %s" % (f, where))
            check(len(seen) > 40, len(seen))
    finally:
        c.psql(pgcluster.DATABASE, "ALTER ROLE %s PASSWORD '%s'" % (
            pgcluster.PASSWORD_ROLE, pgcluster.PASSWORD))


def test_the_lock_is_75_while_held_and_goes_with_a_killed_run():
    c = cluster()
    with Tmp() as t:
        schema = "night_lock"
        env = dict(os.environ, TZ="UTC", SVCRECON_TEST_PAUSE="report")
        p = subprocess.Popen(
            [SVCRECON, "run", "--db", c.uri(), "--schema", schema, "--inbox", INBOX,
             "--out", t.p("held"), "--as-of", AS_OF, "--quiet"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(4)
            check(p.poll() is None, "the holder ended early")
            for r in (night(c, schema, t.p("second")),
                      svc("report", "--db", c.uri(), "--schema", schema,
                          "--out", t.p("second"), "--as-of", AS_OF)):
                eq(r.code, 75, r)
                check("held by pid" in r.err and "try later" in r.err, r)
                check("svcrecon on %s pid %d" % (os.uname().nodename[:39], p.pid)
                      in r.err, r)
        finally:
            p.send_signal(signal.SIGKILL)
            p.wait()
        r = night(c, schema, t.p("after"))
        eq(r.code, 0, r)
        eq(len(books(t.p("after"))) >= 3, True)


TABLES = ("imported_file", "file_warning", "registration", "dispatch",
          "closeout", "rejected_row", "delivery", "report_run",
          "report_unclosed", "report_noncompensable_span", "cur_registration",
          "cur_dispatch", "cur_closeout", "cur_closeout_reason",
          "cur_registration_exception")


def counts(c, schema):
    return [c.psql(pgcluster.DATABASE, "SELECT count(*) FROM %s.%s" % (schema, n)
                   ).strip() for n in TABLES]


def test_the_server_stopped_mid_copy_is_75_says_copy_again_and_the_rerun_completes():
    c = cluster()
    with Tmp() as t:
        src, dst = "copy_src", "copy_dst"
        for s in (src, dst):
            c.psql(pgcluster.DATABASE, "DROP SCHEMA IF EXISTS %s CASCADE" % s)
        eq(night(c, src, t.p("o")).code, 0)
        env = dict(os.environ, TZ="UTC", SVCRECON_TEST_PAUSE="copy dispatch")
        p = subprocess.Popen(
            [SVCRECON, "copy", "--from", c.uri(), "--from-schema", src,
             "--to", c.uri(), "--to-schema", dst, "--summary", t.p("s.json")],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(4)
        check(p.poll() is None, "the copy ended before the pause")
        try:
            server_stop(c, "immediate")
        finally:
            server_start(c)
        _, err = p.communicate(timeout=120)
        eq(p.returncode, 75, err)
        lines = [l for l in err.splitlines() if "svcrecon: copy: " not in l]
        eq(len(lines), 1, err)
        check("lost the connection to the database server while copying" in lines[0]
              and "nothing of the copy is kept" in lines[0]
              and "run the same copy again" in lines[0], lines[0])
        check("nothing copied to" in err, err)
        with open(t.p("s.json")) as f:
            doc = json.load(f)
        eq((doc["exit_code"], doc["copy"]["committed"]), (75, False))
        check(all(n == "0" for n in counts(c, dst)), counts(c, dst))
        r = svc("copy", "--from", c.uri(), "--from-schema", src,
                "--to", c.uri(), "--to-schema", dst)
        eq(r.code, 0, r)
        eq(counts(c, dst), counts(c, src), "every table copied")


def cut(c, t, args, pause, mode="fast"):
    """svcrecon args paused at test hook `pause`, the server stopped under
    it and started again; (exit code, stderr)."""
    env = dict(os.environ, TZ="UTC", SVCRECON_TEST_PAUSE=pause)
    p = subprocess.Popen([SVCRECON] + args, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    check(p.poll() is None, "ended before the pause: %s" % args)
    try:
        server_stop(c, mode)
    finally:
        server_start(c)
    _, err = p.communicate(timeout=120)
    return p.returncode, err


def test_import_and_report_cut_by_the_server_say_to_run_that_command_again():
    c = cluster()
    with Tmp() as t:
        schema = "cut_cmds"
        c.psql(pgcluster.DATABASE, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)
        d = ["--db", c.uri(), "--schema", schema]
        reg = os.path.join(INBOX, "registrations_2026-03-11.csv")
        code, err = cut(c, t, ["import"] + d + ["--kind", "registrations", reg],
                        "staged registrations")
        eq(code, 75, err)
        lines = [l for l in err.splitlines() if "lost the connection" in l]
        eq(len(lines), 1, err)
        check("nothing of it is kept; import it again" in lines[0]
              and "next run" not in lines[0], lines[0])
        eq(c.psql(pgcluster.DATABASE, "SELECT count(*) FROM %s.imported_file"
                  % schema).strip(), "0")
        r = svc("import", *d, "--kind", "registrations", reg)
        eq(r.code, 0, r)
        code, err = cut(c, t, ["report"] + d + ["--out", t.p("o"), "--as-of", AS_OF],
                        "report", "immediate")
        eq(code, 75, err)
        lines = [l for l in err.splitlines() if "lost the connection" in l]
        eq(len(lines), 1, err)
        check("run the report again" in lines[0] and "next run" not in lines[0],
              lines[0])
        eq(c.psql(pgcluster.DATABASE, "SELECT count(*) FROM %s.report_run"
                  % schema).strip(), "0")
        r = svc("report", *d, "--out", t.p("o"), "--as-of", AS_OF)
        eq(r.code, 0, r)
        check(len(books(t.p("o"))) == 3, books(t.p("o")))


def test_a_password_parameter_with_a_bare_ampersand_is_shown_nowhere():
    c = cluster()
    with Tmp() as t:
        base = "postgresql:///%s?host=%s&user=%s" % (pgcluster.DATABASE, c.dir,
                                                    pgcluster.PASSWORD_ROLE)
        # '&' not percent-encoded: libpq reads the tail as a parameter of
        # its own and quotes it when it refuses it
        # (a tail holding '=', "Secret&Tail=99", reads as a parameter of
        # its own: shown and named by libpq, t7400's decision, README)
        for pw, tail in (("Secret&Tail99", "Tail99"), ("Sec&r3t&W0rd&x", "r3t"),
                         ("Sec&ret&connect_timeout=5", "ret")):
            for cmd_ in (["report", "--out", t.p("o")], ["explain", "D1"],
                         ["run", "--inbox", INBOX, "--out", t.p("o")]):
                if os.path.exists(t.p("s.json")):
                    os.remove(t.p("s.json"))
                summary = [] if cmd_[0] == "explain" else ["--summary", t.p("s.json")]
                r = svc(cmd_[0], "--db", base + "&password=" + pw, "--schema", "amp",
                        *(cmd_[1:] + summary))
                eq(r.code, 66, r)
                check("must be percent-encoded" in r.err and "(%26)" in r.err, r)
                doc = ""
                if summary:
                    with open(t.p("s.json")) as f:
                        doc = f.read()
                for text in (r.err, r.out, doc):
                    check(tail not in text and "Secret" not in text,
                          "%r shown: %s" % (tail, text))
            r = svc("copy", "--from", base + "&password=" + pw, "--to", t.p("x.db"))
            eq(r.code, 66, r)
            check(tail not in r.err, r.err)
            check(not os.path.exists(t.p("x.db")))
        # a real parameter after the password is still shown (and used)
        r = svc("report", "--db", base + "&password=nope&connect_timeout=5",
                "--schema", "amp", "--out", t.p("o"))
        eq(r.code, 66, r)
        check("&connect_timeout=5" in r.err and "nope" not in r.err, r.err)
        check("password authentication failed" in r.err, r.err)


def test_a_password_parameter_wins_over_the_user_parts_password():
    """Red before (QA pass 65): a URI with a password in its user part and
    a password= parameter (libpq uses the parameter's) was refused, 66
    "libpq does not read the password in the URI as it is written ...
    must be percent-encoded", although neither password holds such a
    character. Now libpq's choice stands: the parameter's right password
    connects, a wrong one is libpq's authentication failure, and neither
    password is shown."""
    c = cluster()
    with Tmp() as t:
        host = "host=%s" % c.dir
        uri = "postgresql://%s:Plain42@/%s?%s" % (pgcluster.PASSWORD_ROLE,
                                                 pgcluster.DATABASE, host)
        r = svc("run", "--db", uri + "&password=" + pgcluster.PASSWORD,
                "--schema", "twopw", "--inbox", INBOX, "--out", t.p("o"),
                "--as-of", AS_OF)
        eq(r.code, 0, r)
        check("percent-encoded" not in r.err, r.err)
        r = svc("report", "--db", uri + "&password=Plain43", "--schema", "twopw",
                "--out", t.p("o2"), "--as-of", AS_OF)
        check(not os.path.exists(t.p("o2")), "an output folder was made")
        eq(r.code, 66, r)
        check("password authentication failed" in r.err, r.err)
        check("percent-encoded" not in r.err, r.err)
        for text in (r.err, r.out):
            check("Plain4" not in text and pgcluster.PASSWORD not in text, text)


def test_a_warning_the_server_sends_at_login_is_not_printed_raw():
    """qa86: the server warns at login about a role setting it finds
    invalid; libpq's default notice processor printed it raw on stderr
    (SQLSTATE, LOCATION line), --quiet or not, for every command."""
    c = cluster()
    c.psql(pgcluster.DATABASE,
           "CREATE ROLE warned LOGIN SUPERUSER; "
           "ALTER ROLE warned SET default_text_search_config = 'public.nosuch'")
    try:
        with Tmp() as t:
            uri = c.uri("warned")
            for what, r, _ in every_command(uri, "warned", t, "warned"):
                eq(r.code, 0, "%s: %r" % (what, r))
                for text in (r.err, r.out):
                    check("WARNING" not in text and "LOCATION" not in text
                          and "nosuch" not in text, "%s: %r" % (what, text))
            r = svc("run", "--db", uri, "--schema", "warned", "--inbox", INBOX,
                    "--out", t.p("o"), "--as-of", AS_OF, "--quiet")
            eq((r.code, r.err), (0, ""), "--quiet: nothing on stderr")
    finally:
        c.psql(pgcluster.DATABASE, "SET client_min_messages = warning; "
               "DROP SCHEMA IF EXISTS warned CASCADE; DROP ROLE warned")


def test_the_connection_lost_as_the_database_opens_says_to_run_again():
    """qa86: a session the server ends right after the login or as it
    takes the run lock (a stop or restart just then) is 75 on one line
    saying nothing was done and to run the command again, for a command
    that writes and for explain."""
    c = cluster()
    with Tmp() as t:
        uri = c.uri()
        run = ["run", "--inbox", INBOX, "--out", t.p("o"), "--as-of", AS_OF]
        for what, point, args, when in (
                ("run", "connected", run, "opening it"),
                ("explain", "connected",
                 ["explain", "--as-of", AS_OF, "D2601006"], "opening it"),
                ("run", "locking", run, "taking the run lock")):
            if point == "locking":    # the schema made: opening it is quick
                eq(svc("import", "--db", uri, "--schema", "lost_open",
                       "--kind", "registrations",
                       os.path.join(INBOX, "registrations_2026-03-11.csv"),
                       "--quiet").code, 0)
            env = dict(os.environ, SVCRECON_TEST_PAUSE=point, TZ="UTC")
            p = subprocess.Popen(cmd(*args, "--db", uri, "--schema",
                                     "lost_open"), env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            # its session seen, then ended 1 s into the pause (5 s): not
            # while it still opens the database before the lock's pause
            session = ("FROM pg_stat_activity WHERE application_name LIKE "
                       "'svcrecon on %% pid %d'" % p.pid)
            for _ in range(40):
                time.sleep(0.1)
                if c.psql(pgcluster.DATABASE, "SELECT pid " + session).strip():
                    break
            time.sleep(1)
            ended = c.psql(pgcluster.DATABASE, "SELECT pg_terminate_backend(pid) "
                           + session).strip()
            out, err = p.communicate(timeout=60)
            eq(ended, "t", "%s: its session was not found to end" % what)
            eq(p.returncode, 75, "%s: %s" % (what, err))
            lines = one_line(err)
            eq(len(lines), 1, "%s: one line: %r" % (what, err))
            check("lost the connection to the database server while %s, "
                  "before anything was done: run the command again once the "
                  "server is back (" % when in lines[0], lines[0])
            check(not os.path.exists(t.p("o")), "%s made the output folder" % what)
        c.psql(pgcluster.DATABASE, "SET client_min_messages = warning; "
               "DROP SCHEMA IF EXISTS lost_open CASCADE")


def ended_in_pause(c, point, argv):
    """argv run held at the test pause point (10 s), its session on
    cluster c ended by pg_terminate_backend 4 s in: 75 expected. Returns
    the process, its stdout and its stderr."""
    env = dict(os.environ, SVCRECON_TEST_PAUSE=point, TZ="UTC")
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(4)    # inside the pause
    check(p.poll() is None, "%s: ended before the pause" % point)
    ended = c.psql(pgcluster.DATABASE, "SELECT pg_terminate_backend(pid)"
                   " FROM pg_stat_activity WHERE application_name LIKE "
                   "'svcrecon on %% pid %d'" % p.pid).strip()
    out, err = p.communicate(timeout=120)
    eq(ended, "t", "%s: its session was not found to end" % point)
    eq(p.returncode, 75, err)
    return p, out, err


def test_explain_cut_by_the_server_prints_nothing_and_says_run_again():
    """explain whose session the server ends mid-story: stdout empty (an
    auditor's script must never parse half a story), 75, and the line
    says to run it again once the server is back (qa86)."""
    c = cluster()
    with Tmp() as t:
        schema = "cut_explain"
        c.psql(pgcluster.DATABASE, "SET client_min_messages = warning; "
               "DROP SCHEMA IF EXISTS %s CASCADE" % schema)
        d = ["--db", c.uri(), "--schema", schema]
        eq(svc("run", *d, "--inbox", INBOX, "--out", t.p("o"),
               "--as-of", AS_OF, "--quiet").code, 0)
        whole = svc("explain", *d, "--as-of", AS_OF, "D2603013")
        eq(whole.code, 0, whole)
        for extra in ([], ["--json"]):
            p, out, err = ended_in_pause(
                c, "explain", cmd("explain", *d, "--as-of", AS_OF, *extra,
                                  "D2603013"))
            eq(out, "", "%s: half a story on stdout" % extra)
            lines = one_line(err)
            eq(len(lines), 1, err)
            check("lost the connection" in lines[0] and "run it again once "
                  "the server is back" in lines[0], lines[0])
        c.psql(pgcluster.DATABASE, "SET client_min_messages = warning; "
               "DROP SCHEMA IF EXISTS %s CASCADE" % schema)


def test_sslmode_require_against_a_server_without_ssl_says_what_to_do():
    """sslmode=require where the server answers 'no SSL': 66 with libpq's
    words only; it says what to do (qa86). A listener answering the
    SSLRequest with 'N', as a server with ssl = off does."""
    import socket
    import threading
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]

    def answer():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            try:
                conn.recv(8)             # the SSLRequest
                conn.sendall(b"N")       # this server does not do SSL
                conn.recv(1)
            except OSError:
                pass
            conn.close()
    threading.Thread(target=answer, daemon=True).start()
    try:
        with Tmp() as t:
            uri = "postgresql://svc@127.0.0.1:%d/svc?sslmode=require" % port
            for args in (["explain", "--db", uri, "--as-of", AS_OF, "D1"],
                         ["report", "--db", uri, "--out", t.p("o"),
                          "--as-of", AS_OF, "--quiet"]):
                r = svc(*args)
                eq(r.code, 66, r)
                lines = one_line(r.err)
                eq(len(lines), 1, r.err)
                check("does not support SSL" in lines[0] and
                      "enable SSL on the server" in lines[0] and
                      "sslmode=prefer" in lines[0], lines[0])
    finally:
        srv.close()


def test_copy_whose_source_is_lost_into_a_sqlite_file_says_only_what_is_true():
    """The source server lost mid-copy, the target a SQLite file: the line
    said "(a schema it made stays, empty)", which a file has not (qa86)."""
    c = cluster()
    with Tmp() as t:
        src = "copy_src_lite"
        c.psql(pgcluster.DATABASE, "SET client_min_messages = warning; "
               "DROP SCHEMA IF EXISTS %s CASCADE" % src)
        eq(night(c, src, t.p("o")).code, 0)
        _, _, err = ended_in_pause(
            c, "copy dispatch", [SVCRECON, "copy", "--from", c.uri(),
                                 "--from-schema", src, "--to", t.p("to.db")])
        lines = [l for l in err.splitlines() if "svcrecon: copy: " not in l]
        eq(len(lines), 1, err)
        check("lost the connection to the database server while copying"
              in lines[0] and "nothing of the copy is kept" in lines[0]
              and "run the same copy again" in lines[0], lines[0])
        check("schema" not in lines[0].split("(", 1)[0] and
              "a schema it made stays" not in lines[0] and
              "the target file holds no row of it" in lines[0], lines[0])
        if os.path.exists(t.p("to.db")):
            import sqlite3
            with sqlite3.connect(t.p("to.db")) as lite:
                n = lite.execute("SELECT name FROM sqlite_master WHERE "
                                 "name = 'imported_file'").fetchall()
                eq(lite.execute("SELECT count(*) FROM imported_file")
                   .fetchone()[0] if n else 0, 0, "rows left in the file")
        r = svc("copy", "--from", c.uri(), "--from-schema", src,
                "--to", t.p("to.db"))
        eq(r.code, 0, r)
        c.psql(pgcluster.DATABASE, "SET client_min_messages = warning; "
               "DROP SCHEMA IF EXISTS %s CASCADE" % src)


main(globals())
