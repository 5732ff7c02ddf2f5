#!/usr/bin/python3
"""t9980 -- dealer statements from a dealer's and a file system's side
(QA pass 38: the statements are e-mailed to dealers and kept on Windows
shares). Each defect seen red before its fix:

- a dealer id of 300 bytes gave a 245-character file name (300 slashes:
  244): Excel opens no
  file whose path passes 218 characters, so that statement could not be
  opened from any folder. A name is now at most 100 characters (".xlsx"
  included): cut at a whole %HH, then "~" and 16 hex digits of the id's
  SHA-256;
- dealers "ab" and "AB" got "ab.xlsx" and "AB.xlsx": on a Windows share or
  a Mac (case-insensitive) one overwrote the other, a dealer's statement
  lost or sent to the wrong dealer. Names are now unique ignoring case:
  the first id in byte order keeps its plain name, a later one ends "~" +
  hash ("ab~HASH.xlsx");
- a dealer name of 32,767 characters of "_x0041_" (text written in pieces
  so that no reader decodes it) was cut after 1,358 characters with a
  marker saying "cut at 32,767 characters"; the marker now says where it
  was cut and why.

Guards (green before any change): ids Windows forbids or reserves (CON,
nul.txt, COM1, trailing dot, "..", "/", "\\", a control character, 4-byte
UTF-8, NFC and NFD of the same name) each get one statement whose name
Windows accepts; each statement's rows are the main workbooks' rows of its
dealer and its Summary figures add them up; a dealer with only
registration exceptions gets no statement; a re-run is byte-identical; a
dealer dropping out, or changing case, leaves no old statement; a fault
injected into any call while the statements are written leaves no partial
file under a final name."""
import hashlib
import os
import re
import shutil
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from svctest import Tmp, check, eq  # noqa: E402
from xlsx_helpers import (AS_OF, CLO_HDR, DIS_HDR, REG_HDR, listing, load,  # noqa
                          run, sha256, write_csv)

OK = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    p + str(k) for p in ("COM", "LPT") for k in range(10)}
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHIM = svctest.FAULTSHIM


def escaped(dealer):
    return "".join(chr(b) if b in OK else "%%%02X" % b
                   for b in dealer.encode())


def hashed(dealer):
    return "~" + hashlib.sha256(dealer.encode()).hexdigest()[:16] + ".xlsx"


def folder(out, as_of=AS_OF):
    return os.path.join(out, "statements_" + as_of)


def digests(d):
    return {n: sha256(os.path.join(d, n)) for n in sorted(os.listdir(d))}


def night(t, *extra, check_rc=0, env=None):
    return run("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out",
               t.p("out"), "--as-of", AS_OF, "--statements", *extra,
               check=check_rc, env=env)


def open_calls(t, ids, name="dispatches_1.csv"):
    os.makedirs(t.p("in"), exist_ok=True)
    write_csv(t.p("in", name), DIS_HDR, [
        ["X%d" % i, "2026-03-01 10:00", "M", "S%d" % i, d, "", "", "", ""]
        for i, d in enumerate(ids)])


def unread(v):
    """openpyxl shows a control character as its _xHHHH_ escape."""
    return re.sub(r"_x(00[01][0-9A-F])_", lambda m: chr(int(m.group(1), 16)),
                  v)


def statements_by_dealer(out):
    """{dealer id on the statement's Summary: file name}."""
    got = {}
    for n in sorted(os.listdir(folder(out))):
        summ = {r[0]: r[1] for r in load(os.path.join(folder(out), n))
                ["Summary"].iter_rows(values_only=True) if r[0]}
        d = unread(summ["Dealer"])
        check(d not in got, "%r twice" % d)
        got[d] = n
    return got


def windows_accepts(n):
    """A name Windows accepts and Excel can open from a folder of 118
    characters (its limit is 218 for the path)."""
    stem = n.split(".")[0].upper()
    return (re.fullmatch(r"[A-Za-z0-9_%~-]+\.xlsx", n) is not None and
            stem not in RESERVED and len(n) <= 100)


def one_statement_each(t, ids):
    """A night of one open call per dealer id: {id: statement file name},
    one statement per dealer, every name one that Windows accepts."""
    open_calls(t, ids)
    night(t, "--quiet")
    by = statements_by_dealer(t.p("out"))
    eq(sorted(by), sorted(ids), "one statement per dealer")
    for d, n in by.items():
        check(windows_accepts(n), "%r: %r (%d)" % (d[:20], n, len(n)))
    return by


def test_a_long_dealer_id_names_a_file_excel_can_open():
    """Defect, red before its fix: the 300-byte id's statement was named
    with 245 characters (228 x's, "~", 16 hex digits, ".xlsx"), past
    Excel's 218-character path limit before any folder. Now at most 100:
    an escaped id of 95 bytes keeps its name, one byte more is cut to 78
    and ends "~" + hash, never half a %HH."""
    ids = ["x" * 300, "/" * 300, "y" * 95, "z" * 96, "\u00e9" * 40]
    with Tmp() as t:
        by = one_statement_each(t, ids)
        eq(by["y" * 95], "y" * 95 + ".xlsx", "95 bytes: the plain name")
        for d in ("x" * 300, "z" * 96, "/" * 300, "\u00e9" * 40):
            n = by[d]
            check(n.endswith(hashed(d)), "%r ends ~hash: %r" % (d[:8], n))
            stem = n[:-len(hashed(d))]
            check(escaped(d).startswith(stem) and len(stem) <= 78 and
                  len(stem) >= 76, "%r: cut at a whole %%HH: %r" % (d[:8], n))
        eq(by["x" * 300], "x" * 78 + hashed("x" * 300), "300 x's")
        eq(by["/" * 300], "%2F" * 26 + hashed("/" * 300), "300 slashes")
        rows = listing(load(os.path.join(folder(t.p("out")), by["x" * 300]))
                       ["Unclosed calls"])
        eq([(r[0], r[4]) for r in rows], [("X0", "x" * 300)],
           "the long id's statement holds its call")


def test_names_are_unique_ignoring_case():
    """Defect, red before its fix: "ab", "AB", "Ab", "aB" got four files
    whose names differ only in case; copied to a Windows share (or a Mac)
    three of them overwrite each other. Now the first in byte order ("AB")
    keeps its plain name and the others end with "~" + hash; each
    statement still holds its own dealer's call. Also "con"/"CON" (both
    reserved) and an id that is another's cut name with its hash."""
    ids = ["ab", "AB", "Ab", "aB", "con", "CON", "Q" * 120, "q" * 120]
    with Tmp() as t:
        open_calls(t, ids)
        night(t, "--quiet")
        by = statements_by_dealer(t.p("out"))
        eq(sorted(by), sorted(ids), "one statement per dealer")
        lower = [n.lower() for n in by.values()]
        eq(len(set(lower)), len(lower), "names unique ignoring case: %r"
           % sorted(by.values()))
        eq(by["AB"], "AB.xlsx", "the first in byte order keeps its name")
        for d in ("Ab", "aB", "ab", "CON", "con"):
            eq(by[d], escaped(d) + hashed(d), "%r ends ~hash" % d)
        for n in by.values():
            check(windows_accepts(n), "Windows accepts %r" % n)
        for i, d in enumerate(ids):
            rows = listing(load(os.path.join(folder(t.p("out")), by[d]))
                           ["Unclosed calls"])
            eq([(r[0], r[4]) for r in rows], [("X%d" % i, d)],
               "%r's statement holds its call" % d)


def test_ids_windows_forbids_get_one_statement_each():
    """Guard (green before any change): ids that are device names (CON,
    nul.txt, COM1, lpt9), end with a dot, are only dots, "..", "/", "\\",
    hold a control character, a 4-byte UTF-8 character, or are the NFC
    and the NFD form of "café": one statement each, every name one that
    Windows accepts (no forbidden character, no trailing dot or blank, no
    reserved stem), the NFC and NFD forms two statements."""
    nfc = unicodedata.normalize("NFC", "caf\u00e9")
    nfd = unicodedata.normalize("NFD", "caf\u00e9")
    ids = ["CON", "nul.txt", "COM1", "lpt9", "a.", "...", "..", "/", "\\",
           "a\x01b", "\U0001F600", nfc, nfd, "x<y>:\"|?*", "%41", "~"]
    with Tmp() as t:
        by = one_statement_each(t, ids)
        check(by[nfc] != by[nfd], "NFC and NFD: two statements")
        eq(by["nul.txt"], "nul%2Etxt.xlsx", "nul.txt is no device name")
        eq(by["%41"], "%2541.xlsx", "%41 is not A")


def test_a_dealer_name_of_escape_like_text_is_cut_where_it_says():
    """Defect, red before its fix: a dealer name of 4,681 x "_x0041_"
    (32,767 characters, a cell's limit) was written on the statement's
    Summary cut after 1,358 characters, the marker saying "…[cut at 32,767
    characters; …]". The pieces such a text is written in count against
    Excel's limit; the marker now names the characters kept."""
    name = "_x0041_" * 4681
    with Tmp() as t:
        open_calls(t, ["D1"])
        write_csv(t.p("in", "registrations_1.csv"), REG_HDR,
                  [["D1", name, "M", "S0", "2026-01-01", "", ""]])
        night(t, "--quiet")
        summ = {r[0]: r[1] for r in load(os.path.join(
            folder(t.p("out")), "D1.xlsx"))["Summary"].iter_rows(
            values_only=True) if r[0]}
        got = summ["Name"]
        m = re.fullmatch(r"(.*) \u2026\[cut at ([0-9,]+) characters(.*); "
                         r"the full value of (\d+) bytes is in the "
                         r"database\]", got, re.S)
        check(m is not None, "a cut marker: %r" % got[-150:])
        kept = m.group(1)
        check(name.startswith(kept) and 0 < len(kept) < len(name),
              "the cell starts with the name")
        eq(int(m.group(2).replace(",", "")), len(kept),
           "the marker says where it was cut: %r" % got[-150:])
        eq(int(m.group(4)), len(name.encode()), "the full value's bytes")
        check(len(got) <= 32767, "within a cell")


def main_rows(out):
    U = listing(load(os.path.join(out, "unclosed_calls_%s.xlsx" % AS_OF))
                ["Unclosed calls"])
    N = listing(load(os.path.join(out, "non_compensable_%s.xlsx" % AS_OF))
                ["Non-compensable"])
    E = listing(load(os.path.join(out, "audit_%s.xlsx" % AS_OF))
                ["Registration exceptions"])
    return U, N, E


def content_night(t):
    os.makedirs(t.p("in"), exist_ok=True)
    # AB/ab differ in case; EXC has only a registration exception (its
    # call closed out); CL has a non-compensable closeout only.
    write_csv(t.p("in", "dispatches_1.csv"), DIS_HDR, [
        ["A1", "2026-02-01 10:00", "M1", "SA1", "AB", "C", "", "", ""],
        ["A2", "2026-03-10 10:00", "M1", "SA2", "AB", "C", "", "", ""],
        ["A3", "2026-03-05 10:00", "M1", "SA3", "ab", "C", "", "", ""],
        ["E1", "2026-03-01 09:00", "M1", "SE1", "EXC", "C", "", "", ""],
        ["C1", "2026-03-01 09:00", "M1", "SC1", "CL", "C", "", "", ""]])
    write_csv(t.p("in", "registrations_1.csv"), REG_HDR, [
        ["AB", "Upper Dealer", "M1", "SA1", "2025-01-01", "Y", ""],
        ["ab", "lower dealer", "M1", "SA3", "2025-01-01", "Y", ""],
        ["CL", "Closer", "M1", "SC1", "2025-01-01", "Y", ""]])
    write_csv(t.p("in", "closeouts_1.csv"), CLO_HDR, [
        ["EXC", "2026-03-02 09:00", "E1", "SE1", "M1", "2026-03-02", "T",
         "1", "R", ""],
        # late or otherwise not compensable closeouts of CL and ab
        ["CL", "2026-03-11 09:00", "C1", "SC1", "M1", "2026-03-11", "",
         "2.5", "R", ""],
        ["ab", "2026-03-11 09:00", "NOPE", "SX", "M1", "2026-03-11", "T",
         "1.25", "R", ""]])


def per_dealer_tables(out):
    """The main workbooks' Summary tables by provider (unclosed: code ->
    calls) and by dealer (non-compensable: code -> (closeouts, hours))."""
    def table(book, head):
        rows = list(load(os.path.join(out, "%s_%s.xlsx" % (book, AS_OF)))
                    ["Summary"].iter_rows(values_only=True))
        k = [i for i, r in enumerate(rows) if r[0] == head and
             r[1] == head + " name"][0]
        got = {}
        for r in rows[k + 1:]:
            if r[0] in (None, "", "Total"):
                break
            got[r[0]] = r[2:4]
        return got
    return table("unclosed_calls", "Provider"), \
        table("non_compensable", "Dealer")


def test_each_statement_holds_its_dealers_rows_and_adds_them_up():
    """Guard (green before any change): read from the main workbooks of
    the same report (openpyxl), each statement holds exactly its dealer's
    rows of the three listings, its Summary names the dealer and its name
    beside the code and the as-of date, and its figures are its rows added
    up; a dealer with only a registration exception gets no statement
    (README); every dealer of the listings has exactly one."""
    with Tmp() as t:
        content_night(t)
        night(t, "--quiet")
        U, N, E = main_rows(t.p("out"))
        dealers = {r[4] for r in U if r[4]} | {r[0] for r in N}
        check({"AB", "ab", "CL"} <= dealers, "fixture dealers %r" % dealers)
        check(any(r[3] == "EXC" for r in E) and "EXC" not in dealers,
              "EXC: only an exception")
        by = statements_by_dealer(t.p("out"))
        eq(sorted(by), sorted(dealers), "one statement per listed dealer")
        names = {r[4]: r[5] for r in U if r[4]}
        names.update({r[0]: r[1] for r in N})
        for d, n in by.items():
            wb = load(os.path.join(folder(t.p("out")), n))
            summ = {r[0]: r[1] for r in
                    wb["Summary"].iter_rows(values_only=True) if r[0]}
            eq(summ.get("Name") or None, names[d] or None, d + "'s name")
            eq(str(summ["As of"])[:10], AS_OF, d + " as of")
            mine = {}
            for sh, rows, key in (("Unclosed calls", U, 4),
                                  ("Non-compensable", N, 0),
                                  ("Registration exceptions", E, 3)):
                want = [r for r in rows if r[key] == d]
                got = [r[:len(rows[0])] if rows else r
                       for r in listing(wb[sh])]
                eq(got, want, "%s: %s rows" % (d, sh))
                mine[sh] = want
            eq(summ["Calls dispatched to you that are not closed out"],
               len(mine["Unclosed calls"]), d + " open calls")
            eq(summ["Closeouts that do not qualify for labor compensation"],
               len(mine["Non-compensable"]), d + " closeouts")
            eq(summ["Registration exceptions on calls dispatched to you"],
               len(mine["Registration exceptions"]), d + " exceptions")
            hours = sum(float(r[6] or 0) for r in mine["Non-compensable"])
            check(abs(float(summ["Labor hours at stake"]) - hours) < 1e-6,
                  "%s hours %r %r" % (d, summ["Labor hours at stake"], hours))
            if mine["Unclosed calls"]:
                oldest = min(mine["Unclosed calls"], key=lambda r: r[1])
                eq(summ["Your oldest open call"], oldest[0], d + " oldest")
            by_provider, by_dealer = per_dealer_tables(t.p("out"))
            eq(summ["Calls dispatched to you that are not closed out"],
               (by_provider.get(d) or (0,))[0], d + ": the main Summary")
            nc = by_dealer.get(d) or (0, 0)
            eq(summ["Closeouts that do not qualify for labor compensation"],
               nc[0], d + ": the main Summary's closeouts")
            check(abs(float(summ["Labor hours at stake"]) - float(nc[1]))
                  < 1e-6, d + ": the main Summary's hours")


def test_from_filters_the_statements_as_the_main_listings():
    """Guard (green before any change): with --from D the statements'
    Non-compensable and Registration exceptions rows are the main
    listings' rows (filtered by the same --from) of the dealer, and the
    Summary names the date."""
    with Tmp() as t:
        content_night(t)
        night(t, "--quiet", "--from", "2026-03-06")
        U, N, E = main_rows(t.p("out"))
        by = statements_by_dealer(t.p("out"))
        eq(sorted(by), sorted({r[4] for r in U if r[4]} | {r[0] for r in N}),
           "one statement per listed dealer")
        check(E and all(r[1].date().isoformat() >= "2026-03-06" for r in E),
              "the audit's exceptions from D: %r" % E)
        check(N, "a non-compensable closeout from D")
        for d, n in by.items():
            wb = load(os.path.join(folder(t.p("out")), n))
            summ = {r[0]: r[1] for r in
                    wb["Summary"].iter_rows(values_only=True) if r[0]}
            eq(str(summ["Closeouts and exceptions from"])[:10], "2026-03-06",
               d + ": --from named")
            for sh, rows, key in (("Non-compensable", N, 0),
                                  ("Registration exceptions", E, 3)):
                want = [r for r in rows if r[key] == d]
                eq([r[:len(rows[0])] if rows else r
                    for r in listing(wb[sh])], want, "%s: %s" % (d, sh))


def test_reruns_dropouts_and_a_dealer_changing_case():
    """Guard (green before any change): the same night run again leaves
    every statement byte-identical, and so does writing them again into
    another folder; a dealer whose call is closed out on
    night 2 (same as-of) loses its statement, none left over; a dealer
    whose call comes back under another case ("AB" then "ab") has one
    statement, under its new spelling."""
    with Tmp() as t:
        open_calls(t, ["AB", "GONE", "KEEP"])
        night(t, "--quiet")
        first = digests(folder(t.p("out")))
        eq(sorted(first), ["AB.xlsx", "GONE.xlsx", "KEEP.xlsx"], "night 1")
        run("report", "--db", t.p("svc.db"), "--out", t.p("out"), "--as-of",
            AS_OF, "--statements", "--quiet", check=0)
        eq(digests(folder(t.p("out"))), first, "re-run: byte-identical")
        run("report", "--db", t.p("svc.db"), "--out", t.p("again"),
            "--as-of", AS_OF, "--statements", "--quiet", check=0)
        eq(digests(folder(t.p("again"))), first,
           "written again into another folder: the same names and bytes")
        # night 2: GONE's call closed out, X0 re-sent with provider "ab"
        write_csv(t.p("in", "closeouts_2.csv"), CLO_HDR, [
            ["GONE", "2026-03-02 09:00", "X1", "S1", "M", "2026-03-02", "T",
             "1", "R", ""]])
        write_csv(t.p("in", "dispatches_2.csv"), DIS_HDR, [
            ["X0", "2026-03-01 10:00", "M", "S0", "ab", "", "", "", ""]])
        night(t, "--quiet")
        by = statements_by_dealer(t.p("out"))
        U = main_rows(t.p("out"))[0]
        want = sorted({r[4] for r in U if r[4]})
        eq(sorted(by), want, "night 2: the dealers of the listing")
        check("GONE" not in by and "AB" not in by, "no old statements")
        eq(len(os.listdir(folder(t.p("out")))), len(want), "files")
        eq(by.get("KEEP"), "KEEP.xlsx", "KEEP")
        if "ab" in by:
            eq(by["ab"], "ab.xlsx", "the new spelling, its plain name")
        eq([n for n in os.listdir(t.p("out")) if n.startswith(".")], [],
           "no temporary folder left")


def shim_run(t, at, log, out, *extra):
    # ASan wants its runtime first; the shim is loaded before it, and the
    # libraries' own leaks on their error paths are suppressed (as
    # tests/faults/sweep.py does: tests/faults/lsan.supp)
    env = dict(svctest.preloaded(SHIM), FAULT_CALLS="openat,write,rename,fclose,"
               "fwrite,fsync,unlink", FAULT_AT=str(at), FAULT_LOG=log,
               LSAN_OPTIONS="suppressions=" + os.path.join(
                   ROOT, "tests", "faults", "lsan.supp") +
               ":print_suppressions=0")
    if os.path.exists(log):
        os.unlink(log)
    p = run("report", "--db", t.p("svc.db"), "--out", out, "--as-of",
            AS_OF, "--quiet", *extra, env=env)
    p.stderr = p.stderr.decode("utf-8", "replace")
    with open(log) as f:
        p.log = f.read()
    return p


def n_calls(p):
    return int(re.findall(r"^calls (\d+)$", p.log, re.M)[-1])


def test_a_fault_while_statements_are_written_leaves_no_partial_file():
    """Guard (green before any change): the calls a report makes only
    with --statements (counted by the LD_PRELOAD shim: open, write, fwrite,
    fclose, fsync, rename, unlink; the statements are written after the
    three workbooks) failed one at a time, each into a fresh --out: exit
    73 (or 0 when the call's failure is harmless), an error naming the
    file or folder, statements_A either absent or the uninterrupted run's
    files byte for byte, no temporary folder left; then a clean run."""
    svctest.need_fault_shim()
    with Tmp() as t:
        open_calls(t, ["D1", "D2", "ab", "AB"])
        night(t, "--quiet")
        want = digests(folder(t.p("out")))
        log = t.p("faults.log")
        without = n_calls(shim_run(t, 0, log, t.p("w0")))
        with_st = n_calls(shim_run(t, 0, log, t.p("w1"), "--statements"))
        check(with_st > without + 10, "calls %d, %d" % (without, with_st))
        failed = named = 0
        first = without - 6                   # the tail: the record, unlink
        points = list(range(first, with_st + 1, max(1, (with_st - first)
                                                     // 24)))
        for at in points:
            out = t.p("out%d" % at)
            p = shim_run(t, at, log, out, "--statements")
            fault = (re.findall(r"^fault .*$", p.log, re.M) or ["none"])[0]
            what = "fault %d (%s)" % (at, fault)
            check(p.returncode in (0, 73), "%s: rc %d %s"
                  % (what, p.returncode, p.stderr))
            sd = folder(out)
            if p.returncode:
                failed += 1
                lines = p.stderr.strip().splitlines()
                check(len(lines) == 1 and out in lines[0],
                      "%s: a line naming the file: %r" % (what, p.stderr))
                # (written in .svcrecon-tmp-PID/statements.tmp since fix81)
                named += (sd in lines[0] or ".statements_" in lines[0] or
                          "/statements.tmp" in lines[0])
            if os.path.exists(sd):
                eq(digests(sd), want, "%s: statements_A whole" % what)
            elif p.returncode == 0:
                raise AssertionError("%s: exit 0 without statements" % what)
            eq([n for n in os.listdir(out) if n.startswith(".")], [],
               "%s: no temporary folder left" % what)
            shutil.rmtree(out)
        check(failed >= len(points) // 2 and named >= 1,
              "%d of %d points failed, %d named a statement"
              % (failed, len(points), named))
        run("report", "--db", t.p("svc.db"), "--out", t.p("out"), "--as-of",
            AS_OF, "--statements", "--quiet", check=0)
        eq(digests(folder(t.p("out"))), want, "a clean re-run")


if __name__ == "__main__":
    svctest.main(dict(globals()))
