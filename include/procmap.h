/*
 * The ID maps of a process, /proc/PID/uid_map and gid_map: lines of "inside outside count",
 * read from the host's user namespace, where "outside" is a host ID. A process in the host's
 * own user namespace shows the identity map "0 0 4294967295".
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel allows 340 extents (since 4.15). */
#define VG_MAP_MAX_EXTENTS 340

struct vg_map_extent {
	uint64_t inside, outside, count;
};

struct vg_proc_map {
	struct vg_map_extent v[VG_MAP_MAX_EXTENTS];
	size_t n;
};

/* Parse the text of a uid_map or gid_map. -EINVAL when it is not one (a bad number, a line
 * of other than three numbers, a count of 0 or an extent past 2^32), -E2BIG for more than
 * VG_MAP_MAX_EXTENTS extents. An empty map (a namespace whose map was never written) has n 0. */
int vg_proc_map_parse(const char *text, struct vg_proc_map *ret);
/* The identity map of the initial user namespace. */
bool vg_proc_map_is_host(const struct vg_proc_map *m);
/* Every host ID the map reaches lies in [start, start + count). An empty map reaches none. */
bool vg_proc_map_within(const struct vg_proc_map *m, uint64_t start, uint64_t count);
/* "0 1073741824 65536" (extents joined by ", "; "" when empty). Caller frees. */
char *vg_proc_map_text(const struct vg_proc_map *m);
