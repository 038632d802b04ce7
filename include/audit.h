/*
 * volguard audit (issue 6): the host's container isolation, read from its own files (Docker's
 * container and volume directories, daemon.json, the registry, subuid/subgid, NSS), with dockerd
 * running or stopped. Nothing is changed. The result is a list of findings, each with a stable
 * ID (the catalogue is vg_audit_catalogue, documented in volguard(8)), a severity, the subject,
 * the evidence and the remedy phrased as a command.
 */
#pragma once
#include "audit_finding.h" /* the findings, their catalogue and severities */
#include "config.h"
#include "vg.h"

/* Examine the host. Returns 0 (findings in *a, even for unreadable inputs), or -errno on a
 * failure that stops the audit itself (out of memory). */
int vg_audit_run(const struct vg_config *c, const struct vg_audit_opts *o, struct vg_audit *a,
		 struct vg_error *e);
