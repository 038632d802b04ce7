/* The audit's reports (src/audit_render.c); the command prints them. */
#pragma once
#include <jansson.h>
#include <stdbool.h>

#include "audit_finding.h"
#include "config.h"

#define VG_AUDIT_SCHEMA_VERSION 1

/* One JSON document, or text grouped by subject. */
json_t *vg_audit_to_json(const struct vg_config *c, const struct vg_audit_opts *o,
			 const struct vg_audit *a);
char *vg_audit_to_text(const struct vg_audit *a, bool colour);
