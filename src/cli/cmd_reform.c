/* cmd_reform.c: `pcmt orgunits reform|history|search|reassign`, the 2025 reform's commands
 * (docs/reform.md), dispatched by cmd_orgunits.c: applying a mapping (or showing what it would
 * change), a unit's predecessors and successors, searches that know old names and codes, and the
 * re-assignment of persons whose commune was split. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "demo/units.h"
#include "domain/reform.h"
#include "engine/orghist.h"
#include "engine/reform.h"
#include "util/date.h"

enum { FMT_TABLE, FMT_JSON };

static int parse_fmt(const char *s, int *fmt)
{
	if (!strcmp(s, "table"))
		*fmt = FMT_TABLE;
	else if (!strcmp(s, "json"))
		*fmt = FMT_JSON;
	else
		return -1;
	return 0;
}

static void print_json(json_t *j)
{
	char *t = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (t)
		printf("%s\n", t);
	free(t);
}

static const char *js(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

int orgunits_reform(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},
					     {"mapping", required_argument, 0, 'm'},
					     {"effective", required_argument, 0, 'e'},
					     {"dry-run", no_argument, 0, 'n'},
					     {0, 0, 0, 0}};
	const char *db = NULL, *path = NULL;
	int32_t eff = DATE_NONE;
	struct ent_ctx ctx = {date_today()};
	struct reform_map m;
	struct reform_counts c;
	struct pcmt_err err;
	struct store *s = NULL;
	char *buf = NULL, d[DATE_BUFSZ];
	size_t len = 0;
	int ch, rc = 1, dry = 0, in_tx = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:m:e:n", opts, NULL)) != -1) {
		if (ch == 'd')
			db = optarg;
		else if (ch == 'm')
			path = optarg;
		else if (ch == 'e' && date_parse(optarg, &eff))
			return cli_fail("orgunits", "--effective: not a date (YYYY-MM-DD)");
		else if (ch == 'n')
			dry = 1;
		else if (ch != 'e')
			return cli_usage(&cmd_orgunits);
	}
	if (optind != argc || !path || eff == DATE_NONE)
		return cli_fail("orgunits", "reform needs --mapping FILE and --effective YYYY-MM-DD");
	err_clear(&err);
	memset(&m, 0, sizeof(m));
	if (units_read_file(path, &buf, &len, &err) || reform_parse(buf, len, &m, &err)) {
		cli_fail("orgunits", "%s: %s", path, err.message);
		free(buf);
		return 1;
	}
	if (!(s = cli_open(cli_db(db), 1)))
		goto out;
	if (s->ops->begin(s, &err))
		goto fail;
	in_tx = 1;
	if (reform_apply(s, &ctx, &m, eff, dry ? stdout : NULL, &c, &err))
		goto fail;
	if (dry) {
		s->ops->rollback(s);
		in_tx = 0;
	} else if (s->ops->commit(s, &err)) {
		goto fail;
	}
	in_tx = 0;
	printf("%s the reform of %s (%s):\n", dry ? "Would apply" : "Applied", date_format(eff, d), path);
	printf("  provinces: %d created, %d kept, %d closed\n", c.provinces_created, c.provinces_kept, c.provinces_closed);
	printf("  districts: %d closed\n", c.districts_closed);
	printf("  communes:  %d created, %d closed\n", c.communes_created, c.communes_closed);
	printf("  links:     %d added\n", c.links_added);
	printf("  already there: %d new units\n", c.units_existing);
	printf("  persons:   %lld moved with their commune, %lld awaiting re-assignment (%d split units)\n",
	       c.persons_moved, c.persons_pending, c.split_units);
	rc = 0;
	goto out;
fail:
	if (in_tx)
		s->ops->rollback(s);
	cli_fail("orgunits", "%s: %s", path, err.message);
out:
	store_close(s);
	reform_map_free(&m);
	free(buf);
	return rc;
}

/* Common options of history, search and reassign. */
struct ropts {
	const char *db, *orgunit, *to;
	int32_t date;
	int fmt;
	long long person;
};

static int ropts_parse(int argc, char **argv, struct ropts *o)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},     {"date", required_argument, 0, 't'},
					     {"format", required_argument, 0, 'f'}, {"orgunit", required_argument, 0, 'o'},
					     {"person", required_argument, 0, 'p'}, {"to", required_argument, 0, 'T'},
					     {0, 0, 0, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	o->date = date_today();
	optind = 1;
	while ((ch = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		char *end = NULL;

		switch (ch) {
		case 'd': o->db = optarg; break;
		case 't':
			if (date_parse(optarg, &o->date))
				return cli_fail("orgunits", "--date: not a date (YYYY-MM-DD)") + 1;
			break;
		case 'f':
			if (parse_fmt(optarg, &o->fmt))
				return cli_fail("orgunits", "--format must be table or json") + 1;
			break;
		case 'o': o->orgunit = optarg; break;
		case 'T': o->to = optarg; break;
		case 'p':
			o->person = strtoll(optarg, &end, 10);
			if (!*optarg || *end || o->person <= 0)
				return cli_fail("orgunits", "--person: not a person id") + 1;
			break;
		default: return cli_usage(&cmd_orgunits);
		}
	}
	return 0;
}

static void print_links(const char *label, json_t *arr)
{
	json_t *x;
	size_t i;

	json_array_foreach(arr, i, x)
		printf("%s\t%s\t%s\t%s\t%s\t%s\n", label, js(x, "code"), js(x, "kind"), js(x, "name"), js(x, "link"),
		       js(x, "effective"));
}

int orgunits_history(int argc, char **argv)
{
	struct ropts o;
	struct ou_info oi;
	struct pcmt_err err;
	struct store *s;
	json_t *h = NULL, *u;
	int rc;

	if ((rc = ropts_parse(argc, argv, &o)))
		return rc;
	if (optind != argc - 1)
		return cli_usage(&cmd_orgunits);
	err_clear(&err);
	if (!(s = cli_open(cli_db(o.db), 0)))
		return 1;
	rc = 1;
	if (s->ops->ou_by_code(s, argv[optind], o.date, &oi, &err)) {
		cli_fail("orgunits", "no org unit has the code %s", argv[optind]);
		goto out;
	}
	if (orghist_history(s, oi.id, &h, &err)) {
		cli_fail("orgunits", "%s", err.message);
		goto out;
	}
	if (o.fmt == FMT_JSON) {
		print_json(h);
	} else {
		u = json_object_get(h, "orgunit");
		printf("%s\t%s\t%s\tfrom %s\tto %s\n", js(u, "code"), js(u, "kind"), js(u, "name"),
		       json_is_null(json_object_get(u, "valid_from")) ? "-" : js(u, "valid_from"),
		       json_is_null(json_object_get(u, "valid_to")) ? "-" : js(u, "valid_to"));
		print_links("formed from", json_object_get(h, "predecessors"));
		print_links("went into", json_object_get(h, "successors"));
	}
	rc = 0;
out:
	json_decref(h);
	store_close(s);
	return rc;
}

int orgunits_search(int argc, char **argv)
{
	struct ropts o;
	struct pcmt_err err;
	struct store *s;
	json_t *res = NULL, *x;
	int64_t total = 0;
	size_t i;
	int rc;

	if ((rc = ropts_parse(argc, argv, &o)))
		return rc;
	if (optind != argc - 1)
		return cli_usage(&cmd_orgunits);
	err_clear(&err);
	if (!(s = cli_open(cli_db(o.db), 0)))
		return 1;
	rc = 1;
	if (orghist_search(s, argv[optind], o.date, 200, &res, &total, &err)) {
		cli_fail("orgunits", "%s", err.message);
		goto out;
	}
	if (o.fmt == FMT_JSON) {
		json_t *w = json_pack("{s:O, s:I}", "items", res, "total", (json_int_t)total);

		print_json(w);
		json_decref(w);
	} else {
		json_array_foreach(res, i, x) {
			json_t *b = json_object_get(x, "became"), *f = json_object_get(x, "formed_from"), *y;
			size_t k;

			printf("%s\t%s\t%s\t%s", js(x, "code"), js(x, "kind"), js(x, "name"),
			       json_is_true(json_object_get(x, "in_force")) ? "in force" : "not in force");
			if (b) {
				printf("\tbecame");
				json_array_foreach(b, k, y)
					printf(" %s %s (%s)%s", js(y, "code"), js(y, "name"), js(y, "link"),
					       k + 1 < json_array_size(b) ? "," : "");
			}
			if (f) {
				printf("\tformed from");
				json_array_foreach(f, k, y)
					printf(" %s %s (%s)%s", js(y, "code"), js(y, "name"), js(y, "link"),
					       k + 1 < json_array_size(f) ? "," : "");
			}
			printf("\n");
		}
	}
	rc = 0;
out:
	json_decref(res);
	store_close(s);
	return rc;
}

int orgunits_reassign(int argc, char **argv)
{
	struct ropts o;
	struct ou_info oi = {0};
	struct pcmt_err err;
	struct store *s;
	json_t *res = NULL, *x, *c;
	size_t i, k;
	int rc;

	if ((rc = ropts_parse(argc, argv, &o)))
		return rc;
	if (optind != argc || (!o.person) != (!o.to))
		return cli_fail("orgunits", "reassign: give both --person ID and --to CODE, or neither to list");
	err_clear(&err);
	if (!(s = cli_open(cli_db(o.db), 0)))
		return 1;
	rc = 1;
	if ((o.orgunit || o.to) && s->ops->ou_by_code(s, o.to ? o.to : o.orgunit, DATE_NONE, &oi, &err)) {
		cli_fail("orgunits", "no org unit has the code %s", o.to ? o.to : o.orgunit);
		goto out;
	}
	if (o.person) {
		if (orghist_reassign(s, o.person, oi.id, 0, &res, &err)) {
			cli_fail("orgunits", "%s", err.message);
			goto out;
		}
		printf("person %lld now resides in %s %s\n", o.person, oi.code, oi.name);
		rc = 0;
		goto out;
	}
	if (orghist_pending(s, oi.id, date_today() + 1, 1, &res, &err)) {
		cli_fail("orgunits", "%s", err.message);
		goto out;
	}
	if (o.fmt == FMT_JSON) {
		print_json(res);
	} else {
		json_array_foreach(res, i, x) {
			json_t *r = json_object_get(x, "residence");

			printf("%lld\t%s\t%s %s (closed %s)\t", (long long)json_integer_value(json_object_get(x, "person_id")),
			       js(x, "full_name"), js(r, "code"), js(r, "name"), js(r, "valid_to"));
			json_array_foreach(json_object_get(x, "candidates"), k, c)
				printf("%s%s %s", k ? ", " : "", js(c, "code"), js(c, "name"));
			printf("\n");
		}
	}
	rc = 0;
out:
	json_decref(res);
	store_close(s);
	return rc;
}
