/* xlsx.c: the first worksheet of an xlsx workbook, read from a memory buffer with libzip (a zip
 * source over the buffer: no file, no I/O) and expat. Pure in the sense the fuzzers need: the same
 * bytes give the same rows or the same error.
 * Defences, because uploads come from anyone: every part's declared size counts against one budget
 * (lim->unzip_max) and a part above 1 MiB may not expand more than lim->ratio_max times (a zip bomb
 * declares sizes honestly or fails its CRC, which libzip checks on the last read); a DTD is refused
 * (entity expansion); cells are capped at lim->cell_max bytes; a shared-string index must exist. */
#include "import/imp.h"

#include <expat.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "util/date.h"

struct sbuf {
	char *p;
	size_t n, cap;
};

static int sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *np;

		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(np = realloc(b->p, cap)))
			return -1;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

struct book {
	zip_t *z;
	const struct imp_limits *lim;
	size_t budget;      /* uncompressed bytes still allowed */
	int date1904;
	char sheet_rid[64];
	char sheet_path[256];
	/* shared strings: text in sst, [off, len) per index */
	struct sbuf sst;
	size_t *ss_off, *ss_len;
	size_t nss, ss_cap;
	/* styles: per cellXfs index, 1 if its number format shows a date */
	unsigned char *xf_date;
	size_t nxf;
	int custom_ids[256], custom_date[256], ncustom;
};

/* ---- parts ----------------------------------------------------------------------------------- */

static int part_read(struct book *b, const char *name, char **out, size_t *outn, int optional, struct pcmt_err *err)
{
	zip_stat_t st;
	zip_file_t *f;
	char *p;
	zip_int64_t k;
	size_t got = 0;

	*out = NULL;
	*outn = 0;
	zip_stat_init(&st);
	if (zip_stat(b->z, name, 0, &st) != 0) {
		if (optional)
			return 0;
		return err_set(err, ERR_INVALID, "file", "the workbook has no %s: it is not an xlsx file, or it is damaged", name);
	}
	if (!(st.valid & ZIP_STAT_SIZE) || !(st.valid & ZIP_STAT_COMP_SIZE))
		return err_set(err, ERR_INVALID, "file", "the workbook's %s has no size: the file is damaged", name);
	if (st.size > b->budget)
		return err_set(err, ERR_TOO_LARGE, "file",
			       "the workbook unpacks to more than %zu MiB (%s alone is %llu bytes): split it or save it as CSV",
			       b->lim->unzip_max >> 20, name, (unsigned long long)st.size);
	if (st.size > (1u << 20) && st.size / (st.comp_size ? st.comp_size : 1) > b->lim->ratio_max)
		return err_set(err, ERR_TOO_LARGE, "file",
			       "the workbook's %s expands %llu times (%llu to %llu bytes): refused as a zip bomb", name,
			       (unsigned long long)(st.size / (st.comp_size ? st.comp_size : 1)),
			       (unsigned long long)st.comp_size, (unsigned long long)st.size);
	b->budget -= st.size;
	if (!(p = malloc(st.size + 1)))
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (!(f = zip_fopen(b->z, name, 0))) {
		free(p);
		return err_set(err, ERR_INVALID, "file", "cannot open the workbook's %s: %s", name, zip_strerror(b->z));
	}
	/* read one byte more than declared: libzip checks the CRC at the end, and a part longer than
	 * it says is refused rather than trusted */
	while (got <= st.size && (k = zip_fread(f, p + got, st.size + 1 - got)) > 0)
		got += (size_t)k;
	if (got <= st.size && k < 0) {
		err_set(err, ERR_INVALID, "file", "the workbook's %s is damaged (%s)", name, zip_file_strerror(f));
		zip_fclose(f);
		free(p);
		return -1;
	}
	zip_fclose(f);
	if (got != st.size) {
		free(p);
		return err_set(err, ERR_INVALID, "file", "the workbook's %s is not the size it declares: the file is damaged", name);
	}
	p[got] = '\0';
	*out = p;
	*outn = got;
	return 0;
}

/* ---- expat plumbing -------------------------------------------------------------------------- */

struct px {
	XML_Parser p;
	struct pcmt_err *err;
	int failed;
};

static const char *local(const char *name)
{
	const char *c = strrchr(name, ':');

	return c ? c + 1 : name;
}

static const char *attr(const char **a, const char *name)
{
	for (int i = 0; a[i]; i += 2)
		if (!strcmp(local(a[i]), name))
			return a[i + 1];
	return NULL;
}

static void stop(struct px *x, enum err_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void stop(struct px *x, enum err_code code, const char *fmt, ...)
{
	char m[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (!x->failed)
		err_set(x->err, code, "file", "%s", m);
	x->failed = 1;
	XML_StopParser(x->p, XML_FALSE);
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sys, const XML_Char *pub, int has_internal)
{
	stop(ud, ERR_INVALID, "the workbook holds a DTD, which no spreadsheet writes: refused");
}

static int run_xml(struct px *x, const char *what, const char *buf, size_t n, void *ud, XML_StartElementHandler s,
		   XML_EndElementHandler e, XML_CharacterDataHandler c)
{
	XML_Parser p = XML_ParserCreate("UTF-8");
	int rc = 0;

	if (!p)
		return err_set(x->err, ERR_INTERNAL, NULL, "out of memory");
	x->p = p;
	XML_SetUserData(p, ud);
	XML_SetElementHandler(p, s, e);
	if (c)
		XML_SetCharacterDataHandler(p, c);
	XML_SetStartDoctypeDeclHandler(p, on_doctype);
	if (XML_Parse(p, buf, (int)n, 1) != XML_STATUS_OK) {
		if (!x->failed)
			err_set(x->err, ERR_INVALID, "file", "the workbook's %s is not well-formed XML (%s, line %lu): the file is damaged",
				what, XML_ErrorString(XML_GetErrorCode(p)), (unsigned long)XML_GetCurrentLineNumber(p));
		rc = -1;
	}
	XML_ParserFree(p);
	x->p = NULL;
	return rc || x->failed ? -1 : 0;
}

/* ---- workbook.xml and its relationships ------------------------------------------------------ */

struct wbx {
	struct px x; /* first: handlers get a struct px * too */
	struct book *b;
};

static void XMLCALL wb_start(void *ud, const XML_Char *name, const XML_Char **a)
{
	struct wbx *w = ud;
	const char *n = local(name), *v;

	if (!strcmp(n, "workbookPr") && (v = attr(a, "date1904")))
		w->b->date1904 = !strcmp(v, "1") || !strcmp(v, "true");
	else if (!strcmp(n, "sheet") && !w->b->sheet_rid[0] && (v = attr(a, "id")))
		snprintf(w->b->sheet_rid, sizeof(w->b->sheet_rid), "%s", v);
}

static void XMLCALL rel_start(void *ud, const XML_Char *name, const XML_Char **a)
{
	struct wbx *w = ud;
	const char *id = attr(a, "Id"), *t = attr(a, "Target");

	if (strcmp(local(name), "Relationship") || !id || !t || strcmp(id, w->b->sheet_rid))
		return;
	if (t[0] == '/')
		snprintf(w->b->sheet_path, sizeof(w->b->sheet_path), "%s", t + 1);
	else
		snprintf(w->b->sheet_path, sizeof(w->b->sheet_path), "xl/%s", t);
}

static void XMLCALL no_end(void *ud, const XML_Char *name)
{
}

/* ---- sharedStrings.xml ----------------------------------------------------------------------- */

struct ssx {
	struct px x;
	struct book *b;
	int in_si, in_t, in_rph;
	size_t start;
};

static void XMLCALL ss_start(void *ud, const XML_Char *name, const XML_Char **a)
{
	struct ssx *s = ud;
	const char *n = local(name);

	if (!strcmp(n, "si")) {
		s->in_si = 1;
		s->start = s->b->sst.n;
	} else if (!strcmp(n, "rPh")) {
		s->in_rph = 1; /* phonetic guide text is not part of the string */
	} else if (!strcmp(n, "t") && s->in_si && !s->in_rph) {
		s->in_t = 1;
	}
}

static void XMLCALL ss_end(void *ud, const XML_Char *name)
{
	struct ssx *s = ud;
	struct book *b = s->b;
	const char *n = local(name);

	if (!strcmp(n, "t")) {
		s->in_t = 0;
	} else if (!strcmp(n, "rPh")) {
		s->in_rph = 0;
	} else if (!strcmp(n, "si")) {
		s->in_si = 0;
		if (b->nss == b->ss_cap) {
			size_t cap = b->ss_cap ? b->ss_cap * 2 : 1024;
			size_t *no = realloc(b->ss_off, cap * sizeof(*no)), *nl;

			if (no)
				b->ss_off = no;
			nl = no ? realloc(b->ss_len, cap * sizeof(*nl)) : NULL;
			if (!nl) {
				stop(&s->x, ERR_INTERNAL, "out of memory");
				return;
			}
			b->ss_len = nl;
			b->ss_cap = cap;
		}
		b->ss_off[b->nss] = s->start;
		b->ss_len[b->nss] = b->sst.n - s->start;
		b->nss++;
	}
}

static void XMLCALL ss_text(void *ud, const XML_Char *t, int len)
{
	struct ssx *s = ud;

	if (!s->in_t)
		return;
	if (s->b->sst.n - s->start + (size_t)len > s->b->lim->cell_max) {
		stop(&s->x, ERR_TOO_LARGE, "a text of the workbook is longer than the %zu bytes a cell may hold", s->b->lim->cell_max);
		return;
	}
	if (sb_put(&s->b->sst, t, (size_t)len))
		stop(&s->x, ERR_INTERNAL, "out of memory");
}

/* ---- styles.xml ------------------------------------------------------------------------------ */

/* A number format code shows a date when it has d or y outside quotes, brackets and escapes. */
static int date_code(const char *c)
{
	for (const char *p = c; *p; p++) {
		if (*p == '"') {
			while (p[1] && p[1] != '"')
				p++;
			if (p[1])
				p++;
		} else if (*p == '[') {
			while (p[1] && p[1] != ']')
				p++;
		} else if (*p == '\\' || *p == '_' || *p == '*') {
			if (p[1])
				p++;
		} else if (*p == 'd' || *p == 'D' || *p == 'y' || *p == 'Y') {
			return 1;
		}
	}
	return 0;
}

static int builtin_date(int id)
{
	return (id >= 14 && id <= 17) || id == 22 || (id >= 27 && id <= 36) || (id >= 50 && id <= 58);
}

struct stx {
	struct px x;
	struct book *b;
	int in_xfs;
};

static void XMLCALL st_start(void *ud, const XML_Char *name, const XML_Char **a)
{
	struct stx *s = ud;
	struct book *b = s->b;
	const char *n = local(name), *id, *code;

	if (!strcmp(n, "numFmt") && (id = attr(a, "numFmtId")) && (code = attr(a, "formatCode")) && b->ncustom < 256) {
		b->custom_ids[b->ncustom] = atoi(id);
		b->custom_date[b->ncustom++] = date_code(code);
	} else if (!strcmp(n, "cellXfs")) {
		s->in_xfs = 1;
	} else if (!strcmp(n, "xf") && s->in_xfs) {
		int fid = (id = attr(a, "numFmtId")) ? atoi(id) : 0, dt = builtin_date(fid);
		unsigned char *nx;

		for (int i = 0; i < b->ncustom; i++)
			if (b->custom_ids[i] == fid)
				dt = b->custom_date[i];
		if (b->nxf >= 65536) {
			stop(&s->x, ERR_INVALID, "the workbook's styles have more than 65536 formats");
			return;
		}
		if (!(nx = realloc(b->xf_date, b->nxf + 1))) {
			stop(&s->x, ERR_INTERNAL, "out of memory");
			return;
		}
		b->xf_date = nx;
		b->xf_date[b->nxf++] = (unsigned char)dt;
	}
}

static void XMLCALL st_end(void *ud, const XML_Char *name)
{
	struct stx *s = ud;

	if (!strcmp(local(name), "cellXfs"))
		s->in_xfs = 0;
}

/* ---- the sheet ------------------------------------------------------------------------------- */

struct cellpos {
	size_t off, n;
	unsigned flags;
	size_t foff, fn; /* the formula's text in rowtxt */
};

struct shx {
	struct px x;
	struct book *b;
	imp_row_fn fn;
	void *cls;
	struct imp_where *where;
	const char *buf;
	size_t total;
	long row;          /* the current row's number */
	int col;           /* the current cell's 0-based column */
	char type[16];
	int style;
	unsigned flags;
	int collecting;    /* inside <v> or an inline string's <t> */
	int in_f;          /* inside <f> */
	struct sbuf ftxt;  /* the current cell's formula */
	int in_is;
	struct sbuf val;   /* the current cell's raw text */
	struct sbuf rowtxt; /* the row's cells' text */
	struct cellpos *cells;
	int ncells, cells_cap;
	struct imp_cell *out;
	long data_rows;
};

static int col_of(const char *ref)
{
	int c = 0, k = 0;

	for (; *ref >= 'A' && *ref <= 'Z' && k < 4; ref++, k++)
		c = c * 26 + (*ref - 'A' + 1);
	return k ? c - 1 : -1;
}

/* Serial day number of the workbook's date system to a day count (util/date.h). Excel's 1900 system
 * counts the 29 February 1900 that never was: serials from 61 on are days since 1899-12-30. */
static int32_t serial_date(double v, int date1904)
{
	long d = (long)floor(v);

	if (date1904)
		return date_from_ymd(1904, 1, 1) + (int32_t)d;
	if (d < 61)
		return date_from_ymd(1899, 12, 31) + (int32_t)d;
	return date_from_ymd(1899, 12, 30) + (int32_t)d;
}

static void XMLCALL sh_start(void *ud, const XML_Char *name, const XML_Char **a)
{
	struct shx *s = ud;
	const char *n = local(name), *v;

	if (!strcmp(n, "row")) {
		s->row = (v = attr(a, "r")) ? atol(v) : s->row + 1;
		s->ncells = 0;
		s->rowtxt.n = 0;
		s->col = -1;
	} else if (!strcmp(n, "c")) {
		int c = (v = attr(a, "r")) ? col_of(v) : s->col + 1;

		s->col = c < 0 ? s->col + 1 : c;
		snprintf(s->type, sizeof(s->type), "%s", (v = attr(a, "t")) ? v : "n");
		s->style = (v = attr(a, "s")) ? atoi(v) : 0;
		s->flags = 0;
		s->val.n = 0;
		s->ftxt.n = 0;
		if (s->col >= s->b->lim->cols_max) {
			s->where->row = s->row;
			s->where->col = s->col + 1;
			stop(&s->x, ERR_INVALID, "row %ld has more than %d columns", s->row, s->b->lim->cols_max);
		}
	} else if (!strcmp(n, "f")) {
		s->flags |= IMP_CELL_FORMULA;
		s->in_f = 1;
	} else if (!strcmp(n, "v")) {
		s->collecting = 1;
	} else if (!strcmp(n, "is")) {
		s->in_is = 1;
	} else if (!strcmp(n, "t") && s->in_is) {
		s->collecting = 1;
	} else if (!strcmp(n, "rPh")) {
		s->in_is = 0; /* phonetic runs of an inline string are not its text */
	}
}

static void XMLCALL sh_text(void *ud, const XML_Char *t, int len)
{
	struct shx *s = ud;

	if (s->in_f && s->ftxt.n + (size_t)len <= 8192 && sb_put(&s->ftxt, t, (size_t)len))
		stop(&s->x, ERR_INTERNAL, "out of memory");
	if (!s->collecting)
		return;
	if (s->val.n + (size_t)len > s->b->lim->cell_max) {
		s->where->row = s->row;
		s->where->col = s->col + 1;
		stop(&s->x, ERR_TOO_LARGE, "row %ld, column %d: the cell holds more than the %zu bytes allowed", s->row,
		     s->col + 1, s->b->lim->cell_max);
		return;
	}
	if (sb_put(&s->val, t, (size_t)len))
		stop(&s->x, ERR_INTERNAL, "out of memory");
}

/* The current cell's text and flags into the row. */
static void cell_end(struct shx *s)
{
	struct book *b = s->b;
	const char *txt = s->val.p ? s->val.p : "";
	size_t n = s->val.n;
	char num[64];
	unsigned flags = s->flags;

	if (!strcmp(s->type, "s")) {
		char *end;
		unsigned long ix = strtoul(txt, &end, 10);

		if (!n || *end || ix >= b->nss) {
			s->where->row = s->row;
			s->where->col = s->col + 1;
			stop(&s->x, ERR_INVALID, "row %ld, column %d refers to a shared string the workbook does not have", s->row, s->col + 1);
			return;
		}
		txt = b->sst.p + b->ss_off[ix];
		n = b->ss_len[ix];
	} else if (!strcmp(s->type, "e")) {
		flags |= IMP_CELL_ERROR;
	} else if (!strcmp(s->type, "b")) {
		txt = n && txt[0] == '1' ? "1" : "0";
		n = 1;
	} else if (!strcmp(s->type, "n") && n) {
		char *end;
		double v = strtod(txt, &end);

		flags |= IMP_CELL_NUMBER;
		if (*end) {
			s->where->row = s->row;
			s->where->col = s->col + 1;
			stop(&s->x, ERR_INVALID, "row %ld, column %d: a number cell holds \"%.40s\"", s->row, s->col + 1, txt);
			return;
		}
		if (s->style >= 0 && (size_t)s->style < b->nxf && b->xf_date[s->style] && v > -1 && v < 2958466) {
			char d[DATE_BUFSZ];

			date_format(serial_date(v, b->date1904), d);
			snprintf(num, sizeof(num), "%s", d);
			flags |= IMP_CELL_DATE;
			txt = num;
			n = strlen(num);
		} else if (fabs(v) < 1e15 && v == floor(v)) {
			/* integers as integers, whatever notation the writer chose (4.0090001234E10) */
			snprintf(num, sizeof(num), "%.0f", v);
			txt = num;
			n = strlen(num);
		}
	} /* "str" (a formula's text), "inlineStr", "d" (ISO date text): as written */
	if (s->col >= s->cells_cap) {
		int cap = s->cells_cap ? s->cells_cap * 2 : 32;
		struct cellpos *nc;

		while (cap <= s->col)
			cap *= 2;
		if (!(nc = realloc(s->cells, (size_t)cap * sizeof(*nc)))) {
			stop(&s->x, ERR_INTERNAL, "out of memory");
			return;
		}
		s->cells = nc;
		s->cells_cap = cap;
	}
	while (s->ncells <= s->col) {
		s->cells[s->ncells].off = 0;
		s->cells[s->ncells].n = 0;
		s->cells[s->ncells].flags = 0;
		s->cells[s->ncells].fn = 0;
		s->ncells++;
	}
	s->cells[s->col].off = s->rowtxt.n;
	s->cells[s->col].n = n;
	s->cells[s->col].flags = flags;
	if (sb_put(&s->rowtxt, txt, n))
		stop(&s->x, ERR_INTERNAL, "out of memory");
	s->cells[s->col].foff = s->rowtxt.n;
	s->cells[s->col].fn = s->ftxt.n;
	if (s->ftxt.n && sb_put(&s->rowtxt, s->ftxt.p, s->ftxt.n))
		stop(&s->x, ERR_INTERNAL, "out of memory");
}

static void XMLCALL sh_end(void *ud, const XML_Char *name)
{
	struct shx *s = ud;
	const char *n = local(name);

	if (!strcmp(n, "f")) {
		s->in_f = 0;
	} else if (!strcmp(n, "v") || !strcmp(n, "t")) {
		s->collecting = 0;
	} else if (!strcmp(n, "is")) {
		s->in_is = 0;
	} else if (!strcmp(n, "c")) {
		cell_end(s);
	} else if (!strcmp(n, "row")) {
		int empty = 1;
		struct imp_cell *oc;

		for (int i = 0; i < s->ncells; i++)
			empty &= s->cells[i].n == 0;
		if (empty || s->x.failed)
			return;
		if (!(oc = realloc(s->out, (size_t)s->ncells * sizeof(*oc)))) {
			stop(&s->x, ERR_INTERNAL, "out of memory");
			return;
		}
		s->out = oc;
		for (int i = 0; i < s->ncells; i++) {
			oc[i].s = s->rowtxt.p ? s->rowtxt.p + s->cells[i].off : "";
			oc[i].n = s->cells[i].n;
			oc[i].flags = s->cells[i].flags;
			oc[i].formula = s->cells[i].fn ? s->rowtxt.p + s->cells[i].foff : NULL;
			oc[i].formula_n = s->cells[i].fn;
		}
		if (s->data_rows++ > s->b->lim->rows_max) {
			s->where->row = s->row;
			stop(&s->x, ERR_TOO_LARGE, "the sheet has more than %ld rows", s->b->lim->rows_max);
			return;
		}
		if (s->fn(s->cls, s->row, oc, s->ncells, (size_t)XML_GetCurrentByteIndex(s->x.p), s->total, s->x.err)) {
			s->where->row = s->row;
			s->x.failed = 1;
			XML_StopParser(s->x.p, XML_FALSE);
		}
	}
}

/* ---- the whole ------------------------------------------------------------------------------- */

int xlsx_parse(const void *buf, size_t n, const struct imp_limits *lim, imp_row_fn fn, void *cls,
	       struct imp_where *where, struct pcmt_err *err)
{
	struct book b;
	zip_error_t ze;
	zip_source_t *src;
	char *part = NULL;
	size_t pn;
	int rc = -1;
	struct wbx w;
	struct ssx ss;
	struct stx sty;
	struct shx sh;

	memset(&b, 0, sizeof(b));
	memset(&sh, 0, sizeof(sh));
	where->row = 0;
	where->col = 0;
	b.lim = lim;
	b.budget = lim->unzip_max;
	zip_error_init(&ze);
	if (!(src = zip_source_buffer_create(buf, n, 0, &ze))) {
		zip_error_fini(&ze);
		return err_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	if (!(b.z = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze))) {
		err_set(err, ERR_INVALID, "file", "the file is not a readable xlsx workbook (%s): it is cut short or damaged",
			zip_error_strerror(&ze));
		zip_source_free(src);
		zip_error_fini(&ze);
		return -1;
	}
	zip_error_fini(&ze);
	/* which sheet is first, and the date system */
	memset(&w, 0, sizeof(w));
	w.x.err = err;
	w.b = &b;
	if (part_read(&b, "xl/workbook.xml", &part, &pn, 0, err) ||
	    run_xml(&w.x, "workbook", part, pn, &w, wb_start, no_end, NULL))
		goto out;
	free(part);
	part = NULL;
	if (!b.sheet_rid[0]) {
		err_set(err, ERR_INVALID, "file", "the workbook has no worksheet");
		goto out;
	}
	if (part_read(&b, "xl/_rels/workbook.xml.rels", &part, &pn, 0, err) ||
	    run_xml(&w.x, "relationships", part, pn, &w, rel_start, no_end, NULL))
		goto out;
	free(part);
	part = NULL;
	if (!b.sheet_path[0]) {
		err_set(err, ERR_INVALID, "file", "the workbook does not say where its first sheet is: it is damaged");
		goto out;
	}
	memset(&ss, 0, sizeof(ss));
	ss.x.err = err;
	ss.b = &b;
	if (part_read(&b, "xl/sharedStrings.xml", &part, &pn, 1, err) ||
	    (part && run_xml(&ss.x, "shared strings", part, pn, &ss, ss_start, ss_end, ss_text)))
		goto out;
	free(part);
	part = NULL;
	memset(&sty, 0, sizeof(sty));
	sty.x.err = err;
	sty.b = &b;
	if (part_read(&b, "xl/styles.xml", &part, &pn, 1, err) ||
	    (part && run_xml(&sty.x, "styles", part, pn, &sty, st_start, st_end, NULL)))
		goto out;
	free(part);
	part = NULL;
	if (part_read(&b, b.sheet_path, &part, &pn, 0, err))
		goto out;
	sh.x.err = err;
	sh.b = &b;
	sh.fn = fn;
	sh.cls = cls;
	sh.where = where;
	sh.buf = part;
	sh.total = pn;
	if (run_xml(&sh.x, "sheet", part, pn, &sh, sh_start, sh_end, sh_text))
		goto out;
	rc = 0;
out:
	free(part);
	free(sh.val.p);
	free(sh.ftxt.p);
	free(sh.rowtxt.p);
	free(sh.cells);
	free(sh.out);
	free(b.sst.p);
	free(b.ss_off);
	free(b.ss_len);
	free(b.xf_date);
	zip_discard(b.z);
	return rc;
}
