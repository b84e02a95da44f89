#!/bin/bash
# Integration test of the postgres plugin against a real PostgreSQL server: a cluster made by initdb
# in a temporary directory, served in a network namespace of its own (lo with RFC 5737 addresses),
# started and stopped by pg_ctl through tests/integration/pg-svcman.sh.
source "$(dirname "$0")/lib.sh"
need_root
need_cmd ip iproute2
need_cmd unshare util-linux
need_cmd runuser util-linux
need_cmd setpriv util-linux
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || skip "needs the PostgreSQL server binaries (package postgresql)"
id postgres > /dev/null 2>&1 || skip "needs the postgres user"
unshare -p -f --mount-proc true 2> /dev/null || skip "needs PID namespaces (unshare -p)"
SRC=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
GOLD=$SRC/plugins/postgres/testdata

# The cluster lives outside $T (0700, root's) so that the postgres user can reach it; registered
# first, it is removed last, after every server is stopped.
PGD=$(mktemp -d /tmp/xhafw-pg.XXXXXX)
at_exit "rm -rf '$PGD'"
chmod 0755 "$PGD"
DATA=$PGD/data
mkdir -p "$PGD/sock" "$PGD/log" "$DATA"
chown postgres: "$PGD/sock" "$PGD/log" "$DATA"

NS=xhafw-pg-$$
ip netns add "$NS"
at_exit "ip netns del '$NS'"
ip -n "$NS" link set lo up
ip -n "$NS" addr add 192.0.2.7/32 dev lo
ip -n "$NS" addr add 192.0.2.70/32 dev lo
inns() { ip netns exec "$NS" "$@"; }
# A free port of the namespace.
PORT=
for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 20000))
        if [ -z "$(inns ss -Hltn "sport = :$p")" ]; then PORT=$p; break; fi
done
[ -n "$PORT" ] || fail "no free port found"

OTHER_PID=
# Every server this test starts runs with its working directory in $DATA: end those, by pid.
stop_servers() {
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -m immediate stop > /dev/null 2>&1 || true
        [ -z "$OTHER_PID" ] || kill -KILL "$OTHER_PID" 2> /dev/null || true
        local p
        for p in /proc/[0-9]*; do
                [ "$(readlink "$p/cwd" 2> /dev/null)" != "$DATA" ] || kill -KILL "${p#/proc/}" 2> /dev/null || true
        done
}
at_exit stop_servers
# True while any process runs in $DATA.
postgres_runs() {
        local p
        for p in /proc/[0-9]*; do
                [ "$(readlink "$p/cwd" 2> /dev/null)" != "$DATA" ] || return 0
        done
        return 1
}
wait_no_postgres() {
        for _ in $(seq 1 100); do postgres_runs || return 0; sleep 0.1; done
        fail "postgres processes still run in $DATA"
}

PW=xh-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
WRONG=xw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$PW" > "$PGD/pw"
chown postgres: "$PGD/pw"
(cd / && runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -U postgres -A trust --pwfile="$PGD/pw" -N -E UTF8 \
        --locale=C > "$PGD/initdb.log" 2>&1) || { cat "$PGD/initdb.log" >&2; fail "initdb failed"; }
rm -f "$PGD/pw"
printf '%s\n' "$PW" > "$T/pgpass"
printf '%s\n' "$WRONG" > "$T/wrongpass"
chmod 0600 "$T/pgpass" "$T/wrongpass"
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
pgctl_ns() { (cd / && inns runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$PGD/log/server.log" "$@") > /dev/null; }
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
same_as_golden
kill -INT "$OTHER_PID"
for _ in $(seq 1 100); do [ -e "/proc/$OTHER_PID" ] || break; sleep 0.1; done
wait || true
OTHER_PID=
wait_no_postgres
run 0 xhn activate --yes
pass "a live postmaster elsewhere: exit 6, nothing started"

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
