#!/usr/bin/python3
"""t9700 -- QA pass 32: the night's control totals reconcile everywhere.

An auditor reconciles a night from six places that must agree with each
other and with the files as delivered: the feed files themselves (their
records counted here, independently, by RFC 4180: header, blank lines, a
record over several physical lines), the audit workbook's `Run` sheet (per
file: rows read, loaded, rejected, status, reason; the night's counts; the
database's totals since its first import), its `Rejected rows` sheet (one
row per rejected record, line 0 for a file refused whole), the `--summary`
JSON (`files`, `control_totals`, `reports.audit`), the final status line on
stderr, and `explain --source FILE:LINE` for each rejected line. reconcile()
checks all of them on every night below: generated nights (seeded; the seed
is printed on failure), a copy of a file under a second name, a stray file,
a refused and an unreadable file, late files and re-deliveries, an empty
inbox, `import` then `report` against `run`, and a night killed and run
again. Runs on PostgreSQL too (tests/run-all's PostgreSQL pass).
"""
import json
import os
import random
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, ON_PG, REG_HDR, Tmp, check, cmd,  # noqa: E402
                     eq, main, query, settle, sha256, svc)

import openpyxl  # noqa: E402

FILE_HDR = ["File", "Kind", "SHA-256", "Rows read", "Loaded", "Rejected",
            "Status", "Reason", "Size (bytes)", "Path"]
SEED = int(os.environ.get("SVCRECON_SEED", random.SystemRandom().randrange(1 << 30)))
STATUS_LINE = re.compile(
    r"^svcrecon: (run|report|import)( as of \S+)?: exit (\d+) \((\w+)\); "
    r"files: (\d+) loaded, (\d+) skipped, (\d+) refused, (\d+) unreadable; "
    r"rows: (\d+) read, (\d+) rejected", re.M)


def seeded(what):
    """AssertionError text with the seed, to replay a generated night."""
    return "%s (SVCRECON_SEED=%d)" % (what, SEED)


# ---- the files, counted independently ---------------------------------------

def records(data):
    """[(physical line where the record starts, raw record)] of CSV bytes by
    RFC 4180 (SPEC §2): quoted fields may hold line breaks, LF or CRLF,
    blank lines skipped (README: nothing but spaces and tabs), a leading
    BOM ignored; the header included."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    out, line, i, n = [], 1, 0, len(data)
    while i < n:
        start, start_line, quoted = i, line, False
        while i < n:
            c = data[i:i + 1]
            if c == b'"':
                quoted = not quoted
            elif c == b"\n":
                line += 1
                if not quoted:
                    break
            i += 1
        raw = data[start:i].rstrip(b"\r")
        i += 1
        if raw.strip(b" \t"):
            out.append((start_line, raw))
    return out


def counted(path):
    """(rows read, {line: raw}) of a feed file: its records after the header."""
    with open(path, "rb") as f:
        recs = records(f.read())
    return len(recs) - 1, dict(recs[1:])


# ---- generated nights -------------------------------------------------------

def q(v):
    return '"%s"' % v.replace('"', '""') if any(c in v for c in ',"\n') else v


def gen_file(rng, kind, tag, n):
    """A feed of n records with known bad ones: (text, bad record indexes
    (0-based, in record order)). Good records have unique keys; a bad one
    has a bad date, a blank required value, a wrong field count, or repeats
    the key of an earlier good record of the file."""
    rows, bad, good_keys = [], set(), []
    for i in range(n):
        kind_of_bad = rng.choice([None] * 5 + ["date", "blank", "fields", "dup"])
        if kind_of_bad == "dup" and not good_keys:
            kind_of_bad = None
        cust = rng.choice(["Cust", "Acme, Inc.", 'The "Big" Shop', "Line one\nline two",
                           "after a blank\n\nline", "x\r\ny, z", " padded "])
        if kind == "registrations":
            key = "%s-%d" % (tag, i)
            f = ["DL%d" % (i % 4), cust, "iPF8400S", "SN" + key, "2025-01-%02d" % (1 + i % 28), "N", ""]
            if kind_of_bad == "dup":
                f[0], f[3], f[4] = good_keys[rng.randrange(len(good_keys))]
        elif kind == "dispatches":
            key = "%s-%d" % (tag, i)
            f = ["D" + key, "2026-03-%02d 09:%02d" % (1 + i % 9, i % 60), "iPF8400S",
                 "SN%s-%d" % (tag, i % 7), "DL%d" % (i % 4), cust, "10001", "P1", "OPEN"]
            if kind_of_bad == "dup":
                f[0] = good_keys[rng.randrange(len(good_keys))]
        else:
            f = ["DL%d" % (i % 4), "2026-03-%02d 10:%02d" % (2 + i % 8, i % 60), "D%s-%d" % (tag, i),
                 "SN%s-%d" % (tag, i % 7), "iPF8400S", "2026-03-%02d" % (2 + i % 8), "Tech",
                 "1.5", "R1", cust]
            if kind_of_bad == "dup":
                f[0], f[2], f[1] = good_keys[rng.randrange(len(good_keys))]
        if kind_of_bad == "date":
            f[4 if kind == "registrations" else 1] = "2026-02-30"
        elif kind_of_bad == "blank":
            f[0] = ""
        elif kind_of_bad == "fields":
            f = f + ["extra"]
        if kind_of_bad:
            bad.add(i)
        elif kind == "registrations":
            good_keys.append((f[0], f[3], f[4]))
        elif kind == "dispatches":
            good_keys.append(f[0])
        else:
            good_keys.append((f[0], f[2], f[1]))
        rows.append(",".join(q(v) for v in f))
    hdr = {"registrations": REG_HDR, "dispatches": DSP_HDR, "closeouts": CLO_HDR}[kind]
    lines = [hdr]
    for r in rows:
        if rng.random() < 0.15:
            lines.append(rng.choice(["", "  \t"]))  # a blank line, skipped
        lines.append(r)
    eol = rng.choice(["\n", "\r\n"])
    text = eol.join(lines) + eol
    bom = "\ufeff" if rng.random() < 0.3 else ""
    return (bom + text).replace("\r\r\n", "\r\n"), bad


def write_feed(t, name, text):
    t.write(name, text.encode("utf-8"))


def gen_night(t, rng, inbox, tag):
    """One generated night in t/inbox: each kind, one or two files; returns
    {name: set of bad record indexes}."""
    bad = {}
    for kind in ("registrations", "dispatches", "closeouts"):
        for k in range(rng.choice([1, 2])):
            name = "%s_%s_%d.csv" % (kind, tag, k)
            text, b = gen_file(rng, kind, "%s%d" % (tag, k), rng.randrange(3, 25))
            write_feed(t, os.path.join(inbox, name), text)
            bad[name] = b
    return bad


# ---- what svcrecon said ------------------------------------------------------

def run_sheet(path):
    """The Run sheet: {label: (B, C)} of its key lines (first of each label),
    its table of the night's files (dicts), its warnings [(file, text)] and
    its totals block {label: (B, C)}."""
    ws = openpyxl.load_workbook(path)["Run"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    keys, files, warnings, totals = {}, [], [], {}
    i = 0
    while i < len(rows):
        a = rows[i][0]
        if a == "Files of the night" and i + 1 < len(rows) and rows[i + 1][0] == "File":
            eq(rows[i + 1][:10], FILE_HDR, "Run: file table header")
            i += 2
            while i < len(rows) and rows[i][0] not in (None, "(none)"):
                files.append(dict(zip(FILE_HDR, rows[i][:10])))
                i += 1
            continue
        if a == "Warnings" and rows[i + 1][0] == "File":
            i += 2
            while i < len(rows) and rows[i][0] not in (None, "(none)"):
                warnings.append(tuple(rows[i][:2]))
                i += 1
            continue
        if a == "Database totals since its first import":
            for r in rows[i + 1:i + 5]:
                totals[r[0]] = (r[1], r[2])
            break
        if a is not None and a not in keys:
            keys[a] = (rows[i][1], rows[i][2])
        i += 1
    return keys, files, warnings, totals


def rejected_rows(path):
    wb = openpyxl.load_workbook(path)
    out = []
    for ws in wb.worksheets:
        if ws.title == "Rejected rows" or ws.title.startswith("Rejected rows ("):
            out += [tuple(r[:4]) for r in ws.iter_rows(min_row=2, values_only=True)]
    return out


def status_line(err):
    m = STATUS_LINE.findall(err)
    check(len(m) == 1, "one final status line on stderr:\n" + err)
    cmd_, _, code, status, lo, sk, rf, un, rd, rj = m[0]
    return dict(command=cmd_, exit_code=int(code), status=status, loaded=int(lo),
                skipped=int(sk), refused=int(rf), unreadable=int(un),
                rows_read=int(rd), rows_rejected=int(rj))


def night_of(files):
    """The night's line on Run: 'N loaded, N refused, N unreadable, N skipped'."""
    n = {s: sum(f["Status"] == s for f in files) for s in ("loaded", "refused", "unreadable", "skipped")}
    return "%(loaded)d loaded, %(refused)d refused, %(unreadable)d unreadable, %(skipped)d skipped" % n


# ---- the reconciliation -------------------------------------------------------

def reconcile(t, as_of, want, summary=None, err=None, code=None, bad=None, out="out"):
    """Checks every place against the others and against the files.

    want: [(name, path (relative to t), status)] in the order the audit
    lists the night's files. bad: {name: set of bad record indexes} of the
    generated files (their expected rejected lines follow from counted())."""
    bad = bad or {}
    book = t.p(out, "audit_%s.xlsx" % as_of)
    keys, files, _, totals = run_sheet(book)
    rj = rejected_rows(book)
    eq([(f["File"], f["Status"]) for f in files], [(n, s) for n, _, s in want],
       seeded("Run: the night's files and their statuses"))
    exp_rej = []
    for (name, path, status), f in zip(want, files):
        eq(f["Path"], path, "Run: path of " + name)
        if status == "unreadable":
            eq((f["SHA-256"], f["Rows read"], f["Loaded"], f["Rejected"]), (None, 0, 0, 0),
               "Run: an unreadable file " + name)
            check(f["Reason"], "Run: an unreadable file says why")
            exp_rej.append((name, 0, f["Reason"], None))
            continue
        eq(f["SHA-256"], sha256(t.p(path)), "Run: SHA-256 of " + name)
        eq(f["Size (bytes)"], os.path.getsize(t.p(path)), "Run: size of " + name)
        if status != "loaded":
            eq((f["Rows read"], f["Loaded"], f["Rejected"]), (0, 0, 0),
               "Run: nothing of %s %s was loaded that night" % (status, name))
            if status == "refused":
                check(f["Reason"], "Run: a refused file says why")
                exp_rej.append((name, 0, f["Reason"], None))
            continue
        read, recs = counted(t.p(path))
        lines = sorted(recs)
        bad_lines = [lines[i] for i in sorted(bad.get(name, ()))]
        eq(f["Rows read"], read, seeded("Run: rows read of %s, counted by RFC 4180" % name))
        eq(f["Loaded"] + f["Rejected"], f["Rows read"], "Run: read = loaded + rejected, " + name)
        if name in bad:
            eq(f["Rejected"], len(bad_lines), seeded("Run: rejected rows of " + name))
        mine = [r for r in rj if r[0] == name and r[1] != 0]
        eq([r[1] for r in mine], bad_lines if name in bad else [r[1] for r in mine],
           seeded("Rejected rows: the lines of " + name))
        eq(len(mine), f["Rejected"], seeded("Rejected rows: one per rejected record of " + name))
        for r in mine:
            eq(r[3], recs[r[1]].decode("utf-8").replace("\r\n", "\n"),
               seeded("Rejected rows: the raw record %s:%d" % (name, r[1])))
            exp_rej.append(r)
    eq(sorted(map(repr, rj)), sorted(map(repr, exp_rej)),
       seeded("Rejected rows: the night's rejected records and refused files, nothing else"))
    loaded = [f for f in files if f["Status"] == "loaded"]
    eq(keys["Files of the night"], (len(files), night_of(files)), "Run: the night's line")
    eq(keys["Rows read"][0], sum(f["Rows read"] for f in files), "Run: the night's rows read")
    eq(keys["Rows loaded"][0], sum(f["Loaded"] for f in files), "Run: the night's rows loaded")
    eq(keys["Rows rejected"][0], sum(f["Rejected"] for f in loaded), "Run: the night's rows rejected")
    eq(keys["Rejected rows and refused files"][0], len(rj), "Run: count of Rejected rows")
    # The database's totals: every loaded or refused file imported so far.
    (fl, rf), = query(t.p("svc.db"), "SELECT SUM(CASE WHEN status = 'loaded' THEN 1 ELSE 0 END), "
                      "SUM(CASE WHEN status = 'refused' THEN 1 ELSE 0 END) FROM imported_file")
    eq(totals["Files imported"], (fl + rf, "%d loaded, %d refused" % (fl, rf)), "Run: totals: files")
    (rd, ld, rjt), = query(t.p("svc.db"), "SELECT SUM(rows_read), SUM(rows_loaded), "
                           "SUM(rows_rejected) FROM imported_file")
    eq((totals["Rows read"][0], totals["Rows loaded"][0], totals["Rows rejected"][0]),
       (rd, ld, rjt), "Run: totals: rows")
    # explain --source agrees with each rejected line.
    for name, line, reason, raw in rj:
        r = svc("explain", "--db", "svc.db", "--as-of", as_of, "--source",
                "%s:%d" % (name, line), cwd=t.path)
        if [f for f in files if f["File"] == name][0]["Status"] == "unreadable":
            # README "explain": told as such, still 65 (nothing of it stored)
            eq(r.code, 65, r)
            check("could not be read (%s)" % reason in r.err, r.err)
            continue
        eq(r.code, 0, r)
        check(reason in r.out, seeded("explain --source %s:%d names the reason %r:\n%s"
                                      % (name, line, reason, r.out)))
        if line == 0:
            check("nothing of it was loaded" in r.out, r.out)
        else:
            check("raw record: " in r.out and "rejected row" in r.out, r.out)
    if summary is None:
        return files
    s = json.load(open(t.p(summary)))
    a = s["reports"]["audit"]
    eq([(x["name"], x["path"], x["kind"], x["sha256"], x["status"], x["bytes"], x["rows_read"],
         x["rows_loaded"], x["rows_rejected"], x["reason"]) for x in a["files"]],
       [(f["File"], f["Path"], f["Kind"], f["SHA-256"], f["Status"], f["Size (bytes)"],
         f["Rows read"], f["Loaded"], f["Rejected"], f["Reason"]) for f in files],
       "summary: reports.audit.files is the Run sheet's table")
    eq(a["rejected_rows"], len(rj), "summary: reports.audit.rejected_rows")
    ct = s["control_totals"]
    eq(ct["files"], len(s["files"]), "summary: control_totals.files")
    for st in ("loaded", "skipped", "refused", "unreadable", "failed"):
        eq(ct[st], sum(x["status"] == st for x in s["files"]), "summary: control_totals." + st)
    for k in ("rows_read", "rows_loaded", "rows_rejected"):
        eq(ct[k], sum(x[k] for x in s["files"]), "summary: control_totals." + k)
    eq(ct["rows_read"], ct["rows_loaded"] + ct["rows_rejected"], "summary: read = loaded + rejected")
    for x in s["files"]:       # this run's files, as the audit lists them
        f = [f for f in files if f["Path"] == x["path"] and f["Status"] == x["status"]]
        if f:
            eq((x["rows_read"], x["rows_loaded"], x["rows_rejected"], x["reason"]),
               (f[0]["Rows read"], f[0]["Loaded"], f[0]["Rejected"], f[0]["Reason"]),
               "summary: files[] and the audit agree on " + x["path"])
    if code is not None:
        eq(s["exit_code"], code, "summary: exit_code")
    if err is not None:
        st = status_line(err)
        eq(st["exit_code"], s["exit_code"], "status line: exit")
        eq(st["status"], s["status"], "status line: status")
        for k in ("loaded", "skipped", "refused", "unreadable", "rows_read", "rows_rejected"):
            eq(st[k], ct[k], "status line and control_totals: " + k)
        # rows and refused files apart (t9993), and refused apart from
        # unreadable (t9986), together the sheet's lines
        wrote = re.findall(r"wrote \S*audit_%s\.xlsx \(([\d,]+) rejected rows?"
                           r"(?:, ([\d,]+) files? (?:refused|unreadable))?"
                           r"(?:, ([\d,]+) unreadable)?," % as_of, err)
        if "up to date" not in err:
            eq([sum(int((n or "0").replace(",", "")) for n in w) for w in wrote],
               [len(rj)],
               "stderr: the audit's rejected rows and refused files as written")
    return files


def run(t, inbox, as_of, code, summary="s.json", out="out", *more):
    r = svc("run", "--db", "svc.db", "--inbox", inbox, "--out", out, "--as-of", as_of,
            "--summary", summary, *more, cwd=t.path)
    eq(r.code, code, seeded(repr(r)))
    return r


def expect_loaded(inbox, bad):
    """The audit's order of a run's loaded files: by kind, then byte order."""
    order = {"registrations": 0, "dispatches": 1, "closeouts": 2}
    names = sorted(bad, key=lambda n: (order[n.split("_")[0]], n.encode()))
    return [(n, os.path.join(inbox, n), "loaded") for n in names]


# ---- the tests -----------------------------------------------------------------

def test_generated_nights_reconcile_everywhere():
    """Red before the fix of test_skipped_file_names_the_earlier_file_in_
    summary_files (the second night's re-delivered files: summary `files`
    reason null, the audit's "same bytes as ..."); else a guard. Three
    generated nights (seeded;
    multi-line quoted records, blank lines, CRLF, BOMs, each kind of
    rejected row), each reconciled across files, Run, Rejected rows,
    summary, status line and explain --source; the second and third night
    re-deliver all the earlier files (skipped, naming the earlier file) and
    bring late files (names sorting before the earlier nights'): the Run
    sheet's warnings are the summary's and stderr's."""
    rng = random.Random(SEED)
    with Tmp() as t:
        seen = {}
        for night, as_of in enumerate(("2026-03-10", "2026-03-11", "2026-03-12")):
            inbox = "in%d" % night
            bad = gen_night(t, rng, inbox, "n%d" % (9 - night))   # later nights sort first: late
            for name in seen:             # re-delivered: the same bytes
                with open(t.p(seen[name]), "rb") as f:
                    t.write(os.path.join(inbox, name), f.read())
            r = run(t, inbox, as_of, 0)
            order = {"registrations": 0, "dispatches": 1, "closeouts": 2}
            names = sorted(list(bad) + list(seen), key=lambda n: (order[n.split("_")[0]], n.encode()))
            want = [(n, os.path.join(inbox, n), "skipped" if n in seen else "loaded") for n in names]
            files = reconcile(t, as_of, want, "s.json", r.err, 0, bad)
            # The night's file warnings (late files here): Run lists what
            # the summary and stderr said of this night's loaded files.
            sw = [(os.path.basename(w["file"]), w["message"])
                  for w in json.load(open(t.p("s.json")))["warnings"]]
            eq(run_sheet(t.p("out", "audit_%s.xlsx" % as_of))[2], sw,
               seeded("Run: the night's warnings are the summary's"))
            for _, m in sw:
                check(m in r.err, "stderr: " + m)
            if night:
                check(any(m.startswith("late file") for _, m in sw), seeded("late files warned"))
            for f in files:
                if f["Status"] == "skipped":
                    (at,), = [x for x in query(t.p("svc.db"), "SELECT imported_at FROM imported_file "
                                              "WHERE sha256 = ? AND status = 'loaded'", (f["SHA-256"],))]
                    eq(f["Reason"], "same bytes as %s, imported %s"
                       % (f["File"], at.replace("T", " ").replace("Z", " UTC")),
                       "a skip names the earlier file and when")
            for n in bad:
                seen[n] = os.path.join(inbox, n)


def test_every_status_in_one_night():
    """Red before the same fix (the copy's summary reason was null); else
    a guard. Loaded, refused (header, unterminated quote), unreadable (a
    FIFO), the same bytes under a second name (skipped, naming the first),
    and a stray file (a warning only), in one night: exit 66; everything
    reconciles; the run again adds nothing and lists the same night."""
    with Tmp() as t:
        rng = random.Random(SEED + 1)
        text, bad = gen_file(rng, "dispatches", "x", 12)
        write_feed(t, "in/dispatches_a.csv", text)
        write_feed(t, "in/dispatches_a_copy.csv", text)
        t.write("in/closeouts_bad.csv", "dealer_id,nothing\nNY01,x\n")
        t.write("in/closeouts_quote.csv", CLO_HDR + '\nNY01,"2026-03-01\n')
        t.write("in/notes.txt", "not a feed\n")
        os.mkfifo(t.p("in", "registrations_pipe.csv"))
        r = run(t, "in", "2026-03-10", 66)
        want = [("registrations_pipe.csv", "in/registrations_pipe.csv", "unreadable"),
                ("dispatches_a.csv", "in/dispatches_a.csv", "loaded"),
                ("dispatches_a_copy.csv", "in/dispatches_a_copy.csv", "skipped"),
                ("closeouts_bad.csv", "in/closeouts_bad.csv", "refused"),
                ("closeouts_quote.csv", "in/closeouts_quote.csv", "refused")]
        files = reconcile(t, "2026-03-10", want, "s.json", r.err, 66, {"dispatches_a.csv": bad})
        s = json.load(open(t.p("s.json")))
        eq([(w["code"], w["file"]) for w in s["warnings"]], [("stray_file", "in/notes.txt")],
           "summary: the stray file is warned about")
        check("in/notes.txt: inbox file matches no kind" in r.err, r.err)
        eq(files[2]["Reason"].split(", imported ")[0], "same bytes as dispatches_a.csv",
           "the copy names the file delivered first")
        before = sha256(t.p("out", "audit_2026-03-10.xlsx"))
        r = run(t, "in", "2026-03-10", 66, "s2.json")
        reconcile(t, "2026-03-10", want, "s2.json", r.err, 66, {"dispatches_a.csv": bad})
        eq(sha256(t.p("out", "audit_2026-03-10.xlsx")), before, "the night run again: same bytes")


def test_skipped_file_names_the_earlier_file_in_summary_files():
    """Defect (red before the fix): `--summary`'s `files` gave a skipped
    file `"reason": null` -- for `import` the only record a scheduler or
    auditor gets of which file had the same bytes and when -- while
    `reports.audit.files` and the Run sheet said "same bytes as
    dispatches_a.csv, imported 2026-... UTC" for the very same file.
    Now both say it (the audit's wording)."""
    with Tmp() as t:
        t.csv("in/dispatches_a.csv", DSP_HDR,
              ["D1,2026-03-01 09:00,iPF8400S,SN1,DL1,C,1,P,OPEN"])
        r = svc("import", "--db", "svc.db", "--kind", "dispatches", "in/dispatches_a.csv", cwd=t.path)
        eq(r.code, 0, r)
        with open(t.p("in/dispatches_a.csv"), "rb") as f:
            t.write("in2/dispatches_b.csv", f.read())
        (at,), = query(t.p("svc.db"), "SELECT imported_at FROM imported_file")
        why = "same bytes as dispatches_a.csv, imported %s" % at.replace("T", " ").replace("Z", " UTC")
        r = svc("import", "--db", "svc.db", "--kind", "dispatches", "in2/dispatches_b.csv",
                "--summary", "i.json", cwd=t.path)
        eq(r.code, 0, r)
        s = json.load(open(t.p("i.json")))
        eq([(x["path"], x["status"], x["reason"]) for x in s["files"]],
           [("in2/dispatches_b.csv", "skipped", why)], "import's summary names the earlier file")
        r = run(t, "in2", "2026-03-02", 0)
        s = json.load(open(t.p("s.json")))
        eq([(x["path"], x["status"], x["reason"]) for x in s["files"]],
           [("in2/dispatches_b.csv", "skipped", why)], "run's summary names the earlier file")
        reconcile(t, "2026-03-02", [("dispatches_a.csv", "in/dispatches_a.csv", "loaded"),
                                    ("dispatches_b.csv", "in2/dispatches_b.csv", "skipped")],
                  "s.json", r.err, 0)


def test_empty_inbox_is_an_empty_night():
    """Guard: SPEC §5, an inbox that holds no feed file: a warning, exit 0,
    an empty night -- no file on Run, no rejected row, zero control totals,
    and the database's totals still those of the earlier nights."""
    with Tmp() as t:
        rng = random.Random(SEED + 2)
        bad = gen_night(t, rng, "in", "e")
        r = run(t, "in", "2026-03-10", 0)
        reconcile(t, "2026-03-10", expect_loaded("in", bad), "s.json", r.err, 0, bad)
        os.makedirs(t.p("empty"))
        r = run(t, "empty", "2026-03-11", 0)
        reconcile(t, "2026-03-11", [], "s.json", r.err, 0)
        s = json.load(open(t.p("s.json")))
        eq([w["code"] for w in s["warnings"]], ["empty_inbox"], "summary: the warning")
        eq(s["reports"]["audit"]["files"], [], "summary: an empty night")
        eq(rejected_rows(t.p("out", "audit_2026-03-11.xlsx")), [], "no rejected row")


def test_import_then_report_lists_what_run_lists():
    """Red before the status fix (test_status_of_a_night_run_again_...):
    `report`'s status said `ok` for a night with rejected rows; else a
    guard. The same files given to `import` (kind by kind, byte order)
    then `report`, and to `run`: the same night on Run (names, kinds,
    SHA-256, counts, statuses, reasons), the same Rejected rows, each
    reconciled; import's summaries add up to the report's night."""
    rng = random.Random(SEED + 3)
    with Tmp() as a, Tmp() as b:
        bad = gen_night(a, rng, "in", "i")
        a.write("in/closeouts_zbad.csv", "dealer_id\nx\n")
        for name in os.listdir(a.p("in")):
            with open(a.p("in", name), "rb") as f:
                b.write("in/" + name, f.read())
        r = run(a, "in", "2026-03-10", 65)
        want = expect_loaded("in", bad) + [("closeouts_zbad.csv", "in/closeouts_zbad.csv", "refused")]
        fa = reconcile(a, "2026-03-10", want, "s.json", r.err, 65, bad)
        totals = {"rows_read": 0, "rows_rejected": 0}
        for kind in ("registrations", "dispatches", "closeouts"):
            names = sorted((n for n in os.listdir(b.p("in")) if n.startswith(kind)), key=str.encode)
            r = svc("import", "--db", "svc.db", "--kind", kind, *["in/" + n for n in names],
                    "--summary", "i.json", cwd=b.path)
            eq(r.code, 65 if kind == "closeouts" else 0, r)
            s = json.load(open(b.p("i.json")))
            st = status_line(r.err)
            for k in totals:
                eq(st[k], s["control_totals"][k], "import: status line and summary " + k)
                totals[k] += s["control_totals"][k]
        r = svc("report", "--db", "svc.db", "--out", "out", "--as-of", "2026-03-10",
                "--summary", "s.json", cwd=b.path)
        eq(r.code, 0, r)
        fb = reconcile(b, "2026-03-10", want, "s.json", None, 0, bad)
        word = "rejected_rows" if any(f["Rejected"] for f in fb) else "ok"
        eq(json.load(open(b.p("s.json")))["status"], word, seeded("report's status, of its night"))
        check("report as of 2026-03-10: exit 0 (%s)" % word in r.err, r.err)
        eq(fb, fa, "import then report: the same night as run")
        eq(rejected_rows(b.p("out", "audit_2026-03-10.xlsx")),
           rejected_rows(a.p("out", "audit_2026-03-10.xlsx")), "the same Rejected rows")
        eq((sum(f["Rows read"] for f in fb), sum(f["Rejected"] for f in fb)),
           (totals["rows_read"], totals["rows_rejected"]), "import's summaries add up")


def test_a_killed_night_run_again_lists_everything():
    """Guard: SPEC §4, a night killed (SIGKILL) once its files were in and
    before its report, and a night killed while hashing its second file,
    each run again: the audit lists everything the killed run loaded or
    refused, as first delivered, and reconciles; the same audit bytes as a
    night never killed (SQLite; cells on PostgreSQL)."""
    rng = random.Random(SEED + 4)
    texts = {}
    for kind in ("registrations", "dispatches", "closeouts"):
        texts[kind + "_k_0.csv"], _ = gen_file(rng, kind, "k" + kind[0], 15)
    bad = {}
    for pause, when in (("report", lambda db: n_deliveries(db) >= 4), ("hashed", lambda db: n_deliveries(db) >= 1)):
        with Tmp() as clean, Tmp() as t:
            for x in (clean, t):
                for n, text in texts.items():
                    write_feed(x, "in/" + n, text)
                x.write("in/closeouts_zbad.csv", "dealer_id\nx\n")
            r = run(clean, "in", "2026-03-10", 65)
            ref = run_sheet(clean.p("out", "audit_2026-03-10.xlsx"))[1]
            p = subprocess.Popen(cmd("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                                     "--as-of", "2026-03-10", "--quiet", cwd=t.path), cwd=t.path,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 env=dict(os.environ, TZ="UTC", SVCRECON_TEST_PAUSE=pause))
            landed = False
            import time
            deadline = time.time() + 60
            while p.poll() is None and time.time() < deadline:
                if when(t.p("svc.db")) and paused(p.pid):
                    p.send_signal(signal.SIGKILL)
                    landed = p.wait() == -signal.SIGKILL
                    break
                time.sleep(0.02)
            p.wait()
            settle()
            check(landed, "the kill at %r landed while the run was going" % pause)
            eq(query(t.p("svc.db"), "SELECT COUNT(*) FROM report_run"), [(0,)], "not reported")
            r = run(t, "in", "2026-03-10", 65)
            names = [f["File"] for f in ref]
            want = [(n, "in/" + n, f["Status"]) for n, f in zip(names, ref)]
            eq([s for _, _, s in want], ["loaded", "loaded", "loaded", "refused"], "clean night")
            files = reconcile(t, "2026-03-10", want, "s.json", r.err, 65, bad)
            eq(files, ref, "killed at %r, run again: the Run table of a night never killed" % pause)
            eq(rejected_rows(t.p("out", "audit_2026-03-10.xlsx")),
               rejected_rows(clean.p("out", "audit_2026-03-10.xlsx")), "the same Rejected rows")


def test_status_of_a_night_run_again_says_its_rejected_rows():
    """Defect (red before the fix): the summary's `status` and the status
    line's word said `ok` ("done, nothing rejected", docs/summary.schema.json)
    for a night whose audit lists rejected rows, whenever this run did not
    load them itself: the night killed after its imports and run again
    (SPEC §4; its first run left `running`, so the only outcome a monitor
    ever read of that night said nothing was rejected), and a scheduler's
    retry of a reported night ("up to date": README "Re-runs" returns the
    same summary counts, yet the status turned from rejected_rows to ok).
    Seen: `exit 0 (ok); files: 0 loaded, 1 skipped, ...` with
    reports.audit.rejected_rows 1. Now `rejected_rows` whenever the audit
    the run wrote (or found up to date) lists rejected rows of loaded files."""
    with Tmp() as t:
        t.csv("in/dispatches_1.csv", DSP_HDR,
              ["D1,2026-03-01 09:00,iPF8400S,SN1,DL1,C,1,P,OPEN",
               "D2,2026-02-30 09:00,iPF8400S,SN1,DL1,C,1,P,OPEN"])   # line 3
        want = [("dispatches_1.csv", "in/dispatches_1.csv", "loaded")]
        bad = {"dispatches_1.csv": {1}}
        p = subprocess.Popen(cmd("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                                 "--as-of", "2026-03-02", "--quiet", "--summary", "s.json",
                                 cwd=t.path), cwd=t.path, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             env=dict(os.environ, TZ="UTC", SVCRECON_TEST_PAUSE="report"))
        check(wait_paused(p, t.p("svc.db"), lambda db: n_deliveries(db) >= 1), "paused before its report")
        p.send_signal(signal.SIGKILL)
        eq(p.wait(), -signal.SIGKILL, "killed")
        settle()
        eq(json.load(open(t.p("s.json")))["status"], "running", "the killed run's summary")
        r = run(t, "in", "2026-03-02", 0)
        reconcile(t, "2026-03-02", want, "s.json", r.err, 0, bad)
        eq(json.load(open(t.p("s.json")))["status"], "rejected_rows", "the night run again")
        eq(status_line(r.err)["status"], "rejected_rows", "its status line")
        r = run(t, "in", "2026-03-02", 0, "s2.json")
        check("up to date" in r.err, r.err)
        eq(json.load(open(t.p("s2.json")))["status"], "rejected_rows", "a retry of the night")
        eq(status_line(r.err)["status"], "rejected_rows", "the retry's status line")
    with Tmp() as t:          # the same night never killed: the same word
        t.csv("in/dispatches_1.csv", DSP_HDR,
              ["D1,2026-03-01 09:00,iPF8400S,SN1,DL1,C,1,P,OPEN",
               "D2,2026-02-30 09:00,iPF8400S,SN1,DL1,C,1,P,OPEN"])
        r = run(t, "in", "2026-03-02", 0)
        eq(status_line(r.err)["status"], "rejected_rows", "a night never killed")


def test_one_name_two_versions_in_one_night():
    """Guard: a feed imported by hand, then re-exported under the same name
    and found by the night's run: two lines of the same name on Run, each
    with its own SHA-256 and counts (counted here from each version's
    bytes); Rejected rows tell them apart by the File SHA-256 column, and
    explain --source FILE:LINE shows both rows of that name and line."""
    v1 = DSP_HDR + "\nD1,2026-03-01 09:00,iPF8400S,SN1,DL1,C,1,P,OPEN\nD2,bad,iPF8400S,SN1,DL1,C,1,P,OPEN\n"
    v2 = (DSP_HDR + "\nD1,2026-03-01 09:00,iPF8400S,SN1,DL1,C,1,P,OPEN\n"
          "D3,2026-03-01 09:00,,SN1,DL1,\"two\nlines\",1,P,OPEN\nD4,worse,iPF8400S,SN1,DL1,C,1,P,OPEN\n")
    with Tmp() as t:
        t.write("in/dispatches_1.csv", v1)
        h1 = sha256(t.p("in/dispatches_1.csv"))
        eq(svc("import", "--db", "svc.db", "--kind", "dispatches", "in/dispatches_1.csv",
               cwd=t.path).code, 0, "import v1")
        t.write("in/dispatches_1.csv", v2)
        h2 = sha256(t.p("in/dispatches_1.csv"))
        r = run(t, "in", "2026-03-02", 0)
        _, files, _, _ = run_sheet(t.p("out", "audit_2026-03-02.xlsx"))
        got = [(f["File"], f["SHA-256"], f["Rows read"], f["Loaded"], f["Rejected"], f["Status"])
               for f in files]
        want = []
        for h, text, bad_lines in ((h1, v1, [3]), (h2, v2, [3, 5])):
            n = len(records(text.encode())) - 1
            want.append(("dispatches_1.csv", h, n, n - len(bad_lines), len(bad_lines), "loaded"))
        eq(got, want, "Run: both versions under the one name")
        rj = [(x[1], x[4]) for x in openpyxl.load_workbook(t.p("out", "audit_2026-03-02.xlsx"))[
            "Rejected rows"].iter_rows(min_row=2, values_only=True)]
        eq(rj, [(3, h1[:12]), (3, h2[:12]), (5, h2[:12])], "Rejected rows: each version's lines")
        s = json.load(open(t.p("s.json")))
        eq([(x["sha256"], x["rows_rejected"]) for x in s["reports"]["audit"]["files"]],
           [(h1, 1), (h2, 2)], "summary: the night's two versions")
        eq(s["status"], "rejected_rows", "summary status")
        r = svc("explain", "--db", "svc.db", "--as-of", "2026-03-02", "--source",
                "dispatches_1.csv:3", cwd=t.path)
        eq(r.code, 0, r)
        check("D2,bad," in r.out and "required model is blank" in r.out, r.out)


def wait_paused(p, db, ready, timeout=60):
    import time
    deadline = time.time() + timeout
    while p.poll() is None and time.time() < deadline:
        if ready(db) and paused(p.pid):
            return True
        time.sleep(0.02)
    return False


def n_deliveries(db):
    if not ON_PG and not os.path.exists(db):
        return -1               # (query() would make the file)
    try:
        return query(db, "SELECT COUNT(*) FROM delivery")[0][0]
    except Exception:       # not made yet
        return -1


def paused(pid):
    """The run sleeps in its test pause (state S, in nanosleep)."""
    try:
        with open("/proc/%d/wchan" % pid) as f:
            w = f.read()
        return "nanosleep" in w or "hrtimer" in w
    except OSError:
        return False


if __name__ == "__main__":
    print("seed %d (SVCRECON_SEED to replay)" % SEED)
    main(globals())
