/* Reporting: only commands (main.c and cmd_*.c) print; modules fill a vg_error. */
#pragma once
#include "vg.h"

enum vg_log_level { VG_LOG_QUIET = 0, VG_LOG_NORMAL = 1, VG_LOG_VERBOSE = 2 };
extern int vg_log_level;

/* "volguard: " + message on stderr. Errors always print; info respects -q; debug needs -v. */
void vg_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vg_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vg_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void vg_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print e->msg as an error and return the exit code for it (1 for VG_EREFUSED refusals, else 2). */
int vg_print_error(const struct vg_error *e);
