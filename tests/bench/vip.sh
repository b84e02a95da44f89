#!/bin/bash
# Benchmark of the vip step against Pacemaker's IPaddr2, in network namespaces made here (RFC 5737 addresses).
# Usage (root): XHAFW=build/core/xhafw XHAFW_TEST_PLUGIN_PATH=build/plugins/vip[:build/tests/plugins] \
#               bash tests/bench/vip.sh [RUNS]
# Each round takes 192.0.2.100/24 over once per contender, interleaved so that a change in the
# machine's load hits all of them alike. Printed as median (min-max) over RUNS rounds:
#   - `xhafw activate` of the vip step alone, default probe, as a whole process (target <= 250 ms),
#     and with probe = no; the engine's own figure for the apply action;
#   - from the end of the probe window to the address being present and the first gratuitous ARP
#     sent, by the plugin's clock and on the wire at an observer (target <= 5 ms);
#   - IPaddr2 start with run_arping=false and =true, and the ratios (target >= 10x against =true);
#   - when the test-only `fake` plugin is on the plugin path, a step that just sleeps 200 ms: the
#     engine's own cost around an action as long as the default probe window.
source "$(dirname "$0")/../integration/lib.sh"

need_root
need_cmd ip iproute2
RUNS=${1:-10}
[[ "$RUNS" =~ ^[0-9]+$ ]] && [ "$RUNS" -ge 1 ] && [ "$RUNS" -le 100 ] || fail "RUNS must be 1 to 100"
IPADDR2=/usr/lib/ocf/resource.d/heartbeat/IPaddr2

P=xhvipb-$$
BR=$P-br
A=$P-a     # this node
C=$P-c     # an observer that captures what goes on the wire
VIP=192.0.2.100

ip netns add "$P-try" 2>/dev/null && ip netns del "$P-try" 2>/dev/null ||
        skip "ip netns is unusable here"
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
        ip -n "$ns" addr add "192.0.2.$i/24" dev eth0
        i=$((i + 1))
done
for ((i = 0; i < 50; i++)); do
        ip -n "$A" link show dev eth0 | grep LOWER_UP >/dev/null && break
        sleep 0.1
done

xh_config
printf '[vip]\naddress = %s/24\ninterface = eth0\n' "$VIP" > "$T/conf.d/vip.conf"
mkdir -p "$T/noprobe.d"
printf '[vip]\naddress = %s/24\ninterface = eth0\nprobe = no\n' "$VIP" > "$T/noprobe.d/vip.conf"

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

# timed NS CMD...: runs CMD in NS, prints "MICROSECONDS EXIT START END" (START/END: wall-clock
# seconds, as tcpdump stamps packets); CMD's output goes to $T/out. The clock is read by bash
# itself ($EPOCHREALTIME), so no fork is counted.
timed() {
        local ns=$1
        shift
        ip netns exec "$ns" bash -c 's=$EPOCHREALTIME; "$@" > "$0" 2>&1; rc=$?; e=$EPOCHREALTIME;
                echo "$(( 10#${e/./} - 10#${s/./} )) $rc $s $e"' "$T/out" "$@"
}

# stats < microseconds, one per line: "median (min-max) ms, n"
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
ip2() {
        timed "$A" env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_ip="$VIP" OCF_RESKEY_cidr_netmask=24 OCF_RESKEY_nic=eth0 \
                OCF_RESKEY_run_arping="$1" "$IPADDR2" "$2"
}

ip2_modes=()
ip2_note=
if [ ! -x "$IPADDR2" ]; then
        ip2_note="IPaddr2 not installed (Debian package resource-agents)"
else
        # Its pid files live in /run/resource-agents; stop removes them.
        at_exit "ip netns exec $A env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_ip=$VIP OCF_RESKEY_cidr_netmask=24 \
                OCF_RESKEY_nic=eth0 $IPADDR2 stop >/dev/null 2>&1"
        ip2_modes=(false)
        if command -v arping >/dev/null 2>&1; then
                ip2_modes+=(true)
        else
                ip2_note="IPaddr2 run_arping=true skipped: arping not installed (Debian package iputils-arping)"
        fi
fi

# The observer captures everything; only the packets within xhafw's default runs are used.
capture=
if command -v tcpdump >/dev/null 2>&1; then
        ip netns exec "$C" timeout 900 tcpdump --immediate-mode -l -n -tt -i eth0 arp > "$T/wire" 2>/dev/null &
        capture=$!
        at_exit "kill $capture 2>/dev/null"
        sleep 0.5
fi

for f in xhafw noprobe fake deact apply garp-plugin ip2-false ip2-true ip2-stop; do : > "$T/$f"; done
for ((r = 0; r < RUNS; r++)); do
        record "$T/xhafw" "$(xa -v -v activate --yes)"
        # The plugin's figure: "... added and announced X ms after the window closed".
        sed -n 's/.*added and announced \([0-9.]*\) ms after the window closed.*/\1/p' "$T/out" |
                awk '{ printf "%d\n", $1 * 1000 }' >> "$T/garp-plugin"
        # The engine's figure: "[  0.205s] vip: applied (0.204s)".
        sed -n 's/.*vip: applied (\([0-9.]*\)s).*/\1/p' "$T/out" | awk '{ printf "%d\n", $1 * 1e6 }' >> "$T/apply"
        record "$T/deact" "$(xa deactivate --yes)"
        sleep 0.1

        record "$T/noprobe" "$(xa --conf-d "$T/noprobe.d" activate --yes)"
        xa --conf-d "$T/noprobe.d" deactivate --yes > /dev/null
        sleep 0.1

        if [ -n "$fake_dir" ]; then
                record "$T/fake" "$(timed "$A" "$XHAFW" --config "$T/fake.conf" activate --yes)"
                timed "$A" "$XHAFW" --config "$T/fake.conf" deactivate --yes > /dev/null
        fi

        for ra in "${ip2_modes[@]}"; do
                record "$T/ip2-$ra" "$(ip2 "$ra" start)"
                record "$T/ip2-stop" "$(ip2 "$ra" stop)"
                sleep 0.1
        done
done

# From the wire, within each default xhafw run: first gratuitous ARP - (last probe + probe_timeout 100 ms).
: > "$T/garp-wire"
if [ -n "$capture" ]; then
        sleep 0.5
        kill "$capture" 2>/dev/null || true
        wait "$capture" 2>/dev/null || true
        awk -v vip="$VIP" '
                FNR == NR { s[NR] = $1; e[NR] = $2; n = NR; next }
                {
                        inrun = 0
                        for (i = 1; i <= n; i++) if ($1 >= s[i] && $1 <= e[i]) inrun = 1
                        if (!inrun) { last = 0; next }
                }
                $0 ~ "who-has " vip " tell 0\\.0\\.0\\.0" { last = $1; next }
                last && $0 ~ "who-has " vip " tell " vip { printf "%d\n", ($1 - last - 0.100) * 1e6; last = 0 }
        ' "$T/xhafw.ranges" "$T/wire" > "$T/garp-wire"
fi

x=$(median < "$T/xhafw")
line() { printf '  %-76s %s\n' "$1:" "$2"; }
echo "vip takeover of $VIP/24 on a veth pair, $RUNS interleaved rounds, median (min-max)"
line "xhafw activate, vip step alone, default probe (3x50ms+100ms), whole process" "$(stats < "$T/xhafw")"
line "xhafw activate, probe = no, whole process" "$(stats < "$T/noprobe")"
line "xhafw deactivate, whole process" "$(stats < "$T/deact")"
line "vip apply as reported by the engine" "$(stats < "$T/apply")"
[ ! -s "$T/fake" ] || line "engine baseline: xhafw activate of a test step that sleeps 200 ms" "$(stats < "$T/fake")"
line "probe window end -> address added + first gratuitous ARP, plugin's clock" "$(stats < "$T/garp-plugin")"
if [ -n "$capture" ]; then
        line "probe window end -> first gratuitous ARP on the wire (observer)" "$(stats < "$T/garp-wire")"
else
        echo "  (no wire measurement: tcpdump not installed)"
fi
for ra in "${ip2_modes[@]}"; do
        line "IPaddr2 start, run_arping=$ra" "$(stats < "$T/ip2-$ra")"
done
[ ! -s "$T/ip2-stop" ] || line "IPaddr2 stop" "$(stats < "$T/ip2-stop")"
for ra in "${ip2_modes[@]}"; do
        line "ratio IPaddr2 start (run_arping=$ra) / xhafw activate" \
                "$(awk -v a="$(median < "$T/ip2-$ra")" -v x="$x" 'BEGIN { printf "%.1fx", a / x }')$(
                [ "$ra" = true ] && echo ' (target >= 10x)' || true)"
done
[ -z "$ip2_note" ] || echo "  note: $ip2_note"
line "target: xhafw activate <= 250 ms" "$(awk -v x="$x" 'BEGIN { print x <= 250000 ? "met" : "NOT met" }')"
if [ -s "$T/garp-plugin" ]; then
        line "target: address + first gratuitous ARP <= 5 ms after the window" \
                "$(awk -v g="$(median < "$T/garp-plugin")" 'BEGIN { print g <= 5000 ? "met" : "NOT met" }')"
fi
