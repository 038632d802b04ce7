/*
 * Running containers as the kernel sees them: the processes whose cgroup names a container's
 * ID, and the host UIDs they run as. A container that runs while its UIDs lie outside every
 * registered range (its range was released, or never allocated) is not isolated any more,
 * whatever Docker's files say: VG-ISO-006. The user namespaces they run in are noted here and
 * judged against the recorded isolation mode in audit_modes.c. Reading /proc only. Docker's
 * State.Pid is not used: after a crash it may name a reused PID, and it says nothing of `docker
 * exec` processes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit_internal.h"
#include "cleanup.h"
#include "procmap.h"

#define PROC_READ_MAX 8192

/* The real, effective, saved and file-system UIDs from /proc/PID/status. */
static bool proc_uids(int pid_fd, uint64_t uids[4])
{
	char buf[PROC_READ_MAX];
	const char *p;

	if (vg_read_proc_file(pid_fd, "status", buf, sizeof(buf)) < 0 ||
	    !(p = strstr(buf, "\nUid:")))
		return false;
	p += 5;
	for (int i = 0; i < 4; i++) {
		char *end;
		errno = 0;
		uids[i] = strtoull(p, &end, 10);
		if (errno || end == p)
			return false;
		p = end;
	}
	return true;
}

/* The container whose full ID (64 hex digits) appears as a cgroup path component in `cg`, as
 * cgroupfs (/docker/ID) and systemd (/system.slice/docker-ID.scope) name them, or NULL. */
static struct audit_ct *cgroup_container(struct audit_ctx *x, const char *cg)
{
	for (const char *p = cg; *p; p++) {
		size_t n = strspn(p, "0123456789abcdef");

		if (n == 64 && (p == cg || p[-1] == '/' || p[-1] == '-') &&
		    (p[n] == '\n' || p[n] == '\0' || p[n] == '/' || p[n] == '.'))
			for (size_t i = 0; i < x->n_cts; i++)
				if (x->cts[i].ct.id && strncmp(x->cts[i].ct.id, p, 64) == 0 &&
				    x->cts[i].ct.id[64] == '\0')
					return &x->cts[i];
		if (n > 0)
			p += n - 1;
	}
	return NULL;
}

/* The user namespace of one of the container's processes: in the host's, or in one whose
 * maps must stay inside the container's range (or the one of the container it joins). */
static void live_userns(struct audit_ctx *x, struct audit_ct *ct, int pid_fd, long pid)
{
	_cleanup_free_ struct vg_proc_map *um = vg_malloc0(sizeof(*um)),
					  *gm = vg_malloc0(sizeof(*gm));
	char ubuf[PROC_READ_MAX], gbuf[PROC_READ_MAX];
	const struct vg_range *own, *joined;
	bool u_ok, g_ok;

	if (vg_read_proc_file(pid_fd, "uid_map", ubuf, sizeof(ubuf)) < 0 ||
	    vg_read_proc_file(pid_fd, "gid_map", gbuf, sizeof(gbuf)) < 0 ||
	    vg_proc_map_parse(ubuf, um) < 0 || vg_proc_map_parse(gbuf, gm) < 0)
		return; /* gone; the kernel writes nothing else */
	/* Only the host's own namespace shows the identity map. (/proc/PID/ns/user would tell by
	 * inode, but needs CAP_SYS_PTRACE for another user's process, which audit does not keep;
	 * uid_map is readable by all.) */
	if (vg_proc_map_is_host(um)) {
		if (!ct->live_hostns) {
			ct->live_hostns = true;
			ct->live_hostns_pid = pid;
		}
		return;
	}
	if (!ct->live_uid_map) {
		ct->live_uid_map = vg_proc_map_text(um);
		ct->live_gid_map = vg_proc_map_text(gm);
		ct->live_userns_pid = pid;
	}
	own = audit_ct_range(x, ct, false);
	joined = audit_ct_range(x, ct, true);
	if (ct->live_escape_map || (!own && !joined))
		return;
	u_ok = (own && vg_proc_map_within(um, own->start, own->count)) ||
	       (joined && vg_proc_map_within(um, joined->start, joined->count));
	g_ok = (own && vg_proc_map_within(gm, own->start, own->count)) ||
	       (joined && vg_proc_map_within(gm, joined->start, joined->count));
	if (!u_ok || !g_ok) {
		_cleanup_free_ char *t = vg_proc_map_text(u_ok ? gm : um);
		ct->live_escape_map = vg_asprintf("%s %s", u_ok ? "gid_map" : "uid_map", t);
		ct->live_escape_pid = pid;
	}
}

/* One process: whose container is it, and are its UIDs inside a range? */
static void live_one(struct audit_ctx *x, int proc_fd, const char *pid_name)
{
	_cleanup_close_ int pid_fd =
	    openat(proc_fd, pid_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char cg[PROC_READ_MAX] = ""; /* zeroed: every byte the scan may read is defined */
	struct audit_ct *ct;
	uint64_t uids[4];

	if (pid_fd < 0 || vg_read_proc_file(pid_fd, "cgroup", cg, sizeof(cg)) <= 0)
		return; /* gone, or a kernel thread's empty file */
	ct = cgroup_container(x, cg);
	if (!ct || !proc_uids(pid_fd, uids))
		return;
	ct->live_procs++;
	live_userns(x, ct, pid_fd, strtol(pid_name, NULL, 10));
	for (int k = 0; k < 4; k++)
		if (!ct->live_outside && !vg_registry_find_id(&x->reg, uids[k])) {
			ct->live_outside = true;
			ct->live_pid = strtol(pid_name, NULL, 10);
			ct->live_uid = uids[k];
		}
}

/* One pass over /proc for all containers: Docker's State.Running may be stale (a crashed
 * daemon) and says nothing of processes that `docker exec` added. */
void audit_live_index(struct audit_ctx *x)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int fd;

	if (x->n_cts == 0)
		return;
	fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
			live_one(x, dirfd(d), de->d_name);
}

void audit_live(struct audit_ctx *x, const struct audit_ct *ct)
{
	const char *name = ct->ct.name ? ct->ct.name : ct->dir;
	const struct vg_range *rg;
	struct vg_audit_finding *f;

	/* Only where volguard is the policy, and where the registry could be read: otherwise
	 * every container would be "outside every range". Exempt containers opted out. */
	if (!ct->live_outside || ct->exempt || !x->reg_ok ||
	    !(x->vg_policy || ct->through_volguard))
		return;
	rg = ct->ct.name ? vg_registry_find(&x->reg, ct->ct.name) : NULL;
	f = audit_add(x, "VG-ISO-006", VG_SUBJ_CONTAINER, name, ct->ct.id,
		      "container is running as host UID %llu, outside every volguard range: %s",
		      (unsigned long long)ct->live_uid,
		      rg		     ? "it runs outside the range of its own name"
		      : ct->through_volguard ? "its range was released while it ran"
					     : "it was never given one");
	audit_ev(f, "pid", "%ld", ct->live_pid);
	audit_ev(f, "host_uid", "%llu", (unsigned long long)ct->live_uid);
	audit_ev(f, "processes", "%zu", ct->live_procs);
	audit_ev(f, "runtime", "%s", ct->ct.runtime ? ct->ct.runtime : "(daemon default)");
	audit_remedy(f,
		     "docker restart %s (volguard gives it a range again), then check the files it "
		     "wrote as host UID %llu",
		     name, (unsigned long long)ct->live_uid);
}
