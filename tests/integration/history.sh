#!/bin/bash
# xhafw history: the runs of the journal listed, one run step by step with its timeline (a text
# Gantt chart with the critical path, an SVG report), --json, --since; a torn last line and a
# damaged one are warnings, never fatal; a run killed half-way is "interrupted"; the journal is
# bounded (rotation by size, journal_runs). No root needed: the test plugin `fake` only touches
# marker files in the test's directory.
source "$(dirname "$0")/lib.sh"
need_cmd python3 python3
need_cmd pgrep procps
export TZ=UTC COLUMNS=100
host=$(hostname)

xh_config
# a -> b -> d is the long chain; c (after a) is short and fails on demand (after 50ms, so that b
# has started by then); h hangs on demand.
cat > "$T/conf.d/10-steps.conf" <<CONF
[a]
plugin = fake
target = $T/a.on
sleep = 200ms

[b]
plugin = fake
after = a
target = $T/b.on
sleep = 300ms

[c]
plugin = fake
after = a
target = $T/c.on
sleep = 50ms
apply_mode = partial
trigger = $T/fail

[d]
plugin = fake
after = b
target = $T/d.on
sleep = 100ms

[h]
plugin = fake
after = a
target = $T/h.on
apply_mode = hang
trigger = $T/hang
CONF
J=$T/state/journal

# json_get FILE EXPR: evaluate the Python expression EXPR on the JSON document in FILE (as d).
json_get() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# ---- before any run
expect_exit 0 xh history
expect_output "no run recorded: .*journal does not exist yet"
xh --json history > "$T/h.json"
[ "$(json_get "$T/h.json" 'len(d["runs"]), d["exit"], d["command"]')" = "(0, 0, 'history')" ] ||
        fail "history --json without a journal: $(cat "$T/h.json")"
pass "no journal yet: history says so, exit 0"

# ---- three runs: activate, deactivate, an activate that fails at c and rolls back
expect_exit 0 xh activate --yes
expect_exit 0 xh deactivate --yes
touch "$T/fail"
expect_exit 1 xh activate --yes
rm "$T/fail"

expect_exit 0 xh history
expect_output "^ +RUN +START +COMMAND +NODE +RESULT +DURATION +FAILED STEP"
expect_output "^ +3 +[0-9-]{10} [0-9:]{8} +activate +$host +0 ok +0\.[0-9]{3}s +-$"
expect_output "^ +2 +[0-9-]{10} [0-9:]{8} +deactivate +$host +0 ok +"
expect_output "^ +1 +[0-9-]{10} [0-9:]{8} +activate +$host +1 failed, rolled back +0\.[0-9]{3}s +c$"
[ "$(grep -c . "$T/out")" = 4 ] || { cat "$T/out"; fail "expected a header and three runs"; }
pass "the list: start, command, node, result with its meaning, duration, failed step"

# ---- one run step by step, and its timeline
expect_exit 0 xh history 1
expect_output "^run 1 of 3: activate on $host \(pid [0-9]+"
expect_output "^  result +1 failed, rolled back; c failed: injected: apply failed after doing part of its work"
expect_output "^  [0-9:.]{12} +0\.[0-9]{3}s +c +FAILED after 0\.0[4-9][0-9]s: injected: apply failed after"
expect_output "^  [0-9:.]{12} +0\.[0-9]{3}s +rollback started"
expect_output "^  [0-9:.]{12} +0\.[0-9]{3}s +a +rolled back after"
expect_output "run ended: exit 1 \(failed\), rolled back"
expect_output "^timeline .*# critical path, = other steps, X failed"
# the time axis, then one bar per action: b held the run (c failed early), so b is on the path
expect_output "^ {14}0 +[0-9]+ms"
expect_output "^ {14}\+-+\+"
expect_output "^a {13} {0,3}#+ +0\.2[0-9]{2}s applied$"
expect_output "^b {13} +#+ +0\.3[0-9]{2}s applied$"
expect_output "^c {13} +=*X +0\.0[4-9][0-9]s FAILED$"
expect_output "^c \(rollback\) +=*#* +0\.[0-9]{3}s rolled back$"
expect_output "^a \(rollback\) +#+ +0\.[0-9]{3}s rolled back$"
expect_output "^critical path: a > b > .*a \(rollback\) \(its steps took"
grep -E "^c {13}" "$T/out" | grep -q '#' && fail "c is not on the critical path: $(cat "$T/out")"
# the bars share one axis: b starts where a ends
python3 - "$T/out" <<'PY' || fail "bars not on a shared time axis"
import re, sys
rows = {m.group(1): m.group(2) for m in (re.match(r"^(\w) {13}( *[#=X]+)", l) for l in open(sys.argv[1])) if m}
a, b = rows["a"], rows["b"]
a_end, b_start = len(a) - 1, len(b) - len(b.lstrip())
# b starts after a ends (a's verifying check and b's fork lie between: a few columns on a loaded
# machine), never before it, and never at the left edge as a bar on an axis of its own would
assert a_end - 1 <= b_start <= a_end + len(a) // 2 and b_start > 0, (a, b)
assert len(b) > len(a), (a, b)   # b ends later
PY
expect_exit 0 xh history 3
expect_output "^critical path: a > b > d \(its steps took"
expect_output "^d {13} +#+ +0\.1[0-9]{2}s applied$"
expect_output "^c {13} +=+ +0\.0[0-9]{2}s applied$"
pass "one run: each event with its time, the Gantt chart with the critical path"

# ---- a run by its start time, as the journal or the JSON says it (UTC), or local
xh --json history > "$T/h.json"
python3 - "$T/h.json" <<'PY' || fail "history --json: $(cat "$T/h.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "history" and d["exit"] == 0 and d["result"] == "ok", d
runs = d["runs"]
assert [r["run"] for r in runs] == [3, 2, 1], runs
assert [r["command"] for r in runs] == ["activate", "deactivate", "activate"], runs
assert [r["exit"] for r in runs] == [0, 0, 1] and runs[2]["result"] == "failed", runs
assert runs[2]["failed_step"] == "c" and runs[2]["failed_reason"].startswith("injected: apply failed"), runs
assert runs[2]["rolled_back"] and not runs[0]["rolled_back"], runs
assert all(r["ended"] and not r["interrupted"] and r["seconds"] > 0 for r in runs), runs
PY
start2=$(json_get "$T/h.json" 'd["runs"][1]["start"]')
expect_exit 0 xh history "$start2"
expect_output "^run 2 of 3: deactivate"
local_start=$(date -d "$start2" '+%Y-%m-%d %H:%M:%S.%3N')
expect_exit 0 xh history "${local_start/ /T}"
expect_output "^run 2 of 3: deactivate"
expect_exit 0 xh history ${local_start}
expect_output "^run 2 of 3: deactivate"
expect_exit 2 xh history 2031-01-01T00:00:00
expect_output "no run started at 2031-01-01T00:00:00"
expect_exit 2 xh history 4
expect_output "no run 4: the journal holds 3 runs"
expect_exit 2 xh history yesterdayish
pass "a run by its number or its start time (UTC or local, one word or two)"

xh --json history 1 > "$T/h1.json"
python3 - "$T/h1.json" <<'PY' || fail "history 1 --json: $(cat "$T/h1.json")"
import json, sys
d = json.load(open(sys.argv[1]))
r = d["run"]
assert d["exit"] == 0 and r["run"] == 1 and r["result"] == "failed", d
ev = [e["event"] for e in r["events"]]
assert ev[0] == "run-start" and ev[-1] == "run-end" and "rollback-start" in ev, ev
steps = {(s["step"], s["action"]): s for s in r["steps"]}
assert steps[("c", "apply")]["outcome"] == "FAILED" and not steps[("c", "apply")]["critical_path"], steps
assert steps[("b", "apply")]["critical_path"] and steps[("a", "apply")]["critical_path"], steps
assert steps[("a", "rollback")]["outcome"] == "rolled back", steps
assert [p["step"] for p in r["critical_path"]][:2] == ["a", "b"], r["critical_path"]
assert abs(steps[("a", "apply")]["seconds"] - 0.2) < 0.1, steps
PY
pass "--json: the list and one run (events, steps, critical path) parse"

# ---- --svg: well-formed XML, written atomically, text escaped
expect_exit 0 xh history 1 --svg "$T/run1.svg"
expect_output "^run 1 of 3"
python3 - "$T/run1.svg" <<'PY' || fail "the SVG is not well-formed: $(head -c 600 "$T/run1.svg")"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
assert root.tag == ns + "svg", root.tag
rects = [r for r in root.iter(ns + "rect") if (r.get("class") or "-").split()[0] in ("critical", "bar", "rollback")]
crit = [r for r in rects if r.get("class").startswith("critical") and r.find(ns + "title") is not None]
assert len(crit) >= 3, [r.attrib for r in rects]
text = " ".join("".join(t.itertext()) for t in root.iter(ns + "text"))
assert "critical path: a > b" in text and "injected: apply failed" in text, text
PY
for g in "$T"/.*.xhafw-* "$T"/*xhafw-tmp*; do [ ! -e "$g" ] || fail "a temporary file was left: $g"; done
# without RUN: the latest run
expect_exit 0 xh history --svg "$T/latest.svg"
expect_output "timeline of run 1 \(activate on $host\) written to $T/latest.svg"
cmp -s <(grep -v '^<title>' "$T/latest.svg") <(grep -v '^<title>' "$T/run1.svg") || fail "--svg without RUN is not the latest run"
expect_exit 1 xh history --svg "$T/no/such/dir/x.svg"
expect_output "cannot write the timeline to $T/no/such/dir/x.svg"
grep -q "written to" "$T/out" && fail "a timeline that could not be written is said to be written: $(cat "$T/out")"
# a bare file name is one in the working directory (the man page's example)
( cd "$T" && expect_exit 0 xh history 1 --svg bare.svg )
[ -s "$T/bare.svg" ] || fail "history --svg bare.svg wrote nothing in the working directory"
xh --json history 2 --svg "$T/run2.svg" > "$T/h2.json"
[ "$(json_get "$T/h2.json" 'd["svg"], d["run"]["command"]')" = "('$T/run2.svg', 'deactivate')" ] ||
        fail "--json --svg: $(cat "$T/h2.json")"
python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$T/run2.svg" || fail "run2.svg is not XML"

# A journal of someone else's making: markup, control characters and broken UTF-8 in a reason,
# and lines of an older xhafw (no host, no graph) in a state dir of its own.
mkdir -m 0700 "$T/other"
python3 - "$T/other/journal" <<'PY'
import json, sys
def line(t, ev, **kw):
    d = {"time": t, "pid": 42, "event": ev}
    d.update(kw)
    return json.dumps(d, separators=(",", ":"), ensure_ascii=False)
lines = [line("2020-05-01T10:00:00.000Z", "run-start", detail="activate"),
         line("2020-05-01T10:00:00.100Z", "step-apply", step="st<1>&\"x\""),
         line("2020-05-01T10:00:01.100Z", "step-failed", step="st<1>&\"x\"", detail="bad </text> & \x01\x1f ']]>")]
with open(sys.argv[1], "wb") as f:
    for l in lines:
        f.write(l.encode() + b"\n")
    # invalid UTF-8 in a detail: json-c passes such bytes through
    f.write(b'{"time":"2020-05-01T10:00:01.200Z","pid":42,"event":"step-revert","step":"s2","detail":"\xff\xfe\xc0\xaf"}\n')
    f.write(b'{"time":"2020-05-01T10:00:01.300Z","pid":42,"event":"run-end","detail":"activate exit=1"}\n')
PY
chmod 0600 "$T/other/journal"
expect_exit 0 "$XHAFW" --config "$T/xhafw.conf" --state-dir "$T/other" history 1 --svg "$T/other.svg"
expect_output "^run 1 of 1: activate on \?"
python3 - "$T/other.svg" <<'PY' || fail "escaping: $(cat "$T/other.svg")"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
text = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
assert 'st<1>&"x"' in text and "bad </text> &" in text, text
PY
pass "--svg: well-formed XML (checked with Python's parsers), atomic, text escaped"

# ---- --since
expect_exit 0 xh history --since 1h
[ "$(grep -c . "$T/out")" = 4 ] || { cat "$T/out"; fail "--since 1h: expected the three runs"; }
expect_exit 0 xh history --since today
[ "$(grep -c . "$T/out")" = 4 ] || { cat "$T/out"; fail "--since today: expected the three runs"; }
expect_exit 0 xh history --since 2099-01-01
expect_output "\(no run since then\)"
expect_exit 0 "$XHAFW" --config "$T/xhafw.conf" --state-dir "$T/other" history --since 2020-05-01T09:59Z
expect_output "^ +1 +2020-05-01 10:00:00 +activate"
expect_exit 0 "$XHAFW" --config "$T/xhafw.conf" --state-dir "$T/other" history --since "2020-05-01 10:00:01"
expect_output "\(no run since then\)"
xh --json history --since 2d > "$T/s.json"
[ "$(json_get "$T/s.json" 'len(d["runs"])')" = 3 ] || fail "--json --since 2d: $(cat "$T/s.json")"
for bad in bogus 2h30 -5m 2026-13-01 2026-02-30 25:00; do
        expect_exit 2 xh history --since "$bad"
        expect_output "--since '$bad': expected a date and time"
done
pass "--since: a date, a date and time (local or UTC), a duration ago, today; bad ones are usage errors"

# ---- a torn last line (a crash while it was written) and a damaged one
cp "$J" "$T/journal.good"
printf '{"time":"2026-01-01T00:00:00.000Z","pid":1,"event":"step-ap' >> "$J"
expect_exit 0 xh history
expect_output "warning: $J:[0-9]+: the last line is torn"
[ "$(grep -c '^ *[0-9]\+  ' "$T/out")" = 3 ] || fail "a torn line lost runs: $(cat "$T/out")"
xh --json history > "$T/t.json" 2> /dev/null
python3 - "$T/t.json" <<'PY' || fail "history --json with a torn line: $(cat "$T/t.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["exit"] == 0 and len(d["runs"]) == 3 and d["damaged_lines"] == 1, d
assert any("torn" in m["message"] and m["priority"] == "warning" for m in d["messages"]), d["messages"]
PY
# the next run ends the torn line first, so its own start is not glued to it
expect_exit 0 xh activate --yes
expect_output "warning: the last line of $J is torn .*: ending it"
expect_exit 0 xh history
expect_output "warning: $J:[0-9]+: not a journal event"
expect_output "^ +1 +[0-9-]{10} [0-9:]{8} +activate +$host +0 ok"
expect_exit 0 xh deactivate --yes
# damage in the middle of the journal: a line of garbage, a line that is JSON but no event
sed -i '3i this is not json\n{"no":"event"}' "$J"
expect_exit 0 xh history
[ "$(grep -c 'not a journal event' "$T/out")" = 3 ] || fail "damaged lines not each reported: $(cat "$T/out")"
[ "$(grep -c '^ *[0-9]\+  ' "$T/out")" = 5 ] || fail "damaged lines lost runs: $(cat "$T/out")"
expect_exit 0 xh history 5
expect_output "^run 5 of 5: activate"
pass "a torn last line and damaged lines: warnings naming file and line, never fatal; the next run ends a torn line"

# ---- a run in progress, then killed: running, then interrupted
touch "$T/hang"
n_h=$(grep -c '"step-apply","step":"h"' "$J")
"$XHAFW" --config "$T/xhafw.conf" activate --yes > "$T/bg.out" 2>&1 &
bg=$!
for _ in $(seq 100); do [ "$(grep -c '"step-apply","step":"h"' "$J")" -gt "$n_h" ] && break; sleep 0.1; done
[ "$(grep -c '"step-apply","step":"h"' "$J")" -gt "$n_h" ] || fail "the hanging run did not start h"
expect_exit 0 xh history
expect_output "^ +1 +[0-9-]{10} [0-9:]{8} +activate +$host +running \(pid $bg\) +[0-9.]+s\+ +-$"
child=$(pgrep -P "$bg" || true)
kill -9 "$bg"
wait "$bg" 2> /dev/null || true
[ -z "$child" ] || kill -9 -- "-$child" 2> /dev/null || kill -9 $child 2> /dev/null || true
rm "$T/hang"
expect_exit 0 xh history
expect_output "^ +1 +[0-9-]{10} [0-9:]{8} +activate +$host +interrupted +[0-9.]+s\+ +-$"
expect_exit 0 xh history 1
expect_output "^  ended +never: the last event was at"
expect_output "no run-end: interrupted"
expect_output "^h {13} +[=#]*> +[0-9.]+s never ended$"
xh --json history 1 > "$T/i.json"
[ "$(json_get "$T/i.json" 'd["run"]["interrupted"], d["run"]["result"], d["run"]["end"], d["run"]["exit"]')" = \
  "(True, 'interrupted', None, None)" ] || fail "an interrupted run in JSON: $(cat "$T/i.json")"
expect_exit 0 xh deactivate --yes
pass "a run in progress is 'running'; one killed half-way is 'interrupted', its open step never ended"

# ---- the journal bounded: rotation by size, and journal_runs
n_before=$(xh --json history | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["runs"]))')
python3 - "$J" <<'PY'
import json, sys
with open(sys.argv[1], "a") as f:    # a journal near its size limit: two big old runs
    for i in range(2):
        t = "2026-01-0%dT10:00:00.000Z" % (i + 1)
        for ev in (dict(event="run-start", detail="activate"), dict(event="step-apply", step="a", detail="x" * 600000),
                   dict(event="run-end", detail="activate exit=0")):
            f.write(json.dumps(dict(time=t, pid=99, **ev), separators=(",", ":")) + "\n")
PY
expect_exit 0 xh activate --yes
[ -f "$J.1" ] && [ ! -e "$J" ] || fail "the journal was not rotated at 1 MiB: $(ls -l "$T/state")"
expect_exit 0 xh deactivate --yes
[ -f "$J" ] && [ "$(grep -c '"run-start"' "$J")" = 1 ] || fail "no fresh journal after the rotation: $(ls -l "$T/state")"
expect_exit 0 xh history
[ "$(grep -c '^ *[0-9]\+  ' "$T/out")" = $((n_before + 4)) ] || fail "runs lost in the rotation: $(cat "$T/out")"
expect_output "^ +1 +[0-9-]{10} [0-9:]{8} +deactivate +$host +0 ok"
expect_output "^ +2 +[0-9-]{10} [0-9:]{8} +activate +$host +0 ok"
pass "rotation by size: journal -> journal.1 between runs; history reads both"

xh_config journal_runs=4
for _ in 1 2 3; do
        expect_exit 0 xh activate --yes
        expect_exit 0 xh deactivate --yes
done
expect_exit 0 xh history
[ "$(grep -c '^ *[0-9]\+  ' "$T/out")" = 4 ] || fail "journal_runs = 4 keeps $(grep -c '^ *[0-9]\+  ' "$T/out") runs: $(cat "$T/out")"
expect_output "^ +4 +[0-9-]{10} [0-9:]{8} +activate"
expect_output "^ +1 +[0-9-]{10} [0-9:]{8} +deactivate"
[ ! -e "$J.1" ] || fail "journal.1 kept beyond the runs kept: $(ls -l "$T/state")"
[ "$(grep -c '"run-start"' "$J")" = 4 ] || fail "the journal holds other than 4 runs"
head -n 1 "$J" | grep -q '"event":"run-start"' || fail "the pruned journal does not start with a run"
[ "$(stat -c %a "$J")" = 600 ] || fail "the pruned journal is mode $(stat -c %a "$J")"
xh_config journal_runs=0
expect_exit 2 xh validate
expect_output "journal_runs = '0': expected a number from 1 to 100000"
xh_config journal_runs=lots
expect_exit 2 xh validate
expect_output "journal_runs = 'lots'"
pass "journal_runs: the newest runs kept, older ones dropped from the journal and its rotated files"

# ---- help, usage errors
expect_exit 0 xh history --help
expect_output "^usage: xhafw history \[RUN\] \[--since T\] \[--svg FILE\]"
expect_exit 2 xh history --bogus
expect_exit 2 xh history 1 2 3
expect_exit 2 xh history --svg
expect_exit 0 "$XHAFW" --help
expect_output "^  history +past runs from the journal"
pass "help and usage errors"
