#!/bin/bash
# Integration test of the vip plugin: this node, a peer and an observer as network namespaces on a bridge.
# xhafw runs inside "this node"; only RFC 5737 addresses (192.0.2.0/24), only in namespaces made here.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-netns.sh"

need_root
need_cmd ip iproute2

P=xhvip-$$
BR=$P-br   # holds the bridge
A=$P-a     # this node: runs xhafw
B=$P-b     # the peer: the other management node
C=$P-c     # the observer: a client whose ARP cache must follow the VIP
VIP=192.0.2.100

need_netns "$P"
lan_up "$BR" "" "192.0.2.@/24" "$A" "$B" "$C"

# The observer learns a new neighbour from a gratuitous ARP only with arp_accept (an existing
# entry is overridden by one either way on current kernels). Set it so the test proves the
# announcement itself, not how long the observer happened to keep its stale entry.
ip netns exec "$C" sysctl -q -w net.ipv4.conf.all.arp_accept=1 net.ipv4.conf.eth0.arp_accept=1

MAC_A=$(mac "$A")
MAC_B=$(mac "$B")

wait_carrier "$A"

xh_config
# xa ARGS...: xhafw inside this node's namespace.
xa() { ip netns exec "$A" "$XHAFW" --config "$T/xhafw.conf" "$@"; }
# vip_conf LINE...: the [vip] step with exactly these option lines.
vip_conf() {
        {
                echo "[vip]"
                local l
                for l in "$@"; do echo "$l"; done
        } > "$T/conf.d/vip.conf"
}
vip_conf_default() { vip_conf "address = $VIP/24" "interface = eth0" "$@"; }

# The VIP as the kernel reports it on this node (ip -o: one line per address, the label last).
# (No "| grep -q" in this file: with pipefail, grep quitting early can fail the writer with SIGPIPE.)
vip_lines() { ip -n "$A" -4 -o addr show dev eth0 | grep -F " $VIP/" || true; }
has_vip() {
        vip_lines | grep -E "inet $VIP/24 brd 192\.0\.2\.255 .*eth0:0" >/dev/null ||
                { vip_lines >&2; fail "$*: $VIP/24 is not on eth0 as eth0:0 with its broadcast"; }
}
no_vip() { [ -z "$(vip_lines)" ] || { vip_lines >&2; fail "$*: $VIP is on eth0"; }; }

# observer_sees MAC: the observer's entry for the VIP points at MAC within 2 s.
observer_sees() {
        local i
        for ((i = 0; i < 20; i++)); do
                ip -n "$C" neigh show "$VIP" dev eth0 | grep -i "lladdr $1" >/dev/null && return 0
                sleep 0.1
        done
        ip -n "$C" neigh show "$VIP" dev eth0 >&2
        return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# --- validate, describe, status on a node without the VIP ---
vip_conf_default
expect_exit 0 xa validate
expect_exit 0 xa describe vip
expect_output "VIP $VIP/24 on eth0 as eth0:0; probe 3×50ms; 5 gratuitous ARPs"
expect_exit 3 xa status
pass "validate, describe, status INACTIVE"

# --- dry-run probes but adds nothing and announces nothing ---
ip -n "$C" neigh flush dev eth0
expect_exit 0 xa activate --dry-run --yes
expect_output "$VIP is free"
expect_output "would add $VIP/24 on eth0 as eth0:0"
sleep 0.3
no_vip "after a dry-run"
[ -z "$(ip -n "$C" neigh show "$VIP")" ] || fail "a dry-run announced $VIP to the observer"
pass "dry-run: probe reported, nothing added, no gratuitous ARP"

# --- activate, status, activate again, deactivate, deactivate again ---
t0=$(now_ms)
rc=0
xa --json activate --yes > "$T/act.json" 2> "$T/out" || rc=$?
t1=$(now_ms)
[ "$rc" = 0 ] || { cat "$T/act.json" "$T/out" >&2; fail "activate exited $rc"; }
has_vip "after activate"
# The gratuitous ARPs after the first (4 × 200 ms) are background work (xhafw_background): the
# step does not wait for them (the steps after it start at once); the run that succeeded does,
# so that none is cut short, and no sender is left behind.
step_ms=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(int(1000*[s for s in d["steps"] if s["name"]=="vip"][0]["seconds"]))' "$T/act.json")
[ "$step_ms" -lt 800 ] || fail "the vip step took $step_ms ms: is it waiting for its gratuitous ARPs?"
[ $((t1 - t0)) -ge 800 ] || fail "activate took $((t1 - t0)) ms: it did not wait for the 4 gratuitous ARPs after the first"
expect_exit 0 xa status
expect_exit 0 xa activate --yes
[ "$(vip_lines | wc -l)" = 1 ] || { vip_lines >&2; fail "activate twice left $(vip_lines | wc -l) addresses"; }
has_vip "after a second activate"
expect_exit 0 xa deactivate --yes
no_vip "after deactivate"
expect_exit 3 xa status
expect_exit 0 xa deactivate --yes
no_vip "after a second deactivate"
pass "activate adds $VIP/24 as eth0:0 (in $((t1 - t0)) ms), idempotent; deactivate removes it, idempotent"

# --- the address without its label: PARTIAL; activate relabels it; deactivate removes only it ---
ip -n "$A" addr add "$VIP/24" dev eth0
ip -n "$A" addr add 192.0.2.101/24 dev eth0 label eth0:1
expect_exit 4 xa status
expect_exit 0 xa activate --yes
has_vip "after relabelling"
expect_exit 0 xa deactivate --yes
no_vip "after deactivate"
ip -n "$A" -4 -o addr show dev eth0 | grep "192.0.2.101/24" >/dev/null || fail "deactivate removed another address"
ip -n "$A" -4 -o addr show dev eth0 | grep "192.0.2.1/24" >/dev/null || fail "deactivate removed the node's own address"
ip -n "$A" addr del 192.0.2.101/24 dev eth0
pass "unlabelled VIP reported PARTIAL and relabelled; deactivate leaves other addresses alone"

# --- the peer still holds the VIP: refused, nothing added; --force takes it ---
ip -n "$B" addr add "$VIP/24" dev eth0
expect_exit 6 xa activate --yes
expect_output "$VIP is in use by $MAC_B on eth0"
expect_output "is the other management node still active\? deactivate it or cut it off the network; --force overrides"
no_vip "after a refusal"
# A dry-run reports the refusal it foresees (its exit status is the engine's business: 0 or 6).
rc=0
xa activate --dry-run --yes > "$T/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 6 ] || { cat "$T/out" >&2; fail "activate --dry-run exited $rc"; }
expect_output "refused: $VIP is in use by $MAC_B"
no_vip "after a refused dry-run"
expect_exit 0 xa activate --yes --force
has_vip "after --force"
expect_exit 0 xa deactivate --yes
ip -n "$B" addr del "$VIP/24" dev eth0
pass "peer holding $VIP: exit 6 naming $MAC_B, nothing added; --force adds it"

# The VIP anywhere on this node, in any form (prefix, interface, label): one line per copy.
all_vip() { ip -n "$A" -4 -o addr show | grep -F " $VIP/" || true; }
no_vip_anywhere() { [ -z "$(all_vip)" ] || { all_vip >&2; fail "$*: $VIP is still on this node"; }; }
only_configured_vip() {
        has_vip "$*"
        [ "$(all_vip | wc -l)" = 1 ] || { all_vip >&2; fail "$*: $(all_vip | wc -l) copies of $VIP, expected exactly 1"; }
}
# add_eth1: a second interface of this node on the same segment. Linux answers ARP for a local
# address on any interface, so eth1 answers the probe eth0 sends whenever the VIP is on this node.
add_eth1() {
        local i
        ip -n "$BR" link add p9 type veth peer name eth1 netns "$A"
        ip -n "$BR" link set p9 master br0 up
        ip -n "$A" link set eth1 up
        for ((i = 0; i < 50; i++)); do
                ip -n "$A" link show dev eth1 | grep LOWER_UP >/dev/null && return 0
                sleep 0.1
        done
        fail "eth1 in $A has no carrier"
}

# --- the VIP held in another form: at least PARTIAL; deactivate removes every copy; activate
# converges to exactly the configured one (and is not refused because of this node's own copy) ---
add_eth1
# form, then whether the configured copy can sit beside it (the kernel keeps one address per
# interface, address and prefix length: another label on eth0 with /24 replaces it).
forms=("$VIP/16 dev eth0" yes
       "$VIP/32 dev eth0" yes
       "$VIP/24 dev eth0 label eth0:7" no
       "$VIP/24 dev eth0 label eth0" no
       "$VIP/24 dev eth1" yes
       "$VIP/32 dev eth1 label eth1:0" yes
       "$VIP/32 dev lo" yes)
for ((f = 0; f < ${#forms[@]}; f += 2)); do
        form=${forms[f]} beside=${forms[f + 1]}
        read -r -a form_args <<< "$form"
        ip -n "$A" addr add "${form_args[@]}"
        expect_exit 4 xa -v status
        expect_output "$VIP/[0-9]+ on [a-z0-9]+.* is the VIP in another form than configured"
        expect_exit 0 xa deactivate --yes
        expect_output "removed $VIP/"
        no_vip_anywhere "deactivate with $form"
        expect_exit 3 xa status
        ip -n "$A" addr add "${form_args[@]}"
        expect_exit 0 xa activate --yes
        only_configured_vip "activate with $form"
        expect_exit 0 xa status
        if [ "$beside" = yes ]; then
                ip -n "$A" addr add "${form_args[@]}"
                expect_exit 4 xa status
                expect_exit 0 xa activate --dry-run --yes
                expect_output "would remove $VIP/"
                [ "$(all_vip | wc -l)" = 2 ] || { all_vip >&2; fail "a dry-run changed the copies of $VIP"; }
                expect_exit 0 xa activate --yes
                only_configured_vip "activate with the configured copy and $form"
                expect_exit 0 xa status
        fi
        expect_exit 0 xa deactivate --yes
        no_vip_anywhere "deactivate after $form"
        pass "VIP as $form: status PARTIAL, deactivate removes it, activate leaves exactly $VIP/24 on eth0 as eth0:0"
done

# Our own copy on eth1 does not hide the peer: its answer still refuses, and nothing is changed.
ip -n "$B" addr add "$VIP/24" dev eth0
ip -n "$A" addr add "$VIP/24" dev eth1
expect_exit 6 xa activate --yes
expect_output "$VIP is in use by $MAC_B on eth0"
no_vip "after a refusal with a copy on eth1"
all_vip | grep -F "eth1" >/dev/null || fail "a refused activate removed the copy on eth1"
expect_exit 0 xa deactivate --yes
no_vip_anywhere "deactivate after a refusal"
ip -n "$B" addr del "$VIP/24" dev eth0
pass "VIP on eth1 and on the peer: exit 6 naming $MAC_B, nothing changed; deactivate removes the copy on eth1"

# --- a copy appears while the probe runs (a site's script, another tool): activate converges on
# the configured copy as it does when the copy was there before the probe; another node taking the
# VIP in the meantime is still a conflict. The probe window is made 2 s long (probes 0.5 s apart,
# so that some go out after the copy is there) and the copy is added
# 0.5 s into it; the log says the copy appeared during the probe, which shows the timing held. ---
# during_probe WHERE FORM: activate while FORM is added 0.5 s into the probe on this node (A) or
# the peer (B); its exit status in rc, its output in $T/out.
during_probe() {
        local ns=$1 adder
        local -a args
        read -r -a args <<< "$2"
        vip_conf_default "probe_count = 4" "probe_interval = 500ms" "probe_timeout = 500ms"
        (sleep 0.5 && ip -n "$ns" addr add "${args[@]}") &
        adder=$!
        rc=0
        timeout 30 ip netns exec "$A" "$XHAFW" --config "$T/xhafw.conf" -v activate --yes > "$T/out" 2>&1 || rc=$?
        wait "$adder" || fail "cannot add $2 in $ns during the probe"
}
# form on this node, and the removal the log must report ("" when the configured copy itself appears)
appear=("$VIP/32 dev lo" "removed $VIP/32 from lo"
        "$VIP/24 brd + dev eth0 label eth0:0" ""
        "$VIP/24 dev eth1" "removed $VIP/24 from eth1"
        "$VIP/32 dev eth0" "removed $VIP/32 from eth0"
        "$VIP/24 dev eth0 label eth0:7" "removed $VIP/24 from eth0 as eth0:7")
for ((f = 0; f < ${#appear[@]}; f += 2)); do
        form=${appear[f]} removed=${appear[f + 1]}
        during_probe "$A" "$form"
        [ "$rc" = 0 ] || { cat "$T/out" >&2; all_vip >&2; fail "activate with $form added during the probe exited $rc"; }
        expect_output "appeared on this node while the probe ran"
        [ -z "$removed" ] || expect_output "$removed"
        only_configured_vip "activate with $form added during the probe"
        expect_exit 0 xa status
        expect_exit 0 xa deactivate --yes
        no_vip_anywhere "deactivate after $form appeared during the probe"
        pass "$form added during the probe: activate converges on exactly $VIP/24 on eth0 as eth0:0"
done
# The peer takes the VIP during the probe: its answer refuses, and nothing is left on this node.
during_probe "$B" "$VIP/24 dev eth0"
[ "$rc" = 6 ] || { cat "$T/out" >&2; fail "activate with the peer taking $VIP during the probe exited $rc, not 6"; }
expect_output "$VIP is in use by $MAC_B on eth0"
no_vip_anywhere "after the peer took $VIP during the probe"
ip -n "$B" addr del "$VIP/24" dev eth0
vip_conf_default
pass "the peer takes $VIP during the probe: exit 6 naming $MAC_B, nothing added"

# --- the configured interface does not exist: giving the role up still works ---
vip_conf "address = $VIP/24" "interface = nosuch0"
expect_exit 0 xa validate
expect_exit 3 xa -v status
expect_output "interface nosuch0 does not exist on this host: $VIP is not held on it"
expect_exit 0 xa deactivate --yes
expect_exit 0 xa deactivate --dry-run --yes
expect_exit 1 xa activate --yes
expect_output "interface nosuch0 does not exist on this host: cannot take $VIP/24"
no_vip_anywhere "after activate on a missing interface"
# ... and the VIP held elsewhere on this node is still found and removed
ip -n "$A" addr add "$VIP/24" dev eth0
expect_exit 4 xa status
expect_exit 0 xa deactivate --yes
expect_output "removed $VIP/24 from eth0"
no_vip_anywhere "deactivate with a missing interface"
pass "missing interface: validate passes, status INACTIVE (PARTIAL with the VIP elsewhere), deactivate works, activate fails naming it"

# The interface vanishes while it holds the VIP (a NIC unplugged, a bond or VLAN deleted).
vip_conf "address = $VIP/24" "interface = eth1"
expect_exit 0 xa activate --yes
all_vip | grep -E "inet $VIP/24 .*eth1:0" >/dev/null || { all_vip >&2; fail "$VIP/24 is not on eth1 as eth1:0"; }
ip -n "$A" link del eth1
expect_exit 3 xa status
expect_exit 0 xa deactivate --yes
no_vip_anywhere "after eth1 vanished"
vip_conf_default
pass "the interface vanished with the VIP: status INACTIVE, deactivate exit 0"

# --- probe = no takes the address without asking (the peer holds it here) ---
ip -n "$B" addr add "$VIP/24" dev eth0
vip_conf_default "probe = no" "garp_count = 0"
expect_exit 0 xa describe vip
expect_output "VIP $VIP/24 on eth0 as eth0:0; no probe; 0 gratuitous ARPs"
expect_exit 0 xa activate --yes
has_vip "with probe = no"
expect_exit 0 xa deactivate --yes
ip -n "$B" addr del "$VIP/24" dev eth0
vip_conf_default
pass "probe = no: added without a probe"

# --- the VIP on a down interface is PARTIAL ---
expect_exit 0 xa activate --yes
ip -n "$A" link set eth0 down
expect_exit 4 xa status
ip -n "$A" link set eth0 up
wait_carrier "$A"
expect_exit 0 xa status
expect_exit 0 xa deactivate --yes
pass "VIP on a down interface: status PARTIAL (exit 4)"

# --- the observer's stale entry follows the VIP (gratuitous ARP request, then reply) ---
for mode in request reply; do
        vip_conf_default "arp_mode = $mode"
        ip -n "$C" neigh replace "$VIP" lladdr "$MAC_B" dev eth0 nud stale
        ip -n "$C" neigh show "$VIP" dev eth0 | grep -i "lladdr $MAC_B" >/dev/null || fail "cannot plant the stale entry"
        capture=
        if command -v tcpdump >/dev/null 2>&1; then
                # A packet capture (when tcpdump is installed) proves the ARP operation on the wire.
                ip netns exec "$C" timeout 5 tcpdump --immediate-mode -l -n -i eth0 arp > "$T/arp-$mode" 2>/dev/null &
                capture=$!
                sleep 0.5
        fi
        expect_exit 0 xa activate --yes
        observer_sees "$MAC_A" || fail "arp_mode=$mode: the observer still maps $VIP to $MAC_B, not $MAC_A"
        if [ -n "$capture" ]; then
                # The background work's 4 more, 200 ms apart: the run waited for them.
                sleep 0.3
                kill "$capture" 2>/dev/null || true
                wait "$capture" 2>/dev/null || true
                if [ "$mode" = request ]; then
                        n=$(grep -c "Request who-has $VIP tell $VIP" "$T/arp-$mode" || true)
                        [ "$n" = 5 ] || { cat "$T/arp-$mode" >&2; fail "$n gratuitous ARP requests seen, not 5"; }
                else
                        grep -q "Reply $VIP is-at $MAC_A" "$T/arp-$mode" ||
                                { cat "$T/arp-$mode" >&2; fail "no gratuitous ARP reply seen"; }
                fi
                grep -q "Request who-has $VIP tell 0.0.0.0" "$T/arp-$mode" ||
                        { cat "$T/arp-$mode" >&2; fail "no RFC 5227 probe (sender 0.0.0.0) seen"; }
        fi
        expect_exit 0 xa deactivate --yes
        pass "arp_mode=$mode: the observer's stale entry now points at this node ($MAC_A)"
done

# --- bad input: exit 2 from validate and from activate, nothing added ---
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
bad "missing interface" "interface" "address = $VIP/24"
bad "malformed address" "address" "address = 192.0.2.300/24" "interface = eth0"
bad "address without prefix" "lacks a prefix length" "address = $VIP" "interface = eth0"
bad "announcements longer than background work may last" "would last 990 s" "address = $VIP/24" "interface = eth0" \
        "garp_count = 100" "garp_interval = 10s"
bad "an IPv6 option on an IPv4 VIP" "na_count applies to IPv6 VIPs only" "address = $VIP/24" "interface = eth0" \
        "na_count = 3"
bad "long label" "longer than 15" "address = $VIP/24" "interface = eth0" "label = eth0:abcdefghijk"
bad "label of another interface" "must be 'eth0' or start with 'eth0:'" "address = $VIP/24" "interface = eth0" \
        "label = eth1:0"
bad "bad arp_mode" "arp_mode" "address = $VIP/24" "interface = eth0" "arp_mode = both"

# --- interface down: activate fails cleanly (exit 1), nothing added ---
vip_conf_default
ip -n "$A" link set eth0 down
expect_exit 1 xa activate --yes
expect_output "eth0 is down: refusing to take $VIP/24"
no_vip "after activate on a down interface"
ip -n "$A" link set eth0 up
wait_carrier "$A"
pass "interface down: exit 1 with the reason, nothing added"
