/*
 * Fleet: export, import and the reading of another host's export. Rules this file keeps:
 *  - an export is checked whole before anything uses it: every field of every range, names
 *    unique, ranges disjoint; an error names the file and the field;
 *  - an import is checked whole against this host before the registry changes at all, so a
 *    refused import leaves the registry as it was (the command then writes nothing).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fleet.h"
#include "identity.h"
#include "ranges.h"
#include "siphash.h"

static const char key_id_text[] = "volguard allocation key id";

char *vg_fleet_key_id(const struct vg_config *c)
{
	uint8_t key[VG_SIPHASH_KEY_SIZE];
	struct vg_error e = { 0 };

	if (c->allocation_key_set)
		memcpy(key, c->allocation_key, sizeof(key));
	else if (vg_config_allocation_key(c, key, &e) < 0)
		return NULL;
	return vg_asprintf("%016llx",
			   (unsigned long long)vg_siphash24(key, key_id_text, strlen(key_id_text)));
}

static json_t *range_json(const struct vg_range *rg)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:I}", "name", rg->name, "start",
			      (json_int_t)rg->start, "count", (json_int_t)rg->count, "end",
			      (json_int_t)(rg->start + rg->count - 1));
	json_t *meta = json_object();

	for (size_t i = 0; i < rg->n_meta; i++)
		json_object_set_new(meta, rg->meta[i].key, json_string(rg->meta[i].value));
	json_object_set_new(o, "meta", meta);
	return o;
}

json_t *vg_fleet_export_json(const struct vg_registry *r, const struct vg_config *c)
{
	json_t *root = json_object(), *arr = json_array();
	char host[256] = "";
	_cleanup_free_ char *kid = NULL;

	json_object_set_new(root, "version", json_integer(VG_FLEET_EXPORT_VERSION));
	if (gethostname(host, sizeof(host) - 1) == 0 && host[0])
		json_object_set_new(root, "host", json_string(host));
	json_object_set_new(
	    root, "allocation",
	    json_string(c->allocation == VG_ALLOC_DETERMINISTIC ? "deterministic" : "first-fit"));
	if (c->allocation == VG_ALLOC_DETERMINISTIC) {
		kid = vg_fleet_key_id(c);
		if (kid)
			json_object_set_new(root, "key_id", json_string(kid));
	}
	for (size_t i = 0; i < r->n; i++)
		json_array_append_new(arr, range_json(&r->ranges[i]));
	json_object_set_new(root, "ranges", arr);
	arr = json_array();
	for (size_t i = 0; r->quarantine && i < r->quarantine->n; i++) {
		const struct vg_range *q = &r->quarantine->ranges[i];
		json_t *qo = range_json(q);
		json_object_set_new(qo, "until",
				    json_integer((json_int_t)vg_quarantine_until(r, q)));
		json_array_append_new(arr, qo);
	}
	json_object_set_new(root, "quarantine", arr);
	json_object_set_new(root, "quarantine_days", json_integer((json_int_t)c->quarantine_days));
	json_object_set_new(root, "range_size", json_integer((json_int_t)c->range_size));
	json_object_set_new(root, "pool_start", json_integer((json_int_t)c->pool_start));
	json_object_set_new(root, "pool_end", json_integer((json_int_t)c->pool_end));
	return root;
}

/* ---- reading an export --------------------------------------------------------------------- */

void vg_fleet_free(struct vg_fleet_export *x)
{
	free(x->path);
	free(x->host);
	free(x->allocation);
	free(x->key_id);
	vg_registry_close(&x->reg);
	memset(x, 0, sizeof(*x));
	vg_registry_init(&x->reg);
}

static int bad(struct vg_error *e, const struct vg_fleet_export *x, const char *field,
	       const char *why)
{
	return vg_error_set(e, EINVAL, "%s: %s: %s", x->path, field, why);
}

static int get_u32(const json_t *o, const char *k, bool need, uint64_t *ret)
{
	const json_t *v = json_object_get(o, k);

	if (!v)
		return need ? -ENOENT : 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)UINT32_MAX)
		return -EINVAL;
	*ret = (uint64_t)json_integer_value(v);
	return 1;
}

static int read_range(struct vg_fleet_export *x, const json_t *o, size_t i, struct vg_error *e)
{
	char field[64];
	const json_t *name = json_object_get(o, "name"), *meta = json_object_get(o, "meta");
	uint64_t start = 0, count = 0, end = 0;
	struct vg_range *rg;
	int rc;

	snprintf(field, sizeof(field), "ranges[%zu]", i);
	if (!json_is_object(o))
		return bad(e, x, field, "not an object");
	snprintf(field, sizeof(field), "ranges[%zu].name", i);
	if (!json_is_string(name) || !vg_identity_valid(json_string_value(name)))
		return bad(e, x, field, "missing, or not a valid name");
	if (vg_registry_find(&x->reg, json_string_value(name)))
		return bad(e, x, field, "the name is listed twice");
	snprintf(field, sizeof(field), "ranges[%zu].start", i);
	if (get_u32(o, "start", true, &start) < 0 || start < 65536)
		return bad(e, x, field, "missing, or not a number in 65536..4294967294");
	snprintf(field, sizeof(field), "ranges[%zu].count", i);
	if (get_u32(o, "count", true, &count) < 0 || count == 0 || start + count - 1 >= UINT32_MAX)
		return bad(e, x, field, "missing, 0, or past 4294967294");
	snprintf(field, sizeof(field), "ranges[%zu].end", i);
	rc = get_u32(o, "end", false, &end);
	if (rc < 0 || (rc > 0 && end != start + count - 1))
		return bad(e, x, field, "not start + count - 1");
	snprintf(field, sizeof(field), "ranges[%zu].meta", i);
	if (meta && !json_is_object(meta))
		return bad(e, x, field, "not an object");
	for (size_t j = 0; j < x->reg.n; j++) {
		const struct vg_range *o2 = &x->reg.ranges[j];
		if (start < o2->start + o2->count && o2->start < start + count) {
			snprintf(field, sizeof(field), "ranges[%zu]", i);
			return vg_error_set(e, EINVAL,
					    "%s: %s: '%s' overlaps '%s' in the same file", x->path,
					    field, json_string_value(name), o2->name);
		}
	}
	rg = vg_registry_add(&x->reg, json_string_value(name), start, count);
	/* Only the metadata that tells how the range was chosen travels; the rest is the other
	 * host's own (container IDs, runc roots). */
	for (const char *const *k = (const char *const[]){ "allocation", "probes", NULL }; *k;
	     k++) {
		const json_t *v = meta ? json_object_get(meta, *k) : NULL;
		if (v && (!json_is_string(v) ||
			  vg_range_set_meta(&x->reg, rg, *k, json_string_value(v), e) < 0)) {
			snprintf(field, sizeof(field), "ranges[%zu].meta.%s", i, *k);
			return bad(e, x, field, "not a valid metadata value");
		}
	}
	return 0;
}

int vg_fleet_read(const char *path, struct vg_fleet_export *x, struct vg_error *e)
{
	_cleanup_json_ json_t *root = NULL;
	json_error_t je;
	const json_t *v, *arr;
	struct stat st;
	size_t i;
	json_t *it;
	int rc;

	memset(x, 0, sizeof(*x));
	vg_registry_init(&x->reg);
	x->path = vg_strdup(path);
	x->reg.path = vg_strdup(path);
	if (stat(path, &st) < 0)
		return vg_error_errno(e, errno, "%s: cannot read the export", path);
	if (!S_ISREG(st.st_mode))
		return vg_error_set(e, EINVAL, "%s: the export is not a regular file", path);
	if (st.st_size > VG_FLEET_MAX_SIZE)
		return vg_error_set(e, EFBIG, "%s: the export is larger than %u bytes", path,
				    VG_FLEET_MAX_SIZE);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return vg_error_set(e, EINVAL, "%s:%d:%d: not JSON: %s", path, je.line, je.column,
				    je.text);
	if (!json_is_object(root))
		return bad(e, x, "(top)", "not an object (expected `volguard list --json`)");
	v = json_object_get(root, "version");
	if (!json_is_integer(v))
		return bad(e, x, "version",
			   "missing (not the output of `volguard list --json` of volguard 1.1 or "
			   "later)");
	if (json_integer_value(v) != VG_FLEET_EXPORT_VERSION)
		return bad(e, x, "version", "unsupported (this volguard reads version 1)");
	v = json_object_get(root, "host");
	if (v && (!json_is_string(v) || !*json_string_value(v)))
		return bad(e, x, "host", "not a non-empty string");
	x->host = vg_strdup(v ? json_string_value(v) : "(unknown host)");
	v = json_object_get(root, "allocation");
	if (!json_is_string(v) || (strcmp(json_string_value(v), "first-fit") != 0 &&
				   strcmp(json_string_value(v), "deterministic") != 0))
		return bad(e, x, "allocation", "missing, or not first-fit or deterministic");
	x->allocation = vg_strdup(json_string_value(v));
	v = json_object_get(root, "key_id");
	if (v && !json_is_string(v))
		return bad(e, x, "key_id", "not a string");
	x->key_id = v ? vg_strdup(json_string_value(v)) : NULL;
	if (get_u32(root, "pool_start", true, &x->pool_start) < 0)
		return bad(e, x, "pool_start", "missing, or not a number");
	if (get_u32(root, "pool_end", true, &x->pool_end) < 0)
		return bad(e, x, "pool_end", "missing, or not a number");
	if (get_u32(root, "range_size", true, &x->range_size) < 0 || x->range_size == 0)
		return bad(e, x, "range_size", "missing, or not a positive number");
	arr = json_object_get(root, "ranges");
	if (!json_is_array(arr))
		return bad(e, x, "ranges", "missing, or not an array");
	json_array_foreach(arr, i, it)
	{
		rc = read_range(x, it, i, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- import -------------------------------------------------------------------------------- */

static bool overlap(uint64_t a, uint64_t na, uint64_t b, uint64_t nb)
{
	return a < b + nb && b < a + na;
}

/* Why `theirs` cannot be pinned here, or 0. */
static int check_one(const struct vg_registry *r, const struct vg_config *c,
		     const struct vg_fleet_export *x, const struct vg_intervals *avoid,
		     const struct vg_range *t, struct vg_error *e)
{
	const struct vg_range *mine = vg_registry_find(r, t->name);
	uint64_t last = t->start + t->count - 1;
	int64_t now = (int64_t)time(NULL);

	if (mine && (mine->start != t->start || mine->count != t->count))
		return vg_error_set(e, VG_EREFUSED,
				    "%s: '%s' has %llu..%llu on %s but %llu..%llu here; release it "
				    "here first (volguard release %s) to take the other host's",
				    x->path, t->name, (unsigned long long)t->start,
				    (unsigned long long)last, x->host,
				    (unsigned long long)mine->start,
				    (unsigned long long)(mine->start + mine->count - 1), t->name);
	if (mine)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct vg_range *o = &r->ranges[i];
		if (overlap(t->start, t->count, o->start, o->count))
			return vg_error_set(
			    e, VG_EREFUSED,
			    "%s: '%s' %llu..%llu on %s overlaps '%s' %llu..%llu here", x->path,
			    t->name, (unsigned long long)t->start, (unsigned long long)last,
			    x->host, o->name, (unsigned long long)o->start,
			    (unsigned long long)(o->start + o->count - 1));
	}
	for (size_t i = 0; r->quarantine && i < r->quarantine->n; i++) {
		const struct vg_range *q = &r->quarantine->ranges[i];
		if (strcmp(q->name, t->name) != 0 && vg_quarantine_until(r, q) > now &&
		    overlap(t->start, t->count, q->start, q->count))
			return vg_error_set(
			    e, VG_EREFUSED,
			    "%s: '%s' %llu..%llu on %s overlaps '%s' %llu..%llu, released here and "
			    "in quarantine",
			    x->path, t->name, (unsigned long long)t->start,
			    (unsigned long long)last, x->host, q->name,
			    (unsigned long long)q->start,
			    (unsigned long long)(q->start + q->count - 1));
	}
	for (size_t i = 0; i < avoid->n; i++)
		if (t->start <= avoid->v[i].last && avoid->v[i].first <= last)
			return vg_error_set(
			    e, VG_EREFUSED,
			    "%s: '%s' %llu..%llu on %s overlaps %s here (%llu..%llu)", x->path,
			    t->name, (unsigned long long)t->start, (unsigned long long)last,
			    x->host, avoid->v[i].why, (unsigned long long)avoid->v[i].first,
			    (unsigned long long)avoid->v[i].last);
	if (t->start < c->pool_start || last > c->pool_end || t->start % c->range_size != 0 ||
	    t->count % c->range_size != 0)
		return vg_error_set(
		    e, VG_EREFUSED,
		    "%s: '%s' %llu..%llu on %s is outside this host's pool "
		    "%llu..%llu or not aligned to its range_size %llu",
		    x->path, t->name, (unsigned long long)t->start, (unsigned long long)last,
		    x->host, (unsigned long long)c->pool_start, (unsigned long long)c->pool_end,
		    (unsigned long long)c->range_size);
	return 0;
}

int vg_fleet_import(struct vg_registry *r, const struct vg_config *c,
		    const struct vg_fleet_export *x, size_t *ret_added, struct vg_error *e)
{
	struct vg_intervals avoid = { 0 };
	_cleanup_free_ char *from = vg_meta_encode(x->host);
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	*ret_added = 0;
	vg_intervals_add_reserved(&avoid);
	rc = vg_intervals_add_subid_file(&avoid, c->subuid_file, e);
	if (rc >= 0)
		rc = vg_intervals_add_subid_file(&avoid, c->subgid_file, e);
	if (rc >= 0) {
		vg_intervals_add_nss_ids(&avoid, c->pool_start, c->pool_end);
		vg_intervals_normalize(&avoid);
	}
	for (size_t i = 0; rc >= 0 && i < x->reg.n; i++)
		rc = check_one(r, c, x, &avoid, &x->reg.ranges[i], e);
	vg_intervals_free(&avoid);
	if (rc < 0)
		return rc;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (size_t i = 0; i < x->reg.n; i++) {
		const struct vg_range *t = &x->reg.ranges[i];
		struct vg_range *rg;
		if (vg_registry_find(r, t->name))
			continue;
		rg = vg_registry_add(r, t->name, t->start, t->count);
		r->dirty = true;
		rc = vg_range_set_meta(r, rg, "imported", when, e);
		if (rc >= 0)
			rc = vg_range_set_meta(r, rg, "pinned_from", from, e);
		for (size_t j = 0; rc >= 0 && j < t->n_meta; j++)
			rc = vg_range_set_meta(r, rg, t->meta[j].key, t->meta[j].value, e);
		if (rc < 0)
			return rc;
		(*ret_added)++;
	}
	return 0;
}
