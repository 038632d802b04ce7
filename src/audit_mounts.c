/*
 * Each container's mounts and privileges through the mount-check engine (policy.h, one batch per
 * audit): the same verdicts volguard-runc gives at create and `volguard check` prints, turned
 * into findings with stable IDs (rule_ids; a rule not listed is VG-MOUNT-099). A sensitive path
 * or socket (writable or not) reached through a volume mount (a bind volume's opts.json, or a
 * --mount volume-opt device) is VG-MOUNT-003, one inherited through --volumes-from VG-MOUNT-004,
 * so that the remedy names the right thing to remove. A warning is at most medium, a refusal at
 * least high, whatever the catalogue says.
 */
#include <stdint.h>
#include <string.h>

#include "adapters.h"
#include "audit_internal.h"
#include "cleanup.h"
#include "policy.h"

static const struct {
	const char *rule, *id;
} rule_ids[] = {
	{ "sensitive-writable", "VG-MOUNT-001" },
	{ "runtime-socket", "VG-MOUNT-002" },
	{ "volumes-from", "VG-MOUNT-004" },
	{ "sensitive-readonly", "VG-MOUNT-005" },
	{ "shared-propagation", "VG-MOUNT-006" },
	{ "volume-bypass", "VG-MOUNT-007" },
	{ "foreign-root", "VG-MOUNT-008" },
	{ "writable-submount", "VG-MOUNT-009" },
	{ "unresolvable", "VG-MOUNT-010" },
	{ "volume-driver", "VG-MOUNT-011" },
	{ "listening-socket", "VG-MOUNT-012" },
	{ "hardlink", "VG-MOUNT-013" },
	{ "privileged", "VG-PRIV-001" },
	{ "host-pid", "VG-PRIV-002" },
	{ "host-ipc", "VG-PRIV-002" },
	{ "host-net", "VG-PRIV-002" },
	{ "host-uts", "VG-PRIV-002" },
	{ "host-userns", "VG-PRIV-002" },
	{ "host-cgroupns", "VG-PRIV-002" },
	{ "cap-add", "VG-PRIV-003" },
	{ "device", "VG-PRIV-004" },
	{ "device-rule", "VG-PRIV-004" },
	{ "seccomp-unconfined", "VG-PRIV-005" },
	{ "limits", "VG-PRIV-006" },
};

static enum vg_severity catalogue_severity(const char *id)
{
	for (size_t i = 0; i < vg_audit_catalogue_size; i++)
		if (strcmp(vg_audit_catalogue[i].id, id) == 0)
			return vg_audit_catalogue[i].severity;
	return VG_SEV_MEDIUM;
}

/* The container of --volumes-from that also has mount m (same source and destination). */
static const struct audit_ct *inherited_from(const struct audit_ctx *x, const struct audit_ct *ct,
					     const struct vg_mount *m)
{
	for (size_t i = 0; ct->ct.volumes_from && ct->ct.volumes_from[i]; i++) {
		_cleanup_free_ char *name = vg_strdup(ct->ct.volumes_from[i]);
		char *colon = strchr(name, ':');
		const struct audit_ct *src;

		if (colon)
			*colon = '\0';
		src = audit_find_ct(x, name);
		if (!src || src == ct)
			continue;
		for (size_t j = 0; j < src->ct.n_mounts; j++) {
			const struct vg_mount *o = &src->ct.mounts[j];
			if (o->kind == m->kind && o->source && m->source && o->destination &&
			    m->destination && strcmp(o->source, m->source) == 0 &&
			    strcmp(o->destination, m->destination) == 0)
				return src;
		}
	}
	return NULL;
}

static void add_finding(struct audit_ctx *x, const struct audit_ct *ct, const struct vg_finding *pf)
{
	const char *name = ct->ct.name ? ct->ct.name : ct->dir, *id = "VG-MOUNT-099";
	const struct vg_mount *m =
	    pf->mount_index < ct->ct.n_mounts ? &ct->ct.mounts[pf->mount_index] : NULL;
	const struct audit_ct *from = NULL;
	bool path_rule = strcmp(pf->rule, "sensitive-writable") == 0 ||
			 strcmp(pf->rule, "sensitive-readonly") == 0 ||
			 strcmp(pf->rule, "runtime-socket") == 0 ||
			 strcmp(pf->rule, "listening-socket") == 0;
	enum vg_severity sev;
	struct vg_audit_finding *f;

	for (size_t i = 0; i < VG_ARRAY_SIZE(rule_ids); i++)
		if (strcmp(rule_ids[i].rule, pf->rule) == 0)
			id = rule_ids[i].id;
	/* A warning is at most medium; a refusal at least high. */
	sev = catalogue_severity(id);
	if (pf->verdict == VG_WARN && sev > VG_SEV_MEDIUM)
		sev = VG_SEV_MEDIUM;
	if (pf->verdict == VG_DENY && sev < VG_SEV_HIGH)
		sev = VG_SEV_HIGH;
	if (path_rule && m && m->kind == VG_MOUNT_VOLUME)
		id = "VG-MOUNT-003";
	else if (path_rule && m && (from = inherited_from(x, ct, m)))
		id = "VG-MOUNT-004";

	f = audit_add(x, id, VG_SUBJ_CONTAINER, name, ct->ct.id, "%s", pf->message);
	f->severity = sev;
	audit_ev(f, "rule", "%s", pf->rule);
	audit_ev(f, "verdict", "%s", vg_verdict_name(pf->verdict));
	if (pf->subject)
		audit_ev(f, "mount", "%s", pf->subject);
	if (pf->resolved)
		audit_ev(f, "resolved", "%s", pf->resolved);
	if (pf->mode)
		audit_ev(f, "mode", "%s", pf->mode);
	if (from)
		audit_ev(f, "from", "%s", from->ct.name ? from->ct.name : from->dir);

	if (strcmp(id, "VG-MOUNT-003") == 0)
		audit_remedy(f,
			     "docker rm -f %s && docker volume rm %s (a bind volume of a "
			     "sensitive host path), then a plain volume",
			     name, m->source);
	else if (from)
		audit_remedy(f,
			     "docker rm -f %s && docker run ... without --volumes-from %s, and "
			     "fix %s itself",
			     name, from->ct.name ? from->ct.name : from->dir,
			     from->ct.name ? from->ct.name : from->dir);
	else if (strcmp(pf->rule, "sensitive-writable") == 0)
		audit_remedy(f,
			     "docker rm -f %s && docker run ... without -v %s (or with :ro if the "
			     "container only reads it)",
			     name, pf->subject ? pf->subject : "the mount");
	else if (strcmp(pf->rule, "limits") == 0)
		audit_remedy(f, "docker update %s %s (or docker rm -f %s && docker run ... %s)",
			     pf->subject, name, name, pf->subject);
	else if (strcmp(pf->rule, "shared-propagation") == 0)
		audit_remedy(f, "docker rm -f %s && docker run ... with %s and private propagation",
			     name, pf->subject ? pf->subject : "the mount");
	else
		audit_remedy(f, "docker rm -f %s && docker run ... without %s", name,
			     pf->subject ? pf->subject : pf->rule);
}

void audit_mounts(struct audit_ctx *x, const struct audit_ct *ct)
{
	struct vg_report rep = { 0 };

	/* Docker's files list --volumes-from mounts already (volumes_from_resolved): the engine
	 * does not call the lookup for them. */
	if (!x->policy)
		x->policy = vg_policy_batch_new(x->c, NULL);
	vg_policy_batch_check(x->policy, &ct->ct, vg_docker_lookup, (void *)x->c, &rep);
	for (size_t i = 0; i < rep.n; i++)
		if (rep.v[i].verdict != VG_ALLOW)
			add_finding(x, ct, &rep.v[i]);
	vg_report_free(&rep);
	/* Without require_limits = memory (then the policy's refusal above says it), a container
	 * without a memory limit is still worth a line: one container can starve the host. */
	if (ct->ct.limits_known && ct->ct.memory_limit <= 0 &&
	    !(x->c->require_limits & VG_LIMIT_MEMORY)) {
		const char *name = ct->ct.name ? ct->ct.name : ct->dir;
		struct vg_audit_finding *f =
		    audit_add(x, "VG-PRIV-006", VG_SUBJ_CONTAINER, name, ct->ct.id,
			      "no memory limit: the container can take all of the host's memory");
		audit_ev(f, "rule", "limits");
		audit_remedy(f,
			     "docker update --memory SIZE --memory-swap SIZE %s, or set [policy] "
			     "require_limits = memory to refuse such containers",
			     name);
	}
}
