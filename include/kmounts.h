/*
 * The kernel's view of a container's mounts: /proc/PID/mountinfo (read with libmount), each
 * mount below the container's root file system mapped back to the host path it shows, found
 * through the host's own mountinfo (same device, longest matching root). Defeats tricks the
 * spec's text hides (symlinks, mounts made by hooks, sources swapped after the check).
 */
#pragma once
#include <sys/types.h>

#include "container.h"
#include "vg.h"

/*
 * Fill `ret` with one VG_MOUNT_BIND per mount of process `pid` that lies below `rootfs` (an
 * absolute host path, the container's root before pivot_root) and shows a directory or file
 * of a host mount: source = the host path, destination = the path in the container, readonly
 * from the mount's flags. Fresh pseudo and tmpfs file systems (no host mount shares their
 * device) and runc's default device nodes are left out.
 * `host_mountinfo` is normally "/proc/self/mountinfo" (a parameter for tests). Host mounts
 * below `skip_below` (volguard-runc's staging directory, stage.h, or NULL) are never a host
 * path: they are clones of what the judge saw, and the original is the path that counts.
 */
int vg_kmounts_read(pid_t pid, const char *rootfs, const char *host_mountinfo,
		    const char *skip_below, struct vg_container *ret, struct vg_error *e);
/*
 * In a user namespace runc cannot mknod: it bind-mounts each device of the spec's linux.devices
 * (judged by number with the spec) from the host. Drop from `kernel` the binds that are exactly
 * such a device: a device node of that type and number at that destination.
 */
void vg_kmounts_drop_spec_devices(struct vg_container *kernel, char *const *device_nodes);

/*
 * Check time is mount time (DESIGN "Rules for admission"): what the judge saw of each bind
 * source (device and inode) travels in config.json, written atomically with the rest of the
 * spec, to volguard's own createRuntime hook, which runs after runc's mounts and before the
 * container's process exists, and refuses when a destination shows another inode: a source
 * swapped between the check and runc's mount (a symlink, a directory renamed over it) never
 * reaches the container.
 */
#include <jansson.h>
#include <stdbool.h>

#include "policy.h"

#define VG_KMOUNTS_ANNOTATION "org.volguard.checked-sources"

struct vg_kmount_expect {
	size_t index; /* into the spec's mounts (as vg_oci_load reads them) */
	bool exists;  /* the source existed when it was judged */
	dev_t dev;
	ino_t ino;
};

struct vg_kmount_expects {
	struct vg_kmount_expect *v;
	size_t n;
};

/* Check phase (no I/O): the identity each bind source of `ct` had when `rep` (the policy's
 * report on ct) judged it. */
void vg_kmounts_expect_from_report(const struct vg_container *ct, const struct vg_report *rep,
				   struct vg_kmount_expects *ret);
void vg_kmounts_expects_free(struct vg_kmount_expects *x);
/* Act phase, in memory (the caller writes config.json): `volguard [--config CONFIG] prestart
 * --verify` first in hooks.createRuntime (this very binary, by /proc/self/exe), and `x` in the
 * annotation VG_KMOUNTS_ANNOTATION. */
int vg_kmounts_spec_add_verify(json_t *spec, const char *config, const struct vg_kmount_expects *x,
			       struct vg_error *e);
/* The hook: read the annotation back (-EINVAL when it is missing or malformed). */
int vg_kmounts_expects_from_spec(json_t *spec, struct vg_kmount_expects *ret, struct vg_error *e);
/*
 * The hook, after runc's mounts: each bind mount of `ct` (the spec as runc read it) that is not
 * hidden by a later one must show at its destination, below `rootfs` in process `pid`'s mount
 * namespace, the inode that was judged. -VG_EREFUSED naming the mount otherwise (also for a
 * bind that was not judged, or whose source was missing when it was).
 */
int vg_kmounts_verify(pid_t pid, const char *rootfs, const struct vg_container *ct,
		      const struct vg_kmount_expects *x, struct vg_error *e);
/* prestart --verify in one call: the annotation of `spec`, then vg_kmounts_verify. */
int vg_kmounts_verify_spec(pid_t pid, const char *rootfs, const struct vg_container *ct,
			   json_t *spec, struct vg_error *e);
