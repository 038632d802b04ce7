/* Who uses a name: Docker's containers (on-disk files) and volumes' recorded members. */
#pragma once
#include "config.h"
#include "vg.h"

/* Names of all containers in <docker_root>/containers/<ID>/config.v2.json ("Name", without
 * the leading '/'); a missing containers dir gives none. Unreadable files are skipped. */
int vg_usage_container_names(const struct vg_config *c, char ***ret, struct vg_error *e);
/* Volumes (under volumes_root) whose recorded members include `name` (NULL: any member;
 * then *ret lists "VOLUME:MEMBER" pairs). */
int vg_usage_volumes_of(const struct vg_config *c, const char *name, char ***ret,
			struct vg_error *e);
