#!/bin/bash
# audit on a clean host: only info findings, exit 0; the report formats and --fail-on.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/audit-lib.sh"
vg_setup
af_conf ""
af_daemon_volguard
af_registry "web:$S1:65536 # created=2026-01-01T00:00:00Z container=c1" "db:$S2:65536"
af_container c1 web "$(af_vol_mount webdata /data) | $(af_vol_mount shared /shared)"
af_container c2 db "$(af_vol_mount shared /shared) | .Config.User=\"1000:1000\""
af_volume webdata web
af_volume shared web db:ro
mkdir "$T/docker/volumes/webdata/_data/sub"
touch "$T/docker/volumes/webdata/_data/sub/f"
chown -R "$((S1 + 33)):$((S1 + 33))" "$T/docker/volumes/webdata/_data/sub"
touch "$T/docker/volumes/shared/_data/g"
chown "$((S2 + 1000)):$((S2 + 1000))" "$T/docker/volumes/shared/_data/g"
setfacl -m "user:$S1:rwx,user:$S2:r-x" "$T/docker/volumes/shared/_data/g" # what inheritance gives

exits 0 "a clean host audits with exit 0" vg audit --json
json=$out
is "$(jq -r .schema_version <<<"$json")" 1 "schema_version is 1"
is "$(jq -r '[.findings[] | select(.severity != "info")] | length' <<<"$json")" 0 \
	"no finding above info"
has_finding "$json" VG-RANGE-006 host "pool usage is reported"
is "$(jq -r '.findings[] | select(.id=="VG-RANGE-006") | .evidence.free' <<<"$json")" 16382 \
	"two ranges used, 16382 left"
is "$(jq -r '.examined | "\(.containers) \(.volumes) \(.ranges)"' <<<"$json")" "2 2 2" \
	"two containers, two volumes, two ranges examined"
is "$(jq -r '.summary | "\(.critical) \(.high) \(.medium) \(.low) \(.info) \(.total)"' <<<"$json")" \
	"0 0 0 0 1 1" "summary counts by severity"

exits 0 "text report" vg audit
like "$out" '1 finding: 0 critical, 0 high, 0 medium, 0 low, 1 info' "text summary line"
unlike "$out" $'\033' "no colour when stdout is not a terminal"
if command -v script >/dev/null; then
	tty_out=$(script -qec "$VG --config $CONF audit" /dev/null 2>&1)
	like "$tty_out" $'\033\\[' "colour on a terminal"
	tty_out=$(NO_COLOR=1 script -qec "$VG --config $CONF audit" /dev/null 2>&1)
	unlike "$tty_out" $'\033' "no colour with NO_COLOR on a terminal"
fi

exits 1 "--fail-on info fails on the info finding" vg audit --fail-on info
exits 0 "--fail-on low passes" vg audit --fail-on low
exits 0 "--fail-on none passes" vg audit --fail-on none
exits 2 "--fail-on bogus is a usage error" vg audit --fail-on bogus
like "$out" "not one of critical" "the error lists the severities"
exits 2 "an unexpected argument is a usage error" vg audit extra
exits 0 "--checks" vg audit --checks
checks=$out
is "$(awk '{print $1}' <<<"$checks" | sort | uniq -d)" "" "check IDs are unique"
undocumented=$(awk '{print $1, $2}' <<<"$checks" | while read -r id sev; do
	grep -q "^\.It Li $id Ta $sev Ta " "$TOP/man/volguard.8" || echo "$id $sev"; done)
is "$undocumented" "" "every check is in volguard(8)'s table, with its severity"
is "$(grep -c '^\.It Li VG-' "$TOP/man/volguard.8")" "$(wc -l <<<"$checks")" \
	"and the table lists no check that does not exist"
exits 0 "--help" vg audit --help
like "$out" "--fail-on SEVERITY" "--help documents --fail-on"

# Narrowing: --container covers its range and its volumes, --volume only that volume.
exits 0 "--container web" vg audit --json --container web --fail-on info
is "$(jq -r '.findings | length' <<<"$out")" 0 "nothing to report for web (host info dropped)"
exits 2 "--container of an unknown name is an error" vg audit --container nosuch
like "$out" "no container 'nosuch'" "the error names the container"
exits 2 "--volume with a bad name is a usage error" vg audit --volume 'a/b'

# The same host, but the tree of webdata holds a root-owned file: only that volume reports it.
touch "$T/docker/volumes/webdata/_data/sub/rootfile"
exits 1 "a root-owned file in a private volume is a finding" vg audit --json --volume webdata
has_finding "$out" VG-VOL-006 webdata "VG-VOL-006 for webdata"
like "$(jq -r '.findings[0].evidence.example' <<<"$out")" '^sub/rootfile \(uid 0 gid 0\)$' \
	"the evidence names the file and its owner"
exits 0 "--volume shared does not see webdata's problem" vg audit --json --volume shared
exits 1 "--container web sees its volume's problem" vg audit --json --container web
has_finding "$out" VG-VOL-006 webdata "VG-VOL-006 under --container web"
done_testing
