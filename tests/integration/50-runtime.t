#!/bin/bash
# volguard-runc without a daemon: argument handling, pass-through, the rewrite of config.json
# and how a refusal is reported, with a fake runc that records what it was given.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require runc jq
vg_setup
FAKE=$T/fake-runc
cat >"$FAKE" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$T/fake.args"
[ -n "\$VG_FAKE_SPEC" ] && cp config.json "$T/fake.spec" 2>/dev/null
echo "fake stdout"
echo "fake stderr" >&2
exit 7
EOF
chmod 0755 "$FAKE"
vg_write_conf "runtime = $FAKE
[policy]
extra_sensitive_paths = $T/host/etc
drop_capabilities = CAP_CHOWN, CAP_SYS_ADMIN, CAP_NET_RAW
isolation_exempt = legacy-*"
mkdir -p "$T/host/etc"
check() { ok $((!($1))) "$2"; }
args() { tr '\n' ' ' <"$T/fake.args" | sed 's/ $//'; }

# --- everything but create goes to runc as it is ----------------------------------------
out=$("$VGRUNC" --config "$CONF" --root "$T/r" --log "$T/log" state abc 2>"$T/err")
rc=$?
is "$rc" 7 "state: runc's exit code"
is "$out" "fake stdout" "state: runc's stdout"
is "$(cat "$T/err")" "fake stderr" "state: runc's stderr, nothing added"
is "$(args)" "--root $T/r --log $T/log state abc" "state: runc's arguments, ours removed"
exits 7 "--config=FILE form" "$VGRUNC" --config="$CONF" --debug kill abc KILL
is "$(args)" "--debug kill abc KILL" "kill: arguments as given"
exits 7 "volguard runtime ... is the same" "$VG" runtime --config "$CONF" delete --force abc
is "$(args)" "delete --force abc" "delete: arguments as given"
exits 7 "volguard --config FILE runtime ... too" "$VG" --config "$CONF" runtime features
is "$(args)" "features" "features: arguments as given"
run "$VGRUNC" --config "$T/missing.conf" --version
like "$out" 'runc version' "an unreadable config: the built-in runc is used for everything but create"

# --- create -------------------------------------------------------------------------------
e2e_rootfs || skip_all "cannot build the busybox root file system"
B=$T/bundle
e2e_bundle "$B" 'true'
e2e_jq "$B" '.process.user = {uid: 1000, gid: 1000, additionalGids: [10, 20]}'
cp "$B/config.json" "$T/orig.json"
chmod 0600 "$B/config.json"
(cd "$B" && VG_FAKE_SPEC=1 "$VGRUNC" --config "$CONF" --root "$T/r" --log "$T/log" \
	--log-format json create --pid-file "$T/pid" ctr-one) >/dev/null 2>&1
is "$?" 7 "create (bundle = cwd) ends in runc"
is "$(args)" "--root $T/r --log $T/log --log-format json create --pid-file $T/pid ctr-one" \
	"create: runc's arguments unchanged"
start=$(vg list | awk -F: '$1 == "ctr-one" { print $2 }')
check "${start:-0} >= 1073741824" "a plain OCI container gets a range named by its ID ($start)"
S=$T/fake.spec
is "$(jq -c '.process.user' "$S")" \
	"{\"uid\":$((start + 1000)),\"gid\":$((start + 1000)),\"additionalGids\":[$((start + 10)),$((start + 20))]}" \
	"uid, gid and additionalGids are shifted into the range"
is "$(jq '.process.noNewPrivileges' "$S")" "true" "noNewPrivileges is set"
is "$(jq -r '[.process.capabilities[][]] | map(select(. == "CAP_CHOWN" or . == "CAP_NET_RAW")) | length' "$S")" \
	"0" "drop_capabilities leave every set"
is "$(jq -r '[.process.capabilities[][]] | length' "$S")" "0" \
	"the others too: allowed_capabilities is empty in shift mode"
is "$(stat -c %a "$B/config.json")" "600" "config.json keeps its mode"
is "$(jq -c 'del(.process.user, .process.noNewPrivileges, .process.capabilities)' "$B/config.json")" \
	"$(jq -c 'del(.process.user, .process.noNewPrivileges, .process.capabilities)' "$T/orig.json")" \
	"nothing else in config.json changed"
is "$(find "$B" -name '*volguard*' | wc -l)" "0" "no temporary file is left in the bundle"
run vg list
like "$out" "^ctr-one:$start:65536 # .*container=ctr-one" "the registry records the container ID"

# A UID beyond the range: refused, nothing allocated, runc never called.
rm -f "$T/fake.args"
e2e_bundle "$B" 'true'
e2e_jq "$B" '.process.user = {uid: 70000, gid: 0}'
run "$VGRUNC" --config "$CONF" --log "$T/log2" create --bundle "$B" ctr-big
is "$rc" 1 "a UID outside the range size is refused"
like "$out" 'volguard: .*70000' "on stderr, naming the UID"
[ ! -e "$T/fake.args" ]; ok $? "runc was not called"
run vg list
unlike "$out" '^ctr-big:' "and nothing was allocated"
is "$(jq -r .level "$T/log2")" "error" "runc's log gets a JSON error line"
like "$(jq -r .msg "$T/log2")" '^volguard: .*ctr-big' "whose msg dockerd will show"
like "$(jq -r .time "$T/log2")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "with an RFC 3339 time"

# A writable sensitive bind: refused before anything else.
e2e_bundle "$B" 'true'
e2e_bind "$B" "$T/host/etc" /x rw
run "$VGRUNC" --config "$CONF" --log "$T/log3" --log-format text create --bundle "$B" ctr-etc
is "$rc" 1 "a writable bind of a sensitive path is refused"
like "$out" "volguard: .*$T/host/etc" "naming the path"
like "$(cat "$T/log3")" '^time="[^"]+" level=error msg="volguard: ' "--log-format text gets logrus's text format"
run vg list
unlike "$out" '^ctr-etc:' "nothing was allocated"

run "$VGRUNC" --config "$CONF" run --detach --bundle "$B" ctr-etc-run
is "$rc" 1 "runc run (create and start in one) gets the same check"

# Opt-out label (an OCI annotation here; Docker's labels in the docker suite).
e2e_bundle "$B" 'true'
e2e_jq "$B" '.annotations["volguard.isolation"] = "off"'
run "$VGRUNC" --config "$CONF" create --bundle "$B" not-exempt
is "$rc" 1 "isolation=off for a name that is not exempt is refused"
(cd "$B" && VG_FAKE_SPEC=1 "$VGRUNC" --config "$CONF" create legacy-x) >/dev/null 2>&1
is "$?" 7 "an exempt name opts out"
is "$(jq -c .process.user "$T/fake.spec")" '{"uid":0,"gid":0}' "and its spec is left alone"

# Arguments create cannot understand are refused, not guessed.
exits 2 "create with an unknown option" "$VGRUNC" --config "$CONF" create --bogus --bundle "$B" x
exits 2 "create without an ID" "$VGRUNC" --config "$CONF" create --bundle "$B"
exits 2 "create with a bad config" "$VGRUNC" --config "$T/missing.conf" create --bundle "$B" x
exits 2 "create with a missing bundle" "$VGRUNC" --config "$CONF" create --bundle "$T/nope" x

done_testing
