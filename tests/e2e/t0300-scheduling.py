#!/usr/bin/python3
"""t0300 -- scheduling (issue 13): the line of docs/crontab.example runs as
cron runs it (env -i PATH=/usr/bin:/bin, after `make install` into a
PREFIX), silent on a good night and one line per problem on a bad one; the
systemd units pass `systemd-analyze verify` and the service rates at most
3.0 in `systemd-analyze security`."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svctest import DSP_HDR, REG_HDR, ROOT, Tmp, check, eq, main, validate_summary  # noqa: E402

DOCS = os.path.join(ROOT, "docs")


def cron_command(t):
    """The crontab line's command, with its paths moved under t."""
    lines = [l for l in open(os.path.join(DOCS, "crontab.example"))
             if l.strip() and not l.startswith("#")]
    eq(len(lines), 1, lines)
    fields = lines[0].split(None, 6)
    eq(fields[5], "svcrecon", "the sixth field is the user")
    cmd = fields[6].strip()
    check(cmd.startswith("/usr/local/bin/svcrecon run --quiet "), cmd)
    for old, new in (("/usr/local", t.p("prefix")), ("/var/lib/svcrecon", t.p("state")),
                     ("/srv/cits/inbox", t.p("inbox")), ("/srv/reports", t.p("reports"))):
        cmd = cmd.replace(old, new)
    check("%" not in cmd, "cron would cut the line at a %")
    return cmd


def install(prefix):
    p = subprocess.run(["make", "--no-print-directory", "-C", ROOT, "install",
                        "PREFIX=" + prefix], capture_output=True, text=True)
    eq(p.returncode, 0, p.stderr)


def as_cron(cmd):
    return subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", "/bin/sh", "-c", cmd],
                          capture_output=True, text=True)


def test_crontab_line_runs_under_cron_path_quiet_when_good():
    with Tmp() as t:
        install(t.p("prefix"))
        os.makedirs(t.p("state"))
        t.csv("inbox/registrations_2026-03-10.csv", REG_HDR,
              ["D1,Acme,iPF8400S,S1,2026-01-01,N,"])
        t.csv("inbox/dispatches_2026-03-10.csv", DSP_HDR,
              ["X1,2026-03-10 09:00,iPF8400S,S1,D1,c,02108,P,OPEN"])
        cmd = cron_command(t)
        # cron's PATH alone does not find a bare `svcrecon`
        check(as_cron("svcrecon --version").returncode == 127)
        p = as_cron(cmd)
        eq((p.returncode, p.stdout, p.stderr), (0, "", ""), "a good night mails nothing")
        check(any(f.startswith("unclosed_calls_") for f in os.listdir(t.p("reports"))))
        eq(validate_summary(t.p("reports", "summary.json"))["status"], "ok")
        # a bad night: one line per problem, exit 65
        t.write("inbox/dispatches_2026-03-11.csv", DSP_HDR.replace(",", ";") + "\n")
        p = as_cron(cmd)
        eq(p.returncode, 65, p)
        eq(len(p.stderr.splitlines()), 1, p.stderr)
        check("semicolon-separated" in p.stderr and "re-export as CSV UTF-8" in p.stderr,
              p.stderr)


def systemd_units(t):
    """The units, the service's ExecStart pointed at an installed binary
    (verify checks that it exists and is executable)."""
    install(t.p("prefix"))
    os.makedirs(t.p("units"))
    for name in os.listdir(os.path.join(DOCS, "systemd")):
        text = open(os.path.join(DOCS, "systemd", name)).read()
        text = text.replace("/usr/local/bin/svcrecon", t.p("prefix", "bin", "svcrecon"))
        t.write(os.path.join("units", name), text)
    return sorted(os.path.join(t.p("units"), n) for n in os.listdir(t.p("units")))


def test_systemd_units_verify():
    if not shutil.which("systemd-analyze"):
        raise AssertionError("systemd-analyze missing: make test-deps installs systemd")
    with Tmp() as t:
        units = systemd_units(t)
        eq([os.path.basename(u) for u in units],
           ["svcrecon-failure@.service", "svcrecon.service", "svcrecon.timer"])
        p = subprocess.run(["systemd-analyze", "verify"] + units, capture_output=True,
                           text=True, cwd=t.p("units"))
        eq((p.returncode, p.stderr.strip()), (0, ""), "systemd-analyze verify")
        service = open(units[1]).read()
        check("OnFailure=svcrecon-failure@%n.service" in service, "refusals reach a person")
        check("SuccessExitStatus=65" not in service, "a refused feed must fail the unit")
        check(re.search(r"RestartPreventExitStatus=.*\b65\b", service), service)


def test_systemd_service_security_at_most_3():
    with Tmp() as t:
        units = systemd_units(t)
        for unit in units[:2]:
            p = subprocess.run(["systemd-analyze", "security", "--offline=yes", unit],
                               capture_output=True, text=True, cwd=t.p("units"))
            m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout + p.stderr)
            check(m, p.stdout + p.stderr)
            check(float(m.group(1)) <= 3.0, "%s rated %s" % (unit, m.group(1)))


def test_demo_stages_night_1_then_night_2():
    """make demo (tests/demo, run in a copy of its world): night 1 imports
    only night 1's files, night 2 only night 2's; the intended rejections
    are introduced before they show; the demo's own line ends it."""
    from svctest import SVCRECON
    with Tmp() as t:
        os.symlink(SVCRECON, t.p("svcrecon"))
        os.symlink(os.path.join(ROOT, "sample-data"), t.p("sample-data"))
        p = subprocess.run(["sh", os.path.join(ROOT, "tests", "demo")], cwd=t.path,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        eq(p.returncode, 0, p.stdout)
        out = p.stdout
        night2 = out.index("== night 2")
        first, second = out[:night2], out[night2:]
        check("wrong on purpose" in out[:out.index("== night 1")], out)
        check("_2026-03-12.csv" not in first, "night 1 imported night 2's files:\n" + first)
        check("3 files skipped" in second and "_2026-03-11.csv:" not in second, second)
        check("since the report as of 2026-03-11" in second, second)
        eq(p.stdout.splitlines()[-1].startswith("== open the workbooks"), True, p.stdout)


if __name__ == "__main__":
    main(globals())
