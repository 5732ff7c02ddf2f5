#!/usr/bin/python3
"""pgcluster -- a throw-away PostgreSQL cluster for the tests (issue 17).

Debian's `postgresql` package (`make test-deps` installs it): `initdb` into
a temporary folder as an unprivileged user (`nobody` when we run as root:
the server refuses to run as root), listening on a Unix socket in that
folder only (no TCP port, so parallel test runs never collide), durability
off (fsync, full_page_writes: a crash loses a throw-away cluster, nothing
more), at most 64 MB of WAL, stopped and removed at the end.

Roles, set up once per cluster (tests use them for the failure cases):
- `postgres`: superuser, trusted on the socket (no password);
- `svc_pw`: may log in only with the password `svc-secret-pw` (scram);
- `svc_pw` may connect, create schemas and temporary tables (what README
  "PostgreSQL" asks of svcrecon's role);
- `svc_nopriv`: may connect and create temporary tables, nothing more.
Database `svc` (encoding UTF8, collation C: text sorts in byte order, as in
SQLite).

As a program (tests/run-all uses it so that one cluster serves a whole run):
    pgcluster.py start          prints the cluster's folder (the socket dir)
    pgcluster.py stop DIR       stops it and removes DIR
As a module: Cluster().start() / .restart() / .stop(), or `with Cluster()
as c:`.
`unavailable()` says why no cluster can run here (None when one can), so
that a test prints SKIP with the reason instead of passing.
"""
import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile

PASSWORD_ROLE = "svc_pw"
PASSWORD = "svc-secret-pw"
NOPRIV_ROLE = "svc_nopriv"
DATABASE = "svc"


def bindir():
    """The newest Debian PostgreSQL bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]))
    return os.path.dirname(found[-1]) if found else None


def unavailable():
    """Why a cluster cannot run here, or None."""
    if not bindir():
        return "PostgreSQL is not installed (Debian package postgresql)"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root without runuser(1) to drop to 'nobody'"
    return None


class Cluster:
    def __init__(self, folder=None):
        self.dir = folder          # set: an existing cluster (from start)
        self.owned = folder is None

    def _as_owner(self, argv, **kw):
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "nobody", "--"] + argv
        return subprocess.run(argv, capture_output=True, text=True,
                              check=True, **kw)

    def start(self, durable=False):
        """durable: fsync, full-page writes and synchronous commits as a
        production server has them (make bench), not off as for tests."""
        why = unavailable()
        if why:
            raise RuntimeError(why)
        b = bindir()
        self.dir = tempfile.mkdtemp(prefix="svc-pg-")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "nobody", "nogroup")
        data = os.path.join(self.dir, "data")
        try:
            self._as_owner([os.path.join(b, "initdb"), "-D", data,
                            "-U", "postgres", "-A", "trust", "--no-sync",
                            "-E", "UTF8", "--locale=C"])
            with open(os.path.join(data, "pg_hba.conf"), "w") as f:
                f.write("local all %s scram-sha-256\n" % PASSWORD_ROLE)
                f.write("local all all trust\n")
            self._as_owner([
                os.path.join(b, "pg_ctl"), "-D", data, "-w", "-t", "60",
                "-l", os.path.join(self.dir, "server.log"),
                # Not durable (the tests): no fsync, and WAL kept small --
                # the default keeps up to 1 GB of it, which make test's
                # PostgreSQL pass fills (a full /tmp once). Durable (the
                # bench): the server's defaults.
                "-o", "-k %s -c listen_addresses=''%s" % (
                    self.dir, "" if durable else
                    " -c fsync=off -c full_page_writes=off "
                    "-c synchronous_commit=off "
                    "-c max_wal_size=64MB -c min_wal_size=32MB"), "start"])
            self.psql("postgres", """
                CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8'
                       LC_COLLATE 'C' LC_CTYPE 'C';
                CREATE ROLE %s LOGIN PASSWORD '%s';
                CREATE ROLE %s LOGIN;
            """ % (DATABASE, PASSWORD_ROLE, PASSWORD, NOPRIV_ROLE))
            self.psql(DATABASE, """
                REVOKE ALL ON DATABASE %s FROM PUBLIC;
                REVOKE ALL ON SCHEMA public FROM PUBLIC;
                GRANT CONNECT, CREATE, TEMPORARY ON DATABASE %s TO %s;
                GRANT CONNECT, TEMPORARY ON DATABASE %s TO %s;
            """ % (DATABASE, DATABASE, PASSWORD_ROLE, DATABASE, NOPRIV_ROLE))
        except BaseException:
            self.stop()
            raise
        return self

    def psql(self, db, sql, user="postgres"):
        """Runs sql through psql; returns its stdout (raises on error)."""
        p = subprocess.run(
            [os.path.join(bindir(), "psql"), "-X", "-q", "-A", "-t",
             "-v", "ON_ERROR_STOP=1", "-h", self.dir, "-U", user, "-d", db],
            input=sql, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("psql: %s" % p.stderr.strip())
        return p.stdout

    def uri(self, user="postgres", password=None, db=DATABASE):
        """A libpq URI for the cluster's socket (host given as a query
        parameter: a socket folder is a path, not a host name)."""
        auth = user + (":" + password if password is not None else "")
        return "postgresql://%s@/%s?host=%s" % (auth, db, self.dir)

    def restart(self):
        """A real server restart, as an operator does it (pg_ctl restart -m
        fast: every session is ended, the server stops and starts again with
        the options it was started with); returns when it accepts
        connections again."""
        data = os.path.join(self.dir, "data")
        self._as_owner([os.path.join(bindir(), "pg_ctl"), "-D", data, "-w",
                        "-t", "60", "-m", "fast",
                        "-l", os.path.join(self.dir, "server.log"),
                        "restart"])

    def stop(self):
        if not self.dir:
            return
        data = os.path.join(self.dir, "data")
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            try:
                self._as_owner([os.path.join(bindir(), "pg_ctl"), "-D", data,
                                "-m", "immediate", "-w", "stop"])
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    def __enter__(self):
        return self.start() if self.owned else self

    def __exit__(self, *exc):
        if self.owned:
            self.stop()


def lock_key(database, schema):
    """lib/db_pg.c's key: FNV-1a 64 of 'svcrecon', database and schema,
    each with its NUL, low bit cleared (the bit marks the write lock)."""
    h = 0xcbf29ce484222325
    for part in ("svcrecon", database, schema):
        for b in part.encode() + b"\0":
            h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    h &= 0x7ffffffffffffffe
    return h


@contextlib.contextmanager
def lock_holder(c, schema):
    """A psql session (application 'the-night-holder', user postgres)
    holding the run lock of the test database and schema on cluster c;
    yields its server pid."""
    key = lock_key(DATABASE, schema)
    holder = subprocess.Popen(
        [os.path.join(bindir(), "psql"), "-X", "-q", "-A", "-t",
         "-h", c.dir, "-U", "postgres", "-d", DATABASE],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PGAPPNAME="the-night-holder"))
    try:
        holder.stdin.write("SELECT pg_advisory_lock(%d), pg_backend_pid();\n" % key)
        holder.stdin.flush()
        pid = holder.stdout.readline().strip().split("|")[-1]
        if not pid.isdigit():
            raise RuntimeError("the lock holder did not start: %r" % pid)
        yield pid
    finally:
        holder.stdin.close()
        holder.wait()


def from_env():
    """The cluster tests/run-all started ($SVCRECON_PG_DIR), else None."""
    d = os.environ.get("SVCRECON_PG_DIR")
    if d and os.path.isdir(d):
        return Cluster(d)
    return None


def main(argv):
    if len(argv) == 2 and argv[1] == "start":
        why = unavailable()
        if why:
            print("pgcluster: %s" % why, file=sys.stderr)
            return 1
        try:
            c = Cluster().start()
        except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
            err = getattr(e, "stderr", "") or str(e)
            print("pgcluster: cannot start: %s" % err.strip(), file=sys.stderr)
            return 1
        print(c.dir)
        return 0
    if len(argv) == 3 and argv[1] == "stop":
        Cluster(argv[2]).stop()
        return 0
    print("usage: pgcluster.py start | stop DIR", file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
