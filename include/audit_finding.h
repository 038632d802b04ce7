/*
 * The audit's finding model (src/audit_finding.c): the catalogue of checks (stable IDs,
 * documented in volguard(8)), severities, the findings of one audit and its options.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entries of each volume's _data examined for owners when not --deep. */
#define VG_AUDIT_SAMPLE 64

enum vg_severity {
	VG_SEV_INFO = 0,
	VG_SEV_LOW,
	VG_SEV_MEDIUM,
	VG_SEV_HIGH,
	VG_SEV_CRITICAL,
	VG_SEV_NONE, /* only as a --fail-on threshold: never fail */
};

enum vg_subject_kind { VG_SUBJ_HOST = 0, VG_SUBJ_RANGE, VG_SUBJ_CONTAINER, VG_SUBJ_VOLUME };

/* One entry of the catalogue: the stable ID, its usual severity and a one-line title. */
struct vg_audit_check {
	const char *id;
	enum vg_severity severity;
	const char *title;
};
extern const struct vg_audit_check vg_audit_catalogue[];
extern const size_t vg_audit_catalogue_size;

struct vg_audit_finding {
	const char *id; /* "VG-MOUNT-001": points into the catalogue */
	enum vg_severity severity;
	enum vg_subject_kind kind;
	char *subject;	  /* container name, volume name, range name, or "host" */
	char *subject_id; /* container ID, or NULL */
	char *message;	  /* one sentence naming the subject, the path and the rule */
	char **evidence;  /* NULL-terminated "key=value": path, resolved, seen, expected, ... */
	char *remedy;	  /* the command to run */
};

struct vg_fleet_export;

struct vg_audit_opts {
	const char *container; /* narrow to this container (name or ID) and its range, or NULL */
	const char *volume;    /* narrow to this volume, or NULL */
	bool deep;	       /* walk every volume's whole tree, not a sample */
	/* --compare FILE: another host's export, read by the caller (fleet.h), or NULL */
	const struct vg_fleet_export *compare;
};

struct vg_audit {
	struct vg_audit_finding *v;
	size_t n;
	size_t n_containers, n_volumes, n_ranges; /* examined */
	size_t n_userns, n_shift;		  /* containers by isolation mode, where known */
	uint64_t pool_ranges, pool_free;	  /* ranges of range_size in the pool, left */
};

/* Free the findings of an audit (vg_audit_run fills it). */
void vg_audit_free(struct vg_audit *a);

const char *vg_severity_name(enum vg_severity s);
/* "critical", "high", "medium", "low", "info", "none"; -EINVAL otherwise. */
int vg_severity_parse(const char *s, enum vg_severity *ret);
/* Counts by severity (index enum vg_severity, VG_SEV_NONE excluded) and the worst one. */
void vg_audit_count(const struct vg_audit *a, size_t counts[VG_SEV_NONE]);
enum vg_severity vg_audit_worst(const struct vg_audit *a); /* VG_SEV_NONE when empty */
