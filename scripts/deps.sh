#!/bin/sh
# Install the Debian packages volguard builds, tests and demos with; do nothing when all are there.
set -eu
PKGS="build-essential pkg-config libacl1-dev libcap-dev libattr1-dev libinih-dev
libjansson-dev libmount-dev libyaml-dev libcmocka-dev acl attr util-linux uidmap runc docker.io
busybox-static clang libclang-rt-14-dev mandoc cppcheck clang-format clang-tidy shellcheck
gcovr strace hyperfine jq python3 time libcap2-bin e2fsprogs procps debootstrap
debhelper dpkg-dev fakeroot lintian bash-completion libyaml-dev systemd"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing (run 'make deps' as root)" >&2
	exit 2
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
