#!/bin/bash
# Self-protection: the config, the state dir, the registry and its lock are trusted only when
# root owns them, nobody else can write them and they are not symbolic links; odd names and
# oversized inputs get clear errors, bounded memory, no crash.
. "$(dirname "$0")/../lib.sh"
vg_setup

S=$T/state
exits 0 "alloc web creates the state dir" vg alloc web

# --- the config file
cp "$CONF" "$T/etc/real.conf"
ln -s real.conf "$T/etc/link.conf"
exits 2 "config: a symlink is refused" "$VG" --config "$T/etc/link.conf" list
like "$out" "link.conf: config file is a symbolic link" "config: the error says symbolic link"
chown nobody "$T/etc/real.conf"
exits 2 "config: not owned by root is refused" "$VG" --config "$T/etc/real.conf" list
like "$out" "owned by UID 65534, not root" "config: the error names the owner"
chown 0 "$T/etc/real.conf"
chmod 0664 "$T/etc/real.conf"
exits 2 "config: group-writable is refused" "$VG" --config "$T/etc/real.conf" list
like "$out" "writable by its group \(mode 0664\)" "config: the error names the mode"
chmod 0646 "$T/etc/real.conf"
exits 2 "config: other-writable is refused" "$VG" --config "$T/etc/real.conf" list
like "$out" "writable by others" "config: the error says others"
chmod 0644 "$T/etc/real.conf"
exits 0 "config: root's 0644 file is accepted" "$VG" --config "$T/etc/real.conf" list
exits 2 "config: a directory is refused" "$VG" --config "$T/etc" list
like "$out" "not a regular file" "config: the error says not a regular file"
exits 2 "config: a missing explicit file is an error" "$VG" --config "$T/etc/none.conf" list
like "$out" "none.conf: cannot open config file" "config: the error names the file"
exits 2 "config: VOLGUARD_CONFIG is honoured (symlink refused)" \
	env VOLGUARD_CONFIG="$T/etc/link.conf" "$VG" list
mkfifo "$T/etc/fifo.conf"
exits 2 "config: a FIFO is refused without blocking" timeout 10 "$VG" --config "$T/etc/fifo.conf" list
like "$out" "not a regular file" "config: a FIFO is not a regular file"

# A config line of 1 MiB (file just under the size limit), and a file over the limit.
{ printf '[paths]\n# '; head -c $((1024 * 1024 - 20)) /dev/zero | tr '\0' x; echo; } >"$T/etc/long.conf"
exits 2 "config: a 1 MiB line is an error" "$VG" --config "$T/etc/long.conf" list
like "$out" "long.conf:2: line longer than" "config: the error names file and line"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' '#' >"$T/etc/big.conf"
exits 2 "config: a file over 1 MiB is refused" "$VG" --config "$T/etc/big.conf" list
like "$out" "big.conf: config file larger than" "config: the error says too large"
printf '[paths]\n\0\n' >"$T/etc/nul.conf"
exits 2 "config: a NUL byte is refused" "$VG" --config "$T/etc/nul.conf" list
like "$out" "contains a NUL byte" "config: the error says NUL byte"
vg_write_conf "bogus = 1"
exits 2 "config: an unknown key" vg list
like "$out" "volguard.conf:6: \[paths\] bogus: unknown key" "config: file, line, section and key"
vg_write_conf ""

# --- the state dir
mv "$S" "$T/state.real"
ln -s state.real "$S"
exits 2 "state dir: a symlink is refused (alloc)" vg alloc db
like "$out" "'state' is a symbolic link or not a directory; refusing it" "state dir: error says symlink"
exits 2 "state dir: a symlink is refused (list)" vg list
rm "$S"
mkdir -p "$T/state.parent"
mv "$T/state.real" "$T/state.parent/state"
ln -s state.parent "$T/link"
vg_write_conf "state_dir = $T/link/state"
exits 2 "state dir: a symlink in a parent component is refused" vg alloc db
like "$out" "'link' is a symbolic link" "state dir: the error names the component"
vg_write_conf "state_dir = $T/state.parent/../state.parent/state"
exits 2 "state dir: '..' is refused" vg alloc db
like "$out" "must not contain '..'" "state dir: the error says .."
vg_write_conf ""
mv "$T/state.parent/state" "$S"
chown nobody "$S"
exits 2 "state dir: not owned by root is refused" vg alloc db
like "$out" "state dir is owned by UID 65534, not root" "state dir: the error names the owner"
exits 2 "state dir: not owned by root is refused for readers too" vg list
chown 0 "$S"
chmod 0775 "$S"
exits 2 "state dir: group-writable is refused" vg alloc db
like "$out" "writable by group or others \(mode 0775\)" "state dir: the error names the mode"
chmod 0757 "$S"
exits 2 "state dir: other-writable is refused" vg list
chmod 0755 "$S"
rm -rf "$S"
: >"$S"
exits 2 "state dir: a regular file is refused" vg alloc db
rm -f "$S"
exits 0 "state dir: recreated" vg alloc web

# --- the registry
R=$S/ranges
cp "$R" "$T/ranges.saved"
chown nobody "$R"
exits 2 "registry: not owned by root is refused" vg list
like "$out" "registry is owned by UID 65534" "registry: the error names the owner"
exits 2 "registry: not owned by root is refused for writers" vg alloc db
chown 0 "$R"
chmod 0664 "$R"
exits 2 "registry: group-writable is refused" vg alloc db
chmod 0646 "$R"
exits 2 "registry: other-writable is refused" vg list
chmod 0644 "$R"
ln "$R" "$T/ranges.hardlink"
exits 2 "registry: a hard link is refused" vg alloc db
like "$out" "has 2 hard links" "registry: the error says hard links"
rm "$T/ranges.hardlink"
mv "$R" "$S/ranges.real"
ln -s ranges.real "$R"
exits 2 "registry: a symlink is refused" vg list
like "$out" "ranges: cannot open registry" "registry: the error names the file"
exits 2 "registry: a symlink is refused for writers" vg alloc db
rm "$R"
mv "$S/ranges.real" "$R"
mkdir "$T/elsewhere"
rm "$R"
ln -s "$T/elsewhere/ranges" "$R"
exits 2 "registry: a dangling symlink is not followed on write" vg alloc db
[ ! -e "$T/elsewhere/ranges" ]
ok $? "registry: nothing was created through the symlink"
rm "$R"
cp "$T/ranges.saved" "$R"
chmod 0644 "$R"

# --- the lock file
L=$S/ranges.lock
rm -f "$L"
ln -s "$T/elsewhere/lock" "$L"
exits 2 "lock: a symlinked lock file is refused" vg alloc db
like "$out" "cannot open lock file" "lock: the error names the lock file"
[ ! -e "$T/elsewhere/lock" ]
ok $? "lock: nothing was created through the symlink"
exits 2 "lock: a symlinked lock file is refused for readers" vg list
rm -f "$L"
: >"$T/elsewhere/lock"
ln -s "$T/elsewhere/lock" "$L"
exits 2 "lock: a symlink to an existing file is refused" vg alloc db
rm -f "$L"
: >"$L"
chown nobody "$L"
exits 2 "lock: not owned by root is refused" vg alloc db
# Without CAP_DAC_OVERRIDE (alloc keeps none) root cannot even open it for writing.
like "$out" "ranges.lock(: cannot open lock file: Permission denied| is owned by UID 65534)" \
	"lock: the error names the lock file"
chmod 0644 "$L"
exits 2 "lock: not owned by root is refused for readers" vg list
like "$out" "lock file is owned by UID 65534" "lock: the error names the owner"
chown 0 "$L"
chmod 0622 "$L"
exits 2 "lock: group-writable is refused" vg alloc db
chmod 0600 "$L"
mkfifo "$T/elsewhere/fifo"
rm -f "$L"
ln "$T/elsewhere/lock" "$L"
exits 2 "lock: a hard-linked lock file is refused" vg alloc db
rm -f "$L"
exits 0 "lock: recreated" vg alloc db

# --- names
long=$(printf 'a%.0s' $(seq 255))
exits 0 "name: 255 bytes is accepted" vg alloc "$long"
exits 0 "name: 255 bytes is released" vg release "$long"
exits 2 "name: 256 bytes is refused" vg alloc "${long}b"
like "$out" "is not a valid container name" "name: the error says why"
huge=$(head -c 100000 /dev/zero | tr '\0' a)
exits 2 "name: 100,000 bytes is refused" vg alloc "$huge"
[ ${#out} -lt 2000 ]
ok $? "name: the error does not echo 100,000 bytes"
for bad in 'a/b' '../x' '..' '.' '/etc' 'a b' '-x' '.hidden' 'a:b' 'a#b' "$(printf 'a\nb')" 'é'; do
	exits 2 "name: $(printf %q "$bad") is refused by alloc" vg alloc "$bad"
done
exits 2 "name: '../x' is refused by release" vg release '../x'
exits 2 "name: empty is refused" vg alloc ''
exits 0 "list still works" vg list
unlike "$out" '\.\.' "list: no odd name got in"

# --- a registry of 100,000 lines: correct results, bounded memory
vg_write_conf "[ranges]
range_size = 4096"
awk 'BEGIN { printf "# big\n"; for (i = 0; i < 100000; i++) printf "c%d:%.0f:4096 # created=2026-01-01T00:00:00Z\n", i, 1073741824 + i * 4096 }' >"$R"
chmod 0644 "$R"
/usr/bin/time -f '%M' -o "$T/rss" "$VG" --config "$CONF" list >"$T/list.out" 2>"$T/err"
ok $? "list of 100,000 lines"
is "$(wc -l <"$T/list.out")" "100000" "list prints 100,000 ranges"
is "$(sed -n '100000p' "$T/list.out")" "c99999:$((1073741824 + 99999 * 4096)):4096 # created=2026-01-01T00:00:00Z" \
	"the last line is right"
rss=$(tail -1 "$T/rss")
diag "peak RSS of list over 100,000 lines: ${rss} KiB"
[ "${rss:-999999}" -lt 262144 ]
ok $? "list of 100,000 lines stays under 256 MiB of memory (${rss} KiB)"
exits 0 "release one of 100,000" vg release c500
/usr/bin/time -f '%M' -o "$T/rss" "$VG" --config "$CONF" alloc newone >"$T/alloc.out" 2>"$T/err"
ok $? "alloc with 100,000 lines"
is "$(cat "$T/alloc.out")" "newone:$((1073741824 + 500 * 4096)):4096" "alloc reuses the freed range"
rss=$(tail -1 "$T/rss")
diag "peak RSS of alloc over 100,000 lines: ${rss} KiB"
[ "${rss:-999999}" -lt 262144 ]
ok $? "alloc over 100,000 lines stays under 256 MiB (${rss} KiB)"
exits 0 "list after" vg list
is "$(printf '%s\n' "$out" | wc -l)" "100000" "still 100,000 ranges"
vg_write_conf ""

# --- a registry over the 64 MiB limit: refused before it is read
rm -f "$R"
truncate -s $((64 * 1024 * 1024 + 1)) "$R"
/usr/bin/time -f '%M' -o "$T/rss" "$VG" --config "$CONF" list >/dev/null 2>"$T/err"
is "$?" "2" "a registry over 64 MiB: exit 2"
like "$(cat "$T/err")" "registry larger than" "a registry over 64 MiB is refused"
rss=$(tail -1 "$T/rss")
[ "${rss:-999999}" -lt 65536 ]
ok $? "refusing it does not read it (${rss} KiB)"
rm -f "$R"

done_testing
