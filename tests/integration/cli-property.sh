#!/bin/bash
# A property of the command line: for every command and a table of bad (and good) arguments, with
# and without --json (before the command and after it), the exit code is the documented one, and
# under --json stdout holds exactly one JSON document that says that exit code and, on an error,
# the messages that explain it. Also while another run holds the lock (exit 5).
source "$(dirname "$0")/lib.sh"
need_cmd python3 python3

xh_config
cat > "$T/conf.d/10-steps.conf" <<CONF
[a]
plugin = fake
target = $T/a.on

[b]
plugin = fake
after = a
target = $T/b.on
sleep = 3s
trigger = $T/slow
CONF

python3 - "$T" <<'PY' || fail "the CLI property does not hold"
import json, os, subprocess, sys, time

t = sys.argv[1]
xhafw = os.environ["XHAFW"]
conf = ["--config", t + "/xhafw.conf"]

# (arguments after the global ones, expected exit code)
table = [
    ([], 2), (["frobnicate"], 2), (["--bogus", "status"], 2), (["status", "--bogus"], 2),
    (["status", "extra"], 2), (["validate", "extra"], 2), (["list-plugins", "extra"], 2),
    (["describe"], 2), (["describe", "a", "b"], 2), (["describe", "nosuch"], 2),
    (["activate", "--only", "nosuch"], 2), (["activate", "--only", ","], 2), (["deactivate", "--only", "a,nosuch"], 2),
    (["activate", "--dry-run", "--only", "a,,b"], 2), (["activate", "--dry-run", "--inject", "a", "--inject", "b"], 2),
    (["activate", "--jobs", "0"], 2), (["activate", "--jobs", "257"], 2), (["activate", "--jobs", "x"], 2),
    (["activate", "--jobs"], 2), (["deactivate", "--force"], 2), (["deactivate", "--no-rollback"], 2),
    (["activate", "--bogus"], 2), (["activate", "extra"], 2),
    (["--state-dir", "relative", "status"], 2), (["--plugin-path", "rel/dir", "validate"], 2),
    (["--conf-d", "relative", "activate", "--yes"], 2),
    (["--help"], 0), (["--version"], 0), (["status", "--help"], 0), (["activate", "--help"], 0),
    (["status"], 3), (["validate"], 0), (["list-plugins"], 0), (["describe", "a"], 0), (["describe", "fake"], 0),
    (["activate", "--dry-run"], 0), (["deactivate", "--dry-run"], 0),
    (["history"], 0), (["history", "--help"], 0), (["history", "1"], 2), (["history", "--since", "x"], 2),
    (["history", "--svg"], 2), (["history", "1", "2", "3"], 2), (["history", "--bogus"], 2),
    (["preflight", "extra"], 2), (["preflight", "--bogus"], 2), (["preflight", "--peer"], 2),
    (["preflight", "--prometheus", "relative"], 2), (["preflight", "--help"], 0),
    (["activate", "--inject", "a"], 2), (["activate", "--dry-run", "--inject", "nosuch"], 2),
    (["activate", "--dry-run", "--inject", "a=explode"], 2), (["activate", "--dry-run", "--inject", "a"], 1),
    (["deactivate", "--dry-run", "--inject", "a"], 0),
]
failures = []

def run(args):
    p = subprocess.run([xhafw] + args, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    return p.returncode, p.stdout, p.stderr

def one_document(out):
    dec = json.JSONDecoder()
    doc, end = dec.raw_decode(out.lstrip())
    if out.lstrip()[end:].strip():
        raise ValueError("more than one document: %r" % out[:200])
    return doc

def check(args, want, base=conf):
    rc, out, err = run(base + args)
    if rc != want:
        failures.append("%s: exit %d, expected %d; stderr: %s" % (args, rc, want, err.strip()[:300]))
    for where in ("before", "after"):
        jargs = base + ["--json"] + args if where == "before" else base + args + ["--json"]
        jrc, out, err = run(jargs)
        if jrc != rc:
            failures.append("%s (--json %s): exit %d, without --json %d" % (args, where, jrc, rc))
        try:
            doc = one_document(out)
        except ValueError as e:
            failures.append("%s (--json %s): stdout is not one JSON document (%s): %r" % (args, where, e, out[:300]))
            continue
        if doc.get("exit") != jrc or not isinstance(doc.get("result"), str):
            failures.append("%s (--json %s): document says exit %r, result %r; the process exited %d"
                            % (args, where, doc.get("exit"), doc.get("result"), jrc))
        if jrc == 2 and not doc.get("messages") and "usage" not in doc:
            failures.append("%s (--json %s): exit 2 without a message saying why: %r" % (args, where, doc))

for args, want in table:
    check(args, want)

# While another run holds the lock: activate and deactivate exit 5 at once; status still answers.
open(t + "/slow", "w").close()
bg = subprocess.Popen([xhafw] + conf + ["activate", "--yes"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
try:
    for _ in range(200):
        if os.path.exists(t + "/a.on"):
            break
        time.sleep(0.02)
    else:
        failures.append("the background activate did not start")
    for args, want in ((["activate", "--yes"], 5), (["deactivate", "--yes"], 5), (["status"], 4), (["history"], 0)):
        check(args, want)
    rc, out, _ = run(conf + ["--json", "status"])
    if "run_in_progress" not in one_document(out):
        failures.append("status --json during a run does not say run_in_progress: %r" % out[:300])
finally:
    if bg.wait(timeout=60) != 0:
        failures.append("the background activate failed")
os.unlink(t + "/slow")
check(["status"], 0)
check(["deactivate", "--yes"], 0)
check(["history", "1"], 0); check(["history", "1", "--svg", t + "/run.svg"], 0); check(["history", "9"], 2)

for f in failures:
    print("not ok -", f)
print("%d cases, %d failures" % (len(table) + 10, len(failures)))
sys.exit(1 if failures else 0)
PY
pass "every command and exit path: the documented exit code, one JSON document under --json"
