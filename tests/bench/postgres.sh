#!/bin/bash
# Benchmark of the postgres plugin: time from apply start to the first successful query, against
# `pg_ctl -w start` on the same cluster (which polls ten times a second), and the effect of the
# readiness polling interval, and the split-brain guard over a stale postmaster.pid with a place that
# never answers (a cut-off node's address). Run as root with XHAFW and XHAFW_TEST_PLUGIN_PATH set as for the
# integration tests; ROUNDS (default 9) runs per figure; ONLY=guard runs only the guard's part;
# prints medians in milliseconds.
source "$(dirname "$0")/../integration/lib.sh"
need_root
need_cmd ip iproute2
need_cmd runuser util-linux
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || skip "needs the PostgreSQL server binaries (package postgresql)"
SRC=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
ROUNDS=${ROUNDS:-9}

PGD=$(mktemp -d /tmp/xhafw-pgbench.XXXXXX)
at_exit "rm -rf '$PGD'"
chmod 0755 "$PGD"
DATA=$PGD/data
mkdir -p "$PGD/sock" "$PGD/log" "$DATA"
chown postgres: "$PGD/sock" "$PGD/log" "$DATA"
NS=xhafw-pgb-$$
ip netns add "$NS"
at_exit "ip netns del '$NS'"
ip -n "$NS" link set lo up
# 198.51.100.99 never answers: its SYNs go out on a veth pair to a neighbour that does not exist.
ip -n "$NS" link add xhpg0 type veth peer name xhpg1
ip -n "$NS" addr add 198.51.100.1/24 dev xhpg0
ip -n "$NS" link set xhpg0 up
ip -n "$NS" link set xhpg1 up
ip -n "$NS" neigh add 198.51.100.99 lladdr 02:00:00:00:00:99 dev xhpg0 nud permanent
SILENT=198.51.100.99
inns() { ip netns exec "$NS" "$@"; }
PORT=5432 # the namespace is ours: every port is free

pg_ctl() { (cd / && inns runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" "$@"); }
at_exit "pg_ctl -m immediate stop > /dev/null 2>&1 || true"
(cd / && runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -U postgres -A trust -N -E UTF8 --locale=C > "$PGD/initdb.log" 2>&1) ||
        { cat "$PGD/initdb.log" >&2; fail "initdb failed"; }
printf "port = %s\nunix_socket_directories = '%s'\nlisten_addresses = 'localhost'\nshared_buffers = 16MB\n" \
        "$PORT" "$PGD/sock" >> "$DATA/postgresql.conf"

xh_config "service_manager=$SRC/tests/integration/pg-svcman.sh, $PGBIN, $DATA, $PGD/log/server.log"
cat > "$T/conf.d/50-postgres.conf" << EOF
[postgres]
data_dir = $DATA
service = postgresql-bench
port = $PORT
listen_addresses = localhost
check_host = 127.0.0.1
ready_timeout = 30s
EOF
xhn() { inns "$XHAFW" --config "$T/xhafw.conf" "$@"; }

now_ms() { date +%s%3N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] " (min " v[1] ", max " v[NR] ")" }'; }
stop() { pg_ctl -m fast -w stop > /dev/null 2>&1 || true; }

# The cluster's first start writes more than later ones do: once, untimed.
pg_ctl -l "$PGD/log/server.log" -w start > /dev/null && stop

echo "postgres benchmark: $ROUNDS rounds per figure, PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }'), medians in ms"

if [ "${ONLY:-}" != guard ]; then
        # One round times every variant once, so that load from elsewhere on the machine spreads evenly.
        # The plugin's own figure is from the start of apply to the first successful SELECT 1; the wall
        # time of the whole activation adds the check before and after and the process handling.
        POLLS="1 5 10 20 50 100"
        for _ in $(seq 1 "$ROUNDS"); do
                t0=$(now_ms)
                pg_ctl -l "$PGD/log/server.log" -w start > /dev/null || fail "pg_ctl -w start failed"
                echo $(($(now_ms) - t0)) >> "$PGD/pg_ctl"
                stop
                for poll in $POLLS; do
                        t0=$(now_ms)
                        XHAFW_POSTGRES_POLL_MS=$poll xhn -v activate --yes > "$T/out" 2>&1 || { cat "$T/out" >&2; fail "activate failed"; }
                        echo $(($(now_ms) - t0)) >> "$PGD/wall.$poll"
                        sed -n 's/.*ready after \([0-9]*\) ms.*/\1/p' "$T/out" >> "$PGD/ready.$poll"
                        xhn deactivate --yes > "$T/out" 2>&1 || { cat "$T/out" >&2; fail "deactivate failed"; }
                done
        done
        echo "pg_ctl -w start (returns when postmaster.pid says ready): $(median < "$PGD/pg_ctl")"
        for poll in $POLLS; do
                [ "$(wc -l < "$PGD/ready.$poll")" = "$ROUNDS" ] || fail "a 'ready after' line is missing"
                printf 'apply, poll every %3s ms: first query after %s; whole activate %s\n' "$poll" \
                        "$(median < "$PGD/ready.$poll")" "$(median < "$PGD/wall.$poll")"
        done

        # The cost of waiting: a service manager that starts nothing, so apply polls for all of
        # ready_timeout (2 s) and fails; CPU time of xhafw and everything it waited for.
        sed -e "s|^service_manager = .*|service_manager = $SRC/tests/integration/svcman.sh, $T/svc|" "$T/xhafw.conf" > "$T/idle.conf"
        sed -i 's/^ready_timeout = .*/ready_timeout = 2s/' "$T/conf.d/50-postgres.conf"
        TIMEFORMAT='%3U %3S %3R'
        for poll in 1 10 100; do
                { time XHAFW_POSTGRES_POLL_MS=$poll inns "$XHAFW" --config "$T/idle.conf" activate --yes > /dev/null 2>&1; } 2> "$T/time" || true
                read -r u s r < "$T/time"
                awk -v p="$poll" -v u="$u" -v s="$s" -v r="$r" 'BEGIN {
                        printf "waiting %.1f s for a server that never comes, poll every %3d ms: %4.0f ms CPU (%.1f%% of one CPU)\n",
                                r, p, (u + s) * 1000, (u + s) / r * 100 }'
        done
fi

# The guard: the server killed (SIGKILL), its postmaster.pid left behind with the listen address
# (line 6) of the node that crashed: localhost (refused at once) or a silent address. Figures: the
# guard's own time as logged, and apply (guard, server start with crash recovery, first query).
sed -i 's/^ready_timeout = .*/ready_timeout = 30s/' "$T/conf.d/50-postgres.conf"
crash() {
        local pid p
        pg_ctl -l "$PGD/log/server.log" -w start > /dev/null || fail "pg_ctl -w start failed"
        pid=$(head -n 1 "$DATA/postmaster.pid")
        kill -KILL "$pid"
        # gone and reaped, and its children too: postgres refuses a recorded pid that still exists
        for _ in $(seq 1 100); do
                [ ! -e "/proc/$pid" ] || { sleep 0.05; continue; }
                for p in /proc/[0-9]*; do [ "$(readlink "$p/cwd" 2> /dev/null)" != "$DATA" ] || { sleep 0.05; continue 2; }; done
                break
        done
        awk -v a="$1" 'NR == 6 { $0 = a } { print }' "$DATA/postmaster.pid" > "$PGD/pid.new"
        cat "$PGD/pid.new" > "$DATA/postmaster.pid"
}
for _ in $(seq 1 "$ROUNDS"); do
        for where in localhost "$SILENT"; do
                crash "$where"
                xhn -v activate --yes > "$T/out" 2>&1 || { cat "$T/out" >&2; fail "activate failed"; }
                grep -q "postmaster.pid is stale" "$T/out" || { cat "$T/out" >&2; fail "no stale postmaster.pid found"; }
                sed -n 's/.*at once in \([0-9]*\) ms.*/\1/p' "$T/out" >> "$PGD/guard.$where"
                sed -n 's/.*postgres: applied (\([0-9.]*\)s).*/\1/p' "$T/out" | awk '{ printf "%d\n", $1 * 1000 }' >> "$PGD/apply.$where"
                xhn deactivate --yes > "$T/out" 2>&1 || { cat "$T/out" >&2; fail "deactivate failed"; }
        done
done
for where in localhost "$SILENT"; do
        printf 'guard over a stale postmaster.pid recording %-14s %s; whole apply %s\n' "$where:" \
                "$(if [ -s "$PGD/guard.$where" ]; then median < "$PGD/guard.$where"; else echo "(not logged)"; fi)" \
                "$(median < "$PGD/apply.$where")"
done
