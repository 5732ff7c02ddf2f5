#!/usr/bin/python3
"""t8700 -- dealer statements and dealer names, on dealers nobody expected
(QA pass 23). Each defect seen red before its fix:

- a report or run as of A written WITHOUT --statements, after one with
  them, left OUT/statements_A as it was beside the new workbooks: a
  dealer whose call had been closed out since still had its statement
  telling it to close the call out, looking as current as the workbooks.
  Now such a folder is removed (and the run says so) unless it is the
  very folder recorded with the same data; statements_A never holds
  statements of other data than the workbooks beside it;
- and a night killed while it wrote the statements (its new workbooks
  in place) left the statements of the earlier data in statements_A
  beside them until the next run. The earlier statements are now set
  aside just before the first workbook goes into place;
- a dealer id that is a device name reserved by Windows (CON, PRN, AUX,
  NUL, COM0-9, LPT0-9, any case) gave CON.xlsx, which Windows cannot
  open, copy or attach (the statements are forwarded from Windows
  desktops and shares): such a name now ends "~" + 16 hex digits of the
  id's SHA-256, as a cut or taken name does.

Checked and fine (kept here as guards, green from the start): the
statements of 500+ dealers with ids of every byte class, against an
oracle built from the feeds -- each statement's rows are the main
listings' rows of its dealer, and every dealer name on every listing
(main workbooks, Summary tables, statements) is the one the SPEC's rule
picks from the registrations as written."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from svctest import Tmp, check, eq  # noqa: E402
from xlsx_helpers import (AS_OF, CLO_HDR, DIS_HDR, REG_HDR, listing, load,  # noqa
                          run, sha256, workbook_paths, write_csv)

OK = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def escaped(dealer):
    return "".join(chr(b) if b in OK else "%%%02X" % b
                   for b in dealer.encode())


def folder(out, as_of=AS_OF):
    return os.path.join(out, "statements_" + as_of)


def digests(d):
    return {n: sha256(os.path.join(d, n)) for n in sorted(os.listdir(d))}


def night(t, *extra, check_rc=0):
    return run("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out",
               t.p("out"), "--as-of", AS_OF, *extra, check=check_rc)


def test_a_report_without_statements_never_leaves_stale_ones_beside_it():
    with Tmp() as t:
        os.makedirs(t.p("in"))
        write_csv(t.p("in", "dispatches_1.csv"), DIS_HDR, [
            ["X1", "2026-03-01 10:00", "M", "S1", "D1", "", "", "", ""],
            ["X2", "2026-03-02 10:00", "M", "S2", "D2", "", "", "", ""]])
        night(t, "--statements", "--quiet")
        sd = folder(t.p("out"))
        eq(sorted(os.listdir(sd)), ["D1.xlsx", "D2.xlsx"], "first night")
        first = digests(sd)
        # The same data written again without --statements: the folder is
        # still the statements of these workbooks; it stays as it is.
        night(t, "--quiet")
        eq(digests(sd), first, "same data: the statements are kept")
        # D2 closes its call out; the analyst re-runs the night without
        # --statements: D2's statement (close out X2) is no longer true.
        write_csv(t.p("in", "closeouts_1.csv"), CLO_HDR, [
            ["D2", "2026-03-05 10:00", "X2", "S2", "M", "2026-03-04", "T",
             "1.5", "R", ""]])
        p = night(t)
        unclosed = listing(load(workbook_paths(t.p("out"))["unclosed_calls"])
                           ["Unclosed calls"])
        eq([r[0] for r in unclosed], ["X1"], "the workbooks: X2 closed")
        eq(os.path.exists(sd) or os.path.islink(sd), False,
           "statements of earlier data left beside the new workbooks: %r"
           % (os.listdir(sd) if os.path.isdir(sd) else None))
        err = p.stderr.decode()
        check("statements_" + AS_OF in err and "--statements" in err,
              "the run says it removed them and how to write them: %r" % err)
        leftovers = [n for n in os.listdir(t.p("out")) if n.startswith(".")]
        eq(leftovers, [], "nothing hidden left")
        # Asked for again, they are written from the data of the night.
        night(t, "--statements", "--quiet")
        eq(sorted(os.listdir(sd)), ["D1.xlsx"], "D1 only")


RESERVED = ["CON", "con", "Prn", "AUX", "NUL", "nul", "COM1", "com9", "COM0",
            "LPT1", "lpt9"]
NOT_RESERVED = ["CONX", "COM10", "LPT", "NUL_", "AUX-1", "CO", "COM"]


def test_a_dealer_id_that_windows_reserves_gets_a_name_windows_can_open():
    with Tmp() as t:
        os.makedirs(t.p("in"))
        ids = RESERVED + NOT_RESERVED
        write_csv(t.p("in", "dispatches_1.csv"), DIS_HDR, [
            ["X%d" % i, "2026-03-01 10:00", "M", "S%d" % i, d, "", "", "",
             ""] for i, d in enumerate(ids)])
        night(t, "--statements", "--quiet")
        names = os.listdir(folder(t.p("out")))
        eq(len(names), len(ids), "one statement per dealer")
        reserved = {"CON", "PRN", "AUX", "NUL"} | {
            p + str(k) for p in ("COM", "LPT") for k in range(10)}
        for n in names:
            stem = n.split(".")[0].upper()
            check(stem not in reserved, "a name Windows reserves: %r" % n)
        for i, d in enumerate(ids):
            plain = escaped(d) + ".xlsx"
            if d in NOT_RESERVED:
                check(plain in names, "%r keeps its plain name" % d)
                n = plain
            else:
                got = [n for n in names if n.startswith(escaped(d) + "~")]
                eq(len(got), 1, "%r ends with ~ and its hash: %r"
                   % (d, names))
                n = got[0]
                eq(len(n), len(escaped(d)) + 1 + 16 + 5, "%r's name" % d)
            rows = listing(load(os.path.join(folder(t.p("out")), n))
                           ["Unclosed calls"])
            eq([(r[0], r[4]) for r in rows], [("X%d" % i, d)],
               "%r's statement holds its call" % d)


def test_a_name_of_invisible_blanks_does_not_hide_the_dealers_name():
    """QA pass 60: a later registration whose dealer_name held only
    blanks other than spaces -- a no-break space (a spreadsheet's "empty"
    cell), a tab, a line break, a zero-width space -- was taken as the
    dealer's name: every listing and the dealer's statement showed an
    empty-looking name instead of the one registered before. Blanks are
    what the README's Trimming calls blanks; a name holding one visible
    character is still a name."""
    blank = {"N1": "\u00a0", "N2": "\r\n", "N3": "\u200b",
             "N4": "\u00a0\u2007\u202f\u2060", "N5": "\n\t ", "N8": "\r",
             "N9": "\u3000\r \u1680"}
    with Tmp() as t:
        os.makedirs(t.p("in"))
        dealers = sorted(blank) + ["N6", "N7"]      # N8, N9 sort last
        write_csv(t.p("in", "registrations_1.csv"), REG_HDR, [
            [d, "Real %s" % d, "M", "S" + d, "2026-01-01", "N", ""]
            for d in dealers])
        later = [[d, n, "M", "T" + d, "2026-01-02", "N", ""]
                 for d, n in sorted(blank.items())]
        later.append(b'N6,"\t",M,TN6,2026-01-02,N,')        # a quoted tab
        later.append(["N7", "\u00a0Later", "M", "TN7", "2026-01-02", "N", ""])
        write_csv(t.p("in", "registrations_2.csv"), REG_HDR, later)
        write_csv(t.p("in", "dispatches_1.csv"), DIS_HDR, [
            ["X" + d, "2026-03-01 10:00", "M", "S" + d, d, "", "", "", ""]
            for d in dealers])
        night(t, "--statements", "--quiet")
        want = {d: "Real %s" % d for d in dealers}
        want["N7"] = "\u00a0Later"
        rows = listing(load(workbook_paths(t.p("out"))["unclosed_calls"])
                       ["Unclosed calls"])
        eq({r[4]: r[5] for r in rows}, want, "the listing's dealer names")
        for d in dealers:
            st = listing(load(os.path.join(folder(t.p("out")), d + ".xlsx"))
                         ["Unclosed calls"])
            eq([r[5] for r in st], [want[d]], "%s's statement names it" % d)


# ---- guards: statements and dealer names against an oracle ----------------

SPECIAL = ["caf\u00e9", "\u65e5\u672c", "A/B", ".", "..", "%41", "A B",
           "-lead", ".lead", "ctl\x01x", "del\x7fx", "ab", "AB",
           "\u00e9" * 100, "=1+1", "K1", "K2", "K3"]
LONG_NAME = ("Metropolitan Imaging Solutions " * 13).strip()     # 402 bytes


def oracle_names(reg_files):
    """SPEC §4: the dealer_name of the dealer's current registration
    imported last with a non-blank name -- from the rows as written."""
    current = {}
    for f, rows in enumerate(reg_files):
        for line, r in enumerate(rows):
            key = (r[0], r[3].upper().replace(" ", "").replace("-", ""), r[4])
            current[key] = (f, line, r[0], r[1])
    best = {}
    for f, line, dealer, name in current.values():
        blank = not name.strip(" \t\r\n\u00a0\u2007\u200b\u200c\u200d"
                               "\u202f\u2060")
        if not blank and (dealer not in best or
                          (f, line) > best[dealer][:2]):
            best[dealer] = (f, line, name)
    return {d: v[2] for d, v in best.items()}


def as_read(v):
    """A feed value as openpyxl reads it back: a control byte is written
    _xHHHH_ (Excel shows the character)."""
    return "".join("_x%04X_" % ord(ch) if ord(ch) < 0x20 and ch not in "\t\n"
                   else ch for ch in v)


def unread(v):
    """as_read() undone."""
    return re.sub("_x([0-9A-F]{4})_", lambda m: chr(int(m.group(1), 16)), v)


def oracle_feeds(t):
    os.makedirs(t.p("in"))
    dealers = ["DL%03d" % i for i in range(520)] + SPECIAL
    regs = [[], [], []]
    for i, d in enumerate(dealers):
        if d in ("K1", "K2", "K3"):
            continue
        serial = "S%d" % i
        if i % 5 == 0:        # registered with a name
            regs[0].append([d, "Name %s" % d, "M", serial, "2026-01-01", "N",
                            ""])
        elif i % 5 == 1:      # renamed in a later file
            regs[0].append([d, "Old %s" % d, "M", serial, "2026-01-01", "N",
                            ""])
            regs[2].append([d, "New %s" % d, "M", serial, "2026-01-01", "N",
                            ""])
        elif i % 5 == 2:      # the later version of its key is blank: the
            regs[0].append([d, "Gone %s" % d, "M", serial, "2026-01-01",
                            "N", ""])     # name of another registration
            regs[0].append([d, "Kept %s" % d, "M", "Q" + serial,
                            "2026-01-01", "N", ""])
            regs[1].append([d, " ", "M", serial, "2026-01-01", "N", ""])
        elif i % 5 == 3:      # removed since, still its name
            regs[1].append([d, "Removed %s" % d, "M", serial, "2026-01-01",
                            "N", "2026-02-01"])
        # i % 5 == 4: no registration, no name
    names = {"DL000": "=HYPERLINK(\"http://x\",\"y\")",
             "DL005": "Line one\nLine two\nLine three",
             "DL010": LONG_NAME, "caf\u00e9": "\u65e5\u672c\u306e\u8ca9\u58f2\u5e97"}
    for d, n in names.items():
        regs[2].append([d, n, "M", "N" + d, "2026-01-01", "N", ""])
    for k, rows in enumerate(regs):
        write_csv(t.p("in", "registrations_%d.csv" % k), REG_HDR, rows)
    disp = [["X%d" % i, "2026-03-%02d 10:00" % (1 + i % 9), "M", "S%d" % i, d,
             "", "", "", ""] for i, d in enumerate(dealers)
            if d not in ("K1", "K2", "K3")]
    disp.append(["XC", "2026-03-01 10:00", "M", "SC", "K2", "", "", "",
                 "CANCELLED"])
    write_csv(t.p("in", "dispatches_1.csv"), DIS_HDR, disp)
    good = lambda d, x, s, sub, done="2026-03-10": [
        d, sub, x, s, "M", done, "T", "1.25", "R", ""]
    clo = [
        good("K1", "NOPE", "S9", "2026-03-05 09:00"),            # NO_DISPATCH
        good("K2", "XC", "SC", "2026-03-07 09:00"),       # DISPATCH_CANCELLED
        ["K2", "2026-03-07 10:00", "XC", "WRONG", "M", "2026-02-01", "", "",
         "R", ""],               # cancelled, serial, before, incomplete
        good("K3", "X0", "S0", "2026-03-05 09:00"),       # PROVIDER_MISMATCH
        good("DL001", "X1", "S999", "2026-03-07 09:00"),  # SERIAL_MISMATCH
        good("DL002", "X2", "S2", "2026-03-05 09:00", "2026-02-01"),
        ["DL003", "2026-03-07 09:00", "X3", "S3", "M", "2026-03-10", "",
         "2", "R", ""],                                 # INCOMPLETE_SECTION2
        good("DL004", "X4", "S4", "2026-03-05 09:00"),    # accepted
        good("DL004", "X4", "S4", "2026-03-07 09:00"),    # DUPLICATE_CLOSEOUT
        good("DL006", "X6", "S6", "2026-03-05 09:00"),    # closed: only its
    ]                                                     # exceptions left
    write_csv(t.p("in", "closeouts_1.csv"), CLO_HDR, clo)
    return dealers, oracle_names(regs)


def check_names(wb_rows, cols, names, what):
    """Each row's code (cols[0]) is followed by its oracle name."""
    n = 0
    for r in wb_rows:
        code, name = r[cols[0]], r[cols[1]]
        if code in (None, ""):
            continue
        want = {as_read(k): as_read(v) for k, v in names.items()}.get(code)
        eq(name or None, want, "%s: the name of %r" % (what, code))
        n += 1
    return n


def check_statements(out, names, n_dealers_min):
    paths = workbook_paths(out)
    W = {k: load(v) for k, v in paths.items()}
    U = listing(W["unclosed_calls"]["Unclosed calls"])
    N = listing(W["non_compensable"]["Non-compensable"])
    E = listing(W["audit"]["Registration exceptions"])
    eq(check_names(U, (4, 5), names, "Unclosed calls") > 500, True, "rows")
    check_names(N, (0, 1), names, "Non-compensable")
    check_names(E, (3, 4), names, "Registration exceptions")
    # the Summary tables: each dealer code, the name beside it
    readback = {as_read(k): as_read(v) for k, v in names.items()}
    codes = {r[4] for r in U if r[4]} | {r[0] for r in N}
    for book in ("unclosed_calls", "non_compensable"):
        seen = 0
        for row in W[book]["Summary"].iter_rows():
            for c in row:
                if c.value in codes and c.column == 1:
                    nxt = W[book]["Summary"].cell(c.row, 2).value
                    eq(nxt or None, readback.get(c.value),
                       "%s Summary: the name of %r" % (book, c.value))
                    seen += 1
        check(seen > 0, "%s Summary names dealers" % book)
    want_dealers = sorted(codes)
    sd = folder(out)
    files = sorted(os.listdir(sd))
    eq(len(files), len(want_dealers), "one statement per dealer")
    check(len(files) >= n_dealers_min, "%d statements" % len(files))
    got_dealers = []
    for n in files:
        check("/" not in n and not n.startswith(".") and len(n) <= 255,
              "file name %r" % n)
        wb = load(os.path.join(sd, n))
        summ = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True)
                if r[0]}
        d = summ["Dealer"]
        got_dealers.append(d)
        # at most 100 characters; unique ignoring case, the first of ids
        # differing only in case in byte order keeping its name (t9980)
        earlier = [k for k in codes if unread(k).encode() < unread(d).encode()
                   and escaped(unread(k)).lower() ==
                   escaped(unread(d)).lower()]
        if len(escaped(unread(d))) <= 95 and not earlier and \
                escaped(d).upper() not in ("CON", "PRN", "AUX", "NUL"):
            eq(n, escaped(unread(d)) + ".xlsx", "%r's file name" % d)
        eq(summ.get("Name") or None, readback.get(d), "%r's Summary name" % d)
        for sh, rows, key in (("Unclosed calls", U, 4),
                              ("Non-compensable", N, 0),
                              ("Registration exceptions", E, 3)):
            got = listing(wb[sh])
            want = [r for r in rows if r[key] == d]
            width = len(wb[sh][1]) if not rows else len(rows[0])
            eq([r[:width] for r in got], want, "%r's %s" % (d, sh))
            if sh == "Non-compensable":
                for r in got:
                    lines = r[-1].split("\n")
                    eq([x.split(":")[0] for x in lines], r[8].split(";"),
                       "%r: To be paid names every reason" % d)
                    check(all(len(x) > len(x.split(":")[0]) + 10
                              for x in lines), "a remedy for each: %r" % r)
        eq(summ["Calls dispatched to you that are not closed out"],
           len([r for r in U if r[4] == d]), "%r's count" % d)
    eq(sorted(got_dealers), want_dealers, "the dealers of the statements")
    return W, N


def test_statements_and_names_of_many_dealers_against_an_oracle():
    with Tmp() as t:
        dealers, names = oracle_feeds(t)
        eq([names.get(d) for d in ("DL001", "DL002", "DL003", "DL004")],
           ["New DL001", "Kept DL002", "Removed DL003", None],
           "the oracle's own picks")
        night(t, "--statements", "--quiet")
        W, N = check_statements(t.p("out"), names, 520)
        reasons = {x for r in N for x in r[7].split(";")}
        eq(sorted(reasons), sorted(
            ["NO_DISPATCH", "DISPATCH_CANCELLED", "PROVIDER_MISMATCH",
             "SERIAL_MISMATCH", "SERVICE_BEFORE_DISPATCH",
             "INCOMPLETE_SECTION2", "DUPLICATE_CLOSEOUT"]),
           "every reason in the fixture")
        # a name with line breaks, a long one: wrapped, rows tall enough
        sd = folder(t.p("out"))
        for d, lines in (("DL005", 3), ("DL010", 2)):
            for ws in (W["unclosed_calls"]["Unclosed calls"],
                       load(os.path.join(sd, d + ".xlsx"))["Unclosed calls"]):
                cells = [row[5] for row in ws.iter_rows(min_row=2)
                         if row[4].value == d]
                eq(len(cells), 1, "%s's call" % d)
                c = cells[0]
                check(c.alignment.wrap_text, "%s's name wraps" % d)
                h = ws.row_dimensions[c.row].height
                check(h is not None and h >= 15 * lines,
                      "%s's row: %s points" % (d, h))
        # the formula-like name stays text, everywhere
        for path in [os.path.join(sd, "DL000.xlsx")] + list(
                workbook_paths(t.p("out")).values()):
            for ws in load(path).worksheets:
                for row in ws.iter_rows():
                    for c in row:
                        check(c.data_type != "f", "%s %s %s is a formula"
                              % (os.path.basename(path), ws.title,
                                 c.coordinate))
        # --from: the statements follow the listings' filter
        p = run("report", "--db", t.p("svc.db"), "--out", t.p("from"),
                "--as-of", AS_OF, "--from", "2026-03-06", "--statements",
                "--quiet", check=0)
        eq(p.returncode, 0, "report --from")
        W2, N2 = check_statements(t.p("from"), names, 520)
        check(0 < len(N2) < len(N), "--from filtered: %d of %d"
              % (len(N2), len(N)))
        # K1 and K3 closed nothing after --from: no statement
        files = os.listdir(folder(t.p("from")))
        eq([n for n in files if n in ("K1.xlsx", "K3.xlsx")], [],
           "no statement for a dealer with nothing after --from")


def test_a_night_killed_while_writing_statements_leaves_none_of_other_data():
    import glob
    from svctest import cmd, kill_on
    with Tmp() as t:
        oracle_feeds(t)
        os.rename(t.p("in", "closeouts_1.csv"), t.p("closeouts_1.csv"))
        night(t, "--statements", "--quiet")
        sd = folder(t.p("out"))
        before = digests(sd)
        # The closeouts arrive; the night is killed while it writes the
        # statements, its new workbooks already in place.
        os.rename(t.p("closeouts_1.csv"), t.p("in", "closeouts_1.csv"))

        def ready(text, pid):
            return any(os.listdir(p) for p in glob.glob(
                t.p("out", ".svcrecon-tmp-%d*" % pid, "statements.tmp")))
        landed, text = kill_on(cmd("run", "--db", t.p("svc.db"), "--inbox",
                                   t.p("in"), "--out", t.p("out"), "--as-of",
                                   AS_OF, "--statements"), ready)
        if not landed:
            svctest.skip("the run ended before the kill")
        noncomp = listing(load(workbook_paths(t.p("out"))["non_compensable"])
                          ["Non-compensable"])
        check(len(noncomp) > 0, "the new workbooks are in place")
        eq(os.path.isdir(sd) and digests(sd) == before, False,
           "the statements of the earlier data beside the new workbooks")
        eq(os.path.exists(sd), False, "no statements until the run ends")
        # Run again: complete, the same bytes as a report of its own, and
        # nothing left of the killed run.
        night(t, "--statements", "--quiet")
        run("report", "--db", t.p("svc.db"), "--out", t.p("fresh"),
            "--as-of", AS_OF, "--statements", "--quiet", check=0)
        eq(digests(sd), digests(folder(t.p("fresh"))), "the re-run's")
        eq([n for n in os.listdir(t.p("out")) if n.startswith(".")], [],
           "nothing hidden left")


@svctest.postgresql_only("compares the PostgreSQL pass with SQLite")
def test_the_same_statements_and_names_on_postgresql_cell_for_cell():
    import subprocess
    from xlsx_helpers import same_cells, shell_quote, workbooks
    with Tmp() as t:
        oracle_feeds(t)
        night(t, "--statements", "--quiet")            # PostgreSQL
        lite = t.p("lite.db")
        p = subprocess.run([svctest.SVCRECON, "run", "--db", lite, "--inbox",
                            t.p("in"), "--out", t.p("lite"), "--as-of", AS_OF,
                            "--statements", "--quiet"], capture_output=True)
        eq(p.returncode, 0, "the SQLite run: %r" % p.stderr[-2000:])
        check(len(workbooks(t.p("lite"))) > 530, "3 workbooks + statements")
        uri, schema = svctest.pg_uri(), svctest.schema_of(t.p("svc.db"))
        n = same_cells(t.p("lite"), [shell_quote(lite), lite], t.p("out"),
                       ["%s --schema %s" % (shell_quote(uri), schema), uri])
        check(n > 10000, "%d cells compared" % n)


if __name__ == "__main__":
    svctest.main(dict(globals()))
