/* Small helpers shared by every module. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "vg.h"

int vg_parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0')
		return -EINVAL;
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int vg_parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < VG_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

bool vg_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 255 || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		/* isalnum() is locale-dependent; Docker's rule is ASCII. */
		if (!(c < 128 && (isalnum(c) || c == '_' || c == '.' || c == '-')))
			return false;
	}
	return true;
}

static void oom(void)
{
	fputs("volguard: out of memory\n", stderr);
	abort();
}

char *vg_strdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		oom();
	return d;
}

void *vg_malloc0(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *vg_reallocarray(void *p, size_t n, size_t size)
{
	void *q = reallocarray(p, n ? n : 1, size);
	if (!q)
		oom();
	return q;
}

void *vg_array_grow(void *p, size_t n, size_t size)
{
	/* Capacity is 1, 2, 4, 8...: grow exactly when n reaches a power of two (or is 0). */
	if (n != 0 && (n & (n - 1)) != 0)
		return p;
	return vg_reallocarray(p, n ? 2 * n : 1, size);
}

char *vg_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		oom();
	return s;
}

void vg_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

size_t vg_strv_length(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

void vg_strv_push(char ***v, const char *s)
{
	size_t n = vg_strv_length(*v);
	char **nv = vg_reallocarray(*v, n + 2, sizeof(char *));
	nv[n] = vg_strdup(s);
	nv[n + 1] = NULL;
	*v = nv;
}

bool vg_strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int vg_replace_file_at(int dir_fd, const char *name, const char *tmp, const char *data, size_t len,
		       unsigned mode, const char **ret_step)
{
	const char *step = "create";
	int fd, r = 0;

	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
		    0600);
	if (fd < 0) {
		*ret_step = step;
		return -errno;
	}
	/* fchmod, not the open mode: the umask must neither narrow nor widen it. */
	if (fchmod(fd, (mode_t)mode) < 0) {
		r = -errno;
		step = "fchmod";
	} else if ((r = write_all(fd, data, len)) < 0) {
		step = "write";
	} else if (fsync(fd) < 0) {
		r = -errno;
		step = "fsync";
	}
	close(fd);
	if (r == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0) {
		r = -errno;
		step = "rename";
	}
	if (r < 0) {
		unlinkat(dir_fd, tmp, 0);
		*ret_step = step;
		return r;
	}
	if (fsync(dir_fd) < 0) {
		*ret_step = "fsync of the directory";
		return -errno;
	}
	return 0;
}

int vg_read_fd(int fd, size_t max, char **ret, size_t *ret_len, struct stat *ret_st)
{
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	buf = vg_malloc0((size_t)st.st_size + 2);
	/* Read to EOF but never past the size seen, even if the file grows meanwhile. */
	for (;;) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > (size_t)st.st_size)
			return -EFBIG;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	if (ret_st)
		*ret_st = st;
	return 0;
}

int vg_read_file_at(int dir_fd, const char *name, size_t max, char **ret, size_t *ret_len,
		    struct stat *ret_st)
{
	_cleanup_close_ int fd =
	    openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	return vg_read_fd(fd, max, ret, ret_len, ret_st);
}

ssize_t vg_read_proc_file(int dir_fd, const char *name, char *buf, size_t size)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	size_t len = 0;
	ssize_t r = 0;

	if (fd < 0)
		return -errno;
	if (size == 0) {
		close(fd);
		return -EINVAL;
	}
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return r < 0 ? r : (ssize_t)len;
}

FILE *vg_fopen_regular(const char *path)
{
	struct stat st;
	FILE *f;
	int fd;

	/* O_NONBLOCK: a FIFO put in place of /etc/subuid must not hang us in open(). */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	f = fdopen(fd, "re");
	if (!f) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return f;
}

/* Length of the valid UTF-8 sequence at p (1..4) and its code point, or 0 when it is not one
 * (overlong forms, surrogates and code points above U+10FFFF are not). */
static size_t utf8_decode(const unsigned char *p, unsigned *ret_cp)
{
	size_t n;
	unsigned cp;

	if (p[0] < 0x80) {
		*ret_cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0)
		n = 2, cp = p[0] & 0x1f;
	else if ((p[0] & 0xf0) == 0xe0)
		n = 3, cp = p[0] & 0x0f;
	else if ((p[0] & 0xf8) == 0xf0)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		/* A NUL ends the string here: (0 & 0xc0) != 0x80, so no read past it. */
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

/*
 * Code points that change what a reader sees without being seen: the bidirectional controls
 * (an RLO makes "/etc/ok" read backwards), the line and paragraph separators (a line break
 * in some viewers), and the zero-width characters (a "/etc" that is not /etc).
 */
static bool invisible(unsigned cp)
{
	return cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

char *vg_escape(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	/* No input byte grows past four output bytes ("\\xNN"; a 2- or 3-byte character becomes
	 * at most "\\xNN\\xNN" or "\\u{NNNN}", a 4-byte one at most 9 bytes). */
	size_t len = strlen((const char *)p), room = 4 * len + 1;
	char *buf = vg_malloc0(room), *o = buf;

	while (*p) {
		unsigned cp = 0;
		size_t n = utf8_decode(p, &cp);

		if (n == 0) { /* not UTF-8: the byte itself, so that nothing is lost */
			o += sprintf(o, "\\x%02x", *p);
			n = 1;
		} else if (cp == '\\' || cp == '\n' || cp == '\t' || cp == 0x1b) {
			*o++ = '\\';
			*o++ = (char)(cp == '\\'   ? '\\'
				      : cp == '\n' ? 'n'
				      : cp == '\t' ? 't'
						   : 'e');
		} else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
			for (size_t i = 0; i < n; i++) /* C0, DEL, C1: the bytes as they are */
				o += sprintf(o, "\\x%02x", p[i]);
		} else if (invisible(cp)) {
			o += sprintf(o, "\\u{%04x}", cp);
		} else {
			memcpy(o, p, n);
			o += n;
		}
		p += n;
	}
	*o = '\0';
	return buf;
}

int vg_read_error(struct vg_error *e, int r, const char *what, size_t max)
{
	if (r == -EINVAL)
		return vg_error_set(e, EINVAL, "%s: not a regular file", what);
	if (r == -EFBIG)
		return vg_error_set(e, EFBIG, "%s: larger than %zu bytes (or grew while read)",
				    what, max);
	return vg_error_errno(e, -r, "%s: cannot read", what);
}
