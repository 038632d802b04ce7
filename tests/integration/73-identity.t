#!/bin/bash
# Engine identities (identity.h): a pod's containers through volguard-runc and real runc (CRI
# annotations in the spec), a swarm task's on-disk files, then compose replicas on a private
# dockerd (their labels in Docker's files). One range per identity, shared by its containers, in
# use while any of them exists; another identity's containers get another. Swarm: 74-swarm.t.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require runc jq tar
vg_setup
vg_write_conf "daemon_config = $T/d/daemon.json" # written by e2e_dockerd_start
e2e_rootfs || skip_all "cannot build the busybox root file system"
check() { ok $((!($1))) "$2"; }
R=$T/runc
start_of() { vg list | awk -F: -v n="$1" '$1 == n { print $2 }'; }
line_of() { grep -F "$1:" "$T/state/ranges"; }
# pod BUNDLE NAMESPACE NAME: a bundle whose annotations are containerd's CRI ones.
pod() {
	# shellcheck disable=SC2016 # jq's variables
	e2e_bundle "$1" 'exec sleep 30' &&
		e2e_jq "$1" --arg ns "$2" --arg n "$3" '.annotations = {
			"io.kubernetes.cri.container-type": "container",
			"io.kubernetes.cri.sandbox-namespace": $ns,
			"io.kubernetes.cri.sandbox-name": $n}'
}
# vrun ID BUNDLE [CONF]: volguard-runc run --detach; sets $rc, output in $T/ID.log.
vrun() {
	E2E_RUNC_IDS+=("$1")
	"$VGRUNC" --config "${3:-$CONF}" --root "$R" run --detach --bundle "$2" "$1" \
		>"$T/$1.log" 2>&1 </dev/null
	rc=$?
}
vdel() { "$VGRUNC" --config "$CONF" --root "$R" delete -f "$1" >/dev/null 2>&1; }
uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$("$RUNC" --root "$R" state "$1" | jq -r .pid)/status"; }

# --- pods through volguard-runc -------------------------------------------------------------
pod "$T/pa1" default web-7d9 && pod "$T/pa2" default web-7d9 && pod "$T/pb1" default db-0
vrun pa1 "$T/pa1"
ok "$rc" "a pod's first container runs" || diag "$(cat "$T/pa1.log")"
vrun pa2 "$T/pa2"
ok "$rc" "its second container runs" || diag "$(cat "$T/pa2.log")"
vrun pb1 "$T/pb1"
ok "$rc" "another pod's container runs" || diag "$(cat "$T/pb1.log")"
sa=$(start_of pod/default/web-7d9)
check "${sa:-0} >= 1073741824" "the pod has one range, named pod/NAMESPACE/NAME ($sa)"
like "$(line_of pod/default/web-7d9)" "container=pa1,pa2( |$)" "bound to both its containers"
like "$(line_of pod/default/web-7d9)" "identity=pod" "and recorded as a pod's"
is "$(vg list | grep -c '^pa[12]:')" 0 "its containers get no range of their own"
is "$(uid_of pa1)" "$sa" "the first container runs in the pod's range"
is "$(uid_of pa2)" "$sa" "the second one too"
sb=$(start_of pod/default/db-0)
check "${sb:-0} >= 1073741824 && sb != sa" "another pod gets another range ($sb)"
is "$(uid_of pb1)" "$sb" "and runs in it"
run vg release pod/default/web-7d9
check "rc != 0" "release is refused while the pod's containers exist"
vdel pa1
run vg release pod/default/web-7d9
check "rc != 0" "and while one of them still does"
like "$out" "pa2" "naming the one that does"
pod "$T/pa3" default web-7d9
vrun pa3 "$T/pa3"
ok "$rc" "a new container of the pod (after a restart) runs"
is "$(uid_of pa3)" "$sa" "in the pod's range still"
like "$(line_of pod/default/web-7d9)" "container=pa2,pa3( |$)" "the gone container left the list"
vdel pa2
vdel pa3
# runc delete -f kills; the processes may take a moment to go (a live one keeps the range).
for _ in $(seq 50); do
	run vg gc
	[ -z "$(start_of pod/default/web-7d9)" ] && break
	sleep 0.1
done
ok "$rc" "gc runs" || diag "$out"
[ -n "$(start_of pod/default/web-7d9)" ] && diag "$(vg -v gc --dry-run 2>&1)"
is "$(start_of pod/default/web-7d9)" "" "gc released the pod's range once all its containers are gone"
vdel pb1

# CRI-O's annotations name the same identity; bad ones are refused, nothing allocated.
e2e_bundle "$T/pc" 'exec sleep 30' &&
	e2e_jq "$T/pc" '.annotations = {"io.kubernetes.pod.namespace": "ns1", "io.kubernetes.pod.name": "p"}'
vrun pc1 "$T/pc"
ok "$rc" "a CRI-O pod's container runs"
check "$(start_of pod/ns1/p) >= 1073741824" "its range is pod/ns1/p"
vdel pc1
e2e_jq "$T/pc" '.annotations = {"io.kubernetes.pod.namespace": "ns1", "io.kubernetes.pod.name": "p:0:1"}'
vrun pc2 "$T/pc"
check "rc != 0" "an annotation that is not a valid name is refused"
like "$(cat "$T/pc2.log")" "io.kubernetes.pod.name=p:0:1: not a valid identity part" "the error names the annotation"
e2e_jq "$T/pc" '.annotations = {"io.kubernetes.pod.namespace": "ns1"}'
vrun pc3 "$T/pc"
check "rc != 0" "an incomplete pair is refused"
like "$(cat "$T/pc3.log")" "without .*io.kubernetes.pod.name" "saying which annotation is missing"
run vg list
unlike "$out" "pc[23]|p:0" "the refused containers got no range"

# kubernetes = container: each container its own range, as before engines.
C2=$T/conf-container
sed 's/^\[policy\]$/[identity]\nkubernetes = container\n[policy]/' "$CONF" >"$C2"
pod "$T/pd1" default web-7d9
vrun pd1 "$T/pd1" "$C2"
ok "$rc" "kubernetes = container: the container runs"
check "$(start_of pd1) >= 1073741824" "with a range named by its ID"
"$VGRUNC" --config "$C2" --root "$R" delete -f pd1 >/dev/null 2>&1

# check judges with the identity: a declared member compose/p/s is any container of that service.
C3=$T/conf-member
sed 's/^\[policy\]$/[volume "v"]\nmembers = compose\/p\/s\n[policy]\nstrict_membership = yes/' "$CONF" >"$C3"
mkdir -p "$T/docker/volumes"
run "$VG" --config "$C3" check -- run --label com.docker.compose.project=p \
	--label com.docker.compose.service=s -v v:/d busybox
is "$rc" 0 "check: a container of compose/p/s is a member of a volume declared for it"
run "$VG" --config "$C3" check -- run --name p_s_1 -v v:/d busybox
is "$rc" 1 "a container named like a replica, without the labels, is not"
run "$VG" --config "$C3" check -- run --label com.docker.compose.project=p -v v:/d busybox
is "$rc" 2 "an incomplete label pair is an input error (exit 2)"
like "$out" "label com.docker.compose.project without label com.docker.compose.service" "named in the message"

# --- a swarm task's on-disk files keep its range ---------------------------------------------
# As dockerd writes them for a task: Name, and swarm's labels in Config.Labels.
run vg alloc swarm/api/1
ok "$rc" "vg alloc takes an identity as its name"
D=$T/docker/containers/0123456789abcdef
mkdir -p "$D"
cat >"$D/config.v2.json" <<'EOF'
{"ID": "0123456789abcdef", "Name": "/api.1.k2x9q", "Config": {"Image": "busybox",
 "Labels": {"com.docker.swarm.node.id": "n0de1", "com.docker.swarm.service.id": "s3rv",
  "com.docker.swarm.service.name": "api", "com.docker.swarm.task": "",
  "com.docker.swarm.task.id": "k2x9q", "com.docker.swarm.task.name": "api.1.k2x9q"}}}
EOF
run vg gc
is "$(start_of swarm/api/1)" "$(vg alloc swarm/api/1 | cut -d: -f2)" "gc keeps a range a task of that slot exists for (not yet bound)"
run vg release swarm/api/1
check "rc != 0" "release is refused"
like "$out" "api.1.k2x9q" "naming the task's container"
rm -rf "$D"
run vg gc
is "$(start_of swarm/api/1)" "" "gone: gc releases it"

# --- compose and swarm labels on a private dockerd -------------------------------------------
if ! command -v dockerd >/dev/null; then
	skip "dockerd is not installed: the compose part cannot run" 1
	done_testing
fi
if ! e2e_dockerd_start; then
	diag "$out"
	skip "dockerd cannot start here: the compose part cannot run" 1
	done_testing
fi
IMG=$E2E_IMAGE
hu() { e2e_host_uid "$1"; }
lab() { echo --label "com.docker.compose.project=$1" --label "com.docker.compose.service=$2"; }
# shellcheck disable=SC2046 # the labels are words
run dk run -d --network none --name shop_db_1 $(lab shop db) -v dbdata:/d "$IMG" \
	sh -c 'echo from-1 > /d/f && exec sleep 60'
ok "$rc" "a compose replica starts" || diag "$out"
# shellcheck disable=SC2046
run dk run -d --network none --name shop_db_2 $(lab shop db) -v dbdata:/d "$IMG" sleep 60
ok "$rc" "a second replica of the same service starts" || diag "$out"
# shellcheck disable=SC2046
run dk run -d --network none --name shop_web_1 $(lab shop web) "$IMG" sleep 60
ok "$rc" "another service's container starts" || diag "$out"
# shellcheck disable=SC2046
run dk run -d --network none --name shop_web_2 $(lab shop web) "$IMG" sleep 60
ok "$rc" "and its second replica" || diag "$out"
s=$(start_of compose/shop/db)
check "${s:-0} >= 1073741824" "the service's range is compose/shop/db ($s)"
is "$(hu shop_db_1)" "$s" "replica 1 runs in it"
is "$(hu shop_db_2)" "$s" "replica 2 too"
w=$(start_of compose/shop/web)
check "${w:-0} >= 1073741824 && w != s" "the other service has another range ($w)"
is "$(hu shop_web_1) $(hu shop_web_2)" "$w $w" "its replicas run in it"
is "$(vg list | grep -c '^shop_')" 0 "no replica has a range of its own name"
for _ in $(seq 50); do [ -s "$T/docker/volumes/dbdata/_data/f" ] && break; sleep 0.1; done
run dk exec shop_db_2 cat /d/f
is "$out" "from-1" "docker exec into replica 2 reads what replica 1 wrote in their volume"
if in_userns; then
	run dk exec shop_db_2 cat /proc/self/uid_map
	like "$out" "^ *0 +$s +65536" "in the service's range on the host (its user namespace)"
else
	run dk exec shop_db_2 sh -c 'grep ^Uid: /proc/self/status'
	like "$out" "[[:space:]]${s}[[:space:]]" "in the service's range on the host"
fi
run vg volume show dbdata
like "$out" "compose/shop/db" "the volume's member is the service"

run vg audit
unlike "$out" "VG-RANGE-005 range of 'compose/" "audit: the services' ranges are in use (no stale allocation)"
unlike "$out" "CRITICAL|HIGH|MEDIUM" "replicas sharing their service's range are no VG-ISO-002 (shared principal)"
like "$out" "range: $s-" "audit shows the service's range on its replicas"

# A container named like the service's identity cannot exist; one named "shop" is not it.
run dk run -d --network none --name shop "$IMG" sleep 60
ok "$rc" "a plain container named shop starts"
check "$(hu shop) != $s" "in its own range: a name never reaches an identity's range"

run dk rm -f shop_db_1 shop_web_1
run vg release compose/shop/db
check "rc != 0" "release is refused while replica 2 exists"
like "$out" "shop_db_2" "naming it"
run vg gc
is "$(start_of compose/shop/web)" "$w" "gc keeps a service's range for the replica that remains"
run dk rm -f shop_web_2 shop_db_2
run vg gc
is "$(start_of compose/shop/web)" "" "gc releases it when all its replicas are gone"
is "$(start_of compose/shop/db)" "$s" "a service's range stays while a volume lists it as a member"
run dk volume rm dbdata
run vg gc
is "$(start_of compose/shop/db)" "" "and goes with the volume"

run dk rm -f shop
done_testing
