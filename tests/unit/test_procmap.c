/* /proc/PID/uid_map and gid_map read back (procmap.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "procmap.h"

static void proc_maps(void **state)
{
	struct vg_proc_map *m = calloc(1, sizeof(*m));
	char *t;

	assert_int_equal(vg_proc_map_parse("         0          0 4294967295\n", m), 0);
	assert_true(vg_proc_map_is_host(m));
	assert_false(vg_proc_map_within(m, 1073741824, 65536));
	assert_int_equal(vg_proc_map_parse("         0 1073741824      65536\n", m), 0);
	assert_false(vg_proc_map_is_host(m));
	assert_true(vg_proc_map_within(m, 1073741824, 65536));
	assert_true(vg_proc_map_within(m, 1073741824 - 65536, 131072));
	assert_false(vg_proc_map_within(m, 1073741824, 65535)); /* one ID past the range */
	assert_false(vg_proc_map_within(m, 1073741825, 65536));
	t = vg_proc_map_text(m);
	assert_string_equal(t, "0 1073741824 65536");
	free(t);
	/* two extents: each must stay inside */
	assert_int_equal(vg_proc_map_parse("0 1073741824 1000\n1000 1073742824 64536\n", m), 0);
	assert_int_equal(m->n, 2);
	assert_true(vg_proc_map_within(m, 1073741824, 65536));
	assert_int_equal(vg_proc_map_parse("0 1073741824 1000\n1000 0 1\n", m), 0);
	assert_false(vg_proc_map_within(m, 1073741824, 65536)); /* container 1000 is host root */
	t = vg_proc_map_text(m);
	assert_string_equal(t, "0 1073741824 1000, 1000 0 1");
	free(t);
	/* a namespace whose map was never written reaches nothing */
	assert_int_equal(vg_proc_map_parse("", m), 0);
	assert_int_equal(m->n, 0);
	assert_true(vg_proc_map_within(m, 5, 1));
	assert_int_equal(vg_proc_map_parse("0 1 2 3\n", m), -EINVAL);
	assert_int_equal(vg_proc_map_parse("0 1\n", m), -EINVAL);
	assert_int_equal(vg_proc_map_parse("0 1 0\n", m), -EINVAL);
	assert_int_equal(vg_proc_map_parse("0 4294967295 2\n", m), -EINVAL);
	assert_int_equal(vg_proc_map_parse("-1 0 1\n", m), -EINVAL);
	assert_int_equal(vg_proc_map_parse("0 99999999999999999999 1\n", m), -EINVAL);
	{
		char *big = malloc(341 * 32), *p = big;
		for (int i = 0; i < 341; i++)
			p += sprintf(p, "%d %d 1\n", i, 1000 + i);
		assert_int_equal(vg_proc_map_parse(big, m), -E2BIG);
		free(big);
	}
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(proc_maps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
