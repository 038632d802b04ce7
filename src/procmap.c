/* /proc/PID/uid_map and gid_map (procmap.h): a leaf, no other module's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procmap.h"
#include "vg.h"

#define ID_SPACE 4294967296ull /* 2^32: IDs are 32 bits */

static int take_number(const char **p, uint64_t *ret)
{
	char *end;

	while (**p == ' ' || **p == '\t')
		(*p)++;
	if (**p < '0' || **p > '9')
		return -EINVAL;
	errno = 0;
	*ret = strtoull(*p, &end, 10);
	if (errno || *ret >= ID_SPACE)
		return -EINVAL;
	*p = end;
	return 0;
}

int vg_proc_map_parse(const char *text, struct vg_proc_map *ret)
{
	const char *p = text;

	ret->n = 0;
	while (*p) {
		struct vg_map_extent x;

		if (*p == '\n') {
			p++;
			continue;
		}
		if (ret->n == VG_MAP_MAX_EXTENTS)
			return -E2BIG;
		if (take_number(&p, &x.inside) < 0 || take_number(&p, &x.outside) < 0 ||
		    take_number(&p, &x.count) < 0)
			return -EINVAL;
		/* The identity map's count is 2^32 - 1; every extent stays inside 2^32 IDs. */
		if (x.count == 0 || x.inside + x.count > ID_SPACE || x.outside + x.count > ID_SPACE)
			return -EINVAL;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '\n')
			return -EINVAL;
		ret->v[ret->n++] = x;
	}
	return 0;
}

bool vg_proc_map_is_host(const struct vg_proc_map *m)
{
	return m->n == 1 && m->v[0].inside == 0 && m->v[0].outside == 0 &&
	       m->v[0].count == ID_SPACE - 1;
}

bool vg_proc_map_within(const struct vg_proc_map *m, uint64_t start, uint64_t count)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].outside < start || m->v[i].outside + m->v[i].count > start + count)
			return false;
	return true;
}

char *vg_proc_map_text(const struct vg_proc_map *m)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		abort();
	for (size_t i = 0; i < m->n; i++)
		fprintf(f, "%s%llu %llu %llu", i ? ", " : "", (unsigned long long)m->v[i].inside,
			(unsigned long long)m->v[i].outside, (unsigned long long)m->v[i].count);
	if (fclose(f) != 0)
		abort();
	return buf;
}
