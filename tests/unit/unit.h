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
#include <cmocka.h>

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
