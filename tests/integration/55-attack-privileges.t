#!/bin/bash
# Issue 10, classes 4, 5 and 9, attacked on a private dockerd with volguard-runc as its default
# runtime (and, for the spec's keys, volguard-runc in front of a real runc):
#  4. capabilities cannot come back: file capabilities in the image, --cap-add;
#  5. devices: --device-cgroup-rule, --device outside allowed_devices;
#  9. keys as runc reads them: "User" instead of "user", two keys that differ only in case.
# Every attack has a canary outside the container's data whose owner, mode, ACL and ctime
# must never change, and a host root process that must never be signalled.
# Both isolation modes (VG_ISOLATION; the userns pass is 69-attacks-userns.t). The outcome is the
# same; the capabilities differ: shift mode leaves none, userns mode Docker's default set, which
# acts only on the container's own user namespace (66-attack-userns.t attacks it from there).
# --pid host needs the host's namespace, so that container runs in shift mode in both passes.
# shellcheck disable=SC2154 # out and rc are set by run (tests/lib.sh)
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require dockerd runc jq tar setcap getcap getfacl mountpoint
vg_setup
vg_write_conf '
[policy]
deny_privileged = yes'
check() { ok $((!($1))) "$2"; }

# --- volguard check --oci: the same judge without a daemon ---------------------------------
FIX=$TOP/tests/fixtures/oci
exits 0 "check --oci: Docker's default spec (caps, device rules, map keys in two cases) passes" \
	vg check --oci "$FIX/privileges-default.json"
exits 1 "check --oci: process.user and process.User are refused" \
	vg check --oci "$FIX/privileges-case-duplicate.json"
like "$out" 'process: "user" and "User" differ only in case' "the message names the JSON path"
exits 1 "check --oci: a device allow rule beyond the defaults is refused" \
	vg check --oci "$FIX/privileges-device-rule.json"
like "$out" "c 10:183 r.*allowed_devices" "the message names the rule"
exits 1 "check --oci: a device node outside allowed_devices is refused" \
	vg check --oci "$FIX/privileges-device-node.json"
exits 1 "check --oci: a capability outside allowed_capabilities is refused" \
	vg check --oci "$FIX/privileges-cap-add.json"
like "$out" "CAP_NET_ADMIN.*allowed_capabilities" "the message names the capability"

e2e_rootfs || skip_all "cannot build the busybox root file system"
# Docker's default capability set (moby's oci/caps/defaults.go) as /proc/PID/status prints it:
# CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT
# MKNOD AUDIT_WRITE SETFCAP; NET_ADMIN is bit 12.
DOCKER_CAPS=$((0xa80425fb))
NET_ADMIN=$((1 << 12))

# The canary: a directory and file only root and the host group 0 may read, never given to
# a container writable. canary_state prints what must never change.
C=$T/canary
mkdir -p "$C"
echo "host secret" >"$C/secret"
chmod 0750 "$C"
chmod 0640 "$C/secret"
canary_state() {
	local f
	for f in "$C" "$C/secret"; do
		stat -c '%u:%g %a %Z' "$f"
		getfacl -cp "$f" 2>/dev/null
	done
}
CANARY=$(canary_state)

# An image with file capabilities: /fc/busybox has cap_kill,cap_net_admin+ep, /fk/busybox
# cap_kill+ep (the kernel refuses to exec a +e binary without all of its capabilities, so the
# kill attack needs one with only what Docker's bounding set holds), /fp/busybox
# cap_kill,cap_net_admin+p (runs whatever it gets: shows what was raised). busybox picks the
# applet by argv[0]'s name, so each copy keeps the name in its own directory. /nodes/hwrng is
# the host's hardware random number generator (c 10:183), readable by anyone: the device
# cgroup is what stands in the way.
R2=$T/capsroot
e2e_rootfs_copy "$R2"
mkdir -p "$R2/fc" "$R2/fk" "$R2/fp" "$R2/nodes"
for d in fc fk fp; do cp "$R2/bin/busybox" "$R2/$d/busybox"; done
setcap cap_kill,cap_net_admin+ep "$R2/fc/busybox" || skip_all "setcap does not work here"
setcap cap_kill+ep "$R2/fk/busybox"
setcap cap_kill,cap_net_admin+p "$R2/fp/busybox"
mknod "$R2/nodes/hwrng" c 10 183
chmod 0444 "$R2/nodes/hwrng"
HWRNG=0
head -c 8 /dev/hwrng >/dev/null 2>&1 && HWRNG=1

if ! e2e_dockerd_start; then
	diag "$out"
	skip_all "dockerd cannot start here"
fi
run dk import - vgcaps < <(tar --xattrs --xattrs-include='*' -C "$R2" -c .)
ok "$rc" "the file-capability image is imported"
run find "$T/docker/vfs/dir" -path '*/fc/busybox' -exec getcap {} \;
like "$out" 'cap_kill,cap_net_admin[=+]ep' "the file capabilities survive docker import (vfs layer)"
rm -rf "$R2"
drun() { run dk run --rm --network none "$@"; }
# caps OUT: the Cap* lines of /proc/self/status, on one line.
caps_line() { printf '%s\n' "$1" | grep -E '^Cap(Eff|Prm|Bnd|Amb|Inh)' | tr -s '\t\n' '  '; }

# A host root process the attacks try to kill.
sleep 600 &
VICTIM=$!
VG_CLEANUP_HOOKS+=("kill $VICTIM 2>/dev/null")

# --- 4. file capabilities ------------------------------------------------------------------
drun --name fcap --pid host vgcaps /fk/busybox kill -9 "$VICTIM"
diag "cap_kill+ep kill -9 (a host root sleep, --pid host): rc $rc: $out"
sleep 0.2
kill -0 "$VICTIM" 2>/dev/null
ok $? "a cap_kill binary with --pid host cannot kill a host root process"
drun --name fcap2 vgcaps /fp/busybox grep -E '^Cap' /proc/self/status
ok "$rc" "a binary with permitted file capabilities runs"
diag "cap_kill,cap_net_admin+p in the container: $(caps_line "$out")"
# capset NAME OUT: the Cap$NAME mask in OUT, as a number
capset() { printf '%s\n' "$2" | awk -v k="Cap$1:" '$1 == k { print "0x" $2 }'; }
for s in Eff Prm Bnd Amb Inh; do
	if in_userns; then
		m=$(($(capset "$s" "$out")))
		check "(m & ~$DOCKER_CAPS) == 0 && (m & $NET_ADMIN) == 0" \
			"userns: file capabilities raise nothing beyond Docker's default set: Cap$s $(printf %x "$m")"
	else
		like "$out" "Cap$s:[[:space:]]*0+($|[^0-9a-f])" "file capabilities raise nothing: Cap$s is 0"
	fi
done
drun --name fcap3 vgcaps /fc/busybox true
diag "cap_kill,cap_net_admin+ep: rc $rc: $out"
drun --name plaincaps "$E2E_IMAGE" grep -E '^Cap' /proc/self/status
if in_userns; then
	is "$(($(capset Bnd "$out")))" "$DOCKER_CAPS" "userns: a plain container's bounding set is Docker's default set"
else
	like "$out" "CapBnd:[[:space:]]*0+($|[^0-9a-f])" "a plain container's bounding set is empty too"
fi

# --- 4. --cap-add --------------------------------------------------------------------------
drun --name capadd --cap-add NET_ADMIN --cap-add SYS_TIME --cap-add SYSLOG vgcaps \
	/fc/busybox grep -E '^Cap' /proc/self/status
diag "--cap-add NET_ADMIN,SYS_TIME,SYSLOG: rc $rc: $(caps_line "$out")"
check "rc != 0" "--cap-add NET_ADMIN,SYS_TIME,SYSLOG is refused"
like "$out" 'volguard:.*(cap-add|allowed_capabilities)' "the refusal names the rule"
drun --name capkill --cap-add KILL "$E2E_IMAGE" true
if in_userns; then
	ok "$rc" "userns: --cap-add KILL (in Docker's default set, the userns mode's allowed set) runs"
	run vg list
	unlike "$out" '^capadd:' "a refused container gets no range"
else
	check "rc != 0" "--cap-add KILL (outside the empty allowed_capabilities) is refused"
	run vg list
	unlike "$out" '^(capadd|capkill):' "a refused container gets no range"
fi

# allowed_capabilities: what is listed survives (in every set but ambient's users), minus
# drop_capabilities.
vg_write_conf '
[policy]
deny_privileged = yes
allowed_capabilities = CAP_NET_BIND_SERVICE, CAP_SYS_TIME, CAP_SETUID
drop_capabilities = CAP_SETUID'
drun --name capok --cap-add SYS_TIME "$E2E_IMAGE" grep -E '^CapBnd' /proc/self/status
ok "$rc" "--cap-add of an allowed capability runs"
# NET_BIND_SERVICE is bit 10, SYS_TIME bit 25: 0x2000400; SETUID (bit 7) is dropped.
like "$out" 'CapBnd:[[:space:]]*0+2000400$' "its bounding set is allowed minus dropped"
drun --name capdrop --cap-add SETUID "$E2E_IMAGE" true
check "rc != 0" "--cap-add of an allowed but dropped capability is refused"
vg_write_conf '
[policy]
deny_privileged = yes'

# --- 5. devices ----------------------------------------------------------------------------
if [ "$HWRNG" = 1 ]; then
	rng='head -c 8 /nodes/hwrng | od -An -tx1 | tr -d " "'
	drun --name norule vgcaps sh -c "$rng"
	diag "no rule: rc $rc: $out"
	like "$out" 'Operation not permitted' "without a rule the device cgroup keeps the host device closed"
	drun --name cgrule --device-cgroup-rule 'c 10:183 r' vgcaps sh -c "$rng"
	diag "--device-cgroup-rule 'c 10:183 r': rc $rc: $out"
	check "rc != 0" "--device-cgroup-rule 'c 10:183 r' is refused"
	unlike "$out" '^[0-9a-f]{16}$' "the container reads nothing from the host's hwrng"
	like "$out" 'volguard:.*device' "the refusal names the device rule"
else
	skip "the host has no readable /dev/hwrng"
	skip "the host has no readable /dev/hwrng"
	skip "the host has no readable /dev/hwrng"
	skip "the host has no readable /dev/hwrng"
fi
drun --name kmsg --device /dev/kmsg "$E2E_IMAGE" ls -l /dev/kmsg
diag "--device /dev/kmsg: rc $rc: $out"
check "rc != 0" "--device /dev/kmsg (not in allowed_devices) is refused"
like "$out" 'volguard:.*/dev/kmsg' "the refusal names the device"
drun --name anyrule --device-cgroup-rule 'c *:* rwm' "$E2E_IMAGE" true
check "rc != 0" "--device-cgroup-rule 'c *:* rwm' is refused"

vg_write_conf '
[policy]
deny_privileged = yes
allowed_devices = /dev/fuse'
drun --name fuse --device /dev/fuse "$E2E_IMAGE" ls -l /dev/fuse
ok "$rc" "--device /dev/fuse runs when allowed_devices lists it"
like "$out" '^c' "and the container has the node"
drun --name fuserule --device-cgroup-rule 'c 10:229 rwm' "$E2E_IMAGE" true
ok "$rc" "a device cgroup rule for an allowed device runs"
drun --name kmsg2 --device /dev/kmsg "$E2E_IMAGE" true
check "rc != 0" "another device is still refused"
vg_write_conf '
[policy]
deny_privileged = yes'

# --- 9. keys as runc reads them ------------------------------------------------------------
B=$T/bundle
# shellcheck disable=SC2016 # expanded in the container
e2e_bundle "$B" 'grep -E "^(Uid|Gid|Groups)" /proc/self/status; echo uid_map $(cat /proc/self/uid_map); echo gid_map $(cat /proc/self/gid_map); cat /c/secret'
e2e_bind "$B" "$C" /c ro
# "User" is runc's process.user: with it, the host group 0 would read the root-only canary.
e2e_jq "$B" 'del(.process.user) | .process.User = {uid: 0, gid: 0, additionalGids: [0]}'
e2e_runc_run_vg() {
	E2E_RUNC_IDS+=("$2")
	run timeout -k 5 60 "$VGRUNC" --config "$CONF" --root "$T/runc" run --bundle "$1" "$2"
	"$RUNC" --root "$T/runc" delete -f "$2" >/dev/null 2>&1
}
e2e_runc_run_vg "$B" keycase
diag "process.User: rc $rc: $out"
start=$(vg list | awk -F: '$1 == "keycase" { print $2 }')
if in_userns; then
	# Group 0 inside is the range's start outside: the user namespace's maps say so.
	like "$out" "gid_map 0 ${start:-x} 65536" "userns: \"User\" does not keep the host group 0 (gid 0 inside is ${start:-?} outside)"
	unlike "$out" 'host secret' "the root-group canary stays unreadable"
	like "$out" "uid_map 0 ${start:-x} 65536" "userns: the process runs as its range's start"
else
	unlike "$out" 'Groups:[[:space:]]*0([[:space:]]|$)' "\"User\" does not keep the host group 0"
	unlike "$out" 'host secret' "the root-group canary stays unreadable"
	like "$out" "Uid:[[:space:]]*${start:-x}[[:space:]]" "the process runs as its range's start"
fi
e2e_jq "$B" '.process.user = {uid: 0, gid: 0}'
e2e_runc_run_vg "$B" keydup
is "$rc" 1 "a spec with process.user and process.User is refused (exit 1)"
like "$out" 'process.*(user|User).*(User|user)' "the message names both keys"
run vg list
unlike "$out" '^keydup:' "the refused spec gets no range"
run vg check --oci "$B"
is "$rc" 1 "volguard check --oci refuses it too"
# The OCI hook judges the same spec (runc alone would take the last of the two keys).
B2=$T/bundle-hook
hstart=$(vg alloc hookcase --start)
e2e_bundle "$B2" 'grep -E "^Groups" /proc/self/status'
e2e_userns "$B2" "$hstart" 65536
e2e_jq "$B2" '.process.user = {uid: 0, gid: 0} | .process.User = {uid: 0, gid: 0, additionalGids: [0]}'
e2e_hook "$B2" createRuntime
e2e_runc_run "$B2" hookcase
check "rc != 0" "the prestart hook refuses a spec with process.user and process.User"
like "$out" 'differ only in case' "and says why"

is "$(canary_state)" "$CANARY" "the canary's owner, mode, ACL and ctime never changed"
kill -0 "$VICTIM" 2>/dev/null
ok $? "the host root process is still alive"
done_testing
