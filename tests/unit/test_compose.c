/* Compose files: variables, extends, merge keys, errors with their line, an alias bomb. */
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

#include "compose.h"

static char *const test_env[] = { "TAG=1.2", "EMPTY=", "ROOT=/etc", "HOME=/home/u", NULL };

static int parse(const char *yaml, struct vg_compose *p, struct vg_error *e)
{
	struct vg_compose_opts o = { .project = "demo", .env = test_env };

	memset(e, 0, sizeof(*e));
	return vg_compose_parse(yaml, strlen(yaml), "/nonexistent/dir/compose.yml", &o, p, e);
}

#define OK(p, yaml)                                                                                \
	do {                                                                                       \
		struct vg_error _e;                                                                \
		if (parse(yaml, p, &_e) < 0)                                                       \
			fail_msg("parse failed: %s", _e.msg);                                      \
	} while (0)

#define BAD(substr, yaml)                                                                          \
	do {                                                                                       \
		struct vg_compose _p;                                                              \
		struct vg_error _e;                                                                \
		assert_true(parse(yaml, &_p, &_e) < 0);                                            \
		if (!strstr(_e.msg, substr))                                                       \
			fail_msg("'%s' does not say '%s'", _e.msg, substr);                        \
	} while (0)

static const struct vg_compose_service *svc(const struct vg_compose *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return &p->v[i];
	fail_msg("no service %s", name);
	return NULL;
}

static void basics(void **state)
{
	struct vg_compose p;
	const struct vg_compose_service *s;

	OK(&p, "services:\n"
	       "  web:\n"
	       "    image: nginx\n"
	       "    user: '1000:1000'\n"
	       "    network_mode: none\n"
	       "    read_only: true\n"
	       "    cap_add: [NET_ADMIN]\n"
	       "    devices: ['/dev/fuse:/dev/fuse']\n"
	       "    device_cgroup_rules: ['c 10:229 rwm']\n"
	       "    tmpfs: /run\n"
	       "    labels: {a: b, volguard.isolation: 'off'}\n"
	       "    volumes:\n"
	       "      - data:/data:ro\n"
	       "      - /anon\n"
	       "      - ./conf:/conf\n"
	       "      - ~/x:/x\n"
	       "  worker:\n"
	       "    image: w\n"
	       "    scale: 3\n"
	       "    privileged: yes\n"
	       "    pid: host\n"
	       "volumes:\n"
	       "  data:\n");
	assert_string_equal(p.project, "demo");
	assert_int_equal(p.n, 2);
	s = svc(&p, "web");
	assert_string_equal(s->container, "demo_web_1");
	assert_string_equal(s->ct.name, "demo_web_1");
	assert_string_equal(s->ct.image, "nginx");
	assert_string_equal(s->ct.user, "1000:1000");
	assert_string_equal(s->where, "/nonexistent/dir/compose.yml:2:3");
	assert_string_equal(s->ct.cap_add[0], "NET_ADMIN");
	assert_string_equal(s->ct.devices[0], "/dev/fuse");
	assert_string_equal(s->ct.device_rules[0], "c 10:229 rwm");
	assert_string_equal(vg_container_label(&s->ct, "com.docker.compose.project"), "demo");
	assert_string_equal(vg_container_label(&s->ct, "com.docker.compose.service"), "web");
	assert_string_equal(vg_container_label(&s->ct, "volguard.isolation"), "off");
	assert_string_equal(vg_container_label(&s->ct, "a"), "b");
	assert_int_equal(s->ct.n_mounts, 5);
	assert_int_equal(s->ct.mounts[0].kind, VG_MOUNT_TMPFS);
	assert_int_equal(s->ct.mounts[1].kind, VG_MOUNT_VOLUME);
	assert_string_equal(s->ct.mounts[1].source, "demo_data"); /* the project's volume */
	assert_true(s->ct.mounts[1].readonly);
	assert_int_equal(s->ct.mounts[2].kind, VG_MOUNT_VOLUME);
	assert_null(s->ct.mounts[2].source);
	assert_int_equal(s->ct.mounts[3].kind, VG_MOUNT_BIND);
	assert_string_equal(s->ct.mounts[3].source, "/nonexistent/dir/conf");
	assert_string_equal(s->ct.mounts[4].source, "/home/u/x");
	assert_non_null(strstr(s->ct.mounts[1].origin, "compose.yml:13:9"));
	assert_int_equal(s->replicas, 1);
	s = svc(&p, "worker");
	assert_int_equal(s->replicas, 3);
	assert_true(s->ct.privileged);
	assert_true(s->ct.host_pid);
	vg_compose_free(&p);
}

static void variables(void **state)
{
	struct vg_compose p;
	const struct vg_compose_service *s;

	OK(&p, "services:\n"
	       "  a:\n"
	       "    image: img:$TAG-${TAG}-$$HOME\n"
	       "    user: ${NOPE:-7}:${EMPTY:-8}:${EMPTY-9}:${NOPE-10}\n"
	       "    volumes: ['${ROOT}:/x:ro', '${NOPE:-/srv}:/y']\n");
	s = svc(&p, "a");
	assert_string_equal(s->ct.image, "img:1.2-1.2-$HOME");
	assert_string_equal(s->ct.user, "7:8::10");
	assert_string_equal(s->ct.mounts[0].source, "/etc");
	assert_string_equal(s->ct.mounts[1].source, "/srv");
	vg_compose_free(&p);

	BAD("compose.yml:3:12: required variable NOPE is missing a value: give it",
	    "services:\n  a:\n    image: ${NOPE:?give it}\n");
	BAD("required variable EMPTY is missing a value: e",
	    "services:\n  a:\n    image: ${EMPTY:?e}\n");
	OK(&p, "services:\n  a:\n    image: x${EMPTY?e}\n");
	assert_string_equal(p.v[0].ct.image, "x");
	vg_compose_free(&p);
	BAD("required variable NOPE is missing a value: e",
	    "services:\n  a:\n    image: ${NOPE?e}\n");
	/* an unset variable in what decides admission: cannot judge, with its place */
	BAD("compose.yml:4:17: cannot judge: variable NOPE is not set",
	    "services:\n  a:\n    image: x\n    privileged: $NOPE\n");
	BAD("compose.yml:3:12: invalid interpolation format", "services:\n  a:\n    image: $1\n");
	BAD("invalid interpolation format", "services:\n  a:\n    image: ${TAG\n");
	BAD("invalid interpolation format", "services:\n  a:\n    image: ${TAG:x}\n");
	/* Interpolated booleans are converted as Compose converts them */
	OK(&p, "services:\n  a:\n    image: x\n    privileged: ${P:-true}\n");
	assert_true(p.v[0].ct.privileged);
	vg_compose_free(&p);
}

static void dotenv(void **state)
{
	char dir[] = "/tmp/vg-compose-XXXXXX", path[64], env[64];
	struct vg_compose_opts o = { .env = test_env };
	struct vg_compose p;
	struct vg_error e = { 0 };
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/compose.yml", dir);
	snprintf(env, sizeof(env), "%s/.env", dir);
	f = fopen(env, "w");
	fputs("# a comment\nexport COMPOSE_PROJECT_NAME=My.App\nSRC='/var'\nTAG=from-env-file\n"
	      "Q=\"a b\" \n",
	      f);
	fclose(f);
	f = fopen(path, "w");
	fputs("services:\n  a:\n    image: x:$TAG\n    user: $Q\n    volumes: ['$SRC:/v']\n", f);
	fclose(f);
	assert_int_equal(vg_compose_load(path, &o, &p, &e), 0);
	assert_string_equal(p.project, "myapp");       /* normalized as Compose does */
	assert_string_equal(p.v[0].ct.image, "x:1.2"); /* the environment wins over .env */
	assert_string_equal(p.v[0].ct.user, "a b");
	assert_string_equal(p.v[0].ct.mounts[0].source, "/var");
	assert_string_equal(p.v[0].container, "myapp_a_1");
	vg_compose_free(&p);

	f = fopen(env, "w");
	fputs("GOOD=1\nnot a line\n", f);
	fclose(f);
	assert_true(vg_compose_load(path, &o, &p, &e) < 0);
	assert_non_null(strstr(e.msg, ".env:2: not a KEY=VALUE line"));
	o.env_file = "/nonexistent.env";
	assert_true(vg_compose_load(path, &o, &p, &e) < 0);
	assert_non_null(strstr(e.msg, "/nonexistent.env"));
	unlink(env);
	unlink(path);
	rmdir(dir);
}

static void extends(void **state)
{
	char dir[] = "/tmp/vg-compose-XXXXXX", path[64], base[64];
	struct vg_compose_opts o = { .project = "p", .env = test_env };
	struct vg_compose p;
	struct vg_error e = { 0 };
	const struct vg_compose_service *s;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/compose.yml", dir);
	snprintf(base, sizeof(base), "%s/sub/base.yml", dir);
	{
		char sub[64];
		snprintf(sub, sizeof(sub), "%s/sub", dir);
		assert_int_equal(mkdir(sub, 0755), 0);
	}
	f = fopen(base, "w");
	fputs("services:\n"
	      "  common:\n"
	      "    image: base\n"
	      "    user: '5'\n"
	      "    cap_add: [CHOWN]\n"
	      "    labels: [x=1, y=2]\n"
	      "    volumes: ['./rel:/data', '/a:/b']\n",
	      f);
	fclose(f);
	f = fopen(path, "w");
	fputs("services:\n"
	      "  app:\n"
	      "    extends: {file: sub/base.yml, service: common}\n"
	      "    image: mine\n"
	      "    cap_add: [KILL]\n"
	      "    labels: {y: '3'}\n"
	      "    volumes: ['/etc:/data:ro']\n"
	      "  two:\n"
	      "    extends: app\n"
	      "    privileged: true\n",
	      f);
	fclose(f);
	assert_int_equal(vg_compose_load(path, &o, &p, &e), 0);
	s = svc(&p, "app");
	assert_string_equal(s->ct.image, "mine");
	assert_string_equal(s->ct.user, "5");
	assert_string_equal(s->ct.cap_add[0], "CHOWN");
	assert_string_equal(s->ct.cap_add[1], "KILL");
	assert_string_equal(vg_container_label(&s->ct, "x"), "1");
	assert_string_equal(vg_container_label(&s->ct, "y"), "3");
	/* volumes merge by container path: /data is the extending service's */
	assert_int_equal(s->ct.n_mounts, 2);
	assert_string_equal(s->ct.mounts[0].source, "/etc");
	assert_true(s->ct.mounts[0].readonly);
	assert_string_equal(s->ct.mounts[1].source, "/a");
	s = svc(&p, "two");
	assert_true(s->ct.privileged);
	assert_string_equal(s->ct.image, "mine");
	vg_compose_free(&p);

	/* a relative bind in the base file is relative to the base file */
	f = fopen(path, "w");
	fputs("services:\n  app:\n    extends: {file: sub/base.yml, service: common}\n", f);
	fclose(f);
	assert_int_equal(vg_compose_load(path, &o, &p, &e), 0);
	char want[96];
	snprintf(want, sizeof(want), "%s/sub/rel", dir);
	assert_string_equal(p.v[0].ct.mounts[0].source, want);
	vg_compose_free(&p);

	f = fopen(path, "w");
	fputs("services:\n  app:\n    extends: {file: nope.yml, service: common}\n", f);
	fclose(f);
	assert_true(vg_compose_load(path, &o, &p, &e) < 0);
	if (!strstr(e.msg, "compose.yml:3:21: extends.file:"))
		fail_msg("%s", e.msg);
	unlink(path);
	unlink(base);
	snprintf(base, sizeof(base), "%s/sub", dir);
	rmdir(base);
	rmdir(dir);

	BAD("circular reference", "services:\n  a:\n    extends: b\n  b:\n    extends: a\n");
	BAD("compose.yml:3:14: extends: no service 'c'", "services:\n  a:\n    extends: c\n");
	BAD("services with 'volumes_from' cannot be extended",
	    "services:\n  a:\n    extends: b\n  b:\n    image: x\n    volumes_from: [c]\n"
	    "  c:\n    image: x\n");
	BAD("'network_mode: service' cannot be extended",
	    "services:\n  a:\n    extends: b\n  b:\n    image: x\n    network_mode: service:c\n"
	    "  c:\n    image: x\n");
}

static void volumes_and_refs(void **state)
{
	struct vg_compose p;
	const struct vg_compose_service *s;

	OK(&p, "services:\n"
	       "  a:\n"
	       "    image: x\n"
	       "    network_mode: host\n"
	       "    volumes:\n"
	       "      - type: volume\n"
	       "        source: etcvol\n"
	       "        target: /e\n"
	       "      - type: bind\n"
	       "        source: /srv\n"
	       "        target: /s\n"
	       "        read_only: true\n"
	       "      - {type: volume, source: ext, target: /x}\n"
	       "      - {type: tmpfs, target: /t}\n"
	       "  b:\n"
	       "    image: x\n"
	       "    network_mode: service:a\n"
	       "    pid: container:other\n"
	       "    volumes_from: ['a:ro', 'container:zzz']\n"
	       "volumes:\n"
	       "  etcvol:\n"
	       "    driver_opts: {type: none, o: bind, device: /etc}\n"
	       "  ext:\n"
	       "    external: true\n");
	s = svc(&p, "a");
	assert_int_equal(s->ct.n_mounts, 4);
	assert_string_equal(s->ct.mounts[0].source, "demo_etcvol");
	assert_string_equal(s->ct.mounts[0].volume_device, "/etc");
	assert_string_equal(s->ct.mounts[0].volume_o, "bind");
	assert_string_equal(s->ct.mounts[0].volume_type, "none");
	assert_int_equal(s->ct.mounts[1].kind, VG_MOUNT_BIND);
	assert_true(s->ct.mounts[1].readonly);
	assert_string_equal(s->ct.mounts[2].source, "ext"); /* external: its own name */
	assert_int_equal(s->ct.mounts[3].kind, VG_MOUNT_TMPFS);
	s = svc(&p, "b");
	assert_true(s->ct.host_net); /* joins a's network namespace: the host's */
	assert_false(s->ct.host_pid);
	assert_int_equal(s->ct.n_mounts, 3); /* a's, read-only, tmpfs left out */
	assert_true(s->ct.mounts[0].readonly && s->ct.mounts[1].readonly);
	assert_string_equal(s->ct.mounts[0].volume_device, "/etc");
	assert_string_equal(s->ct.volumes_from[0], "zzz");
	vg_compose_free(&p);

	BAD("compose.yml:5:9: services.a.volumes[0]: named volume 'nodecl' is used but not "
	    "declared",
	    "services:\n  a:\n    image: x\n    volumes:\n      - nodecl:/x\n");
	BAD("names no service", "services:\n  a:\n    image: x\n    network_mode: service:zz\n");
	BAD("neither an image nor a build", "services:\n  a:\n    user: '1'\n");
	BAD("container_name cannot be used with 2 replicas",
	    "services:\n  a:\n    image: x\n    container_name: c\n    scale: 2\n");
	OK(&p, "services:\n  a:\n    build: .\n    deploy: {replicas: 4}\n");
	assert_string_equal(p.v[0].ct.image, "demo_a");
	assert_int_equal(p.v[0].replicas, 4);
	vg_compose_free(&p);
}

static void secrets_configs(void **state)
{
	struct vg_compose p;

	OK(&p, "services:\n"
	       "  a:\n"
	       "    image: x\n"
	       "    secrets: [pw, {source: key, target: k2}]\n"
	       "    configs: [{source: cf, target: /etc/app.conf}]\n"
	       "secrets:\n"
	       "  pw: {file: /etc/shadow}\n"
	       "  key: {file: ./key.txt}\n"
	       "configs:\n"
	       "  cf: {file: /etc}\n");
	/* outside a swarm Compose binds the files read-only */
	assert_int_equal(p.v[0].ct.n_mounts, 3);
	assert_string_equal(p.v[0].ct.mounts[0].source, "/etc/shadow");
	assert_string_equal(p.v[0].ct.mounts[0].destination, "/run/secrets/pw");
	assert_true(p.v[0].ct.mounts[0].readonly);
	assert_string_equal(p.v[0].ct.mounts[1].source, "/nonexistent/dir/key.txt");
	assert_string_equal(p.v[0].ct.mounts[1].destination, "/run/secrets/k2");
	assert_string_equal(p.v[0].ct.mounts[2].destination, "/etc/app.conf");
	vg_compose_free(&p);
	BAD("'nope' is not declared in the top-level 'secrets'",
	    "services:\n  a:\n    image: x\n    secrets: [nope]\n");
	BAD("cannot judge: secrets 's' has no 'file'",
	    "services:\n  a:\n    image: x\n    secrets: [s]\nsecrets:\n  s: {external: true}\n");
}

static void errors(void **state)
{
	BAD("compose.yml:4:1: not valid YAML: did not find expected ','",
	    "services:\n  a:\n    image: [x\n");
	BAD("compose.yml:4:5: a: key 'image' given twice (first at line 3)",
	    "services:\n  a:\n    image: x\n    image: y\n");
	BAD("compose.yml:4:17: services.a.privileged: 'maybe' is not a boolean",
	    "services:\n  a:\n    image: x\n    privileged: maybe\n");
	BAD("compose.yml:4:15: services.a.volumes[0]: -v x: the destination 'x' is not an absolute "
	    "path",
	    "services:\n  a:\n    image: x\n    volumes: [x]\n");
	BAD("cap_add must be a list", "services:\n  a:\n    image: x\n    cap_add: {a: b}\n");
	BAD("a second YAML document", "services: {}\n---\nservices: {}\n");
	BAD("an empty compose file", "");
	BAD("compose.yml:4:12: scale: '-1' is not a number",
	    "services:\n  a:\n    image: x\n    scale: -1\n");
	BAD("not a valid service name", "services:\n  '-a':\n    image: x\n");
	BAD("unknown key 'sauce'",
	    "services:\n  a:\n    image: x\n    volumes: [{type: bind, sauce: /, target: /x}]\n");
	BAD("image must be a string", "services:\n  a:\n    image: [x]\n");
}

static void merge_keys(void **state)
{
	struct vg_compose p;

	OK(&p, "x-a: &a {image: base, user: '1'}\n"
	       "x-b: &b {user: '2', privileged: true}\n"
	       "services:\n"
	       "  s:\n"
	       "    <<: [*a, *b]\n"
	       "    image: own\n");
	/* own keys win; among merged mappings the first wins */
	assert_string_equal(p.v[0].ct.image, "own");
	assert_string_equal(p.v[0].ct.user, "1");
	assert_true(p.v[0].ct.privileged);
	vg_compose_free(&p);
	BAD("merge key (<<) takes a mapping", "services:\n  s:\n    <<: x\n    image: a\n");
	/* a mapping that merges itself: bounded, not a hang */
	BAD("nested deeper", "services:\n  s: &s\n    image: a\n    <<: *s\n");
}

/* Billion laughs: nine levels of nine aliases would be 9^9 nodes expanded. */
static void alias_bomb(void **state)
{
	static const char bomb[] = "x-0: &a0 {a: b}\n"
				   "x-1: &a1 {<<: [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]}\n"
				   "x-2: &a2 {<<: [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]}\n"
				   "x-3: &a3 {<<: [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]}\n"
				   "x-4: &a4 {<<: [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]}\n"
				   "x-5: &a5 {<<: [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]}\n"
				   "x-6: &a6 {<<: [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]}\n"
				   "x-7: &a7 {<<: [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]}\n"
				   "x-8: &a8 {<<: [*a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7]}\n"
				   "services:\n"
				   "  s:\n"
				   "    image: x\n"
				   "    labels: *a8\n";
	static const char list_bomb[] = "x-0: &l0 [/a, /a, /a, /a, /a, /a, /a, /a]\n"
					"services:\n"
					"  s:\n"
					"    image: x\n"
					"    volumes: [*l0, *l0]\n";

	BAD("aliases that expand without bound", bomb);
	BAD("must be a string", list_bomb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(basics),	    cmocka_unit_test(variables),
		cmocka_unit_test(dotenv),	    cmocka_unit_test(extends),
		cmocka_unit_test(volumes_and_refs), cmocka_unit_test(secrets_configs),
		cmocka_unit_test(errors),	    cmocka_unit_test(merge_keys),
		cmocka_unit_test(alias_bomb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
