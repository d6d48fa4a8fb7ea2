/* cmd_demo.c: placeholder until the subcommand lands. */
#include "cli/cli.h"

static int run(int argc, char **argv)
{
	return cli_fail("demo", "not implemented yet");
}

const struct cmd cmd_demo = {"demo", "(not yet)", "usage: pcmt demo\n", run};
