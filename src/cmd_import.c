/* volguard import FILE */
#include <getopt.h>
#include <stdio.h>

#include "cmd.h"
#include "fleet.h"
#include "log.h"
#include "registry.h"

static void help(void)
{
	puts("Usage: volguard import FILE\n\n"
	     "Pin the ranges of another host's export (its `volguard list --json`) in this\n"
	     "host's registry, so that the same names get the same IDs here (shared volumes:\n"
	     "NFS, Swarm or Kubernetes moving a service). Names that already have that range\n"
	     "are left alone. Refused as a whole, nothing written, when a name has another\n"
	     "range here, or a range overlaps another name's range or quarantined range here,\n"
	     "a subuid/subgid delegation, a user's or group's ID, or lies outside the pool.\n\n"
	     "Exit status: 0 imported, 1 refused, 2 error (a bad file: file and field).");
}

int cmd_import(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct vg_fleet_export x;
	struct vg_registry reg;
	struct vg_error err = { 0 };
	size_t added = 0;
	int o, rc;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			help();
			return 0;
		default:
			return vg_cmd_bad_option("import", argv);
		}
	}
	if (optind + 1 != argc)
		return vg_cmd_usage_error("import", "expected exactly one FILE");
	if (vg_fleet_read(argv[optind], &x, &err) < 0) {
		vg_fleet_free(&x);
		return vg_print_error(&err);
	}
	/* One registry write, under the lock, after every range was checked. */
	rc = vg_registry_open(&reg, c, VG_REGISTRY_WRITE, &err);
	if (rc >= 0)
		rc = vg_fleet_import(&reg, c, &x, &added, &err);
	if (rc >= 0)
		rc = vg_registry_commit(&reg, &err);
	if (rc >= 0)
		printf("imported %zu of %zu ranges from %s (%s)\n", added, x.reg.n, x.host,
		       argv[optind]);
	vg_registry_close(&reg);
	vg_fleet_free(&x);
	return rc < 0 ? vg_print_error(&err) : 0;
}
