/* cmd_user.c: `pcmt user add|passwd|disable|enable|list|token`: user administration on the
 * database directly (whoever can run it can read the database anyway). Passwords come from the
 * terminal without echo, or from one line of standard input; never from an argument, which other
 * users of the machine could read in the process list. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "auth/auth.h"
#include "cli/cli.h"

static const char usage[] =
	"usage: pcmt user add USERNAME --role ROLE [--orgunit CODE] [--api-only] [--db URL]\n"
	"       pcmt user passwd USERNAME [--db URL]\n"
	"       pcmt user disable|enable USERNAME [--db URL]\n"
	"       pcmt user list [--json] [--db URL]\n"
	"       pcmt user token USERNAME [--expires DAYS] [--db URL]\n\n"
	"Users of the API and the web UI (docs/security.md).\n"
	"  add      a user; ROLE is admin, province, district, commune, health or viewer; every role but\n"
	"           admin works inside the subtree of --orgunit (a GSO code: a province for province\n"
	"           officers, a district, a commune). The password is read from the terminal (twice,\n"
	"           without echo) or as one line from standard input, at least 10 characters.\n"
	"           --api-only makes a user without a password who uses tokens only.\n"
	"  passwd   a new password (read the same way); every session and token of the user is revoked\n"
	"  disable  the user can no longer log in; every session and token is revoked. enable undoes it\n"
	"  list     every user with role, org unit and state\n"
	"  token    prints a new API bearer token for the user, once (default expiry 90 days; at most\n"
	"           366). Send it as Authorization: Bearer TOKEN.\n";

/* One line of standard input, or two matching entries on a terminal without echo. */
static int read_password(char *buf, size_t cap)
{
	char again[AUTH_PW_MAX + 2];
	int tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	size_t n;

	for (int round = 0; round < (tty ? 2 : 1); round++) {
		char *dst = round ? again : buf;
		size_t dcap = round ? sizeof(again) : cap;

		if (tty) {
			fprintf(stderr, round ? "Password again: " : "Password: ");
			tcgetattr(STDIN_FILENO, &old);
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		}
		if (!fgets(dst, (int)dcap, stdin))
			dst[0] = '\0';
		if (tty) {
			tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
			fputc('\n', stderr);
		}
		n = strlen(dst);
		if (n && dst[n - 1] == '\n')
			dst[--n] = '\0';
		if (n && dst[n - 1] == '\r')
			dst[--n] = '\0';
	}
	if (tty && strcmp(buf, again)) {
		sodium_memzero(again, sizeof(again));
		fprintf(stderr, "pcmt user: the two passwords differ\n");
		return -1;
	}
	sodium_memzero(again, sizeof(again));
	return 0;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},      {"role", required_argument, 0, 'r'},
					     {"orgunit", required_argument, 0, 'o'}, {"expires", required_argument, 0, 'e'},
					     {"api-only", no_argument, 0, 'a'},      {"json", no_argument, 0, 'j'},
					     {0, 0, 0, 0}};
	const char *db = NULL, *role = NULL, *ou = NULL, *expires = NULL, *verb, *name = NULL;
	int c, api_only = 0, json = 0, rc = 1;
	struct store *s = NULL;
	struct pcmt_err err;
	char pw[AUTH_PW_MAX + 2];

	if (argc < 2)
		return cli_usage(&cmd_user);
	verb = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "d:r:o:e:aj", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'r': role = optarg; break;
		case 'o': ou = optarg; break;
		case 'e': expires = optarg; break;
		case 'a': api_only = 1; break;
		case 'j': json = 1; break;
		default: return cli_usage(&cmd_user);
		}
	}
	if (optind < argc)
		name = argv[optind++];
	if (optind < argc)
		return cli_usage(&cmd_user);
	if (strcmp(verb, "list") && !name)
		return cli_usage(&cmd_user);
	err_clear(&err);
	memset(pw, 0, sizeof(pw));
	if (!strcmp(verb, "add")) {
		if (!role)
			return cli_fail("user", "add needs --role (admin, province, district, commune, health or viewer)") + 1;
		if (!api_only && read_password(pw, sizeof(pw)))
			return 1;
		if (!(s = cli_open(cli_db(db), 1)))
			return 1;
		if (auth_user_add(s, name, role, ou, api_only ? NULL : pw, NULL, &err)) {
			cli_fail("user", "%s", err.message);
			goto out;
		}
		printf("user %s added (%s%s%s)\n", name, role, ou ? " in " : "", ou ? ou : "");
	} else if (!strcmp(verb, "passwd")) {
		if (read_password(pw, sizeof(pw)))
			return 1;
		if (!(s = cli_open(cli_db(db), 1)))
			return 1;
		if (auth_user_passwd(s, name, pw, &err)) {
			cli_fail("user", "%s", err.message);
			goto out;
		}
		printf("password of %s changed; its sessions and tokens are revoked\n", name);
	} else if (!strcmp(verb, "disable") || !strcmp(verb, "enable")) {
		int off = !strcmp(verb, "disable");

		if (!(s = cli_open(cli_db(db), 1)))
			return 1;
		if (auth_user_disable(s, name, off, &err)) {
			cli_fail("user", "%s", err.message);
			goto out;
		}
		printf("user %s %s\n", name, off ? "disabled; its sessions and tokens are revoked" : "enabled");
	} else if (!strcmp(verb, "list")) {
		json_t *all = NULL, *u;
		size_t i;

		if (!(s = cli_open(cli_db(db), 1)))
			return 1;
		if (auth_user_list(s, &all, &err)) {
			cli_fail("user", "%s", err.message);
			goto out;
		}
		if (json) {
			json_dumpf(all, stdout, JSON_INDENT(2));
			fputc('\n', stdout);
		} else {
			json_array_foreach(all, i, u) {
				json_t *o = json_object_get(u, "orgunit");

				printf("%-24s %-9s %-8s %s%s\n", json_string_value(json_object_get(u, "username")),
				       json_string_value(json_object_get(u, "role")),
				       o ? json_string_value(json_object_get(o, "code")) ? json_string_value(json_object_get(o, "code")) : "-" : "-",
				       json_is_true(json_object_get(u, "disabled")) ? "disabled" : "active",
				       json_is_true(json_object_get(u, "password")) ? "" : " (api only)");
			}
		}
		json_decref(all);
	} else if (!strcmp(verb, "token")) {
		struct auth_user u;
		char tok[AUTH_TOKEN_LEN + 1];
		long days = AUTH_BEARER_TTL_DAYS;
		char *end;

		if (expires) {
			days = strtol(expires, &end, 10);
			if (*end || !*expires || days < 1 || days > 366)
				return cli_fail("user", "--expires must be a number of days from 1 to 366") + 1;
		}
		if (!(s = cli_open(cli_db(db), 1)))
			return 1;
		if (auth_user_find(s, name, &u, NULL, &err)) {
			cli_fail("user", "%s", err.message);
			goto out;
		}
		if (u.disabled) {
			cli_fail("user", "%s is disabled: enable it first", name);
			goto out;
		}
		if (auth_token_issue(s, u.id, "bearer", (int64_t)days * 86400, "cli", tok, &err)) {
			cli_fail("user", "%s", err.message);
			goto out;
		}
		printf("%s\n", tok);
	} else {
		return cli_usage(&cmd_user);
	}
	rc = 0;
out:
	sodium_memzero(pw, sizeof(pw));
	store_close(s);
	return rc;
}

const struct cmd cmd_user = {"user", "add, change, disable, list users; issue API tokens", usage, run};
