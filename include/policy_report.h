/*
 * The policy's findings: a verdict per mount and per privilege fact, gathered in a report
 * (src/policy_report.c). Filled by the policy (policy.h) and by the admission pipeline.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum vg_verdict { VG_ALLOW = 0, VG_WARN = 1, VG_DENY = 2 };

struct vg_finding {
	enum vg_verdict verdict;
	const char *rule;   /* stable rule id, e.g. "sensitive-writable", "runtime-socket" */
	char *subject;	    /* the mount ("/etc -> /x") or fact ("--privileged") */
	char *resolved;	    /* resolved host path, or NULL */
	char *message;	    /* one sentence a user understands, naming path and rule */
	size_t mount_index; /* index into ct->mounts, or SIZE_MAX for facts and inherited mounts */
	const char *mode;   /* "rw" or "ro" for mounts, NULL for facts */
	/* The identity the mount's own source had when it was judged (set on every finding of
	 * that judgement): what runc must mount, verified again after runc's mounts (kmounts.h). */
	bool src_judged, src_exists;
	dev_t src_dev;
	ino_t src_ino;
};

struct vg_report {
	struct vg_finding *v;
	size_t n;
	enum vg_verdict worst;
};

void vg_report_free(struct vg_report *rep);
const char *vg_verdict_name(enum vg_verdict v);
/* The first deny's message, for refusals ("writable bind of /etc ... is a sensitive host path"). */
const char *vg_report_first_deny(const struct vg_report *rep);
/* The same finding whole (rule, subject, resolved path), or NULL when nothing is denied. */
const struct vg_finding *vg_report_first_denial(const struct vg_report *rep);
/* One finding that is not about a mount (the admission pipeline's own rules). */
void vg_report_add(struct vg_report *rep, enum vg_verdict v, const char *rule, const char *subject,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Move every finding of src to the end of dst (src is left empty); `view` (may be NULL) is
 * put before each message ("mounts in the kernel: ..."), to say which view of the
 * container it is about. */
void vg_report_take(struct vg_report *dst, struct vg_report *src, const char *view);
/* One finding of the policy: idx is the mount's (SIZE_MAX for facts), mode "ro"/"rw" (NULL
 * for facts), resolved the host path judged (or NULL); fmt makes its message. */
void vg_policy_add(struct vg_report *rep, enum vg_verdict v, const char *rule, size_t idx,
		   const char *subject, const char *mode, const char *resolved, const char *fmt,
		   ...) __attribute__((format(printf, 8, 9)));
