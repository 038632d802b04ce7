/*
 * The choice of an isolation mode per container (isolation.h), and the support probe behind
 * `auto`. Rules this file keeps:
 *  - a probe answers for a kernel release and a file system type, never for a guess from the
 *    kernel version: it makes a real idmapped clone (idmap.h) or overlay (overlay_idmap.h) and
 *    drops it, attaching nothing;
 *  - the cache is a plain file in the state directory, replaced by rename(2); an unreadable or
 *    malformed cache is probed again, never trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "container.h"
#include "idmap.h"
#include "isolation.h"
#include "isoprobe.h"
#include "overlay_idmap.h"
#include "registry.h"

#define PROBE_FILE     VG_ISOPROBE_FILE
#define PROBE_MAX_SIZE VG_ISOPROBE_MAX_SIZE
/* probe(): could not ask (check keeps no capability to make a user namespace with). */
#define NOT_PROBED 2

static char *probe_path(const struct vg_config *c)
{
	return vg_asprintf("%s/" PROBE_FILE, c->state_dir);
}

static void kernel_release(char buf[65])
{
	struct utsname u;

	if (uname(&u) == 0)
		snprintf(buf, 65, "%s", u.release);
	else
		snprintf(buf, 65, "?");
}

/* The cache's text, or NULL (missing, unreadable, too large, not root's). */
static char *probe_read(const struct vg_config *c)
{
	_cleanup_free_ char *path = probe_path(c);
	_cleanup_free_ char *buf = NULL;
	struct stat st;

	if (vg_read_file_at(AT_FDCWD, path, PROBE_MAX_SIZE, &buf, NULL, &st) < 0 ||
	    st.st_uid != 0 || (st.st_mode & 022))
		return NULL;
	return TAKE_PTR(buf);
}

/* The cache's well-formed lines (isoprobe.c, the one reader audit shares); none when the file
 * is missing, untrusted or not text. */
static void probe_lines(const struct vg_config *c, struct vg_isoprobe *ret)
{
	_cleanup_free_ char *text = probe_read(c);
	struct vg_error ignore = { 0 };

	memset(ret, 0, sizeof(*ret));
	if (text && vg_isoprobe_parse(text, strlen(text), ret, &ignore) < 0)
		memset(ret, 0, sizeof(*ret));
}

static bool probe_is(const struct vg_isoprobe_line *l, const char *kernel, uint64_t fs,
		     const char *what)
{
	return strcmp(l->kernel, kernel) == 0 && l->fs == fs && strcmp(l->what, what) == 0;
}

/* The cached answer for (kernel, fs, what), the first line that gives it: 1 found (*ok, *why
 * set), 0 not found. */
static int probe_lookup(const struct vg_config *c, const char *kernel, uint64_t fs,
			const char *what, int *ok, char **why)
{
	struct vg_isoprobe ip;
	int found = 0;

	probe_lines(c, &ip);
	for (size_t i = 0; i < ip.n && !found; i++)
		if (probe_is(&ip.v[i], kernel, fs, what)) {
			*ok = ip.v[i].ok;
			*why = vg_strdup(ip.v[i].why);
			found = 1;
		}
	vg_isoprobe_free(&ip);
	return found;
}

/* Add an answer: the old lines of this kernel plus the new one, by rename. Best effort: a
 * state directory that cannot be written only means probing again next time. */
static void probe_store(const struct vg_config *c, const char *kernel, uint64_t fs,
			const char *what, int ok, const char *why)
{
	_cleanup_free_ char *path = probe_path(c), *tmp = NULL, *line = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	struct vg_isoprobe_line mine = { .kernel = (char *)kernel,
					 .fs = fs,
					 .what = (char *)what,
					 .ok = ok,
					 .why = (char *)why };
	struct vg_isoprobe ip;
	int fd;

	(void)mkdir(c->state_dir, 0755);
	tmp = vg_asprintf("%s.%d.tmp", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return;
	}
	probe_lines(c, &ip);
	for (size_t i = 0; i < ip.n; i++) {
		_cleanup_free_ char *old = NULL;

		if (strcmp(ip.v[i].kernel, kernel) != 0 || probe_is(&ip.v[i], kernel, fs, what))
			continue;
		old = vg_isoprobe_format(&ip.v[i]);
		fprintf(f, "%s\n", old);
	}
	vg_isoprobe_free(&ip);
	line = vg_isoprobe_format(&mine);
	fprintf(f, "%s\n", line);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0 || rename(tmp, path) < 0)
		unlink(tmp);
}

/* Probe (or look up) one kind of support on dir_fd's file system: 1 works, 0 does not (why). */
static int probe(const struct vg_config *c, int dir_fd, const char *what, char **why,
		 struct vg_error *e)
{
	char kernel[65];
	struct statfs sf;
	struct vg_error pe = { 0 };
	int ok, r;

	if (fstatfs(dir_fd, &sf) < 0)
		return vg_error_errno(e, errno, "statfs");
	kernel_release(kernel);
	if (probe_lookup(c, kernel, (uint64_t)sf.f_type, what, &ok, why))
		return ok;
	r = strcmp(what, "overlay") == 0 ? vg_overlay_idmap_supported(dir_fd, &pe)
					 : vg_idmap_supported(dir_fd, &pe);
	/* `check` keeps no capability to make a user namespace with: it uses what the runtime
	 * found, or judges as shift (the stricter) until the runtime has probed. */
	if (r == -EPERM) {
		*why = vg_strdup("not probed yet (volguard-runc probes at the first create)");
		return NOT_PROBED;
	}
	if (r < 0)
		return vg_error_set(e, -r, "probing idmapped mounts: %s", pe.msg);
	{
		const char *fsn = vg_fs_type_name((uint64_t)sf.f_type);
		_cleanup_free_ char *fsd =
		    fsn ? vg_strdup(fsn)
			: vg_asprintf("file system 0x%lx", (unsigned long)sf.f_type);
		*why = r == 1 ? vg_asprintf("%s work on %s (kernel %s)",
					    strcmp(what, "overlay") == 0
						? "overlays on idmapped layers"
						: "idmapped mounts",
					    fsd, kernel)
			      : vg_asprintf("%s cannot be %s on kernel %s: %s", fsd,
					    strcmp(what, "overlay") == 0
						? "the layers of an overlay with idmaps"
						: "idmapped",
					    kernel, pe.msg);
	}
	probe_store(c, kernel, (uint64_t)sf.f_type, what, r, *why);
	return r;
}

static const char *host_namespace(const struct vg_container *ct)
{
	if (ct->host_net)
		return "network namespace (--network host)";
	if (ct->host_pid)
		return "PID namespace (--pid host)";
	if (ct->host_ipc)
		return "IPC namespace (--ipc host)";
	if (ct->host_userns)
		return "user namespace (--userns host)";
	return NULL;
}

/*
 * Is the overlay on rootfs_fd one of Docker's overlay2 layers (<docker_root>/overlay2/ID/merged,
 * compared by device and inode)? The userns mode rebuilds only those from idmapped layers; any
 * other overlay (containerd's overlayfs snapshotter mounts one on the bundle's rootfs) is left
 * to the shift mode, before anything is allocated.
 */
static bool docker_overlay2(const struct vg_config *c, int rootfs_fd)
{
	_cleanup_free_ char *path = vg_asprintf("%s/overlay2", c->docker_root);
	_cleanup_close_ int layer = openat(rootfs_fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct stat want, got;

	return layer >= 0 && stat(path, &want) == 0 &&
	       fstatat(layer, "..", &got, AT_SYMLINK_NOFOLLOW) == 0 && want.st_dev == got.st_dev &&
	       want.st_ino == got.st_ino;
}

#define NOT_OVERLAY2                                                                               \
	"the root file system is an overlay that is not one of Docker's overlay2 layers (such as " \
	"containerd's overlayfs snapshotter); the userns mode needs a plain directory (ctr "       \
	"--snapshotter native) or Docker's overlay2"

int vg_isolation_choose(const struct vg_config *c, const struct vg_container *ct, int rootfs_fd,
			enum vg_isolation *mode, char **why, struct vg_error *e)
{
	const char *hostns = host_namespace(ct);
	_cleanup_free_ char *probed = NULL;
	_cleanup_close_ int root_fd = -1;
	const char *what = "idmap";
	struct statfs sf;
	int fd = rootfs_fd, r;

	*why = NULL;
	if (c->isolation == VG_ISOLATION_SHIFT) {
		*mode = VG_ISOLATION_SHIFT;
		*why = vg_strdup("isolation = shift in the config");
		return 0;
	}
	if (hostns) {
		*mode = VG_ISOLATION_SHIFT;
		*why = vg_asprintf("it needs the host's %s", hostns);
		return 0;
	}
	if (fd < 0) {
		root_fd = open(c->docker_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		/* check on a machine without Docker (a CI runner judging a compose file): nothing
		 * to probe, judged as an unprobed check is, auto as the stricter shift. */
		if (root_fd < 0 && errno == ENOENT && rootfs_fd < 0) {
			*mode = c->isolation == VG_ISOLATION_USERNS ? VG_ISOLATION_USERNS
								    : VG_ISOLATION_SHIFT;
			*why = vg_asprintf("%s: not probed (%s does not exist here)",
					   vg_isolation_name(c->isolation), c->docker_root);
			return 0;
		}
		if (root_fd < 0)
			return vg_error_errno(e, errno, "%s", c->docker_root);
		fd = root_fd;
	}
	if (fstatfs(fd, &sf) < 0)
		return vg_error_errno(e, errno, "statfs of the root file system");
	if ((unsigned long)sf.f_type == OVERLAYFS_SUPER_MAGIC) {
		if (rootfs_fd >= 0 && !docker_overlay2(c, rootfs_fd)) {
			if (c->isolation == VG_ISOLATION_USERNS)
				return vg_error_set(e, VG_EREFUSED,
						    "isolation = userns, but " NOT_OVERLAY2
						    "; set isolation = auto or shift");
			*mode = VG_ISOLATION_SHIFT;
			*why = vg_strdup("auto: " NOT_OVERLAY2);
			return 0;
		}
		/* The layers live on docker_root's file system: that is where the probe builds. */
		what = "overlay";
		if (root_fd < 0) {
			root_fd = open(c->docker_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (root_fd < 0)
				return vg_error_errno(e, errno, "%s", c->docker_root);
		}
		fd = root_fd;
	}
	r = probe(c, fd, what, &probed, e);
	if (r < 0)
		return r;
	/* Not probed (check): judged as the config says, auto as the stricter shift. */
	if (r == NOT_PROBED) {
		*mode =
		    c->isolation == VG_ISOLATION_USERNS ? VG_ISOLATION_USERNS : VG_ISOLATION_SHIFT;
		*why = vg_asprintf("%s: %s", vg_isolation_name(c->isolation), probed);
		return 0;
	}
	if (r == 1) {
		*mode = VG_ISOLATION_USERNS;
		*why = c->isolation == VG_ISOLATION_USERNS
			   ? vg_strdup("isolation = userns in the config")
			   : vg_asprintf("auto: %s", probed);
		return 0;
	}
	if (c->isolation == VG_ISOLATION_USERNS)
		return vg_error_set(e, VG_EREFUSED,
				    "isolation = userns, but %s; set isolation = auto or shift",
				    probed);
	*mode = VG_ISOLATION_SHIFT;
	*why = vg_asprintf("auto: %s", probed);
	return 0;
}
