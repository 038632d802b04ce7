/*
 * The auto isolation mode's probe cache, <state_dir>/isolation-probe (isoprobe.h): one reader
 * and one writer of its line format, for the runtime and for audit.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "isoprobe.h"
#include "registry.h"

void vg_isoprobe_free(struct vg_isoprobe *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].kernel);
		free(p->v[i].what);
		free(p->v[i].why);
	}
	free(p->v);
	free(p->bad_why);
	memset(p, 0, sizeof(*p));
}

/* A value of kernel= or what=: printable ASCII, no space, no '#', not empty. */
static bool word_valid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == '#')
			return false;
	return true;
}

static void bad_line(struct vg_isoprobe *p, unsigned lineno, const char *why)
{
	if (p->n_bad++ == 0) {
		p->bad_line = lineno;
		p->bad_why = vg_strdup(why);
	}
}

/* One key=value token into l; NULL when fine, else what is wrong. */
static const char *take_token(struct vg_isoprobe_line *l, char *tok, unsigned *seen)
{
	static const char *const keys[] = { "kernel", "fs", "what", "ok", "why" };
	char *eq = strchr(tok, '='), *val;
	size_t k;

	if (!eq || eq == tok)
		return "a word that is not key=value";
	*eq = '\0';
	val = eq + 1;
	for (k = 0; k < VG_ARRAY_SIZE(keys) && strcmp(tok, keys[k]) != 0; k++)
		;
	if (k == VG_ARRAY_SIZE(keys))
		return NULL; /* a key of a later version */
	if (*seen & (1u << k))
		return "a key given twice";
	*seen |= 1u << k;
	switch (k) {
	case 0:
		if (!word_valid(val))
			return "a bad kernel=";
		l->kernel = vg_strdup(val);
		return NULL;
	case 1: {
		char *end;
		errno = 0;
		l->fs = strtoull(val, &end, 16);
		return errno || end == val || *end || *val == '-' || *val == '+' ? "a bad fs="
										 : NULL;
	}
	case 2:
		if (!word_valid(val))
			return "a bad what=";
		l->what = vg_strdup(val);
		return NULL;
	case 3:
		if (strcmp(val, "0") != 0 && strcmp(val, "1") != 0)
			return "ok= is neither 0 nor 1";
		l->ok = val[0] == '1';
		return NULL;
	default:
		l->why = vg_meta_decode(val);
		return l->why ? NULL : "a bad %XX escape in why=";
	}
}

/* One line (NUL-terminated, no newline); empty and '#' lines are not probes. */
static void parse_line(struct vg_isoprobe *p, char *s, unsigned lineno)
{
	struct vg_isoprobe_line l = { .line = lineno };
	const char *why = NULL;
	unsigned seen = 0;
	char *save = NULL;

	s += strspn(s, " \t\r");
	if (!*s || *s == '#')
		return;
	for (char *tok = strtok_r(s, " \t\r", &save); tok && !why;
	     tok = strtok_r(NULL, " \t\r", &save))
		why = take_token(&l, tok, &seen);
	if (!why && (seen & 0xf) != 0xf)
		why = "kernel=, fs=, what= or ok= missing";
	if (why) {
		free(l.kernel);
		free(l.what);
		free(l.why);
		bad_line(p, lineno, why);
		return;
	}
	if (!l.why)
		l.why = vg_strdup("");
	p->v = vg_reallocarray(p->v, p->n + 1, sizeof(*p->v));
	p->v[p->n++] = l;
}

int vg_isoprobe_parse(const char *buf, size_t len, struct vg_isoprobe *ret, struct vg_error *e)
{
	unsigned lineno = 0;
	size_t pos = 0;

	memset(ret, 0, sizeof(*ret));
	if (memchr(buf, '\0', len))
		return vg_error_set(e, EINVAL, "a NUL byte: not a text file");
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		_cleanup_free_ char *s = strndup(buf + pos, n);

		if (!s)
			abort();
		parse_line(ret, s, ++lineno);
		pos += n + (nl ? 1 : 0);
	}
	return 0;
}

char *vg_isoprobe_format(const struct vg_isoprobe_line *l)
{
	_cleanup_free_ char *why = vg_meta_encode(l->why ? l->why : "");

	return vg_asprintf("kernel=%s fs=%llx what=%s ok=%d why=%s", l->kernel,
			   (unsigned long long)l->fs, l->what, l->ok ? 1 : 0, why);
}

const char *vg_fs_type_name(uint64_t f_type)
{
	static const struct {
		uint64_t magic;
		const char *name;
	} names[] = {
		{ 0xef53, "ext4" },	    { 0x58465342, "xfs" },   { 0x9123683e, "btrfs" },
		{ 0x794c7630, "overlay" },  { 0x01021994, "tmpfs" }, { 0x2fc12fc1, "zfs" },
		{ 0x6969, "nfs" },	    { 0xf2f52010, "f2fs" },  { 0x65735546, "fuse" },
		{ 0xca451a4e, "bcachefs" },
	};

	for (size_t i = 0; i < VG_ARRAY_SIZE(names); i++)
		if (names[i].magic == f_type)
			return names[i].name;
	return NULL;
}
