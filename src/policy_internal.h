/*
 * Inside the policy, in layers: policy_report.c (the findings) and policy_ctx.c (this
 * context: a finding added, sensitive-path matching) under the judges, policy_mounts.c (the mount
 * table), policy_paths.c (what a mount reaches: host paths, volumes, --volumes-from) and
 * policy_facts.c (privileges, namespaces), and policy.c (the run) on top. Nothing here is for
 * callers outside the policy.
 */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "container.h"
#include "policy_report.h"
#include "resolve.h"

struct libmnt_table;

struct vg_sensitive {
	char *path; /* as configured */
	char *resolved;
	bool exists;
	bool is_root; /* "/" matches only itself: everything lies below it */
	dev_t dev;
	ino_t ino;
	struct vg_devino *anc; /* directories above it */
	size_t n_anc;
};

struct vg_socket {
	struct vg_devino sock;
	struct vg_devino *anc;
	size_t n_anc;
	bool listening; /* found in the kernel's table, not among the known runtime sockets */
};

struct vg_docker_dir {
	bool ok;
	struct vg_devino di;
	struct vg_devino *anc;
	size_t n_anc;
};

struct vg_policy_ctx {
	int root; /* O_PATH "/", shared by every resolution */
	const struct vg_config *c;
	const struct vg_container *ct;
	struct vg_report *rep;
	struct vg_sensitive *sens;
	size_t n_sens;
	struct vg_socket *socks;
	char **sock_paths;
	size_t n_socks;
	char *volumes_root; /* c->volumes_root, or <docker_root>/volumes */
	struct vg_docker_dir volumes, containers;
	const char *mountinfo;
	struct libmnt_table *mnt_table;
	bool mnt_failed;
};

enum vg_rel { REL_NONE, REL_EQUAL, REL_BELOW, REL_ABOVE };

/* ---- policy_ctx.c ---- */

/* Is (dev, ino) one of the n entries of v? */
bool vg_policy_di_in(const struct vg_devino *v, size_t n, dev_t dev, ino_t ino);

/* The first sensitive entry r is, lies below or above; excused_below (Docker's own files)
 * excuses "below" for the entries at or above that directory. */
const struct vg_sensitive *vg_policy_sens_match(struct vg_policy_ctx *x,
						const struct vg_resolved *r,
						const struct vg_docker_dir *excused_below,
						enum vg_rel *ret);
/* One finding for a sensitive bind (carried: the mount below it that is the reason). */
void vg_policy_report_sensitive(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
				const char *subject, const struct vg_resolved *r, const char *from,
				const char *carried, const struct vg_sensitive *s, enum vg_rel rel);

/* ---- policy_mounts.c: the mount table (/proc/self/mountinfo, by libmount) ---- */

struct libmnt_table *vg_policy_mount_table(struct vg_policy_ctx *x);
/* The first writable mount strictly below dir, and how many there are. */
const char *vg_policy_writable_submount(struct vg_policy_ctx *x, const char *dir, size_t *count);
/* Where r really is when it lies in a bind mount of part of a file system ("/srv/ssh" bound
 * from "/etc/ssh" gives "/etc/ssh/..."); NULL when it is where it seems. */
char *vg_policy_canonical_path(struct vg_policy_ctx *x, const struct vg_resolved *r);
/* Judge the mounts below a recursive bind of r; true when one made a finding. */
bool vg_policy_carried_mounts(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
			      const char *subject, const struct vg_resolved *r, const char *from);

/* ---- policy_paths.c: what a mount reaches on the host ---- */

/* Mount m (index idx of the container's; SIZE_MAX when inherited through --volumes-from,
 * inherited_from naming it). */
void vg_policy_judge_mount(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
			   const char *inherited_from);
/* The mounts of every --volumes-from container, found by lookup (NULL: warned, not judged). */
void vg_policy_volumes_from(struct vg_policy_ctx *x, vg_container_lookup_fn lookup, void *data);

/* ---- policy_facts.c: privileges and host namespaces ---- */

void vg_policy_facts(struct vg_policy_ctx *x);
