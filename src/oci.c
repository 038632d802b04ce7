/*
 * OCI runtime spec (config.json) -> vg_container. Keys match as runc's Go decoder matches them
 * (case-insensitively): a "Mounts" key is runc's "mounts", and must not slip past the check.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>

#include "adapters.h"
#include "cleanup.h"
#include "gojson.h"
#include "spec.h"

/* Docker's default capability set: anything beyond it in an OCI spec was added. */
static const char *const docker_default_caps[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
	NULL,
};

static bool strv_has(const char *const *v, const char *s)
{
	for (size_t i = 0; v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static const char *const propagations[] = { "shared",	  "rshared",	 "slave",
					    "rslave",	  "private",	 "rprivate",
					    "unbindable", "runbindable", NULL };

static int parse_mount(json_t *jm, const char *what, struct vg_container *ct, struct vg_error *e)
{
	const char *dst = NULL, *src = NULL, *type = NULL;
	json_t *opts = NULL;
	struct vg_mount *m;
	bool bind = false;
	size_t i;
	json_t *v;
	int r;

	if (!json_is_object(jm))
		return vg_error_set(e, EINVAL, "%s: not an object", what);
	if ((r = vg_json_get_string(jm, "destination", &dst, what, e)) < 0 ||
	    (r = vg_json_get_string(jm, "source", &src, what, e)) < 0 ||
	    (r = vg_json_get_string(jm, "type", &type, what, e)) < 0 ||
	    (r = vg_json_get_array(jm, "options", &opts, what, e)) < 0)
		return r;
	if (!dst || !*dst)
		return vg_error_set(e, EINVAL, "%s.destination: missing", what);
	m = vg_container_add_mount(ct);
	m->destination = vg_strdup(dst);
	m->source = src ? vg_strdup(src) : NULL;
	m->fstype = type ? vg_strdup(type) : NULL;
	m->origin = vg_strdup(what);
	m->nonrecursive = true;
	json_array_foreach(opts, i, v)
	{
		const char *o;
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return vg_error_set(e, EINVAL, "%s.options[%zu]: not a string", what, i);
		o = json_string_value(v);
		vg_strv_push(&m->options, o);
		/* runc applies options in order: the last of ro/rw wins. */
		if (strcmp(o, "ro") == 0)
			m->readonly = true;
		else if (strcmp(o, "rw") == 0)
			m->readonly = false;
		else if (strcmp(o, "rro") == 0)
			m->readonly = m->recursive_ro = true;
		else if (strcmp(o, "rbind") == 0)
			bind = true, m->nonrecursive = false;
		else if (strcmp(o, "bind") == 0)
			bind = true;
		else if (strv_has(propagations, o)) {
			free(m->propagation);
			m->propagation = vg_strdup(o);
		}
	}
	/* runc: a bind is a bind whatever the type says, if "bind"/"rbind" is among the options. */
	if (bind || (type && strcmp(type, "bind") == 0))
		m->kind = VG_MOUNT_BIND;
	else if (type && strcmp(type, "tmpfs") == 0)
		m->kind = VG_MOUNT_TMPFS;
	else
		m->kind = VG_MOUNT_OTHER;
	return 0;
}

static int parse_user(json_t *proc, struct vg_container *ct, struct vg_error *e)
{
	json_t *user = NULL, *gids = NULL, *v;
	bool found = false;
	size_t i;
	int r;

	if ((r = vg_json_get_object(proc, "user", &user, "process", e)) < 0 || !user)
		return r;
	if ((r = vg_json_get_u32(user, "uid", &ct->uid, &found, "process.user", e)) < 0 ||
	    (r = vg_json_get_u32(user, "gid", &ct->gid, NULL, "process.user", e)) < 0 ||
	    (r = vg_json_get_array(user, "additionalGids", &gids, "process.user", e)) < 0)
		return r;
	ct->has_uid = true;
	json_array_foreach(gids, i, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > (json_int_t)UINT32_MAX)
			return vg_error_set(
			    e, EINVAL,
			    "process.user.additionalGids[%zu]: not an integer from 0 "
			    "to 4294967295",
			    i);
		ct->additional_gids = vg_reallocarray(ct->additional_gids,
						      ct->n_additional_gids + 1, sizeof(uint32_t));
		ct->additional_gids[ct->n_additional_gids++] = (uint32_t)json_integer_value(v);
	}
	return 0;
}

static int parse_caps(json_t *proc, struct vg_container *ct, struct vg_error *e)
{
	static const char *const sets[] = { "bounding", "effective", "permitted", "inheritable",
					    "ambient" };
	json_t *caps = NULL;
	int r;

	if ((r = vg_json_get_object(proc, "capabilities", &caps, "process", e)) < 0 || !caps)
		return r;
	for (size_t s = 0; s < VG_ARRAY_SIZE(sets); s++) {
		_cleanup_free_ char *what = vg_asprintf("process.capabilities.%s", sets[s]);
		json_t *a = NULL, *v;
		size_t i;

		if ((r = vg_json_get_array(caps, sets[s], &a, "process.capabilities", e)) < 0)
			return r;
		json_array_foreach(a, i, v)
		{
			const char *c;
			if (!json_is_string(v))
				return vg_error_set(e, EINVAL, "%s[%zu]: not a string", what, i);
			c = json_string_value(v);
			if (!strv_has(docker_default_caps, c) && !vg_strv_contains(ct->cap_add, c))
				vg_strv_push(&ct->cap_add, c);
		}
	}
	return 0;
}

static int parse_idmap(json_t *lnx, const char *key, bool *has, uint64_t *host, uint64_t *size,
		       struct vg_error *e)
{
	_cleanup_free_ char *what = vg_asprintf("linux.%s", key);
	json_t *a = NULL, *v;
	size_t i;
	int r;

	if ((r = vg_json_get_array(lnx, key, &a, "linux", e)) < 0 || !a)
		return r;
	json_array_foreach(a, i, v)
	{
		_cleanup_free_ char *w = vg_asprintf("%s[%zu]", what, i);
		uint32_t cid = 0, hid = 0, sz = 0;
		if ((r = vg_json_get_u32(v, "containerID", &cid, NULL, w, e)) < 0 ||
		    (r = vg_json_get_u32(v, "hostID", &hid, NULL, w, e)) < 0 ||
		    (r = vg_json_get_u32(v, "size", &sz, NULL, w, e)) < 0)
			return r;
		if (cid == 0 || i == 0) {
			*has = true;
			*host = hid;
			*size = sz;
		}
	}
	return 0;
}

/* A device number field: an integer >= 0, or absent/null (any) where `any_ok`. -1 is "any". */
static int get_devnum(json_t *o, const char *key, const char *what, bool any_ok, json_int_t *ret,
		      struct vg_error *e)
{
	json_t *v = NULL;
	int r = vg_json_get(o, key, &v, what, e);

	*ret = -1;
	if (r < 0)
		return r;
	if (!v && any_ok)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)UINT32_MAX)
		return vg_error_set(e, EINVAL, "%s.%s: not a device number", what, key);
	*ret = json_integer_value(v);
	return 0;
}

/* linux.resources.devices: each allow entry as a rule "c 1:3 rwm"; deny entries only narrow. */
static int parse_device_rules(json_t *lnx, struct vg_container *ct, struct vg_error *e)
{
	json_t *res = NULL, *a = NULL, *v;
	size_t i;
	int r;

	if ((r = vg_json_get_object(lnx, "resources", &res, "linux", e)) < 0 || !res ||
	    (r = vg_json_get_array(res, "devices", &a, "linux.resources", e)) < 0)
		return r;
	json_array_foreach(a, i, v)
	{
		_cleanup_free_ char *what = vg_asprintf("linux.resources.devices[%zu]", i);
		_cleanup_free_ char *rule = NULL, *maj = NULL, *min = NULL;
		const char *type = NULL, *access = NULL;
		json_int_t major, minor;
		bool allow = false;

		if ((r = vg_json_get_bool(v, "allow", &allow, what, e)) < 0 ||
		    (r = vg_json_get_string(v, "type", &type, what, e)) < 0 ||
		    (r = vg_json_get_string(v, "access", &access, what, e)) < 0 ||
		    (r = get_devnum(v, "major", what, true, &major, e)) < 0 ||
		    (r = get_devnum(v, "minor", what, true, &minor, e)) < 0)
			return r;
		if (!allow)
			continue;
		/* runc reads an empty type as "a" (all) and an empty access as "rwm". */
		if (type && *type && (strlen(type) != 1 || !strchr("abc", type[0])))
			return vg_error_set(e, EINVAL, "%s.type: not a, b or c", what);
		maj = major < 0 ? vg_strdup("*") : vg_asprintf("%lld", (long long)major);
		min = minor < 0 ? vg_strdup("*") : vg_asprintf("%lld", (long long)minor);
		rule = vg_asprintf("%c %s:%s %s", type && *type ? type[0] : 'a', maj, min,
				   access && *access ? access : "rwm");
		vg_strv_push(&ct->device_rules, rule);
	}
	return 0;
}

/* linux.resources.{memory.limit, cpu.quota, pids.limit}; linux.seccomp absent: no filter. */
static int parse_limits(json_t *lnx, struct vg_container *ct, struct vg_error *e)
{
	static const struct {
		const char *group, *key;
		size_t off;
	} limits[] = {
		{ "memory", "limit", offsetof(struct vg_container, memory_limit) },
		{ "cpu", "quota", offsetof(struct vg_container, cpu_limit) },
		{ "pids", "limit", offsetof(struct vg_container, pids_limit) },
	};
	json_t *res = NULL, *seccomp = NULL;
	int r;

	ct->limits_known = true;
	ct->seccomp_unconfined = !lnx || vg_json_get(lnx, "seccomp", &seccomp, "linux", NULL) < 0 ||
				 !seccomp || json_is_null(seccomp);
	if (!lnx || (r = vg_json_get_object(lnx, "resources", &res, "linux", e)) < 0 || !res)
		return lnx ? r : 0;
	for (size_t i = 0; i < VG_ARRAY_SIZE(limits); i++) {
		json_t *g = NULL;
		_cleanup_free_ char *what = vg_asprintf("linux.resources.%s", limits[i].group);
		if ((r = vg_json_get_object(res, limits[i].group, &g, "linux.resources", e)) < 0 ||
		    (g &&
		     (r = vg_json_get_i64(g, limits[i].key, (int64_t *)((char *)ct + limits[i].off),
					  what, e)) < 0))
			return r;
	}
	return 0;
}

/*
 * Does joining the namespace at `path` join the host's? By name (PID 1's), or by identity: the
 * same nsfs inode as the namespace volguard itself runs in (a bind-mounted /run/netns/host).
 */
static bool joins_host_ns(const char *path, const char *type)
{
	const char *t = strcmp(type, "network") == 0 ? "net" : type;
	_cleanup_free_ char *pid1 = vg_asprintf("/proc/1/ns/%s", t),
			    *self = vg_asprintf("/proc/self/ns/%s", t);
	struct stat a, b;

	if (strcmp(path, pid1) == 0)
		return true;
	return path[0] == '/' && stat(path, &a) == 0 && stat(self, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int parse_linux(json_t *lnx, struct vg_container *ct, struct vg_error *e)
{
	static const struct {
		const char *type;
		size_t off;
	} nss[] = {
		{ "pid", offsetof(struct vg_container, host_pid) },
		{ "ipc", offsetof(struct vg_container, host_ipc) },
		{ "network", offsetof(struct vg_container, host_net) },
		{ "uts", offsetof(struct vg_container, host_uts) },
		{ "cgroup", offsetof(struct vg_container, host_cgroupns) },
	};
	json_t *ns = NULL, *devs = NULL, *v;
	size_t i;
	int r;

	/* A namespace missing from the list is the host's; one joined by path may be too. */
	for (size_t k = 0; k < VG_ARRAY_SIZE(nss); k++)
		*(bool *)((char *)ct + nss[k].off) = true;
	if ((r = vg_json_get_array(lnx, "namespaces", &ns, "linux", e)) < 0)
		return r;
	json_array_foreach(ns, i, v)
	{
		_cleanup_free_ char *what = vg_asprintf("linux.namespaces[%zu]", i);
		const char *type = NULL, *path = NULL;
		if ((r = vg_json_get_string(v, "type", &type, what, e)) < 0 ||
		    (r = vg_json_get_string(v, "path", &path, what, e)) < 0)
			return r;
		if (!type)
			return vg_error_set(e, EINVAL, "%s.type: missing", what);
		for (size_t k = 0; k < VG_ARRAY_SIZE(nss); k++)
			if (strcmp(type, nss[k].type) == 0)
				*(bool *)((char *)ct + nss[k].off) =
				    path && joins_host_ns(path, type);
		if (strcmp(type, "user") == 0 && path && joins_host_ns(path, type))
			ct->host_userns = true;
	}
	if ((r = parse_idmap(lnx, "uidMappings", &ct->has_uidmap, &ct->uidmap_host,
			     &ct->uidmap_size, e)) < 0)
		return r;
	{
		bool has_gid = false;
		if ((r = parse_idmap(lnx, "gidMappings", &has_gid, &ct->gidmap_host,
				     &ct->gidmap_size, e)) < 0)
			return r;
	}
	if ((r = vg_json_get_array(lnx, "devices", &devs, "linux", e)) < 0)
		return r;
	json_array_foreach(devs, i, v)
	{
		_cleanup_free_ char *what = vg_asprintf("linux.devices[%zu]", i), *node = NULL;
		const char *path = NULL, *type = NULL;
		json_int_t major, minor;
		if ((r = vg_json_get_string(v, "path", &path, what, e)) < 0 ||
		    (r = vg_json_get_string(v, "type", &type, what, e)) < 0)
			return r;
		if (!path)
			return vg_error_set(e, EINVAL, "%s.path: missing", what);
		/* runc: "u" is an unbuffered character device, "p" a FIFO (no host device). */
		if (!type || strlen(type) != 1 || !strchr("cubp", type[0]))
			return vg_error_set(e, EINVAL, "%s.type: not c, u, b or p", what);
		if (type[0] == 'p')
			continue;
		if ((r = get_devnum(v, "major", what, false, &major, e)) < 0 ||
		    (r = get_devnum(v, "minor", what, false, &minor, e)) < 0)
			return r;
		node = vg_asprintf("%c %lld:%lld %s", type[0] == 'b' ? 'b' : 'c', (long long)major,
				   (long long)minor, path);
		vg_strv_push(&ct->device_nodes, node);
	}
	return parse_device_rules(lnx, ct, e);
}

int vg_oci_parse(json_t *spec, const char *what, struct vg_container *ct, struct vg_error *e)
{
	_cleanup_free_ char *pfx = NULL;
	json_t *mounts = NULL, *proc = NULL, *lnx = NULL, *ann = NULL, *v;
	const char *k;
	size_t i;
	int r;

	if (!json_is_object(spec))
		return vg_error_set(e, EINVAL, "%s: not a JSON object", what);
	ct->oci = true;
	/* Before any field is read: two spellings of one field would be judged one way here and
	 * read another way by runc. */
	if ((r = vg_spec_check_keys(spec, e)) < 0)
		goto err;
	if ((r = vg_json_get_array(spec, "mounts", &mounts, "", e)) < 0 ||
	    (r = vg_json_get_object(spec, "process", &proc, "", e)) < 0 ||
	    (r = vg_json_get_object(spec, "linux", &lnx, "", e)) < 0 ||
	    (r = vg_json_get_object(spec, "annotations", &ann, "", e)) < 0)
		goto err;
	json_array_foreach(mounts, i, v)
	{
		_cleanup_free_ char *w = vg_asprintf("mounts[%zu]", i);
		if ((r = parse_mount(v, w, ct, e)) < 0)
			goto err;
	}
	if (proc && ((r = parse_user(proc, ct, e)) < 0 || (r = parse_caps(proc, ct, e)) < 0))
		goto err;
	if (lnx && (r = parse_linux(lnx, ct, e)) < 0)
		goto err;
	if ((r = parse_limits(lnx, ct, e)) < 0)
		goto err;
	if (!lnx) /* no lnx section: no namespaces at all */
		ct->host_pid = ct->host_ipc = ct->host_net = ct->host_uts = ct->host_cgroupns =
		    true;
	json_object_foreach(ann, k, v)
	{
		_cleanup_free_ char *kv = NULL;
		if (!json_is_string(v)) {
			r = vg_error_set(e, EINVAL, "annotations.%s: not a string", k);
			goto err;
		}
		kv = vg_asprintf("%s=%s", k, json_string_value(v));
		vg_strv_push(&ct->labels, kv);
	}
	/* Docker's full set without seccomp is what --privileged gives. */
	{
		json_t *seccomp = NULL;
		if (lnx && vg_json_get(lnx, "seccomp", &seccomp, "linux", NULL) == 0 && !seccomp &&
		    vg_strv_contains(ct->cap_add, "CAP_SYS_ADMIN") &&
		    vg_strv_contains(ct->cap_add, "CAP_SYS_MODULE") &&
		    vg_strv_contains(ct->cap_add, "CAP_SYS_RAWIO"))
			ct->privileged = true;
	}
	return 0;
err:
	/* Prefix the document's name to field errors. */
	pfx = vg_asprintf("%s: ", what);
	vg_error_prefix(e, pfx);
	return r;
}

static bool is_hex64(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return n == 64 && s[n] == '\0';
}

int vg_oci_load(const char *config_or_bundle, struct vg_container *ct, json_t **ret_spec,
		struct vg_error *e)
{
	_cleanup_close_ int fd = -1, dfd = -1;
	_cleanup_json_ json_t *spec = NULL;
	_cleanup_free_ char *path = NULL, *dir = NULL;
	struct stat st;
	int r;

	dfd = open(config_or_bundle, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (dfd < 0)
		return vg_error_errno(e, errno, "%s: cannot open", config_or_bundle);
	if (fstat(dfd, &st) < 0)
		return vg_error_errno(e, errno, "%s: fstat", config_or_bundle);
	if (S_ISDIR(st.st_mode)) {
		path = vg_asprintf("%s/config.json", config_or_bundle);
		fd = openat(dfd, "config.json", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			return vg_error_errno(e, errno, "%s: cannot open", path);
		dir = vg_strdup(config_or_bundle);
	} else {
		path = vg_strdup(config_or_bundle);
		fd = TAKE_FD(dfd);
		_cleanup_free_ char *copy = vg_strdup(config_or_bundle);
		dir = vg_strdup(dirname(copy));
	}
	if ((r = vg_json_load_fd(fd, VG_JSON_MAX_SIZE, path, &spec, e)) < 0)
		return r;
	if ((r = vg_oci_parse(spec, path, ct, e)) < 0)
		return r;
	/* runc resolves a relative bind source against the bundle directory. */
	{
		_cleanup_free_ char *abs = realpath(dir, NULL);
		if (abs) {
			free(ct->bundle);
			ct->bundle = TAKE_PTR(abs);
		}
	}
	/* dockerd's bundles are named by the container ID (…/moby/ID/config.json). */
	if (!ct->id && ct->bundle) {
		const char *b = strrchr(ct->bundle, '/');
		if (b && is_hex64(b + 1))
			ct->id = vg_strdup(b + 1);
	}
	if (ret_spec)
		*ret_spec = TAKE_PTR(spec);
	return 0;
}
