/* The kernel's socket table: listening sockets and their paths (sockets.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sockets.h"

static void test_socket_lines(void **state)
{
	char listening[] = "0000000097746d6c: 00000002 00000000 00010000 0001 01 19072 "
			   "/tmp/a dir/d/sock\n";
	char connected[] = "0000000097746d6c: 00000003 00000000 00000000 0001 03 19073 /run/x\n";
	char abstract[] = "0000000097746d6c: 00000002 00000000 00010000 0001 01 19074 @/tmp/.X11\n";
	char unnamed[] = "0000000097746d6c: 00000002 00000000 00010000 0001 01 19075\n";
	char relative[] = "0000000097746d6c: 00000002 00000000 00010000 0001 01 19076 rel.sock\n";
	char header[] = "Num       RefCount Protocol Flags    Type St Inode Path\n";
	const char *path = NULL;

	(void)state;
	assert_int_equal(vg_listen_sockets_parse_line(listening, &path), 1);
	assert_string_equal(path, "/tmp/a dir/d/sock"); /* a space belongs to the path */
	assert_int_equal(vg_listen_sockets_parse_line(connected, &path), 0);
	assert_int_equal(vg_listen_sockets_parse_line(abstract, &path), 0);
	assert_int_equal(vg_listen_sockets_parse_line(unnamed, &path), 0);
	assert_int_equal(vg_listen_sockets_parse_line(relative, &path), 0);
	assert_int_equal(vg_listen_sockets_parse_line(header, &path), 0);
}

static void test_no_tables(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const missing[] = { "/nonexistent/net/unix", NULL };
	struct vg_listen_sockets s;

	(void)state;
	assert_int_equal(vg_listen_sockets_find(-1, none, &s), 0);
	assert_int_equal(s.n, 0);
	assert_true(vg_listen_sockets_find(-1, missing, &s) < 0);
	vg_listen_sockets_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket_lines),
		cmocka_unit_test(test_no_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
