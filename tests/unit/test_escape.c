/* vg_escape: what a hostile path looks like once it reaches a message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vg.h"

static void expect(const char *in, const char *want)
{
	char *got = vg_escape(in);
	assert_string_equal(got, want);
	free(got);
}

static void plain_text_is_kept(void **state)
{
	expect("", "");
	expect(NULL, "");
	expect("/var/lib/docker/volumes/web/_data", "/var/lib/docker/volumes/web/_data");
	expect("a b ~!@#$%^&*()\"'", "a b ~!@#$%^&*()\"'");
}

static void valid_utf8_is_kept(void **state)
{
	expect("/srv/caf\xc3\xa9", "/srv/caf\xc3\xa9");				  /* é */
	expect("/srv/\xe6\x97\xa5\xe6\x9c\xac", "/srv/\xe6\x97\xa5\xe6\x9c\xac"); /* 日本 */
	expect("/srv/\xf0\x9f\x90\xb3", "/srv/\xf0\x9f\x90\xb3");		  /* 🐳 */
}

static void newline_cannot_fake_a_line(void **state)
{
	expect("/tmp/x\nvolguard: container web allowed: /etc ok",
	       "/tmp/x\\nvolguard: container web allowed: /etc ok");
	expect("a\tb", "a\\tb");
	expect("a\rb", "a\\x0db");
	expect("\x01\x1f\x7f", "\\x01\\x1f\\x7f");
}

static void terminal_sequences_are_escaped(void **state)
{
	/* Clear the screen, move the cursor, retitle the window. */
	expect("\x1b[2J\x1b[H/etc", "\\e[2J\\e[H/etc");
	expect("\x1b]0;owned\x07", "\\e]0;owned\\x07");
	/* C1 controls (8-bit CSI, NEL) encoded as UTF-8: both bytes shown. */
	expect("a\xc2\x9b"
	       "2Jb",
	       "a\\xc2\\x9b2Jb");
	expect("a\xc2\x85"
	       "b",
	       "a\\xc2\\x85b");
}

static void bidi_controls_are_named(void **state)
{
	/* "/tmp/<RLO>cte/" shows as "/tmp//etc" on a terminal that honours bidi. */
	expect("/tmp/\xe2\x80\xae"
	       "cte/",
	       "/tmp/\\u{202e}cte/");
	expect("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",
	       "\\u{202a}\\u{202b}\\u{202c}\\u{202d}");
	expect("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
	       "\\u{2066}\\u{2067}\\u{2068}\\u{2069}");
	expect("\xe2\x80\x8e\xe2\x80\x8f", "\\u{200e}\\u{200f}");
	expect("\xd8\x9c", "\\u{061c}");
	/* Invisible look-alikes and line separators. */
	expect("/e\xe2\x80\x8btc", "/e\\u{200b}tc");
	expect("a\xe2\x80\xa8"
	       "b",
	       "a\\u{2028}b");
	expect("\xef\xbb\xbf/etc", "\\u{feff}/etc");
}

static void invalid_utf8_is_shown_byte_by_byte(void **state)
{
	expect("/tmp/\xff\xfe", "/tmp/\\xff\\xfe");
	expect("\xc3", "\\xc3");			    /* truncated at the end */
	expect("\xe2\x80", "\\xe2\\x80");		    /* truncated 3-byte sequence */
	expect("\xc0\xaf", "\\xc0\\xaf");		    /* overlong "/" */
	expect("\xe0\x80\xaf", "\\xe0\\x80\\xaf");	    /* overlong "/" */
	expect("\xed\xa0\x80", "\\xed\\xa0\\x80");	    /* a surrogate */
	expect("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
	expect("\x80x", "\\x80x");			    /* a lone continuation byte */
}

static void escapes_cannot_be_forged(void **state)
{
	/* A path that spells an escape keeps its backslash visible: "\n" typed is not a newline. */
	expect("/tmp/x\\n/etc", "/tmp/x\\\\n/etc");
	expect("\\u{202e}", "\\\\u{202e}");
}

static void long_input(void **state)
{
	char in[4097];
	char *got;

	for (size_t i = 0; i < 4096; i++)
		in[i] = (i % 2) ? '\n' : 'a';
	in[4096] = '\0';
	got = vg_escape(in);
	assert_int_equal(strlen(got), 2048 * 3);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_text_is_kept),
		cmocka_unit_test(valid_utf8_is_kept),
		cmocka_unit_test(newline_cannot_fake_a_line),
		cmocka_unit_test(terminal_sequences_are_escaped),
		cmocka_unit_test(bidi_controls_are_named),
		cmocka_unit_test(invalid_utf8_is_shown_byte_by_byte),
		cmocka_unit_test(escapes_cannot_be_forged),
		cmocka_unit_test(long_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
