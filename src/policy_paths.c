/*
 * The policy for what a mount reaches on the host: a bind's host path (by device and inode),
 * a Docker volume and the mount its driver options make, --volumes-from. One home for the
 * recursion: a volume whose options bind a device is judged as that host path.
 *
 * MUST: compare host paths by device and inode, never by string (strings only for sensitive
 * paths that do not exist yet); refuse what cannot be resolved; never let an exception (a
 * container's own volume, Docker's per-container files) excuse more than "lies below Docker's
 * directory"; judge a runtime socket as denied whatever its mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "policy_internal.h"
#include "resolve.h"
#include "volume_owner.h"

static void judge_volume_opts(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
			      const char *subject, const char *volume);

static char *mount_subject(const struct vg_mount *m, const char *inherited_from)
{
	const char *dst = m->destination ? m->destination : "?";
	_cleanup_free_ char *s = NULL;

	switch (m->kind) {
	case VG_MOUNT_BIND:
		s = vg_asprintf("%s:%s", m->source ? m->source : "?", dst);
		break;
	case VG_MOUNT_VOLUME:
		s = m->source ? vg_asprintf("volume %s:%s", m->source, dst)
			      : vg_asprintf("anonymous volume:%s", dst);
		break;
	case VG_MOUNT_TMPFS:
		s = vg_asprintf("tmpfs:%s", dst);
		break;
	case VG_MOUNT_OTHER:
		s = vg_asprintf("%s:%s", m->fstype ? m->fstype : "mount", dst);
		break;
	}
	if (inherited_from)
		return vg_asprintf("%s (from %s)", s, inherited_from);
	return TAKE_PTR(s);
}

/* The volume's options through its directory, by the one opts.json reader (volume_owner.c).
 * 1: read (ret filled), 0: no such volume directory, < 0: unreadable (e set). */
static int read_opts(struct vg_policy_ctx *x, const char *volume, struct vg_volume_opts *ret,
		     struct vg_error *e)
{
	_cleanup_close_ int root = -1, vol = -1;
	_cleanup_free_ char *what = vg_asprintf("%s/%s", x->volumes_root, volume);

	*ret = (struct vg_volume_opts){ 0 };
	root = open(x->volumes_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root >= 0)
		vol = openat(root, volume, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (vol < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	if (vol < 0)
		return vg_error_errno(e, errno, "%s", what);
	return vg_volume_opts_read(vol, what, ret, e) < 0 ? -1 : 1;
}

static bool volume_has_opts(struct vg_policy_ctx *x, const char *volume)
{
	struct vg_volume_opts o;
	struct vg_error e = { 0 };
	int r;

	if (!x->volumes_root)
		return false;
	r = read_opts(x, volume, &o, &e);
	if (r < 0)
		return true; /* unreadable options: let the judge say so */
	r = r > 0 && !vg_volume_opts_none(&o);
	vg_volume_opts_free(&o);
	return r;
}

/* File systems whose every mount is the host's own kernel state (a cgroup hierarchy, the IPC
 * namespace's queues, /proc, /sys): a volume of one is judged like a bind of a sensitive path. */
static bool host_kernel_fs(const char *type)
{
	static const char *const kernel[] = { "cgroup",	     "cgroup2",	 "mqueue",  "proc",
					      "sysfs",	     "debugfs",	 "tracefs", "securityfs",
					      "bpf",	     "configfs", "pstore",  "efivarfs",
					      "binfmt_misc", "fusectl",	 "devpts" };

	for (size_t i = 0; type && i < VG_ARRAY_SIZE(kernel); i++)
		if (strcmp(type, kernel[i]) == 0)
			return true;
	return false;
}

static bool is_runtime_socket_name(const char *path)
{
	static const char *const names[] = { "docker.sock", "containerd.sock", "podman.sock",
					     "crio.sock" };
	const char *b;
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	b = path + n;
	while (b > path && b[-1] != '/')
		b--;
	for (size_t i = 0; i < VG_ARRAY_SIZE(names); i++)
		if ((size_t)(path + n - b) == strlen(names[i]) &&
		    strncmp(b, names[i], strlen(names[i])) == 0)
			return true;
	return false;
}

/*
 * Docker's own files a container may get: a volume's _data (*ret_volume names the volume) and
 * the container's own per-container files. Judged from the resolved chain, without I/O but for
 * the container's directory.
 */
static bool docker_exception(struct vg_policy_ctx *x, const struct vg_resolved *r,
			     char **ret_volume)
{
	const char *base = strrchr(r->path, '/');
	struct stat st;

	if (!r->exists || !base || r->foreign_root)
		return false;
	base++;
	/* <volumes_root>/NAME/_data: the grandparent is the volumes root. */
	if (x->volumes.ok && S_ISDIR(r->mode) && strcmp(base, "_data") == 0 && r->n_anc >= 2 &&
	    r->anc[r->n_anc - 2].dev == x->volumes.di.dev &&
	    r->anc[r->n_anc - 2].ino == x->volumes.di.ino) {
		const char *end = base - 1, *b = end;
		while (b > r->path && b[-1] != '/')
			b--;
		_cleanup_free_ char *name = strndup(b, (size_t)(end - b));
		if (name && vg_name_valid(name)) {
			*ret_volume = TAKE_PTR(name);
			return true;
		}
	}
	if (x->containers.ok && S_ISREG(r->mode) &&
	    (strcmp(base, "hosts") == 0 || strcmp(base, "hostname") == 0 ||
	     strcmp(base, "resolv.conf") == 0 || strcmp(base, "shm") == 0)) {
		/* Its own, or (--network container:X) X's, which Docker binds instead. */
		const char *ids[] = { x->ct->id, x->ct->net_container };
		const char *rel = strcmp(base, "shm") == 0 ? "mounts/shm" : base;

		for (size_t i = 0; i < VG_ARRAY_SIZE(ids); i++) {
			if (!ids[i] || !vg_name_valid(ids[i]))
				continue;
			_cleanup_free_ char *d =
			    vg_asprintf("%s/containers/%s", x->c->docker_root, ids[i]);
			_cleanup_close_ int dfd =
			    open(d, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (dfd >= 0 && fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    st.st_dev == r->dev && st.st_ino == r->ino)
				return true;
		}
	}
	return false;
}

/*
 * A bind of a socket that a host process listens on, or of a directory above one, is refused
 * whatever its mode: read-only does not limit a socket. A listening socket inside a Docker
 * volume's _data is that volume's business (php-fpm's socket shared with nginx): its members
 * decide, so it does not refuse a bind of the volume (in_volume), unless it has a runtime
 * socket's name.
 */
static bool judge_sockets(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
			  const char *subject, const struct vg_resolved *r, const char *from,
			  bool in_volume)
{
	const char *mode = m->readonly ? "ro" : "rw";
	const char *what = m->readonly ? "read-only bind" : "writable bind";

	for (size_t i = 0; r->exists && i < x->n_socks; i++) {
		const struct vg_socket *s = &x->socks[i];
		const char *sp = x->sock_paths[i];
		bool equal = r->dev == s->sock.dev && r->ino == s->sock.ino;

		if (!equal && !vg_policy_di_in(s->anc, s->n_anc, r->dev, r->ino))
			continue;
		if (s->listening && in_volume && !is_runtime_socket_name(sp))
			continue;
		if (s->listening && equal)
			vg_policy_add(x->rep, VG_DENY, "listening-socket", idx, subject, mode,
				      r->path,
				      "bind of %s%s is a unix socket a host process listens on: "
				      "read-only does not limit a socket",
				      r->path, from);
		else if (s->listening)
			vg_policy_add(x->rep, VG_DENY, "listening-socket", idx, subject, mode,
				      r->path,
				      "%s of %s%s exposes the listening unix socket %s: read-only "
				      "does not limit a socket",
				      what, r->path, from, sp);
		else if (equal)
			vg_policy_add(x->rep, VG_DENY, "runtime-socket", idx, subject, mode,
				      r->path, "bind of %s%s is the container runtime socket %s",
				      r->path, from, sp);
		else
			vg_policy_add(x->rep, VG_DENY, "runtime-socket", idx, subject, mode,
				      r->path,
				      "bind of %s%s exposes the container runtime socket %s, even "
				      "read-only",
				      r->path, from, sp);
		return true;
	}
	return false;
}

/*
 * dockerd gives a container that shares the host's IPC namespace (--ipc host) the host's
 * /dev/shm as a bind: that is the IPC namespace's own memory, judged as the --ipc host fact
 * (a warning), so that check, the hook and volguard-runc agree on such a container.
 */
static bool host_ipc_shm(struct vg_policy_ctx *x, const struct vg_mount *m,
			 const struct vg_resolved *r)
{
	struct stat st;

	return x->ct->host_ipc && m->destination && strcmp(m->destination, "/dev/shm") == 0 &&
	       r->exists && S_ISDIR(r->mode) &&
	       fstatat(x->root, "dev/shm", &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == r->dev &&
	       st.st_ino == r->ino;
}

static void judge_path(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
		       const char *subject, const char *src, const char *via)
{
	struct vg_report *rep = x->rep;
	const char *mode = m->readonly ? "ro" : "rw";
	const char *what = m->readonly ? "read-only bind" : "writable bind";
	_cleanup_free_ char *from = NULL, *volume = NULL, *canon = NULL;
	struct vg_resolved r, r2 = { .fd = -1, .parent_fd = -1 };
	struct vg_error e = { 0 };
	const struct vg_sensitive *s;
	const struct vg_docker_dir *exc;
	enum vg_rel rel;
	bool exception, have_r2 = false;
	const char *base = x->ct->bundle;
	size_t n0 = rep->n;
	struct stat st;

	if (vg_resolve_at(x->root, src, base, &r, &e) < 0) {
		vg_policy_add(rep, VG_DENY, "unresolvable", idx, subject, mode, NULL,
			      "%s of %s%s cannot be verified: %s", what, src, via ? via : "",
			      e.msg);
		return;
	}
	if (strcmp(r.path, src) != 0)
		from = vg_asprintf(" (resolved from %s%s)", src, via ? via : "");
	else
		from = vg_strdup(via ? via : "");

	/* Runtime sockets: read-only does not limit a socket. */
	if (is_runtime_socket_name(src) || is_runtime_socket_name(r.path)) {
		vg_policy_add(rep, VG_DENY, "runtime-socket", idx, subject, mode, r.path,
			      "bind of %s%s is a container runtime socket: read-only does not "
			      "limit a socket",
			      r.path, from);
		goto out;
	}
	if (host_ipc_shm(x, m, &r)) {
		vg_policy_add(rep, VG_WARN, "host-ipc", idx, subject, mode, r.path,
			      "bind of the host's /dev/shm%s: the shared memory of --ipc host",
			      from);
		goto out;
	}
	exception = docker_exception(x, &r, &volume);
	if (volume && !via && volume_has_opts(x, volume)) {
		/* A volume with driver options is the mount they make: judged, and named, as
		 * its device, not as .../_data. */
		judge_volume_opts(x, m, idx, subject, volume);
		goto out;
	}
	exc = exception ? (volume ? &x->volumes : &x->containers) : NULL;
	/* A refused sensitive path says so; one that is only a warning read-only is refused
	 * still when it holds a listening socket. */
	s = vg_policy_sens_match(x, &r, exc, &rel);
	if (s && (!m->readonly || !x->c->allow_readonly_sensitive)) {
		vg_policy_report_sensitive(x, m, idx, subject, &r, from, NULL, s, rel);
		goto out;
	}
	if (judge_sockets(x, m, idx, subject, &r, from, volume != NULL))
		goto out;
	if (s) {
		vg_policy_report_sensitive(x, m, idx, subject, &r, from, NULL, s, rel);
		goto out;
	}
	/* A bind mount of part of a file system: judge where that part really is. */
	canon = vg_policy_canonical_path(x, &r);
	if (canon && strcmp(canon, r.path) != 0 &&
	    vg_resolve_at(x->root, canon, NULL, &r2, &e) == 0) {
		have_r2 = true;
		if ((s = vg_policy_sens_match(x, &r2, exc, &rel))) {
			_cleanup_free_ char *f2 =
			    vg_asprintf("%s (a bind mount of %s)", from, r2.path);
			vg_policy_report_sensitive(x, m, idx, subject, &r, f2, NULL, s, rel);
			goto out;
		}
	}
	/* A recursive bind carries the mounts below it. */
	if (!m->nonrecursive && r.exists && S_ISDIR(r.mode) && !r.foreign_root &&
	    vg_policy_carried_mounts(x, m, idx, subject, &r, from))
		goto out;
	/* Another name of a file may lie anywhere on its file system, /etc included. */
	if (!m->readonly && r.exists && S_ISREG(r.mode) && fstat(r.fd, &st) == 0 &&
	    st.st_nlink > 1) {
		vg_policy_add(rep, VG_DENY, "hardlink", idx, subject, mode, r.path,
			      "writable bind of %s%s: the file has %ju hard links, and its other "
			      "names may lie in sensitive directories",
			      r.path, from, (uintmax_t)st.st_nlink);
		goto out;
	}

	if (r.foreign_root) {
		/* Another container's root: not the host's, but not this container's either. */
		vg_policy_add(rep, m->readonly ? VG_WARN : VG_DENY, "foreign-root", idx, subject,
			      mode, r.path,
			      "%s of %s%s reaches into another process's root file system", what,
			      r.path, from);
	} else if (volume && !x->ct->oci) {
		vg_policy_add(rep, VG_WARN, "volume-bypass", idx, subject, mode, r.path,
			      "bind of volume %s's data directory bypasses the volume; use "
			      "-v %s:DEST",
			      volume, volume);
	} else if (volume) {
		/* Docker mounts a local bind volume's device on _data: judge the device too. */
		judge_volume_opts(x, m, idx, subject, volume);
		goto out;
	} else if (m->readonly && !m->recursive_ro && !m->nonrecursive && r.exists &&
		   S_ISDIR(r.mode)) {
		size_t count;
		const char *sub = vg_policy_writable_submount(x, r.path, &count);
		if (sub)
			vg_policy_add(
			    rep, VG_WARN, "writable-submount", idx, subject, mode, r.path,
			    "read-only bind of %s%s has %zu writable submount%s (%s): use "
			    "rro to make them read-only too",
			    r.path, from, count, count == 1 ? "" : "s", sub);
		else
			vg_policy_add(rep, VG_ALLOW, "ok", idx, subject, mode, r.path, "%s of %s%s",
				      what, r.path, from);
	} else {
		vg_policy_add(rep, VG_ALLOW, "ok", idx, subject, mode, r.path, "%s of %s%s%s", what,
			      r.path, from, r.exists ? "" : " (will be created)");
	}
out:
	/* What runc must mount is what was judged here (kmounts.h verifies it after the mount). */
	for (size_t k = n0; !via && k < rep->n; k++)
		if (rep->v[k].mount_index == idx) {
			rep->v[k].src_judged = true;
			rep->v[k].src_exists = r.exists;
			rep->v[k].src_dev = r.dev;
			rep->v[k].src_ino = r.ino;
		}
	if (have_r2)
		vg_resolved_free(&r2);
	vg_resolved_free(&r);
}

/*
 * A local volume is the mount its options make: a bind of its device (or a device the driver
 * mounts) is judged as that host path, by device and inode, and named by it. The driver mounts
 * a relative device relative to dockerd's working directory: unknowable here, so refused.
 */
static void judge_volume_opts(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
			      const char *subject, const char *volume)
{
	const char *mode = m->readonly ? "ro" : "rw";
	_cleanup_free_ char *via = NULL;
	struct vg_volume_opts o;
	struct vg_error e = { 0 };
	bool binds;
	int r;

	if (!x->volumes_root) {
		vg_policy_add(x->rep, VG_WARN, "volume-driver", idx, subject, mode, NULL,
			      "volume %s: no volumes_root to find its options in", volume);
		return;
	}
	r = read_opts(x, volume, &o, &e);
	if (r < 0) {
		vg_policy_add(x->rep, VG_DENY, "unresolvable", idx, subject, mode, NULL,
			      "cannot read the options of volume %s: %s", volume, e.msg);
		return;
	}
	if (r == 0 || vg_volume_opts_none(&o)) {
		vg_policy_add(x->rep, VG_ALLOW, "ok", idx, subject, mode, NULL,
			      "volume %s (Docker's local driver, no host path)", volume);
		vg_volume_opts_free(&o);
		return;
	}
	binds = vg_volume_opts_binds(o.type, o.o);
	if (o.device && o.device[0] != '/' && binds) {
		vg_policy_add(x->rep, VG_DENY, "unresolvable", idx, subject, mode, NULL,
			      "volume %s binds the relative path '%s': where it points depends on "
			      "dockerd's working directory",
			      volume, o.device);
	} else if (o.device && o.device[0] == '/' && (binds || o.type)) {
		/* A bind volume, or a block device mounted by the local driver. */
		via = vg_asprintf(" (device of volume %s)", volume);
		judge_path(x, m, idx, subject, o.device, via);
	} else if (host_kernel_fs(o.type)) {
		vg_policy_add(
		    x->rep,
		    !m->readonly		     ? VG_DENY
		    : x->c->allow_readonly_sensitive ? VG_WARN
						     : VG_DENY,
		    m->readonly ? "sensitive-readonly" : "sensitive-writable", idx, subject, mode,
		    NULL,
		    "%s volume %s mounts the host's own %s file system (its kernel state, "
		    "like /sys or /proc)",
		    m->readonly ? "read-only" : "writable", volume, o.type);
	} else {
		vg_policy_add(x->rep, VG_ALLOW, "ok", idx, subject, mode, NULL,
			      "volume %s (type %s)", volume, o.type ? o.type : "local");
	}
	vg_volume_opts_free(&o);
}

void vg_policy_judge_mount(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
			   const char *inherited_from)
{
	_cleanup_free_ char *subject = mount_subject(m, inherited_from);
	const char *mode = m->readonly ? "ro" : "rw";

	if (m->propagation &&
	    (strcmp(m->propagation, "shared") == 0 || strcmp(m->propagation, "rshared") == 0))
		vg_policy_add(x->rep, VG_WARN, "shared-propagation", idx, subject, mode, NULL,
			      "%s propagation: mounts made inside the container appear on the host",
			      m->propagation);

	switch (m->kind) {
	case VG_MOUNT_BIND:
		if (!m->source || !*m->source) {
			vg_policy_add(x->rep, VG_DENY, "unresolvable", idx, subject, mode, NULL,
				      "bind mount without a source");
			return;
		}
		judge_path(x, m, idx, subject, m->source, NULL);
		return;
	case VG_MOUNT_VOLUME:
		/* --mount type=volume,volume-opt=...: Docker creates the volume with these options,
		 * named or anonymous, and a bind of the device is what runc then mounts. */
		if (m->volume_device && m->volume_device[0] == '/' &&
		    (vg_volume_opts_binds(m->volume_type, m->volume_o) ||
		     (m->volume_type && *m->volume_type))) {
			_cleanup_free_ char *via =
			    m->source ? vg_asprintf(" (volume-opt device of volume %s)", m->source)
				      : vg_strdup(" (volume-opt device of an anonymous volume)");
			judge_path(x, m, idx, subject, m->volume_device, via);
			if (!m->source)
				return;
		}
		if (!m->source) {
			vg_policy_add(x->rep, VG_ALLOW, "ok", idx, subject, mode, NULL,
				      "anonymous volume");
			return;
		}
		if (!vg_name_valid(m->source)) {
			vg_policy_add(x->rep, VG_DENY, "unresolvable", idx, subject, mode, NULL,
				      "'%s' is not a valid volume name", m->source);
			return;
		}
		if (m->driver && *m->driver && strcmp(m->driver, "local") != 0) {
			vg_policy_add(x->rep, VG_WARN, "volume-driver", idx, subject, mode, NULL,
				      "volume %s uses driver %s: where it points cannot be checked",
				      m->source, m->driver);
			return;
		}
		judge_volume_opts(x, m, idx, subject, m->source);
		return;
	case VG_MOUNT_TMPFS:
	case VG_MOUNT_OTHER:
		vg_policy_add(x->rep, VG_ALLOW, "ok", idx, subject, mode, NULL, "no host path");
		return;
	}
}

void vg_policy_volumes_from(struct vg_policy_ctx *x, vg_container_lookup_fn lookup, void *data)
{
	char *const *vf = x->ct->volumes_from;

	for (size_t i = 0; vf && vf[i]; i++) {
		_cleanup_free_ char *name = vg_strdup(vf[i]), *subject = NULL;
		char *colon = strchr(name, ':');
		struct vg_container src = { 0 };
		struct vg_error e = { 0 };
		bool ro = false;

		subject = vg_asprintf("--volumes-from %s", vf[i]);
		if (colon) {
			*colon = '\0';
			if (strcmp(colon + 1, "ro") == 0)
				ro = true;
			else if (strcmp(colon + 1, "rw") != 0) {
				vg_policy_add(x->rep, VG_DENY, "volumes-from", SIZE_MAX, subject,
					      NULL, NULL,
					      "--volumes-from %s: mode must be ro or rw", vf[i]);
				continue;
			}
		}
		if (!lookup) {
			vg_policy_add(x->rep, VG_WARN, "volumes-from", SIZE_MAX, subject, NULL,
				      NULL, "the mounts of container %s cannot be checked here",
				      name);
			continue;
		}
		if (lookup(name, &src, data, &e) < 0) {
			vg_policy_add(x->rep, VG_WARN, "volumes-from", SIZE_MAX, subject, NULL,
				      NULL, "the mounts of container %s cannot be checked: %s",
				      name, e.msg);
			vg_container_free(&src);
			continue;
		}
		_cleanup_free_ char *from = vg_asprintf("--volumes-from %s", vf[i]);
		for (size_t j = 0; j < src.n_mounts; j++) {
			struct vg_mount m = src.mounts[j]; /* shallow: src owns the strings */
			if (m.kind != VG_MOUNT_BIND && m.kind != VG_MOUNT_VOLUME)
				continue;
			/* Docker: RW = the mount's RW && the mode's (":rw" cannot upgrade). */
			m.readonly = m.readonly || ro;
			vg_policy_judge_mount(x, &m, SIZE_MAX, from);
		}
		vg_container_free(&src);
	}
}
