#!/bin/bash
# The userns mode on Docker's overlay2 storage driver, with a real private dockerd: the root file
# system is an overlay of idmapped layers put in place of Docker's own merged mount
# (src/overlay_idmap.c, called from src/stage.c). What a container does as root lands on disk
# with image-relative owners; the image's layers are never written; one overlay per upper; Docker
# unmounts ours at stop, mounts its own at the next start, and commits image-relative layers.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require dockerd runc jq tar getfacl setfacl
vg_setup
VG_ISOLATION=userns vg_write_conf ''
e2e_rootfs || skip_all "cannot build the busybox root file system"
# shellcheck disable=SC2034 # read by e2e_dockerd_start
E2E_STORAGE_DRIVER=overlay2
if ! e2e_dockerd_start; then
	diag "$out"
	skip_all "dockerd cannot start with --storage-driver=overlay2 here"
fi
run dk info -f '{{.Driver}}'
[ "$out" = overlay2 ] || skip_all "dockerd runs storage driver '$out', not overlay2"
IMG=$E2E_IMAGE
POOL_START=1073741824
check() { ok $((!($1))) "$2"; }
# The mounts of the host's namespace on DIR (mount point exactly DIR): "fstype super-options".
mounts_at() { awk -v p="$1" '$5 == p { for (i = 7; $i != "-"; i++); print $(i + 1), $(i + 3) }' /proc/self/mountinfo; }
mounts_under() { awk -v p="$1/" 'index($5, p) == 1' /proc/self/mountinfo | wc -l; }

# A canary outside the container's data: owner, mode, ACL and ctime must not change.
CANARY=$T/docker/canary
echo canary >"$CANARY"
chmod 0640 "$CANARY"
setfacl -m u:12345:r "$CANARY"
canary() { stat -c '%u:%g %a %Z' "$CANARY"; getfacl -cp "$CANARY" 2>/dev/null; }
CANARY_BEFORE=$(canary)

# The image's own layer: its files' owners and ctimes before any container ran.
IMG_DIFF=$(dk image inspect -f '{{.GraphDriver.Data.UpperDir}}' "$IMG")
[ -d "$IMG_DIFF" ] || skip_all "no overlay2 layer for the image ($IMG_DIFF)"
layer_state() { find "$IMG_DIFF" -xdev -printf '%P %U:%G %m %C@\n' | sort; }
IMG_BEFORE=$(layer_state)

# --- a one-shot container as root --------------------------------------------------------------
run dk run --rm --network none --name once "$IMG" sh -c \
	'id -u; cat /proc/self/uid_map; touch /x && echo touch-ok; chown 33:33 /etc/passwd && ls -ln /etc/passwd; rm /etc/group && echo rm-ok'
ok "$rc" "a container on overlay2 runs in userns mode"
diag "$out"
like "$out" "^0" "it runs as root inside"
like "$out" "0 +$POOL_START +65536" "in a user namespace mapping 0 to its range"
like "$out" "touch-ok" "container root writes the image's root directory"
like "$out" "1 33 +33 .*/etc/passwd" "and chowns a lower file (copy-up)"
like "$out" "rm-ok" "and removes one (whiteout)"

# --- a running container: the mount, the disk, the host's view -----------------------------------
run dk run -d --network none --name long "$IMG" sh -c \
	'mkdir -p /srv && echo hi > /srv/f && chown 33:33 /srv/f && rm -f /etc/group && exec sleep 120'
ok "$rc" "a long-running container starts"
for _ in $(seq 50); do [ -e "$(dk inspect -f '{{.GraphDriver.Data.UpperDir}}' long)/srv/f" ] && break; sleep 0.1; done
UPPER=$(dk inspect -f '{{.GraphDriver.Data.UpperDir}}' long)
MERGED=$(dk inspect -f '{{.GraphDriver.Data.MergedDir}}' long)
LAYER=$(dirname "$UPPER")
uid=$(e2e_host_uid long)
check "${uid:-0} >= POOL_START" "its process runs as a host UID in the pool ($uid)"
m=$(mounts_at "$MERGED")
is "$(printf '%s\n' "$m" | grep -c .)" 1 "exactly one mount on Docker's merged directory"
like "$m" "^overlay .*lowerdir\+?=/.*upperdir=/diff,workdir=/work" \
	"and it is ours: layers by descriptor, not Docker's paths"
like "$m" "^overlay .*lowerdir" "the overlay has lowers"
is "$(stat -c %u "$MERGED/bin/busybox")" "$uid" "seen from the host, image files belong to the range's root"
is "$(mounts_under /run/volguard)" 0 "nothing staged is on the host's mount table"
is "$(stat -c '%u:%g' "$UPPER/srv/f")" "33:33" "on disk the container's file is 33:33 (image-relative)"
is "$(stat -c '%u:%g' "$UPPER/srv")" "0:0" "and its directory 0:0"
is "$(stat -c '%F %t,%T %u:%g' "$UPPER/etc/group")" "character special file 0,0 0:0" \
	"a removed image file is a whiteout owned by 0:0"
is "$(stat -c '%u:%g' "$LAYER/work/work")" "0:0" "overlayfs' work dir is 0:0 (created as the range's root)"
run dk exec long sh -c 'touch /y && id -u && ls -ln /srv/f'
ok "$rc" "docker exec runs in the container"
like "$out" "1 33 +33 .*/srv/f" "and sees the container-relative owner"

# The caveat of volguard(8): the host's view of merged is the range's.
echo cp >"$T/cpfile"
run dk cp "$T/cpfile" long:/tmp/cpfile
check "rc != 0" "docker cp into a running overlay2 userns container fails (CAVEATS)"
diag "$out"

# A second container on the same image, in another range, at the same time.
run dk run --rm --network none --name other "$IMG" sh -c 'touch /z && ls -ln /z && cat /proc/self/uid_map'
ok "$rc" "a second container on the same image runs alongside"
like "$out" "0 +0 .*/z" "its new file is root's inside"
unlike "$out" "0 +$POOL_START +65536" "in a range of its own"

# docker restart leaves our overlay on merged (Docker does not unmount it): replaced again.
run dk restart -t 1 long
ok "$rc" "docker restart"
run dk exec long sh -c 'ls -ln /srv/f; cat /proc/self/uid_map'
like "$out" "1 33 +33 .*/srv/f" "after restart the data is there"
like "$out" "0 +$uid +65536" "in the same range"
is "$(mounts_at "$MERGED" | grep -c .)" 1 "one mount on merged after restart"

# Docker's Put() at stop unmounts what is on merged: ours.
run dk stop -t 1 long
ok "$rc" "docker stop"
is "$(mounts_at "$MERGED" | grep -c .)" 0 "after stop nothing is mounted on merged"
is "$(mounts_under "$T/docker")" 0 "and no overlay is left under the docker root"
run dk start long
ok "$rc" "docker start again (a fresh swap over Docker's new mount)"
run dk exec long ls -ln /srv/f
like "$out" "1 33 +33 .*/srv/f" "the data survived stop/start"
is "$(mounts_at "$MERGED" | grep -c .)" 1 "one mount on merged again"
run dk stop -t 1 long
run dk commit long vgcommitted
ok "$rc" "docker commit"
C_DIFF=$(dk image inspect -f '{{.GraphDriver.Data.UpperDir}}' vgcommitted)
is "$(stat -c '%u:%g' "$C_DIFF/srv/f" 2>&1)" "33:33" "the committed layer holds image-relative owners"
run dk rm -f long
ok "$rc" "docker rm"
is "$(mounts_under "$T/docker")" 0 "no mount is left under the docker root after rm"
run dk run --rm --network none vgcommitted ls -ln /srv/f
like "$out" "1 33 +33 .*/srv/f" "a container of the committed image sees 33:33"

is "$(layer_state)" "$IMG_BEFORE" "the image's layer kept every owner, mode and ctime"
is "$(canary)" "$CANARY_BEFORE" "the canary outside kept owner, mode, ACL and ctime"

# --- auto: the probe finds overlays on idmapped layers -----------------------------------------
VG_ISOLATION=auto vg_write_conf ''
run dk run --rm --network none --name autoc "$IMG" cat /proc/self/uid_map
ok "$rc" "isolation = auto on overlay2"
like "$out" "0 +[0-9]+ +65536" "auto chose the user namespace on this kernel"
run vg list
like "$out" "autoc:.*isolation=userns" "the registry says which mode and"
diag "$out"
done_testing
