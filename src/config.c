/*
 * The config file. It can widen what containers may do, so it is trusted only when root owns it
 * and nobody else can write it; both are checked on the opened descriptor, not on the path.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "identity.h"

const char *const vg_default_sensitive_paths[] = { "/",
						   "/bin",
						   "/boot",
						   "/dev",
						   "/etc",
						   "/lib",
						   "/lib64",
						   "/proc",
						   "/root",
						   "/run",
						   "/sbin",
						   "/sys",
						   "/usr",
						   "/var/run",
						   "/var/lib/docker",
						   "/var/lib/containerd",
						   "/var/lib/kubelet",
						   "/etc/docker",
						   NULL };

/* Capabilities that would let a container cross into another range or out to the host. */
static const cap_value_t default_drop[] = {
	CAP_SETUID,
	CAP_SETGID,
	CAP_DAC_OVERRIDE,
	CAP_DAC_READ_SEARCH,
	CAP_FOWNER,
	CAP_CHOWN,
	CAP_FSETID,
	CAP_MKNOD,
	CAP_SYS_ADMIN,
	CAP_SETPCAP,
	CAP_SETFCAP,
	CAP_SYS_PTRACE,
	CAP_SYS_MODULE,
	CAP_SYS_RAWIO,
	CAP_LINUX_IMMUTABLE,
	CAP_MAC_ADMIN,
	CAP_MAC_OVERRIDE,
	CAP_SYS_BOOT,
	CAP_BPF,
	CAP_PERFMON,
};

uint64_t vg_default_drop_capabilities(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < VG_ARRAY_SIZE(default_drop); i++)
		m |= UINT64_C(1) << default_drop[i];
	return m;
}

/* What dockerd gives a container by default (moby's oci/caps/defaults.go). */
static const int docker_default_caps[] = {
	CAP_CHOWN,   CAP_DAC_OVERRIDE, CAP_FSETID,	     CAP_FOWNER,
	CAP_MKNOD,   CAP_NET_RAW,      CAP_SETGID,	     CAP_SETUID,
	CAP_SETFCAP, CAP_SETPCAP,      CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT,
	CAP_KILL,    CAP_AUDIT_WRITE,
};

uint64_t vg_docker_default_caps(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < VG_ARRAY_SIZE(docker_default_caps); i++)
		m |= UINT64_C(1) << docker_default_caps[i];
	return m;
}

uint64_t vg_config_allowed_caps(const struct vg_config *c, enum vg_isolation mode)
{
	if (c->allowed_capabilities_set)
		return c->allowed_capabilities;
	switch (mode) {
	case VG_ISOLATION_USERNS:
		/* Capabilities over the container's own user namespace: root-start images chown and
		 * drop; nothing acts on the host. */
		return vg_docker_default_caps();
	case VG_ISOLATION_AUTO:
	case VG_ISOLATION_SHIFT:
		/* The process shares the host's user namespace: any capability acts on the host. */
		return 0;
	}
	return 0;
}

uint64_t vg_config_cap_survivors(const struct vg_config *c, enum vg_isolation mode)
{
	uint64_t drop =
	    mode == VG_ISOLATION_USERNS && !c->drop_capabilities_set ? 0 : c->drop_capabilities;

	return vg_config_allowed_caps(c, mode) & ~drop;
}

void vg_config_init(struct vg_config *c)
{
	memset(c, 0, sizeof(*c));
	c->docker_root = vg_strdup("/var/lib/docker");
	c->state_dir = vg_strdup("/var/lib/volguard");
	c->stage_dir = vg_strdup("/run/volguard");
	c->runtime = vg_strdup("/usr/sbin/runc");
	c->subuid_file = vg_strdup("/etc/subuid");
	c->subgid_file = vg_strdup("/etc/subgid");
	c->daemon_config = vg_strdup("/etc/docker/daemon.json");
	c->pool_start = UINT64_C(1073741824);
	c->pool_end = UINT64_C(2147483647);
	c->range_size = 65536;
	c->quarantine_days = 30;
	c->allocation = VG_ALLOC_FIRST_FIT;
	c->allocation_key_file = vg_strdup(VG_DEFAULT_ALLOCATION_KEY);
	for (size_t i = 0; vg_default_sensitive_paths[i]; i++)
		vg_strv_push(&c->sensitive_paths, vg_default_sensitive_paths[i]);
	c->allow_readonly_sensitive = true;
	c->deny_privileged = true;
	c->drop_capabilities = vg_default_drop_capabilities();
	c->strict_membership = false;
}

void vg_config_free(struct vg_config *c)
{
	free(c->path);
	free(c->docker_root);
	free(c->stage_dir);
	free(c->volumes_root);
	free(c->state_dir);
	free(c->runtime);
	free(c->subuid_file);
	free(c->subgid_file);
	free(c->daemon_config);
	free(c->allocation_key_file);
	vg_strv_free(c->sensitive_paths);
	vg_strv_free(c->extra_sensitive_paths);
	vg_strv_free(c->isolation_exempt);
	vg_strv_free(c->allowed_devices);
	for (size_t i = 0; i < c->n_volumes; i++) {
		for (size_t j = 0; j < c->volumes[i].n_members; j++)
			free(c->volumes[i].members[j].name);
		free(c->volumes[i].members);
		free(c->volumes[i].name);
	}
	free(c->volumes);
	memset(c, 0, sizeof(*c));
}

/*
 * Parser state. inih (Debian's build) gives no line numbers and truncates section names to 50
 * bytes, so the reader counts lines, keeps the whole current section name and tells whether a
 * line continues the previous key (INI_ALLOW_MULTILINE).
 */
struct seen_key {
	char *section, *key;
	unsigned line;
};

struct parse_state {
	struct vg_config *c;
	const char *path;
	const char *text;
	size_t pos;
	unsigned line;
	struct vg_error *e;
	int r;		       /* first error */
	char *section;	       /* the current section, whole */
	bool have_key;	       /* a key was seen in this section: indented lines continue it */
	bool continuation;     /* the line being handled continues the previous key */
	struct seen_key *seen; /* every (section, key) set so far, to refuse duplicates */
	size_t n_seen;
	unsigned line_pool_start, line_pool_end, line_range_size;
};

static struct vg_volume_decl *volume_decl(struct parse_state *s, const char *sec);
static char *volume_section_name(const char *section);
static int fail(struct parse_state *s, const char *section, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool check_section_header(struct parse_state *s, char *line)
{
	char *p, *end;
	bool ok = true;

	if (s->line == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0)
		line += 3; /* inih skips a UTF-8 byte order mark */
	p = line + strspn(line, " \t");
	if (*p != '[')
		return true;
	end = strchr(p, ']');
	if (!end)
		return true; /* inih reports the syntax error */
	*end = '\0';
	free(s->section);
	s->section = vg_strdup(p + 1);
	s->have_key = false;
	if (strcmp(p + 1, "paths") != 0 && strcmp(p + 1, "ranges") != 0 &&
	    strcmp(p + 1, "policy") != 0 && strcmp(p + 1, "identity") != 0) {
		for (size_t i = 0; i < s->c->n_volumes && ok; i++) {
			_cleanup_free_ char *name = volume_section_name(p + 1);
			if (name && strcmp(s->c->volumes[i].name, name) == 0) {
				fail(s, p + 1, "", "volume declared twice (first on line %u)",
				     s->c->volumes[i].line);
				ok = false;
			}
		}
		if (ok && !volume_decl(s, p + 1))
			ok = false;
	}
	*end = ']';
	return ok;
}

static char *reader(char *buf, int size, void *stream)
{
	struct parse_state *s = stream;
	size_t n = 0, lead;

	if (s->r < 0 || s->text[s->pos] == '\0')
		return NULL;
	s->line++;
	while (s->text[s->pos] != '\0' && s->text[s->pos] != '\n') {
		if (n + 2 >= (size_t)size) {
			/* inih would silently split it into two lines. */
			s->r = vg_error_set(s->e, EINVAL, "%s:%u: line longer than %d bytes",
					    s->path, s->line, size - 2);
			return NULL;
		}
		buf[n++] = s->text[s->pos++];
	}
	if (s->text[s->pos] == '\n')
		s->pos++;
	buf[n] = '\0';
	/* This inih build never reports a section without keys: check every header here. */
	if (!check_section_header(s, buf))
		return NULL;
	/* inih's rule for a continuation line: indented, not blank, not a comment, after a key. */
	lead = strspn(buf, " \t\r\f\v");
	s->continuation =
	    s->have_key && lead > 0 && buf[lead] != '\0' && buf[lead] != ';' && buf[lead] != '#';
	buf[n++] = '\n';
	buf[n] = '\0';
	return buf;
}

static int fail(struct parse_state *s, const char *section, const char *key, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	if (s->r < 0)
		return 0; /* keep the first error */
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	s->r = vg_error_set(s->e, EINVAL, "%s:%u: [%s]%s%s: %s", s->path, s->line, section,
			    *key ? " " : "", key, why);
	return 0;
}

static int set_path(struct parse_state *s, const char *sec, const char *key, const char *v,
		    char **dst)
{
	if (v[0] != '/')
		return fail(s, sec, key, "'%s' is not an absolute path", v);
	if (strlen(v) >= 4096)
		return fail(s, sec, key, "path too long");
	free(*dst);
	*dst = vg_strdup(v);
	return 1;
}

static int set_u64(struct parse_state *s, const char *sec, const char *key, const char *v,
		   uint64_t *dst)
{
	int r = vg_parse_u64(v, UINT32_MAX, dst);
	if (r == -ERANGE)
		return fail(s, sec, key, "'%s' is out of range (0..4294967295)", v);
	if (r < 0)
		return fail(s, sec, key, "'%s' is not a number", v);
	return 1;
}

static int set_bool(struct parse_state *s, const char *sec, const char *key, const char *v,
		    bool *dst)
{
	if (vg_parse_bool(v, dst) < 0)
		return fail(s, sec, key, "'%s' is not a boolean (yes/no, true/false, on/off, 1/0)",
			    v);
	return 1;
}

/* Split a list on commas and white space; call fn for each item. */
static int for_each_item(struct parse_state *s, const char *sec, const char *key, const char *v,
			 int (*fn)(struct parse_state *, const char *, const char *, const char *,
				   void *),
			 void *data)
{
	_cleanup_free_ char *copy = vg_strdup(v);
	char *save = NULL;

	for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save))
		if (!fn(s, sec, key, t, data))
			return 0;
	return 1;
}

static int add_path_item(struct parse_state *s, const char *sec, const char *key, const char *item,
			 void *data)
{
	char ***list = data;
	if (item[0] != '/')
		return fail(s, sec, key, "'%s' is not an absolute path", item);
	vg_strv_push(list, item);
	return 1;
}

static int add_cap_item(struct parse_state *s, const char *sec, const char *key, const char *item,
			void *data)
{
	uint64_t *mask = data;
	cap_value_t cap;
	_cleanup_free_ char *lower = vg_strdup(item);

	for (char *p = lower; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (cap_from_name(lower, &cap) < 0 || cap < 0 || cap > 63)
		return fail(s, sec, key, "'%s' is not a capability name", item);
	*mask |= UINT64_C(1) << cap;
	return 1;
}

static int add_limit_item(struct parse_state *s, const char *sec, const char *key, const char *item,
			  void *data)
{
	static const struct {
		const char *name;
		unsigned bit;
	} limits[] = { { "memory", VG_LIMIT_MEMORY },
		       { "cpus", VG_LIMIT_CPUS },
		       { "pids", VG_LIMIT_PIDS } };
	unsigned *mask = data;

	for (size_t i = 0; i < VG_ARRAY_SIZE(limits); i++)
		if (strcmp(item, limits[i].name) == 0) {
			*mask |= limits[i].bit;
			return 1;
		}
	return fail(s, sec, key, "'%s' is not a limit (memory, cpus or pids)", item);
}

static int add_pattern_item(struct parse_state *s, const char *sec, const char *key,
			    const char *item, void *data)
{
	char ***list = data;
	vg_strv_push(list, item);
	return 1;
}

static int add_member_item(struct parse_state *s, const char *sec, const char *key,
			   const char *item, void *data)
{
	struct vg_volume_decl *d = data;
	_cleanup_free_ char *name = vg_strdup(item);
	char *colon = strchr(name, ':');
	bool ro = false;

	if (colon) {
		*colon = '\0';
		if (strcmp(colon + 1, "ro") == 0)
			ro = true;
		else if (strcmp(colon + 1, "rw") != 0)
			return fail(s, sec, key, "member '%s': mode must be rw or ro", item);
	}
	if (!vg_identity_valid(name))
		return fail(s, sec, key,
			    "member '%s' is not a valid container name or identity (KIND/A/B)",
			    item);
	for (size_t i = 0; i < d->n_members; i++)
		if (strcmp(d->members[i].name, name) == 0)
			return fail(s, sec, key, "member '%s' listed twice", name);
	d->members = vg_reallocarray(d->members, d->n_members + 1, sizeof(*d->members));
	d->members[d->n_members].name = TAKE_PTR(name);
	d->members[d->n_members].ro = ro;
	d->members[d->n_members].uid = d->members[d->n_members].gid = UINT32_MAX; /* not known */
	d->n_members++;
	return 1;
}

/* [volume "NAME"]: returns the name, or NULL if the section is not of that form. */
static char *volume_section_name(const char *section)
{
	size_t n;

	if (strncmp(section, "volume", 6) != 0)
		return NULL;
	section += 6;
	while (*section == ' ' || *section == '\t')
		section++;
	n = strlen(section);
	if (n < 3 || section[0] != '"' || section[n - 1] != '"')
		return NULL;
	return strndup(section + 1, n - 2);
}

static struct vg_volume_decl *volume_decl(struct parse_state *s, const char *sec)
{
	_cleanup_free_ char *name = volume_section_name(sec);
	struct vg_config *c = s->c;

	if (!name) {
		fail(s, sec, "",
		     "unknown section (expected paths, ranges, policy, identity or volume "
		     "\"NAME\")");
		return NULL;
	}
	if (!vg_name_valid(name)) {
		fail(s, sec, "", "'%s' is not a valid volume name", name);
		return NULL;
	}
	/* Newest first: the keys of a section follow its header. */
	for (size_t i = c->n_volumes; i-- > 0;)
		if (strcmp(c->volumes[i].name, name) == 0)
			return &c->volumes[i];
	c->volumes = vg_array_grow(c->volumes, c->n_volumes, sizeof(*c->volumes));
	memset(&c->volumes[c->n_volumes], 0, sizeof(c->volumes[0]));
	c->volumes[c->n_volumes].name = TAKE_PTR(name);
	c->volumes[c->n_volumes].line = s->line;
	return &c->volumes[c->n_volumes++];
}

/* A key given twice in a section is an error; a continuation line is not a second time. */
static bool check_duplicate(struct parse_state *s, const char *sec, const char *key)
{
	for (size_t i = 0; i < s->n_seen; i++)
		if (strcmp(s->seen[i].section, sec) == 0 && strcmp(s->seen[i].key, key) == 0) {
			fail(s, sec, key, "set twice (first on line %u)", s->seen[i].line);
			return false;
		}
	s->seen = vg_reallocarray(s->seen, s->n_seen + 1, sizeof(*s->seen));
	s->seen[s->n_seen++] = (struct seen_key){ vg_strdup(sec), vg_strdup(key), s->line };
	return true;
}

static bool is_list_key(const char *sec, const char *key)
{
	static const char *const lists[] = { "sensitive_paths",	     "extra_sensitive_paths",
					     "drop_capabilities",    "isolation_exempt",
					     "allowed_capabilities", "allowed_devices",
					     "require_limits" };

	if (strcmp(sec, "policy") != 0)
		return strcmp(key, "members") == 0;
	for (size_t i = 0; i < VG_ARRAY_SIZE(lists); i++)
		if (strcmp(key, lists[i]) == 0)
			return true;
	return false;
}

static int handler(void *user, const char *inih_sec, const char *key, const char *v)
{
	struct parse_state *s = user;
	struct vg_config *c = s->c;
	/* inih truncates section names: use the whole one the reader kept. */
	const char *sec = s->section ? s->section : inih_sec;

	if (s->r < 0)
		return 0;
	s->have_key = true;
	if (s->continuation) {
		if (!is_list_key(sec, key))
			return fail(s, sec, key, "continuation line: only lists may span lines");
	} else if (!check_duplicate(s, sec, key))
		return 0;

	if (strcmp(sec, "paths") == 0) {
		if (strcmp(key, "docker_root") == 0)
			return set_path(s, sec, key, v, &c->docker_root);
		if (strcmp(key, "volumes_root") == 0)
			return set_path(s, sec, key, v, &c->volumes_root);
		if (strcmp(key, "state_dir") == 0)
			return set_path(s, sec, key, v, &c->state_dir);
		if (strcmp(key, "stage_dir") == 0)
			return set_path(s, sec, key, v, &c->stage_dir);
		if (strcmp(key, "runtime") == 0)
			return set_path(s, sec, key, v, &c->runtime);
		if (strcmp(key, "subuid_file") == 0)
			return set_path(s, sec, key, v, &c->subuid_file);
		if (strcmp(key, "subgid_file") == 0)
			return set_path(s, sec, key, v, &c->subgid_file);
		if (strcmp(key, "daemon_config") == 0)
			return set_path(s, sec, key, v, &c->daemon_config);
	} else if (strcmp(sec, "ranges") == 0) {
		if (strcmp(key, "pool_start") == 0) {
			s->line_pool_start = s->line;
			return set_u64(s, sec, key, v, &c->pool_start);
		}
		if (strcmp(key, "pool_end") == 0) {
			s->line_pool_end = s->line;
			return set_u64(s, sec, key, v, &c->pool_end);
		}
		if (strcmp(key, "range_size") == 0) {
			s->line_range_size = s->line;
			return set_u64(s, sec, key, v, &c->range_size);
		}
		if (strcmp(key, "quarantine_days") == 0) {
			int r = set_u64(s, sec, key, v, &c->quarantine_days);
			/* 100 years: beyond that the seconds would not fit a time_t sum safely. */
			if (r > 0 && c->quarantine_days > 36500)
				return fail(s, sec, key, "'%s' is more than 36500 days", v);
			return r;
		}
		if (strcmp(key, "allocation") == 0) {
			if (strcmp(v, "first-fit") == 0)
				c->allocation = VG_ALLOC_FIRST_FIT;
			else if (strcmp(v, "deterministic") == 0)
				c->allocation = VG_ALLOC_DETERMINISTIC;
			else
				return fail(s, sec, key,
					    "'%s': expected first-fit or deterministic", v);
			return 1;
		}
		if (strcmp(key, "allocation_key_file") == 0)
			return set_path(s, sec, key, v, &c->allocation_key_file);
	} else if (strcmp(sec, "policy") == 0) {
		if (strcmp(key, "sensitive_paths") == 0) {
			if (!s->continuation) { /* replaces the default list */
				vg_strv_free(c->sensitive_paths);
				c->sensitive_paths = NULL;
			}
			return for_each_item(s, sec, key, v, add_path_item, &c->sensitive_paths);
		}
		if (strcmp(key, "extra_sensitive_paths") == 0)
			return for_each_item(s, sec, key, v, add_path_item,
					     &c->extra_sensitive_paths);
		if (strcmp(key, "allow_readonly_sensitive") == 0)
			return set_bool(s, sec, key, v, &c->allow_readonly_sensitive);
		if (strcmp(key, "deny_privileged") == 0)
			return set_bool(s, sec, key, v, &c->deny_privileged);
		if (strcmp(key, "drop_capabilities") == 0) {
			if (!s->continuation)
				c->drop_capabilities = 0;
			c->drop_capabilities_set = true;
			return for_each_item(s, sec, key, v, add_cap_item, &c->drop_capabilities);
		}
		if (strcmp(key, "allowed_capabilities") == 0) {
			if (!s->continuation)
				c->allowed_capabilities = 0;
			c->allowed_capabilities_set = true;
			return for_each_item(s, sec, key, v, add_cap_item,
					     &c->allowed_capabilities);
		}
		if (strcmp(key, "allowed_devices") == 0)
			return for_each_item(s, sec, key, v, add_path_item, &c->allowed_devices);
		if (strcmp(key, "isolation_exempt") == 0)
			return for_each_item(s, sec, key, v, add_pattern_item,
					     &c->isolation_exempt);
		if (strcmp(key, "strict_membership") == 0)
			return set_bool(s, sec, key, v, &c->strict_membership);
		if (strcmp(key, "require_limits") == 0)
			return for_each_item(s, sec, key, v, add_limit_item, &c->require_limits);
		if (strcmp(key, "isolation") == 0) {
			static const enum vg_isolation modes[] = { VG_ISOLATION_AUTO,
								   VG_ISOLATION_USERNS,
								   VG_ISOLATION_SHIFT };
			for (size_t i = 0; i < VG_ARRAY_SIZE(modes); i++)
				if (strcmp(v, vg_isolation_name(modes[i])) == 0) {
					c->isolation = modes[i];
					return 1;
				}
			return fail(s, sec, key, "'%s': expected auto, userns or shift", v);
		}
	} else if (strcmp(sec, "identity") == 0) {
		static const char *const engine[] = { "compose", "swarm", "kubernetes" };
		static const char *const shared[] = { "service", "slot", "pod" };
		enum vg_identity_scope *to[] = { &c->identity.compose, &c->identity.swarm,
						 &c->identity.kubernetes };
		for (size_t i = 0; i < VG_ARRAY_SIZE(engine); i++) {
			if (strcmp(key, engine[i]) != 0)
				continue;
			if (strcmp(v, shared[i]) == 0)
				*to[i] = VG_IDENTITY_BY_ENGINE;
			else if (strcmp(v, "container") == 0)
				*to[i] = VG_IDENTITY_BY_CONTAINER;
			else
				return fail(s, sec, key, "'%s': expected %s or container", v,
					    shared[i]);
			return 1;
		}
	} else {
		struct vg_volume_decl *d = volume_decl(s, sec);
		if (!d)
			return 0;
		if (strcmp(key, "members") == 0)
			return for_each_item(s, sec, key, v, add_member_item, d);
	}
	return fail(s, sec, key, "unknown key");
}

/* "path:line" of the key that set a value, or just "path" for a built-in default. */
static const char *where(char *buf, size_t size, const char *path, unsigned line)
{
	if (line)
		snprintf(buf, size, "%s:%u", path, line);
	else
		snprintf(buf, size, "%s", path);
	return buf;
}

static int validate(struct vg_config *c, const char *path, const struct parse_state *s,
		    struct vg_error *e)
{
	unsigned l_start = s ? s->line_pool_start : 0, l_end = s ? s->line_pool_end : 0;
	unsigned l_size = s ? s->line_range_size : 0;
	uint64_t rs = c->range_size;
	char w[4200];

	if (rs == 0)
		return vg_error_set(e, EINVAL, "%s: [ranges] range_size: must be at least 1",
				    where(w, sizeof(w), path, l_size));
	if (c->pool_start < 65536)
		return vg_error_set(
		    e, EINVAL, "%s: [ranges] pool_start: %llu overlaps the system IDs 0..65535",
		    where(w, sizeof(w), path, l_start), (unsigned long long)c->pool_start);
	if (c->pool_start % rs != 0)
		return vg_error_set(e, EINVAL,
				    "%s: [ranges] %s: %llu is not aligned to range_size %llu",
				    where(w, sizeof(w), path, l_start ? l_start : l_size),
				    l_start ? "pool_start" : "range_size",
				    (unsigned long long)c->pool_start, (unsigned long long)rs);
	if (c->pool_end >= UINT32_MAX)
		return vg_error_set(
		    e, EINVAL, "%s: [ranges] pool_end: must be below 4294967295 (the invalid ID)",
		    where(w, sizeof(w), path, l_end));
	if (c->pool_end < c->pool_start || c->pool_end - c->pool_start + 1 < rs) {
		unsigned l = l_end ? l_end : l_start ? l_start : l_size;
		return vg_error_set(
		    e, EINVAL,
		    "%s: [ranges] %s: the pool %llu..%llu is smaller than one range "
		    "of %llu",
		    where(w, sizeof(w), path, l),
		    l == l_end	   ? "pool_end"
		    : l == l_start ? "pool_start"
				   : "range_size",
		    (unsigned long long)c->pool_start, (unsigned long long)c->pool_end,
		    (unsigned long long)rs);
	}
	for (size_t i = 0; i < c->n_volumes; i++)
		if (c->volumes[i].n_members == 0)
			return vg_error_set(e, EINVAL, "%s:%u: [volume \"%s\"] members: missing",
					    path, c->volumes[i].line, c->volumes[i].name);
	if (!c->volumes_root)
		c->volumes_root = vg_asprintf("%s/volumes", c->docker_root);
	return 0;
}

int vg_config_parse_string(struct vg_config *c, const char *text, const char *path,
			   struct vg_error *e)
{
	struct parse_state s = { .c = c, .path = path, .text = text, .e = e };
	int r;

	r = ini_parse_stream(reader, &s, handler, &s);
	if (s.r >= 0 && r != 0)
		s.r = vg_error_set(e, EINVAL,
				   "%s:%u: syntax error (expected [section] or key = value)", path,
				   r > 0 ? (unsigned)r : s.line);
	if (s.r >= 0)
		s.r = validate(c, path, &s, e);
	for (size_t i = 0; i < s.n_seen; i++) {
		free(s.seen[i].section);
		free(s.seen[i].key);
	}
	free(s.seen);
	free(s.section);
	return s.r < 0 ? s.r : 0;
}

int vg_config_load(struct vg_config *c, const char *path, struct vg_error *e)
{
	const char *p = path ? path : VG_DEFAULT_CONFIG;
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int r;

	fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT && !path)
			return validate(c, p, NULL, e);
		if (errno == ELOOP)
			return vg_error_set(e, ELOOP,
					    "%s: config file is a symbolic link; refusing it", p);
		return vg_error_errno(e, errno, "%s: cannot open config file", p);
	}
	if (fstat(fd, &st) < 0)
		return vg_error_errno(e, errno, "%s: fstat", p);
	if (!S_ISREG(st.st_mode))
		return vg_error_set(e, EINVAL, "%s: config file is not a regular file", p);
	if (st.st_uid != 0)
		return vg_error_set(
		    e, EPERM, "%s: config file is owned by UID %u, not root; refusing to trust it",
		    p, (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return vg_error_set(
		    e, EPERM, "%s: config file is writable by %s (mode %04o); refusing to trust it",
		    p, (st.st_mode & S_IWOTH) ? "others" : "its group",
		    (unsigned)(st.st_mode & 07777));
	if (st.st_size > VG_CONFIG_MAX_SIZE)
		return vg_error_set(e, EFBIG, "%s: config file larger than %d bytes", p,
				    VG_CONFIG_MAX_SIZE);
	r = vg_read_fd(fd, VG_CONFIG_MAX_SIZE - 1, &buf, &len, NULL);
	if (r == -EFBIG)
		return vg_error_set(e, EFBIG, "%s: config file larger than %d bytes", p,
				    VG_CONFIG_MAX_SIZE - 1);
	if (r < 0)
		return vg_error_errno(e, -r, "%s: read", p);
	if (memchr(buf, '\0', len))
		return vg_error_set(e, EINVAL, "%s: config file contains a NUL byte", p);
	r = vg_config_parse_string(c, buf, p, e);
	if (r < 0)
		return r;
	free(c->path);
	c->path = vg_strdup(p);
	return 0;
}

const struct vg_volume_decl *vg_config_find_volume(const struct vg_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_volumes; i++)
		if (strcmp(c->volumes[i].name, name) == 0)
			return &c->volumes[i];
	return NULL;
}

bool vg_config_is_exempt(const struct vg_config *c, const char *name)
{
	for (size_t i = 0; c->isolation_exempt && c->isolation_exempt[i]; i++)
		if (fnmatch(c->isolation_exempt[i], name, 0) == 0)
			return true;
	return false;
}

static int hex_digit(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

int vg_config_allocation_key(const struct vg_config *c, uint8_t key[16], struct vg_error *e)
{
	const char *p = c->allocation_key_file;
	_cleanup_close_ int fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	char buf[40] = { 0 };
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return vg_error_errno(e, errno,
				      "%s: cannot open the allocation key ([ranges] "
				      "allocation_key_file; create it with: od -An -N16 -tx1 "
				      "/dev/urandom | tr -d ' \\n' > FILE; chmod 600 FILE)",
				      p);
	if (fstat(fd, &st) < 0)
		return vg_error_errno(e, errno, "%s: fstat", p);
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077))
		return vg_error_set(
		    e, EPERM,
		    "%s: the allocation key must be a regular file owned by root that "
		    "group and others cannot access (owner %u, mode %04o)",
		    p, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return vg_error_errno(e, errno, "%s: read", p);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n != 32)
		return vg_error_set(e, EINVAL, "%s: the allocation key must be 32 hex digits", p);
	for (unsigned i = 0; i < 16; i++) {
		int hi = hex_digit((unsigned char)buf[2 * i]),
		    lo = hex_digit((unsigned char)buf[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return vg_error_set(
			    e, EINVAL, "%s: the allocation key must be 32 hex digits (byte %u)", p,
			    2 * i + (hi < 0 ? 1 : 2));
		key[i] = (uint8_t)(hi * 16 + lo);
	}
	return 0;
}
