/* Idmapped mounts on this machine's own file system, in a private mount namespace of the test
 * process: owners seen through the clone, the unmapped creator (host root), read-only, a clone
 * of the opened inode whatever its path names later, and the user namespace's maps. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "idmap.h"

#define START 1073741824u /* 2^30: volguard's first range */

static char tmp[64];

static int setup(void **state)
{
	char p[128];

	(void)state;
	/* Nothing this test mounts reaches the host: a mount namespace of its own, slave to it. */
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return -1;
	strcpy(tmp, "/tmp/vgidmap.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(p, sizeof(p), "%s/src", tmp);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/src/root-file", tmp);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	snprintf(p, sizeof(p), "%s/src/www-file", tmp);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	if (chown(p, 33, 33) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/src/high-file", tmp);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	if (chown(p, 70000, 70000) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/dst", tmp);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/other", tmp);
	mkdir(p, 0755);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "%s/dst", tmp);
	umount2(cmd, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf --one-file-system %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static int open_dir(const char *rel)
{
	char p[128];

	snprintf(p, sizeof(p), "%s/%s", tmp, rel);
	return open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void userns_maps(void **state)
{
	struct vg_error e = { 0 };
	int ns, ns2;

	(void)state;
	ns = vg_userns_open(START, 65536, &e);
	assert_true(ns >= 0);
	ns2 = vg_userns_open(START + 65536, 65536, &e);
	assert_true(ns2 >= 0);
	assert_int_not_equal(ns, ns2);
	close(ns);
	close(ns2);
	/* A range that cannot be written to uid_map is refused before any process is made. */
	assert_int_equal(vg_userns_open(UINT32_MAX, 2, &e), -EINVAL);
	assert_int_equal(vg_userns_open(START, 0, &e), -EINVAL);
}

static void owners_through_the_clone(void **state)
{
	struct vg_error e = { 0 };
	int src = open_dir("src"), dst = open_dir(""), ns, tree;
	struct stat st;
	char p[128];

	(void)state;
	assert_int_equal(vg_idmap_supported(src, &e), 1);
	ns = vg_userns_open(START, 65536, &e);
	assert_true(ns >= 0);
	tree = vg_idmap_clone(src, ns, 0, &e);
	assert_true(tree >= 0);
	close(ns); /* the mount keeps the idmapping */
	assert_int_equal(vg_mount_attach(tree, dst, "dst", &e), 0);
	close(tree);

	snprintf(p, sizeof(p), "%s/dst/root-file", tmp);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_uid, START);
	assert_int_equal(st.st_gid, START);
	snprintf(p, sizeof(p), "%s/dst/www-file", tmp);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_uid, START + 33);
	/* On-disk IDs beyond the range are unmapped: the overflow ID (research note, trap 10). */
	snprintf(p, sizeof(p), "%s/dst/high-file", tmp);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_uid, 65534);
	/* Host root is not in the range: it cannot create files through the mount. */
	snprintf(p, sizeof(p), "%s/dst/by-host-root", tmp);
	assert_int_equal(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644), -1);
	assert_int_equal(errno, EOVERFLOW);
	/* The disk keeps the container-relative owners. */
	snprintf(p, sizeof(p), "%s/src/www-file", tmp);
	assert_int_equal(lstat(p, &st), 0);
	assert_int_equal(st.st_uid, 33);
	snprintf(p, sizeof(p), "%s/dst", tmp);
	assert_int_equal(umount2(p, MNT_DETACH), 0);
	close(src);
	close(dst);
}

static void readonly_nosuid(void **state)
{
	struct vg_error e = { 0 };
	int src = open_dir("src"), dst = open_dir(""), ns, tree;
	char p[128];

	(void)state;
	ns = vg_userns_open(START, 65536, &e);
	tree = vg_idmap_clone(src, ns, VG_IDMAP_RDONLY | VG_IDMAP_NOSUID_NODEV, &e);
	assert_true(tree >= 0);
	close(ns);
	assert_int_equal(vg_mount_attach(tree, dst, "dst", &e), 0);
	close(tree);
	snprintf(p, sizeof(p), "%s/dst/root-file", tmp);
	assert_int_equal(open(p, O_WRONLY | O_CLOEXEC), -1);
	assert_int_equal(errno, EROFS);
	snprintf(p, sizeof(p), "%s/dst", tmp);
	assert_int_equal(umount2(p, MNT_DETACH), 0);
	close(src);
	close(dst);
}

/* The clone is of the inode that was opened: renaming another directory over the path
 * afterwards changes nothing (what was checked is what gets mounted). */
static void clone_of_the_opened_inode(void **state)
{
	struct vg_error e = { 0 };
	int src = open_dir("src"), dst = open_dir(""), ns, tree;
	char a[128], b[128];
	struct stat st;

	(void)state;
	ns = vg_userns_open(START, 65536, &e);
	tree = vg_idmap_clone(src, ns, 0, &e);
	assert_true(tree >= 0);
	close(ns);
	snprintf(a, sizeof(a), "%s/src", tmp);
	snprintf(b, sizeof(b), "%s/other", tmp);
	assert_int_equal(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE), 0);
	assert_int_equal(vg_mount_attach(tree, dst, "dst", &e), 0);
	close(tree);
	snprintf(a, sizeof(a), "%s/dst/www-file", tmp);
	assert_int_equal(lstat(a, &st), 0);
	assert_int_equal(st.st_uid, START + 33);
	snprintf(a, sizeof(a), "%s/dst", tmp);
	assert_int_equal(umount2(a, MNT_DETACH), 0);
	snprintf(a, sizeof(a), "%s/src", tmp);
	assert_int_equal(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE), 0);
	close(src);
	close(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(userns_maps),
		cmocka_unit_test(owners_through_the_clone),
		cmocka_unit_test(readonly_nosuid),
		cmocka_unit_test(clone_of_the_opened_inode),
	};
	if (geteuid() != 0) {
		printf("1..0 # SKIP idmapped mounts need root\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
