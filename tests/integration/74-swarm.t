#!/bin/bash
# Swarm identities on a private dockerd: tasks' containers carrying swarm's labels (as swarm
# sets them: service.name, task.name SERVICE.SLOT.TASKID, task.id, node.id), then, when the
# private daemon can run a swarm, a real service scaled to 2 whose rescheduled task keeps its
# slot's range.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require dockerd runc jq tar setpriv
vg_setup
vg_write_conf ''
e2e_rootfs || skip_all "cannot build the busybox root file system"
if ! e2e_dockerd_start; then
	diag "$out"
	skip_all "dockerd cannot start here"
fi
check() { ok $((!($1))) "$2"; }
start_of() { vg list | awk -F: -v n="$1" '$1 == n { print $2 }'; }
hu() { e2e_host_uid "$1"; }
IMG=$E2E_IMAGE

# Swarm's labels as swarm sets them on a task's container: the slot keeps its range.
sw() { # sw NAME SLOT TASKID
	run dk run -d --network none --name "api.$2.$3" --label com.docker.swarm.service.name=api \
		--label "com.docker.swarm.task.name=api.$2.$3" --label "com.docker.swarm.task.id=$3" \
		--label com.docker.swarm.node.id=n0de1 --label com.docker.swarm.task= "$IMG" sleep 60
}
sw api 1 t1aaaa
ok "$rc" "a swarm task (slot 1) starts" || diag "$out"
s1=$(start_of swarm/api/1)
check "${s1:-0} >= 1073741824" "its range is swarm/api/1 ($s1)"
sw api 2 t2bbbb
ok "$rc" "slot 2 starts"
check "$(start_of swarm/api/2) != $s1" "slot 2 has another range"
run dk rm -f api.1.t1aaaa
sw api 1 t3cccc
ok "$rc" "slot 1's rescheduled task starts"
is "$(hu api.1.t3cccc)" "$s1" "and keeps slot 1's range"
run dk rm -f api.1.t3cccc api.2.t2bbbb

# A real swarm, when the private daemon can run one.
if run timeout 30 "$DOCKER_CLI" -H "unix://$E2E_DOCKERD_DIR/sock" swarm init --advertise-addr 127.0.0.1 && [ "$rc" -eq 0 ]; then
	run dk service create --detach --name rs --replicas 2 "$IMG" sleep 300
	if [ "$rc" -ne 0 ]; then
		skip "docker service create fails on the private dockerd: $(echo "$out" | tail -n 1)" 3
	else
		for _ in $(seq 100); do
			[ "$(dk ps -q --filter label=com.docker.swarm.service.name=rs | wc -l)" -ge 2 ] && break
			sleep 0.3
		done
		r1=$(start_of swarm/rs/1)
		check "${r1:-0} >= 1073741824 && $(start_of swarm/rs/2) >= 1073741824" "a real service's two tasks have swarm/rs/1 and /2"
		old=$(dk ps -q --filter name=rs.1.)
		run dk rm -f "$old"
		for _ in $(seq 100); do
			new=$(dk ps -q --filter name=rs.1.)
			[ -n "$new" ] && [ "$new" != "$old" ] && break
			sleep 0.3
		done
		[ -n "$new" ] && [ "$new" != "$old" ]
		ok $? "swarm reschedules slot 1"
		is "$(hu "$new")" "$r1" "the rescheduled task keeps slot 1's range"
		dk service rm rs >/dev/null 2>&1
	fi
	dk swarm leave --force >/dev/null 2>&1
else
	skip "docker swarm init fails on the private dockerd: $(echo "$out" | tail -n 1)" 3
fi
done_testing
