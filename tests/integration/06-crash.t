#!/bin/bash
# A process killed (SIGKILL) at any moment leaves the old or the new registry, never a torn one;
# the temporary file is never read as the registry, and the lock dies with its holder.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
vg_setup
ROUNDS=${VG_CRASH_ROUNDS:-40}
for n in keep1 keep2 keep3; do vg alloc "$n" >/dev/null; done

# The writer: allocate and release names in a loop; run in its own process group.
# shellcheck disable=SC2016 # expanded by the inner shell
writer='i=0
while :; do
	i=$(((i + 1) % 7))
	"$VG" --config "$CONF" alloc "w$i" >/dev/null 2>&1
	"$VG" --config "$CONF" release "w$((i / 2))" >/dev/null 2>&1
done'
torn=0 listfail=0 kept=0 leftover=0
pid=
# A test killed from outside must not leave a writer looping forever.
# shellcheck disable=SC2016 # evaluated by the cleanup
VG_CLEANUP_HOOKS+=('[ -n "$pid" ] && kill -KILL -- "-$pid" "$pid" 2>/dev/null')
for r in $(seq 1 "$ROUNDS"); do
	VG=$VG CONF=$CONF setsid bash -c "$writer" &
	pid=$!
	# Kill only once setsid made it a group leader: a kill before that would miss the group.
	for _ in $(seq 1 1000); do
		[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] && break
		sleep 0.001
	done
	sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
	kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ -e "$T/state/.ranges.new" ] && leftover=$((leftover + 1))
	# The registry is complete: header, every line ends with a newline, and it parses.
	if [ "$(head -c 21 "$T/state/ranges")" != "# volguard registry: " ] ||
		[ "$(tail -c 1 "$T/state/ranges" | od -An -c | tr -d ' ')" != '\n' ]; then
		torn=$((torn + 1))
		diag "round $r: torn registry:" "$(cat "$T/state/ranges")"
	fi
	if ! out=$(vg list 2>&1); then
		listfail=$((listfail + 1))
		diag "round $r: $out"
	fi
	[ "$(printf '%s\n' "$out" | grep -c '^keep[123]:')" = 3 ] || kept=$((kept + 1))
done
is "$torn" 0 "$ROUNDS kills: the registry is never torn"
is "$listfail" 0 "$ROUNDS kills: the registry always parses"
is "$kept" 0 "$ROUNDS kills: the unrelated ranges are never lost"
diag "a stale .ranges.new was left by $leftover of $ROUNDS kills"

# A stale temporary file (a crash between create and rename) is never read as the registry.
printf 'bogus:0:1\n' >"$T/state/.ranges.new"
exits 0 "list ignores a stale .ranges.new" vg list
unlike "$out" "bogus" "its content is not shown"
exits 0 "alloc after a crash" vg alloc after
exits 0 "list" vg list
unlike "$out" "bogus" "the stale file did not become the registry"
ok "$([ ! -e "$T/state/.ranges.new" ]; echo $?)" "the stale file is removed by the next writer"
# The lock is not held by a dead process: a fresh alloc does not wait.
exits 0 "alloc is not blocked by a killed holder" timeout 5 "$VG" --config "$CONF" alloc again
done_testing
