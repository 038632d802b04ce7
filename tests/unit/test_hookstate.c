/* The OCI hook's state JSON on stdin (hookstate.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "unit.h"

#include "hookstate.h"

static void hook_state(void **state)
{
	static const char ok[] = "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"creating\","
				 "\"pid\":42,\"bundle\":\"/b\",\"annotations\":{\"a\":\"b\"}}";
	static const char *const bad[] = {
		"",
		"[]",
		"{\"id\":\"c\",\"pid\":1}",
		"{\"id\":\"c\",\"pid\":1,\"bundle\":\"rel\"}",
		"{\"id\":\"\",\"pid\":1,\"bundle\":\"/b\"}",
		"{\"id\":\"c\",\"pid\":0,\"bundle\":\"/b\"}",
		"{\"id\":\"c\",\"pid\":4294967296,\"bundle\":\"/b\"}",
		"{\"id\":\"c\",\"pid\":1,\"bundle\":\"/b\",\"annotations\":[]}",
		"{\"id\":\"c\",\"id\":\"d\",\"pid\":1,\"bundle\":\"/b\"}",
	};
	struct vg_hook_state st;
	struct vg_error e = { 0 };

	assert_int_equal(vg_hook_state_parse(ok, sizeof(ok) - 1, &st, &e), 0);
	assert_string_equal(st.id, "c1");
	assert_int_equal(st.pid, 42);
	assert_string_equal(st.bundle, "/b");
	vg_hook_state_free(&st);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(vg_hook_state_parse(bad[i], strlen(bad[i]), &st, &e) < 0);
		assert_non_null(strstr(e.msg, "state"));
		vg_hook_state_free(&st);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hook_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
