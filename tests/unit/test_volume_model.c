/* The volume model (volume_model.c, prepare.c, members.c): the mark, the check phase's verdict
 * in both modes, userns mode's O(1) act, fix --to-idmap and the way back, on real files. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>

#include "unit.h"

#include "acl.h"
#include "config.h"
#include "container.h"
#include "prepare.h"
#include "registry.h"
#include "volume.h"

static char tmp[64];
static struct vg_config cfg;
static uint64_t web, db; /* their ranges' starts */

static void path(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/docker/volumes/%s", tmp, rel);
}

static void mkvol(const char *name)
{
	char p[256];

	path(p, sizeof(p), name);
	assert_int_equal(mkdir(p, 0701), 0);
	path(p, sizeof(p), "");
	snprintf(p + strlen(p), sizeof(p) - strlen(p), "%s/_data", name);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void touch(const char *rel, uid_t uid, mode_t mode)
{
	char p[256];
	int fd;

	path(p, sizeof(p), rel);
	fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(lchown(p, uid, uid), 0);
}

static struct stat st_of(const char *rel)
{
	char p[256];
	struct stat st;

	path(p, sizeof(p), rel);
	assert_int_equal(lstat(p, &st), 0);
	return st;
}

static bool has_xattr(const char *rel, const char *name)
{
	char p[256];

	path(p, sizeof(p), rel);
	return getxattr(p, name, NULL, 0) >= 0;
}

static int setup(void **state)
{
	struct vg_registry reg;
	struct vg_range *rg;
	struct vg_error e = { 0 };
	bool is_new;

	unit_docker_root(tmp, sizeof(tmp), "model", 0701, &cfg);
	assert_int_equal(vg_registry_open(&reg, &cfg, VG_REGISTRY_WRITE, &e), 0);
	assert_int_equal(vg_registry_alloc(&reg, &cfg, "web", 0, &rg, &is_new, &e), 0);
	web = rg->start;
	assert_int_equal(vg_registry_alloc(&reg, &cfg, "db", 0, &rg, &is_new, &e), 0);
	db = rg->start;
	assert_int_equal(vg_registry_commit(&reg, &e), 0);
	vg_registry_close(&reg);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	vg_config_free(&cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf --one-file-system %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

/* A container that binds each named volume's _data, as a spec shows it. */
static void mounts_of(const char *const *names, struct vg_container *ct,
		      struct vg_mounted_volumes *vols)
{
	memset(ct, 0, sizeof(*ct));
	for (size_t i = 0; names[i]; i++) {
		struct vg_mount *m = vg_container_add_mount(ct);
		m->kind = VG_MOUNT_BIND;
		m->source = vg_asprintf("%s/%s/_data", cfg.volumes_root, names[i]);
		m->destination = vg_asprintf("/v%zu", i);
	}
	vg_mounted_volumes_find(&cfg, ct, vols);
}

static int check(const char *name, enum vg_isolation mode, struct vg_error *e)
{
	const char *names[] = { name, NULL };
	struct vg_container ct;
	struct vg_mounted_volumes vols;
	int r;

	mounts_of(names, &ct, &vols);
	r = vg_mounted_volumes_check(&cfg, &vols, "web", true, mode, e);
	vg_mounted_volumes_free(&vols);
	vg_container_free(&ct);
	return r;
}

static void model_mark_read(void **state)
{
	struct vg_error e = { 0 };
	enum vg_volume_model m;
	char p[256];

	mkvol("mk");
	path(p, sizeof(p), "mk");
	assert_int_equal(vg_volume_model_of(&cfg, "mk", &m, &e), 0);
	assert_int_equal(m, VG_MODEL_NEW); /* Docker's layout, nothing of volguard's */
	assert_int_equal(setxattr(p, VG_XATTR_STAMP, "v1:x", 4, 0), 0);
	assert_int_equal(vg_volume_model_of(&cfg, "mk", &m, &e), 0);
	assert_int_equal(m, VG_MODEL_SHIFT);
	assert_int_equal(setxattr(p, VG_XATTR_MODEL, "idmap", 5, 0), 0);
	assert_int_equal(vg_volume_model_of(&cfg, "mk", &m, &e), 0);
	assert_int_equal(m, VG_MODEL_IDMAP);
	assert_int_equal(setxattr(p, VG_XATTR_MODEL, "idmap\n", 6, 0), 0);
	assert_int_equal(vg_volume_model_of(&cfg, "mk", &m, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "trusted.volguard.model holds 'idmap\\n'"));
	/* ... and admission cannot judge it: an error, never a pass. */
	assert_true(check("mk", VG_ISOLATION_USERNS, &e) < 0);
}

/* Each mode refuses the other model's volume, naming the container, the volume and the
 * command that converts; a new volume fits both. */
static void check_refuses_mixed_models(void **state)
{
	struct vg_error e = { 0 };
	char p[256];

	mkvol("sv");
	path(p, sizeof(p), "sv");
	assert_int_equal(setxattr(p, VG_XATTR_MEMBERS, "web:rw:1073741824:1073741824\n", 29, 0), 0);
	assert_int_equal(check("sv", VG_ISOLATION_USERNS, &e), -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "container web runs in userns mode"));
	assert_non_null(strstr(e.msg, "volume 'sv'"));
	assert_non_null(strstr(e.msg, "'volguard fix --to-idmap sv'"));
	assert_int_equal(check("sv", VG_ISOLATION_SHIFT, &e), 0);

	mkvol("iv");
	path(p, sizeof(p), "iv");
	assert_int_equal(setxattr(p, VG_XATTR_MODEL, "idmap", 5, 0), 0);
	assert_int_equal(check("iv", VG_ISOLATION_SHIFT, &e), -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "container web runs in shift mode"));
	assert_non_null(strstr(e.msg, "'volguard fix --shift-from 0 iv'"));
	/* AUTO unresolved is judged as shift. */
	assert_int_equal(check("iv", VG_ISOLATION_AUTO, &e), -VG_EREFUSED);
	assert_int_equal(check("iv", VG_ISOLATION_USERNS, &e), 0);

	mkvol("nv");
	assert_int_equal(check("nv", VG_ISOLATION_USERNS, &e), 0);
	assert_int_equal(check("nv", VG_ISOLATION_SHIFT, &e), 0);
	assert_int_equal(check("not-there-yet", VG_ISOLATION_USERNS, &e), 0);
}

/* userns mode reads nothing below _data: a device node the shift mode's copy-up scan refuses
 * does not even get looked at (the idmapped mount is nodev). */
static void userns_check_does_not_scan(void **state)
{
	struct vg_error e = { 0 };
	char p[256];

	mkvol("dev");
	path(p, sizeof(p), "dev/_data/null");
	assert_int_equal(mknod(p, S_IFCHR | 0666, makedev(1, 3)), 0);
	assert_int_equal(check("dev", VG_ISOLATION_SHIFT, &e), -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "device node"));
	assert_int_equal(check("dev", VG_ISOLATION_USERNS, &e), 0);
}

/* A volume written under plain runc before volguard (postgres data 999:999): userns mode
 * records the member and the mark and changes nothing else, not one ctime. */
static void prepare_idmap_is_record_only(void **state)
{
	struct vg_error e = { 0 };
	struct stat d0, f0, d1, f1;
	char p[256], buf[256];
	ssize_t n;

	mkvol("pg");
	path(p, sizeof(p), "pg/_data/base");
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(chown(p, 999, 999), 0);
	touch("pg/_data/base/1", 999, 0600);
	d0 = st_of("pg/_data");
	f0 = st_of("pg/_data/base/1");
	assert_int_equal(vg_volume_prepare_idmap(&cfg, "pg", "db", false, (uint32_t)db,
						 (uint32_t)db, db, 65536, &e),
			 0);
	d1 = st_of("pg/_data");
	f1 = st_of("pg/_data/base/1");
	assert_int_equal(d1.st_ctim.tv_nsec, d0.st_ctim.tv_nsec);
	assert_int_equal(f1.st_ctim.tv_nsec, f0.st_ctim.tv_nsec);
	assert_int_equal(f1.st_uid, 999);
	assert_false(has_xattr("pg/_data", VG_XATTR_ACL_ACCESS));
	assert_false(has_xattr("pg", VG_XATTR_STAMP));
	path(p, sizeof(p), "pg");
	n = getxattr(p, VG_XATTR_MODEL, buf, sizeof(buf));
	assert_int_equal(n, 5);
	n = getxattr(p, VG_XATTR_MEMBERS, buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "db:rw:"));
	/* A read-only member stays read-only in the record whatever the mount says. */
	assert_int_equal(vg_volume_prepare_idmap(&cfg, "pg", "web", true, (uint32_t)web,
						 (uint32_t)web, web, 65536, &e),
			 0);
	assert_int_equal(vg_volume_prepare_idmap(&cfg, "pg", "web", false, (uint32_t)web,
						 (uint32_t)web, web, 65536, &e),
			 0);
	n = getxattr(p, VG_XATTR_MEMBERS, buf, sizeof(buf) - 1);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "web:ro:"));
	assert_int_equal(st_of("pg/_data").st_ctim.tv_nsec, d0.st_ctim.tv_nsec);
	/* A restart writes nothing at all: not even NAME/'s xattrs (its ctime stays). */
	d0 = st_of("pg");
	assert_int_equal(vg_volume_prepare_idmap(&cfg, "pg", "web", false, (uint32_t)web,
						 (uint32_t)web, web, 65536, &e),
			 0);
	d1 = st_of("pg");
	assert_int_equal(d1.st_ctim.tv_sec, d0.st_ctim.tv_sec);
	assert_int_equal(d1.st_ctim.tv_nsec, d0.st_ctim.tv_nsec);
	/* The shift mode's writers leave it alone. */
	assert_int_equal(
	    vg_volume_prepare(&cfg, "pg", "db", false, (uint32_t)db, (uint32_t)db, db, 65536, &e),
	    -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "fix --shift-from 0 pg"));
}

/* `volume create` then a userns start: the empty, never used volume takes the idmap model;
 * _data's owner moves from create's principal to container-relative. A volume the shift mode
 * prepared is refused. */
static void prepare_idmap_pending_and_shift(void **state)
{
	struct vg_fix_stats st = { 0 };
	struct vg_error e = { 0 };

	assert_int_equal(vg_volume_create(&cfg, "cr", "web", &st, &e), 0);
	assert_int_equal(st_of("cr/_data").st_uid, web);
	assert_true(has_xattr("cr", VG_XATTR_COPYUP));
	touch("cr/_data/image-file", 999, 0644);	   /* Docker's copy-up, image-relative */
	touch("cr/_data/by-hand", (uid_t)(web + 7), 0644); /* a member's host ID, put by hand */
	assert_int_equal(check("cr", VG_ISOLATION_USERNS, &e), 0);
	assert_int_equal(vg_volume_prepare_idmap(&cfg, "cr", "web", false, (uint32_t)web,
						 (uint32_t)web, web, 65536, &e),
			 0);
	assert_int_equal(st_of("cr/_data").st_uid, 0);
	assert_int_equal(st_of("cr/_data").st_mode & 07777, 0700);
	assert_int_equal(st_of("cr/_data/image-file").st_uid, 999);
	assert_int_equal(st_of("cr/_data/by-hand").st_uid, 7);
	assert_false(has_xattr("cr", VG_XATTR_COPYUP));
	assert_false(has_xattr("cr", VG_XATTR_STAMP));
	assert_true(has_xattr("cr", VG_XATTR_MODEL));

	assert_int_equal(vg_volume_prepare(&cfg, "sh", "web", false, (uint32_t)web, (uint32_t)web,
					   web, 65536, &e),
			 0);
	assert_int_equal(vg_volume_prepare_idmap(&cfg, "sh", "web", false, (uint32_t)web,
						 (uint32_t)web, web, 65536, &e),
			 -VG_EREFUSED);
	assert_non_null(strstr(e.msg, "fix --to-idmap sh"));
}

static uint32_t plus_one(uint32_t id, const void *data)
{
	return id == 7 ? 5 : id + 1;
}

static uint32_t same(uint32_t id, const void *data)
{
	return id;
}

static void acl_map_ids_sorts_and_merges(void **state)
{
	struct vg_acl_policy pol = { 0 };
	struct vg_acl_blob in, out;
	char *text;

	vg_acl_policy_add(&pol, 4, true);
	vg_acl_policy_add(&pol, 5, false);
	vg_acl_policy_add(&pol, 7, false);
	vg_acl_expected_fixed(&pol, &in);
	/* 4 -> 5, 5 -> 6, 7 -> 5: the two 5s merge (r-x | rwx), in the kernel's order. */
	assert_int_equal(vg_acl_map_ids(in.data, in.len, plus_one, NULL, &out), 0);
	text = vg_acl_to_text(out.data, out.len);
	assert_string_equal(text, "u::rwx,u:5:rwx,u:6:rwx,g::---,m::rwx,o::---");
	free(text);
	/* An identity map gives the ACL back byte for byte: nothing to write. */
	assert_int_equal(vg_acl_map_ids(out.data, out.len, same, NULL, &in), 0);
	assert_int_equal(in.len, out.len);
	assert_memory_equal(in.data, out.data, out.len);
	assert_int_equal(vg_acl_map_ids(in.data, 0, plus_one, NULL, &out), 0);
	assert_true(out.minimal);
	assert_int_equal(vg_acl_map_ids("\x01\0\0\0", 4, plus_one, NULL, &out), -EINVAL);
}

static void on_event(const struct vg_fix_event *ev, void *data)
{
	(void)ev;
	(*(int *)data)++;
}

/* fix --to-idmap on a shared shift volume, then back with --shift-from 0. */
static void to_idmap_and_back(void **state)
{
	struct vg_member add[] = { { "db", false, UINT32_MAX, UINT32_MAX } };
	struct vg_fix_stats st = { 0 };
	struct vg_error e = { 0 };
	int events = 0;
	struct vg_fix_opts o = { .event = on_event, .data = &events };
	struct stat before, after;
	char p[256], q[256], acl[256];
	ssize_t n;

	assert_int_equal(vg_volume_create(&cfg, "cv", "web", &st, &e), 0);
	assert_int_equal(vg_volume_share(&cfg, "cv", add, 1, &st, &e), 0);
	touch("cv/_data/w33", (uid_t)(web + 33), 0640);
	touch("cv/_data/foreign", 3000000, 0640); /* in no range: kept, and counted */
	touch("cv/_data/linked", (uid_t)(db + 5), 0640);
	path(p, sizeof(p), "cv/_data/linked");
	path(q, sizeof(q), "cv/_data/linked2");
	assert_int_equal(link(p, q), 0);
	path(p, sizeof(p), "cv/_data/w33");
	path(q, sizeof(q), "cv/_data/sym");
	assert_int_equal(symlink(p, q), 0);
	assert_int_equal(vg_volume_fix(&cfg, "cv", &o, &st, &e), 0); /* the ACLs on everything */
	assert_true(has_xattr("cv", VG_XATTR_STAMP));

	/* --dry-run: nothing changes, not one ctime. */
	before = st_of("cv/_data/w33");
	memset(&st, 0, sizeof(st));
	o.dry_run = true;
	assert_int_equal(vg_volume_to_idmap(&cfg, "cv", &o, &st, &e), 0);
	assert_true(st.changed >= 2);
	after = st_of("cv/_data/w33");
	assert_int_equal(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
	assert_true(has_xattr("cv", VG_XATTR_STAMP));
	assert_false(has_xattr("cv", VG_XATTR_MODEL));

	memset(&st, 0, sizeof(st));
	o.dry_run = false;
	assert_int_equal(vg_volume_to_idmap(&cfg, "cv", &o, &st, &e), 0);
	assert_true(st.stamped);
	assert_int_equal(st.hardlinks, 2); /* both names, reported and left as they were */
	assert_int_equal(st.foreign, 1);   /* 3000000: in no range, kept */
	assert_int_equal(st_of("cv/_data/w33").st_uid, 33);
	assert_int_equal(st_of("cv/_data/foreign").st_uid, 3000000);
	assert_int_equal(st_of("cv/_data/linked").st_uid, db + 5);
	assert_int_equal(st_of("cv/_data").st_uid, 0);
	path(p, sizeof(p), "cv/_data/w33");
	n = getxattr(p, VG_XATTR_ACL_ACCESS, acl, sizeof(acl));
	{
		char *text = vg_acl_to_text(acl, (size_t)n);
		/* web and db (principals start+0) are both container root now. */
		assert_string_equal(text, "u::rw-,u:0:rwx,g::---,m::rw-,o::---");
		free(text);
	}
	assert_false(has_xattr("cv", VG_XATTR_STAMP));
	assert_true(has_xattr("cv", VG_XATTR_MODEL));
	assert_int_equal(check("cv", VG_ISOLATION_USERNS, &e), 0);

	/* Again: nothing to convert, nothing written. */
	before = st_of("cv/_data/w33");
	memset(&st, 0, sizeof(st));
	assert_int_equal(vg_volume_to_idmap(&cfg, "cv", &o, &st, &e), 0);
	assert_int_equal(st.seen, 0);
	assert_int_equal(st_of("cv/_data/w33").st_ctim.tv_nsec, before.st_ctim.tv_nsec);

	/* Plain fix refuses it; --shift-from 0 takes it back: mark first, stamp last. */
	memset(&st, 0, sizeof(st));
	assert_int_equal(vg_volume_fix(&cfg, "cv", &o, &st, &e), -VG_EREFUSED);
	assert_true(st.idmap);
	assert_int_equal(st_of("cv/_data/w33").st_ctim.tv_nsec, before.st_ctim.tv_nsec);
	memset(&st, 0, sizeof(st));
	o.shift = true;
	o.shift_from = 0;
	assert_int_equal(vg_volume_fix(&cfg, "cv", &o, &st, &e), 0);
	assert_false(has_xattr("cv", VG_XATTR_MODEL));
	assert_true(has_xattr("cv", VG_XATTR_STAMP));
	assert_int_equal(st_of("cv/_data/w33").st_uid, web + 33);
	assert_int_equal(check("cv", VG_ISOLATION_SHIFT, &e), 0);
	assert_int_equal(check("cv", VG_ISOLATION_USERNS, &e), -VG_EREFUSED);
}

/* Killed half way: no stamp and no mark (the shift model, refused in userns mode); the next run
 * finishes, IDs moved already stay where they are. */
static void to_idmap_interrupted_then_rerun(void **state)
{
	struct vg_fix_stats st = { 0 };
	struct vg_fix_opts o = { 0 };
	struct vg_error e = { 0 };
	char p[256];

	assert_int_equal(vg_volume_create(&cfg, "iv2", "web", &st, &e), 0);
	touch("iv2/_data/a", (uid_t)(web + 1), 0600);
	touch("iv2/_data/b", 2, 0600); /* as if the first run had moved it */
	path(p, sizeof(p), "iv2");
	assert_int_equal(removexattr(p, VG_XATTR_COPYUP), 0);
	assert_int_equal(removexattr(p, VG_XATTR_STAMP), 0);
	assert_int_equal(check("iv2", VG_ISOLATION_USERNS, &e), -VG_EREFUSED);
	assert_int_equal(vg_volume_to_idmap(&cfg, "iv2", &o, &st, &e), 0);
	assert_int_equal(st_of("iv2/_data/a").st_uid, 1);
	assert_int_equal(st_of("iv2/_data/b").st_uid, 2);
	assert_int_equal(check("iv2", VG_ISOLATION_USERNS, &e), 0);
}

/* A member whose range the registry no longer knows (released, quarantine over): its files
 * still become container-relative, by its recorded principal. */
static void to_idmap_forgotten_range(void **state)
{
	struct vg_fix_stats st = { 0 };
	struct vg_fix_opts o = { 0 };
	struct vg_error e = { 0 };
	const uint32_t gone = 1073741824u + 65536u * 100;
	char p[256], rec[96];

	mkvol("old");
	path(p, sizeof(p), "old");
	snprintf(rec, sizeof(rec), "gone:rw:%u:%u\n", gone, gone);
	assert_int_equal(setxattr(p, VG_XATTR_MEMBERS, rec, strlen(rec), 0), 0);
	touch("old/_data/f", gone + 9, 0600);
	assert_int_equal(vg_volume_to_idmap(&cfg, "old", &o, &st, &e), 0);
	assert_int_equal(st_of("old/_data/f").st_uid, 9);
	assert_int_equal(st.foreign, 0);
}

/* share and revoke on an idmap volume change the record, nothing below NAME/. */
static void share_on_idmap_records_only(void **state)
{
	struct vg_member add[] = { { "db", true, UINT32_MAX, UINT32_MAX } };
	struct vg_fix_stats st = { 0 };
	struct vg_error e = { 0 };
	struct stat before;

	mkvol("sh2");
	touch("sh2/_data/f", 70, 0600);
	assert_int_equal(vg_volume_prepare_idmap(&cfg, "sh2", "web", false, (uint32_t)web,
						 (uint32_t)web, web, 65536, &e),
			 0);
	before = st_of("sh2/_data/f");
	assert_int_equal(vg_volume_share(&cfg, "sh2", add, 1, &st, &e), 0);
	assert_int_equal(vg_volume_revoke(&cfg, "sh2", "web", &st, &e), 0);
	assert_int_equal(st_of("sh2/_data/f").st_ctim.tv_nsec, before.st_ctim.tv_nsec);
	assert_int_equal(st_of("sh2/_data").st_uid, 0);
	assert_false(has_xattr("sh2/_data", VG_XATTR_ACL_ACCESS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(model_mark_read),
		cmocka_unit_test(check_refuses_mixed_models),
		cmocka_unit_test(userns_check_does_not_scan),
		cmocka_unit_test(prepare_idmap_is_record_only),
		cmocka_unit_test(prepare_idmap_pending_and_shift),
		cmocka_unit_test(acl_map_ids_sorts_and_merges),
		cmocka_unit_test(to_idmap_and_back),
		cmocka_unit_test(to_idmap_interrupted_then_rerun),
		cmocka_unit_test(to_idmap_forgotten_range),
		cmocka_unit_test(share_on_idmap_records_only),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
