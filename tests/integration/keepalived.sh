#!/bin/bash
# The keepalived example (contrib/keepalived): its configuration passes `keepalived -t`, its notify script
# serializes events and reports failures through the track file, and two real keepalived daemons in two
# network namespaces move the role: the master activates, and when it stops the peer takes over.
source "$(dirname "$0")/lib.sh"
need_root
src=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
conf=$src/contrib/keepalived/keepalived.conf
notify_src=$src/contrib/keepalived/keepalived-notify
need_cmd keepalived keepalived
need_cmd flock util-linux

bash -n "$notify_src" || fail "the notify script does not parse"
if command -v shellcheck >/dev/null; then
        shellcheck -S warning "$notify_src" || fail "shellcheck finds warnings in the notify script"
fi

# keepalived -t: the example parses, and the only thing reported is the missing VIP, which is deliberate
# (xhafw's vip step owns the address). A broken copy proves that -t does look at the file.
(cd "$T" && keepalived -t -f "$conf") > "$T/kt.out" 2>&1 || true
grep -q "No VIP specified" "$T/kt.out" || { cat "$T/kt.out" >&2; fail "keepalived -t did not run on the example"; }
if grep -v "No VIP specified" "$T/kt.out" | grep -q .; then
        cat "$T/kt.out" >&2
        fail "keepalived -t reports more than the deliberate missing VIP"
fi
sed 's/advert_int 1/advert_intt 1/' "$conf" > "$T/broken.conf"
(cd "$T" && keepalived -t -f "$T/broken.conf") > "$T/kt2.out" 2>&1 || true
grep -v "No VIP specified" "$T/kt2.out" | grep -q . || fail "keepalived -t does not notice an unknown keyword"
pass "keepalived -t: the example is clean but for the deliberate missing VIP"

# Two nodes' worth of xhafw configuration on this host: node a and node b, each with its own services
# (files under $T/NODE/svc), state and run directory.
install -d -m 0755 "$T/bin"
install -m 0755 "$notify_src" "$T/bin/keepalived-notify"
node_config() {
        local n=$1
        mkdir -p "$T/$n/conf.d" "$T/$n/svc"
        cat > "$T/$n/xhafw.conf" <<EOF
[xhafw]
conf_d = $T/$n/conf.d
plugin_path = $XHAFW_TEST_PLUGIN_PATH
state_dir = $T/$n/state
timeout = 10s
service_manager = $src/tests/integration/svcman.sh, $T/$n/svc
EOF
        cat > "$T/$n/conf.d/10-ka.conf" <<EOF
[web]
plugin = service
unit = web

[db]
plugin = service
unit = db
after = web

[slow]
plugin = fake
target = $T/$n/slow.active
sleep = 1s
after = web
EOF
}
node_config a
node_config b
notify() { "$T/bin/keepalived-notify" --config "$T/$1/xhafw.conf" --xhafw "$XHAFW" --run-dir "$T/$1/run" "$2" 2>> "$T/notify.log"; }
is_active() { [ -e "$T/$1/svc/db.active" ] && [ -e "$T/$1/svc/web.active" ]; }
is_inactive() { [ ! -e "$T/$1/svc/db.active" ] && [ ! -e "$T/$1/svc/web.active" ]; }

notify a master || { tail -20 "$T/notify.log" >&2; fail "notify master"; }
is_active a || fail "notify master did not activate"
notify a master || fail "a second notify master"
notify a backup || { tail -20 "$T/notify.log" >&2; fail "notify backup"; }
is_inactive a || fail "notify backup did not deactivate"
notify a fault || fail "notify fault on an inactive node"
pass "notify: master activates, backup deactivates, repeats are harmless"

touch "$T/a/svc/db.fail-start"
rc=0
notify a master || rc=$?
[ $rc = 1 ] || fail "a failed activate: notify exited $rc"
is_inactive a || fail "a failed activate was not rolled back"
[ "$(cat "$T/a/run/keepalived-failed")" = 1 ] || fail "a failed activate did not set the track file"
grep -q "VRRP FAULT" "$T/notify.log" || fail "no reason logged"
rm "$T/a/svc/db.fail-start"
notify a reset
[ "$(cat "$T/a/run/keepalived-failed")" = 0 ] || fail "reset did not clear the track file"
pass "notify: a failed activate rolls back and sets the track file (VRRP FAULT); reset clears it"

# A flap: master, then backup 0.3s later while the activate still runs (the slow step takes 1s). The backup event waits
# for the lock and wins; the master run does not undo it.
notify a master &
p1=$!
sleep 0.3
notify a backup &
p2=$!
wait $p1 || { tail -20 "$T/notify.log" >&2; fail "flap: master"; }
wait $p2 || { tail -20 "$T/notify.log" >&2; fail "flap: backup"; }
is_inactive a || fail "flap master -> backup did not end inactive"
# And the other way: backup then master ends active.
notify a master
notify a backup &
p1=$!
sleep 0.3
notify a master &
p2=$!
wait $p1 && wait $p2 || fail "flap backup -> master"
is_active a || fail "flap backup -> master did not end active"
notify a backup
pass "notify: events are serialized and the last one wins"

# Two real keepalived daemons: namespaces ka-a and ka-b joined by a veth pair, 192.0.2.11 and .12.
ip netns list >/dev/null 2>&1 || skip "needs ip netns (iproute2)"
ns_a=xhafw-ka-a.$$ ns_b=xhafw-ka-b.$$
ip netns add "$ns_a"
at_exit "ip netns del $ns_a"
ip netns add "$ns_b"
at_exit "ip netns del $ns_b"
if_a=kva$$ if_b=kvb$$
ip link add "$if_a" netns "$ns_a" type veth peer name "$if_b" netns "$ns_b"
ip -n "$ns_a" addr add 192.0.2.11/24 dev "$if_a"
ip -n "$ns_b" addr add 192.0.2.12/24 dev "$if_b"
for ns in "$ns_a" "$ns_b"; do ip -n "$ns" link set lo up; done
ip -n "$ns_a" link set "$if_a" up
ip -n "$ns_b" link set "$if_b" up

# The example configuration, with this test's interface, addresses, priorities and paths.
ka_config() {
        local n=$1 ifname=$2 me=$3 peer=$4 prio=$5
        sed -e "s|interface eth0|interface $ifname|" \
            -e "s|router_id xcatmn1|router_id xcatmn-$n|" \
            -e "s|unicast_src_ip 192.0.2.11|unicast_src_ip $me|" \
            -e "s|^                192.0.2.12|                $peer|" \
            -e "s|priority 100|priority $prio|" \
            -e "s|file /run/xhafw/keepalived-failed|file $T/$n/run/keepalived-failed|" \
            -e "s|\"/usr/libexec/xhafw/keepalived-notify \\([a-z]*\\)\"|\"$T/bin/keepalived-notify --config $T/$n/xhafw.conf --xhafw $XHAFW --run-dir $T/$n/run \\1\"|" \
            "$conf" > "$T/$n/keepalived.conf"
        grep -q "$T/bin/keepalived-notify" "$T/$n/keepalived.conf" || fail "could not adapt the example for node $n"
        install -d -m 0700 "$T/$n/run"
}
ka_config a "$if_a" 192.0.2.11 192.0.2.12 100
ka_config b "$if_b" 192.0.2.12 192.0.2.11 90
declare -A ka_pid
start_ka() {
        local n=$1 ns=$2
        ip netns exec "$ns" keepalived --vrrp --dont-fork --log-console --log-detail -f "$T/$n/keepalived.conf" \
                -p "$T/$n/keepalived.pid" -r "$T/$n/vrrp.pid" > "$T/$n/keepalived.log" 2>&1 &
        ka_pid[$n]=$!
        at_exit "kill $! 2>/dev/null; for w in \$(seq 1 40); do kill -0 $! 2>/dev/null || break; sleep 0.25; done"
}
# stop_ka NODE: stop its keepalived and wait until it exited (its pid file goes with it), so that it
# can be started again.
stop_ka() {
        local pid=${ka_pid[$1]} k
        kill "$pid"
        for ((k = 0; k < 80; k++)); do
                [ -e "/proc/$pid" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$pid/stat" 2>/dev/null || break
                sleep 0.25
        done
        wait "$pid" 2>/dev/null || true
}
wait_until() {
        local limit=$1 what=$2 k
        shift 2
        for ((k = 0; k < limit * 4; k++)); do "$@" && return 0; sleep 0.25; done
        tail -n 20 "$T/a/keepalived.log" "$T/b/keepalived.log" "$T/notify.log" >&2
        fail "timed out after ${limit}s waiting for $what"
}

# a first: alone, it becomes master when its master-down timer expires. (Started together, two BACKUP
# nodes with nopreempt race: their timers differ by the priority skew only, 40 ms here.)
t0=$(date +%s.%N)
start_ka a "$ns_a"
wait_until 20 "node a to become master and activate" is_active a
t1=$(date +%s.%N)
start_ka b "$ns_b"
sleep 5
is_inactive b || fail "node b activated while a is master"
is_active a || fail "node a lost the role when b started"
pass "keepalived: a became master and activated in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1fs", b - a }'); b joined as backup and stays inactive"

# The master stops (an admin, or the node going down): a deactivates (notify stop), b takes over.
t0=$(date +%s.%N)
stop_ka a
wait_until 20 "node b to become master and activate" is_active b
t1=$(date +%s.%N)
wait_until 10 "node a to deactivate" is_inactive a
pass "keepalived: a stopped, b took over the role in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1fs", b - a }')"

# a comes back: nopreempt, so b keeps the role.
start_ka a "$ns_a"
sleep 5
is_active b && is_inactive a || fail "the returning node took the role back (nopreempt)"
pass "keepalived: a returned as backup; b keeps the role (nopreempt)"

# a cannot take the role (its db fails to start) when b stops: a's activate rolls back, the track file
# puts a in FAULT, and when b returns, b becomes master and takes the role again.
touch "$T/a/svc/db.fail-start"
stop_ka b
wait_until 10 "node b to deactivate" is_inactive b
a_failed() { [ "$(cat "$T/a/run/keepalived-failed" 2>/dev/null)" = 1 ]; }
wait_until 20 "node a's failed activate to set the track file" a_failed
wait_until 10 "node a to enter FAULT" grep -q "Entering FAULT STATE" "$T/a/keepalived.log"
is_inactive a || fail "node a's failed activate was not rolled back"
t0=$(date +%s.%N)
start_ka b "$ns_b"
wait_until 20 "node b to become master while a is in FAULT" is_active b
t1=$(date +%s.%N)
is_inactive a || fail "node a holds part of the role while in FAULT"
pass "keepalived: a failed to activate -> rolled back, VRRP FAULT; b returned and took the role in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1fs", b - a }')"

# The admin fixes a and resets the track file: a leaves FAULT as a backup; b keeps the role.
rm "$T/a/svc/db.fail-start"
notify a reset
wait_until 10 "node a to leave FAULT" grep -q "Entering BACKUP STATE" <(sed -n '/Entering FAULT STATE/,$p' "$T/a/keepalived.log")
sleep 3
is_active b && is_inactive a || fail "after the reset the role moved"
stop_ka b
wait_until 20 "node a to become master and activate" is_active a
wait_until 10 "node b to deactivate" is_inactive b
stop_ka a
wait_until 10 "node a to deactivate on stop" is_inactive a
pass "keepalived: after a reset a is a backup again and takes over when b stops; all inactive once both are stopped"
