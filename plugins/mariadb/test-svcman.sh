#!/bin/bash
# Test service manager for the mariadb integration test and benchmark, set as service_manager in
# place of systemctl: `test-svcman.sh DATA_DIR OPTION_FILE PORT SOCKET LOG VERB UNIT` runs mariadbd
# on that data directory with that option file (so the plugin's edits of it take effect), its own
# port and socket. start does not wait (the plugin's readiness poll is what is tested), like a
# Type=simple unit; stop signals the server and waits for it to end, like systemctl stop. Every
# call is logged to LOG.calls; LOG.fail-VERB makes VERB fail. status and is-enabled answer as systemctl
# does, for preflight.
set -u
data=$1 optfile=$2 port=$3 sock=$4 log=$5 verb=$6 unit=${7:-}
cd / || exit 1
echo "$verb $unit" >> "$log.calls"
if [ -e "$log.fail-$verb" ]; then echo "test-svcman: $verb $unit failed (injected)" >&2; exit 1; fi
# The servers of this data directory in this network and PID namespace (the ones it started), by pid.
servers() {
        local p self selfpid
        self=$(readlink /proc/self/ns/net)
        selfpid=$(readlink /proc/self/ns/pid)
        # pgrep first: a shell loop over every /proc entry costs a few hundred ms, which would be counted as the start's
        for p in $(pgrep -x mariadbd; pgrep -x mysqld); do
                [ "$(readlink "/proc/$p/cwd" 2> /dev/null)" = "$data" ] || continue
                [ "$(readlink "/proc/$p/ns/net" 2> /dev/null)" = "$self" ] || continue
                [ "$(readlink "/proc/$p/ns/pid" 2> /dev/null)" = "$selfpid" ] || continue
                echo "$p"
        done
}
case "$verb" in
start)
        [ -z "$(servers)" ] || exit 0
        # a session of its own, as a unit's process would be: the run's process group is not the server's
        setsid -f /usr/sbin/mariadbd --defaults-file="$optfile" --user=root --datadir="$data" --port="$port" \
                --socket="$sock" --log-error="$log" < /dev/null > /dev/null 2>&1 ;;
stop)
        pids=$(servers)
        [ -n "$pids" ] || exit 0
        kill -TERM $pids 2> /dev/null
        for _ in $(seq 1 600); do [ -z "$(servers)" ] && exit 0; sleep 0.1; done
        echo "test-svcman: mariadbd $pids did not stop within 60 s" >&2
        exit 1 ;;
is-active) if [ -n "$(servers)" ]; then echo active; exit 0; else echo inactive; exit 3; fi ;;
# as systemctl status: 0 running, 3 not
status) if [ -n "$(servers)" ]; then echo "$unit: active"; exit 0; else echo "$unit: inactive"; exit 3; fi ;;
# LOG.enabled stands for a unit enabled at boot (is-enabled exits 0), as a preflight's planted defect
is-enabled) if [ -e "$log.enabled" ]; then echo enabled; exit 0; else echo disabled; exit 1; fi ;;
*) echo "test-svcman: unknown verb $verb" >&2; exit 2 ;;
esac
