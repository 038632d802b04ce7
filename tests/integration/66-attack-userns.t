#!/bin/bash
# Issue 11: root inside a userns-mode container gains nothing outside. Private dockerd (vfs),
# volguard-runc its default runtime, isolation = userns. Container root holds Docker's default
# capabilities, but over its own user namespace only:
#  - it cannot write a read-only bind (EROFS), nor remount it read-write;
#  - it cannot create a device node (CAP_MKNOD in a user namespace is not enough);
#  - it cannot load a kernel module (--cap-add SYS_MODULE is refused; insmod fails without it);
#  - a file-capability binary in the image (cap_dac_override+ep, cap_kill+ep) raises the
#    capability in the namespace only: a host root file bound read-only stays unreadable; a host
#    namespace (--pid host) means shift mode, where the capability is not in the bounding set;
#  - two containers with different ranges share a volume (the same container-relative owners),
#    and its read-only member gets EROFS, with :ro or without.
# Canaries: a host directory (owner, mode, ACL, ctime) and a host root process.
# shellcheck disable=SC2016 # container commands are single-quoted on purpose
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require dockerd runc jq tar setcap getfacl
vg_setup
VG_ISOLATION=userns
VG_MODE=userns
vg_write_conf '
[volume "shared"]
members = sa:rw, sb:rw, sr:ro'
e2e_rootfs || skip_all "cannot build the busybox root file system"
check() { ok $((!($1))) "$2"; }

# The canary: a host directory that containers get read-only, a root-only file in it, and a
# world-writable directory (so that only the mount, not the mode, stops a write).
C=$T/canary
mkdir -p "$C/open"
echo "host secret" >"$C/secret"
chmod 0755 "$C"
chmod 0600 "$C/secret"
chmod 0777 "$C/open"
canary() {
	local f
	for f in "$C" "$C/secret" "$C/open"; do
		stat -c '%n %u:%g %a %Z' "$f"
		getfacl -cp "$f" 2>/dev/null | tr '\n' ' '
		echo
	done
	ls -A "$C/open"
}
CANARY=$(canary)
canary_ok() { is "$(canary)" "$CANARY" "$1: the canary kept its entries, owner, mode, ACL and ctime"; }

# An image with file-capability copies of busybox (the applet is argv[0]'s name, so each copy
# sits in a directory of its own) and a root-only file of the image's own.
R2=$T/capsroot
e2e_rootfs_copy "$R2"
mkdir -p "$R2/fd" "$R2/fk"
cp "$R2/bin/busybox" "$R2/fd/cat"
cp "$R2/bin/busybox" "$R2/fk/kill"
setcap cap_dac_override+ep "$R2/fd/cat" || skip_all "setcap does not work here"
setcap cap_kill+ep "$R2/fk/kill"
echo "image secret" >"$R2/root/secret"
chmod 0600 "$R2/root/secret"
chmod 0700 "$R2/root"
if ! e2e_dockerd_start; then
	diag "$out"
	skip_all "dockerd cannot start here"
fi
run dk import - vgcaps < <(tar --xattrs --xattrs-include='*' -C "$R2" -c .)
ok "$rc" "the file-capability image is imported"
rm -rf "$R2"
IMG=$E2E_IMAGE
V=$T/docker/volumes
drun() { run dk run --rm --network none "$@"; }
start_of() { vg alloc "$1" --start; }
capset() { printf '%s\n' "$2" | awk -v k="Cap$1:" '$1 == k { print "0x" $2 }'; }
# A host root process the attacks try to kill.
sleep 600 &
VICTIM=$!
VG_CLEANUP_HOOKS+=("kill $VICTIM 2>/dev/null")

# --- the mode itself --------------------------------------------------------------------------
drun --name base "$IMG" sh -c 'echo uid_map $(cat /proc/self/uid_map); id -u; grep ^CapEff /proc/self/status'
ok "$rc" "a container runs"
sb=$(start_of base)
like "$out" "uid_map 0 $sb 65536" "it runs in its own user namespace: 0 -> its range's start ($sb)"
is "$(printf '%s\n' "$out" | sed -n 2p)" 0 "as root inside"
check "(($(capset Eff "$out")) & (1 << 27)) != 0" "with CAP_MKNOD (Docker's default set) in its namespace"
like "$(grep "^base:" "$T/state/ranges")" 'isolation=userns' "the registry line says isolation=userns"
run dk run -d --network none --name longer "$IMG" sleep 300
id_longer=$out
sl=$(start_of longer)
is "$(e2e_host_uid longer)" "$sl" "seen from the host, its root is its range's start ($sl), not 0"
[ -d "$T/stage/$id_longer" ]
ok $? "its root file system is staged in the stage_dir ($T/stage/ID)"
dk rm -f longer >/dev/null
[ ! -e "$T/stage/$id_longer" ]
ok $? "docker rm removes the staging directory"

# --- read-only binds --------------------------------------------------------------------------
drun --name robind -v "$C:/ro:ro" "$IMG" sh -c '
	touch /ro/open/planted 2>&1; echo x >> /ro/secret 2>&1; cat /ro/secret 2>&1
	mount -o remount,rw /ro 2>&1; mount -o remount,rw,bind /ro 2>&1
	touch /ro/open/planted2 2>/dev/null && echo made-planted2; true'
diag "root inside, read-only bind of the canary: $out"
like "$out" '/ro/open/planted: Read-only file system' \
	"root inside cannot write a read-only bind, even a world-writable directory in it (EROFS)"
like "$out" "/ro/secret'?: (Read-only file system|Permission denied)" "nor append to a file in it"
unlike "$out" 'host secret' "nor read host root's 0600 file (CAP_DAC_OVERRIDE acts on the namespace only)"
like "$out" 'mount: permission denied' "remounting it read-write is refused"
unlike "$out" "made-planted2" "nor create anything after trying to remount it read-write"
is "$(ls -A "$C/open")" "" "nothing was planted"
canary_ok "read-only bind"

# --- device nodes -----------------------------------------------------------------------------
drun --name mk "$IMG" sh -c 'mknod /tmp/null c 1 3 && echo made-null; mknod /tmp/sda b 8 0 && echo made-sda; true'
diag "mknod as root inside: $out"
unlike "$out" 'made-' "mknod fails even with CAP_MKNOD"
like "$out" 'Operation not permitted' "with EPERM"
drun --name mkv -v mkvol:/d "$IMG" sh -c 'mknod /d/null c 1 3 && echo made; true'
unlike "$out" 'made' "nor in a volume"
is "$(find "$V/mkvol/_data" -type c -o -type b | wc -l)" 0 "no device node lies in the volume"

# --- kernel modules ---------------------------------------------------------------------------
drun --name mod "$IMG" sh -c 'head -c 4096 /bin/busybox > /tmp/x.ko; insmod /tmp/x.ko; echo insmod-rc=$?'
diag "insmod as root inside: $out"
like "$out" 'insmod-rc=[1-9]' "insmod of a file fails"
like "$out" 'Operation not permitted' "with EPERM (init_module needs CAP_SYS_MODULE over the host)"
drun --name mod2 --cap-add SYS_MODULE "$IMG" sh -c 'insmod /bin/busybox; echo insmod-rc=$?'
check "rc != 0" "--cap-add SYS_MODULE is refused"
like "$out" 'volguard:.*(SYS_MODULE|allowed_capabilities)' "by volguard, naming the rule"
run vg list
unlike "$out" '^mod2:' "the refused container gets no range"

# --- file capabilities ------------------------------------------------------------------------
# As a plain user inside, cap_dac_override+ep reads the image's root-only file: the capability
# is real in the namespace (so the next check does not pass for the wrong reason)...
drun --name fcd -u 1000:1000 -v "$C:/ro:ro" vgcaps sh -c 'grep ^NoNewPrivs /proc/self/status; /fd/cat /root/secret; /fd/cat /ro/secret; true'
diag "cap_dac_override+ep as uid 1000: $out"
if printf '%s' "$out" | grep -Eq 'NoNewPrivs:[[:space:]]*1'; then
	skip "no_new_privs is set: file capabilities are not raised at all" 2
else
	like "$out" 'image secret' "a cap_dac_override+ep binary raises the capability inside (the image's root-only file)"
	unlike "$out" '/root/secret' "(no error reading it)"
fi
# ...and gives nothing over the host's file: its owner has no ID in the namespace.
unlike "$out" 'host secret' "but it cannot read a host 0600 file bound read-only"
like "$out" "/ro/secret'?: Permission denied" "(EACCES)"
# cap_kill+ep, run by nobody inside, signals root's process of the namespace (plain kill cannot).
drun --name fck vgcaps sh -c 'sleep 30 & p=$!
	su -s /bin/sh nobody -c "kill -0 $p 2>/dev/null || echo plain-denied; /fk/kill -0 $p && echo cap-signalled"
	kill $p'
diag "cap_kill+ep as nobody inside: $out"
like "$out" 'plain-denied' "nobody inside cannot signal root's process with plain kill"
like "$out" 'cap-signalled' "a cap_kill+ep binary can (the capability is real in the namespace)"
# A host process can only be named from the host's PID namespace, which means shift mode.
drun --name fckhost --pid host -u 1000:1000 vgcaps sh -c 'echo uid_map $(cat /proc/self/uid_map); /fk/kill -9 '"$VICTIM"'; true'
diag "cap_kill+ep, --pid host: rc $rc: $out"
sleep 0.2
kill -0 "$VICTIM" 2>/dev/null
ok $? "with --pid host it cannot kill a host root process"
like "$(grep "^fckhost:" "$T/state/ranges")" 'isolation=shift' "--pid host ran in shift mode (the registry line says so)"
like "$(grep "^fckhost:" "$T/state/ranges")" 'isolation_why=[^ ]*pid' "and why"
canary_ok "file capabilities"

# --- a volume shared across ranges ------------------------------------------------------------
drun --name sa -v shared:/d "$IMG" sh -c 'echo from-sa > /d/fa && chown 33:33 /d/fa && mkdir /d/da && stat -c %u:%g /d/fa'
ok "$rc" "sa writes the shared volume and gives a file to uid 33"
drun --name sb -v shared:/d "$IMG" sh -c 'stat -c "%n %u:%g" /d/fa /d/da; echo from-sb >> /d/fa && echo > /d/fb && echo appended'
diag "sb: $out"
check "$(start_of sa) != $(start_of sb)" "sa and sb have different ranges ($(start_of sa), $(start_of sb))"
like "$out" '/d/fa 33:33' "sb sees sa's file with the same container-relative owner (33:33)"
like "$out" '/d/da 0:0' "and sa's directory as root's"
like "$out" 'appended' "sb writes sa's file"
is "$(stat -c %u:%g "$V/shared/_data/fa") $(stat -c %u:%g "$V/shared/_data/fb")" "33:33 0:0" \
	"on disk the owners are container-relative"
is "$(cat "$V/shared/_data/fa")" "from-sa
from-sb" "the file holds both containers' writes"
drun --name sr -v shared:/d:ro "$IMG" sh -c 'cat /d/fa; echo x > /d/fr'
diag "sr (:ro): $out"
like "$out" 'from-sb' "the read-only member reads the volume"
like "$out" "/d/fr: Read-only file system" "and gets EROFS on write"
drun --name sr -v shared:/d "$IMG" sh -c 'echo x > /d/fr2; rm /d/fa'
diag "sr (no :ro): $out"
like "$out" "Read-only file system" "without :ro too (volguard makes the mount read-only)"
[ ! -e "$V/shared/_data/fr" ] && [ ! -e "$V/shared/_data/fr2" ] && [ -e "$V/shared/_data/fa" ]
ok $? "the read-only member changed nothing"
unlike "$(getfacl -cp "$V/shared/_data" 2>/dev/null | tr '\n' ' ')" 'user:[0-9]' "no ACL entry is written"

canary_ok "end"
kill -0 "$VICTIM" 2>/dev/null
ok $? "the host root process is still alive"
# The idmapped mounts were made in volguard-runc's own mount namespace: none reached the host's.
is "$(awk -v p="$T/" 'index($4, p) == 1 && / idmapped/' /proc/self/mountinfo | wc -l)" 0 \
	"no idmapped mount of this test's files is left on the host"
done_testing
