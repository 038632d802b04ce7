/* The registry parser's answer to bad lines: fail closed, naming path:line and what is wrong. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "registry.h"

static void expect_error_len(const char *text, size_t len, const char *want)
{
	struct vg_registry r;
	struct vg_error e = { 0 };
	int rc;

	vg_registry_init(&r);
	rc = vg_registry_parse(&r, text, len, "ranges", &e);
	vg_registry_close(&r);
	unit_expect_error(rc, &e, EINVAL, text, want, NULL);
}

static void expect_error(const char *text, const char *want)
{
	expect_error_len(text, strlen(text), want);
}

static void bad_lines(void **state)
{
	expect_error("web\n", "ranges:1: expected name:start:count");
	expect_error("# c\nweb:1\n", "ranges:2: expected name:start:count");
	expect_error(" web:1073741824:65536\n", "ranges:1: leading white space");
	expect_error("\tweb:1073741824:65536\n", "leading white space");
	expect_error("-web:1073741824:65536\n", "ranges:1: invalid name");
	expect_error("a/b:1073741824:65536\n", "invalid name");
	expect_error("..:1073741824:65536\n", "invalid name");
	expect_error(":1073741824:65536\n", "invalid name");
	expect_error("web:x:65536\n", "ranges:1: start is not a number");
	expect_error("web:-1:65536\n", "start is not a number");
	expect_error("web:4294967296:1\n", "start is not a number in 0..4294967295");
	expect_error("web:1073741824:0\n", "count is not a number in 1..4294967295");
	expect_error("web:1073741824:\n", "count is not a number");
	expect_error("web:1073741824:65536:7\n", "count is not a number");
	expect_error("web:4294967295:1\n", "range wraps past 4294967294");
	expect_error("web:4294901760:65536\n", "range wraps");
	expect_error("web:1073741824:65536 # created\n", "ranges:1: metadata must be key=value");
	expect_error("web:1073741824:65536 # Key=v\n", "invalid metadata key or value");
	expect_error("web:1073741824:65536 # k=\n", "invalid metadata key or value");
	expect_error("web:1073741824:65536 # =v\n", "invalid metadata key or value");
	expect_error("web:1073741824:65536 # k=\x7f\n", "invalid metadata key or value");
	expect_error_len("web:1073741824:65536\nd\0b:1:1\n", 30, "ranges:2: NUL byte");
}

static void inconsistent(void **state)
{
	expect_error("a:1073741824:65536\n\nb:1073807359:2\n",
		     "ranges:3: range of 'b' overlaps line 1 ('a')");
	expect_error("b:1073807359:2\na:1073741824:65536\n",
		     "ranges:1: range of 'b' overlaps line 2 ('a')");
	expect_error("a:1073741824:65536\nb:1073807360:1\na:1073872896:1\n",
		     "ranges:3: 'a' already has a range on line 1");
}

static void good_and_round_trip(void **state)
{
	static const char text[] = "# header\n\n"
				   "web:1073741824:65536 # created=2026-01-01T00:00:00Z id=abc\n"
				   "db:1073807360:131072\t# x=1\n"
				   "last:65536:1";
	struct vg_registry r, r2;
	struct vg_error e = { 0 };
	struct vg_range *rg;
	char *out;

	vg_registry_init(&r);
	assert_int_equal(vg_registry_parse(&r, text, strlen(text), "ranges", &e), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.ranges[1].line, 4);
	rg = vg_registry_find(&r, "db");
	assert_non_null(rg);
	assert_int_equal(rg->count, 131072);
	assert_string_equal(vg_range_get_meta(rg, "x"), "1");
	assert_null(vg_range_get_meta(rg, "created"));
	assert_ptr_equal(vg_registry_find_id(&r, 1073807360 + 131071), rg);
	assert_null(vg_registry_find_id(&r, 1073807360 + 131072));
	assert_ptr_equal(vg_registry_find_id(&r, 65536), &r.ranges[2]);
	assert_null(vg_registry_find(&r, "nope"));

	/* Metadata rules on the write side too. */
	assert_int_equal(vg_range_set_meta(&r, rg, "bad key", "v", &e), -EINVAL);
	assert_int_equal(vg_range_set_meta(&r, rg, "k", "a b", &e), -EINVAL);
	assert_int_equal(vg_range_set_meta(&r, rg, "k", "a#b", &e), -EINVAL);
	assert_false(r.dirty);
	assert_int_equal(vg_range_set_meta(&r, rg, "x", "1", &e), 0);
	assert_false(r.dirty); /* unchanged value: nothing to write */
	assert_int_equal(vg_range_set_meta(&r, rg, "x", "2", &e), 0);
	assert_true(r.dirty);

	assert_int_equal(vg_registry_release(&r, "nope", &e), -ENOENT);
	assert_string_equal(e.msg, "'nope' has no range");
	assert_int_equal(vg_registry_release(&r, "web", &e), 0);

	out = vg_registry_format(&r);
	assert_non_null(out);
	assert_non_null(strstr(out, "\ndb:1073807360:131072 # x=2\nlast:65536:1\n"));
	vg_registry_init(&r2);
	assert_int_equal(vg_registry_parse(&r2, out, strlen(out), "again", &e), 0);
	assert_int_equal(r2.n, 2);
	free(out);
	vg_registry_close(&r2);
	vg_registry_close(&r);
}

static void commit_needs_open_registry(void **state)
{
	struct vg_registry r;
	struct vg_error e = { 0 };

	vg_registry_init(&r);
	assert_int_equal(vg_registry_commit(&r, &e), 0); /* nothing to write */
	r.dirty = true;
	assert_int_equal(vg_registry_commit(&r, &e), -EBADF);
	assert_non_null(strstr(e.msg, "not open for writing"));
	vg_registry_close(&r);
}

static void many_lines(void **state)
{
	/* 100,000 lines parse, and the consistency check stays O(n log n). */
	size_t n = 100000, cap = n * 40, len = 0;
	char *text = malloc(cap);
	struct vg_registry r;
	struct vg_error e = { 0 };

	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "c%zu:%zu:1\n", i, 65536 + i);
	vg_registry_init(&r);
	assert_int_equal(vg_registry_parse(&r, text, len, "ranges", &e), 0);
	assert_int_equal(r.n, n);
	assert_non_null(vg_registry_find(&r, "c99999"));
	vg_registry_close(&r);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_lines),	       cmocka_unit_test(inconsistent),
		cmocka_unit_test(good_and_round_trip), cmocka_unit_test(commit_needs_open_registry),
		cmocka_unit_test(many_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
