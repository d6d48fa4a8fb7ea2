/* suppress.c: small-cell suppression (see suppress.h for the algorithm and what it does not do).
 * Intervals are int64 with SUP_INF standing for "no upper bound": counts are far below it, so sums of
 * a line's bounds never overflow. */
#include "domain/suppress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUP_INF (INT64_MAX / 8)
#define SUP_RULE "stats.small_cell_threshold"

int sup_threshold(const struct rulebook *rb, int32_t date, int64_t *t, struct pcmt_err *err)
{
	double v = 0;

	if (rule_num(rb, SUP_RULE, date, &v, err))
		return -1;
	if (!(v >= 2 && v <= 1000000) || v != (double)(int64_t)v)
		return err_set(err, ERR_INTERNAL, NULL, "rule %s is %g, not a whole number of persons >= 2",
			       SUP_RULE, v);
	*t = (int64_t)v;
	return 0;
}

/* What a reader knows of a member before looking at any sum. */
static void sup_bounds(int64_t t, int64_t v, unsigned char st, int64_t *lo, int64_t *hi)
{
	if (st == SUP_PRIMARY) {
		*lo = 1;
		*hi = t - 1;
	} else if (st == SUP_SECONDARY) {
		*lo = t; /* zeros are published and 1..t-1 are primary: a hidden "x" is at least t */
		*hi = SUP_INF;
	} else {
		*lo = *hi = v;
	}
}

/* 1 when some hidden member of line l is pinned to one value by that line alone. Members carry a
 * coefficient: +1 for cells, -1 for the total, so the line reads sum(coef * x) = 0. For a hidden
 * member h: coef_h * x_h = -sum over the others of coef * x, whose range follows from the others'
 * bounds; intersected with h's own bounds. */
static int sup_line_discloses(int64_t t, const struct sup_line *l, const int64_t *value,
			      const unsigned char *state)
{
	int64_t lo_all = 0, hi_all = 0; /* range of sum(coef * x) over every member */
	int64_t lo, hi;
	int i, k = 0, ninf_lo = 0, ninf_hi = 0;

	/* The range of the whole sum with infinite parts counted apart, so that "the sum of the others"
	 * is the whole minus one member even when some bound is infinite. */
	for (i = 0; i <= l->n; i++) {
		int m = i < l->n ? l->cells[i] : l->total;
		int coef = i < l->n ? 1 : -1;

		sup_bounds(t, value[m], state[m], &lo, &hi);
		if (state[m] != SUP_SHOWN)
			k++;
		if (coef > 0) {
			lo_all += lo;
			if (hi >= SUP_INF)
				ninf_hi++;
			else
				hi_all += hi;
		} else {
			if (hi >= SUP_INF)
				ninf_lo++;
			else
				lo_all -= hi;
			hi_all -= lo;
		}
	}
	if (k == 0)
		return 0;
	for (i = 0; i <= l->n; i++) {
		int m = i < l->n ? l->cells[i] : l->total;
		int coef = i < l->n ? 1 : -1;
		int64_t olo, ohi, mlo, mhi, rlo, rhi; /* others' range; h's own; h's from the line */
		int oinf_lo = ninf_lo, oinf_hi = ninf_hi;

		if (state[m] == SUP_SHOWN)
			continue;
		sup_bounds(t, value[m], state[m], &mlo, &mhi);
		olo = lo_all;
		ohi = hi_all;
		if (coef > 0) {
			olo -= mlo;
			if (mhi >= SUP_INF)
				oinf_hi--;
			else
				ohi -= mhi;
		} else {
			if (mhi >= SUP_INF)
				oinf_lo--;
			else
				olo += mhi;
			ohi += mlo;
		}
		if (oinf_lo)
			olo = -SUP_INF;
		if (oinf_hi)
			ohi = SUP_INF;
		/* coef * x = -others: a cell (coef +1) is in [-ohi, -olo], the total in [olo, ohi] */
		if (coef > 0) {
			rlo = ohi >= SUP_INF ? -SUP_INF : -ohi;
			rhi = olo <= -SUP_INF ? SUP_INF : -olo;
		} else {
			rlo = olo;
			rhi = ohi;
		}
		if (rlo < mlo)
			rlo = mlo;
		if (rhi > mhi)
			rhi = mhi;
		if (rlo == rhi)
			return 1;
	}
	return 0;
}

/* The member of line l to hide next: the smallest positive shown cell, else the total when shown
 * and positive; -1 when nothing positive is left to hide. */
static int sup_pick(const struct sup_line *l, const int64_t *value, const unsigned char *state)
{
	int i, best = -1;

	for (i = 0; i < l->n; i++) {
		int m = l->cells[i];

		if (state[m] == SUP_SHOWN && value[m] > 0 && (best < 0 || value[m] < value[best]))
			best = m;
	}
	if (best < 0 && state[l->total] == SUP_SHOWN && value[l->total] > 0)
		best = l->total;
	return best;
}

int sup_apply(int64_t t, int ncells, const int64_t *value, int nlines, const struct sup_line *lines,
	      unsigned char *state, struct pcmt_err *err)
{
	int rc = -1;
	int *start = NULL, *member = NULL, *queue = NULL;
	unsigned char *queued = NULL;
	int i, j, nmem = 0, head = 0, tail = 0;

	if (ncells < 0 || nlines < 0)
		return err_set(err, ERR_INVALID, NULL, "negative table size");
	memset(state, SUP_SHOWN, (size_t)ncells);
	if (t < 2)
		return err_set(err, ERR_INVALID, NULL, "small-cell threshold %lld is below 2", (long long)t);
	for (i = 0; i < ncells; i++)
		if (value[i] < 0 || value[i] >= SUP_INF / 1024)
			return err_set(err, ERR_INVALID, NULL, "cell %d holds %lld, not a count", i,
				       (long long)value[i]);
	for (j = 0; j < nlines; j++) {
		int64_t sum = 0;

		if (lines[j].n < 0 || lines[j].total < 0 || lines[j].total >= ncells || (lines[j].n && !lines[j].cells))
			return err_set(err, ERR_INVALID, NULL, "line %d names no valid total", j);
		for (i = 0; i < lines[j].n; i++) {
			if (lines[j].cells[i] < 0 || lines[j].cells[i] >= ncells)
				return err_set(err, ERR_INVALID, NULL, "line %d names cell %d of %d", j,
					       lines[j].cells[i], ncells);
			sum += value[lines[j].cells[i]];
		}
		/* A total that is not the sum of its cells would make the intervals lie (and points to a
		 * bug in the caller's table). */
		if (sum != value[lines[j].total])
			return err_set(err, ERR_INVALID, NULL, "line %d: cells add up to %lld, total says %lld", j,
				       (long long)sum, (long long)value[lines[j].total]);
		nmem += lines[j].n + 1;
	}

	/* Primary: every count from 1 to t-1. */
	for (i = 0; i < ncells; i++)
		if (value[i] >= 1 && value[i] < t)
			state[i] = SUP_PRIMARY;

	/* cell -> lines (CSR), for re-checking the lines of a newly hidden cell. */
	start = calloc((size_t)ncells + 1, sizeof *start);
	member = malloc(((size_t)nmem + 1) * sizeof *member);
	queue = malloc(((size_t)nlines + 1) * sizeof *queue);
	queued = calloc((size_t)nlines + 1, 1);
	if (!start || !member || !queue || !queued) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	for (j = 0; j < nlines; j++) {
		for (i = 0; i < lines[j].n; i++)
			start[lines[j].cells[i] + 1]++;
		start[lines[j].total + 1]++;
	}
	for (i = 0; i < ncells; i++)
		start[i + 1] += start[i];
	{
		int *fill = calloc((size_t)ncells + 1, sizeof *fill);

		if (!fill) {
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		for (j = 0; j < nlines; j++) {
			for (i = 0; i < lines[j].n; i++) {
				int c = lines[j].cells[i];

				member[start[c] + fill[c]++] = j;
			}
			member[start[lines[j].total] + fill[lines[j].total]++] = j;
		}
		free(fill);
	}

	/* Secondary: a worklist of lines to check, every line at first. A line whose hidden members
	 * are all pinned-free leaves the queue; one that discloses hides one more member, and that
	 * member's lines are queued again (this line among them, so it is checked once more). */
	for (j = 0; j < nlines; j++) {
		queue[tail++] = j;
		queued[j] = 1;
	}
	while (head != tail) {
		int l = queue[head];
		int m;

		head = (head + 1) % (nlines + 1);
		queued[l] = 0;
		if (!sup_line_discloses(t, &lines[l], value, state))
			continue;
		m = sup_pick(&lines[l], value, state);
		if (m < 0)
			continue; /* nothing positive left to hide: see suppress.h */
		state[m] = SUP_SECONDARY;
		for (i = start[m]; i < start[m + 1]; i++) {
			int l2 = member[i];

			if (!queued[l2]) {
				queued[l2] = 1;
				queue[tail] = l2;
				tail = (tail + 1) % (nlines + 1);
			}
		}
	}
	rc = 0;
out:
	if (rc)
		memset(state, SUP_SHOWN, (size_t)ncells);
	free(start);
	free(member);
	free(queue);
	free(queued);
	return rc;
}

int sup_matrix(int64_t t, int rows, int cols, int totals, const int64_t *value, unsigned char *state,
	       struct pcmt_err *err)
{
	int rc = -1;
	int w, nl, r, c, *idx = NULL;
	struct sup_line *lines = NULL;

	if (rows < 0 || cols < 0 || (int64_t)(rows + 1) * (cols + 1) > INT32_MAX / 4)
		return err_set(err, ERR_INVALID, NULL, "table of %d x %d cells", rows, cols);
	if (!totals)
		return sup_apply(t, rows * cols, value, 0, NULL, state, err);
	w = cols + 1;
	nl = rows + cols + 2;
	lines = calloc((size_t)nl, sizeof *lines);
	/* index lists: rows (rows x cols), columns with the totals column ((cols + 1) x rows), the
	 * column-total row (cols) */
	idx = malloc((2 * (size_t)rows * (size_t)cols + (size_t)rows + (size_t)cols + 1) * sizeof *idx);
	if (!lines || !idx) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	{
		int *p = idx;

		for (r = 0; r < rows; r++) {   /* row r: cells r*w .. r*w+cols-1, total r*w+cols */
			for (c = 0; c < cols; c++)
				p[c] = r * w + c;
			lines[r] = (struct sup_line){r * w + cols, cols, p};
			p += cols;
		}
		for (c = 0; c <= cols; c++) {  /* column c (the last is the row totals): total rows*w+c */
			for (r = 0; r < rows; r++)
				p[r] = r * w + c;
			lines[rows + c] = (struct sup_line){rows * w + c, rows, p};
			p += rows;
		}
		/* the column totals add up to the grand total */
		for (c = 0; c < cols; c++)
			p[c] = rows * w + c;
		lines[rows + cols + 1] = (struct sup_line){rows * w + cols, cols, p};
	}
	rc = sup_apply(t, (rows + 1) * w, value, nl, lines, state, err);
out:
	free(lines);
	free(idx);
	return rc;
}

int sup_list(int64_t t, int n, const int64_t *value, unsigned char *state, struct pcmt_err *err)
{
	int rc = -1, i, *cells;
	struct sup_line line;

	if (n < 0)
		return err_set(err, ERR_INVALID, NULL, "negative list size");
	cells = malloc(((size_t)n + 1) * sizeof *cells);
	if (!cells)
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (i = 0; i < n; i++)
		cells[i] = i;
	line = (struct sup_line){n, n, cells};
	rc = sup_apply(t, n + 1, value, 1, &line, state, err);
	free(cells);
	return rc;
}

const char *sup_text(int64_t value, unsigned char state, int64_t t, char *buf)
{
	if (state == SUP_PRIMARY)
		snprintf(buf, SUP_TEXT_MAX, "<%lld", (long long)t);
	else if (state == SUP_SECONDARY)
		snprintf(buf, SUP_TEXT_MAX, "x");
	else
		snprintf(buf, SUP_TEXT_MAX, "%lld", (long long)value);
	return buf;
}
