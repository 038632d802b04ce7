/* inuse.c: files that still carry a released range's IDs, Docker's containers by ID and name,
 * runc's state. A temp dir stands in for the Docker root; chown needs root (skipped without). */
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

#include "config.h"
#include "inuse.h"

#define A 3221225472ULL /* a range far from any live process */
#define B (A + 65536)

static char root[] = "/tmp/vg-usage-XXXXXX";

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mk(const char *rel, uid_t uid, gid_t gid)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(lchown(p, uid, gid), 0);
}

static int setup(void **state)
{
	if (geteuid() != 0)
		return 0;
	assert_non_null(mkdtemp(root));
	mk("volumes", 0, 0);
	mk("volumes/a", 0, 0);
	mk("volumes/a/_data", A, A);
	mk("volumes/a/_data/x", A + 5, 0);
	mk("volumes/b", 0, 0);
	mk("volumes/b/_data", 0, (gid_t)(B + 1)); /* a GID counts too */
	mk("containers", 0, 0);
	mk("containers/id1", 0, 0);
	put("containers/id1/config.v2.json", "{\"Name\": \"/web\"}");
	mk("containers/id2", 0, 0);
	put("containers/id2/config.v2.json", "{not json");
	mk("runc", 0, 0);
	mk("runc/id3", 0, 0);
	put("runc/id3/state.json", "{}");
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	if (geteuid() != 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void config_here(struct vg_config *c)
{
	vg_config_init(c);
	free(c->docker_root);
	c->docker_root = strdup(root);
	c->volumes_root = malloc(strlen(root) + 16);
	sprintf(c->volumes_root, "%s/volumes", root);
}

static void owned_files(void **state)
{
	struct vg_config c;
	struct vg_error e = { 0 };
	struct vg_owned_files f[3] = { { .start = B, .count = 65536 },
				       { .start = A, .count = 65536 },
				       { .start = B + 65536, .count = 65536 } };
	char **lines;

	if (geteuid() != 0)
		skip();
	config_here(&c);
	assert_int_equal(vg_inuse_owned_files(&c, f, 3, &e), 0);
	assert_int_equal(f[1].n, 2);
	assert_string_equal(f[1].paths[0], "a/_data");
	assert_string_equal(f[1].paths[1], "a/_data/x");
	assert_int_equal(f[0].n, 1);
	assert_string_equal(f[0].paths[0], "b/_data");
	assert_int_equal(f[2].n, 0);
	lines = vg_owned_files_lines(&f[1], "web", c.volumes_root);
	assert_non_null(lines);
	assert_non_null(strstr(lines[0], "web: 2 entries under"));
	assert_string_equal(lines[1], "  a/_data");
	vg_strv_free(lines);
	assert_null(vg_owned_files_lines(&f[2], "none", c.volumes_root));
	vg_owned_files_free(f, 3);
	vg_config_free(&c);
}

static void users(void **state)
{
	struct vg_config c;
	struct vg_inuse u;
	struct vg_error e = { 0 };
	char why[512], runc[600], *name = NULL;

	if (geteuid() != 0)
		skip();
	config_here(&c);
	assert_int_equal(vg_inuse_load(&c, &u, &e), 0);
	assert_int_equal(u.n_cts, 2);
	assert_non_null(vg_inuse_container(&u, "id2")); /* unreadable: its ID still counts */
	assert_string_equal(vg_inuse_container_named(&u, "web")->id, "id1");
	assert_null(vg_inuse_container_named(&u, "db"));
	/* By the bound ID whatever the name, by the name whatever the ID. */
	assert_int_equal(vg_inuse_range_users(&u, "x", "id1", NULL, A, 65536, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "container web"));
	assert_int_equal(vg_inuse_range_users(&u, "web", "gone", NULL, A, 65536, why, sizeof(why)),
			 1);
	snprintf(runc, sizeof(runc), "%s/runc", root);
	assert_true(vg_inuse_runc_has(runc, "id3"));
	assert_false(vg_inuse_runc_has(runc, "id4"));
	assert_false(vg_inuse_runc_has(runc, "../runc"));
	assert_int_equal(vg_inuse_range_users(&u, "r", "id3", runc, A, 65536, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "runc still has state"));
	assert_int_equal(vg_inuse_range_users(&u, "r", "id4", runc, A, 65536, why, sizeof(why)), 0);
	/* Docker's files of one container. */
	assert_int_equal(vg_inuse_docker_container(&c, "id1", &name), 1);
	assert_string_equal(name, "web");
	free(name);
	assert_int_equal(vg_inuse_docker_container(&c, "id9", &name), 0);
	assert_null(name);
	vg_inuse_free(&u);
	vg_config_free(&c);
}

/* This test's own process is live: its UID is found when it lies in a range (as root: 0 is
 * below every range, so only a high supplementary group could match; none here). */
static void live_ids(void **state)
{
	struct vg_config c;
	struct vg_inuse u;
	struct vg_error e = { 0 };

	if (geteuid() != 0)
		skip();
	config_here(&c);
	assert_int_equal(vg_inuse_load(&c, &u, &e), 0);
	assert_null(vg_inuse_live(&u, 0, 65536)); /* IDs below 65536 are never collected */
	for (size_t i = 1; i < u.n_live; i++)
		assert_true(u.live[i - 1].id <= u.live[i].id);
	vg_inuse_free(&u);
	vg_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(owned_files),
		cmocka_unit_test(users),
		cmocka_unit_test(live_ids),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
