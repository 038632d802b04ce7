/*
 * Who on the host can reach the volumes root (VG-HOST-008). In userns mode the files in a
 * volume have container-relative owners on disk (DESIGN.md, Volume model): container UID 999
 * is host UID 999 there, so a host user with that UID reads what the container's user owns,
 * unless no host user can walk down to the volumes. Docker makes <volumes_root> 0701.
 *
 * A user reaches a directory when it may search (x) every directory from / down to it: the
 * owner, group and other bits, and the access ACL, judged as the kernel does
 * (acl_permission_check, posix_acl_permission). The users are "anyone" (no matching owner,
 * group or ACL entry) and every user NSS lists, root excepted, with its groups, the root group
 * excepted (DESIGN.md: only other users and other groups than root's count). Nothing is opened
 * but with O_PATH, nothing is changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "acl.h"
#include "audit_internal.h"
#include "cleanup.h"
#include "ranges.h"

#define REACH_MAX_DEPTH	   64  /* components from / to the volumes root */
#define REACH_MAX_ACL	   512 /* entries read of a directory's ACL */
#define REACH_MAX_GROUPS   256
#define REACH_MAX_EXAMPLES 3

/* The kernel's posix_acl_xattr form (<linux/posix_acl_xattr.h>). */
enum { T_USER_OBJ = 1, T_USER = 2, T_GROUP_OBJ = 4, T_GROUP = 8, T_MASK = 16, T_OTHER = 32 };
struct acl_entry {
	uint16_t tag, perm;
	uint32_t id;
};

struct dir_info {
	char *path;
	struct stat st;
	struct acl_entry *acl; /* NULL: none on disk (the mode alone) */
	size_t n_acl;
};

struct who {
	bool anyone; /* matches no owner, group or ACL entry */
	uid_t uid;
	gid_t groups[REACH_MAX_GROUPS];
	int n_groups;
};

static void dir_free(struct dir_info *d)
{
	free(d->path);
	free(d->acl);
}

/* The access ACL through /proc/self/fd (an O_PATH descriptor has no xattr calls of its own). */
static void read_acl(int fd, struct dir_info *d)
{
	_cleanup_free_ uint8_t *buf = vg_malloc0(4 + 8 * REACH_MAX_ACL);
	char p[64];
	ssize_t n;

	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	n = getxattr(p, VG_XATTR_ACL_ACCESS, buf, 4 + 8 * REACH_MAX_ACL);
	if (n < 4 || (n - 4) % 8 != 0)
		return; /* none, or not one we can judge: the mode bits decide */
	d->n_acl = (size_t)(n - 4) / 8;
	d->acl = vg_reallocarray(NULL, d->n_acl, sizeof(*d->acl));
	for (size_t i = 0; i < d->n_acl; i++) {
		const uint8_t *e = buf + 4 + 8 * i;
		d->acl[i].tag = (uint16_t)(e[0] | e[1] << 8);
		d->acl[i].perm = (uint16_t)(e[2] | e[3] << 8);
		d->acl[i].id = (uint32_t)e[4] | (uint32_t)e[5] << 8 | (uint32_t)e[6] << 16 |
			       (uint32_t)e[7] << 24;
	}
}

static bool in_group(const struct who *w, gid_t g)
{
	for (int i = 0; i < w->n_groups; i++)
		if (w->groups[i] == g)
			return true;
	return false;
}

/* posix_acl_permission() for MAY_EXEC, the owner already excluded. */
static bool acl_may_search(const struct dir_info *d, const struct who *w)
{
	const struct acl_entry *hit = NULL;
	bool found = false;
	uint16_t mask = 7;

	for (size_t i = 0; i < d->n_acl; i++)
		if (d->acl[i].tag == T_MASK)
			mask = d->acl[i].perm;
	for (size_t i = 0; i < d->n_acl && !hit; i++) {
		const struct acl_entry *e = &d->acl[i];
		switch (e->tag) {
		case T_USER:
			if (!w->anyone && e->id == w->uid)
				return (e->perm & mask & 1) != 0;
			break;
		case T_GROUP_OBJ:
		case T_GROUP:
			if (!w->anyone && in_group(w, e->tag == T_GROUP ? e->id : d->st.st_gid)) {
				found = true;
				if (e->perm & 1)
					hit = e;
			}
			break;
		case T_OTHER:
			return !found && (e->perm & 1);
		}
	}
	return hit && (mask & 1);
}

/* acl_permission_check(): may this user search the directory? */
static bool may_search(const struct dir_info *d, const struct who *w)
{
	mode_t m = d->st.st_mode;

	if (!w->anyone && d->st.st_uid == w->uid)
		return m & S_IXUSR;
	if (d->acl && (m & S_IRWXG))
		return acl_may_search(d, w);
	if (!w->anyone && in_group(w, d->st.st_gid))
		return m & S_IXGRP;
	return m & S_IXOTH;
}

static bool may_reach(const struct dir_info *v, size_t n, const struct who *w)
{
	for (size_t i = 0; i < n; i++)
		if (!may_search(&v[i], w))
			return false;
	return true;
}

/* Every directory from / down to `path` (resolved as the kernel resolves it, then walked
 * again without following anything). Returns the count, 0 when it cannot be walked. */
static size_t walk_chain(const char *path, struct dir_info *v)
{
	_cleanup_close_ int top = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC), cur = -1;
	_cleanup_free_ char *real = NULL;
	const char *p;
	char fdp[64];
	size_t n = 0;

	if (top < 0)
		return 0;
	snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", top);
	real = realpath(fdp, NULL);
	cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!real || real[0] != '/' || cur < 0)
		return 0;
	for (p = real;;) {
		struct dir_info *d = &v[n];
		_cleanup_free_ char *comp = NULL;
		size_t len;
		int next;

		if (n == REACH_MAX_DEPTH)
			break;
		memset(d, 0, sizeof(*d));
		if (fstat(cur, &d->st) < 0 || !S_ISDIR(d->st.st_mode))
			break;
		d->path = p == real ? vg_strdup("/") : vg_asprintf("%.*s", (int)(p - real), real);
		read_acl(cur, d);
		n++;
		p += strspn(p, "/");
		if (!*p)
			return n;
		len = strcspn(p, "/");
		comp = vg_asprintf("%.*s", (int)len, p);
		next = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(cur);
		cur = next;
		if (cur < 0)
			break;
		p += len;
	}
	for (size_t i = 0; i < n; i++)
		dir_free(&v[i]);
	return 0;
}

/* A user NSS lists, with its groups (the root group dropped: it counts as root's). */
static bool who_of(const struct passwd *pw, struct who *w)
{
	gid_t g[REACH_MAX_GROUPS];
	int ng = REACH_MAX_GROUPS;

	memset(w, 0, sizeof(*w));
	w->uid = pw->pw_uid;
	if (getgrouplist(pw->pw_name, pw->pw_gid, g, &ng) < 0)
		ng = REACH_MAX_GROUPS; /* more than that: the first ones */
	for (int i = 0; i < ng; i++)
		if (g[i] != 0)
			w->groups[w->n_groups++] = g[i];
	return pw->pw_uid != 0;
}

struct reachers {
	const struct dir_info *v;
	size_t n, count;
	char *ex; /* the first examples */
};

static void reacher(const struct passwd *pw, void *data)
{
	struct reachers *r = data;
	struct who w;
	char *t;

	if (!who_of(pw, &w) || !may_reach(r->v, r->n, &w))
		return;
	if (++r->count > REACH_MAX_EXAMPLES)
		return;
	t = vg_asprintf("%s%suser %s (%u)", r->ex ? r->ex : "", r->ex ? ", " : "", pw->pw_name,
			(unsigned)pw->pw_uid);
	free(r->ex);
	r->ex = t;
}

/* Which host users reach every directory of the chain: "any user", or the NSS users who do
 * (examples in *ret, the count returned). 0 when nobody but root does. */
static size_t who_reaches(const struct dir_info *v, size_t n, char **ret)
{
	struct who w = { .anyone = true };
	struct reachers r = { .v = v, .n = n };

	*ret = NULL;
	if (may_reach(v, n, &w)) {
		*ret = vg_strdup("any user (others may search every directory down to it)");
		return 1;
	}
	vg_nss_foreach_user(reacher, &r);
	if (r.count)
		*ret = r.count > REACH_MAX_EXAMPLES
			   ? vg_asprintf("%s and %zu more", r.ex, r.count - REACH_MAX_EXAMPLES)
			   : vg_strdup(r.ex);
	free(r.ex);
	return r.count;
}

static char *chain_text(const struct dir_info *v, size_t n)
{
	char *s = vg_strdup("");

	for (size_t i = 0; i < n; i++) {
		char *t = vg_asprintf("%s%s%s %04o %u:%u%s", s, i ? "; " : "", v[i].path,
				      (unsigned)(v[i].st.st_mode & 07777), (unsigned)v[i].st.st_uid,
				      (unsigned)v[i].st.st_gid, v[i].acl ? " +acl" : "");
		free(s);
		s = t;
	}
	return s;
}

void audit_reach_volumes(struct audit_ctx *x)
{
	_cleanup_free_ struct dir_info *v = vg_reallocarray(NULL, REACH_MAX_DEPTH, sizeof(*v));
	_cleanup_free_ char *by = NULL, *names = NULL, *chain = NULL;
	const struct dir_info *top;
	struct vg_audit_finding *f;
	size_t n, n_userns = 0;

	/* Only where volumes hold container-relative owners: a shift-only host has none. */
	for (size_t i = 0; i < x->n_cts; i++) {
		const struct audit_ct *ct = &x->cts[i];
		char *t;
		if (ct->mode != VG_ISOLATION_USERNS || ++n_userns > 5)
			continue;
		t = vg_asprintf("%s%s%s", names ? names : "", names ? "," : "",
				ct->ct.name ? ct->ct.name : ct->dir);
		free(names);
		names = t;
	}
	if (!n_userns || !(n = walk_chain(x->c->volumes_root, v)))
		return;
	top = &v[n - 1];
	if (who_reaches(v, n, &by)) {
		chain = chain_text(v, n);
		f = audit_add(x, "VG-HOST-008", VG_SUBJ_HOST, "host", NULL,
			      "volumes root %s can be reached by %s, while %zu container(s) run in "
			      "userns mode, whose volumes keep container-relative owners: host UID "
			      "N can use the files of container UID N",
			      top->path, by, n_userns);
		audit_ev(f, "path", "%s", top->path);
		audit_ev(f, "seen", "mode %04o uid %u gid %u%s",
			 (unsigned)(top->st.st_mode & 07777), (unsigned)top->st.st_uid,
			 (unsigned)top->st.st_gid, top->acl ? " with an ACL" : "");
		audit_ev(f, "expected",
			 "mode 0700 (or a directory above it that host users cannot "
			 "search)");
		audit_ev(f, "reachable_by", "%s", by);
		audit_ev(f, "chain", "%s", chain);
		audit_ev(f, "userns_containers", "%s%s", names, n_userns > 5 ? ",..." : "");
		audit_remedy(f, "chmod 0700 %s", top->path);
	}
	for (size_t i = 0; i < n; i++)
		dir_free(&v[i]);
}
