/* Privileges: volguard is never setuid; each command keeps only the capabilities it names. */
#pragma once
#include <stdbool.h>
#include <sys/capability.h>

#include "vg.h"

#define VG_MAX_CAPS 8

struct vg_privs {
	bool needs_root;	       /* effective UID 0: files it creates must be root's */
	cap_value_t caps[VG_MAX_CAPS]; /* needed in the effective set */
	unsigned n_caps;
};

/* Refuse AT_SECURE (setuid/setgid/file capabilities raised our privileges). */
int vg_privs_check_secure(struct vg_error *e);
/*
 * Check that the needed capabilities are present (else an error naming the first missing
 * one), then keep only them: permitted = effective = needed, inheritable and ambient cleared,
 * PR_SET_NO_NEW_PRIVS set.
 */
int vg_privs_acquire(const struct vg_privs *p, const char *command, struct vg_error *e);
