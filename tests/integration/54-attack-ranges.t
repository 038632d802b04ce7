#!/bin/bash
# Issue 10, class 3: a range cannot be pulled from under a container. Attacks on a private
# dockerd with volguard-runc as its default runtime (vfs): docker rename + gc, rename + a new
# container with the old name, release and gc of a range a container or a host process still
# uses, docker exec once the range is gone, and the reuse of a released range.
# Canary: owner, mode, ACL and ctime of a root-owned host directory ($CAN) that every attacked
# container has bind-mounted at /h; the attacks try to write it.
# Both isolation modes (VG_ISOLATION; the userns pass is 69-attacks-userns.t): a range is the
# same thing in both (container root is host UID start); only the owners on disk differ (userns:
# container-relative), so the checks that read a volume by host UID apply to shift mode alone.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require dockerd runc jq tar setpriv getfacl
vg_setup
# A pool of its own (release and gc refuse ranges a host process runs in; other tests' containers
# run in the first ranges of the default pool).
POOL_START=1610612736
vg_write_conf "
[ranges]
pool_start = $POOL_START
[policy]
isolation_exempt = legacy-*"
e2e_rootfs || skip_all "cannot build the busybox root file system"
if ! e2e_dockerd_start; then
	# shellcheck disable=SC2154 # set by e2e_dockerd_start
	diag "$out"
	skip_all "dockerd cannot start here"
fi
V=$T/docker/volumes
IMG=$E2E_IMAGE
check() { ok $((!($1))) "$2"; }
CAN=$T/hostdir
mkdir -p "$CAN" && echo canary >"$CAN/f" && chmod 0755 "$CAN" && chmod 0644 "$CAN/f"
canary() { stat -c '%u:%g %a %Z' "$CAN" "$CAN/f"; getfacl -cp "$CAN" "$CAN/f" 2>/dev/null; }
CANARY=$(canary)
canary_ok() { is "$(canary)" "$CANARY" "canary: $CAN unchanged ($1)"; }
# probe UID VOLUME CMD: CMD as host UID:UID through plain runc, VOLUME's _data at /p.
probe() { run dk run --rm --network none --runtime plainrunc -u "$1:$1" -v "$V/$2/_data:/p" "$IMG" sh -c "$3"; }
start_of() { vg list | awk -F: -v n="$1" '$1 == n { print $2 }'; }
attack='touch /h/pwned 2>/dev/null; chmod 777 /h 2>/dev/null; true'
# HOSTUID: a command printing the container process's host UID (userns: the host ID that uid 0
# of its namespace maps to, its range's start; shift: its own UID, already the host's).
HOSTUID='id -u'
in_userns && HOSTUID="awk 'NR == 1 { print \$2 }' /proc/self/uid_map"
PIDS=()
# shellcheck disable=SC2317 # called by vg_cleanup
kill_mine() { local p; for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done; return 0; }
VG_CLEANUP_HOOKS+=("kill_mine")

# --- 1. docker rename, then gc ---------------------------------------------------------------
run dk run -d --network none --name ren -v "$CAN:/h" "$IMG" sleep 300
ok "$rc" "ren starts"
u_ren=$(e2e_host_uid ren)
check "${u_ren:-0} >= $POOL_START" "ren runs in a range ($u_ren)"
dk rename ren ren-now >/dev/null
exits 0 "gc after docker rename of a running container" vg gc
unlike "$out" "released ren[:-]" "gc does not release the renamed container's range"
like "$(vg list)" ":$u_ren:65536" "the range of the running container is still allocated"
vg alloc ren-intruder >/dev/null
check "$(vg alloc ren-intruder --start) != $u_ren" "a new name does not get the running container's range"
dk restart -t 0 ren-now >/dev/null
is "$(e2e_host_uid ren-now)" "$u_ren" "after the rename, a restart keeps the container in its range"
dk exec ren-now sh -c "$attack"
canary_ok "rename + gc"

# --- 2. docker rename, then a new container takes the old name --------------------------------
run dk run -d --network none --name web -v wvol:/d -v "$CAN:/h" "$IMG" \
	sh -c 'echo web-secret > /d/s && exec sleep 300'
ok "$rc" "web starts"
u_web=$(e2e_host_uid web)
for _ in $(seq 50); do [ -s "$V/wvol/_data/s" ] && break; sleep 0.1; done
dk rename web web-old >/dev/null
run dk run -d --network none --name web -v "$CAN:/h" "$IMG" sleep 300
ok "$rc" "a new container named web starts"
u_new=$(e2e_host_uid web)
check "${u_new:-0} >= $POOL_START && ${u_new:-0} != ${u_web:-0}" \
	"two running containers, two host UIDs ($u_web for web-old, $u_new for the new web)"
if ! skip_in_userns "owners on disk are container-relative: no host UID owns a volume, only admitted mounts reach it" 2; then
	probe "$u_new" wvol 'cat /p/s'
	check "rc != 0" "the new web's UID cannot read the renamed container's private volume"
	unlike "$out" "web-secret" "and does not see its secret"
fi
is "$(start_of web)" "$u_new" "the registry's 'web' is the new container's range"
is "$(vg list | awk -F: -v s="$u_web" '$2 == s { print $1 }')" "web-old" \
	"the renamed container's range is now named after it (web-old)"
dk restart -t 0 web-old >/dev/null
is "$(e2e_host_uid web-old)" "$u_web" "web-old keeps its range across a restart"
dk restart -t 0 web >/dev/null
is "$(e2e_host_uid web)" "$u_new" "the new web keeps its own"
dk exec web sh -c "$attack"
dk rm -f web web-old >/dev/null
a=$(dk run --rm --network none --name again "$IMG" sh -c "$HOSTUID")
b=$(dk run --rm --network none --name again "$IMG" sh -c "$HOSTUID")
check "${a:-0} >= $POOL_START && ${a:-0} == ${b:-1}" \
	"docker run --rm --name again twice (re-creation) keeps the same range ($a)"
canary_ok "rename + reuse of the name"

# --- 3. release and gc of a range in use -------------------------------------------------------
run dk run -d --network none --name live -v "$CAN:/h" "$IMG" sleep 300
ok "$rc" "live starts"
u_live=$(e2e_host_uid live)
exits 1 "release of a running container's range is refused" vg release live
like "$out" "live.*(running|process|container)|(running|process|container).*live" "the refusal names the container"
exits 1 "release --force of a running container's range is refused too" vg release live --force
like "$out" "process|running|container" "and says what uses it"
check "${u_live:-0} > 0 && $(start_of live || true)0 == ${u_live:-0}0" "live keeps its range"
dk stop -t 0 live >/dev/null
exits 1 "release of a stopped container's range (still in Docker's files) is refused" \
	vg release live --force
run vg gc
unlike "$out" "released live:" "gc keeps a stopped container's range"
dk rm -f live >/dev/null

# A host process that runs with an ID of a range nobody else names.
ghost=$(vg alloc ghost --start)
setpriv --reuid=$((ghost + 7)) --regid=$((ghost + 7)) --clear-groups sleep 300 &
gpid=$!
PIDS+=("$gpid")
sleep 0.2
run vg gc
unlike "$out" "released ghost:" "gc keeps a range a host process runs in"
like "$(vg list)" "^ghost:$ghost:" "ghost still has its range"
exits 1 "release --force of a range a host process runs in is refused" vg release ghost --force
like "$out" "$gpid" "the refusal names the process"
kill "$gpid" 2>/dev/null
wait "$gpid" 2>/dev/null
exits 0 "without the process, ghost can be released" vg release ghost

# A container that runc still has state for (stopped, not deleted), not in Docker's files.
B=$T/b-rs
e2e_bundle "$B" true
E2E_RUNC_IDS+=(vg-rs-$$)
"$VGRUNC" --config "$CONF" --root "$T/runc" create --bundle "$B" vg-rs-$$ </dev/null >/dev/null 2>"$T/rs.err"
rc=$?
ok "$rc" "volguard-runc create of a plain OCI container"
"$RUNC" --root "$T/runc" start vg-rs-$$ >/dev/null 2>&1
for _ in $(seq 50); do
	"$RUNC" --root "$T/runc" state vg-rs-$$ 2>/dev/null | grep -q '"stopped"' && break
	sleep 0.1
done
run vg gc
unlike "$out" "released vg-rs-$$:" "gc keeps the range of a container runc still has state for"
exits 1 "release of it is refused" vg release vg-rs-$$
like "$out" "runc" "the refusal says runc still has its state"
"$RUNC" --root "$T/runc" delete -f vg-rs-$$ >/dev/null 2>&1
exits 0 "after runc delete it can be released" vg release vg-rs-$$
canary_ok "release and gc in use"

# --- 4. docker exec once the range is gone -----------------------------------------------------
run dk run -d --network none --name ex -v "$CAN:/h" "$IMG" sleep 300
ok "$rc" "ex starts"
u_ex=$(e2e_host_uid ex)
run vg release ex --force
diag "release --force of a running container: exit $rc"
if in_userns; then
	# Root inside is fine there: what counts is that it is the range's start outside.
	run dk exec ex sh -c "cat /proc/self/uid_map; $attack"
	like "$out" "^ *0 +$u_ex +65536" "userns: after release --force, docker exec runs in the container's user namespace (0 -> $u_ex)"
else
	run dk exec ex sh -c "id -u; $attack"
	unlike "$out" "^0" "after release --force, docker exec does not run as host root"
fi
# The range lost some other way (a registry restored from an old backup): the line is removed.
grep -v "^ex:" "$T/state/ranges" >"$T/state/ranges.new"
chmod 0644 "$T/state/ranges.new" && mv -f "$T/state/ranges.new" "$T/state/ranges"
run dk exec ex sh -c "$HOSTUID; $attack"
check "rc != 0" "docker exec of a container whose range is not in the registry is refused"
unlike "$out" "^0" "it never runs as host root"
like "$out" "volguard:.*range" "volguard says why"
canary_ok "exec without a range"
dk rm -f ex >/dev/null

run dk run -d --network none --name legacy-x --label volguard.isolation=off "$IMG" sleep 300
ok "$rc" "an exempt container starts"
run dk exec legacy-x id -u
is "$out" "0" "an exempt container (label off, name in isolation_exempt) may exec unshifted"
dk rm -f legacy-x >/dev/null

# --- 5. a released range rests in quarantine; release and gc name the files it still owns ----
run dk run --network none --name qa -v qvol:/d "$IMG" sh -c 'echo qa-data > /d/f'
ok "$rc" "qa writes its volume"
u_qa=$(start_of qa)
dk rm qa >/dev/null
exits 0 "release --force of qa (no container, still a member of qvol)" vg release qa --force
if ! skip_in_userns "files on disk carry container-relative IDs, never qa's host IDs" 2; then
	like "$out" "qvol/_data" "release lists files under the volumes root that still carry qa's IDs"
	like "$out" "qa: 2 entries" "with a count"
fi
run dk run --rm --network none --name qb "$IMG" sh -c "$HOSTUID"
u_qb=$out
check "${u_qb:-0} >= $POOL_START && ${u_qb:-0} != ${u_qa:-0}" \
	"a new container does not get the range qa just released ($u_qb, qa had $u_qa)"
if ! skip_in_userns "owners on disk are container-relative: no host UID owns a volume"; then
	probe "$u_qb" qvol 'cat /p/f'
	unlike "$out" "qa-data" "the new container's UID cannot read qa's old files"
fi
run vg list --json
is "$(printf '%s' "$out" | jq -r --argjson s "${u_qa:-0}" '[.quarantine[]? | select(.start == $s) | .name] | join(",")')" \
	"qa" "qa's range is listed in quarantine"

lo=$(vg alloc leftover --start)
mkdir -p "$V/lvol/_data/sub" && chown -R "$((lo + 3)):$((lo + 3))" "$V/lvol/_data"
exits 0 "gc releases leftover (no container, no member)" vg gc
like "$out" "released leftover:" "leftover is released"
like "$out" "lvol/_data" "gc names the files that still carry its IDs"
like "$out" "leftover: 2 entries" "with a count"
canary_ok "quarantine"

done_testing
