/*
 * The policy for what is not a mount: privileges (--privileged, capabilities, devices) and
 * the host namespaces a container shares.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "cleanup.h"
#include "policy_internal.h"

/* "NET_ADMIN", "CAP_NET_ADMIN", "cap_net_admin" -> capability number; -1 unknown; -2 ALL. */
static int cap_number(const char *name)
{
	char buf[64] = "cap_";
	const char *p = name;
	cap_value_t v;

	if (strcasecmp(name, "ALL") == 0)
		return -2;
	if (strncasecmp(p, "CAP_", 4) == 0)
		p += 4;
	if (strlen(p) + 5 > sizeof(buf))
		return -1;
	for (size_t i = 0; p[i]; i++)
		buf[4 + i] = (char)tolower((unsigned char)p[i]);
	if (cap_from_name(buf, &v) < 0 || v < 0 || v > 63)
		return -1;
	return v;
}

/*
 * --cap-add: only allowed_capabilities minus drop_capabilities survive the rewrite, in every
 * set, so asking for anything else is refused rather than silently not given. In an OCI spec
 * the added capabilities are those beyond Docker's default set (the default ones outside the
 * survivors are simply removed).
 */
static void cap_findings(struct vg_policy_ctx *x)
{
	char *const *caps = x->ct->cap_add;
	uint64_t keep = vg_config_cap_survivors(x->c, x->ct->isolation);
	uint64_t drop = x->c->drop_capabilities;

	for (size_t i = 0; caps && caps[i]; i++) {
		_cleanup_free_ char *copy = vg_strdup(caps[i]);
		char *save = NULL;

		/* One value may name several ("NET_ADMIN,SYS_TIME"): each is judged. */
		for (char *c = strtok_r(copy, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
			_cleanup_free_ char *subject = vg_asprintf("--cap-add %s", c);
			int n = cap_number(c);

			if (n >= 0 && (keep & (UINT64_C(1) << n)))
				vg_policy_add(x->rep, VG_ALLOW, "cap-add", SIZE_MAX, subject, NULL,
					      NULL, "added capability %s (allowed_capabilities)",
					      c);
			else if (n >= 0 && (drop & (UINT64_C(1) << n)))
				vg_policy_add(x->rep, VG_DENY, "cap-add", SIZE_MAX, subject, NULL,
					      NULL,
					      "capability %s crosses the container isolation "
					      "(drop_capabilities)",
					      c);
			else
				vg_policy_add(
				    x->rep, VG_DENY, "cap-add", SIZE_MAX, subject, NULL, NULL,
				    "%s %s is not in allowed_capabilities: it would act on "
				    "the host",
				    n == -2 ? "--cap-add"
				    : n < 0 ? "unknown capability"
					    : "capability",
				    c);
		}
	}
}

/* ---- devices ------------------------------------------------------------------------------ */

struct devrule {
	char type;		/* 'a', 'b', 'c' */
	long long major, minor; /* -1: any */
	char access[4];
};

/*
 * What every container may reach without asking: the allow rules dockerd writes into the spec
 * of a default container (read from a real spec: null, zero, full is runc's, random,
 * urandom, tty, console) and those runc adds to every container anyway (mknod of anything,
 * /dev/full, ptmx, pts, tun). A rule within these gives nothing new.
 */
static const struct devrule default_rules[] = {
	{ 'c', 1, 3, "rwm" },	 { 'c', 1, 5, "rwm" }, { 'c', 1, 7, "rwm" },
	{ 'c', 1, 8, "rwm" },	 { 'c', 1, 9, "rwm" }, { 'c', 5, 0, "rwm" },
	{ 'c', 5, 1, "rwm" },	 { 'c', 5, 2, "rwm" }, { 'c', 136, -1, "rwm" },
	{ 'c', 10, 200, "rwm" }, { 'c', -1, -1, "m" }, { 'b', -1, -1, "m" },
};

/* "c 1:3 rwm" ("*" any number); false when it is not a rule. */
static bool parse_rule(const char *s, struct devrule *ret)
{
	char t, maj[24], min[24], acc[8];
	char *end;

	if (sscanf(s, " %c %23[0-9*]:%23[0-9*] %7s", &t, maj, min, acc) != 4 || !strchr("abc", t) ||
	    strspn(acc, "rwm") != strlen(acc) || strlen(acc) > 3)
		return false;
	ret->type = t;
	ret->major = strcmp(maj, "*") == 0 ? -1 : strtoll(maj, &end, 10);
	if (ret->major < -1 || (ret->major >= 0 && *end))
		return false;
	ret->minor = strcmp(min, "*") == 0 ? -1 : strtoll(min, &end, 10);
	if (ret->minor < -1 || (ret->minor >= 0 && *end))
		return false;
	snprintf(ret->access, sizeof(ret->access), "%s", acc);
	return true;
}

/* "c 10:229 /dev/fuse" (oci.c's form of linux.devices): the number, and where the path starts. */
static bool parse_node(const char *node, struct devrule *ret, int *path_off)
{
	return vg_device_node_parse(node, &ret->type, &ret->major, &ret->minor, path_off);
}

static bool access_within(const char *a, const char *b)
{
	return strspn(a, b) == strlen(a);
}

/* The allowed_devices as numbers, found now (a path that is not a device allows nothing). */
static size_t allowed_device_rules(const struct vg_config *c, struct devrule **ret)
{
	size_t n = 0;

	*ret = NULL;
	for (size_t i = 0; c->allowed_devices && c->allowed_devices[i]; i++) {
		struct stat st;
		if (stat(c->allowed_devices[i], &st) < 0 ||
		    !(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
			continue;
		*ret = vg_reallocarray(*ret, n + 1, sizeof(**ret));
		(*ret)[n++] = (struct devrule){ S_ISBLK(st.st_mode) ? 'b' : 'c', major(st.st_rdev),
						minor(st.st_rdev), "rwm" };
	}
	return n;
}

static bool rule_covered(const struct devrule *r, const struct devrule *by, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (r->type == by[i].type && r->major == by[i].major && r->minor == by[i].minor &&
		    access_within(r->access, by[i].access))
			return true;
	return false;
}

static void device_rule_findings(struct vg_policy_ctx *x, const struct devrule *allowed,
				 size_t n_allowed)
{
	char *const *rules = x->ct->device_rules;

	for (size_t i = 0; rules && rules[i]; i++) {
		_cleanup_free_ char *subject = vg_asprintf(
		    "%s %s", x->ct->oci ? "linux.resources.devices" : "--device-cgroup-rule",
		    rules[i]);
		struct devrule r;

		if (!parse_rule(rules[i], &r))
			vg_policy_add(x->rep, VG_DENY, "device-rule", SIZE_MAX, subject, NULL, NULL,
				      "device cgroup rule '%s' cannot be read", rules[i]);
		else if (rule_covered(&r, default_rules, VG_ARRAY_SIZE(default_rules)))
			continue; /* what every container has: not worth a line of its own */
		else if (rule_covered(&r, allowed, n_allowed))
			vg_policy_add(
			    x->rep, VG_ALLOW, "device-rule", SIZE_MAX, subject, NULL, NULL,
			    "device cgroup rule '%s' is for an allowed_devices entry", rules[i]);
		else
			vg_policy_add(x->rep, VG_DENY, "device-rule", SIZE_MAX, subject, NULL, NULL,
				      "device cgroup rule '%s' opens host devices that are not in "
				      "allowed_devices",
				      rules[i]);
	}
}

/* A device node given to the container: allowed when it is the same device as an
 * allowed_devices entry, or one of those every container has (/dev/null, /dev/zero...). */
static void device_node_finding(struct vg_policy_ctx *x, const char *subject, const char *name,
				const struct devrule *num, const struct devrule *allowed,
				size_t n_allowed)
{
	if (num && rule_covered(num, default_rules, VG_ARRAY_SIZE(default_rules)))
		vg_policy_add(x->rep, VG_ALLOW, "device", SIZE_MAX, subject, NULL, NULL,
			      "host device %s is one that every container has", name);
	else if (num && rule_covered(num, allowed, n_allowed))
		vg_policy_add(x->rep, VG_ALLOW, "device", SIZE_MAX, subject, NULL, NULL,
			      "host device %s is in allowed_devices", name);
	else
		vg_policy_add(x->rep, VG_DENY, "device", SIZE_MAX, subject, NULL, NULL,
			      "host device %s is not in allowed_devices", name);
}

static void device_findings(struct vg_policy_ctx *x)
{
	const struct vg_container *ct = x->ct;
	_cleanup_free_ struct devrule *allowed = NULL;
	size_t n_allowed = allowed_device_rules(x->c, &allowed);

	/* Docker's --device: a host path (a directory would give every device below it). */
	for (size_t i = 0; ct->devices && ct->devices[i]; i++) {
		_cleanup_free_ char *subject = vg_asprintf("--device %s", ct->devices[i]);
		struct devrule num = { .access = "rwm" };
		struct stat st;
		bool is_dev =
		    stat(ct->devices[i], &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode));

		if (is_dev) {
			num.type = S_ISBLK(st.st_mode) ? 'b' : 'c';
			num.major = major(st.st_rdev);
			num.minor = minor(st.st_rdev);
		}
		device_node_finding(x, subject, ct->devices[i], is_dev ? &num : NULL, allowed,
				    n_allowed);
	}
	/* An OCI spec's linux.devices: "c 10:229 /dev/fuse", judged by the number. */
	for (size_t i = 0; ct->device_nodes && ct->device_nodes[i]; i++) {
		const char *node = ct->device_nodes[i];
		struct devrule num = { .access = "rwm" };
		int off = 0;
		bool ok = parse_node(node, &num, &off);
		_cleanup_free_ char *subject =
		    vg_asprintf("linux.devices %s", ok ? node + off : node);
		_cleanup_free_ char *name = ok ? vg_asprintf("%s (%c %lld:%lld)", node + off,
							     num.type, num.major, num.minor)
					       : vg_strdup(node);

		device_node_finding(x, subject, name, ok ? &num : NULL, allowed, n_allowed);
	}
	device_rule_findings(x, allowed, n_allowed);
}

/* [policy] require_limits: each limit the container lacks is a refusal. */
static void limit_findings(struct vg_policy_ctx *x)
{
	static const struct {
		unsigned bit;
		size_t off;
		const char *rule_item, *flag;
	} limits[] = {
		{ VG_LIMIT_MEMORY, offsetof(struct vg_container, memory_limit), "memory",
		  "--memory" },
		{ VG_LIMIT_CPUS, offsetof(struct vg_container, cpu_limit), "cpus", "--cpus" },
		{ VG_LIMIT_PIDS, offsetof(struct vg_container, pids_limit), "pids",
		  "--pids-limit" },
	};
	const struct vg_container *ct = x->ct;

	if (!ct->limits_known)
		return;
	for (size_t i = 0; i < VG_ARRAY_SIZE(limits); i++)
		if ((x->c->require_limits & limits[i].bit) &&
		    *(const int64_t *)((const char *)ct + limits[i].off) <= 0)
			vg_policy_add(
			    x->rep, VG_DENY, "limits", SIZE_MAX, limits[i].flag, NULL, NULL,
			    "no %s limit, which [policy] require_limits asks for: run it with %s",
			    limits[i].rule_item, limits[i].flag);
}

void vg_policy_facts(struct vg_policy_ctx *x)
{
	const struct vg_container *ct = x->ct;
	enum vg_verdict priv = x->c->deny_privileged ? VG_DENY : VG_WARN;
	static const struct {
		size_t off;
		const char *rule, *subject, *msg;
	} ns[] = {
		{ offsetof(struct vg_container, host_ipc), "host-ipc", "--ipc host",
		  "shares the host's IPC namespace (host shared memory and semaphores)" },
		{ offsetof(struct vg_container, host_net), "host-net", "--network host",
		  "shares the host's network namespace (host interfaces and local services)" },
		{ offsetof(struct vg_container, host_uts), "host-uts", "--uts host",
		  "shares the host's UTS namespace (can change the host name)" },
		{ offsetof(struct vg_container, host_userns), "host-userns", "--userns host",
		  "runs in the host's user namespace (no user namespace remapping)" },
	};

	if (ct->privileged)
		vg_policy_add(x->rep, priv, "privileged", SIZE_MAX, "--privileged", NULL, NULL,
			      "privileged container: every capability and device, no seccomp "
			      "filter; it is root on the host%s",
			      x->c->deny_privileged ? " (deny_privileged)" : "");
	/* With --privileged, the host PID namespace is a door to every host namespace
	 * (nsenter -t 1): it is judged as severely as --privileged itself. */
	if (ct->host_pid)
		vg_policy_add(x->rep, ct->privileged ? priv : VG_WARN, "host-pid", SIZE_MAX,
			      "--pid host", NULL, NULL, "%s",
			      ct->privileged ? "shares the host's PID namespace while privileged: "
					       "it can enter every host namespace"
					     : "shares the host's PID namespace (sees and signals "
					       "host processes)");
	for (size_t i = 0; i < VG_ARRAY_SIZE(ns); i++)
		if (*(const bool *)((const char *)ct + ns[i].off))
			vg_policy_add(x->rep, VG_WARN, ns[i].rule, SIZE_MAX, ns[i].subject, NULL,
				      NULL, "%s", ns[i].msg);
	if (ct->host_cgroupns)
		vg_policy_add(x->rep, VG_ALLOW, "host-cgroupns", SIZE_MAX, "--cgroupns host", NULL,
			      NULL, "shares the host's cgroup namespace");
	limit_findings(x);
	/* A privileged container has every capability and device already: said once above. */
	if (ct->privileged)
		return;
	if (ct->seccomp_unconfined)
		vg_policy_add(x->rep, VG_WARN, "seccomp-unconfined", SIZE_MAX,
			      "--security-opt seccomp=unconfined", NULL, NULL,
			      "no seccomp filter: every system call reaches the host kernel");
	cap_findings(x);
	device_findings(x);
}
