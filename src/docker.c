/*
 * Docker's on-disk container: <docker_root>/containers/ID/config.v2.json and hostconfig.json,
 * read without the daemon, the one reader of those files (docker.h says its rule). MountPoints
 * is what dockerd mounts: it already holds the mounts of Binds, Mounts and --volumes-from, with
 * their final read-write flag.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "docker.h"
#include "gojson.h"

static bool is_hex64(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return n == 64 && s[n] == '\0';
}

/* HostConfig's Memory, NanoCpus or CpuQuota, PidsLimit and SecurityOpt's seccomp. */
static int parse_limits(json_t *hostconfig, struct vg_container *ct, struct vg_error *e)
{
	json_t *sec = NULL, *v;
	int64_t nano = 0, quota = 0;
	size_t i;
	int r;

	if ((r = vg_json_get_i64(hostconfig, "Memory", &ct->memory_limit, "hostconfig.json", e)) <
		0 ||
	    (r = vg_json_get_i64(hostconfig, "NanoCpus", &nano, "hostconfig.json", e)) < 0 ||
	    (r = vg_json_get_i64(hostconfig, "CpuQuota", &quota, "hostconfig.json", e)) < 0 ||
	    (r = vg_json_get_i64(hostconfig, "PidsLimit", &ct->pids_limit, "hostconfig.json", e)) <
		0 ||
	    (r = vg_json_get_array(hostconfig, "SecurityOpt", &sec, "hostconfig.json", e)) < 0)
		return r;
	ct->limits_known = true;
	ct->cpu_limit = nano > 0 ? nano : quota;
	json_array_foreach(sec, i, v)
	{
		const char *o = json_string_value(v);
		if (!o)
			return vg_error_set(e, EINVAL,
					    "hostconfig.json: SecurityOpt[%zu]: not a string", i);
		/* Docker accepts "seccomp=unconfined" and the old "seccomp:unconfined". */
		if (strcmp(o, "seccomp=unconfined") == 0 || strcmp(o, "seccomp:unconfined") == 0)
			ct->seccomp_unconfined = true;
	}
	return 0;
}

static int parse_mountpoint(const char *dest, json_t *mp, struct vg_container *ct,
			    struct vg_error *e)
{
	_cleanup_free_ char *what = vg_asprintf("MountPoints[\"%s\"]", dest);
	const char *src = NULL, *dst = NULL, *type = NULL, *name = NULL, *driver = NULL,
		   *prop = NULL;
	json_t *spec = NULL, *bindopts = NULL;
	bool rw = false, nonrec = false;
	struct vg_mount *m;
	int r;

	if ((r = vg_json_get_string(mp, "Source", &src, what, e)) < 0 ||
	    (r = vg_json_get_string(mp, "Destination", &dst, what, e)) < 0 ||
	    (r = vg_json_get_bool(mp, "RW", &rw, what, e)) < 0 ||
	    (r = vg_json_get_string(mp, "Type", &type, what, e)) < 0 ||
	    (r = vg_json_get_string(mp, "Name", &name, what, e)) < 0 ||
	    (r = vg_json_get_string(mp, "Driver", &driver, what, e)) < 0 ||
	    (r = vg_json_get_string(mp, "Propagation", &prop, what, e)) < 0 ||
	    (r = vg_json_get_object(mp, "Spec", &spec, what, e)) < 0)
		return r;
	if (spec) {
		_cleanup_free_ char *w = vg_asprintf("%s.Spec", what);
		if ((r = vg_json_get_object(spec, "BindOptions", &bindopts, w, e)) < 0)
			return r;
		if (bindopts) {
			_cleanup_free_ char *w2 = vg_asprintf("%s.BindOptions", w);
			if ((r = vg_json_get_bool(bindopts, "NonRecursive", &nonrec, w2, e)) < 0)
				return r;
		}
	}
	m = vg_container_add_mount(ct);
	m->destination = vg_strdup(dst && *dst ? dst : dest);
	m->readonly = !rw;
	m->nonrecursive = nonrec;
	m->origin = TAKE_PTR(what);
	m->propagation = prop && *prop ? vg_strdup(prop) : NULL;
	m->fstype = type && *type ? vg_strdup(type) : NULL;
	if (!type || !*type) /* before Docker 1.13: a named mount point is a volume */
		type = name && *name && driver && *driver ? "volume" : "bind";
	if (strcmp(type, "bind") == 0) {
		m->kind = VG_MOUNT_BIND;
		m->source = src ? vg_strdup(src) : NULL;
	} else if (strcmp(type, "volume") == 0) {
		m->kind = VG_MOUNT_VOLUME;
		m->source = name && *name ? vg_strdup(name) : NULL;
		m->driver = driver && *driver ? vg_strdup(driver) : NULL;
	} else if (strcmp(type, "tmpfs") == 0) {
		m->kind = VG_MOUNT_TMPFS;
	} else {
		m->kind = VG_MOUNT_OTHER;
		m->source = src && *src ? vg_strdup(src) : NULL;
	}
	return 0;
}

static bool mode_is_host(json_t *hc, const char *key, struct vg_error *e, int *r)
{
	const char *v = NULL;
	if (*r < 0)
		return false;
	*r = vg_json_get_string(hc, key, &v, "hostconfig.json", e);
	return v && strcmp(v, "host") == 0;
}

int vg_docker_name(json_t *config, char **ret, struct vg_error *e)
{
	const char *name = NULL;
	int r;

	*ret = NULL;
	if ((r = vg_json_get_string(config, "Name", &name, "config.v2.json", e)) < 0)
		return r;
	if (name && name[0] == '/')
		name++;
	if (name && vg_name_valid(name))
		*ret = vg_strdup(name);
	return 0;
}

int vg_docker_labels(json_t *config, char ***ret, struct vg_error *e)
{
	json_t *cfg = NULL, *labels = NULL, *v;
	const char *k;
	int r;

	if ((r = vg_json_get_object(config, "Config", &cfg, "config.v2.json", e)) < 0 ||
	    (cfg &&
	     (r = vg_json_get_object(cfg, "Labels", &labels, "config.v2.json: Config", e)) < 0))
		return r;
	json_object_foreach(labels, k, v)
	{
		_cleanup_free_ char *kv = NULL;
		if (!json_is_string(v))
			return vg_error_set(e, EINVAL,
					    "config.v2.json: Config.Labels.%s: not a string", k);
		kv = vg_asprintf("%s=%s", k, json_string_value(v));
		vg_strv_push(ret, kv);
	}
	return 0;
}

int vg_docker_parse_config(json_t *config, struct vg_container *ct, struct vg_error *e)
{
	const char *id = NULL, *name = NULL, *user = NULL, *image = NULL, *k;
	json_t *cfg = NULL, *mps = NULL, *v;
	int r = 0;

	if (!json_is_object(config))
		return vg_error_set(e, EINVAL, "config.v2.json: not a JSON object");
	if ((r = vg_json_get_string(config, "ID", &id, "config.v2.json", e)) < 0 ||
	    (r = vg_json_get_string(config, "Name", &name, "config.v2.json", e)) < 0 ||
	    (r = vg_json_get_object(config, "Config", &cfg, "config.v2.json", e)) < 0 ||
	    (r = vg_json_get_object(config, "MountPoints", &mps, "config.v2.json", e)) < 0)
		return r;
	if (cfg &&
	    ((r = vg_json_get_string(cfg, "User", &user, "config.v2.json: Config", e)) < 0 ||
	     (r = vg_json_get_string(cfg, "Image", &image, "config.v2.json: Config", e)) < 0))
		return r;
	free(ct->id);
	ct->id = id && *id ? vg_strdup(id) : NULL;
	if (name && name[0] == '/')
		name++;
	free(ct->name);
	ct->name = name && *name ? vg_strdup(name) : NULL;
	ct->user = user && *user ? vg_strdup(user) : NULL;
	ct->image = image && *image ? vg_strdup(image) : NULL;
	if ((r = vg_docker_labels(config, &ct->labels, e)) < 0)
		return r;
	json_object_foreach(mps, k, v)
	{
		if (!json_is_object(v))
			return vg_error_set(
			    e, EINVAL, "config.v2.json: MountPoints[\"%s\"]: not an object", k);
		if ((r = parse_mountpoint(k, v, ct, e)) < 0) {
			vg_error_prefix(e, "config.v2.json: ");
			return r;
		}
	}
	return 0;
}

int vg_docker_parse_hostconfig(json_t *hostconfig, struct vg_container *ct, struct vg_error *e)
{
	const char *runtime = NULL;
	json_t *caps = NULL, *devs = NULL, *vf = NULL, *rules = NULL, *v;
	size_t i;
	int r = 0;

	if (!json_is_object(hostconfig))
		return vg_error_set(e, EINVAL, "hostconfig.json: not a JSON object");
	if ((r = vg_json_get_bool(hostconfig, "Privileged", &ct->privileged, "hostconfig.json",
				  e)) < 0)
		return r;
	ct->host_pid = mode_is_host(hostconfig, "PidMode", e, &r);
	ct->host_ipc = mode_is_host(hostconfig, "IpcMode", e, &r);
	ct->host_net = mode_is_host(hostconfig, "NetworkMode", e, &r);
	if (r >= 0) {
		const char *nm = NULL;
		vg_json_get_string(hostconfig, "NetworkMode", &nm, "hostconfig.json", e);
		if (nm && strncmp(nm, "container:", 10) == 0 && vg_name_valid(nm + 10))
			ct->net_container = vg_strdup(nm + 10);
	}
	ct->host_uts = mode_is_host(hostconfig, "UTSMode", e, &r);
	ct->host_userns = mode_is_host(hostconfig, "UsernsMode", e, &r);
	ct->host_cgroupns = mode_is_host(hostconfig, "CgroupnsMode", e, &r);
	if (r < 0 ||
	    (r = vg_json_get_array(hostconfig, "CapAdd", &caps, "hostconfig.json", e)) < 0 ||
	    (r = vg_json_get_array(hostconfig, "Devices", &devs, "hostconfig.json", e)) < 0 ||
	    (r = vg_json_get_array(hostconfig, "DeviceCgroupRules", &rules, "hostconfig.json", e)) <
		0 ||
	    (r = vg_json_string_array(rules, "hostconfig.json: DeviceCgroupRules",
				      &ct->device_rules, e)) < 0 ||
	    (r = vg_json_get_array(hostconfig, "VolumesFrom", &vf, "hostconfig.json", e)) < 0 ||
	    (r = vg_json_get_string(hostconfig, "Runtime", &runtime, "hostconfig.json", e)) < 0 ||
	    (r = vg_json_string_array(caps, "hostconfig.json: CapAdd", &ct->cap_add, e)) < 0 ||
	    (r = vg_json_string_array(vf, "hostconfig.json: VolumesFrom", &ct->volumes_from, e)) <
		0)
		return r;
	ct->volumes_from_resolved = true; /* their mounts are in MountPoints already */
	if ((r = parse_limits(hostconfig, ct, e)) < 0)
		return r;
	ct->runtime = runtime && *runtime ? vg_strdup(runtime) : NULL;
	json_array_foreach(devs, i, v)
	{
		_cleanup_free_ char *what = vg_asprintf("hostconfig.json: Devices[%zu]", i);
		const char *p = NULL;
		if ((r = vg_json_get_string(v, "PathOnHost", &p, what, e)) < 0)
			return r;
		if (!p || !*p)
			return vg_error_set(e, EINVAL, "%s.PathOnHost: missing", what);
		vg_strv_push(&ct->devices, p);
	}
	return 0;
}

int vg_docker_parse(json_t *config, json_t *hostconfig, struct vg_container *ct, struct vg_error *e)
{
	int r;

	if (!json_is_object(config))
		return vg_error_set(e, EINVAL, "config.v2.json: not a JSON object");
	if (!json_is_object(hostconfig))
		return vg_error_set(e, EINVAL, "hostconfig.json: not a JSON object");
	r = vg_docker_parse_config(config, ct, e);
	return r < 0 ? r : vg_docker_parse_hostconfig(hostconfig, ct, e);
}

char *vg_docker_join_target(json_t *host)
{
	static const char *const keys[] = { "NetworkMode", "IpcMode", "PidMode" };

	for (size_t i = 0; i < VG_ARRAY_SIZE(keys); i++) {
		const char *v = NULL;
		if (vg_json_get_string(host, keys[i], &v, "", NULL) < 0)
			continue;
		if (v && strncmp(v, "container:", 10) == 0 && v[10])
			return vg_strdup(v + 10);
	}
	return NULL;
}

/* ---- the files ---------------------------------------------------------------------------- */

int vg_docker_parse_json(const char *buf, size_t len, const char *what, json_t **ret, int *ret_line,
			 struct vg_error *e)
{
	json_error_t je;

	*ret = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!*ret) {
		if (ret_line)
			*ret_line = je.line;
		return vg_error_set(e, EINVAL, "%s: line %d, column %d: %s", what, je.line,
				    je.column, je.text);
	}
	if (!json_is_object(*ret)) {
		json_decref(*ret);
		*ret = NULL;
		if (ret_line)
			*ret_line = 1;
		return vg_error_set(e, EINVAL, "%s: not a JSON object", what);
	}
	return 0;
}

/* The one rule of docker.h for a JSON object file of Docker's (at most max bytes). */
static int read_json_at(int dir_fd, const char *file, size_t max, const char *what, json_t **ret,
			int *ret_line, struct vg_error *e)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	*ret = NULL;
	if (ret_line)
		*ret_line = 0;
	r = vg_read_file_at(dir_fd, file, max, &buf, &len, NULL);
	if (r < 0)
		return vg_read_error(e, r, what, max);
	return vg_docker_parse_json(buf, len, what, ret, ret_line, e);
}

int vg_docker_read_json(int dir_fd, const char *file, const char *what, json_t **ret, int *ret_line,
			struct vg_error *e)
{
	return read_json_at(dir_fd, file, VG_DOCKER_FILE_MAX, what, ret, ret_line, e);
}

int vg_docker_daemon_read(const char *path, json_t **ret, int *ret_line, struct vg_error *e)
{
	return read_json_at(AT_FDCWD, path, VG_DOCKER_DAEMON_MAX, path, ret, ret_line, e);
}

json_t *vg_docker_daemon_get(json_t *obj, const char *key)
{
	json_t *v = NULL;

	if (!json_is_object(obj) || vg_json_get(obj, key, &v, "daemon.json", NULL) < 0)
		return NULL;
	return v;
}

char *vg_docker_read_name(int dir_fd)
{
	_cleanup_json_ json_t *j = NULL;
	char *name = NULL;

	if (vg_docker_read_json(dir_fd, "config.v2.json", "config.v2.json", &j, NULL, NULL) < 0 ||
	    vg_docker_name(j, &name, NULL) < 0)
		return NULL;
	return name;
}

int vg_docker_read_container(int dir_fd, const char *dir, const char *path, struct vg_container *ct,
			     struct vg_error *e)
{
	_cleanup_free_ char *cfgpath = vg_asprintf("%s/config.v2.json", path),
			    *hcpath = vg_asprintf("%s/hostconfig.json", path);
	_cleanup_json_ json_t *cfg = NULL, *hc = NULL;
	int r;

	if ((r = vg_docker_read_json(dir_fd, "config.v2.json", cfgpath, &cfg, NULL, e)) < 0 ||
	    (r = vg_docker_read_json(dir_fd, "hostconfig.json", hcpath, &hc, NULL, e)) < 0)
		return r;
	if ((r = vg_docker_parse(cfg, hc, ct, e)) < 0) {
		_cleanup_free_ char *p = vg_asprintf("%s: ", path);
		vg_error_prefix(e, p);
		return r;
	}
	if (!ct->id) /* the directory is the ID */
		ct->id = vg_strdup(dir);
	return 0;
}

int vg_docker_foreach_container(const char *docker_root, vg_docker_entry_fn fn, void *data,
				struct vg_error *e)
{
	_cleanup_free_ char *path = vg_asprintf("%s/containers", docker_root);
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd, r;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vg_error_errno(e, errno, "%s: cannot open", path);
	d = fdopendir(fd);
	if (!d) {
		r = vg_error_errno(e, errno, "%s: cannot read", path);
		close(fd);
		return r;
	}
	while ((errno = 0, de = readdir(d))) {
		_cleanup_free_ char *p = NULL;
		struct vg_docker_entry ent = { .containers_fd = dirfd(d), .dir = de->d_name };

		if (de->d_name[0] == '.')
			continue;
		ent.dir_fd =
		    openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		ent.open_errno = ent.dir_fd < 0 ? errno : 0;
		p = vg_asprintf("%s/%s", path, de->d_name);
		ent.path = p;
		r = fn(&ent, data);
		if (ent.dir_fd >= 0)
			close(ent.dir_fd);
		if (r < 0)
			return r;
	}
	if (errno)
		return vg_error_errno(e, errno, "%s: cannot read", path);
	return 0;
}

int vg_docker_has_container(const char *docker_root, const char *id, char **ret_name)
{
	_cleanup_free_ char *dir = vg_asprintf("%s/containers", docker_root);
	_cleanup_close_ int fd = -1, d = -1;
	struct stat st;

	if (ret_name)
		*ret_name = NULL;
	if (!id || !vg_name_valid(id))
		return 0;
	/* Only "no such file" says the container is gone; any other failure keeps it alive. */
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : 1;
	if (fstatat(fd, id, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : 1;
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (ret_name && (d = openat(fd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0)
		*ret_name = vg_docker_read_name(d);
	return 1;
}

bool vg_docker_has_config(const char *docker_root, const char *id)
{
	_cleanup_free_ char *p = NULL;
	struct stat st;

	if (!id || !*id || strchr(id, '/'))
		return false;
	p = vg_asprintf("%s/containers/%s/config.v2.json", docker_root, id);
	return lstat(p, &st) == 0;
}

/* ---- finding a container ------------------------------------------------------------------ */

/* Docker's order: the full ID, then an exact name, then a unique ID prefix. */
static int find_container(int cdir, const char *what, const char *key, char **ret,
			  struct vg_error *e)
{
	_cleanup_closedir_ DIR *d = NULL;
	_cleanup_free_ char *prefix_match = NULL;
	size_t n_prefix = 0, klen = strlen(key);
	struct dirent *de;
	struct stat st;
	int fd;

	if (is_hex64(key) && fstatat(cdir, key, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		*ret = vg_strdup(key);
		return 0;
	}
	fd = openat(cdir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return vg_error_errno(e, errno, "%s: cannot read", what);
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *name = NULL;
		if (!is_hex64(de->d_name))
			continue;
		{
			_cleanup_close_ int cd =
			    openat(cdir, de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			name = cd >= 0 ? vg_docker_read_name(cd) : NULL;
		}
		if (name && strcmp(name, key) == 0) {
			*ret = vg_strdup(de->d_name);
			return 0;
		}
		if (strncmp(de->d_name, key, klen) == 0 && klen > 0) {
			n_prefix++;
			free(prefix_match);
			prefix_match = vg_strdup(de->d_name);
		}
	}
	if (n_prefix == 1) {
		*ret = TAKE_PTR(prefix_match);
		return 0;
	}
	if (n_prefix > 1)
		return vg_error_set(e, EINVAL, "container ID prefix '%s' is ambiguous", key);
	return vg_error_set(e, ENOENT, "no such container: %s (in %s)", key, what);
}

int vg_docker_load(const struct vg_config *c, const char *id_or_name, struct vg_container *ct,
		   struct vg_error *e)
{
	_cleanup_free_ char *dir = vg_asprintf("%s/containers", c->docker_root), *id = NULL,
			    *path = NULL;
	_cleanup_close_ int cdir = -1, d = -1;
	const char *key = id_or_name;
	int r;

	if (key && key[0] == '/') /* Docker's own spelling of names */
		key++;
	if (!key || !*key || strlen(key) > 255 || strchr(key, '/'))
		return vg_error_set(e, EINVAL, "'%s' is not a container ID or name",
				    id_or_name ? id_or_name : "");
	cdir = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cdir < 0)
		return vg_error_errno(e, errno, "%s: cannot open", dir);
	if ((r = find_container(cdir, dir, key, &id, e)) < 0)
		return r;
	/* find_container() set id when it returned >= 0; the analyzer cannot see that vg_error_*()
	 * return < 0. */
	// NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker)
	d = openat(cdir, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0)
		return vg_error_errno(e, errno, "%s/%s: cannot open", dir, id);
	path = vg_asprintf("%s/%s", dir, id);
	return vg_docker_read_container(d, id, path, ct, e);
}

int vg_docker_lookup(const char *name, struct vg_container *ret, void *config, struct vg_error *e)
{
	return vg_docker_load(config, name, ret, e);
}
