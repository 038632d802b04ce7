/*
 * Volume membership as recorded on <volumes_root>/NAME (never on _data, which containers reach):
 * trusted.volguard.members holds one member a line, "NAME:rw|ro:UID:GID" (UID/GID: the member's
 * principal on the host), trusted.volguard.stamp the hash of the applied policy, and
 * trusted.volguard.copyup "pending" while Docker may still copy image content into it.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "vg.h"

#define VG_XATTR_MEMBERS "trusted.volguard.members"
#define VG_XATTR_STAMP	 "trusted.volguard.stamp"
/* Set by `volume create` on a volume whose _data is empty, removed by its first preparation:
 * what Docker copies from the image in between is moved into the range like any copy-up. */
#define VG_XATTR_COPYUP	    "trusted.volguard.copyup"
#define VG_MEMBERS_MAX_SIZE 65536
/*
 * The volume model (DESIGN.md, Concepts: Volume model): "idmap" when the volume is mounted
 * into its members as an idmapped mount (userns mode: owners on disk container-relative, no
 * ACLs, no stamp). Absent on a volume volguard prepared: the shift model (owners host-shifted,
 * ACLs, stamp). Written last by a conversion, removed first by the way back.
 */
#define VG_XATTR_MODEL	    "trusted.volguard.model"
#define VG_MODEL_IDMAP_TEXT "idmap"

enum vg_volume_model {
	VG_MODEL_NEW,	/* no volguard xattr at all: volguard never saw it, either model fits */
	VG_MODEL_SHIFT, /* members, stamp or copy-up marker, and no model mark */
	VG_MODEL_IDMAP, /* trusted.volguard.model = idmap */
};

/*
 * A member of a volume: a container name and whether it may only read. The one type for it,
 * wherever members come from: recorded on the volume (with the member's principal host IDs),
 * declared in [volume "NAME"] members, or asked for by `volume share` (IDs UINT32_MAX there:
 * not known yet).
 */
struct vg_member {
	char *name;
	bool ro;
	uint32_t uid, gid; /* principal host IDs, or UINT32_MAX when not known */
};

struct vg_members {
	struct vg_member *v;
	size_t n;
};

int vg_members_parse(const char *buf, size_t len, struct vg_members *m, struct vg_error *e);
char *vg_members_format(const struct vg_members *m);
void vg_members_free(struct vg_members *m);
struct vg_member *vg_members_find(const struct vg_members *m, const char *name);
/* Add or update a member. */
void vg_members_put(struct vg_members *m, const char *name, bool ro, uint32_t uid, uint32_t gid);
bool vg_members_remove(struct vg_members *m, const char *name);
/* Read the xattr of the volume directory `dirfd` (any open fd of it, O_PATH included).
 * A missing xattr gives an empty set and returns 0; returns 1 when it was present. */
int vg_members_read(int dirfd, const char *what, struct vg_members *m, struct vg_error *e);
int vg_members_write(int dirfd, const char *what, const struct vg_members *m, struct vg_error *e);

const char *vg_volume_model_name(enum vg_volume_model m);
/* The model of the volume directory `dirfd` (any open fd of it): one getxattr per volguard
 * xattr, no walk. A mark with another value is -EINVAL (e says what it holds). */
int vg_volume_model_read(int dirfd, const char *what, enum vg_volume_model *ret,
			 struct vg_error *e);
/* Write (idmap) or remove (!idmap) the model mark; compares first, so an unchanged mark is
 * not written again. */
int vg_volume_model_mark(int dirfd, const char *what, bool idmap, struct vg_error *e);
