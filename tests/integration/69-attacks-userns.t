#!/bin/bash
# The hardening tests of issue 10 (53..59) a second time, with isolation = userns: the same
# attacks and canaries, each file saying assertion by assertion what that mode must give
# (tests/lib.sh: in_userns, skip_in_userns). Each file is one test here; its own TAP is shown
# indented (a subtest), and its failing lines again as diagnostics.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || skip_all "integration tests run as root"
# Idmapped mounts came in Linux 5.12 (ext4, the vfs driver's file system here).
kv=$(uname -r)
kmaj=${kv%%.*}
kmin=${kv#*.}
kmin=${kmin%%[!0-9]*}
[ "$kmaj" -gt 5 ] || { [ "$kmaj" -eq 5 ] && [ "$kmin" -ge 12 ]; } ||
	skip_all "kernel $kv has no idmapped mounts (userns mode needs 5.12)"
DIR=$(dirname "$0")
for f in "$DIR"/5[3-9]-attack-*.t "$DIR"/58-one-verdict.t; do
	name=$(basename "$f")
	t0=$(date +%s)
	sub=$(VG_ISOLATION=userns VG="$VG" bash "$f" 2>&1)
	rc=$?
	secs=$(($(date +%s) - t0))
	printf '%s\n' "$sub" | sed 's/^/    /'
	plan=$(printf '%s\n' "$sub" | grep -E '^1\.\.[0-9]+' | tail -n 1)
	if printf '%s' "$plan" | grep -q '^1\.\.0 # SKIP'; then
		pass "# SKIP $name (userns): ${plan#1..0 # SKIP }"
		continue
	fi
	ok "$rc" "$name in userns mode ($plan, ${secs} s)"
	[ "$rc" -eq 0 ] || diag "$(printf '%s\n' "$sub" | grep -E '^not ok' || echo "exit $rc")"
done
done_testing
