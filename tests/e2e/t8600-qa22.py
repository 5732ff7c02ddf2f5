#!/usr/bin/python3
"""t8600 -- a month of nights (QA pass 22): the program as a scheduler and
an analyst live with it for weeks. One database takes 70 nights of
generated feeds through `run`, and every night's workbooks are checked
against a small oracle written here from SPEC §3/§4 alone (not from the
program's SQL):

- the data: dispatches re-delivered every night (skipped), late files
  (named before files already imported), dispatches cancelled, re-dated
  earlier or after the as-of date, closeouts rejected for each reason,
  incomplete closeouts superseded by a complete one in a later file,
  duplicates, registrations removed and transferred, rejected rows;
- the nights: an empty inbox, a night whose only file is refused (65),
  a week without a report (the as-of jumps), two runs the same night (a
  second delivery, then a retry with nothing new: the same bytes), a
  night with --from, a report as of a date in that week run weeks later
  (out of order), the regular nights after it, and an old night re-run
  at the end (its own files, its own previous report);
- each night: `Unclosed calls` (days open, bucket, attempts, source),
  `Non-compensable` (reason, all reasons, New), `Registration
  exceptions`, `Changes` (against the oracle's previous report), the
  Summary's `Trend` (one row per recorded report up to A, at most 60, its
  chart's ranges covering exactly the table), the audit's night (each
  file given or found since the previous report, once, with its rows;
  `Rejected rows`; the totals line equal to the sum over all nights);
- `explain` without --as-of takes the latest recorded report's date."""
import datetime
import os
import random
import re
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, ON_PG, REG_HDR, Tmp, check, cmd, connect,  # noqa: E402
                     eq, kill_on, main, schema_version, sha256, svc, undo_version_9)

import openpyxl  # noqa: E402

DAY = datetime.timedelta(days=1)
START = datetime.date(2026, 1, 5)
BUCKETS = [(0, 7, "0-7"), (8, 14, "8-14"), (15, 30, "15-30"), (31, 60, "31-60"),
           (61, 90, "61-90"), (91, None, "91+")]
KINDS = ("registrations", "dispatches", "closeouts")
DEALERS = {"D01": "Acme Imaging", "D02": "Bolt Repro", "D03": "Cato Print",
           "D04": "Delta Graphics"}


def bucket(days):
    for lo, hi, label in BUCKETS:
        if days >= lo and (hi is None or days <= hi):
            return label
    raise AssertionError(days)


def norm(s):
    return s.upper().replace(" ", "").replace("-", "")


def iso(d):
    return d.isoformat()


# ---------------------------------------------------------------- oracle

class Oracle:
    """What SPEC §2-§4 say the workbooks hold, from the rows the test
    generated (never from the database)."""

    def __init__(self):
        self.imported = {}       # sha -> file name first imported under
        self.seq = 0             # import order of files
        self.regs = {}           # (dealer, nserial, registered_on) -> row
        self.disp = {}           # dispatch_id -> row (current version)
        self.clo = {}            # (dealer, dispatch_id, submitted_at) -> row
        self.deliveries = []     # (name, sha, status, read, loaded, rejected, rejected lines)
        self.recorded = {}       # as-of -> {"unclosed": {id: (days, bucket)}, "nc": set, "end": n}
        self.totals = [0, 0, 0, 0, 0]  # files loaded, refused, read, loaded, rejected

    def deliver(self, f, night):
        """One file of a run as of night, in the order run imports them."""
        if f["sha"] in self.imported:
            self.deliveries.append((f["name"], f["sha"], "skipped", 0, 0, 0, [], night))
            return
        self.imported[f["sha"]] = f["name"]
        if f.get("refused"):
            self.totals[1] += 1
            self.deliveries.append((f["name"], f["sha"], "refused", 0, 0, 0, [0], night))
            return
        self.seq += 1
        good = [r for r in f["rows"] if not r.get("bad")]
        bad = [r["line"] for r in f["rows"] if r.get("bad")]
        self.totals[0] += 1
        self.totals[2] += len(f["rows"])
        self.totals[3] += len(good)
        self.totals[4] += len(bad)
        self.deliveries.append((f["name"], f["sha"], "loaded", len(f["rows"]),
                                len(good), len(bad), bad, night))
        for r in good:
            r = dict(r, file=f["name"], seq=self.seq)
            if f["kind"] == "registrations":
                self.regs[(r["dealer"], norm(r["serial"]), r["registered_on"])] = r
            elif f["kind"] == "dispatches":
                self.disp[r["id"]] = r
            else:
                self.clo[(r["dealer"], r["dispatch"], r["submitted"])] = r

    def previous(self, a):
        before = [d for d in self.recorded if d < a]
        return max(before) if before else None

    def report(self, a, from_=None):
        end_of_a = datetime.datetime.combine(a + DAY, datetime.time())
        disp = {i: d for i, d in self.disp.items() if d["at"].date() <= a}
        clos = [c for c in self.clo.values() if c["submitted"] < end_of_a]
        reasons = {}
        for c in clos:
            rs = []
            d = disp.get(c["dispatch"]) if c["dispatch"] else None
            if d is None:
                rs.append("NO_DISPATCH")
            else:
                if d["status"] == "CANCELLED":
                    rs.append("DISPATCH_CANCELLED")
                if c["dealer"] != d["provider"]:
                    rs.append("PROVIDER_MISMATCH")
                if c["serial"] and norm(c["serial"]) != norm(d["serial"]):
                    rs.append("SERIAL_MISMATCH")
                if c["completed"] and c["completed"] < d["at"].date():
                    rs.append("SERVICE_BEFORE_DISPATCH")
            if not (c["serial"] and c["completed"] and c["tech"] and c["hours"]
                    and c["resolution"]):
                rs.append("INCOMPLETE_SECTION2")
            reasons[c["key"]] = rs
        accepted = {}
        for c in sorted((c for c in clos if not reasons[c["key"]]),
                        key=lambda c: (c["submitted"], c["seq"], c["line"])):
            if c["dispatch"] in accepted:
                reasons[c["key"]] = ["DUPLICATE_CLOSEOUT"]
            else:
                accepted[c["dispatch"]] = c
        attempts = {}
        for c in clos:
            attempts[c["dispatch"]] = attempts.get(c["dispatch"], 0) + 1
        unclosed = {}
        for i, d in disp.items():
            if d["status"] == "OPEN" and i not in accepted:
                days = (a - d["at"].date()).days
                unclosed[i] = (days, bucket(days), attempts.get(i, 0), d["file"], d["line"])
        nc = {}
        for c in clos:
            if reasons[c["key"]] and (from_ is None or c["submitted"].date() >= from_):
                nc[c["key"]] = (reasons[c["key"]][0], ";".join(reasons[c["key"]]))
        exc = set()
        for i, d in disp.items():
            if from_ is not None and d["at"].date() < from_:
                continue
            day = d["at"].date()
            active = [r for r in self.regs.values()
                      if norm(r["serial"]) == norm(d["serial"]) and r["registered_on"] <= day
                      and (r["removed_on"] is None or day < r["removed_on"])]
            if not active:
                exc.add((i, "NO_REGISTRATION"))
                continue
            dealers = {r["dealer"] for r in active}
            if d["provider"] not in dealers:
                exc.add((i, "NOT_PROVIDER_OF_RECORD"))
            if any(r["wmp"] for r in active):
                exc.add((i, "WMP_SELECTED"))
            if not any(norm(r["model"]) == norm(d["model"]) for r in active):
                exc.add((i, "MODEL_MISMATCH"))
            if len(dealers) > 1:
                exc.add((i, "OVERLAPPING_REGISTRATION"))
        prev = self.previous(a)
        changes = []
        if prev is not None:
            old = self.recorded[prev]["unclosed"]
            for i in sorted(set(unclosed) - set(old),
                            key=lambda i: (disp[i]["at"], i)):
                changes.append(("Newly unclosed", i, None, unclosed[i][1], None))
            for i in sorted(set(old) - set(unclosed)):
                d = self.disp[i]
                if i in accepted:
                    how = "closeout accepted (%s line %d)" % (
                        accepted[i]["file"], accepted[i]["line"])
                elif d["status"] == "CANCELLED":
                    how = "dispatch cancelled (%s line %d)" % (d["file"], d["line"])
                elif d["at"].date() > a:
                    how = "dispatched after the as-of date (%s line %d)" % (
                        d["file"], d["line"])
                else:
                    how = "no longer listed (%s line %d)" % (d["file"], d["line"])
                changes.append(("Closed", i, old[i][1], None, how))
            for i in sorted(set(old) & set(unclosed), key=lambda i: (disp[i]["at"], i)):
                if old[i][1] != unclosed[i][1]:
                    changes.append(("Bucket moved", i, old[i][1], unclosed[i][1], None))
        new = {k: (None if prev is None else
                   ("no" if k in self.recorded[prev]["nc"] else "yes")) for k in nc}
        return {"as_of": a, "prev": prev, "unclosed": unclosed, "nc": nc, "new": new,
                "exc": exc, "changes": changes}

    def night(self, a):
        """The audit's files: delivered since the previous report's night
        ended (up to A's own end when a later night was recorded, and what
        runs as of A delivered after that), each (name, bytes) once, as
        first delivered."""
        prev = self.previous(a)
        lo = self.recorded[prev]["end"] if prev is not None else 0
        later = any(d > a for d in self.recorded)
        hi = self.recorded[a]["end"] if a in self.recorded and later else len(self.deliveries)
        seen, files = set(), []
        for v in self.deliveries[lo:hi] + [v for v in self.deliveries[hi:] if v[7] == a]:
            if (v[0], v[1]) not in seen:
                seen.add((v[0], v[1]))
                files.append(v)
        return files

    def record(self, rep):
        a = rep["as_of"]
        later = any(d > a for d in self.recorded)
        end = (self.recorded[a]["end"] if a in self.recorded and later
               else len(self.deliveries))
        self.recorded[a] = {"unclosed": {i: (u[0], u[1]) for i, u in rep["unclosed"].items()},
                            "nc": set(rep["nc"]), "end": end}


# ------------------------------------------------------------- generator

def csv_text(header, rows):
    return "\n".join([header] + [",".join(r) for r in rows]) + "\n"


class Feeds:
    """Generates each night's new files (deterministic)."""

    def __init__(self):
        self.rnd = random.Random(22)
        self.owner = {}             # serial -> dealer
        self.n = 0
        self.incomplete = []        # closeout rows that may be completed later
        self.minute = 0
        self.minute_used = False    # the first night's closeouts

    def fid(self, prefix):
        self.n += 1
        return "%s%04d" % (prefix, self.n)

    def file(self, kind, name, header, rows, texts):
        text = csv_text(header, texts)
        for k, r in enumerate(rows):
            r["line"] = k + 2
        return {"kind": kind, "name": name, "text": text, "rows": rows,
                "sha": __import__("hashlib").sha256(text.encode()).hexdigest()}

    def registrations(self, a, first):
        rows, texts = [], []
        if first:
            for k in range(1, 13):
                s = "S%02d" % k
                dealer = "D0%d" % (k % 4 + 1)
                self.owner[s] = dealer
                wmp = "Y" if k == 12 else "N"
                r = {"dealer": dealer, "serial": s, "model": "iPF8400S",
                     "registered_on": datetime.date(2025, 1, 1), "wmp": wmp == "Y",
                     "removed_on": None}
                rows.append(r)
                texts.append([dealer, DEALERS[dealer], "iPF8400S", s, "2025-01-01", wmp, ""])
            # a second dealer on S11 (overlapping registrations)
            rows.append({"dealer": "D01", "serial": "s-11", "model": "iPF8400S",
                         "registered_on": datetime.date(2025, 6, 1), "wmp": False,
                         "removed_on": None})
            texts.append(["D01", "Acme Imaging", "iPF8400S", "s-11", "2025-06-01", "N", ""])
        else:
            # a transfer: the owner's registration removed, another dealer's from A-1
            s = "S%02d" % self.rnd.randint(1, 10)
            old, new = self.owner[s], "D0%d" % self.rnd.randint(1, 4)
            if new == old:
                return None
            for dealer, on, removed in ((old, None, a - DAY), (new, a - DAY, None)):
                on_date = on
                if dealer == old:
                    on_date = self.reg_on.get(s, datetime.date(2025, 1, 1))
                r = {"dealer": dealer, "serial": s, "model": "iPF8400S",
                     "registered_on": on_date, "wmp": False, "removed_on": removed}
                rows.append(r)
                texts.append([dealer, DEALERS[dealer], "iPF8400S", s, iso(on_date), "N",
                              iso(removed) if removed else ""])
            self.owner[s] = new
            self.reg_on[s] = a - DAY
        return self.file("registrations", "registrations_%s.csv" % iso(a), REG_HDR, rows, texts)

    def dispatch_row(self, i, at, serial, provider, status="OPEN", model="iPF8400S"):
        r = {"id": i, "at": at, "serial": serial, "provider": provider, "status": status,
             "model": model}
        return r, [i, at.strftime("%Y-%m-%d %H:%M"), model, serial, provider,
                   "Customer " + i, "02108", "P1", status]

    def dispatches(self, a, oracle, name=None, day=None, extra=True):
        rows, texts, used = [], [], set()
        day = day or a
        for _ in range(self.rnd.randint(2, 4)):
            i = self.fid("N")
            s = "S%02d" % self.rnd.randint(1, 12)
            p = self.rnd.random()
            if p < 0.04:
                s = "S77"                      # never registered
            prov = self.owner.get(s, "D01") if p < 0.85 else ("" if p < 0.9 else "D0%d" % self.rnd.randint(1, 4))
            model = "iPF6400" if self.rnd.random() < 0.1 else "iPF8400S"
            at = datetime.datetime.combine(day, datetime.time(self.rnd.randint(7, 18),
                                                              self.rnd.randint(0, 59)))
            r, t = self.dispatch_row(i, at, s, prov, model=model)
            rows.append(r), texts.append(t), used.add(i)
        if extra:
            listed = sorted(i for i, d in oracle.disp.items()
                            if d["status"] == "OPEN" and d["at"].date() <= a)
            for what, prob in (("cancel", 0.3), ("earlier", 0.25), ("later", 0.12),
                               ("back", 0.15)):
                if self.rnd.random() >= prob:
                    continue
                pool = ([i for i, d in oracle.disp.items() if d["at"].date() > a]
                        if what == "back" else listed)
                pool = [i for i in pool if i not in used]
                if not pool:
                    continue
                i = self.rnd.choice(sorted(pool))
                d = oracle.disp[i]
                at, status = d["at"], d["status"]
                if what == "cancel":
                    status = "CANCELLED"
                elif what == "earlier":
                    at = at - DAY * self.rnd.randint(2, 9)
                elif what == "later":
                    at = datetime.datetime.combine(a + DAY * 2, at.time())
                else:
                    at = datetime.datetime.combine(a - DAY, at.time())
                r, t = self.dispatch_row(i, at, d["serial"], d["provider"], status, d["model"])
                rows.append(r), texts.append(t), used.add(i)
            if self.rnd.random() < 0.15:       # a rejected row: impossible date
                i = self.fid("X")
                rows.append({"id": i, "bad": True})
                texts.append([i, "2026-13-01 09:00",
                              "iPF8400S", "S01", "D01", "C", "1", "P", "OPEN"])
        return self.file("dispatches", name or "dispatches_%s.csv" % iso(a), DSP_HDR,
                         rows, texts)

    def submitted(self, a):
        self.minute = (self.minute + 7) % (11 * 60)
        return datetime.datetime.combine(a, datetime.time(8 + self.minute // 60,
                                                          self.minute % 60))

    def closeout(self, a, dealer, dispatch, serial, completed, tech="Tech", hours="1.5",
                 submitted=None, us=False):
        sub = submitted or self.submitted(a)
        r = {"dealer": dealer, "dispatch": dispatch, "serial": serial, "completed": completed,
             "tech": tech, "hours": hours not in ("", "0"), "resolution": "R1",
             "submitted": sub, "key": (dealer, dispatch or None, sub)}
        r["dispatch"] = dispatch or None
        when = sub.strftime("%m/%d/%Y %H:%M") if us else sub.strftime("%Y-%m-%d %H:%M")
        return r, [dealer, when, dispatch, serial, "iPF8400S",
                   iso(completed) if completed else "", tech, hours, "R1", ""]

    def closeouts(self, a, oracle, name=None):
        rows, texts, keys = [], [], set()

        def add(rt):
            if rt[0]["key"] not in keys:
                keys.add(rt[0]["key"])
                rows.append(rt[0]), texts.append(rt[1])
        current = {i: d for i, d in oracle.disp.items() if d["at"].date() <= a}
        for i in sorted(current):
            d = current[i]
            if self.rnd.random() >= 0.22:
                continue
            p = self.rnd.random()
            dealer = d["provider"] or "D01"
            if p < 0.55:
                add(self.closeout(a, dealer, i, d["serial"].lower(), a, us=p < 0.1))
            elif p < 0.65:
                other = "D0%d" % (int(dealer[-1]) % 4 + 1)
                add(self.closeout(a, other, i, d["serial"], a))
            elif p < 0.82:
                rt = self.closeout(a, dealer, i, d["serial"], a, tech="")
                self.incomplete.append(rt)
                add(rt)
            elif p < 0.88:
                add(self.closeout(a, dealer, i, "S99", a))
            elif p < 0.94:
                add(self.closeout(a, dealer, i, d["serial"], d["at"].date() - DAY))
            else:
                add(self.closeout(a, dealer, i, d["serial"], a, hours="0"))
        if self.rnd.random() < 0.3 or not self.minute_used:
            add(self.closeout(a, "D02", self.rnd.choice(["", "ZZ404"]), "S02", a))
        self.minute_used = True
        if self.incomplete and self.rnd.random() < 0.5:
            # the same form sent again, complete: supersedes (same key)
            r, t = self.incomplete.pop(0)
            if r["submitted"].date() <= a:
                add(self.closeout(a, r["dealer"], r["dispatch"], r["serial"],
                                  r["completed"], submitted=r["submitted"]))
        if not rows:
            return None
        return self.file("closeouts", name or "closeouts_%s.csv" % iso(a), CLO_HDR, rows, texts)


# ------------------------------------------------------------ workbooks

def rows_of(ws):
    it = ws.iter_rows(values_only=True)
    head = next(it)
    return [dict(zip(head, r)) for r in it]


def summary_trend(ws):
    rows = list(ws.iter_rows(values_only=True))
    start = [k for k, r in enumerate(rows) if isinstance(r[0], str)
             and r[0].startswith("Trend")]
    eq(len(start), 1, "one trend table")
    head_row = start[0] + 1
    eq(list(rows[head_row][:8]), ["As of", "Unclosed calls"] + [b[2] for b in BUCKETS],
       "trend header")
    out = []
    k = head_row + 1
    split = 0
    while k < len(rows) and isinstance(rows[k][0], datetime.datetime):
        out.append((rows[k][0].date(), tuple(rows[k][1:8])))
        k += 1
        # After 30 reports, the header again atop the next printed page
        # (README "The workbooks, page by page"; fix62).
        if len(out) == 30 and k < len(rows) and rows[k][:8] == rows[head_row][:8]:
            split = k + 1
            k += 1
    eq(split != 0, len(out) > 30, "the trend's header repeated after 30 rows")
    # 1-based first data row, last data row, the repeated header's (0: none)
    return out, head_row + 2, k, split


def trend_chart_refs(path):
    """The cell ranges of the stacked (trend) chart's series."""
    with zipfile.ZipFile(path) as z:
        for n in sorted(z.namelist()):
            if re.match(r"xl/charts/chart\d+\.xml$", n):
                x = z.read(n).decode()
                if 'grouping val="stacked"' in x:
                    return re.findall(r"<c:f>([^<]*)</c:f>", x)
    return None


def audit_files(ws):
    rows = list(ws.iter_rows(values_only=True))
    k = [i for i, r in enumerate(rows) if r[0] == "File" and r[1] == "Kind"][0] + 1
    files = []
    while rows[k][0] not in (None, "Warnings"):
        r = rows[k]
        if r[0] != "(none)":
            files.append((r[0], r[6], r[3], r[4], r[5]))
        k += 1
    t = [i for i, r in enumerate(rows) if r[0] == "Database totals since its first import"][0]
    tot = {r[0]: r[1:3] for r in rows[t + 1:t + 5]}
    return files, tot, rows


class Month:
    def __init__(self, t):
        self.t, self.o, self.g = t, Oracle(), Feeds()
        self.g.reg_on = {}
        self.db = t.p("svc.db")
        self.out = t.p("out")
        self.nightly = {}        # as-of -> audit files first written
        self.last_files = []     # the previous regular night's files (re-delivered)
        self.runs = 0
        self.seen = set()        # what the nights exercised (none vacuous)

    def run(self, a, files, from_=None, code=0, redeliver=True):
        inbox = self.t.p("in%03d" % self.runs)
        self.runs += 1
        os.makedirs(inbox)
        given = (self.last_files if redeliver else []) + [f for f in files if f]
        for f in given:
            with open(os.path.join(inbox, f["name"]), "w") as h:
                h.write(f["text"])
        # the order `run` imports them: kind, then byte order of name
        for f in sorted(given, key=lambda f: (KINDS.index(f["kind"]), f["name"].encode())):
            self.o.deliver(f, a)
        args = ["run", "--db", self.db, "--inbox", inbox, "--out", self.out,
                "--as-of", iso(a), "--quiet"]
        if from_:
            args += ["--from", iso(from_)]
        r = svc(*args)
        eq(r.code, code, "night %s: %r" % (a, r))
        rep = self.o.report(a, from_)
        self.check(rep, from_)
        self.o.record(rep)
        if a not in self.nightly:
            self.nightly[a] = self.o.night(a)
        return r

    def check(self, rep, from_):
        a, o = rep["as_of"], self.o
        what = "as of %s: " % a
        ub = openpyxl.load_workbook(os.path.join(self.out, "unclosed_calls_%s.xlsx" % iso(a)))
        got = {r["Dispatch ID"]: (r["Days open"], r["Aging bucket"], r["Closeout attempts"],
                                  r["Source file"], r["Source line"])
               for r in rows_of(ub["Unclosed calls"])}
        eq(got, rep["unclosed"], what + "Unclosed calls")
        summ = ub["Summary"]
        prev_line = [c.value for c in summ["A"][:8] if isinstance(c.value, str) and
                     (c.value.startswith("Compared") or c.value.startswith("No earlier"))][0]
        if rep["prev"] is None:
            check(prev_line.startswith("No earlier report"), what + prev_line)
        else:
            eq(prev_line, "Compared with the report as of %s" % iso(rep["prev"]),
               what + "Summary's previous report")
        ch = [(r["Change"], r["Dispatch ID"], r["Previous bucket"], r["Bucket"], r["Closed by"])
              for r in rows_of(ub["Changes"])]
        kinds = [c[0] for c in ch]
        eq(kinds, sorted(kinds, key=["Newly unclosed", "Closed", "Bucket moved"].index),
           what + "Changes: newly unclosed, then closed, then bucket moved")
        eq(sorted(ch, key=repr), sorted(rep["changes"], key=repr), what + "Changes")
        for c in ch:
            self.seen.add(c[0] if c[0] != "Closed" else "closed: " + {
                "closeout accepted": "closeouts",
                "dispatch cancelled": "cancelled"}.get(
                    c[4].split(" (")[0], c[4].split(" (")[0]))
        eq([c for c in ch if c[0] != "Closed"], [c for c in rep["changes"] if c[0] != "Closed"],
           what + "Changes order (oldest first)")
        # Trend: the recorded reports before A (at most 59) and A itself
        trend, first, stop, split = summary_trend(summ)
        before = sorted(d for d in o.recorded if d < a)[-59:]
        want = []
        for d in before + [a]:
            calls = (o.recorded[d]["unclosed"].values() if d != a
                     else [(u[0], u[1]) for u in rep["unclosed"].values()])
            per = [sum(1 for c in calls if c[1] == b[2]) for b in BUCKETS]
            want.append((d, tuple([sum(per)] + per)))
        eq(trend, want, what + "Trend")
        check(len(trend) <= 60, what + "at most 60 trend rows")
        refs = trend_chart_refs(os.path.join(self.out, "unclosed_calls_%s.xlsx" % iso(a)))
        check(refs is not None or len(trend) == 1, what + "a trend chart")
        rng = set()
        for ref in refs or []:
            # a range, or around the repeated header a union of two
            parts = ref[1:-1].split(",") if ref.startswith("(") else [ref]
            got = []
            for part in parts:
                m = re.match(r"'?Summary'?!\$([A-Z]+)\$(\d+)(?::\$([A-Z]+)\$(\d+))?$", part)
                check(m, what + "chart ref " + ref)
                if m.group(3) is None:
                    if len(parts) > 1:          # one row after the header
                        got.append((int(m.group(2)), int(m.group(2))))
                    continue                    # else a series name
                eq(m.group(1), m.group(3), what + ref)
                got.append((int(m.group(2)), int(m.group(4))))
            if got:
                rng.add(tuple(got))
        want = (((first, split - 1), (split + 1, stop)) if split
                else ((first, stop),))
        eq(rng, {want} if refs else set(), what + "trend chart ranges = the table's rows")
        nb = openpyxl.load_workbook(os.path.join(self.out, "non_compensable_%s.xlsx" % iso(a)))
        got = {}
        for r in rows_of(nb["Non-compensable"]):
            key = (r["Dealer"], r["Dispatch ID"], r["Submitted"])
            got[key] = (r["Reason"], r["All reasons"], r["New"])
        eq(got, {k: v + (rep["new"][k],) for k, v in rep["nc"].items()},
           what + "Non-compensable")
        self.seen.update(v[1] for v in rep["nc"].values())
        self.seen.update("New " + str(v) for v in rep["new"].values())
        self.seen.update(e[1] for e in rep["exc"])
        ab = openpyxl.load_workbook(os.path.join(self.out, "audit_%s.xlsx" % iso(a)))
        got = {(r["Dispatch ID"], r["Exception"]) for r in rows_of(ab["Registration exceptions"])}
        eq(got, rep["exc"], what + "Registration exceptions")
        files, tot, _ = audit_files(ab["Run"])
        night = o.night(a)
        eq(files, [v[:1] + v[2:6] for v in night], what + "audit: the night's files")
        self.seen.update("file " + v[2] for v in night)
        rej = sorted((r["File"], r["Line"]) for r in rows_of(ab["Rejected rows"]))
        eq(rej, sorted((v[0], ln) for v in night for ln in v[6]), what + "Rejected rows")
        eq(tot, {"Files imported": (o.totals[0] + o.totals[1],
                                    "%d loaded, %d refused" % (o.totals[0], o.totals[1])),
                 "Rows read": (o.totals[2], None), "Rows loaded": (o.totals[3], None),
                 "Rows rejected": (o.totals[4], None)}, what + "database totals")

    def regular(self, a, i, **kw):
        files = self.night_files(a, i)
        r = self.run(a, files, **kw)
        self.last_files = files
        return r

    def killed(self, a, i):
        """A night killed once its files are imported (before its report),
        then run again by the scheduler: the same inbox, every file skipped."""
        files = self.night_files(a, i)
        inbox = self.t.p("in%03d" % self.runs)
        self.runs += 1
        os.makedirs(inbox)
        given = self.last_files + files
        for f in given:
            with open(os.path.join(inbox, f["name"]), "w") as h:
                h.write(f["text"])
        for f in sorted(given, key=lambda f: (KINDS.index(f["kind"]), f["name"].encode())):
            self.o.deliver(f, a)
        landed, text = kill_on(cmd("run", "--db", self.db, "--inbox", inbox, "--out", self.out,
                                   "--as-of", iso(a)),
                               lambda text, pid: "reconciling as of" in text)
        check(landed, "the kill landed before the report was recorded: " + text)
        self.last_files = given
        return self.run(a, [], redeliver=True)

    def night_files(self, a, i):
        g = self.g
        files = []
        if i == 0 or g.rnd.random() < 0.12:
            files.append(g.registrations(a, i == 0))
        if i > 3 and g.rnd.random() < 0.2:
            late = a - DAY * 3
            files.append(g.dispatches(late, self.o, name="dispatches_%s_late.csv" % iso(late),
                                      extra=False))
        # the night's dispatches are generated against the oracle's state
        # after the late file: apply in order (files of a kind by name)
        for f in files:
            self.o_preview(f)
        files.append(g.dispatches(a, self.o_view))
        for f in files[-1:]:
            self.o_preview(f)
        files.append(g.closeouts(a, self.o_view))
        return [f for f in files if f]

    # the generator looks at a preview of the data (what will be current)
    def o_preview(self, f):
        if f is None:
            return
        for r in f["rows"]:
            if not r.get("bad") and f["kind"] == "dispatches":
                self.o_view.disp[r["id"]] = dict(r)


class _View:
    def __init__(self, o):
        self.disp = {i: dict(d) for i, d in o.disp.items()}


def test_a_month_of_nights():
    with Tmp() as t:
        m = Month(t)
        days = [START + DAY * k for k in range(40)] + [START + DAY * (47 + k) for k in range(30)]
        hole = START + DAY * 43             # in the week without a report
        for i, a in enumerate(days):
            m.o_view = _View(m.o)
            if i == 5:          # an empty inbox: a warning, the night's workbooks
                r = m.run(a, [], redeliver=False)
                check("no feed file" in r.err or "holds no" in r.err, r)
                continue
            if i == 9:          # the night's only file is refused
                bad = {"kind": "closeouts", "name": "closeouts_%s.csv" % iso(a),
                       "text": "dealer_id,submitted_at\nD01,%s 10:00\n" % iso(a),
                       "rows": [], "refused": True}
                bad["sha"] = __import__("hashlib").sha256(bad["text"].encode()).hexdigest()
                m.run(a, [bad], code=65, redeliver=False)
                continue
            if i == 30:
                m.killed(a, i)
                continue
            m.regular(a, i, from_=(a - DAY * 5) if i == 20 else None)
            if i == 15:
                # the same night, a second delivery, then a retry of it
                m.o_view = _View(m.o)
                extra = m.g.closeouts(a, m.o_view, name="closeouts_%s_b.csv" % iso(a))
                m.last_files = [f for f in m.last_files + [extra] if f]
                m.run(a, m.last_files, redeliver=False)
                books = ["%s_%s.xlsx" % (b, iso(a)) for b in
                         ("unclosed_calls", "non_compensable", "audit")]
                before = [sha256(os.path.join(m.out, b)) for b in books]
                m.run(a, [], redeliver=True)
                eq([sha256(os.path.join(m.out, b)) for b in books], before,
                   "a retry of the night with nothing new writes the same bytes")
            if i == 55:
                # a report as of a date in the week without reports, weeks
                # later, with a late file of that week
                m.o_view = _View(m.o)
                late = m.g.dispatches(hole - DAY, m.o_view,
                                      name="dispatches_%s_late.csv" % iso(hole - DAY),
                                      extra=False)
                m.run(hole, [late], redeliver=False)
                eq(m.o.previous(hole), days[39], "the backdated report follows the last before it")
        check(len(m.o.recorded) > 60, "more than 60 recorded reports")
        want = {"Newly unclosed", "Bucket moved", "closed: closeouts", "closed: cancelled",
                "closed: dispatched after the as-of date", "NO_DISPATCH",
                "DISPATCH_CANCELLED", "PROVIDER_MISMATCH", "SERIAL_MISMATCH",
                "SERVICE_BEFORE_DISPATCH", "INCOMPLETE_SECTION2", "DUPLICATE_CLOSEOUT",
                "New yes", "New no", "New None", "NO_REGISTRATION", "NOT_PROVIDER_OF_RECORD",
                "WMP_SELECTED", "MODEL_MISMATCH", "OVERLAPPING_REGISTRATION",
                "file loaded", "file skipped", "file refused"}
        eq(want - m.seen, set(), "the nights exercised every case")
        # an old night run again at the end, with a late file of that
        # night: its own files, the late one, its own previous report
        old = days[10]
        want = m.nightly[old]
        m.o_view = _View(m.o)
        late = m.g.dispatches(old, m.o_view, name="dispatches_%s_late2.csv" % iso(old),
                              extra=False)
        m.run(old, [late], redeliver=False)
        eq([v[0] for v in m.o.night(old)], [v[0] for v in want] + [late["name"]],
           "the oracle: night %s's files and the late one" % old)
        # explain without --as-of: the latest recorded report's date
        some = sorted(m.o.disp)[0]
        r = svc("explain", "--db", m.db, some)
        eq(r.code, 0, r)
        check("explain as of %s, the as-of date of the latest recorded report" % iso(days[-1])
              in r.err, r)
        check("as of %s" % iso(days[-1]) in r.out, r)


def test_an_old_night_run_again_with_a_late_file_lists_it():
    """`run --as-of A` for a night already reported, after later nights
    were (the analyst re-runs 1 March with a file CITS delivered late):
    the run loads the file and says its rejected row is "listed in the
    audit workbook", and its Unclosed calls list the file's call -- but
    its audit, whose night had ended, neither listed the file nor its
    rejected row (nor did a retry). The night of A now also holds what
    runs as of A delivered after it ended; the next regular night still
    lists it too (it was delivered since the latest report)."""
    with Tmp() as t:
        db, out = t.p("svc.db"), t.p("out")
        t.csv("in/registrations_1.csv", REG_HDR, ["D01,Acme,iPF8400S,S01,2025-01-01,N,"])
        nights = ["2026-03-0%d" % n for n in (1, 2, 3)]
        for n, a in enumerate(nights):
            t.csv("in/dispatches_%d.csv" % n, DSP_HDR,
                  ["Q%d,%s 09:00,iPF8400S,S01,D01,C,1,P,OPEN" % (n, a)])
            r = svc("run", "--db", db, "--inbox", t.p("in"), "--out", out, "--as-of", a,
                    "--quiet")
            eq(r.code, 0, r)
        before, _, _ = audit_files(openpyxl.load_workbook(
            os.path.join(out, "audit_%s.xlsx" % nights[0]))["Run"])
        t.csv("late/dispatches_0b.csv", DSP_HDR, [
            "L1,2026-03-01 19:00,iPF8400S,S01,D01,C,1,P,OPEN",
            "L2,2026-03-01 19:30,iPF8400S,S01,D01,C,1,P,MAYBE"])
        for attempt in ("run", "retry"):
            r = svc("run", "--db", db, "--inbox", t.p("late"), "--out", out,
                    "--as-of", nights[0])
            eq(r.code, 0, r)
            if attempt == "run":
                check("1 rejected, listed in the audit workbook" in r.err, r)
            book = os.path.join(out, "audit_%s.xlsx" % nights[0])
            ab = openpyxl.load_workbook(book)
            files, _, _ = audit_files(ab["Run"])
            eq(files, before + [("dispatches_0b.csv", "loaded", 2, 1, 1)],
               "%s: the night's files and the late one its run loaded" % attempt)
            eq([(r["File"], r["Line"]) for r in rows_of(ab["Rejected rows"])],
               [("dispatches_0b.csv", 3)], attempt + ": its rejected row")
            ub = openpyxl.load_workbook(os.path.join(out, "unclosed_calls_%s.xlsx" % nights[0]))
            check("L1" in [r["Dispatch ID"] for r in rows_of(ub["Unclosed calls"])], attempt)
            r = svc("explain", "--db", db, "--as-of", nights[0], "L2")
            eq(r.code, 65, r)
            check("listed under Rejected rows in audit_%s.xlsx" % nights[0] in r.err, r)
            if attempt == "run":
                digest = sha256(book)
            else:
                eq(sha256(book), digest, "the retry writes the same bytes")
        # the next regular night: its own files, and the late one (it was
        # delivered since the report as of 2026-03-03)
        t.csv("in/dispatches_3.csv", DSP_HDR, ["Q3,2026-03-04 09:00,iPF8400S,S01,D01,C,1,P,OPEN"])
        r = svc("run", "--db", db, "--inbox", t.p("in"), "--out", out, "--as-of", "2026-03-04",
                "--quiet")
        eq(r.code, 0, r)
        ab = openpyxl.load_workbook(os.path.join(out, "audit_2026-03-04.xlsx"))
        files, _, _ = audit_files(ab["Run"])
        eq(sorted((f[0], f[1]) for f in files),
           [("dispatches_0.csv", "skipped"), ("dispatches_0b.csv", "loaded"),
            ("dispatches_1.csv", "skipped"), ("dispatches_2.csv", "skipped"),
            ("dispatches_3.csv", "loaded"), ("registrations_1.csv", "skipped")],
           "the next night")
        # and night 2, reported again, keeps its own files
        r = svc("report", "--db", db, "--out", t.p("again"), "--as-of", nights[1])
        eq(r.code, 0, r)
        eq(audit_files(openpyxl.load_workbook(
            os.path.join(t.p("again"), "audit_%s.xlsx" % nights[1]))["Run"])[0],
           audit_files(openpyxl.load_workbook(
               os.path.join(out, "audit_%s.xlsx" % nights[1]))["Run"])[0], "night 2")

def test_explain_reads_a_version_6_database_as_it_is():
    """explain only reads: on a database of schema version 6 (before
    delivery.night_as_of_day), the story of a call whose row was rejected
    still names the audit that lists it, instead of failing on the
    missing column."""
    with Tmp() as t:
        db = t.p("svc.db")
        t.csv("in/dispatches_1.csv", DSP_HDR, ["R1,2026-03-01 09:00,iPF8400S,S01,D01,C,1,P,NO"])
        r = svc("run", "--db", db, "--inbox", t.p("in"), "--out", t.p("out"),
                "--as-of", "2026-03-01", "--quiet")
        eq(r.code, 0, r)
        con = connect(db)
        try:
            con.execute("ALTER TABLE delivery DROP COLUMN night_as_of_day")
            con.execute("DROP TABLE inbox_note")             # version 8
            undo_version_9(con)                              # version 9
            if ON_PG:
                con.execute("UPDATE schema_version SET version = 6")
            else:
                con.execute("PRAGMA user_version = 6")
                con.commit()
        finally:
            con.close()
        eq(schema_version(db), 6)
        r = svc("explain", "--db", db, "R1")
        eq(r.code, 65, r)
        check("listed under Rejected rows in audit_2026-03-01.xlsx" in r.err, r)
        eq(schema_version(db), 6, "explain only reads")


main(globals())
