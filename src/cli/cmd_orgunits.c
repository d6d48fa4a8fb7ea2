/* cmd_orgunits.c: `pcmt orgunits import|list`: loads Vietnam's administrative units (pcmt's TSV or
 * the official JSON list) in one transaction, and lists units by parent and kind (in force on a
 * date). The reform's verbs (reform, history, search, reassign) live in cmd_reform.c.
 * The parsing and insertion live in src/demo/units.c, shared with `pcmt demo`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "demo/units.h"
#include "util/date.h"

static const char usage[] =
	"usage: pcmt orgunits import [--db URL] [--valid-from YYYY-MM-DD] FILE\n"
	"       pcmt orgunits list [--db URL] [--parent CODE] [--kind KIND] [--date YYYY-MM-DD]\n"
	"       pcmt orgunits reform [--db URL] --mapping FILE --effective YYYY-MM-DD [--dry-run]\n"
	"       pcmt orgunits history [--db URL] [--date YYYY-MM-DD] [--format table|json] CODE\n"
	"       pcmt orgunits search [--db URL] [--date YYYY-MM-DD] [--format table|json] TEXT\n"
	"       pcmt orgunits reassign [--db URL] [--orgunit CODE] [--format table|json]\n"
	"       pcmt orgunits reassign [--db URL] --person ID --to CODE\n\n"
	"reform    applies a reform mapping (../shared/data/vn-units-2025-07-01-merges.json, or\n"
	"          data/vn-units-2025-07-01.tsv): new units from --effective, old units closed the day\n"
	"          before with full/partial successor links, districts closed, residents of units that\n"
	"          went whole into one new unit moved there, residents of split units listed for\n"
	"          re-assignment. One transaction; refuses a mapping naming units that do not exist.\n"
	"          Applying it again changes nothing. --dry-run prints every change and writes none.\n"
	"history   the unit with CODE (in force on --date, default today) with the units it was formed\n"
	"          from and went into.\n"
	"search    units whose name has every word of TEXT, or whose code is TEXT, closed ones too,\n"
	"          with what they became (or were formed from) as seen on --date.\n"
	"reassign  lists persons awaiting re-assignment (their commune was split) with the candidate\n"
	"          units, under --orgunit CODE; with --person and --to, places one of them.\n"
	"import    loads administrative units from FILE: pcmt's TSV (data/vn-units-2025-03-01.tsv, see\n"
	"        docs/data.md) or the official JSON list as published (vn-units-2025-03-01.json:\n"
	"        data[] of provinces with level2s[] districts with level3s[] communes). Creates the\n"
	"        nation unit VN if missing, then provinces, districts and communes with their parents,\n"
	"        all in one transaction: on any error nothing is written. A unit whose code and kind\n"
	"        already exist is skipped, so importing again changes nothing. --valid-from sets the\n"
	"        date from which the added units are in force (default: open-ended).\n"
	"list    prints code, kind and name of the units under --parent CODE (its direct children)\n"
	"        and/or of --kind nation|province|district|commune, tab-separated; with --date, only\n"
	"        those in force on that date.\n\n"
	"The database is --db URL, or $PCMT_DB, or pcmt.db. Exit status 0 on success, 1 on error.\n";

static const char *const level_label[UNITS_LEVELS] = {"nation", "province", "district", "commune"};

static int do_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'}, {"valid-from", required_argument, 0, 'f'}, {0, 0, 0, 0}};
	const char *db = NULL, *path;
	struct ent_ctx ctx = {date_today()};
	struct units_counts cnt = {{0}, {0}};
	int32_t valid_from = DATE_NONE;
	struct pcmt_err err;
	struct store *s = NULL;
	char *buf = NULL;
	size_t len = 0;
	int c, rc = 1, in_tx = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else if (c == 'f' && date_parse(optarg, &valid_from) == 0)
			continue;
		else if (c == 'f')
			return cli_fail("orgunits", "--valid-from: not a date (YYYY-MM-DD)");
		else
			return cli_usage(&cmd_orgunits);
	}
	if (optind != argc - 1)
		return cli_usage(&cmd_orgunits);
	path = argv[optind];
	err_clear(&err);
	/* Read the file before touching the database, so a missing file creates nothing. */
	if (units_read_file(path, &buf, &len, &err))
		return cli_fail("orgunits", "%s", err.message);
	if (!(s = cli_open(cli_db(db), 1)))
		goto out;
	if (s->ops->begin(s, &err))
		goto fail;
	in_tx = 1;
	if (units_import(s, &ctx, buf, len, valid_from, &cnt, &err))
		goto fail;
	if (s->ops->commit(s, &err))
		goto fail;
	in_tx = 0;
	printf("%-10s %7s %7s\n", "kind", "added", "skipped");
	for (int l = 0; l < UNITS_LEVELS; l++)
		printf("%-10s %7d %7d\n", level_label[l], cnt.added[l], cnt.skipped[l]);
	rc = 0;
	goto out;
fail:
	if (in_tx)
		s->ops->rollback(s);
	cli_fail("orgunits", "%s: %s", path, err.message);
out:
	store_close(s);
	free(buf);
	return rc;
}

static const char *field(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

static int do_list(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},
					     {"parent", required_argument, 0, 'p'},
					     {"kind", required_argument, 0, 'k'},
					     {"date", required_argument, 0, 't'},
					     {0, 0, 0, 0}};
	const char *db = NULL, *parent = NULL, *kind = NULL;
	struct store_query q;
	struct ou_info oi;
	struct pcmt_err err;
	struct store *s = NULL;
	json_t *items = NULL, *it;
	int64_t total = 0;
	size_t i;
	int32_t date = DATE_NONE;
	int c, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:p:k:", opts, NULL)) != -1) {
		if (c == 't') {
			if (date_parse(optarg, &date))
				return cli_fail("orgunits", "--date: not a date (YYYY-MM-DD)");
			continue;
		}
		if (c == 'd')
			db = optarg;
		else if (c == 'p')
			parent = optarg;
		else if (c == 'k')
			kind = optarg;
		else
			return cli_usage(&cmd_orgunits);
	}
	if (optind != argc)
		return cli_usage(&cmd_orgunits);
	if (kind && units_level(kind) < 0)
		return cli_fail("orgunits", "--kind must be nation, province, district or commune");
	memset(&q, 0, sizeof(q));
	q.as_of = DATE_NONE;
	q.limit = 1000;
	err_clear(&err);
	if (!(s = cli_open(cli_db(db), 0)))
		return 1;
	if (parent) {
		if (s->ops->ou_by_code(s, parent, date, &oi, &err)) {
			if (err.code == ERR_NOT_FOUND)
				err_set(&err, ERR_NOT_FOUND, "parent", "--parent: no org unit has the code %s", parent);
			goto fail;
		}
		q.eq[q.neq].field = "parent_id";
		q.eq[q.neq++].value = json_integer(oi.id);
	}
	if (kind) {
		q.eq[q.neq].field = "kind";
		q.eq[q.neq++].value = json_string(kind);
	}
	/* Pages of 1000 until the total is reached (the country has 10,807 units). */
	for (q.offset = 0;; q.offset += q.limit) {
		if (s->ops->list(s, &ent_orgunits, &q, &items, &total, &err))
			goto fail;
		json_array_foreach(items, i, it) {
			int32_t vf = DATE_NONE, vt = DATE_NONE;

			if (date != DATE_NONE) {
				if (*field(it, "valid_from"))
					date_parse(field(it, "valid_from"), &vf);
				if (*field(it, "valid_to"))
					date_parse(field(it, "valid_to"), &vt);
				if ((vf != DATE_NONE && vf > date) || (vt != DATE_NONE && vt < date))
					continue;
			}
			printf("%s\t%s\t%s\n", field(it, "code"), field(it, "kind"), field(it, "name"));
		}
		i = json_array_size(items);
		json_decref(items);
		items = NULL;
		if (i == 0 || q.offset + (int64_t)i >= total)
			break;
	}
	rc = 0;
	goto out;
fail:
	cli_fail("orgunits", "%s", err.message);
out:
	for (int k = 0; k < q.neq; k++)
		json_decref(q.eq[k].value);
	store_close(s);
	return rc;
}

static int run(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage(&cmd_orgunits);
	if (!strcmp(argv[1], "import"))
		return do_import(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return do_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "reform"))
		return orgunits_reform(argc - 1, argv + 1);
	if (!strcmp(argv[1], "history"))
		return orgunits_history(argc - 1, argv + 1);
	if (!strcmp(argv[1], "search"))
		return orgunits_search(argc - 1, argv + 1);
	if (!strcmp(argv[1], "reassign"))
		return orgunits_reassign(argc - 1, argv + 1);
	return cli_usage(&cmd_orgunits);
}

const struct cmd cmd_orgunits = {"orgunits", "import, list, reform and trace administrative units (provinces, districts, communes)",
				 usage, run};
