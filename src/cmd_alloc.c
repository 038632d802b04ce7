/* volguard alloc NAME [--size N] [--start] */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "log.h"
#include "registry.h"

static void help(void)
{
	puts("Usage: volguard alloc NAME [--size N] [--start]\n\n"
	     "Print NAME's range as NAME:START:COUNT, allocating one if NAME has none.\n"
	     "The same name gets the same range until it is released. NAME is a container\n"
	     "name or an identity (compose/PROJECT/SERVICE, swarm/SERVICE/SLOT,\n"
	     "pod/NAMESPACE/NAME).\n\n"
	     "  --size N   IDs to allocate (a multiple of range_size; default range_size)\n"
	     "  --start    print only START (for podman run --uidmap 0:START:COUNT)");
}

int cmd_alloc(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = { { "size", required_argument, NULL, 's' },
					      { "start", no_argument, NULL, 'S' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct vg_registry reg;
	struct vg_error err = { 0 };
	struct vg_range *rg;
	uint64_t size = 0;
	bool only_start = false, is_new;
	int o;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (vg_parse_u64(optarg, UINT32_MAX, &size) < 0 || size == 0)
				return vg_cmd_usage_error(
				    "alloc", "--size: '%s' is not a positive number", optarg);
			break;
		case 'S':
			only_start = true;
			break;
		case 'h':
			help();
			return 0;
		default:
			return vg_cmd_bad_option("alloc", argv);
		}
	}
	if (optind + 1 != argc)
		return vg_cmd_usage_error("alloc", "expected exactly one NAME");

	if (vg_registry_open(&reg, c, VG_REGISTRY_WRITE, &err) < 0 ||
	    vg_registry_alloc(&reg, c, argv[optind], size, &rg, &is_new, &err) < 0 ||
	    vg_registry_commit(&reg, &err) < 0) {
		vg_registry_close(&reg);
		return vg_print_error(&err);
	}
	if (only_start)
		printf("%llu\n", (unsigned long long)rg->start);
	else
		printf("%s:%llu:%llu\n", rg->name, (unsigned long long)rg->start,
		       (unsigned long long)rg->count);
	if (is_new && vg_range_get_meta(rg, "reused_from"))
		vg_log_warn("the pool is full: '%s' got the range that '%s' released, before its "
			    "quarantine ended",
			    rg->name, vg_range_get_meta(rg, "reused_from"));
	else if (is_new)
		vg_log_debug("allocated a new range for '%s'", rg->name);
	vg_registry_close(&reg);
	return 0;
}
