#!/bin/bash
# fix under attack: each attack plants something in a shared volume, then fix --shift-from 0
# runs; a canary outside the volume must keep its owner, mode, ACL and ctime.
. "$(dirname "$0")/../lib.sh"
vg_setup
V=$T/docker/volumes
D=$V/v/_data

vg -q volume create v --owner a
vg -q volume share v b
A=$(vg alloc a --start)
B=$(vg alloc b --start)

# The canaries: a file and a directory holding one, root's, with ACLs.
mkdir "$T/outside" && chmod 0700 "$T/outside"
echo secret >"$T/outside/canary" && chmod 0640 "$T/outside/canary"
setfacl -m u:4242:r-- "$T/outside/canary"
mkdir "$T/outside/cdir" && echo inner >"$T/outside/cdir/inner" && chmod 4755 "$T/outside/cdir/inner"
setfacl -m u:4243:r-x "$T/outside/cdir"
sleep 0.01 # ctimes of the canaries are distinct from anything later
canary() {
	local f
	for f in "$T/outside/canary" "$T/outside/cdir" "$T/outside/cdir/inner"; do
		stat -c '%n %u:%g %a %z' "$f"
		getfacl -cp "$f" 2>/dev/null | tr '\n' ' '
		getfattr -d -m - "$f" 2>/dev/null | tr '\n' ' '
		echo
	done
}
CANARY=$(canary)
canary_ok() { is "$(canary)" "$CANARY" "$1: the canary kept owner, mode, ACL and ctime"; }
reset() { # empty the volume and plant one ordinary root-owned file
	find "$D" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system {} +
	echo data >"$D/plain"
}

# 1. a symlink to the canary
reset
ln -s "$T/outside/canary" "$D/link"
exits 0 "symlink: fix runs" vg fix --shift-from 0 v
canary_ok "symlink"
is "$(stat -c %u "$D/plain")" "$A" "symlink: the ordinary file was shifted"
is "$(stat -c '%u' "$D/link")" "0" "symlink: the link itself is left alone"
like "$out" "1 symlinks" "symlink: counted as left alone"

# 2. a directory symlink
reset
ln -s "$T/outside/cdir" "$D/dlink"
exits 0 "dir symlink: fix runs" vg fix --shift-from 0 v
canary_ok "dir symlink"

# 3. a hard link to the canary
reset
ln "$T/outside/canary" "$D/hard"
CANARY=$(canary) # the link count changed; the rest must not
exits 0 "hard link: fix runs" vg fix --shift-from 0 v
canary_ok "hard link"
like "$out" "hard: has 2 hard links" "hard link: reported"
like "$out" "1 hard links" "hard link: counted"
rm "$D/hard"
CANARY=$(canary)

# 4. _data replaced by a symlink
reset
mv "$D" "$V/v/_data.real"
ln -s "$T/outside/cdir" "$D"
exits 1 "_data symlink: refused" vg fix --shift-from 0 v
like "$out" "symbolic link.*refusing" "_data symlink: says why"
canary_ok "_data symlink"
exits 1 "_data symlink: volume share refused too" vg volume share v c
canary_ok "_data symlink (share)"
rm "$D" && mv "$V/v/_data.real" "$D"

# 5. a bind mount inside _data (same file system: only the mount ID tells)
reset
mkdir "$D/mnt" && touch "$D/fmnt"
mount --bind "$T/outside/cdir" "$D/mnt"
mount --bind "$T/outside/canary" "$D/fmnt"
VG_CLEANUP_HOOKS+=("umount -l '$D/mnt' 2>/dev/null; umount -l '$D/fmnt' 2>/dev/null")
exits 0 "bind mount: fix runs" vg fix --shift-from 0 v
umount "$D/mnt" "$D/fmnt"
canary_ok "bind mount"
like "$out" "2 mounts" "bind mount: both mounts left alone"

# 6. a FIFO and a device node
reset
mkfifo "$D/fifo"
mknod "$D/null" c 1 3 && chmod 0666 "$D/null"
mknod "$D/disk" b 7 0 && chmod 0600 "$D/disk"
dev_acl=$(getfacl -cp "$D/disk" "$D/null" 2>/dev/null) # inherited from _data's default ACL
exits 0 "FIFO and devices: fix runs and does not hang" timeout 30 "$VG" --config "$CONF" fix --shift-from 0 v
is "$(stat -c '%u:%g %a' "$D/disk" "$D/null" | tr '\n' ' ')" "0:0 600 0:0 666 " \
	"devices: owner and mode unchanged (never shifted into a container's range)"
is "$(getfacl -cp "$D/disk" "$D/null" 2>/dev/null)" "$dev_acl" "devices: ACL unchanged"
like "$out" "2 devices" "devices: reported"
is "$(stat -c %u "$D/fifo")" "$A" "FIFO: shifted without being opened"
canary_ok "FIFO and devices"

# 7. setuid/setgid root files and file capabilities, shifted
reset
cp /bin/true "$D/su" && chmod 4755 "$D/su"
cp /bin/true "$D/sg" && chmod 2755 "$D/sg"
cp /bin/true "$D/cap" && setcap cap_net_raw+ep "$D/cap"
exits 0 "setuid: fix runs" vg fix --shift-from 0 v
is "$(stat -c '%u %A' "$D/su" "$D/sg" | tr '\n' ' ')" "$A -rwxrwxr-x $A -rwxrwxr-x " \
	"setuid/setgid bits cleared on files whose owner moved (group class: the ACL mask)"
is "$(getcap "$D/cap")" "" "file capabilities are not restored"
exits 0 "setuid: second run" vg fix --shift-from 0 v
is "$(stat -c '%A' "$D/su")" "-rwxrwxr-x" "setuid stays cleared"

# 8. the shift: IDs in range move, foreign IDs are reported and kept
reset
touch "$D/u5" "$D/far" && chown 5:6 "$D/u5" && chown 3000000000:0 "$D/far"
exits 0 "shift: fix runs" vg fix --shift-from 0 v
is "$(stat -c '%u:%g' "$D/u5")" "$((A + 5)):$((A + 6))" "shift: uid 5 -> start+5, gid 6 -> start+6"
is "$(stat -c '%u' "$D/far")" "3000000000" "shift: a foreign owner is kept"
like "$out" "far: owner 3000000000:0 is outside every member's range" "shift: and reported"
canary_ok "shift"

# 8b. an entry that cannot be changed (immutable): reported, the run goes on, exit 1, no stamp
reset
touch "$D/stuck" "$D/zfine"
setfacl -b "$D/stuck" "$D/zfine" # not what the policy wants
chattr +i "$D/stuck"
VG_CLEANUP_HOOKS+=("chattr -i '$D/stuck' 2>/dev/null")
exits 1 "an entry that fails: exit 1" vg fix v
like "$out" "stuck: .*Operation not permitted" "the failed entry is named"
like "$out" "1 errors" "counted"
like "$(getfacl -cp "$D/zfine" 2>/dev/null)" "user:$B:rwx" "the run went on"
run getfattr -n trusted.volguard.stamp "$V/v"
ok $((rc == 0)) "no stamp after a failed entry"
exits 1 "fix --json" vg fix --json v
json=$(printf '%s' "$out" | sed -n '/^{/,$p')
is "$(printf '%s' "$json" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); v=d["volumes"][0]; print(v["name"], v["stats"]["errors"], v["errors"][0]["path"], v["stamped"])')" \
	"v 1 stuck False" "JSON report: volume, errors, the failed path, not stamped"
chattr -i "$D/stuck"
exits 0 "once it can be changed, fix completes" vg fix v
run getfattr -n trusted.volguard.stamp "$V/v"
is "$rc" 0 "and stamps"
canary_ok "failed entry"

# 9. a racer swapping a directory and a symlink to the canary dir, many rounds
reset
cc -O2 -o "$T/racer" "$TOP/tests/helpers/racer.c" || fail "build the racer"
mkdir "$D/sw" && for i in 1 2 3 4 5 6 7 8; do echo x >"$D/sw/f$i"; done
ln -s "$T/outside/cdir" "$D/other"
ln -s "$T/outside/canary" "$D/sw/fl"
"$T/racer" "$D" sw other &
RACER=$!
VG_CLEANUP_HOOKS+=("kill $RACER 2>/dev/null")
errs=0
for _ in $(seq 1 25); do
	"$VG" --config "$CONF" -q fix --shift-from 0 v >/dev/null 2>&1
	[ $? -le 1 ] || errs=$((errs + 1))
	# Make every round do the work again; setfacl itself races (it follows a directory
	# swapped for a symlink), so the racer waits meanwhile.
	kill -STOP $RACER
	setfacl -R -P -b "$D" 2>/dev/null
	kill -CONT $RACER
done
kill $RACER && wait $RACER 2>/dev/null
is "$errs" 0 "racer: 25 rounds, fix never failed hard"
canary_ok "racer (directory <-> symlink)"
# and a file swapped with a symlink to the canary file
echo y >"$D/file"
ln -s "$T/outside/canary" "$D/flink"
"$T/racer" "$D" file flink &
RACER=$!
for _ in $(seq 1 25); do
	"$VG" --config "$CONF" -q fix v >/dev/null 2>&1
	setfattr -h -x system.posix_acl_access "$D/file" 2>/dev/null; setfattr -h -x system.posix_acl_access "$D/flink" 2>/dev/null
done
kill $RACER && wait $RACER 2>/dev/null
canary_ok "racer (file <-> symlink)"

# 10. SIGKILL in the middle: no stamp; the next run completes and stamps
reset
cc -O2 -o "$T/gentree" "$TOP/bench/gentree.c"
"$T/gentree" tree "$D" 20 20 100
"$VG" --config "$CONF" -q fix --shift-from 0 v >/dev/null 2>&1 &
FIX=$!
sleep 0.3
kill -9 $FIX
wait $FIX 2>/dev/null
run getfattr -n trusted.volguard.stamp "$V/v"
ok $((rc == 0)) "SIGKILL: no stamp after an interrupted pass"
partial=$(find "$D" -mindepth 1 -uid 0 | wc -l)
ok $((partial > 0 ? 0 : 1)) "SIGKILL: the pass was interrupted midway ($partial entries left)"
exits 0 "SIGKILL: the next run completes" vg fix --shift-from 0 v
is "$(find "$D" -mindepth 1 -uid 0 | wc -l)" 0 "SIGKILL: every entry shifted"
run getfattr -n trusted.volguard.stamp "$V/v"
is "$rc" 0 "SIGKILL: the complete pass wrote the stamp"
canary_ok "SIGKILL"
done_testing
