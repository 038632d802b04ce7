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
 * `host_mountinfo` is normally "/proc/self/mountinfo" (a parameter for tests).
 */
int vg_kmounts_read(pid_t pid, const char *rootfs, const char *host_mountinfo,
		    struct vg_container *ret, struct vg_error *e);
