#!/bin/bash
# Tree shapes: a chain deeper than the walk keeps descriptors for, and a wide directory.
# The giant shapes (depth 10,000; 1,000,000 entries) are in bench/shapes.sh.
. "$(dirname "$0")/../lib.sh"
vg_setup
V=$T/docker/volumes
D=$V/s/_data
cc -O2 -o "$T/gentree" "$TOP/bench/gentree.c" || fail "build gentree"
vg -q volume create s --owner a
vg -q volume share s b
B=$(vg alloc b --start)

"$T/gentree" deep "$D" 1500
mkdir "$D/wide" && "$T/gentree" wide "$D/wide" 20000
exits 0 "fix a 1500-deep chain and a 20,000-entry directory" vg fix --shift-from 0 s
like "$out" "s: 21502 entries, 21502 changed, 0 errors" "every entry seen once and changed"
is "$(find "$D" -mindepth 1 -uid 0 | wc -l)" 0 "every entry shifted"
deepest=$(find "$D" -name f0 -path '*/d/d/*')
like "$(getfacl -cp "$deepest" 2>/dev/null | tr '\n' ' ')" "user:$B:rwx" "the deepest file has the ACL"
before=$(find "$D" -printf '%C@\n' | md5sum)
exits 0 "second pass" vg fix s
like "$out" "0 changed" "nothing to change"
is "$(find "$D" -printf '%C@\n' | md5sum)" "$before" "no ctime changed"
unlike "$out" "entries, [0-9]+/s" "no progress line when stderr is not a terminal"
run script -qec "$VG --config $CONF fix --dry-run s" /dev/null
like "$out" "s: [0-9]+ entries, [0-9]+/s" "a progress line on a terminal"
# An fd limit far below the depth: the walk must not need one descriptor per level.
exits 0 "fix under ulimit -n 32" bash -c "ulimit -n 32 && exec \"$VG\" --config \"$CONF\" fix --dry-run s"
done_testing
