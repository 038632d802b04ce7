/* The error object (error.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static int error_vset(struct vg_error *e, int err, bool with_errno, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static int error_vset(struct vg_error *e, int err, bool with_errno, const char *fmt, va_list ap)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		err = EIO;
	if (e) {
		int n;
		e->code = err;
		n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		if (with_errno && n >= 0 && (size_t)n < sizeof(e->msg))
			snprintf(e->msg + n, sizeof(e->msg) - (size_t)n, ": %s", strerror(err));
	}
	return -err;
}

int vg_error_set(struct vg_error *e, int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = error_vset(e, err, false, fmt, ap);
	va_end(ap);
	return r;
}

int vg_error_errno(struct vg_error *e, int err, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = error_vset(e, err, true, fmt, ap);
	va_end(ap);
	return r;
}

void vg_error_prefix(struct vg_error *e, const char *prefix)
{
	size_t p, m;

	if (!e)
		return;
	p = strlen(prefix);
	m = strnlen(e->msg, sizeof(e->msg) - 1);
	if (p >= sizeof(e->msg) - 1)
		p = sizeof(e->msg) - 1;
	if (p + m > sizeof(e->msg) - 1)
		m = sizeof(e->msg) - 1 - p;
	memmove(e->msg + p, e->msg, m);
	memcpy(e->msg, prefix, p);
	e->msg[p + m] = '\0';
}
