/* Privilege handling, after bubblewrap's acquire_privs(): a fixed, named set and nothing else. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "privs.h"

int vg_privs_check_secure(struct vg_error *e)
{
	/*
	 * AT_SECURE is set when exec raised privileges (setuid, setgid, file capabilities). The
	 * environment and arguments then come from a less privileged caller: refuse to run at all.
	 */
	if (getauxval(AT_SECURE))
		return vg_error_set(e, EPERM,
				    "volguard must not be installed setuid, setgid or with file "
				    "capabilities; run it as root");
	return 0;
}

int vg_privs_acquire(const struct vg_privs *p, const char *command, struct vg_error *e)
{
	cap_t caps;
	int r = 0;

	if (p->needs_root && geteuid() != 0)
		return vg_error_set(e, EPERM, "'volguard %s' must run as root (effective UID 0)",
				    command);
	caps = cap_get_proc();
	if (!caps)
		return vg_error_errno(e, errno, "cap_get_proc");
	for (unsigned i = 0; i < p->n_caps; i++) {
		cap_flag_value_t v = CAP_CLEAR;
		if (cap_get_flag(caps, p->caps[i], CAP_EFFECTIVE, &v) < 0 || v != CAP_SET) {
			char *name = cap_to_name(p->caps[i]);
			r = vg_error_set(e, EPERM,
					 "'volguard %s' needs capability %s, which this process "
					 "lacks; run it as root",
					 command, name ? name : "?");
			cap_free(name);
			cap_free(caps);
			return r;
		}
	}
	if (cap_clear(caps) < 0 ||
	    (p->n_caps > 0 &&
	     (cap_set_flag(caps, CAP_EFFECTIVE, (int)p->n_caps, p->caps, CAP_SET) < 0 ||
	      cap_set_flag(caps, CAP_PERMITTED, (int)p->n_caps, p->caps, CAP_SET) < 0)) ||
	    cap_set_proc(caps) < 0)
		r = vg_error_errno(e, errno, "cannot reduce capabilities");
	cap_free(caps);
	if (r < 0)
		return r;
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return vg_error_errno(e, errno, "cannot clear the ambient capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return vg_error_errno(e, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
	return 0;
}
