/* volguard release NAME [--force] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "cmd.h"
#include "identity.h"
#include "log.h"
#include "registry.h"
#include "inuse.h"

static void help(void)
{
	puts("Usage: volguard release NAME [--force]\n\n"
	     "Free NAME's range; it rests in quarantine for [ranges] quarantine_days before it\n"
	     "is given out again. Refused while a container in Docker's files, a runc state or a\n"
	     "host process (UID or GID in the range) uses it, even with --force; refused while a\n"
	     "volume still lists NAME as a member (revoke it first), unless --force. Files under\n"
	     "the volumes root that still carry the range's IDs are listed.");
}

/* A container, a runc state or a process uses the range: no --force overrides that. */
static int check_unused(const struct vg_config *c, const struct vg_range *rg, struct vg_error *e)
{
	const char *enc = vg_range_get_meta(rg, "runc_root");
	_cleanup_free_ char *root = enc ? vg_meta_decode(enc) : NULL;
	struct vg_inuse u;
	char why[512];
	int r = vg_inuse_load(c, &u, e);

	if (r >= 0 && vg_inuse_range_users(&u, rg->name, vg_range_get_meta(rg, "container"), root,
					   rg->start, rg->count, why, sizeof(why)))
		r = vg_error_set(e, VG_EREFUSED,
				 "cannot release the range of '%s': %s (--force does not override "
				 "this)",
				 rg->name, why);
	vg_inuse_free(&u);
	return r;
}

static void report_owned(const struct vg_config *c, const char *name, uint64_t start,
			 uint64_t count)
{
	struct vg_owned_files f = { .start = start, .count = count };
	struct vg_error err = { 0 };
	char **lines;

	if (vg_inuse_owned_files(c, &f, 1, &err) < 0) {
		vg_log_warn("cannot look for files that carry the released IDs: %s", err.msg);
		return;
	}
	lines = vg_owned_files_lines(&f, name, c->volumes_root);
	for (size_t j = 0; lines && lines[j]; j++)
		vg_log_warn("%s", lines[j]);
	vg_strv_free(lines);
	vg_owned_files_free(&f, 1);
}

int cmd_release(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct vg_registry reg;
	struct vg_error err = { 0 };
	const struct vg_range *rg;
	uint64_t start, count;
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
			return vg_cmd_bad_option("release", argv);
		}
	}
	if (optind + 1 != argc)
		return vg_cmd_usage_error("release", "expected exactly one NAME");
	name = argv[optind];
	if (!vg_identity_valid(name))
		return vg_cmd_usage_error("release", "'%.300s' is not a valid name", name);

	if (vg_registry_open(&reg, c, VG_REGISTRY_WRITE, &err) < 0)
		goto fail;
	rg = vg_registry_find(&reg, name);
	if (!rg) {
		vg_log_error("'%s' has no range", name);
		vg_registry_close(&reg);
		return VG_EXIT_ERROR;
	}
	start = rg->start;
	count = rg->count;
	/* The lock is held: no create can claim the range, and no runtime can add NAME to a
	 * volume, while we look. */
	if (check_unused(c, rg, &err) < 0 || vg_inuse_volumes_of(c, name, &vols, &err) < 0)
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
	vg_log_info("released the range of '%s'%s", name,
		    reg.quarantine && reg.quarantine_days ? " (now in quarantine)" : "");
	vg_registry_close(&reg); /* the walk needs no lock */
	report_owned(c, name, start, count);
	goto out;
fail:
	r = vg_print_error(&err);
out:
	vg_strv_free(vols);
	vg_registry_close(&reg);
	return r;
}
