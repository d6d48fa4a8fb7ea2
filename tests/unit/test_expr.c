/* test_expr.c: unit tests for src/domain/expr.c: precedence, functions, every parse error with its
 * position, the caps, evaluation errors (division by zero, overflow, failing callbacks), the list of
 * measures, the canonical form's round trip, and a deterministic fuzz loop over bytes and tokens. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/expr.h"

/* ---- fixtures: a small table of measures -------------------------------------------------- */

struct measure {
	const char *name;
	double value;
};

static const struct measure measures[] = {
	{"treated_voluntary", 30},
	{"treated_total", 120},
	{"addicts_managed", 90},
	{"addicts_managed_prev", 100},
	{"ost_patients", 42000},
	{"a", 2},
	{"b", 3},
	{"c", 5},
	{"x", -4},
	{"zero", 0},
	{"big", 1e300},
	{"m.2024_q1", 7},
	{"_under", 11},
};

#define NMEASURES (sizeof(measures) / sizeof(measures[0]))

static int known(const char *name, void *cls)
{
	(void)cls;
	for (size_t k = 0; k < NMEASURES; k++)
		if (strcmp(measures[k].name, name) == 0)
			return 1;
	return 0;
}

/* The evaluation context: counts calls, can be told to fail on one name, optionally filling the
 * same pcmt_err the caller passed to expr_eval. */
struct ctx {
	int calls;
	const char *fail;          /* name to fail on, or NULL */
	struct pcmt_err *fill;     /* when set, the failure is explained here */
	double override_value;     /* used for `fail` when fill is NULL and fail_with_value is set */
	int fail_with_value;       /* return 0 with override_value instead of failing */
};

static int value(const char *name, void *cls, double *out)
{
	struct ctx *c = cls;

	if (c)
		c->calls++;
	if (c && c->fail && strcmp(name, c->fail) == 0) {
		if (c->fail_with_value) {
			*out = c->override_value;
			return 0;
		}
		if (c->fill)
			err_set(c->fill, ERR_NOT_FOUND, "orgunit", "no data for %s in this period", name);
		return -1;
	}
	for (size_t k = 0; k < NMEASURES; k++)
		if (strcmp(measures[k].name, name) == 0) {
			*out = measures[k].value;
			return 0;
		}
	return -1;
}

/* Parses (with the known-measure check) and evaluates s, failing the test on any error. */
static double eval_ok(const char *s)
{
	struct pcmt_err err;
	struct expr *e;
	double r = NAN;

	err_clear(&err);
	e = expr_parse(s, known, NULL, &err);
	if (!e) {
		print_error("expr_parse(\"%s\") failed: %s\n", s, err.message);
		fail();
	}
	if (expr_eval(e, value, NULL, &r, &err) != 0) {
		print_error("expr_eval(\"%s\") failed: %s\n", s, err.message);
		fail();
	}
	expr_free(e);
	return r;
}

static void assert_eval(const char *s, double want)
{
	double got = eval_ok(s);

	if (fabs(got - want) > 1e-9 * fmax(1, fabs(want))) {
		print_error("\"%s\" = %.17g, expected %.17g\n", s, got, want);
		fail();
	}
}

/* Parsing s must fail with exactly `msg`, as an ERR_INVALID on the field "expression". */
static void assert_parse_error(const char *s, const char *msg)
{
	struct pcmt_err err;
	struct expr *e;

	err_clear(&err);
	e = expr_parse(s, known, NULL, &err);
	if (e) {
		char *t = expr_to_string(e);

		print_error("expr_parse(\"%s\") was accepted as %s\n", s, t ? t : "?");
		free(t);
		expr_free(e);
		fail();
	}
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, "expression");
	if (strcmp(err.message, msg) != 0) {
		print_error("expr_parse(\"%s\"):\n  got      %s\n  expected %s\n", s, err.message, msg);
		fail();
	}
}

/* Evaluating s (which parses) must fail with exactly `msg`. */
static void assert_eval_error(const char *s, const char *msg)
{
	struct pcmt_err err;
	struct expr *e;
	double r = 12345;

	err_clear(&err);
	e = expr_parse(s, known, NULL, &err);
	assert_non_null(e);
	assert_int_equal(expr_eval(e, value, NULL, &r, &err), -1);
	assert_true(r == 12345); /* *out untouched */
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, "expression");
	if (strcmp(err.message, msg) != 0) {
		print_error("expr_eval(\"%s\"):\n  got      %s\n  expected %s\n", s, err.message, msg);
		fail();
	}
	expr_free(e);
}

static char *canon(const char *s)
{
	struct pcmt_err err;
	struct expr *e = expr_parse(s, NULL, NULL, &err);
	char *t;

	if (!e) {
		print_error("expr_parse(\"%s\") failed: %s\n", s, err.message);
		fail();
	}
	t = expr_to_string(e);
	assert_non_null(t);
	expr_free(e);
	return t;
}

static void assert_canon(const char *s, const char *want)
{
	char *t = canon(s);

	if (strcmp(t, want) != 0) {
		print_error("canonical form of \"%s\" is \"%s\", expected \"%s\"\n", s, t, want);
		free(t);
		fail();
	}
	free(t);
}

/* ---- precedence, parentheses, numbers ------------------------------------------------------ */

static void test_precedence_and_associativity(void **state)
{
	assert_eval("2-3-4", -5);
	assert_eval("2*3+4", 10);
	assert_eval("2+3*4", 14);
	assert_eval("-2*3", -6);
	assert_eval("8/4/2", 1);
	assert_eval("2-3+4", 3);
	assert_eval("1-2*3", -5);
	assert_eval("12/3*2", 8);
	assert_eval("2*-3", -6);
	assert_eval("2--3", 5);
	assert_eval("--3", 3);
	assert_eval("-a*b", -6);
	assert_eval("-(a+b)", -5);
	assert_eval("1+2*3-4/2", 5);
	assert_eval(" \t2\n*\r3 ", 6); /* whitespace anywhere */
}

static void test_parentheses(void **state)
{
	assert_eval("(2+3)*4", 20);
	assert_eval("2*(3+4)", 14);
	assert_eval("8/(4/2)", 4);
	assert_eval("2-(3-4)", 3);
	assert_eval("((((7))))", 7);
	assert_eval("(a)", 2);
	assert_eval("-(-(2))", 2);
	assert_eval("( 1 + ( 2 * ( 3 + 4 ) ) )", 15);
}

static void test_numbers(void **state)
{
	assert_eval("0", 0);
	assert_eval("007", 7);
	assert_eval("0.5", 0.5);
	assert_eval("12.250", 12.25);
	assert_eval("1e3", 1000);
	assert_eval("1.5E-2", 0.015);
	assert_eval("2e+2", 200);
	assert_eval("1000000000000000", 1e15); /* the cap itself */
	assert_eval("1e15", 1e15);
	assert_eval("0.1+0.2", 0.1 + 0.2);
	assert_eval("1e-400", 0); /* underflows to 0, which is within the cap */
	assert_true(eval_ok("-0") == 0 && !signbit(eval_ok("-0"))); /* no "-0" in reports */
}

static void test_seed_formulas(void **state)
{
	assert_eval("100 * treated_voluntary / treated_total", 25);
	assert_eval("(addicts_managed - addicts_managed_prev) / addicts_managed_prev * 100", -10);
	assert_eval("min(ost_patients / 50000, 1) * 100", 84);
	assert_eval("pct(treated_voluntary, treated_total)", 25);
	assert_eval("m.2024_q1 + _under", 18);
}

static void test_functions(void **state)
{
	assert_eval("min(2, 3)", 2);
	assert_eval("min(3,2)", 2);
	assert_eval("max(2, 3)", 3);
	assert_eval("max(x, a)", 2);
	assert_eval("abs(x)", 4);
	assert_eval("abs(-2.5)", 2.5);
	assert_eval("pct(1, 4)", 25);
	assert_eval("pct(a + b, c * 2)", 50);
	assert_eval("max(min(a, b), min(c, 10))", 5);
	assert_eval("min (a , b)", 2); /* whitespace before '(' */
	assert_eval("-abs(x)", -4);
	assert_eval("2 * max(1, 2) + 1", 5);
}

static void test_function_errors(void **state)
{
	assert_parse_error("min(1)", "at position 6: too few arguments: min() takes 2");
	assert_parse_error("pct(a)", "at position 6: too few arguments: pct() takes 2");
	assert_parse_error("abs()", "at position 5: too few arguments: abs() takes 1");
	assert_parse_error("max( )", "at position 6: too few arguments: max() takes 2");
	assert_parse_error("abs(1, 2)", "at position 6: too many arguments: abs() takes 1");
	assert_parse_error("min(1, 2, 3)", "at position 9: too many arguments: min() takes 2");
	assert_parse_error("min(1 2)", "at position 7: expected an operator or ','");
	assert_parse_error("min(1,", "at position 7: expected a number, a measure name or '('");
	assert_parse_error("min(1, 2", "at position 9: ')' expected");
	assert_parse_error("abs(1 2)", "at position 7: expected an operator or ')'");
	assert_parse_error("foo(1)", "at position 1: unknown function 'foo' (min, max, abs and pct are allowed)");
	assert_parse_error("a + sqrt(b)", "at position 5: unknown function 'sqrt' (min, max, abs and pct are allowed)");
	assert_parse_error("treated_total(1)",
			   "at position 1: unknown function 'treated_total' (min, max, abs and pct are allowed)");
	assert_parse_error("min + 1", "at position 5: '(' expected after min");
	assert_parse_error("2 * abs", "at position 8: '(' expected after abs");
}

/* Each bad input with the exact message, position included. */
static void test_error_positions(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		/* trailing operator, missing operand */
		{"1 +", "at position 4: expected a number, a measure name or '('"},
		{"a * ", "at position 5: expected a number, a measure name or '('"},
		{"100 * / 3", "at position 7: expected a number, a measure name or '('"},
		{"* 2", "at position 1: expected a number, a measure name or '('"},
		{"+2", "at position 1: expected a number, a measure name or '('"},
		{"a -", "at position 4: expected a number, a measure name or '('"},
		{"1 2", "at position 3: expected an operator or the end"},
		{"a b", "at position 3: expected an operator or the end"},
		{"a, b", "at position 2: expected an operator or the end"},
		/* unbalanced parentheses, both ways */
		{"(1 + 2", "at position 7: ')' expected"},
		{"100 * (a - (b + c)", "at position 19: ')' expected"},
		{"(a b)", "at position 4: expected an operator or ')'"},
		{"1 + 2)", "at position 6: unexpected ')'"},
		{"(a))", "at position 4: unexpected ')'"},
		{")", "at position 1: expected a number, a measure name or '('"},
		{"()", "at position 2: expected a number, a measure name or '('"},
		{"(", "at position 2: expected a number, a measure name or '('"},
		/* unknown measure (first occurrence, leftmost error first) */
		{"100 * treated_volutary / treated_total", "at position 7: unknown measure 'treated_volutary'"},
		{"a + nope + #", "at position 5: unknown measure 'nope'"},
		{"a + A", "at position 5: unexpected character 'A' (names are lower case)"},
		{"Treated", "at position 1: unexpected character 'T' (names are lower case)"},
		/* bad characters */
		{"a + #", "at position 5: unexpected character '#'"},
		{"a = 1", "at position 3: unexpected character '='"},
		{"a % b", "at position 3: unexpected character '%'"},
		{"\"a\"", "at position 1: unexpected character '\"'"},
		{"a;b", "at position 2: unexpected character ';'"},
		{"2 ^ 3", "at position 3: unexpected character '^'"},
		{"a\x01", "at position 2: unexpected control character 0x01"},
		{"a\x7f", "at position 2: unexpected control character 0x7F"},
		{"a + \xc3\xa9", "at position 5: unexpected byte 0xC3 (only ASCII characters are allowed)"},
		{"a\xe1\xbb\x95ng", "at position 2: unexpected byte 0xE1 (only ASCII characters are allowed)"},
		/* numbers */
		{"1.", "at position 3: expected a digit after '.'"},
		{"1.x", "at position 3: expected a digit after '.'"},
		{".5", "at position 1: a number must start with a digit (write 0.5, not .5)"},
		{"1e", "at position 3: expected a digit in the exponent"},
		{"1e+", "at position 4: expected a digit in the exponent"},
		{"2x", "at position 2: expected an operator after a number"},
		{"1.2.3", "at position 4: expected an operator after a number"},
		{"3 * 1000000000000001", "at position 5: number larger than 1e15"},
		{"1e16", "at position 1: number larger than 1e15"},
		{"1e999999999999", "at position 1: number larger than 1e15"},
		/* empty */
		{"", "empty expression"},
		{"   ", "empty expression"},
		{" \t\r\n ", "empty expression"},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		assert_parse_error(cases[k].text, cases[k].msg);
	assert_parse_error(NULL, "empty expression");
}

/* ---- caps -------------------------------------------------------------------------------- */

static char *repeat3(const char *pre, int n, const char *mid, const char *post, int m)
{
	size_t len = strlen(pre) * (size_t)n + strlen(mid) + strlen(post) * (size_t)m + 1;
	char *s = malloc(len);

	assert_non_null(s);
	s[0] = '\0';
	for (int k = 0; k < n; k++)
		strcat(s, pre);
	strcat(s, mid);
	for (int k = 0; k < m; k++)
		strcat(s, post);
	return s;
}

static void test_depth_cap(void **state)
{
	char *s;

	s = repeat3("(", 64, "1", ")", 64);
	assert_eval(s, 1);
	free(s);
	s = repeat3("(", 65, "1", ")", 65);
	assert_parse_error(s, "at position 65: nested deeper than 64 levels");
	free(s);
	/* far deeper than any stack could take if the parser recursed without a bound */
	s = repeat3("(", 999, "", "", 0);
	assert_parse_error(s, "at position 65: nested deeper than 64 levels");
	free(s);
	s = repeat3("-", 64, "1", "", 0);
	assert_eval(s, 1);
	free(s);
	s = repeat3("-", 999, "1", "", 0);
	assert_parse_error(s, "at position 65: nested deeper than 64 levels");
	free(s);
	s = repeat3("abs(", 64, "x", ")", 64);
	assert_eval(s, 4);
	free(s);
	s = repeat3("abs(", 65, "x", ")", 65);
	assert_parse_error(s, "at position 260: nested deeper than 64 levels"); /* the 65th '(' */
	free(s);
	/* levels close again: 64 groups side by side are fine */
	s = repeat3("(1)+", 200, "1", "", 0);
	assert_eval(s, 201);
	free(s);
}

static void test_length_and_node_caps(void **state)
{
	char s[1100];
	char *t;

	/* exactly 1000 bytes parses; 1001 does not */
	memset(s, ' ', 999);
	s[999] = '1';
	s[1000] = '\0';
	assert_eval(s, 1);
	s[1000] = ' ';
	s[1001] = '\0';
	assert_parse_error(s, "at position 1001: expression longer than 1000 bytes");

	/* 250 ones and 249 '+': 499 nodes; "+1+1" more makes 503 */
	t = repeat3("1+", 249, "1", "", 0);
	assert_eval(t, 250);
	free(t);
	t = repeat3("1+", 250, "1", "", 0); /* 501 nodes: the 501st is the last '+' (position 500) */
	assert_parse_error(t, "at position 500: too complex: more than 500 numbers, names and operators");
	free(t);
	t = repeat3("a+", 250, "a", "", 0); /* names count as nodes too */
	assert_parse_error(t, "at position 500: too complex: more than 500 numbers, names and operators");
	free(t);
}

static int known_any(const char *name, void *cls)
{
	(void)cls;
	(void)name;
	return 1;
}

static void test_name_cap(void **state)
{
	char name[80], text[100];
	struct pcmt_err err;
	struct expr *e;

	memset(name, 'n', 63);
	name[63] = '\0';
	snprintf(text, sizeof(text), "1 + %s", name);
	e = expr_parse(text, known_any, NULL, &err);
	assert_non_null(e);
	assert_int_equal(expr_names(e, NULL, NULL), 1);
	expr_free(e);

	memset(name, 'n', 64);
	name[64] = '\0';
	snprintf(text, sizeof(text), "1 + %s", name);
	assert_null(expr_parse(text, known_any, NULL, &err));
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.message, "at position 5: measure name longer than 63 bytes");

	/* without a `known` callback every well-formed name is accepted */
	e = expr_parse("anything_at_all + x.y", NULL, NULL, &err);
	assert_non_null(e);
	expr_free(e);
}

/* ---- evaluation errors ------------------------------------------------------------------- */

static void test_division_by_zero(void **state)
{
	assert_eval_error("100 * treated_voluntary / zero", "division by zero: the denominator 'zero' is 0");
	assert_eval_error("a / 0", "division by zero: the denominator '0' is 0");
	assert_eval_error("a / (b - 3)", "division by zero: the denominator 'b - 3' is 0");
	assert_eval_error("1 / (a * 0 + zero)", "division by zero: the denominator 'a * 0 + zero' is 0");
	assert_eval_error("pct(a, zero)", "division by zero: the denominator 'zero' is 0");
	assert_eval_error("a / -0", "division by zero: the denominator '-0' is 0");
	/* a zero numerator is fine */
	assert_eval("zero / a", 0);
	/* overflow is refused, never returned as inf */
	assert_eval_error("big * big", "the result of 'big * big' is not a finite number");
	assert_eval_error("1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15 * 1e15",
			  "the result of '1000000000000000 * 1000000000000000 * 1000000000000000 * 1000000000000000 * "
			  "1000000000000000 * 1000000000000000 * 10...' is not a finite number");
	assert_eval_error("-big * big", "the result of '-big * big' is not a finite number");
	assert_eval_error("big / 1e-300", "the result of 'big / 1e-300' is not a finite number");
}

static void test_value_callback_failure(void **state)
{
	struct pcmt_err err;
	struct expr *e = expr_parse("a + b * c - a", NULL, NULL, &err);
	struct ctx c = {0};
	double r = 12345;

	assert_non_null(e);
	/* each distinct measure is asked for once */
	assert_int_equal(expr_eval(e, value, &c, &r, &err), 0);
	assert_true(r == 15);
	assert_int_equal(c.calls, 3);

	/* a failure the callback does not explain */
	c = (struct ctx){.fail = "b"};
	r = 12345;
	assert_int_equal(expr_eval(e, value, &c, &r, &err), -1);
	assert_true(r == 12345);
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, "expression");
	assert_string_equal(err.message, "no value for measure 'b'");
	assert_int_equal(c.calls, 2); /* stops at the first failure */

	/* a failure the callback explains is kept as is */
	c = (struct ctx){.fail = "c", .fill = &err};
	assert_int_equal(expr_eval(e, value, &c, &r, &err), -1);
	assert_int_equal(err.code, ERR_NOT_FOUND);
	assert_string_equal(err.field, "orgunit");
	assert_string_equal(err.message, "no data for c in this period");

	/* a stale error from an earlier call does not leak into a success */
	c = (struct ctx){0};
	assert_int_equal(expr_eval(e, value, &c, &r, &err), 0);
	assert_int_equal(err.code, ERR_OK);

	/* non-finite values from the callback are refused */
	c = (struct ctx){.fail = "a", .fail_with_value = 1, .override_value = INFINITY};
	assert_int_equal(expr_eval(e, value, &c, &r, &err), -1);
	assert_string_equal(err.message, "measure 'a' has a value that is not a finite number");
	c = (struct ctx){.fail = "b", .fail_with_value = 1, .override_value = NAN};
	assert_int_equal(expr_eval(e, value, &c, &r, &err), -1);
	assert_string_equal(err.message, "measure 'b' has a value that is not a finite number");

	/* no callback at all */
	assert_int_equal(expr_eval(e, NULL, NULL, &r, &err), -1);
	assert_string_equal(err.message, "no value for measure 'a'");
	expr_free(e);

	/* a formula without measures needs no callback; a NULL tree is an error, not a crash */
	e = expr_parse("pct(1, 8)", NULL, NULL, &err);
	assert_non_null(e);
	assert_int_equal(expr_eval(e, NULL, NULL, &r, &err), 0);
	assert_true(r == 12.5);
	expr_free(e);
	assert_int_equal(expr_eval(NULL, value, NULL, &r, NULL), -1);
	expr_free(NULL);
}

/* ---- names -------------------------------------------------------------------------------- */

struct seen {
	char names[8][64];
	int n;
};

static void collect(const char *name, void *cls)
{
	struct seen *s = cls;

	assert_true(s->n < 8);
	snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", name);
}

static void test_names(void **state)
{
	struct pcmt_err err;
	struct seen s = {0};
	struct expr *e = expr_parse("b * a + pct(a, c) - b / (c + a) + 2", known, NULL, &err);

	assert_non_null(e);
	assert_int_equal(expr_names(e, collect, &s), 3);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.names[0], "b");
	assert_string_equal(s.names[1], "a");
	assert_string_equal(s.names[2], "c");
	assert_int_equal(expr_names(e, NULL, NULL), 3);
	expr_free(e);

	memset(&s, 0, sizeof(s));
	e = expr_parse("100 * 2", known, NULL, &err);
	assert_non_null(e);
	assert_int_equal(expr_names(e, collect, &s), 0);
	assert_int_equal(s.n, 0);
	expr_free(e);
	assert_int_equal(expr_names(NULL, collect, &s), 0);
}

/* The tree must not point into the caller's text. */
static void test_text_not_retained(void **state)
{
	struct pcmt_err err;
	char *text = strdup("treated_voluntary / treated_total");
	struct expr *e;
	struct seen s = {0};
	double r;

	assert_non_null(text);
	e = expr_parse(text, known, NULL, &err);
	memset(text, 'z', strlen(text));
	free(text);
	assert_non_null(e);
	assert_int_equal(expr_names(e, collect, &s), 2);
	assert_string_equal(s.names[0], "treated_voluntary");
	assert_int_equal(expr_eval(e, value, NULL, &r, &err), 0);
	assert_true(r == 0.25);
	expr_free(e);
}

/* ---- canonical form ----------------------------------------------------------------------- */

static void test_to_string(void **state)
{
	assert_canon("100*treated_voluntary/treated_total", "100 * treated_voluntary / treated_total");
	assert_canon("(addicts_managed-addicts_managed_prev)/addicts_managed_prev*100",
		     "(addicts_managed - addicts_managed_prev) / addicts_managed_prev * 100");
	assert_canon("min( ost_patients/50000 ,1 )*100", "min(ost_patients / 50000, 1) * 100");
	assert_canon("((a))", "a");
	assert_canon("(a*b)+c", "a * b + c");
	assert_canon("a*(b+c)", "a * (b + c)");
	assert_canon("a-(b-c)", "a - (b - c)");
	assert_canon("(a-b)-c", "a - b - c");
	assert_canon("a+(b+c)", "a + (b + c)"); /* kept: floating-point addition is not associative */
	assert_canon("a/(b*c)", "a / (b * c)");
	assert_canon("a/b*c", "a / b * c");
	assert_canon("-(a+b)", "-(a + b)");
	assert_canon("-(-a)", "--a");
	assert_canon("a - -b", "a - -b");
	assert_canon("-a*b", "-a * b");
	assert_canon("-(a*b)", "-(a * b)");
	assert_canon("abs(-(x))", "abs(-x)");
	assert_canon("pct(a,b)", "pct(a, b)");
	/* numbers in their shortest exact spelling */
	assert_canon("1e3", "1000");
	assert_canon("0.10", "0.1");
	assert_canon("007.500", "7.5");
	assert_canon("1.5E-7", "1.5e-7");
	assert_canon("1e15", "1000000000000000");
	assert_canon("0.0001", "0.0001");
	assert_canon("0.30000000000000004", "0.30000000000000004");
	assert_canon("123456789.123456789", "123456789.12345679");
}

/* parse(to_string(e)) must give the same canonical text and the same value (or the same error). */
static void assert_round_trip(const char *text)
{
	struct pcmt_err e1, e2;
	struct expr *a = expr_parse(text, NULL, NULL, &e1), *b;
	char *s1, *s2;
	double r1 = 0, r2 = 0;
	int rc1, rc2;

	assert_non_null(a);
	s1 = expr_to_string(a);
	assert_non_null(s1);
	b = expr_parse(s1, NULL, NULL, &e2);
	if (!b) {
		print_error("canonical form \"%s\" of \"%s\" does not parse: %s\n", s1, text, e2.message);
		fail();
	}
	s2 = expr_to_string(b);
	assert_non_null(s2);
	assert_string_equal(s1, s2);
	rc1 = expr_eval(a, value, NULL, &r1, &e1);
	rc2 = expr_eval(b, value, NULL, &r2, &e2);
	assert_int_equal(rc1, rc2);
	if (rc1 == 0)
		assert_memory_equal(&r1, &r2, sizeof(r1)); /* bit for bit */
	else
		assert_string_equal(e1.message, e2.message);
	free(s1);
	free(s2);
	expr_free(a);
	expr_free(b);
}

static void test_round_trip(void **state)
{
	static const char *const texts[] = {
		"100 * treated_voluntary / treated_total",
		"(addicts_managed - addicts_managed_prev) / addicts_managed_prev * 100",
		"min(ost_patients / 50000, 1) * 100",
		"2-3-4", "2*3+4", "-2*3", "8/4/2", "a-(b-c)", "a+(b+c)+(a+b)", "--a", "a--b", "-(a+b)*-c",
		"0.1+0.2+0.3", "1/3", "pct(a-b, c)/max(a, abs(x))", "1e-300*a", "5e-324", "1e15",
		"x/zero", "big*big",
	};

	for (size_t k = 0; k < sizeof(texts) / sizeof(texts[0]); k++)
		assert_round_trip(texts[k]);
}

/* A formula packed to the text cap must still give a canonical form that parses, although the
 * readable spacing would push it past 1000 bytes. */
static void test_round_trip_at_the_cap(void **state)
{
	char *t = repeat3("abcd-", 199, "abcd", "", 0); /* 999 bytes, 399 nodes; 1397 bytes spaced */
	char *s;
	struct pcmt_err err;
	struct expr *e;

	assert_true(strlen(t) <= EXPR_MAX_TEXT);
	assert_round_trip(t);
	e = expr_parse(t, NULL, NULL, &err);
	assert_non_null(e);
	s = expr_to_string(e);
	assert_non_null(s);
	assert_true(strlen(s) <= EXPR_MAX_TEXT);
	free(s);
	expr_free(e);
	free(t);
	t = repeat3("1e5+", 199, "12e3", "", 0);
	assert_round_trip(t);
	free(t);
}

/* ---- fuzz --------------------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
	/* splitmix64: deterministic, so a failure reproduces */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int all_space(const char *s)
{
	for (; *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return 0;
	return 1;
}

/* Either a tree that round-trips, or an ERR_INVALID whose position lies within the text (its
 * length + 1 meaning "at the end"). Returns 1 when the text parsed. */
static int check_any(const char *text)
{
	struct pcmt_err err;
	struct expr *e;
	size_t len = strlen(text);

	memset(&err, 0x5a, sizeof(err)); /* garbage: the parser must fill what it reports */
	e = expr_parse(text, known, NULL, &err);
	if (e) {
		expr_free(e);
		assert_round_trip(text);
		return 1;
	}
	assert_int_equal(err.code, ERR_INVALID);
	assert_string_equal(err.field, "expression");
	assert_non_null(memchr(err.message, '\0', sizeof(err.message)));
	if (strcmp(err.message, "empty expression") == 0) {
		assert_true(all_space(text));
	} else {
		unsigned long pos = 0;
		int used = 0;

		if (sscanf(err.message, "at position %lu: %n", &pos, &used) != 1 || used == 0) {
			print_error("no position in \"%s\" for input of %zu bytes\n", err.message, len);
			fail();
		}
		assert_in_range(pos, 1, len + 1);
	}
	return 0;
}

static void test_fuzz_random_bytes(void **state)
{
	static const char alphabet[] = "0123456789abcxz_.() +-*/,eE\t\n";
	uint64_t s = 20240601;
	char buf[1200];
	int parsed = 0;

	for (int n = 0; n < 4000; n++) {
		size_t len = rng_next(&s) % (n % 100 == 0 ? 1100 : 40);

		for (size_t i = 0; i < len; i++) {
			uint64_t r = rng_next(&s);

			/* mostly formula characters, so that some inputs get deep; any byte sometimes */
			buf[i] = r % 4 ? alphabet[(r >> 8) % (sizeof(alphabet) - 1)] : (char)(1 + (r >> 8) % 255);
		}
		buf[len] = '\0';
		parsed += check_any(buf);
	}
	assert_true(parsed > 0);
}

static void test_fuzz_token_sequences(void **state)
{
	static const char *const tokens[] = {
		"a", "b", "c", "x", "zero", "treated_total", "nope", "1", "0", "2.5", "1e3", "1e15", "1e16",
		"+", "-", "*", "/", "(", ")", ",", "min(", "max(", "abs(", "pct(", "foo(", " ", "#", "\xc3\xa9",
	};
	uint64_t s = 7;
	char buf[1200];
	int parsed = 0;

	for (int n = 0; n < 6000; n++) {
		size_t len = 0;
		int ntok = (int)(rng_next(&s) % (n % 50 == 0 ? 400 : 16)) + 1;
		int depth = 0;

		for (int k = 0; k < ntok; k++) {
			/* a grammar-shaped walk most of the time, so that many sequences parse */
			uint64_t r = rng_next(&s);
			const char *t;

			if (r % 3) {
				static const char *const operands[] = {"a", "b", "c", "x", "zero", "2.5", "1e3", "7"};
				static const char *const ops[] = {" + ", " - ", " * ", " / ", "-", " , "};
				if (k % 2 == 0 && (r >> 8) % 4 == 0) {
					t = (r >> 16) % 2 ? "(" : "min(";
					depth++;
					k--; /* an operand still follows */
				} else if (k % 2 == 0) {
					t = operands[(r >> 8) % 8];
				} else if (depth > 0 && (r >> 8) % 3 == 0) {
					t = ")";
					depth--;
					k--;
				} else {
					t = ops[(r >> 8) % 5];
				}
			} else {
				t = tokens[(r >> 8) % (sizeof(tokens) / sizeof(tokens[0]))];
			}
			if (len + strlen(t) >= sizeof(buf) - 1)
				break;
			memcpy(buf + len, t, strlen(t));
			len += strlen(t);
		}
		while (depth-- > 0 && len < sizeof(buf) - 1 && rng_next(&s) % 4)
			buf[len++] = ')';
		buf[len] = '\0';
		parsed += check_any(buf);
	}
	assert_true(parsed > 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precedence_and_associativity),
		cmocka_unit_test(test_parentheses),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_seed_formulas),
		cmocka_unit_test(test_functions),
		cmocka_unit_test(test_function_errors),
		cmocka_unit_test(test_error_positions),
		cmocka_unit_test(test_depth_cap),
		cmocka_unit_test(test_length_and_node_caps),
		cmocka_unit_test(test_name_cap),
		cmocka_unit_test(test_division_by_zero),
		cmocka_unit_test(test_value_callback_failure),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_text_not_retained),
		cmocka_unit_test(test_to_string),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_at_the_cap),
		cmocka_unit_test(test_fuzz_random_bytes),
		cmocka_unit_test(test_fuzz_token_sequences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
