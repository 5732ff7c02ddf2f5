#!/usr/bin/python3
"""t0200 -- operations (issue 13; SPEC §5, §6): mistakes a newcomer or a
scheduler makes get a specific answer, cron hears nothing on a good night
and one line per problem on a bad one, the summary JSON says when, where
and how it went (and exists after a usage error), and a file that is not a
comma-separated UTF-8 CSV is named as such with what to do."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, ON_PG, REG_HDR, Tmp, check, cmd,  # noqa: E402
                     db_exists, eq, main, on_a_terminal, query, schema_of, shown_db,
                     preloaded, sqlite_only, svc, validate_summary)

REG = ["D1,Acme,iPF8400S,S1,2026-01-01,N,", "D1,Acme,iPF8400S,S2,2026-01-01,N,"]
DSP1 = ["X1,2026-03-10 09:00,iPF8400S,S1,D1,c,02108,P,OPEN"]
DSP2 = ["X2,2026-03-11 09:00,iPF8400S,S2,D1,c,02108,P,OPEN"]
CLO2 = ["D1,2026-03-11 10:00,X1,S1,iPF8400S,2026-03-11,Tom,2,R1,"]


def night(t, n):
    """Night 1: registrations + dispatches; night 2 adds more files."""
    t.csv("inbox/registrations_2026-03-10.csv", REG_HDR, REG)
    t.csv("inbox/dispatches_2026-03-10.csv", DSP_HDR, DSP1)
    if n >= 2:
        t.csv("inbox/dispatches_2026-03-11.csv", DSP_HDR, DSP2)
        t.csv("inbox/closeouts_2026-03-11.csv", CLO_HDR, CLO2)


def run(t, *extra, as_of="2026-03-11"):
    return svc("run", "--db", t.p("svc.db"), "--inbox", t.p("inbox"), "--out",
               t.p("out"), "--as-of", as_of, *extra)


# ---- SPEC §5: mistakes ------------------------------------------------------

def test_report_and_explain_on_a_missing_database_are_66_creating_nothing():
    with Tmp() as t:
        db = t.p("nonexist.db")
        r = svc("report", "--db", db, "--out", t.p("out"))
        eq(r.code, 66, r)
        if ON_PG:   # a schema that is not there, rather than a file
            check("%s: cannot open database: no schema '%s' (nothing was imported "
                  "into it)" % (shown_db(db), schema_of(db)) in r.err, r.err)
        else:
            check("nonexist.db: cannot open database" in r.err and
                  "existing database" in r.err, r.err)
        eq(sorted(os.listdir(t.path)), [], "report created something")
        r = svc("explain", "--db", db, "D1")
        eq(r.code, 66, r)
        check("cannot open database" in r.err, r.err)
        eq(sorted(os.listdir(t.path)), [], "explain created something")
        check(not db_exists(db), "a schema was created")


@sqlite_only("a CSV file or a folder given as the SQLite --db")
def test_no_lock_file_beside_something_that_is_not_a_database():
    with Tmp() as t:
        f = t.csv("inbox/dispatches_2026-03-11.csv", DSP_HDR, DSP1)
        before = open(f, "rb").read()
        r = svc("import", "--db", f, "--kind", "dispatches", f)
        eq(r.code, 65, r)
        check("file is not a database" in r.err and "feed file" in r.err, r.err)
        eq(sorted(os.listdir(t.p("inbox"))), ["dispatches_2026-03-11.csv"],
           "a lock file was left beside the CSV")
        eq(open(f, "rb").read(), before)
        # nor beside a folder given as --db
        r = svc("import", "--db", t.p("inbox"), "--kind", "dispatches", f)
        eq(r.code, 66, r)
        check("not a regular file" in r.err, r.err)
        check(not os.path.exists(t.p("inbox.lock")), "inbox.lock was created")


def test_from_after_as_of_is_a_usage_error():
    with Tmp() as t:
        r = svc("report", "--db", t.p("x.db"), "--out", t.p("o"), "--from",
                "2026-03-13", "--as-of", "2026-03-12")
        eq(r.code, 64, r)
        check("--from 2026-03-13 is later than --as-of 2026-03-12" in r.err, r.err)
        check(not db_exists(t.p("x.db")))


def test_postgresql_server_unreachable_is_66_naming_no_password():
    # SPEC §5: --db may be a PostgreSQL URI (issue 17). A server that cannot
    # be reached is 66 with libpq's reason; the URI's password is in no
    # message and no summary, and nothing is created beside the command (no
    # lock file named after a URI). tests/e2e/t0210 runs nights on a server.
    with Tmp() as t:
        night(t, 1)
        for uri in ("postgresql://svc:s3cret@127.0.0.1:1/svc?sslmode=disable",
                    "postgres://svc:s3cret@/svc?host=%s" % t.p("no-such-dir")):
            for args in (["run", "--inbox", t.p("inbox"), "--out", t.p("out"),
                          "--summary", t.p("s.json")],
                         ["report", "--out", t.p("out"), "--summary", t.p("s.json")],
                         ["import", "--kind", "dispatches", "--summary", t.p("s.json"),
                          t.p("inbox/dispatches_2026-03-10.csv")],
                         ["explain", "X1"]):
                r = svc(args[0], "--db", uri, *args[1:], cwd=t.path)
                eq(r.code, 66, r)
                check("cannot connect: " in r.err and "svc@" in r.err, r.err)
                check("s3cret" not in r.out + r.err, r.err)
                if args[0] != "explain":
                    s = validate_summary(t.p("s.json"))
                    eq(s["exit_code"], 66)
                    check("s3cret" not in open(t.p("s.json")).read(), s)
                    os.remove(t.p("s.json"))
                eq(sorted(os.listdir(t.path)), ["inbox"], "something was created")


@sqlite_only("--schema given with a SQLite --db")
def test_schema_with_a_sqlite_db_is_a_usage_error():
    with Tmp() as t:
        for args in (["report", "--out", t.p("out")], ["explain", "X1"]):
            r = svc(args[0], "--db", t.p("x.db"), "--schema", "s", *args[1:])
            eq(r.code, 64, r)
            check("--schema names a PostgreSQL schema" in r.err, r.err)
            eq(os.listdir(t.path), [], "something was created")


def test_unknown_short_option_is_named_not_the_command():
    # issue 11 bug 1: `report -xy` said "unknown option 'report'"
    r = svc("report", "-xy", "--db", "x.db", "--out", "o")
    eq(r.code, 64, r)
    check("unknown option '-x'" in r.err, r.err)
    r = svc("run", "-q")
    check("unknown option '-q'" in r.err, r.err)


def test_a_missing_inbox_is_66_saying_what_to_do():
    with Tmp() as t:
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("no-inbox"),
                "--out", t.p("out"), "--as-of", "2026-03-11")
        eq(r.code, 66, r)
        check("no-inbox: cannot open inbox: No such file or directory" in
              r.err and "--inbox" in r.err.split("cannot open inbox")[1],
              r.err)


def test_empty_inbox_is_a_warning_exit_0():
    with Tmp() as t:
        os.makedirs(t.p("inbox"))
        t.write("inbox/notes.txt", "hello")
        r = run(t, "--summary", t.p("s.json"))
        eq(r.code, 0, r)
        check("inbox holds no feed file" in r.err and "nothing imported" in r.err, r.err)
        check("notes.txt" in r.err and "matches no kind" in r.err, r.err)
        s = validate_summary(t.p("s.json"))
        eq(sorted(w["code"] for w in s["warnings"]), ["empty_inbox", "stray_file"])
        eq(s["status"], "ok")
        # the quiet scheduler still hears of it: a missing delivery is news
        r = run(t, "--quiet")
        eq(r.code, 0, r)
        check("inbox holds no feed file" in r.err, r.err)


OOM_SHIM = r'''
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
/* strdup of an inbox name holding "oom" fails, as if memory ran out. */
char *strdup(const char *s)
{
    if (strstr(s, "oom"))
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    return p ? memcpy(p, s, n) : NULL;
}
'''


def test_out_of_memory_while_listing_the_inbox_is_not_silent():
    # issue 11 bug 2: a failed allocation while listing silently skipped
    # the rest of the inbox (exit 0).
    with Tmp() as t:
        t.write("shim.c", OOM_SHIM)
        subprocess.run(["cc", "-shared", "-fPIC", "-o", t.p("shim.so"),
                        t.p("shim.c")], check=True)
        night(t, 1)
        t.csv("inbox/dispatches_oom.csv", DSP_HDR, DSP2)
        # (under ASan the shim is preloaded before its runtime: allowed)
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("inbox"), "--out",
                t.p("out"), "--as-of", "2026-03-11",
                env=preloaded(t.p("shim.so")))
        eq(r.code, 70, r)
        check("out of memory while listing the inbox" in r.err, r.err)


# ---- explain's default as-of ------------------------------------------------

def test_explain_without_as_of_uses_the_latest_report_and_says_so():
    with Tmp() as t:
        night(t, 1)
        eq(run(t, "--quiet", as_of="2026-03-12").code, 0)
        r = svc("explain", "--db", t.p("svc.db"), "X1")
        eq(r.code, 0, r)
        check("explain as of 2026-03-12" in r.err and "latest recorded report" in r.err, r.err)
        check("2 days open, aging bucket 0-7" in r.out, r.out)
        r = svc("explain", "--db", t.p("svc.db"), "--json", "X1")
        eq(r.code, 0, r)
        doc = json.loads(r.out)
        eq((doc["as_of"], doc["as_of_basis"]), ("2026-03-12", "latest_report"))
        r = svc("explain", "--db", t.p("svc.db"), "--json", "--as-of",
                "2026-03-11", "X1")
        eq(json.loads(r.out)["as_of_basis"], "option")


def test_explain_without_any_report_uses_today_and_says_so():
    with Tmp() as t:
        f = t.csv("d.csv", DSP_HDR, DSP1)
        eq(svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f).code, 0)
        r = svc("explain", "--db", t.p("svc.db"), "X1")
        eq(r.code, 0, r)
        check("today: no report is recorded" in r.err, r.err)


# ---- cron ------------------------------------------------------------------

def test_quiet_good_night_says_nothing():
    with Tmp() as t:
        night(t, 1)
        r = run(t, "--quiet")
        eq((r.code, r.err, r.out), (0, "", ""))
        night(t, 2)                    # night 2: 2 skipped, 2 new ...
        t.csv("inbox/dispatches_2026-03-12.csv", DSP_HDR,   # ... one bad row
              ["X9,2026-02-30 09:00,iPF8400S,S2,D1,c,02108,P,OPEN"])
        r = run(t, "--quiet", "--summary", t.p("s.json"), as_of="2026-03-12")
        eq((r.code, r.err, r.out), (0, "", ""), "rejected rows are in the audit")
        eq(validate_summary(t.p("s.json"))["status"], "rejected_rows")


def bad_night(t):
    night(t, 2)
    t.write("inbox/closeouts_2026-03-12.csv",
            CLO_HDR.replace(",", ";") + "\nD1;2026-03-12;X2;S2;m;2026-03-12;T;1;R;\n")
    rows = ["D1,2026-03-12 10:00,X%d,S2,iPF8400S,2026-03-12,Ren\xe9,1,R1," % i
            for i in range(3, 8)]
    t.write("inbox/closeouts_2026-03-13.csv",
            (CLO_HDR + "\n" + "\n".join(rows) + "\n").encode("cp1252"))


def test_quiet_bad_night_one_line_per_problem():
    with Tmp() as t:
        bad_night(t)
        r = run(t, "--quiet", as_of="2026-03-13")
        eq(r.code, 65, r)
        lines = r.err.splitlines()
        eq(len(lines), 2, r.err)
        check("closeouts_2026-03-12.csv: file is semicolon-separated" in lines[0] and
              "re-export as CSV UTF-8, comma-separated" in lines[0], lines[0])
        check("closeouts_2026-03-13.csv: 5 of the 5 rejected rows" in lines[1] and
              "Windows-1252" in lines[1] and "re-export as CSV UTF-8" in lines[1], lines[1])


def test_legacy_encoding_advice_names_what_the_command_s_operator_does():
    # under `run` the warning said "...; re-export as CSV UTF-8,
    # comma-separated and import it again": run's operator re-delivers
    # the file to the inbox (qa72). `import` keeps "import it again".
    with Tmp() as t:
        bad_night(t)
        r = run(t, "--quiet", "--summary", t.p("s.json"), as_of="2026-03-13")
        eq(r.code, 65, r)
        line = r.err.splitlines()[1]
        check(line.endswith("re-export as CSV UTF-8, comma-separated and "
                            "deliver it to the inbox again: it loads on the "
                            "next run"), line)
        enc = [w["message"] for w in validate_summary(t.p("s.json"))["warnings"]
               if w["code"] == "legacy_encoding"]
        check(len(enc) == 1 and "import it again" not in enc[0], enc)
        r = svc("import", "--db", t.p("i.db"), "--kind", "closeouts", "--quiet",
                t.p("inbox/closeouts_2026-03-13.csv"))
        eq(r.code, 0, r)
        check(r.err.rstrip("\n").endswith("re-export as CSV UTF-8, "
                                          "comma-separated and import it "
                                          "again"), r.err)


def test_default_output_one_line_per_file_skipped_folded_final_status():
    with Tmp() as t:
        night(t, 1)
        eq(run(t, "--quiet").code, 0)
        bad_night(t)
        r = run(t, as_of="2026-03-13")
        eq(r.code, 65, r)
        lines = r.err.splitlines()
        per_file = [l for l in lines if re.search(r"\.csv: (dispatches|closeouts|"
                                                   r"registrations): \d+ read", l)]
        eq(len(per_file), 3, r.err)   # dispatches 03-11, closeouts 03-11, 03-13
        check(any("5 rejected, listed in the audit workbook" in l for l in per_file), r.err)
        skipped = [i for i, l in enumerate(lines) if " skipped: " in l]
        eq(len(skipped), 1, r.err)
        eq(lines[skipped[0]], "svcrecon: 2 files skipped: the same bytes were "
                              "imported before")
        check(skipped[0] < min(i for i, l in enumerate(lines) if "wrote" in l),
              "the folded line belongs to the imports: " + r.err)
        check(not re.search(r"\.csv:\d+:", r.err), "row lines printed: " + r.err)
        check(re.match(r"svcrecon: run as of 2026-03-13: exit 65 \(refused\); files: 3 "
                       r"loaded, 2 skipped, 1 refused, 0 unreadable; rows: 7 read, 5 "
                       r"rejected; listed: \d+ unclosed, \d+ non-compensable; [0-9.]+ s$",
                       lines[-1]), lines[-1])


def test_counts_of_one_are_singular():
    """An import with six rejected rows shows five and "1 more rejected
    row"; night 1 (one dispatch, no closeout) then writes one unclosed
    call and no non-compensable row, and no message says "1 rows"."""
    with Tmp() as t:
        night(t, 1)
        t.csv("inbox/dispatches_2026-03-12.csv", DSP_HDR,
              ["bad%d,not-a-date,iPF8400S,S9,D1,c,02108,P,OPEN" % i
               for i in range(6)])
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches",
                t.p("inbox/dispatches_2026-03-12.csv"))
        eq(r.code, 0, r)
        check(r.err.count("is not a valid date-time") == 5, r.err)
        check("dispatches_2026-03-12.csv: 1 more rejected row; see the "
              "audit workbook" in r.err, r.err)
        os.remove(t.p("inbox/dispatches_2026-03-12.csv"))
        r = run(t, as_of="2026-03-10")
        eq(r.code, 0, r)
        wrote = [l for l in r.err.splitlines() if "wrote" in l]
        check(any(re.search(r"unclosed_calls_2026-03-10\.xlsx \(1 row\)$", l)
                  for l in wrote), r.err)
        check(any(re.search(r"non_compensable_2026-03-10\.xlsx \(0 rows\)$", l)
                  for l in wrote), r.err)
        check(not re.search(r"\b1 (rows|rejected rows|registration "
                            r"exceptions)\b", r.err), r.err)


# ---- the summary ------------------------------------------------------------

def test_summary_has_times_host_status_buckets_and_warning_objects():
    with Tmp() as t:
        bad_night(t)
        r = run(t, "--summary", t.p("s.json"), as_of="2026-03-13")
        eq(r.code, 65, r)
        s = validate_summary(t.p("s.json"))
        eq(s["status"], "refused")
        check(s["started_at"] <= s["finished_at"], s)
        check(s["host"] != "", s)
        buckets = s["reports"]["unclosed_calls"]["by_bucket"]
        eq([b["bucket"] for b in buckets], ["0-7", "8-14", "15-30", "31-60", "61-90", "91+"])
        eq(sum(b["calls"] for b in buckets), s["reports"]["unclosed_calls"]["rows"])
        check(s["reports"]["unclosed_calls"]["rows"] > 0, s)
        enc = [w for w in s["warnings"] if w["code"] == "legacy_encoding"]
        eq(len(enc), 1, s["warnings"])
        check(enc[0]["file"].endswith("closeouts_2026-03-13.csv"), enc)
        refused = [f for f in s["files"] if f["status"] == "refused"]
        check("semicolon-separated" in refused[0]["reason"], refused)
        # ... and the audit records both (refusal reason, file warning)
        db = t.p("svc.db")
        check("semicolon-separated" in query(db, "SELECT reason FROM imported_file "
                                                 "WHERE status = 'refused'")[0][0])
        check("Windows-1252" in query(db, "SELECT message FROM file_warning "
                                           "ORDER BY rowid")[-1][0])
        import openpyxl
        wb = openpyxl.load_workbook(t.p("out", "audit_2026-03-13.xlsx"), read_only=True)
        run_sheet = " ".join(str(v) for row in wb["Run"].iter_rows(values_only=True)
                             for v in row if v is not None)
        check("semicolon-separated" in run_sheet and "Windows-1252" in run_sheet
              and "re-export as CSV UTF-8, comma-separated" in run_sheet, run_sheet[:2000])


def test_usage_error_after_summary_writes_a_summary():
    with Tmp() as t:
        t.write("s.json", '{"status": "ok", "stale": true}')
        r = svc("run", "--summary", t.p("s.json"), "--db", t.p("x.db"), "--inbox",
                t.p("in"), "--out", t.p("o"), "--as-of", "2026-13-01")
        eq(r.code, 64, r)
        s = validate_summary(t.p("s.json"))
        eq((s["status"], s["exit_code"]), ("usage", 64))
        check("invalid --as-of date '2026-13-01'" in s["error"], s)
        check(not db_exists(t.p("x.db")))


# ---- the progress bar ---------------------------------------------------------

def test_progress_bar_cleared_before_messages_ends_at_100_counts_files():
    with Tmp() as t:
        good = t.csv("d.csv", DSP_HDR, DSP1 + DSP2)
        bad = t.write("semi.csv", DSP_HDR.replace(",", ";") + "\n")
        code, text = on_a_terminal(cmd("import", "--db", t.p("svc.db"),
                                        "--kind", "dispatches", good, bad))
        eq(code, 65, text)
        check("file 1 of 2" in text and "file 2 of 2" in text, repr(text))
        check("100.0%" in text, repr(text))
        # every message starts a line: after the bar was erased, or a newline
        for m in re.finditer("svcrecon: ", text):
            before = text[max(0, m.start() - 4):m.start()]
            check(m.start() == 0 or before.endswith("\r\x1b[K") or before.endswith("\n"),
                  "message glued to the bar: %r" % text[max(0, m.start() - 60):m.end() + 20])


# ---- SPEC §6: not a comma-separated UTF-8 CSV ------------------------------

def formats(t):
    import gzip
    import zipfile
    body = DSP_HDR + "\n" + DSP1[0] + "\n"
    t.write("semi.csv", body.replace(",", ";"))
    t.write("tab.csv", body.replace(",", "\t"))
    t.write("u16.csv", body.encode("utf-16"))          # with BOM
    t.write("u16le.csv", body.encode("utf-16-le"))     # NUL pattern only
    t.write("u32.csv", body.encode("utf-32"))
    t.write("gz.csv", gzip.compress(body.encode()))
    with zipfile.ZipFile(t.p("xl.csv"), "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return {"semi.csv": "semicolon-separated", "tab.csv": "tab-separated",
            "u16.csv": "UTF-16", "u16le.csv": "UTF-16", "u32.csv": "UTF-32",
            "gz.csv": "gzip", "xl.csv": "Excel workbook"}


def test_formats_named_with_what_to_do():
    with Tmp() as t:
        for name, words in formats(t).items():
            r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", t.p(name))
            eq(r.code, 65, "%s: %r" % (name, r))
            check(words in r.err and "re-export as CSV UTF-8, comma-separated" in r.err
                  and "file refused" in r.err, "%s: %s" % (name, r.err))
            check("header lacks" not in r.err, r.err)


def test_a_genuinely_missing_column_still_says_so():
    with Tmp() as t:
        f = t.write("d.csv", "dispatch_id;dispatched_at\nX;2026-03-01\n")
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f)
        eq(r.code, 65, r)
        check("header lacks required column" in r.err, r.err)


def test_a_few_bad_bytes_among_other_rejections_are_not_called_an_encoding():
    with Tmp() as t:
        rows = DSP1 + ["X%d,2026-03-10 09:00,iPF8400S,S1,D1,c,02108,P,OPEN" % i
                       for i in range(2, 10)]
        rows[3] = rows[3].replace(",c,", ",Caf\xe9,")
        for i in (4, 5, 6):                       # three bad dates
            rows[i] = rows[i].replace("2026-03-10", "2026-02-30")
        f = t.write("d.csv", (DSP_HDR + "\n" + "\n".join(rows) + "\n").encode("cp1252"))
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f)
        eq(r.code, 0, r)
        # The file is not called a legacy export (one row of four, the
        # file's warning needs more than half); since QA pass 41 the row
        # itself says its bytes read as Windows-1252 (SPEC §6: "named as
        # such in the reason ... its rows are rejected").
        check("not valid UTF-8" in r.err and "legacy_encoding" not in r.err
              and "looks like a legacy 8-bit export" not in r.err, r.err)
        bad = [ln for ln in r.err.splitlines() if "not valid UTF-8" in ln]
        eq(len(bad), 1, r.err)
        check(bad[0].endswith("it reads as Windows-1252 (a legacy 8-bit "
                              "export?): re-export as CSV UTF-8, comma-separated"),
              bad[0])


def test_a_mac_roman_export_is_named_mac_roman_not_windows_1252():
    """SPEC §6: "a legacy 8-bit encoding such as Windows-1252 ... is named
    as such". A Mac Roman export (an old Mac's Excel) puts its accented
    letters at 0x80-0x9F: "Fran\x8Dois" (ç is 0x8D, undefined in
    Windows-1252) gave only "not valid UTF-8" and no file warning, and
    "Caf\x8E" (é) was called Windows-1252 (where 0x8E is Ž)."""
    with Tmp() as t:
        rows = DSP1 + ["X%d,2026-03-10 09:00,iPF8400S,S1,D1,c,02108,P,OPEN" % i
                       for i in range(2, 6)]
        rows[1] = rows[1].replace(",c,", ",Fran\xe7ois,")
        rows[2] = rows[2].replace(",c,", ",Caf\xe9 du Nord,")
        rows[3] = rows[3].replace(",c,", ",Ren\xe9e M\xfcller,")
        f = t.write("d.csv", (DSP_HDR + "\n" + "\n".join(rows) + "\n")
                    .encode("mac_roman"))
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f)
        eq(r.code, 0, r)
        bad = [ln for ln in r.err.splitlines()
               if "customer_name is not valid UTF-8" in ln]
        eq(len(bad), 3, r.err)
        for ln in bad:
            check(ln.endswith("it reads as Mac Roman (a legacy 8-bit export?): "
                              "re-export as CSV UTF-8, comma-separated"), ln)
        check("looks like a legacy 8-bit export (Mac Roman)" in r.err, r.err)
        check("Windows-1252" not in r.err, r.err)
    # The same names from Windows still read as Windows-1252, smart quotes
    # (0x93, 0x94: below 0xA0 too) and all.
    with Tmp() as t:
        rows = DSP1 + ["X2,2026-03-10 09:00,iPF8400S,S1,D1,\u201cPe\xf1a\u201d,"
                       "02108,P,OPEN"]
        f = t.write("d.csv", (DSP_HDR + "\n" + "\n".join(rows) + "\n")
                    .encode("cp1252"))
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", f)
        eq(r.code, 0, r)
        check("it reads as Windows-1252 (a legacy 8-bit export?)" in r.err
              and "(Windows-1252 or Latin-1)" in r.err, r.err)


if __name__ == "__main__":
    main(globals())
