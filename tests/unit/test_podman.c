/* podman.c: a Podman container's name from containers/storage's record beside its bundle;
 * bundles of another layout are not Podman's; an untrusted or malformed record is an error. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "podman.h"

#define ID "6d11c81f2e66a972845399d87fb2b83d569c81d97d3cbdf8140a2e110a796f1b"

static char root[] = "/tmp/vg-podman-XXXXXX";
static char bundle[512];

static void records(const char *text, mode_t mode)
{
	char p[600];
	FILE *f;

	snprintf(p, sizeof(p), "%s/vfs-containers/containers.json", root);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
}

static int setup(void **state)
{
	char p[600];

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/vfs-containers", root);
	assert_int_equal(mkdir(p, 0711), 0);
	snprintf(p, sizeof(p), "%s/vfs-containers/" ID, root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(bundle, sizeof(bundle), "%s/vfs-containers/" ID "/userdata", root);
	assert_int_equal(mkdir(bundle, 0700), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void names_from_the_record(void **state)
{
	struct vg_error e = { 0 };
	char *name = NULL;

	(void)state;
	records("[{\"id\":\"other\",\"names\":[\"x\"]},{\"id\":\"" ID
		"\",\"names\":[\"web\",\"w2\"]}]",
		0600);
	assert_int_equal(vg_podman_name(bundle, ID, &name, &e), 1);
	assert_string_equal(name, "web");
	free(name);
}

static void other_layouts_are_not_podmans(void **state)
{
	struct vg_error e = { 0 };
	char *name = NULL, p[600];

	(void)state;
	records("[{\"id\":\"" ID "\",\"names\":[\"web\"]}]", 0600);
	/* no userdata, another ID than the bundle's, not a -containers directory */
	snprintf(p, sizeof(p), "%s/vfs-containers/" ID, root);
	assert_int_equal(vg_podman_name(p, ID, &name, &e), 0);
	assert_int_equal(vg_podman_name(bundle, "abc", &name, &e), 0);
	assert_int_equal(vg_podman_name("/run/containerd/io.containerd.runtime.v2.task/default/" ID,
					ID, &name, &e),
			 0);
	assert_int_equal(vg_podman_name(bundle, "../x", &name, &e), 0);
	assert_null(name);
	/* a record without this ID, or without names */
	records("[{\"id\":\"" ID "\"}]", 0600);
	assert_int_equal(vg_podman_name(bundle, ID, &name, &e), 0);
	assert_null(name);
}

static void untrusted_or_malformed_records(void **state)
{
	struct vg_error e = { 0 };
	char *name = NULL;

	(void)state;
	records("[{\"id\":\"" ID "\",\"names\":[\"web\"]}]", 0666);
	assert_int_equal(vg_podman_name(bundle, ID, &name, &e), -EPERM);
	assert_non_null(strstr(e.msg, "containers.json"));
	records("{\"id\":1}", 0600);
	assert_true(vg_podman_name(bundle, ID, &name, &e) < 0);
	records("[{\"id\":\"" ID "\",\"names\":[\"../etc\"]}]", 0600);
	assert_int_equal(vg_podman_name(bundle, ID, &name, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "names[0]"));
	records("[{\"id\":", 0600);
	assert_true(vg_podman_name(bundle, ID, &name, &e) < 0);
	assert_null(name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_from_the_record),
		cmocka_unit_test(other_layouts_are_not_podmans),
		cmocka_unit_test(untrusted_or_malformed_records),
	};

	if (geteuid() != 0) {
		printf("1..0 # SKIP the record must be root's: run as root\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
