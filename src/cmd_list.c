/* volguard list [--json] */
#include <getopt.h>
#include <stdio.h>

#include "cleanup.h"
#include "cmd.h"
#include "fleet.h"
#include "log.h"
#include "registry.h"

static void help(void)
{
	puts("Usage: volguard list [--json] [--quarantine]\n\n"
	     "Print the registry: NAME:START:COUNT and its metadata, one allocation a line.\n"
	     "With --quarantine, the released ranges resting in quarantine instead. --json\n"
	     "prints both (\"ranges\", \"quarantine\" with \"until\", a Unix time): the export\n"
	     "format (\"version\": 1, \"host\", \"allocation\", \"key_id\", the pool) that\n"
	     "`volguard import` and `volguard audit --compare` read on another host.");
}

int cmd_list(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "quarantine", no_argument, NULL, 'Q' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct vg_registry reg;
	struct vg_error err = { 0 };
	bool json = false, quarantined = false;
	int o;

	while ((o = getopt_long(argc, argv, "jQh", opts, NULL)) != -1) {
		switch (o) {
		case 'j':
			json = true;
			break;
		case 'Q':
			quarantined = true;
			break;
		case 'h':
			help();
			return 0;
		default:
			return vg_cmd_bad_option("list", argv);
		}
	}
	if (optind != argc)
		return vg_cmd_usage_error("list", "unexpected argument '%s'", argv[optind]);
	if (vg_registry_open(&reg, c, VG_REGISTRY_READ, &err) < 0) {
		vg_registry_close(&reg);
		return vg_print_error(&err);
	}
	if (json) {
		_cleanup_json_ json_t *root = vg_fleet_export_json(&reg, c);
		json_dumpf(root, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		const struct vg_registry *show = quarantined ? reg.quarantine : &reg;
		for (size_t i = 0; show && i < show->n; i++) {
			const struct vg_range *rg = &show->ranges[i];
			printf("%s:%llu:%llu", rg->name, (unsigned long long)rg->start,
			       (unsigned long long)rg->count);
			for (size_t j = 0; j < rg->n_meta; j++)
				printf("%s%s=%s", j ? " " : " # ", rg->meta[j].key,
				       rg->meta[j].value);
			putchar('\n');
		}
	}
	vg_registry_close(&reg);
	return 0;
}
