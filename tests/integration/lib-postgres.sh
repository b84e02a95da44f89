# Shared helpers for the integration tests that run a real PostgreSQL (postgres, postgres6): sourced
# after lib.sh, never run alone. The servers run as the postgres user, by pg_ctl through
# tests/integration/pg-svcman.sh.

# pg_need PROGRAM...: skip unless root with the tools these tests use, PID namespaces, the postgres
# user and the named programs of the newest PostgreSQL installed; PGBIN is its bin directory.
pg_need() {
        local prog
        need_root
        need_cmd ip iproute2
        need_cmd unshare util-linux
        need_cmd runuser util-linux
        need_cmd setpriv util-linux
        PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)
        for prog in "$@"; do
                [ -n "$PGBIN" ] && [ -x "$PGBIN/$prog" ] || skip "needs the PostgreSQL $prog (package postgresql)"
        done
        id postgres > /dev/null 2>&1 || skip "needs the postgres user"
        unshare -p -f --mount-proc true 2> /dev/null || skip "needs PID namespaces (unshare -p)"
}

# pg_cluster TEMPLATE: a cluster made by initdb in DATA=$PGD/data, PGD a new directory made from
# the mktemp TEMPLATE, with sock/ and log/ beside DATA. The postgres user's password is PW, also in
# $T/pgpass. PGD lives outside $T (0700, root's) so that the postgres user can reach it; removed at
# exit after every server that runs in DATA is stopped (stop_servers, which also kills OTHER_PID).
pg_cluster() {
        PGD=$(mktemp -d "$1")
        at_exit "rm -rf '$PGD'"
        chmod 0755 "$PGD"
        DATA=$PGD/data
        mkdir -p "$PGD/sock" "$PGD/log" "$DATA"
        chown postgres: "$PGD/sock" "$PGD/log" "$DATA"
        OTHER_PID=
        at_exit stop_servers
        PW=xh-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
        printf '%s\n' "$PW" > "$PGD/pw"
        chown postgres: "$PGD/pw"
        (cd / && runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -U postgres -A trust --pwfile="$PGD/pw" -N \
                -E UTF8 --locale=C > "$PGD/initdb.log" 2>&1) || { cat "$PGD/initdb.log" >&2; fail "initdb failed"; }
        rm -f "$PGD/pw"
        printf '%s\n' "$PW" > "$T/pgpass"
        chmod 0600 "$T/pgpass"
}

# Every server these tests start runs with its working directory in $DATA: end those, by pid.
stop_servers() {
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -m immediate stop > /dev/null 2>&1 || true
        [ -z "$OTHER_PID" ] || kill -KILL "$OTHER_PID" 2> /dev/null || true
        local p
        for p in /proc/[0-9]*; do
                [ "$(readlink "$p/cwd" 2> /dev/null)" != "$DATA" ] || kill -KILL "${p#/proc/}" 2> /dev/null || true
        done
}
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
