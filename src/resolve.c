/*
 * Resolve a host path as the kernel would for a bind mount's source, one component at a time
 * on O_PATH descriptors, so that what we judge (device and inode) is what we walked.
 *
 * MUST: never open anything but with O_PATH; never follow more than 40 symlinks; never give a
 * "resolved" result for a path whose existing part failed to resolve (the caller refuses).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "resolve.h"

#define TODO_MAX (64 * 1024)

struct buf {
	char *s;
	size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	b->cap = (b->len + extra + 1) * 2;
	b->s = vg_reallocarray(b->s, b->cap, 1);
}

static void buf_append(struct buf *b, const char *s, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Append "/name" to the resolved path. */
static void path_push(struct buf *p, const char *name, size_t n)
{
	buf_append(p, "/", 1);
	buf_append(p, name, n);
}

static void path_pop(struct buf *p)
{
	while (p->len > 0 && p->s[p->len - 1] != '/')
		p->len--;
	if (p->len > 0)
		p->len--;
	buf_reserve(p, 0);
	p->s[p->len] = '\0';
}

/* Replace the to-do list with `target` + "/" + rest; no slash when nothing followed the link
 * (a trailing slash did follow: it makes the target a directory, as for the kernel). */
static int todo_prepend(struct buf *todo, size_t pos, const char *target, size_t tlen, bool more)
{
	size_t rest = todo->len - pos;
	struct buf n = { 0 };

	if (tlen + 1 + rest > TODO_MAX)
		return -ENAMETOOLONG;
	buf_append(&n, target, tlen);
	if (more)
		buf_append(&n, "/", 1);
	buf_append(&n, todo->s + pos, rest);
	free(todo->s);
	*todo = n;
	return 0;
}

static bool same_file(const struct stat *a, dev_t dev, ino_t ino)
{
	return a->st_dev == dev && a->st_ino == ino;
}

static bool fd_is_procfs(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

static int replace_fd(int *cur, int fd)
{
	if (fd < 0)
		return -errno;
	close(*cur);
	*cur = fd;
	return 0;
}

int vg_resolve(const char *path, const char *base, struct vg_resolved *ret, struct vg_error *e)
{
	_cleanup_close_ int root = -1, cur = -1, parent = -1;
	_cleanup_free_ char *res_s = NULL, *todo_s = NULL;
	struct buf res = { 0 }, todo = { 0 };
	struct stat root_st, st;
	size_t pos = 0, virt = 0;
	unsigned links = 0;
	bool foreign = false, final_nondir = false;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->fd = ret->parent_fd = -1;
	if (!path || !*path)
		return vg_error_set(e, EINVAL, "empty path");
	if (strlen(path) > TODO_MAX)
		return vg_error_set(e, ENAMETOOLONG, "path too long");
	if (path[0] != '/' && (!base || base[0] != '/'))
		return vg_error_set(e, EINVAL, "'%s' is not an absolute path", path);

	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || fstat(root, &root_st) < 0)
		return vg_error_errno(e, errno, "cannot open /");
	cur = fcntl(root, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return vg_error_errno(e, errno, "dup");
	buf_reserve(&res, 64);
	res.s[0] = '\0';
	if (path[0] != '/') {
		buf_append(&todo, base, strlen(base));
		buf_append(&todo, "/", 1);
	}
	buf_append(&todo, path, strlen(path));
	res_s = NULL;

	while (pos < todo.len) {
		const char *name = todo.s + pos;
		size_t n = strcspn(name, "/");
		bool more;

		pos += n;
		if (pos < todo.len)
			pos++; /* the slash */
		more = pos < todo.len || (n > 0 && name[n] == '/');
		if (n == 0 || (n == 1 && name[0] == '.'))
			continue;
		if (final_nondir) {
			r = vg_error_set(e, ENOTDIR, "%s: '%s' is not a directory", path,
					 res.len ? res.s : "/");
			goto fail;
		}
		if (n > NAME_MAX) {
			r = vg_error_set(e, ENAMETOOLONG, "%s: a component is too long", path);
			goto fail;
		}
		if (n == 2 && name[0] == '.' && name[1] == '.') {
			if (virt > 0) {
				virt--;
				path_pop(&res);
				continue;
			}
			if (fstat(cur, &st) == 0 && same_file(&st, root_st.st_dev, root_st.st_ino))
				continue; /* ".." of "/" is "/" */
			if (replace_fd(&cur, openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
				r = vg_error_errno(e, errno, "%s: cannot open '%s/..'", path, res.s);
				goto fail;
			}
			path_pop(&res);
			continue;
		}

		char cname[NAME_MAX + 1];
		memcpy(cname, name, n);
		cname[n] = '\0';
		if (virt > 0) {
			virt++;
			path_push(&res, cname, n);
			continue;
		}
		if (fstatat(cur, cname, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT) {
				virt = 1;
				path_push(&res, cname, n);
				continue;
			}
			r = vg_error_errno(e, errno, "%s: cannot look up '%s/%s'", path, res.s, cname);
			goto fail;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t tl;

			if (++links > VG_RESOLVE_MAX_SYMLINKS) {
				r = vg_error_set(e, ELOOP, "%s: more than %d symbolic links (a loop?)",
						 path, VG_RESOLVE_MAX_SYMLINKS);
				goto fail;
			}
			if (strcmp(cname, "root") == 0 && fd_is_procfs(cur)) {
				/* /proc/PID/root: a magic link to that process's root directory. */
				struct stat t;
				if (fstatat(cur, cname, &t, 0) == 0 &&
				    same_file(&t, root_st.st_dev, root_st.st_ino)) {
					r = todo_prepend(&todo, pos, "/", 1, true);
					if (r < 0)
						goto toolong;
					pos = 0;
					res.len = 0;
					res.s[0] = '\0';
					foreign = false;
					if (replace_fd(&cur, fcntl(root, F_DUPFD_CLOEXEC, 3)) < 0) {
						r = vg_error_errno(e, errno, "dup");
						goto fail;
					}
					continue;
				}
				/*
				 * Another root (a container's): follow it by descriptor so that device
				 * and inode stay exact. If it cannot be opened (the process is gone,
				 * or ptrace rules forbid it), judge it as "/": we cannot know.
				 */
				int fd = openat(cur, cname, O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (fd < 0) {
					r = todo_prepend(&todo, pos, "/", 1, true);
					if (r < 0)
						goto toolong;
					pos = 0;
					res.len = 0;
					res.s[0] = '\0';
					foreign = false;
					fd = fcntl(root, F_DUPFD_CLOEXEC, 3);
				} else {
					path_push(&res, cname, n);
					foreign = true;
				}
				if (replace_fd(&cur, fd) < 0) {
					r = vg_error_errno(e, errno, "dup");
					goto fail;
				}
				continue;
			}
			tl = readlinkat(cur, cname, target, sizeof(target) - 1);
			if (tl <= 0) {
				r = vg_error_errno(e, tl < 0 ? errno : ENOENT, "%s: cannot read link '%s/%s'",
						   path, res.s, cname);
				goto fail;
			}
			r = todo_prepend(&todo, pos, target, (size_t)tl, more);
			if (r < 0)
				goto toolong;
			pos = 0;
			if (target[0] == '/') {
				/* Absolute links resolve against the mounter's root: ours. */
				res.len = 0;
				res.s[0] = '\0';
				foreign = false;
				if (replace_fd(&cur, fcntl(root, F_DUPFD_CLOEXEC, 3)) < 0) {
					r = vg_error_errno(e, errno, "dup");
					goto fail;
				}
			}
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			int fd = openat(cur, cname, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			struct stat chk;
			if (fd < 0 || fstat(fd, &chk) < 0 || !same_file(&chk, st.st_dev, st.st_ino)) {
				int err = fd < 0 ? errno : EAGAIN;
				if (fd >= 0)
					close(fd);
				r = vg_error_errno(e, err, "%s: '%s/%s' changed while resolving", path,
						   res.s, cname);
				goto fail;
			}
			replace_fd(&cur, fd);
			path_push(&res, cname, n);
			continue;
		}
		/* A file, socket, FIFO or device: it must be the last component. */
		if (more) {
			r = vg_error_set(e, ENOTDIR, "%s: '%s/%s' is not a directory", path, res.s,
					 cname);
			goto fail;
		}
		{
			int fd = openat(cur, cname, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			struct stat chk;
			if (fd < 0 || fstat(fd, &chk) < 0 || !same_file(&chk, st.st_dev, st.st_ino)) {
				int err = fd < 0 ? errno : EAGAIN;
				if (fd >= 0)
					close(fd);
				r = vg_error_errno(e, err, "%s: '%s/%s' changed while resolving", path,
						   res.s, cname);
				goto fail;
			}
			parent = TAKE_FD(cur);
			cur = fd;
		}
		path_push(&res, cname, n);
		final_nondir = true;
	}

	if (fstat(cur, &st) < 0) {
		r = vg_error_errno(e, errno, "fstat");
		goto fail;
	}
	ret->path = res.len ? res.s : vg_strdup("/");
	if (!res.len)
		free(res.s);
	ret->fd = TAKE_FD(cur);
	ret->parent_fd = TAKE_FD(parent);
	ret->dev = st.st_dev;
	ret->ino = st.st_ino;
	ret->mode = st.st_mode;
	ret->exists = virt == 0;
	ret->foreign_root = foreign;
	ret->symlinks = links;
	todo_s = todo.s;
	return 0;

toolong:
	r = vg_error_set(e, ENAMETOOLONG, "%s: path too long after following links", path);
fail:
	free(res.s);
	todo_s = todo.s;
	return r;
}

void vg_resolved_free(struct vg_resolved *r)
{
	free(r->path);
	if (r->fd >= 0)
		close(r->fd);
	if (r->parent_fd >= 0)
		close(r->parent_fd);
	memset(r, 0, sizeof(*r));
	r->fd = r->parent_fd = -1;
}
