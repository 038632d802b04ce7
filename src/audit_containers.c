/*
 * Audit of Docker's containers, running or not: <docker_root>/containers/ID/{config.v2.json,
 * hostconfig.json}. A file that is missing, unreadable, truncated or not what Docker writes is a
 * finding about that container, never an error of the audit. Isolation is judged across
 * containers: who runs as host root, who bypasses volguard, who shares a host UID.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "adapters.h"
#include "audit_internal.h"
#include "cleanup.h"
#include "identity.h"

void audit_ct_free(struct audit_ct *ct)
{
	free(ct->dir);
	vg_container_free(&ct->ct);
	vg_strv_free(ct->volumes);
	free(ct->live_uid_map);
	free(ct->live_gid_map);
	free(ct->live_escape_map);
	free(ct->join);
	memset(ct, 0, sizeof(*ct));
}

static const char *ct_label(const struct audit_ct *ct)
{
	return ct->ct.name ? ct->ct.name : ct->dir;
}

static void unusable(struct audit_ctx *x, const struct audit_ct *ct, const char *path,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void unusable(struct audit_ctx *x, const struct audit_ct *ct, const char *path,
		     const char *fmt, ...)
{
	_cleanup_free_ char *why = NULL;
	struct vg_audit_finding *f;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&why, fmt, ap) < 0)
		abort();
	va_end(ap);
	f = audit_add(x, "VG-CONT-001", VG_SUBJ_CONTAINER, ct_label(ct), ct->ct.id,
		      "%s; the container was not audited", why);
	audit_ev(f, "path", "%s", path);
	audit_remedy(f,
		     "docker rm -f %s (Docker cannot use it either), or restore %s from a backup",
		     ct_label(ct), path);
}

/* Read and parse one of the container's files (docker.c's reader); a finding and NULL when it is
 * unusable. */
static json_t *load_json(struct audit_ctx *x, int dfd, const struct audit_ct *ct, const char *file)
{
	_cleanup_free_ char *path = NULL;
	struct vg_error e = { 0 };
	json_t *j = NULL;
	int line = 0, r;

	path = vg_asprintf("%s/containers/%s/%s", x->c->docker_root, ct->dir, file);
	r = vg_docker_read_json(dfd, file, file, &j, &line, &e);
	if (r < 0 && line > 0)
		unusable(x, ct, path, "%s:%d: %s", path, line, e.msg);
	else if (r < 0)
		unusable(x, ct, path, "cannot read %s: %s", path,
			 r == -EINVAL  ? "not a regular file"
			 : r == -EFBIG ? "too large"
				       : strerror(-r));
	return j;
}

static int index_one(const struct vg_docker_entry *ent, void *data)
{
	struct audit_ctx *x = data;
	_cleanup_json_ json_t *cfg = NULL, *host = NULL;
	struct vg_error e = { 0 };
	struct audit_ct *ct;

	x->cts = vg_reallocarray(x->cts, x->n_cts + 1, sizeof(*x->cts));
	ct = &x->cts[x->n_cts++];
	memset(ct, 0, sizeof(*ct));
	ct->dir = vg_strdup(ent->dir);
	if (ent->dir_fd < 0) {
		int err = ent->open_errno;
		ct->ct.id = vg_strdup(ent->dir);
		unusable(x, ct, ent->path, "%s is %s", ent->path,
			 err == ELOOP || err == ENOTDIR ? "a symbolic link or not a directory"
							: strerror(err));
		return 0;
	}
	cfg = load_json(x, ent->dir_fd, ct, "config.v2.json");
	if (cfg) /* the name, for the findings about hostconfig.json */
		(void)vg_docker_name(cfg, &ct->ct.name, NULL);
	host = cfg ? load_json(x, ent->dir_fd, ct, "hostconfig.json") : NULL;
	if (cfg && host && vg_docker_parse(cfg, host, &ct->ct, &e) < 0) {
		_cleanup_free_ char *name = TAKE_PTR(ct->ct.name);
		vg_container_free(&ct->ct);
		ct->ct.name = TAKE_PTR(name);
		unusable(x, ct, ent->path, "%s/%s", ent->path, e.msg);
	} else if (cfg && host) {
		ct->ok = true;
		ct->join = vg_docker_join_target(host);
	}
	if (!ct->ct.id)
		ct->ct.id = vg_strdup(ent->dir);
	if (ct->ct.name && !vg_name_valid(ct->ct.name)) {
		free(ct->ct.name);
		ct->ct.name = NULL;
	}
	for (size_t i = 0; i < ct->ct.n_mounts; i++) {
		const struct vg_mount *m = &ct->ct.mounts[i];
		if (m->kind == VG_MOUNT_VOLUME && m->source && vg_name_valid(m->source) &&
		    !vg_strv_contains(ct->volumes, m->source))
			vg_strv_push(&ct->volumes, m->source);
	}
	return 0;
}

int audit_containers_index(struct audit_ctx *x, struct vg_error *e)
{
	_cleanup_close_ int root = -1;
	int r;

	root = open(x->c->docker_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return vg_error_errno(e, errno,
				      "docker_root %s: cannot open (set [paths] docker_root)",
				      x->c->docker_root);
	r = vg_docker_foreach_container(x->c->docker_root, index_one, x, e);
	if (r == -ENOENT)
		r = 0;
	if (r < 0)
		return r;
	x->a->n_containers = x->n_cts;
	return 0;
}

/* "", "N", "N:G" give UID N (0 for ""); a user name needs the image's passwd: unknown. */
static bool user_uid(const char *user, uint64_t *ret)
{
	_cleanup_free_ char *u = vg_strdup(user ? user : "");
	char *colon = strchr(u, ':');

	if (colon)
		*colon = '\0';
	if (!*u) {
		*ret = 0;
		return true;
	}
	return vg_parse_u64(u, UINT32_MAX - 1, ret) == 0;
}

static void judge_isolation(struct audit_ctx *x, struct audit_ct *ct)
{
	const char *name = ct_label(ct), *runtime = ct->ct.runtime;
	const char *off = vg_container_label(&ct->ct, "volguard.isolation");
	struct vg_audit_finding *f;
	uint64_t uid = 0;
	bool uid_known = user_uid(ct->ct.user, &uid);
	bool userns = x->remap.n && !ct->ct.host_userns;

	ct->exempt =
	    off && strcmp(off, "off") == 0 && ct->ct.name && vg_config_is_exempt(x->c, ct->ct.name);
	/* Docker records the runtime it resolved at create; an empty one is the default. */
	ct->through_volguard = runtime ? vg_strv_contains(x->vg_runtimes, runtime) : x->vg_default;
	if (!ct->exempt && x->vg_policy && !ct->through_volguard) {
		f = audit_add(x, "VG-ISO-003", VG_SUBJ_CONTAINER, name, ct->ct.id,
			      "container was created with runtime '%s', not volguard: its mounts "
			      "and user were never checked",
			      runtime ? runtime : "(daemon default)");
		audit_ev(f, "seen", "HostConfig.Runtime=%s", runtime ? runtime : "");
		audit_ev(f, "expected", "HostConfig.Runtime=%s", x->vg_runtimes[0]);
		audit_remedy(f,
			     "docker rm -f %s && docker run --runtime=%s ... (the same arguments "
			     "without --runtime=%s)",
			     name, x->vg_runtimes[0], runtime ? runtime : "runc");
	}
	if (uid_known && ct->through_volguard && !ct->exempt) {
		/* The range bound to it (its identity's, identity.h), else its name's. */
		const struct vg_range *rg =
		    ct->ct.id ? vg_registry_find_container(&x->reg, ct->ct.id) : NULL;
		if (!rg && ct->ct.name)
			rg = vg_registry_find(&x->reg, ct->ct.name);
		if (rg && uid < rg->count) {
			ct->principal = rg->start + uid;
			ct->principal_how = "volguard range";
			ct->has_principal = true;
		}
	} else if (uid_known && userns) {
		if (uid < x->remap.v[0].last - x->remap.v[0].first + 1) {
			ct->principal = x->remap.v[0].first + uid;
			ct->principal_how = "userns-remap";
			ct->has_principal = true;
		}
	} else if (uid_known) {
		ct->principal = uid;
		ct->principal_how = "no user namespace";
		ct->has_principal = true;
	}
	if (ct->exempt) {
		/* The admin allowed it (isolation_exempt): say what it means, do not fail on it. */
		f = audit_add(
		    x, "VG-ISO-004", VG_SUBJ_CONTAINER, name, ct->ct.id,
		    "container opts out of isolation (label volguard.isolation=off, allowed "
		    "by isolation_exempt)%s",
		    ct->has_principal && ct->principal == 0 ? ": it runs as host root" : "");
		audit_ev(f, "label", "volguard.isolation=off");
		if (ct->has_principal)
			audit_ev(f, "host_uid", "%llu", (unsigned long long)ct->principal);
	} else if (ct->has_principal && ct->principal == 0) {
		f = audit_add(x, "VG-ISO-001", VG_SUBJ_CONTAINER, name, ct->ct.id,
			      "container runs as host root: UID 0 without a user namespace%s",
			      ct->through_volguard ? "" : " or a volguard range");
		audit_ev(f, "user", "%s", ct->ct.user ? ct->ct.user : "(image default: root)");
		audit_ev(f, "runtime", "%s", runtime ? runtime : "(daemon default)");
		audit_remedy(f, "docker rm -f %s && docker run --runtime=%s ...", name,
			     x->vg_runtimes ? x->vg_runtimes[0] : "volguard");
	}
}

static int cmp_principal(const void *pa, const void *pb)
{
	const struct audit_ct *const *a = pa, *const *b = pb;
	if ((*a)->principal != (*b)->principal)
		return (*a)->principal < (*b)->principal ? -1 : 1;
	return strcmp((*a)->dir, (*b)->dir);
}

/* Containers [lo, hi] of v share a principal because they are one shared identity's (a compose
 * service's replicas, a pod's containers: identity.h): each is bound to that range, as the
 * config asks. Not a finding. */
static bool one_shared_identity(const struct audit_ctx *x, struct audit_ct *const *v, size_t lo,
				size_t hi)
{
	const struct vg_range *rg = vg_registry_find_id(&x->reg, v[lo]->principal);

	if (!rg || !vg_identity_shared(rg->name))
		return false;
	for (size_t k = lo; k <= hi; k++)
		if (strcmp(v[k]->principal_how, "volguard range") != 0 || !v[k]->ct.id ||
		    !vg_range_bound_to(rg, v[k]->ct.id))
			return false;
	return true;
}

/* Containers with the same host UID (other than root, which VG-ISO-001 reports). */
static void judge_sharing(struct audit_ctx *x)
{
	_cleanup_free_ struct audit_ct **v =
	    vg_reallocarray(NULL, x->n_cts + 1, sizeof(struct audit_ct *));
	size_t n = 0, n_remap = 0;

	for (size_t i = 0; i < x->n_cts; i++)
		if (x->cts[i].has_principal && x->cts[i].principal != 0)
			v[n++] = &x->cts[i];
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->principal_how, "userns-remap") == 0)
			n_remap++;
	qsort(v, n, sizeof(struct audit_ct *), cmp_principal);
	for (size_t i = 0; i < n; i++) {
		const struct audit_ct *ct = v[i];
		const char *name = ct_label(ct);
		struct vg_audit_finding *f;
		size_t lo = i, hi = i;

		if (strcmp(ct->principal_how, "userns-remap") == 0) {
			if (n_remap < 2)
				continue;
			f = audit_add(x, "VG-ISO-005", VG_SUBJ_CONTAINER, name, ct->ct.id,
				      "container shares Docker's userns-remap range with %zu other "
				      "container(s)",
				      n_remap - 1);
			audit_ev(f, "principal", "%llu", (unsigned long long)ct->principal);
			audit_remedy(f,
				     "docker rm -f %s && docker run --runtime=%s --userns=host ...",
				     name, x->vg_runtimes ? x->vg_runtimes[0] : "volguard");
			continue;
		}
		while (lo > 0 && v[lo - 1]->principal == ct->principal)
			lo--;
		while (hi + 1 < n && v[hi + 1]->principal == ct->principal)
			hi++;
		if (lo == hi || one_shared_identity(x, v, lo, hi))
			continue;
		f = audit_add(x, "VG-ISO-002", VG_SUBJ_CONTAINER, name, ct->ct.id,
			      "container runs as host UID %llu (%s), as %zu other container(s) do: "
			      "each can read and signal the others' files and processes",
			      (unsigned long long)ct->principal, ct->principal_how, hi - lo);
		{
			_cleanup_free_ char *others = NULL;
			for (size_t k = lo; k <= hi; k++) {
				const char *o = ct_label(v[k]);
				char *t;
				if (k == i)
					continue;
				t = others ? vg_asprintf("%s,%s", others, o) : vg_strdup(o);
				free(others);
				others = t;
			}
			audit_ev(f, "shared_with", "%s", others);
		}
		audit_remedy(f, "docker rm -f %s && docker run --runtime=%s ...", name,
			     x->vg_runtimes ? x->vg_runtimes[0] : "volguard");
	}
}

void audit_containers(struct audit_ctx *x)
{
	audit_live_index(x);
	for (size_t i = 0; i < x->n_cts; i++)
		if (x->cts[i].ok) {
			judge_isolation(x, &x->cts[i]);
			audit_live(x, &x->cts[i]);
			audit_modes(x, &x->cts[i]);
			if (audit_in_scope(x, VG_SUBJ_CONTAINER, x->cts[i].ct.name,
					   x->cts[i].ct.id))
				audit_mounts(x, &x->cts[i]);
		}
	judge_sharing(x);
	audit_modes_host(x);
}
