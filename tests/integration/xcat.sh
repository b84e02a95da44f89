#!/bin/bash
# The xCAT plugins (hosts, xcat-networks, dns, dhcp, ntp, conserver, goconserver) through xhafw,
# against the fake xCAT commands and the test service manager; and the shipped conf.d's validation.
source "$(dirname "$0")/lib.sh"

SRC=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
FX=$SRC/tests/fake-xcat
NET=192_0_2_0-255_255_255_0
export XHAFW_FAKE_XCAT_STATE=$T/xcat.state
unset XHAFW_FAKE_XCAT_FAIL

xh_config "path = $FX:/usr/sbin:/usr/bin:/sbin:/bin" \
        "service_manager = /bin/bash, $SRC/tests/integration/svcman.sh, $T/svc" \
        "pass_env = XHAFW_FAKE_XCAT_STATE, XHAFW_FAKE_XCAT_FAIL"
mkdir -p "$T/svc" "$T/files"

# fresh: an xCAT as after installation: the site domain, one provision network, xcatd running.
fresh() {
        rm -rf "$T/state" "$T/svc" "$XHAFW_FAKE_XCAT_STATE"*
        mkdir -p "$T/svc"
        cat > "$XHAFW_FAKE_XCAT_STATE" <<EOF
site.clustersite.domain=cluster.example
site.clustersite.master=192.0.2.7
network.$NET.net=192.0.2.0
network.$NET.mask=255.255.255.0
network.$NET.mgtifname=veth0
fake.xcatd_active_file=$T/svc/xcatd.active
EOF
        touch "$T/svc/xcatd.active"
        printf '127.0.0.1\tlocalhost\n# the static address of this node\n198.51.100.5 mn-a mn-a.cluster.example\n' \
                > "$T/files/hosts"
        printf 'search cluster.example\nnameserver 198.51.100.53\noptions timeout:1\n' > "$T/files/resolv.conf"
        chmod 0644 "$T/files/hosts" "$T/files/resolv.conf"
}

# step SECTION-BODY: the test's conf.d becomes that one step.
step() {
        rm -f "$T/conf.d"/*.conf
        printf '%s\n' "$1" > "$T/conf.d/10-step.conf"
}

fx_get() { grep -m1 "^$1=" "$XHAFW_FAKE_XCAT_STATE" | cut -d= -f2-; }
fx_set() { grep -v "^$1=" "$XHAFW_FAKE_XCAT_STATE" > "$T/fx.tmp" || true; echo "$1=$2" >> "$T/fx.tmp"; mv "$T/fx.tmp" "$XHAFW_FAKE_XCAT_STATE"; }
active() { [ -e "$T/svc/$1.active" ]; }
calls() { grep -c " start $1" "$XHAFW_FAKE_XCAT_STATE.log" 2>/dev/null || true; }
# bytes FILE: every byte of FILE, readable (od -c), on one line.
bytes() { od -An -c "$1" | tr -s ' \n' ' '; }

# snapshot: everything a run may change (files, xCAT state, services, step state), not the logs of
# calls that read-only queries leave behind.
snapshot() {
        (cd "$T" && find files svc state -type f ! -name calls ! -name lock ! -name 'journal*' 2>/dev/null |
                sort | xargs -r md5sum
         # What a failed run generated before failing (makedhcp -n before makedhcp -a) stays.
         if [ "${1:-}" = --not-generated ]; then grep -v '^generated\.' xcat.state; else cat xcat.state; fi | md5sum)
}

# writes: how many xCAT commands that change something have run so far.
writes() { grep ' start ' "$XHAFW_FAKE_XCAT_STATE.log" 2>/dev/null | grep -vc ' start lsdef' || true; }

# cycle NAME ON OFF: activate, status, activate again (nothing more runs), deactivate, status,
# deactivate again; the shell conditions ON and OFF hold after activate and deactivate.
cycle() {
        local name=$1 on=$2 off=$3 before nw
        expect_exit 0 xh activate --yes
        eval "$on" || fail "$name: after activate: $on does not hold"
        expect_exit 0 xh status
        before=$(snapshot)
        nw=$(writes)
        expect_exit 0 xh activate --yes
        [ "$(snapshot)" = "$before" ] || fail "$name: a second activate changed something"
        [ "$(writes)" = "$nw" ] || fail "$name: a second activate ran xCAT commands again"
        expect_exit 0 xh deactivate --yes
        eval "$off" || fail "$name: after deactivate: $off does not hold"
        expect_exit 3 xh status
        before=$(snapshot)
        nw=$(writes)
        expect_exit 0 xh deactivate --yes
        [ "$(snapshot)" = "$before" ] || fail "$name: a second deactivate changed something"
        [ "$(writes)" = "$nw" ] || fail "$name: a second deactivate ran xCAT commands again"
        pass "$name: activate, status, activate again; deactivate, status, deactivate again"
}

# dry_run NAME WHAT REGEX...: dry-run of WHAT (activate|deactivate) prints each REGEX, changes nothing.
dry_run() {
        local name=$1 what=$2 before
        shift 2
        before=$(snapshot)
        expect_exit 0 xh "$what" --dry-run
        for re in "$@"; do expect_output "$re"; done
        [ "$(snapshot)" = "$before" ] || fail "$name: $what --dry-run changed something"
        pass "$name: $what --dry-run prints what it would do and changes nothing"
}

# fails NAME COMMAND REGEX: with the fake COMMAND failing, activate exits 1 naming it and its status,
# and leaves nothing behind (rolled back).
fails() {
        local name=$1 cmd=$2 re=$3 before
        before=$(snapshot --not-generated)
        XHAFW_FAKE_XCAT_FAIL=$cmd expect_exit 1 xh activate --yes
        expect_output "$re"
        expect_output "exit status 1"
        [ "$(snapshot --not-generated)" = "$before" ] || fail "$name: a failed activate left changes behind"
        pass "$name: $cmd failing fails the step, named with its exit status, rolled back"
}

need_cmd md5sum coreutils
need_cmd flock util-linux

# ---- hosts ----
fresh
step "[hosts]
file = $T/files/hosts
address = 192.0.2.7
names = xcatmn1, xcatmn1.cluster.example"
orig=$(md5sum < "$T/files/hosts")
dry_run hosts activate '\+192\.0\.2\.7 xcatmn1 xcatmn1\.cluster\.example'
cycle hosts 'grep -qx "192.0.2.7 xcatmn1 xcatmn1.cluster.example" "$T/files/hosts"' \
        '[ "$(md5sum < "$T/files/hosts")" = "$orig" ]'
expect_exit 0 xh activate --yes
dry_run hosts deactivate '[-]192\.0\.2\.7 xcatmn1 xcatmn1\.cluster\.example'
[ "$(head -3 "$T/files/hosts" | md5sum)" = "$orig" ] || fail "hosts: lines before ours changed"
expect_exit 0 xh deactivate --yes
# A line that was there before is not the step's: deactivate leaves it.
echo "192.0.2.7   xcatmn1 xcatmn1.cluster.example # by hand" >> "$T/files/hosts"
orig=$(md5sum < "$T/files/hosts")
expect_exit 3 xh status
expect_exit 0 xh activate --yes
[ "$(md5sum < "$T/files/hosts")" = "$orig" ] || fail "hosts: activate rewrote a line already there"
expect_exit 0 xh deactivate --yes
[ "$(md5sum < "$T/files/hosts")" = "$orig" ] || fail "hosts: deactivate removed a line it did not add"
pass "hosts: a line already present is left alone both ways"
# Someone else's line added while active stays; only ours goes.
fresh
orig=$(md5sum < "$T/files/hosts")
expect_exit 0 xh activate --yes
echo "198.51.100.9 other" >> "$T/files/hosts"
expect_exit 0 xh deactivate --yes
grep -qx "198.51.100.9 other" "$T/files/hosts" || fail "hosts: deactivate removed another line"
grep -q "xcatmn1" "$T/files/hosts" && fail "hosts: deactivate left our line"
pass "hosts: deactivate removes only its own line"
# Byte for byte, whatever the file looks like: no final newline, empty, CRLF lines, only the
# managed line (with and without its newline), a comment last. The line is added as its own line
# (a missing final newline is added before it) and activate + deactivate gives back every byte.
round_trip() {
        local name=$1 file=$2 content=$3 orig
        printf '%b' "$content" > "$file"
        orig=$(bytes "$file")
        expect_exit 0 xh activate --yes
        expect_exit 0 xh status
        tail -n 1 "$file" | grep -qx "$4" || fail "$name: $content: the line is not the last line: $(bytes "$file")"
        [ "$(tail -c 1 "$file" | od -An -c)" = "$(printf '\n' | od -An -c)" ] || fail "$name: $content: no final newline after activate"
        expect_exit 0 xh deactivate --yes
        [ "$(bytes "$file")" = "$orig" ] ||
                fail "$name: activate + deactivate of '$content' gave back '$(bytes "$file")', not '$orig'"
        expect_exit 3 xh status
}
for content in '127.0.0.1\tlocalhost' '' '127.0.0.1 localhost\r\n::1 localhost\r\n' '127.0.0.1 localhost\r\n::1 localhost' \
        '# the end\n127.0.0.1 localhost\n# no newline here' '\n' '127.0.0.1 localhost\n\n'; do
        fresh
        round_trip hosts "$T/files/hosts" "$content" "192.0.2.7 xcatmn1 xcatmn1.cluster.example"
done
# Only the managed line: there before, so not the step's: left as it was, both ways.
for content in '192.0.2.7 xcatmn1 xcatmn1.cluster.example\n' '192.0.2.7 xcatmn1 xcatmn1.cluster.example' \
        '192.0.2.7 xcatmn1 xcatmn1.cluster.example\r\n'; do
        fresh
        printf '%b' "$content" > "$T/files/hosts"
        orig=$(bytes "$T/files/hosts")
        expect_exit 0 xh activate --yes
        [ "$(bytes "$T/files/hosts")" = "$orig" ] || fail "hosts: activate rewrote a file holding only the line ($content)"
        expect_exit 0 xh deactivate --yes
        [ "$(bytes "$T/files/hosts")" = "$orig" ] || fail "hosts: deactivate changed a file holding only the line ($content)"
done
# Someone appended a line after ours while active: the newline added before ours is theirs now.
fresh
printf '127.0.0.1 localhost' > "$T/files/hosts"
expect_exit 0 xh activate --yes
echo "198.51.100.9 other" >> "$T/files/hosts"
expect_exit 0 xh deactivate --yes
[ "$(cat "$T/files/hosts")" = "$(printf '127.0.0.1 localhost\n198.51.100.9 other')" ] ||
        fail "hosts: a line appended while active lost its place: $(bytes "$T/files/hosts")"
pass "hosts: activate + deactivate give back every byte (no final newline, empty, CRLF, only the managed line)"

# ---- hosts on IPv6, and both families for one name (2001:db8::/32 documentation addresses) ----
fresh
step "[hosts]
file = $T/files/hosts
address = 2001:DB8:0::7
names = xcatmn1, xcatmn1.cluster.example"
orig=$(md5sum < "$T/files/hosts")
expect_exit 0 xh describe hosts
expect_output 'line "2001:db8::7 xcatmn1 xcatmn1.cluster.example"'
cycle "hosts (IPv6)" 'grep -qx "2001:db8::7 xcatmn1 xcatmn1.cluster.example" "$T/files/hosts"' \
        '[ "$(md5sum < "$T/files/hosts")" = "$orig" ]'
# The same address written otherwise is the same line: left alone both ways.
echo "2001:0db8:0:0::0007   xcatmn1 xcatmn1.cluster.example # by hand" >> "$T/files/hosts"
orig=$(md5sum < "$T/files/hosts")
expect_exit 0 xh activate --yes
[ "$(md5sum < "$T/files/hosts")" = "$orig" ] || fail "hosts (IPv6): activate added a line already there in another spelling"
expect_exit 0 xh deactivate --yes
[ "$(md5sum < "$T/files/hosts")" = "$orig" ] || fail "hosts (IPv6): deactivate removed a line it did not add"
pass "hosts (IPv6): the line written as 2001:db8::7, one written 2001:0db8:0:0::0007 is the same line"

dual_step() {
        step "[hosts]
file = $T/files/hosts
address = 192.0.2.7
address6 = 2001:db8::7
names = xcatmn1, xcatmn1.cluster.example"
}
fresh
dual_step
L4="192.0.2.7 xcatmn1 xcatmn1.cluster.example"
L6="2001:db8::7 xcatmn1 xcatmn1.cluster.example"
orig=$(md5sum < "$T/files/hosts")
expect_exit 0 xh describe hosts
expect_output "lines \"$L4\" and \"$L6\""
dry_run "hosts (dual stack)" activate "\+$L4" "\+2001:db8::7 xcatmn1"
cycle "hosts (dual stack)" 'grep -qx "$L4" "$T/files/hosts" && grep -qx "$L6" "$T/files/hosts"' \
        '[ "$(md5sum < "$T/files/hosts")" = "$orig" ]'
# One of the two missing is PARTIAL; activate puts it back; deactivate takes both.
expect_exit 0 xh activate --yes
grep -vx "$L6" "$T/files/hosts" > "$T/hosts.tmp" && cat "$T/hosts.tmp" > "$T/files/hosts"
expect_exit 4 xh status
expect_exit 0 xh activate --yes
grep -qx "$L6" "$T/files/hosts" || fail "hosts (dual stack): activate did not put the IPv6 line back"
expect_exit 0 xh status
expect_exit 0 xh deactivate --yes
[ "$(md5sum < "$T/files/hosts")" = "$orig" ] || fail "hosts (dual stack): deactivate left a line"
# Only the IPv4 line there before: the step adds and removes the IPv6 one only.
echo "$L4" >> "$T/files/hosts"
orig=$(md5sum < "$T/files/hosts")
expect_exit 0 xh activate --yes
[ "$(grep -cx "$L4" "$T/files/hosts")" = 1 ] || fail "hosts (dual stack): the IPv4 line twice"
expect_exit 0 xh deactivate --yes
[ "$(md5sum < "$T/files/hosts")" = "$orig" ] || fail "hosts (dual stack): deactivate removed the line it found"
pass "hosts (dual stack): both lines, one missing is PARTIAL, a line there before is left"
for content in '127.0.0.1\tlocalhost' '' '127.0.0.1 localhost\r\n::1 localhost' '# the end\n127.0.0.1 localhost\n'; do
        fresh
        dual_step
        printf '%b' "$content" > "$T/files/hosts"
        orig=$(bytes "$T/files/hosts")
        expect_exit 0 xh activate --yes
        [ "$(tail -n 2 "$T/files/hosts" | head -n 1)" = "$L4" ] && [ "$(tail -n 1 "$T/files/hosts")" = "$L6" ] ||
                fail "hosts (dual stack): '$content': not the last two lines: $(bytes "$T/files/hosts")"
        expect_exit 0 xh deactivate --yes
        [ "$(bytes "$T/files/hosts")" = "$orig" ] ||
                fail "hosts (dual stack): activate + deactivate of '$content' gave back '$(bytes "$T/files/hosts")'"
done
pass "hosts (dual stack): activate + deactivate give back every byte"
# preflight: the IPv6 line is the VIP's too, not "another address" for its names.
fresh
printf '%s\n%s\n' "$L4" "$L6" >> "$T/files/hosts"
dual_step
expect_exit 0 xh preflight
expect_output "names resolve to the VIP +pass"
step "[hosts]
file = $T/files/hosts
address = 192.0.2.7
names = xcatmn1, xcatmn1.cluster.example"
expect_exit 1 xh preflight
expect_output "line 5 gives xcatmn1 the address 2001:db8::7, not the VIP 192.0.2.7"
pass "hosts (dual stack): preflight takes the IPv6 VIP's line as the VIP's, and without address6 names it"
for bad in "address6 = 192.0.2.8" "address6 = fe80::7" "address6 = 2001:db8::7/64"; do
        fresh
        step "[hosts]
file = $T/files/hosts
address = 192.0.2.7
$bad
names = xcatmn1"
        expect_exit 2 xh validate
        expect_output "address6"
done
step "[hosts]
file = $T/files/hosts
address = 2001:db8::8
address6 = 2001:db8::7
names = xcatmn1"
expect_exit 2 xh validate
expect_output "address6 is the IPv6 VIP beside the IPv4 one"
pass "hosts: address6 must be an IPv6 host address beside an IPv4 address (exit 2 otherwise)"

# hostname: only inside a UTS namespace of our own.
if [ "$(id -u)" = 0 ] && unshare -u true 2>/dev/null; then
        fresh
        step "[hosts]
file = $T/files/hosts
address = 192.0.2.7
names = xcatmn1
hostname = xcatmn1"
        # shellcheck disable=SC2016
        unshare -u bash -c '
                set -e
                hostname mn-a
                "$XHAFW" --config "$1/xhafw.conf" activate --dry-run > "$1/out.dry" 2>&1
                [ "$(hostname)" = mn-a ] || { echo "dry-run changed the hostname"; exit 1; }
                "$XHAFW" --config "$1/xhafw.conf" activate --yes > "$1/out" 2>&1
                [ "$(hostname)" = xcatmn1 ] || { echo "hostname not set: $(hostname)"; exit 1; }
                "$XHAFW" --config "$1/xhafw.conf" status > /dev/null 2>&1
                "$XHAFW" --config "$1/xhafw.conf" deactivate --yes >> "$1/out" 2>&1
                [ "$(hostname)" = mn-a ] || { echo "hostname not restored: $(hostname)"; exit 1; }
                "$XHAFW" --config "$1/xhafw.conf" deactivate --yes >> "$1/out" 2>&1
                [ "$(hostname)" = mn-a ]
        ' _ "$T" || { cat "$T/out" "$T/out.dry" >&2 2>/dev/null; fail "hosts: hostname"; }
        grep -q "would set the hostname to xcatmn1" "$T/out.dry" || { cat "$T/out.dry" >&2; fail "hosts: dry-run does not say it would set the hostname"; }
        pass "hosts: hostname set and restored (in a UTS namespace), dry-run leaves it"
else
        echo "# hostname part skipped: needs root and unshare -u"
fi

# ---- xcat-networks ----
fresh
fx_set fake.lsdef_noise 1
step "[xcat-networks]
network = $NET
mgtifname = veth0:0"
dry_run xcat-networks activate "would run: chdef -t network -o $NET mgtifname=veth0:0"
cycle xcat-networks '[ "$(fx_get network.$NET.mgtifname)" = veth0:0 ]' '[ "$(fx_get network.$NET.mgtifname)" = veth0 ]'
expect_exit 0 xh activate --yes
dry_run xcat-networks deactivate "would run: chdef -t network -o $NET mgtifname=veth0\$"
expect_exit 0 xh deactivate --yes
fails xcat-networks lsdef "lsdef -t network -o $NET -i mgtifname failed"
fails xcat-networks chdef "chdef -t network -o $NET mgtifname=veth0:0 failed"
# Found already set: the other node failed while active and never restored it. This node has no
# record of setting it, so the label in the table is not its work (status 3), activate has nothing
# to remember, and deactivate restores the interface the label belongs to (veth0:0 is veth0's).
left_by_other() { fresh; fx_set "network.$NET.mgtifname" "$1"; }
left_by_other veth0:0
expect_exit 3 xh status
expect_output "^xcat-networks +xcat-networks +INACTIVE"
expect_exit 0 xh activate --yes
expect_exit 0 xh status
[ "$(fx_get network.$NET.mgtifname)" = veth0:0 ] || fail "xcat-networks: activate changed a value already right"
expect_exit 0 xh describe xcat-networks
expect_output "activate found mgtifname=veth0:0 set already; deactivate restores mgtifname=veth0 \\(the interface of the label veth0:0\\)"
dry_run xcat-networks deactivate "would run: chdef -t network -o $NET mgtifname=veth0\$"
expect_exit 0 xh deactivate --yes
[ "$(fx_get network.$NET.mgtifname)" = veth0 ] ||
        fail "xcat-networks: deactivate left mgtifname=$(fx_get network.$NET.mgtifname), not the label's interface veth0"
expect_exit 3 xh status
pass "xcat-networks: found already set by the other node: deactivate restores the label's interface (veth0:0 -> veth0)"

# A label from which no interface can be derived, and no fallback_mgtifname: deactivate warns
# what to set, leaves the value, and goes on to the steps before it (xcatd is stopped).
for label in vip0 veth0; do
        left_by_other "$label"
        step "[xcatd]
plugin = service
unit = xcatd

[xcat-networks]
after = xcatd
network = $NET
mgtifname = $label"
        expect_exit 0 xh activate --yes
        expect_exit 0 xh deactivate --yes
        expect_output "warning: .*network $NET: mgtifname stays $label.*set fallback_mgtifname"
        active xcatd && fail "xcat-networks: deactivate did not go on to stop xcatd ($label)"
        [ "$(fx_get network.$NET.mgtifname)" = "$label" ] || fail "xcat-networks: deactivate changed $label to $(fx_get network.$NET.mgtifname)"
        expect_exit 3 xh status
        # With xcatd running, the label in the table is still not this node's.
        touch "$T/svc/xcatd.active"
        step "[xcat-networks]
network = $NET
mgtifname = $label"
        expect_exit 3 xh status
        expect_exit 0 xh deactivate --yes
done
pass "xcat-networks: no interface in the label: deactivate warns what to set, exits 0 and stops xcatd; status 3"

# fallback_mgtifname overrides the label's interface when nothing was remembered.
for pair in veth0:0:eth9 vip0:veth0; do
        label=${pair%:*} fb=${pair##*:}
        left_by_other "$label"
        step "[xcat-networks]
network = $NET
mgtifname = $label
fallback_mgtifname = $fb"
        expect_exit 0 xh activate --yes
        expect_exit 0 xh deactivate --yes
        [ "$(fx_get network.$NET.mgtifname)" = "$fb" ] || fail "xcat-networks: fallback_mgtifname $fb not restored ($label)"
done
# What activate found and replaced wins over both.
fresh
fx_set "network.$NET.mgtifname" eth7
expect_exit 0 xh activate --yes
expect_exit 0 xh deactivate --yes
[ "$(fx_get network.$NET.mgtifname)" = eth7 ] || fail "xcat-networks: the value activate replaced was not restored"
pass "xcat-networks: the value activate replaced, else fallback_mgtifname, else the label's interface"

# Changed by someone else while active: partial; deactivate leaves their value and forgets.
fresh
step "[xcat-networks]
network = $NET
mgtifname = veth0:0"
expect_exit 0 xh activate --yes
fx_set "network.$NET.mgtifname" eth5
expect_exit 4 xh status
expect_output "^xcat-networks +xcat-networks +PARTIAL"
expect_exit 0 xh deactivate --yes
[ "$(fx_get network.$NET.mgtifname)" = eth5 ] || fail "xcat-networks: deactivate overwrote a value set since"
expect_exit 3 xh status
pass "xcat-networks: a value changed since activate makes the step partial; deactivate leaves it"
# Status on a standby: xcatd down, lsdef cannot answer: the check cannot tell.
rm -f "$T/svc/xcatd.active"
expect_exit 4 xh status
touch "$T/svc/xcatd.active"
step "[xcat-networks]
network = no_such_network
mgtifname = veth0:0"
expect_exit 1 xh activate --yes
expect_output "Could not find an object named 'no_such_network'"
pass "xcat-networks: an unknown network object fails with lsdef's message"

# ---- dns ----
fresh
step "[dns]
service = named
nameserver = 192.0.2.7
resolv_conf = $T/files/resolv.conf"
orig=$(md5sum < "$T/files/resolv.conf")
dry_run dns activate "would run: makedns -n" "would run: .*svcman.sh $T/svc start named" '\+nameserver 192\.0\.2\.7'
n=$(calls makedns)
cycle dns 'active named && [ "$(sed -n 2p "$T/files/resolv.conf")" = "nameserver 192.0.2.7" ]' \
        '! active named && [ "$(md5sum < "$T/files/resolv.conf")" = "$orig" ]'
[ "$(calls makedns)" = $((n + 1)) ] || fail "dns: makedns ran $(($(calls makedns) - n)) times for one activation"
expect_exit 0 xh activate --yes
dry_run dns deactivate "would run: .*svcman.sh $T/svc stop named" '[-]nameserver 192\.0\.2\.7'
expect_exit 0 xh deactivate --yes
fails dns makedns "makedns -n failed"
fails dns lsdef "lsdef -t site -i domain failed"
grep -v '^site.clustersite.domain=' "$XHAFW_FAKE_XCAT_STATE" > "$T/fx.tmp" && mv "$T/fx.tmp" "$XHAFW_FAKE_XCAT_STATE"
expect_exit 1 xh activate --yes
expect_output "site table has no domain"
active named && fail "dns: named started without a domain"
pass "dns: no site domain fails clearly before makedns"
# named left running on a standby shows as active; the resolv.conf line alone (not ours) does not.
fresh
touch "$T/svc/named.active"
expect_exit 4 xh status
rm "$T/svc/named.active"
echo "nameserver 192.0.2.7" >> "$T/files/resolv.conf"
expect_exit 3 xh status
pass "dns: status believes named, not a resolv.conf line it did not add"
# resolv.conf without a final newline and no nameserver line: the line is appended, and taken back
# with the newline added before it.
for content in 'search cluster.example' 'search cluster.example\r\noptions timeout:1' '' \
        'search cluster.example\nnameserver 198.51.100.53'; do
        fresh
        printf '%b' "$content" > "$T/files/resolv.conf"
        orig=$(bytes "$T/files/resolv.conf")
        expect_exit 0 xh activate --yes
        grep -qx "nameserver 192.0.2.7" "$T/files/resolv.conf" || fail "dns: no nameserver line after activate ($content)"
        expect_exit 0 xh deactivate --yes
        [ "$(bytes "$T/files/resolv.conf")" = "$orig" ] ||
                fail "dns: activate + deactivate of '$content' gave back '$(bytes "$T/files/resolv.conf")', not '$orig'"
done
pass "dns: activate + deactivate give back every byte of resolv.conf (no final newline, CRLF, empty)"

# An IPv6 VIP as the nameserver: written in its usual form, before the other nameserver lines.
fresh
step "[dns]
service = named
nameserver = 2001:DB8:0::7
resolv_conf = $T/files/resolv.conf"
orig=$(md5sum < "$T/files/resolv.conf")
dry_run "dns (IPv6)" activate '\+nameserver 2001:db8::7'
cycle "dns (IPv6)" 'active named && [ "$(sed -n 2p "$T/files/resolv.conf")" = "nameserver 2001:db8::7" ]' \
        '! active named && [ "$(md5sum < "$T/files/resolv.conf")" = "$orig" ]'
printf 'nameserver 2001:0db8::0:7\n' >> "$T/files/resolv.conf"
orig=$(md5sum < "$T/files/resolv.conf")
expect_exit 0 xh activate --yes
[ "$(md5sum < "$T/files/resolv.conf")" = "$orig" ] || fail "dns (IPv6): a nameserver line there in another spelling was added again"
expect_exit 0 xh deactivate --yes
[ "$(md5sum < "$T/files/resolv.conf")" = "$orig" ] || fail "dns (IPv6): deactivate removed a line it did not add"
for bad in fe80::53 ff02::1; do
        step "[dns]
nameserver = $bad
resolv_conf = $T/files/resolv.conf"
        expect_exit 2 xh validate
        expect_output "nameserver = $bad: not an address a resolver can use"
done
pass "dns (IPv6): nameserver 2001:db8::7 added first and taken back; another spelling is the same line; link-local refused"

# ---- dhcp ----
fresh
fx_set fake.makedhcp_warning "node cn7 has no MAC address, skipped"
step "[dhcp]
service = dhcpd"
dry_run dhcp activate "would run: makedhcp -n" "would run: makedhcp -a" "would run: .*start dhcpd"
cycle dhcp 'active dhcpd && [ "$(fx_get generated.makedhcp-a)" = 1 ]' '! active dhcpd'
expect_exit 0 xh activate --yes
expect_output "Warning.*node cn7 has no MAC address"
expect_exit 0 xh deactivate --yes
pass "dhcp: makedhcp warnings are shown as warnings"
fails dhcp makedhcp-n "makedhcp -n failed"
fails dhcp makedhcp-a "makedhcp -a failed"

# ---- ntp ----
fresh
step "[ntp]
service = chronyd"
dry_run ntp activate "would run: .*start chronyd"
cycle ntp 'active chronyd' '! active chronyd'
touch "$T/svc/chronyd.fail-start"
expect_exit 1 xh activate --yes
expect_output "start chronyd failed"
pass "ntp: a service that fails to start fails the step"
touch "$T/svc/chronyd.fail-is-active"
expect_exit 4 xh status
expect_output "cannot tell whether chronyd is active"
pass "ntp: a service manager that fails is-active makes the check unable to tell, not inactive"

# ---- conserver, goconserver ----
for pair in conserver:goconserver:makeconservercf goconserver:conserver:makegocons; do
        IFS=: read -r name other gen <<< "$pair"
        fresh
        [ "$name" = goconserver ] && fx_set site.clustersite.consoleservice goconserver
        step "[$name]
service = $name
other_service = $other"
        dry_run "$name" activate "would run: $gen" "would run: .*start $name"
        cycle "$name" "active $name && [ \"\$(fx_get generated.$gen)\" = 1 ]" "! active $name"
        fails "$name" "$gen" "$gen failed"
        touch "$T/svc/$other.active"
        expect_exit 6 xh activate --yes
        expect_output "refusing to start $name: $other is active"
        active "$name" && fail "$name: started while $other is active"
        expect_exit 0 xh activate --yes --force
        active "$name" || fail "$name: --force did not start it"
        expect_exit 0 xh deactivate --yes
        rm "$T/svc/$other.active"
        pass "$name: refuses (exit 6) while $other is active; --force overrides"
        fx_set site.clustersite.consoleservice "$other"
        expect_exit 0 xh activate --yes
        expect_output "consoleservice is $other, not $name"
        expect_exit 0 xh deactivate --yes
        pass "$name: warns when the site table's consoleservice names $other"
done

# ---- plugin validation: nothing runs ----
fresh
step "[conserver]
other_service = conserver"
expect_exit 2 xh activate --yes
expect_output "service and other_service are both conserver"
step "[ntp]
service ="
expect_exit 0 xh describe ntp
expect_output "service += chronyd +\(default\)"
step "[hosts]
file = $T/files/hosts
address = 192.0.2.7/24
names = xcatmn1"
expect_exit 2 xh validate
expect_output "without /prefix"
[ "$(writes)" = 0 ] && [ ! -e "$T/svc/calls" ] || fail "validation ran something"
pass "validation: conflicting console units, an address with a prefix: exit 2, nothing run; an empty unit means the default"

# ---- the shipped conf.d ----
# Against a copy, so the file names in messages are stable and its mode is ours to check.
cp -r "$SRC/conf.d" "$T/shipped"
rm -f "$T/shipped/meson.build"
chmod 0644 "$T/shipped"/*.conf
sed -i "s|^conf_d = .*|conf_d = $T/shipped|" "$T/xhafw.conf"
expect_exit 2 xh validate
want=0
for f in "$T/shipped"/*.conf; do
        sec=""
        lineno=0
        # a disabled step's empty values are the site's to fill in only once it is enabled
        disabled=" $(awk '/^\[.*\]$/ { s = substr($0, 2, length($0) - 2) } /^enabled *= *no/ { print s }' "$f" | tr '\n' ' ') "
        while IFS= read -r l; do
                lineno=$((lineno + 1))
                case "$l" in
                "["*"]") sec=${l#[}; sec=${sec%]} ;;
                *" =") case "$disabled" in *" $sec "*) continue ;; esac
                        grep -F "$f:$lineno: step $sec: required option '${l% =}' " "$T/out" | grep -q "is empty" ||
                        { cat "$T/out" >&2; fail "validate does not list ${f##*/}:$lineno ($sec: ${l% =})"; }
                        want=$((want + 1)) ;;
                esac
        done < "$f"
done
got=$(grep -c "required option .* is empty" "$T/out")
[ "$got" = "$want" ] || { cat "$T/out" >&2; fail "validate lists $got empty required options, the files leave $want empty"; }
[ "$want" -ge 8 ] || fail "the shipped conf.d leaves only $want values empty"
expect_exit 2 xh activate --yes
pass "shipped conf.d: validate exits 2 listing the $want empty site values (file, line, step); activate refuses"
