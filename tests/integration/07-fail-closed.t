#!/bin/bash
# Bad config and bad registry: an error naming file:line, exit 2, nothing allocated or rewritten.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
vg_setup
vg alloc web >/dev/null
vg alloc db >/dev/null
REG=$T/state/ranges
stamp() { stat -c '%i %Y %s' "$REG"; sha256sum <"$REG"; }

# bad_conf DESCRIPTION TEXT EXPECTED-REGEX: every command refuses it, the registry is untouched.
bad_conf() {
	local before
	before=$(stamp)
	printf '%s\n' "$2" >"$T/bad.conf"
	chmod 0644 "$T/bad.conf"
	exits 2 "config $1: alloc exits 2" "$VG" --config "$T/bad.conf" alloc newname
	like "$out" "$3" "config $1: the message names file and line"
	exits 2 "config $1: list exits 2" "$VG" --config "$T/bad.conf" list
	is "$(stamp)" "$before" "config $1: registry untouched"
}
base="[paths]
docker_root = $T/docker
state_dir = $T/state
subuid_file = $T/subuid
subgid_file = $T/subgid"
bad_conf "unknown key" "$base
colour = blue" "$T/bad.conf:6: \[paths\] colour: unknown key"
bad_conf "unknown section" "$base
[pathz]" "$T/bad.conf:6: \[pathz\]"
bad_conf "bad number" "$base
[ranges]
range_size = 64k" "$T/bad.conf:7: \[ranges\] range_size: '64k' is not a number"
bad_conf "unaligned pool" "$base
[ranges]
pool_start = 1073741825" "$T/bad.conf:7: \[ranges\] pool_start: .*not aligned"
bad_conf "pool in the system IDs" "$base
[ranges]
pool_start = 0" "$T/bad.conf:7: .*0\.\.65535"
bad_conf "bad bool" "$base
[policy]
strict_membership = perhaps" "$T/bad.conf:7: \[policy\] strict_membership"
bad_conf "syntax" "$base
just words" "$T/bad.conf:6: syntax error"
long=$(head -c $((1024 * 1024 - 200)) /dev/zero | tr '\0' x)
bad_conf "a 1 MiB line" "$base
isolation_exempt = $long" "$T/bad.conf:6: line longer than"
bad_conf "larger than 1 MiB" "$base
isolation_exempt = $long$long" "larger than"
printf '[paths]\nstate_dir = /x\0\n' >"$T/nul.conf"
exits 2 "a NUL byte in the config" "$VG" --config "$T/nul.conf" list
like "$out" "NUL" "the message says NUL"
exits 2 "a missing --config file" "$VG" --config "$T/missing.conf" list
like "$out" "$T/missing.conf: cannot open config file" "the message names the file"
exits 2 "a missing VOLGUARD_CONFIG file" env VOLGUARD_CONFIG="$T/missing.conf" "$VG" list
like "$out" "$T/missing.conf" "the message names the file from the environment"
exits 0 "VOLGUARD_CONFIG is used" env VOLGUARD_CONFIG="$CONF" "$VG" list
like "$out" "^web:" "it read the registry the config points at"

# bad_reg DESCRIPTION LINES EXPECTED-REGEX: alloc, release, gc and list fail closed.
bad_reg() {
	local before
	printf '%s\n' "$2" >"$REG"
	before=$(stamp)
	exits 2 "registry $1: alloc exits 2" vg alloc newname
	like "$out" "$3" "registry $1: the message names the line"
	exits 2 "registry $1: release exits 2" vg release web
	exits 2 "registry $1: gc exits 2" vg gc
	exits 2 "registry $1: list exits 2" vg list
	is "$(stamp)" "$before" "registry $1: nothing rewritten"
}
bad_reg "garbage line" "web:1073741824:65536
this is not a range" "$REG:2: expected name:start:count"
bad_reg "bad number" "# header

web:1073741824:6553x" "$REG:3: count"
bad_reg "overlap" "web:1073741824:65536
db:1073741824:65536" "$REG:2: range of 'db' overlaps line 1"
bad_reg "duplicate name" "web:1073741824:65536
web:1073807360:65536" "$REG:2: 'web' already has a range on line 1"
bad_reg "range in the system IDs" "root:0:65536" "$REG:1: .*0\.\.65535"
printf 'web:1073741824:65536\n' >"$REG"

# A registry of 100,000 lines: parsed in bounded time, and one more alloc appends one line.
# 100,000 ranges of 65536 do not fit under 2^31: use ranges of 1 ID in a pool of single IDs.
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "c%d:%d:1\n", i, 1073741824 + i }' >"$REG"
vg_write_conf "[ranges]
range_size = 1"
t0=$(date +%s%N)
exits 0 "alloc with a 100,000-line registry (a hang is cut at 60 s)" \
	timeout 60 "$VG" --config "$CONF" alloc big-one
t1=$(date +%s%N)
is "$out" "big-one:$((1073741824 + 100000)):1" "the new range comes after the 100,000"
diag "alloc on 100,000 lines took $(((t1 - t0) / 1000000)) ms"
is "$(grep -c . "$REG")" 100002 "the registry has one more line (and its header)"

# The hook on a registry it must refuse: exit 2, and (under the sanitizer run) nothing leaks on
# that path. The registry is opened and closed by the admission pipeline on every path.
vg_write_conf ""
printf 'web:1073741824:65536\n' >"$REG"
chmod 0664 "$REG"
mkdir -p "$T/hb/rootfs"
cat >"$T/hb/config.json" <<'EOF'
{"ociVersion": "1.0.2", "process": {"user": {"uid": 0, "gid": 0}, "args": ["sh"], "cwd": "/"},
 "root": {"path": "rootfs"}, "mounts": [],
 "linux": {"namespaces": [{"type": "user"}, {"type": "mount"}],
  "uidMappings": [{"containerID": 0, "hostID": 1073741824, "size": 65536}],
  "gidMappings": [{"containerID": 0, "hostID": 1073741824, "size": 65536}]}}
EOF
sleep 60 &
hpid=$!
printf '{"ociVersion":"1.0.2","id":"h","status":"creating","pid":%d,"bundle":"%s/hb"}' \
	"$hpid" "$T" >"$T/hb/state.json"
# shellcheck disable=SC2016 # expanded by the inner shell
exits 2 "prestart refuses a group-writable registry (exit 2)" \
	sh -c '"$1" --config "$2" prestart <"$3"' sh "$VG" "$CONF" "$T/hb/state.json"
like "$out" "registry is writable by group or others" "and says why"
kill "$hpid" 2>/dev/null
chmod 0644 "$REG"
done_testing
