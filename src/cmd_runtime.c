/*
 * volguard-runc [--config FILE] [RUNC-GLOBAL-OPTIONS] COMMAND [ARGS...]: dockerd's runtime.
 *
 * Rules this file keeps:
 *  - every command but `create` is runc's: it is handed to runc with execv, with the same
 *    arguments (ours removed), environment and descriptors, so its output and exit code are
 *    runc's own. The only thing read before is the config, for the runc path (key `runtime`);
 *    a config that cannot be read then falls back to the built-in path, logged to syslog
 *    only, so that a typo in volguard.conf never leaves running containers unkillable;
 *  - `create` goes through the admission pipeline (admit.h), which judges everything first
 *    (arguments, spec, Docker's files, mounts, opt-out label, IDs, volume membership) and only
 *    then acts (range, volumes, config.json), so a refused create allocates nothing and changes
 *    no volume;
 *  - `run` (create and start in one) is admitted like `create`; `restore` is refused (a
 *    checkpoint's IDs and capabilities cannot be judged);
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
#include "admit.h"
#include "cleanup.h"
#include "cmd.h"
#include "config.h"
#include "gojson.h"
#include "policy.h"
#include "prepare.h"
#include "registry.h"
#include "runcargs.h"
#include "spec.h"
#include "stage.h"
#include "inuse.h"

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
	_cleanup_free_ char *text = NULL, *safe = NULL, *msg = NULL;
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
	safe = vg_escape(text); /* the one text runc's log, stderr and syslog get */
	msg = vg_asprintf("volguard: %s", safe);
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

/* runc's command line: the runtime, then runc's arguments as given (ours removed). */
static char **runc_argv(const char *runtime, const struct runc_args *a)
{
	char **nargv = vg_reallocarray(NULL, (size_t)a->argc + 2, sizeof(char *));

	nargv[0] = (char *)runtime;
	memcpy(nargv + 1, a->argv, ((size_t)a->argc + 1) * sizeof(char *));
	return nargv;
}

static int exec_runc(const char *runtime, const struct runc_args *a, struct vg_error *e)
{
	char **nargv = NULL;
	int r = check_not_self(runtime, e);

	if (r < 0)
		return r;
	nargv = runc_argv(runtime, a);
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

/* runc's state dir: its --root, or runc's own default for root. */
static const char *runc_root(const struct runc_args *a)
{
	return a->root ? a->root : "/run/runc";
}

/*
 * May the container exec without a range: label volguard.isolation=off and its name in
 * isolation_exempt, the rule create applied (Docker's files when it has some, else the
 * bundle's annotations and its ID as the name). Anything unreadable says no.
 */
static bool exec_exempt(const struct vg_config *c, const char *id, const char *cfg)
{
	struct vg_container dk = { 0 }, oci = { 0 };
	_cleanup_json_ json_t *spec = NULL;
	struct vg_error e = { 0 };
	const char *v = NULL, *name = id;
	bool exempt;

	if (vg_inuse_docker_container(c, id, NULL)) {
		if (vg_docker_load(c, id, &dk, &e) < 0) {
			vg_container_free(&dk);
			return false;
		}
		v = vg_container_label(&dk, ISOLATION_LABEL);
		name = dk.name ? dk.name : id;
	}
	if (!v && vg_oci_load(cfg, &oci, &spec, &e) >= 0)
		v = vg_container_label(&oci, ISOLATION_LABEL);
	exempt = v && strcmp(v, "off") == 0 && vg_config_is_exempt(c, name);
	vg_container_free(&dk);
	vg_container_free(&oci);
	return exempt;
}

/*
 * The shift the container's own process got: the range bound to the container ID (metadata
 * container=ID), else the one its bundle's process UID lies in. Returns 1 and fills *ret when
 * the container is isolated by shift, 2 (ret->keep_caps only) when it runs in its own user
 * namespace, 0 when it is exempt; a container runc does not know, or whose
 * range is not found, is refused: runc would run the exec unshifted, as host root with
 * Docker's capabilities.
 */
static int container_shift(const struct vg_config *c, const char *runtime,
			   const struct runc_args *a, struct vg_spec_shift *ret, struct vg_error *e)
{
	_cleanup_json_ json_t *state = runc_state(runtime, a);
	_cleanup_json_ json_t *spec = NULL;
	_cleanup_free_ char *cfg = NULL;
	const char *bundle = json_string_value(json_object_get(state, "bundle"));
	struct vg_spec_user u = { 0 };
	struct vg_registry reg;
	const struct vg_range *rg = NULL;
	json_error_t je;
	bool exempt;
	int r;

	if (!bundle)
		return vg_error_set(e, VG_EREFUSED,
				    "container %s: runc has no state (or no bundle) for it; exec "
				    "refused",
				    a->id);
	cfg = vg_asprintf("%s/config.json", bundle);
	spec = json_load_file(cfg, JSON_REJECT_DUPLICATES, &je);
	if (!spec)
		return vg_error_set(e, EINVAL, "%s:%d: %s", cfg, je.line, je.text);
	/* A userns container (volguard-runc refuses specs that map IDs themselves): runc exec
	 * enters its user namespace; only the capabilities are the mode's. */
	if (vg_json_member(vg_json_member(spec, "linux"), "uidMappings")) {
		r = vg_registry_open(&reg, c, VG_REGISTRY_READ, e);
		if (r < 0)
			return r;
		bool bound = vg_registry_find_container(&reg, a->id) != NULL;

		vg_registry_close(&reg);
		if (!bound)
			return vg_error_set(
			    e, VG_EREFUSED,
			    "container %s: no range in the registry is bound to it; "
			    "exec refused",
			    a->id);
		*ret = (struct vg_spec_shift){ .keep_caps = vg_config_cap_survivors(
						   c, VG_ISOLATION_USERNS) };
		return 2;
	}
	r = vg_spec_user_read(spec, &u, e);
	if (r >= 0)
		r = vg_registry_open(&reg, c, VG_REGISTRY_READ, e);
	if (r < 0) {
		vg_spec_user_free(&u);
		return r;
	}
	rg = vg_registry_find_container(&reg, a->id);
	exempt = !rg && exec_exempt(c, a->id, cfg);
	if (!rg && !exempt)
		rg = vg_registry_find_id(&reg, u.uid);
	if (rg) {
		*ret = (struct vg_spec_shift){ .start = rg->start,
					       .count = rg->count,
					       .keep_caps =
						   vg_config_cap_survivors(c, VG_ISOLATION_SHIFT) };
		r = 1;
	} else if (exempt) {
		r = 0;
	} else {
		r = vg_error_set(e, VG_EREFUSED,
				 "container %s: no range in the registry is bound to it or holds "
				 "its UID %u; exec refused (it would run unshifted)",
				 a->id, (unsigned)u.uid);
	}
	vg_registry_close(&reg);
	vg_spec_user_free(&u);
	return r;
}

static int shift_process_file(const char *path, const struct vg_spec_shift *shift, bool userns,
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
	r = userns ? vg_spec_apply_userns_process(process, shift->keep_caps, e)
		   : vg_spec_apply_shift_process(process, shift, e);
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
		r = shift_process_file(process, &shift, r == 2, &e);
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

/* create and run: the admission pipeline (admit.h) judges, and only then acts. */
static int do_create(struct runc_args *a)
{
	struct vg_config c;
	struct vg_admission adm;
	struct vg_error e = { 0 };
	_cleanup_close_ int bundle_fd = -1;
	const char *bundle;
	int r;

	vg_config_init(&c);
	vg_admission_init(&adm, &c, VG_ADMIT_RUNTIME);
	adm.runc_root = runc_root(a);
	r = vg_runc_args_create(a, &e);
	if (r >= 0)
		r = vg_config_load(&c, a->config, &e);
	if (r >= 0 && !c.volumes_root)
		c.volumes_root = vg_asprintf("%s/volumes", c.docker_root);
	bundle = a->bundle ? a->bundle : ".";
	if (r >= 0 && (bundle_fd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = vg_error_errno(&e, errno, "bundle %s", bundle);
	if (r >= 0)
		r = vg_admit_load_bundle(&adm, bundle_fd, bundle, a->id, &e);
	/* Checks: nothing has been changed yet. */
	if (r >= 0)
		r = vg_admit_judge(&adm, &e);
	if (r >= 0)
		r = vg_admit_refusal(&adm, &e);
	/* Acts. */
	if (r >= 0 && !adm.exempt)
		r = vg_admit_isolate(&adm, bundle_fd, &e);
	if (r >= 0 && adm.exempt)
		r = vg_admit_exempt(&adm, bundle_fd, &e);
	if (r < 0) {
		report(a, LOG_ERR, "%s", e.msg);
		vg_admission_free(&adm);
		vg_config_free(&c);
		return e.code == VG_EREFUSED ? VG_EXIT_REFUSED : VG_EXIT_ERROR;
	}
	if (adm.exempt)
		report(a, LOG_NOTICE, "container %s (%s): isolation off (label %s=off, exempt)",
		       adm.name, a->id, ISOLATION_LABEL);
	else if (adm.mode == VG_ISOLATION_USERNS)
		report(a, LOG_INFO,
		       "container %s (%s) runs in its own user namespace, range %llu+%llu (%s)",
		       adm.name, a->id, (unsigned long long)adm.range_start,
		       (unsigned long long)adm.range_count, adm.mode_why ? adm.mode_why : "");
	else
		report(a, LOG_INFO, "container %s (%s) runs as host UID %llu (shift: %s)", adm.name,
		       a->id, (unsigned long long)adm.range_start + adm.user.uid,
		       adm.mode_why ? adm.mode_why : "");
	if (!adm.exempt && adm.range_reused)
		report(a, LOG_WARNING,
		       "container %s: the pool is full; it got a quarantined range before its "
		       "quarantine ended (see volguard list)",
		       adm.name);
	{
		_cleanup_free_ char *runtime = TAKE_PTR(c.runtime);
		vg_admission_free(&adm);
		vg_config_free(&c);
		exec_runc(runtime, a, &e);
	}
	report(a, LOG_ERR, "%s", e.msg);
	return VG_EXIT_ERROR;
}

static bool stage_exists(const struct vg_config *c, const char *id)
{
	_cleanup_free_ char *p = vg_asprintf("%s/%s", c->stage_dir, id);
	struct stat st;

	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * delete: runc's, then the staging directory of a userns container (stage.h) once runc no
 * longer knows the container: only then can nothing be mounted on its mount points.
 */
static int do_delete(struct runc_args *a)
{
	struct vg_config c;
	struct vg_error e = { 0 };
	const char *id = a->argc > a->cmd + 1 ? a->argv[a->argc - 1] : NULL;
	char **nargv = NULL;
	int status = 0;
	pid_t pid;

	vg_config_init(&c);
	if (vg_config_load(&c, a->config, &e) < 0 || !id || id[0] == '-' || !vg_name_valid(id) ||
	    !stage_exists(&c, id)) {
		vg_config_free(&c);
		return pass_through(a); /* not a userns container's: runc's alone */
	}
	if (check_not_self(c.runtime, &e) < 0) {
		report(a, LOG_ERR, "%s", e.msg);
		vg_config_free(&c);
		return VG_EXIT_ERROR;
	}
	nargv = runc_argv(c.runtime, a);
	if (posix_spawn(&pid, c.runtime, NULL, NULL, nargv, environ) != 0) {
		free(nargv);
		vg_config_free(&c);
		return pass_through(a);
	}
	free(nargv);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	a->id = id;
	{
		_cleanup_json_ json_t *state = runc_state(c.runtime, a);

		if (!state && vg_stage_remove(&c, id, &e) < 0)
			report(a, LOG_WARNING, "container %s: %s", id, e.msg);
	}
	vg_config_free(&c);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return VG_EXIT_ERROR;
}

/* A checkpoint carries the process's host IDs and capabilities as they were when it was
 * taken: nothing volguard can judge. Refused, never passed through. */
static int do_restore(struct runc_args *a)
{
	const char *id = a->argc > a->cmd + 1 ? a->argv[a->argc - 1] : "?";

	report(a, LOG_ERR,
	       "container %s refused: runc restore (checkpoint/restore) is not supported under "
	       "volguard: a checkpoint's IDs and capabilities cannot be checked",
	       id);
	return VG_EXIT_REFUSED;
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
	if (a.cmd >= 0 && strcmp(a.argv[a.cmd], "restore") == 0)
		return do_restore(&a);
	if (a.cmd >= 0 && strcmp(a.argv[a.cmd], "delete") == 0)
		return do_delete(&a);
	return pass_through(&a);
}
