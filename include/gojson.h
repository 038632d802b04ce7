/*
 * JSON lookups as the Go programs that read the same files do them (runc, dockerd): object
 * keys match case-insensitively, null is "absent". Errors name the field: "mounts[3].source".
 */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "vg.h"

/*
 * *ret = obj's member `key` as Go's encoding/json finds it (ASCII case folding, U+017F as 's',
 * U+212A as 'k'); NULL when absent or null. Two members that fold to the same key are refused:
 * Go would take the last, a reader taking the first would judge another value.
 */
int vg_json_get(json_t *obj, const char *key, json_t **ret, const char *what, struct vg_error *e);
/* The key of obj that Go's decoder reads as field `key`: the exact one, else the one that
 * folds to it; NULL when there is none. Valid until obj's member changes. */
const char *vg_json_key(json_t *obj, const char *key);
/* obj's member read as field `key` (vg_json_key), or NULL. No duplicate check. */
json_t *vg_json_member(json_t *obj, const char *key);
/* Set field `key` of obj under the key Go reads (vg_json_key), never a second spelling; steals
 * value. */
int vg_json_set_new(json_t *obj, const char *key, json_t *value);

/*
 * The shape of a Go-decoded document: which objects are maps (their keys are data, matched
 * exactly, never folded). Paths are folded ("linux.resources.unified"), without array
 * indices, "*" for a map's keys. Every other object is a struct.
 */
struct vg_json_case_rules {
	const char *root;		/* path of doc itself ("" or "process") */
	const char *const *string_maps; /* NULL-terminated: skipped with all they hold */
	const char *const *struct_maps; /* NULL-terminated: keys not checked, values are */
};
/*
 * VG_EREFUSED naming the path ("process: \"user\" and \"User\" differ only in case") when a
 * struct-typed object holds two keys Go matches to one field, or a key whose matching depends
 * on the Go version (U+0130, U+0131).
 */
int vg_json_check_case(json_t *doc, const struct vg_json_case_rules *rules, struct vg_error *e);
/* Typed getters: absent/null leaves *ret unchanged and returns 0; wrong type is -EINVAL. */
int vg_json_get_string(json_t *obj, const char *key, const char **ret, const char *what,
		       struct vg_error *e);
int vg_json_get_bool(json_t *obj, const char *key, bool *ret, const char *what, struct vg_error *e);
/* An integer member; *ret 0 when it is absent or null. */
int vg_json_get_i64(json_t *obj, const char *key, int64_t *ret, const char *what,
		    struct vg_error *e);
int vg_json_get_u32(json_t *obj, const char *key, uint32_t *ret, bool *found, const char *what,
		    struct vg_error *e);
/* Typed containers: absent/null gives NULL. */
int vg_json_get_array(json_t *obj, const char *key, json_t **ret, const char *what,
		      struct vg_error *e);
int vg_json_get_object(json_t *obj, const char *key, json_t **ret, const char *what,
		       struct vg_error *e);
/* Read a JSON document from an open file descriptor (regular file, at most max bytes). */
int vg_json_load_fd(int fd, size_t max, const char *what, json_t **ret, struct vg_error *e);
/* Parse a buffer (for fuzzers and the loader). */
int vg_json_load_buf(const char *buf, size_t len, const char *what, json_t **ret,
		     struct vg_error *e);
/* Append the strings of array a (NULL: nothing) to *out; "what[3]: not a string". */
int vg_json_string_array(json_t *a, const char *what, char ***out, struct vg_error *e);
