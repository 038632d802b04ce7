/* The registry file: parse, and the round trip parse(format(parse(x))) == parse(x). */
#include <errno.h>

#include "fuzz.h"
#include "identity.h"
#include "registry.h"

static void same_registry(const struct vg_registry *a, const struct vg_registry *b)
{
	FUZZ_CHECK(a->n == b->n);
	for (size_t i = 0; i < a->n; i++) {
		const struct vg_range *x = &a->ranges[i], *y = &b->ranges[i];
		FUZZ_CHECK(strcmp(x->name, y->name) == 0);
		FUZZ_CHECK(x->start == y->start && x->count == y->count);
		FUZZ_CHECK(x->n_meta == y->n_meta);
		for (size_t j = 0; j < x->n_meta; j++) {
			FUZZ_CHECK(strcmp(x->meta[j].key, y->meta[j].key) == 0);
			FUZZ_CHECK(strcmp(x->meta[j].value, y->meta[j].value) == 0);
		}
	}
}

/* Metadata encoding round trip (runc_root=PATH), and the input read as a quarantine file
 * (a name may repeat there, lines may not overlap). */
static void meta_and_quarantine(const uint8_t *data, size_t size)
{
	char *s = vg_malloc0(size + 1), *enc, *dec;
	struct vg_registry q;
	struct vg_error e = { 0 };

	memcpy(s, data, size);
	enc = vg_meta_encode(s);
	for (const char *p = enc; *p; p++)
		FUZZ_CHECK(*p > ' ' && *p < 127 && *p != '#');
	dec = vg_meta_decode(enc);
	FUZZ_CHECK(dec && strcmp(dec, s) == 0);
	free(dec);
	free(enc);
	free(s);
	vg_registry_init(&q);
	q.multi_names = true;
	q.quarantine_days = 30;
	if (vg_registry_parse(&q, (const char *)data, size, "fuzz-quarantine", &e) == 0)
		for (size_t i = 0; i < q.n; i++)
			(void)vg_quarantine_until(&q, &q.ranges[i]);
	vg_registry_close(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_registry a, b;
	struct vg_error e = { 0 };
	char *text, *text2;
	int r;

	meta_and_quarantine(data, size);
	vg_registry_init(&a);
	r = vg_registry_parse(&a, (const char *)data, size, "fuzz-ranges", &e);
	if (r < 0) {
		FUZZ_CHECK(e.code > 0);
		FUZZ_CHECK(strncmp(e.msg, "fuzz-ranges", 11) == 0 ||
			   strcmp(e.msg, "out of memory") == 0);
		vg_registry_close(&a);
		return 0;
	}
	/* One range per line that is not blank or a comment. */
	{
		size_t lines = 0, start = 0;
		for (size_t i = 0; i <= size; i++)
			if (i == size || data[i] == '\n') {
				size_t p = start;
				while (p < i && (data[p] == ' ' || data[p] == '\t'))
					p++;
				if (p < i && data[p] != '#') {
					size_t colons = 0;
					lines++;
					/* name:start:count, exactly, before any comment */
					for (size_t q = p; q < i && data[q] != '#'; q++)
						colons += data[q] == ':';
					FUZZ_CHECK(colons == 2);
				}
				start = i + 1;
			}
		FUZZ_CHECK(lines == a.n);
	}
	for (size_t i = 0; i < a.n; i++) {
		const struct vg_range *rg = &a.ranges[i];
		FUZZ_CHECK(vg_identity_valid(rg->name));
		FUZZ_CHECK(rg->count > 0 && rg->start + rg->count - 1 < UINT32_MAX);
		FUZZ_CHECK(vg_registry_find(&a, rg->name) == rg);
		FUZZ_CHECK(vg_registry_find_id(&a, rg->start) == rg);
		FUZZ_CHECK(vg_registry_find_id(&a, rg->start + rg->count - 1) == rg);
	}

	text = vg_registry_format(&a);
	FUZZ_CHECK(text);
	vg_registry_init(&b);
	r = vg_registry_parse(&b, text, strlen(text), "formatted", &e);
	if (r < 0)
		fprintf(stderr, "formatted registry does not parse: %s\n", e.msg);
	FUZZ_CHECK(r == 0);
	same_registry(&a, &b);
	text2 = vg_registry_format(&b);
	FUZZ_CHECK(text2 && strcmp(text, text2) == 0);

	/* Editing keeps it parseable: drop the first name, tag the rest. */
	if (a.n > 0) {
		char *first = vg_strdup(a.ranges[0].name);
		FUZZ_CHECK(vg_registry_release(&a, first, &e) == 0);
		FUZZ_CHECK(vg_registry_find(&a, first) == NULL);
		FUZZ_CHECK(vg_registry_release(&a, first, &e) == -ENOENT);
		free(first);
		for (size_t i = 0; i < a.n; i++)
			FUZZ_CHECK(
			    vg_range_set_meta(&a, &a.ranges[i], "container_id", "abc123", &e) == 0);
		free(text2);
		text2 = vg_registry_format(&a);
		vg_registry_close(&b);
		vg_registry_init(&b);
		FUZZ_CHECK(vg_registry_parse(&b, text2, strlen(text2), "edited", &e) == 0);
		same_registry(&a, &b);
	}
	free(text);
	free(text2);
	vg_registry_close(&a);
	vg_registry_close(&b);
	return 0;
}
