/*
 * Volumes (issue 3): <volumes_root>/NAME/_data, private (owner's principal, 0700) or shared
 * (root:root 0770 + ACL per member), membership and stamp in trusted.volguard.* on NAME/.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "fixer.h" /* struct vg_fix_stats, vg_fix_opts: what a fix reports and takes */
#include "members.h"
#include "vg.h"

/*
 * What the runtime and the hook call for each named volume a container mounts: record `member`
 * (principal uid/gid, ro or rw) in the volume's membership, then make the tree match the policy:
 * a full walk when the stamp does not match, else only _data itself (Docker's copy-up resets
 * it). Creates NAME/_data the way Docker's local driver does if it does not exist. A member not
 * declared for a [volume] with strict_membership is refused (VG_EREFUSED). It never opens the
 * registry (its caller holds the lock): members not yet recorded are recorded as they start.
 * A recorded ro member stays ro whatever `ro` says (the record is the truth). On the first
 * preparation (nothing recorded yet: Docker's copy-up, or a host that adopts volguard) the
 * tree's IDs 0..range_count-1 move into [range_start, +range_count), and setuid/setgid bits
 * and file capabilities are cleared (the caller ran vg_volume_inspect's scan first). A volume
 * that is not volguard's is refused (VG_EREFUSED): the caller skips those.
 */
int vg_volume_prepare(const struct vg_config *c, const char *volume, const char *member, bool ro,
		      uint32_t uid, uint32_t gid, uint64_t range_start, uint64_t range_count,
		      struct vg_error *e);

/*
 * The same for a container in userns mode (the idmap model, volume_model.c): record `member`
 * (ro or rw, principal uid/gid) and the model mark on NAME/, nothing else: no chown, no ACL,
 * no walk, no stamp. O(1). What lies in _data is used as it is (container-relative owners: a
 * volume written under plain runc, Docker's copy-up). A volume `volume create` laid out and no
 * container used yet takes the model too (only _data's owner moves, from create's principal
 * to container-relative, and so does anything in it that a member's host ID owns: one walk,
 * once, over what Docker copied from the image); any other shift-model volume is refused
 * (VG_EREFUSED, naming `fix --to-idmap`). range_start/range_count: the member's range. Never
 * opens the registry.
 */
int vg_volume_prepare_idmap(const struct vg_config *c, const char *volume, const char *member,
			    bool ro, uint32_t uid, uint32_t gid, uint64_t range_start,
			    uint64_t range_count, struct vg_error *e);

/*
 * What the admission check needs to know about a named volume before anything changes:
 * whether it exists, whether it is volguard's (else why, and its driver options), its recorded
 * members, and for a volume never prepared (no members recorded) the copy-up scan: a device
 * node, or a setuid/setgid/file-capability file with several links (which could not be
 * cleared without touching its other names), is refused (VG_EREFUSED). Changes nothing.
 */
struct vg_volume_info {
	bool exists;
	bool ours;
	char why[1024];		    /* when not ours */
	char *device;		    /* when not ours: the driver's MountDevice, or NULL */
	bool device_binds;	    /* ... and the options make it a bind of that path */
	struct vg_members recorded; /* trusted.volguard.members (empty when none) */
	bool has_record;
	enum vg_volume_model model; /* trusted.volguard.model and the other marks */
	bool copyup_pending;	    /* laid out by `volume create`, no container used it yet */
};
int vg_volume_inspect(const struct vg_config *c, const char *volume, bool copy_up_scan,
		      struct vg_volume_info *ret, struct vg_error *e);
void vg_volume_info_free(struct vg_volume_info *i);

enum vg_members_source {
	VG_MEMBERS_NONE,
	VG_MEMBERS_RECORDED,   /* trusted.volguard.members */
	VG_MEMBERS_DECLARED,   /* [volume "NAME"] in the config */
	VG_MEMBERS_DISCOVERED, /* Docker's containers/ID/config.v2.json MountPoints */
};
const char *vg_members_source_name(enum vg_members_source s);

/* The state of a volume, for `volume show` and audit. */
struct vg_volume_status {
	struct vg_members members; /* recorded (or declared, or discovered) */
	bool recorded;		   /* members came from the xattr */
	bool stamp_ok;		   /* stamp present and matches the members' policy */
	bool root_ok;		   /* _data owner, mode, ACL match the policy */
	uint32_t data_uid, data_gid, data_mode;
	enum vg_members_source source;
	char *data_acl;	   /* _data's access ACL as text, or NULL when it has none */
	char *data_dflt;   /* _data's default ACL as text, or NULL */
	uint64_t differ;   /* entries below _data that do not match (a dry-run walk) */
	uint64_t errors;   /* entries the dry-run walk could not read */
	uint64_t foreign;  /* entries owned by IDs outside every member's range (idmap model:
			      IDs at or above range_size, which members see as nobody) */
	bool owners_known; /* every member's range was found, so owners were judged */
	enum vg_volume_model model; /* idmap: no policy of owners or ACLs applies (stamp_ok and
				       root_ok are true), only owners are judged */
};
int vg_volume_status(const struct vg_config *c, const char *volume, struct vg_volume_status *st,
		     struct vg_error *e);
/* Does the stamp on the volume's directory (any fd of <volumes_root>/NAME) match the policy of
 * `m`? Cheap: one getxattr, no walk (audit). */
bool vg_volume_stamp_matches(int name_fd, const struct vg_members *m);
void vg_volume_status_free(struct vg_volume_status *st);

/* ---- the batch fixer (volguard fix) and the volume commands ---- */

/*
 * The members of a volume in DESIGN.md's order. Principals of members not yet recorded come
 * from the registry (start of the range + 0); with `allocate` a member without a range gets
 * one (under the registry lock), else its principal is UINT32_MAX ("unknown").
 */
int vg_volume_members(const struct vg_config *c, const char *volume, bool allocate,
		      struct vg_members *ret, enum vg_members_source *ret_src, struct vg_error *e);

/*
 * volguard fix for one volume: record the members if they were declared or discovered,
 * remove the stamp, fix _data and (always) the whole tree, write the stamp when no entry
 * failed. Returns 0, or -errno when the volume could not be fixed at all. A volume without
 * members is -ENOENT. A volume in the idmap model is refused (VG_EREFUSED, st->idmap) unless
 * o->shift (--shift-from), which takes it back to the shift model: the model mark is removed
 * before anything else changes.
 */
int vg_volume_fix(const struct vg_config *c, const char *volume, const struct vg_fix_opts *o,
		  struct vg_fix_stats *st, struct vg_error *e);

/*
 * volguard fix --to-idmap for one volume: convert a shift-model volume to the idmap model.
 * Owners, groups and named ACL entries inside a registered range (quarantined ones included)
 * become container-relative (id - start); other IDs are kept (an owner that is not
 * container-relative afterwards is counted as foreign); setuid/setgid bits of moved files are
 * cleared. The fixer's rules hold (no symlink followed, no mount crossed, hard-linked files and
 * devices skipped and counted, compare before write). Order: shift stamp removed, members
 * found in the config or Docker's files recorded, _data and the tree, copy-up marker removed,
 * then the model mark, only after a pass without a failed entry (st->stamped). An idmap
 * volume is left alone (a note). dry_run changes nothing.
 */
int vg_volume_to_idmap(const struct vg_config *c, const char *volume, const struct vg_fix_opts *o,
		       struct vg_fix_stats *st, struct vg_error *e);
/* The model of an existing volume (volguard's: else -VG_EREFUSED). */
int vg_volume_model_of(const struct vg_config *c, const char *volume, enum vg_volume_model *ret,
		       struct vg_error *e);

/* volume create NAME --owner C: lay out NAME/_data (or adopt it), record C as the only member,
 * fix _data; the content of an adopted volume is left to fix. */
int vg_volume_create(const struct vg_config *c, const char *volume, const char *owner,
		     struct vg_fix_stats *st, struct vg_error *e);
/* volume share / revoke: change the members and apply the policy to the whole tree. */
int vg_volume_share(const struct vg_config *c, const char *volume, const struct vg_member *add,
		    size_t n, struct vg_fix_stats *st, struct vg_error *e);
int vg_volume_revoke(const struct vg_config *c, const char *volume, const char *member,
		     struct vg_fix_stats *st, struct vg_error *e);
/* All volume names under volumes_root (directories with a valid name). */
int vg_volume_list(const struct vg_config *c, char ***ret, struct vg_error *e);
