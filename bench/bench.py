"""bench.py -- `make bench [BENCH_N=N]`: svcrecon against the bare SQLite load.

Issue 6. Generates N dispatches (about N closeouts, N/5 registrations) with
sample-data/generate once per N into bench/work/N/, then measures six steps,
each REPS times: wall time, CPU time and peak RSS of each command (the last
two from GNU time):

  reference  the sqlite3 CLI: `.import --csv` of the three files into a fresh
             database, one sqlite3 process (no validation, no indexes)
  import     `svcrecon import` into a fresh database, one process per kind
             (registrations, dispatches, closeouts): times added, RSS the max
  report     `svcrecon report` on the database of `import` (3 workbooks)
  run        `svcrecon run` from an empty database on an inbox of the three
             files (hard links named registrations_1.csv, ...)
  rerun      the same `run` again on its database: every file is skipped
  night2     the generator's second night added to the inbox, `run` on a copy
             of the night-1 database (copied before each repetition, untimed)
  statements `svcrecon report --statements` on the database of `import`: the
             report plus one statement per dealer (the generator's dealers)

Repetitions are interleaved (rep 1 of every step, then rep 2, ...) so that
load from other users of the machine spreads over all steps alike. Prints a
table and the issue's targets (PASS/MISS) and writes bench/results-N.json.
Nothing here is part of `make test`: there are no timed assertions there.
Exit status: 0 when every step ran (targets missed or not), 1 when a step
failed, 2 on a setup error (no generator, no ./svcrecon, no sqlite3).
"""
import argparse
import csv
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
GENERATOR = os.environ.get("BENCH_GENERATOR") or \
    os.path.join(ROOT, "sample-data", "generate")
SVCRECON = os.path.join(ROOT, "svcrecon")
KINDS = ("registrations", "dispatches", "closeouts")
STEPS = ("reference", "import", "report", "run", "rerun", "night2", "rules",
         "explain", "statements")
NEEDS = {"report": "import", "rerun": "run", "night2": "run",
         "rules": "night2", "explain": "import", "statements": "import"}
SEED = 6
MB = 1024 * 1024                       # peak RSS in MiB, as ru_maxrss is KiB
VERIFY_TIME = os.path.join(ROOT, "build", "bench", "verify-time")
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

# The issues' targets (6, then 15).
TARGET_IMPORT = 2.0                    # import <= 2 x reference
TARGET_RUN = 4.5                       # full run <= 4.5 x reference
TARGET_REPORT = 2.0                    # report, nothing new <= 2 x reference
TARGET_RSS_MB = 48.0                   # every svcrecon step
TARGET_RSS_FLAT = 0.10                 # the same +-10% at every N measured
TARGET_RERUN = 0.05                    # rerun <= 5% of the full run
NIGHT2_SLACK = 1.5                     # night 2 <= 1.5 x its proportional cost
TARGET_UPKEEP = 0.10                   # night 2's upkeep <= 10% of full rules
TARGET_EXPLAIN_S = 0.2                 # explain ID, explain --source
SCHEMAS = os.path.join(ROOT, "schemas")


def say(msg):
    print(msg, flush=True)


def die(msg):
    """A setup error: nothing was measured."""
    sys.stderr.write("bench: %s\n" % msg)
    sys.exit(2)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def copy_synced(src, dst):
    """An untimed copy of a database, written through to the disk before
    the timed command starts: else the kernel writes the copy's ~200 MB
    (at 200k; GBs at 1M) back while that command runs, and its first
    fsync waits for it -- measured: the first write of night 2 took
    110-150 ms after a bare copy, 13-25 ms after a synced one (ext4)."""
    shutil.copyfile(src, dst)
    fd = os.open(dst, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def rm_db(path):
    for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
        try:
            os.unlink(path + suffix)
        except FileNotFoundError:
            pass


# ---- data ----------------------------------------------------------------

def parse_day(text):
    """The date part of a feed date or date-time (SPEC §2), or None."""
    text = text.strip()[:10]
    try:
        if len(text) == 10 and text[4] == "-":
            return dt.date.fromisoformat(text)
        if len(text) == 10 and text[2] == "/":
            return dt.date(int(text[6:]), int(text[:2]), int(text[3:5]))
    except ValueError:
        pass
    return None


def day_counts(path, column):
    """How many rows of the CSV file fall on each day of `column`."""
    counts = {}
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        rows = csv.reader(f)
        header = [h.strip().lower() for h in next(rows, [])]
        if column not in header:
            return counts
        i = header.index(column)
        for row in rows:
            if i < len(row):
                d = parse_day(row[i])
                if d:
                    counts[d] = counts.get(d, 0) + 1
    return counts


def as_of_of(paths):
    """The night's as-of date: the last dispatch day. A feed may hold a few
    calls dated after its as-of date on purpose (SPEC §3 NO_DISPATCH), so a
    day counts only when it holds at least 1/10 of the busiest day's calls."""
    counts = {}
    for p in paths:
        for d, n in day_counts(p, "dispatched_at").items():
            counts[d] = counts.get(d, 0) + n
    if not counts:
        return None
    busiest = max(counts.values())
    return max(d for d, n in counts.items() if n * 10 >= busiest).isoformat()


def feed_files(directory):
    """{kind: [paths in byte order of name]} of one night's directory."""
    out = {k: [] for k in KINDS}
    for name in sorted(os.listdir(directory)):
        for k in KINDS:
            if name.startswith(k) and name.endswith(".csv"):
                out[k].append(os.path.join(directory, name))
    return out


def count_rows(path):
    """Records of a CSV file (header excluded, blank lines skipped)."""
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
        return max(0, sum(1 for r in csv.reader(f) if r) - 1)


def generate(n, work, seed, force):
    """Writes the data set into work/night1, work/night2 unless the stamp says
    it is there already for the same generator bytes, N and seed."""
    if not os.path.exists(GENERATOR):
        die("%s is missing: no data to measure" % GENERATOR)
    stamp_path = os.path.join(work, "stamp.json")
    want = {"generator_sha256": sha256_file(GENERATOR), "dispatches": n,
            "seed": seed}
    try:
        with open(stamp_path) as f:
            stamp = json.load(f)
        if not force and all(stamp.get(k) == v for k, v in want.items()):
            say("data: reusing %s (generator unchanged)" % work)
            return stamp
    except (OSError, ValueError):
        pass
    n1, n2 = os.path.join(work, "night1"), os.path.join(work, "night2")
    for d in (n1, n2):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    cmd = [GENERATOR, "--dispatches", str(n), "--seed", str(seed),
           "--out", n1, "--night2", n2]
    if not os.access(GENERATOR, os.X_OK):
        cmd.insert(0, "/usr/bin/python3")
    say("data: %s" % " ".join(os.path.relpath(c, ROOT) if c.startswith(ROOT)
                                else c for c in cmd))
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout + p.stderr)
        die("the generator failed (exit %d)" % p.returncode)
    secs = time.perf_counter() - t0
    stamp = dict(want)
    stamp["generator_output"] = (p.stdout + p.stderr).strip()
    stamp["generate_seconds"] = round(secs, 1)
    # The generator names the as-of date of each night on stderr ("as-of
    # 2025-12-31 ...; night2 as-of 2026-01-18"); failing that, the data.
    said = {"night1": re.search(r"(?<!night2 )as-of (\d{4}-\d\d-\d\d)",
                                stamp["generator_output"]),
            "night2": re.search(r"night2 as-of (\d{4}-\d\d-\d\d)",
                                stamp["generator_output"])}
    for night, d in (("night1", n1), ("night2", n2)):
        files = feed_files(d)
        stamp[night] = {
            "as_of": said[night].group(1) if said[night]
                     else as_of_of(files["dispatches"]),
            "files": {os.path.basename(p): {"kind": k,
                                            "bytes": os.path.getsize(p),
                                            "rows": count_rows(p)}
                      for k in KINDS for p in files[k]},
        }
        if not files["dispatches"] or not stamp[night]["as_of"]:
            die("%s holds no dispatches file with dates" % d)
    with open(stamp_path, "w") as f:
        json.dump(stamp, f, indent=2)
    say("data: generated in %.1f s: %s" % (secs, stamp["generator_output"]))
    return stamp


def make_inbox(path, nights):
    """An inbox of hard links named KIND_NIGHT.csv (KIND_NIGHT_I.csv when a
    night has several files of a kind), so that `run` takes night 1 first."""
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    for night, directory in nights:
        files = feed_files(directory)
        for k in KINDS:
            for i, src in enumerate(files[k]):
                suffix = "" if len(files[k]) == 1 else "_%d" % (i + 1)
                dst = os.path.join(path, "%s_%d%s.csv" % (k, night, suffix))
                try:
                    os.link(src, dst)
                except OSError:
                    shutil.copyfile(src, dst)


# ---- measuring -----------------------------------------------------------

def timed(cmd, log, stdin=None):
    """Runs cmd; its wall time, CPU time and peak RSS.

    The peak RSS comes from GNU time (%M), not from our own wait4(2): Linux
    carries a process's RSS high-water mark across exec, so a child forked
    from this Python process would start at Python's ~18 MB. GNU time is a
    small C program; its child starts near 1 MB."""
    usage = log + ".time"
    argv = list(cmd)
    if TIME:
        argv = [TIME, "-f", "%M %U %S", "-o", usage] + argv
    with open(log, "w") as out:
        inp = open(stdin, "rb") if stdin else subprocess.DEVNULL
        try:
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, stdin=inp, stdout=out, stderr=out)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
        finally:
            if stdin:
                inp.close()
    p.returncode = os.waitstatus_to_exitcode(status)
    m = {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime,
         "rss_mb": ru.ru_maxrss * 1024 / MB, "exit": p.returncode,
         "log": log}
    if TIME:
        try:
            with open(usage) as f:
                kb, user, sys_ = f.read().split()[-3:]
            m["rss_mb"] = int(kb) * 1024 / MB
            m["cpu"] = float(user) + float(sys_)
        except (OSError, ValueError):
            pass
    return m


def combine(parts):
    """Several processes of one step: times add up, peak RSS is the max."""
    return {"wall": sum(p["wall"] for p in parts),
            "cpu": sum(p["cpu"] for p in parts),
            "rss_mb": max(p["rss_mb"] for p in parts),
            "exit": next((p["exit"] for p in parts if p["exit"]), 0),
            "log": next((p["log"] for p in parts if p["exit"]),
                        parts[-1]["log"]),
            "parts": [{k: p[k] for k in ("wall", "cpu", "rss_mb", "exit")}
                      for p in parts]}


def read_summary(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def attach(m, summary):
    """Adds, from svcrecon's --summary, the time spent importing (the sum of
    its files' seconds), of it in the rule upkeep (the files'
    rules_seconds), the rest (opening, reporting) and the rows read."""
    if summary:
        imp = sum(f.get("seconds", 0) for f in summary.get("files", []))
        m["inner_import_s"] = imp
        m["inner_rules_s"] = sum(f.get("rules_seconds", 0)
                                 for f in summary.get("files", []))
        m["inner_rest_s"] = max(0.0, summary.get("elapsed_seconds", 0) - imp)
        m["rows_read"] = summary["control_totals"]["rows_read"]
    return m


def workbooks_ok(out_dir, as_of):
    names = ["unclosed_calls_%s.xlsx" % as_of, "non_compensable_%s.xlsx" % as_of,
             "audit_%s.xlsx" % as_of]
    missing = [n for n in names if not os.path.isfile(os.path.join(out_dir, n))]
    return missing


class Bench:
    def __init__(self, n, work, stamp, reps, steps):
        self.n, self.work, self.stamp, self.reps = n, work, stamp, reps
        self.steps = steps
        self.run_dir = os.path.join(work, "run")
        self.logs = os.path.join(work, "logs")
        self.n1 = os.path.join(work, "night1")
        self.n2 = os.path.join(work, "night2")
        self.a1 = stamp["night1"]["as_of"]
        self.a2 = stamp["night2"]["as_of"]
        self.results = {s: [] for s in steps}
        self.failed = {}                       # step -> reason
        self.summaries = {}                    # step -> svcrecon --summary
        for d in (self.run_dir, self.logs):
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
        self.inbox1 = os.path.join(self.run_dir, "inbox1")
        self.inbox2 = os.path.join(self.run_dir, "inbox2")
        make_inbox(self.inbox1, [(1, self.n1)])
        make_inbox(self.inbox2, [(1, self.n1), (2, self.n2)])

    def path(self, name):
        return os.path.join(self.run_dir, name)

    def log(self, step, rep, what=""):
        return os.path.join(self.logs, "%s%s-%d.log" % (step, what, rep))

    def svc(self, *args):
        return [SVCRECON] + list(args) + ["--quiet"]

    # One repetition of each step. Each returns the measure (a dict).
    def reference(self, rep):
        db = self.path("reference.db")
        rm_db(db)
        script = self.path("reference.sql")
        with open(script, "w") as f:
            for k, files in feed_files(self.n1).items():
                for i, p in enumerate(files):
                    # The first file creates the table from its header; later
                    # files of the same kind append and skip their header.
                    f.write(".import --csv %s%s %s\n"
                            % ("--skip 1 " if i else "", p, k))
        return timed(["sqlite3", db], self.log("reference", rep), stdin=script)

    def import_(self, rep):
        db = self.path("import.db")
        rm_db(db)
        parts = []
        for k, files in feed_files(self.n1).items():
            if not files:
                continue
            summary = self.path("import-%s.json" % k)
            parts.append(timed(self.svc("import", "--db", db, "--kind", k,
                                        "--summary", summary, *files),
                               self.log("import", rep, "-" + k)))
            self.summaries.setdefault("import", {})[k] = read_summary(summary)
            if parts[-1]["exit"] != 0:
                break
        return combine(parts)

    def report(self, rep):
        out = self.path("out-report")
        shutil.rmtree(out, ignore_errors=True)
        summary = self.path("report.json")
        m = timed(self.svc("report", "--db", self.path("import.db"), "--out",
                           out, "--as-of", self.a1, "--summary", summary),
                  self.log("report", rep))
        self.summaries["report"] = read_summary(summary)
        attach(m, self.summaries["report"])
        m = self.check_out(m, out, self.a1)
        if m["exit"] == 0 and os.access(VERIFY_TIME, os.X_OK):
            # issue 16: the read-back before each rename, timed alone on
            # the same workbooks (it runs inside the report's time too)
            p = subprocess.run([VERIFY_TIME] + [
                os.path.join(out, n) for n in sorted(os.listdir(out))
                if n.endswith(".xlsx")], capture_output=True, text=True)
            got = re.match(r"verify ([0-9.]+) s cpu ([0-9.]+) s", p.stdout)
            if p.returncode != 0 or not got:
                m["error"] = "verify-time: %s" % (p.stderr or p.stdout)
            else:
                m["verify_s"] = float(got.group(1))
        return m

    def statements(self, rep):
        out = self.path("out-statements")
        shutil.rmtree(out, ignore_errors=True)
        summary = self.path("statements.json")
        m = timed(self.svc("report", "--db", self.path("import.db"), "--out",
                           out, "--as-of", self.a1, "--statements",
                           "--summary", summary),
                  self.log("statements", rep))
        self.summaries["statements"] = read_summary(summary)
        attach(m, self.summaries["statements"])
        return self.check_out(m, out, self.a1)

    def run(self, rep):
        db = self.path("run.db")
        rm_db(db)
        out = self.path("out-run")
        shutil.rmtree(out, ignore_errors=True)
        summary = self.path("run.json")
        m = timed(self.svc("run", "--db", db, "--inbox", self.inbox1, "--out",
                           out, "--as-of", self.a1, "--summary", summary),
                  self.log("run", rep))
        self.summaries["run"] = read_summary(summary)
        attach(m, self.summaries["run"])
        return self.check_out(m, out, self.a1)

    def rerun(self, rep):
        out = self.path("out-run")
        summary = self.path("rerun.json")
        m = timed(self.svc("run", "--db", self.path("run.db"), "--inbox",
                           self.inbox1, "--out", out, "--as-of", self.a1,
                           "--summary", summary), self.log("rerun", rep))
        s = self.summaries["rerun"] = read_summary(summary)
        attach(m, s)
        if m["exit"] == 0 and s and s["control_totals"]["skipped"] != \
                s["control_totals"]["files"]:
            m["error"] = "not every file was skipped: %s" % s["control_totals"]
        return self.check_out(m, out, self.a1)

    def night2(self, rep):
        # Every repetition starts from the night-1 database (untimed copy);
        # rerun leaves run.db as run made it.
        db = self.path("night2.db")
        rm_db(db)
        copy_synced(self.path("run.db"), db)
        if os.path.exists(self.path("run.db-wal")):
            copy_synced(self.path("run.db-wal"), db + "-wal")
        out = self.path("out-night2")
        shutil.rmtree(out, ignore_errors=True)
        summary = self.path("night2.json")
        m = timed(self.svc("run", "--db", db, "--inbox", self.inbox2, "--out",
                           out, "--as-of", self.a2, "--summary", summary),
                  self.log("night2", rep))
        self.summaries["night2"] = read_summary(summary)
        attach(m, self.summaries["night2"])
        return self.check_out(m, out, self.a2)

    def sqlite_script(self, db, sql, log):
        """Runs SQL in one sqlite3 process with svcrecon's pragmas, in one
        transaction (as a load's upkeep runs)."""
        script = log + ".sql"
        with open(script, "w") as f:
            # svcrecon's pragmas of a writer (lib/db_sqlite.c, open_write);
            # the CLI's own default would be synchronous = FULL, an fsync
            # at every commit, which svcrecon does not pay: one a file
            # weighed on night 2's three processes, not on the one of (a).
            # temp.cache_size: the TEMP tables' own cache (open_write's
            # TEMP_CACHE_PRAGMA, 2026-12-07).
            f.write("PRAGMA cache_size = -8192;\nPRAGMA temp_store = FILE;\n"
                    "PRAGMA temp.cache_size = -8192;\n"
                    "PRAGMA synchronous = NORMAL;\nPRAGMA foreign_keys = ON;\n"
                    "BEGIN IMMEDIATE;\n%s\nCOMMIT;\n" % sql)
        return timed(["sqlite3", "-bail", db], log, stdin=script)

    def replay(self, db, src, ids, rep, tag):
        """The upkeep of the files ids = [(file_id, kind)] of the database
        src, as their loads ran it, on db: each file's rows are copied from
        src (untimed, a process of their own), then its u000_touched.sql +
        touch_KIND.sql + upkeep.sql run (timed). Times and CPU add up."""
        n = {"wall": 0.0, "cpu": 0.0, "rss_mb": 0.0, "exit": 0 if ids else 1}
        for fid, kind in ids:
            table = {"registrations": "registration",
                     "dispatches": "dispatch", "closeouts": "closeout"}[kind]
            rows = self.log("rules", rep, "-%s-rows-%s" % (tag, fid))
            with open(rows + ".sql", "w") as f:
                f.write("ATTACH '%s' AS src;\nBEGIN;\n"
                        "INSERT INTO imported_file SELECT * FROM "
                        "src.imported_file WHERE file_id = %s;\n"
                        "INSERT INTO %s SELECT * FROM src.%s "
                        "WHERE file_id = %s;\nCOMMIT;\n"
                        % (src.replace("'", "''"), fid, table, table, fid))
            m = timed(["sqlite3", "-bail", db], rows, stdin=rows + ".sql")
            if m["exit"] == 0:
                m = self.sqlite_script(
                    db, upkeep_sql("u000_touched.sql") +
                    upkeep_sql("touch_%s.sql" % kind).replace(":file_id",
                                                               fid) +
                    upkeep_sql("upkeep.sql"),
                    self.log("rules", rep, "-%s-%s" % (tag, fid)))
            for k in ("wall", "cpu"):
                n[k] += m.get(k) or 0.0
            n["rss_mb"] = max(n["rss_mb"], m.get("rss_mb") or 0.0)
            n["exit"] = n["exit"] or m["exit"]
        return n

    def rules(self, rep):
        """Issue 15: (a) the rules' whole computation: the rule state
        computed once for the whole history, on a copy of the night-1
        database; (b) the upkeep of night 2 alone, as the load does it: on
        a copy of the night-1 database, each night-2 file in import order
        gets its rows (copied from night 2's database, untimed) and then its
        upkeep (timed). Only so does a file's upkeep see what the load saw:
        a copy of night 2's whole database would already hold the rows of
        the files imported after it (the closeouts of night 2's new
        dispatches: ~10x more closeouts evaluated again for the dispatches
        file). (c) For comparison, night 1's upkeep the same way, file by
        file from an empty database: the rule time of a full run. All by
        the sqlite3 CLI, from schemas/upkeep/."""
        full_db, n2_db = self.path("rules-full.db"), self.path("rules-n2.db")
        n1_db, run_db = self.path("rules-n1.db"), self.path("run.db")
        for dst in (full_db, n2_db, n1_db):
            rm_db(dst)
        for dst in (full_db, n2_db):
            copy_synced(run_db, dst)
        schema = subprocess.run(["sqlite3", run_db, ".schema"],
                                stdout=subprocess.PIPE, text=True).stdout
        subprocess.run(["sqlite3", n1_db], input="PRAGMA page_size = 16384;"
                       "\nPRAGMA journal_mode = WAL;\n" + schema, text=True,
                       stdout=subprocess.DEVNULL, check=True)
        full = self.sqlite_script(full_db, upkeep_sql("u000_touched.sql") +
                                  upkeep_sql("touch_all.sql") +
                                  upkeep_sql("upkeep.sql"),
                                  self.log("rules", rep, "-full"))
        src = self.path("night2.db")
        ids = sqlite3_rows(src, "SELECT file_id, kind FROM imported_file "
                           "WHERE status = 'loaded' AND name LIKE '%\\_2%' "
                           "ESCAPE '\\' ORDER BY file_id")
        n2 = self.replay(n2_db, src, ids, rep, "night2")
        ids1 = sqlite3_rows(run_db, "SELECT file_id, kind FROM imported_file "
                            "WHERE status = 'loaded' ORDER BY file_id")
        n1 = self.replay(n1_db, run_db, ids1, rep, "night1")
        m = dict(full)
        m["full_s"], m["night2_s"] = full["wall"], n2["wall"]
        m["full_cpu_s"], m["night2_cpu_s"] = full.get("cpu"), n2["cpu"]
        m["night1_s"], m["night1_cpu_s"] = n1["wall"], n1["cpu"]
        m["night2_files"] = len(ids)
        m["exit"] = full["exit"] or n2["exit"] or n1["exit"]
        return m

    def explain(self, rep):
        """Issue 15: `explain ID` and `explain --source FILE:LINE` on the
        database of `import`: a dispatch with the most closeouts, and the
        last closeout row of the night's file."""
        db = self.path("import.db")
        if not hasattr(self, "explain_args"):
            did = sqlite3_rows(db, "SELECT dispatch_id FROM cur_closeout "
                               "WHERE dispatch_id <> '' GROUP BY dispatch_id "
                               "ORDER BY COUNT(*) DESC, dispatch_id LIMIT 1")
            src = sqlite3_rows(db, "SELECT f.name, MAX(c.line) FROM closeout c "
                               "JOIN imported_file f ON f.file_id = c.file_id "
                               "GROUP BY f.file_id ORDER BY f.file_id LIMIT 1")
            self.explain_args = (did[0][0], "%s:%s" % src[0])
        a = self.explain_args
        by_id = timed([SVCRECON, "explain", "--db", db, "--as-of", self.a1,
                       a[0]], self.log("explain", rep, "-id"))
        by_src = timed([SVCRECON, "explain", "--db", db, "--as-of", self.a1,
                        "--source", a[1]], self.log("explain", rep, "-source"))
        m = dict(by_id)
        m["id_s"], m["source_s"] = by_id["wall"], by_src["wall"]
        m["wall"] = max(by_id["wall"], by_src["wall"])
        m["rss_mb"] = max(by_id["rss_mb"], by_src["rss_mb"])
        m["exit"] = by_id["exit"] or by_src["exit"]
        return m

    def check_out(self, m, out, as_of):
        if m["exit"] == 0 and not m.get("error"):
            missing = workbooks_ok(out, as_of)
            if missing:
                m["error"] = "exit 0 but missing %s" % ", ".join(missing)
        return m

    def go(self):
        for rep in range(1, self.reps + 1):
            for step in self.steps:
                if step in self.failed or NEEDS.get(step) in self.failed:
                    continue
                if NEEDS.get(step) and NEEDS[step] not in self.steps:
                    self.failed[step] = "needs step %s" % NEEDS[step]
                    continue
                fn = getattr(self, "import_" if step == "import" else step)
                m = fn(rep)
                ok = m["exit"] == 0 and not m.get("error")
                say("  rep %d  %-9s %8.2f s  %7.1f MB%s"
                    % (rep, step, m["wall"], m["rss_mb"],
                       "" if ok else "  FAILED: %s" % failure(m)))
                if ok:
                    self.results[step].append(m)
                else:
                    self.failed[step] = failure(m)


def upkeep_sql(name):
    with open(os.path.join(SCHEMAS, "upkeep", name)) as f:
        return f.read()


def sqlite3_rows(db, sql):
    p = subprocess.run(["sqlite3", "-separator", "\t", db, sql],
                       stdout=subprocess.PIPE, text=True)
    return [tuple(l.split("\t")) for l in p.stdout.splitlines() if l]


def failure(m):
    if m.get("error"):
        return m["error"]
    try:
        with open(m["log"], errors="replace") as f:
            tail = [l.strip() for l in f.read().splitlines() if l.strip()]
    except OSError:
        tail = []
    return "exit %d%s" % (m["exit"], (": " + tail[-1]) if tail else "")


# ---- report --------------------------------------------------------------

def stats(ms):
    if not ms:
        return None
    walls = [m["wall"] for m in ms]
    inner = {}
    for k in ("inner_import_s", "inner_rest_s", "inner_rules_s"):
        if all(k in m for m in ms):
            inner[k.replace("inner_", "median_")] = \
                statistics.median(m[k] for m in ms)
    for k in ("full_s", "night2_s", "full_cpu_s", "night2_cpu_s",
              "night1_s", "night1_cpu_s", "id_s", "source_s"):
        if all(m.get(k) is not None for m in ms):
            inner["median_" + k] = statistics.median(m[k] for m in ms)
    return {"reps": len(ms), "min_s": min(walls), **inner,
            "median_s": statistics.median(walls),
            "cpu_median_s": statistics.median(m["cpu"] for m in ms),
            "peak_rss_mb": max(m["rss_mb"] for m in ms),
            "runs": [{k: v for k, v in m.items() if k != "log"} for m in ms]}


def ratio(a, b, key="median_s"):
    if not a or not b or not b[key]:
        return None
    return a[key] / b[key]


def rows_of(summary_by_step):
    """Rows read by a svcrecon step, from its --summary JSON."""
    if not summary_by_step:
        return None
    if "control_totals" in summary_by_step:
        return summary_by_step["control_totals"]["rows_read"]
    return sum(s["control_totals"]["rows_read"]
               for s in summary_by_step.values() if s)


def build_results(b, meta):
    st = {s: stats(b.results[s]) for s in b.steps}
    ref, imp, rep, run, rerun, n2, rules, expl = (st.get(s) for s in STEPS[:8])
    ratios = {
        "import/reference": ratio(imp, ref),
        "run/reference": ratio(run, ref),
        "report/reference": ratio(rep, ref),
        "rerun/run": ratio(rerun, run),
        "night2/run": ratio(n2, run),
        "cpu_based": {
            "import/reference": ratio(imp, ref, "cpu_median_s"),
            "report/reference": ratio(rep, ref, "cpu_median_s"),
            "run/reference": ratio(run, ref, "cpu_median_s"),
            "rerun/run": ratio(rerun, run, "cpu_median_s"),
            "night2/run": ratio(n2, run, "cpu_median_s"),
        },
        "min_based": {
            "import/reference": ratio(imp, ref, "min_s"),
            "report/reference": ratio(rep, ref, "min_s"),
            "run/reference": ratio(run, ref, "min_s"),
            "rerun/run": ratio(rerun, run, "min_s"),
            "night2/run": ratio(n2, run, "min_s"),
        },
    }
    rows1 = rows_of(b.summaries.get("run")) or rows_of(b.summaries.get("import"))
    rows2 = rows_of(b.summaries.get("night2"))
    checks = []

    def check(name, value, limit, fmt, unit=""):
        if value is None:
            checks.append({"target": name, "value": None, "limit": limit,
                           "verdict": "N/A"})
        else:
            checks.append({"target": name, "value": value, "limit": limit,
                           "verdict": "PASS" if value <= limit else "MISS",
                           "shown": fmt % value + unit})

    check("import <= %gx reference" % TARGET_IMPORT,
          ratios["import/reference"], TARGET_IMPORT, "%.2f", "x")
    check("full run <= %gx reference" % TARGET_RUN,
          ratios["run/reference"], TARGET_RUN, "%.2f", "x")
    check("report, nothing new, new folder <= %gx reference" % TARGET_REPORT,
          ratios["report/reference"], TARGET_REPORT, "%.2f", "x")
    # Issue 15: "the rule upkeep <= 10 % of a full run's rule time". A full
    # run from an empty database keeps the rules file by file, as it loads
    # them: night 1's upkeep replayed file by file (rules(), (c)) is that
    # time. Until 2026-12-04 the verdict divided by the one-shot whole
    # computation (touch_all.sql, which no run executes) instead, a
    # stricter yardstick; it is still printed above the verdicts.
    check("night 2 upkeep <= %g%% of a full run's rule time (replay)"
          % (TARGET_UPKEEP * 100),
          rules["median_night2_s"] / rules["median_night1_s"]
          if rules and rules.get("median_night1_s") else None,
          TARGET_UPKEEP, "%.3f")
    # The same ratio measured inside svcrecon, as the nights ran: each
    # loaded file's rules_seconds in its --summary (etl/load.c keep_rules:
    # touch_*.sql + upkeep.sql, the indexes' rebuild left out), summed over
    # the night2 step's files against the run step's. The replay above runs
    # the same SQL in sqlite3 processes of their own, one per file, each
    # starting with a cold page cache and (night 1) with the indexes a
    # first night builds after its rows; both are printed, neither hides
    # the other.
    check("night 2 upkeep <= %g%% of a full run's rule time (in svcrecon)"
          % (TARGET_UPKEEP * 100),
          n2["median_rules_s"] / run["median_rules_s"]
          if n2 and run and n2.get("median_rules_s") is not None
          and run.get("median_rules_s") else None,
          TARGET_UPKEEP, "%.3f")
    check("explain ID <= %g s" % TARGET_EXPLAIN_S,
          expl.get("median_id_s") if expl else None, TARGET_EXPLAIN_S,
          "%.3f", " s")
    check("explain --source FILE:LINE <= %g s" % TARGET_EXPLAIN_S,
          expl.get("median_source_s") if expl else None, TARGET_EXPLAIN_S,
          "%.3f", " s")
    svc = [st[s] for s in ("import", "report", "run", "rerun", "night2",
                           "explain", "statements") if st.get(s)]
    peak = max(s["peak_rss_mb"] for s in svc) if svc else None
    check("peak RSS <= %g MB (every svcrecon step)" % TARGET_RSS_MB,
          peak, TARGET_RSS_MB, "%.1f", " MB")
    # Flat: this N's peak against the other N's of bench/results-*.json.
    others = {}
    for name in os.listdir(BENCH):
        m = re.match(r"results-(\d+)\.json$", name)
        # the points: 200,000 and up (small N are all overhead)
        if m and int(m.group(1)) != meta["n"] and int(m.group(1)) >= 200000:
            o = read_summary(os.path.join(BENCH, name)) or {}
            peaks = [c["value"] for c in o.get("checks", [])
                     if c["target"].startswith("peak RSS") and c.get("value")]
            if peaks:
                others[int(m.group(1))] = peaks[0]
    spread = None
    if peak and others:
        allp = list(others.values()) + [peak]
        spread = max(allp) / min(allp) - 1
    check("peak RSS flat (+-%d%%) over N = %s" % (
              TARGET_RSS_FLAT * 100,
              ", ".join(str(n) for n in sorted(list(others) + [meta["n"]]))),
          spread, TARGET_RSS_FLAT, "%.3f")
    check("rerun <= %g%% of full run" % (TARGET_RERUN * 100),
          ratios["rerun/run"], TARGET_RERUN, "%.3f")
    # Night 2 in proportion to its new rows and the report, not to history:
    # skipping night 1's files (the rerun, which writes no workbook when
    # nothing is new) + f x the import of night 1 + one report on (1 + f)
    # times night 1's data, f = night-2 rows / night-1 rows. A night 2 that
    # re-read or re-validated history would cost a multiple of that.
    n2x = None
    label = ("night 2 <= %gx (rerun + f x import + (1 + f) x report)"
             % NIGHT2_SLACK)
    if n2 and rerun and imp and rep and rows1 and rows2 is not None:
        f = rows2 / rows1
        expected = (rerun["median_s"] + f * imp["median_s"]
                    + (1 + f) * rep["median_s"])
        n2x = {"new_rows": rows2, "night1_rows": rows1, "fraction": f,
               "expected_s": expected, "measured_s": n2["median_s"],
               "share_of_import_s": f * imp["median_s"],
               "report_step_s": rep["median_s"],
               "import_part_s": n2.get("median_import_s"),
               "rest_part_s": n2.get("median_rest_s")}
        check(label, n2["median_s"] / expected, NIGHT2_SLACK, "%.2f", "x")
    else:
        check(label, None, NIGHT2_SLACK, "")
    if rules:
        ratios["night2_upkeep/full_rules"] = (rules["median_night2_s"] /
                                              rules["median_full_s"])
        if rules.get("median_night1_s"):
            ratios["night2_upkeep/night1_upkeep"] = (
                rules["median_night2_s"] / rules["median_night1_s"])
    vs = [m["verify_s"] for m in b.results.get("report", []) if "verify_s" in m]
    verify = None
    if vs and rep:
        v = statistics.median(vs)
        verify = {"median_s": v, "share_of_report": v / rep["median_s"]}
        check("workbook read-back <= 5% of the report (issue 16)",
              verify["share_of_report"], 0.05, "%.3f")
    return {"meta": meta, "steps": st, "failed": b.failed, "ratios": ratios,
            "night2": n2x, "checks": checks, "verify": verify,
            "svcrecon_summaries": b.summaries}


def num(x):
    return "-" if x is None else "%.3f" % x


def print_results(res):
    say("")
    say("N = %d  (as of %s; night 2 as of %s)"
        % (res["meta"]["n"], res["meta"]["as_of"], res["meta"]["as_of_night2"]))
    say("%-10s %8s %9s %9s %10s" % ("step", "min s", "median s", "cpu s",
                                    "peak RSS MB"))
    for s in STEPS:
        x = res["steps"].get(s)
        if x:
            say("%-10s %8.2f %9.2f %9.2f %10.1f" % (s, x["min_s"], x["median_s"],
                                                 x["cpu_median_s"],
                                                 x["peak_rss_mb"]))
        elif s in res["failed"]:
            say("%-10s FAILED: %s" % (s, res["failed"][s]))
    x = res["steps"].get("rules")
    if x:
        say("rules: the whole computation %.2f s, night 2's upkeep %.2f s "
            "(medians; sqlite3 CLI on copies)" % (x["median_full_s"],
                                                  x["median_night2_s"]))
        if x.get("median_night2_cpu_s") is not None:
            say("       CPU: %.2f s and %.2f s, ratio %.3f"
                % (x["median_full_cpu_s"], x["median_night2_cpu_s"],
                   x["median_night2_cpu_s"] / x["median_full_cpu_s"]))
        if x.get("median_night1_s") is not None:
            say("       night 1's upkeep file by file (a full run's rule "
                "time): %.2f s, CPU %.2f s; night 2's upkeep / it: %.3f "
                "(CPU %.3f)" % (x["median_night1_s"], x["median_night1_cpu_s"],
                                x["median_night2_s"] / x["median_night1_s"],
                                x["median_night2_cpu_s"] /
                                x["median_night1_cpu_s"]))
    x = res["steps"].get("explain")
    if x:
        say("explain: ID %.3f s, --source %.3f s (medians)"
            % (x["median_id_s"], x["median_source_s"]))
    inner = [(s, res["steps"][s]) for s in ("report", "run", "rerun", "night2")
             if res["steps"].get(s) and "median_import_s" in res["steps"][s]]
    if inner:
        say("")
        say("inside svcrecon (its --summary; medians): import = the files' "
            "seconds, of it rules = their rules_seconds, rest = lock, open, "
            "report")
        for s, x in inner:
            say("%-10s import %6.2f s (rules %5.2f s)   rest %6.2f s"
                % (s, x["median_import_s"], x.get("median_rules_s", 0.0),
                   x["median_rest_s"]))
    if res.get("verify"):
        say("")
        say("workbook read-back (verify.c, issue 16): %.3f s = %.1f%% of "
            "the report step" % (res["verify"]["median_s"],
                                 100 * res["verify"]["share_of_report"]))
    r = res["ratios"]
    say("")
    for k in ("import/reference", "run/reference", "report/reference",
              "rerun/run", "night2/run"):
        if r.get(k) is not None:
            say("%-17s %7.3f   (on minima %s, on CPU time %s)"
                % (k, r[k], num(r["min_based"][k]), num(r["cpu_based"][k])))
    if res["night2"]:
        x = res["night2"]
        say("night 2: %d new rows = %.1f%% of night 1's %d; expected %.2f s, "
            "measured %.2f s" % (x["new_rows"], 100 * x["fraction"],
                                 x["night1_rows"], x["expected_s"],
                                 x["measured_s"]))
        if x["import_part_s"] is not None:
            say("         its imports %.2f s (f x import step = %.2f s), the "
                "rest %.2f s (report step %.2f s)"
                % (x["import_part_s"], x["share_of_import_s"],
                   x["rest_part_s"], x["report_step_s"]))
    x, rep = res["steps"].get("statements"), res["steps"].get("report")
    js = (res["svcrecon_summaries"].get("statements") or {}).get("reports")
    if x and rep and js and js.get("statements"):
        n = js["statements"]["count"]
        say("statements: %d dealer statements, %.2f s more than the report "
            "(%.1f ms each)" % (n, x["median_s"] - rep["median_s"],
                                1000 * (x["median_s"] - rep["median_s"]) /
                                max(n, 1)))
    load = res["meta"]["loadavg_start"][0], res["meta"]["loadavg_end"][0]
    if max(load) > 0.5 * (res["meta"]["cpus"] or 1):
        say("note: load average %.2f at the start, %.2f at the end on %s "
            "CPUs: other work shared the machine, wall times are inflated"
            % (load[0], load[1], res["meta"]["cpus"]))
    say("")
    for c in res["checks"]:
        say("%-4s  %-58s %s" % (c["verdict"], c["target"], c.get("shown", "")))


def tool_version(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, text=True,
                              stderr=subprocess.DEVNULL).stdout.strip()
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser(prog="bench/run",
                                 description="svcrecon benchmark (issue 6)")
    ap.add_argument("n", nargs="?", type=int, default=200000,
                    help="dispatches (default 200000)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--steps", default=",".join(STEPS + ("pg",)),
                    help="comma-separated subset of: " + ", ".join(STEPS) +
                    ", pg (the same night on PostgreSQL: bench/bench_pg.py)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--regenerate", action="store_true",
                    help="generate the data even if present")
    a = ap.parse_args()
    steps = [s for s in STEPS if s in a.steps.split(",")]
    if not steps or a.n <= 0 or a.reps <= 0:
        ap.error("nothing to measure")
    if not os.access(SVCRECON, os.X_OK):
        die("%s is missing; run `make` first" % SVCRECON)
    if not shutil.which("sqlite3"):
        die("the sqlite3 CLI is missing (Debian package sqlite3)")

    work = os.path.join(BENCH, "work", str(a.n))
    os.makedirs(work, exist_ok=True)
    stamp = generate(a.n, work, a.seed, a.regenerate)
    git = tool_version(["git", "-C", ROOT, "describe", "--always", "--dirty"])
    meta = {
        "n": a.n, "seed": a.seed, "reps": a.reps,
        "as_of": stamp["night1"]["as_of"],
        "as_of_night2": stamp["night2"]["as_of"],
        "data": {k: stamp[k] for k in ("night1", "night2")},
        "generator_sha256": stamp["generator_sha256"],
        "started": dt.datetime.now().isoformat(timespec="seconds"),
        "host": platform.node(), "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "svcrecon": tool_version([SVCRECON, "--version"]),
        "svcrecon_sha256": sha256_file(SVCRECON),
        "sqlite3_cli": tool_version(["sqlite3", "--version"]),
        "git": git,
        "import_mode": "one `svcrecon import` per kind, in order "
                       "registrations, dispatches, closeouts; times added",
        "rss_unit": "MiB, GNU time %M / 1024" if TIME else
                    "MiB, wait4 ru_maxrss / 1024 (includes Python's RSS: "
                    "/usr/bin/time missing)",
    }
    d1 = sum(f["bytes"] for f in stamp["night1"]["files"].values())
    say("measuring N=%d: night 1 %.1f MB in %d files, %d reps; load %.2f"
        % (a.n, d1 / 1e6, len(stamp["night1"]["files"]), a.reps,
           os.getloadavg()[0]))
    b = Bench(a.n, work, stamp, a.reps, steps)
    b.go()
    meta["loadavg_end"] = os.getloadavg()
    meta["finished"] = dt.datetime.now().isoformat(timespec="seconds")
    res = build_results(b, meta)
    print_results(res)
    if "pg" in a.steps.split(","):              # issue 17: bench/bench_pg.py
        import bench_pg
        res["postgresql"] = bench_pg.measure(b, a.reps, res["steps"])
        b.failed.update({"pg " + s: r for s, r in
                         res["postgresql"].get("failed", {}).items()})
    out = os.path.join(BENCH, "results-%d.json" % a.n)
    with open(out + ".tmp", "w") as f:
        json.dump(res, f, indent=2)
    os.replace(out + ".tmp", out)
    say("\nwritten %s" % os.path.relpath(out, ROOT))
    return 1 if b.failed else 0


if __name__ == "__main__":
    sys.exit(main())
