/* libFuzzer target: an OCI config.json through the parser, then through the shift rewrite. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "adapters.h"
#include "gojson.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_container ct = { 0 };
	struct vg_error e = { 0 };
	json_t *j = NULL;

	if (vg_json_load_buf((const char *)data, size, "config.json", &j, &e) == 0) {
		const struct vg_spec_shift shift = { .start = 1073741824,
						     .count = 65536,
						     .keep_caps = UINT64_C(1) << 10 };
		(void)vg_oci_parse(j, "config.json", &ct, &e);
		(void)vg_spec_apply_shift(j, &shift, &e);
		json_decref(j);
	}
	vg_container_free(&ct);
	return 0;
}
