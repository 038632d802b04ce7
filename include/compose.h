/*
 * A compose file (docker-compose 1.29), read with libyaml into one vg_container per service:
 * the same description `check -- run ARGS` builds, because every option a service sets goes
 * through vg_dockerargs_parse as the docker run flag Compose gives the daemon. Variables
 * ($VAR ${VAR} ${VAR:-d} ${VAR-d} ${VAR:?m} ${VAR?m} $$) come from the environment, then the
 * project's .env; `extends` (same file or `file:`) merges as Compose merges. What decides
 * admission and cannot be resolved (an unset variable, an unknown reference) is an error with
 * file:line:column, never a guess. Aliases are followed, never expanded: every visit of a node
 * counts against a budget, so an alias bomb ends in an error. The module never prints.
 */
#pragma once
#include <stddef.h>

#include "container.h"
#include "vg.h"

/* Most YAML nodes visited while reading one project (aliases count each time they are used). */
#define VG_COMPOSE_MAX_VISITS 200000
#define VG_COMPOSE_MAX_SIZE   (4 * 1024 * 1024)

struct vg_compose_opts {
	const char *project;  /* -p, or NULL: COMPOSE_PROJECT_NAME, else the file's directory */
	const char *env_file; /* --env-file, or NULL: <project directory>/.env when it exists */
	char *const *env;     /* "K=V" strings; NULL: the process environment */
};

struct vg_compose_service {
	char *name;		/* the service's key */
	char *container;	/* its first container's name: container_name, else P_S_1 */
	char *where;		/* "FILE:LINE:COL" of the service */
	unsigned replicas;	/* scale / deploy.replicas, 1 by default */
	struct vg_container ct; /* what `docker run` would get for the first replica */
};

struct vg_compose {
	char *file;
	char *project;
	struct vg_compose_service *v;
	size_t n;
};

/* Read and resolve the compose file `path`. */
int vg_compose_load(const char *path, const struct vg_compose_opts *o, struct vg_compose *ret,
		    struct vg_error *e);
/* The same from text in memory (fuzzers, tests); `path` names it in messages and sets the
 * project directory (its dirname). */
int vg_compose_parse(const char *text, size_t len, const char *path,
		     const struct vg_compose_opts *o, struct vg_compose *ret, struct vg_error *e);
void vg_compose_free(struct vg_compose *c);
