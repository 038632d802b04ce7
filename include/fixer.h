/*
 * Applying a volume's policy to its _data tree: owner shift, access ACLs (mask repaired),
 * default ACLs on directories, the _data root's owner, mode and ACLs. Used by volume.c; the
 * walk itself is walk.c's.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "acl.h"
#include "members.h"
#include "vg.h"

/* What a fix counts, the events it reports and the options it takes (fix, volume, prestart). */
struct vg_fix_stats {
	uint64_t seen;	    /* entries below _data */
	uint64_t changed;   /* changed (or, with dry_run, that would be) */
	uint64_t errors;    /* entries that failed (EPERM, ENOTSUP, changed during the walk) */
	uint64_t symlinks;  /* left alone */
	uint64_t mounts;    /* other mounts: not entered */
	uint64_t hardlinks; /* non-directories with several links that needed a change: skipped */
	uint64_t devices;   /* device nodes: skipped */
	uint64_t foreign;   /* owners outside every member's range (with --shift-from): kept */
	bool root_changed;  /* _data itself */
	bool stamped;	    /* the complete pass wrote the stamp (--to-idmap: the model mark) */
	bool not_ours;	    /* the volume is not volguard's (vg_volume_is_ours): left alone */
	bool idmap; /* the volume is in the idmap model: fix (without --to-idmap or --shift-from)
		       refused it, create/share/revoke changed only its record */
};

/* Add the counters of s to t (the flags are per volume and left alone). */
void vg_fix_stats_add(struct vg_fix_stats *t, const struct vg_fix_stats *s);

enum vg_fix_event_kind {
	VG_FIX_CHANGE, /* changed (dry run: would change) */
	VG_FIX_SKIP,   /* left alone for safety: hard link, device, mount */
	VG_FIX_ERROR,  /* this entry failed */
	VG_FIX_NOTE,   /* about the volume: which range a shift goes to, where members came from */
};

struct vg_fix_event {
	enum vg_fix_event_kind kind;
	const char *volume;
	const char *path; /* relative to _data ("." for _data itself), or NULL */
	const char *msg;
};

struct vg_fix_opts {
	bool dry_run;
	bool shift;	     /* --shift-from */
	uint64_t shift_from; /* BASE */
	bool walk;	     /* walk the whole tree even when the stamp matches */
	unsigned jobs;	     /* threads for the subtrees of _data (0, 1: the caller's only) */
	/* Copy-up (first preparation): shift 0..range_count-1 to range_start, strip privileges. */
	bool copy_up;
	uint64_t range_start, range_count;
	void (*event)(const struct vg_fix_event *ev, void *data);
	void (*progress)(const char *volume, const struct vg_fix_stats *st, void *data);
	void *data;
};

struct vg_tree_policy {
	struct vg_acl_policy acl; /* named users: the members of a shared volume; none if private */
	struct vg_acl_blob dflt;  /* default ACL of every directory (minimal: none) */
	struct vg_acl_blob root;  /* access ACL of _data */
	uint32_t root_uid, root_gid;
	mode_t root_mode; /* 0700 private, 0770 shared (0750 when every member is ro) */

	bool shift; /* --shift-from */
	uint64_t shift_from, shift_to, shift_size;
	/* [start, count) of every member: IDs "expected" in the tree; an owner outside them is
	 * counted as foreign (and kept). None: owners are not judged. */
	const uint64_t (*ranges)[2];
	size_t n_ranges;
	/* Copy-up: clear setuid/setgid bits and security.capability of every non-directory. */
	bool strip_privs;

	/* fix --to-idmap: every ID (owner, group, named ACL entry) inside one of the `unshift`
	 * ranges [start, count) becomes container-relative (id - start); no ACL of the policy
	 * (acl, dflt, root) is applied, the ACLs on disk keep their other entries. An owner at or
	 * above idmap_size afterwards is counted as foreign: a member sees it as nobody. */
	bool to_idmap;
	const uint64_t (*unshift)[2];
	size_t n_unshift;
	uint64_t idmap_size;
};

/* Build the policy of a member set: one member private, two or more shared, none root's. */
void vg_tree_policy_init(struct vg_tree_policy *p, const struct vg_members *m);

/* _data itself. Returns 1 when it changed (or would), 0 when it matched, -errno. With
 * p->to_idmap, _data is mapped like any entry (owner, group, ACL qualifiers). */
int vg_fix_data_root(int data_fd, const struct vg_tree_policy *p, bool dry_run, struct vg_error *e);
/* Everything below _data. Entry failures are counted in st->errors and reported through
 * o->event; the return value is < 0 only when the walk itself had to stop. */
/*
 * The copy-up scan, read-only: refuses (VG_EREFUSED, naming the entry) a device node, or a
 * setuid/setgid or file-capability file with several links. `what` names _data in messages.
 */
int vg_copyup_scan(int data_fd, const char *what, struct vg_error *e);
int vg_fix_tree(int data_fd, const char *volume, const struct vg_tree_policy *p,
		const struct vg_fix_opts *o, struct vg_fix_stats *st, struct vg_error *e);
