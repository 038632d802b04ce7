/*
 * The identity of a container: the registry name its range belongs to (DESIGN.md, Concepts:
 * Identity; Engines). By default the container's name (Docker's name, else the OCI id). An
 * engine names a better one from the container's labels (Docker's Config.Labels) or its OCI
 * annotations, under [identity]:
 *
 *   compose    = service   (default)  compose/PROJECT/SERVICE     com.docker.compose.project,
 *                                                                 com.docker.compose.service
 *   swarm      = slot      (default)  swarm/SERVICE/SLOT          com.docker.swarm.service.name
 *                                                                 and the slot: task.slot, else
 *                                                                 from task.name (SERVICE.SLOT.
 *                                                                 TASKID); a global service's
 *                                                                 tasks: the node id
 *   kubernetes = pod       (default)  pod/NAMESPACE/NAME          io.kubernetes.cri.sandbox-
 *                                                                 namespace, -name (containerd);
 *                                                                 io.kubernetes.pod.namespace,
 *                                                                 .name (CRI-O)
 *
 * `container` in any of them: the container's name, as for a plain `docker run`. A container
 * carrying several engines' labels takes the first of pod, swarm, compose.
 *
 * Engine identities contain '/', which no Docker name can: they never collide with a
 * container's name, and a label can never reach the range of a named container (or the
 * reverse). Each part must be a valid Docker name ([a-zA-Z0-9][a-zA-Z0-9_.-]*), so a registry
 * line ("name:start:count") and a members line ("NAME:rw:UID:GID") stay parseable.
 *
 * An engine identity is shared: its range serves every container that has it (compose
 * replicas, a pod's containers, a slot's rescheduled task) and stays in use while any of them
 * exists (registry_alloc.c, inuse.c). Labels are trusted as names are: anyone who may run a
 * container may give it any name or label (README, Identities).
 */
#pragma once
#include <stdbool.h>

#include "vg.h"

/* The longest registry name: three parts of at most 255 bytes, the kind and two '/'. */
#define VG_IDENTITY_MAX 800

/* [identity] compose, swarm, kubernetes (config.c): the engine's identity or the container's
 * own name. */
enum vg_identity_scope {
	VG_IDENTITY_BY_ENGINE = 0, /* service, slot, pod */
	VG_IDENTITY_BY_CONTAINER,  /* container */
};
struct vg_identity_config {
	enum vg_identity_scope compose, swarm, kubernetes;
};

enum vg_identity_kind {
	VG_IDENTITY_NAME = 0, /* the container's own name (or OCI id): one container */
	VG_IDENTITY_COMPOSE,  /* compose/PROJECT/SERVICE */
	VG_IDENTITY_SWARM,    /* swarm/SERVICE/SLOT */
	VG_IDENTITY_POD,      /* pod/NAMESPACE/NAME */
};

struct vg_identity {
	enum vg_identity_kind kind;
	char *name; /* the registry name */
	char *why;  /* the labels it came from, for messages ("" for a name) */
};

/*
 * The identity of the container named `name` (Docker's name without '/', else the OCI id; may
 * be NULL: then only an engine identity, else ret->name is NULL) carrying `labels`
 * (NULL-terminated "key=value", Docker's labels or OCI annotations; may be NULL). A label of
 * an engine that the config lets name the identity, but that is incomplete or not a valid
 * part, is an error (-EINVAL, naming the label): such a container is refused, never quietly
 * given its name's range.
 */
int vg_identity_of(const struct vg_identity_config *c, const char *name, char *const *labels,
		   struct vg_identity *ret, struct vg_error *e);
void vg_identity_free(struct vg_identity *id);

/* A registry name: a container name (vg_name_valid) or an engine identity (KIND/PART/PART). */
bool vg_identity_valid(const char *s);
/* The kind a registry name names (VG_IDENTITY_NAME for anything without a known prefix). */
enum vg_identity_kind vg_identity_kind_of(const char *s);
/* Shared by several containers: an engine identity. */
static inline bool vg_identity_shared(const char *s)
{
	return vg_identity_kind_of(s) != VG_IDENTITY_NAME;
}
/* "name", "compose", "swarm", "pod". */
const char *vg_identity_kind_name(enum vg_identity_kind k);
