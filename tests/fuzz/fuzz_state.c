/*
 * The OCI state JSON that `volguard prestart` reads on stdin (runc, crun, Podman, CRI-O).
 * parse_state() is static in cmd_prestart.c: the file is compiled into this target, so the
 * fuzzer runs the code the hook runs.
 */
#include "../../src/cmd_prestart.c" // NOLINT(bugprone-suspicious-include): on purpose, see above
#include "fuzz.h"

/* main.c's, which is not in libvolguard.a; cmd_prestart() is never called here. */
int vg_cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	return VG_EXIT_ERROR;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hook_state st = { 0 };
	struct vg_error e = { 0 };

	if (size > STATE_MAX_SIZE)
		return 0; /* read_stdin refuses more */
	if (parse_state((const char *)data, size, &st, &e) < 0) {
		FUZZ_CHECK(e.code > 0 && strncmp(e.msg, "state: ", 7) == 0);
	} else {
		FUZZ_CHECK(st.id && st.id[0]);
		FUZZ_CHECK(st.bundle && st.bundle[0] == '/');
		FUZZ_CHECK(st.pid > 0);
	}
	free(st.id);
	free(st.bundle);
	return 0;
}
