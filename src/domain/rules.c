/* rules.c: the rulebook in memory: rows sorted by code then effective date, so that "the rule in
 * force on D" is one binary search, and the TSV parser that checks every row of a rulebook file and
 * names the line of the first fault. Pure: no store, no I/O. */
#include "domain/rules.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/date.h"
#include "util/text.h"

#define TSV_HEADER "code\tvalue\tunit\teffective_from\tconfirmed\tsource\tnote"
enum { TSV_COLS = 7 };

static const char *const units[] = {"days",   "hours",  "working_days", "months",  "persons",
				    "places", "plants", "m2",           "percent", "count",   NULL};

void rulebook_init(struct rulebook *rb)
{
	rb->rules = NULL;
	rb->n = rb->cap = 0;
}

void rulebook_free(struct rulebook *rb)
{
	free(rb->rules);
	rulebook_init(rb);
}

int rulebook_add(struct rulebook *rb, const struct rule *r)
{
	if (rb->n == rb->cap) {
		int cap = rb->cap ? rb->cap * 2 : 64;
		struct rule *v;

		if (rb->cap > (1 << 20)) /* a million rule versions is a bug, not a rulebook */
			return -1;
		if (!(v = realloc(rb->rules, (size_t)cap * sizeof(*v))))
			return -1;
		rb->rules = v;
		rb->cap = cap;
	}
	rb->rules[rb->n++] = *r;
	return 0;
}

/* Order of the rulebook: code, then effective_from. */
static int key_cmp(const char *code_a, int32_t from_a, const char *code_b, int32_t from_b)
{
	int c = strcmp(code_a, code_b);

	if (c)
		return c;
	return (from_a > from_b) - (from_a < from_b);
}

static int rule_cmp(const void *a, const void *b)
{
	const struct rule *x = a, *y = b;

	return key_cmp(x->code, x->effective_from, y->code, y->effective_from);
}

void rulebook_sort(struct rulebook *rb)
{
	if (rb->n > 1)
		qsort(rb->rules, (size_t)rb->n, sizeof(*rb->rules), rule_cmp);
}

const struct rule *rule_at(const struct rulebook *rb, const char *code, int32_t date)
{
	int lo = 0, hi = rb->n; /* first row whose key is above (code, date) lies in [lo, hi] */

	if (!code)
		return NULL;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		const struct rule *m = &rb->rules[mid];

		if (key_cmp(m->code, m->effective_from, code, date) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || strcmp(rb->rules[lo - 1].code, code))
		return NULL; /* unknown code, or every version starts after date */
	return &rb->rules[lo - 1];
}

int rule_known(const struct rulebook *rb, const char *code)
{
	int lo = 0, hi = rb->n;

	if (!code)
		return 0;
	while (lo < hi) { /* the first row whose code is not before code */
		int mid = lo + (hi - lo) / 2;

		if (strcmp(rb->rules[mid].code, code) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < rb->n && !strcmp(rb->rules[lo].code, code);
}

int rule_num(const struct rulebook *rb, const char *code, int32_t date, double *out, struct pcmt_err *err)
{
	const struct rule *r = rule_at(rb, code, date);
	char d[DATE_BUFSZ];

	if (!r && rule_known(rb, code))
		return err_set(err, ERR_INVALID, "date", "the rulebook has no rule %s in force on %s: its first version takes effect later",
			       code, date == DATE_NONE ? "(no date)" : date_format(date, d));
	if (!r)
		return err_set(err, ERR_UNAVAILABLE, NULL,
			       "the rulebook of this database lacks the rule %s (needed on %s): an administrator runs pcmt migrate, which adds the built-in rules a database lacks",
			       code ? code : "(null)", date == DATE_NONE ? "(no date)" : date_format(date, d));
	*out = r->value;
	return 0;
}

int rule_unit_known(const char *unit)
{
	for (int i = 0; unit && units[i]; i++)
		if (!strcmp(unit, units[i]))
			return 1;
	return 0;
}

enum rule_status rule_status_at(const struct rulebook *rb, int i, int32_t date)
{
	const struct rule *r = &rb->rules[i];

	if (r->effective_from > date)
		return RULE_FUTURE;
	if (i + 1 < rb->n && !strcmp(rb->rules[i + 1].code, r->code) && rb->rules[i + 1].effective_from <= date)
		return RULE_SUPERSEDED;
	return RULE_IN_FORCE;
}

const char *rule_status_name(enum rule_status st)
{
	switch (st) {
	case RULE_IN_FORCE: return "in_force";
	case RULE_SUPERSEDED: return "superseded";
	case RULE_FUTURE: return "future";
	}
	return "in_force";
}

/* 1 if code is two or more words of [a-z0-9_] joined by single dots, starting with a letter. */
static int code_ok(const char *c)
{
	int dots = 0, word = 0;

	if (!(*c >= 'a' && *c <= 'z'))
		return 0;
	for (; *c; c++) {
		if (*c == '.') {
			if (!word)
				return 0;
			dots++;
			word = 0;
		} else if ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_') {
			word++;
		} else {
			return 0;
		}
	}
	return dots > 0 && word > 0;
}

/* 1 if the array holds a NUL-terminated string (a row from outside may not). */
static int terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

/* 1 if s is valid UTF-8 without tabs or line breaks (a row must fit one TSV line). */
static int one_line(const char *s)
{
	return text_valid(s, strlen(s)) && !strpbrk(s, "\t\r\n");
}

int rule_validate(const struct rule *r, struct pcmt_err *err)
{
	int y, m, d;

	if (!terminated(r->code, sizeof(r->code)) || !code_ok(r->code))
		return err_set(err, ERR_INVALID, "code",
			       "code must be lowercase dotted words such as drugfree.test_window_days (at most %zu bytes)",
			       sizeof(r->code) - 1);
	if (!isfinite(r->value))
		return err_set(err, ERR_INVALID, "value", "value of %s must be a finite number", r->code);
	if (!terminated(r->unit, sizeof(r->unit)) || !rule_unit_known(r->unit))
		return err_set(err, ERR_INVALID, "unit",
			       "unit of %s must be one of days, hours, working_days, months, persons, places, plants, "
			       "m2, percent, count", r->code);
	date_to_ymd(r->effective_from, &y, &m, &d);
	if (r->effective_from == DATE_NONE || !date_valid_ymd(y, m, d))
		return err_set(err, ERR_INVALID, "effective_from", "effective_from of %s must be a date in 1800..2200",
			       r->code);
	if (r->confirmed != 0 && r->confirmed != 1)
		return err_set(err, ERR_INVALID, "confirmed", "confirmed of %s must be yes or no", r->code);
	if (!terminated(r->source, sizeof(r->source)) || !r->source[0] || !one_line(r->source))
		return err_set(err, ERR_INVALID, "source",
			       "source of %s must name the instrument (one line of UTF-8 text, at most %zu bytes)",
			       r->code, sizeof(r->source) - 1);
	if (!terminated(r->note, sizeof(r->note)) || !one_line(r->note))
		return err_set(err, ERR_INVALID, "note", "note of %s must be one line of UTF-8 text of at most %zu bytes", r->code,
			       sizeof(r->note) - 1);
	return 0;
}

/* Copies field [s, s+n) into dst[cap]; -1 when it does not fit. */
static int copy_field(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* A finite decimal number spelled plainly ("30", "0.5", "-2", "1e3"): strtod alone would also take
 * "inf", "nan", hex and leading blanks. */
static int parse_value(const char *s, double *out)
{
	char *end;

	if (!*s || strspn(s, "0123456789.+-eE") != strlen(s))
		return -1;
	*out = strtod(s, &end);
	return *end || !isfinite(*out) ? -1 : 0;
}

/* The ISO form only: a rulebook file is written by people editing a data file, and one spelling of
 * dates keeps it greppable and sortable. */
static int parse_iso_date(const char *s, int32_t *out)
{
	return strlen(s) != 10 || s[4] != '-' || date_parse(s, out) ? -1 : 0;
}

/* Splits one line (without its newline) at tabs; the first TSV_COLS fields go to f/fn. Returns the
 * number of fields in the line. */
static int split(const char *line, size_t len, const char *f[], size_t fn[])
{
	int n = 0;
	const char *p = line, *end = line + len;

	for (;;) {
		const char *t = memchr(p, '\t', (size_t)(end - p));

		if (n < TSV_COLS) {
			f[n] = p;
			fn[n] = t ? (size_t)(t - p) : (size_t)(end - p);
		}
		n++;
		if (!t)
			return n;
		p = t + 1;
	}
}

/* Fills r from one data line's fields; err names the column. */
static int parse_row(const char *f[], const size_t fn[], int nf, struct rule *r, struct pcmt_err *err)
{
	static const char *const cols[TSV_COLS] = {"code", "value", "unit", "effective_from", "confirmed",
						   "source", "note"};
	char buf[32];

	memset(r, 0, sizeof(*r));
	if (nf < TSV_COLS - 1 || nf > TSV_COLS)
		return err_set(err, ERR_INVALID, NULL, "%d tab-separated fields, expected %d (code, value, unit, "
			       "effective_from, confirmed, source, note)", nf, TSV_COLS);
	if (copy_field(r->code, sizeof(r->code), f[0], fn[0]))
		return err_set(err, ERR_INVALID, cols[0], "code is longer than %zu bytes", sizeof(r->code) - 1);
	if (copy_field(buf, sizeof(buf), f[1], fn[1]) || parse_value(buf, &r->value))
		return err_set(err, ERR_INVALID, cols[1], "value of %s is not a finite decimal number", r->code);
	if (copy_field(r->unit, sizeof(r->unit), f[2], fn[2]))
		return err_set(err, ERR_INVALID, cols[2], "unit of %s is not a known unit", r->code);
	if (copy_field(buf, sizeof(buf), f[3], fn[3]) || parse_iso_date(buf, &r->effective_from))
		return err_set(err, ERR_INVALID, cols[3], "effective_from of %s is not a real date YYYY-MM-DD", r->code);
	if (fn[4] == 3 && !memcmp(f[4], "yes", 3))
		r->confirmed = 1;
	else if (fn[4] == 2 && !memcmp(f[4], "no", 2))
		r->confirmed = 0;
	else
		return err_set(err, ERR_INVALID, cols[4], "confirmed of %s must be yes or no", r->code);
	if (copy_field(r->source, sizeof(r->source), f[5], fn[5]))
		return err_set(err, ERR_INVALID, cols[5], "source of %s is longer than %zu bytes", r->code,
			       sizeof(r->source) - 1);
	if (nf == TSV_COLS && copy_field(r->note, sizeof(r->note), f[6], fn[6]))
		return err_set(err, ERR_INVALID, cols[6], "note of %s is longer than %zu bytes", r->code,
			       sizeof(r->note) - 1);
	return rule_validate(r, err);
}

/* A row and where it came from, to name both lines of a duplicate. */
struct seen {
	const struct rule *r;
	int line; /* 0: already in the rulebook before this parse */
};

static int seen_cmp(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;
	int c = rule_cmp(x->r, y->r);

	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Refuses two rows with the same code and effective_from among rb's rows (new ones from n0 on,
 * numbered by lines[]). */
static int check_duplicates(const struct rulebook *rb, int n0, const int *lines, struct pcmt_err *err)
{
	struct seen *v;
	int rc = 0;

	if (rb->n < 2)
		return 0;
	if (!(v = malloc((size_t)rb->n * sizeof(*v))))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (int i = 0; i < rb->n; i++) {
		v[i].r = &rb->rules[i];
		v[i].line = i < n0 ? 0 : lines[i - n0];
	}
	qsort(v, (size_t)rb->n, sizeof(*v), seen_cmp);
	for (int i = 1; i < rb->n && !rc; i++) {
		char d[DATE_BUFSZ];

		if (rule_cmp(v[i - 1].r, v[i].r))
			continue;
		date_format(v[i].r->effective_from, d);
		if (v[i - 1].line)
			rc = err_set(err, ERR_INVALID, "code", "line %d: %s from %s is already on line %d", v[i].line,
				     v[i].r->code, d, v[i - 1].line);
		else
			rc = err_set(err, ERR_INVALID, "code", "line %d: %s from %s is already in the rulebook", v[i].line,
				     v[i].r->code, d);
	}
	free(v);
	return rc;
}

int rulebook_parse_tsv(struct rulebook *rb, const char *text, size_t len, struct pcmt_err *err)
{
	const char *p = text, *end = text + len;
	int n0 = rb->n, line = 0, header = 0, rc = -1, *lines = NULL, nlines = 0, caplines = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *f[TSV_COLS];
		size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p), fn[TSV_COLS];
		struct rule r;
		int nf;

		line++;
		if (ll && p[ll - 1] == '\r')
			ll--;
		if (!text_valid(p, ll)) {
			err_set(err, ERR_INVALID, NULL, "line %d: not UTF-8 text (or holds control characters)", line);
			goto out;
		}
		if (ll == 0 || p[0] == '#')
			goto next;
		if (!header) {
			if (ll != strlen(TSV_HEADER) || memcmp(p, TSV_HEADER, ll)) {
				err_set(err, ERR_INVALID, NULL, "line %d: the first line that is not a comment must be the header "
					"(code, value, unit, effective_from, confirmed, source, note; tab-separated)", line);
				goto out;
			}
			header = 1;
			goto next;
		}
		nf = split(p, ll, f, fn);
		if (parse_row(f, fn, nf, &r, err)) {
			char msg[sizeof(err->message)];

			snprintf(msg, sizeof(msg), "%s", err->message);
			err_set(err, ERR_INVALID, err->field, "line %d: %s", line, msg);
			goto out;
		}
		if (nlines == caplines) {
			int cap = caplines ? caplines * 2 : 64, *v = realloc(lines, (size_t)cap * sizeof(*v));

			if (!v) {
				err_set(err, ERR_INTERNAL, NULL, "out of memory");
				goto out;
			}
			lines = v;
			caplines = cap;
		}
		if (rulebook_add(rb, &r)) {
			err_set(err, ERR_INTERNAL, NULL, "line %d: out of memory", line);
			goto out;
		}
		lines[nlines++] = line;
	next:
		p = nl ? nl + 1 : end;
	}
	if (!header) {
		err_set(err, ERR_INVALID, NULL, "line %d: no header line (code, value, unit, effective_from, confirmed, "
			"source, note)", line + 1);
		goto out;
	}
	if (check_duplicates(rb, n0, lines, err))
		goto out;
	rulebook_sort(rb);
	rc = 0;
out:
	if (rc)
		rb->n = n0; /* rows before this parse stay; none of this file's do */
	free(lines);
	return rc;
}
