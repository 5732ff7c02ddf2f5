#!/usr/bin/python3
"""t9600 -- QA pass 31: the `Changes` sheet of unclosed_calls_A.xlsx (and
the Non-compensable `New` column and the --summary `reports.changes`)
against an oracle written from README "Changes since the previous report"
and its decisions, not from the SQL.

The oracle (class Oracle below) keeps every imported row version in import
order and works out SPEC §3 as of A itself (current versions, the accepted
closeout, the unclosed calls and their buckets), keeps its own history of
what each report listed, and from the README's words derives each Changes
row: newly unclosed first, then closed (Closed by: `closeout accepted
(FILE line N)` naming the accepted closeout, else `dispatch cancelled`,
else `dispatched after the as-of date`, else `no longer listed`, each
with the current dispatch version's `(FILE line N)`; the source columns
name that closeout or dispatch version), then bucket moved (labels compared); oldest first (the
row's Dispatched) then Dispatch ID within each.

Where the README is silent this suite decides (README "Decisions", Changes):
the Dispatched and Provider of a Closed row are the current dispatch
version's (the one that closed it, or the call as it stands); a provider
change alone is no change (the README lists no such kind); a re-opened call
(its accepted closeout superseded by an invalid version) is Newly unclosed.
The dealer statements get no view of changes (the README gives them none).

Seeded generated histories: the seed is printed on failure. Last line:
"N passed, N failed".
"""
import atexit
import datetime
import hashlib
import json
import os
import random
import sys
import warnings

import openpyxl

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (CLO_HDR, DSP_HDR, REG_HDR, Tmp, check, eq, main, sha256,  # noqa: E402
                     svc)

BASE = datetime.date(2026, 3, 1)
NONE_LINE = "No earlier report in this database: nothing to compare with"
CHANGE_HDR = ["Change", "Dispatch ID", "Dispatched", "Provider",
              "Provider name", "Previous bucket", "Bucket", "Days open",
              "Closed by", "Source file", "Source line", "Source SHA-256"]

_TMP = []


def tmp():
    t = Tmp()
    _TMP.append(t)
    return t


atexit.register(lambda: [t.__exit__(None, None, None) for t in _TMP])


def labels(buckets):
    """SPEC §3 / README --buckets: 7,14,30,60,90 -> 0-7, 8-14, ..., 91+."""
    out, lo = [], 0
    for n in buckets:
        out.append((lo, n, "%d-%d" % (lo, n)))
        lo = n + 1
    out.append((lo, None, "%d+" % lo))
    return out


DEFAULT = (7, 14, 30, 60, 90)


def bucket_of(days, buckets):
    for lo, hi, lab in labels(buckets):
        if days >= lo and (hi is None or days <= hi):
            return lab
    raise AssertionError(days)


class Oracle:
    """SPEC §3 and README "Changes since the previous report", from their
    words: every imported row version, in import order."""

    def __init__(self):
        self.disp = []      # (seq, file, line, sha12, id, at, provider, status)
        self.clo = []       # (seq, file, line, sha12, dealer, at, id, serial, completed, tech)
        self.seq = 0
        self.history = {}   # as_of -> (unclosed {id: label}, noncomp set of keys)
        self.names = {}     # dealer -> name (SPEC §4 "Dealer names")

    def provider(self, d):
        """The Provider and Provider name cells of dispatch version d."""
        return (d[6] or None, self.names.get(d[6]))

    def imported(self, kind, path, rows):
        self.seq += 1
        sha = sha256(path)[:12]
        name = os.path.basename(path)
        for i, r in enumerate(rows):
            rec = (self.seq, name, i + 2, sha) + tuple(r)
            (self.disp if kind == "dispatches" else self.clo).append(rec)

    def state(self, a):
        """(unclosed {id: row}, accepted {id: closeout}, current dispatches,
        non-compensable keys) as of date a."""
        cur = {}
        for r in self.disp:
            cur[r[4]] = r            # later import supersedes
        curc = {}
        for r in self.clo:
            curc[(r[4], r[6], r[5])] = r
        end = datetime.datetime.combine(a, datetime.time(23, 59, 59))
        accepted = {}
        for key, c in curc.items():
            if c[5] > end:
                continue
            d = cur.get(c[6])
            if d is None or d[5].date() > a:
                continue                             # NO_DISPATCH
            if d[7] == "CANCELLED" or c[4] != d[6] or \
               c[7] != "SN-" + d[4] or c[8] < d[5].date() or not c[9]:
                continue
            best = accepted.get(c[6])
            if best is None or (c[5], c[0], c[2]) < (best[5], best[0], best[2]):
                accepted[c[6]] = c
        unclosed = {i: d for i, d in cur.items()
                    if d[5].date() <= a and d[7] == "OPEN" and i not in accepted}
        acc_keys = {(c[4], c[6], c[5]) for c in accepted.values()}
        noncomp = {k: c for k, c in curc.items()
                   if c[5] <= end and k not in acc_keys}
        return unclosed, accepted, cur, noncomp

    def previous(self, a):
        before = [x for x in self.history if x < a]
        return max(before) if before else None

    def report(self, a, buckets=DEFAULT, from_=None):
        """The expected Changes rows, counts and New column of the report as
        of a; then records it as the report does."""
        unclosed, accepted, cur, noncomp = self.state(a)
        now = {i: bucket_of((a - d[5].date()).days, buckets)
               for i, d in unclosed.items()}
        prev = self.previous(a)
        rows, counts = [], None
        shown_nc = {k: c for k, c in noncomp.items()
                    if from_ is None or c[5].date() >= from_}
        new = {}
        if prev is not None:
            pu, pn = self.history[prev]
            counts = dict(previous_as_of=prev.isoformat(), newly_unclosed=0,
                          closed=0, closed_by_closeout=0, cancelled=0,
                          closed_otherwise=0, bucket_moved=0,
                          new_noncompensable=0)
            newly, closed, moved = [], [], []
            for i, d in unclosed.items():
                days = (a - d[5].date()).days
                if i not in pu:
                    newly.append(["Newly unclosed", i, d[5], *self.provider(d), None,
                                  now[i], days, None, d[1], d[2], d[3]])
                elif pu[i] != now[i]:
                    moved.append(["Bucket moved", i, d[5], *self.provider(d), pu[i],
                                  now[i], days, None, d[1], d[2], d[3]])
            for i, lab in pu.items():
                if i in unclosed:
                    continue
                d = cur[i]
                if i in accepted:
                    c = accepted[i]
                    by, src, how = "closeout accepted", c, "closed_by_closeout"
                elif d[7] == "CANCELLED":
                    by, src, how = "dispatch cancelled", d, "cancelled"
                elif d[5].date() > a:
                    by, src, how = ("dispatched after the as-of date", d,
                                    "closed_otherwise")
                else:
                    by, src, how = "no longer listed", d, "closed_otherwise"
                by = "%s (%s line %d)" % (by, src[1], src[2])
                counts[how] += 1
                closed.append(["Closed", i, d[5], *self.provider(d), lab, None, None,
                               by, src[1], src[2], src[3]])
            for part in (newly, closed, moved):
                part.sort(key=lambda r: (r[2], r[1]))
                rows += part
            counts["newly_unclosed"] = len(newly)
            counts["closed"] = len(closed)
            counts["bucket_moved"] = len(moved)
            for k in shown_nc:
                new[k] = "no" if k in pn else "yes"
            counts["new_noncompensable"] = sum(v == "yes" for v in new.values())
        else:
            new = {k: None for k in shown_nc}
        self.history[a] = (now, set(shown_nc))
        return rows, counts, new


# ---- the generator ----------------------------------------------------------

def dt_s(x):
    return x.strftime("%Y-%m-%d %H:%M")


def generate(rng, n_nights):
    """Nights: [(date, dispatch rows, closeout rows)]; a row is the tuple
    the oracle keeps (and the CSV writes). Every kind of change the README
    names is drawn: new calls (some dated after the night), cancellations
    and their reversal, re-dating after or before, provider changes, valid
    and invalid closeouts, an accepted closeout superseded by an invalid
    version (re-opened) and back."""
    nights, day = [], BASE
    disp = {}        # id -> (at, provider, status)
    clo = {}         # key -> valid?
    n = 0
    for k in range(n_nights):
        day = day + datetime.timedelta(days=rng.randint(1, 9))
        drows, crows, seen = [], [], set()
        for _ in range(rng.randint(2, 4)):
            n += 1
            i = rng.choice(["D", "d", "E", "_"]) + "%02d" % n
            at = datetime.datetime.combine(
                day - datetime.timedelta(days=rng.choice(
                    [0, 1, 5, 8, 13, 20, 29, 40, 70, -2])),
                datetime.time(rng.choice([9, 12]), 0))
            disp[i] = (at, rng.choice(["P1", "P2", "P3", "P1", ""]), "OPEN")
            drows.append((i,) + disp[i])
            seen.add(i)
        old = [i for i in sorted(disp) if i not in seen]
        for i in rng.sample(old, min(len(old), rng.randint(0, 3))):
            at, prov, st = disp[i]
            what = rng.choice(["cancel", "reopen", "later", "earlier",
                               "provider"])
            if what == "cancel":
                st = "CANCELLED"
            elif what == "reopen":
                st = "OPEN"
            elif what == "later":
                at = datetime.datetime.combine(
                    day + datetime.timedelta(days=rng.randint(1, 4)), at.time())
            elif what == "earlier":
                at = at - datetime.timedelta(days=rng.randint(1, 10))
            else:
                prov = rng.choice([p for p in ("P1", "P2", "P3", "")
                                   if p != prov])
            disp[i] = (at, prov, st)
            drows.append((i, at, prov, st))
            seen.add(i)
        ids = sorted(disp)
        keys_here = set()
        for j in range(rng.randint(1, 4)):
            what = rng.choice(["valid", "valid", "wrong", "supersede"])
            if what == "supersede" and clo:
                key = rng.choice(sorted(clo))
                if key in keys_here:
                    continue
                dealer, i, sub = key
                valid = not clo[key]       # flip it
            else:
                i = rng.choice(ids)
                dealer = disp[i][1] or "P1" if what == "valid" else "P9"
                if what == "wrong" and rng.random() < 0.3:
                    i, dealer = "", "P2"           # no dispatch given
                sub = datetime.datetime.combine(day, datetime.time(8 + j, 15))
                key = (dealer, i, sub)
                if key in keys_here:
                    continue
                valid = True
            keys_here.add(key)
            clo[key] = valid
            completed = max(disp[i][0].date() if i else sub.date(),
                            sub.date() - datetime.timedelta(days=1))
            crows.append((dealer, sub, i, "SN-" + i if i else "SN-X", completed,
                          "Pat" if valid else ""))
        nights.append((day, drows, crows))
    return nights


def write_night(t, k, drows, crows, folder="feeds"):
    files = []
    if drows:
        files.append(("dispatches", t.csv(
            "%s/dispatches_n%d.csv" % (folder, k), DSP_HDR,
            ["%s,%s,iPF8400S,SN-%s,%s,Customer %s,10001,P1,%s" % (
                i, dt_s(at), i, p, i, st) for i, at, p, st in drows]), drows))
    if crows:
        files.append(("closeouts", t.csv(
            "%s/closeouts_n%d.csv" % (folder, k), CLO_HDR,
            ["%s,%s,%s,%s,iPF8400S,%s,%s,1.5,R1," % (
                dl, dt_s(sub), i, sn, comp.isoformat(), tech)
             for dl, sub, i, sn, comp, tech in crows]), crows))
    return files


REGISTRATIONS = [("P1", "Dealer One"), ("P2", "Dealer, Two"), ("P3", "")]


def registrations(t, folder="feeds"):
    """The dealers' names (P3 has none): the Provider name column."""
    return t.csv("%s/registrations_1.csv" % folder, REG_HDR, [
        '%s,"%s",iPF8400S,SN-R%d,2026-01-01,N,' % (p, nm, k)
        for k, (p, nm) in enumerate(REGISTRATIONS)])


def start(t, db, o):
    r = svc("import", "--db", db, "--kind", "registrations", "--quiet",
            registrations(t))
    eq(r.code, 0, r)
    o.names = {p: nm for p, nm in REGISTRATIONS if nm}


def import_files(db, oracle, files):
    for kind, path, rows in files:
        r = svc("import", "--db", db, "--kind", kind, "--quiet", path)
        eq(r.code, 0, r)
        oracle.imported(kind, path, rows)


def report(db, out, a, *extra):
    r = svc("report", "--db", db, "--out", out, "--as-of", a.isoformat(),
            "--quiet", "--summary", out + ".json", *extra)
    eq(r.code, 0, r)
    return r


def load(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(path)


def book(out, name, a):
    return os.path.join(out, "%s_%s.xlsx" % (name, a.isoformat()))


STATEMENTS_SEEN = []


def compare(out, a, want, seed, what):
    """The workbooks and summary of the report as of a against the oracle's
    (rows, counts, new)."""
    rows, counts, new = want
    tag = "seed %s, %s, as of %s: " % (seed, what, a)
    wb = load(book(out, "unclosed_calls", a))
    ws = wb["Changes"]
    eq([c.value for c in ws[1]], CHANGE_HDR, tag + "Changes header")
    got = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    for n, (g, w) in enumerate(zip(got, rows)):
        eq(g, w, tag + "Changes row %d" % (n + 2))
    eq(len(got), len(rows), tag + "Changes rows")
    top = [r[0] for r in wb["Summary"].iter_rows(max_col=1, max_row=8,
                                                 values_only=True)]
    said = [n for n, v in enumerate(top) if v and (
        v.startswith("Compared with") or v.startswith("No earlier"))]
    eq(len(said), 1, tag + "one compared-with line: %r" % top)
    line = top[said[0]]
    # README: "under the as-of (and --from) lines"
    eq(top[said[0] - 1], "From" if "From" in top else "As of",
       tag + "the compared-with line's place: %r" % top)
    with open(out + ".json") as f:
        js = json.load(f)["reports"]["changes"]
    if counts is None:
        eq(line, NONE_LINE, tag + "Summary line")
        eq(js["previous_as_of"], None, tag + "JSON previous")
        check(all(v == 0 for k, v in js.items() if k != "previous_as_of"),
              tag + "JSON counts without a previous report: %r" % js)
    else:
        eq(line, "Compared with the report as of " + counts["previous_as_of"],
           tag + "Summary line")
        eq(js, counts, tag + "JSON changes")
        table = list(wb["Summary"].iter_rows(values_only=True))
        at = [n for n, r in enumerate(table) if r[0] == "Change"]
        eq([tuple(r[:2]) for r in table[at[0] + 1:at[0] + 7]],
           [("Newly unclosed", counts["newly_unclosed"]),
            ("Closed", counts["closed"]),
            ("by a closeout", counts["closed_by_closeout"]),
            ("cancelled", counts["cancelled"]),
            ("no longer listed otherwise", counts["closed_otherwise"]),
            ("Bucket moved", counts["bucket_moved"])], tag + "Summary counts")
    nwb = load(book(out, "non_compensable", a))
    kv = {r[0]: r[1] for r in nwb["Summary"].iter_rows(max_row=12,
                                                        values_only=True)
          if r[0]}
    top = [r[0] for r in nwb["Summary"].iter_rows(max_col=1, max_row=8,
                                                  values_only=True)]
    eq(top.index(line) - 1, top.index("From" if "From" in top else "As of"),
       tag + "non-compensable Summary: the compared-with line's place")
    eq(kv.get("New since the previous report"),
       counts and counts["new_noncompensable"], tag + "New since the previous")
    run = {r[0]: r[1] for r in load(book(out, "audit", a))["Run"].iter_rows(
        max_row=12, values_only=True) if r[0]}
    follows = run["Follows the report as of"]
    eq(follows.date().isoformat() if counts else follows[:6],
       counts["previous_as_of"] if counts else "(none:",
       tag + "audit Run: the report it follows")
    nc = nwb["Non-compensable"]
    hdr = [c.value for c in nc[1]]
    ix = [hdr.index(h) for h in ("Dealer", "Dispatch ID", "Submitted", "New")]
    got_new = {(r[ix[0]], r[ix[1]] or "", r[ix[2]]): r[ix[3]]
               for r in nc.iter_rows(min_row=2, values_only=True)}
    eq(got_new, new, tag + "Non-compensable New column")
    folder = os.path.join(out, "statements_" + a.isoformat())
    if not os.path.isdir(folder):
        return
    # README "Dealer statements": the same rows and columns as the main
    # listings, filtered to the dealer -- so the same New column.
    listed = load(book(out, "unclosed_calls", a))["Unclosed calls"]
    dealers = {k[0] for k in new} | {
        r[4] for r in listed.iter_rows(min_row=2, max_col=5, values_only=True)
        if r[4]}
    STATEMENTS_SEEN.append(len(dealers))
    eq(sorted(os.listdir(folder)), sorted(d + ".xlsx" for d in dealers),
       tag + "statements")
    for dl in sorted(dealers):
        st = load(os.path.join(folder, dl + ".xlsx"))["Non-compensable"]
        eq([c.value for c in st[1]], hdr + ["To be paid"],
           tag + "statement %s: Non-compensable header" % dl)
        got = {(r[ix[0]], r[ix[1]] or "", r[ix[2]]): r[ix[3]]
               for r in st.iter_rows(min_row=2, values_only=True)}
        eq(got, {k: v for k, v in new.items() if k[0] == dl},
           tag + "statement %s: New column" % dl)


def run_seed(seed, n_nights=5):
    rng = random.Random(seed)
    t = tmp()
    db = t.p("svc.db")
    o = Oracle()
    start(t, db, o)
    nights = generate(rng, n_nights)
    for k, (day, drows, crows) in enumerate(nights, 1):
        import_files(db, o, write_night(t, k, drows, crows))
        extra, buckets, from_ = [], DEFAULT, None
        if rng.random() < 0.3:
            buckets = rng.choice([(3, 10, 30), (5, 20), (14, 60), (0, 1, 2, 30),
                                  (0,)])
            extra += ["--buckets", ",".join(map(str, buckets))]
        if rng.random() < 0.3:
            from_ = day - datetime.timedelta(days=rng.randint(0, 6))
            extra += ["--from", from_.isoformat()]
        if k == n_nights or rng.random() < 0.2:
            extra.append("--statements")
        out = t.p("out%d" % k)
        report(db, out, day, *extra)
        compare(out, day, o.report(day, buckets, from_), seed,
                "night %d %s" % (k, " ".join(extra)))
    return t, db, o, nights


# ---- the tests --------------------------------------------------------------

def test_generated_nights_in_order():
    """Guard (passed before any change): eight seeded histories of five
    nights each, imported and reported night by night (some with --buckets
    or --from), every Changes row, cell for cell, the Summary counts, the
    JSON and the New column against the oracle."""
    for seed in range(1, 9):
        run_seed(seed)
    check(len(STATEMENTS_SEEN) >= 8 and min(STATEMENTS_SEEN) > 0,
          "dealer statements checked: %r" % STATEMENTS_SEEN)


def test_generated_nights_out_of_order():
    """Guard: five nights imported first, then reported in a shuffled order
    (each compares with the latest recorded report before it, with today's
    data), then a sixth night's files imported (which re-date, cancel and
    close older calls) and all six reported in another shuffled order (a
    night's own record is never its previous report; a replaced record is
    what the next night compares with), --buckets changing between them --
    the oracle's history moves the same way."""
    for seed in range(101, 105):
        rng = random.Random(seed)
        t = tmp()
        db = t.p("svc.db")
        o = Oracle()
        start(t, db, o)
        nights = generate(rng, 6)
        for k, (day, drows, crows) in enumerate(nights[:5], 1):
            import_files(db, o, write_night(t, k, drows, crows))
        order = [n[0] for n in nights[:5]]
        rng.shuffle(order)
        again = order + [nights[5][0]]
        rng.shuffle(again)
        for n, day in enumerate(order + again):
            if n == len(order):    # the sixth night's files re-date, cancel
                import_files(db, o, write_night(t, 6, *nights[5][1:]))
            out = t.p("out-%d" % n)
            buckets = rng.choice([DEFAULT, DEFAULT, (3, 10, 30), (0, 8)])
            report(db, out, day, "--buckets", ",".join(map(str, buckets)))
            compare(out, day, o.report(day, buckets), seed,
                    "report %d of %s, --buckets %s" % (
                        n + 1, [d.isoformat() for d in order + again],
                        buckets))


def test_before_every_recorded_report():
    """Guard: a report as of a date before every recorded one has nothing to
    compare with (the empty Changes sheet, the Summary's sentence, zero
    counts, a blank New column); the later reports keep comparing with the
    latest before them."""
    t, db, o, nights = run_seed(201, 3)
    early = nights[0][0] - datetime.timedelta(days=1)
    out = t.p("early")
    report(db, out, early)
    compare(out, early, o.report(early), 201, "before every report")
    out = t.p("first-again")
    report(db, out, nights[0][0])
    compare(out, nights[0][0], o.report(nights[0][0]), 201,
            "night 1 again, after the earlier report")
    day = nights[1][0]
    out = t.p("again")
    report(db, out, day)
    compare(out, day, o.report(day), 201, "night 2 again")


def test_same_night_twice_and_with_new_data():
    """Guard: the same night reported twice gives the same bytes (all three
    workbooks); after more of that night's data is imported, reported again
    it compares with the same previous report, per the oracle."""
    t, db, o, nights = run_seed(301, 3)
    day = nights[-1][0]
    out1, out2 = t.p("twice1"), t.p("twice2")
    report(db, out1, day)
    want = o.report(day)
    report(db, out2, day)
    compare(out2, day, o.report(day), 301, "second time")
    for b in ("unclosed_calls", "non_compensable", "audit"):
        eq(sha256(book(out2, b, day)), sha256(book(out1, b, day)),
           "seed 301: %s bytes of the same night twice" % b)
    compare(out1, day, want, 301, "first time")
    # More data for the same night: a late closeout and a cancellation.
    i = sorted(o.state(day)[0])[0]
    d = o.state(day)[2][i]
    files = write_night(t, 99, [(i, d[5], d[6], "CANCELLED")], [], "late")
    import_files(db, o, files)
    out3 = t.p("twice3")
    report(db, out3, day)
    compare(out3, day, o.report(day), 301, "after a late cancellation")


def test_run_rerun_same_bytes():
    """Guard: `run` of a night, then `run` again of the same night (nothing
    new in the inbox): the same bytes in all three workbooks, and the Changes
    sheet of either as the oracle says."""
    rng = random.Random(401)
    t = tmp()
    db = t.p("svc.db")
    o = Oracle()
    registrations(t, "in1")
    o.names = {p: nm for p, nm in REGISTRATIONS if nm}
    for k, (day, drows, crows) in enumerate(generate(rng, 3), 1):
        files = write_night(t, k, drows, crows, "in%d" % k)
        outs = []
        for n in (1, 2):
            out = t.p("run%d-%d" % (k, n))
            r = svc("run", "--db", db, "--inbox", t.p("in%d" % k), "--out",
                    out, "--as-of", day.isoformat(), "--quiet", "--summary",
                    out + ".json")
            eq(r.code, 0, r)
            if n == 1:
                for kind, path, rows in files:
                    o.imported(kind, path, rows)
            compare(out, day, o.report(day), 401, "run %d of night %d" % (n, k))
            outs.append(out)
        for b in ("unclosed_calls", "non_compensable", "audit"):
            eq(sha256(book(outs[1], b, day)), sha256(book(outs[0], b, day)),
               "run re-run of night %d: %s bytes" % (k, b))


def test_rerun_after_the_previous_report_was_rewritten():
    """Guard: night 2 is `run`; night 1 is then reported again with other
    --buckets and a --from (its record, which night 2 compares with,
    changes though no file was delivered); `run` of night 2 again, nothing
    new in the inbox, must not keep its old workbooks (their Changes sheet
    and New column came from the old record): the oracle's Changes, then
    the same bytes on a further re-run."""
    rng = random.Random(501)
    t = tmp()
    db = t.p("svc.db")
    o = Oracle()
    registrations(t, "in1")
    o.names = {p: nm for p, nm in REGISTRATIONS if nm}
    nights = generate(rng, 2)
    files = [write_night(t, k, drows, crows, "in%d" % k)
             for k, (day, drows, crows) in enumerate(nights, 1)]
    (d1, _, _), (d2, _, _) = nights

    def run(k, day, out):
        if files[k - 1]:
            for kind, path, rows in files[k - 1]:
                o.imported(kind, path, rows)
            files[k - 1] = []
        r = svc("run", "--db", db, "--inbox", t.p("in%d" % k), "--out", out,
                "--as-of", day.isoformat(), "--summary", out + ".json")
        eq(r.code, 0, r)
        return r

    run(1, d1, t.p("n1"))
    compare(t.p("n1"), d1, o.report(d1), 501, "night 1")
    run(2, d2, t.p("n2"))
    compare(t.p("n2"), d2, o.report(d2), 501, "night 2")
    before = sha256(book(t.p("n2"), "unclosed_calls", d2))
    from_ = d1 - datetime.timedelta(days=1)
    report(t.p("svc.db"), t.p("n1b"), d1, "--buckets", "3,10,30", "--from",
           from_.isoformat())
    compare(t.p("n1b"), d1, o.report(d1, (3, 10, 30), from_), 501,
            "night 1 again, other --buckets and --from")
    r = run(2, d2, t.p("n2"))
    check("up to date" not in r.err,
          "night 2 kept its workbooks though its previous report changed: "
          + r.err)
    compare(t.p("n2"), d2, o.report(d2), 501, "night 2 after night 1 again")
    check(sha256(book(t.p("n2"), "unclosed_calls", d2)) != before,
          "the Changes sheet follows the rewritten night-1 record")
    after = {b: sha256(book(t.p("n2"), b, d2))
             for b in ("unclosed_calls", "non_compensable", "audit")}
    r = run(2, d2, t.p("n2"))
    check("up to date" in r.err, "a true re-run is untouched: " + r.err)
    eq({b: sha256(book(t.p("n2"), b, d2)) for b in after}, after,
       "night 2 re-run: the same bytes")


if __name__ == "__main__":
    main(globals())
