/* report_xlsx.c: the report as an Excel workbook (libxlsxwriter): one sheet per section, each
 * opening with the report's title block, then the section's table with a frozen heading row, real
 * number cells (counts "#,##0", values "0.0"), real date cells (dd/mm/yyyy) and column widths.
 * Hidden small cells are text ("<5", "x") aligned right like the numbers they stand for.
 * libxlsxwriter 1.1 writes only to a file: the workbook goes to a temporary file that is read back. */
#include "report/report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "util/date.h"

struct fmts {
	lxw_format *title, *bold, *meta, *note, *head, *text, *num, *real, *date, *hidden;
	lxw_format *t_text, *t_num, *t_real, *t_hidden; /* total rows: bold */
};

static void make_formats(lxw_workbook *wb, struct fmts *f)
{
	f->title = workbook_add_format(wb);
	format_set_bold(f->title);
	format_set_font_size(f->title, 14);
	f->bold = workbook_add_format(wb);
	format_set_bold(f->bold);
	format_set_font_size(f->bold, 12);
	f->meta = workbook_add_format(wb);
	f->note = workbook_add_format(wb);
	format_set_italic(f->note);
	f->head = workbook_add_format(wb);
	format_set_bold(f->head);
	format_set_text_wrap(f->head);
	format_set_align(f->head, LXW_ALIGN_CENTER);
	format_set_align(f->head, LXW_ALIGN_VERTICAL_CENTER);
	format_set_bg_color(f->head, 0xD9E1F2);
	format_set_border(f->head, LXW_BORDER_THIN);
	for (int total = 0; total < 2; total++) {
		lxw_format *t = workbook_add_format(wb), *n = workbook_add_format(wb), *r = workbook_add_format(wb),
			   *h = workbook_add_format(wb);

		format_set_border(t, LXW_BORDER_THIN);
		format_set_border(n, LXW_BORDER_THIN);
		format_set_num_format(n, "#,##0");
		format_set_border(r, LXW_BORDER_THIN);
		format_set_num_format(r, "0.0");
		format_set_border(h, LXW_BORDER_THIN);
		format_set_align(h, LXW_ALIGN_RIGHT);
		if (total) {
			format_set_bold(t);
			format_set_bold(n);
			format_set_bold(r);
			format_set_bold(h);
			f->t_text = t, f->t_num = n, f->t_real = r, f->t_hidden = h;
		} else {
			f->text = t, f->num = n, f->real = r, f->hidden = h;
		}
	}
	f->date = workbook_add_format(wb);
	format_set_border(f->date, LXW_BORDER_THIN);
	format_set_num_format(f->date, "dd/mm/yyyy");
}

/* The title block; returns the next free row. */
static lxw_row_t title_block(lxw_worksheet *ws, const struct report *r, const struct fmts *f)
{
	lxw_row_t row = 0;

	worksheet_write_string(ws, row++, 0, r->issuer, f->bold);
	worksheet_write_string(ws, row++, 0, r->title, f->title);
	worksheet_write_string(ws, row++, 0, r->subtitle, f->meta);
	for (int i = 0; i < r->nmeta; i++) {
		char line[1024];

		snprintf(line, sizeof(line), "%s: %s", r->meta[i].k, r->meta[i].v);
		worksheet_write_string(ws, row++, 0, line, f->meta);
	}
	if (r->footnote)
		worksheet_write_string(ws, row++, 0, r->footnote, f->note);
	return row + 1;
}

static lxw_error write_sheet(lxw_workbook *wb, const struct report *r, const struct rep_table *t, const struct fmts *f)
{
	lxw_worksheet *ws = workbook_add_worksheet(wb, t->sheet);
	lxw_row_t row, head;
	lxw_error e = LXW_NO_ERROR;

	if (!ws)
		return LXW_ERROR_MEMORY_MALLOC_FAILED;
	row = title_block(ws, r, f);
	worksheet_write_string(ws, row++, 0, t->title, f->bold);
	if (t->note)
		worksheet_write_string(ws, row++, 0, t->note, f->note);
	head = row++;
	worksheet_set_row(ws, head, 32, NULL);
	for (int c = 0; c < t->ncols; c++) {
		worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, t->cols[c].width, NULL);
		worksheet_write_string(ws, head, (lxw_col_t)c, t->cols[c].head, f->head);
	}
	/* The heading row (and the unit columns of wide tables) stay in view while scrolling. */
	worksheet_freeze_panes(ws, head + 1, 0);
	for (int i = 0; i < t->nrows && !e; i++, row++) {
		int total = t->rflags[i] & RR_TOTAL;

		for (int c = 0; c < t->ncols && !e; c++) {
			const struct rep_cell *x = rep_at(t, i, c);
			lxw_col_t cc = (lxw_col_t)c;

			switch (x->k) {
			case RK_TEXT: e = worksheet_write_string(ws, row, cc, x->s, total ? f->t_text : f->text); break;
			case RK_HIDDEN: e = worksheet_write_string(ws, row, cc, x->s, total ? f->t_hidden : f->hidden); break;
			case RK_INT: e = worksheet_write_number(ws, row, cc, x->v, total ? f->t_num : f->num); break;
			case RK_REAL: e = worksheet_write_number(ws, row, cc, x->v, total ? f->t_real : f->real); break;
			case RK_DATE: {
				int y, m, d;
				lxw_datetime dt = {0};

				date_to_ymd(x->d, &y, &m, &d);
				dt.year = y, dt.month = m, dt.day = d;
				e = worksheet_write_datetime(ws, row, cc, &dt, f->date);
				break;
			}
			case RK_EMPTY: e = worksheet_write_blank(ws, row, cc, total ? f->t_text : f->text); break;
			}
		}
	}
	return e;
}

int rep_xlsx(const struct report *r, char **buf, size_t *len, struct pcmt_err *err)
{
	char path[] = "/tmp/pcmt-report-XXXXXX";
	int fd = mkstemp(path), rc = -1;
	lxw_workbook *wb = NULL;
	lxw_error e = LXW_NO_ERROR;
	struct fmts f;
	FILE *fp = NULL;
	long n;

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return err_set(err, ERR_INTERNAL, NULL, "cannot create a temporary file for the workbook: %s", strerror(errno));
	close(fd);
	if (!(wb = workbook_new(path))) {
		err_set(err, ERR_INTERNAL, NULL, "cannot start the workbook");
		goto out;
	}
	workbook_set_properties(wb, &(lxw_doc_properties){.title = (char *)r->title, .subject = (char *)r->subtitle,
							  .author = "pcmt", .company = (char *)r->issuer});
	make_formats(wb, &f);
	for (int i = 0; i < r->ntables && !e; i++)
		e = write_sheet(wb, r, &r->t[i], &f);
	if (e) {
		workbook_close(wb);
		err_set(err, ERR_INTERNAL, NULL, "cannot write the workbook: %s", lxw_strerror(e));
		goto out;
	}
	if ((e = workbook_close(wb))) {
		err_set(err, ERR_INTERNAL, NULL, "cannot write the workbook: %s", lxw_strerror(e));
		goto out;
	}
	if (!(fp = fopen(path, "rb")) || fseek(fp, 0, SEEK_END) || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET)) {
		err_set(err, ERR_INTERNAL, NULL, "cannot read the workbook back");
		goto out;
	}
	if (!(*buf = malloc((size_t)n + 1)) || fread(*buf, 1, (size_t)n, fp) != (size_t)n) {
		free(*buf);
		*buf = NULL;
		err_set(err, ERR_INTERNAL, NULL, "cannot read the workbook back");
		goto out;
	}
	*len = (size_t)n;
	rc = 0;
out:
	if (fp)
		fclose(fp);
	unlink(path);
	return rc;
}
