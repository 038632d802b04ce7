/*
 * ACLs: what the policy expects of an entry given the ACL found on disk (any bytes: a
 * container that owns a file sets its ACL), compared with it and rendered as text by libacl.
 * Input: 1 byte number of named grants (mod 8), 5 bytes each (uid, ro), 2 bytes of mode,
 * 1 byte is_dir, then the ACL on disk in the kernel's xattr form.
 */
#include <sys/acl.h>
#include <acl/libacl.h>

#include "acl.h"
#include "fuzz.h"

static void check_valid_text(const struct vg_acl_blob *b)
{
	char *text = vg_acl_to_text(b->data, b->len);
	acl_t acl;

	FUZZ_CHECK(text);
	acl = acl_from_text(text);
	if (!acl || acl_valid(acl) != 0)
		fprintf(stderr, "invalid expected ACL: %s\n", text);
	FUZZ_CHECK(acl && acl_valid(acl) == 0);
	acl_free(acl);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_acl_policy p = { 0 };
	struct vg_acl_blob want, again, fixed;
	const uint8_t *cur;
	size_t n, cur_len;
	mode_t mode;
	bool is_dir;
	char *text;

	if (size < 1)
		return 0;
	n = data[0] % 8;
	if (size < 1 + 5 * n + 3)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t uid;
		memcpy(&uid, data + 1 + 5 * i, 4);
		if (uid == UINT32_MAX)
			return 0; /* the invalid ID: no principal has it (members.c refuses it) */
		FUZZ_CHECK(vg_acl_policy_add(&p, uid, data[1 + 5 * i + 4] & 1) == 0);
	}
	for (size_t i = 1; i < p.n; i++)
		FUZZ_CHECK(p.v[i - 1].uid < p.v[i].uid); /* sorted, no duplicates */
	mode = (mode_t)(data[1 + 5 * n] | (data[2 + 5 * n] << 8)) & 07777;
	is_dir = data[3 + 5 * n] & 1;
	cur = data + 4 + 5 * n;
	cur_len = size - (4 + 5 * n);

	vg_acl_expected_access(&p, is_dir, cur, cur_len, mode, &want);
	FUZZ_CHECK(want.minimal == (p.n == 0));
	FUZZ_CHECK(want.len == 4 + 8 * (3 + p.n + (p.n > 0)));
	FUZZ_CHECK(!vg_acl_equal(cur, cur_len, &want) || cur_len == 0 || !want.minimal);
	check_valid_text(&want);
	/* Idempotent: what it expects of a correct entry is that entry, unchanged. */
	vg_acl_expected_access(&p, is_dir, want.data, want.len, mode ^ 0777, &again);
	FUZZ_CHECK(again.len == want.len && memcmp(again.data, want.data, want.len) == 0);
	if (!want.minimal)
		FUZZ_CHECK(vg_acl_equal(want.data, want.len, &want));

	vg_acl_expected_fixed(&p, &fixed);
	FUZZ_CHECK(fixed.minimal == (p.n == 0));
	check_valid_text(&fixed);

	/* Whatever is on disk renders as text libacl reads back, or not at all. */
	text = vg_acl_to_text(cur, cur_len);
	if (text) {
		acl_t acl = acl_from_text(text);
		if (*text)
			FUZZ_CHECK(acl);
		acl_free(acl);
		free(text);
	}
	return 0;
}
