/* imp.h: reading spreadsheets into pcmt (`pcmt import`, POST /api/v1/imports).
 * Three layers, each testable alone:
 *   - parsers (csv.c, xlsx.c): pure functions over a memory buffer, no I/O, that hand each row's
 *     cells to a callback; they know nothing of entities (a fuzzer can wrap them directly);
 *   - the column map (map.c): header cells to entity fields, from the descriptors' names and
 *     Vietnamese/English labels (no second list of headers), and one cell to a JSON value;
 *   - the driver (import.c): validation with ent_validate, natural keys, one transaction through
 *     the store interface, the error file (errfile.c).
 * Ownership: cells passed to a callback live only during the call. */
#ifndef PCMT_IMP_H
#define PCMT_IMP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/entity.h"
#include "store/store.h"
#include "util/err.h"

enum {
	IMP_CELL_FORMULA = 1 << 0, /* xlsx: the cell holds a formula (text is its cached result) */
	IMP_CELL_DATE = 1 << 1,    /* xlsx: a number shown with a date format; text is its ISO date */
	IMP_CELL_NUMBER = 1 << 2,  /* xlsx: a number cell (text is the number as stored) */
	IMP_CELL_ERROR = 1 << 3    /* xlsx: an error value such as #REF! */
};

struct imp_cell {
	const char *s; /* not NUL-terminated */
	size_t n;
	unsigned flags;
	const char *formula; /* xlsx: the formula's text without '=', when given (else NULL) */
	size_t formula_n;
};

struct imp_limits {
	size_t cell_max;   /* bytes in one cell */
	int cols_max;      /* columns in one row */
	long rows_max;     /* data rows in one file */
	size_t unzip_max;  /* xlsx: uncompressed bytes of all parts read */
	unsigned ratio_max; /* xlsx: uncompressed/compressed size of a part above 1 MiB (zip bombs) */
};
void imp_limits_default(struct imp_limits *l);

/* Where a parser stopped: 1-based row as a spreadsheet shows it, 1-based column (0 when the whole
 * row or file is at fault). */
struct imp_where {
	long row;
	int col;
};

/* Called for every non-empty row, the header first. row is the 1-based row number the user sees;
 * pos/total are how far through the input the parser is (for a progress bar). Returns 0 to go on,
 * -1 to stop (err set). */
typedef int (*imp_row_fn)(void *cls, long row, const struct imp_cell *cells, int n, size_t pos, size_t total,
			  struct pcmt_err *err);

/* CSV, UTF-8 with or without BOM, comma or semicolon (whichever the header line has more of,
 * outside quotes), RFC 4180 quoting, LF/CRLF/CR line ends. UTF-16 (BOM or NUL bytes), invalid UTF-8,
 * control characters, unclosed quotes and cells over lim->cell_max are ERR_INVALID with *where. */
int csv_parse(const char *buf, size_t n, const struct imp_limits *lim, imp_row_fn fn, void *cls,
	      struct imp_where *where, struct pcmt_err *err);
/* The first worksheet of an xlsx (Office Open XML) workbook: shared and inline strings, numbers,
 * booleans, dates (number cells with a date format, in the workbook's 1900 or 1904 date system),
 * formulas (flagged, cached value). A damaged or truncated zip, parts over the size or ratio caps,
 * XML with a DTD or not well-formed, and cells over lim->cell_max are ERR_INVALID / ERR_TOO_LARGE. */
int xlsx_parse(const void *buf, size_t n, const struct imp_limits *lim, imp_row_fn fn, void *cls,
	       struct imp_where *where, struct pcmt_err *err);

/* ---- column map (map.c) ---------------------------------------------------------------------- */

enum { IMP_COL_IGNORE = -1, IMP_COL_OURS = -2 /* a column of our own error file */ };

struct imp_map {
	const struct entity_def *e;
	int ncols;
	int *field_of;      /* per column: index into e->fields, or IMP_COL_* */
	char **header;      /* per column: the header text as given (NFC) */
	int col_of[64];     /* per field: its column, or -1 */
	int date_field;     /* the field giving a row's date (org-unit codes resolve as of it), or -1 */
};

/* Maps the header row to e's fields: a header matches a field's name, Vietnamese label or English
 * label, compared accent-, case- and space-insensitively; a reference to persons also matches the
 * persons' national-ID labels. Empty headers and row-number columns ("STT", "No.") are ignored; an
 * unknown or repeated header, or a missing required field, is ERR_INVALID naming it. */
int imp_map_header(const struct entity_def *e, const struct imp_cell *cells, int n, struct imp_map *m,
		   struct pcmt_err *err);
void imp_map_free(struct imp_map *m);
/* The header as the user wrote it for field f (for messages), or f's name. */
const char *imp_map_label(const struct imp_map *m, int field);

/* One cell for field f as the JSON value ent_validate expects (a new reference), or NULL for an
 * empty cell (*err untouched) or on error (err set, code != ERR_OK). Dates: dd/mm/yyyy, d/m/yyyy,
 * ISO, or an xlsx date cell; enums: code or label in either language; booleans: 1/0, true/false,
 * có/không, yes/no, x; whole numbers may carry thousands separators. FT_REF and FT_OU values come
 * back as strings (the driver resolves natural keys). */
json_t *imp_cell_value(const struct field_def *f, const struct imp_cell *c, struct pcmt_err *err);

/* ---- the driver (import.c) ------------------------------------------------------------------- */

enum imp_format { IMP_CSV, IMP_XLSX };

struct imp_result;

struct imp_rowerr {
	long row;
	char field[64];
	char message[256];
};

struct imp_opts {
	const struct entity_def *e;
	enum imp_format format;
	int partial;                 /* write the good rows, return the bad */
	const struct scope *scope;   /* NULL: unrestricted (CLI) */
	int own_handle;              /* the store handle is the import's alone until it returns (CLI):
				      * references the import found itself are not checked again */
	struct ent_ctx ctx;
	struct imp_limits lim;
	/* called now and then while rows are read: pos/total bytes, rows so far */
	void (*progress)(void *cls, size_t pos, size_t total, long rows);
	void *progress_cls;
	/* called inside the transaction just before it commits (rows are being written): the HTTP layer
	 * appends its audit entry here so that it commits with them. Returns 0, or -1 (err set) to roll
	 * everything back. */
	int (*before_commit)(void *cls, const struct imp_result *res, struct pcmt_err *err);
	void *commit_cls;
};

struct imp_result {
	long rows;        /* data rows read */
	long inserted, updated, skipped, failed;
	int written;      /* 1 when the transaction was committed */
	struct imp_rowerr *errs; /* sorted by row */
	size_t nerrs;
};

/* Imports buf (the whole file) into e. Returns -1 with err for a file that cannot be read at all
 * (malformed, wrong encoding, bad header, database error): nothing written. Otherwise 0 with res
 * filled: without opts->partial, any bad row means nothing was written (res->written = 0). */
int imp_run(struct store *s, const struct imp_opts *o, const void *buf, size_t n, struct imp_result *res,
	    struct pcmt_err *err);
void imp_result_free(struct imp_result *res);
/* Guesses the format from the content (a zip is xlsx) */
enum imp_format imp_sniff(const void *buf, size_t n);

/* ---- the error file (errfile.c) -------------------------------------------------------------- */

/* Writes the input back with three more columns (row, field, message). only_bad: just the rows
 * with errors (partial imports); else every row (the user fixes the file and imports it again).
 * CSV in gives CSV (UTF-8 with BOM, so that Excel reads Vietnamese) at *out (malloc'd); xlsx in
 * gives xlsx written with libxlsxwriter. */
int imp_errfile(const struct imp_opts *o, const void *buf, size_t n, const struct imp_result *res, int only_bad,
		char **out, size_t *outn, struct pcmt_err *err);

#endif
