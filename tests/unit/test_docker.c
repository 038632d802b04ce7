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

#include "docker.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(foreach_container), cmocka_unit_test(read_json_rule),
		cmocka_unit_test(key_matching),	     cmocka_unit_test(container_and_name),
		cmocka_unit_test(daemon_json),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
