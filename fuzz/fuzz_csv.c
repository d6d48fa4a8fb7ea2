/* fuzz_csv.c: any bytes through the CSV parser of `pcmt import` (src/import/csv.c), its rows
 * through the column map and the cell converter (import_rows.h). */
#include <stdint.h>

#include "import_rows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int csv(const void *buf, size_t n, const struct imp_limits *lim, imp_row_fn fn, void *cls,
	       struct imp_where *where, struct pcmt_err *err)
{
	return csv_parse(buf, n, lim, fn, cls, where, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_import(data, size, csv);
}
