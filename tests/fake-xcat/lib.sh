# Shared by the fake xCAT commands: the state file, the call log, failure and delay on demand.
#
# State: the file named by XHAFW_FAKE_XCAT_STATE, one "KEY=VALUE" a line:
#   TYPE.OBJECT.ATTR=VALUE     xCAT objects, e.g. site.clustersite.domain=cluster.com,
#                              network.10_0_0_0-255_0_0_0.mgtifname=eth0
#   generated.WHAT=N           how often makedns -n, makedhcp -n/-a, ... have run
#   fake.xcatd_active_file=F   when set, every command fails as if xcatd were down unless F exists
#                              (point it at the test service manager's xcatd.active)
#   fake.lsdef_noise=1         lsdef adds a warning, a blank line and an attribute nobody asked for
#   fake.makedhcp_warning=TEXT makedhcp -a prints "Warning: TEXT" (and still succeeds)
#   fake.delay.NAME=SECONDS    like XHAFW_FAKE_XCAT_DELAY_NAME below
#   fake.version=V             the xCAT version lsxcatd -v reports (default 2.16.5)
# Every call is appended to "$XHAFW_FAKE_XCAT_STATE.log": "<seconds since epoch> <pid> start|end ...".
# XHAFW_FAKE_XCAT_FAIL=NAME[,NAME...] makes those calls fail (exit 1, an error on stderr).
# XHAFW_FAKE_XCAT_DELAY_NAME=SECONDS makes those calls take that long in all (benchmarks).
# NAME is the command (makedhcp) or the command and its first option (makedhcp-a); in the
# variable names it is upper-cased with '-' as '_' (XHAFW_FAKE_XCAT_DELAY_MAKEDHCP_A).
#
# Reading is done in bash alone, without forks: the benchmark measures these commands' time.
set -u

FX_START=$EPOCHREALTIME
FX_DELAY=""
FX_NAME=${0##*/}
: "${XHAFW_FAKE_XCAT_STATE:?fake xCAT: XHAFW_FAKE_XCAT_STATE must name the state file (pass_env in xhafw.conf)}"
FX_STATE=$XHAFW_FAKE_XCAT_STATE
FX_LOCK=$FX_STATE.lock
FX_LOG=$FX_STATE.log
[ -e "$FX_STATE" ] || : >> "$FX_STATE"

# The state as it was when we started; fx_set changes the file and this copy.
declare -A FX=()
FX_KEYS=()
while IFS= read -r _l || [ -n "$_l" ]; do
        [[ $_l == *=* ]] || continue
        [ -n "${FX[${_l%%=*}]+x}" ] || FX_KEYS+=("${_l%%=*}")
        FX[${_l%%=*}]=${_l#*=}
done < "$FX_STATE"

fx_log() { echo "$EPOCHREALTIME $$ $*" >> "$FX_LOG"; }

# fx_get KEY: the value, or nothing (exit 1) when unset.
fx_get() { [ -n "${FX[$1]+x}" ] || return 1; printf '%s\n' "${FX[$1]}"; }

# fx_set KEY VALUE: atomically, under a lock, as parallel steps call us at once.
fx_set() {
        (
                flock 9
                grep -v -- "^${1//./\\.}=" "$FX_STATE" > "$FX_STATE.tmp.$$" || true
                printf '%s=%s\n' "$1" "$2" >> "$FX_STATE.tmp.$$"
                mv -f "$FX_STATE.tmp.$$" "$FX_STATE"
        ) 9>> "$FX_LOCK"
        [ -n "${FX[$1]+x}" ] || FX_KEYS+=("$1")
        FX[$1]=$2
}

fx_count() { local n; n=$(fx_get "generated.$1" || echo 0); fx_set "generated.$1" $((n + 1)); }

# usec DECIMAL: microseconds.
usec() {
        local i=${1%.*} f=
        [[ $1 == *.* ]] && f=${1#*.}
        f=${f}000000
        echo $((10#${i:-0} * 1000000 + 10#${f:0:6}))
}

# fx_end STATUS: after the delay asked for, counted from our start: the documented durations are
# the whole command's, so the fake's own work is part of them, not added to them.
fx_end() {
        local rest
        if [ -n "$FX_DELAY" ]; then
                rest=$(($(usec "$FX_DELAY") - ($(usec "$EPOCHREALTIME") - $(usec "$FX_START"))))
                [ "$rest" -gt 0 ] && sleep "$((rest / 1000000)).$(printf %06d $((rest % 1000000)))"
        fi
        fx_log "end $FX_NAME rc=$1"
        exit "$1"
}

# fx_begin ARGS...: log the call, then fail, or refuse without xcatd, as asked; note the delay.
fx_begin() {
        local sub="" n var delay="" f
        case "${1:-}" in -*) sub="$FX_NAME${1}" ;; esac
        fx_log "start $FX_NAME $*"
        for n in $sub $FX_NAME; do
                var=${n^^}
                var=XHAFW_FAKE_XCAT_DELAY_${var//-/_}
                delay=${!var:-${FX[fake.delay.$n]:-}}
                [ -n "$delay" ] && break
        done
        FX_DELAY=$delay
        IFS=, read -ra f <<< "${XHAFW_FAKE_XCAT_FAIL:-}"
        for n in "${f[@]}"; do
                n=${n// /}
                if [ -n "$n" ] && { [ "$n" = "$FX_NAME" ] || [ "$n" = "$sub" ]; }; then
                        echo "Error: [fake] $FX_NAME $* failed (XHAFW_FAKE_XCAT_FAIL=$XHAFW_FAKE_XCAT_FAIL)" >&2
                        fx_end 1
                fi
        done
        f=${FX[fake.xcatd_active_file]:-}
        if [ -n "$f" ] && [ ! -e "$f" ]; then
                echo "Error: [fake] Unable to connect to xcatd at localhost:3001: Connection refused" >&2
                fx_end 1
        fi
}

# fx_objects TYPE: the object names of that type, sorted, one a line.
fx_objects() {
        local k o
        declare -A seen=()
        for k in "${FX_KEYS[@]}"; do
                [[ $k == "$1".* ]] || continue
                o=${k#"$1".}
                o=${o%.*}
                [ -n "${seen[$o]+x}" ] && continue
                seen[$o]=1
                printf '%s\n' "$o"
        done | sort
}

# fx_attrs TYPE OBJECT: "ATTR=VALUE" lines of that object, sorted by attribute.
fx_attrs() {
        local k
        for k in "${FX_KEYS[@]}"; do
                [[ $k == "$1.$2".* ]] && printf '%s=%s\n' "${k#"$1.$2".}" "${FX[$k]}"
        done | sort
}
