#!/bin/bash
# gc and gc --dry-run against Docker's container files and volumes' recorded members;
# release refused while a volume lists the name, unless --force.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
vg_setup
# A pool of its own: gc keeps a range a host process runs in, and the containers of other
# tests on this host run in the first ranges of the default pool.
vg_write_conf "[ranges]
pool_start = 1610612736"
command -v setfattr >/dev/null || skip_all "setfattr (package attr) is missing"

# container NAME: a fake Docker container file naming it.
container() {
	local id
	id=$(printf '%s' "$1" | sha256sum | cut -c1-64)
	mkdir -p "$T/docker/containers/$id"
	printf '{"ID":"%s","Name":"/%s","Config":{}}\n' "$id" "$1" >"$T/docker/containers/$id/config.v2.json"
}
# volume NAME MEMBERS-TEXT: a volume whose trusted.volguard.members holds the text.
volume() {
	mkdir -p "$T/docker/volumes/$1/_data"
	setfattr -n trusted.volguard.members -v "$2" "$T/docker/volumes/$1" ||
		skip_rest "this file system does not take trusted.* xattrs"
}

for n in web db cache old1 old2 renamed orphan; do vg alloc "$n" >/dev/null; done
container web
# A range bound to a container ID whose container Docker now knows by another name (docker
# rename), and one bound to a container whose config.v2.json cannot be read: both are kept.
rid=$(printf renamed | sha256sum | cut -c1-64)
mkdir -p "$T/docker/containers/$rid"
printf '{"ID":"%s","Name":"/now-called-this","Config":{}}\n' "$rid" >"$T/docker/containers/$rid/config.v2.json"
sed -i -e "s/^renamed:\([^ ]*\) # \(.*\)$/renamed:\1 # \2 container=$rid/" \
	-e "s/^orphan:\([^ ]*\) # \(.*\)$/orphan:\1 # \2 container=broken/" "$T/state/ranges"
volume shared "$(printf 'db:rw:1073807360:1073807360\ncache:ro:1073872896:1073872896')"
# Noise gc must survive: a container dir without config, a broken config, a stray file.
mkdir -p "$T/docker/containers/deadbeef"
mkdir -p "$T/docker/containers/broken" && echo '{not json' >"$T/docker/containers/broken/config.v2.json"
: >"$T/docker/containers/stray-file"
mkdir -p "$T/docker/volumes/plain/_data"

before=$(cat "$T/state/ranges")
exits 0 "gc --dry-run" vg gc --dry-run
like "$out" "would release old1:" "dry run names old1"
like "$out" "would release old2:" "dry run names old2"
unlike "$out" "(web|db|cache):" "dry run keeps web (container), db and cache (volume members)"
unlike "$out" "(renamed|orphan):" "and the ranges bound to containers Docker still has"
is "$(cat "$T/state/ranges")" "$before" "dry run changes nothing"

exits 0 "gc" vg gc
like "$out" "released old1:" "gc releases old1"
like "$out" "released old2:" "gc releases old2"
exits 0 "list after gc" vg list
is "$(printf '%s\n' "$out" | cut -d: -f1 | sort | tr '\n' ' ')" "cache db orphan renamed web " \
	"web, db, cache, renamed and orphan are kept"
exits 0 "list --quarantine" vg list --quarantine
is "$(printf '%s\n' "$out" | cut -d: -f1 | sort | tr '\n' ' ')" "old1 old2 " "old1 and old2 rest in quarantine"
exits 0 "second gc" vg gc
unlike "$out" "^released " "a second gc releases nothing"

exits 1 "release db refused while volume 'shared' lists it" vg release db
like "$out" "member of volume shared" "the refusal names the volume"
like "$out" "--force" "the refusal mentions --force"
exits 0 "list after refused release" vg list
like "$out" "^db:" "db still has its range"
exits 1 "release renamed (its container is in Docker's files) is refused" vg release renamed --force
like "$out" "now-called-this" "naming the container by its name now"
exits 0 "release db --force" vg release db --force
like "$out" "warning" "--force warns"
exits 0 "list after forced release" vg list
unlike "$out" "^db:" "db is released"

# A volume with a corrupt members xattr: fail closed, with the volume named.
volume bad "web:rw:notanumber:1"
exits 2 "release with a corrupt members xattr fails" vg release cache
like "$out" "volumes/bad" "the error names the volume"
exits 0 "list" vg list
like "$out" "^cache:" "cache kept its range"
done_testing
