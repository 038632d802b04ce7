#!/bin/bash
# Attacks on the mount check through a real private dockerd with volguard-runc as its default
# runtime (issue 10, classes 6-8):
#  6. check time is mount time: a bind source swapped for a symlink to a sensitive directory
#     after volguard's check and before runc's mount (once on purpose, then with a racer);
#  7. listening unix sockets at non-default paths (this dockerd's own, a host process's);
#  8. a writable bind of a file with a second hard link inside a sensitive directory.
# The canaries (owner, mode, ACL, ctime of the sensitive directory's files) never change.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require dockerd runc jq tar getfacl python3 cc
vg_setup
S=$T/secret # the sensitive directory of this test, with its canaries
conf="[policy]
extra_sensitive_paths = $S"
vg_write_conf "$conf"
e2e_rootfs || skip_all "cannot build the busybox root file system"
cc -O2 -o "$T/racer" "$TOP/tests/helpers/racer.c" || skip_all "cannot build the racer"
if ! e2e_dockerd_start; then
	diag "$out"
	skip_all "dockerd cannot start here"
fi
IMG=$E2E_IMAGE
V=$T/docker/volumes
drun() { run dk run --rm --network none "$@"; }

mkdir -p "$S" "$T/race/src" "$T/hl"
chmod 0755 "$S"
echo secret >"$S/canary-marker" && chmod 0640 "$S/canary-marker"
setfacl -m u:4242:r-- "$S/canary-marker"
echo harmless >"$T/race/src/harmless-marker"
ln -s "$S" "$T/race/alt"
# A file a container may write, whose second name lies in the sensitive directory.
echo shared >"$T/hl/f" && chmod 0666 "$T/hl/f"
ln "$T/hl/f" "$S/hl-other"
sleep 0.01 # the canaries' ctimes are distinct from anything later
canary() {
	local f
	for f in "$S" "$S/canary-marker" "$S/hl-other"; do
		stat -c '%n %u:%g %a %z' "$f"
		getfacl -cp "$f" 2>/dev/null | tr '\n' ' '
		echo
	done
}
CANARY=$(canary)
canary_ok() { is "$(canary)" "$CANARY" "$1: the canaries kept owner, mode, ACL and ctime"; }

# --- 6a. one swap, on purpose, between the check and runc's mount --------------------------
# The configured runc is a script that swaps the source for the symlink just before runc
# create: exactly what a racer that wins does.
cat >"$T/swaprunc" <<EOF
#!/bin/sh
for a; do [ "\$a" = create ] && "$T/racer" "\$(cat "$T/swapdir")" src alt 1; done
exec $RUNC "\$@"
EOF
chmod 0755 "$T/swaprunc"
echo "$T/race" >"$T/swapdir"
vg_write_conf "$conf
[paths]
runtime = $T/swaprunc"
# The [paths] keys of vg_write_conf come first; a second [paths] section adds to them.
drun -v "$T/race/src:/x" "$IMG" ls /x
vg_write_conf "$conf"
"$T/racer" "$T/race" src alt 1 # back to the harmless directory
unlike "$out" 'canary-marker' "a source swapped after the check never shows the sensitive directory"
ok $((rc == 0)) "the swapped create is refused"
like "$out" 'volguard:.*(changed|sensitive)' "by volguard, saying why"
diag "$(printf '%s\n' "$out" | tail -n 2)"
canary_ok "one swap"
drun -v "$T/race/src:/x" "$IMG" ls /x
is "$out" "harmless-marker" "an unswapped source still mounts (the hook passes it)"
# The same with a file: a harmless file swapped for a symlink to the sensitive canary.
mkdir -p "$T/racef"
echo harmless >"$T/racef/src" && chmod 0644 "$T/racef/src"
ln -s "$S/canary-marker" "$T/racef/alt"
echo "$T/racef" >"$T/swapdir"
vg_write_conf "$conf
[paths]
runtime = $T/swaprunc"
drun -v "$T/racef/src:/f:ro" "$IMG" stat -c %a /f
vg_write_conf "$conf"
[ -L "$T/racef/src" ] && "$T/racer" "$T/racef" src alt 1
unlike "$out" '^640$' "a file swapped after the check never shows the sensitive file (mode 640)"
like "$out" 'volguard:.*changed between' "it is refused by the hook"
canary_ok "one file swap"

# The hook finds each destination as runc does, inside the container's root: one through a
# symlink of the image (/linkdir -> srv) is verified where runc mounted it.
mkdir -p "$T/img-extra"
ln -s srv "$T/img-extra/linkdir"
# shellcheck disable=SC2086 # a list of names
tar -C "$E2E_ROOTFS" -cf "$T/img.tar" $E2E_ROOTFS_DIRS && tar -C "$T/img-extra" -rf "$T/img.tar" linkdir
run dk import "$T/img.tar" vglink
drun -v "$T/race/src:/linkdir/x" vglink ls /srv/x
is "$out" "harmless-marker" "a destination through a symlink in the image is verified where runc mounted it"
echo one >"$T/single"
drun -v "$T/single:/single" "$IMG" cat /single
is "$out" "one" "a bind of a file passes the hook"

# --- 6b. a racer flips the source while docker run runs again and again -----------------------
"$T/racer" "$T/race" src alt -1 3000 &
RACER=$!
VG_CLEANUP_HOOKS+=("kill $RACER 2>/dev/null")
wins=0 refused=0 late=0 started=0 other=0
for i in $(seq 24); do
	drun -v "$T/race/src:/x" "$IMG" ls /x
	if printf '%s' "$out" | grep -q canary-marker; then
		wins=$((wins + 1))
	elif [ "$rc" -eq 0 ]; then
		started=$((started + 1))
	elif printf '%s' "$out" | grep -q 'volguard:.*changed between'; then
		late=$((late + 1)) # the hook: swapped after the check
	elif printf '%s' "$out" | grep -q 'volguard:'; then
		refused=$((refused + 1))
	else
		other=$((other + 1))
		diag "run $i: $out"
	fi
done
kill "$RACER" 2>/dev/null
wait "$RACER" 2>/dev/null
[ -L "$T/race/src" ] && "$T/racer" "$T/race" src alt 1
diag "racer: 24 runs: $wins showed the sensitive directory, $started harmless, $refused refused at the check, $late refused by the hook after runc's mount, $other other failures"
is "$wins" 0 "racer: no run ever got the sensitive directory mounted"
is "$other" 0 "racer: every failed run is a clean refusal by volguard"
canary_ok "racer"

# --- 6c. the OCI hook (runc, Podman): a source swapped back after runc's mount ----------------
# The hook judges after the mounts, by path: a source that runc mounted as the symlink's target
# and that is the harmless directory again when the hook looks passes the path judge. Here the
# target is an ordinary directory (a sensitive one the kernel's view would refuse by itself):
# what is mounted is simply not what was judged.
mkdir -p "$T/race2/src" "$T/other"
echo other >"$T/other/other-marker"
ln -s "$T/other" "$T/race2/alt"
B=$T/b-swapback
e2e_bundle "$B" 'ls /x' && e2e_hook "$B" createRuntime
e2e_bind "$B" "$T/race2/src" /x rw
# runc runs prestart hooks before createRuntime ones: this one swaps the source back.
# shellcheck disable=SC2016 # a jq filter
e2e_jq "$B" --arg r "$T/racer" --arg d "$T/race2" \
	'.hooks.prestart = [{path: $r, args: ["racer", $d, "src", "alt", "1"]}]'
"$T/racer" "$T/race2" src alt 1 # the symlink is in place when runc mounts
e2e_runc_run "$B" vg-swapback-$$
[ -L "$T/race2/src" ] && "$T/racer" "$T/race2" src alt 1
unlike "$out" 'other-marker' "hook: a source swapped back after the mount never reaches the process"
like "$out" 'volguard:.*changed between' "hook: refused because the mount is not what was judged"

# --- 7. listening unix sockets at non-default paths ------------------------------------------
D=$E2E_DOCKERD_DIR
drun -v "$D:/x:ro" "$IMG" true
ok $((rc == 0)) "a read-only bind of the directory holding dockerd's socket ($D/sock) is refused"
like "$out" "volguard:.*exposes the listening unix socket $D/" "the message names a socket of it"
like "$out" 'listening-socket|listening unix socket' "and the rule"
drun -v "$D/sock:/s:ro" "$IMG" true
ok $((rc == 0)) "a read-only bind of dockerd's socket itself (named 'sock') is refused"
drun -v "$E2E_EXEC_ROOT:/x:ro" "$IMG" true
ok $((rc == 0)) "a read-only bind of dockerd's exec root (containerd's sockets) is refused"
# A host process's listening socket, two directories down.
mkdir -p "$T/lsock/sub"
python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(600)' \
	"$T/lsock/sub/app.sock" &
LPID=$!
VG_CLEANUP_HOOKS+=("kill $LPID 2>/dev/null")
for _ in $(seq 50); do [ -S "$T/lsock/sub/app.sock" ] && break; sleep 0.1; done
drun -v "$T/lsock:/x:ro" "$IMG" true
ok $((rc == 0)) "a read-only bind of a directory above a host process's listening socket is refused"
like "$out" "$T/lsock/sub/app.sock" "the message names that socket"
# A socket nobody listens on any more is a file like any other.
kill "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null
drun -v "$T/lsock:/x:ro" "$IMG" true
is "$rc" 0 "once nobody listens on it, the directory may be bound"
# A volume holding a listening socket (php-fpm's shared with nginx): the volume's members
# decide, not the host-socket rule; the socket here belongs to a process in the host's network
# namespace, the worst case (a --network host php-fpm).
run dk volume create sockvol
python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(600)' \
	"$V/sockvol/_data/php.sock" &
FPID=$!
VG_CLEANUP_HOOKS+=("kill $FPID 2>/dev/null")
for _ in $(seq 50); do [ -S "$V/sockvol/_data/php.sock" ] && break; sleep 0.1; done
drun --name nginx -v sockvol:/run/php:ro "$IMG" sh -c 'test -S /run/php/php.sock && echo seen'
is "$out" "seen" "a volume holding a listening socket is mounted by its member (sockets in volumes are the volume's business)"
kill "$FPID" 2>/dev/null
wait "$FPID" 2>/dev/null
canary_ok "sockets"

# --- 8. hard links -------------------------------------------------------------------------
drun -v "$T/hl/f:/f" "$IMG" sh -c 'echo pwned >> /f'
ok $((rc == 0)) "a writable bind of a file with 2 hard links is refused"
like "$out" "volguard:.*$T/hl/f.*2 hard links" "the message names the file and the link count"
is "$(cat "$S/hl-other")" "shared" "its other name in the sensitive directory is unchanged"
drun -v "$T/hl/f:/f:ro" "$IMG" cat /f
is "$out" "shared" "a read-only bind of it is allowed"
canary_ok "hard links"

done_testing
