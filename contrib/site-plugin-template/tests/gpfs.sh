#!/bin/bash
# Tests of the storage-gpfs plugin through the installed xhafw, with stand-in mm* commands, in a
# private mount namespace. Needs root. Environment (meson test sets it): XHAFW (the xhafw
# binary), PLUGIN_DIR (where the built plugin is), PLUGIN_NAME, STANDIN_BIN (the mm* stand-ins).
set -euo pipefail

if [ -z "${GPFS_TEST_MOUNT_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
        unshare -m --propagation private true 2>/dev/null || { echo "SKIP: cannot create a mount namespace"; exit 77; }
        GPFS_TEST_MOUNT_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

: "${XHAFW:?}" "${PLUGIN_DIR:?}" "${PLUGIN_NAME:?}" "${STANDIN_BIN:?}"
T=$(mktemp -d /tmp/storage-gpfs-test.XXXXXX)
chmod 0700 "$T"
cleanup() {
        local rc=$? m
        for m in $(awk -v t="$T" 'index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
                umount "$m" || true
        done
        rm -rf "$T"
        exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }
# run CODE ARGS...: xhafw ARGS must exit CODE; its output is in $T/out
run() {
        local want=$1 rc=0
        shift
        "$XHAFW" --config "$T/xhafw.conf" "$@" > "$T/out" 2>&1 || rc=$?
        [ "$rc" = "$want" ] || { cat "$T/out" >&2; fail "xhafw $* exited $rc, expected $want"; }
}
mounts() { awk -v t="$T" 'index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | sort; }

export GPFS_STANDIN=$T/gpfs-standin
mkdir -p "$GPFS_STANDIN/xcatfs.disk" "$T/conf.d" "$T/local/install" "$T/local/etc/xcat"
echo "$T/gpfs/xcatfs" > "$GPFS_STANDIN/xcatfs.mountpoint"
for p in "$T/local/install" "$T/local/etc/xcat"; do
        mkdir -p "$GPFS_STANDIN/xcatfs.disk$p"
        echo "on gpfs" > "$GPFS_STANDIN/xcatfs.disk$p/file"
done

cat > "$T/xhafw.conf" <<EOF
[xhafw]
conf_d = $T/conf.d
plugin_path = $PLUGIN_DIR
state_dir = $T/state
path = $STANDIN_BIN:/usr/sbin:/usr/bin:/sbin:/bin
pass_env = GPFS_STANDIN
timeout = 30s
EOF
# The way a site switches its storage step: plugin = storage-gpfs in its own conf.d file (or a
# plugin named storage, which needs no plugin line).
cat > "$T/conf.d/10-storage.conf" <<EOF
[storage]
plugin = $PLUGIN_NAME
device = xcatfs
mountpoint = $T/gpfs/xcatfs
paths = $T/local/install, $T/local/etc/xcat
EOF

run 0 list-plugins
grep -q "$PLUGIN_NAME" "$T/out" || { cat "$T/out"; fail "list-plugins does not show $PLUGIN_NAME"; }
pass "list-plugins shows $PLUGIN_NAME"

run 0 validate
run 3 status
run 0 activate --dry-run
[ -z "$(mounts)" ] || fail "dry-run mounted $(mounts)"
grep -q "^mmmount" "$GPFS_STANDIN/calls" && fail "dry-run ran mmmount"
pass "dry-run changes nothing"

run 0 activate --yes
grep -q "^mmmount xcatfs" "$GPFS_STANDIN/calls" || fail "activate did not run mmmount"
[ "$(cat "$T/local/install/file")" = "on gpfs" ] || fail "$T/local/install is not bound from GPFS"
[ "$(cat "$T/local/etc/xcat/file")" = "on gpfs" ] || fail "$T/local/etc/xcat is not bound from GPFS"
run 0 status
pass "activate mounts GPFS with mmmount and binds the paths"

run 0 activate --yes
[ "$(grep -c "^mmmount" "$GPFS_STANDIN/calls")" = 1 ] || fail "second activate ran mmmount again"
run 0 deactivate --yes
grep -q "^mmumount xcatfs" "$GPFS_STANDIN/calls" || fail "deactivate did not run mmumount"
[ -z "$(mounts)" ] || fail "left mounted: $(mounts)"
run 3 status
pass "deactivate unbinds and unmounts GPFS, which this step mounted"

# GPFS mounted by its own daemons beforehand: left mounted on deactivate
: > "$GPFS_STANDIN/calls"
"$STANDIN_BIN/mmmount" xcatfs
run 0 activate --yes
[ "$(grep -c "^mmmount" "$GPFS_STANDIN/calls")" = 1 ] || fail "activate ran mmmount though GPFS was mounted"
run 0 deactivate --yes
grep -q "^mmumount" "$GPFS_STANDIN/calls" && fail "deactivate unmounted a GPFS it did not mount"
[ "$(mounts)" = "$T/gpfs/xcatfs" ] || fail "expected only GPFS left mounted: $(mounts)"
umount "$T/gpfs/xcatfs"
pass "a GPFS mounted by someone else stays mounted"

# mmmount fails: activate fails and leaves nothing
touch "$GPFS_STANDIN/fail-mmmount"
run 1 activate --yes
[ -z "$(mounts)" ] || fail "left mounted after a failed mmmount: $(mounts)"
rm "$GPFS_STANDIN/fail-mmmount"
pass "a failing mmmount fails activate cleanly"
