/* test_suppress.c: unit tests for src/domain/suppress.c: the threshold from the built-in rulebook,
 * primary suppression of 1..4, secondary suppression against subtraction from a row or column total
 * (including "<5" + "<5" = 2 and the cascade from a row into its column), and, on a thousand random
 * tables, an independent check by enumeration that no sum pins a hidden count to one value. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain/suppress.h"
#include "util/date.h"

#define T 5

static void test_threshold_from_rulebook(void **state)
{
	struct rulebook rb;
	struct pcmt_err err;
	int64_t t = 0;

	err_clear(&err);
	rulebook_init(&rb);
	assert_int_equal(rulebook_parse_tsv(&rb, rulebook_default_tsv, rulebook_default_tsv_len, &err), 0);
	assert_int_equal(sup_threshold(&rb, date_from_ymd(2025, 6, 30), &t, &err), 0);
	assert_int_equal(t, 5);
	rulebook_free(&rb);

	/* a rulebook without the row is a deployment error naming the code (pcmt migrate adds it) */
	rulebook_init(&rb);
	assert_int_equal(sup_threshold(&rb, date_from_ymd(2025, 6, 30), &t, &err), -1);
	assert_int_equal(err.code, ERR_UNAVAILABLE);
	assert_non_null(strstr(err.message, "stats.small_cell_threshold"));
	rulebook_free(&rb);

	/* a fractional threshold is refused */
	rulebook_init(&rb);
	{
		const char tsv[] = "code\tvalue\tunit\teffective_from\tconfirmed\tsource\tnote\n"
				   "stats.small_cell_threshold\t4.5\tpersons\t2000-01-01\tyes\tx\t\n";

		assert_int_equal(rulebook_parse_tsv(&rb, tsv, sizeof tsv - 1, &err), 0);
	}
	assert_int_equal(sup_threshold(&rb, date_from_ymd(2025, 6, 30), &t, &err), -1);
	assert_int_equal(err.code, ERR_INTERNAL);
	rulebook_free(&rb);
}

static void expect_states(const unsigned char *got, const char *want, int n)
{
	/* want: one letter per cell, s shown, p primary, x secondary */
	for (int i = 0; i < n; i++) {
		char c = got[i] == SUP_SHOWN ? 's' : got[i] == SUP_PRIMARY ? 'p' : 'x';

		if (c != want[i]) {
			print_error("cell %d: got %c, want %c (want %s)\n", i, c, want[i], want);
			fail();
		}
	}
}

static void test_list(void **state)
{
	struct pcmt_err err;
	unsigned char st[8];

	err_clear(&err);
	/* 3 is primary; alone it would be 33 - 10 - 20: the smallest other cell (10) goes too */
	assert_int_equal(sup_list(T, 3, (int64_t[]){3, 10, 20, 33}, st, &err), 0);
	expect_states(st, "pxss", 4);
	/* nothing from 1 to 4: nothing hidden; zeros are published */
	assert_int_equal(sup_list(T, 3, (int64_t[]){0, 7, 20, 27}, st, &err), 0);
	expect_states(st, "ssss", 4);
	/* boundaries: 4 is hidden, 5 is not */
	assert_int_equal(sup_list(T, 2, (int64_t[]){4, 5, 9}, st, &err), 0);
	expect_states(st, "pxs", 3);
	assert_int_equal(sup_list(T, 2, (int64_t[]){5, 5, 10}, st, &err), 0);
	expect_states(st, "sss", 3);
	/* "<5" + "<5" = 12 - 10 = 2 would make both 1: the 10 goes */
	assert_int_equal(sup_list(T, 3, (int64_t[]){1, 1, 10, 12}, st, &err), 0);
	expect_states(st, "ppxs", 4);
	/* 4 + 4 = 8 as well (both at the top of the range) */
	assert_int_equal(sup_list(T, 3, (int64_t[]){4, 4, 10, 18}, st, &err), 0);
	expect_states(st, "ppxs", 4);
	/* two primaries whose sum (5) leaves a choice: safe as they are */
	assert_int_equal(sup_list(T, 3, (int64_t[]){2, 3, 10, 15}, st, &err), 0);
	expect_states(st, "ppss", 4);
	/* a small total is primary itself; with one small cell and zeros it protects the cell */
	assert_int_equal(sup_list(T, 3, (int64_t[]){3, 0, 0, 3}, st, &err), 0);
	expect_states(st, "pssp", 4);
	/* every member hidden: a reader gets 1..3 for a cell and 2..4 for the total: safe */
	assert_int_equal(sup_list(T, 2, (int64_t[]){1, 3, 4}, st, &err), 0);
	expect_states(st, "ppp", 3);
	/* with a hidden secondary: 6 = p + x, p in 1..4 and x >= 5 pins x = 5, p = 1: hide more */
	assert_int_equal(sup_list(T, 3, (int64_t[]){1, 5, 9, 15}, st, &err), 0);
	expect_states(st, "pxxs", 4);
	/* only a total to hide: 2 = 2 + 0 */
	assert_int_equal(sup_list(T, 2, (int64_t[]){2, 0, 2}, st, &err), 0);
	expect_states(st, "psp", 3);
	/* four "<5" under a "<5" total are each 1 and nothing positive is left to hide (suppress.h) */
	assert_int_equal(sup_list(T, 4, (int64_t[]){1, 1, 1, 1, 4}, st, &err), 0);
	expect_states(st, "ppppp", 5);
}

static void test_matrix_cascade(void **state)
{
	struct pcmt_err err;
	/* 3 x 3 with totals: the 3 hides the 10 in its row, the 8 in its column; the 10 then stands
	 * alone in column 1 (22 - 12), so the 12 goes; row 1 then has two hidden cells >= 5. */
	int64_t v[] = {3, 10, 20, 33,
		       8, 12, 30, 50,
		       11, 22, 50, 83};
	/* rows = 2 data rows + the column-total row */
	unsigned char st[12];

	err_clear(&err);
	assert_int_equal(sup_matrix(T, 2, 3, 1, v, st, &err), 0);
	expect_states(st, "pxss" "xxss" "ssss", 12);

	/* without totals only the primaries go */
	assert_int_equal(sup_matrix(T, 2, 2, 0, (int64_t[]){3, 10, 8, 0}, st, &err), 0);
	expect_states(st, "psss", 4);
}

static void test_text_and_errors(void **state)
{
	struct pcmt_err err;
	char buf[SUP_TEXT_MAX];
	unsigned char st[4] = {9, 9, 9, 9};

	assert_string_equal(sup_text(3, SUP_PRIMARY, 5, buf), "<5");
	assert_string_equal(sup_text(42, SUP_SECONDARY, 5, buf), "x");
	assert_string_equal(sup_text(42, SUP_SHOWN, 5, buf), "42");
	assert_string_equal(sup_text(0, SUP_SHOWN, 5, buf), "0");

	err_clear(&err);
	assert_int_equal(sup_list(T, 2, (int64_t[]){-1, 3, 2}, st, &err), -1);
	assert_int_equal(err.code, ERR_INVALID);
	assert_int_equal(st[0], SUP_SHOWN);
	/* a total that is not the sum of its cells */
	assert_int_equal(sup_list(T, 2, (int64_t[]){1, 3, 5}, st, &err), -1);
	assert_int_equal(err.code, ERR_INVALID);
	assert_non_null(strstr(err.message, "add up"));
	assert_int_equal(sup_list(1, 2, (int64_t[]){1, 3, 4}, st, &err), -1);
	assert_int_equal(err.code, ERR_INVALID);
	{
		struct sup_line bad = {0, 1, (int[]){7}};

		assert_int_equal(sup_apply(T, 2, (int64_t[]){1, 1}, 1, &bad, st, &err), -1);
		assert_int_equal(err.code, ERR_INVALID);
	}
}

/* --- independent checks by enumeration --- */

/* What a reader knows of cell i before any sum (the published form). */
static void bounds(int64_t v, unsigned char st, int64_t big, int64_t *lo, int64_t *hi)
{
	if (st == SUP_PRIMARY) {
		*lo = 1;
		*hi = T - 1;
	} else if (st == SUP_SECONDARY) {
		*lo = T;
		*hi = big;
	} else {
		*lo = *hi = v;
	}
}

/* For one line: can hidden member h take at least two values consistent with the line alone?
 * Reachable sums of the other members by dynamic programming over a bitmap. */
static int line_pins(const struct sup_line *l, const int64_t *v, const unsigned char *st, int64_t big)
{
	int nm = l->n + 1;
	int64_t span = big * (nm + 1) + 1;
	unsigned char *cur = malloc((size_t)(2 * span + 1)), *nxt = malloc((size_t)(2 * span + 1));
	int64_t *pre = malloc((size_t)(2 * span + 2) * sizeof *pre);
	int pinned = 0;

	for (int h = 0; h < nm && !pinned; h++) {
		int mh = h < l->n ? l->cells[h] : l->total;
		int64_t hlo, hhi, found = 0;

		if (st[mh] == SUP_SHOWN)
			continue;
		memset(cur, 0, (size_t)(2 * span + 1));
		cur[span] = 1; /* sum 0 at offset span */
		for (int i = 0; i < nm; i++) {
			int m = i < l->n ? l->cells[i] : l->total;
			int coef = i < l->n ? 1 : -1;
			int64_t lo, hi;

			if (i == h)
				continue;
			bounds(v[m], st[m], big, &lo, &hi);
			/* nxt[ns] = some cur[s] with ns = s + coef * x, x in [lo, hi]: a window of s, counted
			 * with prefix sums */
			pre[0] = 0;
			for (int64_t s = 0; s <= 2 * span; s++)
				pre[s + 1] = pre[s] + cur[s];
			for (int64_t ns = 0; ns <= 2 * span; ns++) {
				int64_t a = coef > 0 ? ns - hi : ns + lo, b = coef > 0 ? ns - lo : ns + hi;

				if (a < 0)
					a = 0;
				if (b > 2 * span)
					b = 2 * span;
				nxt[ns] = a <= b && pre[b + 1] - pre[a] > 0;
			}
			memcpy(cur, nxt, (size_t)(2 * span + 1));
		}
		bounds(v[mh], st[mh], big, &hlo, &hhi);
		for (int64_t x = hlo; x <= hhi; x++) {
			int coef = h < l->n ? 1 : -1;
			int64_t need = span - coef * x; /* others + coef*x = 0 */

			if (need >= 0 && need <= 2 * span && cur[need])
				found++;
		}
		if (found < 2)
			pinned = 1;
	}
	free(cur);
	free(nxt);
	free(pre);
	return pinned;
}

static unsigned rnd_state = 12345;
static unsigned rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 16) & 0x7fff;
}

static void test_random_tables_no_line_pins(void **state)
{
	enum { R = 3, C = 4, W = C + 1 };
	int tables = 0, hidden = 0, secondary = 0, unresolved = 0;

	for (int iter = 0; iter < 1000; iter++) {
		int64_t v[(R + 1) * W];
		unsigned char st[(R + 1) * W];
		struct pcmt_err err;

		memset(v, 0, sizeof v);
		for (int r = 0; r < R; r++)
			for (int c = 0; c < C; c++) {
				/* many small counts and zeros, as in commune tables */
				unsigned k = rnd() % 10;
				int64_t x = k < 3 ? 0 : k < 7 ? (int64_t)(1 + rnd() % 4) : (int64_t)(5 + rnd() % 12);

				v[r * W + c] = x;
				v[r * W + C] += x;
				v[R * W + c] += x;
				v[R * W + C] += x;
			}
		err_clear(&err);
		assert_int_equal(sup_matrix(T, R, C, 1, v, st, &err), 0);
		tables++;
		/* the lines sup_matrix builds, rebuilt here independently */
		struct sup_line lines[R + C + 2];
		int idx[R + C + 2][C + R];
		for (int r = 0; r < R; r++) {
			for (int c = 0; c < C; c++)
				idx[r][c] = r * W + c;
			lines[r] = (struct sup_line){r * W + C, C, idx[r]};
		}
		for (int c = 0; c <= C; c++) {
			for (int r = 0; r < R; r++)
				idx[R + c][r] = r * W + c;
			lines[R + c] = (struct sup_line){R * W + c, R, idx[R + c]};
		}
		for (int c = 0; c < C; c++)
			idx[R + C + 1][c] = R * W + c;
		lines[R + C + 1] = (struct sup_line){R * W + C, C, idx[R + C + 1]};

		for (int i = 0; i < (R + 1) * W; i++) {
			/* primary exactly for 1..4; secondary only on counts >= 5 */
			assert_int_equal(st[i] == SUP_PRIMARY, v[i] >= 1 && v[i] < T);
			if (st[i] == SUP_SECONDARY) {
				assert_true(v[i] >= T);
				secondary++;
			}
			hidden += st[i] != SUP_SHOWN;
		}
		for (int l = 0; l < R + C + 2; l++) {
			if (!line_pins(&lines[l], v, st, v[R * W + C]))
				continue;
			/* allowed only where nothing positive in the line is left shown */
			int positive_shown = 0;

			for (int i = 0; i < lines[l].n; i++)
				positive_shown |= st[lines[l].cells[i]] == SUP_SHOWN && v[lines[l].cells[i]] > 0;
			positive_shown |= st[lines[l].total] == SUP_SHOWN && v[lines[l].total] > 0;
			if (positive_shown) {
				print_error("table %d line %d pins a hidden count\n", iter, l);
				fail();
			}
			unresolved++;
		}
	}
	print_message("%d random tables: %d cells hidden, %d of them secondary, %d lines left pinned "
		      "with nothing positive to hide\n", tables, hidden, secondary, unresolved);
	assert_true(secondary > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold_from_rulebook),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_matrix_cascade),
		cmocka_unit_test(test_text_and_errors),
		cmocka_unit_test(test_random_tables_no_line_pins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
