/*
 * What volguard-runc and the prestart hook share about the named volumes a container mounts:
 * find them in the spec's mounts (binds of <volumes_root>/NAME/_data), check membership before
 * anything changes, then prepare each one.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "container.h"
#include "vg.h"

struct vg_mounted_volume {
	char *name;
	bool ro; /* every mount of it is read-only, or the config declares the member ro */
};

struct vg_mounted_volumes {
	struct vg_mounted_volume *v;
	size_t n;
};

/* "<volumes_root>/NAME/_data" -> NAME (caller frees), or NULL. */
char *vg_volume_of_source(const char *volumes_root, const char *source);
/* The named volumes among ct's bind mounts. */
void vg_mounted_volumes_find(const struct vg_config *c, const struct vg_container *ct,
			     struct vg_mounted_volumes *ret);
bool vg_mounted_volumes_has(const struct vg_mounted_volumes *vols, const char *name);
/* Declared members: mark declared ro members ro; with strict_membership refuse a non-member
 * (VG_EREFUSED). Changes nothing on disk. */
int vg_mounted_volumes_check(const struct vg_config *c, struct vg_mounted_volumes *vols,
			     const char *member, struct vg_error *e);
/* vg_volume_prepare for each, with the member's principal host IDs. */
int vg_mounted_volumes_prepare(const struct vg_config *c, const struct vg_mounted_volumes *vols,
			       const char *member, uint32_t uid, uint32_t gid, struct vg_error *e);
void vg_mounted_volumes_free(struct vg_mounted_volumes *vols);
