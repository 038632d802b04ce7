/* identity.c: the registry name of a container from its name, labels, annotations, config. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "config.h"
#include "identity.h"
#include "registry.h"
#include "inuse.h"

static void conf(struct vg_config *c, const char *text)
{
	struct vg_error e = { 0 };

	vg_config_init(c);
	if (vg_config_parse_string(c, text, "t.conf", &e) < 0)
		fail_msg("%s", e.msg);
}

/* The identity of `name` with the NULL-terminated labels that follow, under config `text`. */
static void expect(const char *text, const char *want, enum vg_identity_kind kind, const char *name,
		   ...)
{
	struct vg_config c;
	struct vg_identity id;
	struct vg_error e = { 0 };
	char *labels[16] = { 0 };
	size_t n = 0;
	va_list ap;

	va_start(ap, name);
	for (char *l = va_arg(ap, char *); l && n < 15; l = va_arg(ap, char *))
		labels[n++] = l;
	va_end(ap);
	conf(&c, text);
	if (vg_identity_of(&c.identity, name, labels, &id, &e) < 0)
		fail_msg("error: %s", e.msg);
	if (!want)
		assert_null(id.name);
	else
		assert_string_equal(id.name, want);
	assert_int_equal(id.kind, kind);
	if (want)
		assert_true(vg_identity_valid(id.name));
	vg_identity_free(&id);
	vg_config_free(&c);
}

/* An error whose message contains `msg`. */
static void expect_error(const char *msg, ...)
{
	struct vg_config c;
	struct vg_identity id;
	struct vg_error e = { 0 };
	char *labels[16] = { 0 };
	size_t n = 0;
	va_list ap;
	int r;

	va_start(ap, msg);
	for (char *l = va_arg(ap, char *); l && n < 15; l = va_arg(ap, char *))
		labels[n++] = l;
	va_end(ap);
	conf(&c, "");
	r = vg_identity_of(&c.identity, "ct", labels, &id, &e);
	if (r >= 0)
		fail_msg("no error (got %s)", id.name ? id.name : "(null)");
	assert_int_equal(r, -EINVAL);
	if (!strstr(e.msg, msg))
		fail_msg("message '%s' lacks '%s'", e.msg, msg);
	assert_null(id.name);
	vg_config_free(&c);
}

static void plain_names(void **state)
{
	(void)state;
	expect("", "web", VG_IDENTITY_NAME, "web", NULL);
	expect("", "web", VG_IDENTITY_NAME, "web", "maintainer=x", "com.docker.compose=", NULL);
	expect("", NULL, VG_IDENTITY_NAME, NULL, NULL);
}

static void compose(void **state)
{
	(void)state;
	expect("", "compose/shop/db", VG_IDENTITY_COMPOSE, "shop_db_1",
	       "com.docker.compose.project=shop", "com.docker.compose.service=db",
	       "com.docker.compose.container-number=1", NULL);
	/* An unnamed container (check -- run without --name) still has it. */
	expect("", "compose/shop/db", VG_IDENTITY_COMPOSE, NULL, "com.docker.compose.service=db",
	       "com.docker.compose.project=shop", NULL);
	expect("[identity]\ncompose = service\n", "compose/p/s", VG_IDENTITY_COMPOSE, "x",
	       "com.docker.compose.project=p", "com.docker.compose.service=s", NULL);
	expect("[identity]\ncompose = container\n", "shop_db_1", VG_IDENTITY_NAME, "shop_db_1",
	       "com.docker.compose.project=shop", "com.docker.compose.service=db", NULL);
}

static void swarm(void **state)
{
	(void)state;
	/* As swarm labels a task's container: SERVICE.SLOT.TASKID. */
	expect("", "swarm/api/2", VG_IDENTITY_SWARM, "api.2.x1y2z3",
	       "com.docker.swarm.service.name=api", "com.docker.swarm.task.name=api.2.x1y2z3",
	       "com.docker.swarm.task.id=x1y2z3", "com.docker.swarm.node.id=n0de", NULL);
	/* A global service's task: the node id in the slot's place. */
	expect("", "swarm/agent/k3l9n0de", VG_IDENTITY_SWARM, "agent.k3l9n0de.t4sk",
	       "com.docker.swarm.service.name=agent",
	       "com.docker.swarm.task.name=agent.k3l9n0de.t4sk", "com.docker.swarm.task.id=t4sk",
	       NULL);
	/* A service name with dots (stack_service.x). */
	expect("", "swarm/st_web.v2/1", VG_IDENTITY_SWARM, "n",
	       "com.docker.swarm.service.name=st_web.v2",
	       "com.docker.swarm.task.name=st_web.v2.1.abc", "com.docker.swarm.task.id=abc", NULL);
	expect("", "swarm/api/3", VG_IDENTITY_SWARM, "n", "com.docker.swarm.service.name=api",
	       "com.docker.swarm.task.slot=3", NULL);
	expect("[identity]\nswarm = container\n", "api.2.x", VG_IDENTITY_NAME, "api.2.x",
	       "com.docker.swarm.service.name=api", "com.docker.swarm.task.slot=2", NULL);
	/* Swarm before compose (a stack's service may carry compose labels too). */
	expect("", "swarm/api/2", VG_IDENTITY_SWARM, "n", "com.docker.compose.project=p",
	       "com.docker.compose.service=s", "com.docker.swarm.service.name=api",
	       "com.docker.swarm.task.slot=2", NULL);
	expect("[identity]\nswarm = container\n", "compose/p/s", VG_IDENTITY_COMPOSE, "n",
	       "com.docker.compose.project=p", "com.docker.compose.service=s",
	       "com.docker.swarm.service.name=api", "com.docker.swarm.task.slot=2", NULL);
}

static void pods(void **state)
{
	(void)state;
	expect("", "pod/default/nginx-7d9", VG_IDENTITY_POD, "0123abcd",
	       "io.kubernetes.cri.container-type=container",
	       "io.kubernetes.cri.sandbox-namespace=default",
	       "io.kubernetes.cri.sandbox-name=nginx-7d9", NULL);
	/* CRI-O's annotations. */
	expect("", "pod/kube-system/dns", VG_IDENTITY_POD, "0123abcd",
	       "io.kubernetes.pod.namespace=kube-system", "io.kubernetes.pod.name=dns", NULL);
	expect("[identity]\nkubernetes = container\n", "0123abcd", VG_IDENTITY_NAME, "0123abcd",
	       "io.kubernetes.cri.sandbox-namespace=default",
	       "io.kubernetes.cri.sandbox-name=nginx", NULL);
	/* Pod before swarm and compose. */
	expect("", "pod/ns/p", VG_IDENTITY_POD, "x", "com.docker.compose.project=p",
	       "com.docker.compose.service=s", "io.kubernetes.cri.sandbox-namespace=ns",
	       "io.kubernetes.cri.sandbox-name=p", NULL);
}

static void bad_labels(void **state)
{
	char long_name[300];

	(void)state;
	expect_error("label com.docker.compose.project without label com.docker.compose.service",
		     "com.docker.compose.project=p", NULL);
	expect_error("label com.docker.compose.service without label com.docker.compose.project",
		     "com.docker.compose.service=s", NULL);
	expect_error("label com.docker.compose.project=a/b: not a valid identity part",
		     "com.docker.compose.project=a/b", "com.docker.compose.service=s", NULL);
	expect_error("com.docker.compose.service=x:0:1", "com.docker.compose.project=p",
		     "com.docker.compose.service=x:0:1", NULL);
	expect_error("com.docker.compose.project=: not",
		     "com.docker.compose.project=", "com.docker.compose.service=s", NULL);
	/* A newline would split a registry line; a space, a '#', ',' end a metadata value. */
	expect_error("not a valid identity part", "com.docker.compose.project=p",
		     "com.docker.compose.service=s\nevil:0:1", NULL);
	expect_error("not a valid identity part", "com.docker.compose.project=p q",
		     "com.docker.compose.service=s", NULL);
	expect_error("not a valid identity part", "com.docker.compose.project=.p",
		     "com.docker.compose.service=s", NULL);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	{
		char *l = NULL;
		if (asprintf(&l, "com.docker.compose.service=%s", long_name) < 0)
			fail();
		expect_error("not a valid identity part", "com.docker.compose.project=p", l, NULL);
		free(l);
	}
	expect_error("io.kubernetes.cri.sandbox-name without", "io.kubernetes.cri.sandbox-name=p",
		     NULL);
	expect_error("not a valid identity part", "io.kubernetes.pod.namespace=ns",
		     "io.kubernetes.pod.name=../x", NULL);
	expect_error("label com.docker.swarm.task.slot without label "
		     "com.docker.swarm.service.name",
		     "com.docker.swarm.task.slot=1", NULL);
	expect_error("without label com.docker.swarm.task.name",
		     "com.docker.swarm.service.name=api", NULL);
	expect_error("expected api.SLOT.t1", "com.docker.swarm.service.name=api",
		     "com.docker.swarm.task.name=web.1.t1", "com.docker.swarm.task.id=t1", NULL);
	expect_error("expected api.SLOT.t1", "com.docker.swarm.service.name=api",
		     "com.docker.swarm.task.name=api.t1", "com.docker.swarm.task.id=t1", NULL);
	expect_error("not a valid identity part", "com.docker.swarm.service.name=api",
		     "com.docker.swarm.task.name=api.a/b.t1", "com.docker.swarm.task.id=t1", NULL);
	expect_error("not a valid identity part", "com.docker.swarm.service.name=api",
		     "com.docker.swarm.task.slot=1 2", NULL);
}

static void registry_names(void **state)
{
	(void)state;
	assert_true(vg_identity_valid("web"));
	assert_true(vg_identity_valid("compose/p/s"));
	assert_true(vg_identity_valid("swarm/api/2"));
	assert_true(vg_identity_valid("pod/default/nginx"));
	assert_false(vg_identity_valid("compose/p"));
	assert_false(vg_identity_valid("compose/p/s/t"));
	assert_false(vg_identity_valid("compose//s"));
	assert_false(vg_identity_valid("compose/p/"));
	assert_false(vg_identity_valid("other/p/s"));
	assert_false(vg_identity_valid("compose/p/.s"));
	assert_false(vg_identity_valid("compose/p:1/s"));
	assert_false(vg_identity_valid(""));
	assert_false(vg_identity_valid(NULL));
	assert_int_equal(vg_identity_kind_of("compose/p/s"), VG_IDENTITY_COMPOSE);
	assert_int_equal(vg_identity_kind_of("pod/a/b"), VG_IDENTITY_POD);
	assert_int_equal(vg_identity_kind_of("swarm/a/b"), VG_IDENTITY_SWARM);
	assert_int_equal(vg_identity_kind_of("compose"), VG_IDENTITY_NAME);
	assert_int_equal(vg_identity_kind_of("composer"), VG_IDENTITY_NAME);
	assert_true(vg_identity_shared("pod/a/b"));
	assert_false(vg_identity_shared("web"));
	assert_string_equal(vg_identity_kind_name(VG_IDENTITY_SWARM), "swarm");
}

/* A registry with identities parses and formats back; a bad one names the line. */
static void registry_lines(void **state)
{
	static const char text[] =
	    "web:1073741824:65536 # container=abc\n"
	    "compose/shop/db:1073807360:65536 # container=a1,b2,c3 identity=compose\n";
	struct vg_registry r;
	struct vg_error e = { 0 };
	char *out;

	(void)state;
	vg_registry_init(&r);
	assert_int_equal(vg_registry_parse(&r, text, strlen(text), "ranges", &e), 0);
	assert_non_null(vg_registry_find(&r, "compose/shop/db"));
	assert_ptr_equal(vg_registry_find_container(&r, "b2"),
			 vg_registry_find(&r, "compose/shop/db"));
	assert_ptr_equal(vg_registry_find_container(&r, "c3"),
			 vg_registry_find(&r, "compose/shop/db"));
	assert_ptr_equal(vg_registry_find_container(&r, "abc"), vg_registry_find(&r, "web"));
	assert_null(vg_registry_find_container(&r, "a"));
	assert_null(vg_registry_find_container(&r, "b"));
	assert_null(vg_registry_find_container(&r, "1,b2"));
	out = vg_registry_format(&r);
	assert_non_null(strstr(out, text));
	free(out);
	vg_registry_close(&r);

	vg_registry_init(&r);
	assert_true(vg_registry_parse(&r, "compose/a:1073741824:65536\n", 27, "ranges", &e) < 0);
	assert_non_null(strstr(e.msg, "ranges:1"));
	vg_registry_close(&r);
}

static void config_errors(void **state)
{
	struct vg_config c;
	struct vg_error e = { 0 };

	(void)state;
	vg_config_init(&c);
	assert_true(vg_config_parse_string(&c, "[identity]\ncompose = pod\n", "t.conf", &e) < 0);
	assert_non_null(strstr(e.msg, "t.conf:2: [identity] compose: 'pod': expected service or "
				      "container"));
	vg_config_free(&c);
	vg_config_init(&c);
	assert_true(vg_config_parse_string(&c, "[identity]\nnomad = job\n", "t.conf", &e) < 0);
	assert_non_null(strstr(e.msg, "unknown key"));
	vg_config_free(&c);
	vg_config_init(&c);
	assert_true(vg_config_parse_string(&c, "[identity]\n", "t.conf", &e) == 0);
	vg_config_free(&c);
	vg_config_init(&c);
	assert_true(vg_config_parse_string(&c, "[volume \"v\"]\nmembers = compose/p/s:ro, web\n",
					   "t.conf", &e) == 0);
	assert_string_equal(c.volumes[0].members[0].name, "compose/p/s");
	vg_config_free(&c);
	vg_config_init(&c);
	assert_true(
	    vg_config_parse_string(&c, "[volume \"v\"]\nmembers = compose/p\n", "t.conf", &e) < 0);
	vg_config_free(&c);
}

static void mkct(const char *root, const char *id, const char *json)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/containers", root);
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/containers/%s", root, id);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", root, id);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(json, f);
	fclose(f);
}

static void rmct(const char *root, const char *id)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/containers/%s'", root, id);
	assert_int_equal(system(cmd), 0);
}

/* claim of a shared identity: never evicts, binds every container that exists; inuse.c counts
 * the range in use while any of them (or an unbound one with that identity) exists. */
static void shared_claims(void **state)
{
	static const char labels[] = "{\"Name\": \"/shop_db_%d\", \"Config\": {\"Labels\": "
				     "{\"com.docker.compose.project\": \"shop\", "
				     "\"com.docker.compose.service\": \"db\"}}}";
	char root[] = "/tmp/vg-identity-XXXXXX", json[512], why[256];
	struct vg_registry r;
	struct vg_config c;
	struct vg_error e = { 0 };
	struct vg_inuse u;
	struct vg_range *rg;
	uint64_t start;
	bool is_new;

	(void)state;
	assert_non_null(mkdtemp(root));
	conf(&c, "");
	free(c.docker_root);
	c.docker_root = strdup(root);
	free(c.subuid_file);
	free(c.subgid_file);
	c.subuid_file = strdup("/nonexistent/volguard-test/subuid");
	c.subgid_file = strdup("/nonexistent/volguard-test/subgid");
	/* Far from the pool other tests' containers run in (a live process would use it). */
	c.pool_start = 3221225472ULL;
	c.pool_end = c.pool_start + 8 * 65536 - 1;
	vg_registry_init(&r);

	snprintf(json, sizeof(json), labels, 1);
	mkct(root, "id1", json);
	assert_int_equal(
	    vg_registry_claim(&r, &c, "compose/shop/db", "id1", NULL, &rg, &is_new, &e), 0);
	assert_true(is_new);
	start = rg->start;
	assert_string_equal(vg_range_get_meta(rg, "identity"), "compose");
	/* A second replica while the first exists: the same range, both bound. */
	snprintf(json, sizeof(json), labels, 2);
	mkct(root, "id2", json);
	assert_ptr_equal(vg_registry_claimable(&r, &c, "compose/shop/db", "id2"), rg);
	assert_int_equal(
	    vg_registry_claim(&r, &c, "compose/shop/db", "id2", NULL, &rg, &is_new, &e), 0);
	assert_false(is_new);
	assert_int_equal(rg->start, start);
	assert_string_equal(vg_range_get_meta(rg, "container"), "id1,id2");
	assert_ptr_equal(vg_registry_find_container(&r, "id1"), rg);
	assert_ptr_equal(vg_registry_find_container(&r, "id2"), rg);
	/* A restart of id1 (its own binding) changes nothing. */
	assert_int_equal(
	    vg_registry_claim(&r, &c, "compose/shop/db", "id1", NULL, &rg, &is_new, &e), 0);
	assert_int_equal(rg->start, start);
	assert_non_null(strstr(vg_range_get_meta(rg, "container"), "id1"));
	assert_non_null(strstr(vg_range_get_meta(rg, "container"), "id2"));
	/* A plain container named like a replica gets its own range. */
	assert_int_equal(vg_registry_claim(&r, &c, "shop_db_1", "id9", NULL, &rg, &is_new, &e), 0);
	assert_true(is_new);
	assert_int_not_equal(rg->start, start);

	/* In use while any replica exists. */
	rmct(root, "id1");
	rg = vg_registry_find(&r, "compose/shop/db");
	assert_int_equal(vg_inuse_load(&c, &u, &e), 0);
	assert_int_equal(vg_inuse_range_users(&u, rg->name, vg_range_get_meta(rg, "container"),
					      NULL, rg->start, rg->count, why, sizeof(why)),
			 1);
	assert_non_null(strstr(why, "shop_db_2"));
	vg_inuse_free(&u);
	/* A new replica (id3) drops the gone id1 from the list. */
	snprintf(json, sizeof(json), labels, 3);
	mkct(root, "id3", json);
	assert_int_equal(
	    vg_registry_claim(&r, &c, "compose/shop/db", "id3", NULL, &rg, &is_new, &e), 0);
	assert_string_equal(vg_range_get_meta(rg, "container"), "id2,id3");
	rmct(root, "id2");
	rmct(root, "id3");
	/* A container with the identity's labels, not yet bound, still uses it. */
	snprintf(json, sizeof(json), labels, 4);
	mkct(root, "id4", json);
	rg = vg_registry_find(&r, "compose/shop/db");
	assert_int_equal(vg_inuse_load(&c, &u, &e), 0);
	assert_int_equal(vg_inuse_range_users(&u, rg->name, vg_range_get_meta(rg, "container"),
					      NULL, rg->start, rg->count, why, sizeof(why)),
			 1);
	assert_non_null(strstr(why, "shop_db_4"));
	vg_inuse_free(&u);
	rmct(root, "id4");
	assert_int_equal(vg_inuse_load(&c, &u, &e), 0);
	assert_int_equal(vg_inuse_range_users(&u, rg->name, vg_range_get_meta(rg, "container"),
					      NULL, rg->start, rg->count, why, sizeof(why)),
			 0);
	vg_inuse_free(&u);

	vg_registry_close(&r);
	vg_config_free(&c);
	snprintf(json, sizeof(json), "rm -rf '%s'", root);
	assert_int_equal(system(json), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_names),	  cmocka_unit_test(compose),
		cmocka_unit_test(swarm),	  cmocka_unit_test(pods),
		cmocka_unit_test(bad_labels),	  cmocka_unit_test(registry_names),
		cmocka_unit_test(registry_lines), cmocka_unit_test(config_errors),
		cmocka_unit_test(shared_claims),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
