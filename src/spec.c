/*
 * The rewrite of an OCI runtime spec for one container. Rules this file keeps:
 *  - nothing is changed before everything has been checked: a spec that cannot be rewritten
 *    is left exactly as it was;
 *  - config.json is only ever replaced by rename(2) of a complete, fsynced file in the same
 *    directory: runc reads the old spec or the new one, never a mix;
 *  - fields are read and written under the key runc's Go decoder reads (case-insensitively:
 *    "User" is process.user), never beside it under a second spelling, and a spec with two
 *    keys runc would read as one field is refused before anything is read from it.
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
#include "gojson.h"
#include "spec.h"

static const char *const cap_sets[] = { "bounding", "effective", "inheritable", "permitted",
					"ambient" };

/* The OCI runtime spec's Go types (runtime-spec specs-go/config.go): these are maps, whose keys
 * are data that Go matches exactly; every other object is a struct. */
static const char *const spec_string_maps[] = { "annotations", "linux.sysctl",
						"linux.resources.unified", NULL };
static const char *const spec_struct_maps[] = { "linux.netdevices", "linux.timeoffsets",
						"linux.resources.rdma", NULL };

int vg_spec_check_keys(json_t *spec, struct vg_error *e)
{
	const struct vg_json_case_rules rules = { .root = "",
						  .string_maps = spec_string_maps,
						  .struct_maps = spec_struct_maps };
	return vg_json_check_case(spec, &rules, e);
}

int vg_spec_check_process_keys(json_t *process, struct vg_error *e)
{
	const struct vg_json_case_rules rules = { .root = "process" }; /* a Process has no maps */
	return vg_json_check_case(process, &rules, e);
}

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
	process = vg_json_member(spec, "process");
	if (!process || json_is_null(process))
		return 0;
	if (!json_is_object(process))
		return vg_error_set(e, EINVAL, "process: not an object");
	user = vg_json_member(process, "user");
	if (!user || json_is_null(user))
		return 0;
	if (!json_is_object(user))
		return vg_error_set(e, EINVAL, "process.user: not an object");
	if ((v = vg_json_member(user, "uid")) && !json_is_null(v) &&
	    (r = get_id(v, "process.user.uid", &ret->uid, e)) < 0)
		return r;
	if ((v = vg_json_member(user, "gid")) && !json_is_null(v) &&
	    (r = get_id(v, "process.user.gid", &ret->gid, e)) < 0)
		return r;
	gids = vg_json_member(user, "additionalGids");
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
		json_t *set = vg_json_member(caps, cap_sets[s]);
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

/*
 * Keep only the capabilities in `keep` in every set, the bounding set included: what is not
 * in the bounding set no file capability can raise. A name libcap does not know is removed too
 * (runc may know it). A process without a capabilities object would keep all of runc's: it
 * gets empty sets.
 */
static void caps_keep(json_t *process, uint64_t keep)
{
	json_t *caps = vg_json_member(process, "capabilities");

	if (!json_is_object(caps)) {
		caps = json_object();
		vg_json_set_new(process, "capabilities", caps);
	}
	for (size_t s = 0; s < VG_ARRAY_SIZE(cap_sets); s++) {
		json_t *set = vg_json_member(caps, cap_sets[s]);
		size_t i = 0;

		if (!json_is_array(set)) {
			set = json_array();
			vg_json_set_new(caps, cap_sets[s], set);
		}
		while (i < json_array_size(set)) {
			int n = cap_number(json_string_value(json_array_get(set, i)));
			if (n < 0 || !(keep & (UINT64_C(1) << n)))
				json_array_remove(set, i);
			else
				i++;
		}
	}
}

int vg_spec_keep_caps(json_t *spec, uint64_t keep, struct vg_error *e)
{
	json_t *process = vg_json_member(spec, "process");
	int r;

	if (!json_is_object(process))
		return vg_error_set(e, EINVAL, "process: missing or not an object");
	if ((r = caps_check(vg_json_member(process, "capabilities"), e)) < 0)
		return r;
	caps_keep(process, keep);
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
	r = vg_spec_check_process_keys(process, e);
	if (r < 0)
		return r;
	r = vg_spec_user_read(wrap, &u, e);
	if (r < 0)
		return r;
	r = vg_spec_user_check(&u, p->count, e);
	if (r >= 0 && (p->count == 0 || p->start + p->count - 1 > UINT32_MAX - 1))
		r = vg_error_set(e, ERANGE, "range %llu+%llu does not fit host IDs",
				 (unsigned long long)p->start, (unsigned long long)p->count);
	if (r >= 0)
		r = caps_check(vg_json_member(process, "capabilities"), e);
	if (r < 0) {
		vg_spec_user_free(&u);
		return r;
	}

	/* Everything checked: from here on only changes that cannot fail. */
	user = vg_json_member(process, "user");
	if (!json_is_object(user)) {
		user = json_object();
		vg_json_set_new(process, "user", user);
	}
	vg_json_set_new(user, "uid", json_integer((json_int_t)p->start + u.uid));
	vg_json_set_new(user, "gid", json_integer((json_int_t)p->start + u.gid));
	if (u.n_additional_gids > 0) {
		gids = json_array();
		for (size_t i = 0; i < u.n_additional_gids; i++)
			json_array_append_new(
			    gids, json_integer((json_int_t)p->start + u.additional_gids[i]));
		vg_json_set_new(user, "additionalGids", gids);
	}
	vg_json_set_new(process, "noNewPrivileges", json_true());
	caps_keep(process, p->keep_caps);
	vg_spec_user_free(&u);
	return 0;
}

int vg_spec_apply_shift(json_t *spec, const struct vg_spec_shift *p, struct vg_error *e)
{
	int r;

	if (!json_is_object(spec))
		return vg_error_set(e, EINVAL, "the spec is not a JSON object");
	if ((r = vg_spec_check_keys(spec, e)) < 0)
		return r;
	return vg_spec_apply_shift_process(vg_json_member(spec, "process"), p, e);
}

/* A user namespace entry in linux.namespaces, or mappings: what userns-remap writes. */
static int userns_check(json_t *lx, struct vg_error *e)
{
	json_t *nss = vg_json_member(lx, "namespaces");
	size_t i;
	json_t *ns;

	if (nss && !json_is_array(nss))
		return vg_error_set(e, EINVAL, "linux.namespaces: not an array");
	json_array_foreach(nss, i, ns)
	{
		const char *type = json_string_value(vg_json_member(ns, "type"));

		if (!json_is_object(ns) || !type)
			return vg_error_set(e, EINVAL, "linux.namespaces[%zu]: no type", i);
		if (strcmp(type, "user") == 0)
			return vg_error_set(
			    e, VG_EREFUSED,
			    "linux.namespaces[%zu]: the spec has a user namespace "
			    "already (dockerd's userns-remap?); volguard's userns mode "
			    "gives each container its own: turn userns-remap off, or set "
			    "isolation = shift",
			    i);
	}
	if (vg_json_member(lx, "uidMappings") || vg_json_member(lx, "gidMappings"))
		return vg_error_set(
		    e, VG_EREFUSED,
		    "linux.uidMappings: the spec maps IDs already (dockerd's "
		    "userns-remap?); turn userns-remap off, or set isolation = shift");
	return 0;
}

static json_t *mapping(uint64_t start, uint64_t count)
{
	return json_pack("[{s:I, s:I, s:I}]", "containerID", (json_int_t)0, "hostID",
			 (json_int_t)start, "size", (json_int_t)count);
}

int vg_spec_apply_userns_process(json_t *process, uint64_t keep_caps, struct vg_error *e)
{
	int r;

	if (!json_is_object(process))
		return vg_error_set(e, EINVAL, "process: missing or not an object");
	r = vg_spec_check_process_keys(process, e);
	if (r >= 0)
		r = caps_check(vg_json_member(process, "capabilities"), e);
	if (r >= 0)
		caps_keep(process, keep_caps);
	return r;
}

int vg_spec_apply_userns(json_t *spec, const struct vg_spec_userns *p, struct vg_error *e)
{
	json_t *process = vg_json_member(spec, "process"), *lx = vg_json_member(spec, "linux");
	json_t *nss, *ns, *sysctl;
	struct vg_spec_user u;
	int r;

	if (!json_is_object(spec))
		return vg_error_set(e, EINVAL, "the spec is not a JSON object");
	if ((r = vg_spec_check_keys(spec, e)) < 0)
		return r;
	if (!json_is_object(process))
		return vg_error_set(e, EINVAL, "process: missing or not an object");
	if (!json_is_object(lx))
		return vg_error_set(e, EINVAL, "linux: missing or not an object");
	if (p->count == 0 || p->start + p->count - 1 > UINT32_MAX - 1)
		return vg_error_set(e, ERANGE, "range %llu+%llu does not fit host IDs",
				    (unsigned long long)p->start, (unsigned long long)p->count);
	sysctl = vg_json_member(lx, "sysctl");
	if (sysctl && !json_is_object(sysctl))
		return vg_error_set(e, EINVAL, "linux.sysctl: not an object");
	if ((r = userns_check(lx, e)) < 0)
		return r;
	if ((r = vg_spec_user_read(spec, &u, e)) < 0)
		return r;
	r = vg_spec_user_check(&u, p->count, e);
	vg_spec_user_free(&u);
	if (r >= 0)
		r = caps_check(vg_json_member(process, "capabilities"), e);
	if (r < 0)
		return r;

	/* Everything checked: from here on only changes that cannot fail. */
	nss = vg_json_member(lx, "namespaces");
	if (!nss) {
		nss = json_array();
		vg_json_set_new(lx, "namespaces", nss);
	}
	ns = p->userns_path ? json_pack("{s:s, s:s}", "type", "user", "path", p->userns_path)
			    : json_pack("{s:s}", "type", "user");
	json_array_append_new(nss, ns);
	vg_json_set_new(lx, "uidMappings", mapping(p->start, p->count));
	vg_json_set_new(lx, "gidMappings", mapping(p->start, p->count));
	/* A map: its keys are matched exactly, as runc's Go map does. */
	if (sysctl && json_object_get(sysctl, "net.ipv4.ping_group_range")) {
		_cleanup_free_ char *range =
		    vg_asprintf("0 %llu", (unsigned long long)(p->count - 1));
		json_object_set_new(sysctl, "net.ipv4.ping_group_range", json_string(range));
	}
	caps_keep(process, p->keep_caps);
	return 0;
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
