/*
 * The identity of a container from its name, its labels and its OCI annotations (identity.h).
 * Pure: no I/O, so that volguard-runc, the hook, check, gc and release compute the same one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "identity.h"

static const char *const kind_names[] = {
	[VG_IDENTITY_NAME] = "name",
	[VG_IDENTITY_COMPOSE] = "compose",
	[VG_IDENTITY_SWARM] = "swarm",
	[VG_IDENTITY_POD] = "pod",
};

const char *vg_identity_kind_name(enum vg_identity_kind k)
{
	return (size_t)k < VG_ARRAY_SIZE(kind_names) ? kind_names[k] : "name";
}

enum vg_identity_kind vg_identity_kind_of(const char *s)
{
	for (size_t k = VG_IDENTITY_COMPOSE; s && k < VG_ARRAY_SIZE(kind_names); k++) {
		size_t n = strlen(kind_names[k]);
		if (strncmp(s, kind_names[k], n) == 0 && s[n] == '/')
			return (enum vg_identity_kind)k;
	}
	return VG_IDENTITY_NAME;
}

/* KIND/A/B with A and B valid Docker names. */
static bool engine_valid(const char *s)
{
	enum vg_identity_kind k = vg_identity_kind_of(s);
	char part[256];
	const char *p, *slash;

	if (k == VG_IDENTITY_NAME || strlen(s) > VG_IDENTITY_MAX)
		return false;
	p = s + strlen(kind_names[k]) + 1;
	for (int i = 0; i < 2; i++) {
		size_t n;

		slash = strchr(p, '/');
		if ((i == 0) != (slash != NULL))
			return false;
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || n >= sizeof(part))
			return false;
		memcpy(part, p, n);
		part[n] = '\0';
		if (!vg_name_valid(part))
			return false;
		p = slash ? slash + 1 : p + n;
	}
	return true;
}

bool vg_identity_valid(const char *s)
{
	return s && (vg_name_valid(s) || engine_valid(s));
}

static const char *label(char *const *labels, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; labels && labels[i]; i++)
		if (strncmp(labels[i], key, n) == 0 && labels[i][n] == '=')
			return labels[i] + n + 1;
	return NULL;
}

static int bad_part(struct vg_error *e, const char *key, const char *v)
{
	return vg_error_set(
	    e, EINVAL,
	    "label %s=%.300s: not a valid identity part ([a-zA-Z0-9][a-zA-Z0-9_.-]*, "
	    "at most 255 bytes)",
	    key, v);
}

/* Both labels or neither: 1 when both (valid), 0 when neither, < 0 otherwise. */
static int pair(char *const *labels, const char *k1, const char *k2, const char **v1,
		const char **v2, struct vg_error *e)
{
	*v1 = label(labels, k1);
	*v2 = label(labels, k2);
	if (!*v1 && !*v2)
		return 0;
	if (!*v1 || !*v2)
		return vg_error_set(e, EINVAL, "label %s without label %s", *v1 ? k1 : k2,
				    *v1 ? k2 : k1);
	if (!vg_name_valid(*v1))
		return bad_part(e, k1, *v1);
	if (!vg_name_valid(*v2))
		return bad_part(e, k2, *v2);
	return 1;
}

static void set(struct vg_identity *ret, enum vg_identity_kind k, const char *a, const char *b,
		char *why)
{
	ret->kind = k;
	ret->name = vg_asprintf("%s/%s/%s", kind_names[k], a, b);
	ret->why = why;
}

#define CRI_NS	   "io.kubernetes.cri.sandbox-namespace"
#define CRI_NAME   "io.kubernetes.cri.sandbox-name"
#define CRIO_NS	   "io.kubernetes.pod.namespace"
#define CRIO_NAME  "io.kubernetes.pod.name"
#define SW_SERVICE "com.docker.swarm.service.name"
#define SW_SLOT	   "com.docker.swarm.task.slot"
#define SW_TASK	   "com.docker.swarm.task.name"
#define SW_TASK_ID "com.docker.swarm.task.id"
#define SW_NODE	   "com.docker.swarm.node.id"
#define CO_PROJECT "com.docker.compose.project"
#define CO_SERVICE "com.docker.compose.service"

static int pod_identity(char *const *labels, struct vg_identity *ret, struct vg_error *e)
{
	const char *ns, *name;
	int r = pair(labels, CRI_NS, CRI_NAME, &ns, &name, e);

	if (r == 0) {
		r = pair(labels, CRIO_NS, CRIO_NAME, &ns, &name, e);
		if (r > 0)
			set(ret, VG_IDENTITY_POD, ns, name,
			    vg_asprintf("annotations %s=%s, %s=%s", CRIO_NS, ns, CRIO_NAME, name));
		return r;
	}
	if (r > 0)
		set(ret, VG_IDENTITY_POD, ns, name,
		    vg_asprintf("annotations %s=%s, %s=%s", CRI_NS, ns, CRI_NAME, name));
	return r;
}

/*
 * Swarm names a task's container SERVICE.SLOT.TASKID (a global service's: SERVICE.NODEID.
 * TASKID) in com.docker.swarm.task.name, next to .service.name, .task.id and .node.id; a
 * com.docker.swarm.task.slot label, where present, names the slot directly.
 */
static int swarm_identity(char *const *labels, struct vg_identity *ret, struct vg_error *e)
{
	const char *svc = label(labels, SW_SERVICE), *slot = label(labels, SW_SLOT);
	const char *task = label(labels, SW_TASK), *tid = label(labels, SW_TASK_ID);
	_cleanup_free_ char *mid = NULL;
	size_t ns, nt, ni;

	if (!svc)
		return slot || task ? vg_error_set(e, EINVAL, "label %s without label %s",
						   slot ? SW_SLOT : SW_TASK, SW_SERVICE)
				    : 0;
	if (!vg_name_valid(svc))
		return bad_part(e, SW_SERVICE, svc);
	if (slot) {
		if (!vg_name_valid(slot))
			return bad_part(e, SW_SLOT, slot);
		set(ret, VG_IDENTITY_SWARM, svc, slot,
		    vg_asprintf("labels %s=%s, %s=%s", SW_SERVICE, svc, SW_SLOT, slot));
		return 1;
	}
	if (!task || !tid)
		return vg_error_set(e, EINVAL, "label %s without label %s (or %s)", SW_SERVICE,
				    task ? SW_TASK_ID : SW_TASK, SW_SLOT);
	ns = strlen(svc);
	nt = strlen(task);
	ni = strlen(tid);
	if (nt < ns + ni + 3 || strncmp(task, svc, ns) != 0 || task[ns] != '.' ||
	    strcmp(task + nt - ni, tid) != 0 || task[nt - ni - 1] != '.')
		return vg_error_set(
		    e, EINVAL,
		    "label %s=%.300s: expected %s.SLOT.%s (the service, the slot or "
		    "node id, the task id)",
		    SW_TASK, task, svc, tid);
	mid = strndup(task + ns + 1, nt - ni - ns - 2);
	if (!mid)
		return vg_error_set(e, ENOMEM, "out of memory");
	if (!vg_name_valid(mid))
		return bad_part(e, SW_TASK, task);
	set(ret, VG_IDENTITY_SWARM, svc, mid,
	    vg_asprintf("labels %s=%s, %s=%s", SW_SERVICE, svc, SW_TASK, task));
	return 1;
}

static int compose_identity(char *const *labels, struct vg_identity *ret, struct vg_error *e)
{
	const char *project, *service;
	int r = pair(labels, CO_PROJECT, CO_SERVICE, &project, &service, e);

	if (r > 0)
		set(ret, VG_IDENTITY_COMPOSE, project, service,
		    vg_asprintf("labels %s=%s, %s=%s", CO_PROJECT, project, CO_SERVICE, service));
	return r;
}

int vg_identity_of(const struct vg_identity_config *c, const char *name, char *const *labels,
		   struct vg_identity *ret, struct vg_error *e)
{
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (c->kubernetes == VG_IDENTITY_BY_ENGINE)
		r = pod_identity(labels, ret, e);
	if (r == 0 && c->swarm == VG_IDENTITY_BY_ENGINE)
		r = swarm_identity(labels, ret, e);
	if (r == 0 && c->compose == VG_IDENTITY_BY_ENGINE)
		r = compose_identity(labels, ret, e);
	if (r < 0) {
		vg_identity_free(ret);
		return r;
	}
	if (r == 0 && name) {
		ret->kind = VG_IDENTITY_NAME;
		ret->name = vg_strdup(name);
		ret->why = vg_strdup("");
	}
	return 0;
}

void vg_identity_free(struct vg_identity *id)
{
	free(id->name);
	free(id->why);
	memset(id, 0, sizeof(*id));
}
