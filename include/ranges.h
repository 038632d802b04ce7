/* ID interval arithmetic: the set of host IDs a new range must avoid, and first fit. */
#pragma once
#include <stdint.h>

#include "config.h"
#include "vg.h"

struct vg_interval {
	uint64_t first, last; /* inclusive */
	const char *why;      /* static description for messages */
};

struct vg_intervals {
	struct vg_interval *v;
	size_t n;
	size_t n_alloc; /* allocated entries of v */
};

void vg_intervals_add(struct vg_intervals *s, uint64_t first, uint64_t last, const char *why);
void vg_intervals_free(struct vg_intervals *s);
/* Sort and merge; afterwards the set is ordered and disjoint. */
void vg_intervals_normalize(struct vg_intervals *s);
/* First aligned block of `size` IDs in [pool_start, pool_end] that avoids the (normalized)
 * set; -ENOSPC when none. */
int vg_intervals_first_fit(const struct vg_intervals *s, uint64_t pool_start, uint64_t pool_end,
			   uint64_t align, uint64_t size, uint64_t *ret);

/*
 * The one reader of subuid/subgid files: fn(name, start, count) for each "name:start:count" line
 * with count > 0 (blank lines and '#' comments skipped); fn returning < 0 stops with that result.
 * A missing file: 0, nothing called. A malformed line is an error naming file:line, unless
 * VG_SUBID_SKIP_MALFORMED (then it is skipped). Not a regular file: -EINVAL.
 */
#define VG_SUBID_SKIP_MALFORMED 1u
typedef int (*vg_subid_fn)(const char *name, uint64_t start, uint64_t count, void *data);
int vg_subid_foreach(const char *path, unsigned flags, vg_subid_fn fn, void *data,
		     struct vg_error *e);
/* The one reader of NSS users and groups (getpwent/getgrent, so files, LDAP, sssd...). */
struct passwd;
struct group;
void vg_nss_foreach_user(void (*fn)(const struct passwd *pw, void *data), void *data);
void vg_nss_foreach_group(void (*fn)(const struct group *gr, void *data), void *data);

/* Add the delegations of a subuid/subgid file ("name:start:count" lines); a missing file adds
 * nothing; a malformed line is an error naming file:line. */
int vg_intervals_add_subid_file(struct vg_intervals *s, const char *path, struct vg_error *e);
/* Add every UID and GID of existing users and groups (NSS) that falls in [lo, hi]. */
void vg_intervals_add_nss_ids(struct vg_intervals *s, uint64_t lo, uint64_t hi);
/* IDs no range may contain: 0..65535 (system IDs, overflow IDs 65534/65535), 4294967295. */
void vg_intervals_add_reserved(struct vg_intervals *s);
