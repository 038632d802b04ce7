/*
 * A container as the policy engine sees it, whatever it came from: an OCI config.json
 * (oci.c), Docker's on-disk files (docker.c) or a `docker run` command line (dockerargs.c).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "isolation_mode.h"
#include "vg.h"

enum vg_mount_kind {
	VG_MOUNT_BIND,	 /* source is a host path */
	VG_MOUNT_VOLUME, /* source is a Docker volume name (local driver, maybe a bind in opts.json)
			  */
	VG_MOUNT_TMPFS,
	VG_MOUNT_OTHER, /* proc, sysfs, devpts, mqueue, ...: no host path */
};

struct vg_mount {
	enum vg_mount_kind kind;
	char *source;	   /* host path (bind), volume name (volume), or NULL */
	char *destination; /* path in the container */
	char *fstype;	   /* as given, or NULL */
	char **options;	   /* NULL-terminated, as given (may be NULL) */
	bool readonly;	   /* ro / rro / readonly / :ro */
	bool recursive_ro; /* rro: submounts read-only too */
	char *propagation; /* "rshared", "shared", "rslave", ... or NULL */
	char *origin;	   /* where it came from, for messages: "-v /etc:/x", "mounts[3]" */
	bool nonrecursive; /* a plain "bind" (OCI) or bind-nonrecursive: no submounts follow */
	char *driver;	   /* volume driver ("local" when NULL) */
	/* Volume options given with the mount (--mount volume-opt=...): a volume created by
	 * this run with type=none,o=bind,device=PATH is a bind of PATH. */
	char *volume_type, *volume_o, *volume_device;
};

struct vg_container {
	char *id;   /* Docker ID or OCI state id; may be NULL */
	char *name; /* container name without Docker's leading '/'; may be NULL */
	char *image;
	struct vg_mount *mounts;
	size_t n_mounts;

	bool privileged;
	bool host_pid, host_ipc, host_net, host_uts, host_userns, host_cgroupns;
	/* --network container:X: X's container ID (Docker stores it resolved), whose per-container
	 * files (hosts, hostname, resolv.conf) Docker binds into this one; NULL otherwise. */
	char *net_container;
	/* The mode it runs in, chosen by admission before the judge (isolation.h); AUTO, the
	 * zero value, is judged as shift. */
	enum vg_isolation isolation;
	char **cap_add; /* NULL-terminated capability names as given */
	char **devices; /* NULL-terminated host device paths (Docker, docker run) */
	/* NULL-terminated device nodes as numbers, "c 10:229 /dev/fuse" (OCI linux.devices: the
	 * path is the container's, the number is the host device it reaches). */
	char **device_nodes;
	/* NULL-terminated device cgroup allow rules, "c 1:3 rwm" ('*': any number, type 'a': all
	 * types): --device-cgroup-rule, DeviceCgroupRules, linux.resources.devices allow entries.
	 */
	char **device_rules;
	char **volumes_from; /* NULL-terminated "NAME[:ro|:rw]", unresolved */

	char *user;   /* as given (--user, Config.User), or NULL */
	bool has_uid; /* numeric process UID known (OCI process.user) */
	uint32_t uid, gid;
	uint32_t *additional_gids;
	size_t n_additional_gids;

	char *runtime; /* HostConfig.Runtime */
	/* Resource limits as the source states them (> 0: limited; 0 or -1: none), when it
	 * states them (limits_known: OCI linux.resources, Docker's HostConfig, docker run). */
	bool limits_known;
	int64_t memory_limit; /* bytes */
	int64_t cpu_limit;    /* nano-CPUs (--cpus) or a CFS quota (--cpu-quota) */
	int64_t pids_limit;
	bool seccomp_unconfined; /* --security-opt seccomp=unconfined; OCI: no linux.seccomp */
	char **labels;		 /* NULL-terminated "key=value" */

	bool has_uidmap; /* linux.uidMappings / gidMappings: container ID 0 maps to host */
	uint64_t uidmap_host, uidmap_size;
	uint64_t gidmap_host, gidmap_size;

	bool oci;     /* runtime-level mounts: Docker volumes appear as binds of _data */
	char *bundle; /* OCI bundle directory: relative bind sources resolve against it */
	bool volumes_from_resolved; /* mounts already include --volumes-from (Docker's files) */
};

void vg_container_free(struct vg_container *ct);
/* Append a zeroed mount and return it. */
struct vg_mount *vg_container_add_mount(struct vg_container *ct);
/* One of device_nodes, "c 10:229 /dev/fuse": its type ('c' or 'b'), numbers and the offset of
 * its path. false when it is not of that form. */
bool vg_device_node_parse(const char *node, char *type, long long *major, long long *minor,
			  int *path_off);
/* Free mount i and close the gap. */
void vg_container_remove_mount(struct vg_container *ct, size_t i);
/* The value of label `key`, or NULL. */
const char *vg_container_label(const struct vg_container *ct, const char *key);
/* Look a container up by name (--volumes-from): fills *ret, or < 0 with e set. */
typedef int (*vg_container_lookup_fn)(const char *name, struct vg_container *ret, void *data,
				      struct vg_error *e);
