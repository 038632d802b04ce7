/* volguard gc [--dry-run] */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"
#include "registry.h"
#include "usage.h"

static void help(void)
{
	puts("Usage: volguard gc [--dry-run]\n\n"
	     "Release the ranges of names that no container (in Docker's files) and no volume\n"
	     "(recorded members) uses.\n\n"
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

int cmd_gc(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = { { "dry-run", no_argument, NULL, 'n' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct vg_registry reg;
	struct vg_error err = { 0 };
	char **containers = NULL, **pairs = NULL;
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
			return vg_cmd_usage_error("gc", "unknown option");
		}
	}
	if (optind != argc)
		return vg_cmd_usage_error("gc", "unexpected argument '%s'", argv[optind]);

	if (vg_registry_open(&reg, c, dry_run ? VG_REGISTRY_READ : VG_REGISTRY_WRITE, &err) < 0 ||
	    vg_usage_container_names(c, &containers, &err) < 0 ||
	    vg_usage_volumes_of(c, NULL, &pairs, &err) < 0) {
		r = vg_report(&err);
		goto out;
	}
	for (size_t i = 0; i < reg.n;) {
		const char *name = reg.ranges[i].name;
		if (vg_strv_contains(containers, name) || member_of_any(pairs, name)) {
			i++;
			continue;
		}
		printf("%s %s:%llu:%llu\n", dry_run ? "would release" : "released", name,
		       (unsigned long long)reg.ranges[i].start,
		       (unsigned long long)reg.ranges[i].count);
		released++;
		if (dry_run) {
			i++;
			continue;
		}
		if (vg_registry_release(&reg, name, &err) < 0) {
			r = vg_report(&err);
			goto out;
		}
	}
	if (!dry_run && vg_registry_commit(&reg, &err) < 0) {
		r = vg_report(&err);
		goto out;
	}
	vg_log_info("%zu range(s) %s, %zu kept", released, dry_run ? "unused" : "released",
		    reg.n - (dry_run ? released : 0));
out:
	vg_strv_free(containers);
	vg_strv_free(pairs);
	vg_registry_close(&reg);
	return r;
}
