#!/bin/bash
# Benchmark of the mariadb plugin: time from apply start to the first successful query, against the
# server's own start script (Debian's /etc/init.d/mariadb starts mysqld_safe, then looks with
# `mariadb-admin ping` once a second; the same loop is run here on the benchmark's data directory),
# the effect of the readiness polling interval, and the split-brain guard's cost over a stale pid
# file: every place refusing at once, one place silent (a cut-off node's address), and the refusal
# when the other node's server answers. Run as root with XHAFW and XHAFW_TEST_PLUGIN_PATH set as for
# the integration tests; ROUNDS (default 5) runs per figure; ONLY=guard runs only the guard's part;
# prints medians in milliseconds.
source "$(dirname "$0")/../integration/lib.sh"
need_root
need_cmd ip iproute2
need_cmd unshare util-linux
need_cmd pgrep procps
need_cmd mariadb-install-db mariadb-server
need_cmd mariadb-admin mariadb-client
[ -x /usr/sbin/mariadbd ] || skip "needs /usr/sbin/mariadbd (package mariadb-server)"
SRC=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SVCMAN=$SRC/plugins/mariadb/test-svcman.sh
ROUNDS=${ROUNDS:-5}

M=$(mktemp -d /tmp/xhafw-mybench.XXXXXX)
at_exit "rm -rf '$M'"
DATA=$M/data
SOCK=$M/mysqld.sock
PORT=3306
mkdir -p "$M/log"
servers() {
        local p
        for p in /proc/[0-9]*; do
                [ "$(readlink "$p/cwd" 2> /dev/null)" = "$DATA" ] || continue
                case "$(readlink "$p/exe" 2> /dev/null)" in */mariadbd) echo "${p#/proc/}" ;; esac
        done
}
# mysqld_safe too: it would start the server again
safes() {
        local p
        for p in /proc/[0-9]*; do
                grep -qF -- "--datadir=$DATA" "$p/cmdline" 2> /dev/null && grep -q mysqld_safe "$p/cmdline" 2> /dev/null &&
                        echo "${p#/proc/}"
        done
        return 0
}
stop_all() {
        local p
        for p in $(safes) $(servers); do kill -KILL "$p" 2> /dev/null || true; done
        for _ in $(seq 1 100); do [ -z "$(servers)" ] && return 0; sleep 0.1; done
}
at_exit stop_all
wait_down() { for _ in $(seq 1 600); do [ -z "$(servers)$(safes)" ] && return 0; sleep 0.05; done; fail "the server did not stop"; }

A=xhafw-myb-a-$$
B=xhafw-myb-b-$$
ip netns add "$A"
at_exit "ip netns del '$A'"
ip netns add "$B"
at_exit "ip netns del '$B'"
ip -n "$A" link set lo up
ip -n "$B" link set lo up
ip -n "$A" link add xhmyb0 type veth peer name xhmyb1 netns "$B"
ip -n "$A" addr add 192.0.2.1/24 dev xhmyb0
ip -n "$B" addr add 192.0.2.2/24 dev xhmyb1
ip -n "$A" link set xhmyb0 up
ip -n "$B" link set xhmyb1 up
ip -n "$A" neigh add 192.0.2.99 lladdr 02:00:00:00:00:99 dev xhmyb0 nud permanent
SILENT=192.0.2.99
ina() { ip netns exec "$A" "$@"; }
inb() { ip netns exec "$B" "$@"; }

(cd / && mariadb-install-db --no-defaults --datadir="$DATA" --auth-root-authentication-method=normal --skip-test-db \
        --user=root > "$M/install.log" 2>&1) || { cat "$M/install.log" >&2; fail "mariadb-install-db failed"; }
CNF=$M/my.cnf
printf '[mysqld]\nbind-address = 127.0.0.1,192.0.2.1\npid-file = %s/mariadb.pid\ninnodb_buffer_pool_size = 32M\n' "$DATA" > "$CNF"

xh_config "service_manager=$SVCMAN, $DATA, $CNF, $PORT, $SOCK, $M/log/server.log"
write_step() {
        cat > "$T/conf.d/50-mariadb.conf" << EOF
[mariadb]
data_dir = $DATA
option_file = $CNF
service = mariadb-bench
port = $PORT
socket = $SOCK
bind_addresses = 127.0.0.1, 192.0.2.1
ready_timeout = 30s
$*
EOF
}
write_step
xhn() { ina "$XHAFW" --config "$T/xhafw.conf" "$@"; }
now_ms() { date +%s%3N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] " (min " v[1] ", max " v[NR] ")" }'; }
initd_start() {
        (cd / && ina setsid -f /usr/bin/mysqld_safe --defaults-file="$CNF" --user=root --datadir="$DATA" --socket="$SOCK" \
                --port="$PORT" --log-error="$M/log/safe.log" < /dev/null > /dev/null 2>&1)
        for _ in $(seq 1 30); do
                sleep 1
                ina mariadb-admin --no-defaults -S "$SOCK" -u root ping > /dev/null 2>&1 && return 0
        done
        fail "mysqld_safe: no ping within 30 s"
}
initd_stop() { local p; for p in $(safes); do kill -TERM "$p"; done; for p in $(servers); do kill -TERM "$p"; done; wait_down; }

# The first start after install writes more than later ones do: once, untimed.
initd_start && initd_stop

echo "mariadb benchmark: $ROUNDS rounds per figure, $(/usr/sbin/mariadbd --version | awk '{ print $3 }'), medians in ms"

if [ "${ONLY:-}" != guard ]; then
        POLLS="1 10 100"
        for _ in $(seq 1 "$ROUNDS"); do
                t0=$(now_ms)
                initd_start
                echo $(($(now_ms) - t0)) >> "$M/initd"
                initd_stop
                # the same server start, polled every 10 ms with the client: when a query could first succeed
                t0=$(now_ms)
                (cd / && ina setsid -f /usr/bin/mysqld_safe --defaults-file="$CNF" --user=root --datadir="$DATA" \
                        --socket="$SOCK" --port="$PORT" --log-error="$M/log/safe.log" < /dev/null > /dev/null 2>&1)
                for _ in $(seq 1 3000); do
                        ina mariadb-admin --no-defaults -S "$SOCK" -u root ping > /dev/null 2>&1 && break
                        sleep 0.01
                done
                echo $(($(now_ms) - t0)) >> "$M/safe-fast"
                initd_stop
                for poll in $POLLS; do
                        t0=$(now_ms)
                        XHAFW_MARIADB_POLL_MS=$poll xhn -v activate --yes > "$T/out" 2>&1 || { cat "$T/out" >&2; fail "activate failed"; }
                        echo $(($(now_ms) - t0)) >> "$M/wall.$poll"
                        sed -n 's/.*ready after \([0-9]*\) ms.*/\1/p' "$T/out" >> "$M/ready.$poll"
                        xhn deactivate --yes > "$T/out" 2>&1 || { cat "$T/out" >&2; fail "deactivate failed"; }
                done
        done
        echo "start script (mysqld_safe, then mariadb-admin ping once a second, as /etc/init.d/mariadb): $(median < "$M/initd")"
        echo "mysqld_safe, then mariadb-admin ping every 10 ms: $(median < "$M/safe-fast")"
        for poll in $POLLS; do
                [ "$(wc -l < "$M/ready.$poll")" = "$ROUNDS" ] || fail "a 'ready after' line is missing"
                printf 'apply, poll every %3s ms: first query after %s; whole activate %s\n' "$poll" \
                        "$(median < "$M/ready.$poll")" "$(median < "$M/wall.$poll")"
        done
fi

# The guard: the server killed (SIGKILL), its pid file left behind. Every place refuses at once
# (nothing listens in A), or one more place is silent (guard_addresses names a cut-off address).
# Figures: the guard's own time as logged, and apply (guard, start with crash recovery, first query).
crash() {
        local p
        xhn activate --yes > "$T/out" 2>&1 || { cat "$T/out" >&2; fail "activate failed"; }
        p=$(servers)
        kill -KILL "$p"
        for _ in $(seq 1 100); do [ -e "/proc/$p" ] || break; sleep 0.05; done
        wait_down
}
for _ in $(seq 1 "$ROUNDS"); do
        for where in refused silent; do
                if [ "$where" = silent ]; then write_step "guard_addresses = 192.0.2.2, $SILENT"; else write_step "guard_addresses = 192.0.2.2"; fi
                crash
                xhn -v activate --yes > "$T/out" 2>&1 || { cat "$T/out" >&2; fail "activate failed"; }
                grep -q "the pid file is stale" "$T/out" || { cat "$T/out" >&2; fail "no stale pid file found"; }
                sed -n 's/.*at once in \([0-9]*\) ms.*/\1/p' "$T/out" >> "$M/guard.$where"
                sed -n 's/.*mariadb: applied (\([0-9.]*\)s).*/\1/p' "$T/out" | awk '{ printf "%d\n", $1 * 1000 }' >> "$M/apply.$where"
                xhn deactivate --yes > "$T/out" 2>&1 || { cat "$T/out" >&2; fail "deactivate failed"; }
        done
done
# The refusal: the other node's server (in B, in a PID namespace of its own) answers at 192.0.2.2.
write_step "guard_addresses = $SILENT, 192.0.2.2"
(cd / && inb setsid -f unshare -p -f --mount-proc /usr/sbin/mariadbd --no-defaults --user=root --datadir="$DATA" \
        --port="$PORT" --socket="$M/other.sock" --pid-file="$DATA/mariadb.pid" --bind-address=192.0.2.2 \
        --log-error="$M/log/other.log" < /dev/null > /dev/null 2>&1)
for _ in $(seq 1 300); do [ -S "$M/other.sock" ] && break; sleep 0.1; done
for _ in $(seq 1 "$ROUNDS"); do
        xhn -v activate --yes > "$T/out" 2>&1 && { cat "$T/out" >&2; fail "activate did not refuse"; }
        grep -q "refusing to start" "$T/out" || { cat "$T/out" >&2; fail "no refusal"; }
        sed -n 's/.*at once in \([0-9]*\) ms.*/\1/p' "$T/out" >> "$M/guard.refusal"
done
for where in refused silent; do
        printf 'guard over a stale pid file, %-32s %s; whole apply %s\n' \
                "$([ $where = refused ] && echo 'every place refusing:' || echo "$SILENT silent among them:")" \
                "$(median < "$M/guard.$where")" "$(median < "$M/apply.$where")"
done
printf 'guard refusing (the other node answers, %s silent among the places): %s\n' "$SILENT" "$(median < "$M/guard.refusal")"
