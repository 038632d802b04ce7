/* `docker run` argument parsing: every form the docker CLI (pflag) accepts, and every flag. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "adapters.h"

#define ARGS(...)                                                                                  \
	((char *const[]){ __VA_ARGS__ }), (int)VG_ARRAY_SIZE(((char *const[]){ __VA_ARGS__ }))

static int parse(char *const *argv, int argc, struct vg_container *ct, struct vg_error *e)
{
	memset(ct, 0, sizeof(*ct));
	memset(e, 0, sizeof(*e));
	return vg_dockerargs_parse(argc, argv, ct, e);
}

#define OK(ct, ...)                                                                                \
	do {                                                                                       \
		struct vg_error _e;                                                                \
		int _r = parse(ARGS(__VA_ARGS__), ct, &_e);                                        \
		if (_r < 0)                                                                        \
			fail_msg("parse failed: %s", _e.msg);                                      \
	} while (0)

#define BAD(substr, ...)                                                                           \
	do {                                                                                       \
		struct vg_container _c;                                                            \
		struct vg_error _e;                                                                \
		assert_int_equal(parse(ARGS(__VA_ARGS__), &_c, &_e), -EINVAL);                     \
		if (!strstr(_e.msg, substr))                                                       \
			fail_msg("'%s' does not say '%s'", _e.msg, substr);                        \
		vg_container_free(&_c);                                                            \
	} while (0)

static void volume_forms(void **state)
{
	struct vg_container ct;

	OK(&ct, "-v", "/data", "img");
	assert_int_equal(ct.n_mounts, 1);
	assert_int_equal(ct.mounts[0].kind, VG_MOUNT_VOLUME);
	assert_null(ct.mounts[0].source);
	assert_string_equal(ct.mounts[0].destination, "/data");
	vg_container_free(&ct);

	OK(&ct, "-v", "/etc:/x", "img");
	assert_int_equal(ct.mounts[0].kind, VG_MOUNT_BIND);
	assert_string_equal(ct.mounts[0].source, "/etc");
	assert_false(ct.mounts[0].readonly);
	assert_string_equal(ct.mounts[0].origin, "-v /etc:/x");
	vg_container_free(&ct);

	OK(&ct, "-v", "data:/x:Z,ro,nocopy", "img");
	assert_int_equal(ct.mounts[0].kind, VG_MOUNT_VOLUME);
	assert_string_equal(ct.mounts[0].source, "data");
	assert_true(ct.mounts[0].readonly);
	vg_container_free(&ct);

	OK(&ct, "--volume", "/etc:/x:rslave,ro,z,cached", "img");
	assert_true(ct.mounts[0].readonly);
	assert_string_equal(ct.mounts[0].propagation, "rslave");
	vg_container_free(&ct);

	OK(&ct, "-v", "./sub:/x", "img");
	assert_int_equal(ct.mounts[0].kind, VG_MOUNT_BIND);
	assert_true(ct.mounts[0].source[0] == '/');
	assert_non_null(strstr(ct.mounts[0].source, "/./sub"));
	vg_container_free(&ct);

	BAD("a mode needs", "-v", "/x:rw", "img");
	BAD("invalid volume specification", "-v", "a:/b:ro:x", "img");
	BAD("invalid volume specification", "-v", ":/b", "img");
	BAD("not an absolute path", "-v", "/etc:x", "img");
	BAD("invalid mode", "-v", "/etc:/x:bogus", "img");
	BAD("invalid mode", "-v", "/etc:/x:ro,rw", "img");
	BAD("invalid mode", "-v", "/etc:/x:shared,rslave", "img");
	BAD("invalid mode", "-v", "/etc:/x:,ro", "img");
	BAD("invalid mode", "-v", "/etc:/x:ro,", "img");
	BAD("not a valid volume name", "-v", "a$b:/x", "img");
	BAD("propagation applies to binds", "-v", "data:/x:rshared", "img");
}

static void mount_forms(void **state)
{
	struct vg_container ct;

	OK(&ct, "--mount", "type=bind,src=/etc,dst=/x", "img");
	assert_int_equal(ct.mounts[0].kind, VG_MOUNT_BIND);
	assert_string_equal(ct.mounts[0].source, "/etc");
	assert_string_equal(ct.mounts[0].destination, "/x");
	assert_false(ct.mounts[0].readonly);
	vg_container_free(&ct);

	static const char *const ro_true[] = { "readonly",	"ro",	"ro=true",	"ro=1",
					       "readonly=True", "RO=T", "readonly=TRUE" };
	for (size_t i = 0; i < VG_ARRAY_SIZE(ro_true); i++) {
		char spec[128];
		snprintf(spec, sizeof(spec), "type=bind,source=/etc,target=/x,%s", ro_true[i]);
		OK(&ct, "--mount", spec, "img");
		assert_true(ct.mounts[0].readonly);
		vg_container_free(&ct);
	}
	static const char *const ro_false[] = { "ro=false", "ro=0", "readonly=False",
						"readonly=f" };
	for (size_t i = 0; i < VG_ARRAY_SIZE(ro_false); i++) {
		char spec[128];
		snprintf(spec, sizeof(spec), "type=bind,source=/etc,destination=/x,%s",
			 ro_false[i]);
		OK(&ct, "--mount", spec, "img");
		assert_false(ct.mounts[0].readonly);
		vg_container_free(&ct);
	}

	OK(&ct, "--mount", "type=bind,\"src=/a,b\",dst=/x,bind-propagation=rshared", "img");
	assert_string_equal(ct.mounts[0].source, "/a,b");
	assert_string_equal(ct.mounts[0].propagation, "rshared");
	vg_container_free(&ct);

	OK(&ct, "--mount", "type=bind,src=/a,dst=/x,bind-nonrecursive", "img");
	assert_true(ct.mounts[0].nonrecursive);
	vg_container_free(&ct);

	OK(&ct, "--mount", "src=vol,dst=/x", "img"); /* type defaults to volume */
	assert_int_equal(ct.mounts[0].kind, VG_MOUNT_VOLUME);
	assert_string_equal(ct.mounts[0].source, "vol");
	vg_container_free(&ct);

	OK(&ct, "--mount",
	   "type=volume,src=v,dst=/x,volume-driver=local,volume-opt=type=none,volume-opt=o=bind,"
	   "volume-opt=device=/etc,volume-nocopy",
	   "img");
	assert_string_equal(ct.mounts[0].volume_type, "none");
	assert_string_equal(ct.mounts[0].volume_o, "bind");
	assert_string_equal(ct.mounts[0].volume_device, "/etc");
	assert_string_equal(ct.mounts[0].driver, "local");
	vg_container_free(&ct);

	OK(&ct, "--mount", "type=tmpfs,dst=/t,tmpfs-size=1m", "--tmpfs", "/run:size=2m", "img");
	assert_int_equal(ct.n_mounts, 2);
	assert_int_equal(ct.mounts[0].kind, VG_MOUNT_TMPFS);
	assert_string_equal(ct.mounts[1].destination, "/run");
	vg_container_free(&ct);

	BAD("target is required", "--mount", "type=bind,src=/etc", "img");
	BAD("absolute source", "--mount", "type=bind,dst=/x", "img");
	BAD("unexpected key", "--mount", "type=bind,src=/etc,dst=/x,foo=bar", "img");
	BAD("must be a key=value", "--mount", "type=bind,src=/etc,dst=/x,foo", "img");
	BAD("invalid value for ro", "--mount", "type=bind,src=/etc,dst=/x,ro=yes", "img");
	BAD("cannot mix", "--mount", "type=bind,src=/etc,dst=/x,volume-nocopy", "img");
	BAD("cannot mix", "--mount", "type=volume,src=v,dst=/x,bind-propagation=shared", "img");
	BAD("cannot mix", "--mount", "type=bind,src=/e,dst=/x,tmpfs-size=1", "img");
	BAD("invalid bind-propagation", "--mount", "type=bind,src=/e,dst=/x,bind-propagation=up",
	    "img");
	BAD("not a valid CSV", "--mount", "type=bind,src=/e\"x,dst=/x", "img");
	BAD("not a valid CSV", "--mount", "\"type=bind,dst=/x", "img");
	BAD("unsupported mount type", "--mount", "type=npipe,src=/e,dst=/x", "img");
	BAD("has no source", "--mount", "type=tmpfs,src=/e,dst=/x", "img");
}

static void short_and_long_forms(void **state)
{
	struct vg_container ct;

	OK(&ct, "-it", "-v", "/a:/b", "img", "sh");
	assert_int_equal(ct.n_mounts, 1);
	assert_string_equal(ct.image, "img");
	vg_container_free(&ct);

	OK(&ct, "-dit", "-eFOO=bar", "-e=X", "-e", "Y", "--env=Z", "--env", "W", "-p8080:80",
	   "-uroot", "-lk", "-l", "a=b", "-v/a:/b", "-v=/c:/d", "-itv", "/e:/f", "img");
	assert_int_equal(ct.n_mounts, 3);
	assert_string_equal(ct.mounts[0].source, "/a");
	assert_string_equal(ct.mounts[1].source, "/c");
	assert_string_equal(ct.mounts[2].source, "/e");
	assert_string_equal(ct.user, "root");
	assert_string_equal(ct.labels[0], "k=");
	assert_string_equal(ct.labels[1], "a=b");
	vg_container_free(&ct);

	/* A value that looks like a flag is still the value. */
	OK(&ct, "-e", "-v", "/etc:/x", "img");
	assert_int_equal(ct.n_mounts, 0);
	assert_string_equal(ct.image, "/etc:/x");
	vg_container_free(&ct);
	OK(&ct, "--entrypoint", "--privileged", "img");
	assert_false(ct.privileged);
	vg_container_free(&ct);
	OK(&ct, "-h", "myhost", "img"); /* -h is --hostname, not help */
	assert_string_equal(ct.image, "img");
	vg_container_free(&ct);

	/* Options end at the image, or after "--". */
	OK(&ct, "img", "-v", "/etc:/x", "--privileged");
	assert_int_equal(ct.n_mounts, 0);
	assert_false(ct.privileged);
	vg_container_free(&ct);
	OK(&ct, "--rm", "--", "-img-");
	assert_string_equal(ct.image, "-img-");
	vg_container_free(&ct);
	OK(&ct, "-");
	assert_string_equal(ct.image, "-");
	vg_container_free(&ct);

	/* Booleans. */
	OK(&ct, "--privileged", "img");
	assert_true(ct.privileged);
	vg_container_free(&ct);
	OK(&ct, "--privileged=false", "img");
	assert_false(ct.privileged);
	vg_container_free(&ct);
	OK(&ct, "--privileged", "--privileged=0", "img");
	assert_false(ct.privileged);
	vg_container_free(&ct);
	OK(&ct, "-d=false", "-t=true", "--rm=T", "img");
	vg_container_free(&ct);

	BAD("unknown flag: --bogus", "--bogus", "img");
	BAD("unknown flag: --bogus", "--bogus=1", "img");
	BAD("unknown shorthand flag: 'X'", "-itX", "img");
	BAD("flag needs an argument: --volume", "--volume");
	BAD("flag needs an argument: 'v'", "-itv");
	BAD("requires at least 1 argument", "-it");
	BAD("requires at least 1 argument", "--rm", "--");
	BAD("not a boolean", "--privileged=maybe", "img");
	BAD("not a boolean", "-d=2", "img");
	BAD("not a valid container name", "--name", "a/b", "img");
}

static void policy_flags(void **state)
{
	struct vg_container ct;

	OK(&ct, "--name", "/web", "--pid=host", "--ipc", "host", "--net", "host", "--network",
	   "bridge", "--uts=host", "--userns", "host", "--cgroupns", "host", "--cap-add",
	   "NET_ADMIN", "--cap-add=SYS_TIME", "--device", "/dev/sda:/dev/xvda:rwm",
	   "--device=/dev/fuse", "--user", "1000:1000", "--runtime", "runc", "--volumes-from",
	   "db:ro", "--volumes-from=cache", "img");
	assert_string_equal(ct.name, "web");
	assert_true(ct.host_pid && ct.host_ipc && ct.host_net && ct.host_uts && ct.host_userns &&
		    ct.host_cgroupns);
	assert_string_equal(ct.cap_add[0], "NET_ADMIN");
	assert_string_equal(ct.cap_add[1], "SYS_TIME");
	assert_string_equal(ct.devices[0], "/dev/sda");
	assert_string_equal(ct.devices[1], "/dev/fuse");
	assert_string_equal(ct.user, "1000:1000");
	assert_string_equal(ct.runtime, "runc");
	assert_string_equal(ct.volumes_from[0], "db:ro");
	assert_string_equal(ct.volumes_from[1], "cache");
	vg_container_free(&ct);

	/* --volume-driver applies to every -v volume, before or after it; not to binds. */
	OK(&ct, "-v", "a:/a", "--volume-driver", "rexray", "-v", "b:/b", "-v", "/h:/h", "--mount",
	   "src=c,dst=/c", "-e", "--volume-driver=x", "img");
	assert_string_equal(ct.mounts[0].driver, "rexray");
	assert_string_equal(ct.mounts[1].driver, "rexray");
	assert_null(ct.mounts[2].driver);
	assert_null(ct.mounts[3].driver);
	vg_container_free(&ct);

	OK(&ct, "--pid", "container:other", "--net", "none", "img");
	assert_false(ct.host_pid);
	assert_false(ct.host_net);
	vg_container_free(&ct);
	BAD("no host device", "--device", ":/dev/x", "img");
}

/* Resource limits and seccomp, as Docker's CLI reads them. */
static void limit_flags(void **state)
{
	struct vg_container ct;

	OK(&ct, "img");
	assert_true(ct.limits_known);
	assert_true(ct.memory_limit == 0 && ct.cpu_limit == 0 && ct.pids_limit == 0);
	assert_false(ct.seccomp_unconfined);
	vg_container_free(&ct);

	OK(&ct, "-m", "512m", "--cpus=1.5", "--pids-limit", "100", "--security-opt",
	   "seccomp=unconfined", "img");
	assert_int_equal(ct.memory_limit, 512LL << 20);
	assert_int_equal(ct.cpu_limit, 1500000000LL);
	assert_int_equal(ct.pids_limit, 100);
	assert_true(ct.seccomp_unconfined);
	vg_container_free(&ct);

	OK(&ct, "--memory=1.5 GiB", "--cpu-quota", "50000", "--security-opt", "seccomp:unconfined",
	   "img");
	assert_int_equal(ct.memory_limit, 1610612736LL);
	assert_int_equal(ct.cpu_limit, 50000);
	assert_true(ct.seccomp_unconfined);
	vg_container_free(&ct);

	/* 0 and -1 mean no limit, as in Docker; apparmor options are not seccomp. */
	OK(&ct, "--memory", "0", "--pids-limit=-1", "--security-opt", "apparmor=unconfined", "img");
	assert_true(ct.memory_limit <= 0 && ct.pids_limit <= 0);
	assert_false(ct.seccomp_unconfined);
	vg_container_free(&ct);

	BAD("--memory lots: not a valid size", "--memory", "lots", "img");
	BAD("--memory 5x: not a valid size", "--memory", "5x", "img");
	BAD("--cpus 1.5m: not a valid number", "--cpus", "1.5m", "img");
	BAD("--pids-limit 1e99: not a valid number", "--pids-limit", "1e99", "img");
}

/* An independent list of Docker 20.10's `docker run` flags: each must be known, with its arity. */
static void every_docker_run_flag(void **state)
{
	static const char *const with_value[] = {
		"add-host",
		"attach",
		"blkio-weight",
		"blkio-weight-device",
		"cap-add",
		"cap-drop",
		"cgroup-parent",
		"cgroupns",
		"cidfile",
		"cpu-count",
		"cpu-percent",
		"cpu-period",
		"cpu-quota",
		"cpu-rt-period",
		"cpu-rt-runtime",
		"cpu-shares",
		"cpus",
		"cpuset-cpus",
		"cpuset-mems",
		"detach-keys",
		"device",
		"device-cgroup-rule",
		"device-read-bps",
		"device-read-iops",
		"device-write-bps",
		"device-write-iops",
		"dns",
		"dns-opt",
		"dns-option",
		"dns-search",
		"domainname",
		"entrypoint",
		"env",
		"env-file",
		"expose",
		"gpus",
		"group-add",
		"health-cmd",
		"health-interval",
		"health-retries",
		"health-start-period",
		"health-timeout",
		"hostname",
		"io-maxbandwidth",
		"io-maxiops",
		"ip",
		"ip6",
		"ipc",
		"isolation",
		"kernel-memory",
		"label",
		"label-file",
		"link",
		"link-local-ip",
		"log-driver",
		"log-opt",
		"mac-address",
		"memory",
		"memory-reservation",
		"memory-swap",
		"memory-swappiness",
		"mount",
		"name",
		"net",
		"net-alias",
		"network",
		"network-alias",
		"oom-score-adj",
		"pid",
		"pids-limit",
		"platform",
		"publish",
		"pull",
		"restart",
		"runtime",
		"security-opt",
		"shm-size",
		"stop-signal",
		"stop-timeout",
		"storage-opt",
		"sysctl",
		"tmpfs",
		"ulimit",
		"user",
		"userns",
		"uts",
		"volume",
		"volume-driver",
		"volumes-from",
		"workdir",
	};
	static const char *const boolean[] = {
		"detach",
		"disable-content-trust",
		"help",
		"init",
		"interactive",
		"no-healthcheck",
		"oom-kill-disable",
		"privileged",
		"publish-all",
		"quiet",
		"read-only",
		"rm",
		"sig-proxy",
		"tty",
	};
	/* Values every value flag above accepts without error. */
	static const struct {
		const char *flag, *value;
	} special[] = {
		{ "mount", "type=tmpfs,dst=/t" },
		{ "volume", "/anon" },
		{ "device", "/dev/null" },
		{ "tmpfs", "/t" },
		{ "name", "web" },
		{ "memory", "512m" },
		{ "cpus", "1.5" },
		{ "cpu-quota", "50000" },
		{ "pids-limit", "100" },
	};
	struct vg_container ct;

	for (size_t i = 0; i < VG_ARRAY_SIZE(with_value); i++) {
		char flag[64];
		const char *val = "VALUE";
		for (size_t k = 0; k < VG_ARRAY_SIZE(special); k++)
			if (strcmp(special[k].flag, with_value[i]) == 0)
				val = special[k].value;
		snprintf(flag, sizeof(flag), "--%s", with_value[i]);
		/* "--flag VALUE img": VALUE is eaten, img is the image. */
		OK(&ct, flag, (char *)val, "img");
		if (strcmp(ct.image, "img") != 0)
			fail_msg("%s did not take a value", flag);
		vg_container_free(&ct);
	}
	for (size_t i = 0; i < VG_ARRAY_SIZE(boolean); i++) {
		char flag[64];
		snprintf(flag, sizeof(flag), "--%s", boolean[i]);
		/* "--flag img": a boolean takes nothing, img is the image. */
		OK(&ct, flag, "img", "arg");
		if (strcmp(ct.image, "img") != 0)
			fail_msg("%s took a value", flag);
		vg_container_free(&ct);
	}
	/* Shorthands: values a c e h l m p u v w; booleans d i P q t. */
	static const char value_short[] = "acehlmpuw";
	for (const char *c = value_short; *c; c++) {
		char flag[3] = { '-', *c, 0 };
		OK(&ct, flag, *c == 'm' ? "1g" : "x", "img");
		if (strcmp(ct.image, "img") != 0)
			fail_msg("%s did not take a value", flag);
		vg_container_free(&ct);
	}
	OK(&ct, "-diPqt", "img");
	assert_string_equal(ct.image, "img");
	vg_container_free(&ct);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(volume_forms),		 cmocka_unit_test(mount_forms),
		cmocka_unit_test(short_and_long_forms),	 cmocka_unit_test(policy_flags),
		cmocka_unit_test(every_docker_run_flag), cmocka_unit_test(limit_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
