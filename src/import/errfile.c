/* errfile.c: the file given back when rows were refused: the input as it was, read again with the
 * same parser, plus three columns (row, field, message), so that the user corrects it in the
 * spreadsheet they know and imports it again (map.c ignores these columns on the way back in).
 * CSV in gives CSV out (UTF-8 with a BOM, which Excel needs to show Vietnamese); xlsx in gives an
 * xlsx written with libxlsxwriter. Only the xlsx writer touches the file system (libxlsxwriter
 * writes to a path), through a temporary file that is read back and removed. */
#include "import/imp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "util/date.h"

extern const char *const imp_errcols[3];

struct ebuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void eb_put(struct ebuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 65536;
		char *np;

		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(np = realloc(b->p, cap))) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void eb_cell(struct ebuf *b, const char *s, size_t n, int first)
{
	int quote = 0;

	if (!first)
		eb_put(b, ",", 1);
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == '"' || s[i] == ',' || s[i] == ';' || s[i] == '\n' || s[i] == '\r';
	if (!quote) {
		eb_put(b, s, n);
		return;
	}
	eb_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		eb_put(b, s + i, 1);
		if (s[i] == '"')
			eb_put(b, "\"", 1);
	}
	eb_put(b, "\"", 1);
}

struct ecx {
	const struct imp_result *res;
	int only_bad;
	int ncols;     /* the header's width: error columns go after it */
	/* CSV */
	struct ebuf out;
	/* xlsx */
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *date_fmt, *err_fmt;
	lxw_row_t xrow;
};

/* The errors of one row: [*lo, *hi) in the sorted array. */
static void errs_of(const struct imp_result *res, long row, size_t *lo, size_t *hi)
{
	size_t a = 0, b = res->nerrs;

	while (a < b) {
		size_t m = (a + b) / 2;

		if (res->errs[m].row < row)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	while (a < res->nerrs && res->errs[a].row == row)
		a++;
	*hi = a;
}

static void err_text(const struct imp_result *res, size_t lo, size_t hi, char *field, size_t fn, char *msg, size_t mn)
{
	size_t fk = 0, mk = 0;

	field[0] = msg[0] = '\0';
	for (size_t i = lo; i < hi; i++) {
		fk += (size_t)snprintf(field + fk, fk < fn ? fn - fk : 0, "%s%s", i > lo ? "; " : "", res->errs[i].field);
		mk += (size_t)snprintf(msg + mk, mk < mn ? mn - mk : 0, "%s%s", i > lo ? "; " : "", res->errs[i].message);
		if (fk >= fn || mk >= mn)
			break;
	}
}

static int csv_row(void *cls, long row, const struct imp_cell *cells, int n, size_t pos, size_t total,
		   struct pcmt_err *err)
{
	struct ecx *x = cls;
	size_t lo, hi;
	char field[256], msg[2048], num[24];
	int width;

	if (row > 1 || x->ncols == 0) {
		errs_of(x->res, row, &lo, &hi);
	} else {
		lo = hi = 0;
	}
	if (!x->ncols) { /* the header */
		x->ncols = n;
		for (int i = 0; i < n; i++)
			eb_cell(&x->out, cells[i].s, cells[i].n, i == 0);
		for (int k = 0; k < 3; k++)
			eb_cell(&x->out, imp_errcols[k], strlen(imp_errcols[k]), 0);
		eb_put(&x->out, "\r\n", 2);
		return 0;
	}
	if (x->only_bad && lo == hi)
		return 0;
	width = n > x->ncols ? n : x->ncols;
	for (int i = 0; i < width; i++)
		eb_cell(&x->out, i < n ? cells[i].s : "", i < n ? cells[i].n : 0, i == 0);
	err_text(x->res, lo, hi, field, sizeof(field), msg, sizeof(msg));
	snprintf(num, sizeof(num), "%ld", row);
	eb_cell(&x->out, lo < hi ? num : "", lo < hi ? strlen(num) : 0, 0);
	eb_cell(&x->out, field, strlen(field), 0);
	eb_cell(&x->out, msg, strlen(msg), 0);
	eb_put(&x->out, "\r\n", 2);
	return x->out.oom ? err_set(err, ERR_INTERNAL, NULL, "out of memory") : 0;
}

static int xlsx_row(void *cls, long row, const struct imp_cell *cells, int n, size_t pos, size_t total,
		    struct pcmt_err *err)
{
	struct ecx *x = cls;
	size_t lo = 0, hi = 0;
	char field[256], msg[2048], *t;
	int header = !x->ncols;

	if (!header)
		errs_of(x->res, row, &lo, &hi);
	if (!header && x->only_bad && lo == hi)
		return 0;
	if (header)
		x->ncols = n;
	for (int i = 0; i < n; i++) {
		if (!cells[i].n)
			continue;
		if (!(t = malloc(cells[i].n + 1)))
			return err_set(err, ERR_INTERNAL, NULL, "out of memory");
		memcpy(t, cells[i].s, cells[i].n);
		t[cells[i].n] = '\0';
		if ((cells[i].flags & IMP_CELL_FORMULA) && cells[i].formula_n) {
			/* the formula as it was, so that the user sees what the error is about */
			char *fm = malloc(cells[i].formula_n + 2);

			if (!fm) {
				free(t);
				return err_set(err, ERR_INTERNAL, NULL, "out of memory");
			}
			fm[0] = '=';
			memcpy(fm + 1, cells[i].formula, cells[i].formula_n);
			fm[cells[i].formula_n + 1] = '\0';
			int32_t d;

			if ((cells[i].flags & IMP_CELL_DATE) && !date_parse(t, &d))
				worksheet_write_formula_num(x->ws, x->xrow, (lxw_col_t)i, fm, x->date_fmt,
							    (double)(d - date_from_ymd(1899, 12, 30)));
			else if (cells[i].flags & IMP_CELL_NUMBER)
				worksheet_write_formula_num(x->ws, x->xrow, (lxw_col_t)i, fm, NULL, strtod(t, NULL));
			else
				worksheet_write_formula_str(x->ws, x->xrow, (lxw_col_t)i, fm, NULL, t);
			free(fm);
		} else if (cells[i].flags & IMP_CELL_DATE) {
			int32_t d;
			int y, m, dd;

			if (!date_parse(t, &d)) {
				lxw_datetime dt = {0};

				date_to_ymd(d, &y, &m, &dd);
				dt.year = y;
				dt.month = m;
				dt.day = dd;
				worksheet_write_datetime(x->ws, x->xrow, (lxw_col_t)i, &dt, x->date_fmt);
			} else {
				worksheet_write_string(x->ws, x->xrow, (lxw_col_t)i, t, NULL);
			}
		} else if ((cells[i].flags & IMP_CELL_NUMBER) && !(cells[i].flags & IMP_CELL_FORMULA)) {
			worksheet_write_number(x->ws, x->xrow, (lxw_col_t)i, strtod(t, NULL), NULL);
		} else {
			worksheet_write_string(x->ws, x->xrow, (lxw_col_t)i, t, NULL);
		}
		free(t);
	}
	if (header) {
		for (int k = 0; k < 3; k++)
			worksheet_write_string(x->ws, 0, (lxw_col_t)(x->ncols + k), imp_errcols[k], x->err_fmt);
	} else if (lo < hi) {
		err_text(x->res, lo, hi, field, sizeof(field), msg, sizeof(msg));
		worksheet_write_number(x->ws, x->xrow, (lxw_col_t)x->ncols, (double)row, x->err_fmt);
		worksheet_write_string(x->ws, x->xrow, (lxw_col_t)(x->ncols + 1), field, x->err_fmt);
		worksheet_write_string(x->ws, x->xrow, (lxw_col_t)(x->ncols + 2), msg, x->err_fmt);
	}
	x->xrow++;
	return 0;
}

static int read_back(const char *path, char **out, size_t *outn, struct pcmt_err *err)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f)
		return err_set(err, ERR_INTERNAL, NULL, "cannot read the error file back");
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) || !(*out = malloc((size_t)len + 1))) {
		fclose(f);
		return err_set(err, ERR_INTERNAL, NULL, "cannot read the error file back");
	}
	if (fread(*out, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(*out);
		*out = NULL;
		return err_set(err, ERR_INTERNAL, NULL, "cannot read the error file back");
	}
	fclose(f);
	*outn = (size_t)len;
	return 0;
}

int imp_errfile(const struct imp_opts *o, const void *buf, size_t n, const struct imp_result *res, int only_bad,
		char **out, size_t *outn, struct pcmt_err *err)
{
	struct ecx x;
	struct imp_where w;
	struct imp_limits lim = o->lim;
	int rc = -1, fd;
	char path[256];
	const char *tmp = getenv("TMPDIR");

	memset(&x, 0, sizeof(x));
	x.res = res;
	x.only_bad = only_bad;
	*out = NULL;
	*outn = 0;
	if (o->format == IMP_CSV) {
		eb_put(&x.out, "\xef\xbb\xbf", 3);
		if (csv_parse(buf, n, &lim, csv_row, &x, &w, err))
			goto out;
		if (x.out.oom) {
			err_set(err, ERR_INTERNAL, NULL, "out of memory");
			goto out;
		}
		*out = x.out.p;
		*outn = x.out.n;
		x.out.p = NULL;
		rc = 0;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/pcmt-import-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0)
		return err_set(err, ERR_INTERNAL, NULL, "cannot create a temporary file for the error file");
	close(fd);
	if (!(x.wb = workbook_new(path))) {
		unlink(path);
		return err_set(err, ERR_INTERNAL, NULL, "cannot write the error file");
	}
	x.ws = workbook_add_worksheet(x.wb, NULL);
	x.date_fmt = workbook_add_format(x.wb);
	format_set_num_format(x.date_fmt, "dd/mm/yyyy");
	x.err_fmt = workbook_add_format(x.wb);
	format_set_font_color(x.err_fmt, LXW_COLOR_RED);
	worksheet_freeze_panes(x.ws, 1, 0);
	rc = xlsx_parse(buf, n, &lim, xlsx_row, &x, &w, err);
	if (workbook_close(x.wb) != LXW_NO_ERROR && rc == 0)
		rc = err_set(err, ERR_INTERNAL, NULL, "cannot write the error file");
	if (rc == 0)
		rc = read_back(path, out, outn, err);
	unlink(path);
out:
	free(x.out.p);
	return rc;
}
