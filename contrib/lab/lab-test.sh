#!/bin/bash
# The lab as a test (meson suite `lab`): `xhafw-lab demo` against the built tree, non-interactively,
# asserting that every check of its four phases (the last one the failback to the node that failed)
# passed, that the standby's `xhafw preflight --peer` (over the lab's own sshd) said ready before each
# failover and found each planted defect, no row was lost and nothing was left behind; prints the
# figures.
# With --dual-stack, the demo's fifth phase too (IPv6 beside IPv4, a planned failover through both
# VIPs). Skipped (exit 77, with the reason) where the lab cannot run. XHAFW and XHAFW_TEST_PLUGIN_PATH (set by
# meson test) name the binary and plugins to use; without them the lab builds its own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root"
for c in ip nsenter unshare setsid runuser perl psql ss ssh ssh-keygen; do
        command -v "$c" > /dev/null 2>&1 || skip "needs $c (contrib/install-deps installs it)"
done
ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || skip "needs the PostgreSQL server (package postgresql)"
id postgres > /dev/null 2>&1 || skip "needs the postgres user"
[ -x /usr/sbin/sshd ] || skip "needs the OpenSSH server (package openssh-server)"
ip netns add xhlab-try-$$ 2> /dev/null && ip netns del xhlab-try-$$ 2> /dev/null || skip "ip netns is unusable here"
unshare -p -f --mount-proc true 2> /dev/null || skip "needs PID namespaces (unshare -p)"
# One lab at a time on a machine: wait for another lab run (a test of another build) to end; a lab
# that someone keeps up is left alone.
exec 9< "$here/xhafw-lab"
flock -w 300 9 || skip "another lab run did not end within 300 s"
[ ! -e /run/xhlab/env ] || skip "a lab is up (xhafw-lab down removes it)"
export XHLAB_LOCK_HELD=1

out=$(mktemp /tmp/xhafw-lab-test.XXXXXX)
trap 'rm -f "$out"' EXIT
rc=0
# The lab's own bound: well under the meson timeout, so that its teardown always runs (SIGTERM).
timeout 280 "$here/xhafw-lab" demo "$@" > "$out" 2>&1 9>&- || rc=$?
cat "$out"
echo
echo "---- figures"
grep -E '^  ----  ' "$out" | sed 's/^  ----  /  /'
echo "----"

[ "$rc" = 0 ] || fail "xhafw-lab demo exited $rc"
grep -q '^LAB PASSED: ' "$out" || fail "no LAB PASSED verdict"
! grep -q '^  FAIL  ' "$out" || fail "a check failed: $(grep -m1 '^  FAIL  ' "$out")"
grep -Eq '^  ok    teardown left no namespace, mount, process or directory behind$' "$out" || fail "teardown check missing"
grep -Eq 'rows: written 500, read 500, lost 0$' "$out" || fail "rows written and read differ"
grep -Eq 'VIP outage seen by cn1 .*: [0-9]+ ms' "$out" || fail "no VIP outage figure"
grep -Eq 'unplanned failover \(cut-off to the VIP answering cn1\): [0-9]+ ms' "$out" || fail "no unplanned failover figure"
grep -Eq '^  ----  deactivate mn2 after the repair: [0-9]+ ms$' "$out" || fail "no figure of the repaired node's deactivate"
grep -Eq '^LAB PASSED: .*, failback [0-9]+ ms \(deactivate [0-9]+ \+ activate [0-9]+\), VIP outage [0-9]+ ms, ' "$out" ||
        fail "no failback figures in the verdict"
# preflight: ready before each of the three failovers, each defect found with its fix, then cleared
[ "$(grep -Ec '^  ok    mn[12]: preflight --peer mn[12] says ready \(exit 0\)' "$out")" -ge 3 ] ||
        fail "preflight --peer did not say ready before each failover"
[ "$(grep -Ec '^  ----  preflight on mn[12] --peer mn[12]: [0-9]+ ms, READY' "$out")" -ge 3 ] || fail "no preflight figures"
for d in enabled-at-boot hosts-drift fstab clock-stopped cleared; do
        grep -Eq "^  ok    ${d}[: ]" "$out" || fail "the planted defect $d was not checked"
done
if [ "${1:-}" = --dual-stack ]; then
        grep -Eq '^  ----  rows: written 900, read 900 \(IPv4\) and 900 \(IPv6\), lost 0$' "$out" ||
                fail "dual stack: rows written and read through both VIPs differ"
        grep -Eq '^  ----  VIP outage seen by cn1 through 2001:db8::100: [0-9]+ ms' "$out" || fail "no IPv6 VIP outage figure"
        grep -Eq "^  ok    cn1's neighbour entry for 2001:db8::100 holds mn2's MAC" "$out" || fail "no IPv6 neighbour check"
        [ "$(grep -Ec '^  ok    mn[12]: preflight --peer mn[12] says ready \(exit 0\)' "$out")" = 4 ] ||
                fail "dual stack: preflight --peer did not say ready before the fifth phase's failover"
fi
n=$(grep -c '^  ok    ' "$out")
[ "$n" -ge 70 ] || fail "only $n checks ran"
# Nothing of the lab is left.
[ -z "$(ip netns list 2> /dev/null | grep '^xhlab-' || true)" ] || fail "a lab namespace is left"
! grep -q -e ' /var/tmp/xhlab' -e ' /run/xhlab' /proc/self/mountinfo || fail "a lab mount is left"
[ ! -e /var/tmp/xhlab ] && [ ! -e /run/xhlab ] || fail "a lab directory is left"
echo "ok - the lab: $n checks passed"
