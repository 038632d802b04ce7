/* Shared between policy.c (host paths) and policy_facts.c (mounts, volumes, privileges). */
#pragma once
#include <stdbool.h>
#include <sys/types.h>

#include "policy.h"
#include "resolve.h"

struct libmnt_table;


struct vg_sensitive {
	char *path;     /* as configured */
	char *resolved;
	bool exists;
	bool is_root;   /* "/" matches only itself: everything lies below it */
	dev_t dev;
	ino_t ino;
	struct vg_devino *anc; /* directories above it */
	size_t n_anc;
};

struct vg_socket {
	struct vg_devino sock;
	struct vg_devino *anc;
	size_t n_anc;
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

void vg_policy_add(struct vg_report *rep, enum vg_verdict v, const char *rule, size_t idx,
		   const char *subject, const char *mode, const char *resolved, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
/* Judge host path `src` mounted as m (via: " via volume NAME" or NULL, for messages). */
void vg_policy_judge_path(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
			  const char *subject, const char *src, const char *via);
void vg_policy_judge_mount(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
			   const char *inherited_from);
/* A local volume's opts.json: a bind volume is judged by its device. */
void vg_policy_judge_volume_opts(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
				 const char *subject, const char *volume);
void vg_policy_volumes_from(struct vg_policy_ctx *x, vg_container_lookup_fn lookup, void *data);
void vg_policy_facts(struct vg_policy_ctx *x);
