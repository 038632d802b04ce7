/*
 * One admission pipeline for volguard-runc (create, run), the OCI hook (prestart) and
 * `volguard check`, so that the same container gets the same verdict from all three:
 *
 *   load   the inputs: the spec runc will run, Docker's files for it, the kernel's view (hook)
 *          or check's one input;
 *   judge  every rule, into one report: the mount and privilege policy, the opt-out label, the
 *          IDs the process asks for, the identity's range (hook), the volumes it mounts and
 *          their membership. Judging changes nothing anywhere: no range, no inode, no xattr,
 *          no file;
 *   act    only when nothing was denied: volguard-runc takes the range, rewrites the spec and
 *          prepares the volumes (vg_admit_isolate); the hook prepares the volumes
 *          (vg_admit_prepare). check never acts.
 *
 * The module opens and closes the registry itself, on every path.
 */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "container.h"
#include "hookstate.h"
#include "kmounts.h"
#include "policy.h"
#include "prepare.h"
#include "spec.h"
#include "vg.h"

enum vg_admit_via {
	VG_ADMIT_CHECK,	  /* volguard check: judge only */
	VG_ADMIT_RUNTIME, /* volguard-runc create/run: judge, then isolate */
	VG_ADMIT_HOOK,	  /* volguard prestart: judge, then prepare */
};

struct vg_admission {
	enum vg_admit_via via;
	const struct vg_config *c;

	/* Inputs. ct is what runc will mount (the spec), or check's one input. */
	struct vg_container ct;
	struct vg_container docker; /* Docker's files for the same container (runtime) */
	bool has_docker;
	struct vg_container kernel; /* the kernel's view of the mounts (hook) */
	bool has_kernel;
	json_t *spec; /* the parsed config.json (runtime, hook) */
	/* The hook as volguard-runc's own verify hook (prestart --verify): the mounts were judged
	 * before runc made them; judge checks that each bind shows the inode that was judged
	 * (kmounts.h) and judges the kernel's view, nothing else; nothing is prepared. */
	bool verify;
	pid_t pid;    /* hook: the container's init */
	char *rootfs; /* hook: its root file system as a host path */
	struct vg_spec_user user;
	bool has_user;
	char *name;	       /* the identity (identity.h): compose/P/S, swarm/S/N, pod/NS/N
				* from labels or annotations, else own_name */
	char *own_name;	       /* Docker's container name, else the OCI id (may be NULL) */
	bool engine_named;     /* hook: own_name is the engine's (Podman's), not the OCI id */
	const char *runc_root; /* runtime: runc's --root, recorded with the range (not owned) */
	int rootfs_fd;	       /* runtime: root.path as loaded (O_PATH), -1 otherwise */

	/* The mode it runs in (isolation.h), chosen first in judge, and why. */
	enum vg_isolation mode;
	char *mode_why;
	/* userns, --network container:X: X's user namespace and range, which it joins. */
	char *join_userns;
	uint64_t join_start, join_count;

	/* What judge found. */
	struct vg_report rep;		  /* every finding, the pipeline's own rules included */
	struct vg_kmount_expects checked; /* runtime: each bind source as the judge saw it */
	bool exempt; /* opted out (label volguard.isolation=off, name exempt) */
	struct vg_mounted_volumes vols;
	char *range_name;     /* hook: the registry name whose range the container runs in */
	uint64_t range_start; /* after vg_admit_isolate (runtime) or judge (hook) */
	uint64_t range_count;
	bool range_reused; /* runtime: the pool was full, the range came early from quarantine */
	bool range_bind;   /* hook: an unallocated range of the pool (podman --userns=auto), to
			    * be recorded for name before the volumes are prepared */
};

void vg_admission_init(struct vg_admission *a, const struct vg_config *c, enum vg_admit_via via);
void vg_admission_free(struct vg_admission *a);

/* volguard-runc: config.json through the opened bundle directory, and Docker's files when
 * dockerd made the container (containers/ID/ exists when it calls create). */
int vg_admit_load_bundle(struct vg_admission *a, int bundle_fd, const char *bundle, const char *id,
			 struct vg_error *e);
/* The hook: the bundle the state names, and the kernel's view of process st->pid. */
int vg_admit_load_hook(struct vg_admission *a, const struct vg_hook_state *st, struct vg_error *e);
/* check fills a->ct itself (vg_oci_load, vg_docker_load or vg_dockerargs_parse), then sets the
 * identity with vg_admit_set_identity. */
/* a->name (the identity) and a->own_name from the container's own name (Docker's, else the
 * OCI id; may be NULL) and its labels or annotations (identity.h); -EINVAL on a label that
 * names no valid identity. */
int vg_admit_set_identity(struct vg_admission *a, const char *own_name, char *const *labels,
			  struct vg_error *e);

/* Every rule; changes nothing. < 0 on an error (bad input, unreadable file); otherwise the
 * verdict is a->rep.worst. */
int vg_admit_judge(struct vg_admission *a, struct vg_error *e);
/* VG_EREFUSED with "container NAME refused: <first denial>" when judge denied something. */
int vg_admit_refusal(const struct vg_admission *a, struct vg_error *e);

/* volguard-runc's act, after a judge that denied nothing: take (or find) the range, rewrite the
 * spec in memory, commit the range, prepare the volumes, write config.json into bundle_fd. The
 * registry lock is held until config.json is written, so the range cannot change hands. */
int vg_admit_isolate(struct vg_admission *a, int bundle_fd, struct vg_error *e);
/* volguard-runc's act for an exempt container: not isolated, but its mounts were checked, so
 * the verify hook goes into config.json all the same. */
int vg_admit_exempt(struct vg_admission *a, int bundle_fd, struct vg_error *e);
/* The hook's act: prepare the volumes for the range judge found (none without a range). */
int vg_admit_prepare(struct vg_admission *a, struct vg_error *e);
