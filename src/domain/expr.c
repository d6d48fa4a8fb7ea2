/* expr.c: the parser, evaluator and printer of custom indicator formulas (see expr.h).
 * A recursive-descent parser whose recursion is bounded by EXPR_MAX_DEPTH builds nodes in post-order
 * (children before parents), so evaluation is one loop over an array and never recurses. */
#include "domain/expr.h"

#include <math.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD "expression"

enum kind { K_NUM, K_NAME, K_NEG, K_ADD, K_SUB, K_MUL, K_DIV, K_MIN, K_MAX, K_ABS, K_PCT };

struct enode {
	double num;         /* K_NUM: the literal (never negative: a minus sign is a K_NEG node) */
	int a, b;           /* operands (node indices, always lower than this node's); K_NAME: a is the
			       name index; -1 when unused */
	int pos;            /* 1-based byte position of the literal, name, operator or function */
	unsigned char kind; /* enum kind */
};

struct expr {
	int nnodes;                /* >= 1; the root is the last node */
	int nnames;                /* distinct measure names, in order of first appearance */
	const struct enode *nodes;
	const char *const *names;  /* NUL-terminated, in the same allocation as the tree */
};

/* The functions a formula may call; anything else is refused at parse time. */
static const struct func {
	const char *name;
	int arity;
	enum kind kind;
} funcs[] = {
	{"min", 2, K_MIN},
	{"max", 2, K_MAX},
	{"abs", 1, K_ABS},
	{"pct", 2, K_PCT},
};

enum tok { T_END, T_NUM, T_NAME, T_LP, T_RP, T_COMMA, T_PLUS, T_MINUS, T_STAR, T_SLASH };

struct parser {
	const char *s;
	size_t len;
	size_t i;           /* cursor: the byte after the current token */
	enum tok tok;       /* current token */
	size_t tpos;        /* its 0-based start */
	size_t tlen;        /* its length */
	double tnum;        /* T_NUM: its value */
	int depth;          /* nesting levels open around the cursor */
	expr_known_fn known;
	void *cls;
	struct pcmt_err *err;
	int n;              /* nodes used */
	int nnames;
	struct enode nodes[EXPR_MAX_NODES];
	struct {
		size_t off, len; /* the name's bytes in s: names are copied only once parsing succeeds */
	} names[EXPR_MAX_NODES];
};

static const char expect_operand[] = "expected a number, a measure name or '('";

/* Every parse error goes through here so that the position is always there and always 1-based. */
static int perr(struct parser *p, size_t at, const char *what)
{
	return err_set(p->err, ERR_INVALID, FIELD, "at position %zu: %s", at + 1, what);
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_name_start(int c)
{
	return (c >= 'a' && c <= 'z') || c == '_';
}

static int is_name_char(int c)
{
	return is_name_start(c) || is_digit(c) || c == '.';
}

static size_t skip_space(const struct parser *p, size_t i)
{
	while (i < p->len && is_space((unsigned char)p->s[i]))
		i++;
	return i;
}

/* The value of a decimal literal: digits with an optional '.', then an optional exponent. The
 * digits are handed to strtod without the '.', as "DDDDe-K", because strtod reads the decimal
 * point of the current locale and a formula must mean the same thing in every process. */
static double decimal_value(const char *s, size_t n)
{
	char buf[EXPR_MAX_TEXT + 16];
	size_t i = 0, k = 0;
	long exp10 = 0, e = 0;
	int neg = 0;

	for (; i < n && (is_digit(s[i]) || s[i] == '.'); i++) {
		if (s[i] == '.') {
			for (i++; i < n && is_digit(s[i]); i++, exp10--)
				if (k < sizeof(buf) - 16)
					buf[k++] = s[i];
			break;
		}
		if (k < sizeof(buf) - 16)
			buf[k++] = s[i];
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			neg = s[i++] == '-';
		for (; i < n && is_digit(s[i]); i++)
			if (e < 100000) /* beyond this the value is 0 or over the cap anyway */
				e = e * 10 + (s[i] - '0');
	}
	exp10 += neg ? -e : e;
	snprintf(buf + k, sizeof(buf) - k, "e%ld", exp10);
	return strtod(buf, NULL);
}

/* Scans the number at p->tpos; errors name the first byte that does not fit. */
static int lex_number(struct parser *p)
{
	size_t i = p->tpos;

	while (i < p->len && is_digit((unsigned char)p->s[i]))
		i++;
	if (i < p->len && p->s[i] == '.') {
		i++;
		if (i >= p->len || !is_digit((unsigned char)p->s[i]))
			return perr(p, i, "expected a digit after '.'");
		while (i < p->len && is_digit((unsigned char)p->s[i]))
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit((unsigned char)p->s[i]))
			return perr(p, i, "expected a digit in the exponent");
		while (i < p->len && is_digit((unsigned char)p->s[i]))
			i++;
	}
	/* "2x", "1.2.3": refuse here rather than let the next token produce a vaguer message */
	if (i < p->len && (is_name_char((unsigned char)p->s[i]) || (p->s[i] >= 'A' && p->s[i] <= 'Z')))
		return perr(p, i, "expected an operator after a number");
	p->tlen = i - p->tpos;
	p->tnum = decimal_value(p->s + p->tpos, p->tlen);
	if (!(p->tnum <= EXPR_MAX_NUMBER))
		return perr(p, p->tpos, "number larger than 1e15");
	p->tok = T_NUM;
	return 0;
}

/* Reads the next token into p->tok; -1 with err filled on a byte no token starts with. */
static int next(struct parser *p)
{
	char what[80];
	unsigned char c;

	p->tpos = skip_space(p, p->i);
	p->tlen = 1;
	if (p->tpos >= p->len) {
		p->tok = T_END;
		p->tlen = 0;
		p->i = p->tpos;
		return 0;
	}
	c = (unsigned char)p->s[p->tpos];
	switch (c) {
	case '+': p->tok = T_PLUS; break;
	case '-': p->tok = T_MINUS; break;
	case '*': p->tok = T_STAR; break;
	case '/': p->tok = T_SLASH; break;
	case '(': p->tok = T_LP; break;
	case ')': p->tok = T_RP; break;
	case ',': p->tok = T_COMMA; break;
	default:
		if (is_digit(c)) {
			if (lex_number(p))
				return -1;
		} else if (is_name_start(c)) {
			size_t i = p->tpos;

			while (i < p->len && is_name_char((unsigned char)p->s[i]))
				i++;
			if (i - p->tpos > EXPR_MAX_NAME)
				return perr(p, p->tpos, "measure name longer than 63 bytes");
			p->tok = T_NAME;
			p->tlen = i - p->tpos;
		} else if (c == '.' && p->tpos + 1 < p->len && is_digit((unsigned char)p->s[p->tpos + 1])) {
			return perr(p, p->tpos, "a number must start with a digit (write 0.5, not .5)");
		} else if (c >= 'A' && c <= 'Z') {
			snprintf(what, sizeof(what), "unexpected character '%c' (names are lower case)", c);
			return perr(p, p->tpos, what);
		} else if (c >= 0x80) {
			snprintf(what, sizeof(what), "unexpected byte 0x%02X (only ASCII characters are allowed)", c);
			return perr(p, p->tpos, what);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(what, sizeof(what), "unexpected control character 0x%02X", c);
			return perr(p, p->tpos, what);
		} else {
			snprintf(what, sizeof(what), "unexpected character '%c'", c);
			return perr(p, p->tpos, what);
		}
	}
	p->i = p->tpos + p->tlen;
	return 0;
}

static int add_node(struct parser *p, enum kind k, int a, int b, size_t at, double num)
{
	struct enode *nd;

	if (p->n >= EXPR_MAX_NODES)
		return perr(p, at, "too complex: more than 500 numbers, names and operators");
	nd = &p->nodes[p->n];
	nd->kind = (unsigned char)k;
	nd->a = a;
	nd->b = b;
	nd->pos = (int)at + 1;
	nd->num = num;
	return p->n++;
}

/* Opens a nesting level at `at`; the depth cap is what keeps the recursion below bounded. */
static int enter(struct parser *p, size_t at)
{
	if (++p->depth > EXPR_MAX_DEPTH)
		return perr(p, at, "nested deeper than 64 levels");
	return 0;
}

static int parse_sum(struct parser *p);

/* The index of the name at p->tpos in the name table, adding it (after asking `known`) when new. */
static int name_index(struct parser *p)
{
	const char *nm = p->s + p->tpos;
	char buf[EXPR_MAX_NAME + 1];
	char what[EXPR_MAX_NAME + 40];

	for (int k = 0; k < p->nnames; k++)
		if (p->names[k].len == p->tlen && memcmp(p->s + p->names[k].off, nm, p->tlen) == 0)
			return k;
	memcpy(buf, nm, p->tlen);
	buf[p->tlen] = '\0';
	if (p->known && !p->known(buf, p->cls)) {
		snprintf(what, sizeof(what), "unknown measure '%s'", buf);
		return perr(p, p->tpos, what);
	}
	if (p->nnames >= EXPR_MAX_NODES) /* cannot happen: each name is a node; kept for the reader */
		return perr(p, p->tpos, "too complex: more than 500 numbers, names and operators");
	p->names[p->nnames].off = p->tpos;
	p->names[p->nnames].len = p->tlen;
	return p->nnames++;
}

static const struct func *find_func(const char *s, size_t n)
{
	for (size_t k = 0; k < sizeof(funcs) / sizeof(funcs[0]); k++)
		if (strlen(funcs[k].name) == n && memcmp(funcs[k].name, s, n) == 0)
			return &funcs[k];
	return NULL;
}

/* call := func '(' sum (',' sum)* ')', with the count fixed by the function. p->tok is the name. */
static int parse_call(struct parser *p, const struct func *f)
{
	size_t at = p->tpos;
	int args[2] = {-1, -1};
	char what[80];

	if (next(p)) /* the '(' the caller saw */
		return -1;
	if (enter(p, p->tpos) || next(p))
		return -1;
	if (p->tok == T_RP) {
		snprintf(what, sizeof(what), "too few arguments: %s() takes %d", f->name, f->arity);
		return perr(p, p->tpos, what);
	}
	for (int k = 0; k < f->arity; k++) {
		if ((args[k] = parse_sum(p)) < 0)
			return -1;
		if (k + 1 < f->arity) {
			if (p->tok == T_RP) {
				snprintf(what, sizeof(what), "too few arguments: %s() takes %d", f->name, f->arity);
				return perr(p, p->tpos, what);
			}
			if (p->tok != T_COMMA)
				return perr(p, p->tpos, "expected an operator or ','");
			if (next(p))
				return -1;
		}
	}
	if (p->tok == T_COMMA) {
		snprintf(what, sizeof(what), "too many arguments: %s() takes %d", f->name, f->arity);
		return perr(p, p->tpos, what);
	}
	if (p->tok == T_END)
		return perr(p, p->tpos, "')' expected");
	if (p->tok != T_RP)
		return perr(p, p->tpos, "expected an operator or ')'");
	p->depth--;
	if (next(p))
		return -1;
	return add_node(p, f->kind, args[0], args[1], at, 0);
}

/* primary := number | name | call | '(' sum ')' */
static int parse_primary(struct parser *p)
{
	char what[EXPR_MAX_NAME + 60];
	size_t at = p->tpos;
	int r;

	switch (p->tok) {
	case T_NUM: {
		double v = p->tnum;

		if (next(p))
			return -1;
		return add_node(p, K_NUM, -1, -1, at, v);
	}
	case T_NAME: {
		const struct func *f = find_func(p->s + at, p->tlen);
		size_t after = skip_space(p, p->i);

		/* Look at the raw byte rather than the next token, so that an unknown measure is reported
		 * before any error further right. */
		if (after < p->len && p->s[after] == '(') {
			if (f)
				return parse_call(p, f);
			snprintf(what, sizeof(what), "unknown function '%.*s' (min, max, abs and pct are allowed)",
				 (int)p->tlen, p->s + at);
			return perr(p, at, what);
		}
		if (f) { /* function names are reserved, so "min" alone is a mistake, not a measure */
			snprintf(what, sizeof(what), "'(' expected after %s", f->name);
			return perr(p, after, what);
		}
		if ((r = name_index(p)) < 0 || next(p))
			return -1;
		return add_node(p, K_NAME, r, -1, at, 0);
	}
	case T_LP:
		if (enter(p, at) || next(p) || (r = parse_sum(p)) < 0)
			return -1;
		if (p->tok == T_END)
			return perr(p, p->tpos, "')' expected");
		if (p->tok != T_RP)
			return perr(p, p->tpos, "expected an operator or ')'");
		p->depth--;
		if (next(p))
			return -1;
		return r;
	default:
		return perr(p, at, expect_operand);
	}
}

/* unary := '-' unary | primary. Each minus is a nesting level: "------...x" must not recurse
 * without bound. */
static int parse_unary(struct parser *p)
{
	size_t at = p->tpos;
	int r;

	if (p->tok != T_MINUS)
		return parse_primary(p);
	if (enter(p, at) || next(p) || (r = parse_unary(p)) < 0)
		return -1;
	p->depth--;
	return add_node(p, K_NEG, r, -1, at, 0);
}

/* product := unary (('*' | '/') unary)*, left associative */
static int parse_product(struct parser *p)
{
	int l, r;

	if ((l = parse_unary(p)) < 0)
		return -1;
	while (p->tok == T_STAR || p->tok == T_SLASH) {
		enum kind k = p->tok == T_STAR ? K_MUL : K_DIV;
		size_t at = p->tpos;

		if (next(p) || (r = parse_unary(p)) < 0 || (l = add_node(p, k, l, r, at, 0)) < 0)
			return -1;
	}
	return l;
}

/* sum := product (('+' | '-') product)*, left associative */
static int parse_sum(struct parser *p)
{
	int l, r;

	if ((l = parse_product(p)) < 0)
		return -1;
	while (p->tok == T_PLUS || p->tok == T_MINUS) {
		enum kind k = p->tok == T_PLUS ? K_ADD : K_SUB;
		size_t at = p->tpos;

		if (next(p) || (r = parse_product(p)) < 0 || (l = add_node(p, k, l, r, at, 0)) < 0)
			return -1;
	}
	return l;
}

static size_t align_up(size_t n)
{
	size_t a = alignof(max_align_t);

	return (n + a - 1) / a * a;
}

/* Copies the parsed nodes and names into one right-sized block, so expr_free is one free(). */
static struct expr *freeze(const struct parser *p)
{
	size_t nodes_at = align_up(sizeof(struct expr));
	size_t names_at = align_up(nodes_at + (size_t)p->n * sizeof(struct enode));
	size_t pool_at = names_at + (size_t)p->nnames * sizeof(char *);
	size_t size = pool_at;
	struct expr *e;
	struct enode *nodes;
	const char **names;
	char *pool;

	for (int k = 0; k < p->nnames; k++)
		size += p->names[k].len + 1;
	if (!(e = malloc(size)))
		return NULL;
	nodes = (struct enode *)((char *)e + nodes_at);
	names = (const char **)((char *)e + names_at);
	pool = (char *)e + pool_at;
	memcpy(nodes, p->nodes, (size_t)p->n * sizeof(struct enode));
	for (int k = 0; k < p->nnames; k++) {
		memcpy(pool, p->s + p->names[k].off, p->names[k].len);
		pool[p->names[k].len] = '\0';
		names[k] = pool;
		pool += p->names[k].len + 1;
	}
	e->nnodes = p->n;
	e->nnames = p->nnames;
	e->nodes = nodes;
	e->names = names;
	return e;
}

struct expr *expr_parse(const char *text, expr_known_fn known, void *cls, struct pcmt_err *err)
{
	struct parser *p = NULL;
	struct expr *e = NULL;
	size_t len = text ? strnlen(text, EXPR_MAX_TEXT + 1) : 0;

	if (len > EXPR_MAX_TEXT) {
		err_set(err, ERR_INVALID, FIELD, "at position %d: expression longer than %d bytes",
			EXPR_MAX_TEXT + 1, EXPR_MAX_TEXT);
		goto out;
	}
	if (!(p = calloc(1, sizeof(*p)))) {
		err_set(err, ERR_INTERNAL, FIELD, "out of memory");
		goto out;
	}
	p->s = text ? text : "";
	p->len = len;
	p->known = known;
	p->cls = cls;
	p->err = err;
	if (next(p))
		goto out;
	if (p->tok == T_END) {
		err_set(err, ERR_INVALID, FIELD, "empty expression");
		goto out;
	}
	if (parse_sum(p) < 0)
		goto out;
	if (p->tok == T_RP) {
		perr(p, p->tpos, "unexpected ')'");
		goto out;
	}
	if (p->tok != T_END) {
		perr(p, p->tpos, "expected an operator or the end");
		goto out;
	}
	if (!(e = freeze(p)))
		err_set(err, ERR_INTERNAL, FIELD, "out of memory");
out:
	free(p);
	return e;
}

void expr_free(struct expr *e)
{
	free(e);
}

int expr_names(const struct expr *e, void (*fn)(const char *name, void *cls), void *cls)
{
	if (!e)
		return 0;
	if (fn)
		for (int k = 0; k < e->nnames; k++)
			fn(e->names[k], cls);
	return e->nnames;
}

/* ---- printing ------------------------------------------------------------------------------- */

/* An output buffer that either grows (expr_to_string) or cuts short at a fixed size (subexpressions
 * quoted in evaluation errors). */
struct sink {
	char *buf;
	size_t len, cap;
	int grows;
	int failed;     /* out of memory (grows) or cut short (fixed) */
};

static void put(struct sink *o, const char *s, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n + 1 > o->cap) {
		if (!o->grows) {
			n = o->cap - o->len - 1;
			o->failed = 1;
		} else {
			size_t cap = o->cap ? o->cap : 64;
			char *b;

			while (cap < o->len + n + 1)
				cap *= 2;
			if (!(b = realloc(o->buf, cap))) {
				o->failed = 1;
				return;
			}
			o->buf = b;
			o->cap = cap;
		}
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(struct sink *o, const char *s)
{
	put(o, s, strlen(s));
}

/* Shortest digits: v = 0.D * 10^*exp10 with the fewest digits that read back as exactly v.
 * %e is used only for its digits and exponent, which do not depend on the locale. */
static int shortest_digits(double v, char *digits, int *exp10)
{
	char buf[48], in[64];
	int nd = 0;

	for (int prec = 1; prec <= 17; prec++) {
		const char *c = buf;

		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		nd = 0;
		for (; *c && *c != 'e'; c++)
			if (is_digit(*c))
				digits[nd++] = *c;
		*exp10 = atoi(c + 1) + 1;
		while (nd > 1 && digits[nd - 1] == '0')
			nd--;
		digits[nd] = '\0';
		snprintf(in, sizeof(in), "%se%d", digits, *exp10 - nd);
		if (strtod(in, NULL) == v)
			break;
	}
	return nd;
}

/* Writes number v (>= 0). Readable mode writes plain decimals as people write them ("50000",
 * "0.25"), switching to an exponent only for very large or small values; compact mode (used when
 * the readable form would not fit the text cap) takes the shortest of the three spellings. */
static void put_number(struct sink *o, double v, int compact)
{
	char d[24], fixed[64], sci[40], imant[40];
	int e, nd, k = 0;
	const char *best;

	if (v == 0) {
		puts_(o, "0");
		return;
	}
	nd = shortest_digits(v, d, &e);
	/* fixed: all digits with the point placed by e */
	if (e >= nd) {
		k = snprintf(fixed, sizeof(fixed), "%s", d);
		for (int z = nd; z < e && k < (int)sizeof(fixed) - 1; z++)
			fixed[k++] = '0';
		fixed[k] = '\0';
	} else if (e > 0) {
		snprintf(fixed, sizeof(fixed), "%.*s.%s", e, d, d + e);
	} else if (e > -20) {
		k = snprintf(fixed, sizeof(fixed), "0.");
		for (int z = 0; z < -e; z++)
			fixed[k++] = '0';
		snprintf(fixed + k, sizeof(fixed) - (size_t)k, "%s", d);
	} else {
		fixed[0] = '\0';
	}
	/* scientific: one digit before the point */
	if (nd > 1)
		snprintf(sci, sizeof(sci), "%c.%se%d", d[0], d + 1, e - 1);
	else
		snprintf(sci, sizeof(sci), "%ce%d", d[0], e - 1);
	/* integer mantissa: "12e3" */
	snprintf(imant, sizeof(imant), "%se%d", d, e - nd);
	if (!compact) {
		best = fixed[0] && e > -5 && e <= 16 ? fixed : sci;
	} else {
		best = fixed[0] ? fixed : sci;
		if (strlen(sci) < strlen(best))
			best = sci;
		if (e != nd && strlen(imant) < strlen(best))
			best = imant;
	}
	puts_(o, best);
}

/* Binding strength: a child binding looser than its parent needs parentheses. */
static int prec(const struct enode *nd)
{
	switch ((enum kind)nd->kind) {
	case K_ADD: case K_SUB: return 1;
	case K_MUL: case K_DIV: return 2;
	case K_NEG: return 3;
	default: return 4;
	}
}

/* Recursion is bounded by the tree's height, at most EXPR_MAX_NODES. */
static void render(struct sink *o, const struct expr *e, int i, int compact)
{
	static const char *const ops[] = {[K_ADD] = "+", [K_SUB] = "-", [K_MUL] = "*", [K_DIV] = "/"};
	const struct enode *nd = &e->nodes[i];

	switch ((enum kind)nd->kind) {
	case K_NUM:
		put_number(o, nd->num, compact);
		break;
	case K_NAME:
		puts_(o, e->names[nd->a]);
		break;
	case K_NEG:
		/* "--x", never "-(-x)": parentheses would add nesting the original did not have */
		puts_(o, "-");
		if (prec(&e->nodes[nd->a]) < 3)
			puts_(o, "(");
		render(o, e, nd->a, compact);
		if (prec(&e->nodes[nd->a]) < 3)
			puts_(o, ")");
		break;
	case K_ADD: case K_SUB: case K_MUL: case K_DIV: {
		int p = prec(nd);
		/* left associative: a right operand of equal strength keeps its parentheses, since
		 * a - (b - c) and even a + (b + c) (in floating point) differ from the flat form */
		int lp = prec(&e->nodes[nd->a]) < p, rp = prec(&e->nodes[nd->b]) <= p;

		if (lp)
			puts_(o, "(");
		render(o, e, nd->a, compact);
		if (lp)
			puts_(o, ")");
		puts_(o, compact ? "" : " ");
		puts_(o, ops[nd->kind]);
		puts_(o, compact ? "" : " ");
		if (rp)
			puts_(o, "(");
		render(o, e, nd->b, compact);
		if (rp)
			puts_(o, ")");
		break;
	}
	case K_MIN: case K_MAX: case K_ABS: case K_PCT:
		for (size_t k = 0; k < sizeof(funcs) / sizeof(funcs[0]); k++)
			if (funcs[k].kind == (enum kind)nd->kind)
				puts_(o, funcs[k].name);
		puts_(o, "(");
		render(o, e, nd->a, compact);
		if (nd->b >= 0) {
			puts_(o, compact ? "," : ", ");
			render(o, e, nd->b, compact);
		}
		puts_(o, ")");
		break;
	}
}

char *expr_to_string(const struct expr *e)
{
	struct sink o = {.grows = 1};

	if (!e)
		return NULL;
	render(&o, e, e->nnodes - 1, 0);
	/* A formula near the text cap may grow past it with the readable spacing; then the compact
	 * form, so that parsing the canonical text always works. */
	if (!o.failed && o.len > EXPR_MAX_TEXT) {
		o.len = 0;
		render(&o, e, e->nnodes - 1, 1);
	}
	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	return o.buf;
}

/* ---- evaluation ----------------------------------------------------------------------------- */

/* The subexpression at node i in canonical form, cut to fit an error message. */
static const char *quote(const struct expr *e, int i, char *buf, size_t cap)
{
	struct sink o = {.buf = buf, .cap = cap};

	buf[0] = '\0';
	render(&o, e, i, 0);
	if (o.failed && cap > 4)
		memcpy(buf + cap - 4, "...", 4);
	return buf;
}

int expr_eval(const struct expr *e, expr_value_fn value, void *cls, double *out, struct pcmt_err *err)
{
	/* on the stack: a shared tree is never written, so concurrent evaluations need no lock */
	double nv[EXPR_MAX_NODES], v[EXPR_MAX_NODES];
	char q[120];

	if (err)
		err_clear(err);
	if (!e)
		return err_set(err, ERR_INVALID, FIELD, "empty expression");
	for (int k = 0; k < e->nnames; k++) {
		if (!value || value(e->names[k], cls, &nv[k]) != 0) {
			if (err && err->code != ERR_OK)
				return -1;
			return err_set(err, ERR_INVALID, FIELD, "no value for measure '%s'", e->names[k]);
		}
		if (!isfinite(nv[k]))
			return err_set(err, ERR_INVALID, FIELD, "measure '%s' has a value that is not a finite number",
				       e->names[k]);
	}
	for (int i = 0; i < e->nnodes; i++) {
		const struct enode *nd = &e->nodes[i];
		double a = nd->a >= 0 ? v[nd->a] : 0, b = nd->b >= 0 ? v[nd->b] : 0, r = 0;

		switch ((enum kind)nd->kind) {
		case K_NUM: r = nd->num; break;
		case K_NAME: r = nv[nd->a]; break;
		case K_NEG: r = -a; break;
		case K_ADD: r = a + b; break;
		case K_SUB: r = a - b; break;
		case K_MUL: r = a * b; break;
		case K_MIN: r = a < b ? a : b; break;
		case K_MAX: r = a > b ? a : b; break;
		case K_ABS: r = fabs(a); break;
		case K_DIV:
		case K_PCT:
			if (b == 0)
				return err_set(err, ERR_INVALID, FIELD, "division by zero: the denominator '%s' is 0",
					       quote(e, nd->b, q, sizeof(q)));
			r = nd->kind == K_DIV ? a / b : 100 * a / b;
			break;
		}
		if (!isfinite(r))
			return err_set(err, ERR_INVALID, FIELD, "the result of '%s' is not a finite number",
				       quote(e, i, q, sizeof(q)));
		v[i] = r;
	}
	/* -0 (from "-0" or "0 * -x") would print as "-0" in a report */
	*out = v[e->nnodes - 1] == 0 ? 0 : v[e->nnodes - 1];
	return 0;
}
