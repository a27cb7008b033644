#!/bin/sh
# root-lines.sh [SRCDIR] - counts the lines of C that run in the daemon's
# root enforcer process (docs/privsep.md, "Lines that run as root").
#
# Method: every src/*/*.c is compiled with gcc -fcallgraph-info (direct
# calls), and universal-ctags gives each function's first and last line.
# From the roots below, every function reached by a direct call is taken,
# and so is every function whose name appears in a reached function's body
# other than as a call (its address is taken: a callback, a hook), so that
# indirect calls are followed too. A function counts from its return-type
# line to its closing brace; comments and blank lines inside count.
# Declarations, headers and libraries (libnftables, libsodium, libc) do not.
#
#   run time: parent_run (the loop, the worker's messages, the kernel
#             mirror, restarts) and parent_reload (the PRIV_RELOAD hook
#             parent_setup installs); spawn's child branch, the worker, is
#             cut off at the worker hook and at worker_config (forked child).
#   start:    parent_setup and config_load (cmd_daemon reads the file
#             before anything starts).
set -eu
src=${1:-$(dirname "$0")/..}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
cflags="-std=gnu11 -D_GNU_SOURCE -Isrc -DA5_RULES_DIR=\"/\" $(pkg-config --cflags libhs libnftables 2>/dev/null)"
for f in $(ls src/*/*.c | grep -v '^src/cli/main.c$'); do
	o=$tmp/$(echo "$f" | tr / _)
	# shellcheck disable=SC2086
	gcc $cflags -O0 -w -fcallgraph-info -c "$f" -o "$o.o" -dumpbase "$o" 2>/dev/null || {
		echo "root-lines: cannot compile $f" >&2; exit 1; }
done
cat "$tmp"/*.ci >"$tmp/all.vcg"
ctags --kinds-C=f --fields=+ne --output-format=json -o "$tmp/tags.json" $(ls src/*/*.c)
python3 - "$tmp/all.vcg" "$tmp/tags.json" <<'EOF'
import json, re, sys
vcg, tagfile = sys.argv[1], sys.argv[2]
edges = {}
for m in re.finditer(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"', open(vcg).read()):
    edges.setdefault(m.group(1), set()).add(m.group(2))
funcs = {}      # node title -> (path, first, last)
byname = {}     # plain name -> titles
for line in open(tagfile):
    t = json.loads(line)
    if t.get('kind') != 'function' or 'end' not in t:
        continue
    title = t['path'] + ':' + t['name'] if t.get('file') else t['name']
    funcs[title] = (t['path'], t['line'] - 1, t['end'])
    byname.setdefault(t['name'], []).append(title)
src = {}
def body(title):
    path, a, b = funcs[title]
    if path not in src:
        src[path] = open(path).read().split('\n')
    return '\n'.join(src[path][a:b])
def resolve(name, path):
    """A name seen in a body: the static of the same file, else the global."""
    if path + ':' + name in funcs:
        return path + ':' + name
    return name if name in funcs else None
CUT = {'src/daemon/parent.c:worker_config'}
def reach(roots):
    seen, todo = set(), [r for r in roots if r in funcs]
    while todo:
        f = todo.pop()
        if f in seen or f in CUT:
            continue
        seen.add(f)
        nxt = set(t for t in edges.get(f, ()) if t in funcs)
        path = funcs[f][0]
        text = re.sub(r'/\*.*?\*/', ' ', body(f), flags=re.S)
        text = text.split('{', 1)[1] if '{' in text else text
        for m in re.finditer(r'\b([a-z_][a-z0-9_]*)\b(?!\s*\()', text):
            r = resolve(m.group(1), path)
            if r is not None:
                nxt.add(r)
        todo.extend(nxt - seen)
    return seen
def report(what, seen):
    per = {}
    for f in seen:
        path, a, b = funcs[f]
        per[path] = per.get(path, 0) + b - a
    total = sum(per.values())
    print('%s: %d lines in %d functions' % (what, total, len(seen)))
    for path in sorted(per, key=lambda p: -per[p]):
        print('  %5d  %s' % (per[path], path))
    return seen
run = report('run time (parent_run, parent_reload)',
    reach(['parent_run', 'src/daemon/parent.c:parent_reload']))
start = reach(['parent_setup', 'config_load'])
report('start only (parent_setup, config_load), not also run time', start - run)
EOF
