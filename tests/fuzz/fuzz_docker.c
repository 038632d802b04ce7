/* libFuzzer target: docker.c, the one reader of Docker's files. The input is config.v2.json and
 * hostconfig.json, split at the first NUL byte, through the reader's own parse step and its
 * typed readers; hostconfig.json is also read as a daemon.json. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t n1 = nul ? (size_t)(nul - data) : size;
	struct vg_container ct = { 0 };
	struct vg_error e = { 0 };
	json_t *cfg = NULL, *hc = NULL;
	char *name = NULL, **labels = NULL;
	int line = 0;

	if (vg_docker_parse_json((const char *)data, n1, "config.v2.json", &cfg, &line, &e) < 0)
		return 0;
	if (nul)
		(void)vg_docker_parse_json((const char *)nul + 1, size - n1 - 1, "hostconfig.json",
					   &hc, &line, &e);
	if (!hc)
		hc = json_object();
	(void)vg_docker_name(cfg, &name, &e);
	(void)vg_docker_labels(cfg, &labels, &e);
	free(vg_docker_join_target(hc));
	(void)json_string_value(vg_docker_daemon_get(hc, "userns-remap"));
	(void)vg_docker_parse(cfg, hc, &ct, &e);
	free(name);
	vg_strv_free(labels);
	vg_container_free(&ct);
	json_decref(cfg);
	json_decref(hc);
	return 0;
}
