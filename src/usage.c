/* Lookups of what uses a name, for release and gc. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "members.h"
#include "usage.h"

#define CONFIG_V2_MAX (16 * 1024 * 1024)

int vg_usage_container_names(const struct vg_config *c, char ***ret, struct vg_error *e)
{
	_cleanup_free_ char *dir = vg_asprintf("%s/containers", c->docker_root);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return vg_error_errno(e, errno, "%s: cannot read", dir);
	}
	while ((de = readdir(d))) {
		_cleanup_close_ int fd = -1;
		_cleanup_json_ json_t *j = NULL;
		json_error_t je;
		const char *name;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		{
			_cleanup_close_ int cfd = openat(
			    dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd < 0)
				continue;
			fd = openat(cfd, "config.v2.json",
				    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		}
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
		    st.st_size > CONFIG_V2_MAX)
			continue;
		j = json_loadfd(fd, 0, &je);
		if (!j || !json_is_object(j))
			continue;
		name = json_string_value(json_object_get(j, "Name"));
		if (!name)
			continue;
		if (name[0] == '/')
			name++;
		if (vg_name_valid(name) && !vg_strv_contains(*ret, name))
			vg_strv_push(ret, name);
	}
	return 0;
}

int vg_usage_volumes_of(const struct vg_config *c, const char *name, char ***ret,
			struct vg_error *e)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	d = opendir(c->volumes_root);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return vg_error_errno(e, errno, "%s: cannot read", c->volumes_root);
	}
	while ((de = readdir(d))) {
		_cleanup_close_ int fd = -1;
		struct vg_members m = { 0 };
		_cleanup_free_ char *what = NULL;

		if (de->d_name[0] == '.' || !vg_name_valid(de->d_name))
			continue;
		fd = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		what = vg_asprintf("%s/%s", c->volumes_root, de->d_name);
		if (vg_members_read(fd, what, &m, e) < 0) {
			vg_members_free(&m);
			return -e->code;
		}
		for (size_t i = 0; i < m.n; i++) {
			if (name && strcmp(m.v[i].name, name) == 0) {
				vg_strv_push(ret, de->d_name);
				break;
			}
			if (!name) {
				_cleanup_free_ char *pair =
				    vg_asprintf("%s:%s", de->d_name, m.v[i].name);
				vg_strv_push(ret, pair);
			}
		}
		vg_members_free(&m);
	}
	return 0;
}
