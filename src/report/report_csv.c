/* report_csv.c: the report as one CSV file (RFC 4180, UTF-8 with a byte-order mark so that Excel
 * reads Vietnamese): the title block as "Heading,value" lines, then each section as its title, its
 * heading row and its rows, sections separated by an empty line. Numbers keep their full precision
 * and dates are ISO, for programs; hidden small cells are their published text ("<5", "x"). */
#include "report/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/date.h"

struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
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
	b->p[b->n] = '\0';
}

static void puts_(struct sbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* A field, quoted when it holds a separator, a quote or a line break. */
static void field(struct sbuf *b, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		puts_(b, s);
		return;
	}
	put(b, "\"", 1);
	for (const char *q = s; *q; q++) {
		if (*q == '"')
			put(b, "\"", 1);
		put(b, q, 1);
	}
	put(b, "\"", 1);
}

static void cell(struct sbuf *b, const struct rep_cell *c)
{
	char buf[64];

	switch (c->k) {
	case RK_INT: snprintf(buf, sizeof(buf), "%.0f", c->v); puts_(b, buf); break;
	case RK_REAL: snprintf(buf, sizeof(buf), "%.10g", c->v); puts_(b, buf); break;
	case RK_DATE: puts_(b, date_format(c->d, buf)); break;
	case RK_TEXT:
	case RK_HIDDEN: field(b, c->s ? c->s : ""); break;
	case RK_EMPTY: break;
	}
}

int rep_csv(const struct report *r, char **buf, size_t *len, struct pcmt_err *err)
{
	struct sbuf b = {0};

	puts_(&b, "\xEF\xBB\xBF");
	field(&b, r->issuer);
	puts_(&b, "\r\n");
	field(&b, r->title);
	puts_(&b, "\r\n");
	field(&b, r->subtitle);
	puts_(&b, "\r\n");
	for (int i = 0; i < r->nmeta; i++) {
		field(&b, r->meta[i].k);
		puts_(&b, ",");
		field(&b, r->meta[i].v);
		puts_(&b, "\r\n");
	}
	if (r->footnote) {
		field(&b, r->footnote);
		puts_(&b, "\r\n");
	}
	for (int i = 0; i < r->ntables; i++) {
		const struct rep_table *t = &r->t[i];

		puts_(&b, "\r\n");
		field(&b, t->title);
		puts_(&b, "\r\n");
		if (t->note) {
			field(&b, t->note);
			puts_(&b, "\r\n");
		}
		for (int c = 0; c < t->ncols; c++) {
			if (c)
				puts_(&b, ",");
			field(&b, t->cols[c].head);
		}
		puts_(&b, "\r\n");
		for (int row = 0; row < t->nrows; row++) {
			for (int c = 0; c < t->ncols; c++) {
				if (c)
					puts_(&b, ",");
				cell(&b, rep_at(t, row, c));
			}
			puts_(&b, "\r\n");
		}
	}
	if (b.oom) {
		free(b.p);
		return err_set(err, ERR_INTERNAL, NULL, "out of memory writing the CSV");
	}
	*buf = b.p;
	*len = b.n;
	return 0;
}
