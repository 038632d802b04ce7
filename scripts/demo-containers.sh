# shellcheck shell=bash
# make demo, real containers: sourced by scripts/demo.sh (say, show, vg, $DEMO, $CONF, $VG).
# A private dockerd (its own socket, data root $DEMO/docker, exec root) runs volguard-runc as its
# default runtime; when dockerd cannot start here, runc with the prestart hook shows the same.

# What tests/e2e-lib.sh needs from tests/lib.sh (not sourced: its vg and TAP helpers are the
# tests' own).
TOP=$PWD
VG_CLEANUP_HOOKS=()
run() { out=$("$@" 2>&1) && rc=0 || rc=$?; }
diag() { :; }
# shellcheck disable=SC1091
. tests/e2e-lib.sh

# The command line as a user would type it: arguments with spaces quoted, dk shown as docker.
cmdline() {
	local a line=""
	for a in "$@"; do
		case "$a" in *[[:space:]\;\>\|]*) a="'$a'" ;; esac
		line="$line $a"
	done
	printf '  $%s\n' "$line" | sed "s|^  [$] dk |  \$ docker |; s|$DEMO|\$DEMO|g"
}
dshow() {
	cmdline "$@"
	"$@" 2>&1 | sed "s|$DEMO|\$DEMO|g; s/^/    /"
}
# expect_fail CMD...: like dshow, for a command that is meant to be refused.
expect_fail() {
	cmdline "$@"
	if "$@" >"$DEMO/out" 2>&1; then
		echo "    (it was not refused: that is a bug)"
	fi
	sed "s|$DEMO|\$DEMO|g; s/^/    /" "$DEMO/out"
}

step_containers() {
	# shellcheck disable=SC2034 # e2e-lib.sh works in $T
	T=$DEMO
	out=""
	cat >>"$CONF" <<-EOF

		[volume "shared"]
		members = web:rw, worker:rw
	EOF
	e2e_rootfs
	trap 'set +e; e2e_dockerd_stop; e2e_runc_cleanup; rm -rf --one-file-system "$DEMO"' EXIT
	say "5. Real containers. A private dockerd (Debian's docker.io) starts with volguard-runc" \
		"   as its default runtime:" \
		"     {\"runtimes\": {\"volguard\": {\"path\": \"$VGRUNC\"," \
		"       \"runtimeArgs\": [\"--config\", \"\$DEMO/volguard.conf\"]}}, \"default-runtime\": \"volguard\"}"
	# DEMO_NO_DOCKERD=1 shows the runc fallback.
	if [ -n "${DEMO_NO_DOCKERD:-}" ] || ! e2e_dockerd_start >/dev/null; then
		say "   dockerd cannot start on this machine:" "$out" \
			"   Showing the same with runc and the 'volguard prestart' hook instead."
		containers_runc
		return 0
	fi
	say "   dockerd was ready in ${E2E_DOCKERD_MS} ms; a busybox image is imported as $E2E_IMAGE." \
		"   The isolation mode is auto: where the kernel can idmap mounts (probed once), each" \
		"   container runs in its own user namespace. web and worker are root inside, each" \
		"   mapped to its own range outside, on the same unmodified image:"
	dshow dk run -d --network none --name web -v shared:/s -v webdata:/data "$E2E_IMAGE" \
		sh -c 'chown 33:33 /data && echo "hello from web" >> /s/log && sleep 300'
	dshow dk run --rm --network none --name worker -v shared:/s "$E2E_IMAGE" \
		sh -c 'id -u; cat /proc/self/uid_map; echo "hello from worker" >> /s/log; cat /s/log'
	say "   Seen from the host, web's processes run as its range start, not as root:"
	dshow ps -o uid=,args= -p "$(dk inspect -f '{{.State.Pid}}' web)"
	say "   On disk the volumes hold container-relative owners (33:33 is www-data in the" \
		"   container): each member sees them through an idmapped mount of its own range, so" \
		"   web and worker share 'shared' without ACLs and without a walk at any size. The" \
		"   mounts live in a private mount namespace: none shows on the host."
	dshow ls -ln "$DEMO/docker/volumes/webdata" "$DEMO/docker/volumes/shared/_data"
	say "   Mounts on the host below the staging directory (root.path and the idmapped binds):"
	# shellcheck disable=SC2016 # an awk program
	dshow awk -v d="$DEMO/stage" 'index($5, d) == 1 { n++ } END { print n + 0 }' /proc/self/mountinfo
	dshow vg list
	dk rm -f web >/dev/null 2>&1
	say "   A writable bind of /etc is refused before the container starts:"
	expect_fail dk run --rm --network none --name bad -v /etc:/x "$E2E_IMAGE" true
}

# The same story without dockerd: runc bundles, the hook at createRuntime.
containers_runc() {
	local start b
	start=$(vg alloc web --start)
	mkdir -p "$DEMO/docker/volumes/webdata/_data"
	b=$DEMO/b-web
	e2e_bundle "$b" 'id -u; echo "web was here" > /data/note'
	e2e_hook "$b" createRuntime
	e2e_userns "$b" "$start" 65536
	e2e_bind "$b" "$DEMO/docker/volumes/webdata/_data" /data rw
	dshow "$RUNC" --root "$DEMO/runc" run --bundle "$b" demo-web-$$
	dshow ls -ln "$DEMO/docker/volumes/webdata/_data"
	say "   A writable bind of /etc is refused by the hook; the container never starts:"
	b=$DEMO/b-bad
	e2e_bundle "$b" 'echo started'
	e2e_hook "$b" createRuntime
	e2e_bind "$b" /etc /x rw
	expect_fail "$RUNC" --root "$DEMO/runc" run --bundle "$b" demo-bad-$$
	"$RUNC" --root "$DEMO/runc" delete -f demo-bad-$$ >/dev/null 2>&1 || true
}
