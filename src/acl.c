/* Expected ACLs of a volume policy, compared and written in the kernel's xattr form. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/acl.h>
#include <acl/libacl.h>
#include <sys/xattr.h>

#include "acl.h"
#include "cleanup.h"
#include "xattrat.h"

/* <linux/posix_acl_xattr.h> and <linux/posix_acl.h>: a stable kernel ABI. */
#define XATTR_VERSION 2
#define TAG_USER_OBJ  0x01
#define TAG_USER      0x02
#define TAG_GROUP_OBJ 0x04
#define TAG_GROUP     0x08
#define TAG_MASK      0x10
#define TAG_OTHER     0x20
#define UNDEFINED_ID  0xffffffffu

struct xentry {
	uint16_t tag, perm;
	uint32_t id;
};

int vg_acl_policy_add(struct vg_acl_policy *p, uint32_t uid, bool ro)
{
	size_t i = 0;

	while (i < p->n && p->v[i].uid < uid)
		i++;
	if (i < p->n && p->v[i].uid == uid) {
		p->v[i].ro = p->v[i].ro && ro;
		return 0;
	}
	if (p->n == VG_ACL_MAX_NAMED)
		return -E2BIG;
	memmove(&p->v[i + 1], &p->v[i], (p->n - i) * sizeof(p->v[0]));
	p->v[i] = (struct vg_acl_grant){ .uid = uid, .ro = ro };
	p->n++;
	return 0;
}

static void put(struct vg_acl_blob *b, uint16_t tag, unsigned perm, uint32_t id)
{
	uint16_t t = htole16(tag), pm = htole16((uint16_t)(perm & 7));
	uint32_t i = htole32(id);

	memcpy(b->data + b->len, &t, 2);
	memcpy(b->data + b->len + 2, &pm, 2);
	memcpy(b->data + b->len + 4, &i, 4);
	b->len += 8;
}

static void begin(struct vg_acl_blob *b)
{
	uint32_t v = htole32(XATTR_VERSION);

	memcpy(b->data, &v, 4);
	b->len = 4;
	b->minimal = false;
}

static bool get(const void *blob, size_t len, size_t i, struct xentry *x)
{
	const uint8_t *p = (const uint8_t *)blob + 4 + 8 * i;
	uint16_t t, pm;
	uint32_t id;

	if (4 + 8 * (i + 1) > len)
		return false;
	memcpy(&t, p, 2);
	memcpy(&pm, p + 2, 2);
	memcpy(&id, p + 4, 4);
	x->tag = le16toh(t);
	x->perm = le16toh(pm);
	x->id = le32toh(id);
	return true;
}

/* The owner, group and other permissions of an entry: from its ACL, else from its mode. */
static void base_perms(const void *cur, size_t cur_len, mode_t mode, unsigned *u, unsigned *g,
		       unsigned *o)
{
	bool have_u = false, have_g = false, have_o = false;
	struct xentry x;
	uint32_t v;

	*u = (mode >> 6) & 7;
	*g = (mode >> 3) & 7;
	*o = mode & 7;
	if (cur_len < 4 || (cur_len - 4) % 8 != 0)
		return;
	memcpy(&v, cur, 4);
	if (le32toh(v) != XATTR_VERSION)
		return;
	for (size_t i = 0; get(cur, cur_len, i, &x); i++) {
		if (x.tag == TAG_USER_OBJ && !have_u) {
			*u = x.perm & 7;
			have_u = true;
		} else if (x.tag == TAG_GROUP_OBJ && !have_g) {
			*g = x.perm & 7;
			have_g = true;
		} else if (x.tag == TAG_OTHER && !have_o) {
			*o = x.perm & 7;
			have_o = true;
		}
	}
}

/*
 * Named entries are rwx (r-x for ro) on files too, exactly what a file inherits from the
 * default ACL, so that files the members create match the policy as they are. What a file
 * grants is the mask's business: rw- (r-- if every member is ro) unless the file is
 * executable by its owner, group or others (setfacl's "X").
 */
static void build(const struct vg_acl_policy *p, bool is_dir, bool exec, unsigned u, unsigned g,
		  unsigned o, struct vg_acl_blob *b)
{
	unsigned named = 0;

	begin(b);
	put(b, TAG_USER_OBJ, u, UNDEFINED_ID);
	for (size_t i = 0; i < p->n; i++) {
		unsigned perm = p->v[i].ro ? 5 : 7;
		put(b, TAG_USER, perm, p->v[i].uid);
		named |= perm;
	}
	put(b, TAG_GROUP_OBJ, g, UNDEFINED_ID);
	if (p->n > 0)
		put(b, TAG_MASK, g | (is_dir || exec ? named : named & 6), UNDEFINED_ID);
	put(b, TAG_OTHER, o, UNDEFINED_ID);
	b->minimal = p->n == 0;
}

void vg_acl_expected_access(const struct vg_acl_policy *p, bool is_dir, const void *cur,
			    size_t cur_len, mode_t mode, struct vg_acl_blob *ret)
{
	unsigned u, g, o;

	base_perms(cur, cur_len, mode, &u, &g, &o);
	build(p, is_dir, !is_dir && ((u | g | o) & 1), u, g, o, ret);
}

void vg_acl_expected_fixed(const struct vg_acl_policy *p, struct vg_acl_blob *ret)
{
	build(p, true, true, 7, 0, 0, ret);
}

static bool xentry_less(const struct xentry *a, const struct xentry *b)
{
	return a->tag != b->tag ? a->tag < b->tag : a->id < b->id;
}

int vg_acl_map_ids(const void *cur, size_t cur_len, uint32_t (*map)(uint32_t id, const void *data),
		   const void *data, struct vg_acl_blob *ret)
{
	struct xentry x[VG_ACL_MAX_NAMED + 4];
	size_t n = 0, out = 0;
	uint32_t v;

	memset(ret, 0, sizeof(*ret));
	if (cur_len == 0) {
		ret->minimal = true;
		return 0;
	}
	if (cur_len < 4 || (cur_len - 4) % 8 != 0 || cur_len > VG_ACL_MAX_SIZE)
		return -EINVAL;
	memcpy(&v, cur, 4);
	if (le32toh(v) != XATTR_VERSION)
		return -EINVAL;
	for (size_t i = 0; get(cur, cur_len, i, &x[n]); i++, n++) {
		if (x[n].tag == TAG_USER || x[n].tag == TAG_GROUP)
			x[n].id = map(x[n].id, data);
		/* Insertion sort: a few dozen entries at most. */
		for (size_t k = n; k > 0 && xentry_less(&x[k], &x[k - 1]); k--) {
			struct xentry t = x[k];
			x[k] = x[k - 1];
			x[k - 1] = t;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (out > 0 && x[out - 1].tag == x[i].tag && x[out - 1].id == x[i].id &&
		    (x[i].tag == TAG_USER || x[i].tag == TAG_GROUP)) {
			x[out - 1].perm |= x[i].perm; /* two grants met: the stronger of both */
			continue;
		}
		x[out++] = x[i];
	}
	begin(ret);
	for (size_t i = 0; i < out; i++)
		put(ret, x[i].tag, x[i].perm, x[i].id);
	return 0;
}

bool vg_acl_equal(const void *cur, size_t cur_len, const struct vg_acl_blob *want)
{
	if (want->minimal)
		return cur_len == 0;
	return cur_len == want->len && memcmp(cur, want->data, cur_len) == 0;
}

int vg_acl_write(int fd, bool is_path_fd, const char *xname, const struct vg_acl_blob *want,
		 struct vg_error *e)
{
	bool remove = want->minimal && strcmp(xname, VG_XATTR_ACL_DEFAULT) == 0;
	int r;

	/* An O_PATH fd cannot f*xattr(): the *xattrat helpers (name "") reach the fd itself
	 * through /proc/self/fd/N, since the kernel refuses O_PATH fds with AT_EMPTY_PATH
	 * (xattrat.h). */
	if (remove)
		r = is_path_fd ? vg_removexattrat(fd, "", xname)
			       : (fremovexattr(fd, xname) < 0 ? -errno : 0);
	else
		r = is_path_fd ? vg_setxattrat(fd, "", xname, want->data, want->len)
			       : (fsetxattr(fd, xname, want->data, want->len, 0) < 0 ? -errno : 0);
	if (r == -ENODATA && remove)
		return 0;
	if (r < 0)
		return vg_error_errno(e, r == -EOPNOTSUPP ? ENOTSUP : -r, "cannot %s %s",
				      remove ? "remove" : "write", xname);
	return 0;
}

ssize_t vg_acl_read(int fd, bool is_path_fd, const char *xname, void *buf, size_t size)
{
	ssize_t n;

	if (is_path_fd)
		n = vg_getxattrat(fd, "", xname, buf, size);
	else {
		n = fgetxattr(fd, xname, buf, size);
		if (n < 0)
			n = -errno;
	}
	if (n == -ENODATA || n == -ENOTSUP || n == -EOPNOTSUPP)
		return 0;
	return n;
}

char *vg_acl_to_text(const void *blob, size_t len)
{
	_cleanup_acl_ acl_t acl = acl_init(8);
	struct xentry x;
	char *text, *ret;

	if (!acl)
		return NULL;
	for (size_t i = 0; get(blob, len, i, &x); i++) {
		acl_entry_t ent;
		acl_permset_t ps;
		static const struct {
			uint16_t tag;
			acl_tag_t lib;
		} tags[] = { { TAG_USER_OBJ, ACL_USER_OBJ },   { TAG_USER, ACL_USER },
			     { TAG_GROUP_OBJ, ACL_GROUP_OBJ }, { TAG_GROUP, ACL_GROUP },
			     { TAG_MASK, ACL_MASK },	       { TAG_OTHER, ACL_OTHER } };
		acl_tag_t lib = ACL_UNDEFINED_TAG;

		for (size_t k = 0; k < VG_ARRAY_SIZE(tags); k++)
			if (tags[k].tag == x.tag)
				lib = tags[k].lib;
		if (lib == ACL_UNDEFINED_TAG || acl_create_entry(&acl, &ent) < 0 ||
		    acl_set_tag_type(ent, lib) < 0 || acl_get_permset(ent, &ps) < 0 ||
		    acl_clear_perms(ps) < 0)
			return NULL;
		if (((x.perm & 4) && acl_add_perm(ps, ACL_READ) < 0) ||
		    ((x.perm & 2) && acl_add_perm(ps, ACL_WRITE) < 0) ||
		    ((x.perm & 1) && acl_add_perm(ps, ACL_EXECUTE) < 0))
			return NULL;
		if ((lib == ACL_USER || lib == ACL_GROUP) && acl_set_qualifier(ent, &x.id) < 0)
			return NULL;
	}
	text = acl_to_any_text(acl, NULL, ',', TEXT_ABBREVIATE | TEXT_NUMERIC_IDS);
	if (!text)
		return NULL;
	ret = vg_strdup(text);
	acl_free(text);
	return ret;
}
