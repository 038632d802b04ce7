/*
 * The rewrite of an OCI runtime spec for one container. Rules this file keeps:
 *  - nothing is changed before everything has been checked: a spec that cannot be rewritten
 *    is left exactly as it was;
 *  - config.json is only ever replaced by rename(2) of a complete, fsynced file in the same
 *    directory: runc reads the old spec or the new one, never a mix.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "spec.h"

static const char *const cap_sets[] = { "bounding", "effective", "inheritable", "permitted",
					"ambient" };

/* A JSON integer 0..UINT32_MAX (IDs); `field` names it in messages. */
static int get_id(json_t *v, const char *field, uint32_t *ret, struct vg_error *e)
{
	json_int_t n;

	if (!json_is_integer(v))
		return vg_error_set(e, EINVAL, "%s: not an integer", field);
	n = json_integer_value(v);
	if (n < 0 || n > (json_int_t)UINT32_MAX)
		return vg_error_set(e, ERANGE, "%s: %lld is not a valid ID", field, (long long)n);
	*ret = (uint32_t)n;
	return 0;
}

int vg_spec_user_read(json_t *spec, struct vg_spec_user *ret, struct vg_error *e)
{
	json_t *process, *user, *v, *gids;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!json_is_object(spec))
		return vg_error_set(e, EINVAL, "the spec is not a JSON object");
	process = json_object_get(spec, "process");
	if (!process)
		return 0;
	if (!json_is_object(process))
		return vg_error_set(e, EINVAL, "process: not an object");
	user = json_object_get(process, "user");
	if (!user)
		return 0;
	if (!json_is_object(user))
		return vg_error_set(e, EINVAL, "process.user: not an object");
	if ((v = json_object_get(user, "uid")) &&
	    (r = get_id(v, "process.user.uid", &ret->uid, e)) < 0)
		return r;
	if ((v = json_object_get(user, "gid")) &&
	    (r = get_id(v, "process.user.gid", &ret->gid, e)) < 0)
		return r;
	gids = json_object_get(user, "additionalGids");
	if (!gids || json_is_null(gids))
		return 0;
	if (!json_is_array(gids))
		return vg_error_set(e, EINVAL, "process.user.additionalGids: not an array");
	ret->additional_gids = vg_reallocarray(NULL, json_array_size(gids), sizeof(uint32_t));
	for (size_t i = 0; i < json_array_size(gids); i++) {
		char field[64];
		snprintf(field, sizeof(field), "process.user.additionalGids[%zu]", i);
		r = get_id(json_array_get(gids, i), field, &ret->additional_gids[i], e);
		if (r < 0) {
			vg_spec_user_free(ret);
			return r;
		}
		ret->n_additional_gids++;
	}
	return 0;
}

void vg_spec_user_free(struct vg_spec_user *u)
{
	free(u->additional_gids);
	memset(u, 0, sizeof(*u));
}

int vg_spec_user_check(const struct vg_spec_user *u, uint64_t count, struct vg_error *e)
{
	if (u->uid >= count)
		return vg_error_set(
		    e, VG_EREFUSED,
		    "process UID %u does not fit in the container's range of %llu IDs", u->uid,
		    (unsigned long long)count);
	if (u->gid >= count)
		return vg_error_set(
		    e, VG_EREFUSED,
		    "process GID %u does not fit in the container's range of %llu IDs", u->gid,
		    (unsigned long long)count);
	for (size_t i = 0; i < u->n_additional_gids; i++)
		if (u->additional_gids[i] >= count)
			return vg_error_set(
			    e, VG_EREFUSED,
			    "additional GID %u does not fit in the container's range "
			    "of %llu IDs",
			    u->additional_gids[i], (unsigned long long)count);
	return 0;
}

/* The capability number of "CAP_X" (any case), or -1 when libcap does not know it. */
static int cap_number(const char *name)
{
	char lower[64];
	cap_value_t v;
	size_t n = strlen(name);

	if (n == 0 || n >= sizeof(lower))
		return -1;
	for (size_t i = 0; i <= n; i++)
		lower[i] = (char)tolower((unsigned char)name[i]);
	if (cap_from_name(lower, &v) < 0 || v < 0 || v >= 64)
		return -1;
	return v;
}

/* Check the shape of process.capabilities: an object of arrays of strings, or absent. */
static int caps_check(json_t *caps, struct vg_error *e)
{
	if (!caps || json_is_null(caps))
		return 0;
	if (!json_is_object(caps))
		return vg_error_set(e, EINVAL, "process.capabilities: not an object");
	for (size_t s = 0; s < VG_ARRAY_SIZE(cap_sets); s++) {
		json_t *set = json_object_get(caps, cap_sets[s]);
		if (!set || json_is_null(set))
			continue;
		if (!json_is_array(set))
			return vg_error_set(e, EINVAL, "process.capabilities.%s: not an array",
					    cap_sets[s]);
		for (size_t i = 0; i < json_array_size(set); i++)
			if (!json_is_string(json_array_get(set, i)))
				return vg_error_set(e, EINVAL,
						    "process.capabilities.%s[%zu]: not a string",
						    cap_sets[s], i);
	}
	return 0;
}

static void caps_drop(json_t *caps, uint64_t mask)
{
	if (!json_is_object(caps))
		return;
	for (size_t s = 0; s < VG_ARRAY_SIZE(cap_sets); s++) {
		json_t *set = json_object_get(caps, cap_sets[s]);
		size_t i = 0;

		if (!json_is_array(set))
			continue;
		while (i < json_array_size(set)) {
			int n = cap_number(json_string_value(json_array_get(set, i)));
			if (n >= 0 && (mask & (UINT64_C(1) << n)))
				json_array_remove(set, i);
			else
				i++;
		}
	}
}

int vg_spec_drop_caps(json_t *spec, uint64_t mask, struct vg_error *e)
{
	json_t *process = json_object_get(spec, "process");
	json_t *caps = json_is_object(process) ? json_object_get(process, "capabilities") : NULL;
	int r = caps_check(caps, e);

	if (r < 0)
		return r;
	caps_drop(caps, mask);
	return 0;
}

int vg_spec_apply_shift_process(json_t *process, const struct vg_spec_shift *p, struct vg_error *e)
{
	_cleanup_json_ json_t *wrap = json_pack("{s:O}", "process", process);
	struct vg_spec_user u;
	json_t *user, *gids;
	int r;

	if (!json_is_object(process) || !wrap)
		return vg_error_set(e, EINVAL, "process: missing or not an object");
	r = vg_spec_user_read(wrap, &u, e);
	if (r < 0)
		return r;
	r = vg_spec_user_check(&u, p->count, e);
	if (r >= 0 && (p->count == 0 || p->start + p->count - 1 > UINT32_MAX - 1))
		r = vg_error_set(e, ERANGE, "range %llu+%llu does not fit host IDs",
				 (unsigned long long)p->start, (unsigned long long)p->count);
	if (r >= 0)
		r = caps_check(json_object_get(process, "capabilities"), e);
	if (r < 0) {
		vg_spec_user_free(&u);
		return r;
	}

	/* Everything checked: from here on only changes that cannot fail. */
	user = json_object_get(process, "user");
	if (!json_is_object(user)) {
		user = json_object();
		json_object_set_new(process, "user", user);
	}
	json_object_set_new(user, "uid", json_integer((json_int_t)p->start + u.uid));
	json_object_set_new(user, "gid", json_integer((json_int_t)p->start + u.gid));
	if (u.n_additional_gids > 0) {
		gids = json_array();
		for (size_t i = 0; i < u.n_additional_gids; i++)
			json_array_append_new(
			    gids, json_integer((json_int_t)p->start + u.additional_gids[i]));
		json_object_set_new(user, "additionalGids", gids);
	}
	json_object_set_new(process, "noNewPrivileges", json_true());
	caps_drop(json_object_get(process, "capabilities"), p->drop_caps);
	vg_spec_user_free(&u);
	return 0;
}

int vg_spec_apply_shift(json_t *spec, const struct vg_spec_shift *p, struct vg_error *e)
{
	if (!json_is_object(spec))
		return vg_error_set(e, EINVAL, "the spec is not a JSON object");
	return vg_spec_apply_shift_process(json_object_get(spec, "process"), p, e);
}

int vg_spec_write(int dir_fd, const char *name, json_t *spec, const char *what, struct vg_error *e)
{
	_cleanup_free_ char *text = NULL;
	const char *step = NULL;
	char tmp[64];
	uint64_t rnd = 0;
	struct stat st;
	int r;

	/* The new file gets the old one's mode (runc's bundles are often 0600). */
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return vg_error_errno(e, errno, "%s", what);
	if (!S_ISREG(st.st_mode))
		return vg_error_set(e, EINVAL, "%s: not a regular file", what);
	text = json_dumps(spec, JSON_COMPACT);
	if (!text)
		return vg_error_set(e, ENOMEM, "%s: cannot serialize the spec", what);

	/* A fresh name each try: the bundle directory is not ours alone. */
	for (int tries = 0;; tries++) {
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd ^= (uint64_t)getpid() << 20 ^ (uint64_t)tries;
		snprintf(tmp, sizeof(tmp), ".%.24s.volguard-%016llx", name,
			 (unsigned long long)rnd);
		r = vg_replace_file_at(dir_fd, name, tmp, text, strlen(text), st.st_mode & 07777,
				       &step);
		if (r != -EEXIST || tries > 16)
			break;
	}
	if (r < 0)
		return vg_error_errno(e, r, "%s: cannot write the new spec (%s)", what, step);
	return 0;
}
