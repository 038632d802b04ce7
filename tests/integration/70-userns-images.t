#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# Real servers from Debian's packages (nginx, postgres, redis) under volguard-runc in userns mode,
# on vfs. The test itself: images-lib.sh.
# shellcheck disable=SC2034 # read by images-lib.sh
E2E_STORAGE_DRIVER=vfs
. "$(dirname "$0")/images-lib.sh"
