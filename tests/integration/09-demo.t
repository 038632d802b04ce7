#!/bin/bash
# make demo's script runs, shows three ranges, and leaves nothing behind.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
vg_setup
exits 0 "scripts/demo.sh succeeds" env VG="$VG" "$TOP/scripts/demo.sh"
like "$out" "volguard alloc web" "it shows the commands it runs"
for c in web worker db; do
	like "$out" "^    $c:[0-9]+:65536\$" "it shows the range of $c"
done
is "$(printf '%s\n' "$out" | grep -E '^    (web|worker|db):[0-9]+:65536$' | cut -d: -f2 | sort -u | wc -l)" 3 \
	"three distinct ranges"
# shellcheck disable=SC2016 # a literal $DEMO in the output
demo=$(printf '%s\n' "$out" | sed -n 's/.*\$DEMO = \(\/tmp\/volguard-demo\.[A-Za-z0-9]*\),.*/\1/p')
like "$demo" '^/tmp/volguard-demo\.' "it names its throw-away directory"
ok "$([ -n "$demo" ] && [ ! -e "$demo" ]; echo $?)" "and removes it"
done_testing
