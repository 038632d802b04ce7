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
e2e_dockerd_start || { echo "dockerd cannot start: $out"; exit 2; }
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

# volguard-runc's own work on create, with `true` as the runtime it hands over to.
vg_write_conf 'runtime = /bin/true'
B=$T/bundle
e2e_bundle "$B" true
cp "$B/config.json" "$T/config.orig"
: >"$T/create.ms"
for i in $(seq "$RUNS"); do
	cp "$T/config.orig" "$B/config.json"
	t0=$(date +%s%N)
	"$VGRUNC" --config "$CONF" create --bundle "$B" web >/dev/null 2>&1
	echo "scale=3; ($(date +%s%N) - $t0) / 1000000" | bc >>"$T/create.ms"
done
echo "volguard-runc create alone (runc replaced by true), median: $(median <"$T/create.ms") ms"
