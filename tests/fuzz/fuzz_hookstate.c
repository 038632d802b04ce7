/* libFuzzer target: the state JSON an OCI runtime gives `volguard prestart` on stdin. */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "hookstate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_hook_state st = { 0 };
	struct vg_error e = { 0 };

	if (vg_hook_state_parse((const char *)data, size, &st, &e) == 0) {
		FUZZ_CHECK(st.id && st.id[0] != '\0');
		FUZZ_CHECK(st.bundle && st.bundle[0] == '/');
		FUZZ_CHECK(st.pid > 0);
	} else {
		FUZZ_CHECK(e.msg[0] != '\0');
	}
	vg_hook_state_free(&st);
	return 0;
}
