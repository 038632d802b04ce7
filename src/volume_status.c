/* Reading volumes: their state for `volume show` and audit, the list, and what the admission
 * check needs to know before anything changes (vg_volume_inspect). Nothing here writes. */
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
#include "volume.h"
#include "volume_internal.h"
#include "walk.h"

bool vg_volume_stamp_matches(int name_fd, const struct vg_members *m)
{
	struct vg_tree_policy p;
	char stamp[STAMP_MAX];

	vg_tree_policy_init(&p, m);
	vg_vol_stamp_of(&p, stamp);
	return vg_vol_stamp_matches(name_fd, stamp);
}

/* The members' ranges from the registry (read-only), for judging owners. */
static uint64_t (*member_ranges(const struct vg_config *c, const struct vg_members *m,
				size_t *ret_n))[2]
{
	uint64_t(*ranges)[2] = vg_reallocarray(NULL, m->n + 1, sizeof(*ranges));
	struct vg_registry reg;
	struct vg_error e = { 0 };

	*ret_n = 0;
	if (vg_registry_open(&reg, c, VG_REGISTRY_READ, &e) < 0)
		return ranges;
	for (size_t i = 0; i < m->n; i++) {
		struct vg_range *rg = vg_registry_find(&reg, m->v[i].name);
		if (rg) {
			ranges[*ret_n][0] = rg->start;
			ranges[*ret_n][1] = rg->count;
			(*ret_n)++;
		}
	}
	vg_registry_close(&reg);
	return ranges;
}

/* _data's owner, mode and ACLs as they are, and the owners a member would see as nobody (the
 * fixer's --to-idmap dry run with no range to move: it changes nothing, it counts). */
static int data_facts(int data_fd, const char *what, struct vg_volume_status *s, struct vg_error *e)
{
	uint8_t buf[VG_ACL_MAX_SIZE];
	struct stat sb;
	ssize_t n;

	if (fstat(data_fd, &sb) < 0)
		return vg_error_errno(e, errno, "%s/_data: fstat", what);
	s->data_uid = sb.st_uid;
	s->data_gid = sb.st_gid;
	s->data_mode = sb.st_mode & 07777;
	n = vg_acl_read(data_fd, false, VG_XATTR_ACL_ACCESS, buf, sizeof(buf));
	if (n > 0)
		s->data_acl = vg_acl_to_text(buf, (size_t)n);
	n = vg_acl_read(data_fd, false, VG_XATTR_ACL_DEFAULT, buf, sizeof(buf));
	if (n > 0)
		s->data_dflt = vg_acl_to_text(buf, (size_t)n);
	return 0;
}

static int idmap_status(const struct vg_config *c, struct vg_vol *v, const char *volume,
			struct vg_volume_status *s, struct vg_error *e)
{
	struct vg_fix_opts o = { .dry_run = true, .walk = true };
	struct vg_tree_policy p = { .to_idmap = true, .idmap_size = c->range_size };
	struct vg_fix_stats st = { 0 };
	int r = data_facts(v->data_fd, v->what, s, e);

	s->stamp_ok = s->root_ok = s->owners_known = true;
	if (r >= 0)
		r = vg_fix_tree(v->data_fd, volume, &p, &o, &st, e);
	s->foreign = st.foreign + (s->data_uid >= c->range_size || s->data_gid >= c->range_size);
	s->differ = s->foreign;
	s->errors = st.errors;
	return r;
}

int vg_volume_status(const struct vg_config *c, const char *volume, struct vg_volume_status *s,
		     struct vg_error *e)
{
	struct vg_fix_opts o = { .dry_run = true, .walk = true };
	_cleanup_free_ uint64_t(*ranges)[2] = NULL;
	struct vg_fix_stats st = { 0 };
	struct vg_tree_policy p;
	char stamp[STAMP_MAX];
	struct vg_vol v;
	int r;

	memset(s, 0, sizeof(*s));
	r = vg_vol_open(c, volume, false, &v, e);
	if (r < 0)
		goto out;
	r = vg_vol_load_members(c, volume, v.name_fd, false, &s->members, &s->source, e);
	if (r >= 0)
		r = vg_volume_model_read(v.name_fd, v.what, &s->model, e);
	if (r < 0)
		goto out;
	s->recorded = s->source == VG_MEMBERS_RECORDED;
	if (s->model == VG_MODEL_IDMAP) {
		r = idmap_status(c, &v, volume, s, e);
		goto out;
	}
	vg_tree_policy_init(&p, &s->members);
	vg_vol_stamp_of(&p, stamp);
	s->stamp_ok = vg_vol_stamp_matches(v.name_fd, stamp);
	r = vg_fix_data_root(v.data_fd, &p, true, e);
	if (r < 0)
		goto out;
	s->root_ok = r == 0;
	r = data_facts(v.data_fd, v.what, s, e);
	if (r < 0)
		goto out;
	ranges = member_ranges(c, &s->members, &p.n_ranges);
	p.ranges = (const uint64_t(*)[2])ranges;
	s->owners_known = p.n_ranges == s->members.n && p.n_ranges > 0;
	if (!s->owners_known)
		p.n_ranges = 0; /* an unknown range would make its files look foreign */
	r = vg_fix_tree(v.data_fd, volume, &p, &o, &st, e);
	s->differ = st.changed + st.hardlinks + st.foreign;
	s->foreign = st.foreign;
	s->errors = st.errors;
out:
	vg_vol_close(&v);
	return r < 0 ? r : 0;
}

void vg_volume_status_free(struct vg_volume_status *st)
{
	vg_members_free(&st->members);
	free(st->data_acl);
	free(st->data_dflt);
	st->data_acl = st->data_dflt = NULL;
}

int vg_volume_list(const struct vg_config *c, char ***ret, struct vg_error *e)
{
	_cleanup_close_ int root = vg_vol_open_root(c, false, e);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (root < 0)
		return root;
	fd = fcntl(root, F_DUPFD_CLOEXEC, 3);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return vg_error_errno(e, errno, "%s", c->volumes_root);
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (!vg_name_valid(de->d_name) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		vg_strv_push(ret, de->d_name);
	}
	return 0;
}

void vg_volume_info_free(struct vg_volume_info *i)
{
	free(i->device);
	vg_members_free(&i->recorded);
	memset(i, 0, sizeof(*i));
}

int vg_volume_inspect(const struct vg_config *c, const char *volume, bool copy_up_scan,
		      struct vg_volume_info *ret, struct vg_error *e)
{
	struct vg_error why = { 0 };
	struct vg_vol v;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = vg_vol_open(c, volume, false, &v, &why);
	if (r == -ENOENT) {
		/* Not there yet (the runtime creates it) or no _data: ours to lay out, unless
		 * NAME exists with driver options, which vg_vol_open has already said. */
		ret->exists = v.name_fd >= 0;
		ret->ours = true;
		r = 0;
		goto out;
	}
	ret->exists = true;
	if (r < 0 && v.foreign) {
		snprintf(ret->why, sizeof(ret->why), "%s", why.msg);
		if (v.opts.device) {
			ret->device = vg_strdup(v.opts.device);
			ret->device_binds = vg_volume_opts_binds(v.opts.type, v.opts.o);
		}
		r = 0;
		goto out;
	}
	if (r < 0) {
		*e = why;
		goto out;
	}
	ret->ours = true;
	r = vg_members_read(v.name_fd, v.what, &ret->recorded, e);
	if (r < 0)
		goto out;
	ret->has_record = r > 0;
	ret->copyup_pending = vg_vol_copyup_pending(v.name_fd);
	r = vg_volume_model_read(v.name_fd, v.what, &ret->model, e);
	if (r < 0)
		goto out;
	/* An idmap volume is never shifted, so never scanned: it cannot be mounted by a shift
	 * container (the caller refuses that). */
	if (copy_up_scan && ret->model != VG_MODEL_IDMAP &&
	    (!ret->has_record || ret->copyup_pending)) {
		_cleanup_free_ char *what = vg_asprintf("%s/_data", v.what);
		r = vg_copyup_scan(v.data_fd, what, e);
	}
out:
	vg_vol_close(&v);
	return r < 0 ? r : 0;
}
