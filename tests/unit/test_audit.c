/* audit's finding model: severities, the catalogue, the summary and the two report formats. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "audit.h"

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
	struct vg_audit_finding f = {.id = id, .severity = s, .kind = VG_SUBJ_VOLUME};
	f.subject = strdup(subject);
	f.message = strdup("a message");
	vg_strv_push(&f.evidence, "path=/x");
	f.remedy = strdup("volguard fix data");
	return f;
}

static void reports(void **state)
{
	struct vg_audit a = {0};
	struct vg_audit_opts o = {0};
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(severity_parse),
	    cmocka_unit_test(catalogue),
	    cmocka_unit_test(reports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
