/*
 * The idmap volume model (DESIGN.md, Concepts: Volume model): in userns mode a volume is
 * mounted into each member as an idmapped mount of its _data, so owners on disk are
 * container-relative (0..range_size-1) and nothing below _data is ever walked, chowned or
 * ACL'd at a start. The model is recorded on <volumes_root>/NAME (trusted.volguard.model).
 *
 * Rules this file keeps:
 * - a start in userns mode is O(1) per volume: a few xattrs on NAME/, no walk, no stamp;
 * - a conversion (fix --to-idmap) follows the fixer's rules (fixer.c, walk.c) and writes the
 *   mark last, after the shift stamp was removed first: an interrupted conversion leaves a
 *   volume without stamp and without mark (the shift model, refused in userns mode until the
 *   conversion is run again; a second run finishes it, IDs already moved stay as they are).
 *
 * Above volume.c and fixer.c; nothing below calls back into it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fixer.h"
#include "registry.h"
#include "volume.h"
#include "volume_internal.h"

static void note(const struct vg_fix_opts *o, const char *volume, const char *msg)
{
	if (o->event)
		o->event(&(struct vg_fix_event){ VG_FIX_NOTE, volume, NULL, msg }, o->data);
}

/* Ranges as [start, count) pairs, grown one at a time. */
struct range_list {
	uint64_t (*v)[2];
	size_t n;
};

static void range_list_free(struct range_list *l)
{
	free(l->v);
}
static void range_add(struct range_list *l, uint64_t start, uint64_t count)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i][0] == start && l->v[i][1] == count)
			return;
	l->v = vg_array_grow(l->v, l->n, sizeof(*l->v));
	l->v[l->n][0] = start;
	l->v[l->n][1] = count;
	l->n++;
}

/* Every range volguard gave out, the quarantined ones included (their IDs still own files). */
static int registered_ranges(const struct vg_config *c, struct range_list *l, struct vg_error *e)
{
	struct vg_registry reg;
	int r = vg_registry_open(&reg, c, VG_REGISTRY_READ, e);

	for (size_t i = 0; r >= 0 && i < reg.n; i++)
		range_add(l, reg.ranges[i].start, reg.ranges[i].count);
	for (size_t i = 0; r >= 0 && reg.quarantine && i < reg.quarantine->n; i++)
		range_add(l, reg.quarantine->ranges[i].start, reg.quarantine->ranges[i].count);
	vg_registry_close(&reg);
	return r;
}

static void policy_to_idmap(const struct vg_config *c, const struct range_list *l,
			    struct vg_tree_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->to_idmap = true;
	p->unshift = (const uint64_t(*)[2])l->v;
	p->n_unshift = l->n;
	p->idmap_size = c->range_size;
	p->dflt.minimal = p->root.minimal = true;
}

static int refuse_shift_model(const char *what, const char *volume, struct vg_error *e)
{
	return vg_error_set(e, VG_EREFUSED,
			    "%s is in the shift model (owners host-shifted, ACLs); convert it "
			    "for userns mode with 'volguard fix --to-idmap %s'",
			    what, volume);
}

/* ---- userns mode's act: record, mark, nothing else ---- */

/*
 * A volume `volume create` laid out and no container used yet (the copy-up marker): what is
 * below _data came from the image through Docker's copy-up, image-relative as the idmap model
 * wants it, and _data itself carries the principal create gave it. What someone may have put
 * there by hand as a member's host ID is made container-relative too: the one walk of a userns
 * start, once, over what an image brought. The caller holds the registry lock, so the ranges
 * come from the members' principals (ranges are aligned) and the member's own.
 */
static int pending_to_idmap(const struct vg_config *c, struct vg_vol *v, const struct vg_members *m,
			    uint64_t range_start, uint64_t range_count, struct vg_error *e)
{
	_cleanup_(range_list_free) struct range_list l = { 0 };
	struct vg_fix_opts o = { .walk = true };
	struct vg_fix_stats st = { 0 };
	struct vg_tree_policy p;
	int r;

	if (range_count > 0)
		range_add(&l, range_start, range_count);
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].uid != UINT32_MAX && m->v[i].uid >= c->range_size)
			range_add(&l, m->v[i].uid - m->v[i].uid % c->range_size, c->range_size);
	policy_to_idmap(c, &l, &p);
	r = vg_vol_stamp_remove(v, e);
	if (r >= 0)
		r = vg_fix_data_root(v->data_fd, &p, false, e);
	if (r >= 0)
		r = vg_fix_tree(v->data_fd, "", &p, &o, &st, e);
	if (r >= 0 && st.errors > 0)
		r = vg_error_set(e, EIO, "%s: %llu entries could not be made container-relative",
				 v->what, (unsigned long long)st.errors);
	return r < 0 ? r : 0;
}

int vg_volume_prepare_idmap(const struct vg_config *c, const char *volume, const char *member,
			    bool ro, uint32_t uid, uint32_t gid, uint64_t range_start,
			    uint64_t range_count, struct vg_error *e)
{
	enum vg_volume_model model;
	struct vg_members m = { 0 };
	struct vg_member *x;
	struct vg_vol v;
	bool pending, recorded;
	int r;

	r = vg_vol_open(c, volume, true, &v, e);
	if (r >= 0)
		r = vg_vol_reclaim(&v, range_start, e);
	if (r < 0)
		goto out;
	r = vg_volume_model_read(v.name_fd, v.what, &model, e);
	if (r < 0)
		goto out;
	pending = model == VG_MODEL_SHIFT && vg_vol_copyup_pending(v.name_fd);
	if (model == VG_MODEL_SHIFT && !pending) {
		r = refuse_shift_model(v.what, volume, e); /* judged already: never mixed */
		goto out;
	}
	r = vg_members_read(v.name_fd, v.what, &m, e);
	if (r < 0)
		goto out;
	recorded = r > 0;
	r = vg_vol_check_member(c, volume, member, &ro, e);
	if (r < 0)
		goto out;
	x = vg_members_find(&m, member);
	if (x && x->ro)
		ro = true; /* the record is the truth, not the mount */
	if (pending)
		r = pending_to_idmap(c, &v, &m, range_start, range_count, e);
	/* The content is right for this model as it is: the mark comes before the record, so
	 * that a crash in between leaves an idmap volume that the next start records. */
	if (r >= 0)
		r = vg_volume_model_mark(v.name_fd, v.what, true, e);
	if (r >= 0 && pending)
		r = vg_vol_copyup_remove(&v, e);
	if (r >= 0 && (!recorded || !x || x->ro != ro || x->uid != uid || x->gid != gid)) {
		vg_members_put(&m, member, ro, uid, gid);
		r = vg_members_write(v.name_fd, v.what, &m, e);
	}
out:
	vg_members_free(&m);
	vg_vol_close(&v);
	return r < 0 ? r : 0;
}

/* ---- volguard fix --to-idmap ---- */

static void note_ranges(const struct vg_fix_opts *o, const char *volume, size_t n, uint64_t size)
{
	_cleanup_free_ char *msg =
	    vg_asprintf("owners and ACL entries inside the %zu known range%s (registered, "
			"quarantined, the members') become container-relative (0-%llu); "
			"volguard's stamp goes, the idmap mark is written last",
			n, n == 1 ? "" : "s", (unsigned long long)(size - 1));
	note(o, volume, msg);
}

/* Members declared or discovered are recorded, as fix records them: the idmap model keeps a
 * record (membership, read-only members) like the shift model. */
static int record_found_members(const struct vg_config *c, const char *volume, struct vg_vol *v,
				const struct vg_fix_opts *o, struct vg_error *e)
{
	struct vg_members m = { 0 };
	enum vg_members_source src;
	int r = vg_vol_load_members(c, volume, v->name_fd, !o->dry_run, &m, &src, e);

	if (r >= 0 && m.n > 0 && src != VG_MEMBERS_RECORDED) {
		_cleanup_free_ char *msg = vg_asprintf(
		    "members %s in %s", src == VG_MEMBERS_DECLARED ? "declared" : "discovered",
		    src == VG_MEMBERS_DECLARED ? "the config" : "Docker's container files");
		note(o, volume, msg);
		if (!o->dry_run)
			r = vg_members_write(v->name_fd, v->what, &m, e);
	}
	vg_members_free(&m);
	return r < 0 ? r : 0;
}

/* The ranges of the recorded members' principals (ranges are aligned): a range released so
 * long ago that the quarantine forgot it still owns the files its container wrote. */
static int member_ranges(const struct vg_config *c, struct vg_vol *v, struct range_list *l,
			 struct vg_error *e)
{
	struct vg_members m = { 0 };
	int r = vg_members_read(v->name_fd, v->what, &m, e);

	for (size_t i = 0; r >= 0 && i < m.n; i++)
		if (m.v[i].uid != UINT32_MAX && m.v[i].uid >= c->range_size)
			range_add(l, m.v[i].uid - m.v[i].uid % c->range_size, c->range_size);
	vg_members_free(&m);
	return r < 0 ? r : 0;
}

static int convert(const struct vg_config *c, const char *volume, struct vg_vol *v,
		   const struct vg_fix_opts *o, struct vg_fix_stats *st, struct vg_error *e)
{
	_cleanup_(range_list_free) struct range_list l = { 0 };
	struct vg_tree_policy p;
	int r;

	r = registered_ranges(c, &l, e);
	if (r >= 0)
		r = member_ranges(c, v, &l, e);
	if (r < 0)
		return r;
	policy_to_idmap(c, &l, &p);
	note_ranges(o, volume, l.n, c->range_size);
	r = record_found_members(c, volume, v, o, e);
	/* The shift stamp says "the tree matches the shift policy": it goes before that stops
	 * being true. */
	if (r >= 0 && !o->dry_run)
		r = vg_vol_stamp_remove(v, e);
	if (r >= 0)
		r = vg_fix_data_root(v->data_fd, &p, o->dry_run, e);
	if (r < 0)
		return r;
	st->root_changed = r > 0;
	r = vg_fix_tree(v->data_fd, volume, &p, o, st, e);
	if (r < 0 || o->dry_run || st->errors > 0)
		return r;
	r = vg_vol_copyup_remove(v, e);
	if (r >= 0)
		r = vg_volume_model_mark(v->name_fd, v->what, true, e);
	if (r >= 0)
		st->stamped = true; /* the mark is this model's "complete pass" */
	return r;
}

int vg_volume_to_idmap(const struct vg_config *c, const char *volume, const struct vg_fix_opts *o,
		       struct vg_fix_stats *st, struct vg_error *e)
{
	enum vg_volume_model model;
	struct vg_vol v;
	int r;

	r = vg_vol_open(c, volume, false, &v, e);
	st->not_ours = v.foreign;
	if (r >= 0)
		r = vg_volume_model_read(v.name_fd, v.what, &model, e);
	if (r >= 0 && model == VG_MODEL_IDMAP) {
		note(o, volume, "already in the idmap model: nothing to convert");
		st->stamped = true;
	} else if (r >= 0)
		r = convert(c, volume, &v, o, st, e);
	vg_vol_close(&v);
	return r < 0 ? r : 0;
}

int vg_volume_model_of(const struct vg_config *c, const char *volume, enum vg_volume_model *ret,
		       struct vg_error *e)
{
	struct vg_vol v;
	int r = vg_vol_open(c, volume, false, &v, e);

	if (r >= 0)
		r = vg_volume_model_read(v.name_fd, v.what, ret, e);
	vg_vol_close(&v);
	return r < 0 ? r : 0;
}
