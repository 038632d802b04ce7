/*
 * The registry file. Rules this file keeps:
 *  - the state dir and every file in it are opened relative to a checked directory descriptor,
 *    with O_NOFOLLOW, and refused unless root owns them and nobody else can write them;
 *  - writers hold an exclusive flock on ranges.lock for the whole read-modify-write;
 *  - the file is only ever replaced by rename(2) of a complete, fsynced file: a crash at any
 *    point leaves the old registry or the new one;
 *  - a line that does not parse, or two lines that overlap, fail closed: nothing is allocated
 *    and nothing is rewritten.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "identity.h"
#include "ranges.h"
#include "registry.h"

#define REGISTRY_FILE	"ranges"
#define REGISTRY_TMP	".ranges.new"
#define QUARANTINE_FILE "quarantine"
#define QUARANTINE_TMP	".quarantine.new"
#define LOCK_FILE	"ranges.lock"

void vg_registry_init(struct vg_registry *r)
{
	memset(r, 0, sizeof(*r));
	r->dir_fd = -1;
	r->lock_fd = -1;
}

/* Strings of parsed lines live in the registry's arena; only the others are freed one by one. */
static bool in_arena(const struct vg_registry *r, const char *p)
{
	return r->arena && p >= r->arena && p < r->arena + r->arena_len;
}

static void arena_free(const struct vg_registry *r, char *p)
{
	if (!in_arena(r, p))
		free(p);
}

static void range_free(const struct vg_registry *r, struct vg_range *rg)
{
	arena_free(r, rg->name);
	for (size_t i = 0; i < rg->n_meta; i++) {
		arena_free(r, rg->meta[i].key);
		arena_free(r, rg->meta[i].value);
	}
	free(rg->meta);
}

void vg_registry_close(struct vg_registry *r)
{
	for (size_t i = 0; i < r->n; i++)
		range_free(r, &r->ranges[i]);
	free(r->ranges);
	free(r->arena);
	free(r->path);
	if (r->quarantine) {
		vg_registry_close(r->quarantine);
		free(r->quarantine);
	}
	if (r->lock_fd >= 0)
		close(r->lock_fd); /* releases the flock */
	if (r->dir_fd >= 0)
		close(r->dir_fd);
	vg_registry_init(r);
}

static bool meta_key_valid(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!(islower((unsigned char)*k) || isdigit((unsigned char)*k) || *k == '_'))
			return false;
	return true;
}

static bool meta_value_valid(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (*v <= ' ' || *v >= 127 || *v == '#')
			return false;
	return true;
}

/* Set k=v; with `borrow`, k and v are arena strings kept as they are, else copied. */
static void meta_put(const struct vg_registry *r, struct vg_range *rg, char *k, char *v,
		     bool borrow)
{
	for (size_t i = 0; i < rg->n_meta; i++)
		if (strcmp(rg->meta[i].key, k) == 0) {
			arena_free(r, rg->meta[i].value);
			rg->meta[i].value = borrow ? v : vg_strdup(v);
			return;
		}
	rg->meta = vg_reallocarray(rg->meta, rg->n_meta + 1, sizeof(*rg->meta));
	rg->meta[rg->n_meta].key = borrow ? k : vg_strdup(k);
	rg->meta[rg->n_meta].value = borrow ? v : vg_strdup(v);
	rg->n_meta++;
}

const char *vg_range_get_meta(const struct vg_range *rg, const char *key)
{
	for (size_t i = 0; i < rg->n_meta; i++)
		if (strcmp(rg->meta[i].key, key) == 0)
			return rg->meta[i].value;
	return NULL;
}

#define SECONDS_PER_DAY 86400

/* released=TIME of a quarantined range; a missing or unreadable one counts as now. */
int64_t vg_range_released_at(const struct vg_range *q)
{
	const char *v = vg_range_get_meta(q, "released");
	struct tm tm = { 0 };
	const char *end = v ? strptime(v, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;

	if (!end || *end)
		return (int64_t)time(NULL);
	return (int64_t)timegm(&tm);
}

int64_t vg_quarantine_until(const struct vg_registry *r, const struct vg_range *q)
{
	return vg_range_released_at(q) + (int64_t)r->quarantine_days * SECONDS_PER_DAY;
}

int vg_range_set_meta(struct vg_registry *r, struct vg_range *rg, const char *key,
		      const char *value, struct vg_error *e)
{
	const char *old = vg_range_get_meta(rg, key);

	if (!meta_key_valid(key) || !meta_value_valid(value))
		return vg_error_set(e, EINVAL, "invalid registry metadata %s=%s", key, value);
	if (old && strcmp(old, value) == 0)
		return 0;
	meta_put(r, rg, (char *)key, (char *)value, false);
	r->dirty = true;
	return 0;
}

static struct vg_range *push_range(struct vg_registry *r)
{
	if (r->n == r->n_alloc) {
		r->n_alloc = r->n_alloc ? 2 * r->n_alloc : 64;
		r->ranges = vg_reallocarray(r->ranges, r->n_alloc, sizeof(*r->ranges));
	}
	memset(&r->ranges[r->n], 0, sizeof(r->ranges[0]));
	return &r->ranges[r->n++];
}

/*
 * Parse one line (NUL-terminated, no newline) into rg; returns a static reason or NULL. With
 * `borrow`, the line lives in the registry's arena and rg points into it.
 */
static const char *parse_line(const struct vg_registry *r, char *line, struct vg_range *rg,
			      bool borrow)
{
	char *hash = strchr(line, '#');
	char *f1, *f2, *f3, *save = NULL;

	if (hash) {
		*hash = '\0';
		for (char *t = strtok_r(hash + 1, " \t", &save); t;
		     t = strtok_r(NULL, " \t", &save)) {
			char *eq = strchr(t, '=');
			if (!eq)
				return "metadata must be key=value";
			*eq = '\0';
			if (!meta_key_valid(t) || !meta_value_valid(eq + 1))
				return "invalid metadata key or value";
			meta_put(r, rg, t, eq + 1, borrow);
		}
	}
	/* Trailing blanks before the comment. */
	for (size_t n = strlen(line); n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'); n--)
		line[n - 1] = '\0';
	f1 = line;
	f2 = strchr(f1, ':');
	if (!f2)
		return "expected name:start:count";
	*f2++ = '\0';
	f3 = strchr(f2, ':');
	if (!f3)
		return "expected name:start:count";
	*f3++ = '\0';
	if (!vg_identity_valid(f1))
		return "invalid name (Docker's rule: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 255 "
		       "bytes; or an identity KIND/A/B of two such names)";
	if (vg_parse_u64(f2, UINT32_MAX, &rg->start) < 0)
		return "start is not a number in 0..4294967295";
	if (vg_parse_u64(f3, UINT32_MAX, &rg->count) < 0 || rg->count == 0)
		return "count is not a number in 1..4294967295";
	if (rg->start + rg->count - 1 >= UINT32_MAX)
		return "range wraps past 4294967294";
	if (rg->start < 65536)
		return "range overlaps the system IDs 0..65535";
	rg->name = borrow ? f1 : vg_strdup(f1);
	return NULL;
}

static int cmp_by_start(const void *a, const void *b)
{
	const struct vg_range *const *x = a, *const *y = b;
	if ((*x)->start != (*y)->start)
		return (*x)->start < (*y)->start ? -1 : 1;
	return 0;
}

/* FNV-1a: a table of names to find duplicates in linear time on large registries. */
static uint64_t name_hash(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return h;
}

/* Two lines that overlap, or name the same container: fail closed. */
static int check_consistency(const struct vg_registry *r, const char *path, struct vg_error *e)
{
	_cleanup_free_ struct vg_range **v = NULL;
	_cleanup_free_ struct vg_range **table = NULL;
	size_t size = 16;

	if (r->n < 2)
		return 0;
	v = vg_reallocarray(NULL, r->n, sizeof(struct vg_range *));
	for (size_t i = 0; i < r->n; i++)
		v[i] = &r->ranges[i];
	qsort(v, r->n, sizeof(struct vg_range *), cmp_by_start);
	for (size_t i = 1; i < r->n; i++)
		if (v[i]->start <= v[i - 1]->start + v[i - 1]->count - 1)
			return vg_error_set(e, EINVAL,
					    "%s:%u: range of '%s' overlaps line %u ('%s'); "
					    "fix the registry by hand",
					    path, v[i]->line, v[i]->name, v[i - 1]->line,
					    v[i - 1]->name);
	if (r->multi_names)
		return 0;
	while (size < 2 * r->n)
		size *= 2;
	table = vg_malloc0(size * sizeof(struct vg_range *));
	for (size_t i = 0; i < r->n; i++) { /* in file order: the later line is reported */
		const struct vg_range *rg = &r->ranges[i];
		size_t k = (size_t)name_hash(rg->name) & (size - 1);
		for (; table[k]; k = (k + 1) & (size - 1))
			if (strcmp(table[k]->name, rg->name) == 0)
				return vg_error_set(e, EINVAL,
						    "%s:%u: '%s' already has a range on line %u",
						    path, rg->line, rg->name, table[k]->line);
		table[k] = (struct vg_range *)rg;
	}
	return 0;
}

/* Parse `copy` (len bytes and a writable copy[len]), cutting it into lines in place. */
static int parse_text(struct vg_registry *r, char *copy, size_t len, bool borrow, const char *path,
		      struct vg_error *e)
{
	unsigned lineno = 0;
	size_t pos = 0, lines = 1;

	/* Size the array once: a registry of 10,000 lines is read on every container start. */
	for (const char *p = copy, *end = copy + len, *nl; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		lines++;
	}
	if (r->n + lines > r->n_alloc) {
		r->n_alloc = r->n + lines;
		r->ranges = vg_reallocarray(r->ranges, r->n_alloc, sizeof(*r->ranges));
	}
	while (pos < len) {
		char *line = copy + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		const char *p, *why;
		struct vg_range *rg;

		lineno++;
		if (memchr(line, '\0', n))
			return vg_error_set(e, EINVAL, "%s:%u: NUL byte in registry", path, lineno);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);
		p = line + strspn(line, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		if (p != line)
			return vg_error_set(e, EINVAL, "%s:%u: leading white space", path, lineno);
		rg = push_range(r);
		rg->line = lineno;
		why = parse_line(r, line, rg, borrow);
		if (why) {
			range_free(r, rg);
			r->n--;
			return vg_error_set(e, EINVAL, "%s:%u: %s", path, lineno, why);
		}
	}
	return check_consistency(r, path, e);
}

/*
 * Parse `copy` and take it: with use_arena it becomes the registry's arena (names and metadata
 * point into it and are not allocated one by one: 10,000 lines are read on every container
 * start); otherwise it is freed.
 */
static int parse_owned(struct vg_registry *r, char *copy, size_t len, bool use_arena,
		       const char *path, struct vg_error *e)
{
	bool borrow = use_arena && !r->arena;
	int rc;

	if (borrow) {
		r->arena = copy;
		r->arena_len = len + 1;
	}
	rc = parse_text(r, copy, len, borrow, path, e);
	if (!borrow)
		free(copy);
	return rc;
}

int vg_registry_parse(struct vg_registry *r, const char *buf, size_t len, const char *path,
		      struct vg_error *e)
{
	char *copy = vg_malloc0(len + 1);

	/* Ranges parsed here own their strings: callers may move them to another registry. */
	memcpy(copy, buf, len);
	return parse_owned(r, copy, len, false, path, e);
}

/* A growing text buffer: formatting 10,000 lines with stdio costs more than the parse. */
struct text {
	char *buf;
	size_t len, size;
};

static void text_put(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->size) {
		while (t->len + n + 1 > t->size)
			t->size = t->size ? 2 * t->size : 4096;
		t->buf = vg_reallocarray(t->buf, t->size, 1);
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

static void text_puts(struct text *t, const char *s)
{
	text_put(t, s, strlen(s));
}

static void text_putu(struct text *t, uint64_t v)
{
	char d[24];
	size_t i = sizeof(d);

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	text_put(t, d + i, sizeof(d) - i);
}

char *vg_registry_format(const struct vg_registry *r)
{
	struct text t = { 0 };

	text_puts(&t, "# volguard registry: name:start:count # metadata. Written by volguard; "
		      "see volguard(8).\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct vg_range *rg = &r->ranges[i];
		text_puts(&t, rg->name);
		text_put(&t, ":", 1);
		text_putu(&t, rg->start);
		text_put(&t, ":", 1);
		text_putu(&t, rg->count);
		for (size_t j = 0; j < rg->n_meta; j++) {
			text_puts(&t, j == 0 ? " # " : " ");
			text_puts(&t, rg->meta[j].key);
			text_put(&t, "=", 1);
			text_puts(&t, rg->meta[j].value);
		}
		text_put(&t, "\n", 1);
	}
	return t.buf;
}

/* Refuse a state file or dir that root does not own or others can write. */
static int check_trusted_stat(const struct stat *st, const char *what, const char *path,
			      mode_t type, struct vg_error *e)
{
	if ((st->st_mode & S_IFMT) != type)
		return vg_error_set(e, EINVAL, "%s: %s is not a %s", path, what,
				    type == S_IFDIR ? "directory" : "regular file");
	if (st->st_uid != 0)
		return vg_error_set(e, EPERM, "%s: %s is owned by UID %u, not root; refusing it",
				    path, what, (unsigned)st->st_uid);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return vg_error_set(
		    e, EPERM, "%s: %s is writable by group or others (mode %04o); refusing it",
		    path, what, (unsigned)(st->st_mode & 07777));
	if (type == S_IFREG && st->st_nlink != 1)
		return vg_error_set(e, EPERM, "%s: %s has %lu hard links; refusing it", path, what,
				    (unsigned long)st->st_nlink);
	return 0;
}

static int check_trusted(int fd, const char *what, const char *path, mode_t type,
			 struct vg_error *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return vg_error_errno(e, errno, "%s: fstat", path);
	return check_trusted_stat(&st, what, path, type, e);
}

/* A state file that could not be opened: say why in the terms of the rules, if one applies. */
static int open_failed(int dir_fd, const char *name, const char *what, const char *path,
		       struct vg_error *e)
{
	int err = errno;
	struct stat st;

	if (err == ELOOP)
		return vg_error_set(e, ELOOP, "%s: %s is a symbolic link; refusing it", path, what);
	if ((err == EACCES || err == EPERM) &&
	    fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    check_trusted_stat(&st, what, path, (mode_t)(st.st_mode & S_IFMT), e) < 0)
		return -e->code;
	return vg_error_errno(e, err, "%s: cannot open %s", path, what);
}

static bool trusted_ancestor(int fd, const char *path, const char *component, struct vg_error *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		vg_error_errno(e, errno, "%s: fstat of '%s'", path, component);
		return false;
	}
	if (st.st_uid != 0 || ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))) {
		vg_error_set(e, EPERM,
			     "%s: '%s' is owned by UID %u with mode %04o: others could replace the "
			     "state dir; refusing it",
			     path, component, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return false;
	}
	return true;
}

/* Open (and for writers create) the state dir, one component at a time, never following. */
static int open_state_dir(const char *path, bool create, struct vg_error *e)
{
	_cleanup_free_ char *copy = vg_strdup(path);
	_cleanup_close_ int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *save = NULL;

	if (fd < 0)
		return vg_error_errno(e, errno, "open /");
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next;
		if (strcmp(c, "..") == 0)
			return vg_error_set(e, EINVAL, "%s: state_dir must not contain '..'", path);
		next = openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST)
				return vg_error_errno(e, errno, "%s: cannot create state dir",
						      path);
			next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			/* 0755 whatever the umask: the registry is for everyone to read. */
			if (next >= 0 && fchmod(next, 0755) < 0) {
				close(next);
				return vg_error_errno(e, errno, "%s: fchmod", path);
			}
		}
		if (next < 0) {
			if (errno == ENOTDIR || errno == ELOOP)
				return vg_error_set(
				    e, ELOOP,
				    "%s: '%s' is a symbolic link or not a directory; "
				    "refusing it",
				    path, c);
			return vg_error_errno(e, errno, "%s: cannot open state dir", path);
		}
		close(fd);
		fd = next;
		/*
		 * Whoever can write a parent can swap the state dir for their own: every ancestor
		 * must be root's and not writable by others (a sticky /tmp is fine).
		 */
		if (!trusted_ancestor(fd, path, c, e))
			return -e->code;
	}
	/* Reopen for real (O_PATH cannot fsync or be used for *at writes on all kernels). */
	{
		int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0)
			return vg_error_errno(e, errno, "%s: open", path);
		return dfd;
	}
}

static int read_all(int fd, const char *path, char **ret, size_t *ret_len, struct vg_error *e)
{
	int r = vg_read_fd(fd, VG_REGISTRY_MAX_SIZE, ret, ret_len, NULL);

	if (r == -EFBIG)
		return vg_error_set(e, EFBIG, "%s: registry larger than %u bytes", path,
				    VG_REGISTRY_MAX_SIZE);
	if (r == -EINVAL)
		return vg_error_set(e, EINVAL, "%s: not a regular file", path);
	return r < 0 ? vg_error_errno(e, -r, "%s: read", path) : 0;
}

/* Read state file `name` (missing: empty) into r, through the checked state dir. */
static int read_state_file(int dir_fd, const char *name, const char *what, const char *path,
			   struct vg_registry *r, struct vg_error *e)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int rc;

	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return open_failed(dir_fd, name, what, path, e);
	rc = check_trusted(fd, what, path, S_IFREG, e);
	if (rc < 0)
		return rc;
	rc = read_all(fd, path, &buf, &len, e);
	if (rc < 0)
		return rc;
	return parse_owned(r, TAKE_PTR(buf), len, !r->multi_names, path, e);
}

static bool overlaps(const struct vg_range *a, const struct vg_range *b)
{
	return a->start < b->start + b->count && b->start < a->start + a->count;
}

/*
 * The quarantine beside the registry. A quarantined range that the registry also holds is
 * left over from a crash between the two writes (see commit): the registry wins. Writers drop
 * what has served its time.
 */
static int open_quarantine(struct vg_registry *r, const struct vg_config *c, bool write,
			   struct vg_error *e)
{
	_cleanup_free_ char *path = vg_asprintf("%s/%s", c->state_dir, QUARANTINE_FILE);
	struct vg_registry *q = vg_malloc0(sizeof(*q));
	int64_t now = (int64_t)time(NULL);
	int rc;

	vg_registry_init(q);
	q->multi_names = true;
	q->path = TAKE_PTR(path);
	q->quarantine_days = c->quarantine_days;
	r->quarantine = q;
	rc = read_state_file(r->dir_fd, QUARANTINE_FILE, "quarantine", q->path, q, e);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < q->n;) {
		struct vg_range *qr = &q->ranges[i];
		bool drop = false;

		for (size_t j = 0; j < r->n && !drop; j++)
			drop = overlaps(qr, &r->ranges[j]);
		if (!drop && write)
			drop = vg_quarantine_until(q, qr) <= now;
		if (drop)
			vg_registry_remove(q, qr);
		else
			i++;
	}
	if (!write)
		q->dirty = false;
	return 0;
}

static int registry_open(struct vg_registry *r, const struct vg_config *c,
			 enum vg_registry_mode mode, struct vg_error *e)
{
	bool write = mode == VG_REGISTRY_WRITE;
	_cleanup_free_ char *lock_path = vg_asprintf("%s/%s", c->state_dir, LOCK_FILE);
	int rc;

	vg_registry_init(r);
	r->path = vg_asprintf("%s/%s", c->state_dir, REGISTRY_FILE);
	r->quarantine_days = c->quarantine_days;
	rc = open_state_dir(c->state_dir, write, e);
	if (rc == -ENOENT && !write)
		return 0; /* nothing allocated yet */
	if (rc < 0)
		return rc;
	r->dir_fd = rc;
	rc = check_trusted(r->dir_fd, "state dir", c->state_dir, S_IFDIR, e);
	if (rc < 0)
		return rc;

	/*
	 * Writers serialize on the lock. Readers need none: the file is only ever replaced whole
	 * by rename(2), so the descriptor they open reads one complete version; and a lock that
	 * anyone may take is a lock anyone may hold forever.
	 */
	if (write) {
		r->lock_fd = openat(r->dir_fd, LOCK_FILE,
				    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
		if (r->lock_fd < 0)
			return open_failed(r->dir_fd, LOCK_FILE, "lock file", lock_path, e);
		rc = check_trusted(r->lock_fd, "lock file", lock_path, S_IFREG, e);
		if (rc < 0)
			return rc;
		while (flock(r->lock_fd, LOCK_EX) < 0)
			if (errno != EINTR)
				return vg_error_errno(e, errno, "%s: flock", lock_path);
	}

	rc = read_state_file(r->dir_fd, REGISTRY_FILE, "registry", r->path, r, e);
	if (rc >= 0)
		rc = open_quarantine(r, c, write, e);
	return rc;
}

int vg_registry_open(struct vg_registry *r, const struct vg_config *c, enum vg_registry_mode mode,
		     struct vg_error *e)
{
	int rc = registry_open(r, c, mode, e);

	/* A registry that failed to open holds nothing: no caller has to close it. */
	if (rc < 0)
		vg_registry_close(r);
	return rc;
}

static int write_state_file(int dir_fd, struct vg_registry *r, const char *name, const char *tmp,
			    struct vg_error *e)
{
	_cleanup_free_ char *text = vg_registry_format(r);
	const char *step = NULL;
	int rc;

	if (!text)
		return vg_error_set(e, ENOMEM, "out of memory");
	/* We hold the lock, so a fixed temporary name is ours; a stale one is from a crash. */
	if (unlinkat(dir_fd, tmp, 0) < 0 && errno != ENOENT)
		return vg_error_errno(e, errno, "%s: cannot remove stale %s", r->path, tmp);
	rc = vg_replace_file_at(dir_fd, name, tmp, text, strlen(text), 0644, &step);
	if (rc < 0)
		return vg_error_errno(e, rc, "%s: cannot replace it (%s)", r->path, step);
	r->dirty = false;
	return 0;
}

/*
 * Two files, two renames: the order makes a crash between them leave a range in both files
 * (the registry wins when both are read), never in neither (free before its time). A release
 * adds to the quarantine first; a reuse from quarantine adds to the registry first.
 */
int vg_registry_commit(struct vg_registry *r, struct vg_error *e)
{
	struct vg_registry *q = r->quarantine;
	int rc = 0;

	if (!r->dirty && !(q && q->dirty))
		return 0;
	if (r->dir_fd < 0 || r->lock_fd < 0)
		return vg_error_set(e, EBADF, "%s: registry not open for writing", r->path);
	if (q && q->dirty && !r->q_reused)
		rc = write_state_file(r->dir_fd, q, QUARANTINE_FILE, QUARANTINE_TMP, e);
	if (rc >= 0 && r->dirty)
		rc = write_state_file(r->dir_fd, r, REGISTRY_FILE, REGISTRY_TMP, e);
	if (rc >= 0 && q && q->dirty)
		rc = write_state_file(r->dir_fd, q, QUARANTINE_FILE, QUARANTINE_TMP, e);
	if (rc >= 0)
		r->q_reused = false;
	return rc;
}

struct vg_range *vg_registry_find(const struct vg_registry *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->ranges[i].name, name) == 0)
			return &r->ranges[i];
	return NULL;
}

struct vg_range *vg_registry_find_id(const struct vg_registry *r, uint64_t id)
{
	for (size_t i = 0; i < r->n; i++)
		if (id >= r->ranges[i].start && id - r->ranges[i].start < r->ranges[i].count)
			return &r->ranges[i];
	return NULL;
}

bool vg_range_bound_to(const struct vg_range *rg, const char *id)
{
	const char *v = vg_range_get_meta(rg, "container");
	size_t n = id ? strlen(id) : 0;

	for (const char *p = v; p && n; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, id, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

struct vg_range *vg_registry_find_container(const struct vg_registry *r, const char *id)
{
	for (size_t i = 0; id && i < r->n; i++)
		if (vg_range_bound_to(&r->ranges[i], id))
			return &r->ranges[i];
	return NULL;
}

struct vg_range *vg_registry_add(struct vg_registry *r, const char *name, uint64_t start,
				 uint64_t count)
{
	struct vg_range *rg = push_range(r);

	rg->name = vg_strdup(name);
	rg->start = start;
	rg->count = count;
	r->dirty = true;
	return rg;
}

void vg_registry_remove(struct vg_registry *r, struct vg_range *rg)
{
	size_t i = (size_t)(rg - r->ranges);

	range_free(r, rg);
	memmove(&r->ranges[i], &r->ranges[i + 1], (r->n - i - 1) * sizeof(r->ranges[0]));
	r->n--;
	r->dirty = true;
}

int vg_registry_rename(struct vg_registry *r, struct vg_range *rg, const char *name,
		       struct vg_error *e)
{
	const struct vg_range *other = vg_registry_find(r, name);

	if (!vg_identity_valid(name))
		return vg_error_set(e, EINVAL, "'%.300s' is not a valid registry name", name);
	if (other == rg)
		return 0;
	if (other)
		return vg_error_set(e, EEXIST, "'%.300s' already has a range", name);
	arena_free(r, rg->name);
	rg->name = vg_strdup(name);
	r->dirty = true;
	return 0;
}
