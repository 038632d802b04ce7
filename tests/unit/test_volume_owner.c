/* Is a volume volguard's (vg_volume_is_ours), where a path's volume is (vg_volume_containing),
 * the spec's read-only rewrite (vg_mounted_volumes_spec_ro), the copy-up scan and shift. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "cleanup.h"
#include "config.h"
#include "prepare.h"
#include "volume.h"
#include "volume_owner.h"

#define START 1073741824u

static char tmp[64], vr[128];
static struct vg_config cfg;

static int setup(void **state)
{
	unit_docker_root(tmp, sizeof(tmp), "own", 0701, &cfg);
	snprintf(vr, sizeof(vr), "%s", cfg.volumes_root);
	return 0;
}

static int teardown(void **state)
{
	char cmd[320];

	vg_config_free(&cfg);
	snprintf(cmd, sizeof(cmd),
		 "umount -l %s/docker/volumes/*/_data 2>/dev/null; "
		 "rm -rf --one-file-system %s",
		 tmp, tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static void mkvol(const char *name, const char *opts_json)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", vr, name);
	assert_int_equal(mkdir(p, 0701), 0);
	snprintf(p, sizeof(p), "%s/%s/_data", vr, name);
	assert_int_equal(mkdir(p, 0755), 0);
	if (opts_json) {
		FILE *f;
		snprintf(p, sizeof(p), "%s/%s/opts.json", vr, name);
		f = fopen(p, "w");
		assert_non_null(f);
		fputs(opts_json, f);
		fclose(f);
	}
}

/* vg_volume_is_ours on freshly opened descriptors of NAME. */
static int ours(const char *name, struct vg_error *e)
{
	char p[256];
	_cleanup_close_ int root = open(vr, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int nfd = -1, dfd = -1;

	snprintf(p, sizeof(p), "%s/%s", vr, name);
	nfd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	dfd = openat(nfd, "_data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return vg_volume_is_ours(root, nfd, dfd, p, NULL, e);
}

static void opts_binds(void **state)
{
	assert_true(vg_volume_opts_binds("none", NULL));
	assert_true(vg_volume_opts_binds(NULL, "bind"));
	assert_true(vg_volume_opts_binds("", "ro,rbind"));
	assert_false(vg_volume_opts_binds("tmpfs", "size=1m"));
	assert_false(vg_volume_opts_binds(NULL, "nobind"));
	assert_false(vg_volume_opts_binds(NULL, NULL));
}

static void is_ours(void **state)
{
	struct vg_error e = { 0 };
	char src[256], data[256];

	mkvol("plain", NULL);
	assert_int_equal(ours("plain", &e), 1);
	mkvol("empty", "{\"MountType\":\"\",\"MountOpts\":\"\",\"MountDevice\":\"\"}");
	assert_int_equal(ours("empty", &e), 1);
	mkvol("bindv", "{\"MountType\":\"none\",\"MountOpts\":\"bind\",\"MountDevice\":\"/etc\"}");
	assert_int_equal(ours("bindv", &e), 0);
	assert_int_equal(e.code, VG_EREFUSED);
	assert_non_null(strstr(e.msg, "not volguard's"));
	assert_non_null(strstr(e.msg, "/etc"));
	mkvol("tmpv", "{\"MountType\":\"tmpfs\",\"MountOpts\":\"\",\"MountDevice\":\"tmpfs\"}");
	assert_int_equal(ours("tmpv", &e), 0);
	mkvol("badjson", "not json");
	assert_true(ours("badjson", &e) < 0);
	/* A bind mount of a directory of the same file system: same st_dev, another mount. */
	mkvol("mnt", NULL);
	snprintf(src, sizeof(src), "%s/elsewhere", tmp);
	mkdir(src, 0755);
	snprintf(data, sizeof(data), "%s/mnt/_data", vr);
	if (mount(src, data, NULL, MS_BIND, NULL) == 0) {
		assert_int_equal(ours("mnt", &e), 0);
		assert_non_null(strstr(e.msg, "another mount"));
		umount2(data, MNT_DETACH);
	}
}

static void containing(void **state)
{
	char p[256], *name = NULL;

	mkvol("cv", NULL);
	snprintf(p, sizeof(p), "%s/cv/_data/sub", vr);
	mkdir(p, 0755);
	assert_int_equal(vg_volume_containing(vr, p, &name), 1);
	assert_string_equal(name, "cv");
	free(name);
	snprintf(p, sizeof(p), "%s/cv/_data", vr);
	assert_int_equal(vg_volume_containing(vr, p, &name), 1);
	free(name);
	/* Through a symlink and "..". */
	snprintf(p, sizeof(p), "%s/lnk", tmp);
	{
		char target[256];
		snprintf(target, sizeof(target), "%s/cv/_data", vr);
		assert_int_equal(symlink(target, p), 0);
	}
	snprintf(p, sizeof(p), "%s/lnk/sub/../sub", tmp);
	assert_int_equal(vg_volume_containing(vr, p, &name), 1);
	assert_string_equal(name, "cv");
	free(name);
	snprintf(p, sizeof(p), "%s/cv", vr);
	assert_int_equal(vg_volume_containing(vr, p, &name), 0);
	snprintf(p, sizeof(p), "%s/cv/_dataX", vr);
	assert_int_equal(vg_volume_containing(vr, p, &name), 0);
	snprintf(p, sizeof(p), "%s/nosuch/_data", vr);
	assert_int_equal(vg_volume_containing(vr, p, &name), 0);
	assert_int_equal(vg_volume_containing(vr, "/etc", &name), 0);
	assert_null(name);
}

static void spec_ro(void **state)
{
	struct vg_error e = { 0 };
	json_error_t je;
	_cleanup_json_ json_t *spec = json_loads(
	    "{\"mounts\":[{\"destination\":\"/a\",\"type\":\"bind\",\"source\":\"/x\","
	    "\"options\":[\"rbind\",\"rw\"]},{\"destination\":\"/b\",\"type\":\"bind\","
	    "\"source\":\"/x\"},{\"destination\":\"/c\",\"type\":\"bind\",\"source\":\"/y\","
	    "\"options\":[\"rw\"]}]}",
	    0, &je);
	size_t idx[] = { 0, 1 };
	struct vg_mounted_volume v = {
		.name = (char *)"v", .force_ro = true, .idx = idx, .n_idx = 2
	};
	struct vg_mounted_volumes vols = { &v, 1 };
	_cleanup_free_ char *out = NULL;

	assert_non_null(spec);
	assert_int_equal(vg_mounted_volumes_spec_ro(spec, &vols, &e), 0);
	out = json_dumps(json_object_get(spec, "mounts"), JSON_COMPACT);
	assert_non_null(strstr(out, "\"/a\",\"type\":\"bind\",\"source\":\"/x\",\"options\":"
				    "[\"rbind\",\"ro\"]"));
	assert_non_null(strstr(out, "\"/b\",\"type\":\"bind\",\"source\":\"/x\",\"options\":"
				    "[\"ro\"]"));
	assert_non_null(strstr(out, "\"/y\",\"options\":[\"rw\"]")); /* not that volume's */
	v.force_ro = false;
	idx[0] = 7;
	assert_int_equal(vg_mounted_volumes_spec_ro(spec, &vols, &e), 0); /* nothing to do */
	v.force_ro = true;
	assert_true(vg_mounted_volumes_spec_ro(spec, &vols, &e) < 0); /* no mounts[7] */
}

static void copy_up(void **state)
{
	struct vg_error e = { 0 };
	struct vg_volume_info info;
	char p[256];
	struct stat st;

	mkvol("cu", NULL);
	snprintf(p, sizeof(p), "%s/cu/_data/suid", vr);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0755));
	chmod(p, 04755);
	snprintf(p, sizeof(p), "%s/cu/_data/pg", vr);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	assert_int_equal(chown(p, 999, 999), 0);
	snprintf(p, sizeof(p), "%s/cu/_data/far", vr);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	assert_int_equal(chown(p, 200000, 200000), 0);
	/* The check phase scans and changes nothing. */
	assert_int_equal(vg_volume_inspect(&cfg, "cu", true, &info, &e), 0);
	assert_true(info.ours);
	assert_false(info.has_record);
	vg_volume_info_free(&info);
	snprintf(p, sizeof(p), "%s/cu/_data/suid", vr);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 04755);
	/* The act: first preparation shifts 0..65535 into the range and strips setuid. */
	assert_int_equal(
	    vg_volume_prepare(&cfg, "cu", "web", false, START, START, START, 65536, &e), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, START);
	assert_int_equal(st.st_mode & 07777, 0755);
	snprintf(p, sizeof(p), "%s/cu/_data/pg", vr);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, START + 999);
	snprintf(p, sizeof(p), "%s/cu/_data/far", vr);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 200000); /* outside 0..range_size-1: kept */
	/* Recorded now: a second preparation does not shift again. */
	snprintf(p, sizeof(p), "%s/cu/_data/late", vr);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	assert_int_equal(
	    vg_volume_prepare(&cfg, "cu", "web", false, START, START, START, 65536, &e), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_uid, 0);
	/* A device node refuses the copy-up in the check phase. */
	mkvol("dev", NULL);
	snprintf(p, sizeof(p), "%s/dev/_data/null", vr);
	assert_int_equal(mknod(p, S_IFCHR | 0666, makedev(1, 3)), 0);
	assert_int_equal(vg_volume_inspect(&cfg, "dev", true, &info, &e), -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "device node"));
	vg_volume_info_free(&info);
	/* A hard-linked setuid file cannot be cleared without its other names. */
	mkvol("hl", NULL);
	snprintf(p, sizeof(p), "%s/hl/_data/s", vr);
	close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0755));
	chmod(p, 04755);
	{
		char p2[256];
		snprintf(p2, sizeof(p2), "%s/hl/_data/s2", vr);
		assert_int_equal(link(p, p2), 0);
	}
	assert_int_equal(vg_volume_inspect(&cfg, "hl", true, &info, &e), -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "hard"));
	vg_volume_info_free(&info);
}

static void recorded_ro_wins(void **state)
{
	struct vg_error e = { 0 };
	struct vg_volume_info info;

	mkvol("rv", NULL);
	assert_int_equal(vg_volume_prepare(&cfg, "rv", "web", true, START, START, 0, 0, &e), 0);
	assert_int_equal(vg_volume_prepare(&cfg, "rv", "web", false, START, START, 0, 0, &e), 0);
	assert_int_equal(vg_volume_inspect(&cfg, "rv", true, &info, &e), 0);
	assert_true(info.has_record);
	assert_int_equal(info.recorded.n, 1);
	assert_true(info.recorded.v[0].ro);
	vg_volume_info_free(&info);
	/* A foreign volume is refused by the writers. */
	mkvol("fv", "{\"MountType\":\"none\",\"MountOpts\":\"bind\",\"MountDevice\":\"/etc\"}");
	assert_int_equal(vg_volume_prepare(&cfg, "fv", "web", false, START, START, 0, 0, &e),
			 -VG_EREFUSED);
	assert_int_equal(vg_volume_inspect(&cfg, "fv", true, &info, &e), 0);
	assert_false(info.ours);
	assert_string_equal(info.device, "/etc");
	assert_true(info.device_binds);
	vg_volume_info_free(&info);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(opts_binds),
		cmocka_unit_test(spec_ro),
		cmocka_unit_test_setup_teardown(is_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(containing, setup, teardown),
		cmocka_unit_test_setup_teardown(copy_up, setup, teardown),
		cmocka_unit_test_setup_teardown(recorded_ro_wins, setup, teardown),
	};
	if (geteuid() != 0) {
		printf("1..0 # SKIP volume ownership tests run as root\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
