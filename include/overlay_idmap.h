/*
 * The overlay2 root file system of a user-namespace container (DESIGN.md, Concepts: Isolation
 * mode; shared/research/userns-idmap.md Q2(b), Q3): an overlay whose layers are idmapped clones,
 * because an overlay mount itself cannot be idmapped (EINVAL). A leaf above idmap.c.
 *
 * Docker 20.10's overlay2 layout: <docker_root>/overlay2/ID/{diff,work,merged,link,lower} with
 * `lower` = "l/AAAA:l/BBBB" (top-most first) and <docker_root>/overlay2/l/AAAA -> ../LAYER/diff.
 * Docker mounts ID/merged in the host's mount namespace before it calls the runtime's create;
 * a layer without a `lower` file has nothing mounted and root.path is ID/diff.
 *
 * Kernel: idmapped layers need 5.19, "lowerdir+" 6.8, layers given by descriptor 6.13, and as
 * O_PATH descriptors of detached mounts (what open_tree gives) 6.15. On older kernels
 * vg_overlay_idmap_supported says 0 (the kernel's refusal in e) and `auto` runs shift mode.
 */
#pragma once
#include <stdint.h>

#include "vg.h"

/* The kernel's limit on stacked lower layers (OVL_MAX_STACK); Docker stops at 128. */
#define VG_OVERLAY_MAX_LOWERS 500

enum vg_overlay_layer_kind {
	VG_OVERLAY_NOT_OURS = 0, /* root.path is not a layer of this docker root's overlay2 */
	VG_OVERLAY_MERGED = 1,	 /* root.path is ID/merged: build and swap the overlay */
	VG_OVERLAY_DIFF = 2,	 /* root.path is ID/diff (no lowers): a plain idmapped bind */
};

/*
 * Which overlay2 layer is root.path? When `root_path` (as config.json has it) is
 * `docker_root`/overlay2/ID/merged or .../ID/diff, opens (O_PATH, without following a symlink or
 * crossing a mount below `docker_root_fd`) the overlay2 directory into *ret_overlay2_fd and ID
 * into *ret_layer_fd and says which of the two root.path names. VG_OVERLAY_NOT_OURS (nothing
 * opened) for a path outside docker_root/overlay2/; -EINVAL for any other path below it, -errno
 * when the layout is not Docker's.
 */
int vg_overlay_layer_open(int docker_root_fd, const char *docker_root, const char *root_path,
			  int *ret_overlay2_fd, int *ret_layer_fd, struct vg_error *e);

/*
 * A detached overlay mount (its descriptor, or -errno) whose layers are idmapped clones made
 * through userns_fd (a user namespace mapping 0 to host `start`): the lowers of Docker's overlay2
 * layer directory `layer_fd` (its `lower` file lists "l/XXXX:l/YYYY" relative to the overlay2
 * directory `overlay2_fd`; each is resolved with openat2 RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS|
 * RESOLVE_NO_XDEV under overlay2_fd, never a plain path walk) as read-only clones, and the upper
 * and work dirs (ID/diff, ID/work) as ONE idmapped clone of ID (overlayfs wants them on one
 * mount). Mount options as Docker's: index=off, the kernel's defaults otherwise.
 * The overlay's creator credentials are fsuid/fsgid `start` with this process's capabilities
 * (set around FSCONFIG_CMD_CREATE, restored after): the work dir, whiteouts and copy-ups are
 * then container root, image-relative 0:0 on disk (with host root, unmapped in the upper's
 * idmap, overlayfs would fail to make its work dir and mount read-only).
 * The caller makes sure no other overlay uses this upper (vg_overlay_swap_merged does): two
 * overlays on one upper are undefined behaviour. -ENODATA when the layer has no `lower` file (the
 * caller binds ID/diff instead); -EXDEV for a link that leaves overlay2_fd or its mount.
 */
int vg_overlay_idmapped(int overlay2_fd, int layer_fd, int userns_fd, uint64_t start,
			struct vg_error *e);

/*
 * Replace Docker's merged mount at layer_fd/merged (Docker's overlay in the host's mount
 * namespace: call this there, before unsharing one for runc) by the overlay of
 * vg_overlay_idmapped, so that there is never a second overlay on the same upper and Docker's
 * own Put() unmounts ours at stop. What is mounted there must be an overlay (statfs) whose
 * upperdir is this layer's diff (its root's inode, and mountinfo's upperdir by device and inode),
 * or ours of an earlier start (`docker restart` does not unmount it: it is replaced the same way);
 * anything else is -EBUSY and left alone; nothing mounted there is fine. No descriptor of this
 * process may point into Docker's mount (a pinned root.path would keep Docker's overlay alive
 * beside ours): -EBUSY naming it, before anything changes. Everything that can fail
 * is prepared first; Docker's mount is detached (umount2 MNT_DETACH through its descriptor)
 * right before the overlay is created and ours is moved onto the directory beneath it.
 * Returns a detached clone of the new overlay (for root.path, to attach in the private mount
 * namespace) or -errno. A failure after Docker's mount was detached leaves merged empty (the
 * create fails; Docker's next start mounts it again).
 */
int vg_overlay_swap_merged(int overlay2_fd, int layer_fd, int userns_fd, uint64_t start,
			   struct vg_error *e);

/*
 * Can an overlay be built on idmapped layers on the file system of dir_fd? 1 yes, 0 no (why in
 * e), -errno when even asking failed. Builds a tiny one (one lower, an upper) in a private temp
 * dir under dir_fd, checks a lower file's owner and a file created through it by container
 * root, and drops it; leaves nothing, mounted or on disk.
 */
int vg_overlay_idmap_supported(int dir_fd, struct vg_error *e);
