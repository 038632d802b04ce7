/*
 * The mount-check policy: every mount and privilege fact of a container gets a verdict. The
 * run: the host facts gathered into a context (once per check, or per batch), every mount
 * judged (policy_paths.c), --volumes-from, then the privileges (policy_facts.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
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

int vg_policy_check(const struct vg_config *c, const struct vg_container *ct,
		    vg_container_lookup_fn lookup, void *lookup_data, struct vg_report *rep,
		    struct vg_error *e)
{
	vg_policy_check_opts(c, ct, lookup, lookup_data, NULL, rep);
	return 0;
}

static void judge_all(struct vg_policy_ctx *x, vg_container_lookup_fn lookup, void *lookup_data)
{
	for (size_t i = 0; i < x->ct->n_mounts; i++)
		vg_policy_judge_mount(x, &x->ct->mounts[i], i, NULL);
	if (!x->ct->volumes_from_resolved)
		vg_policy_volumes_from(x, lookup, lookup_data);
	vg_policy_facts(x);
}

void vg_policy_check_opts(const struct vg_config *c, const struct vg_container *ct,
			  vg_container_lookup_fn lookup, void *lookup_data,
			  const struct vg_policy_opts *opts, struct vg_report *rep)
{
	struct vg_policy_ctx x;

	memset(rep, 0, sizeof(*rep));
	ctx_init(&x, c, ct, opts, rep);
	judge_all(&x, lookup, lookup_data);
	ctx_free(&x);
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

void vg_policy_batch_check(struct vg_policy_batch *b, const struct vg_container *ct,
			   vg_container_lookup_fn lookup, void *lookup_data, struct vg_report *rep)
{
	memset(rep, 0, sizeof(*rep));
	b->x.ct = ct;
	b->x.rep = rep;
	judge_all(&b->x, lookup, lookup_data);
	b->x.ct = NULL;
	b->x.rep = NULL;
}

void vg_policy_batch_free(struct vg_policy_batch *b)
{
	if (!b)
		return;
	ctx_free(&b->x);
	free(b);
}
