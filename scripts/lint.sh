#!/bin/bash
# make lint: cppcheck, clang-format, clang-tidy (scripts/lint-tidy.sh), unit test names, no
# dependency cycle between source files (scripts/lint-cycles.sh, after its self-test), mandoc
# -Tlint and the shell scripts through shellcheck; exits non-zero on any finding.
set -u
cd "$(dirname "$0")/.." || exit 2
status=0
step() { echo "== $*"; }
failed() {
	echo "lint: $1 found problems" >&2
	status=1
}

step cppcheck
cppcheck --quiet --std=c11 --enable=warning,performance,portability --error-exitcode=1 \
	--inline-suppr -D_GNU_SOURCE -Iinclude src/ || failed cppcheck

step clang-format
mapfile -t csrc < <(find src include tests/unit tests/fuzz -name '*.[ch]' | sort)
clang-format --dry-run --Werror "${csrc[@]}" || failed clang-format

step clang-tidy
scripts/lint-tidy.sh || failed clang-tidy

step "dependency cycles (include and symbol graph)"
{ scripts/lint-cycles.sh --self-test && scripts/lint-cycles.sh; } || failed lint-cycles
step unit test names
# Each tests/unit/test_X.c tests src/X.c (so a module's tests are found by its name).
for t in tests/unit/test_*.c; do
	x=${t#tests/unit/test_}
	[ -e "src/$x" ] || {
		echo "$t: no src/$x (name the unit test for the module it tests)"
		failed "unit test names"
	}
done

step mandoc
for m in man/*.[0-9]; do
	[ -e "$m" ] || continue
	# Warnings count as findings (style notes, such as long source lines, do not).
	out=$(mandoc -Tlint -Wwarning "$m" 2>&1)
	if [ -n "$out" ]; then
		printf '%s\n' "$out"
		failed "mandoc ($m)"
	fi
done

step shellcheck
mapfile -t sh < <({
	find . -path ./build -prune -o -path './build-*' -prune -o -path ./.git -prune -o \
		-type f \( -name '*.sh' -o -name '*.t' \) -print
	echo .ci/run
	echo completion/volguard
} | sort)
shellcheck -x --source-path=SCRIPTDIR "${sh[@]}" || failed shellcheck

[ "$status" -eq 0 ] && echo "lint: clean"
exit "$status"
