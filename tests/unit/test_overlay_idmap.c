/* The overlay2 root file system from idmapped layers, on this machine's real ext4 (/var/tmp), in
 * a private mount namespace of the test process: a fake Docker overlay2 layout with two lowers
 * (one with a whiteout) and a container layer; owners through the overlay, what container root's
 * writes leave on disk (image-relative 0:0, whiteouts, the work dir), the in-place swap over a
 * real overlay mount (absolute and relative options, as Docker writes them), refusals (another
 * layer's overlay, a tmpfs, escaping or missing links, an upper that is not a directory), the
 * probe, and root.path's layer. Lower files and a canary outside keep owner, mode and ctime. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "idmap.h"
#include "overlay_idmap.h"

#define S     100000u
#define RANGE 65536u
#define ID    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID2   "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static char tmp[64];
static struct stat canary_before, lower_before;

static const char *P(const char *rel)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp, rel);
	return buf[i];
}

static void mkd(const char *rel, unsigned mode, uid_t u, gid_t g)
{
	mkdir(P(rel), mode);
	chmod(P(rel), mode);
	if (chown(P(rel), u, g) < 0)
		abort();
}

static void mkf(const char *rel, uid_t u, gid_t g, const char *text)
{
	int fd = open(P(rel), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) < 0 || fchown(fd, u, g) < 0)
		abort();
	close(fd);
}

/* A container layer dir ID under o2 with `lower` (NULL: none). */
static void mklayer(const char *id, const char *lower)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "o2/%s", id);
	mkd(rel, 0710, 0, 0);
	snprintf(rel, sizeof(rel), "o2/%s/diff", id);
	mkd(rel, 0755, 0, 0);
	snprintf(rel, sizeof(rel), "o2/%s/work", id);
	mkd(rel, 0700, 0, 0);
	snprintf(rel, sizeof(rel), "o2/%s/merged", id);
	mkd(rel, 0755, 0, 0);
	if (lower) {
		snprintf(rel, sizeof(rel), "o2/%s/lower", id);
		mkf(rel, 0, 0, lower);
	}
}

static int setup(void **state)
{
	(void)state;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return -1;
	strcpy(tmp, "/var/tmp/vgovl.XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	chmod(tmp, 0755);
	mkf("canary", 0, 0, "canary");
	chmod(P("canary"), 0640);
	mkd("o2", 0710, 0, 0);
	mkd("o2/l", 0700, 0, 0);
	/* Image layer A (bottom): etc/passwd, etc/group, www owned by 33, a high owner. */
	mkd("o2/A", 0710, 0, 0);
	mkd("o2/A/diff", 0755, 0, 0);
	mkd("o2/A/diff/etc", 0755, 0, 0);
	mkf("o2/A/diff/etc/passwd", 0, 0, "root:x:0:0::/:/bin/sh\n");
	mkf("o2/A/diff/etc/group", 0, 0, "root:x:0:\n");
	mkd("o2/A/diff/www", 0755, 33, 33);
	mkf("o2/A/diff/www/index.html", 33, 33, "hello\n");
	mkf("o2/A/diff/high", 70000, 70000, "");
	mkd("o2/A/diff/bin", 0755, 0, 0);
	mkf("o2/A/diff/bin/sh", 0, 0, "#!");
	/* Image layer B (top): etc/motd, and a whiteout that deletes A's etc/group. */
	mkd("o2/B", 0710, 0, 0);
	mkd("o2/B/diff", 0755, 0, 0);
	mkd("o2/B/diff/etc", 0755, 0, 0);
	mkf("o2/B/diff/etc/motd", 0, 0, "motd\n");
	if (mknod(P("o2/B/diff/etc/group"), S_IFCHR | 0, makedev(0, 0)) < 0)
		return -1;
	if (symlink("../A/diff", P("o2/l/AAAA")) < 0 || symlink("../B/diff", P("o2/l/BBBB")) < 0)
		return -1;
	mklayer(ID, "l/BBBB:l/AAAA");
	mklayer(ID2, "l/BBBB:l/AAAA");
	if (stat(P("canary"), &canary_before) < 0 || stat(P("o2/A/diff/etc/passwd"), &lower_before))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	struct stat st;

	(void)state;
	/* Image files and the canary are as they were. */
	if (stat(P("canary"), &st) < 0 || st.st_ctime != canary_before.st_ctime ||
	    st.st_ctim.tv_nsec != canary_before.st_ctim.tv_nsec || st.st_mode != 0100640 ||
	    st.st_uid != 0)
		return -1;
	if (stat(P("o2/A/diff/etc/passwd"), &st) < 0 || st.st_uid != 0 ||
	    st.st_ctim.tv_nsec != lower_before.st_ctim.tv_nsec ||
	    st.st_ctime != lower_before.st_ctime)
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf --one-file-system %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static int odir(const char *rel)
{
	return open(P(rel), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static void umount_all(const char *rel)
{
	while (umount2(P(rel), MNT_DETACH) == 0)
		;
}

/* How many mounts sit exactly on tmp/rel (mountinfo). */
static int mounts_on(const char *rel)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[8192], mp[4096];
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strcmp(mp, P(rel)) == 0)
			n++;
	if (f)
		fclose(f);
	return n;
}

static void assert_owner(const char *rel, uid_t u, gid_t g)
{
	struct stat st;

	if (lstat(P(rel), &st) < 0)
		fail_msg("lstat %s: %s", rel, strerror(errno));
	if (st.st_uid != u || st.st_gid != g)
		fail_msg("%s is %u:%u, not %u:%u", rel, st.st_uid, st.st_gid, u, g);
}

/* A command run as container root: a child in the user namespace, uid 0 there (host S), with
 * its capabilities only over that namespace, as in the container. */
static int as_container_root(int ns, const char *cmd)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (setns(ns, CLONE_NEWUSER) < 0 || setresgid(0, 0, 0) < 0 ||
		    setresuid(0, 0, 0) < 0)
			_exit(99);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(98);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The container's view and its writes, through the overlay attached at a staged root. */
static void owners_and_writes(void **state)
{
	struct vg_error e = { 0 };
	int o2 = odir("o2"), layer = odir("o2/" ID), ns, mfd;
	char cmd[1024];
	struct stat st;

	(void)state;
	ns = vg_userns_open(S, RANGE, &e);
	assert_true(ns >= 0);
	mfd = vg_overlay_idmapped(o2, layer, ns, S, &e);
	if (mfd < 0)
		fail_msg("vg_overlay_idmapped: %s", e.msg);
	/* Attached where the range can reach it (Docker's dirs are 0710), as stage.c does. */
	mkd("rootfs", 0711, 0, 0);
	assert_int_equal(vg_mount_attach(mfd, odir(""), "rootfs", &e), 0);
	close(mfd);

	/* Lower files show the range; IDs beyond it are unmapped; B's whiteout hides A's file. */
	assert_owner("rootfs/etc/passwd", S, S);
	assert_owner("rootfs/www/index.html", S + 33, S + 33);
	assert_owner("rootfs/etc/motd", S, S);
	assert_owner("rootfs/high", 65534, 65534);
	assert_owner("rootfs", S, S);
	assert_int_equal(lstat(P("rootfs/etc/group"), &st), -1);
	assert_int_equal(errno, ENOENT);
	/* Host root is not in the range: it cannot create files there (research trap 7). */
	assert_int_equal(open(P("rootfs/by-host-root"), O_CREAT | O_WRONLY | O_CLOEXEC, 0644), -1);
	assert_int_equal(errno, EOVERFLOW);

	/* Container root: a new file, chown to 33 (copy-up of a lower file), an rm (whiteout),
	 * a directory replaced (opaque), a write as 33. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s/rootfs && touch x && chown 33:33 etc/passwd && rm etc/motd && "
		 "rm -r www && mkdir www && echo new > www/f && chown -R 33:33 www && "
		 "test \"$(stat -c %%u:%%g etc/passwd x)\" = \"33:33\n0:0\"",
		 tmp);
	assert_int_equal(as_container_root(ns, cmd), 0);
	/* On disk: image-relative IDs only. */
	assert_owner("o2/" ID "/diff/x", 0, 0);
	assert_owner("o2/" ID "/diff/etc/passwd", 33, 33);
	assert_owner("o2/" ID "/diff/etc", 0, 0);
	assert_owner("o2/" ID "/diff/www/f", 33, 33);
	assert_int_equal(lstat(P("o2/" ID "/diff/etc/motd"), &st), 0);
	assert_true(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, 0);
	assert_owner("o2/" ID "/work/work", 0, 0);
	/* The lowers are untouched (the teardown checks A's etc/passwd ctime). */
	assert_owner("o2/A/diff/etc/passwd", 0, 0);
	assert_owner("o2/A/diff/www", 33, 33);
	assert_owner("o2/B/diff/etc/motd", 0, 0);
	/* Lowers are read-only clones: even a copy-up-free write path cannot reach them. */
	assert_int_equal(mounts_on("rootfs"), 1);
	umount_all("rootfs");
	close(ns);
	close(o2);
	close(layer);
}

/* Docker's overlay (mount(2) with string options) on merged, the way dockerd mounts it. */
static void docker_mount(const char *id, bool relative)
{
	char opts[2048], target[512];

	if (relative) {
		char cwd[512];
		assert_non_null(getcwd(cwd, sizeof(cwd)));
		assert_int_equal(chdir(P("o2")), 0);
		snprintf(opts, sizeof(opts),
			 "index=off,lowerdir=l/BBBB:l/AAAA,upperdir=%s/diff,workdir=%s/work", id,
			 id);
		snprintf(target, sizeof(target), "%s/merged", id);
		assert_int_equal(mount("overlay", target, "overlay", 0, opts), 0);
		assert_int_equal(chdir(cwd), 0);
		return;
	}
	snprintf(opts, sizeof(opts),
		 "index=off,lowerdir=%s/o2/l/BBBB:%s/o2/l/AAAA,upperdir=%s/o2/%s/diff,"
		 "workdir=%s/o2/%s/work",
		 tmp, tmp, tmp, id, tmp, id);
	snprintf(target, sizeof(target), "%s/o2/%s/merged", tmp, id);
	assert_int_equal(mount("overlay", target, "overlay", 0, opts), 0);
}

static void swap_once(bool relative)
{
	struct vg_error e = { 0 };
	int o2 = odir("o2"), layer = odir("o2/" ID), ns, root;
	struct stat st;

	docker_mount(ID, relative);
	assert_int_equal(mounts_on("o2/" ID "/merged"), 1);
	assert_owner("o2/" ID "/merged/bin/sh", 0, 0); /* Docker's: not idmapped */
	ns = vg_userns_open(S, RANGE, &e);
	root = vg_overlay_swap_merged(o2, layer, ns, S, &e);
	if (root < 0)
		fail_msg("vg_overlay_swap_merged: %s", e.msg);
	close(ns);
	/* Ours replaced Docker's: one mount, idmapped owners. */
	assert_int_equal(mounts_on("o2/" ID "/merged"), 1);
	assert_owner("o2/" ID "/merged/bin/sh", S, S);
	/* The returned clone is detached, of the same overlay, for root.path. */
	assert_int_equal(fstatat(root, "bin/sh", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_uid, S);
	mkd("rootfs", 0711, 0, 0);
	assert_int_equal(vg_mount_attach(root, odir(""), "rootfs", &e), 0);
	close(root);
	assert_owner("rootfs/bin/sh", S, S);
	/* Docker's Put() at stop unmounts merged: ours goes, the staged root keeps working. */
	assert_int_equal(umount2(P("o2/" ID "/merged"), MNT_DETACH), 0);
	assert_int_equal(mounts_on("o2/" ID "/merged"), 0);
	assert_owner("rootfs/bin/sh", S, S);
	umount_all("rootfs");
	close(o2);
	close(layer);
}

/* `docker restart` leaves our overlay of the last start on merged: it is replaced like Docker's
 * (a fresh one, created as this start's range). */
static void swap_over_our_own(void **state)
{
	struct vg_error e = { 0 };
	int o2 = odir("o2"), layer = odir("o2/" ID), ns, root;

	(void)state;
	docker_mount(ID, false);
	for (int i = 0; i < 2; i++) {
		ns = vg_userns_open(S + (unsigned)i * RANGE, RANGE, &e);
		root = vg_overlay_swap_merged(o2, layer, ns, S + (unsigned)i * RANGE, &e);
		if (root < 0)
			fail_msg("swap %d: %s", i, e.msg);
		close(root);
		close(ns);
		assert_int_equal(mounts_on("o2/" ID "/merged"), 1);
		assert_owner("o2/" ID "/merged/bin/sh", S + (unsigned)i * RANGE,
			     S + (unsigned)i * RANGE);
	}
	umount_all("o2/" ID "/merged");
	close(o2);
	close(layer);
}

static void swap_absolute(void **state)
{
	(void)state;
	swap_once(false);
}

/* Docker writes relative options (from overlay2, after a chdir) when they exceed a page. */
static void swap_relative(void **state)
{
	(void)state;
	swap_once(true);
}

/* A descriptor of ours into Docker's mount would keep Docker's overlay alive beside the new
 * one: refused before anything changes; once it is closed, the swap goes through. */
static void swap_refuses_while_pinned(void **state)
{
	struct vg_error e = { 0 };
	int o2 = odir("o2"), layer = odir("o2/" ID), ns, pin, root;

	(void)state;
	docker_mount(ID, false);
	pin = open(P("o2/" ID "/merged/bin"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(pin >= 0);
	ns = vg_userns_open(S, RANGE, &e);
	assert_int_equal(vg_overlay_swap_merged(o2, layer, ns, S, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "still holds Docker's overlay"));
	assert_int_equal(mounts_on("o2/" ID "/merged"), 1);
	assert_owner("o2/" ID "/merged/bin/sh", 0, 0); /* Docker's, untouched */
	close(pin);
	root = vg_overlay_swap_merged(o2, layer, ns, S, &e);
	if (root < 0)
		fail_msg("vg_overlay_swap_merged: %s", e.msg);
	close(root);
	close(ns);
	assert_owner("o2/" ID "/merged/bin/sh", S, S);
	umount_all("o2/" ID "/merged");
	close(o2);
	close(layer);
}

/* Nothing mounted on merged: ours is attached there all the same. */
static void swap_nothing_mounted(void **state)
{
	struct vg_error e = { 0 };
	int o2 = odir("o2"), layer = odir("o2/" ID), ns, root;

	(void)state;
	ns = vg_userns_open(S, RANGE, &e);
	root = vg_overlay_swap_merged(o2, layer, ns, S, &e);
	if (root < 0)
		fail_msg("vg_overlay_swap_merged: %s", e.msg);
	close(ns);
	close(root);
	assert_int_equal(mounts_on("o2/" ID "/merged"), 1);
	assert_owner("o2/" ID "/merged/bin/sh", S, S);
	umount_all("o2/" ID "/merged");
	close(o2);
	close(layer);
}

/* What is on merged is not Docker's overlay of this layer: refused, left alone. */
static void swap_refuses_foreign_mounts(void **state)
{
	struct vg_error e = { 0 };
	int o2 = odir("o2"), layer = odir("o2/" ID), ns, opts_len;
	char opts[2048];

	(void)state;
	ns = vg_userns_open(S, RANGE, &e);
	assert_int_equal(mount("tmpfs", P("o2/" ID "/merged"), "tmpfs", 0, "size=1m"), 0);
	assert_int_equal(vg_overlay_swap_merged(o2, layer, ns, S, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "not an overlay"));
	assert_int_equal(mounts_on("o2/" ID "/merged"), 1);
	umount_all("o2/" ID "/merged");
	/* Another layer's overlay (ID2's upper) mounted on ID's merged. */
	opts_len = snprintf(opts, sizeof(opts),
			    "index=off,lowerdir=%s/o2/l/AAAA,upperdir=%s/o2/%s/diff,"
			    "workdir=%s/o2/%s/work",
			    tmp, tmp, ID2, tmp, ID2);
	assert_true(opts_len > 0);
	assert_int_equal(mount("overlay", P("o2/" ID "/merged"), "overlay", 0, opts), 0);
	assert_int_equal(vg_overlay_swap_merged(o2, layer, ns, S, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "not this layer's"));
	assert_int_equal(mounts_on("o2/" ID "/merged"), 1);
	assert_owner("o2/" ID "/merged/bin/sh", 0, 0); /* still that overlay */
	umount_all("o2/" ID "/merged");
	/* Another layer's overlay of ours (ID2's, by descriptor) on ID's merged. */
	{
		int l2 = odir("o2/" ID2), m2 = vg_overlay_idmapped(o2, l2, ns, S, &e);
		assert_true(m2 >= 0);
		assert_int_equal(vg_mount_attach(m2, layer, "merged", &e), 0);
		close(m2);
		close(l2);
	}
	assert_int_equal(vg_overlay_swap_merged(o2, layer, ns, S, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "not this layer's"));
	assert_int_equal(mounts_on("o2/" ID "/merged"), 1);
	umount_all("o2/" ID "/merged");
	close(ns);
	close(o2);
	close(layer);
}

/* A layer of its own with `lower` = text, and the error vg_overlay_idmapped gives for it. */
static int build_with(const char *id, const char *lower, struct vg_error *e)
{
	char rel[256];
	int o2 = odir("o2"), layer, ns, r;

	mklayer(id, NULL);
	snprintf(rel, sizeof(rel), "o2/%s/lower", id);
	if (lower)
		mkf(rel, 0, 0, lower);
	snprintf(rel, sizeof(rel), "o2/%s", id);
	layer = odir(rel);
	ns = vg_userns_open(S, RANGE, e);
	r = vg_overlay_idmapped(o2, layer, ns, S, e);
	if (r >= 0)
		close(r);
	close(ns);
	close(layer);
	close(o2);
	return r;
}

static void bad_layers(void **state)
{
	struct vg_error e = { 0 };
	char cmd[512];

	(void)state;
	/* A missing short link. */
	assert_int_equal(build_with("bad-missing", "l/BBBB:l/NOPE", &e), -ENOENT);
	assert_non_null(strstr(e.msg, "l/NOPE"));
	/* Links that leave the overlay2 directory: absolute, and by "..". */
	assert_int_equal(symlink("/etc", P("o2/l/ABS")), 0);
	assert_int_equal(symlink("../../..", P("o2/l/UP")), 0);
	assert_int_equal(build_with("bad-abs", "l/ABS", &e), -EXDEV);
	assert_non_null(strstr(e.msg, "leads out"));
	assert_int_equal(build_with("bad-up", "l/BBBB:l/UP", &e), -EXDEV);
	assert_int_equal(build_with("bad-dotdot", "../../", &e), -EXDEV);
	assert_int_equal(build_with("bad-slash", "/etc", &e), -EXDEV);
	/* A link to another mount (a tmpfs inside overlay2): RESOLVE_NO_XDEV. */
	mkd("o2/mnt", 0755, 0, 0);
	assert_int_equal(mount("tmpfs", P("o2/mnt"), "tmpfs", 0, "size=1m"), 0);
	assert_int_equal(symlink("../mnt", P("o2/l/XDEV")), 0);
	assert_int_equal(build_with("bad-xdev", "l/XDEV", &e), -EXDEV);
	umount_all("o2/mnt");
	/* Empty entries, no lowers at all. */
	assert_int_equal(build_with("bad-empty", "l/BBBB::l/AAAA", &e), -EINVAL);
	assert_int_equal(build_with("bad-blank", "\n", &e), -EINVAL);
	assert_int_equal(build_with("no-lower", NULL, &e), -ENODATA);
	/* An upper that is not a directory: a file, a symlink. */
	mklayer("bad-upper", "l/AAAA");
	snprintf(cmd, sizeof(cmd), "rmdir %s && touch %s", P("o2/bad-upper/diff"),
		 P("o2/bad-upper/diff"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(build_with("bad-upper", "l/AAAA", &e), -ENOTDIR);
	mklayer("bad-link", "l/AAAA");
	snprintf(cmd, sizeof(cmd), "rmdir %s && ln -s ../A/diff %s", P("o2/bad-link/diff"),
		 P("o2/bad-link/diff"));
	assert_int_equal(system(cmd), 0);
	assert_int_equal(build_with("bad-link", "l/AAAA", &e), -ELOOP);
	/* `lower` that is a symlink (to a file elsewhere) is not read. */
	mklayer("bad-lowerfile", NULL);
	assert_int_equal(symlink(P("canary"), P("o2/bad-lowerfile/lower")), 0);
	assert_int_equal(build_with("bad-lowerfile", NULL, &e), -ELOOP);
	/* A range start that cannot be a creator. */
	{
		int o2 = odir("o2"), layer = odir("o2/" ID);
		assert_int_equal(vg_overlay_idmapped(o2, layer, -1, 0, &e), -EINVAL);
		close(o2);
		close(layer);
	}
}

/* Docker stacks up to 128 layers, each a "lowerdir+" of its own (no page limit on options); the
 * kernel's limit is 500. */
static void many_lowers(void **state)
{
	struct vg_error e = { 0 };
	char rel[128], target[64], *lower = malloc(501 * 12);
	int o2 = odir("o2"), layer, ns, mfd;
	struct stat st;

	(void)state;
	lower[0] = '\0';
	for (int i = 0; i < 501; i++) {
		snprintf(rel, sizeof(rel), "o2/M%d", i);
		mkd(rel, 0710, 0, 0);
		snprintf(rel, sizeof(rel), "o2/M%d/diff", i);
		mkd(rel, 0755, 0, 0);
		snprintf(rel, sizeof(rel), "o2/M%d/diff/f%d", i, i);
		mkf(rel, (uid_t)i, 0, "");
		snprintf(target, sizeof(target), "../M%d/diff", i);
		snprintf(rel, sizeof(rel), "o2/l/M%d", i);
		assert_int_equal(symlink(target, P(rel)), 0);
		snprintf(lower + strlen(lower), 12, "%sl/M%d", i ? ":" : "", i);
		if (i == 127) {
			mklayer("many128", NULL);
			mkf("o2/many128/lower", 0, 0, lower);
		}
	}
	mklayer("many501", NULL);
	mkf("o2/many501/lower", 0, 0, lower);
	free(lower);
	ns = vg_userns_open(S, RANGE, &e);
	layer = odir("o2/many128");
	mfd = vg_overlay_idmapped(o2, layer, ns, S, &e);
	if (mfd < 0)
		fail_msg("128 lowers: %s", e.msg);
	assert_int_equal(fstatat(mfd, "f0", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_uid, S);
	assert_int_equal(fstatat(mfd, "f127", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_uid, S + 127);
	close(mfd);
	close(layer);
	layer = odir("o2/many501");
	mfd = vg_overlay_idmapped(o2, layer, ns, S, &e);
	if (mfd != -E2BIG)
		fail_msg("501 lowers: %d %s", mfd, e.msg);
	close(layer);
	close(ns);
	close(o2);
}

static int count_entries(const char *rel)
{
	DIR *d = opendir(P(rel));
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void probe(void **state)
{
	struct vg_error e = { 0 };
	int fd = odir("o2"), before = count_entries("o2");
	int ro;

	(void)state;
	assert_int_equal(vg_overlay_idmap_supported(fd, &e), 1);
	assert_int_equal(count_entries("o2"), before); /* nothing left on disk */
	assert_int_equal(mounts_on("o2"), 0);
	close(fd);
	/* A read-only file system: the question cannot even be asked (no temp dir). */
	mkd("ro", 0755, 0, 0);
	assert_int_equal(mount("tmpfs", P("ro"), "tmpfs", MS_RDONLY, "size=1m"), 0);
	ro = odir("ro");
	assert_int_equal(vg_overlay_idmap_supported(ro, &e), -EROFS);
	close(ro);
	umount_all("ro");
}

static void layer_of_root_path(void **state)
{
	struct vg_error e = { 0 };
	int root = odir(""), o2 = -1, layer = -1;
	char dr[128], rp[512];
	struct stat a, b;

	(void)state;
	/* tmp plays the docker root; its overlay2 directory is o2: a symlink overlay2 -> o2 must
	 * not be followed, so the test uses a real directory name. */
	assert_int_equal(rename(P("o2"), P("overlay2")), 0);
	snprintf(dr, sizeof(dr), "%s/", tmp);
	snprintf(rp, sizeof(rp), "%s/overlay2/%s/merged", tmp, ID);
	assert_int_equal(vg_overlay_layer_open(root, dr, rp, &o2, &layer, &e), VG_OVERLAY_MERGED);
	assert_int_equal(fstat(layer, &a), 0);
	assert_int_equal(stat(P("overlay2/" ID), &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	close(o2);
	close(layer);
	snprintf(rp, sizeof(rp), "%s/overlay2/%s/diff", tmp, ID);
	assert_int_equal(vg_overlay_layer_open(root, tmp, rp, &o2, &layer, &e), VG_OVERLAY_DIFF);
	close(o2);
	close(layer);
	/* Not a layer: vfs, another root, another tail. */
	assert_int_equal(
	    vg_overlay_layer_open(root, tmp, "/var/lib/docker/vfs/dir/x", &o2, &layer, &e),
	    VG_OVERLAY_NOT_OURS);
	snprintf(rp, sizeof(rp), "%s/vfs/dir/%s", tmp, ID);
	assert_int_equal(vg_overlay_layer_open(root, tmp, rp, &o2, &layer, &e),
			 VG_OVERLAY_NOT_OURS);
	/* Below overlay2 but not a layer's merged or diff: refused. */
	snprintf(rp, sizeof(rp), "%s/overlay2/%s/work", tmp, ID);
	assert_int_equal(vg_overlay_layer_open(root, tmp, rp, &o2, &layer, &e), -EINVAL);
	snprintf(rp, sizeof(rp), "%s/overlay2/%s", tmp, ID);
	assert_int_equal(vg_overlay_layer_open(root, tmp, rp, &o2, &layer, &e), -EINVAL);
	snprintf(rp, sizeof(rp), "%s/overlay2/../%s/merged", tmp, ID);
	assert_int_equal(vg_overlay_layer_open(root, tmp, rp, &o2, &layer, &e), -EINVAL);
	snprintf(rp, sizeof(rp), "%s/overlay2/%s/merged", tmp, "0123");
	assert_int_equal(vg_overlay_layer_open(root, tmp, rp, &o2, &layer, &e), -EINVAL);
	/* A layer dir that is a symlink is not followed. */
	assert_int_equal(rename(P("overlay2/" ID2), P("moved")), 0);
	assert_int_equal(symlink("../moved", P("overlay2/" ID2)), 0);
	snprintf(rp, sizeof(rp), "%s/overlay2/%s/merged", tmp, ID2);
	assert_int_equal(vg_overlay_layer_open(root, tmp, rp, &o2, &layer, &e), -ELOOP);
	assert_int_equal(unlink(P("overlay2/" ID2)), 0);
	assert_int_equal(rename(P("moved"), P("overlay2/" ID2)), 0);
	assert_int_equal(rename(P("overlay2"), P("o2")), 0);
	close(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(owners_and_writes),
		cmocka_unit_test(swap_absolute),
		cmocka_unit_test(swap_relative),
		cmocka_unit_test(swap_over_our_own),
		cmocka_unit_test(swap_refuses_while_pinned),
		cmocka_unit_test(swap_nothing_mounted),
		cmocka_unit_test(swap_refuses_foreign_mounts),
		cmocka_unit_test(bad_layers),
		cmocka_unit_test(many_lowers),
		cmocka_unit_test(probe),
		cmocka_unit_test(layer_of_root_path),
	};
	if (geteuid() != 0) {
		printf("1..0 # SKIP overlays on idmapped layers need root\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
