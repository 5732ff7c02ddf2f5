#!/usr/bin/python3
"""t5200 -- properties of the import over random feeds (SPEC §2; issue 7).

A seeded generator (stdlib only) writes random feeds of the three kinds:
header names in any order, case and padding, unknown columns, either date
form, T or space, seconds or not, quoting, embedded commas, quotes and line
breaks, CRLF or LF, a BOM or not, blank lines; keys are unique within the
whole set of rows, and about one row in eight is made bad on purpose
(blank required value, impossible date, bad flag or status, labor_hours out
of range, wrong field count, invalid UTF-8, a NUL byte). For each kind and
seed:
  1. per file, rows read = loaded + rejected (imported_file, the feed
     table, rejected_row and the --summary JSON agree), and the loaded rows
     are exactly the good rows the generator made, with the values the
     generator expects after trimming, normalization and date parsing;
  2. importing the same rows split across several files (each with its own
     header) gives the same current state as importing them as one file:
     per key, the row of the highest file_id, compared without file_id and
     line; and the same rejected records with the same reasons.
Seeds: 12 per kind (3 under valgrind)."""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import SVCRECON, Tmp, check, eq, main, query, svc  # noqa: E402

VALGRIND = "valgrind" in SVCRECON or bool(os.environ.get("VALGRIND"))
SEEDS = range(3) if VALGRIND else range(12)

# (name, generator kind, required?) per feed, in SPEC order.
FEEDS = {
    "registrations": {
        "table": "registration",
        "key": ("dealer_id", "serial_norm", "registered_on"),
        "cols": [("dealer_id", "id", True), ("dealer_name", "text", False),
                 ("model", "code", True), ("serial_number", "code", True),
                 ("registered_on", "date", True), ("wmp_selected", "flag", False),
                 ("removed_on", "removed", False)],
    },
    "dispatches": {
        "table": "dispatch",
        "key": ("dispatch_id",),
        "cols": [("dispatch_id", "id", True), ("dispatched_at", "datetime", True),
                 ("model", "code", True), ("serial_number", "code", True),
                 ("provider_id", "id", False), ("customer_name", "text", False),
                 ("customer_postal_code", "id", False), ("problem_code", "id", False),
                 ("status", "status", False)],
    },
    "closeouts": {
        "table": "closeout",
        "key": ("dealer_id", "dispatch_id", "submitted_at"),
        "cols": [("dealer_id", "id", True), ("submitted_at", "datetime", True),
                 ("dispatch_id", "id", False), ("serial_number", "code", False),
                 ("model", "code", False), ("completed_on", "date", False),
                 ("technician", "id", False), ("labor_hours", "hours", False),
                 ("resolution_code", "id", False), ("parts", "text", False)],
    },
}
DIM = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def days_in(y, m):
    return 29 if m == 2 and (y % 4 == 0 and y % 100 != 0 or y % 400 == 0) else DIM[m - 1]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pad(self, s):
        """Blanks around an identifier (trimmed on load)."""
        r = self.r.random()
        return (" " + s + "\t") if r < 0.1 else s

    def ident(self, prefix):
        return prefix + "".join(self.r.choice("ABCDEFGHJK0123456789") for _ in range(6))

    def date(self):
        y, m = self.r.randint(2020, 2027), self.r.randint(1, 12)
        d = self.r.randint(1, days_in(y, m))
        text = ("%04d-%02d-%02d" % (y, m, d)) if self.r.random() < 0.5 else \
               ("%02d/%02d/%04d" % (m, d, y))
        return text, "%04d-%02d-%02d" % (y, m, d)

    def datetime(self):
        text, iso = self.date()
        r = self.r.random()
        if r < 0.2:
            return text, iso + " 00:00:00"
        h, mi, s = self.r.randint(0, 23), self.r.randint(0, 59), self.r.randint(0, 59)
        sep = self.r.choice("T ")
        if r < 0.6:
            return text + sep + "%02d:%02d" % (h, mi), iso + " %02d:%02d:00" % (h, mi)
        return text + sep + "%02d:%02d:%02d" % (h, mi, s), iso + " %02d:%02d:%02d" % (h, mi, s)

    def text(self):
        pieces = ["Acme", "Smith, Bob", 'the "best"', "caf\u00e9", "line\nbreak",
                  "cr\r\nlf", "  spaced  ", "=SUM(A1)", "+1-800", "\u00fc\u20ac\U0001F600", ""]
        return self.r.choice(pieces) + self.r.choice(["", " & Co", str(self.r.randint(0, 99))])

    def code(self):
        base = self.r.choice(["iPF8400S", "TM-300", "PRO-4000", "ipf 770", "ae-m 516"])
        return base + str(self.r.randint(0, 9))

    def row(self, kind, n, used):
        """One good row: {column: (text in file, expected stored value)} plus
        expected derived columns, and its key."""
        r = self.r
        v = {}
        for name, typ, req in FEEDS[kind]["cols"]:
            blank_ok = not req and r.random() < 0.15
            if typ == "id":
                s = self.ident(name[:2].upper()) if not blank_ok else ""
                v[name] = (self.pad(s), s)
            elif typ == "text":
                s = self.text() if not blank_ok else ""
                v[name] = (s, s)
            elif typ == "code":
                s = self.code() if not blank_ok else ""
                v[name] = (self.pad(s), s)
            elif typ == "date":
                v[name] = self.date() if not blank_ok else ("", None)
            elif typ == "datetime":
                v[name] = self.datetime() if not blank_ok else ("", None)
            elif typ == "flag":
                s, val = r.choice([("Y", 1), ("n", 0), ("YES", 1), ("no", 0), ("True", 1),
                                   ("false", 0), ("1", 1), ("0", 0), ("", 0)])
                v[name] = (s, val)
            elif typ == "status":
                s, val = r.choice([("OPEN", "OPEN"), ("open", "OPEN"), ("Cancelled", "CANCELLED"),
                                   ("", "OPEN")])
                v[name] = (s, val)
            elif typ == "hours":
                if blank_ok:
                    v[name] = ("", None)
                else:
                    q = r.randint(0, 96) / 4          # exact in binary
                    s = r.choice(["%g" % q, "%.2f" % q, "%05.2f" % q])
                    v[name] = (s, float(s))
            elif typ == "removed":
                v[name] = ("", None)
        if kind == "registrations" and r.random() < 0.3:
            reg = v["registered_on"][1]         # removed a year later
            removed = "%d-%s" % (int(reg[:4]) + 1, "03-01" if reg[5:] == "02-29" else reg[5:])
            v["removed_on"] = (removed, removed)
        key = self.key(kind, v)
        if key in used:
            return None
        used.add(key)
        return v

    @staticmethod
    def norm(s):
        return s.upper().replace(" ", "").replace("-", "")

    def key(self, kind, v):
        if kind == "registrations":
            return (v["dealer_id"][1], self.norm(v["serial_number"][1]), v["registered_on"][1])
        if kind == "dispatches":
            return (v["dispatch_id"][1],)
        return (v["dealer_id"][1], v["dispatch_id"][1], v["submitted_at"][1])

    def spoil(self, kind, v, order):
        """Makes a good row bad; returns (record bytes, reason prefix)."""
        cols = FEEDS[kind]["cols"]
        r = self.r
        how = r.choice(["blank", "date", "count", "utf8", "nul", "kind"])
        fields = {c: v[c][0] for c in v}
        if how == "blank":
            name = r.choice([c for c, _, req in cols if req])
            fields[name] = "  "
            reason = "required %s is blank" % name
        elif how == "date":
            name = [c for c, t, _ in cols if t in ("date", "datetime")][0]
            fields[name] = "2026-02-30"
            reason = "%s '2026-02-30' is not a valid date" % name
        elif how == "kind":
            typ = {"registrations": "flag", "dispatches": "status", "closeouts": "hours"}[kind]
            name = [c for c, t, _ in cols if t == typ][0]
            fields[name] = {"flag": "maybe", "status": "CLOSED", "hours": "24.25"}[typ]
            reason = "%s '%s' is " % (name, fields[name])
        elif how in ("utf8", "nul"):
            name = [c for c, t, _ in cols if t == "id"][0]
            fields[name] = "X@@Y"
            reason = "%s %s" % (name, "is not valid UTF-8" if how == "utf8" else
                                "contains a NUL byte")
        record = self.record(fields, order)
        if how == "count":
            record += b",extra"
            reason = "has %d fields, the header has %d" % (len(order) + 1, len(order))
        if how in ("utf8", "nul"):
            record = record.replace(b"@@", b"\xed\xa0\x80" if how == "utf8" else b"\0")
        return record, reason

    def quote(self, s):
        need = any(c in s for c in ',"\r\n') or s != s.strip(" \t")
        if need or self.r.random() < 0.1:
            return '"' + s.replace('"', '""') + '"'
        return s

    def record(self, fields, order):
        return ",".join(self.quote(fields.get(c, "unused")) for c in order).encode()

    def feed(self, kind, n):
        """Header order, and n entries: (record bytes, good row or None, reason)."""
        cols = [c for c, _, _ in FEEDS[kind]["cols"]]
        order = cols + (["notes"] if self.r.random() < 0.5 else [])
        self.r.shuffle(order)
        used, entries = set(), []
        while len(entries) < n:
            v = self.row(kind, len(entries), used)
            if v is None:
                continue
            if self.r.random() < 0.125:
                rec, reason = self.spoil(kind, v, order)
                entries.append((rec, None, reason))
            else:
                entries.append((self.record({c: v[c][0] for c in v}, order), v, None))
        return order, entries

    def header(self, order):
        names = []
        for c in order:
            c = c.upper() if self.r.random() < 0.2 else c
            names.append((" " + c + " ") if self.r.random() < 0.1 else c)
        return ",".join(names).encode()

    def write(self, path, order, entries):
        nl = self.r.choice([b"\n", b"\r\n"])
        out = (b"\xef\xbb\xbf" if self.r.random() < 0.3 else b"") + self.header(order) + nl
        for rec, _, _ in entries:
            if self.r.random() < 0.05:
                out += nl                       # a blank line
            out += rec + nl
        with open(path, "wb") as f:
            f.write(out)


def expected_rows(kind, entries):
    """The stored values the good rows must have, as a sorted list."""
    rows = []
    for _, v, _ in entries:
        if v is None:
            continue
        row = []
        for name, typ, _ in FEEDS[kind]["cols"]:
            val = v[name][1]
            if typ == "code":
                row += [val, Gen.norm(val)]
            else:
                row.append(val)
        rows.append(tuple(row))
    return sorted(rows, key=repr)


def stored_columns(kind):
    cols = []
    for name, typ, _ in FEEDS[kind]["cols"]:
        cols.append(name)
        if typ == "code":
            cols.append(name.replace("serial_number", "serial") + "_norm")
    return cols


def current_state(db, kind):
    """Per key, the row of the highest file_id, without file_id and line."""
    table = FEEDS[kind]["table"]
    key = ", ".join(FEEDS[kind]["key"])
    cols = ", ".join(stored_columns(kind))
    rows = query(db, "SELECT %s FROM %s AS t WHERE file_id = (SELECT max(file_id) FROM %s "
                     "AS u WHERE (%s) IS NOT DISTINCT FROM (%s))"
                 % (cols, table, table,
                    ", ".join("u." + k for k in FEEDS[kind]["key"]),
                    ", ".join("t." + k for k in FEEDS[kind]["key"])))
    check(len(rows) == len(set(query(db, "SELECT %s FROM %s" % (key, table)))),
          "one current row per key")
    return sorted(rows, key=repr)


def rejections(db):
    return sorted(query(db, "SELECT raw, reason FROM rejected_row"), key=repr)


def check_balance(db, summary_path):
    files = query(db, "SELECT file_id, name, rows_read, rows_loaded, rows_rejected "
                      "FROM imported_file ORDER BY file_id")
    s = json.load(open(summary_path))
    done = [f for f in s["files"] if f["status"] != "skipped"]   # same bytes again
    eq(len(done), len(files))
    for (fid, name, read, ld, rj), f in zip(files, done):
        eq(read, ld + rj, "%s: read = loaded + rejected" % name)
        eq((f["rows_read"], f["rows_loaded"], f["rows_rejected"]), (read, ld, rj), name)
        n = sum(query(db, "SELECT count(*) FROM %s WHERE file_id = ?" % t, (fid,))[0][0]
                for t in ("registration", "dispatch", "closeout"))
        eq(n, ld, "%s: feed rows" % name)
        eq(query(db, "SELECT count(*) FROM rejected_row WHERE file_id = ?", (fid,))[0][0],
           rj, "%s: rejected rows" % name)
    return files


def one_property_run(kind, seed):
    g = Gen(seed * 31 + len(kind))
    n = g.r.randint(1, 120)
    order, entries = g.feed(kind, n)
    with Tmp() as t:
        # All rows in one file.
        one = t.p("one.csv")
        g.write(one, order, entries)
        r = svc("import", "--db", t.p("one.db"), "--kind", kind, "--summary", t.p("one.json"),
                one)
        eq(r.code, 0, r)
        files = check_balance(t.p("one.db"), t.p("one.json"))
        n_bad = sum(1 for e in entries if e[1] is None)
        eq([f[2:] for f in files], [(n, n - n_bad, n_bad)], "totals of one file")
        want = expected_rows(kind, entries)
        eq(sorted(query(t.p("one.db"), "SELECT %s FROM %s" % (
            ", ".join(stored_columns(kind)), FEEDS[kind]["table"])), key=repr), want,
           "stored values (seed %d)" % seed)
        reasons = sorted(reason for _, reason in rejections(t.p("one.db")))
        want_reasons = sorted(e[2] for e in entries if e[1] is None)
        eq(len(reasons), len(want_reasons))
        for w in want_reasons:
            check(any(x.startswith(w) for x in reasons), "reason %r among %r" % (w, reasons))
        # The same rows split into k files, each with a header.
        k = g.r.randint(2, 5)
        cuts = sorted(g.r.sample(range(0, n + 1), k - 1)) if n >= k else [n] * (k - 1)
        bounds = [0] + cuts + [n]
        parts = []
        for i in range(k):
            p = t.p("part%d.csv" % i)
            g.write(p, order, entries[bounds[i]:bounds[i + 1]])
            parts.append(p)
        r = svc("import", "--db", t.p("split.db"), "--kind", kind, "--summary",
                t.p("split.json"), *parts)
        eq(r.code, 0, r)
        check_balance(t.p("split.db"), t.p("split.json"))
        eq(current_state(t.p("split.db"), kind), current_state(t.p("one.db"), kind),
           "current state, split vs one file (seed %d, %d files)" % (seed, k))
        eq(rejections(t.p("split.db")), rejections(t.p("one.db")), "rejections")


def make_test(kind):
    def test():
        for seed in SEEDS:
            one_property_run(kind, seed)
    test.__name__ = "test_split_equals_one_file_and_totals_balance_" + kind
    return test


for _kind in FEEDS:
    globals()["test_split_equals_one_file_and_totals_balance_" + _kind] = make_test(_kind)


def test_later_file_supersedes_earlier_versions_of_a_key():
    """Overlapping nightly logs: the current version of a dispatch is the one
    of the latest file; the earlier versions stay as history."""
    with Tmp() as t:
        hdr = "dispatch_id,dispatched_at,model,serial_number,provider_id,status"
        a = t.csv("a.csv", hdr, ["D1,2026-03-01 08:00,m,s1,P1,OPEN",
                                 "D2,2026-03-01 09:00,m,s2,P1,OPEN"])
        b = t.csv("b.csv", hdr, ["D2,2026-03-01 09:00,m,s2,P2,CANCELLED",
                                 "D3,2026-03-02 10:00,m,s3,P1,OPEN"])
        eq(svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", a, b).code, 0)
        cur = query(t.p("svc.db"), "SELECT dispatch_id, provider_id, status, file_id FROM dispatch"
                    " AS t WHERE file_id = (SELECT max(file_id) FROM dispatch AS u WHERE "
                    "u.dispatch_id = t.dispatch_id) ORDER BY dispatch_id")
        eq(cur, [("D1", "P1", "OPEN", 1), ("D2", "P2", "CANCELLED", 2), ("D3", "P1", "OPEN", 2)])
        eq(query(t.p("svc.db"), "SELECT count(*) FROM dispatch"), [(4,)])


main(globals())
