/* runc's command line as volguard-runc reads it (src/runcargs.c). */
#pragma once
#include "vg.h"

struct runc_args {
	const char *config; /* our --config (or $VOLGUARD_CONFIG), NULL for the default */
	char **argv;	    /* runc's arguments: ours removed, NULL-terminated */
	int argc;
	const char *root; /* runc's --root (its state dir), NULL for runc's default */
	const char *log;  /* runc's --log */
	const char *log_format;
	int cmd;	    /* index of the command in argv, -1 if none was found */
	const char *bundle; /* create --bundle, NULL for the current directory */
	const char *id;	    /* create's container ID */
};

/*
 * Split our options (--config FILE, or $VOLGUARD_CONFIG) from runc's and find runc's command
 * and --log/--log-format. Never fails: what it cannot understand is runc's to judge; a->cmd is
 * -1 when no command was found. a->argv points into argv.
 */
void vg_runc_args_parse(int argc, char **argv, struct runc_args *a);
/* create (or run) [OPTIONS] ID: --bundle and the ID; an unknown option is an error (-EINVAL). */
int vg_runc_args_create(struct runc_args *a, struct vg_error *e);
/* exec [OPTIONS] ID [COMMAND...]: the ID and --process FILE (NULL when not given). */
int vg_runc_args_exec(struct runc_args *a, const char **ret_process, struct vg_error *e);
