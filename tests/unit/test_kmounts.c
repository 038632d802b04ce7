/* The pieces of the mount checks that need no container (kmounts.c): the record of what was
 * checked (report -> annotation -> back) and the verify hook in the spec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kmounts.h"

/* Two binds and a tmpfs; the report judged mount 0 (found) and mount 2 (missing). */
static void test_record_round_trip(void **state)
{
	struct vg_mount mounts[3] = {
		{ .kind = VG_MOUNT_BIND, .source = "/srv/a", .destination = "/a" },
		{ .kind = VG_MOUNT_TMPFS, .destination = "/t" },
		{ .kind = VG_MOUNT_BIND, .source = "/srv/new", .destination = "/n" },
	};
	struct vg_container ct = { .mounts = mounts, .n_mounts = 3 };
	struct vg_finding f[3] = {
		{ .mount_index = 0,
		  .src_judged = true,
		  .src_exists = true,
		  .src_dev = 0xfe00,
		  .src_ino = 1234567890123ULL },
		{ .mount_index = SIZE_MAX },
		{ .mount_index = 2, .src_judged = true, .src_exists = false },
	};
	struct vg_report rep = { .v = f, .n = 3 };
	struct vg_kmount_expects x, back;
	struct vg_error e = { 0 };
	json_t *spec = json_pack("{s:{s:[{s:s}]}}", "hooks", "createRuntime", "path", "/other");
	json_t *cr, *ann;

	(void)state;
	vg_kmounts_expect_from_report(&ct, &rep, &x);
	assert_int_equal(x.n, 2);
	assert_int_equal(vg_kmounts_spec_add_verify(spec, "/etc/vg.conf", &x, &e), 0);
	cr = json_object_get(json_object_get(spec, "hooks"), "createRuntime");
	assert_int_equal(json_array_size(cr), 2);
	/* ours first, the existing one after it */
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(json_array_get(cr, 0), "args"), 4)),
	    "--verify");
	assert_string_equal(json_string_value(json_object_get(json_array_get(cr, 1), "path")),
			    "/other");
	ann = json_object_get(json_object_get(spec, "annotations"), VG_KMOUNTS_ANNOTATION);
	assert_string_equal(json_string_value(ann), "0=65024:1234567890123,2=missing");
	assert_int_equal(vg_kmounts_expects_from_spec(spec, &back, &e), 0);
	assert_int_equal(back.n, 2);
	assert_int_equal(back.v[0].index, 0);
	assert_true(back.v[0].exists);
	assert_int_equal(back.v[0].dev, 0xfe00);
	assert_int_equal(back.v[0].ino, 1234567890123ULL);
	assert_int_equal(back.v[1].index, 2);
	assert_false(back.v[1].exists);
	vg_kmounts_expects_free(&x);
	vg_kmounts_expects_free(&back);
	json_decref(spec);
}

static void test_bad_specs(void **state)
{
	struct vg_kmount_expects x = { 0 }, back;
	struct vg_error e = { 0 };
	json_t *twice = json_pack("{s:{}, s:{}}", "hooks", "Hooks");
	json_t *bad = json_pack("{s:{s:s}}", "annotations", VG_KMOUNTS_ANNOTATION, "0=1:2,x");
	json_t *none = json_object();

	(void)state;
	/* runc would read either of two keys that differ in case: refuse to guess */
	assert_true(vg_kmounts_spec_add_verify(twice, NULL, &x, &e) < 0);
	assert_true(vg_kmounts_expects_from_spec(bad, &back, &e) < 0);
	assert_true(vg_kmounts_expects_from_spec(none, &back, &e) < 0);
	json_decref(twice);
	json_decref(bad);
	json_decref(none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_round_trip),
		cmocka_unit_test(test_bad_specs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
