/*
 * Is a volume volguard's (see include/volume_owner.h)? Read-only: opts.json, fstat and statx of
 * the descriptors the caller holds. The rules this file keeps:
 * - MUST decide on the caller's descriptors, so that what was judged is what gets changed;
 * - MUST compare mount IDs, not st_dev: a bind mount of another directory of the same file
 *   system has the same st_dev;
 * - a volume with any driver option is not ours, even when nothing is mounted on _data right
 *   now (dockerd mounts it only while a container uses it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "gojson.h"
#include "resolve.h"
#include "volume_owner.h"
#include "walk.h"

#define OPTS_JSON_MAX (1024 * 1024)

void vg_volume_opts_free(struct vg_volume_opts *o)
{
	free(o->type);
	free(o->o);
	free(o->device);
	*o = (struct vg_volume_opts){ 0 };
}

static char *dup_nonempty(const char *s)
{
	return s && *s ? vg_strdup(s) : NULL;
}

int vg_volume_opts_read(int name_fd, const char *what, struct vg_volume_opts *ret,
			struct vg_error *e)
{
	_cleanup_free_ char *file = vg_asprintf("%s/opts.json", what);
	_cleanup_close_ int fd = -1;
	_cleanup_json_ json_t *j = NULL;
	const char *type = NULL, *o = NULL, *device = NULL;
	int r;

	*ret = (struct vg_volume_opts){ 0 };
	fd =
	    openat(name_fd, "opts.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return vg_error_errno(e, errno, "%s", file);
	ret->present = true;
	r = vg_json_load_fd(fd, OPTS_JSON_MAX, file, &j, e);
	if (r >= 0)
		r = vg_json_get_string(j, "MountType", &type, file, e);
	if (r >= 0)
		r = vg_json_get_string(j, "MountOpts", &o, file, e);
	if (r >= 0)
		r = vg_json_get_string(j, "MountDevice", &device, file, e);
	if (r < 0)
		return r;
	ret->type = dup_nonempty(type);
	ret->o = dup_nonempty(o);
	ret->device = dup_nonempty(device);
	return 0;
}

bool vg_volume_opts_none(const struct vg_volume_opts *o)
{
	return !o->type && !o->o && !o->device;
}

static bool optlist_has(const char *list, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, opt, n) == 0)
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

bool vg_volume_opts_binds(const char *type, const char *o)
{
	return (type && strcmp(type, "none") == 0) || optlist_has(o, "bind") ||
	       optlist_has(o, "rbind");
}

static int mnt_id(int fd, const char *what, uint64_t *ret, struct stat *st, struct vg_error *e)
{
	int r = vg_fd_mnt_id(fd, ret, st);

	return r < 0 ? vg_error_errno(e, -r, "%s: statx (mount ID)", what) : 0;
}

int vg_volume_is_ours(int root_fd, int name_fd, int data_fd, const char *what,
		      struct vg_volume_opts *ret_opts, struct vg_error *e)
{
	struct vg_volume_opts o;
	uint64_t m_root, m_name, m_data;
	struct stat st;
	int r;

	if (ret_opts)
		*ret_opts = (struct vg_volume_opts){ 0 };
	r = vg_volume_opts_read(name_fd, what, &o, e);
	if (r < 0)
		return r;
	if (!vg_volume_opts_none(&o)) {
		vg_error_set(e, VG_EREFUSED,
			     "volume %s is not volguard's: it has driver options (type %s, o %s, "
			     "device %s), so it is the mount they make, never changed by volguard",
			     what, o.type ? o.type : "-", o.o ? o.o : "-",
			     o.device ? o.device : "-");
		if (ret_opts)
			*ret_opts = o;
		else
			vg_volume_opts_free(&o);
		return 0;
	}
	r = mnt_id(root_fd, what, &m_root, NULL, e);
	if (r >= 0)
		r = mnt_id(name_fd, what, &m_name, &st, e);
	if (r < 0)
		return r;
	if (!S_ISDIR(st.st_mode) || m_name != m_root) {
		vg_error_set(e, VG_EREFUSED,
			     "volume %s is not volguard's: it is %s, not a directory on "
			     "the volumes root's own mount",
			     what, S_ISDIR(st.st_mode) ? "a mount point" : "not a directory");
		return 0;
	}
	if (data_fd < 0)
		return 1;
	r = mnt_id(data_fd, what, &m_data, &st, e);
	if (r < 0)
		return r;
	if (!S_ISDIR(st.st_mode) || m_data != m_root) {
		vg_error_set(e, VG_EREFUSED,
			     "volume %s is not volguard's: its _data is %s, not a plain "
			     "directory on the volumes root's own mount",
			     what, S_ISDIR(st.st_mode) ? "another mount" : "not a directory");
		return 0;
	}
	return 1;
}

/* How many components "/a/b" has (2); "/" has 0. */
static size_t depth_of(const char *p)
{
	size_t n = 0;

	for (; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			n++;
	return n;
}

int vg_volume_containing(const char *volumes_root, const char *path, char **ret_name)
{
	struct vg_resolved vr = { .fd = -1, .parent_fd = -1 }, r = { .fd = -1, .parent_fd = -1 };
	struct vg_error e = { 0 };
	const char *rest, *slash;
	size_t k, plen;
	int found = 0;

	*ret_name = NULL;
	if (!volumes_root || !path || path[0] != '/')
		return 0;
	if (vg_resolve(volumes_root, NULL, &vr, &e) < 0)
		return 0;
	if (!vr.exists || vg_resolve(path, NULL, &r, &e) < 0)
		goto out;
	plen = strlen(vr.path);
	while (plen > 1 && vr.path[plen - 1] == '/')
		plen--;
	if (strncmp(r.path, vr.path, plen) != 0 || r.path[plen] != '/')
		goto out;
	rest = r.path + plen + 1;
	slash = strchr(rest, '/');
	if (!slash || strncmp(slash, "/_data", 6) != 0 || (slash[6] && slash[6] != '/'))
		goto out;
	/* The string says volumes_root/NAME/_data: the physical chain must agree (anc[k] is the
	 * directory k components deep) and _data must exist. */
	k = depth_of(vr.path);
	if (r.n_anc < k + 2 || r.anc[k].dev != vr.dev || r.anc[k].ino != vr.ino)
		goto out;
	*ret_name = strndup(rest, (size_t)(slash - rest));
	if (*ret_name && vg_name_valid(*ret_name))
		found = 1;
	else {
		free(*ret_name);
		*ret_name = NULL;
	}
out:
	vg_resolved_free(&r);
	vg_resolved_free(&vr);
	return found;
}
