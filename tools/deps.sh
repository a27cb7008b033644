#!/bin/sh
# deps.sh - installs the Debian 12 packages article5 needs to build, test and
# run its demo, and the unprivileged system user the daemon's worker runs as
# (docs/privsep.md). With --check, only reports (exit 1) whether any is
# missing.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev
libvectorscan-dev libpcre2-dev libsodium-dev libsqlite3-dev sqlite3
libnftables-dev nftables libsystemd-dev libnats-dev libcmocka-dev libseccomp-dev zlib1g-dev
iproute2 openssh-server openssh-client sshpass nats-server
fail2ban sshguard procps jq cppcheck clang-tidy libmicrohttpd-dev chromium debhelper dpkg-dev"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
# The worker's user: no login, no home, in the groups that read logs and the
# journal (adm, systemd-journal) where they exist.
user_ok() { id -u article5 >/dev/null 2>&1; }
add_user() {
	user_ok && return 0
	echo "deps: adding system user article5"
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
	    --user-group article5
	for g in adm systemd-journal; do
		getent group "$g" >/dev/null && usermod -a -G "$g" article5
	done
	return 0
}
if [ "${1:-}" = "--check" ]; then
	[ -z "$missing" ] && user_ok && exit 0
	[ -n "$missing" ] && echo "missing packages:$missing" >&2
	user_ok || echo "missing system user: article5" >&2
	exit 1
fi
if [ -z "$missing" ]; then
	echo "deps: all packages present"
	[ "$(id -u)" -eq 0 ] && add_user
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install:$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# fail2ban and sshd must not start services on the host: policy-rc.d forbids it.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.article5
chmod 755 /usr/sbin/policy-rc.d.article5
[ -e /usr/sbin/policy-rc.d ] || { cp /usr/sbin/policy-rc.d.article5 /usr/sbin/policy-rc.d; created=1; }
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
[ "${created:-0}" = 1 ] && rm -f /usr/sbin/policy-rc.d
rm -f /usr/sbin/policy-rc.d.article5
add_user
