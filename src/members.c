/* trusted.volguard.members: the recorded members of a volume. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "cleanup.h"
#include "identity.h"
#include "members.h"

void vg_members_free(struct vg_members *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].name);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

struct vg_member *vg_members_find(const struct vg_members *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0)
			return &m->v[i];
	return NULL;
}

void vg_members_put(struct vg_members *m, const char *name, bool ro, uint32_t uid, uint32_t gid)
{
	struct vg_member *x = vg_members_find(m, name);

	if (!x) {
		m->v = vg_array_grow(m->v, m->n, sizeof(*m->v));
		x = &m->v[m->n++];
		x->name = vg_strdup(name);
	}
	x->ro = ro;
	x->uid = uid;
	x->gid = gid;
}

bool vg_members_remove(struct vg_members *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->v[i].name, name) == 0) {
			free(m->v[i].name);
			memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(m->v[0]));
			m->n--;
			return true;
		}
	return false;
}

int vg_members_parse(const char *buf, size_t len, struct vg_members *m, struct vg_error *e)
{
	size_t pos = 0;
	unsigned lineno = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		_cleanup_free_ char *line = strndup(buf + pos, n);
		char *f[4], *p;
		uint64_t uid, gid;
		size_t k;

		lineno++;
		pos += n + (nl ? 1 : 0);
		if (!line)
			return vg_error_set(e, ENOMEM, "out of memory");
		if (n == 0)
			continue;
		if (strlen(line) != n)
			return vg_error_set(e, EINVAL, "members line %u: NUL byte", lineno);
		/* Exactly four fields; strtok_r would merge empty ones and hide a fifth. */
		p = line;
		for (k = 0; k < 4 && p; k++) {
			f[k] = p;
			p = strchr(p, ':');
			if (p)
				*p++ = '\0';
		}
		if (k != 4 || p || !vg_identity_valid(f[0]) ||
		    (strcmp(f[1], "rw") != 0 && strcmp(f[1], "ro") != 0) ||
		    vg_parse_u64(f[2], UINT32_MAX - 1, &uid) < 0 ||
		    vg_parse_u64(f[3], UINT32_MAX - 1, &gid) < 0)
			return vg_error_set(e, EINVAL,
					    "members line %u: expected NAME:rw|ro:UID:GID", lineno);
		if (vg_members_find(m, f[0]))
			return vg_error_set(e, EINVAL, "members line %u: '%s' listed twice", lineno,
					    f[0]);
		vg_members_put(m, f[0], strcmp(f[1], "ro") == 0, (uint32_t)uid, (uint32_t)gid);
	}
	return 0;
}

char *vg_members_format(const struct vg_members *m)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		fprintf(f, "%s:%s:%u:%u\n", m->v[i].name, m->v[i].ro ? "ro" : "rw", m->v[i].uid,
			m->v[i].gid);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int vg_members_read(int dirfd, const char *what, struct vg_members *m, struct vg_error *e)
{
	char path[64];
	_cleanup_free_ char *buf = vg_malloc0(VG_MEMBERS_MAX_SIZE);
	ssize_t n;
	int r;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
	n = getxattr(path, VG_XATTR_MEMBERS, buf, VG_MEMBERS_MAX_SIZE);
	if (n < 0) {
		if (errno == ENODATA)
			return 0;
		return vg_error_errno(e, errno, "%s: cannot read %s", what, VG_XATTR_MEMBERS);
	}
	{
		struct vg_error inner = { 0 };
		r = vg_members_parse(buf, (size_t)n, m, &inner);
		if (r < 0)
			return vg_error_set(e, r, "%s: %s: %s", what, VG_XATTR_MEMBERS, inner.msg);
	}
	return 1;
}

int vg_members_write(int dirfd, const char *what, const struct vg_members *m, struct vg_error *e)
{
	char path[64];
	_cleanup_free_ char *text = vg_members_format(m);

	if (!text)
		return vg_error_set(e, ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
	if (setxattr(path, VG_XATTR_MEMBERS, text, strlen(text), 0) < 0)
		return vg_error_errno(e, errno, "%s: cannot write %s", what, VG_XATTR_MEMBERS);
	return 0;
}

/* ---- the volume model (trusted.volguard.model) ---- */

const char *vg_volume_model_name(enum vg_volume_model m)
{
	return m == VG_MODEL_IDMAP ? "idmap" : m == VG_MODEL_SHIFT ? "shift" : "new";
}

static bool has_xattr(const char *path, const char *name)
{
	return getxattr(path, name, NULL, 0) >= 0 || errno == ERANGE;
}

int vg_volume_model_read(int dirfd, const char *what, enum vg_volume_model *ret, struct vg_error *e)
{
	char path[64], buf[32];
	_cleanup_free_ char *safe = NULL;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
	n = getxattr(path, VG_XATTR_MODEL, buf, sizeof(buf) - 1);
	if (n >= 0) {
		buf[n] = '\0';
		if ((size_t)n == strlen(VG_MODEL_IDMAP_TEXT) &&
		    memcmp(buf, VG_MODEL_IDMAP_TEXT, (size_t)n) == 0) {
			*ret = VG_MODEL_IDMAP;
			return 0;
		}
		safe = vg_escape(buf);
		return vg_error_set(e, EINVAL, "%s: %s holds '%s', not '%s'", what, VG_XATTR_MODEL,
				    safe, VG_MODEL_IDMAP_TEXT);
	}
	if (errno == ERANGE)
		return vg_error_set(e, EINVAL, "%s: %s is too long to be a model", what,
				    VG_XATTR_MODEL);
	if (errno != ENODATA)
		return vg_error_errno(e, errno, "%s: cannot read %s", what, VG_XATTR_MODEL);
	*ret = has_xattr(path, VG_XATTR_MEMBERS) || has_xattr(path, VG_XATTR_STAMP) ||
		       has_xattr(path, VG_XATTR_COPYUP)
		   ? VG_MODEL_SHIFT
		   : VG_MODEL_NEW;
	return 0;
}

int vg_volume_model_mark(int dirfd, const char *what, bool idmap, struct vg_error *e)
{
	enum vg_volume_model cur = VG_MODEL_NEW;
	struct vg_error ignored = { 0 };
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
	/* A mark that does not read as idmap is rewritten or removed all the same. */
	if (vg_volume_model_read(dirfd, what, &cur, &ignored) >= 0 &&
	    (cur == VG_MODEL_IDMAP) == idmap)
		return 0;
	if (idmap &&
	    setxattr(path, VG_XATTR_MODEL, VG_MODEL_IDMAP_TEXT, strlen(VG_MODEL_IDMAP_TEXT), 0) < 0)
		return vg_error_errno(e, errno, "%s: cannot write %s", what, VG_XATTR_MODEL);
	if (!idmap && removexattr(path, VG_XATTR_MODEL) < 0 && errno != ENODATA)
		return vg_error_errno(e, errno, "%s: cannot remove %s", what, VG_XATTR_MODEL);
	return 0;
}
