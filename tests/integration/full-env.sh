# The whole shipped conf.d in a test environment, sourced by default-conf.sh and fault-matrix.sh.
#
# Real: the engine, every plugin, the mounts (storage, in a private mount namespace: the sourcing
# test re-executes itself under `unshare -m`), the VIP with its ARP probe (in a network namespace,
# xhafw run there through nsenter, which keeps the mount namespace), a real PostgreSQL whose data
# directory is on the "shared storage" (initdb'ed in a temporary directory, run by pg_ctl through
# full-svcman.sh). Stand-ins: the xCAT commands (tests/fake-xcat) and the other services (marker
# files, svcman.sh). The site values are filled into a copy of the shipped files, as an admin
# edits them: a drop-in cannot add keys to a step another file defines.
#
# A client namespace on the other end of the veth pair reaches the VIP as a compute node would.

SRC=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -z "${XHAFW_FULL_MNTNS:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
        unshare -m --propagation private true 2> /dev/null || { echo "SKIP: needs mount namespaces (unshare -m)"; exit 77; }
        XHAFW_FULL_MNTNS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
source "$SRC/tests/integration/lib.sh"
need_cmd ip iproute2
need_cmd nsenter util-linux
need_cmd runuser util-linux
need_cmd flock util-linux
need_cmd jq jq
need_cmd md5sum coreutils
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || skip "needs the PostgreSQL server binaries (package postgresql)"
id postgres > /dev/null 2>&1 || skip "needs the postgres user"

FX=$SRC/tests/fake-xcat
NET=192_0_2_0-255_255_255_0
VIP=192.0.2.7 STATIC=192.0.2.5 CLIENT=192.0.2.9
NS=xhfull-$$ NSC=xhfullc-$$
export XHAFW_FAKE_XCAT_STATE=$T/xcat.state
unset XHAFW_FAKE_XCAT_FAIL

# Everything the postgres user must reach lives in $PGD (0755), not in $T (0700). Registered first,
# it is removed last, after the server is stopped and the mounts are gone.
PGD=$(mktemp -d /tmp/xhafw-full.XXXXXX)
at_exit "[ -n \"\${KEEP:-}\" ] || rm -rf '$PGD'"
chmod 0755 "$PGD"
# Whatever a failed run left mounted under $PGD goes before it is removed (after the servers).
umount_all() {
        local i p
        for ((i = 0; i < 20; i++)); do
                p=$(findmnt -rn -o TARGET | grep -F "$PGD/" | tail -n 1 || true)
                [ -n "$p" ] || return 0
                umount -l "$p" || return 1
        done
}
at_exit umount_all
SHSRC=$PGD/src           # the shared storage's "device" (a directory, bound)
MNT=$PGD/shared          # its mountpoint
LOCAL=$PGD/local         # the local paths served from it
DATA=$LOCAL/pgsql/data   # the data directory as the active node sees it
SDATA=$SHSRC$LOCAL/pgsql/data # the same directory on the shared storage
PATHS=(install tftpboot pgsql)
mkdir -p "$MNT" "$PGD/sock" "$PGD/log" "$T/svc" "$T/files" "$T/inject"
for d in "${PATHS[@]}"; do mkdir -p "$SHSRC$LOCAL/$d" "$LOCAL/$d"; done
echo "shared" > "$SHSRC$LOCAL/install/marker"
chown postgres: "$PGD/sock" "$PGD/log" "$SHSRC$LOCAL/pgsql"

# The servers this test starts: the postmaster of $SDATA, and anything running in the data
# directory (by its cwd), ended by pid.
stop_servers() {
        local p
        if [ -s "$SDATA/postmaster.pid" ]; then
                p=$(head -n 1 "$SDATA/postmaster.pid")
                case "$(readlink "/proc/$p/cwd" 2> /dev/null)" in "$DATA" | "$SDATA") kill -KILL "$p" 2> /dev/null || true ;; esac
        fi
        for p in /proc/[0-9]*; do
                case "$(readlink "$p/cwd" 2> /dev/null)" in "$DATA" | "$SDATA") kill -KILL "${p#/proc/}" 2> /dev/null || true ;; esac
        done
}
postgres_runs() {
        local p
        for p in /proc/[0-9]*; do
                case "$(readlink "$p/cwd" 2> /dev/null)" in "$DATA" | "$SDATA") return 0 ;; esac
        done
        return 1
}
at_exit stop_servers

(cd / && runuser -u postgres -- "$PGBIN/initdb" -D "$SDATA" -U postgres -A trust -N -E UTF8 --locale=C \
        > "$PGD/initdb.log" 2>&1) || { cat "$PGD/initdb.log" >&2; fail "initdb failed"; }
# The plugin extends listen_addresses; the socket directory is the test's own; fsync off: a test
# cluster, and the faults kill the server often.
printf "listen_addresses = 'localhost'\nunix_socket_directories = '%s'\nfsync = off\n" "$PGD/sock" >> "$SDATA/postgresql.conf"

# The server's namespace (veth0, this node's static address) and a client's (veth1).
ip netns add "$NS" || skip "cannot create a network namespace"
at_exit "ip netns del '$NS'"
ip netns add "$NSC"
at_exit "ip netns del '$NSC'"
ip -n "$NS" link add veth0 type veth peer name veth1 netns "$NSC"
ip -n "$NS" link set lo up
ip -n "$NSC" link set lo up
ip -n "$NS" link set veth0 up
ip -n "$NSC" link set veth1 up
ip -n "$NS" addr add "$STATIC/24" dev veth0
ip -n "$NSC" addr add "$CLIENT/24" dev veth1

xh_config "path = $T/inject:$FX:/usr/sbin:/usr/bin:/sbin:/bin" \
        "service_manager = /bin/bash, $SRC/tests/integration/full-svcman.sh, $T/svc, $PGBIN, $DATA, $PGD/log/server.log" \
        "pass_env = XHAFW_FAKE_XCAT_STATE, XHAFW_FAKE_XCAT_FAIL" \
        "jobs = 8" \
        "grace = 1s"

# The shipped conf.d, unchanged but for the site values.
cp "$SRC"/conf.d/*.conf "$T/conf.d/"
set_key() {
        sed -i "s|^$2 =.*|$2 = $3|" "$T/conf.d/$1"
        grep -qF -x "$2 = $3" "$T/conf.d/$1" || fail "cannot set $2 in $1"
}
# uncomment FILE KEY VALUE: the shipped file's commented example "; KEY = ..." becomes "KEY = VALUE".
uncomment() {
        sed -i "s|^; $2 = .*|$2 = $3|" "$T/conf.d/$1"
        grep -qF -x "$2 = $3" "$T/conf.d/$1" || fail "cannot set $2 in $1"
}
set_key 10-storage.conf mountpoint "$MNT"
uncomment 10-storage.conf device "$SHSRC"
uncomment 10-storage.conf fstype none
sed -i "s|^fstype = none|fstype = none\noptions = bind|" "$T/conf.d/10-storage.conf"
set_key 10-storage.conf paths "$LOCAL/install, $LOCAL/tftpboot, $LOCAL/pgsql"
set_key 20-vip.conf address "$VIP/24"
set_key 20-vip.conf interface veth0
set_key 30-hosts.conf file "$T/files/hosts"
set_key 30-hosts.conf address "$VIP"
set_key 30-hosts.conf names "xcatmn1, xcatmn1.cluster.example"
set_key 40-postgres.conf data_dir "$DATA"
set_key 40-postgres.conf listen_addresses "localhost, $VIP, $STATIC"
uncomment 40-postgres.conf allow "192.0.2.0/24"
sed -i "s|^allow = .*|&\nauth_method = trust|" "$T/conf.d/40-postgres.conf"
set_key 60-xcat-networks.conf network "$NET"
set_key 60-xcat-networks.conf mgtifname veth0:0
printf '127.0.0.1\tlocalhost\n%s\tmn-a mn-a.cluster.example\n' "$STATIC" > "$T/files/hosts"
chmod 0644 "$T/files/hosts"

# fresh_xcat [KEY=VALUE...]: xCAT's state as after installation (xcatd down: this is a standby),
# plus the fake's options given.
fresh_xcat() {
        {
                echo "site.clustersite.domain=cluster.example"
                echo "site.clustersite.master=$VIP"
                echo "network.$NET.net=192.0.2.0"
                echo "network.$NET.mask=255.255.255.0"
                echo "network.$NET.mgtifname=veth0"
                echo "fake.xcatd_active_file=$T/svc/xcatd.active"
                local kv
                for kv in "$@"; do echo "$kv"; done
        } > "$XHAFW_FAKE_XCAT_STATE"
}

# xhn ARGS...: xhafw in the server's network namespace and this mount namespace.
xhn() { nsenter --net="/run/netns/$NS" "$XHAFW" --config "$T/xhafw.conf" "$@"; }
# psqlc SQL: a client query through the VIP from the client's namespace.
psqlc() {
        PGCONNECT_TIMEOUT=${PGCONNECT_TIMEOUT:-10} \
        nsenter --net="/run/netns/$NSC" "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$VIP" -U postgres \
                -d postgres -c "$1"
}
# jtimes FILE: "event step ms" for every step line of the journal FILE (ms since the epoch).
jtimes() {
        jq -r 'select(.step != null) |
                "\(.event) \(.step) \((.time[0:19] + "Z" | fromdateiso8601) * 1000 + (.time[20:23] | tonumber))"' "$1"
}
