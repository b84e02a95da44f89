#!/bin/bash
# Crash-safe file edits: xhafw_file_replace failing (XHAFW_FAULT=<stage>) or killed by SIGKILL
# (XHAFW_FAULT=kill:<stage>) at each stage of its write. The file must always hold the whole old or
# the whole new content, with its mode and owner, never a truncated or mixed one, also for a reader
# that reads it all the time; a failed write leaves no temporary file, a killed one's is removed by
# the next run, and the next run converges.
source "$(dirname "$0")/lib.sh"
need_root # the file belongs to another user, as pg_hba.conf belongs to postgres

stages=(after-write before-fsync before-rename before-dirsync)
data=$T/data
file=$data/file.conf
old=$T/old
new=$T/new
mkdir -p "$data"

# The old content is large (256 KiB, so a partial write would show); the new one is one INI value.
for ((i = 0; i < 4096; i++)); do printf 'old line %05d: %s\n' "$i" "the content before the edit, kept whole"; done > "$old"
new_text="new content $(printf 'x%.0s' {1..700}) end"
printf '%s' "$new_text" > "$new"

xh_config "grace = 1s"
cat > "$T/conf.d/10-edit.conf" <<EOF
[edit]
plugin = fake
target = $T/marker
file = $file
content = $new_text
EOF

# Put the old content back atomically too: the reader below must not see this test's own writes torn.
reset_file() {
        cp "$old" "$data/reset"
        chown 1234:5678 "$data/reset"
        chmod 0640 "$data/reset"
        mv -f "$data/reset" "$file"
        rm -f "$T/marker"
}

# assert_whole WHEN [old|new|either]: the file is the whole old or new content, mode and owner kept.
assert_whole() {
        local when=$1 want=${2:-either} got
        if cmp -s "$file" "$old"; then
                got=old
        elif cmp -s "$file" "$new"; then
                got=new
        else
                fail "$when: $file is neither the old nor the new content ($(stat -c %s "$file") bytes)"
        fi
        [ "$want" = either ] || [ "$want" = "$got" ] || fail "$when: $file has the $got content, expected the $want one"
        [ "$(stat -c '%a %u %g' "$file")" = "640 1234 5678" ] ||
                fail "$when: $file is $(stat -c '%a %u:%g' "$file"), expected 640 1234:5678"
}

temps() { find "$data" -maxdepth 1 -name '.file.conf.xhafw-*' | wc -l; }

# A reader that never stops looking while the runs below write: no read may see anything but the
# whole old or the whole new content. rename() makes the switch atomic for it.
reader() {
        local n=0 snap=$T/snap
        while [ ! -e "$T/stop-reader" ] && [ "$n" -lt 200000 ]; do
                if cat "$file" > "$snap" 2>/dev/null && ! cmp -s "$snap" "$old" && ! cmp -s "$snap" "$new"; then
                        cp "$snap" "$T/torn-read"
                        break
                fi
                n=$((n + 1))
        done
        echo "$n" > "$T/reads"
}
reset_file
reader &
reader_pid=$!
at_exit "touch '$T/stop-reader'; wait $reader_pid 2>/dev/null"

cases=0
for stage in "${stages[@]}"; do
        # After the rename the new content is in place: a failure then leaves it.
        [ "$stage" = before-dirsync ] && after=new || after=old

        # 1. The write fails at this stage: the step fails, the run rolls back and exits 1.
        reset_file
        XHAFW_FAULT=$stage expect_exit 1 xh activate --yes
        expect_output "XHAFW_FAULT: failing at $stage"
        assert_whole "failure at $stage" "$after"
        [ "$(temps)" = 0 ] || fail "failure at $stage left a temporary file: $(ls -A "$data")"
        [ ! -e "$T/marker" ] || fail "failure at $stage: the step was not rolled back"
        grep -q '"step-failed"' "$T/state/journal" || fail "failure at $stage: the journal has no step-failed"
        # the previous content is kept in the state dir
        cmp -s "$T/state/backup/edit/${file//\//%2F}" "$old" || fail "failure at $stage: no backup of the old content"
        # the next run converges
        expect_exit 0 xh activate --yes
        assert_whole "run after a failure at $stage" new
        pass "failure at $stage: $after content whole, mode and owner kept, no temporary file, next run converges"
        cases=$((cases + 1))

        # 2. The action is killed (SIGKILL) at this stage, as a power cut or the timeout would.
        reset_file
        XHAFW_FAULT=kill:$stage expect_exit 1 xh activate --yes
        assert_whole "kill at $stage" "$after"
        left=$(temps)
        [ ! -e "$T/marker" ] || fail "kill at $stage: the step was not rolled back"
        expect_exit 0 xh activate --yes
        assert_whole "run after a kill at $stage" new
        [ "$(temps)" = 0 ] || fail "the run after a kill at $stage left a temporary file: $(ls -A "$data")"
        pass "kill at $stage: $after content whole, mode and owner kept; $left temporary file(s) left, removed by the next run, which converges"
        cases=$((cases + 1))
done

# 3. Through a symbolic link: the file it names is edited, the link stays a link.
reset_file
mv "$file" "$data/real.conf"
ln -s real.conf "$file"
XHAFW_FAULT=kill:before-rename expect_exit 1 xh activate --yes
[ -L "$file" ] || fail "kill through a symlink: $file is no longer a symbolic link"
cmp -s "$data/real.conf" "$old" || fail "kill through a symlink: the file it names changed"
expect_exit 0 xh activate --yes
[ -L "$file" ] || fail "edit through a symlink: $file is no longer a symbolic link"
cmp -s "$data/real.conf" "$new" || fail "edit through a symlink: the file it names lacks the new content"
[ "$(find "$data" -maxdepth 1 -name '.real.conf.xhafw-*' | wc -l)" = 0 ] || fail "a temporary file is left: $(ls -A "$data")"
pass "kill through a symbolic link: the link stays, the file it names is whole, the next run converges"
cases=$((cases + 1))
rm -f "$file"
mv "$data/real.conf" "$file"

# 4. xhafw itself killed (SIGKILL) at a random moment of a run, as a power cut would: its action
# dies with it (PR_SET_PDEATHSIG). The file is whole and the next run converges.
for ((i = 0; i < 20; i++)); do
        reset_file
        delay=$(printf '0.%03d' $((RANDOM % 60)))
        rc=0
        xh activate --yes > "$T/out" 2>&1 &
        pid=$!
        sleep "$delay"
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || rc=$?
        # The action's child gets its death signal and must be gone before the next run.
        for ((w = 0; w < 200; w++)); do
                pgrep -f -- "--config $T/xhafw.conf" > /dev/null || break
                sleep 0.05
        done
        ! pgrep -f -- "--config $T/xhafw.conf" > /dev/null || fail "an action outlived xhafw killed after ${delay}s"
        assert_whole "xhafw killed after ${delay}s (exit $rc)"
        expect_exit 0 xh activate --yes
        assert_whole "run after xhafw was killed after ${delay}s" new
        [ "$(temps)" = 0 ] || fail "the run after xhafw was killed left a temporary file: $(ls -A "$data")"
done
pass "xhafw killed 20 times at random moments: the file always whole, mode and owner kept; every next run converged"
cases=$((cases + 1))

# 5. Many replacements while the reader reads.
for ((i = 0; i < 50; i++)); do
        reset_file
        expect_exit 0 xh activate --yes
        assert_whole "replacement $i" new
done
pass "50 replacements under a concurrent reader"
cases=$((cases + 1))

touch "$T/stop-reader"
wait "$reader_pid" || true
[ ! -e "$T/torn-read" ] || fail "a reader saw a torn file ($(stat -c %s "$T/torn-read") bytes)"
pass "a concurrent reader saw only whole contents in $(cat "$T/reads") reads"
echo "$cases cases passed, 0 failed"
