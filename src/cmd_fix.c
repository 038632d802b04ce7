/* volguard fix [--dry-run] [--shift-from BASE | --to-idmap] [--json] [--all | VOLUME...] */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cmd.h"
#include "log.h"
#include "volume.h"

#define MAX_LISTED 100 /* entries listed per volume and kind; the summary counts them all */

static void help(void)
{
	puts("Usage: volguard fix [--dry-run] [--shift-from BASE | --to-idmap] [--json]\n"
	     "                    [--all | VOLUME...]\n\n"
	     "Apply each volume's policy to everything below its _data: the members' ACL\n"
	     "entries (access on all, default on directories), the mask, _data's owner and\n"
	     "mode. Members come from what volguard recorded, else the [volume] declaration,\n"
	     "else Docker's container files (then they are recorded). Never follows a\n"
	     "symlink, never enters another mount, never changes hard-linked files or\n"
	     "devices (they are reported). The stamp is written after a complete pass.\n\n"
	     "  -n, --dry-run         change nothing; list what would change\n"
	     "  -s, --shift-from BASE move owners in [BASE, BASE+range_size) into the owner's\n"
	     "                        range (shared volume: the first member's); setuid and\n"
	     "                        setgid bits of moved files are cleared; a volume in\n"
	     "                        the idmap model goes back to the shift model\n"
	     "  -I, --to-idmap        convert to the idmap model (userns mode): owners and\n"
	     "                        ACL entries inside a registered range become\n"
	     "                        container-relative, the stamp goes, the model mark is\n"
	     "                        written last; nothing else of the ACLs changes\n"
	     "  -j, --json            print a JSON report on stdout\n"
	     "  -a, --all             every volume under volumes_root (those that are not\n"
	     "                        volguard's, with driver options, are skipped)\n"
	     "      --jobs N          threads for the subdirectories of _data (default: the\n"
	     "                        number of CPUs, at most 8)\n\n"
	     "Without --to-idmap or --shift-from, a volume in the idmap model is refused\n"
	     "(skipped with --all): the shift policy would undo it.\n\n"
	     "Exit status: 0 done, 1 some entry failed (no stamp written), 2 error.");
}

struct ctx {
	bool json, tty, dry_run;
	size_t listed[4];
	json_t *jvol;		     /* the current volume's report */
	struct timespec last, start; /* last progress line; start of the current volume */
	bool progress_shown;
};

static const char *kind_name(enum vg_fix_event_kind k)
{
	static const char *const names[] = { "changes", "skipped", "errors", "notes" };
	return names[k];
}

static void on_event(const struct vg_fix_event *ev, void *data)
{
	struct ctx *x = data;
	const char *path = ev->path ? ev->path : ".";

	if (x->listed[ev->kind]++ >= MAX_LISTED)
		return;
	if (x->json) {
		json_t *arr = json_object_get(x->jvol, kind_name(ev->kind));
		if (!arr) {
			arr = json_array();
			json_object_set_new(x->jvol, kind_name(ev->kind), arr);
		}
		json_array_append_new(
		    arr, ev->path ? json_pack("{s:s,s:s}", "path", path, "what", ev->msg)
				  : json_string(ev->msg));
		return;
	}
	if (x->progress_shown) {
		fputs("\r\033[K", stderr);
		x->progress_shown = false;
	}
	switch (ev->kind) {
	case VG_FIX_CHANGE:
		if (x->dry_run) {
			/* File names are the containers' to choose: escaped like every message. */
			_cleanup_free_ char *safe = vg_escape(path);
			printf("%s/_data/%s: %s\n", ev->volume, safe, ev->msg);
		} else
			vg_log_debug("%s/_data/%s: %s", ev->volume, path, ev->msg);
		break;
	case VG_FIX_SKIP:
		vg_log_warn("%s/_data/%s: %s", ev->volume, path, ev->msg);
		break;
	case VG_FIX_ERROR:
		vg_log_error("%s/_data/%s: %s", ev->volume, path, ev->msg);
		break;
	case VG_FIX_NOTE:
		vg_log_info("%s: %s", ev->volume, ev->msg);
		break;
	}
}

static void on_progress(const char *volume, const struct vg_fix_stats *st, void *data)
{
	struct ctx *x = data;
	struct timespec now;
	double el;

	if (!x->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - x->last.tv_sec) * 1000000000L + (now.tv_nsec - x->last.tv_nsec) <
	    500000000L)
		return;
	x->last = now;
	el =
	    (double)(now.tv_sec - x->start.tv_sec) + (double)(now.tv_nsec - x->start.tv_nsec) / 1e9;
	fprintf(stderr, "\r\033[K%s: %llu entries, %.0f/s", volume, (unsigned long long)st->seen,
		el > 0 ? (double)st->seen / el : 0.0);
	x->progress_shown = true;
}

static json_t *stats_json(const struct vg_fix_stats *s)
{
	return json_pack("{s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I}}", "entries", (json_int_t)s->seen,
			 "changed", (json_int_t)s->changed, "errors", (json_int_t)s->errors,
			 "skipped", "symlinks", (json_int_t)s->symlinks, "hardlinks",
			 (json_int_t)s->hardlinks, "devices", (json_int_t)s->devices, "mounts",
			 (json_int_t)s->mounts, "foreign_owner", (json_int_t)s->foreign);
}

static void print_summary(const char *what, const struct vg_fix_stats *s, bool dry_run,
			  const char *tail)
{
	if (vg_log_level < VG_LOG_NORMAL)
		return;
	printf("%s: %llu entries, %llu %s, %llu errors; left alone: %llu symlinks, %llu "
	       "hard links, %llu devices, %llu mounts, %llu foreign owners%s\n",
	       what, (unsigned long long)s->seen, (unsigned long long)s->changed,
	       dry_run ? "to change" : "changed", (unsigned long long)s->errors,
	       (unsigned long long)s->symlinks, (unsigned long long)s->hardlinks,
	       (unsigned long long)s->devices, (unsigned long long)s->mounts,
	       (unsigned long long)s->foreign, tail);
}

int cmd_fix(int argc, char **argv, struct vg_config *c)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "shift-from", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ "jobs", required_argument, NULL, 'J' },
		{ "to-idmap", no_argument, NULL, 'I' },
		{ 0 },
	};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t jobs = ncpu > 0 ? (uint64_t)ncpu : 1;
	struct vg_fix_opts fo = { 0 };
	struct vg_fix_stats total = { 0 };
	struct ctx x = { 0 };
	_cleanup_json_ json_t *report = NULL;
	char **names = NULL;
	bool all = false, failed = false, broken = false, to_idmap = false;
	int o;

	while ((o = getopt_long(argc, argv, "ns:jahI", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			fo.dry_run = true;
			break;
		case 's':
			if (vg_parse_u64(optarg, UINT32_MAX - 1, &fo.shift_from) < 0)
				return vg_cmd_usage_error("fix",
							  "--shift-from: '%.100s' is not a "
							  "host ID",
							  optarg);
			fo.shift = true;
			break;
		case 'j':
			x.json = true;
			break;
		case 'a':
			all = true;
			break;
		case 'I':
			to_idmap = true;
			break;
		case 'J':
			if (vg_parse_u64(optarg, 8, &jobs) < 0 || jobs == 0)
				return vg_cmd_usage_error("fix", "--jobs: '%.100s' is not 1 to 8",
							  optarg);
			break;
		case 'h':
			help();
			return 0;
		default:
			return vg_cmd_bad_option("fix", argv);
		}
	}
	if (to_idmap && fo.shift)
		return vg_cmd_usage_error("fix", "--to-idmap and --shift-from go opposite ways");
	if (all == (optind < argc))
		return vg_cmd_usage_error("fix", "give --all or VOLUME names (not both)");
	for (int i = optind; i < argc; i++)
		if (!vg_name_valid(argv[i]))
			return vg_cmd_usage_error("fix", "'%.300s' is not a valid volume name",
						  argv[i]);
	if (all) {
		struct vg_error err = { 0 };
		if (vg_volume_list(c, &names, &err) < 0)
			return vg_print_error(&err);
	} else
		for (int i = optind; i < argc; i++)
			vg_strv_push(&names, argv[i]);

	fo.jobs = (unsigned)jobs;
	x.dry_run = fo.dry_run;
	x.tty = !x.json && isatty(STDERR_FILENO);
	fo.event = on_event;
	fo.progress = on_progress;
	fo.data = &x;
	report = json_pack("{s:b,s:[]}", "dry_run", fo.dry_run, "volumes");
	for (size_t i = 0; names && names[i]; i++) {
		struct vg_fix_stats st = { 0 };
		struct vg_error err = { 0 };
		int r;

		memset(x.listed, 0, sizeof(x.listed));
		x.jvol = json_pack("{s:s}", "name", names[i]);
		clock_gettime(CLOCK_MONOTONIC, &x.start);
		r = to_idmap ? vg_volume_to_idmap(c, names[i], &fo, &st, &err)
			     : vg_volume_fix(c, names[i], &fo, &st, &err);
		if (x.progress_shown) {
			fputs("\r\033[K", stderr);
			x.progress_shown = false;
		}
		if (r < 0 && all && (st.not_ours || st.idmap)) {
			/* --all: a volume that is not volguard's, or one in the idmap model, is
			 * skipped, said, not a failure. */
			if (x.json)
				json_object_set_new(x.jvol, "skipped", json_string(err.msg));
			else
				vg_log_warn("%s: skipped: %s", names[i], err.msg);
		} else if (r < 0) {
			if (err.code == VG_EREFUSED)
				failed = true; /* a refusal (exit 1), like _data being a symlink */
			else
				broken = true;
			if (x.json)
				json_object_set_new(x.jvol, "error", json_string(err.msg));
			else
				vg_log_error("%s", err.msg);
		} else {
			if (st.errors > 0)
				failed = true;
			if (!x.json)
				print_summary(
				    names[i], &st, fo.dry_run,
				    fo.dry_run ? ""
				    : to_idmap ? (st.stamped ? "; idmap model" : "; not converted")
				    : st.stamped ? "; stamped"
						 : "; not stamped");
		}
		vg_fix_stats_add(&total, &st);
		json_object_set_new(x.jvol, "stats", stats_json(&st));
		json_object_set_new(x.jvol, "root_changed", json_boolean(st.root_changed));
		json_object_set_new(x.jvol, "stamped", json_boolean(st.stamped));
		if (to_idmap)
			json_object_set_new(x.jvol, "model",
					    json_string(st.stamped ? "idmap" : "shift"));
		json_array_append_new(json_object_get(report, "volumes"), x.jvol);
	}
	if (x.json) {
		json_object_set_new(report, "total", stats_json(&total));
		json_dumpf(report, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (vg_strv_length(names) > 1)
		print_summary("total", &total, fo.dry_run, "");
	vg_strv_free(names);
	return broken ? VG_EXIT_ERROR : failed ? VG_EXIT_REFUSED : VG_EXIT_OK;
}
