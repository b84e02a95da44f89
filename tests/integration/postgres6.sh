#!/bin/bash
# Integration test of the postgres plugin over IPv6: an IPv6 VIP (the vip step) and the postgres step in
# one graph, this node, the other node and a client as network namespaces on a bridge. A real PostgreSQL
# (initdb in a temporary directory) serves the client through the VIP across activate, deactivate and
# activate; the split-brain guard refuses while the other node's server answers at the VIP.
# Only documentation addresses (2001:db8::/32, RFC 3849), only in namespaces made here.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib-netns.sh"
source "$(dirname "$0")/lib-postgres.sh"
pg_need initdb psql
[ -d /proc/sys/net/ipv6 ] || skip "the kernel has no IPv6"
SRC=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}

P=xhpg6-$$
need_netns "$P"
VIP=2001:db8::100
ADDR_A=2001:db8::1 # this node
ADDR_B=2001:db8::2 # the other node
ADDR_C=2001:db8::3 # the client
SILENT=2001:db8::99 # nobody on the link: its neighbour solicitations go unanswered, so nothing comes back

pg_cluster /tmp/xhafw-pg6.XXXXXX

BR=$P-br A=$P-a B=$P-b C=$P-c
# No multicast snooping: neighbour solicitations reach every port, as on an unmanaged switch.
# nodad: addresses nobody else can hold need no wait; the VIP gets the vip step's probe.
lan_up "$BR" "mcast_snooping 0" "2001:db8::@/64 nodad" "$A" "$B" "$C"
for ns in "$A" "$B" "$C"; do wait_carrier "$ns"; done
MAC_B=$(mac "$B")
ina() { ip netns exec "$A" "$@"; }
free_port ina
# This node's address is in listen_addresses already, spelled otherwise: it must not be added again.
printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 scram-sha-256" "host all all ::1/128 scram-sha-256" \
        > "$T/hba.in"
printf "listen_addresses = 'localhost, 2001:DB8:0:0::1'\t# this node\nport = %s\nunix_socket_directories = '%s'\n" \
        "$PORT" "$PGD/sock" > "$T/conf.in"
install -o postgres -g postgres -m 0600 "$T/hba.in" "$DATA/pg_hba.conf"
install -o postgres -g postgres -m 0600 "$T/conf.in" "$DATA/postgresql.conf"

xh_config "service_manager=$SRC/tests/integration/pg-svcman.sh, $PGBIN, $DATA, $PGD/log/server.log"
# write_steps VIP6_ENABLED: the vip6 step and the postgres step after it.
write_steps() {
        cat > "$T/conf.d/21-vip6.conf" <<EOF
[vip6]
plugin = vip
enabled = $1
address = $VIP/64
interface = eth0
EOF
        cat > "$T/conf.d/40-postgres.conf" <<EOF
[postgres]
after = vip6
data_dir = $DATA
service = postgresql-test
port = $PORT
listen_addresses = localhost, $VIP, $ADDR_A
allow = $ADDR_C, 2001:DB8:0::3, $ADDR_A, $VIP/128
auth_method = scram-sha-256
check_host = $ADDR_A
password_file = $T/pgpass
guard_addresses = $ADDR_B, $SILENT
ready_timeout = 20s
EOF
}
write_steps yes

xa() { ina "$XHAFW" --config "$T/xhafw.conf" "$@"; }
# client SQL: psql in the client's namespace through the VIP.
client() {
        PGPASSWORD=$PW PGCONNECT_TIMEOUT=${TIMEOUT:-10} ip netns exec "$C" "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 \
                -h "$VIP" -p "$PORT" -U postgres -d postgres -c "$1"
}
starts() { if [ -e "$PGD/log/server.log.calls" ]; then grep -c '^start' "$PGD/log/server.log.calls" || true; else echo 0; fi; }
vip_on_a() { ip -n "$A" -6 -o addr show dev eth0 | grep -F " $VIP/64 " | grep -v -e tentative -e dadfailed > /dev/null; }
server_up() { runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" status > /dev/null 2>&1; }

# --- describe and validate: /128 for IPv6, the address already there not added again ---
expect_exit 0 xa validate
expect_exit 0 xa describe postgres
expect_output 'host all all ADDR/32 scram-sha-256` \(ADDR/128 for IPv6'
expect_output "would add to .*pg_hba.conf now: $ADDR_C/128,$ADDR_A/128,$VIP/128$"
expect_output "would add to listen_addresses 'localhost, 2001:DB8:0:0::1' now: $VIP$"
expect_output "guard_addresses $ADDR_B, $SILENT or check_host $ADDR_A"
expect_exit 3 xa status
pass "describe: /128 lines, each address once whatever its spelling"

# --- activate: the VIP, then the server; the client reads rows through the VIP ---
expect_exit 0 xa -v activate --yes
expect_output "ready after [0-9]+ ms: SELECT 1 answered at $ADDR_A port $PORT"
vip_on_a || fail "$VIP is not on this node's eth0 after activate"
printf '%s\n' "host	all	all	$ADDR_C/128	scram-sha-256	# managed by xhafw" \
        "host	all	all	$ADDR_A/128	scram-sha-256	# managed by xhafw" \
        "host	all	all	$VIP/128	scram-sha-256	# managed by xhafw" | cat "$T/hba.in" - > "$T/hba.want"
cmp "$DATA/pg_hba.conf" "$T/hba.want" || { diff "$T/hba.want" "$DATA/pg_hba.conf" >&2; fail "pg_hba.conf is not as expected"; }
sed "1s|'localhost, 2001:DB8:0:0::1'|'localhost, 2001:DB8:0:0::1, $VIP'|" "$T/conf.in" > "$T/conf.want"
cmp "$DATA/postgresql.conf" "$T/conf.want" || { diff "$T/conf.want" "$DATA/postgresql.conf" >&2; fail "postgresql.conf is not as expected"; }
client "CREATE TABLE t (i int); INSERT INTO t VALUES (1), (2), (3);"
[ "$(client 'SELECT count(*) FROM t')" = 3 ] || fail "the client cannot read rows through $VIP"
[ "$(client 'SELECT host(inet_server_addr()) || $$ $$ || host(inet_client_addr())')" = "$VIP $ADDR_C" ] ||
        fail "the client's connection is not from $ADDR_C to $VIP"
expect_exit 0 xa status
pass "activate: $VIP taken, the server listens there, the client ($ADDR_C) reads rows through it"

# --- deactivate: the VIP and the server gone, the client gets nothing; activate: the same rows ---
expect_exit 0 xa deactivate --yes
vip_on_a && fail "$VIP is still on this node after deactivate"
server_up && fail "the server is still up after deactivate"
TIMEOUT=2 client 'SELECT 1' > /dev/null 2>&1 && fail "the client still reaches a server at $VIP after deactivate"
expect_exit 3 xa status
cmp "$DATA/pg_hba.conf" "$T/hba.want" || fail "deactivate changed pg_hba.conf"
n=$(starts)
expect_exit 0 xa activate --yes
[ "$(starts)" = $((n + 1)) ] || fail "activate did not start the server once"
cmp "$DATA/pg_hba.conf" "$T/hba.want" || fail "the second activate changed pg_hba.conf"
cmp "$DATA/postgresql.conf" "$T/conf.want" || fail "the second activate changed postgresql.conf"
[ "$(client 'SELECT sum(i) FROM t')" = 6 ] || fail "the client cannot read the rows through $VIP after activate again"
expect_exit 0 xa status
expect_exit 0 xa deactivate --yes
wait_no_postgres
pass "deactivate and activate again: the client reaches nothing, then the same rows; the files written once"

# --- the other node runs the cluster and answers at the VIP: a server on the same data directory in
# the other node's namespace and a PID namespace of its own (its postmaster.pid records pid 1),
# listening on the VIP alone (no Unix socket, which this node would reach on the shared path) ---
ip -n "$B" addr add "$VIP/64" dev eth0 nodad
ip netns exec "$B" unshare -p -f --mount-proc setpriv --reuid=postgres --regid=postgres --init-groups \
        "$PGBIN/postgres" -D "$DATA" -p "$PORT" -k "" -c "listen_addresses=$VIP" > "$PGD/other.log" 2>&1 &
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
        [ -n "$OTHER_PID" ] && ip netns exec "$B" "$PGBIN/pg_isready" -q -h "$VIP" -p "$PORT" && break
        sleep 0.1
done
ip netns exec "$B" "$PGBIN/pg_isready" -q -h "$VIP" -p "$PORT" || { cat "$PGD/other.log" >&2; fail "the other node's server did not start"; }
[ "$(head -n 1 "$DATA/postmaster.pid")" = 1 ] || fail "the other node's server should record pid 1"
cp "$DATA/postmaster.pid" "$T/pid.other"
n=$(starts)
expect_exit 3 xa status
# With the vip step in the graph, the VIP's own probe refuses first.
expect_exit 6 xa activate --yes
expect_output "$VIP is in use by $MAC_B"
# Without it (the VIP managed elsewhere), the postgres step's guard refuses: only the VIP answers.
write_steps no
expect_exit 6 xa -v activate --yes
expect_output "[0-9]+ places at once in [0-9]+ ms; $VIP port $PORT answered: "
expect_output "refusing to start: a server answers at $VIP port $PORT, but pid 1 in $DATA/postmaster.pid is no postgres of this node"
[ "$(starts)" = "$n" ] || fail "a refused activate started a server"
cmp "$DATA/pg_hba.conf" "$T/hba.want" || fail "a refused activate changed pg_hba.conf"
cmp "$DATA/postgresql.conf" "$T/conf.want" || fail "a refused activate changed postgresql.conf"
cmp "$DATA/postmaster.pid" "$T/pid.other" || fail "a refused activate touched the other node's postmaster.pid"
vip_on_a && fail "$VIP was added by a refused activate"
pass "a server of the other node at $VIP: exit 6 (the vip step's probe, then the guard asking $VIP), nothing changed"

# --- the other node dies with its VIP: its postmaster.pid is stale. The guard asks the VIP, both
# nodes' addresses and a silent one within guard_timeout, finds nobody, and the server starts ---
kill -KILL "$OTHER_PID"
for _ in $(seq 1 100); do [ -e "/proc/$OTHER_PID" ] || break; sleep 0.1; done
wait || true
OTHER_PID=
wait_no_postgres
ip -n "$B" addr del "$VIP/64" dev eth0
write_steps yes
expect_exit 0 xa -v activate --yes
expect_output "postmaster.pid is stale: pid 1 is no postgres of this node and nothing answers at [^ ]*${VIP}[^ ]* port $PORT"
expect_output "nothing answers at [^ ]*$ADDR_B,$SILENT port $PORT"
expect_output "no reply from $SILENT within guard_timeout"
expect_output "moved $DATA/postmaster.pid aside to postmaster.pid.stale-"
vip_on_a || fail "$VIP is not on this node's eth0 after the failover"
[ "$(client 'SELECT count(*) FROM t')" = 3 ] || fail "the client cannot read the rows through $VIP after the failover"
echo "# guard over IPv6 with one silent address ($SILENT): $(sed -n 's/.*at once in \([0-9]*\) ms.*/\1/p' "$T/out") ms"
expect_exit 0 xa deactivate --yes
wait_no_postgres
pass "the other node gone: the stale pid file is judged over IPv6 within guard_timeout, the client reads rows at $VIP again"
