#!/bin/bash
# Hostile configurations: every case of tests/data/bad-conf must be refused cleanly by validate,
# activate, deactivate and a dry-run: exit 2, a message naming the file, no crash, nothing changed,
# within a time and memory bound.
#
# A case is a directory: conf.d/ (its files; "@WORK@" is replaced by the case's working directory),
# optionally xhafw.conf (lines added under [xhafw] of the generated one), setup (a bash script run
# in the working directory to make what git cannot hold: modes, owners, FIFOs, symbolic links, huge
# files; exit 77 skips the case), expect (a fixed string the output must contain; default: the name
# of the first conf.d file), a one-line README saying what it is, and xfail (why the case is known
# to fail: a bug reported and not fixed yet; it is then counted apart, and reported when it passes).
#
# HOSTILE_CORPUS=DIR runs another corpus of the same form; arguments name cases to run (default all).
# XHAFW_WRAPPER runs xhafw under a tool, e.g. "valgrind -q --leak-check=full --error-exitcode=99"
# (then HOSTILE_TIME_LIMIT, in seconds, may need raising from 10).
source "$(dirname "$0")/lib.sh"

corpus=${HOSTILE_CORPUS:-$(cd "$(dirname "$0")/../data/bad-conf" && pwd)}
[ -d "$corpus" ] || fail "no corpus at $corpus"
time_limit=${HOSTILE_TIME_LIMIT:-10} # seconds per command
read -r -a wrapper <<< "${XHAFW_WRAPPER:-}"
mem_limit=$((1024 * 1024))      # KiB of address space per command
# ASan reserves terabytes of address space: bound its resident size instead.
asan=no
if grep -q __asan_init "$XHAFW" 2>/dev/null || ldd "$XHAFW" 2>/dev/null | grep -q libasan; then
        asan=yes
        export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}hard_rss_limit_mb=1024:detect_leaks=1"
fi
XHAFW=$(realpath "$XHAFW")
export XHAFW XHAFW_TEST_PLUGIN_PATH

# A listing of everything under a directory (type, mode, owner, size, link target, content hash)
# that changes if anything in it is created, removed, written, chmod'ed or chown'ed. FIFOs and
# devices are listed, never opened.
snapshot() {
        (cd "$1" && find . -printf '%p %y %m %U %G %s %l\n' | LC_ALL=C sort &&
                find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

# run_bounded OUT CMD...: CMD under the time and memory bounds, output in OUT; prints the exit code.
run_bounded() {
        local out=$1 rc=0
        shift
        (
                # Valgrind and ASan manage their own address space.
                [ "$asan" = yes ] || [ "${#wrapper[@]}" -gt 0 ] || ulimit -v "$mem_limit"
                exec timeout -k 2 "$time_limit" "$@"
        ) > "$out" 2>&1 < /dev/null || rc=$?
        echo "$rc"
}

commands=("validate" "activate --yes" "deactivate --yes" "activate --dry-run")
passed=0 failed=0 skipped=0 xfailed=0 slowest=0 slowest_case=
failures=() known=()

if [ $# -gt 0 ]; then
        cases=("$@")
else
        mapfile -t cases < <(cd "$corpus" && find . -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | LC_ALL=C sort)
fi
[ "${#cases[@]}" -gt 0 ] || fail "no cases in $corpus"

for name in "${cases[@]}"; do
        src=$corpus/$name
        [ -d "$src" ] || fail "no case $name in $corpus"
        work=$T/$name
        mkdir -p "$work/conf.d"
        [ -d "$src/conf.d" ] && cp -a "$src/conf.d/." "$work/conf.d/"
        {
                echo "[xhafw]"
                # a key given twice is itself a configuration error: the case's own lines win
                for kv in "conf_d = $work/conf.d" "plugin_path = $XHAFW_TEST_PLUGIN_PATH" "state_dir = $work/state" \
                          "timeout = 5s" "grace = 1s"; do
                        [ -f "$src/xhafw.conf" ] && grep -q "^${kv%% =*} *=" "$src/xhafw.conf" && continue
                        echo "$kv"
                done
                if [ -f "$src/xhafw.conf" ]; then cat "$src/xhafw.conf"; fi
        } > "$work/xhafw.conf"
        { grep -rlF --null '@WORK@' "$work" || true; } | xargs -0 -r sed -i "s|@WORK@|$work|g"
        # A checkout made under umask 002 must not turn every case into "group-writable".
        chmod -R go-w "$work"
        if [ -f "$src/setup" ]; then
                rc=0
                (cd "$work" && bash -e "$src/setup") > "$T/setup.out" 2>&1 || rc=$?
                if [ "$rc" = 77 ]; then
                        echo "skip - $name: $(cat "$T/setup.out")"
                        skipped=$((skipped + 1))
                        continue
                fi
                [ "$rc" = 0 ] || { cat "$T/setup.out" >&2; fail "$name: setup exited $rc"; }
        fi
        if [ -f "$src/expect" ]; then
                expect=$(sed "s|@WORK@|$work|g" "$src/expect")
        else
                expect=$(cd "$src/conf.d" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | LC_ALL=C sort | head -n1)
        fi
        [ -n "$expect" ] || fail "$name: nothing to expect (no conf.d file and no expect file)"
        before=$(snapshot "$work")

        problems=()
        start=$(date +%s%N)
        for c in "${commands[@]}"; do
                read -r -a argv <<< "$c"
                out=$T/out
                rc=$(run_bounded "$out" "${wrapper[@]}" "$XHAFW" --config "$work/xhafw.conf" "${argv[@]}")
                if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
                        problems+=("$c: took more than ${time_limit}s")
                elif [ "$rc" -ge 128 ]; then
                        problems+=("$c: killed by signal $((rc - 128))")
                elif [ "$rc" != 2 ]; then
                        problems+=("$c: exited $rc, expected 2")
                fi
                if grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:|MemorySanitizer|ERROR SUMMARY: [1-9]' "$out"; then
                        problems+=("$c: sanitizer or valgrind report")
                fi
                if ! grep -qF -- "$expect" "$out"; then
                        problems+=("$c: no message naming '$expect'")
                fi
                if [ -e "$work/state" ]; then
                        problems+=("$c: created the state directory")
                        rm -rf "$work/state"
                fi
                if [ "${#problems[@]}" -gt 0 ]; then
                        sed 's/^/    | /' "$out" | head -n 20 >&2
                        break
                fi
        done
        elapsed=$((($(date +%s%N) - start) / 1000000))
        [ "$(snapshot "$work")" = "$before" ] || problems+=("something in the case's directory changed")
        if [ "$elapsed" -gt "$slowest" ]; then
                slowest=$elapsed slowest_case=$name
        fi
        if [ "${#problems[@]}" -eq 0 ]; then
                passed=$((passed + 1))
                echo "ok - $name ($(head -n1 "$src/README" 2>/dev/null)) ${elapsed}ms"
                [ ! -f "$src/xfail" ] || echo "XPASS - $name: fixed; remove $name/xfail"
        elif [ -f "$src/xfail" ]; then
                xfailed=$((xfailed + 1))
                known+=("$name")
                for p in "${problems[@]}"; do echo "xfail - $name: $p"; done
                echo "xfail - $name: known: $(head -n1 "$src/xfail")"
        else
                failed=$((failed + 1))
                failures+=("$name")
                for p in "${problems[@]}"; do echo "not ok - $name: $p"; done
        fi
        rm -rf "$work"
done

echo "slowest case: $slowest_case (${slowest}ms for ${#commands[@]} commands)"
[ "$skipped" = 0 ] || echo "$skipped skipped"
[ "$xfailed" = 0 ] || echo "$xfailed known failures (xfail): ${known[*]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] || fail "refused uncleanly: ${failures[*]}"
