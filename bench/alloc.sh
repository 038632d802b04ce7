#!/bin/bash
# bench/alloc.sh: the cost of `volguard alloc` on a large registry, for both [ranges]
# allocation policies (first-fit, deterministic), and the deterministic policy's collisions.
#  1. 10,000 sequential allocations from an empty registry (total, and per alloc);
#  2. one alloc of a NEW name with 10,000 existing allocations (median of RUNS; each run's
#     registry is put back afterwards, outside the timing);
#  3. one alloc of an EXISTING name (nothing written) with 10,000 allocations (median of RUNS);
#  4. deterministic only: a pool of SLOTS ranges filled to 95 %; for the allocations made around
#     25, 50, 75 and 90 % fill (+-2.5 %), the share that collided (probes > 0) and the mean probe
#     count, beside double hashing's expectation (share = fill, probes = fill / (1 - fill)).
# Times are wall clock of the whole process (exec, privileges, config, lock, parse, NSS scan,
# write, fsync, rename), read from bash's $EPOCHREALTIME: 1 us resolution.
set -euo pipefail
cd "$(dirname "$0")/.." || exit 2
VG=${VG:-$PWD/build/volguard}
N=${N:-10000}
RUNS=${RUNS:-200}
SLOTS=${SLOTS:-2000}
[ "$(id -u)" = 0 ] || { echo "bench/alloc.sh runs as root" >&2; exit 2; }
[ -x "$VG" ] || make -s all

T=$(mktemp -d /tmp/vgbench.XXXXXX)
chmod 0755 "$T"
trap 'rm -rf --one-file-system "$T"' EXIT
: >"$T/subuid"
: >"$T/subgid"
printf '00112233445566778899aabbccddeeff\n' >"$T/key"
chmod 0600 "$T/key"
# conf POLICY STATE [POOL_END]
conf() {
	cat >"$T/conf" <<CONF
[paths]
docker_root = $T/docker
state_dir = $2
subuid_file = $T/subuid
subgid_file = $T/subgid
[ranges]
# 2^30 .. 2^32-2 with ranges of 65536: 49151 ranges, room for N + RUNS
pool_end = ${3:-4294967294}
allocation = $1
allocation_key_file = $T/key
CONF
}
vg() { "$VG" --config "$T/conf" "$@"; }
now_us() { local t=${EPOCHREALTIME/./}; echo "$((10#$t))"; }
median() { sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m / 1000 }'; }
pct() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100); if (i < 1) i = 1; printf "%.2f", v[i] / 1000 }'; }

echo "volguard alloc benchmark: $(nproc) CPUs, $(uname -r), state dir on $(findmnt -no FSTYPE -T "$T")"
echo "clock: bash \$EPOCHREALTIME, resolution 1 us; times include process start"

declare -A NEW SEQ
bench_policy() {
	POLICY=$1
	conf "$POLICY" "$T/$POLICY"
	echo "--- allocation = $POLICY"
	t0=$(now_us)
	for i in $(seq 1 "$N"); do vg alloc "c$i" >/dev/null; done
	t1=$(now_us)
	total_ms=$(((t1 - t0) / 1000))
	printf '%d sequential allocations: %d ms total, %.2f ms per alloc\n' "$N" "$total_ms" \
		"$(echo "$total_ms $N" | awk '{ print $1 / $2 }')"
	[ "$(vg list | wc -l)" = "$N" ] || { echo "expected $N ranges" >&2; exit 1; }

	cp -p "$T/$POLICY/ranges" "$T/ranges.saved"
	: >"$T/new.us"
	for r in $(seq 1 "$RUNS"); do
		a=$(now_us)
		vg alloc "new$r" >/dev/null
		b=$(now_us)
		echo $((b - a)) >>"$T/new.us"
		cp -p "$T/ranges.saved" "$T/$POLICY/ranges"
	done
	: >"$T/old.us"
	for r in $(seq 1 "$RUNS"); do
		a=$(now_us)
		vg alloc "c$(((r * 37) % N + 1))" >/dev/null
		b=$(now_us)
		echo $((b - a)) >>"$T/old.us"
	done
	: >"$T/ver.us"
	for r in $(seq 1 "$RUNS"); do
		a=$(now_us)
		"$VG" --version >/dev/null
		b=$(now_us)
		echo $((b - a)) >>"$T/ver.us"
	done
	# CPU time (user + system) of the same operations, from perf stat's task-clock, which the
	# other processes on the machine do not inflate the way they inflate wall time.
	cpu_new="n/a" cpu_old="n/a"
	if command -v perf >/dev/null && perf stat -x, -e task-clock true >/dev/null 2>&1; then
		: >"$T/cpu_new"
		: >"$T/cpu_old"
		for r in $(seq 1 $((RUNS / 4))); do
			perf stat -x, -e task-clock "$VG" --config "$T/conf" alloc "cpu$r" 2>&1 >/dev/null |
				awk -F, '/task-clock/ { printf "%d\n", $1 * 1000 }' >>"$T/cpu_new"
			cp -p "$T/ranges.saved" "$T/$POLICY/ranges"
			perf stat -x, -e task-clock "$VG" --config "$T/conf" alloc "c$r" 2>&1 >/dev/null |
				awk -F, '/task-clock/ { printf "%d\n", $1 * 1000 }' >>"$T/cpu_old"
		done
		cpu_new="$(median <"$T/cpu_new") ms"
		cpu_old="$(median <"$T/cpu_old") ms"
	fi
	new=$(median <"$T/new.us")
	old=$(median <"$T/old.us")
	ver=$(median <"$T/ver.us")
	printf 'alloc of a new name, %d existing:      median %s ms (p10 %s, p90 %s) over %d runs\n' \
		"$N" "$new" "$(pct 10 <"$T/new.us")" "$(pct 90 <"$T/new.us")" "$RUNS"
	printf 'alloc of an existing name, %d existing: median %s ms (p10 %s, p90 %s) over %d runs\n' \
		"$N" "$old" "$(pct 10 <"$T/old.us")" "$(pct 90 <"$T/old.us")" "$RUNS"
	printf 'process start alone (volguard --version): median %s ms\n' "$ver"
	printf 'CPU time (perf task-clock), median of %d: new name %s, existing name %s\n' \
		$((RUNS / 4)) "$cpu_new" "$cpu_old"
	printf 'load average during the run: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	awk -v n="$new" -v v="$ver" 'BEGIN { printf "new-name alloc / target 10 ms: %.2f; / process start: %.1fx\n", n / 10, n / v }'
	NEW[$POLICY]=$new
	SEQ[$POLICY]=$total_ms
}
bench_policy first-fit
bench_policy deterministic
awk -v n="$N" -v a="${NEW[first-fit]}" -v b="${NEW[deterministic]}" -v c="${SEQ[first-fit]}" -v d="${SEQ[deterministic]}" \
	'BEGIN { printf "deterministic / first-fit: new-name alloc %.2fx, %d sequential allocations %.2fx\n", b / a, n, d / c }'

# --- collisions ------------------------------------------------------------------------------
echo "--- allocation = deterministic, a pool of $SLOTS ranges filled to 95 %"
conf deterministic "$T/coll" $((1073741824 + SLOTS * 65536 - 1))
fill=$((SLOTS * 95 / 100))
for i in $(seq 1 "$fill"); do vg alloc "c$i" >/dev/null; done
vg list | sed -n 's/^c\([0-9]*\):.* probes=\([0-9]*\).*/\1 \2/p' |
	awk -v s="$SLOTS" '{ f = ($1 - 1) / s * 100; for (p = 25; p <= 90; p += (p == 75 ? 15 : 25))
		if (f >= p - 2.5 && f < p + 2.5) { n[p]++; hit[p] += ($2 > 0); pr[p] += $2 } }
	END { for (p = 25; p <= 90; p += (p == 75 ? 15 : 25)) printf "fill %2d %%: %4d allocations, %5.1f %% collided (expected %2d %%), mean probes %.2f (expected %.2f)\n", p, n[p], 100 * hit[p] / n[p], p, pr[p] / n[p], (p / 100) / (1 - p / 100) }'
