#!/bin/bash
# alloc, release, list, list --json and every foundation command's --help.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
vg_setup
# A pool of its own: release refuses a range a host process runs in, and the containers of
# other tests on this host run in the first ranges of the default pool.
P=1610612736
POOL="[ranges]
pool_start = $P"
vg_write_conf "$POOL"

exits 0 "list of a registry never written" vg list
is "$out" "" "an empty list prints nothing"
ok "$([ ! -e "$T/state" ]; echo $?)" "list creates no state dir"

exits 0 "alloc web" vg alloc web
is "$out" "web:$P:65536" "web gets the first range"
exits 0 "alloc db" vg alloc db
is "$out" "db:$((P + 65536)):65536" "db gets the next one"
exits 0 "alloc big --size 131072" vg alloc big --size 131072
is "$out" "big:$((P + 131072)):131072" "--size allocates a multiple of range_size"
exits 2 "--size not a multiple of range_size" vg alloc odd --size 1000
like "$out" "multiple of range_size" "the message says why"
exits 2 "--size 0" vg alloc odd --size 0
exits 2 "--size not a number" vg alloc odd --size 12k
exits 0 "alloc db --start" vg alloc db --start
is "$out" "$((P + 65536))" "--start prints only the start of an existing range"

exits 0 "list" vg list
is "$(printf '%s\n' "$out" | cut -d' ' -f1 | tr '\n' ' ')" \
	"web:$P:65536 db:$((P + 65536)):65536 big:$((P + 131072)):131072 " "list shows the three ranges"
like "$out" "^web:$P:65536 # created=[0-9]{4}-[0-9]{2}-[0-9]{2}T" "list shows the metadata"

exits 0 "list --json" vg list --json
ok "$(printf '%s' "$out" | jq -e '.ranges | length == 3' >/dev/null; echo $?)" "--json: 3 ranges"
is "$(printf '%s' "$out" | jq -r '.ranges[] | "\(.name) \(.start) \(.count) \(.end)"' | tr '\n' ,)" \
	"web $P 65536 $((P + 65535)),db $((P + 65536)) 65536 $((P + 131071)),big $((P + 131072)) 131072 $((P + 262143))," \
	"--json: name, start, count, end"
is "$(printf '%s' "$out" | jq -r '"\(.range_size) \(.pool_start) \(.pool_end)"')" \
	"65536 $P 2147483647" "--json: the pool"
like "$(printf '%s' "$out" | jq -r '.ranges[0].meta.created')" '^20[0-9]{2}-' "--json: metadata"

exits 0 "release db" vg release db
exits 0 "list after release" vg list
unlike "$out" "^db:" "db is gone"
like "$out" "^web:" "web stays"
exits 2 "release db again" vg release db
like "$out" "'db' has no range" "release of an unknown name says so"
like "$(cat "$T/state/quarantine")" "^db:$((P + 65536)):65536 # .*released=20" \
	"db's range rests in the quarantine file, in the registry's format"
exits 0 "list --quarantine" vg list --quarantine
like "$out" "^db:$((P + 65536)):65536 # .*released=" "list --quarantine shows it"
exits 0 "list --json" vg list --json
is "$(printf '%s' "$out" | jq -r '.quarantine[] | "\(.name) \(.start) \(.until > now)"')" \
	"db $((P + 65536)) true" "--json: the quarantine, until a time in the future"
exits 0 "alloc new does not take the quarantined hole" vg alloc new
is "$out" "new:$((P + 262144)):65536" "first fit skips db's old range (quarantine_days = 30)"
exits 0 "alloc web keeps its range" vg alloc web
is "$out" "web:$P:65536" "web kept its range"

# A quarantine that has served its time: the range is free again, and the line goes.
sed -i 's/released=[^ ]*/released=2000-01-01T00:00:00Z/' "$T/state/quarantine"
exits 0 "alloc after the quarantine ended" vg alloc new2
is "$out" "new2:$((P + 65536)):65536" "first fit takes db's old range again"
is "$(grep -c '^db:' "$T/state/quarantine")" "0" "the quarantine no longer lists it"

# quarantine_days = 0: a released range is free at once.
vg_write_conf "$POOL
quarantine_days = 0"
exits 0 "release new2 with quarantine_days = 0" vg release new2
exits 0 "alloc new3" vg alloc new3
is "$out" "new3:$((P + 65536)):65536" "takes it back at once"
vg_write_conf "$POOL
quarantine_days = 40000"
exits 2 "quarantine_days beyond 36500 is a config error" vg list
like "$out" "quarantine_days" "naming the key"
vg_write_conf "$POOL"

# A full pool takes the range released first, before its quarantine ends, and says so.
SMALL=$T/small.conf
printf '[paths]\nstate_dir = %s\nsubuid_file = %s\nsubgid_file = %s\n[ranges]\npool_start = 3221225472\npool_end = %s\n' \
	"$T/small-state" "$T/subuid" "$T/subgid" $((3221225472 + 3 * 65536 - 1)) >"$SMALL"
chmod 0644 "$SMALL"
sv() { "$VG" --config "$SMALL" "$@"; }
for n in a b c; do sv alloc "$n" >/dev/null; done
sv release b >/dev/null 2>&1
sleep 1
sv release a >/dev/null 2>&1
run sv alloc d
ok "$rc" "alloc in a full pool with two quarantined ranges"
like "$out" "^d:$((3221225472 + 65536)):65536" "d gets b's range, released first"
like "$out" "warning: the pool is full: 'd' got the range that 'b' released" "and a warning says so"
like "$(sv list)" "^d:.* reused_from=b" "the registry records it"
run sv alloc e
like "$out" "^e:3221225472:65536" "the next takes a's"
exits 2 "then the pool is exhausted" sv alloc f
like "$out" "no free range" "and says so"

# Names at the edges (Docker's rule).
name255=$(printf 'a%.0s' $(seq 255))
exits 0 "a 255-byte name" vg alloc "$name255"
exits 2 "a 256-byte name" vg alloc "${name255}b"
for bad in .hidden -dash _under 'a/b' .. 'caf'$'\xc3\xa9' 'a b' ''; do
	exits 2 "name '$bad' refused" vg alloc "$bad"
done
exits 2 "release of an invalid name" vg release '../x'
exits 2 "alloc without NAME" vg alloc
exits 2 "alloc with two names" vg alloc a b
exits 2 "alloc with an unknown option" vg alloc --bogus a
exits 2 "list with an argument" vg list extra
exits 2 "list with an unknown option" vg list --bogus
exits 2 "unknown command" vg frobnicate

for cmd in alloc release list gc; do
	exits 0 "$cmd --help" vg "$cmd" --help
	like "$out" "^Usage: volguard $cmd" "$cmd --help prints its usage"
done
exits 0 "volguard --help" "$VG" --help
like "$out" "alloc" "global help lists the commands"
exits 0 "volguard --version" "$VG" --version
like "$out" '^volguard [0-9]' "--version"
done_testing
