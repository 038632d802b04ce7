/* OCI config.json and Docker's on-disk files -> vg_container: real fixtures and field errors. */
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

static int parse_text(const char *text, struct vg_container *ct, struct vg_error *e)
{
	json_t *j = NULL;
	int r;

	memset(ct, 0, sizeof(*ct));
	memset(e, 0, sizeof(*e));
	r = vg_json_load_buf(text, strlen(text), "config.json", &j, e);
	if (r == 0)
		r = vg_oci_parse(j, "config.json", ct, e);
	json_decref(j);
	return r;
}

#define OCI_BAD(text, want)                                                                        \
	do {                                                                                       \
		struct vg_container _c;                                                            \
		struct vg_error _e;                                                                \
		assert_true(parse_text(text, &_c, &_e) < 0);                                       \
		if (strcmp(_e.msg, want) != 0)                                                     \
			fail_msg("got '%s', expected '%s'", _e.msg, want);                         \
		vg_container_free(&_c);                                                            \
	} while (0)

static void oci_docker_fixture(void **state)
{
	char *path = fixture("oci/docker-runner.json");
	struct vg_container ct = { 0 };
	struct vg_error e = { 0 };
	json_t *spec = NULL;

	if (vg_oci_load(path, &ct, &spec, &e) < 0)
		fail_msg("%s", e.msg);
	assert_non_null(spec);
	assert_true(ct.oci);
	assert_int_equal(ct.n_mounts, 12);
	assert_int_equal(ct.mounts[0].kind, VG_MOUNT_OTHER); /* proc */
	assert_int_equal(ct.mounts[1].kind, VG_MOUNT_TMPFS); /* /dev */
	assert_int_equal(ct.mounts[7].kind, VG_MOUNT_BIND);  /* the plain volume's _data */
	assert_false(ct.mounts[7].readonly);
	assert_false(ct.mounts[7].nonrecursive); /* rbind */
	assert_string_equal(ct.mounts[8].destination, "/h");
	assert_true(ct.mounts[8].readonly);
	assert_string_equal(ct.mounts[8].propagation, "rprivate");
	assert_string_equal(ct.mounts[8].origin, "mounts[8]");
	assert_true(ct.has_uid);
	assert_int_equal(ct.uid, 0);
	assert_int_equal(ct.n_additional_gids, 1);
	assert_false(ct.host_pid || ct.host_ipc || ct.host_net || ct.host_uts);
	assert_true(ct.host_cgroupns); /* no cgroup namespace in the list */
	assert_false(ct.privileged);
	assert_null(ct.cap_add); /* Docker's defaults only */
	json_decref(spec);
	vg_container_free(&ct);
	free(path);
}

static void oci_bundle_dir_gives_id(void **state)
{
	char tmpl[] = "/tmp/vgpol-oci.XXXXXX";
	char *dir = mkdtemp(tmpl), *b, *cfg;
	struct vg_container ct = { 0 };
	struct vg_error e = { 0 };
	FILE *f;

	assert_non_null(dir);
	b = vg_asprintf("%s/" RUNNER, dir);
	assert_int_equal(mkdir(b, 0700), 0);
	cfg = vg_asprintf("%s/config.json", b);
	f = fopen(cfg, "we");
	assert_non_null(f);
	fputs("{\"mounts\":[{\"destination\":\"/x\",\"source\":\"rel\",\"options\":[\"bind\"]}]}",
	      f);
	fclose(f);
	if (vg_oci_load(b, &ct, NULL, &e) < 0)
		fail_msg("%s", e.msg);
	assert_string_equal(ct.id, RUNNER);
	assert_string_equal(ct.bundle, b);
	assert_true(ct.mounts[0].nonrecursive);
	assert_int_equal(ct.mounts[0].kind, VG_MOUNT_BIND);
	vg_container_free(&ct);
	assert_true(vg_oci_load(dir, &ct, NULL, &e) < 0); /* no config.json */
	assert_non_null(strstr(e.msg, "config.json: cannot open"));
	vg_container_free(&ct);
	unlink(cfg);
	rmdir(b);
	rmdir(dir);
	free(cfg);
	free(b);
}

static void oci_fields(void **state)
{
	struct vg_container ct;
	struct vg_error e;

	assert_int_equal(
	    parse_text("{\"mounts\":[{\"destination\":\"/a\",\"type\":\"none\","
		       "\"source\":\"/s\",\"options\":[\"rbind\",\"ro\",\"rw\"]},"
		       "{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"/s\","
		       "\"options\":[\"rro\",\"rshared\"]}],"
		       "\"process\":{\"user\":{\"uid\":1000,\"gid\":100,"
		       "\"additionalGids\":[5,6]},\"capabilities\":{\"bounding\":"
		       "[\"CAP_CHOWN\",\"CAP_NET_ADMIN\"],\"effective\":[\"CAP_NET_ADMIN\"]}},"
		       "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\","
		       "\"path\":\"/proc/1/ns/net\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
		       "{\"type\":\"cgroup\"},{\"type\":\"mount\"}],"
		       "\"uidMappings\":[{\"containerID\":0,\"hostID\":1073741824,"
		       "\"size\":65536}],\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\","
		       "\"major\":10,\"minor\":229}],\"resources\":{\"devices\":[{\"allow\":"
		       "false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":1,"
		       "\"minor\":3,\"access\":\"rwm\"},{\"allow\":true}]}},"
		       "\"annotations\":{\"volguard.isolation\":\"off\"}}",
		       &ct, &e),
	    0);
	assert_int_equal(ct.mounts[0].kind, VG_MOUNT_BIND); /* options say bind */
	assert_false(ct.mounts[0].readonly);		    /* the last of ro/rw wins */
	assert_true(ct.mounts[1].readonly && ct.mounts[1].recursive_ro);
	assert_string_equal(ct.mounts[1].propagation, "rshared");
	assert_int_equal(ct.uid, 1000);
	assert_int_equal(ct.gid, 100);
	assert_int_equal(ct.n_additional_gids, 2);
	assert_int_equal(ct.additional_gids[1], 6);
	assert_string_equal(ct.cap_add[0], "CAP_NET_ADMIN");
	assert_null(ct.cap_add[1]);
	assert_true(ct.host_net);
	assert_false(ct.host_pid || ct.host_ipc || ct.host_uts || ct.host_cgroupns);
	assert_true(ct.has_uidmap);
	assert_int_equal(ct.uidmap_host, 1073741824);
	assert_int_equal(ct.uidmap_size, 65536);
	assert_null(ct.devices); /* the container's path: judged by its number instead */
	assert_string_equal(ct.device_nodes[0], "c 10:229 /dev/fuse");
	assert_string_equal(ct.device_rules[0], "c 1:3 rwm"); /* deny entries are not rules */
	assert_string_equal(ct.device_rules[1], "a *:* rwm"); /* runc's reading of {} */
	assert_null(ct.device_rules[2]);
	assert_string_equal(vg_container_label(&ct, "volguard.isolation"), "off");
	vg_container_free(&ct);

	/* runc reads keys case-insensitively (Go): so do we, and ambiguity is refused. */
	assert_int_equal(parse_text("{\"MOUNTS\":[{\"Destination\":\"/a\",\"SOURCE\":\"/etc\","
				    "\"Type\":\"bind\"}]}",
				    &ct, &e),
			 0);
	assert_int_equal(ct.n_mounts, 1);
	assert_string_equal(ct.mounts[0].source, "/etc");
	vg_container_free(&ct);
	assert_int_equal(parse_text("{\"mount\xc5\xbf\":[{\"destination\":\"/a\"}]}", &ct, &e), 0);
	assert_int_equal(ct.n_mounts, 1); /* U+017F folds to 's' in Go */
	vg_container_free(&ct);
	OCI_BAD("{\"mounts\":[],\"Mounts\":[{\"destination\":\"/a\"}]}",
		"config.json: \"mounts\" and \"Mounts\" differ only in case: runc reads them as "
		"one field");
	/* Anywhere in a struct, even in a field volguard does not read; the path is named. */
	OCI_BAD("{\"process\":{\"user\":{\"uid\":1},\"User\":{\"uid\":0}}}",
		"config.json: process: \"user\" and \"User\" differ only in case: runc reads "
		"them as one field");
	OCI_BAD("{\"linux\":{\"seccomp\":{\"syscalls\":[{\"names\":[],\"Names\":[]}]}}}",
		"config.json: linux.seccomp.syscalls[0]: \"names\" and \"Names\" differ only in "
		"case: runc reads them as one field");
	OCI_BAD("{\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}}}",
		"config.json: linux.resources.devices[0].type: not a, b or c");
	OCI_BAD("{\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\"}]}}",
		"config.json: linux.devices[0].major: not a device number");
	/* Maps are Go maps: their keys are data and may differ only in case. */
	{
		struct vg_container m;
		struct vg_error me;
		assert_int_equal(parse_text("{\"annotations\":{\"a\":\"1\",\"A\":\"2\"},"
					    "\"linux\":{\"sysctl\":{\"k\":\"1\",\"K\":\"2\"}}}",
					    &m, &me),
				 0);
		vg_container_free(&m);
	}
	/* A namespace joined by a path to our own (the host's) namespace is the host's. */
	assert_int_equal(parse_text("{\"linux\":{\"namespaces\":[{\"type\":\"pid\","
				    "\"path\":\"/proc/self/ns/pid\"},{\"type\":\"ipc\","
				    "\"path\":\"/nonexistent\"},{\"type\":\"network\"},"
				    "{\"type\":\"uts\"},{\"type\":\"cgroup\"}]}}",
				    &ct, &e),
			 0);
	assert_true(ct.host_pid);
	assert_false(ct.host_ipc || ct.host_net);
	vg_container_free(&ct);
	/* No linux section: every namespace is the host's. */
	assert_int_equal(parse_text("{}", &ct, &e), 0);
	assert_true(ct.host_pid && ct.host_net);
	vg_container_free(&ct);
	/* null is absent */
	assert_int_equal(parse_text("{\"mounts\":null,\"process\":null}", &ct, &e), 0);
	vg_container_free(&ct);
}

static void oci_field_errors(void **state)
{
	OCI_BAD("[]", "config.json: not a JSON object");
	OCI_BAD("{\"mounts\":{}}", "config.json: mounts: not an array");
	OCI_BAD("{\"mounts\":[1]}", "config.json: mounts[0]: not an object");
	OCI_BAD("{\"mounts\":[{\"destination\":\"/a\"},{\"destination\":\"/"
		"b\",\"options\":[\"ro\",3]}]}",
		"config.json: mounts[1].options[1]: not a string");
	OCI_BAD("{\"mounts\":[{\"source\":\"/a\"}]}",
		"config.json: mounts[0].destination: missing");
	OCI_BAD("{\"mounts\":[{\"destination\":7}]}",
		"config.json: mounts[0].destination: not a string");
	OCI_BAD("{\"mounts\":[{\"destination\":\"/a\\u0000b\"}]}",
		"config.json: mounts[0].destination: contains a NUL byte");
	OCI_BAD("{\"process\":{\"user\":{\"uid\":-1}}}",
		"config.json: process.user.uid: not an integer from 0 to 4294967295");
	OCI_BAD("{\"process\":{\"user\":{\"uid\":4294967296}}}",
		"config.json: process.user.uid: not an integer from 0 to 4294967295");
	OCI_BAD("{\"process\":{\"user\":{\"additionalGids\":[1,\"x\"]}}}",
		"config.json: process.user.additionalGids[1]: not an integer from 0 to 4294967295");
	OCI_BAD("{\"process\":{\"capabilities\":{\"bounding\":[1]}}}",
		"config.json: process.capabilities.bounding[0]: not a string");
	OCI_BAD("{\"linux\":{\"namespaces\":[{}]}}",
		"config.json: linux.namespaces[0].type: missing");
	OCI_BAD(
	    "{\"linux\":{\"uidMappings\":[{\"containerID\":\"0\"}]}}",
	    "config.json: linux.uidMappings[0].containerID: not an integer from 0 to 4294967295");
	OCI_BAD("{\"annotations\":{\"a\":1}}", "config.json: annotations.a: not a string");
	OCI_BAD("{\"mounts\":[], \"mounts\":[]}",
		"config.json: line 1, column 22: duplicate object key near '\"mounts\"'");
	OCI_BAD("{\"mounts\":[", "config.json: line 1, column 11: ']' expected near end of file");
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
		cmocka_unit_test(oci_docker_fixture), cmocka_unit_test(oci_bundle_dir_gives_id),
		cmocka_unit_test(oci_fields),	      cmocka_unit_test(oci_field_errors),
		cmocka_unit_test(docker_fixtures),    cmocka_unit_test(docker_field_errors),
		cmocka_unit_test(docker_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
