/*
 * The safe tree walk under a trusted directory fd (DESIGN.md, "Rules for code that changes the
 * file system"): one openat(O_NOFOLLOW|O_DIRECTORY) per directory, one statx(AT_SYMLINK_NOFOLLOW)
 * per entry, never following a symlink, never leaving the root's mount (mount ID, so a bind
 * mount of the same file system is seen too), never opening anything but directories.
 *
 * Bounded on any shape: getdents64 is streamed (a directory of 1,000,000 entries costs one
 * buffer), and at most VG_WALK_MAX_FDS directory fds are open. Deeper levels evict the oldest
 * one; when the walk climbs back to an evicted level it reopens it as ".." of its child,
 * checks that it is the same directory (st_dev, st_ino) and seeks back to where it was. A
 * directory moved away meanwhile stops the walk with -ESTALE. Memory is O(depth) for the
 * level stack and the path of the current entry.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "vg.h"
#include "xattrat.h"

#define VG_WALK_MAX_FDS	 16
#define VG_WALK_BUF_SIZE (32 * 1024)

enum vg_walk_skip {
	VG_WALK_VISIT = 0,
	VG_WALK_SYMLINK, /* left alone */
	VG_WALK_MOUNT,	 /* another mount (st_dev or mount ID differs): not entered, not touched */
	VG_WALK_DEVICE,	 /* character or block device: never opened, never changed */
	VG_WALK_RACED,	 /* the directory opened is not the one statx saw */
	VG_WALK_ERROR,	 /* statx or open failed: `err` */
};

struct vg_walk_entry {
	int dirfd;	  /* the directory holding the entry */
	const char *name; /* its name in dirfd */
	const char *path; /* relative to the root, for messages */
	struct statx stx; /* from statx(dirfd, name, AT_SYMLINK_NOFOLLOW) */
	int fd;		  /* directories: O_RDONLY|O_DIRECTORY fd, checked against stx; else -1 */
	enum vg_walk_skip skip;
	int err; /* positive errno with VG_WALK_ERROR */
	size_t depth;
	uint64_t root_mnt_id; /* the mount the walk stays on */
};

/* Return < 0 to stop the walk (that value is returned), 0 to go on, 1 to not enter a
 * directory. The entry's fds belong to the walk. */
typedef int (*vg_walk_fn)(const struct vg_walk_entry *ent, void *data);

/* Walk everything below `root_fd` (an O_RDONLY directory fd, not closed). Returns 0, the
 * callback's negative value, or -errno with *e set. */
int vg_walk(int root_fd, vg_walk_fn fn, void *data, struct vg_error *e);

/* The O_PATH fd of a non-directory entry, re-checked (same st_dev, st_ino, type and mount as
 * the statx, still one link) before the caller changes it; -ESTALE when it changed since.
 * *ret_now gets its current state. */
int vg_walk_open_entry(const struct vg_walk_entry *ent, struct statx *ret_now, struct vg_error *e);

/* The mount ID of an fd, for comparisons with entries' stx_mnt_id. */
int vg_fd_mnt_id(int fd, uint64_t *ret, struct stat *ret_st);
