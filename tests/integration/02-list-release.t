#!/bin/bash
# alloc, release, list, list --json and every foundation command's --help.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
vg_setup
P=1073741824

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
exits 0 "alloc new reuses the hole" vg alloc new
is "$out" "new:$((P + 65536)):65536" "first fit takes db's old range"
exits 0 "alloc web keeps its range" vg alloc web
is "$out" "web:$P:65536" "web kept its range"

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
