#!/usr/bin/python3
"""t9300 -- the Summary sheets, their charts and the trend, against the
listings beside them (QA pass 28). An analyst forwards a `Summary` and its
chart without looking at the listings: every number there must be what the
listing adds up to (SPEC §4 "Each Summary: totals by aging bucket and by
provider (unclosed), by reason and by dealer with labor hours
(non-compensable), with a chart"), and every chart must draw exactly those
numbers. Each Summary table is recomputed here from its listing sheet, read
with openpyxl (never from the program's SQL), and compared cell by cell;
each chart's series are read from xl/charts/chartN.xml and must point at
exactly the table's rows of the sheet.

Data: seeded generated feeds (the seed is printed on failure): dealers that
differ only in case, a blank provider, dealer names blank, renamed or
missing, labor hours that do not add up exactly in binary (0.1, 2.333,
0.005), every closeout reason.

See each test's docstring: a defect seen red before its fix, or a guard
(green from the start)."""
import datetime
import hashlib
import os
import random
import re
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import Tmp, check, eq, main  # noqa: E402
from xlsx_helpers import (CLO_HDR, DIS_HDR, REG_HDR, col_letter, load, run,  # noqa: E402
                          sha256, write_csv)

SEED = int(os.environ.get("SVCRECON_SEED", random.randrange(1 << 30)))
DEFAULT_BOUNDS = (7, 14, 30, 60, 90)
REASONS = ["NO_DISPATCH", "DISPATCH_CANCELLED", "PROVIDER_MISMATCH",
           "SERIAL_MISMATCH", "SERVICE_BEFORE_DISPATCH",
           "INCOMPLETE_SECTION2", "DUPLICATE_CLOSEOUT"]
DEALERS = ["D01", "D02", "D03", "ab", "AB", "Ab", "x y", "caf\u00e9", "Z9"]
HOURS = ["0.1", "0.1", "1.25", "2.333", "0.005", "23.99", "", "0", "7"]


def seeded(what):
    return "%s (seed %d: SVCRECON_SEED=%d to repeat)" % (what, SEED, SEED)


def buckets(bounds):
    """SPEC §3 / README --buckets: 0-b1, b1+1-b2, ..., bn+1+."""
    out, lo = [], 0
    for b in bounds:
        out.append((lo, b, "%d-%d" % (lo, b)))
        lo = b + 1
    out.append((lo, None, "%d+" % lo))
    return out


def bucket_of(days, bounds):
    for lo, hi, label in buckets(bounds):
        if days >= lo and (hi is None or days <= hi):
            return label
    raise AssertionError(days)


def iso(d):
    return d.isoformat()


# ------------------------------------------------------------ the feeds

def feeds(t, rnd, inbox, a, n_disp=90, n_clo=110, tag=""):
    """One night's three files in t/inbox, as of date a."""
    os.makedirs(t.p(inbox), exist_ok=True)
    regs = []
    for i in range(40):
        d = rnd.choice(DEALERS)
        name = rnd.choice(["", " ", "Name of " + d, "Other " + d])
        regs.append([d, name, "M1", "S%d" % i, "2025-01-01",
                     rnd.choice(["N", "N", "Y"]), ""])
    write_csv(t.p(inbox, "registrations_%s.csv" % tag), REG_HDR, regs)
    disp = []
    for i in range(n_disp):
        day = a - datetime.timedelta(days=rnd.randint(0, 140))
        disp.append(["X%s%03d" % (tag, i), iso(day) + " 10:00", "M1",
                     "S%d" % rnd.randint(0, 45),
                     rnd.choice(DEALERS + ["", ""]), "C", "", "",
                     rnd.choice(["OPEN"] * 6 + ["CANCELLED"])])
    # one of each reason whatever the dice say: a dispatch closed out,
    # closed out again, and closed out with a date before it; a cancelled one
    fx, fc = "XF" + tag, "XC" + tag
    disp.append([fx, iso(a - datetime.timedelta(days=20)) + " 09:00", "M1",
                 "S1", "D01", "C", "", "", "OPEN"])
    disp.append([fc, iso(a - datetime.timedelta(days=20)) + " 09:00", "M1",
                 "S2", "D02", "C", "", "", "CANCELLED"])
    for d in ("AB", "Ab", "ab"):          # open calls of each spelling
        disp.append(["XD%s%s" % (tag, d), iso(a) + " 08:00", "M1", "S5", d,
                     "C", "", "", "OPEN"])
    write_csv(t.p(inbox, "dispatches_%s.csv" % tag), DIS_HDR, disp)
    sub = iso(a - datetime.timedelta(days=2))
    done = iso(a - datetime.timedelta(days=19))
    clo = [["D01", sub + " 08:00", fx, "S1", "M1", done, "T", "0.1", "R", ""],
           ["D01", sub + " 09:00", fx, "S1", "M1", done, "T", "0.1", "R", ""],
           ["D01", sub + " 10:00", fx, "S1", "M1", "2024-01-01", "T", "0.2",
            "R", ""],
           ["D02", sub + " 10:00", fc, "S2", "M1", done, "T", "1", "R", ""],
           ["D03", sub + " 10:00", fx, "S1", "M1", done, "T", "1", "R", ""],
           ["D01", sub + " 11:00", fx, "S7", "M1", done, "T", "1", "R", ""],
           ["D01", sub + " 12:00", "", "S1", "M1", done, "T", "1", "R", ""],
           ["D01", sub + " 13:00", fx, "S1", "M1", done, "", "1", "R", ""]]
    # the random closeouts leave the three open calls above open (one
    # closed by chance took its spelling out of the providers: seed
    # 273581587 listed no 'Ab')
    closable = disp[:-3]
    for i in range(n_clo):
        x = rnd.choice(closable)
        dealer = x[4] if x[4] and rnd.random() < 0.7 else rnd.choice(DEALERS)
        sub = a - datetime.timedelta(days=rnd.randint(0, 100))
        done = x[1][:10] if rnd.random() < 0.9 else "2024-01-01"
        clo.append([dealer, iso(sub) + " %02d:%02d" % (rnd.randint(0, 23),
                                                      rnd.randint(0, 59)),
                    rnd.choice([x[0]] * 4 + ["", "NOPE"]),
                    x[3] if rnd.random() < 0.9 else "S999", "M1", done,
                    rnd.choice(["T"] * 6 + [""]), rnd.choice(HOURS), "R", ""])
    write_csv(t.p(inbox, "closeouts_%s.csv" % tag), CLO_HDR, clo)


# ------------------------------------------------------- reading a book

def rows_of(ws):
    it = ws.iter_rows(values_only=True)
    head = next(it)
    return [dict(zip(head, r)) for r in it]


def table(rows, first, width):
    """The rows of a Summary table from (0-based) row `first` down to the
    first row whose `width` cells are all blank; each cut to `width` cells
    (the table by provider's row of no provider has a blank column A)."""
    out = []
    k = first
    while k < len(rows) and any(v not in (None, "") for v in rows[k][:width]):
        out.append(tuple(rows[k][:width]))
        k += 1
    return out


def find(rows, cells, what):
    at = [k for k, r in enumerate(rows) if tuple(r[:len(cells)]) == cells]
    eq(len(at), 1, seeded("%s: one header %r" % (what, cells)))
    return at[0]


def chart_series(path):
    """[(chart part, grouping, [(category ref, values ref, name ref)])],
    the refs as written in xl/charts/chartN.xml."""
    out, caches = [], []
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist()
                 if re.match(r"xl/charts/chart\d+\.xml$", n)]
        for n in sorted(names, key=lambda s: int(re.sub(r"\D", "", s))):
            x = z.read(n).decode()
            grouping = re.search(r'<c:grouping val="(\w+)"/>', x).group(1)
            sers = []
            for s in re.findall(r"<c:ser>(.*?)</c:ser>", x, re.S):
                def ref(tag):
                    m = re.search(r"<c:%s>(.*?)</c:%s>" % (tag, tag), s,
                                  re.S)
                    f = m and re.search(r"<c:f>([^<]*)</c:f>", m.group(1))
                    return f.group(1) if f else None
                sers.append((ref("cat"), ref("val"), ref("tx")))
                caches.append((ref("val"), cached(s, "val")))
            out.append((n, grouping, sers))
    # a cached value, when one is written (libxlsxwriter's constant_memory
    # mode writes none: the reader computes the bars from the cells), must
    # be the cell's number
    ws = load(path)["Summary"]
    for r, pts in caches:
        if pts is None:
            continue
        m = re.match(r"Summary!\$([A-Z]+)\$(\d+):\$[A-Z]+\$(\d+)$", r)
        cells = [ws["%s%d" % (m.group(1), k)].value
                 for k in range(int(m.group(2)), int(m.group(3)) + 1)]
        eq([float(v) for v in pts], [float(v or 0) for v in cells],
           seeded("%s: cached values of %s" % (path, r)))
    return out


def cached(ser, tag):
    """The cached points of a series' cat or val, or None when none."""
    m = re.search(r"<c:%s>(.*?)</c:%s>" % (tag, tag), ser, re.S)
    if not m or "Cache>" not in m.group(1):
        return None
    return re.findall(r"<c:pt idx=\"\d+\"><c:v>([^<]*)</c:v>", m.group(1))


def rng(col, first, last):
    """A1 reference of (1-based) column col, rows first..last, on Summary."""
    c = col_letter(col)
    return "Summary!$%s$%d:$%s$%d" % (c, first, c, last)


def hours_sum(values):
    """The listing's hours added as decimals, rounded to the micro-hour
    (README: totals of labor hours are the database's sums rounded to
    10^-6 h)."""
    return round(sum(v or 0 for v in values), 6)


# ---------------------------------------------------- the Summary checks

def check_unclosed(path, bounds, what):
    """The unclosed Summary's bucket table, A's trend row, the provider
    table and the bucket chart, recomputed from `Unclosed calls`. Returns
    (rows of the sheet, trend table rows, index of the trend's header)."""
    wb = load(path)
    calls = rows_of(wb["Unclosed calls"])
    rows = list(wb["Summary"].iter_rows(values_only=True))
    bk = buckets(bounds)
    labels = [b[2] for b in bk]
    # the header lines
    n_line = [r for r in rows[:8] if r[0] == "Unclosed calls" and
              isinstance(r[1], (int, float))]
    eq([r[1] for r in n_line], [len(calls)], seeded(what + "count line"))
    # totals by aging bucket: label, from, to, calls; then Total
    h = find(rows, ("Aging bucket", "Days open from", "Days open to",
                    "Unclosed calls"), what)
    got = table(rows, h + 1, 4)
    want = [(label, lo, hi, sum(1 for c in calls
                                if c["Aging bucket"] == label))
            for lo, hi, label in bk]
    want.append(("Total", None, None, len(calls)))
    eq(got, want, seeded(what + "table by aging bucket"))
    for c in calls:
        eq(c["Aging bucket"], bucket_of(c["Days open"], bounds),
           seeded(what + "the listing's bucket of %r" % c["Dispatch ID"]))
    # totals by provider: code (a blank cell when blank, "no provider on
    # the dispatch" as its name), calls, one
    # column per bucket; most calls first, then the code's bytes
    h = find(rows, ("Provider", "Provider name", "Unclosed calls"), what)
    eq(list(rows[h][3:3 + len(labels)]), labels,
       seeded(what + "provider table header"))
    per = {}
    for c in calls:
        p = c["Provider"] or ""
        name = c["Provider name"] if p else "no provider on the dispatch"
        e = per.setdefault(p, [name, 0] + [0] * len(labels))
        eq(e[0], name, seeded(what + "one name per provider"))
        e[1] += 1
        e[2 + labels.index(c["Aging bucket"])] += 1
    order = sorted(per, key=lambda p: (-per[p][1], p.encode()))
    want = [((p or None),) + tuple(per[p]) for p in order]
    eq(table(rows, h + 1, 3 + len(labels)), want,
       seeded(what + "table by provider"))
    # the bucket chart: categories = labels, values = calls, the table's
    # data rows (1-based h0+2 .. h0+1+n), no header, no Total
    h0 = find(rows, ("Aging bucket", "Days open from"), what)
    charts = chart_series(path)
    first, last = h0 + 2, h0 + 1 + len(bk)
    eq(charts[0][2], [(rng(1, first, last), rng(4, first, last), None)],
       seeded(what + "bucket chart ranges"))
    return rows, charts


def trend_of(rows, bounds, what):
    labels = [b[2] for b in buckets(bounds)]
    start = [k for k, r in enumerate(rows) if isinstance(r[0], str) and
             r[0].startswith("Trend")]
    eq(len(start), 1, seeded(what + "one trend table"))
    h = start[0] + 1
    eq(list(rows[h][:2 + len(labels)]), ["As of", "Unclosed calls"] + labels,
       seeded(what + "trend header"))
    body = []
    k = h + 1
    while k < len(rows) and isinstance(rows[k][0], datetime.datetime):
        body.append((rows[k][0].date(),) + tuple(rows[k][1:2 + len(labels)]))
        k += 1
    return h, body


def check_trend_chart(charts, h, n, n_labels, what):
    """The stacked chart: one series per bucket, categories = the as-of
    dates as text in the hidden column after the providers' last (fix79;
    1-based 4 + the buckets), values = that bucket's column, name = its
    header; rows exactly the table's (1-based h+2 .. h+1+n)."""
    stacked = [c for c in charts if c[1] == "stacked"]
    if n == 1:
        eq(stacked, [], seeded(what + "no trend chart of one row"))
        return
    eq(len(stacked), 1, seeded(what + "one trend chart"))
    first, last = h + 2, h + 1 + n
    want = [(rng(4 + n_labels, first, last), rng(3 + k, first, last),
             "Summary!$%s$%d" % (col_letter(3 + k), h + 1))
            for k in range(n_labels)]
    eq(stacked[0][2], want, seeded(what + "trend chart ranges"))


def check_noncomp(path, what):
    """The non-compensable Summary's totals, reason table, dealer table and
    chart, recomputed from `Non-compensable`."""
    wb = load(path)
    nc = rows_of(wb["Non-compensable"])
    rows = list(wb["Summary"].iter_rows(values_only=True))
    lines = {r[0]: r[1] for r in rows[:8] if r[0]}
    eq(lines.get("Closeouts listed"), len(nc), seeded(what + "count line"))
    eq(lines.get("Labor hours"), hours_sum(r["Labor hours"] for r in nc),
       seeded(what + "hours line"))
    h = find(rows, ("Primary reason", "Closeouts", "Labor hours"), what)
    got = [r[:3] for r in table(rows, h + 1, 4)]
    want = [(code, sum(1 for r in nc if r["Reason"] == code),
             hours_sum(r["Labor hours"] for r in nc if r["Reason"] == code))
            for code in REASONS]
    want.append(("Total", len(nc), hours_sum(r["Labor hours"] for r in nc)))
    eq(got, want, seeded(what + "table by reason"))
    for r in nc:
        eq(r["Reason"], r["All reasons"].split(";")[0],
           seeded(what + "Reason = the first of All reasons"))
    h2 = find(rows, ("Dealer", "Dealer name", "Closeouts", "Labor hours"),
              what)
    eq(list(rows[h2][4:4 + len(REASONS)]), REASONS,
       seeded(what + "dealer table header"))
    per = {}
    for r in nc:
        e = per.setdefault(r["Dealer"], [r["Dealer name"], 0, []] +
                           [0] * len(REASONS))
        eq(e[0], r["Dealer name"], seeded(what + "one name per dealer"))
        e[1] += 1
        e[2].append(r["Labor hours"])
        e[3 + REASONS.index(r["Reason"])] += 1
    order = sorted(per, key=lambda d: (-per[d][1], d.encode()))
    want = [(d, per[d][0], per[d][1], hours_sum(per[d][2])) +
            tuple(per[d][3:]) for d in order]
    eq(table(rows, h2 + 1, 4 + len(REASONS)), want,
       seeded(what + "table by dealer"))
    charts = chart_series(path)
    first, last = h + 2, h + 1 + len(REASONS)
    eq(charts, [(charts[0][0], "clustered",
                 [(rng(1, first, last), rng(2, first, last), None)])],
       seeded(what + "the reasons chart"))
    return nc


def check_change_counts(up, np_, what):
    """The Summaries' change counts (README "Changes since the previous
    report") against the `Changes` sheet and the `New` column."""
    ub = load(up)
    rows = list(ub["Summary"].iter_rows(values_only=True))
    changes = rows_of(ub["Changes"])
    nb = load(np_)
    nrows = {r[0]: r[1] for r in
             nb["Summary"].iter_rows(values_only=True) if r[0]}
    new = [r["New"] for r in rows_of(nb["Non-compensable"])]
    at = [k for k, r in enumerate(rows) if r[:2] == ("Change", "Calls")]
    if not at:
        eq(changes, [], seeded(what + "no previous report, no changes"))
        check("New since the previous report" not in nrows and
              set(new) <= {None}, seeded(what + "no New"))
        return False
    got = {r[0].strip(): r[1] for r in rows[at[0] + 1:at[0] + 7]}
    kind = lambda k: sum(1 for c in changes if c["Change"] == k)
    closed = [c["Closed by"] for c in changes if c["Change"] == "Closed"]
    by_clo = sum(1 for c in closed if (c or "").startswith(
        "closeout accepted ("))
    canc = sum(1 for c in closed if (c or "").startswith(
        "dispatch cancelled ("))
    eq(got, {"Newly unclosed": kind("Newly unclosed"), "Closed": len(closed),
             "by a closeout": by_clo, "cancelled": canc,
             "no longer listed otherwise": len(closed) - by_clo - canc,
             "Bucket moved": kind("Bucket moved")},
       seeded(what + "change counts = the Changes sheet"))
    eq(nrows["New since the previous report"], new.count("yes"),
       seeded(what + "New count = the New column"))
    check(set(new) <= {"yes", "no"}, seeded(what + "New is yes or no"))
    return True


def report(t, out, a, *extra):
    p = run("report", "--db", t.p("svc.db"), "--out", t.p(out), "--as-of",
            iso(a), "--quiet", *extra)
    eq(p.returncode, 0, seeded("report as of %s %r: %s" % (
        a, extra, p.stderr.decode(errors="replace"))))
    return t.p(out, "unclosed_calls_%s.xlsx" % iso(a)), \
        t.p(out, "non_compensable_%s.xlsx" % iso(a))


def night(t, inbox, *extra):
    p = run("run", "--db", t.p("svc.db"), "--inbox", t.p(inbox), "--out",
            t.p("out"), "--quiet", *extra)
    eq(p.returncode, 0, seeded("run %r: %s" % (
        extra, p.stderr.decode(errors="replace"))))


# ----------------------------------------------------------------- tests

def test_every_summary_table_and_chart_is_its_listing_added_up():
    """Guard (green from the start): on generated nights, the unclosed
    Summary (count, table by aging bucket, table by provider with a blank
    Provider cell and "no provider on the dispatch" as its name
    for a blank provider, A's trend row) and the non-compensable Summary
    (count, hours, table by primary reason, table by dealer) equal their
    listings added up, rows in order (most first, then the code's bytes:
    `AB` < `Ab` < `ab`), hours to the micro-hour; each chart's series point
    at exactly the table's data rows (no header, no Total), with the
    default buckets, with --buckets 30,60 and 1,2,3,5,8,13,21,34,55,89,100
    (12 buckets), and with --from."""
    rnd = random.Random(SEED)
    with Tmp() as t:
        a = datetime.date(2026, 3, 12)
        feeds(t, rnd, "in", a, tag="1")
        night(t, "in", "--as-of", iso(a))
        for k, (bounds, extra) in enumerate([
                (DEFAULT_BOUNDS, ()),
                ((30, 60), ("--buckets", "30,60")),
                ((1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 100),
                 ("--buckets", "1,2,3,5,8,13,21,34,55,89,100")),
                (DEFAULT_BOUNDS, ("--from", "2026-02-01"))]):
            what = "report %r: " % (extra,)
            up, np_ = report(t, "o%d" % k, a, *extra)
            rows, charts = check_unclosed(up, bounds, what)
            h, body = trend_of(rows, bounds, what)
            calls = rows_of(load(up)["Unclosed calls"])
            labels = [b[2] for b in buckets(bounds)]
            eq(body[-1], (a, len(calls)) + tuple(
                sum(1 for c in calls if c["Aging bucket"] == lab)
                for lab in labels), seeded(what + "A's trend row"))
            nc = check_noncomp(np_, what)
            if "--from" in extra:
                check(all(r["Submitted"] >= datetime.datetime(2026, 2, 1)
                          for r in nc), seeded("--from applied"))
            else:
                eq(sorted({r["Reason"] for r in nc}), sorted(REASONS),
                   seeded(what + "every reason in the data"))
        provs = {c["Provider"] for c in calls}
        check({"AB", "Ab", "ab", None} <= provs,
              seeded("dealers differing in case, and none, are providers "
                     "(providers listed: %r)" % sorted(provs, key=repr)))



FIRST = ("This is the first report recorded in this database: the trend "
         "starts here.")


def test_the_trend_is_every_recorded_report_in_todays_buckets():
    """The trend (SPEC §4: "the open calls by aging bucket for each
    recorded report up to A (at most the last 60)"; README "Trend": each
    recorded call counted in the bucket of today's --buckets its recorded
    days open falls in) against the listings of the reports as written:
    nights reported out of order (a past night reported after later ones),
    the same night reported twice with new data in between (its latest
    report counts), nights with --from and with other --buckets, and a
    report as of a date before every recorded one. Each row of each trend
    is the listing of that as-of's latest report counted in the report's
    own buckets, A's row is A's own listing, and the chart covers exactly
    the table's rows.

    Defect, red before its fix: a report as of a date before every recorded
    report (an old night re-done after later ones) said under its one-row
    trend "This is the first report recorded in this database: the trend
    starts here. Each later report adds a row and the chart." -- with the
    later reports recorded and listed in the same database. It now says
    that no report before this as-of date is recorded and that the reports
    of later dates are (reports/rpt_unclosed.c).

    Guard besides (green from the start): each Summary's change counts
    equal its `Changes` sheet (the closed ones split by Closed by) and its
    New count the `New` column."""
    rnd = random.Random(SEED + 1)
    with Tmp() as t:
        days = {}             # as-of -> [days open] of its latest listing
        compared = 0
        plan = [  # (as-of, new files?, extra options)
            (datetime.date(2026, 2, 2), True, ()),
            (datetime.date(2026, 2, 9), True, ("--buckets", "30,60")),
            (datetime.date(2026, 2, 16), True, ("--from", "2026-02-10")),
            (datetime.date(2026, 3, 2), True, ()),
            (datetime.date(2026, 2, 23), False, ()),            # out of order
            (datetime.date(2026, 2, 16), True, ()),           # same night again
            (datetime.date(2026, 1, 5), False, ("--buckets", "10")),  # before all
            (datetime.date(2026, 3, 9), True,
             ("--buckets", "1,2,3,5,8,13,21,34,55,89,100")),
        ]
        for k, (a, new, extra) in enumerate(plan):
            inbox = "in%d" % k
            if new:
                feeds(t, rnd, inbox, a, n_disp=40, n_clo=30, tag="%d" % k)
            else:
                os.makedirs(t.p(inbox))
            p = run("run", "--db", t.p("svc.db"), "--inbox", t.p(inbox),
                    "--out", t.p("out"), "--as-of", iso(a), "--quiet",
                    *extra)
            eq(p.returncode, 0, seeded("night %s: %s" % (
                a, p.stderr.decode(errors="replace"))))
            bounds = DEFAULT_BOUNDS
            if "--buckets" in extra:
                bounds = tuple(int(x) for x in
                               extra[extra.index("--buckets") + 1].split(","))
            what = "as of %s %r: " % (a, extra)
            path = t.p("out", "unclosed_calls_%s.xlsx" % iso(a))
            rows, charts = check_unclosed(path, bounds, what)
            h, body = trend_of(rows, bounds, what)
            mine = [c["Days open"] for c in
                    rows_of(load(path)["Unclosed calls"])]
            before = sorted(d for d in days if d < a)[-59:]
            labels = [b[2] for b in buckets(bounds)]
            want = []
            for d in before + [a]:
                dd = days[d] if d != a else mine
                per = [sum(1 for x in dd if bucket_of(x, bounds) == lab)
                       for lab in labels]
                want.append((d, sum(per)) + tuple(per))
            eq(body, want, seeded(what + "trend"))
            check_trend_chart(charts, h, len(body), len(labels), what)
            compared += check_change_counts(
                path, t.p("out", "non_compensable_%s.xlsx" % iso(a)), what)
            sentence = [r[0] for r in rows[h + 1 + len(body):]
                        if isinstance(r[0], str) and "trend starts" in r[0]]
            later = [d for d in days if d > a]
            if len(body) > 1:
                eq(sentence, [], seeded(what + "no sentence"))
            elif not later:
                check(len(sentence) == 1 and sentence[0].startswith(FIRST),
                      seeded(what + "the first report: %r" % sentence))
            else:
                eq(len(sentence), 1, seeded(what + "a sentence"))
                check("first report" not in sentence[0] and
                      "later" in sentence[0], seeded(
                          what + "reports of later dates are recorded: %r"
                          % sentence[0]))
            days[a] = mine
        eq(len(days), 7, "seven as-of dates recorded")
        eq(compared, 6, "six reports with a previous one")



def trend_sentence(path):
    rows = list(load(path)["Summary"].iter_rows(values_only=True))
    return [r[0] for r in rows if isinstance(r[0], str) and
            "trend starts" in r[0]]


def test_the_first_night_run_again_after_a_later_one_says_so():
    """Defect, red before its fix (with the sentence fixed alone): the
    first night run again with nothing new, after a later night was
    reported, kept its workbooks as "up to date" -- they still said "This
    is the first report recorded in this database" -- since the re-run
    stamp (README "Re-runs") did not know that reports of later dates
    were recorded; a fresh report writes the other sentence. The stamp
    now says so when no report precedes A. Then a second re-run is up to
    date again (the same bytes), and the later night is unchanged."""
    rnd = random.Random(SEED + 2)
    with Tmp() as t:
        a1, a2 = datetime.date(2026, 1, 5), datetime.date(2026, 2, 2)
        feeds(t, rnd, "in", a1, n_disp=20, n_clo=10, tag="1")
        night(t, "in", "--as-of", iso(a1))
        p1 = t.p("out", "unclosed_calls_%s.xlsx" % iso(a1))
        s1 = trend_sentence(p1)
        check(len(s1) == 1 and s1[0].startswith(FIRST), seeded(repr(s1)))
        # the later night: nothing new delivered (a report as of a2)
        p2, _ = report(t, "out", a2)
        d2 = sha256(p2)
        eq(trend_sentence(p2), [], seeded("two rows, no sentence"))
        night(t, "in", "--as-of", iso(a1))
        s1 = trend_sentence(p1)
        check(len(s1) == 1 and "first report" not in s1[0] and
              "later" in s1[0], seeded("re-run after a later night: %r" % s1))
        d1 = sha256(p1)
        p = run("run", "--db", t.p("svc.db"), "--inbox", t.p("in"), "--out",
                t.p("out"), "--as-of", iso(a1))
        eq(p.returncode, 0, seeded("third run"))
        check(b"up to date" in p.stderr, seeded(p.stderr.decode()))
        eq((sha256(p1), sha256(p2)), (d1, d2), seeded("the same bytes"))
        # a fresh report of a1 elsewhere writes those bytes too
        up, _ = report(t, "fresh", a1)
        eq(load(up)["Summary"]["A1"].value, "Unclosed calls", "fresh")
        eq(trend_sentence(up), s1, seeded("a fresh report's sentence"))



OK_BYTES = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
               b"0123456789-_")


def escaped(dealer):
    return "".join(chr(b) if b in OK_BYTES else "%%%02X" % b
                   for b in dealer.encode())


def statement_names(dealers):
    """README: the escaped id + ".xlsx", unique ignoring case: of ids that
    differ only in case the first in byte order keeps it, a later one ends
    "~" + 16 hex digits of its SHA-256 (t9980)."""
    names, seen = {}, set()
    for d in sorted(dealers, key=lambda d: d.encode()):
        n = escaped(d) + ".xlsx"
        if n.lower() in seen:
            n = escaped(d) + "~" + hashlib.sha256(
                d.encode()).hexdigest()[:16] + ".xlsx"
        seen.add(n.lower())
        names[d] = n
    return names


def test_the_statements_add_up_to_the_main_listings():
    """Guard (green from the start): SPEC §4 statements are "the same rows
    as the main listings, filtered to the dealer". Over every statement of
    a generated night (dealers differing only in case, `x y` and `café`
    named with %HH, `a/b` that must not make a folder): the union of the
    statements' rows is the main listings' rows of those dealers -- none
    lost, none twice, the dealer names the same --; each statement's
    Summary figures are its own sheets added up (calls, its oldest call,
    closeouts, labor hours to the micro-hour, exceptions); and a dealer
    with only a registration exception (its one call closed out) gets no
    statement, while its exception is on the audit's listing."""
    rnd = random.Random(SEED + 3)
    with Tmp() as t:
        a = datetime.date(2026, 3, 12)
        feeds(t, rnd, "in", a, tag="1")
        # EXC1: registered for nothing, its one call closed out by it
        write_csv(t.p("in", "dispatches_z.csv"), DIS_HDR, [
            ["XE1", "2026-03-01 09:00", "M1", "S3", "EXC1", "C", "", "",
             "OPEN"],
            ["XS1", "2026-03-01 09:00", "M1", "S4", "a/b", "C", "", "",
             "OPEN"]])
        write_csv(t.p("in", "closeouts_z.csv"), CLO_HDR, [
            ["EXC1", "2026-03-02 09:00", "XE1", "S3", "M1", "2026-03-02",
             "T", "1", "R", ""]])
        night(t, "in", "--as-of", iso(a), "--statements")
        paths = {k: t.p("out", "%s_%s.xlsx" % (k, iso(a)))
                 for k in ("unclosed_calls", "non_compensable", "audit")}
        U = [list(r.values()) for r in
             rows_of(load(paths["unclosed_calls"])["Unclosed calls"])]
        N = [list(r.values()) for r in
             rows_of(load(paths["non_compensable"])["Non-compensable"])]
        E = [list(r.values()) for r in
             rows_of(load(paths["audit"])["Registration exceptions"])]
        check(any(r[3] == "EXC1" for r in E), seeded("EXC1's exception"))
        folder = t.p("out", "statements_" + iso(a))
        files = sorted(os.listdir(folder))
        dealers = sorted({r[4] for r in U if r[4]} | {r[0] for r in N})
        file_of = statement_names(dealers)
        eq(files, sorted(file_of.values()),
           seeded("one statement per dealer, named with %HH"))
        check("EXC1.xlsx" not in files and "a%2Fb.xlsx" in files,
              seeded("no statement for EXC1; a/b escaped"))
        got = {"Unclosed calls": [], "Non-compensable": [],
               "Registration exceptions": []}
        for f in files:
            wb = load(os.path.join(folder, f))
            summ = {r[0]: r[1:] for r in
                    wb["Summary"].iter_rows(values_only=True) if r[0]}
            d = summ["Dealer"][0]
            eq(file_of.get(d), f, seeded("the statement's dealer"))
            sheets = {}
            for sh in got:
                rows = [list(r.values()) for r in rows_of(wb[sh])]
                width = {"Unclosed calls": len(U[0]),
                         "Non-compensable": len(N[0]),
                         "Registration exceptions": len(E[0])}[sh]
                got[sh] += [tuple(r[:width]) for r in rows]
                sheets[sh] = rows
            u, n, e = (sheets["Unclosed calls"], sheets["Non-compensable"],
                       sheets["Registration exceptions"])
            what = "%s's Summary: " % d
            eq(summ["Calls dispatched to you that are not closed out"][0],
               len(u), seeded(what + "calls"))
            if u:
                eq(summ["Your oldest open call"][0], u[0][0],
                   seeded(what + "oldest call"))
                # "1 day", as sheet_days_text writes it (a seed whose
                # oldest call was a day old failed on "1 days": CI, stop 30)
                eq(summ["Your oldest open call"][1],
                   "dispatched %s, open %s" % (
                       u[0][1].date().isoformat(),
                       "1 day" if u[0][2] == 1 else "%d days" % u[0][2]),
                   seeded(what + "oldest call's line"))
            eq(summ["Closeouts that do not qualify for labor compensation"]
               [0], len(n), seeded(what + "closeouts"))
            eq(summ["Labor hours at stake"][0], hours_sum(r[6] for r in n),
               seeded(what + "hours"))
            eq(summ["Registration exceptions on calls dispatched to you"][0],
               len(e), seeded(what + "exceptions"))
        for sh, rows, key in (("Unclosed calls", U, 4),
                              ("Non-compensable", N, 0),
                              ("Registration exceptions", E, 3)):
            want = sorted((tuple(r) for r in rows if r[key] in dealers),
                          key=repr)
            eq(len(got[sh]), len(set(got[sh])), seeded(sh + ": none twice"))
            eq(sorted(got[sh], key=repr), want,
               seeded(sh + ": the union of the statements"))


main(globals())
