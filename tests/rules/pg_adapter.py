"""pg_adapter.py -- the rule cases' database surface over PostgreSQL (issue 17).

test_rules.py talks to its database through the few calls of Python's
sqlite3.Connection it needs: execute (with '?' parameters; the result is
iterated, or read with fetchone and .description), executemany and
executescript. PgDatabase gives the same calls over one throw-away schema of
the PostgreSQL cluster the tests share (tests/pgcluster.py, SVCRECON_PG_DIR),
through Debian's python3-psycopg2, so that every case runs the same shared
SQL files on both back ends and is compared with the same expected rows.

The schema is built as lib/db.c's migrations build it on PostgreSQL: for
each schema version, its PostgreSQL additions of schemas/tables/pg/ just
before and after the shared file (the table is read from lib/db.c itself,
so a new migration cannot be forgotten here). The session is set up as
lib/db_pg.c sets up svcrecon's: search_path = the schema, jit off.

Cases never see each other's rows, TEMP tables or views (PgDatabase).
"""
import atexit
import itertools
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import pgcluster  # noqa: E402  (tests/pgcluster.py)

SCHEMAS = os.path.join(ROOT, "schemas")
_serial = itertools.count(1)


def unavailable():
    """Why the PostgreSQL half cannot run here, or None when it can."""
    if not pgcluster.from_env():
        return ("no PostgreSQL cluster (SVCRECON_PG_DIR unset; tests/run-all"
                " starts one with tests/pgcluster.py)")
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return "python3-psycopg2 is not installed (make test-deps)"
    return None


def migration_files():
    """The SQL files of every schema version in lib/db.c's order, each with
    PostgreSQL's additions around it: [(before, shared, after), ...] with
    None where lib/db.c has NULL."""
    with open(os.path.join(ROOT, "lib", "db.c"), encoding="utf-8") as f:
        text = f.read()
    table = re.search(r"migrations\[\] = \{(.*?)\n\};", text, re.S)
    rows = re.findall(r"\{sql_(\w+), (NULL|sql_\w+), (NULL|sql_\w+)\}",
                      table.group(1) if table else "")
    if not rows:
        raise RuntimeError("lib/db.c: migrations table not found")

    def path(name, folder):
        if name == "NULL":
            return None
        name = name[len("sql_"):] if name.startswith("sql_") else name
        return os.path.join(SCHEMAS, "tables", folder, name + ".sql")
    return [(path(b, "pg"), path(s, ""), path(a, "pg")) for s, b, a in rows]


class Cursor:
    """What a sqlite3 cursor gives the test: iteration, fetchone,
    description."""

    def __init__(self, cur):
        self.cur = cur
        self.description = cur.description

    def __iter__(self):
        return iter(self.cur.fetchall() if self.description else [])

    def fetchone(self):
        return self.cur.fetchone()


class PgDatabase:
    """One case's database: a schema with every version's tables.

    Building a schema costs about as much as a whole case, so the cases
    share one (made on first use, dropped at exit), emptied between them:
    every table TRUNCATEd with its identity restarted (file ids count from
    1 again, as in a new database) and the session's TEMP tables and views
    discarded. A case that changes the schema itself (fresh=True: the
    `before` SQL of test_rules.py) gets a schema of its own instead,
    dropped by close()."""
    _shared = None                        # (connection, schema) kept

    def __init__(self, fresh=False):
        self.fresh = fresh
        if fresh or PgDatabase._shared is None:
            self.conn, self.schema = self._new_schema()
            if not fresh:
                PgDatabase._shared = (self.conn, self.schema)
                atexit.register(self._drop, self.conn, self.schema)
            return
        self.conn, self.schema = PgDatabase._shared
        tables = [r[0] for r in self.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s",
            (self.schema,))]
        self.executescript("DISCARD TEMP; TRUNCATE %s RESTART IDENTITY" %
                           ", ".join(tables))

    def _new_schema(self):
        import psycopg2
        cluster = pgcluster.from_env()
        conn = psycopg2.connect(host=cluster.dir, user="postgres",
                                dbname=pgcluster.DATABASE)
        conn.autocommit = True            # as sqlite3's isolation_level=None
        schema = "rules_%d_%d" % (os.getpid(), next(_serial))
        conn.cursor().execute(
            "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s;"
            " SET search_path = %s; SET jit = off" % ((schema,) * 3))
        try:
            for before, shared, after in migration_files():
                for path in (before, shared, after):
                    if path:
                        with open(path, encoding="utf-8") as f:
                            conn.cursor().execute(f.read())
        except BaseException:
            PgDatabase._drop(conn, schema)      # leave nothing behind
            raise
        return conn, schema

    @staticmethod
    def _drop(conn, schema):
        try:
            conn.cursor().execute("DROP SCHEMA %s CASCADE" % schema)
        finally:
            conn.close()

    def execute(self, sql, params=None):
        cur = self.conn.cursor()
        if params is None:                 # no '%' interpolation then
            cur.execute(sql)
        else:
            cur.execute(sql.replace("?", "%s"), tuple(params))
        return Cursor(cur)

    def executemany(self, sql, rows):
        self.conn.cursor().executemany(sql.replace("?", "%s"),
                                       [tuple(r) for r in rows])

    def executescript(self, sql):
        """A file of statements, as one simple query (psycopg2 sends it as
        given when there are no parameters)."""
        self.conn.cursor().execute(sql)

    def close(self):
        if self.fresh and self.conn is not None:
            self._drop(self.conn, self.schema)
        self.conn = None
