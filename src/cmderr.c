/* Usage errors of the command line: one format for main.c and every src/cmd_*.c. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "cleanup.h"
#include "cmderr.h"
#include "vg.h"

int vg_cmd_bad_option(const char *cmd, char **argv)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "?";

	/* optind has passed the word getopt choked on, unless it stopped inside a cluster. */
	if (optopt && !(arg[0] == '-' && arg[1] == '-'))
		return vg_cmd_usage_error(
		    cmd, "unknown option, or option without its argument: -%c", optopt);
	return vg_cmd_usage_error(cmd, "unknown option, or option without its argument: %s", arg);
}

int vg_cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	_cleanup_free_ char *text = NULL, *safe = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	/* The arguments quoted are the caller's to choose: escaped like every message. */
	safe = vg_escape(r < 0 ? fmt : text);
	fprintf(stderr, "volguard%s%s: %s\nTry 'volguard%s%s --help'.\n", *cmd ? " " : "", cmd,
		safe, *cmd ? " " : "", cmd);
	return VG_EXIT_ERROR;
}
