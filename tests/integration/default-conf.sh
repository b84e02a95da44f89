#!/bin/bash
# The whole shipped conf.d, activated and deactivated for real (full-env.sh): the journal proves
# the graph's order on the way up and its reverse on the way down, the steps that only need xcatd
# run at once, status answers 0 and 3, and a client reaches the database through the VIP.
source "$(dirname "$0")/full-env.sh"

# Durations from the xCAT HA documentation's activation log (seconds), so that the parallel steps
# take long enough to be seen overlapping; chronyd takes 4 s to start, as `chronyd -w` waiting for
# its first server would, so that ntp, which needs nothing, is still starting when xcatd is up.
fresh_xcat fake.delay.makedns-n=1.5 fake.delay.makedhcp-n=0.49 fake.delay.makedhcp-a=0.94 \
        fake.delay.makeconservercf=0.55 fake.delay.lsdef=0.05
echo 4 > "$T/svc/chronyd.delay-start"
hosts_before=$(md5sum < "$T/files/hosts")

# after_of STEP: the steps STEP is after, from the configured conf.d, one a line.
after_of() {
        awk -v s="$1" '
                /^\[/ { cur = substr($0, 2, index($0, "]") - 2); next }
                cur == s && /^after[ \t]*=/ { sub(/^after[ \t]*=[ \t]*/, ""); n = split($0, a, /[ \t]*,[ \t]*/); for (i = 1; i <= n; i++) print a[i] }
        ' "$T"/conf.d/*.conf
}
# steps_of: the enabled steps of the configured conf.d.
steps_of() {
        awk '/^\[/ { if (cur != "" && on) print cur; cur = substr($0, 2, index($0, "]") - 2); on = 1; next }
             /^enabled[ \t]*=[ \t]*no/ { on = 0 }
             END { if (cur != "" && on) print cur }' "$T"/conf.d/*.conf
}

# journal_since N: the journal's lines after the first N.
journal_since() { tail -n "+$(($1 + 1))" "$T/state/journal"; }
jlines() { if [ -e "$T/state/journal" ]; then wc -l < "$T/state/journal"; else echo 0; fi; }

# t EVENT STEP: the time (ms) of that event in $T/run.times, or nothing.
t() { awk -v e="$1" -v s="$2" '$1 == e && $2 == s { print $3; exit }' "$T/run.times"; }

expect_exit 0 xhn validate
expect_exit 3 xhn status
pass "the shipped conf.d with the site values validates; a standby's status is 3"

# ---- activate ----
n=$(jlines)
t0=$EPOCHREALTIME
expect_exit 0 xhn activate --yes
t1=$EPOCHREALTIME
cp "$T/out" "$T/activate.out"
journal_since "$n" > "$T/run.journal"
jtimes "$T/run.journal" > "$T/run.times"
expect_exit 0 xhn status
pass "activate exits 0, status after it 0 ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s)"

# Every enabled step was applied, each after every step it is after was applied.
applied=0
for s in $(steps_of); do
        a=$(t step-apply "$s")
        [ -n "$a" ] || { cat "$T/run.journal" >&2; fail "$s was not applied"; }
        [ -n "$(t step-applied "$s")" ] || fail "$s: no step-applied"
        for d in $(after_of "$s"); do
                dd=$(t step-applied "$d")
                [ -n "$dd" ] || fail "$s is after $d, which was never applied"
                [ "$dd" -le "$a" ] || { cat "$T/run.journal" >&2; fail "$s started at $a, before $d was applied at $dd"; }
        done
        applied=$((applied + 1))
done
[ "$applied" -ge 10 ] || fail "only $applied steps applied"
pass "the journal shows the graph's order: each of $applied steps started after the steps it is after"

# dns, dhcp, ntp and conserver were applying at the same moment.
lo=0 hi=99999999999999
for s in dns dhcp ntp conserver; do
        a=$(t step-apply "$s") b=$(t step-applied "$s")
        [ "$a" -gt "$lo" ] && lo=$a
        [ "$b" -lt "$hi" ] && hi=$b
done
[ "$lo" -lt "$hi" ] || { cat "$T/run.times" >&2; fail "dns, dhcp, ntp and conserver did not run at once"; }
pass "dns, dhcp, ntp and conserver ran concurrently (all four applying for $((hi - lo)) ms)"

# ---- the active node serves ----
psqlc "CREATE TABLE hosts_seen (name text); INSERT INTO hosts_seen VALUES ('cn1'), ('cn2');" ||
        fail "a client cannot write through the VIP"
[ "$(psqlc 'SELECT count(*) FROM hosts_seen')" = 2 ] || fail "a client cannot read through the VIP"
ip -n "$NS" -br addr show dev veth0 | grep -qF "$VIP/24" || fail "the VIP is not on veth0"
[ "$(cat "$LOCAL/install/marker")" = shared ] || fail "$LOCAL/install is not served from the shared storage"
grep -qx "$VIP xcatmn1 xcatmn1.cluster.example" "$T/files/hosts" || fail "no VIP line in the hosts file"
for u in xcatd named dhcpd chronyd conserver; do [ -e "$T/svc/$u.active" ] || fail "$u is not running"; done
grep -q "^network.$NET.mgtifname=veth0:0$" "$XHAFW_FAKE_XCAT_STATE" || fail "mgtifname is not veth0:0"
pass "a client writes and reads through the VIP; mounts, hosts line, services and mgtifname in place"

# ---- deactivate ----
n=$(jlines)
expect_exit 0 xhn deactivate --yes
cp "$T/out" "$T/deactivate.out"
journal_since "$n" > "$T/run.journal"
jtimes "$T/run.journal" > "$T/run.times"
for s in $(steps_of); do
        r=$(t step-revert "$s")
        [ -n "$r" ] && [ -n "$(t step-reverted "$s")" ] || { cat "$T/run.journal" >&2; fail "$s was not reverted"; }
        for d in $(after_of "$s"); do
                rd=$(t step-revert "$d")
                [ -n "$rd" ] || continue
                [ -n "$r" ] || fail "$d was reverted but $s, which is after it, was not"
                done_s=$(t step-reverted "$s")
                [ -n "$done_s" ] && [ "$done_s" -le "$rd" ] ||
                        { cat "$T/run.journal" >&2; fail "$d was reverted at $rd, before $s (after it) was reverted"; }
        done
done
[ -n "$(t step-reverted storage)" ] && [ -n "$(t step-reverted vip)" ] || fail "storage or vip not reverted"
pass "deactivate reverts in the reverse order of the graph"

expect_exit 3 xhn status
PGCONNECT_TIMEOUT=2 psqlc 'SELECT 1' > /dev/null 2>&1 && fail "the database still answers through the VIP"
postgres_runs && fail "postgres still runs after deactivate"
ip -n "$NS" -br addr show dev veth0 | grep -qF "$VIP/" && fail "the VIP is still on veth0"
findmnt -rn -o TARGET | grep -qF "$PGD/" && fail "mounts left: $(findmnt -rn -o TARGET | grep -F "$PGD/")"
[ "$(md5sum < "$T/files/hosts")" = "$hosts_before" ] || fail "the hosts file is not as before"
for u in xcatd named dhcpd chronyd conserver; do [ -e "$T/svc/$u.active" ] && fail "$u still runs"; done
grep -q "^network.$NET.mgtifname=veth0$" "$XHAFW_FAKE_XCAT_STATE" || fail "mgtifname not restored"
pass "after deactivate: status 3, nothing answers at the VIP, no server, no VIP, no mount, files and xCAT as before"

# ---- and back: the rows written before are there ----
rm -f "$T/svc/chronyd.delay-start"
expect_exit 0 xhn activate --yes
[ "$(psqlc 'SELECT count(*) FROM hosts_seen')" = 2 ] || fail "rows lost across deactivate and activate"
expect_exit 0 xhn deactivate --yes
expect_exit 3 xhn status
pass "activate again: the rows written before are read through the VIP; deactivate again"
