#!/bin/bash
# The userns isolation mode on a private dockerd (vfs; overlay2 with E2E_STORAGE_DRIVER): each
# container in its own user namespace and range, the image never copied or chowned, Docker's
# binds and the volumes idmapped in a private mount namespace, nothing left on the host.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require dockerd runc jq tar
VG_ISOLATION=${VG_ISOLATION_65:-userns}
vg_setup
e2e_rootfs || skip_all "cannot build the busybox root file system"
if ! e2e_dockerd_start; then
	diag "$out"
	skip_all "dockerd cannot start here"
fi
IMG=$E2E_IMAGE
V=$T/docker/volumes
STAGE=$T/stage
okif() { if eval "$1"; then pass "$2"; else fail "$2"; fi; }
drun() { run dk run --network none "$@"; }
start_of() { vg list | awk -F: -v n="$1" '$1 == n { print $2 }'; }
host_mounts() { grep -c -e "$STAGE" -e "/volguard/" /proc/self/mountinfo; }
cid() { dk inspect -f '{{.Id}}' "$1"; }
pid_of() { dk inspect -f '{{.State.Pid}}' "$1"; }

# The canary: a host file outside any container's data.
CANARY=$T/canary
echo keep >"$CANARY"
chmod 0640 "$CANARY"
canary() { stat -c '%u:%g %a %Z' "$CANARY"; }
CANARY0=$(canary)

# --- the mapping, the root file system -------------------------------------------------------
drun --rm --name u1 "$IMG" sh -c 'cat /proc/sys/net/ipv4/ping_group_range; id -u; cat /proc/self/uid_map; stat -c "%u:%g" /bin /etc/passwd; touch /x && echo touch-ok; echo out >/dev/stdout && echo reopen-ok'
is "$rc" 0 "a userns container runs"
S1=$(start_of u1)
like "$out" "^0\$" "it runs as root inside"
like "$out" "0 +$S1 +65536" "uid_map: 0 -> its range start ($S1), 65536 IDs"
like "$out" '0:0' "the image's files show as root's inside (idmapped root file system)"
like "$out" 'touch-ok' "container root can write its root file system"
like "$out" 'reopen-ok' "container root can reopen /dev/stdout (the shim's pipes are the range's)"
like "$out" '^0[[:space:]]+65535$' "net.ipv4.ping_group_range is the mapped groups (Docker's 0 2147483647 would fail)"
run vg list
like "$out" "^u1:$S1:65536 .*isolation=userns" "the registry records the mode"

# The image's own files are untouched: the vfs layer of the image keeps owner and ctime.
# The image's one layer: vfs/dir/<cache-id> or overlay2/<cache-id>/diff.
DRIVER=$(dk info -f '{{.Driver}}')
CACHEID=$(cat "$T"/docker/image/"$DRIVER"/layerdb/sha256/*/cache-id | head -n 1)
IMGDIR=$T/docker/vfs/dir/$CACHEID
[ "$DRIVER" = overlay2 ] && IMGDIR=$T/docker/overlay2/$CACHEID/diff
img_state() { stat -c '%u:%g %Z' "$IMGDIR/bin/busybox" "$IMGDIR/etc/passwd" "$IMGDIR/etc"; }
IMG0=$(img_state)

# --- a long-running container: host UIDs, mounts, exec, restart ------------------------------
drun -d --name web -v webdata:/data "$IMG" sh -c 'chown 33:33 /data; echo page >/data/index; sleep 600'
is "$rc" 0 "a detached userns container with a named volume starts"
SW=$(start_of web)
okif "[ -n '$SW' ] && [ '$SW' != '$S1' ]" "it has its own range ($SW, not u1's $S1)"
sleep 0.5
HUID=$(e2e_host_uid web)
is "$HUID" "$SW" "its init runs as host UID = its range start"
okif "[ '${HUID:-0}' != 0 ]" "never host root"
is "$(stat -c '%u:%g' "$V/webdata/_data")" "33:33" "on disk the volume is container-relative (33:33), not host-shifted"
is "$(stat -c '%u:%g' "$V/webdata/_data/index")" "0:0" "a file container root wrote is 0:0 on disk"
is "$(host_mounts)" 0 "no idmapped mount reaches the host's mount table while it runs"
run ls -A "$STAGE/$(cid web)"
like "$out" rootfs "the staging directory holds the root file system's mount point"
is "$(stat -c '%a' "$STAGE/$(cid web)")" 711 "... mode 0711, so that the range can reach it"
run grep -c idmapped "/proc/$(pid_of web)/mountinfo"
okif "[ '$out' -ge 4 ]" "inside: the root, the volume and Docker's files are idmapped mounts ($out)"
run grep ' /data ' "/proc/$(pid_of web)/mountinfo"
like "$out" 'nosuid,nodev' "the volume is mounted nosuid,nodev"

run dk exec web sh -c 'id -u; cat /proc/self/uid_map; cat /data/index'
like "$out" "0 +$SW +65536" "docker exec runs in the container's user namespace"
like "$out" page "... and sees the volume"
run dk exec -u 33 web sh -c 'echo more >/data/by33 && echo w33-ok; id -u'
like "$out" w33-ok "docker exec -u 33 writes the volume container uid 33 owns"
run dk exec web sh -c 'cat /etc/hosts >/dev/null && echo >>/etc/hosts && echo hosts-ok'
like "$out" hosts-ok "Docker's /etc/hosts is container root's (idmapped)"

run dk restart -t 1 web
is "$rc" 0 "docker restart"
sleep 0.5
is "$(e2e_host_uid web)" "$SW" "after restart: the same range"
run dk stop -t 1 web
run dk start web
is "$rc" 0 "docker stop + start"
run dk exec web cat /data/index
like "$out" page "the data survived"

# --- two ranges share a volume; a read-only member -------------------------------------------
drun --rm --name peer -v webdata:/data "$IMG" sh -c 'stat -c "%u:%g" /data /data/index; echo peer >>/data/index && echo peer-write-ok'
like "$out" '33:33' "another range sees the volume with the same container-relative owners"
like "$out" 'peer-write-ok' "... and can write it"
drun --rm --name ro1 -v webdata:/data:ro "$IMG" sh -c 'cat /data/index >/dev/null && echo read-ok; echo x >/data/new 2>&1 || echo write-failed'
like "$out" read-ok "a read-only member reads"
like "$out" 'write-failed' "... and cannot write"

# --- namespaces ------------------------------------------------------------------------------
run dk run --rm --name side --network container:web "$IMG" sh -c 'cat /proc/self/uid_map'
is "$rc" 0 "--network container:web runs"
like "$out" "0 +$SW +65536" "... in web's user namespace (the netns owner's)"
run dk run --rm --name hostnet --network host "$IMG" sh -c 'cat /proc/self/uid_map; id -u'
is "$rc" 0 "--network host runs"
like "$out" "0 +0 +4294967295" "... in the host's user namespace (shift mode)"
run vg list
like "$out" "^hostnet:.*isolation=shift isolation_why=[^ ]*network" "the registry says shift and why"

# --- docker commit, rm: nothing left ---------------------------------------------------------
run dk exec web sh -c 'mkdir -p /srv/made && chown 33:33 /srv/made'
run dk commit web vgcommitted
is "$rc" 0 "docker commit"
run dk run --rm --runtime plainrunc --network none vgcommitted stat -c '%u:%g' /srv/made
is "$out" "33:33" "the committed layer is image-relative (33:33)"
drun --rm --name cu -v copyup:/srv vgcommitted sh -c 'stat -c "%u:%g" /srv/made; touch /srv/made/x && echo root-write-ok'
like "$out" '^33:33' "Docker's copy-up into a new volume shows the image's owners inside"
like "$out" root-write-ok "... and container root can write it"
is "$(stat -c '%u:%g' "$V/copyup/_data/made")" "33:33" "... on disk as they are, container-relative (no shift, no walk)"
WID=$(cid web)
run dk rm -f web
is "$(host_mounts)" 0 "after docker rm: no mount on the host"
okif "[ ! -e '$STAGE/$WID' ]" "the staging directory is gone"
is "$(img_state)" "$IMG0" "the image's files on disk are unchanged (owner, ctime)"

# --- dockerd restart, with and without live-restore ------------------------------------------
e2e_dockerd_restart() { # the daemon starts again (E2E_DAEMON_EXTRA: more daemon.json)
	kill -TERM "$E2E_DOCKERD_PID"
	wait "$E2E_DOCKERD_PID" 2>/dev/null
	E2E_DOCKERD_PID=
	e2e_dockerd_start || { diag "$out"; return 1; }
}
# e2e_dockerd_start writes daemon.json anew: live-restore goes in through E2E_DAEMON_EXTRA.
if E2E_DAEMON_EXTRA='"live-restore": true' e2e_dockerd_restart; then
	drun -d --name lr "$IMG" sleep 600
	LRID=$(cid lr)
	LRS=$(start_of lr)
	E2E_DAEMON_EXTRA='"live-restore": true' e2e_dockerd_restart
	run dk exec lr cat /proc/self/uid_map
	like "$out" "0 +$LRS +65536" "live-restore: the container survives dockerd's restart, exec works"
	run dk stop -t 1 lr
	is "$rc" 0 "... and stops"
	okif "[ ! -e '$STAGE/$LRID' ]" "... its staging directory is gone"
	run dk start lr
	is "$rc" 0 "... and starts again"
	if e2e_dockerd_restart; then
		run dk start lr
		is "$rc" 0 "without live-restore: killed by the restart, docker start works"
		run dk exec lr cat /proc/self/uid_map
		like "$out" "0 +$LRS +65536" "... in its range"
	else
		fail "dockerd restarts without live-restore"
	fi
else
	fail "dockerd restarts with live-restore"
fi
run dk rm -f lr
is "$(host_mounts)" 0 "nothing mounted on the host at the end"
is "$(canary)" "$CANARY0" "the canary never changed"
done_testing
