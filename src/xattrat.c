/* *xattrat with the /proc/self/fd fallback (see xattrat.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "xattrat.h"

#ifndef SYS_setxattrat
#define SYS_setxattrat 463
#endif
#ifndef SYS_getxattrat
#define SYS_getxattrat 464
#endif
#ifndef SYS_removexattrat
#define SYS_removexattrat 466
#endif

struct xattr_args {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

static bool use_fallback;

void vg_xattr_force_fallback(bool on)
{
	__atomic_store_n(&use_fallback, on, __ATOMIC_RELAXED);
}

static unsigned at_flags(const char *name)
{
	return AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH);
}

/* /proc/self/fd/N (the fd itself) or /proc/self/fd/N/NAME (only NAME is looked up). */
static int proc_path(char *buf, size_t size, int dirfd, const char *name)
{
	int n = name[0] ? snprintf(buf, size, "/proc/self/fd/%d/%s", dirfd, name)
			: snprintf(buf, size, "/proc/self/fd/%d", dirfd);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The syscall's result, or 1 to say "use the fallback". */
static long try_syscall(long nr, int dirfd, const char *name, const char *xname,
			struct xattr_args *a)
{
	long r;

	/* The *xattrat calls refuse O_PATH fds with AT_EMPTY_PATH (EBADF, Linux 6.18): the fd
	 * itself goes through /proc/self/fd/N, as bubblewrap and systemd do. */
	if (__atomic_load_n(&use_fallback, __ATOMIC_RELAXED) || !name[0])
		return 1;
	r = nr == SYS_removexattrat
		? syscall(nr, dirfd, name, at_flags(name), xname)
		: syscall(nr, dirfd, name, at_flags(name), xname, a, sizeof(*a));
	if (r >= 0)
		return r;
	if (errno != ENOSYS)
		return -errno;
	__atomic_store_n(&use_fallback, true, __ATOMIC_RELAXED); /* an older kernel: stays so */
	return 1;
}

ssize_t vg_getxattrat(int dirfd, const char *name, const char *xname, void *buf, size_t size)
{
	struct xattr_args a = { .value = (uintptr_t)buf, .size = (uint32_t)size };
	char path[PATH_MAX];
	long r = try_syscall(SYS_getxattrat, dirfd, name, xname, &a);
	ssize_t n;

	if (r != 1)
		return r;
	if (proc_path(path, sizeof(path), dirfd, name) < 0)
		return -ENAMETOOLONG;
	/* With a NAME, l*: the entry itself; /proc/self/fd/N alone is the magic link we mean. */
	n = name[0] ? lgetxattr(path, xname, buf, size) : getxattr(path, xname, buf, size);
	return n < 0 ? -errno : n;
}

int vg_setxattrat(int dirfd, const char *name, const char *xname, const void *val, size_t size)
{
	struct xattr_args a = { .value = (uintptr_t)val, .size = (uint32_t)size };
	char path[PATH_MAX];
	long r = try_syscall(SYS_setxattrat, dirfd, name, xname, &a);

	if (r != 1)
		return (int)r;
	if (proc_path(path, sizeof(path), dirfd, name) < 0)
		return -ENAMETOOLONG;
	r = name[0] ? lsetxattr(path, xname, val, size, 0) : setxattr(path, xname, val, size, 0);
	return r < 0 ? -errno : 0;
}

int vg_removexattrat(int dirfd, const char *name, const char *xname)
{
	char path[PATH_MAX];
	long r = try_syscall(SYS_removexattrat, dirfd, name, xname, NULL);

	if (r != 1)
		return (int)r;
	if (proc_path(path, sizeof(path), dirfd, name) < 0)
		return -ENAMETOOLONG;
	r = name[0] ? lremovexattr(path, xname) : removexattr(path, xname);
	return r < 0 ? -errno : 0;
}
