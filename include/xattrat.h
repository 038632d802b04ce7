/*
 * Extended attributes relative to a directory fd or on an fd itself (O_PATH included):
 * getxattrat/setxattrat/removexattrat (Linux 6.13+, syscalls 464/463/466), with a fallback
 * through /proc/self/fd/DIRFD/NAME and the l*xattr calls on older kernels (ENOSYS). `name` ""
 * means the fd itself, O_PATH included: always /proc/self/fd/N, since the kernel refuses O_PATH
 * fds with AT_EMPTY_PATH there. The final component is never followed.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Return the length (get) or 0 (set, remove), or -errno. */
ssize_t vg_getxattrat(int dirfd, const char *name, const char *xname, void *buf, size_t size);
int vg_setxattrat(int dirfd, const char *name, const char *xname, const void *val, size_t size);
int vg_removexattrat(int dirfd, const char *name, const char *xname);
/* Tests: force the fallback (crun-style), to test it on kernels that have the syscalls. */
void vg_xattr_force_fallback(bool on);
