#!/usr/bin/python3
"""t9993 -- the command line as a new user and a tester meet it (QA pass
on SPEC §5 and §6).

Defects found, each red before its fix:

- `import` took `--as-of`, `--from` and `--buckets`, options of report
  and run, and ignored them with exit 0 (`import ... --as-of 2026-03-01`
  loaded the files and said nothing): SPEC §5 makes an option that is not
  the command's a usage error (64);
- `--summary ''` (a crontab's `--summary "$SUMMARY"` with SUMMARY unset)
  said "needs a value", then a second error, "svcrecon: : cannot write
  summary: No such file or directory", an empty name;
- `--quiet=1` (a flag given a value) was called an unknown option: the
  option is known, it takes no value;
- `--db` given twice as two PostgreSQL URIs that differ only in the
  password said "given twice ('URI' and 'URI')", the same text twice
  (each shown without its password): now it says they differ in the
  password, still shown nowhere;
- `--from` later than today, no `--as-of` given, said "is later than
  --as-of DATE", an option not on the line;
- explain and copy named an empty (0-byte) SQLite file, and one of a newer
  schema or another program's, by its absolute path, where every other
  message keeps the path as given;
- a SQLite database this user cannot read (mode 0600, another user's) was
  told "database is read-only: this user cannot write the file ...; make
  the file writable" by report and run (73; making it writable does not
  help), and "cannot open database: unable to open database file" by
  explain (SQLite's words, nothing to do): now "this user cannot read the
  file", what to do, 66 (an input that cannot be opened);
- a sub-folder of the inbox (an archive/ of past nights) was warned
  about as an "inbox file matches no kind ...; rename it if it is a feed":
  a folder renamed is no feed. It is named as a sub-folder that is not
  read, once, and what to do; its files are not read;
- an abbreviation that names more than one option (`--s`: --schema,
  --statements, --summary) was called an "unknown option", which sent the
  user to --help for an option that exists: now it is named ambiguous,
  with the options it begins;
- `svcrecon --version extra` printed the version and ended 0: now a usage
  error (64) naming what followed;
- the line for the audit workbook, "wrote audit_D.xlsx (1 rejected row,
  ...)", counted a refused file as a rejected row (the Rejected rows sheet
  lists it as one line 0): a night with no row rejected and one file
  refused said "1 rejected row". Rows and files apart now;
- an unknown command (`svcrecon rnu ... --summary FILE`, a crontab's
  typo) wrote no usage summary, so monitoring read the night before's
  `ok` (qa58): the summary is written, `command` null, unless it would
  replace a file of the line (a feed of --inbox, a --db).
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from svctest import (Tmp, check, eq, good_night, main, raw, skip,  # noqa: E402
                     sqlite_only, svc)

AS_OF = "2026-03-12"
NOBODY = 65534


def test_an_inbox_sub_folder_is_named_as_one_and_not_read():
    with Tmp() as t:
        good_night(t)
        os.makedirs(t.p("in/archive/2026-03-11"))
        t.csv("in/archive/2026-03-11/dispatches_0.csv", svctest.DSP_HDR, [])
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--summary", "s.json", "--quiet",
                cwd=t.path)
        eq(r.code, 0, r)
        eq(r.err, "svcrecon: in/archive: inbox sub-folder is not read "
           "(svcrecon reads only the files directly in --inbox); left "
           "alone: move it out of the inbox, and its files into the inbox "
           "if they are the night's feeds\n", "one line, a sub-folder")
        s = json.load(open(t.p("s.json")))
        eq([w["code"] for w in s["warnings"]], ["stray_file"], s["warnings"])
        eq(len(s["files"]), 3, "the archive's file was not read")


def test_an_ambiguous_abbreviation_is_named_with_its_options():
    with Tmp() as t:
        good_night(t)
        for args, options in (
                (["report", "--db", "svc.db", "--out", "out", "--s"],
                 "--schema, --summary, --statements"),
                (["run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                  "--s=x"], "--schema, --summary, --statements"),
                (["explain", "--db", "svc.db", "--s", "Q1"],
                 "--schema, --source")):
            r = raw(args, t.path)
            eq(r.code, 64, (args, r))
            # "--s=x" is named by its option too: '--s'
            check("option '--s' is ambiguous (%s); give the whole name"
                  % options in r.err, (args, r.err))
            check("unknown option" not in r.err, r.err)
            check(not os.path.exists(t.p("out")), "nothing written")
        # a prefix of one option is still that option, and a name that
        # begins none is still unknown
        r = raw(["run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                 "--qu", "--as-of", AS_OF], t.path)
        eq((r.code, r.err), (0, ""), r)
        r = raw(["report", "--db", "svc.db", "--out", "out", "--zz"], t.path)
        eq(r.code, 64, r)
        check("unknown option '--zz'" in r.err, r.err)


def test_version_followed_by_anything_is_a_usage_error():
    r = subprocess.run([svctest.SVCRECON, "--version", "extra"],
                       capture_output=True, text=True)
    eq(r.returncode, 64, r)
    eq(r.stdout, "", "no version printed")
    check("--version takes nothing after it ('extra')" in r.stderr, r.stderr)
    r = subprocess.run([svctest.SVCRECON, "--version"], capture_output=True,
                       text=True)
    eq((r.returncode, r.stdout.startswith("svcrecon ")), (0, True), r)
    # --help answers whatever follows it (a decision: README)
    r = subprocess.run([svctest.SVCRECON, "--help", "import"],
                       capture_output=True, text=True)
    eq(r.returncode, 0, r)
    check(r.stdout.startswith("usage: svcrecon import"), r.stdout[:80])


def test_the_audit_line_counts_rows_and_refused_files_apart():
    with Tmp() as t:
        good_night(t)
        # a closeout file with one bad row, a dispatch file refused whole
        t.csv("in/closeouts_2.csv", svctest.CLO_HDR,
              ["CA1042,2026-03-02 10:00,Q2,AFK03126,iPF8400S,not-a-date,T,"
               "1.5,R,"])
        t.csv("in/dispatches_2.csv", "not,the,dispatch,header", ["a,b,c,d"])
        r = raw(["run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                 "--as-of", AS_OF, "--summary", "s.json"], t.path)
        eq(r.code, 65, r)
        line = [x for x in r.err.splitlines() if "wrote out/audit_" in x]
        eq(line, ["svcrecon: wrote out/audit_%s.xlsx (1 rejected row, 1 "
                  "file refused, 0 registration exceptions)" % AS_OF], r.err)
        s = json.load(open(t.p("s.json")))
        # the summary counts the sheet's lines, the refused file's too
        eq(s["reports"]["audit"]["rejected_rows"], 2, s["reports"]["audit"])
    with Tmp() as t:            # a guard: no file refused, no files named
        good_night(t)
        r = raw(["run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                 "--as-of", AS_OF], t.path)
        eq(r.code, 0, r)
        check("wrote out/audit_%s.xlsx (0 rejected rows, 0 registration "
              "exceptions)" % AS_OF in r.err, r.err)


def test_import_refuses_the_options_of_report_and_run():
    for extra in (["--as-of", AS_OF], ["--from", "2026-03-01"],
                  ["--buckets", "7,14"], ["--as-of=" + AS_OF]):
        with Tmp() as t:
            good_night(t)
            args = ["import", "--db", "svc.db", "--kind", "dispatches",
                    "in/dispatches_1.csv"] + extra + ["--summary", "s.json"]
            r = svc(*args, cwd=t.path)
            eq(r.code, 64, (extra, r))
            name = extra[0].split("=")[0]
            check("import takes no %s" % name in r.err, (name, r.err))
            check(not svctest.db_exists(t.p("svc.db")), "nothing imported")
            s = json.load(open(t.p("s.json")))
            eq((s["status"], s["exit_code"]), ("usage", 64), extra)


def each_option_of_another_command(t, cases, first_line):
    """Each (args, msg) of cases run in t: 64, its message msg (the whole
    first line of stderr when first_line; else within stderr, with the
    usage, and never "unknown option"), and nothing made (no o, no
    b.db)."""
    for args, msg in cases:
        r = raw(args, t.path)
        eq(r.code, 64, (args, r))
        if first_line:
            eq(r.err.splitlines()[0], "svcrecon: " + msg, (args, r.err))
        else:
            check("svcrecon: %s" % msg in r.err and "usage:" in r.err,
                  (args, r.err))
            check("unknown option" not in r.err, (args, r.err))
        check(not os.path.exists(t.p("o")) and
              not os.path.exists(t.p("b.db")), args)


def test_explain_and_copy_name_an_option_of_another_command():
    """QA pass 59: `explain --out`, `--statements`, `--summary` said
    "unknown option" (and copy's --as-of, --db, --out too), where import,
    report and run say "report takes no --inbox": the option exists, the
    command does not take it. Named so, with the commands that do; 64."""
    cases = [
        (["explain", "--db", "svc.db", "--out", "o", "X1"],
         "explain takes no --out (an option of report and run)"),
        (["explain", "--db", "svc.db", "--statements", "X1"],
         "explain takes no --statements (an option of report and run)"),
        (["explain", "--db", "svc.db", "--summary", "s.json", "X1"],
         "explain takes no --summary (an option of import, report, run and copy)"),
        (["explain", "--db", "svc.db", "--out=o", "X1"], "explain takes no --out"),
        (["explain", "--db", "svc.db", "--stat", "X1"], "explain takes no --statements"),
        (["copy", "--from", "svc.db", "--to", "b.db", "--as-of", AS_OF],
         "copy takes no --as-of (an option of report, run and explain)"),
        (["copy", "--from", "svc.db", "--to", "b.db", "--out", "o"],
         "copy takes no --out (an option of report and run)"),
        (["report", "--db", "svc.db", "--out", "o", "--json"],
         "report takes no --json (an option of explain)"),
    ]
    with Tmp() as t:
        good_night(t)
        each_option_of_another_command(t, cases, first_line=False)
        # an option no command has is still unknown
        r = raw(["explain", "--db", "svc.db", "--zz", "X1"], t.path)
        eq(r.code, 64, r)
        check("unknown option '--zz'" in r.err, r.err)


def test_import_report_and_run_name_who_takes_an_option_they_do_not():
    """qa83: the README says every command names an option of another one
    with the commands that take it; import, report and run said only
    "run takes no --kind", and import named three options for one given
    ("import takes no --inbox, --out or --statements" of --out)."""
    cases = [
        (["run", "--db", "svc.db", "--inbox", "in", "--out", "o", "--kind",
          "dispatches"], "run takes no --kind (an option of import)"),
        (["report", "--db", "svc.db", "--out", "o", "--kind", "dispatches"],
         "report takes no --kind (an option of import)"),
        (["report", "--db", "svc.db", "--out", "o", "--inbox", "in"],
         "report takes no --inbox (an option of run)"),
        (["import", "--db", "svc.db", "--kind", "dispatches", "--out", "o",
          "in/dispatches_1.csv"],
         "import takes no --out (an option of report and run)"),
        (["import", "--db", "svc.db", "--kind", "dispatches", "--inbox", "in",
          "in/dispatches_1.csv"], "import takes no --inbox (an option of run)"),
        (["import", "--db", "svc.db", "--kind", "dispatches", "--statements",
          "in/dispatches_1.csv"],
         "import takes no --statements (an option of report and run)"),
    ]
    with Tmp() as t:
        good_night(t)
        each_option_of_another_command(t, cases, first_line=True)


def test_guard_import_still_takes_its_own_options():
    with Tmp() as t:
        good_night(t)
        r = svc("import", "--quiet", "--db", "svc.db", "--kind", "dispatches",
                "in/dispatches_1.csv", cwd=t.path)
        eq((r.code, r.err), (0, ""))


def test_an_unknown_command_writes_its_usage_summary():
    with Tmp() as t:
        good_night(t)
        line = ["--db", "svc.db", "--inbox", "in", "--out", "out", "--quiet"]
        eq(svc("run", *line, "--as-of", AS_OF, "--summary", "s.json",
               cwd=t.path).code, 0)
        eq(json.load(open(t.p("s.json")))["status"], "ok")
        r = svc("rnu", *line, "--summary", "s.json", cwd=t.path)
        eq(r.code, 64, r)
        eq(r.err.splitlines()[0], "svcrecon: unknown command 'rnu'", r.err)
        s = json.load(open(t.p("s.json")))       # validated by svc()
        eq((s["command"], s["status"], s["exit_code"], s["error"]),
           (None, "usage", 64, "unknown command 'rnu'"), s)
        # never over a file the line names: a feed of its inbox
        feed = open(t.p("in/dispatches_1.csv"), "rb").read()
        r = raw(["rnu", *line, "--summary", "in/dispatches_1.csv"], t.path)
        eq(r.code, 64, r)
        eq(open(t.p("in/dispatches_1.csv"), "rb").read(), feed, "the feed kept")


def test_an_empty_summary_name_is_one_usage_error():
    for args in (["report", "--db", "svc.db", "--out", "out", "--summary",
                  ""],
                 ["report", "--db", "svc.db", "--out", "out", "--summary="],
                 ["run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                  "--as-of", "x", "--summary", ""],
                 ["copy", "--from", "svc.db", "--to", "c.db", "--summary",
                  ""]):
        with Tmp() as t:
            good_night(t)
            r = raw(args, t.path)
            eq(r.code, 64, (args, r))
            check("cannot write summary" not in r.err, r.err)
            eq(r.err.count("svcrecon: "), 1, r.err)


def test_a_flag_given_a_value_is_named_as_taking_none():
    with Tmp() as t:
        good_night(t)
        for cmd, flag in (("report", "--quiet"), ("report", "--statements"),
                          ("explain", "--json")):
            args = [cmd, "--db", "svc.db", flag + "=1"]
            args += ["--out", "out"] if cmd == "report" else ["Q1"]
            r = svc(*args, cwd=t.path)
            eq(r.code, 64, r)
            check("option '%s' takes no value ('%s=1')" % (flag, flag)
                  in r.err, r.err)
            check("unknown option" not in r.err, r.err)


def test_two_uris_differing_in_the_password_say_so_and_show_neither():
    with Tmp() as t:
        uri = "postgresql://svc_pw:%s@/svc?host=/nonexistent"
        r = raw(["report", "--db", uri % "SECRETA1", "--db", uri % "SECRETB2",
                 "--out", "out", "--summary", "s.json"], t.path)
        eq(r.code, 64, r)
        shown = "postgresql://svc_pw@/svc?host=/nonexistent"
        check("option '--db' given twice ('%s' and '%s', which differ in the "
              "password, not shown); give it once" % (shown, shown) in r.err,
              r.err)
        summary = open(t.p("s.json")).read()
        for secret in ("SECRETA1", "SECRETB2"):
            check(secret not in r.err and secret not in summary, secret)


@sqlite_only("the path of a SQLite file as given")
def test_explain_and_copy_name_an_unfit_database_as_given():
    with Tmp() as t:
        os.mkdir(t.p("sub"))
        open(t.p("sub/empty.db"), "wb").close()
        for args in (["explain", "--db", "sub/empty.db", "Q1"],
                     ["copy", "--from", "sub/empty.db", "--to", "c.db"]):
            r = raw(args, t.path)
            eq(r.code, 66, (args, r))
            check(r.err.startswith("svcrecon: sub/empty.db: cannot open "
                                   "database: it holds no svcrecon tables"),
                  r.err)
            check(t.path not in r.err, r.err)


def test_from_after_today_without_as_of_names_no_as_of_option():
    with Tmp() as t:
        good_night(t)
        r = svc("report", "--db", "svc.db", "--out", "out", "--from",
                "9999-12-31", cwd=t.path, env={"TZ": "UTC"})
        eq(r.code, 64, r)
        today = subprocess.run(["date", "-u", "+%Y-%m-%d"], text=True,
                               capture_output=True).stdout.strip()
        check("--from 9999-12-31 is later than the as-of date %s (today: "
              "--as-of not given); --from must be on or before the as-of "
              "date" % today in r.err, r.err)
        check(not os.path.exists(t.p("out")), "nothing written")


def as_nobody(args, cwd):
    return raw(args, cwd, user=NOBODY)


@sqlite_only("file modes of a SQLite file")
def test_a_database_this_user_cannot_read_says_so_and_what_to_do():
    if os.geteuid() != 0:
        skip("a second user needs root (setuid)")
    with Tmp() as t:
        parent = t.path
        while parent != "/":
            parent = os.path.dirname(parent)
            if os.stat(parent).st_mode & 0o001 == 0:
                skip("%s cannot be crossed by another user" % parent)
        good_night(t)
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq(r.code, 0, r)
        os.chmod(t.path, 0o777)                 # the lock file can be made
        os.remove(t.p("svc.db.lock"))
        os.chmod(t.p("svc.db"), 0o600)          # root's, not readable
        before = svctest.sha256(t.p("svc.db"))
        for args in (["report", "--db", "svc.db", "--out", "o2", "--as-of",
                      AS_OF],
                     ["run", "--db", "svc.db", "--inbox", "in", "--out", "o2",
                      "--as-of", AS_OF],
                     ["explain", "--db", "svc.db", "Q1"]):
            r = as_nobody(args, t.path)
            eq(r.code, 66, (args, r))
            line = [ln for ln in r.err.splitlines() if ln][0]
            for must in ("svc.db: cannot open database: this user cannot "
                         "read the file (Permission denied)", "readable",
                         "chmod, chown"):
                check(must in line, (must, line))
            check("read-only" not in line and "unable to open" not in line,
                  line)
        eq(svctest.sha256(t.p("svc.db")), before, "untouched")
        check(not os.path.exists(t.p("o2")), "no workbook")


if __name__ == "__main__":
    main(globals())
