/* Fleet: SipHash-2-4 against its reference vectors, the deterministic allocation (the same
 * range whatever the order, probes recorded, every obstacle of first fit avoided), and the
 * export read back and imported. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "fleet.h"
#include "registry.h"
#include "siphash.h"

/* A pool far from anything a concurrent test (useradd in the default pool) may touch. */
#define POOL 3221225472ULL
#define RS   65536ULL

/*
 * The paper's key 00 01 .. 0f and messages 00 01 .. (len-1). Appendix A gives len 15
 * (a129ca6149be45e5); the others are the reference implementation's vectors (vectors.h,
 * vectors_sip64), read as little-endian 64-bit values.
 */
static void siphash_vectors(void **state)
{
	static const struct {
		size_t len;
		uint64_t h;
	} v[] = {
		{ 0, UINT64_C(0x726fdb47dd0e0e31) }, { 1, UINT64_C(0x74f839c593dc67fd) },
		{ 2, UINT64_C(0x0d6c8009d9a94f5a) }, { 3, UINT64_C(0x85676696d7fb7e2d) },
		{ 4, UINT64_C(0xcf2794e0277187b7) }, { 5, UINT64_C(0x18765564cd99a68d) },
		{ 6, UINT64_C(0xcbc9466e58fee3ce) }, { 7, UINT64_C(0xab0200f58b01d137) },
		{ 8, UINT64_C(0x93f5f5799a932462) }, { 15, UINT64_C(0xa129ca6149be45e5) },
	};
	uint8_t key[16], msg[64];

	for (unsigned i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (unsigned i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t h = vg_siphash24(key, msg, v[i].len);
		if (h != v[i].h)
			fail_msg("len %zu: %016llx, expected %016llx", v[i].len,
				 (unsigned long long)h, (unsigned long long)v[i].h);
	}
	/* Another key changes everything. */
	key[0] ^= 1;
	assert_true(vg_siphash24(key, msg, 15) != UINT64_C(0xa129ca6149be45e5));
}

/* The probe sequence visits every position once, for sizes that are and are not powers of
 * two. */
static void probe_is_a_permutation(void **state)
{
	static const uint64_t sizes[] = { 1, 2, 3, 7, 12, 16, 100, 16384 };
	uint8_t key[16] = { 7 };
	char name[32];

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		for (unsigned n = 0; n < 20; n++) {
			struct vg_probe p;
			uint8_t *seen = calloc(sizes[s], 1);
			assert_non_null(seen);
			snprintf(name, sizeof(name), "c%u", n);
			vg_alloc_probe_init(key, name, sizes[s], &p);
			for (uint64_t i = 0; i < sizes[s]; i++) {
				uint64_t at = vg_alloc_probe_at(&p, i);
				assert_true(at < sizes[s]);
				assert_int_equal(seen[at], 0);
				seen[at] = 1;
			}
			free(seen);
		}
}

static void det_config(struct vg_config *c, uint64_t slots)
{
	vg_config_init(c);
	free(c->subuid_file);
	free(c->subgid_file);
	c->subuid_file = vg_strdup("/nonexistent/volguard-test/subuid");
	c->subgid_file = vg_strdup("/nonexistent/volguard-test/subgid");
	c->pool_start = POOL;
	c->pool_end = POOL + slots * RS - 1;
	c->allocation = VG_ALLOC_DETERMINISTIC;
	for (unsigned i = 0; i < 16; i++)
		c->allocation_key[i] = (uint8_t)(0xa0 + i);
	c->allocation_key_set = true;
}

static uint64_t alloc_start(struct vg_registry *r, const struct vg_config *c, const char *name)
{
	struct vg_error e = { 0 };
	struct vg_range *rg;
	bool is_new;

	if (vg_registry_alloc(r, c, name, 0, &rg, &is_new, &e) < 0)
		fail_msg("alloc %s: %s", name, e.msg);
	return rg->start;
}

/* 40 names in 16384 slots: created forwards on one "host" and backwards on another, each gets
 * the same range on both (none of these collide under this key: probes=0 is checked). */
static void same_range_whatever_the_order(void **state)
{
	struct vg_registry a, b;
	struct vg_config c;
	char name[32];

	det_config(&c, 16384);
	vg_registry_init(&a);
	vg_registry_init(&b);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "svc%d", i);
		alloc_start(&a, &c, name);
	}
	for (int i = 39; i >= 0; i--) {
		snprintf(name, sizeof(name), "svc%d", i);
		alloc_start(&b, &c, name);
	}
	for (int i = 0; i < 40; i++) {
		const struct vg_range *x, *y;
		snprintf(name, sizeof(name), "svc%d", i);
		x = vg_registry_find(&a, name);
		y = vg_registry_find(&b, name);
		assert_int_equal(x->start, y->start);
		assert_string_equal(vg_range_get_meta(x, "allocation"), "deterministic");
		assert_string_equal(vg_range_get_meta(x, "probes"), "0");
		assert_true(x->start >= c.pool_start && x->start % RS == 0);
	}
	/* Not first fit: the ranges are spread over the pool. */
	assert_true(vg_registry_find(&a, "svc0")->start != POOL ||
		    vg_registry_find(&a, "svc1")->start != POOL + RS);
	vg_registry_close(&a);
	vg_registry_close(&b);
	/* Another key, other ranges. */
	vg_config_free(&c);
	vg_registry_init(&a);
	vg_registry_init(&b);
	det_config(&c, 16384);
	alloc_start(&a, &c, "svc0");
	c.allocation_key[0] ^= 0xff;
	alloc_start(&b, &c, "svc0");
	assert_true(a.ranges[0].start != b.ranges[0].start);
	vg_registry_close(&a);
	vg_registry_close(&b);
	vg_config_free(&c);
}

/* A pool of 4 slots fills: names probe past taken slots, the count is recorded, the pool ends
 * with ENOSPC; names that collide may differ by order (what VG-FLEET-002 reports). */
static void collisions_probe_and_fill(void **state)
{
	struct vg_registry r;
	struct vg_config c;
	struct vg_error e = { 0 };
	struct vg_range *rg;
	bool is_new, probed = false;
	char name[32];

	det_config(&c, 4);
	vg_registry_init(&r);
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		alloc_start(&r, &c, name);
	}
	for (size_t i = 0; i < r.n; i++) {
		const char *p = vg_range_get_meta(&r.ranges[i], "probes");
		assert_non_null(p);
		probed |= strcmp(p, "0") != 0;
		for (size_t j = i + 1; j < r.n; j++)
			assert_true(r.ranges[i].start != r.ranges[j].start);
	}
	assert_true(probed); /* 4 names into 4 slots: some collide */
	assert_int_equal(vg_registry_alloc(&r, &c, "n4", 0, &rg, &is_new, &e), -ENOSPC);
	vg_registry_close(&r);
	vg_config_free(&c);
}

/* Everything first fit avoids: other lines (here a line the hash would pick), the quarantine
 * of another name, subuid delegations. A name's own quarantined range comes back to it. */
static void avoids_what_first_fit_avoids(void **state)
{
	struct vg_registry r, q;
	struct vg_config c;
	struct vg_error e = { 0 };
	uint64_t home;
	char path[] = "/tmp/vg-fleet-subuid-XXXXXX", line[128];
	int fd;

	det_config(&c, 64);
	vg_registry_init(&q);
	home = alloc_start(&q, &c, "web");
	vg_registry_close(&q);

	/* Another allocation on web's home: web probes. */
	vg_registry_init(&r);
	vg_registry_add(&r, "other", home, RS);
	assert_true(alloc_start(&r, &c, "web") != home);
	assert_true(strcmp(vg_range_get_meta(vg_registry_find(&r, "web"), "probes"), "0") != 0);
	vg_registry_close(&r);

	/* A subuid delegation over it. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	snprintf(line, sizeof(line), "alice:%llu:65536\n", (unsigned long long)home);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	close(fd);
	free(c.subuid_file);
	c.subuid_file = vg_strdup(path);
	vg_registry_init(&r);
	assert_true(alloc_start(&r, &c, "web") != home);
	vg_registry_close(&r);
	unlink(path);
	free(c.subuid_file);
	c.subuid_file = vg_strdup("/nonexistent/volguard-test/subuid");

	/* Quarantine: another name's range there is avoided; web's own comes back to web. */
	vg_registry_init(&r);
	r.quarantine = calloc(1, sizeof(*r.quarantine));
	assert_non_null(r.quarantine);
	vg_registry_init(r.quarantine);
	r.quarantine->multi_names = true;
	r.quarantine->quarantine_days = r.quarantine_days = 30;
	assert_int_equal(alloc_start(&r, &c, "web"), home);
	assert_int_equal(vg_registry_release(&r, "web", &e), 0);
	assert_int_equal(r.quarantine->n, 1);
	assert_true(alloc_start(&r, &c, "db") != home);
	assert_int_equal(alloc_start(&r, &c, "web"), home);
	assert_int_equal(r.quarantine->n, 0);
	assert_true(r.q_reused);
	assert_int_equal(vg_registry_release(&r, "web", &e), 0);
	vg_registry_rename(&r, vg_registry_find(&r, "db"), "db2", &e);
	r.quarantine->ranges[0].name[0] = 'x'; /* now "xeb"'s: web must not take it */
	assert_true(alloc_start(&r, &c, "web") != home);
	vg_registry_close(&r);
	vg_config_free(&c);
}

/* ---- export, read, import ------------------------------------------------------------------ */

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/vg-fleet-export-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void expect_read_error(const char *text, const char *field)
{
	char *path = write_tmp(text);
	struct vg_fleet_export x;
	struct vg_error e = { 0 };

	if (vg_fleet_read(path, &x, &e) >= 0)
		fail_msg("read without error:\n%s", text);
	assert_int_equal(e.code, EINVAL);
	if (!strstr(e.msg, path) || !strstr(e.msg, field))
		fail_msg("message '%s' lacks the file or '%s'", e.msg, field);
	vg_fleet_free(&x);
	unlink(path);
	free(path);
}

#define HEAD                                                                                       \
	"{\"version\":1,\"host\":\"b\",\"allocation\":\"deterministic\",\"pool_start\":"           \
	"3221225472,"                                                                              \
	"\"pool_end\":3225419775,\"range_size\":65536,"

static void export_read_errors(void **state)
{
	expect_read_error("[1]", "(top)");
	expect_read_error("{\"ranges\":[]}", "version");
	expect_read_error("{\"version\":2,\"ranges\":[]}", "version");
	expect_read_error(HEAD "\"ranges\":{}}", "ranges");
	expect_read_error(HEAD
			  "\"ranges\":[{\"name\":\"a b\",\"start\":3221225472,\"count\":65536}]}",
			  "ranges[0].name");
	expect_read_error(HEAD "\"ranges\":[{\"name\":\"a\",\"start\":\"x\",\"count\":65536}]}",
			  "ranges[0].start");
	expect_read_error(HEAD "\"ranges\":[{\"name\":\"a\",\"start\":3221225472,\"count\":0}]}",
			  "ranges[0].count");
	expect_read_error(HEAD "\"ranges\":[{\"name\":\"a\",\"start\":3221225472,\"count\":65536},"
			       "{\"name\":\"a\",\"start\":3221291008,\"count\":65536}]}",
			  "ranges[1].name");
	expect_read_error(HEAD "\"ranges\":[{\"name\":\"a\",\"start\":3221225472,\"count\":65536},"
			       "{\"name\":\"b\",\"start\":3221225472,\"count\":65536}]}",
			  "ranges[1]");
	expect_read_error(HEAD "\"ranges\":[{\"name\":\"a\",\"start\":3221225472,\"count\":65536,"
			       "\"end\":1}]}",
			  "ranges[0].end");
	expect_read_error("{\"version\":1,", "not JSON");
}

/* The export of one registry, read back, imported into another: the same ranges; a conflict
 * refuses the whole import and changes nothing. */
static void export_import_round_trip(void **state)
{
	struct vg_registry a, b;
	struct vg_config c;
	struct vg_fleet_export x;
	struct vg_error e = { 0 };
	json_t *doc;
	char *text, *path;
	size_t added;

	det_config(&c, 64);
	vg_registry_init(&a);
	alloc_start(&a, &c, "web");
	alloc_start(&a, &c, "db");
	doc = vg_fleet_export_json(&a, &c);
	assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
	assert_string_equal(json_string_value(json_object_get(doc, "allocation")), "deterministic");
	assert_non_null(json_object_get(doc, "key_id"));
	text = json_dumps(doc, 0);
	json_decref(doc);
	path = write_tmp(text);
	free(text);
	assert_int_equal(vg_fleet_read(path, &x, &e), 0);
	assert_int_equal(x.reg.n, 2);

	/* b has web elsewhere: refused, nothing added. */
	vg_registry_init(&b);
	vg_registry_add(&b, "web", vg_registry_find(&a, "web")->start == POOL ? POOL + RS : POOL,
			RS);
	b.dirty = false;
	assert_int_equal(vg_fleet_import(&b, &c, &x, &added, &e), -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "'web'"));
	assert_int_equal(b.n, 1);
	assert_false(b.dirty);
	vg_registry_close(&b);

	/* b has another name over db's range: refused, the message names both. */
	vg_registry_init(&b);
	vg_registry_add(&b, "cache", vg_registry_find(&a, "db")->start, RS);
	assert_int_equal(vg_fleet_import(&b, &c, &x, &added, &e), -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "'db'"));
	assert_non_null(strstr(e.msg, "'cache'"));
	assert_int_equal(b.n, 1);
	vg_registry_close(&b);

	/* A clean import pins both; a second adds nothing. */
	vg_registry_init(&b);
	assert_int_equal(vg_fleet_import(&b, &c, &x, &added, &e), 0);
	assert_int_equal(added, 2);
	assert_int_equal(vg_registry_find(&b, "web")->start, vg_registry_find(&a, "web")->start);
	assert_string_equal(vg_range_get_meta(vg_registry_find(&b, "db"), "pinned_from"), x.host);
	assert_non_null(vg_range_get_meta(vg_registry_find(&b, "db"), "imported"));
	assert_int_equal(vg_fleet_import(&b, &c, &x, &added, &e), 0);
	assert_int_equal(added, 0);
	vg_registry_close(&b);

	/* Outside this host's pool. */
	c.pool_end = POOL + RS - 1;
	vg_registry_init(&b);
	if (vg_fleet_import(&b, &c, &x, &added, &e) == 0)
		fail_msg("imported a range outside the pool");
	assert_non_null(strstr(e.msg, "outside this host's pool"));
	vg_registry_close(&b);

	vg_fleet_free(&x);
	unlink(path);
	free(path);
	vg_registry_close(&a);
	vg_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(siphash_vectors),
		cmocka_unit_test(probe_is_a_permutation),
		cmocka_unit_test(same_range_whatever_the_order),
		cmocka_unit_test(collisions_probe_and_fill),
		cmocka_unit_test(avoids_what_first_fit_avoids),
		cmocka_unit_test(export_read_errors),
		cmocka_unit_test(export_import_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
