/* Internal to the audit files (audit*.c): the shared context and the finding helpers
 * (audit_finding.c), and what the run (audit.c) calls of each check. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "audit_finding.h"
#include "config.h"
#include "container.h"
#include "members.h"
#include "policy.h"
#include "ranges.h"
#include "registry.h"

/* A container as audit indexes it: Docker's files through the adapter (docker.c). */
struct audit_ct {
	char *dir;		/* directory name under <docker_root>/containers */
	struct vg_container ct; /* id (the directory when unknown), name (NULL when unusable) */
	char **volumes;		/* names of the named volumes it mounts */
	bool ok;		/* both files parsed */
	bool through_volguard, exempt;
	bool has_principal; /* host UID of its process known */
	uint64_t principal;
	const char *principal_how; /* "volguard range", "userns-remap", "no user namespace" */
	/* audit_live.c: its processes as the kernel sees them (their cgroup names its ID) */
	size_t live_procs;
	bool live_outside; /* one of them has a UID outside every registered range */
	long live_pid;
	uint64_t live_uid;
	/* audit_live.c, for audit_modes.c: the user namespaces its processes run in */
	bool live_hostns; /* one of them is in the host's user namespace */
	long live_hostns_pid;
	char *live_uid_map, *live_gid_map; /* of the first one in a user namespace, or NULL */
	long live_userns_pid;
	char *live_escape_map; /* a uid_map or gid_map reaching outside its range, or NULL */
	long live_escape_pid;
	/* hostconfig.json: the container whose namespaces it joins ("--network container:X",
	 * also --ipc and --pid), or NULL */
	char *join;
	/* audit_modes.c: the mode it runs in (recorded, else seen live, else by rule); AUTO when
	 * unknown */
	enum vg_isolation mode;
};

/* A volume as audit indexes it. */
struct audit_vol {
	char *name;
	struct vg_members members;
	bool recorded;	     /* trusted.volguard.members present and valid */
	bool members_broken; /* present but unreadable or corrupt (finding made) */
	bool used;	     /* some container mounts it */
	bool foreign;	     /* driver options (opts.json): a mount volguard does not manage */
	enum vg_volume_model model; /* trusted.volguard.model and the other marks */
	char *model_bad;	    /* the model mark cannot be read: why */
};

struct audit_ctx {
	const struct vg_config *c;
	const struct vg_audit_opts *o;
	struct vg_audit *a;

	/* daemon.json */
	char **vg_runtimes;	   /* runtime names whose path is volguard-runc */
	bool vg_default;	   /* the default runtime is one of them */
	bool vg_policy;		   /* volguard is the host's policy: registered and default */
	char *userns_remap;	   /* "user[:group]" or NULL */
	struct vg_intervals remap; /* its subuid delegation(s) */

	struct vg_registry reg; /* read leniently: every line that parses */
	bool reg_ok;		/* the registry could be read */

	struct audit_ct *cts;
	size_t n_cts;
	struct audit_vol *vols;
	size_t n_vols;

	struct vg_policy_batch *policy; /* the mount-check engine, made on first use */
};

struct vg_audit_finding *audit_add(struct audit_ctx *x, const char *id, enum vg_subject_kind kind,
				   const char *subject, const char *subject_id, const char *fmt,
				   ...) __attribute__((format(printf, 6, 7)));
void audit_ev(struct vg_audit_finding *f, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void audit_remedy(struct vg_audit_finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Is this subject inside --container/--volume? (Host findings are not when narrowed.) */
bool audit_in_scope(const struct audit_ctx *x, enum vg_subject_kind kind, const char *name,
		    const char *id);
/* Drop the findings --container/--volume leave out (cross-subject checks ran on everything). */
void audit_narrow(struct audit_ctx *x);
/* The container that --container names (by name, ID or ID prefix), or NULL. */
const struct audit_ct *audit_find_ct(const struct audit_ctx *x, const char *name_or_id);

/* audit_host.c */
void audit_daemon(struct audit_ctx *x);
void audit_files(struct audit_ctx *x);
void audit_registry_load(struct audit_ctx *x);
void audit_ranges(struct audit_ctx *x);
/* audit_fleet.c: VG-FLEET-001..005 (the deterministic pool's fill, collisions, --compare) */
void audit_fleet(struct audit_ctx *x);
/* audit_containers.c */
int audit_containers_index(struct audit_ctx *x, struct vg_error *e);
void audit_containers(struct audit_ctx *x);
void audit_ct_free(struct audit_ct *ct);
/* audit_live.c: running containers' processes (one pass over /proc) and VG-ISO-006 */
void audit_live_index(struct audit_ctx *x);
void audit_live(struct audit_ctx *x, const struct audit_ct *ct);
/* audit_modes.c: the isolation mode of each container (VG-ISO-007..009), and of the host:
 * the volumes root's reach (VG-HOST-008) and the auto probe's cache (VG-HOST-009, 010) */
void audit_modes(struct audit_ctx *x, struct audit_ct *ct);
void audit_modes_host(struct audit_ctx *x);
/* The range a container's processes may use: its own (bound to its ID, else its name's), or,
 * with `joined`, the one of the container whose namespaces it joins. NULL when none. */
const struct vg_range *audit_ct_range(const struct audit_ctx *x, const struct audit_ct *ct,
				      bool joined);
/* audit_reach.c: VG-HOST-008, host users who can reach the volumes root of userns containers */
void audit_reach_volumes(struct audit_ctx *x);
/* audit_mounts.c: one container through the mount-check engine */
void audit_mounts(struct audit_ctx *x, const struct audit_ct *ct);
/* audit_volumes.c */
int audit_volumes_index(struct audit_ctx *x, struct vg_error *e);
void audit_volumes(struct audit_ctx *x);
void audit_vol_free(struct audit_vol *v);
