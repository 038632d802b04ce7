/*
 * Fleet findings. Rules this file keeps:
 *  - a deterministic pool warns from VG_FLEET_FILL_WARN percent (VG-FLEET-001): from there a new
 *    name more likely than not collides within two probes, and hosts that saw the names in
 *    another order give it another range (volguard(8), FLEET, has the figures);
 *  - a deterministic range that needed probes is named (VG-FLEET-002, info): it is the one that
 *    may differ between hosts, and `volguard import` pins it;
 *  - with --compare, every name whose range differs from the other host's (VG-FLEET-003), every
 *    range that overlaps another name's there (VG-FLEET-004: on shared storage one identity
 *    would own the other's files) and a differing policy, key or pool (VG-FLEET-005).
 */
#include <stdlib.h>
#include <string.h>

#include "audit_internal.h"
#include "cleanup.h"
#include "fleet.h"

#define VG_FLEET_FILL_WARN 50

static void fill(struct audit_ctx *x)
{
	const struct vg_audit *a = x->a;
	uint64_t used = a->pool_ranges - a->pool_free;
	struct vg_audit_finding *f;

	if (x->c->allocation != VG_ALLOC_DETERMINISTIC || a->pool_ranges == 0 ||
	    used * 100 < a->pool_ranges * VG_FLEET_FILL_WARN)
		return;
	f = audit_add(x, "VG-FLEET-001", VG_SUBJ_HOST, "host", NULL,
		      "the deterministic pool is %llu%% full (%llu of %llu ranges): new names "
		      "collide more often than not, and a collided name's range depends on the "
		      "order hosts saw the names in",
		      (unsigned long long)(used * 100 / a->pool_ranges), (unsigned long long)used,
		      (unsigned long long)a->pool_ranges);
	audit_ev(f, "warn_at", "%d%%", VG_FLEET_FILL_WARN);
	audit_remedy(f,
		     "enlarge [ranges] pool_end on every host alike, or pin ranges across hosts: "
		     "volguard list --json > FILE; volguard import FILE");
}

static void collisions(struct audit_ctx *x)
{
	for (size_t i = 0; i < x->reg.n; i++) {
		const struct vg_range *rg = &x->reg.ranges[i];
		const char *p = vg_range_get_meta(rg, "probes");
		struct vg_audit_finding *f;

		if (!p || strcmp(p, "0") == 0 || !audit_in_scope(x, VG_SUBJ_RANGE, rg->name, NULL))
			continue;
		f = audit_add(x, "VG-FLEET-002", VG_SUBJ_RANGE, rg->name, NULL,
			      "'%s' got its range after %s probes: another host that saw other "
			      "names first may give it another range",
			      rg->name, p);
		audit_ev(f, "range", "%llu-%llu", (unsigned long long)rg->start,
			 (unsigned long long)(rg->start + rg->count - 1));
		audit_ev(f, "probes", "%s", p);
		audit_remedy(f,
			     "volguard list --json > FILE here; volguard import FILE on the other "
			     "hosts before they create '%s'",
			     rg->name);
	}
}

static void compare_config(struct audit_ctx *x, const struct vg_fleet_export *o)
{
	const struct vg_config *c = x->c;
	const char *mine = c->allocation == VG_ALLOC_DETERMINISTIC ? "deterministic" : "first-fit";
	_cleanup_free_ char *kid =
	    c->allocation == VG_ALLOC_DETERMINISTIC ? vg_fleet_key_id(c) : NULL;
	struct vg_audit_finding *f;
	const char *what = NULL;

	if (strcmp(mine, o->allocation) != 0)
		what = "allocation";
	else if (kid && o->key_id && strcmp(kid, o->key_id) != 0)
		what = "allocation key";
	else if (c->pool_start != o->pool_start || c->pool_end != o->pool_end ||
		 c->range_size != o->range_size)
		what = "pool";
	if (!what)
		return;
	f = audit_add(x, "VG-FLEET-005", VG_SUBJ_HOST, "host", NULL,
		      "%s (%s) has another %s than this host: the same names do not get the same "
		      "ranges",
		      o->host, o->path, what);
	audit_ev(f, "here", "%s pool=%llu-%llu range_size=%llu key_id=%s", mine,
		 (unsigned long long)c->pool_start, (unsigned long long)c->pool_end,
		 (unsigned long long)c->range_size, kid ? kid : "-");
	audit_ev(f, "there", "%s pool=%llu-%llu range_size=%llu key_id=%s", o->allocation,
		 (unsigned long long)o->pool_start, (unsigned long long)o->pool_end,
		 (unsigned long long)o->range_size, o->key_id ? o->key_id : "-");
	audit_remedy(
	    f, "use the same [ranges] allocation, pool and allocation_key_file on every host");
}

static void compare(struct audit_ctx *x, const struct vg_fleet_export *o)
{
	compare_config(x, o);
	for (size_t i = 0; i < x->reg.n; i++) {
		const struct vg_range *rg = &x->reg.ranges[i];
		const struct vg_range *t = vg_registry_find(&o->reg, rg->name);
		struct vg_audit_finding *f;

		if (!audit_in_scope(x, VG_SUBJ_RANGE, rg->name, NULL))
			continue;
		if (t && (t->start != rg->start || t->count != rg->count)) {
			f = audit_add(x, "VG-FLEET-003", VG_SUBJ_RANGE, rg->name, NULL,
				      "'%s' has %llu-%llu here but %llu-%llu on %s: its files on "
				      "shared volumes change owner when it moves",
				      rg->name, (unsigned long long)rg->start,
				      (unsigned long long)(rg->start + rg->count - 1),
				      (unsigned long long)t->start,
				      (unsigned long long)(t->start + t->count - 1), o->host);
			audit_ev(f, "here", "%llu:%llu", (unsigned long long)rg->start,
				 (unsigned long long)rg->count);
			audit_ev(f, "there", "%llu:%llu", (unsigned long long)t->start,
				 (unsigned long long)t->count);
			audit_ev(f, "export", "%s", o->path);
			audit_remedy(
			    f,
			    "pick one host's range: volguard release %s on the other, then "
			    "volguard import its export there",
			    rg->name);
		}
		for (size_t j = 0; j < o->reg.n; j++) {
			const struct vg_range *u = &o->reg.ranges[j];
			if (strcmp(u->name, rg->name) == 0 || u->start >= rg->start + rg->count ||
			    rg->start >= u->start + u->count)
				continue;
			f = audit_add(
			    x, "VG-FLEET-004", VG_SUBJ_RANGE, rg->name, NULL,
			    "'%s' %llu-%llu here overlaps '%s' %llu-%llu on %s: on shared "
			    "volumes each owns the other's files",
			    rg->name, (unsigned long long)rg->start,
			    (unsigned long long)(rg->start + rg->count - 1), u->name,
			    (unsigned long long)u->start,
			    (unsigned long long)(u->start + u->count - 1), o->host);
			audit_ev(f, "other", "%s", u->name);
			audit_ev(f, "export", "%s", o->path);
			audit_remedy(
			    f, "release one of them on its host and import the other's export");
		}
	}
}

void audit_fleet(struct audit_ctx *x)
{
	if (!x->reg_ok)
		return;
	fill(x);
	collisions(x);
	if (x->o->compare)
		compare(x, x->o->compare);
}
