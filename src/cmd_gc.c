/* volguard gc [--dry-run] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cmd.h"
#include "log.h"
#include "registry.h"
#include "inuse.h"

static void help(void)
{
	puts("Usage: volguard gc [--dry-run]\n\n"
	     "Release the ranges that nothing uses: no container in Docker's files (by a\n"
	     "container ID the range is bound to, by its name, or by labels that give its\n"
	     "identity, such as compose/PROJECT/SERVICE), no runc state of those\n"
	     "containers, no host process with a UID or GID in the range, and no volume that\n"
	     "lists the name as a member. Released ranges rest in quarantine for\n"
	     "[ranges] quarantine_days. Files under the volumes root that still carry a\n"
	     "released range's IDs are listed.\n\n"
	     "  -n, --dry-run   only print what would be released");
}

static bool member_of_any(char **pairs, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; pairs && pairs[i]; i++) {
		const char *colon = strchr(pairs[i], ':');
		if (colon && strlen(colon + 1) == n && strcmp(colon + 1, name) == 0)
			return true;
	}
	return false;
}

/* Is rg in use? Says why at -v. */
static bool in_use(const struct vg_inuse *u, char **pairs, const struct vg_range *rg)
{
	const char *enc = vg_range_get_meta(rg, "runc_root");
	_cleanup_free_ char *root = enc ? vg_meta_decode(enc) : NULL;
	char why[512];

	if (member_of_any(pairs, rg->name)) {
		vg_log_debug("keep %s: a volume lists it as a member", rg->name);
		return true;
	}
	if (vg_inuse_range_users(u, rg->name, vg_range_get_meta(rg, "container"), root, rg->start,
				 rg->count, why, sizeof(why))) {
		vg_log_debug("keep %s: %s", rg->name, why);
		return true;
	}
	return false;
}

/* One walk of the volumes root for every released range; warnings only (the release is
 * done): the files keep their owners, the next holder of the range would own them. */
static void report_owned(const struct vg_config *c, struct vg_owned_files *v, char **names,
			 size_t n)
{
	struct vg_error err = { 0 };

	if (vg_inuse_owned_files(c, v, n, &err) < 0) {
		vg_log_warn("cannot look for files that carry the released IDs: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char **lines = vg_owned_files_lines(&v[i], names[i], c->volumes_root);
		for (size_t j = 0; lines && lines[j]; j++)
			vg_log_warn("%s", lines[j]);
		vg_strv_free(lines);
	}
}

int cmd_gc(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = { { "dry-run", no_argument, NULL, 'n' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct vg_registry reg;
	struct vg_inuse u = { 0 };
	struct vg_error err = { 0 };
	struct vg_owned_files *owned = NULL;
	char **pairs = NULL, **names = NULL;
	bool dry_run = false;
	size_t released = 0;
	int o, r = 0;

	while ((o = getopt_long(argc, argv, "nh", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			dry_run = true;
			break;
		case 'h':
			help();
			return 0;
		default:
			return vg_cmd_bad_option("gc", argv);
		}
	}
	if (optind != argc)
		return vg_cmd_usage_error("gc", "unexpected argument '%s'", argv[optind]);

	/* The lock is held from here: no create can claim a range while we look. */
	if (vg_registry_open(&reg, c, dry_run ? VG_REGISTRY_READ : VG_REGISTRY_WRITE, &err) < 0 ||
	    vg_inuse_load(c, &u, &err) < 0 || vg_inuse_volumes_of(c, NULL, &pairs, &err) < 0) {
		r = vg_print_error(&err);
		goto out;
	}
	for (size_t i = 0; i < reg.n;) {
		const struct vg_range *rg = &reg.ranges[i];
		if (in_use(&u, pairs, rg)) {
			i++;
			continue;
		}
		printf("%s %s:%llu:%llu\n", dry_run ? "would release" : "released", rg->name,
		       (unsigned long long)rg->start, (unsigned long long)rg->count);
		owned = vg_reallocarray(owned, released + 1, sizeof(*owned));
		owned[released] = (struct vg_owned_files){ .start = rg->start, .count = rg->count };
		vg_strv_push(&names, rg->name);
		released++;
		if (dry_run) {
			i++;
			continue;
		}
		if (vg_registry_release(&reg, rg->name, &err) < 0) {
			r = vg_print_error(&err);
			goto out;
		}
	}
	if (!dry_run && vg_registry_commit(&reg, &err) < 0) {
		r = vg_print_error(&err);
		goto out;
	}
	vg_log_info("%zu range(s) %s, %zu kept", released, dry_run ? "unused" : "released",
		    reg.n - (dry_run ? released : 0));
	vg_registry_close(&reg); /* the walk needs no lock */
	(void)fflush(stdout);	 /* the released lines come before the warnings about them */
	report_owned(c, owned, names, released);
out:
	if (owned)
		vg_owned_files_free(owned, released);
	free(owned);
	vg_strv_free(names);
	vg_strv_free(pairs);
	vg_inuse_free(&u);
	vg_registry_close(&reg);
	return r;
}
