/* volguard list [--json] */
#include <getopt.h>
#include <stdio.h>

#include "cleanup.h"
#include "cmd.h"
#include "log.h"
#include "registry.h"

static void help(void)
{
	puts("Usage: volguard list [--json] [--quarantine]\n\n"
	     "Print the registry: NAME:START:COUNT and its metadata, one allocation a line.\n"
	     "With --quarantine, the released ranges resting in quarantine instead. --json\n"
	     "prints both (\"ranges\", \"quarantine\" with \"until\", a Unix time).");
}

static json_t *range_json(const struct vg_range *rg)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:I}", "name", rg->name, "start",
			      (json_int_t)rg->start, "count", (json_int_t)rg->count, "end",
			      (json_int_t)(rg->start + rg->count - 1));
	json_t *meta = json_object();

	for (size_t i = 0; i < rg->n_meta; i++)
		json_object_set_new(meta, rg->meta[i].key, json_string(rg->meta[i].value));
	json_object_set_new(o, "meta", meta);
	return o;
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
		_cleanup_json_ json_t *root = json_object();
		json_t *arr = json_array();
		for (size_t i = 0; i < reg.n; i++)
			json_array_append_new(arr, range_json(&reg.ranges[i]));
		json_object_set_new(root, "ranges", arr);
		arr = json_array();
		for (size_t i = 0; reg.quarantine && i < reg.quarantine->n; i++) {
			const struct vg_range *q = &reg.quarantine->ranges[i];
			json_t *qo = range_json(q);
			json_object_set_new(qo, "until",
					    json_integer((json_int_t)vg_quarantine_until(&reg, q)));
			json_array_append_new(arr, qo);
		}
		json_object_set_new(root, "quarantine", arr);
		json_object_set_new(root, "quarantine_days",
				    json_integer((json_int_t)c->quarantine_days));
		json_object_set_new(root, "range_size", json_integer((json_int_t)c->range_size));
		json_object_set_new(root, "pool_start", json_integer((json_int_t)c->pool_start));
		json_object_set_new(root, "pool_end", json_integer((json_int_t)c->pool_end));
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
