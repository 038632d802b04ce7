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
#include "docker.h"
#include "docker_volumes.h"

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
		_cleanup_json_ json_t *j = NULL;
		const char *remap = NULL;
		/* One that cannot be read says nothing here (audit reports it: VG-HOST-006). */
		if (vg_docker_daemon_read(daemon_json, &j, NULL, NULL) >= 0)
			remap = json_string_value(vg_docker_daemon_get(j, "userns-remap"));
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

struct discover {
	const char *volume;
	struct vg_members *m;
};

static int discover_one(const struct vg_docker_entry *ent, void *data)
{
	const struct discover *w = data;
	_cleanup_json_ json_t *j = NULL;
	struct vg_container ct = { 0 };

	/* A container whose file cannot be read is no member (Docker cannot start it either). */
	if (ent->dir_fd < 0 ||
	    vg_docker_read_json(ent->dir_fd, "config.v2.json", ent->path, &j, NULL, NULL) < 0 ||
	    vg_docker_parse_config(j, &ct, NULL) < 0 || !ct.name || !vg_name_valid(ct.name)) {
		vg_container_free(&ct);
		return 0;
	}
	for (size_t i = 0; i < ct.n_mounts; i++) {
		const struct vg_mount *mt = &ct.mounts[i];
		struct vg_member *x;

		if (mt->kind != VG_MOUNT_VOLUME || !mt->source ||
		    strcmp(mt->source, w->volume) != 0)
			continue;
		x = vg_members_find(w->m, ct.name);
		if (x)
			x->ro = x->ro && mt->readonly;
		else
			vg_members_put(w->m, ct.name, mt->readonly, UINT32_MAX, UINT32_MAX);
	}
	vg_container_free(&ct);
	return 0;
}

int vg_volume_discover_members(const struct vg_config *c, const char *volume, struct vg_members *m,
			       struct vg_error *e)
{
	struct discover w = { .volume = volume, .m = m };
	int r = vg_docker_foreach_container(c->docker_root, discover_one, &w, e);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (m->n > 1)
		qsort(m->v, m->n, sizeof(m->v[0]), cmp_member); /* readdir order is no order */
	return 0;
}
