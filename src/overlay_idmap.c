/*
 * The overlay2 root file system from idmapped layers (see overlay_idmap.h).
 *
 * Why each step is as it is (research note userns-idmap.md):
 *  - overlayfs refuses MOUNT_ATTR_IDMAP on itself, but takes idmapped layers (Q2b.1-2), handed
 *    over as descriptors (fsconfig FSCONFIG_SET_FD "lowerdir+"/"upperdir"/"workdir"), so no layer
 *    is ever attached anywhere;
 *  - upper and work must be on one mount: one clone of ID, not two;
 *  - overlayfs keeps the credentials of whoever ran FSCONFIG_CMD_CREATE and does its own work on
 *    the upper (work dir, whiteouts, copy-up) with them: host root is not in the upper's idmap
 *    (EOVERFLOW, "mounting read-only"), the range's root is, and lands on disk as 0 (Q2b.3, the
 *    "-f S" variant);
 *  - never two overlays on one upper (Q2b.4): Docker's is detached right before ours is
 *    created, and ours goes where Docker's was, so Docker's Put() unmounts it at stop (Q3).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libmount.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "idmap.h"
#include "overlay_idmap.h"

#define LOWER_FILE_MAX 65536 /* 500 links of "l/" + 26 characters fit 14 KiB */

/*
 * openat2 with RESOLVE_BENEATH gives EAGAIN when a rename or a mount anywhere on the host raced
 * with its ".." steps (every short link is "../ID/diff"): a busy Docker host mounts all the time,
 * so it is retried, a bounded number of times.
 */
static int openat2_beneath(int dir_fd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how = { .flags = flags | O_CLOEXEC, .resolve = resolve };
	long fd = -1;

	for (int i = 0; i < 64; i++) {
		fd = syscall(SYS_openat2, dir_fd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd < 0 ? -errno : (int)fd;
}

static int mount_id_of(int fd, uint64_t *ret_id, bool *ret_root)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
		return -errno;
	if (!(stx.stx_mask & STATX_MNT_ID))
		return -EOPNOTSUPP;
	*ret_id = stx.stx_mnt_id;
	if (ret_root)
		*ret_root = (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
			    (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
	return 0;
}

/* ---- creator credentials ------------------------------------------------------------------- */

struct fscreds {
	uid_t uid;
	gid_t gid;
	cap_t caps;
};

/*
 * fsuid/fsgid = start for the calls that follow. Changing fsuid away from 0 clears the file
 * system capabilities from the effective set (capabilities(7)); they are put back from the saved
 * set, since overlayfs needs them in its creator credentials (copy-up chown, whiteout mknod).
 */
static int creds_become(uint64_t start, struct fscreds *saved, struct vg_error *e)
{
	saved->caps = cap_get_proc();
	if (!saved->caps)
		return vg_error_errno(e, errno, "cap_get_proc");
	saved->gid = (gid_t)setfsgid((gid_t)start);
	saved->uid = (uid_t)setfsuid((uid_t)start);
	/* setfsuid reports no error: an invalid ID returns the current one. */
	if ((uid_t)setfsuid((uid_t)-1) != (uid_t)start ||
	    (gid_t)setfsgid((gid_t)-1) != (gid_t)start || cap_set_proc(saved->caps) < 0) {
		setfsuid(saved->uid);
		setfsgid(saved->gid);
		cap_set_proc(saved->caps);
		cap_free(saved->caps);
		saved->caps = NULL;
		return vg_error_set(e, EPERM, "cannot take fsuid/fsgid %" PRIu64, start);
	}
	return 0;
}

static void creds_restore(struct fscreds *saved)
{
	if (!saved->caps)
		return;
	setfsuid(saved->uid);
	setfsgid(saved->gid);
	cap_set_proc(saved->caps);
	cap_free(saved->caps);
	saved->caps = NULL;
}

/* ---- the layers ---------------------------------------------------------------------------- */

struct layers {
	int lower[VG_OVERLAY_MAX_LOWERS]; /* idmapped read-only clones, top-most first */
	size_t n;
	int upper, work; /* diff and work in one idmapped clone of ID */
	int clone;	 /* that clone */
};

static void layers_init(struct layers *l)
{
	l->n = 0;
	l->upper = l->work = l->clone = -1;
}

static void layers_close(struct layers *l)
{
	for (size_t i = 0; i < l->n; i++)
		close(l->lower[i]);
	l->n = 0;
	if (l->upper >= 0)
		close(l->upper);
	if (l->work >= 0)
		close(l->work);
	if (l->clone >= 0)
		close(l->clone);
	l->upper = l->work = l->clone = -1;
}

/* The `lower` file of the layer, NUL-terminated, without a trailing newline. */
static int read_lower_file(int layer_fd, char **ret, struct vg_error *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	int r;
	size_t len = 0;

	fd = openat(layer_fd, "lower", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return vg_error_set(e, ENODATA, "the layer has no lower layers (no `lower` file)");
	if (fd < 0)
		return vg_error_errno(e, errno, "open the layer's `lower` file");
	r = vg_read_fd(fd, LOWER_FILE_MAX - 1, &buf, &len, NULL);
	if (r == -EINVAL || r == -EFBIG)
		return vg_error_set(e, EINVAL, "the layer's `lower` is not a small regular file");
	if (r < 0)
		return vg_error_errno(e, -r, "read the layer's `lower` file");
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len == 0 || strlen(buf) != len)
		return vg_error_set(e, EINVAL, "the layer's `lower` file is empty or not text");
	*ret = TAKE_PTR(buf);
	return 0;
}

/* One lower, "l/XXXX": its diff directory beneath overlay2_fd, idmapped and read-only. */
static int open_lower(int overlay2_fd, const char *link, int userns_fd, struct vg_error *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *shown = vg_escape(link);

	if (!*link)
		return vg_error_set(e, EINVAL, "the layer's `lower` file has an empty entry");
	/* The short link is a symlink to ../LAYER/diff: followed, but only while it stays in
	 * overlay2 and on its mount. */
	fd = openat2_beneath(overlay2_fd, link, O_PATH | O_DIRECTORY,
			     RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
	if (fd == -EXDEV)
		return vg_error_set(e, EXDEV, "lower layer %s leads out of the overlay2 directory",
				    shown);
	if (fd < 0)
		return vg_error_errno(e, -fd, "lower layer %s", shown);
	return vg_idmap_clone(fd, userns_fd, VG_IDMAP_RDONLY, e);
}

static int open_lowers(int overlay2_fd, int layer_fd, int userns_fd, struct layers *l,
		       struct vg_error *e)
{
	_cleanup_free_ char *lower = NULL;
	char *save = NULL, *tok;
	int r;

	r = read_lower_file(layer_fd, &lower, e);
	if (r < 0)
		return r;
	if (strstr(lower, "::") || lower[0] == ':' || lower[strlen(lower) - 1] == ':')
		return vg_error_set(e, EINVAL, "the layer's `lower` file has an empty entry");
	for (tok = strtok_r(lower, ":", &save); tok; tok = strtok_r(NULL, ":", &save)) {
		if (l->n == VG_OVERLAY_MAX_LOWERS)
			return vg_error_set(e, E2BIG, "more than %d lower layers",
					    VG_OVERLAY_MAX_LOWERS);
		r = open_lower(overlay2_fd, tok, userns_fd, e);
		if (r < 0)
			return r;
		l->lower[l->n++] = r;
	}
	return 0;
}

/* A directory `name` of the layer on the layer's own mount (not a symlink, not a mount point). */
static int open_layer_dir(int layer_fd, const char *name, struct stat *st, struct vg_error *e)
{
	_cleanup_close_ int fd = -1;
	struct stat lst;

	fd = openat2_beneath(layer_fd, name, O_PATH | O_DIRECTORY,
			     RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
	if (fd < 0)
		return vg_error_errno(e, -fd, "the layer's %s is not a directory of its own", name);
	if (fstat(fd, st) < 0 || fstat(layer_fd, &lst) < 0)
		return vg_error_errno(e, errno, "fstat the layer's %s", name);
	if (st->st_dev != lst.st_dev)
		return vg_error_set(e, EXDEV, "the layer's %s is on another file system", name);
	return TAKE_FD(fd);
}

/* diff and work through one idmapped clone of ID, checked to be the very directories. */
static int open_upper(int layer_fd, int userns_fd, struct layers *l, struct vg_error *e)
{
	struct stat diff = { 0 }, work = { 0 }, st;
	int fd;

	fd = open_layer_dir(layer_fd, "diff", &diff, e);
	if (fd < 0)
		return fd;
	close(fd);
	fd = open_layer_dir(layer_fd, "work", &work, e);
	if (fd < 0)
		return fd;
	close(fd);
	/* Not recursive: Docker's merged mount below ID is no part of it. */
	l->clone = vg_idmap_clone(layer_fd, userns_fd, 0, e);
	if (l->clone < 0)
		return l->clone;
	l->upper = openat(l->clone, "diff", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	l->work = openat(l->clone, "work", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (l->upper < 0 || l->work < 0)
		return vg_error_errno(e, errno, "open diff and work in the layer's clone");
	if (fstat(l->upper, &st) < 0 || st.st_ino != diff.st_ino || fstat(l->work, &st) < 0 ||
	    st.st_ino != work.st_ino)
		return vg_error_set(e, ESTALE, "the layer's diff or work changed while opened");
	return 0;
}

/* ---- the overlay --------------------------------------------------------------------------- */

/* The kernel's own words after a failed fsconfig: the last message in the context's log. */
static void fs_log(int fsfd, char *buf, size_t size)
{
	char line[512];
	ssize_t n;

	buf[0] = '\0';
	while ((n = read(fsfd, line, sizeof(line) - 1)) > 0) {
		line[n] = '\0';
		line[strcspn(line, "\n")] = '\0';
		snprintf(buf, size, " (%s)", line);
	}
}

static int fs_fail(int fsfd, struct vg_error *e, int err, const char *what)
{
	char log[600];

	fs_log(fsfd, log, sizeof(log));
	return vg_error_set(e, err, "overlay %s: %s%s", what, strerror(err), log);
}

/* fsopen and everything but the creation, which may fail, so done before Docker's mount goes. */
static int overlay_configure(const struct layers *l, struct vg_error *e)
{
	_cleanup_close_ int fsfd = -1;

	fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return vg_error_errno(e, errno, "fsopen(overlay)");
	/* Docker 20.10 passes index=off where the kernel knows it; the rest is left to the
	 * kernel's defaults as for Docker's own mount (its diff code decided on those). */
	if (fsconfig(fsfd, FSCONFIG_SET_STRING, "index", "off", 0) < 0)
		return fs_fail(fsfd, e, errno, "index=off");
	for (size_t i = 0; i < l->n; i++)
		if (fsconfig(fsfd, FSCONFIG_SET_FD, "lowerdir+", NULL, l->lower[i]) < 0)
			return fs_fail(fsfd, e, errno, "lowerdir+ by descriptor");
	if (fsconfig(fsfd, FSCONFIG_SET_FD, "upperdir", NULL, l->upper) < 0)
		return fs_fail(fsfd, e, errno, "upperdir by descriptor");
	if (fsconfig(fsfd, FSCONFIG_SET_FD, "workdir", NULL, l->work) < 0)
		return fs_fail(fsfd, e, errno, "workdir by descriptor");
	return TAKE_FD(fsfd);
}

/* FSCONFIG_CMD_CREATE as the range's root, then the detached mount. */
static int overlay_create(int fsfd, uint64_t start, struct vg_error *e)
{
	struct fscreds saved;
	int r, err = 0, mfd;

	r = creds_become(start, &saved, e);
	if (r < 0)
		return r;
	r = fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
	if (r < 0)
		err = errno;
	creds_restore(&saved);
	if (r < 0)
		return fs_fail(fsfd, e, err, "create");
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		return fs_fail(fsfd, e, errno, "fsmount");
	return mfd;
}

static int prepare(int overlay2_fd, int layer_fd, int userns_fd, uint64_t start, struct layers *l,
		   struct vg_error *e)
{
	int r;

	if (start == 0 || start >= UINT32_MAX)
		return vg_error_set(e, EINVAL, "range start %" PRIu64 " cannot be a creator",
				    start);
	r = open_lowers(overlay2_fd, layer_fd, userns_fd, l, e);
	if (r < 0)
		return r;
	r = open_upper(layer_fd, userns_fd, l, e);
	if (r < 0)
		return r;
	return overlay_configure(l, e);
}

int vg_overlay_idmapped(int overlay2_fd, int layer_fd, int userns_fd, uint64_t start,
			struct vg_error *e)
{
	struct layers l;
	int fsfd, r;

	/* The layers' descriptors stay open until the overlay is created: closing the last one
	 * of a detached mount unmounts it, and overlayfs can only clone a mounted layer. */
	layers_init(&l);
	fsfd = prepare(overlay2_fd, layer_fd, userns_fd, start, &l, e);
	r = fsfd < 0 ? fsfd : overlay_create(fsfd, start, e);
	layers_close(&l);
	if (fsfd >= 0)
		close(fsfd);
	return r;
}

/* ---- the swap ------------------------------------------------------------------------------ */

/* mountinfo's octal escapes (\040 for a space...) undone in place. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* The value of option `key` in a mountinfo option string, unescaped, or NULL. */
static char *mount_option(const char *opts, const char *key)
{
	char *val = NULL, *s;
	size_t len = 0;

	if (!opts || mnt_optstr_get_option(opts, key, &val, &len) != 0 || !val)
		return NULL;
	s = strndup(val, len);
	if (!s)
		abort();
	unescape_octal(s);
	return s;
}

/*
 * Is the overlay `id` (mountinfo) one of this layer's? Docker's names its upperdir by path (an
 * absolute one, or relative to overlay2 when the options would not fit a page): it must be the
 * directory `diff`. One of ours (the previous start of this container: `docker restart` leaves
 * it mounted) shows the layers' paths inside their detached clones, "/diff" and "/work"; its
 * root's inode (checked by the caller) is what names the layer then.
 */
static int overlay_is_layers(uint64_t id, int overlay2_fd, const struct stat *diff,
			     struct vg_error *e)
{
	struct libmnt_table *t = mnt_new_table();
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_BACKWARD);
	struct libmnt_fs *fs;
	int r = vg_error_set(e, EBUSY, "the mount on merged is not in mountinfo");

	if (!t || !it || mnt_table_parse_file(t, "/proc/self/mountinfo") < 0) {
		r = vg_error_set(e, EIO, "cannot read /proc/self/mountinfo");
		goto out;
	}
	while (mnt_table_next_fs(t, it, &fs) == 0) {
		const char *opts = mnt_fs_get_fs_options(fs);
		_cleanup_free_ char *upper = NULL, *work = NULL;
		_cleanup_close_ int fd = -1;
		struct stat st;

		if ((uint64_t)mnt_fs_get_id(fs) != id)
			continue;
		upper = mount_option(opts, "upperdir");
		work = mount_option(opts, "workdir");
		r = vg_error_set(e, EBUSY, "the overlay on merged is not this layer's");
		if (!upper || !work)
			break;
		if (strcmp(upper, "/diff") == 0 && strcmp(work, "/work") == 0) {
			r = 0; /* ours */
			break;
		}
		fd = openat(overlay2_fd, upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == diff->st_dev &&
		    st.st_ino == diff->st_ino)
			r = 0;
		break;
	}
out:
	mnt_free_iter(it);
	mnt_unref_table(t);
	return r;
}

/*
 * A descriptor of this process (other than `self`) into mount `mnt` (Docker's overlay) would keep
 * its superblock alive after the detach, beside ours on the same upper: refused before anything
 * changes, naming the descriptor. Other processes' references (a shell's cwd in merged) cannot be
 * seen this cheaply; the kernel then logs "upperdir is in-use".
 */
static int held_here(uint64_t mnt, int self, struct vg_error *e)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return vg_error_errno(e, errno, "/proc/self/fd");
	while ((de = readdir(d))) {
		uint64_t id = 0;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = (int)strtol(de->d_name, NULL, 10);
		if (fd == self || fd == dirfd(d) || mount_id_of(fd, &id, NULL) < 0 || id != mnt)
			continue;
		return vg_error_set(e, EBUSY,
				    "descriptor %d of volguard still holds Docker's overlay on "
				    "merged: it would outlive the swap beside the new one",
				    fd);
	}
	return 0;
}

/*
 * What is on layer_fd/merged? 1 and *ret_fd (its root) when it is Docker's overlay of this
 * layer or ours of an earlier start, 0 when nothing is mounted there, -EBUSY for anything else.
 */
static int docker_merged(int overlay2_fd, int layer_fd, int *ret_fd, struct vg_error *e)
{
	_cleanup_close_ int fd = -1, diff_fd = -1;
	uint64_t layer_mnt = 0, mnt = 0;
	struct stat diff = { 0 }, st;
	struct statfs sfs;
	bool root = false;
	int r;

	diff_fd = open_layer_dir(layer_fd, "diff", &diff, e);
	if (diff_fd < 0)
		return diff_fd;
	/* No RESOLVE_NO_XDEV here: the point is to land on what is mounted on merged. */
	fd = openat2_beneath(layer_fd, "merged", O_PATH | O_DIRECTORY,
			     RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
	if (fd < 0)
		return vg_error_errno(e, -fd, "the layer's merged");
	r = mount_id_of(layer_fd, &layer_mnt, NULL);
	if (r >= 0)
		r = mount_id_of(fd, &mnt, &root);
	if (r < 0)
		return vg_error_errno(e, -r, "statx(STATX_MNT_ID)");
	if (mnt == layer_mnt)
		return 0;
	if (fstatfs(fd, &sfs) < 0 || fstat(fd, &st) < 0)
		return vg_error_errno(e, errno, "fstatfs the mount on merged");
	if (sfs.f_type != OVERLAYFS_SUPER_MAGIC || !root)
		return vg_error_set(e, EBUSY, "merged holds a mount that is not an overlay");
	/* All layers on one file system: the overlay's root shows the upper's inode number. */
	if (st.st_ino != diff.st_ino)
		return vg_error_set(e, EBUSY, "the overlay on merged is not this layer's");
	r = overlay_is_layers(mnt, overlay2_fd, &diff, e);
	if (r >= 0)
		r = held_here(mnt, fd, e);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(fd);
	return 1;
}

/* Unmount the mount whose root is `fd`: by descriptor, so it is the one that was checked. */
static int detach_fd(int fd, struct vg_error *e)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (umount2(path, MNT_DETACH) < 0)
		return vg_error_errno(e, errno, "umount2(Docker's merged, MNT_DETACH)");
	return 0;
}

/* Attach mfd on the directory merged itself (nothing mounted on it any more). */
static int attach_merged(int layer_fd, int mfd, struct vg_error *e)
{
	_cleanup_close_ int dir = -1;

	dir = openat2_beneath(layer_fd, "merged", O_PATH | O_DIRECTORY,
			      RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
	if (dir < 0)
		return vg_error_errno(e, -dir, "the layer's merged after the unmount");
	if (move_mount(mfd, "", dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return vg_error_errno(e, errno, "move_mount onto merged");
	return 0;
}

int vg_overlay_swap_merged(int overlay2_fd, int layer_fd, int userns_fd, uint64_t start,
			   struct vg_error *e)
{
	_cleanup_close_ int fsfd = -1, mfd = -1, docker = -1;
	struct layers l;
	int r, clone;

	r = docker_merged(overlay2_fd, layer_fd, &docker, e);
	if (r < 0)
		return r;
	layers_init(&l);
	fsfd = prepare(overlay2_fd, layer_fd, userns_fd, start, &l, e);
	if (fsfd < 0) {
		layers_close(&l);
		return fsfd;
	}
	if (docker >= 0) {
		r = detach_fd(docker, e);
		if (r < 0) {
			layers_close(&l);
			return r;
		}
		close(TAKE_FD(docker)); /* the last reference: its superblock goes now */
	}
	mfd = overlay_create(fsfd, start, e);
	layers_close(&l); /* as in vg_overlay_idmapped: open until created */
	if (mfd < 0)
		return mfd;
	r = attach_merged(layer_fd, mfd, e);
	if (r < 0)
		return r;
	/* mfd is attached now; a clone of it is what the private namespace mounts as root. */
	clone = open_tree(mfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (clone < 0) {
		r = vg_error_errno(e, errno, "open_tree(OPEN_TREE_CLONE) of the new overlay");
		detach_fd(mfd, NULL);
		return r;
	}
	return clone;
}

/* ---- which layer ---------------------------------------------------------------------------- */

static bool layer_id_valid(const char *id, size_t len)
{
	if (len != 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

int vg_overlay_layer_open(int docker_root_fd, const char *docker_root, const char *root_path,
			  int *ret_overlay2_fd, int *ret_layer_fd, struct vg_error *e)
{
	static const char dir[] = "/overlay2/";
	_cleanup_close_ int o2 = -1, layer = -1;
	size_t n = strlen(docker_root);
	const char *id, *slash;
	char name[65];
	int kind;

	while (n > 1 && docker_root[n - 1] == '/')
		n--;
	if (strncmp(root_path, docker_root, n) != 0 ||
	    strncmp(root_path + n, dir, sizeof(dir) - 1) != 0)
		return VG_OVERLAY_NOT_OURS;
	/* Below overlay2, root.path is a layer's merged or diff, or it is refused: judged as a
	 * plain directory it would be bound with Docker's layout unchecked. */
	id = root_path + n + sizeof(dir) - 1;
	slash = strchr(id, '/');
	kind = !slash			       ? VG_OVERLAY_NOT_OURS
	       : strcmp(slash, "/merged") == 0 ? VG_OVERLAY_MERGED
	       : strcmp(slash, "/diff") == 0   ? VG_OVERLAY_DIFF
					       : VG_OVERLAY_NOT_OURS;
	if (kind == VG_OVERLAY_NOT_OURS || !layer_id_valid(id, (size_t)(slash - id))) {
		_cleanup_free_ char *shown = vg_escape(root_path);
		return vg_error_set(
		    e, EINVAL, "root.path %s is not an overlay2 layer's merged or diff", shown);
	}
	memcpy(name, id, 64);
	name[64] = '\0';
	o2 = openat2_beneath(docker_root_fd, "overlay2", O_PATH | O_DIRECTORY,
			     RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
	if (o2 < 0)
		return vg_error_errno(e, -o2, "the docker root's overlay2 directory");
	layer = openat2_beneath(o2, name, O_PATH | O_DIRECTORY,
				RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
	if (layer < 0)
		return vg_error_errno(e, -layer, "overlay2 layer %s", name);
	*ret_overlay2_fd = TAKE_FD(o2);
	*ret_layer_fd = TAKE_FD(layer);
	return kind;
}

/* ---- the probe ------------------------------------------------------------------------------ */

#define PROBE_START (1u << 30) /* volguard's first range, as vg_idmap_supported */

/* Remove dir_fd/name and what is below it (the probe's own tiny tree; bounded depth). */
static int rm_tree(int dir_fd, const char *name, int depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (unlinkat(dir_fd, name, 0) == 0 || (errno != EISDIR && errno != EPERM))
		return errno == ENOENT ? 0 : -errno;
	if (depth > 8)
		return -ELOOP;
	fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			rm_tree(dirfd(d), de->d_name, depth + 1);
	return unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 ? -errno : 0;
}

/* One lower (low/diff/f, owned by 33) and an upper (top/diff, top/work), Docker's way. */
static int probe_layout(int tmp, struct vg_error *e)
{
	static const char *const dirs[] = { "l", "low", "low/diff", "top", "top/diff", "top/work" };
	_cleanup_close_ int f = -1, lower = -1;

	for (size_t i = 0; i < VG_ARRAY_SIZE(dirs); i++)
		if (mkdirat(tmp, dirs[i], 0755) < 0)
			return vg_error_errno(e, errno, "probe: mkdir %s", dirs[i]);
	if (symlinkat("../low/diff", tmp, "l/LOW") < 0)
		return vg_error_errno(e, errno, "probe: symlink");
	f = openat(tmp, "low/diff/f", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	lower =
	    openat(tmp, "top/lower", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (f < 0 || lower < 0 || fchown(f, 33, 33) < 0 || write(lower, "l/LOW", 5) != 5)
		return vg_error_errno(e, errno, "probe: files");
	return 0;
}

/* The kernel's words for "this kernel or file system cannot do it" (not: asking failed). */
static bool unsupported(int r)
{
	return r == -EINVAL || r == -EOPNOTSUPP || r == -ENOSYS || r == -EPERM || r == -EOVERFLOW ||
	       r == -EROFS || r == -ENODEV;
}

static int probe_in(int tmp, struct vg_error *e)
{
	_cleanup_close_ int ns = -1, top = -1, mfd = -1, f = -1;
	struct fscreds saved;
	struct stat st;
	int r;

	r = probe_layout(tmp, e);
	if (r < 0)
		return r;
	top = openat(tmp, "top", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (top < 0)
		return vg_error_errno(e, errno, "probe: open top");
	ns = vg_userns_open(PROBE_START, 65536, e);
	if (ns < 0)
		return ns;
	mfd = vg_overlay_idmapped(tmp, top, ns, PROBE_START, e);
	if (mfd < 0)
		return unsupported(mfd) ? 0 : mfd;
	if (fstatat(mfd, "f", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return vg_error_errno(e, errno, "probe: stat through the overlay");
	if (st.st_uid != PROBE_START + 33)
		return vg_error_set(e, EINVAL, "probe: a lower file shows uid %u, not %u",
				    (unsigned)st.st_uid, PROBE_START + 33);
	/* Container root writes through it (a copy-up target and a new file); the disk gets 0. */
	r = creds_become(PROBE_START, &saved, e);
	if (r < 0)
		return r;
	f = openat(mfd, "new", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	r = f < 0 ? -errno : 0;
	creds_restore(&saved);
	if (r < 0) {
		vg_error_errno(e, -r, "probe: container root cannot create a file in the overlay");
		return unsupported(r) ? 0 : r;
	}
	if (fstatat(top, "diff/new", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return vg_error_errno(e, errno, "probe: the new file is not in the upper");
	if (st.st_uid != 0 || st.st_gid != 0)
		return vg_error_set(e, EINVAL, "probe: the new file is %u:%u on disk, not 0:0",
				    (unsigned)st.st_uid, (unsigned)st.st_gid);
	return 1;
}

int vg_overlay_idmap_supported(int dir_fd, struct vg_error *e)
{
	_cleanup_close_ int tmp = -1;
	char name[64];
	int r = -EEXIST;

	for (int i = 0; i < 16 && r == -EEXIST; i++) {
		unsigned rnd = 0;
		if (getentropy(&rnd, sizeof(rnd)) < 0)
			rnd = (unsigned)i;
		snprintf(name, sizeof(name), ".volguard-ovlprobe.%d.%08x", (int)getpid(), rnd);
		r = mkdirat(dir_fd, name, 0700) < 0 ? -errno : 0;
	}
	if (r < 0)
		return vg_error_errno(e, -r, "probe: mkdir a temp dir");
	tmp = openat(dir_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tmp < 0)
		r = vg_error_errno(e, errno, "probe: open the temp dir");
	else
		r = probe_in(tmp, e);
	/* Every mount of the probe is detached and its last descriptor closed in probe_in. */
	rm_tree(dir_fd, name, 0);
	return r;
}
