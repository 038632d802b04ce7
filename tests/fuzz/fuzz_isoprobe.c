/* The isolation probe cache and /proc/PID/uid_map text: parse, and the round trips
 * parse(format(line)) == line, parse(text(map)) == map. */
#include <errno.h>

#include "fuzz.h"
#include "isoprobe.h"
#include "procmap.h"

static void probe_round_trip(const uint8_t *data, size_t size)
{
	struct vg_isoprobe p, q;
	struct vg_error e = { 0 };

	if (vg_isoprobe_parse((const char *)data, size, &p, &e) < 0) {
		FUZZ_CHECK(memchr(data, '\0', size) != NULL);
		vg_isoprobe_free(&p);
		return;
	}
	FUZZ_CHECK((p.n_bad == 0) == (p.bad_line == 0 && p.bad_why == NULL));
	for (size_t i = 0; i < p.n; i++) {
		char *s = vg_isoprobe_format(&p.v[i]);
		FUZZ_CHECK(vg_isoprobe_parse(s, strlen(s), &q, &e) == 0);
		FUZZ_CHECK(q.n == 1 && q.n_bad == 0);
		FUZZ_CHECK(strcmp(q.v[0].kernel, p.v[i].kernel) == 0);
		FUZZ_CHECK(strcmp(q.v[0].what, p.v[i].what) == 0);
		FUZZ_CHECK(q.v[0].fs == p.v[i].fs && q.v[0].ok == p.v[i].ok);
		FUZZ_CHECK(strcmp(q.v[0].why, p.v[i].why) == 0);
		vg_isoprobe_free(&q);
		free(s);
	}
	vg_isoprobe_free(&p);
}

static void map_round_trip(const uint8_t *data, size_t size)
{
	struct vg_proc_map *m = calloc(2, sizeof(*m));
	char *s = fuzz_strndup(data, size), *t, *nl;

	if (!m)
		abort();
	if (vg_proc_map_parse(s, &m[0]) == 0) {
		t = vg_proc_map_text(&m[0]);
		/* ", " joins extents in the text; the kernel's form has newlines */
		while ((nl = strstr(t, ", ")))
			nl[0] = '\n', nl[1] = ' ';
		FUZZ_CHECK(vg_proc_map_parse(t, &m[1]) == 0);
		FUZZ_CHECK(m[0].n == m[1].n);
		FUZZ_CHECK(memcmp(m[0].v, m[1].v, m[0].n * sizeof(m[0].v[0])) == 0);
		for (size_t i = 0; i < m[0].n; i++)
			FUZZ_CHECK(m[0].v[i].count > 0 &&
				   m[0].v[i].outside + m[0].v[i].count <= 1ull << 32);
		free(t);
	}
	free(s);
	free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	probe_round_trip(data, size);
	map_round_trip(data, size);
	return 0;
}
