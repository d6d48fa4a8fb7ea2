/* cmd_retention.c: `pcmt retention --dry-run|--apply`: erases the identifying fields of persons whose
 * management has ended and whose retention period (rulebook retention.identity_months) has passed,
 * keeping their dated facts as pseudonymous statistics (domain/retention.h, store.h person_erase).
 * Every run and every erasure is recorded in the audit trail. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "domain/audit.h"
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

/* The audit trail (docs/security.md, "Audit log"): one entry per erased person, committed with its
 * erasure, and one per run (dry runs too) with what was found. The actor is the operating-system
 * user running the command; the address "cli". */
static void entry(struct audit_entry *e, const char *action, int64_t record_id, const char *outcome)
{
	const char *user = getenv("USER");

	memset(e, 0, sizeof *e);
	audit_now(e->at);
	snprintf(e->username, sizeof e->username, "cli:%s", user ? user : "?");
	snprintf(e->action, sizeof e->action, "%s", action);
	snprintf(e->entity, sizeof e->entity, "persons");
	e->record_id = record_id;
	snprintf(e->addr, sizeof e->addr, "cli");
	snprintf(e->outcome, sizeof e->outcome, "%s", outcome);
}

static int audit_run(struct store *s, int dry, int32_t date, int months, long due, long erased, const char *outcome,
		     struct pcmt_err *err)
{
	struct audit_entry e;
	char d[DATE_BUFSZ];

	entry(&e, dry ? "retention.dry_run" : "retention.apply", 0, outcome);
	snprintf(e.detail, sizeof e.detail, "{\"date\": \"%s\", \"months\": %d, \"due\": %ld, \"erased\": %ld}",
		 date_format(date, d), months, due, erased);
	return s->ops->audit_append(s, &e, 1, err);
}

/* Erases one person and writes its audit entry in the same transaction. */
static int erase_one(struct store *s, int64_t id, int dry, int *done, struct pcmt_err *err)
{
	struct audit_entry e;

	if (dry)
		return s->ops->person_erase(s, id, date_today(), 1, done, err);
	if (s->ops->begin(s, err))
		return -1;
	if (s->ops->person_erase(s, id, date_today(), 0, done, err))
		goto fail;
	if (*done) {
		entry(&e, "erase", id, "ok");
		snprintf(e.detail, sizeof e.detail, "retention");
		if (s->ops->audit_append(s, &e, 1, err))
			goto fail;
	}
	return s->ops->commit(s, err);
fail:
	s->ops->rollback(s);
	return -1;
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
		if (erase_one(s, p->id, dry, &done, &err)) {
			struct pcmt_err e2;

			cli_fail("retention", "person %lld: %s (%ld erased before this error)", (long long)p->id, err.message,
				 erased);
			err_clear(&e2);
			audit_run(s, dry, date, months, due, erased, "failed", &e2);
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
	if (audit_run(s, dry, date, months, due, erased, "ok", &err)) {
		cli_fail("retention", "audit: %s", err.message);
		goto out;
	}
	rc = 0;
out:
	snap_free(sn);
	rulebook_free(&rb);
	store_close(s);
	return rc;
}

const struct cmd cmd_retention = {"retention", "erase the identities of persons past the retention period", usage,
				  run};
