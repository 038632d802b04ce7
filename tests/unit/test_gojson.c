/* JSON keys as Go's encoding/json reads them: lookups, edits, and the case-duplicate check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "cleanup.h"
#include "gojson.h"

static json_t *doc(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	if (!j)
		fail_msg("%s: %s", text, je.text);
	return j;
}

static void key_exact_then_folded(void **state)
{
	json_t *j = doc("{\"UID\": 1, \"gid\": 2, \"mount\\u017f\": 3, \"\\u212aill\": 4}");

	assert_string_equal(vg_json_key(j, "uid"), "UID");
	assert_string_equal(vg_json_key(j, "gid"), "gid");
	assert_string_equal(vg_json_key(j, "mounts"), "mount\xc5\xbf"); /* U+017F is 's' */
	assert_string_equal(vg_json_key(j, "kill"), "\xe2\x84\xaaill"); /* U+212A is 'k' */
	assert_null(vg_json_key(j, "ui"));
	assert_null(vg_json_key(j, "uidx"));
	assert_int_equal(json_integer_value(vg_json_member(j, "Uid")), 1);
	assert_null(vg_json_key(NULL, "uid"));
	json_decref(j);

	/* Go prefers the exact name when both are there (the duplicate check refuses that). */
	j = doc("{\"User\": 1, \"user\": 2}");
	assert_string_equal(vg_json_key(j, "user"), "user");
	json_decref(j);
}

static void set_keeps_the_key_runc_reads(void **state)
{
	json_t *j = doc("{\"NoNewPrivileges\": false}");

	assert_int_equal(vg_json_set_new(j, "noNewPrivileges", json_true()), 0);
	assert_int_equal(json_object_size(j), 1);
	assert_true(json_is_true(json_object_get(j, "NoNewPrivileges")));
	assert_int_equal(vg_json_set_new(j, "user", json_object()), 0); /* absent: added as named */
	assert_non_null(json_object_get(j, "user"));
	assert_int_equal(json_object_size(j), 2);
	json_decref(j);
}

static void get_refuses_two_spellings(void **state)
{
	json_t *j = doc("{\"source\": \"/a\", \"Source\": \"/etc\"}"), *v;
	struct vg_error e = { 0 };

	assert_true(vg_json_get(j, "source", &v, "mounts[0]", &e) < 0);
	assert_non_null(strstr(e.msg, "mounts[0]"));
	json_decref(j);
}

static const char *const string_maps[] = { "annotations", "linux.sysctl", NULL };
static const char *const struct_maps[] = { "linux.resources.rdma", NULL };
static const struct vg_json_case_rules rules = { .root = "",
						 .string_maps = string_maps,
						 .struct_maps = struct_maps };

static int check(const char *text, struct vg_error *e)
{
	json_t *j = doc(text);
	int r = vg_json_check_case(j, &rules, e);
	json_decref(j);
	return r;
}

static void case_duplicates(void **state)
{
	struct vg_error e = { 0 };

	assert_int_equal(check("{\"a\": {\"b\": 1, \"c\": [{\"d\": 1}]}}", &e), 0);
	assert_int_equal(check("{\"a\": {\"b\": 1, \"B\": 2}}", &e), -VG_EREFUSED);
	assert_string_equal(e.msg, "a: \"b\" and \"B\" differ only in case: runc reads them as one "
				   "field");
	assert_int_equal(check("{\"a\": [{}, {\"x\": [{\"s\": 1, \"\\u017f\": 2}]}]}", &e),
			 -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "a[1].x[0]: "));
	assert_int_equal(check("{\"top\": 1, \"TOP\": 1}", &e), -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "\"top\" and \"TOP\""));
	/* A map is data: its keys are not folded, whatever is in it is not a struct. */
	assert_int_equal(check("{\"annotations\": {\"k\": \"1\", \"K\": \"2\"}}", &e), 0);
	assert_int_equal(check("{\"Linux\": {\"Sysctl\": {\"a\": {\"b\": 1, \"B\": 1}}}}", &e), 0);
	/* A map of structs: keys are data, each value is a struct. */
	assert_int_equal(
	    check("{\"linux\": {\"resources\": {\"rdma\": {\"m\": {}, \"M\": {}}}}}", &e), 0);
	assert_int_equal(check("{\"linux\": {\"resources\": {\"rdma\": {\"m\": {\"hcaHandles\": 1, "
			       "\"HCAHandles\": 2}}}}}",
			       &e),
			 -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "linux.resources.rdma.m: "));
	/* A key Go versions fold differently (1.21 reads U+0130 as 'i') is refused. */
	assert_int_equal(check("{\"process\": {\"u\\u0130d\": 0}}", &e), -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "U+0130"));
}

/* 200,000 keys in one object: sorted, not compared pairwise. */
static void many_keys_are_cheap(void **state)
{
	json_t *j = json_object();
	struct vg_error e = { 0 };
	clock_t t0;

	for (int i = 0; i < 200000; i++) {
		char k[32];
		snprintf(k, sizeof(k), "k%d", i);
		json_object_set_new(j, k, json_integer(i));
	}
	t0 = clock();
	assert_int_equal(vg_json_check_case(j, &rules, &e), 0);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
	json_object_set_new(j, "K77", json_integer(0));
	assert_int_equal(vg_json_check_case(j, &rules, &e), -VG_EREFUSED);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_exact_then_folded),
		cmocka_unit_test(set_keeps_the_key_runc_reads),
		cmocka_unit_test(get_refuses_two_spellings),
		cmocka_unit_test(case_duplicates),
		cmocka_unit_test(many_keys_are_cheap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
