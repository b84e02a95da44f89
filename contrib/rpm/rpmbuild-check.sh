#!/bin/bash
# Build the RPMs from contrib/rpm/xhafw.spec and a tarball of the tree, and check what they hold.
# usage: contrib/rpm/rpmbuild-check.sh SOURCE_ROOT
# Exit 0 passed, 1 failed, 77 skipped (no rpmbuild). On a non-RPM system (Debian's rpm package) the
# Fedora macros the spec uses (%meson, %_tmpfilesdir, ...) are defined here the way Fedora defines them,
# and BuildRequires are not checked (--nodeps): the point is that the spec's build, install and file
# lists are right. Everything happens in a temporary directory.
set -euo pipefail

src=$(cd "${1:?usage: rpmbuild-check.sh SOURCE_ROOT}" && pwd)
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }
command -v rpmbuild >/dev/null 2>&1 || skip "rpmbuild is not installed (package rpm on Debian, rpm-build on RHEL)"
spec=$src/contrib/rpm/xhafw.spec
version=$(sed -n 's/^Version: *//p' "$spec")

W=$(mktemp -d /tmp/xhafw-rpm.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
mkdir -p "$W"/{SOURCES,SPECS,BUILD,RPMS,SRPMS,BUILDROOT}
(cd "$src" && tar --exclude='./build*' --exclude=./.git --transform "s|^\.|xhafw-$version|" -cJf "$W/SOURCES/xhafw-$version.tar.xz" .)

# Fedora's definitions, used only where the system has none.
defs=()
if [ -z "$(rpm --eval '%{?_tmpfilesdir}')" ]; then
        defs+=(--define "_tmpfilesdir /usr/lib/tmpfiles.d"
               --define "_sharedstatedir /var/lib"
               --define "_vpath_builddir redhat-linux-build"
               --define "meson meson setup --buildtype=plain --prefix=%{_prefix} --libdir=%{_libdir} --libexecdir=%{_libexecdir} --sbindir=%{_sbindir} --includedir=%{_includedir} --datadir=%{_datadir} --mandir=%{_mandir} --sysconfdir=%{_sysconfdir} --localstatedir=%{_localstatedir} %{_vpath_builddir}"
               --define "meson_build ninja -C %{_vpath_builddir}"
               --define "meson_install DESTDIR=%{buildroot} meson install -C %{_vpath_builddir} --no-rebuild"
               --define "meson_test meson test -C %{_vpath_builddir} --print-errorlogs"
               --define "tmpfiles_create systemd-tmpfiles --create"
               --define "debug_package %{nil}")
fi
rpmspec -P "${defs[@]}" "$spec" > /dev/null || fail "rpmspec cannot parse the spec"
rpmbuild -bb --nodeps --define "_topdir $W" "${defs[@]}" "$spec" > "$W/build.log" 2>&1 ||
        { tail -n 40 "$W/build.log" >&2; fail "rpmbuild -bb"; }
main=$(ls "$W"/RPMS/*/xhafw-"$version"-*.rpm)
devel=$(ls "$W"/RPMS/*/xhafw-devel-"$version"-*.rpm)
pass "rpmbuild -bb: $(basename "$main") $(basename "$devel")"

rpm -qlp "$main" > "$W/main.list" 2>/dev/null
rpm -qlp "$devel" > "$W/devel.list" 2>/dev/null
for f in /usr/sbin/xhafw /usr/lib/ocf/resource.d/xhafw/xhafw /usr/share/bash-completion/completions/xhafw \
         /usr/lib/tmpfiles.d/xhafw.conf /usr/libexec/xhafw/keepalived-notify /usr/share/xhafw/conf.d/20-vip.conf \
         /var/lib/xhafw; do
        grep -qx -- "$f" "$W/main.list" || fail "xhafw RPM lacks $f"
done
grep -q '/xhafw/plugins/vip\.so$' "$W/main.list" || fail "xhafw RPM lacks the plugins"
grep -q '/man8/xhafw\.8' "$W/main.list" || fail "xhafw RPM lacks the man pages"
grep -q '/ha-guide\.md$' "$W/main.list" || fail "xhafw RPM lacks the HA guide"
grep -qx /usr/include/xhafw/plugin.h "$W/devel.list" || fail "xhafw-devel lacks the header"
grep -q '/pkgconfig/xhafw\.pc$' "$W/devel.list" || fail "xhafw-devel lacks xhafw.pc"
rpm -qp --configfiles "$main" > "$W/config.list" 2>/dev/null
! grep -q /usr/share/xhafw/conf.d/ "$W/config.list" || fail "the shipped conf.d files must not be %config"
grep -qx /etc/xhafw/xhafw.conf "$W/config.list" || fail "xhafw.conf is not %config"
pass "contents: binary, plugins, agent, completion, tmpfiles, state dir, man pages, guide; xhafw.conf %config, the shipped conf.d not; -devel: header and xhafw.pc"
