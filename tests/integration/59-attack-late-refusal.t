#!/bin/bash
# Nothing changes before everything is checked: a create refused late in the pipeline (by the
# last of several volumes) allocates no range and changes no inode of the volumes that came
# first, on a real dockerd with volguard-runc as its default runtime. Both isolation modes
# (VG_ISOLATION; the userns pass is 69-attacks-userns.t): the same refusals change nothing in
# either; a volume prepared for a container lies in the mode's own model.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require dockerd runc jq tar getfacl
vg_setup
vg_write_conf '
[policy]
strict_membership = yes

[volume "closed"]
members = owner'
e2e_rootfs || skip_all "cannot build the busybox root file system"
# A second image whose /dev-nodes holds a character device: Docker's copy-up puts it in a new
# volume mounted there.
DEVROOT=$T/devroot
e2e_rootfs_copy "$DEVROOT"
mkdir -p "$DEVROOT/nodes"
mknod "$DEVROOT/nodes/mem" c 1 1
if ! e2e_dockerd_start; then
	diag "$out"
	skip_all "dockerd cannot start here"
fi
dk import - vgdevimg < <(tar -C "$DEVROOT" -c .) >/dev/null || skip_all "cannot import the device image"
V=$T/docker/volumes
IMG=$E2E_IMAGE

# state VOLUME: what volguard must not change (owner, mode, ctime, ACL and xattrs of _data and
# the volume's directory). With NOCTIME set, no ctime: Docker's own copy-up changes it.
state() {
	stat -c "%u:%g %a${NOCTIME:- %Z}" "$V/$1" "$V/$1/_data"
	getfacl -cp "$V/$1/_data" 2>/dev/null
	getfattr -d -m - "$V/$1" 2>/dev/null | grep -v '^#'
}
registry() { cat "$T/state/ranges" 2>/dev/null; }
# fresh NAME...: volumes Docker created and nobody used yet.
fresh() { local v; for v in "$@"; do dk volume create "$v" >/dev/null; done; }

# refused DESC ARGS...: docker run must fail with volguard's refusal, changing nothing.
refused() {
	local desc=$1 before_reg before_a before_b
	shift
	before_reg=$(registry)
	before_a=$(state first)
	before_b=$(state second)
	run dk run --rm --network none --name late "$@"
	if [ "$rc" -ne 0 ] && printf '%s' "$out" | grep -q volguard; then
		pass "$desc: refused by volguard"
	else
		fail "$desc: refused by volguard"
		diag "exit $rc: $out"
	fi
	is "$(registry)" "$before_reg" "$desc: no range was allocated"
	is "$(state first)" "$before_a" "$desc: the first volume is unchanged"
	is "$(state second)" "$before_b" "$desc: the second volume is unchanged"
}

fresh first second
refused "the last volume is another's (strict_membership)" \
	-v first:/a -v second:/b -v closed:/c "$IMG" true
refused "a process UID beyond the range" -u 70000 -v first:/a -v second:/b "$IMG" true
dk volume rm second >/dev/null
fresh second
NOCTIME=1
if in_userns; then
	# A copied device node is admitted there (the volume is mounted nodev); what is refused is a
	# volume of the other model: a --pid host container runs in shift mode and lays one out.
	run dk run --rm --network none --pid host --name shifter -v shiftvol:/c "$IMG" true
	ok "$rc" "userns: a --pid host container (shift mode) lays out shiftvol in the shift model"
	refused "the last volume is in the shift model" -v first:/a -v second:/b -v shiftvol:/c "$IMG" true
	like "$out" 'volguard:.*shiftvol' "userns: the refusal names the volume"
else
	refused "a device node copied up into the last volume" \
		-v first:/a -v second:/nodes vgdevimg sh -c 'echo x > /nodes/mem && echo device-opened'
	unlike "$out" 'device-opened' "the device node copied up into the last volume was never opened"
fi
NOCTIME=
# Whatever Docker copied, volguard did not leave a device in a host volume it prepared.
if [ -e "$V/second/_data/mem" ]; then
	is "$(stat -c %F "$V/second/_data/mem")" "character special file" \
		"Docker's copy-up made the device (volguard refused the container that carries it)"
fi
run vg list
unlike "$out" '^late:' "the refused container has no range"

# The same container without the bad volume starts, and only then the volumes change.
run dk run --rm --network none --name late -v first:/a "$IMG" sh -c 'id -u'
ok "$rc" "without the refused part the container starts"
ul=$(vg alloc late --start)
if in_userns; then
	# Container-relative on disk, no ACL: the idmapped mount gives it to the range.
	is "$(stat -c '%u' "$V/first/_data")" "0" "userns: its volume stays container-relative (root's on disk)"
	unlike "$(getfacl -cp "$V/first/_data" 2>/dev/null | tr '\n' ' ')" 'user:[0-9]' "userns: no ACL entry is written"
else
	is "$(stat -c '%u %a' "$V/first/_data")" "$ul 700" "and its volume is prepared for it"
fi
done_testing
