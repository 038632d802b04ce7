#!/bin/bash
# audit on a host with one of each finding, checked finding by finding in the JSON.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/audit-lib.sh"
vg_setup
af_conf "[policy]
isolation_exempt = legacy*"
af_daemon_volguard
S3=$((S2 + 65536)) S4=$((S3 + 65536)) S5=$((S4 + 65536)) S6=$((S5 + 65536))
# Ranges: overlap (RANGE-001), a subuid delegation (002), a user's UID (003), outside the pool
# (009), a stale one (005), a malformed line and a name twice (007).
echo "someuser:$((S3 + 10)):100" >"$T/subuid"
# A user inside the range of usr, seen only by audit: /etc/passwd and /etc/group bound over in
# a private mount namespace (no user is added to the host).
cp /etc/passwd "$T/passwd"
cp /etc/group "$T/group"
echo "vgaudit$$:x:$((S6 + 7)):$((S6 + 7))::/nonexistent:/usr/sbin/nologin" >>"$T/passwd"
echo "vgaudit$$:x:$((S6 + 7)):" >>"$T/group"
# shellcheck disable=SC2016,SC2317 # expanded by the inner sh
vgns() {
	unshare -m sh -c 'mount --bind "$1/passwd" /etc/passwd && mount --bind "$1/group" /etc/group &&
		shift && exec "$@"' sh "$T" "$VG" --config "$CONF" "$@"
}
af_container c13 usr
af_container c14 outside

# Containers.
af_container c1 web "$(af_vol_mount webdata /data)"
af_container c2 db "$(af_vol_mount shared /s)"
af_container c3 rooty "$(af_vol_mount unrecorded /u)" '.Runtime="runc"'
af_container c4 shareA '.Config.User="1000"' '.Runtime="runc"'
af_container c5 shareB '.Config.User="1000:1000"' '.Runtime="runc"'
af_container c6 legacy-app '.Config.Labels={"volguard.isolation":"off"}' '.Runtime="runc"'
af_container c7 clash
af_container c8 deleg
mkdir -p "$T/docker/containers/c9" "$T/docker/containers/c10" "$T/docker/containers/c11"
printf '{"ID": "c9", "Name": "/trunc' >"$T/docker/containers/c9/config.v2.json" # truncated
echo '{}' >"$T/docker/containers/c9/hostconfig.json"
af_container c10 corrupt
printf 'not json at all' >"$T/docker/containers/c10/hostconfig.json"
echo '{"ID": "c11", "Name": "/nohost"}' >"$T/docker/containers/c11/config.v2.json" # no hostconfig
ln -s /etc "$T/docker/containers/c12" # a symlink instead of a directory
# Mounts and privileges, judged by the mount-check engine.
mkdir -p "$T/data" "$T/docker/volumes/bindetc/_data"
echo '{"MountType":"none","MountOpts":"bind","MountDevice":"/etc"}' \
	>"$T/docker/volumes/bindetc/opts.json"
af_container c15 etcrw "$(af_bind /etc /x true)" '.Runtime="runc"'
af_container c16 sock "$(af_bind "$T/run/docker.sock" /var/run/docker.sock false)" '.Runtime="runc"'
# A directory holding a socket a host process listens on (not a runtime socket's name), and a
# writable bind of a file with a second name.
mkdir -p "$T/lsock/app"
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(120)' \
	"$T/lsock/app/listen.sock" &
LSOCK_PID=$!
VG_CLEANUP_HOOKS+=("kill $LSOCK_PID")
for _ in $(seq 50); do [ -S "$T/lsock/app/listen.sock" ] && break; sleep 0.1; done
af_container c30 lsock "$(af_bind "$T/lsock" /l false)"
echo data >"$T/hl-file"
ln "$T/hl-file" "$T/hl-other"
af_container c31 hlink "$(af_bind "$T/hl-file" /f true)"
af_container c17 etcro "$(af_bind /etc /x false)" '.Runtime="runc"'
af_container c18 priv '.' '.Runtime="runc" | .Privileged=true'
af_container c22 caps '.' '.Runtime="runc" | .PidMode="host" | .CapAdd=["SYS_MODULE"] |
	.Devices=[{PathOnHost:"/dev/kmsg",PathInContainer:"/dev/k",CgroupPermissions:"rwm"}]'
af_container c19 prop "$(af_bind "$T/data" /d true rshared)" '.Runtime="runc"'
af_container c20 inherit "$(af_bind /etc /x true)" '.Runtime="runc" | .VolumesFrom=["etcrw"]'
af_container c21 bindvoluser "$(af_vol_mount bindetc /b)" '.Runtime="runc"'
# Docker's files say it runs, with the PID of a host process (a PID reused after a crash):
# audit takes the kernel's word (the process's cgroup), so this is no running container.
STALE=$(printf 'f%.0s' $(seq 64))
af_container "$STALE" stale ".State={Running:true,Pid:$$}"

# Volumes, laid out by volguard itself while the registry is still sound, then broken.
af_registry "web:$S1:65536" "db:$S2:65536"
af_volume webdata web
chown 0:0 "$T/docker/volumes/webdata/_data" # VOL-001
touch "$T/docker/volumes/webdata/_data/rootfile" # VOL-006
af_volume shared db web:ro
setfacl -x "user:$S1" "$T/docker/volumes/shared/_data" # VOL-003
setfacl -m mask::r-x "$T/docker/volumes/shared/_data"  # VOL-004
af_volume open web
chmod 0707 "$T/docker/volumes/open/_data" # VOL-002 (and 001)
af_volume nostamp web
setfattr -x trusted.volguard.stamp "$T/docker/volumes/nostamp" # VOL-005 (missing)
af_volume orphan # VOL-007
af_volume bindvol
echo '{"MountType":"none","MountOpts":"bind","MountDevice":"/srv/x"}' \
	>"$T/docker/volumes/bindvol/opts.json" # VOL-008
af_volume unrecorded # VOL-009
# Volumes with driver options that an older volguard prepared (members recorded, _data chowned):
# still not volguard's, so never an owner/mode/stamp finding with a `volguard fix` remedy.
af_volume nfsvol web
echo '{"MountType":"nfs","MountOpts":"addr=192.0.2.1,rw","MountDevice":":/export"}' \
	>"$T/docker/volumes/nfsvol/opts.json"
chown 0:0 "$T/docker/volumes/nfsvol/_data"
af_volume rbindvol web
echo '{"MountType":"none","MountOpts":"rbind","MountDevice":"'"$T"'/data"}' \
	>"$T/docker/volumes/rbindvol/opts.json"
touch "$T/docker/volumes/rbindvol/_data/rootfile"
af_volume broken
setfattr -n trusted.volguard.members -v "garbage" "$T/docker/volumes/broken" # VOL-010
af_volume moved web
setfattr -n trusted.volguard.members -v "web:rw:$((S1 - 65536)):$((S1 - 65536))" \
	"$T/docker/volumes/moved" # VOL-011, VOL-005 (stale)
af_registry "web:$S1:65536" "db:$S2:65536" "clash:$((S2 + 4096)):65536" "deleg:$S3:65536" \
	"outside:2147483648:65536" "ghost:$S4:65536" "this is not a range" "ghost:$S5:65536" \
	"usr:$S6:65536"
for v in nostamp moved; do
	af_container "m-$v" "user-$v" "$(af_vol_mount "$v" /v)"
done

exits 1 "a host with findings exits 1" vgns audit --json
json=$out
is "$(jq -r .schema_version <<<"$json")" 1 "one JSON document"
has_finding "$json" VG-RANGE-001 clash "VG-RANGE-001 overlapping ranges"
is "$(jq -r '[.findings[] | select(.id=="VG-RANGE-001")][0].severity' <<<"$json")" critical \
	"overlap is critical"
has_finding "$json" VG-RANGE-002 deleg "VG-RANGE-002 subuid delegation"
has_finding "$json" VG-RANGE-003 usr "VG-RANGE-003 an existing user's UID"
like "$(jq -r '.findings[] | select(.id=="VG-RANGE-003") | .evidence.id' <<<"$json")" \
	"user vgaudit$$ \\($((S6 + 7))\\)" "the evidence names the user"
is "$(jq '[.findings[] | select(.id=="VG-RANGE-003")] | length' <<<"$json")" 1 \
	"one VG-RANGE-003 per range, however many users it holds"
has_finding "$json" VG-RANGE-005 ghost "VG-RANGE-005 stale allocation"
has_finding "$json" VG-RANGE-007 host "VG-RANGE-007 malformed line"
like "$(jq -r '.findings[] | select(.id=="VG-RANGE-007" and .subject.kind=="host") | .evidence.line' <<<"$json")" \
	'^7$' "the malformed line's number"
has_finding "$json" VG-RANGE-007 ghost "VG-RANGE-007 a name twice"
has_finding "$json" VG-RANGE-009 outside "VG-RANGE-009 outside the pool"
has_finding "$json" VG-RANGE-009 clash "VG-RANGE-009 not aligned"
has_finding "$json" VG-RANGE-006 host "VG-RANGE-006 pool usage"

has_finding "$json" VG-CONT-001 c9 "VG-CONT-001 truncated config.v2.json"
like "$(jq -r '.findings[] | select(.id=="VG-CONT-001" and .subject.name=="c9") | .message' <<<"$json")" \
	'c9/config.v2.json:1:' "the message names the file and line"
has_finding "$json" VG-CONT-001 corrupt "VG-CONT-001 corrupt hostconfig.json"
has_finding "$json" VG-CONT-001 nohost "VG-CONT-001 missing hostconfig.json"
has_finding "$json" VG-CONT-001 c12 "VG-CONT-001 a symlink in containers/"
has_finding "$json" VG-ISO-001 rooty "VG-ISO-001 runs as host root"
has_finding "$json" VG-ISO-003 rooty "VG-ISO-003 bypasses volguard"
is "$(jq -r '.findings[] | select(.id=="VG-ISO-003" and .subject.name=="rooty") | .subject.id' <<<"$json")" \
	c3 "the subject carries the container ID"
has_finding "$json" VG-ISO-002 shareA "VG-ISO-002 shared UID (A)"
has_finding "$json" VG-ISO-002 shareB "VG-ISO-002 shared UID (B)"
is "$(jq -r '.findings[] | select(.id=="VG-ISO-002" and .subject.name=="shareA") | .evidence.shared_with' <<<"$json")" \
	shareB "the evidence names the other container"
has_finding "$json" VG-ISO-004 legacy-app "VG-ISO-004 exempt container"
unlike "$(af_ids "$json")" 'VG-ISO-00[13] legacy-app' "an exempt container is not a bypass or a failure"
unlike "$(af_ids "$json")" 'VG-ISO-00[123] (web|db)$' "containers through volguard are isolated"
unlike "$(af_ids "$json")" 'VG-ISO-006' "no VG-ISO-006 for a PID whose cgroup is not the container's"

has_finding "$json" VG-MOUNT-001 etcrw "VG-MOUNT-001 writable bind of /etc"
is "$(jq -r '.findings[] | select(.id=="VG-MOUNT-001" and .subject.name=="etcrw") | "\(.severity) \(.evidence.rule) \(.evidence.resolved) \(.evidence.mode)"' <<<"$json")" \
	"critical sensitive-writable /etc rw" "critical, with the rule, resolved path and mode"
like "$(jq -r '.findings[] | select(.id=="VG-MOUNT-001" and .subject.name=="etcrw") | .remedy' <<<"$json")" \
	'^docker rm -f etcrw && docker run \.\.\. without -v /etc:/x' "the remedy is the docker command"
has_finding "$json" VG-MOUNT-002 sock "VG-MOUNT-002 runtime socket, even read-only"
has_finding "$json" VG-MOUNT-003 bindvoluser "VG-MOUNT-003 bind volume of /etc"
has_finding "$json" VG-MOUNT-012 lsock "VG-MOUNT-012 a directory above a listening socket, read-only"
has_finding "$json" VG-MOUNT-013 hlink "VG-MOUNT-013 writable bind of a hard-linked file"
has_finding "$json" VG-MOUNT-004 inherit "VG-MOUNT-004 inherited through --volumes-from"
is "$(jq -r '.findings[] | select(.id=="VG-MOUNT-004" and .subject.name=="inherit") | .evidence.from' <<<"$json")" \
	etcrw "the evidence names the container it came from"
has_finding "$json" VG-MOUNT-005 etcro "VG-MOUNT-005 read-only bind of /etc"
is "$(jq -r '.findings[] | select(.id=="VG-MOUNT-005") | .severity' <<<"$json")" medium \
	"a read-only sensitive bind is medium"
has_finding "$json" VG-MOUNT-006 prop "VG-MOUNT-006 shared propagation"
has_finding "$json" VG-PRIV-001 priv "VG-PRIV-001 privileged"
has_finding "$json" VG-PRIV-002 caps "VG-PRIV-002 host PID namespace"
has_finding "$json" VG-PRIV-003 caps "VG-PRIV-003 added capability"
has_finding "$json" VG-PRIV-004 caps "VG-PRIV-004 host device"
unlike "$(af_ids "$json")" 'VG-(MOUNT|PRIV)-[0-9]+ (web|db)$' "clean containers have no mount finding"

has_finding "$json" VG-VOL-001 webdata "VG-VOL-001 owner"
is "$(jq -r '.findings[] | select(.id=="VG-VOL-001" and .subject.name=="webdata") | "\(.evidence.seen) / \(.evidence.expected)"' <<<"$json")" \
	"0:0 0700 / $S1:$S1 0700" "seen versus expected"
unlike "$(af_ids "$json")" '^VG-VOL-00[1-4] (nostamp|orphan)$' "an intact volume has no owner, mode or ACL finding"
is "$(jq -r '.findings[] | select(.id=="VG-VOL-001" and .subject.name=="webdata") | .remedy' <<<"$json")" \
	"volguard fix webdata" "the remedy is the command"
has_finding "$json" VG-VOL-002 open "VG-VOL-002 other access"
has_finding "$json" VG-VOL-003 shared "VG-VOL-003 missing ACL entry"
is "$(jq -r '[.findings[] | select(.id=="VG-VOL-003" and .subject.name=="shared")][0].evidence.missing' <<<"$json")" \
	"user:$S1:r-x" "the missing entry"
is "$(jq -r '[.findings[] | select(.id=="VG-VOL-004")][0].evidence | "\(.seen) \(.expected)"' <<<"$json")" \
	"mask::r-x mask::rwx" "the mask seen and expected"
has_finding "$json" VG-VOL-004 shared "VG-VOL-004 mask downgrade"
unlike "$(af_ids "$json")" 'VG-VOL-001 shared' "a narrowed mask is not also an owner/mode finding"
has_finding "$json" VG-VOL-005 nostamp "VG-VOL-005 stamp missing"
has_finding "$json" VG-VOL-005 moved "VG-VOL-005 stamp out of date"
is "$(jq -r '.findings[] | select(.id=="VG-VOL-005" and .subject.name=="moved") | .evidence.stale' <<<"$json")" \
	trusted.volguard.stamp "... said to be stale, not missing"
has_finding "$json" VG-VOL-006 webdata "VG-VOL-006 file outside the ranges"
has_finding "$json" VG-VOL-007 orphan "VG-VOL-007 unused volume"
has_finding "$json" VG-VOL-008 bindvol "VG-VOL-008 bind volume"
has_finding "$json" VG-VOL-009 unrecorded "VG-VOL-009 unrecorded volume"
has_finding "$json" VG-VOL-010 broken "VG-VOL-010 corrupt membership"
has_finding "$json" VG-VOL-011 moved "VG-VOL-011 member outside its range"
unlike "$(af_ids "$json")" '^VG-VOL-0(0[1-6]|11) (orphan|bindvol)$' \
	"an unused or bind volume gets no owner findings"
has_finding "$json" VG-VOL-008 nfsvol "VG-VOL-008 an nfs volume"
like "$(jq -r '.findings[] | select(.id=="VG-VOL-008" and .subject.name=="nfsvol") | .message' <<<"$json")" \
	'^volume is a nfs mount of :/export' "... described as the nfs mount it is"
has_finding "$json" VG-VOL-008 rbindvol "VG-VOL-008 a bind volume with o=rbind"
like "$(jq -r '.findings[] | select(.id=="VG-VOL-008" and .subject.name=="rbindvol") | .message' <<<"$json")" \
	"^bind volume of $T/data: " "... described as a bind volume of its host path"
unlike "$(af_ids "$json")" '^VG-VOL-0(0[1-69]|1[01]) (nfsvol|rbindvol|bindetc)$' \
	"volumes with driver options get no owner, mode, ACL or stamp finding"
is "$(jq -r '[.findings[] | select(.subject.kind=="volume" and (.subject.name|IN("nfsvol","rbindvol","bindetc","bindvol"))) |
	select(.remedy // "" | test("volguard fix"))] | length' <<<"$json")" 0 "... and no 'volguard fix' remedy"
has_finding "$json" VG-MOUNT-003 bindetc "VG-MOUNT-003 on the volume: a bind volume of /etc, judged as that bind"

# Every finding has the fields the schema promises.
is "$(jq '[.findings[] | select((.id|test("^VG-[A-Z]+-[0-9]{3}$")|not) or
	(.severity|IN("critical","high","medium","low","info")|not) or (.message|length)==0 or
	(.subject.kind|IN("host","range","container","volume")|not))] | length' <<<"$json")" 0 \
	"every finding has an ID, a severity, a subject kind and a message"
is "$(jq '[.findings[] | select(.severity != "info" and .remedy == null)] | length' <<<"$json")" 0 \
	"every finding above info has a remedy"
is "$(jq -r '.summary.worst' <<<"$json")" critical "worst severity in the summary"

exits 1 "--fail-on critical with a critical finding" vg audit --fail-on critical
exits 0 "--fail-on none" vg audit --fail-on none
like "$out" '^host' "text report starts with the host group"
like "$out" 'container rooty \(c3\)' "text groups by subject with the container ID"

# The daemon.json variants: not registered, not default, corrupt, userns-remap.
af_daemon ""
exits 1 "no daemon.json" vg audit --json
has_finding "$out" VG-HOST-001 host "VG-HOST-001 volguard not registered"
unlike "$(af_ids "$out")" 'VG-ISO-003' "no bypass findings when volguard is not the policy"
af_daemon '{"runtimes": {"volguard": {"path": "/usr/local/bin/volguard-runc",
	"runtimeArgs": ["--config", "'"$T"'/nosuch.conf"]}}}'
exits 1 "volguard registered, not default" vg audit --json
has_finding "$out" VG-HOST-002 host "VG-HOST-002 volguard not the default runtime"
has_finding "$out" VG-HOST-004 host "VG-HOST-004 the runtime's config file is missing"
like "$(jq -r '.findings[] | select(.id=="VG-HOST-004") | .message' <<<"$out")" 'does not exist' \
	"... said not to exist"
# A config path that exists but is a directory: the reason is lstat's, not a stale errno.
mkdir -p "$T/confdir"
af_daemon '{"runtimes": {"volguard": {"path": "/usr/local/bin/volguard-runc",
	"runtimeArgs": ["--config", "'"$T"'/confdir"]}}, "default-runtime": "volguard"}'
exits 1 "the runtime's config file is a directory" vg audit --json
msg=$(jq -r '.findings[] | select(.id=="VG-HOST-004") | .message' <<<"$out")
like "$msg" "$T/confdir, which is a directory" "VG-HOST-004 says it is a directory"
unlike "$msg" 'does not exist' "... never that an existing directory does not exist"
af_daemon '{"Runtimes": {"volguard": {"PATH": "/usr/local/bin/volguard-runc"}}, "Default-Runtime": "volguard"}'
exits 1 "daemon.json keys in another case" vg audit --json
unlike "$(af_ids "$out")" 'VG-HOST-00[12]' "keys match case-insensitively, as dockerd reads them"
af_daemon '{"runtimes": '
exits 1 "corrupt daemon.json" vg audit --json
has_finding "$out" VG-HOST-006 host "VG-HOST-006 daemon.json does not parse"
af_daemon '{"userns-remap": "default"}'
echo "dockremap:$S3:65536" >"$T/subuid"
af_container c4 shareA '.Config.User="1000"' '.Runtime="runc"'
exits 1 "userns-remap" vg audit --json
has_finding "$out" VG-HOST-003 host "VG-HOST-003 userns-remap"
has_finding "$out" VG-RANGE-004 deleg "VG-RANGE-004 a range inside the remap range"
has_finding "$out" VG-ISO-005 shareA "VG-ISO-005 containers share the remap range"
echo "broken subuid line" >"$T/subuid"
exits 1 "malformed subuid" vg audit --json
has_finding "$out" VG-HOST-007 host "VG-HOST-007 malformed subuid file"

# Owner and mode of volguard's own files; the registry unreadable.
af_daemon_volguard
chmod 0666 "$T/state/ranges"
exits 1 "a world-writable registry" vg audit --json
has_finding "$out" VG-HOST-005 host "VG-HOST-005 registry mode"
like "$(jq -r '.findings[] | select(.id=="VG-HOST-005") | .evidence.seen' <<<"$out")" '0666' \
	"the evidence shows the mode"
chmod 0644 "$T/state/ranges"
printf 'old:1073741824:65536 # released=2026-01-01T00:00:00Z\n' >"$T/state/quarantine"
chmod 0666 "$T/state/quarantine"
exits 1 "a world-writable quarantine file" vg audit --json
like "$(jq -r '.findings[] | select(.id=="VG-HOST-005") | .message' <<<"$out")" 'quarantine' \
	"VG-HOST-005 names the quarantine file"
rm "$T/state/quarantine"
rm "$T/state/ranges"
mkdir "$T/state/ranges"
exits 1 "an unreadable registry is a finding, not a crash" vg audit --json
has_finding "$out" VG-RANGE-008 host "VG-RANGE-008 unreadable registry"
rmdir "$T/state/ranges"

# A missing docker root is an error (exit 2) naming it.
sed -i "s|^docker_root = .*|docker_root = $T/nosuch|" "$CONF"
exits 2 "a missing docker root exits 2" vg audit
like "$out" "docker_root $T/nosuch: cannot open" "the message names the docker root"
done_testing
