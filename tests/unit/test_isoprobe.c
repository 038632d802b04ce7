/* The auto isolation mode's probe cache (isoprobe.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "isoprobe.h"

static void parse(const char *text, struct vg_isoprobe *p)
{
	struct vg_error e = { 0 };

	assert_int_equal(vg_isoprobe_parse(text, strlen(text), p, &e), 0);
}

static void probe_lines(void **state)
{
	struct vg_isoprobe p;

	parse("kernel=6.18.44 fs=ef53 what=idmap ok=1 why=idmapped%20mounts%20work\n"
	      "why=mount_setattr%3A%20EINVAL ok=0 what=overlay fs=0xEF53 kernel=6.18.44\n"
	      "\n# a comment\n"
	      "kernel=6.1.0 fs=58465342 what=idmap ok=0 later=key\n",
	      &p);
	assert_int_equal(p.n, 3);
	assert_int_equal(p.n_bad, 0);
	assert_string_equal(p.v[0].kernel, "6.18.44");
	assert_int_equal(p.v[0].fs, 0xef53);
	assert_string_equal(p.v[0].what, "idmap");
	assert_true(p.v[0].ok);
	assert_string_equal(p.v[0].why, "idmapped mounts work");
	assert_int_equal(p.v[0].line, 1);
	/* keys in any order, 0x allowed, %XX decoded */
	assert_false(p.v[1].ok);
	assert_int_equal(p.v[1].fs, 0xef53);
	assert_string_equal(p.v[1].why, "mount_setattr: EINVAL");
	/* an unknown key is a later version's; why= may be absent */
	assert_int_equal(p.v[2].line, 5);
	assert_string_equal(p.v[2].why, "");
	assert_string_equal(vg_fs_type_name(p.v[2].fs), "xfs");
	vg_isoprobe_free(&p);
}

static void probe_malformed(void **state)
{
	static const char *const bad[] = {
		"kernel=6.1 fs=ef53 what=idmap",		    /* ok= missing */
		"kernel=6.1 fs=ef53 what=idmap ok=yes",		    /* ok= neither 0 nor 1 */
		"kernel=6.1 fs=zz what=idmap ok=1",		    /* fs= not hex */
		"kernel=6.1 fs=-1 what=idmap ok=1",		    /* negative */
		"kernel=6.1 fs=ef53 what=idmap ok=1 ok=0",	    /* twice */
		"kernel=6.1 fs=ef53 what=idmap ok=1 why=%zz",	    /* bad escape */
		"kernel=6.1 fs=ef53 what=idmap ok=1 why=a%00b",	    /* NUL escape */
		"kernel= fs=ef53 what=idmap ok=1",		    /* empty kernel */
		"kernel=6.1 fs=ef53 what=idmap ok=1 stray",	    /* not key=value */
		"kernel=6.1 fs=ffffffffffffffffff what=idmap ok=1", /* too large */
	};
	struct vg_isoprobe p;
	struct vg_error e = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse(bad[i], &p);
		if (p.n != 0 || p.n_bad != 1)
			fail_msg("accepted: %s", bad[i]);
		assert_int_equal(p.bad_line, 1);
		assert_non_null(p.bad_why);
		vg_isoprobe_free(&p);
	}
	parse("kernel=a fs=1 what=idmap ok=1\nnonsense\nkernel=b fs=1 what=idmap ok=9\n", &p);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.n_bad, 2);
	assert_int_equal(p.bad_line, 2);
	assert_string_equal(p.bad_why, "a word that is not key=value");
	vg_isoprobe_free(&p);
	assert_int_equal(vg_isoprobe_parse("kernel=a\0", 9, &p, &e), -EINVAL);
	vg_isoprobe_free(&p);
}

static void probe_format(void **state)
{
	struct vg_isoprobe_line l = { .kernel = "6.18.44-1",
				      .fs = 0x794c7630,
				      .what = "overlay",
				      .ok = false,
				      .why = "the kernel cannot idmap overlay (EINVAL) #1%" };
	char *s = vg_isoprobe_format(&l);
	struct vg_isoprobe p;

	assert_string_equal(s, "kernel=6.18.44-1 fs=794c7630 what=overlay ok=0 "
			       "why=the%20kernel%20cannot%20idmap%20overlay%20(EINVAL)%20%231%25");
	parse(s, &p);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.v[0].why, l.why);
	assert_string_equal(vg_fs_type_name(p.v[0].fs), "overlay");
	assert_null(vg_fs_type_name(0x1234));
	vg_isoprobe_free(&p);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(probe_lines),
		cmocka_unit_test(probe_malformed),
		cmocka_unit_test(probe_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
