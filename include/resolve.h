/*
 * Safe resolution of a host path, component by component from "/", the way the kernel would
 * resolve it for a bind mount, but on descriptors: nothing found here is re-resolved by name.
 */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "vg.h"

#define VG_RESOLVE_MAX_SYMLINKS 40 /* the kernel's MAXSYMLINKS */

struct vg_devino {
	dev_t dev;
	ino_t ino;
};

struct vg_resolved {
	char *path;    /* resolved absolute path; a missing tail is appended lexically */
	int fd;	       /* O_PATH descriptor of the deepest existing component */
	int parent_fd; /* ... and of its directory when it is not one itself, else -1 */
	dev_t dev;     /* ... its device and inode */
	ino_t ino;
	mode_t mode;	   /* ... and its file type and mode */
	bool exists;	   /* the whole path exists (no missing tail) */
	bool foreign_root; /* went through /proc/PID/root of a process with another root */
	unsigned symlinks; /* symlinks followed */
	/* The directories above the deepest existing component, "/" first: the physical chain
	 * the kernel's ".." would walk (a mount's root goes up to its mount point's parent). */
	struct vg_devino *anc;
	size_t n_anc;
};

/*
 * Resolve `path` (absolute, or relative to `base` when base is non-NULL). Symlinks are followed
 * up to VG_RESOLVE_MAX_SYMLINKS (-ELOOP beyond), ".." is the physical parent, a missing
 * component starts a tail that is appended as the path that would be created (".." in it pops
 * lexically). /proc/self/root and /proc/PID/root whose target is our own root are "/"; another
 * process's root is followed by descriptor (dev/ino stay exact, the path string keeps the
 * /proc/PID/root prefix and foreign_root is set); one that cannot be opened (the process is
 * gone, ptrace rules) is judged as "/": its real target is unknown, "/" is the worst case.
 */
int vg_resolve(const char *path, const char *base, struct vg_resolved *ret, struct vg_error *e);
/* The same from a given O_PATH descriptor of "/" (saves reopening it for many paths). */
int vg_resolve_at(int rootfd, const char *path, const char *base, struct vg_resolved *ret,
		  struct vg_error *e);
void vg_resolved_free(struct vg_resolved *r);
