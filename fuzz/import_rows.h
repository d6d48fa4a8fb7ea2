/* import_rows.h: the row callback that fuzz_csv and fuzz_xlsx share. It does what the import driver
 * does with a parser's rows, short of the store: the header row is mapped to an entity's columns
 * (imp_map_header; the input's first byte picks the entity), and every cell of the rows after it
 * is turned into the JSON value ent_validate expects (imp_cell_value). The oracle beyond the
 * sanitizers: a cell is read only within its length, a value comes back or an error with a code. */
#ifndef PCMT_FUZZ_IMPORT_ROWS_H
#define PCMT_FUZZ_IMPORT_ROWS_H

#include <stdio.h>
#include <stdlib.h>

#include "import/imp.h"

struct fz_rows {
	const struct entity_def *e;
	struct imp_map map;
	int mapped;
};

static int fz_row(void *cls, long row, const struct imp_cell *cells, int n, size_t pos, size_t total,
		  struct pcmt_err *err)
{
	struct fz_rows *r = cls;
	volatile unsigned char sink = 0;

	if (n < 0 || pos > total)
		abort();
	for (int i = 0; i < n; i++) /* every byte of every cell is readable (ASan checks the reads) */
		for (size_t k = 0; k < cells[i].n; k++)
			sink ^= (unsigned char)cells[i].s[k];
	(void)sink;
	if (!r->mapped) {
		struct pcmt_err merr;

		err_clear(&merr);
		if (imp_map_header(r->e, cells, n, &r->map, &merr) == 0)
			r->mapped = 1;
		else if (merr.code == ERR_OK)
			abort();
		else
			imp_map_free(&r->map); /* the driver frees a failed map too (import.c) and stops; the
						* parser is still fuzzed on, the next row taken as a header */
		return 0;
	}
	for (int i = 0; i < n && i < r->map.ncols; i++) {
		int f = r->map.field_of[i];
		struct pcmt_err verr;
		json_t *v;

		if (f < 0)
			continue;
		err_clear(&verr);
		v = imp_cell_value(&r->e->fields[f], &cells[i], &verr);
		if (!v && cells[i].n && verr.code == ERR_OK) {
			/* NULL without an error is only for an empty cell: allowed when the cell is blank as
			 * text_trim sees it (spaces, tabs, CR, LF) */
			int blank = 1;

			for (size_t k = 0; k < cells[i].n; k++)
				blank &= cells[i].s[k] == ' ' || cells[i].s[k] == '\t' || cells[i].s[k] == '\r' ||
					 cells[i].s[k] == '\n';
			if (!blank) {
				fprintf(stderr, "imp_cell_value(%s) gave neither a value nor an error\n", r->e->fields[f].name);
				abort();
			}
		}
		json_decref(v);
	}
	(void)row;
	(void)err;
	return 0;
}

static int fz_import(const uint8_t *data, size_t size,
		     int (*parse)(const void *, size_t, const struct imp_limits *, imp_row_fn, void *,
				  struct imp_where *, struct pcmt_err *))
{
	struct fz_rows r = {0};
	struct imp_limits lim;
	struct imp_where where = {0, 0};
	struct pcmt_err err;
	size_t nent = 0;

	if (size < 1)
		return 0;
	while (ent_all[nent])
		nent++;
	r.e = ent_all[data[0] % nent];
	imp_limits_default(&lim);
	lim.cell_max = 4096; /* small caps so that the fuzzer reaches them */
	lim.rows_max = 1000;
	err_clear(&err);
	if (parse(data + 1, size - 1, &lim, fz_row, &r, &where, &err) != 0 && err.code == ERR_OK)
		abort();
	if (r.mapped)
		imp_map_free(&r.map);
	return 0;
}

#endif
