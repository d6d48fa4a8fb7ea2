/* cli.c: helpers shared by the subcommands. */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "store/vault.h"

const char *cli_db(const char *opt)
{
	const char *env = getenv("PCMT_DB");

	if (opt && *opt)
		return opt;
	return env && *env ? env : "pcmt.db";
}

/* A SQLite database that has never sealed an identity gets a new key file where vault_get() will
 * look for it (FILE.key beside it, or --key-file / $PCMT_KEY_FILE), so that `pcmt demo`, `pcmt serve`
 * and the tests work without a step more. A database that already seals under some key never gets a
 * new one: its key file is missing and the store says so when it needs it. */
static int key_ready(struct store *s, const char *url)
{
	struct pcmt_err err;
	struct vault v;
	char path[1024], id[17] = "";

	err_clear(&err);
	vault_path_for(url, path, sizeof path);
	if (!path[0] || access(path, F_OK) == 0)
		return 0;
	if (s->ops->key_current(s, id, &err) == 0 && id[0])
		return 0;
	memset(&v, 0, sizeof v);
	err_clear(&err);
	if (vault_add_key(&v, &err) || vault_save(path, &v, &err)) {
		fprintf(stderr, "pcmt: %s\n", err.message);
		return -1;
	}
	/* silently: commands keep their one-line stderr contracts; docs/security.md tells where it is */
	sodium_memzero(&v, sizeof v);
	return 0;
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
	if (key_ready(s, url)) {
		store_close(s);
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
