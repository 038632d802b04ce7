/*
 * The policy engine on a temp "host" tree: the parts the command line cannot reach (runtime
 * sockets outside the default list, a synthetic mountinfo, Docker's per-container files with an
 * OCI spec, the --volumes-from lookup callback) and a table of privilege facts.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "policy.h"

#define ID    "06f65102f22ef4c5f124af2a8f4dbe4c46ed896e0805739579d557a33fe8ce10"
#define OTHER "3fbb139df093a41b1dd4417318ce4d571464fd1eb768416ce9c48c4fe1072ad6"

static char *T;
static struct vg_config C;

static char *p(const char *rel)
{
	return vg_asprintf("%s/%s", T, rel);
}

static void make_socket(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(a.sun_path));
	strcpy(a.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/vgpol-policy.XXXXXX";
	char *d = mkdtemp(tmpl), *cmd;
	int r;

	if (!d)
		return -1;
	T = realpath(d, NULL);
	cmd = vg_asprintf(
	    "cd '%s' && mkdir -p etc srv/app srv/sub/a srv/run docker/volumes/v1/_data "
	    "docker/volumes/bv/_data docker/containers/%s docker/containers/%s && "
	    "touch docker/containers/%s/hosts docker/containers/%s/hosts "
	    "docker/containers/%s/resolv.conf && "
	    "printf '{\"MountType\":\"none\",\"MountOpts\":\"bind\",\"MountDevice\":\"%s/etc\"}'"
	    " > docker/volumes/bv/opts.json",
	    T, ID, OTHER, ID, OTHER, ID, T);
	r = system(cmd);
	free(cmd);
	if (r != 0)
		return -1;
	vg_config_init(&C);
	vg_strv_free(C.sensitive_paths);
	C.sensitive_paths = NULL;
	vg_strv_push(&C.sensitive_paths, "/");
	char *etc = p("etc");
	vg_strv_push(&C.sensitive_paths, etc);
	free(etc);
	free(C.docker_root);
	C.docker_root = p("docker");
	C.volumes_root = p("docker/volumes");
	return 0;
}

static int teardown(void **state)
{
	char *cmd = vg_asprintf("rm -rf '%s'", T);
	int r = system(cmd);
	free(cmd);
	free(T);
	vg_config_free(&C);
	return r == 0 ? 0 : -1;
}

static struct vg_mount *add_bind(struct vg_container *ct, const char *src, bool ro)
{
	struct vg_mount *m = vg_container_add_mount(ct);
	m->kind = VG_MOUNT_BIND;
	m->source = src[0] == '/' ? vg_strdup(src) : p(src);
	m->destination = vg_strdup("/x");
	m->readonly = ro;
	return m;
}

/* The verdict and rule of the first finding about mount 0 (or of facts when idx is SIZE_MAX). */
static void judge(const struct vg_container *ct, const struct vg_policy_opts *o,
		  enum vg_verdict want, const char *rule)
{
	struct vg_report rep;

	vg_policy_check_opts(&C, ct, NULL, NULL, o, &rep);
	assert_true(rep.n > 0);
	if (rep.v[0].verdict != want || strcmp(rep.v[0].rule, rule) != 0)
		fail_msg("got %s/%s (%s), expected %s/%s", vg_verdict_name(rep.v[0].verdict),
			 rep.v[0].rule, rep.v[0].message, vg_verdict_name(want), rule);
	vg_report_free(&rep);
}

static void runtime_socket_dirs(void **state)
{
	char *sock = p("srv/run/engine.sock"), *hard = p("srv/app/renamed");
	const char *socks[] = { sock, NULL };
	struct vg_policy_opts o = { .runtime_sockets = socks };
	struct vg_container ct = { 0 };

	make_socket(sock);
	assert_int_equal(link(sock, hard), 0);
	add_bind(&ct, "srv/run", true); /* a directory holding a runtime socket, read-only */
	judge(&ct, &o, VG_DENY, "runtime-socket");
	vg_container_free(&ct);
	add_bind(&ct, "srv", true); /* further up */
	judge(&ct, &o, VG_DENY, "runtime-socket");
	vg_container_free(&ct);
	add_bind(&ct, "srv/app/renamed", true); /* the same socket under another name */
	judge(&ct, &o, VG_DENY, "runtime-socket");
	vg_container_free(&ct);
	add_bind(&ct, "srv/run", true); /* without the knob: an ordinary directory */
	judge(&ct, NULL, VG_ALLOW, "ok");
	vg_container_free(&ct);
	unlink(hard);
	unlink(sock);
	free(sock);
	free(hard);
}

static void writable_submounts(void **state)
{
	char *mi = p("mountinfo"), *sub = p("srv/sub");
	FILE *f = fopen(mi, "we");
	struct vg_policy_opts o = { .mountinfo = mi };
	struct vg_container ct = { 0 };
	struct vg_mount *m;

	assert_non_null(f);
	fprintf(f,
		"1 0 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"2 1 0:5 / %s/a rw,nosuid shared:2 - tmpfs tmpfs rw\n"
		"3 1 0:6 / %s/b ro,nosuid shared:3 - tmpfs tmpfs ro\n"
		"4 1 0:7 / %s-other rw shared:4 - tmpfs tmpfs rw\n",
		sub, sub, sub);
	fclose(f);
	add_bind(&ct, "srv/sub", true);
	judge(&ct, &o, VG_WARN, "writable-submount");
	ct.mounts[0].recursive_ro = true; /* rro: submounts are read-only too */
	judge(&ct, &o, VG_ALLOW, "ok");
	ct.mounts[0].recursive_ro = false;
	ct.mounts[0].nonrecursive = true; /* a plain bind: no submounts follow */
	judge(&ct, &o, VG_ALLOW, "ok");
	vg_container_free(&ct);
	m = add_bind(&ct, "srv/sub/a", true); /* the submount itself has none below it */
	(void)m;
	judge(&ct, &o, VG_ALLOW, "ok");
	vg_container_free(&ct);
	unlink(mi);
	free(mi);
	free(sub);
}

static void docker_files_in_oci(void **state)
{
	struct vg_container ct = { 0 };

	ct.oci = true;
	ct.id = vg_strdup(ID);
	add_bind(&ct, "docker/containers/" ID "/hosts", false);
	judge(&ct, NULL, VG_ALLOW, "ok");
	vg_container_free(&ct);

	ct.oci = true;
	ct.id = vg_strdup(ID);
	add_bind(&ct, "docker/containers/" OTHER "/hosts", false); /* another container's */
	judge(&ct, NULL, VG_DENY, "sensitive-writable");
	vg_container_free(&ct);

	ct.oci = true; /* ID unknown: no exception */
	add_bind(&ct, "docker/containers/" ID "/resolv.conf", false);
	judge(&ct, NULL, VG_DENY, "sensitive-writable");
	vg_container_free(&ct);

	ct.oci = true;
	add_bind(&ct, "docker/volumes/v1/_data", false); /* a volume, as dockerd binds it */
	judge(&ct, NULL, VG_ALLOW, "ok");
	vg_container_free(&ct);

	ct.oci = true;
	add_bind(&ct, "docker/volumes/bv/_data", false); /* a volume bound to etc by its options */
	judge(&ct, NULL, VG_DENY, "sensitive-writable");
	vg_container_free(&ct);

	ct.oci = true;
	add_bind(&ct, "docker/volumes/v1", false); /* the volume's own directory (xattrs, opts) */
	judge(&ct, NULL, VG_DENY, "sensitive-writable");
	vg_container_free(&ct);

	ct.oci = true;
	ct.bundle = p("srv");
	add_bind(&ct, "/", false);
	free(ct.mounts[0].source);
	ct.mounts[0].source = vg_strdup("../etc"); /* relative to the bundle */
	judge(&ct, NULL, VG_DENY, "sensitive-writable");
	vg_container_free(&ct);
}

static int lookup(const char *name, struct vg_container *ret, void *data, struct vg_error *e)
{
	(void)data;
	if (strcmp(name, "db") != 0)
		return vg_error_set(e, ENOENT, "no such container: %s", name);
	memset(ret, 0, sizeof(*ret));
	add_bind(ret, "etc", false);
	return 0;
}

static void volumes_from(void **state)
{
	static const struct {
		const char *from;
		enum vg_verdict v;
		const char *rule;
	} cases[] = {
		{ "db", VG_DENY, "sensitive-writable" },
		{ "db:rw", VG_DENY, "sensitive-writable" },
		{ "db:ro", VG_WARN, "sensitive-readonly" },
		{ "db:bogus", VG_DENY, "volumes-from" },
		{ "nosuch", VG_WARN, "volumes-from" },
	};

	for (size_t i = 0; i < VG_ARRAY_SIZE(cases); i++) {
		struct vg_container ct = { 0 };
		struct vg_report rep;
		struct vg_error e;

		vg_strv_push(&ct.volumes_from, cases[i].from);
		assert_int_equal(vg_policy_check(&C, &ct, lookup, NULL, &rep, &e), 0);
		assert_int_equal(rep.n, 1);
		if (rep.v[0].verdict != cases[i].v || strcmp(rep.v[0].rule, cases[i].rule) != 0)
			fail_msg("%s: got %s/%s", cases[i].from, vg_verdict_name(rep.v[0].verdict),
				 rep.v[0].rule);
		assert_int_equal(rep.v[0].mount_index, SIZE_MAX);
		if (cases[i].v == VG_DENY)
			assert_non_null(vg_report_first_deny(&rep));
		else
			assert_null(vg_report_first_deny(&rep));
		vg_report_free(&rep);
		vg_container_free(&ct);
	}
	/* Without a lookup: the mounts cannot be checked, a warning. */
	struct vg_container ct = { 0 };
	vg_strv_push(&ct.volumes_from, "db");
	judge(&ct, NULL, VG_WARN, "volumes-from");
	ct.volumes_from_resolved = true; /* Docker's files already hold those mounts */
	struct vg_report rep;
	struct vg_error e;
	assert_int_equal(vg_policy_check(&C, &ct, lookup, NULL, &rep, &e), 0);
	assert_int_equal(rep.n, 0);
	vg_report_free(&rep);
	vg_container_free(&ct);
}

static void facts(void **state)
{
	struct vg_container ct = { 0 };
	struct vg_report rep;
	struct vg_error e;

	ct.privileged = true;
	judge(&ct, NULL, VG_DENY, "privileged");
	C.deny_privileged = false;
	judge(&ct, NULL, VG_WARN, "privileged");
	C.deny_privileged = true;
	ct.host_pid = true;
	vg_strv_push(&ct.cap_add, "SYS_ADMIN");
	vg_strv_push(&ct.devices, "/dev/sda");
	assert_int_equal(vg_policy_check(&C, &ct, NULL, NULL, &rep, &e), 0);
	assert_int_equal(rep.n, 2); /* privileged implies the capability and the device */
	assert_string_equal(rep.v[1].rule, "host-pid");
	assert_int_equal(rep.v[1].verdict, VG_DENY);
	assert_string_equal(vg_report_first_deny(&rep), rep.v[0].message);
	assert_string_equal(vg_report_first_denial(&rep)->rule, "privileged");
	vg_report_free(&rep);
	vg_container_free(&ct);

	static const struct {
		const char *cap;
		enum vg_verdict v;
	} caps[] = {
		{ "NET_ADMIN", VG_DENY }, /* shift mode: allowed_capabilities is empty */
		{ "CAP_NET_ADMIN", VG_DENY }, { "SYS_ADMIN", VG_DENY },
		{ "cap_sys_admin", VG_DENY }, { "CAP_DAC_OVERRIDE", VG_DENY },
		{ "ALL", VG_DENY },	      { "all", VG_DENY },
		{ "NOT_A_CAP", VG_DENY },     { "KILL", VG_DENY },
	};
	for (size_t i = 0; i < VG_ARRAY_SIZE(caps); i++) {
		vg_strv_push(&ct.cap_add, caps[i].cap);
		judge(&ct, NULL, caps[i].v, "cap-add");
		vg_container_free(&ct);
	}
	/* The survivors: allowed_capabilities minus drop_capabilities. */
	uint64_t saved = C.drop_capabilities;
	C.allowed_capabilities = (UINT64_C(1) << CAP_NET_ADMIN) | (UINT64_C(1) << CAP_SYS_ADMIN);
	C.allowed_capabilities_set = true;
	vg_strv_push(&ct.cap_add, "NET_ADMIN");
	judge(&ct, NULL, VG_ALLOW, "cap-add");
	vg_container_free(&ct);
	vg_strv_push(&ct.cap_add, "SYS_ADMIN"); /* allowed, but dropped */
	judge(&ct, NULL, VG_DENY, "cap-add");
	vg_container_free(&ct);
	vg_strv_push(&ct.cap_add, "NET_ADMIN,SYS_TIME"); /* each of a list */
	judge(&ct, NULL, VG_ALLOW, "cap-add");
	assert_int_equal(vg_policy_check(&C, &ct, NULL, NULL, &rep, &e), 0);
	assert_int_equal(rep.worst, VG_DENY);
	vg_report_free(&rep);
	vg_container_free(&ct);
	C.drop_capabilities = 0;
	vg_strv_push(&ct.cap_add, "SYS_ADMIN");
	judge(&ct, NULL, VG_ALLOW, "cap-add");
	C.drop_capabilities = saved;
	C.allowed_capabilities = 0;
	C.allowed_capabilities_set = false;
	vg_container_free(&ct);

	/* Devices: Docker's and runc's defaults, and allowed_devices by number. */
	static const struct {
		const char *rule;
		enum vg_verdict v;
	} rules[] = {
		{ "c 1:3 rwm", VG_ALLOW }, { "c 1:9 r", VG_ALLOW },    { "c *:* m", VG_ALLOW },
		{ "b *:* m", VG_ALLOW },   { "c 136:* rw", VG_ALLOW }, { "c 10:183 r", VG_DENY },
		{ "c *:* rwm", VG_DENY },  { "a *:* rwm", VG_DENY },   { "b 8:0 r", VG_DENY },
		{ "c 1:3 rwmx", VG_DENY }, { "c 1:* rwm", VG_DENY },   { "nonsense", VG_DENY },
		{ "c 1:5 rwm", VG_ALLOW }, { "c 1:11 r", VG_DENY },
	};
	for (size_t i = 0; i < VG_ARRAY_SIZE(rules); i++) {
		vg_strv_push(&ct.device_rules, rules[i].rule);
		if (rules[i].v == VG_ALLOW) { /* a default: no finding at all */
			assert_int_equal(vg_policy_check(&C, &ct, NULL, NULL, &rep, &e), 0);
			assert_int_equal(rep.n, 0);
			vg_report_free(&rep);
		} else {
			judge(&ct, NULL, rules[i].v, "device-rule");
		}
		vg_container_free(&ct);
	}
	vg_strv_push(&ct.devices, "/dev/null"); /* every container has it */
	judge(&ct, NULL, VG_ALLOW, "device");
	vg_container_free(&ct);
	vg_strv_push(&ct.devices, "/dev/kmsg"); /* c 1:11 */
	judge(&ct, NULL, VG_DENY, "device");
	vg_container_free(&ct);
	vg_strv_push(&ct.devices, "/nonexistent/dev");
	judge(&ct, NULL, VG_DENY, "device");
	vg_container_free(&ct);
	vg_strv_push(&ct.device_nodes, "c 1:11 /dev/other-name");
	judge(&ct, NULL, VG_DENY, "device");
	vg_container_free(&ct);
	vg_strv_push(&C.allowed_devices, "/dev/kmsg");
	vg_strv_push(&ct.devices, "/dev/kmsg");
	judge(&ct, NULL, VG_ALLOW, "device");
	vg_container_free(&ct);
	vg_strv_push(&ct.device_nodes, "c 1:11 /dev/other-name"); /* the same device */
	judge(&ct, NULL, VG_ALLOW, "device");
	vg_container_free(&ct);
	vg_strv_push(&ct.device_nodes, "b 1:11 /dev/blk"); /* not the same: a block device */
	judge(&ct, NULL, VG_DENY, "device");
	vg_container_free(&ct);
	vg_strv_push(&ct.device_rules, "c 1:11 r"); /* not a default, but an allowed device */
	judge(&ct, NULL, VG_ALLOW, "device-rule");
	vg_container_free(&ct);
	vg_strv_push(&ct.devices, "/dev/loop-control"); /* c 10:237: another device */
	judge(&ct, NULL, VG_DENY, "device");
	vg_container_free(&ct);
	vg_strv_free(C.allowed_devices);
	C.allowed_devices = NULL;

	ct.host_net = true;
	judge(&ct, NULL, VG_WARN, "host-net");
	vg_container_free(&ct);
	ct.host_cgroupns = true;
	judge(&ct, NULL, VG_ALLOW, "host-cgroupns");
	vg_container_free(&ct);
}

/* [policy] require_limits, and seccomp=unconfined (a warning, not under --privileged). */
static void limits_and_seccomp(void **state)
{
	struct vg_container ct = { 0 };
	struct vg_report rep;
	struct vg_error e;

	ct.limits_known = true;
	ct.seccomp_unconfined = true;
	judge(&ct, NULL, VG_WARN, "seccomp-unconfined");
	ct.privileged = true; /* said by the privileged finding: no second one */
	C.deny_privileged = false;
	assert_int_equal(vg_policy_check(&C, &ct, NULL, NULL, &rep, &e), 0);
	assert_int_equal(rep.n, 1);
	assert_string_equal(rep.v[0].rule, "privileged");
	vg_report_free(&rep);
	C.deny_privileged = true;
	ct.privileged = ct.seccomp_unconfined = false;

	assert_int_equal(vg_policy_check(&C, &ct, NULL, NULL, &rep, &e), 0);
	assert_int_equal(rep.n, 0); /* no limit, none required */
	vg_report_free(&rep);
	C.require_limits = VG_LIMIT_MEMORY | VG_LIMIT_PIDS;
	ct.memory_limit = 1 << 20;
	ct.pids_limit = -1; /* Docker's "unlimited" */
	judge(&ct, NULL, VG_DENY, "limits");
	assert_int_equal(vg_policy_check(&C, &ct, NULL, NULL, &rep, &e), 0);
	assert_int_equal(rep.n, 1);
	assert_string_equal(rep.v[0].subject, "--pids-limit");
	assert_non_null(strstr(rep.v[0].message, "no pids limit"));
	vg_report_free(&rep);
	ct.pids_limit = 100;
	assert_int_equal(vg_policy_check(&C, &ct, NULL, NULL, &rep, &e), 0);
	assert_int_equal(rep.n, 0);
	vg_report_free(&rep);
	/* A source that does not state limits (no container description) is not judged. */
	ct.limits_known = false;
	ct.memory_limit = 0;
	assert_int_equal(vg_policy_check(&C, &ct, NULL, NULL, &rep, &e), 0);
	assert_int_equal(rep.n, 0);
	vg_report_free(&rep);
	C.require_limits = 0;
	vg_container_free(&ct);
}

static void readonly_config(void **state)
{
	struct vg_container ct = { 0 };

	add_bind(&ct, "etc", true);
	judge(&ct, NULL, VG_WARN, "sensitive-readonly");
	C.allow_readonly_sensitive = false;
	judge(&ct, NULL, VG_DENY, "sensitive-readonly");
	C.allow_readonly_sensitive = true;
	vg_container_free(&ct);
	add_bind(&ct, "srv/app", false);
	judge(&ct, NULL, VG_ALLOW, "ok");
	vg_container_free(&ct);
	/* A volume with another driver cannot be checked. */
	struct vg_mount *m = vg_container_add_mount(&ct);
	m->kind = VG_MOUNT_VOLUME;
	m->source = vg_strdup("nfsdata");
	m->driver = vg_strdup("rexray");
	judge(&ct, NULL, VG_WARN, "volume-driver");
	vg_container_free(&ct);

	/* A bare vg_config_init has no volumes_root: it is docker_root/volumes. */
	char *saved = C.volumes_root;
	C.volumes_root = NULL;
	m = vg_container_add_mount(&ct);
	m->kind = VG_MOUNT_VOLUME;
	m->source = vg_strdup("bv");
	judge(&ct, NULL, VG_DENY, "sensitive-writable"); /* bv's options bind etc */
	C.volumes_root = saved;
	vg_container_free(&ct);
}

static void add_bind_at(struct vg_container *ct, const char *src, const char *dst, bool ro)
{
	struct vg_mount *m = vg_container_add_mount(ct);
	m->kind = VG_MOUNT_BIND;
	m->source = vg_strdup(src);
	m->destination = vg_strdup(dst);
	m->readonly = ro;
}

static const char *worst_rule(const struct vg_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		if (rep->v[i].verdict == rep->worst)
			return rep->v[i].rule;
	return "";
}

static void same_as_single(void **state)
{
	struct vg_config c;
	struct vg_container a = { 0 }, b = { 0 }, d = { 0 };
	struct vg_report r1, r2;
	struct vg_error e = { 0 };
	struct vg_policy_batch *batch;

	vg_config_init(&c);
	c.volumes_root = vg_strdup("/var/lib/docker/volumes");
	add_bind_at(&a, "/etc", "/x", false);
	add_bind_at(&b, "/etc", "/x", true);
	d.privileged = true;
	batch = vg_policy_batch_new(&c, NULL);

	assert_int_equal(vg_policy_check(&c, &a, NULL, NULL, &r1, &e), 0);
	vg_policy_batch_check(batch, &a, NULL, NULL, &r2);
	assert_int_equal(r1.worst, VG_DENY);
	assert_int_equal(r2.worst, r1.worst);
	assert_int_equal(r2.n, r1.n);
	assert_string_equal(worst_rule(&r2), "sensitive-writable");
	vg_report_free(&r1);
	vg_report_free(&r2);

	/* The next container starts from an empty report. */
	vg_policy_batch_check(batch, &b, NULL, NULL, &r2);
	assert_int_equal(r2.worst, VG_WARN);
	assert_string_equal(worst_rule(&r2), "sensitive-readonly");
	vg_report_free(&r2);
	vg_policy_batch_check(batch, &d, NULL, NULL, &r2);
	assert_int_equal(r2.worst, VG_DENY);
	assert_string_equal(worst_rule(&r2), "privileged");
	vg_report_free(&r2);

	vg_policy_batch_free(batch);
	vg_policy_batch_free(NULL);
	vg_container_free(&a);
	vg_container_free(&b);
	vg_container_free(&d);
	vg_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(runtime_socket_dirs),
		cmocka_unit_test(writable_submounts),
		cmocka_unit_test(docker_files_in_oci),
		cmocka_unit_test(volumes_from),
		cmocka_unit_test(facts),
		cmocka_unit_test(limits_and_seccomp),
		cmocka_unit_test(readonly_config),
		cmocka_unit_test(same_as_single),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
