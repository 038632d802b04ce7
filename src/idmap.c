/*
 * Idmapped mounts (see idmap.h).
 *
 * The user namespace comes from a child that unshares CLONE_NEWUSER and waits; the parent, real
 * root, writes its maps (no setgroups=deny needed) and opens /proc/CHILD/ns/user, then lets it go.
 * A mount keeps its own reference to the idmapping: the descriptor can be closed right after
 * mount_setattr (research note, Q3).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap.h"

static int write_map(pid_t pid, const char *which, const char *line, struct vg_error *e)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(line);
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return vg_error_errno(e, errno, "%s", path);
	n = write(fd, line, len);
	if (n < 0)
		return vg_error_errno(e, errno, "write %s", path);
	if ((size_t)n != len)
		return vg_error_set(e, EIO, "write %s: short write", path);
	return 0;
}

int vg_userns_open(uint64_t start, uint64_t count, struct vg_error *e)
{
	int ready[2] = { -1, -1 }, go[2] = { -1, -1 };
	char line[64], path[64], c = 0;
	int r = 0, fd = -1, status;
	pid_t pid;

	if (count == 0 || count > UINT32_MAX || start > UINT32_MAX - count + 1)
		return vg_error_set(e, EINVAL, "range %" PRIu64 "+%" PRIu64 " cannot be mapped",
				    start, count);
	if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
		r = vg_error_errno(e, errno, "pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = vg_error_errno(e, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		/* The child: a new user namespace, then wait until the parent is done with it (its
		 * end of go closed: read returns). */
		char ok;

		close(ready[0]);
		close(go[1]);
		ok = unshare(CLONE_NEWUSER) == 0 ? 1 : 0;
		if (write(ready[1], &ok, 1) == 1 && ok)
			(void)!read(go[0], &c, 1);
		_exit(ok ? 0 : 1);
	}
	close(TAKE_FD(ready[1]));
	close(TAKE_FD(go[0]));
	if (read(ready[0], &c, 1) != 1 || !c) {
		r = vg_error_set(e, EPERM,
				 "cannot create a user namespace (unshare CLONE_NEWUSER)");
		goto reap;
	}
	snprintf(line, sizeof(line), "0 %" PRIu64 " %" PRIu64 "\n", start, count);
	r = write_map(pid, "uid_map", line, e);
	if (r >= 0)
		r = write_map(pid, "gid_map", line, e);
	if (r >= 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = vg_error_errno(e, errno, "%s", path);
	}
reap:
	close(TAKE_FD(go[1])); /* the child's read returns: it exits */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
out:
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (go[i] >= 0)
			close(go[i]);
	}
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	return fd;
}

int vg_idmap_clone(int dir_fd, int userns_fd, unsigned flags, struct vg_error *e)
{
	unsigned rec = flags & VG_IDMAP_RECURSIVE ? AT_RECURSIVE : 0;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd };
	_cleanup_close_ int tree = -1;

	tree = open_tree(dir_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | rec);
	if (tree < 0)
		return vg_error_errno(e, errno, "open_tree(OPEN_TREE_CLONE)");
	if (flags & VG_IDMAP_RDONLY)
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (flags & VG_IDMAP_NOSUID_NODEV)
		attr.attr_set |= MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	if (mount_setattr(tree, "", AT_EMPTY_PATH | rec, &attr, sizeof(attr)) < 0)
		return vg_error_errno(e, errno, "mount_setattr(MOUNT_ATTR_IDMAP)");
	return TAKE_FD(tree);
}

int vg_mount_attach(int tree_fd, int target_dir_fd, const char *target, struct vg_error *e)
{
	if (move_mount(tree_fd, "", target_dir_fd, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return vg_error_errno(e, errno, "move_mount to %s", target);
	return 0;
}

int vg_idmap_supported(int dir_fd, struct vg_error *e)
{
	_cleanup_close_ int ns = -1, tree = -1;

	ns = vg_userns_open(1u << 30, 65536, e);
	if (ns < 0)
		return ns;
	tree = vg_idmap_clone(dir_fd, ns, 0, e);
	if (tree >= 0)
		return 1;
	/* The kernel's words for "this file system (or kernel) cannot idmap". */
	if (tree == -EINVAL || tree == -ENOSYS || tree == -EOPNOTSUPP || tree == -EPERM)
		return 0;
	return tree;
}
