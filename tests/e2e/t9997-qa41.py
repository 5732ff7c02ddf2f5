#!/usr/bin/python3
"""t9997 -- what a scheduler met (QA pass 41).

Defects found by running svcrecon as cron and systemd do, each red before
its fix:

- a usage error met before getopt reached `--summary FILE` (the crontab
  and the unit of docs/ put it last: `--as-of "$X" --summary FILE` with X
  unset) wrote no summary, and monitoring read the night before's `ok`;
- a `DB.lock` left by a run as another user (root's first try) was told
  "give --db a path in a folder this user can create files in", the
  folder being fine;
- a database file with two names (hard links), written through both at
  once, was told "the database file is damaged: restore it from a backup"
  (the file was whole: a backup would have thrown away committed nights);
- a workbook on a full disk said "Zip generic error ZIP_ERRNO while
  creating the xlsx file" (library jargon): now "the workbook's zip
  archive could not be written: No space left on device".

Guards: a usage summary is still never written over the database, into a
folder, or where the bad option took `--summary` as its value.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from svctest import (Tmp, check, eq, good_night, main, raw, sha256,  # noqa: E402
                     skip, small_disk, sqlite_only, svc)

AS_OF = "2026-03-12"


def listed(t, book, sheet, *cols):
    """The rows of a listing of the night's workbook book (e.g.
    "unclosed_calls"), its columns cols by header, sorted; a blank cell
    reads ""."""
    import openpyxl
    ws = openpyxl.load_workbook(t.p("out", "%s_%s.xlsx" % (book, AS_OF)))[sheet]
    head = [c.value for c in ws[1]]
    return sorted(tuple(row[head.index(c)].value or "" for c in cols)
                  for row in ws.iter_rows(min_row=2))
NOBODY = 65534


def night(t):
    good_night(t)
    r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
            "--as-of", AS_OF, "--quiet", "--summary", "s.json", cwd=t.path)
    eq(r.code, 0, r)
    eq(json.load(open(t.p("s.json")))["status"], "ok")


def test_a_usage_error_before_summary_still_replaces_the_summary():
    base = ["--db", "svc.db", "--inbox", "in", "--out", "out"]
    for args in (
            ["run"] + base + ["--as-of", "", "--summary", "s.json"],
            ["run"] + base + ["--as-of", "2026-02-30", "--summary", "s.json"],
            ["run", "--bogus"] + base + ["--summary=s.json"],
            ["run"] + base + ["--as-of", AS_OF, "--from", "2026-03-13",
                              "--summ", "s.json"],
            ["report", "--db", "svc.db", "--out", "out", "--buckets", "x",
             "--summary", "s.json"],
            ["import", "--kind", "nope", "--db", "svc.db", "--summary",
             "s.json", "in/dispatches_1.csv"],
            ["copy", "--bogus", "--from", "svc.db", "--to", "c.db",
             "--summary", "s.json"]):
        with Tmp() as t:
            night(t)
            r = raw(args, t.path)
            eq(r.code, 64, (args, r))
            s = svctest.validate_summary(t.p("s.json"))
            eq((s["status"], s["exit_code"]), ("usage", 64), args)
            check(s["command"] == args[0], s)


@sqlite_only("the database named as --summary is a SQLite file")
def test_guard_a_usage_summary_found_late_is_never_written_over_files():
    with Tmp() as t:
        night(t)
        os.mkdir(t.p("afolder"))
        db = sha256(t.p("svc.db"))
        for args, left in (
                # over the database, wherever --db stands
                (["run", "--as-of", "x", "--summary", "svc.db", "--db",
                  "svc.db"], None),
                # into a folder: nothing, one usage line only
                (["run", "--as-of", "x", "--summary", "afolder", "--db",
                  "svc.db"], None),
                # the bad option took --summary as its value: x.json is a
                # word of the line, no summary
                (["run", "--db", "svc.db", "--as-of", "--summary",
                  "x.json"], "x.json")):
            r = raw(args, t.path)
            eq(r.code, 64, (args, r))
            eq(sha256(t.p("svc.db")), db, args)
            eq(r.err.count("usage: "), 1, r.err)
            if left:
                check(not os.path.exists(t.p(left)), args)
        check(os.path.isdir(t.p("afolder")) and not os.listdir(t.p("afolder")),
              "the folder as it was")
        eq(json.load(open(t.p("s.json")))["status"], "ok",
           "the night's summary, not replaced by a refused usage summary")


def night_as(uid, t):
    """The night's run as user uid."""
    return subprocess.run(svctest.cmd("run", "--db", "svc.db", "--inbox", "in",
                                      "--out", "out", "--as-of", AS_OF,
                                      "--quiet", cwd=t.path, user=uid),
                          cwd=t.path, capture_output=True, text=True,
                          preexec_fn=svctest.as_user(uid),
                          env=dict(os.environ, TZ="UTC"), timeout=300)


@sqlite_only("DB.lock beside a SQLite file")
def test_a_lock_file_of_another_user_says_whose_it_is_and_what_to_do():
    if os.geteuid() != 0:
        skip("a second user needs root (setuid)")
    with Tmp() as t:
        night(t)                       # as root: svc.db.lock is root's
        parent = t.path
        while parent != "/":
            parent = os.path.dirname(parent)
            if os.stat(parent).st_mode & 0o001 == 0:
                skip("%s cannot be crossed by another user" % parent)
        for top, dirs, files in os.walk(t.path):
            for n in dirs + files + ["."]:
                p = os.path.join(top, n)
                if not p.endswith(".lock"):
                    os.chown(p, NOBODY, NOBODY)
        os.chmod(t.p("svc.db.lock"), 0o644)
        p = night_as(NOBODY, t)
        eq(p.returncode, 73, p.stderr)
        line = [ln for ln in p.stderr.splitlines() if ln][0]
        for must in ("svc.db.lock: cannot open the lock file: Permission "
                     "denied", "made by another user (uid 0, mode 0644)",
                     "chown", "remove it when no svcrecon runs"):
            check(must in line, (must, line))
        check("folder this user can create" not in line, line)
        # as it says: given to the nightly user, the night runs
        os.chown(t.p("svc.db.lock"), NOBODY, NOBODY)
        p = night_as(NOBODY, t)
        eq((p.returncode, p.stderr), (0, ""))


def damage(path):
    """Every b-tree page after the first two made unreadable."""
    n = os.path.getsize(path) // 16384
    with open(path, "r+b") as f:
        for page in range(2, n):
            f.seek(page * 16384)
            f.write(b"\x0d\xff\xff\xff\xff")


@sqlite_only("hard links to a SQLite file")
def test_a_malformed_database_with_two_names_is_not_told_to_restore_a_backup():
    with Tmp() as t:
        night(t)
        damage(t.p("svc.db"))
        r = raw(["report", "--db", "svc.db", "--out", "o1", "--as-of", AS_OF,
                 "--quiet"], t.path)
        eq(r.code, 65, r)
        check("malformed; the database file is damaged: restore it from a "
              "backup" in r.err, r.err)
        os.link(t.p("svc.db"), t.p("other.db"))
        r = raw(["report", "--db", "svc.db", "--out", "o2", "--as-of", AS_OF,
                 "--quiet"], t.path)
        eq(r.code, 65, r)
        for must in ("malformed; the database file has 2 names (hard links)",
                     "run svcrecon through one name only",
                     "PRAGMA integrity_check",
                     "restore it from a backup only if that finds damage"):
            check(must in r.err, (must, r.err))


def test_a_workbook_on_a_full_disk_says_so_in_plain_words():
    with Tmp() as t, small_disk(t.p("mnt"), "1m") as mnt:
        good_night(t)
        rows = ["Q%d,2026-03-01 09:00,iPF8400S,AFK%05d,CA%04d,Customer %d,"
                "02108,P,OPEN" % (i, i, i, i) for i in range(3000)]
        t.csv("in/dispatches_2.csv", svctest.DSP_HDR, rows)
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out",
                os.path.join(mnt, "out"), "--as-of", AS_OF, "--quiet",
                cwd=t.path)
        eq(r.code, 73, r)
        line = [ln for ln in r.err.splitlines() if ln][0]
        check("Zip generic error" not in line and "ZIP_ERRNO" not in line, line)
        check(line.count("(") == line.count(")"), "balanced: %r" % line)
        check("No space left on device" in line or "is the disk full?" in line,
              line)
        check("free space on the output folder's disk, then run again" in line,
              line)


def test_a_dealer_id_with_an_invisible_character_at_an_end_matches():
    """Red before: CA1042 followed by a zero-width space (U+200B; copied
    from a web page) or preceded by a word joiner (U+2060) matched no
    registration: the
    dealer 'CA1042' was "not the provider 'CA1042'", the provider had no
    name, and two statements were both headed Dealer CA1042. Trimmed at
    the ends as U+00A0 is (README "Trimming")."""
    import openpyxl
    zw, wj, nnbsp = "\u200b", "\u2060", "\u202f"
    with Tmp() as t:
        t.csv("in/registrations_1.csv", svctest.REG_HDR,
              ["CA1042,Pacific Imaging,iPF8400S,S1,2026-01-01,N,"])
        t.csv("in/dispatches_1.csv", svctest.DSP_HDR,
              ["D1,2026-03-01,iPF8400S,S1 %s,CA1042%s,c,02108,P,OPEN" % (nnbsp, zw),
               "D2,2026-03-01,iPF8400S,S1,%sCA1042,c,02108,P,OPEN" % zw])
        t.csv("in/closeouts_1.csv", svctest.CLO_HDR,
              ["%sCA1042,2026-03-05,D1,S1,iPF8400S,2026-03-04,T,1,," % wj])
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--statements", "--quiet", cwd=t.path)
        eq(r.code, 0, r)
        eq(sorted(os.listdir(t.p("out", "statements_" + AS_OF))), ["CA1042.xlsx"])
        wb = openpyxl.load_workbook(t.p("out", "non_compensable_%s.xlsx" % AS_OF))
        ws = wb["Non-compensable"]
        head = [c.value for c in ws[1]]
        rows = [dict(zip(head, (c.value for c in row))) for row in ws.iter_rows(min_row=2)]
        eq(len(rows), 1, rows)
        eq(rows[0]["Reason"], "INCOMPLETE_SECTION2", rows)
        eq(rows[0]["Dealer"], "CA1042")
        got = listed(t, "unclosed_calls", "Unclosed calls", "Provider",
                     "Provider name")
        eq(got, [("CA1042", "Pacific Imaging")] * 2)
        wb = openpyxl.load_workbook(t.p("out", "audit_%s.xlsx" % AS_OF))
        eq(wb["Registration exceptions"].max_row, 1,
           "no exception: the serial and the provider match the registration")


def test_a_value_of_a_line_break_only_is_blank():
    """QA pass 60, red before: a quoted field holding only a line break
    (Enter pressed in a form's cell) was not blank. A closeout whose
    technician or resolution code was "\\n" was valid, accepted, and its
    call dropped off the unclosed list; a serial "\\n" was a
    SERIAL_MISMATCH; a status "\\n" rejected the dispatch ("not OPEN or
    CANCELLED") though a blank status is OPEN; a provider "\\n" was a
    dealer. Line breaks at the ends of an identifier, code, date, number
    or flag are trimmed as blanks are (README "Trimming"); free text
    keeps them."""
    import openpyxl
    with Tmp() as t:
        t.csv("in/dispatches_1.csv", svctest.DSP_HDR,
              ["D%d,2026-03-01,iPF8400S,S%d,CA1042,c,02108,P,OPEN" % (i, i)
               for i in (1, 2, 3)] +
              ['D4,2026-03-01,iPF8400S,S4,CA1042,"c\n",02108,P,"\r\n"',
               'D5,2026-03-01,iPF8400S,S5,"\n",c,02108,P,OPEN',
               '"D6\r\n",2026-03-01,iPF8400S,S6,CA1042,c,02108,P,OPEN'])
        t.csv("in/closeouts_1.csv", svctest.CLO_HDR,
              ['CA1042,2026-03-05,D1,S1,iPF8400S,2026-03-04,"\n",1,R,',
               'CA1042,2026-03-05,D2,S2,iPF8400S,2026-03-04,T,1,"\r\n",',
               'CA1042,2026-03-05,D3,"\n",iPF8400S,2026-03-04,T,1,R,',
               'CA1042,2026-03-05,"\nD6",S6,iPF8400S,2026-03-04,T,1,R,'])
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq(r.code, 0, r)
        got = listed(t, "non_compensable", "Non-compensable", "Dispatch ID",
                     "Reason", "Detail")
        eq([g[:2] for g in got], [("D1", "INCOMPLETE_SECTION2"),
                                  ("D2", "INCOMPLETE_SECTION2"),
                                  ("D3", "INCOMPLETE_SECTION2")], got)
        for g, col in zip(got, ("technician", "resolution_code",
                                "serial_number")):
            check(col in g[2], "%s names %s: %r" % (g[0], col, g[2]))
        got = listed(t, "unclosed_calls", "Unclosed calls", "Dispatch ID",
                     "Provider", "Customer")
        eq(got, [("D1", "CA1042", "c"), ("D2", "CA1042", "c"),
                 ("D3", "CA1042", "c"), ("D4", "CA1042", "c\n"),
                 ("D5", "", "c")],
           "D4 loaded OPEN, D5 without a provider, D6 closed out")
        wb = openpyxl.load_workbook(t.p("out", "audit_%s.xlsx" % AS_OF))
        eq(wb["Rejected rows"].max_row, 1, "nothing rejected")


def test_a_value_of_an_ideographic_or_em_space_only_is_blank():
    """QA pass 60, red before: a technician of one ideographic space
    (U+3000, what a Japanese keyboard's space bar types) or a resolution
    code of one em space (U+2003) was not blank: the closeout was valid
    and accepted. Unicode's other spaces are trimmed as U+00A0 is, and a
    dealer id ending in one matches."""
    with Tmp() as t:
        t.csv("in/registrations_1.csv", svctest.REG_HDR,
              ["CA1042,Pacific Imaging,iPF8400S,S1,2026-01-01,N,"])
        t.csv("in/dispatches_1.csv", svctest.DSP_HDR,
              ["D%d,2026-03-01,iPF8400S,S1,CA1042\u3000,c,02108,P,OPEN" % i
               for i in (1, 2, 3)])
        t.csv("in/closeouts_1.csv", svctest.CLO_HDR,
              ["CA1042,2026-03-05,D1,S1,iPF8400S,2026-03-04,\u3000,1,R,",
               "CA1042,2026-03-05,D2,S1,iPF8400S,2026-03-04,T,1,\u2003,",
               "CA1042,2026-03-05,D3,S1,iPF8400S,2026-03-04,\u2009T\u200a,1,R,"])
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq(r.code, 0, r)
        got = listed(t, "non_compensable", "Non-compensable", "Dispatch ID",
                     "Reason")
        eq(got, [("D1", "INCOMPLETE_SECTION2"), ("D2", "INCOMPLETE_SECTION2")])
        got = listed(t, "unclosed_calls", "Unclosed calls", "Dispatch ID",
                     "Provider", "Provider name")
        eq(got, [("D1", "CA1042", "Pacific Imaging"),
                 ("D2", "CA1042", "Pacific Imaging")], "D3 closed out")


def test_names_in_capitals_wrap_and_mixed_case_ones_take_one_line():
    """Red before (QA pass 41, LibreOffice's print with Carlito, Calibri's
    widths): a provider name in capitals, 30 characters in a column of at
    most 30, was cut by Model; a mixed-case one of 33 characters, which
    fits the column, got a second, empty line; a customer in capitals of
    79 characters needed 3 lines of its 40-wide column and got 2."""
    import openpyxl
    caps = "WESTERN WASHINGTON MEDIA WORKS"
    mixed = "Garden State Graphic Systems Inc."
    long_caps = ("WAREHOUSE DISTRIBUTION CENTER OF THE GREATER METROPOLITAN "
                 "AREA NORTH WAREHOUSE")
    with Tmp() as t:
        t.csv("in/registrations_1.csv", svctest.REG_HDR,
              ['TX6960,"Metro Document Technologies, LLC",iPF8400S,S1,2020-01-01,N,',
               "FL9032,%s,iPF8400S,S2,2020-01-01,N," % mixed,
               "WA0001,%s,iPF8400S,S3,2020-01-01,N," % caps])
        t.csv("in/dispatches_1.csv", svctest.DSP_HDR,
              ["D1,2026-03-01,iPF8400S,S1,TX6960,%s,02108,P,OPEN" % long_caps,
               "D2,2026-03-01,iPF8400S,S2,FL9032,c,02108,P,OPEN",
               "D3,2026-03-01,iPF8400S,S3,WA0001,c,02108,P,OPEN"])
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq(r.code, 0, r)
        ws = openpyxl.load_workbook(t.p("out", "unclosed_calls_%s.xlsx" % AS_OF))[
            "Unclosed calls"]
        head = [c.value for c in ws[1]]
        by_id = {row[0].value: row for row in ws.iter_rows(min_row=2)}
        name = head.index("Provider name")

        def height(d):
            return ws.row_dimensions[by_id[d][0].row].height or 15

        cell = by_id["D3"][name]
        eq(cell.value, caps)
        check(cell.alignment.wrap_text, "the name in capitals wraps")
        check(height("D3") >= 30, "two lines for it: %r" % height("D3"))
        eq(by_id["D2"][name].value, mixed)
        eq(height("D2"), 15, "one line: the name fits the column")
        check(height("D1") >= 45, "three lines for the customer: %r" % height("D1"))


def test_the_reason_chart_reads_at_its_bottom_and_the_meaning_band_spans():
    """Red before: the bar chart of reasons had its numbers at the top and
    their title at the bottom, its bars hairlines (gap 150%); the header
    band of Meaning covered column D while the meanings run on to the
    right."""
    import openpyxl
    import re
    import zipfile
    with Tmp() as t:
        good_night(t)
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq(r.code, 0, r)
        book = t.p("out", "non_compensable_%s.xlsx" % AS_OF)
        with zipfile.ZipFile(book) as z:
            charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
            eq(len(charts), 1, charts)
            x = z.read(charts[0]).decode()
        check('<c:gapWidth val="50"/>' in x, "bars a third of the gap")
        val = re.search(r"<c:valAx>.*?</c:valAx>", x, re.S).group(0)
        check('<c:crosses val="max"/>' in val, "the numbers at the bottom: %s" % val)
        ws = openpyxl.load_workbook(book)["Summary"]
        hdr = [c for row in ws.iter_rows() for c in row if c.value == "Meaning"]
        eq(len(hdr), 1)
        m = hdr[0]
        fill = m.fill.fgColor.rgb
        band = 1
        while ws.cell(m.row, m.column + band).value is None and \
                ws.cell(m.row, m.column + band).fill.fgColor.rgb == fill:
            band += 1
        check(band >= 3, "the band spans %d columns" % band)


def test_quoted_semicolon_or_tab_files_and_excel_sep_lines_are_named():
    """Red before (SPEC §6): a header whose names are all quoted, between
    ';' or TABs (LibreOffice's Text CSV, "quote all text cells"), was
    refused as "malformed quoting ... quote the whole field"; Excel's
    first line "sep=;" as a header lacking every column; a semicolon
    header lacking one column as lacking all four."""
    cases = {
        "semi.csv": ('"dispatch_id";"dispatched_at";"model";"serial_number"\r\n'
                     '"D1";"2026-03-05 10:00";"iPF6400";"AEM1"\r\n',
                     ["file is semicolon-separated", "re-export as CSV UTF-8"]),
        "tab.csv": ('"dispatch_id"\t"dispatched_at"\t"model"\t"serial_number"\n'
                    '"D1"\t"2026-03-05 10:00"\t"iPF6400"\t"AEM1"\n',
                    ["file is tab-separated", "re-export as CSV UTF-8"]),
        "sep.csv": ("sep=;\ndispatch_id;dispatched_at;model;serial_number\n"
                    "D1;2026-03-05;m;s\n",
                    ["file is semicolon-separated", "'sep=;'"]),
        "sepc.csv": ("sep=,\ndispatch_id,dispatched_at,model,serial_number\n"
                     "D1,2026-03-05,m,s\n",
                     ["Excel's separator line 'sep=,'", "remove that first line"]),
        "miss.csv": ("dispatch_id;dispatched_at;serial_number\nD1;2026-03-05;S\n",
                     ["file is semicolon-separated",
                      "header lacks required column 'model';"]),
    }
    with Tmp() as t:
        for name, (body, must) in cases.items():
            f = t.write(name, body)
            r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches",
                    "--quiet", f)
            eq(r.code, 65, (name, r))
            line = [ln for ln in r.err.splitlines() if ln][0]
            for m in must + ["file refused"]:
                check(m in line, (name, m, line))
            check("malformed quoting" not in line, line)


def test_a_feed_delivered_compressed_or_as_a_workbook_is_named_as_such():
    """Red before (SPEC §6): dispatches_2.csv.gz and closeouts_2.xlsx in
    the inbox were strays, "rename it if it is a feed": renamed, they were
    refused the next night."""
    import gzip
    with Tmp() as t:
        good_night(t)
        t.write("in/dispatches_2.csv.gz", gzip.compress(b"dispatch_id\n"))
        t.write("in/closeouts_2.xlsx", b"PK\x03\x04" + b"x" * 60)
        t.write("in/notes.txt", "hello\n")
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq(r.code, 0, r)
        lines = [ln for ln in r.err.splitlines() if ln]
        eq(len(lines), 3, r.err)
        gz = [ln for ln in lines if "dispatches_2.csv.gz" in ln]
        xl = [ln for ln in lines if "closeouts_2.xlsx" in ln]
        tx = [ln for ln in lines if "notes.txt" in ln]
        check(gz and "named as a dispatches feed" in gz[0] and "gzip" in gz[0]
              and "gunzip" in gz[0] and "deliver it as dispatches*.csv" in gz[0],
              gz)
        check(xl and "named as a closeouts feed" in xl[0] and "Excel workbook"
              in xl[0] and "re-export as CSV UTF-8" in xl[0], xl)
        check(tx and "rename it if it is a feed" in tx[0], tx)


@sqlite_only("the --db URI is the test's own; no server is reached")
def test_a_schema_name_too_long_is_shown_cut_and_said_so():
    """Red before: a 70-character --schema was quoted cut to 63, beside
    "(at most 63)", as if it were a name of 63."""
    with Tmp() as t:
        r = raw(["report", "--db", "postgresql://postgres@/svc?host=/nonexistent",
                 "--schema", "a" * 70, "--out", "o"], t.path)
        eq(r.code, 64, r)
        check("'%s…'" % ("a" * 63) in r.err and "(at most 63; this one has 70)"
              in r.err, r.err)
        r = raw(["report", "--db", "postgresql://postgres@/svc?host=/nonexistent",
                 "--schema", "Ab", "--out", "o"], t.path)
        eq(r.code, 64, r)
        check("--schema 'Ab': a schema name is lower-case letters, digits and "
              "'_' (at most 63), starting" in r.err, r.err)


@sqlite_only("the --db URI is the test's own; no server is reached")
def test_a_password_parameter_in_capitals_is_shown_nowhere():
    """Red before: libpq reads no PASSWORD= (it refuses the URI naming the
    parameter), and the value, a user's secret, was in the message and the
    summary."""
    with Tmp() as t:
        for key in ("PASSWORD", "Password", "SSLPASSWORD"):
            r = raw(["report", "--db", "postgresql://postgres@/svc?host=/nonexistent"
                     "&%s=SECRETX1" % key, "--out", "o", "--summary", "s.json"],
                    t.path)
            eq(r.code, 66, r)
            check("SECRETX1" not in r.err, r.err)
            check("SECRETX1" not in open(t.p("s.json")).read(), key)


if __name__ == "__main__":
    main(globals())
