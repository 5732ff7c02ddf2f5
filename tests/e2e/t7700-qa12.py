#!/usr/bin/python3
"""t7700 -- a new user checks README.md and the man page against the
program, and meets its refusals (QA pass 12), each case seen red before
its fix.

The brief's standard is that bad input gets a message naming the file,
the line, the reason *and what to do*. These refusals named the problem
only, and now say what to do, on stderr, in the database's record of the
file (the audit workbook's line 0, explain FILE:0) and in the summary:

- "file is empty: no header; file refused" (deliver it again, with its
  header and rows: a failed export or one still being written is empty);
- "header lacks required column(s) …; file refused" (add the missing
  columns; with columns not recognized, rename the one that holds it);
- a feed of another kind (a closeouts file given --kind dispatches, or
  named dispatches*.csv in the inbox) was "header lacks required column
  'dispatched_at' (columns not recognized: 'dealer_id', …)"; now it says
  whose header it is and which --kind (or file name) to give;
- "header names column 'model' twice …" (keep one);
- "header has N columns, more than the 4096 supported" (re-export with
  the feed's own columns);
- "unterminated quoted field", "malformed quoting …" (close the quote;
  quote the field and double the quotes inside);
- a field over csvin's caps (1 MiB) is now a rejected row (SPEC §2), not
  a refusal; a quote never closed past them is still refused as
  unterminated;
- PostgreSQL's full disk (SQLSTATE 53100): SQLite's full disk already
  said "free space on the database's disk, then run again"; PostgreSQL's
  gave the server's words alone. A trigger raising 53100 on the
  dispatch table stands in for the full disk (PostgreSQL pass only);
- a SQLite --db naming a folder: "cannot open database: not a regular
  file" (give --db the database's file);
- a lock file that cannot be made beside the database (a folder that
  takes no new file): /proc said "the database's folder '/proc' does not
  exist; create it (mkdir -p '/proc')", which is false; now the folder
  is said missing only when it is, and "cannot create lock file: …" says
  to give --db a path in a folder this user can create files in."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, Tmp, check, connect, eq, main,  # noqa: E402
                     postgresql_only, query, skip, sqlite_only, svc,
                     validate_summary)

DSP_ROW = "D1,2026-03-08 09:30,iPF8400S,S1,CA1042,customer,02108,P,OPEN"


def refused(t, name, content, kind="dispatches"):
    """Imports file `name` holding `content` (with a good file beside it);
    returns (stderr, the recorded reason, the summary's reason)."""
    path = t.write(name, content)
    ok = t.csv("dispatches_ok.csv", DSP_HDR, [DSP_ROW]) if kind == "dispatches" else None
    summary = t.p("summary.json")
    r = svc("import", "--db", t.p("svc.db"), "--kind", kind, "--summary", summary,
            path, *([ok] if ok else []))
    eq(r.code, 65, r)
    validate_summary(summary)
    with open(summary, encoding="utf-8") as f:
        s = json.load(f)
    got = [f["reason"] for f in s["files"] if f["path"] == path]
    eq(len(got), 1, s["files"])
    rec = query(t.p("svc.db"), "SELECT status, reason FROM imported_file WHERE name = ?",
                (name,))
    eq(len(rec), 1, rec)
    eq(rec[0][0], "refused", rec)
    eq(got[0], rec[0][1], "the summary's reason is the recorded one")
    check(name + ": " + rec[0][1] in r.err, (r.err, rec))
    if ok:
        eq(query(t.p("svc.db"), "SELECT dispatch_id FROM dispatch"), [("D1",)])
    return r.err, rec[0][1]


def test_an_empty_file_says_to_deliver_it_again():
    with Tmp() as t:
        err, reason = refused(t, "dispatches_empty.csv", "")
        eq(reason, "file is empty: no header; file refused: deliver the feed again "
           "with its header line and rows (an export that failed, or is still being "
           "written, can be empty)")


def test_a_missing_column_says_to_add_it():
    with Tmp() as t:
        hdr = DSP_HDR.replace("dispatched_at,", "")
        err, reason = refused(t, "dispatches_m.csv", hdr + "\nD9,iPF,S9,CA1,c,0,P,OPEN\n")
        eq(reason, "header lacks required column 'dispatched_at'; file refused: add the "
           "missing column to the header (any case, any order), then deliver the file again")
    with Tmp() as t:
        hdr = DSP_HDR.replace("dispatched_at,", "").replace("model,", "")
        err, reason = refused(t, "dispatches_m.csv", hdr + "\nD9,S9,CA1,c,0,P,OPEN\n")
        eq(reason, "header lacks required columns 'dispatched_at', 'model'; file refused: "
           "add the missing columns to the header (any case, any order), then deliver "
           "the file again")


def test_a_column_not_recognized_says_to_rename_it():
    with Tmp() as t:
        hdr = DSP_HDR.replace("dispatch_id", "dispatch id")
        err, reason = refused(t, "dispatches_n.csv", hdr + "\n" + DSP_ROW + "\n")
        eq(reason, "header lacks required column 'dispatch_id' (columns not recognized: "
           "'dispatch id'); file refused: name the header's columns as the feed requires "
           "(any case, any order; rename a column not recognized that holds one), then "
           "deliver the file again")


def test_the_longest_missing_column_message_keeps_its_advice():
    # every required closeouts column missing, and many long unknown names:
    # the lists are cut ("..."), never the advice at the end
    with Tmp() as t:
        hdr = ",".join("unknown_column_with_a_long_name_%02d" % i for i in range(40))
        err, reason = refused(t, "closeouts_x.csv", hdr + "\n" + "," * 39 + "x\n",
                              kind="closeouts")
        check(reason.startswith("header lacks required columns 'dealer_id', "
                                "'submitted_at', 'dispatch_id', "), reason)
        check("...)" in reason, reason)
        check(reason.endswith("; file refused: name the header's columns as the feed "
                              "requires (any case, any order; rename a column not "
                              "recognized that holds one), then deliver the file again"),
              reason)


def test_a_feed_of_another_kind_says_which_kind_it_is():
    # a closeouts file given --kind dispatches (or named dispatches*.csv in
    # the inbox) listed the closeouts columns as "not recognized"
    with Tmp() as t:
        row = "CA1042,2026-03-10 15:45,D1,S1,iPF8400S,2026-03-10,Tech,1.5,RPL,none"
        err, reason = refused(t, "dispatches_c.csv", CLO_HDR + "\n" + row + "\n")
        eq(reason, "header is that of a closeouts feed, not of dispatches; file refused: "
           "import it with --kind closeouts, or deliver it to the inbox named "
           "closeouts*.csv")
    with Tmp() as t:
        os.mkdir(t.p("inbox"))
        t.write("inbox/dispatches_1.csv", CLO_HDR + "\n" + row + "\n")
        r = svc("run", "--db", t.p("svc.db"), "--inbox", t.p("inbox"), "--out", t.p("out"),
                "--as-of", "2026-03-12", "--quiet")
        eq(r.code, 65, r)
        check("dispatches_1.csv: header is that of a closeouts feed, not of dispatches; "
              "file refused: import it with --kind closeouts, or deliver it to the inbox "
              "named closeouts*.csv" in r.err, r.err)


def test_a_column_named_twice_says_to_keep_one():
    with Tmp() as t:
        err, reason = refused(t, "dispatches_t.csv",
                              DSP_HDR + ",model\n" + DSP_ROW + ",x\n")
        eq(reason, "header names column 'model' twice (columns 3 and 10); file refused: "
           "keep one of the two (delete or rename the other), then deliver the file again")


def test_too_many_columns_says_to_reexport_with_the_feeds_own():
    with Tmp() as t:
        hdr = DSP_HDR + "," + ",".join("x%d" % i for i in range(4100))
        err, reason = refused(t, "dispatches_w.csv", hdr + "\n" + DSP_ROW + "\n")
        eq(reason, "header has 4109 columns, more than the 4096 supported; file refused: "
           "re-export the feed with its own columns only, then deliver it again")


def test_an_unterminated_quote_says_to_close_it():
    with Tmp() as t:
        err, reason = refused(t, "dispatches_q.csv",
                              DSP_HDR + "\n" + DSP_ROW + "\n"
                              "D2,2026-03-08 09:30,iPF,S2,CA1,\"never closed,0,P,OPEN\n"
                              "D3,2026-03-08 09:30,iPF,S3,CA1,c,0,P,OPEN\n")
        eq(reason, "line 3: unterminated quoted field; file refused: close the quote that "
           "opens in this record (a quoted field runs on to the next quote, over line "
           "ends), then deliver the file again")


def test_malformed_quoting_says_how_to_quote():
    with Tmp() as t:
        err, reason = refused(t, "dispatches_b.csv",
                              DSP_HDR + "\n" + DSP_ROW + "\n"
                              "D2,2026-03-08 09:30,iPF,S2,CA1,a \"12\" roll,0,P,OPEN\n")
        eq(reason, "line 3: malformed quoting (a quote inside an unquoted field, or text "
           "after a closing quote); file refused: quote the whole field and double each "
           "quote inside it (\"12\"\" roll\"), or re-export as CSV UTF-8, comma-separated; "
           "then deliver the file again")


def test_a_header_with_a_quote_error_names_its_line():
    """Red before (qa75): a quote error in the header record itself was
    refused without its line ("unterminated quoted field; ...", "malformed
    quoting ..."), where every other record's says "line N:" (README
    "Strict CSV": an unterminated quote refuses the file naming the line
    where the record starts); with blank lines above the header, the
    header is not on line 1."""
    with Tmp() as t:
        for name, head, line in (("dispatches_hq.csv", "", 1),
                                 ("dispatches_hb.csv", "\r\n\r\n", 3)):
            err, reason = refused(t, name, head + DSP_HDR +
                                  ',"note\n' + DSP_ROW + "\n")
            eq(reason, "line %d: unterminated quoted field; file refused: "
               "close the quote that opens in this record (a quoted field "
               "runs on to the next quote, over line ends), then deliver "
               "the file again" % line)
            err, reason = refused(t, "m" + name, head + DSP_HDR.replace(
                "model", '"model"x') + "\n" + DSP_ROW + "\n")
            check(reason.startswith("line %d: malformed quoting (a quote "
                                    "inside an unquoted field" % line),
                  reason)


def test_a_field_too_long_rejects_its_row_an_open_quote_refuses():
    """A properly closed field of 2 MiB is a rejected row (SPEC §2: a field
    over 32,767 bytes rejects its row; it used to refuse the file); a quote
    never closed, read past the field cap, still refuses it, saying to close
    the quote."""
    with Tmp() as t:
        path = t.write("dispatches_l.csv", DSP_HDR + "\nD2,2026-03-08 09:30,iPF,S2,CA1,\""
                       + "x" * (2 << 20) + "\",0,P,OPEN\n" + DSP_ROW + "\n")
        r = svc("import", "--db", t.p("l.db"), "--kind", "dispatches", path)
        eq(r.code, 0, r)
        eq(query(t.p("l.db"), "SELECT line, reason FROM rejected_row"),
           [(2, "customer_name is 2097152 bytes, over the limit of 32767")])
        err, reason = refused(t, "dispatches_u.csv",
                              DSP_HDR + "\nD2,2026-03-08 09:30,iPF,S2,CA1,\""
                              + "x" * (2 << 20) + ",0,P,OPEN\n")
        eq(reason, "line 2: unterminated quoted field; file refused: close the quote that "
           "opens in this record (a quoted field runs on to the next quote, over line "
           "ends), then deliver the file again")


@sqlite_only("a SQLite --db that is a folder")
def test_a_db_that_is_a_folder_says_to_name_the_file():
    with Tmp() as t:
        os.mkdir(t.p("state"))
        f = t.csv("dispatches_1.csv", DSP_HDR, [DSP_ROW])
        for args in (["import", "--kind", "dispatches", f], ["report", "--out", t.p("out")]):
            r = svc(args[0], "--db", t.p("state"), *args[1:])
            eq(r.code, 66, r)
            check(t.p("state") + ": cannot open database: not a regular file; give --db "
                  "the database's file (a folder or a device is not one)" in r.err, r.err)


@sqlite_only("SQLite's lock file beside the database")
def test_a_lock_file_that_cannot_be_made_says_where_to_put_the_db():
    # /proc and /sys exist but take no new file (even for root): the lock
    # file cannot be made. /proc said "the database's folder '/proc' does
    # not exist; create it (mkdir -p '/proc')"; /sys gave the system's
    # words alone.
    with Tmp() as t:
        f = t.csv("dispatches_1.csv", DSP_HDR, [DSP_ROW])
        for db, why in (("/proc/svcrecon-t7700.db", "No such file or directory"),
                        ("/sys/svcrecon-t7700.db", "Permission denied")):
            if os.path.exists(db):
                skip("%s exists" % db)
            r = svc("import", "--db", db, "--kind", "dispatches", f)
            eq(r.code, 73, r)
            check(db + ".lock: cannot create lock file: " + why + "; svcrecon keeps it "
                  "beside the database: give --db a path in a folder this user can create "
                  "files in" in r.err, r.err)
            check("does not exist" not in r.err, r.err)
        # a folder that really is missing still says so
        r = svc("import", "--db", t.p("nodir", "svc.db"), "--kind", "dispatches", f)
        eq(r.code, 73, r)
        check("the database's folder '%s' does not exist; create it" % t.p("nodir") in r.err,
              r.err)


@postgresql_only("PostgreSQL's SQLSTATE 53100 (SQLite's full disk: t5300, t7500)")
def test_postgresql_full_disk_says_to_free_space():
    with Tmp() as t:
        first = t.csv("dispatches_1.csv", DSP_HDR, [DSP_ROW])
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", first)
        eq(r.code, 0, r)
        con = connect(t.p("svc.db"))
        try:
            con.execute("CREATE FUNCTION full_disk() RETURNS trigger LANGUAGE plpgsql AS $$"
                        "BEGIN RAISE EXCEPTION 'could not extend file \"base/1/2\": "
                        "No space left on device' USING ERRCODE = '53100'; END $$")
            con.execute("CREATE TRIGGER full_disk BEFORE INSERT ON dispatch "
                        "FOR EACH ROW EXECUTE FUNCTION full_disk()")
        finally:
            con.close()
        second = t.csv("dispatches_2.csv", DSP_HDR, [DSP_ROW.replace("D1", "D2")])
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", second)
        eq(r.code, 73, r)
        check("No space left on device; free space on the database server's disk, then "
              "run again (what was committed is kept; the run completes the rest)" in r.err,
              r.err)
        eq(query(t.p("svc.db"), "SELECT dispatch_id FROM dispatch"), [("D1",)])
        con = connect(t.p("svc.db"))
        try:
            con.execute("DROP TRIGGER full_disk ON dispatch")
        finally:
            con.close()
        r = svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", second)
        eq(r.code, 0, r)
        eq(query(t.p("svc.db"), "SELECT dispatch_id FROM dispatch ORDER BY 1"),
           [("D1",), ("D2",)])


main(globals())
