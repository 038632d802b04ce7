/* The named volumes a container mounts, shared by volguard-runc and the prestart hook. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "members.h"
#include "prepare.h"
#include "volume.h"

char *vg_volume_of_source(const char *volumes_root, const char *source)
{
	size_t n = strlen(volumes_root);
	const char *name, *end;
	char *v;

	while (n > 1 && volumes_root[n - 1] == '/')
		n--;
	if (!source || strncmp(source, volumes_root, n) != 0 || source[n] != '/')
		return NULL;
	name = source + n + 1;
	end = strchr(name, '/');
	if (!end || strcmp(end, "/_data") != 0)
		return NULL;
	v = strndup(name, (size_t)(end - name));
	if (v && !vg_name_valid(v)) {
		free(v);
		return NULL;
	}
	return v;
}

static struct vg_mounted_volume *find(const struct vg_mounted_volumes *vols, const char *name)
{
	for (size_t i = 0; i < vols->n; i++)
		if (strcmp(vols->v[i].name, name) == 0)
			return &vols->v[i];
	return NULL;
}

bool vg_mounted_volumes_has(const struct vg_mounted_volumes *vols, const char *name)
{
	return find(vols, name) != NULL;
}

void vg_mounted_volumes_find(const struct vg_config *c, const struct vg_container *ct,
			     struct vg_mounted_volumes *ret)
{
	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < ct->n_mounts; i++) {
		const struct vg_mount *m = &ct->mounts[i];
		_cleanup_free_ char *name = NULL;
		struct vg_mounted_volume *v;

		/* A spec shows a volume as a bind of its _data; Docker's files and a docker run
		 * command line name it (check judges membership from those). */
		if (m->kind == VG_MOUNT_BIND)
			name = vg_volume_of_source(c->volumes_root, m->source);
		else if (m->kind == VG_MOUNT_VOLUME && m->source && vg_name_valid(m->source) &&
			 (!m->driver || !*m->driver || strcmp(m->driver, "local") == 0))
			name = vg_strdup(m->source);
		if (!name)
			continue;
		v = find(ret, name);
		if (v) {
			v->ro = v->ro && m->readonly; /* rw anywhere makes it rw */
			continue;
		}
		ret->v = vg_reallocarray(ret->v, ret->n + 1, sizeof(*ret->v));
		ret->v[ret->n++] =
		    (struct vg_mounted_volume){ .name = TAKE_PTR(name), .ro = m->readonly };
	}
}

/* strict_membership on an undeclared volume: only its recorded members may use it (the volume
 * module's rule, checked here from the xattr alone so that nothing is allocated first). */
static int check_recorded(const struct vg_config *c, const char *volume, const char *member,
			  struct vg_error *e)
{
	_cleanup_close_ int root = open(c->volumes_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = -1;
	struct vg_members m = { 0 };
	int r;

	if (root < 0)
		return 0; /* no volumes yet: the volume module reports what is wrong */
	fd = openat(root, volume, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	r = vg_members_read(fd, volume, &m, e);
	if (r > 0 && m.n > 0 && !vg_members_find(&m, member))
		r = vg_error_set(e, VG_EREFUSED,
				 "volume '%s' belongs to '%s'; sharing it with '%s' needs a "
				 "[volume \"%s\"] declaration while strict_membership is on",
				 volume, m.v[0].name, member, volume);
	vg_members_free(&m);
	return r < 0 ? r : 0;
}

int vg_mounted_volumes_check(const struct vg_config *c, struct vg_mounted_volumes *vols,
			     const char *member, struct vg_error *e)
{
	for (size_t i = 0; i < vols->n; i++) {
		const struct vg_volume_decl *d = vg_config_find_volume(c, vols->v[i].name);
		bool is_member = false;

		if (!d && c->strict_membership) {
			int r = check_recorded(c, vols->v[i].name, member, e);
			if (r < 0)
				return r;
		}
		if (!d)
			continue;
		for (size_t k = 0; k < d->n_members; k++)
			if (strcmp(d->members[k].name, member) == 0) {
				is_member = true;
				vols->v[i].ro = vols->v[i].ro || d->members[k].ro;
			}
		if (!is_member && c->strict_membership)
			return vg_error_set(e, VG_EREFUSED,
					    "container %s is not a member of volume '%s' (declared "
					    "in %s:%u, strict_membership = yes)",
					    member, vols->v[i].name,
					    c->path ? c->path : "the config", d->line);
	}
	return 0;
}

int vg_mounted_volumes_prepare(const struct vg_config *c, const struct vg_mounted_volumes *vols,
			       const char *member, uint32_t uid, uint32_t gid, struct vg_error *e)
{
	for (size_t i = 0; i < vols->n; i++) {
		int r = vg_volume_prepare(c, vols->v[i].name, member, vols->v[i].ro, uid, gid, e);
		if (r < 0)
			return r;
	}
	return 0;
}

void vg_mounted_volumes_free(struct vg_mounted_volumes *vols)
{
	for (size_t i = 0; i < vols->n; i++)
		free(vols->v[i].name);
	free(vols->v);
	memset(vols, 0, sizeof(*vols));
}
