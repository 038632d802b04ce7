#!/bin/bash
# The quality gates of `make check` after the normal run (issue 7); appends TAP to the log $1.
#  1. The whole suite again against the ASan+UBSan build (build-asan/): unit tests from
#     build-asan/unit, integration scripts with VG=build-asan/volguard. LeakSanitizer is on.
#     Every sanitizer report fails the run, even from a child whose exit code a test expects
#     to be non-zero: reports go to files (log_path) that are checked afterwards, and the
#     sanitizer exit code is a distinctive 99.
#  2. The fuzz smoke, beside 1.: every tests/fuzz/fuzz_*.c for FUZZ_TIME seconds (default
#     12), after replaying its regression inputs (scripts/fuzz.sh).
# Environment: VG_CHECK_ASAN=0 or VG_CHECK_FUZZ=0 skips a part; FUZZ_TIME, FUZZ_JOBS.
set -u
cd "$(dirname "$0")/.." || exit 2
LOG=${1:-build/check-extra.log}
mkdir -p build
# Number our TAP lines after those already in the log (check.sh only counts "ok N" lines).
n=0
status=0

tap() { # tap OK(0/1) DESCRIPTION: one TAP line, to the log and the terminal
	n=$((n + 1))
	local line="ok $n - $2"
	if [ "$1" -ne 0 ]; then
		line="not $line"
		status=1
	fi
	echo "$line" | tee -a "$LOG"
}
diag() { sed 's/^/# /' | tee -a "$LOG"; }

asan_suite() {
	local san units scripts out prove_rc
	echo "== ASan+UBSan build"
	if ! make -s asan >build/asan-build.log 2>&1; then
		tap 1 "asan: build (make asan)"
		tail -30 build/asan-build.log | diag
		return
	fi

	# World-writable (sticky) so that a test that runs the tool as another user still reports.
	san=$(mktemp -d "$PWD/build/sanitizer.XXXXXX")
	chmod 1777 "$san"
	# Not strict_string_checks: it makes every memchr() scan to the terminating NUL, so parsing
	# a 6 MB registry line by line becomes quadratic (minutes instead of half a second).
	export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99:log_path=$san/asan:detect_stack_use_after_return=1:check_initialization_order=1"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=99:log_path=$san/ubsan"
	unset LSAN_OPTIONS

	units=$(find build-asan/unit -maxdepth 1 -name 'test_*' -type f -perm -u+x | sort)
	# In the normal pass only, to keep make check under 20 minutes on 2 cores: 69 runs 53..59
	# a second time in userns mode (the sanitizer pass runs 53..59, and 65..68 run volguard's
	# userns code), 70 and 71 run the server images through the code 65 and 67 run; 72 (Compose,
	# ~55 s) runs the runtime's code 52 runs, and compose.c runs sanitized in test_compose and
	# fuzz_compose; 74 (a real swarm, ~40 s) runs the identity code 73 and test_identity run;
	# 78 starts two dockerds (~40 s): its volguard code (deterministic allocation, export,
	# import, compare) runs under the sanitizer in unit/test_fleet, its containers through 52's
	# code. 77 (~25 s) runs the policy and audit code 60..63 and the unit tests run sanitized.
	# 90 builds and runs its own binary (the Debian package's), never $VG; 91 is bash only.
	scripts=""
	for f in tests/integration/*.t; do
		case $f in */69-attacks-userns.t | */70-userns-images.t | */71-userns-images-overlay2.t | \
			*/72-compose.t | */74-swarm.t | */77-audit-blindspots.t | */78-fleet.t | \
			*/90-package.t | */91-completion.t) ;;
		*) scripts="$scripts $f" ;;
		esac
	done
	out=build/asan-prove.log
	# shellcheck disable=SC2086
	CMOCKA_MESSAGE_OUTPUT=TAP VG=$PWD/build-asan/volguard prove --exec '' --merge -v --timer \
		$units $scripts >"$out" 2>&1
	prove_rc=$?
	unset ASAN_OPTIONS UBSAN_OPTIONS
	# Every subtest counts in check.sh's totals, like the normal run's; show what failed.
	cat "$out" >>"$LOG"
	grep -Ev '^(ok |#|    )' "$out"

	# A file that exits non-zero with every subtest ok (a sanitizer exit in a unit test
	# binary, a bad plan) shows only in prove's summary.
	if [ $prove_rc -eq 0 ]; then
		tap 0 "asan: every test file passed and exited 0"
	else
		tap 1 "asan: every test file passed and exited 0"
		sed -n '/^Test Summary Report/,$p' "$out" | diag
	fi
	if [ -z "$(ls -A "$san")" ]; then
		tap 0 "asan: no AddressSanitizer, LeakSanitizer or UBSan report"
		rm -rf "$san"
	else
		tap 1 "asan: no AddressSanitizer, LeakSanitizer or UBSan report ($(find "$san" -type f | wc -l) in $san)"
		for f in "$san"/*; do
			echo "--- $f"
			grep -Ev '^ *$' "$f" | head -40
		done | diag
	fi
}

# The fuzz smoke runs beside the sanitizer pass, on one core (FUZZ_JOBS, default 1): the
# sanitizer pass mostly waits for daemons and containers (about 40 % of 2 cores), so the two
# together take the time of the sanitizer pass alone. Its TAP lines are numbered from 10000
# (check.sh counts lines, the numbers only have to be unique within a part).
fuzz_start() {
	echo "== fuzz smoke (${FUZZ_TIME:-12}s a target), beside the sanitizer pass"
	(
		scripts/fuzz.sh --time "${FUZZ_TIME:-12}" --jobs "${FUZZ_JOBS:-1}" --start 10000 \
			>build/fuzz-smoke.log 2>&1
		echo $? >build/fuzz-smoke.rc
	) &
	fuzz_pid=$!
}
fuzz_finish() {
	wait "$fuzz_pid"
	[ "$(cat build/fuzz-smoke.rc 2>/dev/null)" = 0 ] || status=1
	echo "== fuzz smoke"
	cat build/fuzz-smoke.log >>"$LOG"
	cat build/fuzz-smoke.log
}

rm -f build/fuzz-smoke.rc
[ "${VG_CHECK_FUZZ:-1}" = 0 ] || fuzz_start
[ "${VG_CHECK_ASAN:-1}" = 0 ] || asan_suite
[ "${VG_CHECK_FUZZ:-1}" = 0 ] || fuzz_finish
exit $status
