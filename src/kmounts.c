/* The kernel's view of a container's mounts, mapped back to host paths (see kmounts.h). */
#include <errno.h>
#include <libmount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "kmounts.h"

static void tablep(struct libmnt_table **t)
{
	if (*t)
		mnt_unref_table(*t);
}
#define cleanup_table _cleanup_(tablep)

/* Pseudo file systems are judged by their type in the spec, not as host paths. */
static const char *const pseudo_fs[] = { "proc",    "sysfs",   "cgroup",     "cgroup2",
					 "devpts",  "mqueue",  "securityfs", "debugfs",
					 "tracefs", "fusectl", "bpf" };
/* runc's default devices (bind-mounted from the host in a user namespace). */
static const char *const default_devices[] = { "/dev/null", "/dev/zero",   "/dev/full",
					       "/dev/tty",  "/dev/random", "/dev/urandom" };

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Is `path` equal to `dir` or below it? Returns the rest ("" or "/x/y") or NULL. */
static const char *below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path;
	if (strncmp(path, dir, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return NULL;
	return path + n;
}

/* The host path that the mount `fs` (from the container's table) shows, or NULL. */
static char *host_path(struct libmnt_table *host, struct libmnt_fs *fs)
{
	dev_t dev = mnt_fs_get_devno(fs);
	const char *root = mnt_fs_get_root(fs), *best_rest = NULL, *best_target = NULL;
	size_t best_len = 0;
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *h;

	if (!it || !root)
		goto out;
	while (mnt_table_next_fs(host, it, &h) == 0) {
		const char *hroot = mnt_fs_get_root(h), *rest;

		if (mnt_fs_get_devno(h) != dev || !hroot || !mnt_fs_get_target(h))
			continue;
		rest = below(root, hroot);
		/* The longest root wins; among equals the last mounted (the visible one). */
		if (rest && strlen(hroot) >= best_len) {
			best_len = strlen(hroot);
			best_rest = rest;
			best_target = mnt_fs_get_target(h);
		}
	}
out:
	mnt_free_iter(it);
	if (!best_target)
		return NULL;
	if (strcmp(best_target, "/") == 0)
		return vg_strdup(*best_rest ? best_rest : "/");
	return vg_asprintf("%s%s", best_target, best_rest);
}

static bool mount_readonly(struct libmnt_fs *fs)
{
	const char *vfs = mnt_fs_get_vfs_options(fs), *sb = mnt_fs_get_fs_options(fs);

	return (vfs && mnt_optstr_get_option(vfs, "ro", NULL, NULL) == 0) ||
	       (sb && mnt_optstr_get_option(sb, "ro", NULL, NULL) == 0);
}

int vg_kmounts_read(pid_t pid, const char *rootfs, const char *host_mountinfo,
		    struct vg_container *ret, struct vg_error *e)
{
	cleanup_table struct libmnt_table *ct = mnt_new_table(), *host = mnt_new_table();
	_cleanup_free_ char *path = vg_asprintf("/proc/%d/mountinfo", (int)pid);
	struct libmnt_iter *it;
	struct libmnt_fs *fs;
	int r;

	if (!ct || !host)
		return vg_error_set(e, ENOMEM, "out of memory");
	r = mnt_table_parse_file(ct, path);
	if (r < 0)
		return vg_error_errno(e, r, "%s: cannot read", path);
	r = mnt_table_parse_file(host, host_mountinfo);
	if (r < 0)
		return vg_error_errno(e, r, "%s: cannot read", host_mountinfo);
	it = mnt_new_iter(MNT_ITER_FORWARD);
	if (!it)
		return vg_error_set(e, ENOMEM, "out of memory");
	while (mnt_table_next_fs(ct, it, &fs) == 0) {
		const char *target = mnt_fs_get_target(fs), *dest;
		_cleanup_free_ char *src = NULL;
		struct vg_mount *m;
		struct stat st;

		if (!target || !(dest = below(target, rootfs)) || !*dest)
			continue; /* the runtime's own mounts, or the root file system itself */
		if (in_list(mnt_fs_get_fstype(fs), pseudo_fs, VG_ARRAY_SIZE(pseudo_fs)))
			continue;
		src = host_path(host, fs);
		if (!src)
			continue; /* a file system of its own (a fresh tmpfs): no host path shows */
		if (in_list(src, default_devices, VG_ARRAY_SIZE(default_devices)) &&
		    lstat(src, &st) == 0 && S_ISCHR(st.st_mode))
			continue;
		m = vg_container_add_mount(ret);
		m->kind = VG_MOUNT_BIND;
		m->source = TAKE_PTR(src);
		m->destination = vg_strdup(dest);
		m->readonly = mount_readonly(fs);
		m->origin = vg_asprintf("/proc/%d/mountinfo: %s", (int)pid, target);
	}
	mnt_free_iter(it);
	return 0;
}
