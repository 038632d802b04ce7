#!/bin/bash
# The giant shapes of issue 3: a chain DEPTH directories deep (default 10,000) and one
# directory with WIDE entries (default 1,000,000). fix must complete with bounded memory and
# descriptors: prints wall time, peak RSS and the most descriptors open at once.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
VG=${VG:-$TOP/build/volguard}
DEPTH=${DEPTH:-10000} WIDE=${WIDE:-1000000}
[ "$(id -u)" = 0 ] || { echo "bench/shapes.sh runs as root"; exit 1; }
T=$(mktemp -d /var/tmp/vgshapes.XXXXXX)
trap 'rm -rf --one-file-system "$T"' EXIT
chmod 0755 "$T"
mkdir -p "$T/docker/volumes" "$T/etc"
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

# run LABEL ARGS...: fix under /usr/bin/time, with the fd count sampled while it runs
run() {
	local label=$1 pid maxfd=0 n t0 t1
	shift
	t0=$(date +%s.%N)
	/usr/bin/time -f %M -o "$T/rss" "$VG" --config "$T/etc/volguard.conf" -q "$@" >"$T/out" 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		for c in $(pgrep -P $pid); do
			n=$(find /proc/"$c"/fd -mindepth 1 2>/dev/null | wc -l)
			[ "$n" -gt "$maxfd" ] && maxfd=$n
		done
		sleep 0.05
	done
	wait $pid || { echo "$label: fix failed"; cat "$T/out"; exit 1; }
	t1=$(date +%s.%N)
	printf '%-40s %8.2f s  peak RSS %6d KiB  max fds %d\n' "$label" "$(echo "$t1 - $t0" | bc)" \
		"$(cat "$T/rss")" "$maxfd"
}

for shape in deep wide; do
	vg -q volume create "$shape" --owner shapeA
	vg -q volume share "$shape" shapeB
	D=$T/docker/volumes/$shape/_data
	if [ $shape = deep ]; then
		"$T/gentree" deep "$D" "$DEPTH"
		what="$DEPTH directories deep"
	else
		"$T/gentree" wide "$D" "$WIDE"
		what="$WIDE entries in one directory"
	fi
	run "$what: repair" fix --shift-from 0 "$shape"
	run "$what: no-op" fix "$shape"
	left=$(find "$D" -mindepth 1 -uid 0 | wc -l)
	[ "$left" = 0 ] || { echo "$shape: $left entries not shifted"; exit 1; }
	rm -rf "${D:?}"
	mkdir -p "$D"
done
