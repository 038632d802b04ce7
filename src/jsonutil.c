/* JSON field lookups with Go's key matching, and bounded loading. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "jsonutil.h"

/* Does JSON key `k` fold to ASCII key `want` the way Go's encoding/json compares them? */
static bool key_folds_to(const char *k, const char *want)
{
	const unsigned char *p = (const unsigned char *)k;

	for (; *want; want++) {
		unsigned char w = (unsigned char)tolower((unsigned char)*want);
		if (*p < 0x80) {
			if (tolower(*p) != w)
				return false;
			p++;
		} else if (p[0] == 0xc5 && p[1] == 0xbf && w == 's') { /* U+017F long s */
			p += 2;
		} else if (p[0] == 0xe2 && p[1] == 0x84 && p[2] == 0xaa && w == 'k') { /* Kelvin */
			p += 3;
		} else {
			return false;
		}
	}
	return *p == '\0';
}

int vg_json_get(json_t *obj, const char *key, json_t **ret, const char *what, struct vg_error *e)
{
	const char *k;
	json_t *v, *found = NULL;
	const char *found_key = NULL;

	*ret = NULL;
	if (!json_is_object(obj))
		return vg_error_set(e, EINVAL, "%s: not an object", *what ? what : "document");
	json_object_foreach(obj, k, v)
	{
		if (!key_folds_to(k, key))
			continue;
		if (found)
			return vg_error_set(e, EINVAL, "%s%s\"%s\" and \"%s\" both given", what,
					    *what ? ": " : "", found_key, k);
		found = v;
		found_key = k;
	}
	if (found && !json_is_null(found))
		*ret = found;
	return 0;
}

int vg_json_get_string(json_t *obj, const char *key, const char **ret, const char *what,
		       struct vg_error *e)
{
	json_t *v;
	int r = vg_json_get(obj, key, &v, what, e);
	if (r < 0 || !v)
		return r;
	if (!json_is_string(v))
		return vg_error_set(e, EINVAL, "%s%s%s: not a string", what, *what ? "." : "", key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return vg_error_set(e, EINVAL, "%s%s%s: contains a NUL byte", what,
				    *what ? "." : "", key);
	*ret = json_string_value(v);
	return 0;
}

int vg_json_get_bool(json_t *obj, const char *key, bool *ret, const char *what, struct vg_error *e)
{
	json_t *v;
	int r = vg_json_get(obj, key, &v, what, e);
	if (r < 0 || !v)
		return r;
	if (!json_is_boolean(v))
		return vg_error_set(e, EINVAL, "%s%s%s: not a boolean", what, *what ? "." : "",
				    key);
	*ret = json_is_true(v);
	return 0;
}

int vg_json_get_u32(json_t *obj, const char *key, uint32_t *ret, bool *found, const char *what,
		    struct vg_error *e)
{
	json_t *v;
	int r = vg_json_get(obj, key, &v, what, e);
	if (found)
		*found = false;
	if (r < 0 || !v)
		return r;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)UINT32_MAX)
		return vg_error_set(e, EINVAL, "%s%s%s: not an integer from 0 to 4294967295", what,
				    *what ? "." : "", key);
	*ret = (uint32_t)json_integer_value(v);
	if (found)
		*found = true;
	return 0;
}

int vg_json_get_array(json_t *obj, const char *key, json_t **ret, const char *what,
		      struct vg_error *e)
{
	int r = vg_json_get(obj, key, ret, what, e);
	if (r < 0 || !*ret)
		return r;
	if (!json_is_array(*ret)) {
		*ret = NULL;
		return vg_error_set(e, EINVAL, "%s%s%s: not an array", what, *what ? "." : "", key);
	}
	return 0;
}

int vg_json_get_object(json_t *obj, const char *key, json_t **ret, const char *what,
		       struct vg_error *e)
{
	int r = vg_json_get(obj, key, ret, what, e);
	if (r < 0 || !*ret)
		return r;
	if (!json_is_object(*ret)) {
		*ret = NULL;
		return vg_error_set(e, EINVAL, "%s%s%s: not an object", what, *what ? "." : "",
				    key);
	}
	return 0;
}

int vg_json_load_buf(const char *buf, size_t len, const char *what, json_t **ret,
		     struct vg_error *e)
{
	json_error_t je;

	*ret = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!*ret)
		return vg_error_set(e, EINVAL, "%s: line %d, column %d: %s", what, je.line,
				    je.column, je.text);
	return 0;
}

int vg_json_load_fd(int fd, size_t max, const char *what, json_t **ret, struct vg_error *e)
{
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	if (fstat(fd, &st) < 0)
		return vg_error_errno(e, errno, "%s: fstat", what);
	if (!S_ISREG(st.st_mode))
		return vg_error_set(e, EINVAL, "%s: not a regular file", what);
	if ((uint64_t)st.st_size > max)
		return vg_error_set(e, EFBIG, "%s: larger than %zu bytes", what, max);
	buf = vg_malloc0((size_t)st.st_size + 1);
	/* Read to EOF but never past the cap, even if the file grows meanwhile. */
	for (;;) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vg_error_errno(e, errno, "%s: read", what);
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > (size_t)st.st_size)
			return vg_error_set(e, EFBIG, "%s: changed while reading", what);
	}
	return vg_json_load_buf(buf, len, what, ret, e);
}

int vg_json_string_array(json_t *a, const char *what, char ***out, struct vg_error *e)
{
	size_t i;
	json_t *v;

	if (!a)
		return 0;
	if (!json_is_array(a))
		return vg_error_set(e, EINVAL, "%s: not an array", what);
	json_array_foreach(a, i, v)
	{
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return vg_error_set(e, EINVAL, "%s[%zu]: not a string", what, i);
		vg_strv_push(out, json_string_value(v));
	}
	return 0;
}

void vg_error_prefix(struct vg_error *e, const char *prefix)
{
	size_t p, m;

	if (!e)
		return;
	p = strlen(prefix);
	m = strnlen(e->msg, sizeof(e->msg) - 1);
	if (p >= sizeof(e->msg) - 1)
		p = sizeof(e->msg) - 1;
	if (p + m > sizeof(e->msg) - 1)
		m = sizeof(e->msg) - 1 - p;
	memmove(e->msg + p, e->msg, m);
	memcpy(e->msg, prefix, p);
	e->msg[p + m] = '\0';
}
