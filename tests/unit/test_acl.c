/* The ACL policy: expected ACLs, mask repair, comparisons (acl.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "acl.h"

#define A 1073741824u
#define B 1073807360u
#define W 1073872896u

static struct vg_acl_policy shared3(void)
{
	struct vg_acl_policy p = { .n = 0 };
	assert_int_equal(vg_acl_policy_add(&p, W, true), 0);
	assert_int_equal(vg_acl_policy_add(&p, B, false), 0);
	assert_int_equal(vg_acl_policy_add(&p, A, false), 0);
	return p;
}

static void assert_text(const struct vg_acl_blob *b, const char *want)
{
	char *t = vg_acl_to_text(b->data, b->len);
	assert_non_null(t);
	assert_string_equal(t, want);
	free(t);
}

static void policy_sorted_deduplicated(void **state)
{
	struct vg_acl_policy p = shared3();

	assert_int_equal(p.n, 3);
	assert_int_equal(p.v[0].uid, A);
	assert_int_equal(p.v[2].uid, W);
	/* The same principal rw and ro: the stronger grant wins. */
	assert_int_equal(vg_acl_policy_add(&p, W, false), 0);
	assert_int_equal(p.n, 3);
	assert_false(p.v[2].ro);
	p.n = VG_ACL_MAX_NAMED;
	assert_int_equal(vg_acl_policy_add(&p, 5, false), -E2BIG);
}

static void fixed_acl(void **state)
{
	struct vg_acl_policy p = shared3();
	struct vg_acl_blob b;

	vg_acl_expected_fixed(&p, &b);
	assert_false(b.minimal);
	assert_text(&b, "u::rwx,u:1073741824:rwx,u:1073807360:rwx,u:1073872896:r-x,g::---,m::rwx,"
			"o::---");
}

static void file_0644_no_acl(void **state)
{
	struct vg_acl_policy p = shared3();
	struct vg_acl_blob b;

	vg_acl_expected_access(&p, false, NULL, 0, 0100644, &b);
	/* Not executable: the mask takes x away. */
	assert_text(&b, "u::rw-,u:1073741824:rwx,u:1073807360:rwx,u:1073872896:r-x,g::r--,m::rw-,"
			"o::r--");
	assert_false(vg_acl_equal(NULL, 0, &b));
}

static void executable_and_directory(void **state)
{
	struct vg_acl_policy p = shared3();
	struct vg_acl_blob b;

	vg_acl_expected_access(&p, false, NULL, 0, 0100750, &b);
	assert_text(&b, "u::rwx,u:1073741824:rwx,u:1073807360:rwx,u:1073872896:r-x,g::r-x,m::rwx,"
			"o::---");
	vg_acl_expected_access(&p, true, NULL, 0, 040700, &b);
	assert_text(&b, "u::rwx,u:1073741824:rwx,u:1073807360:rwx,u:1073872896:r-x,g::---,m::rwx,"
			"o::---");
}

static void mask_repair(void **state)
{
	struct vg_acl_policy p = shared3();
	struct vg_acl_blob inherited, created_0644, want;

	/* What the kernel gives a file created with mode 0666 under the default ACL: the
	 * default's entries, mask rw-. It already matches: no write, no ctime. */
	vg_acl_expected_access(&p, false, NULL, 0, 0100600, &inherited);
	vg_acl_expected_access(&p, false, inherited.data, inherited.len, 0100600, &want);
	assert_true(vg_acl_equal(inherited.data, inherited.len, &want));
	/* Created 0644: mask r-- (byte 2 of the mask entry); members lost write. */
	created_0644 = inherited;
	for (size_t off = 4; off < created_0644.len; off += 8)
		if (created_0644.data[off] == 0x10)
			created_0644.data[off + 2] = 4;
	vg_acl_expected_access(&p, false, created_0644.data, created_0644.len, 0100640, &want);
	assert_false(vg_acl_equal(created_0644.data, created_0644.len, &want));
	assert_text(&want, "u::rw-,u:1073741824:rwx,u:1073807360:rwx,u:1073872896:r-x,g::---,"
			   "m::rw-,o::---");
}

static void only_ro_members(void **state)
{
	struct vg_acl_policy p = { .n = 0 };
	struct vg_acl_blob b;

	vg_acl_policy_add(&p, A, true);
	vg_acl_policy_add(&p, B, true);
	vg_acl_expected_access(&p, false, NULL, 0, 0100600, &b);
	assert_text(&b, "u::rw-,u:1073741824:r-x,u:1073807360:r-x,g::---,m::r--,o::---");
}

static void private_is_minimal(void **state)
{
	struct vg_acl_policy p = { .n = 0 };
	struct vg_acl_policy sh = shared3();
	struct vg_acl_blob b, old;

	vg_acl_expected_access(&p, false, NULL, 0, 0100640, &b);
	assert_true(b.minimal);
	assert_true(vg_acl_equal(NULL, 0, &b));
	/* A leftover shared ACL must go; the group keeps its own entry, not the mask. */
	vg_acl_expected_access(&sh, false, NULL, 0, 0100640, &old);
	vg_acl_expected_access(&p, false, old.data, old.len, 0100660, &b);
	assert_true(b.minimal);
	assert_false(vg_acl_equal(old.data, old.len, &b));
	assert_text(&b, "u::rw-,g::r--,o::---");
}

static void malformed_never_equal(void **state)
{
	struct vg_acl_policy p = shared3();
	struct vg_acl_blob b;
	uint8_t junk[12] = { 9, 0, 0, 0, 1, 0, 7, 0, 0xff, 0xff, 0xff, 0xff };

	vg_acl_expected_access(&p, false, junk, sizeof(junk), 0100644, &b);
	assert_false(vg_acl_equal(junk, sizeof(junk), &b));
	assert_false(vg_acl_equal(junk, 7, &b));
	assert_text(&b, "u::rw-,u:1073741824:rwx,u:1073807360:rwx,u:1073872896:r-x,g::r--,m::rw-,"
			"o::r--");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(policy_sorted_deduplicated),
		cmocka_unit_test(fixed_acl),
		cmocka_unit_test(file_0644_no_acl),
		cmocka_unit_test(executable_and_directory),
		cmocka_unit_test(mask_repair),
		cmocka_unit_test(only_ro_members),
		cmocka_unit_test(private_is_minimal),
		cmocka_unit_test(malformed_never_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
