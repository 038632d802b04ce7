/* The named volumes a container mounts, shared by volguard-runc and the prestart hook. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "gojson.h"
#include "members.h"
#include "prepare.h"
#include "volume.h"
#include "volume_owner.h"

char *vg_volume_of_source(const char *volumes_root, const char *source)
{
	size_t n = strlen(volumes_root);
	const char *name, *end;
	char *v;

	while (n > 1 && volumes_root[n - 1] == '/')
		n--;
	if (!source || strncmp(source, volumes_root, n) != 0 || source[n] != '/')
		return NULL;
	name = source + n + 1;
	end = strchr(name, '/');
	if (!end || strcmp(end, "/_data") != 0)
		return NULL;
	v = strndup(name, (size_t)(end - name));
	if (v && !vg_name_valid(v)) {
		free(v);
		return NULL;
	}
	return v;
}

static struct vg_mounted_volume *find(const struct vg_mounted_volumes *vols, const char *name)
{
	for (size_t i = 0; i < vols->n; i++)
		if (strcmp(vols->v[i].name, name) == 0)
			return &vols->v[i];
	return NULL;
}

bool vg_mounted_volumes_has(const struct vg_mounted_volumes *vols, const char *name)
{
	for (size_t i = 0; i < vols->n; i++)
		if (strcmp(vols->v[i].name, name) == 0 ||
		    (vols->v[i].via && strcmp(vols->v[i].via, name) == 0))
			return true;
	return false;
}

static void add_mount(struct vg_mounted_volumes *ret, char *name, char *via, size_t idx, bool ro)
{
	struct vg_mounted_volume *v = find(ret, name);

	if (!v) {
		ret->v = vg_reallocarray(ret->v, ret->n + 1, sizeof(*ret->v));
		v = &ret->v[ret->n++];
		*v = (struct vg_mounted_volume){ .name = name, .via = via, .ro = true };
	} else {
		free(name);
		free(via);
	}
	v->ro = v->ro && ro; /* rw anywhere makes it rw */
	v->any_rw = v->any_rw || !ro;
	v->idx = vg_reallocarray(v->idx, v->n_idx + 1, sizeof(*v->idx));
	v->idx[v->n_idx++] = idx;
}

void vg_mounted_volumes_find(const struct vg_config *c, const struct vg_container *ct,
			     struct vg_mounted_volumes *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < ct->n_mounts; i++) {
		const struct vg_mount *m = &ct->mounts[i];
		char *name;

		/* A spec shows a volume as a bind of its _data; Docker's files and a docker run
		 * command line name it (check judges membership from those). */
		if (m->kind == VG_MOUNT_VOLUME && m->source && vg_name_valid(m->source) &&
		    (!m->driver || !*m->driver || strcmp(m->driver, "local") == 0)) {
			add_mount(ret, vg_strdup(m->source), NULL, i, m->readonly);
			continue;
		}
		if (m->kind != VG_MOUNT_BIND || !m->source)
			continue;
		name = vg_volume_of_source(c->volumes_root, m->source);
		if (name) {
			add_mount(ret, name, NULL, i, m->readonly);
			continue;
		}
		/* A bind of a path inside a volume's data is that volume's business. */
		if (vg_volume_containing(c->volumes_root, m->source, &name) > 0)
			add_mount(ret, name, vg_strdup(m->source), i, m->readonly);
	}
}

/* strict_membership on an undeclared volume: only its recorded members may use it. */
static int check_recorded(const struct vg_mounted_volume *v, const struct vg_members *m,
			  const char *member, struct vg_error *e)
{
	if (m->n == 0 || vg_members_find(m, member))
		return 0;
	return vg_error_set(e, VG_EREFUSED,
			    "volume '%s'%s%s%s belongs to '%s'; sharing it with '%s' needs a "
			    "[volume \"%s\"] declaration while strict_membership is on",
			    v->name, v->via ? " (reached through " : "", v->via ? v->via : "",
			    v->via ? ")" : "", m->v[0].name, member, v->name);
}

static int check_declared(const struct vg_config *c, struct vg_mounted_volume *v,
			  const struct vg_volume_decl *d, const char *member, struct vg_error *e)
{
	bool is_member = false;

	for (size_t k = 0; k < d->n_members; k++)
		if (strcmp(d->members[k].name, member) == 0) {
			is_member = true;
			v->ro = v->ro || d->members[k].ro;
		}
	if (!is_member && c->strict_membership)
		return vg_error_set(e, VG_EREFUSED,
				    "container %s is not a member of volume '%s'%s%s (declared in "
				    "%s:%u, strict_membership = yes)",
				    member, v->name, v->via ? " reached through " : "",
				    v->via ? v->via : "", c->path ? c->path : "the config",
				    d->line);
	return 0;
}

/* A bind volume whose device lies in another volume's _data is that volume, reached through
 * it: returns 1 and rewrites v, 0 when it is simply not volguard's. */
static int redirect(const struct vg_config *c, struct vg_mounted_volume *v,
		    const struct vg_volume_info *info)
{
	char *target = NULL;

	if (v->via || !info->device || !info->device_binds ||
	    vg_volume_containing(c->volumes_root, info->device, &target) <= 0)
		return 0;
	v->via = v->name;
	v->name = target;
	return 1;
}

/* A volume is in one model at a time: a container that would mix them is refused with the
 * command that converts. */
static int check_model(const struct vg_mounted_volume *v, const struct vg_volume_info *info,
		       const char *member, enum vg_isolation mode, struct vg_error *e)
{
	const char *via = v->via ? " (reached through " : "", *via_name = v->via ? v->via : "",
		   *via_end = v->via ? ")" : "";

	if (mode == VG_ISOLATION_USERNS && info->model == VG_MODEL_SHIFT && !info->copyup_pending)
		return vg_error_set(e, VG_EREFUSED,
				    "container %s runs in userns mode but volume '%s'%s%s%s is in "
				    "the shift model (owners host-shifted, ACLs); convert it with "
				    "'volguard fix --to-idmap %s'",
				    member, v->name, via, via_name, via_end, v->name);
	if (mode != VG_ISOLATION_USERNS && info->model == VG_MODEL_IDMAP)
		return vg_error_set(e, VG_EREFUSED,
				    "container %s runs in shift mode but volume '%s'%s%s%s is in "
				    "the idmap model (owners container-relative); convert it with "
				    "'volguard fix --shift-from 0 %s'",
				    member, v->name, via, via_name, via_end, v->name);
	return 0;
}

static int check_one(const struct vg_config *c, struct vg_mounted_volume *v, const char *member,
		     bool spec_rewritable, enum vg_isolation mode, struct vg_error *e)
{
	const struct vg_volume_decl *d;
	struct vg_volume_info info;
	struct vg_member *x;
	int r;

	for (int pass = 0;; pass++) {
		/* userns: the idmapped mount is nosuid,nodev and shifts nothing, no scan. */
		r = vg_volume_inspect(c, v->name, mode != VG_ISOLATION_USERNS, &info, e);
		if (r < 0)
			return r;
		if (info.ours || pass > 0 || !redirect(c, v, &info))
			break;
		vg_volume_info_free(&info);
	}
	v->ours = info.ours;
	if (!v->ours) { /* the policy judged the mount it really is; volguard leaves it alone */
		vg_volume_info_free(&info);
		return 0;
	}
	d = vg_config_find_volume(c, v->name);
	r = d			   ? check_declared(c, v, d, member, e)
	    : c->strict_membership ? check_recorded(v, &info.recorded, member, e)
				   : 0;
	if (r >= 0)
		r = check_model(v, &info, member, mode, e);
	x = vg_members_find(&info.recorded, member);
	if (x && x->ro)
		v->ro = true; /* the record is the truth, not the mount */
	vg_volume_info_free(&info);
	if (r < 0)
		return r;
	v->force_ro = v->ro && v->any_rw;
	if (v->force_ro && !spec_rewritable)
		return vg_error_set(
		    e, VG_EREFUSED,
		    "container %s is a read-only member of volume '%s' but mounts it "
		    "read-write; mount it read-only (:ro)",
		    member, v->name);
	return 0;
}

int vg_mounted_volumes_check(const struct vg_config *c, struct vg_mounted_volumes *vols,
			     const char *member, bool spec_rewritable, enum vg_isolation mode,
			     struct vg_error *e)
{
	for (size_t i = 0; i < vols->n; i++) {
		int r = check_one(c, &vols->v[i], member, spec_rewritable, mode, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* mounts[idx].options: drop "rw", add "ro" (runc reads keys case-insensitively). */
static int mount_set_ro(json_t *spec, size_t idx, struct vg_error *e)
{
	json_t *mounts = NULL, *opts = NULL, *m;
	bool has_ro = false;
	int r;

	r = vg_json_get_array(spec, "mounts", &mounts, "", e);
	if (r < 0)
		return r;
	m = mounts ? json_array_get(mounts, idx) : NULL;
	if (!json_is_object(m))
		return vg_error_set(e, EINVAL, "mounts[%zu]: not found", idx);
	r = vg_json_get_array(m, "options", &opts, "mounts[]", e);
	if (r < 0)
		return r;
	if (!opts) {
		opts = json_array();
		json_object_set_new(m, "options", opts);
	}
	for (size_t k = json_array_size(opts); k-- > 0;) {
		const char *o = json_string_value(json_array_get(opts, k));
		if (o && strcmp(o, "rw") == 0)
			json_array_remove(opts, k);
		else if (o && strcmp(o, "ro") == 0)
			has_ro = true;
	}
	if (!has_ro)
		json_array_append_new(opts, json_string("ro"));
	return 0;
}

int vg_mounted_volumes_spec_ro(json_t *spec, const struct vg_mounted_volumes *vols,
			       struct vg_error *e)
{
	for (size_t i = 0; i < vols->n; i++)
		for (size_t k = 0; vols->v[i].force_ro && k < vols->v[i].n_idx; k++) {
			int r = mount_set_ro(spec, vols->v[i].idx[k], e);
			if (r < 0)
				return r;
		}
	return 0;
}

int vg_mounted_volumes_prepare(const struct vg_config *c, const struct vg_mounted_volumes *vols,
			       const char *member, uint32_t uid, uint32_t gid, uint64_t range_start,
			       uint64_t range_count, enum vg_isolation mode, struct vg_error *e)
{
	for (size_t i = 0; i < vols->n; i++) {
		const struct vg_mounted_volume *v = &vols->v[i];
		int r;
		if (!v->ours)
			continue;
		r = mode == VG_ISOLATION_USERNS
			? vg_volume_prepare_idmap(c, v->name, member, v->ro, uid, gid, range_start,
						  range_count, e)
			: vg_volume_prepare(c, v->name, member, v->ro, uid, gid, range_start,
					    range_count, e);
		if (r < 0)
			return r;
	}
	return 0;
}

void vg_mounted_volumes_free(struct vg_mounted_volumes *vols)
{
	for (size_t i = 0; i < vols->n; i++) {
		free(vols->v[i].name);
		free(vols->v[i].via);
		free(vols->v[i].idx);
	}
	free(vols->v);
	memset(vols, 0, sizeof(*vols));
}
