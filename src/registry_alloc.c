/*
 * Giving out and taking back ranges: first fit in the pool, the quarantine of released ranges,
 * and the binding of a range to the container ID that claimed it. Rules this file keeps:
 *  - a new range avoids every allocation, every quarantined range that has not served its
 *    time, the subuid/subgid delegations, the IDs of users and groups, and the system IDs;
 *  - only a full pool takes a range from quarantine early, the one released first;
 *  - a range stays with the container ID it was claimed by (docker rename); a name passes to a
 *    new container only when the old one is gone from Docker's files and runc's state;
 *  - a shared identity (identity.h: compose/, swarm/, pod/) is never evicted: its range is
 *    bound to every container of it that still exists (container=ID,ID,...).
 *  - [ranges] allocation = deterministic: the first block of the name's probe sequence (a keyed
 *    SipHash-2-4 of the name, double hashing) that avoids all of the above, so that hosts with
 *    the same pool and key agree without talking; the name's own quarantined range, exactly,
 *    is no obstacle to it (a re-created identity gets its range back, as on a host that never
 *    released it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "identity.h"
#include "ranges.h"
#include "registry.h"
#include "siphash.h"
#include "inuse.h"

/* ---- metadata helpers ---------------------------------------------------------------------- */

static bool meta_char_ok(unsigned char ch)
{
	return ch > ' ' && ch < 127 && ch != '#' && ch != '%';
}

char *vg_meta_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = vg_malloc0(3 * strlen(s) + 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (meta_char_ok(*p)) {
			*o++ = (char)*p;
			continue;
		}
		*o++ = '%';
		*o++ = hex[*p >> 4];
		*o++ = hex[*p & 15];
	}
	return out;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

char *vg_meta_decode(const char *s)
{
	_cleanup_free_ char *out = vg_malloc0(strlen(s) + 1);
	char *o = out;

	for (const char *p = s; *p; p++) {
		int hi, lo;
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		hi = hexval(p[1]);
		lo = hi < 0 ? -1 : hexval(p[2]);
		if (lo < 0 || (hi == 0 && lo == 0))
			return NULL;
		*o++ = (char)(hi * 16 + lo);
		p += 2;
	}
	return TAKE_PTR(out);
}

static void now_text(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- allocation ---------------------------------------------------------------------------- */

/* Everything but the quarantine that a new range must avoid, normalized. */
static int avoid_set(const struct vg_registry *r, const struct vg_config *c,
		     struct vg_intervals *avoid, struct vg_error *e)
{
	int rc;

	vg_intervals_add_reserved(avoid);
	rc = vg_intervals_add_subid_file(avoid, c->subuid_file, e);
	if (rc >= 0)
		rc = vg_intervals_add_subid_file(avoid, c->subgid_file, e);
	if (rc < 0)
		return rc;
	vg_intervals_add_nss_ids(avoid, c->pool_start, c->pool_end);
	for (size_t i = 0; i < r->n; i++)
		vg_intervals_add(avoid, r->ranges[i].start,
				 r->ranges[i].start + r->ranges[i].count - 1, "another allocation");
	vg_intervals_normalize(avoid);
	return 0;
}

/*
 * The pool is full: the quarantined range released first whose first `size` IDs are free of
 * everything else (quarantined ranges never overlap each other). Its first `size` IDs leave
 * the quarantine; *ret_from names whose it was.
 */
static int reuse_quarantined(struct vg_registry *r, const struct vg_config *c,
			     const struct vg_intervals *avoid, uint64_t size, uint64_t *ret,
			     char **ret_from)
{
	struct vg_registry *q = r->quarantine;
	struct vg_range *best = NULL;
	int64_t best_at = 0;

	for (size_t i = 0; q && i < q->n; i++) {
		struct vg_range *qr = &q->ranges[i];
		uint64_t got;
		int64_t at = vg_range_released_at(qr);

		if (qr->count < size || qr->start < c->pool_start ||
		    qr->start + size - 1 > c->pool_end || qr->start % c->range_size != 0 ||
		    vg_intervals_first_fit(avoid, qr->start, qr->start + size - 1, c->range_size,
					   size, &got) < 0)
			continue;
		if (!best || at < best_at) {
			best = qr;
			best_at = at;
		}
	}
	if (!best)
		return -ENOSPC;
	*ret = best->start;
	*ret_from = vg_strdup(best->name);
	if (best->count == size) {
		vg_registry_remove(q, best);
	} else {
		best->start += size;
		best->count -= size;
		q->dirty = true;
	}
	r->q_reused = true;
	return 0;
}

/* Does [first, last] avoid the normalized set (binary search)? */
static bool block_free(const struct vg_intervals *s, uint64_t first, uint64_t last)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) { /* the first interval that ends at or after `first` */
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid].last < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == s->n || s->v[lo].first > last;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

void vg_alloc_probe_init(const uint8_t key[VG_SIPHASH_KEY_SIZE], const char *name,
			 uint64_t positions, struct vg_probe *p)
{
	uint64_t h = vg_siphash24(key, name, strlen(name));

	p->positions = positions;
	p->home = positions ? (h & UINT32_MAX) % positions : 0;
	p->step = 1;
	if (positions > 2) {
		p->step = 1 + (h >> 32) % (positions - 1);
		while (gcd(p->step, positions) != 1) /* every position, once */
			p->step = p->step % (positions - 1) + 1;
	}
}

uint64_t vg_alloc_probe_at(const struct vg_probe *p, uint64_t i)
{
	/* home + i * step mod positions, without overflow (positions < 2^32). */
	return (p->home + (i % p->positions) * p->step % p->positions) % p->positions;
}

/* The same name's quarantined line of exactly [start, start + size): NULL if none. */
static struct vg_range *own_quarantined(const struct vg_registry *r, const char *name,
					uint64_t start, uint64_t size)
{
	for (size_t i = 0; r->quarantine && i < r->quarantine->n; i++) {
		struct vg_range *qr = &r->quarantine->ranges[i];
		if (qr->start == start && qr->count == size && strcmp(qr->name, name) == 0)
			return qr;
	}
	return NULL;
}

/*
 * Deterministic: the first block of NAME's probe sequence that avoids `all` (or is NAME's own
 * quarantined range, which then leaves the quarantine). *ret_probes: blocks tried before it.
 */
static int deterministic_fit(struct vg_registry *r, const struct vg_config *c, const char *name,
			     const struct vg_intervals *all, uint64_t size, uint64_t *ret,
			     uint64_t *ret_probes, struct vg_error *e)
{
	uint64_t slots = (c->pool_end - c->pool_start + 1) / c->range_size;
	uint64_t need = size / c->range_size;
	uint8_t key[VG_SIPHASH_KEY_SIZE];
	struct vg_probe p;
	int rc = 0;

	if (c->allocation_key_set)
		memcpy(key, c->allocation_key, sizeof(key));
	else
		rc = vg_config_allocation_key(c, key, e);
	if (rc < 0)
		return rc;
	if (need > slots)
		return -ENOSPC;
	vg_alloc_probe_init(key, name, slots - need + 1, &p);
	for (uint64_t i = 0; i < p.positions; i++) {
		uint64_t start = c->pool_start + vg_alloc_probe_at(&p, i) * c->range_size;
		struct vg_range *own = own_quarantined(r, name, start, size);
		if (own || block_free(all, start, start + size - 1)) {
			if (own) {
				vg_registry_remove(r->quarantine, own);
				r->q_reused = true;
			}
			*ret = start;
			*ret_probes = i;
			return 0;
		}
	}
	return -ENOSPC;
}

/* A new range of `size` IDs: first fit (or NAME's probe sequence) outside the quarantine, else
 * the oldest quarantined. *ret_probes: UINT64_MAX unless deterministic found it. */
static int new_range(struct vg_registry *r, const struct vg_config *c, const char *name,
		     uint64_t size, uint64_t *ret, char **ret_from, uint64_t *ret_probes,
		     struct vg_error *e)
{
	struct vg_intervals avoid = { 0 }, all = { 0 };
	int64_t now = (int64_t)time(NULL);
	int rc = avoid_set(r, c, &avoid, e);

	*ret_from = NULL;
	*ret_probes = UINT64_MAX;
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < avoid.n; i++)
		vg_intervals_add(&all, avoid.v[i].first, avoid.v[i].last, avoid.v[i].why);
	for (size_t i = 0; r->quarantine && i < r->quarantine->n; i++) {
		const struct vg_range *qr = &r->quarantine->ranges[i];
		if (vg_quarantine_until(r, qr) > now)
			vg_intervals_add(&all, qr->start, qr->start + qr->count - 1,
					 "a quarantined range");
	}
	vg_intervals_normalize(&all);
	if (c->allocation == VG_ALLOC_DETERMINISTIC)
		rc = deterministic_fit(r, c, name, &all, size, ret, ret_probes, e);
	else
		rc = vg_intervals_first_fit(&all, c->pool_start, c->pool_end, c->range_size, size,
					    ret);
	if (rc == -ENOSPC)
		rc = reuse_quarantined(r, c, &avoid, size, ret, ret_from);
	if (rc == -ENOSPC)
		rc =
		    vg_error_set(e, ENOSPC, "no free range of %llu IDs left in the pool %llu..%llu",
				 (unsigned long long)size, (unsigned long long)c->pool_start,
				 (unsigned long long)c->pool_end);
out:
	vg_intervals_free(&avoid);
	vg_intervals_free(&all);
	return rc;
}

int vg_registry_alloc(struct vg_registry *r, const struct vg_config *c, const char *name,
		      uint64_t size, struct vg_range **ret, bool *ret_new, struct vg_error *e)
{
	_cleanup_free_ char *from = NULL;
	struct vg_range *rg;
	uint64_t start = 0, probes = UINT64_MAX;
	char created[32], nprobes[24];
	int rc;

	if (ret_new)
		*ret_new = false;
	if (!vg_identity_valid(name))
		return vg_error_set(
		    e, EINVAL,
		    "'%.300s' is not a valid container name "
		    "([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 255 bytes) or identity "
		    "(compose/PROJECT/SERVICE, swarm/SERVICE/SLOT, pod/NAMESPACE/NAME)",
		    name);
	rg = vg_registry_find(r, name);
	if (rg) {
		*ret = rg;
		return 0;
	}
	if (size == 0)
		size = c->range_size;
	if (size % c->range_size != 0)
		return vg_error_set(e, EINVAL, "--size %llu is not a multiple of range_size %llu",
				    (unsigned long long)size, (unsigned long long)c->range_size);
	rc = new_range(r, c, name, size, &start, &from, &probes, e);
	if (rc < 0)
		return rc;
	rg = vg_registry_add(r, name, start, size);
	now_text(created, sizeof(created));
	rc = vg_range_set_meta(r, rg, "created", created, e);
	if (rc >= 0 && from)
		rc = vg_range_set_meta(r, rg, "reused_from", from, e);
	if (rc >= 0 && probes != UINT64_MAX) {
		snprintf(nprobes, sizeof(nprobes), "%llu", (unsigned long long)probes);
		rc = vg_range_set_meta(r, rg, "allocation", "deterministic", e);
		if (rc >= 0)
			rc = vg_range_set_meta(r, rg, "probes", nprobes, e);
	}
	if (rc < 0)
		return rc;
	*ret = rg;
	if (ret_new)
		*ret_new = true;
	return 0;
}

/* ---- release ------------------------------------------------------------------------------- */

/* A copy of rg (its strings may live in r's arena) at rest in the quarantine. */
static int quarantine(struct vg_registry *r, const struct vg_range *rg, struct vg_error *e)
{
	struct vg_registry *q = r->quarantine;
	struct vg_range *qr = vg_registry_add(q, rg->name, rg->start, rg->count);
	char when[32];
	int rc = 0;

	for (size_t i = 0; rc >= 0 && i < rg->n_meta; i++)
		rc = vg_range_set_meta(q, qr, rg->meta[i].key, rg->meta[i].value, e);
	now_text(when, sizeof(when));
	if (rc >= 0)
		rc = vg_range_set_meta(q, qr, "released", when, e);
	return rc;
}

int vg_registry_release(struct vg_registry *r, const char *name, struct vg_error *e)
{
	struct vg_range *rg = vg_registry_find(r, name);
	int rc;

	if (!rg)
		return vg_error_set(e, ENOENT, "'%.300s' has no range", name);
	if (r->quarantine && r->quarantine_days > 0) {
		rc = quarantine(r, rg, e);
		if (rc < 0)
			return rc;
	}
	vg_registry_remove(r, rg);
	return 0;
}

/* ---- binding a range to a container -------------------------------------------------------- */

/* runc's --root recorded with `rg` (decoded; caller frees), or NULL. */
static char *recorded_root(const struct vg_range *rg)
{
	const char *enc = vg_range_get_meta(rg, "runc_root");
	return enc ? vg_meta_decode(enc) : NULL;
}

/* Does the container `id` that `rg` is bound to still exist: Docker's files or runc's state. */
static bool bound_alive(const struct vg_config *c, const struct vg_range *rg, char **ret_name)
{
	const char *id = vg_range_get_meta(rg, "container");
	_cleanup_free_ char *root = recorded_root(rg);

	*ret_name = NULL;
	if (!id)
		return false;
	if (vg_inuse_docker_container(c, id, ret_name))
		return true;
	return vg_inuse_runc_has(root, id);
}

struct claim_plan {
	struct vg_range *own;	/* bound to the container */
	struct vg_range *named; /* the name's line, when not own */
	bool evict;		/* named belongs to another container that still exists */
	char *evicted_name;	/* its container's name now, or NULL */
};

static void plan_claim(const struct vg_registry *r, const struct vg_config *c, const char *name,
		       const char *id, struct claim_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->own = vg_registry_find_container(r, id);
	if (p->own)
		return;
	p->named = vg_registry_find(r, name);
	/* A shared identity's range serves each of its containers: nothing to evict. A plain
	 * name's line never holds a shared range (names have no '/'). */
	if (p->named && !vg_identity_shared(name))
		p->evict = bound_alive(c, p->named, &p->evicted_name);
}

const struct vg_range *vg_registry_claimable(const struct vg_registry *r, const struct vg_config *c,
					     const char *name, const char *id)
{
	struct claim_plan p;
	const struct vg_range *rg;

	plan_claim(r, c, name, id, &p);
	rg = p.own ? p.own : p.evict ? NULL : p.named;
	free(p.evicted_name);
	return rg;
}

/* Move `rg` (another container's, still alive) out of the way: its container's name now when
 * that is free, else its container ID (unique: one range per container). */
static int evict(struct vg_registry *r, struct vg_range *rg, const char *name, char *now,
		 struct vg_error *e)
{
	const char *id = vg_range_get_meta(rg, "container");

	if (now && strcmp(now, name) != 0 && vg_name_valid(now) && !vg_registry_find(r, now))
		return vg_registry_rename(r, rg, now, e);
	return vg_registry_rename(r, rg, id, e);
}

/*
 * The container list of a shared range with `id` added: the IDs bound before that still exist
 * (Docker's files, runc's state in the recorded root or runc's usual roots), then `id`. A
 * rescheduled task or a removed replica leaves the list at the next claim.
 */
static char *shared_list(const struct vg_config *c, const struct vg_range *rg, const char *id)
{
	const char *v = vg_range_get_meta(rg, "container");
	_cleanup_free_ char *copy = v ? vg_strdup(v) : NULL, *root = recorded_root(rg);
	char *out = vg_strdup(""), *save = NULL;

	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t;
	     t = strtok_r(NULL, ",", &save)) {
		char *next;
		if (strcmp(t, id) == 0 || !vg_inuse_container_alive(c, root, t))
			continue;
		next = vg_asprintf("%s%s,", out, t);
		free(out);
		out = next;
	}
	{
		char *next = vg_asprintf("%s%s", out, id);
		free(out);
		out = next;
	}
	return out;
}

static int bind_range(struct vg_registry *r, const struct vg_config *c, struct vg_range *rg,
		      const char *id, const char *runc_root, struct vg_error *e)
{
	_cleanup_free_ char *enc =
	    runc_root && runc_root[0] == '/' ? vg_meta_encode(runc_root) : NULL;
	_cleanup_free_ char *ids = NULL;
	enum vg_identity_kind k = vg_identity_kind_of(rg->name);
	int rc;

	if (k != VG_IDENTITY_NAME) {
		ids = shared_list(c, rg, id);
		rc = vg_range_set_meta(r, rg, "container", ids, e);
		if (rc >= 0)
			rc = vg_range_set_meta(r, rg, "identity", vg_identity_kind_name(k), e);
	} else {
		rc = vg_range_set_meta(r, rg, "container", id, e);
	}
	if (rc >= 0 && enc)
		rc = vg_range_set_meta(r, rg, "runc_root", enc, e);
	return rc;
}

int vg_registry_claim(struct vg_registry *r, const struct vg_config *c, const char *name,
		      const char *id, const char *runc_root, struct vg_range **ret, bool *ret_new,
		      struct vg_error *e)
{
	struct claim_plan p;
	struct vg_range *rg = NULL;
	int rc = 0;

	if (ret_new)
		*ret_new = false;
	if (!id || !vg_name_valid(id))
		return vg_error_set(e, EINVAL, "'%.300s' is not a valid container ID",
				    id ? id : "(none)");
	plan_claim(r, c, name, id, &p);
	if (p.own) {
		/* Follow Docker's name when it is free; the binding is what counts. A shared range
		 * keeps its identity, and a container keeps its range when its identity is now
		 * another (the config changed): its files carry that range's IDs. */
		if (strcmp(p.own->name, name) != 0 && vg_name_valid(name) &&
		    !vg_identity_shared(p.own->name) && !vg_registry_find(r, name))
			rc = vg_registry_rename(r, p.own, name, e);
		rg = p.own;
	} else {
		if (p.named && p.evict)
			rc = evict(r, p.named, name, p.evicted_name, e);
		if (rc >= 0)
			rc = vg_registry_alloc(r, c, name, 0, &rg, ret_new, e);
	}
	free(p.evicted_name);
	if (rc >= 0 && !rg) /* vg_registry_alloc sets it on success */
		return vg_error_set(e, ENOENT, "'%.300s' has no range", name);
	if (rc >= 0)
		rc = bind_range(r, c, rg, id, runc_root, e);
	if (rc >= 0)
		*ret = rg;
	return rc;
}
