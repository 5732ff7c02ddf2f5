"""svctest -- the small shared harness of the end-to-end tests.

Each tests/e2e/tNNNN-*.py defines functions named test_* and ends with
`svctest.main(globals())`, which runs them in order, prints each failure
with its name, and ends with the line "N passed, N failed, N skipped" (read
by tests/run-all). A test that cannot run here calls skip(why): it prints
SKIP and counts apart, never as passed. The binary comes from $SVCRECON (default ./svcrecon).

The back end (issue 17): tests name their database as a SQLite path
(`--db t.p("svc.db")`). With SVCRECON_TEST_BACKEND=postgresql (tests/run-all's
PostgreSQL pass, on the cluster of $SVCRECON_PG_DIR) every such path stands
for a schema of its own in the cluster's database: svc() and cmd() replace
`--db PATH` by `--db URI --schema NAME` (NAME from the path's absolute form,
so unique per temporary folder), query() runs on that schema, and the schema
is dropped when its Tmp folder goes. A test that is about SQLite itself (its
file, lock file, journal) is marked @sqlite_only(why): the PostgreSQL pass
lists it with the reason and does not run it (it is not a skip).
"""
import atexit
import contextlib
import decimal
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SVCRECON = os.path.abspath(os.environ.get("SVCRECON", os.path.join(ROOT, "svcrecon")))
SANITIZED = "asan" in os.environ.get("SVCRECON_BUILD", "")
VALGRIND = "valgrind" in SVCRECON or bool(os.environ.get("VALGRIND"))
BACKEND = os.environ.get("SVCRECON_TEST_BACKEND", "sqlite")
if BACKEND not in ("sqlite", "postgresql"):
    sys.exit("svctest: SVCRECON_TEST_BACKEND must be sqlite or postgresql, not %r" % BACKEND)
ON_PG = BACKEND == "postgresql"

REG_HDR = "dealer_id,dealer_name,model,serial_number,registered_on,wmp_selected,removed_on"
DSP_HDR = ("dispatch_id,dispatched_at,model,serial_number,provider_id,customer_name,"
           "customer_postal_code,problem_code,status")
CLO_HDR = ("dealer_id,submitted_at,dispatch_id,serial_number,model,completed_on,"
           "technician,labor_hours,resolution_code,parts")


def rule_files_in_order(schemas):
    """The rule files as the program runs them: schemas/rules/ORDER."""
    with open(os.path.join(schemas, "rules", "ORDER")) as f:
        names = [l.split("#", 1)[0].strip() for l in f]
    return [os.path.join(schemas, "rules", n) for n in names if n]



class Run:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return "exit %d\nstdout: %s\nstderr: %s" % (self.code, self.out, self.err)


SUMMARY_SCHEMA = os.path.join(ROOT, "docs", "summary.schema.json")


def validate_summary(path):
    """Every summary the suite writes must match docs/summary.schema.json
    (issue 13); returns the document."""
    import json
    import jsonschema  # python3-jsonschema (make test-deps)
    with open(SUMMARY_SCHEMA) as f:
        schema = json.load(f)
    with open(path) as f:
        doc = json.load(f)
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
    return doc


def svc(*args, cwd=None, env=None, timeout=300, input=None):
    """Runs svcrecon with args; returns Run(code, out, err). A summary it
    was asked to write is validated against docs/summary.schema.json."""
    e = dict(os.environ)
    e.setdefault("TZ", "UTC")
    if env:
        e.update(env)
    args = [str(a) for a in args]
    p = subprocess.run(cmd(*args, cwd=cwd), cwd=cwd, env=e,
                       capture_output=True, text=True, timeout=timeout,
                       input=input, errors="replace")
    if "--summary" in args[:-1]:
        path = os.path.join(cwd or ".", args[args.index("--summary") + 1])
        if os.path.exists(path):
            validate_summary(path)
    if p.returncode < 0:    # killed by a signal (a test hook, a timeout)
        settle()
    return Run(p)


# The files a run's temporary folder holds before any workbook: the lock
# that tells a live run's folder from a killed one's (reports/report.c).
TMP_OWNER = ("owner.lock", "owner.lock.new")


def writing_a_workbook(out, pid):
    """Run pid is writing a workbook: its temporary folder in the output
    folder (reports/report.c, ".svcrecon-tmp-PID") holds a file besides
    the owner lock the run keeps there from the start."""
    try:
        return bool(set(os.listdir(os.path.join(out, ".svcrecon-tmp-%d" % pid)))
                    - set(TMP_OWNER))
    except OSError:
        return False


def on_a_terminal(args, cols=None, **popen):
    """Runs a command with stderr on a pseudo-terminal (so that svcrecon
    draws its progress bar), `cols` columns wide when given; returns (exit
    code, what it wrote there)."""
    import fcntl
    import pty
    import struct
    import termios
    master, slave = pty.openpty()
    if cols:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=slave, **popen)
    os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    return p.wait(), data.decode("utf-8", "replace")


def kill_on(args, ready, **popen):
    """Runs a command with stderr on a pseudo-terminal 200 columns wide, so
    that svcrecon says where it is (each file's bar with its rows every
    16,384, "reconciling as of", each workbook's rows every 8,192, the
    "wrote" lines), and kills it with SIGKILL as soon as ready(text, pid)
    holds, text being all it wrote so far. ready is also asked every 5 ms
    while nothing is written, so it may look at files instead. Returns (landed,
    text): landed when the kill found it running. A kill on an event, not
    at a time: on a loaded machine it lands later in the same step, never
    after the run ended (tests of kills at fractions of a clean run's time
    missed when the machine was busy)."""
    import fcntl
    import pty
    import select
    import signal
    import struct
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=slave, **popen)
    os.close(slave)
    data, landed, eof = b"", False, False
    while not eof:
        if select.select([master], [], [], 0.005)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                chunk = b""
            eof = not chunk
            data += chunk
        if p.poll() is None and ready(data.decode("utf-8", "replace"), p.pid):
            p.send_signal(signal.SIGKILL)
            landed = p.wait() == -signal.SIGKILL
            break
    os.close(master)
    p.wait()
    if landed:
        settle()
    return landed, data.decode("utf-8", "replace")


class Tmp:
    """A temporary folder; write(name, text_or_bytes) makes a file in it."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="svcrecon-test-")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if ON_PG:
            drop_schemas(self.path)
        shutil.rmtree(self.path, ignore_errors=True)

    def p(self, *parts):
        return os.path.join(self.path, *parts)

    def write(self, name, content, newline="\n"):
        path = self.p(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if isinstance(content, str):
            content = content.replace("\n", newline).encode("utf-8")
        with open(path, "wb") as f:
            f.write(content)
        return path

    def csv(self, name, header, rows, newline="\n"):
        """Writes header + rows (strings, one record each) + final newline."""
        return self.write(name, newline.join([header] + list(rows)) + newline,
                          newline="\n")


def good_night(t, inbox="in"):
    """A small good night in t/inbox: every kind, nothing rejected (one
    call closed out, one open)."""
    t.csv(inbox + "/registrations_1.csv", REG_HDR,
          ["CA1042,Dealer One,iPF8400S,AFK03126,2026-01-01,N,"])
    t.csv(inbox + "/dispatches_1.csv", DSP_HDR,
          ["Q%d,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN" % i
           for i in (1, 2)])
    t.csv(inbox + "/closeouts_1.csv", CLO_HDR,
          ["CA1042,2026-03-02 10:00,Q1,AFK03126,iPF8400S,2026-03-02,T,1.5,R,"])


# The end of a rejected row's reason whose bad bytes read as Windows-1252
# (etl/feed.c LEGACY_ROW, SPEC §6).
LEGACY_ROW = ("; it reads as Windows-1252 (a legacy 8-bit export?): re-export "
              "as CSV UTF-8, comma-separated")


def reads_as_1252(b):
    """etl/sniff.c sniff_cp1252(): every byte that breaks UTF-8 is a
    character of Windows-1252 (0x80-0xFF but 0x81, 0x8D, 0x8F, 0x90,
    0x9D), and there is one."""
    off, found = 0, False
    while off < len(b):
        try:
            b[off:].decode("utf-8")
            return found
        except UnicodeDecodeError as e:
            c = b[off + e.start]
            if c < 0x80 or c in (0x81, 0x8D, 0x8F, 0x90, 0x9D):
                return False
            found = True
            off += e.start + 1
    return found


# The fault shim `make unit-bins` builds (tests/faults/faultshim.c).
FAULTSHIM = os.path.join(ROOT, os.environ.get("SVCRECON_BUILD", "build"),
                         "tests", "faultshim.so")


def preloaded(lib):
    """The environment entries that preload lib (a fault or allocation
    shim) into svcrecon: LD_PRELOAD, and ASAN_OPTIONS telling the ASan
    build to accept a library loaded before its runtime (else it refuses
    to start, exit 1). Merge them: dict(os.environ, **preloaded(lib))."""
    return {"LD_PRELOAD": lib,
            "ASAN_OPTIONS": "verify_asan_link_order=0:"
                            + os.environ.get("ASAN_OPTIONS", "")}


def need_fault_shim():
    """Skips the calling test under valgrind (the shim would sit under it)
    and when `make unit-bins` has not built the fault shim."""
    if VALGRIND:
        skip("not under valgrind: the fault shim would sit under it")
    if not os.path.exists(FAULTSHIM):
        skip("no fault shim (make unit-bins builds %s)" % FAULTSHIM)


def shim_calls(args, env, log, cwd=None):
    """Runs args once under the fault shim (env preloads it and names
    FAULT_CALLS) failing nothing, each call of those kinds delayed 1 ms and
    logged: [(n, call, path)] in order, n being the FAULT_AT that fails
    that call in a later run of the same args. The run must exit 0."""
    if os.path.exists(log):
        os.unlink(log)
    p = subprocess.run(args, cwd=cwd, capture_output=True,
                       env=dict(env, FAULT_AT="1", FAULT_MODE="sticky",
                                FAULT_DELAY_MS="1", FAULT_LOG=log))
    eq(p.returncode, 0, p)
    with open(log) as f:
        return [(int(w[1]), w[2], " ".join(w[3:]))
                for w in (ln.split() for ln in f) if w[:1] == ["delay"]]


# A program that dies mid-transaction in rollback-journal mode, its pages
# spilled into the file: a hot journal beside a database holding data.
_HOT_JOURNAL = r"""
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA journal_mode = DELETE")
c.execute("PRAGMA cache_size = 1")          # spill: the file is written
c.execute("BEGIN")
c.execute("UPDATE dispatch SET customer_name = 'HALF WRITTEN'")
c.execute("CREATE TABLE junk AS SELECT * FROM dispatch")
for i in range(10):
    c.execute("INSERT INTO junk SELECT * FROM junk")
os._exit(9)                                 # dies mid-transaction
"""


def leave_hot_journal(db):
    """Leaves a hot journal beside the SQLite database db (it must hold
    the dispatch table): a program died in the middle of a write."""
    subprocess.run([sys.executable, "-c", _HOT_JOURNAL, db], check=False)
    check(os.path.getsize(db + "-journal") > 0, "no hot journal made")


def as_user(uid):
    """A preexec_fn that runs the child as uid (root only): a second user
    on the machine."""
    def become():
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    return become


_OTHER_USERS_BIN = []


def binary_for_other_users():
    """SVCRECON as a second user can run it. A clone in root's home
    (/root is 0700 on Debian) holds a binary nobody else may reach: then
    a copy in a temporary folder every user can cross (0755), made once
    per suite and removed at its exit; else SVCRECON itself."""
    if _OTHER_USERS_BIN:
        return _OTHER_USERS_BIN[0]
    path, reachable = SVCRECON, os.stat(SVCRECON).st_mode & 0o001
    parent = path
    while reachable and parent != "/":
        parent = os.path.dirname(parent)
        reachable = os.stat(parent).st_mode & 0o001
    if not reachable:
        folder = tempfile.mkdtemp(prefix="svcrecon-bin-")
        os.chmod(folder, 0o755)
        path = os.path.join(folder, os.path.basename(SVCRECON))
        shutil.copy2(SVCRECON, path)
        os.chmod(path, 0o755)
        atexit.register(shutil.rmtree, folder, True)
    _OTHER_USERS_BIN.append(path)
    return path


@contextlib.contextmanager
def small_disk(path, size):
    """A tmpfs of size (mount's size=, e.g. "1m") mounted at path (made
    here) for the with-block, unmounted after: a disk that fills. The test
    is skipped, saying why, where it cannot be mounted (root is needed)."""
    if os.geteuid() != 0:
        skip("mounting a tmpfs needs root")
    os.makedirs(path, exist_ok=True)
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path],
                       capture_output=True, text=True)
    if m.returncode != 0:
        skip("cannot mount a tmpfs here: %s" % m.stderr.strip())
    try:
        yield path
    finally:
        subprocess.run(["umount", path], capture_output=True)


# ---- the back end: a SQLite path, or a schema of the test cluster ----

_schemas = {}      # absolute SQLite path -> schema name (PostgreSQL pass)
_pg = None         # one autocommit psycopg2 connection (PostgreSQL pass)


def _cluster_dir():
    d = os.environ.get("SVCRECON_PG_DIR")
    if not d or not os.path.isdir(d):
        sys.exit("svctest: SVCRECON_TEST_BACKEND=postgresql needs $SVCRECON_PG_DIR "
                 "(tests/pgcluster.py start; tests/run-all starts one)")
    return d


def pg_cluster():
    """The throw-away cluster of tests/pgcluster.py that tests/run-all
    started, for a test that compares the back ends itself; the test is
    skipped (counted apart, never as passed) without one."""
    import pgcluster
    c = pgcluster.from_env()
    if not c:
        skip("no PostgreSQL cluster ($SVCRECON_PG_DIR unset: tests/run-all "
             "starts one; %s)" % (pgcluster.unavailable() or "not started"))
    return c


def pg_uri():
    """The cluster's database as svcrecon's --db (tests/pgcluster.py)."""
    return "postgresql://postgres@/svc?host=%s" % _cluster_dir()


def schema_of(db, cwd=None):
    """The PostgreSQL schema that SQLite path db stands for: s_ and 20 hex
    digits of its absolute path (a temporary folder's: unique)."""
    path = os.path.abspath(os.path.join(cwd or os.getcwd(), db))
    if path not in _schemas:
        _schemas[path] = "s_" + hashlib.sha1(path.encode()).hexdigest()[:20]
    return _schemas[path]


def db_args(db, cwd=None):
    """The options naming database db (a SQLite path) on this pass."""
    if ON_PG and not str(db).startswith("postgres"):
        return ["--db", pg_uri(), "--schema", schema_of(str(db), cwd)]
    return ["--db", str(db)]


def raw(args, cwd, user=None, **kw):
    """svcrecon without svc()'s validation of the summary (some cases
    must leave no summary at all); kw goes to subprocess.run; user: run
    as that uid (root only, see cmd())."""
    if user is not None:
        kw["preexec_fn"] = as_user(user)
    p = subprocess.run(cmd(*args, cwd=cwd, user=user), cwd=cwd,
                       env=dict(os.environ, TZ="UTC"), capture_output=True,
                       text=True, errors="replace", timeout=300, **kw)
    return Run(p)


def cmd(*args, cwd=None, user=None):
    """[SVCRECON] + args, `--db PATH` replaced by db_args(PATH): for tests
    that start svcrecon themselves (Popen, kill_on). user: the command is
    for that uid (run with preexec_fn=as_user(user)), so the binary is one
    that user can reach (binary_for_other_users())."""
    out = [binary_for_other_users() if user is not None else SVCRECON]
    args = [str(a) for a in args]
    i = 0
    while i < len(args):
        if args[i] == "--db" and i + 1 < len(args):
            out += db_args(args[i + 1], cwd)
            i += 2
        else:
            out.append(args[i])
            i += 1
    return out


def shown_db(db, cwd=None):
    """How svcrecon names database db in messages and workbooks: the path
    as given, or on PostgreSQL the URI (no password there to hide)."""
    return pg_uri() if ON_PG else str(db)


def explain_named_db(db, cwd=None):
    """How explain's messages name database db: as shown_db, cut after 60
    characters as messages cut a name (utf8_show), then on PostgreSQL the
    schema, whole (README "PostgreSQL": as the workbooks' Database cell)."""
    name = shown_db(db, cwd)
    name = name if len(name) <= 60 else name[:60] + "..."
    return "%s (schema %s)" % (name, schema_of(str(db), cwd)) if ON_PG else name


def reached(uri):
    """How the workbooks' Run and About and the summary name a connection to
    the test cluster's URI (README "PostgreSQL": what the connection
    reached, db_reached_name): user, socket folder, port, database; then
    the URI's other parameters as given, its password and the ones it
    replaces left out. Only the tests' form, postgresql://USER[:PW]@/DB?
    host=DIR[&...], is mapped; anything else is returned as it is."""
    import urllib.parse
    m = re.fullmatch(r"postgres(?:ql)?://([^:@/]*)(?::[^@]*)?@/([^?]*)\?(.*)", uri)
    if not m:
        return uri
    user, dbname, query = m.groups()
    params = [q for q in query.split("&") if q]
    host = port = None
    rest = []
    for q in params:
        k, _, v = q.partition("=")
        k = urllib.parse.unquote(k)
        if k == "host":
            host = urllib.parse.unquote(v)
        elif k == "port":
            port = v
        elif k in ("hostaddr", "dbname", "user", "password", "sslpassword"):
            continue
        else:
            rest.append(q)
    if host is None or not host.startswith("/"):
        return uri
    port = port or os.environ.get("PGPORT") or "5432"
    enc = lambda x, keep="": urllib.parse.quote(x, safe="-._~" + keep)  # noqa: E731
    return "postgresql://%s@/%s?host=%s&port=%s%s" % (
        enc(urllib.parse.unquote(user)), enc(urllib.parse.unquote(dbname)),
        enc(host, "/@"), port, "".join("&" + q for q in rest))


def book_db(db, cwd=None):
    """How the workbooks' Run and About name database db: the path as
    given, or on PostgreSQL what the connection reached and the schema
    (README "PostgreSQL"; the summary names the schema apart)."""
    if ON_PG:
        return "%s (schema %s)" % (reached(pg_uri()), schema_of(str(db), cwd))
    return str(db)


def explain_db(db, cwd=None):
    """How the About sheet's explain commands name database db: `--db PATH`,
    or on PostgreSQL `--db 'URI' --schema NAME` (the URI quoted for a shell)."""
    if ON_PG:
        return "--db '%s' --schema %s" % (reached(pg_uri()),
                                          schema_of(str(db), cwd))
    return "--db %s" % db


def _pg_connection():
    global _pg
    if _pg is None:
        import psycopg2  # python3-psycopg2 (make test-deps)
        _pg = psycopg2.connect(host=_cluster_dir(), dbname="svc", user="postgres")
        _pg.autocommit = True
    return _pg


def _plain(v):
    """A PostgreSQL value as sqlite3 gives it: numeric -> int or float,
    bytea -> bytes, bool -> 0/1."""
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, memoryview):
        return bytes(v)
    if isinstance(v, bool):
        return int(v)
    return v


class _PgCursor:
    def __init__(self, cur):
        self.cur = cur

    def fetchone(self):
        r = self.cur.fetchone()
        return None if r is None else tuple(_plain(v) for v in r)

    def fetchall(self):
        rows = self.cur.fetchall() if self.cur.description else []
        return [tuple(_plain(v) for v in r) for r in rows]

    def __iter__(self):
        return iter(self.fetchall())


class _PgConnection:
    """The part of sqlite3.Connection the tests use, on the schema that a
    SQLite path stands for: execute (? parameters), executemany,
    executescript, close. Autocommit, as sqlite3 with isolation_level=None."""

    def __init__(self, db):
        import psycopg2  # python3-psycopg2 (make test-deps)
        self.con = psycopg2.connect(host=_cluster_dir(), dbname="svc", user="postgres")
        self.con.autocommit = True
        self.execute("SET search_path TO %s" % schema_of(db))

    def execute(self, sql, params=()):
        cur = self.con.cursor()
        if params:
            cur.execute(sql.replace("%", "%%").replace("?", "%s"), tuple(params))
        else:
            cur.execute(sql)
        return _PgCursor(cur)

    def executemany(self, sql, rows):
        for r in rows:
            self.execute(sql, r)

    def executescript(self, sql):
        self.execute(sql)

    def close(self):
        self.con.close()


def connect(db):
    """A connection to database db: sqlite3's, or on the PostgreSQL pass one
    to the schema db stands for (the same calls; write SQL both run)."""
    return _PgConnection(db) if ON_PG else sqlite3.connect(db)


def query(db, sql, params=()):
    """Rows of sql (with ? parameters) on database db: the SQLite file, or
    on the PostgreSQL pass the schema db stands for. Write SQL both run."""
    if not ON_PG:
        con = sqlite3.connect(db)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()
    cur = _pg_connection().cursor()
    try:
        cur.execute("SET search_path TO %s" % schema_of(db))
        if params:
            cur.execute(sql.replace("%", "%%").replace("?", "%s"), tuple(params))
        else:
            cur.execute(sql)
        return _PgCursor(cur).fetchall()
    finally:
        cur.close()


def write_sql(db, sql):
    """Runs write SQL on database db, committed (query() autocommits on
    PostgreSQL; sqlite3's module opens a transaction it does not commit).
    Write SQL both run."""
    if ON_PG:
        query(db, sql)
        return
    con = sqlite3.connect(db)
    try:
        con.execute(sql)
        con.commit()
    finally:
        con.close()


def db_exists(db):
    """Whether svcrecon has created database db (file, or schema)."""
    if not ON_PG:
        return os.path.exists(db)
    return bool(query(db, "SELECT 1 FROM pg_namespace WHERE nspname = ?",
                      (schema_of(db),)))


def settle(timeout=120):
    """PostgreSQL pass, after svcrecon was killed: waits until no server
    session of a svcrecon that is no longer running is left (svcrecon names
    its sessions "svcrecon on HOST pid N"). The server ends a session once
    it sees its client gone; until then it holds the run lock, and a rerun
    at once would get 75 ("held by pid ..."). Returns the seconds waited."""
    import time
    if not ON_PG:
        return 0.0
    start = time.time()
    while True:
        dead = []
        for (name,) in query(ROOT, "SELECT application_name FROM pg_stat_activity "
                                   "WHERE application_name LIKE 'svcrecon on % pid %'"):
            pid = int(name.rsplit(" ", 1)[1])
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                dead.append(name)
            except PermissionError:
                pass
        if not dead:
            return time.time() - start
        if time.time() - start > timeout:
            raise AssertionError("the server sessions of killed runs did not end "
                                 "in %d s: %s" % (timeout, dead))
        time.sleep(0.02)


def book_digest(path):
    """SHA-256 of a workbook, to compare the workbooks of two databases that
    hold the same: the file's bytes; on PostgreSQL (where two databases are
    two schemas, named in the About sheets' explain commands and the
    Database cells of Run and About) every sheet's cells with `--schema
    NAME` made `--schema S` and `(schema NAME)` made `(schema S)`."""
    if not ON_PG:
        return sha256(path)
    import openpyxl
    h = hashlib.sha256()
    wb = openpyxl.load_workbook(path, read_only=True)
    for ws in wb.worksheets:
        h.update(("\0sheet %s" % ws.title).encode())
        for row in ws.iter_rows(values_only=True):
            h.update(re.sub(r"(--schema |\(schema )s_[0-9a-f]{20}\b",
                            r"\1S", repr(row)).encode())
    wb.close()
    return h.hexdigest()


def schema_version(db):
    """The schema version of database db (lib/db.c's migrations)."""
    if ON_PG:
        return query(db, "SELECT version FROM schema_version")[0][0]
    return query(db, "PRAGMA user_version")[0][0]


def copy_db(src, dst):
    """Makes database dst a copy of src (a file copy; on PostgreSQL the
    schema cloned by pg_dump, its sequences included), dst replaced."""
    if not ON_PG:
        for x in ("-wal", "-shm"):
            if os.path.exists(dst + x):
                os.remove(dst + x)
        shutil.copy(src, dst)
        return
    a, b = schema_of(src), schema_of(dst)
    query(dst, "DROP SCHEMA IF EXISTS %s CASCADE" % b)
    bindir = _pg_bindir()
    dump = subprocess.run([os.path.join(bindir, "pg_dump"), "-h", _cluster_dir(), "-U",
                           "postgres", "-n", a, "-O", "-x", "svc"],
                          capture_output=True, text=True, check=True).stdout
    subprocess.run([os.path.join(bindir, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                    "-h", _cluster_dir(), "-U", "postgres", "-d", "svc"],
                   input=dump.replace(a, b), capture_output=True, text=True, check=True)


def _pg_bindir():
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import pgcluster
    return pgcluster.bindir()


def snapshot(db, skip=()):
    """{table: rows} of everything db holds, but the columns named in skip
    (wall-clock ones). SQLite: rows in rowid order. PostgreSQL: rows in the
    order of all their columns, and each identity value (and a column of
    the same name elsewhere: a reference to it) replaced by its rank: a
    value taken by a transaction that was rolled back (a killed load or
    report) is not given again there, so a rerun numbers the same rows
    with other values, in the same order; SQLite's max + 1 does not. (So
    are the ids in report_output's stamp: "files N last FILE_ID", "night
    after DELIVERY_ID files N last DELIVERY_ID", and report_run's
    delivered_upto, a delivery_id: a run killed between its file's
    delivery row and COMMIT gave one up, and the night's report recorded
    6 where the uninterrupted night's said 5 -- t9200, seed 1026682155,
    two kill tests at once on one cluster.)"""
    out = {}
    if not ON_PG:
        for (table,) in query(db, "SELECT name FROM sqlite_master WHERE type = 'table' "
                                  "ORDER BY name"):
            cols = [r[1] for r in query(db, "PRAGMA table_info(%s)" % table)
                    if r[1] not in skip]
            out[table] = query(db, "SELECT %s FROM %s ORDER BY rowid" % (", ".join(cols), table))
        return out
    cols = {}
    for t, c, ident in query(db, "SELECT table_name, column_name, is_identity FROM "
                                 "information_schema.columns WHERE table_schema = "
                                 "current_schema() ORDER BY table_name, ordinal_position"):
        cols.setdefault(t, []).append((c, ident == "YES"))
    rank = {}
    for t, cs in cols.items():
        for c, ident in cs:
            if ident:
                ids = [r[0] for r in query(db, "SELECT %s FROM %s ORDER BY 1" % (c, t))]
                rank[c] = {v: i for i, v in enumerate(ids)}
    rank["accepted_closeout_id"] = rank.get("closeout_id", {})
    # report_run.delivered_upto: the last delivery_id of the report's night
    rank["delivered_upto"] = rank.get("delivery_id", {})
    for t in sorted(cols):
        names = [c for c, _ in cols[t] if c not in skip]
        maps = [rank.get(c) for c in names]
        rows = query(db, "SELECT %s FROM %s ORDER BY %s" % (
            ", ".join(names), t, ", ".join(str(i + 1) for i in range(len(names)))))
        out[t] = [tuple(v if m is None else m.get(v, v) for m, v in zip(maps, r))
                  for r in rows]
    if "stamp" in [c for c, _ in cols.get("report_output", []) if c not in skip]:
        i = [c for c, _ in cols["report_output"] if c not in skip].index("stamp")
        f, d = rank.get("file_id", {}), rank.get("delivery_id", {})
        at = lambda ranks, v: str(ranks.get(int(v), v))
        files = lambda m: "files %s last %s;" % (m.group(1), at(f, m.group(2)))
        night = lambda m: "night after %s files %s last %s" % (
            at(d, m.group(1)), m.group(2), at(d, m.group(3)))
        out["report_output"] = [
            r[:i] + (re.sub(r"night after (\d+) files (\d+) last (\d+)", night,
                            re.sub(r"files (\d+) last (\d+);", files, r[i])),) + r[i + 1:]
            for r in out["report_output"]]
    return out


def drop_schemas(under):
    """Drops the schemas of the paths under folder `under` (PostgreSQL pass)."""
    for path in [p for p in _schemas if p.startswith(under + os.sep)]:
        try:
            cur = _pg_connection().cursor()
            cur.execute("SET lock_timeout = '10s'")
            cur.execute("DROP SCHEMA IF EXISTS %s CASCADE" % _schemas.pop(path))
            cur.close()
        except Exception as e:  # a leftover schema in a throw-away cluster
            print("svctest: could not drop the schema of %s: %s" % (path, e))


def sqlite_only(why):
    """Marks a test that is about SQLite itself: the PostgreSQL pass names
    it with why and does not run it (not a skip: it cannot apply there)."""
    def mark(fn):
        fn.sqlite_only = why
        return fn
    return mark


def postgresql_only(why):
    """Marks a test that is about PostgreSQL itself (a server's SQLSTATE):
    the SQLite passes name it with why and do not run it (not a skip: it
    cannot apply there; the PostgreSQL pass runs it)."""
    def mark(fn):
        fn.postgresql_only = why
        return fn
    return mark


# The schema version svcrecon brings a database to: one per file of
# schemas/tables/ (lib/db.c's migrations).
SCHEMA_VERSION = len([n for n in os.listdir(os.path.join(ROOT, "schemas", "tables"))
                      if n[:1].isdigit() and n.endswith(".sql")])


# Schema version 9's spans turned back into version 2's
# report_noncompensable (the rows each recorded day listed), as a database
# of an older version holds it: for the tests that make one by hand from a
# database this svcrecon wrote. Portable; run one by one on connect(db).
UNDO_VERSION_9 = [
    """CREATE TABLE report_noncompensable (
           as_of_day    INTEGER NOT NULL REFERENCES report_run (as_of_day),
           dealer_id    TEXT NOT NULL,
           dispatch_id  TEXT NOT NULL,
           submitted_at TEXT NOT NULL,
           reason       TEXT NOT NULL)""",
    """CREATE UNIQUE INDEX report_noncompensable_key
           ON report_noncompensable (as_of_day, dealer_id, dispatch_id,
                                     submitted_at)""",
    """INSERT INTO report_noncompensable (as_of_day, dealer_id, dispatch_id,
                                          submitted_at, reason)
       SELECT r.as_of_day, s.dealer_id, s.dispatch_id, s.submitted_at,
              s.reason
         FROM report_run AS r
         JOIN report_noncompensable_span AS s
           ON s.first_day <= r.as_of_day
          AND (s.last_day IS NULL OR s.last_day >= r.as_of_day)
        ORDER BY r.as_of_day, s.dealer_id, s.dispatch_id, s.submitted_at""",
    "DROP TABLE report_noncompensable_span",
]


def undo_version_9(con):
    """Runs UNDO_VERSION_9 on con (connect(db)'s; the caller commits)."""
    for sql in UNDO_VERSION_9:
        con.execute(sql)


def downgrade_to_version_3(db, before=""):
    """Makes db what a version-3 database (the last released) holds: the
    objects of schema versions 4 (rule state), 5 (deliveries), 6 (the
    dispatch id of rejected rows) and 8 (inbox notes) dropped, and version
    9's spans turned back into version 2's report_noncompensable (the rows
    each recorded day listed).
    `before` is SQL run first (e.g. to set the timestamps of an old night)."""
    con = sqlite3.connect(db, isolation_level=None)
    try:
        if before:
            con.executescript(before)
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE "
                                   "type = 'table' AND name LIKE 'cur_%'").fetchall():
            con.execute("DROP TABLE %s" % name)
        for name in ["registration_file", "dispatch_file", "closeout_file"]:
            con.execute("DROP INDEX %s" % name)
        con.execute("DROP TABLE delivery")
        con.execute("DROP TABLE IF EXISTS inbox_note")      # version 8
        con.execute("DROP INDEX IF EXISTS rejected_row_dispatch")   # version 6
        con.execute("DROP INDEX IF EXISTS imported_file_name")
        con.execute("ALTER TABLE rejected_row DROP COLUMN dispatch_id")
        con.execute("ALTER TABLE report_run DROP COLUMN delivered_upto")
        undo_version_9(con)                                # version 9
        con.execute("PRAGMA user_version = 3")
    finally:
        con.close()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s\n  got:  %r\n  want: %r" % (what, got, want))


class Skipped(Exception):
    """Raised by skip(): the test could not run here."""


def skip(why):
    """Ends the calling test as skipped (SKIP, counted apart), saying why."""
    raise Skipped(why)


def main(scope):
    tests = [(n, f) for n, f in scope.items() if n.startswith("test_") and callable(f)]
    passed = failed = skipped = 0
    if ON_PG:
        print("back end: PostgreSQL (%s)" % pg_uri())
        for n, f in tests:
            if getattr(f, "sqlite_only", None):
                print("not on PostgreSQL: %s: %s" % (n, f.sqlite_only))
        tests = [(n, f) for n, f in tests if not getattr(f, "sqlite_only", None)]
    else:
        for n, f in tests:
            if getattr(f, "postgresql_only", None):
                print("not on SQLite: %s: %s" % (n, f.postgresql_only))
        tests = [(n, f) for n, f in tests
                 if not getattr(f, "postgresql_only", None)]
    for name, fn in tests:
        try:
            fn()
            passed += 1
            print("ok   %s" % name)
        except Skipped as why:
            skipped += 1
            print("SKIP %s: %s" % (name, why))
        except Exception:  # a failing test names itself and goes on
            failed += 1
            print("FAIL %s" % name)
            traceback.print_exc(file=sys.stdout)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    sys.exit(1 if failed or not (passed or skipped) else 0)
