#!/bin/bash
# volguard-runc as the runc binary of containerd's runc shim (io.containerd.runc.v2): a private
# containerd (Debian's 1.6) with its own root, state and socket under $T, driven by `ctr run
# --runc-binary`. Containers have no Docker files: each is named by its containerd ID.
#
# What this machine needs, found by trying: nothing beyond a config of containerd's own (the CRI
# plugin disabled: no kubelet here); runc's state is /run/containerd/runc/<namespace> whatever
# the state dir, so the test uses a namespace of its own and removes that directory; the shims'
# sockets are hashed under /run/containerd/s (left in place, as for dockerd).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require containerd ctr containerd-shim-runc-v2 runc jq tar
vg_setup
vg_write_conf ''
e2e_rootfs || skip_all "cannot build the busybox root file system"
check() { ok $((!($1))) "$2"; }
C=$T/ctd
NS=vg-${T##*.}
IMG=docker.io/library/vgbusybox:latest
mkdir -p "$C"
# The shim runs its runc binary with runc's arguments only: the test's config comes through a
# wrapper, as conf/containerd-volguard.toml says for any other config than the default one.
printf '#!/bin/sh\nexec %s --config %s "$@"\n' "$VGRUNC" "$CONF" >"$T/vgrunc"
chmod 0755 "$T/vgrunc"
c() { timeout -k 5 "${E2E_TIMEOUT:-60}" ctr -a "$C/sock" -n "$NS" "$@"; }
crun() { run c run --rm --runc-binary "$T/vgrunc" "$@"; }

# shellcheck disable=SC2317 # called through VG_CLEANUP_HOOKS
ctd_stop() {
	local id p
	[ -n "${CTD_PID:-}" ] || return 0
	for id in $(c tasks ls -q 2>/dev/null); do c tasks kill -s KILL "$id" >/dev/null 2>&1; done
	sleep 0.2
	for id in $(c containers ls -q 2>/dev/null); do
		c tasks delete -f "$id" >/dev/null 2>&1
		c containers delete "$id" >/dev/null 2>&1
	done
	kill -TERM "$CTD_PID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$CTD_PID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$CTD_PID" 2>/dev/null
	wait "$CTD_PID" 2>/dev/null
	for p in $(e2e_pids_mentioning "$C/"); do kill -KILL "$p" 2>/dev/null; done
	e2e_umount_under "$T"
	rm -rf "/run/containerd/runc/$NS"
	CTD_PID=
}
VG_CLEANUP_HOOKS+=("ctd_stop")

cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$C/sock"
[ttrpc]
  address = "$C/sock.ttrpc"
EOF
t0=$(date +%s%N)
containerd --config "$C/config.toml" >"$C/log" 2>&1 </dev/null &
CTD_PID=$!
for _ in $(seq 100); do
	ctr -a "$C/sock" version >/dev/null 2>&1 && break
	kill -0 "$CTD_PID" 2>/dev/null || break
	sleep 0.1
done
if ! ctr -a "$C/sock" version >/dev/null 2>&1; then
	diag "$(tail -n 20 "$C/log")"
	skip_all "containerd cannot start here"
fi
diag "containerd ready in $((($(date +%s%N) - t0) / 1000000)) ms"

# The busybox root as a docker-archive image (one layer); ctr run unpacks it per snapshotter.
A=$T/img
mkdir -p "$A"
# shellcheck disable=SC2086 # a list of names
tar -C "$E2E_ROOTFS" -cf "$A/layer.tar" $E2E_ROOTFS_DIRS
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
	"$(sha256sum "$A/layer.tar" | cut -d' ' -f1)" >"$A/config.json"
printf '[{"Config":"config.json","RepoTags":["%s"],"Layers":["layer.tar"]}]' "$IMG" >"$A/manifest.json"
tar -C "$A" -cf "$T/img.tar" manifest.json config.json layer.tar
run c images import "$T/img.tar"
ok "$rc" "ctr images import of the busybox image"

range_of() { vg list | awk -F: -v n="$1" '$1 == n { print $2 }'; }

# --- shift mode (the default snapshotter, overlayfs) ----------------------------------------
crun "$IMG" ct-shift sh -c 'id -u; grep -E "^CapEff" /proc/self/status'
ok "$rc" "ctr run --runc-binary volguard-runc: the container runs"
start=$(range_of ct-shift)
check "${start:-0} >= 1073741824" "volguard recorded a range for it, named by its containerd ID ($start)"
like "$out" "^${start:-x}" "its process runs as that range's UID 0 on the host"
like "$out" "CapEff:[[:space:]]*0+$" "without capabilities"
like "$(vg list)" "^ct-shift:.*runc_root=/run/containerd/runc/$NS" "with runc's state dir of its namespace"

before=$(stat -c '%Y %s' /etc /etc/passwd)
crun --mount "type=bind,src=/etc,dst=/x,options=rbind:rw" "$IMG" ct-etc \
	sh -c "touch /x/volguard-canary-$$; echo started"
check "rc != 0" "a writable bind of /etc: ctr run fails"
like "$out" "volguard: .*/etc" "with volguard's reason, naming /etc"
unlike "$out" "started" "its process never ran"
ok "$([ ! -e "/etc/volguard-canary-$$" ]; echo $?)" "nothing was written in /etc"
is "$(stat -c '%Y %s' /etc /etc/passwd)" "$before" "/etc is unchanged"
is "$(range_of ct-etc)" "" "the refused container got no range"
is "$(c containers ls -q | grep -c ct-etc)" "0" "and containerd kept no container"

# exec into a running container goes through volguard-runc too (runc's state of the shim).
run c run -d --runc-binary "$T/vgrunc" "$IMG" ct-long sleep 60
ok "$rc" "a detached container starts"
long=$(range_of ct-long)
run c tasks exec --exec-id e1 ct-long id -u
is "$out" "$long" "ctr tasks exec runs in the container's range"
pid=$(c tasks ls | awk '$1 == "ct-long" { print $2 }')
is "$(awk '/^Uid:/ { print $2 }' "/proc/${pid:-0}/status" 2>/dev/null)" "$long" "seen from the host, its process is the range's UID"

# gc finds runc's state through the recorded runc_root: a gone container's range goes, a live
# one's stays.
gone=$(range_of ct-shift)
run vg gc
like "$(vg list)" "^ct-long:" "gc keeps the range of the running container"
# Other tests running at the same time get the pool's first ranges too: a host process of
# theirs in ct-shift's range keeps it (gc's host scan), which is not this test's to judge.
if grep -qsE "^Uid:[[:space:]]+${gone:-x}[[:space:]]" /proc/[0-9]*/status; then
	skip "a host process of another test runs in ct-shift's range $gone"
else
	unlike "$(vg list)" "^ct-shift:" "and releases the one of the container that is gone"
fi

# --- userns mode ----------------------------------------------------------------------------
VG_ISOLATION=userns vg_write_conf ''
crun --snapshotter native "$IMG" ct-uns sh -c 'id -u; cat /proc/self/uid_map'
ok "$rc" "isolation = userns on the native snapshotter: the container runs"
start=$(range_of ct-uns)
like "$out" "^0" "as root of its own user namespace"
like "$out" "0[[:space:]]+${start:-x}[[:space:]]+65536" "mapped onto the range volguard recorded ($start)"
crun --snapshotter native --mount "type=bind,src=/etc,dst=/x,options=rbind:rw" "$IMG" ct-uns-etc true
check "rc != 0" "a writable bind of /etc is refused in the userns mode too"
is "$(range_of ct-uns-etc)" "" "without a range"

crun --snapshotter overlayfs "$IMG" ct-uns-ov true
check "rc != 0" "isolation = userns on containerd's overlayfs snapshotter is refused"
like "$out" "not one of Docker's overlay2 layers.*native" "saying why and what works"
is "$(range_of ct-uns-ov)" "" "before anything is allocated"

VG_ISOLATION=auto vg_write_conf ''
crun --snapshotter overlayfs "$IMG" ct-auto-ov id -u
ok "$rc" "isolation = auto on the overlayfs snapshotter: the container runs"
like "$(vg list)" "^ct-auto-ov:.*isolation=shift isolation_why=auto:" "in the shift mode, with the reason recorded"
crun --snapshotter native "$IMG" ct-auto-nat cat /proc/self/uid_map
like "$(vg list)" "^ct-auto-nat:.*isolation=userns" "and on the native snapshotter in the userns mode"

# --- the shipped config snippet -------------------------------------------------------------
# containerd takes conf/containerd-volguard.toml as is (its CRI runtime entry, BinaryName).
# Running a pod through it needs a CRI client (crictl, not packaged in Debian 12): skipped.
sed "s|^version = 2|version = 2\\nroot = \"$C/root2\"\\nstate = \"$C/state2\"|" \
	"$TOP/conf/containerd-volguard.toml" >"$C/cri.toml"
run containerd --config "$C/cri.toml" config dump
like "$out" 'runtimes\.volguard\.options\]' "containerd reads the shipped snippet's runtime entry"
like "$out" 'BinaryName = "/usr/local/bin/volguard-runc"' "with volguard-runc as the runc binary"
like "$(cat "$TOP/conf/runtimeclass.yaml")" "handler: volguard" "the RuntimeClass names that handler"
skip "a pod through the CRI runtime class needs crictl (cri-tools), which Debian 12 does not ship"

done_testing
