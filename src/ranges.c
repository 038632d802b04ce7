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

int vg_intervals_add_subid_file(struct vg_intervals *s, const char *path, struct vg_error *e)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	ssize_t n;

	f = vg_fopen_regular(path);
	if (!f) {
		if (errno == ENOENT)
			return 0;
		if (errno == EINVAL)
			return vg_error_set(e, EINVAL, "%s: not a regular file; refusing it", path);
		return vg_error_errno(e, errno, "%s: cannot read", path);
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *p, *q, *save = NULL;
		uint64_t start, count;

		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		p = line + strspn(line, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		if (!strtok_r(p, ":", &save) || !(q = strtok_r(NULL, ":", &save)) ||
		    vg_parse_u64(q, UINT32_MAX, &start) < 0 || !(q = strtok_r(NULL, ":", &save)) ||
		    vg_parse_u64(q, UINT32_MAX, &count) < 0 || strtok_r(NULL, ":", &save))
			return vg_error_set(e, EINVAL,
					    "%s:%u: not a subordinate ID line (name:start:count)",
					    path, lineno);
		if (count > 0)
			vg_intervals_add(s, start, start + count - 1,
					 "a subordinate ID delegation");
	}
	if (ferror(f))
		return vg_error_errno(e, EIO, "%s: read", path);
	return 0;
}

void vg_intervals_add_nss_ids(struct vg_intervals *s, uint64_t lo, uint64_t hi)
{
	struct passwd *pw;
	struct group *gr;

	setpwent();
	while ((pw = getpwent()))
		if (pw->pw_uid >= lo && pw->pw_uid <= hi)
			vg_intervals_add(s, pw->pw_uid, pw->pw_uid, "the UID of an existing user");
	endpwent();
	setgrent();
	while ((gr = getgrent()))
		if (gr->gr_gid >= lo && gr->gr_gid <= hi)
			vg_intervals_add(s, gr->gr_gid, gr->gr_gid, "the GID of an existing group");
	endgrent();
}
