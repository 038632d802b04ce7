#!/bin/bash
# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
# Faults in the userns mode, with runc bundles: volguard-runc killed (SIGKILL, injected by strace
# at a system call) at each step of a create leaves nothing mounted on the host, the image's files
# unchanged, and delete cleans up; a file system without idmapped mounts (as the probe cache says)
# gives shift under auto and a refusal under userns, before anything changes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require runc jq strace
VG_ISOLATION=userns
vg_setup
e2e_rootfs || skip_all "cannot build the busybox root file system"
okif() { if eval "$1"; then pass "$2"; else fail "$2"; fi; }
R=$T/runc
STAGE=$T/stage
host_mounts() { grep -c -e "$STAGE" /proc/self/mountinfo; }
# A copy of the busybox root: the bundle's own image, whose files must not change.
ROOT=$T/image
e2e_rootfs_copy "$ROOT" || skip_all "cannot copy the root file system"
img_state() { find "$ROOT" -xdev -printf '%p %U:%G %m %C@\n' | sort | md5sum; }
IMG0=$(img_state)
B=$T/b
e2e_bundle "$B" 'echo started' || skip_all "runc spec failed"
e2e_jq "$B" --arg root "$ROOT" '.root = {path: $root, readonly: false}'
# A volume-like bind under docker_root, as Docker's per-container files are.
mkdir -p "$T/docker/volumes/v1/_data"

for point in open_tree mount_setattr unshare move_mount rename,renameat,renameat2 execve; do
	id=crash-${point%%,*}
	cp "$B/config.json" "$B/config.json.orig"
	# Not -f: runc init lives on after create (and strace would wait for it). strace does not
	# count the execve that starts volguard-runc: the first is runc's.
	when=1
	# Not captured: a runc init that got that far would hold the pipe open.
	rc=$( (timeout 30 strace -o /dev/null -e trace="$point" \
		-e inject="$point:signal=SIGKILL:when=$when" \
		"$VGRUNC" --config "$CONF" --root "$R" create --bundle "$B" "$id" >"$T/out" 2>&1 \
		</dev/null; echo $?) 2>/dev/null)
	point=${point%%,*}
	okif "[ '$rc' -ne 0 ]" "killed at $point: create did not succeed"
	is "$(host_mounts)" 0 "killed at $point: no mount on the host"
	is "$(img_state)" "$IMG0" "killed at $point: the image's files are unchanged"
	run "$VGRUNC" --config "$CONF" --root "$R" delete --force "$id"
	okif "[ ! -e '$STAGE/$id' ]" "killed at $point: delete leaves no staging directory"
	cp "$B/config.json.orig" "$B/config.json"
done

"$VGRUNC" --config "$CONF" --root "$R" run --bundle "$B" after-crash >"$T/out" 2>&1 </dev/null
like "$(cat "$T/out")" started "after all that, the container runs"
run "$VGRUNC" --config "$CONF" --root "$R" delete --force after-crash
is "$(host_mounts)" 0 "nothing mounted at the end"
okif "[ -z \"\$(ls -A '$STAGE' 2>/dev/null)\" ]" "the staging directory is empty at the end"
is "$(img_state)" "$IMG0" "the image's files are unchanged at the end"

# --- no idmapped mounts on the root's file system (the probe's cached answer) ----------------
# (volguard-runc rewrote the bundle's config.json for its run: root.path in the staging dir.)
cp "$B/config.json.orig" "$B/config.json"
FS=$(stat -f -c %t "$ROOT")
mkdir -p "$T/state"
printf 'kernel=%s fs=%s what=idmap ok=0 why=ext4%%20cannot%%20be%%20idmapped%%20(test)\n' \
	"$(uname -r)" "$FS" >"$T/state/isolation-probe"
chmod 0644 "$T/state/isolation-probe"
"$VGRUNC" --config "$CONF" --root "$R" run --bundle "$B" noidmap-userns >"$T/out" 2>&1 </dev/null
rc=$?
okif "[ '$rc' -ne 0 ]" "isolation = userns without idmapped mounts: refused"
like "$(cat "$T/out")" 'isolation = userns, but .*cannot be idmapped' "... saying why"
run vg list
unlike "$out" '^noidmap-userns:' "... and it got no range"
VG_ISOLATION=auto vg_write_conf ""
cp "$B/config.json.orig" "$B/config.json"
"$VGRUNC" --config "$CONF" --root "$R" run --bundle "$B" noidmap-auto >"$T/out" 2>&1 </dev/null
like "$(cat "$T/out")" started "isolation = auto without idmapped mounts: the container runs"
run vg list
like "$out" '^noidmap-auto:.*isolation=shift isolation_why=auto:' "... in shift mode, recorded with why"
"$VGRUNC" --config "$CONF" --root "$R" delete --force noidmap-auto >/dev/null 2>&1
is "$(host_mounts)" 0 "nothing mounted"
done_testing
