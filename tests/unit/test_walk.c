/* The walk: bounded descriptors on a deep tree, resuming evicted levels, classification,
 * the re-check before a change, and getxattrat with its /proc fallback. Runs as root in a
 * private temp dir. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "members.h"
#include "docker_volumes.h"
#include "volume.h"
#include "walk.h"

#define DEPTH 100
#define FILES 10

static char tmp[64];

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ., .., the DIR's own fd */
}

static void mkfiles(int dfd, int n)
{
	char name[16];
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		close(openat(dfd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	}
}

static int setup(void **state)
{
	int fd, next;

	snprintf(tmp, sizeof(tmp), "/tmp/vgunit-walk.XXXXXX");
	assert_non_null(mkdtemp(tmp));
	fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(mkdirat(fd, "deep", 0755) == 0);
	next = openat(fd, "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < DEPTH; i++) {
		/* Files before and after the subdirectory in readdir order, whatever it is. */
		mkfiles(next, FILES);
		assert_int_equal(mkdirat(next, "d", 0755), 0);
		int sub = openat(next, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(next);
		next = sub;
	}
	close(next);
	assert_int_equal(mkdirat(fd, "kinds", 0755), 0);
	next = openat(fd, "kinds", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(symlinkat("/etc/passwd", next, "link"), 0);
	assert_int_equal(mkfifoat(next, "fifo", 0600), 0);
	assert_int_equal(mknodat(next, "null", S_IFCHR | 0600, makedev(1, 3)), 0);
	mkfiles(next, 1);
	close(next);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf --one-file-system %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

struct counts {
	size_t entries, dirs, files, max_fds, max_depth;
	size_t symlinks, devices, fifos_unopened;
};

static int count_cb(const struct vg_walk_entry *ent, void *data)
{
	struct counts *c = data;
	int n;

	c->entries++;
	if (ent->skip == VG_WALK_SYMLINK)
		c->symlinks++;
	if (ent->skip == VG_WALK_DEVICE)
		c->devices++;
	if (S_ISFIFO(ent->stx.stx_mode) && ent->fd < 0 && ent->skip == VG_WALK_VISIT)
		c->fifos_unopened++;
	if (ent->fd >= 0)
		c->dirs++;
	else if (S_ISREG(ent->stx.stx_mode))
		c->files++;
	if (ent->depth > c->max_depth)
		c->max_depth = ent->depth;
	n = count_fds();
	if ((size_t)n > c->max_fds)
		c->max_fds = (size_t)n;
	return 0;
}

static void deep_tree_bounded(void **state)
{
	struct vg_error e = { 0 };
	struct counts c = { 0 };
	char path[128];
	int fd, base = count_fds();

	snprintf(path, sizeof(path), "%s/deep", tmp);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(vg_walk(fd, count_cb, &c, &e), 0);
	close(fd);
	/* Every entry exactly once, although levels were evicted and reopened via "..". */
	assert_int_equal(c.dirs, DEPTH);
	assert_int_equal(c.files, DEPTH * FILES);
	assert_int_equal(c.max_depth, DEPTH);
	/* At most VG_WALK_MAX_FDS directory fds, plus the entry's own and the dup of the root. */
	assert_true(c.max_fds <= (size_t)base + VG_WALK_MAX_FDS + 2);
	assert_int_equal(count_fds(), base); /* nothing leaked */
}

static void kinds(void **state)
{
	struct vg_error e = { 0 };
	struct counts c = { 0 };
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/kinds", tmp);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(vg_walk(fd, count_cb, &c, &e), 0);
	close(fd);
	assert_int_equal(c.entries, 4);
	assert_int_equal(c.symlinks, 1);
	assert_int_equal(c.devices, 1);
	assert_int_equal(c.fifos_unopened, 1);
}

static int swap_cb(const struct vg_walk_entry *ent, void *data)
{
	int *results = data;
	struct vg_error e = { 0 };
	struct statx now;
	int fd;

	if (strcmp(ent->name, "f0") != 0)
		return 0;
	fd = vg_walk_open_entry(ent, &now, &e);
	results[0] = fd >= 0 ? 0 : fd;
	if (fd >= 0)
		close(fd);
	/* Replace the name by another file: the re-check must notice. */
	close(openat(ent->dirfd, "other", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	assert_int_equal(renameat(ent->dirfd, "other", ent->dirfd, "f0"), 0);
	fd = vg_walk_open_entry(ent, &now, &e);
	results[1] = fd >= 0 ? 0 : fd;
	if (fd >= 0)
		close(fd);
	return 0;
}

static void recheck_notices_swap(void **state)
{
	struct vg_error e = { 0 };
	int results[2] = { 1, 1 };
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/kinds", tmp);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(vg_walk(fd, swap_cb, results, &e), 0);
	close(fd);
	assert_int_equal(results[0], 0);
	assert_int_equal(results[1], -ESTALE);
}

static void xattr_both_ways(bool fallback)
{
	char path[128], a[128], b[128];
	const char *val = "hello";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/kinds/f0", tmp);
	assert_int_equal(setxattr(path, "user.vgtest", val, 5, 0), 0);
	snprintf(path, sizeof(path), "%s/kinds", tmp);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	vg_xattr_force_fallback(fallback);
	n = vg_getxattrat(fd, "f0", "user.vgtest", a, sizeof(a));
	assert_int_equal(n, 5);
	assert_memory_equal(a, val, 5);
	/* A symlink is not followed: its own (absent) xattr, not /etc/passwd's. */
	n = vg_getxattrat(fd, "link", "user.vgtest", b, sizeof(b));
	assert_true(n == -ENODATA || n == -EPERM || n == -ENOTSUP || n == -EOPNOTSUPP);
	n = vg_getxattrat(fd, "missing", "user.vgtest", b, sizeof(b));
	assert_int_equal(n, -ENOENT);
	n = vg_getxattrat(fd, "f0", "user.vgtest", b, 2);
	assert_int_equal(n, -ERANGE);
	vg_xattr_force_fallback(false);
	close(fd);
}

static void getxattrat_syscall(void **state)
{
	xattr_both_ways(false);
}

static void getxattrat_fallback(void **state)
{
	xattr_both_ways(true);
}

static void userns_remap_detected(void **state)
{
	struct vg_error e = { 0 };
	char root[128], p[160];
	FILE *f;

	snprintf(root, sizeof(root), "%s/docker", tmp);
	mkdir(root, 0700);
	assert_int_equal(vg_volume_check_userns_remap(root, NULL, &e), 0);
	snprintf(p, sizeof(p), "%s/daemon.json", tmp);
	f = fopen(p, "w");
	fputs("{\"userns-remap\": \"default\"}", f);
	fclose(f);
	assert_int_equal(vg_volume_check_userns_remap(root, p, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "userns-remap"));
	snprintf(p, sizeof(p), "%s/docker/165536.165536", tmp);
	mkdir(p, 0700);
	assert_int_equal(vg_volume_check_userns_remap(root, NULL, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "165536.165536"));
	rmdir(p);
}

static void discover_members(void **state)
{
	struct vg_config c;
	struct vg_members m = { 0 };
	struct vg_error e = { 0 };
	char p[400];
	FILE *f;

	vg_config_init(&c);
	free(c.docker_root);
	snprintf(p, sizeof(p), "%s/dk", tmp);
	c.docker_root = strdup(p);
	snprintf(p, sizeof(p),
		 "mkdir -p %s/dk/containers/c1 %s/dk/containers/c2 %s/dk/containers/c3", tmp, tmp,
		 tmp);
	assert_int_equal(system(p), 0);
	snprintf(p, sizeof(p), "%s/dk/containers/c1/config.v2.json", tmp);
	f = fopen(p, "w");
	fputs("{\"Name\":\"/web\",\"MountPoints\":{\"/a\":{\"Type\":\"volume\",\"Name\":\"v\","
	      "\"RW\":false},\"/b\":{\"Type\":\"volume\",\"Name\":\"v\",\"RW\":true}}}",
	      f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/dk/containers/c2/config.v2.json", tmp);
	f = fopen(p, "w");
	fputs("{\"Name\":\"/api\",\"MountPoints\":{\"/a\":{\"Type\":\"volume\",\"Name\":\"v\"}}}",
	      f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/dk/containers/c3/config.v2.json", tmp);
	f = fopen(p, "w");
	fputs("{\"Name\":\"/x\",\"MountPoints\":[1,2]} trailing", f);
	fclose(f);
	assert_int_equal(vg_volume_discover_members(&c, "v", &m, &e), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.v[0].name, "api");
	assert_true(m.v[0].ro); /* no RW: read-only */
	assert_string_equal(m.v[1].name, "web");
	assert_false(m.v[1].ro); /* mounted rw once: rw */
	vg_members_free(&m);
	vg_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deep_tree_bounded),	cmocka_unit_test(kinds),
		cmocka_unit_test(recheck_notices_swap), cmocka_unit_test(getxattrat_syscall),
		cmocka_unit_test(getxattrat_fallback),	cmocka_unit_test(userns_remap_detected),
		cmocka_unit_test(discover_members),
	};
	if (geteuid() != 0) {
		printf("1..0 # SKIP the walk tests run as root\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
