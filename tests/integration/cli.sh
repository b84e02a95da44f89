#!/bin/bash
# The command line as an admin meets it: help, version, JSON for every command, list-plugins with
# broken files, describe, the terminal prompt, and --only/--jobs errors.
source "$(dirname "$0")/lib.sh"
need_cmd script bsdutils
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
CONF

expect_exit 0 "$XHAFW" --help
expect_output "activate +apply every step"
for c in activate deactivate status validate describe list-plugins; do
        expect_exit 0 xh "$c" --help
        expect_output "usage: xhafw $c"
done
expect_exit 0 "$XHAFW" --version
expect_output "plugin ABI 1"
expect_exit 2 xh frobnicate
expect_output "unknown command 'frobnicate'"
expect_exit 2 xh activate --jobs 0
expect_output "from 1 to 256"
expect_exit 2 xh deactivate --force
pass "help, version, usage errors"

# Every command speaks JSON that parses.
for c in "validate" "status" "list-plugins" "describe a" "describe fake" "activate --yes" "deactivate --yes" \
         "activate --dry-run"; do
        rc=0
        xh --json $c > "$T/json" 2>"$T/err" || rc=$?
        python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/json" || fail "--json $c: not JSON: $(cat "$T/json")"
done
python3 - "$T" <<'PY' || fail "JSON content"
import json, subprocess, sys, os
t = sys.argv[1]
x = [os.environ["XHAFW"], "--config", t + "/xhafw.conf", "--json"]
s = json.loads(subprocess.run(x + ["status"], capture_output=True, text=True).stdout)
assert s["state"] == "INACTIVE" and s["exit"] == 3, s
assert [st["name"] for st in s["steps"]] == ["a", "b"], s
a = json.loads(subprocess.run(x + ["activate", "--yes"], capture_output=True, text=True).stdout)
assert a["exit"] == 0 and all(st["outcome"] == "applied" for st in a["steps"]), a
s = json.loads(subprocess.run(x + ["status"], capture_output=True, text=True).stdout)
assert s["state"] == "ACTIVE", s
d = json.loads(subprocess.run(x + ["describe", "fake"], capture_output=True, text=True).stdout)
assert any(o["name"] == "target" and o["type"] == "path" for o in d["options"]), d
PY
xh -q deactivate --yes
pass "--json for every command"

# list-plugins: every file on the path, broken ones with the reason, the steps using each.
expect_exit 0 xh list-plugins
expect_output "^fake +1.0 +1 .*\[steps: a, b\]"
expect_output "^badabi .*BROKEN: .*ABI 99"
expect_output "^nosym .*BROKEN: .*does not export xhafw_plugin_v1"
expect_output "^notelf .*BROKEN: .*cannot load"
expect_output "^service "
pass "list-plugins names broken plugins with the reason"

# A plugin in an earlier directory shadows one of the same name later on the path.
mkdir -p "$T/site"
cp "$(echo "$XHAFW_TEST_PLUGIN_PATH" | tr ':' '\n' | while read -r d; do [ -f "$d/fake.so" ] && echo "$d/fake.so" && break; done)" "$T/site/fake.so"
expect_exit 0 "$XHAFW" --config "$T/xhafw.conf" --plugin-path "$T/site:$XHAFW_TEST_PLUGIN_PATH" list-plugins
expect_output "^fake .*$T/site/fake.so"
expect_output "^fake .*shadowed by an earlier directory"
chmod 0777 "$T/site"
expect_exit 2 "$XHAFW" --config "$T/xhafw.conf" --plugin-path "$T/site:$XHAFW_TEST_PLUGIN_PATH" validate
expect_output "world-writable"
chmod 0755 "$T/site"
pass "a site plugin shadows a shipped one; a writable plugin directory is refused"

# On a terminal, activate shows the plan and asks; N (the default) changes nothing, d is a dry-run.
printf '\n' > "$T/answer"
rc=0
script -qec "$XHAFW --config $T/xhafw.conf activate" /dev/null < "$T/answer" > "$T/out" 2>&1 || rc=$?
grep -q "Continue? \[y\]es/\[N\]o/\[d\]ry-run" "$T/out" || fail "no prompt: $(cat "$T/out")"
grep -q "cancelled: nothing was changed" "$T/out" || fail "not cancelled: $(cat "$T/out")"
# declining is not a failed step (1): nothing was changed, as with a usage error
[ "$rc" = 2 ] || fail "answering No exited $rc, expected 2"
[ ! -e "$T/a.on" ] || fail "cancelled activate changed something"
printf 'd\n' > "$T/answer"
script -qec "$XHAFW --config $T/xhafw.conf activate" /dev/null < "$T/answer" > "$T/out" 2>&1 || true
grep -q "would apply" "$T/out" || fail "d did not dry-run: $(cat "$T/out")"
[ ! -e "$T/a.on" ] || fail "dry-run changed something"
printf 'y\n' > "$T/answer"
script -qec "$XHAFW --config $T/xhafw.conf activate" /dev/null < "$T/answer" > "$T/out" 2>&1 || true
[ -e "$T/a.on" ] && [ -e "$T/b.on" ] || fail "y did not activate: $(cat "$T/out")"
pass "terminal prompt: N cancels, d dry-runs, y proceeds"

# Without a terminal it proceeds (scripts, Pacemaker).
expect_exit 0 xh deactivate < /dev/null
[ ! -e "$T/a.on" ] || fail "deactivate without a terminal did not proceed"
pass "no terminal: no prompt"

# The prompt's answers as people type them: Enter (the default, No), blanks around a word, a word
# that is no answer (asked again, then EOF: No); and a terminal whose stdout is a pipe is asked too.
for answer in '\n' '  n  \n' 'nope\n'; do
        printf "$answer" > "$T/answer"
        rc=0
        script -qec "$XHAFW --config $T/xhafw.conf activate" /dev/null < "$T/answer" > "$T/out" 2>&1 || rc=$?
        [ "$rc" = 2 ] && [ ! -e "$T/a.on" ] || fail "answer '$answer': exit $rc: $(cat "$T/out")"
done
printf '  y \n' > "$T/answer"
script -qec "$XHAFW --config $T/xhafw.conf activate | cat > $T/piped" /dev/null < "$T/answer" > "$T/out" 2>&1 || true
grep -q "Continue?" "$T/out" || fail "stdout a pipe: no prompt: $(cat "$T/out")"
[ -e "$T/a.on" ] || fail "'  y ' did not activate"
xh -q deactivate --yes
pass "prompt: Enter, padded and unknown answers are No; asked on a terminal whose stdout is a pipe"
