#!/bin/bash
# A lost terminal is not a request to stop (xhafw(8), SIGNALS): a pipe closed mid-run (SIGPIPE,
# EPIPE), stdout and stderr closed or full, a SIGHUP when the ssh session drops. Each run goes on
# to its end: exit 0, the journal has its run end, status tells the truth. Only SIGINT and
# SIGTERM stop a run (and roll it back): checked last.
source "$(dirname "$0")/lib.sh"
need_cmd python3 python3

xh_config
cat > "$T/conf.d/10-steps.conf" <<CONF
[a]
plugin = fake
target = $T/a.on
apply_mode = noisy
revert_mode = noisy

[b]
plugin = fake
after = a
target = $T/b.on
sleep = 300ms
revert_sleep = 300ms

[c]
plugin = fake
after = b
target = $T/c.on
sleep = 300ms
revert_sleep = 300ms
CONF

journal=$T/state/journal

# last_run_ended EXIT: the journal's last run has a run-end line with that exit code, and every
# line of the journal is one JSON object (nothing that was meant for the terminal landed in it).
last_run_ended() {
        python3 - "$journal" "$1" <<'PY' || fail "journal: $(tail -5 "$journal")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
events = [json.loads(l) for l in lines]
start = max(i for i, e in enumerate(events) if e["event"] == "run-start")
ends = [e for e in events[start:] if e["event"] == "run-end"]
assert ends and ends[-1]["detail"].endswith("exit=" + sys.argv[2]), events[start:]
PY
}

all_on() { [ -e "$T/a.on" ] && [ -e "$T/b.on" ] && [ -e "$T/c.on" ]; }
all_off() { [ ! -e "$T/a.on" ] && [ ! -e "$T/b.on" ] && [ ! -e "$T/c.on" ]; }

# 1. The reader of a pipe goes away after the first line (xhafw activate | head -1).
for cmd in activate deactivate; do
        set +o pipefail
        xh "$cmd" --yes 2>&1 | head -1 > /dev/null
        rc=${PIPESTATUS[0]}
        set -o pipefail
        [ "$rc" = 0 ] || fail "$cmd | head -1: xhafw exited $rc (141 is death by SIGPIPE)"
        last_run_ended 0
        if [ "$cmd" = activate ]; then all_on || fail "activate | head -1 did not finish"; expect_exit 0 xh status
        else all_off || fail "deactivate | head -1 did not finish"; expect_exit 3 xh status; fi
done
# the same under --json: the document has nowhere to go, the run still ends
set +o pipefail
xh --json activate --yes 2>/dev/null | head -c 1 > /dev/null
rc=${PIPESTATUS[0]}
set -o pipefail
[ "$rc" = 0 ] && all_on || fail "--json activate | head -c 1 exited $rc"
last_run_ended 0
expect_exit 0 xh -q deactivate --yes
pass "a pipe closed mid-run: the run goes on to its end"

# 2. stdout and stderr closed: nothing the run prints may land in the journal or the lock.
rc=0
xh activate --yes >&- 2>&- || rc=$?
[ "$rc" = 0 ] && all_on || fail "activate with stdout and stderr closed exited $rc"
last_run_ended 0
rc=0
xh deactivate --yes >&- 2>&- || rc=$?
[ "$rc" = 0 ] && all_off || fail "deactivate with stdout and stderr closed exited $rc"
last_run_ended 0
# a full disk behind stdout and stderr
if [ -w /dev/full ]; then
        rc=0
        xh activate --yes > /dev/full 2>&1 || rc=$?
        [ "$rc" = 0 ] && all_on || fail "activate > /dev/full exited $rc"
        last_run_ended 0
        expect_exit 0 xh -q deactivate --yes
fi
pass "stdout and stderr closed or full: the run goes on to its end"

# new_event REGEX: a journal line after line $seen matches (earlier runs do not count)
new_event() { tail -n +"$((seen + 1))" "$journal" 2>/dev/null | grep -q "$1"; }

# 3. SIGHUP mid-run (the ssh session drops during a failover), with the terminal's pipe gone too.
for cmd in activate deactivate; do
        seen=$(wc -l < "$journal")
        mkfifo "$T/pipe"
        "$XHAFW" --config "$T/xhafw.conf" "$cmd" --yes > "$T/pipe" 2>&1 &
        pid=$!
        exec 7< "$T/pipe"
        rm -f "$T/pipe"
        # wait until b runs, then hang up and close the reading end
        for _ in $(seq 100); do
                new_event '"event":"step-\(apply\|revert\)","step":"b"' && break
                sleep 0.05
        done
        kill -HUP "$pid"
        exec 7<&-
        rc=0
        wait "$pid" || rc=$?
        [ "$rc" = 0 ] || fail "$cmd after SIGHUP exited $rc"
        last_run_ended 0
        new_event '"event":"hangup"' || fail "the journal does not record the hangup"
        if [ "$cmd" = activate ]; then all_on || fail "activate did not go on after SIGHUP"; expect_exit 0 xh status
        else all_off || fail "deactivate did not go on after SIGHUP"; expect_exit 3 xh status; fi
done
pass "SIGHUP mid-run: the run goes on to its end, the journal records the hangup"

# 4. SIGTERM is an explicit request: the run stops and rolls back.
seen=$(wc -l < "$journal")
"$XHAFW" --config "$T/xhafw.conf" activate --yes > "$T/out" 2>&1 &
pid=$!
for _ in $(seq 100); do
        new_event '"event":"step-apply","step":"b"' && break
        sleep 0.05
done
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 1 ] || fail "activate after SIGTERM exited $rc, expected 1: $(cat "$T/out")"
all_off || fail "SIGTERM did not roll back: $(cat "$T/out")"
last_run_ended 1
expect_exit 3 xh status
pass "SIGTERM mid-run: stopped and rolled back"
