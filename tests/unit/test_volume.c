/* vg_volume_prepare (volume.c) as the runtime calls it: with the registry lock held, stamp
 * skipping the walk, Docker's copy-up reset of _data repaired, a new member forcing the walk. */
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
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "config.h"
#include "registry.h"
#include "volume.h"

#define P1 1073741824u
#define P2 1073807360u

static char tmp[64];
static struct vg_config cfg;

static int setup(void **state)
{
	unit_docker_root(tmp, sizeof(tmp), "prep", 0, &cfg);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	vg_config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf --one-file-system %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void path(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/docker/volumes/%s", tmp, rel);
}

static void prepare_private_then_shared(void **state)
{
	struct vg_registry reg;
	struct vg_error e = { 0 };
	char data[256], file[256], name[256], stamp[64];
	struct stat st, st2;
	ssize_t n;

	/* The runtime holds the registry's write lock while it prepares: no deadlock. */
	assert_int_equal(vg_registry_open(&reg, &cfg, VG_REGISTRY_WRITE, &e), 0);
	alarm(20);
	assert_int_equal(vg_volume_prepare(&cfg, "pv", "web", false, P1, P1, 0, 0, &e), 0);
	alarm(0);
	vg_registry_close(&reg);

	path(data, sizeof(data), "pv/_data");
	path(name, sizeof(name), "pv");
	assert_int_equal(stat(data, &st), 0);
	assert_int_equal(st.st_uid, P1);
	assert_int_equal(st.st_mode & 07777, 0700);
	n = getxattr(name, "trusted.volguard.stamp", stamp, sizeof(stamp));
	assert_true(n > 0);

	/* A file that does not match, then Docker's copy-up resetting _data: with the stamp
	 * matching only _data is repaired, the file is not even looked at. */
	path(file, sizeof(file), "pv/_data/f");
	close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	assert_int_equal(setxattr(file, "system.posix_acl_access",
				  "\x02\0\0\0\x01\0\x06\0\xff\xff\xff\xff\x02\0\x07\0\x39\x30\0\0"
				  "\x04\0\x04\0\xff\xff\xff\xff\x10\0\x07\0\xff\xff\xff\xff"
				  "\x20\0\x04\0\xff\xff\xff\xff",
				  44, 0),
			 0);
	assert_int_equal(chown(data, 0, 0), 0);
	assert_int_equal(chmod(data, 0755), 0);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(vg_volume_prepare(&cfg, "pv", "web", false, P1, P1, 0, 0, &e), 0);
	assert_int_equal(stat(data, &st2), 0);
	assert_int_equal(st2.st_uid, P1);
	assert_int_equal(st2.st_mode & 07777, 0700);
	assert_int_equal(stat(file, &st2), 0);
	assert_int_equal(st2.st_ctim.tv_nsec, st.st_ctim.tv_nsec); /* the walk was skipped */
	assert_true(getxattr(file, "system.posix_acl_access", stamp, sizeof(stamp)) > 0);

	/* A second member: new policy, stamp stale, full walk: the foreign entry is gone. */
	assert_int_equal(vg_volume_prepare(&cfg, "pv", "worker", true, P2, P2, 0, 0, &e), 0);
	assert_int_equal(stat(data, &st2), 0);
	assert_int_equal(st2.st_uid, 0);
	assert_int_equal(st2.st_mode & 07777, 0770);
	{
		char acl[128];
		n = getxattr(file, "system.posix_acl_access", acl, sizeof(acl));
		assert_int_equal(n, 4 + 8 * 6); /* u::, two members, g::, m::, o:: */
		assert_null(memmem(acl, (size_t)n, "\x39\x30\0\0", 4));
	}
}

static void strict_refuses_undeclared(void **state)
{
	struct vg_error e = { 0 };
	struct vg_config c2;

	vg_config_init(&c2);
	assert_int_equal(vg_config_parse_string(&c2,
						"[policy]\nstrict_membership = yes\n"
						"[volume \"decl\"]\nmembers = web:rw\n",
						"test.conf", &e),
			 0);
	free(c2.docker_root);
	free(c2.volumes_root);
	free(c2.state_dir);
	c2.docker_root = strdup(cfg.docker_root);
	c2.volumes_root = strdup(cfg.volumes_root);
	c2.state_dir = strdup(cfg.state_dir);
	assert_int_equal(vg_volume_prepare(&c2, "decl", "intruder", false, P2, P2, 0, 0, &e),
			 -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "strict_membership"));
	assert_int_equal(vg_volume_prepare(&c2, "decl", "web", false, P1, P1, 0, 0, &e), 0);
	vg_config_free(&c2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prepare_private_then_shared),
		cmocka_unit_test(strict_refuses_undeclared),
	};
	if (geteuid() != 0) {
		printf("1..0 # SKIP prepare tests run as root\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
