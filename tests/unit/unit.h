/*
 * The unit tests' shared header: cmocka with the headers it needs before it, and the check of a
 * call that must fail with a vg_error. Each tests/unit/test_X.c tests src/X.c.
 */
#pragma once
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "config.h"
#include "vg.h"

/*
 * The call that gave `r` and filled `e` failed: r is -e->code (negative), e->code is `code`
 * (0: any code), and e->msg holds each string of the NULL-terminated list `wants` (a NULL
 * first element: no text required). `input` is named in the failure message.
 */
static inline void unit_expect_errorv(int r, const struct vg_error *e, int code, const char *input,
				      va_list wants)
{
	if (r >= 0)
		fail_msg("no error (%d) for:\n%s", r, input);
	if (r != -e->code || (code && e->code != code))
		fail_msg("for:\n%s\nexpected -%d, got %d (code %d) '%s'", input, code, r, e->code,
			 e->msg);
	for (const char *want = va_arg(wants, const char *); want;
	     want = va_arg(wants, const char *))
		if (!strstr(e->msg, want))
			fail_msg("for:\n%s\nmessage '%s' lacks '%s'", input, e->msg, want);
}

/* unit_expect_error(r, &e, EINVAL, text, "t.conf:2:", "unknown key", NULL) */
static inline void unit_expect_error(int r, const struct vg_error *e, int code, const char *input,
				     ...)
{
	va_list ap;

	va_start(ap, input);
	unit_expect_errorv(r, e, code, input, ap);
	va_end(ap);
}

/*
 * A throw-away Docker root for the tests of volumes: a fresh /tmp/vgunit-TAG.XXXXXX (0755) into
 * tmp (n bytes), and *c the built-in config with docker_root TMP/docker (made), volumes_root
 * TMP/docker/volumes (made with volumes_mode, unless that is 0) and state_dir TMP/state.
 */
static inline void unit_docker_root(char *tmp, size_t n, const char *tag, mode_t volumes_mode,
				    struct vg_config *c)
{
	snprintf(tmp, n, "/tmp/vgunit-%s.XXXXXX", tag);
	assert_non_null(mkdtemp(tmp));
	chmod(tmp, 0755);
	vg_config_init(c);
	free(c->docker_root);
	free(c->volumes_root);
	free(c->state_dir);
	c->docker_root = vg_asprintf("%s/docker", tmp);
	mkdir(c->docker_root, 0755);
	c->volumes_root = vg_asprintf("%s/docker/volumes", tmp);
	if (volumes_mode)
		mkdir(c->volumes_root, volumes_mode);
	c->state_dir = vg_asprintf("%s/state", tmp);
}

/* A file of tests/fixtures (or of $VG_FIXTURES), a fresh string. */
static inline char *unit_fixture(const char *rel)
{
	const char *dir = getenv("VG_FIXTURES");
	return vg_asprintf("%s/%s", dir ? dir : "tests/fixtures", rel);
}
