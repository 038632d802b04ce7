/*
 * The audit's finding model, under every check (audit_*.c) and the run (audit.c): the
 * catalogue of stable IDs, severities, a finding made (its text escaped once, here), the
 * scope of --container/--volume, and the bounded reader the checks use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_finding.h"
#include "audit_internal.h"
#include "cleanup.h"

/* The stable IDs. Never renumber: scripts and CI jobs match on them. Documented in volguard(8). */
const struct vg_audit_check vg_audit_catalogue[] = {
	{ "VG-HOST-001", VG_SEV_HIGH, "volguard-runc is not registered as a Docker runtime" },
	{ "VG-HOST-002", VG_SEV_HIGH, "volguard is not dockerd's default runtime" },
	{ "VG-HOST-003", VG_SEV_MEDIUM, "userns-remap maps every container into one shared range" },
	{ "VG-HOST-004", VG_SEV_HIGH, "volguard config file missing, or unsafe owner or mode" },
	{ "VG-HOST-005", VG_SEV_HIGH, "state dir or registry with unsafe owner or mode" },
	{ "VG-HOST-006", VG_SEV_MEDIUM, "daemon.json cannot be read or parsed" },
	{ "VG-HOST-007", VG_SEV_MEDIUM, "subuid/subgid file unreadable or malformed" },
	{ "VG-HOST-008", VG_SEV_HIGH,
	  "volumes root reachable by host users, with userns containers" },
	{ "VG-HOST-009", VG_SEV_LOW,
	  "isolation = auto: idmapped mounts missing, shift mode instead" },
	{ "VG-HOST-010", VG_SEV_LOW, "isolation probe cache unreadable or malformed" },
	{ "VG-RANGE-001", VG_SEV_CRITICAL, "two registry ranges overlap" },
	{ "VG-RANGE-002", VG_SEV_HIGH, "range overlaps a subuid/subgid delegation" },
	{ "VG-RANGE-003", VG_SEV_HIGH, "range contains the ID of an existing user or group" },
	{ "VG-RANGE-004", VG_SEV_HIGH, "range overlaps Docker's userns-remap range" },
	{ "VG-RANGE-005", VG_SEV_LOW, "stale allocation: no container and no volume uses it" },
	{ "VG-RANGE-006", VG_SEV_INFO, "pool usage (medium under 5% left, high when full)" },
	{ "VG-RANGE-007", VG_SEV_HIGH, "registry line malformed, or a name listed twice" },
	{ "VG-RANGE-008", VG_SEV_HIGH, "registry cannot be read" },
	{ "VG-RANGE-009", VG_SEV_MEDIUM, "range outside the pool or not aligned to range_size" },
	{ "VG-CONT-001", VG_SEV_HIGH, "container files unreadable or corrupt" },
	{ "VG-ISO-001", VG_SEV_HIGH, "container runs as host root" },
	{ "VG-ISO-002", VG_SEV_HIGH, "containers share a principal host UID" },
	{ "VG-ISO-003", VG_SEV_HIGH, "container bypasses volguard (another runtime)" },
	{ "VG-ISO-004", VG_SEV_INFO, "container exempt from isolation" },
	{ "VG-ISO-005", VG_SEV_MEDIUM, "containers share one userns-remap range" },
	{ "VG-ISO-006", VG_SEV_HIGH, "running container whose host UIDs are outside every range" },
	{ "VG-ISO-007", VG_SEV_INFO, "isolation mode of the container, and why" },
	{ "VG-ISO-008", VG_SEV_LOW, "shift mode instead of userns: needs a host namespace" },
	{ "VG-ISO-009", VG_SEV_HIGH,
	  "container outside the user namespace its mode and range give" },
	{ "VG-MOUNT-001", VG_SEV_CRITICAL, "writable mount of a sensitive host path" },
	{ "VG-MOUNT-002", VG_SEV_CRITICAL, "container-runtime socket mounted" },
	{ "VG-MOUNT-003", VG_SEV_CRITICAL, "bind volume (opts.json) of a sensitive host path" },
	{ "VG-MOUNT-004", VG_SEV_HIGH, "--volumes-from: inherited or uncheckable mount" },
	{ "VG-MOUNT-005", VG_SEV_MEDIUM, "read-only mount of a sensitive host path" },
	{ "VG-MOUNT-006", VG_SEV_MEDIUM, "shared mount propagation" },
	{ "VG-MOUNT-007", VG_SEV_MEDIUM, "bind of a volume's _data bypasses the volume" },
	{ "VG-MOUNT-008", VG_SEV_HIGH, "mount reaches into another process's root" },
	{ "VG-MOUNT-009", VG_SEV_MEDIUM, "read-only bind with writable submounts" },
	{ "VG-MOUNT-010", VG_SEV_HIGH, "mount source cannot be resolved safely" },
	{ "VG-MOUNT-011", VG_SEV_MEDIUM, "volume driver whose target cannot be checked" },
	{ "VG-MOUNT-012", VG_SEV_CRITICAL,
	  "listening unix socket, or a directory above one, mounted" },
	{ "VG-MOUNT-013", VG_SEV_HIGH, "writable bind of a file with more than one hard link" },
	{ "VG-MOUNT-099", VG_SEV_MEDIUM, "other mount-check rule (named in the evidence)" },
	{ "VG-PRIV-001", VG_SEV_CRITICAL, "privileged container" },
	{ "VG-PRIV-002", VG_SEV_HIGH, "host namespace shared" },
	{ "VG-PRIV-003", VG_SEV_HIGH, "capability added outside allowed_capabilities" },
	{ "VG-PRIV-004", VG_SEV_HIGH, "host device or device rule outside allowed_devices" },
	{ "VG-PRIV-005", VG_SEV_MEDIUM, "no seccomp filter (seccomp=unconfined)" },
	{ "VG-PRIV-006", VG_SEV_LOW,
	  "no resource limit (memory; or one [policy] require_limits asks for)" },
	{ "VG-VOL-001", VG_SEV_HIGH, "_data owner or mode differs from the policy" },
	{ "VG-VOL-002", VG_SEV_HIGH, "others can access _data" },
	{ "VG-VOL-003", VG_SEV_MEDIUM, "ACL entries differ from the members" },
	{ "VG-VOL-004", VG_SEV_MEDIUM, "ACL mask narrower than a member's access" },
	{ "VG-VOL-005", VG_SEV_LOW, "stamp missing or out of date" },
	{ "VG-VOL-006", VG_SEV_MEDIUM, "files owned by IDs outside every member's range" },
	{ "VG-VOL-007", VG_SEV_LOW, "volume no container uses" },
	{ "VG-VOL-008", VG_SEV_MEDIUM,
	  "volume with driver options (bind, tmpfs, nfs...): not managed" },
	{ "VG-VOL-009", VG_SEV_MEDIUM, "volume not managed by volguard (no recorded members)" },
	{ "VG-VOL-010", VG_SEV_HIGH, "membership record unreadable or corrupt" },
	{ "VG-VOL-011", VG_SEV_MEDIUM, "member's recorded UID is outside its current range" },
	{ "VG-VOL-012", VG_SEV_MEDIUM, "--deep: entries volguard fix would change" },
	{ "VG-VOL-013", VG_SEV_MEDIUM,
	  "idmap volume: files owned by IDs its members see as nobody" },
	{ "VG-VOL-014", VG_SEV_MEDIUM,
	  "volume model mark unreadable, or on a volume volguard does not manage" },
	{ "VG-VOL-015", VG_SEV_HIGH, "volume volguard does not manage is writable by others" },
	{ "VG-FLEET-001", VG_SEV_MEDIUM,
	  "deterministic pool half full: ranges start to depend on creation order" },
	{ "VG-FLEET-002", VG_SEV_INFO, "deterministic range found after probes (a collision)" },
	{ "VG-FLEET-003", VG_SEV_HIGH, "identity has another range on the other host" },
	{ "VG-FLEET-004", VG_SEV_HIGH,
	  "range overlaps another identity's range on the other host" },
	{ "VG-FLEET-005", VG_SEV_MEDIUM,
	  "the other host allocates with another policy, key or pool" },
};
const size_t vg_audit_catalogue_size = VG_ARRAY_SIZE(vg_audit_catalogue);

static const char *const severity_names[] = { "info", "low", "medium", "high", "critical", "none" };

const char *vg_severity_name(enum vg_severity s)
{
	return (unsigned)s < VG_ARRAY_SIZE(severity_names) ? severity_names[s] : "?";
}

int vg_severity_parse(const char *s, enum vg_severity *ret)
{
	for (size_t i = 0; i < VG_ARRAY_SIZE(severity_names); i++)
		if (strcasecmp(s, severity_names[i]) == 0) {
			*ret = (enum vg_severity)i;
			return 0;
		}
	return -EINVAL;
}

static const struct vg_audit_check *check_find(const char *id)
{
	for (size_t i = 0; i < vg_audit_catalogue_size; i++)
		if (strcmp(vg_audit_catalogue[i].id, id) == 0)
			return &vg_audit_catalogue[i];
	abort(); /* a programming error: every ID used must be in the catalogue */
}

static bool ct_matches(const struct audit_ct *ct, const char *want)
{
	size_t n = strlen(want);

	if (ct->ct.name && strcmp(ct->ct.name, want) == 0)
		return true;
	/* An ID or an ID prefix of at least 4 characters, as docker accepts. */
	return ct->ct.id && n >= 4 && strncmp(ct->ct.id, want, n) == 0;
}

const struct audit_ct *audit_find_ct(const struct audit_ctx *x, const char *name_or_id)
{
	for (size_t i = 0; i < x->n_cts; i++)
		if (ct_matches(&x->cts[i], name_or_id))
			return &x->cts[i];
	return NULL;
}

bool audit_in_scope(const struct audit_ctx *x, enum vg_subject_kind kind, const char *name,
		    const char *id)
{
	const struct vg_audit_opts *o = x->o;
	const struct audit_ct *want = NULL;

	if (!o->container && !o->volume)
		return true;
	if (o->container)
		want = audit_find_ct(x, o->container);
	switch (kind) {
	case VG_SUBJ_HOST:
		return false;
	case VG_SUBJ_RANGE:
		return o->container && name &&
		       (strcmp(name, o->container) == 0 ||
			(want && want->ct.name && strcmp(name, want->ct.name) == 0));
	case VG_SUBJ_CONTAINER:
		if (!o->container)
			return false;
		if (name && strcmp(name, o->container) == 0)
			return true;
		return want && ((id && want->ct.id && strcmp(id, want->ct.id) == 0) ||
				(name && want->ct.name && strcmp(name, want->ct.name) == 0));
	case VG_SUBJ_VOLUME:
		if (o->volume && name && strcmp(name, o->volume) == 0)
			return true;
		/* --container also covers the volumes that container mounts. */
		return want && name && vg_strv_contains(want->volumes, name);
	}
	return false;
}

/*
 * Findings quote file names, labels and JSON values that anyone who controls a container chose:
 * every text is escaped once, when the finding is made (vg_escape: controls, bidirectional and
 * invisible characters, invalid UTF-8), so that both reports, text and JSON, carry the same
 * safe text and no renderer can forget it. Takes ownership of s.
 */
static char *sanitize(char *s)
{
	char *safe = vg_escape(s);

	free(s);
	return safe;
}

static char *vformat(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *vformat(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	return sanitize(s);
}

struct vg_audit_finding *audit_add(struct audit_ctx *x, const char *id, enum vg_subject_kind kind,
				   const char *subject, const char *subject_id, const char *fmt,
				   ...)
{
	const struct vg_audit_check *chk = check_find(id);
	struct vg_audit *a = x->a;
	struct vg_audit_finding *f;
	va_list ap;

	a->v = vg_reallocarray(a->v, a->n + 1, sizeof(*a->v));
	f = &a->v[a->n++];
	memset(f, 0, sizeof(*f));
	f->id = chk->id;
	f->severity = chk->severity;
	f->kind = kind;
	f->subject = sanitize(vg_strdup(subject ? subject : "host"));
	f->subject_id = subject_id ? sanitize(vg_strdup(subject_id)) : NULL;
	va_start(ap, fmt);
	f->message = vformat(fmt, ap);
	va_end(ap);
	return f;
}

void audit_ev(struct vg_audit_finding *f, const char *key, const char *fmt, ...)
{
	_cleanup_free_ char *val = NULL, *kv = NULL;
	va_list ap;

	va_start(ap, fmt);
	val = vformat(fmt, ap);
	va_end(ap);
	kv = vg_asprintf("%s=%s", key, val);
	vg_strv_push(&f->evidence, kv);
}

void audit_remedy(struct vg_audit_finding *f, const char *fmt, ...)
{
	va_list ap;

	free(f->remedy);
	va_start(ap, fmt);
	f->remedy = vformat(fmt, ap);
	va_end(ap);
}

static void finding_free(struct vg_audit_finding *f)
{
	free(f->subject);
	free(f->subject_id);
	free(f->message);
	vg_strv_free(f->evidence);
	free(f->remedy);
}

void vg_audit_free(struct vg_audit *a)
{
	for (size_t i = 0; i < a->n; i++)
		finding_free(&a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* Drop what --container/--volume leave out (cross-subject checks ran on everything). */
void audit_narrow(struct audit_ctx *x)
{
	struct vg_audit *a = x->a;
	size_t out = 0;

	for (size_t i = 0; i < a->n; i++) {
		if (audit_in_scope(x, a->v[i].kind, a->v[i].subject, a->v[i].subject_id))
			a->v[out++] = a->v[i];
		else
			finding_free(&a->v[i]);
	}
	a->n = out;
}

void vg_audit_count(const struct vg_audit *a, size_t counts[VG_SEV_NONE])
{
	memset(counts, 0, sizeof(size_t) * VG_SEV_NONE);
	for (size_t i = 0; i < a->n; i++)
		counts[a->v[i].severity]++;
}

enum vg_severity vg_audit_worst(const struct vg_audit *a)
{
	enum vg_severity w = VG_SEV_NONE;

	for (size_t i = 0; i < a->n; i++)
		if (w == VG_SEV_NONE || a->v[i].severity > w)
			w = a->v[i].severity;
	return w;
}
