/* stderr reporting for commands. Every line is escaped here (vg_escape), whatever the caller
 * quoted: a path with a newline cannot forge a second line, an RLO cannot turn it around. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

int vg_log_level = VG_LOG_NORMAL;

static void vlog(const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char *text = NULL, *safe;

	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	safe = vg_escape(text ? text : "out of memory");
	fprintf(stderr, "volguard: %s%s\n", prefix, safe);
	free(safe);
	free(text);
}

#define DEFINE_LOG(fn, min, prefix)                                                                \
	void fn(const char *fmt, ...)                                                              \
	{                                                                                          \
		va_list ap;                                                                        \
		if (vg_log_level < (min))                                                          \
			return;                                                                    \
		va_start(ap, fmt);                                                                 \
		vlog(prefix, fmt, ap);                                                             \
		va_end(ap);                                                                        \
	}

DEFINE_LOG(vg_log_error, VG_LOG_QUIET, "")
DEFINE_LOG(vg_log_warn, VG_LOG_NORMAL, "warning: ")
DEFINE_LOG(vg_log_info, VG_LOG_NORMAL, "")
DEFINE_LOG(vg_log_debug, VG_LOG_VERBOSE, "")

int vg_print_error(const struct vg_error *e)
{
	vg_log_error("%s", e->msg[0] ? e->msg : "unknown error");
	return e->code == VG_EREFUSED ? VG_EXIT_REFUSED : VG_EXIT_ERROR;
}
