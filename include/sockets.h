/*
 * Listening unix sockets, found from the kernel's own tables (/proc/net/unix) rather than from
 * a list of well-known paths: dockerd started with -H unix:///anywhere, containerd under an
 * exec root, a host daemon's control socket. Each one is resolved once (device, inode and the
 * directories above it), so that a bind can be compared with all of them by identity.
 */
#pragma once
#include <stddef.h>

#include "resolve.h"

struct vg_listen_socket {
	char *path; /* as the kernel shows it, resolved */
	struct vg_devino id;
	struct vg_devino *anc; /* the directories above it, "/" first */
	size_t n_anc;
};

struct vg_listen_sockets {
	struct vg_listen_socket *v;
	size_t n;
};

/*
 * Fill `ret` with the listening (__SO_ACCEPTCON), path-bound unix sockets of the tables named
 * in `tables` (NULL: this process's network namespace and PID 1's when it is another one),
 * resolved from `rootfd` (an O_PATH "/"). Entries whose path no longer names a socket (deleted,
 * renamed, or bound in another mount namespace) are left out: what cannot be found by its path
 * cannot be bound by it either. A table that cannot be read is skipped; returns how many
 * tables were read, or -errno when none was.
 */
int vg_listen_sockets_find(int rootfd, const char *const *tables, struct vg_listen_sockets *ret);
void vg_listen_sockets_free(struct vg_listen_sockets *s);
/* Parse one line of /proc/net/unix: 1 and *ret_path (pointing into line) for a listening
 * socket with an absolute path, 0 for any other line. */
int vg_listen_sockets_parse_line(char *line, const char **ret_path);
