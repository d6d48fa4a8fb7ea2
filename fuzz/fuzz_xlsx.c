/* fuzz_xlsx.c: any bytes through the xlsx reader of `pcmt import` (src/import/xlsx.c: libzip, then
 * expat over the workbook, its relationships, shared strings, styles and first sheet), its rows
 * through the column map and the cell converter (import_rows.h). The seeds are small workbooks
 * whose parts are stored uncompressed, so that mutations reach the XML. */
#include <stdint.h>

#include "import_rows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fz_import(data, size, xlsx_parse);
}
