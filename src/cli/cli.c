/* cli.c: helpers shared by the subcommands. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_db(const char *opt)
{
	const char *env = getenv("PCMT_DB");

	if (opt && *opt)
		return opt;
	return env && *env ? env : "pcmt.db";
}

struct store *cli_open(const char *url, int migrate)
{
	struct pcmt_err err;
	struct store *s;

	err_clear(&err);
	if (!(s = store_open(url, &err))) {
		fprintf(stderr, "pcmt: cannot open %s: %s\n", url, err.message);
		return NULL;
	}
	if (migrate && s->ops->migrate(s, NULL, NULL, &err)) {
		fprintf(stderr, "pcmt: cannot migrate %s: %s\n", url, err.message);
		store_close(s);
		return NULL;
	}
	return s;
}

int cli_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pcmt %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_usage(const struct cmd *c)
{
	fputs(c->usage, stderr);
	return 2;
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}
