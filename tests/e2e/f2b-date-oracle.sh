#!/bin/sh
# f2b-date-oracle.sh - article5's fail2ban date detection against fail2ban's
# own DateDetector (python3), over every non-comment line of fail2ban's sample
# logs, read in place. For a sample NAME the filter NAME.conf's datepattern
# is used (as fail2ban's FilterReader resolves it), else the default
# templates. Both sides get the same "now" (fail2ban's test clock, August
# 2005, so that year inference is exercised) and run in two time zones.
# Per line both say "START END TS" (byte range of the date, unix seconds),
# "START END bad" (a date text that makes no time), "START END empty" or
# "none"; the template lists built from each datepattern are compared too.
# Exit 0 when everything agrees, 1 otherwise, 77 when python3's fail2ban is
# not installed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${A5_BIN:-$root/build/article5}
logs=${F2B_LOGS:-/usr/lib/python3/dist-packages/fail2ban/tests/files/logs}
confdir=${F2B_CONFDIR:-/etc/fail2ban}
zones=${F2B_ORACLE_ZONES:-"UTC Europe/Berlin"}

py=
for p in /usr/bin/python3 python3; do
	if command -v "$p" >/dev/null 2>&1 &&
	    "$p" -c 'import fail2ban.server.datedetector' >/dev/null 2>&1; then
		py=$p
		break
	fi
done
if [ -z "$py" ] || [ ! -d "$logs" ]; then
	echo "f2b-date-oracle: python3 with fail2ban (and its sample logs) not found"
	exit 77
fi
if [ ! -x "$bin" ]; then
	echo "f2b-date-oracle: $bin not built (run make)"
	exit 1
fi

rc=0
for tz in $zones; do
	echo "== TZ=$tz"
	TZ=$tz "$py" - "$bin" "$logs" "$confdir" <<'EOF' || rc=1
import os, re, subprocess, sys, logging

logging.disable(logging.CRITICAL)
from fail2ban.server.mytime import MyTime
from fail2ban.server.datedetector import DateDetector
from fail2ban.client.filterreader import FilterReader

NOW = 1124013600  # fail2ban's TEST_NOW: 2005-08-14 12:00 CEST
binp, logs, confdir = sys.argv[1:4]
MyTime.setTime(NOW)

def datepattern(name):
    if not os.path.isfile(os.path.join(confdir, 'filter.d', name + '.conf')):
        return None
    try:
        fr = FilterReader(name, 'jail', {}, basedir=confdir)
        if not fr.read():
            return None
        fr.getOptions({})
        for opt in fr.convert():
            if len(opt) > 3 and opt[2] == 'datepattern':
                v = opt[3]
                if isinstance(v, (list, tuple)):
                    v = '\n'.join(v)
                return [p for p in map(str.strip, re.split('\n+', v)) if p]
    except Exception as e:
        print('  %s: cannot read the filter: %r' % (name, e))
    return None

def py_answers(pats, lines):
    d = DateDetector()
    if pats is None:
        d.addDefaultTemplate()
    else:
        for p in pats:
            d.appendTemplate(p)
    # fail2ban's templates are shared per process; this file starts afresh
    for t in d.templates:
        t.template.hits = 0
    tmpl = ['%d\t%d\t%s\t%s' % (i, t.flags, t.name, t.regex) for i, t in enumerate(d.templates)]
    out = []
    for line in lines:
        b = lambda i: len(line[:i].encode('utf-8', 'surrogateescape'))
        try:
            m, t = d.matchTime(line)
        except Exception as e:
            out.append('error %r' % e)
            continue
        if not m:
            out.append('none')
            continue
        s, e = m.start(1), m.end(1)
        if s < 0 or s == e:
            s = m.start() if s < 0 else s
            out.append('%d %d empty' % (b(s), b(s)))
            continue
        try:
            r = d.getTime(line[s:e], (m, t))
        except Exception:
            r = None
        if r is None:
            out.append('%d %d bad' % (b(s), b(e)))
        else:
            out.append('%d %d %d' % (b(s), b(e), int(r[0])))
    return tmpl, out

def a5(args, data):
    p = subprocess.run([binp, 'f2b-dates', '--now', str(NOW)] + args, input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode('utf-8', 'replace').splitlines(), p.stderr.decode()

files = []
for root_, dirs, names in os.walk(logs):
    dirs.sort()
    for n in sorted(names):
        files.append(os.path.join(root_, n))

total = same = differ = 0
tdiff = 0
for path in files:
    rel = os.path.relpath(path, logs)
    name = os.path.basename(path)
    with open(path, 'rb') as f:
        raw = f.read()
    lines = []
    for l in raw.split(b'\n'):
        l = l.rstrip(b'\r\n')
        if not l.strip() or l.startswith(b'#'):
            continue
        lines.append(l.decode('utf-8', 'surrogateescape'))
    if not lines:
        continue
    pats = datepattern(name) if os.path.dirname(rel) == '' else None
    args = []
    for p in pats or []:
        args += ['--datepattern', p]
    tmpl, pyout = py_answers(pats, lines)
    rc, dump, err = a5(args + ['--dump'], b'')
    if rc != 0:
        print('  %s: article5 refused the datepattern %r: %s' % (rel, pats, err.strip()))
        differ += len(lines)
        total += len(lines)
        continue
    if dump != tmpl:
        tdiff += 1
        print('  %s: template lists differ for %r' % (rel, pats))
        for a, b_ in zip(tmpl, dump):
            if a != b_:
                print('    fail2ban: %s\n    article5: %s' % (a, b_))
                break
        if len(tmpl) != len(dump):
            print('    fail2ban has %d templates, article5 %d' % (len(tmpl), len(dump)))
    data = b''.join(l.encode('utf-8', 'surrogateescape') + b'\n' for l in lines)
    rc, c_out, err = a5(args, data)
    for i, line in enumerate(lines):
        total += 1
        c = c_out[i] if i < len(c_out) else '(missing)'
        if c == pyout[i]:
            same += 1
        else:
            differ += 1
            print('  %s:%d fail2ban=%s article5=%s\n    %.160s' % (rel, i + 1, pyout[i], c, line))

print('f2b-date-oracle: lines=%d same=%d differ=%d template-lists-differ=%d' % (total, same, differ, tdiff))
sys.exit(0 if differ == 0 and tdiff == 0 else 1)
EOF
done
exit $rc
