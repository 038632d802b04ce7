#!/bin/bash
# volguard trusts its config, state dir, registry and lock only when they are root's, not
# writable by others and not symbolic links; it refuses to run setuid or as a normal user.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
vg_setup
vg alloc web >/dev/null
S=$T/state
OTHER=$((40000 + $$ % 20000)) # any UID but root's; it need not exist

# refused DESCRIPTION REGEX: alloc and list fail with exit 2, nothing is rewritten.
refused() {
	local before
	before=$(cat "$S/ranges" 2>/dev/null)
	exits 2 "$1: alloc refused" vg alloc other
	like "$out" "$2" "$1: the message says why"
	is "$(cat "$S/ranges" 2>/dev/null)" "$before" "$1: registry unchanged"
}

# The config file.
cp "$CONF" "$T/conf.real"
ln -sf "$T/conf.real" "$T/conf.link"
exits 2 "config: a symbolic link is refused" "$VG" --config "$T/conf.link" list
like "$out" "symbolic link" "config: the message says symbolic link"
chown "$OTHER" "$CONF"
exits 2 "config: not owned by root is refused" vg list
like "$out" "owned by UID $OTHER, not root" "config: the message names the owner"
chown 0 "$CONF"
for m in 0664 0646; do
	chmod "$m" "$CONF"
	exits 2 "config: mode $m is refused" vg list
	like "$out" "writable by .*mode $m" "config: mode $m: the message names the mode"
done
chmod 0644 "$CONF"
mkfifo "$T/fifo.conf"
exits 2 "config: a FIFO is refused (and does not block)" timeout 10 "$VG" --config "$T/fifo.conf" list
like "$out" "not a regular file" "config: FIFO: the message says so"
exits 2 "config: a directory is refused" "$VG" --config "$T" list

# The registry.
chown "$OTHER" "$S/ranges"
refused "registry owned by UID $OTHER" "registry is owned by UID $OTHER"
exits 2 "registry owned by another UID: list refused" vg list
chown 0 "$S/ranges"
chmod 0666 "$S/ranges"
refused "registry mode 0666" "registry is writable by group or others"
chmod 0644 "$S/ranges"
ln "$S/ranges" "$T/hardlink"
refused "registry with a second hard link" "hard links"
rm "$T/hardlink"
mv "$S/ranges" "$T/ranges.real"
ln -s "$T/ranges.real" "$S/ranges"
refused "registry as a symbolic link" "registry is a symbolic link"
rm "$S/ranges"
mv "$T/ranges.real" "$S/ranges"

# The lock file.
chown "$OTHER" "$S/ranges.lock"
refused "lock owned by UID $OTHER" "lock file is owned by UID $OTHER"
chown 0 "$S/ranges.lock"
chmod 0622 "$S/ranges.lock"
refused "lock mode 0622" "lock file is writable"
chmod 0600 "$S/ranges.lock"
mv "$S/ranges.lock" "$T/lock.real"
ln -s "$T/lock.real" "$S/ranges.lock"
refused "lock as a symbolic link" "lock file is a symbolic link"
rm "$S/ranges.lock"
mv "$T/lock.real" "$S/ranges.lock"

# The state dir, and its parents.
chown "$OTHER" "$S"
refused "state dir owned by UID $OTHER" "owned by UID $OTHER"
chown 0 "$S"
chmod 0775 "$S"
refused "state dir mode 0775" "mode 0775"
chmod 0755 "$S"
mv "$S" "$T/state.real"
ln -s "$T/state.real" "$S"
refused "state dir as a symbolic link" "symbolic link"
rm "$S"
mv "$T/state.real" "$S"
mkdir -p "$T/open/sub"
chmod 0777 "$T/open"
vg_write_conf "[paths]
state_dir = $T/open/sub/state"
sed -i "0,/^state_dir = $(printf '%s' "$T/state" | sed 's/[\/&.]/\\&/g')\$/{//d}" "$CONF"
exits 2 "a state dir below a world-writable dir is refused" vg alloc x
like "$out" "'open' is owned by UID 0 with mode 0777" "the message names the ancestor"
ok "$([ ! -e "$T/open/sub/state" ]; echo $?)" "and it is not created"
chmod 1777 "$T/open"
exits 0 "a sticky world-writable ancestor (like /tmp) is fine" vg alloc x
vg_write_conf ""
exits 0 "after all this, alloc works again" vg alloc other
is "$(vg list | grep -c .)" 2 "two ranges"

# A normal user: a clean refusal naming root, exit 2; list needs no privileges.
# The rest (up to 13 results: the normal-user and setuid checks) needs setpriv.
command -v setpriv >/dev/null || skip_rest "setpriv is missing" 13
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$VG" --config "$CONF" "$@"; }
if nobody --version >/dev/null 2>&1; then
	for c in alloc release gc; do
		exits 2 "as a normal user: $c refused" nobody "$c" web
		like "$out" "must run as root" "as a normal user: $c names root"
	done
	exits 0 "as a normal user: list works" nobody list
	like "$out" "^web:" "as a normal user: list shows the registry"
	exits 0 "as a normal user: alloc --help works" nobody alloc --help
	# Root without the capabilities release needs.
	exits 2 "root without CAP_SYS_ADMIN: release refused" \
		setpriv --inh-caps=-all --bounding-set=-sys_admin "$VG" --config "$CONF" release web
	like "$out" "needs capability cap_sys_admin" "the message names the capability"
else
	diag "the binary is not reachable by UID 65534; skipped the normal-user checks"
fi

# Never setuid: a setuid copy refuses to run at all.
cp "$VG" "$T/vg-suid"
chmod 4755 "$T/vg-suid"
if setpriv --reuid=65534 --regid=65534 --clear-groups "$T/vg-suid" --version >/dev/null 2>&1 ||
	findmnt -no OPTIONS -T "$T" | grep -qw nosuid; then
	diag "setuid has no effect on $T (nosuid?); skipped"
else
	exits 2 "a setuid copy refuses to run" setpriv --reuid=65534 --regid=65534 --clear-groups "$T/vg-suid" list
	like "$out" "must not be installed setuid" "the message says why"
fi
done_testing
