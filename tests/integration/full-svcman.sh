#!/bin/bash
# Test service manager for the whole default conf.d: `full-svcman.sh DIR BINDIR DATA LOG VERB UNIT`.
# "postgresql" is a real server run by pg_ctl (pg-svcman.sh BINDIR DATA LOG); every other unit is a
# marker file in DIR (svcman.sh DIR). Faults on demand, for the fault matrix:
#   DIR/UNIT.delay-VERB   VERB first sleeps that many seconds (a slow or hanging service)
#   DIR/UNIT.lie-VERB     VERB exits 0 and does nothing (a service manager that lies)
#   DIR/UNIT.fail-VERB    VERB fails (exit 1)
set -u
dir=$1 bindir=$2 data=$3 log=$4 verb=$5 unit=${6:-}
here=${0%/*}
if [ -s "$dir/$unit.delay-$verb" ]; then
        read -r secs < "$dir/$unit.delay-$verb"
        sleep "$secs"
fi
if [ -e "$dir/$unit.lie-$verb" ]; then
        echo "$verb $unit (lied)" >> "$dir/calls"
        exit 0
fi
if [ -e "$dir/$unit.fail-$verb" ]; then
        echo "$verb $unit (failed)" >> "$dir/calls"
        echo "full-svcman: $verb $unit failed (injected)" >&2
        exit 1
fi
if [ "$unit" = postgresql ]; then
        echo "$verb $unit" >> "$dir/calls"
        exec /bin/bash "$here/pg-svcman.sh" "$bindir" "$data" "$log" "$verb" "$unit"
fi
exec /bin/bash "$here/svcman.sh" "$dir" "$verb" "$unit"
