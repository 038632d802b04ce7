#!/bin/bash
# Issue 10, class 12a: a path is text the attacker chose. A bind source holding a newline and a
# fake "ok" line, a RIGHT-TO-LEFT OVERRIDE, or a terminal escape sequence must reach every
# reader escaped: dockerd's error (from runc's log line), the log line itself (json and text),
# stderr, `check`'s table and JSON, the prestart hook's stderr and `audit`'s text. Real dockerd,
# volguard-runc its default runtime; the sensitive directory the links point at is the canary.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../e2e-lib.sh"
e2e_require dockerd runc jq tar getfacl
vg_setup
H=$T/host/etc # a private sensitive directory: what every evil path really is
mkdir -p "$H"
echo secret >"$H/shadow"
vg_write_conf "daemon_config = $T/d/daemon.json
[policy]
extra_sensitive_paths = $H"
e2e_rootfs || skip_all "cannot build the busybox root file system"
if ! e2e_dockerd_start; then
	diag "$out"
	skip_all "dockerd cannot start here"
fi
IMG=$E2E_IMAGE
check() { ok $((!($1))) "$2"; }
canary() { stat -c '%u:%g %a %Z' "$H" "$H/shadow"; getfacl -cp "$H" "$H/shadow" 2>/dev/null; }
before=$(canary)

# The evil paths: each a symbolic link to the sensitive directory, named to lie.
NL=$'\n'
RLO=$'\xe2\x80\xae'
ESC=$'\e'
mkdir -p "$T/x${NL}"
EVIL_NL="$T/x${NL}/etc ok"         # "...x" then a line "/etc ok"
EVIL_RLO="$T/${RLO}cte"            # shows as "<T>/etc" reversed: "cte" read right to left
EVIL_ESC="$T/${ESC}[2J${ESC}[Hdata" # clears the screen of whoever reads the message
for p in "$EVIL_NL" "$EVIL_RLO" "$EVIL_ESC"; do ln -s "$H" "$p"; done
# A reader must never see these bytes raw: ESC or RLO anywhere, and (one-line outputs) a newline.
raw() {
	case "$1" in *"$ESC"* | *"$RLO"*) return 0 ;; esac
	[ "${2:-}" = line ] && case "$1" in *"$NL"*) return 0 ;; esac
	return 1
}
# The message lines, as text: no line may begin with the fake "/etc ok".
fake_line() { printf '%s\n' "$1" | grep -q '^/etc ok'; }

# --- dockerd: the user's error and runc's log line -----------------------------------------
for evil in "$EVIL_NL" "$EVIL_RLO" "$EVIL_ESC"; do
	what=$(printf '%q' "${evil#"$T"/}")
	run dk run --rm --network none -v "$evil:/x" "$IMG" true
	check "rc != 0" "docker run -v $what:/x is refused"
	like "$out" 'OCI runtime create failed.*volguard:' "... with volguard's message"
	check "$(raw "$out" && echo 1 || echo 0) == 0" "... that holds no raw ESC or RLO"
	check "$(fake_line "$out" && echo 1 || echo 0) == 0" "... and no line forged by the path"
done
run dk run --rm --network none -v "$EVIL_NL:/x" "$IMG" true
like "$out" 'x\\n/etc ok' "the newline is shown as \\n"
run dk run --rm --network none -v "$EVIL_RLO:/x" "$IMG" true
like "$out" '\\u\{202e\}cte' "the RLO is shown as \\u{202e}"
run dk run --rm --network none -v "$EVIL_ESC:/x" "$IMG" true
like "$out" '\\e\[2J\\e\[Hdata' "the ESC sequence is shown as \\e[2J"

# --- volguard-runc's own outputs: the --log line (json and text) and stderr ----------------
B=$T/bundle
e2e_bundle "$B" 'true'
e2e_bind "$B" "$EVIL_NL" /x ro
e2e_bind "$B" "$EVIL_RLO" /y rw
for fmt in json text; do
	rm -f "$T/runc.log"
	(cd "$B" && "$VGRUNC" --config "$CONF" --root "$T/runc" --log "$T/runc.log" \
		--log-format "$fmt" create evil-$fmt) >"$T/stdout" 2>"$T/stderr"
	check "$? != 0" "volguard-runc create (log format $fmt) refuses"
	log=$(cat "$T/runc.log" 2>/dev/null)
	is "$(wc -l <"$T/runc.log" 2>/dev/null)" 1 "... one $fmt log line"
	if [ "$fmt" = json ]; then
		msg=$(jq -r .msg <<<"$log")
		like "$msg" '^volguard: ' "... its msg decodes to volguard's message"
	else
		msg=$log
		like "$msg" '^time=".*" level=error msg="volguard: ' "... in logrus's text format"
	fi
	check "$(raw "$msg" line && echo 1 || echo 0) == 0" "... whose text holds no raw newline or RLO"
	like "$msg" 'u\{202e\}cte' "... names the RLO path escaped"
	err=$(cat "$T/stderr")
	check "$(raw "$err" line && echo 1 || echo 0) == 0" "... stderr holds none either"
	like "$err" '^volguard: ' "... stderr has volguard's message"
done

# --- volguard check: the table and the JSON -----------------------------------------------
run vg check -- run -v "$EVIL_NL:/x" -v "$EVIL_RLO:/y" -v "$EVIL_ESC:/z" "$IMG"
is "$rc" 1 "check -- run denies the evil binds"
check "$(raw "$out" && echo 1 || echo 0) == 0" "check's table holds no raw ESC or RLO"
check "$(fake_line "$out" && echo 1 || echo 0) == 0" "... and no forged line"
is "$(printf '%s\n' "$out" | grep -c 'deny')" 3 "... one deny row per bind, each on its own line"
run vg check --json -- run -v "$EVIL_NL:/x" -v "$EVIL_RLO:/y" -v "$EVIL_ESC:/z" "$IMG"
is "$(jq -r '.findings | length' <<<"$out")" 3 "check --json is JSON with the three findings"
is "$(jq -r '.findings[0].subject' <<<"$out")" "$EVIL_NL:/x" \
	"... whose subject decodes to the real path (JSON escapes it, not us)"
check "$(raw "$out" && echo 1 || echo 0) == 0" "... and the JSON text itself holds no raw ESC or RLO"
check "$(jq -r '.findings[0].subject' <<<"$out" | wc -l) == 2" "... (the newline is in the decoded value)"

# --- the prestart hook's stderr -----------------------------------------------------------
run sh -c "printf '{\"ociVersion\":\"1.0.2\",\"id\":\"hk\",\"pid\":$$,\"bundle\":\"%s\"}' '$B' |
	'$VG' --config '$CONF' prestart"
check "rc != 0" "prestart refuses the bundle"
like "$out" '^volguard: ' "... with volguard's message"
check "$(raw "$out" line && echo 1 || echo 0) == 0" "... holding no raw newline or RLO"
like "$out" 'u\{202e\}cte|x\\n/etc ok' "... and naming an evil path escaped"

# --- audit's text (a container that bypassed volguard with the evil binds) ------------------
run dk run -d --network none --runtime plainrunc --name bypass -v "$EVIL_NL:/x" \
	-v "$EVIL_RLO:/y" -v "$EVIL_ESC:/z" "$IMG" sh -c 'exec sleep 60'
ok "$rc" "a container started with plain runc mounts the evil paths"
run vg audit
check "$(raw "$out" && echo 1 || echo 0) == 0" "audit's text holds no raw ESC or RLO"
check "$(fake_line "$out" && echo 1 || echo 0) == 0" "... and no forged line"
like "$out" 'u\{202e\}cte' "... and names the RLO path escaped"
run vg audit --json
is "$(jq -r '[.findings[] | select(.id == "VG-MOUNT-001")] | length' <<<"$out")" 3 \
	"audit --json: three VG-MOUNT-001 findings"
dk rm -f bypass >/dev/null 2>&1

is "$(canary)" "$before" "canary: owner, mode, ACL and ctime of $H unchanged"
done_testing
