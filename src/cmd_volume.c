/* volguard volume create|share|revoke|show */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cmd.h"
#include "identity.h"
#include "log.h"
#include "volume.h"

static void help(void)
{
	puts("Usage: volguard volume create NAME --owner CONTAINER\n"
	     "       volguard volume share NAME CONTAINER[:ro]...\n"
	     "       volguard volume revoke NAME CONTAINER\n"
	     "       volguard volume show NAME [--json]\n\n"
	     "Lay out <volumes_root>/NAME/_data the way Docker's local driver does and keep it\n"
	     "reachable by exactly its members. One member: private (_data owned by its\n"
	     "principal UID/GID, mode 0700, no ACL). Two or more: shared (_data root:root\n"
	     "0770, an ACL entry per member, rwx or r-x for :ro, and the same default ACL on\n"
	     "every directory). A member's principal is the start of its range (allocated\n"
	     "if it has none).\n\n"
	     "  create   make (or adopt) the volume, private to CONTAINER; the content of an\n"
	     "           existing volume is left to 'volguard fix'\n"
	     "  share    add members and apply the policy to the whole tree\n"
	     "  revoke   remove a member and its ACL entries everywhere in the tree\n"
	     "  show     members, principals, _data's owner, mode and ACL, and whether the\n"
	     "           tree matches the policy (a read-only walk: ACLs, and owners outside\n"
	     "           every member's range)\n\n"
	     "A volume in the idmap model (userns mode: trusted.volguard.model) keeps its\n"
	     "owners container-relative: create, share and revoke only change its record, and\n"
	     "show judges its owners against 0..range_size-1.\n\n"
	     "A volume with driver options (-o type=/o=/device=: bind, tmpfs, nfs...) or whose\n"
	     "_data is another mount is not volguard's: every subcommand refuses it and says why.");
}

static int report_walk(const char *volume, const struct vg_fix_stats *st)
{
	if (st->idmap) {
		vg_log_info("volume '%s': idmap model: membership recorded, nothing below it "
			    "changed (owners stay container-relative)",
			    volume);
		return 0;
	}
	vg_log_info("volume '%s': _data %s, %llu entries below it checked, %llu changed%s", volume,
		    st->root_changed ? "changed" : "already right", (unsigned long long)st->seen,
		    (unsigned long long)st->changed, st->stamped ? "" : " (content left to fix)");
	return 0;
}

static int do_create(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = { { "owner", required_argument, NULL, 'o' },
					      { "help", no_argument, NULL, 'h' },
					      { 0 } };
	struct vg_fix_stats st = { 0 };
	struct vg_error err = { 0 };
	const char *owner = NULL;
	int o;

	while ((o = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (o) {
		case 'o':
			owner = optarg;
			break;
		case 'h':
			help();
			return 0;
		default:
			return vg_cmd_bad_option("volume", argv);
		}
	}
	if (optind + 1 != argc || !owner)
		return vg_cmd_usage_error("volume", "usage: volume create NAME --owner CONTAINER");
	if (!vg_name_valid(argv[optind]) || !vg_identity_valid(owner))
		return vg_cmd_usage_error("volume", "'%.300s' is not a valid name",
					  vg_identity_valid(owner) ? argv[optind] : owner);
	if (vg_volume_create(c, argv[optind], owner, &st, &err) < 0)
		return vg_print_error(&err);
	return report_walk(argv[optind], &st);
}

static int do_share(int argc, char **argv, struct vg_config *c)
{
	_cleanup_free_ struct vg_member *add = NULL;
	struct vg_fix_stats st = { 0 };
	struct vg_error err = { 0 };
	size_t n = 0;
	char *p;

	if (argc < 3)
		return vg_cmd_usage_error("volume", "usage: volume share NAME CONTAINER[:ro]...");
	if (!vg_name_valid(argv[1]))
		return vg_cmd_usage_error("volume", "'%.300s' is not a valid volume name", argv[1]);
	add = vg_reallocarray(NULL, (size_t)argc, sizeof(*add));
	for (int i = 2; i < argc; i++) {
		p = strchr(argv[i], ':');
		if (p && strcmp(p, ":ro") != 0 && strcmp(p, ":rw") != 0)
			return vg_cmd_usage_error("volume",
						  "'%.300s': expected CONTAINER, "
						  "CONTAINER:ro or CONTAINER:rw",
						  argv[i]);
		add[n].ro = p && strcmp(p, ":ro") == 0;
		if (p)
			*p = '\0';
		if (!vg_identity_valid(argv[i]))
			return vg_cmd_usage_error(
			    "volume", "'%.300s' is not a valid container name", argv[i]);
		add[n].uid = add[n].gid = UINT32_MAX; /* not known yet */
		add[n++].name = argv[i];
	}
	if (vg_volume_share(c, argv[1], add, n, &st, &err) < 0)
		return vg_print_error(&err);
	return report_walk(argv[1], &st);
}

static int do_revoke(int argc, char **argv, struct vg_config *c)
{
	struct vg_fix_stats st = { 0 };
	struct vg_error err = { 0 };

	if (argc != 3)
		return vg_cmd_usage_error("volume", "usage: volume revoke NAME CONTAINER");
	if (!vg_name_valid(argv[1]) || !vg_identity_valid(argv[2]))
		return vg_cmd_usage_error("volume", "not a valid name");
	if (vg_volume_revoke(c, argv[1], argv[2], &st, &err) < 0)
		return vg_print_error(&err);
	return report_walk(argv[1], &st);
}

static const char *policy_name(const struct vg_volume_status *s)
{
	return s->members.n == 0 ? "none" : s->members.n == 1 ? "private" : "shared";
}

static int do_show(int argc, char **argv, struct vg_config *c)
{
	struct vg_volume_status s;
	struct vg_error err = { 0 };
	bool json = false, matches;
	const char *name = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (!name)
			name = argv[i];
		else
			return vg_cmd_usage_error("volume", "usage: volume show NAME [--json]");
	}
	if (!name || !vg_name_valid(name))
		return vg_cmd_usage_error("volume", "usage: volume show NAME [--json]");
	if (vg_volume_status(c, name, &s, &err) < 0) {
		vg_volume_status_free(&s);
		return vg_print_error(&err);
	}
	matches = s.root_ok && s.differ == 0 && s.errors == 0;
	if (json) {
		_cleanup_json_ json_t *j = json_pack(
		    "{s:s,s:s,s:s,s:[],s:{s:I,s:I,s:s,s:s?,s:s?},s:b,s:b,s:I,s:b}", "name", name,
		    "policy", policy_name(&s), "members_source", vg_members_source_name(s.source),
		    "members", "data", "uid", (json_int_t)s.data_uid, "gid", (json_int_t)s.data_gid,
		    "mode", "", "acl", s.data_acl, "default_acl", s.data_dflt, "stamp_ok",
		    s.stamp_ok, "root_ok", s.root_ok, "entries_differ", (json_int_t)s.differ,
		    "matches", matches);
		json_object_set_new(j, "entries_foreign_owner",
				    json_integer((json_int_t)s.foreign));
		json_object_set_new(j, "owners_judged", json_boolean(s.owners_known));
		json_object_set_new(j, "model", json_string(vg_volume_model_name(s.model)));
		char mode[8];
		snprintf(mode, sizeof(mode), "%04o", s.data_mode);
		json_object_set_new(json_object_get(j, "data"), "mode", json_string(mode));
		for (size_t i = 0; i < s.members.n; i++)
			json_array_append_new(
			    json_object_get(j, "members"),
			    s.members.v[i].uid == UINT32_MAX
				? json_pack("{s:s,s:s,s:n}", "name", s.members.v[i].name, "mode",
					    s.members.v[i].ro ? "ro" : "rw", "principal")
				: json_pack("{s:s,s:s,s:{s:I,s:I}}", "name", s.members.v[i].name,
					    "mode", s.members.v[i].ro ? "ro" : "rw", "principal",
					    "uid", (json_int_t)s.members.v[i].uid, "gid",
					    (json_int_t)s.members.v[i].gid));
		json_dumpf(j, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		printf("volume:  %s (%s)\n", name, policy_name(&s));
		printf("model:   %s\n",
		       s.model == VG_MODEL_IDMAP
			   ? "idmap (userns mode: mounted idmapped, owners container-relative)"
			   : "shift (owners host-shifted, ACLs)");
		printf("members: (%s)\n", vg_members_source_name(s.source));
		for (size_t i = 0; i < s.members.n; i++) {
			if (s.members.v[i].uid == UINT32_MAX)
				printf("  %-20s %s  principal unknown (no range yet)\n",
				       s.members.v[i].name, s.members.v[i].ro ? "ro" : "rw");
			else
				printf("  %-20s %s  principal %u:%u\n", s.members.v[i].name,
				       s.members.v[i].ro ? "ro" : "rw", s.members.v[i].uid,
				       s.members.v[i].gid);
		}
		printf("_data:   owner %u:%u mode %04o%s\n", s.data_uid, s.data_gid, s.data_mode,
		       s.root_ok ? "" : " (does not match the policy)");
		printf("acl:     %s\n", s.data_acl ? s.data_acl : "none");
		printf("default: %s\n", s.data_dflt ? s.data_dflt : "none");
		if (s.model != VG_MODEL_IDMAP)
			printf("stamp:   %s\n",
			       s.stamp_ok ? "matches the policy" : "missing or stale");
		if (s.model == VG_MODEL_IDMAP && s.foreign == 0 && s.errors == 0)
			printf("tree:    every owner is container-relative (walked)\n");
		else if (s.model == VG_MODEL_IDMAP)
			printf(
			    "tree:    %llu entries are owned by IDs at or above range_size: "
			    "members "
			    "see them as nobody%s; 'volguard fix --to-idmap %s' moves registered "
			    "ranges' IDs\n",
			    (unsigned long long)s.foreign, s.errors ? " (some unreadable)" : "",
			    name);
		else if (matches && s.owners_known)
			printf("tree:    matches the policy (walked: owners, ACLs)\n");
		else if (matches)
			printf("tree:    ACLs match the policy (walked); owners not judged: a "
			       "member has no range\n");
		else
			printf("tree:    %llu entries differ from the policy%s; run 'volguard fix "
			       "%s'\n",
			       (unsigned long long)s.differ, s.errors ? " (some unreadable)" : "",
			       name);
		if (s.foreign && s.model != VG_MODEL_IDMAP)
			printf("owners:  %llu entries belong to IDs outside every member's range "
			       "(fix keeps them; 'fix --shift-from BASE' moves a range in)\n",
			       (unsigned long long)s.foreign);
	}
	vg_volume_status_free(&s);
	return 0;
}

int cmd_volume(int argc, char **argv, struct vg_config *c)
{
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		help();
		return 0;
	}
	if (argc < 2)
		return vg_cmd_usage_error("volume", "expected create, share, revoke or show");
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			help();
			return 0;
		}
	if (strcmp(argv[1], "create") == 0)
		return do_create(argc - 1, argv + 1, c);
	if (strcmp(argv[1], "share") == 0)
		return do_share(argc - 1, argv + 1, c);
	if (strcmp(argv[1], "revoke") == 0)
		return do_revoke(argc - 1, argv + 1, c);
	if (strcmp(argv[1], "show") == 0)
		return do_show(argc - 1, argv + 1, c);
	return vg_cmd_usage_error("volume", "unknown subcommand '%.100s'", argv[1]);
}
