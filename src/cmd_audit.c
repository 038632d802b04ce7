/* volguard audit [--json] [--fail-on SEVERITY] [--container NAME] [--volume NAME] [--deep]
 *                [--compare FILE] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "audit_render.h"
#include "cleanup.h"
#include "cmd.h"
#include "fleet.h"
#include "log.h"

static void help(void)
{
	puts("Usage: volguard audit [--json] [--fail-on SEVERITY] [--container NAME]\n"
	     "                      [--volume NAME] [--deep] [--compare FILE]\n\n"
	     "Report the host's container isolation from its own files (dockerd may be stopped):\n"
	     "daemon.json, the registry and its ranges, every container and every volume.\n"
	     "Each finding has a stable ID (VG-MOUNT-001, ...), a severity, the evidence and the\n"
	     "command that remedies it. Nothing is changed.\n\n"
	     "  --json              one JSON document (schema_version 1, see volguard(8))\n"
	     "  --fail-on SEVERITY  exit 1 when a finding is at or above SEVERITY: critical,\n"
	     "                      high, medium, low (default), info, or none (always exit 0)\n"
	     "  --container NAME    only this container (name or ID), its range and its volumes\n"
	     "  --volume NAME       only this volume\n"
	     "  --deep              examine every file of every volume, not a sample\n"
	     "  --compare FILE      also compare the registry with another host's export (its\n"
	     "                      volguard list --json): VG-FLEET-003..005\n"
	     "  --checks            list the checks (ID, usual severity, title) and exit\n\n"
	     "Exit status: 0 no finding at or above --fail-on, 1 findings, 2 error.\n"
	     "Colour only on a terminal and never when NO_COLOR is set.");
}

int cmd_audit(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "fail-on", required_argument, NULL, 'f' },
		{ "container", required_argument, NULL, 'C' },
		{ "volume", required_argument, NULL, 'V' },
		{ "deep", no_argument, NULL, 'd' },
		{ "checks", no_argument, NULL, 'k' },
		{ "compare", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vg_audit_opts ao = { 0 };
	enum vg_severity fail_on = VG_SEV_LOW, worst;
	struct vg_audit a = { 0 };
	struct vg_error err = { 0 };
	struct vg_fleet_export other;
	const char *compare = NULL;
	bool json = false;
	int o, rc;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'j':
			json = true;
			break;
		case 'f':
			if (vg_severity_parse(optarg, &fail_on) < 0)
				return vg_cmd_usage_error("audit",
							  "--fail-on: '%s' is not one of critical, "
							  "high, medium, low, info, none",
							  optarg);
			break;
		case 'C':
			ao.container = optarg;
			break;
		case 'V':
			if (!vg_name_valid(optarg))
				return vg_cmd_usage_error(
				    "audit", "--volume: '%s' is not a volume name", optarg);
			ao.volume = optarg;
			break;
		case 'd':
			ao.deep = true;
			break;
		case 'c':
			compare = optarg;
			break;
		case 'k':
			for (size_t i = 0; i < vg_audit_catalogue_size; i++)
				printf("%-13s %-9s %s\n", vg_audit_catalogue[i].id,
				       vg_severity_name(vg_audit_catalogue[i].severity),
				       vg_audit_catalogue[i].title);
			return fflush(stdout) == 0 ? VG_EXIT_OK : VG_EXIT_ERROR;
		case 'h':
			help();
			return 0;
		default:
			return vg_cmd_bad_option("audit", argv);
		}
	}
	if (optind != argc)
		return vg_cmd_usage_error("audit", "unexpected argument '%s'", argv[optind]);

	vg_registry_init(&other.reg);
	if (compare) {
		if (vg_fleet_read(compare, &other, &err) < 0) {
			vg_fleet_free(&other);
			vg_log_error("audit: --compare: %s", err.msg);
			return VG_EXIT_ERROR;
		}
		ao.compare = &other;
	}
	rc = vg_audit_run(c, &ao, &a, &err);
	if (compare)
		vg_fleet_free(&other);
	ao.compare = NULL;
	if (rc < 0) {
		vg_audit_free(&a);
		vg_log_error("audit: %s", err.msg);
		return VG_EXIT_ERROR;
	}
	if (json) {
		_cleanup_json_ json_t *doc = vg_audit_to_json(c, &ao, &a);
		if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2)) < 0) {
			vg_audit_free(&a);
			vg_log_error("audit: cannot write the JSON report");
			return VG_EXIT_ERROR;
		}
		putchar('\n');
	} else {
		const char *nc = getenv("NO_COLOR");
		bool colour = isatty(STDOUT_FILENO) && !(nc && *nc);
		_cleanup_free_ char *text = vg_audit_to_text(&a, colour);
		if (!text) {
			vg_audit_free(&a);
			vg_log_error("audit: out of memory");
			return VG_EXIT_ERROR;
		}
		fputs(text, stdout);
	}
	worst = vg_audit_worst(&a);
	vg_audit_free(&a);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		vg_log_error("audit: cannot write the report");
		return VG_EXIT_ERROR;
	}
	return worst != VG_SEV_NONE && fail_on != VG_SEV_NONE && worst >= fail_on ? VG_EXIT_REFUSED
										  : VG_EXIT_OK;
}
