#!/bin/bash
# audit's walk of volume trees: a sample by default, everything with --deep; deep trees with a
# bounded number of descriptors; hostile file names stay valid JSON and inert text.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/audit-lib.sh"
vg_setup
af_conf ""
af_daemon_volguard
af_registry "web:$S1:65536"
af_container c1 web "$(af_vol_mount wide /w) | $(af_vol_mount deep /d) | $(af_vol_mount names /n)"

# wide: 200 root-owned files; the sample sees 64 of them, --deep all.
af_volume wide web
(cd "$T/docker/volumes/wide/_data" && seq 1 200 | xargs touch)
exits 1 "sampled walk" vg audit --json --volume wide
is "$(jq -r '.findings[] | select(.id=="VG-VOL-006") | .message' <<<"$out" | grep -Eo '^[0-9]+ of [0-9]+')" \
	"64 of 64" "the sample examines 64 entries"
exits 1 "deep walk" vg audit --json --volume wide --deep
is "$(jq -r '.findings[] | select(.id=="VG-VOL-006") | .message' <<<"$out" | grep -Eo '^[0-9]+ of [0-9]+')" \
	"200 of 200" "--deep examines every entry"
is "$(jq -r .scope.deep <<<"$out")" true "the scope says deep"

# deep: a chain of 150 directories owned by web, one root-owned file at the bottom.
af_volume deep web
p="$T/docker/volumes/deep/_data"
for _ in $(seq 1 150); do p="$p/d"; done
mkdir -p "$p"
chown -R "$S1:$S1" "$T/docker/volumes/deep/_data"
touch "$p/bottom"
exits 0 "the sample stops before the bottom of a deep chain" vg audit --json --volume deep \
	--fail-on medium
mkdir "$T/docker/volumes/deep/_data/zz-after" # found after climbing back out of the chain
chown "$S1:$S1" "$T/docker/volumes/deep/_data/zz-after"
touch "$T/docker/volumes/deep/_data/zz-after/root2"
exits 1 "--deep reaches the bottom of a 150-level chain" vg audit --json --volume deep --deep
like "$(jq -r '.findings[] | select(.id=="VG-VOL-006") | .evidence.example, .evidence.example2' <<<"$out" | sort | tr '\n' ' ')" \
	'd/d/.*/d/bottom \(uid 0 gid 0\).*zz-after/root2' "both the bottom file and the one after the climb"
is "$(jq -r '.findings[] | select(.id=="VG-VOL-006") | .message' <<<"$out" | grep -Eo '^[0-9]+ of [0-9]+')" \
	"2 of 153" "every entry examined once"

# shellcheck disable=SC2016 # expanded by the inner bash
exits 1 "the deep walk keeps few descriptors open (ulimit -n 48)" \
	bash -c 'ulimit -n 48 && exec "$0" --config "$1" audit --json --volume deep --deep' "$VG" "$CONF"
like "$(jq -r '.findings[] | select(.id=="VG-VOL-006") | .message' <<<"$out")" '^2 of 153' \
	"same result under the descriptor limit"

# A symlink to / and a FIFO inside: never followed, never opened.
ln -s / "$T/docker/volumes/deep/_data/escape"
mkfifo "$T/docker/volumes/deep/_data/fifo"
chown -h "$S1:$S1" "$T/docker/volumes/deep/_data/escape" "$T/docker/volumes/deep/_data/fifo"
exits 1 "symlinks and FIFOs are stat'ed, not followed or opened" timeout 20 "$VG" --config "$CONF" \
	audit --json --volume deep --deep
is "$(jq -r '.findings[] | select(.id=="VG-VOL-006") | .message' <<<"$out" | grep -Eo '^[0-9]+ of [0-9]+')" \
	"2 of 155" "two more entries, nothing below the symlink"

# names: an escape sequence and invalid UTF-8 in a file name.
af_volume names web
touch "$T/docker/volumes/names/_data/$(printf 'evil\033[31mred\377')"
exits 1 "hostile file name" vg audit --json --volume names
ok "$(jq -e . <<<"$out" >/dev/null; echo $?)" "the JSON stays valid"
like "$(jq -r '.findings[] | select(.id=="VG-VOL-006") | .evidence.example' <<<"$out")" \
	'^evil\\e\[31mred\\xff ' "ESC is escaped as \\e, invalid UTF-8 as \\xNN (vg_escape)"
exits 1 "hostile file name, text" vg audit --volume names
unlike "$out" $'\033' "no raw escape sequence reaches the terminal"
# --deep also asks the fixer (a dry run): a file of a shared volume without its ACL entries.
af_registry "web:$S1:65536" "db:$S2:65536"
af_container c2 db "$(af_vol_mount team /t)"
af_volume team web db:ro
touch "$T/docker/volumes/team/_data/plain"
chown "$S1:$S1" "$T/docker/volumes/team/_data/plain"
setfacl -b "$T/docker/volumes/team/_data/plain"
exits 0 "a file without ACL entries: the sample sees nothing wrong" vg audit --json --volume team
exits 1 "--deep: the fixer's dry run sees it" vg audit --json --volume team --deep
has_finding "$out" VG-VOL-012 team "VG-VOL-012 for team"
is "$(jq -r '.findings[] | select(.id=="VG-VOL-012") | .evidence.differ' <<<"$out")" 1 \
	"one entry differs"
getfacl -cp "$T/docker/volumes/team/_data/plain" >"$T/acl.after"
is "$(grep -c "^user:$S1:" "$T/acl.after")" 0 "audit changed nothing (still no ACL entry)"
done_testing
