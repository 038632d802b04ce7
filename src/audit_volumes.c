/*
 * Audit of Docker's local volumes: <volumes_root>/NAME/_data against the members volguard
 * recorded on NAME (trusted.volguard.members): owner, mode and ACL of _data, the stamp, who
 * else can get in, and the owners of what lies inside (a sample, or everything with --deep).
 * Reading only: fstatat and ACL reads through /proc/self/fd, never following a symlink, never
 * crossing into another mount, with a bounded number of open directories on any tree shape.
 */
#include <acl/libacl.h>
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "acl.h"
#include "adapters.h"
#include "audit_int.h"
#include "fixer.h"
#include "volume.h"
#include "cleanup.h"

#define OPTS_JSON_MAX (64 * 1024)
/* Directories kept open during a walk; deeper ones are reopened through "..". */
#define WALK_MAX_OPEN 32
#define WALK_EXAMPLES 3

void audit_vol_free(struct audit_vol *v)
{
	free(v->name);
	free(v->model_bad);
	vg_members_free(&v->members);
	memset(v, 0, sizeof(*v));
}

/* opts.json of the local driver: {"MountType":..., "MountOpts":"bind,...", "MountDevice":...}.
 * Docker mounts that on _data: _data is then not volguard's (DESIGN.md, admission rules). */
struct driver_opts {
	char *type, *o, *device;
};

static void driver_opts_free(struct driver_opts *d)
{
	free(d->type);
	free(d->o);
	free(d->device);
}

static char *opt_string(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));
	return s && *s ? vg_strdup(s) : NULL;
}

/* True when the volume has driver options (a bind, tmpfs, nfs, a block device...). */
static bool read_driver_opts(int vfd, struct driver_opts *d)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ json_t *j = NULL;

	memset(d, 0, sizeof(*d));
	if (audit_read_file(vfd, "opts.json", OPTS_JSON_MAX, &buf, NULL, NULL) < 0)
		return false;
	j = json_loads(buf, 0, NULL);
	d->type = opt_string(j, "MountType");
	d->o = opt_string(j, "MountOpts");
	d->device = opt_string(j, "MountDevice");
	return d->type || d->o || d->device;
}

/* "bind" or "rbind" among the comma-separated mount options (as mount(8) reads o=). */
static bool opts_bind(const char *o)
{
	for (const char *p = o; p && *p;) {
		size_t n = strcspn(p, ",");
		if ((n == 4 && strncmp(p, "bind", 4) == 0) ||
		    (n == 5 && strncmp(p, "rbind", 5) == 0))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

int audit_volumes_index(struct audit_ctx *x, struct vg_error *e)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd;

	fd = open(x->c->volumes_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return vg_error_errno(e, errno, "volumes_root %s: cannot open", x->c->volumes_root);
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return vg_error_errno(e, errno, "%s: cannot read", x->c->volumes_root);
	}
	while ((errno = 0, de = readdir(d))) {
		_cleanup_close_ int vfd = -1;
		_cleanup_free_ char *what = NULL;
		struct driver_opts opts;
		struct vg_error me = { 0 };
		struct audit_vol *v;
		int r;

		if (de->d_name[0] == '.' || !vg_name_valid(de->d_name))
			continue;
		vfd = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (vfd < 0)
			continue; /* metadata.db and other files Docker keeps there */
		x->vols = vg_reallocarray(x->vols, x->n_vols + 1, sizeof(*x->vols));
		v = &x->vols[x->n_vols++];
		memset(v, 0, sizeof(*v));
		v->name = vg_strdup(de->d_name);
		what = vg_asprintf("%s/%s", x->c->volumes_root, de->d_name);
		v->foreign = read_driver_opts(vfd, &opts);
		driver_opts_free(&opts);
		r = vg_members_read(vfd, what, &v->members, &me);
		if (r < 0 && v->foreign) {
			vg_members_free(
			    &v->members); /* not volguard's: check_driver_opts says so */
		} else if (r < 0) {
			struct vg_audit_finding *f =
			    audit_add(x, "VG-VOL-010", VG_SUBJ_VOLUME, v->name, NULL,
				      "%s; the volume's members are unknown", me.msg);
			audit_ev(f, "path", "%s", what);
			audit_remedy(f,
				     "volguard fix %s (it rewrites the record from the members "
				     "that mount it)",
				     v->name);
			vg_members_free(&v->members);
			v->members_broken = true;
		}
		v->recorded = r > 0;
		me = (struct vg_error){ 0 };
		if (vg_volume_model_read(vfd, what, &v->model, &me) < 0)
			v->model_bad = vg_strdup(me.msg);
		for (size_t i = 0; i < x->n_cts && !v->used; i++)
			v->used = vg_strv_contains(x->cts[i].volumes, v->name);
	}
	if (errno)
		return vg_error_errno(e, errno, "%s: cannot read", x->c->volumes_root);
	x->a->n_volumes = x->n_vols;
	return 0;
}

/* The host IDs a member may own files with: its range, or just its principal. */
struct id_set {
	struct vg_intervals uids, gids;
};

static bool in_set(const struct vg_intervals *s, uint64_t id)
{
	for (size_t i = 0; i < s->n; i++)
		if (id >= s->v[i].first && id <= s->v[i].last)
			return true;
	return false;
}

struct walk {
	const struct id_set *ok;
	size_t limit; /* entries to examine; SIZE_MAX with --deep */
	size_t seen, bad;
	char *examples[WALK_EXAMPLES];
	bool incomplete; /* the tree changed under us, or a directory could not be read */
};

struct frame {
	DIR *d;
	dev_t dev;
	ino_t ino;
	long pos; /* telldir of d, for when it is closed and reopened */
	char *name;
};

static void note_bad(struct walk *w, struct frame *st, size_t depth, const char *name,
		     const struct stat *sb)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f;

	if (w->bad++ >= WALK_EXAMPLES)
		return;
	f = open_memstream(&buf, &size);
	if (!f)
		abort();
	for (size_t i = 1; i <= depth; i++)
		fprintf(f, "%s/", st[i].name);
	fprintf(f, "%s (uid %u gid %u)", name, (unsigned)sb->st_uid, (unsigned)sb->st_gid);
	if (fclose(f) != 0)
		abort();
	w->examples[w->bad - 1] = buf;
}

/* Reopen frame[i] (closed) from frame[i+1] through "..", checking it is the same directory. */
static bool reopen_parent(struct frame *st, size_t i)
{
	int fd = openat(dirfd(st[i + 1].d), "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;

	if (fd < 0)
		return false;
	if (fstat(fd, &sb) < 0 || sb.st_dev != st[i].dev || sb.st_ino != st[i].ino ||
	    !(st[i].d = fdopendir(fd))) {
		close(fd);
		return false;
	}
	seekdir(st[i].d, st[i].pos);
	return true;
}

static void walk_tree(struct walk *w, int data_fd)
{
	size_t cap = 64, depth = 0;
	struct frame *st = vg_malloc0(cap * sizeof(*st));
	struct stat sb;
	int fd = openat(data_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) < 0 || !(st[0].d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		w->incomplete = true;
		free(st);
		return;
	}
	st[0].dev = sb.st_dev;
	st[0].ino = sb.st_ino;
	st[0].name = vg_strdup("");
	for (;;) {
		struct dirent *de;
		int cfd;

		if (w->seen >= w->limit)
			break;
		errno = 0;
		de = readdir(st[depth].d);
		if (!de) {
			if (errno)
				w->incomplete = true;
			if (depth == 0)
				break;
			if (!st[depth - 1].d && !reopen_parent(st, depth - 1)) {
				w->incomplete = true;
				break;
			}
			closedir(st[depth].d);
			free(st[depth].name);
			st[depth].d = NULL;
			st[depth].name = NULL;
			depth--;
			continue;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(st[depth].d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			w->incomplete = true;
			continue;
		}
		w->seen++;
		if (!in_set(&w->ok->uids, sb.st_uid) || !in_set(&w->ok->gids, sb.st_gid))
			note_bad(w, st, depth, de->d_name, &sb);
		if (!S_ISDIR(sb.st_mode) || sb.st_dev != st[0].dev)
			continue; /* never descend into another mount */
		cfd = openat(dirfd(st[depth].d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		if (cfd < 0) {
			w->incomplete = true;
			continue;
		}
		{
			struct stat cb;
			if (fstat(cfd, &cb) < 0 || cb.st_dev != sb.st_dev ||
			    cb.st_ino != sb.st_ino) {
				close(cfd);
				w->incomplete = true; /* swapped between fstatat and open */
				continue;
			}
		}
		if (depth + 1 == cap) {
			st = vg_reallocarray(st, cap * 2, sizeof(*st));
			memset(st + cap, 0, cap * sizeof(*st));
			cap *= 2;
		}
		st[depth].pos = telldir(st[depth].d);
		depth++;
		st[depth] = (struct frame){ .dev = sb.st_dev,
					    .ino = sb.st_ino,
					    .name = vg_strdup(de->d_name) };
		st[depth].d = fdopendir(cfd);
		if (!st[depth].d) {
			close(cfd);
			free(st[depth].name);
			st[depth].name = NULL;
			depth--;
			w->incomplete = true;
			continue;
		}
		/* Bound the open descriptors: the ancestor WALK_MAX_OPEN up is closed for now. */
		if (depth >= WALK_MAX_OPEN && st[depth - WALK_MAX_OPEN].d) {
			closedir(st[depth - WALK_MAX_OPEN].d);
			st[depth - WALK_MAX_OPEN].d = NULL;
		}
	}
	for (size_t i = 0; i <= depth; i++) {
		if (st[i].d)
			closedir(st[i].d);
		free(st[i].name);
	}
	free(st);
}

static const char *perm_str(acl_permset_t ps, char buf[4])
{
	buf[0] = acl_get_perm(ps, ACL_READ) == 1 ? 'r' : '-';
	buf[1] = acl_get_perm(ps, ACL_WRITE) == 1 ? 'w' : '-';
	buf[2] = acl_get_perm(ps, ACL_EXECUTE) == 1 ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

static void append(char **list, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(char **list, const char *fmt, ...)
{
	_cleanup_free_ char *item = NULL;
	char *t;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&item, fmt, ap) < 0)
		abort();
	va_end(ap);
	t = *list ? vg_asprintf("%s,%s", *list, item) : vg_strdup(item);
	free(*list);
	*list = t;
}

/*
 * The access ACL of _data against the policy's grants (one named user per member of a shared
 * volume, none for a private one) and its mask against the members' needs. Returns the number
 * of findings made.
 */
static int check_access_acl(struct audit_ctx *x, const struct audit_vol *v,
			    const struct vg_tree_policy *p, int data_fd, const char *path)
{
	_cleanup_free_ char *missing = NULL, *extra = NULL;
	_cleanup_acl_ acl_t acl = NULL;
	bool found[VG_ACL_MAX_NAMED] = { false };
	unsigned want_mask = (p->root_mode >> 3) & 7, mask = 7;
	struct vg_audit_finding *f;
	acl_entry_t ent;
	char proc[64], buf[4];
	int made = 0;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", data_fd);
	acl = acl_get_file(proc, ACL_TYPE_ACCESS);
	if (!acl)
		return 0;
	for (int r = acl_get_entry(acl, ACL_FIRST_ENTRY, &ent); r == 1;
	     r = acl_get_entry(acl, ACL_NEXT_ENTRY, &ent)) {
		acl_permset_t ps;
		acl_tag_t tag;
		bool ok = false;

		if (acl_get_tag_type(ent, &tag) < 0 || acl_get_permset(ent, &ps) < 0)
			continue;
		if (tag == ACL_MASK) {
			perm_str(ps, buf);
			mask = (buf[0] == 'r' ? 4u : 0u) | (buf[1] == 'w' ? 2u : 0u) |
			       (buf[2] == 'x' ? 1u : 0u);
		} else if (tag == ACL_USER || tag == ACL_GROUP) {
			uid_t *q = acl_get_qualifier(ent);
			unsigned qid = q ? (unsigned)*q : 0;
			acl_free(q);
			perm_str(ps, buf);
			for (size_t i = 0; tag == ACL_USER && i < p->acl.n; i++)
				if (p->acl.v[i].uid == qid) {
					found[i] = true;
					ok = strcmp(buf, p->acl.v[i].ro ? "r-x" : "rwx") == 0;
				}
			if (!ok)
				append(&extra, "%s:%u:%s", tag == ACL_USER ? "user" : "group", qid,
				       buf);
		}
	}
	for (size_t i = 0; i < p->acl.n; i++)
		if (!found[i])
			append(&missing, "user:%u:%s", p->acl.v[i].uid,
			       p->acl.v[i].ro ? "r-x" : "rwx");
	if (missing || extra) {
		f = audit_add(x, "VG-VOL-003", VG_SUBJ_VOLUME, v->name, NULL,
			      "access ACL of %s does not match the members:%s%s%s%s", path,
			      missing ? " missing " : "", missing ? missing : "",
			      extra ? " unexpected " : "", extra ? extra : "");
		audit_ev(f, "path", "%s", path);
		if (missing)
			audit_ev(f, "missing", "%s", missing);
		if (extra)
			audit_ev(f, "unexpected", "%s", extra);
		audit_remedy(f, "volguard fix %s", v->name);
		made++;
	}
	if (p->acl.n && (mask & want_mask) != want_mask) {
		f = audit_add(
		    x, "VG-VOL-004", VG_SUBJ_VOLUME, v->name, NULL,
		    "ACL mask of %s is %c%c%c: members get less than their entries say (a "
		    "chmod narrowed it)",
		    path, mask & 4 ? 'r' : '-', mask & 2 ? 'w' : '-', mask & 1 ? 'x' : '-');
		audit_ev(f, "path", "%s", path);
		audit_ev(f, "seen", "mask::%c%c%c", mask & 4 ? 'r' : '-', mask & 2 ? 'w' : '-',
			 mask & 1 ? 'x' : '-');
		audit_ev(f, "expected", "mask::%c%c%c", want_mask & 4 ? 'r' : '-',
			 want_mask & 2 ? 'w' : '-', want_mask & 1 ? 'x' : '-');
		audit_remedy(f, "volguard fix %s", v->name);
		made++;
	}
	return made;
}

/* The default ACL (what new files inherit) against the policy's. */
static int check_default_acl(struct audit_ctx *x, const struct audit_vol *v,
			     const struct vg_tree_policy *p, int data_fd, const char *path)
{
	uint8_t buf[VG_ACL_MAX_SIZE];
	ssize_t n = vg_acl_read(data_fd, false, VG_XATTR_ACL_DEFAULT, buf, sizeof(buf));
	_cleanup_free_ char *seen = NULL, *want = NULL;
	struct vg_audit_finding *f;

	if (n >= 0 && vg_acl_equal(buf, (size_t)n, &p->dflt))
		return 0;
	seen = n > 0 ? vg_acl_to_text(buf, (size_t)n) : NULL;
	want = p->dflt.minimal ? NULL : vg_acl_to_text(p->dflt.data, p->dflt.len);
	f = audit_add(x, "VG-VOL-003", VG_SUBJ_VOLUME, v->name, NULL,
		      "default ACL of %s is %s: files the members create %s", path,
		      n > 0 ? "not the policy's" : "missing",
		      p->acl.n ? "are not shared as the policy says" : "get unexpected entries");
	audit_ev(f, "path", "%s", path);
	audit_ev(f, "seen", "%s", seen ? seen : "(none)");
	audit_ev(f, "expected", "%s", want ? want : "(none)");
	audit_remedy(f, "volguard fix %s", v->name);
	return 1;
}

/* _data itself against the policy volume.c applies (fixer.h): owner, mode, ACLs. */
static void check_data(struct audit_ctx *x, const struct audit_vol *v, int data_fd,
		       const char *path)
{
	struct vg_tree_policy p;
	bool shared;
	struct vg_audit_finding *f;
	struct vg_error e = { 0 };
	struct stat sb;
	int made = 0, differs;

	vg_tree_policy_init(&p, &v->members);
	shared = p.acl.n > 0;
	differs = vg_fix_data_root(data_fd, &p, true, &e);
	if (fstat(data_fd, &sb) < 0)
		return;
	/* With an ACL the group bits show the mask, which VG-VOL-004 judges. */
	if (sb.st_uid != p.root_uid || sb.st_gid != p.root_gid ||
	    (sb.st_mode & (shared ? 07707 : 07777)) != (p.root_mode & (shared ? 07707 : 07777))) {
		f = audit_add(
		    x, "VG-VOL-001", VG_SUBJ_VOLUME, v->name, NULL,
		    "%s is %u:%u mode %04o, the policy for a %s volume is %u:%u mode %04o", path,
		    (unsigned)sb.st_uid, (unsigned)sb.st_gid, (unsigned)(sb.st_mode & 07777),
		    shared ? "shared" : "private", (unsigned)p.root_uid, (unsigned)p.root_gid,
		    (unsigned)p.root_mode);
		audit_ev(f, "path", "%s", path);
		audit_ev(f, "seen", "%u:%u %04o", (unsigned)sb.st_uid, (unsigned)sb.st_gid,
			 (unsigned)(sb.st_mode & 07777));
		audit_ev(f, "expected", "%u:%u %04o", (unsigned)p.root_uid, (unsigned)p.root_gid,
			 (unsigned)p.root_mode);
		audit_remedy(f, "volguard fix %s", v->name);
		made++;
	}
	if (sb.st_mode & 07) {
		f = audit_add(x, "VG-VOL-002", VG_SUBJ_VOLUME, v->name, NULL,
			      "%s is mode %04o: every host user and every container can %s it",
			      path, (unsigned)(sb.st_mode & 07777),
			      (sb.st_mode & 02) ? "write" : "read");
		audit_ev(f, "path", "%s", path);
		audit_ev(f, "seen", "other::%c%c%c", (sb.st_mode & 04) ? 'r' : '-',
			 (sb.st_mode & 02) ? 'w' : '-', (sb.st_mode & 01) ? 'x' : '-');
		audit_ev(f, "expected", "other::---");
		audit_remedy(f, "volguard fix %s", v->name);
		made++;
	}
	made += check_access_acl(x, v, &p, data_fd, path);
	made += check_default_acl(x, v, &p, data_fd, path);
	if (differs != 0 && made == 0) {
		/* Something the checks above do not name (the group entry, say). */
		uint8_t buf[VG_ACL_MAX_SIZE];
		ssize_t n = vg_acl_read(data_fd, false, VG_XATTR_ACL_ACCESS, buf, sizeof(buf));
		_cleanup_free_ char *seen = n > 0 ? vg_acl_to_text(buf, (size_t)n) : NULL;
		_cleanup_free_ char *want =
		    p.root.minimal ? NULL : vg_acl_to_text(p.root.data, p.root.len);
		f = audit_add(x, "VG-VOL-001", VG_SUBJ_VOLUME, v->name, NULL,
			      "%s differs from the policy%s%s", path, differs < 0 ? ": " : "",
			      differs < 0 ? e.msg : "");
		audit_ev(f, "path", "%s", path);
		audit_ev(f, "seen", "%s", seen ? seen : "(no ACL)");
		audit_ev(f, "expected", "%s", want ? want : "(no ACL)");
		audit_remedy(f, "volguard fix %s", v->name);
	}
}

/* Members' recorded UIDs against their current ranges; the IDs files may be owned by. */
static void member_ranges(struct audit_ctx *x, const struct audit_vol *v, struct id_set *ok)
{
	bool shared = v->members.n > 1;

	if (shared) { /* _data's own root:root is the policy; files below belong to members */
		vg_intervals_add(&ok->uids, 0, 0, "root");
		vg_intervals_add(&ok->gids, 0, 0, "root");
	}
	for (size_t i = 0; i < v->members.n; i++) {
		const struct vg_member *m = &v->members.v[i];
		const struct vg_range *rg = vg_registry_find(&x->reg, m->name);

		if (rg) {
			vg_intervals_add(&ok->uids, rg->start, rg->start + rg->count - 1, "range");
			vg_intervals_add(&ok->gids, rg->start, rg->start + rg->count - 1, "range");
		}
		vg_intervals_add(&ok->uids, m->uid, m->uid, "principal");
		vg_intervals_add(&ok->gids, m->gid, m->gid, "principal");
		if (x->reg_ok && (!rg || m->uid < rg->start || m->uid - rg->start >= rg->count)) {
			struct vg_audit_finding *f = audit_add(
			    x, "VG-VOL-011", VG_SUBJ_VOLUME, v->name, NULL,
			    "member '%s' is recorded with UID %u, %s", m->name, m->uid,
			    rg ? "outside its range: the range was released and allocated again"
			       : "but has no range any more");
			audit_ev(f, "member", "%s", m->name);
			audit_ev(f, "recorded_uid", "%u", m->uid);
			if (rg)
				audit_ev(f, "range", "%llu-%llu", (unsigned long long)rg->start,
					 (unsigned long long)(rg->start + rg->count - 1));
			audit_remedy(f, "volguard volume revoke %s %s, or start %s again", v->name,
				     m->name, m->name);
		}
	}
}

static void check_tree(struct audit_ctx *x, const struct audit_vol *v, int data_fd,
		       const char *path)
{
	struct id_set ok = { 0 };
	struct walk w = { .ok = &ok, .limit = x->o->deep ? SIZE_MAX : VG_AUDIT_SAMPLE };
	bool idmap = v->model == VG_MODEL_IDMAP;

	if (idmap) { /* owners are container-relative: what the idmapped mount maps */
		vg_intervals_add(&ok.uids, 0, x->c->range_size - 1, "container-relative");
		vg_intervals_add(&ok.gids, 0, x->c->range_size - 1, "container-relative");
	} else
		member_ranges(x, v, &ok);
	walk_tree(&w, data_fd);
	if (w.bad) {
		struct vg_audit_finding *f = audit_add(
		    x, idmap ? "VG-VOL-013" : "VG-VOL-006", VG_SUBJ_VOLUME, v->name, NULL,
		    "%zu of %zu %sentries below %s are owned by IDs %s", w.bad, w.seen,
		    x->o->deep ? "" : "sampled ", path,
		    idmap ? "at or above range_size: its members see them as nobody and cannot "
			    "change them"
			  : "outside every member's range");
		for (size_t i = 0; i < WALK_EXAMPLES && w.examples[i]; i++)
			audit_ev(f,
				 i == 0	  ? "example"
				 : i == 1 ? "example2"
					  : "example3",
				 "%s", w.examples[i]);
		audit_ev(f, "examined", "%zu%s", w.seen,
			 x->o->deep ? "" : " (sample; --deep for all)");
		if (w.incomplete)
			audit_ev(f, "incomplete",
				 "some entries could not be read or changed during "
				 "the walk");
		audit_remedy(f, "volguard fix %s%s", idmap ? "--to-idmap " : "", v->name);
	}
	for (size_t i = 0; i < WALK_EXAMPLES; i++)
		free(w.examples[i]);
	vg_intervals_free(&ok.uids);
	vg_intervals_free(&ok.gids);
}

/* --deep: what `volguard fix` would change below _data (its own dry run, ACLs included). */
static void check_fixer(struct audit_ctx *x, const struct audit_vol *v)
{
	struct vg_volume_status st = { 0 };
	struct vg_error e = { 0 };
	struct vg_audit_finding *f;

	if (vg_volume_status(x->c, v->name, &st, &e) < 0) {
		f = audit_add(x, "VG-VOL-012", VG_SUBJ_VOLUME, v->name, NULL,
			      "the tree could not be compared with the policy: %s", e.msg);
		audit_remedy(f, "volguard fix --dry-run %s", v->name);
	} else if (st.differ > 0 || st.errors > 0) {
		f = audit_add(
		    x, "VG-VOL-012", VG_SUBJ_VOLUME, v->name, NULL,
		    "%llu entries below _data differ from the policy (owner, mode or ACL)%s",
		    (unsigned long long)st.differ, st.errors ? ", some could not be read" : "");
		audit_ev(f, "differ", "%llu", (unsigned long long)st.differ);
		audit_ev(f, "errors", "%llu", (unsigned long long)st.errors);
		audit_remedy(f, "volguard fix %s", v->name);
	}
	vg_volume_status_free(&st);
}

/* The device judged as the mount it is, by the engine the runtime uses: a container that mounts
 * the volume writable gets exactly this verdict. A refusal of the path is VG-MOUNT-003. */
static void judge_device(struct audit_ctx *x, const struct audit_vol *v, const char *device)
{
	struct vg_container tmp = { 0 };
	struct vg_report rep = { 0 };
	struct vg_error e = { 0 };
	struct vg_mount *m = vg_container_add_mount(&tmp);

	m->kind = VG_MOUNT_VOLUME;
	m->source = vg_strdup(v->name);
	m->destination = vg_strdup("/volume");
	m->origin = vg_asprintf("-v %s:/volume", v->name);
	if (!x->policy)
		x->policy = vg_policy_batch_new(x->c, NULL);
	if (vg_policy_batch_check(x->policy, &tmp, vg_docker_lookup, (void *)x->c, &rep, &e) >= 0)
		for (size_t i = 0; i < rep.n; i++) {
			const struct vg_finding *pf = &rep.v[i];
			struct vg_audit_finding *f;

			if (pf->verdict != VG_DENY ||
			    (strcmp(pf->rule, "sensitive-writable") != 0 &&
			     strcmp(pf->rule, "runtime-socket") != 0))
				continue;
			f = audit_add(x, "VG-MOUNT-003", VG_SUBJ_VOLUME, v->name, NULL,
				      "bind volume of %s: %s", device, pf->message);
			audit_ev(f, "device", "%s", device);
			audit_ev(f, "rule", "%s", pf->rule);
			if (pf->resolved)
				audit_ev(f, "resolved", "%s", pf->resolved);
			audit_remedy(
			    f,
			    "docker volume rm %s (after removing the containers that mount "
			    "it), then a plain volume",
			    v->name);
		}
	vg_report_free(&rep);
	vg_container_free(&tmp);
}

/*
 * A volume with driver options is described as what it is and judged as that mount, never as
 * a volume volguard manages: no owner, mode, ACL or stamp finding about _data (which is the
 * foreign mount's root), and no `volguard fix` remedy (fix never touches it).
 */
static bool check_driver_opts(struct audit_ctx *x, const struct audit_vol *v, int vfd)
{
	struct driver_opts d;
	struct vg_audit_finding *f;
	bool bind;

	if (!read_driver_opts(vfd, &d))
		return false;
	bind = opts_bind(d.o) && d.device;
	if (bind)
		f = audit_add(x, "VG-VOL-008", VG_SUBJ_VOLUME, v->name, NULL,
			      "bind volume of %s: a host path volguard does not manage (its owner, "
			      "mode and ACL are the host path's own); it is judged as a bind of %s",
			      d.device, d.device);
	else
		f = audit_add(x, "VG-VOL-008", VG_SUBJ_VOLUME, v->name, NULL,
			      "volume is a %s mount%s%s (driver options): a file system volguard "
			      "does not manage",
			      d.type ? d.type : "local", d.device ? " of " : "",
			      d.device ? d.device : "");
	if (d.type)
		audit_ev(f, "type", "%s", d.type);
	if (d.o)
		audit_ev(f, "options", "%s", d.o);
	if (d.device)
		audit_ev(f, "device", "%s", d.device);
	if (v->recorded)
		audit_ev(f, "recorded_members",
			 "%zu (an older volguard prepared it: check the owner and mode of %s)",
			 v->members.n, d.device ? d.device : "its root");
	audit_remedy(f,
		     "keep it and check %s by hand (volguard never changes it), or docker volume "
		     "rm %s && docker volume create %s for a volume volguard manages",
		     d.device ? d.device : "the mount", v->name, v->name);
	/* After the last use of f: audit_add may move the findings (realloc). */
	if (v->model == VG_MODEL_IDMAP || v->model_bad) {
		struct vg_audit_finding *g = audit_add(
		    x, "VG-VOL-014", VG_SUBJ_VOLUME, v->name, NULL,
		    "volume has volguard's model mark (%s) but is not volguard's: it is mounted as "
		    "the mount it is, never idmapped as a volume",
		    VG_XATTR_MODEL);
		audit_remedy(g, "setfattr -x %s %s/%s", VG_XATTR_MODEL, x->c->volumes_root,
			     v->name);
	}
	if (d.device && d.device[0] == '/')
		judge_device(x, v, d.device);
	driver_opts_free(&d);
	return true;
}

static void audit_volume(struct audit_ctx *x, const struct audit_vol *v)
{
	_cleanup_free_ char *path = vg_asprintf("%s/%s/_data", x->c->volumes_root, v->name);
	_cleanup_close_ int vfd = -1, dfd = -1;
	const struct vg_volume_decl *decl = vg_config_find_volume(x->c, v->name);
	struct vg_audit_finding *f;

	vfd = openat(AT_FDCWD, x->c->volumes_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (vfd >= 0) {
		int t = openat(vfd, v->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(vfd);
		vfd = t;
	}
	if (vfd < 0)
		return;
	if (!v->used && !decl) {
		f = audit_add(x, "VG-VOL-007", VG_SUBJ_VOLUME, v->name, NULL,
			      "no container mounts this volume%s",
			      v->recorded ? " (volguard still records members)" : "");
		audit_remedy(f, "docker volume rm %s (after checking its content)", v->name);
	}
	if (check_driver_opts(x, v, vfd) || v->members_broken)
		return;
	if (v->model_bad) {
		f = audit_add(x, "VG-VOL-014", VG_SUBJ_VOLUME, v->name, NULL,
			      "%s; containers that mount it cannot be admitted", v->model_bad);
		audit_remedy(f, "volguard fix --to-idmap %s (userns mode) or setfattr -x %s %s/%s",
			     v->name, VG_XATTR_MODEL, x->c->volumes_root, v->name);
		return;
	}
	if (v->model == VG_MODEL_IDMAP) {
		/* No shift policy applies: owners are container-relative, no stamp, no ACLs of
		 * volguard's; only owners its members cannot see are a finding. */
		dfd = openat(vfd, "_data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd >= 0)
			check_tree(x, v, dfd, path);
		return;
	}
	if (!v->recorded) {
		if (v->used || decl) {
			f = audit_add(
			    x, "VG-VOL-009", VG_SUBJ_VOLUME, v->name, NULL,
			    "volguard has no record of this volume's members%s: _data keeps "
			    "Docker's root-owned layout",
			    decl ? " although the config declares it" : "");
			audit_ev(f, "path", "%s/%s", x->c->volumes_root, v->name);
			audit_remedy(f,
				     "volguard fix %s (or restart its containers through volguard)",
				     v->name);
		}
		return;
	}
	if (v->members.n == 0)
		return;
	if (!vg_volume_stamp_matches(vfd, &v->members)) {
		char proc[64], stamp[256];
		bool present;
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", vfd);
		present =
		    getxattr(proc, VG_XATTR_STAMP, stamp, sizeof(stamp)) >= 0 || errno == ERANGE;
		f = audit_add(x, "VG-VOL-005", VG_SUBJ_VOLUME, v->name, NULL, "%s",
			      present ? "stamp out of date: the members changed since the last "
					"complete pass over the tree"
				      : "no stamp: the policy was never applied to the whole tree");
		audit_ev(f, "path", "%s/%s", x->c->volumes_root, v->name);
		audit_ev(f, present ? "stale" : "missing", "%s", VG_XATTR_STAMP);
		audit_remedy(f, "volguard fix %s", v->name);
	}
	dfd = openat(vfd, "_data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		f = audit_add(x, "VG-VOL-001", VG_SUBJ_VOLUME, v->name, NULL,
			      "%s cannot be opened (%s)", path,
			      errno == ELOOP || errno == ENOTDIR
				  ? "a symbolic link or not a directory"
				  : strerror(errno));
		audit_ev(f, "path", "%s", path);
		audit_remedy(f, "volguard fix %s", v->name);
		return;
	}
	check_data(x, v, dfd, path);
	check_tree(x, v, dfd, path);
	if (x->o->deep)
		check_fixer(x, v);
}

void audit_volumes(struct audit_ctx *x)
{
	for (size_t i = 0; i < x->n_vols; i++)
		if (audit_in_scope(x, VG_SUBJ_VOLUME, x->vols[i].name, NULL))
			audit_volume(x, &x->vols[i]);
}
