/* The kernel's view of a container's mounts, mapped back to host paths (see kmounts.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libmount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "kmounts.h"

static void tablep(struct libmnt_table **t)
{
	if (*t)
		mnt_unref_table(*t);
}
#define cleanup_table _cleanup_(tablep)

/* Pseudo file systems are judged by their type in the spec, not as host paths. */
static const char *const pseudo_fs[] = { "proc",    "sysfs",   "cgroup",     "cgroup2",
					 "devpts",  "mqueue",  "securityfs", "debugfs",
					 "tracefs", "fusectl", "bpf" };
/* runc's default devices (bind-mounted from the host in a user namespace). */
static const char *const default_devices[] = { "/dev/null", "/dev/zero",   "/dev/full",
					       "/dev/tty",  "/dev/random", "/dev/urandom" };

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

/* Is `path` equal to `dir` or below it? Returns the rest ("" or "/x/y") or NULL. */
static const char *rest_at_or_below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path;
	if (strncmp(path, dir, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return NULL;
	return path + n;
}

/* The host path that the mount `fs` (from the container's table) shows, or NULL. */
static char *host_path(struct libmnt_table *host, struct libmnt_fs *fs, const char *skip_below)
{
	dev_t dev = mnt_fs_get_devno(fs);
	const char *root = mnt_fs_get_root(fs), *best_rest = NULL, *best_target = NULL;
	size_t best_len = 0;
	struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
	struct libmnt_fs *h;

	if (!it || !root)
		goto out;
	while (mnt_table_next_fs(host, it, &h) == 0) {
		const char *hroot = mnt_fs_get_root(h), *rest;

		if (mnt_fs_get_devno(h) != dev || !hroot || !mnt_fs_get_target(h))
			continue;
		if (skip_below && rest_at_or_below(mnt_fs_get_target(h), skip_below))
			continue;
		rest = rest_at_or_below(root, hroot);
		/* The longest root wins; among equals the last mounted (the visible one). */
		if (rest && strlen(hroot) >= best_len) {
			best_len = strlen(hroot);
			best_rest = rest;
			best_target = mnt_fs_get_target(h);
		}
	}
out:
	mnt_free_iter(it);
	if (!best_target)
		return NULL;
	if (strcmp(best_target, "/") == 0)
		return vg_strdup(*best_rest ? best_rest : "/");
	return vg_asprintf("%s%s", best_target, best_rest);
}

static bool mount_readonly(struct libmnt_fs *fs)
{
	const char *vfs = mnt_fs_get_vfs_options(fs), *sb = mnt_fs_get_fs_options(fs);

	return (vfs && mnt_optstr_get_option(vfs, "ro", NULL, NULL) == 0) ||
	       (sb && mnt_optstr_get_option(sb, "ro", NULL, NULL) == 0);
}

/* "c 10:229 /dev/fuse" (oci.c's form) against a mount of the kernel's view. */
static bool is_spec_device(const struct vg_mount *m, const char *node)
{
	long long maj, min;
	struct stat st;
	char type;
	int off;

	if (!vg_device_node_parse(node, &type, &maj, &min, &off) || !m->source || !m->destination ||
	    strcmp(node + off, m->destination) != 0 || lstat(m->source, &st) < 0)
		return false;
	if (!(type == 'c' ? S_ISCHR(st.st_mode) : S_ISBLK(st.st_mode)))
		return false;
	return (long long)major(st.st_rdev) == maj && (long long)minor(st.st_rdev) == min;
}

void vg_kmounts_drop_spec_devices(struct vg_container *kernel, char *const *device_nodes)
{
	size_t i = 0;

	while (i < kernel->n_mounts) {
		bool drop = false;

		for (size_t k = 0; device_nodes && device_nodes[k] && !drop; k++)
			drop = is_spec_device(&kernel->mounts[i], device_nodes[k]);
		if (!drop) {
			i++;
			continue;
		}
		vg_container_remove_mount(kernel, i);
	}
}

int vg_kmounts_read(pid_t pid, const char *rootfs, const char *host_mountinfo,
		    const char *skip_below, struct vg_container *ret, struct vg_error *e)
{
	cleanup_table struct libmnt_table *ct = mnt_new_table(), *host = mnt_new_table();
	_cleanup_free_ char *path = vg_asprintf("/proc/%d/mountinfo", (int)pid);
	struct libmnt_iter *it;
	struct libmnt_fs *fs;
	int r;

	if (!ct || !host)
		return vg_error_set(e, ENOMEM, "out of memory");
	r = mnt_table_parse_file(ct, path);
	if (r < 0)
		return vg_error_errno(e, r, "%s: cannot read", path);
	r = mnt_table_parse_file(host, host_mountinfo);
	if (r < 0)
		return vg_error_errno(e, r, "%s: cannot read", host_mountinfo);
	it = mnt_new_iter(MNT_ITER_FORWARD);
	if (!it)
		return vg_error_set(e, ENOMEM, "out of memory");
	while (mnt_table_next_fs(ct, it, &fs) == 0) {
		const char *target = mnt_fs_get_target(fs), *dest;
		_cleanup_free_ char *src = NULL;
		struct vg_mount *m;
		struct stat st;

		if (!target || !(dest = rest_at_or_below(target, rootfs)) || !*dest)
			continue; /* the runtime's own mounts, or the root file system itself */
		if (in_list(mnt_fs_get_fstype(fs), pseudo_fs, VG_ARRAY_SIZE(pseudo_fs)))
			continue;
		src = host_path(host, fs, skip_below);
		if (!src)
			continue; /* a file system of its own (a fresh tmpfs): no host path shows */
		if (in_list(src, default_devices, VG_ARRAY_SIZE(default_devices)) &&
		    lstat(src, &st) == 0 && S_ISCHR(st.st_mode))
			continue;
		m = vg_container_add_mount(ret);
		m->kind = VG_MOUNT_BIND;
		m->source = TAKE_PTR(src);
		m->destination = vg_strdup(dest);
		m->readonly = mount_readonly(fs);
		m->origin = vg_asprintf("/proc/%d/mountinfo: %s", (int)pid, target);
	}
	mnt_free_iter(it);
	return 0;
}

/* ---- check time is mount time -------------------------------------------------------------- */

void vg_kmounts_expect_from_report(const struct vg_container *ct, const struct vg_report *rep,
				   struct vg_kmount_expects *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < ct->n_mounts; i++) {
		if (ct->mounts[i].kind != VG_MOUNT_BIND)
			continue;
		for (size_t k = 0; k < rep->n; k++) {
			const struct vg_finding *f = &rep->v[k];
			if (f->mount_index != i || !f->src_judged)
				continue;
			ret->v = vg_array_grow(ret->v, ret->n, sizeof(*ret->v));
			ret->v[ret->n++] = (struct vg_kmount_expect){ .index = i,
								      .exists = f->src_exists,
								      .dev = f->src_dev,
								      .ino = f->src_ino };
			break;
		}
	}
}

void vg_kmounts_expects_free(struct vg_kmount_expects *x)
{
	free(x->v);
	memset(x, 0, sizeof(*x));
}

/* "INDEX=DEV:INO" or "INDEX=missing", comma-separated. */
static char *encode(const struct vg_kmount_expects *x)
{
	char *s = vg_strdup("");

	for (size_t i = 0; i < x->n; i++) {
		const struct vg_kmount_expect *p = &x->v[i];
		char *n = p->exists ? vg_asprintf("%s%s%zu=%ju:%ju", s, i ? "," : "", p->index,
						  (uintmax_t)p->dev, (uintmax_t)p->ino)
				    : vg_asprintf("%s%s%zu=missing", s, i ? "," : "", p->index);
		free(s);
		s = n;
	}
	return s;
}

/* A decimal number at *s, which is moved past it. */
static bool number(const char **s, uintmax_t *ret)
{
	char *end;

	if (**s < '0' || **s > '9')
		return false;
	errno = 0;
	*ret = strtoumax(*s, &end, 10);
	if (errno)
		return false;
	*s = end;
	return true;
}

static bool decode_one(const char **s, struct vg_kmount_expect *p)
{
	uintmax_t idx, dev, ino;

	if (!number(s, &idx) || *(*s)++ != '=')
		return false;
	p->index = (size_t)idx;
	if (strncmp(*s, "missing", 7) == 0) {
		*s += 7;
		p->exists = false;
		return true;
	}
	if (!number(s, &dev) || *(*s)++ != ':' || !number(s, &ino))
		return false;
	p->exists = true;
	p->dev = (dev_t)dev;
	p->ino = (ino_t)ino;
	return true;
}

static int decode(const char *s, struct vg_kmount_expects *ret, struct vg_error *e)
{
	memset(ret, 0, sizeof(*ret));
	while (*s) {
		struct vg_kmount_expect p = { 0 };
		const char *at = s;

		if (!decode_one(&s, &p) || (*s && *s++ != ',')) {
			vg_kmounts_expects_free(ret);
			return vg_error_set(e, EINVAL, "annotation %s: malformed near '%.40s'",
					    VG_KMOUNTS_ANNOTATION, at);
		}
		ret->v = vg_array_grow(ret->v, ret->n, sizeof(*ret->v));
		ret->v[ret->n++] = p;
	}
	return 0;
}

/* runc reads the spec's keys case-insensitively: the one member of obj that is `key` in any
 * case (NULL when none), -EINVAL when two are. */
static int ci_get(json_t *obj, const char *key, const char **ret_key, json_t **ret,
		  struct vg_error *e)
{
	const char *k;
	json_t *v;

	*ret = NULL;
	*ret_key = key;
	json_object_foreach(obj, k, v)
	{
		if (strcasecmp(k, key) != 0)
			continue;
		if (*ret)
			return vg_error_set(e, EINVAL, "config.json: two keys '%s' and '%s'",
					    *ret_key, k);
		*ret = v;
		*ret_key = k;
	}
	return 0;
}

/* obj[key] (in any case) as an object or array of the given type, made when missing. */
static int ci_member(json_t *obj, const char *key, bool array, json_t **ret, struct vg_error *e)
{
	const char *k;
	int r = ci_get(obj, key, &k, ret, e);

	if (r < 0)
		return r;
	if (!*ret) {
		*ret = array ? json_array() : json_object();
		if (!*ret || json_object_set_new(obj, key, *ret) < 0)
			return vg_error_set(e, ENOMEM, "out of memory");
	}
	if (array ? !json_is_array(*ret) : !json_is_object(*ret))
		return vg_error_set(e, EINVAL, "config.json: '%s' is not an %s", k,
				    array ? "array" : "object");
	return 0;
}

int vg_kmounts_spec_add_verify(json_t *spec, const char *config, const struct vg_kmount_expects *x,
			       struct vg_error *e)
{
	_cleanup_free_ char *exe = NULL, *value = encode(x);
	json_t *hooks, *cr, *ann, *hook, *args;
	int r;

	exe = realpath("/proc/self/exe", NULL);
	if (!exe)
		return vg_error_errno(e, errno, "cannot find volguard's own path (/proc/self/exe)");
	if ((r = ci_member(spec, "hooks", false, &hooks, e)) < 0 ||
	    (r = ci_member(hooks, "createRuntime", true, &cr, e)) < 0 ||
	    (r = ci_member(spec, "annotations", false, &ann, e)) < 0)
		return r;
	args = config ? json_pack("[s, s, s, s, s]", "volguard", "--config", config, "prestart",
				  "--verify")
		      : json_pack("[s, s, s]", "volguard", "prestart", "--verify");
	hook = args ? json_pack("{s:s, s:o}", "path", exe, "args", args) : NULL;
	/* First: a hook before it could change what it verifies. */
	if (!hook || json_array_insert_new(cr, 0, hook) < 0 ||
	    json_object_set_new(ann, VG_KMOUNTS_ANNOTATION, json_string(value)) < 0)
		return vg_error_set(e, ENOMEM, "out of memory");
	return 0;
}

int vg_kmounts_expects_from_spec(json_t *spec, struct vg_kmount_expects *ret, struct vg_error *e)
{
	const char *k, *s;
	json_t *ann, *v;
	int r;

	memset(ret, 0, sizeof(*ret));
	if ((r = ci_get(spec, "annotations", &k, &ann, e)) < 0)
		return r;
	v = json_is_object(ann) ? json_object_get(ann, VG_KMOUNTS_ANNOTATION) : NULL;
	if (!(s = json_string_value(v)))
		return vg_error_set(e, EINVAL,
				    "config.json: no annotation %s (what volguard-runc checked)",
				    VG_KMOUNTS_ANNOTATION);
	return decode(s, ret, e);
}

/* Is `p` equal to `dir` or below it, lexically ("//" and a trailing "/" ignored)? */
static bool dest_at_or_below(const char *p, const char *dir)
{
	for (;;) {
		while (*p == '/' && (p[1] == '/' || p[1] == '\0'))
			p++;
		while (*dir == '/' && (dir[1] == '/' || dir[1] == '\0'))
			dir++;
		if (!*dir)
			return !*p || *p == '/';
		if (*p != *dir)
			return false;
		p++;
		dir++;
	}
}

/* A later mount at the same destination or above it hides mount i. */
static bool hidden(const struct vg_container *ct, size_t i)
{
	for (size_t j = i + 1; j < ct->n_mounts; j++)
		if (ct->mounts[j].destination && ct->mounts[i].destination &&
		    dest_at_or_below(ct->mounts[i].destination, ct->mounts[j].destination))
			return true;
	return false;
}

static const struct vg_kmount_expect *expect_of(const struct vg_kmount_expects *x, size_t i)
{
	for (size_t k = 0; k < x->n; k++)
		if (x->v[k].index == i)
			return &x->v[k];
	return NULL;
}

/* The destination as the container will see it: resolved inside its root, in its mount
 * namespace (through /proc/PID/root), as runc resolved it to mount there. */
static int open_dest(int rootfd, const char *dest)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	long fd;
	int tries = 0;

	/* RESOLVE_IN_ROOT answers EAGAIN when any mount or rename raced the walk, anywhere. */
	do
		fd = syscall(SYS_openat2, rootfd, dest, &how, sizeof(how));
	while (fd < 0 && errno == EAGAIN && ++tries < 64);

	return fd < 0 ? -errno : (int)fd;
}

static int verify_one(int rootfd, const struct vg_mount *m, size_t i,
		      const struct vg_kmount_expect *p, struct vg_error *e)
{
	const char *src = m->source ? m->source : "?", *dst = m->destination;
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (!p)
		return vg_error_set(e, VG_EREFUSED,
				    "bind of %s at %s (mounts[%zu]) was not checked", src, dst, i);
	if (!p->exists)
		return vg_error_set(
		    e, VG_EREFUSED,
		    "bind of %s at %s: the source did not exist when it was checked", src, dst);
	fd = open_dest(rootfd, dst);
	if (fd < 0 || fstat(fd, &st) < 0)
		return vg_error_errno(e, fd < 0 ? -fd : errno,
				      "bind of %s at %s: cannot open it in the container", src,
				      dst);
	if (st.st_dev != p->dev || st.st_ino != p->ino)
		return vg_error_set(e, VG_EREFUSED,
				    "bind of %s at %s: the source changed between volguard's check "
				    "and the mount (checked device %u:%u inode %ju, mounted %u:%u "
				    "inode %ju)",
				    src, dst, major(p->dev), minor(p->dev), (uintmax_t)p->ino,
				    major(st.st_dev), minor(st.st_dev), (uintmax_t)st.st_ino);
	return 0;
}

static bool same_root(int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int vg_kmounts_verify(pid_t pid, const char *rootfs, const struct vg_container *ct,
		      const struct vg_kmount_expects *x, struct vg_error *e)
{
	_cleanup_free_ char *proot = vg_asprintf("/proc/%d/root", (int)pid);
	_cleanup_close_ int pfd = -1, rootfd = -1;
	const char *rel = rootfs;
	int r;

	while (*rel == '/')
		rel++;
	pfd = open(proot, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* Before pivot_root (runc's createRuntime and prestart hooks) the process's root is
	 * ours and its root file system lies at rootfs; after it (other runtimes) its root is
	 * the root file system. */
	if (pfd >= 0 && !same_root(pfd))
		rel = "";
	if (pfd >= 0)
		rootfd = openat(pfd, *rel ? rel : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return vg_error_errno(e, errno, "%s%s: cannot open the container's root", proot,
				      rootfs);
	for (size_t i = 0; i < ct->n_mounts; i++) {
		const struct vg_mount *m = &ct->mounts[i];

		if (m->kind != VG_MOUNT_BIND || !m->destination || hidden(ct, i))
			continue;
		if ((r = verify_one(rootfd, m, i, expect_of(x, i), e)) < 0)
			return r;
	}
	return 0;
}

int vg_kmounts_verify_spec(pid_t pid, const char *rootfs, const struct vg_container *ct,
			   json_t *spec, struct vg_error *e)
{
	struct vg_kmount_expects x;
	int r = vg_kmounts_expects_from_spec(spec, &x, e);

	if (r >= 0)
		r = vg_kmounts_verify(pid, rootfs, ct, &x, e);
	vg_kmounts_expects_free(&x);
	return r;
}
