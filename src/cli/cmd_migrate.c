/* cmd_migrate.c: `pcmt migrate`: brings a database's schema to the newest version. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "engine/rulebook.h"

static const char usage[] =
	"usage: pcmt migrate [--db URL]\n\n"
	"Creates the database if it does not exist and applies every schema migration it lacks,\n"
	"each in its own transaction, then brings the rulebook (the `rule` table) up to the built-in one:\n"
	"an empty rulebook is filled with it; an older one gets the built-in rows of every code it lacks\n"
	"(rules this pcmt added since), listed, while the rows of codes it has -- edited, superseded or\n"
	"not -- are never touched (see pcmt rules). Running it again changes nothing.\n";

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'}, {0, 0, 0, 0}};
	const char *db = NULL;
	struct store *s;
	struct pcmt_err err;
	struct rulebook rb;
	json_t *codes = NULL, *row;
	size_t i;
	int c, from = 0, to = 0, added = 0, empty = 0, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		if (c == 'd')
			db = optarg;
		else
			return cli_usage(&cmd_migrate);
	}
	if (optind < argc)
		return cli_usage(&cmd_migrate);
	err_clear(&err);
	rulebook_init(&rb);
	if (!(s = cli_open(cli_db(db), 0)))
		return 1;
	if (s->ops->migrate(s, &from, &to, &err)) {
		cli_fail("migrate", "%s", err.message);
		goto out;
	}
	printf("schema version %d -> %d\n", from, to);
	if (rulebook_upgrade(s, &added, &codes, &err) || s->ops->rules_load(s, &rb, &err)) {
		cli_fail("migrate", "rulebook: %s", err.message);
		goto out;
	}
	empty = added > 0 && added == rb.n; /* every row is new: the table was empty */
	if (empty)
		printf("rulebook: %d rule versions (seeded from the built-in default)\n", rb.n);
	else if (added)
		printf("rulebook: %d rule versions, %d added from the built-in default (codes it lacked):\n", rb.n, added);
	else
		printf("rulebook: %d rule versions\n", rb.n);
	if (!empty)
		json_array_foreach(codes, i, row)
			printf("  %s from %s\n", json_string_value(json_object_get(row, "code")),
			       json_string_value(json_object_get(row, "effective_from")));
	rc = 0;
out:
	json_decref(codes);
	rulebook_free(&rb);
	store_close(s);
	return rc;
}

const struct cmd cmd_migrate = {"migrate", "create or upgrade a database's schema", usage, run};
