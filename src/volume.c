/*
 * Volumes: <volumes_root>/NAME/_data as Docker's local driver lays them out, their members
 * (trusted.volguard.members on NAME/), their policy and its stamp (trusted.volguard.stamp,
 * written last, after a complete pass without a failed entry; removed before anything changes,
 * so that an interrupted pass leaves no stamp).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "fixer.h"
#include "registry.h"
#include "docker_volumes.h"
#include "volume.h"
#include "volume_internal.h"
#include "walk.h"

const char *vg_members_source_name(enum vg_members_source s)
{
	switch (s) {
	case VG_MEMBERS_RECORDED:
		return "recorded";
	case VG_MEMBERS_DECLARED:
		return "declared";
	case VG_MEMBERS_DISCOVERED:
		return "discovered";
	default:
		return "none";
	}
}

static int check_root_dir(int fd, const char *what, struct vg_error *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return vg_error_errno(e, errno, "%s: fstat", what);
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return vg_error_set(e, EPERM,
				    "%s: owned by UID %u with mode %04o; it must be root's and "
				    "not writable by group or others",
				    what, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	return 0;
}

/*
 * Podman gives a new named volume to the container's root: NAME/ and _data owned by the start
 * of the range it maps (UID and GID), mode 0700. That owner is the range start of volguard's
 * pool, a principal of that very range; NAME/ stays out of every container's reach (only _data
 * is mounted). Such a NAME/ is accepted (its start is returned) and taken back by root in
 * vg_vol_reclaim when the container of that range is prepared; any other owner is refused.
 */
static uint32_t engine_owner(const struct vg_config *c, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || st.st_uid == 0 || st.st_uid != st.st_gid ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) || st.st_uid < c->pool_start ||
	    st.st_uid > c->pool_end || (st.st_uid - c->pool_start) % c->range_size != 0)
		return 0;
	return (uint32_t)st.st_uid;
}

int vg_vol_reclaim(struct vg_vol *v, uint64_t range_start, struct vg_error *e)
{
	if (!v->engine_owner)
		return 0;
	if (v->engine_owner != range_start)
		return vg_error_set(e, VG_EREFUSED,
				    "%s: owned by UID %u, the root of another range than the "
				    "container's (%llu); it must be root's",
				    v->what, (unsigned)v->engine_owner,
				    (unsigned long long)range_start);
	if (fchown(v->name_fd, 0, 0) < 0)
		return vg_error_errno(e, errno, "%s: cannot give it back to root", v->what);
	v->engine_owner = 0;
	return 0;
}

int vg_vol_open_root(const struct vg_config *c, bool create, struct vg_error *e)
{
	_cleanup_free_ char *dflt = vg_asprintf("%s/volumes", c->docker_root);
	_cleanup_close_ int fd = -1;
	int r;

	if (strcmp(dflt, c->volumes_root) == 0) {
		r = vg_volume_check_userns_remap(c->docker_root, c->daemon_config, e);
		if (r < 0)
			return r;
	}
	fd = open(c->volumes_root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdir(c->volumes_root, 0701) < 0 && errno != EEXIST)
			return vg_error_errno(e, errno, "%s: cannot create", c->volumes_root);
		fd = open(c->volumes_root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return vg_error_errno(e, errno, "%s", c->volumes_root);
	r = check_root_dir(fd, c->volumes_root, e);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}

void vg_vol_close(struct vg_vol *v)
{
	free(v->what);
	vg_volume_opts_free(&v->opts);
	if (v->name_fd >= 0)
		close(v->name_fd);
	if (v->data_fd >= 0)
		close(v->data_fd);
}

static int open_dir_at(int dirfd, const char *name, const char *what, bool create, mode_t mode,
		       bool *created, struct vg_error *e)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && create) {
		if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
			return vg_error_errno(e, errno, "%s: cannot create", what);
		*created = true;
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && fchmod(fd, mode) < 0) {
			close(fd);
			return vg_error_errno(e, errno, "%s: chmod", what);
		}
	}
	if (fd < 0 && (errno == ELOOP || errno == ENOTDIR))
		return vg_error_set(e, VG_EREFUSED,
				    "%s is a symbolic link or not a directory; refusing it", what);
	if (fd < 0 && errno == ENOENT)
		return vg_error_set(e, ENOENT, "%s: no such volume", what);
	if (fd < 0)
		return vg_error_errno(e, errno, "%s", what);
	return fd;
}

/* Is it volguard's? A foreign volume is refused, with its options kept for the caller. */
static int check_ours(int root, struct vg_vol *v, struct vg_error *e)
{
	int r = vg_volume_is_ours(root, v->name_fd, v->data_fd, v->what, &v->opts, e);

	if (r == 0) {
		v->foreign = true;
		return -VG_EREFUSED;
	}
	return r < 0 ? r : 0;
}

/* NAME/ (root's, 0701 like Docker's) and NAME/_data, checked, and volguard's: asked before
 * _data is created (a foreign volume gets nothing made in it) and again on _data itself. */
int vg_vol_open(const struct vg_config *c, const char *volume, bool create, struct vg_vol *v,
		struct vg_error *e)
{
	_cleanup_close_ int root = -1;
	_cleanup_free_ char *what = NULL;
	int r;

	*v = (struct vg_vol){ .name_fd = -1, .data_fd = -1 };
	if (!vg_name_valid(volume))
		return vg_error_set(e, EINVAL, "'%.300s' is not a valid volume name", volume);
	root = vg_vol_open_root(c, create, e);
	if (root < 0)
		return root;
	v->what = vg_asprintf("%s/%s", c->volumes_root, volume);
	r = open_dir_at(root, volume, v->what, create, 0701, &v->created, e);
	if (r < 0)
		return r;
	v->name_fd = r;
	v->engine_owner = engine_owner(c, v->name_fd);
	r = v->engine_owner ? 0 : check_root_dir(v->name_fd, v->what, e);
	if (r >= 0)
		r = check_ours(root, v, e);
	if (r < 0)
		return r;
	what = vg_asprintf("%s/_data", v->what);
	r = open_dir_at(v->name_fd, "_data", what, create, 0700, &v->created, e);
	if (r < 0)
		return r;
	v->data_fd = r;
	return check_ours(root, v, e);
}

/* ---- members ---- */

static int principal(struct vg_registry *reg, const struct vg_config *c, const char *name,
		     bool allocate, uint32_t *ret, struct vg_error *e)
{
	struct vg_range *rg = vg_registry_find(reg, name);
	bool is_new;
	int r;

	if (!rg && allocate) {
		r = vg_registry_alloc(reg, c, name, 0, &rg, &is_new, e);
		if (r < 0)
			return r;
	}
	*ret = rg ? (uint32_t)rg->start : UINT32_MAX;
	return 0;
}

/* Fill the principals of members that have none yet from the registry. */
static int fill_principals(const struct vg_config *c, struct vg_members *m, bool allocate,
			   struct vg_error *e)
{
	struct vg_registry reg;
	int r = 0;

	r = vg_registry_open(&reg, c, allocate ? VG_REGISTRY_WRITE : VG_REGISTRY_READ, e);
	for (size_t i = 0; r >= 0 && i < m->n; i++)
		if (m->v[i].uid == UINT32_MAX) {
			r = principal(&reg, c, m->v[i].name, allocate, &m->v[i].uid, e);
			m->v[i].gid = m->v[i].uid;
		}
	if (r >= 0 && allocate)
		r = vg_registry_commit(&reg, e);
	vg_registry_close(&reg);
	return r;
}

int vg_vol_load_members(const struct vg_config *c, const char *volume, int name_fd, bool allocate,
			struct vg_members *m, enum vg_members_source *src, struct vg_error *e)
{
	const struct vg_volume_decl *decl = vg_config_find_volume(c, volume);
	_cleanup_free_ char *what = vg_asprintf("%s/%s", c->volumes_root, volume);
	int r;

	*src = VG_MEMBERS_NONE;
	if (name_fd >= 0) {
		r = vg_members_read(name_fd, what, m, e);
		if (r < 0)
			return r;
		if (r > 0) {
			*src = VG_MEMBERS_RECORDED;
			return 0;
		}
	}
	if (decl) {
		for (size_t i = 0; i < decl->n_members; i++)
			vg_members_put(m, decl->members[i].name, decl->members[i].ro, UINT32_MAX,
				       UINT32_MAX);
		*src = VG_MEMBERS_DECLARED;
	} else {
		r = vg_volume_discover_members(c, volume, m, e);
		if (r < 0)
			return r;
		if (m->n > 0)
			*src = VG_MEMBERS_DISCOVERED;
	}
	return m->n > 0 ? fill_principals(c, m, allocate, e) : 0;
}

int vg_volume_members(const struct vg_config *c, const char *volume, bool allocate,
		      struct vg_members *ret, enum vg_members_source *ret_src, struct vg_error *e)
{
	struct vg_vol v;
	int r = vg_vol_open(c, volume, false, &v, e);

	if (r == -ENOENT)
		r = vg_vol_load_members(c, volume, -1, allocate, ret, ret_src, e);
	else if (r >= 0)
		r = vg_vol_load_members(c, volume, v.name_fd, allocate, ret, ret_src, e);
	vg_vol_close(&v);
	return r;
}

/* ---- stamp ---- */

/* FNV-1a 64 of the policy's canonical text. trusted.* is root's alone, so the stamp needs no
 * secret; it only has to change whenever the policy does. */
void vg_vol_stamp_of(const struct vg_tree_policy *p, char buf[STAMP_MAX])
{
	char text[64 + VG_ACL_MAX_NAMED * 32];
	uint64_t h = 0xcbf29ce484222325ULL;
	int n;

	n = snprintf(text, sizeof(text), "volguard-policy-1 root=%u:%u:%04o", (unsigned)p->root_uid,
		     (unsigned)p->root_gid, (unsigned)p->root_mode);
	for (size_t i = 0; i < p->acl.n && n > 0 && (size_t)n < sizeof(text); i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, " u:%u:%s", p->acl.v[i].uid,
			      p->acl.v[i].ro ? "ro" : "rw");
	for (const char *s = text; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	snprintf(buf, STAMP_MAX, "v1:%016llx", (unsigned long long)h);
}

bool vg_vol_stamp_matches(int name_fd, const char *want)
{
	char path[64], cur[STAMP_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", name_fd);
	n = getxattr(path, VG_XATTR_STAMP, cur, sizeof(cur) - 1);
	if (n < 0)
		return false;
	cur[n] = '\0';
	return strcmp(cur, want) == 0;
}

bool vg_vol_copyup_pending(int name_fd)
{
	char path[64], buf[16];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", name_fd);
	return getxattr(path, VG_XATTR_COPYUP, buf, sizeof(buf)) > 0;
}

/* _data holds nothing yet (Docker's copy-up only fills an empty volume). */
static int data_is_empty(int data_fd, const char *what, struct vg_error *e)
{
	_cleanup_close_ int fd = openat(data_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	if (fd < 0)
		return vg_error_errno(e, errno, "%s/_data", what);
	d = fdopendir(fd);
	if (!d)
		return vg_error_errno(e, errno, "%s/_data", what);
	TAKE_FD(fd);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			return 0;
	return 1;
}

int vg_vol_stamp_remove(struct vg_vol *v, struct vg_error *e)
{
	if (fremovexattr(v->name_fd, VG_XATTR_STAMP) < 0 && errno != ENODATA)
		return vg_error_errno(e, errno, "%s: cannot remove %s", v->what, VG_XATTR_STAMP);
	return 0;
}

int vg_vol_copyup_remove(struct vg_vol *v, struct vg_error *e)
{
	if (fremovexattr(v->name_fd, VG_XATTR_COPYUP) < 0 && errno != ENODATA)
		return vg_error_errno(e, errno, "%s: cannot remove %s", v->what, VG_XATTR_COPYUP);
	return 0;
}

static int stamp_write(struct vg_vol *v, const char *stamp, struct vg_error *e)
{
	if (fsetxattr(v->name_fd, VG_XATTR_STAMP, stamp, strlen(stamp), 0) < 0)
		return vg_error_errno(e, errno, "%s: cannot write %s", v->what, VG_XATTR_STAMP);
	return 0;
}

/* ---- applying a policy ---- */

static void note(const struct vg_fix_opts *o, const char *volume, const char *msg)
{
	if (o->event)
		o->event(&(struct vg_fix_event){ VG_FIX_NOTE, volume, NULL, msg }, o->data);
}

/* --shift-from: every member's range, and the one IDs move into. */
static int setup_shift(const struct vg_config *c, const char *volume, const struct vg_members *m,
		       const struct vg_fix_opts *o, struct vg_tree_policy *p,
		       uint64_t (**ret_ranges)[2], struct vg_error *e)
{
	struct vg_registry reg;
	uint64_t(*ranges)[2] = vg_reallocarray(NULL, m->n, sizeof(*ranges));
	size_t n = 0;
	int r;

	*ret_ranges = ranges;
	r = vg_registry_open(&reg, c, VG_REGISTRY_READ, e);
	for (size_t i = 0; r >= 0 && i < m->n; i++) {
		struct vg_range *rg = vg_registry_find(&reg, m->v[i].name);
		if (!rg) {
			r = vg_error_set(e, ENOENT,
					 "%s: member '%s' has no range; cannot shift IDs into it",
					 volume, m->v[i].name);
			break;
		}
		ranges[n][0] = rg->start;
		ranges[n][1] = rg->count;
		n++;
	}
	vg_registry_close(&reg);
	if (r < 0)
		return r;
	p->shift = true;
	p->shift_from = o->shift_from;
	p->shift_size = c->range_size;
	p->shift_to = ranges[0][0];
	p->ranges = (const uint64_t(*)[2])ranges;
	p->n_ranges = n;
	{
		_cleanup_free_ char *msg =
		    vg_asprintf("IDs %llu-%llu move into the range of '%s' (%llu-%llu)%s",
				(unsigned long long)o->shift_from,
				(unsigned long long)(o->shift_from + c->range_size - 1),
				m->v[0].name, (unsigned long long)ranges[0][0],
				(unsigned long long)(ranges[0][0] + c->range_size - 1),
				m->n > 1 ? ", its first member" : "");
		note(o, volume, msg);
	}
	return 0;
}

static int apply_policy(const struct vg_config *c, const char *volume, struct vg_vol *v,
			const struct vg_members *m, const struct vg_fix_opts *o,
			struct vg_fix_stats *st, struct vg_error *e)
{
	_cleanup_free_ uint64_t(*ranges)[2] = NULL;
	struct vg_tree_policy p;
	char stamp[STAMP_MAX];
	int r;

	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].uid == UINT32_MAX)
			return vg_error_set(e, ENOENT, "%s: member '%s' has no range", volume,
					    m->v[i].name);
	vg_tree_policy_init(&p, m);
	if (m->n > VG_ACL_MAX_NAMED)
		return vg_error_set(e, E2BIG, "%s: more than %d members", volume, VG_ACL_MAX_NAMED);
	if (o->copy_up) {
		/* The range comes from the caller, who holds the registry lock. */
		ranges = vg_reallocarray(NULL, 1, sizeof(*ranges));
		ranges[0][0] = o->range_start;
		ranges[0][1] = o->range_count;
		p.shift = p.strip_privs = true;
		p.shift_from = 0;
		p.shift_size = o->range_count;
		p.shift_to = o->range_start;
		p.ranges = (const uint64_t(*)[2])ranges;
		p.n_ranges = 1;
	} else if (o->shift && m->n > 0) {
		r = setup_shift(c, volume, m, o, &p, &ranges, e);
		if (r < 0)
			return r;
	}
	vg_vol_stamp_of(&p, stamp);
	if (!o->walk && vg_vol_stamp_matches(v->name_fd, stamp)) {
		/* The tree was done for this policy; only _data itself may have been reset
		 * (Docker's copy-up chowns and chmods it). */
		r = vg_fix_data_root(v->data_fd, &p, o->dry_run, e);
		if (r < 0)
			return r;
		st->root_changed = r > 0;
		st->stamped = true;
		return 0;
	}
	if (!o->dry_run) {
		r = vg_vol_stamp_remove(v, e);
		if (r < 0)
			return r;
	}
	r = vg_fix_data_root(v->data_fd, &p, o->dry_run, e);
	if (r < 0)
		return r;
	st->root_changed = r > 0;
	r = vg_fix_tree(v->data_fd, volume, &p, o, st, e);
	if (r < 0)
		return r;
	if (o->dry_run || st->errors > 0)
		return 0;
	r = stamp_write(v, stamp, e);
	if (r < 0)
		return r;
	st->stamped = true;
	return 0;
}

static int record(struct vg_vol *v, const struct vg_members *m, struct vg_error *e)
{
	int r = vg_vol_stamp_remove(v, e);

	return r < 0 ? r : vg_members_write(v->name_fd, v->what, m, e);
}

int vg_vol_check_member(const struct vg_config *c, const char *volume, const char *member, bool *ro,
			struct vg_error *e)
{
	const struct vg_volume_decl *decl = vg_config_find_volume(c, volume);

	if (!decl)
		return 0;
	for (size_t i = 0; i < decl->n_members; i++)
		if (strcmp(decl->members[i].name, member) == 0) {
			*ro = decl->members[i].ro; /* the declaration wins */
			return 0;
		}
	if (c->strict_membership)
		return vg_error_set(e, VG_EREFUSED,
				    "container '%s' is not a member of volume '%s' (declared in %s "
				    "line %u) and strict_membership is on",
				    member, volume, c->path ? c->path : "the config", decl->line);
	return 0;
}

/* ---- the idmap model (volume_model.c): the shift model's writers leave its tree alone ---- */

static int is_idmap(struct vg_vol *v, bool *ret, struct vg_error *e)
{
	enum vg_volume_model m;
	int r = vg_volume_model_read(v->name_fd, v->what, &m, e);

	*ret = r >= 0 && m == VG_MODEL_IDMAP;
	return r;
}

static int refuse_idmap(const struct vg_vol *v, const char *volume, struct vg_error *e)
{
	return vg_error_set(e, VG_EREFUSED,
			    "%s is in the idmap model (userns mode: owners container-relative); "
			    "convert it for shift mode with 'volguard fix --shift-from 0 %s'",
			    v->what, volume);
}

/* share, revoke, create on an idmap volume: the record changes, nothing below NAME/. */
static int record_only(struct vg_vol *v, const struct vg_members *m, struct vg_fix_stats *st,
		       struct vg_error *e)
{
	st->stamped = st->idmap = true;
	return vg_members_write(v->name_fd, v->what, m, e);
}

/* ---- the public operations ---- */

struct first_error {
	char msg[512];
};

static void keep_first_error(const struct vg_fix_event *ev, void *data)
{
	struct first_error *fe = data;

	if (ev->kind == VG_FIX_ERROR && !fe->msg[0])
		snprintf(fe->msg, sizeof(fe->msg), "%s: %s", ev->path ? ev->path : ".", ev->msg);
}

/* The volume commands' pass: apply the policy (the whole tree when `walk`, else only what a
 * stale stamp needs); an entry that failed fails the command, naming the first one. */
static int apply_and_check(const struct vg_config *c, const char *volume, struct vg_vol *v,
			   const struct vg_members *m, const struct vg_fix_opts *base,
			   struct vg_fix_stats *st, struct vg_error *e)
{
	struct first_error fe = { { 0 } };
	struct vg_fix_opts o = *base;
	int r;

	o.event = keep_first_error;
	o.data = &fe;
	r = apply_policy(c, volume, v, m, &o, st, e);

	if (r >= 0 && st->errors > 0)
		r = vg_error_set(e, EIO, "%s: %llu entries could not be fixed (first: %s)", v->what,
				 (unsigned long long)st->errors, fe.msg);
	return r;
}

int vg_volume_prepare(const struct vg_config *c, const char *volume, const char *member, bool ro,
		      uint32_t uid, uint32_t gid, uint64_t range_start, uint64_t range_count,
		      struct vg_error *e)
{
	struct vg_members m = { 0 };
	enum vg_members_source src;
	struct vg_fix_stats st = { 0 };
	struct vg_fix_opts o = { 0 };
	struct vg_member *x;
	struct vg_vol v;
	bool pending, idmap;
	int r;

	r = vg_vol_open(c, volume, true, &v, e);
	if (r >= 0)
		r = vg_vol_reclaim(&v, range_start, e);
	if (r >= 0)
		r = is_idmap(&v, &idmap, e);
	if (r >= 0 && idmap)
		r = refuse_idmap(&v, volume, e); /* judged already: never mixed */
	if (r < 0)
		goto out;
	/* Only what is recorded: the caller (the runtime, the hook) holds the registry lock, so
	 * declared or discovered members without a record cannot get principals here; each is
	 * recorded by its own start. */
	r = vg_members_read(v.name_fd, v.what, &m, e);
	if (r < 0)
		goto out;
	src = r > 0 ? VG_MEMBERS_RECORDED : VG_MEMBERS_NONE;
	r = vg_vol_check_member(c, volume, member, &ro, e);
	if (r < 0)
		goto out;
	x = vg_members_find(&m, member);
	if (x && x->ro)
		ro = true; /* recorded read-only: a rw mount does not make it a writer */
	/* Never prepared, or laid out empty by `volume create` and never used: what is in it
	 * came from the image (or from before volguard). */
	pending = vg_vol_copyup_pending(v.name_fd);
	o.copy_up = (src != VG_MEMBERS_RECORDED || pending) && range_count > 0;
	o.walk = pending; /* the stamp `volume create` wrote says nothing of the copied files */
	o.range_start = range_start;
	o.range_count = range_count;
	if (src != VG_MEMBERS_RECORDED || !x || x->ro != ro || x->uid != uid || x->gid != gid) {
		vg_members_put(&m, member, ro, uid, gid);
		r = record(&v, &m, e);
		if (r < 0)
			goto out;
	}
	r = apply_and_check(c, volume, &v, &m, &o, &st, e);
	if (r >= 0 && pending && o.copy_up && fremovexattr(v.name_fd, VG_XATTR_COPYUP) < 0 &&
	    errno != ENODATA)
		r = vg_error_errno(e, errno, "%s: cannot remove %s", v.what, VG_XATTR_COPYUP);
out:
	vg_members_free(&m);
	vg_vol_close(&v);
	return r;
}

int vg_volume_fix(const struct vg_config *c, const char *volume, const struct vg_fix_opts *o,
		  struct vg_fix_stats *st, struct vg_error *e)
{
	struct vg_members m = { 0 };
	enum vg_members_source src;
	struct vg_fix_opts oo = *o;
	struct vg_vol v;
	bool idmap = false;
	int r;

	oo.walk = true;
	r = vg_vol_open(c, volume, false, &v, e);
	st->not_ours = v.foreign;
	if (r >= 0)
		r = is_idmap(&v, &idmap, e);
	if (r >= 0 && idmap && !o->shift) {
		/* Its owners are container-relative: the shift policy would move none of them and
		 * put host-shifted ACLs and owners on _data. */
		st->idmap = true;
		r = refuse_idmap(&v, volume, e);
	}
	if (r < 0)
		goto out;
	if (idmap) {
		note(o, volume, "leaves the idmap model: the model mark goes first");
		if (!o->dry_run) {
			r = vg_volume_model_mark(v.name_fd, v.what, false, e);
			if (r < 0)
				goto out;
		}
	}
	r = vg_vol_load_members(c, volume, v.name_fd, !o->dry_run, &m, &src, e);
	if (r < 0)
		goto out;
	if (m.n == 0) {
		r = vg_error_set(e, ENOENT,
				 "%s: no members recorded, declared or found in Docker's "
				 "containers; run 'volguard volume create %s --owner CONTAINER'",
				 v.what, volume);
		goto out;
	}
	if (src != VG_MEMBERS_RECORDED) {
		_cleanup_free_ char *msg = vg_asprintf(
		    "members %s in %s", src == VG_MEMBERS_DECLARED ? "declared" : "discovered",
		    src == VG_MEMBERS_DECLARED ? "the config" : "Docker's container files");
		note(o, volume, msg);
		if (!o->dry_run) {
			r = record(&v, &m, e);
			if (r < 0)
				goto out;
		}
	}
	r = apply_policy(c, volume, &v, &m, &oo, st, e);
out:
	vg_members_free(&m);
	vg_vol_close(&v);
	return r;
}

int vg_volume_create(const struct vg_config *c, const char *volume, const char *owner,
		     struct vg_fix_stats *st, struct vg_error *e)
{
	struct vg_members m = { 0 }, rec = { 0 };
	struct vg_fix_opts o = { 0 };
	struct vg_tree_policy p;
	struct vg_member *x;
	uint32_t uid = UINT32_MAX;
	bool ro = false, idmap = false;
	struct vg_vol v;
	int r;

	r = vg_vol_check_member(c, volume, owner, &ro, e); /* refuse before anything is created */
	if (r < 0)
		return r;
	r = vg_vol_open(c, volume, true, &v, e);
	if (r >= 0)
		r = is_idmap(&v, &idmap, e);
	if (r < 0)
		goto out;
	r = vg_members_read(v.name_fd, v.what, &rec, e);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < rec.n; i++)
		if (strcmp(rec.v[i].name, owner) != 0) {
			r = vg_error_set(e, EEXIST,
					 "%s already has member '%s'; use 'volguard volume share' "
					 "or 'volume revoke'",
					 v.what, rec.v[i].name);
			goto out;
		}
	x = vg_members_find(&rec, owner);
	if (x)
		uid = x->uid;
	vg_members_put(&m, owner, false, uid, x ? x->gid : uid);
	if (!x) {
		r = fill_principals(c, &m, true, e);
		if (r < 0)
			goto out;
	}
	r = idmap ? record_only(&v, &m, st, e) : record(&v, &m, e);
	if (r < 0 || idmap)
		goto out; /* idmap: _data's owner is the container's business */
	r = data_is_empty(v.data_fd, v.what, e);
	/* Empty: Docker will copy the image's content into it on first use. */
	if (r > 0 && fsetxattr(v.name_fd, VG_XATTR_COPYUP, "pending", 7, 0) < 0)
		r = vg_error_errno(e, errno, "%s: cannot write %s", v.what, VG_XATTR_COPYUP);
	if (r < 0)
		goto out;
	if (v.created) {
		/* Empty: the whole pass is cheap and leaves the stamp. */
		o.walk = true;
		r = apply_policy(c, volume, &v, &m, &o, st, e);
		goto out;
	}
	/* Adopted: _data now, the content is fix's job (the stamp stays removed). */
	vg_tree_policy_init(&p, &m);
	r = vg_fix_data_root(v.data_fd, &p, false, e);
	if (r >= 0) {
		st->root_changed = r > 0;
		r = 0;
	}
out:
	vg_members_free(&m);
	vg_members_free(&rec);
	vg_vol_close(&v);
	return r;
}

int vg_volume_share(const struct vg_config *c, const char *volume, const struct vg_member *add,
		    size_t n, struct vg_fix_stats *st, struct vg_error *e)
{
	struct vg_members m = { 0 };
	enum vg_members_source src;
	bool idmap = false;
	struct vg_vol v;
	int r;

	for (size_t i = 0; i < n; i++) { /* refuse before anything is created */
		bool ro;
		r = vg_vol_check_member(c, volume, add[i].name, &ro, e);
		if (r < 0)
			return r;
	}
	r = vg_vol_open(c, volume, true, &v, e);
	if (r >= 0)
		r = is_idmap(&v, &idmap, e);
	if (r < 0)
		goto out;
	r = vg_vol_load_members(c, volume, v.name_fd, true, &m, &src, e);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct vg_member *x;
		bool ro = add[i].ro;

		r = vg_vol_check_member(c, volume, add[i].name, &ro, e);
		if (r < 0)
			goto out;
		x = vg_members_find(&m, add[i].name);
		vg_members_put(&m, add[i].name, ro, x ? x->uid : UINT32_MAX,
			       x ? x->gid : UINT32_MAX);
	}
	r = fill_principals(c, &m, true, e);
	if (r < 0)
		goto out;
	r = idmap ? record_only(&v, &m, st, e) : record(&v, &m, e);
	if (r < 0 || idmap)
		goto out;
	r = apply_and_check(c, volume, &v, &m, &(struct vg_fix_opts){ .walk = true }, st, e);
out:
	vg_members_free(&m);
	vg_vol_close(&v);
	return r;
}

int vg_volume_revoke(const struct vg_config *c, const char *volume, const char *member,
		     struct vg_fix_stats *st, struct vg_error *e)
{
	struct vg_members m = { 0 };
	enum vg_members_source src;
	bool idmap = false;
	struct vg_vol v;
	int r;

	r = vg_vol_open(c, volume, false, &v, e);
	if (r >= 0)
		r = is_idmap(&v, &idmap, e);
	if (r < 0)
		goto out;
	r = vg_vol_load_members(c, volume, v.name_fd, true, &m, &src, e);
	if (r < 0)
		goto out;
	if (!vg_members_remove(&m, member)) {
		r = vg_error_set(e, VG_EREFUSED, "'%s' is not a member of volume '%s'", member,
				 volume);
		goto out;
	}
	r = idmap ? record_only(&v, &m, st, e) : record(&v, &m, e);
	if (r < 0 || idmap)
		goto out;
	r = apply_and_check(c, volume, &v, &m, &(struct vg_fix_opts){ .walk = true }, st, e);
out:
	vg_members_free(&m);
	vg_vol_close(&v);
	return r;
}
