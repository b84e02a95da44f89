#!/bin/bash
# Test service manager for the postgres integration test and benchmark, set as service_manager in
# place of systemctl: `pg-svcman.sh BINDIR DATA_DIR LOG VERB UNIT` runs BINDIR/pg_ctl for that
# cluster as the postgres user. start does not wait (the plugin's readiness poll is what is tested);
# stop waits, like systemctl stop. Every call is logged to LOG.calls; LOG.fail-VERB makes VERB fail.
set -u
bindir=$1 data=$2 log=$3 verb=$4 unit=${5:-}
cd / || exit 1
echo "$verb $unit" >> "$log.calls"
if [ -e "$log.fail-$verb" ]; then echo "pg-svcman: $verb $unit failed (injected)" >&2; exit 1; fi
pg_ctl() { runuser -u postgres -- "$bindir/pg_ctl" -D "$data" "$@"; }
case "$verb" in
start) pg_ctl -l "$log" -W start ;;
stop)
        # like systemctl: stopping a stopped service succeeds
        pg_ctl status > /dev/null 2>&1 || exit 0
        pg_ctl -m fast -w -t 60 stop ;;
is-active) if pg_ctl status > /dev/null 2>&1; then echo active; exit 0; else echo inactive; exit 3; fi ;;
*) echo "pg-svcman: unknown verb $verb" >&2; exit 2 ;;
esac
