#!/bin/bash
# audit of a real dockerd's files (docker.io 20.10, volguard-runc the default runtime): the
# containers started through volguard are clean, one started with plain runc and -v /etc:/x is
# critical; the same verdict with dockerd stopped.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
. "$(dirname "$0")/audit-lib.sh"
e2e_require dockerd runc jq tar
vg_setup
vg_write_conf "daemon_config = $T/d/daemon.json" # written by e2e_dockerd_start
e2e_rootfs || skip_all "cannot build the busybox root file system"
if ! e2e_dockerd_start; then
	diag "$out"
	skip_all "dockerd cannot start here"
fi
IMG=$E2E_IMAGE

run dk run -d --network none -m 64m --name web -v webdata:/data "$IMG" \
	sh -c 'echo hello > /data/f && exec sleep 60'
ok "$rc" "web starts through volguard"
run dk run -d --network none -m 64m --name worker -v workdata:/data "$IMG" sh -c 'exec sleep 60'
ok "$rc" "worker starts through volguard"
run dk run -d --network none --runtime plainrunc --name bad -v /etc:/x "$IMG" sh -c 'exec sleep 60'
ok "$rc" "bad starts with plain runc and -v /etc:/x"
sleep 0.5 # web's first write

exits 1 "audit finds the bad container" vg audit --json
json=$out
is "$(jq -r '[.findings[] | select(.subject.name=="web" or .subject.name=="worker" or
	.subject.name=="webdata" or .subject.name=="workdata") | select(.severity != "info") |
	"\(.id) \(.subject.name)"] | join(", ")' <<<"$json")" "" \
	"containers started through volguard and their volumes have no finding"
has_finding "$json" VG-MOUNT-001 bad "VG-MOUNT-001 for bad's -v /etc:/x"
is "$(jq -r '.findings[] | select(.id=="VG-MOUNT-001" and .subject.name=="bad") | .severity' <<<"$json")" \
	critical "... critical"
has_finding "$json" VG-ISO-003 bad "VG-ISO-003: bad bypassed volguard"
has_finding "$json" VG-ISO-001 bad "VG-ISO-001: bad runs as host root"
is "$(jq -r '[.findings[] | select(.subject.kind=="host" and .severity != "info")] | length' <<<"$json")" \
	0 "the host itself is set up right (volguard registered and default)"
is "$(jq -r '.examined.containers' <<<"$json")" 3 "three containers examined"
exits 1 "--fail-on critical" vg audit --fail-on critical
exits 0 "--container web is clean" vg audit --container web
exits 1 "--container bad is not" vg audit --container bad

# --- class 12b (i): a running container whose range is gone (gc after docker rename did it) --
has_finding "$json" VG-ISO-006 bad "VG-ISO-006: bad runs as a host UID outside every range"
is "$(jq -r '.findings[] | select(.id=="VG-ISO-006" and .subject.name=="bad") | "\(.severity) \(.evidence.host_uid)"' <<<"$json")" \
	"high 0" "... high, host UID 0 (the kernel's view of its processes)"
uweb=$(e2e_host_uid web)
cp "$T/state/ranges" "$T/ranges.saved"
grep -v '^web:' "$T/ranges.saved" >"$T/state/ranges" # the range pulled from under web
run vg audit --json
has_finding "$out" VG-ISO-006 web "VG-ISO-006: web runs while its range is gone"
is "$(jq -r '.findings[] | select(.id=="VG-ISO-006" and .subject.name=="web") | "\(.severity) \(.evidence.host_uid)"' <<<"$out")" \
	"high $uweb" "... high, with the UID its processes really run as"
unlike "$(af_ids "$out")" 'VG-ISO-006 worker' "worker, whose range is there, is not reported"
cat "$T/ranges.saved" >"$T/state/ranges"
run dk exec -d web sleep 30
run vg audit --json
unlike "$(af_ids "$out")" 'VG-ISO-006 (web|worker)' \
	"with the range back, web (and what docker exec started in it) is inside its range"

# --- class 12b (ii): bind volumes are described as the host path they are ----------------
mkdir -p "$T/hostdir"
echo host >"$T/hostdir/f"
run dk volume create -o type=none -o o=rbind -o device="$T/hostdir" bindvol
ok "$rc" "a bind volume (o=rbind) of $T/hostdir"
run dk volume create -o type=tmpfs -o device=tmpfs -o o=size=1m tmpvol
ok "$rc" "a tmpfs volume"
run dk run -d --network none --name bvuser -v bindvol:/b -v tmpvol:/t "$IMG" sh -c 'exec sleep 60'
diag "a container mounting both: rc $rc"
hostcanary() { stat -c '%u:%g %a %Z' "$T/hostdir" "$T/hostdir/f"; getfacl -cp "$T/hostdir" 2>/dev/null; }
before=$(hostcanary)
run vg audit --json
aj=$out
is "$(jq -r '.findings[] | select(.id=="VG-VOL-008" and .subject.name=="bindvol") | .message' <<<"$aj")" \
	"bind volume of $T/hostdir: a host path volguard does not manage (its owner, mode and ACL are the host path's own); it is judged as a bind of $T/hostdir" \
	"VG-VOL-008 says 'bind volume of $T/hostdir'"
has_finding "$aj" VG-VOL-008 tmpvol "VG-VOL-008 for the tmpfs volume"
unlike "$(af_ids "$aj")" 'VG-VOL-0(0[1-69]|1[01]) (bindvol|tmpvol)$' \
	"neither is judged as a volume volguard manages (no owner, mode, ACL, stamp finding)"
is "$(jq -r '[.findings[] | select(.subject.name=="bindvol" or .subject.name=="tmpvol") |
	select(.remedy // "" | test("volguard fix [a-z]"))] | length' <<<"$aj")" 0 \
	"no finding about them says 'volguard fix'"
is "$(hostcanary)" "$before" "canary: audit changed nothing on $T/hostdir"
dk rm -f bvuser >/dev/null 2>&1
run vg audit --json
json=$out # what the running daemon's files give, for the comparison below

# dockerd stopped, its containers' files left in place (e2e_dockerd_stop at exit removes them).
kill -TERM "$E2E_DOCKERD_PID"
for _ in $(seq 150); do kill -0 "$E2E_DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
ok "$(kill -0 "$E2E_DOCKERD_PID" 2>/dev/null && echo 1 || echo 0)" "dockerd stopped"
exits 1 "audit with dockerd stopped" vg audit --json
# VG-ISO-006 is the kernel's view of running processes: the stopped daemon stopped them.
is "$(af_ids "$out" | grep -v '^VG-RANGE-006\|^VG-ISO-006')" \
	"$(af_ids "$json" | grep -v '^VG-RANGE-006\|^VG-ISO-006')" \
	"the same findings from the files alone"
done_testing
