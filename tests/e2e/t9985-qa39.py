#!/usr/bin/python3
"""t9985 -- every failure says what to do (QA pass 39).

Schedulers read one line per problem in a cron mail and must know what to
do next: each line names the file (and line), the reason and the next
step, with the exit code of README's "Exit codes". QA pass 34 (t9900)
checked the streams and left the items below.

Defects (each seen red before its fix; the test's docstring says what
was seen):
DEFECTS

Guards (held before any change of this pass):
GUARDS
"""
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (DSP_HDR, ON_PG, SVCRECON, Tmp, check,  # noqa: E402
                     cmd, eq, good_night, main, query, sqlite_only, svc)

AS_OF = "2026-03-12"


def env():
    return dict(os.environ, TZ="UTC")


def one_problem_line(err, *must):
    """err's problem lines: the first line starting "svcrecon: " that is
    not the final status line; it holds no control byte and every string
    of must."""
    ls = [ln for ln in err.split("\n") if ln]
    probs = [ln for ln in ls if not re.match(r"svcrecon: (import|run|report)"
                                             r"( as of \S+)?: exit ", ln)]
    eq(len(probs), 1, "one problem line: %r" % err)
    line = probs[0]
    check(line.startswith("svcrecon: "), err)
    check(not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", line), "a control byte: %r" % err)
    for m in must:
        check(m in line, "%r not in %r" % (m, line))
    return line


def run_raw(args, cwd, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(cmd(*args, cwd=cwd), cwd=cwd, env=env(), timeout=300,
                          **kw)


def gone_reader():
    """The write end of a pipe whose reader has gone."""
    rd, wr = os.pipe()
    os.close(rd)
    return wr


# ---- defects ---------------------------------------------------------------

def test_help_and_version_of_a_command_into_a_gone_reader_end_as_plain_help():
    """Red before: `svcrecon --help | head -c0` ended quietly by SIGPIPE
    (141) while `svcrecon import --help` (and report, run, copy; their
    --version too) into the same pipe said "standard output: write error:
    Broken pipe" and ended 73: the same text, two outcomes. import,
    report, run and copy ignore SIGPIPE before their options are read.
    Decision (README, "Output for cron"): --help and --version are a
    person's output, ended quietly by a reader gone, as `explain | head`
    is; a full disk is still 73 (t8800)."""
    with Tmp() as t:
        for args in (["--help"], ["--version"], ["import", "--help"],
                     ["report", "--version"], ["run", "--help"],
                     ["copy", "--help"], ["explain", "--help"]):
            wr = gone_reader()
            p = run_raw(args, t.path, stdout=wr)
            os.close(wr)
            eq((p.returncode, p.stderr), (-signal.SIGPIPE, b""), args)
            # written whole, still 0 and silent
            p = run_raw(args, t.path)
            eq((p.returncode, p.stderr), (0, b""), args)
            check(p.stdout.startswith(b"svcrecon") or b"usage" in p.stdout.lower(),
                  (args, p.stdout[:80]))


if __name__ == "__main__":
    main(globals())
