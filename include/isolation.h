/*
 * The isolation modes (DESIGN.md, Concepts: Isolation mode) and the choice of one per container.
 * The config holds auto, userns or shift; a container runs in userns or shift:
 *
 *   userns  its own user namespace, uid/gidMappings 0 -> range start; the root file system,
 *           Docker's per-container binds and the volumes are idmapped mounts (stage.h);
 *   shift   the host's user namespace, process IDs moved into the range, capabilities dropped.
 *
 * auto is userns where the kernel and the storage's file system support idmapped mounts
 * (probed once per kernel release and file system, the answer cached in the state directory),
 * and shift where they do not, or where the container needs a host namespace.
 */
#pragma once
#include <stdbool.h>

#include "vg.h"

enum vg_isolation {
	VG_ISOLATION_AUTO = 0, /* config only: userns where it works, else shift */
	VG_ISOLATION_USERNS,
	VG_ISOLATION_SHIFT,
};

static inline const char *vg_isolation_name(enum vg_isolation m)
{
	return m == VG_ISOLATION_USERNS ? "userns" : m == VG_ISOLATION_SHIFT ? "shift" : "auto";
}
