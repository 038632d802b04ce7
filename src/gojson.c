/* JSON field lookups with Go's key matching, and bounded loading. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "gojson.h"

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

const char *vg_json_key(json_t *obj, const char *key)
{
	const char *k;
	json_t *v;

	if (!json_is_object(obj))
		return NULL;
	/* Go prefers the exact name; with case duplicates refused there is only one anyway. */
	if (json_object_get(obj, key))
		return json_object_iter_key(json_object_iter_at(obj, key));
	json_object_foreach(obj, k, v)
	{
		if (key_folds_to(k, key))
			return k;
	}
	return NULL;
}

json_t *vg_json_member(json_t *obj, const char *key)
{
	const char *k = vg_json_key(obj, key);
	return k ? json_object_get(obj, k) : NULL;
}

int vg_json_set_new(json_t *obj, const char *key, json_t *value)
{
	const char *k = vg_json_key(obj, key);
	/* json_object_set_new() frees the old value, and with it the key k points into: copy. */
	_cleanup_free_ char *name = vg_strdup(k ? k : key);
	return json_object_set_new(obj, name, value);
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

int vg_json_get_i64(json_t *obj, const char *key, int64_t *ret, const char *what,
		    struct vg_error *e)
{
	json_t *v;
	int r = vg_json_get(obj, key, &v, what, e);

	*ret = 0;
	if (r < 0 || !v)
		return r;
	if (!json_is_integer(v))
		return vg_error_set(e, EINVAL, "%s%s%s: not an integer", what, *what ? "." : "",
				    key);
	*ret = json_integer_value(v);
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
	size_t len = 0;
	int r = vg_read_fd(fd, max, &buf, &len, NULL);

	if (r < 0)
		return vg_read_error(e, r, what, max);
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

/* ---- two keys runc reads as one ------------------------------------------------------------ */

/* Key `k` as Go's decoder compares it: ASCII lower case, U+017F as 's', U+212A as 'k'. */
static char *fold_key(const char *k)
{
	char *out = vg_malloc0(strlen(k) + 1), *o = out;
	const unsigned char *p = (const unsigned char *)k;

	while (*p) {
		if (p[0] == 0xc5 && p[1] == 0xbf) {
			*o++ = 's';
			p += 2;
		} else if (p[0] == 0xe2 && p[1] == 0x84 && p[2] == 0xaa) {
			*o++ = 'k';
			p += 3;
		} else {
			*o++ = (char)tolower(*p++);
		}
	}
	return out;
}

/* U+0130 and U+0131 fold to 'i' in Go 1.21's decoder and to nothing in older ones. */
static bool fold_depends_on_go(const char *k)
{
	for (const unsigned char *p = (const unsigned char *)k; *p; p++)
		if (p[0] == 0xc4 && (p[1] == 0xb0 || p[1] == 0xb1))
			return true;
	return false;
}

static bool in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

struct folded {
	char *fold;
	const char *key;
	size_t pos; /* in the document: messages name the keys in the order they were written */
};

static int folded_cmp(const void *a, const void *b)
{
	const struct folded *x = a, *y = b;
	int c = strcmp(x->fold, y->fold);
	return c ? c : x->pos < y->pos ? -1 : 1;
}

/* Refuse two keys of one struct-typed object that Go matches to the same field. Sorting keeps
 * an object of a million keys as cheap as reading it. */
static int check_fields(json_t *obj, const char *shown, struct vg_error *e)
{
	size_t n = json_object_size(obj), i = 0;
	struct folded *f = vg_reallocarray(NULL, n ? n : 1, sizeof(*f));
	const char *k;
	json_t *v;
	int r = 0;

	json_object_foreach(obj, k, v)
	{
		f[i].fold = fold_key(k);
		f[i].pos = i;
		f[i++].key = k;
		if (r == 0 && fold_depends_on_go(k))
			r = vg_error_set(
			    e, VG_EREFUSED,
			    "%s%s\"%s\": a key with U+0130 or U+0131, which Go versions "
			    "match differently",
			    shown, *shown ? ": " : "", k);
	}
	qsort(f, n, sizeof(*f), folded_cmp);
	for (i = 1; r == 0 && i < n; i++)
		if (strcmp(f[i - 1].fold, f[i].fold) == 0)
			r = vg_error_set(
			    e, VG_EREFUSED,
			    "%s%s\"%s\" and \"%s\" differ only in case: runc reads them "
			    "as one field",
			    shown, *shown ? ": " : "", f[i - 1].key, f[i].key);
	for (i = 0; i < n; i++)
		free(f[i].fold);
	free(f);
	return r;
}

/* shown: the path for messages ("mounts[3].Options"); match: folded, without indices, "*" for
 * a map's keys ("linux.resources.rdma.*"), compared with the rules' lists. */
static int case_walk(const struct vg_json_case_rules *rules, json_t *v, const char *shown,
		     const char *match, struct vg_error *e)
{
	bool is_map = in_list(rules->struct_maps, match);
	size_t i;
	json_t *c;
	const char *k;
	int r;

	if (json_is_array(v)) {
		json_array_foreach(v, i, c)
		{
			_cleanup_free_ char *s = vg_asprintf("%s[%zu]", shown, i);
			if ((r = case_walk(rules, c, s, match, e)) < 0)
				return r;
		}
		return 0;
	}
	if (!json_is_object(v) || in_list(rules->string_maps, match))
		return 0;
	if (!is_map && (r = check_fields(v, shown, e)) < 0)
		return r;
	json_object_foreach(v, k, c)
	{
		_cleanup_free_ char *fk = is_map ? vg_strdup("*") : fold_key(k);
		_cleanup_free_ char *s = *shown ? vg_asprintf("%s.%s", shown, k) : vg_strdup(k);
		_cleanup_free_ char *m = *match ? vg_asprintf("%s.%s", match, fk) : vg_strdup(fk);
		if ((r = case_walk(rules, c, s, m, e)) < 0)
			return r;
	}
	return 0;
}

int vg_json_check_case(json_t *doc, const struct vg_json_case_rules *rules, struct vg_error *e)
{
	const char *root = rules->root ? rules->root : "";
	return case_walk(rules, doc, root, root, e);
}
