/* The registry against in-memory input: parsing, formatting, allocation, release, names. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "config.h"
#include "registry.h"

/* A pool far from anything a concurrent test (useradd in the default pool) may touch. */
#define POOL 3221225472ULL
#define RS   65536ULL

static int parse(struct vg_registry *r, const char *text, struct vg_error *e)
{
	vg_registry_init(r);
	memset(e, 0, sizeof(*e));
	return vg_registry_parse(r, text, strlen(text), "reg", e);
}

static void expect_error(const char *text, const char *where, const char *why)
{
	struct vg_registry r;
	struct vg_error e;
	int rc = parse(&r, text, &e);

	vg_registry_close(&r);
	unit_expect_error(rc, &e, EINVAL, text, where, why, NULL);
}

static void test_config(struct vg_config *c)
{
	vg_config_init(c);
	free(c->subuid_file);
	free(c->subgid_file);
	c->subuid_file = vg_strdup("/nonexistent/volguard-test/subuid");
	c->subgid_file = vg_strdup("/nonexistent/volguard-test/subgid");
	c->pool_start = POOL;
	c->pool_end = POOL + 8 * RS - 1;
}

static void parse_good(void **state)
{
	static const char text[] = "# volguard registry\n"
				   "\n"
				   "   \n"
				   "web:1073741824:65536 # created=2026-01-01T00:00:00Z id=abc123\n"
				   "  # indented comment\n"
				   "db:1073807360:131072\n"
				   "a.b_c-d:2147418112:65536   \n"
				   "last:1073938432:65536";
	struct vg_registry r;
	struct vg_error e;
	struct vg_range *rg;

	assert_int_equal(parse(&r, text, &e), 0);
	assert_int_equal(r.n, 4);
	rg = vg_registry_find(&r, "web");
	assert_non_null(rg);
	assert_int_equal(rg->start, 1073741824);
	assert_int_equal(rg->count, 65536);
	assert_int_equal(rg->line, 4);
	assert_string_equal(vg_range_get_meta(rg, "created"), "2026-01-01T00:00:00Z");
	assert_string_equal(vg_range_get_meta(rg, "id"), "abc123");
	assert_null(vg_range_get_meta(rg, "nope"));
	rg = vg_registry_find(&r, "db");
	assert_non_null(rg);
	assert_int_equal(rg->count, 131072);
	assert_int_equal(rg->n_meta, 0);
	assert_non_null(vg_registry_find(&r, "a.b_c-d"));
	assert_non_null(vg_registry_find(&r, "last"));
	assert_null(vg_registry_find(&r, "nobody"));
	assert_ptr_equal(vg_registry_find_id(&r, 1073741824 + 65535), vg_registry_find(&r, "web"));
	assert_ptr_equal(vg_registry_find_id(&r, 1073807360 + 131071), vg_registry_find(&r, "db"));
	assert_null(vg_registry_find_id(&r, 1073741823));
	assert_null(vg_registry_find_id(&r, 1073938432 + 65536));
	vg_registry_close(&r);

	assert_int_equal(parse(&r, "", &e), 0);
	assert_int_equal(r.n, 0);
	vg_registry_close(&r);
}

static void parse_bad(void **state)
{
	expect_error("web\n", "reg:1:", "name:start:count");
	expect_error("ok:1073741824:65536\nweb:1\n", "reg:2:", "name:start:count");
	expect_error("web:x:65536\n", "reg:1:", "start");
	expect_error("web::65536\n", "reg:1:", "start");
	expect_error("web:-1:65536\n", "reg:1:", "start");
	expect_error("web:4294967296:1\n", "reg:1:", "start");
	expect_error("web:1073741824:\n", "reg:1:", "count");
	expect_error("web:1073741824:0\n", "reg:1:", "count");
	expect_error("web:1073741824:12a\n", "reg:1:", "count");
	expect_error("web:1073741824:65536:7\n", "reg:1:", "count");
	expect_error("web:4294901760:65536\n", "reg:1:", "wraps");
	expect_error("web:0:65536\n", "reg:1:", "0..65535");
	expect_error("web:65535:1\n", "reg:1:", "0..65535");
	expect_error(":1073741824:65536\n", "reg:1:", "name");
	expect_error("-web:1073741824:65536\n", "reg:1:", "name");
	expect_error("we/b:1073741824:65536\n", "reg:1:", "name");
	expect_error(" web:1073741824:65536\n", "reg:1:", "white space");
	expect_error("web:1073741824:65536\r\n", "reg:1:", "count");
	expect_error("web:1073741824:65536 # novalue\n", "reg:1:", "key=value");
	expect_error("web:1073741824:65536 # Bad=x\n", "reg:1:", "metadata");
	expect_error("web:1073741824:65536 # k=\n", "reg:1:", "metadata");
	expect_error("web:1073741824:65536 # =v\n", "reg:1:", "metadata");
	/* Overlaps and duplicates name both lines. */
	expect_error("a:1073741824:65536\nb:1073741825:1\n", "reg:2:", "line 1");
	expect_error("a:1073741824:131072\n\nb:1073807360:65536\n", "reg:3:", "overlaps line 1");
	expect_error("b:1073807360:65536\na:1073741824:131072\n", "reg:1:", "overlaps line 2");
	expect_error("a:1073741824:65536\nb:1073807360:65536\na:1073872896:65536\n",
		     "reg:3:", "line 1");
}

static void parse_nul(void **state)
{
	static const char text[] = "web:1073741824:65536\nd\0b:1073807360:65536\n";
	struct vg_registry r;
	struct vg_error e = { 0 };

	vg_registry_init(&r);
	assert_true(vg_registry_parse(&r, text, sizeof(text) - 1, "reg", &e) < 0);
	assert_non_null(strstr(e.msg, "reg:2:"));
	vg_registry_close(&r);
}

static void format_round_trip(void **state)
{
	static const char text[] = "web:1073741824:65536 # created=2026-01-01T00:00:00Z id=abc\n"
				   "db:1073807360:131072\n";
	struct vg_registry r, r2;
	struct vg_error e;
	char *out, *out2;

	assert_int_equal(parse(&r, text, &e), 0);
	out = vg_registry_format(&r);
	assert_non_null(out);
	assert_non_null(strstr(out, "\nweb:1073741824:65536 # created=2026-01-01T00:00:00Z id=abc\n"
				    "db:1073807360:131072\n"));
	assert_int_equal(parse(&r2, out, &e), 0);
	assert_int_equal(r2.n, 2);
	out2 = vg_registry_format(&r2);
	assert_string_equal(out, out2);
	free(out);
	free(out2);
	vg_registry_close(&r);
	vg_registry_close(&r2);
}

static void alloc_first_fit(void **state)
{
	struct vg_config c;
	struct vg_registry r;
	struct vg_error e = { 0 };
	struct vg_range *rg;
	bool is_new;

	test_config(&c);
	vg_registry_init(&r);
	assert_int_equal(vg_registry_alloc(&r, &c, "a", 0, &rg, &is_new, &e), 0);
	assert_true(is_new);
	assert_int_equal(rg->start, POOL);
	assert_int_equal(rg->count, RS);
	assert_non_null(vg_range_get_meta(rg, "created"));
	assert_true(r.dirty);
	assert_int_equal(vg_registry_alloc(&r, &c, "b", 0, &rg, &is_new, &e), 0);
	assert_int_equal(rg->start, POOL + RS);
	assert_int_equal(vg_registry_alloc(&r, &c, "c", 0, &rg, &is_new, &e), 0);
	assert_int_equal(rg->start, POOL + 2 * RS);
	/* Idempotent: the same name keeps its range, whatever size is asked. */
	assert_int_equal(vg_registry_alloc(&r, &c, "b", 3 * RS, &rg, &is_new, &e), 0);
	assert_false(is_new);
	assert_int_equal(rg->start, POOL + RS);
	assert_int_equal(rg->count, RS);
	/* Release frees the hole; first fit reuses it. */
	assert_int_equal(vg_registry_release(&r, "b", &e), 0);
	assert_null(vg_registry_find(&r, "b"));
	assert_int_equal(vg_registry_release(&r, "b", &e), -ENOENT);
	assert_int_equal(vg_registry_alloc(&r, &c, "d", 0, &rg, &is_new, &e), 0);
	assert_int_equal(rg->start, POOL + RS);
	/* A bigger range does not fit the hole left by a small one. */
	assert_int_equal(vg_registry_release(&r, "d", &e), 0);
	assert_int_equal(vg_registry_alloc(&r, &c, "big", 2 * RS, &rg, &is_new, &e), 0);
	assert_int_equal(rg->start, POOL + 3 * RS);
	assert_int_equal(rg->count, 2 * RS);
	vg_registry_close(&r);
	vg_config_free(&c);
}

static void alloc_size_and_full(void **state)
{
	struct vg_config c;
	struct vg_registry r;
	struct vg_error e = { 0 };
	struct vg_range *rg;
	char name[16];

	test_config(&c);
	vg_registry_init(&r);
	assert_int_equal(vg_registry_alloc(&r, &c, "x", RS + 1, &rg, NULL, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "multiple"));
	assert_int_equal(vg_registry_alloc(&r, &c, "x", 9 * RS, &rg, NULL, &e), -ENOSPC);
	assert_int_equal(r.n, 0);
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(vg_registry_alloc(&r, &c, name, 0, &rg, NULL, &e), 0);
		assert_int_equal(rg->start, POOL + (uint64_t)i * RS);
	}
	assert_int_equal(vg_registry_alloc(&r, &c, "one-more", 0, &rg, NULL, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "no free range"));
	assert_int_equal(r.n, 8);
	vg_registry_close(&r);
	vg_config_free(&c);
}

static void alloc_avoids_existing_lines(void **state)
{
	/* Lines outside the pool, or unaligned ones written by hand, are still avoided. */
	char text[256];
	struct vg_config c;
	struct vg_registry r;
	struct vg_error e;
	struct vg_range *rg;

	test_config(&c);
	snprintf(text, sizeof(text), "odd:%llu:10\nnext:%llu:65536\n", POOL + 100, POOL + RS);
	assert_int_equal(parse(&r, text, &e), 0);
	assert_int_equal(vg_registry_alloc(&r, &c, "new", 0, &rg, NULL, &e), 0);
	assert_int_equal(rg->start, POOL + 2 * RS);
	vg_registry_close(&r);
	vg_config_free(&c);
}

static void alloc_bad_name(void **state)
{
	struct vg_config c;
	struct vg_registry r;
	struct vg_error e = { 0 };
	struct vg_range *rg;

	test_config(&c);
	vg_registry_init(&r);
	assert_int_equal(vg_registry_alloc(&r, &c, "../etc", 0, &rg, NULL, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "not a valid container name"));
	assert_int_equal(r.n, 0);
	assert_false(r.dirty);
	vg_registry_close(&r);
	vg_config_free(&c);
}

static void alloc_bad_subuid(void **state)
{
	char path[] = "/tmp/vgunit-subuid.XXXXXX";
	int fd = mkstemp(path);
	struct vg_config c;
	struct vg_registry r;
	struct vg_error e = { 0 };
	struct vg_range *rg;
	char text[128];

	assert_true(fd >= 0);
	test_config(&c);
	free(c.subuid_file);
	c.subuid_file = vg_strdup(path);
	/* A delegation over the first two ranges moves the allocation past it. */
	snprintf(text, sizeof(text), "# comment\nalice:%llu:%llu\n", POOL + 5, RS + 10);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	vg_registry_init(&r);
	assert_int_equal(vg_registry_alloc(&r, &c, "a", 0, &rg, NULL, &e), 0);
	assert_int_equal(rg->start, POOL + 2 * RS);
	vg_registry_close(&r);
	/* A malformed subuid line: an error naming file and line, nothing allocated. */
	assert_int_equal(write(fd, "bob:12\n", 7), 7);
	vg_registry_init(&r);
	assert_int_equal(vg_registry_alloc(&r, &c, "a", 0, &rg, NULL, &e), -EINVAL);
	assert_non_null(strstr(e.msg, ":3:"));
	assert_int_equal(r.n, 0);
	vg_registry_close(&r);
	close(fd);
	unlink(path);
	vg_config_free(&c);
}

static void meta(void **state)
{
	struct vg_registry r;
	struct vg_error e;
	struct vg_range *rg;

	assert_int_equal(parse(&r, "web:1073741824:65536\n", &e), 0);
	rg = vg_registry_find(&r, "web");
	assert_int_equal(vg_range_set_meta(&r, rg, "id", "0123abcd", &e), 0);
	assert_true(r.dirty);
	assert_string_equal(vg_range_get_meta(rg, "id"), "0123abcd");
	r.dirty = false;
	assert_int_equal(vg_range_set_meta(&r, rg, "id", "0123abcd", &e), 0);
	assert_false(r.dirty);
	assert_true(vg_range_set_meta(&r, rg, "id", "has space", &e) < 0);
	assert_true(vg_range_set_meta(&r, rg, "id", "a#b", &e) < 0);
	assert_true(vg_range_set_meta(&r, rg, "Key", "v", &e) < 0);
	assert_true(vg_range_set_meta(&r, rg, "k", "", &e) < 0);
	vg_registry_close(&r);
}

static void names(void **state)
{
	char n255[256], n256[257];

	memset(n255, 'a', 255);
	n255[255] = '\0';
	memset(n256, 'a', 256);
	n256[256] = '\0';
	assert_true(vg_name_valid(n255));
	assert_false(vg_name_valid(n256));
	assert_true(vg_name_valid("a"));
	assert_true(vg_name_valid("0"));
	assert_true(vg_name_valid("Web_1.2-x"));
	assert_false(vg_name_valid(""));
	assert_false(vg_name_valid(NULL));
	assert_false(vg_name_valid(".hidden"));
	assert_false(vg_name_valid("-opt"));
	assert_false(vg_name_valid("_x"));
	assert_false(vg_name_valid("."));
	assert_false(vg_name_valid(".."));
	assert_false(vg_name_valid("a/b"));
	assert_false(vg_name_valid("/a"));
	assert_false(vg_name_valid("a:b"));
	assert_false(vg_name_valid("a b"));
	assert_false(vg_name_valid("a#b"));
	assert_false(vg_name_valid("a\nb"));
	assert_false(vg_name_valid("caf\xc3\xa9"));
	assert_false(vg_name_valid("\xc3\xa9t\xc3\xa9"));
	assert_true(vg_name_valid("a.."));
}

static void large_registry(void **state)
{
	/* 100,000 lines parse, and the 100,001st name finds the first hole. */
	size_t n = 100000, len = 0;
	char *text = malloc(n * 40);
	struct vg_registry r;
	struct vg_error e;

	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "c%zu:%llu:1\n", i, 1073741824ULL + 2 * i);
	vg_registry_init(&r);
	assert_int_equal(vg_registry_parse(&r, text, len, "reg", &e), 0);
	assert_int_equal(r.n, n);
	assert_non_null(vg_registry_find(&r, "c99999"));
	vg_registry_close(&r);
	free(text);
}

static void meta_encoding(void **state)
{
	char *enc = vg_meta_encode("/run/my docker/#1%"), *dec;

	assert_string_equal(enc, "/run/my%20docker/%231%25");
	dec = vg_meta_decode(enc);
	assert_string_equal(dec, "/run/my docker/#1%");
	free(dec);
	free(enc);
	assert_null(vg_meta_decode("bad%2"));
	assert_null(vg_meta_decode("nul%00"));
}

/* An in-memory registry with an empty quarantine, as vg_registry_open makes one. */
static void with_quarantine(struct vg_registry *r, uint64_t days)
{
	r->quarantine = calloc(1, sizeof(*r->quarantine));
	assert_non_null(r->quarantine);
	vg_registry_init(r->quarantine);
	r->quarantine->multi_names = true;
	r->quarantine->quarantine_days = days;
	r->quarantine_days = days;
}

static void quarantine_rests(void **state)
{
	struct vg_registry r;
	struct vg_config c;
	struct vg_error e = { 0 };
	struct vg_range *rg;
	bool is_new;

	test_config(&c);
	c.pool_end = POOL + 2 * RS - 1; /* two ranges */
	vg_registry_init(&r);
	with_quarantine(&r, 30);
	assert_int_equal(vg_registry_alloc(&r, &c, "a", 0, &rg, &is_new, &e), 0);
	assert_int_equal(vg_registry_alloc(&r, &c, "b", 0, &rg, &is_new, &e), 0);
	assert_int_equal(vg_registry_release(&r, "a", &e), 0);
	assert_int_equal(r.quarantine->n, 1);
	assert_string_equal(r.quarantine->ranges[0].name, "a");
	assert_non_null(vg_range_get_meta(&r.quarantine->ranges[0], "released"));
	assert_true(vg_quarantine_until(&r, &r.quarantine->ranges[0]) > (int64_t)time(NULL));
	/* The pool is full but for a's range: it is reused, and that is recorded. */
	assert_int_equal(vg_registry_alloc(&r, &c, "c", 0, &rg, &is_new, &e), 0);
	assert_true(is_new);
	assert_int_equal(rg->start, POOL);
	assert_string_equal(vg_range_get_meta(rg, "reused_from"), "a");
	assert_int_equal(r.quarantine->n, 0);
	assert_true(r.q_reused);
	assert_int_equal(vg_registry_alloc(&r, &c, "d", 0, &rg, &is_new, &e), -ENOSPC);
	/* The same name twice in quarantine is fine there. */
	assert_int_equal(vg_registry_release(&r, "c", &e), 0);
	assert_int_equal(vg_registry_alloc(&r, &c, "c", 0, &rg, &is_new, &e), 0);
	assert_int_equal(vg_registry_release(&r, "b", &e), 0);
	assert_int_equal(r.quarantine->n, 1);
	vg_registry_close(&r);
	vg_config_free(&c);
}

static void quarantine_parse(void **state)
{
	struct vg_registry q;
	struct vg_error e = { 0 };
	static const char text[] = "a:3221225472:65536 # released=2000-01-01T00:00:00Z\n"
				   "a:3221291008:65536 # released=bogus\n";

	vg_registry_init(&q);
	q.multi_names = true;
	q.quarantine_days = 30;
	assert_int_equal(vg_registry_parse(&q, text, strlen(text), "q", &e), 0);
	assert_int_equal(q.n, 2);
	assert_int_equal(vg_quarantine_until(&q, &q.ranges[0]), 946684800 + 30 * 86400);
	/* An unreadable time counts as now: the range rests its whole time. */
	assert_true(vg_quarantine_until(&q, &q.ranges[1]) >= (int64_t)time(NULL) + 30 * 86400 - 5);
	vg_registry_close(&q);
}

/* claim: docker_root is a temp dir where the test makes containers exist or vanish. */
static void claim_binds_to_the_container(void **state)
{
	char root[] = "/tmp/vg-claim-XXXXXX", path[256];
	struct vg_registry r;
	struct vg_config c;
	struct vg_error e = { 0 };
	struct vg_range *rg;
	uint64_t web_start;
	bool is_new;
	FILE *f;

	assert_non_null(mkdtemp(root));
	test_config(&c);
	free(c.docker_root);
	c.docker_root = strdup(root);
	vg_registry_init(&r);

	assert_int_equal(vg_registry_claim(&r, &c, "web", "id1", "/run/r", &rg, &is_new, &e), 0);
	assert_true(is_new);
	web_start = rg->start;
	assert_string_equal(vg_range_get_meta(rg, "container"), "id1");
	assert_string_equal(vg_range_get_meta(rg, "runc_root"), "/run/r");
	/* id1 is gone: a new container named web (re-creation) gets the same range. */
	assert_ptr_equal(vg_registry_claimable(&r, &c, "web", "id2"), vg_registry_find(&r, "web"));
	assert_int_equal(vg_registry_claim(&r, &c, "web", "id2", NULL, &rg, &is_new, &e), 0);
	assert_false(is_new);
	assert_int_equal(rg->start, web_start);
	assert_string_equal(vg_range_get_meta(rg, "container"), "id2");

	/* id2 exists (Docker's files), renamed to web-old: a new web gets its own range. */
	snprintf(path, sizeof(path), "%s/containers", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/containers/id2", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/containers/id2/config.v2.json", root);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"Name\": \"/web-old\"}", f);
	fclose(f);
	assert_null(vg_registry_claimable(&r, &c, "web", "id3"));
	assert_int_equal(vg_registry_claim(&r, &c, "web", "id3", NULL, &rg, &is_new, &e), 0);
	assert_true(is_new);
	assert_int_not_equal(rg->start, web_start);
	rg = vg_registry_find(&r, "web-old");
	assert_non_null(rg);
	assert_int_equal(rg->start, web_start);
	assert_string_equal(vg_range_get_meta(rg, "container"), "id2");
	/* The renamed container keeps its range when it starts again, and the line its name. */
	assert_int_equal(vg_registry_claim(&r, &c, "web-old", "id2", NULL, &rg, &is_new, &e), 0);
	assert_false(is_new);
	assert_int_equal(rg->start, web_start);
	/* Renamed once more: the line follows Docker's name when it is free. */
	assert_int_equal(vg_registry_claim(&r, &c, "web-older", "id2", NULL, &rg, &is_new, &e), 0);
	assert_string_equal(rg->name, "web-older");
	assert_int_equal(rg->start, web_start);
	/* A bad ID is refused. */
	assert_int_equal(vg_registry_claim(&r, &c, "x", "../id", NULL, &rg, &is_new, &e), -EINVAL);

	vg_registry_close(&r);
	vg_config_free(&c);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	assert_int_equal(system(path), 0);
}

static void expect_einval_len(const char *text, size_t len, const char *want)
{
	struct vg_registry r;
	struct vg_error e = { 0 };
	int rc;

	vg_registry_init(&r);
	rc = vg_registry_parse(&r, text, len, "ranges", &e);
	vg_registry_close(&r);
	unit_expect_error(rc, &e, EINVAL, text, want, NULL);
}

static void expect_einval(const char *text, const char *want)
{
	expect_einval_len(text, strlen(text), want);
}

static void bad_lines(void **state)
{
	expect_einval("web\n", "ranges:1: expected name:start:count");
	expect_einval("# c\nweb:1\n", "ranges:2: expected name:start:count");
	expect_einval(" web:1073741824:65536\n", "ranges:1: leading white space");
	expect_einval("\tweb:1073741824:65536\n", "leading white space");
	expect_einval("-web:1073741824:65536\n", "ranges:1: invalid name");
	expect_einval("a/b:1073741824:65536\n", "invalid name");
	expect_einval("..:1073741824:65536\n", "invalid name");
	expect_einval(":1073741824:65536\n", "invalid name");
	expect_einval("web:x:65536\n", "ranges:1: start is not a number");
	expect_einval("web:-1:65536\n", "start is not a number");
	expect_einval("web:4294967296:1\n", "start is not a number in 0..4294967295");
	expect_einval("web:1073741824:0\n", "count is not a number in 1..4294967295");
	expect_einval("web:1073741824:\n", "count is not a number");
	expect_einval("web:1073741824:65536:7\n", "count is not a number");
	expect_einval("web:4294967295:1\n", "range wraps past 4294967294");
	expect_einval("web:4294901760:65536\n", "range wraps");
	expect_einval("web:1073741824:65536 # created\n", "ranges:1: metadata must be key=value");
	expect_einval("web:1073741824:65536 # Key=v\n", "invalid metadata key or value");
	expect_einval("web:1073741824:65536 # k=\n", "invalid metadata key or value");
	expect_einval("web:1073741824:65536 # =v\n", "invalid metadata key or value");
	expect_einval("web:1073741824:65536 # k=\x7f\n", "invalid metadata key or value");
	expect_einval_len("web:1073741824:65536\nd\0b:1:1\n", 30, "ranges:2: NUL byte");
}

static void inconsistent(void **state)
{
	expect_einval("a:1073741824:65536\n\nb:1073807359:2\n",
		      "ranges:3: range of 'b' overlaps line 1 ('a')");
	expect_einval("b:1073807359:2\na:1073741824:65536\n",
		      "ranges:1: range of 'b' overlaps line 2 ('a')");
	expect_einval("a:1073741824:65536\nb:1073807360:1\na:1073872896:1\n",
		      "ranges:3: 'a' already has a range on line 1");
}

static void good_and_round_trip(void **state)
{
	static const char text[] = "# header\n\n"
				   "web:1073741824:65536 # created=2026-01-01T00:00:00Z id=abc\n"
				   "db:1073807360:131072\t# x=1\n"
				   "last:65536:1";
	struct vg_registry r, r2;
	struct vg_error e = { 0 };
	struct vg_range *rg;
	char *out;

	vg_registry_init(&r);
	assert_int_equal(vg_registry_parse(&r, text, strlen(text), "ranges", &e), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.ranges[1].line, 4);
	rg = vg_registry_find(&r, "db");
	assert_non_null(rg);
	assert_int_equal(rg->count, 131072);
	assert_string_equal(vg_range_get_meta(rg, "x"), "1");
	assert_null(vg_range_get_meta(rg, "created"));
	assert_ptr_equal(vg_registry_find_id(&r, 1073807360 + 131071), rg);
	assert_null(vg_registry_find_id(&r, 1073807360 + 131072));
	assert_ptr_equal(vg_registry_find_id(&r, 65536), &r.ranges[2]);
	assert_null(vg_registry_find(&r, "nope"));

	/* Metadata rules on the write side too. */
	assert_int_equal(vg_range_set_meta(&r, rg, "bad key", "v", &e), -EINVAL);
	assert_int_equal(vg_range_set_meta(&r, rg, "k", "a b", &e), -EINVAL);
	assert_int_equal(vg_range_set_meta(&r, rg, "k", "a#b", &e), -EINVAL);
	assert_false(r.dirty);
	assert_int_equal(vg_range_set_meta(&r, rg, "x", "1", &e), 0);
	assert_false(r.dirty); /* unchanged value: nothing to write */
	assert_int_equal(vg_range_set_meta(&r, rg, "x", "2", &e), 0);
	assert_true(r.dirty);

	assert_int_equal(vg_registry_release(&r, "nope", &e), -ENOENT);
	assert_string_equal(e.msg, "'nope' has no range");
	assert_int_equal(vg_registry_release(&r, "web", &e), 0);

	out = vg_registry_format(&r);
	assert_non_null(out);
	assert_non_null(strstr(out, "\ndb:1073807360:131072 # x=2\nlast:65536:1\n"));
	vg_registry_init(&r2);
	assert_int_equal(vg_registry_parse(&r2, out, strlen(out), "again", &e), 0);
	assert_int_equal(r2.n, 2);
	free(out);
	vg_registry_close(&r2);
	vg_registry_close(&r);
}

static void commit_needs_open_registry(void **state)
{
	struct vg_registry r;
	struct vg_error e = { 0 };

	vg_registry_init(&r);
	assert_int_equal(vg_registry_commit(&r, &e), 0); /* nothing to write */
	r.dirty = true;
	assert_int_equal(vg_registry_commit(&r, &e), -EBADF);
	assert_non_null(strstr(e.msg, "not open for writing"));
	vg_registry_close(&r);
}

static void many_lines(void **state)
{
	/* 100,000 lines parse, and the consistency check stays O(n log n). */
	size_t n = 100000, cap = n * 40, len = 0;
	char *text = malloc(cap);
	struct vg_registry r;
	struct vg_error e = { 0 };

	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len, "c%zu:%zu:1\n", i, 65536 + i);
	vg_registry_init(&r);
	assert_int_equal(vg_registry_parse(&r, text, len, "ranges", &e), 0);
	assert_int_equal(r.n, n);
	assert_non_null(vg_registry_find(&r, "c99999"));
	vg_registry_close(&r);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_good),
		cmocka_unit_test(parse_bad),
		cmocka_unit_test(parse_nul),
		cmocka_unit_test(format_round_trip),
		cmocka_unit_test(alloc_first_fit),
		cmocka_unit_test(alloc_size_and_full),
		cmocka_unit_test(alloc_avoids_existing_lines),
		cmocka_unit_test(alloc_bad_name),
		cmocka_unit_test(alloc_bad_subuid),
		cmocka_unit_test(meta),
		cmocka_unit_test(names),
		cmocka_unit_test(large_registry),
		cmocka_unit_test(meta_encoding),
		cmocka_unit_test(quarantine_rests),
		cmocka_unit_test(quarantine_parse),
		cmocka_unit_test(claim_binds_to_the_container),
		cmocka_unit_test(bad_lines),
		cmocka_unit_test(inconsistent),
		cmocka_unit_test(good_and_round_trip),
		cmocka_unit_test(commit_needs_open_registry),
		cmocka_unit_test(many_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
