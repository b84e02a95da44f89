#!/bin/bash
# Benchmark of the storage step: wall time of whole xhafw processes that activate and deactivate
# 5 and 50 bound paths (no holders), in a private mount namespace. Prints min/median/max per case.
# Usage: XHAFW=build/core/xhafw XHAFW_TEST_PLUGIN_PATH=build/plugins/storage tests/bench/storage.sh [ROUNDS]

if [ -z "${XHAFW_TEST_MOUNT_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
        XHAFW_TEST_MOUNT_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

source "$(dirname "$0")/../integration/lib.sh"
ROUNDS=${1:-20}

mounts_under_t() { awk -v t="$B/$n" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r; }
unmount_all() { local m; for m in $(mounts_under_t); do umount "$m" 2>/dev/null || true; done; }

us_since() { echo $(( ($(date +%s%N) - $1) / 1000 )); }

# stats FILE: min median max in ms of the microsecond figures in FILE
stats() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "min %6.1f ms  median %6.1f ms  max %6.1f ms", v[1] / 1000, v[int((NR + 1) / 2)] / 1000, v[NR] / 1000 }'; }

# Short paths under a tmpfs that only this namespace sees: 50 long paths would not fit in one
# configuration line.
B=/mnt/xb
mkdir -p "$B"
mount -t tmpfs -o size=16m xhafw-bench "$B"
at_exit "umount $B"
at_exit unmount_all
xh_config "jobs=4"
for n in 5 50; do
        paths=()
        for ((i = 0; i < n; i++)); do
                p=$B/$n/$i
                mkdir -p "$p" "$B/disk$p"
                paths+=("$p")
        done
        {
                echo "[storage]"
                echo "device = $B/disk"
                echo "options = bind"
                echo "mountpoint = $B/$n/shared"
                echo "paths = $(IFS=,; echo "${paths[*]}")"
        } > "$T/conf.d/10-storage.conf"
        rm -f "$T/apply.$n" "$T/revert.$n"
        for ((r = 0; r < ROUNDS; r++)); do
                t0=$(date +%s%N)
                xh activate --yes > "$T/out" 2>&1 || { cat "$T/out"; fail "activate failed"; }
                us_since "$t0" >> "$T/apply.$n"
                [ "$(mounts_under_t | wc -l)" = $((n + 1)) ] || fail "activate did not bind $n paths"
                t0=$(date +%s%N)
                xh deactivate --yes > "$T/out" 2>&1 || { cat "$T/out"; fail "deactivate failed"; }
                us_since "$t0" >> "$T/revert.$n"
                [ -z "$(mounts_under_t)" ] || fail "deactivate left mounts"
        done
        printf 'storage %2d paths, apply  (activate):   %s  (%d rounds)\n' "$n" "$(stats "$T/apply.$n")" "$ROUNDS"
        printf 'storage %2d paths, revert (deactivate): %s  (%d rounds)\n' "$n" "$(stats "$T/revert.$n")" "$ROUNDS"
done
