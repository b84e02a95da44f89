#!/bin/bash
# Background work a plugin declares (xhafw_background, xhafw-plugin(7)): it is the core's, never
# detached. It goes on while the later steps run and ends with the run; work that outlives its
# bound is killed and reported; it dies with a crashed action, with an interrupted run and with a
# killed core; a dry-run only says it would go on. Nothing of it is left after any run.
source "$(dirname "$0")/lib.sh"

xh_config
W=$T/work.log

# conf EXTRA...: one step a (fake) with background work, and a step b after it
conf() {
        {
                echo "[a]"
                echo "plugin = fake"
                echo "target = $T/a.on"
                echo "background_file = $W"
                printf '%s\n' "$@"
                echo "[b]"
                echo "plugin = fake"
                echo "after = a"
                echo "target = $T/b.on"
                [ -z "${B_EXTRA:-}" ] || echo "$B_EXTRA"
        } > "$T/conf.d/10-steps.conf"
        rm -f "$W" "$T/a.on" "$T/b.on"
}

work_pid() { head -1 "$W" 2>/dev/null; }
# gone PID: the process no longer exists (a zombie counts as gone) within 2 s
gone() {
        for _ in $(seq 40); do
                [ -n "$1" ] || return 0
                [ -e "/proc/$1" ] || return 0
                [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
                sleep 0.05
        done
        return 1
}

# 1. The work goes on while the later steps run (b does not wait for it), and ends with the run.
B_EXTRA="sleep = 1s" conf "background = 600ms" "background_bound = 5s"
expect_exit 0 xh activate --yes
grep -qx "done" "$W" || fail "the work did not go on while b ran: $(cat "$W" 2>/dev/null)"
gone "$(work_pid)" || fail "background work left behind"
python3 - "$T/state/journal" <<'PY' || fail "b waited for a's background work"
import json, sys
from datetime import datetime
ev = [json.loads(l) for l in open(sys.argv[1])]
t = {e["event"] + ":" + e.get("step", ""): e["time"] for e in ev}
f = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
gap = (f(t["step-apply:b"]) - f(t["step-applied:a"])).total_seconds()
assert gap < 0.4, gap
PY
expect_exit 0 xh -q deactivate --yes
# the run that did its job waits for the work (up to its bound) before it ends
conf "background = 400ms" "background_bound = 5s"
start=$(date +%s%N)
expect_exit 0 xh activate --yes
ms=$(( ($(date +%s%N) - start) / 1000000 ))
grep -qx "done" "$W" || fail "the run ended before its background work"
gone "$(work_pid)" || fail "background work left behind after the run"
[ "$ms" -ge 400 ] || fail "activate took $ms ms: it did not wait for 400 ms of work"
expect_exit 0 xh -q deactivate --yes
# a run that failed (and rolled back) ends the work at once
B_EXTRA="apply_mode = fail" conf "background = 30s" "background_bound = 60s"
start=$(date +%s%N)
expect_exit 1 xh -v activate --yes
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_output "the run is over: ending the background work 'fake background work'"
! grep -qx "done" "$W" || fail "the work outlived the failed run"
gone "$(work_pid)" || fail "background work left behind after the failed run"
[ "$ms" -lt 5000 ] || fail "a failed activate took $ms ms: it waited for its background work"
pass "background work goes on while later steps run; a successful run waits for it, a failed one ends it"

# 2. Work that outlives its bound (while b still runs) is killed and reported.
B_EXTRA="sleep = 1s" conf "background = 30s" "background_bound = 300ms"
start=$(date +%s%N)
expect_exit 0 xh activate --yes
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_output "outlived its bound of 300 ms"
! grep -qx "done" "$W" || fail "the work was not ended at its bound"
gone "$(work_pid)" || fail "background work past its bound still runs"
[ "$ms" -lt 5000 ] || fail "activate took $ms ms with a 300 ms bound"
expect_exit 0 xh -q deactivate --yes
pass "background work past its bound is killed"

# 3. A crashed action takes its background work with it.
conf "background = 30s" "apply_mode = crash"
expect_exit 1 xh activate --yes
gone "$(work_pid)" || fail "a crashed action's background work still runs"
! grep -qx "done" "$W" || fail "a crashed action's background work finished"
pass "a crashed action's background work ends with it"

# 4. SIGTERM during the run ends the work at once and rolls back.
B_EXTRA="sleep = 3s" conf "background = 30s" "background_bound = 60s"
"$XHAFW" --config "$T/xhafw.conf" activate --yes > "$T/out" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$W" ] && grep -q '"step-apply","step":"b"' "$T/state/journal" && break; sleep 0.05; done
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 1 ] || fail "activate after SIGTERM exited $rc: $(cat "$T/out")"
gone "$(work_pid)" || fail "the background work outlived an interrupted run"
[ ! -e "$T/a.on" ] || fail "not rolled back: $(cat "$T/out")"
pass "SIGTERM mid-run ends the background work and rolls back"

# 5. SIGKILL of the core (while b runs): the work dies with it.
B_EXTRA="sleep = 3s" conf "background = 30s" "background_bound = 60s"
"$XHAFW" --config "$T/xhafw.conf" activate --yes > "$T/out" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$W" ] && grep -q '"step-apply","step":"b"' "$T/state/journal" && break; sleep 0.05; done
sleep 0.2
kill -KILL "$pid"
wait "$pid" || true
gone "$(work_pid)" || fail "the background work outlived a killed core"
expect_exit 0 xh -q deactivate --yes
pass "background work dies with the core"

# 6. A dry-run starts nothing and says what would go on.
conf "background = 30s"
expect_exit 0 xh activate --dry-run
expect_output "would go on in the background: fake background work"
[ ! -e "$W" ] || fail "a dry-run started background work"
pass "a dry-run only announces background work"
