/*
 * runc's command line, as volguard-runc must understand it: our own --config first, then runc's
 * global options (runc 1.1, urfave/cli: -flag or --flag, value separate or after '='), the
 * command, and for create/run/exec their options and the container ID. Pure: no I/O.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runcargs.h"

/* Is `arg` the flag `name` (-name, --name or either with =value)? Sets *value for "=" forms. */
static bool is_flag(const char *arg, const char *name, const char **value)
{
	size_t n = strlen(name);

	*value = NULL;
	if (arg[0] != '-')
		return false;
	arg += arg[1] == '-' ? 2 : 1;
	if (strncmp(arg, name, n) != 0)
		return false;
	if (arg[n] == '=') {
		*value = arg + n + 1;
		return true;
	}
	return arg[n] == '\0';
}

/* runc's global options (runc 1.1), as urfave/cli takes them. */
static const char *const global_with_value[] = { "root", "log", "log-format", "criu", "rootless" };
static const char *const global_bool[] = { "debug", "systemd-cgroup", "help", "h", "version", "v" };
/* runc create's options. */
static const char *const create_with_value[] = { "bundle", "b", "console-socket", "pid-file",
						 "preserve-fds" };
static const char *const create_bool[] = { "no-pivot", "no-new-keyring",
					   /* runc run = create + start */
					   "detach", "d", "no-subreaper", "keep" };
/* runc exec's options. */
static const char *const exec_with_value[] = { "process",
					       "p",
					       "console-socket",
					       "cwd",
					       "env",
					       "e",
					       "user",
					       "u",
					       "additional-gids",
					       "g",
					       "pid-file",
					       "process-label",
					       "apparmor",
					       "cap",
					       "c",
					       "preserve-fds",
					       "cgroup" };
static const char *const exec_bool[] = {
	"tty", "t", "detach", "d", "no-new-privs", "ignore-paused"
};

/* Index in `names` of the flag `arg` is, or -1; *value as is_flag. */
static int match_flag(const char *arg, const char *const *names, size_t n, const char **value)
{
	for (size_t i = 0; i < n; i++)
		if (is_flag(arg, names[i], value))
			return (int)i;
	return -1;
}

/* Split our options from runc's and find runc's command. Never fails: what it cannot
 * understand is runc's to judge (create is parsed strictly, later). */
void vg_runc_args_parse(int argc, char **argv, struct runc_args *a)
{
	const char *v;
	int i = 1;

	memset(a, 0, sizeof(*a));
	a->cmd = -1;
	a->config = getenv("VOLGUARD_CONFIG");
	while (i < argc && is_flag(argv[i], "config", &v) && argv[i][1] == '-') {
		if (v)
			a->config = v, i++;
		else if (i + 1 < argc)
			a->config = argv[i + 1], i += 2;
		else
			break;
	}
	if (a->config && !*a->config)
		a->config = NULL;
	a->argv = argv + i;
	a->argc = argc - i;

	for (i = 0; i < a->argc; i++) {
		const char *arg = a->argv[i];
		int k;

		if (arg[0] != '-') {
			a->cmd = i;
			return;
		}
		k = match_flag(arg, global_with_value, VG_ARRAY_SIZE(global_with_value), &v);
		if (k >= 0) {
			if (!v && i + 1 < a->argc)
				v = a->argv[++i];
			if (k == 0)
				a->root = v;
			else if (k == 1)
				a->log = v;
			else if (k == 2)
				a->log_format = v;
			continue;
		}
		if (match_flag(arg, global_bool, VG_ARRAY_SIZE(global_bool), &v) < 0)
			return; /* unknown: runc will say so */
	}
}

/* create [--bundle B] [--pid-file P] ... ID */
int vg_runc_args_create(struct runc_args *a, struct vg_error *e)
{
	for (int i = a->cmd + 1; i < a->argc; i++) {
		const char *arg = a->argv[i], *v;
		int k;

		if (arg[0] != '-' || strcmp(arg, "-") == 0) {
			if (a->id)
				return vg_error_set(e, EINVAL, "create: unexpected argument '%s'",
						    arg);
			a->id = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0 && i + 1 < a->argc && !a->id) {
			a->id = a->argv[++i];
			continue;
		}
		k = match_flag(arg, create_with_value, VG_ARRAY_SIZE(create_with_value), &v);
		if (k >= 0) {
			if (!v && i + 1 >= a->argc)
				return vg_error_set(e, EINVAL, "create: %s needs a value", arg);
			if (!v)
				v = a->argv[++i];
			if (k <= 1)
				a->bundle = v;
			continue;
		}
		if (match_flag(arg, create_bool, VG_ARRAY_SIZE(create_bool), &v) >= 0)
			continue;
		return vg_error_set(e, EINVAL, "create: unknown option '%s'", arg);
	}
	if (!a->id || !*a->id)
		return vg_error_set(e, EINVAL, "create: no container ID");
	return 0;
}

/* exec [OPTIONS] ID [COMMAND...]: the ID and --process FILE. */
int vg_runc_args_exec(struct runc_args *a, const char **ret_process, struct vg_error *e)
{
	*ret_process = NULL;
	for (int i = a->cmd + 1; i < a->argc; i++) {
		const char *arg = a->argv[i], *v;
		int k;

		if (arg[0] != '-') {
			a->id = arg;
			return 0;
		}
		k = match_flag(arg, exec_with_value, VG_ARRAY_SIZE(exec_with_value), &v);
		if (k >= 0) {
			if (!v && i + 1 >= a->argc)
				return vg_error_set(e, EINVAL, "exec: %s needs a value", arg);
			if (!v)
				v = a->argv[++i];
			if (k <= 1)
				*ret_process = v;
			continue;
		}
		if (match_flag(arg, exec_bool, VG_ARRAY_SIZE(exec_bool), &v) >= 0)
			continue;
		return vg_error_set(e, EINVAL, "exec: unknown option '%s'", arg);
	}
	return vg_error_set(e, EINVAL, "exec: no container ID");
}
