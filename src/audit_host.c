/*
 * Audit of the host: dockerd's daemon.json (is volguard the runtime, userns-remap), the owner
 * and mode of volguard's own files, and the registry's ranges against each other, the
 * subuid/subgid delegations, NSS users and groups, Docker's userns-remap range and the pool.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit_internal.h"
#include "cleanup.h"
#include "ranges.h"
#include "docker.h"
#include "isoprobe.h"
#include "gojson.h"

static bool is_volguard_runc(const char *path)
{
	const char *slash = strrchr(path, '/');
	return strcmp(slash ? slash + 1 : path, "volguard-runc") == 0;
}

/* A trusted volguard file: root's, not writable by group or others (what config.c demands). */
static void check_owner_mode(struct audit_ctx *x, const char *id, const char *what,
			     const char *path, const struct stat *st, const char *remedy_path)
{
	struct vg_audit_finding *f;

	if (st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH)))
		return;
	f = audit_add(x, id, VG_SUBJ_HOST, "host", NULL,
		      "%s %s is %s: whoever can write it controls volguard", what, path,
		      st->st_uid != 0 ? "not owned by root" : "writable by group or others");
	audit_ev(f, "path", "%s", path);
	audit_ev(f, "seen", "uid %u mode %04o", (unsigned)st->st_uid,
		 (unsigned)(st->st_mode & 07777));
	audit_ev(f, "expected", "uid 0, not writable by group or others");
	audit_remedy(f, "chown root:root %s && chmod go-w %s", remedy_path, remedy_path);
}

/* The config file volguard-runc is given (runtimeArgs), or the default one. */
static void check_runtime_config(struct audit_ctx *x, const char *name, json_t *args)
{
	const char *path = NULL;
	struct stat st;
	size_t i;
	json_t *v;

	json_array_foreach(args, i, v)
	{
		const char *s = json_string_value(v);
		if (!s)
			continue;
		if (strncmp(s, "--config=", 9) == 0)
			path = s + 9;
		else if ((strcmp(s, "--config") == 0 || strcmp(s, "-c") == 0))
			path = json_string_value(json_array_get(args, i + 1));
	}
	if (!path) {
		/* No --config: the default file, which may be absent (built-in defaults). */
		if (lstat(VG_DEFAULT_CONFIG, &st) == 0)
			check_owner_mode(x, "VG-HOST-004", "config file", VG_DEFAULT_CONFIG, &st,
					 VG_DEFAULT_CONFIG);
		return;
	}
	/* The reason comes from lstat's own result: errno is stale when lstat succeeded (a
	 * directory was once reported as "does not exist"). */
	int r = lstat(path, &st) < 0 ? -errno : 0;
	if (r < 0 || !S_ISREG(st.st_mode)) {
		struct vg_audit_finding *f =
		    audit_add(x, "VG-HOST-004", VG_SUBJ_HOST, "host", NULL,
			      "runtime '%s' is given the config file %s, which %s: every container "
			      "create will fail",
			      name, path,
			      r == -ENOENT	    ? "does not exist"
			      : r < 0		    ? strerror(-r)
			      : S_ISDIR(st.st_mode) ? "is a directory, not a regular file"
						    : "is not a regular file");
		audit_ev(f, "path", "%s", path);
		audit_remedy(f, "install -m 0644 -o root -g root conf/volguard.conf %s", path);
		return;
	}
	check_owner_mode(x, "VG-HOST-004", "config file", path, &st, path);
}

struct remap_user {
	struct audit_ctx *x;
	const char *user, *uid; /* its name, and its UID as text ("" when unknown) */
};

static int add_remap(const char *name, uint64_t start, uint64_t count, void *data)
{
	const struct remap_user *w = data;

	if (strcmp(name, w->user) == 0 || (w->uid[0] && strcmp(name, w->uid) == 0))
		vg_intervals_add(&w->x->remap, start, start + count - 1, "userns-remap");
	return 0;
}

/* userns-remap: "default" (user dockremap), "user", "user:group", "uid", "uid:gid". Its lines
 * of the subuid file (ranges.c's reader; VG-HOST-007 reports a file that does not parse). */
static void load_remap(struct audit_ctx *x, const char *value)
{
	_cleanup_free_ char *user = vg_strdup(strcmp(value, "default") == 0 ? "dockremap" : value);
	char *colon = strchr(user, ':');
	char uidbuf[16] = "";
	struct remap_user w = { .x = x, .user = user, .uid = uidbuf };
	struct passwd *pw;

	if (colon)
		*colon = '\0';
	pw = getpwnam(user);
	if (pw)
		snprintf(uidbuf, sizeof(uidbuf), "%u", (unsigned)pw->pw_uid);
	(void)vg_subid_foreach(x->c->subuid_file, VG_SUBID_SKIP_MALFORMED, add_remap, &w, NULL);
}

#define dget vg_docker_daemon_get /* Go's key matching, as dockerd reads daemon.json */

void audit_daemon(struct audit_ctx *x)
{
	const char *path = x->c->daemon_config, *def, *name;
	_cleanup_json_ json_t *j = NULL;
	struct vg_audit_finding *f;
	struct vg_error e = { 0 };
	json_t *rt, *v;
	int line = 0, r;

	r = vg_docker_daemon_read(path, &j, &line, &e);
	if (r == -ENOENT)
		j = json_object(); /* dockerd's defaults: runc, no remap */
	else if (r < 0 && line > 0) {
		f = audit_add(x, "VG-HOST-006", VG_SUBJ_HOST, "host", NULL,
			      "%s; dockerd will not start with it", e.msg);
		audit_ev(f, "path", "%s", path);
		audit_remedy(f, "jq . %s", path);
		return;
	} else if (r < 0) {
		f = audit_add(x, "VG-HOST-006", VG_SUBJ_HOST, "host", NULL,
			      "cannot read %s: %s; volguard's runtime registration is unknown",
			      path, r == -EINVAL ? "not a regular file" : strerror(-r));
		audit_ev(f, "path", "%s", path);
		audit_remedy(f, "ls -l %s", path);
		return;
	}
	rt = dget(j, "runtimes");
	json_object_foreach(rt, name, v)
	{
		const char *p = json_string_value(dget(v, "path"));
		if (p && is_volguard_runc(p)) {
			vg_strv_push(&x->vg_runtimes, name);
			check_runtime_config(x, name, dget(v, "runtimeArgs"));
		}
	}
	def = json_string_value(dget(j, "default-runtime"));
	x->vg_policy = x->vg_runtimes != NULL;
	x->vg_default = def && vg_strv_contains(x->vg_runtimes, def);
	if (!x->vg_policy) {
		f = audit_add(x, "VG-HOST-001", VG_SUBJ_HOST, "host", NULL,
			      "%s registers no runtime whose path is volguard-runc: containers run "
			      "without volguard's checks and ranges",
			      path);
		audit_ev(f, "path", "%s", path);
		audit_remedy(f,
			     "add {\"runtimes\": {\"volguard\": {\"path\": "
			     "\"/usr/local/bin/volguard-runc\"}}, "
			     "\"default-runtime\": \"volguard\"} to %s && systemctl restart docker",
			     path);
	} else if (!x->vg_default) {
		f = audit_add(x, "VG-HOST-002", VG_SUBJ_HOST, "host", NULL,
			      "the default runtime is '%s', not volguard: a plain `docker run` "
			      "bypasses volguard",
			      def ? def : "runc");
		audit_ev(f, "path", "%s", path);
		audit_ev(f, "seen", "default-runtime=%s", def ? def : "(unset: runc)");
		audit_ev(f, "expected", "default-runtime=%s", x->vg_runtimes[0]);
		audit_remedy(f, "set \"default-runtime\": \"%s\" in %s && systemctl restart docker",
			     x->vg_runtimes[0], path);
	}
	v = dget(j, "userns-remap");
	if (json_string_value(v) && *json_string_value(v)) {
		x->userns_remap = vg_strdup(json_string_value(v));
		load_remap(x, x->userns_remap);
		f = audit_add(
		    x, "VG-HOST-003", VG_SUBJ_HOST, "host", NULL,
		    "userns-remap '%s' maps every container into the same range: they are "
		    "not isolated from each other",
		    x->userns_remap);
		audit_ev(f, "path", "%s", path);
		for (size_t i = 0; i < x->remap.n; i++)
			audit_ev(f, "range", "%llu-%llu", (unsigned long long)x->remap.v[i].first,
				 (unsigned long long)x->remap.v[i].last);
		audit_remedy(f,
			     "remove \"userns-remap\" from %s, set volguard as default-runtime, "
			     "systemctl restart docker",
			     path);
	}
}

void audit_files(struct audit_ctx *x)
{
	const struct vg_config *c = x->c;
	_cleanup_close_ int dfd = -1;
	/* The probe cache too: who writes it chooses the isolation mode of auto. */
	static const char *const files[] = { "ranges", "ranges.lock", "quarantine",
					     VG_ISOPROBE_FILE };
	static const char *const what[] = { "registry", "lock file", "quarantine file",
					    "isolation probe cache" };
	struct vg_audit_finding *f;
	struct stat st;

	dfd = open(c->state_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return; /* nothing allocated yet */
		f = audit_add(
		    x, "VG-HOST-005", VG_SUBJ_HOST, "host", NULL,
		    "state dir %s cannot be opened (%s): volguard refuses to use it", c->state_dir,
		    errno == ELOOP || errno == ENOTDIR ? "a symbolic link or not a directory"
						       : strerror(errno));
		audit_ev(f, "path", "%s", c->state_dir);
		audit_remedy(f, "ls -ld %s", c->state_dir);
		return;
	}
	if (fstat(dfd, &st) == 0)
		check_owner_mode(x, "VG-HOST-005", "state dir", c->state_dir, &st, c->state_dir);
	for (size_t i = 0; i < VG_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *p = vg_asprintf("%s/%s", c->state_dir, files[i]);
		if (fstatat(dfd, files[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
			f = audit_add(x, "VG-HOST-005", VG_SUBJ_HOST, "host", NULL,
				      "%s is %s: volguard refuses to use it", p,
				      !S_ISREG(st.st_mode) ? "not a regular file" : "hard-linked");
			audit_ev(f, "path", "%s", p);
			audit_remedy(f, "ls -l %s", p);
			continue;
		}
		check_owner_mode(x, "VG-HOST-005", what[i], p, &st, p);
	}
}

void audit_registry_load(struct audit_ctx *x)
{
	_cleanup_free_ char *path = vg_asprintf("%s/ranges", x->c->state_dir);
	_cleanup_free_ char *buf = NULL;
	struct vg_audit_finding *f;
	size_t len = 0, pos = 0;
	unsigned lineno = 0;
	int r;

	r = vg_read_file_at(AT_FDCWD, path, VG_REGISTRY_MAX_SIZE, &buf, &len, NULL);
	if (r == -ENOENT) {
		x->reg_ok = true;
		return;
	}
	if (r < 0) {
		f = audit_add(x, "VG-RANGE-008", VG_SUBJ_HOST, "host", NULL,
			      "cannot read the registry %s: %s; ranges were not audited", path,
			      r == -EINVAL ? "not a regular file" : strerror(-r));
		audit_ev(f, "path", "%s", path);
		audit_remedy(f, "ls -l %s", path);
		return;
	}
	x->reg_ok = true;
	/* Line by line, so that one bad line (which makes volguard fail closed) hides nothing. */
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		struct vg_registry one;
		struct vg_error e = { 0 };

		lineno++;
		vg_registry_init(&one);
		if (vg_registry_parse(&one, buf + pos, n, "", &e) < 0) {
			/* The message is ":1: why". */
			const char *why = strncmp(e.msg, ":1: ", 4) == 0 ? e.msg + 4 : e.msg;
			f = audit_add(
			    x, "VG-RANGE-007", VG_SUBJ_HOST, "host", NULL,
			    "%s:%u: %s: volguard refuses every allocation until it is fixed", path,
			    lineno, why);
			audit_ev(f, "path", "%s", path);
			audit_ev(f, "line", "%u", lineno);
			audit_remedy(f, "edit line %u of %s by hand", lineno, path);
		} else if (one.n == 1) {
			x->reg.ranges =
			    vg_reallocarray(x->reg.ranges, x->reg.n + 1, sizeof(*x->reg.ranges));
			x->reg.ranges[x->reg.n] = one.ranges[0];
			x->reg.ranges[x->reg.n++].line = lineno;
			one.n = 0;
		}
		vg_registry_close(&one);
		pos += n + (nl ? 1 : 0);
	}
}

static int cmp_start(const void *pa, const void *pb)
{
	const struct vg_range *const *a = pa, *const *b = pb;
	if ((*a)->start != (*b)->start)
		return (*a)->start < (*b)->start ? -1 : 1;
	return (*a)->line < (*b)->line ? -1 : (*a)->line > (*b)->line;
}

static int cmp_name(const void *pa, const void *pb)
{
	const struct vg_range *const *a = pa, *const *b = pb;
	int r = strcmp((*a)->name, (*b)->name);
	return r ? r : ((*a)->line < (*b)->line ? -1 : 1);
}

static uint64_t rg_last(const struct vg_range *rg)
{
	return rg->start + rg->count - 1;
}

/* Ranges that overlap each other, or name the same container twice. */
static void check_overlaps(struct audit_ctx *x, struct vg_range **v, size_t n, const char *path)
{
	struct vg_audit_finding *f;

	qsort(v, n, sizeof(struct vg_range *), cmp_start);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n && v[j]->start <= rg_last(v[i]); j++) {
			f = audit_add(
			    x, "VG-RANGE-001", VG_SUBJ_RANGE, v[j]->name, NULL,
			    "range of '%s' (line %u) overlaps that of '%s' (line %u): both "
			    "containers share host IDs",
			    v[j]->name, v[j]->line, v[i]->name, v[i]->line);
			audit_ev(f, "path", "%s", path);
			audit_ev(f, "range", "%llu-%llu", (unsigned long long)v[j]->start,
				 (unsigned long long)rg_last(v[j]));
			audit_ev(f, "other", "%s %llu-%llu", v[i]->name,
				 (unsigned long long)v[i]->start,
				 (unsigned long long)rg_last(v[i]));
			audit_remedy(f,
				     "docker rm -f %s; remove line %u from %s by hand; then "
				     "volguard alloc %s",
				     v[j]->name, v[j]->line, path, v[j]->name);
		}
	qsort(v, n, sizeof(struct vg_range *), cmp_name);
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i]->name, v[i - 1]->name) == 0) {
			f = audit_add(x, "VG-RANGE-007", VG_SUBJ_RANGE, v[i]->name, NULL,
				      "'%s' has a range on line %u and again on line %u: volguard "
				      "refuses every allocation until it is fixed",
				      v[i]->name, v[i - 1]->line, v[i]->line);
			audit_ev(f, "path", "%s", path);
			audit_remedy(f, "remove line %u of %s by hand", v[i]->line, path);
		}
}

/* A range against one source of foreign IDs (subuid, subgid, remap). */
static void check_against(struct audit_ctx *x, const struct vg_range *rg, const char *id,
			  const struct vg_intervals *s, const char *what, const char *file)
{
	for (size_t i = 0; i < s->n; i++) {
		struct vg_audit_finding *f;
		if (s->v[i].last < rg->start || s->v[i].first > rg_last(rg))
			continue;
		f = audit_add(x, id, VG_SUBJ_RANGE, rg->name, NULL,
			      "range of '%s' overlaps %s %llu-%llu: that user's namespaces can act "
			      "as the container's users",
			      rg->name, what, (unsigned long long)s->v[i].first,
			      (unsigned long long)s->v[i].last);
		audit_ev(f, "range", "%llu-%llu", (unsigned long long)rg->start,
			 (unsigned long long)rg_last(rg));
		audit_ev(f, "path", "%s", file);
		audit_remedy(f,
			     "docker rm -f %s && volguard release %s && volguard alloc %s, or "
			     "move the delegation in %s",
			     rg->name, rg->name, rg->name, file);
		return;
	}
}

static void load_subids(struct audit_ctx *x, const char *file, struct vg_intervals *s)
{
	struct vg_error e = { 0 };
	struct vg_audit_finding *f;

	if (vg_intervals_add_subid_file(s, file, &e) >= 0)
		return;
	f = audit_add(x, "VG-HOST-007", VG_SUBJ_HOST, "host", NULL,
		      "%s; ranges were not checked against its delegations", e.msg);
	audit_ev(f, "path", "%s", file);
	audit_remedy(f, "edit %s", file);
}

struct nss_hits {
	struct audit_ctx *x;
	char ***hits; /* per range */
};

static void user_hit(const struct passwd *pw, void *data)
{
	const struct nss_hits *w = data;
	struct vg_range *rg = vg_registry_find_id(&w->x->reg, pw->pw_uid);

	if (rg) {
		_cleanup_free_ char *h =
		    vg_asprintf("user %s (%u)", pw->pw_name, (unsigned)pw->pw_uid);
		vg_strv_push(&w->hits[rg - w->x->reg.ranges], h);
	}
}

static void group_hit(const struct group *gr, void *data)
{
	const struct nss_hits *w = data;
	struct vg_range *rg = vg_registry_find_id(&w->x->reg, gr->gr_gid);

	if (rg) {
		_cleanup_free_ char *h =
		    vg_asprintf("group %s (%u)", gr->gr_name, (unsigned)gr->gr_gid);
		vg_strv_push(&w->hits[rg - w->x->reg.ranges], h);
	}
}

/* Users and groups whose IDs fall in a range: one finding per range, with examples. */
static void check_nss(struct audit_ctx *x)
{
	char ***hits = vg_malloc0((x->reg.n + 1) * sizeof(*hits));
	struct nss_hits w = { .x = x, .hits = hits };

	vg_nss_foreach_user(user_hit, &w);
	vg_nss_foreach_group(group_hit, &w);
	for (size_t i = 0; i < x->reg.n; i++) {
		const struct vg_range *rg = &x->reg.ranges[i];
		size_t n = vg_strv_length(hits[i]);
		struct vg_audit_finding *f;

		if (n == 0)
			continue;
		f = audit_add(x, "VG-RANGE-003", VG_SUBJ_RANGE, rg->name, NULL,
			      "range of '%s' contains the IDs of %zu existing user(s) or group(s), "
			      "first %s: the container acts as them on the host",
			      rg->name, n, hits[i][0]);
		audit_ev(f, "range", "%llu-%llu", (unsigned long long)rg->start,
			 (unsigned long long)rg_last(rg));
		for (size_t k = 0; k < n && k < 3; k++)
			audit_ev(f, k == 0 ? "id" : k == 1 ? "id2" : "id3", "%s", hits[i][k]);
		audit_remedy(f, "docker rm -f %s && volguard release %s && volguard alloc %s",
			     rg->name, rg->name, rg->name);
		vg_strv_free(hits[i]);
	}
	free(hits);
}

/* A container of that name, or one the range is bound to (a shared identity's replicas). */
static bool has_container(const struct audit_ctx *x, const struct vg_range *rg)
{
	for (size_t i = 0; i < x->n_cts; i++)
		if ((x->cts[i].ct.name && strcmp(x->cts[i].ct.name, rg->name) == 0) ||
		    (x->cts[i].ct.id && vg_range_bound_to(rg, x->cts[i].ct.id)))
			return true;
	return false;
}

static bool used_by_volume(const struct audit_ctx *x, const char *name)
{
	for (size_t i = 0; i < x->n_vols; i++)
		if (vg_members_find(&x->vols[i].members, name))
			return true;
	return false;
}

/* How many aligned blocks of the pool are free of every range, delegation and user ID. */
static void pool_usage(struct audit_ctx *x, const struct vg_intervals *subuid,
		       const struct vg_intervals *subgid)
{
	const struct vg_config *c = x->c;
	uint64_t rs = c->range_size, first_blk = c->pool_start / rs;
	uint64_t nblk = (c->pool_end - c->pool_start + 1) / rs, used = 0, next = 0;
	struct vg_intervals s = { 0 };
	struct vg_audit_finding *f;

	for (size_t i = 0; i < x->reg.n; i++)
		vg_intervals_add(&s, x->reg.ranges[i].start, rg_last(&x->reg.ranges[i]), "range");
	for (size_t i = 0; i < subuid->n; i++)
		vg_intervals_add(&s, subuid->v[i].first, subuid->v[i].last, "subuid");
	for (size_t i = 0; i < subgid->n; i++)
		vg_intervals_add(&s, subgid->v[i].first, subgid->v[i].last, "subgid");
	vg_intervals_add_nss_ids(&s, c->pool_start, c->pool_end);
	vg_intervals_normalize(&s);
	for (size_t i = 0; i < s.n; i++) {
		uint64_t a = s.v[i].first / rs, b = s.v[i].last / rs;
		if (b < first_blk || a >= first_blk + nblk)
			continue;
		a = a < first_blk ? first_blk : a;
		b = b >= first_blk + nblk ? first_blk + nblk - 1 : b;
		a = a < next ? next : a; /* a block touched by the previous interval counts once */
		if (a <= b) {
			used += b - a + 1;
			next = b + 1;
		}
	}
	vg_intervals_free(&s);
	x->a->pool_ranges = nblk;
	x->a->pool_free = nblk - used;
	f = audit_add(
	    x, "VG-RANGE-006", VG_SUBJ_HOST, "host", NULL,
	    "pool %llu-%llu: %llu of %llu ranges of %llu IDs in use or blocked, %llu left",
	    (unsigned long long)c->pool_start, (unsigned long long)c->pool_end,
	    (unsigned long long)used, (unsigned long long)nblk, (unsigned long long)rs,
	    (unsigned long long)(nblk - used));
	audit_ev(f, "allocated", "%zu", x->reg.n);
	audit_ev(f, "free", "%llu", (unsigned long long)(nblk - used));
	if (nblk - used == 0)
		f->severity = VG_SEV_HIGH;
	else if ((nblk - used) * 20 < nblk)
		f->severity = VG_SEV_MEDIUM;
	if (f->severity > VG_SEV_INFO)
		audit_remedy(f, "volguard gc, or widen [ranges] pool_start/pool_end in %s",
			     c->path ? c->path : VG_DEFAULT_CONFIG);
}

void audit_ranges(struct audit_ctx *x)
{
	const struct vg_config *c = x->c;
	_cleanup_free_ char *path = vg_asprintf("%s/ranges", c->state_dir);
	_cleanup_free_ struct vg_range **v = NULL;
	struct vg_intervals subuid = { 0 }, subgid = { 0 };
	struct vg_audit_finding *f;

	x->a->n_ranges = x->reg.n;
	v = vg_reallocarray(NULL, x->reg.n + 1, sizeof(struct vg_range *));
	for (size_t i = 0; i < x->reg.n; i++)
		v[i] = &x->reg.ranges[i];
	check_overlaps(x, v, x->reg.n, path);
	load_subids(x, c->subuid_file, &subuid);
	load_subids(x, c->subgid_file, &subgid);
	for (size_t i = 0; i < x->reg.n; i++) {
		const struct vg_range *rg = &x->reg.ranges[i];
		const char *via = vg_range_get_meta(rg, "via");
		/* The hook bound it from Podman's --userns=auto delegation (user `containers`),
		 * a slice of the pool kept for Podman: lying in that delegation is its point. */
		bool podman = via && strcmp(via, "podman-userns-auto") == 0;

		if (!podman)
			check_against(x, rg, "VG-RANGE-002", &subuid, "the subuid delegation",
				      c->subuid_file);
		if (!podman)
			check_against(x, rg, "VG-RANGE-002", &subgid, "the subgid delegation",
				      c->subgid_file);
		check_against(x, rg, "VG-RANGE-004", &x->remap, "Docker's userns-remap range",
			      c->subuid_file);
		if (rg->start < c->pool_start || rg_last(rg) > c->pool_end ||
		    rg->start % c->range_size != 0 || rg->count % c->range_size != 0) {
			bool outside = rg->start < c->pool_start || rg_last(rg) > c->pool_end;
			f = audit_add(
			    x, "VG-RANGE-009", VG_SUBJ_RANGE, rg->name, NULL,
			    "range of '%s' (%llu-%llu) is %s: host IDs no longer name their "
			    "container",
			    rg->name, (unsigned long long)rg->start,
			    (unsigned long long)rg_last(rg),
			    outside ? "outside the pool" : "not aligned to range_size");
			audit_ev(f, "pool", "%llu-%llu", (unsigned long long)c->pool_start,
				 (unsigned long long)c->pool_end);
			audit_ev(f, "range_size", "%llu", (unsigned long long)c->range_size);
			audit_ev(f, "line", "%u", rg->line);
			audit_remedy(f,
				     "docker rm -f %s && volguard release %s && volguard alloc %s",
				     rg->name, rg->name, rg->name);
		}
		if (!has_container(x, rg) && !used_by_volume(x, rg->name)) {
			const char *cid = vg_range_get_meta(rg, "container");
			f = audit_add(x, "VG-RANGE-005", VG_SUBJ_RANGE, rg->name, NULL,
				      "range of '%s' is used by no container and no volume",
				      rg->name);
			audit_ev(f, "range", "%llu-%llu", (unsigned long long)rg->start,
				 (unsigned long long)rg_last(rg));
			if (cid)
				audit_ev(f, "container", "%s", cid);
			if (vg_range_get_meta(rg, "created"))
				audit_ev(f, "created", "%s", vg_range_get_meta(rg, "created"));
			audit_remedy(f, "volguard release %s (or volguard gc for all of them)",
				     rg->name);
		}
	}
	check_nss(x);
	pool_usage(x, &subuid, &subgid);
	vg_intervals_free(&subuid);
	vg_intervals_free(&subgid);
}
