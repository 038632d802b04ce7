/*
 * The policy applied to each entry of a volume. The rules (DESIGN.md) as this file keeps them:
 * - MUST read without a descriptor (statx, getxattrat) and open only what must change, as
 *   O_PATH, re-checked against what was read (walk.c's vg_walk_open_entry).
 * - MUST compare before every write: a pass over a correct tree changes no ctime.
 * - MUST NOT change a non-directory with more than one link, a device, a symlink, or anything
 *   on another mount; MUST NOT restore setuid/setgid bits or file capabilities after a chown.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "fixer.h"
#include "walk.h"

#define PROGRESS_EVERY 8192

void vg_tree_policy_init(struct vg_tree_policy *p, const struct vg_members *m)
{
	unsigned mask = 0;

	memset(p, 0, sizeof(*p));
	if (m->n == 1) {
		p->root_uid = m->v[0].uid;
		p->root_gid = m->v[0].gid;
	}
	if (m->n >= 2)
		for (size_t i = 0; i < m->n; i++)
			if (m->v[i].uid != UINT32_MAX)
				(void)vg_acl_policy_add(&p->acl, m->v[i].uid, m->v[i].ro);
	vg_acl_expected_fixed(&p->acl, &p->dflt);
	p->root = p->dflt;
	for (size_t i = 0; i < p->acl.n; i++)
		mask |= p->acl.v[i].ro ? 5 : 7;
	p->root_mode = 0700 | (mode_t)(mask << 3);
}

struct pool;

struct fixer {
	const char *volume;
	const struct vg_tree_policy *p;
	const struct vg_fix_opts *o;
	struct vg_fix_stats *st;
	struct vg_error *e;
	struct pool *pool;  /* NULL: one thread */
	const char *prefix; /* a worker's subtree, for paths in events */
};

/*
 * With o->jobs > 1 the top-level directories of _data are handed to worker threads, one
 * subtree each, through a bounded queue: each worker runs its own walk (its own bounded set
 * of descriptors), the walk of _data itself stays in the caller. Events and progress are
 * serialized; counts are merged at the end.
 */
#define QUEUE_SIZE 8
#define MAX_JOBS   8

struct job {
	int fd;
	char *name;
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct job q[QUEUE_SIZE];
	size_t head, n;
	bool done;
	uint64_t seen; /* every thread's, for progress */
	int fatal;     /* the first walk that had to stop */
	struct vg_error fatal_e;
	struct fixer workers[MAX_JOBS];
	struct vg_fix_stats stats[MAX_JOBS];
	struct vg_error errors[MAX_JOBS];
};

static void event(struct fixer *f, enum vg_fix_event_kind kind, const char *path, const char *fmt,
		  ...) __attribute__((format(printf, 4, 5)));
static void event(struct fixer *f, enum vg_fix_event_kind kind, const char *path, const char *fmt,
		  ...)
{
	char msg[512];
	va_list ap;

	char *full = NULL;

	if (kind == VG_FIX_ERROR)
		f->st->errors++;
	if (!f->o->event)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (f->prefix && path)
		path = full = vg_asprintf("%s/%s", f->prefix, path);
	if (f->pool)
		pthread_mutex_lock(&f->pool->mu);
	f->o->event(&(struct vg_fix_event){ kind, f->volume, path, msg }, f->o->data);
	if (f->pool)
		pthread_mutex_unlock(&f->pool->mu);
	free(full);
}

static void progress(struct fixer *f)
{
	struct vg_fix_stats total;

	if (!f->pool) {
		f->o->progress(f->volume, f->st, f->o->data);
		return;
	}
	pthread_mutex_lock(&f->pool->mu);
	f->pool->seen += PROGRESS_EVERY;
	total = (struct vg_fix_stats){ .seen = f->pool->seen };
	f->o->progress(f->volume, &total, f->o->data);
	pthread_mutex_unlock(&f->pool->mu);
}

static bool expected_id(const struct vg_tree_policy *p, uint32_t id)
{
	for (size_t i = 0; i < p->n_ranges; i++)
		if (id >= p->ranges[i][0] && id - p->ranges[i][0] < p->ranges[i][1])
			return true;
	return false;
}

/* The ID an owner or ACL qualifier must have: moved by --shift-from (or the copy-up), or made
 * container-relative by --to-idmap. */
static uint32_t shift_id(const struct vg_tree_policy *p, uint32_t id)
{
	if (p->to_idmap) {
		for (size_t i = 0; i < p->n_unshift; i++)
			if (id >= p->unshift[i][0] && id - p->unshift[i][0] < p->unshift[i][1])
				return (uint32_t)(id - p->unshift[i][0]);
		return id;
	}
	if (!p->shift || id < p->shift_from || id - p->shift_from >= p->shift_size)
		return id;
	return (uint32_t)(p->shift_to + (id - p->shift_from));
}

static uint32_t map_qualifier(uint32_t id, const void *data)
{
	return shift_id(data, id);
}

/* Owned by an ID a member cannot see: outside every member's range (shift model), or not
 * container-relative after the conversion (idmap model: it would show as nobody). */
static bool foreign_owner(const struct vg_tree_policy *p, const struct statx *stx)
{
	uint32_t uid = shift_id(p, stx->stx_uid), gid = shift_id(p, stx->stx_gid);

	if (p->to_idmap)
		return uid >= p->idmap_size || gid >= p->idmap_size;
	return p->n_ranges && (!expected_id(p, uid) || !expected_id(p, gid));
}

/* What an entry needs, computed from its state (stx, its ACLs) and the policy. */
struct plan {
	uint32_t uid, gid;
	bool owner, access, dflt;
	bool strip; /* copy-up: setuid/setgid bits or security.capability to clear */
	bool has_cap;
	struct vg_acl_blob want;
	const struct vg_acl_blob *want_dflt; /* the policy's, or dflt_buf (--to-idmap) */
	struct vg_acl_blob dflt_buf;
};

#define XATTR_CAPS "security.capability"

static bool has_privs(const struct statx *stx, bool has_cap)
{
	return !S_ISDIR(stx->stx_mode) && (has_cap || (stx->stx_mode & (S_ISUID | S_ISGID)));
}

static ssize_t read_acl(int fd, bool path_fd, const char *xname, uint8_t *buf, bool *bad)
{
	ssize_t n = vg_acl_read(fd, path_fd, xname, buf, VG_ACL_MAX_SIZE);

	*bad = n == -ERANGE;
	return n == -ERANGE ? 0 : n;
}

static int plan_entry(const struct vg_tree_policy *p, const struct statx *stx, const uint8_t *acc,
		      ssize_t acc_len, bool acc_bad, const uint8_t *dfl, ssize_t dfl_len,
		      bool dfl_bad, bool has_cap, struct plan *pl)
{
	bool is_dir = S_ISDIR(stx->stx_mode);

	pl->uid = shift_id(p, stx->stx_uid);
	pl->gid = shift_id(p, stx->stx_gid);
	pl->owner = pl->uid != stx->stx_uid || pl->gid != stx->stx_gid;
	pl->want_dflt = &p->dflt;
	if (p->to_idmap) {
		/* The entry's own ACLs, their qualifiers mapped (the caller refused an ACL too
		 * long to read). */
		(void)vg_acl_map_ids(acc, (size_t)acc_len, map_qualifier, p, &pl->want);
		pl->access = !vg_acl_equal(acc, (size_t)acc_len, &pl->want);
		pl->dflt = false;
		if (is_dir) {
			(void)vg_acl_map_ids(dfl, (size_t)dfl_len, map_qualifier, p, &pl->dflt_buf);
			pl->want_dflt = &pl->dflt_buf;
			pl->dflt = !vg_acl_equal(dfl, (size_t)dfl_len, &pl->dflt_buf);
		}
		pl->has_cap = has_cap;
		pl->strip = false;
		return pl->owner || pl->access || pl->dflt;
	}
	vg_acl_expected_access(&p->acl, is_dir, acc, acc_bad ? 0 : (size_t)acc_len, stx->stx_mode,
			       &pl->want);
	pl->access = acc_bad || !vg_acl_equal(acc, (size_t)acc_len, &pl->want);
	pl->dflt = is_dir && (dfl_bad || !vg_acl_equal(dfl, (size_t)dfl_len, &p->dflt));
	pl->has_cap = has_cap;
	pl->strip = p->strip_privs && has_privs(stx, has_cap);
	return pl->owner || pl->access || pl->dflt || pl->strip;
}

static void describe(const struct plan *pl, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s", pl->owner ? "owner " : "", pl->access ? "acl " : "",
		 pl->dflt ? "default-acl " : "", pl->strip ? "setuid/setgid/capabilities " : "");
	if (buf[0])
		buf[strlen(buf) - 1] = '\0';
}

/* Change one entry through `fd` (the directory's own fd, or a re-checked O_PATH fd). */
static int apply(struct fixer *f, int fd, bool path_fd, const struct statx *now,
		 const struct plan *pl, const char *path)
{
	char proc[64];
	int r;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (pl->owner) {
		mode_t m = now->stx_mode & 07777;
		/* Drop setuid/setgid before the owner changes, and never put them back: a
		 * setuid-root file must not become setuid-anyone. chown also drops
		 * security.capability; nothing here restores it. */
		if (!S_ISDIR(now->stx_mode) && (m & (S_ISUID | S_ISGID)) &&
		    chmod(proc, m & ~(mode_t)(S_ISUID | S_ISGID)) < 0)
			return vg_error_errno(f->e, errno, "chmod");
		if (fchownat(fd, "", pl->uid, pl->gid, AT_EMPTY_PATH) < 0)
			return vg_error_errno(f->e, errno, "chown to %u:%u", pl->uid, pl->gid);
	}
	if (pl->strip) {
		/* Copy-up: an image's setuid-root binary or file capability must not land in the
		 * host volume as it was, whoever owns it. */
		mode_t m = now->stx_mode & 07777 & ~(mode_t)(S_ISUID | S_ISGID);
		if ((now->stx_mode & (S_ISUID | S_ISGID)) && chmod(proc, m) < 0)
			return vg_error_errno(f->e, errno, "chmod");
		if (pl->has_cap && removexattr(proc, XATTR_CAPS) < 0 && errno != ENODATA)
			return vg_error_errno(f->e, errno, "cannot remove %s", XATTR_CAPS);
	}
	if (pl->access) {
		r = vg_acl_write(fd, path_fd, VG_XATTR_ACL_ACCESS, &pl->want, f->e);
		if (r < 0)
			return r;
	}
	if (pl->dflt) {
		r = vg_acl_write(fd, path_fd, VG_XATTR_ACL_DEFAULT, pl->want_dflt, f->e);
		if (r < 0)
			return r;
	}
	(void)path;
	return 0;
}

static int visit(const struct vg_walk_entry *ent, void *data)
{
	struct fixer *f = data;
	const struct vg_tree_policy *p = f->p;
	struct vg_fix_stats *st = f->st;
	uint8_t acc[VG_ACL_MAX_SIZE], dfl[VG_ACL_MAX_SIZE];
	ssize_t acc_len = 0, dfl_len = 0;
	bool acc_bad = false, dfl_bad = false, is_dir, has_cap = false;
	struct plan pl;
	char what[64];
	int r;

	if (++st->seen % PROGRESS_EVERY == 0 && f->o->progress)
		progress(f);
	switch (ent->skip) {
	case VG_WALK_VISIT:
		break;
	case VG_WALK_SYMLINK:
		st->symlinks++;
		return 0;
	case VG_WALK_MOUNT:
		st->mounts++;
		event(f, VG_FIX_SKIP, ent->path, "another mount: not entered, not changed");
		return 0;
	case VG_WALK_DEVICE:
		st->devices++;
		event(f, VG_FIX_SKIP, ent->path, "device node: never opened, never changed");
		return 0;
	case VG_WALK_RACED:
		event(f, VG_FIX_ERROR, ent->path, "changed while it was being walked; left alone");
		return 0;
	case VG_WALK_ERROR:
		event(f, VG_FIX_ERROR, ent->path, "%s", strerror(ent->err));
		return 0;
	}
	is_dir = ent->fd >= 0;
	if (is_dir) {
		acc_len = read_acl(ent->fd, false, VG_XATTR_ACL_ACCESS, acc, &acc_bad);
		if (acc_len >= 0)
			dfl_len = read_acl(ent->fd, false, VG_XATTR_ACL_DEFAULT, dfl, &dfl_bad);
	} else if (!f->o->dry_run && ent->stx.stx_nlink == 1 &&
		   (shift_id(p, ent->stx.stx_uid) != ent->stx.stx_uid ||
		    shift_id(p, ent->stx.stx_gid) != ent->stx.stx_gid)) {
		/* It changes anyway: its ACL is read once, through the descriptor, below. */
		acc_len = 0;
	} else {
		acc_len =
		    vg_getxattrat(ent->dirfd, ent->name, VG_XATTR_ACL_ACCESS, acc, sizeof(acc));
		if (acc_len == -ENODATA || acc_len == -ENOTSUP || acc_len == -EOPNOTSUPP)
			acc_len = 0;
		acc_bad = acc_len == -ERANGE;
		if (acc_bad)
			acc_len = 0;
	}
	if (acc_len < 0 || dfl_len < 0) {
		event(f, VG_FIX_ERROR, ent->path, "cannot read its ACL: %s",
		      strerror((int)-(acc_len < 0 ? acc_len : dfl_len)));
		return 0;
	}
	if (p->strip_privs && !is_dir)
		has_cap = vg_getxattrat(ent->dirfd, ent->name, XATTR_CAPS, NULL, 0) > 0;
	if (p->to_idmap && (acc_bad || dfl_bad)) {
		event(f, VG_FIX_ERROR, ent->path, "its ACL is too long to be mapped; left alone");
		return 0;
	}
	if (foreign_owner(p, &ent->stx)) {
		st->foreign++;
		event(f, VG_FIX_SKIP, ent->path, "owner %u:%u is %s: owner kept", ent->stx.stx_uid,
		      ent->stx.stx_gid,
		      p->to_idmap ? "in no registered range and not container-relative"
				  : "outside every member's range");
	}
	if (!plan_entry(p, &ent->stx, acc, acc_len, acc_bad, dfl, dfl_len, dfl_bad, has_cap, &pl))
		return 0;
	describe(&pl, what, sizeof(what));
	if (!is_dir && ent->stx.stx_nlink > 1) {
		/* A hard link may be the other name of a file outside the volume. */
		st->hardlinks++;
		event(f, VG_FIX_SKIP, ent->path, "has %u hard links: %s not changed",
		      ent->stx.stx_nlink, what);
		return 0;
	}
	if (f->o->dry_run) {
		st->changed++;
		event(f, VG_FIX_CHANGE, ent->path, "would change %s", what);
		return 0;
	}
	if (is_dir) {
		r = apply(f, ent->fd, false, &ent->stx, &pl, ent->path);
	} else {
		struct statx now;
		_cleanup_close_ int fd = vg_walk_open_entry(ent, &now, f->e);
		if (fd < 0) {
			event(f, VG_FIX_ERROR, ent->path, "%s", f->e->msg);
			return 0;
		}
		/* Plan again from what the descriptor shows: the name may have pointed elsewhere
		 * for a moment while it was read. */
		acc_len = read_acl(fd, true, VG_XATTR_ACL_ACCESS, acc, &acc_bad);
		if (acc_len >= 0 && acc_bad && p->to_idmap) {
			event(f, VG_FIX_ERROR, ent->path,
			      "its ACL is too long to be mapped; left alone");
			return 0;
		}
		if (acc_len < 0) {
			event(f, VG_FIX_ERROR, ent->path, "cannot read its ACL: %s",
			      strerror((int)-acc_len));
			return 0;
		}
		if (p->strip_privs) {
			char proc[64];
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
			has_cap = getxattr(proc, XATTR_CAPS, NULL, 0) > 0;
		}
		if (!plan_entry(p, &now, acc, acc_len, acc_bad, NULL, 0, false, has_cap, &pl))
			return 0;
		describe(&pl, what, sizeof(what));
		r = apply(f, fd, true, &now, &pl, ent->path);
	}
	if (r < 0) {
		event(f, VG_FIX_ERROR, ent->path, "%s", f->e->msg);
		return 0;
	}
	st->changed++;
	event(f, VG_FIX_CHANGE, ent->path, "changed %s", what);
	return 0;
}

static void *worker(void *arg)
{
	struct fixer *f = arg;
	struct pool *pool = f->pool;

	for (;;) {
		struct vg_error e = { 0 };
		struct job j;
		int r;

		pthread_mutex_lock(&pool->mu);
		while (pool->n == 0 && !pool->done)
			pthread_cond_wait(&pool->cond, &pool->mu);
		if (pool->n == 0) {
			pthread_mutex_unlock(&pool->mu);
			return NULL;
		}
		j = pool->q[pool->head];
		pool->head = (pool->head + 1) % QUEUE_SIZE;
		pool->n--;
		pthread_cond_broadcast(&pool->cond);
		pthread_mutex_unlock(&pool->mu);

		f->prefix = j.name;
		r = vg_walk(j.fd, visit, f, &e);
		close(j.fd);
		if (r < 0) {
			pthread_mutex_lock(&pool->mu);
			if (!pool->fatal) {
				pool->fatal = r;
				vg_error_set(&pool->fatal_e, r, "%s/%s", j.name, e.msg);
			}
			pthread_mutex_unlock(&pool->mu);
		}
		free(j.name);
	}
}

/* The walk of _data in the caller: entries as usual, then each top-level directory to a
 * worker instead of entering it. */
static int dispatch(const struct vg_walk_entry *ent, void *data)
{
	struct fixer *f = data;
	struct pool *pool = f->pool;
	int r = visit(ent, f), fd;

	if (r != 0 || ent->fd < 0 || ent->depth != 1)
		return r;
	fd = fcntl(ent->fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		event(f, VG_FIX_ERROR, ent->path, "dup: %s", strerror(errno));
		return 1;
	}
	pthread_mutex_lock(&pool->mu);
	while (pool->n == QUEUE_SIZE)
		pthread_cond_wait(&pool->cond, &pool->mu);
	pool->q[(pool->head + pool->n) % QUEUE_SIZE] = (struct job){ fd, vg_strdup(ent->name) };
	pool->n++;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->mu);
	return 1; /* a worker walks it */
}

void vg_fix_stats_add(struct vg_fix_stats *t, const struct vg_fix_stats *s)
{
	t->seen += s->seen;
	t->changed += s->changed;
	t->errors += s->errors;
	t->symlinks += s->symlinks;
	t->mounts += s->mounts;
	t->hardlinks += s->hardlinks;
	t->devices += s->devices;
	t->foreign += s->foreign;
}

static int fix_parallel(int data_fd, struct fixer *f, unsigned jobs, struct vg_error *e)
{
	_cleanup_free_ struct pool *pool = vg_malloc0(sizeof(*pool));
	pthread_t tid[MAX_JOBS];
	unsigned started = 0;
	int r;

	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->cond, NULL);
	f->pool = pool;
	for (unsigned i = 0; i < jobs; i++) {
		pool->workers[i] = *f;
		pool->workers[i].st = &pool->stats[i];
		pool->workers[i].e = &pool->errors[i];
		if (pthread_create(&tid[i], NULL, worker, &pool->workers[i]) != 0)
			break;
		started++;
	}
	if (started == 0) {
		f->pool = NULL;
		return vg_walk(data_fd, visit, f, e);
	}
	r = vg_walk(data_fd, dispatch, f, e);
	pthread_mutex_lock(&pool->mu);
	pool->done = true;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->mu);
	for (unsigned i = 0; i < started; i++) {
		pthread_join(tid[i], NULL);
		vg_fix_stats_add(f->st, &pool->stats[i]);
	}
	/* Left in the queue only if the caller's walk stopped early and no worker ran. */
	for (; pool->n > 0; pool->n--, pool->head = (pool->head + 1) % QUEUE_SIZE) {
		close(pool->q[pool->head].fd);
		free(pool->q[pool->head].name);
	}
	pthread_cond_destroy(&pool->cond);
	pthread_mutex_destroy(&pool->mu);
	f->pool = NULL;
	if (r == 0 && pool->fatal) {
		*e = pool->fatal_e;
		r = pool->fatal;
	}
	return r;
}

int vg_fix_tree(int data_fd, const char *volume, const struct vg_tree_policy *p,
		const struct vg_fix_opts *o, struct vg_fix_stats *st, struct vg_error *e)
{
	struct vg_error inner = { 0 };
	struct fixer f = { volume, p, o, st, &inner, NULL, NULL };
	unsigned jobs = o->jobs > MAX_JOBS ? MAX_JOBS : o->jobs;
	int r;

	if (jobs > 1)
		r = fix_parallel(data_fd, &f, jobs, e);
	else
		r = vg_walk(data_fd, visit, &f, e);
	if (o->progress)
		o->progress(volume, st, o->data);
	return r;
}

/* --to-idmap on _data itself: the same plan as any directory below it. */
static int root_to_idmap(int data_fd, const struct vg_tree_policy *p, bool dry_run,
			 const uint8_t *acc, ssize_t acc_len, const uint8_t *dfl, ssize_t dfl_len,
			 struct vg_error *e)
{
	struct vg_fix_opts o = { .dry_run = dry_run };
	struct vg_fix_stats st = { 0 };
	struct fixer f = { "", p, &o, &st, e, NULL, NULL };
	struct statx stx;
	struct plan pl;
	int r;

	if (statx(data_fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0)
		return vg_error_errno(e, errno, "_data: statx");
	if (!plan_entry(p, &stx, acc, acc_len, false, dfl, dfl_len, false, false, &pl))
		return 0;
	if (dry_run)
		return 1;
	r = apply(&f, data_fd, false, &stx, &pl, ".");
	return r < 0 ? r : 1;
}

int vg_fix_data_root(int data_fd, const struct vg_tree_policy *p, bool dry_run, struct vg_error *e)
{
	uint8_t acc[VG_ACL_MAX_SIZE], dfl[VG_ACL_MAX_SIZE];
	bool acc_bad, dfl_bad, owner, access, dflt, mode;
	ssize_t acc_len, dfl_len;
	struct stat st;
	int r;

	if (fstat(data_fd, &st) < 0)
		return vg_error_errno(e, errno, "_data: fstat");
	acc_len = read_acl(data_fd, false, VG_XATTR_ACL_ACCESS, acc, &acc_bad);
	dfl_len = read_acl(data_fd, false, VG_XATTR_ACL_DEFAULT, dfl, &dfl_bad);
	if (acc_len < 0 || dfl_len < 0)
		return vg_error_errno(e, (int)-(acc_len < 0 ? acc_len : dfl_len),
				      "_data: cannot read its ACL");
	if (p->to_idmap && (acc_bad || dfl_bad))
		return vg_error_set(e, E2BIG, "_data: its ACL is too long to be mapped");
	if (p->to_idmap)
		return root_to_idmap(data_fd, p, dry_run, acc, acc_len, dfl, dfl_len, e);
	owner = st.st_uid != p->root_uid || st.st_gid != p->root_gid;
	access = acc_bad || !vg_acl_equal(acc, (size_t)acc_len, &p->root);
	dflt = dfl_bad || !vg_acl_equal(dfl, (size_t)dfl_len, &p->dflt);
	mode = (st.st_mode & 07777) != p->root_mode;
	if (!owner && !access && !dflt && !mode)
		return 0;
	if (dry_run)
		return 1;
	/* Narrow first (old & new), then the owner, then the final mode and ACLs, as
	 * systemd-tmpfiles does: no moment where the new owner sees a wider mode. */
	if (mode && fchmod(data_fd, st.st_mode & p->root_mode & 07777) < 0)
		return vg_error_errno(e, errno, "_data: chmod");
	if (owner && fchown(data_fd, p->root_uid, p->root_gid) < 0)
		return vg_error_errno(e, errno, "_data: chown to %u:%u", p->root_uid, p->root_gid);
	if (fchmod(data_fd, p->root_mode) < 0)
		return vg_error_errno(e, errno, "_data: chmod");
	r = vg_acl_write(data_fd, false, VG_XATTR_ACL_ACCESS, &p->root, e);
	if (r < 0)
		return r;
	r = vg_acl_write(data_fd, false, VG_XATTR_ACL_DEFAULT, &p->dflt, e);
	if (r < 0)
		return r;
	return 1;
}

/* ---- the copy-up scan (check phase: reads only) ---- */

struct scan {
	const char *what;
	struct vg_error *e;
};

static int scan_visit(const struct vg_walk_entry *ent, void *data)
{
	struct scan *sc = data;
	bool has_cap;

	if (ent->skip == VG_WALK_DEVICE)
		return vg_error_set(sc->e, VG_EREFUSED,
				    "%s/%s is a device node (copied from the image?): refused, a "
				    "device in a volume is a door for every later reader",
				    sc->what, ent->path);
	if (ent->skip != VG_WALK_VISIT || ent->fd >= 0 || ent->stx.stx_nlink <= 1)
		return 0;
	has_cap = vg_getxattrat(ent->dirfd, ent->name, XATTR_CAPS, NULL, 0) > 0;
	if (has_privs(&ent->stx, has_cap))
		return vg_error_set(sc->e, VG_EREFUSED,
				    "%s/%s is setuid, setgid or has file capabilities and %u hard "
				    "links: its privileges cannot be cleared without changing its "
				    "other names; refused",
				    sc->what, ent->path, ent->stx.stx_nlink);
	return 0;
}

int vg_copyup_scan(int data_fd, const char *what, struct vg_error *e)
{
	struct scan sc = { what, e };

	return vg_walk(data_fd, scan_visit, &sc, e);
}
