/* Placeholder until the runtime issue lands: refuses clearly instead of pretending. */
#include "cmd.h"
#include "log.h"

int cmd_runtime(int argc, char **argv)
{
	vg_log_error("volguard-runc is not implemented yet");
	return VG_EXIT_ERROR;
}
