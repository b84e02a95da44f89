#!/bin/bash
# Integration test of the postgres plugin against a real PostgreSQL server: a cluster made by initdb
# in a temporary directory, served in a network namespace of its own (lo with RFC 5737 addresses),
# started and stopped by pg_ctl through tests/integration/pg-svcman.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-netns.sh"
source "$(dirname "$0")/lib-postgres.sh"
pg_need initdb
SRC=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
GOLD=$SRC/plugins/postgres/testdata

pg_cluster /tmp/xhafw-pg.XXXXXX
WRONG=xw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$WRONG" > "$T/wrongpass"
chmod 0600 "$T/wrongpass"

NS=xhafw-pg-$$
ip netns add "$NS"
at_exit "ip netns del '$NS'"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 192.0.2.7/32 dev lo
ip -n "$NS" addr add 192.0.2.70/32 dev lo
# Two addresses where no server can answer, for the guard: 198.51.100.99 goes out on a veth pair to a
# neighbour that does not exist (a static entry for an unused MAC address), so its SYNs vanish
# without a word, as towards a node that is cut off; 198.51.100.98 has a blackhole route, which
# makes connect() fail at once (EINVAL), as a refusal does.
ip -n "$NS" link add xhpg0 type veth peer name xhpg1
ip -n "$NS" addr add 198.51.100.1/24 dev xhpg0
ip -n "$NS" link set xhpg0 up
ip -n "$NS" link set xhpg1 up
ip -n "$NS" neigh add 198.51.100.99 lladdr 02:00:00:00:00:99 dev xhpg0 nud permanent
ip -n "$NS" route add blackhole 198.51.100.98/32
SILENT=198.51.100.99
BLACKHOLE=198.51.100.98
inns() { ip netns exec "$NS" "$@"; }
# A free port of the namespace.
free_port inns
# The golden inputs replace initdb's files; the port and socket directory come through their include.
install -o postgres -g postgres -m 0600 "$GOLD/pg_hba.conf.in" "$DATA/pg_hba.conf"
install -o postgres -g postgres -m 0600 "$GOLD/postgresql.conf.in" "$DATA/postgresql.conf"
install -d -o postgres -g postgres "$DATA/conf.d"
printf "port = %s\nunix_socket_directories = '%s'\n" "$PORT" "$PGD/sock" > "$DATA/local.conf"
chown postgres: "$DATA/local.conf"

xh_config "service_manager=$SRC/tests/integration/pg-svcman.sh, $PGBIN, $DATA, $PGD/log/server.log"
write_step() {
        declare -A o=([data_dir]="$DATA" [service]=postgresql-test [port]="$PORT"
                [listen_addresses]="localhost, 192.0.2.7, 192.0.2.70"
                [allow]="192.0.2.7, 192.0.2.70, 198.51.100.0/24, 192.0.2.8, 2001:db8::7, ::1, 192.0.2.7"
                [auth_method]=scram-sha-256 [check_host]=127.0.0.1 [password_file]="$T/pgpass"
                [ready_timeout]=20s)
        local kv k
        for kv in "$@"; do o[${kv%%=*}]=${kv#*=}; done
        { echo "[postgres]"; for k in "${!o[@]}"; do echo "$k = ${o[$k]}"; done; } > "$T/conf.d/50-postgres.conf"
}
write_step

xhn() { inns "$XHAFW" --config "$T/xhafw.conf" "$@"; }
# run CODE ARGS...: xhafw in the namespace; every output is kept for the secret check at the end.
run() { expect_exit "$@"; cat "$T/out" >> "$T/all.out"; [ -z "${VERBOSE_OUT:-}" ] || cat "$T/out"; }
psqln() {
        PGPASSWORD=$PW inns "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "${HOST:-192.0.2.7}" -p "$PORT" -U postgres \
                -d postgres "$@"
}
starts() { if [ -e "$PGD/log/server.log.calls" ]; then grep -c '^start' "$PGD/log/server.log.calls" || true; else echo 0; fi; }
server_up() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" status > /dev/null 2>&1; }
same_as_golden() {
        cmp "$DATA/pg_hba.conf" "$GOLD/pg_hba.conf.golden" || fail "pg_hba.conf differs from the golden file"
        cmp "$DATA/postgresql.conf" "$GOLD/postgresql.conf.golden" || fail "postgresql.conf differs from the golden file"
}

# --- configuration, describe, dry-run: nothing changes ---
run 0 xhn validate
run 0 xhn describe postgres
expect_output "would add to .*pg_hba.conf now: 192.0.2.7/32,198.51.100.0/24,192.0.2.8/32,2001:db8::7/128"
expect_output "would add to listen_addresses 'localhost,192.0.2.70' now: 192.0.2.7"
run 3 xhn status
run 0 xhn activate --dry-run --yes
expect_output "\+host	all	all	192.0.2.7/32	scram-sha-256	# managed by xhafw"
cmp "$DATA/pg_hba.conf" "$GOLD/pg_hba.conf.in" || fail "dry-run changed pg_hba.conf"
cmp "$DATA/postgresql.conf" "$GOLD/postgresql.conf.in" || fail "dry-run changed postgresql.conf"
[ "$(starts)" = 0 ] || fail "dry-run started the server"
server_up && fail "dry-run started the server"
pass "validate, describe and dry-run change nothing"

# --- apply from cold; a client through the added address reads rows ---
run 0 xhn -v activate --yes
expect_output "ready after [0-9]+ ms"
same_as_golden
psqln -c "CREATE TABLE t (i int); INSERT INTO t VALUES (1), (2), (3);"
[ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "rows not readable"
[ "$(HOST=192.0.2.70 psqln -c 'SELECT sum(i) FROM t')" = 6 ] || fail "rows not readable at 192.0.2.70"
run 0 xhn status
write_step check_host="$PGD/sock"
run 0 xhn status
write_step
pass "apply from cold: edits equal the golden files, a client reads rows"

# --- apply again changes nothing ---
before=$(stat -c '%i %Y' "$DATA/pg_hba.conf" "$DATA/postgresql.conf")
n=$(starts)
run 0 xhn activate --yes
[ "$(stat -c '%i %Y' "$DATA/pg_hba.conf" "$DATA/postgresql.conf")" = "$before" ] || fail "apply again rewrote a file"
[ "$(starts)" = "$n" ] || fail "apply again started the server"
pass "apply again changes nothing"

# --- up but not as configured: PARTIAL; apply restarts for listen_addresses, reloads for pg_hba.conf ---
pgctl_ns() { (cd / && inns runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$PGD/log/server.log" "$@") > /dev/null || { tail -n 5 "$PGD/log/server.log" >&2; return 1; }; }
install -o postgres -g postgres -m 0600 "$GOLD/postgresql.conf.in" "$DATA/postgresql.conf"
pgctl_ns -w restart
run 4 xhn status
run 0 xhn -v activate --yes
expect_output "restarting postgres: listen_addresses changes only at start"
same_as_golden
[ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "rows not readable at 192.0.2.7 after the restart"
install -o postgres -g postgres -m 0600 "$GOLD/pg_hba.conf.in" "$DATA/pg_hba.conf"
pgctl_ns reload
run 4 xhn status
n=$(starts)
run 0 xhn -v activate --yes
expect_output "postmaster pid [0-9]+ reloads"
[ "$(starts)" = "$n" ] || fail "a pg_hba.conf change restarted the server"
same_as_golden
pass "up without a listen address or an access line: PARTIAL, then restart or reload"

# --- revert: down and INACTIVE; the shared access lines stay; rows survive; adding twice adds once ---
run 0 xhn deactivate --yes
server_up && fail "server still up after deactivate"
postgres_runs && fail "postgres processes left after deactivate"
run 3 xhn status
same_as_golden
run 0 xhn activate --yes
same_as_golden
[ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "rows lost across deactivate/activate"
pass "revert stops and verifies; rows written before are there after the next apply"

# --- a wildcard in postgresql.conf's listen_addresses covers every address the step needs (the VIP,
# this node's address, localhost): the shared file is not touched, a server up with it is ACTIVE and
# is not restarted. '::' alone is IPv6 only in PostgreSQL (it binds with IPV6_V6ONLY): the IPv4
# addresses are added to it, localhost is not. ---
# wild_conf VALUE: the golden input with its listen_addresses value replaced, installed and kept in $T/wild.conf.
wild_conf() {
        local line="listen_addresses = 'localhost,192.0.2.70'"
        awk -v old="$line" -v new="listen_addresses = $1" \
                'index($0, old) == 1 { $0 = new substr($0, length(old) + 1) } { print }' "$GOLD/postgresql.conf.in" > "$T/wild.conf"
        grep -qF "listen_addresses = $1	" "$T/wild.conf" || fail "no listen_addresses = $1 line in $T/wild.conf"
        install -o postgres -g postgres -m 0600 "$T/wild.conf" "$DATA/postgresql.conf"
}
for w in "'0.0.0.0'" "'*'" "'0.0.0.0, ::'"; do
        wild_conf "$w"
        pgctl_ns -w restart
        run 0 xhn status
        run 0 xhn describe postgres
        grep -qF "would add to listen_addresses '${w//\'/}' now: nothing" "$T/out" || { cat "$T/out" >&2; fail "listen_addresses = $w: describe would add something"; }
        n=$(starts)
        run 0 xhn -v activate --yes
        grep -q "restarting postgres" "$T/out" && { cat "$T/out" >&2; fail "listen_addresses = $w: activate restarted the server"; }
        grep -q "to listen_addresses in" "$T/out" && { cat "$T/out" >&2; fail "listen_addresses = $w: activate extended it"; }
        [ "$(starts)" = "$n" ] || fail "listen_addresses = $w: activate started the server"
        cmp "$DATA/postgresql.conf" "$T/wild.conf" || fail "listen_addresses = $w: postgresql.conf was rewritten"
        run 0 xhn deactivate --yes
        run 0 xhn -v activate --yes
        cmp "$DATA/postgresql.conf" "$T/wild.conf" || fail "listen_addresses = $w: postgresql.conf was rewritten from cold"
        [ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "listen_addresses = $w: rows not readable at 192.0.2.7"
        [ "$(HOST=192.0.2.70 psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "listen_addresses = $w: rows not readable at 192.0.2.70"
        run 0 xhn status
done
if inns ip -6 addr show dev lo | grep -q 'inet6 ::1/'; then
        run 0 xhn deactivate --yes
        wild_conf "'::'"
        write_step check_host=192.0.2.7
        run 0 xhn -v activate --yes
        expect_output "added 192.0.2.7,192.0.2.70 to listen_addresses in $DATA/postgresql.conf"
        sed "s|^listen_addresses = '::'|listen_addresses = '::, 192.0.2.7, 192.0.2.70'|" "$T/wild.conf" > "$T/wild.want"
        cmp "$DATA/postgresql.conf" "$T/wild.want" || fail "listen_addresses = '::': not extended by the IPv4 addresses alone"
        [ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "listen_addresses = '::': rows not readable at 192.0.2.7"
        [ "$(HOST=::1 psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "listen_addresses = '::': rows not readable at ::1"
        run 0 xhn status
        write_step
else
        echo "# no IPv6 on the namespace's lo: listen_addresses = '::' not tried"
fi
run 0 xhn deactivate --yes
install -o postgres -g postgres -m 0600 "$GOLD/postgresql.conf.in" "$DATA/postgresql.conf"
run 0 xhn activate --yes
same_as_golden
pass "a wildcard in listen_addresses: no edit, no restart, ACTIVE; '::' gets the IPv4 addresses only"

# --- stale postmaster.pid: the postmaster killed with SIGKILL ---
pid=$(head -n 1 "$DATA/postmaster.pid")
kill -KILL "$pid"
# gone, not merely a zombie: postgres takes a pid that still exists for a running postmaster
for _ in $(seq 1 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
[ -e "/proc/$pid" ] && fail "the killed postmaster $pid was not reaped"
wait_no_postgres
[ -e "$DATA/postmaster.pid" ] || fail "postmaster.pid vanished"
run 3 xhn status
run 0 xhn activate --yes
expect_output "postmaster.pid is stale: pid $pid"
[ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "rows lost after the crash"
pass "a stale postmaster.pid is reported and the server starts"

# --- the guard with a place that never answers: the crashed node's address, cut off. Every place
# is asked at once, so the wait is guard_timeout, not 2 s per silent address. The time is printed,
# not asserted (tests/bench/postgres.sh measures it); the behaviour is asserted. ---
# crash_with_listen ADDR: kill the postmaster and make the stale postmaster.pid record ADDR as its
# listen address (line 6), as the other node's file would; the file keeps its owner and inode.
crash_with_listen() {
        pid=$(head -n 1 "$DATA/postmaster.pid")
        kill -KILL "$pid"
        for _ in $(seq 1 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
        [ -e "/proc/$pid" ] && fail "the killed postmaster $pid was not reaped"
        wait_no_postgres
        awk -v a="$1" 'NR == 6 { $0 = a } { print }' "$DATA/postmaster.pid" > "$T/pid.new"
        cat "$T/pid.new" > "$DATA/postmaster.pid"
        [ "$(sed -n 6p "$DATA/postmaster.pid")" = "$1" ] || fail "postmaster.pid has no line 6"
}
guard_ms() { sed -n 's/.*at once in \([0-9]*\) ms.*/\1/p' "$T/out"; }
crash_with_listen "$SILENT"
tx_packets() { inns cat /sys/class/net/xhpg0/statistics/tx_packets; }
tx0=$(tx_packets)
t0=$(date +%s%3N)
run 0 xhn -v activate --yes
t1=$(date +%s%3N)
tx1=$(tx_packets)
# A fresh attempt every 150 ms within guard_timeout (the kernel's own resend comes after 1 s):
# four SYNs at 0, 150, 300 and 450 ms; at least three, whatever the timing.
[ $((tx1 - tx0)) -ge 3 ] || fail "only $((tx1 - tx0)) packets went to $SILENT: no fresh attempts"
expect_output "postmaster.pid is stale: pid $pid .*nothing answers at [^ ]*${SILENT}[^ ]* port $PORT"
expect_output "no reply from $SILENT within guard_timeout"
[ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "rows lost after the crash"
echo "# guard with one silent address ($SILENT): $(guard_ms) ms, $((tx1 - tx0)) packets sent to it; whole activate $((t1 - t0)) ms"
crash_with_listen "$BLACKHOLE"
run 0 xhn -v activate --yes
expect_output "postmaster.pid is stale: pid $pid .*nothing answers at [^ ]*${BLACKHOLE}[^ ]* port $PORT"
grep -q "no reply from" "$T/out" && { cat "$T/out" >&2; fail "a blackhole route fails at once: no place should be silent"; }
[ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "rows lost after the crash"
echo "# guard with a blackholed address ($BLACKHOLE): $(guard_ms) ms"
write_step guard_timeout=0
run 2 xhn validate
expect_output "guard_timeout must be longer than 0"
write_step
pass "a silent and a blackholed address: the pid file is stale, the server starts"

# --- a stale postmaster.pid whose pid is, on this node, a live unrelated process of the postgres
# user (the pid came from the other node and is taken here): PostgreSQL's own check cannot tell it
# from a postmaster and refuses to start ("lock file already exists"). Once the guard has proven the
# file stale, the plugin moves it aside, says so, and starts; dry-run only says it would. ---
(cd / && exec setpriv --reuid=postgres --regid=postgres --init-groups sleep 300) &
SLEEPER=$!
# evaluated at exit, and emptied once it has ended, so that a pid reused since is never signalled
at_exit '[ -z "$SLEEPER" ] || { kill -KILL "$SLEEPER"; wait "$SLEEPER"; } 2> /dev/null'
for _ in $(seq 1 50); do [ "$(cat "/proc/$SLEEPER/comm" 2> /dev/null)" = sleep ] && break; sleep 0.1; done
[ "$(stat -c %U "/proc/$SLEEPER")" = postgres ] && [ "$(cat "/proc/$SLEEPER/comm")" = sleep ] ||
        fail "the unrelated process $SLEEPER is not postgres's sleep"
stale_files() { ls -d "$DATA"/postmaster.pid.stale-* 2> /dev/null || true; }
crash_with_listen "$BLACKHOLE"
# the other node's file, as PostgreSQL writes it: its pid on line 1, the rest as recorded
awk -v p="$SLEEPER" 'NR == 1 { $0 = p } { print }' "$DATA/postmaster.pid" > "$T/pid.new"
cat "$T/pid.new" > "$DATA/postmaster.pid"
[ "$(head -n 1 "$DATA/postmaster.pid")" = "$SLEEPER" ] && [ "$(wc -l < "$DATA/postmaster.pid")" = 8 ] ||
        fail "postmaster.pid does not record pid $SLEEPER in PostgreSQL's format"
run 3 xhn status
run 0 xhn activate --dry-run --yes
expect_output "would move $DATA/postmaster.pid aside to postmaster.pid.stale-[0-9]{8}T[0-9]{6}Z: it is stale, but its pid $SLEEPER is a live process of this node \(sleep, user postgres\)"
cmp "$DATA/postmaster.pid" "$T/pid.new" || fail "dry-run changed postmaster.pid"
[ -z "$(stale_files)" ] || fail "dry-run moved postmaster.pid aside: $(stale_files)"
# (not pg_ctl status: it takes the live pid in the file for a running server, as postgres does)
postgres_runs && fail "dry-run started the server"
run 0 xhn activate --yes
expect_output "postmaster.pid is stale: pid $SLEEPER is no postgres of this node"
expect_output "moved $DATA/postmaster.pid aside to postmaster.pid.stale-[0-9]{8}T[0-9]{6}Z: it is stale .* but pid $SLEEPER is a live process of this node \(sleep, user postgres\), which PostgreSQL would take for a postmaster"
[ "$(stale_files | wc -l)" = 1 ] || fail "expected one postmaster.pid.stale-* in $DATA: $(stale_files)"
cmp "$(stale_files)" "$T/pid.new" || fail "the file moved aside is not the stale postmaster.pid"
[ "$(stat -c %U "$(stale_files)")" = postgres ] || fail "the file moved aside lost its owner"
[ "$(head -n 1 "$DATA/postmaster.pid")" != "$SLEEPER" ] || fail "postmaster.pid still names $SLEEPER"
[ -e "/proc/$SLEEPER" ] || fail "the unrelated process $SLEEPER was touched"
[ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "rows lost after the crash"
run 0 xhn status
pass "a stale postmaster.pid naming a live unrelated process of postgres: moved aside, said so, the server starts"

# Not while a backend of a postmaster that died still works in the data directory (here: stopped
# before the postmaster was killed): apply says so at once and leaves the file, where PostgreSQL
# would only fail to start over the shared memory the backend still holds.
rm -f "$DATA"/postmaster.pid.stale-*
psqln -c "SELECT pg_sleep(300)" > /dev/null 2>&1 &
PSQL_BG=$!
at_exit '[ -z "$PSQL_BG" ] || kill -KILL "$PSQL_BG" 2> /dev/null'
BACKEND=
for _ in $(seq 1 100); do
        BACKEND=$(psqln -c "SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(300)'")
        [ -n "$BACKEND" ] && break
        sleep 0.1
done
[ -n "$BACKEND" ] || fail "no backend runs SELECT pg_sleep(300)"
kill -STOP "$BACKEND"
pid=$(head -n 1 "$DATA/postmaster.pid")
kill -KILL "$pid"
for _ in $(seq 1 100); do [ -e "/proc/$pid" ] || break; sleep 0.1; done
[ -e "/proc/$pid" ] && fail "the killed postmaster $pid was not reaped"
awk -v p="$SLEEPER" 'NR == 1 { $0 = p } { print }' "$DATA/postmaster.pid" > "$T/pid.new"
cat "$T/pid.new" > "$DATA/postmaster.pid"
n=$(starts)
# (no rollback: the test's service manager stops with pg_ctl, which would signal the pid in the file)
run 1 xhn activate --yes --no-rollback
expect_output "not starting: pid $BACKEND, a postgres process of this node, still works in $DATA"
cmp "$DATA/postmaster.pid" "$T/pid.new" || fail "postmaster.pid was moved or rewritten with a backend left in $DATA"
[ -z "$(stale_files)" ] || fail "postmaster.pid was moved aside with a backend left in $DATA: $(stale_files)"
[ "$(starts)" = "$n" ] || fail "activate started a server beside a backend left in $DATA"
[ -e "/proc/$SLEEPER" ] || fail "the unrelated process $SLEEPER was touched"
kill -KILL "$BACKEND"
wait "$PSQL_BG" 2> /dev/null || true
PSQL_BG=
wait_no_postgres
run 0 xhn activate --yes
expect_output "moved $DATA/postmaster.pid aside to postmaster.pid.stale-"
[ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "rows lost after the crash"
[ -e "/proc/$SLEEPER" ] || fail "the unrelated process $SLEEPER was touched"
kill -KILL "$SLEEPER"
wait "$SLEEPER" 2> /dev/null || true
SLEEPER=
pass "not moved while a backend of the dead postmaster still works in the data directory"

# A live local postmaster's file is never moved, by apply or by its dry-run (an access line is
# missing, so that apply runs and its guard looks at the file).
rm -f "$DATA"/postmaster.pid.stale-*
install -o postgres -g postgres -m 0600 "$GOLD/pg_hba.conf.in" "$DATA/pg_hba.conf"
pgctl_ns reload
before=$(stat -c '%i %Y' "$DATA/postmaster.pid")
cp "$DATA/postmaster.pid" "$T/pid.live"
run 4 xhn status
run 0 xhn -v activate --dry-run --yes
expect_output "postmaster pid $(head -n 1 "$T/pid.live") of this node already runs for $DATA"
grep -q "aside" "$T/out" && { cat "$T/out" >&2; fail "dry-run with a live postmaster spoke of moving its file"; }
run 0 xhn -v activate --yes
same_as_golden
expect_output "postmaster pid $(head -n 1 "$T/pid.live") of this node already runs for $DATA"
grep -q "aside" "$T/out" && { cat "$T/out" >&2; fail "activate with a live postmaster spoke of moving its file"; }
[ "$(stat -c '%i %Y' "$DATA/postmaster.pid")" = "$before" ] && cmp -s "$DATA/postmaster.pid" "$T/pid.live" ||
        fail "a live postmaster's postmaster.pid was moved or rewritten"
[ -z "$(stale_files)" ] || fail "a live postmaster's postmaster.pid was moved aside: $(stale_files)"
# Nor is one whose (negated) pid is a single-user backend of this node working in the data directory:
# no server answers for it, but it holds the cluster.
run 0 xhn deactivate --yes
wait_no_postgres
mkfifo "$PGD/single.in"
(cd / && exec setpriv --reuid=postgres --regid=postgres --init-groups "$PGBIN/postgres" --single -D "$DATA" postgres \
        < "$PGD/single.in" > "$PGD/single.log" 2>&1) &
SINGLE=$!
at_exit '[ -z "$SINGLE" ] || kill -KILL "$SINGLE" 2> /dev/null'
exec 9> "$PGD/single.in"
for _ in $(seq 1 100); do [ "$(head -n 1 "$DATA/postmaster.pid" 2> /dev/null)" = "-$SINGLE" ] && break; sleep 0.1; done
[ "$(head -n 1 "$DATA/postmaster.pid" 2> /dev/null)" = "-$SINGLE" ] ||
        { cat "$PGD/single.log" >&2; fail "the single-user backend $SINGLE did not record -$SINGLE"; }
cp "$DATA/postmaster.pid" "$T/pid.single"
n=$(starts)
run 1 xhn activate --yes
expect_output "not starting: pid $SINGLE, a postgres process of this node, still works in $DATA \(the single-user backend the file names\)"
cmp "$DATA/postmaster.pid" "$T/pid.single" || fail "a single-user backend's postmaster.pid was moved or rewritten"
[ -z "$(stale_files)" ] || fail "a single-user backend's postmaster.pid was moved aside: $(stale_files)"
[ "$(starts)" = "$n" ] || fail "activate started a server over a single-user backend"
exec 9>&-
for _ in $(seq 1 100); do [ -e "/proc/$SINGLE" ] || break; sleep 0.1; done
wait "$SINGLE" 2> /dev/null || true
[ -e "/proc/$SINGLE" ] && fail "the single-user backend $SINGLE did not end"
SINGLE=
wait_no_postgres
run 0 xhn activate --yes
pass "the pid file of a live local postmaster or single-user backend is never moved"

# --- a postmaster.pid that names no process (a crash while the server started, a full disk):
# PostgreSQL refuses to start over it ("lock file is empty", "bogus data in lock file"). Once no
# postgres of this node works in the data directory and nothing answers for the cluster, it is stale:
# moved aside, said so, and the server starts; dry-run only says it would. ---
# no_pid_file KIND: the stopped cluster's postmaster.pid replaced by one that names no process.
no_pid_file() {
        case $1 in
        empty) : > "$DATA/postmaster.pid" ;;
        blanks) printf ' \n\t\n' > "$DATA/postmaster.pid" ;;
        garbage) printf 'garbage\n%s\n' "$DATA" > "$DATA/postmaster.pid" ;;
        esac
        chown postgres: "$DATA/postmaster.pid"
        cp "$DATA/postmaster.pid" "$T/pid.none"
}
for kind in empty blanks garbage; do
        case $kind in
        empty) why="it is empty" ;;
        blanks) why="it holds only blanks" ;;
        garbage) why="its first line is no pid" ;;
        esac
        run 0 xhn deactivate --yes
        wait_no_postgres
        rm -f "$DATA"/postmaster.pid.stale-*
        no_pid_file "$kind"
        run 3 xhn status
        run 0 xhn activate --dry-run --yes
        expect_output "would move $DATA/postmaster.pid aside to postmaster.pid.stale-[0-9]{8}T[0-9]{6}Z: it is stale, and it names no process \($why\)"
        cmp "$DATA/postmaster.pid" "$T/pid.none" || fail "dry-run changed the $kind postmaster.pid"
        [ -z "$(stale_files)" ] || fail "dry-run moved the $kind postmaster.pid aside: $(stale_files)"
        postgres_runs && fail "dry-run started the server"
        run 0 xhn -v activate --yes
        expect_output "$DATA/postmaster.pid is stale: it names no process \($why\) and nothing answers at .* port $PORT"
        expect_output "moved $DATA/postmaster.pid aside to postmaster.pid.stale-[0-9]{8}T[0-9]{6}Z: it is stale \(it names no process: $why; no postgres of this node works in $DATA"
        [ "$(stale_files | wc -l)" = 1 ] || fail "expected one postmaster.pid.stale-* in $DATA: $(stale_files)"
        cmp "$(stale_files)" "$T/pid.none" || fail "the file moved aside is not the $kind postmaster.pid"
        [ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "rows lost after the $kind postmaster.pid"
        run 0 xhn status
done
rm -f "$DATA"/postmaster.pid.stale-*
pass "a postmaster.pid that names no process (empty, blanks, garbage): moved aside, said so, the server starts"

# Not while a postmaster of this node runs in the data directory: its file emptied under it is
# still its own. Refused (exit 6), nothing moved or started, the server left as it was.
cp "$DATA/postmaster.pid" "$T/pid.live"
live=$(head -n 1 "$T/pid.live")
: > "$DATA/postmaster.pid"
n=$(starts)
run 3 xhn status
run 6 xhn activate --yes
expect_output "refusing to start: $DATA/postmaster.pid names no process \(it is empty\), but pid [0-9]+, a postgres process of this node, works in $DATA"
[ -e "$DATA/postmaster.pid" ] && [ ! -s "$DATA/postmaster.pid" ] || fail "the emptied postmaster.pid of a live postmaster was changed"
[ -z "$(stale_files)" ] || fail "the emptied postmaster.pid of a live postmaster was moved aside: $(stale_files)"
[ "$(starts)" = "$n" ] || fail "the refused apply started a server"
[ -e "/proc/$live" ] || fail "the live postmaster $live was stopped"
[ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "the live postmaster stopped answering"
cat "$T/pid.live" > "$DATA/postmaster.pid"
run 0 xhn status
pass "an emptied postmaster.pid of a live local postmaster: exit 6, nothing moved or started"

# --- a live postmaster that is not local: the other node, simulated by a server in its own PID
# namespace on the same data directory; the pid it records (1) is no postgres of this node ---
run 0 xhn deactivate --yes
wait_no_postgres
inns unshare -p -f --mount-proc setpriv --reuid=postgres --regid=postgres --init-groups \
        "$PGBIN/postgres" -D "$DATA" > "$PGD/other.log" 2>&1 &
# Its postmaster, by pid as this namespace sees it: the process in $DATA that is pid 1 of its own.
other_postmaster() {
        local p
        for p in /proc/[0-9]*; do
                [ "$(readlink "$p/cwd" 2> /dev/null)" = "$DATA" ] || continue
                grep -Eq '^NSpid:.*[[:space:]]1$' "$p/status" 2> /dev/null && echo "${p#/proc/}" && return 0
        done
        return 0
}
for _ in $(seq 1 100); do
        OTHER_PID=$(other_postmaster)
        [ -n "$OTHER_PID" ] && inns "$PGBIN/pg_isready" -q -h "$PGD/sock" -p "$PORT" && break
        sleep 0.1
done
inns "$PGBIN/pg_isready" -q -h "$PGD/sock" -p "$PORT" || { cat "$PGD/other.log" >&2; fail "the other node's server did not start"; }
[ "$(head -n 1 "$DATA/postmaster.pid")" = 1 ] || fail "the other node's server should record pid 1"
n=$(starts)
run 3 xhn status
run 6 xhn activate --yes
expect_output "refusing to start: a server answers at .* port $PORT, but pid 1 in $DATA/postmaster.pid is no postgres of this node"
[ "$(starts)" = "$n" ] || fail "the refused apply started a server"
# A silent place among those asked does not hide the one that answers, nor delay the refusal.
awk -v a="$SILENT" 'NR == 6 { $0 = a } { print }' "$DATA/postmaster.pid" > "$T/pid.new"
cat "$T/pid.new" > "$DATA/postmaster.pid"
run 6 xhn -v activate --yes
expect_output "refusing to start: a server answers at .* port $PORT, but pid 1 in $DATA/postmaster.pid is no postgres of this node"
expect_output "port $PORT answered: "
echo "# guard refusing with one silent address among the places: $(guard_ms) ms"
[ "$(starts)" = "$n" ] || fail "the refused apply started a server"
# Only TCP places left (the recorded socket directory is wrong), and each wants a password the guard
# does not send: a server that will not let us in still answers.
awk -v d="$PGD/nosock" 'NR == 5 { $0 = d } { print }' "$DATA/postmaster.pid" > "$T/pid.new"
cat "$T/pid.new" > "$DATA/postmaster.pid"
run 6 xhn -v activate --yes
expect_output "refusing to start: a server answers at (localhost|127\.0\.0\.1|192\.0\.2\.70?) port $PORT, but pid 1"
echo "# guard refusing, TCP only: $(guard_ms) ms; $(grep -o 'port [0-9]* answered: .*' "$T/out")"
[ "$(starts)" = "$n" ] || fail "the refused apply started a server"
same_as_golden
# pid 1 is a live process here too, but the guard refused: the file is not its to move
[ "$(head -n 1 "$DATA/postmaster.pid")" = 1 ] || fail "the other node's postmaster.pid was touched"
[ -z "$(stale_files)" ] || fail "the other node's postmaster.pid was moved aside: $(stale_files)"
kill -INT "$OTHER_PID"
for _ in $(seq 1 100); do [ -e "/proc/$OTHER_PID" ] || break; sleep 0.1; done
wait || true
OTHER_PID=
wait_no_postgres
run 0 xhn activate --yes
pass "a live postmaster elsewhere: exit 6, nothing started"

# --- listen_addresses set by ALTER SYSTEM: postgresql.auto.conf overrides postgresql.conf, so that is
# the file extended (in place, the rest kept); postgresql.conf is not touched. A client reaches the
# server at the added addresses; ALTER SYSTEM RESET gives postgresql.conf the word back. ---
psqln -c "ALTER SYSTEM SET listen_addresses = '127.0.0.1'"
run 0 xhn deactivate --yes
wait_no_postgres
cp "$DATA/postgresql.auto.conf" "$T/auto.before"
grep -q "^listen_addresses = '127.0.0.1'$" "$T/auto.before" || fail "ALTER SYSTEM did not write postgresql.auto.conf"
run 0 xhn describe postgres
expect_output "listen_addresses in $DATA/postgresql.auto.conf must contain: localhost, 192.0.2.7, 192.0.2.70"
expect_output "would add to listen_addresses '127.0.0.1' now: localhost,192.0.2.7,192.0.2.70"
run 0 xhn -v activate --yes
expect_output "added localhost,192.0.2.7,192.0.2.70 to listen_addresses in $DATA/postgresql.auto.conf \(set there by ALTER SYSTEM"
same_as_golden
grep -q "^listen_addresses = '127.0.0.1, localhost, 192.0.2.7, 192.0.2.70'$" "$DATA/postgresql.auto.conf" ||
        { cat "$DATA/postgresql.auto.conf" >&2; fail "postgresql.auto.conf was not extended in place"; }
diff <(grep -v '^listen_addresses' "$T/auto.before") <(grep -v '^listen_addresses' "$DATA/postgresql.auto.conf") ||
        fail "postgresql.auto.conf changed beyond its listen_addresses"
[ "$(stat -c %U "$DATA/postgresql.auto.conf")" = postgres ] || fail "postgresql.auto.conf lost its owner"
[ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "rows not readable at 192.0.2.7 with ALTER SYSTEM's listen_addresses"
[ "$(HOST=192.0.2.70 psqln -c 'SELECT sum(i) FROM t')" = 6 ] || fail "rows not readable at 192.0.2.70"
run 0 xhn status
n=$(starts)
run 0 xhn activate --yes
[ "$(starts)" = "$n" ] || fail "activate again restarted the server"
psqln -c "ALTER SYSTEM RESET listen_addresses"
grep -q '^listen_addresses' "$DATA/postgresql.auto.conf" && fail "ALTER SYSTEM RESET left listen_addresses"
run 0 xhn deactivate --yes
run 0 xhn activate --yes
same_as_golden
[ "$(psqln -c 'SELECT count(*) FROM t')" = 3 ] || fail "rows not readable after ALTER SYSTEM RESET"
pass "listen_addresses set by ALTER SYSTEM: postgresql.auto.conf extended, the server listens at the VIP"

# --- clear errors: wrong or missing password file, missing data directory, unreachable check_host ---
run 0 xhn deactivate --yes
write_step password_file="$T/wrongpass"
run 1 xhn activate --yes
expect_output "password authentication failed for user \"postgres\""
server_up && fail "the failed activation left the server up"
write_step password_file="$T/nopass"
run 1 xhn activate --yes
expect_output "cannot read password_file $T/nopass: No such file or directory"
write_step data_dir="$PGD/missing"
run 3 xhn status
run 1 xhn activate --yes
expect_output "data directory $PGD/missing: No such file or directory"
write_step check_host=192.0.2.99
run 1 xhn activate --yes
expect_output "nothing answers at check_host 192.0.2.99 port $PORT"
server_up && fail "the failed activation left the server up"
write_step check_host="$PGD/nosock"
run 1 xhn activate --yes
expect_output "nothing answers at check_host $PGD/nosock port $PORT"
pass "wrong password, missing data directory, unreachable check_host: clear errors"

write_step
run 0 xhn activate --yes
run 0 xhn deactivate --yes
# No secret anywhere: outputs, journal, step state, backups of edited files, the service log.
[ -s "$T/state/journal" ] || fail "no journal in $T/state"
if grep -rqF -e "$PW" -e "$WRONG" "$T/all.out" "$T/state" "$PGD/log/server.log" "$PGD/log/server.log.calls"; then
        fail "a password leaked into an output or the state directory"
fi
pass "no secret in any output, the journal or the state"
