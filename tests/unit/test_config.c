/* The config parser: every key, every error, and the file:line:key in each message. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <cmocka.h>

#include "unit.h"

#include "config.h"

static int parse(struct vg_config *c, const char *text, struct vg_error *e)
{
	vg_config_init(c);
	memset(e, 0, sizeof(*e));
	return vg_config_parse_string(c, text, "t.conf", e);
}

/* Parsing `text` fails, and the message contains every one of the NULL-terminated strings. */
static void expect_error(const char *text, ...)
{
	struct vg_config c;
	struct vg_error e;
	va_list ap;
	int r = parse(&c, text, &e);

	vg_config_free(&c);
	va_start(ap, text);
	unit_expect_errorv(r, &e, 0, text, ap);
	va_end(ap);
}

static void defaults(void **state)
{
	struct vg_config c;
	struct vg_error e;

	assert_int_equal(parse(&c, "", &e), 0);
	assert_string_equal(c.docker_root, "/var/lib/docker");
	assert_string_equal(c.volumes_root, "/var/lib/docker/volumes");
	assert_string_equal(c.state_dir, "/var/lib/volguard");
	assert_string_equal(c.runtime, "/usr/sbin/runc");
	assert_string_equal(c.subuid_file, "/etc/subuid");
	assert_string_equal(c.subgid_file, "/etc/subgid");
	assert_int_equal(c.pool_start, 1073741824);
	assert_int_equal(c.pool_end, 2147483647);
	assert_int_equal(c.range_size, 65536);
	assert_int_equal(vg_strv_length(c.sensitive_paths), 18);
	assert_true(vg_strv_contains(c.sensitive_paths, "/var/lib/docker"));
	assert_null(c.extra_sensitive_paths);
	assert_true(c.allow_readonly_sensitive);
	assert_true(c.deny_privileged);
	assert_false(c.strict_membership);
	assert_int_equal(c.require_limits, 0);
	assert_int_equal(c.drop_capabilities, vg_default_drop_capabilities());
	assert_true(c.drop_capabilities & (UINT64_C(1) << CAP_SYS_ADMIN));
	assert_true(c.drop_capabilities & (UINT64_C(1) << CAP_MKNOD));
	assert_false(c.drop_capabilities & (UINT64_C(1) << CAP_NET_BIND_SERVICE));
	/* Shift mode: no capability survives, no device is allowed. */
	assert_int_equal(c.isolation, VG_ISOLATION_AUTO);
	assert_int_equal(vg_config_cap_survivors(&c, VG_ISOLATION_SHIFT), 0);
	assert_null(c.allowed_devices);
	assert_null(c.isolation_exempt);
	assert_int_equal(c.n_volumes, 0);
	vg_config_free(&c);
}

static void every_key(void **state)
{
	static const char text[] = "# comment\n"
				   "; another\n"
				   "[paths]\n"
				   "docker_root = /d\n"
				   "volumes_root = /v\n"
				   "state_dir = /s\n"
				   "runtime = /r/runc\n"
				   "subuid_file = /e/subuid\n"
				   "subgid_file = /e/subgid\n"
				   "\n"
				   "[ranges]\n"
				   "pool_start = 131072\n"
				   "pool_end = 4294967294\n"
				   "range_size = 131072\n"
				   "[policy]\n"
				   "sensitive_paths = /a, /b /c\n"
				   "extra_sensitive_paths = /x\n"
				   "allow_readonly_sensitive = no\n"
				   "deny_privileged = off\n"
				   "drop_capabilities = CAP_CHOWN, cap_net_raw\n"
				   "allowed_capabilities = CAP_CHOWN, CAP_KILL,\n"
				   "  cap_net_bind_service\n"
				   "allowed_devices = /dev/fuse /dev/net/tun\n"
				   "isolation_exempt = legacy-*, db\n"
				   "strict_membership = TRUE\n"
				   "require_limits = memory,\n  pids\n"
				   "[volume \"shared\"]\n"
				   "members = web:rw, worker:ro db\n";
	struct vg_config c;
	struct vg_error e;
	const struct vg_volume_decl *d;

	assert_int_equal(parse(&c, text, &e), 0);
	assert_string_equal(c.docker_root, "/d");
	assert_string_equal(c.volumes_root, "/v");
	assert_string_equal(c.state_dir, "/s");
	assert_string_equal(c.runtime, "/r/runc");
	assert_string_equal(c.subuid_file, "/e/subuid");
	assert_string_equal(c.subgid_file, "/e/subgid");
	assert_int_equal(c.pool_start, 131072);
	assert_int_equal(c.pool_end, 4294967294ULL);
	assert_int_equal(c.range_size, 131072);
	assert_int_equal(vg_strv_length(c.sensitive_paths), 3);
	assert_string_equal(c.sensitive_paths[0], "/a");
	assert_string_equal(c.sensitive_paths[2], "/c");
	assert_int_equal(vg_strv_length(c.extra_sensitive_paths), 1);
	assert_false(c.allow_readonly_sensitive);
	assert_false(c.deny_privileged);
	assert_true(c.strict_membership);
	assert_int_equal(c.require_limits, VG_LIMIT_MEMORY | VG_LIMIT_PIDS);
	assert_int_equal(c.drop_capabilities,
			 (UINT64_C(1) << CAP_CHOWN) | (UINT64_C(1) << CAP_NET_RAW));
	/* The survivors: allowed minus dropped. */
	assert_int_equal(vg_config_cap_survivors(&c, VG_ISOLATION_SHIFT),
			 (UINT64_C(1) << CAP_KILL) | (UINT64_C(1) << CAP_NET_BIND_SERVICE));
	assert_int_equal(vg_strv_length(c.allowed_devices), 2);
	assert_string_equal(c.allowed_devices[1], "/dev/net/tun");
	assert_true(vg_config_is_exempt(&c, "legacy-app"));
	assert_true(vg_config_is_exempt(&c, "db"));
	assert_false(vg_config_is_exempt(&c, "web"));
	assert_int_equal(c.n_volumes, 1);
	d = vg_config_find_volume(&c, "shared");
	assert_non_null(d);
	assert_null(vg_config_find_volume(&c, "other"));
	assert_int_equal(d->n_members, 3);
	assert_string_equal(d->members[0].name, "web");
	assert_false(d->members[0].ro);
	assert_string_equal(d->members[1].name, "worker");
	assert_true(d->members[1].ro);
	assert_string_equal(d->members[2].name, "db");
	assert_false(d->members[2].ro);
	assert_int_equal(d->line, 28);
	vg_config_free(&c);
}

static void volumes_root_follows_docker_root(void **state)
{
	struct vg_config c;
	struct vg_error e;

	assert_int_equal(parse(&c, "[paths]\ndocker_root = /srv/docker\n", &e), 0);
	assert_string_equal(c.volumes_root, "/srv/docker/volumes");
	vg_config_free(&c);
}

static void multiline_lists(void **state)
{
	static const char text[] = "[policy]\n"
				   "sensitive_paths = /one\n"
				   "  /two, /three\n"
				   "\t/four\n"
				   "drop_capabilities = CAP_CHOWN\n"
				   "  CAP_FOWNER\n"
				   "[volume \"v\"]\n"
				   "members = a\n"
				   "   b:ro\n";
	struct vg_config c;
	struct vg_error e;
	const struct vg_volume_decl *d;

	assert_int_equal(parse(&c, text, &e), 0);
	assert_int_equal(vg_strv_length(c.sensitive_paths), 4);
	assert_string_equal(c.sensitive_paths[3], "/four");
	assert_int_equal(c.drop_capabilities,
			 (UINT64_C(1) << CAP_CHOWN) | (UINT64_C(1) << CAP_FOWNER));
	d = vg_config_find_volume(&c, "v");
	assert_non_null(d);
	assert_int_equal(d->n_members, 2);
	assert_true(d->members[1].ro);
	vg_config_free(&c);
}

static void empty_drop_capabilities(void **state)
{
	struct vg_config c;
	struct vg_error e;

	assert_int_equal(parse(&c, "[policy]\ndrop_capabilities =\n", &e), 0);
	assert_int_equal(c.drop_capabilities, 0);
	vg_config_free(&c);
}

static void long_volume_name(void **state)
{
	/* Docker's anonymous volumes have 64-hex-digit names: longer than inih's 50-byte section.
	 */
	static const char text[] =
	    "[volume \"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"]\n"
	    "members = web\n";
	struct vg_config c;
	struct vg_error e;

	assert_int_equal(parse(&c, text, &e), 0);
	assert_non_null(vg_config_find_volume(
	    &c, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	vg_config_free(&c);
}

static void byte_order_mark(void **state)
{
	struct vg_config c;
	struct vg_error e;

	assert_int_equal(parse(&c,
			       "\xEF\xBB\xBF[volume \"0123456789abcdef0123456789abcdef0123456789abc"
			       "def\"]\nmembers = web\n",
			       &e),
			 0);
	assert_non_null(
	    vg_config_find_volume(&c, "0123456789abcdef0123456789abcdef0123456789abcdef"));
	vg_config_free(&c);
	expect_error("\xEF\xBB\xBF[nope]\n", "t.conf:1:", "nope", NULL);
}

static void bools(void **state)
{
	static const char *const yes[] = { "yes", "Yes", "true", "on", "1" };
	static const char *const no[] = { "no", "FALSE", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		struct vg_config c;
		struct vg_error e;
		char *t = NULL;
		assert_true(asprintf(&t, "[policy]\nstrict_membership = %s\n", yes[i]) > 0);
		assert_int_equal(parse(&c, t, &e), 0);
		assert_true(c.strict_membership);
		vg_config_free(&c);
		free(t);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		struct vg_config c;
		struct vg_error e;
		char *t = NULL;
		assert_true(asprintf(&t, "[policy]\ndeny_privileged = %s\n", no[i]) > 0);
		assert_int_equal(parse(&c, t, &e), 0);
		assert_false(c.deny_privileged);
		vg_config_free(&c);
		free(t);
	}
}

static void errors(void **state)
{
	expect_error("[nope]\nx = 1\n", "t.conf:1:", "nope", "unknown section", NULL);
	expect_error("[paths]\n[nope]\n", "t.conf:2:", "unknown section", NULL);
	expect_error("[paths]\ndocker_rot = /x\n", "t.conf:2:", "docker_rot", "unknown key", NULL);
	expect_error("[ranges]\n\npool_start = 12x\n", "t.conf:3:", "pool_start", "not a number",
		     NULL);
	expect_error("[ranges]\nrange_size = -1\n", "t.conf:2:", "range_size", "not a number",
		     NULL);
	expect_error("[ranges]\nrange_size =\n", "t.conf:2:", "range_size", NULL);
	expect_error("[ranges]\npool_end = 4294967296\n", "t.conf:2:", "pool_end", "out of range",
		     NULL);
	expect_error("[ranges]\npool_end = 99999999999999999999999\n", "t.conf:2:", "pool_end",
		     "out of range", NULL);
	expect_error("[policy]\ndeny_privileged = maybe\n", "t.conf:2:", "deny_privileged",
		     "not a boolean", NULL);
	expect_error("[policy]\ndrop_capabilities = CAP_CHOWN, CAP_BOGUS\n",
		     "t.conf:2:", "drop_capabilities", "CAP_BOGUS", "capability", NULL);
	expect_error("[paths]\nstate_dir = relative/dir\n", "t.conf:2:", "state_dir", "absolute",
		     NULL);
	expect_error("[policy]\nsensitive_paths = /a, b\n", "t.conf:2:", "sensitive_paths",
		     "absolute", NULL);
	expect_error("[policy]\nextra_sensitive_paths = x\n", "t.conf:2:", "extra_sensitive_paths",
		     NULL);
	expect_error("[paths]\nno equals sign\n", "t.conf:2:", "syntax", NULL);
	expect_error("[paths\n", "t.conf:1:", NULL);
	expect_error("key = before section\n", "t.conf:1:", NULL);
	/* A key twice, a section twice, a continuation of a single value. */
	expect_error("[paths]\nstate_dir = /a\nstate_dir = /b\n", "t.conf:3:", "state_dir", "twice",
		     "line 2", NULL);
	expect_error("[policy]\nsensitive_paths = /a\nsensitive_paths = /b\n", "t.conf:3:", "twice",
		     NULL);
	expect_error("[volume \"v\"]\nmembers = a\n[volume \"v\"]\nmembers = b\n",
		     "t.conf:3:", "declared twice", "line 1", NULL);
	expect_error("[paths]\nstate_dir = /a\n  /b\n", "t.conf:3:", "state_dir", "continuation",
		     NULL);
}

static void range_errors(void **state)
{
	expect_error("[ranges]\npool_start = 1073741825\n", "t.conf:2:", "pool_start",
		     "not aligned", NULL);
	expect_error("[ranges]\nrange_size = 0\n", "t.conf:2:", "range_size", NULL);
	/* A pool smaller than one range. */
	expect_error("[ranges]\npool_start = 131072\npool_end = 196606\n", "t.conf:", "pool_end",
		     "smaller than one range", NULL);
	expect_error("[ranges]\npool_start = 1073741824\npool_end = 1073741823\n",
		     "t.conf:", "smaller than one range", NULL);
	/* A pool in the system IDs. */
	expect_error("[ranges]\npool_start = 0\n", "t.conf:2:", "pool_start", "0..65535", NULL);
	expect_error("[ranges]\npool_start = 65535\nrange_size = 1\n", "t.conf:2:", "pool_start",
		     "0..65535", NULL);
	/* The invalid ID. */
	expect_error("[ranges]\npool_end = 4294967295\n", "t.conf:2:", "pool_end", "4294967295",
		     NULL);
}

static void range_edges_ok(void **state)
{
	struct vg_config c;
	struct vg_error e;

	/* Exactly one range, at the lowest allowed start. */
	assert_int_equal(parse(&c, "[ranges]\npool_start = 65536\npool_end = 131071\n", &e), 0);
	vg_config_free(&c);
	assert_int_equal(parse(&c, "[ranges]\npool_end = 4294967294\n", &e), 0);
	assert_int_equal(c.pool_end, 4294967294ULL);
	vg_config_free(&c);
}

static void volume_errors(void **state)
{
	expect_error("[volume \"v\"]\nmembers = web:rx\n", "t.conf:2:", "members", "rw or ro",
		     NULL);
	expect_error("[volume \"v\"]\nmembers = web, web:ro\n", "t.conf:2:", "members", "twice",
		     NULL);
	expect_error("[volume \"v\"]\nmembers = a\n  a\n", "t.conf:3:", "twice", NULL);
	expect_error("[volume \"v\"]\nmembers = -bad\n", "t.conf:2:", "members", "-bad", NULL);
	expect_error("[volume \"v\"]\nmembers = :ro\n", "t.conf:2:", "members", NULL);
	expect_error("[volume \"v\"]\nowner = web\n", "t.conf:2:", "owner", "unknown key", NULL);
	expect_error("[volume \"v\"]\n", "t.conf:1:", "members", "missing", NULL);
	expect_error("[volume \"bad/name\"]\nmembers = a\n", "t.conf:1:", "bad/name", NULL);
	expect_error("[volume v]\nmembers = a\n", "t.conf:1:", "unknown section", NULL);
	expect_error("[volume \"\"]\nmembers = a\n", "t.conf:1:", NULL);
}

static void line_too_long(void **state)
{
	/* inih's line buffer is 200 bytes; a longer line must be an error, not split in two. */
	char *t = NULL;
	char pad[400];
	struct vg_config c;
	struct vg_error e;

	memset(pad, 'a', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	assert_true(asprintf(&t, "[paths]\nstate_dir = /%s\n", pad) > 0);
	expect_error(t, "t.conf:2:", "line longer", NULL);
	free(t);

	/* The longest line that fits is accepted whole. */
	pad[198 - strlen("state_dir = /")] = '\0';
	assert_true(asprintf(&t, "[paths]\nstate_dir = /%s\n", pad) > 0);
	assert_int_equal(parse(&c, t, &e), 0);
	assert_int_equal(strlen(c.state_dir), 1 + strlen(pad));
	vg_config_free(&c);
	free(t);
}

static void huge_line(void **state)
{
	size_t n = 1024 * 1024;
	char *t = malloc(n + 32);

	assert_non_null(t);
	strcpy(t, "[policy]\nisolation_exempt = ");
	memset(t + strlen(t), 'x', n);
	t[n + 28] = '\0';
	expect_error(t, "t.conf:2:", "line longer", NULL);
	free(t);
}

static void first_error_wins(void **state)
{
	expect_error("[paths]\nbogus = 1\n[ranges]\npool_start = x\n", "t.conf:2:", "bogus", NULL);
}

/*
 * conf/volguard.conf shows every default as "#key = value" (and "#\t" continuation lines):
 * uncommented, it must give exactly the built-in defaults, so the file cannot drift.
 */
static void shipped_conf_is_true(void **state)
{
	const char *top = getenv("VG_TOP");
	char path[4096], line[1024];
	char *text = NULL;
	size_t size = 0;
	FILE *in, *out;
	struct vg_config c, d;
	struct vg_error e;
	unsigned keys = 0;

	snprintf(path, sizeof(path), "%s/conf/volguard.conf", top ? top : ".");
	in = fopen(path, "re");
	if (!in)
		fail_msg("cannot open %s (run from the top directory or set VG_TOP)", path);
	out = open_memstream(&text, &size);
	assert_non_null(out);
	while (fgets(line, sizeof(line), in)) {
		bool setting =
		    line[0] == '#' && line[1] != ' ' && line[1] != '#' && line[1] != '\n';
		fputs(setting ? line + 1 : line, out);
		keys += setting && line[1] != '\t' && line[1] != '[';
	}
	fclose(in);
	fclose(out);
	assert_int_equal(keys, 29); /* 8 paths, 6 ranges, 11 policy, members, 3 identity */
	assert_int_equal(parse(&c, text, &e), 0);
	vg_config_init(&d);
	assert_int_equal(vg_config_parse_string(&d, "", "defaults", &e), 0);
	assert_string_equal(c.docker_root, d.docker_root);
	assert_string_equal(c.volumes_root, d.volumes_root);
	assert_string_equal(c.stage_dir, d.stage_dir);
	assert_int_equal(c.isolation, d.isolation);
	assert_string_equal(c.state_dir, d.state_dir);
	assert_string_equal(c.runtime, d.runtime);
	assert_string_equal(c.subuid_file, d.subuid_file);
	assert_string_equal(c.subgid_file, d.subgid_file);
	assert_string_equal(c.daemon_config, d.daemon_config);
	assert_int_equal(c.pool_start, d.pool_start);
	assert_int_equal(c.pool_end, d.pool_end);
	assert_int_equal(c.range_size, d.range_size);
	assert_int_equal(c.quarantine_days, d.quarantine_days);
	assert_int_equal(c.allocation, d.allocation);
	assert_string_equal(c.allocation_key_file, d.allocation_key_file);
	assert_int_equal(vg_strv_length(c.sensitive_paths), vg_strv_length(d.sensitive_paths));
	for (size_t i = 0; d.sensitive_paths[i]; i++)
		assert_string_equal(c.sensitive_paths[i], d.sensitive_paths[i]);
	assert_int_equal(c.allow_readonly_sensitive, d.allow_readonly_sensitive);
	assert_int_equal(c.deny_privileged, d.deny_privileged);
	assert_int_equal(c.drop_capabilities, d.drop_capabilities);
	assert_int_equal(vg_config_allowed_caps(&c, VG_ISOLATION_SHIFT),
			 vg_config_allowed_caps(&d, VG_ISOLATION_SHIFT));
	assert_null(c.allowed_devices);
	assert_int_equal(c.strict_membership, d.strict_membership);
	assert_int_equal(c.identity.compose, d.identity.compose);
	assert_int_equal(c.identity.swarm, d.identity.swarm);
	assert_int_equal(c.identity.kubernetes, d.identity.kubernetes);
	/* The examples of keys whose default is empty, and the volume example, parse. */
	assert_int_equal(vg_strv_length(c.extra_sensitive_paths), 1);
	assert_int_equal(vg_strv_length(c.isolation_exempt), 1);
	assert_int_equal(c.n_volumes, 1);
	assert_int_equal(c.volumes[0].n_members, 2);
	vg_config_free(&c);
	vg_config_free(&d);
	free(text);
}

/* Parse `text`; expect failure with a message containing `want`. */
static void expect_einval(const char *text, const char *want)
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
	expect_einval("[paths]\nnope = 1\n", "t.conf:2: [paths] nope: unknown key");
	expect_einval("[ranges]\ndocker_root = /x\n",
		      "t.conf:2: [ranges] docker_root: unknown key");
	expect_einval("\n\n[policy]\nsensitive = /\n", "t.conf:4: [policy] sensitive: unknown key");
	expect_einval("[pathz]\n", "t.conf:1: [pathz]: unknown section");
	expect_einval("[paths]\n[other]\nx = 1\n", "t.conf:2: [other]: unknown section");
	expect_einval("[volume \"v\"]\ncolour = red\n",
		      "t.conf:2: [volume \"v\"] colour: unknown key");
	expect_einval("[volume v]\nmembers = a\n", "unknown section");
	expect_einval("[volume \"\"]\n", "unknown section");
	expect_einval("[volume \"../x\"]\nmembers = a\n", "'../x' is not a valid volume name");
	expect_einval("[volume \"a/b\"]\nmembers = a\n", "'a/b' is not a valid volume name");
	/* A key before any section is in section "" */
	expect_einval("key = 1\n", "t.conf:1: []");
}

static void syntax(void **state)
{
	expect_einval("[paths\n", "t.conf:1: syntax error");
	expect_einval("[paths]\ndocker_root\n", "t.conf:2: syntax error");
	expect_einval("[paths]\n\n\njunk line here\n", "t.conf:4: syntax error");
}

static void numbers(void **state)
{
	expect_einval("[ranges]\nrange_size = abc\n",
		      "t.conf:2: [ranges] range_size: 'abc' is not a number");
	expect_einval("[ranges]\nrange_size = -1\n", "'-1' is not a number");
	expect_einval("[ranges]\nrange_size = 12x\n", "'12x' is not a number");
	expect_einval("[ranges]\npool_start = 4294967296\n", "'4294967296' is out of range");
	expect_einval("[ranges]\npool_end = 99999999999999999999999\n", "is out of range");
	expect_einval("[ranges]\nrange_size = 0\n", "range_size: must be at least 1");
	expect_einval("[ranges]\npool_start = 1073741825\n", "is not aligned to range_size 65536");
	expect_einval("[ranges]\npool_start = 0\n", "overlaps the system IDs 0..65535");
	expect_einval("[ranges]\npool_end = 4294967295\n", "must be below 4294967295");
	expect_einval("[ranges]\npool_start = 131072\npool_end = 131071\n",
		      "is smaller than one range");
	expect_einval("[ranges]\npool_start = 131072\npool_end = 196606\n",
		      "is smaller than one range");
}

static void paths_and_lists(void **state)
{
	char *text, *p;

	expect_einval("[paths]\nstate_dir = var/lib\n",
		      "t.conf:2: [paths] state_dir: 'var/lib' is not an absolute path");
	expect_einval("[paths]\ndocker_root = \n", "docker_root: '' is not an absolute path");
	expect_einval("[policy]\nsensitive_paths = /etc, usr\n",
		      "[policy] sensitive_paths: 'usr' is not an absolute path");
	expect_einval("[policy]\nextra_sensitive_paths = /a\n  b\n",
		      "t.conf:3: [policy] extra_sensitive_paths: 'b'");
	expect_einval("[policy]\ndrop_capabilities = CAP_SYS_ADMIN, CAP_NOPE\n",
		      "'CAP_NOPE' is not a capability name");
	expect_einval("[policy]\ndrop_capabilities = 99\n", "'99' is not a capability name");
	expect_einval(
	    "[policy]\nallowed_capabilities = CAP_KILL, KILLALL\n",
	    "t.conf:2: [policy] allowed_capabilities: 'KILLALL' is not a capability name");
	expect_einval("[policy]\nallowed_devices = /dev/fuse, fuse\n",
		      "t.conf:2: [policy] allowed_devices: 'fuse' is not an absolute path");
	expect_einval("[policy]\nallowed_devices = /dev/fuse\nallowed_devices = /dev/kvm\n",
		      "allowed_devices");
	expect_einval("[policy]\ndeny_privileged = maybe\n",
		      "[policy] deny_privileged: 'maybe' is not a boolean");
	expect_einval("[policy]\nstrict_membership = 2\n", "'2' is not a boolean");
	expect_einval(
	    "[ranges]\nallocation = random\n",
	    "t.conf:2: [ranges] allocation: 'random': expected first-fit or deterministic");
	expect_einval("[ranges]\nallocation_key_file = key\n",
		      "t.conf:2: [ranges] allocation_key_file: 'key' is not an absolute path");
	expect_einval(
	    "[policy]\nrequire_limits = memory, swap\n",
	    "t.conf:2: [policy] require_limits: 'swap' is not a limit (memory, cpus or pids)");
	expect_einval("[policy]\nisolation = maybe\n", "'maybe': expected auto, userns or shift");
	expect_einval("[paths]\nstage_dir = run/volguard\n", "stage_dir");
	expect_einval("[policy]\nallow_readonly_sensitive =\n", "'' is not a boolean");
	/* inih's line buffer (200 bytes in Debian's build) is the limit of a path, long before
	 * PATH_MAX: a longer line is refused whole rather than cut in two. */
	text = malloc(4200);
	assert_non_null(text);
	p = text + sprintf(text, "[paths]\nruntime = /");
	memset(p, 'a', 4095);
	strcpy(p + 4095, "\n");
	expect_einval(text, "t.conf:2: line longer than");
	free(text);
}

static void volumes(void **state)
{
	expect_einval("[volume \"v\"]\nmembers = a:rx\n",
		      "t.conf:2: [volume \"v\"] members: member 'a:rx': mode must be rw or ro");
	expect_einval("[volume \"v\"]\nmembers = a, -b\n",
		      "member '-b' is not a valid container name");
	expect_einval("[volume \"v\"]\nmembers = a, b, a:ro\n", "member 'a' listed twice");
	expect_einval("[volume \"v\"]\nmembers = a\n[volume \"v\"]\nmembers = a\n",
		      "t.conf:3: [volume \"v\"]: volume declared twice (first on line 1)");
	expect_einval("[paths]\n\n[volume \"v\"]\n", "t.conf:3: [volume \"v\"] members: missing");
	expect_einval("[volume \"v\"]\nmembers =\n", "[volume \"v\"] members: missing");
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
	expect_einval(text, "t.conf:2: line longer than");
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
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_key),
		cmocka_unit_test(volumes_root_follows_docker_root),
		cmocka_unit_test(multiline_lists),
		cmocka_unit_test(empty_drop_capabilities),
		cmocka_unit_test(long_volume_name),
		cmocka_unit_test(byte_order_mark),
		cmocka_unit_test(bools),
		cmocka_unit_test(errors),
		cmocka_unit_test(range_errors),
		cmocka_unit_test(range_edges_ok),
		cmocka_unit_test(volume_errors),
		cmocka_unit_test(line_too_long),
		cmocka_unit_test(huge_line),
		cmocka_unit_test(first_error_wins),
		cmocka_unit_test(shipped_conf_is_true),
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
