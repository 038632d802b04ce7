/* volguard: per-container host UID ranges, volume permissions, and mount checks for Docker. */
#include <getopt.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cmd.h"
#include "config.h"
#include "log.h"
#include "privs.h"

struct command {
	const char *name;
	vg_cmd_fn fn;
	struct vg_privs privs;
	const char *summary;
};

#define CAPS(...) .caps = { __VA_ARGS__ }, .n_caps = VG_ARRAY_SIZE(((cap_value_t[]){ __VA_ARGS__ }))
/* Changing owners, modes, ACLs and trusted.* xattrs in trees the containers own. */
#define VOLUME_CAPS                                                                                \
	CAPS(CAP_CHOWN, CAP_FOWNER, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN)

/* The one table of what each command may do. */
/* clang-format off */
static const struct command commands[] = {
	{ "alloc", cmd_alloc, { .needs_root = true }, "print NAME's range, allocating one if needed" },
	{ "release", cmd_release, { .needs_root = true, CAPS(CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN) },
	  "free NAME's range" },
	{ "list", cmd_list, { 0 }, "print the registry" },
	{ "import", cmd_import, { .needs_root = true },
	  "pin the ranges of another host's export (list --json)" },
	{ "gc", cmd_gc, { .needs_root = true, CAPS(CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN) },
	  "release ranges nothing uses (containers, runc, processes, volumes)" },
	{ "volume", cmd_volume, { .needs_root = true, VOLUME_CAPS },
	  "create, share, revoke or show a volume" },
	{ "fix", cmd_fix, { .needs_root = true, VOLUME_CAPS }, "repair existing volumes" },
	/* CAP_SYS_ADMIN: trusted.* (a volume's members and model) is invisible without it. */
	{ "check", cmd_check, { CAPS(CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN) },
	  "verify a container's mounts before it runs" },
	/* CAP_SYS_PTRACE: /proc/PID/root and mountinfo of runc's init, which is not dumpable. */
	{ "prestart", cmd_prestart, { .needs_root = true,
	  CAPS(CAP_CHOWN, CAP_FOWNER, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN,
	       CAP_SYS_PTRACE) },
	  "OCI hook: check and prepare a container (state JSON on stdin)" },
	{ "audit", cmd_audit, { CAPS(CAP_DAC_READ_SEARCH, CAP_SYS_ADMIN) },
	  "report the host's container isolation" },
};
/* clang-format on */

static void usage(FILE *f)
{
	fputs("Usage: volguard [--config FILE] [-q|-v] COMMAND [ARGS...]\n"
	      "       volguard-runc [--config FILE] RUNC-ARGS...   (dockerd's runtime)\n\n"
	      "Gives every container its own host UID range, keeps each volume accessible to\n"
	      "exactly the containers that use it, and refuses writable binds of host paths.\n\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < VG_ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("  runtime   run as volguard-runc (dockerd's runtime wrapping runc)\n\n"
	      "Options:\n"
	      "  -c, --config FILE  config file (default $VOLGUARD_CONFIG or " VG_DEFAULT_CONFIG
	      ")\n"
	      "  -q, --quiet        print errors only\n"
	      "  -v, --verbose      print more\n"
	      "  -h, --help         this help; 'volguard COMMAND --help' for a command's\n"
	      "  -V, --version      print the version\n\n"
	      "Exit status: 0 success, 1 refused or findings, 2 usage, config or runtime error.\n"
	      "See volguard(8) and volguard.conf(5).\n",
	      f);
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },	    { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },	    { 0 },
	};
	const char *config_path = getenv("VOLGUARD_CONFIG");
	const struct command *cmd = NULL;
	struct vg_config cfg;
	struct vg_error err = { 0 };
	int c, r;

	if (vg_privs_check_secure(&err) < 0)
		return vg_print_error(&err);
	if (argc > 0 && strcmp(basename(argv[0]), "volguard-runc") == 0)
		return cmd_runtime(argc, argv);

	opterr = 0; /* getopt's messages quote arguments raw: vg_cmd_bad_option says it instead */
	while ((c = getopt_long(argc, argv, "+c:qvhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'q':
			vg_log_level = VG_LOG_QUIET;
			break;
		case 'v':
			vg_log_level = VG_LOG_VERBOSE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			puts("volguard " VG_VERSION);
			return 0;
		default:
			return vg_cmd_bad_option("", argv);
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return VG_EXIT_ERROR;
	}
	if (strcmp(argv[optind], "runtime") == 0) {
		/* cmd_runtime reads its config path from its own --config or the environment. */
		if (config_path && *config_path && setenv("VOLGUARD_CONFIG", config_path, 1) < 0)
			return VG_EXIT_ERROR;
		return cmd_runtime(argc - optind, argv + optind);
	}
	for (size_t i = 0; i < VG_ARRAY_SIZE(commands); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (!cmd) {
		fprintf(stderr, "volguard: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return VG_EXIT_ERROR;
	}
	if (config_path && !*config_path)
		config_path = NULL;

	/* Privileges first, before any input is read; help needs neither them nor the config. */
	vg_config_init(&cfg);
	if (!wants_help(argc - optind, argv + optind)) {
		if (vg_privs_acquire(&cmd->privs, cmd->name, &err) < 0) {
			vg_config_free(&cfg);
			return vg_print_error(&err);
		}
	}
	if (!wants_help(argc - optind, argv + optind) &&
	    vg_config_load(&cfg, config_path, &err) < 0) {
		vg_config_free(&cfg);
		vg_log_error("%s", err.msg);
		return VG_EXIT_ERROR;
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* full getopt reset for the command */
	r = cmd->fn(argc, argv, &cfg);
	vg_config_free(&cfg);
	return r;
}
