/*
 * The per-container rewrite of an OCI runtime spec (config.json), in one place: volguard-runc
 * reads the spec, checks it can be rewritten (vg_spec_user), applies one isolation mode, and
 * writes it back (vg_spec_write). Each isolation mode (isolation.h) is one vg_spec_apply_*
 * function: shift and userns.
 */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "vg.h"

/* The IDs the container's process asks for (process.user), before any rewrite. */
struct vg_spec_user {
	uint32_t uid, gid;
	uint32_t *additional_gids;
	size_t n_additional_gids;
};

/* Read process.user (missing fields: 0, none). Field errors name "process.user.uid" etc. */
int vg_spec_user_read(json_t *spec, struct vg_spec_user *ret, struct vg_error *e);
void vg_spec_user_free(struct vg_spec_user *u);
/* VG_EREFUSED when an ID the process asks for does not fit in `count` IDs. */
int vg_spec_user_check(const struct vg_spec_user *u, uint64_t count, struct vg_error *e);

struct vg_spec_shift {
	uint64_t start; /* the container's host range: [start, start + count) */
	uint64_t count;
	uint64_t keep_caps; /* CAP_* bit mask: the only capabilities left in any set */
};

/*
 * Mode "shift" (volguard-runc's default): the container keeps the host's user namespace and
 * runs as host UID start + uid: process.user uid, gid and additionalGids are moved into the
 * range, process.noNewPrivileges is set and every capability outside keep_caps leaves the
 * bounding, effective, inheritable, permitted and ambient sets (a process without
 * capabilities gets empty sets). Validates everything before it changes anything; a spec
 * with two keys runc reads as one field is VG_EREFUSED (vg_spec_check_keys).
 */
int vg_spec_apply_shift(json_t *spec, const struct vg_spec_shift *p, struct vg_error *e);

/* The same for one process object: the spec's, or the process.json of `runc exec --process`. */
int vg_spec_apply_shift_process(json_t *process, const struct vg_spec_shift *p, struct vg_error *e);

struct vg_spec_userns {
	uint64_t start; /* the host range the namespace maps: 0 -> start, count IDs */
	uint64_t count;
	uint64_t keep_caps; /* CAP_* bit mask: the only capabilities left in any set */
	const char
	    *userns_path; /* join this namespace (--network container:X) instead of a new one */
};

/*
 * Mode "userns": the container gets its own user namespace ({"type":"user"}, or the one of
 * userns_path) with uidMappings and gidMappings [{0, start, count}]; process.user stays as the
 * image asks (container IDs, checked to fit count); every capability outside keep_caps leaves
 * every set; net.ipv4.ping_group_range, when set, becomes "0 count-1" (Docker's "0 2147483647"
 * names unmapped groups and runc fails with EINVAL). A spec that already has a user namespace
 * or mappings (dockerd's userns-remap) is VG_EREFUSED. Validates before it changes anything.
 * The mounts (root.path, bind sources) are stage.h's.
 */
int vg_spec_apply_userns(json_t *spec, const struct vg_spec_userns *p, struct vg_error *e);
/* For a process.json of `runc exec` in a userns container: only the capabilities. */
int vg_spec_apply_userns_process(json_t *process, uint64_t keep_caps, struct vg_error *e);

/* Leave only the capabilities in `keep` in every set of process.capabilities. */
int vg_spec_keep_caps(json_t *spec, uint64_t keep, struct vg_error *e);

/*
 * Check only: VG_EREFUSED, naming the JSON path, when a struct-typed object of the spec (or of
 * a process.json) holds two keys that differ only in case; runc's decoder would read them as
 * one field. Maps (annotations, linux.sysctl, linux.resources.unified, ...) are case-sensitive
 * in Go and are not checked.
 */
int vg_spec_check_keys(json_t *spec, struct vg_error *e);
int vg_spec_check_process_keys(json_t *process, struct vg_error *e);

/*
 * Replace `name` in directory `dir_fd` with the spec, atomically: a temporary file in the same
 * directory (the original's mode), fsync, rename over, fsync of the directory. `what` names
 * the file in messages.
 */
int vg_spec_write(int dir_fd, const char *name, json_t *spec, const char *what, struct vg_error *e);
