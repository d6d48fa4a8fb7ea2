/* cmd_serve.c: placeholder until the subcommand lands. */
#include "cli/cli.h"

static int run(int argc, char **argv)
{
	return cli_fail("serve", "not implemented yet");
}

const struct cmd cmd_serve = {"serve", "(not yet)", "usage: pcmt serve\n", run};
