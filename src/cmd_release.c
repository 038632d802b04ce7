/* volguard release NAME [--force] */
#include <getopt.h>
#include <stdio.h>

#include "cleanup.h"
#include "cmd.h"
#include "log.h"
#include "registry.h"
#include "usage.h"

static void help(void)
{
	puts("Usage: volguard release NAME [--force]\n\n"
	     "Free NAME's range. Refused while a volume still lists NAME as a member\n"
	     "(revoke it first), unless --force.");
}

int cmd_release(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct vg_registry reg;
	struct vg_error err = { 0 };
	char **vols = NULL;
	bool force = false;
	const char *name;
	int o, r = 0;

	while ((o = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
			force = true;
			break;
		case 'h':
			help();
			return 0;
		default:
			return vg_cmd_usage_error("release", "unknown option");
		}
	}
	if (optind + 1 != argc)
		return vg_cmd_usage_error("release", "expected exactly one NAME");
	name = argv[optind];
	if (!vg_name_valid(name))
		return vg_cmd_usage_error("release", "'%.300s' is not a valid name", name);

	if (vg_registry_open(&reg, c, VG_REGISTRY_WRITE, &err) < 0)
		goto fail;
	if (!vg_registry_find(&reg, name)) {
		vg_log_error("'%s' has no range", name);
		vg_registry_close(&reg);
		return VG_EXIT_ERROR;
	}
	/* The lock is held: no runtime can add NAME to a volume while we look. */
	if (vg_usage_volumes_of(c, name, &vols, &err) < 0)
		goto fail;
	if (vols && !force) {
		vg_log_error("'%s' is still a member of volume %s%s; run 'volguard volume revoke "
			     "%s %s' first, or release with --force",
			     name, vols[0], vols[1] ? " and others" : "", vols[0], name);
		r = VG_EXIT_REFUSED;
		goto out;
	}
	if (vols)
		vg_log_warn("'%s' is still a member of volume %s; its files keep the old IDs", name,
			    vols[0]);
	if (vg_registry_release(&reg, name, &err) < 0 || vg_registry_commit(&reg, &err) < 0)
		goto fail;
	vg_log_info("released the range of '%s'", name);
	goto out;
fail:
	r = vg_report(&err);
out:
	vg_strv_free(vols);
	vg_registry_close(&reg);
	return r;
}
