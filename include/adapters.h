/* The three inputs that become a vg_container (issue 4), used by check, the runtime, audit. */
#pragma once
#include <jansson.h>

#include "config.h"
#include "container.h"
#include "docker.h"
#include "vg.h"

#define VG_JSON_MAX_SIZE (64 * 1024 * 1024)

/* An OCI runtime spec (config.json, or a bundle directory holding one). *ret_spec (optional)
 * gets the parsed document, for the runtime to rewrite. Field-level errors: "mounts[3].source". */
int vg_oci_load(const char *config_or_bundle, struct vg_container *ct, json_t **ret_spec,
		struct vg_error *e);
int vg_oci_parse(json_t *spec, const char *what, struct vg_container *ct, struct vg_error *e);

/* Docker's on-disk containers: docker.h. */

/* A `docker run` command line (the arguments after "run"), parsed as the docker CLI does. */
int vg_dockerargs_parse(int argc, char *const *argv, struct vg_container *ct, struct vg_error *e);
