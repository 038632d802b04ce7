/* What Docker's own files say about volumes: the containers that mount one (for hosts that
 * adopt volguard), and whether dockerd keeps its volumes elsewhere (userns-remap). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "volume.h"

#define CONFIG_V2_MAX (16 * 1024 * 1024)

static bool is_uid_gid_dir(const char *s)
{
	const char *dot = strchr(s, '.');

	if (!dot || dot == s || !dot[1])
		return false;
	for (const char *p = s; *p; p++)
		if (p != dot && !isdigit((unsigned char)*p))
			return false;
	return true;
}

int vg_volume_check_userns_remap(const char *docker_root, const char *daemon_json,
				 struct vg_error *e)
{
	_cleanup_closedir_ DIR *d = opendir(docker_root);
	struct dirent *de;

	if (daemon_json) {
		json_error_t je;
		_cleanup_json_ json_t *j = json_load_file(daemon_json, 0, &je);
		const char *remap =
		    j ? json_string_value(json_object_get(j, "userns-remap")) : NULL;
		if (remap && *remap)
			return vg_error_set(e, EINVAL,
					    "%s sets \"userns-remap\": \"%s\": dockerd keeps its "
					    "volumes in %s/UID.GID/volumes; set volumes_root in "
					    "[paths] to that directory",
					    daemon_json, remap, docker_root);
	}
	while (d && (de = readdir(d)))
		if (is_uid_gid_dir(de->d_name))
			return vg_error_set(
			    e, EINVAL,
			    "%s/%s exists: dockerd runs (or ran) with userns-remap and "
			    "keeps volumes in %s/%s/volumes; set volumes_root in [paths] "
			    "to the directory it uses",
			    docker_root, de->d_name, docker_root, de->d_name);
	return 0;
}

/* Containers whose Docker config mounts `volume` (MountPoints[*].Type == "volume"). */
static int cmp_member(const void *a, const void *b)
{
	return strcmp(((const struct vg_member *)a)->name, ((const struct vg_member *)b)->name);
}

int vg_volume_discover_members(const struct vg_config *c, const char *volume, struct vg_members *m,
			       struct vg_error *e)
{
	_cleanup_free_ char *dir = vg_asprintf("%s/containers", c->docker_root);
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return errno == ENOENT ? 0 : vg_error_errno(e, errno, "%s", dir);
	while ((de = readdir(d))) {
		_cleanup_close_ int cfd = -1, fd = -1;
		_cleanup_json_ json_t *j = NULL;
		json_t *mp, *val;
		const char *key, *name;
		json_error_t je;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		cfd = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0)
			continue;
		fd = openat(cfd, "config.v2.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_size > CONFIG_V2_MAX)
			continue;
		j = json_loadfd(fd, 0, &je);
		name = json_string_value(json_object_get(j, "Name"));
		mp = json_object_get(j, "MountPoints");
		if (!name || !json_is_object(mp))
			continue;
		if (name[0] == '/')
			name++;
		if (!vg_name_valid(name))
			continue;
		json_object_foreach(mp, key, val)
		{
			const char *type = json_string_value(json_object_get(val, "Type"));
			const char *vname = json_string_value(json_object_get(val, "Name"));
			struct vg_member *x;
			bool ro = !json_is_true(json_object_get(val, "RW"));

			if (!type || strcmp(type, "volume") != 0 || !vname ||
			    strcmp(vname, volume) != 0)
				continue;
			x = vg_members_find(m, name);
			if (x)
				x->ro = x->ro && ro;
			else
				vg_members_put(m, name, ro, UINT32_MAX, UINT32_MAX);
		}
	}
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(m->v[0]), cmp_member); /* readdir order is no order */
	return 0;
}
