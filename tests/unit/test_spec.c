/* The spec rewrite: shift, capability removal, refusal before any change, atomic write. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "prepare.h"
#include "spec.h"

static json_t *spec_of(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	assert_non_null(j);
	return j;
}

static const char *const base =
    "{\"process\": {\"user\": {\"uid\": 1000, \"gid\": 100, \"additionalGids\": [5, 6]},"
    " \"capabilities\": {\"bounding\": [\"CAP_CHOWN\", \"CAP_KILL\", \"CAP_SYS_ADMIN\"],"
    " \"effective\": [\"CAP_CHOWN\", \"CAP_KILL\"], \"permitted\": [\"cap_sys_admin\"],"
    " \"inheritable\": [], \"ambient\": [\"CAP_SYS_ADMIN\", \"CAP_NOT_A_CAP\"]}},"
    " \"root\": {\"path\": \"rootfs\"}}";

#define MASK(c) (UINT64_C(1) << (c))

static void shift_moves_ids(void **state)
{
	json_t *spec = spec_of(base);
	struct vg_spec_shift p = { .start = 1073741824,
				   .count = 65536,
				   .keep_caps = MASK(5) | MASK(10) }; /* KILL, NET_BIND_SERVICE */
	struct vg_error e = { 0 };
	json_t *user, *caps;

	assert_int_equal(vg_spec_apply_shift(spec, &p, &e), 0);
	user = json_object_get(json_object_get(spec, "process"), "user");
	assert_int_equal(json_integer_value(json_object_get(user, "uid")), 1073741824 + 1000);
	assert_int_equal(json_integer_value(json_object_get(user, "gid")), 1073741824 + 100);
	assert_int_equal(
	    json_integer_value(json_array_get(json_object_get(user, "additionalGids"), 1)),
	    1073741824 + 6);
	assert_true(
	    json_is_true(json_object_get(json_object_get(spec, "process"), "noNewPrivileges")));
	caps = json_object_get(json_object_get(spec, "process"), "capabilities");
	assert_int_equal(json_array_size(json_object_get(caps, "bounding")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(caps, "bounding"), 0)),
			    "CAP_KILL");
	assert_int_equal(json_array_size(json_object_get(caps, "effective")), 1);
	assert_int_equal(json_array_size(json_object_get(caps, "permitted")), 0); /* any case */
	/* A name libcap does not know is not in the kept set either. */
	assert_int_equal(json_array_size(json_object_get(caps, "ambient")), 0);
	json_decref(spec);
}

/* runc reads "User" as process.user: the shift moves that one and adds no "user" beside it. */
static void shift_edits_the_key_runc_reads(void **state)
{
	json_t *spec = spec_of("{\"Process\": {\"User\": {\"UID\": 7, \"additionalGIDs\": [0]},"
			       " \"NoNewPrivileges\": false}}");
	struct vg_spec_shift p = { .start = 1073741824, .count = 65536 };
	struct vg_error e = { 0 };
	json_t *proc, *user, *caps;

	assert_int_equal(vg_spec_apply_shift(spec, &p, &e), 0);
	proc = json_object_get(spec, "Process");
	assert_null(json_object_get(spec, "process"));
	user = json_object_get(proc, "User");
	assert_null(json_object_get(proc, "user"));
	assert_int_equal(json_object_size(user), 3); /* UID, additionalGIDs, gid */
	assert_int_equal(json_integer_value(json_object_get(user, "UID")), 1073741824 + 7);
	assert_int_equal(
	    json_integer_value(json_array_get(json_object_get(user, "additionalGIDs"), 0)),
	    1073741824);
	assert_true(json_is_true(json_object_get(proc, "NoNewPrivileges")));
	assert_null(json_object_get(proc, "noNewPrivileges"));
	/* No capabilities object would leave runc's own: every set is there, empty. */
	caps = json_object_get(proc, "capabilities");
	assert_int_equal(json_object_size(caps), 5);
	assert_int_equal(json_array_size(json_object_get(caps, "bounding")), 0);
	json_decref(spec);
}

static void shift_refuses_case_duplicates(void **state)
{
	static const char *const bad[] = {
		"{\"process\": {\"user\": {\"uid\": 1}, \"User\": {\"uid\": 0}}}",
		"{\"process\": {\"capabilities\": {\"bounding\": [], \"BOUNDING\": []}}}",
		("{\"process\": {}, \"linux\": {\"resources\": {\"devices\": [{\"allow\": false, "
		 "\"Allow\": true}]}}}"),
		("{\"process\": {}, \"mounts\": [{}, {\"source\": \"/a\", \"\u017fource\": "
		 "\"/b\"}]}"),
		"{\"process\": {\"user\": {\"u\u0130d\": 0}}}",
	};
	static const char *const good[] = {
		/* Maps: keys are data, matched exactly by Go. */
		"{\"process\": {}, \"annotations\": {\"a\": \"1\", \"A\": \"2\"}}",
		("{\"process\": {}, \"linux\": {\"sysctl\": {\"net.x\": \"1\", \"NET.X\": \"2\"},"
		 " \"Resources\": {\"unified\": {\"memory.max\": \"1\", \"Memory.max\": \"2\"}}}}"),
		"{\"process\": {}, \"Annotations\": {\"k\": \"1\", \"K\": \"2\"}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *spec = spec_of(bad[i]);
		_cleanup_free_ char *before = json_dumps(spec, JSON_SORT_KEYS), *after = NULL;
		struct vg_spec_shift p = { .start = 1073741824, .count = 65536 };
		struct vg_error e = { 0 };

		assert_int_equal(vg_spec_apply_shift(spec, &p, &e), -VG_EREFUSED);
		assert_non_null(strstr(e.msg, "\""));
		after = json_dumps(spec, JSON_SORT_KEYS);
		assert_string_equal(before, after);
		json_decref(spec);
	}
	/* exec's process.json is a Process: the same refusal, named from "process". */
	{
		json_t *proc = spec_of("{\"args\": [\"sh\"], \"Args\": [\"id\"]}");
		struct vg_spec_shift p = { .start = 1073741824, .count = 65536 };
		struct vg_error e = { 0 };

		assert_int_equal(vg_spec_apply_shift_process(proc, &p, &e), -VG_EREFUSED);
		assert_string_equal(e.msg, "process: \"args\" and \"Args\" differ only in case: "
					   "runc reads them as one field");
		assert_null(json_object_get(proc, "user"));
		json_decref(proc);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		json_t *spec = spec_of(good[i]);
		struct vg_error e = { 0 };

		assert_int_equal(vg_spec_check_keys(spec, &e), 0);
		json_decref(spec);
	}
}

static void shift_refuses_without_change(void **state)
{
	json_t *spec = spec_of(base);
	_cleanup_free_ char *before = json_dumps(spec, JSON_SORT_KEYS), *after = NULL;
	struct vg_spec_shift p = { .start = 1073741824, .count = 1000, .keep_caps = MASK(0) };
	struct vg_error e = { 0 };

	assert_int_equal(vg_spec_apply_shift(spec, &p, &e), -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "1000"));
	after = json_dumps(spec, JSON_SORT_KEYS);
	assert_string_equal(before, after);
	json_decref(spec);
}

static void shift_field_errors(void **state)
{
	static const char *const bad[] = {
		"{\"process\": {\"user\": {\"uid\": -1}}}",
		"{\"process\": {\"user\": {\"uid\": 4294967296}}}",
		"{\"process\": {\"user\": {\"gid\": \"0\"}}}",
		"{\"process\": {\"user\": {\"additionalGids\": [1, \"x\"]}}}",
		"{\"process\": {\"user\": 3}}",
		"{\"process\": {\"capabilities\": {\"bounding\": [1]}}}",
		"{\"process\": {\"capabilities\": []}}",
		"{\"process\": 1}",
		"[]",
	};
	struct vg_spec_shift p = { .start = 1073741824, .count = 65536 };

	for (size_t i = 0; i < VG_ARRAY_SIZE(bad); i++) {
		json_t *spec = spec_of(bad[i]);
		struct vg_error e = { 0 };
		assert_true(vg_spec_apply_shift(spec, &p, &e) < 0);
		assert_true(e.msg[0] != '\0');
		json_decref(spec);
	}
}

static void shift_defaults_to_root(void **state)
{
	json_t *spec = spec_of("{\"process\": {\"args\": [\"sh\"]}}");
	struct vg_spec_shift p = { .start = 1073807360, .count = 65536 };
	struct vg_error e = { 0 };

	assert_int_equal(vg_spec_apply_shift(spec, &p, &e), 0);
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(json_object_get(spec, "process"), "user"), "uid")),
			 1073807360);
	json_decref(spec);
}

/* userns: a user namespace and the mappings; process.user as the image asks; the caps kept. */
static void userns_maps_and_keeps_ids(void **state)
{
	json_t *spec =
	    spec_of("{\"process\": {\"user\": {\"uid\": 33, \"gid\": 33},"
		    " \"capabilities\": {\"bounding\": [\"CAP_CHOWN\", \"CAP_SYS_ADMIN\"]}},"
		    " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}],"
		    " \"sysctl\": {\"net.ipv4.ping_group_range\": \"0 2147483647\"}}}");
	struct vg_spec_userns p = { .start = 1073741824, .count = 65536, .keep_caps = MASK(0) };
	struct vg_error e = { 0 };
	json_t *lx, *m;

	assert_int_equal(vg_spec_apply_userns(spec, &p, &e), 0);
	lx = json_object_get(spec, "linux");
	assert_int_equal(json_array_size(json_object_get(lx, "namespaces")), 2);
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(lx, "namespaces"), 1), "type")),
			    "user");
	m = json_array_get(json_object_get(lx, "uidMappings"), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "containerID")), 0);
	assert_int_equal(json_integer_value(json_object_get(m, "hostID")), 1073741824);
	assert_int_equal(json_integer_value(json_object_get(m, "size")), 65536);
	assert_non_null(json_object_get(lx, "gidMappings"));
	assert_string_equal(json_string_value(json_object_get(json_object_get(lx, "sysctl"),
							      "net.ipv4.ping_group_range")),
			    "0 65535");
	/* No shift of the process: 33 stays 33 (the namespace maps it). */
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(json_object_get(spec, "process"), "user"), "uid")),
			 33);
	assert_int_equal(
	    json_array_size(json_object_get(
		json_object_get(json_object_get(spec, "process"), "capabilities"), "bounding")),
	    1);
	json_decref(spec);
}

/* A spec that maps IDs already (userns-remap), or IDs beyond the range: refused, unchanged. */
static void userns_refuses_without_change(void **state)
{
	const char *remap = "{\"process\": {}, \"linux\": {\"namespaces\": [{\"type\": "
			    "\"user\"}], \"uidMappings\": []}}";
	const char *big = "{\"process\": {\"user\": {\"uid\": 70000}}, \"linux\": {}}";
	const char *texts[] = { remap, big };
	struct vg_spec_userns p = { .start = 1073741824, .count = 65536 };

	for (size_t i = 0; i < 2; i++) {
		json_t *spec = spec_of(texts[i]), *copy = json_deep_copy(spec);
		struct vg_error e = { 0 };

		assert_int_equal(vg_spec_apply_userns(spec, &p, &e), -VG_EREFUSED);
		assert_true(json_equal(spec, copy));
		json_decref(spec);
		json_decref(copy);
	}
}

static void write_is_atomic_and_keeps_mode(void **state)
{
	char dir[] = "/tmp/vg-spec-test.XXXXXX";
	json_t *spec = spec_of(base), *back;
	struct vg_error e = { 0 };
	struct stat st;
	int dfd, fd;
	char path[64];

	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	fd = openat(dfd, "config.json", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{}", 2), 2);
	close(fd);
	assert_int_equal(vg_spec_write(dfd, "config.json", spec, "config.json", &e), 0);
	assert_int_equal(fstatat(dfd, "config.json", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	back = json_load_file(path, 0, NULL);
	assert_true(json_equal(back, spec));
	/* A symlink in its place is not followed. */
	unlinkat(dfd, "config.json", 0);
	assert_int_equal(symlinkat("/etc/passwd", dfd, "config.json"), 0);
	assert_true(vg_spec_write(dfd, "config.json", spec, "config.json", &e) < 0);
	unlinkat(dfd, "config.json", 0);
	close(dfd);
	rmdir(dir);
	json_decref(back);
	json_decref(spec);
}

static void volume_names_from_sources(void **state)
{
	char *v;

	v = vg_volume_of_source("/var/lib/docker/volumes/", "/var/lib/docker/volumes/web/_data");
	assert_string_equal(v, "web");
	free(v);
	assert_null(vg_volume_of_source("/var/lib/docker/volumes", "/var/lib/docker/volumes/web"));
	assert_null(
	    vg_volume_of_source("/var/lib/docker/volumes", "/var/lib/docker/volumes/a/b/_data"));
	assert_null(
	    vg_volume_of_source("/var/lib/docker/volumes", "/var/lib/docker/volumesx/a/_data"));
	assert_null(
	    vg_volume_of_source("/var/lib/docker/volumes", "/var/lib/docker/volumes/../_data"));
	assert_null(
	    vg_volume_of_source("/var/lib/docker/volumes", "/var/lib/docker/volumes/a/_data/x"));
	assert_null(vg_volume_of_source("/var/lib/docker/volumes", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shift_moves_ids),
		cmocka_unit_test(shift_refuses_without_change),
		cmocka_unit_test(shift_edits_the_key_runc_reads),
		cmocka_unit_test(shift_refuses_case_duplicates),
		cmocka_unit_test(shift_field_errors),
		cmocka_unit_test(shift_defaults_to_root),
		cmocka_unit_test(userns_maps_and_keeps_ids),
		cmocka_unit_test(userns_refuses_without_change),
		cmocka_unit_test(write_is_atomic_and_keeps_mode),
		cmocka_unit_test(volume_names_from_sources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
