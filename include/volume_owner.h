/*
 * Is a volume volguard's? The one answer every writer (prepare, fix, create, share, revoke) and
 * the admission check use, asked on the descriptors the writer then acts on.
 *
 * A volume volguard may change (owner, mode, ACL, xattr, stamp, copy-up) is exactly: Docker's
 * local driver without driver options (opts.json absent, or MountType, MountOpts and
 * MountDevice all empty), <volumes_root>/NAME a real directory, NAME/_data a plain directory,
 * and both on the volumes root's own mount. The same st_dev is not enough: a bind volume of
 * /etc on the file system that holds /var/lib/docker has the same st_dev, so mount IDs
 * (statx STATX_MNT_ID) are compared. Anything else is the mount it really is (a bind of its
 * device path, tmpfs, nfs, cgroup, mqueue...), judged by the policy and never changed.
 */
#pragma once
#include <stdbool.h>

#include "vg.h"

/* The local driver's options, as dockerd wrote them to NAME/opts.json. */
struct vg_volume_opts {
	bool present; /* opts.json exists */
	char *type;   /* MountType (-o type=), or NULL */
	char *o;      /* MountOpts (-o o=) */
	char *device; /* MountDevice (-o device=) */
};

/* Read NAME/opts.json through the directory fd `name_fd` (never following a symlink, a
 * regular file of bounded size). Absent gives present = false and returns 0. */
int vg_volume_opts_read(int name_fd, const char *what, struct vg_volume_opts *ret,
			struct vg_error *e);
void vg_volume_opts_free(struct vg_volume_opts *o);
/* No option at all: absent, or every field empty. */
bool vg_volume_opts_none(const struct vg_volume_opts *o);
/* The options bind a host path: type none, or o has bind/rbind. */
bool vg_volume_opts_binds(const char *type, const char *o);

/*
 * 1 when the volume is volguard's, 0 when it is not (e->msg says why, code VG_EREFUSED, and
 * *ret_opts holds its options when it has some), -errno when it cannot be told. root_fd is the
 * volumes root, name_fd NAME, data_fd NAME/_data or -1 when _data does not exist yet (it will be
 * made on NAME's mount). Changes nothing.
 */
int vg_volume_is_ours(int root_fd, int name_fd, int data_fd, const char *what,
		      struct vg_volume_opts *ret_opts, struct vg_error *e);

/*
 * Which volume's data a host path lies in: NAME when `path`, resolved safely (symlinks, ".."),
 * is <volumes_root>/NAME/_data or lies below it (checked by device and inode, not only by
 * string). Returns 1 and *ret_name (caller frees), 0 when it is in no volume.
 */
int vg_volume_containing(const char *volumes_root, const char *path, char **ret_name);
