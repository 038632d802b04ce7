#!/bin/bash
# bench/audit.sh: `volguard audit --json` on generated Docker roots: 100, 1,000 and 5,000
# containers, each through volguard with its own range and its own private volume of 1,000
# entries (volumes capped at 1,000: 1,000,000 files), warm cache, median of RUNS runs.
# Target: under 1 s for 1,000 containers, growing linearly. Usage: bench/audit.sh [N...]
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
VG=${VG:-$TOP/build/volguard}
RUNS=${RUNS:-5}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100 1000 5000)
[ "$(id -u)" = 0 ] || { echo "bench/audit.sh: run as root" >&2; exit 2; }
[ -x "$VG" ] || { echo "bench/audit.sh: build first (make)" >&2; exit 2; }

B=$(mktemp -d /tmp/vgbench-audit.XXXXXX)
chmod 0755 "$B"
trap 'rm -rf --one-file-system "$B"' EXIT
trap 'exit 130' INT TERM
S0=1073741824

# gen N: a docker root with N containers and min(N, 1000) volumes in $B/N.
gen() {
	local n=$1 nv=$1 d="$B/$1" i start id ranges=""
	[ "$nv" -gt 1000 ] && nv=1000
	mkdir -p "$d/docker/containers" "$d/docker/volumes" "$d/state" "$d/etc"
	: >"$d/subuid"
	: >"$d/subgid"
	printf '[paths]\ndocker_root = %s/docker\nstate_dir = %s/state\nsubuid_file = %s/subuid\nsubgid_file = %s/subgid\ndaemon_config = %s/daemon.json\n' \
		"$d" "$d" "$d" "$d" "$d" >"$d/etc/volguard.conf"
	printf '{"runtimes":{"volguard":{"path":"/usr/local/bin/volguard-runc","runtimeArgs":["--config","%s/etc/volguard.conf"]}},"default-runtime":"volguard"}\n' \
		"$d" >"$d/daemon.json"
	for ((i = 0; i < n; i++)); do
		printf -v id '%064x' "$i"
		ranges+="ct$i:$((S0 + i * 65536)):65536 # container=$id"$'\n'
	done
	printf '%s' "$ranges" >"$d/state/ranges"
	# Volumes first, laid out (owner, mode, membership, stamp) by volguard itself while no
	# container file exists yet, then filled: few processes per volume.
	for ((i = 0; i < nv; i++)); do
		"$VG" --config "$d/etc/volguard.conf" -q volume create "vol$i" --owner "ct$i" >/dev/null
		mkdir "$d/docker/volumes/vol$i/_data/sub"
	done
	for ((i = 0; i < nv; i++)); do
		printf "$d/docker/volumes/vol$i/_data/f%d\n" $(seq 1 899)
		printf "$d/docker/volumes/vol$i/_data/sub/g%d\n" $(seq 1 100)
	done | xargs -d '\n' touch
	for ((i = 0; i < nv; i++)); do
		start=$((S0 + i * 65536))
		chown -R "$start:$start" "$d/docker/volumes/vol$i/_data"
	done
	for ((i = 0; i < n; i++)); do
		printf -v id '%064x' "$i"
		mkdir "$d/docker/containers/$id"
		if [ "$i" -lt "$nv" ]; then
			printf '{"ID":"%s","Name":"/ct%d","Config":{"User":"","Labels":{},"Image":"busybox"},"MountPoints":{"/data":{"Type":"volume","Name":"vol%d","Destination":"/data","RW":true}}}\n' \
				"$id" "$i" "$i" >"$d/docker/containers/$id/config.v2.json"
		else
			printf '{"ID":"%s","Name":"/ct%d","Config":{"User":"","Labels":{},"Image":"busybox"},"MountPoints":{}}\n' \
				"$id" "$i" >"$d/docker/containers/$id/config.v2.json"
		fi
		printf '{"Runtime":"volguard","UsernsMode":"","Privileged":false,"Binds":null}\n' \
			>"$d/docker/containers/$id/hostconfig.json"
	done
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run N [ARGS]: "WALL CPU", the medians in seconds of RUNS audits (after one warm-up run); CPU
# is user + system time, which other work on the machine does not inflate as it does wall time.
run() {
	local n=$1 d="$B/$1" walls=() cpus=() line
	shift
	"$VG" --config "$d/etc/volguard.conf" audit --json "$@" >"$d/out.json" || true
	for ((r = 0; r < RUNS; r++)); do
		line=$({ TIMEFORMAT='%R %U %S'; time "$VG" --config "$d/etc/volguard.conf" audit --json "$@" \
			>/dev/null 2>&1; } 2>&1 | tail -n 1)
		read -r w u s <<<"$line"
		walls+=("$w")
		cpus+=("$(echo "$u + $s" | bc -l)")
	done
	echo "$(printf '%s\n' "${walls[@]}" | median) $(printf '%s\n' "${cpus[@]}" | median)"
}

echo "volguard audit --json, median of $RUNS warm runs (wall; cpu = user + system)"
printf '%-11s %-8s %-9s %-9s %-9s %-13s %-13s %s\n' containers volumes findings "wall (s)" "cpu (s)" \
	"cpu ms/ctr" "--deep wall" "--deep cpu"
declare -A T C
for n in "${SIZES[@]}"; do
	t_gen0=$(date +%s)
	gen "$n"
	read -r t c <<<"$(run "$n")"
	findings=$(jq '.summary.total' "$B/$n/out.json")
	bad=$(jq '[.findings[] | select(.severity != "info")] | length' "$B/$n/out.json")
	[ "$bad" = 0 ] || echo "warning: $bad findings above info on the generated host" >&2
	read -r td cd <<<"$(run "$n" --deep)"
	T[$n]=$t
	C[$n]=$c
	nv=$n
	[ "$nv" -gt 1000 ] && nv=1000
	printf '%-11s %-8s %-9s %-9.3f %-9.3f %-13.3f %-13.3f %.3f   (generated in %ss, load %s)\n' \
		"$n" "$nv" "$findings" "$t" "$c" "$(echo "$c * 1000 / $n" | bc -l)" "$td" "$cd" \
		"$(($(date +%s) - t_gen0))" "$(cut -d' ' -f1 /proc/loadavg)"
	rm -rf --one-file-system "${B:?}/$n"
done
if [ -n "${T[100]:-}" ] && [ -n "${T[1000]:-}" ]; then
	printf 'ratio 1000/100 containers: wall %.1f, cpu %.1f (linear: 10)\n' \
		"$(echo "${T[1000]} / ${T[100]}" | bc -l)" "$(echo "${C[1000]} / ${C[100]}" | bc -l)"
fi
if [ -n "${T[1000]:-}" ] && [ -n "${T[5000]:-}" ]; then
	printf 'ratio 5000/1000 containers: wall %.1f, cpu %.1f (volumes stay at 1000)\n' \
		"$(echo "${T[5000]} / ${T[1000]}" | bc -l)" "$(echo "${C[5000]} / ${C[1000]}" | bc -l)"
fi
if [ -n "${T[1000]:-}" ]; then
	awk -v t="${T[1000]}" 'BEGIN { printf "target < 1 s for 1,000 containers: %s\n", (t < 1 ? "met" : "MISSED") }'
fi
