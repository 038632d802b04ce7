/*
 * Who uses a name or a range, for release, gc and the runtime's claim: Docker's containers
 * (their on-disk files), runc's state, host processes, volumes' recorded members, and files
 * under the volumes root. Everything here only reads.
 */
#pragma once
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "vg.h"

struct vg_docker_ct {
	char *id;	/* the directory name under <docker_root>/containers */
	char *name;	/* "Name" without the leading '/'; NULL when the file has none */
	char *identity; /* its identity from name and Config.Labels (identity.h), or NULL */
};

struct vg_live_id {
	uint32_t id; /* a UID or GID (Uid:, Gid: or Groups: of /proc/PID/status) */
	pid_t pid;
};

struct vg_inuse {
	struct vg_docker_ct *cts; /* sorted by id */
	size_t n_cts;
	struct vg_docker_ct **by_name; /* the same, sorted by name (those with one) */
	size_t n_names;
	struct vg_live_id *live; /* sorted by id; only IDs >= 65536 */
	size_t n_live;
};

/* Read Docker's containers (<docker_root>/containers/ID/config.v2.json; a missing dir gives
 * none, an unreadable file still counts its ID) and the IDs of every host process. */
int vg_inuse_load(const struct vg_config *c, struct vg_inuse *u, struct vg_error *e);
void vg_inuse_free(struct vg_inuse *u);
const struct vg_docker_ct *vg_inuse_container(const struct vg_inuse *u, const char *id);
const struct vg_docker_ct *vg_inuse_container_named(const struct vg_inuse *u, const char *name);
/* A host process that runs with an ID in [start, start + count), or NULL. */
const struct vg_live_id *vg_inuse_live(const struct vg_inuse *u, uint64_t start, uint64_t count);

/* Does runc (state root `runc_root`) hold state for container `id`: <root>/<id>/state.json. */
bool vg_inuse_runc_has(const char *runc_root, const char *id);

/* Does container `id` still exist: Docker's files, runc's state in runc_root (may be NULL) or
 * in runc's usual roots. */
bool vg_inuse_container_alive(const struct vg_config *c, const char *runc_root, const char *id);

/*
 * Is the range of registry entry `name` (bound to container `id`, or for a shared identity to
 * the containers "ID,ID,...", with runc root `runc_root`; both may be NULL) in use: by a
 * container of Docker's with one of those IDs, that name or that identity (its labels,
 * identity.h), a runc state of one of those IDs (in runc_root; also in runc's usual roots when
 * none was recorded or the identity is shared), or a host process with an ID in
 * [start, start + count). Returns 1 and says who in `why`, or 0.
 */
int vg_inuse_range_users(const struct vg_inuse *u, const char *name, const char *id,
			 const char *runc_root, uint64_t start, uint64_t count, char *why,
			 size_t why_len);

/* Volumes (under volumes_root) whose recorded members include `name` (NULL: any member;
 * then *ret lists "VOLUME:MEMBER" pairs). */
int vg_inuse_volumes_of(const struct vg_config *c, const char *name, char ***ret,
			struct vg_error *e);

#define VG_OWNED_MAX_PATHS 10

/* Files under the volumes root that still carry a released range's IDs. */
struct vg_owned_files {
	uint64_t start, count; /* the range (in) */
	uint64_t n;	       /* entries whose owner UID or GID lies in it */
	char **paths;	       /* the first VG_OWNED_MAX_PATHS, relative to volumes_root */
};

/* One walk of volumes_root (src/walk.c: never follows a symlink, never leaves its mount) for
 * all the ranges in v. A missing volumes root finds nothing. */
int vg_inuse_owned_files(const struct vg_config *c, struct vg_owned_files *v, size_t n,
			 struct vg_error *e);
void vg_owned_files_free(struct vg_owned_files *v, size_t n);

/* Docker's files of one container: 1 when <docker_root>/containers/<id>/ exists (then
 * *ret_name, if asked, is its name or NULL; caller frees), 0 when not. */
int vg_inuse_docker_container(const struct vg_config *c, const char *id, char **ret_name);
/* What to tell the user about f (the range of `name`): lines to print (caller frees), or NULL
 * when nothing carries its IDs. Control bytes in paths are escaped. */
char **vg_owned_files_lines(const struct vg_owned_files *f, const char *name, const char *root);
