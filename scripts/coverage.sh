#!/bin/bash
# make coverage: a gcov build in build-cov/, the whole suite against it, then gcovr's line and
# branch coverage of src/ (per file and total). The HTML report lands in build-cov/html/.
# Exit status: the suite's (coverage is reported, not enforced), and 2 when gcovr fails or
# leaves no coverage.txt: a report that silently covers only part of the run is no report.
set -u
cd "$(dirname "$0")/.." || exit 2
B=build-cov

# -fprofile-update=atomic: the fixer's threads update the same counters; without it they race
# and gcovr dies on negative counts ("branch 3 taken -1"), one run in a few.
# -Wno-error=format-truncation: at -O0 gcc does not see the length checks before an snprintf
# (policy_facts.c parse_rule) and warns; the normal -O2 build keeps that warning an error.
make -s BUILD=$B CC=gcc CFLAGS='-O0 -g --coverage -fprofile-update=atomic -Wno-error=format-truncation' \
	LDFLAGS='--coverage -fprofile-update=atomic' all >/dev/null || {
	echo "coverage: build failed" >&2
	exit 2
}
find $B -name '*.gcda' -delete
# Tests that run the tool as another user cannot write the counters; libgcov must not print
# that on the stderr the tests compare.
export GCOV_ERROR_FILE=$PWD/$B/gcov-errors.log
: >"$GCOV_ERROR_FILE"

units=$(find $B/unit -maxdepth 1 -name 'test_*' -type f -perm -u+x | sort)
# shellcheck disable=SC2086
CMOCKA_MESSAGE_OUTPUT=TAP VG=$PWD/$B/volguard prove --exec '' --merge $units \
	tests/integration/*.t >$B/prove.log 2>&1
rc=$?
tail -3 $B/prove.log

mkdir -p $B/html
rm -f $B/coverage.txt $B/branches.txt $B/summary.txt
gcovr_failed() {
	echo "coverage: gcovr failed ($1); no coverage report" >&2
	exit 2
}
# --exclude-unreachable-branches drops the branches gcc adds for __attribute__((cleanup)).
gcovr --root . --object-directory $B --filter 'src/' --exclude-unreachable-branches \
	--print-summary --sort-percentage --html-details $B/html/index.html \
	--txt $B/coverage.txt >$B/summary.txt || gcovr_failed "exit $?"
gcovr --root . --object-directory $B --filter 'src/' --exclude-unreachable-branches \
	--branches --txt $B/branches.txt >/dev/null || gcovr_failed "branches, exit $?"
for f in $B/coverage.txt $B/branches.txt; do
	[ -s "$f" ] || gcovr_failed "no $f"
done
cat $B/coverage.txt
grep -E "^(lines|functions|branches):" $B/summary.txt
echo "(gcov, line and branch resolution; per-branch table: $B/branches.txt, HTML: $B/html/index.html)"
exit $rc
