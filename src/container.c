/* The container model shared by the three input adapters and the policy engine. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"

static void mount_free(struct vg_mount *m)
{
	free(m->source);
	free(m->destination);
	free(m->fstype);
	vg_strv_free(m->options);
	free(m->propagation);
	free(m->origin);
	free(m->driver);
	free(m->volume_type);
	free(m->volume_o);
	free(m->volume_device);
}

void vg_container_free(struct vg_container *ct)
{
	for (size_t i = 0; i < ct->n_mounts; i++)
		mount_free(&ct->mounts[i]);
	free(ct->mounts);
	free(ct->id);
	free(ct->name);
	free(ct->image);
	free(ct->net_container);
	vg_strv_free(ct->cap_add);
	vg_strv_free(ct->devices);
	vg_strv_free(ct->device_nodes);
	vg_strv_free(ct->device_rules);
	vg_strv_free(ct->volumes_from);
	free(ct->user);
	free(ct->additional_gids);
	free(ct->runtime);
	vg_strv_free(ct->labels);
	free(ct->bundle);
	memset(ct, 0, sizeof(*ct));
}

bool vg_device_node_parse(const char *node, char *type, long long *major, long long *minor,
			  int *path_off)
{
	const char *p = node + 2;
	char *end;

	if ((node[0] != 'b' && node[0] != 'c') || node[1] != ' ')
		return false;
	*type = node[0];
	errno = 0;
	*major = strtoll(p, &end, 10);
	if (errno || end == p || *end != ':' || *major < 0)
		return false;
	p = end + 1;
	*minor = strtoll(p, &end, 10);
	if (errno || end == p || *end != ' ' || *minor < 0)
		return false;
	*path_off = (int)(end + 1 - node);
	return true;
}

void vg_container_remove_mount(struct vg_container *ct, size_t i)
{
	if (i >= ct->n_mounts)
		return;
	mount_free(&ct->mounts[i]);
	memmove(&ct->mounts[i], &ct->mounts[i + 1], (ct->n_mounts - i - 1) * sizeof(*ct->mounts));
	ct->n_mounts--;
}

struct vg_mount *vg_container_add_mount(struct vg_container *ct)
{
	ct->mounts = vg_reallocarray(ct->mounts, ct->n_mounts + 1, sizeof(*ct->mounts));
	memset(&ct->mounts[ct->n_mounts], 0, sizeof(ct->mounts[0]));
	return &ct->mounts[ct->n_mounts++];
}

const char *vg_container_label(const struct vg_container *ct, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; ct->labels && ct->labels[i]; i++)
		if (strncmp(ct->labels[i], key, n) == 0 && ct->labels[i][n] == '=')
			return ct->labels[i] + n + 1;
	return NULL;
}
