# shellcheck shell=bash disable=SC2034
# lib.sh - shared helpers for the end-to-end scripts (tests/e2e/*.sh and
# demo/demo.sh). Sourced by bash scripts; not executable on its own.
#
# Everything runs in network namespaces this library creates:
#
#     attacker ns  10.55.1.2 --veth-- 10.55.1.1  server ns  10.55.2.1 --veth-- 10.55.2.2  client ns
#                                       (sshd on both addresses, article5 daemon,
#                                        table inet article5)
#
# The 10.55.x.y addresses exist only inside those namespaces. Every nft and
# article5 command runs through `ip netns exec` in the server namespace, so
# the host's own firewall is never read or changed. a5_cleanup (installed by
# a5_init as the EXIT/INT/TERM trap) kills the processes this library started
# (by PID), deletes the namespaces, the test user and the temporary directory.
#
# sshd log format: `sshd -E FILE` writes bare messages ("Failed password for
# ... port 4242 ssh2\r\n") with no syslog header, no PID and a CR before the
# newline. So sshd runs with -e, its stderr goes through a FIFO to a small
# bash reader that strips the CR and prefixes an RFC 3164 header
# "Mon DD HH:MM:SS a5-server sshd[PID]: ". The real per-connection PID is not
# visible on stderr; the reader gives each connection (client address and
# port, present in every per-connection line sshd writes itself) its own
# pseudo PID (sshd's PID + n) so that multi-line connection tracking works as
# it would on a syslog-fed auth.log. Lines without an address get sshd's PID.

A5_ROOT=${A5_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
A5_BIN=${ARTICLE5:-$A5_ROOT/build/article5}

A5_SRV_IP4=10.55.1.1	# server address facing the attacker
A5_ATK_IP4=10.55.1.2	# attacker
A5_SRV_IP4_C=10.55.2.1	# server address facing the client
A5_CLI_IP4=10.55.2.2	# legitimate client
# The same links also carry IPv6 (ULA, inside the namespaces only). The
# attacker's IPv6 addresses are in a /64 of their own (routed on the link),
# not in the server's: article5 bans IPv6 per /64 and never bans a prefix
# holding one of the host's own addresses.
A5_SRV_IP6=fd55:1::1
A5_ATK_IP6=fd55:66::2	# attacker, IPv6
A5_ATK_IP6B=fd55:66::3	# a second address in the attacker's /64
A5_ATK_NET6=fd55:66::/64
A5_SRV_IP6_C=fd55:2::1
A5_CLI_IP6=fd55:2::2
A5_HOSTNAME=a5-server	# host name written in the synthetic syslog header

A5_PIDS=()		# processes we started (killed by PID in a5_cleanup)
A5_NETNS=()		# namespaces we created
A5_USER=		# test user we created (removed in a5_cleanup)
A5_RUNSSHD_CREATED=0
A5_DAEMON_PID=
A5_SSHD_PID=
A5_KEEP=${A5_KEEP:-0}	# 1: keep the temporary directory (logs) after the run

# ---------------------------------------------------------------- output

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	A5_C_B=$'\e[1m' A5_C_G=$'\e[32m' A5_C_R=$'\e[31m' A5_C_Y=$'\e[33m' A5_C_C=$'\e[36m' A5_C_D=$'\e[2m' A5_C_0=$'\e[0m'
else
	A5_C_B='' A5_C_G='' A5_C_R='' A5_C_Y='' A5_C_C='' A5_C_D='' A5_C_0=''
fi
A5_T0=${EPOCHREALTIME/[.,]/}

# elapsed time since the script started, "  12.345s"
a5_elapsed() {
	local now=${EPOCHREALTIME/[.,]/}
	local us=$(( now - A5_T0 ))
	printf '%4d.%03ds' $(( us / 1000000 )) $(( us % 1000000 / 1000 ))
}
a5_step() { printf '%s[%s]%s %s==>%s %s\n' "$A5_C_D" "$(a5_elapsed)" "$A5_C_0" "$A5_C_B" "$A5_C_0" "$*"; }
a5_ok()   { printf '%s[%s]%s     %sok%s  %s\n' "$A5_C_D" "$(a5_elapsed)" "$A5_C_0" "$A5_C_G" "$A5_C_0" "$*"; }
a5_info() { printf '%s[%s]%s         %s\n' "$A5_C_D" "$(a5_elapsed)" "$A5_C_0" "$*"; }
a5_warn() { printf '%s[%s]%s   %sWARN%s  %s\n' "$A5_C_D" "$(a5_elapsed)" "$A5_C_0" "$A5_C_Y" "$A5_C_0" "$*"; }
# indents a command's output
a5_indent() { sed "s/^/          ${A5_C_C}|${A5_C_0} /"; }

# a5_fail MESSAGE: prints the message and the logs, exits 1 (cleanup runs).
a5_fail() {
	printf '%s[%s]%s   %sFAIL%s  %s\n' "$A5_C_D" "$(a5_elapsed)" "$A5_C_0" "$A5_C_R" "$A5_C_0" "$*"
	a5_dump_logs
	exit 1
}

a5_dump_logs() {
	[ -n "${A5_TMP:-}" ] || return 0
	# the coalition scripts (a5c_* below) have one daemon per member
	if [ "${#A5C_MEMBERS[@]}" -gt 0 ]; then
		a5c_dump_logs
		return 0
	fi
	if [ -s "$A5_TMP/daemon.log" ]; then
		echo "---- article5 daemon log (last 40 lines of $A5_TMP/daemon.log) ----"
		tail -n 40 "$A5_TMP/daemon.log"
	else
		echo "---- article5 daemon log: empty ----"
	fi
	if [ -s "$A5_TMP/auth.log" ]; then
		echo "---- auth.log the daemon follows (last 20 lines) ----"
		tail -n 20 "$A5_TMP/auth.log"
	fi
	if [ -n "${A5_NS_SRV:-}" ] && ip netns list 2>/dev/null | grep -qw "$A5_NS_SRV"; then
		echo "---- nft table inet article5 in $A5_NS_SRV ----"
		ip netns exec "$A5_NS_SRV" nft list table inet article5 2>&1 | head -n 40
	fi
	echo "----"
}

# a5_defer_fail MESSAGE: records a failure but lets the script go on (to
# learn what else holds); a5_finish then exits 1 listing them.
A5_DEFERRED=()
a5_defer_fail() {
	printf '%s[%s]%s   %sFAIL%s  %s (recorded; going on)\n' "$A5_C_D" "$(a5_elapsed)" "$A5_C_0" "$A5_C_R" "$A5_C_0" "$*"
	A5_DEFERRED+=("$*")
}
# a5_finish NAME: exit 1 (with the logs) if a failure was recorded, else 0.
a5_finish() {
	local f
	if [ "${#A5_DEFERRED[@]}" -gt 0 ]; then
		echo "$1: ${#A5_DEFERRED[@]} check(s) failed:"
		for f in "${A5_DEFERRED[@]}"; do echo "  - $f"; done
		a5_dump_logs
		exit 1
	fi
	exit 0
}

# a5_skip REASON: exit 77 with a one-line reason (the last line is what
# tests/run.sh shows).
a5_skip() { echo "skip: $*"; exit 77; }

# ---------------------------------------------------------------- setup

# a5_check_prereqs: exits 77 when something the scenario needs is missing.
a5_check_prereqs() {
	[ "$(id -u)" -eq 0 ] || a5_skip "needs root (network namespaces, nftables, sshd)"
	command -v ip >/dev/null 2>&1 || a5_skip "iproute2 (ip) is not installed"
	ip netns list >/dev/null 2>&1 || a5_skip "'ip netns' does not work here"
	command -v nft >/dev/null 2>&1 || a5_skip "nft is not installed"
	[ -x /usr/sbin/sshd ] || a5_skip "/usr/sbin/sshd is not installed (openssh-server)"
	command -v ssh >/dev/null 2>&1 || a5_skip "ssh is not installed (openssh-client)"
	command -v ssh-keygen >/dev/null 2>&1 || a5_skip "ssh-keygen is not installed"
	command -v sshpass >/dev/null 2>&1 || a5_skip "sshpass is not installed"
	command -v useradd >/dev/null 2>&1 || a5_skip "useradd is not installed"
	command -v timeout >/dev/null 2>&1 || a5_skip "timeout (coreutils) is not installed"
	[ -x "$A5_BIN" ] || a5_skip "$A5_BIN is missing (run make)"
}

# a5_init PREFIX: temporary directory, namespace names, cleanup trap.
a5_init() {
	local prefix=$1
	A5_TMP=$(mktemp -d "/tmp/$prefix.XXXXXX") || { echo "mktemp failed"; exit 1; }
	chmod 755 "$A5_TMP"	# the daemon's worker (user article5) watches logs here (docs/privsep.md)
	A5_NS_SRV="$prefix-$$-srv"
	A5_NS_ATK="$prefix-$$-atk"
	A5_NS_CLI="$prefix-$$-cli"
	A5_CONF="$A5_TMP/article5.conf"
	A5_AUTHLOG="$A5_TMP/auth.log"
	trap a5_cleanup EXIT
	trap 'echo "interrupted"; exit 130' INT
	trap 'echo "terminated"; exit 143' TERM
}

# a5_kill_pid PID [GRACE_SECONDS]: SIGTERM, then SIGKILL after the grace time.
a5_kill_pid() {
	local pid=$1 grace=${2:-5} i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for (( i = 0; i < grace * 10; i++ )); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

a5_cleanup() {
	local rc=$? pid ns
	# a second Ctrl-C or SIGTERM must not abort the cleanup (bounded anyway)
	trap - EXIT
	trap '' INT TERM
	set +e
	for pid in "${A5_PIDS[@]}"; do
		a5_kill_pid "$pid" 3
	done
	# Anything still running inside our namespaces was started by us (sshd
	# session children, nft monitor, stray clients): kill those PIDs too.
	for ns in "${A5_NETNS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	sleep 0.1
	for ns in "${A5_NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$A5_USER" ]; then
		userdel "$A5_USER" 2>/dev/null || echo "cleanup: userdel $A5_USER failed" >&2
	fi
	# /run/sshd (sshd's privilege separation directory) is removed only if we
	# created it and no other run of these scripts still has a namespace.
	if [ "$A5_RUNSSHD_CREATED" = 1 ] && ! ip netns list 2>/dev/null | grep -Eq '^a5[a-z]*-[0-9]+-(srv|m[0-9]+)'; then
		rmdir /run/sshd 2>/dev/null
	fi
	if [ -n "${A5_TMP:-}" ] && [ -d "$A5_TMP" ]; then
		if [ "$A5_KEEP" = 1 ] || { [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ "${A5_KEEP_ON_FAIL:-0}" = 1 ]; }; then
			echo "logs kept in $A5_TMP"
		else
			rm -rf "$A5_TMP"
		fi
	fi
	exit "$rc"
}

# a5_netns_add NAME
a5_netns_add() {
	ip netns add "$1" || a5_fail "ip netns add $1"
	A5_NETNS+=("$1")
	ip -n "$1" link set lo up
}

# a5_topology: server, attacker and client namespaces, two veth pairs.
a5_topology() {
	a5_netns_add "$A5_NS_SRV"
	a5_netns_add "$A5_NS_ATK"
	a5_netns_add "$A5_NS_CLI"
	# The veth ends are created directly inside the namespaces: no interface
	# ever appears in the host's namespace, so names cannot collide.
	ip link add veth-atk netns "$A5_NS_SRV" type veth peer name eth0 netns "$A5_NS_ATK" ||
		a5_fail "veth server<->attacker"
	ip link add veth-cli netns "$A5_NS_SRV" type veth peer name eth0 netns "$A5_NS_CLI" ||
		a5_fail "veth server<->client"
	ip -n "$A5_NS_SRV" addr add "$A5_SRV_IP4/24" dev veth-atk
	ip -n "$A5_NS_SRV" addr add "$A5_SRV_IP4_C/24" dev veth-cli
	ip -n "$A5_NS_ATK" addr add "$A5_ATK_IP4/24" dev eth0
	ip -n "$A5_NS_CLI" addr add "$A5_CLI_IP4/24" dev eth0
	# nodad: the addresses are usable at once (no duplicate detection delay)
	ip -n "$A5_NS_SRV" addr add "$A5_SRV_IP6/64" dev veth-atk nodad
	ip -n "$A5_NS_SRV" addr add "$A5_SRV_IP6_C/64" dev veth-cli nodad
	ip -n "$A5_NS_ATK" addr add "$A5_ATK_IP6/64" dev eth0 nodad
	ip -n "$A5_NS_ATK" addr add "$A5_ATK_IP6B/64" dev eth0 nodad
	ip -n "$A5_NS_CLI" addr add "$A5_CLI_IP6/64" dev eth0 nodad
	ip -n "$A5_NS_SRV" link set veth-atk up
	ip -n "$A5_NS_SRV" link set veth-cli up
	ip -n "$A5_NS_ATK" link set eth0 up
	ip -n "$A5_NS_CLI" link set eth0 up
	ip -n "$A5_NS_ATK" -6 route add "${A5_SRV_IP6%::*}::/64" dev eth0
	ip -n "$A5_NS_SRV" -6 route add "$A5_ATK_NET6" dev veth-atk
	# The namespaces start with no nftables ruleset at all.
	if [ -n "$(ip netns exec "$A5_NS_SRV" nft list ruleset 2>/dev/null)" ]; then
		a5_fail "new namespace $A5_NS_SRV unexpectedly has an nftables ruleset"
	fi
}

# a5_add_user: a throw-away local user with a known password for the client.
a5_add_user() {
	local name i
	for (( i = 0; i < 20; i++ )); do
		name="a5u$(( ($$ + i) % 100000 ))"
		id "$name" >/dev/null 2>&1 || break
	done
	id "$name" >/dev/null 2>&1 && a5_fail "could not find a free user name"
	mkdir -p "$A5_TMP/home"
	useradd -M -d "$A5_TMP/home" -s /bin/sh -c "article5 e2e test user" "$name" ||
		a5_fail "useradd $name"
	A5_USER=$name
	chown "$name" "$A5_TMP/home"
	A5_PASS="pw-$RANDOM$RANDOM-ok"
	printf '%s:%s\n' "$name" "$A5_PASS" | chpasswd || a5_fail "chpasswd $name"
}

# Reads sshd's stderr from the FIFO, writes syslog-style lines to auth.log and
# "EPOCHREALTIME<TAB>message" lines to auth.timing (for latency figures).
a5__sshd_logger() {
	local master=$1 fifo=$2 out=$3 timing=$4 line key pid n=0
	local -A conn=()
	local re='^(.*[^0-9A-Fa-f:.])?([0-9A-Fa-f:.]*[0-9A-Fa-f][0-9A-Fa-f:.]*) port ([0-9]+)'
	# auth.log is opened by name for every line (not kept open), so that a
	# test can rotate it (mv + new file) as logrotate would.
	exec 4>>"$timing"
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		pid=$master
		if [[ $line != "Server listening"* && $line =~ $re ]]; then
			key="${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
			if [ -z "${conn[$key]:-}" ]; then
				n=$(( n + 1 ))
				conn[$key]=$(( master + n ))
			fi
			pid=${conn[$key]}
		fi
		printf '%(%b %e %H:%M:%S)T %s sshd[%s]: %s\n' -1 "$A5_HOSTNAME" "$pid" "$line" >>"$out"
		printf '%s\t%s\n' "$EPOCHREALTIME" "$line" >&4
	done <"$fifo"
}

# a5_start_sshd: a real OpenSSH server inside the server namespace.
a5_start_sshd() {
	local i
	if [ ! -d /run/sshd ]; then
		mkdir -m 755 /run/sshd && A5_RUNSSHD_CREATED=1
	fi
	ssh-keygen -q -t ed25519 -N '' -C a5-e2e -f "$A5_TMP/ssh_host_ed25519_key" ||
		a5_fail "ssh-keygen"
	cat >"$A5_TMP/sshd_config" <<-EOF
	# article5 e2e: sshd confined to the server namespace
	ListenAddress $A5_SRV_IP4
	ListenAddress $A5_SRV_IP4_C
	ListenAddress [$A5_SRV_IP6]
	ListenAddress [$A5_SRV_IP6_C]
	Port 22
	HostKey $A5_TMP/ssh_host_ed25519_key
	PidFile $A5_TMP/sshd.pid
	PasswordAuthentication yes
	KbdInteractiveAuthentication no
	PubkeyAuthentication yes
	PermitRootLogin no
	UsePAM ${A5_SSHD_PAM:-yes}
	MaxAuthTries 6
	MaxStartups 50
	LoginGraceTime 20
	LogLevel INFO
	SyslogFacility AUTH
	PrintMotd no
	X11Forwarding no
	AllowTcpForwarding no
	AuthorizedKeysFile none
	EOF
	/usr/sbin/sshd -t -f "$A5_TMP/sshd_config" 2>"$A5_TMP/sshd-t.err" ||
		a5_fail "sshd -t rejects the test config: $(cat "$A5_TMP/sshd-t.err")"
	: >"$A5_AUTHLOG"
	: >"$A5_TMP/auth.timing"
	mkfifo "$A5_TMP/sshd.fifo" || a5_fail "mkfifo"
	# sshd blocks opening the FIFO until the reader opens it; ip netns exec
	# execs, so $! is sshd's own PID.
	ip netns exec "$A5_NS_SRV" /usr/sbin/sshd -D -e -f "$A5_TMP/sshd_config" \
		</dev/null >/dev/null 2>"$A5_TMP/sshd.fifo" &
	A5_SSHD_PID=$!
	A5_PIDS+=("$A5_SSHD_PID")
	a5__sshd_logger "$A5_SSHD_PID" "$A5_TMP/sshd.fifo" "$A5_AUTHLOG" "$A5_TMP/auth.timing" &
	A5_PIDS+=("$!")
	for (( i = 0; i < 100; i++ )); do
		[ "$(grep -c "^.*Server listening on " "$A5_AUTHLOG")" -ge 4 ] && return 0
		kill -0 "$A5_SSHD_PID" 2>/dev/null || a5_fail "sshd exited: $(tail -n 5 "$A5_AUTHLOG")"
		sleep 0.1
	done
	a5_fail "sshd did not start listening within 10 s: $(tail -n 5 "$A5_AUTHLOG")"
}

# a5_write_config [EXTRA LINES...]: the daemon's configuration.
a5_write_config() {
	mkdir -p "$A5_TMP/state"
	{
		echo "# article5 e2e configuration (generated)"
		echo "mode enforce"
		echo "state_dir $A5_TMP/state"
		echo "rules_dir $A5_ROOT/etc/rules"
		echo "rules_local none"
		echo "control_socket $A5_TMP/control.sock"
		echo "source file $A5_AUTHLOG"
		echo "maxretry 3"
		echo "findtime 10m"
		echo "bantime 1h"
		# the rules file may carry its own default (sshd.rules: maxretry 5);
		# pin the threshold for this service explicitly
		echo "service sshd maxretry 3 findtime 10m bantime 1h"
		local l
		for l in "$@"; do echo "$l"; done
	} >"$A5_CONF"
}

# a5_rotate_log: logrotate's default (create) scheme: rename, new empty file.
a5_rotate_log() {
	mv "$A5_AUTHLOG" "$A5_AUTHLOG.1" || a5_fail "mv auth.log"
	: >"$A5_AUTHLOG"
}

# a5_cli SUBCOMMAND [ARGS...]: article5 client command, run inside the server
# namespace (so that nothing it might do falls on the host's firewall).
a5_cli() {
	local sub=$1; shift
	timeout 20 ip netns exec "$A5_NS_SRV" "$A5_BIN" "$sub" -c "$A5_CONF" "$@"
}

# a5_start_daemon: article5 daemon in the foreground inside the server ns,
# stderr to daemon.log; waits until the control socket answers and the nft
# table exists.
a5_start_daemon() {
	local i
	ip netns exec "$A5_NS_SRV" "$A5_BIN" daemon -c "$A5_CONF" \
		</dev/null >>"$A5_TMP/daemon.log" 2>&1 &
	A5_DAEMON_PID=$!
	A5_PIDS+=("$A5_DAEMON_PID")
	for (( i = 0; i < 150; i++ )); do
		a5_daemon_alive || a5_fail "article5 daemon exited during startup"
		if a5_cli status >/dev/null 2>&1 &&
			ip netns exec "$A5_NS_SRV" nft list set inet article5 ban4 >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	a5_fail "article5 daemon not ready within 15 s (status failing or no table inet article5 / set ban4)"
}

a5_daemon_alive() { [ -n "$A5_DAEMON_PID" ] && kill -0 "$A5_DAEMON_PID" 2>/dev/null; }

# a5_stop_daemon [GRACE]: SIGTERM; sets A5_DAEMON_RC (exit status, or
# "timeout" if it had to be killed).
a5_stop_daemon() {
	local grace=${1:-10} i
	A5_DAEMON_RC=
	a5_daemon_alive || { wait "$A5_DAEMON_PID" 2>/dev/null; A5_DAEMON_RC=$?; return 0; }
	kill -TERM "$A5_DAEMON_PID"
	for (( i = 0; i < grace * 10; i++ )); do
		a5_daemon_alive || break
		sleep 0.1
	done
	if a5_daemon_alive; then
		kill -KILL "$A5_DAEMON_PID"
		wait "$A5_DAEMON_PID" 2>/dev/null
		A5_DAEMON_RC=timeout
	else
		wait "$A5_DAEMON_PID" 2>/dev/null
		A5_DAEMON_RC=$?
	fi
}

# ---------------------------------------------------------------- probes

# a5_banned ADDR[/LEN]: true if the address (or a prefix holding it) is in
# the kernel sets of the server namespace. Single addresses live in ban4/ban6
# (flags timeout); prefixes in ban4net/ban6net (flags interval,timeout),
# which `nft get element` also answers for an address inside a prefix.
a5_banned() {
	local fam=4 set
	case $1 in *:*) fam=6 ;; esac
	case $1 in
	*/*) set="ban${fam}net" ;;
	*)   ip netns exec "$A5_NS_SRV" nft get element inet article5 "ban$fam" "{ $1 }" >/dev/null 2>&1 &&
		return 0
	     set="ban${fam}net" ;;
	esac
	ip netns exec "$A5_NS_SRV" nft get element inet article5 "$set" "{ $1 }" >/dev/null 2>&1
}

# a5_wait_banned ADDR TIMEOUT_SECONDS / a5_wait_unbanned ...: polls every 50 ms.
a5_wait_banned() {
	local deadline=$(( ${EPOCHREALTIME/[.,]/} + $2 * 1000000 ))
	while (( ${EPOCHREALTIME/[.,]/} < deadline )); do
		a5_banned "$1" && return 0
		sleep 0.05
	done
	a5_banned "$1"
}
a5_wait_unbanned() {
	local deadline=$(( ${EPOCHREALTIME/[.,]/} + $2 * 1000000 ))
	while (( ${EPOCHREALTIME/[.,]/} < deadline )); do
		a5_banned "$1" || return 0
		sleep 0.05
	done
	! a5_banned "$1"
}

# a5_tcp NS IP PORT [SECONDS]: true if a TCP connection can be opened.
# shellcheck disable=SC2016
a5_tcp() {
	ip netns exec "$1" timeout "${4:-3}" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$2" "$3" 2>/dev/null
}

# a5_ssh NS USER PASSWORD IP [COMMAND]: one password login; returns ssh's
# status (sshpass: 5 = wrong password, 255 = connection failed, 124 = hung).
# A5_SSH_BIND=ADDR picks the source address.
a5_ssh() {
	local ns=$1 user=$2 pass=$3 ip=$4 cmd=${5:-exit} bind=()
	[ -n "${A5_SSH_BIND:-}" ] && bind=(-o "BindAddress=$A5_SSH_BIND")
	SSHPASS=$pass ip netns exec "$ns" timeout 20 sshpass -e ssh -T "${bind[@]}" \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o PubkeyAuthentication=no -o PreferredAuthentications=password \
		-o ConnectTimeout=3 -o ServerAliveInterval=2 -o ServerAliveCountMax=3 \
		-o BatchMode=no \
		-F /dev/null "$user@$ip" "$cmd" </dev/null
}

# a5_last_line_time PATTERN: EPOCHREALTIME (microseconds, no dot) at which the
# last sshd message matching the extended regex PATTERN was written to auth.log.
a5_last_line_time() {
	local t
	t=$(grep -E -- "$1" "$A5_TMP/auth.timing" | tail -n 1 | cut -f 1)
	[ -n "$t" ] && echo "${t/[.,]/}"
}

# a5_monitor_start: records kernel element additions/deletions of the server
# namespace in $A5_TMP/nft-monitor.log, each line stamped with EPOCHREALTIME.
a5_monitor_start() {
	: >"$A5_TMP/nft-monitor.log"
	# not a pipeline: $! must be nft itself (waiting for a pipeline member
	# waits for the whole pipeline); the stamping reader ends at nft's EOF.
	ip netns exec "$A5_NS_SRV" nft monitor elements 2>/dev/null </dev/null > >(
		while IFS= read -r line; do
			printf '%s\t%s\n' "$EPOCHREALTIME" "$line"
		done >>"$A5_TMP/nft-monitor.log") &
	A5_PIDS+=("$!")
	sleep 0.2
}

# a5_monitor_time REGEX: EPOCHREALTIME (us) of the first monitor line matching.
a5_monitor_time() {
	local t
	t=$(grep -E -- "$1" "$A5_TMP/nft-monitor.log" 2>/dev/null | head -n 1 | cut -f 1)
	[ -n "$t" ] && echo "${t/[.,]/}"
}

# a5_ms MICROSECONDS: "123.4 ms"
a5_ms() {
	local us=$1 sign=
	(( us < 0 )) && { sign=-; us=$(( -us )); }
	printf '%s%d.%d ms' "$sign" $(( us / 1000 )) $(( us % 1000 / 100 ))
}

# a5_line_time_before REGEX LIMIT_US: EPOCHREALTIME (us) of the last sshd
# message matching REGEX written at or before LIMIT_US.
a5_line_time_before() {
	awk -F '\t' -v re="$1" -v lim="$2" '
		{ t = $1; sub(/[.,]/, "", t) }
		$2 ~ re && t + 0 <= lim + 0 { last = t }
		END { if (last != "") print last }' "$A5_TMP/auth.timing"
}

# ================================================================ coalition
#
# Helpers for the coalition scripts (tests/e2e/coalition.sh, byzantine.sh,
# demo/demo.sh): several members, each in its own namespace with its own
# sshd (optional) and article5 daemon, sharing bans over one nats-server.
#
#                       hub namespace (router, bridge br0, nats-server)
#     attacker 203.0.113.66 --- 203.0.113.1 |                | 192.0.2.1 --- 192.0.2.20 client
#                                           | 198.51.100.1   |
#               m1 198.51.100.11 ---- br0 ---- m2 198.51.100.12 ---- m3 198.51.100.13 ...
#
# TEST-NET addresses only (RFC 5737): the coalition refuses reports for
# private and other special-purpose ranges unless its charter says
# allow_special. Member N's directory is $A5_TMP/mN (configuration, key,
# auth.log, daemon.log, nft-monitor.log, state); its namespace
# $A5C_NS_<name> is in A5C_NS[name]. The daemons' logs are appended, so a
# restarted member keeps one log.

A5C_MEMBERS=()			# member names, in charter order
declare -gA A5C_NS=() A5C_IP=() A5C_DIR=() A5C_DPID=() A5C_SSHD=() A5C_PK=()
A5C_COALITION=e2e
A5C_HUB_IP=198.51.100.1
A5C_NATS_PORT=4222
A5C_NATS_URL=nats://$A5C_HUB_IP:$A5C_NATS_PORT
A5C_ATK_IP=203.0.113.66		# attacker (more addresses: A5C_ATK_IPS)
A5C_ATK_IPS=(203.0.113.66 203.0.113.67 203.0.113.68)
A5C_ATK_GW=203.0.113.1
A5C_CLI_IP=192.0.2.20		# legitimate client
A5C_CLI_GW=192.0.2.1
A5C_NATS_PID=
A5C_RC=

# a5c_check_prereqs [sshd]: a5_check_prereqs (sshd and friends) when asked,
# plus nats-server and jq.
a5c_check_prereqs() {
	if [ "${1:-}" = sshd ]; then
		a5_check_prereqs
	else
		[ "$(id -u)" -eq 0 ] || a5_skip "needs root (network namespaces, nftables)"
		command -v ip >/dev/null 2>&1 || a5_skip "iproute2 (ip) is not installed"
		ip netns list >/dev/null 2>&1 || a5_skip "'ip netns' does not work here"
		command -v nft >/dev/null 2>&1 || a5_skip "nft is not installed"
		command -v timeout >/dev/null 2>&1 || a5_skip "timeout (coreutils) is not installed"
		[ -x "$A5_BIN" ] || a5_skip "$A5_BIN is missing (run make)"
	fi
	command -v nats-server >/dev/null 2>&1 || a5_skip "nats-server is not installed"
	command -v jq >/dev/null 2>&1 || a5_skip "jq is not installed"
}

# a5c_build_forge: builds tests/e2e/forge.c (the test helper that crafts
# and publishes raw coalition messages) into $A5_TMP/forge; skips the test
# when gcc or the libnats/libsodium headers are missing. After a5c_init.
a5c_build_forge() {
	command -v gcc >/dev/null 2>&1 || a5_skip "gcc is not installed (needed for the forge helper)"
	pkg-config --exists libnats libsodium 2>/dev/null || a5_skip "libnats or libsodium development files missing"
	# shellcheck disable=SC2046
	gcc -std=gnu11 -O1 -D_GNU_SOURCE -I"$A5_ROOT/src" -o "$A5_TMP/forge" "$A5_ROOT/tests/e2e/forge.c" \
		"$A5_ROOT/src/coalition/wire.c" "$A5_ROOT/src/coalition/identity.c" \
		"$A5_ROOT/src/coalition/nkey.c" "$A5_ROOT"/src/common/*.c \
		$(pkg-config --cflags --libs libnats libsodium) >"$A5_TMP/gcc.out" 2>&1 ||
		a5_fail "building forge: $(cat "$A5_TMP/gcc.out")"
}

# a5c_init PREFIX MEMBER...: a5_init, then names for the hub, the members,
# the attacker and the client namespaces.
a5c_init() {
	local prefix=$1 m i=0
	shift
	a5_init "$prefix"
	A5C_NS_HUB="$prefix-$$-hub"
	A5C_NS_ATK="$prefix-$$-atk"
	A5C_NS_CLI="$prefix-$$-cli"
	A5C_MEMBERS=("$@")
	for m in "$@"; do
		i=$(( i + 1 ))
		A5C_NS[$m]="$prefix-$$-m$i"
		A5C_IP[$m]="198.51.100.$(( 10 + i ))"
		A5C_DIR[$m]="$A5_TMP/$m"
		mkdir -p "$A5_TMP/$m"
	done
	A5C_CHARTER="$A5_TMP/coalition.charter"
}

# a5c_topology: the hub (a router: bridge for the members, one link each for
# the attacker and the client), the members, the attacker and the client.
a5c_topology() {
	local m
	a5_netns_add "$A5C_NS_HUB"
	ip -n "$A5C_NS_HUB" link add br0 type bridge || a5_fail "bridge in $A5C_NS_HUB"
	ip -n "$A5C_NS_HUB" addr add "$A5C_HUB_IP/24" dev br0
	ip -n "$A5C_NS_HUB" link set br0 up
	# forwarding inside the hub namespace only (its own sysctl)
	ip netns exec "$A5C_NS_HUB" sysctl -q -w net.ipv4.ip_forward=1 >/dev/null ||
		a5_fail "ip_forward in $A5C_NS_HUB"
	for m in "${A5C_MEMBERS[@]}"; do
		a5_netns_add "${A5C_NS[$m]}"
		ip link add "v-$m" netns "$A5C_NS_HUB" type veth peer name eth0 netns "${A5C_NS[$m]}" ||
			a5_fail "veth hub<->$m"
		ip -n "$A5C_NS_HUB" link set "v-$m" master br0 up
		ip -n "${A5C_NS[$m]}" addr add "${A5C_IP[$m]}/24" dev eth0
		ip -n "${A5C_NS[$m]}" link set eth0 up
		ip -n "${A5C_NS[$m]}" route add default via "$A5C_HUB_IP"
		if [ -n "$(ip netns exec "${A5C_NS[$m]}" nft list ruleset 2>/dev/null)" ]; then
			a5_fail "new namespace ${A5C_NS[$m]} unexpectedly has an nftables ruleset"
		fi
	done
	a5_netns_add "$A5C_NS_ATK"
	ip link add v-atk netns "$A5C_NS_HUB" type veth peer name eth0 netns "$A5C_NS_ATK" ||
		a5_fail "veth hub<->attacker"
	ip -n "$A5C_NS_HUB" addr add "$A5C_ATK_GW/24" dev v-atk
	ip -n "$A5C_NS_HUB" link set v-atk up
	local a
	for a in "${A5C_ATK_IPS[@]}"; do
		ip -n "$A5C_NS_ATK" addr add "$a/24" dev eth0
	done
	ip -n "$A5C_NS_ATK" link set eth0 up
	ip -n "$A5C_NS_ATK" route add default via "$A5C_ATK_GW" src "$A5C_ATK_IP"
	a5_netns_add "$A5C_NS_CLI"
	ip link add v-cli netns "$A5C_NS_HUB" type veth peer name eth0 netns "$A5C_NS_CLI" ||
		a5_fail "veth hub<->client"
	ip -n "$A5C_NS_HUB" addr add "$A5C_CLI_GW/24" dev v-cli
	ip -n "$A5C_NS_HUB" link set v-cli up
	ip -n "$A5C_NS_CLI" addr add "$A5C_CLI_IP/24" dev eth0
	ip -n "$A5C_NS_CLI" link set eth0 up
	ip -n "$A5C_NS_CLI" route add default via "$A5C_CLI_GW"
}

# a5c_start_nats: nats-server with JetStream in the hub namespace, listening
# on 198.51.100.1:4222 only; storage under $A5_TMP/nats.
a5c_start_nats() {
	local i n0
	mkdir -p "$A5_TMP/nats"
	n0=$(grep -c 'Server is ready' "$A5_TMP/nats.log" 2>/dev/null)
	ip netns exec "$A5C_NS_HUB" nats-server -n a5-e2e-hub -a "$A5C_HUB_IP" -p "$A5C_NATS_PORT" \
		-js -sd "$A5_TMP/nats" </dev/null >>"$A5_TMP/nats.log" 2>&1 &
	A5C_NATS_PID=$!
	A5_PIDS+=("$A5C_NATS_PID")
	for (( i = 0; i < 100; i++ )); do
		kill -0 "$A5C_NATS_PID" 2>/dev/null || a5_fail "nats-server exited: $(tail -n 5 "$A5_TMP/nats.log")"
		(( $(grep -c 'Server is ready' "$A5_TMP/nats.log") > ${n0:-0} )) && a5_tcp "$A5C_NS_HUB" "$A5C_HUB_IP" "$A5C_NATS_PORT" 1 &&
			return 0
		sleep 0.1
	done
	a5_fail "nats-server not ready within 10 s: $(tail -n 5 "$A5_TMP/nats.log")"
}

# a5c_stop_nats: SIGTERM to nats-server (its JetStream store stays).
a5c_stop_nats() {
	[ -n "$A5C_NATS_PID" ] || return 0
	a5_kill_pid "$A5C_NATS_PID" 10
	wait "$A5C_NATS_PID" 2>/dev/null
	A5C_NATS_PID=
}

# a5c_keygen NAME: a key pair in $A5_TMP/keys/NAME; the public key text in
# A5C_PK[NAME]. Members and extra identities (observers, rogue keys).
a5c_keygen() {
	local dir="$A5_TMP/keys/$1" pk
	mkdir -p "$dir"
	"$A5_BIN" keygen -o "$dir" >"$dir/keygen.out" 2>&1 || a5_fail "keygen $1: $(cat "$dir/keygen.out")"
	pk=$(cat "$dir/member.pub")
	[ -n "$pk" ] || a5_fail "keygen $1: empty public key"
	A5C_PK[$1]=$pk
}
a5c_key() { echo "$A5_TMP/keys/$1/member.key"; }

# a5c_write_charter [EXTRA LINES...]: every member (role member, its own
# address as its prefix), then the extra lines (more members, policy).
a5c_write_charter() {
	local m l
	{
		echo "# article5 e2e coalition charter (generated)"
		echo "coalition $A5C_COALITION"
		echo "nats $A5C_NATS_URL"
		for m in "${A5C_MEMBERS[@]}"; do
			echo "member $m ${A5C_PK[$m]} member ${A5C_IP[$m]}/32"
		done
		for l in "$@"; do echo "$l"; done
	} >"$A5C_CHARTER"
}

# a5c_write_config NAME [EXTRA LINES...]: the member's daemon configuration.
a5c_write_config() {
	local m=$1 l
	shift
	mkdir -p "${A5C_DIR[$m]}/state"
	[ -e "${A5C_DIR[$m]}/auth.log" ] || : >"${A5C_DIR[$m]}/auth.log"
	{
		echo "# article5 e2e configuration of coalition member $m (generated)"
		echo "mode enforce"
		echo "state_dir ${A5C_DIR[$m]}/state"
		echo "rules_dir $A5_ROOT/etc/rules"
		echo "rules_local none"
		echo "control_socket ${A5C_DIR[$m]}/control.sock"
		echo "source file ${A5C_DIR[$m]}/auth.log"
		echo "maxretry 3"
		echo "findtime 10m"
		echo "bantime 1h"
		echo "service sshd maxretry 3 findtime 10m bantime 1h"
		echo "coalition $A5C_CHARTER"
		echo "identity $(a5c_key "$m")"
		for l in "$@"; do echo "$l"; done
	} >"${A5C_DIR[$m]}/article5.conf"
}
a5c_conf() { echo "${A5C_DIR[$1]}/article5.conf"; }

# a5c_start_sshd NAME: a real sshd in the member's namespace on its address,
# its log (syslog format, see a5__sshd_logger) in $A5_TMP/NAME/auth.log.
a5c_start_sshd() {
	local m=$1 dir=${A5C_DIR[$1]} pid i
	if [ ! -d /run/sshd ]; then
		mkdir -m 755 /run/sshd && A5_RUNSSHD_CREATED=1
	fi
	ssh-keygen -q -t ed25519 -N '' -C "a5-e2e-$m" -f "$dir/ssh_host_ed25519_key" ||
		a5_fail "ssh-keygen for $m"
	cat >"$dir/sshd_config" <<-EOF
	# article5 e2e: sshd of coalition member $m, confined to its namespace
	ListenAddress ${A5C_IP[$m]}
	Port 22
	HostKey $dir/ssh_host_ed25519_key
	PidFile $dir/sshd.pid
	PasswordAuthentication yes
	KbdInteractiveAuthentication no
	PubkeyAuthentication yes
	PermitRootLogin no
	UsePAM ${A5_SSHD_PAM:-yes}
	MaxAuthTries 6
	MaxStartups 50
	LoginGraceTime 20
	LogLevel INFO
	PrintMotd no
	X11Forwarding no
	AllowTcpForwarding no
	AuthorizedKeysFile none
	EOF
	/usr/sbin/sshd -t -f "$dir/sshd_config" 2>"$dir/sshd-t.err" ||
		a5_fail "sshd -t rejects the config of $m: $(cat "$dir/sshd-t.err")"
	: >>"$dir/auth.log"
	: >"$dir/auth.timing"
	rm -f "$dir/sshd.fifo"
	mkfifo "$dir/sshd.fifo" || a5_fail "mkfifo"
	ip netns exec "${A5C_NS[$m]}" /usr/sbin/sshd -D -e -f "$dir/sshd_config" \
		</dev/null >/dev/null 2>"$dir/sshd.fifo" &
	pid=$!
	A5C_SSHD[$m]=$pid
	A5_PIDS+=("$pid")
	A5_HOSTNAME="$m" a5__sshd_logger "$pid" "$dir/sshd.fifo" "$dir/auth.log" "$dir/auth.timing" &
	A5_PIDS+=("$!")
	for (( i = 0; i < 100; i++ )); do
		grep -q "Server listening on ${A5C_IP[$m]} port 22" "$dir/auth.log" && return 0
		kill -0 "$pid" 2>/dev/null || a5_fail "sshd of $m exited: $(tail -n 5 "$dir/auth.log")"
		sleep 0.1
	done
	a5_fail "sshd of $m did not start listening within 10 s"
}

# a5c_cli NAME SUBCOMMAND [ARGS...]: an article5 client command for member
# NAME, inside its namespace.
a5c_cli() {
	local m=$1 sub=$2
	shift 2
	timeout 20 ip netns exec "${A5C_NS[$m]}" "$A5_BIN" "$sub" -c "$(a5c_conf "$m")" "$@"
}

a5c_daemon_alive() { [ -n "${A5C_DPID[$1]:-}" ] && kill -0 "${A5C_DPID[$1]}" 2>/dev/null; }

# a5c_start_daemon NAME [alone]: the member's daemon in its namespace;
# waits until the control socket answers, the nft set exists and NATS is
# connected (with "alone": not for NATS, which is down).
a5c_start_daemon() {
	local m=$1 want=true i
	[ "${2:-}" = alone ] && want=false
	echo "---- $(date '+%H:%M:%S') start" >>"${A5C_DIR[$m]}/daemon.log"
	ip netns exec "${A5C_NS[$m]}" "$A5_BIN" daemon -c "$(a5c_conf "$m")" \
		</dev/null >>"${A5C_DIR[$m]}/daemon.log" 2>&1 &
	A5C_DPID[$m]=$!
	A5_PIDS+=("$!")
	for (( i = 0; i < 150; i++ )); do
		a5c_daemon_alive "$m" || a5_fail "article5 daemon of $m exited during startup"
		if a5c_cli "$m" status --json 2>/dev/null | grep -q "\"connected\": $want" &&
			ip netns exec "${A5C_NS[$m]}" nft list set inet article5 ban4 >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	a5_fail "article5 daemon of $m not ready within 15 s (status, set ban4, NATS connection)"
}

# a5c_stop_daemon NAME [GRACE]: SIGTERM; A5C_RC = exit status or "timeout".
a5c_stop_daemon() {
	local m=$1 grace=${2:-10} pid=${A5C_DPID[$1]:-} i
	A5C_RC=
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for (( i = 0; i < grace * 10; i++ )); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		A5C_RC=timeout
	else
		wait "$pid" 2>/dev/null
		A5C_RC=$?
	fi
	A5C_DPID[$m]=
}

# a5_worker_of PID: the daemon's worker, the one child of its enforcer
# process PID (docs/privsep.md); empty if there is none right now.
a5_worker_of() {
	local kids=""
	IFS= read -r kids 2>/dev/null <"/proc/$1/task/$1/children" || true
	echo "${kids%% *}"
}

# a5_wait_gone PID [SECONDS]: until the process is gone (bounded, 5 s).
a5_wait_gone() {
	local i
	for (( i = 0; i < ${2:-5} * 20; i++ )); do
		[ -d "/proc/$1" ] || return 0
		sleep 0.05
	done
	return 1
}

# a5c_freeze_daemon NAME: SIGSTOP to both of the daemon's processes.
a5c_freeze_daemon() {
	local pid=${A5C_DPID[$1]:-} w
	[ -n "$pid" ] || return 1
	w=$(a5_worker_of "$pid")
	kill -STOP "$pid" || return 1
	[ -z "$w" ] || kill -STOP "$w"
}

# a5c_kill9_daemon NAME: SIGKILL, as a crash or a power cut would. The
# worker dies with its enforcer process (PR_SET_PDEATHSIG); this waits
# until it has, so that a restart finds the control socket free.
a5c_kill9_daemon() {
	local pid=${A5C_DPID[$1]:-} w
	[ -n "$pid" ] || return 0
	w=$(a5_worker_of "$pid")
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ -z "$w" ] || a5_wait_gone "$w" 5
	A5C_DPID[$1]=
}

# a5c_banned NAME ADDR[/LEN]: true if the address (or a prefix holding it)
# is in member NAME's kernel sets, local (ban4...) or coalition (cban4...):
# a member enforces the others' reports in the coalition sets.
a5c_banned() {
	local ns=${A5C_NS[$1]} fam=4 g
	case $2 in *:*) fam=6 ;; esac
	for g in "" c; do
		case $2 in
		*/*) ;;
		*)   ip netns exec "$ns" nft get element inet article5 "${g}ban$fam" "{ $2 }" \
			>/dev/null 2>&1 && return 0 ;;
		esac
		ip netns exec "$ns" nft get element inet article5 "${g}ban${fam}net" "{ $2 }" \
			>/dev/null 2>&1 && return 0
	done
	return 1
}

# a5c_wait_banned NAME ADDR SECONDS / a5c_wait_unbanned: polls every 20 ms.
a5c_wait_banned() {
	local deadline=$(( ${EPOCHREALTIME/[.,]/} + $3 * 1000000 ))
	while (( ${EPOCHREALTIME/[.,]/} < deadline )); do
		a5c_banned "$1" "$2" && return 0
		sleep 0.02
	done
	a5c_banned "$1" "$2"
}
a5c_wait_unbanned() {
	local deadline=$(( ${EPOCHREALTIME/[.,]/} + $3 * 1000000 ))
	while (( ${EPOCHREALTIME/[.,]/} < deadline )); do
		a5c_banned "$1" "$2" || return 0
		sleep 0.02
	done
	! a5c_banned "$1" "$2"
}

# a5c_monitor_start NAME: `nft monitor elements` in the member's namespace,
# each line stamped with EPOCHREALTIME, in $A5_TMP/NAME/nft-monitor.log.
a5c_monitor_start() {
	local m=$1 log="${A5C_DIR[$1]}/nft-monitor.log"
	: >"$log"
	ip netns exec "${A5C_NS[$m]}" nft monitor elements 2>/dev/null </dev/null > >(
		while IFS= read -r line; do
			printf '%s\t%s\n' "$EPOCHREALTIME" "$line"
		done >>"$log") &
	A5_PIDS+=("$!")
}

# a5c_monitor_time NAME REGEX [AFTER_US]: EPOCHREALTIME (us) of the first
# monitor line of NAME matching REGEX, at or after AFTER_US.
a5c_monitor_time() {
	awk -F '\t' -v re="$2" -v after="${3:-0}" '
		{ t = $1; sub(/[.,]/, "", t) }
		t + 0 >= after + 0 && $2 ~ re { print t; exit }' "${A5C_DIR[$1]}/nft-monitor.log" 2>/dev/null
}

# a5c_wait_monitor NAME REGEX SECONDS [AFTER_US]: waits for such a line and
# prints its time.
a5c_wait_monitor() {
	local deadline=$(( ${EPOCHREALTIME/[.,]/} + $3 * 1000000 )) t
	while :; do
		t=$(a5c_monitor_time "$1" "$2" "${4:-0}")
		[ -n "$t" ] && { echo "$t"; return 0; }
		(( ${EPOCHREALTIME/[.,]/} < deadline )) || return 1
		sleep 0.02
	done
}

# a5c_line_time_before NAME REGEX LIMIT_US: EPOCHREALTIME (us) of the last
# sshd line of NAME matching REGEX written at or before LIMIT_US.
a5c_line_time_before() {
	awk -F '\t' -v re="$2" -v lim="$3" '
		{ t = $1; sub(/[.,]/, "", t) }
		$2 ~ re && t + 0 <= lim + 0 { last = t }
		END { if (last != "") print last }' "${A5C_DIR[$1]}/auth.timing"
}

# a5c_member_field NAME MEMBER JQ_EXPR: a field of MEMBER's entry in NAME's
# `article5 members --json` (e.g. '.accepted', '.refused["fork"] // 0').
a5c_member_field() {
	a5c_cli "$1" members --json 2>/dev/null |
		jq -r --arg m "$2" ".[] | select(.name == \$m) | $3" 2>/dev/null
}

# a5c_ban_origin NAME PREFIX: the origin of PREFIX's ban in NAME's ledger
# (`article5 bans --json`), or nothing.
a5c_ban_origin() {
	a5c_cli "$1" bans --json 2>/dev/null |
		jq -r --arg p "$2" '.[] | select(.prefix == $p) | .origin' 2>/dev/null | head -n 1
}

a5c_dump_logs() {
	local m
	for m in "${A5C_MEMBERS[@]}"; do
		if [ -s "${A5C_DIR[$m]}/daemon.log" ]; then
			echo "---- daemon log of $m (last 25 lines of ${A5C_DIR[$m]}/daemon.log) ----"
			tail -n 25 "${A5C_DIR[$m]}/daemon.log"
		fi
	done
	if [ -s "$A5_TMP/nats.log" ]; then
		echo "---- nats-server (last 10 lines) ----"
		tail -n 10 "$A5_TMP/nats.log"
	fi
}
