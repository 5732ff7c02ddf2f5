"""svctest -- the small shared harness of the end-to-end tests.

Each tests/e2e/tNNNN-*.py defines functions named test_* and ends with
`svctest.main(globals())`, which runs them in order, prints each failure
with its name, and ends with the line "N passed, N failed, N skipped" (read
by tests/run-all). A test that cannot run here calls skip(why): it prints
SKIP and counts apart, never as passed. The binary comes from $SVCRECON (default ./svcrecon).
"""
import hashlib
import os
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
    p = subprocess.run([SVCRECON] + args, cwd=cwd, env=e,
                       capture_output=True, text=True, timeout=timeout,
                       input=input, errors="replace")
    if "--summary" in args[:-1]:
        path = os.path.join(cwd or ".", args[args.index("--summary") + 1])
        if os.path.exists(path):
            validate_summary(path)
    return Run(p)


def writing_a_workbook(out, pid):
    """Run pid is writing a workbook: its temporary folder in the output
    folder (reports/report.c, ".svcrecon-tmp-PID") holds a file."""
    try:
        return bool(os.listdir(os.path.join(out, ".svcrecon-tmp-%d" % pid)))
    except OSError:
        return False


def on_a_terminal(args, **popen):
    """Runs a command with stderr on a pseudo-terminal (so that svcrecon
    draws its progress bar); returns (exit code, what it wrote there)."""
    import pty
    master, slave = pty.openpty()
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
    return landed, data.decode("utf-8", "replace")


class Tmp:
    """A temporary folder; write(name, text_or_bytes) makes a file in it."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="svcrecon-test-")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
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


def query(db, sql, params=()):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


# The schema version svcrecon brings a database to: one per file of
# schemas/tables/ (lib/db.c's migrations).
SCHEMA_VERSION = len([n for n in os.listdir(os.path.join(ROOT, "schemas", "tables"))
                      if n[:1].isdigit() and n.endswith(".sql")])


def downgrade_to_version_3(db, before=""):
    """Makes db what a version-3 database (the last released) holds: the
    objects of schema versions 4 (rule state) and 5 (deliveries) dropped.
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
        con.execute("ALTER TABLE report_run DROP COLUMN delivered_upto")
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
