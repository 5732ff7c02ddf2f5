#!/usr/bin/python3
"""t8900 -- symbolic links in `run`'s inbox are not followed (lead,
2026-12-05 night; README "Decisions", Import).

The inbox is where others deliver (an SFTP drop, a transfer job). A
symbolic link put there made the night read whatever file it named with
the rights of svcrecon's user -- typically root under cron -- and show
its content: a refused header's columns on stderr and in the audit
workbook's Rejected rows, rejected rows' raw records, or the rows loaded
as feed rows. `/etc/shadow` delivered as `dispatches_x.csv` put its first
line in the audit workbook an analyst forwards. Seen red before the fix:
each case below exited 65 or 0 with the linked file's text shown.

Now an inbox entry that is a link is `unreadable` (66, the Run sheet and
Rejected rows say why and what to do), never opened through the link, also
when a regular file is swapped for a link between the loader's opens; the
other files of the night load. A file named on `import`'s command line is
the operator's own choice and is still followed."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (Tmp, check, eq, good_night as night,  # noqa: E402
                     main, query, svc)
from xlsx_helpers import cells  # noqa: E402

AS_OF = "2026-03-12"
SECRET = "root:$y$j9T$SECRETHASHSECRETHASH:19700:0:99999:7:::"


def book_text(path):
    """Every cell of every sheet of a workbook, tab-separated, one row a
    line."""
    _, sheets = cells(path, [])
    return "\n".join("\t".join("" if v is None else str(v) for v in row)
                     for rows in sheets.values() for row in rows)


def loaded_files(db):
    return sorted(r[0] for r in query(db, "SELECT name FROM imported_file "
                                          "WHERE status = 'loaded'"))


def test_a_link_to_a_secret_file_is_not_read_and_its_text_shown_nowhere():
    with Tmp() as t:
        night(t)
        t.write("private/shadow", SECRET + "\nbin:*:19700:0:99999:7:::\n")
        os.chmod(t.p("private", "shadow"), 0o600)
        os.symlink(t.p("private", "shadow"), t.p("in", "dispatches_x.csv"))
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--summary", "s.json", cwd=t.path)
        eq(r.code, 66, r)
        check("SECRETHASH" not in r.err and "root:" not in r.err, r.err)
        line = [l for l in r.err.splitlines() if "dispatches_x.csv" in l]
        eq(len(line), 1, r.err)
        check("cannot open: a symbolic link" in line[0], line[0])
        check("cp -L" in line[0] and "svcrecon import" in line[0], line[0])
        check("deliver it as a readable" not in line[0], line[0])
        text = book_text(t.p("out", "audit_%s.xlsx" % AS_OF))
        check("SECRETHASH" not in text and "root:" not in text, text)
        check("unreadable\tcannot open: a symbolic link" in text, text)
        for f in os.listdir(t.p("out")):
            if f.endswith(".xlsx"):
                check("SECRETHASH" not in book_text(t.p("out", f)), f)
        # the night's own files loaded, the link recorded as unreadable
        eq(loaded_files(t.p("svc.db")),
           ["closeouts_1.csv", "dispatches_1.csv", "registrations_1.csv"])
        with open(t.p("s.json")) as f:
            summary = f.read()
        check("SECRETHASH" not in summary, summary)
        check('"unreadable"' in summary, summary)


def test_a_link_to_a_good_feed_is_not_loaded_by_run_but_import_takes_it():
    with Tmp() as t:
        night(t, inbox="feeds")
        os.makedirs(t.p("in"))
        for kind in ("registrations", "dispatches", "closeouts"):
            os.symlink(t.p("feeds", kind + "_1.csv"), t.p("in", kind + "_1.csv"))
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq(r.code, 66, r)
        eq(len([l for l in r.err.splitlines() if "a symbolic link" in l]), 3, r.err)
        eq(loaded_files(t.p("svc.db")), [])
        # What the line says to do: import by name (followed) ...
        r = svc("import", "--db", "svc.db", "--kind", "dispatches",
                "in/dispatches_1.csv", "--quiet", cwd=t.path)
        eq(r.code, 0, r)
        eq(loaded_files(t.p("svc.db")), ["dispatches_1.csv"])
        # ... or copy the files in (cp -L): the next night loads them.
        for kind in ("registrations", "closeouts"):
            os.unlink(t.p("in", kind + "_1.csv"))
            with open(t.p("feeds", kind + "_1.csv"), "rb") as src, \
                    open(t.p("in", kind + "_1.csv"), "wb") as dst:
                dst.write(src.read())
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq(r.code, 66, r)        # the dispatches link is still in the inbox
        eq(loaded_files(t.p("svc.db")),
           ["closeouts_1.csv", "dispatches_1.csv", "registrations_1.csv"])
        os.unlink(t.p("in", "dispatches_1.csv"))
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)


def test_a_dangling_link_and_a_link_to_a_folder_say_the_same():
    with Tmp() as t:
        night(t)
        os.makedirs(t.p("elsewhere"))
        os.symlink(t.p("nowhere.csv"), t.p("in", "closeouts_2.csv"))
        os.symlink(t.p("elsewhere"), t.p("in", "dispatches_2.csv"))
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq(r.code, 66, r)
        for name in ("closeouts_2.csv", "dispatches_2.csv"):
            got = [l for l in r.err.splitlines() if name in l]
            eq(len(got), 1, r.err)
            check("cannot open: a symbolic link" in got[0], got[0])
        eq(len(loaded_files(t.p("svc.db"))), 3)


def test_a_feed_swapped_for_a_link_after_its_checks_is_not_read_through_it():
    from svctest import cmd
    with Tmp() as t:
        night(t)
        t.write("private/shadow", SECRET + "\n")
        os.symlink(t.p("private", "shadow"), t.p("link"))
        # held 10 s between the file's SHA-256 and its load (etl/load.c)
        env = dict(os.environ, TZ="UTC", SVCRECON_TEST_PAUSE="hashed")
        args = ["run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF]
        p = subprocess.Popen(cmd(*args, cwd=t.path), cwd=t.path, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(4)          # registrations_1.csv hashed: the run waits
        os.rename(t.p("link"), t.p("in", "registrations_1.csv"))
        try:
            _, err = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise AssertionError("the run did not end")
        eq(p.returncode, 66, err)
        check("SECRETHASH" not in err and "root:" not in err, err)
        got = [l for l in err.splitlines() if "registrations_1.csv" in l]
        eq(len(got), 1, err)
        check("cannot open: a symbolic link" in got[0], got[0])
        text = book_text(t.p("out", "audit_%s.xlsx" % AS_OF))
        check("SECRETHASH" not in text, text)
        eq(loaded_files(t.p("svc.db")), ["closeouts_1.csv", "dispatches_1.csv"])


if __name__ == "__main__":
    main(globals())
