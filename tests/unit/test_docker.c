/* Docker's on-disk container files (config.v2.json, hostconfig.json) -> vg_container, and the
 * lookup by name in the containers directory (docker.c). */
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
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "adapters.h"
#include "jsonutil.h"

#define RUNNER "06f65102f22ef4c5f124af2a8f4dbe4c46ed896e0805739579d557a33fe8ce10"
#define SRC1   "848c7a40b0824d6f698c40a9cfc3cb9819976af89d2c52aa5827d254c9c81ed6"
#define USER2  "3fbb139df093a41b1dd4417318ce4d571464fd1eb768416ce9c48c4fe1072ad6"

static char *fixture(const char *rel)
{
	const char *dir = getenv("VG_FIXTURES");
	return vg_asprintf("%s/%s", dir ? dir : "tests/fixtures", rel);
}

/* ---- Docker ---- */

static int load_pair(const char *id, struct vg_container *ct, struct vg_error *e)
{
	char *c = fixture("docker/containers/"), *p1 = vg_asprintf("%s%s/config.v2.json", c, id),
	     *p2 = vg_asprintf("%s%s/hostconfig.json", c, id);
	json_t *j1 = json_load_file(p1, 0, NULL), *j2 = json_load_file(p2, 0, NULL);
	int r;

	assert_non_null(j1);
	assert_non_null(j2);
	memset(ct, 0, sizeof(*ct));
	r = vg_docker_parse(j1, j2, ct, e);
	json_decref(j1);
	json_decref(j2);
	free(c);
	free(p1);
	free(p2);
	return r;
}

static void docker_fixtures(void **state)
{
	struct vg_container ct;
	struct vg_error e = { 0 };

	if (load_pair(SRC1, &ct, &e) < 0)
		fail_msg("%s", e.msg);
	assert_string_equal(ct.id, SRC1);
	assert_string_equal(ct.name, "src1");
	assert_string_equal(ct.user, "1000:1000");
	assert_string_equal(ct.image, "vgbox");
	assert_string_equal(vg_container_label(&ct, "a"), "b");
	assert_int_equal(ct.n_mounts, 3);
	assert_int_equal(ct.mounts[0].kind, VG_MOUNT_VOLUME);
	assert_string_equal(ct.mounts[0].source, "plain");
	assert_string_equal(ct.mounts[0].driver, "local");
	assert_false(ct.mounts[0].readonly);
	assert_int_equal(ct.mounts[1].kind, VG_MOUNT_BIND);
	assert_string_equal(ct.mounts[1].source, "/etc");
	assert_false(ct.mounts[1].readonly);
	assert_true(ct.mounts[2].readonly);
	assert_string_equal(ct.mounts[2].propagation, "rshared");
	assert_true(ct.privileged);
	assert_true(ct.host_pid);
	assert_false(ct.host_ipc);
	assert_string_equal(ct.cap_add[0], "CAP_NET_ADMIN");
	assert_string_equal(ct.devices[0], "/dev/null");
	assert_string_equal(ct.runtime, "runc");
	assert_true(ct.volumes_from_resolved);
	vg_container_free(&ct);

	if (load_pair(USER2, &ct, &e) < 0)
		fail_msg("%s", e.msg);
	assert_string_equal(ct.volumes_from[0], "src1:ro");
	assert_int_equal(ct.n_mounts, 4); /* its own two and src1's, all read-only */
	for (size_t i = 0; i < ct.n_mounts; i++)
		assert_true(ct.mounts[i].readonly);
	assert_true(ct.host_net && ct.host_ipc && ct.host_uts && ct.host_userns);
	assert_false(ct.privileged);
	vg_container_free(&ct);
}

static void docker_field_errors(void **state)
{
	static const struct {
		const char *cfg, *hc, *msg;
	} cases[] = {
		{ "[]", "{}", "config.v2.json: not a JSON object" },
		{ "{\"Name\":1}", "{}", "config.v2.json.Name: not a string" },
		{ "{\"MountPoints\":{\"/x\":{\"RW\":\"yes\"}}}", "{}",
		  "config.v2.json: MountPoints[\"/x\"].RW: not a boolean" },
		{ "{\"MountPoints\":{\"/x\":1}}", "{}",
		  "config.v2.json: MountPoints[\"/x\"]: not an object" },
		{ "{\"Config\":{\"Labels\":{\"a\":2}}}", "{}",
		  "config.v2.json: Config.Labels.a: not a string" },
		{ "{}", "{\"Privileged\":\"true\"}", "hostconfig.json.Privileged: not a boolean" },
		{ "{}", "{\"PidMode\":1}", "hostconfig.json.PidMode: not a string" },
		{ "{}", "{\"CapAdd\":[\"A\",2]}", "hostconfig.json: CapAdd[1]: not a string" },
		{ "{}", "{\"Devices\":[{}]}", "hostconfig.json: Devices[0].PathOnHost: missing" },
		{ "{}", "{\"privileged\":true,\"Privileged\":false}",
		  "hostconfig.json: \"privileged\" and \"Privileged\" both given" },
	};

	for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
		json_t *a = json_loads(cases[i].cfg, 0, NULL),
		       *b = json_loads(cases[i].hc, 0, NULL);
		struct vg_container ct = { 0 };
		struct vg_error e = { 0 };
		assert_true(vg_docker_parse(a, b, &ct, &e) < 0);
		if (strcmp(e.msg, cases[i].msg) != 0)
			fail_msg("case %zu: got '%s', expected '%s'", i, e.msg, cases[i].msg);
		vg_container_free(&ct);
		json_decref(a);
		json_decref(b);
	}
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "re"), *out = fopen(to, "we");
	size_t n;

	assert_non_null(in);
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

static void docker_lookup(void **state)
{
	static const char *const ids[] = { SRC1, USER2, RUNNER };
	char tmpl[] = "/tmp/vgpol-docker.XXXXXX";
	char *root = mkdtemp(tmpl), *cdir;
	struct vg_config c;
	struct vg_container ct = { 0 };
	struct vg_error e = { 0 };

	assert_non_null(root);
	vg_config_init(&c);
	free(c.docker_root);
	c.docker_root = vg_strdup(root);
	cdir = vg_asprintf("%s/containers", root);
	assert_int_equal(mkdir(cdir, 0700), 0);
	for (size_t i = 0; i < VG_ARRAY_SIZE(ids); i++) {
		char *d = vg_asprintf("%s/%s", cdir, ids[i]);
		assert_int_equal(mkdir(d, 0700), 0);
		for (int k = 0; k < 2; k++) {
			const char *f = k ? "hostconfig.json" : "config.v2.json";
			char *rel = vg_asprintf("docker/containers/%s/%s", ids[i], f);
			char *from = fixture(rel), *to = vg_asprintf("%s/%s", d, f);
			copy_file(from, to);
			free(rel);
			free(from);
			free(to);
		}
		free(d);
	}
	static const struct {
		const char *key, *id;
	} ok[] = { { SRC1, SRC1 },
		   { "src1", SRC1 },
		   { "/user2", USER2 },
		   { "06f6", RUNNER },
		   { "runner", RUNNER } };
	for (size_t i = 0; i < VG_ARRAY_SIZE(ok); i++) {
		if (vg_docker_load(&c, ok[i].key, &ct, &e) < 0)
			fail_msg("%s: %s", ok[i].key, e.msg);
		assert_string_equal(ct.id, ok[i].id);
		vg_container_free(&ct);
	}
	/* A second container whose ID starts like src1's makes the prefix ambiguous. */
	{
		char *d = vg_asprintf("%s/848c%060d", cdir, 0);
		assert_int_equal(mkdir(d, 0700), 0);
		assert_true(vg_docker_load(&c, "848c", &ct, &e) < 0);
		assert_non_null(strstr(e.msg, "ambiguous"));
		vg_container_free(&ct);
		assert_int_equal(vg_docker_load(&c, "848c7", &ct, &e), 0);
		vg_container_free(&ct);
		rmdir(d);
		free(d);
	}
	assert_int_equal(vg_docker_load(&c, "nosuch", &ct, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "no such container: nosuch"));
	vg_container_free(&ct);
	assert_int_equal(vg_docker_load(&c, "a/b", &ct, &e), -EINVAL);
	vg_container_free(&ct);
	assert_int_equal(vg_docker_load(&c, "", &ct, &e), -EINVAL);
	vg_container_free(&ct);
	/* The lookup callback is the same loader. */
	assert_int_equal(vg_docker_lookup("src1", &ct, &c, &e), 0);
	assert_string_equal(ct.name, "src1");
	vg_container_free(&ct);

	char *cmd = vg_asprintf("rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(cdir);
	vg_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(docker_fixtures),
		cmocka_unit_test(docker_field_errors),
		cmocka_unit_test(docker_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
