#!/bin/bash
# Run without the privileges it needs, volguard fails cleanly, naming what is missing; installed
# setuid it refuses to run at all.
. "$(dirname "$0")/../lib.sh"
vg_setup
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) is not installed"

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

for cmd in alloc release gc; do
	exits 2 "as a normal user, $cmd fails" as_nobody "$VG" --config "$CONF" $cmd web
	like "$out" "'volguard $cmd' must run as root \(effective UID 0\)" \
		"as a normal user, $cmd names the missing root"
done
exits 0 "as a normal user, list (no state dir yet) works" as_nobody "$VG" --config "$CONF" list
exits 2 "as a normal user, list --nope is a usage error" as_nobody "$VG" --config "$CONF" list --nope
like "$out" "unknown option" "the usage error is named"

# Root without a capability the command keeps: named by its name.
exits 2 "root without CAP_DAC_READ_SEARCH: gc fails" \
	setpriv --bounding-set=-dac_read_search "$VG" --config "$CONF" gc --dry-run
like "$out" "'volguard gc' needs capability cap_dac_read_search, which this process lacks" \
	"the missing capability is named"
exits 2 "root without CAP_SYS_ADMIN: release fails" \
	setpriv --bounding-set=-sys_admin "$VG" --config "$CONF" release web
like "$out" "needs capability cap_sys_admin" "the missing capability is named"

# Installed setuid root (or with file capabilities) it refuses, whoever runs it.
cp "$VG" "$T/vg-suid"
chmod 4755 "$T/vg-suid"
exits 2 "setuid copy run by a normal user refuses" as_nobody "$T/vg-suid" --config "$CONF" list
like "$out" "must not be installed setuid, setgid or with file capabilities" \
	"the refusal says why"
# Setgid to a group the caller is not in. Run by root, which keeps CAP_SYS_PTRACE: LeakSanitizer
# (in the ASan run) cannot stop the threads of a non-dumpable process without it.
chmod 0755 "$T/vg-suid"
chgrp daemon "$T/vg-suid"
chmod 2755 "$T/vg-suid"
exits 2 "setgid copy refuses" setpriv --regid=0 --clear-groups "$T/vg-suid" --config "$CONF" --version
like "$out" "must not be installed setuid, setgid" "the refusal says why"
rm -f "$T/vg-suid"
done_testing
