#!/bin/sh
# f2b-conf-oracle.sh - differential test of article5's fail2ban filter reader
# (src/f2b/f2b_conf.c) against fail2ban's own (Python, FilterReader as
# fail2ban-regex uses it): for every filter in $F2B_DIR/filter.d/*.conf, in
# its default mode, in each mode it declares (the NAME of its
# `<PREFIX-<mode>>` options), with logtype=journal (a systemd jail) and with
# a few other options, the resolved prefregex, failregex list,
# ignoreregex list, datepatterns, maxlines and journalmatch must be
# identical, line for line. The filters are read in place, never copied.
# Exit 0 pass, 1 fail, 77 skipped (no fail2ban, no Python fail2ban, no binary).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${A5_BIN:-$root/build/article5}
dir=${F2B_DIR:-/etc/fail2ban}

skip() { echo "f2b-conf-oracle: skipped: $*"; exit 77; }
[ -x "$bin" ] || skip "$bin not built (run make)"
[ -d "$dir/filter.d" ] || skip "no $dir/filter.d"
py=
for p in python3 /usr/bin/python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import fail2ban.client.filterreader' 2>/dev/null; then
		py=$p
		break
	fi
done
[ -n "$py" ] || skip "no Python with the fail2ban package"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/a5f2boracle.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

compare() { # DIR LABEL
cdir=$1 label=$2
rm -rf "$tmp/py" "$tmp/c"
mkdir -p "$tmp/py" "$tmp/c"
# fail2ban's view: one file per case (FILTER@MODE, MODE "-" for the default)
# and the list of cases.
"$py" - "$cdir" "$tmp/py" >"$tmp/cases" 2>"$tmp/py.err" <<'PYEOF'
import glob, logging, os, re, sys
logging.disable(logging.CRITICAL)
from fail2ban.client.filterreader import FilterReader

basedir, out = sys.argv[1], sys.argv[2]

def resolve(name, opts):
	r = FilterReader(name, 'oracle', dict(opts), basedir=basedir)
	if not r.read():
		raise ValueError('cannot read')
	r.applyAutoOptions('auto')
	r.getOptions(None)
	o = r.getCombined()
	lines = []
	if o.get('prefregex') is not None:
		lines.append('prefregex\t' + o['prefregex'])
	for k in ('failregex', 'ignoreregex'):
		v = o.get(k)
		if v is None:
			continue
		lines += [k + '\t' + l for l in v.split('\n') if l != '']
	v = o.get('datepattern')
	if v is not None:
		lines += ['datepattern\t' + l.strip() for l in re.split('\n+', v) if l.strip()]
	ml = o.get('maxlines')
	lines.append('maxlines\t%d' % (ml if ml is not None else 1))
	v = o.get('journalmatch')
	if v:
		lines += ['journalmatch\t' + l for l in v.split('\n') if l != '']
	return r, lines

def modes(r):
	cfg = r._cfg
	raw = []
	keys = set(cfg.get_defaults())
	for sec in cfg.sections():
		for k, v in cfg.items(sec, raw=True):
			raw.append(v)
		keys |= set(cfg.options(sec, withDefault=False))
	pref = set()
	for v in raw:
		pref |= set(re.findall(r'<([^<>\s]+)-<mode>', v))
	found = set()
	for p in pref:
		for k in keys:
			if k.startswith(p + '-') and not k.endswith('-other'):
				found.add(k[len(p) + 1:])
	return sorted(found)

# fail2ban's own options for a few stock filters, beyond their modes
extra = {
	'sshd': [{'mode': 'aggressive', 'publickey': 'invalid'}, {'publickey': 'any'}],
	'exim-spam': [{'honeypot': 'bait@example.org'}],
	'apache-pass': [{'knocking_url': '/open-sesame/'}],
	'mongodb-auth': [{'maxlines': '5'}],
}

def case(name, kind, opts, n):
	try:
		lines = resolve(name, opts)[1]
	except Exception as e:
		lines = ['ERROR']
		sys.stderr.write('%s %r: %s\n' % (name, opts, e))
	with open(os.path.join(out, '%s@%d' % (name, n)), 'w') as f:
		f.write('\n'.join(lines) + '\n')
	spec = ';'.join('%s=%s' % kv for kv in opts.items()) or '-'
	print('%s\t%d\t%s\t%s' % (name, n, kind, spec))

for path in sorted(glob.glob(os.path.join(basedir, 'filter.d', '*.conf'))):
	name = os.path.basename(path)[:-5]
	try:
		ms = modes(resolve(name, {})[0])
	except Exception:
		ms = []
	case(name, 'default', {}, 0)
	n = 1
	for m in ms:
		case(name, 'mode', {'mode': m}, n)
		n += 1
	# a systemd jail: fail2ban sets logtype=journal (common.conf's lt_journal)
	case(name, 'journal', {'logtype': 'journal'}, n)
	n += 1
	for o in extra.get(name, []) if basedir.rstrip('/') == '/etc/fail2ban' else []:
		case(name, 'options', o, n)
		n += 1
PYEOF
[ -s "$tmp/cases" ] || { cat "$tmp/py.err"; echo "f2b-conf-oracle: fail2ban resolved nothing in $cdir"; return 1; }

fail=0 both=0
for k in default mode journal options; do eval "n_$k=0 ok_$k=0"; done
tab=$(printf '\t')
while IFS="$tab" read -r name n kind spec; do
	set -- "$cdir/filter.d/$name.conf"
	if [ "$spec" != "-" ]; then
		rest=$spec
		while [ -n "$rest" ]; do
			one=${rest%%;*}
			set -- "$@" --opt "$one"
			[ "$one" = "$rest" ] && rest= || rest=${rest#*;}
		done
	fi
	eval "n_$kind=\$((n_$kind + 1))"
	if "$bin" f2b-dump --no-where "$@" >"$tmp/c/raw" 2>"$tmp/c/err"; then
		grep -v -e '^name	' -e '^mode	' "$tmp/c/raw" >"$tmp/c/$name@$n"
	else
		echo ERROR >"$tmp/c/$name@$n"
	fi
	if cmp -s "$tmp/py/$name@$n" "$tmp/c/$name@$n"; then
		eval "ok_$kind=\$((ok_$kind + 1))"
		[ "$kind" = default ] && grep -qx ERROR "$tmp/c/$name@$n" && both=$((both + 1))
	else
		fail=$((fail + 1))
		echo "FAIL $name ($kind $spec): article5 and fail2ban differ:"
		cat "$tmp/c/err"
		diff "$tmp/py/$name@$n" "$tmp/c/$name@$n" | head -n 10 | cut -c1-200
	fi
done <"$tmp/cases"
echo "f2b-conf-oracle: $label: default mode: $ok_default/$n_default filters identical" \
    "($both refused by both); declared modes: $ok_mode/$n_mode; logtype journal:" \
    "$ok_journal/$n_journal; other options: $ok_options/$n_options"
[ "$fail" -eq 0 ]
}

# Filters written here, not fail2ban's: the corners the stock filters do
# not reach (.local and .d/ overrides with known/, [Init] against caller
# options, <known/...> tags, conditional sections, comments and empty
# lines inside values, %% and section references).
syn=$tmp/syn
mkdir -p "$syn/filter.d/over.d"
cat >"$syn/filter.d/common.conf" <<'CONF'
[DEFAULT]
_daemon = \S*
__prefix_line = ^\S+ <_daemon>(?:\[\d+\])?:\s+
[lt_file]
p = file-prefix
[lt_journal]
p = journal-prefix
CONF
cat >"$syn/filter.d/over.conf" <<'CONF'
[INCLUDES]
before = common.conf
after = over-after.conf
[Init]
who = <user>
user = root
maxlines = 2
[Definition]
_daemon = overd
mode = a
re-a = ^mode a from <HOST>$
re-b = ^mode b from <HOST>$ ; inline comment
       ^mode b again <ADDR> 100%%
failregex = %(__prefix_line)sfail for <who> from <HOST>
# a comment inside the value
            <re-<mode>>

            ^<lt_<logtype>/p> <F-USER>x</F-USER> <HOST>
ignoreregex = ^ignore <known/user>$
datepattern = ^%%Y-%%m-%%d

   {^LN-BEG}
CONF
cat >"$syn/filter.d/over-after.conf" <<'CONF'
[Definition]
journalmatch = _COMM=overd
               _COMM=overd2
CONF
cat >"$syn/filter.d/over.d/10.conf" <<'CONF'
[Definition]
re-a = ^mode a (d) from <HOST>$
CONF
cat >"$syn/filter.d/over.local" <<'CONF'
[Definition]
failregex = %(known/failregex)s
            ^local <HOST> <known/re-a>
re-a = ^local a %(known/re-a)s
CONF
cat >"$syn/filter.d/over.d/20.local" <<'CONF'
[Init]
user = admin
[Definition]
prefregex = ^<F-MLFID>%(__prefix_line)s</F-MLFID><F-CONTENT>.+</F-CONTENT>$
CONF
cat >"$syn/filter.d/cond.conf" <<'CONF'
[Definition]
failregex = ^cond <HOST> <x>
x = plain
[Definition?family=inet6]
x = six
CONF
cat >"$syn/filter.d/selfref.conf" <<'CONF'
[Definition]
failregex = ^a <failregex>
CONF
cat >"$syn/filter.d/missing.conf" <<'CONF'
[Definition]
failregex = ^a %(nothere)s <HOST>
CONF
cat >"$syn/filter.d/known.conf" <<'CONF'
[INCLUDES]
after = known-after.conf
[Init]
maxlines = 3
known/extra = from-init
[DEFAULT]
d = dflt
[Definition]
mode = m1
m1-re = ^one <HOST> %(__name__)s %(default/d)s
m2-re = ^two <HOST> <known/maxlines> <maxlines>
failregex = <<mode>-re>
            ^base <HOST> %(d)s
ignoreregex = ^ign <known/extra>
prefregex = ^<F-MLFID>\S+</F-MLFID> <F-CONTENT>.+</F-CONTENT>$ ; trailing comment
CONF
cat >"$syn/filter.d/known-after.conf" <<'CONF'
[DEFAULT]
d = after-dflt
[Definition]
failregex = <known/failregex>
            ^after <HOST> %(known/d)s
CONF
cat >"$syn/filter.d/known.local" <<'CONF'
[Init]
maxlines = 4
[Definition]
m2-re = ^local-two <HOST> %(known/m2-re)s
ignoreregex = %(known/ignoreregex)s
              ^ign2 <HOST>
CONF
cat >"$syn/filter.d/dup.conf" <<'CONF'
[Definition]
failregex = a <HOST>
failregex = b <HOST>
CONF

rc=0
compare "$dir" "$dir" || rc=1
compare "$syn" "written here" || rc=1
exit $rc
