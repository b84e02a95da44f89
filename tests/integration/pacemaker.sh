#!/bin/bash
# A real single-node Pacemaker cluster drives the xhafw resource: started, monitored, a step failure
# noticed and recovered, a start that cannot succeed left stopped, and everything removed afterwards.
#
# Corosync and Pacemaker run in namespaces of their own: a PID namespace (every daemon dies with the test,
# whatever happens), a network namespace (the corosync ring is on its own 127.0.0.1, reachable by nothing
# else) and a mount namespace with private tmpfs over Pacemaker's and Corosync's state and log directories
# (the CIB, the scheduler inputs, the blackbox and /dev/shm vanish with it); /etc/corosync is not touched
# (corosync -c). Fencing is disabled for this test only: there is a single node and nothing to fence it with.

if [ "${XHAFW_PCMK_INSIDE:-}" != 1 ]; then
        # The checks that decide a skip, before any namespace exists.
        [ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
        for c in corosync pacemakerd crm_mon cibadmin crm_resource crm_attribute crm_failcount corosync-quorumtool unshare; do
                command -v "$c" >/dev/null 2>&1 ||
                        { echo "SKIP: needs $c (Debian packages pacemaker, pacemaker-cli-utils, corosync, util-linux)"; exit 77; }
        done
        [ -f /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs ] ||
                { echo "SKIP: needs /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs (package resource-agents)"; exit 77; }
        id hacluster >/dev/null 2>&1 || { echo "SKIP: no hacluster user (the pacemaker package creates it)"; exit 77; }
        # A cluster of this host's own is left alone, even though ours would not see it.
        if pgrep -x corosync >/dev/null || pgrep -x pacemakerd >/dev/null; then
                echo "SKIP: corosync or pacemakerd already runs on this host; this test starts its own only when none does"
                exit 77
        fi
        unshare --pid --fork --mount-proc --mount --net true 2>/dev/null ||
                { echo "SKIP: cannot create PID, mount and network namespaces (unshare)"; exit 77; }
        export XHAFW_PCMK_INSIDE=1
        exec timeout --kill-after=10 170 unshare --pid --fork --kill-child --mount-proc --mount --net -- bash "$0" "$@"
fi

source "$(dirname "$0")/lib.sh"
src=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
node=$(uname -n)
t_start=$(date +%s.%N)
elapsed() { awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'; }

# wait_for SECONDS WHAT CMD...: poll CMD every 0.5s until it succeeds; fail after SECONDS.
wait_for() {
        local limit=$1 what=$2 i
        shift 2
        for ((i = 0; i < limit * 2; i++)); do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.5
        done
        echo "--- crm_mon" >&2; crm_mon -1 -r -f 2>&1 | tail -30 >&2 || true
        echo "--- pacemaker.log" >&2; grep -E "xhafw|error|warning" "$T/pacemaker.log" 2>/dev/null | tail -40 >&2 || true
        fail "timed out after ${limit}s waiting for $what"
}

# gone PID: the process has exited (our children stay zombies until reaped; kill -0 still finds those).
gone() { [ ! -e "/proc/$1" ] || grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

# The private world: loopback up, state and log directories on tmpfs, our agent among the OCF providers.
ip link set lo up
mount --make-rprivate /
for d in /var/lib/pacemaker /var/log/pacemaker /var/lib/corosync /var/log/corosync; do
        mkdir -p "$d" 2>/dev/null || true
        mount -t tmpfs -o mode=0755 tmpfs "$d"
done
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
for d in blackbox cib cores pengine; do install -d -m 0750 -o hacluster -g haclient /var/lib/pacemaker/$d; done
chown hacluster:haclient /var/log/pacemaker
chmod 0770 /var/log/pacemaker
mkdir -p "$T/resource.d/xhafw"
cp -a /usr/lib/ocf/resource.d/. "$T/resource.d/"
install -m 0755 "$src/contrib/ocf/xhafw" "$T/resource.d/xhafw/xhafw"
mount --bind "$T/resource.d" /usr/lib/ocf/resource.d
chmod 0755 "$T"

# Harmless steps: services of the test service manager, a file per active unit under $T/svc.
xh_config "service_manager=$src/tests/integration/svcman.sh, $T/svc"
cat > "$T/conf.d/10-pcmk.conf" <<EOF
[web]
plugin = service
unit = web
timeout = 10s

[db]
plugin = service
unit = db
after = web
timeout = 10s
EOF
mkdir -p "$T/svc"
xh validate > /dev/null || fail "the test configuration does not validate"

cat > "$T/corosync.conf" <<EOF
totem {
        version: 2
        cluster_name: xhafw-test
        crypto_cipher: none
        crypto_hash: none
}
nodelist {
        node {
                ring0_addr: 127.0.0.1
                name: $node
                nodeid: 1
        }
}
quorum {
        provider: corosync_votequorum
}
logging {
        to_stderr: no
        to_syslog: no
        to_logfile: yes
        logfile: $T/corosync.log
}
EOF

corosync -f -c "$T/corosync.conf" > "$T/corosync.out" 2>&1 &
corosync_pid=$!
at_exit "kill $corosync_pid 2>/dev/null; for w in \$(seq 1 40); do gone $corosync_pid && break; sleep 0.25; done"
wait_for 20 "corosync to be quorate" sh -c 'corosync-quorumtool -s | grep -q "Quorate: *Yes"'
PCMK_logfile=$T/pacemaker.log PCMK_debug=no pacemakerd -f > "$T/pacemakerd.out" 2>&1 &
pacemakerd_pid=$!
at_exit "kill $pacemakerd_pid 2>/dev/null; for w in \$(seq 1 120); do gone $pacemakerd_pid && break; sleep 0.25; done"
wait_for 60 "node $node online" sh -c "crm_mon -1 | grep -q 'Online: \\[ $node \\]'"
pass "corosync and pacemaker up, node $node online ($(elapsed))"

crm_resource --show-metadata ocf:xhafw:xhafw > "$T/meta.xml" 2>&1 || { cat "$T/meta.xml" >&2; fail "Pacemaker does not find ocf:xhafw:xhafw"; }
grep -q '<action name="start" timeout=' "$T/meta.xml" || fail "Pacemaker reads no start timeout from the agent"
pass "Pacemaker reads the agent's meta-data: $(grep -o '<action name="start" timeout="[0-9]*s"' "$T/meta.xml")"
crm_attribute -t crm_config -n stonith-enabled -v false
cibadmin -C -o resources --xml-text "
<primitive id='xhafw' class='ocf' provider='xhafw' type='xhafw'>
  <instance_attributes id='xhafw-params'>
    <nvpair id='xhafw-config' name='config' value='$T/xhafw.conf'/>
    <nvpair id='xhafw-binary' name='binary' value='$XHAFW'/>
  </instance_attributes>
  <operations>
    <op id='xhafw-start' name='start' interval='0' timeout='60s'/>
    <op id='xhafw-stop' name='stop' interval='0' timeout='60s'/>
    <op id='xhafw-monitor' name='monitor' interval='2s' timeout='30s'/>
  </operations>
</primitive>"
crm_verify -L > "$T/verify.out" 2>&1 || { cat "$T/verify.out" >&2; fail "crm_verify rejects the configuration"; }

started() { crm_resource --locate -r xhafw 2>/dev/null | grep -q "running on: $node" && [ -e "$T/svc/db.active" ]; }
monitored() { cibadmin -Q --scope status | grep 'operation="monitor"' | grep -q 'rc-code="0"'; }
failcount() { crm_failcount --query -r xhafw -N "$node" 2>/dev/null | sed -n 's/.*value=\([0-9A-Z]*\).*/\1/p'; }
failed_once() { local v; v=$(failcount); [ -n "$v" ] && [ "$v" != 0 ]; }

wait_for 60 "the cluster to start xhafw" started
[ -e "$T/svc/web.active" ] || fail "started, but web is not active"
pass "Pacemaker started xhafw: web and db active ($(elapsed))"
wait_for 30 "a successful monitor" monitored
checks_before=$(grep -c "is-active db" "$T/svc/calls")
sleep 4
checks_after=$(grep -c "is-active db" "$T/svc/calls")
[ "$checks_after" -gt "$checks_before" ] || fail "no monitor ran xhafw status in 4s"
pass "monitored: $((checks_after - checks_before)) status checks of db in 4s"

# A step fails behind the cluster's back (db dies): the monitor notices, the cluster stops and starts
# the role again, and the fail count says so.
t0=$(date +%s.%N)
rm "$T/svc/db.active"
wait_for 30 "the cluster to notice the failure" failed_once
wait_for 60 "the cluster to recover xhafw" started
t1=$(date +%s.%N)
grep -q "stop web" "$T/svc/calls" || fail "recovery did not deactivate the role first"
pass "db killed: failure noticed (fail count $(failcount)) and recovered in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1fs", b - a }')"

# A step that cannot start any more: the start fails, xhafw rolls it back, and Pacemaker leaves the
# resource stopped on this node (start-failure-is-fatal) rather than half active.
touch "$T/svc/db.fail-start"
rm "$T/svc/db.active"
stopped_with_failed_start() {
        ! crm_resource --locate -r xhafw 2>/dev/null | grep -q "running on" &&
                cibadmin -Q --scope status | grep 'operation="start"' | grep -qv 'rc-code="0"'
}
wait_for 60 "the cluster to give up on a start that fails" stopped_with_failed_start
[ ! -e "$T/svc/web.active" ] || fail "a failed start left web active"
pass "a start that fails: rolled back (web inactive), resource stopped on $node ($(elapsed))"

# The admin repairs it and clears the failure: the cluster starts the role again.
rm "$T/svc/db.fail-start"
crm_resource --cleanup -r xhafw > /dev/null
wait_for 60 "the cluster to start xhafw after a cleanup" started
pass "after the repair and a cleanup: started again ($(elapsed))"

# Remove what we created: stop the resource through the cluster, delete it, stop the daemons.
crm_resource -r xhafw --meta -p target-role -v Stopped > /dev/null
stopped() { ! crm_resource --locate -r xhafw 2>/dev/null | grep -q "running on" && [ ! -e "$T/svc/web.active" ]; }
wait_for 60 "the cluster to stop xhafw" stopped
cibadmin -D -o resources --xml-text "<primitive id='xhafw'/>"
kill "$pacemakerd_pid"
wait_for 60 "pacemakerd to exit" gone "$pacemakerd_pid"
wait "$pacemakerd_pid" || true
kill "$corosync_pid"
wait_for 20 "corosync to exit" gone "$corosync_pid"
wait "$corosync_pid" || true
pass "resource stopped and deleted, daemons stopped; the namespaces and their tmpfs go with the test ($(elapsed))"
