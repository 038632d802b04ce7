/*
 * Docker's on-disk containers, the one reader of <docker_root>/containers/ID/config.v2.json and
 * hostconfig.json (docker.c). One rule for every caller (check, the runtime, audit, release, gc,
 * volume adoption):
 *  - a file is opened relative to its container's directory, without following a symlink,
 *    without blocking on a FIFO; it must be a regular file of at most VG_DOCKER_FILE_MAX bytes;
 *  - a duplicate key in one object is refused (Go's decoder would take the last one);
 *  - keys are matched as dockerd's Go decoder matches them (gojson.h: ASCII case folding),
 *    and two keys that fold to one field are refused. Docker writes exact-case keys, so on its
 *    own files both rules agree; on a tampered file, the value volguard judges is the one dockerd
 *    uses, or the file is refused when they could differ.
 */
#pragma once
#include <jansson.h>

#include "config.h"
#include "container.h"
#include "vg.h"

#define VG_DOCKER_FILE_MAX (64 * 1024 * 1024)

/* One entry of <docker_root>/containers (any name but "." and ".." and dot files). */
struct vg_docker_entry {
	int containers_fd; /* the containers directory */
	const char *dir;   /* the entry's name: Docker's is the 64-hex container ID */
	const char *path;  /* <docker_root>/containers/<dir>, for messages */
	int dir_fd;	   /* O_PATH of it, or -1 when it is no directory (or a symlink) */
	int open_errno;	   /* why dir_fd is -1 */
};
typedef int (*vg_docker_entry_fn)(const struct vg_docker_entry *ent, void *data);
/*
 * Call fn for each entry of <docker_root>/containers, in readdir order; fn returning < 0 stops
 * the walk with that result. -ENOENT (e set) when the directory does not exist; a containers
 * directory that is a symlink is refused (-ELOOP).
 */
int vg_docker_foreach_container(const char *docker_root, vg_docker_entry_fn fn, void *data,
				struct vg_error *e);

/*
 * Read `file` ("config.v2.json", "hostconfig.json") of the container directory dir_fd by the
 * rule above; must be a JSON object. Errors name `what`: "WHAT: not a regular file",
 * "WHAT: line 3, column 1: ..." (then *ret_line, if given, is that line; else 0). -errno.
 */
int vg_docker_read_json(int dir_fd, const char *file, const char *what, json_t **ret, int *ret_line,
			struct vg_error *e);
/* The parse step of vg_docker_read_json, on a buffer (for fuzzers). */
int vg_docker_parse_json(const char *buf, size_t len, const char *what, json_t **ret, int *ret_line,
			 struct vg_error *e);
/* Typed readers of config.v2.json. The container's Name without the leading '/', NULL when
 * missing or not a valid name (Docker's rule, vg_name_valid). */
int vg_docker_name(json_t *config_v2, char **ret, struct vg_error *e);
/* ... and of the container directory: its name, NULL when it cannot be read. */
char *vg_docker_read_name(int dir_fd);
/* Config.Labels as "key=value" strings appended to *ret (for compose/swarm identities). */
int vg_docker_labels(json_t *config_v2, char ***ret, struct vg_error *e);
/* ID, Name, Config.User, Config.Image, Config.Labels and MountPoints into ct. */
int vg_docker_parse_config(json_t *config_v2, struct vg_container *ct, struct vg_error *e);
/* Privileged, the namespace modes, CapAdd, Devices, DeviceCgroupRules, VolumesFrom, Runtime. */
int vg_docker_parse_hostconfig(json_t *hostconfig, struct vg_container *ct, struct vg_error *e);
/* Both (for fuzzers and tests). */
int vg_docker_parse(json_t *config_v2, json_t *hostconfig, struct vg_container *ct,
		    struct vg_error *e);
/* "--network/--ipc/--pid container:X" of hostconfig.json: X (fresh), or NULL. */
char *vg_docker_join_target(json_t *hostconfig);

/* Both files of the container directory dir_fd (messages name `path`), parsed into ct; ct->id
 * is the directory name `dir` when config.v2.json has no ID. */
int vg_docker_read_container(int dir_fd, const char *dir, const char *path, struct vg_container *ct,
			     struct vg_error *e);
/*
 * Does Docker have container `id`: 1 when <docker_root>/containers/<id>/ exists (then
 * *ret_name, if given, is its name or NULL), 0 when it does not (only "no such file" says so),
 * 1 on any other failure (fail closed: a container that may exist keeps what it holds).
 */
int vg_docker_has_container(const char *docker_root, const char *id, char **ret_name);

/*
 * dockerd's daemon.json ([paths] daemon_config), the one reader of it: the same rule as the
 * container files, at most VG_DOCKER_DAEMON_MAX bytes. -ENOENT (e set) when it does not exist
 * (dockerd's defaults then). *ret_line as for vg_docker_read_json.
 */
#define VG_DOCKER_DAEMON_MAX (1024 * 1024)
int vg_docker_daemon_read(const char *path, json_t **ret, int *ret_line, struct vg_error *e);
/* Member `key` of a daemon.json object as dockerd's Go decoder finds it; NULL when absent, null,
 * or ambiguous (two keys that fold to it). */
json_t *vg_docker_daemon_get(json_t *obj, const char *key);

/* Has dockerd written containers/<id>/config.v2.json (it does before it calls create)? */
bool vg_docker_has_config(const char *docker_root, const char *id);

/* <docker_root>/containers/ID/{config.v2.json,hostconfig.json}. id_or_name: full ID, unique ID
 * prefix, or name (Docker's order: ID, then exact name, then unique prefix). Works with dockerd
 * stopped. */
int vg_docker_load(const struct vg_config *c, const char *id_or_name, struct vg_container *ct,
		   struct vg_error *e);
/* A vg_container_lookup_fn for --volumes-from: `config` is the struct vg_config. */
int vg_docker_lookup(const char *name, struct vg_container *ret, void *config, struct vg_error *e);
