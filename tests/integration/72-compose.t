#!/bin/bash
# Docker Compose (Debian's docker-compose 1.29) against the private dockerd with volguard-runc as
# its runtime: a project with two services sharing a named volume (one read-only) and a third
# scaled to 3; then `volguard check --compose` and `docker-compose up` on a bad file give the
# same verdicts, and the refused containers change nothing.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require dockerd runc docker-compose jq tar
vg_setup
vg_write_conf '
[policy]
deny_privileged = yes'
e2e_rootfs || skip_all "cannot build the busybox root file system"
if ! e2e_dockerd_start; then
	diag "$out"
	skip_all "dockerd cannot start here"
fi
export DOCKER_HOST=unix://$E2E_DOCKERD_DIR/sock
P=$T/demo
mkdir -p "$P"
# dc FILE ARGS: docker-compose on the private daemon, with a deadline.
dc() { local f=$1; shift; timeout -k 5 90 docker-compose --no-ansi -f "$f" -p demo "$@" 2>&1; }
check() { ok $((!($1))) "$2"; }
POOL_START=1073741824
cat >"$P/docker-compose.yml" <<'EOF'
version: "2.4"
x-base: &base
  image: ${IMG:?the image}
  network_mode: none
  command: ["sleep", "300"]
services:
  web:
    <<: *base
    volumes:
      - shared:/data
  reader:
    <<: *base
    volumes:
      - type: volume
        source: shared
        target: /data
        read_only: true
  worker:
    <<: *base
    scale: 3
volumes:
  shared:
EOF
echo "IMG=$E2E_IMAGE" >"$P/.env"

# --- the good project ------------------------------------------------------------------------
exits 0 "check --compose: the project is admitted" vg check --compose "$P/docker-compose.yml"
like "$out" "service worker \\(3 replicas, identity compose/demo/worker" \
	"check reads scale: 3, and names the identity the runtime gives the replicas"
like "$out" "volume demo_shared:/data +ro +allow" "reader's long-syntax read-only volume, named as Compose names it"
run vg check --json --compose "$P/docker-compose.yml"
is "$(jq -r '[.project, .verdict, (.services | length)] | @tsv' <<<"$out")" "demo	allow	3" \
	"--json: project, verdict, one object per service"
t0=$(date +%s)
run dc "$P/docker-compose.yml" up -d
ok "$rc" "docker-compose up -d starts the project"
[ "$rc" -eq 0 ] || diag "$out"
for _ in $(seq 50); do
	n=$(dk ps -q --filter label=com.docker.compose.project=demo | wc -l)
	[ "$n" -ge 5 ] && break
	sleep 0.2
done
is "$n" 5 "five containers run (web, reader, three workers)"
run dk exec demo_web_1 sh -c 'echo from-web > /data/f && cat /data/f'
is "$out" "from-web" "web writes the shared volume"
run dk exec demo_reader_1 cat /data/f
is "$out" "from-web" "reader reads what web wrote"
run dk exec demo_reader_1 sh -c 'echo x > /data/g'
check "rc != 0" "reader cannot write: its mount is read-only"
like "$out" "Read-only file system|Permission denied" "the write fails with EROFS/EACCES ($out)"
ws=$(e2e_host_uid demo_web_1)
rs=$(e2e_host_uid demo_reader_1)
w1=$(e2e_host_uid demo_worker_1)
w2=$(e2e_host_uid demo_worker_2)
w3=$(e2e_host_uid demo_worker_3)
check "${ws:-0} >= $POOL_START && ${rs:-0} >= $POOL_START && ${w1:-0} >= $POOL_START" \
	"every service runs in a pool range (web $ws, reader $rs, worker $w1)"
check "${ws:-0} != ${rs:-0} && ${ws:-0} != ${w1:-0} && ${rs:-0} != ${w1:-0}" \
	"the three services have different ranges"
check "${w1:-0} == ${w2:-1} && ${w2:-0} == ${w3:-1}" \
	"the three replicas of worker share one range ([identity] compose = service, the default)"
run vg list
like "$out" "compose/demo/worker" "the registry names the range compose/demo/worker"
run dc "$P/docker-compose.yml" down -t 0
ok "$rc" "docker-compose down"
diag "the good project: $(($(date +%s) - t0)) s up, checks and down"

# --- a bad file: the same verdicts from check and from the runtime ---------------------------
mkdir -p "$T/canary"
echo untouched >"$T/canary/f"
cat >"$P/bad.yml" <<EOF
version: "2.4"
services:
  etc:
    image: $E2E_IMAGE
    network_mode: none
    command: ["sh", "-c", "touch /hostetc/volguard-compose-canary"]
    volumes:
      - /etc:/hostetc
  priv:
    image: $E2E_IMAGE
    network_mode: none
    privileged: true
    command: ["sh", "-c", "echo changed > /canary/f"]
    volumes:
      - $T/canary:/canary
  fine:
    image: $E2E_IMAGE
    network_mode: none
    command: ["true"]
EOF
rm -f /etc/volguard-compose-canary
exits 1 "check --compose refuses the bad file" vg check --compose "$P/bad.yml"
like "$out" "/etc:/hostetc +rw +deny +writable bind of /etc" "check names the writable /etc bind"
like "$out" "--privileged +- +deny" "check names the privileged service"
like "$out" "project demo: 3 services, 2 refused" "and counts two refusals"
run vg check --json --compose "$P/bad.yml"
is "$(jq -r '[.services[] | .service + "=" + .verdict] | join(" ")' <<<"$out")" \
	"etc=deny priv=deny fine=allow" "--json gives each service's verdict"
for s in etc priv; do
	run dc "$P/bad.yml" up -d "$s"
	check "rc != 0" "docker-compose up refuses service $s too (its container does not start)"
	like "$out" "volguard:" "the refusal is volguard's ($s)"
	is "$(dk inspect -f '{{.State.Running}}' "demo_${s}_1" 2>&1)" "false" "demo_${s}_1 is not running"
done
run dc "$P/bad.yml" up fine
ok "$rc" "the admitted service of the same file runs"
[ ! -e /etc/volguard-compose-canary ]
ok $? "nothing was written into /etc"
is "$(cat "$T/canary/f")" "untouched" "the privileged service changed nothing"
run vg list
unlike "$out" "demo_(etc|priv)_1" "the refused containers got no range"
dc "$P/bad.yml" down -t 0 >/dev/null

vg_write_conf '
[identity]
compose = container'
run vg check --json --compose "$P/docker-compose.yml"
is "$(jq -r '.services[] | select(.service == "worker") | .identity' <<<"$out")" "demo_worker_1" \
	"with [identity] compose = container, check names the container itself"

# --- errors: exit 2 with the place -----------------------------------------------------------
# shellcheck disable=SC2016 # the $ is for check --compose, not the shell
printf 'services:\n  a:\n    image: x\n    privileged: $NOT_SET_ANYWHERE\n' >"$P/unset.yml"
exits 2 "an unset variable in what decides admission: cannot judge (exit 2)" \
	env -u NOT_SET_ANYWHERE "$VG" --config "$CONF" check --compose "$P/unset.yml"
like "$out" "unset.yml:4:17: cannot judge: variable NOT_SET_ANYWHERE is not set" \
	"with file:line:column"
exits 2 "a missing compose file is exit 2" vg check --compose "$P/nope.yml"
exits 2 "-p without --compose is a usage error" vg check -p x -- run img
done_testing
