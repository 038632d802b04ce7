/*
 * The mount-check policy engine (issue 4): a vg_container in, a verdict per mount and per
 * privilege fact out. No I/O beyond resolving paths (and reading a volume's opts.json).
 */
#pragma once
#include <sys/types.h>

#include "config.h"
#include "container.h"
#include "policy_report.h" /* the verdicts a check fills in */
#include "vg.h"

/*
 * Judge every mount and fact of `ct`. `lookup` (container.h) resolves --volumes-from names to
 * containers (may be NULL: then --volumes-from is judged as unknown and warns).
 */
int vg_policy_check(const struct vg_config *c, const struct vg_container *ct,
		    vg_container_lookup_fn lookup, void *lookup_data, struct vg_report *rep,
		    struct vg_error *e);

/* Knobs the config does not carry (tests, audit). NULL members mean the built-in defaults. */
struct vg_policy_opts {
	/* Host paths of runtime sockets whose directories must not be bound, even read-only. */
	const char *const *runtime_sockets;
	/* mountinfo file to find writable submounts (default /proc/self/mountinfo). */
	const char *mountinfo;
	/* Tables of listening unix sockets (default: /proc/self/net/unix, and PID 1's when it
	 * is another network namespace); an empty list reads none. */
	const char *const *unix_tables;
};
/* Never fails: what cannot be judged is a finding. */
void vg_policy_check_opts(const struct vg_config *c, const struct vg_container *ct,
			  vg_container_lookup_fn lookup, void *lookup_data,
			  const struct vg_policy_opts *opts, struct vg_report *rep);
/* Many containers against one host (audit): the sensitive paths and runtime sockets are
 * resolved once, when the batch is made, instead of once per container. */
struct vg_policy_batch;
struct vg_policy_batch *vg_policy_batch_new(const struct vg_config *c,
					    const struct vg_policy_opts *opts);
void vg_policy_batch_check(struct vg_policy_batch *b, const struct vg_container *ct,
			   vg_container_lookup_fn lookup, void *lookup_data, struct vg_report *rep);
void vg_policy_batch_free(struct vg_policy_batch *b);
