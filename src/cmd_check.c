/* volguard check: judge a container's mounts and privileges before it runs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters.h"
#include "admit.h"
#include "cleanup.h"
#include "cmd.h"
#include "compose.h"
#include "log.h"
#include "policy.h"

static void usage(FILE *f)
{
	fputs("Usage: volguard check [--json] --oci CONFIG.json|BUNDLE\n"
	      "       volguard check [--json] --container ID|NAME\n"
	      "       volguard check [--json] -- run [DOCKER-RUN-OPTIONS] IMAGE [CMD...]\n"
	      "       volguard check [--json] --compose FILE [-p PROJECT] [--env-file F]\n\n"
	      "Judge every mount and privilege of a container: an OCI runtime spec, a container\n"
	      "in Docker's on-disk files (the daemon may be stopped), a docker run command\n"
	      "line, or each service of a compose file (a CI gate). Writable binds of\n"
	      "sensitive host paths and runtime sockets are denied, so are capabilities\n"
	      "outside allowed_capabilities, devices and device cgroup rules outside\n"
	      "allowed_devices, and a spec with two keys differing only in case.\n\n"
	      "  --oci PATH         an OCI config.json, or a bundle directory holding one\n"
	      "  --container ID     a Docker container: full ID, unique ID prefix or name\n"
	      "  --compose FILE     every service of a compose file, as docker-compose would\n"
	      "                     run it (variables from the environment and .env, extends)\n"
	      "  -p, --project-name NAME  the compose project (default: the file's directory)\n"
	      "  --env-file F       the compose variables file (default: .env beside FILE)\n"
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

static json_t *findings_json(const struct vg_report *rep)
{
	json_t *arr = json_array();

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
	return arr;
}

static void print_json(const struct vg_container *ct, const struct vg_report *rep)
{
	_cleanup_json_ json_t *root = json_object();

	json_object_set_new(root, "container", json_text(ct->name));
	json_object_set_new(root, "id", json_text(ct->id));
	json_object_set_new(root, "verdict", json_string(vg_verdict_name(rep->worst)));
	json_object_set_new(root, "findings", findings_json(rep));
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	putchar('\n');
}

/* --compose: each service judged as `check -- run` judges its docker run; nothing is printed
 * before every service is judged, so that an error (exit 2) leaves no half report. */
static int check_compose(struct vg_config *c, const char *file, const struct vg_compose_opts *co,
			 bool json)
{
	struct vg_compose p;
	struct vg_error e = { 0 };
	struct vg_admission *adm;
	_cleanup_json_ json_t *root = NULL, *svcs = NULL;
	enum vg_verdict worst = VG_ALLOW;
	size_t refused = 0;
	int r = 0;

	if (vg_compose_load(file, co, &p, &e) < 0) {
		vg_log_error("%s", e.msg);
		return VG_EXIT_ERROR;
	}
	adm = vg_malloc0((p.n + 1) * sizeof(*adm));
	for (size_t i = 0; i < p.n; i++) {
		vg_admission_init(&adm[i], c, VG_ADMIT_CHECK);
		adm[i].ct = p.v[i].ct;
		p.v[i].ct = (struct vg_container){ 0 };
		/* The identity the runtime gives it (compose/PROJECT/SERVICE from Compose's
		 * labels). */
		if (vg_admit_set_identity(&adm[i], p.v[i].container, adm[i].ct.labels, &e) < 0 ||
		    vg_admit_judge(&adm[i], &e) < 0) {
			vg_log_error("service %s (%s): %s", p.v[i].name, p.v[i].where, e.msg);
			r = -1;
			for (size_t j = 0; j <= i; j++)
				vg_admission_free(&adm[j]);
			goto out;
		}
		refused += adm[i].rep.worst == VG_DENY;
		if (adm[i].rep.worst > worst)
			worst = adm[i].rep.worst;
	}
	if (json) {
		root = json_object();
		svcs = json_array();
		json_object_set_new(root, "file", json_text(p.file));
		json_object_set_new(root, "project", json_text(p.project));
	}
	for (size_t i = 0; i < p.n; i++) {
		if (json) {
			json_t *o = json_object();
			json_object_set_new(o, "service", json_text(p.v[i].name));
			json_object_set_new(o, "container", json_text(p.v[i].container));
			json_object_set_new(o, "identity", json_text(adm[i].name));
			json_object_set_new(o, "replicas", json_integer(p.v[i].replicas));
			json_object_set_new(o, "where", json_text(p.v[i].where));
			json_object_set_new(o, "verdict",
					    json_string(vg_verdict_name(adm[i].rep.worst)));
			json_object_set_new(o, "findings", findings_json(&adm[i].rep));
			json_array_append_new(svcs, o);
		} else {
			_cleanup_free_ char *s = vg_escape(p.v[i].name);
			_cleanup_free_ char *id = vg_escape(adm[i].name);
			printf("%sservice %s (%u replica%s, identity %s, %s)\n", i ? "\n" : "", s,
			       p.v[i].replicas, p.v[i].replicas == 1 ? "" : "s", id, p.v[i].where);
			print_table(&adm[i].ct, &adm[i].rep);
		}
		vg_admission_free(&adm[i]);
	}
	if (json) {
		json_object_set_new(root, "verdict", json_string(vg_verdict_name(worst)));
		json_object_set(root, "services", svcs);
		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		putchar('\n');
	} else {
		_cleanup_free_ char *pn = vg_escape(p.project);
		printf("\nproject %s: %zu service%s, %zu refused\n", pn, p.n, p.n == 1 ? "" : "s",
		       refused);
	}
out:
	free(adm);
	vg_compose_free(&p);
	if (r < 0)
		return VG_EXIT_ERROR;
	return refused ? VG_EXIT_REFUSED : VG_EXIT_OK;
}

int cmd_check(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = {
		{ "oci", required_argument, NULL, 'o' },
		{ "container", required_argument, NULL, 'C' },
		{ "compose", required_argument, NULL, 'F' },
		{ "project-name", required_argument, NULL, 'p' },
		{ "env-file", required_argument, NULL, 'E' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *oci = NULL, *container = NULL, *compose = NULL;
	struct vg_compose_opts co = { 0 };
	struct vg_admission adm;
	struct vg_error e = { 0 };
	bool json = false, run = false;
	int o, r, inputs;

	while ((o = getopt_long(argc, argv, "+hp:", opts, NULL)) != -1) {
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
		case 'F':
			compose = optarg;
			break;
		case 'p':
			co.project = optarg;
			break;
		case 'E':
			co.env_file = optarg;
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
	inputs = !!oci + !!container + !!compose + run;
	if (inputs != 1)
		return vg_cmd_usage_error(
		    "check", "give exactly one of --oci, --container, --compose, -- run");
	if ((co.project || co.env_file) && !compose)
		return vg_cmd_usage_error("check", "-p and --env-file go with --compose");
	if (compose)
		return check_compose(c, compose, &co, json);

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
