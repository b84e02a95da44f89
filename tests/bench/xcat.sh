#!/bin/bash
# Benchmark: activate the default conf.d with stand-ins that take as long as the xCAT HA
# documentation's activation log says each command took, and compare the wall time with the
# graph's critical path and with the same steps one at a time (--jobs 1).
#
#   XHAFW=build/core/xhafw XHAFW_TEST_PLUGIN_PATH=build/plugins/service:... bash tests/bench/xcat.sh
#
# Real: the engine, the storage plugin (in a private mount namespace), the vip plugin with its
# ARP probe (in a network namespace), hosts, and every xCAT plugin. Stand-ins: the xCAT commands
# (tests/fake-xcat), the service manager (tests/integration/svcman.sh behind a delay), and the
# database: the postgres step is the service plugin starting "postgresql" in 1.13 s, because the
# point is the schedule, not PostgreSQL (tests/integration/postgres.sh tests the real one).
#
# Also the timed service manager: `xcat.sh --svcman DIR VERB UNIT` sleeps for the delay that
# DIR/delays gives "VERB UNIT", then hands over to svcman.sh.

# usec DECIMAL: microseconds, in bash alone: this runs for every service call of the benchmark
# and a fork (awk, date) would be part of what is measured.
usec() {
        local i=${1%.*} f=
        [[ $1 == *.* ]] && f=${1#*.}
        f=${f}000000
        echo $((10#${i:-0} * 1000000 + 10#${f:0:6}))
}

if [ "${1:-}" = --svcman ]; then
        start=$(usec "$EPOCHREALTIME")
        dir=$2 verb=$3 unit=$4
        while read -r v u d; do
                if [ "$v" = "$verb" ] && [ "$u" = "$unit" ]; then
                        # The documented time is the whole command's: take off what we spent getting here.
                        rest=$(($(usec "$d") - ($(usec "$EPOCHREALTIME") - start)))
                        [ "$rest" -gt 0 ] && sleep "$((rest / 1000000)).$(printf %06d $((rest % 1000000)))"
                        break
                fi
        done < "$dir/delays"
        exec "${0%/*}/../integration/svcman.sh" "$dir" "$verb" "$unit"
fi

source "$(dirname "$0")/../integration/lib.sh"
need_root
need_cmd ip iproute2
need_cmd unshare util-linux
need_cmd nsenter util-linux
need_cmd flock util-linux

SRC=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
REPS=${REPS:-3}
NS=xhbench$$
NET=192_0_2_0-255_255_255_0

# The xCAT documentation's activation log (seconds).
PG_START=1.13 XCATD_START=2.74 LSDEF=0.42 MAKEDNS_N=3.61 MAKEDHCP_N=0.49 MAKEDHCP_A=0.94
NTPD_START=0.05 MAKECONSERVERCF=0.55 CONSERVER_START=0.10

export XHAFW_FAKE_XCAT_STATE=$T/xcat.state
mkdir -p "$T/svc" "$T/files" "$T/shared"
cat > "$T/svc/delays" <<EOF
start postgresql $PG_START
start xcatd $XCATD_START
start chronyd $NTPD_START
start conserver $CONSERVER_START
EOF

ip netns add "$NS" || skip "cannot create a network namespace"
at_exit "ip netns del $NS"
ip -n "$NS" link add veth0 type veth peer name veth1
ip -n "$NS" link set lo up
ip -n "$NS" link set veth0 up
ip -n "$NS" link set veth1 up
ip -n "$NS" addr add 192.0.2.5/24 dev veth0

# The shared storage: a directory bound at mountpoint, holding the served directories.
for d in install tftpboot pgsql; do
        mkdir -p "$T/src$T/local/$d" "$T/local/$d"
done
printf '127.0.0.1\tlocalhost\n' > "$T/files/hosts"
chmod 0644 "$T/files/hosts"

xh_config "path = $SRC/tests/fake-xcat:/usr/sbin:/usr/bin:/sbin:/bin" \
        "service_manager = /bin/bash, $SRC/tests/bench/xcat.sh, --svcman, $T/svc" \
        "pass_env = XHAFW_FAKE_XCAT_STATE" \
        "jobs = 8"

# The shipped conf.d with the site values filled in as an admin would.
cp "$SRC"/conf.d/*.conf "$T/conf.d/"
set_key() { sed -i "s|^$2 =.*|$2 = $3|" "$T/conf.d/$1"; grep -q "^$2 = $3\$" "$T/conf.d/$1" || fail "cannot set $2 in $1"; }
set_key 10-storage.conf mountpoint "$T/shared"
sed -i "s|^; device = .*|device = $T/src\noptions = bind\nfstype = none|" "$T/conf.d/10-storage.conf"
set_key 10-storage.conf paths "$T/local/install, $T/local/tftpboot, $T/local/pgsql"
set_key 20-vip.conf address 192.0.2.7/24
set_key 20-vip.conf interface veth0
set_key 30-hosts.conf file "$T/files/hosts"
set_key 30-hosts.conf address 192.0.2.7
set_key 30-hosts.conf names "xcatmn1, xcatmn1.cluster.example"
set_key 60-xcat-networks.conf network "$NET"
set_key 60-xcat-networks.conf mgtifname veth0:0
cat > "$T/conf.d/40-postgres.conf" <<EOF
; Stand-in: the schedule's postgres, started in ${PG_START}s by the timed service manager.
[postgres]
plugin = service
after = storage, vip
unit = postgresql
EOF

fresh_xcat() {
        cat > "$XHAFW_FAKE_XCAT_STATE" <<EOF
site.clustersite.domain=cluster.example
network.$NET.net=192.0.2.0
network.$NET.mask=255.255.255.0
network.$NET.mgtifname=veth0
fake.xcatd_active_file=$T/svc/xcatd.active
fake.delay.lsdef=$LSDEF
fake.delay.makedns-n=$MAKEDNS_N
fake.delay.makedhcp-n=$MAKEDHCP_N
fake.delay.makedhcp-a=$MAKEDHCP_A
fake.delay.makeconservercf=$MAKECONSERVERCF
EOF
}

# In the namespaces: the vip plugin acts on the network namespace it runs in, storage on the
# mount namespace. One mount namespace for every run (held by a sleeping process), so that
# deactivate finds what activate mounted; ip netns exec would make a new one each time.
unshare -m --propagation private sleep 3600 &
HOLDER=$!
at_exit "kill $HOLDER"
for ((i = 0; i < 100; i++)); do
        [ "$(readlink /proc/$HOLDER/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] && break
        sleep 0.01
done
run() { nsenter --mount="/proc/$HOLDER/ns/mnt" --net="/run/netns/$NS" "$XHAFW" --config "$T/xhafw.conf" "$@"; }

# one JOBS: activate (timed), then deactivate; prints the wall time in seconds and keeps the output.
one() {
        local t0 t1
        fresh_xcat
        t0=$EPOCHREALTIME
        run activate --yes --jobs "$1" > "$T/act.out" 2>&1 || { cat "$T/act.out" >&2; fail "activate --jobs $1 failed"; }
        t1=$EPOCHREALTIME
        run deactivate --yes > "$T/deact.out" 2>&1 || { cat "$T/deact.out" >&2; fail "deactivate failed"; }
        cp "$T/deact.out" "$T/deact.last"
        check_order "$1"
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

# before FILE A B: the engine printed "A" before "B" (fixed strings).
before() {
        local a b
        a=$(grep -nF -m1 -- "$2" "$1" | cut -d: -f1)
        b=$(grep -nF -m1 -- "$3" "$1" | cut -d: -f1)
        [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ] || { cat "$1" >&2; fail "${1##*/}: '$2' not before '$3'"; }
}

# The graph's order, and its parallelism once xcatd is up; deactivate in reverse.
check_order() {
        local f=$T/act.out s
        before "$f" "storage: applied" "postgres: applying"
        before "$f" "vip: applied" "postgres: applying"
        before "$f" "postgres: applied" "xcatd: applying"
        before "$f" "hosts: applied" "xcatd: applying"
        for s in xcat-networks dns conserver; do before "$f" "xcatd: applied" "$s: applying"; done
        before "$f" "xcat-networks: applied" "dhcp: applying"
        if [ "$1" != 1 ]; then
                before "$f" "dhcp: applying" "dns: applied"
                before "$f" "conserver: applying" "dns: applied"
                before "$f" "ntp: applying" "postgres: applied"
        fi
        f=$T/deact.out
        for s in xcat-networks dns dhcp conserver; do before "$f" "$s: reverted" "xcatd: reverting"; done
        before "$f" "xcatd: reverted" "postgres: reverting"
        before "$f" "postgres: reverted" "storage: reverting"
        before "$f" "postgres: reverted" "vip: reverting"
}

# The duration the engine printed for STEP's apply in the last activation.
step_time() { sed -n "s/.*] $1: applied (\([0-9.]*\)s).*/\1/p" "$T/act.out" | head -1; }

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

par=() ser=() vip=() sto=()
for ((i = 0; i < REPS; i++)); do
        par+=("$(one 8)")
        vip+=("$(step_time vip)")
        sto+=("$(step_time storage)")
        [ "$i" = 0 ] && cp "$T/act.out" "$T/act.parallel"
        ser+=("$(one 1)")
done
# A standby after deactivate: every step inactive, the xCAT ones because xcatd is.
rc=0
run status > "$T/status.out" 2>&1 || rc=$?
[ "$rc" = 3 ] || { cat "$T/status.out" >&2; fail "status after deactivate exited $rc, not 3"; }
[ -n "${BENCH_SHOW_STATUS:-}" ] && cat "$T/status.out"
[ -n "${BENCH_SHOW_STATUS:-}" ] && cat "$T/deact.last"
P=$(printf '%s\n' "${par[@]}" | median)
S=$(printf '%s\n' "${ser[@]}" | median)
V=$(printf '%s\n' "${vip[@]}" | median)
ST=$(printf '%s\n' "${sto[@]}" | median)
CP=$(awk -v p="$PG_START" -v x="$XCATD_START" -v l="$LSDEF" -v d="$MAKEDNS_N" -v v="$V" -v s="$ST" \
        'BEGIN { m = v > s ? v : s; printf "%.3f", p + x + l + d + m }')

echo "# activation log of the parallel run:"
sed 's/^/#   /' "$T/act.parallel"
pass "activate follows the graph (dns, dhcp, the console service in parallel once xcatd is up; ntp at once), deactivate the reverse, status after it 3"
echo "runs: $REPS each; medians"
echo "critical path: storage|vip ($ST|$V s) + postgresql $PG_START + xcatd $XCATD_START + lsdef $LSDEF + makedns -n $MAKEDNS_N = $CP s"
echo "activate, jobs 8: ${par[*]} -> $P s ($(awk -v a="$P" -v b="$CP" 'BEGIN { printf "%+.1f%%", (a - b) / b * 100 }') of the critical path)"
echo "activate, jobs 1: ${ser[*]} -> $S s ($(awk -v a="$S" -v b="$P" 'BEGIN { printf "%.2fx", a / b }') the parallel run)"
awk -v a="$P" -v b="$CP" 'BEGIN { exit !((a - b) / b <= 0.03) }' &&
        pass "activation within 3% of the critical path" ||
        echo "# over the 3% target"
