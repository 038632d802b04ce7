/*
 * POSIX ACLs for volume policies. The hot path works on the kernel's xattr form
 * (system.posix_acl_access / system.posix_acl_default: a 4-byte version header and 8-byte
 * entries sorted by tag and id, <linux/posix_acl_xattr.h>), so comparing an entry with its
 * expected ACL is a memcmp and costs no allocation; libacl renders ACLs as text.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vg.h"

#define VG_XATTR_ACL_ACCESS  "system.posix_acl_access"
#define VG_XATTR_ACL_DEFAULT "system.posix_acl_default"
/* Room for the base entries, the mask and this many named entries; a longer ACL on disk is
 * read as "not what the policy wants" and replaced. */
#define VG_ACL_MAX_NAMED 60
#define VG_ACL_MAX_SIZE	 (4 + 8 * (VG_ACL_MAX_NAMED + 4))

/* One named user entry the policy grants: rwx (rw member) or r-x (ro member), on files as
 * on directories (what files inherit from the default ACL); on a file that nobody may execute
 * the mask takes the x away. */
struct vg_acl_grant {
	uint32_t uid;
	bool ro;
};

/* The named entries of a volume: none for a private volume. Sorted by uid, no duplicates. */
struct vg_acl_policy {
	struct vg_acl_grant v[VG_ACL_MAX_NAMED];
	size_t n;
};

struct vg_acl_blob {
	bool minimal; /* only owner, group, other: "no ACL" on disk, the mode alone */
	size_t len;   /* bytes of data (a minimal ACL still has its 3 entries, for writing) */
	uint8_t data[VG_ACL_MAX_SIZE];
};

/* Add a grant (sorted insert; a uid given twice keeps the stronger grant). -E2BIG when full. */
int vg_acl_policy_add(struct vg_acl_policy *p, uint32_t uid, bool ro);

/*
 * The access ACL an entry must have: its own owner, group and other permissions (from `cur`,
 * the ACL on disk, or from `mode` when it has none), the policy's named users, no named
 * groups, and a mask that is the union of the group class, without x on a file nobody may
 * execute (so that a file created 0644 under a default ACL, mask r--, gets its members' write
 * back). An empty policy gives the minimal ACL.
 */
void vg_acl_expected_access(const struct vg_acl_policy *p, bool is_dir, const void *cur,
			    size_t cur_len, mode_t mode, struct vg_acl_blob *ret);
/*
 * The fixed ACL of a shared volume's _data and the default ACL of every directory in it:
 * user::rwx, the policy's users, group::---, mask, other::---. Empty policy: minimal (for
 * the default ACL: none).
 */
void vg_acl_expected_fixed(const struct vg_acl_policy *p, struct vg_acl_blob *ret);

/*
 * The ACL `cur` (the kernel's xattr form, cur_len 0: none) with every named user and group
 * qualifier passed through `map`; entries that map to the same ID are merged (permissions
 * or'ed), and the result is in the kernel's order (tag, then ID), so an ACL that `map` leaves
 * alone comes out byte for byte as it was. None stays none (minimal). -EINVAL when `cur` is
 * malformed or longer than a blob holds.
 */
int vg_acl_map_ids(const void *cur, size_t cur_len, uint32_t (*map)(uint32_t id, const void *data),
		   const void *data, struct vg_acl_blob *ret);

/* Does the ACL on disk (cur_len 0: none) equal `want`? A minimal `want` equals only "none"
 * (the kernel never stores an ACL the mode can say); a malformed `cur` equals nothing. */
bool vg_acl_equal(const void *cur, size_t cur_len, const struct vg_acl_blob *want);

/*
 * Write `want` as the `xname` ACL of `fd` (an O_PATH fd goes through /proc/self/fd/N). A
 * minimal access ACL is written as such (the kernel folds it into the mode and drops the
 * xattr); a minimal default ACL is removed. ENOTSUP (no ACLs on this file
 * system) is returned as -ENOTSUP for the caller to report.
 */
int vg_acl_write(int fd, bool is_path_fd, const char *xname, const struct vg_acl_blob *want,
		 struct vg_error *e);
/* Read the ACL `xname` of `fd` into buf; returns its length, 0 when it has none, -ERANGE
 * when it is longer than `size` (then it cannot be the policy's), else -errno. */
ssize_t vg_acl_read(int fd, bool is_path_fd, const char *xname, void *buf, size_t size);
/* "u::rwx,u:1073741824:rwx,g::---,m::rwx,o::---" (libacl's short text); caller frees. */
char *vg_acl_to_text(const void *blob, size_t len);
