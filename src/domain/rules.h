/* rules.h: the rulebook: every legal or programme parameter as a dated row (value, unit, effective
 * date, source instrument, confirmed or not), never a literal in C. An evaluation as of a date uses
 * the row of each code in force on that date: the latest effective_from on or before it.
 * The default rows are data/rulebook.tsv, built into the binary and loaded into the database's
 * `rule` table by migrate; administrators may add dated rows later (security issue). */
#ifndef PCMT_RULES_H
#define PCMT_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct rule {
	char code[64];          /* "drugfree.test_window_days" */
	double value;
	char unit[16];          /* "days", "months", "persons", "percent", "mL"... */
	int32_t effective_from; /* day number */
	char source[200];       /* "Law 73/2021/QH14 art. 40", "seed: Thanh Hoa project 2024-2025" */
	int confirmed;          /* 0: reported but the official text was not read */
	char note[300];
};

struct rulebook {
	struct rule *rules;     /* sorted by code, then effective_from */
	int n, cap;
};

void rulebook_init(struct rulebook *rb);
void rulebook_free(struct rulebook *rb);
/* Adds a row (copying it); rulebook_sort() must follow a batch of adds. */
int rulebook_add(struct rulebook *rb, const struct rule *r);
void rulebook_sort(struct rulebook *rb);
/* Parses the rulebook TSV format (see data/rulebook.tsv) into rb. Errors name the line. */
int rulebook_parse_tsv(struct rulebook *rb, const char *text, size_t len, struct pcmt_err *err);
/* The row of `code` in force on `date`, or NULL (no such code, or not yet in force). */
const struct rule *rule_at(const struct rulebook *rb, const char *code, int32_t date);
/* 1 if the rulebook has any row of code (in force or not), else 0. */
int rule_known(const struct rulebook *rb, const char *code);
/* rule_at()'s value. When there is none: ERR_UNAVAILABLE (503) naming the code when the rulebook has
 * no row of it at all (a database seeded before this pcmt knew the rule, not upgraded since: the
 * message says that pcmt migrate adds it), ERR_INVALID on "date" when the code's first version
 * takes effect after date (callers rename the field to their own date parameter). */
int rule_num(const struct rulebook *rb, const char *code, int32_t date, double *out, struct pcmt_err *err);
/* Checks one row as the parser and any future editor must: code of lowercase dotted words
 * ("ns.name", [a-z0-9_] words, at least two), a finite value, a known unit, a real date, confirmed
 * 0 or 1, a non-empty source, every text valid UTF-8 and NUL-terminated within its array.
 * ERR_INVALID naming the column ("code", "value", ...) on the first fault. */
int rule_validate(const struct rule *r, struct pcmt_err *err);
/* 1 if unit is one of the rulebook's units (days, hours, working_days, months, persons, places,
 * plants, m2, percent, count), else 0. */
int rule_unit_known(const char *unit);
/* Where row rb->rules[i] stands on `date`: in force (the row rule_at() picks for its code), already
 * superseded by a later row of the same code, or not yet in force. rb must be sorted. */
enum rule_status { RULE_IN_FORCE, RULE_SUPERSEDED, RULE_FUTURE };
enum rule_status rule_status_at(const struct rulebook *rb, int i, int32_t date);
const char *rule_status_name(enum rule_status st); /* "in_force", "superseded", "future" */
/* The built-in default rulebook text (data/rulebook.tsv). */
extern const char rulebook_default_tsv[];
extern const size_t rulebook_default_tsv_len;

#endif
