/* Commands: one file each (src/cmd_*.c), thin: parse options, call modules, report. */
#pragma once
#include "cmderr.h" /* vg_cmd_usage_error, vg_cmd_bad_option */
#include "config.h"

/* argv[0] is the command name; getopt state is reset (optind = 0) and the command's privileges
 * taken before the call, its config loaded unless it was asked for --help. Returns an exit code. */
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
 * volguard-runc: dockerd's runtime. Called by main() with the whole argv (argv[0]
 * "volguard-runc" or "runtime") before any privilege or config is taken: it parses its own
 * --config, admits `create` and `run`, shifts `exec`, refuses `restore` and hands every other
 * command to runc (src/cmd_runtime.c says the rules).
 */
int cmd_runtime(int argc, char **argv);
