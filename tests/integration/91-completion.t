#!/bin/bash
# The bash completion (completion/volguard) with Debian's bash-completion: sourced by bash, with
# COMP_WORDS and COMP_CWORD set as readline sets them, COMPREPLY checked. Commands and options
# come from the binary's --help; container and volume names from a private dockerd (and the
# volumes root); registry names from `volguard list`; nothing, quietly, without docker.
# shellcheck source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# shellcheck source=../e2e-lib.sh
. "$(dirname "$0")/../e2e-lib.sh"
BC=/usr/share/bash-completion/bash_completion
[ -r "$BC" ] || skip_all "bash-completion is not installed (scripts/deps.sh)"
vg_setup
COMP=$TOP/completion/volguard
BIN=$(dirname "$VG")
[ "${VG##*/}" = volguard ] || skip_all "the completion runs 'volguard'; \$VG is ${VG##*/}"

# comp WORD...: the completions of the last WORD, one a line (sorted), in a fresh bash with
# volguard ($VG's) first on PATH. Its stderr goes to $T/comp.err.
comp() {
	PATH=$BIN:${COMP_PATH:-$PATH} bash -c '. "$1" && . "$2" && shift 2 &&
		COMP_WORDS=("$@") && COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) &&
		COMP_LINE="$*" && COMP_POINT=${#COMP_LINE} && _volguard &&
		printf "%s\n" "${COMPREPLY[@]}"' bash "$BC" "$COMP" "$@" 2>"$T/comp.err" | sort
}
words() { tr '\n' ' ' | sed 's/ $//'; }

# --- commands and options, from --help -------------------------------------------------------
cmds=$("$VG" --help | awk '/^Commands:/ { c = 1; next } c && /^$/ { exit } c { print $1 }' | sort | words)
like "$cmds" 'alloc .*audit .*check ' "(volguard --help lists the commands)"
is "$(comp volguard '' | words)" "$cmds" "volguard <TAB>: every command"
is "$(comp volguard a | words)" "alloc audit" "volguard a<TAB>: alloc, audit"
is "$(comp volguard -- | words)" "--config --help --quiet --verbose --version" "global options"
is "$(comp volguard audit -- | words)" "--checks --compare --container --deep --fail-on --json --volume" \
	"audit --<TAB>: audit's options"
is "$(comp volguard fix --d | words)" "--dry-run" "fix --d<TAB>: --dry-run"
unlike "$(comp volguard volume - | words)" '^-o$| -o |type' \
	"volume -<TAB>: not the docker options its help quotes in prose"
is "$(comp volguard audit --fail-on '' | words)" "critical high info low medium none" \
	"--fail-on <TAB>: the severities"
is "$(comp volguard volume '' | words)" "create revoke share show" "volume <TAB>: its subcommands"
is "$(comp volguard check -- run - | words)" "" "nothing after check --: a docker run line"
is "$(comp volguard-runc --r | words)" "" "nothing for volguard-runc (runc's command line)"

# --- config file paths -----------------------------------------------------------------------
is "$(comp volguard --config "${CONF%.conf}" | words)" "$CONF" "--config <TAB>: a file path"
is "$(comp volguard -c "$T/et" | words)" "$T/etc" "-c <TAB>: directories on the way"

# --- names -----------------------------------------------------------------------------------
vg alloc app1 >/dev/null
is "$(comp volguard --config "$CONF" release '' | words)" "app1" \
	"release <TAB>: the registry's names (volguard list, with the line's --config)"
mkdir -p "$T/docker/volumes/ondisk/_data"
e2e_require dockerd
if e2e_rootfs && e2e_dockerd_start; then
	export DOCKER_HOST=unix://$E2E_DOCKERD_DIR/sock
	dk create --name web "$E2E_IMAGE" true >/dev/null
	dk create --name worker "$E2E_IMAGE" true >/dev/null
	dk volume create dbdata >/dev/null
	is "$(comp volguard --config "$CONF" audit --container '' | words)" "web worker" \
		"--container <TAB>: the containers of \$DOCKER_HOST (docker ps -a)"
	is "$(comp volguard --config "$CONF" volume create x --owner w | words)" "web worker" \
		"--owner w<TAB>: containers"
	is "$(comp volguard --config "$CONF" audit --volume '' | words)" "dbdata ondisk" \
		"--volume <TAB>: docker's volumes and the volumes root's"
	is "$(comp volguard --config "$CONF" volume share dbdata '' | words)" "web worker" \
		"volume share VOL <TAB>: containers"
	is "$(comp volguard --config "$CONF" alloc '' | words)" "app1 web worker" \
		"alloc <TAB>: registry names and containers"
	is "$(cat "$T/comp.err")" "" "nothing on stderr"
	DOCKER_HOST=unix://$T/no.sock
	is "$(comp volguard --config "$CONF" audit --container '' | words)" "" \
		"no daemon at \$DOCKER_HOST: no container names"
	is "$(cat "$T/comp.err")" "" "and no error shown"
	unset DOCKER_HOST
else
	skip "dockerd cannot start here: ${out:-}" 8
fi

# Docker not installed: a PATH with the tools the completion uses and no docker.
mkdir -p "$T/nodocker"
for t in bash sed grep sort awk timeout tail tr dirname; do
	ln -s "$(command -v "$t")" "$T/nodocker/$t"
done
COMP_PATH=$T/nodocker
is "$(comp volguard --config "$CONF" audit --container '' | words)" "" \
	"without docker: no container names"
ondisk=$(for d in "$T"/docker/volumes/*/_data; do d=${d%/_data}; echo "${d##*/}"; done | sort | words)
like "$ondisk" ondisk "(the volumes root holds ondisk)"
is "$(comp volguard --config "$CONF" audit --volume '' | words)" "$ondisk" \
	"and the volumes root's volumes only"
is "$(cat "$T/comp.err")" "" "quietly"
unset COMP_PATH
done_testing
