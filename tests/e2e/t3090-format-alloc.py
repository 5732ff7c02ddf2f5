#!/usr/bin/python3
"""t3090 -- a workbook format that cannot be allocated fails the workbook
(issue 11, bug 5): before the fix, rpt_noncomp.c silently left out the
dealer header row of the non-compensable Summary and the report exited 0.

A shim (LD_PRELOAD) makes the Nth workbook_add_format() return NULL, for
N = 1, 2, ... until a run adds fewer formats; every run in which one failed
must fail (exit 70: out of memory is internal, as for a row allocation
below and in the allocation sweep of issue 16; no temporary file left)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import ROOT, Tmp, check, eq, main, svc  # noqa: E402

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
                    "--quiet", env={"LD_PRELOAD": t.p("shim.so"), "FAIL_NTH": str(nth),
                         # ASan would refuse a preloaded library before it
                         "ASAN_OPTIONS": "verify_asan_link_order=0:" +
                         os.environ.get("ASAN_OPTIONS", "")})
            if "shim: failed" not in r.err:
                eq(r.code, 0, r)       # past the last format: a clean run
                break
            failed_runs += 1
            eq(r.code, 70, "format allocation %d failed: %r" % (nth, r))
            left = os.listdir(out) if os.path.isdir(out) else []
            check(not any(n.startswith(".") or "tmp" in n for n in left),
                  "a temporary file is left: %r" % left)
        check(failed_runs >= 9, "only %d format allocations seen" % failed_runs)


if __name__ == "__main__":
    main(globals())
