#!/bin/bash
# volguard-runc as the default runtime of a private dockerd (Debian's docker.io), real containers.
# One daemon for the whole file; it and everything it made go away at exit, even on failure.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require dockerd runc jq tar setpriv getfacl
vg_setup
vg_write_conf '
[policy]
deny_privileged = yes
isolation_exempt = legacy-*
strict_membership = yes

[volume "shared"]
members = web:rw, worker:rw, reader:ro'
e2e_rootfs || skip_all "cannot build the busybox root file system"
if ! e2e_dockerd_start; then
	# Say exactly why, then give up on this file (52 is the dockerd suite; 51 covers runc).
	diag "$out"
	skip_all "dockerd cannot start here"
fi
V=$T/docker/volumes
drun() { run dk run --network none "$@"; }
# probe UID VOLUME CMD: CMD as host UID:UID (no capabilities) with VOLUME's _data at /p, through
# plain runc: what another container's UID could do with the directory, whatever lies above it.
probe() { run dk run --rm --network none --runtime plainrunc -u "$1:$1" -v "$V/$2/_data:/p" "$IMG" sh -c "$3"; }
check() { ok $((!($1))) "$2"; }
IMG=$E2E_IMAGE
POOL_START=1073741824

# --- refusals ------------------------------------------------------------------------------
drun --rm --name bad -v /etc:/x "$IMG" true
check "rc != 0" "docker run -v /etc:/x fails"
like "$out" 'volguard:' "the error comes from volguard"
like "$out" '/etc' "and names /etc"
like "$out" 'OCI runtime create failed' "dockerd reports it as the runtime's create error"
run vg list
unlike "$out" '^bad:' "a refused container gets no range"

drun --rm --name priv --privileged "$IMG" true
check "rc != 0" "--privileged is refused with deny_privileged = yes"
like "$out" 'volguard:.*privileged' "the message names --privileged"

drun --rm --name optout --label volguard.isolation=off "$IMG" true
check "rc != 0" "volguard.isolation=off is refused for a name not in isolation_exempt"
like "$out" 'isolation_exempt' "the message says why"
drun --rm --name legacy-app --label volguard.isolation=off "$IMG" id -u
is "$out" "0" "an exempt name opts out: it runs as root"
drun --rm --name legacy-app2 --label volguard.isolation=off -v /etc:/x "$IMG" true
check "rc != 0" "an exempt container still gets the mount check"

# --- two isolated containers ---------------------------------------------------------------
run dk run -d --network none --name iso-a -v vola:/data "$IMG" \
	sh -c 'echo secret-a > /data/f && exec sleep 60'
ok "$rc" "iso-a starts"
run dk run -d --network none --name iso-b -v volb:/data "$IMG" \
	sh -c 'echo secret-b > /data/f && exec sleep 60'
ok "$rc" "iso-b starts"
ua=$(e2e_host_uid iso-a)
ub=$(e2e_host_uid iso-b)
check "ua >= $POOL_START" "iso-a runs as a pool UID on the host ($ua)"
check "ub >= $POOL_START && ub != ua" "iso-b runs as another pool UID ($ub)"
check "ua % 65536 == 0" "the UID is its range's start (container UID 0)"
for _ in $(seq 50); do [ -s "$V/vola/_data/f" ] && [ -s "$V/volb/_data/f" ] && break; sleep 0.1; done
is "$(stat -c '%u %a' "$V/vola/_data")" "$ua 700" "iso-a's volume: its principal, 0700"
is "$(stat -c '%u' "$V/vola/_data/f")" "$ua" "the file iso-a wrote is iso-a's on the host"
is "$(cat "$V/vola/_data/f")" "secret-a" "iso-a wrote its private volume"
probe "$ub" vola 'cat /p/f'
check "rc != 0" "iso-b's UID cannot read iso-a's volume"
probe "$ua" volb 'cat /p/f'
check "rc != 0" "iso-a's UID cannot read iso-b's volume"
probe "$ub" volb 'cat /p/f'
is "$out" "secret-b" "iso-b's UID reads its own (the probe works)"
st=$(cat "/proc/$(dk inspect -f '{{.State.Pid}}' iso-a)/status")
like "$st" "CapEff:[[:space:]]*0+$" "iso-a's process has no effective capabilities"
like "$st" "NoNewPrivs:[[:space:]]*1" "and no_new_privs"
run dk exec iso-a sh -c 'id -u; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status'
like "$out" "^$ua" "docker exec runs in the container's range too"
like "$out" "CapEff:[[:space:]]*0+" "without capabilities"
run dk exec -u 70000 iso-a true
check "rc != 0" "docker exec -u with a UID outside the range is refused"
dk rm -f iso-a iso-b >/dev/null 2>&1

# --- --user, restart --------------------------------------------------------------------
drun --rm --name usr -u 1000:1000 -v usrdata:/d "$IMG" sh -c 'id -u; id -g; touch /d/f'
us=$(vg alloc usr --start)
is "$out" "$((us + 1000))
$((us + 1000))" "--user 1000:1000 runs as the range start + 1000"
is "$(stat -c %u "$V/usrdata/_data")" "$((us + 1000))" "its volume belongs to that principal"
drun --rm --name usr -u 70000 "$IMG" true
check "rc != 0" "--user beyond the range size is refused"
like "$out" 'volguard:.*70000' "naming the UID"
dk run -d --network none --name rs "$IMG" sleep 60 >/dev/null
# shellcheck disable=SC2034 # read by check's arithmetic
u1=$(e2e_host_uid rs)
dk restart -t 0 rs >/dev/null
u2=$(e2e_host_uid rs)
check "${u1:-0} >= $POOL_START && ${u1:-0} == ${u2:-1}" "docker restart keeps the container in its range ($u2)"
dk rm -f rs >/dev/null 2>&1

# --- a shared volume -----------------------------------------------------------------------
drun --rm --name web -v shared:/s "$IMG" sh -c 'echo from-web > /s/web.txt'
ok "$rc" "web writes the shared volume"
drun --rm --name worker -v shared:/s "$IMG" \
	sh -c 'cat /s/web.txt && echo worker-was-here >> /s/web.txt && echo from-worker > /s/worker.txt'
ok "$rc" "worker reads web's file, appends to it, writes its own"
like "$out" 'from-web' "worker read web's file"
drun --rm --name web -v shared:/s "$IMG" \
	sh -c 'cat /s/worker.txt /s/web.txt && echo web-again >> /s/worker.txt'
ok "$rc" "web reads worker's file and appends to it"
like "$out" 'worker-was-here' "web sees worker's append"
is "$(cat "$V/shared/_data/worker.txt")" "from-worker
web-again" "both wrote worker.txt"
drun --rm --name reader -v shared:/s:ro "$IMG" cat /s/web.txt
ok "$rc" "the :ro member reads"
drun --rm --name reader -v shared:/s "$IMG" sh -c 'echo x >> /s/web.txt'
check "rc != 0" "the ro member cannot write even when mounted rw"
drun --rm --name outsider -v shared:/s "$IMG" cat /s/web.txt
check "rc != 0" "a non-member is refused (strict_membership)"
like "$out" 'volguard:.*member' "and told why"
uo=$(dk run --rm --network none --name outsider "$IMG" id -u)
probe "$uo" shared 'cat /p/web.txt || ls /p'
check "rc != 0" "a third container's UID ($uo) cannot reach the shared volume"
like "$(getfacl -cp "$V/shared/_data" 2>/dev/null)" 'default:user:[0-9]+:rwx' \
	"the shared volume has a default ACL"

# --- the same name keeps its range --------------------------------------------------------
drun --rm --name web -v webdata:/d "$IMG" sh -c 'id -u; echo one >> /d/log'
first=$out
drun --rm --name web -v webdata:/d "$IMG" sh -c 'id -u; echo two >> /d/log; cat /d/log'
is "$(echo "$out" | head -n1)" "$first" "docker run --rm --name web twice: the same UID"
like "$out" 'one' "and it still owns its data"
run vg list
like "$out" "^web:$first:65536" "the registry holds web's range"

# --- Docker's copy-up into an empty named volume ------------------------------------------
drun --rm --name copier -v cpvol:/etc "$IMG" cat /etc/passwd
ok "$rc" "a container whose empty volume Docker filled from the image starts"
uc=$(dk run --rm --network none --name copier "$IMG" id -u)
is "$(stat -c '%u %a' "$V/cpvol/_data")" "$uc 700" "_data has volguard's owner and mode after copy-up"
like "$(getfacl -cp "$V/cpvol/_data" 2>/dev/null | grep -v '^#' | tr '\n' ' ')" \
	'^user::rwx group::--- other::--- *$' "and no ACL entry for anyone else"

# --- a volume volguard laid out before Docker knew it --------------------------------------
exits 0 "volguard volume create adopted --owner adopter" vg volume create adopted --owner adopter
ua=$(vg alloc adopter --start)
echo kept >"$V/adopted/_data/note" && chown "$ua:$ua" "$V/adopted/_data/note"
drun --rm --name adopter -v adopted:/x "$IMG" sh -c 'id -u; cat /x/note; echo more >> /x/note'
is "$(echo "$out" | head -n1)" "$ua" "docker run -v adopted:/x runs adopter as its principal"
like "$out" 'kept' "Docker uses the volume volguard created, with its data"
is "$(stat -c '%u %a' "$V/adopted/_data")" "$ua 700" "_data keeps volguard's owner and mode"
is "$(cat "$V/adopted/_data/note")" "$(printf 'kept\nmore')" "the container wrote to it"
drun --rm --name stranger -v adopted:/x "$IMG" cat /x/note
check "rc != 0" "with strict_membership, another container that mounts it is refused"
like "$out" "strict_membership" "and told why"

# --- the bypass, documented ---------------------------------------------------------------
drun --rm --runtime plainrunc "$IMG" id -u
is "$out" "0" "--runtime=plainrunc bypasses volguard (why default-runtime and dockerd access matter)"

done_testing
