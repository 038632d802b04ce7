/*
 * The isolation mode of each container and of the host (DESIGN.md, Concepts: Isolation mode).
 *
 * The runtime records, on the registry line of the container's range, the mode of its last
 * create (isolation=userns|shift) and why (isolation_why, %XX-encoded); the auto mode's probes
 * are cached in <state_dir>/isolation-probe (isoprobe.h). Audit reports, per container, the
 * mode and why (VG-ISO-007; VG-ISO-008 when it falls back to shift because it needs a host
 * namespace), cross-checks it with the user namespaces its processes really run in
 * (audit_live.c: VG-ISO-009), and, for the host, failed probes of the running kernel
 * (VG-HOST-009) and a malformed cache (VG-HOST-010). The volumes root's reach is audit_reach.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include "audit_internal.h"
#include "cleanup.h"
#include "isoprobe.h"

const struct vg_range *audit_ct_range(const struct audit_ctx *x, const struct audit_ct *ct,
				      bool joined)
{
	const struct vg_range *rg;
	const char *bound;

	if (joined) {
		const struct audit_ct *t = ct->join ? audit_find_ct(x, ct->join) : NULL;
		return t && t != ct ? audit_ct_range(x, t, false) : NULL;
	}
	rg = ct->ct.id ? vg_registry_find_container(&x->reg, ct->ct.id) : NULL;
	if (rg || !ct->ct.name)
		return rg;
	/* The name's range, unless it is bound to another container (that one keeps it). */
	rg = vg_registry_find(&x->reg, ct->ct.name);
	bound = rg ? vg_range_get_meta(rg, "container") : NULL;
	return bound && ct->ct.id && strcmp(bound, ct->ct.id) != 0 ? NULL : rg;
}

/* What needs a host namespace, as the runtime words it (DESIGN.md: those run in shift mode). */
static const char *host_ns_need(const struct vg_container *ct)
{
	return ct->host_net	 ? "the host's network namespace (--network host)"
	       : ct->host_pid	 ? "the host's PID namespace (--pid host)"
	       : ct->host_ipc	 ? "the host's IPC namespace (--ipc host)"
	       : ct->host_userns ? "the host's user namespace (--userns host)"
				 : NULL;
}

/* The mode a container runs in and why: recorded at its last create, else what its processes
 * show, else the rule for host namespaces. AUTO when nothing tells. *ret_why is allocated. */
static enum vg_isolation ct_mode(const struct audit_ctx *x, const struct audit_ct *ct,
				 const struct vg_range *rg, char **ret_why, const char **ret_source)
{
	const char *rec = rg ? vg_range_get_meta(rg, "isolation") : NULL;
	const char *why = rg ? vg_range_get_meta(rg, "isolation_why") : NULL;
	const char *need = host_ns_need(&ct->ct);

	*ret_why = NULL;
	if (rec && (strcmp(rec, "userns") == 0 || strcmp(rec, "shift") == 0)) {
		*ret_why = why ? vg_meta_decode(why) : NULL;
		if (!*ret_why)
			*ret_why = vg_strdup(why ? why : "no reason recorded");
		*ret_source = "recorded at its last create";
		return rec[0] == 'u' ? VG_ISOLATION_USERNS : VG_ISOLATION_SHIFT;
	}
	if (ct->live_uid_map || ct->live_hostns) {
		*ret_why = vg_strdup(ct->live_uid_map
					 ? "not recorded: its processes run in a user namespace"
					 : "not recorded: its processes run in the host's user "
					   "namespace");
		*ret_source = "seen live";
		return ct->live_uid_map ? VG_ISOLATION_USERNS : VG_ISOLATION_SHIFT;
	}
	if (need && x->c->isolation != VG_ISOLATION_SHIFT) {
		*ret_why = vg_asprintf("needs %s", need);
		*ret_source = "the rule for host namespaces";
		return VG_ISOLATION_SHIFT;
	}
	return VG_ISOLATION_AUTO;
}

static void mode_evidence(struct vg_audit_finding *f, const struct audit_ct *ct,
			  const struct vg_range *rg, const char *why, const char *source)
{
	audit_ev(f, "isolation", "%s", vg_isolation_name(ct->mode));
	audit_ev(f, "why", "%s", why);
	audit_ev(f, "source", "%s", source);
	if (rg)
		audit_ev(f, "range", "%llu-%llu", (unsigned long long)rg->start,
			 (unsigned long long)(rg->start + rg->count - 1));
	if (ct->live_uid_map) {
		audit_ev(f, "uid_map", "%s", ct->live_uid_map);
		audit_ev(f, "gid_map", "%s", ct->live_gid_map);
		audit_ev(f, "pid", "%ld", ct->live_userns_pid);
	} else if (ct->live_hostns)
		audit_ev(f, "uid_map", "host (pid %ld)", ct->live_hostns_pid);
	if (ct->join)
		audit_ev(f, "joins", "%s", ct->join);
}

/* A running container whose processes are not where its recorded mode puts them. */
static bool live_disagrees(const struct audit_ct *ct)
{
	return ct->mode == VG_ISOLATION_USERNS ? ct->live_hostns : ct->live_uid_map != NULL;
}

static const char *mode_verb(const struct audit_ct *ct)
{
	return !ct->live_procs ? "was last created" : live_disagrees(ct) ? "was created" : "runs";
}

/* Where a container's processes run in another user namespace than the one recorded. */
static void judge_live(struct audit_ctx *x, const struct audit_ct *ct, const struct vg_range *rg,
		       const char *name, bool recorded_userns)
{
	struct vg_audit_finding *f;

	if (recorded_userns && ct->live_hostns) {
		/* Docker's default capabilities that userns mode keeps act on the host here. */
		f = audit_add(x, "VG-ISO-009", VG_SUBJ_CONTAINER, name, ct->ct.id,
			      "container was created in userns mode but PID %ld runs in the host's "
			      "user namespace: the capabilities that mode keeps act on the host",
			      ct->live_hostns_pid);
		audit_ev(f, "pid", "%ld", ct->live_hostns_pid);
		audit_ev(f, "seen", "uid_map of the host (0 0 4294967295)");
		if (rg)
			audit_ev(f, "expected", "uid_map 0 %llu %llu",
				 (unsigned long long)rg->start, (unsigned long long)rg->count);
		audit_remedy(f, "docker restart %s, then volguard audit --container %s", name,
			     name);
	}
	if (ct->live_escape_map) {
		f = audit_add(x, "VG-ISO-009", VG_SUBJ_CONTAINER, name, ct->ct.id,
			      "PID %ld runs in a user namespace whose %s reaches host IDs outside "
			      "the container's range",
			      ct->live_escape_pid, ct->live_escape_map);
		audit_ev(f, "pid", "%ld", ct->live_escape_pid);
		audit_ev(f, "seen", "%s", ct->live_escape_map);
		if (rg)
			audit_ev(f, "expected", "inside %llu-%llu", (unsigned long long)rg->start,
				 (unsigned long long)(rg->start + rg->count - 1));
		audit_remedy(f, "docker rm -f %s && docker run ... (volguard maps it to its range)",
			     name);
	}
}

void audit_modes(struct audit_ctx *x, struct audit_ct *ct)
{
	const char *name = ct->ct.name ? ct->ct.name : ct->dir, *source = NULL, *need;
	const struct vg_range *rg;
	_cleanup_free_ char *why = NULL;
	struct vg_audit_finding *f;

	if (!ct->through_volguard || ct->exempt)
		return; /* VG-ISO-003 and VG-ISO-004 say what those are */
	rg = audit_ct_range(x, ct, false);
	ct->mode = ct_mode(x, ct, rg, &why, &source);
	judge_live(x, ct, rg, name,
		   rg && vg_range_get_meta(rg, "isolation") &&
		       strcmp(vg_range_get_meta(rg, "isolation"), "userns") == 0);
	if (ct->mode == VG_ISOLATION_AUTO)
		return;
	if (ct->mode == VG_ISOLATION_USERNS)
		x->a->n_userns++;
	else
		x->a->n_shift++;
	need = host_ns_need(&ct->ct);
	if (ct->mode == VG_ISOLATION_SHIFT && need && x->c->isolation != VG_ISOLATION_SHIFT) {
		f = audit_add(
		    x, "VG-ISO-008", VG_SUBJ_CONTAINER, name, ct->ct.id,
		    "container runs in shift mode, not in a user namespace of its own: it "
		    "needs %s",
		    need);
		mode_evidence(f, ct, rg, why, source);
		audit_remedy(f,
			     "docker rm -f %s && docker run ... without the host namespace, if it "
			     "can do without (it then runs in userns mode)",
			     name);
		return;
	}
	f = audit_add(x, "VG-ISO-007", VG_SUBJ_CONTAINER, name, ct->ct.id,
		      "container %s in %s mode: %s%s", mode_verb(ct), vg_isolation_name(ct->mode),
		      why, live_disagrees(ct) ? " (its processes show otherwise)" : "");
	mode_evidence(f, ct, rg, why, source);
}

/* What a failed probe takes away (the runtime's words are in the probe's why=). */
static const char *probe_effect(const char *what)
{
	return strcmp(what, "idmap") == 0     ? "containers run in shift mode"
	       : strcmp(what, "overlay") == 0 ? "containers on the overlay2 storage driver run in "
						"shift mode"
					      : "containers that need it run in shift mode";
}

/* The runtime takes the first line for a kernel, file system and probe (isolation.c): a
 * later one for the same is never read. */
static bool shadowed(const struct vg_isoprobe *p, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (p->v[j].fs == p->v[i].fs && strcmp(p->v[j].kernel, p->v[i].kernel) == 0 &&
		    strcmp(p->v[j].what, p->v[i].what) == 0)
			return true;
	return false;
}

static bool fs_of(const char *path, uint64_t *ret)
{
	struct statfs sf;

	if (statfs(path, &sf) < 0)
		return false;
	*ret = (uint64_t)sf.f_type;
	return true;
}

static void probe_failed(struct audit_ctx *x, const char *path, const struct vg_isoprobe_line *l)
{
	const char *fs = vg_fs_type_name(l->fs);
	struct vg_audit_finding *f;

	f = audit_add(x, "VG-HOST-009", VG_SUBJ_HOST, "host", NULL,
		      "isolation = auto, but the %s probe failed on %s (kernel %s)%s%s: %s",
		      l->what, fs ? fs : "this file system", l->kernel, l->why[0] ? ": " : "",
		      l->why, probe_effect(l->what));
	audit_ev(f, "path", "%s", path);
	audit_ev(f, "line", "%u", l->line);
	audit_ev(f, "kernel", "%s", l->kernel);
	audit_ev(f, "fs", "%llx%s%s%s", (unsigned long long)l->fs, fs ? " (" : "", fs ? fs : "",
		 fs ? ")" : "");
	audit_ev(f, "what", "%s", l->what);
	audit_ev(f, "why", "%s", l->why);
	audit_remedy(f,
		     "boot a kernel with idmapped mounts on this file system (volguard probes "
		     "again for a new kernel release), or set [policy] isolation = shift in %s to "
		     "choose shift mode outright",
		     x->c->path ? x->c->path : VG_DEFAULT_CONFIG);
}

static void probe_unusable(struct audit_ctx *x, const char *path, const char *what)
{
	struct vg_audit_finding *f =
	    audit_add(x, "VG-HOST-010", VG_SUBJ_HOST, "host", NULL,
		      "%s: %s; which isolation mode auto chooses is not known from it", path, what);

	audit_ev(f, "path", "%s", path);
	audit_remedy(f, "rm %s (volguard probes again at the next container create)", path);
}

/* The auto mode's cache: what the running kernel could not do on Docker's file systems. */
static void audit_probe_cache(struct audit_ctx *x)
{
	_cleanup_free_ char *path = vg_asprintf("%s/%s", x->c->state_dir, VG_ISOPROBE_FILE);
	_cleanup_free_ char *buf = NULL;
	struct vg_isoprobe p = { 0 };
	struct vg_error e = { 0 };
	uint64_t fs_docker = 0, fs_volumes = 0;
	bool have_docker, have_volumes;
	struct utsname u;
	struct stat st;
	size_t len = 0;
	int r;

	if (x->c->isolation != VG_ISOLATION_AUTO)
		return; /* no probe decides anything */
	r = vg_read_file_at(AT_FDCWD, path, VG_ISOPROBE_MAX_SIZE, &buf, &len, &st);
	if (r == -ENOENT)
		return;
	if (r < 0 || vg_isoprobe_parse(buf, len, &p, &e) < 0) {
		_cleanup_free_ char *why =
		    r < 0 ? vg_asprintf("cannot read it: %s", r == -EINVAL  ? "not a regular file"
							      : r == -EFBIG ? "too large"
									    : strerror(-r))
			  : vg_strdup(e.msg);
		probe_unusable(x, path, why);
		return;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		/* The runtime does not trust it and probes again (VG-HOST-005 says why). */
		vg_isoprobe_free(&p);
		return;
	}
	if (p.n_bad) {
		_cleanup_free_ char *why =
		    vg_asprintf("line %u: %s (%zu malformed line%s)", p.bad_line, p.bad_why,
				p.n_bad, p.n_bad == 1 ? "" : "s");
		probe_unusable(x, path, why);
	}
	if (uname(&u) < 0) {
		vg_isoprobe_free(&p);
		return;
	}
	have_docker = fs_of(x->c->docker_root, &fs_docker);
	have_volumes = fs_of(x->c->volumes_root, &fs_volumes);
	for (size_t i = 0; i < p.n; i++) {
		const struct vg_isoprobe_line *l = &p.v[i];
		/* Only what holds now: this kernel, and a file system Docker's data is on. */
		bool fs_now = (!have_docker && !have_volumes) ||
			      (have_docker && l->fs == fs_docker) ||
			      (have_volumes && l->fs == fs_volumes);
		if (!l->ok && fs_now && strcmp(l->kernel, u.release) == 0 && !shadowed(&p, i))
			probe_failed(x, path, l);
	}
	vg_isoprobe_free(&p);
}

void audit_modes_host(struct audit_ctx *x)
{
	audit_reach_volumes(x);
	audit_probe_cache(x);
}
