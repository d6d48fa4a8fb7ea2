/* cmd_rules.c: `pcmt rules`: the rulebook of a database as in force on a date (or every version with
 * --all), as a table for people, JSON or CSV for programs, or Markdown for docs/rules.md.
 * Reads through src/engine/rulebook.c, which seeds an empty rule table from the built-in default. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/rulebook.h"
#include "util/date.h"

static const char usage[] =
	"usage: pcmt rules [--db URL] [--date YYYY-MM-DD] [--all] [--format table|json|csv|md]\n\n"
	"Lists the rules (legal and programme parameters) in force on --date (default today): code,\n"
	"value, unit, the date the version took effect, whether it is confirmed, and its source.\n"
	"Unconfirmed rules (reported, official text not read) are marked UNCONFIRMED. --all lists every\n"
	"version, past and future (such as those of Law 120/2025/QH15 from 2026-07-01), each with its\n"
	"status on --date: in_force, superseded or future.\n\n"
	"--format table (default) leaves out the notes; json ({\"date\", \"all\", \"rules\": [...]}, as\n"
	"GET /api/v1/rules), csv (with a header line) and md (the table of docs/rules.md) carry them.\n\n"
	"The database is --db URL, or $PCMT_DB, or pcmt.db; its schema is brought up to date and an empty\n"
	"rulebook is filled from the built-in default first, as `pcmt migrate` does. Exit status 0 on\n"
	"success, 1 on error, 2 on bad usage (unknown option, bad date or format).\n";

enum fmt { FMT_TABLE, FMT_JSON, FMT_CSV, FMT_MD };

/* The value as people write it: 30, 0.5, 3000. */
static const char *num(double v, char *buf, size_t n)
{
	snprintf(buf, n, "%.15g", v);
	return buf;
}

static int shown(const struct rulebook *rb, int i, int32_t date, int all)
{
	return all || rule_status_at(rb, i, date) == RULE_IN_FORCE;
}

static void print_table(const struct rulebook *rb, int32_t date, int all)
{
	int wc = 4, wv = 5, wu = 4, n = 0, unconfirmed = 0;
	char d[DATE_BUFSZ], v[32];

	for (int i = 0; i < rb->n; i++) {
		const struct rule *r = &rb->rules[i];
		int l;

		if (!shown(rb, i, date, all))
			continue;
		n++;
		unconfirmed += !r->confirmed;
		if ((l = (int)strlen(r->code)) > wc)
			wc = l;
		if ((l = (int)strlen(num(r->value, v, sizeof(v)))) > wv)
			wv = l;
		if ((l = (int)strlen(r->unit)) > wu)
			wu = l;
	}
	printf("%s on %s: %d rule%s, %d unconfirmed (reported; the official text was not read)\n",
	       all ? "Every rule version, status" : "Rules in force", date_format(date, d), n, n == 1 ? "" : "s",
	       unconfirmed);
	printf("%-*s  %*s  %-*s  %-10s  %-11s  ", wc, "CODE", wv, "VALUE", wu, "UNIT", "FROM", "CONFIRMED");
	if (all)
		printf("%-10s  ", "STATUS");
	printf("SOURCE\n");
	for (int i = 0; i < rb->n; i++) {
		const struct rule *r = &rb->rules[i];

		if (!shown(rb, i, date, all))
			continue;
		printf("%-*s  %*s  %-*s  %-10s  %-11s  ", wc, r->code, wv, num(r->value, v, sizeof(v)), wu, r->unit,
		       date_format(r->effective_from, d), r->confirmed ? "yes" : "UNCONFIRMED");
		if (all)
			printf("%-10s  ", rule_status_name(rule_status_at(rb, i, date)));
		printf("%s\n", r->source);
	}
}

/* One CSV field (RFC 4180: quoted when it holds a comma, quote or line break). */
static void csv_field(const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	putchar(last ? '\n' : ',');
}

static void print_csv(const struct rulebook *rb, int32_t date, int all)
{
	char d[DATE_BUFSZ], v[32];

	printf("code,value,unit,effective_from,confirmed,source,note,status\n");
	for (int i = 0; i < rb->n; i++) {
		const struct rule *r = &rb->rules[i];

		if (!shown(rb, i, date, all))
			continue;
		csv_field(r->code, 0);
		csv_field(num(r->value, v, sizeof(v)), 0);
		csv_field(r->unit, 0);
		csv_field(date_format(r->effective_from, d), 0);
		csv_field(r->confirmed ? "yes" : "no", 0);
		csv_field(r->source, 0);
		csv_field(r->note, 0);
		csv_field(rule_status_name(rule_status_at(rb, i, date)), 1);
	}
}

/* Markdown cell text: '|' would end the cell. */
static void md_cell(const char *s)
{
	fputs("| ", stdout);
	for (; *s; s++) {
		if (*s == '|')
			putchar('\\');
		putchar(*s);
	}
	putchar(' ');
}

static void print_md(const struct rulebook *rb, int32_t date, int all)
{
	char d[DATE_BUFSZ], v[32];

	printf("| code | value | unit | from | confirmed | source | note |\n|---|---:|---|---|---|---|---|\n");
	for (int i = 0; i < rb->n; i++) {
		const struct rule *r = &rb->rules[i];

		if (!shown(rb, i, date, all))
			continue;
		printf("| `%s` ", r->code);
		md_cell(num(r->value, v, sizeof(v)));
		md_cell(r->unit);
		md_cell(date_format(r->effective_from, d));
		md_cell(r->confirmed ? "yes" : "**no**");
		md_cell(r->source);
		md_cell(r->note);
		printf("|\n");
	}
}

static int print_json(const struct rulebook *rb, int32_t date, int all)
{
	json_t *o = rulebook_json(rb, date, all);
	int rc = o ? json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15)) : -1;

	json_decref(o);
	if (!rc)
		putchar('\n');
	return rc;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"db", required_argument, 0, 'd'},
					     {"date", required_argument, 0, 't'},
					     {"format", required_argument, 0, 'f'},
					     {"all", no_argument, 0, 'a'},
					     {0, 0, 0, 0}};
	static const char *const fmts[] = {"table", "json", "csv", "md", NULL};
	const char *db = NULL;
	int32_t date = date_today();
	enum fmt fmt = FMT_TABLE;
	struct rulebook rb;
	struct pcmt_err err;
	struct store *s;
	int c, all = 0, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		if (c == 'd') {
			db = optarg;
		} else if (c == 't') {
			if (date_parse(optarg, &date)) {
				fprintf(stderr, "pcmt rules: --date must be a real date YYYY-MM-DD, not '%s'\n", optarg);
				return 2;
			}
		} else if (c == 'f') {
			int k = 0;

			while (fmts[k] && strcmp(fmts[k], optarg))
				k++;
			if (!fmts[k]) {
				fprintf(stderr, "pcmt rules: --format must be table, json, csv or md, not '%s'\n", optarg);
				return 2;
			}
			fmt = (enum fmt)k;
		} else if (c == 'a') {
			all = 1;
		} else {
			return cli_usage(&cmd_rules);
		}
	}
	if (optind < argc)
		return cli_usage(&cmd_rules);
	err_clear(&err);
	rulebook_init(&rb);
	if (!(s = cli_open(cli_db(db), 1)))
		return 1;
	if (rulebook_open(s, &rb, &err)) {
		cli_fail("rules", "%s: %s", cli_db(db), err.message);
		goto out;
	}
	switch (fmt) {
	case FMT_TABLE: print_table(&rb, date, all); break;
	case FMT_CSV: print_csv(&rb, date, all); break;
	case FMT_MD: print_md(&rb, date, all); break;
	case FMT_JSON:
		if (print_json(&rb, date, all)) {
			cli_fail("rules", "out of memory");
			goto out;
		}
		break;
	}
	if (fflush(stdout)) {
		cli_fail("rules", "cannot write the output");
		goto out;
	}
	rc = 0;
out:
	rulebook_free(&rb);
	store_close(s);
	return rc;
}

const struct cmd cmd_rules = {"rules", "list the dated rules (legal and programme parameters) in force", usage, run};
