#!/bin/bash
# make demo: volguard's main job, for real, in a throw-away state dir and Docker root.
# Each step is a small function; later steps (volumes, a refused mount, real containers, the
# audit) slot into STEPS below.
set -euo pipefail
cd "$(dirname "$0")/.." || exit 2
VG=${VG:-$PWD/build/volguard}
DEMO=""

say() {
	echo
	printf '%s\n' "$@"
}
# show CMD...: print the command as a user would type it, then run it.
show() {
	printf '  $ %s\n' "$*" | sed "s|^  [$] vg |  \$ volguard |; s|$DEMO|\$DEMO|g"
	"$@" 2>&1 | sed 's/^/    /'
}
vg() { "$VG" --config "$CONF" "$@"; }

step_setup() {
	[ "$(id -u)" = 0 ] || { echo "make demo runs as root (it allocates host UID ranges)" >&2; exit 2; }
	[ -x "$VG" ] || { echo "build volguard first: make" >&2; exit 2; }
	DEMO=$(mktemp -d /tmp/volguard-demo.XXXXXX)
	chmod 0755 "$DEMO"
	trap 'rm -rf --one-file-system "$DEMO"' EXIT
	mkdir -p "$DEMO/docker/containers" "$DEMO/docker/volumes"
	: >"$DEMO/subuid"
	: >"$DEMO/subgid"
	CONF=$DEMO/volguard.conf
	cat >"$CONF" <<-CONF
		[paths]
		docker_root = $DEMO/docker
		state_dir = $DEMO/state
		stage_dir = $DEMO/stage
		subuid_file = $DEMO/subuid
		subgid_file = $DEMO/subgid
	CONF
	say "volguard gives every container its own block of host user IDs, so that a" \
		"container that escapes is nobody on the host, and no other container either." \
		"This demo works in a throw-away directory, \$DEMO = $DEMO," \
		"with its own config; nothing outside it changes. Below, 'volguard' stands for" \
		"'$VG --config \$DEMO/volguard.conf'."
}

step_alloc() {
	say "1. Three containers, web, worker and db, each get a range of 65536 host IDs." \
		"   'volguard alloc NAME' prints NAME:START:COUNT, allocating a range if needed:"
	for c in web worker db; do show vg alloc "$c"; done
	say "   Inside web, UID 0 (root) is host UID $(vg alloc web --start): an unprivileged" \
		"   user on the host, distinct from worker's and db's. Container UID u is host" \
		"   UID START + u; any host ID names its container: ID / 65536."
}

step_again() {
	say "2. A name keeps its range: 'docker run --rm --name web' tomorrow gets the same IDs," \
		"   so web's files stay web's. Asking again allocates nothing:"
	show vg alloc web
}

step_list() {
	say "3. The registry is a plain file in the /etc/subuid format, with metadata:"
	show vg list
	show cat "$DEMO/state/ranges"
	say "   'volguard list --json' gives the same for scripts, for example:"
	printf '  $ %s\n' "volguard list --json | jq -c '.ranges[] | {name, start, count}'"
	vg list --json | jq -c '.ranges[] | {name, start, count}' | sed 's/^/    /'
}

step_release() {
	say "4. When db is gone for good, its range goes back to the pool, and the next" \
		"   new container gets it (first fit):"
	show vg release db
	show vg alloc cache
}

step_done() {
	say "That is volguard's job: ranges that never overlap each other, /etc/subuid" \
		"delegations or existing users; volumes reachable by exactly their containers;" \
		"no writable host-sensitive binds. 'volguard fix' repairs existing volumes and" \
		"'volguard audit' reports a host. See README.md and 'man -l man/volguard.8'."
}

# shellcheck disable=SC1091
. scripts/demo-containers.sh
STEPS=(step_setup step_alloc step_again step_list step_release step_containers step_done)
for s in "${STEPS[@]}"; do "$s"; done
