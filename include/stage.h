/*
 * The mount work of the userns mode (DESIGN.md, Docker integration): what runc mounts for a
 * userns container, made by volguard-runc in C where only runc sees it.
 *
 * In a staging directory <stage_dir>/ID (0711, so that the range can reach root.path; never
 * inside containerd's bundle, which containerd removes recursively):
 *   rootfs   the root file system as an idmapped bind (a plain directory: vfs, ...) or, for
 *            Docker's overlay2, an overlay of idmapped layers, swapped in place of Docker's own
 *            merged mount so that one overlay uses the upper and Docker's Put() unmounts it;
 *   m/N      spec mount N's source as an idmapped clone: each volguard volume's _data
 *            (nosuid,nodev; read-only for a read-only member) and Docker's per-container files
 *            (containers/ID/: hosts, hostname, resolv.conf, mounts/shm).
 * The clones are of the very inodes the judge saw (each source is opened and compared with its
 * judged device and inode: a swap in between is refused). They are attached in a private mount
 * namespace (slave of the host's) that the calling process enters and that `runc create`
 * inherits: nothing reaches the host's mount table, nothing is left to unmount, and the
 * namespace goes away with the container. Only the overlay swap touches the host's namespace,
 * and only Docker's own mount point, which Docker unmounts at stop.
 */
#pragma once
#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "container.h"
#include "kmounts.h"
#include "prepare.h"
#include "vg.h"

struct vg_stage_req {
	const struct vg_config *c;
	const char *id;		       /* runc's container ID: the staging directory's name */
	int rootfs_fd;		       /* root.path as judged (O_PATH directory) */
	uint64_t start, count;	       /* the range the user namespace maps */
	const struct vg_container *ct; /* the spec as loaded (mounts[i] = spec's) */
	const struct vg_mounted_volumes *vols;	 /* the volumes it mounts, checked */
	const struct vg_kmount_expects *checked; /* each bind source's judged identity */
};

/*
 * Build the staging directory, enter a private mount namespace, attach the clones there and
 * point the spec's root.path and the staged mounts' sources at them (in memory; the caller
 * writes config.json). On failure the calling process is back in the host's mount namespace and
 * the staging directory is gone.
 */
int vg_stage_build(const struct vg_stage_req *r, json_t *spec, struct vg_error *e);

/* After runc delete (or a failed create): remove <stage_dir>/ID, which holds only empty mount
 * points in the host's namespace. Never recursive beyond them; a missing directory is fine. */
int vg_stage_remove(const struct vg_config *c, const char *id, struct vg_error *e);

/* The shim's stdio pipes (fd 0-2 when they are pipes) to the range's root, so that container
 * root can reopen /dev/stdout (dockerd does this for userns-remap with IoUid). */
int vg_stage_give_stdio(uint64_t start, struct vg_error *e);
