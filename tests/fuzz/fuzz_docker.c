/* libFuzzer target: Docker's config.v2.json and hostconfig.json, split at the first NUL byte. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "adapters.h"
#include "jsonutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n1 = nul ? (size_t)(nul - data) : size;
	struct vg_container ct = { 0 };
	struct vg_error e = { 0 };
	json_t *cfg = NULL, *hc = NULL;

	if (vg_json_load_buf((const char *)data, n1, "config.v2.json", &cfg, &e) < 0)
		return 0;
	if (nul)
		(void)vg_json_load_buf((const char *)nul + 1, size - n1 - 1, "hostconfig.json", &hc,
				       &e);
	if (!hc)
		hc = json_object();
	(void)vg_docker_parse(cfg, hc, &ct, &e);
	vg_container_free(&ct);
	json_decref(cfg);
	json_decref(hc);
	return 0;
}
