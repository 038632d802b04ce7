/* The isolation modes (isolation.h says how one is chosen): a leaf, so that the config and
 * the container model can name a mode without depending on the choice. */
#pragma once

enum vg_isolation {
	VG_ISOLATION_AUTO = 0, /* config only: userns where it works, else shift */
	VG_ISOLATION_USERNS,
	VG_ISOLATION_SHIFT,
};

static inline const char *vg_isolation_name(enum vg_isolation m)
{
	return m == VG_ISOLATION_USERNS ? "userns" : m == VG_ISOLATION_SHIFT ? "shift" : "auto";
}
