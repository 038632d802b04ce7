/* libFuzzer target: a docker run command line, arguments separated by NUL bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapters.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), **argv;
	struct vg_container ct = { 0 };
	struct vg_error e = { 0 };
	int argc = 0;

	if (!buf || size > 65536) {
		free(buf);
		return 0;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv = calloc(size + 2, sizeof(char *));
	if (!argv) {
		free(buf);
		return 0;
	}
	for (size_t i = 0; i <= size;) {
		argv[argc++] = buf + i;
		i += strlen(buf + i) + 1;
	}
	(void)vg_dockerargs_parse(argc, argv, &ct, &e);
	vg_container_free(&ct);
	free(argv);
	free(buf);
	return 0;
}
