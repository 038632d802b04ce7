/*
 * Resolve a host path as the kernel would for a bind mount's source, one component at a time
 * on O_PATH descriptors, so that what we judge (device and inode) is what we walked.
 *
 * MUST: never open anything but with O_PATH|O_NOFOLLOW (only /proc/PID/root is followed, on
 * purpose); never follow more than 40 symlinks; never return a result for a path whose existing
 * part failed to resolve (the caller refuses it).
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
#define MAX_DEPTH 4096

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

struct walk {
	int root, cur, parent;
	bool own_root;   /* root was opened here (else it is the caller's) */
	struct stat root_st;
	struct stat cur_st; /* of cur, when cur_known */
	bool cur_known;
	struct buf res;  /* the resolved path so far ("" is "/") */
	struct buf todo; /* what is left to resolve */
	size_t pos;
	struct vg_devino *stack; /* the directories walked, "/" first; top is `cur` */
	size_t depth;
	bool foreign;    /* inside another process's root: the stack is not the physical chain */
};

static void res_push(struct walk *w, const char *name, size_t n)
{
	buf_append(&w->res, "/", 1);
	buf_append(&w->res, name, n);
}

static void res_pop(struct walk *w)
{
	struct buf *p = &w->res;
	while (p->len > 0 && p->s[p->len - 1] != '/')
		p->len--;
	if (p->len > 0)
		p->len--;
	p->s[p->len] = '\0';
}

static int stack_push(struct walk *w, const struct stat *st)
{
	if (w->depth >= MAX_DEPTH)
		return -ENAMETOOLONG;
	w->stack = vg_reallocarray(w->stack, w->depth + 1, sizeof(*w->stack));
	w->stack[w->depth++] = (struct vg_devino){ st->st_dev, st->st_ino };
	return 0;
}

/* Make fd the current directory; "/" itself is shared, never closed here. */
static void set_cur(struct walk *w, int fd, const struct stat *st)
{
	if (w->cur >= 0 && w->cur != w->root)
		close(w->cur);
	w->cur = fd;
	w->cur_known = st != NULL;
	if (st)
		w->cur_st = *st;
}

static int reset_to_root(struct walk *w)
{
	set_cur(w, w->root, &w->root_st);
	w->res.len = 0;
	w->res.s[0] = '\0';
	w->depth = 0;
	w->foreign = false;
	return stack_push(w, &w->root_st);
}

/* Replace the to-do list with `target` + "/" + rest; no slash when nothing followed the link
 * (a trailing slash did follow: it makes the target a directory, as for the kernel). */
static int todo_prepend(struct walk *w, const char *target, size_t tlen, bool more)
{
	size_t rest = w->todo.len - w->pos;
	struct buf n = { 0 };

	if (tlen + 1 + rest > TODO_MAX)
		return -ENAMETOOLONG;
	buf_append(&n, target, tlen);
	if (more)
		buf_append(&n, "/", 1);
	buf_append(&n, w->todo.s + w->pos, rest);
	free(w->todo.s);
	w->todo = n;
	w->pos = 0;
	return 0;
}

static bool fd_is_procfs(int fd)
{
	struct statfs sf;
	return fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

/* The physical chain above fd, by "..": used only after entering another process's root. */
static void physical_ancestors(int fd, struct vg_devino **ret, size_t *n)
{
	_cleanup_close_ int cur = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	struct stat st, up;

	*n = 0;
	if (cur < 0 || fstat(cur, &st) < 0)
		return;
	for (unsigned depth = 0; depth < MAX_DEPTH; depth++) {
		int p = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (p < 0)
			return;
		close(cur);
		cur = p;
		if (fstat(cur, &up) < 0 || (up.st_dev == st.st_dev && up.st_ino == st.st_ino))
			return;
		*ret = vg_reallocarray(*ret, *n + 1, sizeof(**ret));
		(*ret)[(*n)++] = (struct vg_devino){ up.st_dev, up.st_ino };
		st = up;
	}
}

/* /proc/PID/root: our own root is "/"; another is followed by descriptor, or is "/" when it
 * cannot be opened (the process is gone, ptrace rules): its target is unknown, "/" is the worst
 * case. */
static int proc_root(struct walk *w, const char *name, size_t n, bool more)
{
	struct stat t;
	int fd, r;

	if (fstatat(w->cur, name, &t, 0) == 0 && t.st_dev == w->root_st.st_dev &&
	    t.st_ino == w->root_st.st_ino) {
		r = todo_prepend(w, "/", 1, true);
		return r < 0 ? r : reset_to_root(w);
	}
	fd = openat(w->cur, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = todo_prepend(w, "/", 1, true);
		return r < 0 ? r : reset_to_root(w);
	}
	r = fstat(fd, &t) < 0 ? -errno : stack_push(w, &t);
	if (r < 0) {
		close(fd); /* and keep stack_push's -ENAMETOOLONG, not a bare -EIO */
		return r;
	}
	set_cur(w, fd, &t);
	res_push(w, name, n);
	w->foreign = true;
	(void)more;
	return 0;
}

int vg_resolve_at(int rootfd, const char *path, const char *base, struct vg_resolved *ret,
		  struct vg_error *e)
{
	struct walk w = { .root = -1, .cur = -1, .parent = -1 };
	size_t virt = 0;
	unsigned links = 0;
	bool final_nondir = false;
	struct stat st;
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->fd = ret->parent_fd = -1;
	if (!path || !*path)
		return vg_error_set(e, EINVAL, "empty path");
	if (strlen(path) > TODO_MAX)
		return vg_error_set(e, ENAMETOOLONG, "path too long");
	if (path[0] != '/' && (!base || base[0] != '/'))
		return vg_error_set(e, EINVAL, "'%s' is not an absolute path", path);

	w.own_root = rootfd < 0;
	w.root = rootfd >= 0 ? rootfd : open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w.root < 0 || fstat(w.root, &w.root_st) < 0) {
		r = vg_error_errno(e, errno, "cannot open /");
		goto out;
	}
	buf_reserve(&w.res, 64);
	if ((r = reset_to_root(&w)) < 0) {
		r = vg_error_set(e, -r, "%s: too deep", path);
		goto out;
	}
	if (path[0] != '/') {
		buf_append(&w.todo, base, strlen(base));
		buf_append(&w.todo, "/", 1);
	}
	buf_append(&w.todo, path, strlen(path));

	while (w.pos < w.todo.len) {
		const char *name = w.todo.s + w.pos;
		size_t n = strcspn(name, "/");
		char cname[NAME_MAX + 1];
		bool more;
		int fd;

		w.pos += n;
		if (w.pos < w.todo.len)
			w.pos++; /* the slash */
		more = w.pos < w.todo.len || (n > 0 && name[n] == '/');
		if (n == 0 || (n == 1 && name[0] == '.'))
			continue;
		if (final_nondir) {
			r = vg_error_set(e, ENOTDIR, "%s: '%s' is not a directory", path, w.res.s);
			goto out;
		}
		if (n > NAME_MAX) {
			r = vg_error_set(e, ENAMETOOLONG, "%s: a component is too long", path);
			goto out;
		}
		if (n == 2 && name[0] == '.' && name[1] == '.') {
			if (virt > 0) {
				virt--; /* within the missing tail: lexical */
				res_pop(&w);
				continue;
			}
			if (w.depth == 1 && !w.foreign)
				continue; /* ".." of "/" is "/" */
			fd = openat(w.cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0) {
				r = vg_error_errno(e, errno, "%s: cannot open '%s/..'", path, w.res.s);
				goto out;
			}
			set_cur(&w, fd, NULL);
			res_pop(&w);
			if (w.depth > 1)
				w.depth--;
			continue;
		}
		memcpy(cname, name, n);
		cname[n] = '\0';
		if (virt > 0) {
			virt++;
			res_push(&w, cname, n);
			continue;
		}
		fd = openat(w.cur, cname, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT) {
				virt = 1; /* the path that would be created from here */
				res_push(&w, cname, n);
				continue;
			}
			r = vg_error_errno(e, errno, "%s: cannot look up '%s/%s'", path, w.res.s, cname);
			goto out;
		}
		if (fstat(fd, &st) < 0) {
			r = vg_error_errno(e, errno, "%s: fstat '%s/%s'", path, w.res.s, cname);
			close(fd);
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			set_cur(&w, fd, &st);
			res_push(&w, cname, n);
			if ((r = stack_push(&w, &st)) < 0) {
				r = vg_error_set(e, -r, "%s: too deep", path);
				goto out;
			}
			continue;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t tl = readlinkat(fd, "", target, sizeof(target) - 1);
			int err = errno;

			close(fd);
			if (++links > VG_RESOLVE_MAX_SYMLINKS) {
				r = vg_error_set(e, ELOOP, "%s: more than %d symbolic links (a loop?)",
						 path, VG_RESOLVE_MAX_SYMLINKS);
				goto out;
			}
			if (strcmp(cname, "root") == 0 && fd_is_procfs(w.cur)) {
				if ((r = proc_root(&w, cname, n, more)) < 0) {
					r = vg_error_errno(e, -r, "%s: /proc/.../root", path);
					goto out;
				}
				continue;
			}
			if (tl <= 0) {
				r = vg_error_errno(e, tl < 0 ? err : ENOENT,
						   "%s: cannot read link '%s/%s'", path, w.res.s, cname);
				goto out;
			}
			if (todo_prepend(&w, target, (size_t)tl, more) < 0)
				goto toolong;
			/* Absolute links resolve against the mounter's root: ours. */
			if (target[0] == '/' && (r = reset_to_root(&w)) < 0) {
				r = vg_error_set(e, -r, "%s: too deep", path);
				goto out;
			}
			continue;
		}
		/* A file, socket, FIFO or device: it must be the last component. */
		if (more) {
			close(fd);
			r = vg_error_set(e, ENOTDIR, "%s: '%s/%s' is not a directory", path, w.res.s,
					 cname);
			goto out;
		}
		/* The directory stays open as the parent; "/" is duplicated to be handed out. */
		w.parent = w.cur == w.root ? fcntl(w.root, F_DUPFD_CLOEXEC, 3) : w.cur;
		w.cur = fd;
		w.cur_st = st;
		w.cur_known = true;
		res_push(&w, cname, n);
		final_nondir = true;
	}

	if (w.cur_known)
		st = w.cur_st;
	else if (fstat(w.cur, &st) < 0) {
		r = vg_error_errno(e, errno, "fstat");
		goto out;
	}
	if (w.cur == w.root) {
		/* The result is "/" itself: hand out a descriptor of our own. */
		w.cur = fcntl(w.root, F_DUPFD_CLOEXEC, 3);
		if (w.cur < 0) {
			r = vg_error_errno(e, errno, "dup");
			goto out;
		}
	}
	ret->path = w.res.len ? TAKE_PTR(w.res.s) : vg_strdup("/");
	ret->dev = st.st_dev;
	ret->ino = st.st_ino;
	ret->mode = st.st_mode;
	ret->exists = virt == 0;
	ret->foreign_root = w.foreign;
	ret->symlinks = links;
	if (w.foreign) {
		physical_ancestors(final_nondir ? w.parent : w.cur, &ret->anc, &ret->n_anc);
		if (final_nondir && fstat(w.parent, &st) == 0) {
			ret->anc = vg_reallocarray(ret->anc, ret->n_anc + 1, sizeof(*ret->anc));
			ret->anc[ret->n_anc++] = (struct vg_devino){ st.st_dev, st.st_ino };
		}
	} else {
		/* Everything walked but the deepest existing component itself. */
		ret->n_anc = final_nondir ? w.depth : w.depth - 1;
		ret->anc = TAKE_PTR(w.stack);
	}
	ret->fd = TAKE_FD(w.cur);
	ret->parent_fd = TAKE_FD(w.parent);
	r = 0;
	goto out;

toolong:
	r = vg_error_set(e, ENAMETOOLONG, "%s: path too long after following links", path);
out:
	if (w.cur >= 0 && w.cur != w.root)
		close(w.cur);
	if (w.parent >= 0)
		close(w.parent);
	if (w.root >= 0 && w.own_root)
		close(w.root);
	free(w.res.s);
	free(w.todo.s);
	free(w.stack);
	return r;
}

int vg_resolve(const char *path, const char *base, struct vg_resolved *ret, struct vg_error *e)
{
	return vg_resolve_at(-1, path, base, ret, e);
}

void vg_resolved_free(struct vg_resolved *r)
{
	free(r->path);
	free(r->anc);
	if (r->fd >= 0)
		close(r->fd);
	if (r->parent_fd >= 0)
		close(r->parent_fd);
	memset(r, 0, sizeof(*r));
	r->fd = r->parent_fd = -1;
}
