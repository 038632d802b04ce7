#!/bin/bash
# The volume model on real ext4 files: fix --to-idmap on a shared shift-model volume with ACLs
# (and its --dry-run), the way back with --shift-from 0, admission refusing a container that
# would mix models in both directions (volguard check), audit, and a canary that never changes.
# Then, on a private dockerd: a shift-model volume refused in userns mode, converted, used.
. "$(dirname "$0")/../lib.sh"
vg_setup
V=$T/docker/volumes
D=$V/shared/_data
skip() { _n=$((_n + 1)) && echo "ok $_n # skip $1"; }
xattr() { getfattr --only-values -n "$1" "$2" 2>/dev/null; }
snap() { # owners, modes, ctimes and every xattr (ACLs) of the tree and of NAME/
	find "$1" -printf '%p %u %g %m %n %C@\n' | sort
	getfattr -R -h -d -m - "$1" 2>/dev/null
	getfattr -h -d -m - "$(dirname "$1")" 2>/dev/null
}

# The canary: a host file outside the volume, with an owner, a mode, an ACL; the volume holds a
# hard link to another host file and a symlink to the canary.
CANARY=$T/canary
echo keep >"$CANARY"
chown 4321:4321 "$CANARY"
chmod 0640 "$CANARY"
setfacl -m u:777:r "$CANARY"
canary() { stat -c '%u:%g %a %h %Z' "$CANARY" "$T/outside"; getfacl -cpn "$CANARY" "$T/outside" 2>/dev/null; }

exits 0 "volume create shared --owner web" vg volume create shared --owner web
exits 0 "share it with db and worker:ro" vg volume share shared db worker:ro
WEB=$(vg alloc web --start)
DB=$(vg alloc db --start)
WORKER=$(vg alloc worker --start)
# What the shift model leaves on disk: files of web's root and web's uid 33 (Docker's copy-up
# moved into the range), one of db's, a host user's ACL entry, a hard link, a symlink.
mkdir "$D/www"
echo page >"$D/www/index.html"
chown -R $((WEB + 33)):$((WEB + 33)) "$D/www"
echo w >"$D/w.txt" && chown "$WEB:$WEB" "$D/w.txt"
echo d >"$D/d.txt" && chown "$DB:$DB" "$D/d.txt"
echo h >"$T/outside" && chown $((DB + 7)):$((DB + 7)) "$T/outside"
ln "$T/outside" "$D/linked"
ln -s "$CANARY" "$D/sym"
exits 0 "fix shared (the shift policy on everything)" vg fix shared
# Another mount inside _data: never entered, never changed.
mkdir "$D/mnt"
mount -t tmpfs -o size=1m,mode=0755 vgmodel "$D/mnt" && VG_CLEANUP_HOOKS+=("umount -l '$D/mnt' 2>/dev/null")
echo m >"$D/mnt/m" && chown $((WEB + 1)):$((WEB + 1)) "$D/mnt/m"
setfacl -m u:12345:r "$D/www/index.html"
CANARY0=$(canary)
like "$(getfacl -cpn "$D/www/index.html")" "user:$DB:rwx" "shift model: members' host-shifted ACL entries"

# --- fix --to-idmap --dry-run: says what, changes nothing ------------------------------------
before=$(snap "$D")
exits 0 "fix --to-idmap --dry-run shared" vg fix --to-idmap --dry-run shared
like "$out" "www/index.html: would change owner acl" "it lists an entry it would change"
like "$out" "shared/_data/\\.: would change .*acl|shared: .*to change" "it counts what it would change"
like "$out" "2 hard links" "the hard links are reported"
like "$out" "known ranges .* become container-relative" "it says what the conversion does"
is "$(snap "$D")" "$before" "--dry-run changed nothing: owners, modes, ACLs, ctimes, NAME/'s xattrs"

# --- fix --to-idmap -------------------------------------------------------------------------
exits 0 "fix --to-idmap shared" vg fix --to-idmap shared
like "$out" "; idmap model" "the summary says the volume is in the idmap model"
is "$(stat -c '%u:%g' "$D/www" "$D/www/index.html" | sort -u)" "33:33" "web's uid 33 is container uid 33"
is "$(stat -c '%u:%g' "$D/w.txt" "$D/d.txt" "$D")" "0:0
0:0
0:0" "members' roots (and _data) are container root"
acl=$(getfacl -cpn "$D/www/index.html" | tr '\n' ' ')
like "$acl" "user:0:rwx .*user:12345:r--" "ACL: the members' entries became container-relative, the host user's kept"
unlike "$acl" "user:($WEB|$DB|$WORKER):" "no host-shifted entry left"
like "$(getfacl -cpn "$D/www" | tr '\n' ' ')" "default:user:0:rwx" "default ACLs too"
is "$(stat -c '%u:%g' "$D/linked")" "$((DB + 7)):$((DB + 7))" "a hard-linked file is left alone"
is "$(stat -c '%u' "$D/mnt/m")" "$((WEB + 1))" "another mount inside _data is not entered"
is "$(xattr trusted.volguard.model "$V/shared")" "idmap" "the model mark is on NAME/"
ok "$(xattr trusted.volguard.stamp "$V/shared" >/dev/null; echo $((!$?)))" "the shift stamp is gone"
like "$(xattr trusted.volguard.members "$V/shared")" "worker:ro" "the members stay recorded"
is "$(canary)" "$CANARY0" "the canary and the hard link's other name did not change"
before=$(snap "$D")
exits 0 "fix --to-idmap again" vg fix --to-idmap shared
like "$out" "already in the idmap model" "a second run has nothing to convert"
is "$(snap "$D")" "$before" "... and changes nothing"
exits 0 "volume show" vg volume show shared
like "$out" "model: +idmap" "show names the model"
like "$out" "1 entries are owned by IDs at or above range_size" \
	"show judges the owners against the model (the hard link was left host-shifted)"

# --- SIGKILL half way: no stamp, no mark (refused in userns mode); a second run finishes ---
exits 0 "a large shift-model volume" vg volume create big --owner web
chown $((WEB + 33)):$((WEB + 33)) "$V/big/_data"
# Made by that host UID itself: 10,100 entries, no chown per file.
setpriv --reuid=$((WEB + 33)) --regid=$((WEB + 33)) --clear-groups /usr/bin/python3 - "$V/big/_data" <<'PY'
import os, sys
for i in range(100):
    p = os.path.join(sys.argv[1], "d%03d" % i)
    os.mkdir(p)
    for j in range(100):
        os.close(os.open(os.path.join(p, "f%03d" % j), os.O_CREAT | os.O_WRONLY, 0o600))
PY
is "$(find "$V/big/_data" -uid $((WEB + 33)) | wc -l)" "10101" "10,100 entries of web's uid 33, host-shifted"
setfattr -x trusted.volguard.copyup "$V/big"
"$VG" --config "$CONF" -q fix --to-idmap --jobs 1 big &
pid=$!
sleep 0.2
killed=0
kill -KILL "$pid" 2>/dev/null && killed=1
wait "$pid" 2>/dev/null
moved=$(find "$V/big/_data" -uid 33 | wc -l)
# Killed with entries left to move: the mark (written last) must not be there. Killed after
# the last entry (a slow exit, as under the sanitizer's leak check): it may be, rightly.
if [ "$killed" = 1 ] && [ "$moved" -lt 10101 ]; then
	diag "killed after $moved of 10101 entries were moved"
	ok "$(xattr trusted.volguard.model "$V/big" >/dev/null; echo $((!$?)))" "killed: no model mark"
	ok "$(xattr trusted.volguard.stamp "$V/big" >/dev/null; echo $((!$?)))" "killed: no stamp either"
else
	skip "fix finished its work before it could be killed: nothing to assert about a half-done run"
	skip "(same)"
fi
exits 0 "the second run" vg fix --to-idmap big
is "$(find "$V/big/_data" -mindepth 1 ! -uid 33 | wc -l)" "0" "every entry is container-relative (none moved twice)"
is "$(xattr trusted.volguard.model "$V/big")" "idmap" "the mark is written"

exits 2 "--to-idmap with --shift-from is a usage error" vg fix --to-idmap --shift-from 0 shared
mkdir -p "$V/tmpfsvol/_data" && chmod 0701 "$V/tmpfsvol"
printf '{"MountType":"tmpfs","MountOpts":"","MountDevice":"tmpfs"}' >"$V/tmpfsvol/opts.json"
exits 1 "--to-idmap refuses a volume that is not volguard's" vg fix --to-idmap tmpfsvol
ok "$(xattr trusted.volguard.model "$V/tmpfsvol" >/dev/null; echo $((!$?)))" "... and marks nothing"
rm -rf "$V/tmpfsvol"

# --- fix without --to-idmap must not shift it back silently --------------------------------
exits 1 "fix shared (no option) refuses an idmap volume" vg fix shared
like "$out" "idmap model.*'volguard fix --shift-from 0 shared'" "... and says how to go back"
exits 0 "fix --all skips it" vg fix --all
like "$out" "shared: skipped: .*idmap model" "... saying why"
is "$(snap "$D")" "$before" "neither changed anything"
exits 0 "volume share on an idmap volume" vg volume share shared extra
is "$(snap "$D" | grep -v 'trusted.volguard.members')" "$(printf '%s\n' "$before" | grep -v 'trusted.volguard.members')" \
	"... records the member and touches nothing below NAME/"

# --- admission: one model at a time ----------------------------------------------------------
exits 1 "shift mode: a container mounting the idmap volume is refused" \
	vg check -- run --name web -v shared:/data img
like "$out" "container web runs in shift mode but volume 'shared' is in the idmap model.*'volguard fix --shift-from 0 shared'" \
	"the refusal names the container, the volume and the command"
mkdir -p "$T/bundle"
jq -n --arg src "$D" '{ociVersion: "1.0.2", process: {user: {uid: 0, gid: 0}, args: ["sh"], cwd: "/"},
	root: {path: "rootfs"}, hostname: "web",
	mounts: [{destination: "/data", type: "bind", source: $src, options: ["rbind", "rw"]}],
	linux: {namespaces: [{type: "mount"}, {type: "pid"}, {type: "network"}, {type: "ipc"},
		{type: "uts"}, {type: "cgroup"}]}}' >"$T/bundle/config.json"
exits 1 "shift mode: check --oci refuses it too" vg check --oci "$T/bundle"
like "$out" "is in the idmap model.*fix --shift-from 0 shared" "... with the same message"

exits 0 "a second shift-model volume" vg volume create legacy --owner web
echo l >"$V/legacy/_data/l" && chown $((WEB + 5)):$((WEB + 5)) "$V/legacy/_data/l"
setfattr -x trusted.volguard.copyup "$V/legacy" # used once: no longer a fresh volume
VG_ISOLATION=userns vg_write_conf ""
# What the runtime's probe would have cached on this host (check cannot probe: it runs without
# the capabilities a user namespace needs).
mkdir -p "$T/state"
echo "kernel=$(uname -r) fs=$(stat -f -c %t "$T/docker") what=idmap ok=1 why=test" >"$T/state/isolation-probe"
exits 1 "userns mode: a container mounting a shift-model volume is refused" \
	vg check -- run --name web -v legacy:/data img
like "$out" "container web runs in userns mode but volume 'legacy' is in the shift model.*'volguard fix --to-idmap legacy'" \
	"the refusal names the container, the volume and the command"
jq --arg src "$V/legacy/_data" '.mounts[0].source = $src' "$T/bundle/config.json" >"$T/bundle/c2" &&
	mv "$T/bundle/c2" "$T/bundle/config.json"
exits 1 "userns mode: check --oci refuses it too" vg check --oci "$T/bundle"
like "$out" "is in the shift model.*fix --to-idmap legacy" "... with the same message"
exits 0 "userns mode: the idmap volume is allowed" vg check -- run --name web -v shared:/data img
exits 0 "userns mode: a volume volguard never saw is allowed" vg check -- run --name web -v fresh:/data img
mkdir -p "$V/adopted/_data/pg" && chmod 0701 "$V/adopted"
mknod "$V/adopted/_data/pg/null" c 1 3
exits 0 "userns mode: no copy-up scan (the idmapped mount is nodev)" \
	vg check -- run --name web -v adopted:/data img
VG_ISOLATION='shift' vg_write_conf ""
exits 1 "shift mode: the same volume's device node is refused by the copy-up scan" \
	vg check -- run --name web -v adopted:/data img
rm -f "$V/adopted/_data/pg/null"

# --- audit: an idmap volume is right as it is -----------------------------------------------
vg_write_conf ""
run vg audit --json
like "$(printf '%s' "$out" | jq -r '.findings[] | select(.subject.name == "shared" and .id == "VG-VOL-013") | .evidence.example')" \
	"^linked \\(uid $((DB + 7))" "audit: the hard link fix left host-shifted is the one owner members see as nobody"
rm "$D/linked"
CANARY0=$(canary) # the test's own unlink changed the other name's link count and ctime
run vg audit --json
ids=$(printf '%s' "$out" | jq -r '.findings[] | select(.subject.name == "shared") | .id' | sort -u | tr '\n' ' ')
unlike "$ids" "VG-VOL-0(0[1-6]|09|1[0-4])" "audit: no finding about the idmap volume's owners, ACLs or stamp ($ids)"
mkdir -p "$V/stale/_data" && chmod 0701 "$V/stale"
echo s >"$V/stale/_data/s" && chown 3000000:3000000 "$V/stale/_data/s"
setfattr -n trusted.volguard.model -v idmap "$V/stale"
run vg audit --json
like "$(printf '%s' "$out" | jq -r '.findings[] | select(.subject.name == "stale") | .id' | tr '\n' ' ')" \
	"VG-VOL-013" "audit: an idmap volume with an owner its members see as nobody"
like "$(printf '%s' "$out" | jq -r '.findings[] | select(.id == "VG-VOL-013") | .remedy')" \
	"volguard fix --to-idmap stale" "... remedy: fix --to-idmap"
mkdir -p "$V/bound/_data" && chmod 0701 "$V/bound"
printf '{"MountType":"tmpfs","MountOpts":"","MountDevice":"tmpfs"}' >"$V/bound/opts.json"
setfattr -n trusted.volguard.model -v idmap "$V/bound"
run vg audit --json
like "$(printf '%s' "$out" | jq -r '.findings[] | select(.subject.name == "bound") | .id' | tr '\n' ' ')" \
	"VG-VOL-014" "audit: a model mark on a volume volguard does not manage"

# --- back: fix --shift-from 0 --------------------------------------------------------------
exits 0 "fix --shift-from 0 shared" vg fix --shift-from 0 shared
like "$out" "leaves the idmap model" "it says the volume leaves the idmap model"
ok "$(xattr trusted.volguard.model "$V/shared" >/dev/null; echo $((!$?)))" "the model mark is gone"
ok "$(xattr trusted.volguard.stamp "$V/shared" >/dev/null; echo $?)" "the stamp is back (complete pass)"
is "$(stat -c '%u' "$D/www/index.html")" "$((WEB + 33))" "container uid 33 is web's uid 33 again (first member)"
unlike "$(getfacl -cpn "$D/www/index.html" | tr '\n' ' ')" "user:0:" "the container-relative ACL entries are gone"
like "$(getfacl -cpn "$D/www/index.html" | tr '\n' ' ')" "user:$DB:rwx" "the members' host-shifted entries are back"
exits 0 "shift mode: the volume is allowed again" vg check -- run --name web -v shared:/data img
is "$(canary)" "$CANARY0" "the canary never changed"

# --- a real dockerd: shift volume refused in userns mode, converted, used ----------------------
. "$(dirname "$0")/../e2e-lib.sh"
if ! command -v dockerd >/dev/null || ! command -v runc >/dev/null; then
	skip "dockerd or runc missing: the end-to-end part cannot run"
	done_testing
fi
VG_ISOLATION='shift' vg_write_conf ""
if ! e2e_rootfs || ! e2e_dockerd_start; then
	diag "$out"
	skip "dockerd cannot start here: the end-to-end part cannot run"
	done_testing
fi
IMG=$E2E_IMAGE
run dk run --rm --network none --name app -u 33:33 -v appdata:/data "$IMG" sh -c 'echo made >/data/f && stat -c %u /data/f'
is "$rc" 0 "shift mode: app (uid 33) writes its volume"
APP=$(vg alloc app --start)
is "$(stat -c %u "$V/appdata/_data/f")" "$((APP + 33))" "on disk: host-shifted"
VG_ISOLATION=userns vg_write_conf ""
run dk run --rm --network none --name app -u 33:33 -v appdata:/data "$IMG" cat /data/f
ok $((rc == 0)) "userns mode: the shift-model volume is refused"
like "$out" "volguard: .*volume 'appdata' is in the shift model.*fix --to-idmap appdata" \
	"dockerd shows the refusal with the converting command"
exits 0 "fix --to-idmap appdata" vg fix --to-idmap appdata
is "$(stat -c %u "$V/appdata/_data/f")" "33" "on disk: container-relative"
run dk run --rm --network none --name app -u 33:33 -v appdata:/data "$IMG" sh -c 'stat -c %u /data/f; cat /data/f; echo more >>/data/f && echo append-ok'
is "$rc" 0 "userns mode: the converted volume starts"
like "$out" "^33" "inside: owned by uid 33"
like "$out" "append-ok" "uid 33 writes its file through the idmapped mount"
run dk run --rm --network none --name other -u 33:33 -v appdata:/data "$IMG" sh -c 'echo other >>/data/f && echo other-ok'
like "$out" "other-ok" "another container (another range) shares it with the same container-relative owner"
is "$(stat -c %u "$V/appdata/_data/f")" "33" "on disk: still container-relative (no walk, no chown)"
is "$(xattr trusted.volguard.model "$V/appdata")" "idmap" "the mark stays"
like "$(xattr trusted.volguard.members "$V/appdata")" "other:rw" "the new member is recorded"
is "$(canary)" "$CANARY0" "the canary never changed"
done_testing
