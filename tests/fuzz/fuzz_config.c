/* The config file: INI through inih, then our keys and validation (vg_config_parse_string). */
#include "config.h"
#include "fuzz.h"
#include "identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_config c;
	struct vg_error e = { 0 };
	char *text;
	int r;

	if (size > VG_CONFIG_MAX_SIZE)
		return 0; /* vg_config_load refuses larger files before parsing */
	text = fuzz_strndup(data, size);
	vg_config_init(&c);
	r = vg_config_parse_string(&c, text, "fuzz.conf", &e);
	if (r < 0) {
		/* Every error is a message that names the file. */
		FUZZ_CHECK(e.code > 0);
		FUZZ_CHECK(strncmp(e.msg, "fuzz.conf", 9) == 0);
	} else {
		/* What validate() promises to the rest of the program. */
		FUZZ_CHECK(r == 0);
		FUZZ_CHECK(c.range_size > 0);
		FUZZ_CHECK(c.pool_start % c.range_size == 0);
		FUZZ_CHECK(c.pool_start >= 65536);
		FUZZ_CHECK(c.pool_end < UINT32_MAX);
		FUZZ_CHECK(c.pool_end >= c.pool_start);
		FUZZ_CHECK(c.pool_end - c.pool_start + 1 >= c.range_size);
		FUZZ_CHECK(c.volumes_root && c.volumes_root[0] == '/');
		FUZZ_CHECK(c.docker_root[0] == '/' && c.state_dir[0] == '/');
		for (size_t i = 0; c.sensitive_paths && c.sensitive_paths[i]; i++)
			FUZZ_CHECK(c.sensitive_paths[i][0] == '/');
		for (size_t i = 0; c.extra_sensitive_paths && c.extra_sensitive_paths[i]; i++)
			FUZZ_CHECK(c.extra_sensitive_paths[i][0] == '/');
		for (size_t i = 0; i < c.n_volumes; i++) {
			FUZZ_CHECK(vg_name_valid(c.volumes[i].name));
			FUZZ_CHECK(c.volumes[i].n_members > 0);
			FUZZ_CHECK(vg_config_find_volume(&c, c.volumes[i].name) == &c.volumes[i]);
			for (size_t j = 0; j < c.volumes[i].n_members; j++)
				FUZZ_CHECK(vg_identity_valid(c.volumes[i].members[j].name));
		}
		(void)vg_config_is_exempt(&c, "web");
	}
	vg_config_free(&c);
	free(text);
	return 0;
}
