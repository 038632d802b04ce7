/*
 * The overlay2 root file system of a userns container: an overlay built from idmapped clones of
 * Docker's layers (shared/research/userns-idmap.md, Q2 b). Being written on branch overlay; this
 * header holds the contract the lead builds against.
 */
#pragma once
#include <stdint.h>

#include "vg.h"

/* A detached overlay mount of Docker's overlay2 layer directory layer_fd (<overlay2>/ID), its
 * lowers (ID/lower: "l/X:l/Y" below overlay2_fd) and upper+work as idmapped clones through
 * userns_fd, created with fsuid/fsgid = start. The fsmount fd, or -errno (-ENOENT: the layer has
 * no lowers; Docker then uses ID/diff itself, an idmapped bind is enough). */
int vg_overlay_idmapped(int overlay2_fd, int layer_fd, int userns_fd, uint64_t start,
			struct vg_error *e);
/* Replace Docker's overlay mounted at layer_fd's "merged" (host namespace) by a clone of tree_fd.
 */
int vg_overlay_swap_merged(int layer_fd, int tree_fd, struct vg_error *e);
/* Can an overlay be built on idmapped layers on dir_fd's file system? 1, 0 (why in e), -errno. */
int vg_overlay_idmap_supported(int dir_fd, struct vg_error *e);
