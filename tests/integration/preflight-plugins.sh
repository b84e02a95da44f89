#!/bin/bash
# xhafw preflight with the shipped plugins against real facilities: a standby ("this node") and its
# peer as network namespaces joined by a veth pair, the shared storage as a directory bound in a
# private mount namespace, the test service manager, the fake xCAT commands and a real OpenSSH
# server in the peer's namespace for --peer. A clean standby is ready and changes nothing; each
# planted defect is found with the right result and fix. Only RFC 5737 addresses, only in the
# namespaces made here; every server is ended by its pid.

# Re-run the whole script in its own mount namespace: every mount it makes vanishes with it.
if [ -z "${XHAFW_TEST_MOUNT_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
        command -v unshare > /dev/null 2>&1 || { echo "SKIP: needs unshare (package util-linux)"; exit 77; }
        unshare -m --propagation private true 2> /dev/null || { echo "SKIP: cannot create a mount namespace"; exit 77; }
        XHAFW_TEST_MOUNT_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

source "$(dirname "$0")/lib.sh"
need_root
need_cmd ip iproute2
need_cmd python3 python3
SRC=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
FX=$SRC/tests/fake-xcat
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)
[ -n "$PGBIN" ] && [ -x "$PGBIN/postgres" ] || skip "needs the PostgreSQL server binaries (package postgresql)"
PGMAJOR=$(basename "$(dirname "$PGBIN")")

P=xhpf-$$
A=$P-a # this node, the standby: runs xhafw
B=$P-b # the peer: runs the test's sshd
ip netns add "$P-try" 2> /dev/null && ip netns del "$P-try" 2> /dev/null ||
        skip "ip netns is unusable here (needs CAP_SYS_ADMIN and network namespaces)"
for ns in "$A" "$B"; do
        at_exit "ip netns del $ns 2>/dev/null"
        ip netns add "$ns"
        ip -n "$ns" link set lo up
done
ip -n "$A" link add eth0 type veth peer name eth0 netns "$B"
ip -n "$A" addr add 192.0.2.1/24 dev eth0
ip -n "$B" addr add 192.0.2.2/24 dev eth0
ip -n "$A" link set eth0 up
ip -n "$B" link set eth0 up
VIP=192.0.2.7
PORT=25432
# wait_carrier: a veth end that was down needs a moment before it carries traffic again.
wait_carrier() {
        for _ in $(seq 1 50); do
                ip -n "$A" link show dev eth0 2> /dev/null | grep -q LOWER_UP && return 0
                sleep 0.1
        done
        fail "eth0 in $A has no carrier"
}
wait_carrier

# ---- this node: files, services, xCAT, the steps ----
LOCAL=$T/local
mkdir -p "$T/disk$LOCAL/install" "$T/disk$LOCAL/tftpboot" "$LOCAL/install" "$LOCAL/tftpboot" "$T/shared" \
        "$T/svc" "$T/bin" "$T/xcat" "$T/pgdata" "$T/state"
chmod 0700 "$T/state"
echo "$PGMAJOR" > "$T/pgdata/PG_VERSION"
printf '# static\n/dev/sda1 / ext4 defaults 0 1\n' > "$T/fstab"
printf '127.0.0.1\tlocalhost\n192.0.2.1 mn-a mn-a.cluster.example\n192.0.2.2 mn-b mn-b.cluster.example\n' > "$T/hosts"
# the xCAT commands through links, so that one can go missing
for c in "$FX"/*; do [ "${c##*/}" = lib.sh ] || ln -s "$c" "$T/xcat/${c##*/}"; done
ln -s "$FX/lib.sh" "$T/xcat/lib.sh"
export XHAFW_FAKE_XCAT_STATE=$T/xcat.state
NET=network.192_0_2_0-255_255_255_0
printf 'site.clustersite.domain=cluster.example\n%s.net=192.0.2.0\n%s.mask=255.255.255.0\n%s.mgtifname=eth0\n' \
        "$NET" "$NET" "$NET" > "$XHAFW_FAKE_XCAT_STATE"
# chronyc as chronyd answers it; $T/clock holds the leap status
echo Normal > "$T/clock"
cat > "$T/bin/chronyc" << EOF
#!/bin/bash
printf 'Reference ID    : C0000201 (192.0.2.1)\nSystem time     : 0.000012000 seconds fast of NTP time\n'
printf 'Leap status     : %s\n' "\$(cat '$T/clock')"
EOF
chmod 0755 "$T/bin/chronyc"

xh_config "path = $T/bin:$T/xcat:/usr/sbin:/usr/bin:/sbin:/bin" \
        "service_manager = /bin/bash, $SRC/tests/integration/svcman.sh, $T/svc" \
        "pass_env = XHAFW_FAKE_XCAT_STATE"
cat > "$T/conf.d/10-steps.conf" << EOF
[storage]
device = $T/disk
options = bind
mountpoint = $T/shared
paths = $LOCAL/install, $LOCAL/tftpboot
fstab = $T/fstab

[vip]
address = $VIP/24
interface = eth0
label = eth0:0

[hosts]
file = $T/hosts
address = $VIP
names = mn, mn.cluster.example

[postgres]
after = storage, vip
data_dir = $T/pgdata
port = $PORT
listen_addresses = localhost, $VIP
check_host = 127.0.0.1
ready_timeout = 2s

[xcatd]
plugin = service
after = postgres, hosts
unit = xcatd
ready_command = lsxcatd, -a

[xcat-networks]
after = xcatd
network = 192_0_2_0-255_255_255_0
mgtifname = eth0:0

[dns]
after = xcatd

[dhcp]
after = xcatd, xcat-networks

[ntp]

[conserver]
after = xcatd
EOF

# xa ARGS...: xhafw in this node's namespace (its own mount namespace too, inside ours).
xa() { ip netns exec "$A" "$XHAFW" --config "$T/xhafw.conf" "$@"; }
# snapshot: everything a preflight could change on this node: files, services, state, mounts, addresses.
snapshot() {
        (cd "$T" && find . \( -name out -o -name 'pf.*' -o -name rc -o -name calls -o -name '*.log' \) -prune -o \
                -type f -printf '%p %s %T@\n' -o -printf '%p %y\n' | sort)
        awk -v t="$T" 'index($5, t) == 1 { print $5 }' /proc/self/mountinfo
        ip -n "$A" -br addr
}
# check_is STEP CHECK RESULT [REGEX]: the last preflight's JSON ($T/pf.json) has this check with this
# result, and a detail or fix matching REGEX.
check_is() {
        python3 - "$T/pf.json" "$@" << 'PY' || { cat "$T/pf.out" >&2; fail "$1 / $2: expected $3 ${4:-}"; }
import json, re, sys
d = json.load(open(sys.argv[1]))
step, check, result = sys.argv[2:5]
rx = sys.argv[5] if len(sys.argv) > 5 else ""
got = [c for c in d["checks"] if c["step"] == step and c["check"] == check]
ok = [c for c in got if c["result"] == result and (not rx or re.search(rx, c["detail"] + " fix: " + (c["fix"] or "")))]
if not ok:
    print("got:", got, file=sys.stderr)
    sys.exit(1)
if result != "pass" and not ok[0]["fix"]:
    print("no fix:", ok[0], file=sys.stderr)
    sys.exit(1)
PY
}
# pf CODE [ARGS...]: xhafw --json preflight in this node's namespace exits CODE; the document is in $T/pf.json.
pf() {
        local want=$1 rc=0
        shift
        xa --json preflight "$@" > "$T/pf.json" 2> "$T/pf.out" || rc=$?
        [ "$rc" = "$want" ] || { cat "$T/pf.out" "$T/pf.json" >&2; fail "preflight $* exited $rc, expected $want"; }
}

# ---- a clean standby: ready, nothing but passes, and nothing changed ----
expect_exit 3 xa status
before=$(snapshot)
pf 0
python3 - "$T/pf.json" << 'PY' || fail "the clean standby is not clean"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ready"] is True, d
bad = [c for c in d["checks"] if c["result"] != "pass"]
assert not bad, bad
steps = {c["step"] for c in d["checks"]}
for s in ("storage", "vip", "hosts", "postgres", "xcatd", "xcat-networks", "dns", "dhcp", "ntp", "conserver"):
    assert s in steps, (s, steps)
assert not [c for c in d["checks"] if c["check"] == "preflight" and c["result"] == "warn"], "a plugin without preflight"
PY
check_is storage "not mounted at boot" pass "fstab mounts neither"
check_is vip "VIP free or held by the peer" pass "$VIP/24 is free"
check_is postgres "server binaries" pass "serves the cluster's PG_VERSION $PGMAJOR"
check_is ntp "clock synchronised" pass "leap status Normal"
check_is xcat-networks "xCAT version" pass "2.16.5"
[ "$(snapshot)" = "$before" ] || { diff <(echo "$before") <(snapshot) >&2; fail "preflight changed something"; }
expect_exit 0 xa preflight
expect_output "preflight: READY"
pass "a clean standby: ready, every check passes, nothing changed"

# ---- planted defects, one at a time ----
# A unit enabled at boot (the package upgrade that re-enabled it).
touch "$T/svc/named.enabled"
pf 1
check_is dns "not enabled at boot" fail "systemctl disable named"
rm "$T/svc/named.enabled"
pass "a unit enabled at boot: fail, systemctl disable"

# A unit the service manager does not know.
touch "$T/svc/conserver.missing"
pf 1
check_is conserver "unit exists" fail "no unit conserver"
rm "$T/svc/conserver.missing"
pass "a missing unit: fail"

# A service left running on the standby: the role is half active, and the step says which.
touch "$T/svc/dhcpd.active"
pf 1
check_is dhcp "not running on a standby" fail "systemctl stop dhcpd"
check_is xhafw "not half active" fail
rm "$T/svc/dhcpd.active"
pass "a service running on the standby: fail, systemctl stop"

# An xCAT command missing from the path.
rm "$T/xcat/makedns"
pf 1
check_is dns "commands on the path" fail "makedns not found along path"
ln -s "$FX/makedns" "$T/xcat/makedns"
pass "an xCAT command missing: fail, naming it"

# An fstab entry that would mount the shared filesystem at boot; with noauto it would not.
printf '%s %s none bind 0 0\n' "$T/disk" "$T/shared" >> "$T/fstab"
pf 1
check_is storage "not mounted at boot" fail "mounts $T/shared at boot.*fix: in $T/fstab, .*bind,noauto"
sed -i "s|none bind 0 0|none bind,noauto 0 0|" "$T/fstab"
pf 0
check_is storage "not mounted at boot" pass "noauto"
printf '%s %s none bind,noauto,x-systemd.automount 0 0\n' "$T/shared$LOCAL/install" "$LOCAL/install" >> "$T/fstab"
pf 1
check_is storage "not mounted at boot" fail "automounts $LOCAL/install.*remove x-systemd.automount"
printf '# static\n/dev/sda1 / ext4 defaults 0 1\n' > "$T/fstab"
pass "an fstab entry for the shared filesystem or a path: fail with the line to change; noauto passes"

# The shared filesystem mounted on the standby, in a private mount namespace of its own: the role
# stays INACTIVE (it is not this step's mount), and preflight names it.
ip netns exec "$A" unshare -m --propagation private bash -c "
        mount --bind '$T/disk' '$T/shared' &&
        '$XHAFW' --config '$T/xhafw.conf' --json preflight > '$T/pf.json' 2> '$T/pf.out'; echo \$? > '$T/rc'"
[ "$(cat "$T/rc")" = 1 ] || { cat "$T/pf.out" >&2; fail "preflight, the shared filesystem mounted: $(cat "$T/rc")"; }
check_is storage "not mounted on a standby" fail \
        "$T/disk is mounted on $T/shared on this standby.*fix: umount $T/shared"
check_is storage "shared paths" pass "directories under"
# ... and a path bound from it: half active
ip netns exec "$A" unshare -m --propagation private bash -c "
        mount --bind '$T/disk' '$T/shared' && mount --bind '$T/shared$LOCAL/install' '$LOCAL/install' &&
        '$XHAFW' --config '$T/xhafw.conf' --json preflight > '$T/pf.json' 2> '$T/pf.out'; echo \$? > '$T/rc'"
[ "$(cat "$T/rc")" = 1 ] || fail "preflight with a path bound exited $(cat "$T/rc")"
check_is storage "not mounted on a standby" fail "$LOCAL/install connected to the shared filesystem.*umount"
[ -z "$(awk -v t="$T" 'index($5, t) == 1' /proc/self/mountinfo)" ] || fail "a mount escaped its namespace"
pass "the shared filesystem or a path mounted on a standby: fail, umount"

# A foreign mount on a local path: activate would refuse to bind over it.
mkdir -p "$T/elsewhere"
mount --bind "$T/elsewhere" "$LOCAL/tftpboot"
pf 1
check_is storage "local paths" fail "$LOCAL/tftpboot has .*activate would refuse.*fix: umount $LOCAL/tftpboot"
umount "$LOCAL/tftpboot"
pass "something else mounted on a local path: fail, umount"

# The device missing (the LUN not attached).
sed -i "s|^device = $T/disk|device = $T/no-such-disk|" "$T/conf.d/10-steps.conf"
pf 1
check_is storage "device reachable" fail "$T/no-such-disk does not exist on this node.*attach the shared storage"
sed -i "s|^device = $T/no-such-disk|device = $T/disk|" "$T/conf.d/10-steps.conf"
pass "a missing device: fail"

# A hosts line that drifted: one of the VIP's names with another address.
cp "$T/hosts" "$T/hosts.good"
printf '192.0.2.9 mn.cluster.example # old\n' >> "$T/hosts"
pf 1
check_is hosts "names resolve to the VIP" fail \
        "line 4 gives mn.cluster.example the address 192.0.2.9.*remove mn.cluster.example from line 4"
cp "$T/hosts.good" "$T/hosts"
pass "a drifted hosts line: fail, naming the line"

# A port in use on the standby: something else listens on PostgreSQL's.
ip netns exec "$A" python3 -c "
import socket, time
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::', $PORT)); s.listen(1)
open('$T/listening', 'w').close()
time.sleep(120)" &
LISTENER=$!
at_exit "kill $LISTENER 2>/dev/null; wait $LISTENER 2>/dev/null"
for _ in $(seq 1 100); do [ -e "$T/listening" ] && break; sleep 0.1; done
[ -e "$T/listening" ] || fail "the listener did not start"
pf 1
check_is postgres "port free" fail "pid $LISTENER \(python3\) listens on TCP port $PORT.*fix: stop pid $LISTENER"
kill "$LISTENER"
wait "$LISTENER" 2> /dev/null || true
pass "the port in use on a standby: fail, naming the process"

# A cluster of a version whose server is not installed.
echo 99 > "$T/pgdata/PG_VERSION"
pf 1
check_is postgres "server binaries" fail \
        "PostgreSQL 99, and no server of 99 is installed.*apt-get install postgresql-99"
echo "$PGMAJOR" > "$T/pgdata/PG_VERSION"
pass "no server for the cluster's PG_VERSION: fail, the package to install"

# The clock not synchronised: on a standby (whose time service is stopped by design) a warning.
echo "Not synchronised" > "$T/clock"
pf 0
check_is ntp "clock synchronised" warn "not synchronised.*chronyc tracking"
echo Normal > "$T/clock"
pass "an unsynchronised clock on a standby: warn"

# The label taken by another address; the VIP itself left on the standby.
ip -n "$A" addr add 192.0.2.50/24 dev eth0 label eth0:0
pf 1
check_is vip "label free" fail "label eth0:0 is taken by 192.0.2.50/24.*fix: ip addr del 192.0.2.50/24 dev eth0"
ip -n "$A" addr del 192.0.2.50/24 dev eth0
ip -n "$A" addr add "$VIP/24" dev eth0 label eth0:5
pf 1
check_is vip "VIP free or held by the peer" fail \
        "the VIP is on this standby: $VIP/24 on eth0 as eth0:5.*ip addr del $VIP/24 dev eth0"
ip -n "$A" addr del "$VIP/24" dev eth0
pass "the label taken, the VIP on the standby: fail, ip addr del"

# The VIP held by the peer: its MAC named, and known as 192.0.2.2's.
ip -n "$B" addr add "$VIP/24" dev eth0
MAC_B=$(ip -n "$B" -br link show dev eth0 | awk '{ print $3 }')
# traffic to the peer's static address, as ssh or corosync make, fills the neighbour table
ip netns exec "$A" python3 -c 'import socket; s = socket.socket(); s.settimeout(2); s.connect_ex(("192.0.2.2", 9))'
ip -n "$A" neigh show 192.0.2.2 | grep -qi "$MAC_B" || fail "the neighbour table lacks the peer"
pf 0
check_is vip "VIP free or held by the peer" pass "held by $MAC_B, the MAC of 192.0.2.2"
ip -n "$A" neigh flush dev eth0
pf 0
check_is vip "VIP free or held by the peer" warn "held by $MAC_B, which is no known neighbour's MAC"
ip -n "$B" addr del "$VIP/24" dev eth0
pass "the VIP held by the peer: its MAC named"

# The interface missing (renamed), or without carrier.
ip -n "$B" link set eth0 down
pf 1
check_is vip interface fail "eth0 is up but has no carrier"
ip -n "$B" link set eth0 up
sed -i "s|^interface = eth0|interface = eth9|; s|^label = eth0:0|label = eth9:0|" "$T/conf.d/10-steps.conf"
pf 1
check_is vip interface fail "eth9 does not exist on this node.*ip -br link"
sed -i "s|^interface = eth9|interface = eth0|; s|^label = eth9:0|label = eth0:0|" "$T/conf.d/10-steps.conf"
wait_carrier
pass "the interface missing or without carrier: fail"

# every defect taken back: clean again
pf 0
python3 -c 'import json, sys; sys.exit(any(c["result"] != "pass" for c in json.load(open(sys.argv[1]))["checks"]))' \
        "$T/pf.json" || fail "the defects were not all taken back: $(cat "$T/pf.json")"

# ---- --peer: a real OpenSSH server in the peer's namespace ----
SSHD=/usr/sbin/sshd
if [ ! -x "$SSHD" ] || ! command -v ssh > /dev/null || ! command -v ssh-keygen > /dev/null; then
        echo "SKIP (in part): --peer needs OpenSSH (packages openssh-server, openssh-client)"
        exit 0
fi
S=$T/ssh
mkdir -p "$S" "$T/peer/bin" "$T/peer/state"
chmod 0700 "$S" "$T/peer/state"
ssh-keygen -q -t ed25519 -N '' -C xhafw-test-host -f "$S/host_ed25519"
ssh-keygen -q -t ed25519 -N '' -C xhafw-test-client -f "$S/id_ed25519"
SSHPORT=2222
# The peer's xhafw: the same steps, its own state and its own xCAT, one version ahead.
cat > "$T/peer/xhafw.conf" << EOF
[xhafw]
conf_d = $T/conf.d
plugin_path = $XHAFW_TEST_PLUGIN_PATH
state_dir = $T/peer/state
timeout = 30s
path = $T/bin:$T/xcat:/usr/sbin:/usr/bin:/sbin:/bin
service_manager = /bin/bash, $SRC/tests/integration/svcman.sh, $T/peer/svc
pass_env = XHAFW_FAKE_XCAT_STATE
EOF
sed 's/^fake.version=.*//' "$XHAFW_FAKE_XCAT_STATE" > "$T/peer/xcat.state"
echo "fake.version=2.16.6" >> "$T/peer/xcat.state"
printf '#!/bin/bash\nexec %q --config %q "$@"\n' "$XHAFW" "$T/peer/xhafw.conf" > "$T/peer/bin/xhafw"
# The session: only the query the core sends, with the wrapper first on the PATH, and the peer's
# own hosts file where this node has its own (a mount namespace of the session's).
cp "$T/hosts" "$T/peer/hosts"
cat > "$T/peer/session" << EOF
#!/bin/bash
if [ "\$SSH_ORIGINAL_COMMAND" != "xhafw --json preflight --facts" ]; then
        echo "refused: \$SSH_ORIGINAL_COMMAND" >&2
        exit 126
fi
export PATH=$T/peer/bin:/usr/sbin:/usr/bin:/sbin:/bin XHAFW_FAKE_XCAT_STATE=$T/peer/xcat.state
exec unshare -m --propagation private bash -c 'mount --bind "\$0" "\$1" && exec \$2' "$T/peer/hosts" "$T/hosts" \
        "\$SSH_ORIGINAL_COMMAND"
EOF
chmod 0755 "$T/peer/bin/xhafw" "$T/peer/session"
printf 'command="%s",no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-pty %s\n' "$T/peer/session" \
        "$(cat "$S/id_ed25519.pub")" > "$S/authorized_keys"
cat > "$S/sshd_config" << EOF
Port $SSHPORT
ListenAddress 192.0.2.2
HostKey $S/host_ed25519
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
PermitRootLogin forced-commands-only
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
EOF
cat > "$S/client_config" << EOF
Host peer
        HostName 192.0.2.2
        User root
        IdentityFile $S/id_ed25519
        IdentitiesOnly yes
        UserKnownHostsFile $S/known_hosts
        GlobalKnownHostsFile /dev/null
        StrictHostKeyChecking yes
        UpdateHostKeys no
EOF
echo "[192.0.2.2]:$SSHPORT $(cut -d' ' -f1,2 "$S/host_ed25519.pub")" > "$S/known_hosts"
# sshd's privilege separation directory, when the package's service never made it
if [ ! -d /run/sshd ]; then
        mkdir -m 0755 /run/sshd
        at_exit "rmdir /run/sshd 2>/dev/null"
fi
"$SSHD" -t -f "$S/sshd_config" || fail "sshd does not accept the test's configuration"
ip netns exec "$B" "$SSHD" -D -f "$S/sshd_config" -E "$S/sshd.log" &
SSHD_PID=$!
at_exit "kill $SSHD_PID 2>/dev/null; wait $SSHD_PID 2>/dev/null"
for _ in $(seq 1 100); do
        [ -n "$(ip netns exec "$B" ss -Hltn "sport = :$SSHPORT")" ] && break
        kill -0 "$SSHD_PID" 2> /dev/null || { cat "$S/sshd.log" >&2; fail "sshd exited"; }
        sleep 0.1
done
[ -n "$(ip netns exec "$B" ss -Hltn "sport = :$SSHPORT")" ] || { cat "$S/sshd.log" >&2; fail "sshd does not listen"; }
export XHAFW_PEER_SSH_PORT=$SSHPORT XHAFW_PEER_SSH_CONFIG=$S/client_config

# The same xCAT on both: the peer answers, the facts match.
sed -i 's/^fake.version=.*/fake.version=2.16.5/' "$T/peer/xcat.state"
pf 0 --peer peer
check_is xhafw "peer reachable" pass "peer answered in"
check_is xhafw "peer compared" pass "facts the same on both nodes"
check_is xhafw "clock matches the peer" pass "offset"
python3 - "$T/pf.json" << 'PY' || { cat "$S/sshd.log" >&2; fail "the same peer differs"; }
import json, sys
d = json.load(open(sys.argv[1]))
bad = [c for c in d["checks"] if c["result"] != "pass"]
assert not bad, bad
PY
pass "--peer over a real sshd: reachable, the facts the same, the clocks too"

# Another xCAT on the peer: the comparison fails and says what differs.
sed -i 's/^fake.version=.*/fake.version=2.16.6/' "$T/peer/xcat.state"
pf 1 --peer peer
check_is xhafw "matches the peer" fail \
        "xcat-networks/xcat version: '2.16.5' here, '2.16.6' on peer.*install the same version"
# A hosts line that drifted on the peer only: the fact differs.
sed -i 's/^fake.version=.*/fake.version=2.16.5/' "$T/peer/xcat.state"
printf '192.0.2.9 mn.cluster.example\n' >> "$T/peer/hosts"
pf 1 --peer peer
check_is xhafw "matches the peer" fail \
        "hosts/lines for the VIP: '\\(none besides the step's own\\)' here, '192.0.2.9 mn.cluster.example' on peer"
cp "$T/hosts" "$T/peer/hosts"
grep -q "Accepted publickey for root" "$S/sshd.log" || fail "sshd did not log the key login"
pass "--peer: a different xCAT and a drifted hosts line on one node: fail, naming both"

kill "$SSHD_PID"
wait "$SSHD_PID" 2> /dev/null || true
start=$(date +%s)
pf 0 --peer peer
check_is xhafw "peer reachable" warn "ssh peer exited 255"
[ $(($(date +%s) - start)) -lt 25 ] || fail "a peer whose sshd is gone took $(($(date +%s) - start))s"
pass "--peer with sshd gone: a warning, at once"
