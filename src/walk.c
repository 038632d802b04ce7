/* The bounded, fd-based tree walk (see walk.h for the rules it keeps). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "walk.h"

int vg_fd_mnt_id(int fd, uint64_t *ret, struct stat *ret_st)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_MNT_ID,
		  &stx) < 0)
		return -errno;
	if (!(stx.stx_mask & STATX_MNT_ID))
		return -ENOTSUP;
	*ret = stx.stx_mnt_id;
	if (ret_st) {
		if (fstat(fd, ret_st) < 0)
			return -errno;
	}
	return 0;
}

static bool same_file(const struct stat *st, const struct statx *stx)
{
	return st->st_ino == stx->stx_ino && major(st->st_dev) == stx->stx_dev_major &&
	       minor(st->st_dev) == stx->stx_dev_minor &&
	       (st->st_mode & S_IFMT) == (stx->stx_mode & S_IFMT);
}

int vg_walk_open_entry(const struct vg_walk_entry *ent, struct statx *ret_now, struct vg_error *e)
{
	_cleanup_close_ int fd = -1;
	struct statx now;
	uint64_t mnt_id = ent->root_mnt_id;

	fd = openat(ent->dirfd, ent->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vg_error_errno(e, errno, "%s: open", ent->path);
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_MNT_ID,
		  &now) < 0)
		return vg_error_errno(e, errno, "%s: statx", ent->path);
	if (now.stx_ino != ent->stx.stx_ino || now.stx_dev_major != ent->stx.stx_dev_major ||
	    now.stx_dev_minor != ent->stx.stx_dev_minor ||
	    (now.stx_mode & S_IFMT) != (ent->stx.stx_mode & S_IFMT) || now.stx_mnt_id != mnt_id ||
	    (!S_ISDIR(now.stx_mode) && now.stx_nlink > 1))
		return vg_error_set(e, ESTALE, "%s: changed while it was being fixed; left alone",
				    ent->path);
	*ret_now = now;
	return TAKE_FD(fd);
}

struct level {
	uint64_t ino;
	dev_t dev;
	int fd;		 /* -1 when evicted */
	uint64_t cookie; /* d_off after the last entry consumed: where to seek back to */
	size_t bpos, blen;
	bool eof;
	size_t path_len;
};

struct walker {
	struct level *lv;
	size_t depth, cap;
	char *bufs[VG_WALK_MAX_FDS];
	char *path;
	size_t path_cap;
	uint64_t mnt_id;
};

static void walker_free(struct walker *w)
{
	for (size_t i = 0; i < w->depth; i++)
		if (w->lv[i].fd >= 0)
			close(w->lv[i].fd);
	for (size_t i = 0; i < VG_WALK_MAX_FDS; i++)
		free(w->bufs[i]);
	free(w->lv);
	free(w->path);
}

static char *slot(struct walker *w, size_t level)
{
	size_t i = level % VG_WALK_MAX_FDS;

	if (!w->bufs[i])
		w->bufs[i] = vg_malloc0(VG_WALK_BUF_SIZE);
	return w->bufs[i];
}

static void push(struct walker *w, int fd, const struct stat *st, size_t path_len)
{
	struct level *l;

	if (w->depth == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->lv = vg_reallocarray(w->lv, w->cap, sizeof(*w->lv));
	}
	if (w->depth >= VG_WALK_MAX_FDS) {
		/* Evict the oldest open level; its cookie says where to resume. */
		struct level *old = &w->lv[w->depth - VG_WALK_MAX_FDS];
		if (old->fd >= 0) {
			close(old->fd);
			old->fd = -1;
			old->bpos = old->blen = 0;
		}
	}
	l = &w->lv[w->depth++];
	*l = (struct level){ .ino = st->st_ino, .dev = st->st_dev, .fd = fd, .path_len = path_len };
}

/* Leave the top level; reopen its parent through ".." if it was evicted. */
static int pop(struct walker *w, struct vg_error *e)
{
	struct level *top = &w->lv[w->depth - 1];
	struct level *p = w->depth >= 2 ? &w->lv[w->depth - 2] : NULL;

	if (p && p->fd < 0) {
		_cleanup_close_ int fd =
		    openat(top->fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;

		w->path[p->path_len] = '\0';
		if (fd < 0)
			return vg_error_errno(e, errno, "%s: cannot reopen", w->path);
		if (fstat(fd, &st) < 0)
			return vg_error_errno(e, errno, "%s: fstat", w->path);
		if (st.st_ino != p->ino || st.st_dev != p->dev)
			return vg_error_set(e, ESTALE,
					    "%s: moved while it was being walked; stopped here",
					    w->path[0] ? w->path : ".");
		if (lseek(fd, (off_t)p->cookie, SEEK_SET) < 0)
			return vg_error_errno(e, errno, "%s: seek", w->path);
		p->fd = TAKE_FD(fd);
		p->bpos = p->blen = 0;
	}
	close(top->fd);
	top->fd = -1;
	w->depth--;
	return 0;
}

/* The next entry of the top level, or NULL at its end. */
static struct dirent64 *next_entry(struct walker *w, struct vg_error *e, int *r)
{
	struct level *l = &w->lv[w->depth - 1];
	char *buf = slot(w, w->depth - 1);

	*r = 0;
	for (;;) {
		struct dirent64 *d;

		if (l->bpos >= l->blen) {
			ssize_t n;
			if (l->eof)
				return NULL;
			n = getdents64(l->fd, buf, VG_WALK_BUF_SIZE);
			if (n < 0) {
				w->path[l->path_len] = '\0';
				*r = vg_error_errno(e, errno, "%s: getdents",
						    w->path[0] ? w->path : ".");
				return NULL;
			}
			if (n == 0) {
				l->eof = true;
				return NULL;
			}
			l->bpos = 0;
			l->blen = (size_t)n;
		}
		d = (struct dirent64 *)(buf + l->bpos);
		l->bpos += d->d_reclen;
		l->cookie = (uint64_t)d->d_off;
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		return d;
	}
}

static size_t set_path(struct walker *w, size_t base, const char *name)
{
	size_t n = strlen(name), need = base + 1 + n + 1;

	if (need > w->path_cap) {
		w->path_cap = need * 2;
		w->path = vg_reallocarray(w->path, w->path_cap, 1);
	}
	if (base > 0)
		w->path[base++] = '/';
	memcpy(w->path + base, name, n + 1);
	return base + n;
}

static void classify(struct walker *w, struct vg_walk_entry *ent)
{
	const struct statx *s = &ent->stx;
	struct stat st;

	if (S_ISLNK(s->stx_mode)) {
		ent->skip = VG_WALK_SYMLINK;
		return;
	}
	if (!(s->stx_mask & STATX_MNT_ID) || s->stx_mnt_id != w->mnt_id ||
	    makedev(s->stx_dev_major, s->stx_dev_minor) != w->lv[0].dev) {
		ent->skip = VG_WALK_MOUNT;
		return;
	}
	if (S_ISCHR(s->stx_mode) || S_ISBLK(s->stx_mode)) {
		ent->skip = VG_WALK_DEVICE;
		return;
	}
	if (!S_ISDIR(s->stx_mode))
		return;
	ent->fd = openat(ent->dirfd, ent->name,
			 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (ent->fd < 0) {
		/* ELOOP/ENOTDIR: it became a symlink or a file since statx. */
		ent->skip = (errno == ELOOP || errno == ENOTDIR) ? VG_WALK_RACED : VG_WALK_ERROR;
		ent->err = errno;
		return;
	}
	if (fstat(ent->fd, &st) < 0 || !same_file(&st, s)) {
		/* Swapped, or something was mounted on it since statx. */
		close(ent->fd);
		ent->fd = -1;
		ent->skip = VG_WALK_RACED;
	}
}

int vg_walk(int root_fd, vg_walk_fn fn, void *data, struct vg_error *e)
{
	struct walker w = { 0 };
	struct stat st;
	int fd, r = 0;

	r = vg_fd_mnt_id(root_fd, &w.mnt_id, &st);
	if (r < 0)
		return vg_error_errno(e, -r, "statx of the walk root");
	fd = fcntl(root_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return vg_error_errno(e, errno, "dup");
	w.path = vg_malloc0(w.path_cap = 256);
	push(&w, fd, &st, 0);

	while (w.depth > 0) {
		struct level *l = &w.lv[w.depth - 1];
		struct vg_walk_entry ent = { .fd = -1 };
		struct dirent64 *d = next_entry(&w, e, &r);
		size_t len;

		if (r < 0)
			break;
		if (!d) {
			r = pop(&w, e);
			if (r < 0)
				break;
			continue;
		}
		len = set_path(&w, l->path_len, d->d_name);
		ent.dirfd = l->fd;
		ent.name = d->d_name;
		ent.path = w.path;
		ent.depth = w.depth;
		ent.root_mnt_id = w.mnt_id;
		if (statx(l->fd, d->d_name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
			  STATX_BASIC_STATS | STATX_MNT_ID, &ent.stx) < 0) {
			if (errno == ENOENT)
				continue; /* removed since getdents: nothing to fix */
			ent.skip = VG_WALK_ERROR;
			ent.err = errno;
		} else
			classify(&w, &ent);
		r = fn(&ent, data);
		if (r < 0) {
			if (ent.fd >= 0)
				close(ent.fd);
			break;
		}
		if (ent.fd >= 0 && r == 0) {
			struct stat cst;
			if (fstat(ent.fd, &cst) < 0) {
				r = vg_error_errno(e, errno, "%s: fstat", w.path);
				close(ent.fd);
				break;
			}
			push(&w, ent.fd, &cst, len);
		} else if (ent.fd >= 0)
			close(ent.fd);
		r = 0;
	}
	walker_free(&w);
	return r;
}
