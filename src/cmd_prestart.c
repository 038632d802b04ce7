/*
 * volguard prestart: an OCI hook (createRuntime or prestart stage) for runc, crun, Podman and
 * CRI-O. The container's state JSON comes on stdin; exit 0 lets it start, 1 refuses it (the
 * reason on stderr, which the runtime shows), 2 is an error (which refuses it too).
 *
 * Rules this file keeps:
 *  - the mounts are judged twice, as the spec writes them and as the kernel has them in
 *    /proc/PID/mountinfo, and both must pass;
 *  - the range is the container's own (linux.uidMappings); a range that overlaps another
 *    name's allocation, or lies in volguard's pool without being allocated, is refused;
 *  - everything is checked before any volume is changed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "adapters.h"
#include "cleanup.h"
#include "cmd.h"
#include "hookstate.h"
#include "kmounts.h"
#include "log.h"
#include "policy.h"
#include "prepare.h"
#include "registry.h"
#include "spec.h"

static void help(void)
{
	puts("Usage: volguard prestart < STATE-JSON\n\n"
	     "OCI hook (createRuntime or prestart stage): reads the container's state on stdin,\n"
	     "judges its mounts as written in BUNDLE/config.json and as the kernel has them in\n"
	     "/proc/PID/mountinfo, takes its host range from linux.uidMappings and prepares the\n"
	     "named volumes it mounts for that range. Exit 1 (reason on stderr) refuses it.\n\n"
	     "Register it in config.json's hooks, or with conf/podman-hooks.d/volguard.json.");
}

static int read_stdin(char **ret, size_t *ret_len, struct vg_error *e)
{
	_cleanup_free_ char *buf = vg_malloc0(VG_HOOK_STATE_MAX_SIZE + 1);
	size_t len = 0;
	ssize_t n;

	while ((n = read(STDIN_FILENO, buf + len, VG_HOOK_STATE_MAX_SIZE + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vg_error_errno(e, errno, "state: cannot read stdin");
		len += (size_t)n;
		if (len > VG_HOOK_STATE_MAX_SIZE)
			return vg_error_set(e, EFBIG, "state: more than %d bytes on stdin",
					    VG_HOOK_STATE_MAX_SIZE);
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

static int judge(const struct vg_config *c, const struct vg_container *ct, const char *view,
		 struct vg_error *e)
{
	struct vg_report rep = { 0 };
	int r = vg_policy_check(c, ct, NULL, NULL, &rep, e);

	if (r >= 0 && rep.worst == VG_DENY)
		r = vg_error_set(e, VG_EREFUSED, "container %s refused (%s): %s",
				 ct->name ? ct->name : ct->id, view, vg_report_first_deny(&rep));
	vg_report_free(&rep);
	return r;
}

/* The container's root file system as a host path (root.path is relative to the bundle). */
static char *rootfs_path(json_t *spec, const char *bundle)
{
	const char *p = json_string_value(json_object_get(json_object_get(spec, "root"), "path"));
	_cleanup_free_ char *abs = NULL;
	char *real;

	if (!p)
		return NULL;
	abs = p[0] == '/' ? vg_strdup(p) : vg_asprintf("%s/%s", bundle, p);
	real = realpath(abs, NULL);
	return real ? real : TAKE_PTR(abs);
}

/*
 * The name whose range the container runs in: the registry entry that is exactly its
 * uidMappings range; else, outside the pool, the OCI ID. Overlapping another allocation, or an
 * unallocated range inside the pool, is refused.
 */
static int find_name(const struct vg_config *c, const struct vg_container *ct, char **ret,
		     struct vg_error *e)
{
	struct vg_registry reg;
	uint64_t lo = ct->uidmap_host, hi = ct->uidmap_host + ct->uidmap_size; /* [lo, hi) */
	const struct vg_range *own = NULL;
	int r;

	if (ct->gidmap_host != ct->uidmap_host || ct->gidmap_size != ct->uidmap_size)
		return vg_error_set(e, VG_EREFUSED,
				    "container %s: gidMappings (%llu+%llu) differ from uidMappings "
				    "(%llu+%llu)",
				    ct->id, (unsigned long long)ct->gidmap_host,
				    (unsigned long long)ct->gidmap_size, (unsigned long long)lo,
				    (unsigned long long)ct->uidmap_size);
	r = vg_registry_open(&reg, c, VG_REGISTRY_READ, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < reg.n && r >= 0; i++) {
		const struct vg_range *rg = &reg.ranges[i];

		if (rg->start >= hi || rg->start + rg->count <= lo)
			continue;
		if (rg->start == lo && rg->count >= ct->uidmap_size && !own)
			own = rg;
		else
			r = vg_error_set(
			    e, VG_EREFUSED,
			    "container %s: its range %llu+%llu overlaps the range of '%s' "
			    "(%llu+%llu)",
			    ct->id, (unsigned long long)lo, (unsigned long long)ct->uidmap_size,
			    rg->name, (unsigned long long)rg->start, (unsigned long long)rg->count);
	}
	if (r >= 0 && own)
		*ret = vg_strdup(own->name);
	else if (r >= 0 && lo <= c->pool_end && hi > c->pool_start)
		r = vg_error_set(e, VG_EREFUSED,
				 "container %s: its range %llu+%llu lies in volguard's pool but is "
				 "not allocated; use 'volguard alloc NAME' and map that range",
				 ct->id, (unsigned long long)lo,
				 (unsigned long long)ct->uidmap_size);
	else if (r >= 0)
		*ret = vg_strdup(ct->id);
	vg_registry_close(&reg);
	return r;
}

static int prestart(const struct vg_config *c, struct vg_error *e)
{
	_cleanup_free_ char *buf = NULL, *rootfs = NULL, *name = NULL;
	_cleanup_json_ json_t *spec = NULL;
	struct vg_hook_state st = { 0 };
	struct vg_container ct = { 0 }, kct = { 0 };
	struct vg_mounted_volumes vols = { 0 };
	struct vg_spec_user user = { 0 };
	size_t len = 0;
	int r;

	r = read_stdin(&buf, &len, e);
	if (r >= 0)
		r = vg_hook_state_parse(buf, len, &st, e);
	if (r >= 0)
		r = vg_oci_load(st.bundle, &ct, &spec, e);
	if (r >= 0 && !ct.id)
		ct.id = vg_strdup(st.id);
	if (r >= 0)
		r = vg_spec_user_read(spec, &user, e);
	/* Judge the spec, then what the kernel shows. */
	if (r >= 0)
		r = judge(c, &ct, "config.json", e);
	if (r >= 0 && !(rootfs = rootfs_path(spec, st.bundle)))
		r = vg_error_set(e, EINVAL, "%s/config.json: root.path: missing", st.bundle);
	if (r >= 0) {
		kct.id = vg_strdup(st.id);
		r = vg_kmounts_read(st.pid, rootfs, "/proc/self/mountinfo", &kct, e);
	}
	if (r >= 0)
		r = judge(c, &kct, "mounts in the kernel", e);
	/* Without a user namespace there is no range to prepare volumes for. */
	if (r >= 0 && ct.has_uidmap) {
		r = find_name(c, &ct, &name, e);
		if (r >= 0)
			r = vg_spec_user_check(&user, ct.uidmap_size, e);
		if (r >= 0) {
			vg_mounted_volumes_find(c, &ct, &vols);
			r = vg_mounted_volumes_check(c, &vols, name, false, e);
		}
		/* Checked: act. */
		if (r >= 0)
			r = vg_mounted_volumes_prepare(c, &vols, name,
						       (uint32_t)(ct.uidmap_host + user.uid),
						       (uint32_t)(ct.uidmap_host + user.gid),
						       ct.uidmap_host, ct.uidmap_size, e);
	}
	vg_mounted_volumes_free(&vols);
	vg_spec_user_free(&user);
	vg_container_free(&ct);
	vg_container_free(&kct);
	vg_hook_state_free(&st);
	return r;
}

int cmd_prestart(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct vg_error err = { 0 };
	int o;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'h') {
			help();
			return 0;
		}
		return vg_cmd_usage_error("prestart", "unknown option");
	}
	if (optind != argc)
		return vg_cmd_usage_error("prestart",
					  "no arguments expected (state JSON on stdin)");
	if (prestart(c, &err) >= 0)
		return 0;
	openlog("volguard", LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_AUTHPRIV | LOG_ERR, "prestart: %s", err.msg);
	closelog();
	return vg_report(&err);
}
