#!/bin/bash
# Core benchmark: prints figures, asserts nothing. Uses the test-only `fake` plugin, so what it
# measures is the engine: forking each action, the journal's fsyncs, the scheduling.
#   tests/bench/core.sh [BUILD_DIR]     (default: build)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$top/build}
xhafw=$build/core/xhafw
[ -x "$xhafw" ] || { echo "build first: meson setup build && ninja -C build" >&2; exit 1; }
T=$(mktemp -d /tmp/xhafw-bench.XXXXXX)
# The no-op steps' marker files live on tmpfs: the benchmark measures the engine, not how fast
# ext4 creates and deletes a thousand files. The journal stays on disk (state_dir under $T).
M=$(mktemp -d /dev/shm/xhafw-bench.XXXXXX 2>/dev/null || mktemp -d /tmp/xhafw-bench-m.XXXXXX)
trap 'rm -rf "$T" "$M"' EXIT

now() { date +%s.%N; }
conf() { # conf NAME JOBS
        mkdir -p "$T/$1/conf.d" "$M/$1/m"
        printf '[xhafw]\nconf_d = %s\nplugin_path = %s\nstate_dir = %s\njobs = %s\n' \
                "$T/$1/conf.d" "$build/tests/plugins" "$T/$1/state" "$2" > "$T/$1/xhafw.conf"
}
timed() { # timed CMD... -> wall seconds on stdout; CPU seconds (user+sys, children included) in $T/cpu
        local TIMEFORMAT='%R %U %S' t
        t=$( { time "$@" > "$T/last.out" 2>&1; } 2>&1 ) || { cat "$T/last.out" >&2; return 1; }
        echo "$t" | awk '{ print $2 + $3 }' > "$T/cpu"
        echo "$t" | awk '{ print $1 }'
}
gen() { # gen NAME N SHAPE [SLEEP]: N no-op steps as a chain or a fan-out (all after one root)
        local name=$1 n=$2 shape=$3 sleep=${4:-0ms} i
        {
                for ((i = 0; i < n; i++)); do
                        printf '[s%d]\nplugin = fake\ntarget = %s/m/s%d\nsleep = %s\n' "$i" "$M/$name" "$i" "$sleep"
                        if ((i > 0)); then
                                if [ "$shape" = chain ]; then printf 'after = s%d\n' $((i - 1)); else printf 'after = s0\n'; fi
                        fi
                done
        } > "$T/$name/conf.d/steps.conf"
}

echo "xhafw core benchmark ($(nproc) cores, state dir on $(df --output=fstype "$T" | tail -1))"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (wall times grow with load; CPU time does not)"
printf '%-34s %10s %10s %14s %14s\n' "case" "activate" "deactivate" "per step (act)" "CPU per step"
for n in 10 100 1000; do
        for shape in chain fanout; do
                name=$shape-$n
                conf "$name" 4
                gen "$name" "$n" "$shape"
                a=$(timed "$xhafw" --config "$T/$name/xhafw.conf" -q activate --yes)
                cpu=$(cat "$T/cpu")
                d=$(timed "$xhafw" --config "$T/$name/xhafw.conf" -q deactivate --yes)
                printf '%-34s %9.3fs %9.3fs %12.3fms %12.3fms\n' "$n no-op steps, $shape" "$a" "$d" \
                        "$(echo "$a * 1000 / $n" | bc -l)" "$(echo "$cpu * 1000 / $n" | bc -l)"
        done
done

name=fanout-1000
v=$(timed "$xhafw" --config "$T/$name/xhafw.conf" validate)
dr=$(timed "$xhafw" --config "$T/$name/xhafw.conf" activate --dry-run)
printf '%-34s %9.3fs\n' "validate, 1000 steps" "$v"
printf '%-34s %9.3fs\n' "activate --dry-run, 1000 steps" "$dr"

# A graph of sleeping steps whose critical path is T: root (T/4), then 3 branches of (T/4, T/4),
# a branch of one T/4 step, then a final step after all (T/4): critical path = 4 x T/4 = T.
name="sleep"
conf "$name" 1
q=250ms
{
        printf '[root]\nplugin = fake\ntarget = %s/m/root\nsleep = %s\n' "$M/$name" "$q"
        for b in 1 2 3; do
                printf '[b%d1]\nplugin = fake\ntarget = %s/m/b%d1\nsleep = %s\nafter = root\n' "$b" "$M/$name" "$b" "$q"
                printf '[b%d2]\nplugin = fake\ntarget = %s/m/b%d2\nsleep = %s\nafter = b%d1\n' "$b" "$M/$name" "$b" "$q" "$b"
        done
        printf '[b4]\nplugin = fake\ntarget = %s/m/b4\nsleep = %s\nafter = root\n' "$M/$name" "$q"
        printf '[last]\nplugin = fake\ntarget = %s/m/last\nsleep = %s\nafter = b12, b22, b32, b4\n' "$M/$name" "$q"
} > "$T/$name/conf.d/steps.conf"
for jobs in 1 4; do
        a=$(timed "$xhafw" --config "$T/$name/xhafw.conf" -q activate --yes --jobs "$jobs")
        "$xhafw" --config "$T/$name/xhafw.conf" -q deactivate --yes > /dev/null
        printf '%-34s %9.3fs  (critical path T = 1.000s, sum of steps 2.500s, overhead over T: %+.0fms)\n' \
                "sleep graph, --jobs $jobs" "$a" "$(echo "($a - 1.0) * 1000" | bc -l)"
done
