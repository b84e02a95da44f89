#!/bin/bash
# Benchmark of the vip step on IPv6 against Pacemaker's IPaddr2, in network namespaces made here
# (2001:db8::/32, RFC 3849).
# Usage (root): XHAFW=build/core/xhafw XHAFW_TEST_PLUGIN_PATH=build/plugins/vip bash tests/bench/vip6.sh [RUNS]
# Each round takes 2001:db8::100/64 over once per contender, interleaved so that a change in the
# machine's load hits all of them alike. Printed as median (min-max) over RUNS rounds:
#   - `xhafw activate` of the vip step alone as a whole process: dad = probe (the default: xhafw's
#     probe, 3 x 50 ms + 100 ms, then the address added with nodad), dad = kernel (the kernel's DAD,
#     waited for), probe = no; the engine's own figure for the apply action;
#   - the end of the probe window to the first neighbour advertisement: by the plugin's clock, and
#     on the wire at an observer (the last probe + probe_timeout; with the kernel's DAD, its
#     solicitation + retrans_time_ms);
#   - when the test-only `fake` plugin is on the plugin path, a step that just sleeps 200 ms: the
#     engine's own cost around an action as long as the default probe window, and the engine's
#     figure for its apply;
#   - IPaddr2 start with an IPv6 address: as shipped (the kernel's DAD, then send_ua in the
#     foreground), with arp_bg=true (send_ua in the background) and with nodad=true arp_bg=true
#     (no duplicate check at all); the same window-to-advertisement figure for its kernel DAD.
source "$(dirname "$0")/../integration/lib.sh"

need_root
need_cmd ip iproute2
RUNS=${1:-10}
[[ "$RUNS" =~ ^[0-9]+$ ]] && [ "$RUNS" -ge 1 ] && [ "$RUNS" -le 100 ] || fail "RUNS must be 1 to 100"
IPADDR2=/usr/lib/ocf/resource.d/heartbeat/IPaddr2

P=xhvip6b-$$
BR=$P-br
A=$P-a     # this node
C=$P-c     # an observer that captures what goes on the wire
VIP=2001:db8::100

ip netns add "$P-try" 2>/dev/null && ip netns del "$P-try" 2>/dev/null || skip "ip netns is unusable here"
[ -d /proc/sys/net/ipv6 ] || skip "the kernel has no IPv6"
for ns in "$BR" "$A" "$C"; do
        at_exit "ip netns del $ns 2>/dev/null"
done
ip netns add "$BR"
ip -n "$BR" link add br0 type bridge
ip -n "$BR" link set br0 up
i=1
for ns in "$A" "$C"; do
        ip netns add "$ns"
        ip -n "$BR" link add "p$i" type veth peer name eth0 netns "$ns"
        ip -n "$BR" link set "p$i" master br0 up
        ip -n "$ns" link set lo up
        ip -n "$ns" link set eth0 up
        ip -n "$ns" addr add "2001:db8::$i/64" dev eth0 nodad
        i=$((i + 1))
done
for ((i = 0; i < 50; i++)); do
        ip -n "$A" link show dev eth0 2>/dev/null | grep LOWER_UP >/dev/null && break
        sleep 0.1
done
RETRANS_MS=$(ip netns exec "$A" cat /proc/sys/net/ipv6/neigh/eth0/retrans_time_ms)

xh_config
mkdir -p "$T/kernel.d" "$T/noprobe.d"
printf '[vip6]\nplugin = vip\naddress = %s/64\ninterface = eth0\n' "$VIP" > "$T/conf.d/vip.conf"
printf '[vip6]\nplugin = vip\naddress = %s/64\ninterface = eth0\ndad = kernel\n' "$VIP" > "$T/kernel.d/vip.conf"
printf '[vip6]\nplugin = vip\naddress = %s/64\ninterface = eth0\nprobe = no\n' "$VIP" > "$T/noprobe.d/vip.conf"

# timed NS CMD...: runs CMD in NS, prints "MICROSECONDS EXIT START END" (START/END: wall-clock
# seconds, as tcpdump stamps packets); CMD's output goes to $T/out. The clock is read by bash
# itself ($EPOCHREALTIME), so no fork is counted.
timed() {
        local ns=$1
        shift
        ip netns exec "$ns" bash -c 's=$EPOCHREALTIME; "$@" > "$0" 2>&1; rc=$?; e=$EPOCHREALTIME;
                echo "$(( 10#${e/./} - 10#${s/./} )) $rc $s $e"' "$T/out" "$@"
}

stats() {
        sort -n | awk '{ v[NR] = $1 } END {
                if (NR == 0) { print "n/a"; exit }
                m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%.3f ms (%.3f-%.3f, n=%d)\n", m / 1000, v[1] / 1000, v[NR] / 1000, NR }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# record FILE "US RC START END": appends US to FILE (and START END to FILE.ranges); fails unless RC is 0.
record() {
        local file=$1 t rc s e
        read -r t rc s e <<< "$2"
        [ "$rc" = 0 ] || { cat "$T/out" >&2; fail "a timed run exited $rc"; }
        echo "$t" >> "$file"
        echo "$s $e" >> "$file.ranges"
}

xa() { timed "$A" "$XHAFW" --config "$T/xhafw.conf" "$@"; }
# ip2 START|STOP [KEY=VALUE...]: IPaddr2 with the VIP and extra OCF_RESKEY_ settings.
ip2() {
        local action=$1 kv env=()
        shift
        for kv in "$@"; do env+=("OCF_RESKEY_$kv"); done
        timed "$A" env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_ip="$VIP" OCF_RESKEY_cidr_netmask=64 OCF_RESKEY_nic=eth0 \
                "${env[@]}" "$IPADDR2" "$action"
}
# The VIP gone and nothing of IPaddr2's send_ua still announcing it.
settle() {
        local i
        for ((i = 0; i < 40; i++)); do
                ip -n "$A" -6 -o addr show dev eth0 2>/dev/null | grep -F " $VIP/" >/dev/null || break
                sleep 0.05
        done
        sleep 0.1
}

fake_dir=
IFS=: read -r -a dirs <<< "$XHAFW_TEST_PLUGIN_PATH"
for d in "${dirs[@]}"; do
        if [ -f "$d/fake.so" ]; then
                fake_dir=$d
                break
        fi
done
if [ -n "$fake_dir" ]; then
        mkdir -p "$T/fake.d"
        printf '[xhafw]\nconf_d = %s/fake.d\nplugin_path = %s\nstate_dir = %s/fake-state\n' "$T" "$fake_dir" "$T" \
                > "$T/fake.conf"
        printf '[sleep]\nplugin = fake\ntarget = %s/fake-marker\nsleep = 200ms\n' "$T" > "$T/fake.d/sleep.conf"
fi

ip2_modes=()
ip2_note=
declare -A ip2_args=([default]="" [bg]="arp_bg=true" [nodad]="nodad=true arp_bg=true")
if [ ! -x "$IPADDR2" ]; then
        ip2_note="IPaddr2 not installed (Debian package resource-agents)"
else
        at_exit "ip netns exec $A env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_ip=$VIP OCF_RESKEY_cidr_netmask=64 \
                OCF_RESKEY_nic=eth0 $IPADDR2 stop >/dev/null 2>&1"
        ip2_modes=(default bg nodad)
fi

capture=
if command -v tcpdump >/dev/null 2>&1; then
        ip netns exec "$C" timeout 1800 tcpdump --immediate-mode -l -n -tt -i eth0 \
                'icmp6 and (ip6[40] == 135 or ip6[40] == 136)' > "$T/wire" 2>/dev/null &
        capture=$!
        at_exit "kill $capture 2>/dev/null"
        sleep 0.5
fi

for f in probe kernel noprobe deact apply na-plugin dad-plugin na-kernel-plugin fake fake-apply; do : > "$T/$f"; done
for m in "${ip2_modes[@]}"; do : > "$T/ip2-$m"; done
for ((r = 0; r < RUNS; r++)); do
        record "$T/probe" "$(xa -v -v activate --yes)"
        sed -n 's/.*added and announced \([0-9.]*\) ms after the window closed.*/\1/p' "$T/out" |
                awk '{ printf "%d\n", $1 * 1000 }' >> "$T/na-plugin"
        sed -n 's/.*vip6: applied (\([0-9.]*\)s).*/\1/p' "$T/out" | awk '{ printf "%d\n", $1 * 1e6 }' >> "$T/apply"
        record "$T/deact" "$(xa deactivate --yes)"
        settle

        record "$T/kernel" "$(xa -v --conf-d "$T/kernel.d" activate --yes)"
        sed -n "s/.*duplicate-address detection took \([0-9.]*\) ms; announced \([0-9.]*\) ms after.*/\1 \2/p" "$T/out" |
                awk -v d="$T/dad-plugin" -v n="$T/na-kernel-plugin" \
                        '{ printf "%d\n", $1 * 1000 >> d; printf "%d\n", $2 * 1000 >> n }'
        xa --conf-d "$T/kernel.d" deactivate --yes > /dev/null
        settle

        record "$T/noprobe" "$(xa --conf-d "$T/noprobe.d" activate --yes)"
        xa --conf-d "$T/noprobe.d" deactivate --yes > /dev/null
        settle

        if [ -n "$fake_dir" ]; then
                record "$T/fake" "$(timed "$A" "$XHAFW" --config "$T/fake.conf" -v activate --yes)"
                sed -n 's/.*sleep: applied (\([0-9.]*\)s).*/\1/p' "$T/out" | awk '{ printf "%d\n", $1 * 1e6 }' >> "$T/fake-apply"
                timed "$A" "$XHAFW" --config "$T/fake.conf" deactivate --yes > /dev/null
        fi

        for m in "${ip2_modes[@]}"; do
                # shellcheck disable=SC2086 # the settings are words
                record "$T/ip2-$m" "$(ip2 start ${ip2_args[$m]})"
                # its background send_ua (arp_bg) goes on for 5 x 200 ms: not into the next run
                [ "$m" = default ] || sleep 1.1
                ip2 stop > /dev/null
                settle
        done
done

# From the wire, within each run of FILE: the first advertisement of the VIP after its last
# solicitation from :: (xhafw's probe or the kernel's DAD), less the window after it (WINDOW seconds).
wire_gap() {
        local ranges=$1 window=$2
        awk -v vip="$VIP" -v w="$window" '
                FNR == NR { s[NR] = $1; e[NR] = $2; n = NR; next }
                {
                        run = 0
                        for (i = 1; i <= n; i++) if ($1 >= s[i] && $1 <= e[i] + 0.05) run = i
                        if (run != cur) { cur = run; last = 0; done = 0 }
                        if (!run || done) next
                }
                $0 ~ ":: > ff02::1:ff00:100: ICMP6, neighbor solicitation.*who has " vip { last = $1; next }
                last && $0 ~ "neighbor advertisement, tgt is " vip { printf "%d\n", ($1 - last - w) * 1e6; done = 1 }
        ' "$ranges" "$T/wire"
}
if [ -n "$capture" ]; then
        sleep 0.5
        kill "$capture" 2>/dev/null || true
        wait "$capture" 2>/dev/null || true
        wire_gap "$T/probe.ranges" 0.100 > "$T/na-wire"
        wire_gap "$T/kernel.ranges" "$(awk -v m="$RETRANS_MS" 'BEGIN { print m / 1000 }')" > "$T/na-kernel-wire"
        for m in "${ip2_modes[@]}"; do
                [ "$m" = nodad ] && continue
                wire_gap "$T/ip2-$m.ranges" "$(awk -v m="$RETRANS_MS" 'BEGIN { print m / 1000 }')" > "$T/na-ip2-$m-wire"
        done
fi

x=$(median < "$T/probe")
line() { printf '  %-84s %s\n' "$1:" "$2"; }
echo "IPv6 vip takeover of $VIP/64 on a veth pair, $RUNS interleaved rounds, median (min-max); load $(cut -d' ' -f1-3 /proc/loadavg)"
line "xhafw activate, dad = probe (3x50ms+100ms, then nodad), whole process" "$(stats < "$T/probe")"
line "xhafw activate, dad = kernel (the kernel's DAD, waited for), whole process" "$(stats < "$T/kernel")"
line "xhafw activate, probe = no, whole process" "$(stats < "$T/noprobe")"
line "xhafw deactivate, whole process" "$(stats < "$T/deact")"
line "vip apply (dad = probe) as reported by the engine" "$(stats < "$T/apply")"
if [ -s "$T/fake" ]; then
        line "engine baseline: xhafw activate of a test step that sleeps 200 ms, whole process" "$(stats < "$T/fake")"
        line "engine baseline: its apply as reported by the engine" "$(stats < "$T/fake-apply")"
fi
line "dad = probe: probe window end -> first advertisement, plugin's clock" "$(stats < "$T/na-plugin")"
line "dad = kernel: the kernel's DAD (added -> not tentative), plugin's clock" "$(stats < "$T/dad-plugin")"
line "dad = kernel: DAD over -> first advertisement, plugin's clock" "$(stats < "$T/na-kernel-plugin")"
if [ -n "$capture" ]; then
        line "dad = probe: probe window end -> first advertisement on the wire" "$(stats < "$T/na-wire")"
        line "dad = kernel: DAD window end (solicitation + ${RETRANS_MS} ms) -> first advertisement, wire" \
                "$(stats < "$T/na-kernel-wire")"
else
        echo "  (no wire measurement: tcpdump not installed)"
fi
for m in "${ip2_modes[@]}"; do
        line "IPaddr2 start ${ip2_args[$m]:-(as shipped)}" "$(stats < "$T/ip2-$m")"
        [ ! -s "$T/na-ip2-$m-wire" ] ||
                line "  its DAD window end (solicitation + ${RETRANS_MS} ms) -> first advertisement, wire" \
                        "$(stats < "$T/na-ip2-$m-wire")"
done
for m in "${ip2_modes[@]}"; do
        line "ratio IPaddr2 start (${ip2_args[$m]:-as shipped}) / xhafw activate (dad = probe)" \
                "$(awk -v a="$(median < "$T/ip2-$m")" -v x="$x" 'BEGIN { printf "%.1fx", a / x }')"
done
[ -z "$ip2_note" ] || echo "  note: $ip2_note"
if [ -s "$T/na-plugin" ]; then
        line "target: first advertisement <= 5 ms after the probe window (plugin's clock)" \
                "$(awk -v g="$(median < "$T/na-plugin")" 'BEGIN { print g <= 5000 ? "met" : "NOT met" }')"
        line "target: apply within the probe window (200 ms) + 5 ms (engine's figure)" \
                "$(awk -v g="$(median < "$T/apply")" 'BEGIN { print g <= 205000 ? "met" : "NOT met" }')"
fi
if [ -s "$T/fake-apply" ]; then
        # The engine's figure holds its own cost around any action (fork, result, journal); the
        # baseline step sleeps exactly the window, so what the vip apply takes beyond it is the plugin's.
        extra=$(awk -v a="$(median < "$T/apply")" -v b="$(median < "$T/fake-apply")" 'BEGIN { print a - b }')
        line "vip apply beyond the baseline's apply (the plugin's own cost over the window)" \
                "$(awk -v e="$extra" 'BEGIN { printf "%.3f ms", e / 1000 }')"
        line "target: the plugin's own cost over the window <= 5 ms" \
                "$(awk -v e="$extra" 'BEGIN { print e <= 5000 ? "met" : "NOT met" }')"
fi
