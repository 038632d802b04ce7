/*
 * The mount-check policy: every mount and privilege fact of a container gets a verdict.
 *
 * MUST: compare host paths by device and inode, never by string (strings only for sensitive
 * paths that do not exist yet); refuse what cannot be resolved; never let an exception (a
 * container's own volume, Docker's per-container files) excuse more than "lies below Docker's
 * directory"; judge a runtime socket as denied whatever its mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "policy.h"
#include "policy_internal.h"
#include "resolve.h"
#include "sockets.h"

static const char *const default_runtime_sockets[] = {
	"/run/docker.sock",
	"/var/run/docker.sock",
	"/run/containerd/containerd.sock",
	"/run/docker/containerd/containerd.sock",
	"/run/podman/podman.sock",
	"/run/crio/crio.sock",
	"/var/run/crio/crio.sock",
	NULL,
};

const char *vg_verdict_name(enum vg_verdict v)
{
	switch (v) {
	case VG_ALLOW:
		return "allow";
	case VG_WARN:
		return "warn";
	case VG_DENY:
		return "deny";
	}
	return "?";
}

void vg_policy_add(struct vg_report *rep, enum vg_verdict v, const char *rule, size_t idx,
		   const char *subject, const char *mode, const char *resolved, const char *fmt,
		   ...)
{
	struct vg_finding *f;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	rep->v = vg_reallocarray(rep->v, rep->n + 1, sizeof(*rep->v));
	f = &rep->v[rep->n++];
	f->verdict = v;
	f->rule = rule;
	f->subject = vg_strdup(subject);
	f->resolved = resolved ? vg_strdup(resolved) : NULL;
	f->message = msg;
	f->mount_index = idx;
	f->mode = mode;
	f->src_judged = f->src_exists = false;
	f->src_dev = 0;
	f->src_ino = 0;
	if (v > rep->worst)
		rep->worst = v;
}

void vg_report_free(struct vg_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		free(rep->v[i].subject);
		free(rep->v[i].resolved);
		free(rep->v[i].message);
	}
	free(rep->v);
	memset(rep, 0, sizeof(*rep));
}

void vg_report_add(struct vg_report *rep, enum vg_verdict v, const char *rule, const char *subject,
		   const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		abort();
	vg_policy_add(rep, v, rule, SIZE_MAX, subject, NULL, NULL, "%s", msg);
}

void vg_report_take(struct vg_report *dst, struct vg_report *src, const char *view)
{
	for (size_t i = 0; i < src->n; i++) {
		struct vg_finding *f = &src->v[i];

		if (view) {
			char *m = vg_asprintf("%s: %s", view, f->message);
			free(f->message);
			f->message = m;
		}
		dst->v = vg_reallocarray(dst->v, dst->n + 1, sizeof(*dst->v));
		dst->v[dst->n++] = *f;
		if (f->verdict > dst->worst)
			dst->worst = f->verdict;
	}
	free(src->v);
	memset(src, 0, sizeof(*src));
}

const struct vg_finding *vg_report_first_denial(const struct vg_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->v[i].verdict == VG_DENY)
			return &rep->v[i];
	return NULL;
}

const char *vg_report_first_deny(const struct vg_report *rep)
{
	const struct vg_finding *f = vg_report_first_denial(rep);
	return f ? f->message : NULL;
}

/* ---- device/inode sets ---- */

static bool di_in(const struct vg_devino *v, size_t n, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].dev == dev && v[i].ino == ino)
			return true;
	return false;
}

static bool path_below(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return p[0] == '/' && p[1] != '\0';
	return strncmp(p, dir, n) == 0 && p[n] == '/';
}

static void sens_add(struct vg_policy_ctx *x, const char *path)
{
	struct vg_sensitive *s;
	struct vg_resolved r;
	struct vg_error e;

	for (size_t i = 0; i < x->n_sens; i++)
		if (strcmp(x->sens[i].path, path) == 0)
			return;
	if (vg_resolve_at(x->root, path, NULL, &r, &e) < 0)
		return; /* unresolvable (a loop?): nothing can be bound through it either */
	x->sens = vg_reallocarray(x->sens, x->n_sens + 1, sizeof(*x->sens));
	s = &x->sens[x->n_sens++];
	memset(s, 0, sizeof(*s));
	s->path = vg_strdup(path);
	s->exists = r.exists;
	s->resolved = TAKE_PTR(r.path);
	s->dev = r.dev;
	s->ino = r.ino;
	if (r.exists) {
		s->anc = TAKE_PTR(r.anc);
		s->n_anc = r.n_anc;
		s->is_root = s->n_anc == 0;
	}
	vg_resolved_free(&r);
}

/* A Docker directory (volumes root, containers dir): its device, inode and ancestors. */
static void docker_dir(struct vg_policy_ctx *x, const char *path, struct vg_docker_dir *d)
{
	struct vg_resolved r;
	struct vg_error e;

	memset(d, 0, sizeof(*d));
	if (path && vg_resolve_at(x->root, path, NULL, &r, &e) == 0) {
		if (r.exists && S_ISDIR(r.mode)) {
			d->di = (struct vg_devino){ r.dev, r.ino };
			d->anc = TAKE_PTR(r.anc);
			d->n_anc = r.n_anc;
			d->ok = true;
		}
		vg_resolved_free(&r);
	}
}

/* One socket by identity (the first kind that names it wins); takes *anc. */
static void sock_add(struct vg_policy_ctx *x, const char *path, dev_t dev, ino_t ino,
		     struct vg_devino **anc, size_t n_anc, bool listening)
{
	for (size_t j = 0; j < x->n_socks; j++)
		if (x->socks[j].sock.dev == dev && x->socks[j].sock.ino == ino)
			return;
	x->socks = vg_array_grow(x->socks, x->n_socks, sizeof(*x->socks));
	x->sock_paths = vg_array_grow(x->sock_paths, x->n_socks, sizeof(char *));
	x->sock_paths[x->n_socks] = vg_strdup(path);
	x->socks[x->n_socks] = (struct vg_socket){
		.sock = { dev, ino }, .anc = TAKE_PTR(*anc), .n_anc = n_anc, .listening = listening
	};
	x->n_socks++;
}

static void ctx_init(struct vg_policy_ctx *x, const struct vg_config *c,
		     const struct vg_container *ct, const struct vg_policy_opts *opts,
		     struct vg_report *rep)
{
	memset(x, 0, sizeof(*x));
	x->c = c;
	x->ct = ct;
	x->rep = rep;
	x->mountinfo = opts && opts->mountinfo ? opts->mountinfo : "/proc/self/mountinfo";
	x->root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; c->sensitive_paths && c->sensitive_paths[i]; i++)
		sens_add(x, c->sensitive_paths[i]);
	for (size_t i = 0; c->extra_sensitive_paths && c->extra_sensitive_paths[i]; i++)
		sens_add(x, c->extra_sensitive_paths[i]);
	/* Docker's own directory is sensitive wherever the config puts it. */
	if (c->docker_root)
		sens_add(x, c->docker_root);
	/* vg_config_load fills volumes_root; a bare vg_config_init leaves it to docker_root. */
	x->volumes_root = c->volumes_root  ? vg_strdup(c->volumes_root)
			  : c->docker_root ? vg_asprintf("%s/volumes", c->docker_root)
					   : NULL;
	docker_dir(x, x->volumes_root, &x->volumes);
	if (x->volumes_root) /* it may lie outside docker_root: every volume is below it */
		sens_add(x, x->volumes_root);
	{
		_cleanup_free_ char *d =
		    c->docker_root ? vg_asprintf("%s/containers", c->docker_root) : NULL;
		docker_dir(x, d, &x->containers);
	}
	/* Known runtime sockets, then every socket the kernel says a host process listens on: a
	 * bind of one, or of a directory above one, is refused. */
	const char *const *socks =
	    opts && opts->runtime_sockets ? opts->runtime_sockets : default_runtime_sockets;
	for (size_t i = 0; socks[i]; i++) {
		struct vg_resolved r;
		struct vg_error e;

		if (vg_resolve_at(x->root, socks[i], NULL, &r, &e) < 0)
			continue;
		if (r.exists && S_ISSOCK(r.mode))
			sock_add(x, r.path, r.dev, r.ino, &r.anc, r.n_anc, false);
		vg_resolved_free(&r);
	}
	struct vg_listen_sockets ls;
	vg_listen_sockets_find(x->root, opts ? opts->unix_tables : NULL, &ls);
	for (size_t i = 0; i < ls.n; i++)
		sock_add(x, ls.v[i].path, ls.v[i].id.dev, ls.v[i].id.ino, &ls.v[i].anc,
			 ls.v[i].n_anc, true);
	vg_listen_sockets_free(&ls);
}

static void ctx_free(struct vg_policy_ctx *x)
{
	for (size_t i = 0; i < x->n_sens; i++) {
		free(x->sens[i].path);
		free(x->sens[i].resolved);
		free(x->sens[i].anc);
	}
	free(x->sens);
	for (size_t i = 0; i < x->n_socks; i++) {
		free(x->socks[i].anc);
		free(x->sock_paths[i]);
	}
	free(x->socks);
	free(x->sock_paths);
	free(x->volumes_root);
	free(x->volumes.anc);
	free(x->containers.anc);
	if (x->mnt_table)
		mnt_unref_table(x->mnt_table);
	if (x->root >= 0)
		close(x->root);
}

/* ---- judging one host path ---- */

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

/* Is sensitive entry s at or above Docker directory d (so an exception below d excuses s)? */
static bool sens_covers(const struct vg_sensitive *s, const struct vg_docker_dir *d)
{
	if (!s->exists || !d->ok)
		return false;
	return (s->dev == d->di.dev && s->ino == d->di.ino) ||
	       di_in(d->anc, d->n_anc, s->dev, s->ino);
}

static enum vg_rel sens_relation(const struct vg_sensitive *s, const struct vg_resolved *r,
				 const struct vg_devino *anc, size_t n_anc)
{
	if (s->exists) {
		if (r->exists && r->dev == s->dev && r->ino == s->ino)
			return REL_EQUAL;
		/* A missing tail is created below the deepest existing directory. */
		if (!s->is_root && (di_in(anc, n_anc, s->dev, s->ino) ||
				    (!r->exists && r->dev == s->dev && r->ino == s->ino)))
			return REL_BELOW;
		if (r->exists && di_in(s->anc, s->n_anc, r->dev, r->ino))
			return REL_ABOVE;
		return REL_NONE;
	}
	/* A sensitive path that does not exist yet: by resolved string. */
	if (strcmp(r->path, s->resolved) == 0)
		return REL_EQUAL;
	if (path_below(r->path, s->resolved))
		return REL_BELOW;
	if (path_below(s->resolved, r->path))
		return REL_ABOVE;
	return REL_NONE;
}

const struct vg_sensitive *vg_policy_sens_match(struct vg_policy_ctx *x,
						const struct vg_resolved *r,
						const struct vg_docker_dir *excused_below,
						enum vg_rel *ret)
{
	for (size_t i = 0; i < x->n_sens; i++) {
		const struct vg_sensitive *s = &x->sens[i];
		enum vg_rel rel = sens_relation(s, r, r->anc, r->n_anc);

		if (rel == REL_NONE)
			continue;
		/* An exception excuses only entries at or above Docker's directories. */
		if (rel == REL_BELOW && excused_below && sens_covers(s, excused_below))
			continue;
		*ret = rel;
		return s;
	}
	return NULL;
}

void vg_policy_report_sensitive(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
				const char *subject, const struct vg_resolved *r, const char *from,
				const char *carried, const struct vg_sensitive *s, enum vg_rel rel)
{
	const char *mode = m->readonly ? "ro" : "rw";
	const char *what = m->readonly ? "read-only bind" : "writable bind";
	_cleanup_free_ char *how = NULL;
	enum vg_verdict v = VG_DENY;
	const char *rule = "sensitive-writable";

	if (m->readonly) {
		v = x->c->allow_readonly_sensitive ? VG_WARN : VG_DENY;
		rule = "sensitive-readonly";
	}
	how = rel == REL_EQUAL	 ? vg_strdup("is a sensitive host path")
	      : rel == REL_BELOW ? vg_asprintf("is inside the sensitive host path %s", s->path)
				 : vg_asprintf("exposes the sensitive host path %s", s->path);
	if (carried)
		vg_policy_add(x->rep, v, rule, idx, subject, mode, r->path,
			      "%s of %s%s carries the mount %s, which %s", what, r->path, from,
			      carried, how);
	else
		vg_policy_add(x->rep, v, rule, idx, subject, mode, r->path, "%s of %s%s %s", what,
			      r->path, from, how);
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

		if (!equal && !di_in(s->anc, s->n_anc, r->dev, r->ino))
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

void vg_policy_judge_path(struct vg_policy_ctx *x, const struct vg_mount *m, size_t idx,
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
	if (volume && !via && vg_policy_volume_has_opts(x, volume)) {
		/* A volume with driver options is the mount they make: judged, and named, as
		 * its device, not as .../_data. */
		vg_policy_judge_volume_opts(x, m, idx, subject, volume);
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
		vg_policy_judge_volume_opts(x, m, idx, subject, volume);
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

int vg_policy_check(const struct vg_config *c, const struct vg_container *ct,
		    vg_container_lookup_fn lookup, void *lookup_data, struct vg_report *rep,
		    struct vg_error *e)
{
	return vg_policy_check_opts(c, ct, lookup, lookup_data, NULL, rep, e);
}

static void judge_all(struct vg_policy_ctx *x, vg_container_lookup_fn lookup, void *lookup_data)
{
	for (size_t i = 0; i < x->ct->n_mounts; i++)
		vg_policy_judge_mount(x, &x->ct->mounts[i], i, NULL);
	if (!x->ct->volumes_from_resolved)
		vg_policy_volumes_from(x, lookup, lookup_data);
	vg_policy_facts(x);
}

int vg_policy_check_opts(const struct vg_config *c, const struct vg_container *ct,
			 vg_container_lookup_fn lookup, void *lookup_data,
			 const struct vg_policy_opts *opts, struct vg_report *rep,
			 struct vg_error *e)
{
	struct vg_policy_ctx x;

	memset(rep, 0, sizeof(*rep));
	ctx_init(&x, c, ct, opts, rep);
	judge_all(&x, lookup, lookup_data);
	ctx_free(&x);
	return 0;
}

struct vg_policy_batch {
	struct vg_policy_ctx x; /* the host part; ct and rep set per check */
};

struct vg_policy_batch *vg_policy_batch_new(const struct vg_config *c,
					    const struct vg_policy_opts *opts)
{
	struct vg_policy_batch *b = vg_malloc0(sizeof(*b));

	ctx_init(&b->x, c, NULL, opts, NULL);
	return b;
}

int vg_policy_batch_check(struct vg_policy_batch *b, const struct vg_container *ct,
			  vg_container_lookup_fn lookup, void *lookup_data, struct vg_report *rep,
			  struct vg_error *e)
{
	memset(rep, 0, sizeof(*rep));
	b->x.ct = ct;
	b->x.rep = rep;
	judge_all(&b->x, lookup, lookup_data);
	b->x.ct = NULL;
	b->x.rep = NULL;
	return 0;
}

void vg_policy_batch_free(struct vg_policy_batch *b)
{
	if (!b)
		return;
	ctx_free(&b->x);
	free(b);
}
