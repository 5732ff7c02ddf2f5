#!/usr/bin/python3
"""t0100 -- `make install` with PREFIX and DESTDIR (SPEC §5): the binary
and the man page land where asked, the binary runs, the page renders."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import ROOT, Tmp, check, eq, main  # noqa: E402


def install(dest, *extra):
    p = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "install",
                        "DESTDIR=" + dest] + list(extra), capture_output=True, text=True)
    eq(p.returncode, 0, p.stderr)


def files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, fs in os.walk(root) for f in fs)


def test_install_destdir_default_prefix():
    with Tmp() as t:
        install(t.p("stage"))
        eq(files(t.p("stage")), ["usr/local/bin/svcrecon",
                                 "usr/local/share/man/man1/svcrecon.1"])
        binary = t.p("stage", "usr/local/bin/svcrecon")
        check(os.access(binary, os.X_OK), "binary is executable")
        eq(oct(os.stat(t.p("stage", "usr/local/share/man/man1/svcrecon.1")).st_mode & 0o777),
           "0o644")
        p = subprocess.run([binary, "--version"], capture_output=True, text=True)
        eq(p.returncode, 0)
        check(p.stdout.startswith("svcrecon 1.0.0"), p.stdout)


def test_install_prefix_and_man_page_renders():
    with Tmp() as t:
        install(t.p("stage"), "PREFIX=/opt/svc")
        eq(files(t.p("stage")), ["opt/svc/bin/svcrecon", "opt/svc/share/man/man1/svcrecon.1"])
        page = t.p("stage", "opt/svc/share/man/man1/svcrecon.1")
        if shutil.which("man"):
            p = subprocess.run(["man", "-l", page], capture_output=True, text=True,
                               env=dict(os.environ, MANPAGER="cat", PAGER="cat", COLUMNS="80"))
            eq(p.returncode, 0, p.stderr)
            for section in ("SYNOPSIS", "EXIT STATUS", "EXAMPLES", "svcrecon run --db"):
                check(section in p.stdout, "man page lacks %s" % section)
        else:
            text = open(page).read()
            check(".Sh EXIT STATUS" in text and ".Sh EXAMPLES" in text)


def test_install_destdir_and_prefix_with_spaces():
    # qa58: the recipe's paths were unquoted: a DESTDIR or PREFIX holding a
    # space failed the install and `install -d` made stray folders (the
    # words after the space) in the make's working directory.
    with Tmp() as t:
        before = sorted(os.listdir(ROOT))
        install(t.p("stage dir"), "PREFIX=/opt/svc récon")
        eq(files(t.p("stage dir")), ["opt/svc récon/bin/svcrecon",
                                     "opt/svc récon/share/man/man1/svcrecon.1"])
        eq(sorted(os.listdir(ROOT)), before, "install made files in the source tree")


main(globals())
