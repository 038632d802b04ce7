/*
 * volguard audit: the run, on top of the checks in audit_host.c (daemon.json, state files,
 * ranges), audit_containers.c (with audit_live.c, audit_modes.c, audit_reach.c and
 * audit_mounts.c) and audit_volumes.c, which make their findings through the model in
 * audit_finding.c; the reports are audit_render.c's. Audit only reads: it opens nothing for
 * writing, follows no symlink inside Docker's trees, and turns every unreadable or corrupt input
 * into a finding of its own rather than an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "audit_internal.h"
#include "cleanup.h"

/* Host first, then ranges, containers, volumes; by subject; worst first; then by ID. */
static int cmp_finding(const void *pa, const void *pb)
{
	const struct vg_audit_finding *a = pa, *b = pb;
	int r;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	r = strcmp(a->subject, b->subject);
	if (r != 0)
		return r;
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	r = strcmp(a->id, b->id);
	return r ? r : strcmp(a->message, b->message);
}

int vg_audit_run(const struct vg_config *c, const struct vg_audit_opts *o, struct vg_audit *a,
		 struct vg_error *e)
{
	struct audit_ctx x = { .c = c, .o = o, .a = a };
	int r;

	memset(a, 0, sizeof(*a));
	vg_registry_init(&x.reg);
	audit_daemon(&x);
	audit_files(&x);
	audit_registry_load(&x);
	r = audit_containers_index(&x, e);
	if (r >= 0)
		r = audit_volumes_index(&x, e);
	if (r >= 0 && o->container && !audit_find_ct(&x, o->container) &&
	    !vg_registry_find(&x.reg, o->container))
		r = vg_error_set(e, ENOENT,
				 "no container '%s' in %s/containers and no range of that name",
				 o->container, c->docker_root);
	if (r >= 0) {
		audit_ranges(&x);
		audit_fleet(&x);
		audit_containers(&x);
		audit_volumes(&x);
		audit_narrow(&x);
		if (a->n > 1) /* qsort(NULL, 0, ...) is undefined */
			qsort(a->v, a->n, sizeof(*a->v), cmp_finding);
	}
	for (size_t i = 0; i < x.n_cts; i++)
		audit_ct_free(&x.cts[i]);
	free(x.cts);
	for (size_t i = 0; i < x.n_vols; i++)
		audit_vol_free(&x.vols[i]);
	free(x.vols);
	vg_strv_free(x.vg_runtimes);
	free(x.userns_remap);
	vg_intervals_free(&x.remap);
	vg_policy_batch_free(x.policy);
	vg_registry_close(&x.reg);
	return r;
}
