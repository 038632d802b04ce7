/* vg_escape (util.c): what a hostile path looks like once it reaches a message. */
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

/* What any output must be: printable ASCII or valid UTF-8 of no control and no bidi/invisible
 * code point. An independent check, so that the test does not reuse the code it tests. */
static void assert_safe(const unsigned char *p)
{
	while (*p) {
		unsigned cp;
		size_t n;

		if (*p < 0x80) {
			assert_true(*p >= 0x20 && *p != 0x7f);
			p++;
			continue;
		}
		n = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
		assert_true(n != 0);
		cp = *p & (0x7f >> n);
		for (size_t i = 1; i < n; i++) {
			assert_true((p[i] & 0xc0) == 0x80);
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		assert_true(cp >= (n == 2 ? 0x80u : n == 3 ? 0x800u : 0x10000u) && cp <= 0x10ffff);
		assert_false(cp >= 0xd800 && cp <= 0xdfff);
		assert_false(cp <= 0x9f); /* C1 */
		assert_false(cp == 0x061c ||
			     (cp >= 0x200b && cp <= 0x200f)); /* ALM, ZW*, LRM, RLM */
		assert_false(cp >= 0x2028 && cp <= 0x202e);   /* LS, PS, LRE..RLO */
		assert_false((cp >= 0x2060 && cp <= 0x2069) ||
			     cp == 0xfeff); /* WJ.., isolates, BOM */
		p += n;
	}
}

static void random_bytes_come_out_safe(void **state)
{
	/* Bytes weighted towards the dangerous ones: controls, lead bytes of bidi and C1. */
	static const unsigned char pick[] = { 0x0a, 0x1b, 0x7f, 0x5c, 0xc2, 0x85, 0x9b, 0xe2,
					      0x80, 0x81, 0xa8, 0xae, 0xa6, 0xd8, 0x9c, 0xef,
					      0xbb, 0xbf, 0xf0, 0xff, 'a',  '/',  0x8b, 0x8e };
	unsigned seed = 12345;

	for (int round = 0; round < 20000; round++) {
		unsigned char in[24];
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(in));
		char *out;

		for (size_t i = 0; i < len; i++)
			in[i] = rand_r(&seed) % 2 ? pick[rand_r(&seed) % (int)sizeof(pick)]
						  : (unsigned char)(1 + rand_r(&seed) % 255);
		in[len] = '\0';
		out = vg_escape((const char *)in);
		assert_safe((const unsigned char *)out);
		free(out);
	}
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
		cmocka_unit_test(random_bytes_come_out_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
