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
# F2B_ORACLE_LINES: generated lines per datepattern set (600)

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
import codecs, json, os, random, re, subprocess, sys, logging

logging.disable(logging.CRITICAL)
from fail2ban.server.mytime import MyTime
from fail2ban.server.datedetector import DateDetector
from fail2ban.client.filterreader import FilterReader

NOW = 1124013600  # fail2ban's TEST_NOW: 2005-08-14 12:00 CEST
binp, logs, confdir = sys.argv[1:4]
MyTime.setTime(NOW)

def datepattern(name, opts=None):
    if not os.path.isfile(os.path.join(confdir, 'filter.d', name + '.conf')):
        return None
    try:
        fr = FilterReader(name, 'jail', dict(opts or {}), basedir=confdir)
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
        if os.path.exists(os.path.join(logs, name)):
            print('  %s: cannot read the filter: %r' % (name, e))
    return None

def rec_error(e):
    rec_error.spans.append((e.start, e.end))
    return ('\ufffd', e.end)
rec_error.spans = []
codecs.register_error('a5rec', rec_error)

def decode(b):
    """fail2ban's view of a line (its decode_line: bad bytes become U+FFFD)
    and the byte offset of each of its characters."""
    rec_error.spans = []
    s = b.decode('utf-8', 'a5rec')
    offs, i, k = [], 0, 0
    for ch in s:
        offs.append(i)
        if k < len(rec_error.spans) and rec_error.spans[k][0] == i:
            i = rec_error.spans[k][1]
            k += 1
        else:
            i += len(ch.encode('utf-8'))
    offs.append(i)
    return s, offs

def py_answers(pats, blines):
    d = DateDetector()
    if pats is None:
        d.addDefaultTemplate()
    else:
        for p in pats:
            d.appendTemplate(p)
    # an empty list ({DEFAULT} alone) gets the defaults at the first search
    if not d.templates:
        d.addDefaultTemplate()
    # fail2ban's templates are shared per process; this file starts afresh
    for t in d.templates:
        t.template.hits = 0
    # (%Exk's name depends on Python's set order)
    tmpl = ['%d\t%d\t%s\t%s' % (i, t.flags, t.name.replace('Ex%k', '%Exk').replace('Ex%l', '%Exl'), t.regex)
            for i, t in enumerate(d.templates)]
    out = []
    for bl in blines:
        line, offs = decode(bl)
        b = lambda i: offs[i]
        try:
            m, t = d.matchTime(line)
        except Exception as e:
            out.append('error')	# fail2ban fails on the line itself
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

def filter_options(raw):
    """The option sets a sample log asks for (# filterOptions: JSON)."""
    sets = []
    for l in raw.split(b'\n'):
        m = re.match(rb'^#+ ?filterOptions:(.+)$', l)
        if not m:
            continue
        try:
            o = json.loads(m.group(1))
        except ValueError:
            continue
        for x in (o if isinstance(o, list) else [o]):
            x = dict((k, v) for k, v in x.items() if not k.startswith('test.'))
            if x and x not in sets:
                sets.append(x)
    return sets

def a5(args, data):
    p = subprocess.run([binp, 'f2b-dates', '--now', str(NOW)] + args, input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode('utf-8', 'replace').splitlines(), p.stderr.decode()

files = []
for root_, dirs, names in os.walk(logs):
    dirs.sort()
    for n in sorted(names):
        files.append(os.path.join(root_, n))

total = same = differ = errors = 0
tdiff = 0

def compare(label, pats, lines, now=NOW):
    """Runs both over lines with the templates of pats; counts and prints."""
    global total, same, differ, tdiff, errors
    MyTime.setTime(now)
    args = ['--now', str(now)]
    for p in pats or []:
        args += ['--datepattern', p]
    tmpl, pyout = py_answers(pats, lines)
    if os.environ.get('F2B_ORACLE_SAVE'):
        # for debugging: each compared set as JSON (now, datepatterns, lines)
        compare.n = getattr(compare, 'n', 0) + 1
        with open(os.path.join(os.environ['F2B_ORACLE_SAVE'], 'set%03d.json' % compare.n), 'w') as f:
            json.dump({'label': label, 'now': now, 'pats': pats,
                       'lines': [l.decode('latin-1') for l in lines]}, f)
    rc, dump, err = a5(args + ['--dump'], b'')
    if rc != 0:
        if tmpl and all(o == 'error' for o in pyout):
            # fail2ban takes the pattern but fails on every line
            print('  %s: %r refused by both (article5: %s)' % (label, pats, err.strip()))
            total += len(lines)
            errors += len(lines)
            return
        print('  %s: article5 refused the datepattern %r: %s' % (label, pats, err.strip()))
        differ += len(lines)
        total += len(lines)
        return
    if dump != tmpl:
        tdiff += 1
        print('  %s: template lists differ for %r' % (label, pats))
        for a, b_ in zip(tmpl, dump):
            if a != b_:
                print('    fail2ban: %s\n    article5: %s' % (a, b_))
                break
        if len(tmpl) != len(dump):
            print('    fail2ban has %d templates, article5 %d' % (len(tmpl), len(dump)))
    data = b''.join(l + b'\n' for l in lines)
    rc, c_out, err = a5(args, data)
    shown = 0
    for i, line in enumerate(lines):
        total += 1
        c = c_out[i] if i < len(c_out) else '(missing)'
        if pyout[i] == 'error':
            errors += 1
        elif c == pyout[i]:
            same += 1
        else:
            differ += 1
            if shown < 20:
                print('  %s:%d fail2ban=%s article5=%s\n    %.160r' % (label, i + 1, pyout[i], c, line))
            shown += 1

# 1. fail2ban's sample logs, with their filter's datepattern (and the one
#    each "# filterOptions:" of the sample selects)
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
        lines.append(l)
    if not lines:
        continue
    top = os.path.dirname(rel) == ''
    pats = datepattern(name) if top else None
    compare(rel, pats, lines)
    seen = [pats]
    for opts in (filter_options(raw) if top else []):
        p2 = datepattern(name, opts)
        if p2 not in seen:
            seen.append(p2)
            compare('%s%s' % (rel, json.dumps(opts, sort_keys=True)), p2, lines)
n_sample = total

# 2. generated lines: every date form fail2ban knows, good and broken, in
#    runs and mixed (the template order moves), around year ends, with
#    several datepattern sets
rnd = random.Random(5)
MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
DAY = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
def r2(a, b):
    return '%02d' % rnd.randint(a, b)
def stamp():
    Y = str(rnd.choice([2004, 2005, 2006, 2019, 2024, 2025, 2026, 2027, 1999, 2031]))
    m, d = r2(1, 12), r2(1, 31)
    if rnd.random() < 0.1:
        d = str(rnd.choice([29, 30, 31, 0, 32]))
    H, M, S = r2(0, 23), r2(0, 59), r2(0, 59)
    if rnd.random() < 0.05:
        H = str(rnd.choice([24, 25, 29]))
    if rnd.random() < 0.05:
        S = str(rnd.choice([60, 61]))
    b = rnd.choice(MON)
    if rnd.random() < 0.1:
        b = b.lower() if rnd.random() < 0.5 else b.upper()
    a = rnd.choice(DAY)
    de = '%2d' % int(d) if int(d) < 32 else d
    z = rnd.choice(['+0200', '-0000', '+02:00', 'Z', 'UTC', 'GMT', '-05', '+1345', '+2000', 'CEST', 'PDT', 'XYZ', 'utc'])
    f = str(rnd.randint(0, 999999))[:rnd.randint(1, 7)]
    ep = str(rnd.randint(900000000, 2100000000))
    forms = [
        Y + '-' + m + '-' + d + ' ' + H + ':' + M + ':' + S,
        Y + '-' + m + '-' + d + 'T' + H + ':' + M + ':' + S + '.' + f + z,
        Y + '/' + m + '/' + d + ' ' + H + ':' + M + ':' + S + ' ' + z,
        Y + '.' + m + '.' + d + '  ' + H.lstrip('0') + ':' + M + ':' + S,
        b + ' ' + de + ' ' + H + ':' + M + ':' + S,
        a + ' ' + b + ' ' + d + ' ' + H + ':' + M + ':' + S + '.' + f + ' ' + Y,
        a + ' ' + b + ' ' + d + ' ' + Y + ' ' + H + ':' + M + ':' + S,
        d + '/' + m + '/' + Y + ' ' + H + ':' + M + ':' + S,
        d + '-' + m + '-' + Y[2:] + ' ' + H + ':' + M + ':' + S,
        d + '/' + b + '/' + Y + ':' + H + ':' + M + ':' + S + ' ' + z,
        d + '-' + b + '-' + Y + ' ' + H + ':' + M + ':' + S + '.' + f,
        m + '/' + d + '/' + Y + ':' + H + ':' + M + ':' + S,
        m + '-' + d + '-' + Y + ' ' + H + ':' + M + ':' + S + '.' + f,
        ep, ep + '.' + f, ep + str(rnd.randint(100, 999)), ep + str(rnd.randint(100000, 999999)),
        H + ':' + M + ':' + S,
        '<' + m + '/' + d + '/' + Y[2:] + '@' + H + ':' + M + ':' + S + '>',
        Y[2:] + m + d + ' ' + H + ':' + M + ':' + S,
        b + ' ' + d + ', ' + Y + ' ' + str(rnd.randint(0, 13)) + ':' + M + ':' + S + ' ' + rnd.choice(['AM', 'PM', 'am', 'pm']),
        b + '-' + d + '-' + Y[2:] + ' ' + H + ':' + M + ':' + S,
        Y + m + d + 'T' + H + M + S + rnd.choice(['', 'Z', '+0100', '.123']),
        z + ' ' + b + ' ' + d + ' ' + H + ':' + M + ':' + S,
        '@4000000' + ''.join(rnd.choice('0123456789abcdef') for _ in range(17)),
        'L ' + d + '/' + m + '/' + Y + ' - ' + H + ':' + M + ':' + S,
        't=' + Y + '-' + m + '-' + d + 'T' + H + ':' + M + ':' + S + z,
        Y + ':' + m + ':' + d + '-' + H + ':' + M + ':' + S,
        H + ':' + M + ':' + S + '.' + f,
        m + '-' + d + ' ' + H + ':' + M + ':' + S,
    ]
    return rnd.choice(forms)
PRE = ['', '', '', '[', '<13>1 ', '<W>', 'host ', 'msg=audit(', '1.2.3.4 - - [', '== ', '<co ts="',
       'a -- b -- - ', 'WARNING:', 'I(', '=x=== ', 'x', '9', ' ', '[[', 'type=AVC msg=audit(']
SUF = ['', ' host sshd[123]: Failed password for root from 192.0.2.7 port 22 ssh2', ']', ':77): x',
       '" x', ' 12:00:00 more', ' 2005-01-01 00:00:00', 'x', '5', ' +0100] "GET /"', '.5']
def line():
    r = rnd.random()
    if r < 0.04:
        return ''.join(rnd.choice('0123456789:-/ .T+Z') for _ in range(rnd.randint(0, 60))).encode()
    if r < 0.06:
        return b'no date: user root from 192.0.2.%d' % rnd.randint(0, 255)
    if r < 0.12:
        # non-ASCII text, bad UTF-8 and odd spaces next to the date
        w = [b'caf\xc3\xa9 ', b'\xc3\xa9', b'\xc3\xbcber ', b'\xc2\xa0', b'\xff', b'\xe2\x82',
             b'\xe2\x80\xaf', b'\x1c', b'\xd9\xa3', b'\xef\xbb\xbf', b'\xc3\xa4b', b'K\xe2\x84\xaa ']
        return rnd.choice(w) + stamp().encode() + rnd.choice(w) + rnd.choice(SUF).encode()
    st = stamp()
    if rnd.random() < 0.03:
        # a digit from another script (Python's \\d and int() take them)
        k = rnd.randrange(len(st))
        if st[k].isdigit():
            st = st[:k] + chr(rnd.choice([0xff10, 0x660, 0x966, 0x1d7ce]) + int(st[k])) + st[k + 1:]
    return (rnd.choice(PRE) + st + rnd.choice(SUF)).encode()
def block(n):
    out = []
    while len(out) < n:
        k = rnd.randint(1, 30)
        if rnd.random() < 0.5:
            keep = rnd.getstate()
            out += [line() for _ in range(k)]
        else:
            seed = rnd.random()
            for _ in range(k):
                st = rnd.getstate()
                rnd.seed(seed)
                l = line()
                rnd.setstate(st)
                rnd.random()
                out.append(l)
    return out[:n]
extra = [None, ['{DEFAULT}'], ['{^LN-BEG}'], ['{NONE}'], ['EPOCH'], ['LEPOCH'], ['^LEPOCH'],
         ['{^LN-BEG}TAI64N'], ['TAI64N'], ['^\\[{EPOCH}\\]'], ['{DATE}'], ['{UNB}%Y-%m-%d %H:%M:%S'],
         ['%H:%M:%S**'], ['**%Y-%m-%d'], ['^%d/%b/%Y:%H:%M:%S'], ['%ExY%Exm%Exd%ExH%ExM%ExS'],
         ['(?i)%b %d %H:%M:%S', '{^LN-BEG}'], ['(?i)%Y-%m-%dT%H:%M:%S'], ['%j %Y %H:%M'], ['%a %U %Y'], ['%A %W %Y', '%Y-%m-%d'],
         ['%m/%d/%y %I:%M %p'], ['%Y-%m-%dT%H:%M:%S%Exz'], ['%d %B %Y %H:%M:%S %ExZ'],
         ['%c'], ['%x %X'], ['%Exd/%Exm/%ExY %Exk:%ExM'], ['%l:%M %p %Y-%m-%d']]
for conf in sorted(os.listdir(os.path.join(confdir, 'filter.d'))):
    if conf.endswith('.conf'):
        p = datepattern(conf[:-5])
        if p and p not in extra:
            extra.append(p)
nows = [NOW, 1104537590, 1104537610, 1767225590, 1709251200, 1740787200]
for k, pats in enumerate(extra):
    lines = block(int(os.environ.get('F2B_ORACLE_LINES', '600')))
    compare('generated%r' % (pats,), pats, lines, nows[k % len(nows)])

print('f2b-date-oracle: sample lines=%d; generated lines=%d' % (n_sample, total - n_sample))
print('f2b-date-oracle: lines=%d same=%d differ=%d (fail2ban itself failed on %d) template-lists-differ=%d'
      % (total, same, differ, errors, tdiff))
sys.exit(0 if differ == 0 and tdiff == 0 else 1)
EOF
done
exit $rc
