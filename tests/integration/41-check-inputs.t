#!/bin/bash
# volguard check --oci and --container on real files captured from dockerd 20.10, and the
# command's usage errors.
. "$(dirname "$0")/../lib.sh"
vg_setup

FIX=$TOP/tests/fixtures
D=$T/docker
SRC1=848c7a40b0824d6f698c40a9cfc3cb9819976af89d2c52aa5827d254c9c81ed6
USER2=3fbb139df093a41b1dd4417318ce4d571464fd1eb768416ce9c48c4fe1072ad6
RUNNER=06f65102f22ef4c5f124af2a8f4dbe4c46ed896e0805739579d557a33fe8ce10
mkdir -p "$T/hostdir" "$T/sens/etc" "$D/volumes/plain/_data" "$D/volumes/bindvol/_data"
# The captured files name the capture's paths: move them into this test's tree.
fix() { sed -e "s|/tmp/vgpol.dk/data|$D|g" -e "s|/tmp/vgpol.dk/hostdir|$T/hostdir|g" \
	-e "s|\"Source\":\"/etc\"|\"Source\":\"$T/sens/etc\"|g" "$1"; }
for id in $SRC1 $USER2 $RUNNER; do
	mkdir -p "$D/containers/$id"
	for f in config.v2.json hostconfig.json; do
		fix "$FIX/docker/containers/$id/$f" >"$D/containers/$id/$f"
	done
	: >"$D/containers/$id/hosts"
	: >"$D/containers/$id/hostname"
	: >"$D/containers/$id/resolv.conf"
done
fix "$FIX/docker/opts-bindvol.json" >"$D/volumes/bindvol/opts.json"
vg_write_conf "[policy]
extra_sensitive_paths = $T/sens/etc"

# --- --container: Docker's on-disk files, the daemon not running ---
exits 1 "--container src1 (writable sensitive bind, privileged)" vg check --container src1
like "$out" "$T/sens/etc:/x +rw +deny +writable bind of $T/sens/etc is a sensitive host path" \
	"src1's /etc bind is denied"
like "$out" "--privileged +- +deny" "src1 is privileged"
like "$out" "--pid host +- +deny" "privileged with the host PID namespace"
like "$out" "volume plain:/data +rw +allow" "a plain local volume is allowed"
like "$out" "$T/hostdir:/y +ro +warn .*rshared propagation" "rshared warns"
exits 1 "--container by full ID" vg check --container $SRC1
exits 1 "--container by unique prefix" vg check --container 848c7
exits 1 "--container by /name" vg check --container /src1
exits 0 "--container user2 (src1's mounts through --volumes-from :ro)" vg check --container user2
like "$out" "$T/sens/etc:/x +ro +warn .*sensitive host path" "the inherited bind is read-only"
like "$out" "volume bindvol:/b +ro +allow +read-only bind of $T/hostdir \\(device of volume bindvol\\)" \
	"a local bind volume is judged by its device"
like "$out" "--network host +- +warn" "host network warns"
exits 0 "--container runner" vg check --container runner
exits 2 "--container nosuch" vg check --container nosuch
like "$out" "no such container: nosuch" "names the container"
cp "$D/containers/$RUNNER/hostconfig.json" "$T/hc.bak"
echo '{"Privileged": "yes"}' >"$D/containers/$RUNNER/hostconfig.json"
exits 2 "a bad field in hostconfig.json" vg check --container runner
like "$out" "containers/$RUNNER: hostconfig.json.Privileged: not a boolean" "names the file and field"
echo '{' >"$D/containers/$RUNNER/hostconfig.json"
exits 2 "broken JSON" vg check --container runner
like "$out" "hostconfig.json: line 2" "names the line"
cp "$T/hc.bak" "$D/containers/$RUNNER/hostconfig.json"
# a volume's options pointing at a sensitive path
printf '{"MountType":"none","MountOpts":"bind","MountDevice":"%s/sens/etc"}' "$T" \
	>"$D/volumes/bindvol/opts.json"
exits 1 "-v VOLUME whose options bind a sensitive path" \
	vg check -- run -v bindvol:/b img
like "$out" "writable bind of $T/sens/etc \\(device of volume bindvol\\)" "the device is named"

# --- --oci: the config.json dockerd handed to runc ---
B=$T/bundles/$RUNNER
mkdir -p "$B"
fix "$FIX/oci/docker-runner.json" >"$B/config.json"
exits 0 "--oci bundle named by the container ID: its own hosts files are allowed" \
	vg check --oci "$B"
like "$out" "$D/volumes/plain/_data:/data +rw +allow +volume plain" "its volume is allowed"
like "$out" "resolv.conf +rw +allow" "its resolv.conf is allowed"
mkdir -p "$T/other"
cp "$B/config.json" "$T/other/config.json"
exits 1 "--oci with the ID unknown: Docker's files are sensitive" vg check --oci "$T/other/config.json"
like "$out" "hosts:/etc/hosts +rw +deny .*inside the sensitive host path $D" "names docker_root"
python3 - "$B/config.json" "$T/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["mounts"][3]["options"][1] = 7
json.dump(d, open(sys.argv[2], "w"))
PY
exits 2 "--oci with a bad field" vg check --oci "$T/bad.json"
like "$out" "bad.json: mounts\\[3\\].options\\[1\\]: not a string" "names the field"
printf '{"Mounts":[{"destination":"/x","source":"%s/sens/etc","options":["rbind"]}]}' "$T" \
	>"$T/case.json"
exits 1 "--oci: keys match case-insensitively, as runc reads them" vg check --oci "$T/case.json"
exits 2 "--oci nonexistent" vg check --oci "$T/nope.json"
exits 2 "--oci on an empty file" vg check --oci /dev/null
printf '{"mounts":[{"destination":"/x","source":"rel","options":["bind"]}]}' >"$T/bundles/c.json"
ln -s "$T/sens/etc" "$T/bundles/rel"
exits 1 "--oci: a relative source resolves against the bundle" vg check --oci "$T/bundles/c.json"

# --- a docker_root that is a bind mount of another directory (dockerd's own data-root) ---
mkdir -p "$T/dreal/volumes/v9/_data" "$T/droot"
if mount --bind "$T/dreal" "$T/droot" 2>/dev/null; then
	VG_CLEANUP_HOOKS+=("umount '$T/droot' 2>/dev/null")
	cp "$CONF" "$T/conf.bak"
	sed -i "s|^docker_root = .*|docker_root = $T/droot|" "$CONF"
	printf '{"mounts":[{"destination":"/v","source":"%s/droot/volumes/v9/_data","options":["rbind"]}]}' \
		"$T" >"$T/v9.json"
	exits 0 "--oci: a volume under a bind-mounted docker_root is the container's own" \
		vg check --oci "$T/v9.json"
	printf '{"mounts":[{"destination":"/v","source":"%s/dreal/volumes","options":["rbind"]}]}' \
		"$T" >"$T/v9b.json"
	exits 1 "--oci: the volumes directory through the bind's origin is still sensitive" \
		vg check --oci "$T/v9b.json"
	cp "$T/conf.bak" "$CONF"
fi

# --- output formats ---
exits 1 "--json" vg check --json --container src1
printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["verdict"]=="deny" and d["container"]=="src1" and d["findings"]' 2>/dev/null
ok $? "--json is valid JSON with verdict, container and findings"

# --- usage ---
exits 2 "no input" vg check
exits 2 "two inputs" vg check --oci "$B" --container src1
exits 2 "-- without run" vg check -- ps
exits 2 "a stray argument" vg check src1
exits 0 "--help" vg check --help
like "$out" "Usage: volguard check" "help text"
exits 1 "-- docker run" vg check -- docker run -v "$T/sens/etc:/x" img
exits 1 "-- container create" vg check -- container create -v "$T/sens/etc:/x" img
# An option volguard cannot take is named escaped, never raw (getopt's own message is off).
run vg check $'--x\e[2J\ny'
is "$rc" 2 "an unknown option is a usage error"
like "$out" 'unknown option, or option without its argument: --x\\e\[2J\\ny' "named, escaped"
unlike "$out" $'\e' "no raw ESC reaches the terminal"
run "$VG" $'--z\e]0;t\a' list
like "$out" '^volguard: unknown option.*--z\\e\]0;t\\x07' "a global option too"

# A CI runner without Docker: check judges a command line or a compose file all the same (the
# isolation mode is not probed, auto judged as shift), it does not fail on the missing root.
cat >"$T/nodocker.conf" <<EOF
[paths]
docker_root = $T/no-docker-here
state_dir = $T/no-docker-state
EOF
chmod 0644 "$T/nodocker.conf"
mkdir -p "$T/proj"
printf 'services:\n  web:\n    image: nginx\n    volumes: ["data:/srv", "/etc:/e"]\nvolumes:\n  data: {}\n' \
	>"$T/proj/docker-compose.yml"
exits 1 "no Docker root: check -- run still refuses -v /etc:/x" \
	"$VG" --config "$T/nodocker.conf" check -- run -v /etc:/x img
like "$out" 'writable bind of /etc is a sensitive host path' "... for the rule, not an error"
exits 1 "no Docker root: check --compose judges the file" \
	"$VG" --config "$T/nodocker.conf" check --compose "$T/proj/docker-compose.yml"
like "$out" 'project proj: 1 services?, 1 refused' "... and gives the project's verdict"
exits 0 "no Docker root: a clean command line passes" \
	"$VG" --config "$T/nodocker.conf" check -- run -v data:/d img
[ ! -e "$T/no-docker-here" ]
ok $? "... and nothing was created in its place"
done_testing
