/* What Docker's own files say about volumes (src/docker_volumes.c). */
#pragma once
#include "config.h"
#include "members.h"
#include "vg.h"

/*
 * Refuse a volumes_root that dockerd does not use: with userns-remap, Docker keeps its data
 * in <docker_root>/UID.GID/. `daemon_json` ([paths] daemon_config, read by docker.c) may be
 * NULL; one that cannot be read says nothing here.
 */
int vg_volume_check_userns_remap(const char *docker_root, const char *daemon_json,
				 struct vg_error *e);
/* Add the containers whose <docker_root>/containers/ID/config.v2.json mounts `volume`
 * (MountPoints, Type "volume"), principals unknown (UINT32_MAX); ro unless one mounts it RW. */
int vg_volume_discover_members(const struct vg_config *c, const char *volume, struct vg_members *m,
			       struct vg_error *e);
