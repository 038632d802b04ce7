/*
 * The policy's context, under every judge (policy_paths.c, policy_mounts.c, policy_facts.c):
 * a finding added to the check's report, and how a resolved path relates to the host facts
 * the run (policy.c) gathered into the context once per check or batch (sensitive paths by
 * device and inode, Docker's directories).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "policy_internal.h"
#include "resolve.h"

bool vg_policy_di_in(const struct vg_devino *v, size_t n, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].dev == dev && v[i].ino == ino)
			return true;
	return false;
}

static bool path_below(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return p[0] == '/' && p[1] != '\0';
	return strncmp(p, dir, n) == 0 && p[n] == '/';
}

/* Is sensitive entry s at or above Docker directory d (so an exception below d excuses s)? */
static bool sens_covers(const struct vg_sensitive *s, const struct vg_docker_dir *d)
{
	if (!s->exists || !d->ok)
		return false;
	return (s->dev == d->di.dev && s->ino == d->di.ino) ||
	       vg_policy_di_in(d->anc, d->n_anc, s->dev, s->ino);
}

static enum vg_rel sens_relation(const struct vg_sensitive *s, const struct vg_resolved *r,
				 const struct vg_devino *anc, size_t n_anc)
{
	if (s->exists) {
		if (r->exists && r->dev == s->dev && r->ino == s->ino)
			return REL_EQUAL;
		/* A missing tail is created below the deepest existing directory. */
		if (!s->is_root && (vg_policy_di_in(anc, n_anc, s->dev, s->ino) ||
				    (!r->exists && r->dev == s->dev && r->ino == s->ino)))
			return REL_BELOW;
		if (r->exists && vg_policy_di_in(s->anc, s->n_anc, r->dev, r->ino))
			return REL_ABOVE;
		return REL_NONE;
	}
	/* A sensitive path that does not exist yet: by resolved string. */
	if (strcmp(r->path, s->resolved) == 0)
		return REL_EQUAL;
	if (path_below(r->path, s->resolved))
		return REL_BELOW;
	if (path_below(s->resolved, r->path))
		return REL_ABOVE;
	return REL_NONE;
}

const struct vg_sensitive *vg_policy_sens_match(struct vg_policy_ctx *x,
						const struct vg_resolved *r,
						const struct vg_docker_dir *excused_below,
						enum vg_rel *ret)
{
	for (size_t i = 0; i < x->n_sens; i++) {
		const struct vg_sensitive *s = &x->sens[i];
		enum vg_rel rel = sens_relation(s, r, r->anc, r->n_anc);

		if (rel == REL_NONE)
			continue;
		/* An exception excuses only entries at or above Docker's directories. */
		if (rel == REL_BELOW && excused_below && sens_covers(s, excused_below))
			continue;
		*ret = rel;
		return s;
	}
	return NULL;
}

void vg_policy_report_sensitive(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
				const char *subject, const struct vg_resolved *r, const char *from,
				const char *carried, const struct vg_sensitive *s, enum vg_rel rel)
{
	const char *mode = m->readonly ? "ro" : "rw";
	const char *what = m->readonly ? "read-only bind" : "writable bind";
	_cleanup_free_ char *how = NULL;
	enum vg_verdict v = VG_DENY;
	const char *rule = "sensitive-writable";

	if (m->readonly) {
		v = x->c->allow_readonly_sensitive ? VG_WARN : VG_DENY;
		rule = "sensitive-readonly";
	}
	how = rel == REL_EQUAL	 ? vg_strdup("is a sensitive host path")
	      : rel == REL_BELOW ? vg_asprintf("is inside the sensitive host path %s", s->path)
				 : vg_asprintf("exposes the sensitive host path %s", s->path);
	if (carried)
		vg_policy_add(x->rep, v, rule, idx, subject, mode, r->path,
			      "%s of %s%s carries the mount %s, which %s", what, r->path, from,
			      carried, how);
	else
		vg_policy_add(x->rep, v, rule, idx, subject, mode, r->path, "%s of %s%s %s", what,
			      r->path, from, how);
}
