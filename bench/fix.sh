#!/bin/bash
# volguard fix against what an admin would run by hand, on generated trees.
#   NTOP x NSUB directories with NFILES empty files each (default 100 x 100 x 100:
#   1,000,000 files in 10,100 directories). Warm cache; every command runs twice and the
#   faster run counts. Prints seconds, ratios, peak RSS and syscalls per entry.
# Targets (issue 3): repair <= 0.5x the hand pipeline; no-op pass <= 1.5x the stat walk.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
VG=${VG:-$TOP/build/volguard}
NTOP=${NTOP:-100} NSUB=${NSUB:-100} NFILES=${NFILES:-100}
[ "$(id -u)" = 0 ] || { echo "bench/fix.sh runs as root"; exit 1; }
T=$(mktemp -d /var/tmp/vgbench.XXXXXX)
trap 'rm -rf --one-file-system "$T"' EXIT
chmod 0755 "$T"
mkdir -p "$T/docker/volumes" "$T/etc" "$T/hand"
: >"$T/subuid"
: >"$T/subgid"
cat >"$T/etc/volguard.conf" <<CONF
[paths]
docker_root = $T/docker
state_dir = $T/state
subuid_file = $T/subuid
subgid_file = $T/subgid
CONF
vg() { "$VG" --config "$T/etc/volguard.conf" "$@"; }
cc -O2 -o "$T/gentree" "$TOP/bench/gentree.c"

A=$(vg alloc benchA --start)
B=$(vg alloc benchB --start)
vg -q volume create bench --owner benchA
vg -q volume share bench benchB
DATA=$T/docker/volumes/bench/_data
entries=$((NTOP + NTOP * NSUB + NTOP * NSUB * NFILES))
echo "tree: $NTOP x $NSUB directories x $NFILES files = $entries entries (all root:root 0644/0755, no ACL)"
gen() { "$T/gentree" tree "$1" "$NTOP" "$NSUB" "$NFILES"; }

# secs CMD...: wall seconds of one run (stdout discarded); peak RSS (KiB) in $T/rss
secs() {
	local t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f %M -o "$T/rss" "$@" >/dev/null
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
min() { echo "if ($1 < $2) $1 else $2" | bc -l; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

# ---- repair: all wrong (owner root, no ACL) -> shifted into benchA's range, ACLs ----
hand() {
	chown -R -h "$A:$A" "$T/hand" &&
		setfacl -R -P -m "u:$A:rwX,u:$B:rwX,d:u:$A:rwX,d:u:$B:rwX" "$T/hand"
}
# (one round: making a tree of a million files takes longer than fixing it)
gen "$DATA"
gen "$T/hand"
find "$DATA" "$T/hand" -xdev -printf '' # warm the cache
rep_vg=$(secs "$VG" --config "$T/etc/volguard.conf" -q fix --shift-from 0 bench)
rss_repair=$(cat "$T/rss")
echo "repair: volguard fix --shift-from 0 $rep_vg s (peak RSS $rss_repair KiB)"
rep_hand=$(secs bash -c "$(declare -f hand); T=$T A=$A B=$B hand")
echo "repair: chown -R -h + setfacl -R -P $rep_hand s"
[ "$(stat -c %u "$DATA/d1/s7/f7")" = "$A" ] || { echo "repair did not shift owners"; exit 1; }
getfacl -cp "$DATA/d1/s7/f7" | grep -q "^user:$B:rwx.*effective:rw-" || { echo "repair did not set ACLs"; exit 1; }

# ---- no-op pass on the repaired tree (best of 2; getfacl once: it is slow) ----
noop_vg=999999 noop_find=999999
for _ in 1 2; do
	s=$(secs "$VG" --config "$T/etc/volguard.conf" -q fix bench)
	noop_vg=$(min "$noop_vg" "$s")
	rss_noop=$(cat "$T/rss")
	s=$(secs find "$DATA" -xdev -printf '%U %m\n')
	noop_find=$(min "$noop_find" "$s")
	echo "no-op: volguard fix $noop_vg s, find -printf $noop_find s (best so far)"
done
# -n: numeric IDs; without it getfacl asks NSS for every entry's owner and takes minutes
noop_getfacl=$(secs getfacl -R -P -n "$DATA" 2>/dev/null)
echo "no-op: getfacl -R -P -n $noop_getfacl s"
ctime_before=$(stat -c %Z "$DATA/d1/s7/f7")

# strace -c leaves out syscalls it has no name for (getxattrat, 464, in strace 6.1): perf
# counts every syscall, for the totals per entry.
perf_calls() {
	perf stat -x, -e raw_syscalls:sys_enter -o "$T/perf" -- "$@" >/dev/null 2>&1
	awk -F, '/raw_syscalls/ { print $1 }' "$T/perf"
}

# ---- syscalls per entry (strace -c -f) on the no-op pass and a fresh repair ----
strace -c -f -o "$T/strace.noop" "$VG" --config "$T/etc/volguard.conf" -q fix bench >/dev/null
perf_noop=$(perf_calls "$VG" --config "$T/etc/volguard.conf" -q fix bench)
[ "$(stat -c %Z "$DATA/d1/s7/f7")" = "$ctime_before" ] || { echo "no-op pass changed a ctime"; exit 1; }
rm -rf "${DATA:?}"/* "$T"/hand/*
gen "$DATA"
"$T/gentree" tree "$T/hand" 10 10 100 # 10,110 entries: enough for the hand pipeline's counts
strace -c -f -o "$T/strace.hand1" chown -R -h "$A:$A" "$T/hand"
strace -c -f -o "$T/strace.hand2" setfacl -R -P -m "u:$A:rwX,u:$B:rwX,d:u:$A:rwX,d:u:$B:rwX" "$T/hand"
cp -a "$DATA" "$T/data2" # the same all-wrong tree once more, for perf
strace -c -f -o "$T/strace.repair" "$VG" --config "$T/etc/volguard.conf" -q fix --shift-from 0 bench >/dev/null
rm -rf "$DATA" && mv "$T/data2" "$DATA"
perf_repair=$(perf_calls "$VG" --config "$T/etc/volguard.conf" -q fix --shift-from 0 bench)
calls() { awk '$NF == "total" { print $(NF-2) }' "$1"; }

printf '\n%-44s %10s %8s\n' "" seconds ratio
printf '%-44s %10.2f\n' "volguard fix --shift-from 0 (repair)" "$rep_vg"
printf '%-44s %10.2f %8s\n' "chown -R -h + setfacl -R -P (by hand)" "$rep_hand" \
	"$(ratio "$rep_vg" "$rep_hand")x  (target <= 0.5x)"
printf '%-44s %10.2f\n' "volguard fix (no-op, tree correct)" "$noop_vg"
printf '%-44s %10.2f %8s\n' "find -xdev -printf '%U %m\\n' (stat walk)" "$noop_find" \
	"$(ratio "$noop_vg" "$noop_find")x  (target <= 1.5x)"
printf '%-44s %10.2f %8s\n' "getfacl -R -P -n (read every ACL)" "$noop_getfacl" \
	"$(ratio "$noop_vg" "$noop_getfacl")x"
echo
echo "peak RSS: repair ${rss_repair} KiB, no-op ${rss_noop} KiB"
echo "syscalls per entry (strace -c): no-op $(echo "scale=2; $(calls "$T/strace.noop") / $entries" | bc)," \
	"repair $(echo "scale=2; $(calls "$T/strace.repair") / $entries" | bc)," \
	"by hand $(echo "scale=2; ($(calls "$T/strace.hand1") + $(calls "$T/strace.hand2")) / 10110" | bc)"
echo "all syscalls per entry (perf): no-op $(echo "scale=2; $perf_noop / $entries" | bc)," \
	"repair $(echo "scale=2; $perf_repair / $entries" | bc)"
echo "(strace -c below leaves getxattrat, syscall 464, out: one per non-directory entry)"
echo "-- no-op pass:"
cat "$T/strace.noop"
echo "-- repair:"
cat "$T/strace.repair"
