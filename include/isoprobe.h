/*
 * The cache of the auto isolation mode's probes (isolation.h): <state_dir>/isolation-probe,
 * text, one probe a line, written by the runtime and read by it and by audit:
 *
 *   kernel=<uname -r> fs=<statfs f_type, hex> what=<idmap|overlay> ok=<0|1> why=<%XX-encoded>
 *
 * A line holds for the kernel release and the file system type it names: a new kernel probes
 * again. Keys may come in any order; unknown keys are ignored (a later volguard may add some),
 * a key given twice, a missing key or a bad value makes the line malformed.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vg.h"

#define VG_ISOPROBE_FILE     "isolation-probe"
#define VG_ISOPROBE_MAX_SIZE (64u * 1024)

struct vg_isoprobe_line {
	char *kernel; /* uname -r when it was probed */
	uint64_t fs;  /* statfs f_type of the file system probed */
	char *what; /* "idmap" (an idmapped bind of a directory), "overlay" (on idmapped layers) */
	bool ok;    /* it worked */
	char *why;  /* decoded; "" when absent */
	unsigned line; /* 1-based line in the file */
};

struct vg_isoprobe {
	struct vg_isoprobe_line *v;
	size_t n;
	size_t n_bad;	   /* malformed lines (skipped) */
	unsigned bad_line; /* the first of them, 0 when none */
	char *bad_why;	   /* what is wrong with it, or NULL */
};

/* Parse the text of the cache: every well-formed line in ret->v, the malformed ones counted.
 * Returns 0; -EINVAL only for text with a NUL byte (not a text file), which fills e. */
int vg_isoprobe_parse(const char *buf, size_t len, struct vg_isoprobe *ret, struct vg_error *e);
void vg_isoprobe_free(struct vg_isoprobe *p);
/* The line for one probe, without the newline (caller frees). */
char *vg_isoprobe_format(const struct vg_isoprobe_line *l);

/* The usual name of a statfs f_type ("ext4", "xfs", "overlay", ...), or NULL. */
const char *vg_fs_type_name(uint64_t f_type);
