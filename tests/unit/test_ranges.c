/* Range arithmetic at the edges: pool end, alignment, the reserved IDs. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ranges.h"

static void first_fit_empty(void **state)
{
	struct vg_intervals s = { 0 };
	uint64_t start = 0;

	vg_intervals_add_reserved(&s);
	vg_intervals_normalize(&s);
	assert_int_equal(vg_intervals_first_fit(&s, 1073741824, 2147483647, 65536, 65536, &start),
			 0);
	assert_int_equal(start, 1073741824);
	vg_intervals_free(&s);
}

static void first_fit_skips_and_aligns(void **state)
{
	struct vg_intervals s = { 0 };
	uint64_t start = 0;

	vg_intervals_add(&s, 1073741824 + 5, 1073741824 + 5, "user");
	vg_intervals_add(&s, 1073741824 + 65536, 1073741824 + 65536 + 65535, "range");
	vg_intervals_normalize(&s);
	assert_int_equal(vg_intervals_first_fit(&s, 1073741824, 2147483647, 65536, 65536, &start),
			 0);
	assert_int_equal(start, 1073741824 + 2 * 65536);
	vg_intervals_free(&s);
}

static void pool_end_exact_and_full(void **state)
{
	struct vg_intervals s = { 0 };
	uint64_t start = 0;

	/* A pool of exactly one range fits; one ID less does not. */
	assert_int_equal(vg_intervals_first_fit(&s, 65536, 131071, 65536, 65536, &start), 0);
	assert_int_equal(start, 65536);
	assert_int_equal(vg_intervals_first_fit(&s, 65536, 131070, 65536, 65536, &start), -ENOSPC);
	/* Near 2^32: the last ID 4294967295 is reserved, so the top range cannot be used. */
	vg_intervals_add_reserved(&s);
	vg_intervals_normalize(&s);
	assert_int_equal(
	    vg_intervals_first_fit(&s, 4294901760ULL, 4294967295ULL, 65536, 65536, &start),
	    -ENOSPC);
	assert_int_equal(
	    vg_intervals_first_fit(&s, 4294836224ULL, 4294967294ULL, 65536, 65536, &start), 0);
	assert_int_equal(start, 4294836224ULL);
	/* Overflow IDs 65534/65535 are never inside a range. */
	assert_int_equal(vg_intervals_first_fit(&s, 0, 200000, 65536, 65536, &start), 0);
	assert_int_equal(start, 65536);
	vg_intervals_free(&s);
}

static void normalize_merges(void **state)
{
	struct vg_intervals s = { 0 };

	vg_intervals_add(&s, 10, 20, "a");
	vg_intervals_add(&s, 21, 30, "b");
	vg_intervals_add(&s, 5, 12, "c");
	vg_intervals_add(&s, 100, 100, "d");
	vg_intervals_normalize(&s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].first, 5);
	assert_int_equal(s.v[0].last, 30);
	assert_int_equal(s.v[1].first, 100);
	vg_intervals_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(first_fit_empty),
		cmocka_unit_test(first_fit_skips_and_aligns),
		cmocka_unit_test(pool_end_exact_and_full),
		cmocka_unit_test(normalize_merges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
