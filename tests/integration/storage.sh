#!/bin/bash
# storage plugin against real mounts: binds, busy paths, foreign mounts, symlinks and bad input,
# all inside one private mount namespace so that nothing reaches the host's mount table.

# Re-run the whole script in its own mount namespace; every mount it makes vanishes with it.
if [ -z "${XHAFW_TEST_MOUNT_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
        command -v unshare >/dev/null 2>&1 || { echo "SKIP: needs unshare (package util-linux)"; exit 77; }
        unshare -m --propagation private true 2>/dev/null || { echo "SKIP: cannot create a mount namespace"; exit 77; }
        XHAFW_TEST_MOUNT_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

source "$(dirname "$0")/lib.sh"
need_root
need_cmd mount mount

# Every mount below $T, deepest first: what at_exit and the checks look at.
mounts_under_t() { awk -v t="$T" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r; }
unmount_all() { local m; for m in $(mounts_under_t); do umount "$m" 2>/dev/null || true; done; }
at_exit unmount_all

# The shared "disk" is a directory, bind-mounted at $T/shared; each local path P is served from
# $T/shared + P, so the disk holds $T/disk + P.
LOCAL=$T/local
PATHS=("$LOCAL/install" "$LOCAL/etc/xcat" "$LOCAL/root/.xcat" "$LOCAL/var/lib/pgsql" "$LOCAL/tftpboot")
mkdir -p "$T/disk"
for p in "${PATHS[@]}"; do
        mkdir -p "$T/disk$p" "$p"
        echo "shared ${p##*/}" > "$T/disk$p/from-shared"
        echo "local ${p##*/}" > "$p/from-local"
done
paths_list=$(IFS=,; echo "${PATHS[*]}")

# storage_conf [KEY=VALUE...]: the storage step with the shared disk, plus or overriding keys.
storage_conf() {
        local -A kv=([device]="$T/disk" [options]=bind [mountpoint]="$T/shared" [paths]="$paths_list")
        local a k
        for a in "$@"; do kv[${a%%=*}]=${a#*=}; done
        {
                echo "[storage]"
                for k in "${!kv[@]}"; do [ -n "${kv[$k]}" ] && echo "$k = ${kv[$k]}"; done
        } > "$T/conf.d/10-storage.conf"
}

# A fingerprint of the local side: names, types and contents, not following the binds.
local_snapshot() {
        find "$LOCAL" -xdev -printf '%y %p %l\n' | sort
        find "$LOCAL" -xdev -type f -print0 | sort -z | xargs -0r sha256sum
}

xh_config
storage_conf

# ---- bind: apply, check, idempotence, revert ----
before=$(local_snapshot)
expect_exit 0 xh validate
expect_exit 3 xh status

expect_exit 0 xh activate --dry-run
expect_output "would bind $T/shared$LOCAL/install on $LOCAL/install"
[ -z "$(mounts_under_t)" ] || fail "dry-run mounted: $(mounts_under_t)"
[ "$(local_snapshot)" = "$before" ] || fail "dry-run changed the local directories"
pass "dry-run prints the mounts and changes nothing"

expect_exit 0 xh activate --yes
for p in "${PATHS[@]}"; do
        [ "$(cat "$p/from-shared")" = "shared ${p##*/}" ] || fail "$p does not show the shared disk"
        [ ! -e "$p/from-local" ] || fail "$p still shows the local directory"
done
[ "$(mounts_under_t | wc -l)" = $((${#PATHS[@]} + 1)) ] || fail "expected $((${#PATHS[@]} + 1)) mounts: $(mounts_under_t)"
pass "activate binds every path from the shared disk"

expect_exit 0 xh status
expect_output "ACTIVE"
pass "status ACTIVE after activate"

expect_exit 0 xh activate --yes
[ "$(mounts_under_t | wc -l)" = $((${#PATHS[@]} + 1)) ] || fail "second activate changed the mounts: $(mounts_under_t)"
pass "activate again changes nothing"

expect_exit 0 xh deactivate --dry-run
expect_output "would unmount $LOCAL/install"
[ "$(mounts_under_t | wc -l)" = $((${#PATHS[@]} + 1)) ] || fail "dry-run unmounted something"
pass "deactivate --dry-run prints the unmounts and changes nothing"

expect_exit 0 xh deactivate --yes
[ -z "$(mounts_under_t)" ] || fail "left mounted: $(mounts_under_t)"
[ "$(local_snapshot)" = "$before" ] || fail "the local directories changed"
expect_exit 3 xh status
expect_exit 0 xh deactivate --yes
pass "deactivate unmounts everything, local content untouched, again is a no-op"

# ---- a missing local path is created by apply and removed by revert ----
rmdir "$LOCAL/tftpboot/from-local" 2>/dev/null || rm -f "$LOCAL/tftpboot/from-local"
rmdir "$LOCAL/tftpboot"
expect_exit 0 xh activate --yes
[ -f "$LOCAL/tftpboot/from-shared" ] || fail "the missing $LOCAL/tftpboot was not created and bound"
expect_exit 0 xh deactivate --yes
[ ! -e "$LOCAL/tftpboot" ] || fail "$LOCAL/tftpboot, created by apply, was not removed by revert"
mkdir "$LOCAL/tftpboot"
echo "local tftpboot" > "$LOCAL/tftpboot/from-local"
before=$(local_snapshot)
pass "revert removes the directory that apply created, and only that"

# ---- a busy path: revert fails naming the holder; kill_holders ends it ----
expect_exit 0 xh activate --yes
bash -c 'cd "$1" && exec sleep 300' holder "$LOCAL/etc/xcat" &
holder=$!
at_exit "kill $holder 2>/dev/null"
for _ in $(seq 50); do [ "$(readlink /proc/$holder/cwd)" = "$LOCAL/etc/xcat" ] && break; sleep 0.1; done
expect_exit 1 xh deactivate --yes
expect_output "pid $holder \(sleep"
grep -q " $LOCAL/etc/xcat " /proc/self/mountinfo || fail "the busy path was unmounted"
grep -q " $T/shared " /proc/self/mountinfo || fail "the shared disk was unmounted under a busy path"
kill -0 "$holder" || fail "the holder was killed without kill_holders"
expect_exit 4 xh status
pass "a busy path fails revert, names pid $holder and its command, keeps the shared disk"

storage_conf kill_holders=yes
expect_exit 0 xh deactivate --yes
wait "$holder" 2>/dev/null || true
! kill -0 "$holder" 2>/dev/null || fail "the holder $holder survived kill_holders"
[ -z "$(mounts_under_t)" ] || fail "left mounted: $(mounts_under_t)"
[ "$(local_snapshot)" = "$before" ] || fail "the local directories changed"
expect_exit 3 xh status
pass "kill_holders = yes ends the holder and unmounts everything"
storage_conf

# ---- a foreign filesystem on one path: refused, nothing half-mounted ----
mount -t tmpfs -o size=1m xhafw-foreign "$LOCAL/var/lib/pgsql"
expect_exit 3 xh status
expect_output "tmpfs"
rc=0; xh activate --yes > "$T/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || { cat "$T/out" >&2; fail "activate over a foreign tmpfs exited $rc, expected 1"; }
expect_output "$LOCAL/var/lib/pgsql.*tmpfs"
[ "$(mounts_under_t)" = "$LOCAL/var/lib/pgsql" ] || fail "half-mounted after a refusal: $(mounts_under_t)"
umount "$LOCAL/var/lib/pgsql"
[ "$(local_snapshot)" = "$before" ] || fail "the local directories changed"
pass "a foreign tmpfs on a path: activate refuses, nothing is left mounted"

# ---- link = symlink: local data moved aside and restored byte for byte ----
head -c 65536 /dev/urandom > "$LOCAL/install/binary"
mkdir -p "$LOCAL/install/sub dir"
echo "spaces and all" > "$LOCAL/install/sub dir/file"
ln -s from-local "$LOCAL/install/a-link"
before=$(local_snapshot)
storage_conf link=symlink
expect_exit 0 xh activate --yes
for p in "${PATHS[@]}"; do
        [ "$(readlink "$p")" = "$T/shared$p" ] || fail "$p is not a link to $T/shared$p"
        [ -d "$p.xhafw-local" ] || fail "$p.xhafw-local missing"
        [ "$(cat "$p/from-shared")" = "shared ${p##*/}" ] || fail "$p does not show the shared disk"
done
expect_exit 0 xh status
expect_exit 0 xh deactivate --yes
[ "$(local_snapshot)" = "$before" ] || fail "the local directories are not restored byte for byte"
[ -z "$(mounts_under_t)" ] || fail "left mounted: $(mounts_under_t)"
ls -d "$LOCAL"/*.xhafw-local "$LOCAL"/*/*.xhafw-local 2>/dev/null && fail "a .xhafw-local directory is left"
pass "link = symlink moves local data aside and restores it byte-identical"
storage_conf

# ---- a block device (a loop device with ext4), its type found by libmount ----
loopdev=
if command -v losetup >/dev/null 2>&1 && command -v mkfs.ext4 >/dev/null 2>&1 && [ -e /dev/loop-control ]; then
        truncate -s 16M "$T/disk.img"
        mkfs.ext4 -q -F "$T/disk.img"
        loopdev=$(losetup -f --show "$T/disk.img" 2>/dev/null) || loopdev=
fi
if [ -n "$loopdev" ]; then
        at_exit "losetup -d $loopdev"
        mkdir -p "$T/fill"
        mount "$loopdev" "$T/fill"
        for p in "${PATHS[@]}"; do mkdir -p "$T/fill$p"; echo "on ext4" > "$T/fill$p/from-ext4"; done
        umount "$T/fill"
        storage_conf device="$loopdev" options=
        expect_exit 0 xh activate --yes
        [ "$(cat "$LOCAL/etc/xcat/from-ext4")" = "on ext4" ] || fail "$LOCAL/etc/xcat is not served from $loopdev"
        expect_exit 0 xh status
        expect_exit 0 xh deactivate --yes
        [ -z "$(mounts_under_t)" ] || fail "left mounted: $(mounts_under_t)"
        [ "$(local_snapshot)" = "$before" ] || fail "the local directories changed"
        storage_conf
        pass "a block device is mounted (type auto), served and unmounted"
else
        echo "# skipped the block device case: no loop device"
fi

# ---- a dead server: a FUSE filesystem whose daemon is stopped stands in for a dead NFS server ----
if command -v bindfs >/dev/null 2>&1 && [ -c /dev/fuse ]; then
        mkdir -p "$T/server$LOCAL/install" "$T/srv"
        # no attribute or entry caching: every lookup reaches the (stopped) daemon
        bindfs -f -o attr_timeout=0,entry_timeout=0 "$T/server" "$T/srv" &
        fusepid=$!
        at_exit "kill -CONT $fusepid 2>/dev/null; umount $T/srv 2>/dev/null; kill $fusepid 2>/dev/null"
        for _ in $(seq 50); do grep -q " $T/srv " /proc/self/mountinfo && break; sleep 0.1; done
        grep -q " $T/srv " /proc/self/mountinfo || fail "bindfs did not mount $T/srv"
        echo "local install" > "$LOCAL/install/from-local"
        storage_conf device= options= mountpoint="$T/srv" paths="$LOCAL/install"
        expect_exit 0 xh activate --yes
        kill -STOP "$fusepid"
        t0=$(date +%s%N)
        expect_exit 0 timeout 20 "$XHAFW" --config "$T/xhafw.conf" status
        [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 2000 ] || fail "status took over 2 s with a dead server"
        pass "status answers at once while the shared filesystem's server is dead"
        expect_exit 0 timeout 20 "$XHAFW" --config "$T/xhafw.conf" deactivate --yes
        grep -q " $LOCAL/install " /proc/self/mountinfo && fail "$LOCAL/install still mounted"
        pass "deactivate unmounts the binds while the server is dead"
        t0=$(date +%s%N)
        expect_exit 1 timeout 30 "$XHAFW" --config "$T/xhafw.conf" activate --yes
        expect_output "does not answer within"
        [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 15000 ] || fail "activate took over 15 s with a dead server"
        grep -q " $LOCAL/install " /proc/self/mountinfo && fail "$LOCAL/install mounted from a dead server"
        pass "activate against a dead server fails in bounded time and binds nothing"
        kill -CONT "$fusepid"
        umount "$T/srv"
        wait "$fusepid" 2>/dev/null || true
        storage_conf
        [ "$(cat "$LOCAL/install/from-local")" = "local install" ] || fail "local data lost"
else
        echo "# skipped the dead-server case: needs bindfs (package bindfs) and /dev/fuse"
fi

# ---- bad input: exit 2, nothing changed ----
bad() {
        local what=$1
        shift
        storage_conf "$@"
        expect_exit 2 xh validate
        expect_exit 2 xh activate --yes
        [ -z "$(mounts_under_t)" ] || fail "$what: mounted $(mounts_under_t)"
        [ "$(local_snapshot)" = "$before" ] || fail "$what: the local directories changed"
        [ ! -e "$T/shared" ] || [ -f "$T/shared" ] || fail "$what: $T/shared was created"
        pass "bad input refused with exit 2, nothing changed: $what"
}
bad "a relative path" paths="$LOCAL/install,relative/dir"
bad "a path with .." paths="$LOCAL/install/../etc"
bad "an unknown link mode" link=hardlink
bad "a path inside the mount point" paths="$T/shared/x"

# ---- what is missing or wrong on this node is not a configuration error: giving the role up
# must always work (under Pacemaker a failed stop fences the node); only activate fails, clearly ----
unready() {
        local what=$1 want=$2
        shift 2
        storage_conf "$@"
        expect_exit 0 xh validate
        expect_exit 3 xh status
        expect_exit 0 xh deactivate --yes
        expect_exit 0 xh deactivate --dry-run
        expect_exit 1 xh activate --yes
        expect_output "$want"
        expect_output "rolled back"
        [ -z "$(mounts_under_t)" ] || fail "$what: mounted $(mounts_under_t)"
        [ "$(local_snapshot)" = "$before" ] || fail "$what: the local directories changed"
        [ ! -e "$T/shared" ] || [ -f "$T/shared" ] || fail "$what: $T/shared was created"
        pass "$what: validate passes, status INACTIVE, deactivate works, activate fails naming it, nothing changed"
}
unready "a missing device" "device $T/no-such-disk does not exist on this node" device="$T/no-such-disk"
expect_exit 3 xh -v status
expect_output "device $T/no-such-disk does not exist on this node: the shared filesystem is not mounted on $T/shared"
unready "a device that is a directory without bind" "device $T/disk is a directory: add bind to options" options=
touch "$T/disk.file"
unready "a bind device that is a file" "device $T/disk.file: options has bind, but it is not a directory" \
        device="$T/disk.file"
rm -f "$T/disk.file"
touch "$T/shared"
unready "a mount point that is a file" "mountpoint $T/shared exists and is not a directory"
rm -f "$T/shared"

# ---- the device vanishes while mounted (a lost SAN path, a removed device node): the mount table
# is trusted, so the node is still ACTIVE and deactivate unmounts it ----
if [ -n "$loopdev" ]; then
        # A node of the loop device on a tmpfs of this namespace stands in for /dev/mapper/xcatdata.
        mkdir -p "$T/devs"
        mount -t tmpfs -o size=1m,mode=0755 xhafw-devs "$T/devs"
        read -r major minor < <(stat -c '%Hr %Lr' "$loopdev")
        mknod "$T/devs/xcatdata" b "$major" "$minor"
        storage_conf device="$T/devs/xcatdata" options=
        expect_exit 0 xh activate --yes
        [ "$(cat "$LOCAL/etc/xcat/from-ext4")" = "on ext4" ] || fail "$LOCAL/etc/xcat is not served from $T/devs/xcatdata"
        rm "$T/devs/xcatdata"
        expect_exit 0 xh validate
        expect_exit 0 xh status
        expect_exit 0 xh deactivate --yes
        grep -q " $T/shared " /proc/self/mountinfo && fail "the shared disk is still mounted after its device vanished"
        umount "$T/devs"
        [ -z "$(mounts_under_t)" ] || fail "left mounted: $(mounts_under_t)"
        [ "$(local_snapshot)" = "$before" ] || fail "the local directories changed"
        expect_exit 3 xh status
        storage_conf
        pass "the device vanished while mounted: status ACTIVE from the mount table, deactivate unmounts everything"
else
        echo "# skipped the vanished device case: no loop device"
fi

storage_conf
expect_exit 0 xh describe storage
expect_output "$LOCAL/install"
expect_output "bind"
pass "describe names the device, the mount point and each path with its link mode"

# A bind device (a directory of a cluster filesystem) renamed away while mounted: the mount
# table still has it on the mountpoint, so status is ACTIVE and deactivate unmounts it, never
# "not mounted, nothing to unmount" with the filesystem left in place.
before=$(local_snapshot)
storage_conf
expect_exit 0 xh activate --yes
mv "$T/disk" "$T/disk.gone"
at_exit "[ -d '$T/disk.gone' ] && mv '$T/disk.gone' '$T/disk' || true"
expect_exit 0 xh status
expect_exit 0 xh deactivate --yes
[ -z "$(mounts_under_t)" ] || fail "the renamed bind device is still mounted: $(mounts_under_t)"
expect_exit 3 xh status
mv "$T/disk.gone" "$T/disk"
[ "$(local_snapshot)" = "$before" ] || fail "the local directories changed"
pass "a bind device renamed while mounted: status ACTIVE, deactivate unmounts it"
