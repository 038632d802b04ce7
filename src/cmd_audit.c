/* Placeholder until its issue lands: refuses clearly instead of pretending. */
#include "cmd.h"
#include "log.h"

int cmd_audit(int argc, char **argv, struct vg_config *c)
{
	vg_log_error("'audit' is not implemented yet");
	return VG_EXIT_ERROR;
}
