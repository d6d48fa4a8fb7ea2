/* report_pdf.c: the report as a PDF (cairo): A4 landscape, a Vietnamese administrative header
 * (reporting unit on the left, the national motto on the right), the title block, bar charts drawn
 * with cairo (values against targets, drug-free share by unit), then each printed section as a
 * table whose heading row repeats on every page. Text is set in a font that fontconfig finds with
 * every Vietnamese letter (DejaVu Sans from fonts-dejavu-core), through cairo's FreeType backend;
 * a machine without one gets an error naming the package rather than a report with empty boxes. */
#include "report/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>

enum { LINES_MAX = 4 };

#define PAGE_W 841.89
#define PAGE_H 595.28
#define MARGIN 36.0
#define BOTTOM (PAGE_H - MARGIN - 14.0)
#define LINE_MAX_BYTES 512

/* Letters a font must have to set Vietnamese: the tone marks on the modified vowels, đ, ơ, ư. */
static const char vi_probe[] = "ẮẰẲẴẶắằẳẵặẤẦẨẪẬấầẩẫậẾỀỂỄỆếềểễệỐỒỔỖỘốồổỗộỚỜỞỠỢớờởỡợỨỪỬỮỰứừửữựỲỴỶỸỳỵỷỹĐđƠơƯư";

struct pdf {
	const struct report *r;
	cairo_surface_t *sf;
	cairo_t *cr;
	cairo_font_face_t *reg, *bold;
	double y;
	int page;
	char *out;
	size_t n, cap;
	int oom;
};

static cairo_status_t sink(void *cls, const unsigned char *data, unsigned int len)
{
	struct pdf *p = cls;

	if (p->n + len > p->cap) {
		size_t cap = p->cap ? p->cap : 1 << 16;
		char *np;

		while (cap < p->n + len)
			cap *= 2;
		if (!(np = realloc(p->out, cap))) {
			p->oom = 1;
			return CAIRO_STATUS_WRITE_ERROR;
		}
		p->out = np;
		p->cap = cap;
	}
	memcpy(p->out + p->n, data, len);
	p->n += len;
	return CAIRO_STATUS_SUCCESS;
}

/* ---- fonts ----------------------------------------------------------------------------------- */

/* Decodes one UTF-8 character at s into *cp; returns its length (1 on a stray byte). */
static int utf8_next(const char *s, FcChar32 *cp)
{
	int n = FcUtf8ToUcs4((const FcChar8 *)s, cp, (int)strlen(s) < 6 ? (int)strlen(s) : 6);

	if (n <= 0) {
		*cp = (unsigned char)*s;
		return 1;
	}
	return n;
}

/* A face of family "DejaVu Sans" (or whatever fontconfig offers in its place) that has every
 * Vietnamese letter; NULL with err set when no installed font has them. */
static cairo_font_face_t *vi_face(int bold, struct pcmt_err *err)
{
	FcPattern *pat = NULL, *match = NULL;
	FcCharSet *want = FcCharSetCreate(), *have = NULL;
	FcResult res;
	cairo_font_face_t *face = NULL;
	FcChar8 *file = NULL;

	if (!want || !FcInit()) {
		err_set(err, ERR_INTERNAL, NULL, "fontconfig failed to start");
		goto out;
	}
	for (const char *s = vi_probe; *s;) {
		FcChar32 cp;

		s += utf8_next(s, &cp);
		FcCharSetAddChar(want, cp);
	}
	pat = FcPatternBuild(NULL, FC_FAMILY, FcTypeString, "DejaVu Sans", FC_WEIGHT, FcTypeInteger,
			     bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR, FC_CHARSET, FcTypeCharSet, want, (char *)NULL);
	if (!pat) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory choosing a font");
		goto out;
	}
	FcConfigSubstitute(NULL, pat, FcMatchPattern);
	FcDefaultSubstitute(pat);
	match = FcFontMatch(NULL, pat, &res);
	if (!match || FcPatternGetCharSet(match, FC_CHARSET, 0, &have) != FcResultMatch || !FcCharSetIsSubset(want, have) ||
	    FcPatternGetString(match, FC_FILE, 0, &file) != FcResultMatch) {
		err_set(err, ERR_INTERNAL, NULL,
			"no installed font has every Vietnamese letter: install fonts-dejavu-core (scripts/apt-packages.txt)");
		goto out;
	}
	face = cairo_ft_font_face_create_for_pattern(match);
	if (cairo_font_face_status(face) != CAIRO_STATUS_SUCCESS) {
		cairo_font_face_destroy(face);
		face = NULL;
		err_set(err, ERR_INTERNAL, NULL, "cairo cannot use the font %s", (const char *)file);
	}
out:
	if (match)
		FcPatternDestroy(match);
	if (pat)
		FcPatternDestroy(pat);
	if (want)
		FcCharSetDestroy(want);
	return face;
}

/* ---- text ------------------------------------------------------------------------------------ */

static void font(struct pdf *p, double size, int bold)
{
	cairo_set_font_face(p->cr, bold ? p->bold : p->reg);
	cairo_set_font_size(p->cr, size);
}

static double text_w(struct pdf *p, const char *s)
{
	cairo_text_extents_t e;

	cairo_text_extents(p->cr, s, &e);
	return e.x_advance;
}

static void text_at(struct pdf *p, double x, double y, const char *s)
{
	cairo_move_to(p->cr, x, y);
	cairo_show_text(p->cr, s);
}

static void text_right(struct pdf *p, double xr, double y, const char *s)
{
	text_at(p, xr - text_w(p, s), y, s);
}

static void text_center(struct pdf *p, double xc, double y, const char *s)
{
	text_at(p, xc - text_w(p, s) / 2, y, s);
}

/* Breaks s into at most max lines of width w (at spaces, or inside a word too long for a line);
 * what does not fit ends the last line with "…". Lines go to buf (max x LINE_MAX_BYTES). */
static int wrap(struct pdf *p, const char *s, double w, char buf[][LINE_MAX_BYTES], int max)
{
	int n = 0;

	while (*s && n < max) {
		size_t best = 0, i = 0, len = strlen(s);
		char *line = buf[n];

		while (*s == ' ')
			s++, len--;
		if (!*s)
			break;
		/* the longest prefix that fits, preferring to end at a space */
		while (i < len) {
			FcChar32 cp;
			size_t j = i + (size_t)utf8_next(s + i, &cp);

			if (j >= LINE_MAX_BYTES - 4)
				break;
			memcpy(line, s, j);
			line[j] = '\0';
			if (text_w(p, line) > w)
				break;
			i = j;
			if (i == len || s[i] == ' ')
				best = i;
		}
		if (i == len)
			best = len;
		else if (!best)
			best = i ? i : (size_t)utf8_next(s, &(FcChar32){0});
		memcpy(line, s, best);
		line[best] = '\0';
		s += best;
		n++;
		if (n == max && *s) {
			/* the last line ends with an ellipsis, cut back until it fits */
			size_t k = strlen(line);

			for (;;) {
				char tmp[LINE_MAX_BYTES];

				snprintf(tmp, sizeof(tmp), "%.*s…", (int)k, line);
				if (text_w(p, tmp) <= w || k == 0) {
					snprintf(line, LINE_MAX_BYTES, "%s", tmp);
					break;
				}
				do
					k--;
				while (k > 0 && ((unsigned char)line[k] & 0xC0) == 0x80);
			}
		}
	}
	return n;
}

/* ---- pages ----------------------------------------------------------------------------------- */

static void footer(struct pdf *p)
{
	char b[64];

	font(p, 7.5, 0);
	cairo_set_source_rgb(p->cr, 0.35, 0.35, 0.35);
	snprintf(b, sizeof(b), "%s %d", p->r->lang == REP_EN ? "Page" : "Trang", p->page);
	text_right(p, PAGE_W - MARGIN, PAGE_H - MARGIN + 8, b);
	text_at(p, MARGIN, PAGE_H - MARGIN + 8, p->r->title);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
}

static void new_page(struct pdf *p)
{
	if (p->page)
		cairo_show_page(p->cr);
	p->page++;
	p->y = MARGIN;
	footer(p);
}

/* Starts a new page unless h more points fit on this one; 1 when it did. */
static int ensure(struct pdf *p, double h)
{
	if (p->y + h <= BOTTOM)
		return 0;
	new_page(p);
	return 1;
}

static void header(struct pdf *p)
{
	const struct report *r = p->r;
	double left = MARGIN + 150, right = PAGE_W - MARGIN - 170;
	char lines[LINES_MAX][LINE_MAX_BYTES];
	int n;

	font(p, 10, 1);
	n = wrap(p, r->issuer, 280, lines, 2);
	for (int i = 0; i < n; i++)
		text_center(p, left, p->y + 10 + 13 * i, lines[i]);
	text_center(p, right, p->y + 10, r->lang == REP_EN ? "SOCIALIST REPUBLIC OF VIET NAM" : "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM");
	font(p, 10, 1);
	text_center(p, right, p->y + 23, r->lang == REP_EN ? "Independence - Freedom - Happiness" : "Độc lập - Tự do - Hạnh phúc");
	cairo_set_line_width(p->cr, 0.6);
	cairo_move_to(p->cr, right - 80, p->y + 27);
	cairo_line_to(p->cr, right + 80, p->y + 27);
	cairo_move_to(p->cr, left - 40, p->y + 14 + 13 * (n - 1) + 4);
	cairo_line_to(p->cr, left + 40, p->y + 14 + 13 * (n - 1) + 4);
	cairo_stroke(p->cr);
	p->y += 50;
	font(p, 14, 1);
	n = wrap(p, r->title, PAGE_W - 2 * MARGIN, lines, 2);
	for (int i = 0; i < n; i++, p->y += 18)
		text_center(p, PAGE_W / 2, p->y + 12, lines[i]);
	font(p, 10.5, 0);
	n = wrap(p, r->subtitle, PAGE_W - 2 * MARGIN - 80, lines, 3);
	for (int i = 0; i < n; i++, p->y += 14)
		text_center(p, PAGE_W / 2, p->y + 12, lines[i]);
	p->y += 10;
	for (int i = 0; i < r->nmeta; i++) {
		char b[1024];

		font(p, 9, 1);
		snprintf(b, sizeof(b), "%s: ", r->meta[i].k);
		text_at(p, MARGIN + 20, p->y + 10, b);
		font(p, 9, 0);
		n = wrap(p, r->meta[i].v, PAGE_W - 2 * MARGIN - 200, lines, 2);
		for (int k = 0; k < n; k++, p->y += 12.5)
			text_at(p, MARGIN + 200, p->y + 10, lines[k]);
	}
	if (r->footnote) {
		font(p, 8, 0);
		cairo_set_source_rgb(p->cr, 0.3, 0.3, 0.3);
		n = wrap(p, r->footnote, PAGE_W - 2 * MARGIN - 20, lines, 2);
		for (int k = 0; k < n; k++, p->y += 11)
			text_at(p, MARGIN + 20, p->y + 10, lines[k]);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
	}
	p->y += 12;
}

/* ---- charts ---------------------------------------------------------------------------------- */

/* The value bars' colour: the tests look for it in the rendered pages. */
#define BAR_R 0x2b / 255.0
#define BAR_G 0x6c / 255.0
#define BAR_B 0xb0 / 255.0

static void chart(struct pdf *p, const struct rep_chart *c)
{
	double label_w = 230, x0 = MARGIN + label_w + 8, x1 = PAGE_W - MARGIN - 50, bar_h = 12, gap = 6;
	double max = 100, h;
	char lines[LINES_MAX][LINE_MAX_BYTES], b[32];
	int n;

	if (!c->percent) {
		max = 0;
		for (int i = 0; i < c->nbars; i++) {
			if (c->bars[i].has_value && c->bars[i].value > max)
				max = c->bars[i].value;
			if (c->bars[i].has_target && c->bars[i].target > max)
				max = c->bars[i].target;
		}
		max = max > 0 ? max * 1.1 : 1;
	} else {
		for (int i = 0; i < c->nbars; i++)
			if (c->bars[i].has_value && c->bars[i].value > max)
				max = c->bars[i].value;
	}
	h = 20 + 16 + c->nbars * (bar_h + gap) + 24;
	ensure(p, h > BOTTOM - MARGIN ? 60 : h);
	font(p, 10, 1);
	text_at(p, MARGIN, p->y + 12, c->title);
	p->y += 20;
	/* legend */
	font(p, 8, 0);
	cairo_set_source_rgb(p->cr, BAR_R, BAR_G, BAR_B);
	cairo_rectangle(p->cr, x0, p->y, 10, 8);
	cairo_fill(p->cr);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	text_at(p, x0 + 14, p->y + 7.5, c->legend_value);
	if (c->legend_target) {
		double lx = x0 + 30 + text_w(p, c->legend_value);

		cairo_set_source_rgb(p->cr, 0.85, 0.1, 0.1);
		cairo_set_line_width(p->cr, 2);
		cairo_move_to(p->cr, lx + 4, p->y - 1);
		cairo_line_to(p->cr, lx + 4, p->y + 9);
		cairo_stroke(p->cr);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
		text_at(p, lx + 10, p->y + 7.5, c->legend_target);
	}
	p->y += 16;
	for (int i = 0; i < c->nbars; i++) {
		const struct rep_bar *bar = &c->bars[i];
		double y = p->y, w;

		if (ensure(p, bar_h + gap + 4))
			y = p->y;
		/* gridlines of this row: quarters of the axis */
		cairo_set_source_rgb(p->cr, 0.85, 0.85, 0.85);
		cairo_set_line_width(p->cr, 0.5);
		for (int g = 0; g <= 4; g++) {
			cairo_move_to(p->cr, x0 + (x1 - x0) * g / 4, y - gap / 2);
			cairo_line_to(p->cr, x0 + (x1 - x0) * g / 4, y + bar_h + gap / 2);
		}
		cairo_stroke(p->cr);
		cairo_set_source_rgb(p->cr, 0, 0, 0);
		font(p, 7.5, 0);
		n = wrap(p, bar->label, label_w, lines, 1);
		if (n)
			text_right(p, x0 - 6, y + bar_h - 3, lines[0]);
		if (bar->hidden || !bar->has_value) {
			text_at(p, x0 + 3, y + bar_h - 3, bar->hidden ? "x" : "—");
		} else {
			w = (x1 - x0) * (bar->value < 0 ? 0 : bar->value > max ? max : bar->value) / max;
			cairo_set_source_rgb(p->cr, BAR_R, BAR_G, BAR_B);
			cairo_rectangle(p->cr, x0, y, w, bar_h);
			cairo_fill(p->cr);
			cairo_set_source_rgb(p->cr, 0, 0, 0);
			snprintf(b, sizeof(b), "%.1f", bar->value);
			text_at(p, x0 + w + 3, y + bar_h - 3, b);
		}
		if (bar->has_target) {
			double tx = x0 + (x1 - x0) * (bar->target > max ? max : bar->target) / max;

			cairo_set_source_rgb(p->cr, 0.85, 0.1, 0.1);
			cairo_set_line_width(p->cr, 2);
			cairo_move_to(p->cr, tx, y - 2);
			cairo_line_to(p->cr, tx, y + bar_h + 2);
			cairo_stroke(p->cr);
			cairo_set_source_rgb(p->cr, 0, 0, 0);
		}
		p->y = y + bar_h + gap;
	}
	/* axis labels */
	font(p, 7, 0);
	for (int g = 0; g <= 4; g++) {
		snprintf(b, sizeof(b), c->percent ? "%.0f%%" : "%.0f", max * g / 4);
		text_center(p, x0 + (x1 - x0) * g / 4, p->y + 8, b);
	}
	p->y += 24;
}

/* ---- tables ---------------------------------------------------------------------------------- */

struct layout {
	double x[REP_COLS_MAX + 1]; /* column edges */
	double fs;                  /* font size */
};

static void table_head(struct pdf *p, const struct rep_table *t, const struct layout *L)
{
	char lines[LINES_MAX][LINE_MAX_BYTES];
	int maxn = 1, n;
	double lh = L->fs * 1.2, h;

	font(p, L->fs, 1);
	for (int c = 0; c < t->ncols; c++) {
		n = wrap(p, t->cols[c].head, L->x[c + 1] - L->x[c] - 4, lines, 3);
		if (n > maxn)
			maxn = n;
	}
	h = maxn * lh + 6;
	cairo_set_source_rgb(p->cr, 0.85, 0.88, 0.95);
	cairo_rectangle(p->cr, L->x[0], p->y, L->x[t->ncols] - L->x[0], h);
	cairo_fill(p->cr);
	cairo_set_source_rgb(p->cr, 0, 0, 0);
	for (int c = 0; c < t->ncols; c++) {
		n = wrap(p, t->cols[c].head, L->x[c + 1] - L->x[c] - 4, lines, 3);
		for (int k = 0; k < n; k++)
			text_center(p, (L->x[c] + L->x[c + 1]) / 2, p->y + 3 + lh * (k + 1) - lh * 0.25, lines[k]);
	}
	cairo_set_line_width(p->cr, 0.5);
	cairo_rectangle(p->cr, L->x[0], p->y, L->x[t->ncols] - L->x[0], h);
	for (int c = 1; c < t->ncols; c++) {
		cairo_move_to(p->cr, L->x[c], p->y);
		cairo_line_to(p->cr, L->x[c], p->y + h);
	}
	cairo_stroke(p->cr);
	p->y += h;
}

static void table(struct pdf *p, const struct rep_table *t)
{
	struct layout L;
	double total = 0, usable = PAGE_W - 2 * MARGIN, lh;
	char lines[LINES_MAX][LINE_MAX_BYTES], b[64];

	for (int c = 0; c < t->ncols; c++)
		total += t->cols[c].width;
	/* a character of the spreadsheet's width is about 0.55 em: pick the size that fits the page */
	L.fs = usable / (total * 0.55);
	if (L.fs > 8.5)
		L.fs = 8.5;
	if (L.fs < 5)
		L.fs = 5;
	L.x[0] = MARGIN;
	for (int c = 0; c < t->ncols; c++)
		L.x[c + 1] = L.x[c] + usable * t->cols[c].width / total;
	lh = L.fs * 1.2;

	ensure(p, 80);
	font(p, 10, 1);
	text_at(p, MARGIN, p->y + 12, t->title);
	p->y += 18;
	if (t->note) {
		font(p, 8, 0);
		int n = wrap(p, t->note, usable, lines, 2);

		for (int k = 0; k < n; k++, p->y += 10)
			text_at(p, MARGIN, p->y + 8, lines[k]);
		p->y += 4;
	}
	table_head(p, t, &L);
	for (int row = 0; row < t->nrows; row++) {
		int bold = t->rflags[row] & RR_TOTAL, maxn = 1, n;
		double h;

		font(p, L.fs, bold);
		for (int c = 0; c < t->ncols; c++) {
			const struct rep_cell *x = rep_at(t, row, c);

			if (x->k == RK_TEXT && (n = wrap(p, x->s, L.x[c + 1] - L.x[c] - 4, lines, 3)) > maxn)
				maxn = n;
		}
		h = maxn * lh + 4;
		if (ensure(p, h)) {
			table_head(p, t, &L);
			font(p, L.fs, bold);
		}
		if (bold) {
			cairo_set_source_rgb(p->cr, 0.95, 0.95, 0.95);
			cairo_rectangle(p->cr, L.x[0], p->y, L.x[t->ncols] - L.x[0], h);
			cairo_fill(p->cr);
			cairo_set_source_rgb(p->cr, 0, 0, 0);
		}
		for (int c = 0; c < t->ncols; c++) {
			const struct rep_cell *x = rep_at(t, row, c);
			double base = p->y + 2 + lh - lh * 0.25;

			if (x->k == RK_TEXT) {
				n = wrap(p, x->s, L.x[c + 1] - L.x[c] - 4, lines, 3);
				for (int k = 0; k < n; k++)
					text_at(p, L.x[c] + 2, base + lh * k, lines[k]);
			} else if (x->k != RK_EMPTY) {
				text_right(p, L.x[c + 1] - 2, base, rep_cell_text(x, b, sizeof(b)));
			}
		}
		cairo_set_line_width(p->cr, 0.3);
		cairo_move_to(p->cr, L.x[0], p->y + h);
		cairo_line_to(p->cr, L.x[t->ncols], p->y + h);
		for (int c = 0; c <= t->ncols; c++) {
			cairo_move_to(p->cr, L.x[c], p->y);
			cairo_line_to(p->cr, L.x[c], p->y + h);
		}
		cairo_stroke(p->cr);
		p->y += h;
	}
	if (!t->nrows) {
		font(p, 8, 0);
		text_at(p, MARGIN + 4, p->y + 10, p->r->lang == REP_EN ? "(nothing to report)" : "(không có số liệu)");
		p->y += 14;
	}
	p->y += 14;
}

int rep_pdf(const struct report *r, char **buf, size_t *len, struct pcmt_err *err)
{
	struct pdf p = {.r = r};
	cairo_status_t cs;
	int rc = -1;

	*buf = NULL;
	*len = 0;
	if (!(p.reg = vi_face(0, err)) || !(p.bold = vi_face(1, err)))
		goto out;
	p.sf = cairo_pdf_surface_create_for_stream(sink, &p, PAGE_W, PAGE_H);
	cairo_pdf_surface_set_metadata(p.sf, CAIRO_PDF_METADATA_TITLE, r->title);
	cairo_pdf_surface_set_metadata(p.sf, CAIRO_PDF_METADATA_CREATOR, "pcmt");
	p.cr = cairo_create(p.sf);
	new_page(&p);
	header(&p);
	for (int i = 0; i < r->ncharts; i++)
		chart(&p, &r->c[i]);
	for (int i = 0; i < r->ntables; i++)
		if (r->t[i].pdf)
			table(&p, &r->t[i]);
	cs = cairo_status(p.cr);
	cairo_destroy(p.cr);
	p.cr = NULL;
	cairo_surface_finish(p.sf);
	if (cs == CAIRO_STATUS_SUCCESS)
		cs = cairo_surface_status(p.sf);
	if (cs != CAIRO_STATUS_SUCCESS || p.oom) {
		err_set(err, ERR_INTERNAL, NULL, "cannot draw the PDF: %s", p.oom ? "out of memory" : cairo_status_to_string(cs));
		goto out;
	}
	*buf = p.out;
	*len = p.n;
	p.out = NULL;
	rc = 0;
out:
	if (p.cr)
		cairo_destroy(p.cr);
	if (p.sf)
		cairo_surface_destroy(p.sf);
	if (p.reg)
		cairo_font_face_destroy(p.reg);
	if (p.bold)
		cairo_font_face_destroy(p.bold);
	free(p.out);
	return rc;
}
