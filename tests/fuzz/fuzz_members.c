/* trusted.volguard.members: parse, and the round trip through vg_members_format. */
#include "fuzz.h"
#include "identity.h"
#include "members.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_members a = { 0 }, b = { 0 };
	struct vg_error e = { 0 };
	char *text, *text2;

	if (size > VG_MEMBERS_MAX_SIZE)
		return 0; /* vg_members_read never reads more */
	if (vg_members_parse((const char *)data, size, &a, &e) < 0) {
		FUZZ_CHECK(e.code > 0 && strncmp(e.msg, "members line ", 13) == 0);
		vg_members_free(&a);
		return 0;
	}
	/* One member per non-empty line, each of exactly four fields: nothing dropped or merged. */
	{
		size_t lines = 0, colons = 0;
		for (size_t i = 0; i <= size; i++) {
			if (i < size && data[i] == ':')
				colons++;
			if (i == size || data[i] == '\n') {
				FUZZ_CHECK(colons == 0 || colons == 3);
				lines += colons == 3;
				colons = 0;
			}
		}
		FUZZ_CHECK(lines == a.n);
	}
	for (size_t i = 0; i < a.n; i++) {
		FUZZ_CHECK(vg_identity_valid(a.v[i].name)); /* a name or KIND/A/B */
		FUZZ_CHECK(vg_members_find(&a, a.v[i].name) == &a.v[i]);
	}
	text = vg_members_format(&a);
	FUZZ_CHECK(text);
	FUZZ_CHECK(vg_members_parse(text, strlen(text), &b, &e) == 0);
	FUZZ_CHECK(a.n == b.n);
	for (size_t i = 0; i < a.n; i++) {
		FUZZ_CHECK(strcmp(a.v[i].name, b.v[i].name) == 0);
		FUZZ_CHECK(a.v[i].ro == b.v[i].ro && a.v[i].uid == b.v[i].uid &&
			   a.v[i].gid == b.v[i].gid);
	}
	text2 = vg_members_format(&b);
	FUZZ_CHECK(text2 && strcmp(text, text2) == 0);
	if (a.n > 0) {
		char *first = vg_strdup(a.v[0].name);
		FUZZ_CHECK(vg_members_remove(&a, first));
		FUZZ_CHECK(!vg_members_find(&a, first));
		FUZZ_CHECK(!vg_members_remove(&a, first));
		free(first);
	}
	free(text);
	free(text2);
	vg_members_free(&a);
	vg_members_free(&b);
	return 0;
}
