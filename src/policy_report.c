/* The policy's findings (policy_report.h): one report per check, the worst verdict kept. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "policy_report.h"
#include "vg.h"

const char *vg_verdict_name(enum vg_verdict v)
{
	switch (v) {
	case VG_ALLOW:
		return "allow";
	case VG_WARN:
		return "warn";
	case VG_DENY:
		return "deny";
	}
	return "?";
}

void vg_policy_add(struct vg_report *rep, enum vg_verdict v, const char *rule, size_t idx,
		   const char *subject, const char *mode, const char *resolved, const char *fmt,
		   ...)
{
	struct vg_finding *f;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	rep->v = vg_reallocarray(rep->v, rep->n + 1, sizeof(*rep->v));
	f = &rep->v[rep->n++];
	f->verdict = v;
	f->rule = rule;
	f->subject = vg_strdup(subject);
	f->resolved = resolved ? vg_strdup(resolved) : NULL;
	f->message = msg;
	f->mount_index = idx;
	f->mode = mode;
	f->src_judged = f->src_exists = false;
	f->src_dev = 0;
	f->src_ino = 0;
	if (v > rep->worst)
		rep->worst = v;
}

/* ---- device/inode sets ---- */

void vg_report_free(struct vg_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		free(rep->v[i].subject);
		free(rep->v[i].resolved);
		free(rep->v[i].message);
	}
	free(rep->v);
	memset(rep, 0, sizeof(*rep));
}

void vg_report_add(struct vg_report *rep, enum vg_verdict v, const char *rule, const char *subject,
		   const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		abort();
	vg_policy_add(rep, v, rule, SIZE_MAX, subject, NULL, NULL, "%s", msg);
}

void vg_report_take(struct vg_report *dst, struct vg_report *src, const char *view)
{
	for (size_t i = 0; i < src->n; i++) {
		struct vg_finding *f = &src->v[i];

		if (view) {
			char *m = vg_asprintf("%s: %s", view, f->message);
			free(f->message);
			f->message = m;
		}
		dst->v = vg_reallocarray(dst->v, dst->n + 1, sizeof(*dst->v));
		dst->v[dst->n++] = *f;
		if (f->verdict > dst->worst)
			dst->worst = f->verdict;
	}
	free(src->v);
	memset(src, 0, sizeof(*src));
}

const struct vg_finding *vg_report_first_denial(const struct vg_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->v[i].verdict == VG_DENY)
			return &rep->v[i];
	return NULL;
}

const char *vg_report_first_deny(const struct vg_report *rep)
{
	const struct vg_finding *f = vg_report_first_denial(rep);
	return f ? f->message : NULL;
}
