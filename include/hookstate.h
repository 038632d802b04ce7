/* The state an OCI runtime passes a hook on stdin: id, pid, bundle (annotations are checked for
 * shape only). */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "vg.h"

#define VG_HOOK_STATE_MAX_SIZE (1024 * 1024)

struct vg_hook_state {
	char *id;
	pid_t pid;
	char *bundle; /* absolute */
};

/* Field errors name the field ("state: field 'pid': ..."); st is freed by the caller either way. */
int vg_hook_state_parse(const char *buf, size_t len, struct vg_hook_state *st, struct vg_error *e);
void vg_hook_state_free(struct vg_hook_state *st);
