# shellcheck shell=bash
# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
# Real containers for the end-to-end tests (tests/integration/5N-*.t). Source after tests/lib.sh
# and vg_setup. Everything is private to the test's $T: runc's state root, dockerd's socket,
# data root and exec root. The busybox root file system is built once into build/e2e/ (or
# /var/cache/volguard-tests/e2e/ when other users cannot reach the checkout) and shared
# read-only by every bundle and image.
#
# What dockerd needs on this machine (Debian 12, docker.io 20.10, containerd 1.6, cgroup v1
# hybrid with a tmpfs /sys/fs/cgroup), found by trying:
#  - nothing beyond DESIGN.md's flags: dockerd starts its own containerd (exec-root/containerd,
#    data-root/containerd) when no --containerd is given, and that containerd finds the v1
#    hierarchies by itself; there is no system containerd or dockerd to share.
#  - --bridge=none --iptables=false --ip6tables=false: no iptables, no docker0; containers run
#    with --network none.
#  - --storage-driver=vfs (E2E_STORAGE_DRIVER, default vfs): overlay2 on this ext4 also works,
#    vfs needs no mount per layer and leaves nothing mounted when dockerd is killed.
#  - the unix socket path must stay under 108 bytes: $T is /tmp/vgtest.XXXXXX, short enough.
#  - the docker.io CLI (/usr/bin/docker, 20.10) talks to it; /usr/local/bin/docker (28.x) also
#    works but negotiates down, so the CLI of the same version is preferred.
#  - start takes ~0.2-0.5 s (measured in e2e_dockerd_start, printed as a TAP comment).
#  - runc's state goes to <exec-root>/runtime-runc/moby (the --root dockerd passes), bundles to
#    <exec-root>/containerd/daemon/io.containerd.runtime.v2.task/moby/ID; a runtime registered
#    with runtimeArgs is called through a generated script, <data-root>/runtimes/NAME.
#  - the shims' sockets are hashed under /run/containerd/s; that directory is left in place
#    (another daemon may be using it).

# e2e_traversable DIR: can every user reach DIR (o+x on it and each directory above it)?
e2e_traversable() {
	local d=$1
	while [ -n "$d" ] && [ "$d" != / ]; do
		[ -d "$d" ] && [ "$(($(stat -c '0%a' "$d") & 1))" -eq 1 ] || return 1
		d=$(dirname "$d")
	done
}
# Containers in a user namespace (the range's root) must reach the root file system: a checkout
# under /root (0700) cannot hold it, so it then lives in /var/cache/volguard-tests.
if [ -z "${E2E_CACHE:-}" ]; then
	mkdir -p "$TOP/build"
	if e2e_traversable "$TOP/build"; then
		E2E_CACHE=$TOP/build/e2e
	else
		E2E_CACHE=/var/cache/volguard-tests/e2e
		mkdir -p "${E2E_CACHE%/e2e}" && chmod 0755 "${E2E_CACHE%/e2e}"
	fi
fi
E2E_IMAGE=vgbusybox
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker}
[ -x "$DOCKER_CLI" ] || DOCKER_CLI=$(command -v docker || true)
RUNC=${RUNC:-/usr/sbin/runc}
VGRUNC=$(dirname "$VG")/volguard-runc

# The top-level entries of the busybox root. runc bundles share the tree read-only, but runc
# still creates their mount points in it (/x, /c...): images are imported from these entries
# alone, so that what an image holds does not depend on which tests ran before (Docker's copy-up
# gives a new volume the mode of the image directory it is mounted on).
E2E_ROOTFS_DIRS="bin etc tmp proc sys dev root srv data home var"

e2e_require() { # e2e_require TOOL...: skip the whole file when a tool is missing
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || skip_all "$t is not installed"
	done
}

# e2e_rootfs: $E2E_ROOTFS, a busybox-static root file system (built once, atomically).
e2e_rootfs() {
	E2E_ROOTFS=$E2E_CACHE/rootfs
	[ -x "$E2E_ROOTFS/bin/sh" ] && return 0
	mkdir -p "$E2E_CACHE" && chmod 0755 "$E2E_CACHE"
	local tmp d
	tmp=$(mktemp -d "$E2E_CACHE/rootfs.XXXXXX")
	for d in $E2E_ROOTFS_DIRS var/tmp; do mkdir -p "$tmp/$d"; done
	chmod 0755 "$tmp"
	chmod 1777 "$tmp/tmp" "$tmp/var/tmp"
	cp /bin/busybox "$tmp/bin/busybox"
	# Inside the chroot the links point at /bin/busybox, as they must in the container.
	chroot "$tmp" /bin/busybox --install -s /bin
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
		>"$tmp/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/etc/group"
	# A concurrent builder may have won: then keep its tree and drop ours.
	mv -T "$tmp" "$E2E_ROOTFS" 2>/dev/null || rm -rf "$tmp"
	[ -x "$E2E_ROOTFS/bin/sh" ]
}

# e2e_rootfs_copy DEST: a copy of the busybox root (its own entries only), for an image of a
# test's own.
e2e_rootfs_copy() {
	local d
	mkdir -p "$1" && chmod 0755 "$1" || return 1
	for d in $E2E_ROOTFS_DIRS; do cp -a "$E2E_ROOTFS/$d" "$1/" || return 1; done
}

# ---- runc ----------------------------------------------------------------------------------

# e2e_bundle DIR CMD...: an OCI bundle running CMD (sh -c) on the shared read-only rootfs.
e2e_bundle() {
	local dir=$1
	shift
	mkdir -p "$dir"
	(cd "$dir" && rm -f config.json && "$RUNC" spec) || return 1
	e2e_jq "$dir" --arg root "$E2E_ROOTFS" --arg cmd "$*" '
		.root = {path: $root, readonly: true}
		| .process.terminal = false
		| .process.args = ["sh", "-c", $cmd]
		| .hostname = "e2e"'
}

# e2e_jq BUNDLE [jq args] FILTER: edit BUNDLE/config.json in place.
e2e_jq() {
	local dir=$1
	shift
	jq "$@" "$dir/config.json" >"$dir/config.json.new" && mv "$dir/config.json.new" "$dir/config.json"
}

# e2e_bind BUNDLE SRC DST ro|rw: add a bind mount.
e2e_bind() {
	local opts='["rbind","rw"]'
	[ "$4" = ro ] && opts='["rbind","ro"]'
	e2e_jq "$1" --arg s "$2" --arg d "$3" --argjson o "$opts" \
		'.mounts += [{type: "bind", source: $s, destination: $d, options: $o}]'
}

# e2e_hook BUNDLE STAGE: run `volguard prestart` at STAGE (prestart or createRuntime).
e2e_hook() {
	e2e_jq "$1" --arg vg "$VG" --arg conf "$CONF" --arg st "$2" \
		'.hooks[$st] = [{path: $vg, args: ["volguard", "--config", $conf, "prestart"]}]'
}

# e2e_userns BUNDLE START SIZE: a user namespace mapping container 0 to host START.
e2e_userns() {
	e2e_jq "$1" --argjson s "$2" --argjson n "$3" '
		.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: $s, size: $n}]
		| .linux.gidMappings = [{containerID: 0, hostID: $s, size: $n}]'
}

E2E_RUNC_IDS=()
# e2e_runc_run BUNDLE ID: runc run in the foreground with a private state root; sets $out, $rc.
e2e_runc_run() {
	E2E_RUNC_IDS+=("$2")
	run timeout -k 5 "${E2E_TIMEOUT:-60}" "$RUNC" --root "$T/runc" run --bundle "$1" "$2"
	"$RUNC" --root "$T/runc" delete -f "$2" >/dev/null 2>&1
}
e2e_runc_cleanup() {
	local id
	for id in "${E2E_RUNC_IDS[@]:-}"; do
		[ -n "$id" ] && "$RUNC" --root "$T/runc" delete -f "$id" >/dev/null 2>&1
	done
	return 0
}
VG_CLEANUP_HOOKS+=("e2e_runc_cleanup")

# ---- dockerd -------------------------------------------------------------------------------

# e2e_dockerd_start: a private dockerd on $T/d/sock with data root $T/docker (the config's
# docker_root), volguard-runc as its default runtime ("volguard") and plain runc registered as
# "plainrunc" (plus $E2E_EXTRA_RUNTIMES, JSON members such as "x": {"path": "/p"}); the busybox
# image imported as $E2E_IMAGE. Sets $E2E_DOCKERD_MS. Returns non-zero
# (with the daemon's log in $out) when it cannot start.
e2e_dockerd_start() {
	local d=$T/d t0 t1
	mkdir -p "$d"
	cat >"$d/daemon.json" <<EOF
{
  "runtimes": {
    "volguard": {"path": "$VGRUNC", "runtimeArgs": ["--config", "$CONF"]},
    "plainrunc": {"path": "$RUNC"}${E2E_EXTRA_RUNTIMES:+,$E2E_EXTRA_RUNTIMES}
  },
  "default-runtime": "${E2E_DEFAULT_RUNTIME:-volguard}"${E2E_DAEMON_EXTRA:+,$E2E_DAEMON_EXTRA}
}
EOF
	E2E_DOCKERD_DIR=$d
	# The exec root (runc's state, the bundles) is tmpfs (/run) on a real host; the tests keep
	# it in $T, the benchmark may put it on tmpfs (E2E_EXEC_ROOT).
	E2E_EXEC_ROOT=${E2E_EXEC_ROOT:-$d/exec}
	VG_CLEANUP_HOOKS+=("e2e_dockerd_stop")
	t0=$(date +%s%N)
	dockerd --iptables=false --ip6tables=false --bridge=none --storage-driver="${E2E_STORAGE_DRIVER:-vfs}" \
		--data-root "$T/docker" --exec-root "$E2E_EXEC_ROOT" --pidfile "$d/pid" \
		-H "unix://$d/sock" --config-file "$d/daemon.json" >"$d/log" 2>&1 </dev/null &
	E2E_DOCKERD_PID=$!
	for _ in $(seq 300); do
		if [ -S "$d/sock" ] && dk version >/dev/null 2>&1; then
			t1=$(date +%s%N)
			E2E_DOCKERD_MS=$(((t1 - t0) / 1000000))
			diag "dockerd ready in ${E2E_DOCKERD_MS} ms"
			# shellcheck disable=SC2086 # a list of names
			run dk import - "$E2E_IMAGE" < <(tar -C "$E2E_ROOTFS" -c $E2E_ROOTFS_DIRS)
			# shellcheck disable=SC2154 # set by run
			[ "$rc" -eq 0 ] && return 0
			return 1
		fi
		kill -0 "$E2E_DOCKERD_PID" 2>/dev/null || break
		sleep 0.1
	done
	# shellcheck disable=SC2034 # for the caller
	out=$(tail -n 20 "$d/log")
	return 1
}

# Every docker command has a deadline, so that a hung runtime fails the test instead of the suite.
dk() { timeout -k 5 "${E2E_TIMEOUT:-60}" "$DOCKER_CLI" -H "unix://$E2E_DOCKERD_DIR/sock" "$@"; }

# Stop the daemon whatever state the test left it in: containers, dockerd, its containerd,
# shims, mounts under $T.
e2e_dockerd_stop() {
	local d=${E2E_DOCKERD_DIR:-} pid cpid p ids
	[ -n "${E2E_DOCKERD_PID:-}" ] || return 0
	if kill -0 "$E2E_DOCKERD_PID" 2>/dev/null; then
		ids=$(timeout 20 "$DOCKER_CLI" -H "unix://$d/sock" ps -aq 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$ids" ] && timeout 30 "$DOCKER_CLI" -H "unix://$d/sock" rm -f $ids >/dev/null 2>&1
	fi
	pid=$E2E_DOCKERD_PID
	cpid=$(cat "$E2E_EXEC_ROOT/containerd/containerd.pid" 2>/dev/null)
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 150); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	# containerd exits with dockerd; shims outlive a killed daemon. Both found by their own
	# command line naming our exec root, and ended by process id.
	for p in ${cpid:-} $(e2e_pids_mentioning "$E2E_EXEC_ROOT"); do
		kill -KILL "$p" 2>/dev/null
	done
	e2e_umount_under "$T"
	e2e_umount_under "$E2E_EXEC_ROOT"
	E2E_DOCKERD_PID=
}

e2e_pids_mentioning() { # PIDs whose command line contains $1
	local f
	for f in /proc/[0-9]*/cmdline; do
		if { tr "\\0" " " <"$f"; } 2>/dev/null | grep -qF -- "$1"; then
			f=${f#/proc/}
			echo "${f%/cmdline}"
		fi
	done
}

e2e_umount_under() { # unmount everything below $1, deepest first
	local m
	awk -v p="$1/" 'index($5, p) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	return 0
}

# e2e_host_uid CONTAINER: the real UID of the container's first process, seen from the host.
e2e_host_uid() {
	local pid
	pid=$(dk inspect -f '{{.State.Pid}}' "$1") || return 1
	awk '/^Uid:/ { print $2 }' "/proc/$pid/status"
}
