#!/bin/sh
# native-samples.sh - checks etc/rules against fail2ban's annotated sample logs.
#
# Reads the samples in place from fail2ban's package
# (/usr/lib/python3/dist-packages/fail2ban/tests/files/logs/), else from
# ../shared/corpus/fail2ban/ next to the repository; $A5_SAMPLES overrides
# both. That data belongs to another project (GPL-2.0): it is read where it
# is, never copied into this repository. Exit 77 (skipped) when none exists.
#
# MAP below says which sample files belong to which native service(s). Each
# log line preceded by "# failJSON: {...}" is an expectation for fail2ban's
# filter; `article5 scan --matches FILE` must agree:
#   match:true  -> the line is counted by one of the file's services, with
#                  the same address when "host" (or "ip4", "ip6") is an IP
#                  address (::ffff:a.b.c.d is a.b.c.d): "found";
#   match:false -> the line is not counted by the file's services: else
#                  "false". A line that another service counts is listed
#                  ("elsewhere"), not counted as false: it is false only for
#                  this filter (apache-botsearch's "client denied by server
#                  configuration" line is apache-auth's).
# A match:true line counted with another address is a false match too (it
# would ban the wrong client), and not found.
#
# What is strict, what is only reported, what is skipped (and why):
# - "# filterOptions:" lines split a file into sections. A section is strict
#   when its options include fail2ban's default or "normal" mode, or no mode
#   at all (logtype/test.condition/logging only), or a mode this project
#   implements for that file (MODES below: postfix "auth" = SASL, "rbl";
#   nginx-http-auth "auth"). Other sections (ddos, extra, aggressive, errors,
#   fallback) describe fail2ban modes we do not copy: their match:true lines
#   are reported as "extra" coverage, their match:false lines are ignored
#   (the same line is often true in one mode and false in another).
# - an entry whose "constraint" mentions a mode (aggressive/ddos/...) depends
#   on fail2ban's mode: skipped.
# - a "host" that is not an IP address (example.com) needs DNS, which the
#   daemon never does: skipped. So is 192.030.0.6: a leading zero makes an
#   octet octal to some parsers, and addr_parse refuses it on purpose.
# - DIVERGENT below: strict entries where our documented semantics differ
#   from fail2ban's on purpose, each with its reason. They are printed and
#   excluded from the figures, not silently dropped; an entry that matches
#   no line of the package's samples fails the check (stale).
#
# Prints per file and overall figures; the last line is exactly
#   native-samples: checks=N found=M false=F divergent=D
# (checks: strict match:true entries, neither skipped nor divergent). Fails
# unless every mapped file finds >= 99% of its checks and false = 0.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${A5_BIN:-$root/build/article5}

samples=${A5_SAMPLES:-}
if [ -z "$samples" ]; then
	for d in /usr/lib/python3/dist-packages/fail2ban/tests/files/logs \
		"$root/../shared/corpus/fail2ban" "$root/../../shared/corpus/fail2ban"; do
		if [ -d "$d" ]; then
			samples=$d
			break
		fi
	done
fi
if [ -z "$samples" ] || [ ! -d "$samples" ]; then
	echo "skipped: no fail2ban sample logs (fail2ban package or ../shared/corpus/fail2ban)"
	exit 77
fi
if [ ! -x "$bin" ]; then
	echo "native-samples: $bin not built (run make)"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/a5samples.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
printf 'rules_dir %s\nrules_local none\n' "$root/etc/rules" >"$tmp/a5.conf"

# sample file|native services whose counts are "found" for it. Not mapped,
# on purpose: exim-spam (SpamAssassin verdicts on delivered mail: content,
# not abuse of the server; the exim service counts protocol and envelope
# abuse) and the filters that have no native service. apache-botsearch also lists
# nginx-botsearch: combined access-log lines count there whichever server
# wrote them (docs/services.md, "one rule per line").
MAP='
sshd|sshd
sshd-journal|sshd
dropbear|dropbear
nginx-http-auth|nginx-http-auth
nginx-botsearch|nginx-botsearch
apache-botsearch|apache-botsearch nginx-botsearch
apache-auth|apache-auth
haproxy-http-auth|haproxy
postfix|postfix
exim|exim
sendmail-auth|sendmail
sendmail-reject|sendmail
dovecot|dovecot
courier-auth|courier
courier-smtp|courier
vsftpd|vsftpd
proftpd|proftpd
pure-ftpd|pure-ftpd
mysqld-auth|mysqld
mongodb-auth|mongodb
grafana|grafana
gitlab|gitlab
bitwarden|vaultwarden
'

# file|mode... : fail2ban modes whose sections are strict for that file.
MODES='
postfix auth rbl
nginx-http-auth auth
'

# files|text that identifies the log line|reason. files: one or more sample
# file names separated by spaces; the text is matched as a plain substring
# of the log line. A here-document: reasons may hold quotes.
DIVERGENT=$(cat <<'EOF_DIVERGENT'
sshd sshd-journal|for invalid user test from 127.0.0.1 port 58946 ssh2: from 10.10.1.2 port|OpenSSH writes no text after "sshN" on password lines, so the line reads as the invalid user "test from 127.0.0.1 port 58946 ssh2:" connecting from 10.10.1.2; taking the first "from" would let such a user name frame 127.0.0.1
sshd sshd-journal|ruser=sudoer rhost=192.0.2.114|pam_unix lines are context (with stacked PAM modules they are not failures, fail2ban gh-2070); fail2ban counts a user switch inside one connection, we count Failed/Invalid lines only
sshd sshd-journal|Accepted password for known from 192.0.2.114|same as above (fail2ban counts the earlier pam_unix lines on the Accepted line)
sshd sshd-journal|Accepted password for known from 192.0.2.116|same as above
sshd sshd-journal|Disconnecting invalid user admin 192.0.2.117 port 44004: Change of username|the invalid-user line of this connection was already counted; a change of user name is the same intruder on the same connection
sshd sshd-journal|Disconnected from authenticating user admin 192.0.2.6 port 33553|a preauth disconnect of an authenticating user with nothing counted is one attempt (end-auth); fail2ban counts it only in its extra/aggressive modes (see the same line there). Here its pid is reused with another address, i.e. a new connection
sshd sshd-journal|Received disconnect from 94.249.236.6: 3: Ha ha, suckers!: Auth fail [preauth]|the same pid and address as the line above, which already counted (see below)
sshd sshd-journal|Disconnecting: Too many authentication failures [preauth]|the same pid and address as the connection just above, which already counted; a pid reused by the same client cannot be told from the same connection
sshd sshd-journal|Received disconnect from 198.51.100.34: 11: Bye Bye [preauth]|"User root not allowed because account is locked" has no address; fail2ban counts it on this line, we treat it as context (a pending rule needs an address on its own line)
sshd sshd-journal|Received disconnect from 198.51.100.76 port 58846:11: Bye Bye [preauth]|"User root not allowed because account is locked" has no address; fail2ban counts it on this line, we treat it as context (a pending rule needs an address on its own line)
sshd sshd-journal|Received disconnect from 1.2.3.4: 11: Normal Shutdown, Thank you for playing [preauth]|"User root not allowed because account is locked" has no address; fail2ban counts it on this line, we treat it as context (a pending rule needs an address on its own line)
dropbear|dropbear[1335]: Exit before auth (user 'root', 10 fails)|the same connection (pid 1335, same address and port) counted its "Bad password attempt" line just above; the exit line summarises those failures, it is not a new attempt (end-auth counts only a connection with nothing counted)
dovecot|pam_unix(dovecot:auth): authentication failure|pam_unix writes this line for an attempt that Dovecot's login process also reports ("Disconnected (auth failed, N attempts)"), and with auth_verbose its passdb line too: as for sshd, pam_unix is context, so that one attempt is not counted two or three times
nginx-http-auth|user "test": password mismatch, client: 127.0.0.1, server: test|the user name holds a quote: nginx writes user, request and referrer raw, so with quotes the line is ambiguous and deliberately not matched (an htpasswd user never has one)
EOF_DIVERGENT
)

total_chk=0 total_ok=0 total_fp=0 total_div=0 total_skip=0
total_xexp=0 total_xok=0 rc=0 nfiles=0

while IFS='|' read -r name svcs; do
	[ -n "$name" ] || continue
	f=$samples/$name
	if [ ! -f "$f" ]; then
		echo "$name: absent from $samples"
		case $samples in /usr/lib/*) rc=1 ;; esac
		continue
	fi
	nfiles=$((nfiles + 1))
	if ! "$bin" scan -c "$tmp/a5.conf" --matches "$f" >"$tmp/m" 2>"$tmp/err"; then
		echo "$name: scan failed: $(cat "$tmp/err")"
		rc=1
		continue
	fi
	modes=$(printf '%s\n' "$MODES" | awk -v n="$name" '$1 == n { $1 = ""; print }')
	printf '%s\n' "$DIVERGENT" | awk -F'|' -v n="$name" 'index(" " $1 " ", " " n " ") { print $2 }' >"$tmp/div"
	awk -v name="$name" -v svcs=" $svcs " -v modes="$modes" -v divfile="$tmp/div" -v mfile="$tmp/m" '
	function isv4(h,    n, o, i) {
		# no interval expressions: mawk does not have them
		if (h !~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/)
			return 0
		n = split(h, o, ".")
		for (i = 1; i <= n; i++)
			if (o[i] + 0 > 255 || (length(o[i]) > 1 && substr(o[i], 1, 1) == "0"))
				return 0
		return 1
	}
	function norm(h) {
		h = tolower(h)
		if (h ~ /^::ffff:[0-9.]+$/)
			h = substr(h, 8)
		return h
	}
	function isip(h) {
		return isv4(h) || (h ~ /:/ && h ~ /^[0-9a-f:.]+$/)
	}
	function field(s, key,    r) {
		r = "\"" key "\"[ \t]*:[ \t]*(\"[^\"]*\"|true|false|[0-9]+)"
		if (!match(s, r))
			return ""
		s = substr(s, RSTART, RLENGTH)
		sub(/^"[^"]*"[ \t]*:[ \t]*/, "", s)
		gsub(/"/, "", s)
		return s
	}
	function strict_section(opts,    m, i, n, w) {
		if (opts == "" || opts ~ /\{\}/ || opts ~ /"mode"[ \t]*:[ \t]*"normal"/ || opts !~ /"mode"/)
			return 1
		n = split(modes, w, " ")
		for (i = 1; i <= n; i++)
			if (opts ~ ("\"mode\"[ \t]*:[ \t]*\"" w[i] "\""))
				return 1
		return 0
	}
	BEGIN {
		while ((getline l < mfile) > 0) {
			# {"line": N, "service": "S", "rule": "R", "addr": "A"}
			ln = l; sub(/^.*"line": */, "", ln); sub(/[^0-9].*$/, "", ln)
			a = l; sub(/^.*"addr": *"/, "", a); sub(/".*$/, "", a)
			r = l; sub(/^.*"rule": *"/, "", r); sub(/".*$/, "", r)
			sv = l; sub(/^.*"service": *"/, "", sv); sub(/".*$/, "", sv)
			got[ln] = norm(a); rule[ln] = sv "/" r; svc[ln] = sv
		}
		ndiv = 0
		while ((getline l < divfile) > 0)
			if (l != "")
				div[++ndiv] = l
		strict = 1; want = ""
	}
	/^# filterOptions:/ { strict = strict_section($0); next }
	/^#[ \t]*failJSON:/ { want = $0; wantsec = strict; next }
	/^#/ || /^[ \t]*$/ { next }
	{
		if (want == "")
			next
		j = want; want = ""
		m = field(j, "match"); h = field(j, "host"); c = field(j, "constraint")
		if (h == "")
			h = field(j, "ip4")
		if (h == "")
			h = field(j, "ip6")
		printed = (NR in got)
		ours = printed && index(svcs, " " svc[NR] " ")
		for (i = 1; i <= ndiv; i++)
			if (index($0, div[i])) {
				ndivs++
				printf "DIVHIT %s\n", div[i] > "/dev/stderr"
				printf "  divergent (documented) line %d: %s -> %s\n", NR, (m == "true" ? "expected" : "not expected"), (printed ? "counted " got[NR] " (" rule[NR] ")" : "not counted")
				next
			}
		if (c ~ /mode|aggressive|ddos/) { skip_c++; next }
		if (m == "true" && h != "" && !isip(norm(h))) { skip_h++; next }
		if (!wantsec) {
			if (m == "true") {
				xexp++
				if (ours && (h == "" || got[NR] == norm(h))) xok++
			}
			next
		}
		if (m == "true") {
			nchk++
			if (!printed)
				printf "  MISS line %d (want %s): %s\n", NR, (h == "" ? "any" : norm(h)), $0
			else if (h != "" && got[NR] != norm(h)) {
				fp++
				printf "  WRONG ADDRESS line %d: got %s (%s), want %s: %s\n", NR, got[NR], rule[NR], norm(h), $0
			} else if (!ours)
				printf "  OTHER SERVICE line %d: %s (%s): %s\n", NR, got[NR], rule[NR], $0
			else
				ok++
		} else if (m == "false" && ours) {
			fp++
			printf "  FALSE MATCH line %d: %s (%s): %s\n", NR, got[NR], rule[NR], $0
		} else if (m == "false" && printed)
			printf "  elsewhere line %d: %s (%s), another filter'"'"'s line: %s\n", NR, got[NR], rule[NR], $0
	}
	END {
		pct = nchk ? 100.0 * ok / nchk : 100
		printf "%s: found %d/%d (%.1f%%), false %d, divergent %d; skipped %d (mode constraint %d, not an IP address %d); extra modes %d/%d\n", name, ok + 0, nchk + 0, pct, fp + 0, ndivs + 0, skip_c + skip_h, skip_c + 0, skip_h + 0, xok + 0, xexp + 0
		printf "TOTALS %d %d %d %d %d %d %d\n", nchk, ok, fp, ndivs, skip_c + skip_h, xexp, xok > "/dev/stderr"
	}' "$f" 2>"$tmp/tot" || rc=1
	# shellcheck disable=SC2046 # split on purpose
	grep '^DIVHIT ' "$tmp/tot" | cut -c8- >>"$tmp/divhits"
	set -- $(grep '^TOTALS' "$tmp/tot")
	if [ $# -eq 8 ]; then
		total_chk=$((total_chk + $2)) total_ok=$((total_ok + $3))
		total_fp=$((total_fp + $4)) total_div=$((total_div + $5))
		total_skip=$((total_skip + $6))
		total_xexp=$((total_xexp + $7)) total_xok=$((total_xok + $8))
		if awk -v o="$3" -v e="$2" 'BEGIN { exit !(o * 100 < e * 99) }'; then
			echo "  FAIL $name: found below 99%"
			rc=1
		fi
		if [ "$4" -ne 0 ]; then
			echo "  FAIL $name: false matches"
			rc=1
		fi
	else
		cat "$tmp/tot"
		rc=1
	fi
done <<EOF_MAP
$MAP
EOF_MAP

# A DIVERGENT entry that no longer names a line would exclude nothing and
# hide nothing, but it would no longer be true: say so (when the package's
# samples are read; an older copy may lack the line).
touch "$tmp/divhits"
case $samples in /usr/lib/*)
	printf '%s\n' "$DIVERGENT" | awk -F'|' 'NF >= 3 { print $2 }' | while IFS= read -r d; do
		if ! grep -qxF -e "$d" "$tmp/divhits"; then
			echo "  STALE DIVERGENT entry (matches no line): $d"
			echo stale >>"$tmp/stale"
		fi
	done
	[ -f "$tmp/stale" ] && rc=1 ;;
esac
if [ "$nfiles" -eq 0 ]; then
	echo "native-samples: no mapped sample file in $samples"
	rc=1
fi
pct=$(awk -v o="$total_ok" -v e="$total_chk" 'BEGIN { printf "%.1f", e ? 100 * o / e : 100 }')
echo "overall ($nfiles files from $samples): found $total_ok/$total_chk ($pct%), false $total_fp, divergent $total_div, skipped $total_skip; extra modes $total_xok/$total_xexp"
echo "native-samples: checks=$total_chk found=$total_ok false=$total_fp divergent=$total_div"
exit $rc
