#!/bin/bash
# The Pacemaker resource agent contrib/ocf/xhafw: ocf-tester, then every exit-code mapping of its header.
source "$(dirname "$0")/lib.sh"
need_root
src=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
agent=$src/contrib/ocf/xhafw
export OCF_ROOT=/usr/lib/ocf
[ -f "$OCF_ROOT/lib/heartbeat/ocf-shellfuncs" ] || skip "needs $OCF_ROOT/lib/heartbeat/ocf-shellfuncs (package resource-agents)"
need_cmd ocf-tester resource-agents
need_cmd xmllint libxml2-utils

# Harmless steps: two services of the test service manager (a file per active unit under $T/svc), and a
# fake step that refuses while $T/refuse exists.
xh_config "service_manager=$src/tests/integration/svcman.sh, $T/svc"
cat > "$T/conf.d/10-ocf.conf" <<EOF
[web]
plugin = service
unit = web
timeout = 10s

[db]
plugin = service
unit = db
after = web
timeout = 5s

[guard]
plugin = fake
target = $T/guard.active
apply_mode = refuse
trigger = $T/refuse
after = web
timeout = 20s
EOF
mkdir -p "$T/svc"

# The agent's own static checks.
if command -v shellcheck >/dev/null; then
        shellcheck -s sh -S warning "$agent" || fail "shellcheck finds warnings in the agent"
        pass "shellcheck: no warnings"
fi
sh -n "$agent" || fail "the agent does not parse with /bin/sh"

# ocf-tester, as CI and Debian's resource-agents run it.
ocf-tester -v -n xhafw_test -o config="$T/xhafw.conf" -o binary="$XHAFW" "$agent" > "$T/tester.log" 2>&1 ||
        { cat "$T/tester.log" >&2; fail "ocf-tester"; }
grep -q "passed all tests" "$T/tester.log" || { cat "$T/tester.log" >&2; fail "ocf-tester did not pass"; }
pass "ocf-tester: $(tail -1 "$T/tester.log")"
[ ! -e "$T/svc/web.active" ] || fail "ocf-tester left web active"

export OCF_RESOURCE_INSTANCE=xhafw_test OCF_RESKEY_config="$T/xhafw.conf" OCF_RESKEY_binary="$XHAFW"
export OCF_RESKEY_CRM_meta_timeout=20000 OCF_RESKEY_CRM_meta_interval=30000

# ra WANT ACTION: run the agent, fail unless it exits WANT; its output is in $T/ra.out.
ra() {
        local want=$1 action=$2 rc=0
        "$agent" "$action" > "$T/ra.out" 2>&1 || rc=$?
        if [ "$rc" != "$want" ]; then
                cat "$T/ra.out" >&2
                fail "agent $action exited $rc, expected $want"
        fi
}

# meta-data: valid against the OCF DTD, timeouts sized from the steps: level 1 is web (10s), level 2
# db and guard (20s, the longer); each rounded up by a second plus the 5s grace: L = 16 + 26 = 42s.
ra 0 meta-data
cp "$T/ra.out" "$T/meta.xml"
(cd /usr/share/resource-agents && xmllint --noout --valid - < "$T/meta.xml") || fail "meta-data does not conform to ra-api-1.dtd"
if [ -f /usr/share/resource-agents/metadata.rng ]; then
        (cd /usr/share/resource-agents && xmllint --noout --relaxng metadata.rng - < "$T/meta.xml") 2> "$T/rng.err" ||
                { cat "$T/rng.err" >&2; fail "meta-data does not conform to resource-agents' metadata.rng"; }
fi
for want in 'name="start" timeout="144s"' 'name="stop" timeout="102s"' 'name="monitor" depth="0" timeout="72s"' \
            'name="validate-all" timeout="51s"' 'parameter name="config"' 'parameter name="conf_d"'; do
        grep -q "$want" "$T/meta.xml" || { cat "$T/meta.xml" >&2; fail "meta-data lacks $want"; }
done
pass "meta-data: valid (DTD and RelaxNG schema); start 144s, stop 102s, monitor 72s from the step timeouts"
OCF_RESKEY_config=/nonexistent/xhafw.conf "$agent" meta-data > "$T/meta2.xml" || fail "meta-data without a configuration"
grep -q 'name="start" timeout="3240s"' "$T/meta2.xml" || fail "meta-data fallback timeouts"
# The fallback is what the shipped conf.d's graph and timeouts give: the same graph with fake steps.
mkdir -p "$T/shipped.d"
printf '[xhafw]\nconf_d = %s\nplugin_path = %s\nstate_dir = %s\n' "$T/shipped.d" "$XHAFW_TEST_PLUGIN_PATH" "$T/shipped-state" \
        > "$T/shipped.conf"
for step in storage vip hosts ntp "postgres:storage, vip" "xcatd:postgres, hosts" "xcat-networks:xcatd" \
            "dns:xcatd:10m" "dhcp:xcatd, xcat-networks:10m" "conserver:xcatd" "goconserver:xcatd"; do
        IFS=: read -r name after timeout <<< "$step"
        printf '[%s]\nplugin = fake\n' "$name"
        [ -z "$after" ] || printf 'after = %s\n' "$after"
        [ -z "$timeout" ] || printf 'timeout = %s\n' "$timeout"
done > "$T/shipped.d/10-shipped.conf"
OCF_RESKEY_config="$T/shipped.conf" "$agent" meta-data > "$T/meta3.xml"
for a in start stop; do
        grep -o "name=\"$a\" timeout=\"[0-9]*s\"" "$T/meta3.xml" > "$T/m3"
        grep -o "name=\"$a\" timeout=\"[0-9]*s\"" "$T/meta2.xml" > "$T/m2"
        cmp -s "$T/m2" "$T/m3" || fail "fallback $(cat "$T/m2") differs from the shipped graph's $(cat "$T/m3")"
done
pass "meta-data without a readable configuration: the shipped conf.d's timeouts ($(grep -o 'name="start" timeout="[0-9]*s"' "$T/meta2.xml"))"

# Start, stop, and both again: idempotent, and the services really change.
ra 7 monitor
ra 0 start
[ -e "$T/svc/web.active" ] && [ -e "$T/svc/db.active" ] && [ -e "$T/guard.active" ] || fail "start left a step inactive"
ra 0 monitor
ra 0 start
ra 0 stop
[ ! -e "$T/svc/web.active" ] && [ ! -e "$T/svc/db.active" ] && [ ! -e "$T/guard.active" ] || fail "stop left a step active"
ra 7 monitor
ra 0 stop
pass "start/stop change the services and are idempotent; monitor 0 and 7"

# A step that fails: OCF_ERR_GENERIC, and what the run applied is rolled back.
touch "$T/svc/db.fail-start"
ra 1 start
[ ! -e "$T/svc/web.active" ] || fail "a failed start left web active"
ra 7 monitor
rm -f "$T/svc/db.fail-start"
pass "a failed step: start exits OCF_ERR_GENERIC (1), rolled back, monitor 7"

# A safety refusal: OCF_ERR_PERM, a hard error, rolled back, never forced.
touch "$T/refuse"
ra 4 start
grep -q "refused by a safety check" "$T/ra.out" || { cat "$T/ra.out" >&2; fail "no reason for the refusal"; }
[ ! -e "$T/guard.active" ] && [ ! -e "$T/svc/web.active" ] || fail "a refused start left steps active"
ra 7 monitor
rm -f "$T/refuse"
pass "a safety refusal (exit 6): start exits OCF_ERR_PERM (4), rolled back"

# Half a role (a service died): monitor says OCF_ERR_GENERIC; stop recovers it.
ra 0 start
rm -f "$T/svc/db.active"
ra 1 monitor
grep -q "part of the role is active" "$T/ra.out" || { cat "$T/ra.out" >&2; fail "no reason for the mixed state"; }
ra 0 stop
ra 7 monitor
pass "a mixed node (exit 4): monitor OCF_ERR_GENERIC (1); stop cleans it up"

# Another run holds the lock: retried while it lasts, for at most half the operation's timeout.
mkdir -p "$T/state"
# The holder is the process that holds the descriptor, so that killing it frees the lock.
hold_lock() { (exec 9> "$T/state/lock" && flock 9 && exec sleep "$1") & }
hold_lock 3
holder=$!
at_exit "kill $holder 2>/dev/null"
sleep 0.3
t0=$(date +%s)
ra 0 start
t1=$(date +%s)
[ $((t1 - t0)) -ge 2 ] || fail "start did not wait for the lock ($((t1 - t0))s)"
wait $holder || true
hold_lock 30
holder=$!
at_exit "kill $holder 2>/dev/null"
sleep 0.3
t0=$(date +%s)
OCF_RESKEY_CRM_meta_timeout=6000 ra 1 stop
grep -q "still holds the lock" "$T/ra.out" || { cat "$T/ra.out" >&2; fail "no reason for the lock"; }
t1=$(date +%s)
[ $((t1 - t0)) -le 8 ] || fail "stop waited ${t1}s for the lock, more than half its timeout"
kill $holder
wait $holder 2>/dev/null || true
ra 0 stop
pass "locked (exit 5): retried until the lock is free, OCF_ERR_GENERIC after half the timeout"

# A run in progress shows half a role: monitor judges once it is over (status --json names the run
# holding the lock), for at most half its timeout; without a run the same half role fails at once.
ra 0 start
rm -f "$T/svc/db.active"
t0=$(date +%s)
ra 1 monitor
[ $(( $(date +%s) - t0 )) -le 1 ] || fail "monitor waited although no run is in progress"
hold_lock 3
holder=$!
at_exit "kill $holder 2>/dev/null"
sleep 0.3
"$XHAFW" --config "$T/xhafw.conf" --json status > "$T/st.json" 2>/dev/null || true
grep -q '^  "run_in_progress":[0-9]' "$T/st.json" || { cat "$T/st.json" >&2; fail "status --json does not name the run"; }
t0=$(date +%s)
ra 1 monitor
[ $(( $(date +%s) - t0 )) -ge 2 ] || fail "monitor did not wait for the run in progress"
grep -q "run is in progress; checking again" "$T/ra.out" || { cat "$T/ra.out" >&2; fail "monitor did not say why it waits"; }
wait $holder || true
ra 0 stop
pass "a run in progress (read from status --json): monitor waits for it; without one it judges at once"

# A broken configuration on this node: validate-all OCF_ERR_CONFIGURED, monitor and probe OCF_ERR_INSTALLED.
printf '[web]\ntypo = 1\n' > "$T/conf.d/90-broken.conf"
ra 6 validate-all
ra 5 monitor
OCF_RESKEY_CRM_meta_interval=0 ra 5 monitor
ra 5 start
rm "$T/conf.d/90-broken.conf"
ra 0 validate-all
pass "a configuration error (exit 2): validate-all 6, monitor and start 5"

# conf_d overrides the configuration file's.
mkdir -p "$T/other.d"
printf '[solo]\nplugin = service\nunit = solo\n' > "$T/other.d/10-solo.conf"
OCF_RESKEY_conf_d="$T/other.d" ra 0 start
[ -e "$T/svc/solo.active" ] && [ ! -e "$T/svc/web.active" ] || fail "conf_d did not select the other steps"
OCF_RESKEY_conf_d="$T/other.d" ra 0 stop
[ ! -e "$T/svc/solo.active" ] || fail "stop with conf_d"
pass "conf_d selects another step directory"

# xhafw not installed: a probe says not running, stop succeeds, start and monitor OCF_ERR_INSTALLED.
OCF_RESKEY_binary=/nonexistent/xhafw OCF_RESKEY_CRM_meta_interval=0 ra 7 monitor
OCF_RESKEY_binary=/nonexistent/xhafw ra 5 monitor
OCF_RESKEY_binary=/nonexistent/xhafw ra 0 stop
OCF_RESKEY_binary=/nonexistent/xhafw ra 5 start
OCF_RESKEY_config=relative.conf ra 6 start
OCF_RESKEY_config=relative.conf ra 6 monitor
ra 3 promote
pass "missing xhafw: probe 7, stop 0, start 5; a relative config path: 6; unknown action: 3"
