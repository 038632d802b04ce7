/* Shared between volume.c (the writers) and volume_status.c (the readers): an opened volume. */
#pragma once
#include <stdbool.h>

#include "config.h"
#include "fixer.h"
#include "volume.h"
#include "volume_owner.h"

#define STAMP_MAX 64

struct vg_vol {
	char *what; /* <volumes_root>/NAME, for messages */
	int name_fd, data_fd;
	bool created;
	bool foreign; /* not volguard's (vg_volume_is_ours said so): e->msg says why */
	struct vg_volume_opts opts; /* its driver options, when foreign because of them */
	uint32_t engine_owner;	    /* NAME/ is Podman's gift to a range's root (that start) */
};

/* The volumes root (root's, not group/other writable), O_RDONLY; created (0701) on demand. */
int vg_vol_open_root(const struct vg_config *c, bool create, struct vg_error *e);
/* NAME/ and NAME/_data, checked, and volguard's (vg_volume_is_ours on these descriptors);
 * a volume that is not is -VG_EREFUSED with v->foreign set. `create` makes what is missing
 * the way Docker's local driver does. */
int vg_vol_open(const struct vg_config *c, const char *volume, bool create, struct vg_vol *v,
		struct vg_error *e);
void vg_vol_close(struct vg_vol *v);
/* A NAME/ that Podman gave to a range's root (v->engine_owner) goes back to root when that
 * range's container is prepared; -VG_EREFUSED for another range's. */
int vg_vol_reclaim(struct vg_vol *v, uint64_t range_start, struct vg_error *e);
int vg_vol_load_members(const struct vg_config *c, const char *volume, int name_fd, bool allocate,
			struct vg_members *m, enum vg_members_source *src, struct vg_error *e);
void vg_vol_stamp_of(const struct vg_tree_policy *p, char buf[STAMP_MAX]);
bool vg_vol_stamp_matches(int name_fd, const char *want);
/* Is the copy-up marker (VG_XATTR_COPYUP) on the volume? */
bool vg_vol_copyup_pending(int name_fd);
/* A declared volume: the declaration says ro or rw (*ro), and with strict_membership only its
 * members may join (VG_EREFUSED). */
int vg_vol_check_member(const struct vg_config *c, const char *volume, const char *member, bool *ro,
			struct vg_error *e);
/* Remove the stamp and the copy-up marker (absent is fine). */
int vg_vol_stamp_remove(struct vg_vol *v, struct vg_error *e);
int vg_vol_copyup_remove(struct vg_vol *v, struct vg_error *e);
