#!/bin/bash
# make demo's script runs, shows three ranges, and leaves nothing behind; make install
# (DESTDIR) puts every file in place and never overwrites an existing config.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
vg_setup
exits 0 "scripts/demo.sh succeeds" env VG="$VG" "$TOP/scripts/demo.sh"
like "$out" "volguard alloc web" "it shows the commands it runs"
for c in web worker db; do
	like "$out" "^    $c:[0-9]+:65536\$" "it shows the range of $c"
done
is "$(printf '%s\n' "$out" | grep -E '^    (web|worker|db):[0-9]+:65536$' | cut -d: -f2 | sort -u | wc -l)" 3 \
	"three distinct ranges"
# shellcheck disable=SC2016 # a literal $DEMO in the output
demo=$(printf '%s\n' "$out" | sed -n 's/.*\$DEMO = \(\/tmp\/volguard-demo\.[A-Za-z0-9]*\),.*/\1/p')
like "$demo" '^/tmp/volguard-demo\.' "it names its throw-away directory"
ok "$([ -n "$demo" ] && [ ! -e "$demo" ]; echo $?)" "and removes it"

D=$T/dest
exits 0 "make install DESTDIR=..." make -s -C "$TOP" install DESTDIR="$D" PREFIX=/usr
for f in usr/bin/volguard usr/share/man/man8/volguard.8 usr/share/man/man5/volguard.conf.5 \
	etc/volguard/volguard.conf usr/lib/systemd/system/volguard-audit.service \
	usr/lib/systemd/system/volguard-audit.timer usr/share/bash-completion/completions/volguard \
	usr/share/volguard/hooks.d/volguard.json usr/share/doc/volguard/examples/volguard.conf \
	usr/share/doc/volguard/examples/podman-hooks.d/volguard.json; do
	ok "$([ -f "$D/$f" ]; echo $?)" "installed $f"
done
is "$(readlink "$D/usr/bin/volguard-runc")" volguard "volguard-runc is a link to volguard"
is "$(stat -c %a "$D/etc/volguard/volguard.conf")" 644 "the config is installed 0644"
is "$(readlink "$D/usr/share/man/man8/volguard-runc.8")" volguard.8 "so is its manual"
# The paths in the units and the hooks.d file are those of the installation (PREFIX, BINDIR).
like "$(cat "$D/usr/lib/systemd/system/volguard-audit.service")" \
	'ExecStart=/usr/bin/volguard --config /etc/volguard/volguard.conf audit --fail-on high' \
	"the audit service runs the installed binary with the installed config"
like "$(cat "$D/usr/share/volguard/hooks.d/volguard.json")" '"path": "/usr/bin/volguard"' \
	"so does the hooks.d file"
unlike "$(cat "$D"/usr/share/doc/volguard/examples/*.json)" /usr/local/ "and the examples"
L=$T/local
exits 0 "make install DESTDIR=... with the default PREFIX" make -s -C "$TOP" install DESTDIR="$L"
like "$(cat "$L/usr/local/lib/systemd/system/volguard-audit.service")" \
	'ExecStart=/usr/local/bin/volguard ' "the units go where systemd reads local units"
echo "# mine" >"$D/etc/volguard/volguard.conf"
exits 0 "make install again" make -s -C "$TOP" install DESTDIR="$D" PREFIX=/usr
is "$(cat "$D/etc/volguard/volguard.conf")" "# mine" "an existing config is not overwritten"
done_testing
