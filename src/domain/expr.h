/* expr.h: custom indicator formulas: safe arithmetic over built-in measures, such as
 * "100 * treated_voluntary / treated_total". A formula can do nothing but arithmetic (no assignment,
 * no strings, no calls beyond min/max/abs/pct), so an administrator's text is safe to store and run.
 * The grammar, the messages and the caps are in docs/expressions.md.
 *
 * Ownership, once for the whole API: expr_parse() returns a tree the caller owns and releases with
 * expr_free(); the tree copies every name it keeps, so `text` may be freed as soon as expr_parse()
 * returns. expr_to_string() returns a malloc'd string the caller frees. Names passed to callbacks
 * belong to the tree and live as long as it does.
 *
 * Pure: no I/O, no globals, no locale dependence. A parsed tree is immutable, so one tree may be
 * evaluated by any number of threads at once. */
#ifndef PCMT_EXPR_H
#define PCMT_EXPR_H

#include "util/err.h"

/* Caps: bad input must never crash, hang or grow memory without bound. */
enum {
	EXPR_MAX_TEXT = 1000, /* bytes of formula text */
	EXPR_MAX_DEPTH = 64,  /* nesting levels: each '(', function call and unary minus opens one */
	EXPR_MAX_NODES = 500, /* numbers, names, operators and calls in the tree */
	EXPR_MAX_NAME = 63    /* bytes of a measure name */
};
#define EXPR_MAX_NUMBER 1e15 /* the largest number literal */

struct expr;

/* Is `name` a built-in measure? Returns nonzero when it is. */
typedef int (*expr_known_fn)(const char *name, void *cls);
/* The value of measure `name`: returns 0 with *out set, or -1 when it has none. A callback that
 * wants to explain its failure may fill the caller's pcmt_err (reached through cls); see expr_eval. */
typedef int (*expr_value_fn)(const char *name, void *cls, double *out);

/* Parses `text`. When `known` is not NULL every measure name is checked with it here, so that a
 * misspelt name is refused when the formula is saved rather than when it is first computed.
 * Returns the tree, or NULL with err->code = ERR_INVALID, err->field = "expression" and a message
 * naming the 1-based byte position (EXPR_MAX_TEXT + 1 at most; the text's length + 1 means "at the
 * end") and what was expected: "at position 7: expected a number, a measure name or '('". The only
 * messages without a position are "empty expression" (NULL, empty or only whitespace) and, with
 * ERR_INTERNAL, "out of memory". */
struct expr *expr_parse(const char *text, expr_known_fn known, void *cls, struct pcmt_err *err);

/* Evaluates e, asking `value` once for each distinct measure. Returns 0 with *out set to a finite
 * number, or -1 with err filled and *out untouched:
 * - a zero denominator (of '/' or of pct) is ERR_INVALID, "division by zero: the denominator
 *   'treated_total' is 0" (the denominator in canonical form, cut short when long);
 * - any other non-finite result (overflow) is ERR_INVALID, "the result of 'a * b' is not a finite
 *   number"; a measure whose value is not finite is ERR_INVALID naming the measure;
 * - when `value` fails, err keeps whatever the callback put there (err is cleared before the first
 *   call, so a callback that fills the same pcmt_err through cls is propagated as is); if the
 *   callback left it clear, err becomes ERR_INVALID "no value for measure 'x'".
 * Every evaluation error has err->field = "expression" unless the callback set another. */
int expr_eval(const struct expr *e, expr_value_fn value, void *cls, double *out, struct pcmt_err *err);

/* Releases e; NULL is a no-op. */
void expr_free(struct expr *e);

/* Calls fn once for each distinct measure in e, in order of first appearance in the text, and
 * returns how many there were (fn may be NULL to count only). */
int expr_names(const struct expr *e, void (*fn)(const char *name, void *cls), void *cls);

/* The canonical form of e: single spaces around binary operators, "f(a, b)" for calls, only the
 * parentheses the tree needs, each number in its shortest exact form. Parsing it gives a tree that
 * evaluates identically. malloc'd (caller frees); NULL when out of memory. */
char *expr_to_string(const struct expr *e);

#endif
