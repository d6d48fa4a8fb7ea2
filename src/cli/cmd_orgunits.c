/* cmd_orgunits.c: placeholder until the subcommand lands. */
#include "cli/cli.h"

static int run(int argc, char **argv)
{
	return cli_fail("orgunits", "not implemented yet");
}

const struct cmd cmd_orgunits = {"orgunits", "(not yet)", "usage: pcmt orgunits\n", run};
