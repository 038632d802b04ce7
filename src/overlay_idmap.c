/* Placeholder until branch overlay lands: the overlay2 path is not supported yet, so auto picks
 * shift for overlay2 containers and userns refuses them. */
#include <errno.h>

#include "overlay_idmap.h"

int vg_overlay_idmapped(int overlay2_fd, int layer_fd, int userns_fd, uint64_t start,
			struct vg_error *e)
{
	return vg_error_set(e, EOPNOTSUPP, "overlays on idmapped layers are not built yet");
}

int vg_overlay_swap_merged(int layer_fd, int tree_fd, struct vg_error *e)
{
	return vg_error_set(e, EOPNOTSUPP, "overlays on idmapped layers are not built yet");
}

int vg_overlay_idmap_supported(int dir_fd, struct vg_error *e)
{
	vg_error_set(e, EOPNOTSUPP, "volguard does not build overlays on idmapped layers yet");
	return 0;
}
