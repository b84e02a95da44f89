# Shared helpers for the integration tests that build a LAN of network namespaces (vip, vip6,
# postgres6): sourced after lib.sh, never run alone.

# need_netns PREFIX: skip unless network namespaces can be made here (a trial one named PREFIX-try).
need_netns() {
        ip netns add "$1-try" 2>/dev/null && ip netns del "$1-try" 2>/dev/null ||
                skip "ip netns is unusable here (needs CAP_SYS_ADMIN and network namespaces)"
}

# lan_up BR "BRIDGE OPTIONS" "ADDR[;ADDR...]" NS...: namespace BR holds a bridge br0 (with the
# options given to "ip link add br0 type bridge"), and each NS is on it by a veth pair, eth0 in NS
# and pN on the bridge, lo and eth0 up. Each ADDR ("2001:db8::@/64 nodad": @ is the node's number,
# 1 for the first NS) is added to eth0. Every namespace is deleted at exit.
lan_up() {
        local br=$1 opts=$2 addrs=$3 ns a i=1
        shift 3
        local -a bridge_opts addr_list addr_args
        read -r -a bridge_opts <<< "$opts"
        IFS=';' read -r -a addr_list <<< "$addrs"
        for ns in "$br" "$@"; do
                at_exit "ip netns del $ns 2>/dev/null"
        done
        ip netns add "$br"
        ip -n "$br" link add br0 type bridge "${bridge_opts[@]}"
        ip -n "$br" link set br0 up
        for ns in "$@"; do
                ip netns add "$ns"
                ip -n "$br" link add "p$i" type veth peer name eth0 netns "$ns"
                ip -n "$br" link set "p$i" master br0 up
                ip -n "$ns" link set lo up
                ip -n "$ns" link set eth0 up
                for a in "${addr_list[@]}"; do
                        read -r -a addr_args <<< "${a//@/$i}"
                        ip -n "$ns" addr add "${addr_args[0]}" dev eth0 "${addr_args[@]:1}"
                done
                i=$((i + 1))
        done
}

# wait_carrier NS [DEV]: a veth end that was just made, or set down, needs a moment before it
# carries traffic (again).
wait_carrier() {
        local ns=$1 dev=${2:-eth0} i
        for ((i = 0; i < 50; i++)); do
                ip -n "$ns" link show dev "$dev" 2>/dev/null | grep 'LOWER_UP' >/dev/null && return 0
                sleep 0.1
        done
        fail "$dev in $ns has no carrier"
}

# mac NS: the MAC address of eth0 in NS. ("ip -n NS ..." prints the peer's namespace of a veth,
# and complains on stderr once it is gone.)
mac() { ip -n "$1" -br link show dev eth0 2>/dev/null | awk '{ print $3 }'; }

# free_port CMD...: set PORT to a TCP port nothing listens on where CMD runs ss (a namespace's
# "ip netns exec NS"), or fail.
free_port() {
        local p
        PORT=
        for _ in $(seq 1 50); do
                p=$((20000 + RANDOM % 20000))
                if [ -z "$("$@" ss -Hltn "sport = :$p")" ]; then PORT=$p; break; fi
        done
        [ -n "$PORT" ] || fail "no free port found"
}
