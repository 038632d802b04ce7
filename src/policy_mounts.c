/*
 * The mount table in the policy: a recursive bind carries the mounts below it, and a bind mount
 * of part of a file system hides where that part is. Both are judged from /proc/self/mountinfo
 * (libmount), read once per check.
 */
#include <fcntl.h>
#include <libmount.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "policy_internal.h"

/* p is strictly below dir (not dir itself): "/a/b" is below "/a", "/a" is not. */
static bool strictly_below(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return p[0] == '/' && p[1] != '\0';
	return strncmp(p, dir, n) == 0 && p[n] == '/';
}

/* p is dir or below it. */
static bool at_or_below(const char *p, const char *dir)
{
	return strcmp(p, dir) == 0 || strictly_below(p, dir);
}

struct libmnt_table *vg_policy_mount_table(struct vg_policy_ctx *x)
{
	if (!x->mnt_table && !x->mnt_failed) {
		x->mnt_table = mnt_new_table_from_file(x->mountinfo);
		x->mnt_failed = !x->mnt_table;
	}
	return x->mnt_table;
}

const char *vg_policy_writable_submount(struct vg_policy_ctx *x, const char *dir, size_t *count)
{
	struct libmnt_table *tb = vg_policy_mount_table(x);
	struct libmnt_iter *it;
	struct libmnt_fs *fs;
	const char *first = NULL;

	*count = 0;
	if (!tb || !(it = mnt_new_iter(MNT_ITER_FORWARD)))
		return NULL;
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *t = mnt_fs_get_target(fs), *o = mnt_fs_get_vfs_options(fs);
		if (!t || !strictly_below(t, dir))
			continue;
		if (o && mnt_optstr_get_option(o, "ro", NULL, NULL) == 0)
			continue;
		if (!first)
			first = t;
		(*count)++;
	}
	mnt_free_iter(it);
	return first;
}

/* The mount `path` lies in: the last mount (mountinfo is in mount order) whose target is path
 * or above it. */
static struct libmnt_fs *mount_of(struct libmnt_table *tb, const char *path)
{
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *fs, *best = NULL;
	size_t best_len = 0;

	if (!it)
		return NULL;
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *t = mnt_fs_get_target(fs);
		if (t && at_or_below(path, t) && strlen(t) >= best_len) {
			best = fs;
			best_len = strlen(t);
		}
	}
	mnt_free_iter(it);
	return best;
}

char *vg_policy_canonical_path(struct vg_policy_ctx *x, const struct vg_resolved *r)
{
	struct libmnt_table *tb;
	struct libmnt_fs *fs, *f, *whole = NULL;
	struct libmnt_iter *it;
	const char *target, *root, *rel;
	size_t whole_len = (size_t)-1;
	dev_t devno;

	if (r->foreign_root || !(tb = vg_policy_mount_table(x)) || !(fs = mount_of(tb, r->path)))
		return NULL;
	target = mnt_fs_get_target(fs);
	root = mnt_fs_get_root(fs);
	devno = mnt_fs_get_devno(fs);
	if (!target || !root)
		return NULL;
	rel = r->path + (strcmp(target, "/") == 0 ? 0 : strlen(target));
	/* Another mount of the same file system whose root is above this one's: the shortest
	 * such root is the nearest to the whole file system. */
	if (!(it = mnt_new_iter(MNT_ITER_FORWARD)))
		return NULL;
	while (mnt_table_next_fs(tb, it, &f) == 0) {
		const char *fr = mnt_fs_get_root(f);
		if (f == fs || mnt_fs_get_devno(f) != devno || !fr || !mnt_fs_get_target(f))
			continue;
		if (strcmp(fr, root) != 0 && at_or_below(root, fr) && strlen(fr) < whole_len) {
			whole = f;
			whole_len = strlen(fr);
		}
	}
	mnt_free_iter(it);
	if (!whole)
		return NULL;
	{
		const char *wt = mnt_fs_get_target(whole), *wr = mnt_fs_get_root(whole);
		const char *inside = root + (strcmp(wr, "/") == 0 ? 0 : strlen(wr));
		return vg_asprintf("%s%s%s", strcmp(wt, "/") == 0 ? "" : wt, inside, rel);
	}
}

bool vg_policy_carried_mounts(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
			      const char *subject, const struct vg_resolved *r, const char *from)
{
	struct libmnt_table *tb = vg_policy_mount_table(x);
	struct libmnt_iter *it;
	struct libmnt_fs *fs;
	bool found = false;

	if (!tb || !(it = mnt_new_iter(MNT_ITER_FORWARD)))
		return false;
	while (!found && mnt_table_next_fs(tb, it, &fs) == 0) {
		const char *t = mnt_fs_get_target(fs);
		const struct vg_sensitive *s;
		struct vg_resolved sub, real;
		struct vg_error e;
		enum vg_rel rel;

		if (!t || !strictly_below(t, r->path) ||
		    vg_resolve_at(x->root, t, NULL, &sub, &e) < 0)
			continue;
		/* The mount's root by identity (a whole file system mounted there), then where a
		 * partial bind comes from. */
		if ((s = vg_policy_sens_match(x, &sub, NULL, &rel)) && rel != REL_BELOW) {
			vg_policy_report_sensitive(x, m, idx, subject, r, from, t, s, rel);
			found = true;
		} else {
			_cleanup_free_ char *canon = vg_policy_canonical_path(x, &sub);
			if (canon && vg_resolve_at(x->root, canon, NULL, &real, &e) == 0) {
				if ((s = vg_policy_sens_match(x, &real, NULL, &rel))) {
					_cleanup_free_ char *c =
					    vg_asprintf("%s (a bind mount of %s)", t, real.path);
					vg_policy_report_sensitive(x, m, idx, subject, r, from, c,
								   s, rel);
					found = true;
				}
				vg_resolved_free(&real);
			}
		}
		vg_resolved_free(&sub);
	}
	mnt_free_iter(it);
	return found;
}
