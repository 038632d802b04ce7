#!/bin/bash
# clang-tidy with the checked-in .clang-tidy over src/ and the fuzz targets; part of make lint
# (scripts/lint.sh calls it). Any finding is an error (WarningsAsErrors: '*').
set -u
cd "$(dirname "$0")/.." || exit 2
# The flags of the Makefile (the one place they are written); a missing package fails here.
mk() { make -s --no-print-directory "print-$1"; }
if ! { STD=$(mk STD) && PKG_CFLAGS=$(mk PKG_CFLAGS); }; then
	echo "clang-tidy: cannot read the build flags from the Makefile" >&2
	exit 2
fi
files=(src/*.c tests/fuzz/fuzz_*.c)
# The libraries' headers are system headers (-isystem): their findings are not ours.
# shellcheck disable=SC2046,SC2086
out=$(clang-tidy --quiet "${files[@]}" -- $STD -DVG_VERSION='"lint"' \
	-Iinclude -Itests/fuzz ${PKG_CFLAGS//-I/-isystem } 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
	printf '%s\n' "$out" |
		grep -Ev '^[0-9]+ (warning|error)s? (generated|treated)|^Suppressed|^Use -header-filter'
	echo "clang-tidy: findings (the checks and why: .clang-tidy)"
	exit 1
fi
echo "clang-tidy: ${#files[@]} files clean"
