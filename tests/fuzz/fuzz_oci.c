/* libFuzzer target: an OCI config.json through the parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "adapters.h"
#include "jsonutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_container ct = { 0 };
	struct vg_error e = { 0 };
	json_t *j = NULL;

	if (vg_json_load_buf((const char *)data, size, "config.json", &j, &e) == 0) {
		(void)vg_oci_parse(j, "config.json", &ct, &e);
		json_decref(j);
	}
	vg_container_free(&ct);
	return 0;
}
