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

run dk run -d --network none --name web -v webdata:/data "$IMG" \
	sh -c 'echo hello > /data/f && exec sleep 60'
ok "$rc" "web starts through volguard"
run dk run -d --network none --name worker -v workdata:/data "$IMG" sh -c 'exec sleep 60'
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

# dockerd stopped, its containers' files left in place (e2e_dockerd_stop at exit removes them).
kill -TERM "$E2E_DOCKERD_PID"
for _ in $(seq 150); do kill -0 "$E2E_DOCKERD_PID" 2>/dev/null || break; sleep 0.1; done
ok "$(kill -0 "$E2E_DOCKERD_PID" 2>/dev/null && echo 1 || echo 0)" "dockerd stopped"
exits 1 "audit with dockerd stopped" vg audit --json
is "$(af_ids "$out" | grep -v '^VG-RANGE-006')" "$(af_ids "$json" | grep -v '^VG-RANGE-006')" \
	"the same findings from the files alone"
done_testing
