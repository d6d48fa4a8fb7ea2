/* rules.h: the rulebook: every legal or programme parameter as a dated row (value, unit, effective
 * date, source instrument, confirmed or not), never a literal in C. An evaluation as of a date uses
 * the row of each code in force on that date: the latest effective_from on or before it.
 * The default rows are data/rulebook.tsv, built into the binary and loaded into the database's
 * `rule` table by migrate; administrators may add dated rows later (security issue). */
#ifndef PCMT_RULES_H
#define PCMT_RULES_H

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
/* rule_at()'s value; ERR_INTERNAL naming the code when missing (a rulebook without a rule the code
 * needs is a deployment error). */
int rule_num(const struct rulebook *rb, const char *code, int32_t date, double *out, struct pcmt_err *err);
/* The built-in default rulebook text (data/rulebook.tsv). */
extern const char rulebook_default_tsv[];
extern const size_t rulebook_default_tsv_len;

#endif
