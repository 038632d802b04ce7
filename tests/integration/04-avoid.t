#!/bin/bash
# New ranges avoid /etc/subuid and /etc/subgid delegations and the IDs of real users and groups.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
vg_setup
P=1073741824
R=65536

# Delegations over the first range (subuid) and the third (subgid), in their own formats.
printf '# comment\nalice:%d:10\n' $((P + 100)) >"$T/subuid"
printf '1000:%d:%d\n' $((P + 2 * R)) $R >"$T/subgid"
exits 0 "alloc a" vg alloc a
is "$out" "a:$((P + R)):$R" "a skips the range a subuid delegation touches"
exits 0 "alloc b" vg alloc b
is "$out" "b:$((P + 3 * R)):$R" "b skips the range a subgid delegation covers"
# A delegation that spans many ranges, like login.defs' default one moved into the pool.
printf 'bob:%d:%d\n' $((P + 4 * R)) $((10 * R + 1)) >>"$T/subuid"
exits 0 "alloc c" vg alloc c
is "$out" "c:$((P + 15 * R)):$R" "c lands after a delegation of 10 ranges and one ID"
printf 'bad line\n' >>"$T/subgid"
exits 2 "a malformed subgid line fails" vg alloc d
like "$out" "$T/subgid:2:" "the error names subgid file and line"
vg_write_conf ""
: >"$T/subgid"
# A FIFO in place of the subuid file must neither hang alloc nor be taken as empty.
rm -f "$T/subuid" && mkfifo "$T/subuid"
exits 2 "alloc with a FIFO as subuid_file fails" timeout 10 "$VG" --config "$CONF" alloc fifo
like "$out" 'subuid: not a regular file' "and says why, without blocking"
rm -f "$T/subuid" && : >"$T/subuid"

# A real user and a real group inside the pool; a pool of our own so that no other test
# running at the same time sees them.
PP=$((2684354560 + ($$ % 1000) * 16 * R))
vg_write_conf "[ranges]
pool_start = $PP
pool_end = $((PP + 16 * R - 1))"
u=vgt$$u
g=vgt$$g
VG_CLEANUP_HOOKS+=("userdel $u 2>/dev/null; groupdel $g 2>/dev/null")
# The five results below need both; without them they are skipped, saying why.
useradd -M -N -s /usr/sbin/nologin -u $((PP + 7)) "$u" 2>/dev/null ||
	skip_rest "useradd failed" 5
groupadd -g $((PP + R + 65535)) "$g" || skip_rest "groupadd failed" 5
ok "$(getent passwd "$u" >/dev/null; echo $?)" "the user exists"
exits 0 "alloc in a pool holding a user and a group" vg alloc x
is "$out" "x:$((PP + 2 * R)):$R" "the ranges holding the user's UID and the group's GID are skipped"
userdel "$u"
groupdel "$g"
exits 0 "alloc y after the user is gone" vg alloc y
is "$out" "y:$PP:$R" "the freed range is used again"
done_testing
