/* audit's finding model: severities, the catalogue, the summary and the two report formats. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <cmocka.h>

#include "audit.h"
#include "audit_render.h"

static void severity_parse(void **state)
{
	enum vg_severity s = VG_SEV_INFO;

	assert_int_equal(vg_severity_parse("critical", &s), 0);
	assert_int_equal(s, VG_SEV_CRITICAL);
	assert_int_equal(vg_severity_parse("HIGH", &s), 0);
	assert_int_equal(s, VG_SEV_HIGH);
	assert_int_equal(vg_severity_parse("none", &s), 0);
	assert_int_equal(s, VG_SEV_NONE);
	assert_int_equal(vg_severity_parse("hi", &s), -EINVAL);
	assert_int_equal(vg_severity_parse("", &s), -EINVAL);
	assert_string_equal(vg_severity_name(VG_SEV_MEDIUM), "medium");
	assert_true(VG_SEV_CRITICAL > VG_SEV_HIGH && VG_SEV_HIGH > VG_SEV_MEDIUM &&
		    VG_SEV_MEDIUM > VG_SEV_LOW && VG_SEV_LOW > VG_SEV_INFO);
}

/* IDs are unique, well formed and never renumbered (a few pinned here). */
static void catalogue(void **state)
{
	for (size_t i = 0; i < vg_audit_catalogue_size; i++) {
		const char *id = vg_audit_catalogue[i].id;
		size_t n = strlen(id);
		assert_true(strncmp(id, "VG-", 3) == 0);
		assert_true(n >= 10 && id[n - 4] == '-');
		assert_true(vg_audit_catalogue[i].severity <= VG_SEV_CRITICAL);
		for (size_t j = i + 1; j < vg_audit_catalogue_size; j++)
			assert_string_not_equal(id, vg_audit_catalogue[j].id);
	}
	for (size_t i = 0; i < vg_audit_catalogue_size; i++)
		if (strcmp(vg_audit_catalogue[i].id, "VG-MOUNT-001") == 0)
			assert_int_equal(vg_audit_catalogue[i].severity, VG_SEV_CRITICAL);
}

static struct vg_audit_finding finding(const char *id, enum vg_severity s, const char *subject)
{
	struct vg_audit_finding f = { .id = id, .severity = s, .kind = VG_SUBJ_VOLUME };
	f.subject = strdup(subject);
	f.message = strdup("a message");
	vg_strv_push(&f.evidence, "path=/x");
	f.remedy = strdup("volguard fix data");
	return f;
}

static void reports(void **state)
{
	struct vg_audit a = { 0 };
	struct vg_audit_opts o = { 0 };
	struct vg_config c;
	size_t counts[VG_SEV_NONE];
	json_t *j;
	char *text;

	vg_config_init(&c);
	c.volumes_root = strdup("/v");
	assert_int_equal(vg_audit_worst(&a), VG_SEV_NONE);
	a.v = calloc(2, sizeof(*a.v));
	a.v[0] = finding("VG-VOL-001", VG_SEV_HIGH, "data");
	a.v[1] = finding("VG-VOL-005", VG_SEV_LOW, "data");
	a.n = 2;
	vg_audit_count(&a, counts);
	assert_int_equal(counts[VG_SEV_HIGH], 1);
	assert_int_equal(counts[VG_SEV_LOW], 1);
	assert_int_equal(counts[VG_SEV_CRITICAL], 0);
	assert_int_equal(vg_audit_worst(&a), VG_SEV_HIGH);

	j = vg_audit_to_json(&c, &o, &a);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "schema_version")),
			 VG_AUDIT_SCHEMA_VERSION);
	assert_int_equal(json_array_size(json_object_get(j, "findings")), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "summary"), "worst")), "high");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_array_get(json_object_get(j, "findings"), 0), "evidence"),
		"path")),
	    "/x");
	json_decref(j);

	text = vg_audit_to_text(&a, false);
	assert_non_null(text);
	assert_non_null(strstr(text, "volume data\n"));
	assert_non_null(strstr(text, "  HIGH     VG-VOL-001"));
	assert_non_null(strstr(text, "remedy: volguard fix data"));
	assert_non_null(strstr(text, "2 findings: 0 critical, 1 high, 0 medium, 1 low, 0 info"));
	assert_null(strchr(text, '\033'));
	free(text);
	text = vg_audit_to_text(&a, true);
	assert_non_null(strchr(text, '\033'));
	free(text);

	vg_audit_free(&a);
	assert_int_equal(a.n, 0);
	vg_config_free(&c);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A container of Docker's on-disk files under root/docker/containers/ID. */
static void fake_container(const char *root, const char *id, const char *name, const char *netmode)
{
	char dir[512], text[1024];

	snprintf(dir, sizeof(dir), "%s/docker/containers/%s", root, id);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(text, sizeof(text),
		 "{\"ID\": \"%s\", \"Name\": \"/%s\", \"Config\": {\"User\": \"\", "
		 "\"Labels\": {}, \"Image\": \"bb\"}, \"MountPoints\": {}}",
		 id, name);
	write_file(dir, "config.v2.json", text);
	snprintf(text, sizeof(text),
		 "{\"Runtime\": \"volguard\", \"NetworkMode\": \"%s\", \"Binds\": null, "
		 "\"Privileged\": false}",
		 netmode);
	write_file(dir, "hostconfig.json", text);
}

static const struct vg_audit_finding *find(const struct vg_audit *a, const char *id,
					   const char *subject)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].id, id) == 0 && strcmp(a->v[i].subject, subject) == 0)
			return &a->v[i];
	return NULL;
}

static const char *evidence(const struct vg_audit_finding *f, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; f && f->evidence && f->evidence[i]; i++)
		if (strncmp(f->evidence[i], key, n) == 0 && f->evidence[i][n] == '=')
			return f->evidence[i] + n + 1;
	return NULL;
}

/* The modes recorded on the registry lines and the probe cache, as the runtime writes them. */
static void modes_from_files(void **state)
{
	char root[] = "/tmp/vgaudit-unit.XXXXXX", path[512], text[2048], conf[1024];
	const struct vg_audit_finding *f;
	struct vg_audit_opts o = { 0 };
	struct vg_error e = { 0 };
	struct vg_audit a = { 0 };
	struct vg_config c;
	struct utsname u;
	struct statfs sf;
	static const char *const subdirs[] = { "docker", "docker/containers", "docker/volumes",
					       "state" };

	assert_non_null(mkdtemp(root));
	assert_int_equal(chmod(root, 0755), 0);
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, subdirs[i]);
		assert_int_equal(mkdir(path, 0755), 0);
	}
	write_file(root, "daemon.json",
		   "{\"runtimes\": {\"volguard\": {\"path\": \"/usr/local/bin/volguard-runc\"}}, "
		   "\"default-runtime\": \"volguard\"}");
	fake_container(root, "aaaa1111", "web", "none");
	fake_container(root, "bbbb2222", "hostnet", "host");
	fake_container(root, "cccc3333", "old", "none");
	snprintf(path, sizeof(path), "%s/state", root);
	write_file(path, "ranges",
		   "web:1073741824:65536 # container=aaaa1111 isolation=userns "
		   "isolation_why=auto%3A%20idmapped%20mounts%20work%20on%20ext4\n"
		   "hostnet:1073807360:65536 # container=bbbb2222 isolation=shift "
		   "isolation_why=needs%20the%20host%27s%20network%20namespace\n"
		   "old:1073872896:65536 # container=cccc3333\n");
	assert_int_equal(uname(&u), 0);
	snprintf(path, sizeof(path), "%s/docker", root);
	assert_int_equal(statfs(path, &sf), 0);
	snprintf(text, sizeof(text),
		 "kernel=%s fs=%llx what=overlay ok=0 why=EINVAL\n"
		 "kernel=0.0-other fs=%llx what=idmap ok=0 why=old\n"
		 "garbage\n",
		 u.release, (unsigned long long)sf.f_type, (unsigned long long)sf.f_type);
	snprintf(path, sizeof(path), "%s/state", root);
	write_file(path, "isolation-probe", text);

	snprintf(conf, sizeof(conf),
		 "[paths]\ndocker_root = %s/docker\nstate_dir = %s/state\n"
		 "daemon_config = %s/daemon.json\nsubuid_file = %s/subuid\n"
		 "subgid_file = %s/subgid\n[policy]\nisolation = auto\n",
		 root, root, root, root, root);
	vg_config_init(&c);
	assert_int_equal(vg_config_parse_string(&c, conf, "t.conf", &e), 0);
	assert_int_equal(vg_audit_run(&c, &o, &a, &e), 0);

	f = find(&a, "VG-ISO-007", "web");
	assert_non_null(f);
	assert_int_equal(f->severity, VG_SEV_INFO);
	assert_string_equal(evidence(f, "isolation"), "userns");
	assert_string_equal(evidence(f, "why"), "auto: idmapped mounts work on ext4");
	f = find(&a, "VG-ISO-008", "hostnet");
	assert_non_null(f);
	assert_int_equal(f->severity, VG_SEV_LOW);
	assert_string_equal(evidence(f, "why"), "needs the host's network namespace");
	assert_null(find(&a, "VG-ISO-007", "hostnet"));
	assert_null(find(&a, "VG-ISO-007", "old"));
	assert_int_equal(a.n_userns, 1);
	assert_int_equal(a.n_shift, 1);
	/* The chain down to the volumes root is 0755: reachable, and web runs in userns mode. */
	f = find(&a, "VG-HOST-008", "host");
	assert_non_null(f);
	assert_int_equal(f->severity, VG_SEV_HIGH);
	f = find(&a, "VG-HOST-009", "host");
	assert_non_null(f);
	assert_string_equal(evidence(f, "what"), "overlay");
	assert_string_equal(evidence(f, "why"), "EINVAL");
	f = find(&a, "VG-HOST-010", "host");
	assert_non_null(f);
	assert_non_null(strstr(f->message, "line 3"));
	{
		size_t n9 = 0;
		for (size_t i = 0; i < a.n; i++)
			n9 += strcmp(a.v[i].id, "VG-HOST-009") == 0;
		assert_int_equal(n9, 1); /* the other kernel's line is not this one's */
	}
	vg_audit_free(&a);

	/* A root nobody else may search, and a config that chooses shift: none of them. */
	assert_int_equal(chmod(root, 0700), 0);
	snprintf(conf, sizeof(conf),
		 "[paths]\ndocker_root = %s/docker\nstate_dir = %s/state\n"
		 "daemon_config = %s/daemon.json\nsubuid_file = %s/subuid\n"
		 "subgid_file = %s/subgid\n[policy]\nisolation = shift\n",
		 root, root, root, root, root);
	vg_config_free(&c);
	vg_config_init(&c);
	assert_int_equal(vg_config_parse_string(&c, conf, "t.conf", &e), 0);
	assert_int_equal(vg_audit_run(&c, &o, &a, &e), 0);
	assert_null(find(&a, "VG-HOST-008", "host"));
	assert_null(find(&a, "VG-HOST-009", "host"));
	assert_null(find(&a, "VG-ISO-008", "hostnet"));
	assert_non_null(find(&a, "VG-ISO-007", "hostnet"));
	vg_audit_free(&a);
	vg_config_free(&c);
	snprintf(path, sizeof(path), "rm -rf -- '%s'", root);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(severity_parse),
		cmocka_unit_test(catalogue),
		cmocka_unit_test(reports),
		cmocka_unit_test(modes_from_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
