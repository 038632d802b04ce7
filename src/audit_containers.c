/*
 * Audit of Docker's containers, running or not: <docker_root>/containers/ID/{config.v2.json,
 * hostconfig.json}. A file that is missing, unreadable, truncated or not what Docker writes is a
 * finding about that container, never an error of the audit. Isolation is judged across
 * containers: who runs as host root, who bypasses volguard, who shares a host UID.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit_int.h"
#include "cleanup.h"

#define CONTAINER_JSON_MAX (16 * 1024 * 1024)

void audit_ct_free(struct audit_ct *ct)
{
	free(ct->dir);
	free(ct->id);
	free(ct->name);
	free(ct->user);
	free(ct->runtime);
	free(ct->userns_mode);
	vg_strv_free(ct->volumes);
	vg_strv_free(ct->labels);
	memset(ct, 0, sizeof(*ct));
}

static char *dup_str(json_t *j)
{
	const char *s = json_string_value(j);
	return s && *s ? vg_strdup(s) : NULL;
}

/* Read and parse one of the container's files; a finding and NULL when it is unusable. */
static json_t *load_json(struct audit_ctx *x, int dfd, const struct audit_ct *ct,
			 const char *file)
{
	_cleanup_free_ char *buf = NULL, *path = NULL;
	struct vg_audit_finding *f;
	json_error_t je;
	json_t *j;
	size_t len;
	int r;

	r = audit_read_file(dfd, file, CONTAINER_JSON_MAX, &buf, &len, NULL);
	if (r >= 0) {
		j = json_loadb(buf, len, 0, &je);
		if (j && json_is_object(j))
			return j;
		json_decref(j);
	}
	path = vg_asprintf("%s/containers/%s/%s", x->c->docker_root, ct->dir, file);
	if (r < 0)
		f = audit_add(x, "VG-CONT-001", VG_SUBJ_CONTAINER, ct->name ? ct->name : ct->dir,
			      ct->dir, "cannot read %s: %s; the container was not audited", path,
			      r == -EINVAL  ? "not a regular file"
			      : r == -EFBIG ? "larger than 16 MiB"
					    : strerror(-r));
	else
		f = audit_add(x, "VG-CONT-001", VG_SUBJ_CONTAINER, ct->name ? ct->name : ct->dir,
			      ct->dir, "%s:%d: %s; the container was not audited", path,
			      j ? 1 : je.line, j ? "not a JSON object" : je.text);
	audit_ev(f, "path", "%s", path);
	audit_remedy(f, "docker rm -f %s (Docker cannot use it either), or restore %s from a backup",
		     ct->name ? ct->name : ct->dir, path);
	return NULL;
}

static void index_one(struct audit_ctx *x, int containers_fd, const char *dir)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_json_ json_t *cfg = NULL, *host = NULL;
	struct audit_ct *ct;
	const char *key;
	json_t *v;

	x->cts = vg_reallocarray(x->cts, x->n_cts + 1, sizeof(*x->cts));
	ct = &x->cts[x->n_cts++];
	memset(ct, 0, sizeof(*ct));
	ct->dir = vg_strdup(dir);
	ct->id = vg_strdup(dir);
	dfd = openat(containers_fd, dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		struct vg_audit_finding *f = audit_add(
			x, "VG-CONT-001", VG_SUBJ_CONTAINER, dir, dir,
			"%s/containers/%s is %s; the container was not audited", x->c->docker_root, dir,
			errno == ELOOP || errno == ENOTDIR ? "a symbolic link or not a directory"
							   : strerror(errno));
		audit_ev(f, "path", "%s/containers/%s", x->c->docker_root, dir);
		audit_remedy(f, "ls -l %s/containers/%s", x->c->docker_root, dir);
		return;
	}
	cfg = load_json(x, dfd, ct, "config.v2.json");
	if (cfg) {
		const char *name = json_string_value(json_object_get(cfg, "Name"));
		const char *id = json_string_value(json_object_get(cfg, "ID"));
		if (name && name[0] == '/')
			name++;
		if (name && vg_name_valid(name))
			ct->name = vg_strdup(name);
		if (id && *id) {
			free(ct->id);
			ct->id = vg_strdup(id);
		}
		ct->user = dup_str(json_object_get(json_object_get(cfg, "Config"), "User"));
		json_object_foreach(json_object_get(json_object_get(cfg, "Config"), "Labels"), key, v)
			if (json_is_string(v)) {
				_cleanup_free_ char *kv = vg_asprintf("%s=%s", key,
								      json_string_value(v));
				vg_strv_push(&ct->labels, kv);
			}
		json_object_foreach(json_object_get(cfg, "MountPoints"), key, v) {
			const char *type = json_string_value(json_object_get(v, "Type"));
			const char *vname = json_string_value(json_object_get(v, "Name"));
			if (type && strcmp(type, "volume") == 0 && vname && vg_name_valid(vname) &&
			    !vg_strv_contains(ct->volumes, vname))
				vg_strv_push(&ct->volumes, vname);
		}
	}
	host = load_json(x, dfd, ct, "hostconfig.json");
	if (host) {
		ct->runtime = dup_str(json_object_get(host, "Runtime"));
		ct->userns_mode = dup_str(json_object_get(host, "UsernsMode"));
	}
	ct->ok = cfg && host;
}

int audit_containers_index(struct audit_ctx *x, struct vg_error *e)
{
	_cleanup_free_ char *path = vg_asprintf("%s/containers", x->c->docker_root);
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_close_ int root = -1;
	struct dirent *de;
	int fd;

	root = open(x->c->docker_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return vg_error_errno(e, errno, "docker_root %s: cannot open (set [paths] docker_root)",
				      x->c->docker_root);
	fd = openat(root, "containers", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return vg_error_errno(e, errno, "%s: cannot open", path);
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return vg_error_errno(e, errno, "%s: cannot read", path);
	}
	while ((errno = 0, de = readdir(d)))
		if (de->d_name[0] != '.')
			index_one(x, dirfd(d), de->d_name);
	if (errno)
		return vg_error_errno(e, errno, "%s: cannot read", path);
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
	const char *name = ct->name ? ct->name : ct->dir;
	const char *off = NULL;
	struct vg_audit_finding *f;
	uint64_t uid = 0;
	bool uid_known = user_uid(ct->user, &uid);
	bool userns = x->remap.n && !(ct->userns_mode && strcmp(ct->userns_mode, "host") == 0);

	for (size_t i = 0; ct->labels && ct->labels[i]; i++)
		if (strcmp(ct->labels[i], "volguard.isolation=off") == 0)
			off = ct->labels[i];
	ct->exempt = off && ct->name && vg_config_is_exempt(x->c, ct->name);
	ct->through_volguard = ct->runtime ? vg_strv_contains(x->vg_runtimes, ct->runtime)
					   : x->vg_default;
	if (!ct->exempt && x->vg_policy && !ct->through_volguard) {
		f = audit_add(x, "VG-ISO-003", VG_SUBJ_CONTAINER, name, ct->id,
			      "container was created with runtime '%s', not volguard: its mounts "
			      "and user were never checked",
			      ct->runtime ? ct->runtime : "(daemon default)");
		audit_ev(f, "seen", "HostConfig.Runtime=%s", ct->runtime ? ct->runtime : "");
		audit_ev(f, "expected", "HostConfig.Runtime=%s", x->vg_runtimes[0]);
		audit_remedy(f, "docker rm -f %s && docker run --runtime=%s ... (the same arguments "
				"without --runtime=%s)",
			     name, x->vg_runtimes[0], ct->runtime ? ct->runtime : "runc");
	}
	if (uid_known && ct->through_volguard && !ct->exempt) {
		const struct vg_range *rg = ct->name ? vg_registry_find(&x->reg, ct->name) : NULL;
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
		f = audit_add(x, "VG-ISO-004", VG_SUBJ_CONTAINER, name, ct->id,
			      "container opts out of isolation (label volguard.isolation=off, allowed "
			      "by isolation_exempt)%s",
			      ct->has_principal && ct->principal == 0 ? ": it runs as host root" : "");
		audit_ev(f, "label", "volguard.isolation=off");
		if (ct->has_principal)
			audit_ev(f, "host_uid", "%llu", (unsigned long long)ct->principal);
	} else if (ct->has_principal && ct->principal == 0) {
		f = audit_add(x, "VG-ISO-001", VG_SUBJ_CONTAINER, name, ct->id,
			      "container runs as host root: UID 0 without a user namespace%s",
			      ct->through_volguard ? "" : " or a volguard range");
		audit_ev(f, "user", "%s", ct->user ? ct->user : "(image default: root)");
		audit_ev(f, "runtime", "%s", ct->runtime ? ct->runtime : "(daemon default)");
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

/* Containers with the same host UID (other than root, which VG-ISO-001 reports). */
static void judge_sharing(struct audit_ctx *x)
{
	_cleanup_free_ struct audit_ct **v = vg_reallocarray(NULL, x->n_cts + 1, sizeof(*v));
	size_t n = 0, n_remap = 0;

	for (size_t i = 0; i < x->n_cts; i++)
		if (x->cts[i].has_principal && x->cts[i].principal != 0)
			v[n++] = &x->cts[i];
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i]->principal_how, "userns-remap") == 0)
			n_remap++;
	qsort(v, n, sizeof(*v), cmp_principal);
	for (size_t i = 0; i < n; i++) {
		const struct audit_ct *ct = v[i];
		const char *name = ct->name ? ct->name : ct->dir;
		struct vg_audit_finding *f;
		size_t lo = i, hi = i;

		if (strcmp(ct->principal_how, "userns-remap") == 0) {
			if (n_remap < 2)
				continue;
			f = audit_add(x, "VG-ISO-005", VG_SUBJ_CONTAINER, name, ct->id,
				      "container shares Docker's userns-remap range with %zu other "
				      "container(s)",
				      n_remap - 1);
			audit_ev(f, "principal", "%llu", (unsigned long long)ct->principal);
			audit_remedy(f, "docker rm -f %s && docker run --runtime=%s --userns=host ...",
				     name, x->vg_runtimes ? x->vg_runtimes[0] : "volguard");
			continue;
		}
		while (lo > 0 && v[lo - 1]->principal == ct->principal)
			lo--;
		while (hi + 1 < n && v[hi + 1]->principal == ct->principal)
			hi++;
		if (lo == hi)
			continue;
		f = audit_add(x, "VG-ISO-002", VG_SUBJ_CONTAINER, name, ct->id,
			      "container runs as host UID %llu (%s), as %zu other container(s) do: "
			      "each can read and signal the others' files and processes",
			      (unsigned long long)ct->principal, ct->principal_how, hi - lo);
		{
			_cleanup_free_ char *others = NULL;
			for (size_t k = lo; k <= hi; k++) {
				const char *o = v[k]->name ? v[k]->name : v[k]->dir;
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
	for (size_t i = 0; i < x->n_cts; i++)
		if (x->cts[i].ok)
			judge_isolation(x, &x->cts[i]);
	judge_sharing(x);
}
