/* The audit's two reports (audit_render.h): one JSON document, or text grouped by subject. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_finding.h"
#include "audit_render.h"
#include "cleanup.h"

static const char *const kind_names[] = { "host", "range", "container", "volume" };

static json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *vg_audit_to_json(const struct vg_config *c, const struct vg_audit_opts *o,
			 const struct vg_audit *a)
{
	size_t counts[VG_SEV_NONE];
	json_t *root, *sum, *arr;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	vg_audit_count(a, counts);
	sum = json_object();
	for (int s = VG_SEV_CRITICAL; s >= VG_SEV_INFO; s--)
		json_object_set_new(sum, vg_severity_name(s), json_integer((json_int_t)counts[s]));
	json_object_set_new(sum, "total", json_integer((json_int_t)a->n));
	json_object_set_new(sum, "worst",
			    a->n ? json_string(vg_severity_name(vg_audit_worst(a))) : json_null());
	arr = json_array();
	for (size_t i = 0; i < a->n; i++) {
		const struct vg_audit_finding *f = &a->v[i];
		json_t *ev = json_object();
		for (size_t j = 0; f->evidence && f->evidence[j]; j++) {
			const char *eq = strchr(f->evidence[j], '=');
			_cleanup_free_ char *k =
			    strndup(f->evidence[j], (size_t)(eq - f->evidence[j]));
			json_object_set_new(ev, k, json_string(eq + 1));
		}
		json_array_append_new(
		    arr, json_pack("{s:s, s:s, s:{s:s, s:s, s:o}, s:s, s:o, s:o}", "id", f->id,
				   "severity", vg_severity_name(f->severity), "subject", "kind",
				   kind_names[f->kind], "name", f->subject, "id",
				   json_str_or_null(f->subject_id), "message", f->message,
				   "evidence", ev, "remedy", json_str_or_null(f->remedy)));
	}
	root = json_pack("{s:i, s:s, s:s}", "schema_version", VG_AUDIT_SCHEMA_VERSION, "version",
			 VG_VERSION, "generated", now);
	json_object_set_new(root, "host",
			    json_pack("{s:s, s:s, s:s, s:s, s:o}", "docker_root", c->docker_root,
				      "volumes_root", c->volumes_root, "state_dir", c->state_dir,
				      "daemon_config", c->daemon_config, "config",
				      json_str_or_null(c->path)));
	json_object_set_new(root, "scope",
			    json_pack("{s:o, s:o, s:b}", "container",
				      json_str_or_null(o->container), "volume",
				      json_str_or_null(o->volume), "deep", o->deep));
	json_object_set_new(root, "examined",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I}}", "containers",
				      (json_int_t)a->n_containers, "volumes",
				      (json_int_t)a->n_volumes, "ranges", (json_int_t)a->n_ranges,
				      "pool_ranges", (json_int_t)a->pool_ranges, "pool_free",
				      (json_int_t)a->pool_free, "isolation", "userns",
				      (json_int_t)a->n_userns, "shift", (json_int_t)a->n_shift));
	json_object_set_new(root, "summary", sum);
	json_object_set_new(root, "findings", arr);
	return root;
}

#define C_RESET "\033[0m"
#define C_BOLD	"\033[1m"

static const char *sev_colour(enum vg_severity s)
{
	static const char *const col[] = { "\033[36m", "\033[34m", "\033[33m", "\033[31m",
					   "\033[1;31m" };
	return (unsigned)s < VG_ARRAY_SIZE(col) ? col[s] : "";
}

char *vg_audit_to_text(const struct vg_audit *a, bool colour)
{
	size_t counts[VG_SEV_NONE];
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; i < a->n; i++) {
		const struct vg_audit_finding *x = &a->v[i];
		char sev[16];

		if (i == 0 || x->kind != a->v[i - 1].kind ||
		    strcmp(x->subject, a->v[i - 1].subject) != 0) {
			if (i)
				fputc('\n', f);
			fprintf(f, "%s%s%s%s%s", colour ? C_BOLD : "", kind_names[x->kind],
				x->kind == VG_SUBJ_HOST ? "" : " ",
				x->kind == VG_SUBJ_HOST ? "" : x->subject, colour ? C_RESET : "");
			if (x->subject_id && strcmp(x->subject_id, x->subject) != 0)
				fprintf(f, " (%.12s)", x->subject_id);
			fputc('\n', f);
		}
		snprintf(sev, sizeof(sev), "%s", vg_severity_name(x->severity));
		for (char *p = sev; *p; p++)
			*p = (char)(*p - 'a' + 'A');
		fprintf(f, "  %s%-8s%s %-12s %s\n", colour ? sev_colour(x->severity) : "", sev,
			colour ? C_RESET : "", x->id, x->message);
		for (size_t j = 0; x->evidence && x->evidence[j]; j++) {
			const char *eq = strchr(x->evidence[j], '=');
			fprintf(f, "      %.*s: %s\n", (int)(eq - x->evidence[j]), x->evidence[j],
				eq + 1);
		}
		if (x->remedy)
			fprintf(f, "      remedy: %s\n", x->remedy);
	}
	vg_audit_count(a, counts);
	fprintf(f,
		"%s%zu finding%s: %zu critical, %zu high, %zu medium, %zu low, %zu info "
		"(%zu containers, %zu volumes, %zu ranges examined; %llu of %llu ranges free)\n",
		a->n ? "\n" : "", a->n, a->n == 1 ? "" : "s", counts[VG_SEV_CRITICAL],
		counts[VG_SEV_HIGH], counts[VG_SEV_MEDIUM], counts[VG_SEV_LOW], counts[VG_SEV_INFO],
		a->n_containers, a->n_volumes, a->n_ranges, (unsigned long long)a->pool_free,
		(unsigned long long)a->pool_ranges);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
