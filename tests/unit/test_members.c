/* trusted.volguard.members: bad text refused with the line, good text round-trips. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "members.h"

static void expect_error_len(const char *text, size_t len, const char *want)
{
	struct vg_members m = { 0 };
	struct vg_error e = { 0 };
	int r = vg_members_parse(text, len, &m, &e);

	vg_members_free(&m);
	unit_expect_error(r, &e, EINVAL, text, want, NULL);
}

static void expect_error(const char *text, const char *want)
{
	expect_error_len(text, strlen(text), want);
}

static void bad_text(void **state)
{
	expect_error("web\n", "members line 1: expected NAME:rw|ro:UID:GID");
	expect_error("a:rw:1:2\n\nweb:rw:1\n", "members line 3: expected");
	expect_error("web:rx:1:2\n", "expected NAME:rw|ro:UID:GID");
	expect_error("web:rw:1:2:3\n", "expected");
	expect_error("-web:rw:1:2\n", "expected");
	expect_error("web:rw:x:2\n", "expected");
	expect_error("web:rw:1:4294967295\n", "expected"); /* the invalid ID */
	expect_error("web:rw:4294967296:1\n", "expected");
	expect_error("web::1:2\n", "expected");
	expect_error("web:rw::1:2\n", "expected"); /* strtok_r merged the empty field */
	expect_error("web:rw:1:\n", "expected");
	expect_error("web:rw:1:2\nweb:ro:3:4\n", "members line 2: 'web' listed twice");
	expect_error_len("web:rw:1:2\nd\0b:ro:1:2\n", 21, "members line 2: NUL byte");
}

static void round_trip(void **state)
{
	static const char text[] = "web:rw:1073741824:1073741824\n\nworker:ro:1073807360:7";
	struct vg_members m = { 0 }, m2 = { 0 };
	struct vg_error e = { 0 };
	struct vg_member *w;
	char *out;

	assert_int_equal(vg_members_parse(text, strlen(text), &m, &e), 0);
	assert_int_equal(m.n, 2);
	w = vg_members_find(&m, "worker");
	assert_non_null(w);
	assert_true(w->ro);
	assert_int_equal(w->gid, 7);
	vg_members_put(&m, "worker", false, 5, 6);
	assert_int_equal(m.n, 2);
	vg_members_put(&m, "db", true, 8, 9);
	assert_int_equal(m.n, 3);
	assert_true(vg_members_remove(&m, "web"));
	assert_false(vg_members_remove(&m, "web"));
	out = vg_members_format(&m);
	assert_string_equal(out, "worker:rw:5:6\ndb:ro:8:9\n");
	assert_int_equal(vg_members_parse(out, strlen(out), &m2, &e), 0);
	assert_int_equal(m2.n, 2);
	free(out);
	vg_members_free(&m2);
	vg_members_free(&m);
}

/* The xattr on a real directory (needs CAP_SYS_ADMIN for trusted.*). */
static void xattr(void **state)
{
	char dir[] = "/tmp/vgmembers.XXXXXX";
	struct vg_members m = { 0 }, got = { 0 };
	struct vg_error e = { 0 };
	int fd;

	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	/* None recorded yet: empty set, 0. */
	assert_int_equal(vg_members_read(fd, "vol", &got, &e), 0);
	assert_int_equal(got.n, 0);
	vg_members_put(&m, "web", false, 1073741824, 1073741824);
	assert_int_equal(vg_members_write(fd, "vol", &m, &e), 0);
	assert_int_equal(vg_members_read(fd, "vol", &got, &e), 1);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.v[0].name, "web");
	vg_members_free(&got);
	/* Garbage in the xattr (written by someone else): an error naming the volume. */
	assert_int_equal(setxattr(dir, VG_XATTR_MEMBERS, "junk", 4, 0), 0);
	assert_int_equal(vg_members_read(fd, "vol", &got, &e), -EINVAL);
	assert_string_equal(e.msg, "vol: " VG_XATTR_MEMBERS
				   ": members line 1: expected NAME:rw|ro:UID:GID");
	vg_members_free(&got);
	/* A bad descriptor: the error names it. */
	assert_true(vg_members_read(-1, "gone", &got, &e) < 0);
	assert_non_null(strstr(e.msg, "gone: cannot read"));
	assert_true(vg_members_write(-1, "gone", &m, &e) < 0);
	assert_non_null(strstr(e.msg, "gone: cannot write"));
	vg_members_free(&m);
	close(fd);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_text),
		cmocka_unit_test(round_trip),
		cmocka_unit_test(xattr),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
