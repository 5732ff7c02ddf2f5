#!/usr/bin/python3
"""check-layers -- the arrows of README "The map" point one way.

    app/  -->  etl/, reports/  -->  lib/  -->  schemas/ (generated sql.h)

Checks every #include "..." of app/, etl/, reports/, lib/ and tests/: no
"../" path; a project header is named by its layer ("lib/diag.h"); a layer
includes only itself and the layers below it; the headers form no circle;
every rule file of schemas/rules/ is named in schemas/rules/ORDER, and every
name there exists; a database library's header (<sqlite3.h>, <libpq-fe.h>) is
included by its back end of the seam alone (lib/db_sqlite*.c,
lib/db_pg*.c; issue 17), or by a test harness under tests/. With --self-test it first runs the same checks on small
broken trees and fails unless each breakage is caught. Prints one line per
check and "N passed, N failed".
"""
import os
import re
import shutil
import sys
import tempfile

LAYERS = ("app", "etl", "reports", "lib", "schemas")
# Which layers each layer may include (itself always).
ALLOWED = {
    "app": {"app", "etl", "reports", "lib", "schemas"},
    "etl": {"etl", "lib", "schemas"},
    "reports": {"reports", "lib", "schemas"},
    "lib": {"lib", "schemas"},
    "tests": {"app", "etl", "reports", "lib", "schemas"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
SYSTEM_INCLUDE = re.compile(r'^\s*#\s*include\s+<([^>]+)>', re.M)
# The database seam (lib/db.h): each library's header, and the back-end
# files that alone may include it (prefix of the path).
BACKEND_HEADERS = {"sqlite3.h": "lib/db_sqlite", "libpq-fe.h": "lib/db_pg"}


def sources(root):
    for top in ALLOWED:
        base = os.path.join(root, top)
        for dirpath, _, names in os.walk(base):
            for n in sorted(names):
                if n.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(dirpath, n), root)


def check_includes(root):
    problems, graph = [], {}
    for rel in sources(root):
        layer = rel.split(os.sep, 1)[0]
        with open(os.path.join(root, rel), encoding="utf-8",
                  errors="replace") as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            where = "%s:%d: #include \"%s\"" % (rel, line, inc)
            if "../" in inc or inc.startswith("./"):
                problems.append(where + ": a relative path; name the layer")
                continue
            top = inc.split("/", 1)[0]
            if "/" not in inc or top not in LAYERS:
                if layer != "tests":
                    problems.append(where + ": not named by its layer")
                continue
            if top not in ALLOWED[layer]:
                problems.append(where + ": points up (%s may not include "
                                "%s)" % (layer, top))
            if rel.endswith(".h"):
                graph.setdefault(rel, set()).add(inc)
    return problems, graph


def check_backends(root):
    problems = []
    for rel in sources(root):
        if rel.startswith("tests" + os.sep):
            continue
        with open(os.path.join(root, rel), encoding="utf-8",
                  errors="replace") as f:
            text = f.read()
        for m in SYSTEM_INCLUDE.finditer(text):
            owner = BACKEND_HEADERS.get(m.group(1))
            if owner and not rel.replace(os.sep, "/").startswith(owner):
                line = text.count("\n", 0, m.start()) + 1
                problems.append("%s:%d: #include <%s>: only %s*.c may (use "
                                "the seam, lib/db.h)" % (rel, line,
                                                         m.group(1), owner))
    return problems


def find_circle(graph):
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def check_rules(root):
    rules = os.path.join(root, "schemas", "rules")
    with open(os.path.join(rules, "ORDER")) as f:
        listed = [l.split("#", 1)[0].strip() for l in f]
    listed = [n for n in listed if n]
    present = sorted(n for n in os.listdir(rules) if n.endswith(".sql"))
    problems = []
    for n in present:
        if n != "r010_context.sql" and n not in listed:
            problems.append("schemas/rules/%s: not in schemas/rules/ORDER "
                            "(it would never run)" % n)
    for n in listed:
        if n not in present:
            problems.append("schemas/rules/ORDER names %s, which does not "
                            "exist" % n)
        if listed.count(n) > 1:
            problems.append("schemas/rules/ORDER names %s twice" % n)
    return sorted(set(problems))


def run_checks(root):
    """[(name, problems)] for the tree at root."""
    inc, graph = check_includes(root)
    circle = find_circle(graph)
    return [("includes point down, by layer name", inc),
            ("no circle among headers",
             [" -> ".join(circle)] if circle else []),
            ("every rule file is in schemas/rules/ORDER", check_rules(root)),
            ("database libraries only behind the seam",
             check_backends(root))]


def make_tree(files):
    root = tempfile.mkdtemp(prefix="svcrecon-layers-")
    for rel, text in files.items():
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return root


def self_test():
    """Each broken tree must fail exactly the check it breaks."""
    good = {"schemas/rules/ORDER": "r020_a.sql\n",
            "schemas/rules/r010_context.sql": "", "schemas/rules/r020_a.sql": "",
            "lib/a.h": "", "etl/b.c": '#include "lib/a.h"\n',
            "lib/db_sqlite.c": "#include <sqlite3.h>\n",
            "lib/db_pg.c": "#include <libpq-fe.h>\n",
            "tests/unit/h.c": "#include <sqlite3.h>\n"}
    cases = [
        ("good tree", {}, None),
        ("relative include", {"etl/c.c": '#include "../lib/a.h"\n'}, 0),
        ("lib includes etl", {"lib/d.c": '#include "etl/b.h"\n'}, 0),
        ("reports includes etl", {"reports/e.c": '#include "etl/x.h"\n'}, 0),
        ("bare header name", {"etl/f.c": '#include "a.h"\n'}, 0),
        ("circle", {"lib/x.h": '#include "lib/y.h"\n',
                    "lib/y.h": '#include "lib/x.h"\n'}, 1),
        ("unlisted rule", {"schemas/rules/r100_new.sql": ""}, 2),
        ("sqlite3.h in reports", {"reports/g.c": "#include <sqlite3.h>\n"},
         3),
        ("sqlite3.h in the neutral db.c",
         {"lib/db.c": "#include <sqlite3.h>\n"}, 3),
        ("libpq in the SQLite back end",
         {"lib/db_sqlite.c": "#include <libpq-fe.h>\n"}, 3),
    ]
    failures = []
    for name, extra, broken in cases:
        tree = dict(good)
        tree.update(extra)
        root = make_tree(tree)
        try:
            results = run_checks(root)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        bad = [i for i, (_, p) in enumerate(results) if p]
        want = [] if broken is None else [broken]
        if bad != want:
            failures.append("self-test %r: checks failing %r, want %r"
                            % (name, bad, want))
    return failures


def main():
    root = os.path.normpath(os.path.join(os.path.dirname(
        os.path.abspath(__file__)), ".."))
    passed = failed = 0
    if "--self-test" in sys.argv:
        probs = self_test()
        print(("FAIL" if probs else "ok  ") + " the checker catches each "
              "kind of breakage")
        for p in probs:
            print("  " + p)
        passed, failed = (0, 1) if probs else (1, 0)
    for name, probs in run_checks(root):
        print(("FAIL " if probs else "ok   ") + name)
        for p in probs:
            print("  " + p)
        if probs:
            failed += 1
        else:
            passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
