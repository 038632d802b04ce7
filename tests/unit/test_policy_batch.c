/* vg_policy_batch_*: the same verdicts as vg_policy_check, container after container. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"

static void add_bind(struct vg_container *ct, const char *src, const char *dst, bool ro)
{
	struct vg_mount *m = vg_container_add_mount(ct);
	m->kind = VG_MOUNT_BIND;
	m->source = vg_strdup(src);
	m->destination = vg_strdup(dst);
	m->readonly = ro;
}

static const char *worst_rule(const struct vg_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->v[i].verdict == rep->worst)
			return rep->v[i].rule;
	return "";
}

static void same_as_single(void **state)
{
	struct vg_config c;
	struct vg_container a = { 0 }, b = { 0 }, d = { 0 };
	struct vg_report r1, r2;
	struct vg_error e = { 0 };
	struct vg_policy_batch *batch;

	vg_config_init(&c);
	c.volumes_root = vg_strdup("/var/lib/docker/volumes");
	add_bind(&a, "/etc", "/x", false);
	add_bind(&b, "/etc", "/x", true);
	d.privileged = true;
	batch = vg_policy_batch_new(&c, NULL);

	assert_int_equal(vg_policy_check(&c, &a, NULL, NULL, &r1, &e), 0);
	vg_policy_batch_check(batch, &a, NULL, NULL, &r2);
	assert_int_equal(r1.worst, VG_DENY);
	assert_int_equal(r2.worst, r1.worst);
	assert_int_equal(r2.n, r1.n);
	assert_string_equal(worst_rule(&r2), "sensitive-writable");
	vg_report_free(&r1);
	vg_report_free(&r2);

	/* The next container starts from an empty report. */
	vg_policy_batch_check(batch, &b, NULL, NULL, &r2);
	assert_int_equal(r2.worst, VG_WARN);
	assert_string_equal(worst_rule(&r2), "sensitive-readonly");
	vg_report_free(&r2);
	vg_policy_batch_check(batch, &d, NULL, NULL, &r2);
	assert_int_equal(r2.worst, VG_DENY);
	assert_string_equal(worst_rule(&r2), "privileged");
	vg_report_free(&r2);

	vg_policy_batch_free(batch);
	vg_policy_batch_free(NULL);
	vg_container_free(&a);
	vg_container_free(&b);
	vg_container_free(&d);
	vg_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_as_single),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
