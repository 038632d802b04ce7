/* volguard check: judge a container's mounts and privileges before it runs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters.h"
#include "admit.h"
#include "cleanup.h"
#include "cmd.h"
#include "log.h"
#include "policy.h"

static void usage(FILE *f)
{
	fputs("Usage: volguard check [--json] --oci CONFIG.json|BUNDLE\n"
	      "       volguard check [--json] --container ID|NAME\n"
	      "       volguard check [--json] -- run [DOCKER-RUN-OPTIONS] IMAGE [CMD...]\n\n"
	      "Judge every mount and privilege of a container: an OCI runtime spec, a container\n"
	      "in Docker's on-disk files (the daemon may be stopped), or a docker run command\n"
	      "line. Writable binds of sensitive host paths and runtime sockets are denied, so\n"
	      "are capabilities outside allowed_capabilities, devices and device cgroup rules\n"
	      "outside allowed_devices, and a spec with two keys differing only in case.\n\n"
	      "  --oci PATH         an OCI config.json, or a bundle directory holding one\n"
	      "  --container ID     a Docker container: full ID, unique ID prefix or name\n"
	      "  --json             print the findings as JSON\n"
	      "  -h, --help         this help\n\n"
	      "Exit status: 0 nothing denied, 1 something denied, 2 bad input.\n",
	      f);
}

/* A table row: each field escaped (vg_escape), so a path cannot add a row or hide in one. */
struct row {
	char *subject, *mode, *message, *rule;
};

static void row_free(struct row *r)
{
	free(r->subject);
	free(r->mode);
	free(r->message);
	free(r->rule);
}

static void print_table(const struct vg_container *ct, const struct vg_report *rep)
{
	_cleanup_free_ struct row *rows = vg_malloc0((rep->n ? rep->n : 1) * sizeof(*rows));
	_cleanup_free_ char *who = vg_escape(ct->name ? ct->name : ct->id ? ct->id : "container");
	size_t deny = 0, warn = 0;
	int w = 5;

	for (size_t i = 0; i < rep->n; i++) {
		const struct vg_finding *f = &rep->v[i];
		int l;

		rows[i] = (struct row){ vg_escape(f->subject), vg_escape(f->mode ? f->mode : "-"),
					vg_escape(f->message), vg_escape(f->rule) };
		l = (int)strlen(rows[i].subject);
		if (l > w)
			w = l;
	}
	if (w > 48)
		w = 48;
	printf("%-*s  %-4s  %-7s  %s\n", w, "MOUNT", "MODE", "VERDICT", "REASON");
	for (size_t i = 0; i < rep->n; i++) {
		printf("%-*s  %-4s  %-7s  %s [%s]\n", w, rows[i].subject, rows[i].mode,
		       vg_verdict_name(rep->v[i].verdict), rows[i].message, rows[i].rule);
		deny += rep->v[i].verdict == VG_DENY;
		warn += rep->v[i].verdict == VG_WARN;
		row_free(&rows[i]);
	}
	printf("%s: %zu denied, %zu warning%s\n", who, deny, warn, warn == 1 ? "" : "s");
}

/* JSON escapes control characters itself (and JSON_ENSURE_ASCII turns an RLO into \u202e);
 * only a string that is not UTF-8, which JSON cannot hold, is given escaped (vg_escape). */
static json_t *json_text(const char *s)
{
	json_t *j;
	char *safe;

	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	safe = vg_escape(s);
	j = json_string(safe);
	free(safe);
	return j;
}

static void print_json(const struct vg_container *ct, const struct vg_report *rep)
{
	_cleanup_json_ json_t *root = json_object(), *arr = json_array();

	for (size_t i = 0; i < rep->n; i++) {
		const struct vg_finding *f = &rep->v[i];
		json_t *o = json_object();
		json_object_set_new(o, "subject", json_text(f->subject));
		json_object_set_new(o, "mode", json_text(f->mode));
		json_object_set_new(o, "verdict", json_string(vg_verdict_name(f->verdict)));
		json_object_set_new(o, "rule", json_text(f->rule));
		json_object_set_new(o, "resolved", json_text(f->resolved));
		json_object_set_new(o, "message", json_text(f->message));
		json_object_set_new(o, "mount_index",
				    f->mount_index == SIZE_MAX
					? json_null()
					: json_integer((json_int_t)f->mount_index));
		json_array_append_new(arr, o);
	}
	json_object_set_new(root, "container", json_text(ct->name));
	json_object_set_new(root, "id", json_text(ct->id));
	json_object_set_new(root, "verdict", json_string(vg_verdict_name(rep->worst)));
	json_object_set(root, "findings", arr);
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	putchar('\n');
}

int cmd_check(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = {
		{ "oci", required_argument, NULL, 'o' },
		{ "container", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *oci = NULL, *container = NULL;
	struct vg_admission adm;
	struct vg_error e = { 0 };
	bool json = false, run = false;
	int o, r, inputs;

	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'o':
			oci = optarg;
			break;
		case 'C':
			container = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return VG_EXIT_OK;
		default:
			return vg_cmd_bad_option("check", argv);
		}
	}
	/* After "--": a docker command line, "run ..." (also "docker run", "container run"). */
	if (optind < argc) {
		if (optind == 0 || strcmp(argv[optind - 1], "--") != 0)
			return vg_cmd_usage_error("check", "unexpected argument '%s'",
						  argv[optind]);
		if (strcmp(argv[optind], "docker") == 0)
			optind++;
		if (optind < argc && strcmp(argv[optind], "container") == 0)
			optind++;
		if (optind >= argc ||
		    (strcmp(argv[optind], "run") != 0 && strcmp(argv[optind], "create") != 0))
			return vg_cmd_usage_error("check", "expected 'run' after '--'");
		optind++;
		run = true;
	}
	inputs = !!oci + !!container + run;
	if (inputs != 1)
		return vg_cmd_usage_error("check",
					  "give exactly one of --oci, --container, -- run");

	vg_admission_init(&adm, c, VG_ADMIT_CHECK);
	if (oci)
		r = vg_oci_load(oci, &adm.ct, NULL, &e);
	else if (container)
		r = vg_docker_load(c, container, &adm.ct, &e);
	else
		r = vg_dockerargs_parse(argc - optind, argv + optind, &adm.ct, &e);
	if (r >= 0)
		r = vg_admit_set_identity(&adm,
					  adm.ct.name && *adm.ct.name ? adm.ct.name
					  : adm.ct.id && *adm.ct.id   ? adm.ct.id
								      : NULL,
					  adm.ct.labels, &e);
	/* The same judge as volguard-runc's and the hook's. */
	if (r >= 0)
		r = vg_admit_judge(&adm, &e);
	if (r < 0) {
		vg_log_error("%s", e.msg);
		vg_admission_free(&adm);
		/* A spec runc would read otherwise than volguard (keys in two cases) is refused. */
		return e.code == VG_EREFUSED ? VG_EXIT_REFUSED : VG_EXIT_ERROR;
	}
	if (json)
		print_json(&adm.ct, &adm.rep);
	else
		print_table(&adm.ct, &adm.rep);
	r = adm.rep.worst == VG_DENY ? VG_EXIT_REFUSED : VG_EXIT_OK;
	vg_admission_free(&adm);
	return r;
}
