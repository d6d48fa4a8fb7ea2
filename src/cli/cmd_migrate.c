/* cmd_migrate.c: `pcmt migrate`: brings a database's schema to the newest version. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "engine/rulebook.h"

static const char usage[] =
	"usage: pcmt migrate [--db URL]\n\n"
	"Creates the database if it does not exist and applies every schema migration it lacks,\n"
	"each in its own transaction, then fills an empty rulebook (the `rule` table) from the built-in\n"
	"default (see pcmt rules). Running it again changes nothing.\n";

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'}, {0, 0, 0, 0}};
	const char *db = NULL;
	struct store *s;
	struct pcmt_err err;
	struct rulebook rb;
	int c, from = 0, to = 0, seeded = 0, rc = 1;

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
	if (rulebook_open_ex(s, &rb, &seeded, &err)) {
		cli_fail("migrate", "rulebook: %s", err.message);
		goto out;
	}
	printf("rulebook: %d rule versions%s\n", rb.n, seeded ? " (seeded from the built-in default)" : "");
	rc = 0;
out:
	rulebook_free(&rb);
	store_close(s);
	return rc;
}

const struct cmd cmd_migrate = {"migrate", "create or upgrade a database's schema", usage, run};
