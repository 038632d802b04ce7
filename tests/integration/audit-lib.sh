# shellcheck shell=bash
# Fixture Docker roots for the audit tests and bench/audit.sh: containers, volumes, registry and
# daemon.json built with shell and jq, in $T (see tests/lib.sh vg_setup). Source after lib.sh.

# shellcheck disable=SC2034 # used by the scripts that source this
S1=1073741824 # first range of the default pool
# shellcheck disable=SC2034
S2=1073807360 # second

# af_daemon JSON: write $T/daemon.json and point the config at it ($1 may be "" for none).
af_daemon() {
	if [ -n "$1" ]; then printf '%s\n' "$1" >"$T/daemon.json"; else rm -f "$T/daemon.json"; fi
}
# The daemon.json of a host where volguard is the policy.
af_daemon_volguard() {
	af_daemon "$(jq -n --arg conf "$CONF" '{runtimes: {volguard: {path: "/usr/local/bin/volguard-runc",
		runtimeArgs: ["--config", $conf]}}, "default-runtime": "volguard"}')"
}
# af_conf EXTRA: the test config, with daemon_config pointing into $T.
af_conf() {
	vg_write_conf "daemon_config = $T/daemon.json
$1"
}
# af_registry LINE...: write the registry (state dir and file root's, 0755/0644).
af_registry() {
	mkdir -p "$T/state"
	chmod 0755 "$T/state"
	printf '%s\n' "$@" >"$T/state/ranges"
	chmod 0644 "$T/state/ranges"
}
# af_container ID NAME [JQ-FILTER-ON-CONFIG [JQ-FILTER-ON-HOSTCONFIG]]
# A container as `docker run -m 256m` leaves it (a clean host's containers have memory limits;
# the filter can take it away: '.Memory=0').
# Volumes: af_container ID NAME '.MountPoints["/d"]={Type:"volume",Name:"vol",RW:true}'
af_container() {
	local id=$1 name=$2 cf=${3:-.} hf=${4:-.} d="$T/docker/containers/$1"
	mkdir -p "$d"
	jq -n --arg id "$id" --arg name "/$name" \
		'{ID: $id, Name: $name, Config: {User: "", Labels: {}, Image: "busybox"}, MountPoints: {}}' |
		jq "$cf" >"$d/config.v2.json"
	jq -n '{Runtime: "volguard", UsernsMode: "", Binds: null, Privileged: false, Memory: 268435456}' | jq "$hf" >"$d/hostconfig.json"
}
# af_mount_volume FILTER-FOR: a jq filter adding named volume $1 at $2 (rw).
af_vol_mount() { printf '.MountPoints["%s"]={Type:"volume",Name:"%s",Destination:"%s",RW:true}' "$2" "$1" "$2"; }
# af_bind SRC DST true|false [PROPAGATION]: a jq filter adding a bind mount.
af_bind() {
	printf '.MountPoints["%s"]={Type:"bind",Source:"%s",Destination:"%s",RW:%s,Propagation:"%s"}' \
		"$2" "$1" "$2" "$3" "${4:-rprivate}"
}
# af_volume NAME [OWNER [MEMBER[:ro]...]]: a volume laid out by volguard itself (volume create,
# volume share; members need a range in the registry); with no OWNER, Docker's own layout
# (root 0755, nothing recorded).
af_volume() {
	local name=$1
	if [ $# -eq 1 ]; then
		mkdir -p "$T/docker/volumes/$name/_data"
		chmod 0755 "$T/docker/volumes/$name/_data"
		return 0
	fi
	"$VG" --config "$CONF" -q volume create "$name" --owner "$2" >/dev/null || { echo "# volume create $name failed"; return 1; }
	shift 2
	[ $# -eq 0 ] || "$VG" --config "$CONF" -q volume share "$name" "$@" >/dev/null || { echo "# volume share $name failed"; return 1; }
}
# af_ids JSON: "ID SUBJECT" lines of the findings, sorted.
af_ids() { jq -r '.findings[] | "\(.id) \(.subject.name)"' <<<"$1" | sort; }
# has_finding JSON ID SUBJECT DESC
has_finding() {
	if af_ids "$1" | grep -qx -- "$2 $3"; then pass "$4"; else
		fail "$4"
		diag "no finding '$2 $3' in:" "$(af_ids "$1")"
	fi
}
