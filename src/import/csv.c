/* csv.c: the CSV reader: a pure function over a memory buffer (no I/O), so that a fuzzer can call
 * it as it is. One pass, cells pointing into the buffer where they can (unquoted, or quoted without
 * doubled quotes) and into a scratch buffer otherwise. UTF-8 is checked here, cell by cell with an
 * ASCII fast path, because a file saved in the wrong encoding must be refused with its row and
 * column rather than stored as mojibake. */
#include "import/imp.h"

#include <stdlib.h>
#include <string.h>

void imp_limits_default(struct imp_limits *l)
{
	l->cell_max = 32 << 10;      /* the longest text field is 1,000 bytes; JSON lists 4 KiB */
	l->cols_max = 256;
	l->rows_max = 50000000;
	l->unzip_max = 1024u << 20;  /* a 1 GiB sheet is ~10 million rows */
	l->ratio_max = 200;          /* real sheets compress 5-30x; a bomb 1000x and more */
}

/* 1 if s[0..n) is well-formed UTF-8 without NUL or control characters other than tab, LF, CR (and
 * no C1 controls, which arrive when cp1252 text was read as Latin-1). */
static int utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];

		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		unsigned cp;
		int k;

		if (c >= 0xc2 && c <= 0xdf) {
			cp = c & 0x1f;
			k = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			cp = c & 0x0f;
			k = 2;
		} else if (c >= 0xf0 && c <= 0xf4) {
			cp = c & 0x07;
			k = 3;
		} else {
			return 0;
		}
		if (i + (size_t)k >= n)
			return 0;
		for (int j = 1; j <= k; j++) {
			if ((s[i + (size_t)j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + (size_t)j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return 0;
		i += (size_t)k + 1;
	}
	return 1;
}

/* ',' or ';': whichever the first line has more of outside quotes (Excel in Vietnamese and most
 * European locales saves CSV with ';'). Ties go to ','. */
static char detect_delim(const char *p, const char *end)
{
	int comma = 0, semi = 0, q = 0;

	for (; p < end; p++) {
		if (*p == '"')
			q = !q;
		else if (!q && (*p == '\n' || *p == '\r'))
			break;
		else if (!q && *p == ',')
			comma++;
		else if (!q && *p == ';')
			semi++;
	}
	return semi > comma ? ';' : ',';
}

struct cellref {
	size_t off, n; /* into the buffer, or into scratch when scratch */
	int scratch;
};

int csv_parse(const char *buf, size_t n, const struct imp_limits *lim, imp_row_fn fn, void *cls,
	      struct imp_where *where, struct pcmt_err *err)
{
	const unsigned char *u = (const unsigned char *)buf;
	const char *p = buf, *end = buf + n;
	struct cellref *refs = NULL;
	struct imp_cell *cells = NULL;
	char *scratch = NULL;
	size_t scap = 0, slen = 0;
	long row = 0, data_rows = 0;
	int rc = -1, maxc = lim->cols_max > 0 ? lim->cols_max : 256;
	char delim;

	where->row = 0;
	where->col = 0;
	if (n >= 2 && ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff)))
		return err_set(err, ERR_INVALID, "file", "the file is UTF-16 (\"Unicode text\"); save it as \"CSV UTF-8\"");
	if (memchr(buf, '\0', n < 4096 ? n : 4096))
		return err_set(err, ERR_INVALID, "file",
			       "the file contains NUL bytes: it is UTF-16 or not a text file; save it as \"CSV UTF-8\"");
	if (n >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf)
		p += 3;
	delim = detect_delim(p, end);
	refs = malloc(sizeof(*refs) * (size_t)maxc);
	cells = malloc(sizeof(*cells) * (size_t)maxc);
	if (!refs || !cells) {
		err_set(err, ERR_INTERNAL, NULL, "out of memory");
		goto out;
	}
	while (p < end) {
		int nc = 0, empty = 1;

		row++;
		slen = 0;
		for (;;) { /* one cell */
			struct cellref *c;
			const char *s = p;

			if (nc >= maxc) {
				where->row = row;
				where->col = nc + 1;
				err_set(err, ERR_INVALID, "file", "row %ld has more than %d columns", row, maxc);
				goto out;
			}
			c = &refs[nc];
			c->scratch = 0;
			if (p < end && *p == '"') {
				const char *q = ++p;
				int doubled = 0;

				for (;;) {
					const char *dq = memchr(q, '"', (size_t)(end - q));

					if (!dq) {
						where->row = row;
						where->col = nc + 1;
						err_set(err, ERR_INVALID, "file",
							"row %ld, column %d: a quoted cell is never closed (the file is cut short or a quote is missing)",
							row, nc + 1);
						goto out;
					}
					if (dq + 1 < end && dq[1] == '"') {
						doubled = 1;
						q = dq + 2;
						continue;
					}
					q = dq;
					break;
				}
				if (!doubled) {
					c->off = (size_t)(p - buf);
					c->n = (size_t)(q - p);
				} else {
					size_t need = slen + (size_t)(q - p);

					if (need > scap) {
						size_t ncap = scap ? scap * 2 : 4096;
						char *ns;

						while (ncap < need)
							ncap *= 2;
						if (!(ns = realloc(scratch, ncap))) {
							err_set(err, ERR_INTERNAL, NULL, "out of memory");
							goto out;
						}
						scratch = ns;
						scap = ncap;
					}
					c->scratch = 1;
					c->off = slen;
					for (const char *r = p; r < q; r++) {
						scratch[slen++] = *r;
						if (*r == '"')
							r++;
					}
					c->n = slen - c->off;
				}
				p = q + 1;
				/* "a"b is no spreadsheet's output: most likely a quote typed inside a quoted cell */
				if (p < end && *p != delim && *p != '\n' && *p != '\r') {
					where->row = row;
					where->col = nc + 1;
					err_set(err, ERR_INVALID, "file", "row %ld, column %d: text after a closing quote", row,
						nc + 1);
					goto out;
				}
			} else {
				while (p < end && *p != delim && *p != '\n' && *p != '\r')
					p++;
				c->off = (size_t)(s - buf);
				c->n = (size_t)(p - s);
			}
			if (c->n > lim->cell_max) {
				where->row = row;
				where->col = nc + 1;
				err_set(err, ERR_TOO_LARGE, "file", "row %ld, column %d: the cell holds %zu bytes, more than the %zu allowed",
					row, nc + 1, c->n, lim->cell_max);
				goto out;
			}
			if (!utf8_ok((const unsigned char *)(c->scratch ? scratch : buf) + c->off, c->n)) {
				where->row = row;
				where->col = nc + 1;
				err_set(err, ERR_INVALID, "file",
					"row %ld, column %d: the text is not valid UTF-8 (or has control characters); save the file as \"CSV UTF-8\"",
					row, nc + 1);
				goto out;
			}
			if (c->n)
				empty = 0;
			nc++;
			if (p < end && *p == delim) {
				p++;
				continue;
			}
			break;
		}
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
		if (empty)
			continue;
		for (int i = 0; i < nc; i++) {
			cells[i].s = (refs[i].scratch ? scratch : buf) + refs[i].off;
			cells[i].n = refs[i].n;
			cells[i].flags = 0;
			cells[i].formula = NULL;
			cells[i].formula_n = 0;
		}
		if (row > 1 && ++data_rows > lim->rows_max) {
			where->row = row;
			err_set(err, ERR_TOO_LARGE, "file", "the file has more than %ld rows", lim->rows_max);
			goto out;
		}
		if (fn(cls, row, cells, nc, (size_t)(p - buf), n, err)) {
			where->row = row;
			goto out;
		}
	}
	rc = 0;
out:
	free(refs);
	free(cells);
	free(scratch);
	return rc;
}
