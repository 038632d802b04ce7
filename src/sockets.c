/*
 * Listening unix sockets from /proc/net/unix (see sockets.h).
 *
 * MUST: trust only what the kernel shows and what the resolver finds (a line whose path does
 * not resolve to a socket adds nothing, so a socket path with a newline in it cannot forge an
 * entry that hides a real one); read each table once per call, bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "sockets.h"

#define SO_ACCEPTCON_FLAG 0x10000 /* __SO_ACCEPTCON: the socket listens */
#define TABLE_MAX_LINES	  (1024 * 1024)

int vg_listen_sockets_parse_line(char *line, const char **ret_path)
{
	unsigned long flags;
	char *p = line, *end;
	size_t len;

	/* Num: RefCount Protocol Flags Type St Inode Path */
	for (int field = 0; field < 7; field++) {
		p += strspn(p, " ");
		if (field == 3) {
			errno = 0;
			flags = strtoul(p, &end, 16);
			if (errno || end == p)
				return 0;
			if (!(flags & SO_ACCEPTCON_FLAG))
				return 0;
		}
		p += strcspn(p, " ");
		if (!*p)
			return 0; /* no path: an unnamed socket */
	}
	p += strspn(p, " ");
	len = strlen(p);
	if (len > 0 && p[len - 1] == '\n')
		p[--len] = '\0';
	if (p[0] != '/')
		return 0; /* abstract (@...) or bound with a relative path */
	*ret_path = p;
	return 1;
}

static bool known(const struct vg_listen_sockets *s, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].id.dev == dev && s->v[i].id.ino == ino)
			return true;
	return false;
}

static void add_path(int rootfd, const char *path, struct vg_listen_sockets *ret)
{
	struct vg_listen_socket *s;
	struct vg_resolved r;
	struct vg_error e;

	if (vg_resolve_at(rootfd, path, NULL, &r, &e) < 0)
		return;
	if (r.exists && S_ISSOCK(r.mode) && !known(ret, r.dev, r.ino)) {
		ret->v = vg_array_grow(ret->v, ret->n, sizeof(*ret->v));
		s = &ret->v[ret->n++];
		s->path = TAKE_PTR(r.path);
		s->id = (struct vg_devino){ r.dev, r.ino };
		s->anc = TAKE_PTR(r.anc);
		s->n_anc = r.n_anc;
	}
	vg_resolved_free(&r);
}

static int read_table(int rootfd, const char *table, struct vg_listen_sockets *ret)
{
	_cleanup_fclose_ FILE *f = fopen(table, "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, lines = 0;
	const char *path;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0 && lines++ < TABLE_MAX_LINES)
		if (lines > 1 && vg_listen_sockets_parse_line(line, &path) == 1)
			add_path(rootfd, path, ret);
	return 0;
}

/* PID 1's table only when it is another network namespace than ours. */
static bool same_netns(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

int vg_listen_sockets_find(int rootfd, const char *const *tables, struct vg_listen_sockets *ret)
{
	static const char *const self_only[] = { "/proc/self/net/unix", NULL };
	static const char *const both[] = { "/proc/self/net/unix", "/proc/1/net/unix", NULL };
	int r = 0, read_ok = 0;

	memset(ret, 0, sizeof(*ret));
	if (!tables)
		tables = same_netns("/proc/self/ns/net", "/proc/1/ns/net") ? self_only : both;
	for (size_t i = 0; tables[i]; i++) {
		int k = read_table(rootfd, tables[i], ret);
		if (k == 0)
			read_ok++;
		else
			r = k;
	}
	return read_ok > 0 ? read_ok : r;
}

void vg_listen_sockets_free(struct vg_listen_sockets *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].path);
		free(s->v[i].anc);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}
