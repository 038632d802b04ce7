/*
 * Podman's container names (see podman.h). Podman puts no name in the OCI spec or in the hook's
 * state; containers/storage keeps it in containers.json next to the bundles, written before the
 * runtime is called. Rules this file keeps: the file is opened beside the bundle the runtime
 * named (no search), without following symlinks, trusted only when root's and not writable by
 * group or others, bounded in size; a name that is not a valid container name is an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "gojson.h"
#include "podman.h"

#define PODMAN_RECORDS_MAX (16 * 1024 * 1024)

/* "<dir>-containers/ID/userdata": the "-containers" directory, or NULL. */
static char *records_dir(const char *bundle, const char *id)
{
	size_t n = strlen(bundle), k = strlen(id);
	static const char tail[] = "/userdata";
	const char *d;

	while (n > 1 && bundle[n - 1] == '/')
		n--;
	if (n < sizeof(tail) - 1 + k + 1 ||
	    strncmp(bundle + n - (sizeof(tail) - 1), tail, sizeof(tail) - 1) != 0)
		return NULL;
	n -= sizeof(tail) - 1;
	if (strncmp(bundle + n - k, id, k) != 0 || bundle[n - k - 1] != '/')
		return NULL;
	n -= k + 1;
	for (d = bundle + n; d > bundle && d[-1] != '/'; d--)
		;
	if ((size_t)(bundle + n - d) < sizeof("-containers") - 1 ||
	    strncmp(bundle + n - (sizeof("-containers") - 1), "-containers",
		    sizeof("-containers") - 1) != 0)
		return NULL;
	return vg_asprintf("%.*s", (int)n, bundle);
}

int vg_podman_name(const char *bundle, const char *id, char **ret_name, struct vg_error *e)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;
	_cleanup_close_ int fd = -1;
	_cleanup_json_ json_t *all = NULL;
	json_t *rec;
	struct stat st;
	size_t i;
	int r;

	*ret_name = NULL;
	if (!bundle || !id || !vg_name_valid(id) || strchr(id, '/') ||
	    !(dir = records_dir(bundle, id)))
		return 0;
	path = vg_asprintf("%s/containers.json", dir);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno == ENOENT ? 0 : vg_error_errno(e, errno, "%s", path);
	if (fstat(fd, &st) < 0)
		return vg_error_errno(e, errno, "%s: fstat", path);
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return vg_error_set(e, EPERM,
				    "%s: not a regular file of root's that only root can write; "
				    "refusing to take a container name from it",
				    path);
	r = vg_json_load_fd(fd, PODMAN_RECORDS_MAX, path, &all, e);
	if (r < 0)
		return r;
	if (!json_is_array(all))
		return vg_error_set(e, EINVAL, "%s: not a JSON array", path);
	json_array_foreach(all, i, rec)
	{
		const char *rid = json_string_value(json_object_get(rec, "id"));
		json_t *names = json_object_get(rec, "names");
		const char *name = json_string_value(json_array_get(names, 0));

		if (!rid || strcmp(rid, id) != 0)
			continue;
		if (!name)
			return 0; /* an unnamed record: the ID names it */
		if (!vg_name_valid(name))
			return vg_error_set(e, EINVAL,
					    "%s: [%zu].names[0]: '%.200s' is not a valid "
					    "container name",
					    path, i, name);
		*ret_name = vg_strdup(name);
		return 1;
	}
	return 0;
}
