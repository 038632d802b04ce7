/* The state JSON an OCI runtime gives a hook on stdin (runtime-spec "State"). */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "cleanup.h"
#include "hookstate.h"

int vg_hook_state_parse(const char *buf, size_t len, struct vg_hook_state *st, struct vg_error *e)
{
	_cleanup_json_ json_t *j = NULL;
	json_error_t je;
	json_t *v;

	memset(st, 0, sizeof(*st));
	if (len > VG_HOOK_STATE_MAX_SIZE)
		return vg_error_set(e, EFBIG, "state: more than %d bytes", VG_HOOK_STATE_MAX_SIZE);
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return vg_error_set(e, EINVAL, "state: line %d: %s", je.line, je.text);
	if (!json_is_object(j))
		return vg_error_set(e, EINVAL, "state: not a JSON object");
	v = json_object_get(j, "id");
	if (!json_is_string(v) || !*json_string_value(v))
		return vg_error_set(e, EINVAL, "state: field 'id': missing or not a string");
	st->id = vg_strdup(json_string_value(v));
	v = json_object_get(j, "bundle");
	if (!json_is_string(v) || json_string_value(v)[0] != '/')
		return vg_error_set(e, EINVAL,
				    "state: field 'bundle': missing or not an absolute path");
	st->bundle = vg_strdup(json_string_value(v));
	v = json_object_get(j, "pid");
	if (!json_is_integer(v) || json_integer_value(v) <= 0 || json_integer_value(v) > INT_MAX)
		return vg_error_set(
		    e, EINVAL,
		    "state: field 'pid': missing or not a process ID (the hook runs "
		    "at the createRuntime or prestart stage)");
	st->pid = (pid_t)json_integer_value(v);
	v = json_object_get(j, "annotations");
	if (v && !json_is_object(v) && !json_is_null(v))
		return vg_error_set(e, EINVAL, "state: field 'annotations': not an object");
	return 0;
}

void vg_hook_state_free(struct vg_hook_state *st)
{
	free(st->id);
	free(st->bundle);
	memset(st, 0, sizeof(*st));
}
