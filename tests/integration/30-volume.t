#!/bin/bash
# volume create/share/revoke/show, proven with real processes under real UIDs.
. "$(dirname "$0")/../lib.sh"
vg_setup
V=$T/docker/volumes

# shellcheck disable=SC2317 # called through run and denied
as() { # as UID CMD...: run as that UID/GID with no supplementary groups
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups "$@"
}
denied() { # denied DESCRIPTION UID CMD...: the command fails with EACCES
	local desc=$1
	shift
	run as "$@"
	if [ "$rc" -ne 0 ] && printf '%s' "$out" | grep -q "Permission denied"; then pass "$desc"; else
		fail "$desc"
		diag "exit $rc, expected EACCES; output:" "$out"
	fi
}

exits 0 "volume create shared1 --owner web" vg volume create shared1 --owner web
WEB=$(vg alloc web --start)
is "$(stat -c '%u:%g %a' "$V/shared1")" "0:0 701" "NAME/ is root's, 0701 like Docker's"
is "$(stat -c '%u:%g %a' "$V/shared1/_data")" "$WEB:$WEB 700" "private _data: web's principal, 0700"
is "$(getfattr --only-values -n trusted.volguard.members "$V/shared1" 2>/dev/null)" \
	"web:rw:$WEB:$WEB" "membership recorded on NAME/ in trusted.volguard.members"
run getfattr -n trusted.volguard.members "$V/shared1/_data"
ok $((rc == 0)) "nothing recorded on _data"
exits 0 "web writes its private volume" as "$WEB" sh -c "echo w > $V/shared1/_data/w.txt"

exits 0 "volume create private1 --owner lonely" vg volume create private1 --owner lonely
LONELY=$(vg alloc lonely --start)
exits 0 "share shared1 with db and worker:ro" vg volume share shared1 db worker:ro
DB=$(vg alloc db --start)
WORKER=$(vg alloc worker --start)
is "$(stat -c '%u:%g %a' "$V/shared1/_data")" "0:0 770" "shared _data: root:root 0770"
acl=$(getfacl -cp "$V/shared1/_data" 2>/dev/null | tr '\n' ' ')
like "$acl" "user:$WEB:rwx .*user:$DB:rwx .*user:$WORKER:r-x .*group::--- mask::rwx other::---" \
	"access ACL: rw members rwx, ro member r-x, mask rwx, other none"
like "$acl" "default:user:$WEB:rwx .*default:user:$WORKER:r-x" "same entries as default ACL"
like "$(getfacl -cp "$V/shared1/_data/w.txt" 2>/dev/null | tr '\n' ' ')" "user:$DB:rwx\s+#effective:rw-" \
	"existing content gets the new member"

# The access matrix.
D=$V/shared1/_data
exits 0 "member A (web) creates a file" as "$WEB" sh -c "echo a > $D/a.txt && mkdir $D/sub && echo s > $D/sub/s.txt"
exits 0 "member B (db) reads A's new file" as "$DB" cat "$D/a.txt"
exits 0 "member B appends to A's new file" as "$DB" sh -c "echo b >> $D/a.txt"
exits 0 "member B writes in A's new directory" as "$DB" sh -c "echo b > $D/sub/b.txt"
is "$(tr '\n' ' ' <"$D/a.txt")" "a b " "both writes landed"
exits 0 "read-only member reads" as "$WORKER" cat "$D/sub/b.txt"
denied "read-only member cannot write a file" "$WORKER" sh -c "echo x >> $D/a.txt"
denied "read-only member cannot create" "$WORKER" sh -c "echo x > $D/new.txt"
denied "non-member cannot list" "$LONELY" ls "$D"
denied "non-member cannot read" "$LONELY" cat "$D/a.txt"
denied "non-member cannot write" "$LONELY" sh -c "echo x >> $D/a.txt"
denied "a private volume's neighbour cannot enter it" "$DB" ls "$V/private1/_data"
denied "a private volume's neighbour cannot read in it" "$WEB" cat "$V/private1/_data/x"
exits 0 "the private volume's owner can" as "$LONELY" sh -c "echo p > $V/private1/_data/x && ls $V/private1/_data"

# Mask repair: a file created 0644 under the default ACL has mask r--.
exits 0 "A creates a file with mode 0644" as "$WEB" /usr/bin/python3 -c "import os; os.close(os.open('$D/m.txt', os.O_CREAT|os.O_WRONLY, 0o644))"
denied "... B cannot write it before fix (mask r--)" "$DB" sh -c "echo b >> $D/m.txt"
exits 0 "fix shared1" vg fix shared1
like "$out" "1 changed" "fix repaired one entry"
exits 0 "... B can write it after fix" as "$DB" sh -c "echo b >> $D/m.txt"
denied "... the ro member still cannot" "$WORKER" sh -c "echo x >> $D/m.txt"

# A second pass changes nothing, not one ctime; --dry-run changes nothing.
snap() { find "$D" -printf '%p %u %g %m %C@\n' | sort; getfattr -R -d -m - "$D" 2>/dev/null; }
before=$(snap)
exits 0 "second fix" vg fix shared1
like "$out" "0 changed" "second run changes nothing"
is "$(snap)" "$before" "no owner, mode, ACL or ctime changed"
setfacl -m u:12345:rwx "$D/sub/s.txt"
before=$(snap)
exits 0 "fix --dry-run" vg fix --dry-run shared1
like "$out" "sub/s.txt: would change acl" "dry run lists the entry"
is "$(snap)" "$before" "dry run changed nothing"
exits 0 "fix removes a foreign ACL entry" vg fix shared1
unlike "$(getfacl -cp "$D/sub/s.txt" 2>/dev/null)" "12345" "... it is gone"

# show
exits 0 "volume show" vg volume show shared1
like "$out" "shared" "show says shared"
like "$out" "worker +ro +principal $WORKER:$WORKER" "show lists principals"
like "$out" "tree: +matches the policy" "show says the tree matches"
exits 0 "volume show --json" vg volume show shared1 --json
is "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["policy"], len(d["members"]), d["matches"], d["data"]["mode"])')" \
	"shared 3 True 0770" "JSON: policy, members, matches, mode"
setfacl -m u:12345:rwx "$D/a.txt"
exits 0 "show after a manual change" vg volume show shared1
like "$out" "1 entries differ" "show notices the differing entry"

# revoke
exits 0 "revoke db" vg volume revoke shared1 db
unlike "$(getfacl -R -cp "$D" 2>/dev/null)" "user:$DB:" "db's entries are gone everywhere"
denied "db can no longer enter" "$DB" ls "$D"
exits 1 "revoke a non-member" vg volume revoke shared1 nobodyhere
like "$out" "not a member" "... says so"

# release and gc see membership through the xattr
exits 1 "release web is refused while shared1 lists it" vg release web
like "$out" "still a member of volume shared1" "... names the volume"
exits 0 "gc --dry-run" vg gc --dry-run
unlike "$out" "would release web:" "gc keeps a volume member"
like "$out" "would release db:" "gc would release the revoked member"

# strict membership and declared members
vg_write_conf "[policy]
strict_membership = yes
[volume \"decl\"]
members = app:rw, reader:ro"
exits 1 "strict: a member the declaration does not list is refused" vg volume share decl stranger
like "$out" "strict_membership" "... names the rule"
ok "$([ ! -e "$V/decl" ]; echo $?)" "... before anything is created"
exits 0 "strict: undeclared volumes are not restricted" vg volume share shared1 stranger
mkdir -p "$V/decl/_data" && chmod 0701 "$V/decl"
echo x >"$V/decl/_data/f"
exits 0 "fix a declared volume" vg fix decl
like "$out" "members declared in the config" "fix says where members came from"
APP=$(vg alloc app --start)
like "$(getfattr --only-values -n trusted.volguard.members "$V/decl" 2>/dev/null | tr '\n' ' ')" \
	"app:rw:$APP:$APP reader:ro:" "declared members are recorded"
exits 1 "strict: not in the declaration" vg volume share decl intruder
exits 0 "volume create with a declared owner keeps rules" vg volume show decl

# discovered from Docker's container files
vg_write_conf ""
mkdir -p "$V/found/_data" "$T/docker/containers/c1" "$T/docker/containers/c2" && chmod 0701 "$V/found"
cat >"$T/docker/containers/c1/config.v2.json" <<'JSON'
{"Name":"/api","MountPoints":{"/data":{"Type":"volume","Name":"found","RW":true}}}
JSON
cat >"$T/docker/containers/c2/config.v2.json" <<'JSON'
{"Name":"/viewer","MountPoints":{"/data":{"Type":"volume","Name":"found","RW":false},"/x":{"Type":"bind","Source":"/srv"}}}
JSON
exits 0 "fix a volume volguard never saw" vg fix found
like "$out" "discovered in Docker" "... members discovered"
like "$(getfattr --only-values -n trusted.volguard.members "$V/found" 2>/dev/null | tr '\n' ' ')" \
	"^api:rw:[0-9]+:[0-9]+ viewer:ro:" "... and recorded (sorted)"
mkdir -p "$V/orphan/_data" && chmod 0701 "$V/orphan"
exits 2 "fix a volume without members" vg fix orphan
like "$out" "no members" "... says so"

# userns-remap: refuse to guess
mkdir "$T/docker/100000.100000"
exits 2 "userns-remap data root is detected" vg volume show shared1
like "$out" "userns-remap" "... and named"
rmdir "$T/docker/100000.100000"
# ... and read from [paths] daemon_config, whatever docker_root is
echo '{"userns-remap": "default"}' >"$T/daemon.json"
vg_write_conf "daemon_config = $T/daemon.json"
exits 2 "userns-remap in daemon_config is detected" vg volume show shared1
like "$out" "$T/daemon.json sets \"userns-remap\"" "... naming the file"
vg_write_conf ""

# adopting a volume Docker made before volguard: create sets _data, fix does the content
mkdir -p "$V/old/_data/dir" && chmod 0701 "$V/old" && chmod 0755 "$V/old/_data"
echo x >"$V/old/_data/dir/f"
exits 0 "volume create adopts an existing volume" vg volume create old --owner web
is "$(stat -c '%u:%g %a' "$V/old/_data")" "$WEB:$WEB 700" "_data: owner's principal, 0700"
is "$(stat -c '%u' "$V/old/_data/dir/f")" "0" "the content is left to fix"
like "$out" "content left to fix" "... and it says so"
run getfattr -n trusted.volguard.stamp "$V/old"
ok $((rc == 0)) "no stamp yet"
exits 0 "fix --shift-from 0 old" vg fix --shift-from 0 old
is "$(stat -c '%u:%g' "$V/old/_data/dir" "$V/old/_data/dir/f" | tr '\n' ' ')" "$WEB:$WEB $WEB:$WEB " \
	"root's files moved into web's range"
exits 0 "web writes its adopted data" as "$WEB" sh -c "echo y >> $V/old/_data/dir/f"
exits 2 "volume create on a volume with another member" vg volume create shared1 --owner other
like "$out" "already has member" "... says to use share"

# usage errors
exits 2 "fix without volumes" vg fix
exits 2 "bad --shift-from" vg fix --shift-from x shared1
exits 2 "volume share with a bad member" vg volume share shared1 'a:rx'
exits 2 "a volume name with a slash" vg volume create 'a/b' --owner web
done_testing
