#!/bin/bash
# volguard prestart as Podman's OCI hook (Debian's podman 4.3, conf/podman-hooks.d), real
# containers. Podman runs privately: its own --root, --runroot and --tmpdir under $T, the
# cgroupfs manager, events to a file, --network none, and the hooks dir a copy of the shipped
# one pointing at this build and the test's config.
#
# What this machine needs, found by trying: runc as the OCI runtime (crun refuses the hybrid
# cgroup layout here: "cgroups in hybrid mode not supported"); --ulimit nofile and nproc within
# the sandbox's hard limits (Podman raises both to 1048576 by default: EPERM); the vfs storage
# driver (nothing mounted per layer).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require podman runc jq tar unshare
vg_setup
PS=$T/ps
vg_write_conf "volumes_root = $PS/volumes"
e2e_rootfs || skip_all "cannot build the busybox root file system"
check() { ok $((!($1))) "$2"; }
POOL_START=1073741824
mkdir -p "$T/hooks"
jq --arg vg "$VG" --arg conf "$CONF" '.hook.path = $vg | .hook.args = ["volguard", "--config", $conf, "prestart"]' \
	"$TOP/conf/podman-hooks.d/volguard.json" >"$T/hooks/volguard.json"
PODMAN_GLOBAL=(--root "$PS" --runroot "$T/pr" --tmpdir "$T/pt" --cgroup-manager cgroupfs
	--events-backend file --storage-driver vfs --runtime "$RUNC" --hooks-dir "$T/hooks")
# shellcheck disable=SC2317 # also called through VG_CLEANUP_HOOKS
pm() { timeout -k 5 "${E2E_TIMEOUT:-60}" podman "${PODMAN_GLOBAL[@]}" "$@"; }
RUN=(run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
prun() { run pm "${RUN[@]}" "$@"; }
IMG=localhost/vgbusybox
# shellcheck disable=SC2317 # called through VG_CLEANUP_HOOKS
pm_stop() {
	local p
	pm rm -af -t 0 >/dev/null 2>&1
	for p in $(e2e_pids_mentioning "$T/p"); do kill -KILL "$p" 2>/dev/null; done
	e2e_umount_under "$T"
	return 0
}
VG_CLEANUP_HOOKS+=("pm_stop")
range_of() { vg list | awk -F: -v n="$1" '$1 == n { print $2 }'; }
map() { echo "--uidmap 0:$1:65536 --gidmap 0:$1:65536"; }

# shellcheck disable=SC2086 # a list of names
run pm import - vgbusybox < <(tar -C "$E2E_ROOTFS" -c $E2E_ROOTFS_DIRS)
ok "$rc" "podman import of the busybox image"
[ "$rc" -eq 0 ] || { diag "$out"; skip_all "podman cannot import an image here"; }

# --- the hook judges Podman's containers ------------------------------------------------------
prun --name etc -v /etc:/x "$IMG" sh -c "touch /x/volguard-canary-$$; echo started"
check "rc != 0" "podman run -v /etc:/x is refused by the hook"
like "$out" "volguard: .*/etc" "with volguard's reason"
unlike "$out" "started" "its process never ran"
ok "$([ ! -e "/etc/volguard-canary-$$" ]; echo $?)" "nothing was written in /etc"

# --- a new named volume (Podman hands NAME/ and _data to the container's root) ----------------
run vg alloc web
web=$(range_of web)
# shellcheck disable=SC2046 # options
prun --name web $(map "$web") -v newvol:/d "$IMG" sh -c 'echo hi > /d/f && id -u'
ok "$rc" "podman run -v NEW:/d with the name's own range works"
[ "$rc" -eq 0 ] || diag "$out"
V=$PS/volumes/newvol
is "$(stat -c '%u:%g' "$V" 2>/dev/null)" "0:0" "the volume's directory is root's again"
is "$(stat -c '%u %a' "$V/_data" 2>/dev/null)" "$web 700" "its _data is web's principal's, 0700"
is "$(stat -c '%u' "$V/_data/f" 2>/dev/null)" "$web" "the file the container wrote is web's on the host"
like "$(getfattr -d -m trusted.volguard --absolute-names "$V" 2>/dev/null)" "trusted.volguard.members" \
	"and volguard recorded web as its member"
# shellcheck disable=SC2046
prun --name web $(map "$web") -v newvol:/d "$IMG" cat /d/f
is "$out" "hi" "a second run of web reads it"

# --- an impostor with another name's range ----------------------------------------------------
# shellcheck disable=SC2046
prun --name impostor $(map "$web") -v newvol:/d "$IMG" sh -c 'echo started; cat /d/f'
check "rc != 0" "a container whose --uidmap is web's range is refused"
like "$out" "impostor: .*range of 'web'" "the message names the range's owner"
unlike "$out" "started" "its process never ran"
is "$(range_of impostor)" "" "and it got no range"
# shellcheck disable=SC2046
prun --name web2 $(map $((web + 4096))) "$IMG" true
check "rc != 0" "a range that overlaps web's is refused too"

# --- --userns=auto from volguard's pool -------------------------------------------------------
# Podman's `containers` delegation as a slice of the pool, bound over /etc/subuid and
# /etc/subgid in a private mount namespace only: the host's files are never changed.
S=$((POOL_START + 64 * 65536))
printf 'containers:%s:%s\n' "$S" $((4 * 65536)) >"$T/subid"
printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n[storage.options]\nauto-userns-min-size = 65536\n' \
	"$PS" "$T/pr" >"$T/storage.conf"
# volguard reads the same delegation (its subuid_file): its own allocations avoid the slice.
cp "$T/subid" "$T/subuid"
cp "$T/subid" "$T/subgid"
before=$(sha256sum /etc/subuid /etc/subgid 2>/dev/null)
pauto() { # pauto PODMAN-RUN-ARGS...: podman run with the test's subuid file, in its own mount ns
	# shellcheck disable=SC2016 # expanded by the inner bash
	run env CONTAINERS_STORAGE_CONF="$T/storage.conf" unshare -m -- bash -c \
		'mount --bind "$0" /etc/subuid && mount --bind "$0" /etc/subgid && shift && exec timeout -k 5 60 podman "$@"' \
		"$T/subid" _ "${PODMAN_GLOBAL[@]}" "$@"
}
if ! unshare -m true 2>/dev/null; then
	skip "unshare -m does not work here: no private mount namespace for a test /etc/subuid" 9
else
	pauto "${RUN[@]/--rm/-d}" --userns=auto --name auto1 -v autovol:/d "$IMG" sh -c 'echo a > /d/f; exec sleep 60'
	ok "$rc" "podman run --userns=auto (the documented storage.conf) starts"
	[ "$rc" -eq 0 ] || diag "$out"
	is "$(range_of auto1)" "$S" "the hook bound the range Podman picked to the name"
	like "$(vg list)" "^auto1:.*container=[0-9a-f]{64} via=podman-userns-auto" "bound to its container ID"
	for _ in $(seq 50); do [ -s "$PS/volumes/autovol/_data/f" ] && break; sleep 0.1; done
	is "$(stat -c '%u' "$PS/volumes/autovol/_data/f" 2>/dev/null)" "$S" "its volume works in its range"
	pauto "${RUN[@]}" --userns=auto:size=1024 --name auto3 "$IMG" true
	check "rc != 0" "an automatic range that is not one of volguard's ranges is refused"
	like "$out" "auto3: .*size=65536" "saying which size to give"
	pauto "${RUN[@]}" --userns=auto --name auto2 "$IMG" cat /proc/self/uid_map
	ok "$rc" "a second --userns=auto container runs"
	like "$out" "0[[:space:]]+$((S + 65536))[[:space:]]+65536" "in the next range"
	is "$(range_of auto2)" "$((S + 65536))" "bound to its own name"
fi
is "$(sha256sum /etc/subuid /etc/subgid 2>/dev/null)" "$before" "the host's /etc/subuid and /etc/subgid are unchanged"
run vg audit
like "$out" "." "volguard audit runs"
unlike "$out" "VG-RANGE-002" "the audit does not count the Podman-bound ranges as delegation overlaps"

done_testing
