#!/usr/bin/python3
"""t1100 -- how load_file tells database and memory trouble from bad rows
(issue 11, bugs 3 and 4): only a UNIQUE key conflict is a repeated key (and
its reason names a real earlier line); any other constraint, and a failed
allocation, stop the import as internal errors (70), the file rolled back."""
import os
import subprocess
import sys
import sqlite3

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (DSP_HDR, ROOT, SANITIZED, VALGRIND, Tmp, check, eq,  # noqa: E402
                     main, query, skip, svc)

ROW = "{id},2026-03-08 09:30,iPF8400S,S{id},D1,Acme,10001,P1,OPEN"


def imp(t, *files):
    return svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", *files)


def test_repeated_key_names_the_earlier_line():
    with Tmp() as t:
        f = t.csv("d.csv", DSP_HDR, [ROW.format(id="A"), ROW.format(id="B"),
                                     ROW.format(id="A")])
        r = imp(t, f)
        eq(r.code, 0, r)
        eq(query(t.p("svc.db"), "SELECT line, reason FROM rejected_row"),
           [(4, "dispatch_id repeats line 2 of this file")])


def test_other_constraint_is_not_a_repeated_key():
    """A trigger (any non-UNIQUE constraint) refusing a row: before the fix
    the row was rejected as "dispatch_id repeats line 0 of this file" and
    the import exited 0."""
    with Tmp() as t:
        first = t.csv("d0.csv", DSP_HDR, [ROW.format(id="Z")])
        eq(imp(t, first).code, 0)
        con = sqlite3.connect(t.p("svc.db"))
        con.execute("CREATE TRIGGER no_x BEFORE INSERT ON dispatch "
                    "WHEN NEW.dispatch_id = 'X' "
                    "BEGIN SELECT RAISE(ABORT, 'no X here'); END")
        con.commit()
        con.close()
        f = t.csv("d.csv", DSP_HDR, [ROW.format(id="A"), ROW.format(id="X")])
        r = imp(t, f)
        eq(r.code, 70, r)
        check("repeats line" not in r.err, r.err)
        check("no X here" in r.err, r.err)
        eq(query(t.p("svc.db"), "SELECT count(*) FROM rejected_row"), [(0,)])
        eq(query(t.p("svc.db"), "SELECT dispatch_id FROM dispatch"), [("Z",)])
        eq(query(t.p("svc.db"), "SELECT name FROM imported_file"), [("d0.csv",)])


SHIM = r"""
#include <stdlib.h>
extern void *__libc_malloc(size_t);
/* malloc(FAIL_MALLOC_SIZE) returns NULL; every other size is glibc's. */
void *malloc(size_t n)
{
    static long fail = -2;
    if (fail == -2) {
        const char *e = getenv("FAIL_MALLOC_SIZE");
        fail = e ? atol(e) : -1;
    }
    return (long)n == fail ? NULL : __libc_malloc(n);
}
"""

SIZE = r"""
#include <stdio.h>
#include "etl/feed.h"
int main(void) { printf("%zu\n", sizeof(struct feed_row)); return 0; }
"""


def test_failed_row_allocation_is_70_not_cannot_open():
    """The loader's row buffer (one struct feed_row) cannot be allocated:
    before the fix this said "cannot open" and exited 66."""
    if SANITIZED or VALGRIND:
        skip("the malloc shim cannot sit beside ASan's or valgrind's malloc")
    with Tmp() as t:
        open(t.p("shim.c"), "w").write(SHIM)
        open(t.p("size.c"), "w").write(SIZE)
        subprocess.run(["cc", "-shared", "-fPIC", "-o", t.p("shim.so"), t.p("shim.c")],
                       check=True)
        subprocess.run(["cc", "-I", ROOT, "-o", t.p("size"), t.p("size.c")], check=True)
        size = subprocess.run([t.p("size")], capture_output=True, text=True,
                              check=True).stdout.strip()
        f = t.csv("d.csv", DSP_HDR, [ROW.format(id="A")])
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f,
                env={"LD_PRELOAD": t.p("shim.so"), "FAIL_MALLOC_SIZE": size})
        eq(r.code, 70, r)
        check("d.csv: out of memory" in r.err, r.err)
        check("cannot open" not in r.err, r.err)
        eq(query(t.p("svc.db"), "SELECT count(*) FROM imported_file"), [(0,)])


if __name__ == "__main__":
    main(globals())
