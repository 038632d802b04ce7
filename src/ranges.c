/* Interval sets of host IDs, and the sources of IDs a new range must avoid. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "ranges.h"

void vg_intervals_add(struct vg_intervals *s, uint64_t first, uint64_t last, const char *why)
{
	if (s->n == s->n_alloc) { /* geometric: a registry of 100,000 lines adds as many */
		s->n_alloc = s->n_alloc ? 2 * s->n_alloc : 64;
		s->v = vg_reallocarray(s->v, s->n_alloc, sizeof(*s->v));
	}
	s->v[s->n++] = (struct vg_interval){ .first = first, .last = last, .why = why };
}

void vg_intervals_free(struct vg_intervals *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
	s->n_alloc = 0;
}

static int cmp_interval(const void *a, const void *b)
{
	const struct vg_interval *x = a, *y = b;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return 0;
}

void vg_intervals_normalize(struct vg_intervals *s)
{
	size_t out = 0;

	if (s->n == 0)
		return;
	qsort(s->v, s->n, sizeof(*s->v), cmp_interval);
	for (size_t i = 1; i < s->n; i++) {
		struct vg_interval *cur = &s->v[out];
		/* Merge overlapping and adjacent intervals; last+1 cannot wrap below 2^64. */
		if (s->v[i].first <= cur->last + 1) {
			if (s->v[i].last > cur->last)
				cur->last = s->v[i].last;
		} else {
			s->v[++out] = s->v[i];
		}
	}
	s->n = out + 1;
}

int vg_intervals_first_fit(const struct vg_intervals *s, uint64_t pool_start, uint64_t pool_end,
			   uint64_t align, uint64_t size, uint64_t *ret)
{
	uint64_t c;
	size_t i = 0;

	if (align == 0 || size == 0)
		return -EINVAL;
	/* Round up to alignment; all values are below 2^33 so nothing overflows. */
	c = (pool_start + align - 1) / align * align;
	while (c + size - 1 <= pool_end) {
		while (i < s->n && s->v[i].last < c)
			i++;
		if (i == s->n || s->v[i].first > c + size - 1) {
			*ret = c;
			return 0;
		}
		c = (s->v[i].last + 1 + align - 1) / align * align;
	}
	return -ENOSPC;
}

void vg_intervals_add_reserved(struct vg_intervals *s)
{
	vg_intervals_add(s, 0, 65535, "system IDs 0..65535");
	vg_intervals_add(s, UINT32_MAX, UINT32_MAX, "the invalid ID 4294967295");
}

int vg_subid_foreach(const char *path, unsigned flags, vg_subid_fn fn, void *data,
		     struct vg_error *e)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t n;
	int r;

	f = vg_fopen_regular(path);
	if (!f) {
		if (errno == ENOENT)
			return 0;
		if (errno == EINVAL)
			return vg_error_set(e, EINVAL, "%s: not a regular file; refusing it", path);
		return vg_error_errno(e, errno, "%s: cannot read", path);
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *p, *q, *name, *save = NULL;
		uint64_t start, count;

		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		p = line + strspn(line, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		if (!(name = strtok_r(p, ":", &save)) || !(q = strtok_r(NULL, ":", &save)) ||
		    vg_parse_u64(q, UINT32_MAX, &start) < 0 || !(q = strtok_r(NULL, ":", &save)) ||
		    vg_parse_u64(q, UINT32_MAX, &count) < 0 || strtok_r(NULL, ":", &save)) {
			if (flags & VG_SUBID_SKIP_MALFORMED)
				continue;
			return vg_error_set(e, EINVAL,
					    "%s:%u: not a subordinate ID line (name:start:count)",
					    path, lineno);
		}
		if (count > 0 && (r = fn(name, start, count, data)) < 0)
			return r;
	}
	if (ferror(f))
		return vg_error_errno(e, EIO, "%s: read", path);
	return 0;
}

static int add_subid(const char *name, uint64_t start, uint64_t count, void *data)
{
	(void)name;
	vg_intervals_add(data, start, start + count - 1, "a subordinate ID delegation");
	return 0;
}

int vg_intervals_add_subid_file(struct vg_intervals *s, const char *path, struct vg_error *e)
{
	return vg_subid_foreach(path, 0, add_subid, s, e);
}

void vg_nss_foreach_user(void (*fn)(const struct passwd *pw, void *data), void *data)
{
	struct passwd *pw;

	setpwent();
	while ((pw = getpwent()))
		fn(pw, data);
	endpwent();
}

void vg_nss_foreach_group(void (*fn)(const struct group *gr, void *data), void *data)
{
	struct group *gr;

	setgrent();
	while ((gr = getgrent()))
		fn(gr, data);
	endgrent();
}

struct nss_ids {
	struct vg_intervals *s;
	uint64_t lo, hi;
};

static void add_user_id(const struct passwd *pw, void *data)
{
	const struct nss_ids *w = data;

	if (pw->pw_uid >= w->lo && pw->pw_uid <= w->hi)
		vg_intervals_add(w->s, pw->pw_uid, pw->pw_uid, "the UID of an existing user");
}

static void add_group_id(const struct group *gr, void *data)
{
	const struct nss_ids *w = data;

	if (gr->gr_gid >= w->lo && gr->gr_gid <= w->hi)
		vg_intervals_add(w->s, gr->gr_gid, gr->gr_gid, "the GID of an existing group");
}

void vg_intervals_add_nss_ids(struct vg_intervals *s, uint64_t lo, uint64_t hi)
{
	struct nss_ids w = { .s = s, .lo = lo, .hi = hi };

	vg_nss_foreach_user(add_user_id, &w);
	vg_nss_foreach_group(add_group_id, &w);
}
