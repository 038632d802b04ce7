#!/bin/bash
# shellcheck disable=SC2016 # jq filters are single-quoted on purpose
# audit of the isolation modes: per container the mode and why (registry metadata, checked
# against the user namespaces its processes really run in), the volumes root's reach by host
# users where containers run in userns mode, and the auto probe's cache. State fabricated as
# the runtime writes it; running containers are real runc containers (with and without a user
# namespace) that Docker's files of the fabricated root describe.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/audit-lib.sh"
vg_setup
export VG_ISOLATION=auto
af_conf ""
af_daemon_volguard
S3=$((S2 + 65536)) S4=$((S3 + 65536))
enc() { jq -rn --arg s "$1" '$s | @uri'; } # %XX-encoding (a superset of what vg_meta_encode escapes)
id64() { printf '%s' "$1" | sha256sum | cut -c1-64; }
IDW=$(id64 web) IDH=$(id64 hostnet) IDS=$(id64 shifty) IDO=$(id64 old) IDX=$(id64 other)
why_web="isolation = userns in the config"
why_host="needs the host's network namespace (--network host)"
why_shift="auto: the kernel cannot idmap overlay (mount_setattr: Invalid argument)"
write_registry() { # write_registry WEB-MODE
	af_registry "web:$S1:65536 # container=$IDW isolation=$1 isolation_why=$(enc "$why_web")" \
		"hostnet:$S2:65536 # container=$IDH isolation=shift isolation_why=$(enc "$why_host")" \
		"shifty:$S3:65536 # container=$IDS isolation=shift isolation_why=$(enc "$why_shift")" \
		"old:$S4:65536 # container=$IDO"
}
write_registry userns
chmod 0700 "$T" # no host user reaches the volumes root (VG-HOST-008: below)
af_container "$IDW" web
af_container "$IDH" hostnet '.' '.NetworkMode="host"'
af_container "$IDS" shifty
af_container "$IDO" old
af_container "$IDX" other '.' '.Runtime="runc"'
skip() { _n=$((_n + 1)) && echo "ok $_n # SKIP $1"; }
ev() { jq -r --arg id "$2" --arg s "$3" ".findings[] | select(.id==\$id and .subject.name==\$s) | $4" <<<"$1"; }

# --- the mode of each container, from the registry ----------------------------------------
run vg audit --json
json=$out
has_finding "$json" VG-ISO-007 web "VG-ISO-007: web's mode"
is "$(ev "$json" VG-ISO-007 web '"\(.severity) \(.evidence.isolation) \(.evidence.source)"')" \
	"info userns recorded at its last create" "... info, userns, from the record"
is "$(ev "$json" VG-ISO-007 web .evidence.why)" "$why_web" "... with the recorded reason, decoded"
like "$(ev "$json" VG-ISO-007 web .message)" "was last created in userns mode: $why_web" \
	"... the message says the mode and why (a container that does not run: its last create)"
has_finding "$json" VG-ISO-008 hostnet "VG-ISO-008: hostnet is in shift mode for --network host"
is "$(ev "$json" VG-ISO-008 hostnet '"\(.severity) \(.evidence.isolation) \(.evidence.why)"')" \
	"low shift $why_host" "... low, shift, and why"
unlike "$(af_ids "$json")" 'VG-ISO-007 hostnet' "... and no second line for it"
has_finding "$json" VG-ISO-007 shifty "VG-ISO-007: shifty's mode"
is "$(ev "$json" VG-ISO-007 shifty .evidence.why)" "$why_shift" "... shift, with the probe's reason"
unlike "$(af_ids "$json")" 'VG-ISO-00[789] (old|other)' \
	"no mode for a container with no record that does not run, nor for one that bypasses volguard"
is "$(jq -r '.examined.isolation | "\(.userns) \(.shift)"' <<<"$json")" "1 2" \
	"examined.isolation counts the containers per mode"
is "$(jq -r '[.findings[] | select(.severity != "info" and .severity != "low")] |
	map("\(.id) \(.subject.name)") | join(", ")' <<<"$json")" "VG-PRIV-002 hostnet, VG-ISO-001 other, VG-ISO-003 other" \
	"nothing above low but --network host itself and the container that bypasses volguard"
exits 1 "text report (VG-ISO-008 is low: --fail-on low fails)" vg audit
like "$out" "VG-ISO-007 +container was last created in userns mode: $why_web" \
	"the text report says web's mode and why"
exits 0 "--container web" vg audit --json --container web
is "$(af_ids "$out")" "VG-ISO-007 web" "--container web: its mode line"

# The host's config chooses shift: a host namespace is no fallback, just the mode.
VG_ISOLATION="shift" af_conf ""
run vg audit --json
has_finding "$out" VG-ISO-007 hostnet "isolation = shift: hostnet's mode is VG-ISO-007"
unlike "$(af_ids "$out")" 'VG-ISO-008' "... and there is no VG-ISO-008"
af_conf ""
# No record (a container created before volguard recorded modes): the rule tells.
af_registry "hostnet:$S2:65536 # container=$IDH"
run vg audit --json
is "$(ev "$out" VG-ISO-008 hostnet '"\(.evidence.source): \(.evidence.why)"')" \
	"the rule for host namespaces: needs the host's network namespace (--network host)" \
	"unrecorded, --network host: VG-ISO-008 by the rule"
# A record volguard does not know, and a reason that is not %XX-encoded right.
af_registry "web:$S1:65536 # container=$IDW isolation=bogus" \
	"shifty:$S3:65536 # container=$IDS isolation=shift isolation_why=50%zz"
run vg audit --json
unlike "$(af_ids "$out")" 'VG-ISO-00[789] web' "an unknown recorded mode is no mode"
is "$(ev "$out" VG-ISO-007 shifty .evidence.why)" "50%zz" "a malformed reason is shown as it is"
write_registry userns

# --- the volumes root's reach -------------------------------------------------------------
VOLS=$T/docker/volumes
mkdir -p "$VOLS"
chmod 0700 "$T"
chmod 0701 "$VOLS"
h8() { ev "$out" VG-HOST-008 host "$1"; }
run vg audit --json
is "$(h8 .id)" "" "no VG-HOST-008 while a directory above the volumes root is 0700 ($T)"
chmod 0711 "$T" "$T/docker"
run vg audit --json
is "$(h8 '"\(.severity) \(.evidence.reachable_by)"')" \
	"high any user (others may search every directory down to it)" \
	"VG-HOST-008 when every directory down to a 0701 volumes root can be searched"
is "$(ev "$out" VG-HOST-008 host .remedy)" "chmod 0700 $VOLS" "... the remedy is chmod 0700"
like "$(ev "$out" VG-HOST-008 host .evidence.chain)" "^/ [0-7]{4} 0:0; .*; $VOLS 0701 0:0$" \
	"... the evidence lists every directory from /"
is "$(ev "$out" VG-HOST-008 host .evidence.userns_containers)" web "... and the userns containers"
write_registry shift
run vg audit --json
is "$(h8 .id)" "" "a shift-only host never gets it, whatever the modes"
write_registry userns
chmod 0700 "$VOLS"
run vg audit --json
is "$(h8 .id)" "" "after the remedy (chmod 0700) it is gone"
chmod 0710 "$VOLS"
run vg audit --json
is "$(h8 .id)" "" "0710 with root's group: no host user gets in"
# A user whose group is root's (not a host user that counts), seen only by audit: /etc/passwd
# bound over in a private mount namespace.
cp /etc/passwd "$T/passwd"
echo "vgops$$:x:4242:0::/nonexistent:/usr/sbin/nologin" >>"$T/passwd"
# shellcheck disable=SC2317 # expanded by the inner sh
out=$(unshare -m sh -c 'mount --bind "$1/passwd" /etc/passwd && shift && exec "$@"' sh "$T" \
	"$VG" --config "$CONF" audit --json 2>&1)
is "$(jq -r '.findings[].id' <<<"$out" | grep -c VG-HOST-008)" 0 \
	"... nor does a user whose primary group is root's"
chgrp nogroup "$VOLS"
run vg audit --json
like "$(h8 .evidence.reachable_by)" 'user nobody \(65534\)' \
	"0710 with group nogroup: nobody (whose group it is) reaches it"
chgrp root "$VOLS"
chmod 0700 "$VOLS"
if setfacl -m u:nobody:--x "$VOLS" 2>/dev/null; then
	run vg audit --json
	is "$(h8 .evidence.reachable_by)" "user nobody (65534)" \
		"0700 plus an ACL entry user:nobody:--x: nobody reaches it"
	setfacl -m m::r-- "$VOLS"
	run vg audit --json
	is "$(h8 .id)" "" "... not when the ACL mask r-- takes its x away"
	setfacl -m m::--- "$VOLS"
	run vg audit --json
	is "$(h8 .id)" "" "... nor with the mask --- (the mode alone decides then)"
	setfacl -b "$VOLS"
	setfacl -m g:nogroup:--x "$VOLS"
	run vg audit --json
	like "$(h8 .evidence.reachable_by)" 'user nobody \(65534\)' \
		"0700 plus group:nogroup:--x: nobody (in nogroup) reaches it"
	setfacl -m m::r-- "$VOLS"
	run vg audit --json
	is "$(h8 .id)" "" "... not when the mask r-- takes the group entry's x away"
	setfacl -b "$VOLS"
else
	for _ in 1 2 3 4 5; do skip "no ACLs on the file system of $VOLS"; done
fi
chmod 0700 "$VOLS"
chown nobody "$VOLS"
run vg audit --json
is "$(h8 .evidence.reachable_by)" "user nobody (65534)" "0700 owned by nobody: its owner reaches it"
chown root "$VOLS"
chmod 0701 "$VOLS"
chmod 0700 "$T/docker"
run vg audit --json
is "$(h8 .id)" "" "docker_root 0700 above a 0701 volumes root: nobody gets in"
chmod 0700 "$T"

# --- the auto probe's cache ---------------------------------------------------------------
PROBE=$T/state/isolation-probe
KERNEL=$(uname -r)
FS=$(stat -f -c %t "$T/docker")
probe() { printf '%s\n' "$@" >"$PROBE" && chmod 0644 "$PROBE"; }
why_probe="overlayfs: idmapped layers refused, errno 22"
probe "kernel=$KERNEL fs=$FS what=idmap ok=1 why=$(enc "idmapped mounts work")" \
	"kernel=$KERNEL fs=$FS what=overlay ok=0 why=$(enc "$why_probe")" \
	"kernel=5.4.0-old fs=$FS what=idmap ok=0 why=too%20old" \
	"kernel=$KERNEL fs=1234abcd what=idmap ok=0 why=another%20file%20system"
run vg audit --json
is "$(ev "$out" VG-HOST-009 host '"\(.severity) \(.evidence.what) \(.evidence.why)"')" \
	"low overlay $why_probe" \
	"VG-HOST-009: the overlay probe failed for this kernel (low), with its reason"
like "$(ev "$out" VG-HOST-009 host .message)" \
	"the overlay probe failed on .*kernel $KERNEL.*: $why_probe: containers on the overlay2 storage driver run in shift mode" \
	"... the message names the probe, the kernel, why, and what runs in shift mode"
is "$(jq -r '[.findings[] | select(.id=="VG-HOST-009")] | length' <<<"$out")" 1 \
	"... only that one: another kernel's line and another file system's are not the host's now"
unlike "$(af_ids "$out")" 'VG-HOST-010' "... and the cache is well formed"
probe "kernel=$KERNEL fs=0x$FS what=overlay ok=1 why=" "kernel=$KERNEL fs=$FS what=overlay ok=0 why=x"
run vg audit --json
unlike "$(af_ids "$out")" 'VG-HOST-009' \
	"the first line for a probe is the answer, as the runtime reads it (a later one is never read)"
probe "kernel=$KERNEL fs=$FS what=idmap ok=0 why=$(enc "open_tree: Operation not permitted")" \
	"this is no probe line" "kernel=$KERNEL fs=$FS what=idmap ok=2"
run vg audit --json
like "$(ev "$out" VG-HOST-009 host .message)" "the idmap probe failed.*: containers run in shift mode" \
	"the idmap probe failed: every container runs in shift mode"
is "$(ev "$out" VG-HOST-010 host '"\(.severity) \(.message)"')" \
	"low $PROBE: line 2: a word that is not key=value (2 malformed lines); which isolation mode auto chooses is not known from it" \
	"VG-HOST-010: the malformed lines are counted, the first named"
chmod 0666 "$PROBE"
run vg audit --json
like "$(ev "$out" VG-HOST-005 host .message)" "isolation probe cache $PROBE is writable by group or others" \
	"VG-HOST-005: a probe cache others can write"
unlike "$(af_ids "$out")" 'VG-HOST-0(09|10)' \
	"... whose answers the runtime does not trust (it probes again): no VG-HOST-009 from it"
chmod 0644 "$PROBE"
VG_ISOLATION="userns" af_conf ""
run vg audit --json
unlike "$(af_ids "$out")" 'VG-HOST-0(09|10)' "isolation = userns: no probe decides anything, none reported"
af_conf ""
rm -f "$PROBE"
mkdir "$PROBE"
run vg audit --json
like "$(ev "$out" VG-HOST-010 host .message)" "cannot read it: not a regular file" \
	"a cache that is not a file is VG-HOST-010"
rmdir "$PROBE"

# --- running containers: the kernel's view (real runc containers) -------------------------
. "$(dirname "$0")/../e2e-lib.sh"
if ! command -v "$RUNC" >/dev/null || ! command -v jq >/dev/null || ! e2e_rootfs; then
	skip "no runc or no busybox root: the live cross-check was not run"
	done_testing
fi
S5=$((S4 + 65536)) S6=$((S5 + 65536)) S7=$((S6 + 65536)) S8=$((S7 + 65536)) S9=$((S8 + 65536))
# ct_start NAME ID [JQ-FILTER]: runc run -d, cgroup /ID (so audit knows it as container ID).
ct_start() {
	local b=$T/b-$1
	e2e_bundle "$b" 'exec sleep 120' && e2e_jq "$b" --arg cg "/$2" '.linux.cgroupsPath = $cg' &&
		e2e_jq "$b" "${3:-.}" || return 1
	E2E_RUNC_IDS+=("$2")
	"$RUNC" --root "$T/runc" run -d --bundle "$b" "$2" </dev/null >"$T/runc-$1.log" 2>&1
}
userns_map() { # JQ filter: user namespace 0 -> $1
	printf '.linux.namespaces += [{type: "user"}] | .linux.uidMappings = [{containerID: 0, hostID: %s, size: 65536}] | .linux.gidMappings = [{containerID: 0, hostID: %s, size: 65536}]' "$1" "$1"
}
ID1=$(id64 live-userns) ID2=$(id64 live-liar) ID3=$(id64 live-escape) ID4=$(id64 live-joiner)
ID5=$(id64 live-unrecorded)
af_registry "un:$S5:65536 # container=$ID1 isolation=userns isolation_why=$(enc "$why_web")" \
	"liar:$S6:65536 # container=$ID2 isolation=userns isolation_why=$(enc "$why_web")" \
	"esc:$S8:65536 # container=$ID3 isolation=userns" \
	"joiner:$S9:65536 # container=$ID4 isolation=userns" \
	"plain:$S4:65536 # container=$ID5"
rm -rf "$T/docker/containers"
af_container "$ID1" un
af_container "$ID2" liar
af_container "$ID3" esc
af_container "$ID4" joiner '.' ".NetworkMode=\"container:$ID1\""
af_container "$ID5" plain
ct_start un "$ID1" "$(userns_map "$S5")" &&
	ct_start liar "$ID2" ".process.user = {uid: $S6, gid: $S6}" &&
	ct_start esc "$ID3" "$(userns_map "$S7")" &&
	ct_start joiner "$ID4" "$(userns_map "$S5")" &&
	ct_start plain "$ID5" ".process.user = {uid: $S4, gid: $S4}"
ok $? "five runc containers run (three in a user namespace)" || diag "$(cat "$T"/runc-*.log)"

run vg audit --json
json=$out
is "$(ev "$json" VG-ISO-007 un '"\(.severity) \(.evidence.isolation) \(.evidence.uid_map)"')" \
	"info userns 0 $S5 65536" "VG-ISO-007: un runs in userns mode, its uid_map as the host sees it"
like "$(ev "$json" VG-ISO-007 un .message)" "^container runs in userns mode" "... it runs"
unlike "$(af_ids "$json")" 'VG-ISO-009 (un|joiner|plain)' \
	"no VG-ISO-009 for a userns container in its range, one joining its namespaces, a shift one"
has_finding "$json" VG-ISO-009 liar "VG-ISO-009: liar is recorded userns but runs in the host's user namespace"
like "$(ev "$json" VG-ISO-009 liar '"\(.severity) \(.message)"')" \
	"^high container was created in userns mode but PID [0-9]+ runs in the host's user namespace" \
	"... high, naming the process"
like "$(ev "$json" VG-ISO-007 liar .message)" \
	"^container was created in userns mode: .* \\(its processes show otherwise\\)$" \
	"... and its mode line does not say it runs in userns mode"
has_finding "$json" VG-ISO-009 esc "VG-ISO-009: esc's user namespace maps outside its range"
is "$(ev "$json" VG-ISO-009 esc .evidence.seen)" "uid_map 0 $S7 65536" "... the map it runs with"
is "$(ev "$json" VG-ISO-009 esc .evidence.expected)" "inside $S8-$((S8 + 65535))" "... and its range"
is "$(ev "$json" VG-ISO-007 plain '"\(.evidence.isolation) \(.evidence.source)"')" "shift seen live" \
	"an unrecorded container running in the host's user namespace: shift, seen live"
is "$(ev "$json" VG-ISO-007 joiner .evidence.joins)" "$ID1" "joiner's evidence names the container it joins"

# --- what the runtime records, on a private dockerd (isolation = auto) ----------------------
e2e_runc_cleanup
E2E_RUNC_IDS=()
rm -rf "$T/docker/containers" "$T/state" "$T/daemon.json"
mkdir -p "$T/docker/containers"
chmod 0755 "$T" # the range must reach the staging directory under it
vg_write_conf "daemon_config = $T/d/daemon.json"
if ! command -v dockerd >/dev/null || ! e2e_dockerd_start; then
	skip "dockerd cannot start here: the records of a real userns container were not audited"
	done_testing
fi
run dk run -d --network none --name uweb -v udata:/data "$E2E_IMAGE" sh -c 'echo hi >/data/f && exec sleep 60'
ok "$rc" "a container starts through volguard (isolation = auto)" || diag "$out"
run dk run -d --network host --name uhost "$E2E_IMAGE" sh -c 'exec sleep 60'
ok "$rc" "a --network host container starts" || diag "$out"
sleep 0.5
S=$(vg list | awk -F: '$1 == "uweb" { print $2 }')
run vg audit --json
json=$out
is "$(ev "$json" VG-ISO-007 uweb '"\(.evidence.isolation) \(.evidence.source) \(.evidence.uid_map)"')" \
	"userns recorded at its last create 0 $S 65536" \
	"uweb: userns, as the runtime recorded it, and its processes' uid_map is 0 -> its range"
like "$(ev "$json" VG-ISO-007 uweb .evidence.why)" "^auto: idmapped mounts work on " \
	"... with the runtime's reason (the auto probe)"
is "$(ev "$json" VG-ISO-008 uhost '"\(.severity) \(.evidence.isolation) \(.evidence.source)"')" \
	"low shift recorded at its last create" "uhost: shift mode for --network host, low"
like "$(ev "$json" VG-ISO-008 uhost .evidence.why)" "needs the host's network namespace" \
	"... with the runtime's reason"
unlike "$(af_ids "$json")" 'VG-ISO-009|VG-HOST-009|VG-HOST-010' \
	"the live view agrees with the records, and no probe failed"
like "$(cat "$T/state/isolation-probe" 2>/dev/null)" "^kernel=$KERNEL fs=[0-9a-f]+ what=idmap ok=1 why=" \
	"the runtime's probe cache is in the format audit reads"
is "$(jq -r '.examined.isolation | "\(.userns) \(.shift)"' <<<"$json")" "1 1" "one container per mode"
chain=$(ev "$json" VG-HOST-008 host .evidence.chain)
if [ -z "$chain" ]; then
	# dockerd made its data root 0710 (or 0700): nobody reaches the volumes below it.
	chmod 0711 "$T/docker"
	run vg audit --json
fi
is "$(ev "$out" VG-HOST-008 host '"\(.severity) \(.evidence.userns_containers) \(.remedy)"')" \
	"high uweb chmod 0700 $T/docker/volumes" \
	"VG-HOST-008 for a volumes root others can reach, naming the userns container"
chmod 0700 "$T/docker/volumes"
run dk restart uweb
ok "$rc" "after the remedy, the userns container restarts" || diag "$out"
run dk exec uweb cat /data/f
is "$out" hi "... and still reads its volume"
run vg audit --json
unlike "$(af_ids "$out")" 'VG-HOST-008' "... and VG-HOST-008 is gone"
done_testing
