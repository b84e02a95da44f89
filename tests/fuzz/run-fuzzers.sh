#!/bin/bash
# Build the libFuzzer harnesses with clang in their own build directory and run each for a bounded
# time: run-fuzzers.sh [SECONDS per fuzzer, default 60] [NAME...]. Exits non-zero when a fuzzer
# finds a crash, a leak, undefined behaviour or a broken property; the input that did it is left in
# the build directory's fuzz-artifacts/ (save it under tests/fuzz/regressions/NAME/ with the fix).
# New inputs the fuzzers find go to the build directory's fuzz-corpus/, never into the tree.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
shift || true
build=${FUZZ_BUILD_DIR:-$top/build-fuzz}
all=(config diff lsdef lines pgconf pidfile mycnf)
names=("${@:-${all[@]}}")

case $secs in
''|*[!0-9]*) echo "run-fuzzers.sh: the time must be a number of seconds, not '$secs'" >&2; exit 2 ;;
esac
command -v clang > /dev/null || { echo "run-fuzzers.sh: needs clang (libFuzzer)" >&2; exit 77; }

if [ ! -f "$build/build.ninja" ]; then
        CC=clang meson setup "$build" "$top" -Dwerror=true > "$build.setup.log" 2>&1 ||
                { cat "$build.setup.log" >&2; exit 1; }
fi
mapfile -t targets < <(printf 'tests/fuzz/fuzz-%s\n' "${names[@]}")
ninja -C "$build" "${targets[@]}" tests/plugins/fake.so > /dev/null

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
rc=0
printf '%-8s %10s %8s %6s %s\n' fuzzer executions exec/s cov result
for name in "${names[@]}"; do
        exe=$build/tests/fuzz/fuzz-$name
        [ -x "$exe" ] || { echo "no fuzzer $exe (is the compiler clang with libFuzzer?)" >&2; exit 1; }
        work=$build/fuzz-corpus/$name
        artifacts=$build/fuzz-artifacts
        mkdir -p "$work" "$artifacts"
        seeds=("$top/tests/fuzz/corpus/$name")
        [ -d "$top/tests/fuzz/regressions/$name" ] && seeds+=("$top/tests/fuzz/regressions/$name")
        log=$build/fuzz-$name.log
        # A crash or a broken property ends the run (exit 1, or 77 for -error_exitcode).
        frc=0
        (cd "$artifacts" && "$exe" "$work" "${seeds[@]}" -max_total_time="$secs" -timeout=10 \
                -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 -error_exitcode=77 \
                -artifact_prefix="$artifacts/$name-") > "$log" 2>&1 || frc=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
        speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n1)
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
        if [ "$frc" = 0 ]; then
                result=clean
        else
                result="FAILED (exit $frc): $(find "$artifacts" -maxdepth 1 -name "$name-*" -printf '%T@ %p\n' | sort -rn | head -n1 | cut -d' ' -f2-), log $log"
                rc=1
        fi
        printf '%-8s %10s %8s %6s %s\n' "$name" "${execs:-?}" "${speed:-?}" "${cov:-?}" "$result"
        [ "$frc" = 0 ] || grep -E 'ERROR|SUMMARY|#[0-9]+ 0x' "$log" | head -n 25 >&2
done
exit $rc
