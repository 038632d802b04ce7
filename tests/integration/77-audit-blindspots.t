#!/bin/bash
# What docker-bench-security found and volguard's audit missed (issue 13), on a real dockerd:
# --security-opt seccomp=unconfined (docker-bench 5.22), no memory limit (5.11), a 0777 volume
# volguard never managed; and [policy] require_limits, which refuses a container without the
# limits it names in every view (runtime, check -- run, check --container, audit). A container
# run through volguard with limits and Docker's seccomp profile has no finding above info.
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
canary() { printf '%s %s' "$(stat -c '%u:%g %a %Z' "$1")" "$(getfacl -cp "$1" 2>/dev/null | tr '\n' ' ')"; }
mkdir -p "$T/host"
echo secret >"$T/host/f"
before=$(canary "$T/host")

# ---- the three blind spots -----------------------------------------------------------------
run dk run -d --network none -m 64m --pids-limit 50 --name good -v gooddata:/data "$IMG" \
	sh -c 'echo hi >/data/f && exec sleep 60'
ok "$rc" "good (-m 64m --pids-limit 50) starts through volguard"
run dk run -d --network none -m 64m --security-opt seccomp=unconfined --name noseccomp "$IMG" \
	sh -c 'exec sleep 60'
ok "$rc" "noseccomp (seccomp=unconfined) starts: a warning, not a refusal"
is "$(grep -c '^Seccomp:[[:space:]]*0' "/proc/$(dk inspect -f '{{.State.Pid}}' noseccomp)/status")" 1 \
	"... and really runs without a seccomp filter"
run dk run -d --network none --name nolimit "$IMG" sh -c 'exec sleep 60'
ok "$rc" "nolimit (no -m) starts"
run dk volume create open
ok "$rc" "a volume volguard never managed"
chmod 0777 "$T/docker/volumes/open/_data"

run vg audit --json
aj=$out
is "$(jq -r '[.findings[] | select(.id=="VG-PRIV-005") | .subject.name] | join(" ")' <<<"$aj")" \
	noseccomp "VG-PRIV-005 for noseccomp alone"
is "$(jq -r '.findings[] | select(.id=="VG-PRIV-005") | .severity' <<<"$aj")" medium "... medium"
like "$(jq -r '.findings[] | select(.id=="VG-PRIV-005") | .remedy' <<<"$aj")" \
	'without --security-opt seccomp=unconfined' "... the remedy says what to drop"
is "$(jq -r '[.findings[] | select(.id=="VG-PRIV-006") | .subject.name] | join(" ")' <<<"$aj")" \
	nolimit "VG-PRIV-006 (no memory limit) for nolimit alone"
is "$(jq -r '.findings[] | select(.id=="VG-PRIV-006") | .severity' <<<"$aj")" low "... low"
like "$(jq -r '.findings[] | select(.id=="VG-PRIV-006") | .remedy' <<<"$aj")" \
	'^docker update --memory SIZE --memory-swap SIZE nolimit' "... the remedy is docker update"
is "$(jq -r '[.findings[] | select(.id=="VG-VOL-015") | .subject.name] | join(" ")' <<<"$aj")" \
	open "VG-VOL-015 for the 0777 volume volguard never managed"
is "$(jq -r '.findings[] | select(.id=="VG-VOL-015") | "\(.severity) \(.evidence.mode)"' <<<"$aj")" \
	"high 0777" "... high, with the mode"
is "$(jq -r '[.findings[] | select(.subject.name=="good" or .subject.name=="gooddata") |
	select(.severity != "info") | .id] | join(" ")' <<<"$aj")" "" \
	"good and its volume: nothing above info (no false positive)"
chmod 0755 "$T/docker/volumes/open/_data"
run vg audit --json
is "$(jq -r '[.findings[] | select(.id=="VG-VOL-015")] | length' <<<"$out")" 0 \
	"chmod o-w: VG-VOL-015 is gone"

# ---- [policy] require_limits ----------------------------------------------------------------
vg_write_conf "daemon_config = $T/d/daemon.json
[policy]
require_limits = memory, pids"
ranges_before=$(cat "$T/state/ranges")
run dk run --rm --network none --name refused -v "$T/host:/h" -v refvol:/r "$IMG" true
[ "$rc" != 0 ]; ok $? "require_limits: docker run without -m and --pids-limit is refused"
like "$out" 'no memory limit, which \[policy\] require_limits asks for: run it with --memory' \
	"... the message names the limit, the rule and the flag"
is "$(cat "$T/state/ranges")" "$ranges_before" "... no range was given out"
is "$(canary "$T/host")" "$before" "... the canary is unchanged"
is "$(stat -c '%u:%g %a' "$T/docker/volumes/refvol/_data" 2>/dev/null || echo none)" "0:0 755" \
	"... its new volume was left as Docker made it"
run dk run --rm --network none -m 32m --name halfway "$IMG" true
[ "$rc" != 0 ]; ok $? "-m alone is refused too (pids is required)"
like "$out" 'no pids limit' "... for the pids limit"
run dk run --rm --network none -m 32m --pids-limit 20 --name limited "$IMG" true
ok "$rc" "-m 32m --pids-limit 20 is admitted"
exits 1 "check -- run gives the runtime's refusal" vg check -- run --network none "$IMG" true
like "$out" 'no memory limit' "... naming the limit"
exits 0 "check -- run with both limits passes" vg check -- run -m 1g --pids-limit=100 "$IMG" true
exits 1 "check --container of nolimit (created before) refuses it now" vg check --container nolimit
run vg audit --json
is "$(jq -r '[.findings[] | select(.id=="VG-PRIV-006" and .subject.name=="nolimit") | .severity] |
	unique | join(" ")' <<<"$out")" high "audit: nolimit's missing limits are high now (the policy refuses them)"
is "$(jq -r '[.findings[] | select(.id=="VG-PRIV-006") | .subject.name] | unique | join(" ")' <<<"$out")" \
	"nolimit noseccomp" "... and noseccomp lacks a pids limit; good has both"
is "$(canary "$T/host")" "$before" "the canary is unchanged at the end"
dk rm -f good noseccomp nolimit >/dev/null 2>&1
done_testing
