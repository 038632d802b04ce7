#!/bin/bash
# alloc, list, release: the registry through the real binary.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
vg_setup

run bash -c "umask 077 && \"$VG\" --config \"$CONF\" alloc web"
is "$rc" 0 "alloc web under umask 077"
is "$(stat -c %a "$T/state")" "755" "the state dir it creates is 0755 whatever the umask"
exits 0 "alloc web" vg alloc web
like "$out" '^web:1073741824:65536$' "first range starts at the pool start"
exits 0 "alloc web again" vg alloc web
is "$out" "web:1073741824:65536" "alloc is idempotent"
exits 0 "alloc db --start" vg alloc db --start
is "$out" "1073807360" "--start prints only the start"
exits 2 "a name with a slash is refused" vg alloc 'a/b'
exits 0 "release web" vg release web
exits 0 "list" vg list
unlike "$out" '^web:' "web is gone from the list"
done_testing
