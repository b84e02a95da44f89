#!/bin/bash
# Instruction counts of the core's fixed path, for comparing builds on a busy machine where wall
# time is noise: callgrind over every process of the run (the core and each action's child).
# Prints figures, asserts nothing.
#   tests/bench/instructions.sh BUILD_DIR [BUILD_DIR...]    (each a configured and built tree)
set -euo pipefail
command -v valgrind > /dev/null || { echo "needs valgrind (Debian package valgrind)" >&2; exit 1; }
[ $# -gt 0 ] || { echo "usage: $0 BUILD_DIR [BUILD_DIR...]" >&2; exit 1; }
T=$(mktemp -d /tmp/xhafw-insn.XXXXXX)
trap 'rm -rf "$T"' EXIT

gen() { # gen DIR BUILD N SHAPE: N no-op steps of the test plugin, as a chain or a fan-out
        local dir=$1 build=$2 n=$3 shape=$4 i
        rm -rf "$dir"
        mkdir -p "$dir/conf.d" "$dir/m"
        printf '[xhafw]\nconf_d = %s\nplugin_path = %s\nstate_dir = %s\njobs = 4\n' \
                "$dir/conf.d" "$build/tests/plugins" "$dir/state" > "$dir/xhafw.conf"
        for ((i = 0; i < n; i++)); do
                printf '[s%d]\nplugin = fake\ntarget = %s/m/s%d\n' "$i" "$dir/m" "$i"
                if ((i > 0)); then
                        if [ "$shape" = chain ]; then printf 'after = s%d\n' $((i - 1)); else printf 'after = s0\n'; fi
                fi
        done > "$dir/conf.d/steps.conf"
}
insn() { # insn CMD...: instructions of CMD and every process it forks, in millions
        rm -f "$T"/cg.*
        valgrind --tool=callgrind --trace-children=yes --callgrind-out-file="$T/cg.%p" "$@" > /dev/null 2>&1 || true
        cat "$T"/cg.* | awk '/^summary:/ { s += $2 } END { printf "%.1f", s / 1e6 }'
}

printf '%-44s' "case (million instructions)"
for b in "$@"; do printf ' %14s' "$(basename "$b")"; done
echo
for c in "validate, 100-step chain:validate:100:chain" "validate, 1000-step chain:validate:1000:chain" \
        "validate, 4000-step chain:validate:4000:chain" "activate, 100-step fan-out:activate:100:fanout" \
        "status, 100-step fan-out:status:100:fanout"; do
        IFS=: read -r label cmd n shape <<< "$c"
        printf '%-44s' "$label"
        for b in "$@"; do
                gen "$T/cfg" "$b" "$n" "$shape"
                args=("$cmd")
                [ "$cmd" = activate ] && args+=(--yes)
                printf ' %14s' "$(insn "$b/core/xhafw" --config "$T/cfg/xhafw.conf" -q "${args[@]}")"
        done
        echo
done
