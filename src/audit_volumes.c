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
#include "audit_internal.h"
#include "fixer.h"
#include "volume.h"
#include "cleanup.h"
#include "volume_owner.h"
#include "walk.h"

/* Directories kept open during a walk; deeper ones are reopened through "..". */
#define WALK_EXAMPLES 3

void audit_vol_free(struct audit_vol *v)
{
	free(v->name);
	free(v->model_bad);
	vg_members_free(&v->members);
	memset(v, 0, sizeof(*v));
}

/* opts.json of the local driver, read by volume_owner.c: {"MountType":..., "MountOpts":
 * "bind,...", "MountDevice":...}. Docker mounts that on _data: _data is then not volguard's
 * (DESIGN.md, admission rules). True when the volume has driver options (a bind, tmpfs, nfs, a
 * block device...); one that cannot be read counts as none, as before. */
static bool read_driver_opts(int vfd, struct vg_volume_opts *d)
{
	if (vg_volume_opts_read(vfd, "opts.json", d, NULL) < 0) {
		vg_volume_opts_free(d);
		return false;
	}
	return !vg_volume_opts_none(d);
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
		struct vg_volume_opts opts;
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
		vg_volume_opts_free(&opts);
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

static void note_bad(struct walk *w, const char *path, const struct statx *sx)
{
	if (w->bad++ >= WALK_EXAMPLES)
		return;
	w->examples[w->bad - 1] =
	    vg_asprintf("%s (uid %u gid %u)", path, (unsigned)sx->stx_uid, (unsigned)sx->stx_gid);
}

#define WALK_SAMPLED (-ECANCELED) /* the callback's "enough": not an error */

/* One entry of walk.c's walk below _data (which never enters another mount). */
static int walk_entry(const struct vg_walk_entry *ent, void *data)
{
	struct walk *w = data;

	if (!(ent->stx.stx_mask & STATX_TYPE)) { /* statx failed: nothing to judge */
		w->incomplete = true;
		return 0;
	}
	if (ent->skip == VG_WALK_ERROR || ent->skip == VG_WALK_RACED)
		w->incomplete = true; /* a directory that could not be entered as seen */
	w->seen++;
	if (!in_set(&w->ok->uids, ent->stx.stx_uid) || !in_set(&w->ok->gids, ent->stx.stx_gid))
		note_bad(w, ent->path, &ent->stx);
	return w->seen >= w->limit ? WALK_SAMPLED : 0;
}

static void walk_tree(struct walk *w, int data_fd)
{
	struct vg_error e = { 0 };
	int r = w->limit ? vg_walk(data_fd, walk_entry, w, &e) : WALK_SAMPLED;

	if (r < 0 && r != WALK_SAMPLED)
		w->incomplete = true; /* a directory moved away or could not be read */
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
	struct vg_mount *m = vg_container_add_mount(&tmp);

	m->kind = VG_MOUNT_VOLUME;
	m->source = vg_strdup(v->name);
	m->destination = vg_strdup("/volume");
	m->origin = vg_asprintf("-v %s:/volume", v->name);
	if (!x->policy)
		x->policy = vg_policy_batch_new(x->c, NULL);
	vg_policy_batch_check(x->policy, &tmp, vg_docker_lookup, (void *)x->c, &rep);
	for (size_t i = 0; i < rep.n; i++) {
		const struct vg_finding *pf = &rep.v[i];
		struct vg_audit_finding *f;

		if (pf->verdict != VG_DENY || (strcmp(pf->rule, "sensitive-writable") != 0 &&
					       strcmp(pf->rule, "runtime-socket") != 0))
			continue;
		f = audit_add(x, "VG-MOUNT-003", VG_SUBJ_VOLUME, v->name, NULL,
			      "bind volume of %s: %s", device, pf->message);
		audit_ev(f, "device", "%s", device);
		audit_ev(f, "rule", "%s", pf->rule);
		if (pf->resolved)
			audit_ev(f, "resolved", "%s", pf->resolved);
		audit_remedy(f,
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
	struct vg_volume_opts d;
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
	vg_volume_opts_free(&d);
	return true;
}

/* A volume volguard does not manage whose _data others may write (0777, as an entrypoint or a
 * `chmod -R 777` leaves it): every host user who can reach it and every container that mounts
 * it can plant files the others read or run. */
static void unmanaged_open(struct audit_ctx *x, const struct audit_vol *v, int vfd,
			   const char *path)
{
	struct vg_audit_finding *f;
	struct stat sb;

	if (fstatat(vfd, "_data", &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(sb.st_mode) ||
	    !(sb.st_mode & S_IWOTH))
		return;
	f = audit_add(x, "VG-VOL-015", VG_SUBJ_VOLUME, v->name, NULL,
		      "%s is mode %04o and volguard does not manage it: every host user who can "
		      "reach it and every container that mounts it can write it",
		      path, (unsigned)(sb.st_mode & 07777));
	audit_ev(f, "path", "%s", path);
	audit_ev(f, "mode", "%04o", (unsigned)(sb.st_mode & 07777));
	audit_remedy(f, "volguard fix %s (gives it to its containers' ranges), or chmod o-w %s",
		     v->name, path);
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
		unmanaged_open(x, v, vfd, path);
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
