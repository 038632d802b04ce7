#!/bin/bash
# volguard-runc killed (SIGKILL, injected by strace at a system call) at each step of a userns
# create: nothing is left mounted on the host, the image's files are unchanged, delete cleans up,
# and the same container then starts normally.
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
done_testing
