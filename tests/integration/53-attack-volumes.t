#!/bin/bash
# Attacks on what volguard changes in volumes (issue 10, classes 1, 10, 11), on a private dockerd
# (vfs) with volguard-runc as the default runtime. Each attack has a canary: owner, mode, ACL and
# ctime of a host directory outside the container's own data, which must never change.
# Both isolation modes (VG_ISOLATION; the userns pass is 69-attacks-userns.t): the refusals and
# canaries are the same; what differs is the volume model (shift: host-shifted owners, ACLs,
# copy-up moved into the range; userns: container-relative owners on disk, no ACL, idmapped
# nosuid,nodev volume mounts).
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../e2e-lib.sh
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require dockerd runc jq tar getfacl getfattr setcap getcap mknod
vg_setup
mkdir -p "$T/hostdir" "$T/sens" "$T/mq"
echo host-secret >"$T/hostdir/secret"
chmod 0600 "$T/hostdir/secret"
echo sens-secret >"$T/sens/secret"
chmod 0600 "$T/sens/secret"
vg_write_conf "
[policy]
strict_membership = yes
extra_sensitive_paths = $T/sens"
e2e_rootfs || skip_all "cannot build the busybox root file system"
if ! e2e_dockerd_start; then
	diag "$out"
	skip_all "dockerd cannot start here"
fi
V=$T/docker/volumes
IMG=$E2E_IMAGE
drun() { run dk run --rm --network none "$@"; }
check() { ok $((!($1))) "$2"; }
# canary PATH: owner, mode, ctime and ACL of PATH (what no attack may change)
canary() { printf '%s %s' "$(stat -c '%u:%g %a %Z' "$1")" "$(getfacl -cp "$1" 2>/dev/null | tr '\n' ' ')"; }
# canary_kfs PATH: the same without ctime, for the root of a kernel file system that other
# processes on the host change all the time (a new cgroup or queue changes its ctime).
canary_kfs() { printf '%s %s' "$(stat -c '%u:%g %a' "$1")" "$(getfacl -cp "$1" 2>/dev/null | tr '\n' ' ')"; }
members_xattr() { getfattr --absolute-names -n trusted.volguard.members --only-values "$1" 2>/dev/null; }

# --- class 1: a bind volume of a host directory, used read-only ------------------------------
c0=$(canary "$T/hostdir")
run dk volume create -o type=none -o o=bind -o "device=$T/hostdir" bindvol
ok "$rc" "a bind volume of $T/hostdir is created"
sleep 1 # a ctime change must show
drun --name bindro -v bindvol:/x:ro "$IMG" ls /x
diag "run -v bindvol:/x:ro: rc=$rc $out"
is "$(canary "$T/hostdir")" "$c0" "read-only use of a bind volume: the host dir's owner, mode, ACL, ctime unchanged"
is "$(members_xattr "$V/bindvol")" "" "the bind volume gets no recorded membership"
drun --name bindrw -v bindvol:/x "$IMG" sh -c 'cat /x/secret; echo x > /x/planted'
diag "run -v bindvol:/x: rc=$rc $out"
is "$(canary "$T/hostdir")" "$c0" "writable use: the host dir unchanged"
[ ! -e "$T/hostdir/planted" ] || [ "$(stat -c %u "$T/hostdir/planted")" != 0 ]
ok $? "the container did not write the host dir as root"
unlike "$out" 'host-secret' "the container did not read the root-only host file"

# volguard's own commands leave it alone too.
run vg fix bindvol
check "rc == 1" "fix bindvol refuses a volume that is not volguard's (exit $rc)"
like "$out" "$T/hostdir|not volguard" "and says why"
run vg fix --all
diag "fix --all: rc=$rc $out"
like "$out" 'bindvol.*(not volguard|skipped)' "fix --all skips the bind volume and says so"
check "rc == 0" "a skipped volume is not a failure of fix --all (exit $rc)"
run vg volume revoke bindvol bindro
check "rc != 0" "volume revoke refuses the bind volume"
run vg volume share bindvol someone
check "rc != 0" "volume share refuses the bind volume"
run vg volume create bindvol --owner someone
check "rc != 0" "volume create refuses the bind volume"
is "$(canary "$T/hostdir")" "$c0" "after fix, share and create: the host dir unchanged"

# --- class 1: a bind volume of a sensitive directory -------------------------------------------
s0=$(canary "$T/sens")
run dk volume create -o type=none -o o=bind -o "device=$T/sens" sensvol
sleep 1
drun --name sensro -v sensvol:/x:ro "$IMG" true
diag "run -v sensvol:/x:ro: rc=$rc $out"
is "$(canary "$T/sens")" "$s0" "read-only use of a sensitive bind volume: the sensitive dir unchanged"
drun --name sensrw -v sensvol:/x "$IMG" true
check "rc != 0" "a writable use of a sensitive bind volume is refused"
like "$out" "volguard:.*$T/sens" "the refusal names the device, the real host path"
is "$(canary "$T/sens")" "$s0" "the sensitive dir unchanged"

# --- class 1: kernel file systems as volumes ---------------------------------------------------
# mqueue: the host IPC namespace's instance, the one dockerd's mount of the volume gets too.
if mount -t mqueue none "$T/mq" 2>/dev/null; then
	VG_CLEANUP_HOOKS+=("umount -l '$T/mq' 2>/dev/null")
	m0=$(canary_kfs "$T/mq")
	m0raw=$(stat -c '%u:%g %a' "$T/mq")
	run dk volume create -o type=mqueue -o device=mqueue mqvol
	sleep 1
	drun --name mqc -v mqvol:/x "$IMG" true
	diag "run -v mqvol:/x: rc=$rc $out"
	check "rc != 0" "a writable mqueue volume (the host IPC namespace's queues) is refused"
	like "$out" "volguard:.*mqvol.*mqueue" "naming the volume and its file system"
	is "$(canary_kfs "$T/mq")" "$m0" "an mqueue volume: the host's mqueue root unchanged"
	# Put it back if an old build changed it, so that the host stays as it was.
	chown "${m0raw%% *}" "$T/mq" 2>/dev/null
	chmod "${m0raw##* }" "$T/mq" 2>/dev/null
else
	pass "# SKIP cannot mount mqueue here"
fi
# cgroup2: the host's unified hierarchy root.
CG=/sys/fs/cgroup/unified
[ "$(stat -f -c %T "$CG" 2>/dev/null)" = cgroup2fs ] || CG=/sys/fs/cgroup
if [ "$(stat -f -c %T "$CG" 2>/dev/null)" = cgroup2fs ]; then
	g0=$(canary_kfs "$CG")
	g0raw=$(stat -c '%u:%g %a' "$CG")
	run dk volume create -o type=cgroup2 -o device=cgroup2 cgvol
	sleep 1
	drun --name cgc -v cgvol:/x:ro "$IMG" true
	diag "run -v cgvol:/x:ro: rc=$rc $out"
	ok "$rc" "a read-only cgroup2 volume passes (allow_readonly_sensitive), as a read-only /sys would"
	is "$(canary_kfs "$CG")" "$g0" "a cgroup2 volume: the host's cgroup root ($CG) unchanged"
	chown "${g0raw%% *}" "$CG" 2>/dev/null
	chmod "${g0raw##* }" "$CG" 2>/dev/null
else
	pass "# SKIP no cgroup2 hierarchy here"
fi
# tmpfs: a fresh file system, never volguard's either.
run dk volume create -o type=tmpfs -o device=tmpfs tmpvol
drun --name tmpc -v tmpvol:/x "$IMG" true
diag "run -v tmpvol:/x: rc=$rc $out"
is "$(members_xattr "$V/tmpvol")" "" "a tmpfs volume gets no recorded membership"

# --- class 1: a bind volume into another volume's _data is a membership decision ----------------
drun --name owner1 -v privvol:/d "$IMG" sh -c 'echo owner-data > /d/f'
ok "$rc" "owner1 writes its private volume"
p0=$(canary "$V/privvol/_data")
run dk volume create -o type=none -o o=bind -o "device=$V/privvol/_data" sneaky
sleep 1
drun --name intruder -v sneaky:/x "$IMG" cat /x/f
diag "intruder: rc=$rc $out"
check "rc != 0" "a bind volume of another volume's _data is refused for a non-member (strict_membership)"
unlike "$out" 'owner-data' "the intruder did not read owner1's data"
like "$out" 'volguard:.*privvol' "the refusal names the volume it really is"
is "$(canary "$V/privvol/_data")" "$p0" "owner1's _data unchanged"

# A bind (not a volume) of a directory inside it, directly or through a symlink, is the same.
mkdir -p "$V/privvol/_data/sub"
ln -s "$V/privvol/_data" "$T/lnk"
p0=$(canary "$V/privvol/_data")
sleep 1
drun --name intruder2 -v "$V/privvol/_data/sub:/x" "$IMG" ls /x
diag "intruder2: rc=$rc $out"
like "$out" 'volguard:.*privvol' "a bind of a directory inside another volume's _data is a membership decision"
drun --name intruder3 -v "$T/lnk:/x" "$IMG" cat /x/f
diag "intruder3: rc=$rc $out"
like "$out" 'volguard:.*privvol' "so is a bind of a symlink to it"
is "$(canary "$V/privvol/_data")" "$p0" "owner1's _data unchanged"

# --- class 10: copy-up from the image ----------------------------------------------------------
# mount_opts DEST OUT: the per-mount options of DEST in a container's /proc/self/mountinfo (OUT)
mount_opts() { printf '%s\n' "$2" | awk -v d="$1" '$5 == d { print $6 }'; }
mkimg() { # mkimg NAME SETUP-SCRIPT: the busybox image plus what SETUP-SCRIPT makes in $r
	local r=$T/img-$1
	e2e_rootfs_copy "$r" && (cd "$r" && eval "$2") &&
		tar --xattrs --xattrs-include='*' -C "$r" -c . | dk import - "$1" >/dev/null
}
mkimg vgcopy 'mkdir -p data/sub && echo image > data/own && chmod 0644 data/own &&
	cp bin/busybox data/suid && chmod 4755 data/suid &&
	mkdir data/s && cp bin/busybox data/s/id && chmod 4755 data/s/id &&
	cp bin/busybox data/capbin && setcap cap_net_raw+ep data/capbin &&
	echo pg > data/pgfile && chown -R 999:999 data/sub data/pgfile'
ok $? "an image with root's files, a setuid-root binary and a file capability in /data"
drun --name cu -v cuvol:/data vgcopy sh -c 'echo mine >> /data/own && echo done'
diag "cu: rc=$rc $out"
ok "$rc" "the container writes the files Docker copied into its new volume"
cs=$(vg alloc cu --start)
if in_userns; then
	# The idmapped mount makes Docker's image-relative copy right as it is: nothing moves.
	is "$(stat -c %u:%g "$V/cuvol/_data/own")" "0:0" "userns: the copied file stays container-relative (0:0 on disk)"
	is "$(stat -c %u:%g "$V/cuvol/_data/pgfile")" "999:999" "userns: 999:999 stays 999:999 on disk"
	drun --name cu -v cuvol:/data vgcopy cat /proc/self/mountinfo
	like "$(mount_opts /data "$out")" '(^|,)nosuid(,|$)' "userns: the volume is mounted nosuid (setuid bits and file capabilities in it give nothing)"
	like "$(mount_opts /data "$out")" '(^|,)nodev(,|$)' "userns: and nodev"
else
	is "$(stat -c %u:%g "$V/cuvol/_data/own")" "$cs:$cs" "the copied file is in the container's range"
	is "$(stat -c %u:%g "$V/cuvol/_data/pgfile")" "$((cs + 999)):$((cs + 999))" "999:999 becomes start+999"
	is "$(stat -c %a "$V/cuvol/_data/suid")" "755" "the setuid bit of the copied binary is cleared"
	is "$(getcap "$V/cuvol/_data/capbin")" "" "the copied file capability is cleared"
fi
# Whatever the mechanism, the setuid-root binary Docker copied does not raise a user to root.
# (A volume of its own: in shift mode --user 1000 is another principal.)
drun --name cusuid -u 1000 -v suidvol:/data vgcopy sh -c '/data/s/id -u; id -u'
diag "setuid copy as --user 1000: rc=$rc $out"
is "$(printf '%s\n' "$out" | sort -u | wc -l)" 1 "a setuid-root binary copied into the volume runs with the caller's own UID"
drun --name pg -u 999 -v pgvol:/data vgcopy sh -c 'echo more >> /data/pgfile && echo ok'
diag "pg: rc=$rc $out"
ok "$rc" "--user 999 writes the files the image gave UID 999"

# A volume laid out by `volguard volume create` before its first use gets the same: Docker
# copies the image into it, and its first start moves that into the range.
exits 0 "volume create cuv2 --owner cu2 (empty)" vg volume create cuv2 --owner cu2
copyup_mark() { getfattr --absolute-names -n trusted.volguard.copyup --only-values "$V/cuv2" 2>/dev/null; }
skip_in_userns "nothing is moved after Docker's copy-up, so there is no copy-up mark" ||
	like "$(copyup_mark)" '^pending$' "an empty volume it creates is marked for copy-up"
drun --name cu2 -v cuv2:/data vgcopy sh -c 'echo mine >> /data/own && echo done'
ok "$rc" "its owner writes what Docker copied into it"
c2=$(vg alloc cu2 --start)
if in_userns; then
	is "$(stat -c %u:%g "$V/cuv2/_data/own")" "0:0" "userns: the copied file stays container-relative"
	skip "not in userns mode: the setuid bit is left to the nosuid mount (tested above)"
else
	is "$(stat -c %u:%g "$V/cuv2/_data/own")" "$c2:$c2" "the copied file is in the owner's range"
	is "$(stat -c %a "$V/cuv2/_data/suid")" "755" "and the setuid bit is cleared"
fi
is "$(copyup_mark)" "" "after the first start the volume has no copy-up mark"
echo later >"$V/cuv2/_data/admin-file"
drun --name cu2 -v cuv2:/data vgcopy true
is "$(stat -c %u "$V/cuv2/_data/admin-file")" "0" "a later start moves nothing (root's file stays root's)"

mkimg vgdev 'mkdir -p data && mknod data/null c 1 3'
ok $? "an image with a character device in /data"
# /dev/null's numbers: the device cgroup lets every container open them, so only nodev (userns)
# or the refusal (shift) stands between the copied node and a writer.
drun --name dv -v devvol:/data vgdev sh -c 'echo x > /data/null && echo device-opened'
diag "dv: rc=$rc $out"
if in_userns && ! printf '%s' "$out" | grep -q 'volguard:'; then
	# Admitted there: the volume is mounted nodev, so the node is inert.
	unlike "$out" 'device-opened' "userns: the copied device node cannot be opened (nodev)"
	like "$out" '/data/null: Permission denied' "userns: (EACCES)"
	skip "not in userns mode: the copy-up is admitted, the volume is nodev" 2
else
	check "rc != 0" "a copy-up that brings a device node is refused"
	like "$out" 'volguard:.*(device|null)' "and says why"
	run vg list
	unlike "$out" '^dv:' "the refused container got no range"
	is "$(stat -c %u "$V/devvol/_data" 2>/dev/null)" "0" "and the volume was not changed"
fi

# --- class 11: recorded membership is the truth -----------------------------------------------
drun --name rw1 -v shv:/d "$IMG" sh -c 'echo from-rw1 > /d/f'
ok "$rc" "rw1 owns volume shv"
exits 0 "volume share shv ro1:ro" vg volume share shv ro1:ro
drun --name ro1 -v shv:/d "$IMG" sh -c 'cat /d/f; echo hacked > /d/hacked'
diag "ro1 rw mount: rc=$rc $out"
like "$out" 'from-rw1' "a member recorded read-only that mounts without :ro runs and reads the volume"
[ ! -e "$V/shv/_data/hacked" ]
ok $? "but cannot write it"
r1=$(vg alloc ro1 --start)
if in_userns; then
	unlike "$(getfacl -cp "$V/shv/_data" 2>/dev/null | tr '\n' ' ')" "user:[0-9]" "userns: no ACL entry is written"
else
	like "$(getfacl -cp "$V/shv/_data" 2>/dev/null | tr '\n' ' ')" "user:$r1:r-x" "its ACL stays r-x"
fi
run vg volume show shv
like "$out" 'ro1 +ro' "volume show lists it ro"

# The hook cannot rewrite the spec: it refuses the rw mount of a read-only member.
B=$T/b-ro1
if e2e_bundle "$B" 'echo hook > /data/hookhack' && e2e_userns "$B" "$r1" 65536 &&
	e2e_bind "$B" "$V/shv/_data" /data rw && e2e_hook "$B" createRuntime; then
	e2e_runc_run "$B" ro1hook
	diag "hook, ro1 rw mount: rc=$rc $out"
	check "rc != 0" "the prestart hook refuses a read-only member's read-write mount"
	if in_userns; then
		# The hook cannot give a container idmapped mounts: the idmap volume is refused first.
		like "$out" "volguard:.*idmap model" "userns: and says why (a hook container cannot mount an idmap volume)"
	else
		like "$out" 'volguard:.*read-only member' "and says why"
	fi
	[ ! -e "$V/shv/_data/hookhack" ]
	ok $? "nothing was written"
	run vg volume show shv
	like "$out" 'ro1 +ro' "ro1 is still recorded ro"
else
	fail "cannot build the hook bundle"
fi

# volume show tells the truth about the tree.
drun --name shower -v showvol:/d "$IMG" sh -c 'echo x > /d/f'
# shift: another UID's file; userns: an owner no container's map reaches (>= range_size).
if in_userns; then chown 70000:70000 "$V/showvol/_data/f"; else chown 12345:12345 "$V/showvol/_data/f"; fi
run vg volume show showvol
diag "$out"
unlike "$out" 'tree: +matches the policy' "volume show does not call a tree with another UID's file right"

done_testing
