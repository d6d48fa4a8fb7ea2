/* cli.h: the subcommand table (tmux cmd-*.c style) and helpers every subcommand shares.
 * A subcommand returns its process exit code: 0 success, 1 failure at run time, 2 bad usage. */
#ifndef PCMT_CLI_H
#define PCMT_CLI_H

#include "store/store.h"

struct cmd {
	const char *name;
	const char *summary; /* one line for `pcmt --help` */
	const char *usage;   /* full help for `pcmt NAME --help` */
	int (*run)(int argc, char **argv);
};

extern const struct cmd cmd_serve, cmd_demo, cmd_migrate, cmd_orgunits;
extern const struct cmd cmd_rules;
extern const struct cmd cmd_eval;
extern const struct cmd cmd_plans, cmd_indicators;
extern const struct cmd cmd_copy;
extern const struct cmd cmd_report;
extern const struct cmd cmd_key, cmd_retention;
extern const struct cmd cmd_user, cmd_audit;
extern const struct cmd cmd_mat;
extern const struct cmd cmd_import;
/* `pcmt eval classification ARGS` (cmd_classification.c), dispatched by cmd_eval; argv[0] is
 * "classification". Returns the exit status. */
int eval_classification(int argc, char **argv);
extern const char eval_classification_usage[];
/* `pcmt orgunits reform|history|search|reassign ARGS` (cmd_reform.c), dispatched by cmd_orgunits;
 * argv[0] is the verb. Each returns the exit status. */
int orgunits_reform(int argc, char **argv);
int orgunits_history(int argc, char **argv);
int orgunits_search(int argc, char **argv);
int orgunits_reassign(int argc, char **argv);

/* The database URL: --db value if given, else $PCMT_DB, else "pcmt.db". */
const char *cli_db(const char *opt);
/* Opens the store and (if migrate) brings its schema up to date; prints a one-line error to stderr
 * and returns NULL on failure. */
struct store *cli_open(const char *url, int migrate);
/* Prints "pcmt NAME: message" to stderr. Returns 1. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints usage to stderr and returns 2. */
int cli_usage(const struct cmd *c);
/* 1 if argv has -h or --help. */
int cli_wants_help(int argc, char **argv);

#endif
