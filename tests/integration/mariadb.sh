#!/bin/bash
# Integration test of the mariadb plugin against a real MariaDB server: a data directory made by
# mariadb-install-db in a temporary directory, served on its own port and socket in a network
# namespace ("this node", A), started and stopped through plugins/mariadb/test-svcman.sh. A second
# namespace (the other node, B), joined to A by a veth pair on 192.0.2.0/24, runs a server of the
# same data directory in a PID namespace of its own for the split-brain guard, and the xCAT client.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd ip iproute2
need_cmd unshare util-linux
need_cmd setsid util-linux
need_cmd pgrep procps
need_cmd mariadb-install-db mariadb-server
need_cmd mariadb mariadb-client
[ -x /usr/sbin/mariadbd ] || skip "needs /usr/sbin/mariadbd (package mariadb-server)"
unshare -p -f --mount-proc true 2> /dev/null || skip "needs PID namespaces (unshare -p)"
SRC=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
GOLD=$SRC/plugins/mariadb/testdata
SVCMAN=$SRC/plugins/mariadb/test-svcman.sh

# Registered first, removed last, after every server is stopped.
M=$(mktemp -d /tmp/xhafw-my.XXXXXX)
at_exit "rm -rf '$M'"
DATA=$M/data
SOCK=$M/mysqld.sock
PORT=3306 # the namespaces are ours: every port is free
mkdir -p "$M/log" "$M/etc"

# Every server this test starts runs with its working directory in $DATA: end those, by pid.
servers() {
        local p
        for p in /proc/[0-9]*; do
                [ "$(readlink "$p/cwd" 2> /dev/null)" = "$DATA" ] || continue
                case "$(readlink "$p/exe" 2> /dev/null)" in */mariadbd) echo "${p#/proc/}" ;; esac
        done
}
stop_servers() {
        local p
        for p in $(servers); do kill -KILL "$p" 2> /dev/null || true; done
        for _ in $(seq 1 100); do [ -z "$(servers)" ] && return 0; sleep 0.1; done
}
at_exit stop_servers
wait_no_server() {
        for _ in $(seq 1 300); do [ -z "$(servers)" ] && return 0; sleep 0.1; done
        fail "mariadbd still runs in $DATA: $(servers)"
}

A=xhafw-my-a-$$
B=xhafw-my-b-$$
ip netns add "$A"
at_exit "ip netns del '$A'"
ip netns add "$B"
at_exit "ip netns del '$B'"
ip -n "$A" link set lo up
ip -n "$B" link set lo up
ip -n "$A" link add xhmy0 type veth peer name xhmy1 netns "$B"
ip -n "$A" addr add 192.0.2.1/24 dev xhmy0       # this node's static address
ip -n "$A" addr add 192.0.2.70/32 dev xhmy0      # ... and another one of its addresses
ip -n "$A" addr add 192.0.2.7/32 dev xhmy0       # the VIP, held here
ip -n "$B" addr add 192.0.2.2/24 dev xhmy1       # the other node's static address
ip -n "$A" link set xhmy0 up
ip -n "$B" link set xhmy1 up
# Where nobody answers, for the guard: 192.0.2.99 goes to a neighbour that does not exist (its SYNs
# vanish, as towards a node that is cut off); 192.0.2.98 is blackholed (connect fails at once).
ip -n "$A" neigh add 192.0.2.99 lladdr 02:00:00:00:00:99 dev xhmy0 nud permanent
ip -n "$A" route add blackhole 192.0.2.98/32
SILENT=192.0.2.99
BLACKHOLE=192.0.2.98
ina() { ip netns exec "$A" "$@"; }
inb() { ip netns exec "$B" "$@"; }

PW=xr-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
XPW=xa-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
WRONG=xw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$PW" > "$T/rootpass"
printf '%s\n' "$XPW" > "$T/xcatpass"
printf '%s\n' "$WRONG" > "$T/wrongpass"
chmod 0600 "$T/rootpass" "$T/xcatpass" "$T/wrongpass"
printf '[client]\nuser = root\npassword = %s\nsocket = %s\n' "$PW" "$SOCK" > "$T/root.cnf"
printf '[client]\nuser = xcatadmin\npassword = %s\nport = %s\n' "$XPW" "$PORT" > "$T/xcat.cnf"
chmod 0600 "$T/root.cnf" "$T/xcat.cnf"

(cd / && mariadb-install-db --no-defaults --datadir="$DATA" --auth-root-authentication-method=normal --skip-test-db \
        --user=root > "$M/install.log" 2>&1) || { cat "$M/install.log" >&2; fail "mariadb-install-db failed"; }
# The root password, set once through a server of the test's own (no option file at all).
(cd / && ina setsid -f /usr/sbin/mariadbd --no-defaults --user=root --datadir="$DATA" --port="$PORT" --socket="$SOCK" \
        --pid-file="$M/setup.pid" --skip-networking --log-error="$M/log/setup.log" < /dev/null > /dev/null 2>&1)
for _ in $(seq 1 300); do ina mariadb --no-defaults -S "$SOCK" -u root -e 'SELECT 1' > /dev/null 2>&1 && break; sleep 0.1; done
ina mariadb --no-defaults -S "$SOCK" -u root -e "ALTER USER root@localhost IDENTIFIED BY '$PW';
        ALTER USER IF EXISTS root@'127.0.0.1' IDENTIFIED BY '$PW'; ALTER USER IF EXISTS root@'::1' IDENTIFIED BY '$PW'" ||
        { cat "$M/log/setup.log" >&2; fail "cannot set root's password"; }
for p in $(servers); do kill -TERM "$p"; done
wait_no_server

# The site's option file, with the test's data directory: the input and the expected result.
sed "s|/var/lib/mysql|$DATA|g" "$GOLD/my.cnf.in" > "$M/my.cnf.in"
sed "s|/var/lib/mysql|$DATA|g" "$GOLD/my.cnf.golden" > "$M/my.cnf.golden"
install -m 0644 "$M/my.cnf.in" "$M/etc/my.cnf"
CNF=$M/etc/my.cnf

xh_config "service_manager=$SVCMAN, $DATA, $CNF, $PORT, $SOCK, $M/log/server.log"
write_step() {
        declare -A o=([data_dir]="$DATA" [option_file]="$CNF" [service]=mariadb-test [port]="$PORT" [socket]="$SOCK"
                [bind_addresses]="127.0.0.1, 192.0.2.7, 192.0.2.70, 192.0.2.7" [guard_addresses]=192.0.2.2
                [password_file]="$T/rootpass" [ready_timeout]=30s [pid_file]="$DATA/mariadb.pid"
                [grant_hosts]="192.0.2.2, 192.0.2.7, 192.0.2.1" [grant_password_file]="$T/xcatpass")
        local kv k
        for kv in "$@"; do o[${kv%%=*}]=${kv#*=}; done
        { echo "[mariadb]"; for k in "${!o[@]}"; do [ -z "${o[$k]}" ] || echo "$k = ${o[$k]}"; done; } > "$T/conf.d/50-mariadb.conf"
}
write_step

xhn() { ina "$XHAFW" --config "$T/xhafw.conf" "$@"; }
# run CODE ARGS...: xhafw in A; every output is kept for the secret check at the end.
run() { expect_exit "$@"; cat "$T/out" >> "$T/all.out"; [ -z "${VERBOSE_OUT:-}" ] || cat "$T/out"; }
# sql_b SQL: xCAT's client on the other node, through the VIP, as xcatadmin.
sql_b() { inb mariadb --defaults-file="$T/xcat.cnf" -h "${HOST:-192.0.2.7}" -N -B xcatdb -e "$1"; }
sql_root() { ina mariadb --defaults-file="$T/root.cnf" -N -B -e "$1"; }
starts() { if [ -e "$M/log/server.log.calls" ]; then grep -c '^start' "$M/log/server.log.calls" || true; else echo 0; fi; }
same_as_golden() { cmp "$CNF" "$M/my.cnf.golden" || { diff "$M/my.cnf.golden" "$CNF" >&2; fail "my.cnf differs from the golden file"; }; }

# --- configuration, describe, dry-run: nothing changes ---
run 0 xhn validate
run 0 xhn describe mariadb
expect_output "would add to bind-address '127.0.0.1,192.0.2.70' now: 192.0.2.7; would set pid-file"
grep -qF -e "$PW" -e "$XPW" "$T/out" && fail "describe shows a password"
run 3 xhn status
run 0 xhn activate --dry-run --yes
expect_output "\+	loose-bind-address = 127.0.0.1,192.0.2.70,192.0.2.7	# the last one wins"
cmp "$CNF" "$M/my.cnf.in" || fail "dry-run changed my.cnf"
[ "$(starts)" = 0 ] || fail "dry-run started the server"
[ -z "$(servers)" ] || fail "dry-run started the server"
pass "validate, describe and dry-run change nothing"

# --- preflight on a ready standby (nothing runs, the data directory is here as if the storage were
# mounted): the mariadb checks pass, the server's version is a fact; nothing changes. A planted
# defect (the unit enabled at boot, a server on the step's socket) fails its check with its fix. ---
cp "$CNF" "$T/cnf.before"
n=$(starts)
run 0 xhn preflight
for c in "data directory" "server binary" "option file" "unit exists" "not enabled at boot" \
        "not running on a standby" "port free" "socket free"; do
        grep -Eq "^mariadb +$c +pass " "$T/out" || { cat "$T/out" >&2; fail "preflight: no passing '$c' check"; }
done
expect_output "^mariadb +server binary +pass +/usr/sbin/mariadbd is MariaDB/MySQL [0-9.]+-MariaDB"
grep -q "plugin has no preflight checks" "$T/out" && fail "the mariadb plugin reports no preflight"
expect_output "preflight: READY"
ina "$XHAFW" --config "$T/xhafw.conf" --json preflight > "$T/pf.json" 2> /dev/null || fail "--json preflight failed"
version=$(/usr/sbin/mariadbd --version | sed -n 's/.* Ver \([0-9.]*\).*/\1/p')
python3 - "$T/pf.json" "$version-MariaDB" << 'PY' || fail "preflight --json: no server version fact"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["facts"]["mariadb/server version"] == sys.argv[2], d["facts"]
PY
cmp "$CNF" "$T/cnf.before" || fail "preflight changed my.cnf"
[ "$(starts)" = "$n" ] && [ -z "$(servers)" ] || fail "preflight started the server"
touch "$M/log/server.log.enabled"
run 1 xhn preflight
expect_output "^mariadb +not enabled at boot +fail +mariadb-test is enabled at boot"
expect_output "fix: systemctl disable mariadb-test"
expect_output "preflight: NOT READY"
rm -f "$M/log/server.log.enabled"
ina python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); print("up", flush=True); time.sleep(60)' "$SOCK" \
        > "$T/sock.out" &
SOCK_PID=$!
at_exit '[ -z "$SOCK_PID" ] || kill "$SOCK_PID" 2> /dev/null'
for _ in $(seq 1 50); do [ -S "$SOCK" ] && grep -q up "$T/sock.out" && break; sleep 0.1; done
run 1 xhn preflight
expect_output "^mariadb +socket free +fail +a server listens at $SOCK on this standby"
expect_output "fix: stop the server that listens there"
kill "$SOCK_PID"
wait "$SOCK_PID" 2> /dev/null || true
SOCK_PID=
rm -f "$SOCK"
run 0 xhn preflight
pass "preflight: a ready standby passes the mariadb checks; an enabled unit or a taken socket fails with its fix"

# --- apply from cold: the edit equals the golden file; xCAT's client on the other node reads rows through the VIP ---
run 0 xhn -v activate --yes
expect_output "ready after [0-9]+ ms: SELECT 1 answered at localhost"
expect_output "created and granted ALL PRIVILEGES ON \`xcatdb\`.\* TO 'xcatadmin'@'192.0.2.2'"
same_as_golden
[ "$(head -n 1 "$DATA/mariadb.pid")" = "$(servers)" ] || fail "the server did not write $DATA/mariadb.pid"
sql_root "CREATE DATABASE xcatdb"
sql_b "CREATE TABLE t (i INT) ENGINE=InnoDB; INSERT INTO t VALUES (1), (2), (3)"
[ "$(sql_b 'SELECT COUNT(*) FROM t')" = 3 ] || fail "rows not readable through the VIP"
[ "$(HOST=192.0.2.70 sql_b 'SELECT SUM(i) FROM t')" = 6 ] || fail "rows not readable at 192.0.2.70"
run 0 xhn status
write_step check_host=127.0.0.1
run 0 xhn status
write_step
pass "apply from cold: the edit equals the golden file, grants added, a client reads rows through the VIP"

# --- apply again changes nothing ---
before=$(stat -c '%i %Y' "$CNF")
n=$(starts)
run 0 xhn -v activate --yes
[ "$(stat -c '%i %Y' "$CNF")" = "$before" ] || fail "apply again rewrote my.cnf"
[ "$(starts)" = "$n" ] || fail "apply again started the server"
pass "apply again changes nothing"

# --- up but not as configured: PARTIAL, then a restart for bind-address ---
run 0 xhn deactivate --yes
install -m 0644 "$M/my.cnf.in" "$CNF"
sed -i "s|^pid-file	= /var/run/mariadb/mariadb.pid|pid-file	= $DATA/mariadb.pid|" "$CNF"
ina "$SVCMAN" "$DATA" "$CNF" "$PORT" "$SOCK" "$M/log/server.log" start mariadb-test
for _ in $(seq 1 300); do sql_root 'SELECT 1' > /dev/null 2>&1 && break; sleep 0.1; done
run 4 xhn status
run 0 xhn -v activate --yes
expect_output "restarting the server: bind-address and pid-file change only at start"
same_as_golden
[ "$(sql_b 'SELECT COUNT(*) FROM t')" = 3 ] || fail "rows not readable through the VIP after the restart"
run 0 xhn status
pass "a server up without the VIP in bind-address: PARTIAL, then restarted"

# --- revert: down and INACTIVE; the option file stays; rows survive ---
run 0 xhn deactivate --yes
[ -z "$(servers)" ] || fail "server still up after deactivate"
run 3 xhn status
same_as_golden
run 0 xhn activate --yes
[ "$(sql_b 'SELECT COUNT(*) FROM t')" = 3 ] || fail "rows lost across deactivate/activate"
pass "revert stops and verifies; rows written before are there after the next apply"

# --- a server started by something that ignores the option file, under its own pid file in the
# data directory (MariaDB's default, HOSTNAME.pid): proven local by the pid file it names, ACTIVE;
# deactivate stops it ---
run 0 xhn deactivate --yes
(cd / && ina setsid -f /usr/sbin/mariadbd --no-defaults --user=root --datadir="$DATA" --port="$PORT" --socket="$SOCK" \
        --bind-address=127.0.0.1,192.0.2.70,192.0.2.7 --log-error="$M/log/nodefaults.log" < /dev/null > /dev/null 2>&1)
for _ in $(seq 1 300); do sql_root 'SELECT 1' > /dev/null 2>&1 && break; sleep 0.1; done
own=$(sql_root 'SELECT @@pid_file')
[ "$own" != "$DATA/mariadb.pid" ] && [ -e "$own" ] || fail "the server should run under a pid file of its own, not $own"
run 0 xhn -v status
expect_output "with the pid file $own, not $DATA/mariadb.pid"
# without pid_file, the server's own *.pid in the data directory is read directly
write_step pid_file=
run 0 xhn status
run 0 xhn describe mariadb
expect_output "would add to bind-address '127.0.0.1,192.0.2.70,192.0.2.7' now: nothing$"
write_step
run 0 xhn deactivate --yes
[ -z "$(servers)" ] || fail "deactivate left the server started without the option file"
run 0 xhn activate --yes
pass "a server under its own pid file: ACTIVE, proven by the pid file it names; deactivate stops it"

# --- a crash: the server killed with SIGKILL right after a commit; the stale pid file is judged,
# crash recovery keeps every committed row ---
sql_b "INSERT INTO t VALUES (4), (5)"
pid=$(servers)
kill -KILL "$pid"
for _ in $(seq 1 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
wait_no_server
[ -e "$DATA/mariadb.pid" ] || fail "the pid file vanished"
run 3 xhn status
run 0 xhn -v activate --yes
expect_output "the pid file is stale: pid $pid in $DATA/mariadb.pid is no server of this node and nothing answers at"
[ "$(sql_b 'SELECT COUNT(*) FROM t')" = 5 ] || fail "committed rows lost after the crash"
pass "a stale pid file after a crash is reported, the server starts, no committed row is lost"

# --- the guard with a place that never answers and one that fails at once ---
guard_ms() { sed -n 's/.*at once in \([0-9]*\) ms.*/\1/p' "$T/out"; }
crash() {
        local p
        p=$(servers)
        kill -KILL "$p"
        for _ in $(seq 1 100); do [ -e "/proc/$p" ] || break; sleep 0.1; done
        wait_no_server
}
crash
write_step guard_addresses="192.0.2.2, $SILENT, $BLACKHOLE"
t0=$(date +%s%3N)
run 0 xhn -v activate --yes
t1=$(date +%s%3N)
expect_output "the pid file is stale: .*nothing answers at .*$SILENT.* port $PORT"
expect_output "no reply from $SILENT within guard_timeout"
grep -q "no reply from.*$BLACKHOLE" "$T/out" && { cat "$T/out" >&2; fail "a blackholed address fails at once: it is not silent"; }
[ "$(sql_b 'SELECT COUNT(*) FROM t')" = 5 ] || fail "rows lost after the crash"
echo "# guard with one silent ($SILENT) and one blackholed ($BLACKHOLE) address: $(guard_ms) ms; whole activate $((t1 - t0)) ms"
write_step guard_timeout=0
run 2 xhn validate
expect_output "guard_timeout must be longer than 0"
write_step
pass "a silent and a blackholed address: the pid file is stale, the server starts"

# --- the other node runs the data directory: a server in B, in a PID namespace of its own (its pid
# file records pid 1), on B's own socket. A's status says INACTIVE; activate refuses, exit 6 ---
run 0 xhn deactivate --yes
wait_no_server
cp "$CNF" "$M/cnf.before"
(cd / && inb setsid -f unshare -p -f --mount-proc /usr/sbin/mariadbd --no-defaults --user=root --datadir="$DATA" \
        --port="$PORT" --socket="$M/other.sock" --pid-file="$DATA/mariadb.pid" --bind-address=192.0.2.2 \
        --log-error="$M/log/other.log" < /dev/null > /dev/null 2>&1)
for _ in $(seq 1 300); do HOST=192.0.2.2 sql_b 'SELECT 1' > /dev/null 2>&1 && break; sleep 0.1; done
HOST=192.0.2.2 sql_b 'SELECT 1' > /dev/null || { cat "$M/log/other.log" >&2; fail "the other node's server did not start"; }
[ "$(head -n 1 "$DATA/mariadb.pid")" = 1 ] || fail "the other node's server should record pid 1"
n=$(starts)
run 3 xhn status
run 6 xhn -v activate --yes
expect_output "refusing to start: a server answers at 192.0.2.2 port $PORT \(a server greets as version [^)]*MariaDB[^)]*\), but pid 1 in $DATA/mariadb.pid is no server of this node"
echo "# guard refusing: $(guard_ms) ms"
[ "$(starts)" = "$n" ] || fail "the refused apply started a server"
cmp "$CNF" "$M/cnf.before" || fail "the refused apply changed my.cnf"
# Without guard_addresses: the record the other node's activation leaves in the data directory
# names where its server answers, and the guard asks there.
grep -qx "address 192.0.2.70" "$DATA/xhafw-mariadb.places" || fail "activate did not record this node's addresses"
grep -q "192.0.2.2" "$DATA/xhafw-mariadb.places" && fail "the record names the other node before it activated"
printf '# as the other node records it\naddress 192.0.2.2\n' > "$DATA/xhafw-mariadb.places"
write_step guard_addresses=
run 6 xhn -v activate --yes
expect_output "refusing to start: a server answers at 192.0.2.2 port $PORT"
# A silent place among those asked does not delay the refusal.
write_step guard_addresses="$SILENT, 192.0.2.2"
run 6 xhn -v activate --yes
expect_output "refusing to start: a server answers at 192.0.2.2"
gm=$(guard_ms)
echo "# guard refusing with a silent address among the places: $gm ms"
[ "$gm" -lt 400 ] || fail "the refusal waited for the silent place ($gm ms)"
write_step
[ "$(starts)" = "$n" ] || fail "the refused apply started a server"
[ "$(head -n 1 "$DATA/mariadb.pid")" = 1 ] || fail "the other node's pid file was touched"
for p in $(servers); do kill -TERM "$p"; done
wait_no_server
run 0 xhn activate --yes
[ "$(sql_b 'SELECT COUNT(*) FROM t')" = 5 ] || fail "rows lost across the other node's run"
pass "a live server elsewhere: status INACTIVE, exit 6, nothing started or edited"

# --- the other node as the postgres test simulates it: a server of the same data directory in a PID
# namespace of its own but in this node's network namespace, on the configured socket, no TCP. Its
# /proc entry works in $DATA, but it is no server of this node: status INACTIVE, activate exit 6 ---
run 0 xhn deactivate --yes
wait_no_server
(cd / && ina setsid -f unshare -p -f --mount-proc /usr/sbin/mariadbd --no-defaults --user=root --datadir="$DATA" \
        --socket="$SOCK" --pid-file="$DATA/mariadb.pid" --skip-networking --log-error="$M/log/other2.log" \
        < /dev/null > /dev/null 2>&1)
for _ in $(seq 1 300); do sql_root 'SELECT 1' > /dev/null 2>&1 && break; sleep 0.1; done
sql_root 'SELECT 1' > /dev/null || { cat "$M/log/other2.log" >&2; fail "the PID-namespaced server did not start"; }
[ "$(head -n 1 "$DATA/mariadb.pid")" = 1 ] || fail "the PID-namespaced server should record pid 1"
n=$(starts)
run 3 xhn -v status
expect_output "a server answers at localhost, but no server of this node runs for $DATA"
run 6 xhn -v activate --yes
expect_output "refusing to start: a server answers at $SOCK port $PORT"
[ "$(starts)" = "$n" ] || fail "the refused apply started a server"
for p in $(servers); do kill -TERM "$p"; done
wait_no_server
run 0 xhn activate --yes
[ "$(sql_b 'SELECT COUNT(*) FROM t')" = 5 ] || fail "rows lost across the other node's run"
pass "a server in another PID namespace on this node's socket: INACTIVE, exit 6"

# --- grants: check sees one missing; grant_revert removes only what this step added ---
sql_root "DROP USER 'xcatadmin'@'192.0.2.1'"
run 4 xhn status
run 0 xhn -v activate --yes
expect_output "created and granted ALL PRIVILEGES ON \`xcatdb\`.\* TO 'xcatadmin'@'192.0.2.1'"
sql_root "CREATE USER 'xcatadmin'@'192.0.2.3' IDENTIFIED BY 'x'"
write_step grant_revert=yes grant_hosts="192.0.2.2, 192.0.2.7, 192.0.2.1, 192.0.2.3"
run 0 xhn -v activate --yes
expect_output "granted ALL PRIVILEGES ON \`xcatdb\`.\* TO 'xcatadmin'@'192.0.2.3'"
run 0 xhn -v deactivate --yes
expect_output "dropped the account 'xcatadmin'@'192.0.2.1' this step created"
expect_output "revoked the grant to 'xcatadmin'@'192.0.2.3' this step added"
run 0 xhn activate --yes
[ "$(sql_root "SELECT COUNT(*) FROM mysql.user WHERE User = 'xcatadmin' AND Host = '192.0.2.3'")" = 1 ] ||
        fail "revert dropped an account it did not create"
write_step
pass "grants: a missing one is PARTIAL and added; revert removes only what the step added"

# --- clear errors: a wrong or missing password file, a missing data directory ---
run 0 xhn deactivate --yes
write_step password_file="$T/wrongpass"
run 1 xhn activate --yes
expect_output "refuses the readiness query as root: Access denied for user 'root'@'localhost'"
[ -z "$(servers)" ] || fail "the failed activation left the server up"
write_step password_file="$T/nopass"
run 1 xhn activate --yes
expect_output "cannot read password_file $T/nopass: No such file or directory"
write_step data_dir="$M/missing"
run 3 xhn status
run 1 xhn activate --yes
expect_output "data directory $M/missing: No such file or directory"
write_step
pass "wrong password, missing password file, missing data directory: clear errors"

run 0 xhn activate --yes
run 0 xhn deactivate --yes
# No secret anywhere: outputs, journal, step state, backups of the edited file, the server's log.
[ -s "$T/state/journal" ] || fail "no journal in $T/state"
if grep -rqF -e "$PW" -e "$XPW" -e "$WRONG" "$T/all.out" "$T/state" "$M/log/server.log" "$M/log/server.log.calls"; then
        fail "a password leaked into an output or the state directory"
fi
pass "no secret in any output, the journal or the state"
