/*
 * The admission pipeline (see admit.h): load, judge, act.
 *
 * Rules this file keeps:
 *  - judge changes nothing: it reads the spec, Docker's files, the kernel's mount table, the
 *    registry (read-only) and the volumes' xattrs; every refusal is a denied finding in one
 *    report, so check prints what the runtime and the hook would refuse;
 *  - act runs only after a judge that denied nothing, and validates in memory before the first
 *    change: the spec is rewritten in memory before the range is committed, the range is
 *    committed before any volume names it, config.json is written last;
 *  - the registry is opened and closed here, on every path.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adapters.h"
#include "admit.h"
#include "cleanup.h"
#include "identity.h"
#include "gojson.h"
#include "isolation.h"
#include "kmounts.h"
#include "podman.h"
#include "procmap.h"
#include "registry.h"
#include "stage.h"
#include "inuse.h"

#define ISOLATION_LABEL "volguard.isolation"
/* The identity of a container check cannot name (docker run without --name): never a member. */
#define UNNAMED "<unnamed>"

void vg_admission_init(struct vg_admission *a, const struct vg_config *c, enum vg_admit_via via)
{
	memset(a, 0, sizeof(*a));
	a->via = via;
	a->c = c;
	a->rootfs_fd = -1;
}

void vg_admission_free(struct vg_admission *a)
{
	vg_container_free(&a->ct);
	vg_container_free(&a->docker);
	vg_container_free(&a->kernel);
	json_decref(a->spec);
	vg_spec_user_free(&a->user);
	free(a->name);
	free(a->own_name);
	vg_report_free(&a->rep);
	vg_kmounts_expects_free(&a->checked);
	free(a->rootfs);
	vg_mounted_volumes_free(&a->vols);
	free(a->range_name);
	free(a->mode_why);
	free(a->join_userns);
	if (a->rootfs_fd >= 0)
		close(a->rootfs_fd);
	memset(a, 0, sizeof(*a));
	a->rootfs_fd = -1;
}

/* ---- load ---------------------------------------------------------------------------------- */

static int error_prefix(struct vg_error *e, int r, const char *prefix)
{
	char old[sizeof(e->msg)];

	memcpy(old, e->msg, sizeof(old));
	return vg_error_set(e, r, "%s: %s", prefix, old);
}

static int load_spec(struct vg_admission *a, const char *cfg, const char *bundle,
		     struct vg_error *e)
{
	int r = vg_oci_load(cfg, &a->ct, &a->spec, e);

	if (r >= 0)
		r = vg_spec_user_read(a->spec, &a->user, e);
	if (r < 0) {
		_cleanup_free_ char *what = vg_asprintf("bundle %s", bundle);
		return error_prefix(e, r, what);
	}
	a->has_user = true;
	return 0;
}

int vg_admit_set_identity(struct vg_admission *a, const char *own_name, char *const *labels,
			  struct vg_error *e)
{
	struct vg_identity id;
	int r = vg_identity_of(&a->c->identity, own_name, labels, &id, e);

	if (r < 0) {
		_cleanup_free_ char *who =
		    vg_asprintf("container %.300s", own_name ? own_name : UNNAMED);
		return error_prefix(e, r, who);
	}
	free(a->name);
	free(a->own_name);
	a->name = TAKE_PTR(id.name);
	a->own_name = own_name ? vg_strdup(own_name) : NULL;
	vg_identity_free(&id);
	return 0;
}

int vg_admit_load_bundle(struct vg_admission *a, int bundle_fd, const char *bundle, const char *id,
			 struct vg_error *e)
{
	_cleanup_free_ char *cfg = vg_asprintf("/proc/self/fd/%d/config.json", bundle_fd);
	int r;

	r = load_spec(a, cfg, bundle, e);
	if (r < 0)
		return r;
	/* runc's container ID, whatever the bundle's name: the range is bound to it, and release
	 * and gc look for Docker's files and runc's state by it. */
	free(a->ct.id);
	a->ct.id = vg_strdup(id);
	/* dockerd writes containers/ID/ before it calls create; anything else is a plain OCI
	 * container, named by its ID. */
	a->has_docker = vg_docker_has_config(a->c->docker_root, id);
	if (a->has_docker) {
		r = vg_docker_load(a->c, id, &a->docker, e);
		if (r < 0)
			return r;
	}
	{
		const char *own = a->has_docker && a->docker.name ? a->docker.name : id;
		if (!vg_name_valid(own))
			return vg_error_set(e, EINVAL, "'%.300s' is not a valid container name",
					    own);
		/* Docker's labels for a container of Docker's; the spec's annotations (CRI,
		 * CRI-O) for any other. */
		r = vg_admit_set_identity(a, own, a->has_docker ? a->docker.labels : a->ct.labels,
					  e);
		if (r < 0)
			return r;
	}
	/* The spec's binds of X's files (--network container:X) are judged knowing X. */
	if (a->has_docker && a->docker.net_container)
		a->ct.net_container = vg_strdup(a->docker.net_container);
	/* The root file system, pinned: the userns mode mounts this very directory. */
	{
		const char *p =
		    json_string_value(vg_json_member(vg_json_member(a->spec, "root"), "path"));
		if (!p)
			return vg_error_set(e, EINVAL, "bundle %s: root.path: missing", bundle);
		a->rootfs_fd = openat(bundle_fd, p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (a->rootfs_fd < 0)
			return vg_error_errno(e, errno, "bundle %s: root.path %s", bundle, p);
	}
	return 0;
}

/* The container's root file system as a host path (root.path is relative to the bundle). */
static char *rootfs_path(json_t *spec, const char *bundle)
{
	/* As runc reads it: "Root"/"Path" are root.path too. */
	const char *p = json_string_value(vg_json_member(vg_json_member(spec, "root"), "path"));
	_cleanup_free_ char *abs = NULL;
	char *real;

	if (!p)
		return NULL;
	abs = p[0] == '/' ? vg_strdup(p) : vg_asprintf("%s/%s", bundle, p);
	real = realpath(abs, NULL);
	return real ? real : TAKE_PTR(abs);
}

int vg_admit_load_hook(struct vg_admission *a, const struct vg_hook_state *st, struct vg_error *e)
{
	_cleanup_free_ char *rootfs = NULL;
	int r = load_spec(a, st->bundle, st->bundle, e);

	if (r < 0)
		return r;
	if (!a->ct.id)
		a->ct.id = vg_strdup(st->id);
	{
		/* Podman names its containers only in containers/storage's records (podman.h). */
		_cleanup_free_ char *pname = NULL;

		if (!a->ct.name) {
			r = vg_podman_name(st->bundle, st->id, &pname, e);
			if (r < 0)
				return r;
			a->engine_named = r > 0;
		}
		r = vg_admit_set_identity(a,
					  a->ct.name ? a->ct.name
					  : pname    ? pname
						     : st->id,
					  a->ct.labels, e);
		if (r < 0)
			return r;
	}
	rootfs = rootfs_path(a->spec, st->bundle);
	if (!rootfs)
		return vg_error_set(e, EINVAL, "%s/config.json: root.path: missing", st->bundle);
	a->kernel.id = vg_strdup(st->id);
	a->pid = st->pid;
	a->rootfs = vg_strdup(rootfs);
	r = vg_kmounts_read(st->pid, rootfs, "/proc/self/mountinfo", a->c->stage_dir, &a->kernel,
			    e);
	if (r < 0)
		return r;
	vg_kmounts_drop_spec_devices(&a->kernel, a->ct.device_nodes);
	/* The mounts are the kernel's; the namespaces they belong to are the spec's (a host IPC
	 * namespace explains dockerd's bind of the host's /dev/shm in both views). */
	a->kernel.host_ipc = a->ct.host_ipc;
	a->kernel.host_pid = a->ct.host_pid;
	a->kernel.host_net = a->ct.host_net;
	a->kernel.oci = true;
	a->has_kernel = true;
	/* dockerd's container joining X's network gets X's per-container files: Docker's files say
	 * which X (nothing else of them is taken: the hook judges the spec and the kernel). */
	{
		struct vg_container dk = { 0 };
		struct vg_error ignore = { 0 };

		if (vg_name_valid(st->id) && !strchr(st->id, '/') &&
		    vg_inuse_docker_container(a->c, st->id, NULL) == 1 &&
		    vg_docker_load(a->c, st->id, &dk, &ignore) >= 0 && dk.net_container) {
			a->kernel.net_container = vg_strdup(dk.net_container);
			a->ct.net_container = vg_strdup(dk.net_container);
		}
		vg_container_free(&dk);
	}
	return 0;
}

/* ---- judge --------------------------------------------------------------------------------- */

static int judge_policy(struct vg_admission *a, const struct vg_container *ct, const char *view,
			struct vg_error *e)
{
	struct vg_report rep = { 0 };
	int r = vg_policy_check(a->c, ct, vg_docker_lookup, (void *)a->c, &rep, e);

	/* What runc will mount must be what was judged: the verify hook compares (act). */
	if (r >= 0 && ct == &a->ct && a->via != VG_ADMIT_CHECK)
		vg_kmounts_expect_from_report(ct, &rep, &a->checked);
	if (r >= 0)
		vg_report_take(&a->rep, &rep, view);
	vg_report_free(&rep);
	return r;
}

/* The label volguard.isolation: on (the default) or off, and off only for exempt names. */
static void judge_opt_out(struct vg_admission *a)
{
	const char *v = a->has_docker ? vg_container_label(&a->docker, ISOLATION_LABEL) : NULL;
	const char *name = a->name ? a->name : UNNAMED;

	if (!v)
		v = vg_container_label(&a->ct, ISOLATION_LABEL);
	if (!v || strcmp(v, "on") == 0)
		return;
	if (strcmp(v, "off") != 0)
		vg_report_add(&a->rep, VG_DENY, "opt-out", "--label " ISOLATION_LABEL,
			      "container %s: label %s=%s: expected on or off", name,
			      ISOLATION_LABEL, v);
	else if (!(a->name && vg_config_is_exempt(a->c, a->name)) &&
		 !(a->own_name && vg_config_is_exempt(a->c, a->own_name)))
		vg_report_add(&a->rep, VG_DENY, "opt-out", "--label " ISOLATION_LABEL,
			      "container %s: label %s=off is only allowed for names listed in "
			      "isolation_exempt",
			      name, ISOLATION_LABEL);
	else {
		a->exempt = true;
		vg_report_add(&a->rep, VG_ALLOW, "opt-out", "--label " ISOLATION_LABEL,
			      "container %s: isolation off (exempt); the mounts are still checked",
			      name);
	}
}

/* "U[:G]" with numeric parts, as docker run --user gives it; names are resolved in the image,
 * which check cannot see: they are left to the runtime. */
static bool parse_user(const char *s, struct vg_spec_user *u)
{
	_cleanup_free_ char *dup = vg_strdup(s);
	char *colon = strchr(dup, ':');
	uint64_t v;

	if (colon)
		*colon = '\0';
	if (vg_parse_u64(dup, UINT32_MAX, &v) < 0)
		return false;
	u->uid = u->gid = (uint32_t)v;
	if (colon && vg_parse_u64(colon + 1, UINT32_MAX, &v) == 0)
		u->gid = (uint32_t)v;
	return true;
}

/* The size of the range the container runs in: the one its name has, else a new one's. */
static uint64_t range_count(struct vg_admission *a)
{
	struct vg_registry reg;
	struct vg_error e = { 0 };
	const struct vg_range *rg;
	uint64_t n = a->c->range_size;

	if (a->via == VG_ADMIT_HOOK)
		return a->ct.uidmap_size;
	if (!a->name)
		return n;
	/* An unreadable registry is the act's to report; the new range's size is judged. */
	if (vg_registry_open(&reg, a->c, VG_REGISTRY_READ, &e) >= 0 &&
	    (rg = vg_registry_claimable(&reg, a->c, a->name, a->ct.id)))
		n = rg->count;
	vg_registry_close(&reg);
	return n;
}

/* The IDs the process asks for must fit in its range. */
static void judge_user(struct vg_admission *a)
{
	struct vg_spec_user u = { 0 };
	struct vg_error e = { 0 };

	if (a->has_user)
		u = (struct vg_spec_user){ .uid = a->user.uid,
					   .gid = a->user.gid,
					   .additional_gids = a->user.additional_gids,
					   .n_additional_gids = a->user.n_additional_gids };
	else if (a->ct.has_uid)
		u = (struct vg_spec_user){ .uid = a->ct.uid, .gid = a->ct.gid };
	else if (!a->ct.user || !parse_user(a->ct.user, &u))
		return;
	if (vg_spec_user_check(&u, range_count(a), &e) < 0)
		vg_report_add(&a->rep, VG_DENY, "user-range", "--user", "container %s: %s",
			      a->name ? a->name : UNNAMED, e.msg);
}

/*
 * A named (Podman) container whose uidMappings are an unallocated range of the pool: podman
 * --userns=auto picked it from the `containers` subuid delegation. It is bound to the name
 * (act: vg_admit_prepare) when it is one aligned range of range_size and the name has none yet.
 */
static void judge_hook_bind(struct vg_admission *a, const struct vg_registry *reg, uint64_t lo)
{
	const struct vg_range *mine = vg_registry_find(reg, a->name);
	uint64_t n = a->ct.uidmap_size;

	if (mine)
		vg_report_add(&a->rep, VG_DENY, "range", "linux.uidMappings",
			      "container %s: it maps %llu+%llu, but its range is %llu+%llu; map "
			      "that one (--uidmap 0:%llu:%llu) or release it",
			      a->name, (unsigned long long)lo, (unsigned long long)n,
			      (unsigned long long)mine->start, (unsigned long long)mine->count,
			      (unsigned long long)mine->start, (unsigned long long)mine->count);
	else if ((lo - a->c->pool_start) % a->c->range_size != 0 || n != a->c->range_size)
		vg_report_add(
		    &a->rep, VG_DENY, "range", "linux.uidMappings",
		    "container %s: its range %llu+%llu lies in volguard's pool but is "
		    "not one of its ranges (a multiple of range_size %llu from pool_start, "
		    "range_size IDs); give podman --userns=auto:size=%llu",
		    a->name, (unsigned long long)lo, (unsigned long long)n,
		    (unsigned long long)a->c->range_size, (unsigned long long)a->c->range_size);
	else {
		a->range_name = vg_strdup(a->name);
		a->range_bind = true;
	}
}

/* Act: record the range judge_hook_bind accepted, bound to the container's ID. */
static int hook_bind(struct vg_admission *a, struct vg_error *e)
{
	struct vg_registry reg;
	struct vg_range *rg;
	int r = vg_registry_open(&reg, a->c, VG_REGISTRY_WRITE, e);

	/* Judged under no lock: judged again under the lock. */
	for (size_t i = 0; r >= 0 && i < reg.n; i++)
		if (strcmp(reg.ranges[i].name, a->name) == 0 ||
		    !(reg.ranges[i].start >= a->range_start + a->range_count ||
		      reg.ranges[i].start + reg.ranges[i].count <= a->range_start))
			r = vg_error_set(
			    e, VG_EREFUSED,
			    "container %s: range %llu+%llu was taken meanwhile (by '%s')", a->name,
			    (unsigned long long)a->range_start, (unsigned long long)a->range_count,
			    reg.ranges[i].name);
	if (r >= 0) {
		rg = vg_registry_add(&reg, a->name, a->range_start, a->range_count);
		r = vg_range_set_meta(&reg, rg, "container", a->ct.id, e);
	}
	if (r >= 0)
		r = vg_range_set_meta(&reg, rg, "via", "podman-userns-auto", e);
	if (r >= 0)
		r = vg_registry_commit(&reg, e);
	vg_registry_close(&reg);
	return r;
}

/*
 * The hook: the registry name whose range is exactly the container's uidMappings; else, outside
 * the pool, the OCI ID. Overlapping another allocation, or an unallocated range inside the pool,
 * is refused.
 */
static int judge_hook_range(struct vg_admission *a, struct vg_error *e)
{
	const struct vg_container *ct = &a->ct;
	uint64_t lo = ct->uidmap_host, hi = ct->uidmap_host + ct->uidmap_size; /* [lo, hi) */
	const struct vg_range *own = NULL;
	struct vg_registry reg;
	int r;

	if (ct->gidmap_host != ct->uidmap_host || ct->gidmap_size != ct->uidmap_size) {
		vg_report_add(&a->rep, VG_DENY, "range", "linux.gidMappings",
			      "container %s: gidMappings (%llu+%llu) differ from uidMappings "
			      "(%llu+%llu)",
			      ct->id, (unsigned long long)ct->gidmap_host,
			      (unsigned long long)ct->gidmap_size, (unsigned long long)lo,
			      (unsigned long long)ct->uidmap_size);
		return 0;
	}
	r = vg_registry_open(&reg, a->c, VG_REGISTRY_READ, e);
	for (size_t i = 0; r >= 0 && i < reg.n; i++) {
		const struct vg_range *rg = &reg.ranges[i];

		if (rg->start >= hi || rg->start + rg->count <= lo)
			continue;
		if (rg->start == lo && rg->count >= ct->uidmap_size && !own) {
			own = rg;
			continue;
		}
		vg_report_add(&a->rep, VG_DENY, "range", "linux.uidMappings",
			      "container %s: its range %llu+%llu overlaps the range of '%s' "
			      "(%llu+%llu)",
			      ct->id, (unsigned long long)lo, (unsigned long long)ct->uidmap_size,
			      rg->name, (unsigned long long)rg->start,
			      (unsigned long long)rg->count);
		own = NULL;
		break;
	}
	if (r >= 0 && own && a->engine_named && strcmp(own->name, a->name) != 0)
		vg_report_add(&a->rep, VG_DENY, "range", "linux.uidMappings",
			      "container %s: its range %llu+%llu is the range of '%s'; a container "
			      "maps only its own name's range",
			      a->name, (unsigned long long)lo, (unsigned long long)ct->uidmap_size,
			      own->name);
	else if (r >= 0 && own)
		a->range_name = vg_strdup(own->name);
	else if (r >= 0 && a->rep.worst != VG_DENY && a->engine_named && lo >= a->c->pool_start &&
		 hi - 1 <= a->c->pool_end)
		judge_hook_bind(a, &reg, lo);
	else if (r >= 0 && a->rep.worst != VG_DENY && lo <= a->c->pool_end && hi > a->c->pool_start)
		vg_report_add(&a->rep, VG_DENY, "range", "linux.uidMappings",
			      "container %s: its range %llu+%llu lies in volguard's pool but is "
			      "not allocated; use 'volguard alloc NAME' and map that range",
			      ct->id, (unsigned long long)lo, (unsigned long long)ct->uidmap_size);
	else if (r >= 0)
		a->range_name = vg_strdup(ct->id);
	a->range_start = lo;
	a->range_count = ct->uidmap_size;
	vg_registry_close(&reg);
	return r;
}

/* The volume model its mounts need: idmapped only by volguard-runc's userns mode (stage.c);
 * the hook's runc binds volumes as they are, so their owners must be host-shifted. */
static enum vg_isolation volume_mode(const struct vg_admission *a)
{
	return a->via == VG_ADMIT_HOOK ? VG_ISOLATION_SHIFT : a->mode;
}

/*
 * The named volumes it mounts, and whether it may: membership (declared, recorded), and, for
 * volguard-runc, that every volume Docker's files name is one it can see in the spec (a local
 * volume under volumes_root).
 */
static int judge_volumes(struct vg_admission *a, const char *member, struct vg_error *e)
{
	struct vg_error why = { 0 };
	int r;

	vg_mounted_volumes_find(a->c, &a->ct, &a->vols);
	for (size_t i = 0; a->has_docker && i < a->docker.n_mounts; i++) {
		const struct vg_mount *d = &a->docker.mounts[i];

		if (d->kind == VG_MOUNT_VOLUME &&
		    !(d->source && vg_mounted_volumes_has(&a->vols, d->source)))
			vg_report_add(&a->rep, VG_DENY, "volume-not-local",
				      d->source ? d->source : "?",
				      "container %s: volume '%s' (%s) is not a local volume under "
				      "%s; volguard cannot isolate it",
				      member, d->source ? d->source : "?",
				      d->destination ? d->destination : "?", a->c->volumes_root);
	}
	/* The runtime (and check, which says what the runtime would do) makes a read-only
	 * member's rw mount ro in the spec; the hook cannot rewrite it and refuses. */
	r = vg_mounted_volumes_check(a->c, &a->vols, member, a->via != VG_ADMIT_HOOK,
				     volume_mode(a), &why);
	if (r == -VG_EREFUSED) {
		vg_report_add(&a->rep, VG_DENY, "membership", "volumes", "%s", why.msg);
		return 0;
	}
	if (r < 0)
		*e = why;
	return r;
}

/* Each bind of the spec shows, in the container, the inode that was judged (kmounts.h). */
static int judge_identities(struct vg_admission *a, const struct vg_kmount_expects *x,
			    struct vg_error *e)
{
	struct vg_error why = { 0 };
	int r = vg_kmounts_verify(a->pid, a->rootfs, &a->ct, x, &why);

	if (r == -VG_EREFUSED)
		vg_report_add(&a->rep, VG_DENY, "mount-changed", "mounts", "%s", why.msg);
	else if (r < 0)
		*e = why;
	return r == -VG_EREFUSED ? 0 : r;
}

/* The verify hook: each bind shows the inode the runtime judged (the annotation), and the
 * kernel's view passes. */
static int judge_verify(struct vg_admission *a, struct vg_error *e)
{
	struct vg_kmount_expects x;
	int r;

	if (!a->has_kernel)
		return vg_error_set(e, EINVAL, "--verify: no kernel view");
	r = vg_kmounts_expects_from_spec(a->spec, &x, e);
	if (r >= 0)
		r = judge_identities(a, &x, e);
	vg_kmounts_expects_free(&x);
	if (r >= 0)
		r = judge_policy(a, &a->kernel, "mounts in the kernel", e);
	return r;
}

/* The PID in "/proc/PID/ns/net", the path dockerd gives for --network container:X. */
static pid_t netns_pid(const struct vg_container *ct, json_t *spec)
{
	json_t *nss = vg_json_member(vg_json_member(spec, "linux"), "namespaces"), *ns;
	size_t i;

	json_array_foreach(nss, i, ns)
	{
		const char *type = json_string_value(vg_json_member(ns, "type"));
		const char *path = json_string_value(vg_json_member(ns, "path"));
		char *end = NULL;
		long pid;

		if (!type || !path || strcmp(type, "network") != 0 ||
		    strncmp(path, "/proc/", 6) != 0)
			continue;
		errno = 0;
		pid = strtol(path + 6, &end, 10);
		if (errno == 0 && end != path + 6 && strcmp(end, "/ns/net") == 0 && pid > 0 &&
		    pid < INT32_MAX)
			return (pid_t)pid;
	}
	return 0;
}

/*
 * --network container:X: a network namespace owned by X's user namespace can only be joined
 * from that user namespace (runc cannot mount /sys otherwise). X in userns mode: join its
 * namespace and run in its range; X in the host's: shift mode.
 */
static int judge_join(struct vg_admission *a, struct vg_error *e)
{
	pid_t pid = a->spec ? netns_pid(&a->ct, a->spec) : 0;
	char path[64], buf[256], self[64], theirs[64];
	uint64_t out, count;
	ssize_t len;
	bool ours = false;

	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if ((len = readlink("/proc/self/ns/user", self, sizeof(self) - 1)) < 0)
		return vg_error_errno(e, errno, "/proc/self/ns/user");
	self[len] = '\0';
	if ((len = readlink(path, theirs, sizeof(theirs) - 1)) < 0)
		return vg_error_errno(e, errno, "%s (the network namespace's owner)", path);
	theirs[len] = '\0';
	if (strcmp(self, theirs) == 0) {
		free(a->mode_why);
		a->mode = VG_ISOLATION_SHIFT;
		a->mode_why = vg_strdup("it joins the network namespace of a container in the "
					"host's user namespace");
		return 0;
	}
	snprintf(buf, sizeof(buf), "/proc/%d", (int)pid);
	{
		_cleanup_close_ int dir = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
		char text[4096];
		struct vg_proc_map *m = vg_malloc0(sizeof(*m));
		ssize_t n =
		    dir >= 0 ? vg_read_proc_file(dir, "uid_map", text, sizeof(text)) : -errno;
		bool one =
		    n >= 0 && vg_proc_map_parse(text, m) == 0 && m->n == 1 && m->v[0].inside == 0;

		out = one ? m->v[0].outside : 0;
		count = one ? m->v[0].count : 0;
		free(m);
		if (n < 0)
			return vg_error_errno(e, (int)n, "%s/uid_map", buf);
		/* ... and a range volguard gave out, exactly. */
		if (one) {
			struct vg_registry reg;
			const struct vg_range *rg;
			int r = vg_registry_open(&reg, a->c, VG_REGISTRY_READ, e);

			if (r < 0)
				return r;
			rg = vg_registry_find_id(&reg, out);
			ours = rg && rg->start == out && rg->count == count;
			vg_registry_close(&reg);
		}
		if (!ours) {
			vg_report_add(
			    &a->rep, VG_DENY, "isolation", "--network container:",
			    "container %s: the container whose network it joins has a user "
			    "namespace volguard did not make (%s/uid_map)",
			    a->name ? a->name : UNNAMED, buf);
			return 0;
		}
	}
	a->join_userns = vg_strdup(path);
	a->join_start = out;
	a->join_count = count;
	free(a->mode_why);
	a->mode_why = vg_asprintf("it joins the user namespace of the container whose network it "
				  "uses (range %llu+%llu)",
				  (unsigned long long)out, (unsigned long long)count);
	return 0;
}

/* The mode it runs in, first: the judges of capabilities and volumes depend on it. */
static int judge_mode(struct vg_admission *a, struct vg_error *e)
{
	struct vg_error why = { 0 };
	int r = 0;

	if (a->via == VG_ADMIT_HOOK) {
		/* The hook judges the spec it is given: the runtime chose. */
		a->mode = a->ct.has_uidmap ? VG_ISOLATION_USERNS : VG_ISOLATION_SHIFT;
	} else {
		r = vg_isolation_choose(a->c, &a->ct, a->rootfs_fd, &a->mode, &a->mode_why, &why);
		if (r == -VG_EREFUSED) {
			vg_report_add(&a->rep, VG_DENY, "isolation", "[policy] isolation",
				      "container %s: %s", a->name ? a->name : UNNAMED, why.msg);
			a->mode = VG_ISOLATION_USERNS;
			r = 0;
		} else if (r < 0) {
			*e = why;
		}
		if (r >= 0 && a->mode == VG_ISOLATION_USERNS && a->via == VG_ADMIT_RUNTIME)
			r = judge_join(a, e);
	}
	a->ct.isolation = a->docker.isolation = a->kernel.isolation = a->mode;
	return r;
}

int vg_admit_judge(struct vg_admission *a, struct vg_error *e)
{
	const char *member = a->name ? a->name : UNNAMED;
	int r;

	if (a->verify)
		return judge_verify(a, e);

	r = judge_mode(a, e);
	if (r >= 0)
		r = judge_policy(a, &a->ct, NULL, e);
	if (r >= 0 && a->has_docker)
		r = judge_policy(a, &a->docker, "Docker's container files", e);
	if (r >= 0 && a->has_kernel)
		r = judge_policy(a, &a->kernel, "mounts in the kernel", e);
	/* The hook runs after the mounts: what they show must be what was judged just now (a
	 * source swapped back after the mount would pass the spec's judge by its path). */
	if (r >= 0 && a->has_kernel)
		r = judge_identities(a, &a->checked, e);
	if (r < 0)
		return r;
	judge_opt_out(a);
	if (a->exempt)
		return 0;
	if (a->via == VG_ADMIT_HOOK) {
		/* Without a user namespace there is no range to judge IDs or volumes for. */
		if (!a->ct.has_uidmap)
			return 0;
		r = judge_hook_range(a, e);
		if (r < 0)
			return r;
		if (a->range_name)
			member = a->range_name;
	}
	judge_user(a);
	return judge_volumes(a, member, e);
}

int vg_admit_refusal(const struct vg_admission *a, struct vg_error *e)
{
	const char *who = a->name ? a->name : a->ct.id ? a->ct.id : UNNAMED;
	const char *msg;

	if (a->rep.worst != VG_DENY)
		return 0;
	msg = vg_report_first_deny(&a->rep);
	if (strncmp(msg, "container ", 10) == 0)
		return vg_error_set(e, VG_EREFUSED, "%s", msg);
	return vg_error_set(e, VG_EREFUSED, "container %s refused: %s", who, msg);
}

/* ---- act ----------------------------------------------------------------------------------- */

/* The mode and why, on the range's registry line (audit reads them). */
static int record_mode(struct vg_admission *a, struct vg_registry *reg, struct vg_range *rg,
		       struct vg_error *e)
{
	_cleanup_free_ char *why = vg_meta_encode(a->mode_why ? a->mode_why : "");
	int r = vg_range_set_meta(reg, rg, "isolation", vg_isolation_name(a->mode), e);

	return r < 0 ? r : vg_range_set_meta(reg, rg, "isolation_why", why, e);
}

/* The spec's rewrite for the mode, in memory. */
static int apply_mode(struct vg_admission *a, const struct vg_range *rg, struct vg_error *e)
{
	if (a->mode == VG_ISOLATION_USERNS) {
		struct vg_spec_userns p = {
			.start = a->join_userns ? a->join_start : rg->start,
			.count = a->join_userns ? a->join_count : rg->count,
			.keep_caps = vg_config_cap_survivors(a->c, VG_ISOLATION_USERNS),
			.userns_path = a->join_userns,
		};
		a->range_start = p.start;
		a->range_count = p.count;
		return vg_spec_apply_userns(a->spec, &p, e);
	}
	struct vg_spec_shift shift = { .start = rg->start,
				       .count = rg->count,
				       .keep_caps =
					   vg_config_cap_survivors(a->c, VG_ISOLATION_SHIFT) };
	a->range_start = rg->start;
	a->range_count = rg->count;
	return vg_spec_apply_shift(a->spec, &shift, e);
}

/* userns: the root file system and the binds, idmapped where only runc sees them; then the
 * volumes' records. shift: the volumes, moved into the range. */
static int act_mounts(struct vg_admission *a, struct vg_error *e)
{
	int r = 0;

	if (a->mode == VG_ISOLATION_USERNS) {
		struct vg_stage_req req = { .c = a->c,
					    .id = a->ct.id,
					    .rootfs_fd = a->rootfs_fd,
					    .start = a->range_start,
					    .count = a->range_count,
					    .ct = &a->ct,
					    .vols = &a->vols,
					    .checked = &a->checked };
		r = vg_stage_build(&req, a->spec, e);
	}
	if (r >= 0)
		r = vg_mounted_volumes_prepare(a->c, &a->vols, a->name,
					       (uint32_t)(a->range_start + a->user.uid),
					       (uint32_t)(a->range_start + a->user.gid),
					       a->range_start, a->range_count, volume_mode(a), e);
	return r;
}

int vg_admit_isolate(struct vg_admission *a, int bundle_fd, struct vg_error *e)
{
	struct vg_registry reg;
	struct vg_range *rg = NULL;
	bool is_new;
	int r;

	if (a->rep.worst == VG_DENY)
		return vg_admit_refusal(a, e);
	r = vg_registry_open(&reg, a->c, VG_REGISTRY_WRITE, e);
	/* The IDs must fit the range this name has, or will get (judged already; under the lock
	 * the range is known for sure). */
	if (r >= 0) {
		const struct vg_range *will = vg_registry_claimable(&reg, a->c, a->name, a->ct.id);
		r = vg_spec_user_check(&a->user, will ? will->count : a->c->range_size, e);
	}
	/* The range is bound to the container ID (registry_alloc.c: a rename keeps it, a new
	 * container with an old name gets its own). */
	if (r >= 0)
		r = vg_registry_claim(&reg, a->c, a->name, a->ct.id, a->runc_root, &rg, &is_new, e);
	if (r >= 0)
		a->range_reused = is_new && vg_range_get_meta(rg, "reused_from");
	if (r >= 0)
		r = record_mode(a, &reg, rg, e);
	/* The spec is rewritten in memory before the range is committed: a spec it cannot
	 * rewrite leaves the registry and the volumes as they were. */
	if (r >= 0)
		r = apply_mode(a, rg, e);
	if (r >= 0) /* a read-only member's rw mounts become ro */
		r = vg_mounted_volumes_spec_ro(a->spec, &a->vols, e);
	/* ... and so is the verify hook added: runc must mount what judge saw (kmounts.h). */
	if (r >= 0)
		r = vg_kmounts_spec_add_verify(a->spec, a->c->path, &a->checked, e);
	/* Committed before any volume names the range, so no volume can ever list a range the
	 * registry does not hold; the lock is held until config.json is written, so that the
	 * range cannot be released and handed to another name meanwhile (vg_volume_prepare never
	 * takes it). */
	if (r >= 0)
		r = vg_registry_commit(&reg, e);
	if (r >= 0)
		r = act_mounts(a, e);
	if (r >= 0)
		r = vg_spec_write(bundle_fd, "config.json", a->spec, "config.json", e);
	if (r >= 0 && a->mode == VG_ISOLATION_USERNS)
		r = vg_stage_give_stdio(a->range_start, e);
	vg_registry_close(&reg);
	return r;
}

int vg_admit_exempt(struct vg_admission *a, int bundle_fd, struct vg_error *e)
{
	int r;

	if (a->rep.worst == VG_DENY)
		return vg_admit_refusal(a, e);
	r = vg_kmounts_spec_add_verify(a->spec, a->c->path, &a->checked, e);
	if (r >= 0)
		r = vg_spec_write(bundle_fd, "config.json", a->spec, "config.json", e);
	return r;
}

int vg_admit_prepare(struct vg_admission *a, struct vg_error *e)
{
	if (a->rep.worst == VG_DENY)
		return vg_admit_refusal(a, e);
	if (a->verify || a->exempt || !a->ct.has_uidmap || !a->range_name)
		return 0;
	if (a->range_bind) {
		int r = hook_bind(a, e);

		if (r < 0)
			return r;
	}
	return vg_mounted_volumes_prepare(a->c, &a->vols, a->range_name,
					  (uint32_t)(a->range_start + a->user.uid),
					  (uint32_t)(a->range_start + a->user.gid), a->range_start,
					  a->range_count, volume_mode(a), e);
}
