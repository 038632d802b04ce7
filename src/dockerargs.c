/*
 * A `docker run` command line, parsed as Docker 20.10's CLI parses it (spf13/pflag, with
 * interspersed arguments off): every option of `docker run` is known, with or without a value,
 * so that no value is ever mistaken for a flag and no flag for the image. Only the options that
 * matter to the policy are kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adapters.h"
#include "cleanup.h"

enum act {
	A_SKIP,
	A_VOLUME,
	A_MOUNT,
	A_TMPFS,
	A_VOLUMES_FROM,
	A_PRIVILEGED,
	A_PID,
	A_IPC,
	A_NET,
	A_UTS,
	A_USERNS,
	A_CGROUPNS,
	A_CAP_ADD,
	A_DEVICE,
	A_DEVICE_RULE,
	A_USER,
	A_NAME,
	A_LABEL,
	A_RUNTIME,
	A_VOLUME_DRIVER,
	A_MEMORY,
	A_CPUS,
	A_CPU_QUOTA,
	A_PIDS_LIMIT,
	A_SECURITY_OPT,
};

static void strv_freep(char ***v)
{
	vg_strv_free(*v);
}

struct flag {
	const char *name;
	char shorthand;
	bool value; /* takes an argument; else boolean */
	enum act act;
};

/* Every flag of `docker run` in Docker 20.10 (cli/command/container/run.go and opts.go). */
static const struct flag flags[] = {
	{ "add-host", 0, true, A_SKIP },
	{ "attach", 'a', true, A_SKIP },
	{ "blkio-weight", 0, true, A_SKIP },
	{ "blkio-weight-device", 0, true, A_SKIP },
	{ "cap-add", 0, true, A_CAP_ADD },
	{ "cap-drop", 0, true, A_SKIP },
	{ "cgroup-parent", 0, true, A_SKIP },
	{ "cgroupns", 0, true, A_CGROUPNS },
	{ "cidfile", 0, true, A_SKIP },
	{ "cpu-count", 0, true, A_SKIP },
	{ "cpu-percent", 0, true, A_SKIP },
	{ "cpu-period", 0, true, A_SKIP },
	{ "cpu-quota", 0, true, A_CPU_QUOTA },
	{ "cpu-rt-period", 0, true, A_SKIP },
	{ "cpu-rt-runtime", 0, true, A_SKIP },
	{ "cpu-shares", 'c', true, A_SKIP },
	{ "cpus", 0, true, A_CPUS },
	{ "cpuset-cpus", 0, true, A_SKIP },
	{ "cpuset-mems", 0, true, A_SKIP },
	{ "detach", 'd', false, A_SKIP },
	{ "detach-keys", 0, true, A_SKIP },
	{ "device", 0, true, A_DEVICE },
	{ "device-cgroup-rule", 0, true, A_DEVICE_RULE },
	{ "device-read-bps", 0, true, A_SKIP },
	{ "device-read-iops", 0, true, A_SKIP },
	{ "device-write-bps", 0, true, A_SKIP },
	{ "device-write-iops", 0, true, A_SKIP },
	{ "disable-content-trust", 0, false, A_SKIP },
	{ "dns", 0, true, A_SKIP },
	{ "dns-opt", 0, true, A_SKIP },
	{ "dns-option", 0, true, A_SKIP },
	{ "dns-search", 0, true, A_SKIP },
	{ "domainname", 0, true, A_SKIP },
	{ "entrypoint", 0, true, A_SKIP },
	{ "env", 'e', true, A_SKIP },
	{ "env-file", 0, true, A_SKIP },
	{ "expose", 0, true, A_SKIP },
	{ "gpus", 0, true, A_SKIP },
	{ "group-add", 0, true, A_SKIP },
	{ "health-cmd", 0, true, A_SKIP },
	{ "health-interval", 0, true, A_SKIP },
	{ "health-retries", 0, true, A_SKIP },
	{ "health-start-period", 0, true, A_SKIP },
	{ "health-timeout", 0, true, A_SKIP },
	{ "help", 0, false, A_SKIP },
	{ "hostname", 'h', true, A_SKIP },
	{ "init", 0, false, A_SKIP },
	{ "interactive", 'i', false, A_SKIP },
	{ "io-maxbandwidth", 0, true, A_SKIP },
	{ "io-maxiops", 0, true, A_SKIP },
	{ "ip", 0, true, A_SKIP },
	{ "ip6", 0, true, A_SKIP },
	{ "ipc", 0, true, A_IPC },
	{ "isolation", 0, true, A_SKIP },
	{ "kernel-memory", 0, true, A_SKIP },
	{ "label", 'l', true, A_LABEL },
	{ "label-file", 0, true, A_SKIP },
	{ "link", 0, true, A_SKIP },
	{ "link-local-ip", 0, true, A_SKIP },
	{ "log-driver", 0, true, A_SKIP },
	{ "log-opt", 0, true, A_SKIP },
	{ "mac-address", 0, true, A_SKIP },
	{ "memory", 'm', true, A_MEMORY },
	{ "memory-reservation", 0, true, A_SKIP },
	{ "memory-swap", 0, true, A_SKIP },
	{ "memory-swappiness", 0, true, A_SKIP },
	{ "mount", 0, true, A_MOUNT },
	{ "name", 0, true, A_NAME },
	{ "net", 0, true, A_NET },
	{ "net-alias", 0, true, A_SKIP },
	{ "network", 0, true, A_NET },
	{ "network-alias", 0, true, A_SKIP },
	{ "no-healthcheck", 0, false, A_SKIP },
	{ "oom-kill-disable", 0, false, A_SKIP },
	{ "oom-score-adj", 0, true, A_SKIP },
	{ "pid", 0, true, A_PID },
	{ "pids-limit", 0, true, A_PIDS_LIMIT },
	{ "platform", 0, true, A_SKIP },
	{ "privileged", 0, false, A_PRIVILEGED },
	{ "publish", 'p', true, A_SKIP },
	{ "publish-all", 'P', false, A_SKIP },
	{ "pull", 0, true, A_SKIP },
	{ "quiet", 'q', false, A_SKIP },
	{ "read-only", 0, false, A_SKIP },
	{ "restart", 0, true, A_SKIP },
	{ "rm", 0, false, A_SKIP },
	{ "runtime", 0, true, A_RUNTIME },
	{ "security-opt", 0, true, A_SECURITY_OPT },
	{ "shm-size", 0, true, A_SKIP },
	{ "sig-proxy", 0, false, A_SKIP },
	{ "stop-signal", 0, true, A_SKIP },
	{ "stop-timeout", 0, true, A_SKIP },
	{ "storage-opt", 0, true, A_SKIP },
	{ "sysctl", 0, true, A_SKIP },
	{ "tmpfs", 0, true, A_TMPFS },
	{ "tty", 't', false, A_SKIP },
	{ "ulimit", 0, true, A_SKIP },
	{ "user", 'u', true, A_USER },
	{ "userns", 0, true, A_USERNS },
	{ "uts", 0, true, A_UTS },
	{ "volume", 'v', true, A_VOLUME },
	{ "volume-driver", 0, true, A_VOLUME_DRIVER },
	{ "volumes-from", 0, true, A_VOLUMES_FROM },
	{ "workdir", 'w', true, A_SKIP },
};

static const struct flag *find_long(const char *name, size_t n)
{
	for (size_t i = 0; i < VG_ARRAY_SIZE(flags); i++)
		if (strlen(flags[i].name) == n && strncmp(flags[i].name, name, n) == 0)
			return &flags[i];
	return NULL;
}

static const struct flag *find_short(char c)
{
	for (size_t i = 0; i < VG_ARRAY_SIZE(flags); i++)
		if (flags[i].shorthand == c)
			return &flags[i];
	return NULL;
}

/* Go's strconv.ParseBool. */
static int go_parse_bool(const char *s, bool *ret)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < VG_ARRAY_SIZE(t); i++) {
		if (strcmp(s, t[i]) == 0)
			return *ret = true, 0;
		if (strcmp(s, f[i]) == 0)
			return *ret = false, 0;
	}
	return -EINVAL;
}

static bool is_mode(const char *o, const char *const *set)
{
	for (size_t i = 0; set[i]; i++)
		if (strcmp(o, set[i]) == 0)
			return true;
	return false;
}

static const char *const rw_modes[] = { "rw", "ro", NULL };
static const char *const label_modes[] = { "z", "Z", NULL };
static const char *const prop_modes[] = { "private", "rprivate", "shared", "rshared",
					  "slave",   "rslave",	 NULL };
static const char *const copy_modes[] = { "nocopy", NULL };
static const char *const consistency_modes[] = { "consistent", "cached", "delegated", "default",
						 NULL };

/* Docker's linuxValidMountMode: a comma list with at most one of each kind. */
static bool valid_mode(const char *mode, bool *ro, char **prop)
{
	const char *const *kinds[] = { rw_modes, label_modes, prop_modes, copy_modes,
				       consistency_modes };
	unsigned count[VG_ARRAY_SIZE(kinds)] = { 0 };
	_cleanup_free_ char *copy = vg_strdup(mode);
	char *save = NULL;

	if (!*mode)
		return true;
	/* strtok_r would skip empty items, which Docker refuses. */
	if (mode[0] == ',' || mode[strlen(mode) - 1] == ',' || strstr(mode, ",,"))
		return false;
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		size_t k;
		for (k = 0; k < VG_ARRAY_SIZE(kinds); k++)
			if (is_mode(o, kinds[k]))
				break;
		if (k == VG_ARRAY_SIZE(kinds) || ++count[k] > 1)
			return false;
		if (strcmp(o, "ro") == 0)
			*ro = true;
		if (k == 2) {
			free(*prop);
			*prop = vg_strdup(o);
		}
	}
	return true;
}

static bool relative_bind(const char *s)
{
	return strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strncmp(s, "./", 2) == 0 ||
	       strncmp(s, "../", 3) == 0;
}

/* A size (--memory 512m, go-units' RAMInBytes: NUMBER[ ][kmgtp][i][b], powers of 1024) when
 * `units`, else a number (--cpus 1.5, --cpu-quota, --pids-limit); scaled by `scale`. */
static int parse_amount(const char *flag, const char *val, bool units, double scale, int64_t *ret,
			struct vg_error *e)
{
	static const char suffixes[] = "kmgtp";
	char *end = NULL;
	const char *u;
	double d;

	errno = 0;
	d = strtod(val, &end);
	if (units && end != val) {
		if (*end == ' ')
			end++;
		if (*end && (u = strchr(suffixes, *end | 0x20))) {
			for (long k = 0; k <= u - suffixes; k++)
				d *= 1024;
			end++;
		}
		if ((*end | 0x20) == 'i')
			end++;
		if ((*end | 0x20) == 'b')
			end++;
	}
	if (end == val || *end || errno == ERANGE || !(d >= -9e18 && d <= 9e18 / scale))
		return vg_error_set(e, EINVAL, "--%s %s: not a valid %s", flag, val,
				    units ? "size" : "number");
	*ret = (int64_t)(d * scale);
	return 0;
}

/* -v [SRC:]DST[:MODE] */
static int parse_volume(const char *spec, struct vg_container *ct, struct vg_error *e)
{
	_cleanup_free_ char *copy = vg_strdup(spec), *prop = NULL;
	char *f[4] = { 0 };
	size_t n = 0;
	const char *src = NULL, *dst, *mode = "";
	bool ro = false;
	struct vg_mount *m;

	for (char *p = copy; p && n < 4; n++) {
		f[n] = p;
		p = n < 3 ? strchr(p, ':') : NULL;
		if (p)
			*p++ = '\0';
	}
	if (n == 0 || n > 3 || !f[0][0])
		return vg_error_set(e, EINVAL, "-v %s: invalid volume specification", spec);
	if (n == 1) {
		dst = f[0];
	} else {
		if (n == 2 && valid_mode(f[1], &ro, &prop))
			return vg_error_set(e, EINVAL,
					    "-v %s: invalid volume specification (a mode needs a "
					    "source and a destination)",
					    spec);
		src = f[0];
		dst = f[1];
		if (n == 3)
			mode = f[2];
	}
	if (!valid_mode(mode, &ro, &prop))
		return vg_error_set(e, EINVAL, "-v %s: invalid mode '%s'", spec, mode);
	if (dst[0] != '/')
		return vg_error_set(
		    e, EINVAL, "-v %s: the destination '%s' is not an absolute path", spec, dst);
	m = vg_container_add_mount(ct);
	m->destination = vg_strdup(dst);
	m->readonly = ro;
	m->propagation = TAKE_PTR(prop);
	m->origin = vg_asprintf("-v %s", spec);
	if (!src) {
		m->kind = VG_MOUNT_VOLUME; /* anonymous */
	} else if (src[0] == '/') {
		m->kind = VG_MOUNT_BIND;
		m->source = vg_strdup(src);
	} else if (relative_bind(src)) {
		/* The CLI makes "./dir" absolute against its working directory. */
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		m->kind = VG_MOUNT_BIND;
		m->source = cwd ? vg_asprintf("%s/%s", cwd, src) : vg_strdup(src);
	} else {
		if (!vg_name_valid(src))
			return vg_error_set(e, EINVAL, "-v %s: '%s' is not a valid volume name",
					    spec, src);
		m->kind = VG_MOUNT_VOLUME;
		m->source = vg_strdup(src);
	}
	if (m->kind == VG_MOUNT_VOLUME && m->propagation)
		return vg_error_set(e, EINVAL, "-v %s: propagation applies to binds only", spec);
	return 0;
}

/* One record of Go's encoding/csv (no lazy quotes): fields into *out. */
static int csv_split(const char *s, char ***out)
{
	for (;;) {
		_cleanup_free_ char *field = vg_malloc0(strlen(s) + 1);
		size_t n = 0;

		if (*s == '"') {
			s++;
			for (;;) {
				if (!*s)
					return -EINVAL; /* unterminated quote */
				if (*s == '"') {
					if (s[1] == '"') {
						field[n++] = '"';
						s += 2;
						continue;
					}
					s++;
					break;
				}
				field[n++] = *s++;
			}
			if (*s && *s != ',')
				return -EINVAL; /* extraneous character after the quote */
		} else {
			while (*s && *s != ',') {
				if (*s == '"')
					return -EINVAL; /* bare quote */
				field[n++] = *s++;
			}
		}
		field[n] = '\0';
		vg_strv_push(out, field);
		if (!*s)
			return 0;
		s++; /* the comma */
	}
}

/* --mount type=...,source=...,target=...,readonly,... (docker/cli opts/mount.go) */
static int parse_mount(const char *spec, struct vg_container *ct, struct vg_error *e)
{
	_cleanup_(strv_freep) char **fields = NULL;
	_cleanup_free_ char *type = vg_strdup("volume"), *src = NULL, *dst = NULL, *prop = NULL,
			    *driver = NULL, *vtype = NULL, *vo = NULL, *vdev = NULL;
	bool ro = false, nonrec = false, vol_opts = false, bind_opts = false, tmpfs_opts = false;
	struct vg_mount *m;

	if (csv_split(spec, &fields) < 0)
		return vg_error_set(e, EINVAL, "--mount %s: not a valid CSV record", spec);
	for (size_t i = 0; fields && fields[i]; i++) {
		char *f = fields[i], *eq = strchr(f, '=');
		const char *val = eq ? eq + 1 : NULL;
		bool b = true;

		if (eq)
			*eq = '\0';
		for (char *p = f; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		if (val &&
		    (strcmp(f, "readonly") == 0 || strcmp(f, "ro") == 0 ||
		     strcmp(f, "bind-nonrecursive") == 0 || strcmp(f, "volume-nocopy") == 0) &&
		    go_parse_bool(val, &b) < 0)
			return vg_error_set(e, EINVAL, "--mount %s: invalid value for %s: %s", spec,
					    f, val);
		if (strcmp(f, "readonly") == 0 || strcmp(f, "ro") == 0) {
			ro = b;
		} else if (strcmp(f, "bind-nonrecursive") == 0) {
			nonrec = b;
			bind_opts = true;
		} else if (strcmp(f, "volume-nocopy") == 0) {
			vol_opts = true;
		} else if (!val) {
			return vg_error_set(
			    e, EINVAL, "--mount %s: invalid field '%s' must be a key=value pair",
			    spec, f);
		} else if (strcmp(f, "type") == 0) {
			free(type);
			type = vg_strdup(val);
			for (char *p = type; *p; p++)
				*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		} else if (strcmp(f, "source") == 0 || strcmp(f, "src") == 0) {
			free(src);
			src = vg_strdup(val);
		} else if (strcmp(f, "target") == 0 || strcmp(f, "dst") == 0 ||
			   strcmp(f, "destination") == 0) {
			free(dst);
			dst = vg_strdup(val);
		} else if (strcmp(f, "bind-propagation") == 0) {
			free(prop);
			prop = vg_strdup(val);
			bind_opts = true;
		} else if (strcmp(f, "volume-driver") == 0) {
			free(driver);
			driver = vg_strdup(val);
			vol_opts = true;
		} else if (strcmp(f, "volume-opt") == 0) {
			const char *v2 = strchr(val, '=');
			size_t kl = v2 ? (size_t)(v2 - val) : strlen(val);
			char **slot = kl == 4 && strncmp(val, "type", 4) == 0	  ? &vtype
				      : kl == 1 && val[0] == 'o'		  ? &vo
				      : kl == 6 && strncmp(val, "device", 6) == 0 ? &vdev
										  : NULL;
			if (slot) {
				free(*slot);
				*slot = vg_strdup(v2 ? v2 + 1 : "");
			}
			vol_opts = true;
		} else if (strcmp(f, "volume-label") == 0) {
			vol_opts = true;
		} else if (strcmp(f, "tmpfs-size") == 0 || strcmp(f, "tmpfs-mode") == 0) {
			tmpfs_opts = true;
		} else if (strcmp(f, "consistency") == 0) {
			/* macOS only */
		} else {
			return vg_error_set(e, EINVAL, "--mount %s: unexpected key '%s'", spec, f);
		}
	}
	if (!dst || !*dst)
		return vg_error_set(e, EINVAL, "--mount %s: target is required", spec);
	if (dst[0] != '/')
		return vg_error_set(e, EINVAL, "--mount %s: target '%s' is not an absolute path",
				    spec, dst);
	if ((vol_opts && strcmp(type, "volume") != 0) || (bind_opts && strcmp(type, "bind") != 0) ||
	    (tmpfs_opts && strcmp(type, "tmpfs") != 0))
		return vg_error_set(e, EINVAL,
				    "--mount %s: cannot mix options of another type with "
				    "mount type '%s'",
				    spec, type);
	if (prop && !is_mode(prop, prop_modes))
		return vg_error_set(e, EINVAL, "--mount %s: invalid bind-propagation '%s'", spec,
				    prop);
	m = vg_container_add_mount(ct);
	m->destination = TAKE_PTR(dst);
	m->readonly = ro;
	m->nonrecursive = nonrec;
	m->propagation = TAKE_PTR(prop);
	m->origin = vg_asprintf("--mount %s", spec);
	if (strcmp(type, "bind") == 0) {
		m->kind = VG_MOUNT_BIND;
		if (!src || src[0] != '/')
			return vg_error_set(
			    e, EINVAL, "--mount %s: a bind needs an absolute source path", spec);
		m->source = TAKE_PTR(src);
	} else if (strcmp(type, "volume") == 0) {
		m->kind = VG_MOUNT_VOLUME;
		if (src && *src && !vg_name_valid(src))
			return vg_error_set(
			    e, EINVAL, "--mount %s: '%s' is not a valid volume name", spec, src);
		m->source = src && *src ? TAKE_PTR(src) : NULL;
		m->driver = TAKE_PTR(driver);
		m->volume_type = TAKE_PTR(vtype);
		m->volume_o = TAKE_PTR(vo);
		m->volume_device = TAKE_PTR(vdev);
	} else if (strcmp(type, "tmpfs") == 0) {
		m->kind = VG_MOUNT_TMPFS;
		if (src && *src)
			return vg_error_set(e, EINVAL, "--mount %s: a tmpfs has no source", spec);
	} else {
		return vg_error_set(e, EINVAL, "--mount %s: unsupported mount type '%s'", spec,
				    type);
	}
	return 0;
}

static int apply(const struct flag *f, const char *val, struct vg_container *ct,
		 const char **volume_driver, struct vg_error *e)
{
	switch (f->act) {
	case A_SKIP:
		return 0;
	case A_VOLUME:
		return parse_volume(val, ct, e);
	case A_MOUNT:
		return parse_mount(val, ct, e);
	case A_TMPFS: {
		struct vg_mount *m = vg_container_add_mount(ct);
		m->kind = VG_MOUNT_TMPFS;
		m->destination = strndup(val, strcspn(val, ":"));
		m->origin = vg_asprintf("--tmpfs %s", val);
		if (!m->destination)
			abort();
		return 0;
	}
	case A_VOLUMES_FROM:
		return vg_strv_push(&ct->volumes_from, val), 0;
	case A_PRIVILEGED:
		return go_parse_bool(val, &ct->privileged) < 0
			   ? vg_error_set(e, EINVAL, "--privileged=%s: not a boolean", val)
			   : 0;
	case A_PID:
		ct->host_pid = strcmp(val, "host") == 0;
		return 0;
	case A_IPC:
		ct->host_ipc = strcmp(val, "host") == 0;
		return 0;
	case A_NET:
		ct->host_net = ct->host_net || strcmp(val, "host") == 0;
		return 0;
	case A_UTS:
		ct->host_uts = strcmp(val, "host") == 0;
		return 0;
	case A_USERNS:
		ct->host_userns = strcmp(val, "host") == 0;
		return 0;
	case A_CGROUPNS:
		ct->host_cgroupns = strcmp(val, "host") == 0;
		return 0;
	case A_CAP_ADD:
		return vg_strv_push(&ct->cap_add, val), 0;
	case A_DEVICE: {
		_cleanup_free_ char *host = strndup(val, strcspn(val, ":"));
		if (!host)
			abort();
		if (!*host)
			return vg_error_set(e, EINVAL, "--device %s: no host device", val);
		return vg_strv_push(&ct->devices, host), 0;
	}
	case A_DEVICE_RULE:
		return vg_strv_push(&ct->device_rules, val), 0;
	case A_USER:
		free(ct->user);
		ct->user = vg_strdup(val);
		return 0;
	case A_NAME:
		if (!vg_name_valid(val[0] == '/' ? val + 1 : val))
			return vg_error_set(e, EINVAL, "--name %s: not a valid container name",
					    val);
		free(ct->name);
		ct->name = vg_strdup(val[0] == '/' ? val + 1 : val);
		return 0;
	case A_LABEL: {
		_cleanup_free_ char *kv =
		    strchr(val, '=') ? vg_strdup(val) : vg_asprintf("%s=", val);
		return vg_strv_push(&ct->labels, kv), 0;
	}
	case A_RUNTIME:
		free(ct->runtime);
		ct->runtime = vg_strdup(val);
		return 0;
	case A_VOLUME_DRIVER:
		*volume_driver = val; /* applied to the -v volumes once all are known */
		return 0;
	case A_MEMORY:
		return parse_amount(f->name, val, true, 1, &ct->memory_limit, e);
	case A_CPUS:
		return parse_amount(f->name, val, false, 1e9, &ct->cpu_limit, e);
	case A_CPU_QUOTA: {
		int64_t q = 0;
		int r = parse_amount(f->name, val, false, 1, &q, e);
		if (r >= 0 && ct->cpu_limit <= 0) /* --cpus wins (Docker refuses both) */
			ct->cpu_limit = q;
		return r;
	}
	case A_PIDS_LIMIT:
		return parse_amount(f->name, val, false, 1, &ct->pids_limit, e);
	case A_SECURITY_OPT:
		if (strcmp(val, "seccomp=unconfined") == 0 ||
		    strcmp(val, "seccomp:unconfined") == 0)
			ct->seccomp_unconfined = true;
		return 0;
	}
	return 0;
}

/* --volume-driver applies to the named volumes of -v, wherever it stands (HostConfig). */
static void apply_volume_driver(const char *driver, struct vg_container *ct)
{
	if (!driver || !*driver)
		return;
	for (size_t k = 0; k < ct->n_mounts; k++) {
		struct vg_mount *m = &ct->mounts[k];
		if (m->kind == VG_MOUNT_VOLUME && !m->driver && strncmp(m->origin, "-v ", 3) == 0)
			m->driver = vg_strdup(driver);
	}
}

int vg_dockerargs_parse(int argc, char *const *argv, struct vg_container *ct, struct vg_error *e)
{
	const char *volume_driver = NULL;
	int i, r;

	ct->limits_known = true; /* what the command line does not set, the container lacks */
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break; /* the image: options end here (interspersed arguments are off) */
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t n = eq ? (size_t)(eq - name) : strlen(name);
			const struct flag *f = find_long(name, n);
			const char *val;

			if (!f)
				return vg_error_set(e, EINVAL, "unknown flag: --%.*s", (int)n,
						    name);
			if (!f->value) {
				val = eq ? eq + 1 : "true";
				bool b;
				if (go_parse_bool(val, &b) < 0)
					return vg_error_set(e, EINVAL,
							    "invalid argument \"%s\" for \"--%s\": "
							    "not a boolean",
							    val, f->name);
				if (!b && f->act == A_PRIVILEGED)
					ct->privileged = false;
				if (b && (r = apply(f, val, ct, &volume_driver, e)) < 0)
					return r;
				continue;
			}
			if (eq) {
				val = eq + 1;
			} else if (i + 1 < argc) {
				val = argv[++i]; /* pflag takes the next argument, dash or not */
			} else {
				return vg_error_set(e, EINVAL, "flag needs an argument: --%s",
						    f->name);
			}
			if ((r = apply(f, val, ct, &volume_driver, e)) < 0)
				return r;
			continue;
		}
		/* A group of shorthands: -it, -dit, -eFOO=bar, -p8080:80, -e=FOO, -d=false. */
		for (const char *s = a + 1; *s; s++) {
			const struct flag *f = find_short(*s);
			const char *val;

			if (!f)
				return vg_error_set(e, EINVAL, "unknown shorthand flag: '%c' in %s",
						    *s, a);
			if (!f->value) {
				bool b = true;
				if (s[1] == '=') {
					if (go_parse_bool(s + 2, &b) < 0)
						return vg_error_set(e, EINVAL,
								    "invalid argument \"%s\" for "
								    "\"-%c\": not a boolean",
								    s + 2, *s);
					if (b && (r = apply(f, "true", ct, &volume_driver, e)) < 0)
						return r;
					break;
				}
				if ((r = apply(f, "true", ct, &volume_driver, e)) < 0)
					return r;
				continue;
			}
			if (s[1] == '=')
				val = s + 2;
			else if (s[1])
				val = s + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return vg_error_set(e, EINVAL, "flag needs an argument: '%c' in %s",
						    *s, a);
			if ((r = apply(f, val, ct, &volume_driver, e)) < 0)
				return r;
			break;
		}
	}
	if (i >= argc)
		return vg_error_set(e, EINVAL,
				    "\"docker run\" requires at least 1 argument: IMAGE");
	apply_volume_driver(volume_driver, ct);
	free(ct->image);
	ct->image = vg_strdup(argv[i]);
	return 0;
}
