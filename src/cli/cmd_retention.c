/* cmd_retention.c: `pcmt retention --dry-run|--apply`: erases the identifying fields of persons whose
 * management has ended and whose retention period (rulebook retention.identity_months) has passed,
 * keeping their dated facts as pseudonymous statistics (domain/retention.h, store.h person_erase).
 * Every run is recorded in the audit trail (see audit_seam below). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/retention.h"
#include "domain/snap.h"
#include "engine/rulebook.h"
#include "util/date.h"

static const char usage[] =
	"usage: pcmt retention (--dry-run | --apply) [--db URL] [--date YYYY-MM-DD] [--list]\n\n"
	"Finds the persons whose management has ended (every management record closed, no treatment open)\n"
	"and whose last recorded fact lies more than the retention period before --date (default today;\n"
	"rulebook row retention.identity_months, see pcmt rules). --apply erases their identifying fields\n"
	"(full name, aliases, national ID, address, phone; the date of birth keeps its year only) and keeps\n"
	"the record and every dated fact for statistics; --dry-run only counts. --list prints each person's\n"
	"id, last fact and due date. A person erased once is not counted again.\n\n"
	"Exit status 0 on success, 1 on error, 2 on bad usage.\n";

/* AUDIT SEAM. The audit trail (issue 6, sec-auth: a hash-chained log with `pcmt audit`) had not
 * landed on main when retention was written: this is the one place a retention run is recorded,
 * today as one JSON line on stderr (`pcmt: audit {...}`), to be replaced by the audit API's call with
 * the same fields (who: the OS user running the CLI, what: retention, outcome, counts). */
static void audit_seam(const char *db, const char *mode, int32_t date, int months, long due, long erased,
		       const char *outcome)
{
	char d[DATE_BUFSZ], now[21];
	const char *user = getenv("USER");

	date_now_iso(now);
	fprintf(stderr,
		"pcmt: audit {\"at\": \"%s\", \"actor\": \"cli:%s\", \"action\": \"retention.%s\", \"db\": \"%s\","
		" \"date\": \"%s\", \"months\": %d, \"due\": %ld, \"erased\": %ld, \"outcome\": \"%s\"}\n",
		now, user ? user : "?", mode, db, date_format(date, d), months, due, erased, outcome);
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},   {"date", required_argument, 0, 't'},
					     {"dry-run", no_argument, 0, 'n'},     {"apply", no_argument, 0, 'a'},
					     {"list", no_argument, 0, 'l'},        {0, 0, 0, 0}};
	const char *db = NULL, *date_s = NULL;
	int c, dry = -1, list = 0, months = 0, rc = 1;
	int32_t date = DATE_NONE;
	long due = 0, erased = 0, already = 0;
	struct store *s = NULL;
	struct snap *sn = NULL;
	struct rulebook rb;
	struct pcmt_err err;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:t:nal", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 't': date_s = optarg; break;
		case 'n':
		case 'a':
			if (dry >= 0 && dry != (c == 'n'))
				return cli_fail("retention", "give --dry-run or --apply, not both") + 1;
			dry = c == 'n';
			break;
		case 'l': list = 1; break;
		default: return cli_usage(&cmd_retention);
		}
	}
	if (optind < argc || dry < 0)
		return cli_usage(&cmd_retention);
	if (date_s && date_parse(date_s, &date))
		return cli_fail("retention", "--date must be YYYY-MM-DD") + 1;
	if (date == DATE_NONE)
		date = date_today();
	err_clear(&err);
	rulebook_init(&rb);
	if (!(s = cli_open(cli_db(db), 1)))
		goto out;
	if (rulebook_open(s, &rb, &err) || ret_months(&rb, date, &months, &err)) {
		cli_fail("retention", "%s", err.message);
		goto out;
	}
	if (!(sn = snap_new()) || s->ops->snap_load(s, sn, &err)) {
		cli_fail("retention", "%s", err.code ? err.message : "out of memory");
		goto out;
	}
	for (int32_t i = 0; i < sn->npersons; i++) {
		const struct snap_person *p = sn->persons[i];
		int32_t when = p ? ret_due(p, months) : DATE_NONE;
		char a[DATE_BUFSZ], b[DATE_BUFSZ];
		int done = 0;

		if (when == DATE_NONE || when > date)
			continue;
		if (s->ops->person_erase(s, p->id, date_today(), dry, &done, &err)) {
			cli_fail("retention", "person %lld: %s (%ld erased before this error)", (long long)p->id, err.message,
				 erased);
			audit_seam(cli_db(db), dry ? "dry_run" : "apply", date, months, due, erased, "error");
			goto out;
		}
		if (!done) {
			already++;
			continue;
		}
		due++;
		if (!dry)
			erased++;
		if (list)
			printf("%lld\t%s\t%s\n", (long long)p->id, date_format(ret_last_fact(p), a), date_format(when, b));
	}
	printf("%s: %ld persons due for erasure on %s (retention %d months after the last fact)%s; %ld erased; %ld erased"
	       " before\n", dry ? "dry run" : "applied", due, date_s ? date_s : "today", months,
	       rule_at(&rb, "retention.identity_months", date) && !rule_at(&rb, "retention.identity_months", date)->confirmed
		       ? " [rule UNCONFIRMED]" : "",
	       erased, already);
	audit_seam(cli_db(db), dry ? "dry_run" : "apply", date, months, due, erased, "ok");
	rc = 0;
out:
	snap_free(sn);
	rulebook_free(&rb);
	store_close(s);
	return rc;
}

const struct cmd cmd_retention = {"retention", "erase the identities of persons past the retention period", usage,
				  run};
