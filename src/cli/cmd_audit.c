/* cmd_audit.c: `pcmt audit [--user U] [--since D] [--until D] [--action A]` lists the audit log;
 * `pcmt audit verify` walks its hash chain and reports the first broken link. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auditlog.h"
#include "cli/cli.h"

static const char usage[] =
	"usage: pcmt audit [--user NAME] [--since DATE] [--until DATE] [--action ACTION] [--limit N]\n"
	"                  [--json] [--db URL]\n"
	"       pcmt audit verify [--db URL]\n\n"
	"The audit log: every read of a person, every write, every export and every login, with who,\n"
	"when (UTC), what, from where and the outcome, oldest first (at most --limit, default 1000).\n"
	"DATE is YYYY-MM-DD (--until includes the whole day) or YYYY-MM-DDTHH:MM:SS.\n"
	"ACTION is one of login, logout, read, list, create, update, delete, export, token, audit.\n"
	"verify checks that every entry is unchanged and in place (each entry's hash covers the one\n"
	"before it): exit 0 and the head hash when intact, exit 1 and the first broken entry when not.\n"
	"Record the head hash somewhere else now and then: it also proves that nothing was cut off the\n"
	"end since.\n";

static int verify(const char *db)
{
	struct store *s = cli_open(cli_db(db), 1);
	struct audit_verdict v;
	struct pcmt_err err;
	int rc = 1;

	if (!s)
		return 1;
	err_clear(&err);
	if (audit_verify(s, &v, &err))
		cli_fail("audit", "%s", err.message);
	else if (v.broken_at)
		printf("BROKEN at entry %lld: %s (%lld entries checked)\n", (long long)v.broken_at, v.why,
		       (long long)v.checked);
	else {
		printf("intact: %lld entries, head %s\n", (long long)v.checked, v.head);
		rc = 0;
	}
	store_close(s);
	return rc;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},     {"user", required_argument, 0, 'u'},
					     {"since", required_argument, 0, 's'},  {"until", required_argument, 0, 't'},
					     {"action", required_argument, 0, 'a'}, {"limit", required_argument, 0, 'l'},
					     {"json", no_argument, 0, 'j'},          {0, 0, 0, 0}};
	struct audit_filter f;
	const char *db = NULL;
	struct store *s;
	struct pcmt_err err;
	json_t *items = NULL, *e;
	size_t i;
	int c, json = 0, rc = 1, do_verify = 0;
	char *end;

	memset(&f, 0, sizeof(f));
	f.limit = 1000;
	optind = 1;
	if (argc >= 2 && !strcmp(argv[1], "verify")) {
		do_verify = 1;
		optind = 2;
	}
	while ((c = getopt_long(argc, argv, "d:u:s:t:a:l:j", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'u': f.user = optarg; break;
		case 's': f.since = optarg; break;
		case 't': f.until = optarg; break;
		case 'a': f.action = optarg; break;
		case 'j': json = 1; break;
		case 'l':
			f.limit = (int)strtol(optarg, &end, 10);
			if (*end || f.limit < 1 || f.limit > 10000)
				return cli_fail("audit", "--limit must be a number from 1 to 10000") + 1;
			break;
		default: return cli_usage(&cmd_audit);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_audit);
	if (do_verify)
		return verify(db);
	if (!(s = cli_open(cli_db(db), 1)))
		return 1;
	err_clear(&err);
	if (audit_query(s, &f, &items, &err)) {
		cli_fail("audit", "%s", err.message);
		goto out;
	}
	if (json) {
		json_dumpf(items, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
	} else {
		json_array_foreach(items, i, e) {
			json_t *rec = json_object_get(e, "record_id");
			char rid[24] = "-";

			if (json_is_integer(rec))
				snprintf(rid, sizeof(rid), "%lld", (long long)json_integer_value(rec));
			printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", (long long)json_integer_value(json_object_get(e, "id")),
			       json_string_value(json_object_get(e, "at")), json_string_value(json_object_get(e, "username")),
			       json_string_value(json_object_get(e, "action")), json_string_value(json_object_get(e, "entity")),
			       rid,
			       json_string_value(json_object_get(e, "outcome")), json_string_value(json_object_get(e, "addr")),
			       json_string_value(json_object_get(e, "detail")));
		}
	}
	rc = 0;
out:
	json_decref(items);
	store_close(s);
	return rc;
}

const struct cmd cmd_audit = {"audit", "list the audit log, or verify its hash chain", usage, run};
