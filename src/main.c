/* main.c: `pcmt SUBCOMMAND ...`: finds the subcommand in the table and runs it. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "store/vault.h"

static const struct cmd *const cmds[] = {&cmd_serve, &cmd_demo, &cmd_migrate, &cmd_orgunits, &cmd_rules, &cmd_eval, &cmd_plans, &cmd_indicators, &cmd_copy, &cmd_report, &cmd_user, &cmd_audit, &cmd_mat, &cmd_import, &cmd_key, &cmd_retention, NULL};

static void help(FILE *f)
{
	fprintf(f, "pcmt %s: management information system for drug prevention and control programmes\n\n"
		   "usage: pcmt COMMAND [OPTIONS]\n\ncommands:\n", PCMT_VERSION);
	for (int i = 0; cmds[i]; i++)
		fprintf(f, "  %-10s %s\n", cmds[i]->name, cmds[i]->summary);
	fprintf(f, "\n`pcmt COMMAND --help` describes a command. The database is --db FILE, or $PCMT_DB;\n"
		   "the key to its identities --key-file FILE, or $PCMT_KEY_FILE, else FILE.key beside a SQLite FILE.\n");
}

int main(int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "pcmt: libsodium failed to initialise\n");
		return 1;
	}
	/* --key-file FILE (or --key-file=FILE), anywhere: the key to the identities, for every command */
	for (int i = 1; i < argc; i++) {
		const char *path = NULL;
		int take = 0;

		if (!strcmp(argv[i], "--key-file")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "pcmt: --key-file needs a file name\n");
				return 2;
			}
			path = argv[i + 1];
			take = 2;
		} else if (!strncmp(argv[i], "--key-file=", 11)) {
			path = argv[i] + 11;
			take = 1;
		}
		if (!take)
			continue;
		vault_set_path(path);
		memmove(&argv[i], &argv[i + take], (size_t)(argc - i - take + 1) * sizeof argv[0]);
		argc -= take;
		i--;
	}
	if (argc < 2) {
		help(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		help(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("pcmt %s\n", PCMT_VERSION);
		return 0;
	}
	for (int i = 0; cmds[i]; i++) {
		if (strcmp(argv[1], cmds[i]->name))
			continue;
		if (cli_wants_help(argc - 1, argv + 1)) {
			fputs(cmds[i]->usage, stdout);
			return 0;
		}
		return cmds[i]->run(argc - 1, argv + 1);
	}
	fprintf(stderr, "pcmt: unknown command '%s' (see pcmt --help)\n", argv[1]);
	return 2;
}
