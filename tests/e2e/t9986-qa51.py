#!/usr/bin/python3
"""t9986 -- what a scheduler met (QA pass 51), each red before its fix.

- A feed whose bytes equal a file already loaded as ANOTHER kind (the
  sender put last night's registrations export under the dispatches
  name) was "skipped: the same bytes were imported before", exit 0 and
  silent under --quiet, and the night's dispatches never came. On a
  database that never saw those bytes the same file is refused (65, "header
  is that of a registrations feed"). Now it is refused too, unread, with a
  reason naming the file it repeats and its kind; the night's other files
  load. The same bytes as the same kind are still skipped (0).
- The audit's "wrote" line counted an unreadable file as "1 file refused"
  while the final line said "0 refused, 1 unreadable"; now the two apart.
- A killed run's temporary folder in --out (".svcrecon-tmp-PID") stayed
  for good when a later process had been given its PID (after a reboot, a
  long-lived daemon): only a PID that was gone counted. Now a live process
  that started after the folder was last changed is not its maker either;
  one that started before it is still left alone.
"""
import contextlib
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svctest  # noqa: E402
from svctest import Tmp, check, eq, good_night, main, svc  # noqa: E402

AS_OF = "2026-03-12"


def files_of(path):
    doc = svctest.validate_summary(path)
    return doc, {os.path.basename(f["path"]): (f["status"], f.get("reason"))
                 for f in doc["files"]}


def audit_rejected(out):
    import openpyxl
    wb = openpyxl.load_workbook(os.path.join(out, "audit_%s.xlsx" % AS_OF),
                                read_only=True)
    rows = list(wb["Rejected rows"].iter_rows(values_only=True))
    return [r[:3] for r in rows[1:]]


@contextlib.contextmanager
def owner_lock_held(folder):
    """A child process holding the fcntl lock on folder/owner.lock (made
    here), as a live run elsewhere (another PID namespace sharing --out)
    holds its own; killed when the block ends."""
    with open(os.path.join(folder, "owner.lock"), "w"):
        pass
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys, time\n"
         "f = open(sys.argv[1], 'r+')\n"
         "fcntl.lockf(f, fcntl.LOCK_EX)\n"
         "print('held', flush=True)\ntime.sleep(120)\n",
         os.path.join(folder, "owner.lock")], stdout=subprocess.PIPE)
    try:
        eq(holder.stdout.readline().strip(), b"held", "the holder")
        yield holder
    finally:
        holder.kill()
        holder.wait()


def test_bytes_loaded_as_another_kind_are_refused_not_skipped():
    with Tmp() as t:
        good_night(t)
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", "2026-03-11", "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        # The next night: the registrations export again, under the
        # dispatches name, and a good closeouts file.
        with open(t.p("in/registrations_1.csv"), "rb") as f:
            reg = f.read()
        with open(t.p("in/dispatches_2.csv"), "wb") as f:
            f.write(reg)
        t.csv("in/closeouts_2.csv", svctest.CLO_HDR,
              ["CA1042,2026-03-03 10:00,Q2,AFK03126,iPF8400S,2026-03-03,T,1,R,"])
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", "--summary", "s.json", cwd=t.path)
        eq(r.code, 65, r)
        why = ("same bytes as registrations_1.csv, loaded as a registrations "
               "feed: not a dispatches feed; file refused: deliver the "
               "dispatches export under this name (the rows of this one are "
               "in, as registrations)")
        eq(r.err, "svcrecon: in/dispatches_2.csv: %s\n" % why, r)
        doc, files = files_of(t.p("s.json"))
        eq(files["dispatches_2.csv"], ("refused", why), files)
        eq(files["closeouts_2.csv"][0], "loaded", files)
        eq(files["registrations_1.csv"][0], "skipped", files)
        eq((doc["status"], doc["exit_code"]), ("refused", 65), doc)
        eq(audit_rejected(t.p("out")), [("dispatches_2.csv", 0, why)],
           "the audit's Rejected rows: the file, line 0, its reason")
        # Q2 was closed by the night's good closeout: the night went on.
        eq(svc("explain", "--db", "svc.db", "--as-of", AS_OF, "Q2",
               cwd=t.path).code, 0)
        # import of the same bytes as closeouts: refused as well.
        r = svc("import", "--db", "svc.db", "--kind", "closeouts",
                "in/dispatches_2.csv", "--quiet", cwd=t.path)
        eq(r.code, 65, r)
        check("loaded as a registrations feed: not a closeouts feed" in r.err, r.err)
        # Guard: the same bytes as the same kind are still a skip (0).
        r = svc("import", "--db", "svc.db", "--kind", "registrations",
                "in/dispatches_2.csv", "--summary", "i.json", cwd=t.path)
        eq(r.code, 0, r)
        eq(files_of(t.p("i.json"))[1]["dispatches_2.csv"][0], "skipped")


def test_the_audit_line_tells_unreadable_from_refused():
    with Tmp() as t:
        good_night(t)
        os.mkdir(t.p("in/closeouts_b.csv"))          # unreadable: a folder
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, cwd=t.path)
        eq(r.code, 66, r)
        wrote = [x for x in r.err.splitlines() if "wrote out/audit_" in x]
        eq(len(wrote), 1, r.err)
        check("1 file unreadable" in wrote[0] and "refused" not in wrote[0],
              wrote)
        # and a refused file besides: both, apart
        t.write("in/dispatches_9.csv", "not,a,header\n1,2,3\n")
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out2",
                "--as-of", AS_OF, cwd=t.path)
        wrote = [x for x in r.err.splitlines() if "wrote out2/audit_" in x]
        eq(len(wrote), 1, r.err)
        check("1 file refused, 1 unreadable" in wrote[0], wrote)


def test_a_killed_runs_temporaries_go_when_their_pid_was_given_again():
    with Tmp() as t:
        good_night(t)
        # A live process that started now: it holds the PID in the names.
        p = subprocess.Popen(["sleep", "300"])
        try:
            pid = p.pid
            old = [".svcrecon-tmp-%d" % pid, ".statements_2026-03-01.old-%d" % pid]
            for name in old:
                t.write("out/%s/x.xml" % name, "left by a killed run")
                os.utime(t.p("out", name), (time.time() - 3600,) * 2)
            os.makedirs(t.p("out2", ".svcrecon-tmp-%d" % pid))   # made now
            with open(t.p("out", ".audit_2026-03-01.xlsx.tmp-%d" % pid), "w") as f:
                f.write("half a workbook")
            os.utime(t.p("out", ".audit_2026-03-01.xlsx.tmp-%d" % pid),
                     (time.time() - 3600,) * 2)
            r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                    "--as-of", AS_OF, "--statements", "--quiet", cwd=t.path)
            eq((r.code, r.err), (0, ""), r)
            left = sorted(n for n in os.listdir(t.p("out")) if n.startswith("."))
            eq(left, [], "an hour-old temporary of a PID that started now is gone")
            r = svc("report", "--db", "svc.db", "--out", "out2", "--as-of", AS_OF,
                    "--quiet", cwd=t.path)
            eq((r.code, r.err), (0, ""), r)
            check(os.path.isdir(t.p("out2", ".svcrecon-tmp-%d" % pid)),
                  "a temporary changed after its PID's process started may be "
                  "that process's: left alone")
        finally:
            p.kill()
            p.wait()


def test_a_killed_runs_temporary_folder_goes_whatever_its_pid_is_here():
    # fix78: a run killed in a container is pid 1 there; its folder
    # ".svcrecon-tmp-1" on a volume the host shares was never removed by a
    # run on the host (pid 1 is alive there, and started before the
    # folder). A live run elsewhere whose pid is free here (a container's)
    # had its folder removed. The run's lock on the folder's owner.lock
    # (reports/report.c) says which: a real run, killed, its folder
    # renamed as a container's pid 1 would have named it, goes; a folder
    # whose owner.lock a live process locks stays, whatever its pid.
    import fcntl
    with Tmp() as t:
        good_night(t)
        env = dict(os.environ, SVCRECON_TEST_PAUSE="report")
        p = subprocess.Popen(svctest.cmd(
            "run", "--db", "svc.db", "--inbox", "in", "--out", "out",
            "--as-of", AS_OF, "--quiet"), cwd=t.path, env=env)
        mine = t.p("out", ".svcrecon-tmp-%d" % p.pid)
        try:
            deadline = time.time() + 60
            while not os.path.isdir(mine):
                check(time.time() < deadline and p.poll() is None,
                      "the run made no temporary folder")
                time.sleep(0.05)
            time.sleep(0.5)     # it pauses 10 s in the report (testhook)
        finally:
            p.kill()
            p.wait()
        os.rename(mine, t.p("out", ".svcrecon-tmp-1"))
        os.utime(t.p("out", ".svcrecon-tmp-1"), (time.time() - 60,) * 2)
        live = t.p("out", ".svcrecon-tmp-4194303")     # no such pid here
        os.makedirs(live)
        with owner_lock_held(live):
            r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                    "--as-of", AS_OF, "--quiet", cwd=t.path)
            eq((r.code, r.err), (0, ""), r)
            left = sorted(n for n in os.listdir(t.p("out"))
                          if n.startswith(".svcrecon-tmp-"))
            eq(left, [".svcrecon-tmp-4194303"], "a killed run's folder named "
               "by a pid alive here is gone; a locked one stays")
            with open(os.path.join(live, "owner.lock")) as f:
                check(fcntl.fcntl(f, fcntl.F_GETFD) >= 0, "owner.lock kept")


def test_a_run_of_the_same_pid_elsewhere_leaves_a_live_runs_folder():
    # qa84: two containers sharing --out, each run pid 1 in its own PID
    # namespace (different databases: no run lock between them). The
    # second emptied and removed ".svcrecon-tmp-1" while its owner.lock
    # was locked by the live first run (make_tmp_dir took a folder of its
    # own PID for an earlier process's). Now it leaves it and writes in a
    # folder of its own ("PID-N"), which it removes at its end.
    probe = subprocess.run(["unshare", "--pid", "--fork", "true"],
                           capture_output=True)
    if probe.returncode != 0:
        svctest.skip("unshare cannot make a PID namespace here (root "
                     "needed)")
    with Tmp() as t:
        good_night(t)
        r = svc("run", "--db", "svc.db", "--inbox", "in", "--out", "out",
                "--as-of", AS_OF, "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        live = t.p("out", ".svcrecon-tmp-1")
        os.makedirs(live)
        t.write("out/.svcrecon-tmp-1/unclosed.xlsx", "the live run's")
        with owner_lock_held(live):
            r = subprocess.run(["unshare", "--pid", "--fork"] + svctest.cmd(
                "report", "--db", "svc.db", "--out", "out", "--as-of",
                AS_OF, "--quiet"), cwd=t.path, capture_output=True,
                text=True, timeout=600)
            eq((r.returncode, r.stderr), (0, ""), r)
            eq(sorted(os.listdir(live)), ["owner.lock", "unclosed.xlsx"],
               "the live run's folder of the same pid is left whole")
            left = sorted(n for n in os.listdir(t.p("out"))
                          if n.startswith(".svcrecon-tmp-"))
            eq(left, [".svcrecon-tmp-1"], "the run's own folder went")
        r = svc("report", "--db", "svc.db", "--out", "out", "--as-of",
                AS_OF, "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        check(not os.path.exists(live), "unlocked since: removed")


def test_a_live_runs_statements_in_another_pid_namespace_are_left_alone():
    # fix81: the statements were written in OUT/.statements_A.tmp-PID, and
    # a run removed such a folder when that PID was not alive here: a live
    # run in a container sharing --out (its pid free on the host) lost its
    # statements' folder to a run on the host, and failed. Now they are
    # written in the run's own temporary folder, whose owner.lock says it
    # is alive wherever it is seen from; a killed run's go with that folder.
    probe = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc",
                            "true"], capture_output=True)
    if probe.returncode != 0:
        svctest.skip("unshare cannot make a PID namespace here (root "
                     "needed)")

    def statements_temporaries(out):
        found = []
        for n in os.listdir(out):
            if n.startswith(".statements_") and ".tmp-" in n:
                found.append(n)
            sub = os.path.join(out, n, "statements.tmp")
            if n.startswith(".svcrecon-tmp-") and os.path.isdir(sub):
                found.append(n + "/statements.tmp")
        return found

    with Tmp() as t:
        good_night(t)
        r = svc("import", "--db", "svc.db", "--kind", "registrations",
                "in/registrations_1.csv", "--quiet", cwd=t.path)
        eq(r.code, 0, r)
        # The container's run: pid 4194001 in its namespace, free here.
        env = dict(os.environ, TZ="UTC", SVCRECON_TEST_PAUSE="statements")
        inner = " ".join("'%s'" % a for a in svctest.cmd(
            "run", "--db", "svc.db", "--inbox", "in", "--out", "out",
            "--as-of", AS_OF, "--statements", "--quiet", cwd=t.path))
        p = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount-proc", "sh", "-c",
             "echo 4194000 > /proc/sys/kernel/ns_last_pid && " + inner],
            cwd=t.path, env=env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.time() + 60
            while not (os.path.isdir(t.p("out")) and
                       statements_temporaries(t.p("out"))):
                check(time.time() < deadline and p.poll() is None,
                      "the run made no statements' temporary folder")
                time.sleep(0.05)
            mine = statements_temporaries(t.p("out"))
            # The host's run, of another database, into the same --out.
            r = svc("run", "--db", "other.db", "--inbox", "in", "--out",
                    "out", "--as-of", "2026-03-11", "--statements",
                    "--quiet", cwd=t.path)
            eq((r.code, r.err), (0, ""), r)
            eq(statements_temporaries(t.p("out")), mine,
               "the live run's statements' folder is left alone")
            out, err = p.communicate(timeout=120)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        eq((p.returncode, err), (0, ""), "the container's run ends well")
        check(os.listdir(t.p("out", "statements_" + AS_OF)),
              "its statements are in place")
        eq(sorted(n for n in os.listdir(t.p("out")) if n.startswith(".")), [],
           "nothing temporary is left")
        # A run killed while writing its statements: its leftovers, named
        # as a container's pid 1 would have named them (alive here), go.
        p = subprocess.Popen(svctest.cmd(
            "report", "--db", "svc.db", "--out", "out", "--as-of",
            "2026-03-13", "--statements", "--quiet", cwd=t.path), cwd=t.path,
            env=env)
        try:
            deadline = time.time() + 60
            while not statements_temporaries(t.p("out")):
                check(time.time() < deadline and p.poll() is None,
                      "the run made no statements' temporary folder")
                time.sleep(0.05)
        finally:
            p.kill()
            p.wait()
        for n in os.listdir(t.p("out")):
            if n.startswith(".") and n.endswith("-%d" % p.pid):
                os.rename(t.p("out", n), t.p("out", n[:-len(str(p.pid))] + "1"))
        check(statements_temporaries(t.p("out")), "the killed run's are left")
        r = svc("report", "--db", "svc.db", "--out", "out", "--as-of",
                "2026-03-11", "--quiet", cwd=t.path)
        eq((r.code, r.err), (0, ""), r)
        eq(sorted(n for n in os.listdir(t.p("out")) if n.startswith(".")), [],
           "a killed run's statements' folder is gone with its own")


if __name__ == "__main__":
    main(globals())
