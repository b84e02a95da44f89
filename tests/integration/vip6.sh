#!/bin/bash
# Integration test of the vip plugin on IPv6 and dual stack: this node, a peer and a client as network
# namespaces on a bridge. xhafw runs inside "this node" (and, for a failover, inside the peer too).
# Only documentation addresses (2001:db8::/32, RFC 3849; 192.0.2.0/24, RFC 5737), only in namespaces
# made here; the sysctls changed are those of these namespaces.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-netns.sh"

need_root
need_cmd ip iproute2
need_cmd python3 python3

P=xhvip6-$$
BR=$P-br   # holds the bridge
A=$P-a     # this node: runs xhafw
B=$P-b     # the peer: the other management node
C=$P-c     # a client whose neighbour cache must follow the VIP
VIP=2001:db8::100
VIP4=192.0.2.100

need_netns "$P"
[ -d /proc/sys/net/ipv6 ] || skip "the kernel has no IPv6"

# A bridge that snoops MLD and has a querier (below), as a managed switch does: multicast to a
# solicited-node group reaches only the ports that joined it (another host's probe for the VIP, too).
# The nodes' own IPv6 addresses skip DAD (nodad): the test need not wait for the kernel to check
# addresses nobody else can hold. The VIP is another matter.
lan_up "$BR" "mcast_snooping 1 mcast_query_response_interval 100" "2001:db8::@/64 nodad;192.0.2.@/24" "$A" "$B" "$C"

MAC_A=$(mac "$A")
MAC_B=$(mac "$B")

for ns in "$A" "$B" "$C"; do wait_carrier "$ns"; done
# The bridge's querier needs a usable link-local address of its own (after its DAD) for its first
# query, and then the nodes' answers, within mcast_query_response_interval (1 s).
for ((i = 0; i < 50; i++)); do
        ip -n "$BR" -6 addr show dev br0 scope link 2>/dev/null | grep -v tentative | grep inet6 >/dev/null && break
        sleep 0.1
done
ip -n "$BR" link set br0 type bridge mcast_querier 1
sleep 1.5

xh_config
# The peer's own configuration and state: it runs xhafw too, for a failover between the two.
mkdir -p "$T/peer/conf.d"
printf '[xhafw]\nconf_d = %s/peer/conf.d\nplugin_path = %s\nstate_dir = %s/peer/state\n' "$T" \
        "$XHAFW_TEST_PLUGIN_PATH" "$T" > "$T/peer/xhafw.conf"
xa() { ip netns exec "$A" "$XHAFW" --config "$T/xhafw.conf" "$@"; }
xb() { ip netns exec "$B" "$XHAFW" --config "$T/peer/xhafw.conf" "$@"; }
# vip_conf LINE...: the [vip6] step with exactly these option lines.
vip_conf() {
        {
                echo "[vip6]"
                echo "plugin = vip"
                local l
                for l in "$@"; do echo "$l"; done
        } > "$T/conf.d/vip.conf"
}
vip_conf_default() { vip_conf "address = $VIP/64" "interface = eth0" "$@"; }
printf '[vip6]\nplugin = vip\naddress = %s/64\ninterface = eth0\n' "$VIP" > "$T/peer/conf.d/vip.conf"

# The VIP as the kernel reports it on this node, on every interface (one line per copy).
# (No "| grep -q" in this file: with pipefail, grep quitting early can fail the writer with SIGPIPE.)
all_vip() { ip -n "$A" -6 -o addr show 2>/dev/null | grep -F " $VIP/" || true; }
has_vip() {
        local lines
        lines=$(all_vip)
        # exactly one copy: /64 on eth0, not tentative, not dadfailed
        { [ "$(echo "$lines" | grep -c .)" = 1 ] && echo "$lines" | grep -E "eth0 +inet6 $VIP/64 " >/dev/null &&
                ! echo "$lines" | grep -E "tentative|dadfailed" >/dev/null; } ||
                { echo "$lines" >&2; fail "$*: not exactly $VIP/64 on eth0, usable"; }
}
no_vip() { [ -z "$(all_vip)" ] || { all_vip >&2; fail "$*: $VIP is still on this node (in some form or state)"; }; }

# client_neigh: the client's neighbour entry for the VIP ("MAC STATE"), or nothing.
client_neigh() {
        ip -n "$C" -6 neigh show "$VIP" dev eth0 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1), $NF }'
}
# client_talks: the client sends a datagram to the VIP, so that it resolves it (a real entry,
# not a planted one).
client_talks() {
        ip netns exec "$C" bash -c "echo x > /dev/udp/$VIP/9" 2>/dev/null || true
        sleep 0.2
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# --- validate, describe, status on a node without the VIP ---
vip_conf_default
expect_exit 0 xa validate
expect_exit 0 xa describe vip6
expect_output "VIP $VIP/64 on eth0 \(IPv6: no label\); probe 3×50ms, then added with nodad; 5 unsolicited neighbour advertisements"
expect_exit 3 xa status
pass "validate, describe, status INACTIVE"

# --- on the wire (tcpdump, when installed): probes, then advertisements, never one before the window closed ---
# Captured at this node's port of the bridge (p1): everything it sends, whichever ports the
# snooping bridge forwards it to.
capture=
if command -v tcpdump >/dev/null 2>&1; then
        ip netns exec "$BR" timeout 20 tcpdump --immediate-mode -l -n -v -tt -i p1 \
                'icmp6 and (ip6[40] == 135 or ip6[40] == 136)' > "$T/wire" 2>/dev/null &
        capture=$!
        at_exit "kill $capture 2>/dev/null"
        sleep 0.5
fi

# --- dry-run probes but adds nothing and announces nothing ---
expect_exit 0 xa activate --dry-run --yes
expect_output "$VIP is free"
expect_output "would add $VIP/64 on eth0 with nodad"
expect_output "would send 5 unsolicited neighbour advertisements, 200 ms apart"
sleep 0.3
no_vip "after a dry-run"
pass "dry-run: probe reported, nothing added"
sleep 0.5
dry_end=$(date +%s.%N)

# --- activate, status, activate again, deactivate, deactivate again ---
# A step after the vip that takes 1.2 s, as the shipped conf.d's later steps do: the advertisements
# after the first (4 x 200 ms) are background work that goes on while it runs.
printf '[later]\nplugin = fake\nafter = vip6\nsleep = 1200ms\n' > "$T/conf.d/later.conf"
t0=$(now_ms)
rc=0
xa --json -v activate --yes > "$T/act.json" 2> "$T/out" || rc=$?
t1=$(now_ms)
[ "$rc" = 0 ] || { cat "$T/act.json" "$T/out" >&2; fail "activate exited $rc"; }
has_vip "after activate"
expect_output "$VIP was free \(probe window 200 ms\); added and announced [0-9.]+ ms after the window closed"
step_ms=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(int(1000*[s for s in d["steps"] if s["name"]=="vip6"][0]["seconds"]))' "$T/act.json")
[ "$step_ms" -lt 800 ] || fail "the vip6 step took $step_ms ms: is it waiting for its advertisements?"
rm -f "$T/conf.d/later.conf"
expect_exit 0 xa status
expect_exit 0 xa activate --yes
has_vip "after a second activate"
expect_exit 0 xa deactivate --yes
no_vip "after deactivate"
expect_exit 3 xa status
expect_exit 0 xa deactivate --yes
no_vip "after a second deactivate"
ip -n "$A" -6 -o addr show dev eth0 2>/dev/null | grep -F "2001:db8::1/64" >/dev/null || fail "deactivate removed the node's own address"
pass "activate adds $VIP/64 (the step in $step_ms ms), idempotent; deactivate removes it, idempotent"

if [ -n "$capture" ]; then
        sleep 0.3
        kill "$capture" 2>/dev/null || true
        wait "$capture" 2>/dev/null || true
        capture=
        # Only what the real run sent: after the dry-run's probes.
        awk -v t="$dry_end" '$1 > t' "$T/wire" > "$T/wire.run"
        n_probe=$(grep -c "$(printf ':: > ff02::1:ff00:100: .*neighbor solicitation.*who has %s$' "$VIP")" "$T/wire.run" || true)
        n_na=$(grep -c "$VIP > ff02::1: .*neighbor advertisement, length 32, tgt is $VIP, Flags \[override\]$" "$T/wire.run" || true)
        [ "$n_probe" = 3 ] || { cat "$T/wire.run" >&2; fail "$n_probe probes from :: seen, not 3"; }
        [ "$n_na" = 5 ] || { cat "$T/wire.run" >&2; fail "$n_na advertisements (override, to ff02::1) seen, not 5"; }
        grep -c "link-address option (2), length 8 (1): $MAC_A" "$T/wire.run" | grep -x 5 >/dev/null ||
                { cat "$T/wire.run" >&2; fail "the advertisements do not all carry $MAC_A"; }
        # The first advertisement comes after the last probe and the 100 ms of listening, never before.
        awk -v vip="$VIP" '
                /neighbor solicitation/ { last = $1 }
                /neighbor advertisement/ && !first { first = $1 }
                END { gap = (first - last) * 1000; printf "%.3f\n", gap; exit !(gap >= 99.5) }
        ' "$T/wire.run" > "$T/gap" || { cat "$T/wire.run" >&2; fail "an advertisement went out before the probe window closed"; }
        grep -E "sum ok" "$T/wire.run" >/dev/null || { cat "$T/wire.run" >&2; fail "tcpdump did not find the checksums good"; }
        pass "on the wire: 3 probes from ::, then 5 advertisements (override, ff02::1, $MAC_A), the first $(cat "$T/gap") ms after the last probe"
fi

# --- a failover between the peer and this node: the client's neighbour entry follows at once ---
expect_exit 0 xb activate --yes
client_talks
[ "$(client_neigh | awk '{ print $1 }')" = "$MAC_B" ] ||
        { client_neigh >&2; fail "the client did not resolve $VIP to the peer's $MAC_B"; }
expect_exit 0 xb deactivate --yes
expect_exit 0 xa activate --yes
# Right after the run: the first advertisement went out before apply returned.
got=$(client_neigh)
[ "${got%% *}" = "$MAC_A" ] || { echo "$got" >&2; fail "right after the failover the client maps $VIP to '${got%% *}', not $MAC_A"; }
client_talks
expect_exit 0 xa deactivate --yes
expect_exit 0 xb activate --yes
got=$(client_neigh)
[ "${got%% *}" = "$MAC_B" ] || { echo "$got" >&2; fail "right after the failback the client maps $VIP to '${got%% *}', not $MAC_B"; }
pass "failover and failback: the client's entry for $VIP holds the new MAC at once ($MAC_A, then $MAC_B)"

# --- the peer holds the VIP: refused (exit 6) naming its MAC, nothing left, in both DAD modes ---
# (the peer's xhafw still holds it from the failback)
expect_exit 6 xa activate --yes
expect_output "$VIP is in use by $MAC_B on eth0: is the other management node still active\?"
no_vip "after a refusal"
rc=0
xa activate --dry-run --yes > "$T/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 6 ] || { cat "$T/out" >&2; fail "activate --dry-run exited $rc"; }
expect_output "refused: $VIP is in use by $MAC_B"
no_vip "after a refused dry-run"
vip_conf_default "dad = kernel"
expect_exit 0 xa describe vip6
expect_output "the kernel's DAD, waited for"
expect_exit 6 xa activate --yes
expect_output "$VIP is in use by $MAC_B on eth0 \(the kernel's duplicate-address detection failed: dadfailed"
no_vip "after the kernel's DAD failed"
vip_conf_default
expect_exit 0 xa activate --yes --force
has_vip "after --force"
expect_exit 0 xa deactivate --yes
expect_exit 0 xb deactivate --yes
pass "peer holding $VIP: exit 6 naming $MAC_B with xhafw's probe and with the kernel's DAD, nothing left; --force takes it"

# --- another host probing for the VIP at the same time: refused, naming it ---
# The peer sends DAD probes (neighbour solicitations from ::) every 20 ms for 2 s, for an address
# whose solicited-node group no port of the bridge has joined yet: they reach this node only when
# the probe joins the group (MLD) as the kernel's DAD does.
VIP2=2001:db8::2:200
vip_conf "address = $VIP2/64" "interface = eth0"
cat > "$T/prober.py" <<'EOF'
import socket, struct, sys, time
vip = socket.inet_pton(socket.AF_INET6, sys.argv[1])
group = bytes.fromhex("ff0200000000000000000001ff") + vip[13:]
msg = bytearray(struct.pack("!BBHI", 135, 0, 0, 0) + vip)
pseudo = bytes(16) + group + struct.pack("!I", len(msg)) + bytes(3) + bytes([58])
data = pseudo + bytes(msg)
s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
while s >> 16:
    s = (s & 0xffff) + (s >> 16)
struct.pack_into("!H", msg, 2, ~s & 0xffff)
ip6 = struct.pack("!IHBB", 6 << 28, len(msg), 58, 255) + bytes(16) + group
sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x86dd))
dst = bytes([0x33, 0x33]) + group[12:]
end = time.monotonic() + 2
while time.monotonic() < end:
    sock.sendto(ip6 + bytes(msg), ("eth0", 0x86dd, 0, 0, dst))
    open(sys.argv[2], "w").close()
    time.sleep(0.02)
EOF
# (python3 may take a while to start: the test waits until the prober has sent its first probe)
ip netns exec "$B" python3 "$T/prober.py" "$VIP2" "$T/probing" &
prober=$!
for ((i = 0; i < 100; i++)); do
        [ -e "$T/probing" ] && break
        sleep 0.05
done
[ -e "$T/probing" ] || fail "the prober did not start"
expect_exit 6 xa activate --yes
expect_output "$VIP2 is being probed for by $MAC_B on eth0"
wait "$prober" || fail "the prober failed"
[ -z "$(ip -n "$A" -6 -o addr show 2>/dev/null | grep -F " $VIP2/" || true)" ] || fail "$VIP2 added after a refusal"
vip_conf_default
pass "a concurrent probe from the peer: exit 6 naming $MAC_B, nothing added"

# --- the VIP held in another form or state: PARTIAL; deactivate removes every copy; activate
# converges to exactly the configured one ---
add_eth1() {
        ip -n "$BR" link add p9 type veth peer name eth1 netns "$A"
        ip -n "$BR" link set p9 master br0 up
        ip -n "$A" link set eth1 up
        wait_carrier "$A" eth1
}
add_eth1
# form, then whether the configured copy can sit beside it (IPv6 holds one address per interface
# and address, so nothing sits beside a copy on eth0).
forms=("$VIP/128 dev eth0 nodad" no
       "$VIP/48 dev eth0 nodad" no
       "$VIP/64 dev eth1 nodad" yes
       "$VIP/128 dev lo" yes)
for ((f = 0; f < ${#forms[@]}; f += 2)); do
        form=${forms[f]} beside=${forms[f + 1]}
        read -r -a form_args <<< "$form"
        ip -n "$A" addr add "${form_args[@]}"
        expect_exit 4 xa -v status
        expect_output "$VIP/[0-9]+ on [a-z0-9]+ is the VIP in another form than configured"
        expect_exit 0 xa deactivate --yes
        expect_output "removed $VIP/"
        no_vip "deactivate with $form"
        expect_exit 3 xa status
        ip -n "$A" addr add "${form_args[@]}"
        expect_exit 0 xa activate --yes
        has_vip "activate with $form"
        expect_exit 0 xa status
        if [ "$beside" = yes ]; then
                ip -n "$A" addr add "${form_args[@]}"
                expect_exit 4 xa status
                expect_exit 0 xa activate --dry-run --yes
                expect_output "would remove $VIP/"
                [ "$(all_vip | wc -l)" = 2 ] || { all_vip >&2; fail "a dry-run changed the copies of $VIP"; }
                expect_exit 0 xa activate --yes
                has_vip "activate with the configured copy and $form"
        fi
        expect_exit 0 xa deactivate --yes
        no_vip "deactivate after $form"
        pass "VIP as $form: status PARTIAL, deactivate removes it, activate leaves exactly $VIP/64 on eth0"
done
ip -n "$A" link del eth1

# A tentative copy (the kernel still checking it: 30 s between its solicitations here) and a
# dadfailed one (the peer defended it) are copies too: PARTIAL, and never left behind.
ip netns exec "$A" sysctl -q -w net.ipv6.neigh.eth0.retrans_time_ms=30000
ip -n "$A" addr add "$VIP/64" dev eth0
all_vip | grep tentative >/dev/null || { all_vip >&2; fail "cannot plant a tentative copy"; }
expect_exit 4 xa -v status
expect_output "$VIP/64 on eth0 \(tentative\) is the VIP in another form than configured"
expect_exit 0 xa deactivate --yes
no_vip "deactivate with a tentative copy"
ip -n "$A" addr add "$VIP/64" dev eth0
expect_exit 0 xa activate --yes
has_vip "activate with a tentative copy"
expect_exit 0 xa deactivate --yes
ip netns exec "$A" sysctl -q -w net.ipv6.neigh.eth0.retrans_time_ms=1000
ip -n "$B" addr add "$VIP/64" dev eth0 nodad
ip -n "$A" addr add "$VIP/64" dev eth0
for ((i = 0; i < 40; i++)); do
        all_vip | grep dadfailed >/dev/null && break
        sleep 0.1
done
all_vip | grep dadfailed >/dev/null || { all_vip >&2; fail "cannot plant a dadfailed copy"; }
ip -n "$B" addr del "$VIP/64" dev eth0
expect_exit 4 xa -v status
expect_output "$VIP/64 on eth0 \(dadfailed\) is the VIP in another form than configured"
expect_exit 0 xa activate --yes
has_vip "activate with a dadfailed copy"
expect_exit 0 xa deactivate --yes
no_vip "deactivate after a dadfailed copy"
pass "tentative and dadfailed copies: status PARTIAL, deactivate removes them, activate leaves exactly $VIP/64 on eth0"

# --- dad = kernel: the kernel's DAD, waited for; nothing announced while it is tentative ---
vip_conf_default "dad = kernel"
t0=$(now_ms)
expect_exit 0 xa -v activate --yes
t1=$(now_ms)
expect_output "$VIP was free: the kernel's duplicate-address detection took [0-9.]+ ms"
has_vip "after activate with dad = kernel"
expect_exit 0 xa status
expect_exit 0 xa deactivate --yes
no_vip "after deactivate with dad = kernel"
ip netns exec "$A" sysctl -q -w net.ipv6.conf.eth0.accept_dad=0
expect_exit 1 xa activate --yes
expect_output "dad = kernel, but the kernel runs no duplicate-address detection on eth0"
no_vip "with dad = kernel and accept_dad = 0"
ip netns exec "$A" sysctl -q -w net.ipv6.conf.eth0.accept_dad=1
# The step's timeout ends apply while the address is still tentative (30 s between the kernel's
# solicitations here): the rollback removes it, and nothing was announced.
ip netns exec "$A" sysctl -q -w net.ipv6.neigh.eth0.retrans_time_ms=30000
vip_conf_default "dad = kernel" "timeout = 2s"
expect_exit 1 xa activate --yes
expect_output "apply timed out"
expect_output "removed $VIP/64 from eth0 \(tentative\)"
no_vip "after apply timed out during the kernel's DAD"
expect_exit 3 xa status
ip netns exec "$A" sysctl -q -w net.ipv6.neigh.eth0.retrans_time_ms=1000
vip_conf_default
pass "dad = kernel: added, waited for ($((t1 - t0)) ms in all), announced; refused to run without the kernel's DAD; a timeout mid-DAD leaves nothing"

# --- the shipped 21-vip6.conf as shipped: disabled, so its empty values are nobody's business yet ---
rm -f "$T/conf.d/vip.conf"
cp "$XHAFW_SOURCE_ROOT/conf.d/21-vip6.conf" "$T/conf.d/"
expect_exit 0 xa validate
expect_output "vip6 \(disabled\)"
expect_exit 3 xa status
expect_output "vip6 +vip +disabled"
rm -f "$T/conf.d/21-vip6.conf"
pass "the shipped 21-vip6.conf: disabled, validates as shipped"

# --- dual stack: an IPv4 and an IPv6 VIP as two steps of one graph: the shipped 20-vip.conf and
# 21-vip6.conf, with the site's values and vip6 enabled ---
rm -f "$T/conf.d/vip.conf"
sed -e "s|^address =.*|address = $VIP4/24|" -e "s|^interface =.*|interface = eth0|" \
        "$XHAFW_SOURCE_ROOT/conf.d/20-vip.conf" > "$T/conf.d/20-vip.conf"
sed -e "s|^address =.*|address = $VIP/64|" -e "s|^interface =.*|interface = eth0|" -e "s|^enabled = no|enabled = yes|" \
        "$XHAFW_SOURCE_ROOT/conf.d/21-vip6.conf" > "$T/conf.d/21-vip6.conf"
expect_exit 0 xa validate
expect_exit 0 xa activate --yes
has_vip "dual stack"
ip -n "$A" -4 -o addr show dev eth0 | grep -E "inet $VIP4/24 .*eth0:0" >/dev/null || fail "dual stack: $VIP4 missing"
expect_exit 0 xa status
ip netns exec "$C" bash -c "echo x > /dev/udp/$VIP4/9" 2>/dev/null || true
client_talks
[ "$(client_neigh | awk '{ print $1 }')" = "$MAC_A" ] || { client_neigh >&2; fail "dual stack: the client's $VIP entry"; }
ip -n "$C" neigh show "$VIP4" dev eth0 | grep -i "lladdr $MAC_A" >/dev/null || fail "dual stack: the client's $VIP4 entry"
expect_exit 0 xa deactivate --yes
no_vip "dual stack deactivate"
[ -z "$(ip -n "$A" -4 -o addr show | grep -F " $VIP4/" || true)" ] || fail "dual stack: $VIP4 left after deactivate"
expect_exit 3 xa status
rm -f "$T/conf.d/20-vip.conf" "$T/conf.d/21-vip6.conf"
vip_conf_default
pass "dual stack (the shipped files): $VIP4/24 and $VIP/64 taken and given up together, the client reaches both on $MAC_A"

# --- the configured interface does not exist; IPv6 disabled on it; the interface down ---
vip_conf "address = $VIP/64" "interface = nosuch0"
expect_exit 0 xa validate
expect_exit 3 xa status
expect_exit 0 xa deactivate --yes
expect_exit 1 xa activate --yes
expect_output "interface nosuch0 does not exist on this host: cannot take $VIP/64"
no_vip "on a missing interface"
vip_conf_default
ip netns exec "$A" sysctl -q -w net.ipv6.conf.eth0.disable_ipv6=1
expect_exit 1 xa activate --yes
expect_output "IPv6 is disabled on eth0"
expect_exit 3 xa status
expect_exit 0 xa deactivate --yes
ip netns exec "$A" sysctl -q -w net.ipv6.conf.eth0.disable_ipv6=0
ip -n "$A" addr add 2001:db8::1/64 dev eth0 nodad 2>/dev/null || true
no_vip "with IPv6 disabled"
ip -n "$A" link set eth0 down
expect_exit 1 xa activate --yes
expect_output "eth0 is down: refusing to take $VIP/64"
ip -n "$A" link set eth0 up
wait_carrier "$A"
# IPv6 flushes an interface's addresses when it goes down (keep_addr_on_down = 0): the node's own too.
ip -n "$A" addr add 2001:db8::1/64 dev eth0 nodad 2>/dev/null || true
no_vip "on a down interface"
pass "missing interface, IPv6 disabled, interface down: exit 1 with the reason, nothing added; status and deactivate work"

# --- bad input: exit 2, nothing added ---
bad() {
        local what=$1 want=$2
        shift 2
        vip_conf "$@"
        expect_exit 2 xa validate
        expect_output "$want"
        expect_exit 2 xa activate --yes
        no_vip "after $what"
        pass "bad input ($what): exit 2, nothing added"
}
bad "a label" "IPv6 addresses have no labels" "address = $VIP/64" "interface = eth0" "label = eth0:0"
bad "no prefix" "lacks a prefix length: write it as $VIP/64" "address = $VIP" "interface = eth0"
bad "prefix 0" "prefix length must be a number from 1 to 128" "address = $VIP/0" "interface = eth0"
bad "link-local" "link-local" "address = fe80::100/64" "interface = eth0"
bad "multicast" "multicast" "address = ff02::100/64" "interface = eth0"
bad "IPv4-mapped" "IPv4-mapped" "address = ::ffff:192.0.2.100/96" "interface = eth0"
bad "the loopback address" "loopback" "address = ::1/128" "interface = eth0"
bad "subnet-router anycast" "subnet-router anycast" "address = 2001:db8::/64" "interface = eth0"
bad "garp_count on IPv6" "set na_count and na_interval instead" "address = $VIP/64" "interface = eth0" "garp_count = 3"
bad "arp_mode on IPv6" "set na_count and na_interval instead" "address = $VIP/64" "interface = eth0" "arp_mode = reply"
bad "na_count out of range" "na_count = 101 is out of range" "address = $VIP/64" "interface = eth0" "na_count = 101"
bad "unknown dad" "dad = slaac: it must be 'probe' or 'kernel'" "address = $VIP/64" "interface = eth0" "dad = slaac"
bad "dad with probe = no" "contradict" "address = $VIP/64" "interface = eth0" "dad = kernel" "probe = no"
bad "dad on IPv4" "dad applies to IPv6 VIPs only" "address = $VIP4/24" "interface = eth0" "dad = kernel"

# --- probe = no, and announcements off: added at once ---
vip_conf_default "probe = no" "na_count = 0"
expect_exit 0 xa describe vip6
expect_output "no probe, added with nodad; 0 unsolicited neighbour advertisements"
expect_exit 0 xa activate --yes
has_vip "with probe = no"
expect_exit 0 xa deactivate --yes
no_vip "after probe = no"
pass "probe = no, na_count = 0: added without a probe"
