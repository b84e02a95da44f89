# The lab with MariaDB instead of PostgreSQL (`xhafw-lab demo --db mariadb`): sourced by xhafw-lab
# shellcheck disable=SC2034  # the variables below are read by xhafw-lab, which sources this file
# after its own functions, it replaces the parts that are the database's: the data directory on the
# shared disk, the mariadb step in place of the postgres step, the service manager for the
# mariadb unit, the client on cn1 and the server's processes. The phases and their checks are the
# same. A lab that is up remembers its database in RUN/db-mariadb.

PGPORT=3306                             # the probe's and the client's port (the name is the lab's)
MYDATA=$LOCAL/var/lib/mysql             # the data directory, on the shared disk while the node is active
SHARED_PATHS+=(var/lib/mysql)
DB_PIDFILE=$MYDATA/mariadb.pid          # what the crashed server leaves on the shared disk
DB_STALE="the pid file is stale"        # what the mariadb step says of it on the next activation

# postgres_of NODE (the lab's name for "the database server's processes"): its mariadbd.
postgres_of() {
        local p c
        for p in $(pids_of "$1"); do
                read -r c < "/proc/$p/comm" 2> /dev/null || continue
                [ "$c" != mariadbd ] || echo "$p"
        done
}

eval "need_tools_postgres() $(declare -f need_tools | tail -n +2)"
need_tools() {
        local c
        need_tools_postgres
        for c in mariadb mariadb-install-db pgrep; do
                command -v "$c" > /dev/null || die "needs $c (run contrib/install-deps)"
        done
        [ -x /usr/sbin/mariadbd ] || die "needs /usr/sbin/mariadbd (package mariadb-server)"
}

# site_db_mariadb: the data directory on the shared disk, root's and xcatadmin's passwords, the
# xcatdb database; each node's option file. The grants for the VIP, both nodes and cn1 are made by
# the mariadb step when it first activates a node.
site_db_mariadb() {
        local n rpw xpw i
        say "== MariaDB instead of PostgreSQL: a data directory on the shared disk, the xcatdb database"
        touch "$RUN/db-mariadb"
        rpw=lab-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
        xpw=lab-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
        mkdir -p "$DISK$MYDATA"
        (cd / && mariadb-install-db --no-defaults --datadir="$DISK$MYDATA" --auth-root-authentication-method=normal \
                --skip-test-db --user=root > "$LAB/install-db.log" 2>&1) ||
                { cat "$LAB/install-db.log" >&2; die "mariadb-install-db failed"; }
        # once, on the host, without networking: root's password and the database
        (cd / && setsid -f /usr/sbin/mariadbd --no-defaults --user=root --datadir="$DISK$MYDATA" --skip-networking \
                --socket="$LAB/setup.sock" --pid-file="$LAB/setup.pid" --log-error="$LAB/setup.log" < /dev/null > /dev/null 2>&1)
        for i in $(seq 1 300); do mariadb --no-defaults -S "$LAB/setup.sock" -u root -e 'SELECT 1' > /dev/null 2>&1 && break; sleep 0.1; done
        mariadb --no-defaults -S "$LAB/setup.sock" -u root -e "ALTER USER root@localhost IDENTIFIED BY '$rpw';
                CREATE DATABASE xcatdb" || { cat "$LAB/setup.log" >&2; die "cannot set up the lab's MariaDB"; }
        read -r i < "$LAB/setup.pid"
        kill -TERM "$i"
        for _ in $(seq 1 300); do [ -e "/proc/$i" ] || break; sleep 0.1; done
        [ ! -e "/proc/$i" ] || die "the set-up server $i did not stop"
        rm -f "$LAB/setup.pid" "$LAB/setup.sock"
        for n in "${MNS[@]}"; do
                mkdir -p "$LAB/nodes/$n/run/mysqld"
                install -m 0600 /dev/null "$LAB/nodes/$n/etc/mariadb.pass"
                printf '%s\n' "$rpw" > "$LAB/nodes/$n/etc/mariadb.pass"
                install -m 0600 /dev/null "$LAB/nodes/$n/etc/xcatadmin.pass"
                printf '%s\n' "$xpw" > "$LAB/nodes/$n/etc/xcatadmin.pass"
                # the node's own option file, as a site keeps it; the step adds the addresses
                printf '# MariaDB server options of lab node %s\n[mysqld]\nbind-address = 127.0.0.1\nskip-name-resolve\n' \
                        "$n" > "$LAB/nodes/$n/etc/my.cnf"
        done
        install -m 0600 /dev/null "$LAB/client.cnf"
        printf '[client]\nuser = xcatadmin\npassword = %s\nport = %s\nconnect-timeout = 5\n' "$xpw" "$PGPORT" > "$LAB/client.cnf"
}

# node_conf_mariadb NODE: the mariadb step in place of the postgres step, and its service manager
# (called by node_conf, after the shipped conf.d is in place).
node_conf_mariadb() {
        local n=$1 nd=$LAB/nodes/$1 cd=$LAB/nodes/$1/etc/xhafw/conf.d
        sed -i "s|^service_manager = .*|service_manager = /bin/bash, $LAB_DIR/lab-mariadb-svcman, $LOCAL, $PGBIN, $DATA, $MYDATA|" \
                "$nd/etc/xhafw/xhafw.conf"
        ini_set "$cd/40-postgres.conf" postgres enabled no
        ini_set "$cd/41-mariadb.conf" mariadb enabled yes
        ini_set "$cd/41-mariadb.conf" mariadb data_dir "$MYDATA"
        ini_set "$cd/41-mariadb.conf" mariadb option_file "$LOCAL/etc/my.cnf"
        ini_set "$cd/41-mariadb.conf" mariadb socket "$LOCAL/run/mysqld/mysqld.sock"
        ini_set "$cd/41-mariadb.conf" mariadb pid_file "$DB_PIDFILE"
        ini_set "$cd/41-mariadb.conf" mariadb bind_addresses "127.0.0.1, ${ADDR[$n]}, $VIP"
        ini_set "$cd/41-mariadb.conf" mariadb guard_addresses "${ADDR[$(other "$n")]}"
        ini_set "$cd/41-mariadb.conf" mariadb password_file "$LOCAL/etc/mariadb.pass"
        ini_set "$cd/41-mariadb.conf" mariadb grant_hosts "$VIP, ${ADDR[mn1]}, ${ADDR[mn2]}, ${ADDR[cn1]}"
        ini_set "$cd/41-mariadb.conf" mariadb grant_password_file "$LOCAL/etc/xcatadmin.pass"
        ini_set "$cd/50-xcatd.conf" xcatd after "mariadb, hosts"
}

# psql_cn1 ARGS... (the lab's name for "xCAT's client on cn1"): -c SQL, or SQL on stdin, as
# xcatadmin on xcatdb through the VIP; one value per line, as psql -At prints them.
psql_cn1() {
        local sql=()
        [ "${1:-}" != -c ] || sql=(-e "$2")
        ip netns exec "$NSP-cn1" env -i PATH=/usr/bin:/bin \
                mariadb --defaults-file="$LAB/client.cnf" -h "$VIP" -N -B xcatdb "${sql[@]}"
}
