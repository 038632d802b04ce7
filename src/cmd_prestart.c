/*
 * volguard prestart: an OCI hook (createRuntime or prestart stage) for runc, crun, Podman and
 * CRI-O. The container's state JSON comes on stdin; exit 0 lets it start, 1 refuses it (the
 * reason on stderr, which the runtime shows), 2 is an error (which refuses it too).
 *
 * Rules this file keeps (the pipeline in admit.c does the work):
 *  - the mounts are judged twice, as the spec writes them and as the kernel has them in
 *    /proc/PID/mountinfo, and both must pass;
 *  - the range is the container's own (linux.uidMappings); a range that overlaps another
 *    name's allocation, or lies in volguard's pool without being allocated, is refused;
 *  - everything is checked before any volume is changed.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "admit.h"
#include "cleanup.h"
#include "cmd.h"
#include "hookstate.h"
#include "kmounts.h"
#include "log.h"

static void help(void)
{
	puts("Usage: volguard prestart [--verify] < STATE-JSON\n\n"
	     "OCI hook (createRuntime or prestart stage): reads the container's state on stdin,\n"
	     "judges its mounts as written in BUNDLE/config.json and as the kernel has them in\n"
	     "/proc/PID/mountinfo, takes its host range from linux.uidMappings and prepares the\n"
	     "named volumes it mounts for that range. Exit 1 (reason on stderr) refuses it.\n"
	     "A Podman container (named by containers/storage's record) must map its own\n"
	     "name's range; a --userns=auto range of the pool is bound to its name.\n\n"
	     "Register it in config.json's hooks, or with conf/podman-hooks.d/volguard.json.\n\n"
	     "  --verify  the createRuntime hook volguard-runc adds first to every container it\n"
	     "            admits: each bind mount must show the inode volguard-runc checked\n"
	     "            (annotation " VG_KMOUNTS_ANNOTATION "), and the kernel's view\n"
	     "            must pass the policy; no volume is prepared.");
}

static int read_stdin(char **ret, size_t *ret_len, struct vg_error *e)
{
	_cleanup_free_ char *buf = vg_malloc0(VG_HOOK_STATE_MAX_SIZE + 1);
	size_t len = 0;
	ssize_t n;

	while ((n = read(STDIN_FILENO, buf + len, VG_HOOK_STATE_MAX_SIZE + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vg_error_errno(e, errno, "state: cannot read stdin");
		len += (size_t)n;
		if (len > VG_HOOK_STATE_MAX_SIZE)
			return vg_error_set(e, EFBIG, "state: more than %d bytes on stdin",
					    VG_HOOK_STATE_MAX_SIZE);
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* The admission pipeline (admit.h), as the hook runs it: judge the spec and the kernel's view,
 * then prepare the volumes for the container's range. */
static int prestart(const struct vg_config *c, bool verify, struct vg_error *e)
{
	_cleanup_free_ char *buf = NULL;
	struct vg_hook_state st = { 0 };
	struct vg_admission adm;
	size_t len = 0;
	int r;

	vg_admission_init(&adm, c, VG_ADMIT_HOOK);
	adm.verify = verify;
	r = read_stdin(&buf, &len, e);
	if (r >= 0)
		r = vg_hook_state_parse(buf, len, &st, e);
	if (r >= 0)
		r = vg_admit_load_hook(&adm, &st, e);
	/* Checks: nothing has been changed yet. */
	if (r >= 0)
		r = vg_admit_judge(&adm, e);
	if (r >= 0)
		r = vg_admit_refusal(&adm, e);
	/* Checked: act. */
	if (r >= 0)
		r = vg_admit_prepare(&adm, e);
	vg_admission_free(&adm);
	vg_hook_state_free(&st);
	return r;
}

int cmd_prestart(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
					      { "verify", no_argument, NULL, 'V' },
					      { 0 } };
	struct vg_error err = { 0 };
	bool verify = false;
	int o;

	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'h') {
			help();
			return 0;
		}
		if (o == 'V') {
			verify = true;
			continue;
		}
		return vg_cmd_bad_option("prestart", argv);
	}
	if (optind != argc)
		return vg_cmd_usage_error("prestart",
					  "no arguments expected (state JSON on stdin)");
	if (prestart(c, verify, &err) >= 0)
		return 0;
	_cleanup_free_ char *safe = vg_escape(err.msg); /* stderr: vg_print_error escapes */
	openlog("volguard", LOG_PID, LOG_AUTHPRIV);
	syslog(LOG_AUTHPRIV | LOG_ERR, "prestart: %s", safe);
	closelog();
	return vg_print_error(&err);
}
