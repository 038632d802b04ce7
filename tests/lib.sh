# shellcheck shell=bash
# TAP helpers for volguard's integration tests. Source it; call vg_setup; end with done_testing.
# Every test runs the real binary ($VG, default build/volguard) as root in a private temp dir,
# with a config that points every path there.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VG=${VG:-$TOP/build/volguard}
case "$VG" in /*) ;; *) VG=$TOP/$VG ;; esac
_n=0
_failed=0

# While $TODO is set, results are TAP TODO ("# TODO $TODO"): a known gap, reported as such, that
# neither fails the file nor counts as failed in make check.
TODO=
ok() { # ok COND-EXIT-CODE DESCRIPTION
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_n - $2${TODO:+ # TODO $TODO}"; else
		echo "not ok $_n - $2${TODO:+ # TODO $TODO}"
		[ -n "$TODO" ] || _failed=$((_failed + 1))
	fi
}
pass() { ok 0 "$1"; }
fail() { ok 1 "$1"; }
skip() { # skip REASON [COUNT]: COUNT (default 1) tests that cannot run, each saying why
	local _
	for _ in $(seq "${2:-1}"); do
		_n=$((_n + 1))
		echo "ok $_n # SKIP $1"
	done
}
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; } # before any result: the whole file cannot run
# skip_rest REASON [COUNT]: the rest of the file cannot run here, after results were printed
# (where skip_all's "1..0" would contradict them and prove fail the file): COUNT skips
# (default 1) saying why, then the plan and the exit status of the results so far.
skip_rest() {
	[ "$_n" -gt 0 ] || skip_all "$1"
	skip "$1" "${2:-1}"
	done_testing
}

is() { # is GOT EXPECTED DESCRIPTION
	if [ "$1" = "$2" ]; then pass "$3"; else
		fail "$3"
		diag "got:      '$1'" "expected: '$2'"
	fi
}
like() { # like GOT REGEX DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then pass "$3"; else
		fail "$3"
		diag "got: '$1'" "expected to match: '$2'"
	fi
}
unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		fail "$3"
		diag "got: '$1'" "expected not to match: '$2'"
	else pass "$3"; fi
}
# run CMD...: sets $out (stdout+stderr) and $rc
run() {
	out=$("$@" 2>&1)
	rc=$?
}
# exits RC DESCRIPTION CMD...: run and check the exit code
exits() {
	local want=$1 desc=$2
	shift 2
	run "$@"
	if [ "$rc" -eq "$want" ]; then pass "$desc"; else
		fail "$desc"
		diag "exit $rc, expected $want; output:" "$out"
	fi
}
done_testing() {
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
	exit $?
}

# vg_setup: $T (temp root), $CONF, a docker root, a state dir and empty subuid/subgid files.
vg_setup() {
	[ "$(id -u)" = 0 ] || skip_all "integration tests run as root"
	T=$(mktemp -d /tmp/vgtest.XXXXXX)
	chmod 0755 "$T"
	trap 'vg_cleanup' EXIT
	mkdir -p "$T/docker/volumes" "$T/docker/containers" "$T/etc"
	: >"$T/subuid"
	: >"$T/subgid"
	CONF=$T/etc/volguard.conf
	vg_write_conf ""
}
vg_cleanup() {
	local f
	for f in "${VG_CLEANUP_HOOKS[@]:-}"; do [ -n "$f" ] && eval "$f"; done
	[ -n "${T:-}" ] && [ -d "$T" ] && rm -rf --one-file-system "$T"
}
VG_CLEANUP_HOOKS=()
# vg_write_conf EXTRA: rewrite $CONF with the test paths plus EXTRA lines (INI text), and the
# isolation mode $VG_ISOLATION (default shift: the tests written for that mode; the userns tests
# and the second pass of the attack tests set it).
vg_write_conf() {
	cat >"$CONF" <<CONF_EOF
[paths]
docker_root = $T/docker
state_dir = $T/state
stage_dir = $T/stage
subuid_file = $T/subuid
subgid_file = $T/subgid
$1
[policy]
isolation = ${VG_ISOLATION:-shift}
CONF_EOF
	chmod 0644 "$CONF"
}
vg() { "$VG" --config "$CONF" "$@"; }

# The isolation mode the test's containers run in: the attack tests run once per mode (the
# userns pass is 69-attacks-userns.t) and say, assertion by assertion, what each mode must give.
VG_MODE=${VG_ISOLATION:-shift}
in_userns() { [ "$VG_MODE" = userns ]; }
in_shift() { [ "$VG_MODE" != userns ]; }
# skip_in_userns REASON [COUNT]: in the userns pass, COUNT skips saying why the assertion does
# not apply there (true: the caller runs the assertion); in the shift pass, false.
skip_in_userns() {
	in_userns || return 1
	skip "not in userns mode: $1" "${2:-1}"
}
