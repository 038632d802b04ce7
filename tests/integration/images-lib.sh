# shellcheck shell=bash source-path=SCRIPTDIR disable=SC2317 # the t_* functions are called in a loop
# The body of 70-userns-images.t (vfs) and 71-userns-images-overlay2.t: real servers from
# Debian's packages (tests/images.sh), unmodified, started as root by their official-style
# entrypoints, on a private dockerd with volguard-runc as the default runtime in userns mode.
# Set E2E_STORAGE_DRIVER before sourcing. For each server: it works, its processes' host IDs lie
# in its range (none is 0), the image on disk is unchanged, no mount is left after docker rm.
#
# IMAGES_RUNTIME=plainrunc runs the same containers under plain runc (to check the images
# themselves); the range assertions then say why they cannot hold.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
. "$(dirname "$0")/../images.sh"
e2e_require dockerd runc jq tar debootstrap unshare flock setfacl getfacl
export VG_ISOLATION=${IMAGES_ISOLATION:-userns}
vg_setup
e2e_rootfs || skip_all "cannot build the busybox root file system"
if ! images_build; then
	skip_all "cannot build the server images from Debian's packages (no mirror reachable?)"
fi
E2E_DEFAULT_RUNTIME=${IMAGES_RUNTIME:-volguard}
if ! e2e_dockerd_start; then
	diag "$out"
	skip_all "dockerd ($E2E_STORAGE_DRIVER) cannot start here"
fi
t_import=$(date +%s%N)
run images_import vgservers
ok "$rc" "the server image is imported ($((($(date +%s%N) - t_import) / 1000000)) ms)"
if [ "$rc" -ne 0 ]; then
	diag "$out"
	done_testing
fi
IMG=vgservers
V=$T/docker/volumes
USERNS=1
[ "$E2E_DEFAULT_RUNTIME" = volguard ] || USERNS=0

# range_start NAME: the start of NAME's range in `volguard list` (empty when it has none).
range_start() { vg list | awk -F: -v n="$1" '$1 == n { print $2; exit }'; }

# ids_in_range NAME WANT: every process of container NAME (docker top) has real, effective,
# saved and file-system UIDs and GIDs in NAME's range and none is 0; the set of container-relative
# UIDs is WANT (sorted, space-separated).
ids_in_range() {
	local name=$1 want=$2 s pids p bad="" rel="" id
	s=$(range_start "$name")
	pids=$(dk top "$name" -o pid | awk 'NR > 1 { print $1 }')
	if [ -z "$pids" ]; then
		fail "$name: docker top lists its processes"
		return
	fi
	for p in $pids; do
		# shellcheck disable=SC2013 # numbers
		for id in $(awk '/^[UG]id:/ { print $2, $3, $4, $5 }' "/proc/$p/status"); do
			if [ -z "$s" ] || [ "$id" -lt "$s" ] || [ "$id" -ge $((s + 65536)) ]; then
				bad="$bad $p:$id"
			fi
		done
		rel="$rel $(($(awk '/^Uid:/ { print $2 }' "/proc/$p/status") - ${s:-0}))"
	done
	if [ "$USERNS" = 0 ]; then
		diag "$name: plain runc, host UIDs:$rel (no range to lie in)"
		return
	fi
	like "$(vg list | grep "^$name:")" "^$name:$s:65536 .*isolation=userns" \
		"$name: the registry records its range in userns mode"
	is "$bad" "" "$name: every UID and GID of its $(echo "$pids" | wc -w) processes lies in its range ($s), none is 0"
	# shellcheck disable=SC2086 # a list of numbers
	is "$(printf '%s\n' $rel | sort -un | tr '\n' ' ' | sed 's/ $//')" "$want" \
		"$name: the processes run as container UIDs $want"
}

# tree_sig DIR: owner, mode and ctime of every entry of an image layer, one line each.
tree_sig() { (cd "$1" && find . -xdev -printf '%U:%G %m %C@ %p\n' | sort -k4); }
# image_dir: where the image's only layer lies on disk (a one-layer image's chain ID is its
# diff ID; the layer store names the driver's directory).
image_dir() {
	local diff cache
	diff=$(dk image inspect -f '{{index .RootFS.Layers 0}}' "$IMG") || return 1
	cache=$(cat "$T/docker/image/$E2E_STORAGE_DRIVER/layerdb/sha256/${diff#sha256:}/cache-id") ||
		return 1
	case $E2E_STORAGE_DRIVER in
	vfs) echo "$T/docker/vfs/dir/$cache" ;;
	*) echo "$T/docker/$E2E_STORAGE_DRIVER/$cache/diff" ;;
	esac
}
# no_mounts_left ID: the host's mount table names neither the container ID (Docker's shm) nor
# the staging directories (<stage_dir>/ID, $T/stage in the tests), and the container's staging
# directory is gone.
STAGE=$T/stage
no_mounts_left() {
	is "$(grep -F -e "$1" -e "$STAGE/" -e /run/volguard/ /proc/self/mountinfo)" "" \
		"no mount of ${1:0:12} is left on the host after docker rm"
	if [ -e "$STAGE/$1" ]; then fail "and its staging directory is removed"; fi
}
# start NAME DESC ARGS...: docker run -d --name NAME ARGS; $CURRENT is NAME, $CID its ID.
start() {
	CURRENT=$1
	local desc=$2
	shift 2
	run dk run -d --network none --name "$CURRENT" "$@"
	ok "$rc" "$desc"
	CID=$out
	[ "$rc" -eq 0 ] && return 0
	diag "$out"
	CID=
	return 1
}
# wait_for DESC CMD...: CMD until it succeeds (30 s at most, less when the container stops);
# $out is its last output.
wait_for() {
	local desc=$1 i
	shift
	for i in $(seq 60); do
		run "$@"
		[ "$rc" -eq 0 ] && break
		[ "$(dk inspect -f '{{.State.Running}}' "$CURRENT" 2>&1)" = true ] || break
		sleep 0.5
	done
	ok "$rc" "$desc (after $((i / 2)) s)"
	[ "$rc" -eq 0 ] && return 0
	diag "$out" "container log:" "$(dk logs "$CURRENT" 2>&1 | tail -n 20)"
	return 1
}
psql_() { dk exec "$CURRENT" psql -U postgres -Atc "$1"; }
# gone: docker rm -f $CURRENT, then no mount of it is left.
gone() {
	dk rm -f "$CURRENT" >/dev/null
	[ -n "$CID" ] && no_mounts_left "$CID"
	return 0
}

IMGDIR=$(image_dir)
if [ -n "$IMGDIR" ] && [ -d "$IMGDIR/etc" ]; then
	pass "the image's layer is on disk ($E2E_STORAGE_DRIVER)"
else
	fail "the image's layer is on disk ($E2E_STORAGE_DRIVER): '$IMGDIR'"
	done_testing
fi
SIG_BEFORE=$(tree_sig "$IMGDIR")
# The canary: a host file outside every container's data, with an ACL.
CANARY=$T/canary
echo keep >"$CANARY"
chmod 0640 "$CANARY"
setfacl -m u:12345:r "$CANARY"
canary() { stat -c '%u:%g %a %Z' "$CANARY" && getfacl -cp "$CANARY"; }
CANARY0=$(canary)

# --- nginx: master as root, workers as www-data, the page from a volume --------------------
t_nginx() {
	start web "nginx starts (Debian's nginx, master as root)" \
		-v www:/srv/www "$IMG" nginx -g 'daemon off;' || return
	run dk exec web sh -c 'echo "served from a volume" > /srv/www/index.html'
	ok "$rc" "container root writes the page into the volume"
	wait_for "busybox wget fetches the page through docker exec" \
		dk exec web wget -qO- http://127.0.0.1/
	is "$out" "served from a volume" "nginx serves the volume's page"
	ids_in_range web "0 33"
	if [ "$USERNS" = 1 ]; then
		is "$(stat -c %u:%g "$V/www/_data/index.html")" "0:0" \
			"the page is container-relative on disk (0:0, the volume is idmapped)"
	fi
	gone
}

# --- postgres: chown -R as root, gosu postgres initdb and postgres ---------------------------
PG="-v pgdata:/var/lib/postgresql/data $IMG postgres"
t_postgres() {
	local s
	# shellcheck disable=SC2086 # options
	start pg "postgres starts (the entrypoint chowns PGDATA as root, then gosu postgres)" $PG ||
		return
	wait_for "psql -c 'select 1' through docker exec" psql_ 'select 1' || return
	is "$out" "1" "select 1 answers 1"
	psql_ "create table t (v text); insert into t values ('kept')" >/dev/null
	ids_in_range pg "999"
	s=$(range_start pg)
	if [ "$USERNS" = 1 ]; then
		is "$(stat -c %u:%g "$V/pgdata/_data/PG_VERSION")" "999:999" \
			"PGDATA is container-relative on disk (postgres is 999)"
	fi
	dk stop pg >/dev/null
	run dk start pg
	ok "$rc" "docker stop, docker start"
	wait_for "postgres answers after stop/start" psql_ 'select v from t'
	is "$out" "kept" "its data survives stop/start"
	gone
	# shellcheck disable=SC2086
	start pg "postgres is re-created with the same name and volume" $PG || return
	wait_for "the re-created postgres answers" psql_ 'select v from t'
	is "$out" "kept" "its data survives docker rm + re-create"
	is "$(range_start pg)" "$s" "the same name keeps its range"
	gone
}

# --- redis-server: its dump on a volume ------------------------------------------------------
t_redis() {
	start redis "redis-server starts (the entrypoint chowns /data, then gosu redis)" \
		-v rdata:/data "$IMG" redis-server --bind 127.0.0.1 --dir /data --save '' || return
	wait_for "redis-cli ping through docker exec" dk exec redis redis-cli ping || return
	dk exec redis redis-cli set vgkey vgvalue >/dev/null
	run dk exec redis redis-cli save
	is "$out" "OK" "redis-cli save"
	if grep -q vgvalue "$V/rdata/_data/dump.rdb" 2>/dev/null; then
		pass "the dump is on the volume, with the value"
	else
		fail "the dump is on the volume, with the value"
		diag "$(ls -ln "$V/rdata/_data" 2>&1)"
	fi
	ids_in_range redis "998"
	if [ "$USERNS" = 1 ]; then
		is "$(stat -c %u:%g "$V/rdata/_data/dump.rdb")" "998:998" \
			"the dump is container-relative on disk (redis is 998)"
	fi
	gone
}

# --- adopting a host: a volume postgres wrote under plain runc is used as it is -------------
t_adopt() {
	# The host before volguard: plain runc.
	start legacy-pg "postgres under plain runc (the host before volguard)" --runtime plainrunc \
		-v legacy:/var/lib/postgresql/data "$IMG" postgres || return
	wait_for "the plain runc postgres writes a table" \
		psql_ "create table t (v text); insert into t values ('from plain runc')" || return
	gone
	is "$(find "$V/legacy/_data" \! -user 999 | wc -l)" "0" \
		"plain runc left PGDATA owned by 999 on disk"
	start adopter "the same volume under volguard in userns mode" \
		-v legacy:/var/lib/postgresql/data "$IMG" postgres || return
	wait_for "postgres answers from the adopted volume" psql_ 'select v from t'
	is "$out" "from plain runc" "the plain runc data is read as it is"
	ids_in_range adopter "999"
	gone
	is "$(find "$V/legacy/_data" \! -user 999 | wc -l)" "0" \
		"and its files are still owned by 999 on disk"
}

for t in t_nginx t_postgres t_redis t_adopt; do
	t0=$(date +%s%N)
	$t
	diag "$t: $((($(date +%s%N) - t0) / 1000000)) ms"
done

# --- after all of them ----------------------------------------------------------------------
SIG_AFTER=$(tree_sig "$IMGDIR")
if [ "$SIG_BEFORE" = "$SIG_AFTER" ]; then
	pass "the image's files are unchanged on disk ($(echo "$SIG_BEFORE" | wc -l) entries: owner, mode, ctime)"
else
	fail "the image's files are unchanged on disk"
	diag "$(diff <(echo "$SIG_BEFORE") <(echo "$SIG_AFTER") | head -n 20)"
fi
is "$(stat -c %u:%g "$IMGDIR/etc/passwd" "$IMGDIR/usr/sbin/nginx" "$IMGDIR/var/lib/postgresql/data" | tr '\n' ' ')" \
	'0:0 0:0 999:999 ' "image files keep their owners (never chowned into a range)"
is "$(canary)" "$CANARY0" "the canary (owner, mode, ACL, ctime of a host file) is unchanged"
is "$(grep -c -e "$STAGE/" -e /run/volguard/ /proc/self/mountinfo)" "0" "no staging mount on the host"
done_testing
