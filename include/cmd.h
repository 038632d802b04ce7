/* Commands: one file each (src/cmd_*.c), thin: parse options, call modules, report. */
#pragma once
#include "config.h"

/* argv[0] is the command name; getopt state is reset before the call. Returns an exit code. */
typedef int (*vg_cmd_fn)(int argc, char **argv, struct vg_config *c);

int cmd_alloc(int argc, char **argv, struct vg_config *c);
int cmd_release(int argc, char **argv, struct vg_config *c);
int cmd_list(int argc, char **argv, struct vg_config *c);
int cmd_import(int argc, char **argv, struct vg_config *c);
int cmd_gc(int argc, char **argv, struct vg_config *c);
int cmd_volume(int argc, char **argv, struct vg_config *c);
int cmd_fix(int argc, char **argv, struct vg_config *c);
int cmd_check(int argc, char **argv, struct vg_config *c);
int cmd_prestart(int argc, char **argv, struct vg_config *c);
int cmd_audit(int argc, char **argv, struct vg_config *c);
/*
 * volguard-runc: dockerd's runtime. Called with the whole argv (argv[0] "volguard-runc" or
 * "runtime") before any config is read: it parses its own --config and hands every command but
 * `create` to runc at once.
 */
int cmd_runtime(int argc, char **argv);

/* True when an option argument asks for help ("-h", "--help"). */
int vg_cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* getopt returned '?': the option it could not take, named (escaped) in a usage error. getopt's
 * own messages are off (opterr = 0): they would print the argument raw. */
int vg_cmd_bad_option(const char *cmd, char **argv);
