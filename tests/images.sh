# shellcheck shell=bash
# Real server images for the end-to-end tests, built from Debian's packages and nothing else:
# nginx, postgresql, redis-server, gosu and busybox-static (for wget) on a debootstrap minbase
# root, with the official images' entrypoint logic (tests/images/docker-entrypoint.sh).
#
# Source it (after tests/lib.sh), then `images_build` (sets $IMAGES_TAR, a tar of the root) and,
# with a dockerd from tests/e2e-lib.sh, `images_import NAME`. Or run it: `bash tests/images.sh`
# builds (or finds) the tar and prints its path.
#
# One image holds the three servers, chosen by the command as the official images' entrypoints
# are (`docker run vgservers postgres`): the servers share nearly every library (libc, OpenSSL,
# libsystemd...), so one root is smaller than three, built and imported once per daemon.
#
# The cache lives outside the checkout (a fresh clone, CI's included, reuses it; a checkout under
# /root could not be traversed by a container's range), one directory per key: the package list,
# the suite, IMAGES_VERSION and the files copied into the image. A build goes to a temporary
# directory renamed into place at the end, so a half-built cache is never taken for a good one;
# builders take a lock, so two tests do not build twice. Older keys are removed after a build.

IMAGES_VERSION=1
IMAGES_SUITE=bookworm
IMAGES_PKGS="nginx postgresql-15 redis-server redis-tools gosu busybox-static"
IMAGES_CACHE=${IMAGES_CACHE:-/var/cache/volguard-tests/images}
IMAGES_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/images" && pwd)
IMAGES_PGBIN=/usr/lib/postgresql/15/bin

# images_mirror: the Debian mirror apt on this machine uses (deb822 sources first, then the
# one-line format), deb.debian.org when none is found.
images_mirror() {
	local m
	m=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)
	[ -n "$m" ] || m=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++)
		if ($i ~ /^(https?|file):/) { print $i; exit } }' /etc/apt/sources.list 2>/dev/null |
		head -n1)
	echo "${m:-http://deb.debian.org/debian}"
}

# images_key: what the cached tar depends on, as a short hash.
images_key() {
	{
		echo "$IMAGES_VERSION $IMAGES_SUITE $IMAGES_PKGS"
		cat "$IMAGES_SRC"/*
		declare -f images_populate images_trim
	} | sha256sum | cut -c1-16
}

# images_chroot ROOT CMD...: CMD in ROOT with /proc and the host's resolv.conf, in a private
# mount namespace, so no mount outlives it, whatever happens.
images_chroot() {
	local root=$1
	shift
	# shellcheck disable=SC2016 # expanded by that sh
	unshare --mount --propagation private sh -c \
		'mount -t proc proc "$0/proc" && mount --bind /etc/resolv.conf "$0/etc/resolv.conf" &&
		exec chroot "$0" "$@"' "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
}

# images_populate ROOT: the servers, their users and configuration, in the minbase ROOT.
images_populate() {
	local root=$1 apt="apt-get -y -qq --no-install-recommends -o Dpkg::Use-Pty=0"
	# No service starts inside the build (Debian's policy-rc.d convention).
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 0755 "$root/usr/sbin/policy-rc.d"
	# No documentation, manuals or translations (Docker's debian:slim images do the same).
	cat >"$root/etc/dpkg/dpkg.cfg.d/01-vg-nodoc" <<-'EOF'
		path-exclude /usr/share/doc/*
		path-exclude /usr/share/man/*
		path-exclude /usr/share/info/*
		path-exclude /usr/share/locale/*
		path-exclude /usr/share/lintian/*
	EOF
	[ -e "$root/etc/resolv.conf" ] || : >"$root/etc/resolv.conf"
	# The users of the official images: postgres and redis have fixed system IDs (999 and 998
	# here, one image holds both), so a volume written by one host's container has the same
	# owner as the next; www-data (33) comes with base-passwd.
	images_chroot "$root" sh -c 'groupadd -r -g 999 postgres &&
		useradd -r -g postgres -u 999 -d /var/lib/postgresql -s /bin/sh postgres &&
		mkdir -p /var/lib/postgresql && chown postgres:postgres /var/lib/postgresql &&
		groupadd -r -g 998 redis && useradd -r -g redis -u 998 -d /data -s /usr/sbin/nologin redis' ||
		return 1
	images_chroot "$root" sh -c "apt-get -qq update && $apt install postgresql-common" || return 1
	# As the official image: no cluster made at install, the entrypoint's initdb makes one.
	sed -ri 's/#?(create_main_cluster) .*$/\1 = false/' \
		"$root/etc/postgresql-common/createcluster.conf" || return 1
	# shellcheck disable=SC2086 # a list of packages
	images_chroot "$root" $apt install $IMAGES_PKGS || return 1
	install -m 0755 "$IMAGES_SRC/docker-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
	install -m 0644 "$IMAGES_SRC/nginx.conf" "$root/etc/nginx/nginx.conf"
	# As the official nginx image: the logs go to the container's stdout and stderr.
	ln -sf /dev/stdout "$root/var/log/nginx/access.log"
	ln -sf /dev/stderr "$root/var/log/nginx/error.log"
	mkdir -p "$root/srv/www" "$root/data" "$root/var/lib/postgresql/data"
	chown redis:redis "$root/data"
	chown 999:999 "$root/var/lib/postgresql/data"
	chmod 0700 "$root/var/lib/postgresql/data"
	ln -sf /bin/busybox "$root/usr/local/bin/wget"
}

# images_trim ROOT: what no server needs at run time.
images_trim() {
	local root=$1
	# postgresql-15 depends on LLVM (and Z3) for its JIT alone: 140 MB the entrypoint does not
	# use (jit=off). Perl serves postgresql-common's wrappers (pg_ctlcluster, /usr/bin/psql),
	# which the entrypoint does not use either (PATH has postgres's own binaries first); the
	# locale sources serve locale-gen (C.UTF-8 is built into glibc). Every MB is copied for each
	# container on vfs. Purging the packages keeps dpkg's database honest.
	images_chroot "$root" dpkg --purge --force-depends libllvm14 libz3-4 perl perl-modules-5.36 \
		libperl5.36 locales >/dev/null || return 1
	rm -rf "$root"/usr/lib/postgresql/15/lib/llvmjit* "$root"/usr/lib/postgresql/15/lib/bitcode
	images_chroot "$root" apt-get -qq clean || return 1
	rm -f "$root/usr/sbin/policy-rc.d"
	# What minbase installed before the exclusions above took effect.
	rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
		"$root"/usr/share/locale/*
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old "$root"/var/log/*.log \
		"$root"/var/log/apt/* "$root"/tmp/* "$root"/var/tmp/*
	: >"$root/etc/resolv.conf"
}

# images_build: $IMAGES_TAR, the servers' root as a tar, built once per key (minutes the first
# time; its duration and size are printed as TAP comments).
images_build() {
	local key dir tmp t0 rc=0
	key=$(images_key)
	dir=$IMAGES_CACHE/$key
	IMAGES_TAR=$dir/vgservers.tar
	[ -s "$IMAGES_TAR" ] && return 0
	command -v debootstrap >/dev/null || { echo "debootstrap is not installed" >&2 && return 1; }
	mkdir -p "$IMAGES_CACHE" && chmod 0755 "${IMAGES_CACHE%/*}" "$IMAGES_CACHE" || return 1
	exec {lock}>"$IMAGES_CACHE/.lock"
	flock "$lock" || return 1
	# Another builder may have finished while we waited.
	if [ ! -s "$IMAGES_TAR" ]; then
		t0=$(date +%s)
		tmp=$(mktemp -d "$IMAGES_CACHE/.build.XXXXXX")
		images_build_into "$tmp" || rc=1
		if [ "$rc" = 0 ]; then
			mv -T "$tmp/out" "$dir" || rc=1
		fi
		rm -rf --one-file-system "$tmp"
		if [ "$rc" = 0 ]; then
			diag "images: built $IMAGES_TAR in $(($(date +%s) - t0)) s, $(du -m "$IMAGES_TAR" | cut -f1) MB"
			images_prune "$key"
		fi
	fi
	exec {lock}>&-
	[ -s "$IMAGES_TAR" ]
}

# images_build_into TMP: TMP/out/vgservers.tar (the root is built in TMP/root).
images_build_into() {
	local tmp=$1 root=$1/root log=$1/log
	diag "images: debootstrap $IMAGES_SUITE from $(images_mirror) (once per key)"
	if ! debootstrap --variant=minbase "$IMAGES_SUITE" "$root" "$(images_mirror)" >"$log" 2>&1 ||
		! images_populate "$root" >>"$log" 2>&1 || ! images_trim "$root" >>"$log" 2>&1; then
		tail -n 30 "$log" | sed 's/^/# /' >&2
		return 1
	fi
	mkdir -p "$tmp/out"
	tar --numeric-owner --xattrs --xattrs-include='security.capability' -C "$root" \
		-cf "$tmp/out/vgservers.tar" . &&
		du -sm "$root" | cut -f1 >"$tmp/out/root-mb" && cp "$log" "$tmp/out/build.log"
}

# images_prune KEY: remove the cache directories of other keys (finished ones and stale
# temporary ones), never anything else.
images_prune() {
	local d
	for d in "$IMAGES_CACHE"/* "$IMAGES_CACHE"/.build.*; do
		if [ ! -d "$d" ] || [ "${d##*/}" = "$1" ]; then continue; fi
		case ${d##*/} in
		[0-9a-f]*[0-9a-f] | .build.*) rm -rf --one-file-system "$d" ;;
		esac
	done
}

# images_import NAME: import $IMAGES_TAR into the test's dockerd (tests/e2e-lib.sh) as NAME,
# with the official images' metadata: the entrypoint, PATH with postgres's binaries, PGDATA.
images_import() {
	dk import \
		--change "ENV PATH=$IMAGES_PGBIN:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		--change 'ENV PGDATA=/var/lib/postgresql/data' \
		--change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' \
		- "$1" <"$IMAGES_TAR"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -eu
	diag() { printf '# %s\n' "$@" >&2; }
	images_build
	echo "$IMAGES_TAR"
fi
