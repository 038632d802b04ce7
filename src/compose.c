/*
 * A compose file as docker-compose 1.29 reads it, into the container descriptions the policy
 * judges (compose.h). Each service is first resolved into references to its YAML nodes, with
 * `extends` merged as Compose merges (scalars: the extending service wins; volumes and devices:
 * by container path; labels and sysctls: by key; other lists: appended), each node keeping the
 * file it came from (relative bind sources are relative to that file). Then every option goes
 * through vg_dockerargs_parse as the docker run flag Compose sends, and service:X references
 * (network_mode, pid, ipc, volumes_from) are resolved within the project.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "adapters.h"
#include "cleanup.h"
#include "compose.h"

extern char **environ;

#define MAX_FILES	  16
#define MAX_EXTENDS_DEPTH 16
#define MAX_MERGE_DEPTH	  32
#define MAX_SERVICE_REFS  16

struct pair {
	yaml_node_t *k, *v;
};

struct map {
	struct pair *v;
	size_t n;
};

struct yfile {
	char *path, *dir;
	yaml_document_t doc;
	yaml_node_t *root;
	struct map *svcs; /* its services, flattened once */
};

struct ctx {
	const struct vg_compose_opts *o;
	struct vg_error *e;
	struct yfile *files[MAX_FILES];
	size_t n_files;
	char **dotenv; /* "K=V" from the project's .env */
	size_t visits;
	char *project;
};

/* A node and the file it is in. */
struct ref {
	struct yfile *f;
	yaml_node_t *n;
	char *key;	 /* merge key: container path (volumes, devices), name (labels, sysctls) */
	bool value_only; /* a mapping's value: the item is "key=value" */
};

struct refs {
	struct ref *v;
	size_t n;
};

/* The fields of a service that decide admission; every other key is left to Compose. */
enum fkind { F_SCALAR, F_LIST, F_PATHS, F_MAP };
static const struct field {
	const char *name;
	enum fkind kind;
} fields[] = {
	{ "image", F_SCALAR },
	{ "build", F_SCALAR },
	{ "user", F_SCALAR },
	{ "privileged", F_SCALAR },
	{ "read_only", F_SCALAR },
	{ "network_mode", F_SCALAR },
	{ "pid", F_SCALAR },
	{ "ipc", F_SCALAR },
	{ "uts", F_SCALAR },
	{ "userns_mode", F_SCALAR },
	{ "container_name", F_SCALAR },
	{ "runtime", F_SCALAR },
	{ "volume_driver", F_SCALAR },
	{ "scale", F_SCALAR },
	{ "deploy", F_SCALAR },
	{ "cap_add", F_LIST },
	{ "cap_drop", F_LIST },
	{ "security_opt", F_LIST },
	{ "device_cgroup_rules", F_LIST },
	{ "tmpfs", F_LIST },
	{ "volumes_from", F_LIST },
	{ "secrets", F_LIST },
	{ "configs", F_LIST },
	{ "volumes", F_PATHS },
	{ "devices", F_PATHS },
	{ "labels", F_MAP },
	{ "sysctls", F_MAP },
};
#define N_FIELDS VG_ARRAY_SIZE(fields)

struct svc {
	struct refs f[N_FIELDS];
};

static void refs_free(struct refs *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].key);
	free(r->v);
	*r = (struct refs){ 0 };
}

static void svc_free(struct svc *s)
{
	for (size_t i = 0; i < N_FIELDS; i++)
		refs_free(&s->f[i]);
}

static void refs_push(struct refs *r, struct yfile *f, yaml_node_t *n, const char *key)
{
	r->v = vg_array_grow(r->v, r->n, sizeof(*r->v));
	r->v[r->n++] = (struct ref){ .f = f, .n = n, .key = key ? vg_strdup(key) : NULL };
}

static size_t field_index(const char *name)
{
	for (size_t i = 0; i < N_FIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

/* ---- errors ------------------------------------------------------------------------------ */

static int yerr(struct ctx *x, const struct yfile *f, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "FILE:LINE:COL: message", the file and the message escaped where they are printed. */
static int yerr(struct ctx *x, const struct yfile *f, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!n)
		vg_error_set(x->e, EINVAL, "%s: %s", f->path, msg);
	else
		vg_error_set(x->e, EINVAL, "%s:%zu:%zu: %s", f->path, n->start_mark.line + 1,
			     n->start_mark.column + 1, msg);
	return -EINVAL;
}

static char *where(const struct yfile *f, const yaml_node_t *n)
{
	return vg_asprintf("%s:%zu:%zu", f->path, n->start_mark.line + 1, n->start_mark.column + 1);
}

static int visit(struct ctx *x, const struct yfile *f, const yaml_node_t *n)
{
	if (++x->visits > VG_COMPOSE_MAX_VISITS)
		return yerr(x, f, n,
			    "more than %d nodes to read (aliases that expand without bound?)",
			    VG_COMPOSE_MAX_VISITS);
	return 0;
}

/* ---- YAML nodes -------------------------------------------------------------------------- */

static yaml_node_t *node(const struct yfile *f, int i)
{
	return yaml_document_get_node((yaml_document_t *)&f->doc, i);
}

static const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static bool plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	if (!plain(n))
		return false;
	for (size_t i = 0; i < VG_ARRAY_SIZE(nulls); i++)
		if (strcmp(sval(n), nulls[i]) == 0)
			return true;
	return false;
}

static void map_free(struct map *m)
{
	free(m->v);
	*m = (struct map){ 0 };
}

static struct pair *map_find(const struct map *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(sval(m->v[i].k), key) == 0)
			return &m->v[i];
	return NULL;
}

static void map_free_p(struct map *m)
{
	map_free(m);
}

/* A mapping's pairs with YAML merge keys (<<) applied as PyYAML applies them: the mapping's own
 * keys first, then each merged mapping's keys that are not there yet, in order. A key given
 * twice in the mapping itself is an error (Compose would keep one silently). */
static int flatten(struct ctx *x, const struct yfile *f, yaml_node_t *n, const char *what,
		   struct map *m, int depth)
{
	yaml_node_pair_t *p;
	int r;

	if (n->type != YAML_MAPPING_NODE)
		return yerr(x, f, n, "%s must be a mapping", what);
	if (depth > MAX_MERGE_DEPTH)
		return yerr(x, f, n, "%s: merge keys (<<) nested deeper than %d", what,
			    MAX_MERGE_DEPTH);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(f, p->key), *v = node(f, p->value);

		if ((r = visit(x, f, k)) < 0)
			return r;
		if (plain(k) && strcmp(sval(k), "<<") == 0)
			continue;
		if (k->type != YAML_SCALAR_NODE)
			return yerr(x, f, k, "%s: a key must be a string", what);
		for (size_t i = 0; i < m->n; i++)
			if (strcmp(sval(m->v[i].k), sval(k)) == 0)
				return yerr(x, f, k, "%s: key '%s' given twice (first at line %zu)",
					    what, sval(k), m->v[i].k->start_mark.line + 1);
		m->v = vg_array_grow(m->v, m->n, sizeof(*m->v));
		m->v[m->n++] = (struct pair){ k, v };
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(f, p->key), *v = node(f, p->value);
		yaml_node_t *one[1] = { v };
		yaml_node_t **list = one;
		size_t nl = 1;
		_cleanup_free_ yaml_node_t **seq = NULL;

		if (!(plain(k) && strcmp(sval(k), "<<") == 0))
			continue;
		if (v->type == YAML_SEQUENCE_NODE) {
			yaml_node_item_t *it;
			nl = 0;
			seq = vg_malloc0(
			    ((size_t)(v->data.sequence.items.top - v->data.sequence.items.start) +
			     1) *
			    sizeof(yaml_node_t *));
			for (it = v->data.sequence.items.start; it < v->data.sequence.items.top;
			     it++)
				seq[nl++] = node(f, *it);
			list = seq;
		}
		for (size_t j = 0; j < nl; j++) {
			_cleanup_(map_free_p) struct map sub = { 0 };
			if ((r = visit(x, f, list[j])) < 0)
				return r;
			if (list[j]->type != YAML_MAPPING_NODE)
				return yerr(x, f, list[j], "%s: a merge key (<<) takes a mapping",
					    what);
			if ((r = flatten(x, f, list[j], what, &sub, depth + 1)) < 0)
				return r;
			for (size_t i = 0; i < sub.n; i++) {
				if (map_find(m, sval(sub.v[i].k)))
					continue;
				m->v = vg_array_grow(m->v, m->n, sizeof(*m->v));
				m->v[m->n++] = sub.v[i];
			}
		}
	}
	return 0;
}

/* ---- variables --------------------------------------------------------------------------- */

static const char *env_in(char *const *env, const char *name, size_t len)
{
	for (size_t i = 0; env && env[i]; i++)
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

/* The environment first, then the project's .env, as Compose looks them up. */
static const char *lookup(const struct ctx *x, const char *name, size_t len)
{
	const char *v = env_in(x->o->env ? x->o->env : environ, name, len);
	return v ? v : env_in(x->dotenv, name, len);
}

static bool id_start(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool id_char(char c)
{
	return id_start(c) || (c >= '0' && c <= '9');
}

struct buf {
	char *s;
	size_t n, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = vg_reallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

/* One scalar with Compose 1.29's interpolation (Python's Template with its braced forms). */
static int interpolate(struct ctx *x, const struct yfile *f, const yaml_node_t *n, char **out)
{
	const char *s = sval(n);
	struct buf b = { .s = vg_malloc0(1), .cap = 1 };

	while (*s) {
		const char *d = strchr(s, '$');
		const char *name, *val, *op = NULL, *arg = NULL, *end;
		size_t len;

		if (!d) {
			buf_add(&b, s, strlen(s));
			break;
		}
		buf_add(&b, s, (size_t)(d - s));
		if (d[1] == '$') {
			buf_add(&b, "$", 1);
			s = d + 2;
			continue;
		}
		if (id_start(d[1])) {
			name = d + 1;
			for (len = 0; id_char(name[len]); len++)
				;
			end = name + len;
		} else if (d[1] == '{' && id_start(d[2])) {
			name = d + 2;
			for (len = 0; id_char(name[len]); len++)
				;
			end = strchr(name + len, '}');
			if (!end)
				goto invalid;
			if (name + len != end) {
				op = name + len;
				if (op[0] == ':' && (op[1] == '-' || op[1] == '?'))
					arg = op + 2;
				else if (op[0] == '-' || op[0] == '?')
					arg = op + 1;
				else
					goto invalid;
			}
			end++;
		} else {
			goto invalid;
		}
		val = lookup(x, name, len);
		if (op) {
			bool colon = op[0] == ':';
			const char *kindp = colon ? op + 1 : op;
			size_t alen = (size_t)(end - 1 - arg);
			bool missing = !val || (colon && !*val);

			if (missing && *kindp == '?') {
				int r =
				    yerr(x, f, n, "required variable %.*s is missing a value: %.*s",
					 (int)len, name, (int)alen, arg);
				free(b.s);
				return r;
			}
			if (missing && *kindp == '-') {
				buf_add(&b, arg, alen);
				s = end;
				continue;
			}
		}
		if (!val) {
			int r = yerr(x, f, n,
				     "cannot judge: variable %.*s is not set (Compose would use an "
				     "empty string); set it or give a default, ${%.*s:-...}",
				     (int)len, name, (int)len, name);
			free(b.s);
			return r;
		}
		buf_add(&b, val, strlen(val));
		s = end;
	}
	*out = b.s;
	return 0;
invalid:
	free(b.s);
	return yerr(x, f, n, "invalid interpolation format in \"%s\" (a literal $ is written $$)",
		    sval(n));
}

/* A scalar's value, interpolated; what names it in messages. */
static int scalar(struct ctx *x, const struct ref *r, const char *what, char **out)
{
	*out = NULL;
	if (r->n->type != YAML_SCALAR_NODE) {
		yerr(x, r->f, r->n, "%s must be a string", what);
		return -EINVAL;
	}
	if (interpolate(x, r->f, r->n, out) < 0 || !*out)
		return -EINVAL;
	return 0;
}

/* PyYAML's booleans, and Compose's for an interpolated value. */
static int boolean(struct ctx *x, const struct ref *r, const char *what, bool *ret)
{
	static const char *const t[] = { "true", "yes", "on", "y" };
	static const char *const fl[] = { "false", "no", "off", "n" };
	_cleanup_free_ char *v = NULL;
	int k;

	if ((k = scalar(x, r, what, &v)) < 0)
		return k;
	for (size_t i = 0; i < VG_ARRAY_SIZE(t); i++) {
		if (strcasecmp(v, t[i]) == 0)
			return *ret = true, 0;
		if (strcasecmp(v, fl[i]) == 0)
			return *ret = false, 0;
	}
	return yerr(x, r->f, r->n, "%s: '%s' is not a boolean", what, v);
}

static int integer(struct ctx *x, const struct ref *r, const char *what, uint64_t max,
		   uint64_t *ret)
{
	_cleanup_free_ char *v = NULL;
	int k;

	if ((k = scalar(x, r, what, &v)) < 0)
		return k;
	if (vg_parse_u64(v, max, ret) < 0)
		return yerr(x, r->f, r->n, "%s: '%s' is not a number from 0 to %llu", what, v,
			    (unsigned long long)max);
	return 0;
}

/* ---- files ------------------------------------------------------------------------------- */

static void yfile_free(struct yfile *f)
{
	if (!f)
		return;
	yaml_document_delete(&f->doc);
	if (f->svcs)
		map_free(f->svcs);
	free(f->svcs);
	free(f->path);
	free(f->dir);
	free(f);
}

static char *dir_of(const char *path)
{
	_cleanup_free_ char *copy = vg_strdup(path);
	const char *d = dirname(copy);

	if (d[0] == '/')
		return vg_strdup(d);
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return vg_strdup(d);
	return strcmp(d, ".") == 0 ? vg_strdup(cwd) : vg_asprintf("%s/%s", cwd, d);
}

static int parse_text(struct ctx *x, const char *text, size_t len, const char *path,
		      struct yfile **ret)
{
	struct yfile *f = vg_malloc0(sizeof(*f));
	yaml_parser_t p;
	yaml_document_t extra;
	int r = 0;

	f->path = vg_strdup(path);
	f->dir = dir_of(path);
	if (!yaml_parser_initialize(&p))
		abort();
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &f->doc)) {
		r = vg_error_set(x->e, EINVAL, "%s:%zu:%zu: not valid YAML: %s%s%s", path,
				 p.problem_mark.line + 1, p.problem_mark.column + 1,
				 p.problem ? p.problem : "error", p.context ? " " : "",
				 p.context ? p.context : "");
		yaml_parser_delete(&p);
		free(f->path);
		free(f->dir);
		free(f);
		return r < 0 ? r : -EINVAL;
	}
	f->root = yaml_document_get_root_node(&f->doc);
	if (f->root) {
		if (!yaml_parser_load(&p, &extra)) {
			r = vg_error_set(x->e, EINVAL, "%s:%zu:%zu: not valid YAML: %s", path,
					 p.problem_mark.line + 1, p.problem_mark.column + 1,
					 p.problem ? p.problem : "error");
		} else {
			if (yaml_document_get_root_node(&extra))
				r = vg_error_set(x->e, EINVAL,
						 "%s:%zu: a second YAML document (Compose reads "
						 "one)",
						 path, extra.start_mark.line + 1);
			yaml_document_delete(&extra);
		}
	} else {
		r = vg_error_set(x->e, EINVAL, "%s: an empty compose file", path);
	}
	yaml_parser_delete(&p);
	if (r < 0) {
		yfile_free(f);
		return -EINVAL;
	}
	*ret = f;
	return 0;
}

/* The whole compose file, through the one bounded reader (vg_read_fd). The path may be a
 * symbolic link, as docker-compose allows; O_NONBLOCK: a FIFO in its place must not hang us. */
static int read_all(const char *path, size_t max, char **ret, size_t *ret_len, struct vg_error *e)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	int r;

	if (fd < 0)
		return vg_error_errno(e, errno, "%s", path);
	r = vg_read_fd(fd, max, ret, ret_len, NULL);
	return r < 0 ? vg_read_error(e, r, path, max) : 0;
}

/* A file `extends: file:` names, relative to the file that names it; each read once. */
static int load_file(struct ctx *x, const char *path, struct yfile **ret)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	for (size_t i = 0; i < x->n_files; i++)
		if (strcmp(x->files[i]->path, path) == 0)
			return *ret = x->files[i], 0;
	if (x->n_files == MAX_FILES)
		return vg_error_set(x->e, EINVAL, "%s: more than %d files through extends", path,
				    MAX_FILES);
	if ((r = read_all(path, VG_COMPOSE_MAX_SIZE, &text, &len, x->e)) < 0)
		return r;
	if ((r = parse_text(x, text, len, path, ret)) < 0)
		return r;
	x->files[x->n_files++] = *ret;
	return 0;
}

/* python-dotenv's lines: KEY=VALUE, "export " allowed, quotes stripped, # comments. */
static int read_dotenv(struct ctx *x, const char *path, bool must_exist)
{
	_cleanup_free_ char *text = NULL;
	size_t len, line = 0;
	char *save = NULL;
	int r;

	if (access(path, F_OK) < 0 && !must_exist)
		return 0;
	if ((r = read_all(path, VG_COMPOSE_MAX_SIZE, &text, &len, x->e)) < 0)
		return r;
	for (char *l = text, *next; l && *l; l = next) {
		char *eq, *k, *v, *end;

		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		line++;
		while (*l == ' ' || *l == '\t')
			l++;
		end = l + strlen(l);
		while (end > l && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (!*l || *l == '#')
			continue;
		if (strncmp(l, "export ", 7) == 0)
			l += 7;
		eq = strchr(l, '=');
		if (!eq)
			return vg_error_set(x->e, EINVAL, "%s:%zu: not a KEY=VALUE line", path,
					    line);
		*eq = '\0';
		k = l;
		for (end = eq; end > k && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = '\0';
		if (!id_start(*k))
			return vg_error_set(x->e, EINVAL, "%s:%zu: '%s' is not a variable name",
					    path, line, k);
		for (char *c = k; *c; c++)
			if (!id_char(*c))
				return vg_error_set(x->e, EINVAL,
						    "%s:%zu: '%s' is not a variable name", path,
						    line, k);
		v = eq + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v == '\'' || *v == '"') {
			char q = *v++, *w = v, *o = v;
			for (; *w && *w != q; w++) {
				if (q == '"' && *w == '\\' && w[1]) {
					w++;
					if (*w == 'n')
						*o++ = '\n';
					else if (*w == 't')
						*o++ = '\t';
					else
						*o++ = *w;
					continue;
				}
				*o++ = *w;
			}
			if (*w != q)
				return vg_error_set(x->e, EINVAL, "%s:%zu: unterminated quote",
						    path, line);
			*o = '\0';
		} else {
			char *hash = strstr(v, " #");
			if (hash)
				*hash = '\0';
			for (end = v + strlen(v); end > v && (end[-1] == ' ' || end[-1] == '\t');)
				*--end = '\0';
		}
		_cleanup_free_ char *kv = vg_asprintf("%s=%s", k, v);
		vg_strv_push(&x->dotenv, kv);
	}
	(void)save;
	return 0;
}

/* ---- services and extends ---------------------------------------------------------------- */

static int services_map(struct ctx *x, struct yfile *f, const struct map **ret)
{
	_cleanup_(map_free_p) struct map top = { 0 };
	struct map *m;
	struct pair *p;
	int r;

	if (f->svcs)
		return *ret = f->svcs, 0;
	if ((r = flatten(x, f, f->root, "the compose file", &top, 0)) < 0)
		return r;
	m = vg_malloc0(sizeof(*m));
	p = map_find(&top, "services");
	if (!p) {
		/* Version 1 files have the services at the top; 1.29 still reads them. */
		r = map_find(&top, "version") ? yerr(x, f, f->root, "no 'services' mapping")
					      : flatten(x, f, f->root, "the compose file", m, 0);
	} else {
		r = flatten(x, f, p->v, "services", m, 0);
	}
	if (r < 0) {
		map_free(m);
		free(m);
		return r;
	}
	f->svcs = m;
	*ret = m;
	return 0;
}

/* The key an item merges by: volumes and devices by their container path. */
static int item_key(struct ctx *x, const struct ref *r, const char *field, char **key)
{
	_cleanup_free_ char *v = NULL;
	int k;

	if (r->n->type == YAML_MAPPING_NODE) {
		_cleanup_(map_free_p) struct map m = { 0 };
		struct pair *p;
		if ((k = flatten(x, r->f, r->n, field, &m, 0)) < 0)
			return k;
		p = map_find(&m, "target");
		if (!p)
			return yerr(x, r->f, r->n, "%s: a long-syntax entry needs a target", field);
		struct ref t = { .f = r->f, .n = p->v };
		return scalar(x, &t, field, key);
	}
	if ((k = scalar(x, r, field, &v)) < 0)
		return k;
	if (strcmp(field, "labels") == 0 || strcmp(field, "sysctls") == 0) {
		*key = strndup(v, strcspn(v, "="));
	} else {
		/* SRC:DST[:MODE], or DST alone */
		char *c1 = strchr(v, ':');
		if (!c1) {
			*key = vg_strdup(v);
		} else {
			char *c2 = strchr(c1 + 1, ':');
			*key = c2 ? strndup(c1 + 1, (size_t)(c2 - c1 - 1)) : vg_strdup(c1 + 1);
		}
	}
	if (!*key)
		abort();
	return 0;
}

/* One field's value into the service: lists and mappings item by item, with their keys. */
static int add_field(struct ctx *x, struct yfile *f, size_t fi, yaml_node_t *v, struct svc *s,
		     bool override)
{
	const struct field *fd = &fields[fi];
	struct refs add = { 0 };
	int r = 0;

	if (is_null(v))
		return 0;
	if (fd->kind == F_SCALAR) {
		refs_free(&s->f[fi]);
		refs_push(&s->f[fi], f, v, NULL);
		return 0;
	}
	if (fd->kind == F_MAP && v->type == YAML_MAPPING_NODE) {
		_cleanup_(map_free_p) struct map m = { 0 };
		if ((r = flatten(x, f, v, fd->name, &m, 0)) < 0)
			return r;
		for (size_t i = 0; i < m.n; i++) {
			refs_push(&add, f, m.v[i].v, sval(m.v[i].k));
			add.v[add.n - 1].value_only = true;
		}
	} else if (v->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			yaml_node_t *item = node(f, *it);
			if ((r = visit(x, f, item)) < 0)
				goto out;
			refs_push(&add, f, item, NULL);
			if (fd->kind == F_PATHS || fd->kind == F_MAP) {
				struct ref *a = &add.v[add.n - 1];
				if ((r = item_key(x, a, fd->name, &a->key)) < 0)
					goto out;
			}
		}
	} else if (fd->kind == F_LIST && v->type == YAML_SCALAR_NODE &&
		   strcmp(fd->name, "tmpfs") == 0) {
		refs_push(&add, f, v, NULL);
	} else {
		r = yerr(x, f, v, "%s must be a %s", fd->name,
			 fd->kind == F_MAP ? "mapping or a list" : "list");
		goto out;
	}
	(void) override;
	/* Merge: keyed items replace the base's item with the same key. */
	for (size_t i = 0; i < add.n; i++) {
		struct ref *a = &add.v[i];
		bool replaced = false;
		if (a->key)
			for (size_t j = 0; j < s->f[fi].n; j++)
				if (s->f[fi].v[j].key && strcmp(s->f[fi].v[j].key, a->key) == 0) {
					free(s->f[fi].v[j].key);
					s->f[fi].v[j] = *a;
					a->key = NULL;
					replaced = true;
					break;
				}
		if (!replaced) {
			refs_push(&s->f[fi], a->f, a->n, a->key);
			s->f[fi].v[s->f[fi].n - 1].value_only = a->value_only;
		}
	}
out:
	refs_free(&add);
	return r;
}

struct chain {
	const struct yfile *f;
	const char *name;
};

static int resolve(struct ctx *x, struct yfile *f, const char *name, yaml_node_t *at,
		   struct chain *ch, int depth, struct svc *s);

/* `extends: NAME` or `extends: {service: NAME, file: F}`: the base, resolved, into s. */
static int extend(struct ctx *x, struct yfile *f, yaml_node_t *ext, struct chain *ch, int depth,
		  struct svc *s)
{
	_cleanup_free_ char *svc = NULL, *file = NULL, *path = NULL;
	struct yfile *bf = f;
	struct svc base = { 0 };
	int r;

	if (ext->type == YAML_SCALAR_NODE) {
		struct ref rr = { .f = f, .n = ext };
		if ((r = scalar(x, &rr, "extends", &svc)) < 0)
			return r;
	} else {
		_cleanup_(map_free_p) struct map m = { 0 };
		struct pair *p;
		if ((r = flatten(x, f, ext, "extends", &m, 0)) < 0)
			return r;
		p = map_find(&m, "service");
		if (!p)
			return yerr(x, f, ext, "extends: 'service' is required");
		struct ref rs = { .f = f, .n = p->v };
		if ((r = scalar(x, &rs, "extends.service", &svc)) < 0)
			return r;
		if ((p = map_find(&m, "file"))) {
			struct ref rf = { .f = f, .n = p->v };
			if ((r = scalar(x, &rf, "extends.file", &file)) < 0)
				return r;
			if (!file)
				return yerr(x, f, p->v, "extends.file: no file");
			path =
			    file[0] == '/' ? vg_strdup(file) : vg_asprintf("%s/%s", f->dir, file);
			if (load_file(x, path, &bf) < 0)
				return yerr(x, f, p->v, "extends.file: %s", x->e->msg);
		}
	}
	if ((r = resolve(x, bf, svc, ext, ch, depth + 1, &base)) < 0) {
		svc_free(&base);
		return r;
	}
	/* Compose refuses to extend these: what they point at is not carried over. */
	if (base.f[field_index("volumes_from")].n) {
		svc_free(&base);
		return yerr(x, f, ext,
			    "cannot extend service '%s' in %s: services with "
			    "'volumes_from' cannot be extended",
			    svc, bf->path);
	}
	{
		struct refs *nm = &base.f[field_index("network_mode")];
		_cleanup_free_ char *v = NULL;
		if (nm->n && (r = scalar(x, &nm->v[0], "network_mode", &v)) < 0) {
			svc_free(&base);
			return r;
		}
		if (v && (strncmp(v, "service:", 8) == 0 || strncmp(v, "container:", 10) == 0)) {
			svc_free(&base);
			return yerr(x, f, ext,
				    "cannot extend service '%s' in %s: services with "
				    "'network_mode: %.*s' cannot be extended",
				    svc, bf->path, (int)strcspn(v, ":"), v);
		}
	}
	*s = base;
	return 0;
}

/* The service `name` of file f, its extends merged under its own keys. */
static int resolve(struct ctx *x, struct yfile *f, const char *name, yaml_node_t *at,
		   struct chain *ch, int depth, struct svc *s)
{
	_cleanup_(map_free_p) struct map m = { 0 };
	const struct map *svcs;
	struct pair *p, *ext;
	int r;

	if (depth >= MAX_EXTENDS_DEPTH)
		return yerr(x, f, at, "extends nested deeper than %d", MAX_EXTENDS_DEPTH);
	for (int i = 0; i < depth; i++)
		if (ch[i].f == f && strcmp(ch[i].name, name) == 0)
			return yerr(x, f, at, "circular reference: service '%s' extends itself",
				    name);
	ch[depth] = (struct chain){ f, name };
	if ((r = services_map(x, f, &svcs)) < 0)
		return r;
	p = map_find(svcs, name);
	if (!p)
		return yerr(x, f, at, "extends: no service '%s' in %s", name, f->path);
	if ((r = flatten(x, f, p->v, name, &m, 0)) < 0)
		return r;
	if ((ext = map_find(&m, "extends")) && !is_null(ext->v)) {
		if ((r = extend(x, f, ext->v, ch, depth, s)) < 0)
			return r;
	}
	for (size_t i = 0; i < m.n; i++) {
		size_t fi = field_index(sval(m.v[i].k));
		if (fi == SIZE_MAX)
			continue;
		if ((r = visit(x, f, m.v[i].v)) < 0)
			return r;
		if ((r = add_field(x, f, fi, m.v[i].v, s, true)) < 0)
			return r;
	}
	return 0;
}

/* ---- into a container ------------------------------------------------------------------- */

struct topvol {
	char *key, *name, *driver, *type, *o, *device;
};

struct build {
	struct ctx *x;
	struct yfile *main;
	struct topvol *vols;
	size_t n_vols;
	struct svc *svcs;
	struct map names;
	struct vg_compose *out;
};

static const struct topvol *topvol(const struct build *b, const char *key)
{
	for (size_t i = 0; i < b->n_vols; i++)
		if (strcmp(b->vols[i].key, key) == 0)
			return &b->vols[i];
	return NULL;
}

/* The top-level volumes: their Docker names (project_key unless external or name:), drivers
 * and driver_opts (type=none,o=bind,device=PATH makes a bind, as `docker volume create -o`). */
static int read_volumes(struct build *b)
{
	struct ctx *x = b->x;
	struct yfile *f = b->main;
	_cleanup_(map_free_p) struct map top = { 0 }, vols = { 0 };
	struct pair *p;
	int r;

	if ((r = flatten(x, f, f->root, "the compose file", &top, 0)) < 0)
		return r;
	p = map_find(&top, "volumes");
	if (!p || is_null(p->v))
		return 0;
	if ((r = flatten(x, f, p->v, "volumes", &vols, 0)) < 0)
		return r;
	b->vols = vg_malloc0((vols.n + 1) * sizeof(*b->vols));
	for (size_t i = 0; i < vols.n; i++) {
		struct topvol *t = &b->vols[b->n_vols++];
		_cleanup_(map_free_p) struct map vm = { 0 };
		struct pair *q;
		bool external = false;

		t->key = vg_strdup(sval(vols.v[i].k));
		if (!is_null(vols.v[i].v)) {
			if ((r = flatten(x, f, vols.v[i].v, t->key, &vm, 0)) < 0)
				return r;
		}
		if ((q = map_find(&vm, "external")) && !is_null(q->v)) {
			struct ref rr = { .f = f, .n = q->v };
			if (q->v->type == YAML_MAPPING_NODE) {
				_cleanup_(map_free_p) struct map em = { 0 };
				struct pair *en;
				external = true;
				if ((r = flatten(x, f, q->v, "external", &em, 0)) < 0)
					return r;
				if ((en = map_find(&em, "name"))) {
					struct ref rn = { .f = f, .n = en->v };
					if ((r = scalar(x, &rn, "external.name", &t->name)) < 0)
						return r;
				}
			} else if ((r = boolean(x, &rr, "external", &external)) < 0) {
				return r;
			}
		}
		if ((q = map_find(&vm, "name")) && !t->name) {
			struct ref rn = { .f = f, .n = q->v };
			if ((r = scalar(x, &rn, "name", &t->name)) < 0)
				return r;
		}
		if (!t->name)
			t->name =
			    external ? vg_strdup(t->key) : vg_asprintf("%s_%s", x->project, t->key);
		if ((q = map_find(&vm, "driver")) && !is_null(q->v)) {
			struct ref rd = { .f = f, .n = q->v };
			if ((r = scalar(x, &rd, "driver", &t->driver)) < 0)
				return r;
		}
		if ((q = map_find(&vm, "driver_opts")) && !is_null(q->v)) {
			_cleanup_(map_free_p) struct map om = { 0 };
			if ((r = flatten(x, f, q->v, "driver_opts", &om, 0)) < 0)
				return r;
			for (size_t j = 0; j < om.n; j++) {
				const char *k = sval(om.v[j].k);
				char **slot = strcmp(k, "type") == 0	 ? &t->type
					      : strcmp(k, "o") == 0	 ? &t->o
					      : strcmp(k, "device") == 0 ? &t->device
									 : NULL;
				struct ref ro = { .f = f, .n = om.v[j].v };
				if (slot && (r = scalar(x, &ro, k, slot)) < 0)
					return r;
			}
		}
		if (!vg_name_valid(t->name))
			return yerr(x, f, vols.v[i].k,
				    "volume '%s': '%s' is not a valid volume name", t->key,
				    t->name);
	}
	return 0;
}

/* One docker run option through the docker CLI's own parser; the mounts it adds are named by
 * the compose file's place. */
static int da(struct build *b, struct vg_container *ct, const struct ref *r, const char *what,
	      const char *flag, const char *val)
{
	char *argv[] = { (char *)flag, (char *)(val ? val : "img"), (char *)"img" };
	struct vg_error e2 = { 0 };
	size_t before = ct->n_mounts;
	_cleanup_free_ char *img = ct->image;

	ct->image = NULL;
	if (vg_dockerargs_parse(val ? 3 : 2, argv, ct, &e2) < 0) {
		free(ct->image);
		ct->image = TAKE_PTR(img);
		return yerr(b->x, r->f, r->n, "%s: %s", what, e2.msg);
	}
	free(ct->image);
	ct->image = TAKE_PTR(img);
	for (size_t k = before; k < ct->n_mounts; k++) {
		_cleanup_free_ char *w = where(r->f, r->n);
		free(ct->mounts[k].origin);
		ct->mounts[k].origin = vg_asprintf("%s %s (%s)", what, val ? val : flag, w);
	}
	return 0;
}

/* One scalar field's value, or NULL. */
static int field_str(struct build *b, const struct svc *s, const char *name, char **ret,
		     const struct ref **ret_ref)
{
	const struct refs *rs = &s->f[field_index(name)];

	*ret = NULL;
	if (ret_ref)
		*ret_ref = rs->n ? &rs->v[0] : NULL;
	if (!rs->n)
		return 0;
	return scalar(b->x, &rs->v[0], name, ret);
}

/* A bind source as Compose makes it: ~ from $HOME, . and .. against the file's directory. */
static char *bind_source(struct build *b, const struct ref *r, const char *src)
{
	if (src[0] == '~' && (src[1] == '/' || !src[1])) {
		const char *home = lookup(b->x, "HOME", 4);
		return vg_asprintf("%s%s", home ? home : "", src + 1);
	}
	if (strcmp(src, ".") == 0)
		return vg_strdup(r->f->dir);
	if (strncmp(src, "./", 2) == 0)
		return vg_asprintf("%s/%s", r->f->dir, src + 2);
	if (src[0] == '.')
		return vg_asprintf("%s/%s", r->f->dir, src);
	return vg_strdup(src);
}

static void set_volume_opts(struct vg_mount *m, const struct topvol *t)
{
	if (t->driver && !m->driver)
		m->driver = vg_strdup(t->driver);
	if (t->type)
		m->volume_type = vg_strdup(t->type);
	if (t->o)
		m->volume_o = vg_strdup(t->o);
	if (t->device)
		m->volume_device = vg_strdup(t->device);
}

/* "a,b" in a --mount field: Go's encoding/csv quoting. */
static char *csvq(const char *s)
{
	struct buf o = { 0 };

	if (!strpbrk(s, ",\"\n\r"))
		return vg_strdup(s);
	buf_add(&o, "\"", 1);
	for (; *s; s++)
		buf_add(&o, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
	buf_add(&o, "\"", 1);
	return o.s;
}

static int named_volume(struct build *b, const struct ref *r, const char *what, const char *key,
			const struct topvol **t)
{
	*t = topvol(b, key);
	if (!*t)
		return yerr(b->x, r->f, r->n,
			    "%s: named volume '%s' is used but not declared in the top-level "
			    "'volumes' section",
			    what, key);
	return 0;
}

static int add_volume(struct build *b, struct vg_container *ct, const struct ref *r,
		      const char *what)
{
	struct ctx *x = b->x;
	int k;

	if (r->n->type == YAML_MAPPING_NODE) {
		_cleanup_(map_free_p) struct map m = { 0 };
		_cleanup_free_ char *type = NULL, *src = NULL, *dst = NULL, *spec = NULL,
				    *prop = NULL, *qsrc = NULL, *qdst = NULL;
		const struct topvol *t = NULL;
		bool ro = false, nocopy = false;
		struct pair *p;

		if ((k = flatten(x, r->f, r->n, what, &m, 0)) < 0)
			return k;
		for (size_t i = 0; i < m.n; i++) {
			const char *key = sval(m.v[i].k);
			struct ref v = { .f = r->f, .n = m.v[i].v };
			if (strcmp(key, "type") == 0)
				k = scalar(x, &v, "type", &type);
			else if (strcmp(key, "source") == 0)
				k = scalar(x, &v, "source", &src);
			else if (strcmp(key, "target") == 0)
				k = scalar(x, &v, "target", &dst);
			else if (strcmp(key, "read_only") == 0)
				k = boolean(x, &v, "read_only", &ro);
			else if (strcmp(key, "bind") == 0 || strcmp(key, "volume") == 0) {
				_cleanup_(map_free_p) struct map sm = { 0 };
				if ((k = flatten(x, r->f, v.n, key, &sm, 0)) < 0)
					return k;
				if ((p = map_find(&sm, "propagation"))) {
					struct ref pv = { .f = r->f, .n = p->v };
					k = scalar(x, &pv, "propagation", &prop);
				}
				if (k >= 0 && (p = map_find(&sm, "nocopy"))) {
					struct ref pv = { .f = r->f, .n = p->v };
					k = boolean(x, &pv, "nocopy", &nocopy);
				}
			} else if (strcmp(key, "tmpfs") == 0 || strcmp(key, "consistency") == 0) {
				k = 0;
			} else {
				k = yerr(x, r->f, m.v[i].k, "%s: unknown key '%s'", what, key);
			}
			if (k < 0)
				return k;
		}
		if (!type)
			return yerr(x, r->f, r->n, "%s: 'type' is required", what);
		if (!dst)
			return yerr(x, r->f, r->n, "%s: 'target' is required", what);
		if (strcmp(type, "bind") == 0 && src) {
			char *abs = bind_source(b, r, src);
			free(src);
			src = abs;
		} else if (strcmp(type, "volume") == 0 && src && *src) {
			if ((k = named_volume(b, r, what, src, &t)) < 0)
				return k;
			free(src);
			src = vg_strdup(t->name);
		}
		qdst = csvq(dst);
		qsrc = src ? csvq(src) : NULL;
		_cleanup_free_ char *qprop = prop ? csvq(prop) : NULL;
		spec = vg_asprintf("type=%s%s%s,target=%s%s%s%s%s", type, qsrc ? ",source=" : "",
				   qsrc ? qsrc : "", qdst, ro ? ",readonly" : "",
				   qprop ? ",bind-propagation=" : "", qprop ? qprop : "",
				   nocopy ? ",volume-nocopy" : "");
		if ((k = da(b, ct, r, what, "--mount", spec)) < 0)
			return k;
		if (t)
			set_volume_opts(&ct->mounts[ct->n_mounts - 1], t);
		return 0;
	}
	_cleanup_free_ char *v = NULL, *spec = NULL;
	const struct topvol *t = NULL;
	char *c;

	if ((k = scalar(x, r, what, &v)) < 0)
		return k;
	c = strchr(v, ':');
	if (c && c != v) {
		_cleanup_free_ char *src = strndup(v, (size_t)(c - v));
		if (!src)
			abort();
		if (src[0] == '/' || src[0] == '.' || src[0] == '~') {
			_cleanup_free_ char *abs = bind_source(b, r, src);
			spec = vg_asprintf("%s%s", abs, c);
		} else {
			if ((k = named_volume(b, r, what, src, &t)) < 0)
				return k;
			spec = vg_asprintf("%s%s", t->name, c);
		}
	} else {
		spec = vg_strdup(v);
	}
	if ((k = da(b, ct, r, what, "-v", spec)) < 0)
		return k;
	if (t)
		set_volume_opts(&ct->mounts[ct->n_mounts - 1], t);
	return 0;
}

/* Each item of a list field as one docker run flag. */
static int list_flag(struct build *b, struct vg_container *ct, const struct svc *s,
		     const char *field, const char *flag, const char *svc)
{
	const struct refs *rs = &s->f[field_index(field)];
	int k;

	for (size_t i = 0; i < rs->n; i++) {
		_cleanup_free_ char *v = NULL, *what = NULL;
		what = vg_asprintf("services.%s.%s[%zu]", svc, field, i);
		if ((k = scalar(b->x, &rs->v[i], what, &v)) < 0)
			return k;
		/* the daemon refuses a tmpfs on a relative path: so does this */
		if (strcmp(field, "tmpfs") == 0 && v[0] != '/')
			return yerr(b->x, rs->v[i].f, rs->v[i].n,
				    "%s: '%s' is not an absolute path", what, v);
		if ((k = da(b, ct, &rs->v[i], what, flag, v)) < 0)
			return k;
	}
	return 0;
}

/* labels and sysctls: a mapping's pairs or a list of "k=v", as --label/--sysctl k=v. */
static int map_flag(struct build *b, struct vg_container *ct, const struct svc *s,
		    const char *field, const char *flag, const char *svc)
{
	const struct refs *rs = &s->f[field_index(field)];
	int k;

	for (size_t i = 0; i < rs->n; i++) {
		const struct ref *r = &rs->v[i];
		_cleanup_free_ char *v = NULL, *kv = NULL, *what = NULL;
		what = vg_asprintf("services.%s.%s.%s", svc, field, r->key ? r->key : "?");
		if (r->n->type == YAML_SCALAR_NODE && is_null(r->n))
			v = vg_strdup("");
		else if ((k = scalar(b->x, r, what, &v)) < 0)
			return k;
		/* a list item is "k=v" already; a mapping's value is the value alone */
		kv = r->value_only ? vg_asprintf("%s=%s", r->key, v) : vg_strdup(v);
		if ((k = da(b, ct, r, what, flag, kv)) < 0)
			return k;
	}
	return 0;
}

/* "service:X": X must be a service of the project. */
/* secrets and configs outside a swarm: Compose binds the file of the top-level entry read-only,
 * at /run/secrets/NAME (secrets) or /NAME (configs) unless a target is given. */
static int file_mounts(struct build *b, struct vg_container *ct, const struct svc *s,
		       const char *field, const char *svc)
{
	struct ctx *x = b->x;
	const struct refs *rs = &s->f[field_index(field)];
	_cleanup_(map_free_p) struct map top = { 0 }, sect = { 0 };
	struct pair *p;
	int k;

	if (!rs->n)
		return 0;
	if ((k = flatten(x, b->main, b->main->root, "the compose file", &top, 0)) < 0)
		return k;
	p = map_find(&top, field);
	if (p && !is_null(p->v) && (k = flatten(x, b->main, p->v, field, &sect, 0)) < 0)
		return k;
	for (size_t i = 0; i < rs->n; i++) {
		const struct ref *r = &rs->v[i];
		_cleanup_free_ char *what = vg_asprintf("services.%s.%s[%zu]", svc, field, i);
		_cleanup_free_ char *src = NULL, *dst = NULL, *file = NULL, *abs = NULL,
				    *spec = NULL, *qs = NULL, *qd = NULL;
		_cleanup_(map_free_p) struct map em = { 0 };
		struct pair *q, *e;

		if (r->n->type == YAML_MAPPING_NODE) {
			_cleanup_(map_free_p) struct map im = { 0 };
			if ((k = flatten(x, r->f, r->n, what, &im, 0)) < 0)
				return k;
			if (!(q = map_find(&im, "source")))
				return yerr(x, r->f, r->n, "%s: 'source' is required", what);
			struct ref rq = { .f = r->f, .n = q->v };
			if ((k = scalar(x, &rq, what, &src)) < 0)
				return k;
			if ((q = map_find(&im, "target"))) {
				struct ref rt = { .f = r->f, .n = q->v };
				if ((k = scalar(x, &rt, what, &dst)) < 0)
					return k;
			}
		} else if ((k = scalar(x, r, what, &src)) < 0) {
			return k;
		}
		if (!(q = map_find(&sect, src)))
			return yerr(x, r->f, r->n, "%s: '%s' is not declared in the top-level '%s'",
				    what, src, field);
		if (!is_null(q->v) && (k = flatten(x, b->main, q->v, src, &em, 0)) < 0)
			return k;
		if (!(e = map_find(&em, "file")))
			return yerr(
			    x, b->main, q->k,
			    "cannot judge: %s '%s' has no 'file' (external and swarm %s are "
			    "not read)",
			    field, src, field);
		struct ref rf = { .f = b->main, .n = e->v };
		if ((k = scalar(x, &rf, "file", &file)) < 0)
			return k;
		abs = file[0] == '/' ? vg_strdup(file) : bind_source(b, &rf, file);
		if (file[0] != '/' && abs[0] != '/') {
			free(abs);
			abs = vg_asprintf("%s/%s", b->main->dir, file);
		}
		if (!dst)
			dst = strcmp(field, "secrets") == 0 ? vg_asprintf("/run/secrets/%s", src)
							    : vg_asprintf("/%s", src);
		else if (dst[0] != '/' && strcmp(field, "secrets") == 0) {
			char *t = vg_asprintf("/run/secrets/%s", dst);
			free(dst);
			dst = t;
		}
		qs = csvq(abs);
		qd = csvq(dst);
		spec = vg_asprintf("type=bind,source=%s,target=%s,readonly", qs, qd);
		if ((k = da(b, ct, r, what, "--mount", spec)) < 0)
			return k;
	}
	return 0;
}

static int service_ref(struct build *b, const struct ref *r, const char *what, const char *v,
		       size_t *ret)
{
	const char *svc = v + strlen("service:");

	for (size_t i = 0; i < b->out->n; i++)
		if (strcmp(b->out->v[i].name, svc) == 0)
			return *ret = i, 0;
	return yerr(b->x, r->f, r->n, "%s: '%s' names no service of this project", what, v);
}

static int build_service(struct build *b, size_t i)
{
	struct ctx *x = b->x;
	struct vg_compose_service *o = &b->out->v[i];
	struct vg_container *ct = &o->ct;
	const struct svc *s = &b->svcs[i];
	const char *svc = o->name;
	const struct ref *r;
	_cleanup_free_ char *v = NULL, *what = NULL;
	bool flag;
	int k;

	/* Compose's own labels, then the service's (which cannot override them). */
	_cleanup_free_ char *l1 = vg_asprintf("com.docker.compose.project=%s", x->project),
			    *l2 = vg_asprintf("com.docker.compose.service=%s", svc);
	vg_strv_push(&ct->labels, l1);
	vg_strv_push(&ct->labels, l2);
	vg_strv_push(&ct->labels, "com.docker.compose.container-number=1");
	vg_strv_push(&ct->labels, "com.docker.compose.oneoff=False");

	if ((k = field_str(b, s, "image", &v, &r)) < 0)
		return k;
	if (v) {
		ct->image = TAKE_PTR(v);
	} else if (s->f[field_index("build")].n) {
		ct->image = vg_asprintf("%s_%s", x->project, svc);
	} else {
		return vg_error_set(x->e, EINVAL,
				    "%s: service '%s' has neither an image nor a build context",
				    o->where, svc);
	}

	if ((k = field_str(b, s, "container_name", &v, &r)) < 0)
		return k;
	if (v) {
		if ((k = da(b, ct, r, "container_name", "--name", v)) < 0)
			return k;
		if (o->replicas > 1)
			return yerr(x, r->f, r->n,
				    "services.%s: a container_name cannot be used with %u replicas",
				    svc, o->replicas);
		free(v);
		v = NULL;
	} else {
		_cleanup_free_ char *n = vg_asprintf("%s_%s_1", x->project, svc);
		struct ref none = { .f = b->main, .n = NULL };
		if ((k = da(b, ct, &none, "container name", "--name", n)) < 0)
			return k;
	}
	free(o->container);
	o->container = vg_strdup(ct->name);

	static const struct {
		const char *field, *flag;
	} scalars[] = {
		{ "user", "--user" },
		{ "pid", "--pid" },
		{ "ipc", "--ipc" },
		{ "uts", "--uts" },
		{ "userns_mode", "--userns" },
		{ "runtime", "--runtime" },
		{ "volume_driver", "--volume-driver" },
	};
	for (size_t j = 0; j < VG_ARRAY_SIZE(scalars); j++) {
		if ((k = field_str(b, s, scalars[j].field, &v, &r)) < 0)
			return k;
		if (!v)
			continue;
		free(what);
		what = vg_asprintf("services.%s.%s", svc, scalars[j].field);
		if (strncmp(v, "service:", 8) != 0 &&
		    (k = da(b, ct, r, what, scalars[j].flag, v)) < 0)
			return k;
		free(v);
		v = NULL;
	}
	if ((k = field_str(b, s, "network_mode", &v, &r)) < 0)
		return k;
	if (v && strncmp(v, "service:", 8) != 0 &&
	    (k = da(b, ct, r, "network_mode", "--network", v)) < 0)
		return k;
	free(v);
	v = NULL;

	static const char *const bools[] = { "privileged", "read_only" };
	for (size_t j = 0; j < VG_ARRAY_SIZE(bools); j++) {
		const struct refs *rs = &s->f[field_index(bools[j])];
		free(what);
		what = vg_asprintf("services.%s.%s", svc, bools[j]);
		if (!rs->n)
			continue;
		if ((k = boolean(x, &rs->v[0], what, &flag)) < 0)
			return k;
		if (flag && (k = da(b, ct, &rs->v[0], what, j == 0 ? "--privileged" : "--read-only",
				    NULL)) < 0)
			return k;
	}
	if ((k = list_flag(b, ct, s, "cap_add", "--cap-add", svc)) < 0 ||
	    (k = list_flag(b, ct, s, "cap_drop", "--cap-drop", svc)) < 0 ||
	    (k = list_flag(b, ct, s, "security_opt", "--security-opt", svc)) < 0 ||
	    (k = list_flag(b, ct, s, "device_cgroup_rules", "--device-cgroup-rule", svc)) < 0 ||
	    (k = list_flag(b, ct, s, "tmpfs", "--tmpfs", svc)) < 0 ||
	    (k = list_flag(b, ct, s, "devices", "--device", svc)) < 0 ||
	    (k = map_flag(b, ct, s, "labels", "--label", svc)) < 0 ||
	    (k = map_flag(b, ct, s, "sysctls", "--sysctl", svc)) < 0 ||
	    (k = file_mounts(b, ct, s, "secrets", svc)) < 0 ||
	    (k = file_mounts(b, ct, s, "configs", svc)) < 0)
		return k;
	{
		const struct refs *rs = &s->f[field_index("volumes")];
		for (size_t j = 0; j < rs->n; j++) {
			free(what);
			what = vg_asprintf("services.%s.volumes[%zu]", svc, j);
			if ((k = add_volume(b, ct, &rs->v[j], what)) < 0)
				return k;
		}
	}
	return 0;
}

/* service:X references, once every service is built: network_mode, pid, ipc join X's
 * namespaces (host ones included); volumes_from takes X's mounts. */
static int finish_service(struct build *b, size_t i, int depth)
{
	struct vg_compose_service *o = &b->out->v[i];
	struct vg_container *ct = &o->ct;
	const struct svc *s = &b->svcs[i];
	static const char *const ns[] = { "network_mode", "pid", "ipc" };
	int k;

	if (depth > MAX_SERVICE_REFS)
		return vg_error_set(b->x->e, EINVAL,
				    "%s: service:X references nested deeper than %d (a cycle?)",
				    o->where, MAX_SERVICE_REFS);
	for (size_t j = 0; j < VG_ARRAY_SIZE(ns); j++) {
		_cleanup_free_ char *v = NULL;
		const struct ref *r;
		size_t t = 0;
		if ((k = field_str(b, s, ns[j], &v, &r)) < 0)
			return k;
		if (!v || strncmp(v, "service:", 8) != 0)
			continue;
		if ((k = service_ref(b, r, ns[j], v, &t)) < 0)
			return k;
		if ((k = finish_service(b, t, depth + 1)) < 0)
			return k;
		const struct vg_container *tc = &b->out->v[t].ct;
		if (j == 0)
			ct->host_net = ct->host_net || tc->host_net;
		else if (j == 1)
			ct->host_pid = ct->host_pid || tc->host_pid;
		else
			ct->host_ipc = ct->host_ipc || tc->host_ipc;
	}
	if (depth > 0)
		return 0; /* volumes_from is copied once, at the top */
	const struct refs *rs = &s->f[field_index("volumes_from")];
	for (size_t j = 0; j < rs->n; j++) {
		_cleanup_free_ char *v = NULL, *what = vg_asprintf("services.%s.volumes_from[%zu]",
								   o->name, j);
		const struct ref *r = &rs->v[j];
		const char *ref, *mode;
		size_t t = SIZE_MAX;
		bool ro;

		if ((k = scalar(b->x, r, what, &v)) < 0)
			return k;
		if (strncmp(v, "container:", 10) == 0) {
			if ((k = da(b, ct, r, what, "--volumes-from", v + 10)) < 0)
				return k;
			continue;
		}
		ref = strncmp(v, "service:", 8) == 0 ? v + 8 : v;
		mode = strchr(ref, ':');
		_cleanup_free_ char *name = strndup(ref, mode ? (size_t)(mode - ref) : strlen(ref));
		if (!name)
			abort();
		ro = mode && strcmp(mode, ":ro") == 0;
		if (mode && !ro && strcmp(mode, ":rw") != 0)
			return yerr(b->x, r->f, r->n, "%s: invalid mode '%s'", what, mode + 1);
		for (size_t n = 0; n < b->out->n; n++)
			if (strcmp(b->out->v[n].name, name) == 0)
				t = n;
		if (t == SIZE_MAX) {
			/* not a service: an existing container, as docker run --volumes-from */
			if ((k = da(b, ct, r, what, "--volumes-from", ref)) < 0)
				return k;
			continue;
		}
		if (t == i)
			return yerr(b->x, r->f, r->n, "%s: a service cannot take its own volumes",
				    what);
		const struct vg_container *tc = &b->out->v[t].ct;
		const struct svc *ts = &b->svcs[t];
		if (ts->f[field_index("volumes_from")].n)
			return yerr(b->x, r->f, r->n,
				    "cannot judge: %s: service '%s' takes volumes_from itself",
				    what, name);
		for (size_t m = 0; m < tc->n_mounts; m++) {
			const struct vg_mount *src = &tc->mounts[m];
			struct vg_mount *d;
			if (src->kind == VG_MOUNT_TMPFS)
				continue;
			d = vg_container_add_mount(ct);
			d->kind = src->kind;
			d->source = src->source ? vg_strdup(src->source) : NULL;
			d->destination = vg_strdup(src->destination);
			d->readonly = ro || src->readonly;
			d->propagation = src->propagation ? vg_strdup(src->propagation) : NULL;
			d->nonrecursive = src->nonrecursive;
			d->driver = src->driver ? vg_strdup(src->driver) : NULL;
			d->volume_type = src->volume_type ? vg_strdup(src->volume_type) : NULL;
			d->volume_o = src->volume_o ? vg_strdup(src->volume_o) : NULL;
			d->volume_device =
			    src->volume_device ? vg_strdup(src->volume_device) : NULL;
			d->origin =
			    vg_asprintf("%s %s: %s", what, v, src->origin ? src->origin : "");
		}
	}
	return 0;
}

static char *normalize_project(const char *s)
{
	char *o = vg_malloc0(strlen(s) + 1), *p = o;

	for (; *s; s++) {
		char c = (char)(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')
			*p++ = c;
	}
	return o;
}

static void ctx_free(struct ctx *x)
{
	for (size_t i = 0; i < x->n_files; i++)
		yfile_free(x->files[i]);
	vg_strv_free(x->dotenv);
	free(x->project);
}

void vg_compose_free(struct vg_compose *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].container);
		free(c->v[i].where);
		vg_container_free(&c->v[i].ct);
	}
	free(c->v);
	free(c->file);
	free(c->project);
	*c = (struct vg_compose){ 0 };
}

static int parse_project(struct ctx *x, struct yfile *f, struct vg_compose *ret)
{
	struct build b = { .x = x, .main = f, .out = ret };
	const struct map *svcs;
	const char *pn;
	int r;

	/* The project: -p, COMPOSE_PROJECT_NAME (environment, then .env), the directory. */
	if (x->o->project) {
		pn = x->o->project;
	} else if (!(pn = lookup(x, "COMPOSE_PROJECT_NAME", 20)) || !*pn) {
		_cleanup_free_ char *copy = vg_strdup(f->dir);
		x->project = normalize_project(basename(copy));
		pn = NULL;
	}
	if (pn)
		x->project = normalize_project(pn);
	if (!*x->project)
		return vg_error_set(x->e, EINVAL,
				    "%s: the project name is empty once normalized (give -p NAME)",
				    f->path);
	ret->project = vg_strdup(x->project);
	ret->file = vg_strdup(f->path);

	if ((r = services_map(x, f, &svcs)) < 0)
		return r;
	if ((r = read_volumes(&b)) < 0)
		goto out;
	b.svcs = vg_malloc0((svcs->n + 1) * sizeof(*b.svcs));
	ret->v = vg_malloc0((svcs->n + 1) * sizeof(*ret->v));
	for (size_t i = 0; i < svcs->n; i++) {
		struct vg_compose_service *o = &ret->v[ret->n++];
		struct chain ch[MAX_EXTENDS_DEPTH + 1];
		struct svc *s = &b.svcs[i];
		const struct refs *sc, *dp;
		uint64_t n = 1;

		o->name = vg_strdup(sval(svcs->v[i].k));
		o->where = where(f, svcs->v[i].k);
		o->replicas = 1;
		if (!vg_name_valid(o->name)) {
			r = yerr(x, f, svcs->v[i].k, "'%s' is not a valid service name", o->name);
			goto out;
		}
		if ((r = resolve(x, f, o->name, svcs->v[i].k, ch, 0, s)) < 0)
			goto out;
		sc = &s->f[field_index("scale")];
		dp = &s->f[field_index("deploy")];
		if (sc->n && (r = integer(x, &sc->v[0], "scale", 10000, &n)) < 0)
			goto out;
		if (dp->n) {
			_cleanup_(map_free_p) struct map dm = { 0 };
			struct pair *rp;
			if ((r = flatten(x, dp->v[0].f, dp->v[0].n, "deploy", &dm, 0)) < 0)
				goto out;
			if ((rp = map_find(&dm, "replicas"))) {
				struct ref rr = { .f = dp->v[0].f, .n = rp->v };
				if ((r = integer(x, &rr, "deploy.replicas", 10000, &n)) < 0)
					goto out;
			}
		}
		o->replicas = (unsigned)n;
	}
	for (size_t i = 0; i < ret->n; i++)
		if ((r = build_service(&b, i)) < 0)
			goto out;
	for (size_t i = 0; i < ret->n; i++)
		if ((r = finish_service(&b, i, 0)) < 0)
			goto out;
	r = 0;
out:
	for (size_t i = 0; b.svcs && i < svcs->n; i++)
		svc_free(&b.svcs[i]);
	free(b.svcs);
	for (size_t i = 0; i < b.n_vols; i++) {
		free(b.vols[i].key);
		free(b.vols[i].name);
		free(b.vols[i].driver);
		free(b.vols[i].type);
		free(b.vols[i].o);
		free(b.vols[i].device);
	}
	free(b.vols);
	return r;
}

static int parse_common(struct ctx *x, const char *text, size_t len, const char *path,
			struct vg_compose *ret)
{
	struct yfile *f = NULL;
	int r;

	*ret = (struct vg_compose){ 0 };
	if ((r = parse_text(x, text, len, path, &f)) < 0)
		return r;
	x->files[x->n_files++] = f;
	if (x->o->env_file) {
		if ((r = read_dotenv(x, x->o->env_file, true)) < 0)
			return r;
	} else {
		_cleanup_free_ char *dot = vg_asprintf("%s/.env", f->dir);
		if ((r = read_dotenv(x, dot, false)) < 0)
			return r;
	}
	if ((r = parse_project(x, f, ret)) < 0) {
		vg_compose_free(ret);
		return r;
	}
	return 0;
}

int vg_compose_parse(const char *text, size_t len, const char *path,
		     const struct vg_compose_opts *o, struct vg_compose *ret, struct vg_error *e)
{
	static const struct vg_compose_opts none = { 0 };
	struct ctx x = { .o = o ? o : &none, .e = e };
	int r = parse_common(&x, text, len, path, ret);

	ctx_free(&x);
	return r;
}

int vg_compose_load(const char *path, const struct vg_compose_opts *o, struct vg_compose *ret,
		    struct vg_error *e)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	*ret = (struct vg_compose){ 0 };
	if ((r = read_all(path, VG_COMPOSE_MAX_SIZE, &text, &len, e)) < 0)
		return r;
	return vg_compose_parse(text, len, path, o, ret, e);
}
