#!/bin/bash
# Fault matrix, reduced to the test plugin: for every step S of a small graph and each fault (apply
# or revert fails, hangs past its timeout, crashes, lies; xhafw killed while S runs; the machine
# "reboots" while S runs), in both directions, the node must converge: fully active, fully back as
# it was (rollback), or, after a kill, `status` reports the interrupted run and the next run
# converges. Prints a table, the number of cases, how many converged and the longest time to
# converge. (The full matrix, over the default conf.d with the real plugins, is fault-matrix.sh.)
source "$(dirname "$0")/lib.sh"

steps=(s1 s2 s3 s4)
faults=(fail hang crash lie kill reboot)
run=$T/run         # the steps' markers: runtime state, lost by a "reboot" (like a VIP or a mount)
fault=$T/fault     # the faults apply only while this file exists

# The graph: s1; s2 and s3 after s1 (in parallel); s4 after both.
write_conf() { # write_conf DIRECTION STEP MODE
        local dir=$1 step=$2 mode=$3 s
        xh_config "grace = 500ms" "jobs = 4"
        rm -f "$T"/conf.d/*.conf
        for s in "${steps[@]}"; do
                {
                        echo "[$s]"
                        echo "plugin = fake"
                        echo "target = $run/$s"
                        echo "timeout = 1s"
                        case $s in
                        s2|s3) echo "after = s1" ;;
                        s4) echo "after = s2, s3" ;;
                        esac
                        if [ "$s" = "$step" ]; then
                                echo "trigger = $fault"
                                echo "${dir}_mode = $mode"
                        fi
                } > "$T/conf.d/10-$s.conf"
        done
}

markers() { # the active steps, in order, space-separated
        local s out=()
        for s in "${steps[@]}"; do [ -e "$run/$s" ] && out+=("$s"); done
        echo "${out[*]:-}"
}

all="${steps[*]}"
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Processes of this test's xhafw runs still alive (the action children of a killed core must die with it).
survivors() { pgrep -f -- "--config $T/xhafw.conf" || true; }

# wait_journal EVENT STEP: until the journal says STEP started (at most 5 s).
wait_journal() {
        local i
        for ((i = 0; i < 100; i++)); do
                grep -q "\"event\":\"$1\",\"step\":\"$2\"" "$T/state/journal" 2>/dev/null && return 0
                sleep 0.05
        done
        return 1
}

# run_case DIRECTION STEP FAULT: prints "OUTCOME MS" (OUTCOME is what the node did; FAILED: it did not converge).
run_case() {
        local dir=$1 step=$2 f=$3 mode verb start rc=0 pid got want why=
        verb=$([ "$dir" = apply ] && echo activate || echo deactivate)
        mode=$f
        case $f in kill|reboot) mode=hang ;; esac
        rm -rf "$T/state" "$run" "$fault"
        mkdir -p "$run"
        write_conf "$dir" "$step" "$mode"
        # Start from the other end: inactive for activate, active for deactivate.
        if [ "$dir" = revert ]; then
                xh activate --yes > "$T/setup.out" 2>&1 || { echo "FAILED(setup) 0"; return; }
        fi
        touch "$fault"
        start=$(now_ms)
        case $f in
        kill|reboot)
                # xhafw itself, not a subshell running xh: the kill must hit the core
                "$XHAFW" --config "$T/xhafw.conf" "$verb" --yes > "$T/run.out" 2>&1 &
                pid=$!
                if ! wait_journal "step-$dir" "$step"; then
                        kill -KILL "$pid" 2> /dev/null || true
                        wait "$pid" 2> /dev/null || true
                        echo "FAILED(S-never-ran) 0"
                        return
                fi
                kill -KILL "$pid"
                wait "$pid" 2> /dev/null || rc=$?
                sleep 0.1
                [ -z "$(survivors)" ] || why="an action outlived the killed core"
                # A reboot loses everything that is not on disk: the steps' runtime state.
                [ "$f" = reboot ] && rm -rf "$run" && mkdir -p "$run"
                rm -f "$fault"
                xh status > "$T/status.out" 2>&1 || true
                grep -q "interrupted" "$T/status.out" || why="${why:+$why; }status does not report the interrupted run"
                rc=0
                xh "$verb" --yes > "$T/again.out" 2>&1 || rc=$?
                want=$([ "$dir" = apply ] && echo "$all" || echo "")
                got=$(markers)
                [ "$rc" = 0 ] && [ "$got" = "$want" ] || why="${why:+$why; }the next $verb exited $rc with '$got' active"
                grep -q "interrupted" "$T/status.out" && xh status > "$T/status2.out" 2>&1 || true
                grep -q "interrupted" "$T/status2.out" 2> /dev/null && why="${why:+$why; }still reported interrupted after converging"
                outcome=interrupted
                ;;
        *)
                xh "$verb" --yes > "$T/run.out" 2>&1 || rc=$?
                rm -f "$fault"
                [ -z "$(survivors)" ] || why="an action survived the run"
                [ "$rc" = 1 ] || why="$verb exited $rc, expected 1"
                got=$(markers)
                if [ "$dir" = apply ]; then
                        # rolled back: as it was before, nothing active
                        [ -z "$got" ] || why="${why:+$why; }not rolled back: '$got' active"
                        outcome=rolled-back
                else
                        # the failed step and the steps it is after stay active, reported; the next run converges
                        grep -q "still active\|left active" "$T/run.out" || why="${why:+$why; }no report of what is still active"
                        rc=0
                        xh deactivate --yes > "$T/again.out" 2>&1 || rc=$?
                        [ "$rc" = 0 ] && [ -z "$(markers)" ] || why="${why:+$why; }the next deactivate exited $rc with '$(markers)' active"
                        outcome=partial
                fi
                ;;
        esac
        if [ -n "$why" ]; then
                echo "$why" > "$T/why-$dir-$step-$f"
                outcome=FAILED
        fi
        echo "$outcome $(($(now_ms) - start))"
}

cases=0 converged=0 longest=0 longest_case=
printf '%-10s %-4s' direction step
for f in "${faults[@]}"; do printf ' %-18s' "$f"; done
echo
for dir in apply revert; do
        for step in "${steps[@]}"; do
                printf '%-10s %-4s' "$([ "$dir" = apply ] && echo activate || echo deactivate)" "$step"
                for f in "${faults[@]}"; do
                        read -r outcome ms < <(run_case "$dir" "$step" "$f")
                        cases=$((cases + 1))
                        [ "$outcome" = FAILED ] || converged=$((converged + 1))
                        if [ "$ms" -gt "$longest" ]; then longest=$ms longest_case="$dir $step $f"; fi
                        printf ' %-18s' "$outcome ${ms}ms"
                done
                echo
        done
done
for w in "$T"/why-*; do
        [ -e "$w" ] || continue
        echo "FAILED ${w##*/why-}: $(cat "$w")"
done
echo "cases run: $cases, converged: $converged, longest time to converge: ${longest}ms ($longest_case)"
[ "$converged" = "$cases" ] || fail "$((cases - converged)) cases did not converge"
pass "every case converged"
