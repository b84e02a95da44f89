#!/bin/bash
# The cluster lab as a test (meson suite `cluster`): `xhafw-lab cluster demo` against the built tree: a real
# two-node Pacemaker cluster with IPMI fencing takes the role, moves it, loses the active node's power and
# fails over, and takes the fenced node back as standby; every check passed, no row lost, nothing left
# behind. FULL=1 adds the partition, the dying service, the failed stop, and the failures at a random moment
# of a start or a move (h, i, j; about 300 s in all). Prints the figures.
# Skipped (exit 77, with the reason) when the packages are missing or a cluster of the host's own runs.
set -euo pipefail
src=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
lab=$src/contrib/lab/xhafw-lab
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root"
for c in ip nsenter unshare setsid runuser perl psql timeout corosync pacemakerd crm_mon cibadmin crm_resource \
        stonith_admin ipmi_sim ipmitool fence_ipmilan; do
        command -v "$c" > /dev/null 2>&1 ||
                skip "needs $c (contrib/install-deps: packages corosync, pacemaker, pacemaker-cli-utils, openipmi, ipmitool, fence-agents)"
done
[ -f /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs ] || skip "needs the OCF shell functions (package resource-agents)"
ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1 || skip "needs the PostgreSQL server (package postgresql)"
id postgres > /dev/null 2>&1 || skip "needs the postgres user"
id hacluster > /dev/null 2>&1 || skip "needs the hacluster user (package pacemaker)"
if pgrep -x corosync > /dev/null || pgrep -x pacemakerd > /dev/null; then
        skip "corosync or pacemakerd already runs on this host; the cluster lab starts its own only when none does"
fi
ip netns add xhlab-try-$$ 2> /dev/null && ip netns del xhlab-try-$$ 2> /dev/null || skip "ip netns is unusable here"
unshare -p -f --mount-proc true 2> /dev/null || skip "needs PID namespaces (unshare -p)"
# One lab at a time on a machine (the lab's lock); a lab someone keeps up is left alone.
exec 9< "$lab"
flock -w 300 9 || skip "another lab run did not end within 300 s"
[ ! -e /run/xhlab/env ] || skip "a lab is up (xhafw-lab down removes it)"
export XHLAB_LOCK_HELD=1

out=$(mktemp /tmp/xhafw-cluster-test.XXXXXX)
trap 'rm -f "$out"' EXIT
rc=0
# The lab's own bound, under the meson timeout so that its teardown always runs (SIGTERM): 4 minutes for the
# default scenarios, more for FULL=1.
limit=230
[ "${FULL:-0}" = 0 ] || limit=800
t0=$(date +%s)
timeout "$limit" "$lab" cluster demo > "$out" 2>&1 9>&- || rc=$?
t1=$(date +%s)
cat "$out"
echo
echo "---- figures"
grep -E '^  ----  ' "$out" | sed 's/^  ----  /  /'
echo "---- $((t1 - t0)) s"

[ "$rc" = 0 ] || fail "xhafw-lab cluster demo exited $rc"
grep -q '^CLUSTER PASSED: ' "$out" || fail "no CLUSTER PASSED verdict"
! grep -q '^  FAIL  ' "$out" || fail "a check failed: $(grep -m1 '^  FAIL  ' "$out")"
grep -Eq '^  ok    teardown left no namespace, mount, process or directory behind$' "$out" || fail "teardown check missing"
grep -Eq '^  ok    at the end, cn1 reads every row it committed \(written [1-9][0-9]*, read [0-9]+, lost 0\)$' "$out" ||
        fail "rows were lost"
grep -Eq 'power loss to the VIP answering SQL .*: [0-9]+ ms$' "$out" || fail "no power-loss figure"
grep -Eq '  detection .*: [0-9]+ ms$' "$out" && grep -Eq '  fencing .*: [0-9]+ ms$' "$out" &&
        grep -Eq '  activation .*: [0-9]+ ms$' "$out" || fail "the power loss is not split into detection, fencing, activation"
grep -Eq 'client-seen outage .*: [0-9]+ ms$' "$out" || fail "no planned-move figure"
n=$(grep -c '^  ok    ' "$out")
[ "$n" -ge 40 ] || fail "only $n checks ran"
[ -z "$(ip netns list 2> /dev/null | grep '^xhlab-' || true)" ] || fail "a lab namespace is left"
! grep -q -e ' /var/tmp/xhlab' -e ' /run/xhlab' /proc/self/mountinfo || fail "a lab mount is left"
[ ! -e /var/tmp/xhlab ] && [ ! -e /run/xhlab ] || fail "a lab directory is left"
! pgrep -x corosync > /dev/null && ! pgrep -x ipmi_sim > /dev/null || fail "a corosync or ipmi_sim of the lab is left"
echo "ok - the cluster lab: $n checks passed in $((t1 - t0)) s"
