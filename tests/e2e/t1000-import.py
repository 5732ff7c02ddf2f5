#!/usr/bin/python3
"""t1000 -- import of the three feeds (SPEC §2): formats, line numbers,
rejections with reasons, superseding, SHA-256 skip, refused and unreadable
files, control totals. Expected rows are written by hand from the spec."""
import os
import random
import string
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from svctest import (CLO_HDR, DSP_HDR, REG_HDR, Tmp, check, eq, main, query,  # noqa: E402
                     svc)


def imp(t, kind, *files, db="svc.db"):
    return svc("import", "--db", t.p(db), "--kind", kind, *files)


def totals(db):
    return query(db, "SELECT name, status, rows_read, rows_loaded, rows_rejected "
                     "FROM imported_file ORDER BY file_id")


def test_formats_bom_crlf_quotes_header_order():
    with Tmp() as t:
        body = ("\ufeff Status ,SERIAL_NUMBER,dispatch_id,Model,dispatched_at,provider_id,"
                "customer_name,Notes\r\n"
                "open,ipf-84 00s,C1,iPF8400S,2026-03-08 09:30,D1,\"Smith, \"\"Bob\"\"\r\nJr\",x\r\n"
                "\r\n"
                "CANCELLED,S2,C2,TM-300,03/08/2026T10:15:30,,Acme,y\r\n")
        f = t.write("d.csv", body, newline="\n")
        r = imp(t, "dispatches", f)
        eq(r.code, 0, r)
        check("unknown columns ignored: 'Notes'" in r.err, r.err)
        rows = query(t.p("svc.db"),
                     "SELECT line, dispatch_id, dispatched_at, dispatched_day, serial_number,"
                     " serial_norm, provider_id, customer_name, status FROM dispatch ORDER BY line")
        eq(rows, [
            (2, "C1", "2026-03-08 09:30:00", 20520, "ipf-84 00s", "IPF8400S", "D1",
             'Smith, "Bob"\r\nJr', "OPEN"),
            (5, "C2", "2026-03-08 10:15:30", 20520, "S2", "S2", "", "Acme", "CANCELLED"),
        ])
        eq(totals(t.p("svc.db")), [("d.csv", "loaded", 2, 2, 0)])
        eq(query(t.p("svc.db"), "SELECT message FROM file_warning"),
           [("unknown columns ignored: 'Notes'",)])


def test_every_row_rejection_reason_with_line():
    with Tmp() as t:
        f = t.csv("c.csv", CLO_HDR, [
            "D1,2026-03-09 10:00,C1,S1,m,2026-03-09,Tom,1.5,R1,",       # 2 ok
            "D1,2026-03-09 10:00,C1,S1,m,2026-03-09,Tom,2,R1,",         # 3 key repeats 2
            ",2026-03-09,C2,S1,m,2026-03-09,Tom,1,R1,",                 # 4 blank dealer
            "D1,2026-03-32,C2,S1,m,2026-03-09,Tom,1,R1,",               # 5 bad date-time
            "D1,2026-03-09,C2,S1,m,2026-03-09,Tom,25,R1,",              # 6 above 24
            "D1,2026-03-09,C3,S1,m,2026-03-09,Tom,-0.5,R1,",            # 7 negative
            "D1,2026-03-09,C4,S1,m,2026-03-09,Tom,one,R1,",             # 8 not a number
            "D1,2026-03-09,C5,S1,m,2026-03-09,Tom,1,R1",                # 9 field count
            "D1,03/09/2026 10:00:00,C1,S1,m,2026-03-09,Tom,1,R1,",      # 10 same key as 2
            "D2,2026-03-09 10:00,,,,,,,,",                             # 11 ok (Section 2 blanks)
        ])
        r = imp(t, "closeouts", f)
        eq(r.code, 0, r)
        got = [(line, reason, raw.decode()) for line, reason, raw in query(
            t.p("svc.db"), "SELECT line, reason, raw FROM rejected_row ORDER BY line")]
        want_reasons = {
            3: "closeout key (dealer_id, dispatch_id, submitted_at) repeats line 2 of this file",
            4: "required dealer_id is blank",
            5: "submitted_at '2026-03-32' is not a valid date-time",
            6: "labor_hours '25' is above 24",
            7: "labor_hours '-0.5' is negative",
            8: "labor_hours 'one' is not a decimal number",
            9: "has 9 fields, the header has 10",
            10: "closeout key (dealer_id, dispatch_id, submitted_at) repeats line 2 of this file",
        }
        eq([g[0] for g in got], sorted(want_reasons), "rejected lines")
        for line, reason, raw in got:
            check(reason.startswith(want_reasons[line]), "line %d: %r" % (line, reason))
        eq(got[0][2], "D1,2026-03-09 10:00,C1,S1,m,2026-03-09,Tom,2,R1,", "raw kept verbatim")
        eq(totals(t.p("svc.db")), [("c.csv", "loaded", 10, 2, 8)])
        check("c.csv:3: closeout key" in r.err, r.err)
        check("3 more rejected rows" in r.err, r.err)   # 8 rejected, 5 shown
        eq(query(t.p("svc.db"), "SELECT line, labor_hours, completed_on, technician "
                                "FROM closeout ORDER BY line"),
           [(2, 1.5, "2026-03-09", "Tom"), (11, None, None, "")])


def test_a_quote_inside_a_quoted_value_of_a_reason_is_escaped():
    """A rejection reason quotes the value it names between '...'; a ' in
    the value is written \\x27, as explain writes it (fix63), so that
    "submitted_at 'O\\x27Brien'" reads as one value, in the database, the
    audit workbook's Rejected rows and the stderr line (it read
    'O'Brien', a value that ends after the O; fix67). Unknown header
    names are quoted so too."""
    with Tmp() as t:
        f = t.csv("c.csv", CLO_HDR + ",it's", [
            "D1,O'Brien,C1,S1,m,2026-03-09,Tom,1,R1,,x",               # 2 date-time
            "D1,2026-03-09 10:00,C2,S1,m,2026-03-09,Tom,1'5,R1,,x",   # 3 hours
            "D1,2026-03-09 11:00,C3,S1,m,2026-03-09,Tom,1,R1,,x",     # 4 ok
        ])
        r = imp(t, "closeouts", f)
        eq(r.code, 0, r)
        r1 = "submitted_at 'O\\x27Brien' is not a valid date-time"
        r2 = "labor_hours '1\\x275' is not a decimal number"
        got = query(t.p("svc.db"), "SELECT line, reason FROM rejected_row ORDER BY line")
        eq([line for line, _ in got], [2, 3])
        check(got[0][1].startswith(r1), got[0][1])
        eq(got[1][1], r2)
        check("c.csv:2: " + r1 in r.err, r.err)
        check("c.csv:3: " + r2 in r.err, r.err)
        check("unknown columns ignored: 'it\\x27s'" in r.err, r.err)
        r = svc("report", "--db", t.p("svc.db"), "--out", t.p("out"), "--as-of", "2026-03-12")
        eq(r.code, 0, r)
        import openpyxl
        ws = openpyxl.load_workbook(t.p("out", "audit_2026-03-12.xlsx"))["Rejected rows"]
        cells = {row[1]: row[2] for row in ws.iter_rows(min_row=2, values_only=True)
                 if row[0] == "c.csv"}
        check(cells[2].startswith(r1), cells)
        eq(cells[3], r2)


def test_unknown_columns_of_blank_names_say_which():
    """A header name that trims to nothing (blank, a no-break space, a few
    spaces quoted; unquoted, the reader drops them) was shown as '' in the
    unknown-columns warning -- "'', ''" told no one which columns: each is
    named by its column number and what it holds (qa71)."""
    with Tmp() as t:
        n = DSP_HDR.count(",") + 1
        f = t.csv("d.csv", DSP_HDR + ',,\u00a0,"  ",Notes,\u00a0\u2009,  ', [
            "C1,2026-03-08 09:30,M1,S1,D1,Acme" + "," * (n - 6) + ",x" * 6,
        ])
        r = imp(t, "dispatches", f)
        eq(r.code, 0, r)
        want = ("unknown columns ignored: column %d (blank name), column %d "
                "(a no-break space), column %d (2 spaces), 'Notes', column "
                "%d (a no-break space, a thin space), column %d (blank "
                "name)" % (n + 1, n + 2, n + 3, n + 5, n + 6))
        check(want in r.err, r.err)
        eq(query(t.p("svc.db"), "SELECT message FROM file_warning"),
           [(want,)])


def test_dates_before_1900_are_rejected_with_the_reason():
    """Excel's dates start at 1900-01-01: a feed date before it could only
    be written as text (SPEC §4: never dates as text), and no dispatch,
    closeout or registration of this program predates it. Such a row is
    rejected saying so; 1900-01-01 itself loads."""
    with Tmp() as t:
        f = t.csv("d.csv", "dispatch_id,dispatched_at,model,serial_number", [
            "A1,1899-12-31 23:59,m,S1",         # 2 before 1900
            "A2,01/01/1900,m,S1",               # 3 ok
            "A3,06/01/1850 10:00:00,m,S1",      # 4 before 1900
        ])
        g = t.csv("c.csv", CLO_HDR, [
            "D1,2026-03-09 10:00,A2,S1,m,1000-01-01,Tom,1.5,R1,",   # 2
        ])
        h = t.csv("r.csv", "dealer_id,model,serial_number,registered_on,removed_on", [
            "D1,m,S1,1850-01-01,",                                  # 2
            "D1,m,S2,2020-01-01,1899-01-01",                        # 3
        ])
        for kind, path in (("dispatches", f), ("closeouts", g), ("registrations", h)):
            r = imp(t, kind, path)
            eq(r.code, 0, r)
        got = query(t.p("svc.db"), "SELECT f.name, r.line, r.reason FROM rejected_row r "
                                   "JOIN imported_file f USING (file_id) ORDER BY f.file_id, r.line")
        tail = " is before 1900-01-01, the first date Excel can show; correct the date"
        eq(got, [("d.csv", 2, "dispatched_at '1899-12-31 23:59'" + tail),
                 ("d.csv", 4, "dispatched_at '06/01/1850 10:00:00'" + tail),
                 ("c.csv", 2, "completed_on '1000-01-01'" + tail),
                 ("r.csv", 2, "registered_on '1850-01-01'" + tail),
                 ("r.csv", 3, "removed_on '1899-01-01'" + tail)])
        eq(query(t.p("svc.db"), "SELECT dispatch_id, dispatched_at FROM dispatch"),
           [("A2", "1900-01-01 00:00:00")])


def test_registration_rules():
    with Tmp() as t:
        f = t.csv("r.csv", REG_HDR, [
            "D1,Acme,iPF8400S,AB-1,2026-01-05,yes,",                    # 2 ok
            "D1,Acme,iPF8400S,ab 1,01/05/2026,N,",                      # 3 same key (norm)
            "D1,Acme,iPF8400S,AB1,2026-01-06,maybe,",                   # 4 bad flag
            "D1,Acme,iPF8400S,AB2,2026-01-06,,2026-01-05",              # 5 removed before
            "D1,Acme,iPF8400S,AB3,2026-01-06,TRUE,2026-01-06",          # 6 ok (same day)
            "D2,,TM-300,AB1,2026-01-05,0,",                             # 7 ok (other dealer)
        ])
        r = imp(t, "registrations", f)
        eq(r.code, 0, r)
        eq(query(t.p("svc.db"), "SELECT line, reason FROM rejected_row ORDER BY line"), [
            (3, "registration key (dealer_id, serial_number, registered_on) repeats line 2 "
                "of this file"),
            (4, "wmp_selected 'maybe' is not a flag (Y/N, yes/no, true/false, 1/0)"),
            (5, "removed_on 2026-01-05 precedes registered_on 2026-01-06"),
        ])
        eq(query(t.p("svc.db"), "SELECT line, serial_norm, wmp_selected, removed_on, removed_day "
                                "FROM registration ORDER BY line"),
           [(2, "AB1", 1, None, None), (6, "AB3", 1, "2026-01-06", 20459),
            (7, "AB1", 0, None, None)])


def test_superseding_keeps_history_and_skip_same_bytes():
    with Tmp() as t:
        a = t.csv("dispatches_1.csv", DSP_HDR, ["C1,2026-03-01 08:00,m,s,D1,,,,OPEN",
                                                "C2,2026-03-01 09:00,m,s,D1,,,,"])
        b = t.csv("dispatches_2.csv", DSP_HDR, ["C1,2026-03-01 08:00,m,s,D2,,,,cancelled"])
        eq(imp(t, "dispatches", a, b).code, 0)
        db = t.p("svc.db")
        eq(query(db, "SELECT dispatch_id, file_id, line, provider_id, status FROM dispatch "
                     "ORDER BY dispatch_id, file_id"),
           [("C1", 1, 2, "D1", "OPEN"), ("C1", 2, 2, "D2", "CANCELLED"),
            ("C2", 1, 3, "D1", "OPEN")])
        # The same bytes under another name: skipped, nothing changes.
        c = t.write("copy.csv", open(a, "rb").read())
        r = imp(t, "dispatches", c, "--summary", t.p("s.json"))
        eq(r.code, 0, r)
        check("1 file skipped: the same bytes were imported before" in r.err, r.err)
        eq(query(db, "SELECT count(*) FROM dispatch"), [(3,)])
        eq(query(db, "SELECT count(*) FROM imported_file"), [(2,)])


def test_refused_files_load_nothing_others_go_on():
    with Tmp() as t:
        good = t.csv("good.csv", DSP_HDR, ["C1,2026-03-01,m,s,,,,,"])
        missing = t.csv("missing.csv", "dispatch_id,model,serial_number", ["C2,m,s"])
        unterminated = t.write("open.csv", DSP_HDR + "\nC3,2026-03-01,m,s,,ok,,,\n"
                               "C4,2026-03-01,m,s,,\"never closed,,,\nC5,2026-03-01,m,s,,,,,\n")
        empty = t.write("empty.csv", "")
        absent = t.p("absent.csv")
        r = imp(t, "dispatches", good, missing, unterminated, absent, empty)
        eq(r.code, 66, r)       # 66 (cannot open) is worse than 65 (refused)
        db = t.p("svc.db")
        eq(query(db, "SELECT name, status, reason, rows_read FROM imported_file ORDER BY file_id"), [
            ("good.csv", "loaded", "", 1),
            ("missing.csv", "refused", "header lacks required column 'dispatched_at'; "
                                       "file refused: add the missing column to the header "
                                       "(any case, any order), then deliver the file again", 0),
            ("open.csv", "refused", "line 3: unterminated quoted field; file refused: close "
                                    "the quote that opens in this record (a quoted field "
                                    "runs on to the next quote, over line ends), then "
                                    "deliver the file again", 0),
            ("empty.csv", "refused", "file is empty: no header; file refused: deliver the "
                                     "feed again with its header line and rows (an export "
                                     "that failed, or is still being written, can be "
                                     "empty)", 0),
        ])
        eq(query(db, "SELECT dispatch_id FROM dispatch"), [("C1",)])
        check("absent.csv: cannot open: No such file or directory" in r.err, r.err)
        check("open.csv: line 3: unterminated quoted field" in r.err, r.err)
        # Only refused files: 65; the same refused bytes again: one record.
        r = imp(t, "dispatches", missing)
        eq(r.code, 65, r)
        eq(query(db, "SELECT count(*) FROM imported_file WHERE status = 'refused'"), [(3,)])


def test_nul_and_bad_utf8_do_not_touch_neighbours():
    with Tmp() as t:
        body = (DSP_HDR + "\n"
                "C1,2026-03-01,m,s,,before,,,\n"
                "C2,2026-03-01,m,s,,nul\x00here,,,\n"
                "C3,2026-03-01,m,s,,caf\xe9,,,\n").encode("latin-1") + \
               b"C4,2026-03-01,m,s,,\xed\xa0\x80,,,\nC5,2026-03-01,m,s,,after,,,\n"
        f = t.write("d.csv", body)
        r = imp(t, "dispatches", f)
        eq(r.code, 0, r)
        db = t.p("svc.db")
        eq(query(db, "SELECT dispatch_id, customer_name FROM dispatch ORDER BY line"),
           [("C1", "before"), ("C5", "after")])
        rej = query(db, "SELECT line, reason, raw FROM rejected_row ORDER BY line")
        eq([(l, why) for l, why, _ in rej], [
            (3, "customer_name contains a NUL byte"),
            (4, "customer_name is not valid UTF-8 (bad byte 0xE9 at byte 4)"
             + svctest.LEGACY_ROW),
            (5, "customer_name is not valid UTF-8 (bad byte 0xED at byte 1)"
             + svctest.LEGACY_ROW),
        ])
        eq(rej[0][2], b"C2,2026-03-01,m,s,,nul\x00here,,,", "raw bytes verbatim")
        eq(totals(db), [("d.csv", "loaded", 5, 2, 3)])


def test_cr_only_and_line_breaks_in_quotes_count_lines():
    with Tmp() as t:
        body = (REG_HDR + "\r" + "D1,\"A\rB\",m,s1,2026-01-01,,\r" + "\r" +
                "D1,x,m,s2,bad,,\r" + "D1,x,m,s3,2026-01-01,,")
        f = t.write("r.csv", body, newline="\n")
        eq(imp(t, "registrations", f).code, 0)
        db = t.p("svc.db")
        eq(query(db, "SELECT line, serial_number, dealer_name FROM registration ORDER BY line"),
           [(2, "s1", "A\rB"), (6, "s3", "x")])
        eq(query(db, "SELECT line FROM rejected_row"), [(5,)])


def test_rows_read_equals_loaded_plus_rejected_always():
    with Tmp() as t:
        rows = []
        for i in range(300):
            hours = ["1", "30", "", "-2", "x", "0.25"][i % 6]
            rows.append("D%d,2026-03-%02d 10:00,C%d,S,m,2026-03-01,T,%s,R," % (
                i % 7, 1 + i % 28, i % 50, hours))
        f = t.csv("c.csv", CLO_HDR, rows)
        eq(imp(t, "closeouts", f).code, 0)
        db = t.p("svc.db")
        (read, loaded, rejected), = query(db, "SELECT rows_read, rows_loaded, rows_rejected "
                                              "FROM imported_file")
        eq(read, 300)
        eq(loaded + rejected, read)
        eq(query(db, "SELECT count(*) FROM closeout"), [(loaded,)])
        eq(query(db, "SELECT count(*) FROM rejected_row"), [(rejected,)])


def _random_id(n, seed):
    """n random letters and digits: a value PostgreSQL cannot compress to
    fit an index entry (a run of one letter would)."""
    r = random.Random(seed)
    return "".join(r.choice(string.ascii_letters + string.digits)
                   for _ in range(n))


def _too_long(field, n):
    return ("%s is %s bytes, longer than PostgreSQL's indexes hold (800 bytes "
            "a key field); correct the export (a SQLite database loads it)"
            % (field, format(n, ",")))


def _unclosed_ids(out, as_of):
    import openpyxl
    wb = openpyxl.load_workbook(os.path.join(out, "unclosed_calls_%s.xlsx" % as_of))
    return sorted(r[0] for r in wb["Unclosed calls"].iter_rows(min_row=2, values_only=True)
                  if r[0] is not None)


def test_a_key_field_longer_than_postgresql_indexes_hold():
    """qa65 (red before: the PostgreSQL pass ended the night with 70, "index
    row size 3016 exceeds btree version 4 maximum 2704", no workbooks). A
    3,000-byte dispatch_id, closeout dealer_id and registration model
    (SPEC §2 rejects a field only past 32,767 bytes): on PostgreSQL each
    row is rejected with the reason (README "PostgreSQL") and the night
    goes on, exit 0, the other rows loaded and listed; SQLite loads them."""
    long_id, long_dealer, long_model = (_random_id(3000, s) for s in (1, 2, 3))
    with Tmp() as t:
        t.csv("in/registrations_1.csv", REG_HDR, [
            "CA1042,Dealer One,iPF8400S,AFK03126,2026-01-01,N,",
            "CA1042,Dealer One,%s,AFK09999,2026-01-01,N," % long_model])
        t.csv("in/dispatches_1.csv", DSP_HDR, [
            "Q1,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN",
            "%s,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,C,02108,P,OPEN" % long_id,
            "Q2,2026-03-01 09:00,iPF8400S,AFK03126,CA1042,Customer,02108,P,OPEN"])
        t.csv("in/closeouts_1.csv", CLO_HDR, [
            "%s,2026-03-02 10:00,Q1,AFK03126,iPF8400S,2026-03-02,T,1.5,R," % long_dealer,
            "CA1042,2026-03-02 11:00,Q2,AFK03126,iPF8400S,2026-03-02,T,1.5,R,"])
        db = t.p("svc.db")
        r = svc("run", "--db", db, "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", "2026-03-05", "--quiet", "--summary", t.p("s.json"))
        eq(r.code, 0, r)
        rejected = query(db, "SELECT f.kind, r.line, r.reason, r.dispatch_id "
                             "FROM rejected_row AS r JOIN imported_file AS f "
                             "ON f.file_id = r.file_id ORDER BY f.kind, r.line")
        counts = [query(db, "SELECT count(*) FROM %s" % n)[0][0]
                  for n in ("registration", "dispatch", "closeout")]
        unclosed = _unclosed_ids(t.p("out"), "2026-03-05")
        if svctest.ON_PG:
            eq(rejected, [
                ("closeouts", 2, _too_long("dealer_id", 3000), "Q1"),
                # an id over 200 bytes is kept as '' (006_rejected_dispatch.sql)
                ("dispatches", 3, _too_long("dispatch_id", 3000), ""),
                ("registrations", 3, _too_long("model", 3000), "")])
            eq(counts, [1, 2, 1])
            eq(unclosed, ["Q1"])     # its only closeout was rejected
        else:
            eq(rejected, [])
            eq(counts, [2, 3, 2])
            check(long_id in unclosed, unclosed)
        rej = 1 if svctest.ON_PG else 0
        eq(totals(db), [("registrations_1.csv", "loaded", 2, 2 - rej, rej),
                        ("dispatches_1.csv", "loaded", 3, 3 - rej, rej),
                        ("closeouts_1.csv", "loaded", 2, 2 - rej, rej)])
        check(os.path.exists(t.p("out", "audit_2026-03-05.xlsx")), "no audit")


def test_key_fields_of_800_bytes_load_and_801_are_rejected_on_postgresql():
    """The limit's boundary (lib/db.h DB_PG_MAX_KEY_BYTES): 800 bytes in
    every indexed field of a row loads on both back ends -- a registration
    with an 800-byte dealer_id, serial and model fills the widest index,
    cur_registration_serial -- and 801 bytes is rejected on PostgreSQL
    only, naming the field (red before on PostgreSQL: 801-byte fields
    loaded, nothing rejected; an index entry fits them one by one)."""
    v = {k: _random_id(800, s) for s, k in enumerate(("dl", "sr", "md", "id"))}
    w = {k: _random_id(801, 10 + s) for s, k in enumerate(("sr", "dl", "id"))}
    with Tmp() as t:
        t.csv("in/registrations_1.csv", REG_HDR, [
            "%s,Wide,%s,%s,2026-01-01,Y," % (v["dl"], v["md"], v["sr"]),
            "CA1042,Dealer One,iPF8400S,%s,2026-01-01,N," % w["sr"]])
        t.csv("in/dispatches_1.csv", DSP_HDR, [
            "%s,2026-03-01 09:00,%s,%s,%s,C,02108,P,OPEN"
            % (v["id"], v["md"], v["sr"], v["dl"]),
            "Q9,2026-03-01 09:00,M,%s,CA1042,C,02108,P,OPEN" % w["sr"]])
        t.csv("in/closeouts_1.csv", CLO_HDR, [
            "%s,2026-03-02 10:00,%s,%s,%s,2026-03-02,T,1.5,R,"
            % (v["dl"], v["id"], v["sr"], v["md"]),
            "%s,2026-03-02 11:00,Q9,S,M,2026-03-02,T,1.5,R," % w["dl"],
            "CA1042,2026-03-02 12:00,%s,S,M,2026-03-02,T,1.5,R," % w["id"]])
        db = t.p("svc.db")
        r = svc("run", "--db", db, "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", "2026-03-05", "--quiet")
        eq(r.code, 0, r)
        rejected = query(db, "SELECT f.kind, r.line, r.reason "
                             "FROM rejected_row AS r JOIN imported_file AS f "
                             "ON f.file_id = r.file_id ORDER BY f.kind, r.line")
        counts = [query(db, "SELECT count(*) FROM %s" % n)[0][0]
                  for n in ("cur_registration", "cur_dispatch", "cur_closeout")]
        if svctest.ON_PG:
            eq(rejected, [("closeouts", 3, _too_long("dealer_id", 801)),
                          ("closeouts", 4, _too_long("dispatch_id", 801)),
                          ("dispatches", 3, _too_long("serial_number", 801)),
                          ("registrations", 3, _too_long("serial_number", 801))])
            eq(counts, [1, 1, 1])
        else:
            eq(rejected, [])
            eq(counts, [2, 2, 3])
        eq(query(db, "SELECT length(dealer_id), length(serial_norm), "
                     "length(model_norm) FROM cur_registration "
                     "WHERE dealer_id = ?", (v["dl"],)), [(800, 800, 800)])


main(globals())
