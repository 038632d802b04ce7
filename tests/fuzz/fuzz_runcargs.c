/* libFuzzer target: volguard-runc's reading of runc's command line (NUL-separated arguments). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "runcargs.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 2], *p;
	struct runc_args a;
	struct vg_error e = { 0 };
	const char *process;
	int argc = 1;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = (char *)"volguard-runc";
	for (p = buf; argc < MAX_ARGS && p <= buf + size; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	vg_runc_args_parse(argc, argv, &a);
	FUZZ_CHECK(a.argc >= 0 && a.argc < argc);
	FUZZ_CHECK(a.argv[a.argc] == NULL);
	FUZZ_CHECK(a.cmd < a.argc);
	if (a.cmd >= 0 && strcmp(a.argv[a.cmd], "exec") == 0) {
		if (vg_runc_args_exec(&a, &process, &e) == 0)
			FUZZ_CHECK(a.id != NULL);
	} else if (a.cmd >= 0) {
		if (vg_runc_args_create(&a, &e) == 0)
			FUZZ_CHECK(a.id != NULL && a.id[0] != '\0');
	}
	free(buf);
	return 0;
}
