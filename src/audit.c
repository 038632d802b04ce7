/*
 * volguard audit: the finding model, the catalogue of checks, the run and the two reports.
 * The checks themselves live in audit_host.c (daemon.json, state files, ranges),
 * audit_containers.c and audit_volumes.c. Audit only reads: it opens nothing for writing,
 * follows no symlink inside Docker's trees, and turns every unreadable or corrupt input into a
 * finding of its own rather than an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit_int.h"
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
	{ "VG-FLEET-001", VG_SEV_MEDIUM,
	  "deterministic pool half full: ranges start to depend on creation order" },
	{ "VG-FLEET-002", VG_SEV_INFO, "deterministic range found after probes (a collision)" },
	{ "VG-FLEET-003", VG_SEV_HIGH, "identity has another range on the other host" },
	{ "VG-FLEET-004", VG_SEV_HIGH,
	  "range overlaps another identity's range on the other host" },
	{ "VG-FLEET-005", VG_SEV_MEDIUM,
	  "the other host allocates with another policy, key or pool" },
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

int audit_read_file(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len,
		    struct stat *ret_st)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	buf = vg_malloc0((size_t)st.st_size + 2);
	for (;;) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > (size_t)st.st_size) /* grew while we read */
			return -EFBIG;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	if (ret_st)
		*ret_st = st;
	return 0;
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

/* Host first, then ranges, containers, volumes; by subject; worst first; then by ID. */
static int cmp_finding(const void *pa, const void *pb)
{
	const struct vg_audit_finding *a = pa, *b = pb;
	int r;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	r = strcmp(a->subject, b->subject);
	if (r != 0)
		return r;
	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	r = strcmp(a->id, b->id);
	return r ? r : strcmp(a->message, b->message);
}

/* Drop what --container/--volume leave out (cross-subject checks ran on everything). */
static void narrow(struct audit_ctx *x)
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

int vg_audit_run(const struct vg_config *c, const struct vg_audit_opts *o, struct vg_audit *a,
		 struct vg_error *e)
{
	struct audit_ctx x = { .c = c, .o = o, .a = a };
	int r;

	memset(a, 0, sizeof(*a));
	vg_registry_init(&x.reg);
	audit_daemon(&x);
	audit_files(&x);
	audit_registry_load(&x);
	r = audit_containers_index(&x, e);
	if (r >= 0)
		r = audit_volumes_index(&x, e);
	if (r >= 0 && o->container && !audit_find_ct(&x, o->container) &&
	    !vg_registry_find(&x.reg, o->container))
		r = vg_error_set(e, ENOENT,
				 "no container '%s' in %s/containers and no range of that name",
				 o->container, c->docker_root);
	if (r >= 0) {
		audit_ranges(&x);
		audit_fleet(&x);
		audit_containers(&x);
		audit_volumes(&x);
		narrow(&x);
		if (a->n > 1) /* qsort(NULL, 0, ...) is undefined */
			qsort(a->v, a->n, sizeof(*a->v), cmp_finding);
	}
	for (size_t i = 0; i < x.n_cts; i++)
		audit_ct_free(&x.cts[i]);
	free(x.cts);
	for (size_t i = 0; i < x.n_vols; i++)
		audit_vol_free(&x.vols[i]);
	free(x.vols);
	vg_strv_free(x.vg_runtimes);
	free(x.userns_remap);
	vg_intervals_free(&x.remap);
	vg_policy_batch_free(x.policy);
	vg_registry_close(&x.reg);
	return r;
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

static const char *const kind_names[] = { "host", "range", "container", "volume" };

static json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *vg_audit_to_json(const struct vg_config *c, const struct vg_audit_opts *o,
			 const struct vg_audit *a)
{
	size_t counts[VG_SEV_NONE];
	json_t *root, *sum, *arr;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	vg_audit_count(a, counts);
	sum = json_object();
	for (int s = VG_SEV_CRITICAL; s >= VG_SEV_INFO; s--)
		json_object_set_new(sum, vg_severity_name(s), json_integer((json_int_t)counts[s]));
	json_object_set_new(sum, "total", json_integer((json_int_t)a->n));
	json_object_set_new(sum, "worst",
			    a->n ? json_string(vg_severity_name(vg_audit_worst(a))) : json_null());
	arr = json_array();
	for (size_t i = 0; i < a->n; i++) {
		const struct vg_audit_finding *f = &a->v[i];
		json_t *ev = json_object();
		for (size_t j = 0; f->evidence && f->evidence[j]; j++) {
			const char *eq = strchr(f->evidence[j], '=');
			_cleanup_free_ char *k =
			    strndup(f->evidence[j], (size_t)(eq - f->evidence[j]));
			json_object_set_new(ev, k, json_string(eq + 1));
		}
		json_array_append_new(
		    arr, json_pack("{s:s, s:s, s:{s:s, s:s, s:o}, s:s, s:o, s:o}", "id", f->id,
				   "severity", vg_severity_name(f->severity), "subject", "kind",
				   kind_names[f->kind], "name", f->subject, "id",
				   json_str_or_null(f->subject_id), "message", f->message,
				   "evidence", ev, "remedy", json_str_or_null(f->remedy)));
	}
	root = json_pack("{s:i, s:s, s:s}", "schema_version", VG_AUDIT_SCHEMA_VERSION, "version",
			 VG_VERSION, "generated", now);
	json_object_set_new(root, "host",
			    json_pack("{s:s, s:s, s:s, s:s, s:o}", "docker_root", c->docker_root,
				      "volumes_root", c->volumes_root, "state_dir", c->state_dir,
				      "daemon_config", c->daemon_config, "config",
				      json_str_or_null(c->path)));
	json_object_set_new(root, "scope",
			    json_pack("{s:o, s:o, s:b}", "container",
				      json_str_or_null(o->container), "volume",
				      json_str_or_null(o->volume), "deep", o->deep));
	json_object_set_new(root, "examined",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I}}", "containers",
				      (json_int_t)a->n_containers, "volumes",
				      (json_int_t)a->n_volumes, "ranges", (json_int_t)a->n_ranges,
				      "pool_ranges", (json_int_t)a->pool_ranges, "pool_free",
				      (json_int_t)a->pool_free, "isolation", "userns",
				      (json_int_t)a->n_userns, "shift", (json_int_t)a->n_shift));
	json_object_set_new(root, "summary", sum);
	json_object_set_new(root, "findings", arr);
	return root;
}

#define C_RESET "\033[0m"
#define C_BOLD	"\033[1m"

static const char *sev_colour(enum vg_severity s)
{
	static const char *const col[] = { "\033[36m", "\033[34m", "\033[33m", "\033[31m",
					   "\033[1;31m" };
	return (unsigned)s < VG_ARRAY_SIZE(col) ? col[s] : "";
}

char *vg_audit_to_text(const struct vg_audit *a, bool colour)
{
	size_t counts[VG_SEV_NONE];
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	for (size_t i = 0; i < a->n; i++) {
		const struct vg_audit_finding *x = &a->v[i];
		char sev[16];

		if (i == 0 || x->kind != a->v[i - 1].kind ||
		    strcmp(x->subject, a->v[i - 1].subject) != 0) {
			if (i)
				fputc('\n', f);
			fprintf(f, "%s%s%s%s%s", colour ? C_BOLD : "", kind_names[x->kind],
				x->kind == VG_SUBJ_HOST ? "" : " ",
				x->kind == VG_SUBJ_HOST ? "" : x->subject, colour ? C_RESET : "");
			if (x->subject_id && strcmp(x->subject_id, x->subject) != 0)
				fprintf(f, " (%.12s)", x->subject_id);
			fputc('\n', f);
		}
		snprintf(sev, sizeof(sev), "%s", vg_severity_name(x->severity));
		for (char *p = sev; *p; p++)
			*p = (char)(*p - 'a' + 'A');
		fprintf(f, "  %s%-8s%s %-12s %s\n", colour ? sev_colour(x->severity) : "", sev,
			colour ? C_RESET : "", x->id, x->message);
		for (size_t j = 0; x->evidence && x->evidence[j]; j++) {
			const char *eq = strchr(x->evidence[j], '=');
			fprintf(f, "      %.*s: %s\n", (int)(eq - x->evidence[j]), x->evidence[j],
				eq + 1);
		}
		if (x->remedy)
			fprintf(f, "      remedy: %s\n", x->remedy);
	}
	vg_audit_count(a, counts);
	fprintf(f,
		"%s%zu finding%s: %zu critical, %zu high, %zu medium, %zu low, %zu info "
		"(%zu containers, %zu volumes, %zu ranges examined; %llu of %llu ranges free)\n",
		a->n ? "\n" : "", a->n, a->n == 1 ? "" : "s", counts[VG_SEV_CRITICAL],
		counts[VG_SEV_HIGH], counts[VG_SEV_MEDIUM], counts[VG_SEV_LOW], counts[VG_SEV_INFO],
		a->n_containers, a->n_volumes, a->n_ranges, (unsigned long long)a->pool_free,
		(unsigned long long)a->pool_ranges);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
