/*
 * Lookups of what uses a name or a range, for release, gc and the runtime's claim. Nothing
 * here changes anything; every file is opened relative to a directory fd with O_NOFOLLOW.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "docker.h"
#include "identity.h"
#include "members.h"
#include "inuse.h"
#include "walk.h"

#define PROC_STATUS_MAX (64 * 1024)
#define FIRST_RANGE_ID	65536 /* no range holds a lower ID (registry.c) */

/* ---- Docker's containers ----------------------------------------------------------------- */

static int cmp_ct_id(const void *a, const void *b)
{
	return strcmp(((const struct vg_docker_ct *)a)->id, ((const struct vg_docker_ct *)b)->id);
}

static int cmp_ct_name(const void *a, const void *b)
{
	const struct vg_docker_ct *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

/* The container's name and the identity its name and Config.Labels give (identity.h); each
 * NULL when unknown or invalid. */
static void read_name_identity(const struct vg_config *c, int dir_fd, char **ret_name,
			       char **ret_identity)
{
	_cleanup_json_ json_t *j = NULL;
	struct vg_error ignore = { 0 };
	struct vg_identity id;
	char **labels = NULL;

	*ret_name = *ret_identity = NULL;
	if (vg_docker_read_json(dir_fd, "config.v2.json", "config.v2.json", &j, NULL, NULL) < 0)
		return;
	(void)vg_docker_name(j, ret_name, NULL);
	if (vg_docker_labels(j, &labels, &ignore) >= 0 &&
	    vg_identity_of(&c->identity, *ret_name, labels, &id, &ignore) >= 0) {
		*ret_identity = id.name ? vg_strdup(id.name) : NULL;
		vg_identity_free(&id);
	}
	vg_strv_free(labels);
}

/*
 * Every directory under containers/ counts, even one whose config.v2.json cannot be read: a
 * container Docker still has must keep its range (fail closed); only its name is unknown.
 */
struct load_state {
	const struct vg_config *c;
	struct vg_inuse *u;
};

static int add_container(const struct vg_docker_entry *ent, void *data)
{
	struct load_state *st = data;
	struct vg_inuse *u = st->u;
	struct vg_docker_ct *ct;

	if (!vg_name_valid(ent->dir) || ent->dir_fd < 0)
		return 0;
	u->cts = vg_array_grow(u->cts, u->n_cts, sizeof(*u->cts));
	ct = &u->cts[u->n_cts++];
	ct->id = vg_strdup(ent->dir);
	read_name_identity(st->c, ent->dir_fd, &ct->name, &ct->identity);
	return 0;
}

static int load_containers(const struct vg_config *c, struct vg_inuse *u, struct vg_error *e)
{
	struct load_state st = { c, u };
	int r = vg_docker_foreach_container(c->docker_root, add_container, &st, e);

	if (r == -ENOENT)
		r = 0;
	if (r < 0)
		return r;
	if (u->n_cts)
		qsort(u->cts, u->n_cts, sizeof(*u->cts), cmp_ct_id);
	u->by_name = vg_reallocarray(NULL, u->n_cts + 1, sizeof(struct vg_docker_ct *));
	for (size_t i = 0; i < u->n_cts; i++)
		if (u->cts[i].name)
			u->by_name[u->n_names++] = &u->cts[i];
	if (u->n_names)
		qsort(u->by_name, u->n_names, sizeof(struct vg_docker_ct *), cmp_ct_name);
	return 0;
}

const struct vg_docker_ct *vg_inuse_container(const struct vg_inuse *u, const char *id)
{
	struct vg_docker_ct key = { .id = (char *)id };

	if (!id || u->n_cts == 0)
		return NULL;
	return bsearch(&key, u->cts, u->n_cts, sizeof(*u->cts), cmp_ct_id);
}

const struct vg_docker_ct *vg_inuse_container_named(const struct vg_inuse *u, const char *name)
{
	struct vg_docker_ct key = { .name = (char *)name }, *kp = &key, **hit;

	if (!name || u->n_names == 0)
		return NULL;
	hit = bsearch(&kp, u->by_name, u->n_names, sizeof(struct vg_docker_ct *), cmp_ct_name);
	return hit ? *hit : NULL;
}

/* ---- host processes ---------------------------------------------------------------------- */

static void add_live_ids(struct vg_inuse *u, const char *list, pid_t pid)
{
	const char *p = list;

	while (*p) {
		char *end;
		unsigned long v;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!isdigit((unsigned char)*p))
			break;
		v = strtoul(p, &end, 10);
		p = end;
		if (v < FIRST_RANGE_ID || v > UINT32_MAX)
			continue;
		u->live = vg_array_grow(u->live, u->n_live, sizeof(*u->live));
		u->live[u->n_live++] = (struct vg_live_id){ .id = (uint32_t)v, .pid = pid };
	}
}

/* The Uid:, Gid: and Groups: lines of /proc/PID/status (real, effective, saved, fs IDs). */
static void scan_status(struct vg_inuse *u, int proc_fd, const char *pidname, pid_t pid)
{
	_cleanup_free_ char *path = vg_asprintf("%s/status", pidname);
	_cleanup_free_ char *buf = vg_malloc0(PROC_STATUS_MAX + 1);

	/* Gone meanwhile: nothing read, nothing found; a read cut short: what it gave is used. */
	(void)vg_read_proc_file(proc_fd, path, buf, PROC_STATUS_MAX + 1);
	/* A zombie (or a dying task) runs nothing and can reach nothing: it holds no range. */
	if (strstr(buf, "\nState:\tZ") || strstr(buf, "\nState:\tX"))
		return;
	for (char *line = buf, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(line, "Uid:", 4) == 0 || strncmp(line, "Gid:", 4) == 0)
			add_live_ids(u, line + 4, pid);
		else if (strncmp(line, "Groups:", 7) == 0)
			add_live_ids(u, line + 7, pid);
	}
}

static int cmp_live(const void *a, const void *b)
{
	const struct vg_live_id *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int load_live(struct vg_inuse *u, struct vg_error *e)
{
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return vg_error_errno(e, errno, "/proc: cannot read");
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		scan_status(u, dirfd(d), de->d_name, (pid_t)pid);
	}
	if (u->n_live)
		qsort(u->live, u->n_live, sizeof(*u->live), cmp_live);
	return 0;
}

const struct vg_live_id *vg_inuse_live(const struct vg_inuse *u, uint64_t start, uint64_t count)
{
	size_t lo = 0, hi = u->n_live;

	while (lo < hi) { /* the first ID >= start */
		size_t mid = lo + (hi - lo) / 2;
		if (u->live[mid].id < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < u->n_live && u->live[lo].id - start < count)
		return &u->live[lo];
	return NULL;
}

int vg_inuse_load(const struct vg_config *c, struct vg_inuse *u, struct vg_error *e)
{
	int r;

	memset(u, 0, sizeof(*u));
	r = load_containers(c, u, e);
	if (r >= 0)
		r = load_live(u, e);
	return r;
}

void vg_inuse_free(struct vg_inuse *u)
{
	for (size_t i = 0; i < u->n_cts; i++) {
		free(u->cts[i].id);
		free(u->cts[i].name);
		free(u->cts[i].identity);
	}
	free(u->cts);
	free(u->by_name);
	free(u->live);
	memset(u, 0, sizeof(*u));
}

/* ---- runc's state, and who uses a range ---------------------------------------------------- */

bool vg_inuse_runc_has(const char *runc_root, const char *id)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *rel = NULL;
	struct stat st;

	if (!runc_root || runc_root[0] != '/' || !id || !vg_name_valid(id))
		return false;
	/* As for Docker's files: only "no such file" means no state. */
	fd = open(runc_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT && errno != ENOTDIR;
	rel = vg_asprintf("%s/state.json", id);
	if (fstatat(fd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return true;
	return errno != ENOENT && errno != ENOTDIR;
}

/* runc's default root, dockerd's, and containerd's runc shim's namespaces. */
static const char *const usual_runc_roots[] = {
	"/run/runc",
	"/run/docker/runtime-runc/moby",
	"/run/containerd/runc/moby",
	"/run/containerd/runc/default",
	"/run/containerd/runc/k8s.io",
};

bool vg_inuse_container_alive(const struct vg_config *c, const char *runc_root, const char *id)
{
	if (vg_inuse_docker_container(c, id, NULL) || vg_inuse_runc_has(runc_root, id))
		return true;
	for (size_t i = 0; i < VG_ARRAY_SIZE(usual_runc_roots); i++)
		if (vg_inuse_runc_has(usual_runc_roots[i], id))
			return true;
	return false;
}

/* A container of Docker's whose identity is `name` (an engine identity's replicas). */
static const struct vg_docker_ct *container_of_identity(const struct vg_inuse *u, const char *name)
{
	for (size_t i = 0; name && i < u->n_cts; i++)
		if (u->cts[i].identity && strcmp(u->cts[i].identity, name) == 0)
			return &u->cts[i];
	return NULL;
}

/* One container ID of the range's list: Docker's files or runc's state. */
static int id_user(const struct vg_inuse *u, const char *id, const char *runc_root, bool usual,
		   char *why, size_t why_len)
{
	const struct vg_docker_ct *ct = vg_inuse_container(u, id);

	if (ct) {
		snprintf(why, why_len, "container %s (%.12s) in Docker's files uses it",
			 ct->name ? ct->name : "?", ct->id);
		return 1;
	}
	if (vg_inuse_runc_has(runc_root, id)) {
		snprintf(why, why_len, "runc still has state for container %.64s in %.200s", id,
			 runc_root);
		return 1;
	}
	/* A range claimed before runc_root was recorded, or shared by containers of several
	 * runc roots: runc's usual state roots. */
	for (size_t i = 0; usual && i < VG_ARRAY_SIZE(usual_runc_roots); i++)
		if (vg_inuse_runc_has(usual_runc_roots[i], id)) {
			snprintf(why, why_len, "runc still has state for container %.64s in %s", id,
				 usual_runc_roots[i]);
			return 1;
		}
	return 0;
}

int vg_inuse_range_users(const struct vg_inuse *u, const char *name, const char *id,
			 const char *runc_root, uint64_t start, uint64_t count, char *why,
			 size_t why_len)
{
	_cleanup_free_ char *ids = id ? vg_strdup(id) : NULL;
	bool shared = vg_identity_shared(name);
	const struct vg_docker_ct *ct;
	const struct vg_live_id *live;
	char *save = NULL;

	/* Every container the range is bound to (a shared identity's: container=ID,ID,...). */
	for (char *t = ids ? strtok_r(ids, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
		if (id_user(u, t, runc_root, !runc_root || shared, why, why_len))
			return 1;
	/* A container of that name, or of that identity (its labels), bound or not yet. */
	ct = shared ? container_of_identity(u, name) : vg_inuse_container_named(u, name);
	if (ct) {
		snprintf(why, why_len, "container %s (%.12s) in Docker's files uses it",
			 ct->name ? ct->name : "?", ct->id);
		return 1;
	}
	live = vg_inuse_live(u, start, count);
	if (live) {
		snprintf(why, why_len, "host process %ld runs with ID %u, which lies in it",
			 (long)live->pid, live->id);
		return 1;
	}
	return 0;
}

/* ---- volumes ------------------------------------------------------------------------------ */

int vg_inuse_volumes_of(const struct vg_config *c, const char *name, char ***ret,
			struct vg_error *e)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	d = opendir(c->volumes_root);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return vg_error_errno(e, errno, "%s: cannot read", c->volumes_root);
	}
	while ((de = readdir(d))) {
		_cleanup_close_ int fd = -1;
		struct vg_members m = { 0 };
		_cleanup_free_ char *what = NULL;

		if (de->d_name[0] == '.' || !vg_name_valid(de->d_name))
			continue;
		fd = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		what = vg_asprintf("%s/%s", c->volumes_root, de->d_name);
		if (vg_members_read(fd, what, &m, e) < 0) {
			vg_members_free(&m);
			return -e->code;
		}
		for (size_t i = 0; i < m.n; i++) {
			if (name && strcmp(m.v[i].name, name) == 0) {
				vg_strv_push(ret, de->d_name);
				break;
			}
			if (!name) {
				_cleanup_free_ char *pair =
				    vg_asprintf("%s:%s", de->d_name, m.v[i].name);
				vg_strv_push(ret, pair);
			}
		}
		vg_members_free(&m);
	}
	return 0;
}

/* ---- files that still carry a range's IDs -------------------------------------------------- */

struct owned_walk {
	struct vg_owned_files **by_start; /* sorted by start */
	size_t n;
};

static struct vg_owned_files *owner_of(const struct owned_walk *w, uint64_t id)
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) { /* the last range with start <= id */
		size_t mid = lo + (hi - lo) / 2;
		if (w->by_start[mid]->start <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && id - w->by_start[lo - 1]->start < w->by_start[lo - 1]->count)
		return w->by_start[lo - 1];
	return NULL;
}

static void owned_count(struct vg_owned_files *f, const char *path)
{
	if (f->n++ < VG_OWNED_MAX_PATHS)
		vg_strv_push(&f->paths, path);
}

static int owned_cb(const struct vg_walk_entry *ent, void *data)
{
	const struct owned_walk *w = data;
	struct vg_owned_files *fu, *fg;

	if (ent->skip == VG_WALK_ERROR || ent->skip == VG_WALK_RACED || ent->skip == VG_WALK_MOUNT)
		return 0;
	fu = owner_of(w, ent->stx.stx_uid);
	fg = owner_of(w, ent->stx.stx_gid);
	if (fu)
		owned_count(fu, ent->path);
	if (fg && fg != fu)
		owned_count(fg, ent->path);
	return 0;
}

static int cmp_owned(const void *a, const void *b)
{
	const struct vg_owned_files *const *x = a, *const *y = b;
	return (*x)->start < (*y)->start ? -1 : (*x)->start > (*y)->start;
}

int vg_inuse_owned_files(const struct vg_config *c, struct vg_owned_files *v, size_t n,
			 struct vg_error *e)
{
	_cleanup_close_ int fd = -1;
	struct owned_walk w = { .n = n };
	int r;

	if (n == 0)
		return 0;
	fd = open(c->volumes_root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
			   ? 0
			   : vg_error_errno(e, errno, "%s: cannot open", c->volumes_root);
	w.by_start = vg_reallocarray(NULL, n, sizeof(struct vg_owned_files *));
	for (size_t i = 0; i < n; i++)
		w.by_start[i] = &v[i];
	qsort(w.by_start, n, sizeof(struct vg_owned_files *), cmp_owned);
	r = vg_walk(fd, owned_cb, &w, e);
	free(w.by_start);
	return r;
}

void vg_owned_files_free(struct vg_owned_files *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		vg_strv_free(v[i].paths);
		v[i].paths = NULL;
	}
}

int vg_inuse_docker_container(const struct vg_config *c, const char *id, char **ret_name)
{
	return vg_docker_has_container(c->docker_root, id, ret_name);
}

static char *escape_path(const char *s)
{
	char *out = vg_malloc0(4 * strlen(s) + 1), *o = out;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < ' ' || *p == 127 || *p == '\\')
			o += sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char)*p;
	}
	return out;
}

char **vg_owned_files_lines(const struct vg_owned_files *f, const char *name, const char *root)
{
	char **lines = NULL;
	_cleanup_free_ char *head = NULL;

	if (f->n == 0)
		return NULL;
	head = vg_asprintf("%s: %llu %s under %s still carr%s its IDs (%llu..%llu)%s", name,
			   (unsigned long long)f->n, f->n == 1 ? "entry" : "entries", root,
			   f->n == 1 ? "ies" : "y", (unsigned long long)f->start,
			   (unsigned long long)(f->start + f->count - 1),
			   f->n > VG_OWNED_MAX_PATHS ? "; the first ones:" : ":");
	vg_strv_push(&lines, head);
	for (size_t i = 0; f->paths && f->paths[i]; i++) {
		_cleanup_free_ char *esc = escape_path(f->paths[i]);
		_cleanup_free_ char *line = vg_asprintf("  %s", esc);
		vg_strv_push(&lines, line);
	}
	return lines;
}
