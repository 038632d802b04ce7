/*
 * The mount-check policy engine (issue 4): a vg_container in, a verdict per mount and per
 * privilege fact out. No I/O beyond resolving paths (and reading a volume's opts.json).
 */
#pragma once
#include "config.h"
#include "container.h"
#include "vg.h"

enum vg_verdict { VG_ALLOW = 0, VG_WARN = 1, VG_DENY = 2 };

struct vg_finding {
	enum vg_verdict verdict;
	const char *rule;   /* stable rule id, e.g. "sensitive-writable", "runtime-socket" */
	char *subject;	    /* the mount ("/etc -> /x") or fact ("--privileged") */
	char *resolved;	    /* resolved host path, or NULL */
	char *message;	    /* one sentence a user understands, naming path and rule */
	size_t mount_index; /* index into ct->mounts, or SIZE_MAX for facts and inherited mounts */
	const char *mode;   /* "rw" or "ro" for mounts, NULL for facts */
};

struct vg_report {
	struct vg_finding *v;
	size_t n;
	enum vg_verdict worst;
};

/*
 * Judge every mount and fact of `ct`. `lookup` resolves --volumes-from names to containers
 * (may be NULL: then --volumes-from is judged as unknown and warns).
 */
typedef int (*vg_container_lookup_fn)(const char *name, struct vg_container *ret, void *data,
				      struct vg_error *e);
int vg_policy_check(const struct vg_config *c, const struct vg_container *ct,
		    vg_container_lookup_fn lookup, void *lookup_data, struct vg_report *rep,
		    struct vg_error *e);
void vg_report_free(struct vg_report *rep);

/* Knobs the config does not carry (tests, audit). NULL members mean the built-in defaults. */
struct vg_policy_opts {
	/* Host paths of runtime sockets whose directories must not be bound, even read-only. */
	const char *const *runtime_sockets;
	/* mountinfo file to find writable submounts (default /proc/self/mountinfo). */
	const char *mountinfo;
};
int vg_policy_check_opts(const struct vg_config *c, const struct vg_container *ct,
			 vg_container_lookup_fn lookup, void *lookup_data,
			 const struct vg_policy_opts *opts, struct vg_report *rep,
			 struct vg_error *e);
/* Many containers against one host (audit): the sensitive paths and runtime sockets are
 * resolved once, when the batch is made, instead of once per container. */
struct vg_policy_batch;
struct vg_policy_batch *vg_policy_batch_new(const struct vg_config *c,
					    const struct vg_policy_opts *opts);
int vg_policy_batch_check(struct vg_policy_batch *b, const struct vg_container *ct,
			  vg_container_lookup_fn lookup, void *lookup_data, struct vg_report *rep,
			  struct vg_error *e);
void vg_policy_batch_free(struct vg_policy_batch *b);
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
