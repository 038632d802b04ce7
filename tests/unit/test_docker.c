/* docker.c, the one reader of Docker's files: the walk over containers/, the file rule (regular,
 * no symlink, no FIFO, duplicate keys refused), Go's key matching, the typed readers, daemon.json.
 * A temp dir stands in for the Docker root. */
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
#include "docker.h"
#include "gojson.h"

static char root[] = "/tmp/vg-docker-XXXXXX";

static void put(const char *rel, const char *text)
{
	char *p = vg_asprintf("%s/%s", root, rel);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static void mk(const char *rel)
{
	char *p = vg_asprintf("%s/%s", root, rel);

	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
}

static int open_dir(const char *rel)
{
	char *p = vg_asprintf("%s/%s", root, rel);
	int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);

	free(p);
	assert_true(fd >= 0);
	return fd;
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	char *cmd = vg_asprintf("rm -rf '%s'", root);

	(void)state;
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return 0;
}

struct seen {
	int dirs, others;
	char names[8][80];
};

static int count(const struct vg_docker_entry *ent, void *data)
{
	struct seen *s = data;

	snprintf(s->names[s->dirs + s->others], sizeof(s->names[0]), "%s", ent->dir);
	if (ent->dir_fd >= 0)
		s->dirs++;
	else
		s->others++;
	return 0;
}

static void foreach_container(void **state)
{
	struct vg_error e = { 0 };
	struct seen s = { 0 };
	char *link;

	(void)state;
	assert_int_equal(vg_docker_foreach_container(root, count, &s, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "/containers: cannot open"));
	mk("containers");
	mk("containers/aaa");
	mk("containers/bbb");
	mk("containers/.hidden");
	put("containers/file", "");
	link = vg_asprintf("%s/containers/link", root);
	assert_int_equal(symlink("aaa", link), 0);
	free(link);
	assert_int_equal(vg_docker_foreach_container(root, count, &s, &e), 0);
	assert_int_equal(s.dirs, 2);   /* aaa, bbb */
	assert_int_equal(s.others, 2); /* the file and the symlink: given, without a dir_fd */
}

static void read_json_rule(void **state)
{
	struct vg_error e = { 0 };
	json_t *j = NULL;
	int d, line = 0;
	char *fifo;

	(void)state;
	mk("containers/c1");
	d = open_dir("containers/c1");
	put("containers/c1/config.v2.json", "{\"Name\":\"/a\",\"Name\":\"/b\"}");
	assert_int_equal(vg_docker_read_json(d, "config.v2.json", "cfg", &j, &line, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "duplicate"));
	assert_int_equal(line, 1);
	put("containers/c1/config.v2.json", "[1]");
	assert_int_equal(vg_docker_read_json(d, "config.v2.json", "cfg", &j, &line, &e), -EINVAL);
	assert_string_equal(e.msg, "cfg: not a JSON object");
	put("containers/c1/config.v2.json", "{\n\"Name\":\n");
	assert_int_equal(vg_docker_read_json(d, "config.v2.json", "cfg", &j, &line, &e), -EINVAL);
	assert_int_equal(line, 3);
	assert_int_equal(symlinkat("/etc/passwd", d, "hostconfig.json"), 0);
	assert_int_equal(vg_docker_read_json(d, "hostconfig.json", "hc", &j, &line, &e), -ELOOP);
	assert_int_equal(line, 0);
	unlinkat(d, "hostconfig.json", 0);
	fifo = vg_asprintf("%s/containers/c1/hostconfig.json", root);
	assert_int_equal(mkfifo(fifo, 0600), 0); /* refused without blocking */
	assert_int_equal(vg_docker_read_json(d, "hostconfig.json", "hc", &j, NULL, &e), -EINVAL);
	assert_string_equal(e.msg, "hc: not a regular file");
	unlink(fifo);
	free(fifo);
	assert_null(j);
	close(d);
}

static void key_matching(void **state)
{
	struct vg_error e = { 0 };
	char *name = NULL, **labels = NULL;
	json_t *j;

	(void)state;
	/* Go's decoder matches keys case-insensitively: so does the reader. */
	j = json_loads("{\"name\":\"/web\",\"config\":{\"labels\":{\"com.docker.compose.project\":"
		       "\"shop\",\"a\":\"b\"}}}",
		       0, NULL);
	assert_int_equal(vg_docker_name(j, &name, &e), 0);
	assert_string_equal(name, "web");
	assert_int_equal(vg_docker_labels(j, &labels, &e), 0);
	assert_int_equal(vg_strv_length(labels), 2);
	assert_true(vg_strv_contains(labels, "com.docker.compose.project=shop"));
	free(name);
	vg_strv_free(labels);
	json_decref(j);
	/* Two keys Go reads as one field: which one dockerd takes is not ours to guess. */
	j = json_loads("{\"Name\":\"/a\",\"name\":\"/b\"}", 0, NULL);
	assert_true(vg_docker_name(j, &name, &e) < 0);
	assert_null(name);
	json_decref(j);
	/* Not a valid name: none. */
	j = json_loads("{\"Name\":\"/-x\"}", 0, NULL);
	assert_int_equal(vg_docker_name(j, &name, &e), 0);
	assert_null(name);
	json_decref(j);
	j = json_loads("{\"NetworkMode\":\"default\",\"ipcmode\":\"container:db\"}", 0, NULL);
	name = vg_docker_join_target(j);
	assert_string_equal(name, "db");
	free(name);
	json_decref(j);
}

static void container_and_name(void **state)
{
	struct vg_container ct = { 0 };
	struct vg_error e = { 0 };
	char *name = NULL;
	int d;

	(void)state;
	mk("containers/c2");
	put("containers/c2/config.v2.json", "{\"Name\":\"/api\",\"Config\":{\"User\":\"1000\"},"
					    "\"MountPoints\":{\"/d\":{\"Type\":\"volume\","
					    "\"Name\":\"data\",\"RW\":false}}}");
	put("containers/c2/hostconfig.json", "{\"Privileged\":true}");
	d = open_dir("containers/c2");
	assert_int_equal(vg_docker_read_container(d, "c2", "C2", &ct, &e), 0);
	assert_string_equal(ct.id, "c2"); /* the directory: config.v2.json has no ID */
	assert_string_equal(ct.name, "api");
	assert_string_equal(ct.user, "1000");
	assert_true(ct.privileged);
	assert_int_equal(ct.n_mounts, 1);
	assert_int_equal(ct.mounts[0].kind, VG_MOUNT_VOLUME);
	assert_string_equal(ct.mounts[0].source, "data");
	assert_true(ct.mounts[0].readonly);
	vg_container_free(&ct);
	name = vg_docker_read_name(d);
	assert_string_equal(name, "api");
	free(name);
	close(d);
	assert_int_equal(vg_docker_has_container(root, "c2", &name), 1);
	assert_string_equal(name, "api");
	free(name);
	assert_int_equal(vg_docker_has_container(root, "nosuch", &name), 0);
	assert_null(name);
	assert_true(vg_docker_has_config(root, "c2"));
	assert_false(vg_docker_has_config(root, "../c2"));
}

static void daemon_json(void **state)
{
	struct vg_error e = { 0 };
	char *p = vg_asprintf("%s/daemon.json", root);
	json_t *j = NULL;
	int line = 0;

	(void)state;
	assert_int_equal(vg_docker_daemon_read(p, &j, &line, &e), -ENOENT);
	put("daemon.json", "{\"Userns-Remap\":\"default\"}");
	assert_int_equal(vg_docker_daemon_read(p, &j, &line, &e), 0);
	assert_string_equal(json_string_value(vg_docker_daemon_get(j, "userns-remap")), "default");
	json_decref(j);
	put("daemon.json", "{\"userns-remap\":\"a\",\"userns-remap\":\"b\"}");
	assert_int_equal(vg_docker_daemon_read(p, &j, &line, &e), -EINVAL);
	assert_int_equal(line, 1);
	free(p);
}

/* ---- config.v2.json and hostconfig.json into a vg_container; the lookup by name ---- */

#define RUNNER "06f65102f22ef4c5f124af2a8f4dbe4c46ed896e0805739579d557a33fe8ce10"
#define SRC1   "848c7a40b0824d6f698c40a9cfc3cb9819976af89d2c52aa5827d254c9c81ed6"
#define USER2  "3fbb139df093a41b1dd4417318ce4d571464fd1eb768416ce9c48c4fe1072ad6"

/* ---- Docker ---- */

static int load_pair(const char *id, struct vg_container *ct, struct vg_error *e)
{
	char *c = unit_fixture("docker/containers/"),
	     *p1 = vg_asprintf("%s%s/config.v2.json", c, id),
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
	char *droot = mkdtemp(tmpl), *cdir;
	struct vg_config c;
	struct vg_container ct = { 0 };
	struct vg_error e = { 0 };

	assert_non_null(droot);
	vg_config_init(&c);
	free(c.docker_root);
	c.docker_root = vg_strdup(droot);
	cdir = vg_asprintf("%s/containers", droot);
	assert_int_equal(mkdir(cdir, 0700), 0);
	for (size_t i = 0; i < VG_ARRAY_SIZE(ids); i++) {
		char *d = vg_asprintf("%s/%s", cdir, ids[i]);
		assert_int_equal(mkdir(d, 0700), 0);
		for (int k = 0; k < 2; k++) {
			const char *f = k ? "hostconfig.json" : "config.v2.json";
			char *rel = vg_asprintf("docker/containers/%s/%s", ids[i], f);
			char *from = unit_fixture(rel), *to = vg_asprintf("%s/%s", d, f);
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

	char *cmd = vg_asprintf("rm -rf '%s'", droot);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(cdir);
	vg_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(foreach_container),   cmocka_unit_test(read_json_rule),
		cmocka_unit_test(key_matching),	       cmocka_unit_test(container_and_name),
		cmocka_unit_test(daemon_json),	       cmocka_unit_test(docker_fixtures),
		cmocka_unit_test(docker_field_errors), cmocka_unit_test(docker_lookup),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
