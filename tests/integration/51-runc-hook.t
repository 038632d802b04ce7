#!/bin/bash
# volguard prestart as an OCI hook of Debian's runc, real containers on a busybox root file
# system. The "host" paths are temp dirs declared sensitive, so nothing depends on this machine.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require runc jq
vg_setup
H=$T/host
mkdir -p "$H/etc" "$H/srv"
echo conf >"$H/etc/app.conf"
echo served >"$H/srv/index"
ln -s "$H/etc" "$T/innocent"
vg_write_conf "
[policy]
extra_sensitive_paths = $H/etc, $H/srv
allow_readonly_sensitive = yes"
e2e_rootfs || skip_all "cannot build the busybox root file system"
check() { ok $((!($1))) "$2"; }

# bundle NAME CMD: a bundle with the hook at the createRuntime stage
bundle() {
	B=$T/b-$1
	e2e_bundle "$B" "$2" && e2e_hook "$B" createRuntime
}

bundle etc 'echo started'
e2e_bind "$B" "$H/etc" /mnt rw
e2e_runc_run "$B" vg-etc-$$
check "rc != 0" "a writable bind of a sensitive path: the container does not start"
unlike "$out" 'started' "its process never ran"
like "$out" "volguard: .*$H/etc" "the hook's reason names the path"

bundle link 'echo started'
e2e_bind "$B" "$T/innocent" /mnt rw
e2e_runc_run "$B" vg-link-$$
check "rc != 0" "a symlink to it is refused too"
unlike "$out" 'started' "its process never ran"

# What only the kernel shows: an earlier hook binds the sensitive dir into the container.
bundle sneaky 'echo started'
# shellcheck disable=SC2016 # a jq filter
e2e_jq "$B" --arg cmd "nsenter -t \$(jq .pid) -m mount --bind $H/etc $E2E_ROOTFS/home" \
	'.hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", $cmd]}] + .hooks.createRuntime'
e2e_runc_run "$B" vg-sneaky-$$
check "rc != 0" "a sensitive bind the spec does not show is refused (kernel view)"
like "$out" "volguard: .*kernel.*$H/etc" "the reason comes from /proc/PID/mountinfo"

bundle srv 'cat /srv/index'
e2e_bind "$B" "$H/srv" /srv ro
e2e_runc_run "$B" vg-srv-$$
is "$out" "served" "the same kind of path read-only is allowed"

bundle plain 'echo plain'
e2e_runc_run "$B" vg-plain-$$
is "$out" "plain" "a container without binds starts"

# A container in its own user namespace, with the range volguard allocated for "web".
start=$(vg alloc web --start)
mkdir -p "$T/docker/volumes/webvol/_data"
bundle userns 'id -u; echo hello > /data/f; ls -ln /data/f'
e2e_userns "$B" "$start" 65536
e2e_bind "$B" "$T/docker/volumes/webvol/_data" /data rw
e2e_runc_run "$B" vg-userns-$$
check "rc == 0" "a container mapped to web's range starts"
like "$out" '^0' "it is root inside its namespace"
is "$(stat -c %u "$T/docker/volumes/webvol/_data/f" 2>/dev/null)" "$start" \
	"the file it wrote in its private volume is owned by the range start on the host"
is "$(stat -c '%u %a' "$T/docker/volumes/webvol/_data")" "$start 700" \
	"the volume was prepared for web"

bundle overlap 'echo started'
e2e_userns "$B" $((start + 4096)) 65536
e2e_runc_run "$B" vg-overlap-$$
check "rc != 0" "a range overlapping another name's allocation is refused"
like "$out" "overlaps the range of 'web'" "and says whose"

bundle unalloc 'echo started'
e2e_userns "$B" $((start + 65536 * 100)) 65536
e2e_runc_run "$B" vg-unalloc-$$
check "rc != 0" "an unallocated range inside the pool is refused"

# The hook's own input.
exits 2 "state that is not JSON" sh -c "echo nope | '$VG' --config '$CONF' prestart"
exits 2 "state without an id" sh -c "echo '{\"pid\": 1, \"bundle\": \"/x\"}' | '$VG' --config '$CONF' prestart"
like "$out" "'id'" "the message names the field"
exits 2 "state without a pid" sh -c "echo '{\"id\": \"a\", \"bundle\": \"$T/b-srv\"}' | '$VG' --config '$CONF' prestart"
like "$out" "'pid'" "the message names the field"
exits 2 "state too large" sh -c "head -c 2000000 /dev/zero | tr '\\0' ' ' | '$VG' --config '$CONF' prestart"

done_testing
