/* The path resolver: the kernel's rules, on descriptors, in a temp tree. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "resolve.h"

static char *T; /* the temp tree, itself resolved (no symlink in its path) */

static char *p(const char *rel)
{
	return *rel ? vg_asprintf("%s/%s", T, rel) : vg_strdup(T);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/vgpol-resolve.XXXXXX";
	char *d = mkdtemp(tmpl);

	if (!d)
		return -1;
	T = realpath(d, NULL);
	char *cmd = vg_asprintf(
		"cd '%s' && mkdir -p etc/ssh srv/app && echo x > etc/passwd && ln -s ../etc srv/rel "
		"&& ln -s '%s/etc' srv/abs && ln -s loop2 srv/loop1 && ln -s loop1 srv/loop2 && "
		"ln -s passwd etc/pw && ln -s / srv/root && ln -s nowhere srv/dangling && "
		"ln -s '' srv/empty 2>/dev/null; "
		"i=0; while [ $i -lt 41 ]; do n=$((i+1)); ln -s c$n srv/c$i; i=$n; done; "
		"mkdir srv/c41",
		T, T);
	int r = system(cmd);
	free(cmd);
	return r == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd = vg_asprintf("rm -rf '%s'", T);
	int r = system(cmd);
	free(cmd);
	free(T);
	return r == 0 ? 0 : -1;
}

/* resolve rel (under T unless absolute) and compare the resolved path (relative to T). */
static void expect(const char *path, const char *want, bool exists)
{
	char *full = path[0] == '/' ? vg_strdup(path) : p(path);
	char *w = want[0] == '/' ? vg_strdup(want) : p(want);

	struct vg_resolved r;
	struct vg_error e = { 0 };

	if (vg_resolve(full, NULL, &r, &e) < 0)
		fail_msg("%s: %s", full, e.msg);
	if (strcmp(r.path, w) != 0)
		fail_msg("%s resolved to %s, expected %s", full, r.path, w);
	assert_int_equal(r.exists, exists);
	if (exists) {
		struct stat st;
		assert_int_equal(stat(w, &st), 0);
		assert_int_equal(st.st_dev, r.dev);
		assert_int_equal(st.st_ino, r.ino);
	}
	vg_resolved_free(&r);
	free(full);
	free(w);
}

static void expect_err(const char *path, int err)
{
	char *full = path[0] == '/' ? vg_strdup(path) : p(path);
	struct vg_resolved r;
	struct vg_error e = { 0 };

	assert_int_equal(vg_resolve(full, NULL, &r, &e), -err);
	assert_true(e.msg[0] != '\0');
	free(full);
}

static void plain_forms(void **state)
{
	expect("etc", "etc", true);
	expect("etc/", "etc", true);
	expect("/", "/", true);
	expect("//", "/", true);
	expect("/..", "/", true);
	expect("/../../..", "/", true);
	expect("etc//ssh/./", "etc/ssh", true);
	expect("etc/ssh/..", "etc", true);
	expect("srv/app/../../etc/passwd", "etc/passwd", true);
}

static void symlinks(void **state)
{
	expect("srv/rel", "etc", true);
	expect("srv/abs", "etc", true);
	expect("srv/rel/ssh", "etc/ssh", true);
	expect("srv/abs/..", "", true); /* ".." of the link's target, not of srv */
	expect("etc/pw", "etc/passwd", true);
	expect("srv/root", "/", true);
	char *through_root = vg_asprintf("srv/root%s/etc", T);
	expect(through_root, "etc", true);
	free(through_root);
	expect("srv/c1", "srv/c41", true);   /* 40 links: the kernel's limit */
	expect_err("srv/c0", ELOOP);         /* 41 */
	expect_err("srv/loop1", ELOOP);
	expect_err("srv/loop1/x", ELOOP);
	expect("srv/dangling", "srv/nowhere", false); /* the link's target would be created */
}

static void missing_tails(void **state)
{
	expect("srv/new/dir", "srv/new/dir", false);
	expect("srv/new/../app", "srv/app", true); /* back into the existing tree */
	expect("srv/new/../../etc", "etc", true);
	expect("etc/new/x/../..", "etc", true);
	expect("srv/new/./x//", "srv/new/x", false);

	/* The deepest existing directory is what dev/ino name. */
	struct vg_resolved r;
	struct vg_error e;
	struct stat st;
	char *full = p("etc/new/x"), *etc = p("etc");
	assert_int_equal(vg_resolve(full, NULL, &r, &e), 0);
	assert_int_equal(stat(etc, &st), 0);
	assert_int_equal(r.ino, st.st_ino);
	assert_false(r.exists);
	vg_resolved_free(&r);
	free(full);
	free(etc);
}

static void files_and_errors(void **state)
{
	struct vg_resolved r;
	struct vg_error e;
	struct stat st;
	char *pw = p("etc/passwd"), *etc = p("etc");

	assert_int_equal(vg_resolve(pw, NULL, &r, &e), 0);
	assert_true(S_ISREG(r.mode));
	assert_true(r.parent_fd >= 0);
	assert_int_equal(fstat(r.parent_fd, &st), 0);
	struct stat est;
	assert_int_equal(stat(etc, &est), 0);
	assert_int_equal(st.st_ino, est.st_ino);
	vg_resolved_free(&r);

	expect_err("etc/passwd/", ENOTDIR);
	expect_err("etc/passwd/x", ENOTDIR);
	expect_err("etc/passwd/..", ENOTDIR);
	expect_err("etc/pw/", ENOTDIR);
	assert_int_equal(vg_resolve("", NULL, &r, &e), -EINVAL);
	assert_int_equal(vg_resolve("relative", NULL, &r, &e), -EINVAL);
	assert_int_equal(vg_resolve("etc/passwd", T, &r, &e), 0); /* relative to a base */
	assert_string_equal(r.path, pw);
	vg_resolved_free(&r);

	char longname[NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	char *lp = p(longname);
	assert_int_equal(vg_resolve(lp, NULL, &r, &e), -ENAMETOOLONG);
	free(lp);
	free(pw);
	free(etc);
}

static void proc_magic_links(void **state)
{
	char *self = vg_asprintf("/proc/self/root%s/etc", T);
	char *pid = vg_asprintf("/proc/%d/root%s/etc/", (int)getpid(), T);
	char *thread = vg_asprintf("/proc/thread-self/root%s/etc/ssh/..", T);

	expect(self, "etc", true);
	expect(pid, "etc", true);
	expect(thread, "etc", true);
	expect("/proc/self/root", "/", true);
	free(self);
	free(pid);
	free(thread);
}

static int count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* Every path, resolved or refused, with or without a shared root: no descriptor is left. */
static void no_descriptor_leaks(void **state)
{
	static const char *const paths[] = { "etc", "etc/passwd", "srv/rel/ssh", "srv/abs/..",
					     "srv/loop1", "etc/passwd/", "srv/new/x", "srv/root",
					     "srv/c0", "srv/c1" };
	int before = count_fds(), root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < VG_ARRAY_SIZE(paths); i++) {
			char *full = p(paths[i]);
			struct vg_resolved r;
			struct vg_error e;
			if (vg_resolve_at(k ? root : -1, full, NULL, &r, &e) == 0)
				vg_resolved_free(&r);
			free(full);
		}
		struct vg_resolved r;
		struct vg_error e;
		assert_int_equal(vg_resolve_at(k ? root : -1, "/", NULL, &r, &e), 0);
		assert_true(r.fd >= 0 && r.fd != root);
		vg_resolved_free(&r);
	}
	assert_true(fcntl(root, F_GETFD) >= 0); /* the caller's root stays open */
	close(root);
	assert_int_equal(count_fds(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_forms),	    cmocka_unit_test(symlinks),
		cmocka_unit_test(missing_tails),    cmocka_unit_test(files_and_errors),
		cmocka_unit_test(proc_magic_links), cmocka_unit_test(no_descriptor_leaks),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
