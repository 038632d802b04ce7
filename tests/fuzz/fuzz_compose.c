/* libFuzzer target: a compose file. Whatever the text, reading it ends in a result or an error
 * with a message, in bounded time (aliases are budgeted), and frees everything. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "compose.h"
#include "fuzz.h"

static char *const env[] = { "TAG=1", "EMPTY=", "HOME=/h", NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vg_compose_opts o = { .project = "fz", .env = env };
	struct vg_compose p;
	struct vg_error e = { 0 };
	int r;

	if (size > 65536)
		return 0;
	/* extends: file: is read relative to this directory, which holds no compose file */
	r = vg_compose_parse((const char *)data, size, "/nonexistent/fuzz/compose.yml", &o, &p, &e);
	if (r < 0) {
		FUZZ_CHECK(e.msg[0] != '\0');
		return 0;
	}
	for (size_t i = 0; i < p.n; i++) {
		FUZZ_CHECK(p.v[i].name && p.v[i].container && p.v[i].ct.image);
		FUZZ_CHECK(p.v[i].replicas <= 10000);
		for (size_t k = 0; k < p.v[i].ct.n_mounts; k++)
			FUZZ_CHECK(p.v[i].ct.mounts[k].destination &&
				   p.v[i].ct.mounts[k].destination[0] == '/');
	}
	vg_compose_free(&p);
	return 0;
}
