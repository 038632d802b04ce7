/* The fixer's policy for a volume's tree from its members: owner, mode, ACLs (fixer.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "fixer.h"

#define A 1073741824u
#define B 1073807360u
#define W 1073872896u

static void tree_policy(void **state)
{
	struct vg_member v[3] = { { "web", false, A, A },
				  { "db", false, B, B },
				  { "worker", true, W, W } };
	struct vg_members m = { v, 1 };
	struct vg_tree_policy p;

	vg_tree_policy_init(&p, &m);
	assert_int_equal(p.root_uid, A);
	assert_int_equal(p.root_mode, 0700);
	assert_true(p.root.minimal);
	assert_true(p.dflt.minimal);
	m.n = 3;
	vg_tree_policy_init(&p, &m);
	assert_int_equal(p.root_uid, 0);
	assert_int_equal(p.root_mode, 0770);
	assert_int_equal(p.acl.n, 3);
	m.v = &v[2];
	m.n = 1;
	v[1].ro = true;
	m.v = &v[1];
	m.n = 2;
	vg_tree_policy_init(&p, &m);
	assert_int_equal(p.root_mode, 0750); /* every member read-only */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tree_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
