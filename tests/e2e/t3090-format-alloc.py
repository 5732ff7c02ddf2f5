#!/usr/bin/python3
"""t3090 -- a workbook format that cannot be allocated fails the workbook
(issue 11, bug 5): before the fix, rpt_noncomp.c silently left out the
dealer header row of the non-compensable Summary and the report exited 0.

A shim (LD_PRELOAD) makes the Nth workbook_add_format() return NULL, for
N = 1, 2, ... until a run adds fewer formats; every run in which one failed
must fail (exit 70: out of memory is internal, as for a row allocation
below and in the allocation sweep of issue 16; no temporary file left).

Also: the read-back of a finished workbook (verify.c) out of memory is 70,
not "the file does not read back whole ... is the disk full?" (73), which
t5300's allocation sweep hit now and then (issue 11b). So is the read-back
of the dealer statements' folder out of memory (fix70)."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (FAULTSHIM, ON_PG, ROOT, Run, Tmp, check, cmd, eq,  # noqa: E402
                     main, preloaded, sqlite_only, svc)

SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <xlsxwriter.h>
/* The FAIL_NTH-th call of workbook_add_format() returns NULL, as it does
 * when libxlsxwriter cannot allocate (and says so on stderr). */
lxw_format *workbook_add_format(lxw_workbook *wb)
{
    static lxw_format *(*real)(lxw_workbook *);
    static long nth = -1, seen;
    if (nth < 0) {
        const char *k = getenv("FAIL_NTH");
        nth = k ? atol(k) : 0;
        real = (lxw_format *(*)(lxw_workbook *))dlsym(RTLD_NEXT,
                                                      "workbook_add_format");
    }
    if (++seen == nth) {
        fputs("shim: failed a format\n", stderr);
        return NULL;
    }
    return real(wb);
}
"""


def build(t):
    open(t.p("shim.c"), "w").write(SHIM)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", t.p("shim.so"), t.p("shim.c"),
                    "-ldl"], check=True)


def test_failed_format_allocation_fails_the_workbook():
    with Tmp() as t:
        build(t)
        db = t.p("svc.db")
        r = svc("run", "--db", db, "--inbox", os.path.join(ROOT, "sample-data", "inbox"),
                "--out", t.p("first"), "--as-of", "2026-03-12", "--quiet")
        eq(r.code, 0, r)
        failed_runs = 0
        for nth in range(1, 200):
            out = t.p("out%d" % nth)
            r = svc("report", "--db", db, "--out", out, "--as-of", "2026-03-12",
                    "--quiet", env=dict(preloaded(t.p("shim.so")), FAIL_NTH=str(nth)))
            if "shim: failed" not in r.err:
                eq(r.code, 0, r)       # past the last format: a clean run
                break
            failed_runs += 1
            eq(r.code, 70, "format allocation %d failed: %r" % (nth, r))
            left = os.listdir(out) if os.path.isdir(out) else []
            check(not any(n.startswith(".") or "tmp" in n for n in left),
                  "a temporary file is left: %r" % left)
        check(failed_runs >= 9, "only %d format allocations seen" % failed_runs)


ALLOCFAIL = os.path.join(ROOT, os.environ.get("SVCRECON_BUILD", "build"),
                         "tests", "svcrecon-allocfail")


def test_read_back_out_of_memory_is_70():
    """svcrecon-allocfail (tests/faults/allocfail.c) fails every allocation
    of 128 KiB or more of our own code: the read-back's buffers (two 64 KiB
    pieces) and nothing before them in a report. Before the fix: exit 73,
    "cannot create: the file written does not read back whole: cannot check
    it: out of memory; the file was removed (is the disk full?)". The night
    is imported first without the fault: on PostgreSQL the load's COPY
    buffer (lib/db_pg.c) is such an allocation too."""
    night = os.path.join(ROOT, "tests", "faults", "night")
    with Tmp() as t:
        r = svc("run", "--db", t.p("svc.db"), "--inbox", night,
                "--out", t.p("first"), "--as-of", "2026-03-12", "--quiet")
        eq(r.code, 0, r)
        p = subprocess.run([ALLOCFAIL] + cmd("report", "--db", t.p("svc.db"),
                                             "--out", t.p("out"),
                                             "--as-of", "2026-03-12", "--quiet")[1:],
                           env=dict(os.environ, TZ="UTC",
                                    SVCRECON_FAULT_MALLOC_MIN=str(128 * 1024)),
                           capture_output=True, text=True, timeout=300)
        r = Run(p)
        eq(r.code, 70, r)
        check("out of memory writing " in r.err and " while reading it back; " in r.err,
              r.err)
        check("disk full" not in r.err, r.err)
        eq(sorted(f for f in os.listdir(t.p("out"))), [], "nothing left")


def shim_report(t, out, calls, *extra, **env):
    """report of the night in t's svc.db into t's folder out, under the
    fault shim (its FAULT_CALLS calls, env its other settings)."""
    p = subprocess.run(cmd("report", "--db", t.p("svc.db"), "--out", t.p(out),
                           "--as-of", "2026-03-12", "--quiet", *extra),
                       env=dict(os.environ, TZ="UTC", **preloaded(FAULTSHIM),
                                FAULT_CALLS=calls, **env),
                       capture_output=True, text=True, timeout=300)
    return Run(p)


def test_out_of_memory_creating_a_workbook_says_so():
    """QA pass 59: an open of a workbook (or of its read-back) failing
    with ENOMEM said libxlsxwriter's "cannot create: Error creating output
    xlsx file. Usually a permissions error: Cannot allocate memory" (70),
    or "... cannot read it back: Cannot allocate memory; ... is the disk
    full?" (73): nothing about memory to act on. Every open of a report
    with --statements fails in turn with ENOMEM (tests/faults/faultshim.c,
    FAULT_ERRNO=ENOMEM); each workbook's failure says "out of memory
    writing FILE" and what to do, 70, and no permissions or full disk."""
    night = os.path.join(ROOT, "tests", "faults", "night")
    with Tmp() as t:
        r = svc("run", "--db", t.p("svc.db"), "--inbox", night,
                "--out", t.p("first"), "--as-of", "2026-03-12", "--quiet")
        eq(r.code, 0, r)

        def report(out, **env):
            return shim_report(t, out, "openat,fopen", "--statements", **env)
        r = report("count", FAULT_LOG=t.p("log"))
        eq(r.code, 0, r)
        calls = int(open(t.p("log")).read().split()[-1])
        told = set()
        for n in range(1, calls + 1):
            r = report("out%d" % n, FAULT_AT=str(n), FAULT_ERRNO="ENOMEM")
            check("permissions" not in r.err, (n, r.err))
            check(not ("Cannot allocate memory" in r.err and "disk full" in r.err),
                  (n, r.err))
            if "out of memory writing " not in r.err:
                continue
            eq(r.code, 70, (n, r))
            check("then run again" in r.err and "free memory" in r.err, (n, r.err))
            told.add(os.path.basename(r.err.split("out of memory writing ")[1]
                                      .split(" ")[0].rstrip(";")).split("_")[0])
        for kind in ("unclosed", "non", "audit", "D2.xlsx"):
            check(kind in told, (kind, told))


def test_out_of_memory_opening_the_lock_or_reading_back_a_placed_workbook_is_70():
    """fix61: an open failing with ENOMEM (the fault shim) of the lock file
    (DB.lock), or of a workbook read back after its rename into place (its
    SHA-256 recorded with the report), said 73, "cannot create lock file:
    Cannot allocate memory; ... a folder this user can create files in" or
    "cannot read back the workbook just written: Cannot allocate memory;
    give --out a folder ...". Now 70, "out of memory" and what to do."""
    night = os.path.join(ROOT, "tests", "faults", "night")
    with Tmp() as t:
        r = svc("run", "--db", t.p("svc.db"), "--inbox", night,
                "--out", t.p("first"), "--as-of", "2026-03-12", "--quiet")
        eq(r.code, 0, r)

        def report(out, **env):
            return shim_report(t, out, "openat", **env)
        r = report("probe", FAULT_LOG=t.p("log"), FAULT_AT="1",
                   FAULT_MODE="sticky", FAULT_DELAY_MS="1")
        eq(r.code, 0, r)
        opens = [ln.split() for ln in open(t.p("log")) if ln.startswith("delay ")]
        points = [int(o[1]) for o in opens if o[3:] == [t.p("svc.db.lock")]][:1]
        # the opens of a workbook under its final name once all three are
        # in place: the read-back of the report's record
        final = [t.p("probe", n) for n in os.listdir(t.p("probe"))]
        last = max(int(o[1]) for o in opens if o[3:] and o[3] in final)
        points += [int(o[1]) for o in opens if o[3:] and o[3] in final
                   and int(o[1]) > last - 3]
        check(len(points) >= 2, opens)
        for n in points:
            r = report("out%d" % n, FAULT_AT=str(n), FAULT_ERRNO="ENOMEM")
            eq(r.code, 70, (n, r))
            check("out of memory" in r.err, (n, r.err))
            check("free memory" in r.err and "then run again" in r.err, (n, r.err))
            check("give --out" not in r.err and "give --db" not in r.err,
                  (n, r.err))


def alloc_statements_report(t):
    """The faults night imported into t/svc.db; returns report(out, **env),
    which runs `report --statements` under svcrecon-allocfail with env,
    and the count of the allocations a clean such report makes."""
    night = os.path.join(ROOT, "tests", "faults", "night")
    r = svc("run", "--db", t.p("svc.db"), "--inbox", night,
            "--out", t.p("first"), "--as-of", "2026-03-12", "--quiet")
    eq(r.code, 0, r)

    def report(out, **env):
        p = subprocess.run([ALLOCFAIL] + cmd("report", "--db", t.p("svc.db"),
                                             "--out", t.p(out), "--statements",
                                             "--as-of", "2026-03-12", "--quiet")[1:],
                           env=dict(os.environ, TZ="UTC", **env),
                           capture_output=True, text=True, timeout=300)
        return Run(p)
    r = report("count", SVCRECON_FAULT_LOG=t.p("log"))
    eq(r.code, 0, r)
    return report, int(open(t.p("log")).read().split()[-1])


def test_out_of_memory_reading_back_the_statements_is_70():
    """fix70: an allocation of statements_digest() failing (the list of the
    statements folder's names, read back once in place for the report's
    record) left errno as an earlier call had it, and the report said 73,
    "cannot read back the statements just written: No such file or
    directory; give --out a folder ...". svcrecon-allocfail fails each of
    the last allocations of a report --statements in turn (the read-back
    is near the end): none is 73, and the statements' read-back out of
    memory is 70 with what to do. Each failure says "out of memory": on
    PostgreSQL a parameter that could not be copied was sent as NULL, and
    the report failed on "null value in column ... violates not-null
    constraint" (a nullable column stored NULL)."""
    with Tmp() as t:
        report, calls = alloc_statements_report(t)
        seen = []
        for n in range(calls, max(0, calls - 1500), -1):
            r = report("out%d" % n, SVCRECON_FAULT_MALLOC=str(n))
            check(r.code in (0, 70), (n, r))
            # a parameter that could not be copied was sent as NULL on
            # PostgreSQL: "violates not-null constraint" (fix70)
            check(r.code == 0 or "out of memory" in r.err, (n, r))
            if "statements_2026-03-12: " in r.err:
                eq(r.code, 70, (n, r))
                check("out of memory reading it back" in r.err
                      and "free memory" in r.err, (n, r.err))
                seen.append(n)
            elif seen:
                break                     # past the read-back
        check(seen, "no failure named the statements folder")


def test_out_of_memory_writing_the_statements_says_so():
    """fix70: an allocation failing in the first step of a statements
    cursor (statements.c cursor_open) was taken for "no row"; SQLite had
    rolled the report's transaction back on its out of memory, and the
    next query said "Unclosed calls: no such table: unclosed_listing"
    (70, nothing about memory). svcrecon-allocfail fails every 37th
    allocation of the last fifth of a report --statements (its
    statements, record and commit; on PostgreSQL every one): each failure
    says "out of memory" and none names a missing table. Recording the
    report (db_exec_bound_text) bound its time unchecked, and on
    PostgreSQL failed "null value in column recorded_at" (fix70)."""
    with Tmp() as t:
        report, calls = alloc_statements_report(t)
        failed = 0
        # on PostgreSQL only our own allocations count, a few hundred:
        # each one (recording the report bound its time as NULL there)
        for n in range(calls - calls // 5, calls + 1, 1 if ON_PG else 37):
            r = report("out%d" % n, SVCRECON_FAULT_MALLOC=str(n))
            check(r.code in (0, 70), (n, r))
            check("no such table" not in r.err, (n, r.err))
            check(r.code == 0 or "out of memory" in r.err, (n, r.err))
            failed += r.code == 70
        check(failed, "no allocation failed the report")


@sqlite_only("the CSV reader is the same on either database; on PostgreSQL "
             "the COPY buffer (lib/db_pg.c) is an allocation this size too, "
             "and fails first")
def test_out_of_memory_reading_a_feed_is_70_not_the_file_refused():
    """A record's raw bytes (a 300,000-byte customer_name: a row rejected
    for its length, SPEC §2) outgrow what memory allows: svcrecon-allocfail
    fails every allocation of our own code of 200,000 bytes or more. Before
    the fix (fix70 found it in a sweep): the file was refused, 65, "line 3:
    out of memory" -- the file's fault, it said, and the night's workbooks
    written without it; libcsv's own buffer failing was read as a field
    over the cap ("header is 112 bytes ... a quote that is not closed").
    Now 70 with what to do, the file not recorded, and run again without
    the fault it loads, the long row rejected."""
    with Tmp() as t:
        rows = ["dispatch_id,dispatched_at,model,serial_number,provider_id,"
                "customer_name",
                "D1,2026-03-01 09:00,iPF8400S,SN1,GA0001,Acme",
                "D2,2026-03-02 09:00,iPF8400S,SN2,GA0001," + "x" * 300000,
                "D3,2026-03-03 09:00,iPF8400S,SN3,GA0001,Beta"]
        t.write("in/dispatches_1.csv", "\n".join(rows) + "\n")
        args = cmd("run", "--db", t.p("svc.db"), "--inbox", t.p("in"),
                   "--out", t.p("out"), "--as-of", "2026-03-12", "--quiet",
                   "--summary", t.p("s.json"))
        p = subprocess.run([ALLOCFAIL] + args[1:],
                           env=dict(os.environ, TZ="UTC",
                                    SVCRECON_FAULT_MALLOC_MIN="200000"),
                           capture_output=True, text=True, timeout=300)
        r = Run(p)
        eq(r.code, 70, r)
        check("dispatches_1.csv" in r.err and "out of memory" in r.err and
              "free memory on this machine" in r.err, r.err)
        check("refused" not in r.err and "quote" not in r.err, r.err)
        r = svc(*args[1:])
        eq(r.code, 0, r)
        x = json.load(open(t.p("s.json")))
        eq([(f["status"], f["rows_loaded"], f["rows_rejected"])
            for f in x["files"]], [("loaded", 2, 1)], x["files"])


def test_out_of_memory_recording_a_refused_file_never_crashes():
    """Red before (qa79): record_refusal() finalized the INSERT's statement
    a second time when recording the delivery or the COMMIT failed after
    it (step_returning() had finalized it): out of memory there (or a full
    disk at the COMMIT) ended `import` of a refused file by SIGSEGV (139)
    instead of 70. Each of the last allocations of the run failed in turn
    (svcrecon-allocfail): never a signal."""
    with Tmp() as t:
        t.write("lo.csv", '"dispatch_id";"dispatched_at";"model";'
                '"serial_number";"provider_id";"customer_name";'
                '"customer_postal_code";"problem_code";"status"\n'
                '"D1";"2026-03-02 08:00";"iPF6400";"SN-200";"D2";"Gamma";'
                '"10003";"P3";"OPEN"\n')
        log = t.p("calls.log")

        def once(n, db):
            args = cmd("import", "--db", t.p(db), "--kind", "dispatches",
                       t.p("lo.csv"))
            env = dict(os.environ, TZ="UTC", SVCRECON_FAULT_MALLOC=str(n))
            if n == 0:
                env["SVCRECON_FAULT_LOG"] = log
            return subprocess.run([ALLOCFAIL] + args[1:], env=env,
                                  capture_output=True, text=True, timeout=60)
        eq(once(0, "count.db").returncode, 65, "refused without the fault")
        calls = int(open(log).read().split("calls")[-1].split()[0])
        for n in range(max(1, calls - 700), calls + 1):
            p = once(n, "n%d.db" % n)
            check(p.returncode >= 0, "allocation %d of %d: signal %d: %s"
                  % (n, calls, -p.returncode, p.stderr[-300:]))


def one_dispatch_imported(t):
    """t/svc.db holding one dispatch, D1, imported from in/dispatches_1.csv."""
    t.write("in/dispatches_1.csv", "dispatch_id,dispatched_at,model,"
            "serial_number,provider_id,customer_name\n"
            "D1,2026-03-01 09:00,iPF8400S,SN1,GA0001,Acme\n")
    r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches",
            t.p("in/dispatches_1.csv"))
    eq(r.code, 0, r)


@sqlite_only("the read-only open of a SQLite file")
def test_out_of_memory_opening_the_database_to_read_is_70():
    """Red before (qa79): explain's read-only open of a SQLite database
    failing for memory said "cannot open database: out of memory" with
    exit 66 (unreadable: the database's fault) where import's open says
    it with 70. Each of the first allocations fails in turn."""
    with Tmp() as t:
        one_dispatch_imported(t)
        for n in range(1, 120):
            args = cmd("explain", "--db", t.p("svc.db"), "--as-of",
                       "2026-03-12", "D1")
            p = subprocess.run([ALLOCFAIL] + args[1:], capture_output=True,
                               text=True, timeout=60,
                               env=dict(os.environ, TZ="UTC",
                                        SVCRECON_FAULT_MALLOC=str(n)))
            check(not ("out of memory" in p.stderr and p.returncode != 70),
                  "allocation %d: exit %d: %s" % (n, p.returncode, p.stderr))


@sqlite_only("SQLite's out-of-memory errors")
def test_out_of_memory_in_the_database_says_what_to_do():
    """qa83: memory running out inside SQLite (setting pragmas, a query of
    the report) said "svc.db: finding the night's files: out of memory"
    and no more, where every other out-of-memory line says what to do
    (README, exit code 70). Each allocation of a report fails in turn
    (a sample of them); every 70 naming the database says it."""
    with Tmp() as t:
        one_dispatch_imported(t)
        seen = 0
        for n in list(range(1, 1500, 3)) + list(range(1500, 6000, 29)):
            args = cmd("report", "--quiet", "--db", t.p("svc.db"), "--out",
                       t.p("out"), "--as-of", "2026-03-12")
            p = subprocess.run([ALLOCFAIL] + args[1:], capture_output=True,
                               text=True, timeout=60,
                               env=dict(os.environ, TZ="UTC",
                                        SVCRECON_FAULT_MALLOC=str(n)))
            line = (p.stderr.splitlines() or [""])[0]
            if p.returncode == 70 and ("svc.db" in line or
                                       "cannot open database" in line):
                seen += 1
                check("free memory on this machine" in line,
                      "allocation %d: %s" % (n, line))
        check(seen > 0, "no allocation failed in the database")


if __name__ == "__main__":
    main(globals())
