#!/bin/bash
# One admission pipeline: `volguard check -- run ARGS`, volguard-runc (dockerd's default runtime)
# and `volguard prestart` (an OCI createRuntime hook on the spec dockerd made) give the same
# verdict on every case of the mount suite. The hook gets the very spec dockerd writes: the
# runtime "hookrunc" adds the hook to the bundle's config.json and hands over to plain runc.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require dockerd runc jq tar
vg_setup
vg_write_conf ''
e2e_rootfs || skip_all "cannot build the busybox root file system"

# hookrunc: plain runc, with `volguard prestart` as the first createRuntime hook of create.
HOOKRUNC=$T/hookrunc
cat >"$HOOKRUNC" <<EOF
#!/bin/bash
bundle=
prev=
for a in "\$@"; do
	[ "\$prev" = --bundle ] && bundle=\$a
	case "\$a" in --bundle=*) bundle=\${a#--bundle=} ;; esac
	prev=\$a
done
if [ -n "\$bundle" ] && [ -f "\$bundle/config.json" ]; then
	jq --arg vg "$VG" --arg conf "$CONF" \\
		'.hooks.createRuntime = [{path: \$vg, args: ["volguard", "--config", \$conf, "prestart"]}] + (.hooks.createRuntime // [])' \\
		"\$bundle/config.json" >"\$bundle/config.json.vg" && mv "\$bundle/config.json.vg" "\$bundle/config.json"
fi
exec $RUNC "\$@"
EOF
chmod 0755 "$HOOKRUNC"
# shellcheck disable=SC2034 # read by e2e_dockerd_start
E2E_EXTRA_RUNTIMES="\"hookrunc\": {\"path\": \"$HOOKRUNC\"}"
if ! e2e_dockerd_start; then
	diag "$out"
	skip_all "dockerd cannot start here"
fi
like "$(dk info --format '{{json .Runtimes}}')" hookrunc "dockerd knows the hook runtime"

IMG=$E2E_IMAGE
mkdir -p "$T/ok" "$T/real"
ln -s /etc "$T/link-etc"
ln -s "$T/real" "$T/link-ok"
# A file with a second name: a writable bind of it is refused, a read-only one is not.
echo data >"$T/linked"
ln "$T/linked" "$T/linked-2"
# Canary: a host directory no case may change.
# (/etc's own ctime is left out: other work on the machine creates files there.)
canary() {
	stat -c '%u:%g %a %Z' /etc/hostname
	stat -c '%u:%g %a' /etc
	getfacl -cp /etc 2>/dev/null
}
before=$(canary)

# verdict_check ARGS...: allow or deny, from volguard check's exit code.
verdict_check() {
	run vg check -- run --network none "$@" "$IMG" true
	case $rc in 0) echo allow ;; 1) echo deny ;; *) echo "error($rc): $out" ;; esac
}
# verdict_docker RUNTIME ARGS...: allow when the container ran, deny when volguard refused it.
verdict_docker() {
	local rt=$1
	shift
	run dk run --rm --network none --runtime "$rt" "$@" "$IMG" true
	if [ "$rc" -eq 0 ]; then
		echo allow
	elif printf '%s' "$out" | grep -q 'volguard'; then
		echo deny
	else
		echo "error($rc): $out"
	fi
}

# expected verdict | docker run arguments (split on blanks; % in a word stands for a blank)
cases="
deny  | -v /etc:/x
allow | -v /etc:/x:ro
allow | -v $T/ok:/x
deny  | -v $T/link-etc:/x
allow | -v $T/link-ok:/x
deny  | -v $T/docker/containers:/x:rw
deny  | -v /var/lib:/x
allow | -v named-vol:/x
deny  | --mount type=volume,dst=/x,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=/etc
allow | --mount type=volume,dst=/x,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=$T/ok
deny  | --mount type=bind,src=/usr,dst=/x
allow | --mount type=bind,src=/usr,dst=/x,readonly
allow | --tmpfs /x
allow | --ipc host
allow | --pid host
deny  | --privileged
deny  | --cap-add SYS_ADMIN
deny  | --cap-add NET_ADMIN
deny  | --device /dev/kmsg
deny  | --device-cgroup-rule c%1:1%rwm
deny  | -v $T/d:/x:ro
deny  | -v $T/d/sock:/x.sock:ro
deny  | -v $T/linked:/linked-file
allow | -v $T/linked:/linked-file:ro
"
n=0
while IFS='|' read -r want args; do
	want=${want// /}
	[ -n "$want" ] || continue
	n=$((n + 1))
	read -ra words <<<"$args"
	words=("${words[@]//%/ }")
	c=$(verdict_check "${words[@]}")
	r=$(verdict_docker volguard "${words[@]}")
	h=$(verdict_docker hookrunc "${words[@]}")
	is "$c $r $h" "$want $want $want" "case $n ($args): check, volguard-runc and the hook say $want"
done <<<"$cases"

is "$(canary)" "$before" "the canary (/etc's owner, mode, ACL, ctime) did not change"
run vg list
unlike "$out" 'deny' "nothing odd in the registry"
done_testing
