/* Podman's containers, as containers/storage records them (<graphroot>/<driver>-containers/). */
#pragma once

#include "vg.h"

/*
 * The name of the Podman container `id` whose bundle is `bundle`
 * (<graphroot>/<driver>-containers/ID/userdata): names[0] of its record in containers.json
 * beside it, a file root's and not writable by group or others. 1 and *ret_name when found,
 * 0 when the bundle is not laid out that way or has no record (not Podman's), < 0 for a record
 * that cannot be trusted or read.
 */
int vg_podman_name(const char *bundle, const char *id, char **ret_name, struct vg_error *e);
