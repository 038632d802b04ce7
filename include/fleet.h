/*
 * Fleet (issue 14): one host's registry as a document (`volguard list --json`, version 1), read
 * back from another host to pin its ranges (`volguard import`) or to compare (`volguard audit
 * --compare`). The export is the only exchange: hosts never talk.
 */
#pragma once
#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "registry.h"
#include "vg.h"

#define VG_FLEET_EXPORT_VERSION 1
/* An export larger than this is refused (10,000 ranges take about 2 MiB). */
#define VG_FLEET_MAX_SIZE (64u * 1024 * 1024)

/* Another host's export, read and checked. */
struct vg_fleet_export {
	char *path;	  /* for messages */
	char *host;	  /* its "host", or "(unknown host)" */
	char *allocation; /* "first-fit" or "deterministic" */
	char *key_id;	  /* or NULL */
	uint64_t pool_start, pool_end, range_size;
	struct vg_registry reg; /* its "ranges" (in memory) */
};

/* The export document of registry `r` (opened by the caller), config `c`. */
json_t *vg_fleet_export_json(const struct vg_registry *r, const struct vg_config *c);
/* "hex16": a fingerprint of the allocation key (SipHash of a fixed text under the key: equal
 * keys, equal fingerprints; it tells nothing of the key). NULL when the key cannot be read. */
char *vg_fleet_key_id(const struct vg_config *c);

/* Read an export; a bad file is an EINVAL error naming the file and the field
 * ("FILE: ranges[3].start: ..."). */
int vg_fleet_read(const char *path, struct vg_fleet_export *x, struct vg_error *e);
void vg_fleet_free(struct vg_fleet_export *x);

/*
 * Pin every range of `x` in registry `r` (open for writing): a name that already has exactly
 * that range is left alone; a name with another range here, a range overlapping another name's
 * range or quarantined range here, a subuid/subgid delegation, a user's or group's ID or the
 * system IDs, or a range outside this host's pool or not aligned to its range_size, refuses the
 * whole import (VG_EREFUSED, the message names both sides) and `r` is left unchanged.
 * *ret_added: ranges added (metadata imported=TIME, pinned_from=HOST).
 */
int vg_fleet_import(struct vg_registry *r, const struct vg_config *c,
		    const struct vg_fleet_export *x, size_t *ret_added, struct vg_error *e);
