# bash completion for xhafw(8): commands, options, step names from the configured conf.d, plugin names.
# Installed to /usr/share/bash-completion/completions/xhafw; works with or without the bash-completion
# package.

# _xhafw_conf_value FILE KEY: KEY of the [xhafw] section of FILE (the last one wins, as in xhafw).
_xhafw_conf_value()
{
        [ -r "$1" ] || return 0
        awk -v key="$2" '
                /^[ \t]*\[/ { sec = $0; gsub(/[ \t\[\]]/, "", sec); next }
                sec == "xhafw" {
                        line = $0; sub(/[;#].*/, "", line)
                        n = index(line, "="); if (n == 0) next
                        k = substr(line, 1, n - 1); v = substr(line, n + 1)
                        gsub(/^[ \t]+|[ \t]+$/, "", k); gsub(/^[ \t]+|[ \t]+$/, "", v)
                        if (k == key) val = v
                }
                END { if (val != "") print val }' "$1" 2>/dev/null
}

# _xhafw_steps: the step names (sections) of the conf.d this command line would use.
_xhafw_steps()
{
        local config=/etc/xhafw/xhafw.conf conf_d="" i
        for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
                case ${COMP_WORDS[i]} in
                --config) config=${COMP_WORDS[i + 1]} ;;
                --conf-d) conf_d=${COMP_WORDS[i + 1]} ;;
                esac
        done
        config=${config/#\~/$HOME}
        [ -n "$conf_d" ] || conf_d=$(_xhafw_conf_value "$config" conf_d)
        [ -n "$conf_d" ] || conf_d=/etc/xhafw/conf.d
        conf_d=${conf_d/#\~/$HOME}
        [ -d "$conf_d" ] || return 0
        awk '/^[ \t]*\[[^]]+\]/ { s = $0; sub(/^[ \t]*\[[ \t]*/, "", s); sub(/[ \t]*\].*/, "", s); print s }' \
                "$conf_d"/*.conf 2>/dev/null
}

# _xhafw_plugins: plugin names on the plugin path, as xhafw itself finds them (with the command line's
# global options, so a --plugin-path or --config on it counts).
_xhafw_plugins()
{
        local -a globals=()
        local i
        for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
                case ${COMP_WORDS[i]} in
                --config|--plugin-path) globals+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}") ;;
                esac
        done
        "${COMP_WORDS[0]}" "${globals[@]}" -q list-plugins 2>/dev/null | awk 'NR > 1 && $1 != "" { print $1 }'
}

# _xhafw_peers: candidates for preflight --peer: peer of the configuration this command line would
# use, then the host names bash knows (/etc/hosts, $HOSTFILE).
_xhafw_peers()
{
        local config=/etc/xhafw/xhafw.conf i
        for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
                [ "${COMP_WORDS[i]}" = --config ] && config=${COMP_WORDS[i + 1]}
        done
        _xhafw_conf_value "${config/#\~/$HOME}" peer
        compgen -A hostname
}

# _xhafw_runs: the numbers of the runs in the journal, as `xhafw history` lists them (1: the latest).
_xhafw_runs()
{
        local -a globals=()
        local i
        for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
                case ${COMP_WORDS[i]} in
                --config|--state-dir) globals+=("${COMP_WORDS[i]}" "${COMP_WORDS[i + 1]}") ;;
                esac
        done
        "${COMP_WORDS[0]}" "${globals[@]}" -q history 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }'
}

_xhafw()
{
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        local global_opts="--config --conf-d --plugin-path --state-dir --json -v --verbose -q --quiet -h --help --version"
        local commands="activate deactivate status list-plugins describe validate history preflight cat-config"
        local cmd="" cmd_index=0 i

        COMPREPLY=()
        # The command is the first word that is neither an option nor an option's argument.
        for ((i = 1; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in
                --config|--conf-d|--plugin-path|--state-dir) ((i++)) ;;
                -*) ;;
                *) cmd=${COMP_WORDS[i]}; cmd_index=$i; break ;;
                esac
        done

        case $prev in
        --config)
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                return 0 ;;
        --conf-d|--state-dir)
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -d -- "$cur")
                return 0 ;;
        --plugin-path)
                # A colon-separated list: complete the directory after the last colon.
                local head="" tail=$cur
                [[ $cur == *:* ]] && head=${cur%:*}: tail=${cur##*:}
                mapfile -t COMPREPLY < <(compgen -d -P "$head" -- "$tail")
                compopt -o nospace 2>/dev/null
                return 0 ;;
        --jobs)
                mapfile -t COMPREPLY < <(compgen -W "1 2 4 8 16" -- "$cur")
                return 0 ;;
        --since)
                mapfile -t COMPREPLY < <(compgen -W "15m 1h 2h 1d 7d today yesterday" -- "$cur")
                return 0 ;;
        --svg|--prometheus)
                compopt -o filenames 2>/dev/null
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                return 0 ;;
        --peer)
                mapfile -t COMPREPLY < <(compgen -W "$(_xhafw_peers)" -- "$cur")
                return 0 ;;
        --inject)
                # STEP or STEP=fail|hang|crash
                if [[ $cur == *=* ]]; then
                        mapfile -t COMPREPLY < <(compgen -W "fail hang crash" -P "${cur%%=*}=" -- "${cur#*=}")
                else
                        mapfile -t COMPREPLY < <(compgen -W "$(_xhafw_steps)" -- "$cur")
                fi
                return 0 ;;
        --only)
                # A comma-separated list of steps: complete the name after the last comma.
                local head="" tail=$cur
                [[ $cur == *,* ]] && head=${cur%,*}, tail=${cur##*,}
                mapfile -t COMPREPLY < <(compgen -W "$(_xhafw_steps)" -P "$head" -- "$tail")
                return 0 ;;
        esac

        if [ -z "$cmd" ]; then
                if [[ $cur == -* ]]; then
                        mapfile -t COMPREPLY < <(compgen -W "$global_opts" -- "$cur")
                else
                        mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
                fi
                return 0
        fi

        case $cmd in
        activate)
                mapfile -t COMPREPLY < <(compgen -W "--dry-run --inject -y --yes --only --jobs --no-rollback --force --help" -- "$cur") ;;
        deactivate)
                mapfile -t COMPREPLY < <(compgen -W "--dry-run --inject -y --yes --only --jobs --help" -- "$cur") ;;
        describe)
                if [[ $cur == -* ]]; then
                        mapfile -t COMPREPLY < <(compgen -W "--help" -- "$cur")
                elif ((COMP_CWORD == cmd_index + 1)); then
                        mapfile -t COMPREPLY < <(compgen -W "$(_xhafw_steps) $(_xhafw_plugins)" -- "$cur")
                        # A step named after its plugin appears once.
                        mapfile -t COMPREPLY < <(printf '%s\n' "${COMPREPLY[@]}" | sort -u)
                        [ -n "${COMPREPLY[0]}" ] || COMPREPLY=()
                fi ;;
        status|list-plugins|validate)
                mapfile -t COMPREPLY < <(compgen -W "--help" -- "$cur") ;;
        preflight)
                mapfile -t COMPREPLY < <(compgen -W "--peer --nagios --prometheus --help" -- "$cur") ;;
        history)
                if [[ $cur == -* ]]; then
                        mapfile -t COMPREPLY < <(compgen -W "--since --svg --help" -- "$cur")
                else
                        mapfile -t COMPREPLY < <(compgen -W "$(_xhafw_runs)" -- "$cur")
                fi ;;
        esac
        return 0
}
complete -F _xhafw xhafw
