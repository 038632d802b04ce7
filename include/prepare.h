/*
 * What volguard-runc and the prestart hook share about the named volumes a container mounts:
 * find them in the spec's mounts (binds of <volumes_root>/NAME/_data), check membership before
 * anything changes, then prepare each one.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include <jansson.h>

#include "container.h"
#include "isolation.h"
#include "vg.h"

struct vg_mounted_volume {
	char *name;    /* the volume whose data is mounted */
	char *via;     /* the bind volume (or bind source) it was reached through, or NULL */
	bool ro;       /* every mount of it is read-only, or its member is recorded/declared ro */
	bool any_rw;   /* some mount of it is read-write in the spec */
	bool ours;     /* vg_mounted_volumes_check: volguard's (vg_volume_is_ours) */
	bool force_ro; /* ... ro member mounted rw: the spec's mounts must become ro */
	size_t *idx;   /* indices in the spec's mounts[] */
	size_t n_idx;
};

struct vg_mounted_volumes {
	struct vg_mounted_volume *v;
	size_t n;
};

/* "<volumes_root>/NAME/_data" -> NAME (caller frees), or NULL. */
char *vg_volume_of_source(const char *volumes_root, const char *source);
/*
 * Collect: the named volumes among ct's bind mounts (ct from the spec: mounts[i] is the
 * spec's mounts[i]): binds of <volumes_root>/NAME/_data, and binds of a path inside one
 * (a membership decision for that volume). Reads nothing but the paths.
 */
void vg_mounted_volumes_find(const struct vg_config *c, const struct vg_container *ct,
			     struct vg_mounted_volumes *ret);
/* By name, or by the bind volume it was reached through. */
bool vg_mounted_volumes_has(const struct vg_mounted_volumes *vols, const char *name);
/*
 * Check phase, changes nothing: for each volume, is it volguard's (a volume with driver
 * options or on another mount is not: marked !ours, never prepared; a bind volume whose
 * device lies in another volume's _data becomes that volume, `via` naming it); membership
 * (declared members; with strict_membership only declared or recorded members, VG_EREFUSED);
 * the recorded mode wins (a member recorded or declared ro is ro; mounted rw it gets
 * force_ro, or, when `spec_rewritable` is false (the hook), is refused); the volume model
 * against the container's `mode` (AUTO is judged as shift): in userns mode a shift-model
 * volume is refused naming `volguard fix --to-idmap NAME`, in shift mode an idmap-model volume
 * naming `volguard fix --shift-from 0 NAME` (a volume never prepared, or laid out by `volume
 * create` and never used, fits either); and, in shift mode only, for a volume never prepared
 * the copy-up scan (device nodes are refused). In userns mode nothing below _data is read:
 * the mount is idmapped, nosuid and nodev, so a volume of any size is judged in O(1).
 */
int vg_mounted_volumes_check(const struct vg_config *c, struct vg_mounted_volumes *vols,
			     const char *member, bool spec_rewritable, enum vg_isolation mode,
			     struct vg_error *e);
/*
 * Act phase, in memory: make every spec mount of a force_ro volume read-only (mounts[i].options:
 * "rw" dropped, "ro" added). Call before the spec is written.
 */
int vg_mounted_volumes_spec_ro(json_t *spec, const struct vg_mounted_volumes *vols,
			       struct vg_error *e);
/* Act phase: for each volume that is volguard's, vg_volume_prepare (shift mode, AUTO
 * included: the member's principal host IDs and its range, for the copy-up shift) or
 * vg_volume_prepare_idmap (userns mode: the record and the model mark, O(1)). */
int vg_mounted_volumes_prepare(const struct vg_config *c, const struct vg_mounted_volumes *vols,
			       const char *member, uint32_t uid, uint32_t gid, uint64_t range_start,
			       uint64_t range_count, enum vg_isolation mode, struct vg_error *e);
void vg_mounted_volumes_free(struct vg_mounted_volumes *vols);
