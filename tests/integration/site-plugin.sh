#!/bin/bash
# The site-plugin kit: install xhafw to a temporary prefix, build contrib/site-plugin-template
# against it through pkg-config only, and drive the installed xhafw with the resulting plugin
# (list-plugins, activate, deactivate), both as storage-gpfs and as a storage.so that shadows the
# shipped plugin. Mounts happen in a private mount namespace.

if [ -z "${XHAFW_TEST_MOUNT_NS:-}" ]; then
        [ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
        command -v unshare >/dev/null 2>&1 || { echo "SKIP: needs unshare (package util-linux)"; exit 77; }
        unshare -m --propagation private true 2>/dev/null || { echo "SKIP: cannot create a mount namespace"; exit 77; }
        XHAFW_TEST_MOUNT_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

source "$(dirname "$0")/lib.sh"
need_root
need_cmd meson meson
need_cmd ninja ninja-build
need_cmd pkg-config pkgconf
: "${XHAFW_SOURCE_ROOT:?XHAFW_SOURCE_ROOT must name the source tree (meson test sets it)}"
TEMPLATE=$XHAFW_SOURCE_ROOT/contrib/site-plugin-template

mounts_under_t() { awk -v t="$T" 'index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r; }
unmount_all() { local m; for m in $(mounts_under_t); do umount "$m" 2>/dev/null || true; done; }
at_exit unmount_all

# ---- xhafw installed to a prefix of its own, as a package would ----
PREFIX=$T/prefix
meson setup "$T/xhafw-build" "$XHAFW_SOURCE_ROOT" --prefix="$PREFIX" --libdir=lib -Dtests=false \
        > "$T/setup.log" 2>&1 || { cat "$T/setup.log"; fail "meson setup of xhafw failed"; }
meson install -C "$T/xhafw-build" > "$T/install.log" 2>&1 || { cat "$T/install.log"; fail "meson install of xhafw failed"; }
XH=$PREFIX/sbin/xhafw
[ -x "$XH" ] || fail "no $XH after install"
[ -f "$PREFIX/include/xhafw/plugin.h" ] || fail "plugin.h not installed"
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
[ "$(pkg-config --variable=siteplugindir xhafw)" = "$PREFIX/etc/xhafw/plugins" ] ||
        fail "pkg-config xhafw: siteplugindir is $(pkg-config --variable=siteplugindir xhafw)"
[ "$(pkg-config --variable=plugindir xhafw)" = "$PREFIX/lib/xhafw/plugins" ] ||
        fail "pkg-config xhafw: plugindir is $(pkg-config --variable=plugindir xhafw)"
[ -f "$PREFIX/lib/xhafw/plugins/storage.so" ] || fail "the shipped storage plugin is not installed"
pass "xhafw installs with its header and pkg-config file"

# ---- the template, built out of tree and installed into the site plugin directory ----
build_template() { # NAME
        local b=$T/template-$1
        meson setup "$b" "$TEMPLATE" -Dplugin_name="$1" -Dwerror=true > "$T/tsetup.log" 2>&1 ||
                { cat "$T/tsetup.log"; fail "meson setup of the template ($1) failed"; }
        ninja -C "$b" > "$T/tbuild.log" 2>&1 || { cat "$T/tbuild.log"; fail "the template ($1) does not build"; }
        meson install -C "$b" > "$T/tinstall.log" 2>&1 || { cat "$T/tinstall.log"; fail "meson install of the template failed"; }
        [ -f "$PREFIX/etc/xhafw/plugins/$1.so" ] || fail "$1.so not installed into the site plugin directory"
}
build_template storage-gpfs
pass "the template builds against the installed xhafw with pkg-config only"

# The template's own tests: stand-in mm* commands, the installed xhafw.
( cd "$T/template-storage-gpfs" && meson test --print-errorlogs > "$T/ttest.log" 2>&1 ) ||
        { cat "$T/template-storage-gpfs/meson-logs/testlog.txt" "$T/ttest.log" 2>/dev/null; fail "the template's tests failed"; }
# two: the logic against the installed host-API mock (Check is installed wherever CI runs), and
# the stand-in mm* commands against the installed xhafw
[ -f "$(pkg-config --variable=mockdir xhafw)/hostapi-mock.c" ] || fail "the host-API mock is not installed at mockdir"
grep -Eq "^Ok: +2" "$T/ttest.log" || { cat "$T/ttest.log"; fail "the template's two tests did not both run"; }
grep -Eq "logic-storage-gpfs +OK" "$T/ttest.log" || { cat "$T/ttest.log"; fail "the template's logic test did not run"; }
pass "the template's own tests pass: its logic against the installed mock, and the installed xhafw"

# ---- a site configuration, run with the installed xhafw and its default plugin path ----
export GPFS_STANDIN=$T/gpfs-standin
mkdir -p "$GPFS_STANDIN/xcatfs.disk" "$T/local/install" "$T/local/etc/xcat"
echo "$T/gpfs/xcatfs" > "$GPFS_STANDIN/xcatfs.mountpoint"
for p in "$T/local/install" "$T/local/etc/xcat"; do
        mkdir -p "$GPFS_STANDIN/xcatfs.disk$p"
        echo "on gpfs" > "$GPFS_STANDIN/xcatfs.disk$p/file"
done
mkdir -p "$T/conf.d"
cat > "$T/xhafw.conf" <<EOF
[xhafw]
conf_d = $T/conf.d
state_dir = $T/state
path = $TEMPLATE/tests/bin:/usr/sbin:/usr/bin:/sbin:/bin
pass_env = GPFS_STANDIN
timeout = 30s
EOF
export XHAFW=$XH
gpfs_step() { # [plugin line]
        {
                echo "[storage]"
                [ -z "${1:-}" ] || echo "$1"
                echo "device = xcatfs"
                echo "mountpoint = $T/gpfs/xcatfs"
                echo "paths = $T/local/install, $T/local/etc/xcat"
        } > "$T/conf.d/10-storage.conf"
}
run_cycle() { # what
        : > "$GPFS_STANDIN/calls"
        expect_exit 3 xh status
        expect_exit 0 xh activate --yes
        [ "$(cat "$T/local/install/file")" = "on gpfs" ] || fail "$1: $T/local/install not bound from GPFS"
        grep -q "^mmmount xcatfs" "$GPFS_STANDIN/calls" || fail "$1: mmmount was not run"
        expect_exit 0 xh status
        expect_exit 0 xh deactivate --yes
        grep -q "^mmumount xcatfs" "$GPFS_STANDIN/calls" || fail "$1: mmumount was not run"
        [ -z "$(mounts_under_t)" ] || fail "$1: left mounted: $(mounts_under_t)"
        expect_exit 3 xh status
}

gpfs_step "plugin = storage-gpfs"
expect_exit 0 xh list-plugins
expect_output "storage-gpfs.*$PREFIX/etc/xhafw/plugins/storage-gpfs.so"
expect_output "storage .*$PREFIX/lib/xhafw/plugins/storage.so"
run_cycle "plugin = storage-gpfs"
pass "plugin = storage-gpfs in a conf.d file: list-plugins, activate, deactivate"

# A storage.so in the site plugin directory shadows the shipped one; the step needs no plugin line.
build_template storage
expect_exit 0 xh list-plugins
expect_output "storage .*$PREFIX/etc/xhafw/plugins/storage.so"
gpfs_step
expect_exit 0 xh describe storage
expect_output "GPFS file system xcatfs"
run_cycle "shadowing storage.so"
pass "a storage.so in the site plugin directory shadows the shipped storage plugin"
