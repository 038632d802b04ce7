#!/bin/bash
# make lint: no dependency cycle between volguard's source files.
#
# What counts as one module: src/x.c together with its header x.h (include/x.h or src/x.h),
# named x. A header without a .c (cleanup.h, vg.h, audit_internal.h, volume_internal.h...) is a
# leaf: it is no node of the graph, and what it includes is not followed (the symbol graph
# still sees every call made through it).
#
# The graph has an edge A -> B when
#   - include graph: a file of module A (a.c or a.h) has #include "b.h" and b.c exists;
#   - symbol graph: nm of the built objects: a.o has an undefined symbol that b.o defines.
# Every strongly connected component of more than one module is a cycle: it is printed with
# its files and the edges inside it (each with one include or symbol that makes it), and the
# check fails (exit 1).
#
# usage: scripts/lint-cycles.sh [--root DIR] [--obj DIR]
#          --root DIR  the tree holding src/ and include/ (default: this repository)
#          --obj DIR   the objects (*.o) built from DIR/src (default: build/, made first)
#        scripts/lint-cycles.sh --self-test
#          builds tiny fixture trees (a cycle by includes, a cycle by symbols, no cycle) and
#          checks that the first two fail naming their files and the third passes.
set -u
here=$(cd "$(dirname "$0")/.." && pwd) || exit 2

check() { # root objdir
	python3 - "$1" "$2" <<'PY'
import os, re, subprocess, sys

root, objdir = sys.argv[1], sys.argv[2]
src, inc = os.path.join(root, "src"), os.path.join(root, "include")
modules = {f[:-2] for f in os.listdir(src) if f.endswith(".c")}
edges = {m: {} for m in modules}  # a -> {b: reason}

def add(a, b, why):
    if a != b and a in modules and b in modules:
        edges[a].setdefault(b, why)

include_re = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
for d in (src, inc):
    if not os.path.isdir(d):
        continue
    for f in sorted(os.listdir(d)):
        if not f.endswith((".c", ".h")):
            continue
        with open(os.path.join(d, f), errors="replace") as fh:
            for line in fh:
                m = include_re.match(line)
                if m:
                    target = os.path.basename(m.group(1))
                    if target.endswith(".h"):
                        add(f[:-2], target[:-2], '#include "%s" in %s' % (target, f))

defined, undefined = {}, {}
objs = sorted(f for f in os.listdir(objdir) if f.endswith(".o"))
if not objs:
    sys.exit("lint-cycles: no objects in %s" % objdir)
for o in objs:
    mod = o[:-2]
    out = subprocess.run(["nm", "-P", os.path.join(objdir, o)], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            undefined.setdefault(mod, set()).add(name)
        elif kind.isupper() or kind in "vw":
            defined.setdefault(name, mod)
for mod, names in undefined.items():
    for name in sorted(names):
        if name in defined:
            add(mod, defined[name], "%s() defined in %s.o" % (name, defined[name]))

# Tarjan's strongly connected components, iterative (no recursion limit).
index, low, onstack, stack, sccs, counter = {}, {}, set(), [], [], [0]
for start in sorted(modules):
    if start in index:
        continue
    work = [(start, iter(sorted(edges[start])))]
    index[start] = low[start] = counter[0]; counter[0] += 1
    stack.append(start); onstack.add(start)
    while work:
        v, it = work[-1]
        nxt = next(it, None)
        if nxt is not None:
            if nxt not in index:
                index[nxt] = low[nxt] = counter[0]; counter[0] += 1
                stack.append(nxt); onstack.add(nxt)
                work.append((nxt, iter(sorted(edges[nxt]))))
            elif nxt in onstack:
                low[v] = min(low[v], index[nxt])
            continue
        work.pop()
        if work:
            low[work[-1][0]] = min(low[work[-1][0]], low[v])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); onstack.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

def files(m):
    out = ["src/%s.c" % m]
    for h in (os.path.join("include", m + ".h"), os.path.join("src", m + ".h")):
        if os.path.exists(os.path.join(root, h)):
            out.append(h)
    return out

for comp in sorted(sccs):
    print("cycle between %d modules: %s" % (len(comp), " ".join(f for m in comp for f in files(m))))
    for a in comp:
        for b in sorted(edges[a]):
            if b in comp:
                print("  %s -> %s: %s" % (a, b, edges[a][b]))
if sccs:
    sys.exit(1)
print("lint-cycles: no cycle among %d modules" % len(modules))
PY
}

fixture() { # dir kind: writes a tiny tree with src/, include/ and its objects in build/
	local d=$1 kind=$2
	mkdir -p "$d/src" "$d/include" "$d/build"
	printf 'int a_f(void);\n' >"$d/include/a.h"
	printf 'int b_f(void);\n' >"$d/include/b.h"
	printf 'int c_f(void);\n' >"$d/include/c.h"
	printf '#include "a.h"\n#include "b.h"\nint a_f(void) { return b_f(); }\n' >"$d/src/a.c"
	printf '#include "b.h"\n#include "c.h"\nint b_f(void) { return c_f(); }\n' >"$d/src/b.c"
	printf '#include "c.h"\nint c_f(void) { return 1; }\n' >"$d/src/c.c"
	case $kind in
	include) # c.h includes a.h: a -> b -> c -> a by includes only
		printf '#include "a.h"\nint c_f(void);\n' >"$d/include/c.h" ;;
	symbol) # c calls a_f through its own declaration: a -> b -> c -> a by symbols only
		printf '#include "c.h"\nint a_f(void);\nint c_f(void) { return a_f(); }\n' >"$d/src/c.c" ;;
	esac
	local f
	for f in a b c; do
		cc -c -I"$d/include" -o "$d/build/$f.o" "$d/src/$f.c" || return 2
	done
}

self_test() {
	local kind out rc fail=0
	tmp=$(mktemp -d) || exit 2
	trap 'rm -rf "$tmp"' EXIT
	for kind in include symbol none; do
		fixture "$tmp/$kind" "$kind" || {
			echo "lint-cycles self-test: cannot build the $kind fixture" >&2
			exit 2
		}
		out=$(check "$tmp/$kind" "$tmp/$kind/build" 2>&1)
		rc=$?
		case $kind in
		none)
			if [ "$rc" -ne 0 ]; then
				printf 'lint-cycles self-test: acyclic fixture failed:\n%s\n' "$out" >&2
				fail=1
			fi
			;;
		*)
			if [ "$rc" -ne 1 ] || ! grep -q 'cycle between 3 modules: src/a.c include/a.h src/b.c include/b.h src/c.c include/c.h' <<<"$out"; then
				printf 'lint-cycles self-test: %s cycle not found (rc %s):\n%s\n' "$kind" "$rc" "$out" >&2
				fail=1
			fi
			;;
		esac
	done
	[ "$fail" -eq 0 ] && echo "lint-cycles self-test: ok (include cycle and symbol cycle found, acyclic tree passes)"
	return "$fail"
}

root=$here obj=
while [ $# -gt 0 ]; do
	case $1 in
	--self-test) self_test; exit ;;
	--root) root=$2; shift 2 ;;
	--obj) obj=$2; shift 2 ;;
	*) echo "usage: $0 [--root DIR] [--obj DIR] | --self-test" >&2; exit 2 ;;
	esac
done
if [ -z "$obj" ]; then
	obj=$root/build
	make -s -C "$root" build/libvolguard.a build/main.o || exit 2
fi
check "$root" "$obj"
