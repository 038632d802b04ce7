/* The error object every module fills, the exit codes, and how a module says why. */
#pragma once

#define VG_EXIT_OK	0
#define VG_EXIT_REFUSED 1 /* refused, or findings at or above --fail-on */
#define VG_EXIT_ERROR	2 /* usage, config or runtime error */

/*
 * Modules return a negative errno (or a result >= 0) and describe the failure in a vg_error;
 * only commands print. `code` is the positive errno. A module that refuses (policy said no)
 * uses VG_EREFUSED and says why in msg.
 */
/* Not an errno: the code of a policy refusal (exit 1). */
#define VG_EREFUSED 1000

struct vg_error {
	int code;
	char msg[1024];
};

/* Sets *e (if non-NULL) and returns -err. err may be given positive or negative. */
int vg_error_set(struct vg_error *e, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like vg_error_set, appending ": strerror(err)". */
int vg_error_errno(struct vg_error *e, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Put `prefix` before e->msg (truncating at the end), e.g. the file a field error is in. */
void vg_error_prefix(struct vg_error *e, const char *prefix);
