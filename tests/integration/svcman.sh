#!/bin/bash
# Test service manager: `svcman.sh STATE_DIR VERB UNIT`, what tests set as service_manager in place
# of systemctl. A unit is active while STATE_DIR/UNIT.active exists, enabled at boot while
# STATE_DIR/UNIT.enabled exists, and unknown (systemctl's "no such unit", exit 4) while
# STATE_DIR/UNIT.missing exists. Fails on demand when STATE_DIR/UNIT.fail-VERB exists. Every call is
# logged to STATE_DIR/calls.
set -u
dir=$1 verb=$2 unit=$3
mkdir -p "$dir"
echo "$verb $unit" >> "$dir/calls"
if [ -e "$dir/$unit.fail-$verb" ]; then echo "svcman: $verb $unit failed (injected)" >&2; exit 1; fi
if [ -e "$dir/$unit.missing" ]; then
        case "$verb" in
        is-active) echo inactive; exit 3 ;;
        is-enabled) echo not-found; exit 4 ;;
        *) echo "Unit $unit.service could not be found." >&2; exit 4 ;;
        esac
fi
case "$verb" in
start) touch "$dir/$unit.active" ;;
stop) rm -f "$dir/$unit.active" ;;
is-active) if [ -e "$dir/$unit.active" ]; then echo active; exit 0; else echo inactive; exit 3; fi ;;
is-enabled) if [ -e "$dir/$unit.enabled" ]; then echo enabled; exit 0; else echo disabled; exit 1; fi ;;
status) if [ -e "$dir/$unit.active" ]; then echo "$unit: active (running)"; exit 0; else echo "$unit: inactive (dead)"; exit 3; fi ;;
*) echo "svcman: unknown verb $verb" >&2; exit 2 ;;
esac
