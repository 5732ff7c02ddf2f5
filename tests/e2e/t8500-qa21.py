#!/usr/bin/python3
"""t8500 -- svcrecon's files and command line, as someone trying to break
it sees them (QA pass 21), each case a defect seen red before its fix:

- an analyst's `explain`, run as another user (README: the database's
  folder must be writable for explain too), left DB-wal and DB-shm owned
  by that user beside the database (a read-only SQLite connection cannot
  remove them); the next nightly run then opened the -shm read-only and
  failed every night, 73, "recording the delivery: attempt to write a
  readonly database", until someone removed them by hand. Now a writing
  command that finds them not writable removes them when they are empty
  and no connection has the database open (it holds SQLite's own lock on
  the database meanwhile, so that no reader can start), and says what to
  do otherwise (75 while one is open, 73 when the -wal holds changes);
- a database file this user cannot write (a file mode, a file copied from
  a backup as another user) said only "database is read-only", and left
  DB-shm beside it with the file's read-only mode: after the operator
  made the file writable, the next run still failed 73 ("attempt to
  write a readonly database") because of that -shm. Now it is refused
  before SQLite opens it, nothing is left beside it, and the line says
  to make the file writable for this user;
- `report` given a zero-byte file (a copy that failed, `> svc.db`) wrote
  three workbooks of "0 unclosed calls", exit 0, and made the file a new
  empty database: SPEC §5's "report needs an existing database" (a typo
  must not become "0 unclosed calls") now holds for an empty file too:
  66, nothing made;
- a damaged database (a truncated copy) said "reading schema version:
  database disk image is malformed" and nothing of what to do; now it
  says the file is damaged, that nothing was changed, and to restore it
  from a backup;
- a SQLite database whose full path (symbolic links resolved, as SQLite
  resolves them) is longer than SQLite's unix VFS takes (504 bytes, the
  longest name of its -journal then fits in 512) said "unable to open
  database file", with no reason; now it says the path is too long for
  SQLite and to give a shorter one (a symbolic link does not help);
- a FIFO in the inbox (or given to import) hung the run for ever when
  stderr was a terminal: the progress bar opened the file for its size
  before the loader saw it was no regular file (t5000 checked FIFOs with
  stderr a pipe only). Now the bar takes the size from stat. So did a
  FIFO put in a feed's place between its checks and its load, and one
  under a workbook's or a statement's name in --out, which a re-run opens
  to check its SHA-256: now every file read by name is opened without
  blocking and read only when it is a regular file;
- an output folder whose workbooks' paths exceed the system's 4,096
  bytes said "output path too long", nothing of what to do, after the
  folder's path cut at 1,023 bytes (a folder that is not there): now the
  line says to give --out a shorter path, and a path too long for a
  message is cut in its middle, marked with an ellipsis, so that its
  start and its end show;
- a --db that is a symbolic link into a folder that is not there (a disk
  not mounted) said "unable to open database file" (and left a lock file
  beside the link); now it names the folder, as for a plain path, and
  the `mkdir -p` it gives is quoted for the shell (a name holding a
  quote gave a command that did not paste);
- an inbox folder that can be listed but not entered (mode r without x
  for the run's user) gave one line per file, each saying to "deliver it
  as a readable, regular CSV file" -- the files were fine; now one line
  about the inbox, what to do (chmod), nothing made, as for an inbox that
  cannot be listed;
- a folder under a workbook's name in --out: "cannot rename … into
  place: Is a directory", nothing of what to do; now it says the name is
  a folder there, to move it away and run again;
- `--db svc.db/` (a slash too many) said "the database's folder 'svc.db'
  does not exist; create it (mkdir -p 'svc.db')", which made the next run
  fail on a folder; now a usage error saying to give the database's file;
- `--summary` naming a folder (`--summary out`, a word left out) ran the
  whole night, then ended 73, "cannot write summary: Is a directory";
  now a usage error before anything is done, as for a --summary naming
  the database or a workbook;
- a symbolic link in the output folder where svcrecon removes a folder
  of its own -- `statements_A` (today's statements published as a link
  to a share), or a killed run's `.svcrecon-tmp-PID` or
  `.statements_A.old-PID` -- made the run delete every file of the folder
  the link points to, outside --out (report_remove_folder followed it).
  Now such a folder is opened without following a link, and a link is
  removed itself, never what it names;
- a lock file `DB.lock` that is a symbolic link was opened through it:
  the run wrote its "pid N on HOST since …" line over the file the link
  names and cut it to that length (root: any file). Now it is refused,
  73, saying to remove the link;
- likewise the summary's temporary file `FILE.tmp`: a link left under
  that name had the summary written over the file it names; now the
  temporary name is removed and created afresh, never followed;
- a feed named with a leading '-' (`-dispatches.csv`) given to import was
  "unknown option '-d'"; now the line says how to give such a name
  (after `--`, or as ./-dispatches.csv)."""
import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (Tmp, check, eq, good_night, main,  # noqa: E402
                     query, skip, sqlite_only, svc)

AS_OF = "2026-03-12"
ANALYST = 4321          # another user's id: an analyst running explain
NOBODY = 65534


def night(t, inbox="in"):
    """A small good night in t/inbox: every kind, nothing rejected."""
    good_night(t, inbox)


def lines(err):
    return [l for l in err.splitlines() if l.strip()]


from svctest import as_user  # noqa: E402


def svc_as(uid, *args, cwd):
    """svcrecon as user uid; returns (exit code, stderr)."""
    from svctest import cmd
    p = subprocess.run(cmd(*args, cwd=cwd, user=uid), cwd=cwd, capture_output=True,
                       text=True, preexec_fn=as_user(uid),
                       env=dict(os.environ, TZ="UTC"), timeout=300)
    return p.returncode, p.stderr


def shared_folder(t):
    """t's folder, writable by every user (a shared group folder), with a
    night in t/in, owned by nobody, the nightly run's user."""
    if os.geteuid() != 0:
        skip("a second user needs root (setuid)")
    night(t)
    os.makedirs(t.p("out"))
    for top, dirs, files in os.walk(t.path):
        for n in dirs + files + ["."]:
            os.chown(os.path.join(top, n), NOBODY, NOBODY)
    os.chmod(t.path, 0o1777)
    parent = t.path
    while parent != "/":                 # the users reach the folder
        parent = os.path.dirname(parent)
        if os.stat(parent).st_mode & 0o001 == 0:
            skip("%s cannot be crossed by another user" % parent)


def night_of(uid, t, as_of):
    return svc_as(uid, "run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                  "--as-of", as_of, "--quiet", cwd=t.path)


@sqlite_only("the -wal and -shm files beside a SQLite database")
def test_an_explain_by_another_user_does_not_stop_the_next_night():
    with Tmp() as t:
        shared_folder(t)
        eq(night_of(NOBODY, t, "2026-03-11"), (0, ""))
        code, err = svc_as(ANALYST, "explain", "--db", "svc.db", "Q1", cwd=t.path)
        eq(code, 0, err)
        left = sorted(n for n in os.listdir(t.path) if n.startswith("svc.db-"))
        if left == []:
            skip("this SQLite removes a reader's -wal and -shm itself")
        eq(os.stat(t.p("svc.db-shm")).st_uid, ANALYST, "the analyst's -shm")
        # the next night, as the nightly user
        eq(night_of(NOBODY, t, AS_OF), (0, ""), "the night after an explain")
        eq(query(t.p("svc.db"), "SELECT count(*) FROM report_run"), [(2,)])
        check(not [n for n in os.listdir(t.path) if n.startswith("svc.db-")],
              os.listdir(t.path))
        # the analyst's connection still open: the night waits for it (75,
        # try later), nothing removed under the reader
        svc_as(ANALYST, "explain", "--db", "svc.db", "Q1", cwd=t.path)
        holder = subprocess.Popen(
            [sys.executable, "-c", "import sqlite3, sys\n"
             "c = sqlite3.connect('file:svc.db?mode=ro', uri=True)\n"
             "c.execute('SELECT count(*) FROM dispatch').fetchall()\n"
             "print('ready', flush=True)\nsys.stdin.readline()\n"],
            cwd=t.path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            preexec_fn=as_user(ANALYST))
        try:
            eq(holder.stdout.readline().strip(), "ready")
            code, err = night_of(NOBODY, t, "2026-03-13")
            eq(code, 75, err)
            eq(len(lines(err)), 1, err)
            check("svc.db-shm" in err and "try later" in err, err)
            check(os.path.exists(t.p("svc.db-shm")), "the reader's -shm kept")
        finally:
            holder.communicate("\n", timeout=60)
        eq(night_of(NOBODY, t, "2026-03-13"), (0, ""), "the night once it closed")


@sqlite_only("a SQLite database file's mode")
def test_a_read_only_database_file_says_to_make_it_writable_and_leaves_nothing():
    with Tmp() as t:
        shared_folder(t)
        eq(night_of(NOBODY, t, "2026-03-11"), (0, ""))
        before = open(t.p("svc.db"), "rb").read()
        os.chmod(t.p("svc.db"), 0o444)
        code, err = night_of(NOBODY, t, AS_OF)
        eq(code, 73, err)
        eq(len(lines(err)), 1, err)
        check("svc.db: database is read-only" in err, err)
        check("make the file writable" in err, err)
        eq(open(t.p("svc.db"), "rb").read(), before, "database unchanged")
        eq(sorted(n for n in os.listdir(t.path) if n.startswith("svc.db")),
           ["svc.db", "svc.db.lock"], "nothing left beside it")
        os.chmod(t.p("svc.db"), 0o644)      # what the line said to do
        eq(night_of(NOBODY, t, AS_OF), (0, ""), "the night once it is writable")


@sqlite_only("a SQLite database file")
def test_report_on_an_empty_file_is_66_and_makes_nothing():
    with Tmp() as t:
        open(t.p("svc.db"), "wb").close()
        r = svc("report", "--db", "svc.db", "--out", "out", "--as-of", AS_OF,
                "--quiet", cwd=t.path)
        eq(r.code, 66, r)
        eq(len(lines(r.err)), 1, r.err)
        check("svc.db" in r.err and "empty" in r.err, r.err)
        check("report needs an existing database" in r.err, r.err)
        eq(os.path.getsize(t.p("svc.db")), 0, "the file untouched")
        check(not os.path.exists(t.p("out")), "no workbook")
        # import and run create the database in it, as in a missing file
        night(t)
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)


@sqlite_only("a SQLite database file")
def test_report_on_a_database_without_tables_is_66_and_makes_nothing():
    """Red before (qa54): a SQLite file that is a database but holds no
    table at all (a blank one another tool made, a copy's target left
    empty) was given svcrecon's schema by `report`, which wrote "0
    unclosed calls", recorded the report and ended 0 -- what the 0-byte
    file above and an empty PostgreSQL schema are refused for. Now 66,
    no workbook, no schema made, no lock file left beside it."""
    with Tmp() as t:
        con = sqlite3.connect(t.p("svc.db"))
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE t(a)")
        con.execute("DROP TABLE t")
        con.commit()
        con.close()
        r = svc("report", "--db", "svc.db", "--out", "out", "--as-of", AS_OF,
                "--quiet", cwd=t.path)
        eq(r.code, 66, r)
        eq(len(lines(r.err)), 1, r.err)
        check("svc.db" in r.err and "holds no svcrecon tables" in r.err, r.err)
        check("report needs an existing database" in r.err, r.err)
        check(not os.path.exists(t.p("out")), "no workbook")
        check(not os.path.exists(t.p("svc.db.lock")), "no lock file")
        con = sqlite3.connect(t.p("svc.db"))
        eq(con.execute("SELECT count(*) FROM sqlite_master").fetchone(), (0,))
        con.close()
        # import and run create the database in it, as in a missing file
        night(t)
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)


@sqlite_only("a SQLite database file")
def test_a_damaged_database_says_so_and_to_restore_it():
    with Tmp() as t:
        night(t)
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                "2026-03-11", "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        with open(t.p("svc.db"), "rb") as f:
            head = f.read(16384 * 3)           # its first pages: a copy cut short
        with open(t.p("cut.db"), "wb") as f:
            f.write(head)
        for args, code in [(["import", "--db", "cut.db", "--kind", "dispatches",
                             "in/dispatches_1.csv"], 65),
                           (["report", "--db", "cut.db", "--out", "out2", "--as-of",
                             AS_OF], 65),
                           (["run", "--db", "cut.db", "--inbox", "in", "--out", "out2",
                             "--as-of", AS_OF], 65)]:
            r = svc(*args, "--quiet", cwd=t.path)
            eq(r.code, code, (args, r))
            eq(len(lines(r.err)), 1, r.err)
            check(r.err.startswith("svcrecon: ") and "cut.db" in r.err, r.err)
            check("damaged" in r.err and "restore it from a backup" in r.err, r.err)
            eq(open(t.p("cut.db"), "rb").read(), head, "left as it was")
        check(not os.path.exists(t.p("out2")), "no workbook")


@sqlite_only("SQLite's longest path")
def test_a_database_path_too_long_for_sqlite_says_so():
    with Tmp() as t:
        night(t)
        top = os.path.realpath(t.path)
        # a folder whose database path is 600 bytes long
        deep = os.path.join(top, *["d" * 50] * 12)[:600 - len("/svc.db")].rstrip("/")
        os.makedirs(deep)
        db = os.path.join(deep, "svc.db")
        check(len(db) > 504, len(db))
        os.symlink(deep, t.p("short"))
        for given in (db, "short/svc.db"):
            for args, code in [(["import", "--db", given, "--kind", "dispatches",
                                 "in/dispatches_1.csv"], 73),
                               (["run", "--db", given, "--inbox", "in", "--out", "out",
                                 "--as-of", AS_OF], 73)]:
                r = svc(*args, "--quiet", cwd=t.path)
                eq(r.code, code, (args, r))
                eq(len(lines(r.err)), 1, r.err)
                check("path is %d bytes long" % len(db) in r.err, r.err)
                check("SQLite opens a database of at most 504" in r.err, r.err)
                check("give --db a shorter path" in r.err, r.err)
                check(not os.path.exists(db), "nothing made")
        # the longest that works
        room = 504 - len(top) - len("/svc.db")       # "/" and the folders
        parts = []
        while room > 0:
            k = min(200, room - 1)
            parts.append("e" * k)
            room -= k + 1
        ok = os.path.join(top, *parts, "svc.db")
        eq(len(ok), 504)
        os.makedirs(os.path.dirname(ok))
        r = svc("run", "--db", ok, "--inbox", "in", "--out", "out", "--as-of", AS_OF,
                "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)


def test_a_file_name_starting_with_a_dash_says_how_to_give_it():
    with Tmp() as t:
        night(t)
        shutil.copy(t.p("in", "dispatches_1.csv"), t.p("-dispatches.csv"))
        from svctest import db_args
        r = svc("import", *db_args("svc.db", cwd=t.path), "--kind", "dispatches",
                "-dispatches.csv", cwd=t.path)
        eq(r.code, 64, r)
        check("unknown option '-d'" in r.err, r.err)
        check("'-dispatches.csv'" in r.err and "-- -dispatches.csv" in r.err
              and "./-dispatches.csv" in r.err, r.err)
        r = svc("import", *db_args("svc.db", cwd=t.path), "--kind", "dispatches",
                "--quiet", "--", "-dispatches.csv", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        # an unknown option that names no file: no such advice
        r = svc("import", *db_args("svc.db", cwd=t.path), "--kind", "dispatches",
                "-x", "in/dispatches_1.csv", cwd=t.path)
        eq(r.code, 64, r)
        check("unknown option '-x'" in r.err and " -- " not in r.err, r.err)


def on_a_terminal_at_most(args, seconds, **popen):
    """svctest.on_a_terminal, ended after `seconds`: returns (exit code, or
    None when it had to be killed, and what it wrote on the terminal)."""
    import pty
    import select
    import time
    master, slave = pty.openpty()
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=slave, **popen)
    os.close(slave)
    data, end = b"", time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
    try:
        code = p.wait(timeout=max(end - time.time(), 1))
    except subprocess.TimeoutExpired:
        code = None
        p.kill()
        p.wait()
    os.close(master)
    return code, data.decode("utf-8", "replace")


def test_a_fifo_in_the_inbox_does_not_hang_a_run_on_a_terminal():
    from svctest import cmd
    with Tmp() as t:
        night(t)
        os.mkfifo(t.p("in", "dispatches_2.csv"))
        os.mkfifo(t.p("closeouts_f.csv"))
        for args in (["run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                      "--as-of", AS_OF],
                     ["import", "--db", "svc.db", "--kind", "closeouts",
                      "closeouts_f.csv"]):
            # the progress bar opened the file for its size: a FIFO with no
            # writer blocked that open for ever
            code, text = on_a_terminal_at_most(cmd(*args, cwd=t.path), 60,
                                               cwd=t.path)
            check(code is not None, "%s hung on the FIFO: %r" % (args[0], text))
            eq(code, 66, text)
            check("cannot open: not a regular file" in text, repr(text))
        eq(query(t.p("svc.db"), "SELECT count(*) FROM dispatch"), [(2,)])


def test_an_output_path_too_long_is_named_and_says_what_to_do():
    with Tmp() as t:
        night(t)
        top = os.path.realpath(t.path)
        # an output folder the system takes, whose workbooks' paths it
        # would not: 4,096 bytes at most
        deep = os.path.join(top, *["o" * 200] * 19)
        deep = os.path.join(deep, "q" * (4070 - len(deep) - 1))
        eq(len(deep), 4070)
        os.makedirs(deep)
        out = os.path.join(deep, "out")
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", out, "--as-of",
                AS_OF, "--quiet", cwd=t.path)
        eq(r.code, 73, r)
        eq(len(lines(r.err)), 1, r.err)
        check("output path too long" in r.err and "give --out a shorter path" in r.err,
              r.err)
        # the path shown is cut in its middle, marked, not at its end (which
        # named a folder that is not there)
        shown = r.err[len("svcrecon: "):r.err.index(": output path")]
        check(shown.startswith(top + "/ooo") and shown.endswith("qqq/out")
              and "\u2026" in shown, shown)
        check(len(shown.encode()) < 1024, len(shown))
        # the files were imported all the same; a shorter --out completes it
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)


@sqlite_only("a SQLite database's folder")
def test_a_database_link_into_a_missing_folder_names_the_folder():
    with Tmp() as t:
        night(t)
        # a link to a database on a disk that is not mounted, say
        os.symlink(t.p("data", "svc", "svc.db"), t.p("svc.db"))
        os.makedirs(t.p("it's"))
        for db, folder in [("svc.db", t.p("data", "svc")),
                           ("it's/gone/svc.db", "it's/gone")]:
            r = svc("run", "--db", db, "--inbox", "in", "--out", "out", "--as-of",
                    AS_OF, "--quiet", cwd=t.path)
            eq(r.code, 73, r)
            eq(len(lines(r.err)), 1, r.err)
            check("the database's folder '%s' does not exist" % folder in r.err, r.err)
            check("unable to open" not in r.err, r.err)
            # the command to paste, quoted for the shell whatever the name
            cmdline = r.err[r.err.index("(mkdir -p ") + 1:r.err.index("), or correct")]
            c = subprocess.run(["sh", "-c", cmdline], cwd=t.path)
            eq(c.returncode, 0, cmdline)
            check(os.path.isdir(os.path.join(t.path, folder)), cmdline)
            r = svc("run", "--db", db, "--inbox", "in", "--out", "out", "--as-of",
                    AS_OF, "--quiet", cwd=t.path)
            eq((r.code, r.err), (0, ""), r)


def test_an_inbox_that_can_be_listed_but_not_entered_is_one_line():
    with Tmp() as t:
        shared_folder(t)
        os.chmod(t.p("in"), 0o644)         # r, no x, for the nightly user (its owner)
        code, err = night_of(NOBODY, t, AS_OF)
        eq(code, 66, err)
        eq(len(lines(err)), 1, err)
        check("in: cannot open inbox" in err and "chmod" in err, err)
        check("deliver it as a readable" not in err, err)
        check(not os.path.exists(t.p("svc.db")), "nothing made, as for an inbox "
              "that cannot be listed")
        os.chmod(t.p("in"), 0o755)
        eq(night_of(NOBODY, t, AS_OF), (0, ""))


def test_a_fifo_in_place_of_a_workbook_or_statement_does_not_hang_the_rerun():
    with Tmp() as t:
        night(t)
        args = ["run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--quiet", "--statements"]
        r = svc(*args, cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        for name in ("audit_%s.xlsx" % AS_OF,
                     os.path.join("statements_%s" % AS_OF, "CA1042.xlsx")):
            # the re-run checks that the workbooks are still the ones it
            # wrote (their SHA-256): it opened a FIFO and waited for ever
            path = t.p("out", name)
            os.unlink(path)
            os.mkfifo(path)
            try:
                r = svc(*args, cwd=t.path, timeout=60)
            except subprocess.TimeoutExpired:
                raise AssertionError("the re-run hung on the FIFO %s" % name)
            eq((r.code, r.err), (0, ""), (name, r))
            check(os.path.isfile(path) and os.path.getsize(path) > 0,
                  "%s written again" % name)


def test_a_feed_replaced_by_a_fifo_while_it_is_read_does_not_hang():
    from svctest import cmd
    import time
    with Tmp() as t:
        night(t)
        os.mkfifo(t.p("fifo"))
        # held 10 s between the file's SHA-256 and its load (etl/load.c)
        env = dict(os.environ, TZ="UTC", SVCRECON_TEST_PAUSE="hashed")
        p = subprocess.Popen(cmd("import", "--db", "svc.db", "--kind", "dispatches",
                                 "in/dispatches_1.csv", cwd=t.path), cwd=t.path,
                             env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(4)
        os.rename(t.p("fifo"), t.p("in", "dispatches_1.csv"))
        try:
            _, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise AssertionError("the import hung on the FIFO put in the feed's place")
        eq(p.returncode, 66, err)
        eq(len(lines(err)), 2, err)        # the file's line, the final line
        check("in/dispatches_1.csv: cannot open: not a regular file" in err, err)


def test_a_folder_in_place_of_a_workbook_says_to_move_it_away():
    with Tmp() as t:
        night(t)
        os.makedirs(t.p("out", "audit_%s.xlsx" % AS_OF, "x"))
        args = ["run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--quiet"]
        r = svc(*args, cwd=t.path)
        eq(r.code, 73, r)
        eq(len(lines(r.err)), 1, r.err)
        check("out/audit_%s.xlsx: cannot rename" % AS_OF in r.err, r.err)
        check("is a folder" in r.err and "move it away" in r.err, r.err)
        shutil.rmtree(t.p("out", "audit_%s.xlsx" % AS_OF))     # as it said
        r = svc(*args, cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        check(os.path.isfile(t.p("out", "audit_%s.xlsx" % AS_OF)), "written")


@sqlite_only("a SQLite file path")
def test_a_db_path_ending_with_a_slash_says_to_name_the_file():
    with Tmp() as t:
        night(t)
        for args in (["run", "--db", "svc.db/", "--inbox", "in", "--out", "out",
                      "--as-of", AS_OF],
                     ["import", "--db", "svc.db/", "--kind", "dispatches",
                      "in/dispatches_1.csv"]):
            r = svc(*args, "--quiet", cwd=t.path)
            eq(r.code, 64, r)
            check("--db 'svc.db/' ends with '/'" in r.err, r.err)
            check("give --db the database's file" in r.err, r.err)
            check("mkdir" not in r.err, r.err)     # it said: mkdir -p 'svc.db'
            eq(sorted(os.listdir(t.path)), ["in"], "nothing made")


def test_a_summary_naming_a_folder_is_refused_before_the_night():
    with Tmp() as t:
        night(t)
        os.makedirs(t.p("out"))
        from svctest import cmd
        # (svc() would read the summary back)
        r = subprocess.run(cmd("run", "--db", "svc.db", "--inbox", "in", "--out",
                               "out", "--as-of", AS_OF, "--quiet", "--summary",
                               "out", cwd=t.path), cwd=t.path, capture_output=True,
                           text=True, env=dict(os.environ, TZ="UTC"), timeout=300)
        # it ran the whole night, then could not write its summary (73)
        eq(r.returncode, 64, r.stderr)
        check("--summary 'out' names a folder" in r.stderr, r.stderr)
        eq(os.listdir(t.p("out")), [], "no night run")


def test_links_in_the_output_folder_never_empty_the_folders_they_point_to():
    with Tmp() as t:
        night(t)
        os.makedirs(t.p("out"))
        kept = {}
        for name in ("share", "other", "third"):
            os.makedirs(t.p(name))
            for f in ("contract.pdf", "notes.txt"):
                with open(t.p(name, f), "w") as fh:
                    fh.write("keep %s/%s\n" % (name, f))
            kept[name] = sorted(os.listdir(t.p(name)))
        # today's statements folder published as a link to a share; a
        # temporary folder of a run that is gone (pid 2^22 + 1 is above
        # pid_max's default... any dead pid) and an old statements folder,
        # each a link to a folder of someone else's files
        dead = 4194301
        check(not os.path.exists("/proc/%d" % dead), "pid %d is running" % dead)
        os.symlink(t.p("share"), t.p("out", "statements_%s" % AS_OF))
        os.symlink(t.p("other"), t.p("out", ".svcrecon-tmp-%d" % dead))
        os.symlink(t.p("third"), t.p("out", ".statements_%s.old-%d" % (AS_OF, dead)))
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--quiet", "--statements", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        for name in kept:
            eq(sorted(os.listdir(t.p(name))), kept[name], "%s emptied" % name)
        folder = t.p("out", "statements_%s" % AS_OF)
        check(os.path.isdir(folder) and not os.path.islink(folder), "a folder of its own")
        eq(os.listdir(folder), ["CA1042.xlsx"])
        eq(sorted(n for n in os.listdir(t.p("out")) if n.startswith(".")), [],
           "the links are gone from the output folder, not what they named")


@sqlite_only("the lock file beside a SQLite database")
def test_a_lock_file_that_is_a_link_is_not_written_through():
    with Tmp() as t:
        night(t)
        with open(t.p("precious.txt"), "w") as f:
            f.write("not svcrecon's\n")
        os.symlink(t.p("precious.txt"), t.p("svc.db.lock"))
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--quiet", cwd=t.path)
        eq(open(t.p("precious.txt")).read(), "not svcrecon's\n",
           "the file the link names, overwritten by the lock's line")
        eq(r.code, 73, r)
        eq(len(lines(r.err)), 1, r.err)
        check("svc.db.lock" in r.err and "symbolic link" in r.err
              and "remove it" in r.err, r.err)
        os.unlink(t.p("svc.db.lock"))
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out", "--as-of",
                AS_OF, "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)


def test_a_summary_temporary_name_that_is_a_link_is_not_written_through():
    with Tmp() as t:
        night(t)
        with open(t.p("precious.txt"), "w") as f:
            f.write("not svcrecon's\n")
        # a FILE.tmp left as a link (by anyone who can write the folder)
        os.symlink(t.p("precious.txt"), t.p("s.json.tmp"))
        from svctest import db_args
        r = svc("run", *db_args("svc.db", cwd=t.path), "--inbox", "in", "--out",
                "out", "--as-of", AS_OF, "--quiet", "--summary", "s.json", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        eq(open(t.p("precious.txt")).read(), "not svcrecon's\n",
           "the file the link names, overwritten by the summary")
        check(not os.path.islink(t.p("s.json")), "the summary is a file of its own")
        from svctest import validate_summary
        eq(validate_summary(t.p("s.json"))["exit_code"], 0)


if __name__ == "__main__":
    main(globals())
