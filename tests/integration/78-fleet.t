#!/bin/bash
# Fleet (issue 14): two volguard "hosts" on this machine, A and B: two state dirs, two configs
# with [ranges] allocation = deterministic and one key file, and (second part) two private
# dockerds whose volume "data" is one directory (a bind mount of A's _data onto B's, standing in
# for NFS). The same identity gets the same range on both whatever the order of creation, a
# file written on A is readable by the same identity on B and by no other identity; import
# refuses a conflicting export, writing nothing; audit --compare reports a planted disagreement.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require jq
vg_setup
check() { ok $((!($1))) "$2"; }
TA=$T CONFA=$CONF
TB=$TA/hostb CONFB=$TB/etc/volguard.conf
mkdir -p "$TB/docker/volumes" "$TB/docker/containers" "$TB/etc"
: >"$TB/subuid"
: >"$TB/subgid"
KEY=$TA/allocation.key
printf '00112233445566778899aabbccddeeff\n' >"$KEY"
chmod 0600 "$KEY"
FLEET="[ranges]
allocation = deterministic
allocation_key_file = $KEY"
vg_write_conf "$FLEET"
T=$TB CONF=$CONFB vg_write_conf "$FLEET"
va() { "$VG" --config "$CONFA" "$@"; }
vb() { "$VG" --config "$CONFB" "$@"; }
range_of() { "$VG" --config "$1" list | awk -F'[: ]' -v n="$2" '$1 == n { print $2 ":" $3 }'; }

# --- the same range whatever the order --------------------------------------------------------
for n in n1 n2 n3 n4 n5; do va alloc "$n" >/dev/null; done
for n in n5 n4 n3 n2 n1; do vb alloc "$n" >/dev/null; done
same=0
for n in n1 n2 n3 n4 n5; do [ "$(range_of "$CONFA" $n)" = "$(range_of "$CONFB" $n)" ] && same=$((same + 1)); done
is "$same" 5 "five names created in opposite orders on A and B get the same five ranges"
unlike "$(range_of "$CONFA" n2)" '^1073807360:' "not first fit (n2 is not the second block)"
like "$(va list | grep '^n1:')" 'allocation=deterministic probes=0' "the registry records the policy and the probe count"

# --- the key -------------------------------------------------------------------------------------
chmod 0644 "$KEY"
exits 2 "a key file others can read is refused (exit 2)" va alloc k1
like "$out" "$KEY" "and the message names the file"
chmod 0600 "$KEY"
printf 'xyz\n' >"$TB/badkey"
chmod 0600 "$TB/badkey"
T=$TB CONF=$CONFB vg_write_conf "[ranges]
allocation = deterministic
allocation_key_file = $TB/badkey"
exits 2 "a key file that is not 32 hex digits is refused (exit 2)" vb alloc k1
like "$out" '32 hex digits' "and says what it must hold"
T=$TB CONF=$CONFB vg_write_conf "$FLEET"

# --- export, import ------------------------------------------------------------------------------
va list --json >"$TA/a.json"
is "$(jq -r '.version, .allocation' "$TA/a.json" | tr '\n' ' ')" "1 deterministic " "list --json is the export: version 1, the policy"
like "$(jq -r .key_id "$TA/a.json")" '^[0-9a-f]{16}$' "and a fingerprint of the key"
vb alloc dbb >/dev/null
va alloc web >/dev/null
web_a=$(range_of "$CONFA" web)
# B's "clash" sits on A's web: planted with the registry's own format, then imported A's export.
printf 'clash:%s # created=2026-01-01T00:00:00Z\n' "$web_a" >>"$TB/state/ranges"
cp -p "$TB/state/ranges" "$TA/b.before"
va list --json >"$TA/a.json"
exits 1 "importing an export that overlaps a range here is refused (exit 1)" vb import "$TA/a.json"
like "$out" "'web'.*overlaps 'clash'" "the message names both ranges"
cmp -s "$TB/state/ranges" "$TA/b.before"
ok $? "and the registry is unchanged"
jq '.ranges[0].start = "x"' "$TA/a.json" >"$TA/bad.json"
exits 2 "a bad export is an error (exit 2)" vb import "$TA/bad.json"
like "$out" 'bad.json: ranges\[0\].start' "naming the file and the field"
printf '{"version":1,' >"$TA/trunc.json"
exits 2 "a truncated export is an error (exit 2)" vb import "$TA/trunc.json"

# --- audit --compare -------------------------------------------------------------------------
# dbb exists only on B; "moved" gets another range on B than on A: a planted disagreement.
va alloc moved >/dev/null
va list --json >"$TA/a.json"
moved_a=$(range_of "$CONFA" moved)
alt=$((${moved_a%%:*} + 65536 * 8191))
[ "$alt" -ge 2147483648 ] && alt=$((${moved_a%%:*} - 65536 * 8191))
printf 'moved:%s:65536\n' "$alt" >>"$TB/state/ranges"
run vb audit --json --compare "$TA/a.json"
is "$(printf '%s' "$out" | jq -r '[.findings[] | select(.id == "VG-FLEET-003") | .subject.name] | join(",")')" \
	"moved" "audit --compare reports the identity whose range differs (VG-FLEET-003)"
is "$(printf '%s' "$out" | jq -r '[.findings[] | select(.id == "VG-FLEET-004") | .subject.name] | join(",")')" \
	"clash" "and the range that overlaps another identity's there (VG-FLEET-004)"
is "$(printf '%s' "$out" | jq -r '.findings[] | select(.id == "VG-FLEET-003") | .severity')" high "at severity high"
run va audit --json --compare "$TA/a.json"
is "$(printf '%s' "$out" | jq -r '[.findings[] | select(.id | startswith("VG-FLEET-00") and . != "VG-FLEET-002")] | length')" 0 "a host compared with its own export: no disagreement"
exits 2 "audit --compare of a bad file is an error (exit 2)" vb audit --compare "$TA/bad.json"
sed -i '/^clash:/d; /^moved:/d' "$TB/state/ranges"
exits 0 "once the conflicts are gone, the import goes through" vb import "$TA/a.json"
is "$(range_of "$CONFB" moved)" "$moved_a" "and pins A's range of 'moved' on B"
like "$(vb list | grep '^moved:')" 'imported=.* pinned_from=' "recorded as imported"

# --- two dockerds, one volume ----------------------------------------------------------------
for n in n1 n2 n3 n4 n5 web moved dbb; do va release "$n" >/dev/null 2>&1; vb release "$n" >/dev/null 2>&1; done
e2e_require_soft() { for t in "$@"; do command -v "$t" >/dev/null || return 1; done; }
if ! e2e_require_soft dockerd runc tar setpriv || ! e2e_rootfs; then
	skip "dockerd, runc or the busybox root file system missing" 9
	done_testing
fi
declare -A HV
host_save() { HV[$1.T]=$T HV[$1.CONF]=$CONF HV[$1.dir]=${E2E_DOCKERD_DIR:-} HV[$1.pid]=${E2E_DOCKERD_PID:-} HV[$1.exec]=${E2E_EXEC_ROOT:-}; }
host_load() { T=${HV[$1.T]} CONF=${HV[$1.CONF]} E2E_DOCKERD_DIR=${HV[$1.dir]} E2E_DOCKERD_PID=${HV[$1.pid]} E2E_EXEC_ROOT=${HV[$1.exec]}; }
# shellcheck disable=SC2317 # called by vg_cleanup, from VG_CLEANUP_HOOKS
stop_both() { host_load b; e2e_dockerd_stop; host_load a; e2e_dockerd_stop; }
started=0
if e2e_dockerd_start; then
	host_save a
	T=$TB CONF=$CONFB E2E_EXEC_ROOT=
	if e2e_dockerd_start; then started=1; fi
	host_save b
	host_load a
fi
VG_CLEANUP_HOOKS=(stop_both)
if [ "$started" != 1 ]; then
	diag "$out"
	skip "two private dockerds cannot start here" 9
	done_testing
fi
IMG=$E2E_IMAGE
on() { host_load "$1"; shift; "$@"; }
# A creates app then other; B creates other then app.
on a dk run --rm --network none --name app -v data:/data "$IMG" sh -c 'echo from-a > /data/f' >/dev/null 2>&1
ok $? "host A: app writes the volume data"
on a dk run --rm --network none --name other "$IMG" true >/dev/null 2>&1
on b dk run --rm --network none --name other "$IMG" true >/dev/null 2>&1
on b dk volume create data >/dev/null
mount --bind "$TA/docker/volumes/data/_data" "$TB/docker/volumes/data/_data"
ok $? "B's volume data is A's directory (the stand-in for NFS)"
run on b dk run --rm --network none --name app -v data:/data "$IMG" cat /data/f
host_load a
is "$out" "from-a" "host B: the same identity (app) reads what it wrote on host A"
is "$(range_of "$CONFA" app)" "$(range_of "$CONFB" app)" "app has the same range on A and B"
is "$(range_of "$CONFA" other)" "$(range_of "$CONFB" other)" "other, created in the other order, too"
check "$(range_of "$CONFA" app | cut -d: -f1) != $(range_of "$CONFA" other | cut -d: -f1)" "app and other have different ranges"
ua=$(range_of "$CONFA" app | cut -d: -f1)
uo=$(range_of "$CONFB" other | cut -d: -f1)
is "$(stat -c %u "$TB/docker/volumes/data/_data/f")" "$ua" "on B the file belongs to app's range"
# Another identity's UID on B (other's), through plain runc: no access.
run on b dk run --rm --network none --runtime plainrunc -u "$uo:$uo" -v "$TB/docker/volumes/data/_data:/p" "$IMG" cat /p/f
host_load a
check "rc != 0" "host B: another identity (other, UID $uo) cannot read it"
run on b dk run --rm --network none --name other -v data:/data "$IMG" cat /data/f
host_load a
unlike "$out" 'from-a' "nor can other mount it on B to read it"
done_testing
