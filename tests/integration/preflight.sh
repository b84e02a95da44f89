#!/bin/bash
# xhafw preflight, the core's side (the test plugin's checks and facts): one line per check, the
# exit codes (0 ready with warnings, 1 not ready, 2 configuration error), --json with the
# documented fields, the Nagios line, the node_exporter textfile (promtool when installed), a
# plugin built before the preflight member (loads, reported as having none), a crashing preflight,
# and that nothing changes.
source "$(dirname "$0")/lib.sh"
need_cmd python3 python3

# Commands come from path (xhafw.conf): an ssh of the test's own stands for a peer that is down, so
# that nothing leaves this host.
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "ssh: connect to host $*: Connection refused" >&2\nexit 255\n' > "$T/bin/ssh"
chmod 0755 "$T/bin/ssh"
xh_config "path=$T/bin:/usr/sbin:/usr/bin:/sbin:/bin"
mkdir -p "$T/state"
chmod 0700 "$T/state"
cat > "$T/conf.d/10-steps.conf" <<CONF
[a]
plugin = fake
target = $T/a.on
fact = 1.2.3

[b]
plugin = fake
after = a
target = $T/b.on

[old]
plugin = oldsize
CONF

snapshot() { find "$T/state" "$T/conf.d" -printf '%p %s %T@\n' | sort; ls "$T"/*.on 2>/dev/null || true; }
before=$(snapshot)

# A healthy standby: ready, exit 0 (the old plugin's missing preflight is a warning).
expect_exit 0 xh preflight
expect_output "^a +injected check +pass +the marker is absent; this node is a standby"
expect_output "^old +preflight +warn +plugin has no preflight checks"
expect_output "^xhafw +role +pass +this node is a standby"
expect_output "preflight: READY"
[ "$(snapshot)" = "$before" ] || fail "preflight changed something"
pass "a ready standby: exit 0, one line per check, the old plugin loads and has no preflight"

# --json: {"ready", "checks": [{"step", "check", "result", "detail", "fix"}]}, and the facts.
xh --json preflight > "$T/pf.json" 2>/dev/null || fail "--json preflight exited non-zero"
python3 - "$T/pf.json" <<'PY' || fail "--json document"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ready"] is True and d["exit"] == 0, d
for c in d["checks"]:
    assert set(c) >= {"step", "check", "result", "detail", "fix"}, c
    assert c["result"] in ("pass", "warn", "fail"), c
assert d["facts"]["a/value"] == "1.2.3", d["facts"]
assert d["facts"]["xhafw/plugin fake"] == "1.0", d["facts"]
PY
pass "--json: ready, checks with step/check/result/detail/fix, facts"

# A failing check: exit 1, not ready, the fix shown; Nagios CRITICAL (2).
sed -i "s|^fact = 1.2.3|fact = 1.2.3\npreflight_mode = fail|" "$T/conf.d/10-steps.conf"
expect_exit 1 xh preflight
expect_output "^a +injected check +fail"
expect_output "fix: remove preflight_mode from the step"
expect_output "preflight: NOT READY"
expect_exit 2 xh preflight --nagios
head -1 "$T/out" | grep -Eq '^XHAFW PREFLIGHT CRITICAL - [0-9]+ pass, [0-9]+ warn, 1 fail; a: injected check: .* \| pass=[0-9]+ warn=[0-9]+;0;0 fail=1;0;0$' ||
        { cat "$T/out" >&2; fail "Nagios line"; }
pass "a failing check: exit 1 with the fix; --nagios CRITICAL exit 2"

# Warnings only: ready (exit 0), Nagios WARNING (1).
sed -i "s|^preflight_mode = fail|preflight_mode = warn|" "$T/conf.d/10-steps.conf"
expect_exit 0 xh preflight
expect_exit 1 xh preflight --nagios
expect_output "^XHAFW PREFLIGHT WARNING - "
pass "warnings: ready (exit 0); --nagios WARNING exit 1"

# A preflight that crashes is a failed check of that step, not of xhafw.
sed -i "s|^preflight_mode = warn|preflight_mode = crash|" "$T/conf.d/10-steps.conf"
expect_exit 1 xh preflight
# (signal 11; under AddressSanitizer, which turns the fault into an abort, 6)
expect_output "^a +preflight ran +fail +preflight crashed with signal (11|6)"
sed -i "/^preflight_mode = crash/d" "$T/conf.d/10-steps.conf"
pass "a crashing preflight: a failed check naming the step"

# The node_exporter textfile: written atomically, clean under promtool.
expect_exit 0 xh activate --yes
expect_exit 0 xh preflight --prometheus "$T/xhafw.prom"
grep -q '^xhafw_preflight_ready 1$' "$T/xhafw.prom" || fail "textfile: $(cat "$T/xhafw.prom")"
grep -q '^xhafw_role_active 1$' "$T/xhafw.prom" || fail "textfile role: $(cat "$T/xhafw.prom")"
grep -q '^xhafw_last_run_exit_code 0$' "$T/xhafw.prom" || fail "textfile last run: $(cat "$T/xhafw.prom")"
grep -q '^xhafw_last_run_info{command="activate",ended="yes"} 1$' "$T/xhafw.prom" || fail "textfile last run info"
if command -v promtool > /dev/null; then
        promtool check metrics < "$T/xhafw.prom" > "$T/promtool.out" 2>&1 ||
                { cat "$T/promtool.out" "$T/xhafw.prom" >&2; fail "promtool check metrics"; }
        pass "textfile: clean under promtool check metrics"
fi
expect_output "^xhafw +role +pass +this node holds the role"
expect_exit 0 xh -q deactivate --yes
pass "--prometheus: readiness, checks, role and the last run"

# Bad arguments and a broken configuration: exit 2 (Nagios: UNKNOWN, 3).
expect_exit 2 xh preflight --peer -oProxyCommand=x
expect_exit 2 xh preflight --prometheus relative.prom
expect_exit 2 xh preflight extra
printf '[bad]\nplugin = fake\ntypo = 1\n' > "$T/conf.d/90-bad.conf"
expect_exit 2 xh preflight
expect_exit 3 xh preflight --nagios
expect_output "^XHAFW PREFLIGHT UNKNOWN"
rm "$T/conf.d/90-bad.conf"
pass "usage and configuration errors: exit 2; --nagios UNKNOWN exit 3"

# An unreachable peer is a warning that says so, never a hang.
start=$(date +%s)
expect_exit 0 xh preflight --peer mn2
expect_output "^xhafw +peer reachable +warn +ssh mn2 exited 255: ssh: connect to host"
[ $(( $(date +%s) - start )) -lt 25 ] || fail "an unreachable peer took $(( $(date +%s) - start ))s"
pass "an unreachable peer: a warning that says why"

# Rehearsal: --dry-run --inject STEP[=fail|hang|crash] changes nothing, and the rollback it prints
# is the one a real failure at STEP performs (the same steps, in the same order).
cat > "$T/conf.d/10-steps.conf" <<CONF
[a]
plugin = fake
target = $T/a.on
[b]
plugin = fake
after = a
target = $T/b.on
trigger = $T/fail-b
revert_mode = fail
[c]
plugin = fake
after = b
target = $T/c.on
trigger = $T/fail-c
apply_mode = fail
[d]
plugin = fake
after = a
target = $T/d.on
CONF
for mode in fail hang crash; do
        before=$(snapshot)
        expect_exit 1 xh activate --dry-run --inject "c=$mode"
        [ "$(snapshot)" = "$before" ] || fail "--inject c=$mode changed something"
        grep -E '^  [0-9]+\. revert ' "$T/out" | sed -E 's/^  [0-9]+\. revert ([a-z]+).*/\1/' | tr '\n' ' ' > "$T/rehearsed"
        [ "$(cat "$T/rehearsed")" = "c d b a " ] || { cat "$T/out" >&2; fail "rehearsed rollback: $(cat "$T/rehearsed")"; }
done
expect_output "injected: apply crashes with signal 11"
seen=$(wc -l < "$T/state/journal")
touch "$T/fail-c"
expect_exit 1 xh activate --yes
rm -f "$T/fail-c"
tail -n +"$((seen + 1))" "$T/state/journal" | python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin]
start = [i for i, e in enumerate(ev) if e["event"] == "rollback-start"][0]
print(" ".join(e["step"] for e in ev[start:] if e["event"] == "step-revert"), end=" ")' > "$T/real"
[ "$(cat "$T/real")" = "$(cat "$T/rehearsed")" ] || fail "real rollback '$(cat "$T/real")' differs from the rehearsal '$(cat "$T/rehearsed")'"
expect_exit 3 xh status
# deactivate: a failed revert keeps what the step is after
expect_exit 0 xh activate --yes
before=$(snapshot)
expect_exit 1 xh deactivate --dry-run --inject b
[ "$(snapshot)" = "$before" ] || fail "deactivate --inject changed something"
expect_output "then the steps b is after stay active .*: a"
expect_output "^a \(fake\): ACTIVE -> left active: b, which is after it, is still active$"
grep -q "internal error" "$T/out" && { cat "$T/out" >&2; fail "deactivate --inject: the engine lost track of a step"; }
grep -E ' -> would revert:$' "$T/out" | cut -d' ' -f1 | sort | tr '\n' ' ' > "$T/rehearsed"
# the real failure of b's revert leaves exactly what the rehearsal said
touch "$T/fail-b"
expect_exit 1 xh deactivate --yes
rm -f "$T/fail-b"
expect_output "still active on this node: .*a \(not-started\)"
for st in a b c d; do [ -e "$T/$st.on" ] || echo "$st"; done | sort | tr '\n' ' ' > "$T/real"
[ "$(cat "$T/real")" = "$(cat "$T/rehearsed")" ] || fail "real deactivate reverted '$(cat "$T/real")', the rehearsal said '$(cat "$T/rehearsed")'"
[ "$(cat "$T/real")" = "c d " ] || fail "deactivate with b failing reverted '$(cat "$T/real")', expected c and d"
expect_exit 0 xh -q activate --yes
expect_exit 2 xh activate --inject c
expect_output "needs --dry-run"
expect_exit 2 xh activate --dry-run --inject nosuch
expect_exit 2 xh activate --dry-run --inject c=explode
expect_exit 0 xh -q deactivate --yes
pass "--inject: no side effects; the rehearsed rollback is the real one (c d b a)"

# The rehearsal is the real run's, also where the real run's order could vary: b and c run side by
# side (the failure at b comes after c has applied, as when b hangs to its timeout), e is not
# critical but f, after it, is (the activation fails and rolls back), and a step already active
# is never reached (nothing fails there).
cat > "$T/conf.d/10-steps.conf" <<CONF
[a]
plugin = fake
target = $T/a.on
[b]
plugin = fake
after = a
target = $T/b.on
[c]
plugin = fake
after = a
target = $T/c.on
[e]
plugin = fake
after = b, c
critical = no
target = $T/e.on
[f]
plugin = fake
after = e
target = $T/f.on
CONF
for round in 1 2 3 4 5 6; do
        expect_exit 1 xh activate --dry-run --inject b
        grep -E '^  [0-9]+\. revert ' "$T/out" | sed -E 's/^  [0-9]+\. revert ([a-z]+).*/\1/' | tr '\n' ' ' > "$T/r$round"
        [ "$(cat "$T/r$round")" = "c b a " ] || { cat "$T/out" >&2; fail "round $round: --inject b rolls back '$(cat "$T/r$round")', expected 'c b a '"; }
done
expect_exit 1 xh activate --dry-run --inject e
expect_output "^f \(fake\): INACTIVE -> failed: not started: e, which it is after, is not active"
expect_output "roll back 4 steps"
sed -i 's/^critical = no$/critical = no\napply_mode = fail/' "$T/conf.d/10-steps.conf"
expect_exit 1 xh activate --yes
expect_output "rolled back 4 steps"
sed -i '/^apply_mode = fail$/d' "$T/conf.d/10-steps.conf"
sed -i '/^\[f\]$/,$d' "$T/conf.d/10-steps.conf"
expect_exit 0 xh activate --dry-run --inject e
expect_output "nothing would be rolled back"
touch "$T/a.on" "$T/b.on"
expect_exit 0 xh activate --dry-run --inject b
expect_output "rehearsal: b is never reached in this run \(active\)"
rm -f "$T"/?.on
pass "--inject: deterministic beside parallel steps; a non-critical failure as the real run; a step never reached"
