#!/bin/sh
# shellcheck shell=bash disable=SC2119
# package.sh - the Debian package end to end: builds it (make deb), runs
# lintian (reported, fails only on errors), installs it with apt while a
# policy-rc.d forbids starting anything, checks where its files are and that
# the installed binary and default configuration work, then runs the
# INSTALLED binary with the installed configuration inside a network
# namespace (only its log source, state directory and socket moved to the
# test's directory: this host has no sshd in the journal to follow) with a
# real sshd, sees an attacker banned, and purges the package (also on
# failure) and checks the purge removed what it must.
#
# Exit: 0 pass, 1 fail, 77 skip. A5_DEB=path uses a built package.
if [ -z "${BASH_VERSION:-}" ]; then
	command -v bash >/dev/null 2>&1 || { echo "skip: bash is not installed"; exit 77; }
	exec bash "$0" "$@"
fi
set -u
ARTICLE5=/usr/sbin/article5
export ARTICLE5
# shellcheck source=tests/e2e/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
cd "$A5_ROOT" || exit 1

[ "$(id -u)" -eq 0 ] || a5_skip "needs root (apt install, namespaces)"
command -v dh >/dev/null 2>&1 || a5_skip "debhelper is not installed"
command -v apt >/dev/null 2>&1 || a5_skip "apt is not installed"
dpkg -s article5 >/dev/null 2>&1 && a5_skip "a package article5 is installed already"
[ -e /etc/article5 ] && a5_skip "/etc/article5 exists (not this test's)"
# One that already forbids everything (as in Debian's container images) is
# kept; any other is not ours to replace.
if [ -e /usr/sbin/policy-rc.d ]; then
	/usr/sbin/policy-rc.d article5 start >/dev/null 2>&1
	[ $? -eq 101 ] || a5_skip "/usr/sbin/policy-rc.d exists and allows starting services"
fi

deb=${A5_DEB:-}
if [ -z "$deb" ]; then
	a5_step "make deb"
	make deb >/tmp/a5pkg-build.log 2>&1 || { tail -n 30 /tmp/a5pkg-build.log; a5_fail "make deb failed"; }
	# make deb cleans build/ (dh_auto_clean): the tree's binary is rebuilt by make
	deb=$(ls -t build/article5_*.deb 2>/dev/null | head -n 1)
fi
[ -f "$deb" ] || a5_fail "no build/article5_*.deb"
deb=$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")
a5_ok "package $deb"
if command -v lintian >/dev/null 2>&1; then
	lintian "$deb" >/tmp/a5pkg-lintian.log 2>&1
	a5_info "lintian: $(grep -c '^E:' /tmp/a5pkg-lintian.log) errors, $(grep -c '^W:' /tmp/a5pkg-lintian.log) warnings"
	grep '^[EW]:' /tmp/a5pkg-lintian.log | head -n 20 | a5_indent
fi

user_before=no
getent passwd article5 >/dev/null && user_before=yes
POLICY=/usr/sbin/policy-rc.d
INSTALLED=0
pkg_cleanup() {
	local rc=$?
	if [ "$INSTALLED" = 1 ]; then
		apt-get purge -y article5 >/tmp/a5pkg-purge.log 2>&1 || cat /tmp/a5pkg-purge.log
	fi
	[ "${POLICY_OURS:-0}" = 1 ] && rm -f "$POLICY"
	(exit "$rc"); a5_cleanup
}

A5_BIN=/bin/true a5_check_prereqs
a5_init a5pk
trap pkg_cleanup EXIT
if [ ! -e "$POLICY" ]; then
	POLICY_OURS=1
	printf '#!/bin/sh\n# article5 tests/e2e/package.sh: start nothing\nexit 101\n' >"$POLICY"
	chmod 755 "$POLICY"
fi

a5_step "apt install $deb (policy-rc.d: nothing starts)"
INSTALLED=1
DEBIAN_FRONTEND=noninteractive apt-get install -y "$deb" >"$A5_TMP/install.log" 2>&1 ||
	a5_fail "apt install failed: $(tail -n 20 "$A5_TMP/install.log")"
for f in /usr/sbin/article5 /usr/share/article5/rules/sshd.rules /etc/article5/article5.conf; do
	[ -f "$f" ] || a5_fail "$f is not installed"
done
getent passwd article5 >/dev/null || a5_fail "no user article5"
id -nG article5 | grep -qw adm || a5_fail "article5 is not in group adm"
[ -f etc/systemd/article5.service ] && { [ -f /lib/systemd/system/article5.service ] ||
	a5_fail "the unit is not installed"; }
/usr/sbin/article5 --help >/dev/null 2>&1 || a5_fail "article5 --help fails"
/usr/sbin/article5 check-config >"$A5_TMP/cc.out" 2>&1 ||
	a5_fail "check-config on the installed configuration: $(cat "$A5_TMP/cc.out")"
a5_ok "files in place; check-config: $(cat "$A5_TMP/cc.out")"

a5_step "the installed binary and configuration stop an attacker (namespace $A5_NS_SRV)"
a5_topology
a5_start_sshd
# Only what the namespace needs: the log this sshd writes, and the state and
# socket in the test's directory; every other line as installed.
sed -e "s|^source journal .*|source file $A5_AUTHLOG|" \
    -e "s|^state_dir .*|state_dir $A5_TMP/state|" \
    -e "s|^control_socket .*|control_socket $A5_TMP/control.sock|" \
    /etc/article5/article5.conf >"$A5_CONF"
a5_info "differences from the installed configuration:"
diff /etc/article5/article5.conf "$A5_CONF" | grep '^[<>]' | a5_indent
a5_start_daemon
a5_ok "daemon $A5_DAEMON_PID (/usr/sbin/article5) running in $A5_NS_SRV"
tries=0
for n in 1 2 3 4 5 6; do
	a5_banned "$A5_ATK_IP4" && break
	a5_ssh "$A5_NS_ATK" "admin" "wrong-$n" "$A5_SRV_IP4" >/dev/null 2>&1
	tries=$n
done
a5_wait_banned "$A5_ATK_IP4" 10 || a5_fail "$A5_ATK_IP4 not banned after the installed maxretry"
a5_ok "attacker $A5_ATK_IP4 banned after $tries failed logins (installed maxretry 5)"
a5_stop_daemon

a5_step "apt purge article5"
apt-get purge -y article5 >"$A5_TMP/purge.log" 2>&1 || a5_fail "purge failed: $(tail -n 20 "$A5_TMP/purge.log")"
INSTALLED=0
for f in /usr/sbin/article5 /usr/share/article5 /etc/article5 /var/lib/article5; do
	[ -e "$f" ] && a5_fail "$f is still there after purge"
done
if [ "$user_before" = no ]; then
	getent passwd article5 >/dev/null && a5_fail "user article5 still exists after purge"
	a5_ok "purged: files and the user article5 removed"
else
	getent passwd article5 >/dev/null || a5_fail "purge removed the user article5 it did not create"
	a5_ok "purged: files removed; the user article5 (there before) kept"
fi
exit 0
