#!/bin/bash
# Debian packaging check: build the packages from a copy of the tree with contrib/debian as debian/,
# install them, and use the installed xhafw, plugins, agent, man pages, completion and -dev files.
#
# usage: tests/integration/deb.sh SOURCE_ROOT
# Run as root. Exit 0 passed, 1 failed, 77 skipped (the reason is printed). Idempotent: everything is
# built in a temporary directory, and the packages are purged at the end unless xhafw was installed
# before this script ran.
set -euo pipefail

src=$(cd "${1:?usage: deb.sh SOURCE_ROOT}" && pwd)
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }

[ "$(id -u)" = 0 ] || skip "needs root (installs the packages)"
command -v dpkg >/dev/null 2>&1 || skip "not a Debian system (no dpkg)"
[ -f "$src/contrib/debian/control" ] || fail "$src/contrib/debian/control is missing"
grep -q "^subdir('contrib')" "$src/meson.build" ||
        fail "the root meson.build does not include contrib/: the package would lack the OCF agent, completion and tmpfiles entry"

W=$(mktemp -d /tmp/xhafw-deb.XXXXXX)
installed_before=no
dpkg-query -W -f='${Status}' xhafw 2>/dev/null | grep -q "ok installed" && installed_before=yes
cleanup() {
        local rc=$?
        if [ "$installed_before" = no ] && dpkg-query -W -f='${Status}' xhafw 2>/dev/null | grep -q "installed"; then
                DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq xhafw xhafw-dev > /dev/null 2>&1 || true
        fi
        rm -rf "$W"
        exit $rc
}
trap cleanup EXIT

# The copy: the tree as it is (build directories and .git left out), contrib/debian as debian/.
version=$(sed -n '1s/^xhafw (\([^-)]*\).*/\1/p' "$src/contrib/debian/changelog")
tree=$W/xhafw-$version
mkdir -p "$tree"
(cd "$src" && tar --exclude='./build*' --exclude='./obj-*' --exclude=./.git --exclude=./debian -cf - .) | tar -xf - -C "$tree"
cp -a "$src/contrib/debian" "$tree/debian"
# xhafw refuses group- or world-writable plugins and configuration (the unit tests check it): a tree
# checked out with umask 002 must not make the package build fail on that.
chmod -R go-w "$tree"

# install_build_deps: the only place this script installs anything from the package mirrors: the tools
# to build a Debian package and the Build-Depends of contrib/debian/control.
install_build_deps() {
        command -v apt-get >/dev/null 2>&1 || return 0
        export DEBIAN_FRONTEND=noninteractive
        if ! command -v dpkg-buildpackage >/dev/null 2>&1 || ! command -v dh >/dev/null 2>&1; then
                apt-get update -qq > /dev/null 2>&1 || true
                apt-get install -y -qq --no-install-recommends dpkg-dev debhelper > /dev/null 2>&1 || true
        fi
        if command -v dpkg-checkbuilddeps >/dev/null 2>&1 && ! (cd "$tree" && dpkg-checkbuilddeps) > /dev/null 2>&1; then
                apt-get build-dep -y -qq "$tree" > /dev/null 2>&1 ||
                        { apt-get update -qq > /dev/null 2>&1 && apt-get build-dep -y -qq "$tree" > /dev/null 2>&1; } || true
        fi
}
install_build_deps
command -v dpkg-buildpackage >/dev/null 2>&1 || skip "dpkg-buildpackage is not installed (package dpkg-dev) and could not be installed"
command -v dh >/dev/null 2>&1 || skip "debhelper is not installed and could not be installed"
unmet=$(cd "$tree" && dpkg-checkbuilddeps 2>&1) || skip "build dependencies missing and not installable: $unmet"

t0=$(date +%s)
(cd "$tree" && dpkg-buildpackage -b -us -uc) > "$W/build.log" 2>&1 || { tail -n 60 "$W/build.log" >&2; fail "dpkg-buildpackage -b -us -uc"; }
debs=("$W"/xhafw_*.deb "$W"/xhafw-dev_*.deb)
[ -f "${debs[0]}" ] && [ -f "${debs[1]}" ] || { ls -l "$W" >&2; fail "the build did not produce xhafw and xhafw-dev"; }
pass "dpkg-buildpackage -b -us -uc: $(basename "${debs[0]}") $(basename "${debs[1]}") in $(($(date +%s) - t0))s"

# What each package holds.
contents() { dpkg-deb -c "$1" | awk '{ print $NF }' | sed 's|^\./|/|'; }
contents "${debs[0]}" > "$W/main.list"
contents "${debs[1]}" > "$W/dev.list"
for f in /usr/sbin/xhafw /usr/lib/ocf/resource.d/xhafw/xhafw /usr/share/bash-completion/completions/xhafw \
         /usr/lib/tmpfiles.d/xhafw.conf /usr/libexec/xhafw/keepalived-notify /usr/share/xhafw/conf.d/20-vip.conf \
         /usr/share/man/man8/xhafw.8.gz /usr/share/man/man5/xhafw.conf.5.gz /usr/share/man/man7/xhafw-plugin.7.gz \
         /usr/share/doc/xhafw/ha-guide.md; do
        grep -qx -- "$f" "$W/main.list" || fail "package xhafw lacks $f"
done
grep -q '/xhafw/plugins/vip\.so$' "$W/main.list" || fail "package xhafw lacks the plugins"
grep -qx /usr/include/xhafw/plugin.h "$W/dev.list" || fail "package xhafw-dev lacks the header"
grep -q '/pkgconfig/xhafw\.pc$' "$W/dev.list" || fail "package xhafw-dev lacks xhafw.pc"
for f in hostapi-mock.c hostapi-mock.h; do
        grep -qx "/usr/share/xhafw-mock/$f" "$W/dev.list" || fail "package xhafw-dev lacks the host-API mock's $f"
        if grep -q "/usr/share/xhafw-mock/$f" "$W/main.list"; then fail "package xhafw has the mock's $f, which is xhafw-dev's"; fi
done
dpkg-deb -I "${debs[0]}" conffiles > "$W/conffiles"
# the shipped steps are the package's (replaced on upgrade, never a prompt); the site's go in /etc
! grep -q /usr/share/xhafw/conf.d/ "$W/conffiles" || fail "the shipped conf.d files must not be conffiles"
grep -qx /etc/xhafw/conf.d "$W/main.list" || grep -qx /etc/xhafw/conf.d/ "$W/main.list" || fail "no /etc/xhafw/conf.d for the site's files"
grep -qx /etc/xhafw/xhafw.conf "$W/conffiles" || fail "xhafw.conf is not a conffile"
pass "contents: binary, $(grep -c '\.so$' "$W/main.list") plugins, agent, completion, tmpfiles, man pages; xhafw.conf a conffile, the shipped conf.d not; -dev: header, xhafw.pc and the host-API mock"

# Install (twice: reinstalling the same version must work too).
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq "${debs[@]}" > "$W/install.log" 2>&1 || { cat "$W/install.log" >&2; fail "installing the packages"; }
dpkg -i "${debs[@]}" > "$W/install2.log" 2>&1 || { cat "$W/install2.log" >&2; fail "reinstalling the packages"; }
pass "installed: $(/usr/sbin/xhafw --version)"

# The installed xhafw finds its installed plugins on its default plugin path.
/usr/sbin/xhafw list-plugins > "$W/lp.out" 2>&1 || { cat "$W/lp.out" >&2; fail "xhafw list-plugins"; }
for p in service vip storage postgres hosts xcat-networks dns dhcp ntp conserver goconserver; do
        grep -q "^$p " "$W/lp.out" || { cat "$W/lp.out" >&2; fail "list-plugins lacks $p"; }
done
pass "xhafw list-plugins: $(awk 'NR > 1' "$W/lp.out" | wc -l) plugins from the installed plugin directory"

# validate with the installed default steps: they leave the per-site values empty on purpose, so it
# exits 2 naming what to fill in, and nothing else (every plugin loads).
rc=0
/usr/sbin/xhafw validate > "$W/val.out" 2>&1 || rc=$?
[ $rc = 2 ] || { cat "$W/val.out" >&2; fail "xhafw validate on the default steps exited $rc, expected 2"; }
if grep -Eiq "cannot load|no plugin|not found|ABI" "$W/val.out"; then cat "$W/val.out" >&2; fail "a default step's plugin does not load"; fi
pass "xhafw validate on the installed defaults: exit 2, $(grep -c 'error' "$W/val.out") errors naming what to fill in"

# validate, and the installed OCF agent, with harmless steps (the test service manager).
mkdir -p "$W/conf.d" "$W/svc"
cat > "$W/xhafw.conf" <<EOF
[xhafw]
conf_d = $W/conf.d
state_dir = $W/state
service_manager = $src/tests/integration/svcman.sh, $W/svc
EOF
printf '[web]\nplugin = service\nunit = web\n\n[db]\nplugin = service\nunit = db\nafter = web\n' > "$W/conf.d/10-web.conf"
/usr/sbin/xhafw --config "$W/xhafw.conf" validate > "$W/val2.out" 2>&1 || { cat "$W/val2.out" >&2; fail "xhafw validate with harmless steps"; }
pass "xhafw validate with harmless steps and the installed plugins: valid"
if command -v ocf-tester >/dev/null 2>&1 && [ -f /usr/lib/ocf/lib/heartbeat/ocf-shellfuncs ]; then
        chmod 0755 "$W"
        ocf-tester -n xhafw_deb -o config="$W/xhafw.conf" /usr/lib/ocf/resource.d/xhafw/xhafw > "$W/ocf.out" 2>&1 ||
                { cat "$W/ocf.out" >&2; fail "ocf-tester on the installed agent"; }
        pass "ocf-tester on /usr/lib/ocf/resource.d/xhafw/xhafw (binary /usr/sbin/xhafw): passed"
else
        echo "# ocf-tester not installed (package resource-agents): installed agent not exercised"
fi

# Man pages through man(1), as an admin reads them.
if command -v man >/dev/null 2>&1; then
        for page in 8:xhafw 5:xhafw.conf 7:xhafw-plugin; do
                MANWIDTH=80 man -P cat "${page%%:*}" "${page#*:}" > "$W/man.out" 2> "$W/man.err" ||
                        { cat "$W/man.err" >&2; fail "man ${page%%:*} ${page#*:}"; }
                [ "$(wc -l < "$W/man.out")" -gt 20 ] || fail "man ${page#*:}(${page%%:*}) is nearly empty"
                if grep -q "warning" "$W/man.err"; then cat "$W/man.err" >&2; fail "man ${page#*:} renders with warnings"; fi
        done
        pass "man xhafw, man xhafw.conf, man xhafw-plugin render without warnings"
fi

# Completion: loads and is bound to xhafw.
bash -c 'source /usr/share/bash-completion/completions/xhafw && complete -p xhafw' > /dev/null ||
        fail "the installed completion does not load"
pass "completion installed and bound to xhafw"

# -dev: a plugin builds against the installed header with pkg-config and loads into the installed xhafw.
if command -v cc >/dev/null 2>&1 && [ -f "$src/docs/example-plugin.c" ]; then
        mkdir -p "$W/plugins"
        # shellcheck disable=SC2046
        cc -std=gnu11 -shared -fPIC -Wall -Werror $(pkg-config --cflags xhafw) -o "$W/plugins/motd.so" \
                "$src/docs/example-plugin.c" || fail "the example plugin does not build against xhafw-dev"
        /usr/sbin/xhafw --plugin-path "$W/plugins" describe motd > "$W/motd.out" 2>&1 ||
                { cat "$W/motd.out" >&2; fail "the installed xhafw does not load a plugin built with xhafw-dev"; }
        pass "xhafw-dev: the example plugin builds with pkg-config --cflags xhafw and loads ($(pkg-config --variable=plugindir xhafw))"
fi
