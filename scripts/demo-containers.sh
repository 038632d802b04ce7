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
		"   Two containers, each with a private volume, run as different host UIDs:"
	dshow dk run --rm --network none --name web -v webdata:/data "$E2E_IMAGE" \
		sh -c 'id -u; echo "web was here" > /data/note'
	dshow dk run --rm --network none --name worker -v workerdata:/data "$E2E_IMAGE" \
		sh -c 'id -u; echo "worker was here" > /data/note'
	dshow ls -ln "$DEMO/docker/volumes/webdata/_data" "$DEMO/docker/volumes/workerdata/_data"
	say "   Each volume belongs to its container's UID, mode 0700: web's UID cannot read" \
		"   worker's. The volume 'shared' is declared for both in the config, so each reads" \
		"   and appends to what the other wrote:"
	dshow dk run --rm --network none --name web -v shared:/s "$E2E_IMAGE" \
		sh -c 'echo "hello from web" >> /s/log'
	dshow dk run --rm --network none --name worker -v shared:/s "$E2E_IMAGE" \
		sh -c 'echo "hello from worker" >> /s/log; cat /s/log'
	dshow getfacl -cp "$DEMO/docker/volumes/shared/_data"
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
