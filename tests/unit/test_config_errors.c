/* The config parser's answer to bad input: every error names the file, the line and the key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "config.h"

/* Parse `text`; expect failure with a message containing `want`. */
static void expect_error(const char *text, const char *want)
{
	struct vg_config c;
	struct vg_error e = { 0 };
	int r;

	vg_config_init(&c);
	r = vg_config_parse_string(&c, text, "t.conf", &e);
	vg_config_free(&c);
	unit_expect_error(r, &e, EINVAL, text, want, NULL);
}

static void unknown_keys_and_sections(void **state)
{
	expect_error("[paths]\nnope = 1\n", "t.conf:2: [paths] nope: unknown key");
	expect_error("[ranges]\ndocker_root = /x\n", "t.conf:2: [ranges] docker_root: unknown key");
	expect_error("\n\n[policy]\nsensitive = /\n", "t.conf:4: [policy] sensitive: unknown key");
	expect_error("[pathz]\n", "t.conf:1: [pathz]: unknown section");
	expect_error("[paths]\n[other]\nx = 1\n", "t.conf:2: [other]: unknown section");
	expect_error("[volume \"v\"]\ncolour = red\n",
		     "t.conf:2: [volume \"v\"] colour: unknown key");
	expect_error("[volume v]\nmembers = a\n", "unknown section");
	expect_error("[volume \"\"]\n", "unknown section");
	expect_error("[volume \"../x\"]\nmembers = a\n", "'../x' is not a valid volume name");
	expect_error("[volume \"a/b\"]\nmembers = a\n", "'a/b' is not a valid volume name");
	/* A key before any section is in section "" */
	expect_error("key = 1\n", "t.conf:1: []");
}

static void syntax(void **state)
{
	expect_error("[paths\n", "t.conf:1: syntax error");
	expect_error("[paths]\ndocker_root\n", "t.conf:2: syntax error");
	expect_error("[paths]\n\n\njunk line here\n", "t.conf:4: syntax error");
}

static void numbers(void **state)
{
	expect_error("[ranges]\nrange_size = abc\n",
		     "t.conf:2: [ranges] range_size: 'abc' is not a number");
	expect_error("[ranges]\nrange_size = -1\n", "'-1' is not a number");
	expect_error("[ranges]\nrange_size = 12x\n", "'12x' is not a number");
	expect_error("[ranges]\npool_start = 4294967296\n", "'4294967296' is out of range");
	expect_error("[ranges]\npool_end = 99999999999999999999999\n", "is out of range");
	expect_error("[ranges]\nrange_size = 0\n", "range_size: must be at least 1");
	expect_error("[ranges]\npool_start = 1073741825\n", "is not aligned to range_size 65536");
	expect_error("[ranges]\npool_start = 0\n", "overlaps the system IDs 0..65535");
	expect_error("[ranges]\npool_end = 4294967295\n", "must be below 4294967295");
	expect_error("[ranges]\npool_start = 131072\npool_end = 131071\n",
		     "is smaller than one range");
	expect_error("[ranges]\npool_start = 131072\npool_end = 196606\n",
		     "is smaller than one range");
}

static void paths_and_lists(void **state)
{
	char *text, *p;

	expect_error("[paths]\nstate_dir = var/lib\n",
		     "t.conf:2: [paths] state_dir: 'var/lib' is not an absolute path");
	expect_error("[paths]\ndocker_root = \n", "docker_root: '' is not an absolute path");
	expect_error("[policy]\nsensitive_paths = /etc, usr\n",
		     "[policy] sensitive_paths: 'usr' is not an absolute path");
	expect_error("[policy]\nextra_sensitive_paths = /a\n  b\n",
		     "t.conf:3: [policy] extra_sensitive_paths: 'b'");
	expect_error("[policy]\ndrop_capabilities = CAP_SYS_ADMIN, CAP_NOPE\n",
		     "'CAP_NOPE' is not a capability name");
	expect_error("[policy]\ndrop_capabilities = 99\n", "'99' is not a capability name");
	expect_error("[policy]\nallowed_capabilities = CAP_KILL, KILLALL\n",
		     "t.conf:2: [policy] allowed_capabilities: 'KILLALL' is not a capability name");
	expect_error("[policy]\nallowed_devices = /dev/fuse, fuse\n",
		     "t.conf:2: [policy] allowed_devices: 'fuse' is not an absolute path");
	expect_error("[policy]\nallowed_devices = /dev/fuse\nallowed_devices = /dev/kvm\n",
		     "allowed_devices");
	expect_error("[policy]\ndeny_privileged = maybe\n",
		     "[policy] deny_privileged: 'maybe' is not a boolean");
	expect_error("[policy]\nstrict_membership = 2\n", "'2' is not a boolean");
	expect_error("[policy]\nisolation = maybe\n", "'maybe': expected auto, userns or shift");
	expect_error("[paths]\nstage_dir = run/volguard\n", "stage_dir");
	expect_error("[policy]\nallow_readonly_sensitive =\n", "'' is not a boolean");
	/* inih's line buffer (200 bytes in Debian's build) is the limit of a path, long before
	 * PATH_MAX: a longer line is refused whole rather than cut in two. */
	text = malloc(4200);
	assert_non_null(text);
	p = text + sprintf(text, "[paths]\nruntime = /");
	memset(p, 'a', 4095);
	strcpy(p + 4095, "\n");
	expect_error(text, "t.conf:2: line longer than");
	free(text);
}

static void volumes(void **state)
{
	expect_error("[volume \"v\"]\nmembers = a:rx\n",
		     "t.conf:2: [volume \"v\"] members: member 'a:rx': mode must be rw or ro");
	expect_error("[volume \"v\"]\nmembers = a, -b\n",
		     "member '-b' is not a valid container name");
	expect_error("[volume \"v\"]\nmembers = a, b, a:ro\n", "member 'a' listed twice");
	expect_error("[volume \"v\"]\nmembers = a\n[volume \"v\"]\nmembers = a\n",
		     "t.conf:3: [volume \"v\"]: volume declared twice (first on line 1)");
	expect_error("[paths]\n\n[volume \"v\"]\n", "t.conf:3: [volume \"v\"] members: missing");
	expect_error("[volume \"v\"]\nmembers =\n", "[volume \"v\"] members: missing");
}

static void long_lines(void **state)
{
	/* A line of 1 MiB: refused whole, not split into two lines by inih. */
	size_t n = 1024 * 1024;
	char *text = malloc(n + 64);

	assert_non_null(text);
	strcpy(text, "[paths]\n# ");
	memset(text + 10, 'x', n);
	strcpy(text + 10 + n, "\n");
	expect_error(text, "t.conf:2: line longer than");
	free(text);
}

static void good_config(void **state)
{
	struct vg_config c;
	struct vg_error e = { 0 };
	const struct vg_volume_decl *d;

	vg_config_init(&c);
	assert_int_equal(vg_config_parse_string(&c,
						"[paths]\ndocker_root = /d\n"
						"[ranges]\npool_start = 131072\npool_end = 262143\n"
						"range_size = 65536\n"
						"[policy]\nsensitive_paths = /a\n  /b, /c\n"
						"drop_capabilities = CAP_CHOWN\n  cap_fowner\n"
						"deny_privileged = No\nstrict_membership = ON\n"
						"isolation_exempt = infra-*\n"
						"[volume \"v\"]\nmembers = a, b:ro, c:rw\n",
						"t.conf", &e),
			 0);
	assert_string_equal(c.volumes_root, "/d/volumes");
	assert_int_equal(c.pool_start, 131072);
	assert_int_equal(vg_strv_length(c.sensitive_paths), 3);
	assert_string_equal(c.sensitive_paths[2], "/c");
	/* A continuation line extends drop_capabilities instead of replacing it. */
	assert_int_equal(c.drop_capabilities, (UINT64_C(1) << 0) | (UINT64_C(1) << 3));
	assert_false(c.deny_privileged);
	assert_true(c.strict_membership);
	assert_true(vg_config_is_exempt(&c, "infra-dns"));
	assert_false(vg_config_is_exempt(&c, "web"));
	d = vg_config_find_volume(&c, "v");
	assert_non_null(d);
	assert_int_equal(d->n_members, 3);
	assert_true(d->members[1].ro);
	assert_false(d->members[2].ro);
	assert_null(vg_config_find_volume(&c, "w"));
	vg_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_keys_and_sections),
		cmocka_unit_test(syntax),
		cmocka_unit_test(numbers),
		cmocka_unit_test(paths_and_lists),
		cmocka_unit_test(volumes),
		cmocka_unit_test(long_lines),
		cmocka_unit_test(good_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
