/* runc's command line as volguard-runc reads it (runcargs.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "runcargs.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })

static int argc_of(char **v)
{
	int n = 0;
	while (v[n])
		n++;
	return n;
}

static void dockerd_create(void **state)
{
	char **v =
	    ARGV("volguard-runc", "--config", "/etc/v.conf", "--root", "/r", "--log", "/l.json",
		 "--log-format", "json", "create", "--bundle", "/b", "--pid-file", "/p", "abc");
	struct runc_args a;
	struct vg_error e = { 0 };

	unsetenv("VOLGUARD_CONFIG");
	vg_runc_args_parse(15, v, &a);
	assert_string_equal(a.config, "/etc/v.conf");
	assert_int_equal(a.argc, 12);
	assert_string_equal(a.argv[0], "--root");
	assert_string_equal(a.log, "/l.json");
	assert_string_equal(a.log_format, "json");
	assert_string_equal(a.argv[a.cmd], "create");
	assert_int_equal(vg_runc_args_create(&a, &e), 0);
	assert_string_equal(a.bundle, "/b");
	assert_string_equal(a.id, "abc");
}

static void flag_forms(void **state)
{
	char **v = ARGV("volguard-runc", "--config=/c", "-log=/l", "--debug", "--systemd-cgroup",
			"run", "-b=/b", "--detach", "-d", "--keep", "x");
	struct runc_args a;
	struct vg_error e = { 0 };

	vg_runc_args_parse(11, v, &a);
	assert_string_equal(a.config, "/c");
	assert_string_equal(a.log, "/l");
	assert_string_equal(a.argv[a.cmd], "run");
	assert_int_equal(vg_runc_args_create(&a, &e), 0);
	assert_string_equal(a.bundle, "/b");
	assert_string_equal(a.id, "x");
}

static void config_only_first(void **state)
{
	/* --config after runc's options is runc's problem, not ours. */
	char **v = ARGV("volguard-runc", "--root", "/r", "--config", "/c", "state", "x");
	struct runc_args a;

	unsetenv("VOLGUARD_CONFIG");
	vg_runc_args_parse(7, v, &a);
	assert_null(a.config);
	assert_int_equal(a.cmd, -1); /* unknown global option: handed to runc as it is */
	assert_int_equal(a.argc, 6);
}

static void create_errors(void **state)
{
	static const char *const cases[][4] = {
		{ "create", "--bogus", "x", NULL },	{ "create", "--bundle", NULL, NULL },
		{ "create", NULL, NULL, NULL },		{ "create", "a", "b", NULL },
		{ "create", "--pid-file", NULL, NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *v[6] = { (char *)"volguard-runc" };
		struct runc_args a;
		struct vg_error e = { 0 };
		int n = 1;

		for (int k = 0; k < 4 && cases[i][k]; k++)
			v[n++] = (char *)cases[i][k];
		v[n] = NULL;
		vg_runc_args_parse(n, v, &a);
		assert_int_equal(a.cmd, 0);
		assert_true(vg_runc_args_create(&a, &e) < 0);
		assert_true(e.msg[0] != '\0');
	}
}

static void exec_process(void **state)
{
	char **v = ARGV("volguard-runc", "exec", "--process", "/p.json", "--detach", "--pid-file",
			"/pid", "ctr", "sh", "-c", "x");
	char **w = ARGV("volguard-runc", "exec", "-t", "ctr", "--process", "/not-an-option");
	struct runc_args a;
	struct vg_error e = { 0 };
	const char *process;

	vg_runc_args_parse(argc_of(v), v, &a);
	assert_int_equal(vg_runc_args_exec(&a, &process, &e), 0);
	assert_string_equal(process, "/p.json");
	assert_string_equal(a.id, "ctr");
	vg_runc_args_parse(argc_of(w), w, &a);
	assert_int_equal(vg_runc_args_exec(&a, &process, &e), 0);
	assert_null(process); /* after the ID it is the command's */
	assert_string_equal(a.id, "ctr");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dockerd_create),    cmocka_unit_test(flag_forms),
		cmocka_unit_test(config_only_first), cmocka_unit_test(create_errors),
		cmocka_unit_test(exec_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
