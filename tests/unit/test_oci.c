/* OCI config.json -> vg_container (oci.c): a real fixture and field errors. */
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
#include "gojson.h"

#define RUNNER "06f65102f22ef4c5f124af2a8f4dbe4c46ed896e0805739579d557a33fe8ce10"
#define SRC1   "848c7a40b0824d6f698c40a9cfc3cb9819976af89d2c52aa5827d254c9c81ed6"
#define USER2  "3fbb139df093a41b1dd4417318ce4d571464fd1eb768416ce9c48c4fe1072ad6"

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
	char *path = unit_fixture("oci/docker-runner.json");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(oci_docker_fixture),
		cmocka_unit_test(oci_bundle_dir_gives_id),
		cmocka_unit_test(oci_fields),
		cmocka_unit_test(oci_field_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
