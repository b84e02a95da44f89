#!/bin/bash
# Fault matrix over the whole shipped conf.d (full-env.sh: real mounts, VIP, PostgreSQL; fake xCAT):
# for each step, each direction (activate, deactivate) and each fault (the action fails, hangs past
# its timeout, crashes with SIGSEGV, lies; xhafw is SIGKILLed while the step runs; the node
# "reboots" while it runs), the node must end fully active or fully as it was, or, after a kill,
# status must say the run was interrupted and the next run must converge. Prints the table.
#
#   FULL=1     every step; by default a representative subset (see SUBSET below)
#   STEPS=...  FAULTS=... DIRS=...   space-separated, to run a part of the matrix
#
# How each fault is injected, without touching xhafw or the plugins (the same ways a real failure
# would come):
#   steps that run commands (postgres, xcatd, ntp through the service manager; xcat-networks, dns,
#   dhcp, conserver through the xCAT commands; their revert through the service manager, or chdef):
#     fail    the command fails: full-svcman.sh's UNIT.fail-VERB, or XHAFW_FAKE_XCAT_FAIL
#     hang    the command takes 30 s, the step's timeout is set to 2 s in the copied conf.d
#     crash   the command is made slow, and the step's action process (the command's parent, a
#             child of xhafw) gets SIGSEGV while it waits for it
#     lie     the service manager exits 0 without starting (or stopping) the unit
#   xcat-networks: apply and its rollback both run chdef, so a chdef earlier on the path fails,
#   sleeps (30 s, or 3 s to hold) or exits 0 doing nothing at its first call only
#   steps that make system calls themselves, through strace's fault injection on the run:
#     storage mount(2) (apply), umount2(2) (revert); hosts the openat(2) of the hosts file's
#     directory, to fsync it once the new content is renamed into place (strace's -P cannot
#     match rename's second path, and the temporary name is random); vip
#     sendto(2) of the ARP probe (apply); the netlink sendmsg(2) deleting the VIP (revert: strace
#     attached to xhafw once postgres is being stopped, so that the checks before are untouched)
#     fail    the call returns EIO (vip apply: the peer's end of the link goes down: no carrier)
#     hang    the call is delayed 4 s, the step's timeout 1 s (strace lets the killed process go
#             only at the end of the delay)
#     crash   SIGSEGV at the call (storage apply: at the second mount, after the shared
#             filesystem is mounted: a partial apply)
#     lie     storage: umount2 or mount is skipped and returns 0; vip, hosts: n/a (the kernel
#             either adds or removes the address or says why; the hosts file's rename cannot be
#             singled out, see above)
#   every step:
#     kill    the action is held (the command, or the call, delayed 3 s); once the journal says the
#             step started, xhafw gets SIGKILL; the commands it left run to their end; then status
#             must say "interrupted" and the same command, run again, must converge
#     reboot  as kill, but every process of the run (xhafw, its actions, their commands, the
#             database server) gets SIGKILL, and what a reboot loses is lost: mounts, the VIP,
#             running services; the disk (state directory, files, xCAT's tables) stays
source "$(dirname "$0")/full-env.sh"
need_cmd strace strace
need_cmd ps procps

ALL_STEPS=(storage vip hosts postgres xcatd xcat-networks dns dhcp ntp conserver)
ALL_FAULTS=(fail hang crash lie kill reboot)
# The subset CI runs: the two kinds of step that fail most differently (netlink: vip; a real
# server with a guard, a file edit and the service manager: postgres), every fault in both
# directions; FULL=1 runs every step (storage, hosts, xcatd, the xCAT commands... too).
SUBSET=(vip postgres)
if [ -n "${FULL:-}" ]; then read -ra STEPS_RUN <<< "${STEPS:-${ALL_STEPS[*]}}"; else read -ra STEPS_RUN <<< "${STEPS:-${SUBSET[*]}}"; fi
read -ra FAULTS_RUN <<< "${FAULTS:-${ALL_FAULTS[*]}}"
read -ra DIRS_RUN <<< "${DIRS:-activate deactivate}"
HOLD=3          # seconds a held action takes (kill, reboot, crash)

# Matrix tuning, as a site could set it: the database and xcatd are given 4 s to answer.
sed -i "s|^auth_method = trust|&\nready_timeout = 4s|" "$T/conf.d/40-postgres.conf"
set_key 50-xcatd.conf ready_timeout 4s
cp -a "$T/conf.d" "$T/conf.pristine"
fresh_xcat
hosts_orig=$(md5sum < "$T/files/hosts")
cp -p "$T/files/hosts" "$T/hosts.orig"

# ---- the two clean states ----
WHY=
is_standby() {
        local rc=0 u
        xhn status > "$T/st.out" 2>&1 || rc=$?
        [ "$rc" = 3 ] || { WHY="status exits $rc: $(grep -v INACTIVE "$T/st.out" | tr '\n' ' ')"; return 1; }
        postgres_runs && { WHY="postgres runs"; return 1; }
        ip -n "$NS" -br addr show dev veth0 | grep -qF " $VIP/" && { WHY="the VIP is on veth0"; return 1; }
        findmnt -rn -o TARGET | grep -qF "$PGD/" &&
                { WHY="mounted: $(findmnt -rn -o TARGET,FSROOT | grep -F "$PGD/" | tr '\n' ' ')"; return 1; }
        for u in "$T"/svc/*.active; do [ -e "$u" ] && { WHY="${u##*/} running"; return 1; }; done
        [ "$(md5sum < "$T/files/hosts")" = "$hosts_orig" ] || { WHY="the hosts file changed"; return 1; }
        grep -q "^network.$NET.mgtifname=veth0$" "$XHAFW_FAKE_XCAT_STATE" || { WHY="mgtifname not veth0"; return 1; }
        return 0
}
is_active() {
        local rc=0 u
        xhn status > "$T/st.out" 2>&1 || rc=$?
        [ "$rc" = 0 ] || { WHY="status exits $rc: $(grep -v ' ACTIVE' "$T/st.out" | tr '\n' ' ')"; return 1; }
        [ "$(psqlc 'SELECT count(*) FROM t' 2> /dev/null)" = 3 ] || { WHY="no rows through the VIP"; return 1; }
        [ "$(cat "$LOCAL/install/marker" 2> /dev/null)" = shared ] || { WHY="the shared storage is not served"; return 1; }
        grep -qx "$VIP xcatmn1 xcatmn1.cluster.example" "$T/files/hosts" || { WHY="no VIP line in hosts"; return 1; }
        for u in xcatd named dhcpd chronyd conserver; do [ -e "$T/svc/$u.active" ] || { WHY="$u not running"; return 1; }; done
        grep -q "^network.$NET.mgtifname=veth0:0$" "$XHAFW_FAKE_XCAT_STATE" || { WHY="mgtifname not veth0:0"; return 1; }
        return 0
}

# ---- faults ----
reset_faults() {
        rm -f "$T"/svc/*.delay-* "$T"/svc/*.lie-* "$T"/svc/*.fail-* "$T"/inject/*
        unset XHAFW_FAKE_XCAT_FAIL
        grep -v '^fake\.delay\.' "$XHAFW_FAKE_XCAT_STATE" > "$T/fx.tmp" || true
        mv "$T/fx.tmp" "$XHAFW_FAKE_XCAT_STATE"
        rm -rf "$T/conf.d"
        cp -a "$T/conf.pristine" "$T/conf.d"
        ip -n "$NSC" link set veth1 up
}
# step_timeout STEP VALUE: the step's timeout in the copied conf.d.
step_timeout() {
        local f
        f=$(grep -l "^\[$1\]" "$T"/conf.d/*.conf)
        sed -i "/^timeout *=/d" "$f"
        sed -i "s|^\[$1\]|&\ntimeout = $2|" "$f"
}
fx_delay() { echo "fake.delay.$1=$2" >> "$XHAFW_FAKE_XCAT_STATE"; }

unit_of() { case $1 in postgres) echo postgresql ;; dns) echo named ;; dhcp) echo dhcpd ;; ntp) echo chronyd ;; *) echo "$1" ;; esac; }
# The fake xCAT command of a step's apply: the name XHAFW_FAKE_XCAT_FAIL takes, and the delay key.
fxcmd_of() { case $1 in xcat-networks) echo "chdef chdef" ;; dns) echo "makedns makedns-n" ;; dhcp) echo "makedhcp makedhcp-n" ;; conserver) echo "makeconservercf makeconservercf" ;; esac; }

# arm STEP DIR FAULT: sets KIND (svc, fx, sys), STRACE (argv prefix), LATE (strace arguments to
# attach later), PATTERN (the held command's argv, for the crash) and prepares the files.
# Returns 1 when the fault cannot be injected into that step (n/a).
arm() {
        local s=$1 d=$2 f=$3 verb unit sc="" sel=() inj when=""
        KIND="" STRACE=() LATE=() PATTERN=""
        [ "$d" = activate ] && verb=start || verb=stop
        unit=$(unit_of "$s")
        case $s in
        storage) KIND=sys; [ "$d" = activate ] && sc=mount || sc=umount2 ;;
        hosts) KIND=sys; sc=openat; sel=(-P "$T/files") ;;
        vip) KIND=sys; if [ "$d" = activate ]; then sc=sendto; else sc=sendmsg when=2; fi ;;
        postgres | xcatd | ntp) KIND=svc ;;
        xcat-networks) KIND=fx ;;
        dns | dhcp | conserver) if [ "$d" = activate ]; then KIND=fx; else KIND=svc; fi ;;
        esac
        [ "$f" = hang ] && step_timeout "$s" 2s
        case $KIND in
        svc)
                PATTERN="full-svcman.sh .* $verb $unit\$"
                case $f in
                fail) touch "$T/svc/$unit.fail-$verb" ;;
                hang) echo 30 > "$T/svc/$unit.delay-$verb" ;;
                lie) touch "$T/svc/$unit.lie-$verb" ;;
                *) echo "$HOLD" > "$T/svc/$unit.delay-$verb" ;;
                esac ;;
        fx)
                local c
                read -r c key <<< "$(fxcmd_of "$s")"
                PATTERN="fake-xcat/$c( |\$)"
                if [ "$s" = xcat-networks ]; then
                        # apply and its rollback both run chdef: the fault hits the first call only
                        PATTERN="inject/chdef( |\$)"
                        case $f in fail) echo fail ;; hang) echo "sleep 30" ;; lie) echo lie ;; *) echo "sleep $HOLD" ;; esac \
                                > "$T/inject/chdef.once"
                        cat > "$T/inject/chdef" <<EOF
#!/bin/bash
# injected: the first call fails, sleeps or does nothing; the others are the fake's
if [ -e "$T/inject/chdef.once" ]; then
        read -r mode arg < "$T/inject/chdef.once"
        rm -f "$T/inject/chdef.once"
        case \$mode in
        fail) echo "Error: chdef failed (injected)" >&2; exit 1 ;;
        sleep) sleep "\$arg" ;;
        lie) exit 0 ;;
        esac
fi
exec "$FX/chdef" "\$@"
EOF
                        chmod 0755 "$T/inject/chdef"
                        return 0
                fi
                case $f in
                fail) export XHAFW_FAKE_XCAT_FAIL=$c ;;
                hang) fx_delay "$key" 30 ;;
                lie) touch "$T/svc/$unit.lie-$verb" ;;
                *) fx_delay "$key" "$HOLD" ;;
                esac ;;
        sys)
                case $f in
                fail)
                        if [ "$s" = vip ] && [ "$d" = activate ]; then ip -n "$NSC" link set veth1 down; return 0; fi
                        inj=error=EIO ;;
                # Held 4 s past a timeout of 1 s: the engine's SIGTERM and SIGKILL (after the 1 s
                # grace) reach the process at once, but strace reports its end only when the
                # delay is over.
                hang) inj=delay_enter=4s; step_timeout "$s" 1s ;;
                crash) inj=signal=SEGV; [ "$s" = storage ] && [ "$d" = activate ] && when=2 ;;
                lie) [ "$s" = storage ] || return 1; inj=retval=0 ;;
                *) inj=delay_enter=${HOLD}s ;;
                esac
                [ -n "$when" ] && inj=$inj:when=$when
                # -b execve: only xhafw and its actions are traced, not the commands they run nor
                # the daemons those leave behind (the database server would keep strace alive).
                local args=(-f -b execve -qq -o /dev/null "${sel[@]}" -e "trace=$sc" -e "inject=$sc:$inj")
                if [ "$s" = vip ] && [ "$d" = deactivate ]; then
                        LATE=("${args[@]}")
                        echo 1 > "$T/svc/postgresql.delay-stop"
                else
                        STRACE=(strace "${args[@]}")
                fi ;;
        esac
        return 0
}

# ---- running and killing ----
jlines() { if [ -e "$T/state/journal" ]; then wc -l < "$T/state/journal"; else echo 0; fi; }
# wait_event N EVENT STEP: until the journal, after its first N lines, has that event (10 s at most).
wait_event() {
        local i
        for ((i = 0; i < 200; i++)); do
                # json-c writes the keys in the order they were added: time, pid, event, step
                tail -n "+$(($1 + 1))" "$T/state/journal" 2> /dev/null | grep -qF "\"event\":\"$2\",\"step\":\"$3\"" &&
                        return 0
                sleep 0.05
        done
        return 1
}
run_pid() { tail -n "+$(($1 + 1))" "$T/state/journal" | jq -r 'select(.event == "run-start") | .pid' | tail -n 1; }
# tree PID: PID and its descendants.
tree() {
        ps -e -o pid=,ppid= | awk -v root="$1" '
                { kids[$2] = kids[$2] " " $1 }
                END { q[1] = root; n = 1; for (i = 1; i <= n; i++) { print q[i]; m = split(kids[q[i]], k, " "); for (j = 1; j <= m; j++) q[++n] = k[j] } }'
}
# find_action PATTERN XPID: the action process (a child of XPID) whose command matches PATTERN.
find_action() {
        local i p pp
        for ((i = 0; i < 200; i++)); do
                for p in $(pgrep -f -- "$1"); do
                        pp=$(ps -o ppid= -p "$p" | tr -d ' ')
                        [ -n "$pp" ] && [ "$(ps -o ppid= -p "$pp" | tr -d ' ')" = "$2" ] && { echo "$pp"; return 0; }
                done
                sleep 0.05
        done
        return 1
}
wait_gone() {
        local i p alive
        for ((i = 0; i < 600; i++)); do
                alive=0
                # a zombie is gone: only its parent's wait is left
                for p in "$@"; do [ -e "/proc/$p" ] && [ "$(awk '{ print $3 }' "/proc/$p/stat" 2> /dev/null)" != Z ] && alive=1; done
                [ "$alive" = 0 ] && return 0
                sleep 0.1
        done
        return 1
}
# reboot_node RUNPID: every process of the run is stopped, then killed; the database server dies
# (its postmaster.pid stays, stale); mounts, the VIP and running services are gone.
reboot_node() {
        local pids=() p i
        for ((i = 0; i < 3; i++)); do
                for p in $(tree "$1"); do kill -STOP "$p" 2> /dev/null && pids+=("$p"); done
        done
        kill -KILL "${pids[@]}" 2> /dev/null || true
        local pm=""
        [ -s "$SDATA/postmaster.pid" ] && pm=$(head -n 1 "$SDATA/postmaster.pid")
        stop_servers
        wait_gone "${pids[@]}" || true
        # After a real reboot the old postmaster's pid is free; here it must at least be reaped:
        # PostgreSQL refuses to start while the pid in postmaster.pid exists, even as a zombie.
        if [ -n "$pm" ]; then
                for ((i = 0; i < 100; i++)); do [ -e "/proc/$pm" ] || break; sleep 0.1; done
        fi
        for ((i = 0; i < 20; i++)); do
                p=$(findmnt -rn -o TARGET | grep -F "$PGD/" | tail -n 1 || true)
                [ -n "$p" ] || break
                umount -l "$p" || { echo "# cannot unmount $p" >&2; break; }
        done
        ip -n "$NS" addr del "$VIP/24" dev veth0 2> /dev/null || true
        rm -f "$T"/svc/*.active
}

# ---- one case ----
declare -A CELL
NRUN=0 NCONV=0 NFAIL=0 LONGEST=0 LONGEST_CASE=
FAILED=()
# case_run STEP DIR FAULT
case_run() {
        local s=$1 d=$2 f=$3 n rc=0 xp rp ap pids=() t0 t1 out sp="" ms
        local label="$s $d $f"
        NOTINJ=""
        reset_faults
        # The state before: a standby for activate, an active node for deactivate.
        if [ "$d" = activate ]; then
                is_standby || { xhn deactivate --yes > /dev/null 2>&1 || true; is_standby || fail "$label: cannot reach a standby: $WHY"; }
        else
                is_active || { xhn activate --yes > /dev/null 2>&1 || true; is_active || fail "$label: cannot reach an active node: $WHY"; }
        fi
        if ! arm "$s" "$d" "$f"; then CELL[$s,$d,$f]="n/a"; reset_faults; return; fi
        NRUN=$((NRUN + 1))
        n=$(jlines)
        t0=$EPOCHREALTIME
        nsenter --net="/run/netns/$NS" "${STRACE[@]}" "$XHAFW" --config "$T/xhafw.conf" "$d" --yes > "$T/case.out" 2>&1 &
        rp=$!
        if [ ${#LATE[@]} -gt 0 ]; then
                wait_event "$n" step-revert postgres || fail "$label: postgres was never reverted"
                xp=$(run_pid "$n")
                strace "${LATE[@]}" -p "$xp" 2> /dev/null &
                sp=$!
                for ((i = 0; i < 100; i++)); do
                        [ "$(awk '/^TracerPid:/ { print $2 }' "/proc/$xp/status" 2> /dev/null)" = "$sp" ] && break
                        sleep 0.01
                done
        fi
        case $f in
        crash)
                if [ "$KIND" != sys ]; then
                        wait_event "$n" "step-$([ "$d" = activate ] && echo apply || echo revert)" "$s" ||
                                fail "$label: the step never started"
                        xp=$(run_pid "$n")
                        ap=$(find_action "$PATTERN" "$xp") || fail "$label: no action process runs /$PATTERN/"
                        # its commands: what they do after the crash counts (waited for below)
                        mapfile -t pids < <(tree "$ap")
                        kill -SEGV "$ap"
                fi ;;
        kill | reboot)
                wait_event "$n" "step-$([ "$d" = activate ] && echo apply || echo revert)" "$s" ||
                        { kill -KILL "$rp" 2> /dev/null || true; wait "$rp" || true; cat "$T/case.out" >&2; tail -n "+$((n + 1))" "$T/state/journal" >&2; fail "$label: the step never started"; }
                sleep 0.5
                xp=$(run_pid "$n")
                mapfile -t pids < <(tree "$rp")
                if [ "$f" = reboot ]; then
                        reboot_node "$rp"
                elif ! kill -KILL "$xp" 2> /dev/null; then
                        NOTINJ="the run ended before xhafw could be killed"
                fi ;;
        esac
        wait "$rp" || rc=$?
        [ -z "$NOTINJ" ] || { cat "$T/case.out" >&2; fail "$label: $NOTINJ"; }
        [ -z "$sp" ] || { kill "$sp" 2> /dev/null || true; wait "$sp" 2> /dev/null || true; }
        # The commands a killed xhafw left behind finish (a real service manager would finish them).
        # So do those of a crashed action: the engine kills an action's process group only after
        # a timeout, so a command the crashed action was waiting for goes on.
        if [ "$f" = kill ] || [ "$f" = crash ]; then
                wait_gone "${pids[@]}" || fail "$label: processes of the run still run after 60 s"
        fi
        reset_faults
        out=ok
        if [ "$f" = kill ] || [ "$f" = reboot ]; then
                xhn status > "$T/st.out" 2>&1 || true
                grep -q "interrupted" "$T/st.out" || { out="status does not say the run was interrupted"; }
                rc=0
                xhn "$d" --yes > "$T/rerun.out" 2>&1 || rc=$?
                CELL[$s,$d,$f]="rerun"
                if [ "$d" = activate ]; then
                        is_active || out="rerun exit $rc, not active: $WHY"
                elif ! is_standby && [ "$f" = reboot ] && [ "$WHY" = "mgtifname not veth0" ]; then
                        # Rebooted before xcat-networks was reverted: with xcatd down nothing can
                        # read or change the networks table (on a real site it is in the shared
                        # database), so the standby keeps the VIP's label there; the next activate
                        # finds it set and the deactivate after it restores the label's interface.
                        rc=0
                        xhn activate --yes > "$T/rerun.out" 2>&1 || rc=$?
                        xhn deactivate --yes >> "$T/rerun.out" 2>&1 || rc=$?
                        is_standby || out="rerun exit $rc, activate and deactivate after it: not a standby: $WHY"
                        CELL[$s,$d,$f]="rerun+cycle"
                else
                        is_standby || out="rerun exit $rc, not a standby: $WHY"
                fi
        elif [ "$d" = activate ]; then
                case $rc in
                0) is_active || out="exit 0 but not active: $WHY"; CELL[$s,$d,$f]="active" ;;
                1 | 6) is_standby || out="exit $rc but not rolled back: $WHY"; CELL[$s,$d,$f]="rolled-back" ;;
                *) out="exit $rc" ;;
                esac
        else
                case $rc in
                0) is_standby || out="exit 0 but not a standby: $WHY"; CELL[$s,$d,$f]="standby" ;;
                1)
                        # A failed deactivate says what is still active; the next one converges.
                        grep -q "still active\|left active" "$T/case.out" || out="exit 1 without saying what is still active"
                        rc=0
                        xhn deactivate --yes > "$T/rerun.out" 2>&1 || rc=$?
                        is_standby || out="rerun exit $rc, not a standby: $WHY"
                        CELL[$s,$d,$f]="rerun" ;;
                *) out="exit $rc" ;;
                esac
        fi
        t1=$EPOCHREALTIME
        ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
        if [ "$out" = ok ]; then
                NCONV=$((NCONV + 1))
                CELL[$s,$d,$f]="${CELL[$s,$d,$f]} $(awk -v m="$ms" 'BEGIN { printf "%.1fs", m / 1000 }')"
                [ "$ms" -gt "$LONGEST" ] && LONGEST=$ms LONGEST_CASE=$label
                pass "$label: ${CELL[$s,$d,$f]}"
        else
                NFAIL=$((NFAIL + 1))
                FAILED+=("$label: $out")
                CELL[$s,$d,$f]="FAILED"
                echo "not ok - $label: $out" >&2
                sed 's/^/#   /' "$T/case.out" >&2
                [ -e "$T/rerun.out" ] && sed 's/^/#   rerun: /' "$T/rerun.out" >&2
                # Leave a clean standby for the next case, whatever it takes.
                # Leave a standby for the next case, whatever it takes: what xhafw did not undo is
                # undone by hand, as an admin would, so that one failure does not cascade.
                xhn deactivate --yes > /dev/null 2>&1 || xhn deactivate --yes > /dev/null 2>&1 || true
                is_standby || { stop_servers; umount_all; ip -n "$NS" addr del "$VIP/24" dev veth0 2> /dev/null || true
                        rm -f "$T"/svc/*.active; cp -p "$T/hosts.orig" "$T/files/hosts"
                        xhn deactivate --yes > /dev/null 2>&1 || true; }
        fi
        [ -z "${SHOW:-}" ] || sed 's/^/#   /' "$T/case.out"
        rm -f "$T/rerun.out"
}

# ---- the baseline: a full cycle, and the rows the active node must serve ----
expect_exit 0 xhn activate --yes
psqlc "CREATE TABLE t (i int); INSERT INTO t VALUES (1), (2), (3);" > /dev/null || fail "cannot write through the VIP"
is_active || fail "not active after activate: $WHY"
expect_exit 0 xhn deactivate --yes
is_standby || fail "not a standby after deactivate: $WHY"
pass "baseline: activate, rows written through the VIP, deactivate"

start=$EPOCHREALTIME
for d in "${DIRS_RUN[@]}"; do
        for s in "${STEPS_RUN[@]}"; do
                for f in "${FAULTS_RUN[@]}"; do case_run "$s" "$d" "$f"; done
        done
done
total=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')

echo
echo "# fault matrix ($([ -n "${FULL:-}" ] && echo full || echo "subset; FULL=1 for every step")): outcome and time to converge"
printf '# %-14s %-11s' step direction
for f in "${FAULTS_RUN[@]}"; do printf ' %-17s' "$f"; done
echo
for d in "${DIRS_RUN[@]}"; do
        for s in "${STEPS_RUN[@]}"; do
                printf '# %-14s %-11s' "$s" "$d"
                for f in "${FAULTS_RUN[@]}"; do printf ' %-17s' "${CELL[$s,$d,$f]:--}"; done
                echo
        done
done
echo "# rolled-back: the failed activate left the node as it was; active/standby: the run reached its"
echo "# goal anyway; rerun: status said the run was interrupted (kill, reboot) or what is still"
echo "# active (deactivate), and the next run converged; rerun+cycle: as rerun, and xCAT's networks
# table, which a standby cannot reach, was put right by the next activate and deactivate
# (fallback_mgtifname); n/a: not injectable without changing code"
echo "# cases run: $NRUN, converged: $NCONV, longest time to converge: $(awk -v m="$LONGEST" 'BEGIN { printf "%.1f", m / 1000 }') s ($LONGEST_CASE); matrix time: $total s"
for x in "${FAILED[@]}"; do echo "# FAILED: $x"; done
xhn deactivate --yes > /dev/null 2>&1 || true
echo "$NCONV passed, $NFAIL failed"
[ "$NFAIL" = 0 ] && [ "$NCONV" = "$NRUN" ] || fail "$NFAIL of $NRUN cases did not converge"
