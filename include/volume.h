/*
 * Volumes (issue 3): <volumes_root>/NAME/_data, private (owner's principal, 0700) or shared
 * (root:root 0770 + ACL per member), membership and stamp in trusted.volguard.* on NAME/.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "members.h"
#include "vg.h"

/*
 * What the runtime and the hook call for each named volume a container mounts: record `member`
 * (principal uid/gid, ro or rw) in the volume's membership, then make the tree match the policy:
 * a full walk when the stamp does not match, else only _data itself (Docker's copy-up resets
 * it). Creates NAME/_data the way Docker's local driver does if it does not exist. A member not
 * declared for a [volume] with strict_membership is refused (VG_EREFUSED).
 */
int vg_volume_prepare(const struct vg_config *c, const char *volume, const char *member, bool ro,
		      uint32_t uid, uint32_t gid, struct vg_error *e);

/* The state of a volume, for `volume show` and audit. */
struct vg_volume_status {
	struct vg_members members; /* recorded (or declared, or discovered) */
	bool recorded;		   /* members came from the xattr */
	bool stamp_ok;		   /* stamp present and matches the members' policy */
	bool root_ok;		   /* _data owner, mode, ACL match the policy */
	uint32_t data_uid, data_gid, data_mode;
};
int vg_volume_status(const struct vg_config *c, const char *volume, struct vg_volume_status *st,
		     struct vg_error *e);
void vg_volume_status_free(struct vg_volume_status *st);
