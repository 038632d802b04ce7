/*
 * The registry: <state_dir>/ranges, one allocation a line, "name:start:count" (the /etc/subuid
 * format) optionally followed by " # key=value ...". Writers hold an exclusive flock on
 * <state_dir>/ranges.lock; the file is replaced atomically (temp file, fsync, rename, fsync dir).
 *
 * Released ranges rest in <state_dir>/quarantine (same format, same lock, a name may repeat,
 * metadata released=TIME) for [ranges] quarantine_days before they are given out again.
 *
 * Metadata volguard writes: created=TIME, container=ID (the container the range is bound to;
 * for a shared identity, identity.h, the IDs of its containers: ID,ID,...), identity=KIND
 * (compose, swarm or pod: a range shared by every container of that identity),
 * runc_root=PATH (runc's --root at that create, %XX-encoded), reused_from=NAME (a range taken
 * from quarantine early because the pool was full), released=TIME (quarantine only),
 * allocation=deterministic and probes=N (the range came from the name's keyed hash, N blocks of
 * its probe sequence being taken), imported=TIME (pinned by `volguard import`).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "vg.h"

#define VG_REGISTRY_MAX_SIZE (64u * 1024 * 1024)

struct vg_meta {
	char *key;
	char *value;
};

struct vg_range {
	char *name;
	uint64_t start;
	uint64_t count;
	struct vg_meta *meta;
	size_t n_meta;
	unsigned line; /* line in the file it was read from; 0 when new */
};

struct vg_registry {
	struct vg_range *ranges;
	size_t n;
	int dir_fd;	/* the state dir, checked; -1 for an in-memory registry */
	int lock_fd;	/* holds the flock; -1 when not locked */
	size_t n_alloc; /* allocated entries of ranges */
	char *path;	/* for messages */
	bool dirty;
	/* vg_registry_open's text: the names and metadata of its ranges point into it, so those
	 * ranges must not be moved to another registry (vg_registry_parse's may). */
	char *arena;
	size_t arena_len;
	/* <state_dir>/quarantine (vg_registry_open; NULL for an in-memory registry): released
	 * ranges at rest. */
	struct vg_registry *quarantine;
	uint64_t quarantine_days;
	bool multi_names; /* a quarantine: a name may have several lines */
	bool q_reused;	  /* a range left the quarantine for the registry: commit that first */
};

enum vg_registry_mode {
	VG_REGISTRY_READ,  /* no lock (the file is replaced whole), never written */
	VG_REGISTRY_WRITE, /* exclusive lock, may commit; creates state_dir if missing */
};

/* In-memory parsing of registry text; errors name path:line. */
void vg_registry_init(struct vg_registry *r);
int vg_registry_parse(struct vg_registry *r, const char *buf, size_t len, const char *path,
		      struct vg_error *e);
/* The text of the registry (caller frees). */
char *vg_registry_format(const struct vg_registry *r);

/*
 * Open the state dir (refused when a symlink, not root's, or writable by group or others),
 * take the lock, read the registry. READ mode on a missing state dir gives an empty registry.
 */
int vg_registry_open(struct vg_registry *r, const struct vg_config *c, enum vg_registry_mode mode,
		     struct vg_error *e);
/* Atomically replace the file with the in-memory registry (if dirty). */
int vg_registry_commit(struct vg_registry *r, struct vg_error *e);
void vg_registry_close(struct vg_registry *r);

struct vg_range *vg_registry_find(const struct vg_registry *r, const char *name);
/* The range containing host ID `id`, or NULL. */
struct vg_range *vg_registry_find_id(const struct vg_registry *r, uint64_t id);

/*
 * Find or allocate NAME's range. A new range: `size` IDs (0: range_size; otherwise a multiple
 * of range_size), aligned, first fit in the pool, avoiding every other range, the subuid/subgid
 * delegations, IDs of existing users and groups, 0..65535 and 4294967295.
 * *ret_new tells whether it was allocated now.
 */
int vg_registry_alloc(struct vg_registry *r, const struct vg_config *c, const char *name,
		      uint64_t size, struct vg_range **ret, bool *ret_new, struct vg_error *e);
/* Remove NAME's line (into the quarantine, when the registry has one and quarantine_days is
 * not 0); -ENOENT if it has none. */
int vg_registry_release(struct vg_registry *r, const char *name, struct vg_error *e);

/* Low level, for registry_alloc.c: append a line (nothing checked; pointers into r->ranges
 * may move), remove one, rename one (-EEXIST when another line has that name). */
struct vg_range *vg_registry_add(struct vg_registry *r, const char *name, uint64_t start,
				 uint64_t count);
void vg_registry_remove(struct vg_registry *r, struct vg_range *rg);
int vg_registry_rename(struct vg_registry *r, struct vg_range *rg, const char *name,
		       struct vg_error *e);

/* Is `rg` bound to container `id` (one of the IDs of its metadata container=ID,ID...). */
bool vg_range_bound_to(const struct vg_range *rg, const char *id);
/* The range bound to container `id` (metadata container=ID,...), or NULL. */
struct vg_range *vg_registry_find_container(const struct vg_registry *r, const char *id);

/*
 * Check phase, changes nothing: the range a create of container `id` named `name` would get
 * from vg_registry_claim, or NULL when it would get a new one (of range_size IDs). Reads
 * Docker's files and runc's state of the container the name's range is bound to.
 */
const struct vg_range *vg_registry_claimable(const struct vg_registry *r, const struct vg_config *c,
					     const char *name, const char *id);
/*
 * Act phase, registry open for writing: the range of container `id` (Docker's name `name`),
 * bound to it. A range belongs to the container ID it was claimed by:
 *  - the range bound to `id` is its own, whatever its name now (docker rename); its line is
 *    renamed to `name` when no other line has that name;
 *  - else the range of `name`, when it is bound to no container or to one that is gone
 *    (neither Docker's files nor runc's state know it: a re-creation, `docker run --rm --name
 *    web` twice), is rebound to `id`;
 *  - else (`name`'s range belongs to a container that still exists under another name) that
 *    line is renamed to its container's current name, or to its container ID when that name
 *    has a line, and `id` gets a new range;
 *  - a shared identity (identity.h: `name` is compose/..., swarm/..., pod/...) is never
 *    evicted nor renamed: `id` joins its range, whose container list keeps the IDs that still
 *    exist (Docker's files, runc's state), and identity=KIND is recorded.
 * `runc_root` (runc's --root, may be NULL) is recorded so that release and gc can find runc's
 * state later. *ret_new: a new range (from the pool or, pool full, from quarantine).
 */
int vg_registry_claim(struct vg_registry *r, const struct vg_config *c, const char *name,
		      const char *id, const char *runc_root, struct vg_range **ret, bool *ret_new,
		      struct vg_error *e);

/*
 * The probe sequence of [ranges] allocation = deterministic, over `positions` candidate blocks
 * (the aligned starts where the range fits in the pool): h = SipHash-2-4(key, name); block i of
 * the sequence is (home + i * step) mod positions, home = (h mod 2^32) mod positions, step =
 * 1 + (h div 2^32) mod (positions - 1), raised to the next number coprime with positions (double
 * hashing: every block once, and names that share a home do not share the rest of the path).
 */
struct vg_probe {
	uint64_t positions, home, step;
};
void vg_alloc_probe_init(const uint8_t key[16], const char *name, uint64_t positions,
			 struct vg_probe *p);
uint64_t vg_alloc_probe_at(const struct vg_probe *p, uint64_t i);

/* %XX-encode bytes a metadata value cannot hold (and '%'); decode (NULL when malformed).
 * Callers free. */
char *vg_meta_encode(const char *s);
char *vg_meta_decode(const char *s);
/* When quarantined range q was released (metadata released=TIME; now when missing or
 * unreadable), and when it may be given out again. */
int64_t vg_range_released_at(const struct vg_range *q);
int64_t vg_quarantine_until(const struct vg_registry *r, const struct vg_range *q);

const char *vg_range_get_meta(const struct vg_range *rg, const char *key);
/* Value must be non-empty printable ASCII without spaces or '#'. */
int vg_range_set_meta(struct vg_registry *r, struct vg_range *rg, const char *key,
		      const char *value, struct vg_error *e);
