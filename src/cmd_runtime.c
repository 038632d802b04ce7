/*
 * volguard-runc [--config FILE] [RUNC-GLOBAL-OPTIONS] COMMAND [ARGS...]: dockerd's runtime.
 *
 * Rules this file keeps:
 *  - every command but `create` is runc's: it is handed to runc with execv, with the same
 *    arguments (ours removed), environment and descriptors, so its output and exit code are
 *    runc's own. The only thing read before is the config, for the runc path (key `runtime`);
 *    a config that cannot be read then falls back to the built-in path, logged to syslog
 *    only, so that a typo in volguard.conf never leaves running containers unkillable;
 *  - `create` checks everything first (arguments, spec, Docker's files, mounts, opt-out label,
 *    IDs, volume membership) and only then acts (range, volumes, config.json), so a refused
 *    create allocates nothing and changes no volume;
 *  - `run` (create and start in one) is checked like `create`;
 *  - `exec` is the one other command that starts a process in the container: its process.json
 *    gets the same shift as the container's own process (found from the container's bundle),
 *    or `docker exec` would be a way back to host root;
 *  - a refusal reaches the user the way runc's own errors do: a line in runc's --log file
 *    (dockerd shows "OCI runtime create failed: volguard: ..."), stderr, and syslog.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "adapters.h"
#include "cleanup.h"
#include "cmd.h"
#include "config.h"
#include "policy.h"
#include "prepare.h"
#include "registry.h"
#include "runcargs.h"
#include "spec.h"

#define ISOLATION_LABEL "volguard.isolation"

/* ---- reporting ----------------------------------------------------------------------------- */

static void json_log_line(FILE *f, const char *level, const char *msg, const char *when)
{
	_cleanup_json_ json_t *o =
	    json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", when);
	_cleanup_free_ char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	if (s)
		fprintf(f, "%s\n", s);
}

/* logrus's text format: time="..." level=error msg="..." */
static void text_log_line(FILE *f, const char *level, const char *msg, const char *when)
{
	fprintf(f, "time=\"%s\" level=%s msg=\"", when, level);
	for (const char *p = msg; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputs("\"\n", f);
}

/* Say `msg` ("volguard: ..." added) in runc's log, on stderr and in syslog at `prio`. */
static void report(const struct runc_args *a, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(const struct runc_args *a, int prio, const char *fmt, ...)
{
	const char *level = prio <= LOG_ERR ? "error" : prio == LOG_WARNING ? "warning" : "info";
	_cleanup_free_ char *text = NULL, *msg = NULL;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	msg = vg_asprintf("volguard: %s", text);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);

	openlog("volguard", LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_AUTHPRIV | prio, "%s", msg);
	closelog();
	if (prio > LOG_WARNING)
		return; /* success is for syslog only: runc's output stays runc's */
	fprintf(stderr, "%s\n", msg);
	if (a->log) {
		int fd =
		    open(a->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
			 0644);
		_cleanup_fclose_ FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;

		if (!f && fd >= 0)
			close(fd);
		if (f && a->log_format && strcmp(a->log_format, "text") == 0)
			text_log_line(f, level, msg, when);
		else if (f)
			json_log_line(f, level, msg, when);
	}
}

/* Prefix e->msg (the message may be its own argument, so it is copied first). */
static int error_prefix(struct vg_error *e, int r, const char *prefix)
{
	char old[sizeof(e->msg)];

	memcpy(old, e->msg, sizeof(old));
	return vg_error_set(e, r, "%s: %s", prefix, old);
}

/* ---- handing over to runc ------------------------------------------------------------------ */

/* Refuse a `runtime` that is this very binary: it would exec itself forever. */
static int check_not_self(const char *path, struct vg_error *e)
{
	struct stat self, st;

	if (stat("/proc/self/exe", &self) == 0 && stat(path, &st) == 0 &&
	    self.st_dev == st.st_dev && self.st_ino == st.st_ino)
		return vg_error_set(e, ELOOP, "config key runtime = %s is volguard itself", path);
	return 0;
}

static int exec_runc(const char *runtime, const struct runc_args *a, struct vg_error *e)
{
	char **nargv = vg_reallocarray(NULL, (size_t)a->argc + 2, sizeof(char *));
	int r = check_not_self(runtime, e);

	if (r < 0) {
		free(nargv);
		return r;
	}
	nargv[0] = (char *)runtime;
	memcpy(nargv + 1, a->argv, ((size_t)a->argc + 1) * sizeof(char *));
	execv(runtime, nargv);
	r = -errno;
	free(nargv);
	return vg_error_errno(e, r, "cannot execute the runtime %s", runtime);
}

/* Every command but create: the config only for the runc path, then runc. */
static int pass_through(const struct runc_args *a)
{
	struct vg_config c;
	struct vg_error e = { 0 };
	_cleanup_free_ char *runtime = NULL;

	vg_config_init(&c);
	if (vg_config_load(&c, a->config, &e) < 0) {
		vg_config_free(&c);
		vg_config_init(&c);
		openlog("volguard", LOG_PID, LOG_AUTHPRIV);
		syslog(LOG_AUTHPRIV | LOG_WARNING, "volguard-runc: %s; using the runtime %s", e.msg,
		       c.runtime);
		closelog();
	}
	runtime = TAKE_PTR(c.runtime);
	vg_config_free(&c);
	exec_runc(runtime, a, &e);
	report(a, LOG_ERR, "%s", e.msg);
	return VG_EXIT_ERROR;
}

/* ---- exec ---------------------------------------------------------------------------------- */

#define STATE_MAX_SIZE (1024 * 1024)

/* `runc [global options] state ID`: the container's state JSON, or NULL when runc has none. */
static json_t *runc_state(const char *runtime, const struct runc_args *a)
{
	_cleanup_free_ char *buf = vg_malloc0(STATE_MAX_SIZE + 1);
	char **sargv = vg_reallocarray(NULL, (size_t)a->cmd + 4, sizeof(char *));
	posix_spawn_file_actions_t fa;
	int p[2], status = 0;
	size_t len = 0;
	pid_t pid;
	ssize_t n;
	json_t *j = NULL;

	if (pipe2(p, O_CLOEXEC) < 0) {
		free(sargv);
		return NULL;
	}
	sargv[0] = (char *)runtime;
	memcpy(sargv + 1, a->argv, (size_t)a->cmd * sizeof(char *));
	sargv[a->cmd + 1] = (char *)"state";
	sargv[a->cmd + 2] = (char *)a->id;
	sargv[a->cmd + 3] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	if (posix_spawn(&pid, runtime, &fa, NULL, sargv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	free(sargv);
	close(p[1]);
	while (pid > 0 && len < STATE_MAX_SIZE &&
	       ((n = read(p[0], buf + len, STATE_MAX_SIZE - len)) > 0 || (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	close(p[0]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		j = json_loadb(buf, len, 0, NULL);
	return j;
}

/*
 * The shift the container's own process got: its bundle's config.json names the host UID it
 * runs as, the registry the range that UID is in. Returns 1 and fills *ret when the container
 * is isolated, 0 when it is not (exempt, created by another runtime, or unknown to runc).
 */
static int container_shift(const struct vg_config *c, const char *runtime,
			   const struct runc_args *a, struct vg_spec_shift *ret, struct vg_error *e)
{
	_cleanup_json_ json_t *state = runc_state(runtime, a);
	_cleanup_json_ json_t *spec = NULL;
	_cleanup_free_ char *cfg = NULL;
	const char *bundle = json_string_value(json_object_get(state, "bundle"));
	struct vg_spec_user u;
	struct vg_registry reg;
	struct vg_range *rg;
	json_error_t je;
	int r;

	if (!bundle)
		return 0; /* runc exec will report the missing container itself */
	cfg = vg_asprintf("%s/config.json", bundle);
	spec = json_load_file(cfg, JSON_REJECT_DUPLICATES, &je);
	if (!spec)
		return vg_error_set(e, EINVAL, "%s:%d: %s", cfg, je.line, je.text);
	r = vg_spec_user_read(spec, &u, e);
	if (r < 0)
		return r;
	r = vg_registry_open(&reg, c, VG_REGISTRY_READ, e);
	if (r >= 0) {
		rg = vg_registry_find_id(&reg, u.uid);
		if (rg) {
			*ret = (struct vg_spec_shift){ .start = rg->start,
						       .count = rg->count,
						       .drop_caps = c->drop_capabilities };
			r = 1;
		}
		vg_registry_close(&reg);
	}
	vg_spec_user_free(&u);
	return r;
}

static int shift_process_file(const char *path, const struct vg_spec_shift *shift,
			      struct vg_error *e)
{
	_cleanup_free_ char *dir = vg_strdup(path), *base = vg_strdup(path);
	_cleanup_json_ json_t *process = NULL;
	_cleanup_close_ int dfd = -1;
	json_error_t je;
	int r;

	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return vg_error_errno(e, errno, "%s", path);
	process = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!process)
		return vg_error_set(e, EINVAL, "%s:%d: %s", path, je.line, je.text);
	r = vg_spec_apply_shift_process(process, shift, e);
	if (r < 0)
		return r;
	return vg_spec_write(dfd, basename(base), process, path, e);
}

static int do_exec(struct runc_args *a)
{
	struct vg_config c;
	struct vg_error e = { 0 };
	struct vg_spec_shift shift = { 0 };
	const char *process = NULL;
	_cleanup_free_ char *runtime = NULL;
	int r;

	vg_config_init(&c);
	r = vg_config_load(&c, a->config, &e);
	if (r >= 0)
		r = vg_runc_args_exec(a, &process, &e);
	if (r >= 0)
		r = container_shift(&c, c.runtime, a, &shift, &e);
	if (r > 0 && !process)
		r = vg_error_set(&e, VG_EREFUSED,
				 "container %s: exec without --process is not supported in an "
				 "isolated container",
				 a->id);
	if (r > 0)
		r = shift_process_file(process, &shift, &e);
	if (r < 0) {
		report(a, LOG_ERR, "%s", e.msg);
		vg_config_free(&c);
		return e.code == VG_EREFUSED ? VG_EXIT_REFUSED : VG_EXIT_ERROR;
	}
	runtime = TAKE_PTR(c.runtime);
	vg_config_free(&c);
	exec_runc(runtime, a, &e);
	report(a, LOG_ERR, "%s", e.msg);
	return VG_EXIT_ERROR;
}

/* ---- create -------------------------------------------------------------------------------- */

struct create_ctx {
	struct runc_args *a;
	struct vg_config c;
	int bundle_fd;
	json_t *spec;
	struct vg_container oci;    /* the spec: the mounts runc will make */
	struct vg_container docker; /* Docker's files: name, labels, volume names */
	bool is_docker;
	const char *name;
	struct vg_mounted_volumes vols;
	struct vg_spec_user user;
};

static void create_ctx_free(struct create_ctx *x)
{
	if (x->bundle_fd >= 0)
		close(x->bundle_fd);
	json_decref(x->spec);
	vg_container_free(&x->oci);
	vg_container_free(&x->docker);
	vg_mounted_volumes_free(&x->vols);
	vg_spec_user_free(&x->user);
	vg_config_free(&x->c);
}

static int lookup_docker(const char *name, struct vg_container *ret, void *data, struct vg_error *e)
{
	return vg_docker_load(data, name, ret, e);
}

/* Load the spec through the opened bundle directory and Docker's files when there are some. */
static int load_inputs(struct create_ctx *x, struct vg_error *e)
{
	const char *bundle = x->a->bundle ? x->a->bundle : ".";
	_cleanup_free_ char *cfg = NULL, *dcfg = NULL;
	struct stat st;
	int r;

	x->bundle_fd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (x->bundle_fd < 0)
		return vg_error_errno(e, errno, "bundle %s", bundle);
	cfg = vg_asprintf("/proc/self/fd/%d/config.json", x->bundle_fd);
	r = vg_oci_load(cfg, &x->oci, &x->spec, e);
	if (r >= 0)
		r = vg_spec_user_read(x->spec, &x->user, e);
	if (r < 0) {
		_cleanup_free_ char *what = vg_asprintf("bundle %s", bundle);
		return error_prefix(e, r, what);
	}

	/* dockerd writes containers/ID/ before it calls create; anything else is a plain OCI
	 * container, named by its ID. */
	dcfg = vg_asprintf("%s/containers/%s/config.v2.json", x->c.docker_root, x->a->id);
	x->is_docker = strchr(x->a->id, '/') == NULL && lstat(dcfg, &st) == 0;
	if (x->is_docker) {
		r = vg_docker_load(&x->c, x->a->id, &x->docker, e);
		if (r < 0)
			return r;
	}
	x->name = x->is_docker && x->docker.name ? x->docker.name : x->a->id;
	if (!vg_name_valid(x->name))
		return vg_error_set(e, EINVAL, "'%.300s' is not a valid container name", x->name);
	return 0;
}

static int judge(struct create_ctx *x, const struct vg_container *ct, struct vg_error *e)
{
	struct vg_report rep = { 0 };
	int r = vg_policy_check(&x->c, ct, lookup_docker, &x->c, &rep, e);

	if (r >= 0 && rep.worst == VG_DENY)
		r = vg_error_set(e, VG_EREFUSED, "%s", vg_report_first_deny(&rep));
	vg_report_free(&rep);
	return r;
}

/* The named volumes the container mounts are the binds of <volumes_root>/NAME/_data in the
 * spec; each volume Docker's files name must be one of them (else it is not a local volume
 * volguard can prepare). Membership is checked here, before anything changes. */
static int find_volumes(struct create_ctx *x, struct vg_error *e)
{
	vg_mounted_volumes_find(&x->c, &x->oci, &x->vols);
	for (size_t i = 0; i < x->docker.n_mounts; i++) {
		const struct vg_mount *d = &x->docker.mounts[i];

		if (d->kind == VG_MOUNT_VOLUME &&
		    !(d->source && vg_mounted_volumes_has(&x->vols, d->source)))
			return vg_error_set(
			    e, VG_EREFUSED,
			    "container %s: volume '%s' (%s) is not a local volume under "
			    "%s; volguard cannot isolate it",
			    x->name, d->source ? d->source : "?",
			    d->destination ? d->destination : "?", x->c.volumes_root);
	}
	return vg_mounted_volumes_check(&x->c, &x->vols, x->name, true, e);
}

/* Returns 1 when the container opted out (and may), 0 when it is isolated. */
static int check_opt_out(struct create_ctx *x, struct vg_error *e)
{
	const char *v = vg_container_label(&x->docker, ISOLATION_LABEL);

	if (!v)
		v = vg_container_label(&x->oci, ISOLATION_LABEL);
	if (!v || strcmp(v, "on") == 0)
		return 0;
	if (strcmp(v, "off") != 0)
		return vg_error_set(e, VG_EREFUSED, "container %s: label %s=%s: expected on or off",
				    x->name, ISOLATION_LABEL, v);
	if (!vg_config_is_exempt(&x->c, x->name))
		return vg_error_set(
		    e, VG_EREFUSED,
		    "container %s: label %s=off is only allowed for names listed in "
		    "isolation_exempt",
		    x->name, ISOLATION_LABEL);
	return 1;
}

/* Everything is checked: take the range, prepare the volumes, rewrite config.json. */
static int isolate(struct create_ctx *x, uint64_t *ret_start, struct vg_error *e)
{
	struct vg_registry reg;
	struct vg_range *rg;
	struct vg_spec_shift shift = { 0 };
	bool is_new;
	int r;

	r = vg_registry_open(&reg, &x->c, VG_REGISTRY_WRITE, e);
	if (r < 0)
		return r;
	/* The IDs must fit the range this name has, or will get. */
	rg = vg_registry_find(&reg, x->name);
	r = vg_spec_user_check(&x->user, rg ? rg->count : x->c.range_size, e);
	if (r >= 0)
		r = vg_registry_alloc(&reg, &x->c, x->name, 0, &rg, &is_new, e);
	if (r >= 0)
		r = vg_range_set_meta(&reg, rg, "container", x->a->id, e);
	/* Committed before any volume names the range, so no volume can ever list a range the
	 * registry does not hold; the lock is held until config.json is written, so that the
	 * range cannot be released and handed to another name meanwhile (vg_volume_prepare
	 * never takes it). */
	if (r >= 0)
		r = vg_registry_commit(&reg, e);
	if (r >= 0) {
		shift = (struct vg_spec_shift){ .start = rg->start,
						.count = rg->count,
						.drop_caps = x->c.drop_capabilities };
		/* In memory first: a spec it cannot rewrite leaves the volumes alone. */
		r = vg_spec_apply_shift(x->spec, &shift, e);
	}
	if (r >= 0)
		r = vg_mounted_volumes_spec_ro(x->spec, &x->vols, e);
	if (r >= 0)
		r = vg_mounted_volumes_prepare(
		    &x->c, &x->vols, x->name, (uint32_t)(shift.start + x->user.uid),
		    (uint32_t)(shift.start + x->user.gid), shift.start, shift.count, e);
	if (r >= 0)
		r = vg_spec_write(x->bundle_fd, "config.json", x->spec, "config.json", e);
	vg_registry_close(&reg);
	*ret_start = shift.start;
	return r;
}

static int do_create(struct runc_args *a)
{
	struct create_ctx x = { .a = a, .bundle_fd = -1 };
	struct vg_error e = { 0 };
	uint64_t start = 0;
	int r, exempt = 0;

	vg_config_init(&x.c);
	r = vg_runc_args_create(a, &e);
	if (r >= 0)
		r = vg_config_load(&x.c, a->config, &e);
	if (r >= 0 && !x.c.volumes_root)
		x.c.volumes_root = vg_asprintf("%s/volumes", x.c.docker_root);
	if (r >= 0)
		r = load_inputs(&x, &e);
	/* Checks: nothing has been changed yet. */
	if (r >= 0)
		r = judge(&x, &x.oci, &e);
	if (r >= 0 && x.is_docker)
		r = judge(&x, &x.docker, &e);
	if (r >= 0)
		r = exempt = check_opt_out(&x, &e);
	if (r >= 0 && !exempt)
		r = find_volumes(&x, &e);
	/* Acts. */
	if (r >= 0 && !exempt)
		r = isolate(&x, &start, &e);
	if (r < 0) {
		bool refused = e.code == VG_EREFUSED;
		const char *who = x.name ? x.name : a->id ? a->id : "?";
		if (refused && strncmp(e.msg, "container ", 10) != 0)
			report(a, LOG_ERR, "container %s refused: %s", who, e.msg);
		else
			report(a, LOG_ERR, "%s", e.msg);
		create_ctx_free(&x);
		return refused ? VG_EXIT_REFUSED : VG_EXIT_ERROR;
	}
	if (exempt)
		report(a, LOG_NOTICE, "container %s (%s): isolation off (label %s=off, exempt)",
		       x.name, a->id, ISOLATION_LABEL);
	else
		report(a, LOG_INFO, "container %s (%s) runs as host UID %llu", x.name, a->id,
		       (unsigned long long)start + x.user.uid);
	{
		_cleanup_free_ char *runtime = TAKE_PTR(x.c.runtime);
		create_ctx_free(&x);
		exec_runc(runtime, a, &e);
	}
	report(a, LOG_ERR, "%s", e.msg);
	return VG_EXIT_ERROR;
}

int cmd_runtime(int argc, char **argv)
{
	struct runc_args a;

	vg_runc_args_parse(argc, argv, &a);
	/* run is create and start in one: it gets create's checks (dockerd never uses it). */
	if (a.cmd >= 0 &&
	    (strcmp(a.argv[a.cmd], "create") == 0 || strcmp(a.argv[a.cmd], "run") == 0))
		return do_create(&a);
	if (a.cmd >= 0 && strcmp(a.argv[a.cmd], "exec") == 0)
		return do_exec(&a);
	return pass_through(&a);
}
