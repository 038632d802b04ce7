#!/bin/bash
# volguard check -- run ...: the policy, table-driven, on a real temp "host" tree whose paths are
# the sensitive set, so that nothing depends on the machine's own layout.
. "$(dirname "$0")/../lib.sh"
vg_setup

H=$T/host
D=$H/var/lib/docker
ID=848c7a40b0824d6f698c40a9cfc3cb9819976af89d2c52aa5827d254c9c81ed6
mkdir -p "$H"/{bin,boot,dev,etc/docker,etc/ssh,lib,lib64,proc,root,run,sbin,sys,usr/bin,var/log} \
	"$H"/var/lib/containerd "$D"/volumes/{v1,etcvol,tmpvol}/_data "$D/containers/$ID" \
	"$H"/srv/app "$H"/srv/withsub/sub "$H"/srv/rosub/sub "$H"/etcetera
echo root:x:0:0 >"$H/etc/passwd"
ln -s ../run "$H/var/run"
ln -s "$H/etc" "$H/srv/link"          # absolute symlink
ln -s ../etc "$H/srv/rel"             # relative symlink
ln -s loop2 "$H/srv/loop1"
ln -s loop1 "$H/srv/loop2"
ln -s / "$H/srv/toroot"
ln -s "$H/run/docker.sock" "$H/srv/sock"
ln -s link "$H/srv/link2"             # a chain: link2 -> link -> etc
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$H/run/docker.sock"
printf '{"MountType":"none","MountOpts":"bind","MountDevice":"%s","Quota":{"Size":0}}' "$H/etc" \
	>"$D/volumes/etcvol/opts.json"
printf '{"MountType":"tmpfs","MountOpts":"size=1m","MountDevice":"tmpfs"}' >"$D/volumes/tmpvol/opts.json"
# A container with a writable bind of the "host" /etc, for --volumes-from (a real Docker file).
FIX=$TOP/tests/fixtures/docker/containers/$ID
sed -e "s|\"Source\":\"/etc\"|\"Source\":\"$H/etc\"|" -e "s|/tmp/vgpol.dk/data|$D|g" \
	-e "s|/tmp/vgpol.dk/hostdir|$H/srv/app|g" "$FIX/config.v2.json" >"$D/containers/$ID/config.v2.json"
cp "$FIX/hostconfig.json" "$D/containers/$ID/"
# Writable and read-only submounts (skipped if this machine cannot mount).
SUB=0
if mount -t tmpfs -o size=64k vgpol "$H/srv/withsub/sub" 2>/dev/null; then
	SUB=1
	VG_CLEANUP_HOOKS+=("umount '$H/srv/withsub/sub' 2>/dev/null")
	mount -t tmpfs -o size=64k,ro vgpol "$H/srv/rosub/sub" &&
		VG_CLEANUP_HOOKS+=("umount '$H/srv/rosub/sub' 2>/dev/null")
fi
# Bind mounts that hide a sensitive path: a part of etc mounted elsewhere, etc below a directory.
BIND=0
mkdir -p "$H/srv/ssh" "$H/srv/carrier/etc" "$H/srv/deep/a/b"
if mount --bind "$H/etc/ssh" "$H/srv/ssh" 2>/dev/null; then
	BIND=1
	VG_CLEANUP_HOOKS+=("umount '$H/srv/ssh' 2>/dev/null")
	mount --bind "$H/etc" "$H/srv/carrier/etc" &&
		VG_CLEANUP_HOOKS+=("umount '$H/srv/carrier/etc' 2>/dev/null")
	mount --bind "$H/etc/ssh" "$H/srv/deep/a/b" &&
		VG_CLEANUP_HOOKS+=("umount '$H/srv/deep/a/b' 2>/dev/null")
fi
# umount before rm: hooks run first in vg_cleanup.

# One path per continuation line (the config's lines are bounded).
SENS=/
for p in bin boot dev etc lib lib64 proc root run sbin sys usr var/run var/lib/docker \
	var/lib/containerd var/lib/kubelet etc/docker; do
	SENS="$SENS
	$H/$p"
done
# The "host" tree's Docker directory is this test's docker_root.
write_conf() {
	vg_write_conf "$1"
	sed -i "s|^docker_root = .*|docker_root = $D|" "$CONF"
}
base_conf="[policy]
sensitive_paths = $SENS"
write_conf "$base_conf"

# check WANT-EXIT WANT ARGS...: WANT is "verdict:rule" that some row must show, or "-" for none
# (then no row may be denied or warned).
check() {
	local want_exit=$1 want=$2
	shift 2
	run vg check -- run "$@"
	local desc="$* -> $want (exit $want_exit)"
	local okay=0
	[ "$rc" -eq "$want_exit" ] || okay=1
	if [ "$want" = "-" ]; then
		printf '%s\n' "$out" | grep -Eq '  (warn|deny) ' && okay=1
	elif [ "$want" != "error" ]; then
		printf '%s\n' "$out" | grep -Eq "  ${want%%:*} +.*\[${want#*:}\]\$" || okay=1
	fi
	ok $okay "$desc"
	[ $okay -eq 0 ] || diag "exit $rc; output:" "$out"
}

# --- every default sensitive path, writable (deny) and read-only (warn) ---
for p in bin boot dev etc lib lib64 proc root run sbin sys usr var/run var/lib/docker \
	var/lib/containerd var/lib/kubelet etc/docker; do
	check 1 deny:sensitive-writable -v "$H/$p:/x" img
	check 0 warn:sensitive-readonly -v "$H/$p:/x:ro" img
done
check 1 deny:sensitive-writable -v /:/x img
check 0 warn:sensitive-readonly -v /:/x:ro img

# --- path forms ---
check 1 deny:sensitive-writable -v "$H/srv/link:/x" img
check 1 deny:sensitive-writable -v "$H/srv/rel:/x" img
check 1 deny:sensitive-writable -v "$H/srv/link2/ssh:/x" img
check 1 deny:sensitive-writable -v "$H/srv/link/..:/x" img      # the host tree: an ancestor
check 1 deny:sensitive-writable -v "$H//etc//:/x" img
check 1 deny:sensitive-writable -v "$H/srv/../etc:/x" img
check 1 deny:sensitive-writable -v "$H/srv/app/../../etc/./ssh/:/x" img
check 1 deny:unresolvable -v "$H/srv/loop1:/x" img
check 1 deny:unresolvable -v "$H/etc/passwd/:/x" img
check 1 deny:sensitive-writable -v "/proc/self/root$H/etc:/x" img
check 1 deny:sensitive-writable -v "/proc/1/root$H/etc:/x" img
check 1 deny:sensitive-writable -v "$H/srv/toroot:/x" img
check 1 deny:sensitive-writable -v "$H/srv/toroot$H/etc:/x" img
check 0 allow:ok -v "$H/srv/missing/new:/x" img                    # will be created
check 1 deny:sensitive-writable -v "$H/etc/missing/new:/x" img     # created inside /etc
check 1 deny:sensitive-writable -v "$H/srv/missing/../../etc:/x" img
check 1 deny:sensitive-writable -v "$H/var/lib/kubelet/pods:/x" img # below a missing one
check 1 deny:sensitive-writable -v "$H/var:/x" img                 # ancestor of var/lib/docker
check 1 deny:sensitive-writable -v "$H/var/lib:/x" img
check 0 warn:sensitive-readonly -v "$H/var:/x:ro" img
# no false positives
check 0 - -v "$H/etcetera:/x" img
check 0 - -v "$H/srv/app:/x" img
check 0 - -v "$H/var/log:/x" img
check 0 - -v "$H/usr2:/x" img

# --- modes: ro anywhere in the list ---
check 0 warn:sensitive-readonly -v "$H/etc:/x:Z,ro" img
check 0 warn:sensitive-readonly -v "$H/etc:/x:rslave,ro,nocopy" img
check 1 deny:sensitive-writable -v "$H/etc:/x:rw,z" img
check 0 warn:shared-propagation -v "$H/srv/app:/x:ro,Z,rshared" img
check 0 warn:shared-propagation -v "$H/srv/app:/x:shared" img
check 0 - -v "$H/srv/app:/x:rslave" img

# --- runtime sockets: denied even read-only ---
check 1 deny:runtime-socket -v "$H/run/docker.sock:/s:ro" img
check 1 deny:runtime-socket -v "$H/srv/sock:/s:ro" img
check 1 deny:runtime-socket -v "$H/srv/nowhere/containerd.sock:/s:ro" img
check 1 deny:runtime-socket --mount "type=bind,src=$H/run/docker.sock,dst=/s,readonly" img
check 1 deny:runtime-socket -v /var/run/docker.sock:/var/run/docker.sock img
check 1 deny:runtime-socket -v /run/podman/podman.sock:/s:ro img
check 1 deny:runtime-socket -v /tmp/crio.sock:/s:ro img

# --- --mount forms ---
check 1 deny:sensitive-writable --mount "type=bind,src=$H/etc,dst=/x" img
check 1 deny:sensitive-writable --mount "type=bind,source=$H/etc,destination=/x" img
check 1 deny:sensitive-writable --mount "type=bind,source=$H/etc,target=/x,ro=false" img
check 1 deny:sensitive-writable --mount "type=bind,source=$H/etc,target=/x,ro=0" img
check 1 deny:sensitive-writable --mount "type=bind,source=$H/etc,target=/x,readonly=False" img
check 0 warn:sensitive-readonly --mount "type=bind,src=$H/etc,dst=/x,readonly" img
check 0 warn:sensitive-readonly --mount "type=bind,src=$H/etc,dst=/x,ro" img
check 0 warn:sensitive-readonly --mount "type=bind,src=$H/etc,dst=/x,ro=true" img
check 0 warn:sensitive-readonly --mount "type=bind,src=$H/etc,dst=/x,readonly=1" img
check 0 warn:sensitive-readonly --mount "Type=Bind,SRC=$H/etc,DST=/x,RO" img
check 1 deny:sensitive-writable --mount "type=bind,\"src=$H/etc\",dst=/x" img
check 0 warn:shared-propagation --mount "type=bind,src=$H/srv/app,dst=/x,bind-propagation=rshared" img
check 0 allow:ok --mount type=tmpfs,dst=/x img
check 0 allow:ok --tmpfs /run:size=1m img
check 2 error --mount "type=bind,dst=/x" img
check 2 error --mount "src=$H/etc" img
check 2 error --mount "type=bind,src=$H/etc,dst=/x,bogus=1" img
check 2 error --mount "type=bind,src=$H/etc,dst=/x,ro=maybe" img
check 2 error --mount "type=volume,src=v1,dst=/x,bind-propagation=shared" img
check 2 error --mount "type=bind,src=$H/etc,dst=/x,volume-opt=o=bind" img

# --- Docker volumes ---
check 0 allow:ok -v v1:/x img
check 0 allow:ok -v newvol:/x img
check 0 allow:ok -v /anon img
check 0 allow:ok -v tmpvol:/x img
check 0 warn:volume-driver --volume-driver rexray -v data:/x img
check 0 warn:volume-driver --mount type=volume,src=data,dst=/x,volume-driver=nfsplugin img
check 1 deny:sensitive-writable -v etcvol:/x img
check 0 warn:sensitive-readonly -v etcvol:/x:ro img
check 1 deny:sensitive-writable --mount "type=volume,src=etcvol,dst=/x" img
check 1 deny:sensitive-writable --mount "type=volume,src=nv,dst=/x,volume-opt=type=none,volume-opt=o=bind,volume-opt=device=$H/etc" img
check 0 warn:volume-bypass -v "$D/volumes/v1/_data:/x" img
check 1 deny:sensitive-writable -v "$D/volumes/v1:/x" img
check 1 deny:sensitive-writable -v "$D/volumes:/x" img
check 1 deny:sensitive-writable -v "$D/containers/$ID/config.v2.json:/x" img

# --- --volumes-from (Docker's on-disk container, a real captured file) ---
check 1 deny:sensitive-writable --volumes-from src1 img
check 1 deny:sensitive-writable --volumes-from "$ID" img
check 1 deny:sensitive-writable --volumes-from src1:rw img
check 0 warn:sensitive-readonly --volumes-from src1:ro img
check 0 warn:volumes-from --volumes-from nosuch img

# --- privileges ---
check 1 deny:privileged --privileged img
check 0 - --privileged=false img
check 0 warn:host-pid --pid host img
check 1 deny:host-pid --pid=host --privileged img
check 0 warn:host-net --net host img
check 0 warn:host-net --network=host img
check 0 warn:host-ipc --ipc host img
check 0 warn:host-uts --uts=host img
check 0 warn:host-userns --userns host img
check 1 deny:cap-add --cap-add NET_ADMIN img
check 1 deny:cap-add --cap-add SYS_ADMIN img
check 1 deny:cap-add --cap-add cap_sys_ptrace img
check 1 deny:cap-add --cap-add ALL img
check 1 deny:device --device /dev/fuse img
check 1 deny:device-rule --device-cgroup-rule 'c 10:229 rwm' img

# --- docker run argument forms: options that take a value are never flags or the image ---
check 1 deny:sensitive-writable -it -v "$H/etc:/x" img sh
check 1 deny:sensitive-writable -dit --rm -v "$H/etc:/x" img
check 1 deny:sensitive-writable -eFOO=bar -v "$H/etc:/x" img
check 1 deny:sensitive-writable --env X -v "$H/etc:/x" img
check 1 deny:sensitive-writable --env=X -v "$H/etc:/x" img
check 1 deny:sensitive-writable -p8080:80 -v "$H/etc:/x" img
check 1 deny:sensitive-writable -p 8080:80 --name web -h host -w /tmp -v "$H/etc:/x" img
check 1 deny:sensitive-writable "-v=$H/etc:/x" img
check 1 deny:sensitive-writable "-v$H/etc:/x" img
check 1 deny:sensitive-writable "--volume=$H/etc:/x" img
check 1 deny:sensitive-writable -itv "$H/etc:/x" img
check 1 deny:sensitive-writable --rm=false -v "$H/etc:/x" img
check 1 deny:sensitive-writable -v "$H/etc:/x" -- img
check 0 - -e -v "$H/etc:/x" img                # -e takes "-v" as its value
check 0 - img -v "$H/etc:/x"                   # after the image: the command's arguments
check 0 - -- img -v "$H/etc:/x"
check 0 - --health-cmd "-v $H/etc:/x" --log-opt max-size=1m img
check 2 error --no-such-flag img
check 2 error -v
check 2 error -X img
check 2 error -v "$H/etc:/x"                   # no image
check 2 error -v /x:rw img                     # a mode needs a source
check 2 error -v "a:/b:ro:extra" img
check 2 error -v "$H/etc:relative" img
check 2 error -v "$H/etc:/x:bogus" img
check 2 error -v "$H/etc:/x:ro,rw" img
check 2 error --privileged=maybe img

# --- configuration ---
write_conf "$base_conf
allow_readonly_sensitive = no
deny_privileged = no"
check 1 deny:sensitive-readonly -v "$H/etc:/x:ro" img
check 0 warn:privileged --privileged img
write_conf "$base_conf
extra_sensitive_paths = $H/srv/app"
check 1 deny:sensitive-writable -v "$H/srv/app:/x" img
check 0 - -v "$H/etcetera:/x" img

# --- the real machine, by name (no layout assumptions beyond /etc existing) ---
vg_write_conf ""
check 1 deny:sensitive-writable -v /etc:/x img
check 0 warn:sensitive-readonly -v /etc:/x:ro img
check 1 deny:runtime-socket -v /var/run/docker.sock:/s:ro img

# --- submounts of a read-only bind ---
if [ $SUB = 1 ]; then
	write_conf "$base_conf"
	check 0 warn:writable-submount -v "$H/srv/withsub:/x:ro" img
	check 0 - --mount "type=bind,src=$H/srv/withsub,dst=/x,readonly,bind-nonrecursive" img
	check 0 - -v "$H/srv/rosub:/x:ro" img
fi

# --- bind mounts on the host: judged where they come from, and carried by recursive binds ---
if [ $BIND = 1 ]; then
	write_conf "$base_conf"
	check 1 deny:sensitive-writable -v "$H/srv/ssh:/x" img
	check 0 warn:sensitive-readonly -v "$H/srv/ssh:/x:ro" img
	check 1 deny:sensitive-writable -v "$H/srv/carrier:/x" img
	check 1 deny:sensitive-writable -v "$H/srv/deep:/x" img
	check 0 warn:sensitive-readonly -v "$H/srv/deep:/x:ro" img
	check 0 - --mount "type=bind,src=$H/srv/carrier,dst=/x,bind-nonrecursive" img
	run vg check -- run -v "$H/srv/deep:/x" img
	like "$out" "carries the mount $H/srv/deep/a/b \\(a bind mount of $H/etc/ssh\\), which is inside the sensitive host path $H/etc" \
		"the message names the carried mount and where it comes from"
fi

# --- output ---
write_conf "$base_conf"
run vg check --json -- run -v "$H/srv/link:/x" img
is "$rc" 1 "--json exit"
like "$out" '"rule": "sensitive-writable"' "--json has the rule"
like "$out" "\"resolved\": \"$H/etc\"" "--json has the resolved path"
run vg check -- run -v "$H/srv/link:/x" img
like "$out" "writable bind of $H/etc \\(resolved from $H/srv/link\\) is a sensitive host path" \
	"the message names the resolved path and the source"
# --- the admission pipeline's own rules, judged by check as the runtime judges them ---
write_conf "$base_conf
isolation_exempt = legacy-*
strict_membership = yes

[volume \"shared\"]
members = web:rw, reader:ro"
check 0 allow:ok --name web -v shared:/s img
check 1 deny:membership --name outsider -v shared:/s img
check 1 deny:membership -v shared:/s img        # no --name: Docker's random name is no member
check 1 deny:opt-out --name app --label volguard.isolation=off img
check 0 allow:opt-out --name legacy-1 --label volguard.isolation=off img
check 1 deny:opt-out --name app --label volguard.isolation=maybe img
check 1 deny:user-range --name app -u 70000 img
check 1 deny:user-range --name app -u 0:70000 img
check 0 - --name app -u 65535:65535 img
check 0 - --name app -u www-data img           # a name is resolved in the image: the runtime's
check 1 deny:sensitive-writable --mount type=volume,dst=/x,volume-opt=type=none,volume-opt=o=bind,"volume-opt=device=$H/etc" img
check 0 warn:host-ipc --ipc host img
done_testing
