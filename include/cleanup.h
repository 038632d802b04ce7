/* Scope-bound cleanup, after systemd and bubblewrap. */
#pragma once
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/acl.h>
#include <jansson.h>

static inline void vg_freep(void *p)
{
	free(*(void **)p);
}
static inline void vg_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void vg_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
static inline void vg_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}
static inline void vg_acl_freep(acl_t *a)
{
	if (*a)
		acl_free(*a);
}
static inline void vg_json_decrefp(json_t **j)
{
	if (*j)
		json_decref(*j);
}

#define _cleanup_(f)	   __attribute__((cleanup(f)))
#define _cleanup_free_	   _cleanup_(vg_freep)
#define _cleanup_close_	   _cleanup_(vg_closep)
#define _cleanup_fclose_   _cleanup_(vg_fclosep)
#define _cleanup_closedir_ _cleanup_(vg_closedirp)
#define _cleanup_acl_	   _cleanup_(vg_acl_freep)
#define _cleanup_json_	   _cleanup_(vg_json_decrefp)

/* Hand ownership out of a cleanup-guarded variable. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _p = (p);                                                            \
		(p) = NULL;                                                                        \
		_p;                                                                                \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _fd = (fd);                                                                    \
		(fd) = -1;                                                                         \
		_fd;                                                                               \
	})
