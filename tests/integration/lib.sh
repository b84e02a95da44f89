# Shared helpers for the integration tests: sourced by each test, never run alone.
# Every test gets its own temporary directory $T (conf.d, state dir, files), removed at exit, and
# registers the cleanup of what it creates (namespaces, mounts, servers) with at_exit.
set -euo pipefail

: "${XHAFW:?XHAFW must name the built xhafw binary (meson test sets it)}"
: "${XHAFW_TEST_PLUGIN_PATH:?XHAFW_TEST_PLUGIN_PATH must list the plugin build directories}"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || skip "needs $1 (package $2)"; }

T=$(mktemp -d /tmp/xhafw-test.XXXXXX)
chmod 0700 "$T"
_at_exit=()
at_exit() { _at_exit+=("$*"); }
_run_at_exit() {
        local rc=$? i
        for ((i = ${#_at_exit[@]} - 1; i >= 0; i--)); do eval "${_at_exit[i]}" || true; done
        rm -rf "$T"
        exit $rc
}
trap _run_at_exit EXIT
trap 'exit 130' INT TERM

# xh_config [KEY=VALUE...]: write $T/xhafw.conf (conf_d $T/conf.d, state_dir $T/state, the build
# tree's plugins) plus extra global keys, and an empty conf.d.
xh_config() {
        mkdir -p "$T/conf.d"
        {
                echo "[xhafw]"
                local kv given=" ${*%%=*} "
                # a key given twice is a configuration error: a key given here replaces the default
                for kv in "conf_d=$T/conf.d" "plugin_path=$XHAFW_TEST_PLUGIN_PATH" "state_dir=$T/state" "timeout=30s"; do
                        case " ${given} " in *" ${kv%%=*} "*) continue ;; esac
                        echo "${kv%%=*} = ${kv#*=}"
                done
                for kv in "$@"; do echo "${kv%%=*} = ${kv#*=}"; done
        } > "$T/xhafw.conf"
}

# xh ARGS...: run xhafw against the test's configuration.
xh() { "$XHAFW" --config "$T/xhafw.conf" "$@"; }

# expect_exit CODE CMD...: run CMD, fail unless it exits with CODE; its output is in $T/out.
expect_exit() {
        local want=$1 rc=0
        shift
        "$@" > "$T/out" 2>&1 || rc=$?
        if [ "$rc" != "$want" ]; then
                cat "$T/out" >&2
                fail "'$*' exited $rc, expected $want"
        fi
}

# expect_output REGEX: the last expect_exit's output matches.
expect_output() { grep -Eq -- "$1" "$T/out" || { cat "$T/out" >&2; fail "output lacks /$1/"; }; }
