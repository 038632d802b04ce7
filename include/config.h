/* /etc/volguard/volguard.conf: every key of the contract, parsed and validated at load. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "identity.h"
#include "isolation_mode.h"
#include "members.h"
#include "vg.h"

#define VG_DEFAULT_CONFIG	  "/etc/volguard/volguard.conf"
#define VG_CONFIG_MAX_SIZE	  (1024 * 1024)
#define VG_DEFAULT_ALLOCATION_KEY "/etc/volguard/allocation.key"

/* [ranges] allocation: where a new range goes in the pool. */
enum vg_allocation {
	VG_ALLOC_FIRST_FIT = 0, /* the lowest free aligned block */
	VG_ALLOC_DETERMINISTIC, /* a keyed hash of the name, double hashing on collision */
};

struct vg_volume_decl {
	char *name;
	struct vg_member *members;
	size_t n_members;
	unsigned line; /* where it was declared */
};

/* [policy] require_limits: the resource limits a container must have. */
#define VG_LIMIT_MEMORY 1u
#define VG_LIMIT_CPUS	2u
#define VG_LIMIT_PIDS	4u

struct vg_config {
	char *path; /* the file it was loaded from; NULL for built-in defaults */

	/* [paths] */
	char *docker_root;
	char *volumes_root; /* default: <docker_root>/volumes */
	char *state_dir;
	char *stage_dir; /* userns mode: where root.path and the idmapped binds are staged */
	char *runtime;
	char *subuid_file;
	char *subgid_file;
	char *daemon_config; /* dockerd's daemon.json, read by audit and the volume commands */

	/* [ranges]: pool_end is inclusive */
	uint64_t pool_start;
	uint64_t pool_end;
	uint64_t range_size;
	uint64_t quarantine_days; /* a released range is not given out again before; 0: none */
	enum vg_allocation allocation;
	char *allocation_key_file;  /* 32 hex digits, root's, mode 0600 or stricter */
	uint8_t allocation_key[16]; /* set by callers that read it once (tests, bench) */
	bool allocation_key_set;

	/* [policy] */
	char **sensitive_paths;	      /* NULL-terminated; the default list unless replaced */
	char **extra_sensitive_paths; /* NULL-terminated, may be NULL */
	bool allow_readonly_sensitive;
	bool deny_privileged;
	uint64_t drop_capabilities; /* bit mask of CAP_* numbers */
	bool drop_capabilities_set; /* else the default list, applied in shift mode only */
	enum vg_isolation isolation;
	uint64_t allowed_capabilities; /* bit mask; only meaningful when set */
	bool allowed_capabilities_set; /* else the isolation mode's default */
	char **allowed_devices;	       /* NULL-terminated host device paths, may be NULL */
	char **isolation_exempt;       /* fnmatch(3) patterns of container names */
	bool strict_membership;
	unsigned require_limits; /* VG_LIMIT_* bits: containers without them are refused */

	/* [identity] */
	struct vg_identity_config identity; /* compose, swarm, kubernetes */

	/* [volume "NAME"] */
	struct vg_volume_decl *volumes;
	size_t n_volumes;
};

/* Read [ranges] allocation_key_file: 32 hex digits (a SipHash key of 16 bytes), optionally a
 * newline; the file must be a regular file owned by root that group and others cannot read.
 * Errors name the file. */
int vg_config_allocation_key(const struct vg_config *c, uint8_t key[16], struct vg_error *e);

/* Built-in defaults. */
void vg_config_init(struct vg_config *c);
/*
 * Load `path` (or VG_DEFAULT_CONFIG when NULL). The file is opened once with O_NOFOLLOW, must be
 * a regular file owned by root and not writable by group or others, and is parsed from that
 * descriptor. A missing default file gives the defaults; a missing explicit file is an error.
 * Errors name the file, the line and the key.
 */
int vg_config_load(struct vg_config *c, const char *path, struct vg_error *e);
/* Parse config text (no ownership checks); `path` is only used in messages. For tests, fuzzers. */
int vg_config_parse_string(struct vg_config *c, const char *text, const char *path,
			   struct vg_error *e);
void vg_config_free(struct vg_config *c);

const struct vg_volume_decl *vg_config_find_volume(const struct vg_config *c, const char *name);
/* Does a container name match isolation_exempt? */
bool vg_config_is_exempt(const struct vg_config *c, const char *name);
/* The default sensitive paths (NULL-terminated), as DESIGN.md lists them. */
extern const char *const vg_default_sensitive_paths[];
/* The default drop_capabilities mask. */
uint64_t vg_default_drop_capabilities(void);
/* Docker's default capability set (the userns mode's default allowed_capabilities). */
uint64_t vg_docker_default_caps(void);
/* allowed_capabilities as configured, or the default of the mode the container runs in (shift:
 * none; userns: Docker's default set, which acts only on the container's own namespace). */
uint64_t vg_config_allowed_caps(const struct vg_config *c, enum vg_isolation mode);
/* The capabilities a container keeps, in every set: allowed minus drop_capabilities (the
 * default drop list in shift mode; in userns mode only a configured one). */
uint64_t vg_config_cap_survivors(const struct vg_config *c, enum vg_isolation mode);
