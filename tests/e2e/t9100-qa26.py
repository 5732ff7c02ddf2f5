#!/usr/bin/python3
"""t9100 -- explain and the workbooks tell the same story (QA pass 26).

An auditor picks rows from the workbooks and asks `svcrecon explain` about
them. The listings are written by reports/ (schemas/queries/report,
schemas/rules) and explain by reports/explain*.c (schemas/queries/explain):
two code paths over the same rule state. This suite generates seeded
histories (four nights delivered through `run --inbox`, extra files through
`import`, a late file) holding every case of SPEC §2/§3, reports them as of
several dates (the nights, a past night re-reported with `report --as-of`,
`--from`, non-default `--buckets`, and explain without `--as-of`), and for
EVERY row of every listing asks explain about its dispatch id and its
source cell (`--source FILE:LINE`), and about every id the history names
(listed or not). Listings and explain are both compared with an oracle
written here from SPEC alone (the SPEC's rules; explain's JSON fields and
the standings' names from README "explain").

Defect, seen red before its fix:
- explain --json did not say which of two files of one base name a
  location is (test_json_says_which_file_of_one_name_a_location_is): the
  workbooks give Source SHA-256 and the text "(SHA-256 …)", the JSON only
  {file, line}; now "sha256_12" too, where the text gives the digits.
- explain --source FILE:LINE of a name imported more than once told each
  file's row under the same heading and file line, its JSON "source"
  without digits (test_source_of_a_shared_name_says_which_file_each_row_is,
  qa81): the file line now ends with ", SHA-256 …" and "source" carries
  "sha256_12".

Guards (these held before this pass, the oracle's mistakes aside):
- test_explain_and_the_listings_agree_over_seeded_histories: for the
  seeds of $T9100_SEEDS (default 2601; 30+ other seeds were run by hand),
  every listed row and every named id, on the back end of the pass, as of
  every report: four nights, a late dispatch log run again as of the
  second night, that night re-reported, --from, --buckets 3,10,20;
- test_explain_without_as_of_tells_the_latest_reports_date: SPEC §5;
- test_both_back_ends_give_the_same_explain (PostgreSQL pass): the same
  history on SQLite and PostgreSQL gives the same explain JSON for every id
  and every listed source cell (import times and the database aside).
"""
import datetime
import hashlib
import json
import os
import random
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import (ON_PG, SVCRECON, Tmp, check, eq, main, pg_uri,  # noqa: E402
                     postgresql_only, schema_of, svc)
from xlsx_helpers import load, listing, header  # noqa: E402

NIGHTS = ["2026-03-02", "2026-03-05", "2026-03-09", "2026-03-12"]
DEFAULT_BOUNDS = [7, 14, 30, 60, 90]
REG_COLS = ["dealer_id", "dealer_name", "model", "serial_number", "registered_on",
            "wmp_selected", "removed_on"]
DSP_COLS = ["dispatch_id", "dispatched_at", "model", "serial_number", "provider_id",
            "customer_name", "customer_postal_code", "problem_code", "status"]
CLO_COLS = ["dealer_id", "submitted_at", "dispatch_id", "serial_number", "model",
            "completed_on", "technician", "labor_hours", "resolution_code", "parts"]
REASONS = ["NO_DISPATCH", "DISPATCH_CANCELLED", "PROVIDER_MISMATCH", "SERIAL_MISMATCH",
           "SERVICE_BEFORE_DISPATCH", "INCOMPLETE_SECTION2", "DUPLICATE_CLOSEOUT"]
EXCEPTIONS = ["NO_REGISTRATION", "NOT_PROVIDER_OF_RECORD", "WMP_SELECTED",
              "MODEL_MISMATCH", "OVERLAPPING_REGISTRATION"]
DEALERS = ["CA1042", "IL0733", "IL0815", "NY2201", "TX0090"]
MODELS = ["iPF8400S", "PRO-4000", "TM-305"]


def d(s):
    return datetime.date.fromisoformat(s)


def norm(s):
    return s.upper().replace(" ", "").replace("-", "")


def bucket(days, bounds):
    lo = 0
    for b in bounds:
        if days <= b:
            return "%d-%d" % (lo, b)
        lo = b + 1
    return "%d+" % lo


# ---- the generator ----------------------------------------------------------
#
# A feed row is a dict of column -> text as written; `bad` says why it is a
# rejected row (SPEC §2), None when it loads. Dates are written in either
# form (SPEC §2), serials and models in any case with blanks or hyphens.

def fmt_date(rng, day):
    return day.isoformat() if rng.random() < 0.7 else day.strftime("%m/%d/%Y")


def fmt_dt(rng, dt):
    s = fmt_date(rng, dt.date()) + rng.choice(["T", " "])
    return s + (dt.strftime("%H:%M") if dt.second == 0 and rng.random() < 0.5
                else dt.strftime("%H:%M:%S"))


def spell(rng, s):
    """s as a feed may write it: same after normalization."""
    r = rng.random()
    if r < 0.2:
        return s.lower()
    if r < 0.3 and len(s) > 3:
        return s[:3] + "-" + s[3:]
    if r < 0.35 and len(s) > 3:
        return s[:3] + " " + s[3:]
    return s


class History:
    """The seeded history: files in import order, each with how it is
    delivered (`import` before the night's run, or the night's inbox)."""

    def __init__(self, seed):
        self.rng = rng = random.Random(seed)
        self.files = []          # dicts: name, kind, night, via, rows
        self.serials = {}        # serial -> model
        for i in range(14):
            self.serials["AFK%05d" % rng.randrange(100000)] = rng.choice(MODELS)
        self.serial_list = sorted(self.serials)
        self.dispatches = {}     # id -> latest generated version (dict) for the generator
        self.next_id = 100
        self.rejected_only = []
        self.build()

    def new_id(self):
        self.next_id += 1
        return "D26%05d" % self.next_id

    def add(self, name, kind, night, via, rows):
        self.files.append(dict(name=name, kind=kind, night=night, via=via, rows=rows))

    def build(self):
        rng = self.rng
        # registrations: the first night most, later nights change some.
        regs = []
        unregistered = set(self.serial_list[-3:])
        for s in self.serial_list:
            if s in unregistered:
                continue
            dealer = rng.choice(DEALERS)
            regs.append(dict(dealer_id=dealer, dealer_name="Dealer " + dealer,
                             model=spell(rng, self.serials[s]), serial_number=spell(rng, s),
                             registered_on="2025-%02d-15" % rng.randrange(1, 12),
                             wmp_selected=rng.choice(["", "N", "no", "0"]), removed_on="",
                             bad=None))
        s0, s1, s2, s3 = self.serial_list[:4]
        # several dealers (overlapping), WMP, a model of another machine, removed
        regs.append(dict(dealer_id="NY2201", dealer_name="", model=self.serials[s0],
                         serial_number=s0, registered_on="2025-06-01", wmp_selected="",
                         removed_on="", bad=None))
        regs.append(dict(dealer_id="TX0090", dealer_name="Texas Imaging",
                         model=self.serials[s1], serial_number=s1,
                         registered_on="2025-07-01", wmp_selected="Yes", removed_on="",
                         bad=None))
        regs.append(dict(dealer_id="CA1042", dealer_name="Dealer CA1042", model="TX-9999",
                         serial_number=s2, registered_on="2025-01-01", wmp_selected="",
                         removed_on="2026-02-20", bad=None))
        regs.append(dict(dealer_id="IL0733", dealer_name="x", model="iPF8400S",
                         serial_number=s3, registered_on="2026-03-01",
                         wmp_selected="", removed_on="2026-02-01",
                         bad="removed_on precedes registered_on"))
        regs.append(dict(dealer_id="IL0733", dealer_name="x", model="iPF8400S",
                         serial_number=s3, registered_on="2026-03-01",
                         wmp_selected="maybe", removed_on="", bad="wmp flag"))
        self.add("registrations_1.csv", "registrations", 0, "run", regs)
        night_regs = {
            1: [dict(regs[0], removed_on="2026-03-03", bad=None),        # removed
                dict(regs[1], wmp_selected="Y", bad=None)],               # WMP now
            2: [dict(dealer_id=rng.choice(DEALERS), dealer_name="Late Dealer",
                     model=self.serials[s3], serial_number=s3.lower(),
                     registered_on="2026-03-04", wmp_selected="true", removed_on="",
                     bad=None)],
        }
        for n in (1, 2):
            self.add("registrations_%d.csv" % (n + 1), "registrations", n, "run",
                     night_regs[n])
        # dispatches and closeouts, night by night
        for n, night in enumerate(NIGHTS):
            start = d(NIGHTS[n - 1]) + datetime.timedelta(days=1) if n else d("2026-01-20")
            end = d(night)
            span = (end - start).days
            dsp = self.dispatch_file(n, start, span, end)
            self.add("dispatches_%d.csv" % (n + 1), "dispatches", n, "run", dsp)
            clo = self.closeout_file(n, end, 7 if n else 9)
            self.add("closeouts_%d.csv" % (n + 1), "closeouts", n, "run", clo)
            fax = self.closeout_file(n, end, 3)
            # an `import`ed file, whose name matches no inbox kind
            self.add("fax_%d.csv" % (n + 1), "closeouts", n, "import", fax)
            if n == 2:
                # a late file: closeouts dated before the previous night's as-of
                late = self.closeout_file(1, d(NIGHTS[1]), 4, late=True)
                self.add("closeouts_2.csv", "closeouts", n, "run", late)
        # a late dispatch log of the second night, delivered after the
        # fourth by `run --as-of` the second night's date again (night 4)
        late = self.dispatch_file(4, d("2026-02-27"), 6, d(NIGHTS[1]))
        self.add("dispatches_late.csv", "dispatches", 4, "run", late)

    def dispatch_file(self, n, start, span, end):
        rng = self.rng
        rows, seen = [], set()
        for i in range(4 if n else 7):
            did = self.new_id()
            day = start + datetime.timedelta(days=rng.randrange(span + 1))
            if rng.random() < 0.1:       # dated after this night's as-of
                day = end + datetime.timedelta(days=rng.randrange(1, 4))
            dt = datetime.datetime.combine(day, datetime.time(rng.randrange(7, 19),
                                                              rng.choice([0, 15, 30])))
            s = rng.choice(self.serial_list)
            reg_model = self.serials[s]
            model = reg_model if rng.random() < 0.85 else rng.choice(MODELS)
            prov = rng.choice(DEALERS) if rng.random() < 0.9 else ""
            status = rng.choice(["OPEN", "", "open", "OPEN", ""]) if rng.random() < 0.85 \
                else rng.choice(["CANCELLED", "cancelled"])
            cust = "Customer %d" % i if rng.random() < 0.8 else "Line one\nline two"
            v = dict(dispatch_id=did, dispatched_at=fmt_dt(rng, dt), model=spell(rng, model),
                     serial_number=spell(rng, s), provider_id=prov, customer_name=cust,
                     customer_postal_code="0%04d" % rng.randrange(10000),
                     problem_code=rng.choice(["P", "INK", ""]), status=status, bad=None,
                     _dt=dt, _serial=s, _prov=prov)
            rows.append(v)
            seen.add(did)
            self.dispatches[did] = v
        if n == 1:
            # on the day a registration ends (not active), and the day one
            # begins (active)
            for s, day in ((self.serial_list[0], "2026-03-03"),
                           (self.serial_list[3], "2026-03-04")):
                did = self.new_id()
                dt = datetime.datetime.combine(d(day), datetime.time(7, 5))
                v = dict(dispatch_id=did, dispatched_at=fmt_dt(rng, dt),
                         model=self.serials[s], serial_number=s, provider_id="NY2201",
                         customer_name="Edge", customer_postal_code="", problem_code="",
                         status="", bad=None, _dt=dt, _serial=s, _prov="NY2201")
                rows.append(v)
                seen.add(did)
                self.dispatches[did] = v
        # later versions of earlier dispatches: cancelled, reopened, reassigned,
        # moved to another machine, re-dated
        earlier = sorted(k for k in self.dispatches if k not in seen)
        for did in rng.sample(earlier, min(len(earlier), 4)):
            old = self.dispatches[did]
            v = dict(old, bad=None)
            what = rng.choice(["cancel", "provider", "redate_after", "redate_before",
                               "serial", "reopen"])
            if what == "cancel":
                v["status"] = "Cancelled"
            elif what == "reopen":
                v["status"] = rng.choice(["", "OPEN"])
            elif what == "serial":
                v["_serial"] = rng.choice(self.serial_list)
                v["serial_number"] = spell(rng, v["_serial"])
            elif what == "provider":
                v["provider_id"] = v["_prov"] = rng.choice(DEALERS)
            elif what == "redate_after":
                v["_dt"] = datetime.datetime.combine(end + datetime.timedelta(days=2),
                                                     datetime.time(9, 0))
            else:
                v["_dt"] = v["_dt"] - datetime.timedelta(days=3)
            v["dispatched_at"] = fmt_dt(rng, v["_dt"])
            rows.append(v)
            seen.add(did)
            self.dispatches[did] = v
        # rejected rows naming dispatch ids
        some = rng.choice(sorted(self.dispatches))
        rows.append(dict(self.dispatches[some], status="CLOSED", bad="status"))
        rows.insert(1, dict(rows[0], customer_name="again", bad="duplicate key"))
        only = "RJ%d" % (n + 1)
        self.rejected_only.append(only)
        rows.append(dict(rows[2], dispatch_id=only, dispatched_at="2026-02-30 10:00",
                         bad="date"))
        return rows

    def closeout_file(self, n, end, count, late=False):
        rng = self.rng
        rows, keys = [], set()      # keys: no key twice in one file
        ids = sorted(self.dispatches)
        for i in range(count):
            r = rng.random()
            if r < 0.05:
                # a dispatch whose log comes on a later night
                did, v = "D26%05d" % (self.next_id + rng.randrange(1, 4)), None
            elif r < 0.78:
                did = rng.choice(ids)
                v = self.dispatches[did]
            elif r < 0.86:
                did, v = "U%03d" % rng.randrange(1000), None
            elif r < 0.93:
                did, v = "", None
            else:
                did, v = rng.choice(self.rejected_only), None
            base = v["_dt"].date() if v else end - datetime.timedelta(days=3)
            dealer = v["_prov"] if v and v["_prov"] and rng.random() < 0.75 else \
                rng.choice(DEALERS)
            if v and rng.random() < 0.8:
                serial = spell(rng, v["_serial"])
            else:
                serial = rng.choice([spell(rng, rng.choice(self.serial_list)), ""])
            comp = base + datetime.timedelta(days=rng.randrange(0, 3))
            if rng.random() < 0.12:
                comp = base - datetime.timedelta(days=rng.randrange(1, 4))
            sub = datetime.datetime.combine(
                max(comp, base) + datetime.timedelta(days=rng.randrange(0, 3)),
                datetime.time(rng.randrange(8, 20), rng.randrange(60), rng.choice([0, 0, 17])))
            if late:
                sub = min(sub, datetime.datetime.combine(end, datetime.time(8, 0)))
            if did and rng.random() < 0.1:
                did = rng.choice([" %s " % did, did.lower()])
            row = dict(dealer_id=dealer, submitted_at=fmt_dt(rng, sub), dispatch_id=did,
                       serial_number=serial, model=rng.choice(MODELS + [""]),
                       completed_on=fmt_date(rng, comp) if rng.random() > 0.07 else "",
                       technician="Tech %d" % i if rng.random() > 0.08 else "",
                       labor_hours=rng.choice(["1.5", "0.25", "2", "8", "0", "", "3.75", "0.00"]),
                       resolution_code="R" if rng.random() > 0.08 else "",
                       parts=rng.choice(["", "Ink tube set", "=HYPERLINK(\"x\")"]),
                       bad=None, _sub=sub)
            if (dealer, did.strip(), sub) in keys:
                continue
            keys.add((dealer, did.strip(), sub))
            rows.append(row)
        # a duplicate valid closeout across imports: a second, later one
        # answering a dispatch answered before, by its provider, complete
        for did in rng.sample(ids, 2):
            v = self.dispatches[did]
            if not v["_prov"]:
                continue
            sub = datetime.datetime.combine(max(v["_dt"].date(), end - datetime.timedelta(days=1)),
                                            datetime.time(18, 30))
            if (v["_prov"], did, sub) in keys:
                continue
            keys.add((v["_prov"], did, sub))
            rows.append(dict(dealer_id=v["_prov"], submitted_at=fmt_dt(rng, sub),
                             dispatch_id=did, serial_number=v["_serial"], model="",
                             completed_on=fmt_date(rng, v["_dt"].date()), technician="T",
                             labor_hours="1", resolution_code="R", parts="", bad=None,
                             _sub=sub))
        # SERIAL_MISMATCH alone: the provider's complete form, another serial
        v = self.dispatches[rng.choice(ids)]
        other = rng.choice([s for s in self.serial_list if s != v["_serial"]])
        sub = datetime.datetime.combine(v["_dt"].date(), datetime.time(23, 59, 59))
        if v["_prov"] and (v["_prov"], v["dispatch_id"], sub) not in keys:
            keys.add((v["_prov"], v["dispatch_id"], sub))
            rows.append(dict(dealer_id=v["_prov"], submitted_at=fmt_dt(rng, sub),
                             dispatch_id=v["dispatch_id"], serial_number=other, model="",
                             completed_on=fmt_date(rng, v["_dt"].date()), technician="T",
                             labor_hours="0.5", resolution_code="R", parts="", bad=None,
                             _sub=sub))
        # a superseding version of an earlier closeout (same key, fixed or broken)
        prev = [r for f in self.files if f["kind"] == "closeouts" for r in f["rows"]
                if r["bad"] is None]
        if prev:
            old = rng.choice(prev)
        if prev and (old["dealer_id"], old["dispatch_id"], old["_sub"]) not in keys:
            new = dict(old, technician=rng.choice(["", "Fixed Tech"]),
                       labor_hours=rng.choice(["0", "2.5"]),
                       submitted_at=fmt_dt(rng, old["_sub"]), bad=None)
            rows.append(new)
        # rejected rows naming a dispatch id
        rows.append(dict(rows[0], labor_hours="30", bad="labor"))
        rows.append(dict(rows[-2], dealer_id="", bad="blank dealer"))
        return rows


# ---- writing the files ------------------------------------------------------

def csv_field(v):
    if any(c in v for c in ',"\n\r') or v != v.strip():
        return '"' + v.replace('"', '""') + '"'
    return v


def write_file(rng, path, cols, rows):
    """Writes rows under a shuffled, re-cased header; sets each row's
    physical line (SPEC §2: the header is line 1, blank lines and line
    breaks inside quotes count)."""
    cols = list(cols)
    rng.shuffle(cols)
    head = [c.upper() if rng.random() < 0.2 else c for c in cols]
    out = [",".join(head)]
    line = 2
    for r in rows:
        if rng.random() < 0.08:
            out.append("")
            line += 1
        r["_line"] = line
        text = ",".join(csv_field(r[c]) for c in cols)
        out.append(text)
        line += text.count("\n") + 1
    # CRLF line ends (a break inside quotes too) and a byte-order mark,
    # sometimes (SPEC §2)
    eol = "\r\n" if rng.random() < 0.3 else "\n"
    text = "\n".join(out) + "\n"
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(("\ufeff" if rng.random() < 0.15 else "") + text.replace("\n", eol))
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:12]


COLS = {"registrations": REG_COLS, "dispatches": DSP_COLS, "closeouts": CLO_COLS}


def parse_date(s):
    if not s:
        return None
    if "/" in s[:10]:
        return datetime.datetime.strptime(s[:10], "%m/%d/%Y").date()
    return d(s[:10])


def parse_dt(s):
    day = parse_date(s)
    rest = s[11:]
    t = datetime.time.fromisoformat(rest if len(rest) == 8 else rest + ":00") if rest \
        else datetime.time(0, 0)
    return datetime.datetime.combine(day, t)


# ---- the oracle: SPEC §3 over the rows loaded so far ------------------------

def loaded(files):
    """[(seq, file, row)] of every loaded row of files, in import order."""
    out = []
    for seq, f in enumerate(files):
        for r in f["rows"]:
            if r["bad"] is None:
                out.append((seq, f, r))
    return out


def oracle(files, as_of, bounds, from_=None):
    A = d(as_of)
    rows = loaded(files)
    regs, dsp, clo = {}, {}, {}
    for seq, f, r in rows:
        if f["kind"] == "registrations":
            key = (r["dealer_id"], norm(r["serial_number"]), parse_date(r["registered_on"]))
            regs[key] = (f, r)
        elif f["kind"] == "dispatches":
            dsp[r["dispatch_id"]] = (seq, f, r)
        else:
            clo[(r["dealer_id"], r["dispatch_id"].strip(), parse_dt(r["submitted_at"]))] = \
                (seq, f, r)
    # dispatches taking part
    disp = {}
    for did, (seq, f, r) in dsp.items():
        dt = parse_dt(r["dispatched_at"])
        disp[did] = dict(id=did, dt=dt, day=dt.date(), file=f["name"], line=r["_line"],
                         sha=f["sha"],
                         status="CANCELLED" if r["status"].upper() == "CANCELLED" else "OPEN",
                         provider=r["provider_id"], serial=norm(r["serial_number"]),
                         model=norm(r["model"]), checked=dt.date() <= A)
    # closeouts taking part
    closeouts = []
    for key, (seq, f, r) in clo.items():
        sub = parse_dt(r["submitted_at"])
        if sub.date() > A:
            continue
        did = r["dispatch_id"].strip()      # identifiers are trimmed (SPEC §2)
        dd = disp.get(did)
        reasons = []
        if not did or dd is None or not dd["checked"]:
            reasons.append("NO_DISPATCH")
        else:
            if dd["status"] == "CANCELLED":
                reasons.append("DISPATCH_CANCELLED")
            if r["dealer_id"] != dd["provider"]:
                reasons.append("PROVIDER_MISMATCH")
            if r["serial_number"] and norm(r["serial_number"]) != dd["serial"]:
                reasons.append("SERIAL_MISMATCH")
            if r["completed_on"] and parse_date(r["completed_on"]) < dd["day"]:
                reasons.append("SERVICE_BEFORE_DISPATCH")
        blank = [c for c in ("serial_number", "completed_on", "technician", "labor_hours",
                             "resolution_code")
                 if not r[c] or (c == "labor_hours" and float(r[c]) == 0)]
        if blank:
            reasons.append("INCOMPLETE_SECTION2")
        closeouts.append(dict(file=f["name"], line=r["_line"], sha=f["sha"], seq=seq,
                              dealer=r["dealer_id"],
                              did=did, sub=sub, reasons=reasons))
    accepted = {}
    for c in sorted(closeouts, key=lambda c: (c["sub"], c["seq"], c["line"])):
        if c["reasons"]:
            continue
        if c["did"] in accepted:
            c["reasons"] = ["DUPLICATE_CLOSEOUT"]
        else:
            accepted[c["did"]] = c
    # standings
    standing = {}
    for did, dd in disp.items():
        attempts = [c for c in closeouts if c["did"] == did]
        if not dd["checked"]:
            st = dict(state="dispatched_after_as_of")
        elif did in accepted:
            a = accepted[did]
            st = dict(state="closed", accepted=(a["file"], a["line"]), accepted_sha=a["sha"])
        elif dd["status"] == "CANCELLED":
            st = dict(state="cancelled")
        else:
            days = (A - dd["day"]).days
            st = dict(state="unclosed", days=days, bucket=bucket(days, bounds))
        st["attempts"] = len(attempts) if dd["checked"] else 0
        standing[did] = st
    # registration exceptions
    exceptions = {}
    cur_regs = [r for (f, r) in regs.values()]
    for did, dd in disp.items():
        if not dd["checked"]:
            continue
        active = [r for r in cur_regs if norm(r["serial_number"]) == dd["serial"]
                  and parse_date(r["registered_on"]) <= dd["day"]
                  and (not r["removed_on"] or dd["day"] < parse_date(r["removed_on"]))]
        codes = []
        if not active:
            codes = ["NO_REGISTRATION"]
        else:
            if dd["provider"] not in {r["dealer_id"] for r in active}:
                codes.append("NOT_PROVIDER_OF_RECORD")
            if any(r["wmp_selected"].upper() in ("Y", "YES", "TRUE", "1") for r in active):
                codes.append("WMP_SELECTED")
            if dd["model"] not in {norm(r["model"]) for r in active}:
                codes.append("MODEL_MISMATCH")
            if len({r["dealer_id"] for r in active}) >= 2:
                codes.append("OVERLAPPING_REGISTRATION")
        if codes:
            exceptions[did] = codes
    unclosed = sorted(((disp[k]["dt"], k) for k, s in standing.items()
                       if s["state"] == "unclosed"))
    F = d(from_) if from_ else None
    noncomp = sorted((c["file"], c["line"], c["sha"], c["dealer"], c["did"], c["reasons"][0],
                      ";".join(c["reasons"])) for c in closeouts
                     if c["reasons"] and (F is None or c["sub"].date() >= F))
    listed_exc = {k: v for k, v in exceptions.items() if F is None or disp[k]["day"] >= F}
    # every loaded version naming a dispatch, as explain tells them: in the
    # order the SPEC accepts them (submitted, import, line), each with its
    # state (README "explain": superseded, after the as-of date, or verdict)
    verdict = {(c["sha"], c["line"]): "non_compensable" if c["reasons"] else "accepted"
               for c in closeouts}
    versions = {}
    for seq, f, r in rows:
        if f["kind"] != "closeouts":
            continue
        sub = parse_dt(r["submitted_at"])
        cur = clo[(r["dealer_id"], r["dispatch_id"].strip(), sub)]
        # README: a version a later import of its key replaced is superseded,
        # whenever submitted (fix67: one submitted after A was "after_as_of",
        # superseded_by null); the current version of a key submitted after
        # A takes no part
        state = "superseded" if cur[2] is not r else "after_as_of" if sub.date() > A \
            else verdict[(f["sha"], r["_line"])]
        # the SHA-256's digits when another file has the same base name
        def tag(g):
            return g["sha"] if sum(h["name"] == g["name"] for h in files) > 1 else None
        # superseded_by: the key's current version, {file, line[, sha256_12]}
        sup = None if state != "superseded" else \
            (cur[1]["name"], cur[2]["_line"], tag(cur[1]))
        versions.setdefault(r["dispatch_id"].strip(), []).append(
            (sub, seq, r["_line"], f["name"], tag(f), state, sup))
    versions = {k: [(x[3], x[2], x[4], x[5], x[6]) for x in sorted(v)]
                for k, v in versions.items()}
    return dict(disp=disp, standing=standing, closeouts=closeouts, accepted=accepted,
                versions=versions,
                exceptions=exceptions, listed_exceptions=listed_exc,
                unclosed=[k for _, k in unclosed], noncomp=noncomp)


def rejected_rows(files):
    """{(file, line): dispatch id it names or ''} of every rejected row."""
    out = {}
    for f in files:
        for r in f["rows"]:
            if r["bad"] is not None:
                out[(f["name"], r["_line"], f["sha"])] = r.get("dispatch_id", "").strip() \
                    if f["kind"] != "registrations" else ""
    return out


# ---- running a history ------------------------------------------------------

def deliver(t, h, db, night, as_of, runner=None):
    """Delivers night `night` of history h: its `import` files, then a run
    of its inbox; returns the files imported so far."""
    runner = runner or svc
    inbox = t.p("in%d" % night)
    os.makedirs(inbox, exist_ok=True)
    for f in h.files:
        if f["night"] != night:
            continue
        if f["via"] == "import":
            f["path"] = path = t.p(f["name"])
            f["sha"] = write_file(h.rng, path, COLS[f["kind"]], f["rows"])
            r = runner("import", "--db", db, "--kind", f["kind"], "--quiet", path)
            eq(r.code, 0, r)
        else:
            f["path"] = os.path.join(inbox, f["name"])
            f["sha"] = write_file(h.rng, f["path"], COLS[f["kind"]], f["rows"])
    r = runner("run", "--db", db, "--inbox", inbox, "--out", t.p("out%d" % night),
               "--as-of", as_of, "--quiet")
    eq(r.code, 0, r)


def imported_order(h, upto_night):
    """Files in the order they were imported up to a night: the night's
    `import`s first, then its inbox, registrations, dispatches, closeouts,
    each kind by byte order of name (SPEC §5)."""
    out = []
    for n in range(upto_night + 1):
        out += [f for f in h.files if f["night"] == n and f["via"] == "import"]
        inbox = [f for f in h.files if f["night"] == n and f["via"] == "run"]
        kinds = ["registrations", "dispatches", "closeouts"]
        out += sorted(inbox, key=lambda f: (kinds.index(f["kind"]), f["name"].encode()))
    return out


# ---- reading the workbooks --------------------------------------------------

def sheet_rows(path, title):
    ws = load(path)[title]
    hd = header(ws)
    return [dict(zip(hd, r)) for r in listing(ws)]


def listings(out, as_of):
    p = lambda k: os.path.join(out, "%s_%s.xlsx" % (k, as_of))  # noqa: E731
    return dict(unclosed=sheet_rows(p("unclosed_calls"), "Unclosed calls"),
                noncomp=sheet_rows(p("non_compensable"), "Non-compensable"),
                rejected=sheet_rows(p("audit"), "Rejected rows"),
                exceptions=sheet_rows(p("audit"), "Registration exceptions"))


class Explain:
    """explain --json, cached per question."""

    def __init__(self, db, runner=svc):
        self.db, self.runner, self.cache = db, runner, {}

    def __call__(self, as_of, bounds, *what):
        key = (as_of, tuple(bounds), what)
        if key not in self.cache:
            args = ["explain", "--db", self.db, "--json"]
            if as_of:
                args += ["--as-of", as_of]
            if bounds != DEFAULT_BOUNDS:
                args += ["--buckets", ",".join(map(str, bounds))]
            r = self.runner(*(args + list(what)))
            doc = json.loads(r.out) if r.code == 0 else None
            self.cache[key] = (r, doc)
        return self.cache[key]


def story(ex, as_of, bounds, did):
    r, doc = ex(as_of, bounds, did)
    eq(r.code, 0, "explain %s as of %s: %r" % (did, as_of, r))
    eq(doc["as_of"], as_of, "explain's as-of")
    eq(len(doc["results"]), 1, did)
    return doc["results"][0]["dispatch"]


def source(ex, as_of, bounds, file, line, path):
    """The row explain --source FILE:LINE tells for the file at path (two
    files of one base name: README "Deliveries of one name", each told)."""
    r, doc = ex(as_of, bounds, "--source", "%s:%d" % (file, line))
    eq(r.code, 0, "explain --source %s:%d as of %s: %r" % (file, line, as_of, r))
    mine = [x for x in doc["results"] if x["source"]["path"] == path]
    eq(len(mine), 1, "one row at %s:%d of %s" % (file, line, path))
    return mine[0]


def joined_details(reasons):
    return "; ".join(x["detail"] for x in reasons)


def audits_named(err):
    """{(file, line): as-of date} of the audit workbooks explain's message
    names for the rejected rows it lists (README "Rejected rows naming a
    call")."""
    out, at = {}, None
    for ln in err.splitlines():
        m = re.match(r"svcrecon:   (\S+):(\d+)(?: \(SHA-256 \w+\))?  rejected", ln)
        if m:
            at = (m.group(1), int(m.group(2)))
        m = re.search(r"listed under Rejected rows in audit_(\d{4}-\d\d-\d\d)\.xlsx", ln)
        if m and at:
            out.setdefault(at, set()).add(m.group(1))
    return out


AUDITS = {}         # as-of -> {(file, line, sha)} its audit workbook lists


def audit_lists(as_of, key):
    """Whether the audit workbook as of as_of (the latest written of that
    date) lists rejected row key. Which of the audits listing a row explain
    names is README's decision ("Rejected rows naming a call": a `run`'s
    file its run's date, an `import`ed one the first recorded report whose
    night took it in); an auditor needs the named one to list it."""
    return key in AUDITS.get(as_of, ())


def check_report(files, ex, lst, as_of, bounds, from_=None, audit_night=None):
    """Every row of every listing of the report as of as_of against explain
    and the oracle; every id of the history against explain. Returns how
    many rows were checked."""
    o = oracle(files, as_of, bounds, from_)
    paths = {f["sha"]: f["path"] for f in files}
    what = "as of %s%s%s" % (as_of, " from " + from_ if from_ else "",
                             " buckets %s" % bounds if bounds != DEFAULT_BOUNDS else "")
    n = 0
    # -- Unclosed calls: the listing is the oracle's, in its order
    eq([r["Dispatch ID"] for r in lst["unclosed"]], o["unclosed"], "unclosed calls " + what)
    for row in lst["unclosed"]:
        did = row["Dispatch ID"]
        st = o["standing"][did]
        dd = o["disp"][did]
        eq((row["Days open"], row["Aging bucket"], row["Closeout attempts"],
            row["Source file"], row["Source line"], row["Source SHA-256"], row["Dispatched"],
            row["Provider"] or ""),
           (st["days"], st["bucket"], st["attempts"], dd["file"], dd["line"], dd["sha"], dd["dt"],
            dd["provider"]), "unclosed row %s %s" % (did, what))
        for s in (story(ex, as_of, bounds, did),
                  source(ex, as_of, bounds, row["Source file"], row["Source line"],
                         paths[row["Source SHA-256"]])["dispatch"]):
            stand = s["standing"]
            eq((stand["state"], stand["days_open"], stand["bucket"], stand["attempts"],
                stand["accepted_closeout"]),
               ("unclosed", row["Days open"], row["Aging bucket"], row["Closeout attempts"],
                None), "explain %s %s" % (did, what))
            eq(s["current_version"], {"file": row["Source file"], "line": row["Source line"]},
               "current version of %s %s" % (did, what))
            cur = [v for v in s["versions"] if v["current"]]
            eq([(v["file"], v["line"], v["provider_id"]) for v in cur],
               [(row["Source file"], row["Source line"], row["Provider"] or "")],
               "the provider of %s %s" % (did, what))
        n += 1
    # -- Non-compensable: the oracle's rows; explain tells each the same
    got = sorted((r["Source file"], r["Source line"], r["Source SHA-256"], r["Dealer"],
                  r["Dispatch ID"] or "",
                  r["Reason"], r["All reasons"]) for r in lst["noncomp"])
    eq(got, o["noncomp"], "non-compensable " + what)
    for row in lst["noncomp"]:
        res = source(ex, as_of, bounds, row["Source file"], row["Source line"],
                     paths[row["Source SHA-256"]])
        eq(res["what"], "closeout", "what %s:%s" % (row["Source file"], row["Source line"]))
        c = res["closeout"]
        codes = ";".join(x["code"] for x in c["reasons"])
        eq((c["state"], c["reason"], codes, joined_details(c["reasons"]), c["dealer_id"],
            c["dispatch_id"], c["serial_number"] or None),
           ("non_compensable", row["Reason"], row["All reasons"], row["Detail"], row["Dealer"],
            row["Dispatch ID"] or "", row["Serial number"]),
           "explain --source %s:%s %s" % (row["Source file"], row["Source line"], what))
        eq([x["rank"] for x in c["reasons"]],
           sorted(REASONS.index(x["code"]) + 1 for x in c["reasons"]), "ranks in order")
        did = row["Dispatch ID"] or ""
        if did in o["disp"]:
            check(res["dispatch"] is not None, "closeout's dispatch told: " + did)
            s = story(ex, as_of, bounds, did)
            mine = [x for x in s["closeouts"]
                    if (x["file"], x["line"]) == (row["Source file"], row["Source line"])
                    and x.get("sha256_12", row["Source SHA-256"]) == row["Source SHA-256"]]
            eq(len(mine), 1, "closeout in the story of %s %s" % (did, what))
            eq((mine[0]["state"], mine[0]["reasons"]), (c["state"], c["reasons"]),
               "the same closeout, two ways")
            if not o["disp"][did]["checked"]:
                eq(s["standing"]["state"], "dispatched_after_as_of", did)
                eq(row["Reason"], "NO_DISPATCH", "a dispatch after A " + did)
        else:
            eq(res["dispatch"], None, "no dispatch to tell for %r" % did)
        n += 1
    # -- Registration exceptions: per dispatch, codes in SPEC order
    by = {}
    for row in lst["exceptions"]:
        by.setdefault(row["Dispatch ID"], []).append(row)
    eq({k: [r["Exception"] for r in v] for k, v in by.items()}, o["listed_exceptions"],
       "registration exceptions " + what)
    for did, rows in by.items():
        dd = o["disp"][did]
        for s in (story(ex, as_of, bounds, did),
                  source(ex, as_of, bounds, rows[0]["Source file"], rows[0]["Source line"],
                         paths[rows[0]["Source SHA-256"]])["dispatch"]):
            eq([(x["code"], x["detail"]) for x in s["registration_exceptions"]],
               [(r["Exception"], r["Detail"]) for r in rows], "exceptions of %s %s" % (did, what))
            eq([x["rank"] for x in s["registration_exceptions"]],
               [EXCEPTIONS.index(r["Exception"]) + 1 for r in rows], "ranks of " + did)
        for r in rows:
            eq((r["Source file"], r["Source line"], r["Source SHA-256"], r["Dispatched"],
                r["Provider"] or ""),
               (dd["file"], dd["line"], dd["sha"], dd["dt"], dd["provider"]),
               "exception row " + did)
        n += len(rows)
    # -- Rejected rows: explain --source tells the reason and the raw record
    rej = rejected_rows(files)
    if audit_night is not None:
        want = sorted(k for k in rej if any(f["sha"] == k[2] and f["night"] in audit_night
                                            for f in files))
        eq(sorted((r["File"], r["Line"], r["File SHA-256"]) for r in lst["rejected"]), want,
           "the night's rejected rows " + what)
    AUDITS[as_of] = {(r["File"], r["Line"], r["File SHA-256"]) for r in lst["rejected"]}
    for row in lst["rejected"]:
        path = paths[row["File SHA-256"]]
        res = source(ex, as_of, bounds, row["File"], row["Line"], path)
        eq(res["what"], "rejected_row", "%s:%s" % (row["File"], row["Line"]))
        # the path as given to import or run tells the same row
        by_path = source(ex, as_of, bounds, path, row["Line"], path)
        eq(by_path, res, "explain --source %s:%s" % (path, row["Line"]))
        rr = res["rejected_row"] if "rejected_row" in res else res
        # the workbook writes a line break as LF (SPEC §4), the database
        # keeps the bytes as received
        eq((rr["reason"], rr["raw"].replace("\r\n", "\n")), (row["Reason"], row["Raw record"]),
           "rejected %s:%s" % (row["File"], row["Line"]))
        did = rej[(row["File"], row["Line"], row["File SHA-256"])]
        if did and did in o["disp"]:
            s = story(ex, as_of, bounds, did)
            mine = [x for x in s["rejected_rows"] if (x["file"], x["line"], x["sha256_12"]) ==
                    (row["File"], row["Line"], row["File SHA-256"])]
            eq(len(mine), 1, "rejected row %s:%s in the story of %s" % (
                row["File"], row["Line"], did))
            eq(mine[0]["reason"], row["Reason"], "its reason")
            check(audit_lists(mine[0]["audit_as_of"],
                              (row["File"], row["Line"], row["File SHA-256"])),
                  "the audit named for %s:%s, %s, lists it" % (row["File"], row["Line"],
                                                               mine[0]["audit_as_of"]))
        n += 1
    # -- every id of the history: listed or not, explain says why
    listed_u = {r["Dispatch ID"] for r in lst["unclosed"]}
    ids = set(o["disp"]) | {c["did"] for c in o["closeouts"] if c["did"]} \
        | {v for v in rej.values() if v}
    for did in sorted(ids):
        if did in o["disp"]:
            s = story(ex, as_of, bounds, did)
            st = o["standing"][did]
            eq(s["standing"]["state"], st["state"], "standing of %s %s" % (did, what))
            eq(s["checked"], o["disp"][did]["checked"], "checked " + did)
            eq(did in listed_u, st["state"] == "unclosed", "listed " + did)
            if st["state"] == "closed":
                acc = s["standing"]["accepted_closeout"]
                eq((acc["file"], acc["line"]), st["accepted"], "accepted closeout of " + did)
                eq(acc.get("sha256_12", st["accepted_sha"]), st["accepted_sha"],
                   "the accepted closeout's file " + did)
                check(not any((r["Source file"], r["Source line"], r["Source SHA-256"]) ==
                              st["accepted"] + (st["accepted_sha"],)
                              for r in lst["noncomp"]), "the accepted one is compensable")
            if st["state"] != "dispatched_after_as_of":
                eq(s["standing"]["attempts"], st["attempts"], "attempts of " + did)
                eq([x["code"] for x in s["registration_exceptions"]],
                   o["exceptions"].get(did, []), "exceptions of " + did)
            else:
                eq(s["registration_exceptions"], [], "no exceptions after A: " + did)
            eq([(x["file"], x["line"], x.get("sha256_12"), x["state"],
                 x["superseded_by"] and (x["superseded_by"]["file"], x["superseded_by"]["line"],
                                         x["superseded_by"].get("sha256_12")))
                for x in s["closeouts"]],
               o["versions"].get(did, []), "closeouts naming %s %s" % (did, what))
        else:
            r, doc = ex(as_of, bounds, did)
            eq((r.code, r.out), (65, ""), "explain of %r, never loaded" % did)
            check("not found" in r.err, r.err)
            names = [k for k, v in rej.items() if v == did]
            named = audits_named(r.err)
            for f, line, sha in names:
                check("%s:%d" % (f, line) in r.err, "%s:%d named: %s" % (f, line, r.err))
                if any(audit_lists(a, (f, line, sha)) for a in AUDITS):
                    eq(len(named.get((f, line), ())), 1, "one audit named: " + r.err)
                    check(audit_lists(min(named[(f, line)]), (f, line, sha)),
                          "the audit named for %s:%d lists it: %s" % (f, line, r.err))
            if names:
                check("rejected rows name it" in r.err or "rejected row names it" in r.err,
                      r.err)
            # README: names up to five of the closeouts naming it (every
            # version loaded, as a story lists them), and how many more
            naming = ["%s:%d" % (f, line) for f, line, _, _, _ in o["versions"].get(did, [])]
            shown = [x for x in naming if x + "," in r.err or x + " " in r.err]
            eq(len(shown), min(len(naming), 5), "closeouts named for %s: %s" % (did, r.err))
            if len(naming) > 5:
                check("and %d more" % (len(naming) - 5) in r.err, r.err)
            check(did not in listed_u, did)
        n += 1
    return n, o


def coverage(oracles):
    """What the history held, by the oracle: every case of the brief."""
    seen = set()
    for o in oracles:
        for c in o["closeouts"]:
            if len(c["reasons"]) == 1:
                seen.add("alone " + c["reasons"][0])
            if len(c["reasons"]) > 1:
                seen.add("several reasons")
        for v in o["exceptions"].values():
            seen.update("exception " + x for x in v)
        seen.update("standing " + s["state"] for s in o["standing"].values())
    return seen


SEEDS = [int(x) for x in os.environ.get("T9100_SEEDS", "2601").split(",")]
NEEDED = {"alone " + r for r in REASONS} | {"several reasons"} \
    | {"exception " + x for x in EXCEPTIONS} \
    | {"standing " + s for s in ("unclosed", "closed", "cancelled", "dispatched_after_as_of")}


def play(t, seed, db, runner=svc, after=None):
    """Delivers the four nights of seed's history into db, then the
    re-reports; after(files, out, as_of, bounds, from_, night) is called
    after each report, before anything else is imported. Returns the
    history and the reports [(files, out, as_of, bounds, from_, night)]."""
    h = History(seed)
    reports = []
    for n in range(len(NIGHTS)):
        deliver(t, h, db, n, NIGHTS[n], runner=runner)
        reports.append((imported_order(h, n), t.p("out%d" % n), NIGHTS[n], DEFAULT_BOUNDS,
                        None, {n}))
        if after:
            after(*reports[-1])
    # the late file: its night's audit lists its rows beside the night's own
    # (README "The audit's night")
    deliver(t, h, db, 4, NIGHTS[1], runner=runner)
    files = imported_order(h, 4)
    reports.append((files, t.p("out4"), NIGHTS[1], DEFAULT_BOUNDS, None, {1, 4}))
    if after:
        after(*reports[-1])
    for out, args, as_of, bounds, from_ in (
            ("past", [], NIGHTS[1], DEFAULT_BOUNDS, None),
            ("from", ["--from", "2026-03-06"], NIGHTS[3], DEFAULT_BOUNDS, "2026-03-06"),
            ("buckets", ["--buckets", "3,10,20"], "2026-03-11", [3, 10, 20], None)):
        r = runner("report", "--db", db, "--out", t.p(out), "--as-of", as_of, "--quiet", *args)
        eq(r.code, 0, r)
        reports.append((files, t.p(out), as_of, bounds, from_, None))
        if after:
            after(*reports[-1])
    return h, reports


def test_explain_and_the_listings_agree_over_seeded_histories():
    """Guard: for two seeds, every row of every listing of seven reports
    (four nights, a past night re-reported, --from, --buckets 3,10,20) is
    told the same by explain (by id and by --source), and both agree with
    the oracle; every id the history names gets its standing."""
    for seed in SEEDS:
        with Tmp() as t:
            db = t.p("svc.db")
            total, oracles = [0], []
            AUDITS.clear()

            def after(files, out, as_of, bounds, from_, night):
                ex = Explain(db)        # a new cache: the database has grown
                n, o = check_report(files, ex, listings(out, as_of), as_of, bounds,
                                    from_, night)
                total[0] += n
                oracles.append(o)
            play(t, seed, db, after=after)
            total = total[0]
            missing = NEEDED - coverage(oracles)
            eq(missing, set(), "seed %d holds every case" % seed)
            check(total > 300, "rows checked: %d" % total)


def test_explain_without_as_of_tells_the_latest_reports_date():
    """Guard: explain without --as-of (SPEC §5) takes the as-of date of
    the latest recorded report (README: the latest as-of date, here the
    last night's, though an earlier night was re-reported after it) and
    tells the same as with that --as-of, for every id; with no report
    recorded, today's date, said on stderr and as as_of_basis "today"."""
    with Tmp() as t:
        db = t.p("svc.db")
        h, reports = play(t, 2603, db)
        ex = Explain(db)
        latest = max(r[2] for r in reports)
        o = oracle(reports[-1][0], latest, DEFAULT_BOUNDS)
        for did in sorted(o["disp"]):
            r, doc = ex(None, DEFAULT_BOUNDS, did)
            eq(r.code, 0, r)
            eq((doc["as_of"], doc["as_of_basis"]), (latest, "latest_report"), did)
            _, want = ex(latest, DEFAULT_BOUNDS, did)
            doc["as_of_basis"] = want["as_of_basis"]
            eq(doc, want, "explain %s without --as-of" % did)
            eq(doc["results"][0]["dispatch"]["standing"]["state"], o["standing"][did]["state"],
               did)
    # no report recorded: today's date (TZ=UTC here), and it says so
    with Tmp() as t:
        h = History(2603)
        f = [f for f in h.files if f["kind"] == "dispatches"][0]
        path = t.p(f["name"])
        write_file(h.rng, path, DSP_COLS, f["rows"])
        eq(svc("import", "--db", t.p("svc.db"), "--kind", "dispatches", "--quiet", path).code,
           0, "import")
        did = [r["dispatch_id"] for r in f["rows"] if r["bad"] is None][0]
        today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
        r = svc("explain", "--db", t.p("svc.db"), "--json", did)
        doc = json.loads(r.out)
        eq((r.code, doc["as_of"], doc["as_of_basis"]), (0, today, "today"), r.err)
        r = svc("explain", "--db", t.p("svc.db"), did)
        check(today in r.err and r.code == 0, r)



def test_json_says_which_file_of_one_name_a_location_is():
    """Defect, seen red before its fix: when two delivered files have one
    base name (an inbox's `closeouts.csv` every night), the workbooks give
    each row's Source SHA-256 and explain's text follows FILE:LINE with
    "(SHA-256 0123456789ab)", but explain --json gave only {file, line}:
    a story listed two closeouts "closeouts.csv" line 2, one accepted and
    one a DUPLICATE_CLOSEOUT, and accepted_closeout {closeouts.csv, 2}, so
    a tool (or auditor) reading the JSON could not tell which workbook row
    the accepted one was (seen with the seeded history of seed 32). Now
    each location whose base name another imported file shares also
    carries "sha256_12", the digits the workbooks and the text show."""
    with Tmp() as t:
        reg = "dealer_id,dealer_name,model,serial_number,registered_on,wmp_selected,removed_on"
        t.write("in1/registrations.csv", reg + "\nCA1042,One,iPF8400S,AFK1,2026-01-01,N,\n")
        dsp = ",".join(DSP_COLS) + "\n"
        t.write("in1/dispatches.csv", dsp + "Q1,2026-03-01 09:00,iPF8400S,AFK1,CA1042,A,1,P,OPEN\n")
        t.write("in2/dispatches.csv", dsp + "Q1,2026-03-01 09:00,iPF8400S,AFK1,CA1042,B,1,P,OPEN\n")
        clo = ",".join(CLO_COLS) + "\n"
        t.write("in1/closeouts.csv", clo + "CA1042,2026-03-02 10:00,Q1,AFK1,,2026-03-02,T,1,R,\n")
        t.write("in2/closeouts.csv", clo + "CA1042,2026-03-03 10:00,Q1,AFK1,,2026-03-02,T,2,R,\n")
        db = t.p("svc.db")
        for n, as_of in ((1, "2026-03-02"), (2, "2026-03-05")):
            r = svc("run", "--db", db, "--inbox", t.p("in%d" % n), "--out", t.p("out"),
                    "--as-of", as_of, "--quiet")
            eq(r.code, 0, r)
        sha = {n: hashlib.sha256(open(t.p(n), "rb").read()).hexdigest()[:12]
               for n in ("in1/closeouts.csv", "in2/closeouts.csv", "in1/dispatches.csv",
                         "in2/dispatches.csv")}
        lst = listings(t.p("out"), "2026-03-05")
        eq([(r["Source file"], r["Source line"], r["Source SHA-256"], r["Reason"])
            for r in lst["noncomp"]],
           [("closeouts.csv", 2, sha["in2/closeouts.csv"], "DUPLICATE_CLOSEOUT")], "the row")
        r = svc("explain", "--db", db, "--json", "--as-of", "2026-03-05", "Q1")
        eq(r.code, 0, r)
        s = json.loads(r.out)["results"][0]["dispatch"]
        eq([(c["file"], c["line"], c.get("sha256_12"), c["state"]) for c in s["closeouts"]],
           [("closeouts.csv", 2, sha["in1/closeouts.csv"], "accepted"),
            ("closeouts.csv", 2, sha["in2/closeouts.csv"], "non_compensable")], "closeouts")
        acc = s["standing"]["accepted_closeout"]
        eq((acc["file"], acc["line"], acc.get("sha256_12")),
           ("closeouts.csv", 2, sha["in1/closeouts.csv"]), "accepted closeout")
        eq(s["current_version"], {"file": "dispatches.csv", "line": 2,
                                  "sha256_12": sha["in2/dispatches.csv"]}, "current version")
        eq([(v["file"], v.get("sha256_12"), v["current"]) for v in s["versions"]],
           [("dispatches.csv", sha["in1/dispatches.csv"], False),
            ("dispatches.csv", sha["in2/dispatches.csv"], True)], "versions")
        # the text said it already: the same digits
        r = svc("explain", "--db", db, "--as-of", "2026-03-05", "Q1")
        check("closed by closeout at closeouts.csv:2 (SHA-256 %s)" % sha["in1/closeouts.csv"]
              in r.out, r.out)
        # a name no other file shares carries none (the JSON as before)
        eq(s["registrations"][0].get("sha256_12", "none"), "none", "registrations.csv")


def test_source_of_a_shared_name_says_which_file_each_row_is():
    """Defect (qa81), seen red before its fix: an inbox delivers
    `dispatches.csv` every night, at the same path, and the audit lists a
    rejected row at line 3 of two of them, each with its File SHA-256.
    `explain --source dispatches.csv:3` tells both rows, but each under the
    same heading and file line (same name, same path, the import times
    alike when two nights are run within a second) and the JSON "source"
    gave {file, line, path, kind, file_status, imported_at} only: which
    row was which audit line showed only through the reason and the audit
    date. Where FILE names more than one imported file, each result's file
    line now ends with ", SHA-256 0123456789ab" and its "source" carries
    "sha256_12", as the stories' locations do; a name imported once is
    told as before."""
    with Tmp() as t:
        dsp = ",".join(DSP_COLS) + "\n"
        db = t.p("svc.db")
        sha = []
        for as_of, rows in (("2026-03-02", "R1,2026-03-01 09:00,iPF8400S,AFK1,CA1042,A,1,P,OPEN\n"
                                           "R2,2026-02-30 09:00,iPF8400S,AFK1,CA1042,A,1,P,OPEN\n"),
                            ("2026-03-03", "R3,2026-03-02 09:00,iPF8400S,AFK1,CA1042,A,1,P,OPEN\n"
                                           "R4,2026-13-01 09:00,iPF8400S,AFK1,CA1042,A,1,P,OPEN\n")):
            t.write("in/dispatches.csv", dsp + rows)
            sha.append(hashlib.sha256(open(t.p("in/dispatches.csv"), "rb").read()).hexdigest()[:12])
            r = svc("run", "--db", db, "--inbox", t.p("in"), "--out", t.p("out"),
                    "--as-of", as_of, "--quiet")
            eq(r.code, 0, r)
        r = svc("explain", "--db", db, "--as-of", "2026-03-03", "--source", "dispatches.csv:3")
        eq(r.code, 0, r)
        files = [x for x in r.out.splitlines() if x.startswith("   file ")]
        eq([x.rsplit(", SHA-256 ", 1)[-1] if ", SHA-256 " in x else None for x in files],
           sha, "file lines")
        r = svc("explain", "--db", db, "--json", "--as-of", "2026-03-03",
                "--source", "dispatches.csv:3")
        eq(r.code, 0, r)
        res = json.loads(r.out)["results"]
        eq([(x["what"], x["source"].get("sha256_12")) for x in res],
           [("rejected_row", sha[0]), ("rejected_row", sha[1])], "sources")
        # a name imported once: as before, no digits
        t.write("in2/closeouts.csv", ",".join(CLO_COLS) + "\n"
                "CA1042,2026-03-02 10:00,R1,AFK1,,2026-03-02,T,1,R,\n")
        eq(svc("import", "--db", db, "--kind", "closeouts", t.p("in2/closeouts.csv"),
               "--quiet").code, 0)
        r = svc("explain", "--db", db, "--json", "--as-of", "2026-03-03",
                "--source", "closeouts.csv:2")
        eq(r.code, 0, r)
        eq(json.loads(r.out)["results"][0]["source"].get("sha256_12", "none"), "none")
        r = svc("explain", "--db", db, "--as-of", "2026-03-03", "--source", "closeouts.csv:2")
        check("SHA-256" not in [x for x in r.out.splitlines() if x.startswith("   file ")][0],
              r.out)


def scrub(doc):
    """An explain document without what differs between two databases of
    the same data: the database's name (and schema) and the import times."""
    if isinstance(doc, dict):
        return {k: scrub(v) for k, v in doc.items()
                if k not in ("imported_at", "database", "schema", "path")}
    if isinstance(doc, list):
        return [scrub(v) for v in doc]
    return doc


@postgresql_only("compares a SQLite database with a PostgreSQL schema")
def test_both_back_ends_give_the_same_explain():
    """Guard: the same history on SQLite and PostgreSQL: every id's story
    and every listed source cell told the same (import times, the
    database's name and paths aside), as of every report's date."""
    def lite(*args):
        p = subprocess.run([SVCRECON] + [str(a) for a in args], capture_output=True,
                           text=True, env=dict(os.environ, TZ="UTC"), timeout=300)

        class R:
            code, out, err = p.returncode, p.stdout, p.stderr
        return R
    with Tmp() as t, Tmp() as u:
        h, reports = play(t, 2604, t.p("pg.db"))
        play(u, 2604, u.p("lite.db"), runner=lite)
        pg, sq = Explain(t.p("pg.db")), Explain(u.p("lite.db"), runner=lite)
        asked = 0
        for files, out, as_of, bounds, from_, night in reports:
            o = oracle(files, as_of, bounds, from_)
            lst = listings(out, as_of)
            qs = [(did,) for did in sorted(o["disp"])]
            qs += [("--source", "%s:%d" % (r["Source file"], r["Source line"]))
                   for r in lst["noncomp"] + lst["unclosed"]]
            qs += [("--source", "%s:%d" % (r["File"], r["Line"])) for r in lst["rejected"]]
            for q in qs:
                a, b = pg(as_of, bounds, *q), sq(as_of, bounds, *q)
                eq((a[0].code, scrub(a[1])), (b[0].code, scrub(b[1])),
                   "explain %s as of %s" % (" ".join(q), as_of))
                asked += 1
        check(asked > 100, "asked %d" % asked)
        check(ON_PG and pg_uri() and schema_of(t.p("pg.db")), "on PostgreSQL")


main(globals())
