#!/bin/bash
# Build the libFuzzer targets (tests/fuzz/fuzz_*.c) and run each for a bounded time; TAP out.
#
#   scripts/fuzz.sh [--time SECONDS] [--jobs N] [--start N] [NAME...]
#
# For each target NAME (fuzz_NAME.c): replay every input in tests/fuzz/regress/NAME/ (crashes
# found before, kept as regression tests), then fuzz for SECONDS on the seed corpus
# tests/fuzz/corpus/NAME/ plus a working corpus in build-fuzz/corpus/NAME/ that grows from run
# to run. One TAP line per replay and per fuzz run. A new crash is copied into
# tests/fuzz/regress/NAME/ so that every later run replays it: fix the bug, then `git add` it.
# `make check` runs this for 20 s a target (scripts/check-extra.sh); `make fuzz` for longer.
set -u
cd "$(dirname "$0")/.." || exit 2
TOP=$PWD

time_each=20
jobs=2
n=0
names=()
while [ $# -gt 0 ]; do
	case "$1" in
	--time) time_each=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--start) n=$2; shift 2 ;; # number TAP lines from N+1 (when appending to another stream)
	-h | --help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
	-*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
	*) names+=("$1"); shift ;;
	esac
done
if [ ${#names[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		[ -e "$f" ] || continue
		f=${f##*/fuzz_}
		names+=("${f%.c}")
	done
fi

B=$TOP/build-fuzz
SAN='-fsanitize=address,undefined -fno-sanitize-recover=all'
# The flags and libraries of the Makefile (the one place they are written); a missing package
# fails here, with pkg-config's message.
mk() { make -s --no-print-directory "print-$1"; }
if ! { STD=$(mk STD) && WARN=$(mk WARN) && PKG_CFLAGS=$(mk PKG_CFLAGS) &&
	PKG_LIBS=$(mk PKG_LIBS); }; then
	echo "fuzz.sh: cannot read the build flags from the Makefile" >&2
	exit 2
fi
mkdir -p "$B/bin" "$B/log" "$B/artifacts" "$B/corpus"

tap() { # tap OK(0/1) DESCRIPTION [DIAG-FILE]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
	if [ "$1" -ne 0 ] && [ -n "${3:-}" ] && [ -s "$3" ]; then
		grep -E 'ERROR|SUMMARY|invariant|#[0-9]+ .* in |Test unit written|saved as' "$3" |
			grep -Ev 'fuzzer::|libc_start|in _start|in main \(' | head -30 | sed 's/^/# /'
	fi
}

# The library, instrumented for coverage-guided fuzzing, through the Makefile's own rules.
if ! make -s BUILD="$B" CC=clang \
	CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link $SAN" \
	"$B/libvolguard.a" >"$B/log/build.log" 2>&1; then
	tap 1 "fuzz: build libvolguard.a for fuzzing" "$B/log/build.log"
	sed 's/^/# /' "$B/log/build.log" | tail -20
	exit 1
fi
# shellcheck disable=SC2086,SC2046
build_target() {
	clang -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer $SAN $STD $WARN \
		-Iinclude -Itests/fuzz $PKG_CFLAGS \
		-o "$B/bin/fuzz_$1" "tests/fuzz/fuzz_$1.c" "$B/libvolguard.a" \
		$PKG_LIBS >"$B/log/$1.build" 2>&1
}

# Reports go to stderr, where libFuzzer's log catches them; a leak is a failure too.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
unset LSAN_OPTIONS

# run_target NAME: writes $B/log/NAME.result ("rc runs") and NAME.log; never prints.
run_target() {
	local name=$1 bin=$B/bin/fuzz_$1 work=$B/corpus/$1 art=$B/artifacts/$1/
	local seeds=tests/fuzz/corpus/$1 log=$B/log/$1.log rc runs
	mkdir -p "$work" "$art"
	[ -d "$seeds" ] || seeds=
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$time_each" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art" "$work" $seeds >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	echo "$rc ${runs:-0}" >"$B/log/$1.result"
}

# Replays first: a regression must fail the run even if the fuzzer would not find it again.
built=()
for name in "${names[@]}"; do
	if [ ! -e "tests/fuzz/fuzz_$name.c" ]; then
		tap 1 "fuzz $name: no tests/fuzz/fuzz_$name.c"
		continue
	fi
	if ! build_target "$name"; then
		tap 1 "fuzz $name: build" "$B/log/$name.build"
		sed 's/^/# /' "$B/log/$name.build" | head -20
		continue
	fi
	reg=tests/fuzz/regress/$name
	if [ -d "$reg" ] && [ -n "$(ls -A "$reg")" ]; then
		"$B/bin/fuzz_$name" -runs=1 "$reg"/* >"$B/log/$name.regress" 2>&1
		rc=$?
		tap $rc "fuzz $name: replay $(find "$reg" -type f | wc -l) regression input(s) of $reg" \
			"$B/log/$name.regress"
		# A known bug: fuzzing would only find it again.
		[ $rc -eq 0 ] || continue
	fi
	built+=("$name")
done

# Then the bounded fuzzing, $jobs targets at a time.
running=0
for name in "${built[@]}"; do
	rm -f "$B/log/$name.result"
	run_target "$name" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

status=0
for name in "${built[@]}"; do
	read -r rc runs <"$B/log/$name.result" || { rc=1; runs=0; }
	if [ "$rc" -eq 0 ]; then
		tap 0 "fuzz $name: ${time_each}s, $runs inputs, no crash, no leak"
		continue
	fi
	status=1
	# Keep what it found as a regression input, replayed by every later run.
	mkdir -p "tests/fuzz/regress/$name"
	for a in "$B/artifacts/$name"/crash-* "$B/artifacts/$name"/leak-* \
		"$B/artifacts/$name"/timeout-* "$B/artifacts/$name"/oom-*; do
		[ -e "$a" ] || continue
		cp "$a" "tests/fuzz/regress/$name/" &&
			echo "saved as tests/fuzz/regress/$name/${a##*/}" >>"$B/log/$name.log"
		rm -f "$a"
	done
	tap 1 "fuzz $name: failed after $runs inputs (exit $rc; log $B/log/$name.log)" \
		"$B/log/$name.log"
done
exit $status
