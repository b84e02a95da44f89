#!/bin/bash
# Bash completion contrib/completion/xhafw.bash: commands, options, step names from the configured conf.d,
# plugin names; first through the completion function, then in a real interactive bash when tmux is there.
source "$(dirname "$0")/lib.sh"
src=${XHAFW_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
completion=$src/contrib/completion/xhafw.bash
bash -n "$completion" || fail "the completion script does not parse"

# `xhafw` on PATH is the built one, as the completion runs the command being completed.
mkdir -p "$T/bin"
ln -s "$XHAFW" "$T/bin/xhafw"
export PATH="$T/bin:$PATH"
xh_config
cat > "$T/conf.d/10-a.conf" <<EOF
[web]
plugin = service
unit = web
[db]
plugin = service
unit = db
after = web
EOF
printf '[  storage-two ]\nplugin = fake\n' > "$T/conf.d/20-b.conf"
mkdir -p "$T/other.d"
printf '[solo]\nplugin = fake\n' > "$T/other.d/10-solo.conf"

# complete LINE: the completions bash would offer at the end of LINE, sorted, one a line, in $T/c.
complete_line() (
        set +eu +o pipefail
        # shellcheck source=/dev/null
        source "$completion"
        read -r -a COMP_WORDS <<< "$1"
        [[ $1 == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$1 COMP_POINT=${#1}
        _xhafw xhafw "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf '%s\n' "${COMPREPLY[@]}" | sort
) > "$T/c"

# expect LINE WORD...: exactly these completions.
expect() {
        local line=$1
        shift
        complete_line "$line"
        local want
        want=$(printf '%s\n' "$@" | sort)
        [ "$(cat "$T/c")" = "$want" ] || { echo "got:" >&2; cat "$T/c" >&2; fail "completing '$line': expected $*"; }
}
# expect_has LINE WORD...: at least these.
expect_has() {
        local line=$1 w
        shift
        complete_line "$line"
        for w in "$@"; do grep -qx -- "$w" "$T/c" || { cat "$T/c" >&2; fail "completing '$line' lacks '$w'"; }; done
}

c="xhafw --config $T/xhafw.conf"
expect "xhafw " activate cat-config deactivate describe history list-plugins preflight status validate
expect "xhafw de" deactivate describe
expect "xhafw --con" --conf-d --config
expect "xhafw -q --json st" status
pass "commands and global options"

expect "$c activate --d" --dry-run
expect "$c activate --" --dry-run --force --help --inject --jobs --no-rollback --only --yes
expect "$c deactivate --" --dry-run --help --inject --jobs --only --yes
expect "$c activate --dry-run --inject b=c" b=crash
expect "$c status --" --help
expect "$c history --" --help --since --svg
expect "$c history --since to" today
expect "$c preflight --" --help --nagios --peer --prometheus
expect "$c preflight --nagios --p" --peer --prometheus
pass "each command's options (--force and --no-rollback only for activate)"

expect "$c activate --only " db storage-two web
expect "$c activate --only web,d" web,db
expect "$c deactivate --only s" storage-two
expect "$c --conf-d $T/other.d activate --only " solo
expect "xhafw --conf-d $T/other.d describe " solo
pass "step names from the configured conf.d (--config's conf_d, or --conf-d)"

expect_has "$c describe " web db storage-two service fake vip
expect "$c describe we" web
expect "$c describe web " 
expect_has "$c describe v" vip
pass "describe: step and plugin names from xhafw list-plugins"

expect_has "xhafw --config $T/xh" "$T/xhafw.conf"
expect "xhafw --conf-d $T/oth" "$T/other.d"
expect "xhafw --plugin-path $T/oth" "$T/other.d"
expect "xhafw --plugin-path /a:$T/oth" "/a:$T/other.d"
expect "$c activate --jobs " 1 16 2 4 8
expect_has "$c preflight --prometheus $T/xh" "$T/xhafw.conf"
printf '[xhafw]\npeer = mn-peer.example\n' > "$T/peer.conf"
expect_has "xhafw --config $T/peer.conf preflight --peer mn-p" mn-peer.example
expect_has "xhafw preflight --peer localh" localhost
pass "file, directory, path-list, number and host arguments"

# A real interactive bash: type, press Tab twice, read the screen.
if command -v tmux >/dev/null 2>&1; then
        sock="$T/tmux.sock"
        at_exit "tmux -S '$sock' kill-server 2>/dev/null"
        cat > "$T/bashrc" <<EOF
PS1='prompt\$ '
export PATH="$PATH"
[ -f /usr/share/bash-completion/bash_completion ] && source /usr/share/bash-completion/bash_completion
source "$completion"
EOF
        tmux -S "$sock" new-session -d -x 200 -y 50 "bash --noprofile --rcfile $T/bashrc -i"
        screen() { tmux -S "$sock" capture-pane -p; }
        for ((n = 0; n < 50; n++)); do screen | grep -q 'prompt\$' && break; sleep 0.1; done
        tmux -S "$sock" send-keys "xhafw --config $T/xhafw.conf describe st" Tab
        for ((n = 0; n < 50; n++)); do screen | grep -q 'describe storage' && break; sleep 0.1; done
        screen | grep -q "describe storage" || { screen >&2; fail "interactive: Tab did not complete 'st'"; }
        tmux -S "$sock" send-keys C-u "xhafw --config $T/xhafw.conf activate --only " Tab Tab
        for ((n = 0; n < 50; n++)); do screen | grep -q 'storage-two' && break; sleep 0.1; done
        screen | grep -q "storage-two" && screen | grep -qw "web" || { screen >&2; fail "interactive: Tab Tab did not list the steps"; }
        tmux -S "$sock" kill-server
        pass "interactive bash under tmux: Tab completes and lists steps"
else
        echo "# tmux not installed: the interactive check is skipped (package tmux)"
fi
