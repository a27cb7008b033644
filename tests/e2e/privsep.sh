#!/bin/sh
# privsep.sh - the daemon's two processes, end to end, inside a private
# network namespace (unshare -n: it disappears with the test):
#   - the worker runs as user article5 with no capability, no-new-privs,
#     a seccomp filter, in its own mount namespace where / is read-only and
#     only the state directory is writable; the enforcer process stays root;
#   - a ban decided by the worker reaches the kernel through the enforcer;
#   - the worker killed with SIGKILL: the kernel set keeps its bans while
#     it is down, the enforcer starts a new worker, which answers and bans;
#   - a reload reaches the enforcer process as records (it parses no text):
#     the new file applies, an allow line the reload removed still protects
#     its prefix there until a restart, and a worker started after the
#     reload runs the reloaded file;
#   - an unknown user, or `user root`, and the daemon refuses to run.
# docs/privsep.md. Exit 0 pass, 1 fail, 77 skip.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
A5=$top/build/article5
[ "$(id -u)" -eq 0 ] || { echo "skip: needs root"; exit 77; }
[ -x "$A5" ] || { echo "skip: build/article5 missing"; exit 77; }
command -v nft >/dev/null || { echo "skip: nft missing"; exit 77; }
command -v jq >/dev/null || { echo "skip: jq missing"; exit 77; }
id -u article5 >/dev/null 2>&1 || { echo "skip: no user article5 (make deps adds it)"; exit 77; }
if [ "${A5_IN_NETNS:-}" != 1 ]; then
	A5_IN_NETNS=1 exec unshare -n sh "$0" "$@"
fi
ip link set lo up

T=$(mktemp -d /tmp/a5privsep.XXXXXX)
chmod 755 "$T"	# the worker watches the log here and reaches its state_dir
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

write_conf() { # extra directive line
	cat > "$T/a5.conf" <<CONF
state_dir $T/state
rules_dir $top/etc/rules
rules_local none
control_socket $T/ctl.sock
source file $T/auth.log
maxretry 3
kernel_mirror yes
$1
CONF
}
a5() { "$A5" "$@" -c "$T/a5.conf"; }
start() {
	"$A5" daemon -c "$T/a5.conf" >>"$T/daemon.log" 2>&1 &
	pid=$!
	i=0
	while [ $i -lt 50 ] && ! a5 status >/dev/null 2>&1; do
		sleep 0.1; i=$((i + 1))
	done
	a5 status >/dev/null 2>&1 || { bad "daemon did not start"; cat "$T/daemon.log"; exit 1; }
}
worker_of() { # the one child of the enforcer process
	kids=""
	read -r kids 2>/dev/null <"/proc/$1/task/$1/children"
	echo "${kids%% *}"
}
field() { # pid Field: the value of one line of /proc/pid/status
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}
fail_lines() { # addr count
	n=0
	while [ $n -lt "$2" ]; do
		echo "$(date '+%b %e %H:%M:%S') host sshd[$((5000 + n))]: Failed password for root from $1 port $((40000 + n)) ssh2" >> "$T/auth.log"
		n=$((n + 1))
	done
}
in_set() { nft get element inet article5 ban4 "{ $1 }" >/dev/null 2>&1; }
wait_set() { # addr: up to 5 s
	i=0
	while [ $i -lt 50 ]; do in_set "$1" && return 0; sleep 0.1; i=$((i + 1)); done
	return 1
}

: > "$T/auth.log"
write_conf "allow 203.0.113.200/32"
start
w=$(worker_of "$pid")
uid=$(id -u article5)
[ -n "$w" ] || { bad "no worker process under $pid"; exit 1; }

# 1. who runs what
[ "$(field "$pid" Uid)" = 0 ] && ok "enforcer process $pid runs as root" || bad "enforcer uid $(field "$pid" Uid)"
# CAP_KILL 5, CAP_SETGID 6, CAP_SETUID 7, CAP_NET_ADMIN 12, CAP_SYS_ADMIN 21
want=00000000002010e0
pcaps="$(field "$pid" CapEff) $(field "$pid" CapPrm) $(field "$pid" CapBnd) $(field "$pid" CapInh)"
[ "$pcaps" = "$want $want $want 0000000000000000" ] &&
	ok "enforcer keeps only NET_ADMIN, SYS_ADMIN, SETUID, SETGID, KILL (effective, permitted, bounding)" ||
	bad "enforcer caps (eff prm bnd inh): $pcaps"
set -- $(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "/proc/$w/status")
[ "$1 $2 $3 $4" = "$uid $uid $uid $uid" ] && ok "worker $w runs as article5 ($uid: real, effective, saved, fs)" ||
	bad "worker uids: $*"
[ "$(awk '$1 == "Groups:"' "/proc/$w/status" | grep -cw 0)" = 0 ] && ok "worker is in no root group" ||
	bad "worker groups: $(awk '$1 == "Groups:"' "/proc/$w/status")"
caps="$(field "$w" CapEff) $(field "$w" CapPrm) $(field "$w" CapInh) $(field "$w" CapAmb)"
[ "$caps" = "0000000000000000 0000000000000000 0000000000000000 0000000000000000" ] &&
	ok "worker holds no capability (effective, permitted, inheritable, ambient)" || bad "worker caps: $caps"
[ "$(field "$w" NoNewPrivs)" = 1 ] && ok "worker: no-new-privs" || bad "worker NoNewPrivs $(field "$w" NoNewPrivs)"
[ "$(field "$w" Seccomp)" = 2 ] && ok "worker: seccomp filter (mode 2)" || bad "worker Seccomp $(field "$w" Seccomp)"

# 2. its view of the filesystem
[ "$(readlink "/proc/$w/ns/mnt")" != "$(readlink "/proc/$pid/ns/mnt")" ] &&
	ok "worker has its own mount namespace" || bad "worker shares the enforcer's mount namespace"
root_opts=$(awk '$5 == "/" { print $6 }' "/proc/$w/mountinfo" | head -n 1)
case ",$root_opts," in
*,ro,*) ok "worker sees / read-only ($root_opts)" ;;
*) bad "worker's / is mounted $root_opts" ;;
esac
state_opts=$(awk -v d="$T/state" '$5 == d { print $6 }' "/proc/$w/mountinfo" | tail -n 1)
case ",$state_opts," in
*,rw,*) ok "worker's state_dir is its one writable place ($state_opts)" ;;
*) bad "worker's state_dir is mounted '$state_opts'" ;;
esac
[ "$(stat -c %U "$T/state")" = article5 ] && [ "$(stat -c %U "$T/state/ledger.db")" = article5 ] &&
	ok "state_dir and ledger belong to article5" || bad "state_dir owner $(stat -c %U "$T/state")"
[ "$(stat -c %U "$T/ctl.sock")" = root ] && ok "control socket made by the enforcer (root, mode $(stat -c %a "$T/ctl.sock"))" ||
	bad "control socket owner $(stat -c %U "$T/ctl.sock")"

# 3. a ban decided by the worker reaches the kernel through the enforcer
fail_lines 203.0.113.10 3
wait_set 203.0.113.10 && ok "worker's ban of 203.0.113.10 is in the kernel set" || bad "203.0.113.10 not banned"
[ "$(a5 status --json | jq -r '.enforcer_pid')" = "$pid" ] && [ "$(a5 status --json | jq -r '.pid')" = "$w" ] &&
	ok "status names both processes (worker $w, enforcer $pid)" || bad "status pids: $(a5 status --json | jq -c '{pid, enforcer_pid}')"

# 4. the worker dies: the kernel keeps its bans, the enforcer starts another
kill -KILL "$w"
i=0
while [ $i -lt 20 ] && [ -d "/proc/$w" ] && [ "$(field "$w" State)" != Z ]; do sleep 0.05; i=$((i + 1)); done
in_set 203.0.113.10 && [ -z "$(worker_of "$pid")" ] &&
	ok "worker killed: no worker, and 203.0.113.10 is still in the kernel set" ||
	bad "after the kill: worker '$(worker_of "$pid")', in set: $(in_set 203.0.113.10 && echo yes || echo no)"
# The listening socket stays with the enforcer: a request made meanwhile
# waits for the new worker instead of failing.
i=0
while [ $i -lt 100 ] && [ -z "$(worker_of "$pid")" ]; do sleep 0.1; i=$((i + 1)); done
w2=$(worker_of "$pid")
if [ -n "$w2" ] && [ "$w2" != "$w" ] && a5 status >/dev/null 2>&1; then
	ok "enforcer started a new worker $w2 about $((i / 10)).$((i % 10)) s after the kill, which answers"
else
	bad "no new worker answered within 10 s"
fi
grep -q "the worker was killed by signal 9; restarting it" "$T/daemon.log" &&
	ok "the enforcer logged it: $(grep -o 'the worker was killed by signal 9.*' "$T/daemon.log" | head -n 1)" ||
	bad "no restart message in the log"
[ "$(field "$w2" Seccomp)" = 2 ] && [ "$(field "$w2" Uid)" = "$uid" ] &&
	ok "the new worker is confined the same way" || bad "new worker: uid $(field "$w2" Uid) seccomp $(field "$w2" Seccomp)"
fail_lines 203.0.113.11 3
wait_set 203.0.113.11 && ok "the new worker bans 203.0.113.11" || bad "203.0.113.11 not banned by the new worker"
a5 bans --json | jq -e 'map(.prefix) | index("203.0.113.10")' >/dev/null &&
	ok "the ledger still lists 203.0.113.10" || bad "203.0.113.10 gone from the ledger"

# 5. a reload: the worker reads the file and sends the enforcer process
# records; what the file allowed at start stays allowed there
write_conf ""
sed -i 's/^maxretry 3$/maxretry 2/' "$T/a5.conf"
kill -HUP "$pid"
i=0
while [ $i -lt 50 ] && ! grep -q "reloaded $T/a5.conf" "$T/daemon.log"; do sleep 0.1; i=$((i + 1)); done
fail_lines 203.0.113.12 2
wait_set 203.0.113.12 && ok "reload applied: maxretry 2" || bad "reload not applied: 203.0.113.12 not banned after 2 failures"
fail_lines 203.0.113.200 2
sleep 1
! in_set 203.0.113.200 && ok "an allow line removed by the reload still protects 203.0.113.200 in the enforcer process" ||
	bad "203.0.113.200 banned: the enforcer process dropped the allowlist of the start"
w3=$(worker_of "$pid")
kill -KILL "$w3"
i=0
while [ $i -lt 100 ] && { [ -z "$(worker_of "$pid")" ] || [ "$(worker_of "$pid")" = "$w3" ]; }; do
	sleep 0.1; i=$((i + 1))
done
i=0
while [ $i -lt 50 ] && ! a5 status >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
fail_lines 203.0.113.13 2
wait_set 203.0.113.13 && ok "a worker started after the reload runs the reloaded file (maxretry 2)" ||
	bad "the worker started after the reload runs the file of the start"

kill "$pid"; wait "$pid"; rc=$?; pid=""
[ "$rc" = 0 ] && ok "SIGTERM: both processes stopped, status 0" || bad "exit status $rc"
[ ! -e "$T/ctl.sock" ] && ok "control socket removed" || bad "control socket left behind"

# 5. never as root, never without its user
write_conf "user nosuchuser4242"
"$A5" daemon -c "$T/a5.conf" >"$T/nouser.log" 2>&1
rc=$?
[ "$rc" != 0 ] && grep -q "user nosuchuser4242 does not exist" "$T/nouser.log" &&
	ok "unknown user: refused to run (status $rc): $(grep -o 'user nosuchuser4242 does not exist[^:]*' "$T/nouser.log")" ||
	bad "unknown user: status $rc, $(cat "$T/nouser.log")"
write_conf "user root"
"$A5" daemon -c "$T/a5.conf" >"$T/root.log" 2>&1
rc=$?
[ "$rc" != 0 ] && grep -q "must not run as root" "$T/root.log" &&
	ok "user root: refused ($(grep -o '[^ ]*a5.conf:[0-9]*' "$T/root.log"))" || bad "user root: status $rc, $(cat "$T/root.log")"

if [ "$fails" -eq 0 ]; then
	echo "privsep: all checks passed"
	exit 0
fi
echo "---- daemon log ----"; cat "$T/daemon.log"
echo "privsep: $fails checks failed"
exit 1
