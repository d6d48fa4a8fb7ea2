/* suppress.h: small-cell suppression of aggregate counts (RULES.md "Small cells"; the threshold is
 * the rulebook row stats.small_cell_threshold). Pure: the caller hands in counts and the sums that
 * a reader will see (rows and columns with their totals), and gets back which cells to hide.
 *
 * Primary suppression: a published count from 1 to t-1 (t = threshold, 5) is shown as "<5".
 * Secondary suppression: a reader who sees a total and all but one cell of a sum works the hidden
 * one out by subtraction; more generally, a reader who knows each "<5" lies in [1, t-1] (and each
 * secondary-hidden count in [t, inf), since zeros are published and 1..t-1 are primary) can pin a
 * hidden count to one value from one sum ("<5" + "<5" = 2 makes both 1). For every sum (a "line":
 * its cells and its total) sup_apply() computes, from that line alone, the interval each hidden
 * member is confined to; while some hidden member's interval is a single value it hides one more
 * member of that line: the smallest positive visible cell (fewest readers lose the least), else the
 * line's total, else (never needed in a consistent table) a zero cell. A newly hidden cell re-checks
 * every line it belongs to (a worklist), so a secondary cell hidden in a row protects its column
 * too. It ends because each step hides one more cell.
 *
 * What it does not do: it protects each line against recovery from that line alone. A reader who
 * combines several lines (solving the whole system of equations of a table) could in rare patterns
 * narrow or find a hidden count (a "bridge" between two closed groups of hidden cells); auditing
 * the full linear system is not done (docs/security.md). */
#ifndef PCMT_SUPPRESS_H
#define PCMT_SUPPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "domain/rules.h"
#include "util/err.h"

enum sup_state {
	SUP_SHOWN = 0,     /* published as is (zeros and counts >= t) */
	SUP_PRIMARY = 1,   /* 1..t-1: published as "<t" */
	SUP_SECONDARY = 2  /* hidden so that a primary cannot be subtracted back: published as "x" */
};

/* One sum a reader sees: cells[0..n-1] add up to cell `total` (indices into the table's cells). */
struct sup_line {
	int total;
	int n;
	const int *cells;
};

/* The threshold t in force on `date` (rulebook stats.small_cell_threshold, a whole number >= 2).
 * ERR_INTERNAL naming the code when the rulebook lacks it or holds a value that is not one. */
int sup_threshold(const struct rulebook *rb, int32_t date, int64_t *t, struct pcmt_err *err);

/* Decides every cell's state. value[i] >= 0 are the counts (totals are cells too), lines the sums
 * the reader sees. state[] (ncells) is written: primary for 1..t-1, secondary as above, else shown.
 * A cell may belong to any number of lines. Returns 0, or -1 with ERR_INVALID on a negative count,
 * an index out of range or t < 2 (nothing meaningful to write: state is left all SUP_SHOWN);
 * ERR_INTERNAL when out of memory. */
int sup_apply(int64_t t, int ncells, const int64_t *value, int nlines, const struct sup_line *lines,
	      unsigned char *state, struct pcmt_err *err);

/* The common table: `rows` x `cols` counts, row-major in value[], plus (when `totals` is 1) a row
 * total after each row and a column-total row with the grand total at its end, i.e. a
 * (rows+1) x (cols+1) row-major matrix whose last column and last row are the totals. With totals
 * 0 the matrix is rows x cols and the only sums are none (primary suppression only). state[] has the
 * matrix's size. Same returns as sup_apply. */
int sup_matrix(int64_t t, int rows, int cols, int totals, const int64_t *value, unsigned char *state,
	       struct pcmt_err *err);

/* One column of counts with their total: value[0..n-1] add up to value[n]; state[] has n+1 cells. */
int sup_list(int64_t t, int n, const int64_t *value, unsigned char *state, struct pcmt_err *err);

/* How a cell is published: the count ("17"), "<5" (primary, with the threshold) or "x". buf of at
 * least SUP_TEXT_MAX bytes; returns buf. */
#define SUP_TEXT_MAX 24
const char *sup_text(int64_t value, unsigned char state, int64_t t, char *buf);

#endif
