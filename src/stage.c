/*
 * The userns mode's mounts (stage.h). Rules this file keeps:
 *  - every source is opened once and compared with what the judge saw (device and inode); the
 *    clone is made from that descriptor, so what runc mounts is what was checked;
 *  - nothing is attached in the host's mount namespace: the clones are attached after
 *    unshare(CLONE_NEWNS) with slave propagation (mounts of the host still reach us, ours never
 *    reach the host); the only exception is the overlay2 swap of Docker's own merged mount;
 *  - the staging directory holds nothing but mount points: it is removed entry by entry, never
 *    with a recursive walk, and never while it could be a container's mount point.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap.h"
#include "gojson.h"
#include "overlay_idmap.h"
#include "stage.h"

#define ROOTFS "rootfs"
#define MOUNTS "m"

/* What a spec mount gets: nothing, or an idmapped clone with these VG_IDMAP_* flags. */
struct staged {
	size_t idx;
	unsigned flags;
	int src_fd;  /* the source, opened and compared */
	int tree_fd; /* its detached idmapped clone */
	bool is_dir;
};

static bool has_prefix_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/* Is spec mount i one of Docker's files for this container (containers/ID/...), or for the
 * container whose network it joins? */
static bool docker_file(const struct vg_stage_req *r, const struct vg_mount *m)
{
	const char *ids[] = { r->ct->id, r->ct->net_container };

	for (size_t i = 0; m->kind == VG_MOUNT_BIND && m->source && i < VG_ARRAY_SIZE(ids); i++) {
		_cleanup_free_ char *dir =
		    ids[i] ? vg_asprintf("%s/containers/%s", r->c->docker_root, ids[i]) : NULL;

		if (dir && has_prefix_dir(m->source, dir) && strcmp(m->source, dir) != 0)
			return true;
	}
	return false;
}

/* The volume (volguard's, checked) that mount i belongs to, or NULL. */
static const struct vg_mounted_volume *volume_of(const struct vg_stage_req *r, size_t i)
{
	for (size_t k = 0; k < r->vols->n; k++) {
		const struct vg_mounted_volume *v = &r->vols->v[k];

		for (size_t j = 0; v->ours && j < v->n_idx; j++)
			if (v->idx[j] == i)
				return v;
	}
	return NULL;
}

static const struct vg_kmount_expect *expected(const struct vg_stage_req *r, size_t i)
{
	for (size_t k = 0; k < r->checked->n; k++)
		if (r->checked->v[k].index == i)
			return &r->checked->v[k];
	return NULL;
}

/* Open mount i's source and prove it is the inode the judge saw. */
static int open_checked(const struct vg_stage_req *r, size_t i, struct staged *s,
			struct vg_error *e)
{
	const struct vg_mount *m = &r->ct->mounts[i];
	const struct vg_kmount_expect *x = expected(r, i);
	struct stat st;

	s->src_fd = open(m->source, O_PATH | O_CLOEXEC);
	if (s->src_fd < 0)
		return vg_error_errno(e, errno, "mounts[%zu]: %s", i, m->source);
	if (fstat(s->src_fd, &st) < 0)
		return vg_error_errno(e, errno, "mounts[%zu]: %s", i, m->source);
	if (!x || !x->exists || x->dev != st.st_dev || x->ino != st.st_ino)
		return vg_error_set(e, VG_EREFUSED,
				    "mounts[%zu]: %s is not the file that was checked (it changed "
				    "after the check)",
				    i, m->source);
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return vg_error_set(e, VG_EREFUSED,
				    "mounts[%zu]: %s is neither a directory nor a regular file", i,
				    m->source);
	s->is_dir = S_ISDIR(st.st_mode);
	return 0;
}

static void staged_free(struct staged *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].src_fd >= 0)
			close(v[i].src_fd);
		if (v[i].tree_fd >= 0)
			close(v[i].tree_fd);
	}
	free(v);
}

/* The binds to stage, opened, checked and cloned (detached: nothing attached yet). */
static int clone_binds(const struct vg_stage_req *r, int userns_fd, struct staged **ret,
		       size_t *n_ret, struct vg_error *e)
{
	struct staged *v = vg_reallocarray(NULL, r->ct->n_mounts + 1, sizeof(*v));
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < r->ct->n_mounts && rc >= 0; i++) {
		const struct vg_mount *m = &r->ct->mounts[i];
		const struct vg_mounted_volume *vol = volume_of(r, i);
		struct staged *s = &v[n];

		if (!vol && !docker_file(r, m))
			continue; /* other binds stay as they are (they show as nobody) */
		*s = (struct staged){ .idx = i, .src_fd = -1, .tree_fd = -1 };
		n++;
		s->flags = VG_IDMAP_NOSUID_NODEV;
		if (m->readonly || (vol && vol->ro))
			s->flags |= VG_IDMAP_RDONLY;
		rc = open_checked(r, i, s, e);
		if (rc >= 0) {
			s->tree_fd = vg_idmap_clone(s->src_fd, userns_fd, s->flags, e);
			rc = s->tree_fd < 0 ? s->tree_fd : 0;
		}
	}
	if (rc < 0) {
		staged_free(v, n);
		return rc;
	}
	*ret = v;
	*n_ret = n;
	return 0;
}

/* The root file system's detached mount: an idmapped bind, or an overlay of idmapped layers
 * put in place of Docker's merged mount (overlay_idmap.h). */
static int clone_rootfs(const struct vg_stage_req *r, int userns_fd, struct vg_error *e)
{
	struct statfs sf;
	_cleanup_close_ int layer = -1, overlay2 = -1;

	if (fstatfs(r->rootfs_fd, &sf) < 0)
		return vg_error_errno(e, errno, "statfs of the root file system");
	if ((unsigned long)sf.f_type != OVERLAYFS_SUPER_MAGIC)
		return vg_idmap_clone(r->rootfs_fd, userns_fd, 0, e);
	/* Docker's overlay2: root.path is <overlay2>/ID/merged. */
	layer = openat(r->rootfs_fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (layer >= 0)
		overlay2 = openat(layer, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (layer < 0 || overlay2 < 0)
		return vg_error_errno(e, errno, "the overlay2 layer of the root file system");
	/* The admission's pin of root.path is Docker's overlay, which it would keep alive beside
	 * ours on the same upper: re-pointed at the layer (same number, still the admission's). */
	if (dup3(layer, r->rootfs_fd, O_CLOEXEC) < 0)
		return vg_error_errno(e, errno, "re-pinning the root file system to its layer");
	/* Built and put in place of Docker's merged mount in one call (overlay_idmap.h: Docker's is
	 * detached before ours is created); a detached clone comes back for rootfs/. */
	return vg_overlay_swap_merged(overlay2, layer, userns_fd, r->start, e);
}

/* <stage_dir>/ID with rootfs/ and m/, fresh (a leftover of a crashed create is removed). */
static int make_dirs(const struct vg_stage_req *r, int *ret_fd, struct vg_error *e)
{
	_cleanup_close_ int base = -1, dir = -1;
	struct stat st;
	int rc;

	if (mkdir(r->c->stage_dir, 0711) < 0 && errno != EEXIST)
		return vg_error_errno(e, errno, "%s", r->c->stage_dir);
	base = open(r->c->stage_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (base < 0 || fstat(base, &st) < 0)
		return vg_error_errno(e, errno, "%s", r->c->stage_dir);
	if (st.st_uid != 0 || (st.st_mode & 022))
		return vg_error_set(e, EPERM, "%s: not root's, or writable by others",
				    r->c->stage_dir);
	if ((rc = vg_stage_remove(r->c, r->id, e)) < 0)
		return rc;
	if (mkdirat(base, r->id, 0711) < 0)
		return vg_error_errno(e, errno, "%s/%s", r->c->stage_dir, r->id);
	dir = openat(base, r->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0 || mkdirat(dir, ROOTFS, 0755) < 0 || mkdirat(dir, MOUNTS, 0711) < 0)
		return vg_error_errno(e, errno, "%s/%s", r->c->stage_dir, r->id);
	*ret_fd = TAKE_FD(dir);
	return 0;
}

/* A mount point for staged bind s under m/: a directory or an empty file. */
static int make_point(int mdir, const struct staged *s, char *name, size_t size, struct vg_error *e)
{
	int fd;

	snprintf(name, size, "%zu", s->idx);
	if (s->is_dir)
		return mkdirat(mdir, name, 0755) < 0 ? vg_error_errno(e, errno, "m/%s", name) : 0;
	fd = openat(mdir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return vg_error_errno(e, errno, "m/%s", name);
	close(fd);
	return 0;
}

/*
 * The clone's flags are locked for the container (its mount namespace belongs to its user
 * namespace): runc's remount of a bind must repeat them, or the kernel refuses it with EPERM.
 */
static int locked_options(json_t *m, unsigned flags, struct vg_error *e)
{
	json_t *opts = vg_json_member(m, "options");
	const char *need[3];
	size_t n = 0;

	if (opts && !json_is_array(opts))
		return vg_error_set(e, EINVAL, "mounts: options: not an array");
	if (!opts) {
		opts = json_array();
		vg_json_set_new(m, "options", opts);
	}
	need[n++] = "nosuid";
	need[n++] = "nodev";
	if (flags & VG_IDMAP_RDONLY)
		need[n++] = "ro";
	for (size_t k = 0; k < n; k++) {
		bool have = false;
		size_t i;
		json_t *o;

		json_array_foreach(opts, i, o) have =
		    have || (json_is_string(o) && strcmp(json_string_value(o), need[k]) == 0);
		if (!have)
			json_array_append_new(opts, json_string(need[k]));
	}
	return 0;
}

/* In the private namespace: attach everything and point the spec at it. */
static int attach_all(const struct vg_stage_req *r, int dir, int root_tree, struct staged *v,
		      size_t n, json_t *spec, struct vg_error *e)
{
	_cleanup_close_ int mdir = openat(dir, MOUNTS, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	json_t *mounts = vg_json_member(spec, "mounts");
	json_t *root = vg_json_member(spec, "root");
	_cleanup_free_ char *rootfs = vg_asprintf("%s/%s/" ROOTFS, r->c->stage_dir, r->id);
	int rc;

	if (mdir < 0)
		return vg_error_errno(e, errno, "%s/%s/" MOUNTS, r->c->stage_dir, r->id);
	if (!json_is_object(root))
		return vg_error_set(e, EINVAL, "root: missing or not an object");
	rc = vg_mount_attach(root_tree, dir, ROOTFS, e);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		char name[32];
		json_t *m = json_array_get(mounts, v[i].idx);

		if (!json_is_object(m))
			return vg_error_set(e, EINVAL, "mounts[%zu]: not an object", v[i].idx);
		rc = make_point(mdir, &v[i], name, sizeof(name), e);
		if (rc >= 0)
			rc = vg_mount_attach(v[i].tree_fd, mdir, name, e);
		if (rc >= 0) {
			_cleanup_free_ char *src =
			    vg_asprintf("%s/%s/" MOUNTS "/%s", r->c->stage_dir, r->id, name);
			vg_json_set_new(m, "source", json_string(src));
			rc = locked_options(m, v[i].flags, e);
		}
	}
	if (rc >= 0)
		vg_json_set_new(root, "path", json_string(rootfs));
	return rc;
}

/*
 * Leave the host's mount namespace for a private one whose mounts do not propagate back, and
 * reopen the staging directory there (a descriptor opened before names the host's mount, where
 * move_mount must not attach): the same inode, or refused.
 */
static int enter_private_ns(const struct vg_stage_req *r, int *dir, struct vg_error *e)
{
	_cleanup_free_ char *path = vg_asprintf("%s/%s", r->c->stage_dir, r->id);
	struct stat before, after;
	int fd;

	if (fstat(*dir, &before) < 0)
		return vg_error_errno(e, errno, "%s", path);
	if (unshare(CLONE_NEWNS) < 0)
		return vg_error_errno(e, errno, "unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return vg_error_errno(e, errno, "making the mount namespace a slave");
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vg_error_errno(e, errno, "%s", path);
	if (fstat(fd, &after) < 0 || after.st_dev != before.st_dev ||
	    after.st_ino != before.st_ino) {
		close(fd);
		return vg_error_set(e, VG_EREFUSED, "%s was replaced while it was staged", path);
	}
	close(*dir);
	*dir = fd;
	return 0;
}

int vg_stage_build(const struct vg_stage_req *r, json_t *spec, struct vg_error *e)
{
	_cleanup_close_ int userns = -1, root_tree = -1, dir = -1, host_ns = -1;
	struct staged *v = NULL;
	size_t n = 0;
	int rc;

	userns = vg_userns_open(r->start, r->count, e);
	if (userns < 0)
		return userns;
	rc = clone_binds(r, userns, &v, &n, e);
	if (rc < 0)
		return rc;
	/* The directories first: the overlay2 swap is the one change in the host's namespace. */
	rc = make_dirs(r, &dir, e);
	if (rc >= 0) {
		root_tree = clone_rootfs(r, userns, e);
		rc = root_tree < 0 ? root_tree : 0;
	}
	if (rc >= 0 && (host_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC)) < 0)
		rc = vg_error_errno(e, errno, "/proc/self/ns/mnt");
	if (rc >= 0)
		rc = enter_private_ns(r, &dir, e);
	if (rc >= 0)
		rc = attach_all(r, dir, root_tree, v, n, spec, e);
	staged_free(v, n);
	if (rc < 0 && host_ns >= 0 && setns(host_ns, CLONE_NEWNS) < 0)
		return rc; /* cannot get back: leave the directory, delete removes it */
	if (rc < 0 && dir >= 0) {
		struct vg_error ignore = { 0 };
		vg_stage_remove(r->c, r->id, &ignore);
	}
	return rc;
}

/* Remove name in dir: an empty directory or an empty regular file, nothing else. */
static int remove_point(int dir, const char *name, struct vg_error *e)
{
	struct stat st;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : vg_error_errno(e, errno, "%s", name);
	if (S_ISDIR(st.st_mode))
		return unlinkat(dir, name, AT_REMOVEDIR) < 0 ? vg_error_errno(e, errno, "%s", name)
							     : 0;
	if (S_ISREG(st.st_mode) && st.st_size == 0)
		return unlinkat(dir, name, 0) < 0 ? vg_error_errno(e, errno, "%s", name) : 0;
	return vg_error_set(e, ENOTEMPTY, "%s: not a mount point volguard made", name);
}

int vg_stage_remove(const struct vg_config *c, const char *id, struct vg_error *e)
{
	_cleanup_close_ int base =
	    open(c->stage_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int dir = -1, mdir = -1;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int rc = 0;

	if (base < 0)
		return errno == ENOENT ? 0 : vg_error_errno(e, errno, "%s", c->stage_dir);
	if (!vg_name_valid(id) || strchr(id, '/'))
		return vg_error_set(e, EINVAL, "'%s' is not a container ID", id);
	dir = openat(base, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir < 0)
		return errno == ENOENT ? 0 : vg_error_errno(e, errno, "%s/%s", c->stage_dir, id);
	mdir = openat(dir, MOUNTS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (mdir >= 0 && (d = fdopendir(TAKE_FD(mdir))))
		while (rc >= 0 && (de = readdir(d)))
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				rc = remove_point(dirfd(d), de->d_name, e);
	if (rc >= 0)
		rc = remove_point(dir, MOUNTS, e);
	if (rc >= 0)
		rc = remove_point(dir, ROOTFS, e);
	if (rc >= 0)
		rc = remove_point(base, id, e);
	return rc;
}

int vg_stage_give_stdio(uint64_t start, struct vg_error *e)
{
	for (int fd = 0; fd <= 2; fd++) {
		struct stat st;

		if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
			continue;
		if (fchown(fd, (uid_t)start, (gid_t)start) < 0)
			return vg_error_errno(e, errno, "giving stdio pipe %d to the range", fd);
	}
	return 0;
}
