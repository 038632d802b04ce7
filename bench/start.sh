#!/bin/bash
# Container start cost of volguard-runc, in each isolation mode: `docker run --rm` of a trivial
# container with volguard-runc vs plain runc as the runtime of a private dockerd (vfs),
# alternated, RUNS runs each, median ratio; then the same with an empty volume and with a shared
# volume holding FILES files (shift mode: stamped by a first start that walks it, so a start must
# not walk it again; userns mode: an idmapped mount, no walk at any size, so its start must cost
# what an empty volume's does). Last, the median time of volguard-runc's own `create` work
# alone, runc replaced by true (shift: the volumes prepared; userns: the private mount
# namespace, the user namespace and the idmapped clones of the root and the volume).
# Usage: bench/start.sh [RUNS] [FILES] [MODES]  (defaults 20, 1000000, "shift userns").
# Prints figures, asserts nothing. Targets (issue 11): ratio <= 1.05, create work <= 3 ms.
set -u
RUNS=${1:-20}
FILES=${2:-1000000}
MODES=${3:-shift userns}
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e-lib.sh"
vg_setup
cc -O2 -o "$T/gentree" "$TOP/bench/gentree.c" || exit 2
e2e_rootfs || {
	echo "cannot build the rootfs"
	exit 2
}
# Bundles and runc's state on tmpfs, as under /run on a real host (fsync there is free).
E2E_EXEC_ROOT=$(mktemp -d /dev/shm/vgbench.XXXXXX)
e2e_dockerd_start || {
	echo "dockerd cannot start: $out"
	exit 2
}
VG_CLEANUP_HOOKS+=("rm -rf --one-file-system '$E2E_EXEC_ROOT'") # after the daemon is gone
# userns mode's staging directory on tmpfs too, as /run/volguard is on a real host (on a busy
# ext4 each of its mkdirs cost 0.7 ms here); 0711, so that the ranges can traverse it.
STAGE=$(mktemp -d /dev/shm/vgstage.XXXXXX)
chmod 0711 "$STAGE"
VG_CLEANUP_HOOKS+=("rm -rf --one-file-system '$STAGE'")
echo "dockerd start: ${E2E_DOCKERD_MS} ms; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# timed RUNTIME ARGS...: milliseconds of one docker run
timed() {
	local rt=$1 t0
	shift
	t0=$(now_ms)
	dk run --rm --network none --runtime "$rt" "$@" >/dev/null 2>&1 || echo "run failed: $rt $*" >&2
	echo $(($(now_ms) - t0))
}
# compare LABEL ARGS...: alternate the two runtimes, print medians and ratio
compare() {
	local label=$1 i a b
	shift
	: >"$T/vg.ms"
	: >"$T/runc.ms"
	timed volguard "$@" >/dev/null # warm both paths
	timed plainrunc "$@" >/dev/null
	for i in $(seq "$RUNS"); do
		if [ $((i % 2)) -eq 0 ]; then
			timed volguard "$@" >>"$T/vg.ms"
			timed plainrunc "$@" >>"$T/runc.ms"
		else
			timed plainrunc "$@" >>"$T/runc.ms"
			timed volguard "$@" >>"$T/vg.ms"
		fi
	done
	a=$(median <"$T/vg.ms")
	b=$(median <"$T/runc.ms")
	printf '%-40s volguard-runc %6.1f ms  runc %6.1f ms  ratio %.3f  added %+.1f ms\n' \
		"$label" "$a" "$b" "$(echo "$a / $b" | bc -l)" "$(echo "$a - $b" | bc -l)"
}

# conf MODE [RUNTIME]: the config of MODE, with its own shared volume and members (a volume is
# in one model at a time) and, when given, RUNTIME instead of runc.
conf() {
	VG_ISOLATION=$1 vg_write_conf "${2:+runtime = $2}
[volume \"big-$1\"]
members = web-$1:rw, worker-$1:rw"
	sed -i "s|^stage_dir = .*|stage_dir = $STAGE|" "$CONF"
}

# create_alone MODE VOLUME WHAT: volguard-runc's own work on create for Docker's container
# web-MODE (its files read, VOLUME judged and prepared or staged), with `true` as the runtime it
# hands over to, timed by hyperfine.
create_alone() {
	local m=$1 vol=$2 what=$3 id B=$E2E_EXEC_ROOT/bundle-$1 main_conf=$CONF true_conf=$T/etc/true-$1.conf
	id=$(dk create --network none --name "web-$m" -v "$vol:/d" "$E2E_IMAGE" true)
	e2e_bundle "$B" true
	e2e_bind "$B" "$T/docker/volumes/$vol/_data" /d rw
	cp "$B/config.json" "$T/config-$m.orig"
	CONF=$true_conf
	conf "$m" /bin/true
	CONF=$main_conf
	printf '#!/bin/sh\ncp "%s" "%s"\n' "$T/config-$m.orig" "$B/config.json" >"$T/prepare-$m.sh"
	chmod +x "$T/prepare-$m.sh"
	cp "$T/config-$m.orig" "$B/config.json"
	"$VGRUNC" --config "$true_conf" create --bundle "$B" "$id" || echo "create failed ($m)" >&2
	hyperfine -N --warmup 3 --runs "$RUNS" --prepare "$T/prepare-$m.sh" \
		--export-json "$T/create-$m.json" \
		"$VGRUNC --config $true_conf create --bundle $B $id" >/dev/null 2>&1
	echo "$m: volguard-runc create alone (Docker container web-$m, $what;"
	# CPU time (user + system) is the figure a loaded machine disturbs least.
	printf '  runc replaced by true, hyperfine): median %.1f ms, mean %.1f ms, min %.1f ms, CPU %.1f ms\n' \
		"$(jq '.results[0].median * 1000' "$T/create-$m.json")" \
		"$(jq '.results[0].mean * 1000' "$T/create-$m.json")" \
		"$(jq '.results[0].min * 1000' "$T/create-$m.json")" \
		"$(jq '(.results[0].user + .results[0].system) * 1000' "$T/create-$m.json")"
	"$VGRUNC" --config "$true_conf" delete "$id" >/dev/null 2>&1 # its staging directory
	dk rm -f "$id" >/dev/null
}

bench_mode() {
	local m=$1 t0
	conf "$m"
	echo "== isolation = $m"
	compare "$m: trivial container ($RUNS runs)" --name "web-$m" "$E2E_IMAGE" true
	dk volume create "empty-$m" >/dev/null
	compare "$m: empty volume" --name "web-$m" -v "empty-$m:/d" "$E2E_IMAGE" true
	create_alone "$m" "empty-$m" "an empty volume"
	# A shared volume with FILES files; the first start of each member is timed on its own.
	dk volume create "big-$m" >/dev/null
	t0=$(now_ms)
	mkdir -p "$T/docker/volumes/big-$m/_data/d"
	"$T/gentree" tree "$T/docker/volumes/big-$m/_data/d" 100 100 $(((FILES + 9999) / 10000))
	echo "$m: $FILES files (100 x 100 directories) made in $(($(now_ms) - t0)) ms"
	t0=$(now_ms)
	timed volguard --name "web-$m" -v "big-$m:/d" "$E2E_IMAGE" true >/dev/null
	timed volguard --name "worker-$m" -v "big-$m:/d" "$E2E_IMAGE" true >/dev/null
	echo "$m: first starts of web-$m and worker-$m (shift: a full walk of $FILES files): $(($(now_ms) - t0)) ms"
	compare "$m: shared volume, $FILES files" --name "web-$m" -v "big-$m:/d" "$E2E_IMAGE" true
	create_alone "$m" "big-$m" "shared volume of $FILES files"
	rm -rf --one-file-system "$T/docker/volumes/big-$m/_data/d" # 1M files weigh on the next mode
}

# The floor under create alone: starting the binary at all (exec, dynamic linking, config).
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$T/floor.json" "$VG --config $CONF list" \
	>/dev/null 2>&1
printf 'floor: volguard list (exec + config + registry read): median %.1f ms, CPU %.1f ms\n' \
	"$(jq '.results[0].median * 1000' "$T/floor.json")" \
	"$(jq '(.results[0].user + .results[0].system) * 1000' "$T/floor.json")"
for m in $MODES; do bench_mode "$m"; done
