#!/usr/bin/python3
"""t9990 -- QA pass 40: a year of nights.

svcrecon runs every night for years; every other suite runs a few nights.
This one lives 400 nights quickly with small data (a few rows a night):
2027-01-28 .. 2028-03-02, across the year end and the leap day 2028-02-29,
with corrections (superseded dispatch versions, re-dated and cancelled
calls, one call re-sent every 25 nights, duplicate closeouts across nights,
the same form re-sent, registrations removed, dealers renamed).

The schedule (400 `run`s took ~110 s here, over the ~90 s budget): before
night DAILY a `run` every tenth night, the files of the nights between
waiting in the inbox, and on nights n % 20 == 13 the waiting dispatch files
given to `import` instead; from night DAILY (2027-12-14) a `run` every
night but two skipped ones (their files wait), three nights run twice
(nothing new: "up to date"), one night run again with a late file. Dispatch
files are dated (`dispatches_2027-12-31.csv`); closeouts are dated while
nights wait, then `closeouts.csv` every night, replaced (undated); a skipped
night's is kept by the operator as `closeouts_DATE.csv`.

The year is lived once (`year()`); each test then checks one thing of it.
The oracle (class Oracle) is SPEC §3 written from its words over the feed
rows this suite generated, in the order `run` imports them (SPEC §5), not
from svcrecon's SQL.

Where a run's time or the database's size stands is printed by
test_live_the_year (figures, not assertions: the machine is shared).

Last line: "N passed, N failed, N skipped".
"""
import atexit
import datetime
import hashlib
import json
import os
import random
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, REG_HDR, ON_PG, Tmp, check, eq,  # noqa: E402
                     main, query, sha256, svc, validate_summary)
import xlsx_helpers as xh  # noqa: E402

SEED = 40
LAST = datetime.date(2028, 3, 2)
N_NIGHTS = 400
DAILY = 321                           # from this night on, a run every night
SKIPPED = {371, 385}                  # nights of the daily stretch not run
TWICE = {150, 320, 399}               # run twice, nothing new the second time
LATE = 330                            # run again with a late dispatch file
IMPORTED = 13                         # nights n % 20 == 13 before DAILY: `import`
SUMMARY_AT = {310, 330, 400}
ORACLE_AT = {100, 250, DAILY, 331, 338, 339, 396, 400}


def is_run(night):
    """Before DAILY a run every tenth night (the files of the nights between
    wait in the inbox, or were given to `import`); then every night."""
    if night >= DAILY:
        return night not in SKIPPED
    return night % 10 == 0 or night == 1


DEALERS = ["CA%02d" % i for i in range(1, 6)]
MODELS = ["iPF8400S", "iPF9400"]
BUCKETS = [(0, 7), (8, 14), (15, 30), (31, 60), (61, 90), (91, None)]
END = datetime.time(23, 59, 59)


def bucket(days):
    for lo, hi in BUCKETS:
        if days >= lo and (hi is None or days <= hi):
            return "%d-%d" % (lo, hi) if hi is not None else "%d+" % lo
    raise AssertionError(days)


def norm(s):
    return s.strip().upper().replace(" ", "").replace("-", "")


def parse_dt(s):
    s = s.strip()
    if len(s) == 10:
        return datetime.datetime.strptime(s, "%Y-%m-%d")
    return datetime.datetime.strptime(s, "%Y-%m-%d %H:%M")


# ---- the oracle: SPEC §3 from its words ------------------------------------

class Oracle:
    """Every loaded row version in import order (file seq, line)."""

    def __init__(self):
        self.shas = set()
        self.seq = 0
        self.disp = []   # (seq, name, line, dict)
        self.clo = []
        self.reg = []

    def run(self, inbox):
        """What `run` imports of inbox (SPEC §5 order), recorded."""
        loaded = []
        for kind in ("registrations", "dispatches", "closeouts"):
            for name in sorted(n for n in os.listdir(inbox)
                               if n.startswith(kind) and n.endswith(".csv")):
                path = os.path.join(inbox, name)
                h = sha256(path)
                if h in self.shas:
                    continue
                self.shas.add(h)
                self._load(kind, path)
                loaded.append(name)
        return loaded

    def import_(self, kind, path):
        h = sha256(path)
        if h not in self.shas:
            self.shas.add(h)
            self._load(kind, path)

    def _load(self, kind, path):
        self.seq += 1
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        hdr = lines[0].split(",")
        for i, ln in enumerate(lines[1:]):
            rec = dict(zip(hdr, ln.split(",")))
            getattr(self, {"registrations": "reg", "dispatches": "disp",
                           "closeouts": "clo"}[kind]).append(
                (self.seq, name, i + 2, rec))

    def state(self, a):
        cur = {}
        for v in self.disp:
            cur[v[3]["dispatch_id"]] = v             # later import supersedes
        curc = {}
        for v in self.clo:
            r = v[3]
            curc[(r["dealer_id"], r["dispatch_id"],
                  parse_dt(r["submitted_at"]))] = v
        end = datetime.datetime.combine(a, END)
        live = {i: v for i, v in cur.items()
                if parse_dt(v[3]["dispatched_at"]).date() <= a}
        reasons = {}
        for key, v in curc.items():
            c = v[3]
            if key[2] > end:
                continue
            rs = []
            d = live.get(c["dispatch_id"].strip()) if c["dispatch_id"].strip() else None
            if d is None:
                rs.append("NO_DISPATCH")
            else:
                dr = d[3]
                if dr["status"].strip().upper() == "CANCELLED":
                    rs.append("DISPATCH_CANCELLED")
                if c["dealer_id"] != dr["provider_id"]:
                    rs.append("PROVIDER_MISMATCH")
                if c["serial_number"].strip() and \
                        norm(c["serial_number"]) != norm(dr["serial_number"]):
                    rs.append("SERIAL_MISMATCH")
                if c["completed_on"].strip() and \
                        parse_dt(c["completed_on"]).date() < \
                        parse_dt(dr["dispatched_at"]).date():
                    rs.append("SERVICE_BEFORE_DISPATCH")
            blank = [k for k in ("serial_number", "completed_on", "technician",
                                 "labor_hours", "resolution_code")
                     if not c[k].strip() or (k == "labor_hours" and float(c[k]) == 0)]
            if blank:
                rs.append("INCOMPLETE_SECTION2")
            reasons[key] = rs
        accepted = {}
        for key, rs in reasons.items():
            if rs:
                continue
            v = curc[key]
            best = accepted.get(key[1])
            if best is None or (key[2], v[0], v[2]) < best[0]:
                accepted[key[1]] = ((key[2], v[0], v[2]), key)
        acc_keys = {k for _, k in accepted.values()}
        for key, rs in reasons.items():
            if not rs and key not in acc_keys:
                rs.append("DUPLICATE_CLOSEOUT")
        unclosed = []
        for i, v in live.items():
            r = v[3]
            if r["status"].strip().upper() in ("", "OPEN") and i not in accepted:
                at = parse_dt(r["dispatched_at"])
                tries = sum(1 for k in reasons if k[1] == i)
                unclosed.append((at, i, (a - at.date()).days,
                                 bucket((a - at.date()).days),
                                 r["provider_id"] or None, tries, v[1], v[2]))
        unclosed.sort()
        noncomp = sorted((k[0], k[1], k[2], rs[0], ";".join(rs),
                          curc[k][1], curc[k][2])
                         for k, rs in reasons.items() if rs)
        closed_by = {i: "closeout accepted (%s line %d)"
                        % (curc[k][1], curc[k][2])
                     for i, (_, k) in accepted.items()}
        return unclosed, noncomp, closed_by, cur


# ---- the generator -----------------------------------------------------------

class Year:
    """Lives the year: writes each night's files into the inbox, runs it,
    keeps what each run said."""

    def __init__(self):
        self.t = Tmp()
        self.rng = random.Random(SEED)
        self.db = self.t.p("svc.db")
        self.inbox = self.t.p("in")
        self.out = self.t.p("out")
        self.arch = self.t.p("archive")
        os.makedirs(self.inbox)
        os.makedirs(self.arch)
        self.o = Oracle()
        self.runs = {}          # as-of -> [Run, ...]
        self.loaded = {}        # as-of -> [names the oracle saw loaded]
        self.books = {}         # as-of -> {workbook: sha256} as written that night
        self.times = {}         # night number -> seconds of its run
        self.sizes = {}         # night number -> database bytes after it
        self.serials = {}       # serial -> (dealer, model, registered_on)
        self.calls = {}         # id -> dict of its current fields (generator)
        self.closed = set()
        self.many = "D000007"   # the call corrected every few weeks
        self.many_versions = 0
        self.n = 0
        self.imports = []       # (day, name) given to `import`
        self.last_loaded = {}   # as-of -> files its last run loaded
        self.seen = {}          # as-of -> [(inbox file, loaded/skipped)] of its runs
        self.listed = {}        # as-of -> {unclosed id: bucket} (oracle)
        self.states = {}        # as-of -> the oracle's state after its last run
        self.day_of = {}        # night number -> date

    # -- feeds
    def reg_rows(self, night, day):
        rows = []
        if night == 1:
            for k in range(30):
                s = "AFK%05d" % k
                d = DEALERS[k % 5]
                m = MODELS[k % 2]
                self.serials[s] = (d, m, "2026-01-01")
                rows.append("%s,Dealer %s,%s,%s,2026-01-01,%s," % (
                    d, d, m, s, "Y" if k == 29 else "N"))
        elif night % 60 == 0:           # a dealer renamed (same key re-sent)
            d = DEALERS[(night // 60) % 5]
            for s, (dd, m, on) in sorted(self.serials.items()):
                if dd == d:
                    rows.append("%s,Dealer %s renamed %d,%s,%s,%s,N," % (
                        d, d, night, m, s, on))
        elif night % 45 == 0:           # a registration removed
            s = "AFK%05d" % (night % 29)
            d, m, on = self.serials[s]
            rows.append("%s,,%s,%s,%s,N,%s" % (d, m, s, on, day.isoformat()))
        return rows

    def disp_row(self, i, at, status="OPEN"):
        c = self.calls[i]
        c["at"] = at
        c["status"] = status
        return "%s,%s,%s,%s,%s,Cust %s,02108,P,%s" % (
            i, at.strftime("%Y-%m-%d %H:%M"), c["model"], c["serial"],
            c["provider"], i, status)

    def disp_rows(self, night, day):
        rows, seen = [], set()
        for k in range(4):
            self.n += 1
            i = "D%06d" % self.n
            s = "AFK%05d" % self.rng.randrange(30)
            d, m, _ = self.serials[s]
            if self.rng.random() < 0.05:
                d = ""                              # no provider of record
            self.calls[i] = dict(serial=s, model=m, provider=d)
            at = datetime.datetime.combine(day, datetime.time(8 + k, 15))
            rows.append(self.disp_row(i, at))
            seen.add(i)
        open_ = sorted(i for i in self.calls if i not in seen and
                       i not in self.closed and i != self.many)
        for _ in range(2):                          # corrections
            if not open_:
                break
            i = self.rng.choice(open_[-40:])
            if i in seen:
                continue
            seen.add(i)
            c = self.calls[i]
            x = self.rng.random()
            if x < 0.4:
                rows.append(self.disp_row(i, c["at"], "CANCELLED"))
                self.closed.add(i)
            elif x < 0.7:                            # re-dated, a day either way
                at = c["at"] + datetime.timedelta(days=self.rng.choice((-1, 1)))
                rows.append(self.disp_row(i, at, c["status"]))
            else:                                    # re-sent as it is
                rows.append(self.disp_row(i, c["at"], c["status"]))
        if night >= 2 and night % 25 == 0:          # the call corrected many times
            self.many_versions += 1
            c = self.calls[self.many]
            at = c["at"] + datetime.timedelta(hours=1)
            status = "CANCELLED" if night == 375 else "OPEN"
            rows.append(self.disp_row(self.many, at, status))
        return rows

    def clo_rows(self, night, day):
        rows, keys = [], set()
        for i, c in sorted(self.calls.items()):
            if i in self.closed or c["status"] != "OPEN" or i == self.many:
                continue
            age = (day - c["at"].date()).days
            if age < 1 or age > 20:
                continue
            if self.rng.random() > 0.3:
                continue
            at = datetime.datetime.combine(day, datetime.time(10, 0))
            x = self.rng.random()
            dealer = c["provider"] or DEALERS[0]
            hours = "1.5"
            if x < 0.08:
                dealer = DEALERS[(DEALERS.index(dealer) + 1) % 5]
            elif x < 0.14:
                hours = ""
            key = (dealer, i, at)
            if key in keys:
                continue
            keys.add(key)
            rows.append("%s,%s,%s,%s,%s,%s,T%d,%s,R1," % (
                dealer, at.strftime("%Y-%m-%d %H:%M"), i, c["serial"].lower(),
                c["model"], day.isoformat(), night, hours))
            if dealer == c["provider"] and hours:
                self.closed.add(i)
                c["form"] = (dealer, at, day)
        # a closed call closed out again on a later night (DUPLICATE_CLOSEOUT),
        # and a form re-sent with the same key (supersedes, same hours)
        done = sorted(i for i in self.closed if "form" in self.calls[i])
        if done and night % 3 == 0:
            i = self.rng.choice(done[-30:])
            c = self.calls[i]
            at = datetime.datetime.combine(day, datetime.time(11, 0))
            rows.append("%s,%s,%s,%s,%s,%s,T,2.0,R2," % (
                c["form"][0], at.strftime("%Y-%m-%d %H:%M"), i, c["serial"],
                c["model"], day.isoformat()))
        if done and night % 7 == 0:
            i = self.rng.choice(done[-30:])
            c = self.calls[i]
            dealer, at, on = c["form"]
            if (dealer, i, at) not in keys:
                rows.append("%s,%s,%s,%s,%s,%s,T,1.5,R1,re-sent" % (
                    dealer, at.strftime("%Y-%m-%d %H:%M"), i, c["serial"],
                    c["model"], on.isoformat()))
        return rows

    def deliver(self, night, day):
        r = self.reg_rows(night, day)
        if r:
            self.t.csv("in/registrations_%s.csv" % day.isoformat(), REG_HDR, r)
        self.t.csv("in/dispatches_%s.csv" % day.isoformat(), DSP_HDR,
                   self.disp_rows(night, day))
        c = self.clo_rows(night, day)
        if night < DAILY:               # dated closeouts while nights wait
            self.t.csv("in/closeouts_%s.csv" % day.isoformat(), CLO_HDR, c)
            return
        path = os.path.join(self.inbox, "closeouts.csv")
        if os.path.exists(path):        # a skipped night's: the operator keeps it
            os.rename(path, os.path.join(self.inbox, "closeouts_%s.csv" %
                                         (day - datetime.timedelta(days=1)).isoformat()))
        self.t.csv("in/closeouts.csv", CLO_HDR, c)

    def import_(self, night, day):
        """`import` of the dispatch files waiting in the inbox (name order,
        as a shell's glob gives them), then out of the inbox."""
        names = sorted(n for n in os.listdir(self.inbox)
                       if n.startswith("dispatches"))
        paths = [os.path.join(self.inbox, n) for n in names]
        for p in paths:
            self.o.import_("dispatches", p)
        r = svc("import", "--db", self.db, "--kind", "dispatches", *paths)
        check(r.code == 0, "night %d import: %r" % (night, r))
        for n, p in zip(names, paths):
            self.imports.append((day, n))
            shutil.move(p, os.path.join(self.arch, "imported_" + n))

    def run(self, night, day, extra=()):
        a = day.isoformat()
        args = ["run", "--db", self.db, "--inbox", self.inbox, "--out",
                self.out, "--as-of", a] + list(extra)
        if night in SUMMARY_AT:
            args += ["--summary", self.t.p("sum_%s.json" % a)]
        loaded = self.o.run(self.inbox)
        self.last_loaded[a] = len(loaded)
        self.seen.setdefault(a, []).extend(
            (n, "loaded" if n in loaded else "skipped")
            for k in ("registrations", "dispatches", "closeouts")
            for n in sorted(os.listdir(self.inbox)) if n.startswith(k))
        t0 = time.monotonic()
        r = svc(*args)
        self.times[night] = time.monotonic() - t0
        self.runs.setdefault(a, []).append(r)
        st = self.o.state(day)
        self.listed[day] = {u[1]: u[3] for u in st[0]}
        self.states[day] = st
        self.loaded.setdefault(a, []).extend(loaded)
        return r

    def archive(self):
        for n in os.listdir(self.inbox):
            shutil.move(os.path.join(self.inbox, n),
                        os.path.join(self.arch, "%d_%s" % (len(os.listdir(self.arch)), n)))

    def live(self):
        t0 = time.monotonic()
        first = LAST - datetime.timedelta(days=N_NIGHTS - 1)
        self.first = first
        for night in range(1, N_NIGHTS + 1):
            day = first + datetime.timedelta(days=night - 1)
            self.day_of[night] = day
            self.deliver(night, day)
            if night < DAILY and night % 20 == IMPORTED:
                self.import_(night, day)
            if not is_run(night):
                continue
            r = self.run(night, day)
            check(r.code == 0, "night %d (%s): %r" % (night, day, r))
            self.books[day] = {n: sha256(os.path.join(self.out, n)) for n in
                               ("unclosed_calls_%s.xlsx" % day,
                                "non_compensable_%s.xlsx" % day,
                                "audit_%s.xlsx" % day)}
            if night in TWICE:
                r2 = self.run(night, day)
                check(r2.code == 0 and "up to date" in r2.err, repr(r2))
            if night == LATE:
                # CITS sends a part of the night before late, after the run
                self.late_day = day
                self.late_name = "dispatches_%s_late.csv" % (
                    day - datetime.timedelta(days=1)).isoformat()
                # (the call corrected many times, and tonight's last call)
                last = "D%06d" % self.n
                self.t.csv("in/" + self.late_name, DSP_HDR,
                           [self.disp_row(self.many, self.calls[self.many]["at"]
                                          + datetime.timedelta(minutes=5)),
                            self.disp_row(last, self.calls[last]["at"],
                                          "CANCELLED")])
                self.many_versions += 1
                self.late_run = self.run(night, day)
                check(self.late_run.code == 0, repr(self.late_run))
                self.books[day] = {n: sha256(os.path.join(self.out, n))
                                   for n in self.books[day]}
            if not ON_PG:
                self.sizes[night] = os.path.getsize(self.db)
            self.archive()
        self.elapsed = time.monotonic() - t0


_YEAR = []


def year():
    if not _YEAR:
        y = Year()
        atexit.register(lambda: y.t.__exit__(None, None, None))
        y.live()
        _YEAR.append(y)
    return _YEAR[0]


def rows_of(path, sheet):
    """The listing sheet as dicts by header."""
    wb = xh.load(path)
    ws = wb[sheet]
    hdr = xh.header(ws)
    return [dict(zip(hdr, r)) for r in xh.listing(ws)]


def cells(path, sheet):
    wb = xh.load(path)
    return [[v for v in r if v is not None]
            for r in wb[sheet].iter_rows(values_only=True)]


def book(day, kind, out=None):
    return os.path.join(out or year().out, "%s_%s.xlsx" % (kind, day.isoformat()))


def night_day(n):
    return year().day_of[n]


def prev_report(day):
    before = [d for d in year().states if d < day]
    return max(before) if before else None


def test_live_the_year():
    """Guard: every night of the year ran (exit 0), a night run twice with
    nothing new says its workbooks are up to date."""
    y = year()
    print("  %d runs, %d imports in %.1f s; run of night %d %.3f s, night 400 "
          "%.3f s; database %s bytes after night %d, %s after night 400" % (
              sum(len(v) for v in y.runs.values()), len(y.imports), y.elapsed,
              DAILY, y.times[DAILY], y.times[400], y.sizes.get(DAILY), DAILY,
              y.sizes.get(400)))
    print("  svcrecon's own time: %.1f s; runs of nights %s: %s" % (
        sum(y.times.values()), sorted(y.times)[:3] + [DAILY, 330, 400],
        ["%.3f" % y.times[n] for n in sorted(y.times)[:3] + [DAILY, 330, 400]]))
    for a, rs in sorted(y.runs.items()):
        for r in rs:
            eq(r.code, 0, "run as of %s: %r" % (a, r))
    eq(len(y.runs[night_day(150).isoformat()]), 2, "night 150 ran twice")


def test_oracle_listings_of_chosen_nights():
    """Guard: Unclosed calls and Non-compensable of chosen nights (the
    workbooks written that night) row for row against SPEC §3 worked out
    here from the generated feed rows."""
    y = year()
    for n in sorted(ORACLE_AT):
        day = night_day(n)
        unclosed, noncomp = y.states[day][0], y.states[day][1]
        got = [(r["Dispatched"], r["Dispatch ID"], r["Days open"],
                r["Aging bucket"], r["Provider"], r["Closeout attempts"],
                r["Source file"], r["Source line"])
               for r in rows_of(book(day, "unclosed_calls"), "Unclosed calls")]
        eq(got, [u[:5] + u[5:] for u in unclosed], "unclosed as of %s" % day)
        got = sorted((r["Dealer"], r["Dispatch ID"], r["Submitted"], r["Reason"],
                      r["All reasons"], r["Source file"], r["Source line"])
                     for r in rows_of(book(day, "non_compensable"), "Non-compensable"))
        eq(got, noncomp, "non-compensable as of %s" % day)


def trend_rows(path):
    """The trend table as printed: the hidden column of the chart's
    labels (fix79: each as-of date as ISO text) is checked against column
    A and left out."""
    wb = xh.load(path)
    ws = wb["Summary"]
    from openpyxl.utils import get_column_letter
    shown = [not ws.column_dimensions[get_column_letter(k + 1)].hidden
             for k in range(ws.max_column)]
    rows = []
    for r in ws.iter_rows(values_only=True):
        hidden = [v for v, keep in zip(r, shown) if not keep]
        if isinstance(r[0], datetime.datetime):
            eq(hidden, [r[0].date().isoformat()], "the chart's label")
        rows.append(tuple(v for v, keep in zip(r, shown) if keep))
    at = next(i for i, r in enumerate(rows)
              if r and isinstance(r[0], str) and r[0].startswith("Trend"))
    out, header = [], None
    for r in rows[at + 1:]:
        r = [v for v in r if v is not None]
        if r and isinstance(r[0], datetime.datetime):
            out.append(r)
        elif out and r == header:
            continue    # the header again after a page break (> 30 reports)
        elif out:
            break
        elif r:
            header = r
    return out


def test_trend_after_the_year():
    """Guard: the unclosed Summary's trend of the last night is the last 60
    recorded reports up to A (SPEC §4), each the open calls by bucket the
    oracle listed that night (skipped nights are gaps, not rows)."""
    y = year()
    days = sorted(y.listed)[-60:]
    want = []
    for d in days:
        by = [0] * len(BUCKETS)
        for b in y.listed[d].values():
            by[[bucket(lo) for lo, _ in BUCKETS].index(b)] += 1
        want.append([datetime.datetime.combine(d, datetime.time()),
                     sum(by)] + by)
    got = trend_rows(book(LAST, "unclosed_calls"))
    eq(len(got), 60, "trend rows")
    eq(got, want, "trend")
    check(night_day(385) not in days and night_day(384) in days)


def expected_changes(prev, day):
    y = year()
    pu, nu = y.listed[prev], y.listed[day]
    st = y.states[day]
    closed_by, cur = st[2], st[3]
    newly, closed, moved = [], [], []
    for u in st[0]:
        if u[1] not in pu:
            newly.append((u[0], u[1], "Newly unclosed", None, u[3], None))
        elif pu[u[1]] != u[3]:
            moved.append((u[0], u[1], "Bucket moved", pu[u[1]], u[3], None))
    for i, lab in pu.items():
        if i in nu:
            continue
        v = cur[i][3]
        at = parse_dt(v["dispatched_at"])
        if i in closed_by:
            by = closed_by[i]
        elif v["status"] == "CANCELLED":
            by = "dispatch cancelled (%s line %d)" % cur[i][1:3]
        elif at.date() > day:
            by = "dispatched after the as-of date (%s line %d)" % cur[i][1:3]
        else:
            by = "no longer listed (%s line %d)" % cur[i][1:3]
        closed.append((at, i, "Closed", lab, None, by))
    return [r[2:3] + r[1:2] + r[3:] for part in (newly, closed, moved)
            for r in sorted(part)]


def test_changes_against_the_previous_report():
    """Guard: the Changes sheet of the last night, and of the night after a
    skipped night (compared with the night before the skip), against the
    oracle's listings of the two reports."""
    y = year()
    for n in (400, 372, 386, DAILY):
        day = night_day(n)
        prev = prev_report(day)
        path = book(day, "unclosed_calls")
        check(["Compared with the report as of %s" % prev] in cells(path, "Summary"),
              "%s compared with %s" % (day, prev))
        got = [(r["Change"], r["Dispatch ID"], r["Previous bucket"], r["Bucket"],
                r["Closed by"]) for r in rows_of(path, "Changes")]
        eq(got, expected_changes(prev, day), "Changes as of %s" % day)


def night_files(path):
    """(File, Status) of the audit's Run sheet table of the night's files."""
    rows = cells(path, "Run")
    at = rows.index(["File", "Kind", "SHA-256", "Rows read", "Loaded",
                     "Rejected", "Status", "Reason", "Size (bytes)", "Path"])
    out = []
    for r in rows[at + 1:]:
        if not r or r == ["Warnings"]:
            break
        out.append((r[0], r[6]))
    return out


def test_run_sheet_lists_one_night_only():
    """Guard: the audit's files are those delivered since the previous
    report, each once: the inbox files of the runs of that as-of (and the
    files given to `import` since the previous report), never the year's."""
    y = year()
    for n in (20, 40, 310, DAILY, LATE, 331, 372, 400):
        day = night_day(n)
        prev = prev_report(day)
        first = {}
        for name, st in y.seen[day.isoformat()]:
            first.setdefault(name, st)          # as first delivered that night
        want = sorted(set(first.items()) |
                      {(name, "loaded") for d, name in y.imports
                       if prev < d <= day})
        eq(sorted(night_files(book(day, "audit"))), want, "files of %s" % day)


def late_warnings():
    """{as-of: [file names warned about as late]} over the year's runs."""
    y = year()
    out = {}
    for a, rs in y.runs.items():
        for r in rs:
            for ln in r.err.splitlines():
                if "late file" in ln:
                    out.setdefault(a, []).append(
                        os.path.basename(ln.split(":")[1].strip()))
    return out


def test_late_dispatch_file_warned_once_across_the_year_end():
    """Guard: dated dispatch files across the year end and the leap day are
    never late; the one late part of night LATE is, on its night only, with
    the key of the call it replaced, and listed on that night's Run sheet."""
    y = year()
    w = late_warnings()
    got = {a: [f for f in names if f.startswith("dispatches")]
           for a, names in w.items()}
    got = {a: v for a, v in got.items() if v}
    eq(got, {y.late_day.isoformat(): [y.late_name]}, "late dispatch files")
    check("replaced the current version of 1 key" in y.late_run.err, y.late_run.err)
    rows = cells(book(y.late_day, "audit"), "Run")
    check(any(r and r[0] == y.late_name and "late file" in str(r[1:])
              for r in rows), "late warning on the Run sheet")


def test_undated_closeouts_not_late_every_night():
    """Defect (red before the fix): `closeouts.csv`, delivered every night
    under the same name, was warned about as a late file on every night of
    the year after dated closeout files had once been imported ("its name
    sorts before 'closeouts_2027-01-28.csv' and other files of its kind,
    imported earlier; ... 0 keys"): every night from DAILY to the last, a
    warning in stderr, the summary and the Run sheet, for files imported
    in order. A file is late
    against the files imported since its own name was last imported: the
    first `closeouts.csv` after the dated ones is warned about (it is
    imported after files whose names sort after it), and so is the one
    after the night a saved `closeouts_DATE.csv` came after it; no other."""
    y = year()
    w = late_warnings()
    got = sorted(a for a, names in w.items() if "closeouts.csv" in names)
    want = sorted({night_day(DAILY).isoformat(), night_day(373).isoformat(),
                   night_day(387).isoformat()})
    eq(got, want, "nights warning about closeouts.csv")


def test_summary_counts():
    """Guard: the summary JSON of chosen nights against the oracle: rows of
    each listing, by bucket, the changes counts and the night's files."""
    y = year()
    for n in sorted(SUMMARY_AT):
        day = night_day(n)
        doc = validate_summary(y.t.p("sum_%s.json" % day))
        unclosed, noncomp = y.states[day][0], y.states[day][1]
        rep = doc["reports"]
        eq(rep["unclosed_calls"]["rows"], len(unclosed), "unclosed rows %s" % day)
        eq(rep["non_compensable"]["rows"], len(noncomp), "noncomp rows %s" % day)
        eq({b["bucket"]: b["calls"] for b in rep["unclosed_calls"]["by_bucket"]},
           {bucket(lo): sum(1 for u in unclosed if u[3] == bucket(lo))
            for lo, _ in BUCKETS}, "by bucket %s" % day)
        prev = prev_report(day)
        ch = expected_changes(prev, day)
        c = rep["changes"]
        eq(c["previous_as_of"], prev.isoformat())
        eq((c["newly_unclosed"], c["closed"], c["bucket_moved"]),
           tuple(sum(1 for r in ch if r[0] == k)
                 for k in ("Newly unclosed", "Closed", "Bucket moved")),
           "changes %s" % day)
        eq(sorted((f["name"], f["status"]) for f in rep["audit"]["files"]),
           sorted(night_files(book(day, "audit"))), "audit files %s" % day)
        eq(doc["control_totals"]["loaded"], y.last_loaded[day.isoformat()],
           "files loaded %s" % day)


def test_from_a_year_back():
    """Guard: --from a date a year back: non-compensable rows submitted on
    or after it (the oracle's, rules over everything), unclosed all."""
    y = year()
    frm = LAST - datetime.timedelta(days=365)
    out = y.t.p("from")
    r = svc("report", "--db", y.db, "--out", out, "--as-of", LAST.isoformat(),
            "--from", frm.isoformat())
    eq(r.code, 0, repr(r))
    unclosed, noncomp = y.o.state(LAST)[:2]
    got = sorted((x["Dealer"], x["Dispatch ID"], x["Submitted"], x["Reason"],
                  x["All reasons"], x["Source file"], x["Source line"])
                 for x in rows_of(book(LAST, "non_compensable", out), "Non-compensable"))
    want = [c for c in noncomp if c[2].date() >= frm]
    check(0 < len(want) < len(noncomp))
    eq(got, want, "--from %s" % frm)
    eq(len(rows_of(book(LAST, "unclosed_calls", out), "Unclosed calls")),
       len(unclosed))


def test_explain_call_corrected_many_times():
    """Guard: explain of the call re-sent every 25 nights (and in the late
    file) lists every version, in import order, each with its file:line."""
    y = year()
    r = svc("explain", "--db", y.db, "--as-of", LAST.isoformat(), y.many)
    eq(r.code, 0, repr(r))
    want = ["%s:%d" % (v[1], v[2]) for v in y.o.disp
            if v[3]["dispatch_id"] == y.many]
    eq(len(want), 1 + y.many_versions)
    got = [ln.split()[0] for ln in r.out.splitlines()
           if ln.startswith("   dispatches_")]
    eq(got, want, "versions of %s" % y.many)
    marks = [ln.split()[1].rstrip(",") for ln in r.out.splitlines()
             if ln.startswith("   dispatches_")]
    eq(marks, ["superseded"] * (len(want) - 1) + ["current"])


def test_growth_nothing_kept_per_night():
    """Guard: what is kept per night is what the nights delivered: one
    report_run and report_output row per as-of date reported, one delivery
    per file a night was given (skips of a re-run night not again), no
    inbox note (no stray file). The sizes and times are in the report."""
    y = year()
    n_asof = len(y.runs)
    eq(query(y.db, "SELECT count(*) FROM report_run")[0][0], n_asof)
    eq(query(y.db, "SELECT count(*) FROM report_output")[0][0], n_asof)
    eq(query(y.db, "SELECT count(*) FROM inbox_note")[0][0], 0)
    files = sum(len({n for n, _ in v}) for v in y.seen.values()) + len(y.imports)
    eq(query(y.db, "SELECT count(*) FROM delivery")[0][0], files)


def test_old_night_reported_again():
    """Guard, and what may differ: `report --as-of OLD` a year later (same
    database, same path) writes the audit's night as that night's workbook
    did (Run sheet's files, Rejected rows); its listings are SPEC §3 over
    the current versions (later corrections count: "the as-of date filters
    by business dates, not by when rows were imported"), so they equal the
    oracle over all the year's rows, not that night's; reported again with
    nothing new, the same bytes."""
    y = year()
    day = night_day(310)
    out = y.t.p("again")
    r = svc("report", "--db", y.db, "--out", out, "--as-of", day.isoformat())
    eq(r.code, 0, repr(r))
    eq(night_files(book(day, "audit", out)), night_files(book(day, "audit")))
    eq(cells(book(day, "audit", out), "Rejected rows"),
       cells(book(day, "audit"), "Rejected rows"))
    unclosed = y.o.state(day)[0]
    got = [(x["Dispatched"], x["Dispatch ID"], x["Days open"],
            x["Aging bucket"], x["Provider"], x["Closeout attempts"],
            x["Source file"], x["Source line"])
           for x in rows_of(book(day, "unclosed_calls", out), "Unclosed calls")]
    eq(got, unclosed)
    first = {k: sha256(book(day, k, out)) for k in
             ("unclosed_calls", "non_compensable", "audit")}
    r = svc("report", "--db", y.db, "--out", y.t.p("again2"), "--as-of",
            day.isoformat())
    eq(r.code, 0, repr(r))
    eq({k: sha256(book(day, k, y.t.p("again2"))) for k in first}, first)


if __name__ == "__main__":
    main(globals())
