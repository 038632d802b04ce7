/*
 * Idmapped mounts, the ground of the user-namespace isolation mode (DESIGN.md, Concepts:
 * Isolation mode; shared/research/userns-idmap.md): a user namespace for a range without a
 * process that keeps it alive, and idmapped clones of directories the caller opened and checked.
 * Nothing here mounts anything in the caller's namespace by itself: vg_idmap_clone gives a
 * detached mount, which the caller attaches where only runc sees it (a private mount namespace).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "vg.h"

/*
 * A user namespace that maps IDs 0..count-1 to host IDs start..start+count-1 (UIDs and GIDs
 * alike). Returns its descriptor (O_CLOEXEC) or -errno. The throw-away process that made it has
 * exited when this returns; the namespace lives as long as the descriptor or a mount that uses
 * it.
 */
int vg_userns_open(uint64_t start, uint64_t count, struct vg_error *e);

enum {
	VG_IDMAP_RDONLY = 1 << 0,	/* the clone is read-only */
	VG_IDMAP_NOSUID_NODEV = 1 << 1, /* and nosuid,nodev (volumes) */
	VG_IDMAP_RECURSIVE = 1 << 2,	/* with the mounts below it (each must allow an idmap) */
};

/*
 * A detached, idmapped clone of the mount tree at dir_fd (a directory the caller opened and
 * checked: the clone is of that very inode, whatever its path names now). Returns the clone's
 * descriptor or -errno (-EINVAL: this file system or kernel cannot idmap).
 */
int vg_idmap_clone(int dir_fd, int userns_fd, unsigned flags, struct vg_error *e);

/* Attach a detached mount at target (a directory or file relative to target_dir_fd). */
int vg_mount_attach(int tree_fd, int target_dir_fd, const char *target, struct vg_error *e);

/*
 * Can directories on dir_fd's file system be idmapped here? 1 yes, 0 no (the reason in e),
 * -errno when even asking failed. Makes a clone and drops it: nothing is attached.
 */
int vg_idmap_supported(int dir_fd, struct vg_error *e);
