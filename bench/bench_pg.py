"""bench_pg.py -- `make bench`'s PostgreSQL step (issue 17): the same night
on a PostgreSQL server on the same machine, beside SQLite.

bench.py runs its SQLite steps first; then, unless `--steps` leaves out
`pg`, this starts a throw-away cluster (tests/pgcluster.py, Debian's
postgresql package) listening on a Unix socket, **durable** as a
production server is (fsync, full-page writes and synchronous commits on;
the tests' clusters turn them off), with the package's default settings
(shared_buffers 128 MB), and measures on it, REPS times interleaved:

  import   `svcrecon import --db URI --schema bench_import`, one process per
           kind, into a schema dropped first (untimed): times added
  report   `svcrecon report` on that schema (3 workbooks)
  run      `svcrecon run` on the inbox of the three files, schema dropped
           first
  explain  `explain ID` and `explain --source FILE:LINE` on the import's
           schema (the SQLite step's arguments: the same data)

and prints its own table: each step's median on PostgreSQL and on SQLite
(bench.py's step of the same name), which is faster and by how much, and
the rows/s of the import. The run's summary counts (rows, workbook rows,
rejected rows) must equal SQLite's, or the step fails. The cluster is
stopped and removed at the end whatever happened. Without PostgreSQL the
step is skipped and says why; bench.py's results get {"skipped": why}.
"""
import os
import shutil
import statistics
import subprocess
import sys

import bench

sys.path.insert(0, os.path.join(bench.ROOT, "tests"))
import pgcluster  # noqa: E402

STEPS = ("import", "report", "run", "explain")
NEEDS = {"report": "import", "explain": "import"}
SCHEMAS = {"import": "bench_import", "report": "bench_import",
           "run": "bench_run", "explain": "bench_import"}


def commands(b, uri, step):
    """The svcrecon commands of one step on PostgreSQL (a Bench b gives the
    files, the inbox, the as-of date and explain's arguments)."""
    db = ["--db", uri, "--schema", SCHEMAS[step]]
    out = b.path("pg-out-" + step)
    if step == "import":
        return [b.svc("import", *db, "--kind", k, *files)
                for k, files in bench.feed_files(b.n1).items() if files]
    if step == "report":
        return [b.svc("report", *db, "--out", out, "--as-of", b.a1)]
    if step == "run":
        return [b.svc("run", *db, "--inbox", b.inbox1, "--out", out,
                      "--as-of", b.a1, "--summary", b.path("pg-run.json"))]
    explain = [bench.SVCRECON, "explain", *db, "--as-of", b.a1]
    return [explain + [b.explain_args[0]],
            explain + ["--source", b.explain_args[1]]]


def measure_step(b, c, uri, step, rep):
    """One repetition of a step: its schema dropped first when it writes
    one from nothing (untimed), then its commands, times added."""
    if step in ("import", "run"):
        c.psql(pgcluster.DATABASE, "DROP SCHEMA IF EXISTS %s CASCADE"
               % SCHEMAS[step])
        shutil.rmtree(b.path("pg-out-" + step), ignore_errors=True)
    parts = [bench.timed(cmd, b.log("pg-" + step, rep, "-%d" % i))
             for i, cmd in enumerate(commands(b, uri, step))]
    m = bench.combine(parts)
    if step == "explain":
        m["id_s"], m["source_s"] = parts[0]["wall"], parts[1]["wall"]
    if step in ("report", "run") and m["exit"] == 0:
        m = b.check_out(m, b.path("pg-out-" + step), b.a1)
    if step == "run" and m["exit"] == 0:
        m = same_counts(m, b)
    return m


def counts(summary):
    s = summary or {}
    return {"control_totals": s.get("control_totals"),
            "reports": {k: v.get("rows") for k, v in
                        (s.get("reports") or {}).items()
                        if isinstance(v, dict)}}


def same_counts(m, b):
    """The run on PostgreSQL must count what the SQLite run counted."""
    pg = counts(bench.read_summary(b.path("pg-run.json")))
    lite = b.summaries.get("run")
    if lite and pg != counts(lite):
        m["error"] = "counts differ from SQLite's: %s vs %s" % (
            pg, counts(lite))
    return m


def measure(b, reps, sqlite_steps):
    """The PostgreSQL step: {"steps": {...}, "compare": [...]} or
    {"skipped": why}. Prints as it goes."""
    why = pgcluster.unavailable()
    if not why and not hasattr(b, "explain_args"):
        why = "needs the SQLite steps import and explain (their arguments)"
    if why:
        bench.say("\npg: skipped: %s" % why)
        return {"skipped": why}
    bench.say("\npg: the same night on PostgreSQL (throw-away durable "
              "cluster, Unix socket)")
    c = pgcluster.Cluster()
    try:
        c.start(durable=True)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        why = "the cluster did not start: %s" % (
            getattr(e, "stderr", None) or e)
        bench.say("pg: skipped: %s" % why)
        return {"skipped": why}
    try:
        res = {"server": c.psql("postgres", "SHOW server_version").strip(),
               "steps": run_reps(b, c, c.uri(), reps)}
    finally:
        c.stop()
    res["failed"] = {s: r for s, r in res["steps"].items()
                     if isinstance(r, str)}
    res["compare"] = compare(res["steps"], sqlite_steps, b)
    print_table(res)
    return res


def run_reps(b, c, uri, reps):
    """Every step REPS times, interleaved; a failed step stops repeating
    (its value is then the reason)."""
    got = {s: [] for s in STEPS}
    failed = {}
    for rep in range(1, reps + 1):
        for step in STEPS:
            if step in failed or NEEDS.get(step) in failed:
                continue
            m = measure_step(b, c, uri, step, rep)
            ok = m["exit"] == 0 and not m.get("error")
            bench.say("  rep %d  pg %-7s %8.2f s  %7.1f MB%s"
                      % (rep, step, m["wall"], m["rss_mb"],
                         "" if ok else "  FAILED: %s" % bench.failure(m)))
            if ok:
                got[step].append(m)
            else:
                failed[step] = bench.failure(m)
    return {s: failed.get(s) or bench.stats(got[s]) for s in STEPS}


def rows_per_s(summaries, seconds):
    rows = bench.rows_of(summaries)
    return rows / seconds if rows and seconds else None


def compare(pg_steps, lite_steps, b):
    """Rows (step, PostgreSQL s, SQLite s, which is faster, ratio)."""
    out = []
    for step in STEPS:
        p, q = pg_steps.get(step), lite_steps.get(step)
        if not isinstance(p, dict) or not q:
            continue
        keys = [("id_s", "explain ID"), ("source_s", "explain --source")] \
            if step == "explain" else [(None, step)]
        for key, name in keys:
            ps = statistics.median(m[key] for m in p["runs"]) if key \
                else p["median_s"]
            qs = q["median_" + key] if key else q["median_s"]
            out.append({"step": name, "postgresql_s": ps, "sqlite_s": qs,
                        "faster": "SQLite" if qs < ps else "PostgreSQL",
                        "ratio": max(ps, qs) / max(min(ps, qs), 1e-9)})
    imp, lite_imp = pg_steps.get("import"), lite_steps.get("import")
    if isinstance(imp, dict) and lite_imp:
        rows = b.summaries.get("import")
        out.append({"step": "import rows/s",
                    "postgresql_rows_s": rows_per_s(rows, imp["median_s"]),
                    "sqlite_rows_s": rows_per_s(rows, lite_imp["median_s"])})
    return out


def print_table(res):
    bench.say("")
    bench.say("PostgreSQL %s beside SQLite (medians, same data, same machine)"
              % res["server"])
    bench.say("%-17s %12s %10s %10s  %s" % ("step", "PostgreSQL s",
                                            "SQLite s", "peak RSS", "faster"))
    for r in res["compare"]:
        if "ratio" in r:
            step = r["step"].split()[0]
            rss = res["steps"][step]["peak_rss_mb"]
            bench.say("%-17s %12.2f %10.2f %8.1f MB  %s, %.1fx"
                      % (r["step"], r["postgresql_s"], r["sqlite_s"], rss,
                         r["faster"], r["ratio"]))
        elif r["postgresql_rows_s"] and r["sqlite_rows_s"]:
            bench.say("%-17s %12.0f %10.0f   (rows read per second, the "
                      "rule state kept as the files load)"
                      % (r["step"], r["postgresql_rows_s"],
                         r["sqlite_rows_s"]))
    for step, why in res["failed"].items():
        bench.say("pg %-10s FAILED: %s" % (step, why))
