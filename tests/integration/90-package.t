#!/bin/bash
# The Debian package: dpkg-buildpackage builds it from a copy of the tree (in $T: it writes to
# the copy's parent directory), lintian finds nothing, it holds the same files as `make
# install`, the config is a conffile, and it installs, runs and goes away in a throw-away root.
#
# The throw-away root is an overlay over the host's own root file system, in a private mount
# namespace that only this test's processes enter (a `sleep` holds it, nsenter enters it), with
# a tmpfs as the upper layer. It is the cheapest honest root: `dpkg -i` runs for real (its
# database, its maintainer scripts, man-db's trigger, deb-systemd-helper) and checks Depends
# against the packages this machine really has, the binary runs with the libraries they
# installed, and every write lands in the tmpfs, which goes when the namespace does: the host's
# dpkg database and /etc never see the package. A debootstrap root (tests/images.sh) would cost
# minutes the first time and lacks libinih1 and libjansson4 (apt would have to fetch them);
# `dpkg-deb -x` alone would run no maintainer script and check no dependency.
#
# The audit unit's hardening is checked as far as it can be without systemd as PID 1 (there is
# none here): systemd-analyze verify in the root; and the unit's own ExecStart run against a
# fixture Docker root with what systemd would do, emulated: a read-only root and /run
# (ProtectSystem=strict), a private /tmp, no network, no new privileges and the bounding set of
# CapabilityBoundingSet=. It must find what it finds without them. The system-call filter and
# MemoryDenyWriteExecute= need systemd itself.
#
# Heavy (it compiles the tool once more, ~40 s on 2 busy cores; lintian ~15 s): it builds its
# own binary, so the sanitizer pass of scripts/check-extra.sh leaves it out.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
vg_setup
for t in dpkg-buildpackage dh lintian dpkg-deb nsenter unshare setpriv jq; do
	command -v "$t" >/dev/null || skip_all "$t is not installed (scripts/deps.sh)"
done
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	skip_all "no overlay file system for the throw-away root"

version=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
arch=$(dpkg --print-architecture)
deb=$T/src/volguard_${version}_$arch.deb

# --- build, from a copy ----------------------------------------------------------------------
mkdir -p "$T/src/volguard" "$T/home"
if git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git -C "$TOP" ls-files -co --exclude-standard -z | tar -C "$TOP" --null -T - -cf - |
		tar -C "$T/src/volguard" -xf -
else
	tar -C "$TOP" --exclude='./build' --exclude='./build-*' -cf - . | tar -C "$T/src/volguard" -xf -
fi
is "$(cd "$T/src/volguard" && dpkg-parsechangelog -S Version)" "$version" \
	"debian/changelog's version is the Makefile's VERSION"
t0=$(date +%s)
# The unit tests are make check's; nocheck keeps this to the build, noautodbgsym to one .deb.
(cd "$T/src/volguard" && HOME=$T/home DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=2" \
	dpkg-buildpackage -us -uc -b >"$T/build.log" 2>&1)
rc=$?
diag "dpkg-buildpackage: $(($(date +%s) - t0)) s"
ok "$rc" "dpkg-buildpackage -us -uc -b builds from the tree"
if [ "$rc" != 0 ] || [ ! -f "$deb" ]; then
	tail -n 30 "$T/build.log" | sed 's/^/# /'
	done_testing
fi

t0=$(date +%s)
run env HOME="$T/home" lintian --pedantic --display-info --show-overrides \
	"$T/src/volguard_${version}_$arch.changes"
diag "lintian: $(($(date +%s) - t0)) s"
tags=$(printf '%s\n' "$out" | grep -E '^[EWIPX]: ')
is "$tags" "" "lintian (pedantic, info) reports no tag"
overrides=$(printf '%s\n' "$out" | grep -E '^O: ')
[ -z "$overrides" ] || diag "overridden, explained in debian/volguard.lintian-overrides:" "$overrides"

# --- what the .deb holds ---------------------------------------------------------------------
run dpkg-deb -f "$deb" Depends Recommends
like "$out" 'Depends: .*libinih1.*' "Depends comes from the libraries it links (shlibs)"
like "$out" 'Recommends: runc' "runc is recommended"
is "$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)" /etc/volguard/volguard.conf \
	"the config, and only it, is a conffile"

# The same set as make install (PREFIX=/usr, the units where Debian 12 keeps them), with the
# binary the package build made. Debian's own additions: the changelog and copyright, and
# compressed manuals.
make -s -C "$T/src/volguard" install DESTDIR="$T/mi" PREFIX=/usr \
	SYSTEMDUNITDIR=/lib/systemd/system >/dev/null 2>&1
(cd "$T/mi" && find . ! -type d | sed 's|^\./|/|' | sort) >"$T/mi.list"
dpkg-deb --fsys-tarfile "$deb" | tar -tf - | grep -v '/$' | sed -e 's|^\./|/|' \
	-e 's|^\(/usr/share/man/.*\)\.gz$|\1|' | grep -Ev '^/usr/share/doc/volguard/(changelog\.gz|copyright)$' |
	sort >"$T/deb.list"
run diff "$T/mi.list" "$T/deb.list"
is "$out" "" "the package holds the files make install installs"
like "$(cat "$T/deb.list")" '/lib/systemd/system/volguard-audit\.timer' "the timer is in it"

# --- the throw-away root ---------------------------------------------------------------------
O=$T/ovl # mount points only; the layers are in the namespace's tmpfs
R=$O/root
mkdir -p "$O"
unshare --mount --propagation private sleep 3600 &
holder=$!
VG_CLEANUP_HOOKS+=("kill $holder 2>/dev/null; wait $holder 2>/dev/null")
for _ in $(seq 50); do
	[ "$(readlink "/proc/$holder/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && break
	sleep 0.1
done
inns() { nsenter -t "$holder" -m "$@"; }
inroot() { inns chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "$@"; }
t0=$(date +%s)
# shellcheck disable=SC2016 # expanded by that sh
inns sh -ec 'mount -t tmpfs -o mode=0755 vgpkg "$1" && mkdir "$1/upper" "$1/work" "$1/root"
	mount -t overlay -o lowerdir=/,upperdir="$1/upper",workdir="$1/work" vgpkg "$1/root"
	mount -t proc proc "$1/root/proc" && mount --rbind /dev "$1/root/dev"
	mount -t tmpfs tmpfs "$1/root/run"
	mkdir -p "$1/root/var/cache/vgpkg" && mount --bind "$2" "$1/root/var/cache/vgpkg"' \
	sh "$O" "$T/src"
rc=$?
ok "$rc" "a throw-away root: an overlay over / in a private mount namespace"
[ "$rc" = 0 ] || done_testing
ok "$(grep -q " $R " /proc/self/mountinfo; echo $((!$?)))" "which the host's mount table never shows"

exits 0 "dpkg -i installs the package there (Depends checked against this machine's packages)" \
	inroot dpkg -i "/var/cache/vgpkg/${deb##*/}"
exits 0 "volguard --version runs there" inroot /usr/bin/volguard --version
is "$out" "volguard $version" "and prints the package's version"
exits 0 "volguard audit --help runs there" inroot /usr/bin/volguard audit --help
like "$out" '^Usage: volguard audit' "and prints the audit's usage"
is "$(inroot readlink /usr/bin/volguard-runc)" volguard "volguard-runc is a link to volguard"
is "$(inroot jq -r .hook.path /usr/share/volguard/hooks.d/volguard.json)" /usr/bin/volguard \
	"the hooks.d file names the installed binary"
is "$(inroot readlink /etc/systemd/system/timers.target.wants/volguard-audit.timer)" \
	/lib/systemd/system/volguard-audit.timer "the postinst enables the timer"
# shellcheck disable=SC2016 # a dpkg-query format
ok "$(inroot dpkg-query -W -f='${Conffiles}' volguard | grep -q '^ /etc/volguard/volguard.conf [0-9a-f]\{32\}$'
echo $?)" "dpkg records the config as a conffile"
run inroot bash -c '. /usr/share/bash-completion/bash_completion &&
	. /usr/share/bash-completion/completions/volguard && complete -p volguard volguard-runc'
like "$out" 'complete -F _volguard volguard-runc' "the bash completion loads there"

if command -v systemd-analyze >/dev/null; then
	run inroot systemd-analyze verify volguard-audit.service volguard-audit.timer
	ok "$([ "$rc" = 0 ] && [ -z "$out" ]; echo $?)" "systemd-analyze verify: the units are valid"
	[ -z "$out" ] || diag "$out"
	run inroot systemd-analyze security --offline=yes volguard-audit.service
	exposure=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for volguard-audit.service: \([0-9.]*\).*/\1/p')
	ok "$(awk -v e="${exposure:-10}" 'BEGIN { exit !(e <= 2.5) }'; echo $?)" \
		"systemd-analyze security: exposure ${exposure:-?} (at most 2.5)"
else
	skip "systemd-analyze is not installed" 2
fi

# The audit service's own command, on a fixture Docker root in the throw-away root: a container
# with a writable bind of /etc (critical) and a volume only its owner's range may enter.
id=c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00
jq -n --arg id "$id" '{ID: $id, Name: "/web", Config: {User: "", Labels: {}, Image: "busybox"},
	MountPoints: {"/host-etc": {Type: "bind", Source: "/etc", Destination: "/host-etc", RW: true},
		"/d": {Type: "volume", Name: "data", Destination: "/d", RW: true}}}' >"$T/src/config.v2.json"
jq -n '{Runtime: "runc", UsernsMode: "", Binds: null, Privileged: false}' >"$T/src/hostconfig.json"
# shellcheck disable=SC2016 # expanded by that sh
inroot sh -ec 'c=/var/lib/docker/containers/$1; mkdir -p "$c" /var/lib/docker/volumes/data/_data
	cat "/var/cache/vgpkg/config.v2.json" >"$c/config.v2.json"
	cat "/var/cache/vgpkg/hostconfig.json" >"$c/hostconfig.json"
	echo secret >/var/lib/docker/volumes/data/_data/f
	chown -R 1073741824:1073741824 /var/lib/docker/volumes/data/_data
	chmod 0700 /var/lib/docker/volumes/data/_data' sh "$id" 2>&1 | sed 's/^/# /'
exec_start=$(inroot sed -n 's/^ExecStart=//p' /lib/systemd/system/volguard-audit.service)
like "$exec_start" '^/usr/bin/volguard .*audit --fail-on high$' "the service runs the installed audit"
# shellcheck disable=SC2086 # the unit's command line, words as systemd splits them here
run inroot $exec_start
plain_rc=$rc plain=$(printf '%s\n' "$out" | grep -E '^(container|volume) |VG-(MOUNT|ISO|VOL)-')
is "$plain_rc" 1 "without the unit's restrictions: exit 1 (a finding at or above high)"
like "$plain" 'VG-MOUNT-001 writable bind of /etc' "and the writable bind of /etc is found"
# As the unit: no network, read-only root and /run, a private /tmp, no new privileges, and
# only CAP_DAC_READ_SEARCH and CAP_SYS_ADMIN in the bounding set (so in every set of root's).
caps=$(inroot sed -n 's/^CapabilityBoundingSet=//p' /lib/systemd/system/volguard-audit.service |
	tr '[:upper:]' '[:lower:]' | sed 's/cap_/+/g; s/ /,/g')
# shellcheck disable=SC2016,SC2086 # expanded by that sh; the command line as above
run inns unshare --mount --propagation private --net sh -c 'r=$1 caps=$2; shift 2
	mount -t tmpfs -o mode=1777 tmpfs "$r/tmp" && mount -o remount,bind,ro "$r" &&
	mount -o remount,bind,ro "$r/run" && exec chroot "$r" env -i PATH=/usr/bin:/bin LC_ALL=C \
	NO_COLOR=1 setpriv --no-new-privs --inh-caps=-all --bounding-set=-all,$caps -- "$@"' \
	sh "$R" "$caps" $exec_start
hard_rc=$rc hard=$(printf '%s\n' "$out" | grep -E '^(container|volume) |VG-(MOUNT|ISO|VOL)-')
is "$caps" "+dac_read_search,+sys_admin" "the unit keeps two capabilities"
is "$hard_rc" "$plain_rc" "with them emulated: the same exit status"
is "$hard" "$plain" "and the same findings for the container and its volume"
unlike "$out" 'Read-only file system|Permission denied|Operation not permitted|cannot' \
	"and no error: the audit writes nothing and needs no other privilege"

# The conffile: a local change survives a reinstall and a removal, purge removes it.
inroot sh -c 'echo "# local change" >>/etc/volguard/volguard.conf'
exits 0 "dpkg -i again" inroot dpkg -i "/var/cache/vgpkg/${deb##*/}"
like "$(inroot tail -n1 /etc/volguard/volguard.conf)" '^# local change$' \
	"the changed config is kept on reinstall"
exits 0 "dpkg --remove" inroot dpkg --remove volguard
ok "$(inroot test -e /usr/bin/volguard; echo $((!$?)))" "removes the binary"
like "$(inroot tail -n1 /etc/volguard/volguard.conf)" '^# local change$' "and keeps the config"
exits 0 "dpkg --purge" inroot dpkg --purge volguard
ok "$(inroot test -e /etc/volguard/volguard.conf; echo $((!$?)))" "removes the config"
ok "$(inroot test -e /etc/systemd/system/timers.target.wants/volguard-audit.timer; echo $((!$?)))" \
	"and the timer's link"
diag "throw-away root: $(($(date +%s) - t0)) s"
ok "$(dpkg-query -W volguard >/dev/null 2>&1; echo $((!$?)))" \
	"the host's dpkg database never had the package"
done_testing
