#!/bin/sh
# deps.sh - installs the Debian 12 packages article5 needs to build, test and
# run its demo. With --check, only reports (exit 1) whether any is missing.
set -eu
PKGS="build-essential pkg-config clang libclang-rt-14-dev
libvectorscan-dev libpcre2-dev libsodium-dev libsqlite3-dev sqlite3
libnftables-dev nftables libsystemd-dev libnats-dev libcmocka-dev
iproute2 openssh-server openssh-client sshpass nats-server
fail2ban sshguard procps jq cppcheck clang-tidy"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ "${1:-}" = "--check" ]; then
	[ -z "$missing" ] && exit 0
	echo "missing packages:$missing" >&2
	exit 1
fi
[ -z "$missing" ] && { echo "deps: all packages present"; exit 0; }
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
