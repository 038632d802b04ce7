#!/bin/bash
# Container start cost of volguard-runc: `docker run --rm` of a trivial container with
# volguard-runc vs plain runc as the runtime of a private dockerd, alternated, RUNS runs each,
# median ratio; then the same with a shared volume holding FILES files already stamped (a
# start must not walk it). Also the median time of volguard-runc's own `create` work alone.
# Usage: bench/start.sh [RUNS] [FILES]     (defaults 40, 100000). Prints figures, asserts nothing.
set -u
RUNS=${1:-40}
FILES=${2:-100000}
TOP=$(cd "$(dirname "$0")/.." && pwd)
. "$TOP/tests/lib.sh"
. "$TOP/tests/e2e-lib.sh"
vg_setup
vg_write_conf '
[volume "big"]
members = web:rw, worker:rw'
e2e_rootfs || { echo "cannot build the rootfs"; exit 2; }
# Bundles and runc's state on tmpfs, as under /run on a real host (fsync there is free).
E2E_EXEC_ROOT=$(mktemp -d /dev/shm/vgbench.XXXXXX)
e2e_dockerd_start || { echo "dockerd cannot start: $out"; exit 2; }
VG_CLEANUP_HOOKS+=("rm -rf --one-file-system '$E2E_EXEC_ROOT'") # after the daemon is gone
echo "dockerd start: ${E2E_DOCKERD_MS} ms"

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
	printf '%-34s volguard-runc %6.1f ms  runc %6.1f ms  ratio %.3f  added %+.1f ms\n' \
		"$label" "$a" "$b" "$(echo "$a / $b" | bc -l)" "$(echo "$a - $b" | bc -l)"
}

compare "trivial container ($RUNS runs)" --name web "$E2E_IMAGE" true

# A shared volume with FILES files, stamped by a first start of each member.
dk volume create big >/dev/null
mkdir -p "$T/docker/volumes/big/_data/d"
(cd "$T/docker/volumes/big/_data/d" && seq "$FILES" | xargs touch)
t0=$(now_ms)
timed volguard --name web -v big:/d "$E2E_IMAGE" true >/dev/null
timed volguard --name worker -v big:/d "$E2E_IMAGE" true >/dev/null
echo "first starts of web and worker (full walk of $FILES files): $(($(now_ms) - t0)) ms"
compare "shared volume, $FILES files" --name web -v big:/d "$E2E_IMAGE" true

# volguard-runc's own work on create, for a real Docker container (its files read, the
# 100,000-file shared volume prepared), with `true` as the runtime it hands over to.
id=$(dk create --network none --name web -v big:/d "$E2E_IMAGE" true)
B=$E2E_EXEC_ROOT/bundle
e2e_bundle "$B" true
e2e_bind "$B" "$T/docker/volumes/big/_data" /d rw
cp "$B/config.json" "$T/config.orig"
# The same config with `true` as the runtime, in a file of its own.
main_conf=$CONF
CONF=$T/etc/true.conf
vg_write_conf 'runtime = /bin/true
[volume "big"]
members = web:rw, worker:rw'
true_conf=$CONF
CONF=$main_conf
printf '#!/bin/sh\ncp "%s" "%s"\n' "$T/config.orig" "$B/config.json" >"$T/prepare.sh"
chmod +x "$T/prepare.sh"
cp "$T/config.orig" "$B/config.json"
"$VGRUNC" --config "$true_conf" create --bundle "$B" "$id" || echo "create failed" >&2
hyperfine -N --warmup 3 --runs "$RUNS" --prepare "$T/prepare.sh" --export-json "$T/create.json" \
	"$VGRUNC --config $true_conf create --bundle $B $id" >/dev/null 2>&1
echo "volguard-runc create alone (Docker container web, shared volume of $FILES files; runc"
printf '  replaced by true, hyperfine): median %.1f ms, mean %.1f ms\n' \
	"$(jq '.results[0].median * 1000' "$T/create.json")" "$(jq '.results[0].mean * 1000' "$T/create.json")"
